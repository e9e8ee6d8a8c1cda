//! `docker inspect` / `podman inspect` container JSON → one workload per container.
//! The inspect output already merges image config (`Config.User`, `Config.Image`), so
//! an empty user really means root.

use serde_json::Value;

use crate::compose::{parse_user, security_opts};
use crate::util::{arr, get, get_bool, get_i64, get_str, get_strs, norm_cap, Lines};
use crate::workload::{Container, HostMount, Isolation, Seccomp, Workload};

fn mode_is_host(v: &Value, key: &str) -> bool {
    get_str(v, &["HostConfig", key]) == Some("host")
}

pub(crate) fn workloads(doc: &Value, text: &str) -> Vec<Workload> {
    let lines = Lines::new(text);
    let items: Vec<&Value> = match doc {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = vec![];
    let mut from = 1;
    for it in items {
        let name = get_str(it, &["Name"]).unwrap_or("<unnamed>").to_string();
        let line = lines
            .find(from, lines.len(), &["\"Name\"", &name])
            .or(Some(from));
        from = line.unwrap_or(from);
        let hc = it.get("HostConfig").cloned().unwrap_or(Value::Null);
        let sec = security_opts(&get_strs(&hc, &["SecurityOpt"]));
        let privileged = get_bool(&hc, &["Privileged"]).unwrap_or(false);
        let (uid, gid, non_root) = parse_user(get_str(it, &["Config", "User"]).unwrap_or(""));
        let runtime = get_str(&hc, &["Runtime"])
            .or_else(|| get_str(it, &["OCIRuntime"]))
            .map(str::to_string);
        let mut mounts = vec![];
        for b in get_strs(&hc, &["Binds"]) {
            let parts: Vec<&str> = b.split(':').collect();
            if parts.len() >= 2 && parts[0].starts_with('/') {
                mounts.push(HostMount {
                    host_path: parts[0].to_string(),
                    target: Some(parts[1].to_string()),
                    read_only: parts
                        .get(2)
                        .is_some_and(|m| m.split(',').any(|o| o == "ro")),
                    line: lines.find(from, lines.len(), &[b.as_str()]),
                });
            }
        }
        for m in arr(it, &["Mounts"]) {
            if get_str(m, &["Type"]) == Some("bind") {
                let src = get_str(m, &["Source"]).unwrap_or("").to_string();
                if mounts.iter().any(|x: &HostMount| x.host_path == src) {
                    continue;
                }
                mounts.push(HostMount {
                    line: lines.find(from, lines.len(), &["\"Source\"", &src]),
                    host_path: src,
                    target: get_str(m, &["Destination"]).map(str::to_string),
                    read_only: get_bool(m, &["RW"]) == Some(false),
                });
            }
        }
        let mut host_ports = vec![];
        if let Some(Value::Object(pb)) = hc.get("PortBindings") {
            for binds in pb.values() {
                if let Value::Array(bs) = binds {
                    for b in bs {
                        if let Some(p) = get_str(b, &["HostPort"]).and_then(|p| p.parse().ok()) {
                            host_ports.push(p);
                        }
                    }
                }
            }
        }
        let pos = |k: &str| get_i64(&hc, &[k]).is_some_and(|n| n > 0);
        let apparmor = get_str(it, &["AppArmorProfile"])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .or(sec.apparmor);
        let devices: Vec<String> = arr(&hc, &["Devices"])
            .iter()
            .filter_map(|d| get_str(d, &["PathOnHost"]).map(str::to_string))
            .collect();
        let w = Workload {
            name: format!("container {name}"),
            kind: "container".into(),
            line,
            host_network: mode_is_host(it, "NetworkMode"),
            host_pid: mode_is_host(it, "PidMode"),
            host_ipc: mode_is_host(it, "IpcMode"),
            host_uts: mode_is_host(it, "UTSMode"),
            host_userns: mode_is_host(it, "UsernsMode"),
            isolation: runtime
                .as_deref()
                .map(Isolation::from_runtime_name)
                .unwrap_or_default(),
            runtime,
            sysctls: get(&hc, &["Sysctls"])
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
            host_mounts: mounts,
            devices,
            pids_limit: pos("PidsLimit"),
            containers: vec![Container {
                name: name.trim_start_matches('/').to_string(),
                image: get_str(it, &["Config", "Image"])
                    .or_else(|| get_str(it, &["ImageName"]))
                    .map(str::to_string),
                line,
                privileged,
                allow_privilege_escalation: privileged || !sec.no_new_privileges,
                caps_add: get_strs(&hc, &["CapAdd"])
                    .iter()
                    .map(|c| norm_cap(c))
                    .collect(),
                caps_drop: get_strs(&hc, &["CapDrop"])
                    .iter()
                    .map(|c| norm_cap(c))
                    .collect(),
                run_as_user: uid,
                run_as_group: gid,
                run_as_non_root: non_root,
                read_only_root_fs: get_bool(&hc, &["ReadonlyRootfs"]).unwrap_or(false),
                seccomp: if sec.seccomp_unconfined || privileged {
                    Seccomp::Unconfined
                } else {
                    Seccomp::RuntimeDefault
                },
                apparmor,
                selinux_type: sec.selinux_type,
                selinux_user_or_role: sec.selinux_user_or_role,
                proc_mount: sec.unmasked_paths.then(|| "Unmasked".to_string()),
                cpu_limit: pos("NanoCpus") || pos("CpuQuota") || pos("CpuShares"),
                memory_limit: pos("Memory"),
                host_ports,
                ..Container::default()
            }],
            ..Workload::default()
        };
        out.push(w);
    }
    out
}
