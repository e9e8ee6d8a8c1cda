//! Configuration audit: how containers are *run*.
//!
//! `hull-audit` reads Kubernetes manifests, Docker Compose files, `docker inspect`
//! output, OCI runtime `config.json`, Dockerfiles, Docker `daemon.json` and containerd
//! `config.toml` (kind detected by content), runs the built-in checks of
//! [`checks::TABLE`] (Pod Security Standards, CIS Docker Benchmark, NSA/CISA, sandboxed
//! runtimes) and optional Rego policies ([`policy`]), scores each workload and file
//! ([`score`]), and can write hardened copies ([`fix`]). [`host`] audits the machine's
//! runtime setup from files under a root directory.
//!
//! It does not scan images for packages or talk to a cluster or daemon; it reads files.
//! Bad input never aborts a run: each file that cannot be read gets an error in its
//! [`FileReport`] and the other files are still audited.
//!
//! ```
//! use hull_audit::{audit_text, Options};
//! let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext: {privileged: true}\n";
//! let report = audit_text("pod.yaml", pod, &Options::default());
//! assert!(report.findings.iter().any(|f| f.id == "k8s:privileged"));
//! assert!(report.score <= 0.2);
//! ```

pub mod checks;
pub mod compose;
pub mod containerd;
pub mod content;
pub mod daemon;
pub mod dockerfile;
pub mod fix;
pub mod host;
pub mod image;
pub mod inspect;
pub mod k8s;
pub mod kind;
pub mod oci;
pub mod output;
pub mod policy;
pub mod pss;
pub mod score;
mod util;
pub mod workload;

use std::io::Read;
use std::path::{Path, PathBuf};

use hull_model::Severity;
use serde::Serialize;

pub use checks::{catalog, CheckContext, CheckInfo};
pub use kind::Kind;
pub use pss::Profile;
pub use workload::{Isolation, Workload};

use checks::{Eval, Hit, TABLE};

/// Default limit on the size of one input file (bytes).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// How to audit.
#[derive(Clone)]
pub struct Options {
    pub require_sandbox: bool,
    pub max_file_size: u64,
    /// Custom Rego policies, evaluated beside the built-in checks.
    pub policies: Option<policy::PolicySet>,
    /// Evaluate the Pod Security Standards at this level and version (`pss:*` findings).
    pub pss: Option<pss::Profile>,
    /// Which built-in checks run: hull's own, the Pod Security Standards, or both.
    pub checks: CheckSet,
}

/// Which built-in checks run (`--checks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckSet {
    /// hull's own checks (`k8s:*`, `compose:*`, …) only.
    #[default]
    Hull,
    /// Only the Pod Security Standards (needs [`Options::pss`]); other kinds get nothing.
    Pss,
    /// Both.
    All,
}

impl CheckSet {
    fn hull(self) -> bool {
        self != CheckSet::Pss
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            require_sandbox: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            policies: None,
            pss: None,
            checks: CheckSet::Hull,
        }
    }
}

/// Why one file could not be audited.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    #[error("file is larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("binary file (contains NUL bytes or invalid UTF-8)")]
    Binary,
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("invalid YAML in document starting at line {line}: {message}")]
    Yaml { line: usize, message: String },
    #[error("invalid TOML: {0}")]
    Toml(String),
    #[error("invalid Dockerfile: {0}")]
    Dockerfile(#[from] dockerfile::DockerfileError),
    #[error("unrecognised configuration format (not Kubernetes, compose, docker inspect, OCI, Dockerfile, daemon.json or containerd config)")]
    UnknownKind,
}

/// One failed check (built-in or policy).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// Stable check id (`k8s:privileged`) or the policy's own id.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub message: String,
    pub line: Option<usize>,
    pub workload: Option<String>,
    pub container: Option<String>,
    /// `builtin` or `policy:<file>`.
    pub source: String,
    pub remediation: String,
}

/// Per-workload summary.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadReport {
    pub name: String,
    pub kind: String,
    pub isolation: Isolation,
    pub runtime: Option<String>,
    pub containers: usize,
    /// C = Π cᵢ over the checks that failed for this workload.
    pub score: f64,
}

/// Everything found in one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub kind: Option<Kind>,
    /// Set when the file could not be read or parsed; nothing else is then filled.
    pub error: Option<String>,
    pub notes: Vec<String>,
    pub workloads: Vec<WorkloadReport>,
    pub findings: Vec<Finding>,
    /// C = Π cᵢ over the distinct checks that failed anywhere in the file.
    pub score: f64,
}

impl FileReport {
    fn failed(path: &str, e: AuditError) -> FileReport {
        FileReport {
            path: path.to_string(),
            kind: None,
            error: Some(e.to_string()),
            notes: vec![],
            workloads: vec![],
            findings: vec![],
            score: 1.0,
        }
    }
}

/// A parsed input, ready for checks, policies and fixes.
#[derive(Debug, Clone)]
pub enum Parsed {
    Kubernetes(Vec<k8s::Object>),
    Compose(serde_json::Value),
    DockerInspect(serde_json::Value),
    OciRuntime(serde_json::Value),
    Dockerfile(dockerfile::Dockerfile),
    DaemonJson(daemon::DaemonConfig),
    ContainerdToml(containerd::ContainerdConfig),
}

impl Parsed {
    pub fn kind(&self) -> Kind {
        match self {
            Parsed::Kubernetes(_) => Kind::Kubernetes,
            Parsed::Compose(_) => Kind::Compose,
            Parsed::DockerInspect(_) => Kind::DockerInspect,
            Parsed::OciRuntime(_) => Kind::OciRuntime,
            Parsed::Dockerfile(_) => Kind::Dockerfile,
            Parsed::DaemonJson(_) => Kind::DaemonJson,
            Parsed::ContainerdToml(_) => Kind::ContainerdToml,
        }
    }

    /// The document as JSON (the Rego `input.document`).
    pub fn document(&self) -> serde_json::Value {
        match self {
            Parsed::Kubernetes(objs) => {
                serde_json::Value::Array(objs.iter().map(|o| o.value.clone()).collect())
            }
            Parsed::Compose(v) | Parsed::DockerInspect(v) | Parsed::OciRuntime(v) => v.clone(),
            Parsed::Dockerfile(df) => serde_json::json!({
                "instructions": df.instructions.iter().map(|i| serde_json::json!({"keyword": i.keyword, "args": i.args, "line": i.line})).collect::<Vec<_>>()
            }),
            Parsed::DaemonJson(d) => d.value.clone(),
            Parsed::ContainerdToml(c) => {
                serde_json::to_value(&c.value).unwrap_or(serde_json::Value::Null)
            }
        }
    }
}

/// Splits multi-document YAML at `---` lines: (first line, last line, text).
fn yaml_documents(text: &str) -> Vec<(usize, usize, String)> {
    let mut docs = vec![];
    let mut cur = String::new();
    let mut start = 1;
    let mut n = 0;
    for (i, line) in text.lines().enumerate() {
        n = i + 1;
        let is_sep = line.strip_prefix("---").is_some_and(empty_or_comment);
        if is_sep {
            if !cur.trim().is_empty() {
                docs.push((start, i, std::mem::take(&mut cur)));
            }
            cur.clear();
            start = i + 2;
        } else if line.trim_end() == "..." {
            continue;
        } else {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    if !cur.trim().is_empty() {
        docs.push((start, n, cur));
    }
    docs
}

fn empty_or_comment(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.starts_with('#')
}

/// Deepest nesting allowed in YAML. libyaml's scanner is quadratic in flow nesting
/// depth (100 000 `[` take minutes), so depth is checked on the text before parsing;
/// the parser's own recursion limit (128) would reject such input anyway.
const MAX_YAML_NESTING: usize = 256;

/// The first line where flow brackets (outside quotes and comments) or compact block
/// sequences (`- - - …`) nest deeper than [`MAX_YAML_NESTING`].
fn yaml_too_deep(text: &str) -> Option<usize> {
    let mut depth: usize = 0;
    for (i, line) in text.lines().enumerate() {
        let mut quote: Option<char> = None;
        let mut dashes = 0usize;
        let mut leading = true;
        let mut prev = ' ';
        for ch in line.chars() {
            match quote {
                Some(q) if ch == q => quote = None,
                Some(_) => {}
                None => match ch {
                    '"' | '\'' => quote = Some(ch),
                    '#' if prev == ' ' || prev == '\t' => break,
                    '[' | '{' => depth += 1,
                    ']' | '}' => depth = depth.saturating_sub(1),
                    '-' if leading => dashes += 1,
                    ' ' | '\t' => {}
                    _ => leading = false,
                },
            }
            prev = ch;
        }
        if depth > MAX_YAML_NESTING || dashes > MAX_YAML_NESTING {
            return Some(i + 1);
        }
    }
    None
}

fn yaml_to_json(chunk: &str, line: usize) -> Result<serde_json::Value, AuditError> {
    if let Some(at) = yaml_too_deep(chunk) {
        return Err(AuditError::Yaml {
            line: line + at - 1,
            message: format!("nesting deeper than {MAX_YAML_NESTING} levels"),
        });
    }
    let mut v: serde_yaml::Value = serde_yaml::from_str(chunk).map_err(|e| AuditError::Yaml {
        line: line + e.location().map_or(0, |l| l.line().saturating_sub(1)),
        message: e.to_string(),
    })?;
    v.apply_merge().map_err(|e| AuditError::Yaml {
        line,
        message: e.to_string(),
    })?;
    serde_json::to_value(&v).map_err(|e| AuditError::Yaml {
        line,
        message: e.to_string(),
    })
}

/// Detects the kind of `text` and parses it. `name` (a file name) only breaks ties.
pub fn parse(name: &str, text: &str) -> Result<Parsed, AuditError> {
    let base = Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(name);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if base.ends_with(".toml") || kind::looks_like_containerd(text) {
        let v: toml::Value = toml::from_str(text).map_err(|e| {
            AuditError::Toml(
                e.message().to_string()
                    + &e.span()
                        .map(|s| format!(" (at byte {})", s.start))
                        .unwrap_or_default(),
            )
        })?;
        return Ok(Parsed::ContainerdToml(containerd::ContainerdConfig::new(
            v, text,
        )));
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let v: serde_json::Value = serde_json::from_str(trimmed).map_err(|e| AuditError::Json {
            line: e.line(),
            column: e.column(),
            message: e
                .to_string()
                .split(" at line")
                .next()
                .unwrap_or("")
                .to_string(),
        })?;
        return match kind::classify_json(&v) {
            Some(Kind::DockerInspect) => Ok(Parsed::DockerInspect(v)),
            Some(Kind::OciRuntime) => Ok(Parsed::OciRuntime(v)),
            Some(Kind::Kubernetes) => {
                let n = text.lines().count().max(1);
                Ok(Parsed::Kubernetes(k8s::flatten(
                    vec![k8s::Object {
                        value: v,
                        line: 1,
                        end_line: n,
                    }],
                    text,
                )))
            }
            Some(Kind::Compose) => Ok(Parsed::Compose(v)),
            Some(Kind::DaemonJson) => Ok(Parsed::DaemonJson(daemon::DaemonConfig::new(v, text))),
            _ => Err(AuditError::UnknownKind),
        };
    }
    if kind::dockerfile_name(base)
        || (!base.ends_with(".yaml")
            && !base.ends_with(".yml")
            && kind::looks_like_dockerfile(text))
    {
        return Ok(Parsed::Dockerfile(dockerfile::parse(text)?));
    }
    let mut objs = vec![];
    let mut first: Option<serde_json::Value> = None;
    for (start, end, chunk) in yaml_documents(text) {
        let v = yaml_to_json(&chunk, start)?;
        if v.is_null() {
            continue;
        }
        if first.is_none() {
            first = Some(v.clone());
        }
        if v.get("apiVersion").is_some() && v.get("kind").is_some() {
            objs.push(k8s::Object {
                value: v,
                line: start,
                end_line: end,
            });
        }
    }
    if !objs.is_empty() {
        return Ok(Parsed::Kubernetes(k8s::flatten(objs, text)));
    }
    match first {
        Some(v) if v.get("services").is_some_and(|s| s.is_object()) => Ok(Parsed::Compose(v)),
        _ => Err(AuditError::UnknownKind),
    }
}

/// The workloads of a parsed input (empty for Dockerfiles and daemon configs).
pub fn workloads(parsed: &Parsed, text: &str) -> Vec<Workload> {
    match parsed {
        Parsed::Kubernetes(objs) => {
            let idx = k8s::InputIndex::new(objs);
            let lines = util::Lines::new(text);
            objs.iter()
                .filter_map(|o| k8s::workload(o, &idx, &lines))
                .collect()
        }
        Parsed::Compose(v) => compose::workloads(v, text),
        Parsed::DockerInspect(v) => inspect::workloads(v, text),
        Parsed::OciRuntime(v) if oci::is_windows(v) => vec![],
        Parsed::OciRuntime(v) => vec![oci::workload(v, text)],
        _ => vec![],
    }
}

fn finding(def: &checks::CheckDef, kind: Kind, hit: Hit, workload: Option<&str>) -> Finding {
    Finding {
        id: def.id(kind),
        title: def.title.to_string(),
        severity: def.severity,
        message: hit.message,
        line: hit.line,
        workload: workload.map(str::to_string),
        container: hit.container,
        source: "builtin".into(),
        remediation: def.remediation.to_string(),
    }
}

/// Runs the built-in checks of `kind` on a parsed input.
pub fn run_checks(parsed: &Parsed, ws: &[Workload], ctx: &CheckContext) -> Vec<Finding> {
    let kind = parsed.kind();
    let mut out = vec![];
    for def in TABLE.iter().filter(|d| d.kinds.contains(&kind)) {
        match (def.eval, parsed) {
            (Eval::Workload(f), _) => {
                for w in ws {
                    out.extend(
                        f(w, ctx)
                            .into_iter()
                            .map(|h| finding(def, kind, h, Some(&w.name))),
                    );
                }
            }
            (Eval::K8sObject(f), Parsed::Kubernetes(objs)) => {
                for o in objs {
                    let name = format!(
                        "{}/{}",
                        util::get_str(&o.value, &["kind"]).unwrap_or("Object"),
                        util::get_str(&o.value, &["metadata", "name"]).unwrap_or("<unnamed>")
                    );
                    out.extend(
                        f(&o.value, Some(o.line), objs)
                            .into_iter()
                            .map(|h| finding(def, kind, h, Some(&name))),
                    );
                }
            }
            (Eval::Dockerfile(f), Parsed::Dockerfile(df)) => {
                out.extend(f(df).into_iter().map(|h| finding(def, kind, h, None)))
            }
            (Eval::Daemon(f), Parsed::DaemonJson(d)) => {
                out.extend(f(d, ctx).into_iter().map(|h| finding(def, kind, h, None)))
            }
            (Eval::Containerd(f), Parsed::ContainerdToml(c)) => {
                out.extend(f(c, ctx).into_iter().map(|h| finding(def, kind, h, None)))
            }
            _ => {}
        }
    }
    out
}

fn notes(parsed: &Parsed, ws: &[Workload]) -> Vec<String> {
    let mut notes = vec![];
    match parsed {
        Parsed::Kubernetes(objs) => {
            notes.extend(objs.iter().filter_map(|o| k8s::object_note(&o.value)));
        }
        Parsed::OciRuntime(v) if oci::is_windows(v) => {
            notes.push("Windows OCI config: the Linux runtime checks do not apply".into());
        }
        Parsed::DaemonJson(d) => notes.extend(daemon::notes(d)),
        Parsed::ContainerdToml(c) => notes.extend(containerd::notes(c)),
        _ => {}
    }
    for w in ws {
        if w.isolation != Isolation::Namespaces {
            notes.push(format!(
                "{} runs sandboxed: isolation {} (runtime {})",
                w.name,
                w.isolation.as_str(),
                w.runtime.as_deref().unwrap_or("?")
            ));
        }
    }
    notes
}

/// The `pss:*` findings of every pod and pod template in `objs`.
pub fn pss_findings(objs: &[k8s::Object], profile: pss::Profile) -> Vec<Finding> {
    let mut out = vec![];
    for o in objs {
        let kind = util::get_str(&o.value, &["kind"]).unwrap_or("Object");
        if kind == "PodSecurityPolicy" {
            continue;
        }
        let Some((meta, spec)) = pss::pod_parts(&o.value) else {
            continue;
        };
        let name = format!(
            "{kind}/{}",
            util::get_str(&o.value, &["metadata", "name"]).unwrap_or("<unnamed>")
        );
        for v in pss::evaluate(meta, spec, profile) {
            let info = v.control.info();
            out.push(Finding {
                id: v.control.id(),
                title: format!("Pod Security Standards: {}", info.title),
                severity: v.control.severity(),
                message: format!("violates PodSecurity \"{profile}\": {}", v.message),
                line: Some(o.line),
                workload: Some(name.clone()),
                container: (!v.containers.is_empty()).then(|| v.containers.join(", ")),
                source: "builtin".into(),
                remediation: info.remediation.to_string(),
            });
        }
    }
    out
}

/// Audits text already in memory.
pub fn audit_text(path: &str, text: &str, opts: &Options) -> FileReport {
    let parsed = match parse(path, text) {
        Ok(p) => p,
        Err(e) => return FileReport::failed(path, e),
    };
    audit_parsed(path, text, &parsed, opts)
}

/// Audits an already parsed input.
pub fn audit_parsed(path: &str, text: &str, parsed: &Parsed, opts: &Options) -> FileReport {
    let ctx = CheckContext {
        require_sandbox: opts.require_sandbox,
    };
    let ws = workloads(parsed, text);
    let mut findings = if opts.checks.hull() {
        run_checks(parsed, &ws, &ctx)
    } else {
        vec![]
    };
    if let (Some(profile), true, Parsed::Kubernetes(objs)) =
        (opts.pss, opts.checks != CheckSet::Hull, parsed)
    {
        findings.extend(pss_findings(objs, profile));
    }
    let mut notes = notes(parsed, &ws);
    if let Some(ps) = &opts.policies {
        match ps.evaluate(path, parsed, &ws) {
            Ok(mut fs) => findings.append(&mut fs),
            Err(e) => notes.push(format!("policy evaluation failed: {e}")),
        }
    }
    findings.sort_by(|a, b| {
        a.line
            .cmp(&b.line)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.message.cmp(&b.message))
    });
    let workloads = ws
        .iter()
        .map(|w| WorkloadReport {
            name: w.name.clone(),
            kind: w.kind.clone(),
            isolation: w.isolation,
            runtime: w.runtime.clone(),
            containers: w.containers.len(),
            score: score::score(
                findings
                    .iter()
                    .filter(|f| f.workload.as_deref() == Some(w.name.as_str()))
                    .map(|f| (f.id.as_str(), f.severity)),
            ),
        })
        .collect();
    let score = score::score(findings.iter().map(|f| (f.id.as_str(), f.severity)));
    FileReport {
        path: path.to_string(),
        kind: Some(parsed.kind()),
        error: None,
        notes,
        workloads,
        findings,
        score,
    }
}

/// Reads at most `limit` bytes of a file as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, AuditError> {
    let f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(AuditError::TooLarge { limit });
    }
    if buf.iter().take(8192).any(|b| *b == 0) {
        return Err(AuditError::Binary);
    }
    String::from_utf8(buf).map_err(|_| AuditError::Binary)
}

/// Audits one file.
pub fn audit_file(path: &Path, opts: &Options) -> FileReport {
    let shown = path.display().to_string();
    match read_text(path, opts.max_file_size) {
        Ok(text) => audit_text(&shown, &text, opts),
        Err(e) => FileReport::failed(&shown, e),
    }
}

/// Whether a file found while walking a directory is worth trying.
fn candidate(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let lower = name.to_ascii_lowercase();
    kind::dockerfile_name(name)
        || [".yaml", ".yml", ".json", ".toml"]
            .iter()
            .any(|e| lower.ends_with(e))
}

/// Expands directories (recursively, sorted; hidden entries skipped) into files.
pub fn collect_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = vec![];
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            let mut found = vec![];
            while let Some(d) = stack.pop() {
                let Ok(rd) = std::fs::read_dir(&d) else {
                    continue;
                };
                for e in rd.flatten() {
                    let ep = e.path();
                    if e.file_name().to_string_lossy().starts_with('.') {
                        continue;
                    }
                    match e.file_type() {
                        Ok(t) if t.is_dir() => stack.push(ep),
                        Ok(t) if t.is_file() && candidate(&ep) => found.push(ep),
                        _ => {}
                    }
                }
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Audits files and directories. In directories, files whose kind is not recognised are
/// skipped silently (they are not configuration); named files always get a report.
pub fn audit_paths(paths: &[PathBuf], opts: &Options) -> Vec<FileReport> {
    let mut out = vec![];
    audit_paths_each(paths, opts, |r| out.push(r));
    out
}

/// Files audited at once by [`audit_paths_each`]: bounds the reports held in memory.
const BATCH: usize = 256;

/// [`audit_paths`], handing each report to `each` in path order as soon as it is
/// ready instead of collecting them: memory does not grow with the number of files.
/// Files are audited on all cores, a bounded batch at a time.
pub fn audit_paths_each(paths: &[PathBuf], opts: &Options, mut each: impl FnMut(FileReport)) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(16);
    for p in paths {
        let explicit = !p.is_dir();
        let files = collect_files(std::slice::from_ref(p));
        for batch in files.chunks(BATCH) {
            let reports = audit_batch(batch, opts, threads);
            for r in reports {
                let unknown =
                    r.error.as_deref() == Some(AuditError::UnknownKind.to_string().as_str());
                if explicit || !unknown {
                    each(r);
                }
            }
        }
    }
}

fn audit_batch(batch: &[PathBuf], opts: &Options, threads: usize) -> Vec<FileReport> {
    if threads <= 1 || batch.len() < 2 {
        return batch.iter().map(|f| audit_file(f, opts)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<FileReport>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.min(batch.len()))
            .map(|_| {
                s.spawn(|| {
                    let mut done = vec![];
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(f) = batch.get(i) else { break };
                        done.push((i, audit_file(f, opts)));
                    }
                    done
                })
            })
            .collect();
        let mut slots: Vec<Option<FileReport>> = (0..batch.len()).map(|_| None).collect();
        for w in workers {
            // A worker only panics on a bug; its files are then audited again below.
            for (i, r) in w.join().unwrap_or_default() {
                slots[i] = Some(r);
            }
        }
        slots
    });
    slots
        .iter_mut()
        .zip(batch)
        .map(|(slot, f)| slot.take().unwrap_or_else(|| audit_file(f, opts)))
        .collect()
}
