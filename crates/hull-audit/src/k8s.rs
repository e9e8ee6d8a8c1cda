//! Kubernetes manifests → workloads. Handles single objects, `kind: List` (and
//! `*List`), multi-document YAML and JSON. Any object with a pod template
//! (`spec`, `spec.template.spec`, `spec.jobTemplate.spec.template.spec`,
//! `spec.podTemplate.spec`, `template.spec`) is a workload, so custom resources that
//! embed a pod template are audited too. PodSecurityPolicy is a policy, not a workload:
//! it is noted and not audited as one.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::checks::Hit;
use crate::util::{arr, get, get_bool, get_i64, get_str, get_strs, norm_cap, Lines};
use crate::workload::{Container, HostMount, Isolation, Seccomp, Workload};

/// One Kubernetes object with the line where it starts.
#[derive(Debug, Clone)]
pub struct Object {
    pub value: Value,
    pub line: usize,
    /// Last line of the document the object came from (for locating fields).
    pub end_line: usize,
}

/// Flattens `List` objects into their items.
pub(crate) fn flatten(docs: Vec<Object>, text: &str) -> Vec<Object> {
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for d in docs {
        let is_list = get_str(&d.value, &["kind"]).is_some_and(|k| k.ends_with("List"))
            && d.value.get("items").is_some_and(Value::is_array);
        if is_list {
            let mut from = d.line;
            for item in arr(&d.value, &["items"]) {
                let line = get_str(item, &["metadata", "name"])
                    .and_then(|n| lines.find(from, d.end_line, &[n]))
                    .unwrap_or(from);
                from = line;
                out.push(Object {
                    value: item.clone(),
                    line,
                    end_line: d.end_line,
                });
            }
        } else {
            out.push(d);
        }
    }
    out
}

/// Where the pod spec of an object lives, if it has one.
pub(crate) const POD_SPEC_PATHS: &[&[&str]] = &[
    &["spec", "jobTemplate", "spec", "template", "spec"],
    &["spec", "template", "spec"],
    &["spec", "podTemplate", "spec"],
    &["template", "spec"],
    &["spec"],
];

pub(crate) fn pod_spec_path(obj: &Value) -> Option<&'static [&'static str]> {
    POD_SPEC_PATHS
        .iter()
        .copied()
        .find(|p| get(obj, p).is_some_and(|s| s.get("containers").is_some_and(Value::is_array)))
}

/// Pod-template metadata (annotations for seccomp/AppArmor) next to a pod spec path.
fn pod_meta<'a>(obj: &'a Value, spec_path: &[&str]) -> Option<&'a Value> {
    let parent = &spec_path[..spec_path.len().saturating_sub(1)];
    if parent.is_empty() {
        obj.get("metadata")
    } else {
        get(obj, parent)?.get("metadata")
    }
}

/// RuntimeClass name → handler, from the objects of the same file.
pub(crate) fn runtime_classes(objs: &[Object]) -> BTreeMap<String, String> {
    objs.iter()
        .filter(|o| get_str(&o.value, &["kind"]) == Some("RuntimeClass"))
        .filter_map(|o| {
            Some((
                get_str(&o.value, &["metadata", "name"])?.to_string(),
                get_str(&o.value, &["handler"])?.to_string(),
            ))
        })
        .collect()
}

fn seccomp_type(t: &str) -> Seccomp {
    match t.to_ascii_lowercase().as_str() {
        "runtimedefault" | "runtime/default" | "docker/default" => Seccomp::RuntimeDefault,
        "unconfined" => Seccomp::Unconfined,
        s if s == "localhost" || s.starts_with("localhost/") => Seccomp::Localhost,
        _ => Seccomp::Unset,
    }
}

fn quantity_set(c: &Value, kind: &str, what: &str) -> bool {
    match get(c, &["resources", kind, what]) {
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Number(_)) => true,
        _ => false,
    }
}

/// Builds the workload of an object, if it has a pod spec.
pub(crate) fn workload(
    obj: &Object,
    classes: &BTreeMap<String, String>,
    text: &Lines,
) -> Option<Workload> {
    let v = &obj.value;
    let kind = get_str(v, &["kind"]).unwrap_or("Object");
    if kind == "PodSecurityPolicy" {
        return None;
    }
    let path = pod_spec_path(v)?;
    let spec = get(v, path)?;
    let meta = pod_meta(v, path);
    let annotations = meta.and_then(|m| m.get("annotations"));
    let ann = |k: &str| annotations.and_then(|a| a.get(k)).and_then(Value::as_str);
    let name = get_str(v, &["metadata", "name"]).unwrap_or("<unnamed>");
    let psc = spec.get("securityContext").cloned().unwrap_or(Value::Null);

    let mut w = Workload {
        name: format!("{kind}/{name}"),
        kind: kind.to_string(),
        namespace: get_str(v, &["metadata", "namespace"]).map(str::to_string),
        line: Some(obj.line),
        host_network: get_bool(spec, &["hostNetwork"]).unwrap_or(false),
        host_pid: get_bool(spec, &["hostPID"]).unwrap_or(false),
        host_ipc: get_bool(spec, &["hostIPC"]).unwrap_or(false),
        automount_service_account_token: get_bool(spec, &["automountServiceAccountToken"]),
        pids_limit: true,
        ..Workload::default()
    };
    if let Some(rc) = get_str(spec, &["runtimeClassName"]) {
        let handler = classes.get(rc).map(String::as_str).unwrap_or(rc);
        w.isolation = Isolation::from_runtime_name(handler).max(Isolation::from_runtime_name(rc));
        w.runtime = Some(if handler == rc {
            rc.to_string()
        } else {
            format!("{rc} (handler {handler})")
        });
    }
    w.sysctls = arr(&psc, &["sysctls"])
        .iter()
        .filter_map(|s| get_str(s, &["name"]).map(str::to_string))
        .collect();

    let mut all: Vec<(&Value, bool)> = Vec::new();
    for c in arr(spec, &["containers"]) {
        all.push((c, false));
    }
    for key in ["initContainers", "ephemeralContainers"] {
        for c in arr(spec, &[key]) {
            all.push((c, true));
        }
    }

    // Volumes: types and hostPath mounts (read-only only if every mount of it is).
    for vol in arr(spec, &["volumes"]) {
        let Some(obj_map) = vol.as_object() else {
            continue;
        };
        for key in obj_map.keys().filter(|k| k.as_str() != "name") {
            w.volume_types.push(key.clone());
        }
        if let Some(p) = get_str(vol, &["hostPath", "path"]) {
            let vname = get_str(vol, &["name"]).unwrap_or("");
            let mounts: Vec<&Value> = all
                .iter()
                .flat_map(|(c, _)| arr(c, &["volumeMounts"]))
                .filter(|m| get_str(m, &["name"]) == Some(vname))
                .collect();
            let read_only = !mounts.is_empty()
                && mounts
                    .iter()
                    .all(|m| get_bool(m, &["readOnly"]) == Some(true));
            let target = mounts
                .first()
                .and_then(|m| get_str(m, &["mountPath"]))
                .map(str::to_string);
            w.host_mounts.push(HostMount {
                host_path: p.to_string(),
                target,
                read_only,
                line: text
                    .find(obj.line, obj.end_line, &["path:", p])
                    .or_else(|| text.find(obj.line, obj.end_line, &[p])),
            });
        }
    }

    let pod_uid = get_i64(&psc, &["runAsUser"]);
    let pod_gid = get_i64(&psc, &["runAsGroup"]);
    let pod_nonroot = get_bool(&psc, &["runAsNonRoot"]);
    let pod_seccomp = get_str(&psc, &["seccompProfile", "type"])
        .map(seccomp_type)
        .or_else(|| ann("seccomp.security.alpha.kubernetes.io/pod").map(seccomp_type));
    let pod_apparmor = get_str(&psc, &["appArmorProfile", "type"]);
    let mut groups: Vec<i64> = arr(&psc, &["supplementalGroups"])
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    if let Some(fs) = get_i64(&psc, &["fsGroup"]) {
        groups.push(fs);
    }

    for (c, init) in all {
        let cname = get_str(c, &["name"]).unwrap_or("<unnamed>").to_string();
        let sc = c.get("securityContext").cloned().unwrap_or(Value::Null);
        let privileged = get_bool(&sc, &["privileged"]).unwrap_or(false);
        let caps_add: Vec<String> = get_strs(&sc, &["capabilities", "add"])
            .iter()
            .map(|s| norm_cap(s))
            .collect();
        let caps_drop: Vec<String> = get_strs(&sc, &["capabilities", "drop"])
            .iter()
            .map(|s| norm_cap(s))
            .collect();
        let seccomp = get_str(&sc, &["seccompProfile", "type"])
            .map(seccomp_type)
            .or_else(|| {
                ann(&format!(
                    "container.seccomp.security.alpha.kubernetes.io/{cname}"
                ))
                .map(seccomp_type)
            })
            .or(pod_seccomp)
            .unwrap_or(Seccomp::Unset);
        let apparmor = get_str(&sc, &["appArmorProfile", "type"])
            .or(pod_apparmor)
            .map(|t| {
                if t.eq_ignore_ascii_case("unconfined") {
                    "unconfined".to_string()
                } else {
                    t.to_string()
                }
            })
            .or_else(|| {
                ann(&format!(
                    "container.apparmor.security.beta.kubernetes.io/{cname}"
                ))
                .map(str::to_string)
            });
        let se = get(&sc, &["seLinuxOptions"]).or_else(|| get(&psc, &["seLinuxOptions"]));
        let host_ports: Vec<u32> = arr(c, &["ports"])
            .iter()
            .filter_map(|p| get_i64(p, &["hostPort"]))
            .filter(|p| *p > 0)
            .filter_map(|p| u32::try_from(p).ok())
            .collect();
        let line = text
            .find(obj.line, obj.end_line, &["name", &cname])
            .or(Some(obj.line));
        w.containers.push(Container {
            name: cname.clone(),
            image: get_str(c, &["image"]).map(str::to_string),
            init,
            line,
            privileged,
            allow_privilege_escalation: privileged
                || caps_add.iter().any(|c| c == "SYS_ADMIN")
                || get_bool(&sc, &["allowPrivilegeEscalation"]) != Some(false),
            caps_add,
            caps_drop,
            run_as_user: get_i64(&sc, &["runAsUser"]).or(pod_uid),
            run_as_group: get_i64(&sc, &["runAsGroup"]).or(pod_gid),
            run_as_non_root: get_bool(&sc, &["runAsNonRoot"])
                .or(pod_nonroot)
                .unwrap_or(false),
            supplemental_groups: groups.clone(),
            read_only_root_fs: get_bool(&sc, &["readOnlyRootFilesystem"]).unwrap_or(false),
            seccomp,
            apparmor,
            selinux_type: se.and_then(|s| get_str(s, &["type"])).map(str::to_string),
            selinux_user_or_role: se.is_some_and(|s| {
                get_str(s, &["user"]).is_some_and(|u| !u.is_empty())
                    || get_str(s, &["role"]).is_some_and(|r| !r.is_empty())
            }),
            proc_mount: get_str(&sc, &["procMount"]).map(str::to_string),
            cpu_limit: quantity_set(c, "limits", "cpu"),
            memory_limit: quantity_set(c, "limits", "memory"),
            cpu_request: quantity_set(c, "requests", "cpu"),
            memory_request: quantity_set(c, "requests", "memory"),
            host_ports,
            host_process: get_bool(&sc, &["windowsOptions", "hostProcess"])
                .or_else(|| get_bool(&psc, &["windowsOptions", "hostProcess"]))
                .unwrap_or(false),
        });
    }
    Some(w)
}

/// Note to show for objects that are not workloads but look like they matter.
pub(crate) fn object_note(obj: &Value) -> Option<String> {
    let kind = get_str(obj, &["kind"])?;
    let name = get_str(obj, &["metadata", "name"]).unwrap_or("<unnamed>");
    match kind {
        "PodSecurityPolicy" => Some(format!(
            "PodSecurityPolicy/{name} is a cluster admission policy, not a workload (removed in Kubernetes 1.25; use Pod Security Admission): not audited as a workload"
        )),
        "RuntimeClass" => {
            let handler = get_str(obj, &["handler"]).unwrap_or("");
            Some(format!(
                "RuntimeClass/{name} selects handler `{handler}` (isolation: {})",
                Isolation::from_runtime_name(handler).as_str()
            ))
        }
        _ => None,
    }
}

pub(crate) fn rbac_cluster_admin(obj: &Value, line: Option<usize>) -> Vec<Hit> {
    let kind = get_str(obj, &["kind"]).unwrap_or("");
    if !matches!(kind, "ClusterRoleBinding" | "RoleBinding") {
        return vec![];
    }
    if get_str(obj, &["roleRef", "name"]) != Some("cluster-admin") {
        return vec![];
    }
    let subjects: Vec<String> = arr(obj, &["subjects"])
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                get_str(s, &["kind"]).unwrap_or("?"),
                get_str(s, &["name"]).unwrap_or("?")
            )
        })
        .collect();
    vec![Hit {
        container: None,
        message: format!(
            "{kind}/{} grants cluster-admin to {}",
            get_str(obj, &["metadata", "name"]).unwrap_or("<unnamed>"),
            subjects.join(", ")
        ),
        line,
    }]
}

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "private_key",
    "privatekey",
    "credential",
    "access_key",
];

pub(crate) fn looks_secret_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    // `key`, `tls.key`, `ssh_key`, `signing-key`: a key name that *is* a key.
    let key_like = l == "key" || [".key", "_key", "-key"].iter().any(|s| l.ends_with(s));
    key_like || SECRET_WORDS.iter().any(|w| l.contains(w))
}

pub(crate) fn configmap_secrets(obj: &Value, line: Option<usize>) -> Vec<Hit> {
    if get_str(obj, &["kind"]) != Some("ConfigMap") {
        return vec![];
    }
    let Some(data) = obj.get("data").and_then(Value::as_object) else {
        return vec![];
    };
    let keys: Vec<&str> = data
        .iter()
        .filter(|(k, v)| looks_secret_name(k) && v.as_str().is_some_and(|s| !s.trim().is_empty()))
        .map(|(k, _)| k.as_str())
        .collect();
    if keys.is_empty() {
        return vec![];
    }
    vec![Hit {
        container: None,
        message: format!(
            "ConfigMap/{} has credential-like key(s) {}",
            get_str(obj, &["metadata", "name"]).unwrap_or("<unnamed>"),
            keys.join(", ")
        ),
        line,
    }]
}
