//! Store behaviour: schema versioning, atomic replace, failed sources keep data.

use hull_model::Namespace;
use hull_vulndb::feed;
use hull_vulndb::store::{self, Db, SourceData, SourceUpdate, StoreError};

fn alpine(fixed: &str) -> SourceData {
    let y = format!("distroversion: v3.9\nreponame: main\npackages:\n  - pkg:\n      name: musl\n      secfixes:\n        {fixed}:\n          - CVE-2019-14697\n");
    let p = feed::parse(feed::Format::AlpineYaml, "t.yaml", y.as_bytes()).unwrap();
    SourceData {
        formats: vec![feed::Format::AlpineYaml],
        origin: "test".into(),
        advisories: p.advisories,
        ..Default::default()
    }
}

#[test]
fn write_lookup_replace_and_keep_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/hull.db");
    assert!(matches!(Db::open(&path), Err(StoreError::Missing(_))));
    store::write(
        &path,
        vec![SourceUpdate {
            name: "a".into(),
            result: Ok(alpine("1.1.20-r5")),
        }],
        "t1",
    )
    .unwrap();
    let ns = Namespace::distro("alpine", "3.9");
    let db = Db::open(&path).unwrap();
    let found = db.lookup(&ns, "musl").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].source, "a");
    assert!(db.lookup(&ns, "openssl").unwrap().is_empty());
    // A reader opened before the swap keeps seeing the old file.
    store::write(
        &path,
        vec![SourceUpdate {
            name: "a".into(),
            result: Ok(alpine("1.1.20-r6")),
        }],
        "t2",
    )
    .unwrap();
    assert_eq!(db.lookup(&ns, "musl").unwrap()[0].id, "musl@1.1.20-r5");
    let db2 = Db::open(&path).unwrap();
    assert_eq!(db2.lookup(&ns, "musl").unwrap()[0].id, "musl@1.1.20-r6");
    // A failing refresh keeps the previous rows and records the error.
    let r = store::write(
        &path,
        vec![SourceUpdate {
            name: "a".into(),
            result: Err("truncated".into()),
        }],
        "t3",
    )
    .unwrap();
    assert_eq!(r.sources[0].records, 1);
    let db3 = Db::open(&path).unwrap();
    assert_eq!(db3.lookup(&ns, "musl").unwrap().len(), 1);
    let s = &db3.sources().unwrap()[0];
    assert_eq!(
        (s.status.as_str(), s.error.as_deref(), s.updated_at.as_str()),
        ("error", Some("truncated"), "t2")
    );
    // No temporary files are left behind.
    let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn newer_schema_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hull.db");
    store::write(&path, vec![], "t").unwrap();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let e = Db::open(&path).unwrap_err().to_string();
    assert!(e.contains("schema v99") && e.contains("newer"), "{e}");
    assert!(store::write(&path, vec![], "t").is_err());
    std::fs::write(&path, b"not a database at all, definitely not").unwrap();
    assert!(Db::open(&path).is_err());
}
