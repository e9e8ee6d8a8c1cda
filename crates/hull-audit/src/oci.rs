//! OCI runtime `config.json` (runc/crun bundles) → one workload. Follows
//! <https://github.com/opencontainers/runtime-spec/blob/main/config.md>: what is not
//! listed is not granted, so a missing namespace means the host's and a missing
//! seccomp section means no filter.

use serde_json::Value;

use crate::util::{arr, get, get_bool, get_i64, get_str, get_strs, norm_cap, Lines};
use crate::workload::{Container, HostMount, Isolation, Seccomp, Workload};

pub(crate) const DEFAULT_MASKED: &[&str] = &[
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];
pub(crate) const DEFAULT_READONLY: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Whether the config targets Windows only (Linux checks do not apply).
pub(crate) fn is_windows(doc: &Value) -> bool {
    doc.get("windows").is_some() && doc.get("linux").is_none()
}

/// Isolation from OCI annotations set by CRI runtimes and sandbox shims.
fn annotation_runtime(doc: &Value) -> Option<String> {
    let ann = doc.get("annotations")?.as_object()?;
    for key in [
        "io.kubernetes.cri.runtime-handler",
        "io.kubernetes.cri-o.RuntimeHandler",
        "io.containerd.runtime",
    ] {
        if let Some(v) = ann.get(key).and_then(Value::as_str) {
            return Some(v.to_string());
        }
    }
    if ann.keys().any(|k| k.starts_with("io.katacontainers.")) {
        return Some("kata (io.katacontainers.* annotations)".into());
    }
    if ann.keys().any(|k| k.starts_with("dev.gvisor.")) {
        return Some("gvisor (dev.gvisor.* annotations)".into());
    }
    None
}

pub(crate) fn workload(doc: &Value, text: &str) -> Workload {
    let lines = Lines::new(text);
    let n = lines.len();
    let namespaces: Vec<&str> = arr(doc, &["linux", "namespaces"])
        .iter()
        .filter_map(|ns| get_str(ns, &["type"]))
        .collect();
    let has_ns = |t: &str| namespaces.contains(&t);
    let mut caps: Vec<String> = Vec::new();
    for set in [
        "bounding",
        "effective",
        "permitted",
        "inheritable",
        "ambient",
    ] {
        for c in get_strs(doc, &["process", "capabilities", set]) {
            let c = norm_cap(&c);
            if !caps.contains(&c) {
                caps.push(c);
            }
        }
    }
    let masked = get_strs(doc, &["linux", "maskedPaths"]);
    let readonly = get_strs(doc, &["linux", "readonlyPaths"]);
    let unmasked =
        !masked.iter().any(|p| p == "/proc/kcore") || !readonly.iter().any(|p| p == "/proc/sys");
    let seccomp = if get(doc, &["linux", "seccomp"]).is_some_and(|s| s.is_object()) {
        if get_str(doc, &["linux", "seccomp", "defaultAction"]) == Some("SCMP_ACT_ALLOW")
            && arr(doc, &["linux", "seccomp", "syscalls"]).is_empty()
        {
            Seccomp::Unconfined
        } else {
            Seccomp::Localhost
        }
    } else {
        Seccomp::Unset
    };
    let mut mounts = vec![];
    for m in arr(doc, &["mounts"]) {
        let opts = get_strs(m, &["options"]);
        let bind = get_str(m, &["type"]) == Some("bind")
            || opts.iter().any(|o| o == "bind" || o == "rbind");
        if bind {
            let src = get_str(m, &["source"]).unwrap_or("").to_string();
            mounts.push(HostMount {
                line: lines.find(1, n, &["\"source\"", &src]),
                host_path: src,
                target: get_str(m, &["destination"]).map(str::to_string),
                read_only: opts.iter().any(|o| o == "ro"),
            });
        }
    }
    let privileged_like = ["SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO"]
        .iter()
        .all(|c| caps.iter().any(|x| x == c))
        && seccomp == Seccomp::Unset
        && unmasked;
    let runtime = annotation_runtime(doc);
    // In a user namespace (rootless bundles) container UID 0 maps to an unprivileged
    // host UID: judge the host side.
    let map_host = |key: &str, id: Option<i64>| -> Option<i64> {
        let id = id.unwrap_or(0);
        if !has_ns("user") {
            return Some(id);
        }
        arr(doc, &["linux", key]).iter().find_map(|m| {
            let c = get_i64(m, &["containerID"])?;
            let h = get_i64(m, &["hostID"])?;
            let n = get_i64(m, &["size"]).unwrap_or(1);
            (id >= c && id < c.saturating_add(n)).then(|| h.saturating_add(id - c))
        })
    };
    let uid = map_host("uidMappings", get_i64(doc, &["process", "user", "uid"]));
    let gid = map_host("gidMappings", get_i64(doc, &["process", "user", "gid"]));
    let line = lines.find(1, n, &["\"process\""]).or(Some(1));
    Workload {
        name: "bundle".into(),
        kind: "oci-bundle".into(),
        line: Some(1),
        host_network: !has_ns("network"),
        host_pid: !has_ns("pid"),
        host_ipc: !has_ns("ipc"),
        host_uts: !has_ns("uts"),
        isolation: runtime
            .as_deref()
            .map(Isolation::from_runtime_name)
            .unwrap_or_default(),
        runtime,
        sysctls: get(doc, &["linux", "sysctl"])
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
        host_mounts: mounts,
        pids_limit: get_i64(doc, &["linux", "resources", "pids", "limit"]).is_some_and(|n| n > 0),
        containers: vec![Container {
            name: "process".into(),
            line,
            privileged: privileged_like,
            allow_privilege_escalation: get_bool(doc, &["process", "noNewPrivileges"])
                != Some(true),
            caps_drop: if caps.is_empty() {
                vec!["ALL".into()]
            } else {
                vec![]
            },
            caps_add: caps,
            run_as_user: Some(uid.unwrap_or(0)),
            run_as_group: Some(gid.unwrap_or(0)),
            run_as_non_root: uid.is_some_and(|u| u != 0),
            supplemental_groups: arr(doc, &["process", "user", "additionalGids"])
                .iter()
                .filter_map(Value::as_i64)
                .collect(),
            read_only_root_fs: get_bool(doc, &["root", "readonly"]).unwrap_or(false),
            seccomp,
            apparmor: get_str(doc, &["process", "apparmorProfile"]).map(str::to_string),
            proc_mount: unmasked
                .then(|| "Unmasked (maskedPaths/readonlyPaths incomplete)".to_string()),
            memory_limit: get_i64(doc, &["linux", "resources", "memory", "limit"])
                .is_some_and(|n| n > 0),
            cpu_limit: get_i64(doc, &["linux", "resources", "cpu", "quota"]).is_some_and(|n| n > 0),
            ..Container::default()
        }],
        ..Workload::default()
    }
}
