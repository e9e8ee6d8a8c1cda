//! The gaps of issue 13, one fixture pair each (tests/fixtures/gaps): what hull's own
//! checks and the exact Pod Security Standards evaluation (`--pss`) report.

use std::path::PathBuf;

use hull_audit::{audit_file, CheckSet, FileReport, Options, Profile};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gaps")
        .join(name)
}

fn report(name: &str, pss: Option<&str>) -> FileReport {
    let opts = Options {
        pss: pss.map(|p| p.parse::<Profile>().unwrap()),
        checks: if pss.is_some() {
            CheckSet::All
        } else {
            CheckSet::Hull
        },
        ..Options::default()
    };
    let r = audit_file(&fixture(name), &opts);
    assert!(r.error.is_none(), "{name}: {:?}", r.error);
    r
}

/// (fixture, --pss profile or hull's checks only, check id, reported?)
const CASES: &[(&str, Option<&str>, &str, bool)] = &[
    // Pod-level seLinuxOptions apply to the sandbox even when containers set their own.
    ("selinux-pod-level-fail.yaml", None, "k8s:selinux", true),
    (
        "selinux-pod-level-fail.yaml",
        Some("baseline"),
        "pss:se-linux-options",
        true,
    ),
    ("selinux-pod-level-pass.yaml", None, "k8s:selinux", false),
    (
        "selinux-pod-level-pass.yaml",
        Some("baseline"),
        "pss:se-linux-options",
        false,
    ),
    // Restricted lets only NET_BIND_SERVICE back in after dropping ALL.
    (
        "caps-add-back-fail.yaml",
        None,
        "k8s:added-capabilities",
        true,
    ),
    (
        "caps-add-back-fail.yaml",
        Some("restricted"),
        "pss:capabilities-restricted",
        true,
    ),
    (
        "caps-add-back-fail.yaml",
        Some("baseline"),
        "pss:capabilities-baseline",
        false,
    ),
    (
        "caps-add-back-pass.yaml",
        None,
        "k8s:added-capabilities",
        false,
    ),
    (
        "caps-add-back-pass.yaml",
        Some("restricted"),
        "pss:capabilities-restricted",
        false,
    ),
    // PSS compares capability names exactly.
    (
        "caps-noncanonical-fail.yaml",
        None,
        "k8s:added-capabilities",
        true,
    ),
    (
        "caps-noncanonical-fail.yaml",
        Some("baseline"),
        "pss:capabilities-baseline",
        true,
    ),
    (
        "caps-noncanonical-pass.yaml",
        None,
        "k8s:added-capabilities",
        false,
    ),
    (
        "caps-noncanonical-pass.yaml",
        Some("baseline"),
        "pss:capabilities-baseline",
        false,
    ),
    // Safe sysctls by version: tcp_rmem (v1.32), tcp_notsent_lowat (v1.37).
    ("sysctls-new.yaml", None, "k8s:unsafe-sysctls", false),
    (
        "sysctls-new.yaml",
        Some("baseline@latest"),
        "pss:sysctls",
        false,
    ),
    (
        "sysctls-new.yaml",
        Some("baseline@v1.36"),
        "pss:sysctls",
        true,
    ),
    (
        "sysctls-new.yaml",
        Some("baseline@v1.31"),
        "pss:sysctls",
        true,
    ),
    // procMount: Unmasked with hostUsers: false is baseline from v1.35, never restricted.
    ("procmount-userns.yaml", None, "k8s:proc-mount", false),
    ("procmount-userns.yaml", None, "k8s:high-uid", false),
    (
        "procmount-userns.yaml",
        Some("baseline@v1.35"),
        "pss:proc-mount",
        false,
    ),
    (
        "procmount-userns.yaml",
        Some("baseline@v1.34"),
        "pss:proc-mount",
        true,
    ),
    (
        "procmount-userns.yaml",
        Some("restricted@v1.35"),
        "pss:proc-mount-restricted",
        true,
    ),
    ("procmount-hostusers.yaml", None, "k8s:proc-mount", true),
    (
        "procmount-hostusers.yaml",
        Some("baseline"),
        "pss:proc-mount",
        true,
    ),
    // Windows pods are exempt from the Linux-only controls (PSS from v1.25).
    ("windows-pod.yaml", None, "k8s:seccomp-profile", false),
    (
        "windows-pod.yaml",
        None,
        "k8s:allow-privilege-escalation",
        false,
    ),
    ("windows-pod.yaml", None, "k8s:drop-all-capabilities", false),
    (
        "windows-pod.yaml",
        Some("restricted"),
        "pss:seccomp-profile-restricted",
        false,
    ),
    (
        "windows-pod.yaml",
        Some("restricted"),
        "pss:allow-privilege-escalation",
        false,
    ),
    (
        "windows-pod.yaml",
        Some("restricted@v1.24"),
        "pss:allow-privilege-escalation",
        true,
    ),
    (
        "windows-pod-linux-twin.yaml",
        None,
        "k8s:seccomp-profile",
        true,
    ),
    (
        "windows-pod-linux-twin.yaml",
        Some("restricted"),
        "pss:capabilities-restricted",
        true,
    ),
    // Probe and lifecycle `host` (PSS v1.34+).
    ("probe-host-fail.yaml", None, "k8s:probe-host", true),
    (
        "probe-host-fail.yaml",
        Some("baseline"),
        "pss:host-probes-and-host-lifecycle",
        true,
    ),
    (
        "probe-host-fail.yaml",
        Some("baseline@v1.33"),
        "pss:host-probes-and-host-lifecycle",
        false,
    ),
    ("probe-host-pass.yaml", None, "k8s:probe-host", false),
    (
        "probe-host-pass.yaml",
        Some("baseline"),
        "pss:host-probes-and-host-lifecycle",
        false,
    ),
    // Unset seccomp: a violation only at restricted from v1.19 (hull's own check is
    // stricter on purpose and documented so).
    (
        "seccomp-unset.yaml",
        Some("baseline"),
        "pss:seccomp-profile-baseline",
        false,
    ),
    (
        "seccomp-unset.yaml",
        Some("restricted@v1.18"),
        "pss:seccomp-profile-restricted",
        false,
    ),
    (
        "seccomp-unset.yaml",
        Some("restricted@v1.19"),
        "pss:seccomp-profile-restricted",
        true,
    ),
    ("seccomp-unset.yaml", None, "k8s:seccomp-profile", true),
    // CIS 4.9: remote ADD without --checksum.
    (
        "Dockerfile.remote-add-fail",
        None,
        "dockerfile:add-remote-without-checksum",
        true,
    ),
    (
        "Dockerfile.remote-add-pass",
        None,
        "dockerfile:add-remote-without-checksum",
        false,
    ),
    // A ServiceAccount of the same input that disables token automount.
    (
        "sa-automount-true.yaml",
        None,
        "k8s:service-account-token",
        true,
    ),
    (
        "sa-automount-false.yaml",
        None,
        "k8s:service-account-token",
        false,
    ),
    // A same-input ClusterRole granting * on * is cluster-admin by another name.
    (
        "clusterrole-star.yaml",
        None,
        "k8s:rbac-cluster-admin",
        true,
    ),
    (
        "clusterrole-view.yaml",
        None,
        "k8s:rbac-cluster-admin",
        false,
    ),
    // Malformed specs are reported, never scored perfect.
    ("malformed-fail.yaml", None, "k8s:malformed-workload", true),
    ("malformed-pass.yaml", None, "k8s:malformed-workload", false),
    // Key material in a ConfigMap.
    (
        "configmap-key-content-fail.yaml",
        None,
        "k8s:configmap-secrets",
        true,
    ),
    (
        "configmap-key-content-pass.yaml",
        None,
        "k8s:configmap-secrets",
        false,
    ),
];

#[test]
fn every_gap_fixture_reports_as_expected() {
    let mut wrong = vec![];
    for (file, pss, id, want) in CASES {
        let r = report(file, *pss);
        let got = r.findings.iter().any(|f| f.id == *id);
        if got != *want {
            let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
            wrong.push(format!(
                "{file} {pss:?}: {id} expected {want}, findings {ids:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn malformed_workloads_never_score_perfect() {
    let r = report("malformed-fail.yaml", None);
    assert!(r.score < 1.0, "score {}", r.score);
    let n = r
        .findings
        .iter()
        .filter(|f| f.id == "k8s:malformed-workload")
        .count();
    assert_eq!(n, 2, "one finding per broken object");
    assert!(r.findings.iter().any(|f| f.message.contains("a list")));
    assert!(r.findings.iter().any(|f| f.message.contains("null")));
}

#[test]
fn pss_findings_use_the_standard_wording() {
    let r = report("probe-host-fail.yaml", Some("baseline@v1.35"));
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "pss:host-probes-and-host-lifecycle")
        .unwrap();
    assert!(
        f.message
            .starts_with("violates PodSecurity \"baseline@v1.35\": hostProbesAndHostLifecycle ("),
        "{}",
        f.message
    );
    assert!(f.title.contains("Host Probes"));
    // --checks pss: nothing of hull's own.
    let opts = Options {
        pss: Some("baseline".parse().unwrap()),
        checks: CheckSet::Pss,
        ..Options::default()
    };
    let r = audit_file(&fixture("probe-host-fail.yaml"), &opts);
    assert!(
        r.findings.iter().all(|f| f.id.starts_with("pss:")),
        "{:?}",
        r.findings
    );
    assert!(!r.findings.is_empty());
}
