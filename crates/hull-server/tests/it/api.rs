//! The API with hand-written advisories (no corpus needed).

use std::io::{Read, Write};
use std::net::TcpStream;

use hull_model::Severity;
use hull_server::store::{SqliteStore, Store, StoreError};
use serde_json::{json, Value};

use crate::{inventory, npm, npm_advisory, wait_for, write_db, Harness};

fn push(h: &Harness, inv: &hull_model::Inventory) -> Value {
    let (code, body) = h.post(
        "/api/v1/scans",
        json!({ "inventory": inv }).to_string().as_bytes(),
    );
    assert_eq!(code, 201, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn count_scans(h: &Harness) -> (usize, u64) {
    let v = h.get_json("/api/v1/images");
    let images = v["images"].as_array().unwrap();
    let scans = images.iter().map(|i| i["scans"].as_u64().unwrap()).sum();
    (images.len(), scans)
}

#[test]
fn lifecycle_rescan_notify_recommend_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("vulndb/hull.db");
    // The first database knows only an old, unrelated advisory.
    write_db(
        &vulndb,
        vec![npm_advisory(
            "GHSA-aaaa-0000-0001",
            "other-lib",
            "1.0.0",
            Severity::Low,
        )],
        "2026-01-01T00:00:00Z",
    );
    let mut h = Harness::start(dir, vulndb.clone(), 1 << 20);
    let v1 = inventory(
        "web/shop:1.9.0",
        vec![npm("demo-lib", "2.0.0"), npm("util", "1.0.0")],
    );
    let v2 = inventory(
        "web/shop:1.10.0",
        vec![npm("demo-lib", "1.4.0"), npm("util", "1.0.0")],
    );
    let r1 = push(&h, &v1);
    let r2 = push(&h, &v2);
    assert_eq!(r1["image"]["repository"], "web/shop");
    assert_eq!(r2["image"]["tag"], "1.10.0");
    assert_eq!(r2["scan"]["counts"]["high"], 0);
    assert_eq!(r2["scan"]["matched"], true);

    // Swap in a database that knows about demo-lib < 2.0.0 (high) and util < 1.1 (low).
    std::thread::sleep(std::time::Duration::from_millis(20));
    write_db(
        &vulndb,
        vec![
            npm_advisory("GHSA-aaaa-0000-0001", "other-lib", "1.0.0", Severity::Low),
            npm_advisory("GHSA-demo-0000-0002", "demo-lib", "2.0.0", Severity::High),
            npm_advisory("GHSA-util-0000-0003", "util", "1.1.0", Severity::Low),
        ],
        "2026-02-01T00:00:00Z",
    );
    wait_for(20, "two webhook notices", || h.hooks.received().len() >= 2);
    // Every body is signed: HMAC-SHA256 of the exact bytes with the webhook's secret.
    for (sig, body) in h.hooks.signed.lock().unwrap().iter() {
        let want = format!(
            "sha256={}",
            hull_server::tokens::sign(crate::HOOK_SECRET, body)
        );
        assert_eq!(sig.as_deref(), Some(want.as_str()));
        assert_ne!(
            hull_server::tokens::sign(b"another secret", body),
            want[7..]
        );
    }
    // Let another few rescan periods pass: nothing may be sent twice.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let mut got = h.hooks.received();
    assert_eq!(got.len(), 2, "{got:#?}");
    got.sort_by_key(|n| n["image"]["tag"].as_str().unwrap().to_string());
    assert_eq!(got[0]["kind"], "new-findings");
    assert_eq!(got[0]["image"]["tag"], "1.10.0");
    assert_eq!(
        got[0]["advisory_ids"],
        json!(["GHSA-demo-0000-0002", "GHSA-util-0000-0003"])
    );
    assert_eq!(got[0]["by_severity"], json!({"high": 1, "low": 1}));
    assert_eq!(got[0]["vulndb_built_at"], "2026-02-01T00:00:00Z");
    assert_eq!(got[1]["image"]["tag"], "1.9.0");
    assert_eq!(got[1]["advisory_ids"], json!(["GHSA-util-0000-0003"]));

    // Versions: newest first by tag version (1.10.0 > 1.9.0 although pushed later).
    let vs = h.get_json("/api/v1/images/web%2Fshop/versions");
    assert_eq!(vs["order"], "tag-version");
    assert_eq!(vs["versions"][0]["tag"], "1.10.0");
    assert_eq!(vs["versions"][0]["latest_scan"]["kind"], "rescan");
    assert_eq!(vs["versions"][0]["latest_scan"]["counts"]["high"], 1);
    assert_eq!(vs["versions"][0]["latest_scan"]["new_findings"], 2);
    assert_eq!(vs["versions"][1]["latest_scan"]["counts"]["low"], 1);

    // Recommendation: high threshold → roll back to 1.9.0; low → nothing is safe.
    let r = h.get_json("/api/v1/images/web/shop/recommendation?severity=HIGH");
    assert_eq!(r["action"], "roll-back");
    assert_eq!(r["recommended"]["tag"], "1.9.0");
    assert_eq!(r["newest"]["tag"], "1.10.0");
    let r = h.get_json("/api/v1/images/web/shop/recommendation?severity=low");
    assert_eq!(r["action"], "none");
    let r = h.get_json("/api/v1/images/web/shop/recommendation?severity=critical&current=1.9.0");
    assert_eq!(r["action"], "roll-forward");
    assert_eq!(r["recommended"]["tag"], "1.10.0");

    // The findings of a scan, in the hull JSON report shape.
    let scan_id = vs["versions"][0]["latest_scan"]["id"].as_i64().unwrap();
    let rep = h.get_json(&format!("/api/v1/scans/{scan_id}/findings"));
    assert_eq!(rep["kind"], "vulnerability-report");
    assert_eq!(rep["summary"]["reported"], 2);
    assert_eq!(rep["summary"]["by_severity"]["high"], 1);
    assert_eq!(rep["findings"][0]["package"]["name"], "demo-lib");
    assert_eq!(rep["image_ref"]["repository"], "web/shop");

    // An explicit rescan with the same database finds nothing new and notifies nobody.
    let (code, body) = h.post("/api/v1/rescan", b"");
    assert_eq!(code, 200, "{body}");
    let o: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (o["images"].as_u64(), o["new_findings"].as_u64()),
        (Some(2), Some(0))
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(h.hooks.received().len(), 2);

    // Dashboard and metrics.
    let (code, html) = h.get("/");
    assert_eq!(code, 200);
    assert!(
        html.contains("web/shop") && html.contains("GHSA-demo-0000-0002"),
        "{html}"
    );
    let (code, html) = h.get("/images/web/shop");
    assert_eq!(code, 200);
    assert!(
        html.contains("roll back") && html.contains("web/shop:1.9.0"),
        "{html}"
    );
    let (_, m) = h.get("/metrics");
    assert!(m.contains("hull_server_scans_received_total 2"), "{m}");
    assert!(m.contains("hull_server_new_findings_total 3"), "{m}");
    assert!(m.contains("hull_server_webhook_sent_total 2"), "{m}");
    for name in hull_server::http::METRIC_NAMES {
        assert!(m.contains(name), "{name} missing");
    }
    assert_eq!(h.get("/healthz"), (200, "ok\n".to_string()));

    // The store reopens after the server stops, with everything in it.
    h.stop();
    let store = SqliteStore::open(&h.store_path).unwrap();
    let versions = store.versions(Some("web/shop")).unwrap();
    assert_eq!(versions.len(), 2);
    let scans: u64 = versions.iter().map(|v| v.scans).sum();
    // Rescans that found what the previous scan found added no row (retention).
    assert_eq!(
        scans, 4,
        "2 pushes + 1 rescan that changed the findings of 2 images"
    );
    let s = store.scan(scan_id).unwrap().unwrap();
    assert_eq!(s.findings.len(), 2);
    assert_eq!(s.inventory.packages.len(), 2);
    assert_eq!(store.recent_new_findings(10).unwrap().len(), 3);
}

#[test]
fn bad_requests_are_4xx_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    write_db(&vulndb, vec![], "2026-01-01T00:00:00Z");
    let h = Harness::start(dir, vulndb, 4096);
    push(&h, &inventory("app:1", vec![npm("x", "1.0.0")]));
    let before = count_scans(&h);

    let too_big = json!({ "inventory": inventory("app:2", (0..200).map(|i| npm(&format!("p{i}"), "1.0.0")).collect()) });
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        ("POST", "/api/v1/scans", b"{not json".to_vec(), 400),
        ("POST", "/api/v1/scans", b"[1,2]".to_vec(), 400),
        ("POST", "/api/v1/scans", b"{\"inventory\": {\"packages\": 3}}".to_vec(), 400),
        ("POST", "/api/v1/scans", json!({"image": {"repository": "../../etc"}, "inventory": inventory("a:1", vec![])}).to_string().into_bytes(), 400),
        ("POST", "/api/v1/scans", json!({"image": {"repository": "app", "tag": "<b>"}, "inventory": inventory("a:1", vec![])}).to_string().into_bytes(), 400),
        ("POST", "/api/v1/scans", json!({"inventory": {"image": {"target": ""}, "packages": []}}).to_string().into_bytes(), 400),
        ("GET", "/api/v1/scans", vec![], 400),
        ("GET", "/nope", vec![], 404),
        ("GET", "/api/v1/images/..%2F..%2Fetc/versions", vec![], 400),
        ("GET", "/api/v1/images/%ff/versions", vec![], 400),
        ("GET", "/api/v1/images/unknown/versions", vec![], 404),
        ("GET", "/api/v1/images/app/recommendation?severity=bogus", vec![], 400),
        ("GET", "/api/v1/scans/abc/findings", vec![], 400),
        ("GET", "/api/v1/scans/999/findings", vec![], 404),
        ("POST", "/api/v1/images/app/versions", vec![], 405),
        ("GET", "/images/%3Cscript%3E", vec![], 400),
    ];
    for (method, path, body, want) in cases {
        let (code, text) = if method == "GET" {
            h.get(path)
        } else {
            h.post(path, &body)
        };
        assert_eq!(code, want, "{method} {path}: {text}");
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not json: {text}"));
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{text}");
    }
    // Dot segments sent as-is (HTTP clients normalise them away, attackers do not).
    for path in [
        "/api/v1/images/a/../b/versions",
        "/images/../../etc/passwd",
        "/api/v1/images/./x/recommendation",
    ] {
        let resp = raw(
            &h,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
                h.auth()
            ),
        );
        assert!(resp.starts_with("HTTP/1.1 400"), "{path}: {resp}");
    }
    // A body over the limit: 413 (the server may answer before the body is sent and
    // close, so writing the rest can fail: that is not the client's answer).
    {
        let body = too_big.to_string();
        let mut s = TcpStream::connect(h.base.trim_start_matches("http://")).unwrap();
        let _ = write!(
            s,
            "POST /api/v1/scans HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            h.auth(),
            body.len()
        );
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
        assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
        assert!(resp.contains("\"error\""), "{resp}");
    }
    // A declared length over the limit is refused before the body is read.
    let resp = raw(&h, "POST /api/v1/scans HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\n{");
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");

    assert_eq!(count_scans(&h), before, "the store changed");
    let (_, m) = h.get("/metrics");
    assert!(
        m.contains("hull_server_requests_total{code=\"400\"}"),
        "{m}"
    );
    assert!(m.contains("hull_server_scans_received_total 1"), "{m}");
}

#[test]
fn pushes_without_a_database_are_kept_and_matched_when_it_appears() {
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("later/hull.db");
    let h = Harness::start(dir, vulndb.clone(), 1 << 20);
    let r = push(&h, &inventory("app:1.0", vec![npm("demo-lib", "1.0.0")]));
    assert_eq!(r["scan"]["matched"], false);
    let rec = h.get_json("/api/v1/images/app/recommendation?severity=low");
    assert_eq!(rec["action"], "none", "a never-matched version is not safe");
    write_db(
        &vulndb,
        vec![npm_advisory(
            "GHSA-demo-0000-0002",
            "demo-lib",
            "2.0.0",
            Severity::High,
        )],
        "2026-02-01T00:00:00Z",
    );
    wait_for(20, "the rescan", || {
        h.get_json("/api/v1/images/app/versions")["versions"][0]["latest_scan"]["matched"] == true
    });
    let v = h.get_json("/api/v1/images/app/versions");
    assert_eq!(v["versions"][0]["latest_scan"]["counts"]["high"], 1);
    // The first matched scan is the baseline: nothing is "new", nobody is notified.
    assert_eq!(v["versions"][0]["latest_scan"]["new_findings"], 0);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(h.hooks.received().is_empty());
}

/// Send raw bytes, read the whole answer.
fn raw(h: &Harness, request: &str) -> String {
    let mut s = TcpStream::connect(h.base.trim_start_matches("http://")).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp
}

#[test]
fn newer_store_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.db");
    drop(SqliteStore::open(&p).unwrap());
    let conn = rusqlite::Connection::open(&p).unwrap();
    conn.execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    drop(conn);
    match SqliteStore::open(&p) {
        Err(e @ StoreError::TooNew { found: 99, .. }) => {
            assert!(e.to_string().contains("newer than this hull"), "{e}")
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
}

#[test]
fn client_push_round_trip_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    write_db(
        &vulndb,
        vec![npm_advisory(
            "GHSA-demo-0000-0002",
            "demo-lib",
            "2.0.0",
            Severity::High,
        )],
        "2026-01-01T00:00:00Z",
    );
    let h = Harness::start(dir, vulndb, 1 << 20);
    let inv = inventory("ignored:0", vec![npm("demo-lib", "1.0.0")]);
    let image = hull_server::upload::ImageRef::new("team/api", Some("3.1"), None).unwrap();
    let v =
        hull_server::client::push_with_token(&h.base, Some(&image), &inv, Some(&h.pusher)).unwrap();
    assert_eq!(v["image"]["repository"], "team/api");
    assert_eq!(v["scan"]["counts"]["high"], 1);
    let bad = hull_server::upload::ImageRef {
        repository: "../x".into(),
        tag: None,
        digest: None,
    };
    let e = hull_server::client::push_with_token(&h.base, Some(&bad), &inv, Some(&h.pusher))
        .unwrap_err();
    assert!(e.to_string().contains("answered 400"), "{e}");
    let e = hull_server::client::push("ftp://x", None, &inv).unwrap_err();
    assert!(e.to_string().contains("must start with http"), "{e}");
}

#[test]
fn store_refuses_stale_rescans() {
    use hull_server::store::{NewScan, ScanKind};
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
    let image = hull_server::upload::ImageRef::new("app", Some("1"), None).unwrap();
    let (a, b) = (
        inventory("app:1", vec![npm("x", "1.0.0")]),
        inventory("app:1", vec![npm("x", "2.0.0")]),
    );
    let scan = |inv, rescan_of: Option<i64>| NewScan {
        kind: if rescan_of.is_some() {
            ScanKind::Rescan
        } else {
            ScanKind::Push
        },
        scanned_at: 1_800_000_000,
        inventory: inv,
        findings: &[],
        vulndb: None,
        rescan_of,
    };
    let first = store.record_scan(&image, scan(&a, None)).unwrap().unwrap();
    let second = store.record_scan(&image, scan(&b, None)).unwrap().unwrap();
    // A rescan based on the first scan lands after the second push: dropped.
    assert!(store
        .record_scan(&image, scan(&a, Some(first.scan.id)))
        .unwrap()
        .is_none());
    let latest = store.latest_scans().unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].scan_id, second.scan.id);
    let inv = store.inventory_of(latest[0].scan_id).unwrap().unwrap();
    assert_eq!(inv.packages[0].version, "2.0.0");
    assert!(store.inventory_of(12345).unwrap().is_none());
    assert!(store
        .record_scan(&image, scan(&b, Some(second.scan.id)))
        .unwrap()
        .is_some());
    // Equal inventories are stored once.
    let conn = rusqlite::Connection::open(dir.path().join("s.db")).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM inventories", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
}

#[test]
fn dashboard_escapes_stored_names() {
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    let evil = "x<script>alert(1)</script>";
    write_db(&vulndb, vec![], "2026-01-01T00:00:00Z");
    let h = Harness::start(dir, vulndb.clone(), 1 << 20);
    push(&h, &inventory("app:1", vec![npm(evil, "1.0.0")]));
    write_db(
        &vulndb,
        vec![npm_advisory(
            "GHSA-<b>-\"q\"",
            evil,
            "2.0.0",
            Severity::Critical,
        )],
        "2026-02-01T00:00:00Z",
    );
    wait_for(20, "the rescan", || h.hooks.received().len() == 1);
    let (code, html) = h.get("/");
    assert_eq!(code, 200);
    assert!(
        html.contains("x&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("GHSA-&lt;b&gt;-&quot;q&quot;"), "{html}");
    assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
    let (code, html) = h.get("/images/app");
    assert_eq!(code, 200);
    assert!(!html.contains("<script"), "{html}");
}
