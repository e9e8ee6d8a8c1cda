//! Image identity and history: digests keep different images apart, the full scan
//! history of a digest, paging, `?severity=`, unknown `?current=`.

use hull_model::{Digest, Severity};
use serde_json::{json, Value};

use crate::{inventory, npm, npm_advisory, write_db, Harness};

fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

fn push(h: &Harness, body: Value) -> Value {
    let (code, text) = h.post("/api/v1/scans", body.to_string().as_bytes());
    assert_eq!(code, 201, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn digests_histories_paging_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    write_db(
        &vulndb,
        vec![
            npm_advisory("GHSA-hist-0000-0001", "lib-a", "2.0.0", Severity::High),
            npm_advisory("GHSA-hist-0000-0002", "lib-b", "2.0.0", Severity::Low),
        ],
        "2026-01-01T00:00:00Z",
    );
    let h = Harness::start(dir, vulndb, 1 << 20);
    // Two different images pushed as app:latest (docker-archive: config digests).
    let mut one = inventory(
        "app:latest",
        vec![npm("lib-a", "1.0.0"), npm("lib-b", "1.0.0")],
    );
    one.image.config_digest = Some(Digest::parse(&digest('1')).unwrap());
    let mut two = inventory("app:latest", vec![]);
    two.image.config_digest = Some(Digest::parse(&digest('2')).unwrap());
    let r1 = push(&h, json!({ "inventory": one }));
    assert_eq!(r1["image"]["digest"], digest('1'));
    let r2 = push(&h, json!({ "inventory": two }));
    assert_eq!(r2["image"]["digest"], digest('2'));
    assert_ne!(r1["image_id"], r2["image_id"], "two images merged");
    // Named by the client without a digest: the inventory's is kept.
    let r3 = push(
        &h,
        json!({ "image": {"repository": "app", "tag": "latest"}, "inventory": one }),
    );
    assert_eq!(r3["image_id"], r1["image_id"]);

    // The full history of digest 1: both pushes, newest first.
    let hist = h.get_json(&format!("/api/v1/images/app/digests/{}", digest('1')));
    let scans = hist["versions"][0]["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 2, "{hist}");
    assert!(scans[0]["id"].as_i64() > scans[1]["id"].as_i64());
    let by_query = h.get_json(&format!("/api/v1/scans?image=app:latest@{}", digest('1')));
    assert_eq!(by_query["versions"], hist["versions"]);
    // Paging the history.
    let page = h.get_json(&format!(
        "/api/v1/images/app/digests/{}?limit=1",
        digest('1')
    ));
    assert_eq!(page["versions"][0]["scans"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_i64().unwrap();
    let rest = h.get_json(&format!(
        "/api/v1/images/app/digests/{}?limit=1&cursor={cursor}",
        digest('1')
    ));
    assert_eq!(rest["versions"][0]["scans"][0]["id"], scans[1]["id"]);
    assert!(rest["next_cursor"].is_null());
    assert_eq!(
        h.get(&format!("/api/v1/images/app/digests/{}", digest('9')))
            .0,
        404
    );
    assert_eq!(h.get("/api/v1/images/app/digests/sha256:zz").0, 400);
    assert_eq!(h.get("/api/v1/scans").0, 400);

    // Paging the image list.
    let p1 = h.get_json("/api/v1/images?limit=1");
    assert_eq!(p1["images"].as_array().unwrap().len(), 1);
    let c = p1["next_cursor"].as_i64().unwrap();
    let p2 = h.get_json(&format!("/api/v1/images?limit=1&cursor={c}"));
    assert_eq!(p2["images"].as_array().unwrap().len(), 1);
    assert_ne!(p1["images"][0]["image_id"], p2["images"][0]["image_id"]);
    assert!(p2["next_cursor"].is_null());
    assert_eq!(h.get("/api/v1/images?limit=0").0, 400);

    // ?severity= filters the findings of a scan.
    let id = r1["scan"]["id"].as_i64().unwrap();
    let ids = |q: &str| -> Vec<String> {
        let v = h.get_json(&format!("/api/v1/scans/{id}/findings{q}"));
        let mut out: Vec<String> = v["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        out.sort();
        out
    };
    assert_eq!(ids(""), ["GHSA-hist-0000-0001", "GHSA-hist-0000-0002"]);
    assert_eq!(ids("?severity=high"), ["GHSA-hist-0000-0001"]);
    assert_eq!(ids("?severity=low,high").len(), 2);
    assert_eq!(
        h.get(&format!("/api/v1/scans/{id}/findings?severity=bogus"))
            .0,
        400
    );

    // An unknown ?current= is a 404, not "the newest".
    assert_eq!(
        h.get("/api/v1/images/app/recommendation?current=9.9").0,
        404
    );
    assert_eq!(
        h.get("/api/v1/images/app/recommendation?current=latest").0,
        200
    );
}
