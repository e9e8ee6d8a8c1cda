//! Hardened copies of configuration files (`hull config --fix`).
//!
//! The fix is conservative about what it can know: it tightens security settings that
//! a workload rarely depends on (no_new_privs, capabilities, seccomp, read-only root,
//! masked /proc paths, host namespaces) and leaves choices that need knowledge of the
//! application (which host paths, which user id the image needs) to the user, except
//! that UID 0 is replaced by 10001. Comments and formatting of YAML are not kept: the
//! output is re-serialised from the parsed document.

use serde_json::{json, Map, Value};

use crate::kind::Kind;
use crate::oci::{DEFAULT_MASKED, DEFAULT_READONLY};
use crate::Parsed;

/// Why no hardened copy could be produced.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error("--fix does not support {0} files")]
    Unsupported(&'static str),
    #[error("cannot serialise the hardened document: {0}")]
    Serialize(String),
}

/// The system calls the default seccomp profile written by `--fix` denies (EPERM):
/// kernel module and kexec loading, mounts and namespace changes, keyrings, BPF, perf,
/// ptrace, clock and reboot control. Everything else stays allowed so the workload keeps
/// running; this mirrors the intent of Docker's default profile in a short list.
pub const DENIED_SYSCALLS: &[&str] = &[
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "delete_module",
    "finit_module",
    "init_module",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "mount",
    "move_mount",
    "open_by_handle_at",
    "perf_event_open",
    "pivot_root",
    "ptrace",
    "quotactl",
    "reboot",
    "request_key",
    "setns",
    "settimeofday",
    "swapoff",
    "swapon",
    "syslog",
    "umount2",
    "unshare",
    "userfaultfd",
];

fn obj(v: &mut Value) -> Option<&mut Map<String, Value>> {
    if !v.is_object() {
        *v = json!({});
    }
    v.as_object_mut()
}

fn entry<'a>(m: &'a mut Map<String, Value>, k: &str) -> &'a mut Value {
    m.entry(k.to_string()).or_insert_with(|| json!({}))
}

fn keep_bind_service(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|c| {
                    c.as_str()
                        .is_some_and(|s| crate::util::norm_cap(s) == "NET_BIND_SERVICE")
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn harden_container(c: &mut Value) {
    let Some(m) = obj(c) else { return };
    let sc = entry(m, "securityContext");
    let Some(sc) = obj(sc) else { return };
    sc.insert("privileged".into(), json!(false));
    sc.insert("allowPrivilegeEscalation".into(), json!(false));
    sc.insert("readOnlyRootFilesystem".into(), json!(true));
    sc.insert("runAsNonRoot".into(), json!(true));
    if sc.get("runAsUser").and_then(Value::as_i64) == Some(0) {
        sc.insert("runAsUser".into(), json!(10001));
    }
    if sc.get("runAsGroup").and_then(Value::as_i64) == Some(0) {
        sc.insert("runAsGroup".into(), json!(10001));
    }
    sc.remove("procMount");
    let add = keep_bind_service(sc.get("capabilities").and_then(|c| c.get("add")));
    let mut caps = json!({"drop": ["ALL"]});
    if !add.is_empty() {
        caps["add"] = Value::Array(add);
    }
    sc.insert("capabilities".into(), caps);
    if sc
        .get("seccompProfile")
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        != Some("Localhost")
    {
        sc.insert("seccompProfile".into(), json!({"type": "RuntimeDefault"}));
    }
}

fn harden_pod_spec(spec: &mut Value) {
    let Some(m) = obj(spec) else { return };
    for k in ["hostNetwork", "hostPID", "hostIPC"] {
        m.remove(k);
    }
    m.insert("automountServiceAccountToken".into(), json!(false));
    let psc = entry(m, "securityContext");
    if let Some(psc) = obj(psc) {
        psc.insert("runAsNonRoot".into(), json!(true));
        if psc
            .get("seccompProfile")
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str)
            != Some("Localhost")
        {
            psc.insert("seccompProfile".into(), json!({"type": "RuntimeDefault"}));
        }
        if psc.get("runAsUser").and_then(Value::as_i64) == Some(0) {
            psc.insert("runAsUser".into(), json!(10001));
        }
    }
    // Host paths stay (the application may need them) but become read-only.
    let host_vols: Vec<String> = m
        .get("volumes")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("hostPath").is_some())
                .filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for key in ["containers", "initContainers", "ephemeralContainers"] {
        if let Some(Value::Array(cs)) = m.get_mut(key) {
            for c in cs.iter_mut() {
                harden_container(c);
                if let Some(Value::Array(mounts)) = c.get_mut("volumeMounts") {
                    for mnt in mounts.iter_mut() {
                        if mnt
                            .get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| host_vols.iter().any(|h| h == n))
                        {
                            mnt["readOnly"] = json!(true);
                        }
                    }
                }
            }
        }
    }
}

fn harden_k8s(objs: &[crate::k8s::Object], json_out: bool) -> Result<String, FixError> {
    let mut out = vec![];
    for o in objs {
        let mut v = o.value.clone();
        if let Some(path) = crate::k8s::pod_spec_path(&v) {
            if v.get("kind").and_then(Value::as_str) != Some("PodSecurityPolicy") {
                let mut cur = &mut v;
                for k in path {
                    cur = &mut cur[*k];
                }
                harden_pod_spec(cur);
            }
        }
        out.push(v);
    }
    if json_out {
        let doc = if out.len() == 1 {
            out.remove(0)
        } else {
            json!({"apiVersion": "v1", "kind": "List", "items": out})
        };
        return serde_json::to_string_pretty(&doc)
            .map(|s| s + "\n")
            .map_err(|e| FixError::Serialize(e.to_string()));
    }
    let mut text = String::new();
    for (i, v) in out.iter().enumerate() {
        if i > 0 {
            text.push_str("---\n");
        }
        text.push_str(&serde_yaml::to_string(v).map_err(|e| FixError::Serialize(e.to_string()))?);
    }
    Ok(text)
}

fn is_weakening_opt(o: &str) -> bool {
    let o = o.replace('=', ":");
    matches!(
        o.as_str(),
        "seccomp:unconfined" | "apparmor:unconfined" | "label:disable" | "systempaths:unconfined"
    ) || o.starts_with("no-new-privileges")
}

fn harden_compose(doc: &Value) -> Result<String, FixError> {
    let mut doc = doc.clone();
    if let Some(Value::Object(services)) = doc.get_mut("services") {
        for svc in services.values_mut() {
            let Some(m) = obj(svc) else { continue };
            m.remove("privileged");
            for k in ["pid", "ipc", "uts", "userns_mode"] {
                if m.get(k).and_then(Value::as_str) == Some("host") {
                    m.remove(k);
                }
            }
            if m.get("network_mode").and_then(Value::as_str) == Some("host") {
                m.remove("network_mode");
            }
            let mut opts: Vec<Value> = m
                .get("security_opt")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter(|o| o.as_str().is_some_and(|s| !is_weakening_opt(s)))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            opts.push(json!("no-new-privileges:true"));
            m.insert("security_opt".into(), Value::Array(opts));
            let add = keep_bind_service(m.get("cap_add"));
            if add.is_empty() {
                m.remove("cap_add");
            } else {
                m.insert("cap_add".into(), Value::Array(add));
            }
            m.insert("cap_drop".into(), json!(["ALL"]));
            m.insert("read_only".into(), json!(true));
            if !m.contains_key("tmpfs") {
                m.insert("tmpfs".into(), json!(["/tmp"]));
            }
            if !m.contains_key("pids_limit") {
                m.insert("pids_limit".into(), json!(256));
            }
            if m.get("user").and_then(Value::as_str).is_some_and(|u| {
                u == "root" || u == "0" || u.starts_with("0:") || u.starts_with("root:")
            }) {
                m.insert("user".into(), json!("10001:10001"));
            }
        }
    }
    serde_yaml::to_string(&doc).map_err(|e| FixError::Serialize(e.to_string()))
}

/// The seccomp profile `--fix` writes into OCI configs that have none.
pub fn default_seccomp_profile() -> Value {
    json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": DENIED_SYSCALLS, "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
    })
}

fn harden_oci(doc: &Value) -> Result<String, FixError> {
    let mut doc = doc.clone();
    let Some(m) = obj(&mut doc) else {
        return Err(FixError::Unsupported("non-object OCI"));
    };
    {
        let process = entry(m, "process");
        if let Some(p) = obj(process) {
            p.insert("noNewPrivileges".into(), json!(true));
            let mut caps = Map::new();
            for set in [
                "bounding",
                "effective",
                "permitted",
                "inheritable",
                "ambient",
            ] {
                caps.insert(set.into(), json!([]));
            }
            p.insert("capabilities".into(), Value::Object(caps));
        }
    }
    if let Some(r) = obj(entry(m, "root")) {
        r.insert("readonly".into(), json!(true));
    }
    let linux = entry(m, "linux");
    if let Some(l) = obj(linux) {
        if !l.get("seccomp").is_some_and(Value::is_object) {
            l.insert("seccomp".into(), default_seccomp_profile());
        }
        for (key, defaults) in [
            ("maskedPaths", DEFAULT_MASKED),
            ("readonlyPaths", DEFAULT_READONLY),
        ] {
            let mut cur: Vec<Value> = l
                .get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for d in defaults {
                if !cur.iter().any(|x| x.as_str() == Some(d)) {
                    cur.push(json!(d));
                }
            }
            l.insert(key.into(), Value::Array(cur));
        }
        let mut ns: Vec<Value> = l
            .get("namespaces")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for t in ["pid", "network", "ipc", "uts", "mount"] {
            if !ns
                .iter()
                .any(|n| n.get("type").and_then(Value::as_str) == Some(t))
            {
                ns.push(json!({"type": t}));
            }
        }
        l.insert("namespaces".into(), Value::Array(ns));
    }
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(|e| FixError::Serialize(e.to_string()))
}

/// The hardened text of a parsed file. `original` decides JSON vs YAML output for
/// Kubernetes.
pub fn harden(parsed: &Parsed, original: &str) -> Result<String, FixError> {
    match parsed {
        Parsed::Kubernetes(objs) => harden_k8s(objs, original.trim_start().starts_with('{')),
        Parsed::Compose(v) => harden_compose(v),
        Parsed::OciRuntime(v) => harden_oci(v),
        other => Err(FixError::Unsupported(match other.kind() {
            Kind::Dockerfile => "Dockerfile",
            Kind::DockerInspect => "docker inspect",
            Kind::DaemonJson => "daemon.json",
            Kind::ContainerdToml => "containerd config",
            _ => "these",
        })),
    }
}
