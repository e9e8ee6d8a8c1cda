//! Scheduled configuration audits over a watched directory of hand-written manifests.

use serde_json::Value;

use crate::{wait_for, write_db, Harness};

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext: {privileged: true}\n";
const HOST_PID: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: debug}\nspec:\n  hostPID: true\n  containers:\n  - name: d\n    image: busybox:1.36\n";

#[test]
fn scheduled_audits_record_runs_and_notify_new_findings_once() {
    let dir = tempfile::tempdir().unwrap();
    let watched = dir.path().join("manifests");
    std::fs::create_dir_all(&watched).unwrap();
    std::fs::write(watched.join("web.yaml"), PRIVILEGED).unwrap();
    std::fs::write(watched.join("notes.txt"), "not a config file").unwrap();
    let vulndb = dir.path().join("hull.db");
    write_db(&vulndb, vec![], "2026-01-01T00:00:00Z");
    let h = Harness::start_with(dir, vulndb, 1 << 20, vec![watched.clone()]);

    wait_for(20, "the first audit", || {
        !h.get_json("/api/v1/audits")["audits"]
            .as_array()
            .unwrap()
            .is_empty()
    });
    let first = &h.get_json("/api/v1/audits")["audits"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(
        first["files"], 1,
        "the text file is not a configuration: {first}"
    );
    assert_eq!(first["new_findings"], 0, "the first run is the baseline");
    let report = h.get_json(&format!("/api/v1/audits/{}", first["id"]));
    let ids: Vec<&str> = report["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"k8s:privileged"), "{ids:?}");
    assert_eq!(report["audit"]["id"], first["id"]);

    // A new manifest with a host namespace: the next run reports it as new, once.
    std::fs::write(watched.join("debug.yaml"), HOST_PID).unwrap();
    wait_for(20, "the audit notice", || !h.hooks.received().is_empty());
    std::thread::sleep(std::time::Duration::from_millis(600));
    let got = h.hooks.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0]["kind"], "new-audit-findings");
    let new: Vec<&Value> = got[0]["findings"].as_array().unwrap().iter().collect();
    assert!(
        new.iter()
            .all(|f| f["path"].as_str().unwrap().ends_with("debug.yaml")),
        "{new:?}"
    );
    assert!(new.iter().any(|f| f["id"] == "k8s:host-pid"), "{new:?}");

    // Running one now through the API; the dashboard shows the latest run.
    let (code, body) = h.post("/api/v1/audits", b"");
    assert_eq!(code, 201, "{body}");
    let rec: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(rec["summary"]["files"], 2);
    assert_eq!(rec["new_findings"].as_array().unwrap().len(), 0);
    let (_, html) = h.get("/");
    assert!(html.contains("Configuration audit"), "{html}");
    let (_, m) = h.get("/metrics");
    assert!(m.contains("hull_server_audits_total"), "{m}");
    assert_eq!(h.get("/api/v1/audits/abc").0, 400);
    assert_eq!(h.get("/api/v1/audits/99999").0, 404);
}

#[test]
fn audits_without_a_directory_are_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    let h = Harness::start(dir, vulndb, 1 << 20);
    let (code, body) = h.post("/api/v1/audits", b"");
    assert_eq!(code, 409, "{body}");
    assert!(h.get_json("/api/v1/audits")["audits"]
        .as_array()
        .unwrap()
        .is_empty());
}
