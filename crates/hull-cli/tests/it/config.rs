//! `hull config` as a user runs it: a risky pod and its hardened copy, every output
//! format, `--exit-code`, `--fix`, and an unreadable input.

use serde_json::Value;

use super::{hull, hull_in, stderr};

const RISKY_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  hostNetwork: true
  containers:
  - name: app
    image: nginx:1.25
    securityContext:
      privileged: true
";

fn ids(report: &Value) -> Vec<String> {
    report["files"][0]["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn config_reports_fixes_and_gates_a_risky_pod() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pod.yaml"), RISKY_POD).unwrap();

    let out = hull_in(dir.path(), &["config", "pod.yaml", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = ids(&report);
    for id in ["k8s:privileged", "k8s:host-network"] {
        assert!(found.iter().any(|f| f == id), "{id} missing from {found:?}");
    }
    let privileged = report["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "k8s:privileged")
        .unwrap();
    assert_eq!(privileged["line"], 8, "points at the container");
    assert_eq!(privileged["container"], "app");

    // SARIF: one result per finding, ruleId = check id, rules named by title.
    let out = hull_in(dir.path(), &["config", "pod.yaml", "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), found.len());
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "k8s:privileged"));

    // The gate: HIGH findings fail the build; the table names them.
    let out = hull_in(dir.path(), &["config", "pod.yaml", "--exit-code", "high"]);
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("k8s:privileged"), "{table}");

    // --fix writes a hardened copy that passes the same gate and keeps the input as is.
    let out = hull_in(
        dir.path(),
        &["config", "pod.yaml", "--fix", "--fix-output", "fixed"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pod.yaml")).unwrap(),
        RISKY_POD
    );
    let fixed = dir.path().join("fixed/pod.yaml");
    assert!(fixed.is_file(), "no hardened copy: {}", stderr(&out));
    let out = hull(&[
        "config",
        fixed.to_str().unwrap(),
        "--format",
        "json",
        "--exit-code",
        "high",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = ids(&serde_json::from_slice(&out.stdout).unwrap());
    assert!(after.len() < found.len(), "{after:?} vs {found:?}");
    assert!(!after.iter().any(|f| f == "k8s:privileged"));
}

#[test]
fn config_on_unreadable_input_exits_2_naming_it() {
    let out = hull(&["config", "/nonexistent/pod.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no input could be read"),
        "{}",
        stderr(&out)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("/nonexistent/pod.yaml"), "{table}");
}
