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

/// `-o` into a FIFO (what `/dev/null` or a CI pipe is) writes through it and leaves it a
/// FIFO; `-o` through a symlink keeps the link and fills its target. `hull sbom` and
/// `hull config` share the writer.
#[test]
fn output_into_a_fifo_or_through_a_symlink_keeps_it() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pod.yaml"), RISKY_POD).unwrap();
    let rootfs = dir.path().join("rootfs/etc");
    std::fs::create_dir_all(&rootfs).unwrap();
    std::fs::write(rootfs.join("os-release"), "ID=debian\nVERSION_ID=\"12\"\n").unwrap();
    let through_fifo = |args: &[&str]| -> String {
        let fifo = dir.path().join("report.pipe");
        let _ = std::fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        let mut all = args.to_vec();
        all.extend(["-o", "report.pipe"]);
        let out = hull_in(dir.path(), &all);
        assert!(out.status.success(), "{}", stderr(&out));
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "{args:?} replaced the FIFO: {kind:?}");
        reader.join().unwrap()
    };
    let got: Value =
        serde_json::from_str(&through_fifo(&["config", "pod.yaml", "--format", "json"])).unwrap();
    assert!(ids(&got).iter().any(|i| i == "k8s:privileged"));
    let sbom = through_fifo(&["sbom", "dir:rootfs", "--format", "json"]);
    assert!(sbom.contains("debian"), "{sbom}");

    std::fs::write(dir.path().join("real.json"), "old").unwrap();
    std::os::unix::fs::symlink("real.json", dir.path().join("link.json")).unwrap();
    let out = hull_in(
        dir.path(),
        &["sbom", "dir:rootfs", "--format", "json", "-o", "link.json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let link = std::fs::symlink_metadata(dir.path().join("link.json")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    let real = std::fs::read_to_string(dir.path().join("real.json")).unwrap();
    assert!(real.contains("debian"), "{real}");
}
