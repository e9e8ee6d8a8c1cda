//! Custom Rego policies, evaluated with the `regorus` interpreter.
//!
//! Every `*.rego` file of a directory is loaded (Rego v1 syntax). For each file
//! audited, each policy package's `deny` rule is evaluated against this input:
//!
//! ```json
//! {"kind": "kubernetes", "path": "deploy.yaml",
//!  "document": <the parsed file>, "workloads": [<normalised workloads>]}
//! ```
//!
//! `document` is the file as JSON: for Kubernetes an array of objects, for compose,
//! inspect, OCI and daemon.json the document itself, for Dockerfiles
//! `{"instructions": [{"keyword", "args", "line"}]}`, for containerd the TOML as JSON.
//! `workloads` is the same normalised view the built-in checks use (see
//! `docs/config-audit.md`). A `deny` entry is an object
//! `{"id", "msg", "severity", "title"?, "line"?}` or a plain string (then the
//! package's `metadata` object supplies `id`, `severity` and `title`).
//!
//! Runaway policies are stopped by regorus' cooperative execution timer (checked
//! every few hundred evaluation steps) and, as a backstop, by evaluating in a worker
//! thread that is abandoned when the deadline passes.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use hull_model::Severity;
use serde_json::{json, Value};

use crate::workload::Workload;
use crate::{Finding, Parsed};

/// Why policies could not be loaded or evaluated.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{location}: {message}")]
    Syntax { location: String, message: String },
    #[error("no .rego files in {0}")]
    Empty(PathBuf),
    #[error("policy evaluation stopped after {0:?} (timeout)")]
    Timeout(Duration),
    #[error("policy evaluation failed: {0}")]
    Eval(String),
}

/// Loaded, syntax-checked policies.
#[derive(Clone)]
pub struct PolicySet {
    engine: regorus::Engine,
    packages: Vec<(String, String)>,
    timeout: Duration,
}

/// Turns regorus' multi-line diagnostics (`--> file:line:col … error: msg`) into
/// `file:line:col` and the message.
fn split_diagnostic(text: &str, fallback: &str) -> (String, String) {
    let location = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("--> ").map(str::to_string))
        .unwrap_or_else(|| fallback.to_string());
    let message = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: ").map(str::to_string))
        .unwrap_or_else(|| text.trim().lines().last().unwrap_or("").to_string());
    (location, message)
}

impl PolicySet {
    /// Loads every `*.rego` file directly in `dir` (sorted), or one file.
    pub fn load(dir: &Path, timeout: Duration) -> Result<PolicySet, PolicyError> {
        let mut files = vec![];
        if dir.is_file() {
            files.push(dir.to_path_buf());
        } else {
            let rd = std::fs::read_dir(dir).map_err(|e| PolicyError::Io {
                path: dir.into(),
                source: e,
            })?;
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "rego") && p.is_file() {
                    files.push(p);
                }
            }
            files.sort();
        }
        if files.is_empty() {
            return Err(PolicyError::Empty(dir.into()));
        }
        let mut sources = vec![];
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| PolicyError::Io {
                path: f.clone(),
                source: e,
            })?;
            sources.push((f.display().to_string(), text));
        }
        Self::from_sources(sources, timeout)
    }

    /// Builds a set from (file name, Rego source) pairs.
    pub fn from_sources(
        sources: Vec<(String, String)>,
        timeout: Duration,
    ) -> Result<PolicySet, PolicyError> {
        let mut engine = regorus::Engine::new();
        let mut packages = vec![];
        for (name, text) in sources {
            let pkg = engine.add_policy(name.clone(), text).map_err(|e| {
                let (location, message) = split_diagnostic(&format!("{e:#}"), &name);
                PolicyError::Syntax { location, message }
            })?;
            packages.push((name, pkg));
        }
        let check_interval = NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN);
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: timeout,
            check_interval,
        });
        Ok(PolicySet {
            engine,
            packages,
            timeout,
        })
    }

    /// Number of loaded policy files.
    pub fn len(&self) -> usize {
        self.packages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    /// The input document policies see.
    pub fn input(path: &str, parsed: &Parsed, workloads: &[Workload]) -> Value {
        json!({
            "kind": parsed.kind().as_str(),
            "path": path,
            "document": parsed.document(),
            "workloads": serde_json::to_value(workloads).unwrap_or(Value::Null),
        })
    }

    /// Evaluates every policy against one input.
    pub fn evaluate(
        &self,
        path: &str,
        parsed: &Parsed,
        workloads: &[Workload],
    ) -> Result<Vec<Finding>, PolicyError> {
        let input = Self::input(path, parsed, workloads).to_string();
        let mut engine = self.engine.clone();
        let packages = self.packages.clone();
        let (tx, rx) = mpsc::channel();
        // Backstop for work the cooperative timer cannot interrupt (a single huge
        // builtin call): the thread is abandoned after the deadline.
        std::thread::spawn(move || {
            let r = (|| -> Result<Vec<(String, Value, Value)>, String> {
                engine.set_input_json(&input).map_err(|e| e.to_string())?;
                let mut out = vec![];
                for (file, pkg) in &packages {
                    let deny = eval_json(&mut engine, &format!("{pkg}.deny"))?;
                    let meta = eval_json(&mut engine, &format!("{pkg}.metadata"))?;
                    out.push((file.clone(), deny, meta));
                }
                Ok(out)
            })();
            let _ = tx.send(r);
        });
        let grace = self.timeout + Duration::from_millis(500);
        let results = match rx.recv_timeout(grace) {
            Ok(Ok(r)) => r,
            Ok(Err(e))
                if e.contains("time limit")
                    || e.contains("execution time")
                    || e.contains("exceeded") =>
            {
                return Err(PolicyError::Timeout(self.timeout))
            }
            Ok(Err(e)) => return Err(PolicyError::Eval(e)),
            Err(_) => return Err(PolicyError::Timeout(self.timeout)),
        };
        let mut findings = vec![];
        for (file, deny, meta) in results {
            let items: Vec<Value> = match deny {
                Value::Array(a) => a,
                Value::Null => vec![],
                other => vec![other],
            };
            for item in items {
                findings.push(to_finding(&file, &item, &meta));
            }
        }
        Ok(findings)
    }
}

/// Evaluates a rule path; undefined rules are `null`.
fn eval_json(engine: &mut regorus::Engine, query: &str) -> Result<Value, String> {
    let res = engine
        .eval_query(query.to_string(), false)
        .map_err(|e| format!("{e:#}"))?;
    let Some(first) = res.result.first() else {
        return Ok(Value::Null);
    };
    let Some(expr) = first.expressions.first() else {
        return Ok(Value::Null);
    };
    serde_json::to_value(&expr.value).map_err(|e| e.to_string())
}

fn to_finding(file: &str, item: &Value, meta: &Value) -> Finding {
    let pick = |k: &str| {
        item.get(k)
            .or_else(|| meta.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let message = match item {
        Value::String(s) => s.clone(),
        _ => pick("msg")
            .or_else(|| pick("message"))
            .unwrap_or_else(|| item.to_string()),
    };
    let id = pick("id").unwrap_or_else(|| {
        format!(
            "policy:{}",
            Path::new(file)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("rego")
        )
    });
    Finding {
        title: pick("title").unwrap_or_else(|| id.clone()),
        id,
        severity: pick("severity")
            .and_then(|s| s.parse().ok())
            .unwrap_or(Severity::Medium),
        message,
        line: item
            .get("line")
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok()),
        workload: pick("workload"),
        container: pick("container"),
        source: format!("policy:{file}"),
        remediation: pick("remediation").unwrap_or_default(),
    }
}
