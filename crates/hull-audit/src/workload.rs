//! The normalised view of "something that runs containers", shared by Kubernetes,
//! compose, `docker inspect` and OCI runtime configs so that one check implementation
//! serves every format. Each adapter resolves its own defaults and inheritance (pod vs
//! container security context, Docker's default seccomp profile, …) into *effective*
//! values here; checks never look at the raw document.

use serde::Serialize;

/// How strongly a workload is isolated from the host kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    /// Linux namespaces and cgroups only: the container shares the host kernel.
    #[default]
    Namespaces,
    /// gVisor (`runsc`): a user-space kernel intercepts system calls.
    Gvisor,
    /// Kata Containers: each pod runs in a lightweight virtual machine.
    KataVm,
}

impl Isolation {
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::Namespaces => "namespaces",
            Isolation::Gvisor => "gvisor",
            Isolation::KataVm => "kata-vm",
        }
    }

    /// Classifies a runtime name (`runtimeClassName`, Docker `--runtime`, containerd
    /// handler, OCI annotation value). Names are matched by the well-known runtime
    /// binaries and the conventional class names (`gvisor`, `kata`, `kata-qemu`, …).
    pub fn from_runtime_name(name: &str) -> Isolation {
        let n = name.to_ascii_lowercase();
        if n.contains("runsc") || n.contains("gvisor") {
            Isolation::Gvisor
        } else if n.contains("kata") {
            Isolation::KataVm
        } else {
            Isolation::Namespaces
        }
    }
}

/// Seccomp state of a container after defaults and inheritance are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Seccomp {
    /// No profile: for Kubernetes and OCI this means unconfined.
    #[default]
    Unset,
    RuntimeDefault,
    Localhost,
    Unconfined,
}

/// A host directory or socket made visible inside the workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostMount {
    /// Path on the host.
    pub host_path: String,
    /// Where it appears in the container, when known.
    pub target: Option<String>,
    pub read_only: bool,
    pub line: Option<usize>,
}

/// One container of a workload, with effective settings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Container {
    pub name: String,
    pub image: Option<String>,
    /// Kubernetes init or ephemeral container.
    pub init: bool,
    pub line: Option<usize>,
    pub privileged: bool,
    /// `allowPrivilegeEscalation` / the inverse of `no-new-privileges`.
    pub allow_privilege_escalation: bool,
    /// Capabilities added (upper case, without `CAP_`).
    pub caps_add: Vec<String>,
    /// Capabilities dropped (upper case, without `CAP_`).
    pub caps_drop: Vec<String>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub run_as_non_root: bool,
    /// Supplementary groups and `fsGroup`.
    pub supplemental_groups: Vec<i64>,
    pub read_only_root_fs: bool,
    pub seccomp: Seccomp,
    /// AppArmor profile name (`runtime/default`, `localhost/x`, `unconfined`), if set.
    pub apparmor: Option<String>,
    /// SELinux `type` option, if set.
    pub selinux_type: Option<String>,
    /// SELinux user or role set (forbidden by the Pod Security Standards baseline).
    pub selinux_user_or_role: bool,
    /// `procMount` (`Default` or `Unmasked`).
    pub proc_mount: Option<String>,
    pub cpu_limit: bool,
    pub memory_limit: bool,
    pub cpu_request: bool,
    pub memory_request: bool,
    /// Ports bound on the host (`hostPort`, compose `ports` published on the host).
    pub host_ports: Vec<u32>,
    /// Windows HostProcess container.
    pub host_process: bool,
    /// Added capabilities spelled otherwise than the kernel's upper-case name without
    /// `CAP_` (`chown`, `CAP_CHOWN`): the Pod Security Standards compare names exactly.
    pub caps_add_noncanonical: Vec<String>,
    /// `host` values of probe and lifecycle handlers (`livenessProbe.httpGet.host`, …).
    pub probe_hosts: Vec<String>,
}

/// A unit that runs one or more containers: a Pod template, a compose service, one
/// inspected container or one OCI bundle.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Workload {
    /// `Deployment/frontend`, `service web`, `container /x`, `bundle`.
    pub name: String,
    /// `Deployment`, `compose-service`, `container`, `oci-bundle`.
    pub kind: String,
    pub namespace: Option<String>,
    pub line: Option<usize>,
    pub host_network: bool,
    pub host_pid: bool,
    pub host_ipc: bool,
    pub host_uts: bool,
    /// Shares the host user namespace explicitly (`userns_mode: host`).
    pub host_userns: bool,
    /// Runtime name as written (`runtimeClassName`, `runtime`, OCI annotation).
    pub runtime: Option<String>,
    pub isolation: Isolation,
    /// `automountServiceAccountToken` after pod/default resolution (Kubernetes only).
    pub automount_service_account_token: Option<bool>,
    /// Sysctls set by the workload.
    pub sysctls: Vec<String>,
    pub host_mounts: Vec<HostMount>,
    /// Kubernetes volume types used (`configMap`, `hostPath`, `nfs`, …).
    pub volume_types: Vec<String>,
    /// Host devices passed in (compose `devices`, docker `--device`).
    pub devices: Vec<String>,
    /// A PID limit is set (compose `pids_limit`, docker `--pids-limit`).
    pub pids_limit: bool,
    /// A Windows pod (`spec.os.name: windows`): the Linux-only checks do not apply.
    pub windows: bool,
    /// Runs in its own user namespace (`hostUsers: false`): container UIDs, including
    /// 0, map to unprivileged host UIDs.
    pub user_namespace: bool,
    pub containers: Vec<Container>,
}
