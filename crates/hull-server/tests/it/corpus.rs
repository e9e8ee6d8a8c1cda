//! The server against real data: two versions of an image built from the corpus
//! ground truth of two real Alpine 3.9 package databases, and the real Alpine secdb
//! v3.9 feeds. The database first holds only the `community` feed (no finding for
//! either image), then `main` is added by a real `hull-vulndb` write (new file +
//! rename, as `hull db update` does): the rescan must find exactly the findings the
//! corpus expects, notify them once, and the recommendation must pick the clean one.

use std::collections::BTreeSet;
use std::path::Path;

use hull_model::{Distro, Ecosystem, ImagePath, Inventory, Package, Purl};
use serde_json::Value;

use crate::{corpus_root, wait_for, Harness};

/// An Alpine image's inventory from `truth/legacy/<id>.json`, tagged `repo_tag`.
fn alpine_inventory(corpus: &Path, id: &str, version_id: &str, repo_tag: &str) -> Inventory {
    let truth: Value = serde_json::from_slice(
        &std::fs::read(corpus.join(format!("truth/legacy/{id}.json"))).unwrap(),
    )
    .unwrap();
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let packages = truth["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let (name, version) = (s(p, "name").unwrap(), s(p, "version").unwrap());
            let purl = Purl::new("apk", Some("alpine"), &name, Some(&version), &[]);
            Package {
                arch: s(p, "arch"),
                source_name: s(p, "source_name"),
                source_version: s(p, "source_version"),
                ..Package::new(
                    Ecosystem::Apk,
                    name,
                    version,
                    purl,
                    ImagePath::new("lib/apk/db/installed").unwrap(),
                    "truth",
                )
            }
        })
        .collect();
    let mut inv = Inventory {
        distro: Some(Distro {
            id: "alpine".into(),
            version_id: version_id.into(),
            codename: None,
            pretty_name: None,
            id_like: vec![],
            path: ImagePath::new("etc/os-release").unwrap(),
        }),
        packages,
        ..Inventory::default()
    };
    inv.image.target = format!("inventory:{id}.json");
    inv.image.repo_tags = vec![repo_tag.into()];
    inv
}

fn import(corpus: &Path, db: &Path, feed: &str, now: &str) {
    let (updates, _) = hull_vulndb::import::read_path(&corpus.join(feed), None);
    for u in &updates {
        if let Err(e) = &u.result {
            panic!("{}: {e}", u.name);
        }
    }
    hull_vulndb::store::write(db, updates, now).unwrap();
}

/// (package, advisory) pairs an expected file lists.
fn expected(corpus: &Path, name: &str) -> BTreeSet<(String, String)> {
    let exp: Value = serde_json::from_slice(
        &std::fs::read(corpus.join(format!("expected/legacy/{name}.json"))).unwrap(),
    )
    .unwrap();
    exp["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["package"].as_str().unwrap().to_string(),
                m["advisory"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn alpine_versions_rescanned_after_feed_update() {
    let Some(c) = corpus_root() else { return };
    let want_new = expected(&c, "alpine-3.9.4__alpine-secdb-v3.9-main");
    let want_clean = expected(&c, "alpine-3.9.6-minirootfs__alpine-secdb-v3.9-main");
    assert!(!want_new.is_empty() && want_clean.is_empty());
    assert!(expected(&c, "alpine-3.9.4__alpine-secdb-v3.9-community").is_empty());

    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    import(
        &c,
        &vulndb,
        "feeds/alpine/secdb-yaml/v3.9/community.yaml",
        "2026-01-01T00:00:00Z",
    );
    let h = Harness::start(dir, vulndb.clone(), 64 << 20);

    // 1.0 is the newer Alpine point release (clean); 1.1 regressed to an older base.
    let clean = alpine_inventory(&c, "alpine-3.9.6-minirootfs", "3.9.6", "shop/api:1.0");
    let old = alpine_inventory(&c, "alpine-3.9.4", "3.9.4", "shop/api:1.1");
    for inv in [&clean, &old] {
        let (code, body) = h.post(
            "/api/v1/scans",
            serde_json::json!({ "inventory": inv })
                .to_string()
                .as_bytes(),
        );
        assert_eq!(code, 201, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["scan"]["counts"]["unknown"], 0, "{body}");
        assert_eq!(v["scan"]["matched"], true);
    }

    import(
        &c,
        &vulndb,
        "feeds/alpine/secdb-yaml/v3.9/main.yaml",
        "2026-02-01T00:00:00Z",
    );
    wait_for(30, "the webhook notice", || !h.hooks.received().is_empty());
    std::thread::sleep(std::time::Duration::from_millis(700));
    let got = h.hooks.received();
    assert_eq!(got.len(), 1, "exactly one notice: {got:#?}");
    let notice = &got[0];
    assert_eq!(notice["image"]["tag"], "1.1");
    let pairs: BTreeSet<(String, String)> = notice["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Alpine findings are one row per CVE while the expected file lists secfix entries
    // (advisory records): entries are compared through the stored report's
    // `advisories`, and the notice must name exactly the report's rows.
    let vs = h.get_json("/api/v1/images/shop%2Fapi/versions");
    let latest = &vs["versions"][0];
    assert_eq!(latest["tag"], "1.1");
    assert_eq!(latest["latest_scan"]["kind"], "rescan");
    let scan_id = latest["latest_scan"]["id"].as_i64().unwrap();
    let rep = h.get_json(&format!("/api/v1/scans/{scan_id}/findings"));
    let got_pairs: BTreeSet<(String, String)> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["advisories"][0].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got_pairs, want_new);
    let rows: BTreeSet<(String, String)> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(rows.len() >= want_new.len());
    assert_eq!(pairs, rows, "the notice names every new row");
    assert_eq!(
        latest["latest_scan"]["new_findings"].as_u64(),
        Some(rows.len() as u64)
    );
    assert_eq!(
        vs["versions"][1]["latest_scan"]["counts"],
        serde_json::json!({
            "critical": 0, "high": 0, "medium": 0, "low": 0, "negligible": 0, "unknown": 0
        })
    );

    // Alpine secdb gives no severity: at threshold `unknown` 1.1 is unsafe → roll back.
    let r = h.get_json("/api/v1/images/shop/api/recommendation?severity=unknown");
    assert_eq!(r["order"], "tag-version");
    assert_eq!(r["newest"]["tag"], "1.1");
    assert_eq!(r["recommended"]["tag"], "1.0");
    assert_eq!(r["action"], "roll-back");
    eprintln!(
        "corpus: {} new findings after the feed update, recommendation: {}",
        want_new.len(),
        r["reason"]
    );
}
