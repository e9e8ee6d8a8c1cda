//! Tokens and scopes: every mutating route refuses the unauthenticated (401) and the
//! under-scoped (403) and leaves the store as it was; reads need `read` unless
//! `--public-read`; revoked tokens stop working; the audit log records who did what.

use std::time::Duration;

use serde_json::{json, Value};

use crate::attacks::raw;
use crate::{inventory, npm, write_db, Harness};

/// Every state-changing route, with a body that would succeed with enough scope.
fn mutating() -> Vec<(&'static str, &'static str, String)> {
    let scan = json!({ "inventory": inventory("app:9.9.9", vec![npm("x", "1.0.0")]) }).to_string();
    vec![
        ("POST", "/api/v1/scans", scan),
        ("POST", "/api/v1/rescan", String::new()),
        ("POST", "/api/v1/audits", String::new()),
        ("POST", "/ui/rescan", "csrf=x".into()),
        ("DELETE", "/api/v1/images/app", String::new()),
    ]
}

fn send(h: &Harness, method: &str, path: &str, body: &str, token: Option<&str>) -> (u16, String) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let ctype = if path.starts_with("/ui/") {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let resp = raw(
        h,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
        Duration::from_secs(10),
    );
    let code = resp.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, resp)
}

/// What a store change would show: versions and scans.
fn snapshot(h: &Harness) -> Value {
    h.get_json("/api/v1/images")
}

fn started(public_read: bool) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    write_db(&vulndb, vec![], "2026-01-01T00:00:00Z");
    Harness::start_full(dir, vulndb, 1 << 20, vec![], public_read, None)
}

#[test]
fn mutating_routes_refuse_missing_bad_and_small_tokens() {
    let h = started(true);
    let (code, body) = h.post(
        "/api/v1/scans",
        json!({ "inventory": inventory("app:1", vec![npm("x", "1.0.0")]) })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(code, 201, "{body}");
    let before = snapshot(&h);
    let forged = format!("hull_{}", "0".repeat(64));
    for (method, path, body) in mutating() {
        let (code, resp) = send(&h, method, path, &body, None);
        assert_eq!(code, 401, "{method} {path} without a token: {resp}");
        assert!(
            resp.to_ascii_lowercase()
                .contains("www-authenticate: bearer"),
            "{resp}"
        );
        for bad in [forged.as_str(), "not-a-token"] {
            let (code, resp) = send(&h, method, path, &body, Some(bad));
            assert_eq!(code, 401, "{method} {path} with {bad}: {resp}");
        }
        let (code, resp) = send(&h, method, path, &body, Some(&h.reader));
        assert_eq!(code, 403, "{method} {path} with read: {resp}");
        if path != "/api/v1/scans" {
            let (code, resp) = send(&h, method, path, &body, Some(&h.pusher));
            assert_eq!(code, 403, "{method} {path} with push: {resp}");
        }
    }
    assert_eq!(snapshot(&h), before, "the store changed");
    // The right scopes get through.
    let (code, resp) = send(
        &h,
        "POST",
        "/api/v1/scans",
        &mutating()[0].2,
        Some(&h.pusher),
    );
    assert_eq!(code, 201, "{resp}");
    let (code, resp) = send(&h, "POST", "/api/v1/rescan", "", Some(&h.admin));
    assert_eq!(code, 200, "{resp}");
    // The audit log names who pushed and who rescanned.
    let events = h.get_json("/api/v1/events");
    let actions: Vec<(String, String)> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("push".into(), "token:2:ci".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("rescan".into(), "token:1:admin".into())),
        "{actions:?}"
    );
    assert!(
        actions.iter().filter(|(a, _)| a == "token-create").count() == 3,
        "{actions:?}"
    );
}

#[test]
fn reads_need_a_token_unless_public() {
    let h = started(false);
    for path in [
        "/api/v1/images",
        "/",
        "/metrics",
        "/api/v1/audits",
        "/api/v1/events",
    ] {
        let (code, resp) = send(&h, "GET", path, "", None);
        assert_eq!(code, 401, "{path}: {resp}");
        let (code, resp) = send(&h, "GET", path, "", Some(&h.reader));
        assert_eq!(code, 200, "{path}: {resp}");
    }
    assert_eq!(send(&h, "GET", "/healthz", "", None).0, 200);
    assert_eq!(send(&h, "GET", "/sign-in", "", None).0, 200);
    let public = started(true);
    assert_eq!(send(&public, "GET", "/api/v1/images", "", None).0, 200);
}

#[test]
fn revoked_tokens_stop_working() {
    let h = started(false);
    assert_eq!(
        send(&h, "GET", "/api/v1/images", "", Some(&h.reader)).0,
        200
    );
    let store = hull_server::store::SqliteStore::open(&h.store_path).unwrap();
    let id = hull_server::store::Store::tokens(&store)
        .unwrap()
        .into_iter()
        .find(|t| t.name == "viewer")
        .unwrap()
        .id;
    assert!(hull_server::tokens::revoke(&store, id, "test", 1_800_000_001).unwrap());
    assert!(!hull_server::tokens::revoke(&store, id, "test", 1_800_000_002).unwrap());
    // Within the token cache's lifetime (5 s).
    crate::wait_for(10, "the revocation", || {
        send(&h, "GET", "/api/v1/images", "", Some(&h.reader)).0 == 401
    });
    // The secret is nowhere in the store: only its hash.
    let bytes = std::fs::read(&h.store_path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(&h.admin[5..]), "a token is stored in clear");
}
