//! Distributions beyond Debian, Alpine and Red Hat: the corpus' Amazon Linux 2023 and
//! SLES 15 SP3 images (their truth inventories and the images themselves) against
//! advisories written in their vendors' formats (the fixtures under `fuzz/corpus/`,
//! which also seed the fuzzers), each with a version-order edge case of that distro;
//! and Ubuntu's two OSV forms (USN and UBUNTU-CVE) loaded together.

use hull_model::{FixState, Inventory};

use crate::{build_db, corpus, image_inventory, legacy_inventory};

const AL2023_UPDATEINFO: &str =
    include_str!("../../../../fuzz/corpus/feed_amazon_updateinfo/a.xml");
const SUSE_OSV: &str = include_str!("../../../../fuzz/corpus/feed_osv/suse-osv.json");

type Row = (String, String, FixState);

/// (package, advisory, fix state) of every finding, sorted.
fn rows(inv: &Inventory, db: &hull_vulndb::Db) -> Vec<Row> {
    let r = hull_match::match_inventory(inv, db).unwrap();
    assert_eq!(r.coverage.unchecked(), 0, "{:?}", r.coverage);
    r.findings
        .iter()
        .map(|f| {
            (
                f.package.name.clone(),
                f.advisories[0].clone(),
                f.fix.clone(),
            )
        })
        .collect::<Vec<Row>>()
        .into_iter()
        .fold(Vec::new(), |mut v, r| {
            if !v.contains(&r) {
                v.push(r);
            }
            v.sort_by(|a: &Row, b: &Row| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            v
        })
}

/// AL2023: binary rpm names from ALAS updateinfo. Edge cases: `openssl-libs`
/// 1:3.0.8-1.amzn2023.0.4 is older than 1:3.0.8-1.amzn2023.0.10 (numeric release
/// segments); `gmp` 1:6.2.1 is NOT older than 6.2.2 (its epoch wins); `bash` equals the
/// fix; a bugfix update and an Amazon Linux 2 advisory never apply.
#[test]
fn amazon_linux_2023_from_alas_updateinfo() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("updateinfo.xml");
    std::fs::write(&feed, AL2023_UPDATEINFO).unwrap();
    let db = build_db(tmp.path(), "alas", &[feed]);
    let fixed = |v: &str| FixState::Fixed(v.to_string());
    let want: Vec<Row> = [
        (
            "curl-minimal",
            "ALAS2023-2024-504",
            fixed("8.0.1-1.amzn2023.0.2"),
        ),
        (
            "libcurl-minimal",
            "ALAS2023-2024-504",
            fixed("8.0.1-1.amzn2023.0.2"),
        ),
        (
            "openssl-libs",
            "ALAS2023-2024-501",
            fixed("1:3.0.8-1.amzn2023.0.10"),
        ),
    ]
    .into_iter()
    .map(|(a, b, f)| (a.to_string(), b.to_string(), f))
    .collect();
    for (label, inv) in [
        ("truth", legacy_inventory(&c, "amazonlinux-2023.1")),
        ("image", image_inventory(&c, "amazonlinux-2023.1")),
    ] {
        assert_eq!(
            inv.distro.as_ref().map(|d| d.version_id.as_str()),
            Some("2023"),
            "{label}"
        );
        let got = rows(&inv, &db);
        println!(
            "[{label}] amazonlinux-2023.1 x ALAS fixture: {} findings",
            got.len()
        );
        assert_eq!(got, want, "{label}");
    }
}

/// SLES 15 SP3 from SUSE's OSV records (binary names; every `Linux Enterprise` product
/// of 15 SP3 applies). Edge case: SUSE renumbered releases for SLE 15 (`150000.`), so
/// installed libzstd1 1.4.4-1.6.1 is older than 1.4.4-150000.1.9.1. A fix only in
/// LTSS is `extended-support`; SP4 and openSUSE Leap rows never apply; glibc equals
/// its fix.
#[test]
fn sles_15_sp3_from_suse_osv() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("suse.json");
    std::fs::write(&feed, SUSE_OSV).unwrap();
    let db = build_db(tmp.path(), "suse", &[feed]);
    let id = "SUSE-SU-2022:2140-1".to_string();
    let want: Vec<Row> = [
        (
            "libgcrypt20",
            FixState::ExtendedSupport("1.8.2-8.45.1".into()),
        ),
        ("libz1", FixState::Fixed("1.2.11-150000.3.45.1".into())),
        ("libzstd1", FixState::Fixed("1.4.4-150000.1.9.1".into())),
    ]
    .into_iter()
    .map(|(p, f)| (p.to_string(), id.clone(), f))
    .collect();
    for (label, inv) in [
        ("truth", legacy_inventory(&c, "sles-15.3-bci")),
        ("image", image_inventory(&c, "sles-15.3-bci")),
    ] {
        let got = rows(&inv, &db);
        println!(
            "[{label}] sles-15.3-bci x SUSE OSV fixture: {} findings",
            got.len()
        );
        assert_eq!(got, want, "{label}");
    }
}

/// With both of Canonical's forms imported, a USN whose CVEs all have UBUNTU-CVE rows
/// is folded into them (one row per CVE, the USN as `fix_advisory`); the per-CVE form
/// also brings a CVE with no fix yet. Hand-written in Canonical's layout.
#[test]
fn ubuntu_usn_and_cve_forms_are_one_row_per_cve() {
    let tmp = tempfile::tempdir().unwrap();
    let usn = r#"{"schema_version":"1.7.0","id":"USN-9000-1","summary":"zlib vulnerabilities","details":"x","aliases":[],
      "upstream":["UBUNTU-CVE-2099-0001","UBUNTU-CVE-2099-0002"],"related":[],"published":"2099-01-01T00:00:00Z","modified":"2099-01-01T00:00:00Z",
      "affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"zlib","purl":"pkg:deb/ubuntu/zlib@1:1.2.11.dfsg-2ubuntu9.3?arch=source&distro=jammy"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.2.11.dfsg-2ubuntu9.3"}]}],"versions":["1:1.2.11.dfsg-2ubuntu9"],
        "ecosystem_specific":{"binaries":[{"binary_name":"zlib1g","binary_version":"1:1.2.11.dfsg-2ubuntu9.3"}],"availability":"No subscription required"}}]}"#;
    let cve = |n: &str, fixed: Option<&str>| {
        let events = match fixed {
            Some(f) => format!(r#"[{{"introduced":"0"}},{{"fixed":"{f}"}}]"#),
            None => r#"[{"introduced":"0"}]"#.to_string(),
        };
        format!(
            r#"{{"schema_version":"1.7.0","id":"UBUNTU-CVE-2099-{n}","details":"x","aliases":[],"upstream":["CVE-2099-{n}"],"related":["USN-9000-1"],
            "severity":[{{"type":"Ubuntu","score":"medium"}}],"published":"2099-01-01T00:00:00Z","modified":"2099-01-01T00:00:00Z",
            "affected":[{{"package":{{"ecosystem":"Ubuntu:22.04:LTS","name":"zlib"}},"ranges":[{{"type":"ECOSYSTEM","events":{events}}}],"versions":[]}}]}}"#
        )
    };
    let dir = tmp.path().join("osv");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("USN-9000-1.json"), usn).unwrap();
    std::fs::write(
        dir.join("UBUNTU-CVE-2099-0001.json"),
        cve("0001", Some("1:1.2.11.dfsg-2ubuntu9.3")),
    )
    .unwrap();
    std::fs::write(
        dir.join("UBUNTU-CVE-2099-0002.json"),
        cve("0002", Some("1:1.2.11.dfsg-2ubuntu9.3")),
    )
    .unwrap();
    std::fs::write(dir.join("UBUNTU-CVE-2099-0003.json"), cve("0003", None)).unwrap();
    let db = build_db(tmp.path(), "ubuntu", &[dir]);
    let inv: Inventory = serde_json::from_str(
        r#"{"image":{"target":"t"},"distro":{"id":"ubuntu","version_id":"22.04","path":"/etc/os-release"},
        "packages":[{"ecosystem":"deb","name":"zlib1g","version":"1:1.2.11.dfsg-2ubuntu9","source_name":"zlib",
        "source_version":"1:1.2.11.dfsg-2ubuntu9","purl":"pkg:deb/ubuntu/zlib1g@1:1.2.11.dfsg-2ubuntu9","path":"/var/lib/dpkg/status","found_by":"dpkg"}]}"#,
    )
    .unwrap();
    let r = hull_match::match_inventory(&inv, &db).unwrap();
    let got: Vec<(&str, Option<&str>, &FixState)> = r
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.fix_advisory.as_deref(), &f.fix))
        .collect();
    let fixed = FixState::Fixed("1:1.2.11.dfsg-2ubuntu9.3".into());
    assert_eq!(
        got,
        [
            ("CVE-2099-0001", Some("USN-9000-1"), &fixed),
            ("CVE-2099-0002", Some("USN-9000-1"), &fixed),
            ("CVE-2099-0003", None, &FixState::NotFixed),
        ]
    );
    assert!(r.findings[0].aliases.contains(&"USN-9000-1".to_string()));
    assert_eq!(r.findings[0].severity, hull_model::Severity::Medium);
}

/// Wolfi: Alpine's secdb shape and apk version order. Edge cases: `9.6_p1-r0` is
/// older than `9.6_p1-r1` (revision), `9.6_p2-r0` is newer than `9.6_p1-r5` (`_p`
/// patch level before revision), `1.2.3-r10` is newer than `1.2.3-r9` (numeric
/// revisions); a `0` key means never affected. Hand-written in Wolfi's layout.
#[test]
fn wolfi_secdb_in_apk_order() {
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("security.json");
    std::fs::write(
        &feed,
        r#"{"apkurl":"{{urlprefix}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk","archs":["x86_64","aarch64"],
        "reponame":"os","urlprefix":"https://packages.wolfi.dev","packages":[
        {"pkg":{"name":"openssh","secfixes":{"9.6_p1-r1":["CVE-2023-51385"],"9.6_p1-r5":["CVE-2024-0001"],"0":["CVE-2007-2768"]}}},
        {"pkg":{"name":"zlib","secfixes":{"1.2.3-r9":["CVE-2022-37434"]}}}]}"#,
    )
    .unwrap();
    let db = build_db(tmp.path(), "wolfi", &[feed]);
    let inv = |openssh: &str| -> Inventory {
        serde_json::from_str(&format!(
            r#"{{"image":{{"target":"t"}},"distro":{{"id":"wolfi","version_id":"20230201","path":"/etc/os-release"}},
            "packages":[
             {{"ecosystem":"apk","name":"openssh-client","version":"{openssh}","source_name":"openssh","source_version":"{openssh}",
               "purl":"pkg:apk/wolfi/openssh-client@{openssh}","path":"/lib/apk/db/installed","found_by":"apk"}},
             {{"ecosystem":"apk","name":"zlib","version":"1.2.3-r10","source_name":"zlib","source_version":"1.2.3-r10",
               "purl":"pkg:apk/wolfi/zlib@1.2.3-r10","path":"/lib/apk/db/installed","found_by":"apk"}}]}}"#
        ))
        .unwrap()
    };
    let ids = |v: &str| -> Vec<String> {
        let r = hull_match::match_inventory(&inv(v), &db).unwrap();
        assert_eq!(r.coverage.unchecked(), 0);
        r.findings.iter().map(|f| f.id.clone()).collect()
    };
    assert_eq!(ids("9.6_p1-r0"), ["CVE-2023-51385", "CVE-2024-0001"]);
    assert_eq!(ids("9.6_p1-r1"), ["CVE-2024-0001"]);
    assert!(ids("9.6_p2-r0").is_empty());
}

/// Oracle Linux 8 from ELSA OVAL (the fixture also seeds the OVAL fuzzer). Edge cases:
/// epochs (`1:1.1.1k-7.el8_6` < `1:1.1.1k-9.el8_7`; a package without the epoch is
/// older than any epoch-1 fix) and module streams (the nodejs fix of `nodejs:18`
/// applies to nodejs from that stream only).
#[test]
fn oracle_linux_8_from_elsa_oval() {
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("com.oracle.elsa-ol8.xml");
    std::fs::write(
        &feed,
        include_str!("../../../../fuzz/corpus/feed_redhat_oval/elsa-ol8.xml"),
    )
    .unwrap();
    let db = build_db(tmp.path(), "ol", &[feed]);
    let inv = |ssl: &str, node_stream: &str| -> Inventory {
        serde_json::from_str(&format!(
            r#"{{"image":{{"target":"t"}},"distro":{{"id":"ol","version_id":"8.7","path":"/etc/os-release"}},
            "packages":[
             {{"ecosystem":"rpm","name":"openssl-libs","version":"{ssl}","source_name":"openssl",
               "purl":"pkg:rpm/oracle/openssl-libs@{ssl}","path":"/var/lib/rpm/rpmdb.sqlite","found_by":"rpm"}},
             {{"ecosystem":"rpm","name":"nodejs","version":"1:18.12.1-1.module+el8.7.0+20801+b4a8d8d0","source_name":"nodejs",
               "modularity_label":"nodejs:{node_stream}:8070020221209184812:abc","purl":"pkg:rpm/oracle/nodejs","path":"/var/lib/rpm/rpmdb.sqlite","found_by":"rpm"}}]}}"#
        ))
        .unwrap()
    };
    let names = |ssl: &str, stream: &str| -> Vec<String> {
        let r = hull_match::match_inventory(&inv(ssl, stream), &db).unwrap();
        assert_eq!(r.coverage.unchecked(), 0);
        assert!(r.findings.iter().all(|f| f.id == "CVE-2023-0286"));
        r.findings.iter().map(|f| f.package.name.clone()).collect()
    };
    assert_eq!(names("1:1.1.1k-7.el8_6", "18"), ["nodejs", "openssl-libs"]);
    assert_eq!(names("1.1.1k-10.el8_7", "16"), ["openssl-libs"]);
    assert!(names("1:1.1.1k-9.el8_7", "16").is_empty());
}

/// Photon OS 4.0 from its CVE metadata (source rpm names, rpm order with the `.ph4`
/// dist tag). Edge cases: zlib 1.2.12-10.ph4 is newer than the fix 1.2.12-2.ph4
/// (numeric, not lexical, release segments); curl equals its fix; bash has no fix yet.
#[test]
fn photon_4_from_cve_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("cve_data_photon4.0.json");
    std::fs::write(
        &feed,
        include_str!("../../../../fuzz/corpus/feed_photon/cve_data_photon4.0.json"),
    )
    .unwrap();
    let db = build_db(tmp.path(), "photon", &[feed]);
    let pkg = |name: &str, src: &str, v: &str| {
        format!(
            r#"{{"ecosystem":"rpm","name":"{name}","version":"{v}","source_name":"{src}","source_version":"{v}",
            "purl":"pkg:rpm/photon/{name}@{v}","path":"/var/lib/rpm/rpmdb.sqlite","found_by":"rpm"}}"#
        )
    };
    let inv: Inventory = serde_json::from_str(&format!(
        r#"{{"image":{{"target":"t"}},"distro":{{"id":"photon","version_id":"4.0","path":"/etc/os-release"}},"packages":[{},{},{},{}]}}"#,
        pkg("openssl-libs", "openssl", "3.0.8-0.ph4"),
        pkg("zlib", "zlib", "1.2.12-10.ph4"),
        pkg("libcurl", "curl", "8.1.2-4.ph4"),
        pkg("bash", "bash", "5.0-4.ph4"),
    ))
    .unwrap();
    let r = hull_match::match_inventory(&inv, &db).unwrap();
    assert_eq!(r.coverage.unchecked(), 0);
    let got: Vec<(&str, &str, &FixState)> = r
        .findings
        .iter()
        .map(|f| (f.package.name.as_str(), f.id.as_str(), &f.fix))
        .collect();
    assert_eq!(
        got,
        [
            ("bash", "CVE-2023-0001", &FixState::NotFixed),
            (
                "openssl-libs",
                "CVE-2023-0286",
                &FixState::Fixed("3.0.8-1.ph4".into())
            ),
        ]
    );
}

/// CBL-Mariner 2.0 from Microsoft's OVAL (tests, objects and states followed). Edge
/// cases: `less than or equal` (no fix yet: vim at exactly 9.0.2121-1.cm2 is affected,
/// a later build is not) and the `.cm2` dist tag in rpm order (openssl 1.1.1k-9.cm2 is
/// older than 1.1.1k-22.cm2).
#[test]
fn mariner_2_from_oval() {
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("cbl-mariner-2.0-oval.xml");
    std::fs::write(
        &feed,
        include_str!("../../../../fuzz/corpus/feed_mariner_oval/cbl-mariner-2.0-oval.xml"),
    )
    .unwrap();
    let db = build_db(tmp.path(), "mariner", &[feed]);
    let inv = |vim: &str| -> Inventory {
        let pkg = |name: &str, v: &str| {
            format!(
                r#"{{"ecosystem":"rpm","name":"{name}","version":"{v}","source_name":"{name}","source_version":"{v}",
                "purl":"pkg:rpm/mariner/{name}@{v}","path":"/var/lib/rpm/rpmdb.sqlite","found_by":"rpm"}}"#
            )
        };
        serde_json::from_str(&format!(
            r#"{{"image":{{"target":"t"}},"distro":{{"id":"mariner","version_id":"2.0","path":"/etc/os-release"}},"packages":[{},{},{}]}}"#,
            pkg("openssl", "1.1.1k-9.cm2"),
            pkg("curl", "8.5.0-1.cm2"),
            pkg("vim", vim),
        ))
        .unwrap()
    };
    let ids = |vim: &str| -> Vec<(String, FixState)> {
        let r = hull_match::match_inventory(&inv(vim), &db).unwrap();
        assert_eq!(r.coverage.unchecked(), 0);
        r.findings
            .iter()
            .map(|f| (f.id.clone(), f.fix.clone()))
            .collect()
    };
    assert_eq!(
        ids("9.0.2121-1.cm2"),
        [
            (
                "CVE-2023-0286".to_string(),
                FixState::Fixed("1.1.1k-22.cm2".into())
            ),
            ("CVE-2024-0002".to_string(), FixState::NotFixed),
        ]
    );
    assert_eq!(ids("9.0.2121-2.cm2").len(), 1);
}
