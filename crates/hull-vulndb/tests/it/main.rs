//! hull-vulndb integration tests: every corpus feed parses, the store swaps atomically,
//! failed sources keep their data, and fuzz seeds replay.

use std::path::{Path, PathBuf};

use hull_model::Namespace;
use hull_vulndb::feed;
use hull_vulndb::import::read_path;
use hull_vulndb::store::{self, SourceUpdate};

mod cvss_tests;
mod store_tests;
mod update_errors;
mod update_tests;

/// The shared corpus (`None` after a loud SKIP; a failure under HULL_REQUIRE_CORPUS=1).
pub fn corpus() -> Option<PathBuf> {
    hull_testkit::corpus_with("feeds")
}

fn read_ok(path: &Path) -> Vec<hull_model::Advisory> {
    let (updates, _) = read_path(path, Some("t"));
    let mut out = Vec::new();
    for u in updates {
        let data = u
            .result
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.extend(data.advisories);
    }
    out
}

#[test]
fn whole_ecosystem_osv_feeds_parse_with_known_withdrawn_counts() {
    let Some(c) = corpus() else { return };
    for (dir, records, withdrawn) in [
        ("feeds/pypi-pypa", 2661, 10),
        ("feeds/rustsec/osv", 1206, 13),
        ("feeds/go-vulndb", 4291, 17),
    ] {
        let (updates, _) = read_path(&c.join(dir), Some("t"));
        assert_eq!(updates.len(), 1, "{dir}");
        let data = updates.into_iter().next().unwrap().result.unwrap();
        assert!(
            data.skipped.is_empty(),
            "{dir}: {:?}",
            &data.skipped[..data.skipped.len().min(5)]
        );
        let n = data.advisories.len();
        let w = data
            .advisories
            .iter()
            .filter(|a| a.withdrawn.is_some())
            .count();
        println!("{dir}: {n} records, {w} withdrawn");
        assert_eq!((n, w), (records, withdrawn), "{dir}");
    }
}

#[test]
fn debian_lists_parse_with_known_totals() {
    let Some(c) = corpus() else { return };
    let base = c.join("feeds/debian/security-tracker/data");
    for (file, entries) in [("DSA/list", 5406), ("DLA/list", 3534)] {
        let (updates, _) = read_path(&base.join(file), None);
        let data = updates.into_iter().next().unwrap().result.unwrap();
        let n = data.advisories.len()
            + data
                .skipped
                .iter()
                .filter(|s| s.reason.contains("names no release"))
                .count();
        println!(
            "{file}: {} advisories, {} skipped: {:?}",
            data.advisories.len(),
            data.skipped.len(),
            &data.skipped[..data.skipped.len().min(3)]
        );
        assert_eq!(n, entries, "{file}");
    }
    // The vuln-list-update fixture holds a malformed header: reported, not fatal.
    let (updates, _) = read_path(
        &c.join("feeds/debian/fixtures/vuln-list-update-happy/data/DLA/list"),
        None,
    );
    let data = updates.into_iter().next().unwrap().result.unwrap();
    assert_eq!(data.advisories.len(), 1);
    assert!(data
        .skipped
        .iter()
        .any(|s| s.reason.contains("malformed entry header")));
}

#[test]
fn every_other_feed_parses() {
    let Some(c) = corpus() else { return };
    for dir in [
        "feeds/alpine/secdb-yaml",
        "feeds/alpine/secdb-json-derived",
        "feeds/ghsa",
        "feeds/rustsec/native",
        "feeds/redhat/security-data-api",
        "feeds/legacy-excerpts/debian-elts-osv",
        "feeds/legacy-excerpts/redhat-oval-v2",
        "feeds/debian/fixtures/vunnel-debian-tracker-excerpt.json",
        "feeds/debian/fixtures/osvdev-debian_security_tracker_mock.json",
        "feeds/ubuntu",
        "feeds/legacy-excerpts/osv-debian",
        "feeds/legacy-excerpts/osv-alpine",
        "feeds/legacy-excerpts/osv-ubuntu",
        "feeds/redhat/csaf",
        "feeds/nvd/api-2.0-per-cve",
        "feeds/nvd/api-2.0-page",
        "feeds/nvd/cve-object-fkie",
    ] {
        let (updates, stats) = read_path(&c.join(dir), None);
        assert!(!updates.is_empty(), "{dir}: nothing read");
        let mut total = 0;
        for u in updates {
            let data = u.result.unwrap_or_else(|e| panic!("{dir}: {e}"));
            println!(
                "{dir} -> {}: {} advisories, {} skipped, {} files ({} ignored)",
                u.name,
                data.advisories.len(),
                data.skipped.len(),
                stats.files,
                stats.ignored
            );
            for s in data.skipped.iter().take(3) {
                println!("   skipped {}: {}: {}", s.file, s.record, s.reason);
            }
            assert!(
                data.skipped.iter().all(|s| s.record != "-"),
                "{dir}: a whole file failed"
            );
            total += data.advisories.len();
        }
        assert!(total > 0, "{dir}");
    }
}

#[test]
fn alpine_yaml_and_json_agree() {
    let Some(c) = corpus() else { return };
    let y = read_ok(&c.join("feeds/alpine/secdb-yaml/v3.9/main.yaml"));
    let j = read_ok(&c.join("feeds/alpine/secdb-json-derived/v3.9/main.json"));
    assert!(y.len() > 100);
    let key = |v: &[hull_model::Advisory]| {
        let mut k: Vec<_> = v
            .iter()
            .map(|a| (a.id.clone(), a.aliases.clone()))
            .collect();
        k.sort();
        k
    };
    assert_eq!(key(&y), key(&j));
}

#[test]
fn oval_keeps_module_streams() {
    let Some(c) = corpus() else { return };
    let advs = read_ok(&c.join("feeds/legacy-excerpts/redhat-oval-v2/rhel-8.oval.xml"));
    let a = advs
        .iter()
        .find(|a| a.id == "RHSA-2020:0598")
        .expect("RHSA-2020:0598");
    let node = a.affected.iter().find(|x| x.package == "nodejs").unwrap();
    assert_eq!(node.module.as_deref(), Some("nodejs:12"));
    assert_eq!(node.namespace, Namespace::distro("rhel", "8"));
    assert!(a.aliases.contains(&"CVE-2019-15604".to_string()));
}

#[test]
fn usn_carries_ubuntu_priorities() {
    let Some(c) = corpus() else { return };
    let advs = read_ok(&c.join("feeds/ubuntu/osv/usn/USN-2187-1.json"));
    let a = &advs[0];
    // Its 24 CVEs are rated `low` or `medium` by Ubuntu: the worst stands for the row.
    assert_eq!(
        a.affected[0].namespace,
        Namespace::distro("ubuntu", "14.04")
    );
    assert_eq!(a.affected[0].severity, Some(hull_model::Severity::Medium));
    assert_eq!(a.severity, hull_model::Severity::Medium);
    assert_eq!(a.aliases.len(), 24);
}

#[test]
fn detection_ignores_non_feed_files() {
    assert_eq!(feed::detect("README.md", b"# Advisory DB\n"), None);
    assert_eq!(feed::detect("SHA256SUMS", b"abc  file\n"), None);
}

#[test]
fn fuzz_seeds_replay_without_panics() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut n = 0;
    for target in [
        "feed_detect",
        "feed_nvd",
        "feed_redhat_csaf",
        "feed_alpine",
        "feed_debian_list",
        "feed_osv",
        "feed_redhat_oval",
        "feed_rustsec",
        "feed_redhat_api",
        "feed_debian_tracker",
        "feed_blob",
        "feed_amazon_updateinfo",
        "feed_eol",
        "feed_photon",
        "feed_mariner_oval",
        "cvss_vector",
    ] {
        let dir = seeds.join(target);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let bytes = std::fs::read(e.path()).unwrap();
            // The seed itself, then deterministic random edits of it (truncations,
            // byte changes, duplicated spans): no input may panic a reader.
            let mut variants = vec![bytes.clone()];
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ bytes.len() as u64;
            let mut rnd = move |m: usize| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % m.max(1) as u64) as usize
            };
            for _ in 0..200 {
                let mut v = bytes.clone();
                match rnd(3) {
                    0 => v.truncate(rnd(v.len() + 1)),
                    1 => {
                        let i = rnd(v.len());
                        if let Some(b) = v.get_mut(i) {
                            const SET: &[u8] = b"{}[]<>:\"-\n\t 0~";
                            *b = SET[rnd(SET.len())];
                        }
                    }
                    _ => {
                        let a = rnd(v.len());
                        let b = (a + rnd(64)).min(v.len());
                        let span = v[a..b].to_vec();
                        v.splice(a..a, span);
                    }
                }
                variants.push(v);
            }
            for bytes in &variants {
                let _ = feed::parse_any("seed", bytes);
                let _ = hull_vulndb::import::for_each_blob("seed", bytes, &mut |_, _| {});
                if let Ok(s) = std::str::from_utf8(bytes) {
                    if let Some(score) = hull_vulndb::cvss::base_score(s) {
                        assert!((0.0..=10.0).contains(&score), "{s}");
                    }
                }
                for f in [
                    feed::Format::AlpineJson,
                    feed::Format::AlpineYaml,
                    feed::Format::DebianList,
                    feed::Format::DebianTrackerJson,
                    feed::Format::RedHatApi,
                    feed::Format::RedHatOval,
                    feed::Format::OsvJson,
                    feed::Format::OsvYaml,
                    feed::Format::RustsecMarkdown,
                    feed::Format::AmazonUpdateinfo,
                ] {
                    let _ = feed::parse(f, "seed", bytes);
                }
                // endoflife.date files are named after their product.
                for f in [feed::Format::EndOfLife, feed::Format::OsvJson] {
                    let _ = feed::parse(f, "seed/ubuntu.json", bytes);
                }
                let _ = feed::parse(
                    feed::Format::MarinerOval,
                    "seed/cbl-mariner-2.0-oval.xml",
                    bytes,
                );
                for f in [feed::Format::PhotonCve, feed::Format::AlpineJson] {
                    let _ = feed::parse(f, "seed/cve_data_photon4.0.json", bytes);
                }
            }
            n += 1;
        }
    }
    assert!(n > 0, "no fuzz seeds found under {}", seeds.display());
    let _ = store::default_path();
    let _: Vec<SourceUpdate> = Vec::new();
}
