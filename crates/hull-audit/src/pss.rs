//! The Pod Security Standards, exactly as the Pod Security Admission controller
//! evaluates them, for every policy version from v1.0 to [`LATEST_MINOR`].
//!
//! hull's own Kubernetes checks ([`crate::checks`]) hold stricter opinions (they flag
//! an unset seccomp profile at any level, normalise capability spellings, …). This
//! module does not: given a level and a version it answers what the admission
//! controller would answer, control by control, on the raw pod spec (after the API
//! server's defaulting: a volume without a source is an `emptyDir`). The rules follow
//! <https://kubernetes.io/docs/concepts/security/pod-security-standards/> and the
//! per-version evolution of the checks in `k8s.io/pod-security-admission`:
//!
//! | version | change |
//! |---|---|
//! | v1.8 | restricted: `allowPrivilegeEscalation: false` required |
//! | v1.19 | seccomp moves from annotations to `seccompProfile`; restricted requires one |
//! | v1.22 | restricted: drop `ALL`, add back only `NET_BIND_SERVICE` |
//! | v1.23 | restricted: `runAsUser: 0` forbidden |
//! | v1.25 | restricted: Windows pods (`spec.os.name: windows`) exempt from the Linux-only controls |
//! | v1.27, v1.29, v1.32, v1.37 | more safe sysctls |
//! | v1.34 | baseline: probe and lifecycle handlers must not set `host` |
//! | v1.35 | baseline: `procMount: Unmasked` allowed for user-namespaced pods (`hostUsers: false`); restricted still forbids it |
//!
//! Controls are never overridden by one another here (PSA folds `hostPathVolumes` into
//! `restrictedVolumes` at restricted, for example): each violated control is reported
//! under its own id, so the allowed/denied decision is the same and nothing is hidden.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

/// The newest policy version this evaluator knows; `@latest` and newer versions mean it.
pub const LATEST_MINOR: u32 = 37;

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// No checks (PSA's `privileged` level).
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Level, String> {
        match s.trim() {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            other => Err(format!(
                "unknown Pod Security level `{other}` (privileged, baseline or restricted)"
            )),
        }
    }
}

/// A policy version: `latest` or `v1.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Version {
    Latest,
    /// Minor version of Kubernetes 1.x.
    Minor(u32),
}

impl Version {
    /// The minor version whose rules apply (newer than known means latest, as in PSA).
    pub fn effective(self) -> u32 {
        match self {
            Version::Latest => LATEST_MINOR,
            Version::Minor(m) => m.min(LATEST_MINOR),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Minor(m) => write!(f, "v1.{m}"),
        }
    }
}

impl FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Version, String> {
        let s = s.trim();
        if s == "latest" {
            return Ok(Version::Latest);
        }
        let bad = || format!("invalid Pod Security version `{s}` (v1.0 … v1.N or latest)");
        let rest = s.strip_prefix('v').unwrap_or(s);
        let minor = rest.strip_prefix("1.").ok_or_else(bad)?;
        let m: u32 = minor.parse().map_err(|_| bad())?;
        if minor.starts_with('+') || (minor.len() > 1 && minor.starts_with('0')) {
            return Err(bad());
        }
        Ok(Version::Minor(m))
    }
}

/// A level at a version, as in the `pod-security.kubernetes.io/enforce` labels:
/// `restricted`, `baseline@v1.29`, `restricted@latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub level: Level,
    pub version: Version,
}

impl Profile {
    pub fn new(level: Level, version: Version) -> Profile {
        Profile { level, version }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.level.as_str(), self.version)
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Profile, String> {
        let (l, v) = s.split_once('@').unwrap_or((s, "latest"));
        Ok(Profile {
            level: l.parse()?,
            version: v.parse()?,
        })
    }
}

/// One Pod Security Standards control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Control {
    HostNamespaces,
    Privileged,
    CapabilitiesBaseline,
    HostPathVolumes,
    HostPorts,
    HostProbesAndHostLifecycle,
    AppArmorProfile,
    SeLinuxOptions,
    ProcMount,
    SeccompProfileBaseline,
    Sysctls,
    WindowsHostProcess,
    RestrictedVolumes,
    AllowPrivilegeEscalation,
    RunAsNonRoot,
    RunAsUser,
    SeccompProfileRestricted,
    CapabilitiesRestricted,
    ProcMountRestricted,
}

/// Documentation of one control.
pub struct ControlInfo {
    pub control: Control,
    /// The PSA check id (`seLinuxOptions`).
    pub psa_id: &'static str,
    pub level: Level,
    /// First policy version that has the control.
    pub since: u32,
    /// The PSS page's name for it.
    pub title: &'static str,
    pub rule: &'static str,
    pub remediation: &'static str,
}

macro_rules! control {
    ($c:ident, $psa:literal, $level:ident, $since:literal, $title:literal, $rule:literal, $fix:literal) => {
        ControlInfo {
            control: Control::$c,
            psa_id: $psa,
            level: Level::$level,
            since: $since,
            title: $title,
            rule: $rule,
            remediation: $fix,
        }
    };
}

/// Every control, in the order of the Pod Security Standards page.
pub static CONTROLS: &[ControlInfo] = &[
    control!(WindowsHostProcess, "windowsHostProcess", Baseline, 0, "HostProcess",
        "Windows pods offer the ability to run HostProcess containers which enables privileged access to the Windows host machine. `securityContext.windowsOptions.hostProcess` (pod and containers) must be undefined or false.",
        "Remove `windowsOptions.hostProcess: true`."),
    control!(HostNamespaces, "hostNamespaces", Baseline, 0, "Host Namespaces",
        "Sharing the host namespaces must be disallowed: `hostNetwork`, `hostPID` and `hostIPC` must be undefined or false.",
        "Remove `hostNetwork`, `hostPID` and `hostIPC: true` from the pod spec."),
    control!(Privileged, "privileged", Baseline, 0, "Privileged Containers",
        "Privileged Pods disable most security mechanisms and must be disallowed: `securityContext.privileged` of every container must be undefined or false.",
        "Remove `privileged: true`; grant the specific capability the container needs instead."),
    control!(CapabilitiesBaseline, "capabilities_baseline", Baseline, 0, "Capabilities",
        "Adding capabilities beyond the default set must be disallowed: `capabilities.add` may only name AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT, spelled exactly so (no `CAP_` prefix, upper case).",
        "Remove the other capabilities from `securityContext.capabilities.add`."),
    control!(HostPathVolumes, "hostPathVolumes", Baseline, 0, "HostPath Volumes",
        "HostPath volumes must be forbidden.",
        "Replace the `hostPath` volume with a configMap, secret, emptyDir or persistent volume claim."),
    control!(HostPorts, "hostPorts", Baseline, 0, "Host Ports",
        "HostPorts should be disallowed entirely: `ports[*].hostPort` must be undefined or 0.",
        "Remove `hostPort` and expose the port through a Service."),
    control!(HostProbesAndHostLifecycle, "hostProbesAndHostLifecycle", Baseline, 34, "Host Probes / Lifecycle Hooks",
        "The Host field in probes and lifecycle hooks must be disallowed: `httpGet.host` and `tcpSocket.host` of liveness, readiness and startup probes and of postStart and preStop handlers must be undefined or empty.",
        "Remove `host` from the probe or lifecycle handler (it then targets the pod's own IP)."),
    control!(AppArmorProfile, "appArmorProfile", Baseline, 0, "AppArmor",
        "The default AppArmor profile must not be overridden or disabled: `appArmorProfile.type` (pod and containers) must be undefined, RuntimeDefault or Localhost, and `container.apparmor.security.beta.kubernetes.io/*` annotations undefined, `runtime/default` or `localhost/*`.",
        "Remove the `Unconfined` AppArmor profile; use RuntimeDefault or a Localhost profile."),
    control!(SeLinuxOptions, "seLinuxOptions", Baseline, 0, "SELinux",
        "Setting the SELinux type is restricted, and setting a custom SELinux user or role option is forbidden: `seLinuxOptions.type` (pod and containers) must be undefined, container_t, container_init_t or container_kvm_t, and `seLinuxOptions.user` and `.role` undefined.",
        "Remove the custom SELinux user, role and type from `seLinuxOptions` (pod and containers)."),
    control!(ProcMount, "procMount", Baseline, 0, "/proc Mount Type",
        "The default /proc masks are set up to reduce attack surface, and should be required: `procMount` must be undefined or Default (from v1.35, user-namespaced pods with `hostUsers: false` may use Unmasked).",
        "Remove `procMount: Unmasked`."),
    control!(SeccompProfileBaseline, "seccompProfile_baseline", Baseline, 0, "Seccomp",
        "Seccomp profile must not be explicitly set to Unconfined: `seccompProfile.type` (pod and containers, v1.19+) must be undefined, RuntimeDefault or Localhost; before v1.19 the `seccomp.security.alpha.kubernetes.io/pod` and `container.seccomp.security.alpha.kubernetes.io/*` annotations must be undefined, `runtime/default`, `docker/default` or `localhost/*`.",
        "Remove the Unconfined seccomp profile; use RuntimeDefault."),
    control!(Sysctls, "sysctls", Baseline, 0, "Sysctls",
        "Sysctls can disable security mechanisms or affect all containers on a host, and should be disallowed except for an allowed \"safe\" subset (which grows with the version: see docs/config-audit.md).",
        "Remove the sysctl from `spec.securityContext.sysctls` or use one of the safe ones."),
    control!(RestrictedVolumes, "restrictedVolumes", Restricted, 0, "Volume Types",
        "The restricted policy only permits the volume types configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret.",
        "Use one of the permitted volume types (a persistentVolumeClaim for storage)."),
    control!(AllowPrivilegeEscalation, "allowPrivilegeEscalation", Restricted, 8, "Privilege Escalation",
        "Privilege escalation (such as via set-user-ID or set-group-ID file mode) should not be allowed: every container must set `securityContext.allowPrivilegeEscalation: false` (Windows pods exempt from v1.25).",
        "Set `securityContext.allowPrivilegeEscalation: false` in every container."),
    control!(RunAsNonRoot, "runAsNonRoot", Restricted, 0, "Running as Non-root",
        "Containers must be required to run as non-root users: `runAsNonRoot: true` on the pod or on every container, and no container may set it to false.",
        "Set `securityContext.runAsNonRoot: true` on the pod (and remove `runAsNonRoot: false`)."),
    control!(RunAsUser, "runAsUser", Restricted, 23, "Running as Non-root user",
        "Containers must not set runAsUser to 0: `runAsUser` (pod and containers) must be undefined or non-zero.",
        "Set `runAsUser` to a non-zero UID or remove it."),
    control!(SeccompProfileRestricted, "seccompProfile_restricted", Restricted, 19, "Seccomp (restricted)",
        "Seccomp profile must be explicitly set to one of the allowed values: every container's effective `seccompProfile.type` (its own, else the pod's) must be RuntimeDefault or Localhost (Windows pods exempt from v1.25).",
        "Set `spec.securityContext.seccompProfile.type: RuntimeDefault`."),
    control!(CapabilitiesRestricted, "capabilities_restricted", Restricted, 22, "Capabilities (restricted)",
        "Containers must drop ALL capabilities, and are only permitted to add back the NET_BIND_SERVICE capability (Windows pods exempt from v1.25).",
        "Set `capabilities: {drop: [ALL]}` and add back at most `NET_BIND_SERVICE`."),
    control!(ProcMountRestricted, "procMount_restricted", Restricted, 35, "/proc Mount Type (restricted)",
        "The default /proc masks are required at restricted even for user-namespaced pods: `procMount` must be undefined or Default.",
        "Remove `procMount: Unmasked`."),
];

impl Control {
    pub fn info(self) -> &'static ControlInfo {
        // CONTROLS holds every variant once (a unit test guards it).
        CONTROLS
            .iter()
            .find(|c| c.control == self)
            .unwrap_or(&CONTROLS[0])
    }

    /// The kebab-case slug of the user-visible id `pss:<slug>`.
    pub fn slug(self) -> &'static str {
        match self {
            Control::WindowsHostProcess => "windows-host-process",
            Control::HostNamespaces => "host-namespaces",
            Control::Privileged => "privileged",
            Control::CapabilitiesBaseline => "capabilities-baseline",
            Control::HostPathVolumes => "host-path-volumes",
            Control::HostPorts => "host-ports",
            Control::HostProbesAndHostLifecycle => "host-probes-and-host-lifecycle",
            Control::AppArmorProfile => "app-armor-profile",
            Control::SeLinuxOptions => "se-linux-options",
            Control::ProcMount => "proc-mount",
            Control::SeccompProfileBaseline => "seccomp-profile-baseline",
            Control::Sysctls => "sysctls",
            Control::RestrictedVolumes => "restricted-volumes",
            Control::AllowPrivilegeEscalation => "allow-privilege-escalation",
            Control::RunAsNonRoot => "run-as-non-root",
            Control::RunAsUser => "run-as-user",
            Control::SeccompProfileRestricted => "seccomp-profile-restricted",
            Control::CapabilitiesRestricted => "capabilities-restricted",
            Control::ProcMountRestricted => "proc-mount-restricted",
        }
    }

    /// Severity of a violation, for the score C: privileged containers are critical,
    /// the other baseline controls high, the restricted ones medium.
    pub fn severity(self) -> hull_model::Severity {
        use hull_model::Severity;
        match self {
            Control::Privileged => Severity::Critical,
            c if c.info().level == Level::Baseline => Severity::High,
            _ => Severity::Medium,
        }
    }

    /// `pss:<slug>`.
    pub fn id(self) -> String {
        format!("pss:{}", self.slug())
    }
}

/// One violated control: the PSA reason and detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub control: Control,
    /// `privileged (container "app" must not set securityContext.privileged=true)`.
    pub message: String,
    /// The containers at fault (empty for pod-level violations).
    pub containers: Vec<String>,
}

/// The capabilities baseline lets containers add (exact spellings).
const BASELINE_CAPS: &[&str] = &[
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

/// Safe sysctls, with the policy version that allowed each.
pub const SAFE_SYSCTLS: &[(u32, &str)] = &[
    (0, "kernel.shm_rmid_forced"),
    (0, "net.ipv4.ip_local_port_range"),
    (0, "net.ipv4.tcp_syncookies"),
    (0, "net.ipv4.ping_group_range"),
    (0, "net.ipv4.ip_unprivileged_port_start"),
    (27, "net.ipv4.ip_local_reserved_ports"),
    (29, "net.ipv4.tcp_keepalive_time"),
    (29, "net.ipv4.tcp_fin_timeout"),
    (29, "net.ipv4.tcp_keepalive_intvl"),
    (29, "net.ipv4.tcp_keepalive_probes"),
    (32, "net.ipv4.tcp_rmem"),
    (32, "net.ipv4.tcp_wmem"),
    (37, "net.ipv4.tcp_slow_start_after_idle"),
    (37, "net.ipv4.tcp_notsent_lowat"),
];

const SELINUX_TYPES: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];

const ALLOWED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// The volume sources of the core API other than [`ALLOWED_VOLUMES`]. Keys outside
/// both lists are unknown to the API server, which drops them when decoding.
const OTHER_VOLUMES: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "image",
];

// Strict accessors: the API server decodes into typed fields, so a string "true" is
// not a boolean there (such a pod is rejected before admission). Only real JSON types
// count here.
fn field<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn flag(v: &Value, path: &[&str]) -> Option<bool> {
    field(v, path)?.as_bool()
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    field(v, path)?.as_str()
}

fn items<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    match field(v, path) {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

fn strs<'a>(v: &'a Value, path: &[&str]) -> Vec<&'a str> {
    items(v, path).iter().filter_map(Value::as_str).collect()
}

/// A container of any kind, with the word PSA uses for it in messages.
struct Ctr<'a> {
    name: &'a str,
    v: &'a Value,
}

fn containers(spec: &Value) -> Vec<Ctr<'_>> {
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| items(spec, &[k]))
        .map(|v| Ctr {
            name: text(v, &["name"]).unwrap_or(""),
            v,
        })
        .collect()
}

fn quote_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural<'a>(one: &'a str, many: &'a str, n: usize) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn containers_must(names: &[&str], what: &str) -> String {
    format!(
        "{} {} must {what}",
        plural("container", "containers", names.len()),
        quote_list(names)
    )
}

/// The pod's metadata and spec for an object: a Pod, or any object with a pod template.
pub fn pod_parts(obj: &Value) -> Option<(&Value, &Value)> {
    let path = crate::k8s::pod_spec_path(obj)?;
    let spec = crate::util::get(obj, path)?;
    let parent = &path[..path.len() - 1];
    let meta = if parent.is_empty() {
        obj.get("metadata")
    } else {
        crate::util::get(obj, parent).and_then(|p| p.get("metadata"))
    };
    Some((meta.unwrap_or(&Value::Null), spec))
}

/// Evaluates a pod (its metadata and spec) at `profile`: the violated controls, in
/// [`CONTROLS`] order. Empty means PSA admits the pod at that level and version.
pub fn evaluate(meta: &Value, spec: &Value, profile: Profile) -> Vec<Violation> {
    let v = profile.version.effective();
    let mut out = vec![];
    if profile.level == Level::Privileged {
        return out;
    }
    let restricted = profile.level == Level::Restricted;
    let ctrs = containers(spec);
    let windows = text(spec, &["os", "name"]) == Some("windows");
    let user_ns = flag(spec, &["hostUsers"]) == Some(false);
    let psc = field(spec, &["securityContext"]).unwrap_or(&Value::Null);
    let annotations = field(meta, &["annotations"]).and_then(Value::as_object);
    let mut push = |control: Control, message: String, containers: Vec<&str>| {
        out.push(Violation {
            control,
            message: format!("{} ({message})", control.info().psa_id),
            containers: containers.into_iter().map(str::to_string).collect(),
        })
    };
    // Names of the containers for which `bad` holds.
    let which = |bad: &dyn Fn(&Value) -> bool| -> Vec<&str> {
        ctrs.iter().filter(|c| bad(c.v)).map(|c| c.name).collect()
    };

    // windowsHostProcess
    {
        let pod = flag(psc, &["windowsOptions", "hostProcess"]) == Some(true);
        let bad = which(&|c| {
            flag(c, &["securityContext", "windowsOptions", "hostProcess"]) == Some(true)
        });
        if pod || !bad.is_empty() {
            let mut parts = vec![];
            if pod {
                parts.push(
                    "pod must not set securityContext.windowsOptions.hostProcess=true".to_string(),
                );
            }
            if !bad.is_empty() {
                parts.push(containers_must(
                    &bad,
                    "not set securityContext.windowsOptions.hostProcess=true",
                ));
            }
            push(Control::WindowsHostProcess, parts.join("; "), bad);
        }
    }
    // hostNamespaces
    {
        let set: Vec<&str> = ["hostNetwork", "hostPID", "hostIPC"]
            .into_iter()
            .filter(|k| flag(spec, &[k]) == Some(true))
            .collect();
        if !set.is_empty() {
            let list: Vec<String> = set.iter().map(|k| format!("{k}=true")).collect();
            push(
                Control::HostNamespaces,
                format!("pod must not set {}", list.join(", ")),
                vec![],
            );
        }
    }
    // privileged
    {
        let bad = which(&|c| flag(c, &["securityContext", "privileged"]) == Some(true));
        if !bad.is_empty() {
            let m = containers_must(&bad, "not set securityContext.privileged=true");
            push(Control::Privileged, m, bad);
        }
    }
    // capabilities_baseline: exact names only.
    {
        let mut caps: Vec<&str> = vec![];
        let bad = which(&|c| {
            strs(c, &["securityContext", "capabilities", "add"])
                .iter()
                .any(|a| !BASELINE_CAPS.contains(a))
        });
        for c in &ctrs {
            for a in strs(c.v, &["securityContext", "capabilities", "add"]) {
                if !BASELINE_CAPS.contains(&a) && !caps.contains(&a) {
                    caps.push(a);
                }
            }
        }
        if !bad.is_empty() {
            let m = containers_must(
                &bad,
                &format!(
                    "not include {} in securityContext.capabilities.add",
                    quote_list(&caps)
                ),
            );
            push(Control::CapabilitiesBaseline, m, bad);
        }
    }
    // hostPathVolumes
    {
        let bad: Vec<&str> = items(spec, &["volumes"])
            .iter()
            .filter(|vol| field(vol, &["hostPath"]).is_some())
            .map(|vol| text(vol, &["name"]).unwrap_or(""))
            .collect();
        if !bad.is_empty() {
            let m = format!(
                "{} {} {} hostPath",
                plural("volume", "volumes", bad.len()),
                quote_list(&bad),
                plural("uses", "use", bad.len())
            );
            push(Control::HostPathVolumes, m, vec![]);
        }
    }
    // hostPorts
    {
        let mut ports: Vec<String> = vec![];
        let bad = which(&|c| {
            items(c, &["ports"]).iter().any(|p| {
                field(p, &["hostPort"])
                    .and_then(Value::as_i64)
                    .is_some_and(|n| n != 0)
            })
        });
        for c in &ctrs {
            for p in items(c.v, &["ports"]) {
                if let Some(n) = field(p, &["hostPort"])
                    .and_then(Value::as_i64)
                    .filter(|n| *n != 0)
                {
                    ports.push(n.to_string());
                }
            }
        }
        if !bad.is_empty() {
            let m = format!(
                "{} {} {} {} {}",
                plural("container", "containers", bad.len()),
                quote_list(&bad),
                plural("uses", "use", bad.len()),
                plural("hostPort", "hostPorts", ports.len()),
                ports.join(", ")
            );
            push(Control::HostPorts, m, bad);
        }
    }
    // hostProbesAndHostLifecycle (v1.34)
    if v >= 34 {
        const HANDLERS: &[&[&str]] = &[
            &["livenessProbe"],
            &["readinessProbe"],
            &["startupProbe"],
            &["lifecycle", "postStart"],
            &["lifecycle", "preStop"],
        ];
        let mut spots: Vec<String> = vec![];
        let mut bad: Vec<&str> = vec![];
        for c in &ctrs {
            for h in HANDLERS {
                for kind in ["httpGet", "tcpSocket"] {
                    let mut path: Vec<&str> = h.to_vec();
                    path.extend([kind, "host"]);
                    if text(c.v, &path).is_some_and(|s| !s.is_empty()) {
                        spots.push(format!("{:?} {}.{kind}.host", c.name, h.join(".")));
                        if !bad.contains(&c.name) {
                            bad.push(c.name);
                        }
                    }
                }
            }
        }
        if !bad.is_empty() {
            let m = format!(
                "{} must not set host: {}",
                plural("container", "containers", bad.len()),
                spots.join(", ")
            );
            push(Control::HostProbesAndHostLifecycle, m, bad);
        }
    }
    // appArmorProfile: annotations and fields.
    {
        let ok_type = |t: Option<&str>| t.is_none_or(|t| t == "RuntimeDefault" || t == "Localhost");
        let mut parts: Vec<String> = vec![];
        if let Some(a) = annotations {
            let mut bad: Vec<String> = a
                .iter()
                .filter(|(k, _)| k.starts_with("container.apparmor.security.beta.kubernetes.io/"))
                .filter_map(|(k, val)| {
                    let val = val.as_str().unwrap_or("");
                    (val != "runtime/default" && !val.starts_with("localhost/"))
                        .then(|| format!("{k}={val:?}"))
                })
                .collect();
            bad.sort();
            if !bad.is_empty() {
                parts.push(format!(
                    "forbidden AppArmor {} {}",
                    plural("annotation", "annotations", bad.len()),
                    bad.join(", ")
                ));
            }
        }
        if !ok_type(text(psc, &["appArmorProfile", "type"])) {
            parts.push("pod must not set securityContext.appArmorProfile.type=Unconfined".into());
        }
        let bad = which(&|c| !ok_type(text(c, &["securityContext", "appArmorProfile", "type"])));
        if !bad.is_empty() {
            parts.push(containers_must(
                &bad,
                "not set securityContext.appArmorProfile.type=Unconfined",
            ));
        }
        if !parts.is_empty() {
            push(Control::AppArmorProfile, parts.join("; "), bad);
        }
    }
    // seLinuxOptions: pod and containers, type restricted, user/role forbidden.
    {
        let problems = |se: &Value| -> Vec<&'static str> {
            let mut p = vec![];
            if text(se, &["type"]).is_some_and(|t| !SELINUX_TYPES.contains(&t)) {
                p.push("type");
            }
            if text(se, &["user"]).is_some_and(|t| !t.is_empty()) {
                p.push("user");
            }
            if text(se, &["role"]).is_some_and(|t| !t.is_empty()) {
                p.push("role");
            }
            p
        };
        let mut parts = vec![];
        if let Some(se) = field(psc, &["seLinuxOptions"]) {
            let p = problems(se);
            if !p.is_empty() {
                parts.push(format!(
                    "pod must not set securityContext.seLinuxOptions {}",
                    p.join(", ")
                ));
            }
        }
        let bad = which(&|c| {
            field(c, &["securityContext", "seLinuxOptions"])
                .is_some_and(|se| !problems(se).is_empty())
        });
        if !bad.is_empty() {
            parts.push(containers_must(&bad, "not set securityContext.seLinuxOptions type (other than container_t, container_init_t, container_kvm_t), user or role"));
        }
        if !parts.is_empty() {
            push(Control::SeLinuxOptions, parts.join("; "), bad);
        }
    }
    // procMount (baseline) and procMount_restricted.
    {
        let bad =
            which(&|c| text(c, &["securityContext", "procMount"]).is_some_and(|p| p != "Default"));
        if !bad.is_empty() {
            let m = containers_must(&bad, "not set securityContext.procMount=Unmasked");
            if !(v >= 35 && user_ns) {
                push(Control::ProcMount, m.clone(), bad.clone());
            }
            if restricted && v >= 35 {
                push(Control::ProcMountRestricted, m, bad);
            }
        }
    }
    // seccompProfile_baseline: annotations before v1.19, fields from v1.19.
    {
        let mut parts = vec![];
        let mut bad_ctrs = vec![];
        if v < 19 {
            let ok = |s: &str| {
                s == "runtime/default" || s == "docker/default" || s.starts_with("localhost/")
            };
            if let Some(a) = annotations {
                let mut bad: Vec<String> = a
                    .iter()
                    .filter(|(k, _)| {
                        k.as_str() == "seccomp.security.alpha.kubernetes.io/pod"
                            || k.starts_with("container.seccomp.security.alpha.kubernetes.io/")
                    })
                    .filter_map(|(k, val)| {
                        let val = val.as_str().unwrap_or("");
                        (!ok(val)).then(|| format!("{k}={val:?}"))
                    })
                    .collect();
                bad.sort();
                if !bad.is_empty() {
                    parts.push(format!(
                        "forbidden seccomp {} {}",
                        plural("annotation", "annotations", bad.len()),
                        bad.join(", ")
                    ));
                }
            }
        } else {
            let ok = |t: Option<&str>| t.is_none_or(|t| t == "RuntimeDefault" || t == "Localhost");
            if let Some(t) = text(psc, &["seccompProfile", "type"]).filter(|t| !ok(Some(t))) {
                parts.push(format!(
                    "pod must not set securityContext.seccompProfile.type to {t:?}"
                ));
            }
            bad_ctrs = which(&|c| !ok(text(c, &["securityContext", "seccompProfile", "type"])));
            if !bad_ctrs.is_empty() {
                parts.push(containers_must(
                    &bad_ctrs,
                    "not set securityContext.seccompProfile.type to \"Unconfined\"",
                ));
            }
        }
        if !parts.is_empty() {
            push(Control::SeccompProfileBaseline, parts.join("; "), bad_ctrs);
        }
    }
    // sysctls
    {
        let bad: Vec<&str> = items(psc, &["sysctls"])
            .iter()
            .filter_map(|s| text(s, &["name"]))
            .filter(|n| !SAFE_SYSCTLS.iter().any(|(since, s)| *since <= v && s == n))
            .collect();
        if !bad.is_empty() {
            let m = format!(
                "forbidden {} {}",
                plural("sysctl", "sysctls", bad.len()),
                bad.join(", ")
            );
            push(Control::Sysctls, m, vec![]);
        }
    }
    if !restricted {
        return out;
    }
    let linux_only_exempt = windows && v >= 25;
    // restrictedVolumes: a volume without a known source is defaulted to emptyDir.
    {
        let mut bad: Vec<&str> = vec![];
        let mut types: Vec<&str> = vec![];
        for vol in items(spec, &["volumes"]) {
            let Some(m) = vol.as_object() else { continue };
            let allowed = ALLOWED_VOLUMES
                .iter()
                .any(|k| m.get(*k).is_some_and(|x| !x.is_null()));
            if allowed {
                continue;
            }
            let other: Vec<&str> = OTHER_VOLUMES
                .iter()
                .copied()
                .filter(|k| m.get(*k).is_some_and(|x| !x.is_null()))
                .collect();
            if let Some(t) = other.first() {
                bad.push(text(vol, &["name"]).unwrap_or(""));
                if !types.contains(t) {
                    types.push(t);
                }
            }
        }
        if !bad.is_empty() {
            let m = format!(
                "{} {} {} restricted volume {} {}",
                plural("volume", "volumes", bad.len()),
                quote_list(&bad),
                plural("uses", "use", bad.len()),
                plural("type", "types", types.len()),
                quote_list(&types)
            );
            push(Control::RestrictedVolumes, m, vec![]);
        }
    }
    // allowPrivilegeEscalation (v1.8)
    if v >= 8 && !linux_only_exempt {
        let bad =
            which(&|c| flag(c, &["securityContext", "allowPrivilegeEscalation"]) != Some(false));
        if !bad.is_empty() {
            let m = containers_must(&bad, "set securityContext.allowPrivilegeEscalation=false");
            push(Control::AllowPrivilegeEscalation, m, bad);
        }
    }
    // runAsNonRoot
    {
        let pod = flag(psc, &["runAsNonRoot"]);
        let mut parts = vec![];
        if pod == Some(false) {
            parts.push("pod must not set securityContext.runAsNonRoot=false".to_string());
        }
        let explicit = which(&|c| flag(c, &["securityContext", "runAsNonRoot"]) == Some(false));
        let implicit = if pod == Some(true) {
            vec![]
        } else {
            which(&|c| flag(c, &["securityContext", "runAsNonRoot"]).is_none())
        };
        if !explicit.is_empty() {
            parts.push(containers_must(
                &explicit,
                "not set securityContext.runAsNonRoot=false",
            ));
        }
        if !implicit.is_empty() {
            parts.push(format!(
                "pod or {}",
                containers_must(&implicit, "set securityContext.runAsNonRoot=true")
            ));
        }
        if !parts.is_empty() {
            let mut all = explicit;
            all.extend(implicit);
            push(Control::RunAsNonRoot, parts.join("; "), all);
        }
    }
    // runAsUser (v1.23)
    if v >= 23 {
        let mut parts = vec![];
        if field(psc, &["runAsUser"]).and_then(Value::as_i64) == Some(0) {
            parts.push("pod must not set runAsUser=0".to_string());
        }
        let bad = which(&|c| {
            field(c, &["securityContext", "runAsUser"]).and_then(Value::as_i64) == Some(0)
        });
        if !bad.is_empty() {
            parts.push(containers_must(&bad, "not set runAsUser=0"));
        }
        if !parts.is_empty() {
            push(Control::RunAsUser, parts.join("; "), bad);
        }
    }
    // seccompProfile_restricted (v1.19): the effective profile must be set and valid.
    if v >= 19 && !linux_only_exempt {
        let ok = |t: Option<&str>| t.is_some_and(|t| t == "RuntimeDefault" || t == "Localhost");
        let pod = text(psc, &["seccompProfile", "type"]);
        let mut parts = vec![];
        if pod.is_some() && !ok(pod) {
            parts.push(format!(
                "pod must not set securityContext.seccompProfile.type to {:?}",
                pod.unwrap_or("")
            ));
        }
        let explicit = which(&|c| {
            let t = text(c, &["securityContext", "seccompProfile", "type"]);
            t.is_some() && !ok(t)
        });
        let implicit = if pod.is_some() {
            vec![]
        } else {
            which(&|c| text(c, &["securityContext", "seccompProfile", "type"]).is_none())
        };
        if !explicit.is_empty() {
            parts.push(containers_must(&explicit, "not set securityContext.seccompProfile.type to a value other than RuntimeDefault or Localhost"));
        }
        if !implicit.is_empty() {
            parts.push(format!("pod or {}", containers_must(&implicit, "set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"")));
        }
        if !parts.is_empty() {
            let mut all = explicit;
            all.extend(implicit);
            push(Control::SeccompProfileRestricted, parts.join("; "), all);
        }
    }
    // capabilities_restricted (v1.22)
    if v >= 22 && !linux_only_exempt {
        let no_drop =
            which(&|c| !strs(c, &["securityContext", "capabilities", "drop"]).contains(&"ALL"));
        let mut added: Vec<&str> = vec![];
        for c in &ctrs {
            for a in strs(c.v, &["securityContext", "capabilities", "add"]) {
                if a != "NET_BIND_SERVICE" && !added.contains(&a) {
                    added.push(a);
                }
            }
        }
        let bad_add = which(&|c| {
            strs(c, &["securityContext", "capabilities", "add"])
                .iter()
                .any(|a| *a != "NET_BIND_SERVICE")
        });
        let mut parts = vec![];
        if !no_drop.is_empty() {
            parts.push(containers_must(
                &no_drop,
                "set securityContext.capabilities.drop=[\"ALL\"]",
            ));
        }
        if !bad_add.is_empty() {
            parts.push(containers_must(
                &bad_add,
                &format!(
                    "not include {} in securityContext.capabilities.add",
                    quote_list(&added)
                ),
            ));
        }
        if !parts.is_empty() {
            let mut all = no_drop;
            for b in bad_add {
                if !all.contains(&b) {
                    all.push(b);
                }
            }
            push(Control::CapabilitiesRestricted, parts.join("; "), all);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse() {
        let cases: &[(&str, Option<Profile>)] = &[
            (
                "baseline",
                Some(Profile::new(Level::Baseline, Version::Latest)),
            ),
            (
                "restricted@latest",
                Some(Profile::new(Level::Restricted, Version::Latest)),
            ),
            (
                "restricted@v1.29",
                Some(Profile::new(Level::Restricted, Version::Minor(29))),
            ),
            (
                "baseline@1.0",
                Some(Profile::new(Level::Baseline, Version::Minor(0))),
            ),
            ("baseline@v2.0", None),
            ("baseline@v1.x", None),
            ("baseline@v1.+3", None),
            ("strict", None),
        ];
        for (s, want) in cases {
            assert_eq!(s.parse::<Profile>().ok(), *want, "{s}");
        }
        assert_eq!(Version::Minor(99).effective(), LATEST_MINOR);
        assert_eq!(
            Profile::new(Level::Baseline, Version::Minor(3)).to_string(),
            "baseline@v1.3"
        );
    }

    #[test]
    fn every_control_documented_once() {
        for (i, c) in CONTROLS.iter().enumerate() {
            assert!(CONTROLS[i + 1..].iter().all(|d| d.control != c.control));
            assert_eq!(c.control.info().psa_id, c.psa_id);
            assert!(c
                .control
                .slug()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-'));
        }
        assert_eq!(CONTROLS.len(), 19);
    }

    fn eval(spec: serde_json::Value, p: &str) -> Vec<&'static str> {
        evaluate(&Value::Null, &spec, p.parse().unwrap())
            .into_iter()
            .map(|v| v.control.slug())
            .collect()
    }

    #[test]
    fn version_and_level_rules() {
        use serde_json::json;
        let c = |sc: Value| json!({"containers": [{"name": "c", "securityContext": sc}]});
        let cases: &[(Value, &str, &[&str])] = &[
            // Unset seccomp only matters at restricted from v1.19.
            (c(json!({})), "baseline@latest", &[]),
            (
                c(
                    json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true}),
                ),
                "restricted@v1.18",
                &[],
            ),
            (
                c(
                    json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true}),
                ),
                "restricted@v1.19",
                &["seccomp-profile-restricted"],
            ),
            // Non-canonical capability names are not in the allow-list.
            (
                c(json!({"capabilities": {"add": ["chown"]}})),
                "baseline",
                &["capabilities-baseline"],
            ),
            (
                c(json!({"capabilities": {"add": ["CAP_CHOWN"]}})),
                "baseline",
                &["capabilities-baseline"],
            ),
            (
                c(json!({"capabilities": {"add": ["CHOWN"]}})),
                "baseline",
                &[],
            ),
            // Restricted: only NET_BIND_SERVICE may be added back.
            (
                c(
                    json!({"allowPrivilegeEscalation": false, "runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}, "capabilities": {"drop": ["ALL"], "add": ["CHOWN"]}}),
                ),
                "restricted",
                &["capabilities-restricted"],
            ),
            (
                c(
                    json!({"allowPrivilegeEscalation": false, "runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}),
                ),
                "restricted",
                &[],
            ),
            // Before v1.22 restricted has no capability rule beyond baseline.
            (
                c(
                    json!({"allowPrivilegeEscalation": false, "runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}, "capabilities": {"add": ["CHOWN"]}}),
                ),
                "restricted@v1.21",
                &[],
            ),
        ];
        for (spec, p, want) in cases {
            assert_eq!(eval(spec.clone(), p), *want, "{p}: {spec}");
        }
    }

    #[test]
    fn sysctls_by_version() {
        use serde_json::json;
        let s = |n: &str| json!({"containers": [{"name": "c"}], "securityContext": {"sysctls": [{"name": n, "value": "1"}]}});
        for (name, since) in [
            ("net.ipv4.ip_local_reserved_ports", 27),
            ("net.ipv4.tcp_keepalive_time", 29),
            ("net.ipv4.tcp_rmem", 32),
            ("net.ipv4.tcp_notsent_lowat", 37),
        ] {
            assert_eq!(
                eval(s(name), &format!("baseline@v1.{}", since - 1)),
                ["sysctls"],
                "{name}"
            );
            assert!(
                eval(s(name), &format!("baseline@v1.{since}")).is_empty(),
                "{name}"
            );
        }
    }
}
