//! Accuracy on the real config corpus ($HULL_CORPUS/configs): every failure Trivy
//! reports is also reported by hull for the same control (recall 100%), hull's extra
//! findings are listed with the reason, and the files Trivy cannot read have expected
//! results of their own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use hull_audit::workload::{Container, Seccomp};
use hull_audit::{audit_paths, FileReport, Isolation, Options, Workload};
use serde_json::Value;

pub fn corpus() -> Option<PathBuf> {
    hull_testkit::corpus_with("configs").map(|dir| dir.join("configs"))
}

/// Trivy check id → the hull checks that implement the same control.
const MAPPING: &[(&str, &[&str])] = &[
    ("KSV001", &["k8s:allow-privilege-escalation"]),
    ("KSV003", &["k8s:drop-all-capabilities"]),
    ("KSV005", &["k8s:dangerous-capabilities"]),
    ("KSV006", &["k8s:docker-socket"]),
    ("KSV008", &["k8s:host-ipc"]),
    ("KSV009", &["k8s:host-network"]),
    ("KSV010", &["k8s:host-pid"]),
    ("KSV011", &["k8s:resource-limits"]),
    ("KSV012", &["k8s:run-as-non-root"]),
    ("KSV013", &["k8s:image-latest-tag"]),
    ("KSV014", &["k8s:read-only-root-filesystem"]),
    ("KSV015", &["k8s:resource-requests"]),
    ("KSV016", &["k8s:resource-requests"]),
    ("KSV017", &["k8s:privileged"]),
    ("KSV018", &["k8s:resource-limits"]),
    ("KSV020", &["k8s:high-uid"]),
    ("KSV021", &["k8s:high-gid"]),
    ("KSV022", &["k8s:added-capabilities"]),
    ("KSV023", &["k8s:host-path"]),
    ("KSV024", &["k8s:host-ports"]),
    ("KSV028", &["k8s:volume-types"]),
    ("KSV030", &["k8s:seccomp-profile"]),
    ("KSV037", &["k8s:system-namespace"]),
    ("KSV104", &["k8s:seccomp-profile"]),
    ("KSV105", &["k8s:run-as-non-root"]),
    (
        "KSV106",
        &["k8s:drop-all-capabilities", "k8s:added-capabilities"],
    ),
    ("KSV110", &["k8s:default-namespace"]),
    ("KSV111", &["k8s:rbac-cluster-admin"]),
    ("KSV116", &["k8s:root-group"]),
    ("AVD-KSV-01010", &["k8s:configmap-secrets"]),
    ("DS001", &["dockerfile:latest-tag"]),
    ("DS002", &["dockerfile:root-user"]),
    ("DS005", &["dockerfile:add-instead-of-copy"]),
    ("DS013", &["dockerfile:run-cd"]),
    ("DS021", &["dockerfile:apt-get-missing-yes"]),
    ("DS026", &["dockerfile:healthcheck-missing"]),
    ("DS029", &["dockerfile:apt-get-no-install-recommends"]),
];

/// Why hull reports a control Trivy's default set does not check (or reports less).
const EXTRA_REASONS: &[(&str, &str)] = &[
    ("k8s:service-account-token", "NSA/CISA token automount; Trivy's default set has no such check"),
    ("k8s:image-digest", "supply-chain pinning; Trivy only checks `latest`"),
    ("k8s:sensitive-host-path", "CIS 5.5 sensitive directories; Trivy only flags hostPath in general"),
    ("k8s:dangerous-capabilities", "Trivy's KSV005 covers SYS_ADMIN only; hull also flags NET_ADMIN, SYS_PTRACE, …"),
    ("k8s:run-as-non-root", "hull also counts containers without a non-root guarantee that Trivy's message attributes to a sibling"),
    ("k8s:root-group", "Trivy reports KSV116 once per pod; hull per container"),
    ("k8s:resource-limits", "hull checks init containers too"),
    ("k8s:resource-requests", "hull checks init containers too"),
    ("k8s:apparmor-unconfined", "PSS baseline AppArmor control"),
    ("k8s:host-path", "hull checks workloads in files Trivy skipped (List JSON, objects without metadata)"),
    (
        "dockerfile:apt-get-no-install-recommends",
        "hull also checks `apt install`; Trivy DS029 only looks at `apt-get install`",
    ),
    (
        "k8s:volume-types",
        "PSS restricted forbids hostPath volumes too; Trivy's KSV028 leaves hostPath to KSV023",
    ),
    ("dockerfile:apt-lists-not-cleaned", "image hygiene check Trivy does not have"),
    ("dockerfile:curl-pipe-shell", "supply-chain check Trivy does not have"),
    ("dockerfile:secrets-in-env", "Trivy reports these with its secret scanner, not its config checks"),
    ("dockerfile:sudo", "Trivy's DS010 is not in the failures for these files"),
];

fn trivy_failures(path: &std::path::Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return vec![];
    };
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut out = vec![];
    for r in v["Results"].as_array().into_iter().flatten() {
        for m in r["Misconfigurations"].as_array().into_iter().flatten() {
            if m["Status"] == "FAIL" {
                out.push((
                    m["ID"].as_str().unwrap_or("").to_string(),
                    m["Message"].as_str().unwrap_or("").to_string(),
                ));
            }
        }
    }
    out
}

/// The container a Trivy message names (`Container 'x' of …` / `container x of …`).
fn trivy_container(msg: &str) -> Option<String> {
    if let Some(rest) = msg.split("Container '").nth(1) {
        return rest.split('\'').next().map(str::to_string);
    }
    if let Some(rest) = msg.strip_prefix("container ") {
        let mut w = rest.split(' ');
        let name = w.next()?;
        return (w.next() == Some("of")).then(|| name.to_string());
    }
    None
}

/// The object kind a Trivy KSV1xx message starts with (`deployment x in …`).
fn trivy_object_kind(msg: &str) -> Option<String> {
    let w = msg.split_whitespace().next()?;
    w.chars()
        .all(|c| c.is_ascii_lowercase())
        .then(|| w.to_string())
}

/// Trivy failures that hull's effective view of the same workload shows to be wrong,
/// with the reason. Each is verified against hull's model, not assumed.
fn trivy_false_positive(id: &str, msg: &str, ws: &[Workload]) -> Option<String> {
    let cname = trivy_container(msg);
    // KSV1xx messages: "<kind> <name> in <ns> namespace …".
    let object = {
        let mut w = msg.split_whitespace();
        match (w.next(), w.next()) {
            (Some(k), Some(n)) if k.chars().all(|c| c.is_ascii_lowercase()) => {
                Some(format!("{k}/{n}"))
            }
            _ => None,
        }
    };
    let cs: Vec<&Container> = ws
        .iter()
        .filter(|w| {
            object
                .as_ref()
                .is_none_or(|o| w.name.to_ascii_lowercase() == *o)
                || cname.is_some()
        })
        .flat_map(|w| &w.containers)
        .filter(|c| cname.as_ref().is_none_or(|n| &c.name == n))
        .collect();
    if cs.is_empty() {
        return None;
    }
    match id {
        "KSV020" if cs.iter().all(|c| c.run_as_user.is_some_and(|u| u > 10000)) => Some(format!(
            "effective runAsUser {:?} > 10000 is inherited from the pod securityContext, which Trivy KSV020 ignores",
            cs[0].run_as_user.unwrap_or_default()
        )),
        "KSV104" if cs.iter().all(|c| matches!(c.seccomp, Seccomp::RuntimeDefault | Seccomp::Localhost)) => {
            Some("the pod-level seccompProfile applies to the container (inheritance), which Trivy KSV104 ignores".into())
        }
        "KSV022" if cs.iter().all(|c| !c.caps_add.is_empty() && c.caps_add.iter().all(|a| a == "NET_BIND_SERVICE")) => {
            Some("NET_BIND_SERVICE is the one capability the PSS baseline and restricted profiles allow adding".into())
        }
        "KSV116"
            if cs
                .iter()
                .all(|c| c.run_as_group.is_some_and(|g| g > 0) && !c.supplemental_groups.contains(&0)) =>
        {
            Some("every container runs with a non-zero primary GID and no GID 0; Trivy KSV116 also demands that supplementalGroups and fsGroup be set".into())
        }
        _ => None,
    }
}

fn reports() -> Option<(PathBuf, Vec<FileReport>)> {
    let dir = corpus()?;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        // The PSS conformance fixtures have a test of their own (pss.rs).
        .filter(|p| p.is_dir() && !p.ends_with("reference-trivy") && !p.ends_with("pss"))
        .collect();
    paths.sort();
    Some((dir, audit_paths(&paths, &Options::default())))
}

#[test]
fn trivy_parity_recall_is_total() {
    let Some((dir, reports)) = reports() else {
        return;
    };
    let map: BTreeMap<&str, &[&str]> = MAPPING.iter().copied().collect();
    let mut matched = 0;
    let mut excluded = vec![];
    let mut missed = vec![];
    let mut extra: BTreeMap<String, usize> = BTreeMap::new();
    for r in &reports {
        let rel = PathBuf::from(&r.path);
        let rel = rel.strip_prefix(&dir).unwrap();
        let kind_dir = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let case = rel
            .components()
            .nth(1)
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let trivy = trivy_failures(
            &dir.join("reference-trivy")
                .join(&kind_dir)
                .join(format!("{case}.json")),
        );
        let ws = std::fs::read_to_string(&r.path)
            .ok()
            .and_then(|t| {
                hull_audit::parse(&r.path, &t)
                    .ok()
                    .map(|p| hull_audit::workloads(&p, &t))
            })
            .unwrap_or_default();
        let workload_kinds: BTreeSet<String> = r
            .workloads
            .iter()
            .map(|w| w.kind.to_ascii_lowercase())
            .collect();
        let mut explained: BTreeSet<String> = BTreeSet::new();
        for (id, msg) in &trivy {
            let Some(hull_ids) = map.get(id.as_str()) else {
                missed.push(format!("{}: Trivy {id} has no hull mapping", r.path));
                continue;
            };
            if id == "KSV116" {
                if let Some(k) = trivy_object_kind(msg) {
                    if !workload_kinds.contains(&k) {
                        excluded.push(format!("{case}: KSV116 on a {k} (Trivy fires it on every object kind; no pod spec to check)"));
                        continue;
                    }
                }
            }
            let container = trivy_container(msg);
            let hit0 = r.findings.iter().any(|f| {
                hull_ids.contains(&f.id.as_str())
                    && match (&container, &f.container) {
                        (Some(c), Some(fc)) => c == fc,
                        (Some(_), None) => true,
                        (None, _) => true,
                    }
            });
            let hit = hit0;
            if !hit {
                if let Some(why) = trivy_false_positive(id, msg, &ws) {
                    excluded.push(format!("{case}: {id} `{msg}`: {why}"));
                    continue;
                }
            }
            if hit {
                matched += 1;
                explained.extend(hull_ids.iter().map(|s| s.to_string()));
            } else {
                missed.push(format!(
                    "{}: Trivy {id} `{msg}` not reported by hull ({hull_ids:?})",
                    r.path
                ));
            }
        }
        for f in &r.findings {
            if !explained.contains(&f.id) {
                *extra.entry(f.id.clone()).or_default() += 1;
            }
        }
    }
    eprintln!(
        "Trivy parity: {matched} Trivy failures matched, {} excluded, {} missed",
        excluded.len(),
        missed.len()
    );
    for e in &excluded {
        eprintln!("  excluded: {e}");
    }
    let reasons: BTreeMap<&str, &str> = EXTRA_REASONS.iter().copied().collect();
    eprintln!("hull findings without a Trivy counterpart in the same file:");
    for (id, n) in &extra {
        let why = reasons.get(id.as_str()).copied().unwrap_or(match id.split(':').next() {
            Some("compose") | Some("docker") | Some("oci") | Some("daemon") | Some("containerd") => "Trivy cannot read this kind of file",
            _ => "Trivy skipped the file (kind: List, objects without metadata) or has no equivalent check",
        });
        eprintln!("  {id} ×{n}: {why}");
    }
    assert!(matched > 700, "only {matched} Trivy failures matched");
    assert!(
        missed.is_empty(),
        "recall below 100%:\n{}",
        missed.join("\n")
    );
}

fn by<'a>(reports: &'a [FileReport], dir: &std::path::Path, rel: &str) -> &'a FileReport {
    let p = dir.join(rel).display().to_string();
    reports
        .iter()
        .find(|r| r.path == p)
        .unwrap_or_else(|| panic!("{rel} not audited"))
}

fn has(r: &FileReport, id: &str) -> bool {
    r.findings.iter().any(|f| f.id == id)
}

#[test]
fn files_trivy_cannot_read_have_expected_results() {
    let Some((dir, reports)) = reports() else {
        return;
    };
    // (file, ids that must be reported, ids that must not be)
    let expect: &[(&str, &[&str], &[&str])] = &[
        (
            "compose/vulhub-ingress-nginx-cve-2025-1974/docker-compose.yml",
            &["compose:privileged"],
            &[],
        ),
        (
            "compose/docker-bench-security-compose/docker-compose.yml",
            &[
                "compose:docker-socket",
                "compose:host-pid",
                "compose:sensitive-host-path",
                "compose:added-capabilities",
            ],
            &["compose:privileged"],
        ),
        (
            "compose/trivy-checks-example-compose/docker-compose.yaml",
            &["compose:image-latest-tag"],
            &["compose:privileged"],
        ),
        (
            "compose/awesome-portainer/compose.yaml",
            &["compose:docker-socket"],
            &[],
        ),
        (
            "compose/awesome-wireguard/compose.yaml",
            &["compose:dangerous-capabilities"],
            &[],
        ),
        (
            "daemon-json/containerscrew-insecure-registries/daemon.json",
            &["daemon:insecure-registries"],
            &["daemon:experimental"],
        ),
        (
            "daemon-json/dogvscat-daemon/daemon.json",
            &["daemon:experimental", "daemon:icc"],
            &["daemon:insecure-registries"],
        ),
        (
            "daemon-json/gvisor-mem-perf-runsc-runtimes/daemon.json",
            &["daemon:icc"],
            &["daemon:sandbox-runtime"],
        ),
        (
            "containerd-toml/containerd-testdata-default-1.6/config.toml",
            &["containerd:systemd-cgroup"],
            &[],
        ),
        (
            "containerd-toml/gvisor-doc-containerd-runsc-debug/config.toml",
            &["containerd:systemd-cgroup"],
            &[],
        ),
        (
            "oci-runtime/runc-spec-rootless/config.json",
            &[
                "oci:seccomp-profile",
                "oci:drop-all-capabilities",
                "oci:host-network",
                // Generated as root: the user namespace maps container 0 to host 0.
                "oci:run-as-non-root",
            ],
            &["oci:no-new-privileges", "oci:host-pid"],
        ),
        (
            "oci-runtime/runtime-spec-spec-example/config.json",
            &["oci:drop-all-capabilities"],
            &[
                "oci:run-as-non-root",
                "oci:seccomp-profile",
                "oci:no-new-privileges",
                "oci:masked-paths",
            ],
        ),
        (
            "oci-runtime/runtime-spec-minimal-for-start/config.json",
            &[
                "oci:run-as-non-root",
                "oci:host-network",
                "oci:seccomp-profile",
                "oci:no-new-privileges",
            ],
            &[],
        ),
        (
            "k8s/k8s-hack-rclist-json/multi-resource-rclist.json",
            &["k8s:run-as-non-root", "k8s:seccomp-profile"],
            &[],
        ),
        (
            "k8s/kubesec-dep-ro-root-fs/score-1-dep-ro-root-fs.yml",
            &["k8s:run-as-non-root"],
            &["k8s:read-only-root-filesystem"],
        ),
    ];
    for (rel, yes, no) in expect {
        let r = by(&reports, &dir, rel);
        assert!(r.error.is_none(), "{rel}: {:?}", r.error);
        for id in *yes {
            assert!(
                has(r, id),
                "{rel}: {id} expected; got {:?}",
                r.findings.iter().map(|f| &f.id).collect::<Vec<_>>()
            );
        }
        for id in *no {
            assert!(!has(r, id), "{rel}: {id} not expected");
        }
    }
    // Isolation levels from runtimeClassName, containerd handlers and daemon runtimes.
    let iso = |rel: &str| {
        by(&reports, &dir, rel)
            .workloads
            .iter()
            .map(|w| w.isolation)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        iso("k8s/gvisor-doc-shared-folder-pod/pod.yaml"),
        vec![Isolation::Gvisor]
    );
    assert!(iso("k8s/kata-cron-job/cron-job.yaml")
        .iter()
        .all(|i| *i == Isolation::KataVm));
    assert_eq!(
        iso("k8s/regolib-sandboxtemplate-gvisor/sandboxtemplate.yaml"),
        vec![Isolation::Gvisor]
    );
    assert_eq!(
        iso("k8s/examples-psp-pod-priv/pod_priv.yaml"),
        vec![Isolation::Namespaces]
    );
    let notes = |rel: &str| by(&reports, &dir, rel).notes.join("\n");
    assert!(
        notes("containerd-toml/kata-doc-containerd-runtimeclass-fragment/config.toml")
            .contains("kata-vm")
    );
    assert!(
        notes("containerd-toml/gvisor-doc-containerd-runsc-debug/config.toml")
            .contains("runsc [io.containerd.runsc.v1] (gvisor)")
    );
    assert!(
        notes("daemon-json/gvisor-mem-perf-runsc-runtimes/daemon.json").contains("runsc (gvisor)")
    );
    assert!(
        notes("k8s/kubesec-psp-permissive/score-0-podsecuritypolicy-permissive.yml")
            .contains("not a workload")
    );
    // The deliberately broken file is the only unreadable one.
    let errors: Vec<&str> = reports
        .iter()
        .filter(|r| r.error.is_some())
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].ends_with("runtime-spec-bad-invalid-json/config.json"));
    assert_eq!(reports.len(), 97);
    // Score: one critical failure drags C to at most 0.2.
    let priv_pod = by(&reports, &dir, "k8s/examples-psp-pod-priv/pod_priv.yaml");
    assert!(priv_pod.score <= 0.2);
}

#[test]
fn sandbox_required_flags_unsandboxed_workloads_only() {
    let Some(dir) = corpus() else { return };
    let opts = Options {
        require_sandbox: true,
        ..Options::default()
    };
    let sandboxed = hull_audit::audit_file(
        &dir.join("k8s/gvisor-doc-shared-folder-pod/pod.yaml"),
        &opts,
    );
    assert!(!has(&sandboxed, "k8s:sandbox-runtime"));
    let plain = hull_audit::audit_file(&dir.join("k8s/examples-psp-pod-priv/pod_priv.yaml"), &opts);
    assert!(has(&plain, "k8s:sandbox-runtime"));
    let without = hull_audit::audit_file(
        &dir.join("k8s/examples-psp-pod-priv/pod_priv.yaml"),
        &Options::default(),
    );
    assert!(!has(&without, "k8s:sandbox-runtime"));
}

#[test]
fn fix_output_parses_and_scores_higher_on_every_corpus_file() {
    let Some((_, reports)) = reports() else {
        return;
    };
    let mut fixed_files = 0;
    for r in reports.iter().filter(|r| r.error.is_none()) {
        let text = std::fs::read_to_string(&r.path).unwrap();
        let parsed = hull_audit::parse(&r.path, &text).unwrap();
        let Ok(fixed) = hull_audit::fix::harden(&parsed, &text) else {
            continue;
        };
        let again = hull_audit::audit_text(&r.path, &fixed, &Options::default());
        assert!(
            again.error.is_none(),
            "{}: fixed copy unreadable: {:?}",
            r.path,
            again.error
        );
        assert_eq!(again.kind, r.kind, "{}", r.path);
        assert_eq!(again.workloads.len(), r.workloads.len(), "{}", r.path);
        assert!(
            again.score >= r.score,
            "{}: {} < {}",
            r.path,
            again.score,
            r.score
        );
        for id in [
            ":privileged",
            ":allow-privilege-escalation",
            ":no-new-privileges",
            ":drop-all-capabilities",
            ":seccomp-profile",
            ":read-only-root-filesystem",
        ] {
            assert!(
                !again
                    .findings
                    .iter()
                    .any(|f| f.id.ends_with(id) && f.source == "builtin"),
                "{}: {id} still fails after --fix",
                r.path
            );
        }
        fixed_files += 1;
    }
    assert!(fixed_files >= 70, "only {fixed_files} files fixed");
}
