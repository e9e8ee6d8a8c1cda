//! Vulnerability reports and filters on a hand-built scan: one test per format, checked
//! structurally (SARIF against the 2.1.0 spec's required properties and GitHub's
//! ingestion rules; CycloneDX refs resolve, and the official schema when installed).

use std::collections::{BTreeMap, BTreeSet};

use hull_model::{
    Distro, Ecosystem, Evidence, Finding, FindingPackage, FixState, ImagePath, Inventory,
    Namespace, Package, Purl, Severity,
};
use hull_report::filter::{
    apply, exit_code, parse_severities, Filtered, Filters, IgnoreFile, VexDocument,
};
use hull_report::vuln::{render, Details, Rating, ScanReport, VulnDetail, VulnFormat};
use hull_report::WriteOptions;
use serde_json::Value;

const TS: &str = "2026-11-29T10:00:00Z";
const APK_DB: &str = "lib/apk/db/installed";
const LODASH: &str = "app/node_modules/lodash/package.json";

fn package(eco: Ecosystem, purl: &str, name: &str, version: &str, path: &str) -> Package {
    Package::new(
        eco,
        name,
        version,
        Purl::from_string(purl.into()),
        ImagePath::new(path).unwrap(),
        "test",
    )
}

fn inventory() -> Inventory {
    let mut inv = Inventory::default();
    inv.image.target = "docker-archive:alpine-3.9.4.docker.tar".into();
    inv.distro = Some(Distro {
        id: "alpine".into(),
        version_id: "3.9.4".into(),
        path: ImagePath::new("etc/os-release").unwrap(),
        ..Distro::default()
    });
    inv.packages = vec![
        package(
            Ecosystem::Apk,
            "pkg:apk/alpine/openssl@1.1.1b-r1?arch=x86_64&distro=3.9.4",
            "openssl",
            "1.1.1b-r1",
            APK_DB,
        ),
        package(
            Ecosystem::Apk,
            "pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.9.4",
            "musl",
            "1.1.20-r4",
            APK_DB,
        ),
        package(
            Ecosystem::Npm,
            "pkg:npm/lodash@4.17.4",
            "lodash",
            "4.17.4",
            LODASH,
        ),
    ];
    inv
}

fn finding(p: &Package, id: &str, aliases: &[&str], sev: Severity, fix: FixState) -> Finding {
    let mut all: Vec<String> = aliases.iter().map(|s| s.to_string()).collect();
    all.push(id.into());
    all.sort();
    Finding {
        id: id.into(),
        advisories: vec![format!("ADV-{id}")],
        aliases: all,
        source: if p.ecosystem.is_os() {
            "alpine-secdb"
        } else {
            "osv"
        }
        .into(),
        package: FindingPackage {
            ecosystem: p.ecosystem,
            name: p.name.clone(),
            version: p.version.clone(),
            source_name: None,
            source_version: None,
            purl: p.purl.clone(),
            path: p.path.clone(),
        },
        severity: sev,
        fix,
        fix_advisory: None,
        title: Some(format!("{id} title\nwith a newline")),
        evidence: Evidence {
            matcher: if p.ecosystem.is_os() { "apk" } else { "osv" }.into(),
            namespace: Namespace::from_key(if p.ecosystem.is_os() {
                "alpine:3.9"
            } else {
                "npm"
            }),
            lookup_name: p.name.clone(),
            compared_version: p.version.clone(),
            scheme: if p.ecosystem.is_os() { "apk" } else { "semver" }.into(),
            rule: "< fixed".into(),
            records: vec![format!("src:ADV-{id}")],
        },
    }
}

fn findings(inv: &Inventory) -> Vec<Finding> {
    let [ssl, musl, lodash] = [&inv.packages[0], &inv.packages[1], &inv.packages[2]];
    vec![
        finding(
            ssl,
            "CVE-2019-1543",
            &[],
            Severity::High,
            FixState::Fixed("1.1.1b-r2".into()),
        ),
        finding(
            ssl,
            "CVE-2019-1549",
            &[],
            Severity::Medium,
            FixState::Fixed("1.1.1d-r0".into()),
        ),
        finding(
            musl,
            "CVE-2019-14697",
            &[],
            Severity::Critical,
            FixState::Fixed("1.1.20-r5".into()),
        ),
        finding(
            musl,
            "CVE-2020-0001",
            &[],
            Severity::Low,
            FixState::NotFixed,
        ),
        finding(
            lodash,
            "CVE-2019-10744",
            &["GHSA-jf85-cpcp-j695"],
            Severity::Critical,
            FixState::Fixed("4.17.12".into()),
        ),
    ]
}

fn details() -> Details {
    let mut d = BTreeMap::new();
    d.insert(
        "ADV-CVE-2019-10744".to_string(),
        VulnDetail {
            ratings: vec![Rating {
                vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H".into(),
                score: Some(9.1),
            }],
            references: vec!["https://github.com/lodash/lodash/pull/4336".into()],
            summary: None,
        },
    );
    d.insert(
        "ADV-CVE-2019-1543".to_string(),
        VulnDetail {
            ratings: vec![
                Rating {
                    vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N".into(),
                    score: Some(7.4),
                },
                Rating {
                    vector: "CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N"
                        .into(),
                    score: None,
                },
            ],
            references: vec![],
            summary: None,
        },
    );
    d
}

const VEX: &str = r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1",
 "author":"platform team","timestamp":"2026-11-01T00:00:00Z","version":1,
 "statements":[{"vulnerability":{"name":"CVE-2019-1549"},
   "products":[{"@id":"pkg:oci/alpine","subcomponents":[{"@id":"pkg:apk/alpine/openssl@1.1.1b-r1"}]}],
   "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#;

const IGNORE: &str = "vulnerabilities:\n  - id: GHSA-jf85-cpcp-j695\n    paths: ['app/**']\n    reason: template only\n  - id: CVE-2019-14697\n    expires: 2026-01-01\n";

fn filtered(inv: &Inventory, filters: &Filters) -> Filtered {
    apply(findings(inv), filters)
}

fn all_filters() -> Filters {
    Filters {
        severities: None,
        ignore_unfixed: true,
        ignore: Some(IgnoreFile::parse(IGNORE.as_bytes()).unwrap()),
        vex: vec![VexDocument::parse(VEX.as_bytes()).unwrap()],
        today: "2026-11-29".into(),
    }
}

fn out(format: VulnFormat, filters: &Filters) -> String {
    let inv = inventory();
    let f = filtered(&inv, filters);
    let d = details();
    let r = ScanReport {
        inventory: &inv,
        filtered: &f,
        details: &d,
        coverage: None,
    };
    render(&r, format, &WriteOptions::fixed(TS)).unwrap()
}

fn json(format: VulnFormat, filters: &Filters) -> Value {
    serde_json::from_str(&out(format, filters)).unwrap()
}

#[test]
fn filters_combine_and_keep_reasons() {
    let inv = inventory();
    let f = filtered(&inv, &all_filters());
    let why: BTreeMap<&str, &str> = f
        .findings
        .iter()
        .map(|a| {
            let kind = match &a.suppressed {
                None => "reported",
                Some(s) => match s {
                    hull_report::filter::Suppression::Vex { .. } => "vex",
                    hull_report::filter::Suppression::Ignore { .. } => "ignore",
                    hull_report::filter::Suppression::Unfixed => "unfixed",
                    hull_report::filter::Suppression::Severity { .. } => "severity",
                },
            };
            (a.finding.id.as_str(), kind)
        })
        .collect();
    assert_eq!(why["CVE-2019-1543"], "reported");
    assert_eq!(why["CVE-2019-1549"], "vex");
    assert_eq!(why["CVE-2019-10744"], "ignore");
    assert_eq!(why["CVE-2020-0001"], "unfixed");
    // Expired ignore entry: no longer applies, and is listed.
    assert_eq!(why["CVE-2019-14697"], "reported");
    assert_eq!(f.expired_ignores.len(), 1);
    assert_eq!(exit_code(&f, Severity::Critical, 4), 4);
    let only_high = Filters {
        severities: Some(parse_severities("HIGH").unwrap()),
        ..all_filters()
    };
    let f = filtered(&inv, &only_high);
    assert_eq!(f.reported().count(), 1);
    assert_eq!(exit_code(&f, Severity::Critical, 4), 0);
    assert_eq!(exit_code(&f, Severity::Unknown, 4), 4);
}

#[test]
fn table_groups_by_target_within_120_columns() {
    let t = out(VulnFormat::Table, &all_filters());
    for line in t.lines() {
        assert!(line.chars().count() <= 120, "too wide: {line}");
    }
    let os = t.find("OS packages (alpine 3.9.4)").expect("os group");
    let npm = t.find(&format!("{LODASH} (npm)"));
    // lodash is ignored, so it has no group; OS packages group has 2 findings.
    assert!(npm.is_none(), "{t}");
    assert!(
        t[os..].contains("Total: 2 (CRITICAL: 1, HIGH: 1, MEDIUM: 0"),
        "{t}"
    );
    assert!(t.contains("LIBRARY"));
    assert!(t.contains("CVE-2019-14697"));
    assert!(t.contains("Suppressed: 3"));
    assert!(t.contains("vex not_affected (vulnerable_code_not_in_execute_path)"));
    assert!(t.contains("ignored (GHSA-jf85-cpcp-j695): template only"));
    assert!(t.contains("warning: ignore entry CVE-2019-14697 expired on 2026-01-01"));
    // Titles are one line.
    assert!(t.contains("CVE-2019-1543 title with a newline"));
    // No filters: both groups, OS first.
    let t = out(VulnFormat::Table, &Filters::default());
    let os = t.find("OS packages").unwrap();
    let npm = t.find(&format!("{LODASH} (npm)")).unwrap();
    assert!(os < npm);
    assert!(
        t.contains("Total: 5 (CRITICAL: 2, HIGH: 1, MEDIUM: 1, LOW: 1, NEGLIGIBLE: 0, UNKNOWN: 0)")
    );
}

#[test]
fn json_report_schema() {
    let v = json(VulnFormat::Json, &all_filters());
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["kind"], "vulnerability-report");
    assert_eq!(v["created"], TS);
    assert_eq!(v["distro"]["id"], "alpine");
    assert_eq!(v["summary"]["reported"], 2);
    assert_eq!(v["summary"]["suppressed"], 3);
    assert_eq!(v["summary"]["by_severity"]["critical"], 1);
    let f = &v["findings"][0];
    for k in ["id", "package", "severity", "fix", "evidence", "url"] {
        assert!(!f[k].is_null(), "missing {k}");
    }
    assert_eq!(f["evidence"]["matcher"], "apk");
    let ssl = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2019-1543")
        .unwrap();
    assert_eq!(ssl["cvss_score"], 7.4);
    assert_eq!(ssl["ratings"].as_array().unwrap().len(), 2);
    let kinds: BTreeSet<&str> = v["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["suppressed"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ignore", "unfixed", "vex"].into_iter().collect());
    assert_eq!(v["expired_ignores"][0]["id"], "CVE-2019-14697");
}

/// SARIF 2.1.0 required properties (spec §3.13 sarifLog, §3.14 run, §3.18 tool,
/// §3.19 toolComponent, §3.49 reportingDescriptor, §3.27 result, §3.11 message,
/// §3.4 artifactLocation, §3.30 region, §3.35 suppression), enumerations, and what
/// GitHub code scanning additionally needs.
fn check_sarif(v: &Value) {
    let mut errs = Vec::new();
    let mut need = |cond: bool, what: &str| {
        if !cond {
            errs.push(what.to_string());
        }
    };
    need(v["version"] == "2.1.0", "version 2.1.0");
    need(v["$schema"].is_string(), "$schema");
    let runs = v["runs"].as_array();
    need(runs.is_some_and(|r| !r.is_empty()), "runs[]");
    for run in runs.into_iter().flatten() {
        let driver = &run["tool"]["driver"];
        need(driver["name"].is_string(), "tool.driver.name");
        let rules = driver["rules"].as_array().cloned().unwrap_or_default();
        let mut ids = BTreeSet::new();
        for r in &rules {
            let id = r["id"].as_str().unwrap_or("");
            need(!id.is_empty(), "rule.id");
            need(ids.insert(id.to_string()), "unique rule ids");
            need(
                r["shortDescription"]["text"].is_string(),
                "rule.shortDescription.text",
            );
            need(
                r["fullDescription"]["text"].is_string(),
                "rule.fullDescription.text",
            );
            need(r["help"]["text"].is_string(), "rule.help.text");
            need(
                r["helpUri"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("https://")),
                "rule.helpUri",
            );
            let sev = r["properties"]["security-severity"].as_str();
            need(
                sev.and_then(|s| s.parse::<f64>().ok())
                    .is_some_and(|s| (0.0..=10.0).contains(&s)),
                "rule.properties.security-severity numeric string",
            );
            need(
                matches!(
                    r["defaultConfiguration"]["level"].as_str(),
                    Some("none" | "note" | "warning" | "error")
                ),
                "rule level enum",
            );
        }
        for res in run["results"].as_array().into_iter().flatten() {
            need(res["message"]["text"].is_string(), "result.message.text");
            let rid = res["ruleId"].as_str().unwrap_or("");
            need(ids.contains(rid), "result.ruleId names a rule");
            let idx = res["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
            need(
                rules.get(idx).is_some_and(|r| r["id"] == rid),
                "ruleIndex agrees with ruleId",
            );
            need(
                matches!(
                    res["level"].as_str(),
                    Some("none" | "note" | "warning" | "error")
                ),
                "result.level enum",
            );
            let locs = res["locations"].as_array().cloned().unwrap_or_default();
            need(!locs.is_empty(), "result.locations[]");
            for l in &locs {
                let pl = &l["physicalLocation"];
                let uri = pl["artifactLocation"]["uri"].as_str().unwrap_or("");
                need(
                    !uri.is_empty() && !uri.starts_with('/'),
                    "relative artifactLocation.uri",
                );
                need(
                    pl["region"]["startLine"].as_u64().is_some_and(|n| n >= 1),
                    "region.startLine >= 1",
                );
            }
            for s in res["suppressions"].as_array().into_iter().flatten() {
                need(
                    matches!(s["kind"].as_str(), Some("inSource" | "external")),
                    "suppression.kind enum",
                );
                need(
                    matches!(
                        s["status"].as_str(),
                        Some("accepted" | "underReview" | "rejected")
                    ),
                    "suppression.status enum",
                );
            }
        }
    }
    assert!(errs.is_empty(), "sarif problems: {errs:?}");
}

#[test]
fn sarif_is_valid_and_github_ready() {
    let v = json(VulnFormat::Sarif, &all_filters());
    check_sarif(&v);
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 5, "one rule per vulnerability id");
    let lodash = rules.iter().find(|r| r["id"] == "CVE-2019-10744").unwrap();
    assert_eq!(lodash["properties"]["security-severity"], "9.1");
    assert_eq!(
        lodash["helpUri"],
        "https://nvd.nist.gov/vuln/detail/CVE-2019-10744"
    );
    // No CVSS score: the severity band stands in.
    let musl = rules.iter().find(|r| r["id"] == "CVE-2019-14697").unwrap();
    assert_eq!(musl["properties"]["security-severity"], "9.5");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "CVE-2019-10744")
        .unwrap();
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        LODASH
    );
    assert_eq!(r["level"], "error");
    assert_eq!(r["suppressions"][0]["kind"], "external");
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "CVE-2019-1543")
        .unwrap();
    assert!(r.get("suppressions").is_none());
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        APK_DB
    );
    // The hand check catches a broken document.
    let mut broken = v.clone();
    broken["runs"][0]["results"][0]["ruleId"] = "nope".into();
    assert!(std::panic::catch_unwind(|| check_sarif(&broken)).is_err());
}

#[test]
fn cyclonedx_vulnerabilities_reference_components() {
    let v = json(VulnFormat::CycloneDx, &all_filters());
    assert_eq!(v["specVersion"], "1.6");
    let refs: BTreeSet<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    let vulns = v["vulnerabilities"].as_array().unwrap();
    // Reported 2 + VEX 1 + ignore 1; the unfixed one is filtered out.
    assert_eq!(vulns.len(), 4, "{vulns:#?}");
    let mut vrefs = BTreeSet::new();
    for x in vulns {
        assert!(
            vrefs.insert(x["bom-ref"].as_str().unwrap()),
            "unique vuln bom-refs"
        );
        for a in x["affects"].as_array().unwrap() {
            assert!(
                refs.contains(a["ref"].as_str().unwrap()),
                "dangling {}",
                a["ref"]
            );
        }
        assert!(!x["ratings"].as_array().unwrap().is_empty());
    }
    let ssl = vulns.iter().find(|x| x["id"] == "CVE-2019-1543").unwrap();
    let methods: Vec<&str> = ssl["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["CVSSv31", "CVSSv4"]);
    assert_eq!(ssl["ratings"][0]["score"], 7.4);
    assert_eq!(ssl["ratings"][0]["severity"], "high");
    assert_eq!(ssl["recommendation"], "upgrade openssl to 1.1.1b-r2");
    let vexed = vulns.iter().find(|x| x["id"] == "CVE-2019-1549").unwrap();
    assert_eq!(vexed["analysis"]["state"], "not_affected");
    assert_eq!(vexed["analysis"]["justification"], "code_not_reachable");
    let ignored = vulns.iter().find(|x| x["id"] == "CVE-2019-10744").unwrap();
    assert_eq!(ignored["analysis"]["state"], "exploitable");
    assert_eq!(ignored["analysis"]["response"][0], "will_not_fix");
    assert_eq!(ignored["references"][0]["id"], "GHSA-jf85-cpcp-j695");
    assert!(vulns.iter().all(|x| x["id"] != "CVE-2020-0001"));
}

#[test]
fn cyclonedx_vulnerabilities_validate_against_the_official_schema() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bom.json");
    std::fs::write(&f, out(VulnFormat::CycloneDx, &all_filters())).unwrap();
    let script = "import sys\n\
from cyclonedx.validation.json import JsonStrictValidator\n\
from cyclonedx.schema import SchemaVersion\n\
e = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\n\
print(e or 'valid'); sys.exit(1 if e else 0)\n";
    match crate::python(script, &f) {
        Some((ok, out)) => assert!(ok, "schema validation failed: {out}"),
        None if crate::require_validators() => panic!("cyclonedx-python-lib missing"),
        None => eprintln!("SKIP: python3 module `cyclonedx` not installed"),
    }
}

#[test]
fn spdx_carries_advisory_refs() {
    let v = json(VulnFormat::SpdxJson, &all_filters());
    assert_eq!(v["spdxVersion"], "SPDX-2.3");
    let mut found = Vec::new();
    for p in v["packages"].as_array().unwrap() {
        for r in p["externalRefs"].as_array().into_iter().flatten() {
            if r["referenceCategory"] == "SECURITY" {
                assert_eq!(r["referenceType"], "advisory");
                found.push((
                    p["name"].as_str().unwrap().to_string(),
                    r["comment"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    found.sort();
    assert_eq!(
        found,
        vec![
            (
                "musl".to_string(),
                "CVE-2019-14697 severity critical; fixed in 1.1.20-r5".to_string()
            ),
            (
                "openssl".to_string(),
                "CVE-2019-1543 severity high; fixed in 1.1.1b-r2".to_string()
            ),
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("sbom.spdx.json");
    std::fs::write(&f, out(VulnFormat::SpdxJson, &all_filters())).unwrap();
    let script = "import sys\n\
from spdx_tools.spdx.parser.parse_anything import parse_file\n\
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document\n\
msgs = validate_full_spdx_document(parse_file(sys.argv[1]))\n\
[print(m.validation_message) for m in msgs]\n\
sys.exit(1 if msgs else 0)\n";
    match crate::python(script, &f) {
        Some((ok, out)) => assert!(ok, "spdx validation failed: {out}"),
        None if crate::require_validators() => panic!("spdx-tools missing"),
        None => eprintln!("SKIP: python3 module `spdx_tools` not installed"),
    }
}

#[test]
fn outputs_are_deterministic() {
    let inv = inventory();
    let d = details();
    let filters = all_filters();
    let a = apply(findings(&inv), &filters);
    let mut rev = findings(&inv);
    rev.reverse();
    let b = apply(rev, &filters);
    for format in VulnFormat::ALL {
        let ra = render(
            &ScanReport {
                inventory: &inv,
                filtered: &a,
                details: &d,
                coverage: None,
            },
            format,
            &WriteOptions::fixed(TS),
        )
        .unwrap();
        let rb = render(
            &ScanReport {
                inventory: &inv,
                filtered: &b,
                details: &d,
                coverage: None,
            },
            format,
            &WriteOptions::fixed(TS),
        )
        .unwrap();
        assert_eq!(ra, rb, "{format}");
        assert_eq!(format.as_str().parse::<VulnFormat>().unwrap(), format);
    }
}
