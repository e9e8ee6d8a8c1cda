//! Retention: rescans that change nothing add nothing (a rescan loop cannot grow
//! the store), --keep-scans bounds history, admins delete versions.

use hull_model::Severity;
use serde_json::{json, Value};

use crate::{inventory, npm, npm_advisory, write_db, Harness};

fn scans(h: &Harness) -> u64 {
    h.get_json("/api/v1/images")["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["scans"].as_u64().unwrap())
        .sum()
}

fn rescan(h: &Harness) -> Value {
    let (code, body) = h.post("/api/v1/rescan", b"");
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn push(h: &Harness, tag: &str) {
    let body =
        json!({ "inventory": inventory(&format!("app:{tag}"), vec![npm("lib-a", "1.0.0")]) });
    let (code, text) = h.post("/api/v1/scans", body.to_string().as_bytes());
    assert_eq!(code, 201, "{text}");
}

fn db(path: &std::path::Path, fixed: &str, now: &str) {
    write_db(
        path,
        vec![npm_advisory(
            "GHSA-keep-0000-0001",
            "lib-a",
            fixed,
            Severity::High,
        )],
        now,
    );
}

#[test]
fn rescans_that_change_nothing_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    db(&vulndb, "2.0.0", "2026-01-01T00:00:00Z");
    let h = Harness::start(dir, vulndb.clone(), 1 << 20);
    push(&h, "1");
    push(&h, "2");
    // The watcher's first check ran at start, on an empty store: only the API rescans.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before = scans(&h);
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let bytes_before = size(&h.store_path);
    for _ in 0..20 {
        let o = rescan(&h);
        assert_eq!(o["unchanged"], 2, "{o}");
        assert_eq!(o["scans"].as_array().unwrap().len(), 0, "{o}");
    }
    assert_eq!(scans(&h), before, "a rescan loop grew the scan history");
    assert!(
        size(&h.store_path) <= bytes_before + 64 * 1024,
        "the store grew from {bytes_before} to {} bytes",
        size(&h.store_path)
    );
    let latest = &h.get_json("/api/v1/images")["images"][0]["latest_scan"];
    assert!(latest["checked_at"].is_string(), "{latest}");
    // A database that changes the findings does record a scan per version (by the
    // API's rescan or the watcher's, whichever runs first), once.
    db(&vulndb, "1.0.0", "2026-02-01T00:00:00Z");
    let o = rescan(&h);
    crate::wait_for(10, "the changed findings recorded", || {
        scans(&h) == before + 2
    });
    let o2 = rescan(&h);
    assert_eq!(o2["unchanged"], 2, "{o} then {o2}");
    assert_eq!(scans(&h), before + 2);
}

#[test]
fn keep_scans_bounds_history_and_admins_delete() {
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    db(&vulndb, "2.0.0", "2026-01-01T00:00:00Z");
    let h = Harness::start_full(dir, vulndb, 1 << 20, vec![], false, Some(2));
    for _ in 0..5 {
        push(&h, "1");
    }
    assert_eq!(scans(&h), 2, "--keep-scans 2");
    push(&h, "2");
    // Deleting: one digest-less version by repository; then nothing is left.
    let del = |path: &str, token: &str| {
        crate::attacks::raw(
            &h,
            &format!("DELETE {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"),
            std::time::Duration::from_secs(10),
        )
    };
    let resp = del("/api/v1/images/app", &h.pusher);
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    let resp = del("/api/v1/images/app", &h.admin);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"deleted_versions\": 2"), "{resp}");
    let resp = del("/api/v1/images/app", &h.admin);
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    assert_eq!(scans(&h), 0);
    let events = h.get_json("/api/v1/events");
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "delete"),
        "{events}"
    );
}
