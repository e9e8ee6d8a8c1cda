//! Docker Compose files (v2, v3, Compose Specification) → one workload per service.
//! Docker applies its default seccomp and AppArmor profiles unless told otherwise, so
//! an unset `security_opt` is *not* unconfined here (unlike Kubernetes).

use serde_json::Value;

use crate::util::{get, get_bool, get_i64, get_str, get_strs, norm_cap, Lines};
use crate::workload::{Container, HostMount, Isolation, Seccomp, Workload};

/// Parsed `security_opt` entries (both `key:value` and `key=value` spellings).
#[derive(Default)]
pub(crate) struct SecurityOpts {
    pub no_new_privileges: bool,
    pub seccomp_unconfined: bool,
    pub apparmor: Option<String>,
    pub selinux_type: Option<String>,
    pub selinux_user_or_role: bool,
    pub unmasked_paths: bool,
}

pub(crate) fn security_opts(opts: &[String]) -> SecurityOpts {
    let mut s = SecurityOpts::default();
    for o in opts {
        let (k, v) = match o.split_once([':', '=']) {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (o.trim(), "true"),
        };
        match k {
            "no-new-privileges" => s.no_new_privileges = v != "false",
            "seccomp" => s.seccomp_unconfined = v == "unconfined",
            "apparmor" => s.apparmor = Some(v.to_string()),
            "systempaths" => s.unmasked_paths = v == "unconfined",
            "label" => {
                if v == "disable" {
                    s.selinux_type = Some("disable".into());
                } else if let Some((lk, lv)) = v.split_once([':', '=']) {
                    match lk {
                        "type" => s.selinux_type = Some(lv.to_string()),
                        "user" | "role" => s.selinux_user_or_role = true,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    s
}

/// Parses a user spec `uid[:gid]` or `name[:group]`.
pub(crate) fn parse_user(u: &str) -> (Option<i64>, Option<i64>, bool) {
    let u = u.trim();
    if u.is_empty() {
        return (Some(0), Some(0), false);
    }
    let (user, group) = match u.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (u, None),
    };
    let gid = group.and_then(|g| if g == "root" { Some(0) } else { g.parse().ok() });
    match user.parse::<i64>() {
        Ok(n) => (Some(n), gid, n != 0),
        Err(_) if user == "root" => (Some(0), gid, false),
        Err(_) if user.contains('$') => (None, gid, false),
        // A named user other than root: not UID 0 (its number is in the image).
        Err(_) => (None, gid, true),
    }
}

fn parse_port(spec: &str) -> Option<u32> {
    // [ip:]published:target[/proto]; "target" alone publishes on a random port.
    let spec = spec.split('/').next().unwrap_or(spec);
    let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
    if parts.len() < 2 {
        return None;
    }
    let published = parts[1];
    published.split('-').next()?.trim().parse().ok()
}

fn host_ports(svc: &Value) -> Vec<u32> {
    let mut out = vec![];
    if let Some(Value::Array(ports)) = svc.get("ports") {
        for p in ports {
            match p {
                Value::String(s) => out.extend(parse_port(s)),
                Value::Number(_) => {}
                Value::Object(_) => {
                    if let Some(n) = get_i64(p, &["published"]).and_then(|n| u32::try_from(n).ok())
                    {
                        out.push(n);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn is_host_source(src: &str) -> bool {
    src.starts_with('/') || src.starts_with('.') || src.starts_with('~') || src.starts_with('$')
}

fn mounts(
    svc: &Value,
    line: Option<usize>,
    lines: &Lines,
    from: usize,
    to: usize,
) -> Vec<HostMount> {
    let mut out = vec![];
    let Some(Value::Array(vols)) = svc.get("volumes") else {
        return out;
    };
    for v in vols {
        match v {
            Value::String(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                if parts.len() >= 2 && is_host_source(parts[0]) {
                    let ro = parts
                        .get(2)
                        .is_some_and(|m| m.split(',').any(|o| o == "ro"));
                    out.push(HostMount {
                        host_path: parts[0].to_string(),
                        target: Some(parts[1].to_string()),
                        read_only: ro,
                        line: lines.find(from, to, &[s.as_str()]).or(line),
                    });
                }
            }
            Value::Object(_) if get_str(v, &["type"]) == Some("bind") => {
                let src = get_str(v, &["source"]).unwrap_or("").to_string();
                out.push(HostMount {
                    line: lines.find(from, to, &[src.as_str()]).or(line),
                    host_path: src,
                    target: get_str(v, &["target"]).map(str::to_string),
                    read_only: get_bool(v, &["read_only"]).unwrap_or(false),
                });
            }
            _ => {}
        }
    }
    out
}

fn sysctls(svc: &Value) -> Vec<String> {
    match svc.get("sysctls") {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.split('=').next().unwrap_or(s).trim().to_string())
            .collect(),
        _ => vec![],
    }
}

fn is_set(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => !s.trim().is_empty() && s.trim() != "0",
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f > 0.0),
        _ => false,
    }
}

/// One workload per service, in file order.
pub(crate) fn workloads(doc: &Value, text: &str) -> Vec<Workload> {
    let lines = Lines::new(text);
    let services_line = lines.find(1, lines.len(), &["services:"]).unwrap_or(1);
    let Some(services) = doc.get("services").and_then(Value::as_object) else {
        return vec![];
    };
    let mut out = vec![];
    for (name, svc) in services {
        let line = lines
            .find(services_line, lines.len(), &[&format!("{name}:")])
            .or(Some(services_line));
        let from = line.unwrap_or(1);
        let sec = security_opts(&get_strs(svc, &["security_opt"]));
        let privileged = get_bool(svc, &["privileged"]).unwrap_or(false);
        let (uid, gid, non_root) = match get_str(svc, &["user"]) {
            Some(u) => parse_user(u),
            None => match get_i64(svc, &["user"]) {
                Some(n) => (Some(n), None, n != 0),
                None => (None, None, false),
            },
        };
        let limits = get(svc, &["deploy", "resources", "limits"]);
        let runtime = get_str(svc, &["runtime"]).map(str::to_string);
        let mut w = Workload {
            name: format!("service {name}"),
            kind: "compose-service".into(),
            line,
            host_network: get_str(svc, &["network_mode"]) == Some("host"),
            host_pid: get_str(svc, &["pid"]) == Some("host"),
            host_ipc: get_str(svc, &["ipc"]) == Some("host"),
            host_uts: get_str(svc, &["uts"]) == Some("host"),
            host_userns: get_str(svc, &["userns_mode"]) == Some("host"),
            isolation: runtime
                .as_deref()
                .map(Isolation::from_runtime_name)
                .unwrap_or_default(),
            runtime,
            sysctls: sysctls(svc),
            host_mounts: vec![],
            devices: get_strs(svc, &["devices"]),
            pids_limit: is_set(svc.get("pids_limit")) || is_set(limits.and_then(|l| l.get("pids"))),
            ..Workload::default()
        };
        // The service's extent in the text: up to the next service key.
        w.host_mounts = mounts(svc, line, &lines, from, lines.len());
        w.containers.push(Container {
            name: name.clone(),
            image: get_str(svc, &["image"]).map(str::to_string),
            init: false,
            line,
            privileged,
            allow_privilege_escalation: privileged || !sec.no_new_privileges,
            caps_add: get_strs(svc, &["cap_add"])
                .iter()
                .map(|c| norm_cap(c))
                .collect(),
            caps_drop: get_strs(svc, &["cap_drop"])
                .iter()
                .map(|c| norm_cap(c))
                .collect(),
            run_as_user: uid,
            run_as_group: gid,
            run_as_non_root: non_root,
            supplemental_groups: vec![],
            read_only_root_fs: get_bool(svc, &["read_only"]).unwrap_or(false),
            seccomp: if sec.seccomp_unconfined || privileged {
                Seccomp::Unconfined
            } else {
                Seccomp::RuntimeDefault
            },
            apparmor: sec.apparmor,
            selinux_type: sec.selinux_type,
            selinux_user_or_role: sec.selinux_user_or_role,
            proc_mount: sec.unmasked_paths.then(|| "Unmasked".to_string()),
            cpu_limit: is_set(svc.get("cpus"))
                || is_set(svc.get("cpu_quota"))
                || is_set(limits.and_then(|l| l.get("cpus"))),
            memory_limit: is_set(svc.get("mem_limit"))
                || is_set(limits.and_then(|l| l.get("memory"))),
            cpu_request: false,
            memory_request: false,
            host_ports: host_ports(svc),
            host_process: false,
            caps_add_noncanonical: vec![],
            probe_hosts: vec![],
        });
        out.push(w);
    }
    out
}
