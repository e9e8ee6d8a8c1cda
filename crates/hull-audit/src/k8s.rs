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

/// What the other objects of the same input say about a workload: RuntimeClass name →
/// handler, and (namespace, ServiceAccount name) → `automountServiceAccountToken`.
#[derive(Debug, Default)]
pub(crate) struct InputIndex {
    pub(crate) runtime_classes: BTreeMap<String, String>,
    pub(crate) service_accounts: BTreeMap<(String, String), Option<bool>>,
}

impl InputIndex {
    pub(crate) fn new(objs: &[Object]) -> InputIndex {
        let mut idx = InputIndex::default();
        for o in objs {
            let v = &o.value;
            let Some(name) = get_str(v, &["metadata", "name"]) else {
                continue;
            };
            match get_str(v, &["kind"]) {
                Some("RuntimeClass") => {
                    if let Some(h) = get_str(v, &["handler"]) {
                        idx.runtime_classes.insert(name.to_string(), h.to_string());
                    }
                }
                Some("ServiceAccount") => {
                    let ns = get_str(v, &["metadata", "namespace"]).unwrap_or("default");
                    idx.service_accounts.insert(
                        (ns.to_string(), name.to_string()),
                        get_bool(v, &["automountServiceAccountToken"]),
                    );
                }
                _ => {}
            }
        }
        idx
    }
}

/// Kinds whose objects must carry a pod template; one without a readable pod spec is
/// reported (`k8s:malformed-workload`) instead of silently scoring perfect.
const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "PodTemplate",
];

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
pub(crate) fn workload(obj: &Object, idx: &InputIndex, text: &Lines) -> Option<Workload> {
    let classes = &idx.runtime_classes;
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
        windows: get_str(spec, &["os", "name"]) == Some("windows"),
        user_namespace: get(spec, &["hostUsers"]) == Some(&Value::Bool(false)),
        ..Workload::default()
    };
    // The pod's own setting wins; else the ServiceAccount's, when defined in this input.
    if w.automount_service_account_token.is_none() {
        let sa = get_str(spec, &["serviceAccountName"])
            .or_else(|| get_str(spec, &["serviceAccount"]))
            .unwrap_or("default");
        let ns = w.namespace.as_deref().unwrap_or("default");
        w.automount_service_account_token = idx
            .service_accounts
            .get(&(ns.to_string(), sa.to_string()))
            .copied()
            .flatten();
    }
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
        let raw_add = get_strs(&sc, &["capabilities", "add"]);
        let caps_add: Vec<String> = raw_add.iter().map(|s| norm_cap(s)).collect();
        let caps_add_noncanonical: Vec<String> = raw_add
            .iter()
            .filter(|s| norm_cap(s) != s.as_str())
            .cloned()
            .collect();
        let mut probe_hosts = vec![];
        for h in [
            &["livenessProbe"][..],
            &["readinessProbe"],
            &["startupProbe"],
            &["lifecycle", "postStart"],
            &["lifecycle", "preStop"],
        ] {
            for kind in ["httpGet", "tcpSocket"] {
                let mut p = h.to_vec();
                p.extend([kind, "host"]);
                if let Some(host) = get_str(c, &p).filter(|s| !s.is_empty()) {
                    probe_hosts.push(format!("{}.{kind}.host={host}", h.join(".")));
                }
            }
        }
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
        // The pod-level label applies to the pod sandbox too, so a container's own
        // (possibly empty) options do not hide a bad pod-level one.
        let se_c = get(&sc, &["seLinuxOptions"]);
        let se_p = get(&psc, &["seLinuxOptions"]);
        let se_str = |k: &str| {
            let own = se_c
                .and_then(|s| get_str(s, &[k]))
                .filter(|t| !t.is_empty());
            let pod = se_p
                .and_then(|s| get_str(s, &[k]))
                .filter(|t| !t.is_empty());
            (own, pod)
        };
        let (type_own, type_pod) = se_str("type");
        let selinux_type = match (type_own, type_pod) {
            (_, Some(p)) if !crate::checks::selinux_type_ok(p) => Some(p),
            (Some(t), _) => Some(t),
            (None, p) => p,
        };
        let selinux_user_or_role = [se_str("user"), se_str("role")]
            .iter()
            .any(|(a, b)| a.is_some() || b.is_some());
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
            selinux_type: selinux_type.map(str::to_string),
            selinux_user_or_role,
            proc_mount: get_str(&sc, &["procMount"]).map(str::to_string),
            cpu_limit: quantity_set(c, "limits", "cpu"),
            memory_limit: quantity_set(c, "limits", "memory"),
            cpu_request: quantity_set(c, "requests", "cpu"),
            memory_request: quantity_set(c, "requests", "memory"),
            host_ports,
            host_process: get_bool(&sc, &["windowsOptions", "hostProcess"])
                .or_else(|| get_bool(&psc, &["windowsOptions", "hostProcess"]))
                .unwrap_or(false),
            caps_add_noncanonical,
            probe_hosts,
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

/// A workload kind whose pod spec cannot be read (`spec` a list, `null`, no
/// `containers` list): hull cannot audit it, so it must not score perfect.
pub(crate) fn malformed_workload(obj: &Value, line: Option<usize>, _: &[Object]) -> Vec<Hit> {
    let kind = get_str(obj, &["kind"]).unwrap_or("");
    if !WORKLOAD_KINDS.contains(&kind) || pod_spec_path(obj).is_some() {
        return vec![];
    }
    let name = get_str(obj, &["metadata", "name"]).unwrap_or("<unnamed>");
    let at = match kind {
        "Pod" => "spec",
        "CronJob" => "spec.jobTemplate.spec.template.spec",
        "PodTemplate" => "template.spec",
        _ => "spec.template.spec",
    };
    let what = match get(obj, &at.split('.').collect::<Vec<_>>()) {
        None => "missing".to_string(),
        Some(Value::Null) => "null".to_string(),
        Some(Value::Array(_)) => "a list, not an object".to_string(),
        Some(Value::Object(_)) => "an object without a `containers` list".to_string(),
        Some(_) => "not an object".to_string(),
    };
    vec![Hit {
        container: None,
        message: format!("{kind}/{name}: `{at}` is {what}; the workload cannot be audited"),
        line,
    }]
}

/// Whether a ClusterRole/Role of the same input grants everything: a rule with verb `*`
/// on resource `*` (in any API group), or `*` on non-resource URLs and resources.
fn grants_everything(role: &Value) -> bool {
    arr(role, &["rules"]).iter().any(|r| {
        let verbs = get_strs(r, &["verbs"]);
        let res = get_strs(r, &["resources"]);
        verbs.iter().any(|v| v == "*") && res.iter().any(|x| x == "*")
    })
}

pub(crate) fn rbac_cluster_admin(obj: &Value, line: Option<usize>, objs: &[Object]) -> Vec<Hit> {
    let kind = get_str(obj, &["kind"]).unwrap_or("");
    if !matches!(kind, "ClusterRoleBinding" | "RoleBinding") {
        return vec![];
    }
    let role_kind = get_str(obj, &["roleRef", "kind"]).unwrap_or("ClusterRole");
    let role_name = get_str(obj, &["roleRef", "name"]).unwrap_or("");
    let ns = get_str(obj, &["metadata", "namespace"]);
    let same_input_admin = objs.iter().any(|o| {
        let v = &o.value;
        get_str(v, &["kind"]) == Some(role_kind)
            && get_str(v, &["metadata", "name"]) == Some(role_name)
            && (role_kind == "ClusterRole" || get_str(v, &["metadata", "namespace"]) == ns)
            && grants_everything(v)
    });
    if role_name != "cluster-admin" && !same_input_admin {
        return vec![];
    }
    let granted = if role_name == "cluster-admin" {
        "cluster-admin".to_string()
    } else {
        format!("{role_kind}/{role_name} (every verb on every resource, as cluster-admin)")
    };
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
            "{kind}/{} grants {granted} to {}",
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

/// Key names that hold key material without saying "secret" or "password":
/// `OCI_CLI_KEY_CONTENT`, `sshKeyData`, `private-key-pem`. The name is split into
/// words (on `_`, `-`, `.` and camelCase) and a `key` word followed by a word naming
/// its content counts.
pub(crate) fn looks_key_material(name: &str) -> bool {
    let mut words: Vec<String> = vec![];
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        cur.push(ch.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    const CONTENT: &[&str] = &[
        "content", "contents", "data", "material", "pem", "b64", "base64", "value", "body",
    ];
    words
        .windows(2)
        .any(|w| w[0] == "key" && CONTENT.contains(&w[1].as_str()))
        || words.windows(2).any(|w| {
            matches!(w[0].as_str(), "private" | "signing" | "ssh" | "client") && w[1] == "key"
        })
}

pub(crate) fn configmap_secrets(obj: &Value, line: Option<usize>, _: &[Object]) -> Vec<Hit> {
    if get_str(obj, &["kind"]) != Some("ConfigMap") {
        return vec![];
    }
    let Some(data) = obj.get("data").and_then(Value::as_object) else {
        return vec![];
    };
    let keys: Vec<&str> = data
        .iter()
        .filter(|(k, v)| {
            (looks_secret_name(k) || looks_key_material(k))
                && v.as_str().is_some_and(|s| !s.trim().is_empty())
        })
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
