//! `hull host` against fake root trees built in temp dirs.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use hull_audit::{host, Options};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// A well-configured host: socket root:docker 660, seccomp, AppArmor, userns, cgroup v2,
/// runsc installed, hardened daemon.json.
fn good_root(root: &Path) {
    write(root, "etc/group", "root:x:0:\ndocker:x:0:\n");
    write(root, "var/run/docker.sock", "");
    fs::set_permissions(
        root.join("var/run/docker.sock"),
        fs::Permissions::from_mode(0o660),
    )
    .unwrap();
    write(
        root,
        "proc/sys/kernel/seccomp/actions_avail",
        "kill_process kill_thread trap errno user_notif trace log allow\n",
    );
    write(root, "sys/module/apparmor/parameters/enabled", "Y\n");
    write(root, "proc/sys/user/max_user_namespaces", "63476\n");
    write(
        root,
        "sys/fs/cgroup/cgroup.controllers",
        "cpuset cpu io memory pids\n",
    );
    write(root, "usr/bin/runsc", "");
    write(
        root,
        "etc/docker/daemon.json",
        r#"{"icc": false, "userns-remap": "default", "live-restore": true, "no-new-privileges": true, "log-driver": "journald", "userland-proxy": false, "runtimes": {"runsc": {"path": "/usr/bin/runsc"}}}"#,
    );
}

type Breaker = fn(&Path);

fn cases() -> Vec<(&'static str, Breaker)> {
    vec![
        ("docker-socket-permissions", |r| {
            fs::set_permissions(
                r.join("var/run/docker.sock"),
                fs::Permissions::from_mode(0o666),
            )
            .unwrap()
        }),
        ("seccomp-kernel", |r| {
            fs::remove_file(r.join("proc/sys/kernel/seccomp/actions_avail")).unwrap();
            write(r, "proc/self/status", "Name:\tcat\nNoNewPrivs:\t0\n");
        }),
        ("lsm", |r| {
            write(r, "sys/module/apparmor/parameters/enabled", "N\n")
        }),
        ("user-namespaces", |r| {
            write(r, "proc/sys/user/max_user_namespaces", "0\n")
        }),
        ("cgroup-v2", |r| {
            fs::remove_file(r.join("sys/fs/cgroup/cgroup.controllers")).unwrap()
        }),
        ("sandbox-runtime", |r| {
            fs::remove_file(r.join("usr/bin/runsc")).unwrap()
        }),
    ]
}

pub fn covered_ids() -> Vec<String> {
    cases()
        .into_iter()
        .map(|(s, _)| format!("host:{s}"))
        .collect()
}

fn host_ids(root: &Path) -> Vec<String> {
    let opts = Options {
        require_sandbox: true,
        ..Options::default()
    };
    host::audit(root, &opts)
        .into_iter()
        .flat_map(|r| r.findings)
        .map(|f| f.id)
        .collect()
}

#[test]
fn good_host_passes_and_each_mistake_is_found() {
    let t = tempfile::tempdir().unwrap();
    good_root(t.path());
    let base = host_ids(t.path());
    assert!(base.is_empty(), "good host reports {base:?}");
    for (slug, breaker) in cases() {
        let t = tempfile::tempdir().unwrap();
        good_root(t.path());
        breaker(t.path());
        let got = host_ids(t.path());
        assert!(got.contains(&format!("host:{slug}")), "{slug}: got {got:?}");
    }
}

#[test]
fn host_reads_runtime_configs_and_reports_sandboxes() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(
        r,
        "etc/docker/daemon.json",
        r#"{"insecure-registries": ["10.0.0.1:5000"]}"#,
    );
    write(
        r,
        "etc/containerd/config.toml",
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata]\n  runtime_type = \"io.containerd.kata.v2\"\n",
    );
    write(r, "opt/kata/bin/containerd-shim-kata-v2", "");
    let reports = host::audit(r, &Options::default());
    assert_eq!(reports.len(), 3);
    assert!(
        reports[0].notes.iter().any(|n| n.contains("kata-vm")),
        "{:?}",
        reports[0].notes
    );
    assert!(reports[1]
        .findings
        .iter()
        .any(|f| f.id == "daemon:insecure-registries"));
    assert!(
        reports[2]
            .notes
            .iter()
            .any(|n| n.contains("kata [io.containerd.kata.v2] (kata-vm)")),
        "{:?}",
        reports[2].notes
    );
}
