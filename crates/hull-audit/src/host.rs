//! `hull host`: the host's container runtime setup, read from files under a root
//! directory (`/` normally, a fake tree in tests). Nothing is executed and no daemon
//! is contacted: Docker `daemon.json`, containerd `config.toml`, the Docker socket's
//! owner and mode, kernel features from `/proc` and `/sys`, and sandbox runtime
//! binaries on the usual paths.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::checks::{CheckContext, Hit};
use crate::workload::Isolation;

/// The Docker socket as found on disk.
#[derive(Debug, Clone, Serialize)]
pub struct SocketInfo {
    pub path: String,
    pub uid: u32,
    pub gid: u32,
    /// Group name from `<root>/etc/group`, when found.
    pub group: Option<String>,
    /// Permission bits (e.g. 0o660).
    pub mode: u32,
}

/// What hull learned about the host.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HostFacts {
    pub root: String,
    pub docker_socket: Option<SocketInfo>,
    /// `Some(true)` when the kernel supports seccomp filters; `None` when unknown.
    pub seccomp: Option<bool>,
    pub apparmor: Option<bool>,
    pub selinux_enforcing: Option<bool>,
    pub max_user_namespaces: Option<u64>,
    pub cgroup_v2: Option<bool>,
    /// Sandbox runtime binaries found (path, isolation).
    pub sandbox_runtimes: Vec<(String, Isolation)>,
    pub daemon_json: Option<String>,
    pub containerd_toml: Option<String>,
}

fn read(root: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(root.join(rel)).ok()
}

fn group_name(root: &Path, gid: u32) -> Option<String> {
    read(root, "etc/group")?.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let _pw = f.next()?;
        let g: u32 = f.next()?.parse().ok()?;
        (g == gid).then(|| name.to_string())
    })
}

/// Gathers facts from `root` (which stands for `/`).
pub fn gather(root: &Path) -> HostFacts {
    let mut f = HostFacts {
        root: root.display().to_string(),
        ..HostFacts::default()
    };
    for rel in ["var/run/docker.sock", "run/docker.sock"] {
        if let Ok(md) = std::fs::symlink_metadata(root.join(rel)) {
            f.docker_socket = Some(SocketInfo {
                path: format!("/{rel}"),
                uid: md.uid(),
                gid: md.gid(),
                group: group_name(root, md.gid()),
                mode: md.mode() & 0o7777,
            });
            break;
        }
    }
    // seccomp: the `Seccomp:` line exists in /proc/self/status only on kernels with
    // CONFIG_SECCOMP; the actions list exists only with filter support.
    f.seccomp = if root.join("proc/sys/kernel/seccomp/actions_avail").exists() {
        Some(true)
    } else {
        read(root, "proc/self/status").map(|s| s.lines().any(|l| l.starts_with("Seccomp:")))
    };
    f.apparmor = read(root, "sys/module/apparmor/parameters/enabled").map(|s| s.trim() == "Y");
    f.selinux_enforcing = read(root, "sys/fs/selinux/enforce").map(|s| s.trim() == "1");
    f.max_user_namespaces =
        read(root, "proc/sys/user/max_user_namespaces").and_then(|s| s.trim().parse().ok());
    let cg = root.join("sys/fs/cgroup");
    f.cgroup_v2 = if cg.join("cgroup.controllers").exists() {
        Some(true)
    } else if cg.exists() {
        Some(false)
    } else {
        None
    };
    const BINS: &[&str] = &[
        "runsc",
        "containerd-shim-runsc-v1",
        "kata-runtime",
        "containerd-shim-kata-v2",
    ];
    const DIRS: &[&str] = &[
        "usr/bin",
        "usr/local/bin",
        "usr/sbin",
        "bin",
        "sbin",
        "opt/kata/bin",
    ];
    for d in DIRS {
        for b in BINS {
            let p: PathBuf = root.join(d).join(b);
            if p.exists() {
                f.sandbox_runtimes
                    .push((format!("/{d}/{b}"), Isolation::from_runtime_name(b)));
            }
        }
    }
    f.daemon_json = read(root, "etc/docker/daemon.json");
    f.containerd_toml = read(root, "etc/containerd/config.toml");
    f
}

pub(crate) fn check_socket(f: &HostFacts, _: &CheckContext) -> Vec<Hit> {
    let Some(s) = &f.docker_socket else {
        return vec![];
    };
    let mut problems = vec![];
    if s.uid != 0 {
        problems.push(format!("owner uid {} (want root)", s.uid));
    }
    if s.gid != 0 && s.group.as_deref() != Some("docker") {
        problems.push(format!(
            "group {} (want docker)",
            s.group.clone().unwrap_or_else(|| s.gid.to_string())
        ));
    }
    if s.mode & 0o007 != 0 || s.mode & 0o110 != 0 {
        problems.push(format!("mode {:o} (want 660 or stricter)", s.mode));
    }
    if problems.is_empty() {
        vec![]
    } else {
        vec![Hit {
            container: None,
            message: format!("{}: {}", s.path, problems.join(", ")),
            line: None,
        }]
    }
}

pub(crate) fn check_seccomp(f: &HostFacts, _: &CheckContext) -> Vec<Hit> {
    if f.seccomp == Some(false) {
        vec![Hit {
            container: None,
            message: "kernel reports no seccomp support".into(),
            line: None,
        }]
    } else {
        vec![]
    }
}

pub(crate) fn check_lsm(f: &HostFacts, _: &CheckContext) -> Vec<Hit> {
    let known = f.apparmor.is_some() || f.selinux_enforcing.is_some();
    if known && f.apparmor != Some(true) && f.selinux_enforcing != Some(true) {
        vec![Hit {
            container: None,
            message: "neither AppArmor nor enforcing SELinux is active".into(),
            line: None,
        }]
    } else {
        vec![]
    }
}

pub(crate) fn check_userns(f: &HostFacts, _: &CheckContext) -> Vec<Hit> {
    if f.max_user_namespaces == Some(0) {
        vec![Hit {
            container: None,
            message: "user.max_user_namespaces = 0".into(),
            line: None,
        }]
    } else {
        vec![]
    }
}

pub(crate) fn check_cgroup_v2(f: &HostFacts, _: &CheckContext) -> Vec<Hit> {
    if f.cgroup_v2 == Some(false) {
        vec![Hit {
            container: None,
            message: "/sys/fs/cgroup is not a cgroup v2 unified hierarchy".into(),
            line: None,
        }]
    } else {
        vec![]
    }
}

pub(crate) fn check_sandbox(f: &HostFacts, ctx: &CheckContext) -> Vec<Hit> {
    if ctx.require_sandbox && f.sandbox_runtimes.is_empty() {
        vec![Hit {
            container: None,
            message: "no runsc or kata runtime found".into(),
            line: None,
        }]
    } else {
        vec![]
    }
}

/// Audits the host under `root`: one report for the host itself and one for each
/// runtime config file found (`/etc/docker/daemon.json`, `/etc/containerd/config.toml`).
pub fn audit(root: &Path, opts: &crate::Options) -> Vec<crate::FileReport> {
    let ctx = CheckContext {
        require_sandbox: opts.require_sandbox,
    };
    let facts = gather(root);
    let mut findings = vec![];
    for def in crate::checks::TABLE
        .iter()
        .filter(|d| d.kinds.contains(&crate::Kind::Host))
    {
        if let crate::checks::Eval::Host(f) = def.eval {
            for h in f(&facts, &ctx) {
                findings.push(crate::Finding {
                    id: def.id(crate::Kind::Host),
                    title: def.title.to_string(),
                    severity: def.severity,
                    message: h.message,
                    line: h.line,
                    workload: None,
                    container: None,
                    source: "builtin".into(),
                    remediation: def.remediation.to_string(),
                });
            }
        }
    }
    let yn = |b: Option<bool>| match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    let mut notes = vec![
        format!("seccomp: {}", yn(facts.seccomp)),
        format!("AppArmor: {}", yn(facts.apparmor)),
        format!("SELinux enforcing: {}", yn(facts.selinux_enforcing)),
        format!(
            "user namespaces: {}",
            facts
                .max_user_namespaces
                .map(|n| format!("max {n}"))
                .unwrap_or_else(|| "unknown".into())
        ),
        format!("cgroup v2: {}", yn(facts.cgroup_v2)),
    ];
    match &facts.docker_socket {
        Some(s) => notes.push(format!(
            "docker socket {}: uid {} group {} mode {:o}",
            s.path,
            s.uid,
            s.group.clone().unwrap_or_else(|| s.gid.to_string()),
            s.mode
        )),
        None => notes.push("docker socket: not found".into()),
    }
    if facts.sandbox_runtimes.is_empty() {
        notes.push("sandbox runtimes: none found".into());
    } else {
        let l: Vec<String> = facts
            .sandbox_runtimes
            .iter()
            .map(|(p, i)| format!("{p} ({})", i.as_str()))
            .collect();
        notes.push(format!("sandbox runtimes: {}", l.join(", ")));
    }
    let score = crate::score::score(findings.iter().map(|f| (f.id.as_str(), f.severity)));
    let mut out = vec![crate::FileReport {
        path: facts.root.clone(),
        kind: Some(crate::Kind::Host),
        error: None,
        notes,
        workloads: vec![],
        findings,
        score,
    }];
    for (rel, text) in [
        ("etc/docker/daemon.json", &facts.daemon_json),
        ("etc/containerd/config.toml", &facts.containerd_toml),
    ] {
        if let Some(t) = text {
            let shown = root.join(rel).display().to_string();
            out.push(crate::audit_text(&shown, t, opts));
        }
    }
    out
}
