//! `hull db` and `hull image` through the real binary: import, status, export/restore,
//! a corrupted import keeping the previous data, exit codes and filters.

use std::process::Command;

use serde_json::Value;

fn hull(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hull"))
        .args(args)
        .env("HULL_DB", db)
        .env_remove("HULL_DB_MIRROR")
        .output()
        .unwrap()
}

#[test]
fn db_import_status_export_and_image_exit_codes() {
    let Some(c) = super::corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let feed = c.join("feeds/alpine/secdb-yaml/v3.9/main.yaml");
    let out = hull(&db, &["db", "import", feed.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("alpine-secdb:v3.9-main"));

    let status: Value =
        serde_json::from_slice(&hull(&db, &["db", "status", "--format", "json"]).stdout).unwrap();
    assert_eq!(status["schema_version"], 1);
    assert_eq!(status["sources"][0]["records"], 447);

    // A corrupted file for the same source fails (exit 2) and keeps the 447 records.
    let bad = tmp.path().join("main.json");
    std::fs::write(
        &bad,
        br#"{"distroversion":"v3.9","reponame":"main","packages":[{"pkg":"#,
    )
    .unwrap();
    let out = hull(
        &db,
        &[
            "db",
            "import",
            bad.to_str().unwrap(),
            "--source",
            "alpine-secdb:v3.9-main",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let status: Value =
        serde_json::from_slice(&hull(&db, &["db", "status", "--format", "json"]).stdout).unwrap();
    assert_eq!(status["sources"][0]["records"], 447);
    assert_eq!(status["sources"][0]["status"], "error");

    // Export, restore elsewhere, scan a stored inventory against the restored copy.
    let bundle = tmp.path().join("db.bundle");
    assert!(hull(&db, &["db", "export", bundle.to_str().unwrap()])
        .status
        .success());
    let db2 = tmp.path().join("restored/hull.db");
    assert!(hull(&db2, &["db", "import", bundle.to_str().unwrap()])
        .status
        .success());
    let inv = tmp.path().join("inv.json");
    std::fs::write(
        &inv,
        r#"{"image":{"target":"t"},"distro":{"id":"alpine","version_id":"3.9.4","path":"/etc/os-release"},
        "packages":[{"ecosystem":"apk","name":"musl","version":"1.1.20-r4","source_name":"musl",
        "source_version":"1.1.20-r4","purl":"pkg:apk/alpine/musl@1.1.20-r4","path":"/lib/apk/db/installed","found_by":"apk"}]}"#,
    )
    .unwrap();
    let target = format!("inventory:{}", inv.display());
    let out = hull(
        &db2,
        &["image", &target, "--format", "json", "--exit-code", "1"],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["id"], "CVE-2019-14697");
    assert_eq!(
        report["findings"][0]["evidence"]["rule"],
        "1.1.20-r4 < 1.1.20-r5"
    );
    // Filters: severity (the finding is `unknown`) and an ignore file.
    let out = hull(
        &db2,
        &[
            "image",
            &target,
            "--severity",
            "critical",
            "--exit-code",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let ignore = tmp.path().join("ignore");
    std::fs::write(&ignore, "CVE-2019-14697 musl # accepted\n").unwrap();
    let out = hull(
        &db2,
        &[
            "image",
            &target,
            "--ignore-file",
            ignore.to_str().unwrap(),
            "--exit-code",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    // A database from a newer hull is refused with one clear line and exit 2.
    set_schema_version_99(&db2);
    let out = hull(&db2, &["image", &target]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer than this hull"));
}

/// Set `PRAGMA user_version` without a SQLite dependency in this crate: the header
/// field is a big-endian u32 at byte 60 of the file.
fn set_schema_version_99(db: &std::path::Path) {
    let mut bytes = std::fs::read(db).unwrap();
    bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
    std::fs::write(db, bytes).unwrap();
}

/// The legacy corpus images as `hull image` targets.
fn legacy_target(c: &std::path::Path, id: &str) -> String {
    let base = c.join("images/legacy");
    let tar = base.join(format!("{id}.docker.tar"));
    if tar.is_file() {
        format!("docker-archive:{}", tar.display())
    } else {
        format!("oci-dir:{}", base.join(format!("{id}.oci")).display())
    }
}

/// Ubuntu 18.04 against Canonical's OSV records: Pro-only fixes are findings marked
/// `extended-support` ("Ubuntu Pro" in the table); the release is past its end of
/// life; checked and unchecked packages are counted apart in every format, and
/// `--fail-on-unchecked` fails a scan whose OS packages the database cannot check.
#[test]
fn ubuntu_pro_fixes_eol_warning_and_honest_summaries() {
    let Some(c) = super::corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let feed = c.join("feeds/ubuntu-osv/osv/usn");
    let out = hull(&db, &["db", "import", feed.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ubuntu = legacy_target(&c, "ubuntu-18.04.5-guestbook");
    let out = hull(&db, &["image", &ubuntu, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ubuntu 18.04 reached its end of life on 2023-05-31"),
        "{err}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 24);
    let pro: Vec<&Value> = findings
        .iter()
        .filter(|f| f["fix"]["state"] == "extended-support")
        .collect();
    assert!(!pro.is_empty());
    assert!(pro
        .iter()
        .all(|f| f["evidence"]["namespace"] == "ubuntu-pro:18.04"));
    let s = &report["summary"];
    assert_eq!(s["unchecked"], 0);
    assert_eq!(s["checked"], s["packages"]);
    assert_eq!(s["by_ecosystem"]["deb"]["checked"], s["packages"]);
    // --ignore-unfixed keeps Pro-only fixes: a fix exists, for a subscription.
    let out = hull(
        &db,
        &["image", &ubuntu, "--format", "json", "--ignore-unfixed"],
    );
    let r2: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r2["findings"].as_array().unwrap().len(), 24);
    let out = hull(&db, &["image", &ubuntu]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("(Ubuntu Pro)"), "{table}");
    assert!(table.contains(" checked (deb "), "{table}");

    // An Alpine image against an Ubuntu-only database: nothing could be checked.
    let alpine = legacy_target(&c, "alpine-3.11.5");
    let out = hull(
        &db,
        &["image", &alpine, "--exit-code", "3", "--scanners", "vuln"],
    );
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("No vulnerabilities found in the 0 packages checked;"),
        "{table}"
    );
    assert!(
        table.contains("apk packages not checked: no advisories for alpine:3.11"),
        "{table}"
    );
    let out = hull(
        &db,
        &[
            "image",
            &alpine,
            "--exit-code",
            "3",
            "--fail-on-unchecked",
            "--scanners",
            "vuln",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let out = hull(&db, &["image", &alpine, "--fail-on-unchecked"]);
    assert_eq!(out.status.code(), Some(1));
    let out = hull(&db, &["image", &alpine, "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let props = &sarif["runs"][0]["properties"];
    assert_eq!(props["packagesChecked"], 0);
    assert!(props["packagesUnchecked"].as_u64().unwrap() > 0);
    let out = hull(&db, &["image", &alpine, "--format", "json"]);
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["summary"]["checked"], 0);
    assert_eq!(j["summary"]["unchecked"], j["summary"]["packages"]);
}

/// Done-means: `hull image` warns about every corpus image whose release is past its
/// end of life (CentOS 5–8, Debian 8–10, Ubuntu 18.04, Alpine ≤ 3.11, and SLES 15 SP3,
/// whose general support ended 2022-12-31), and not about Amazon Linux 2023.
#[test]
fn eol_warning_fires_for_every_end_of_life_corpus_image() {
    let Some(c) = super::corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let feed = c.join("feeds/ubuntu-osv/osv/usn");
    assert!(hull(&db, &["db", "import", feed.to_str().unwrap()])
        .status
        .success());
    let eol = [
        ("centos-5.11", "centos 5 "),
        ("centos-6.10", "centos 6 "),
        ("centos-7.5.1804", "centos 7 "),
        ("centos-8.2.2004-modules", "centos 8 "),
        ("debian-8.7-jira", "debian 8 "),
        ("debian-10.7-drupal", "debian 10 "),
        ("ubuntu-18.04-trivy-dpkg", "ubuntu 18.04 "),
        ("ubuntu-18.04.5-guestbook", "ubuntu 18.04 "),
        ("alpine-3.4-clair-fixture", "alpine 3.4 "),
        ("alpine-3.9.4", "alpine 3.9 "),
        ("alpine-3.9.6-minirootfs", "alpine 3.9 "),
        ("alpine-3.10.2", "alpine 3.10 "),
        ("alpine-3.11.5", "alpine 3.11 "),
        ("sles-15.3-bci", "sles 15.3 "),
    ];
    for (id, what) in eol {
        let out = hull(&db, &["image", &legacy_target(&c, id), "--format", "json"]);
        assert!(
            out.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("warning: {what}reached its end of life")),
            "{id}: {err}"
        );
    }
    // Amazon Linux 2023 is supported until 2029-06-30.
    let out = hull(
        &db,
        &[
            "image",
            &legacy_target(&c, "amazonlinux-2023.1"),
            "--format",
            "json",
        ],
    );
    let today = hull_testkit_today();
    if today.as_str() < "2029-06-30" {
        assert!(!String::from_utf8_lossy(&out.stderr).contains("end of life"));
    }
}

/// Today's UTC date from the system clock (`YYYY-MM-DD`), as `hull image` computes it.
fn hull_testkit_today() -> String {
    hull_report::vuln::today(&hull_report::WriteOptions::now())
}
