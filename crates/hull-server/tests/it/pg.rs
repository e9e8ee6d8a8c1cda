//! The PostgreSQL store against a real, throwaway PostgreSQL (Debian's binaries),
//! the store-level checks shared with SQLite, and two replicas on one database.

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use hull_model::Severity;
use hull_server::store::{NewAudit, NewScan, PgStore, ScanKind, SqliteStore, Store, StoreError};
use hull_server::upload::ImageRef;
use hull_server::{App, Config};

use hull_testkit::pg::PgServer;

use crate::{inventory, npm, npm_advisory, wait_for, write_db, Receiver};

fn image(repo: &str, tag: &str) -> ImageRef {
    ImageRef::new(repo, Some(tag), None).unwrap()
}

fn new_scan<'a>(
    inventory: &'a hull_model::Inventory,
    findings: &'a [hull_model::Finding],
    vulndb: &'a hull_server::rescan::DbIdentity,
    rescan_of: Option<i64>,
) -> NewScan<'a> {
    NewScan {
        kind: if rescan_of.is_some() {
            ScanKind::Rescan
        } else {
            ScanKind::Push
        },
        scanned_at: 1_800_000_000,
        inventory,
        findings,
        vulndb: Some(vulndb),
        rescan_of,
    }
}

fn new_audit<'a>(
    report: &'a serde_json::Value,
    findings: &'a [hull_server::store::AuditRow],
) -> NewAudit<'a> {
    NewAudit {
        ran_at: 1_800_000_000,
        files: 1,
        errors: 0,
        report,
        findings,
    }
}

/// The store-level rules every backend must keep, through the trait only.
fn store_rules(store: &dyn Store, dir: &Path) {
    let vulndb = dir.join("rules-hull.db");
    write_db(
        &vulndb,
        vec![
            npm_advisory("GHSA-aaaa-0000-0001", "alpha", "2.0.0", Severity::High),
            npm_advisory("GHSA-bbbb-0000-0002", "beta", "2.0.0", Severity::Low),
        ],
        "2026-01-01T00:00:00Z",
    );
    let db = hull_server::rescan::open(&vulndb).unwrap().unwrap();
    let app1 = image("team/app", "1");
    let id = &db.identity;
    // First push: findings, none "new" (no baseline yet).
    let a = inventory("team/app:1", vec![npm("alpha", "1.0.0")]);
    let fa = hull_server::rescan::findings_of(&a, Some(&db)).unwrap();
    assert_eq!(fa.len(), 1);
    let first = store
        .record_scan(&app1, new_scan(&a, &fa, id, None))
        .unwrap()
        .unwrap();
    assert!(!first.had_previous);
    assert!(first.new_findings.is_empty());
    assert_eq!(first.scan.counts.high, 1);
    assert_eq!(first.scan.packages, 1);
    // Second push adds beta: exactly that one is new; duplicates are stored once.
    let b = inventory(
        "team/app:1",
        vec![npm("alpha", "1.0.0"), npm("beta", "1.5.0")],
    );
    let mut fb = hull_server::rescan::findings_of(&b, Some(&db)).unwrap();
    fb.push(fb[0].clone());
    let second = store
        .record_scan(&app1, new_scan(&b, &fb, id, None))
        .unwrap()
        .unwrap();
    assert!(second.had_previous);
    let new: Vec<&str> = second
        .new_findings
        .iter()
        .map(|r| r.advisory_id.as_str())
        .collect();
    assert_eq!(new, ["GHSA-bbbb-0000-0002"]);
    assert_eq!(second.scan.counts.total(), 2);
    assert_eq!(second.scan.new_findings, 1);
    // A rescan based on the first scan is stale now: not recorded.
    assert!(store
        .record_scan(&app1, new_scan(&a, &fa, id, Some(first.scan.id)))
        .unwrap()
        .is_none());
    let other = image("team/other", "9");
    store
        .record_scan(&other, new_scan(&a, &fa, id, None))
        .unwrap()
        .unwrap();
    let latest = store.latest_scans().unwrap();
    assert_eq!(latest.len(), 2);
    assert_eq!(latest[0].scan_id, second.scan.id);
    assert_eq!(latest[0].image, app1);
    let inv = store.inventory_of(second.scan.id).unwrap().unwrap();
    assert_eq!(inv.packages.len(), 2);
    assert!(store.inventory_of(12345).unwrap().is_none());
    // Versions, filtered and not.
    let all = store.versions(None).unwrap();
    assert_eq!(all.len(), 2);
    let app_versions = store.versions(Some("team/app")).unwrap();
    assert_eq!(app_versions.len(), 1);
    assert_eq!(app_versions[0].scans, 2);
    assert_eq!(
        app_versions[0].latest_scan.as_ref().map(|s| s.id),
        Some(second.scan.id)
    );
    assert!(store.versions(Some("nope")).unwrap().is_empty());
    // The stored scan round-trips.
    let stored = store.scan(second.scan.id).unwrap().unwrap();
    assert_eq!(stored.image, app1);
    assert_eq!(stored.summary, second.scan);
    assert_eq!(stored.findings.len(), 3, "the full findings as pushed");
    assert!(store.scan(999_999).unwrap().is_none());
    let recent = store.recent_new_findings(10).unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].finding.package, "beta");
    assert_eq!(recent[0].finding.fixed.as_deref(), Some("2.0.0"));
    assert!(recent[0].finding.new);
    // Meta upserts.
    assert_eq!(store.get_meta("k").unwrap(), None);
    store.set_meta("k", "v1").unwrap();
    store.set_meta("k", "v2").unwrap();
    assert_eq!(store.get_meta("k").unwrap().as_deref(), Some("v2"));
    // Audits: the second run's new finding is the one absent from the first.
    let row = |check: &str| hull_server::store::AuditRow {
        path: "k8s/deploy.yaml".into(),
        check_id: check.into(),
        severity: Severity::High,
        workload: "Deployment/web".into(),
        container: "web".into(),
        message: "m".into(),
        new: false,
    };
    let report = serde_json::json!({"files": []});
    let r1 = store
        .record_audit(new_audit(&report, &[row("k8s:privileged")]))
        .unwrap();
    assert!(!r1.had_previous && r1.new_findings.is_empty());
    let r2 = store
        .record_audit(new_audit(
            &report,
            &[row("k8s:privileged"), row("k8s:host-network")],
        ))
        .unwrap();
    assert_eq!(r2.new_findings.len(), 1);
    assert_eq!(r2.new_findings[0].check_id, "k8s:host-network");
    assert_eq!(r2.summary.counts.high, 2);
    let runs = store.audits(10).unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        [r2.summary.id, r1.summary.id]
    );
    let (s, rep) = store.audit(r2.summary.id).unwrap().unwrap();
    assert_eq!(s, r2.summary);
    assert_eq!(rep, report);
    assert!(store.audit(424_242).unwrap().is_none());
    // A scan with more findings than one multi-row insert holds (64): all stored.
    let many: Vec<hull_model::Finding> = (0..150)
        .map(|i| {
            let mut f = fa[0].clone();
            f.package.path =
                hull_model::ImagePath::new(&format!("srv/{i}/node_modules/alpha/package.json"))
                    .unwrap();
            f
        })
        .collect();
    let big = image("team/big", "1");
    let rec = store
        .record_scan(&big, new_scan(&a, &many, id, None))
        .unwrap()
        .unwrap();
    assert_eq!(rec.scan.counts.high, 150);
    let paths: std::collections::BTreeSet<String> = store
        .scan(rec.scan.id)
        .unwrap()
        .unwrap()
        .findings
        .iter()
        .map(|f| f.package.path.as_str().to_string())
        .collect();
    assert_eq!(paths.len(), 150);
}

#[test]
fn store_rules_hold_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("s.db")).unwrap();
    store_rules(&sqlite, dir.path());
    let Some(pg) = PgServer::start() else { return };
    let store = PgStore::connect(&pg.database("rules")).unwrap();
    store_rules(&store, dir.path());
    // Reopening finds the same data (and does not recreate the schema).
    drop(store);
    let again = PgStore::connect(&pg.url("rules")).unwrap();
    assert_eq!(again.versions(None).unwrap().len(), 3);
    assert!(format!("{again:?}").contains("127.0.0.1"));
}

#[test]
fn postgres_newer_schema_is_refused_and_bad_urls_are_clear() {
    let Some(pg) = PgServer::start() else { return };
    let url = pg.database("newer");
    drop(PgStore::connect(&url).unwrap());
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute("UPDATE schema_version SET version = 99")
        .unwrap();
    match PgStore::connect(&url) {
        Err(e @ StoreError::TooNew { found: 99, .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("newer than this hull"), "{msg}");
            assert!(msg.contains(&format!("127.0.0.1:{}", pg.port())), "{msg}");
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    // Untouched: still v99, no second version row.
    let n: i64 = c
        .query_one("SELECT COUNT(*) FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    // A database that does not exist, a port nobody listens on: clear errors that
    // name the store without the password.
    let missing = format!("postgres://hull:pw@127.0.0.1:{}/nosuchdb", pg.port());
    let e = PgStore::connect(&missing).unwrap_err().to_string();
    assert!(e.contains("nosuchdb") && !e.contains("pw"), "{e}");
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let e = PgStore::connect(&format!("postgres://hull@127.0.0.1:{port}/x"))
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("127.0.0.1:{port}")), "{e}");
}

fn replica(url: &str, vulndb: &Path, hook: &str) -> App {
    let store: Arc<dyn Store> = Arc::new(PgStore::connect(url).unwrap());
    App::new(
        store,
        Config {
            vulndb: vulndb.to_path_buf(),
            webhooks: vec![hook.to_string()],
            rescan_interval: Duration::from_secs(3600),
            log: Arc::new(|l| eprintln!("replica: {l}")),
            ..Config::default()
        },
    )
    .unwrap()
}

fn push(app: &App, repo_tag: &str, pkgs: Vec<hull_model::Package>) {
    let body = serde_json::json!({ "inventory": inventory(repo_tag, pkgs) }).to_string();
    app.push(body.as_bytes(), "test").unwrap();
}

/// Both replicas check the database at the same moment: how many rescanned.
fn race(a: &Arc<App>, b: &Arc<App>) -> usize {
    let go = Arc::new(Barrier::new(2));
    let threads: Vec<_> = [a.clone(), b.clone()]
        .into_iter()
        .map(|app| {
            let go = go.clone();
            std::thread::spawn(move || {
                go.wait();
                app.check_vulndb().unwrap().is_some()
            })
        })
        .collect();
    threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|ran| *ran)
        .count()
}

#[test]
fn two_replicas_rescan_and_notify_once() {
    let Some(pg) = PgServer::start() else { return };
    let url = pg.database("replicas");
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    let hooks = Receiver::start();
    let a = Arc::new(replica(&url, &vulndb, &hooks.url));
    let b = Arc::new(replica(&url, &vulndb, &hooks.url));
    write_db(
        &vulndb,
        vec![npm_advisory(
            "GHSA-aaaa-0000-0001",
            "alpha",
            "2.0.0",
            Severity::High,
        )],
        "2026-01-01T00:00:00Z",
    );
    // Pushes from both replicas are all kept.
    push(
        &a,
        "shop/web:1",
        vec![npm("alpha", "1.0.0"), npm("beta", "1.0.0")],
    );
    push(&b, "shop/api:1", vec![npm("beta", "1.0.0")]);
    push(
        &b,
        "shop/web:1",
        vec![npm("alpha", "1.0.0"), npm("beta", "1.0.0")],
    );
    let versions = a.store.versions(None).unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions.iter().map(|v| v.scans).sum::<u64>(), 3);

    // The first database: one replica rescans it, the other skips.
    assert_eq!(race(&a, &b), 1, "exactly one replica rescans");
    assert!(a.check_vulndb().unwrap().is_none());
    assert!(b.check_vulndb().unwrap().is_none());

    // While a third process holds the lock of the next database, neither rescans.
    std::thread::sleep(Duration::from_millis(20)); // a distinct mtime for the new file
    write_db(
        &vulndb,
        vec![
            npm_advisory("GHSA-aaaa-0000-0001", "alpha", "2.0.0", Severity::High),
            npm_advisory("GHSA-bbbb-0000-0002", "beta", "2.0.0", Severity::Critical),
        ],
        "2026-02-01T00:00:00Z",
    );
    let fp = hull_server::rescan::fingerprint(&vulndb).unwrap();
    let holder = PgStore::connect(&url).unwrap();
    let guard = holder.lock_rescan(&fp).unwrap().expect("the lock is free");
    assert!(holder.lock_rescan(&fp).unwrap().is_none(), "and exclusive");
    assert!(a.check_vulndb().unwrap().is_none());
    assert!(b.check_vulndb().unwrap().is_none());
    drop(guard);

    // Released: one replica rescans; beta is new in both images: one notice each.
    assert_eq!(race(&a, &b), 1, "exactly one replica rescans");
    assert!(a.check_vulndb().unwrap().is_none());
    assert!(b.check_vulndb().unwrap().is_none());
    wait_for(20, "two notices", || hooks.received().len() >= 2);
    std::thread::sleep(Duration::from_millis(500));
    let got = hooks.received();
    assert_eq!(
        got.len(),
        2,
        "one notice per image with new findings: {got:#?}"
    );
    let mut ids: Vec<(String, String)> = got
        .iter()
        .map(|n| {
            (
                n["image"]["repository"].as_str().unwrap().to_string(),
                n["advisory_ids"].to_string(),
            )
        })
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            (
                "shop/api".to_string(),
                r#"["GHSA-bbbb-0000-0002"]"#.to_string()
            ),
            (
                "shop/web".to_string(),
                r#"["GHSA-bbbb-0000-0002"]"#.to_string()
            ),
        ]
    );
    // 3 pushes + 1 rescan of 2 images: the rescan against the first database found
    // what the pushes found (a checked-at stamp, no rows); the second changed both.
    let versions = b.store.versions(None).unwrap();
    assert_eq!(versions.iter().map(|v| v.scans).sum::<u64>(), 5);
    let new = b.store.recent_new_findings(10).unwrap();
    assert_eq!(new.len(), 2, "{new:#?}");
}

#[test]
fn concurrent_pushes_of_one_image_from_two_replicas_see_each_other() {
    let Some(pg) = PgServer::start() else { return };
    let url = pg.database("pushes");
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    // Many findings per push: recording takes long enough that two unserialised
    // transactions would both read the same previous scan.
    let names: Vec<String> = (0..150).map(|i| format!("pkg-{i}")).collect();
    write_db(
        &vulndb,
        names
            .iter()
            .map(|n| npm_advisory(&format!("GHSA-{n}"), n, "2.0.0", Severity::High))
            .collect(),
        "2026-01-01T00:00:00Z",
    );
    let hooks = Receiver::start();
    let a = Arc::new(replica(&url, &vulndb, &hooks.url));
    let b = Arc::new(replica(&url, &vulndb, &hooks.url));
    let at = |v: &str| names.iter().map(|n| npm(n, v)).collect::<Vec<_>>();
    push(&a, "shop/web:1", at("3.0.0"));
    // Both replicas record the same new findings at once: the per-image lock orders
    // them, so only the first calls them new.
    let go = Arc::new(Barrier::new(2));
    // (Different inventories: equal ones would already wait on each other, on the
    // unique inventory row.)
    let threads: Vec<_> = [(a.clone(), "extra-a"), (b.clone(), "extra-b")]
        .into_iter()
        .map(|(app, extra)| {
            let go = go.clone();
            let mut pkgs = at("1.0.0");
            pkgs.push(npm(extra, "1.0.0"));
            std::thread::spawn(move || {
                go.wait();
                push(&app, "shop/web:1", pkgs);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    wait_for(20, "a notice", || !hooks.received().is_empty());
    std::thread::sleep(Duration::from_millis(500));
    let got = hooks.received();
    assert_eq!(got.len(), 1, "one notice, from the first push");
    assert_eq!(got[0]["findings"].as_array().map(Vec::len), Some(150));
    assert_eq!(a.store.recent_new_findings(1000).unwrap().len(), 150);
}

#[test]
fn postgres_over_tls_require_and_verify_full() {
    use hull_server::store::PgStore;
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "hull test PostgreSQL CA");
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let Some(pg) = PgServer::start_tls(&leaf.pem(), &key.serialize_pem()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let other_key = rcgen::KeyPair::generate().unwrap();
    let mut other = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    other.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other = other.self_signed(&other_key).unwrap();
    let other_file = dir.path().join("other.pem");
    std::fs::write(&other_file, other.pem()).unwrap();
    let url = pg.database("tls");

    // The cluster takes TCP clients over TLS only (hostssl): plain TCP is refused.
    let e = PgStore::connect(&url).unwrap_err().to_string();
    assert!(e.contains("127.0.0.1"), "{e}");
    // verify-full with the right CA: a working store.
    let verified = format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        ca_file.display()
    );
    let store = PgStore::connect(&verified).unwrap();
    store.set_meta("tls-test", "ok").unwrap();
    assert_eq!(store.get_meta("tls-test").unwrap().as_deref(), Some("ok"));
    // The wrong CA: refused (the certificate is checked).
    let wrong = format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        other_file.display()
    );
    let e = PgStore::connect(&wrong).unwrap_err().to_string();
    assert!(!e.is_empty());
    // require: encrypted without checking the certificate.
    let store = PgStore::connect(&format!("{url}?sslmode=require")).unwrap();
    assert_eq!(store.get_meta("tls-test").unwrap().as_deref(), Some("ok"));
    // Mistakes are clear.
    for (u, want) in [
        (format!("{url}?sslmode=prefer"), "not supported"),
        (format!("{url}?sslrootcert=/x"), "verify-full"),
        (
            format!("{url}?sslmode=verify-full&sslrootcert=/no/such.pem"),
            "/no/such.pem",
        ),
    ] {
        let e = PgStore::connect(&u).unwrap_err().to_string();
        assert!(e.contains(want), "{u}: {e}");
    }
}
