//! containerd `config.toml` (v1 `plugins.cri` and v2/v3 `plugins."io.containerd.grpc.v1.cri"`
//! layouts) and its checks: runtime handlers, cgroup driver, AppArmor, registries.

use crate::checks::{CheckContext, Hit};
use crate::workload::Isolation;

/// A runtime handler (`[… .containerd.runtimes.<name>]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    pub name: String,
    pub runtime_type: String,
    /// `options.SystemdCgroup`, when written.
    pub systemd_cgroup: Option<bool>,
    pub isolation: Isolation,
}

/// A parsed containerd config.
#[derive(Debug, Clone)]
pub struct ContainerdConfig {
    pub value: toml::Value,
    pub handlers: Vec<Handler>,
    lines: Vec<String>,
}

fn walk<'a>(
    v: &'a toml::Value,
    path: &mut Vec<String>,
    f: &mut dyn FnMut(&[String], &'a toml::Value),
) {
    f(path, v);
    if let toml::Value::Table(t) = v {
        for (k, child) in t {
            path.push(k.clone());
            walk(child, path, f);
            path.pop();
        }
    }
}

impl ContainerdConfig {
    pub fn new(value: toml::Value, text: &str) -> ContainerdConfig {
        let mut handlers = vec![];
        walk(&value, &mut vec![], &mut |path, v| {
            if path.len() >= 2 && path[path.len() - 2] == "runtimes" {
                if let toml::Value::Table(t) = v {
                    let name = path[path.len() - 1].clone();
                    let runtime_type = t
                        .get("runtime_type")
                        .and_then(|x| x.as_str())
                        .unwrap_or("")
                        .to_string();
                    let systemd_cgroup = t
                        .get("options")
                        .and_then(|o| o.get("SystemdCgroup"))
                        .and_then(|x| x.as_bool());
                    let isolation = Isolation::from_runtime_name(&name)
                        .max(Isolation::from_runtime_name(&runtime_type));
                    handlers.push(Handler {
                        name,
                        runtime_type,
                        systemd_cgroup,
                        isolation,
                    });
                }
            }
        });
        ContainerdConfig {
            value,
            handlers,
            lines: text.lines().map(str::to_string).collect(),
        }
    }

    fn line_of(&self, needle: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|l| !l.trim_start().starts_with('#') && l.contains(needle))
            .map(|i| i + 1)
    }
}

pub(crate) fn check_systemd_cgroup(c: &ContainerdConfig, _: &CheckContext) -> Vec<Hit> {
    c.handlers
        .iter()
        .filter(|h| h.runtime_type == "io.containerd.runc.v2" && h.systemd_cgroup != Some(true))
        .map(|h| Hit {
            container: None,
            message: format!(
                "runc handler `{}` does not set SystemdCgroup = true",
                h.name
            ),
            line: c.line_of(&format!("runtimes.{}]", h.name)),
        })
        .collect()
}

pub(crate) fn check_apparmor(c: &ContainerdConfig, _: &CheckContext) -> Vec<Hit> {
    let mut hits = vec![];
    walk(&c.value, &mut vec![], &mut |path, v| {
        if path.last().map(String::as_str) == Some("disable_apparmor") && v.as_bool() == Some(true)
        {
            hits.push(Hit {
                container: None,
                message: "disable_apparmor = true".into(),
                line: c.line_of("disable_apparmor"),
            });
        }
    });
    hits
}

pub(crate) fn check_insecure_registry(c: &ContainerdConfig, _: &CheckContext) -> Vec<Hit> {
    let mut hits = vec![];
    walk(&c.value, &mut vec![], &mut |path, v| {
        let key = path.last().map(String::as_str);
        if key == Some("insecure_skip_verify") && v.as_bool() == Some(true) {
            hits.push(Hit {
                container: None,
                message: "registry with insecure_skip_verify = true".into(),
                line: c.line_of("insecure_skip_verify"),
            });
        }
        if key == Some("endpoint") {
            if let Some(a) = v.as_array() {
                for e in a
                    .iter()
                    .filter_map(|x| x.as_str())
                    .filter(|e| e.starts_with("http://"))
                {
                    hits.push(Hit {
                        container: None,
                        message: format!("plain-HTTP registry endpoint {e}"),
                        line: c.line_of(e),
                    });
                }
            }
        }
    });
    hits
}

pub(crate) fn check_sandbox(c: &ContainerdConfig, ctx: &CheckContext) -> Vec<Hit> {
    if ctx.require_sandbox
        && !c
            .handlers
            .iter()
            .any(|h| h.isolation != Isolation::Namespaces)
    {
        vec![Hit {
            container: None,
            message: "no runsc or kata runtime handler".into(),
            line: c.line_of("runtimes").or(Some(1)),
        }]
    } else {
        vec![]
    }
}

pub(crate) fn notes(c: &ContainerdConfig) -> Vec<String> {
    if c.handlers.is_empty() {
        return vec!["no runtime handlers configured (containerd defaults to runc)".into()];
    }
    let list: Vec<String> = c
        .handlers
        .iter()
        .map(|h| {
            format!(
                "{} [{}] ({})",
                h.name,
                if h.runtime_type.is_empty() {
                    "-"
                } else {
                    &h.runtime_type
                },
                h.isolation.as_str()
            )
        })
        .collect();
    vec![format!("runtime handlers: {}", list.join(", "))]
}
