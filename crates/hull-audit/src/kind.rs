//! Which format a file is, decided by its content (file names only break ties).

use serde::Serialize;

/// The formats `hull config` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Kubernetes manifests: one object, a `List`, multi-document YAML or JSON.
    Kubernetes,
    /// Docker Compose (v2, v3 and the Compose Specification).
    Compose,
    /// `docker inspect` / `podman inspect` output for containers.
    DockerInspect,
    /// OCI runtime `config.json` of a runc/crun bundle.
    OciRuntime,
    Dockerfile,
    /// Docker daemon `daemon.json`.
    DaemonJson,
    /// containerd `config.toml`.
    ContainerdToml,
    /// Checks `hull host` runs against the machine itself.
    Host,
}

impl Kind {
    /// The prefix of check ids for this kind (`k8s:privileged`).
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Kubernetes => "k8s",
            Kind::Compose => "compose",
            Kind::DockerInspect => "docker",
            Kind::OciRuntime => "oci",
            Kind::Dockerfile => "dockerfile",
            Kind::DaemonJson => "daemon",
            Kind::ContainerdToml => "containerd",
            Kind::Host => "host",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Kubernetes => "kubernetes",
            Kind::Compose => "compose",
            Kind::DockerInspect => "docker-inspect",
            Kind::OciRuntime => "oci-runtime",
            Kind::Dockerfile => "dockerfile",
            Kind::DaemonJson => "daemon-json",
            Kind::ContainerdToml => "containerd-toml",
            Kind::Host => "host",
        }
    }

    pub const ALL: [Kind; 8] = [
        Kind::Kubernetes,
        Kind::Compose,
        Kind::DockerInspect,
        Kind::OciRuntime,
        Kind::Dockerfile,
        Kind::DaemonJson,
        Kind::ContainerdToml,
        Kind::Host,
    ];
}

/// Keys that only Docker's `daemon.json` has at top level; one is enough to tell it
/// apart from other JSON objects.
const DAEMON_KEYS: &[&str] = &[
    "insecure-registries",
    "registry-mirrors",
    "live-restore",
    "userns-remap",
    "icc",
    "log-driver",
    "log-opts",
    "storage-driver",
    "data-root",
    "default-runtime",
    "runtimes",
    "experimental",
    "metrics-addr",
    "no-new-privileges",
    "hosts",
    "fixed-cidr-v6",
    "ipv6",
    "ip6tables",
    "exec-opts",
    "features",
    "dns",
    "bip",
    "default-address-pools",
    "userland-proxy",
    "seccomp-profile",
    "selinux-enabled",
    "tlsverify",
    "cgroup-parent",
];

/// Decides the kind of a parsed JSON value.
pub(crate) fn classify_json(v: &serde_json::Value) -> Option<Kind> {
    match v {
        serde_json::Value::Array(items) => {
            let looks_inspect = !items.is_empty()
                && items.iter().all(|i| {
                    i.get("HostConfig").is_some()
                        || (i.get("State").is_some() && i.get("Config").is_some())
                });
            looks_inspect.then_some(Kind::DockerInspect)
        }
        serde_json::Value::Object(m) => {
            if m.contains_key("HostConfig") && m.contains_key("Config") {
                Some(Kind::DockerInspect)
            } else if m.contains_key("ociVersion") {
                Some(Kind::OciRuntime)
            } else if m.contains_key("apiVersion") && m.contains_key("kind") {
                Some(Kind::Kubernetes)
            } else if m.get("services").is_some_and(|s| s.is_object()) {
                Some(Kind::Compose)
            } else if m.keys().any(|k| DAEMON_KEYS.contains(&k.as_str())) {
                Some(Kind::DaemonJson)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether a file name suggests a Dockerfile.
pub(crate) fn dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("dockerfile")
        || lower.starts_with("containerfile")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
}

/// Whether text looks like a Dockerfile: the first instruction (after comments, parser
/// directives and blank lines) is `FROM` or `ARG`.
pub(crate) fn looks_like_dockerfile(text: &str) -> bool {
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let word = t
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        return word == "FROM" || word == "ARG";
    }
    false
}

/// Whether text looks like a containerd TOML config (a `[plugins…]` table or
/// a `version = N` line followed by tables).
pub(crate) fn looks_like_containerd(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with("[plugins")
            || t.starts_with("[grpc]")
            || t.starts_with("root = ") && text.contains("state = ")
    })
}
