//! Docker `daemon.json` and its checks (CIS Docker Benchmark section 2).

use serde_json::Value;

use crate::checks::{CheckContext, Hit};
use crate::util::{get, get_bool, get_str, get_strs};
use crate::workload::Isolation;

/// A parsed `daemon.json` with its text for line lookups.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    pub value: Value,
    lines: Vec<String>,
}

impl DaemonConfig {
    pub fn new(value: Value, text: &str) -> DaemonConfig {
        DaemonConfig {
            value,
            lines: text.lines().map(str::to_string).collect(),
        }
    }

    fn line_of(&self, key: &str) -> Option<usize> {
        let quoted = format!("\"{key}\"");
        self.lines
            .iter()
            .position(|l| l.contains(&quoted))
            .map(|i| i + 1)
    }

    /// Configured runtimes (`runtimes` keys plus `default-runtime`) with isolation.
    pub fn runtimes(&self) -> Vec<(String, Isolation)> {
        let mut out: Vec<(String, Isolation)> = vec![];
        if let Some(m) = self.value.get("runtimes").and_then(Value::as_object) {
            for (name, rt) in m {
                let path = get_str(rt, &["path"])
                    .or_else(|| get_str(rt, &["runtimeType"]))
                    .unwrap_or("");
                let iso =
                    Isolation::from_runtime_name(name).max(Isolation::from_runtime_name(path));
                out.push((name.clone(), iso));
            }
        }
        out
    }

    fn hit(&self, key: &str, msg: impl Into<String>) -> Vec<Hit> {
        vec![Hit {
            container: None,
            message: msg.into(),
            line: self.line_of(key).or(Some(1)),
        }]
    }
}

pub(crate) fn check_icc(d: &DaemonConfig, _: &CheckContext) -> Vec<Hit> {
    if get_bool(&d.value, &["icc"]) == Some(false) {
        vec![]
    } else {
        d.hit(
            "icc",
            "`icc` is not false: containers on the default bridge can talk to each other",
        )
    }
}

pub(crate) fn check_userns(d: &DaemonConfig, _: &CheckContext) -> Vec<Hit> {
    match get_str(&d.value, &["userns-remap"]) {
        Some(s) if !s.is_empty() => vec![],
        _ => d.hit("userns-remap", "`userns-remap` is not set"),
    }
}

pub(crate) fn check_live_restore(d: &DaemonConfig, _: &CheckContext) -> Vec<Hit> {
    if get_bool(&d.value, &["live-restore"]) == Some(true) {
        vec![]
    } else {
        d.hit("live-restore", "`live-restore` is not enabled")
    }
}

pub(crate) fn check_nnp(d: &DaemonConfig, _: &CheckContext) -> Vec<Hit> {
    if get_bool(&d.value, &["no-new-privileges"]) == Some(true) {
        vec![]
    } else {
        d.hit("no-new-privileges", "`no-new-privileges` is not true")
    }
}

pub(crate) fn check_log_driver(d: &DaemonConfig, _: &CheckContext) -> Vec<Hit> {
    match get_str(&d.value, &["log-driver"]) {
        Some(s) if !matches!(s, "json-file" | "local" | "none" | "") => vec![],
        Some(s) => d.hit(
            "log-driver",
            format!("log driver `{s}` keeps logs on the host only"),
        ),
        None => d.hit(
            "log-driver",
            "no `log-driver`: logs stay in local json files",
        ),
    }
}

pub(crate) fn check_insecure_registries(d: &DaemonConfig, _: &CheckContext) -> Vec<Hit> {
    let regs = get_strs(&d.value, &["insecure-registries"]);
    if regs.is_empty() {
        vec![]
    } else {
        d.hit(
            "insecure-registries",
            format!("insecure registries allowed: {}", regs.join(", ")),
        )
    }
}

pub(crate) fn check_tcp_tls(d: &DaemonConfig, _: &CheckContext) -> Vec<Hit> {
    let tcp: Vec<String> = get_strs(&d.value, &["hosts"])
        .into_iter()
        .filter(|h| h.starts_with("tcp://"))
        .collect();
    if tcp.is_empty() || get_bool(&d.value, &["tlsverify"]) == Some(true) {
        vec![]
    } else {
        d.hit(
            "hosts",
            format!("daemon listens on {} without `tlsverify`", tcp.join(", ")),
        )
    }
}

pub(crate) fn check_userland_proxy(d: &DaemonConfig, _: &CheckContext) -> Vec<Hit> {
    if get_bool(&d.value, &["userland-proxy"]) == Some(false) {
        vec![]
    } else {
        d.hit("userland-proxy", "`userland-proxy` is not false")
    }
}

pub(crate) fn check_experimental(d: &DaemonConfig, _: &CheckContext) -> Vec<Hit> {
    if get_bool(&d.value, &["experimental"]) == Some(true) {
        d.hit("experimental", "`experimental` is true")
    } else {
        vec![]
    }
}

pub(crate) fn check_sandbox(d: &DaemonConfig, ctx: &CheckContext) -> Vec<Hit> {
    let sandboxed = d
        .runtimes()
        .iter()
        .any(|(_, i)| *i != Isolation::Namespaces);
    if ctx.require_sandbox && !sandboxed {
        d.hit(
            "runtimes",
            "no runsc or kata runtime configured in `runtimes`",
        )
    } else {
        vec![]
    }
}

/// Notes for the report: which runtimes the daemon offers.
pub(crate) fn notes(d: &DaemonConfig) -> Vec<String> {
    let rts = d.runtimes();
    let mut notes = vec![];
    if !rts.is_empty() {
        let list: Vec<String> = rts
            .iter()
            .map(|(n, i)| format!("{n} ({})", i.as_str()))
            .collect();
        notes.push(format!("runtimes: {}", list.join(", ")));
    }
    if let Some(def) = get(&d.value, &["default-runtime"]).and_then(Value::as_str) {
        notes.push(format!(
            "default runtime: {def} ({})",
            Isolation::from_runtime_name(def).as_str()
        ));
    }
    notes
}
