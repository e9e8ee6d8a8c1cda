//! The built-in checks: one static table. Each row is a control; it applies to one or
//! more kinds and its id is `<kind prefix>:<slug>` (`k8s:privileged`,
//! `compose:privileged`). Adding a check = one row + one small function + fixtures +
//! the generated doc entry (`docs/checks.md`, kept in sync by a test).

use hull_model::Severity;
use serde::Serialize;

use crate::containerd;
use crate::daemon;
use crate::dockerfile::Dockerfile;
use crate::host::HostFacts;
use crate::kind::Kind;
use crate::workload::{Isolation, Seccomp, Workload};

/// Options that change what checks report.
#[derive(Debug, Clone, Default)]
pub struct CheckContext {
    /// Make "no sandboxed runtime" a failure (`--require-sandbox`).
    pub require_sandbox: bool,
}

/// One failing spot found by a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub container: Option<String>,
    pub message: String,
    pub line: Option<usize>,
}

impl Hit {
    fn new(message: impl Into<String>, line: Option<usize>) -> Hit {
        Hit {
            container: None,
            message: message.into(),
            line,
        }
    }
    fn in_container(c: &crate::workload::Container, message: impl Into<String>) -> Hit {
        Hit {
            container: Some(c.name.clone()),
            message: message.into(),
            line: c.line,
        }
    }
}

/// How a check looks at its input.
#[derive(Clone, Copy)]
pub enum Eval {
    Workload(fn(&Workload, &CheckContext) -> Vec<Hit>),
    /// A raw Kubernetes object that is not (only) a workload, with its first line.
    /// The other objects of the same input come along (bindings resolve their roles).
    K8sObject(fn(&serde_json::Value, Option<usize>, &[crate::k8s::Object]) -> Vec<Hit>),
    Dockerfile(fn(&Dockerfile) -> Vec<Hit>),
    Daemon(fn(&daemon::DaemonConfig, &CheckContext) -> Vec<Hit>),
    Containerd(fn(&containerd::ContainerdConfig, &CheckContext) -> Vec<Hit>),
    Host(fn(&HostFacts, &CheckContext) -> Vec<Hit>),
}

/// A row of the check table.
pub struct CheckDef {
    pub slug: &'static str,
    pub kinds: &'static [Kind],
    pub severity: Severity,
    pub title: &'static str,
    pub description: &'static str,
    pub remediation: &'static str,
    /// Which benchmark controls this check implements.
    pub controls: &'static str,
    pub references: &'static [&'static str],
    pub eval: Eval,
}

/// A check as users see it: one id per kind.
#[derive(Debug, Clone, Serialize)]
pub struct CheckInfo {
    pub id: String,
    pub kind: Kind,
    pub severity: Severity,
    pub title: &'static str,
    pub description: &'static str,
    pub remediation: &'static str,
    pub controls: &'static str,
    pub references: &'static [&'static str],
}

impl CheckDef {
    pub fn id(&self, kind: Kind) -> String {
        format!("{}:{}", kind.prefix(), self.slug)
    }
}

/// Every built-in check id with its documentation, in table order.
pub fn catalog() -> Vec<CheckInfo> {
    TABLE
        .iter()
        .flat_map(|d| {
            d.kinds.iter().map(move |&k| CheckInfo {
                id: d.id(k),
                kind: k,
                severity: d.severity,
                title: d.title,
                description: d.description,
                remediation: d.remediation,
                controls: d.controls,
                references: d.references,
            })
        })
        .collect()
}

/// Looks up one check by id.
pub fn lookup(id: &str) -> Option<CheckInfo> {
    catalog().into_iter().find(|c| c.id == id)
}

const PSS: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";
const CIS_DOCKER: &str = "https://www.cisecurity.org/benchmark/docker";
const NSA: &str = "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF";
const OCI_SPEC: &str = "https://github.com/opencontainers/runtime-spec/blob/main/config.md";
const DOCKERFILE_BP: &str = "https://docs.docker.com/build/building/best-practices/";
const DAEMON_DOC: &str = "https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file";
const GVISOR: &str = "https://gvisor.dev/docs/";
const KATA: &str = "https://katacontainers.io/docs/";

use Kind::{
    Compose as C, ContainerdToml as CT, DaemonJson as DJ, DockerInspect as D, Host as H,
    Kubernetes as K, OciRuntime as O,
};

const ALL4: &[Kind] = &[K, C, D, O];
const KCD: &[Kind] = &[K, C, D];
const CD: &[Kind] = &[C, D];

/// The check table. Order is the order of the docs.
pub static TABLE: &[CheckDef] = &[
    CheckDef {
        slug: "privileged",
        kinds: ALL4,
        severity: Severity::Critical,
        title: "Container runs privileged",
        description: "A privileged container gets every capability, all host devices and no seccomp or LSM confinement: root in it is root on the host.",
        remediation: "Remove `privileged: true` (Kubernetes `securityContext.privileged`, compose `privileged`, `docker run --privileged`); grant only the capabilities the process needs.",
        controls: "PSS baseline: Privileged Containers; CIS Docker 5.4; NSA/CISA: non-privileged containers",
        references: &[PSS, CIS_DOCKER, NSA],
        eval: Eval::Workload(privileged),
    },
    CheckDef {
        slug: "allow-privilege-escalation",
        kinds: &[K],
        severity: Severity::Medium,
        title: "Privilege escalation allowed (allowPrivilegeEscalation not false)",
        description: "Without `allowPrivilegeEscalation: false` the kernel's no_new_privs flag is not set, so setuid binaries and file capabilities can raise the privileges of the process.",
        remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
        controls: "PSS restricted: Privilege Escalation; NSA/CISA",
        references: &[PSS, NSA],
        eval: Eval::Workload(privilege_escalation),
    },
    CheckDef {
        slug: "no-new-privileges",
        kinds: &[C, D, O],
        severity: Severity::Medium,
        title: "no-new-privileges not set (privilege escalation allowed)",
        description: "Without the no_new_privs flag, setuid binaries and file capabilities inside the container can raise the privileges of the process.",
        remediation: "compose: `security_opt: [\"no-new-privileges:true\"]`; docker: `--security-opt no-new-privileges`; OCI: `process.noNewPrivileges: true`.",
        controls: "CIS Docker 5.25; PSS restricted: Privilege Escalation",
        references: &[CIS_DOCKER, OCI_SPEC],
        eval: Eval::Workload(privilege_escalation),
    },
    CheckDef {
        slug: "drop-all-capabilities",
        kinds: ALL4,
        severity: Severity::Low,
        title: "Capabilities not dropped (ALL not in drop list)",
        description: "Containers start with a default capability set (CHOWN, DAC_OVERRIDE, NET_RAW, SETUID, …). Most processes need none of them; dropping ALL and adding back what is needed shrinks the kernel attack surface. For OCI bundles this fails when the bounding set is not empty.",
        remediation: "Kubernetes: `securityContext.capabilities.drop: [ALL]`; compose: `cap_drop: [ALL]`; docker: `--cap-drop ALL`; OCI: empty `process.capabilities` sets (add back only what is needed).",
        controls: "PSS restricted: Capabilities; CIS Docker 5.3; NSA/CISA",
        references: &[PSS, CIS_DOCKER],
        eval: Eval::Workload(drop_all),
    },
    CheckDef {
        slug: "added-capabilities",
        kinds: ALL4,
        severity: Severity::Medium,
        title: "Capabilities added beyond the default set",
        description: "The Pod Security Standards baseline allows only the runtime's default capabilities (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT). Anything else widens what root in the container can do to the kernel.",
        remediation: "Remove the extra capabilities from `capabilities.add` / `cap_add` / the OCI capability sets.",
        controls: "PSS baseline: Capabilities; CIS Docker 5.3",
        references: &[PSS, CIS_DOCKER],
        eval: Eval::Workload(added_caps),
    },
    CheckDef {
        slug: "dangerous-capabilities",
        kinds: ALL4,
        severity: Severity::High,
        title: "Dangerous capability granted (SYS_ADMIN, SYS_MODULE, SYS_PTRACE, …)",
        description: "SYS_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, DAC_READ_SEARCH, NET_ADMIN, BPF, PERFMON, SYS_BOOT or ALL each give well-known container escapes or host-wide control.",
        remediation: "Do not add these capabilities; run the task that needs them outside the container or with a purpose-built, reviewed component.",
        controls: "PSS baseline: Capabilities; CIS Docker 5.3; NSA/CISA",
        references: &[PSS, CIS_DOCKER, NSA],
        eval: Eval::Workload(dangerous_caps),
    },
    CheckDef {
        slug: "host-network",
        kinds: ALL4,
        severity: Severity::High,
        title: "Shares the host network namespace",
        description: "With the host network namespace the container sees every host interface, can bind host ports and reach services bound to localhost on the node.",
        remediation: "Kubernetes: remove `hostNetwork: true`; compose: remove `network_mode: host`; docker: do not use `--network host`; OCI: add a `network` namespace.",
        controls: "PSS baseline: Host Namespaces; CIS Docker 5.9",
        references: &[PSS, CIS_DOCKER],
        eval: Eval::Workload(host_network),
    },
    CheckDef {
        slug: "host-pid",
        kinds: ALL4,
        severity: Severity::High,
        title: "Shares the host PID namespace",
        description: "With the host PID namespace the container sees and can signal (or ptrace, with the capability) every process on the host.",
        remediation: "Kubernetes: remove `hostPID: true`; compose: remove `pid: host`; docker: do not use `--pid host`; OCI: add a `pid` namespace.",
        controls: "PSS baseline: Host Namespaces; CIS Docker 5.15",
        references: &[PSS, CIS_DOCKER],
        eval: Eval::Workload(host_pid),
    },
    CheckDef {
        slug: "host-ipc",
        kinds: ALL4,
        severity: Severity::High,
        title: "Shares the host IPC namespace",
        description: "With the host IPC namespace the container can read and write host shared memory and semaphores.",
        remediation: "Kubernetes: remove `hostIPC: true`; compose: remove `ipc: host`; docker: do not use `--ipc host`; OCI: add an `ipc` namespace.",
        controls: "PSS baseline: Host Namespaces; CIS Docker 5.16",
        references: &[PSS, CIS_DOCKER],
        eval: Eval::Workload(host_ipc),
    },
    CheckDef {
        slug: "host-uts",
        kinds: CD,
        severity: Severity::Medium,
        title: "Shares the host UTS namespace",
        description: "With the host UTS namespace the container can change the host's hostname.",
        remediation: "Remove `uts: host` / `--uts host`.",
        controls: "CIS Docker 5.21",
        references: &[CIS_DOCKER],
        eval: Eval::Workload(host_uts),
    },
    CheckDef {
        slug: "host-userns",
        kinds: CD,
        severity: Severity::Medium,
        title: "Opts out of user-namespace remapping",
        description: "`userns_mode: host` disables the daemon's user-namespace remapping for this container, so root in the container is root on the host.",
        remediation: "Remove `userns_mode: host` / `--userns host`.",
        controls: "CIS Docker 5.31",
        references: &[CIS_DOCKER],
        eval: Eval::Workload(host_userns),
    },
    CheckDef {
        slug: "host-path",
        kinds: ALL4,
        severity: Severity::Medium,
        title: "Host path mounted into the container",
        description: "hostPath volumes and bind mounts expose host files to the container; a writable one lets the container change the host.",
        remediation: "Use named volumes, emptyDir, ConfigMaps or Secrets instead of host paths; if a host path is unavoidable, mount it read-only.",
        controls: "PSS baseline: HostPath Volumes; CIS Docker 5.5; NSA/CISA",
        references: &[PSS, CIS_DOCKER],
        eval: Eval::Workload(host_path),
    },
    CheckDef {
        slug: "sensitive-host-path",
        kinds: ALL4,
        severity: Severity::High,
        title: "Sensitive host directory mounted (/, /etc, /proc, /var/lib/docker, …)",
        description: "Mounting the host root, /etc, /proc, /sys, /boot, /dev, /root, /var/lib/docker or /var/lib/kubelet gives the container the host's credentials, kernel interfaces or other containers' data.",
        remediation: "Do not mount these directories; mount the single file needed, read-only, if at all.",
        controls: "CIS Docker 5.5",
        references: &[CIS_DOCKER],
        eval: Eval::Workload(sensitive_host_path),
    },
    CheckDef {
        slug: "docker-socket",
        kinds: ALL4,
        severity: Severity::Critical,
        title: "Container runtime socket mounted (docker.sock, containerd.sock, …)",
        description: "Access to the Docker, containerd, CRI-O or Podman socket is root on the host: the container can start a privileged container that mounts /.",
        remediation: "Remove the socket mount; use a narrowly scoped API proxy if the workload must talk to the runtime.",
        controls: "CIS Docker 5.32; NSA/CISA",
        references: &[CIS_DOCKER, NSA],
        eval: Eval::Workload(docker_socket),
    },
    CheckDef {
        slug: "host-ports",
        kinds: &[K],
        severity: Severity::Medium,
        title: "hostPort used",
        description: "hostPort binds the container directly on the node's interfaces, bypassing Services and NetworkPolicies and limiting scheduling.",
        remediation: "Remove `hostPort`; expose the pod through a Service.",
        controls: "PSS baseline: Host Ports",
        references: &[PSS],
        eval: Eval::Workload(host_ports),
    },
    CheckDef {
        slug: "privileged-ports",
        kinds: CD,
        severity: Severity::Low,
        title: "Privileged host port (< 1024) published",
        description: "Publishing a port below 1024 on the host reserves a privileged port and often exposes a system service name (22, 80, 443) directly.",
        remediation: "Publish on a port ≥ 1024 and put a reverse proxy or load balancer in front.",
        controls: "CIS Docker 5.8",
        references: &[CIS_DOCKER],
        eval: Eval::Workload(privileged_ports),
    },
    CheckDef {
        slug: "run-as-non-root",
        kinds: ALL4,
        severity: Severity::Medium,
        title: "Runs as root (no non-root user enforced)",
        description: "A process running as UID 0 in the container is UID 0 on the host kernel (without user namespaces): a breakout or a writable host mount is then root-level.",
        remediation: "Kubernetes: `runAsNonRoot: true` and a `runAsUser` > 0; compose: `user: \"10001:10001\"`; docker: `--user`; OCI: `process.user.uid` > 0. Make the image run as a non-root `USER`.",
        controls: "PSS restricted: Running as Non-root; CIS Docker 4.1/5.x; NSA/CISA",
        references: &[PSS, NSA],
        eval: Eval::Workload(run_as_root),
    },
    CheckDef {
        slug: "high-uid",
        kinds: &[K],
        severity: Severity::Low,
        title: "runAsUser not above 10000",
        description: "UIDs at or below 10000 often collide with host accounts; a high UID keeps a container process from matching a real host user if it escapes.",
        remediation: "Set `securityContext.runAsUser` to a value above 10000.",
        controls: "NSA/CISA; Trivy KSV020",
        references: &[NSA],
        eval: Eval::Workload(high_uid),
    },
    CheckDef {
        slug: "high-gid",
        kinds: &[K],
        severity: Severity::Low,
        title: "runAsGroup not above 10000",
        description: "GIDs at or below 10000 often collide with host groups; a high GID keeps files the container writes from matching a real host group.",
        remediation: "Set `securityContext.runAsGroup` to a value above 10000.",
        controls: "NSA/CISA; Trivy KSV021",
        references: &[NSA],
        eval: Eval::Workload(high_gid),
    },
    CheckDef {
        slug: "root-group",
        kinds: &[K, O],
        severity: Severity::Low,
        title: "Runs with root primary or supplementary group",
        description: "GID 0 grants access to every root-group-owned file on mounted volumes and in the image.",
        remediation: "Set `runAsGroup`, `fsGroup` and `supplementalGroups` to non-zero values (OCI: `process.user.gid` and `additionalGids`).",
        controls: "NSA/CISA; Trivy KSV116",
        references: &[NSA],
        eval: Eval::Workload(root_group),
    },
    CheckDef {
        slug: "read-only-root-filesystem",
        kinds: ALL4,
        severity: Severity::Low,
        title: "Root filesystem is writable",
        description: "A writable root filesystem lets an attacker drop tools and persist changes inside the container.",
        remediation: "Kubernetes: `readOnlyRootFilesystem: true`; compose: `read_only: true`; docker: `--read-only`; OCI: `root.readonly: true`. Mount emptyDir/tmpfs where the process must write.",
        controls: "CIS Docker 5.13; NSA/CISA",
        references: &[CIS_DOCKER, NSA],
        eval: Eval::Workload(read_only_root),
    },
    CheckDef {
        slug: "seccomp-profile",
        kinds: ALL4,
        severity: Severity::Medium,
        title: "No seccomp profile (unconfined system calls)",
        description: "Without a seccomp profile every system call is reachable, including the rarely used ones that most kernel exploits need. Kubernetes does not apply the runtime default unless asked; Docker does, unless `seccomp=unconfined`.",
        remediation: "Kubernetes: `securityContext.seccompProfile.type: RuntimeDefault`; compose/docker: remove `seccomp:unconfined`; OCI: add a `linux.seccomp` profile.",
        controls: "PSS baseline+restricted: Seccomp; CIS Docker 5.22; NSA/CISA",
        references: &[PSS, CIS_DOCKER, NSA],
        eval: Eval::Workload(seccomp),
    },
    CheckDef {
        slug: "apparmor-unconfined",
        kinds: KCD,
        severity: Severity::Medium,
        title: "AppArmor disabled (unconfined)",
        description: "An `unconfined` AppArmor profile removes the mandatory access control that blocks writes to /proc, mounts and other escape paths.",
        remediation: "Use the runtime default profile (`RuntimeDefault` / remove `apparmor=unconfined`) or a custom `localhost/` profile.",
        controls: "PSS baseline: AppArmor; CIS Docker 5.1",
        references: &[PSS, CIS_DOCKER],
        eval: Eval::Workload(apparmor),
    },
    CheckDef {
        slug: "selinux",
        kinds: KCD,
        severity: Severity::Medium,
        title: "SELinux confinement disabled or custom user/role",
        description: "The baseline allows only the container SELinux types (container_t, container_init_t, container_kvm_t, container_engine_t) and forbids custom users and roles; `label=disable` turns SELinux off for the container.",
        remediation: "Remove custom `seLinuxOptions.user/role` and non-container types; remove `label:disable`.",
        controls: "PSS baseline: SELinux; CIS Docker 5.2",
        references: &[PSS, CIS_DOCKER],
        eval: Eval::Workload(selinux),
    },
    CheckDef {
        slug: "proc-mount",
        kinds: KCD,
        severity: Severity::Medium,
        title: "/proc mounted unmasked",
        description: "`procMount: Unmasked` (or `systempaths=unconfined`) exposes /proc paths such as /proc/kcore and /proc/sysrq-trigger that the runtime normally masks.",
        remediation: "Remove `procMount: Unmasked` / `systempaths=unconfined`.",
        controls: "PSS baseline: /proc Mount Type",
        references: &[PSS],
        eval: Eval::Workload(proc_mount),
    },
    CheckDef {
        slug: "masked-paths",
        kinds: &[O],
        severity: Severity::Medium,
        title: "/proc and /sys paths not masked",
        description: "runc masks /proc/kcore, /proc/keys, /proc/timer_list, /sys/firmware and others only when `linux.maskedPaths` and `linux.readonlyPaths` list them.",
        remediation: "Add the default `maskedPaths` (/proc/acpi, /proc/kcore, /proc/keys, /proc/latency_stats, /proc/timer_list, /proc/timer_stats, /proc/sched_debug, /proc/scsi, /sys/firmware) and `readonlyPaths` (/proc/bus, /proc/fs, /proc/irq, /proc/sys, /proc/sysrq-trigger).",
        controls: "PSS baseline: /proc Mount Type (runtime equivalent)",
        references: &[OCI_SPEC],
        eval: Eval::Workload(proc_mount),
    },
    CheckDef {
        slug: "unsafe-sysctls",
        kinds: KCD,
        severity: Severity::Medium,
        title: "Unsafe sysctl set",
        description: "Only namespaced, resource-isolated sysctls are safe (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes); others can affect the node.",
        remediation: "Remove the sysctl or set it on the node, not per container.",
        controls: "PSS baseline: Sysctls",
        references: &[PSS],
        eval: Eval::Workload(unsafe_sysctls),
    },
    CheckDef {
        slug: "host-process",
        kinds: &[K],
        severity: Severity::High,
        title: "Windows HostProcess container",
        description: "HostProcess containers run directly on the Windows host with host access.",
        remediation: "Remove `windowsOptions.hostProcess: true`.",
        controls: "PSS baseline: HostProcess",
        references: &[PSS],
        eval: Eval::Workload(host_process),
    },
    CheckDef {
        slug: "volume-types",
        kinds: &[K],
        severity: Severity::Low,
        title: "Volume type outside the restricted set",
        description: "The restricted profile allows only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes.",
        remediation: "Replace the volume with one of the allowed types (usually a PersistentVolumeClaim).",
        controls: "PSS restricted: Volume Types",
        references: &[PSS],
        eval: Eval::Workload(volume_types),
    },
    CheckDef {
        slug: "resource-limits",
        kinds: KCD,
        severity: Severity::Low,
        title: "CPU or memory limit not set",
        description: "A container without limits can starve the node and its neighbours (and is an easy denial of service).",
        remediation: "Kubernetes: `resources.limits.cpu` and `.memory`; compose: `deploy.resources.limits` (or `mem_limit`/`cpus`); docker: `--memory`, `--cpus`.",
        controls: "CIS Docker 5.10/5.11; NSA/CISA",
        references: &[CIS_DOCKER, NSA],
        eval: Eval::Workload(resource_limits),
    },
    CheckDef {
        slug: "resource-requests",
        kinds: &[K],
        severity: Severity::Low,
        title: "CPU or memory request not set",
        description: "Without requests the scheduler cannot place the pod sensibly and it is first to be evicted under pressure.",
        remediation: "Set `resources.requests.cpu` and `.memory`.",
        controls: "NSA/CISA",
        references: &[NSA],
        eval: Eval::Workload(resource_requests),
    },
    CheckDef {
        slug: "pids-limit",
        kinds: CD,
        severity: Severity::Low,
        title: "No PID limit",
        description: "Without a PID limit a fork bomb in the container exhausts the host's process table.",
        remediation: "compose: `pids_limit: 200` (or `deploy.resources.limits.pids`); docker: `--pids-limit`.",
        controls: "CIS Docker 5.29",
        references: &[CIS_DOCKER],
        eval: Eval::Workload(pids_limit),
    },
    CheckDef {
        slug: "devices",
        kinds: CD,
        severity: Severity::Medium,
        title: "Host device exposed",
        description: "Passing host devices into a container gives it direct access to hardware or kernel interfaces (e.g. /dev/mem, disks).",
        remediation: "Remove `devices` / `--device` unless the device is required; prefer device plugins.",
        controls: "CIS Docker 5.18",
        references: &[CIS_DOCKER],
        eval: Eval::Workload(devices),
    },
    CheckDef {
        slug: "probe-host",
        kinds: &[K],
        severity: Severity::Medium,
        title: "Probe or lifecycle hook targets another host",
        description: "A `host` in an `httpGet` or `tcpSocket` probe or lifecycle handler makes the kubelet connect to an arbitrary address from the node's network, which can reach services the pod itself cannot (PSS baseline from v1.34).",
        remediation: "Remove `host` from the probe or lifecycle handler; it then targets the pod's own IP.",
        controls: "PSS baseline: Host Probes / Lifecycle Hooks (v1.34)",
        references: &[PSS],
        eval: Eval::Workload(probe_host),
    },
    CheckDef {
        slug: "malformed-workload",
        kinds: &[K],
        severity: Severity::High,
        title: "Workload spec cannot be read",
        description: "A Pod or workload controller whose pod spec is a list, `null` or lacks a `containers` list cannot be audited; rather than score it perfect, hull reports it. The API server would reject it, so it is also a broken manifest.",
        remediation: "Fix the manifest: the pod spec (`spec` of a Pod, `spec.template.spec` of a controller) must be an object with a `containers` list.",
        controls: "hull: unreadable input is never a pass",
        references: &["https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/"],
        eval: Eval::K8sObject(crate::k8s::malformed_workload),
    },
    CheckDef {
        slug: "service-account-token",
        kinds: &[K],
        severity: Severity::Low,
        title: "Service account token automounted",
        description: "Every pod gets an API token by default; a compromised container can use it against the API server.",
        remediation: "Set `automountServiceAccountToken: false` on the pod (or its ServiceAccount) unless it calls the API.",
        controls: "NSA/CISA; CIS Kubernetes 5.1.6",
        references: &[NSA],
        eval: Eval::Workload(sa_token),
    },
    CheckDef {
        slug: "image-latest-tag",
        kinds: KCD,
        severity: Severity::Medium,
        title: "Image uses the `latest` tag or no tag",
        description: "`latest` (or no tag) changes under you: rebuilds and rollbacks run different code than was reviewed and scanned.",
        remediation: "Use a specific version tag, ideally with a digest (`image:1.2.3@sha256:…`).",
        controls: "NSA/CISA; CIS Docker 5.27",
        references: &[NSA, CIS_DOCKER],
        eval: Eval::Workload(image_latest),
    },
    CheckDef {
        slug: "image-digest",
        kinds: &[K, C],
        severity: Severity::Low,
        title: "Image not pinned by digest",
        description: "A tag can be moved to different content; only a digest names exactly the image that was scanned.",
        remediation: "Reference images as `name:tag@sha256:<digest>`.",
        controls: "NSA/CISA supply chain",
        references: &[NSA],
        eval: Eval::Workload(image_digest),
    },
    CheckDef {
        slug: "sandbox-runtime",
        kinds: ALL4,
        severity: Severity::High,
        title: "No sandboxed runtime (gVisor or Kata) — required by policy",
        description: "Reported only with `--require-sandbox`. Namespaces share the host kernel: one kernel bug is a breakout. gVisor (`runsc`) interposes a user-space kernel; Kata runs each pod in a lightweight VM. hull reports every workload's isolation level (namespaces / gvisor / kata-vm) from `runtimeClassName`, compose `runtime`, Docker `HostConfig.Runtime` or the OCI annotations `io.kubernetes.cri.runtime-handler`/`io.katacontainers.*`/`dev.gvisor.*`.",
        remediation: "Kubernetes: `runtimeClassName: gvisor` (or a Kata class) backed by a RuntimeClass whose handler is runsc/kata; compose: `runtime: runsc`; docker: `--runtime=runsc`.",
        controls: "NSA/CISA: sandboxed runtimes",
        references: &[GVISOR, KATA, NSA],
        eval: Eval::Workload(sandbox),
    },
    CheckDef {
        slug: "default-namespace",
        kinds: &[K],
        severity: Severity::Low,
        title: "Workload placed in the `default` namespace",
        description: "The default namespace usually has no dedicated RBAC, quotas or network policies.",
        remediation: "Deploy into a dedicated namespace.",
        controls: "NSA/CISA: namespaces; Trivy KSV110",
        references: &[NSA],
        eval: Eval::Workload(default_namespace),
    },
    CheckDef {
        slug: "system-namespace",
        kinds: &[K],
        severity: Severity::Medium,
        title: "Workload placed in `kube-system`",
        description: "kube-system holds cluster components and privileged service accounts; user workloads there share their blast radius.",
        remediation: "Deploy into a dedicated namespace.",
        controls: "Trivy KSV037",
        references: &[NSA],
        eval: Eval::Workload(system_namespace),
    },
    CheckDef {
        slug: "rbac-cluster-admin",
        kinds: &[K],
        severity: Severity::High,
        title: "Binding grants cluster-admin",
        description: "A (Cluster)RoleBinding to `cluster-admin` gives its subjects full control of the cluster; so does one to a ClusterRole or Role of the same input whose rules grant verb `*` on resource `*`.",
        remediation: "Bind a narrowly scoped Role instead.",
        controls: "CIS Kubernetes 5.1.1; NSA/CISA RBAC",
        references: &["https://kubernetes.io/docs/reference/access-authn-authz/rbac/"],
        eval: Eval::K8sObject(crate::k8s::rbac_cluster_admin),
    },
    CheckDef {
        slug: "configmap-secrets",
        kinds: &[K],
        severity: Severity::High,
        title: "ConfigMap holds credential-like data",
        description: "ConfigMaps are not meant for secrets: they are readable by more principals and never encrypted at rest. Keys named like passwords, tokens or keys indicate a credential, and so do names for key material (`OCI_CLI_KEY_CONTENT`, `sshKeyData`, `private-key-pem`).",
        remediation: "Move the value into a Secret (or an external secret store) and reference it.",
        controls: "NSA/CISA: secrets",
        references: &["https://kubernetes.io/docs/concepts/configuration/secret/"],
        eval: Eval::K8sObject(crate::k8s::configmap_secrets),
    },
    // Dockerfile checks.
    CheckDef {
        slug: "root-user",
        kinds: &[Kind::Dockerfile],
        severity: Severity::High,
        title: "Image runs as root (no non-root USER)",
        description: "Without a `USER` instruction (or with `USER root`/`0` last) containers from this image run as root unless the runtime overrides it.",
        remediation: "Create an unprivileged user and end the final stage with `USER <name or uid>`.",
        controls: "CIS Docker 4.1",
        references: &[DOCKERFILE_BP, CIS_DOCKER],
        eval: Eval::Dockerfile(crate::dockerfile::root_user),
    },
    CheckDef {
        slug: "latest-tag",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Medium,
        title: "Base image uses `latest` or no tag",
        description: "`FROM image` or `FROM image:latest` builds on whatever the tag points to today, so builds are not reproducible.",
        remediation: "Pin the base image to a version tag and digest.",
        controls: "CIS Docker 4.2",
        references: &[DOCKERFILE_BP],
        eval: Eval::Dockerfile(crate::dockerfile::latest_tag),
    },
    CheckDef {
        slug: "add-instead-of-copy",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Low,
        title: "ADD used where COPY suffices",
        description: "ADD also fetches URLs and unpacks archives, which makes a plain file copy do surprising things.",
        remediation: "Use COPY for local files; ADD only to unpack a local tar archive.",
        controls: "CIS Docker 4.9",
        references: &[DOCKERFILE_BP, CIS_DOCKER],
        eval: Eval::Dockerfile(crate::dockerfile::add_instead_of_copy),
    },
    CheckDef {
        slug: "add-remote-without-checksum",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Medium,
        title: "Remote ADD without --checksum",
        description: "`ADD https://…` downloads at build time whatever the server returns; without `--checksum=sha256:…` a changed or compromised file enters the image unnoticed (CIS Docker 4.9 names remote ADD explicitly).",
        remediation: "Add `--checksum=sha256:<digest>` to the ADD, or download with a verified `RUN curl … && sha256sum -c`.",
        controls: "CIS Docker 4.9",
        references: &[DOCKERFILE_BP, CIS_DOCKER],
        eval: Eval::Dockerfile(crate::dockerfile::add_remote_without_checksum),
    },
    CheckDef {
        slug: "run-cd",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Low,
        title: "`RUN cd …` used instead of WORKDIR",
        description: "`cd` in a RUN line lasts only for that line, which makes later instructions run in an unexpected directory.",
        remediation: "Use WORKDIR to change directory.",
        controls: "Dockerfile best practices",
        references: &[DOCKERFILE_BP],
        eval: Eval::Dockerfile(crate::dockerfile::run_cd),
    },
    CheckDef {
        slug: "apt-get-missing-yes",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Medium,
        title: "`apt-get install` without `-y`",
        description: "Without `-y` apt-get waits for confirmation and a non-interactive build fails or hangs.",
        remediation: "Use `apt-get install -y …`.",
        controls: "Dockerfile best practices",
        references: &[DOCKERFILE_BP],
        eval: Eval::Dockerfile(crate::dockerfile::apt_missing_yes),
    },
    CheckDef {
        slug: "apt-get-no-install-recommends",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Low,
        title: "`apt-get install` without `--no-install-recommends`",
        description: "Recommended packages add size and attack surface that the image does not need.",
        remediation: "Use `apt-get install -y --no-install-recommends …`.",
        controls: "Dockerfile best practices",
        references: &[DOCKERFILE_BP],
        eval: Eval::Dockerfile(crate::dockerfile::apt_no_recommends),
    },
    CheckDef {
        slug: "apt-lists-not-cleaned",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Low,
        title: "apt lists left in the image",
        description: "`apt-get update` without removing /var/lib/apt/lists in the same RUN leaves stale package lists (tens of MB) in a layer.",
        remediation: "End the RUN with `&& rm -rf /var/lib/apt/lists/*`.",
        controls: "Dockerfile best practices",
        references: &[DOCKERFILE_BP],
        eval: Eval::Dockerfile(crate::dockerfile::apt_lists),
    },
    CheckDef {
        slug: "healthcheck-missing",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Low,
        title: "No HEALTHCHECK instruction",
        description: "Without a HEALTHCHECK the engine cannot tell a hung service from a healthy one.",
        remediation: "Add `HEALTHCHECK CMD …` to the final stage (or `HEALTHCHECK NONE` to state the choice).",
        controls: "CIS Docker 4.6",
        references: &[DOCKERFILE_BP, CIS_DOCKER],
        eval: Eval::Dockerfile(crate::dockerfile::healthcheck),
    },
    CheckDef {
        slug: "sudo",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Medium,
        title: "sudo used in RUN",
        description: "sudo in a build means the image ships sudo and a user allowed to use it, an easy escalation path at run time.",
        remediation: "Run privileged build steps before switching USER; do not install sudo.",
        controls: "Dockerfile best practices",
        references: &[DOCKERFILE_BP],
        eval: Eval::Dockerfile(crate::dockerfile::sudo),
    },
    CheckDef {
        slug: "curl-pipe-shell",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Medium,
        title: "Remote script piped into a shell",
        description: "`curl … | sh` runs whatever the server sends at build time, unverified.",
        remediation: "Download to a file, verify its checksum or signature, then run it.",
        controls: "Supply-chain hygiene",
        references: &[DOCKERFILE_BP],
        eval: Eval::Dockerfile(crate::dockerfile::curl_pipe_shell),
    },
    CheckDef {
        slug: "secrets-in-env",
        kinds: &[Kind::Dockerfile],
        severity: Severity::High,
        title: "Secret-looking value in ENV or ARG",
        description: "ENV values are stored in the image config and ARG values in its history, visible to anyone who can pull the image.",
        remediation: "Use build secrets (`RUN --mount=type=secret`) or inject secrets at run time.",
        controls: "CIS Docker 4.10",
        references: &[DOCKERFILE_BP, CIS_DOCKER],
        eval: Eval::Dockerfile(crate::dockerfile::secrets_in_env),
    },
    CheckDef {
        slug: "expose-ssh",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Low,
        title: "Port 22 exposed",
        description: "An SSH server in a container is an extra service to secure; use `docker exec`/`kubectl exec` instead.",
        remediation: "Remove `EXPOSE 22` and the SSH server.",
        controls: "CIS Docker 5.6",
        references: &[CIS_DOCKER],
        eval: Eval::Dockerfile(crate::dockerfile::expose_ssh),
    },
    CheckDef {
        slug: "expose-admin-port",
        kinds: &[Kind::Dockerfile],
        severity: Severity::Medium,
        title: "Remote-administration port exposed",
        description: "Telnet, RDP, VNC, WinRM, the Docker API, etcd, the Kubernetes or kubelet API exposed from an application image invite remote control of the container or its host.",
        remediation: "Remove the EXPOSE (and the service); administer containers with `docker exec`/`kubectl exec`.",
        controls: "CIS Docker 5.7",
        references: &[CIS_DOCKER],
        eval: Eval::Dockerfile(crate::dockerfile::expose_admin_port),
    },
    // Docker daemon (daemon.json and `hull host`).
    CheckDef {
        slug: "icc",
        kinds: &[DJ],
        severity: Severity::Medium,
        title: "Inter-container communication on the default bridge enabled",
        description: "With `icc` true (the default) every container on the default bridge can reach every other one.",
        remediation: "Set `\"icc\": false` and use user-defined networks for containers that must talk.",
        controls: "CIS Docker 2.2",
        references: &[DAEMON_DOC, CIS_DOCKER],
        eval: Eval::Daemon(daemon::check_icc),
    },
    CheckDef {
        slug: "userns-remap",
        kinds: &[DJ],
        severity: Severity::Medium,
        title: "User namespace remapping not enabled",
        description: "Without `userns-remap` root in a container is root on the host.",
        remediation: "Set `\"userns-remap\": \"default\"`.",
        controls: "CIS Docker 2.10",
        references: &[DAEMON_DOC, CIS_DOCKER],
        eval: Eval::Daemon(daemon::check_userns),
    },
    CheckDef {
        slug: "live-restore",
        kinds: &[DJ],
        severity: Severity::Low,
        title: "live-restore not enabled",
        description: "Without live-restore, stopping or upgrading the daemon stops every container.",
        remediation: "Set `\"live-restore\": true`.",
        controls: "CIS Docker 2.15",
        references: &[DAEMON_DOC, CIS_DOCKER],
        eval: Eval::Daemon(daemon::check_live_restore),
    },
    CheckDef {
        slug: "no-new-privileges",
        kinds: &[DJ],
        severity: Severity::Medium,
        title: "no-new-privileges not the daemon default",
        description: "The daemon-wide `no-new-privileges` default stops setuid escalation in every container that does not opt out.",
        remediation: "Set `\"no-new-privileges\": true`.",
        controls: "CIS Docker 2.18",
        references: &[DAEMON_DOC, CIS_DOCKER],
        eval: Eval::Daemon(daemon::check_nnp),
    },
    CheckDef {
        slug: "log-driver",
        kinds: &[DJ],
        severity: Severity::Low,
        title: "No central log driver configured",
        description: "The default json-file driver keeps logs only on the host; central logging keeps evidence when a host is compromised.",
        remediation: "Set `log-driver` (syslog, journald, fluentd, …) and its `log-opts`.",
        controls: "CIS Docker 2.13",
        references: &[DAEMON_DOC, CIS_DOCKER],
        eval: Eval::Daemon(daemon::check_log_driver),
    },
    CheckDef {
        slug: "insecure-registries",
        kinds: &[DJ],
        severity: Severity::High,
        title: "Insecure registries allowed",
        description: "Images from registries in `insecure-registries` are pulled over plain HTTP or unverified TLS and can be swapped in transit.",
        remediation: "Remove `insecure-registries`; give the registry a trusted certificate.",
        controls: "CIS Docker 2.5",
        references: &[DAEMON_DOC, CIS_DOCKER],
        eval: Eval::Daemon(daemon::check_insecure_registries),
    },
    CheckDef {
        slug: "tcp-without-tls",
        kinds: &[DJ],
        severity: Severity::Critical,
        title: "Daemon listens on TCP without TLS verification",
        description: "A `tcp://` host without `tlsverify` gives anyone who reaches the port root on the host.",
        remediation: "Remove the TCP listener or set `tlsverify`, `tlscacert`, `tlscert` and `tlskey`.",
        controls: "CIS Docker 2.6",
        references: &[DAEMON_DOC, CIS_DOCKER],
        eval: Eval::Daemon(daemon::check_tcp_tls),
    },
    CheckDef {
        slug: "userland-proxy",
        kinds: &[DJ],
        severity: Severity::Low,
        title: "Userland proxy enabled",
        description: "The userland proxy adds a process per published port; hairpin NAT does the same job with less attack surface.",
        remediation: "Set `\"userland-proxy\": false`.",
        controls: "CIS Docker 2.16",
        references: &[DAEMON_DOC, CIS_DOCKER],
        eval: Eval::Daemon(daemon::check_userland_proxy),
    },
    CheckDef {
        slug: "experimental",
        kinds: &[DJ],
        severity: Severity::Low,
        title: "Experimental features enabled",
        description: "Experimental features are not supported for production and change without notice.",
        remediation: "Remove `\"experimental\": true` on production hosts.",
        controls: "CIS Docker 2.17",
        references: &[DAEMON_DOC, CIS_DOCKER],
        eval: Eval::Daemon(daemon::check_experimental),
    },
    CheckDef {
        slug: "sandbox-runtime",
        kinds: &[DJ],
        severity: Severity::Medium,
        title: "No sandboxed runtime (runsc/kata) configured — required by policy",
        description: "Reported only with `--require-sandbox`: the daemon or containerd has no gVisor or Kata runtime handler, so no workload can ask for one. hull always lists the configured handlers and their isolation level.",
        remediation: "daemon.json: add `\"runtimes\": {\"runsc\": {\"path\": \"/usr/bin/runsc\"}}`; containerd: add a `runtimes.runsc` (runtime_type `io.containerd.runsc.v1`) or `runtimes.kata` (`io.containerd.kata.v2`) handler.",
        controls: "NSA/CISA: sandboxed runtimes",
        references: &[GVISOR, KATA],
        eval: Eval::Daemon(daemon::check_sandbox),
    },
    // containerd config.toml.
    CheckDef {
        slug: "systemd-cgroup",
        kinds: &[CT],
        severity: Severity::Low,
        title: "runc handler does not use the systemd cgroup driver",
        description: "When systemd is the init system, the kubelet and containerd must both use the systemd cgroup driver; two managers of one cgroup tree make resource limits unreliable.",
        remediation: "Set `SystemdCgroup = true` in the runc handler's options.",
        controls: "Kubernetes container runtime guidance",
        references: &["https://kubernetes.io/docs/setup/production-environment/container-runtimes/"],
        eval: Eval::Containerd(containerd::check_systemd_cgroup),
    },
    CheckDef {
        slug: "apparmor-disabled",
        kinds: &[CT],
        severity: Severity::Medium,
        title: "CRI AppArmor disabled",
        description: "`disable_apparmor = true` turns off AppArmor for every container the CRI plugin starts.",
        remediation: "Remove `disable_apparmor` or set it to false.",
        controls: "CIS Docker 5.1 (runtime equivalent)",
        references: &["https://github.com/containerd/containerd/blob/main/docs/cri/config.md"],
        eval: Eval::Containerd(containerd::check_apparmor),
    },
    CheckDef {
        slug: "insecure-registry",
        kinds: &[CT],
        severity: Severity::High,
        title: "Registry TLS verification disabled or plain-HTTP mirror",
        description: "`insecure_skip_verify = true` or an `http://` mirror endpoint lets images be swapped in transit.",
        remediation: "Remove `insecure_skip_verify` and use https endpoints with trusted certificates.",
        controls: "CIS Docker 2.5 (runtime equivalent)",
        references: &["https://github.com/containerd/containerd/blob/main/docs/cri/config.md"],
        eval: Eval::Containerd(containerd::check_insecure_registry),
    },
    CheckDef {
        slug: "sandbox-runtime",
        kinds: &[CT],
        severity: Severity::Medium,
        title: "No sandboxed runtime handler (runsc/kata) — required by policy",
        description: "Reported only with `--require-sandbox`: containerd has no gVisor or Kata runtime handler, so no RuntimeClass can select one. hull always lists the configured handlers and their isolation level.",
        remediation: "Add a `runtimes.runsc` handler (runtime_type `io.containerd.runsc.v1`) or a `runtimes.kata` handler (`io.containerd.kata.v2`) and a RuntimeClass naming it.",
        controls: "NSA/CISA: sandboxed runtimes",
        references: &[GVISOR, KATA],
        eval: Eval::Containerd(containerd::check_sandbox),
    },
    // Host.
    CheckDef {
        slug: "docker-socket-permissions",
        kinds: &[H],
        severity: Severity::High,
        title: "Docker socket owner or mode too open",
        description: "The Docker socket must be owned by root:docker with mode 660 or stricter; anyone who can write to it is root.",
        remediation: "`chown root:docker /var/run/docker.sock && chmod 660 /var/run/docker.sock`.",
        controls: "CIS Docker 3.15/3.16",
        references: &[CIS_DOCKER],
        eval: Eval::Host(crate::host::check_socket),
    },
    CheckDef {
        slug: "seccomp-kernel",
        kinds: &[H],
        severity: Severity::High,
        title: "Kernel without seccomp filtering",
        description: "Without CONFIG_SECCOMP_FILTER no container can have a seccomp profile.",
        remediation: "Use a kernel built with seccomp filter support.",
        controls: "CIS Docker 5.22 prerequisite",
        references: &[CIS_DOCKER],
        eval: Eval::Host(crate::host::check_seccomp),
    },
    CheckDef {
        slug: "lsm",
        kinds: &[H],
        severity: Severity::Medium,
        title: "No AppArmor or SELinux enforcement",
        description: "Neither AppArmor nor SELinux is active, so containers have no mandatory access control.",
        remediation: "Enable AppArmor (Debian/Ubuntu) or SELinux in enforcing mode (RHEL family).",
        controls: "CIS Docker 5.1/5.2",
        references: &[CIS_DOCKER],
        eval: Eval::Host(crate::host::check_lsm),
    },
    CheckDef {
        slug: "user-namespaces",
        kinds: &[H],
        severity: Severity::Low,
        title: "User namespaces unavailable",
        description: "With `user.max_user_namespaces` = 0 (or missing) neither userns-remap nor rootless containers can work.",
        remediation: "Set `user.max_user_namespaces` to a positive value.",
        controls: "CIS Docker 2.10 prerequisite",
        references: &[CIS_DOCKER],
        eval: Eval::Host(crate::host::check_userns),
    },
    CheckDef {
        slug: "cgroup-v2",
        kinds: &[H],
        severity: Severity::Low,
        title: "cgroup v2 (unified hierarchy) not in use",
        description: "cgroup v1 lacks safe delegation and some limits (e.g. memory.high); current runtimes and rootless mode expect v2.",
        remediation: "Boot with the unified hierarchy (`systemd.unified_cgroup_hierarchy=1`).",
        controls: "Kubernetes cgroup v2 guidance",
        references: &["https://kubernetes.io/docs/concepts/architecture/cgroups/"],
        eval: Eval::Host(crate::host::check_cgroup_v2),
    },
    CheckDef {
        slug: "sandbox-runtime",
        kinds: &[H],
        severity: Severity::Medium,
        title: "No sandboxed runtime installed — required by policy",
        description: "Reported only with `--require-sandbox`: no runsc or Kata binary/shim was found on the host. hull always lists the sandbox runtimes it finds.",
        remediation: "Install gVisor (`runsc`, `containerd-shim-runsc-v1`) or Kata Containers and register them with Docker/containerd.",
        controls: "NSA/CISA: sandboxed runtimes",
        references: &[GVISOR, KATA],
        eval: Eval::Host(crate::host::check_sandbox),
    },
];

// ---- workload checks -------------------------------------------------------------

fn containers<'a>(
    w: &'a Workload,
    f: impl Fn(&crate::workload::Container) -> Option<String> + 'a,
) -> Vec<Hit> {
    w.containers
        .iter()
        .filter_map(|c| f(c).map(|m| Hit::in_container(c, m)))
        .collect()
}

/// At most one hit for the workload itself: `message` when `failed`.
fn workload(w: &Workload, failed: bool, message: impl FnOnce() -> String) -> Vec<Hit> {
    if failed {
        vec![Hit::new(message(), w.line)]
    } else {
        vec![]
    }
}

/// `values` not in `allowed`, sorted, each once.
fn outside<'a>(values: &'a [String], allowed: &[&str]) -> Vec<&'a str> {
    let mut bad: Vec<&str> = values
        .iter()
        .map(String::as_str)
        .filter(|v| !allowed.contains(v))
        .collect();
    bad.sort_unstable();
    bad.dedup();
    bad
}

fn privileged(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        c.privileged
            .then(|| format!("container `{}` runs privileged", c.name))
    })
}

fn privilege_escalation(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    // Windows pods: no setuid, no no_new_privs; PSS exempts them from v1.25.
    if w.windows {
        return vec![];
    }
    containers(w, |c| {
        c.allow_privilege_escalation.then(|| {
            format!(
                "container `{}` can gain privileges (no_new_privs not set)",
                c.name
            )
        })
    })
}

fn has_all(list: &[String]) -> bool {
    list.iter().any(|c| c == "ALL")
}

fn drop_all(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    if w.windows {
        return vec![];
    }
    containers(w, |c| {
        (!has_all(&c.caps_drop))
            .then(|| format!("container `{}` does not drop ALL capabilities", c.name))
    })
}

const DEFAULT_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

const DANGEROUS_CAPS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "DAC_READ_SEARCH",
    "NET_ADMIN",
    "BPF",
    "PERFMON",
    "SYS_BOOT",
];

fn added_caps(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    if w.windows {
        return vec![];
    }
    containers(w, |c| {
        // Without `drop: [ALL]` a default capability is already there, so adding it
        // changes nothing; after dropping ALL, the restricted profile lets only
        // NET_BIND_SERVICE back in.
        let dropped_all = has_all(&c.caps_drop);
        let extra: Vec<&str> = c
            .caps_add
            .iter()
            .map(String::as_str)
            .filter(|cap| {
                *cap != "NET_BIND_SERVICE" && (dropped_all || !DEFAULT_CAPS.contains(cap))
            })
            .collect();
        let mut parts = vec![];
        if !extra.is_empty() {
            parts.push(if dropped_all {
                format!(
                    "drops ALL, then adds back {} (restricted allows only NET_BIND_SERVICE)",
                    extra.join(", ")
                )
            } else {
                format!("adds {}", extra.join(", "))
            });
        }
        if !c.caps_add_noncanonical.is_empty() {
            parts.push(format!(
                "spells {} non-canonically (the Pod Security Standards compare names exactly: write e.g. `CHOWN`, not `chown` or `CAP_CHOWN`)",
                c.caps_add_noncanonical.join(", ")
            ));
        }
        (!parts.is_empty()).then(|| format!("container `{}` {}", c.name, parts.join("; ")))
    })
}

fn dangerous_caps(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        let bad: Vec<&str> = c
            .caps_add
            .iter()
            .map(String::as_str)
            .filter(|cap| DANGEROUS_CAPS.contains(cap))
            .collect();
        (!bad.is_empty()).then(|| format!("container `{}` adds {}", c.name, bad.join(", ")))
    })
}

fn pod_flag(w: &Workload, on: bool, what: &str) -> Vec<Hit> {
    workload(w, on, || {
        format!("{} shares the host {what} namespace", w.name)
    })
}

fn host_network(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    pod_flag(w, w.host_network, "network")
}
fn host_pid(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    pod_flag(w, w.host_pid, "PID")
}
fn host_ipc(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    pod_flag(w, w.host_ipc, "IPC")
}
fn host_uts(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    pod_flag(w, w.host_uts, "UTS")
}
fn host_userns(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    pod_flag(w, w.host_userns, "user")
}

fn host_path(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    w.host_mounts
        .iter()
        .map(|m| {
            Hit::new(
                format!(
                    "host path `{}` mounted{}",
                    m.host_path,
                    if m.read_only {
                        " read-only"
                    } else {
                        " read-write"
                    }
                ),
                m.line.or(w.line),
            )
        })
        .collect()
}

const SENSITIVE: &[&str] = &[
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/boot",
    "/dev",
    "/root",
    "/var/lib/docker",
    "/var/lib/kubelet",
    "/var/lib/containerd",
    "/usr",
];

fn norm_path(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        "/"
    } else {
        t
    }
}

fn sensitive_host_path(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    w.host_mounts
        .iter()
        .filter(|m| SENSITIVE.contains(&norm_path(&m.host_path)))
        .map(|m| {
            Hit::new(
                format!("sensitive host path `{}` mounted", m.host_path),
                m.line.or(w.line),
            )
        })
        .collect()
}

/// Sockets of container engines; mounting their directory counts too.
pub(crate) fn is_runtime_socket(p: &str) -> bool {
    let p = norm_path(p);
    const SOCKS: &[&str] = &[
        "docker.sock",
        "containerd.sock",
        "crio.sock",
        "podman.sock",
        "cri-dockerd.sock",
    ];
    SOCKS.iter().any(|s| p.ends_with(s))
        || matches!(
            p,
            "/var/run" | "/run" | "/var/run/docker" | "/run/containerd" | "/var/run/containerd"
        )
}

fn docker_socket(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    w.host_mounts
        .iter()
        .filter(|m| is_runtime_socket(&m.host_path))
        .map(|m| {
            Hit::new(
                format!("container runtime socket `{}` mounted", m.host_path),
                m.line.or(w.line),
            )
        })
        .collect()
}

fn host_ports(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        (!c.host_ports.is_empty()).then(|| {
            format!(
                "container `{}` binds host port(s) {:?}",
                c.name, c.host_ports
            )
        })
    })
}

fn privileged_ports(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        let low: Vec<u32> = c
            .host_ports
            .iter()
            .copied()
            .filter(|p| *p > 0 && *p < 1024)
            .collect();
        (!low.is_empty()).then(|| {
            format!(
                "container `{}` publishes privileged host port(s) {low:?}",
                c.name
            )
        })
    })
}

fn run_as_root(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    // PSS restricted: runAsNonRoot must be true (the kubelet then refuses UID 0
    // images) and runAsUser must not be 0. Other formats set `run_as_non_root` from
    // the effective user.
    containers(w, |c| {
        let root = c.run_as_user == Some(0) || !c.run_as_non_root;
        root.then(|| match c.run_as_user {
            Some(0) => format!("container `{}` runs as UID 0", c.name),
            _ => format!("container `{}` does not enforce a non-root user", c.name),
        })
    })
}

fn high_uid(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    // In a user namespace every container UID maps to an unprivileged host UID, which
    // is what a high UID is for.
    if w.user_namespace || w.windows {
        return vec![];
    }
    containers(w, |c| match c.run_as_user {
        Some(u) if u > 10000 => None,
        Some(u) => Some(format!("container `{}` runs as UID {u} (≤ 10000)", c.name)),
        None => Some(format!(
            "container `{}` sets no runAsUser above 10000",
            c.name
        )),
    })
}

fn high_gid(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    if w.user_namespace || w.windows {
        return vec![];
    }
    containers(w, |c| match c.run_as_group {
        Some(g) if g > 10000 => None,
        Some(g) => Some(format!(
            "container `{}` runs with GID {g} (≤ 10000)",
            c.name
        )),
        None => Some(format!(
            "container `{}` sets no runAsGroup above 10000",
            c.name
        )),
    })
}

fn root_group(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    let mut hits = Vec::new();
    for c in &w.containers {
        let root = c.run_as_group.is_none_or(|g| g == 0) || c.supplemental_groups.contains(&0);
        if root {
            hits.push(Hit::in_container(
                c,
                format!(
                    "container `{}` may run with root group (GID 0 or unset runAsGroup)",
                    c.name
                ),
            ));
        }
    }
    hits
}

fn read_only_root(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    // Windows containers cannot mount the root filesystem read-only.
    if w.windows {
        return vec![];
    }
    containers(w, |c| {
        (!c.read_only_root_fs)
            .then(|| format!("container `{}` has a writable root filesystem", c.name))
    })
}

fn seccomp(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    if w.windows {
        return vec![];
    }
    containers(w, |c| match c.seccomp {
        Seccomp::RuntimeDefault | Seccomp::Localhost => None,
        Seccomp::Unconfined => Some(format!("container `{}` runs seccomp unconfined", c.name)),
        Seccomp::Unset => Some(format!("container `{}` has no seccomp profile", c.name)),
    })
}

fn apparmor(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        c.apparmor
            .as_deref()
            .filter(|p| p.eq_ignore_ascii_case("unconfined"))
            .map(|_| format!("container `{}` runs AppArmor unconfined", c.name))
    })
}

const SELINUX_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// An SELinux type hull accepts (empty, or one of the container types).
pub(crate) fn selinux_type_ok(t: &str) -> bool {
    t.is_empty() || SELINUX_TYPES.contains(&t)
}

fn selinux(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        if c.selinux_user_or_role {
            return Some(format!(
                "container `{}` sets a custom SELinux user or role",
                c.name
            ));
        }
        match c.selinux_type.as_deref() {
            Some("disable") => Some(format!("container `{}` disables SELinux labelling", c.name)),
            Some(t) if !t.is_empty() && !SELINUX_TYPES.contains(&t) => {
                Some(format!("container `{}` uses SELinux type `{t}`", c.name))
            }
            _ => None,
        }
    })
}

fn proc_mount(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        c.proc_mount
            .as_deref()
            // An unmasked /proc in a user namespace only shows the pod's own view
            // (PSS baseline allows it from v1.35).
            .filter(|p| !p.eq_ignore_ascii_case("Default") && !w.user_namespace)
            .map(|p| format!("container `{}` has /proc mount `{p}`", c.name))
    })
}

fn unsafe_sysctls(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    // The newest Pod Security Standards list (one list, kept in `pss`).
    let safe: Vec<&str> = crate::pss::SAFE_SYSCTLS.iter().map(|(_, s)| *s).collect();
    let bad = outside(&w.sysctls, &safe);
    workload(w, !bad.is_empty(), || {
        format!("{} sets unsafe sysctl(s) {}", w.name, bad.join(", "))
    })
}

fn host_process(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        c.host_process
            .then(|| format!("container `{}` is a HostProcess container", c.name))
    })
}

const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

fn volume_types(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    let bad = outside(&w.volume_types, RESTRICTED_VOLUMES);
    workload(w, !bad.is_empty(), || {
        format!("{} uses volume type(s) {}", w.name, bad.join(", "))
    })
}

fn resource_limits(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        let mut missing = vec![];
        if !c.cpu_limit {
            missing.push("cpu");
        }
        if !c.memory_limit {
            missing.push("memory");
        }
        (!missing.is_empty())
            .then(|| format!("container `{}` has no {} limit", c.name, missing.join("/")))
    })
}

fn resource_requests(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        let mut missing = vec![];
        if !c.cpu_request {
            missing.push("cpu");
        }
        if !c.memory_request {
            missing.push("memory");
        }
        (!missing.is_empty()).then(|| {
            format!(
                "container `{}` has no {} request",
                c.name,
                missing.join("/")
            )
        })
    })
}

fn pids_limit(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    workload(w, !w.pids_limit, || format!("{} has no PID limit", w.name))
}

fn devices(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    workload(w, !w.devices.is_empty(), || {
        format!("{} gets host device(s) {}", w.name, w.devices.join(", "))
    })
}

fn probe_host(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        (!c.probe_hosts.is_empty()).then(|| {
            format!(
                "container `{}` sends probes or lifecycle hooks to another host: {}",
                c.name,
                c.probe_hosts.join(", ")
            )
        })
    })
}

fn sa_token(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    workload(w, w.automount_service_account_token != Some(false), || {
        format!("{} automounts a service account token", w.name)
    })
}

/// Splits `registry/name:tag@digest` into (tag, digest).
pub(crate) fn image_tag_digest(image: &str) -> (Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    // A colon after the last slash is a tag; one before it is a registry port.
    let last = rest.rsplit('/').next().unwrap_or(rest);
    let tag = last.split_once(':').map(|(_, t)| t);
    (tag, digest)
}

fn image_latest(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        let image = c.image.as_deref()?;
        if image.starts_with("sha256:") || image.contains("${") {
            return None;
        }
        match image_tag_digest(image) {
            (_, Some(_)) => None,
            (Some("latest"), None) => Some(format!("container `{}` uses `{image}`", c.name)),
            (None, None) => Some(format!(
                "container `{}` uses untagged image `{image}` (implies latest)",
                c.name
            )),
            _ => None,
        }
    })
}

fn image_digest(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    containers(w, |c| {
        let image = c.image.as_deref()?;
        (image_tag_digest(image).1.is_none() && !image.contains("${")).then(|| {
            format!(
                "container `{}` image `{image}` is not pinned by digest",
                c.name
            )
        })
    })
}

fn sandbox(w: &Workload, ctx: &CheckContext) -> Vec<Hit> {
    let failed = ctx.require_sandbox && w.isolation == Isolation::Namespaces;
    workload(w, failed, || {
        format!(
            "{} runs with namespaces only (runtime: {})",
            w.name,
            w.runtime.as_deref().unwrap_or("default")
        )
    })
}

fn default_namespace(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    workload(w, w.namespace.as_deref() == Some("default"), || {
        format!("{} is in the default namespace", w.name)
    })
}

fn system_namespace(w: &Workload, _: &CheckContext) -> Vec<Hit> {
    workload(w, w.namespace.as_deref() == Some("kube-system"), || {
        format!("{} is in kube-system", w.name)
    })
}

/// The reference page of every check (`docs/checks.md`), generated from the table so
/// docs and code cannot drift; a test compares it with the committed file.
pub fn markdown() -> String {
    use std::fmt::Write;
    let mut s = String::from(
        "# hull config checks\n\n<!-- Generated from crates/hull-audit/src/checks.rs: `HULL_UPDATE_DOCS=1 cargo test -p hull-audit docs` -->\n\n\
         Every built-in check of `hull config` and `hull host`, by id. Ids are `<kind>:<slug>`; the kind prefixes are \
         `k8s` (Kubernetes), `compose`, `docker` (`docker inspect`), `oci` (runtime `config.json`), `dockerfile`, \
         `daemon` (`daemon.json`), `containerd` (`config.toml`) and `host`. Severities feed the score C \
         (see [config-audit.md](config-audit.md#score)).\n\n| id | severity | title |\n|---|---|---|\n",
    );
    let cat = catalog();
    for c in &cat {
        let anchor = c.id.replace(':', "");
        let _ = writeln!(
            s,
            "| [`{}`](#{anchor}) | {} | {} |",
            c.id, c.severity, c.title
        );
    }
    s.push('\n');
    for c in &cat {
        let _ = write!(
            s,
            "## {}\n\n**{}** — severity **{}** — applies to: {}\n\n{}\n\n**Fix:** {}\n\n**Controls:** {}\n\n**References:** {}\n\n",
            c.id,
            c.title,
            c.severity,
            c.kind.as_str(),
            c.description,
            c.remediation,
            c.controls,
            c.references.iter().map(|r| format!("<{r}>")).collect::<Vec<_>>().join(", ")
        );
    }
    s.push_str(
        "# Pod Security Standards controls (`hull config --pss`, `hull admission`)\n\n\
         With `--pss LEVEL[@VERSION]` hull evaluates the Pod Security Standards exactly as the Pod Security \
         Admission controller does at that level and version, one `pss:<control>` finding per violated control \
         (message: `violates PodSecurity \"LEVEL@VERSION\": <psaCheck> (<detail>)`). Restricted includes every \
         baseline control. See [config-audit.md](config-audit.md#pod-security-standards---pss) for how hull's \
         own checks differ.\n\n| id | PSA check | level | since | severity |\n|---|---|---|---|---|\n",
    );
    for c in crate::pss::CONTROLS {
        let anchor = c.control.id().replace(':', "");
        let _ = writeln!(
            s,
            "| [`{}`](#{anchor}) | `{}` | {} | v1.{} | {} |",
            c.control.id(),
            c.psa_id,
            c.level.as_str(),
            c.since,
            c.control.severity()
        );
    }
    s.push('\n');
    for c in crate::pss::CONTROLS {
        let _ = write!(
            s,
            "## {}\n\n**{}** — PSA check `{}` — level **{}** from v1.{} — severity **{}**\n\n{}\n\n**Fix:** {}\n\n",
            c.control.id(),
            c.title,
            c.psa_id,
            c.level.as_str(),
            c.since,
            c.control.severity(),
            c.rule,
            c.remediation
        );
    }
    s
}
