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
