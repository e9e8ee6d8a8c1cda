//! hull-match accuracy tests against the corpus ground truth.
//!
//! For every row of `expected/legacy/SUMMARY.tsv`: import the feed named by the
//! expected file's `note`, build the image's inventory from `truth/legacy/<id>.json`
//! (every installed package with source name/version, epoch, modularity label), match,
//! and compare the (installed package, advisory) pairs exactly. Precision and recall
//! are printed per pair; any difference fails.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use hull_model::{Distro, Ecosystem, Finding, ImagePath, Inventory, Package, Purl};
use hull_vulndb::{import, store, Db};
use serde_json::Value;

mod app_debian;
mod distros;

/// The shared corpus (`None` after a loud SKIP; a failure under HULL_REQUIRE_CORPUS=1).
pub fn corpus() -> Option<PathBuf> {
    hull_testkit::corpus_with("expected")
}

/// Import `paths` into a fresh database in `dir`.
pub fn build_db(dir: &Path, name: &str, paths: &[PathBuf]) -> Db {
    let path = dir.join(format!("{name}.db"));
    let mut updates = Vec::new();
    for p in paths {
        let (u, _) = import::read_path(p, None);
        updates.extend(u);
    }
    for u in &updates {
        if let Err(e) = &u.result {
            panic!("{}: {e}", u.name);
        }
    }
    store::write(&path, updates, "test").unwrap();
    Db::open(&path).unwrap()
}

/// The feed path an expected file's `note` names (`vulndata/` means `feeds/`).
fn feed_path(corpus: &Path, note: &str) -> PathBuf {
    let raw = note
        .strip_prefix("feed file: ")
        .or_else(|| note.strip_prefix("feed: "))
        .unwrap_or(note)
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('.');
    let rel = if let Some(r) = raw.strip_prefix("vulndata/") {
        format!("feeds/{r}")
    } else if let Some(r) = raw.strip_prefix("legacy/feeds/") {
        format!("feeds/legacy-excerpts/{r}")
    } else {
        raw.to_string()
    };
    let rel = rel
        .trim_end_matches("/*.json")
        .trim_end_matches('/')
        .to_string();
    corpus.join(rel)
}

/// The inventory of a legacy image, from its ground truth file.
pub fn legacy_inventory(corpus: &Path, id: &str) -> Inventory {
    let truth: Value = serde_json::from_slice(
        &std::fs::read(corpus.join(format!("truth/legacy/{id}.json"))).unwrap(),
    )
    .unwrap();
    let (distro_id, eco) = if id.starts_with("alpine") {
        ("alpine", Ecosystem::Apk)
    } else if id.starts_with("debian") {
        ("debian", Ecosystem::Deb)
    } else if id.starts_with("ubuntu") {
        ("ubuntu", Ecosystem::Deb)
    } else if id.starts_with("centos") {
        ("centos", Ecosystem::Rpm)
    } else if id.starts_with("amazonlinux") {
        ("amzn", Ecosystem::Rpm)
    } else if id.starts_with("sles") {
        ("sles", Ecosystem::Rpm)
    } else {
        panic!("unknown legacy image {id}")
    };
    let mut version_id = id.split('-').nth(1).unwrap().to_string();
    if distro_id == "amzn" {
        // os-release says `2023`; the image is named after its point release.
        version_id = version_id.split('.').next().unwrap().to_string();
    }
    let path = ImagePath::new(match eco {
        Ecosystem::Apk => "lib/apk/db/installed",
        Ecosystem::Deb => "var/lib/dpkg/status",
        _ if distro_id == "amzn" => "var/lib/rpm/rpmdb.sqlite",
        _ if distro_id == "sles" => "usr/lib/sysimage/rpm/Packages.db",
        _ => "var/lib/rpm/Packages",
    })
    .unwrap();
    let s = |v: &Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let mut packages = Vec::new();
    for p in truth["packages"].as_array().unwrap() {
        if let Some(st) = s(p, "status") {
            if !st.ends_with(" installed") {
                continue;
            }
        }
        let name = s(p, "name").unwrap();
        let version = match eco {
            Ecosystem::Rpm => {
                let vr = format!("{}-{}", s(p, "version").unwrap(), s(p, "release").unwrap());
                match p.get("epoch").and_then(|e| e.as_i64()) {
                    Some(e) => format!("{e}:{vr}"),
                    None => vr,
                }
            }
            _ => s(p, "version").unwrap(),
        };
        packages.push(Package {
            ecosystem: eco,
            purl: Purl::new(eco.purl_type(), Some(distro_id), &name, Some(&version), &[]),
            name,
            version,
            arch: s(p, "arch"),
            source_name: s(p, "source_name"),
            source_version: s(p, "source_version"),
            modularity_label: s(p, "modularitylabel"),
            licenses: vec![],
            path: path.clone(),
            layer: None,
            found_by: "truth".into(),
            properties: BTreeMap::new(),
            dev: false,
            root: false,
            depends_on: Vec::new(),
        });
    }
    Inventory {
        distro: Some(Distro {
            id: distro_id.into(),
            version_id,
            codename: None,
            pretty_name: None,
            id_like: vec![],
            path: ImagePath::new("etc/os-release").unwrap(),
        }),
        packages,
        ..Inventory::default()
    }
}

/// (installed package, advisory) pairs the expected file lists.
fn expected_pairs(exp: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for m in exp["matches"].as_array().unwrap() {
        let adv = m["advisory"].as_str().unwrap().to_string();
        if let Some(bins) = m.get("binary_packages").and_then(|b| b.as_array()) {
            for b in bins {
                let name = b.as_str().unwrap().split('=').next().unwrap();
                out.insert((name.to_string(), adv.clone()));
            }
        } else if m.get("cpe").is_some() {
            // Red Hat: `name-[epoch:]version-release.arch` plus the fixing RHSA and CVE.
            let pkg = m["package"].as_str().unwrap();
            let pkg = pkg.rsplit_once('.').map(|(p, _)| p).unwrap_or(pkg);
            let cve = m["cves"][0].as_str().unwrap();
            out.insert((pkg.to_string(), format!("{adv} {cve}")));
        } else {
            let pkg = m["package"].as_str().unwrap();
            let name = pkg.split('=').next().unwrap();
            out.insert((name.to_string(), adv));
        }
    }
    out
}

/// (installed package, CVE) pairs of an expected file: the rows an Alpine scan shows.
fn expected_cve_rows(exp: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for m in exp["matches"].as_array().unwrap() {
        let pkg = m["package"].as_str().unwrap();
        for cve in m["cves"].as_array().unwrap() {
            out.insert((pkg.to_string(), cve.as_str().unwrap().to_string()));
        }
    }
    out
}

/// (installed package, advisory record) pairs of the findings. A finding names every
/// record behind it (an Alpine CVE row lists each secfix entry that names the CVE).
fn actual_pairs(findings: &[Finding], redhat_api: bool) -> BTreeSet<(String, String)> {
    findings
        .iter()
        .flat_map(|f| {
            f.advisories.iter().map(move |adv| {
                if redhat_api {
                    (
                        format!("{}-{}", f.package.name, f.package.version),
                        format!("{} {adv}", f.fix_advisory.clone().unwrap_or_default()),
                    )
                } else {
                    (f.package.name.clone(), adv.clone())
                }
            })
        })
        .collect()
}

#[test]
fn legacy_images_match_expected_findings_exactly() {
    let Some(c) = corpus() else { return };
    check_legacy_pairs(&c, "truth", &|id| legacy_inventory(&c, id));
}

/// The same 27 pairs, with the inventory read from the image itself by
/// `hull-image` + `hull-catalog` (the path `hull image` takes).
#[test]
fn legacy_images_through_the_image_match_expected_findings_exactly() {
    let Some(c) = corpus() else { return };
    check_legacy_pairs(&c, "image", &|id| image_inventory(&c, id));
}

pub fn image_inventory(c: &Path, id: &str) -> Inventory {
    let base = c.join("images/legacy");
    let target = if base.join(format!("{id}.docker.tar")).is_file() {
        format!(
            "docker-archive:{}",
            base.join(format!("{id}.docker.tar")).display()
        )
    } else {
        format!("oci-dir:{}", base.join(format!("{id}.oci")).display())
    };
    let image = hull_image::open(&target, &hull_image::OpenOptions::default()).unwrap();
    hull_catalog::catalog(&image, &hull_catalog::CatalogOptions::default()).unwrap()
}

fn check_legacy_pairs(c: &Path, label: &str, inventory_of: &dyn Fn(&str) -> Inventory) {
    let c = c.to_path_buf();
    let mut inventories: HashMap<String, Inventory> = HashMap::new();
    let summary = std::fs::read_to_string(c.join("expected/legacy/SUMMARY.tsv")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut dbs: HashMap<PathBuf, Db> = HashMap::new();
    let mut failures = Vec::new();
    let mut rows = 0;
    for line in summary.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (image, feed, want_count) = (cols[0], cols[1], cols[2].parse::<usize>().unwrap());
        rows += 1;
        let exp: Value = serde_json::from_slice(
            &std::fs::read(c.join(format!("expected/legacy/{image}__{feed}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(exp["matches"].as_array().unwrap().len(), want_count);
        let fp = feed_path(&c, exp["note"].as_str().unwrap());
        let n = dbs.len();
        let db = dbs.entry(fp.clone()).or_insert_with(|| {
            build_db(tmp.path(), &format!("feed{n}"), std::slice::from_ref(&fp))
        });
        let inv = inventories
            .entry(image.to_string())
            .or_insert_with(|| inventory_of(image));
        let report = hull_match::match_inventory(inv, db).unwrap();
        let redhat_api = feed.starts_with("redhat-security-data-api");
        // Red Hat "affected, no fix" states are reported by hull but are not in the
        // expected data, which lists RHSA fixes only; they are checked separately.
        let findings: Vec<Finding> = report
            .findings
            .iter()
            .filter(|f| !redhat_api || f.fixed_version().is_some())
            .cloned()
            .collect();
        let want = expected_pairs(&exp);
        let got = actual_pairs(&findings, redhat_api);
        let tp = want.intersection(&got).count();
        let precision = if got.is_empty() {
            1.0
        } else {
            tp as f64 / got.len() as f64
        };
        let recall = if want.is_empty() {
            1.0
        } else {
            tp as f64 / want.len() as f64
        };
        println!(
            "[{label}] {image:28} {feed:32} expected {:4} got {:4} precision {precision:.3} recall {recall:.3} (notes {}, git-only {})",
            want.len(),
            got.len(),
            report.notes.len(),
            report.stats.git_only
        );
        // Alpine: one row per (installed package, CVE), exactly the expected CVEs.
        if feed.starts_with("alpine-secdb") {
            let want_rows = expected_cve_rows(&exp);
            let got_rows: BTreeSet<(String, String)> = findings
                .iter()
                .map(|f| (f.package.name.clone(), f.id.clone()))
                .collect();
            if want_rows != got_rows || got_rows.len() != findings.len() {
                failures.push(format!(
                    "{image} x {feed}: CVE rows differ: {} findings, {} distinct, {} expected",
                    findings.len(),
                    got_rows.len(),
                    want_rows.len()
                ));
            }
        }
        // Ubuntu: a fix published only in Ubuntu Pro (ESM) is reported as such, never
        // as a plain fix and never dropped.
        if feed == "ubuntu-osv" {
            let pro_rows = exp["matches"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["fix_available_without_pro"] == false)
                .count();
            let pro_findings = findings
                .iter()
                .filter(|f| matches!(f.fix, hull_model::FixState::ExtendedSupport(_)))
                .count();
            println!("[{label}] {image:28} Ubuntu Pro-only rows: expected {pro_rows}, findings {pro_findings}");
            assert!(pro_rows > 0, "{image}: the corpus has Pro-only rows");
            for m in exp["matches"].as_array().unwrap() {
                let pkg = m["package"].as_str().unwrap().split('=').next().unwrap();
                let adv = m["advisory"].as_str().unwrap();
                let without_pro = m["fix_available_without_pro"].as_bool().unwrap();
                let fixed = m["fixed"][0].as_str().unwrap().to_string();
                let want_fix = if without_pro {
                    hull_model::FixState::Fixed(fixed)
                } else {
                    hull_model::FixState::ExtendedSupport(fixed)
                };
                let f = findings
                    .iter()
                    .find(|f| f.package.name == pkg && f.advisories[0] == adv);
                if let Some(f) = f.filter(|f| f.fix != want_fix) {
                    failures.push(format!(
                        "{image} x {feed}: {pkg} {adv}: fix {:?}, expected {want_fix:?}",
                        f.fix
                    ));
                }
            }
        }
        if want != got {
            let missing: Vec<_> = want.difference(&got).take(5).collect();
            let extra: Vec<_> = got.difference(&want).take(5).collect();
            failures.push(format!(
                "{image} x {feed}: missing {missing:?} extra {extra:?}"
            ));
        }
    }
    assert_eq!(rows, 27, "SUMMARY.tsv rows");
    assert!(
        failures.is_empty(),
        "{} pairs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn rhel8_module_trap_is_avoided_and_detected_without_modules() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = build_db(
        tmp.path(),
        "oval",
        &[c.join("feeds/legacy-excerpts/redhat-oval-v2/rhel-8.oval.xml")],
    );
    let mut inv = legacy_inventory(&c, "centos-8.2.2004-modules");
    let r = hull_match::match_inventory(&inv, &db).unwrap();
    assert!(r
        .findings
        .iter()
        .all(|f| f.advisories[0] != "RHSA-2020:0598"));
    // The same nodejs claimed to come from the nodejs:12 stream IS affected: the
    // matcher really evaluates the rule, it does not just drop modular packages.
    for p in &mut inv.packages {
        if p.name == "nodejs" {
            p.modularity_label = Some("nodejs:12:8010020200000000:abc".into());
        }
    }
    let r = hull_match::match_inventory(&inv, &db).unwrap();
    let f = r
        .findings
        .iter()
        .find(|f| f.advisories[0] == "RHSA-2020:0598" && f.package.name == "nodejs")
        .expect("nodejs:12 finding");
    assert!(
        f.evidence.rule.contains("module nodejs:12"),
        "{}",
        f.evidence.rule
    );
}

#[test]
fn severity_is_enriched_from_nvd_records_only_when_the_feed_has_none() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // A hand-written NVD API 2.0 page for the musl CVE of alpine-3.9.4.
    let nvd = tmp.path().join("nvd.json");
    std::fs::write(
        &nvd,
        r#"{"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":{"id":"CVE-2019-14697",
        "sourceIdentifier":"cve@mitre.org","vulnStatus":"Analyzed","metrics":{"cvssMetricV31":[
        {"source":"nvd@nist.gov","type":"Primary","cvssData":{"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8,"baseSeverity":"CRITICAL"}}]}}}]}"#,
    )
    .unwrap();
    let db = build_db(
        tmp.path(),
        "enrich",
        &[c.join("feeds/alpine/secdb-yaml/v3.9/main.yaml"), nvd],
    );
    let inv = legacy_inventory(&c, "alpine-3.9.4");
    let r = hull_match::match_inventory(&inv, &db).unwrap();
    let musl = r
        .findings
        .iter()
        .find(|f| f.package.name == "musl")
        .unwrap();
    assert_eq!(musl.severity, hull_model::Severity::Critical);
    assert!(musl
        .evidence
        .records
        .iter()
        .any(|x| x == "severity:nvd:CVE-2019-14697"));
    // NVD records never create findings by themselves, and other findings stay unknown.
    let openssl = r
        .findings
        .iter()
        .find(|f| f.package.name == "libssl1.1")
        .unwrap();
    assert_eq!(openssl.severity, hull_model::Severity::Unknown);
    // One row per CVE: musl and musl-utils (1 CVE each), libcrypto1.1 and libssl1.1
    // (the 3 CVEs of secfix entry openssl@1.1.1d-r0 each), as expected/legacy lists them.
    assert_eq!(r.findings.len(), 8);
}

/// Alpine secfix entries listing several CVEs become one row per CVE; a CVE named by two
/// entries of one package is one row naming both, with the fix that clears both.
/// Hand-written secdb (no corpus needed).
#[test]
fn alpine_secfix_entries_become_one_row_per_cve() {
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("main.yaml");
    std::fs::write(
        &feed,
        "---\ndistroversion: v3.9\nreponame: main\npackages:\n  - pkg:\n      name: openssl\n      secfixes:\n        1.1.1d-r0:\n          - CVE-2019-1547\n          - CVE-2019-1549 XSA-1\n        1.1.1e-r0:\n          - CVE-2019-1549\n        1.1.1a-r0:\n          - CVE-2018-0001\n        1.1.1z-r0:\n          - XSA-2\n",
    )
    .unwrap();
    let db = build_db(tmp.path(), "alpine", &[feed]);
    let inv: Inventory = serde_json::from_str(
        r#"{"image":{"target":"t"},"distro":{"id":"alpine","version_id":"3.9.4","path":"/etc/os-release"},
        "packages":[{"ecosystem":"apk","name":"libssl1.1","version":"1.1.1c-r0","source_name":"openssl",
        "source_version":"1.1.1c-r0","purl":"pkg:apk/alpine/libssl1.1@1.1.1c-r0","path":"/lib/apk/db/installed","found_by":"apk"}]}"#,
    )
    .unwrap();
    let r = hull_match::match_inventory(&inv, &db).unwrap();
    let rows: Vec<(&str, Vec<&str>, Option<&str>)> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.advisories.iter().map(String::as_str).collect(),
                f.fixed_version(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "CVE-2019-1547",
                vec!["openssl@1.1.1d-r0"],
                Some("1.1.1d-r0")
            ),
            (
                "CVE-2019-1549",
                vec!["openssl@1.1.1d-r0", "openssl@1.1.1e-r0"],
                Some("1.1.1e-r0")
            ),
            // An entry without a CVE keeps its record id; 1.1.1a-r0 is older: no row.
            (
                "openssl@1.1.1z-r0",
                vec!["openssl@1.1.1z-r0"],
                Some("1.1.1z-r0")
            ),
        ]
    );
    let cve_1547 = &r.findings[0];
    assert_eq!(
        cve_1547.aliases,
        ["CVE-2019-1547", "XSA-1", "openssl@1.1.1d-r0"],
        "the row keeps its own CVE, the entry's vendor ids and the record id"
    );
    assert_eq!(r.stats.version_checks, 4);
}
