//! `--fix` on an OCI bundle keeps it runnable and hardens it, checked with Debian's
//! runc and a busybox rootfs from busybox-static. Needs root, runc and
//! /bin/busybox (CI installs them from .ci/apt/hull-audit.txt).

use std::path::Path;
use std::process::Command;

use hull_audit::{fix, parse};

fn available() -> Result<(), String> {
    if !Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
    {
        return Err("not root".into());
    }
    if !Command::new("runc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Err("runc not installed".into());
    }
    if !Path::new("/bin/busybox").exists() {
        return Err("/bin/busybox (busybox-static) not installed".into());
    }
    Ok(())
}

fn make_bundle(dir: &Path) {
    let rootfs = dir.join("rootfs");
    for d in ["bin", "proc", "sys", "dev", "tmp", "etc"] {
        std::fs::create_dir_all(rootfs.join(d)).unwrap();
    }
    std::fs::copy("/bin/busybox", rootfs.join("bin/busybox")).unwrap();
    for applet in ["sh", "cat", "grep"] {
        std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
    }
    let st = Command::new("runc")
        .args(["spec"])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(st.success(), "runc spec failed");
    let cfg = dir.join("config.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    v["process"]["terminal"] = serde_json::json!(false);
    v["process"]["args"] = serde_json::json!([
        "/bin/sh",
        "-c",
        "grep -E '^(NoNewPrivs|CapEff|Seccomp):' /proc/self/status"
    ]);
    // The unhardened starting point: what people write when "it must just work".
    v["process"]["noNewPrivileges"] = serde_json::json!(false);
    std::fs::write(&cfg, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

fn run(dir: &Path, id: &str) -> String {
    let out = Command::new("runc")
        .args(["run", "--bundle"])
        .arg(dir)
        .arg(id)
        .output()
        .unwrap();
    let _ = Command::new("runc").args(["delete", "-f", id]).output();
    assert!(
        out.status.success(),
        "runc run {id} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn field<'a>(status: &'a str, key: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(str::trim)
        .unwrap_or_else(|| panic!("{key} missing in {status}"))
}

#[test]
fn fixed_oci_bundle_runs_hardened_with_runc() {
    if let Err(why) = available() {
        eprintln!("SKIP: runc --fix test: {why}");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    make_bundle(dir);
    let id = format!("hull-fix-{}", std::process::id());
    let before = run(dir, &format!("{id}-a"));
    assert_eq!(field(&before, "NoNewPrivs:"), "0", "{before}");
    let cap_before = u64::from_str_radix(field(&before, "CapEff:"), 16).unwrap();
    assert_ne!(cap_before, 0);

    let cfg = dir.join("config.json");
    let text = std::fs::read_to_string(&cfg).unwrap();
    let parsed = parse("config.json", &text).unwrap();
    let original = hull_audit::audit_text("config.json", &text, &Default::default());
    assert!(original
        .findings
        .iter()
        .any(|f| f.id == "oci:no-new-privileges"));
    let fixed = fix::harden(&parsed, &text).unwrap();
    let after_report = hull_audit::audit_text("config.json", &fixed, &Default::default());
    for id in [
        "oci:no-new-privileges",
        "oci:drop-all-capabilities",
        "oci:seccomp-profile",
        "oci:masked-paths",
        "oci:read-only-root-filesystem",
    ] {
        assert!(
            !after_report.findings.iter().any(|f| f.id == id),
            "{id} still reported after --fix"
        );
    }
    assert!(after_report.score > original.score);
    std::fs::write(&cfg, fixed).unwrap();
    let after = run(dir, &format!("{id}-b"));
    assert_eq!(field(&after, "NoNewPrivs:"), "1", "{after}");
    let cap_after = u64::from_str_radix(field(&after, "CapEff:"), 16).unwrap();
    assert!(
        cap_after < cap_before,
        "CapEff {cap_after:x} not reduced from {cap_before:x}"
    );
    assert_eq!(
        field(&after, "Seccomp:"),
        "2",
        "seccomp filter mode expected: {after}"
    );
}
