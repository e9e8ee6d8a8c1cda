//! Rule files: Falco-shaped YAML (`rule`, `macro`, `list` items) loaded with validation
//! and compiled once into an [`Engine`].
//!
//! Errors never abort a load: each broken item is reported as a [`RuleError`] naming
//! `file:line:column`, the item is skipped, and every other rule still loads — a typo
//! in one custom rule must not blind the monitor.

mod compile;
mod expr;
pub mod glob;
pub mod open_filter;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use compile::{lookup_field, Ctx, Field, Kind, Node, FIELDS};
use expr::{CmpOp, Expr, Value};

use crate::event::{rfc3339, Event, EventType};

/// The ruleset compiled into the binary (`rules/default.yaml` in the repository).
pub const DEFAULT_RULES: &str = include_str!("../../../rules/default.yaml");

/// A problem in a rule file, with its position (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Falco's priority scale, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

impl Priority {
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    pub fn parse(s: &str) -> Option<Priority> {
        Some(match s.to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" | "warn" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "emergency",
            Priority::Alert => "alert",
            Priority::Critical => "critical",
            Priority::Error => "error",
            Priority::Warning => "warning",
            Priority::Notice => "notice",
            Priority::Informational => "informational",
            Priority::Debug => "debug",
        }
    }

    /// wᵢ in score M = Σ wᵢ·mᵢ (docs/monitor.md): roughly ×2–3 per step so one critical
    /// alert outweighs a handful of notices.
    pub fn weight(self) -> f64 {
        match self {
            Priority::Emergency | Priority::Alert => 20.0,
            Priority::Critical => 10.0,
            Priority::Error => 5.0,
            Priority::Warning => 3.0,
            Priority::Notice => 1.0,
            Priority::Informational => 0.3,
            Priority::Debug => 0.0,
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One alert: a rule matched an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub time: String,
    pub ts_ns: u64,
    pub rule: String,
    pub priority: Priority,
    pub output: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `host` or the container id (always present, for easy filtering).
    pub container_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<crate::attribution::Container>,
    /// `evt.type`, `proc.pid`, `proc.name`, `user.uid`, `container.id` and every field
    /// the rule's condition and output name, rendered as text.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Which event source saw it (ebpf, fallback, replay).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

// ---------------------------------------------------------------- source positions

/// Maps byte offsets of a scalar's text back to file positions.
#[derive(Debug, Clone)]
struct SrcMap {
    file: Arc<str>,
    /// (offset in the scalar, 1-based line, 1-based column, length on that line),
    /// ascending offsets.
    segs: Vec<(usize, usize, usize, usize)>,
    fallback: (usize, usize),
}

impl SrcMap {
    fn at(&self, line: usize, column: usize, file: &Arc<str>) -> SrcMap {
        SrcMap {
            file: file.clone(),
            segs: Vec::new(),
            fallback: (line, column),
        }
    }

    fn error(&self, off: usize, message: impl Into<String>) -> RuleError {
        let (line, column) = match self.segs.iter().rev().find(|s| s.0 <= off) {
            // Clamp to just past the line's text (end-of-input errors).
            Some(&(o, l, c, len)) => (l, c + (off - o).min(len)),
            None => self.fallback,
        };
        RuleError {
            file: self.file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// Line-level view of one YAML file, to find where items and keys are.
struct Layout<'a> {
    lines: Vec<&'a str>,
    /// 0-based start line of each top-level sequence item.
    items: Vec<usize>,
}

impl<'a> Layout<'a> {
    fn new(text: &'a str) -> Layout<'a> {
        let lines: Vec<&str> = text.lines().collect();
        let items = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with("- ") || **l == "-")
            .map(|(i, _)| i)
            .collect();
        Layout { lines, items }
    }

    fn item_range(&self, idx: usize, count: usize) -> (usize, usize) {
        if self.items.len() == count {
            let start = self.items[idx];
            let end = self.items.get(idx + 1).copied().unwrap_or(self.lines.len());
            (start, end)
        } else {
            (0, self.lines.len())
        }
    }

    /// (0-based line, 0-based column of the key, byte index just after `key:`).
    fn find_key(&self, range: (usize, usize), key: &str) -> Option<(usize, usize, usize)> {
        for li in range.0..range.1 {
            let line = self.lines.get(li)?;
            let body = line.strip_prefix("- ").unwrap_or(line);
            let indent_extra = line.len() - body.len();
            let trimmed = body.trim_start();
            let col = indent_extra + (body.len() - trimmed.len());
            if let Some(rest) = trimmed.strip_prefix(key) {
                if rest.starts_with(':') {
                    return Some((li, col, col + key.len() + 1));
                }
            }
        }
        None
    }

    /// Position map for the scalar value of `key` in the item.
    fn value_map(&self, file: &Arc<str>, range: (usize, usize), key: &str) -> SrcMap {
        let item_line = range.0 + 1;
        let Some((li, key_col, after)) = self.find_key(range, key) else {
            return SrcMap {
                file: file.clone(),
                segs: vec![],
                fallback: (item_line, 1),
            };
        };
        let line = self.lines[li];
        let rest = line.get(after..).unwrap_or("");
        let lead = rest.len() - rest.trim_start().len();
        let val_col = after + lead; // 0-based
        let first = rest.trim_start();
        let mut segs = Vec::new();
        let mut off = 0usize;
        let block = first.starts_with('>') || first.starts_with('|');
        if !block && !first.is_empty() {
            let quoted = first.starts_with('"') || first.starts_with('\'');
            let len = first
                .trim_end()
                .len()
                .saturating_sub(if quoted { 2 } else { 0 });
            segs.push((0, li + 1, val_col + 1 + usize::from(quoted), len));
            off = first.trim_end().len() + 1;
            if quoted {
                return SrcMap {
                    file: file.clone(),
                    segs,
                    fallback: (li + 1, key_col + 1),
                };
            }
        }
        // Continuation lines: more indented than the key.
        for (j, l) in self.lines.iter().enumerate().take(range.1).skip(li + 1) {
            let t = l.trim_start();
            let indent = l.len() - t.len();
            if t.is_empty() {
                off += 1;
                continue;
            }
            if indent <= key_col {
                break;
            }
            segs.push((off, j + 1, indent + 1, t.trim_end().len()));
            off += t.trim_end().len() + 1;
        }
        SrcMap {
            file: file.clone(),
            segs,
            fallback: (li + 1, key_col + 1),
        }
    }
}

// ---------------------------------------------------------------- YAML items

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleItem {
    rule: String,
    desc: Option<String>,
    condition: Option<String>,
    output: Option<String>,
    priority: Option<String>,
    tags: Option<Vec<String>>,
    enabled: Option<bool>,
    exceptions: Option<Vec<ExceptionItem>>,
    source: Option<String>,
    append: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MacroItem {
    #[serde(rename = "macro")]
    name: String,
    condition: String,
    append: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListItem {
    list: String,
    items: Vec<serde_yaml::Value>,
    append: Option<bool>,
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct ExceptionItem {
    name: String,
    fields: OneOrMany,
    comps: Option<OneOrMany>,
    #[serde(default)]
    values: Vec<serde_yaml::Value>,
}

struct MacroDef {
    cond: String,
    map: SrcMap,
}

struct RuleDef {
    name: String,
    desc: String,
    cond: String,
    cond_map: SrcMap,
    output: String,
    output_map: SrcMap,
    priority: Priority,
    tags: Vec<String>,
    enabled: bool,
    exceptions: Vec<ExceptionItem>,
    item_map: SrcMap,
}

/// Collects rule files, then compiles them into an [`Engine`].
#[derive(Default)]
pub struct Loader {
    lists: HashMap<String, Vec<String>>,
    macros: HashMap<String, MacroDef>,
    rules: Vec<RuleDef>,
    errors: Vec<RuleError>,
}

fn scalar_text(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Loader {
    pub fn new() -> Loader {
        Loader::default()
    }

    /// Read and add one file. I/O errors become a [`RuleError`] at 1:1.
    pub fn add_file(&mut self, path: &Path) {
        match std::fs::read_to_string(path) {
            Ok(text) => self.add_str(&path.display().to_string(), &text),
            Err(e) => self.errors.push(RuleError {
                file: path.display().to_string(),
                line: 1,
                column: 1,
                message: format!("cannot read rule file: {e}"),
            }),
        }
    }

    /// Add one rule document; `name` is used in error positions.
    pub fn add_str(&mut self, name: &str, text: &str) {
        let file: Arc<str> = Arc::from(name);
        let whole = |line, column, message: String| RuleError {
            file: name.to_string(),
            line,
            column,
            message,
        };
        let doc: serde_yaml::Value = match serde_yaml::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let (l, c) = e
                    .location()
                    .map(|l| (l.line(), l.column()))
                    .unwrap_or((1, 1));
                self.errors.push(whole(l, c, format!("yaml syntax: {e}")));
                return;
            }
        };
        let items = match doc {
            serde_yaml::Value::Sequence(s) => s,
            serde_yaml::Value::Null => return,
            _ => {
                self.errors.push(whole(
                    1,
                    1,
                    "a rule file is a list of `rule`, `macro` and `list` items".into(),
                ));
                return;
            }
        };
        let layout = Layout::new(text);
        let count = items.len();
        for (idx, item) in items.into_iter().enumerate() {
            let range = layout.item_range(idx, count);
            let item_map = SrcMap {
                file: file.clone(),
                segs: vec![],
                fallback: (range.0 + 1, 1),
            };
            let key_err = |e: serde_yaml::Error| -> RuleError {
                let msg = e.to_string();
                // Point unknown keys at their own line.
                if let Some(key) = msg
                    .strip_prefix("unknown field `")
                    .and_then(|r| r.split('`').next())
                {
                    if let Some((l, c, _)) = layout.find_key(range, key) {
                        return item_map.at(l + 1, c + 1, &file).error(0, msg);
                    }
                }
                item_map.error(0, msg)
            };
            let serde_yaml::Value::Mapping(m) = &item else {
                self.errors.push(item_map.error(0, "item is not a mapping"));
                continue;
            };
            let has = |k: &str| m.contains_key(serde_yaml::Value::String(k.into()));
            if has("rule") {
                match serde_yaml::from_value::<RuleItem>(item.clone()) {
                    Ok(r) => self.add_rule(r, &layout, &file, range, item_map),
                    Err(e) => self.errors.push(key_err(e)),
                }
            } else if has("macro") {
                match serde_yaml::from_value::<MacroItem>(item.clone()) {
                    Ok(mi) => {
                        let map = layout.value_map(&file, range, "condition");
                        match (mi.append.unwrap_or(false), self.macros.get_mut(&mi.name)) {
                            (true, Some(existing)) => {
                                existing.cond = format!("{} {}", existing.cond, mi.condition)
                            }
                            (true, None) => self.errors.push(
                                item_map
                                    .error(0, format!("append to undefined macro `{}`", mi.name)),
                            ),
                            (false, _) => {
                                self.macros.insert(
                                    mi.name,
                                    MacroDef {
                                        cond: mi.condition,
                                        map,
                                    },
                                );
                            }
                        }
                    }
                    Err(e) => self.errors.push(key_err(e)),
                }
            } else if has("list") {
                match serde_yaml::from_value::<ListItem>(item.clone()) {
                    Ok(li) => {
                        let mut vals = Vec::new();
                        for v in &li.items {
                            match scalar_text(v) {
                                Some(s) => vals.push(s),
                                None => {
                                    self.errors.push(item_map.error(
                                        0,
                                        format!("list `{}` has a non-scalar item", li.list),
                                    ))
                                }
                            }
                        }
                        if li.append.unwrap_or(false) {
                            self.lists.entry(li.list).or_default().extend(vals);
                        } else {
                            self.lists.insert(li.list, vals);
                        }
                    }
                    Err(e) => self.errors.push(key_err(e)),
                }
            } else if has("required_engine_version") || has("required_plugin_versions") {
                // Falco compatibility keys: accepted, nothing to do.
            } else {
                self.errors
                    .push(item_map.error(0, "item has none of the keys `rule`, `macro`, `list`"));
            }
        }
    }

    fn add_rule(
        &mut self,
        r: RuleItem,
        layout: &Layout<'_>,
        file: &Arc<str>,
        range: (usize, usize),
        item_map: SrcMap,
    ) {
        if let Some(src) = &r.source {
            if src != "syscall" {
                self.errors.push(item_map.error(
                    0,
                    format!(
                        "rule `{}`: source `{src}` is not supported (only `syscall`)",
                        r.rule
                    ),
                ));
                return;
            }
        }
        let existing = self.rules.iter_mut().position(|d| d.name == r.rule);
        // `- rule: X` + `enabled:` only (or `append: true`) modifies an earlier rule.
        if let Some(i) = existing {
            let d = &mut self.rules[i];
            if r.append.unwrap_or(false) {
                if let Some(c) = &r.condition {
                    d.cond = format!("{} {c}", d.cond);
                }
                if let Some(ex) = r.exceptions {
                    d.exceptions.extend(ex);
                }
                if let Some(en) = r.enabled {
                    d.enabled = en;
                }
                return;
            }
            if r.condition.is_none() {
                if let Some(en) = r.enabled {
                    d.enabled = en;
                }
                return;
            }
        } else if r.append.unwrap_or(false) || r.condition.is_none() {
            let what = if r.condition.is_none() && !r.append.unwrap_or(false) {
                format!("rule `{}` has no condition", r.rule)
            } else {
                format!("append to undefined rule `{}`", r.rule)
            };
            self.errors.push(item_map.error(0, what));
            return;
        }
        let priority = match r.priority.as_deref() {
            None => Priority::Warning,
            Some(p) => match Priority::parse(p) {
                Some(p) => p,
                None => {
                    let m = layout.value_map(file, range, "priority");
                    self.errors
                        .push(m.error(0, format!("unknown priority `{p}`")));
                    return;
                }
            },
        };
        let def = RuleDef {
            name: r.rule.clone(),
            desc: r.desc.unwrap_or_default(),
            cond: r.condition.unwrap_or_default(),
            cond_map: layout.value_map(file, range, "condition"),
            output: r.output.unwrap_or_else(|| r.rule.clone()),
            output_map: layout.value_map(file, range, "output"),
            priority,
            tags: r.tags.unwrap_or_default(),
            enabled: r.enabled.unwrap_or(true),
            exceptions: r.exceptions.unwrap_or_default(),
            item_map,
        };
        match existing {
            Some(i) => self.rules[i] = def,
            None => self.rules.push(def),
        }
    }

    /// Compile everything loaded. Broken rules are left out and reported; the engine
    /// holds every rule that compiled (enabled or not).
    pub fn compile(self) -> (Engine, Vec<RuleError>) {
        let mut errors = self.errors;
        let mut cx = CompileCx {
            lists: &self.lists,
            macros: &self.macros,
            macro_cache: HashMap::new(),
            stack: Vec::new(),
        };
        let mut rules = Vec::new();
        for def in &self.rules {
            match cx.rule(def) {
                Ok(r) => rules.push(r),
                Err(e) => errors.push(e),
            }
        }
        (Engine::new(rules), errors)
    }
}

// ---------------------------------------------------------------- compilation

struct CompileCx<'a> {
    lists: &'a HashMap<String, Vec<String>>,
    macros: &'a HashMap<String, MacroDef>,
    macro_cache: HashMap<String, Expr>,
    stack: Vec<String>,
}

#[derive(Debug)]
enum OutPiece {
    Lit(String),
    Field(Field, Kind),
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub name: String,
    pub desc: String,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub enabled: bool,
    node: Node,
    output: Vec<OutPiece>,
    fields: Vec<(&'static str, Field, Kind)>,
}

impl Rule {
    pub fn matches(&self, ev: &Event) -> bool {
        self.node.eval(&Ctx::new(ev))
    }
}

fn field_entry(f: Field) -> (&'static str, Field, Kind) {
    let &(n, f, k, _) = FIELDS
        .iter()
        .find(|x| x.1 == f)
        .expect("every field is in FIELDS");
    (n, f, k)
}

fn collect_fields(n: &Node, out: &mut Vec<Field>) {
    match n {
        Node::And(v) | Node::Or(v) => v.iter().for_each(|c| collect_fields(c, out)),
        Node::Not(c) => collect_fields(c, out),
        Node::TypeMask(_) => out.push(Field::EvtType),
        Node::Const(_) => {}
        Node::StrEq(f, _)
        | Node::StrIn(f, _)
        | Node::StartsWith(f, _)
        | Node::EndsWith(f, _)
        | Node::Contains(f, _)
        | Node::IContains(f, _)
        | Node::Glob(f, _)
        | Node::NumCmp(f, _, _)
        | Node::NumIn(f, _)
        | Node::BoolEq(f, _)
        | Node::Exists(f, _) => out.push(*f),
    }
}

impl CompileCx<'_> {
    fn rule(&mut self, def: &RuleDef) -> Result<Rule, RuleError> {
        let ast = expr::parse(&def.cond).map_err(|e| {
            def.cond_map
                .error(e.off, format!("rule `{}`: {}", def.name, e.msg))
        })?;
        let mut node = self.node(&ast, &def.cond_map).map_err(|e| RuleError {
            message: format!("rule `{}`: {}", def.name, e.message),
            ..e
        })?;
        if !def.exceptions.is_empty() {
            let mut alts = Vec::new();
            for ex in &def.exceptions {
                let e = self.exception(def, ex)?;
                alts.extend(e);
            }
            node = Node::And(vec![node, Node::Not(Box::new(Node::Or(alts)))]);
        }
        let output = self.output(def)?;
        // Every alert identifies the process and container, whatever the rule uses.
        let mut used = vec![
            Field::EvtType,
            Field::ProcPid,
            Field::ProcName,
            Field::UserUid,
            Field::ContainerId,
        ];
        collect_fields(&node, &mut used);
        for p in &output {
            if let OutPiece::Field(f, _) = p {
                used.push(*f);
            }
        }
        let mut fields: Vec<_> = Vec::new();
        for f in used {
            if !fields.iter().any(|(_, g, _)| *g == f) {
                fields.push(field_entry(f));
            }
        }
        fields.sort_by_key(|x| x.0);
        Ok(Rule {
            name: def.name.clone(),
            desc: def.desc.clone(),
            priority: def.priority,
            tags: def.tags.clone(),
            enabled: def.enabled,
            node,
            output,
            fields,
        })
    }

    fn exception(&mut self, def: &RuleDef, ex: &ExceptionItem) -> Result<Vec<Node>, RuleError> {
        let map = &def.item_map;
        let bad = |m: String| {
            map.error(
                0,
                format!("rule `{}`: exception `{}`: {m}", def.name, ex.name),
            )
        };
        let v = |text: String| Value {
            text,
            quoted: false,
            off: 0,
        };
        let mut alts = Vec::new();
        match &ex.fields {
            OneOrMany::One(field) => {
                // One field: `values` is a flat list, compared with `comps` (default `in`).
                let op = match &ex.comps {
                    None => CmpOp::In,
                    Some(OneOrMany::One(c)) => expr::op_from_str(c)
                        .ok_or_else(|| bad(format!("unknown comparison `{c}`")))?,
                    Some(OneOrMany::Many(_)) => {
                        return Err(bad(
                            "`comps` must be one operator when `fields` is one field".into(),
                        ))
                    }
                };
                let mut values = Vec::new();
                for val in &ex.values {
                    values.push(v(
                        scalar_text(val).ok_or_else(|| bad("values must be scalars".into()))?
                    ));
                }
                if values.is_empty() {
                    return Ok(alts);
                }
                let e = Expr::Cmp {
                    field: field.clone(),
                    field_off: 0,
                    op,
                    values,
                    list: true,
                };
                alts.push(self.node(&e, map).map_err(|e| bad(e.message))?);
            }
            OneOrMany::Many(fields) => {
                let comps: Vec<CmpOp> = match &ex.comps {
                    None => vec![CmpOp::Eq; fields.len()],
                    Some(OneOrMany::Many(c)) if c.len() == fields.len() => c
                        .iter()
                        .map(|c| {
                            expr::op_from_str(c)
                                .ok_or_else(|| bad(format!("unknown comparison `{c}`")))
                        })
                        .collect::<Result<_, _>>()?,
                    Some(_) => return Err(bad("`comps` must have one operator per field".into())),
                };
                for tuple in &ex.values {
                    let serde_yaml::Value::Sequence(items) = tuple else {
                        return Err(bad(
                            "each value must be a list with one entry per field".into()
                        ));
                    };
                    if items.len() != fields.len() {
                        return Err(bad(format!(
                            "value has {} entries for {} fields",
                            items.len(),
                            fields.len()
                        )));
                    }
                    let mut conj = Vec::new();
                    for ((field, op), item) in fields.iter().zip(&comps).zip(items) {
                        let (values, list) = match item {
                            serde_yaml::Value::Sequence(inner) => (
                                inner
                                    .iter()
                                    .map(|x| {
                                        scalar_text(x)
                                            .map(v)
                                            .ok_or_else(|| bad("values must be scalars".into()))
                                    })
                                    .collect::<Result<Vec<_>, _>>()?,
                                true,
                            ),
                            other => (
                                vec![v(scalar_text(other)
                                    .ok_or_else(|| bad("values must be scalars".into()))?)],
                                matches!(op, CmpOp::In | CmpOp::Pmatch),
                            ),
                        };
                        let e = Expr::Cmp {
                            field: field.clone(),
                            field_off: 0,
                            op: *op,
                            values,
                            list,
                        };
                        conj.push(self.node(&e, map).map_err(|e| bad(e.message))?);
                    }
                    alts.push(Node::And(conj));
                }
            }
        }
        Ok(alts)
    }

    fn output(&self, def: &RuleDef) -> Result<Vec<OutPiece>, RuleError> {
        let s = &def.output;
        let mut out = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        let b = s.as_bytes();
        while i < b.len() {
            if b[i] == b'%' {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'_')
                {
                    j += 1;
                }
                while j > start && b[j - 1] == b'.' {
                    j -= 1;
                }
                if j == start {
                    lit.push('%');
                    i += 1;
                    continue;
                }
                let name = &s[start..j];
                let Some((f, k)) = lookup_field(name) else {
                    return Err(def.output_map.error(
                        start,
                        format!("rule `{}`: unknown field `{name}` in output", def.name),
                    ));
                };
                if !lit.is_empty() {
                    out.push(OutPiece::Lit(std::mem::take(&mut lit)));
                }
                out.push(OutPiece::Field(f, k));
                i = j;
            } else {
                // Copy one UTF-8 character.
                let ch_len = s[i..].chars().next().map(char::len_utf8).unwrap_or(1);
                lit.push_str(&s[i..i + ch_len]);
                i += ch_len;
            }
        }
        if !lit.is_empty() {
            out.push(OutPiece::Lit(lit));
        }
        Ok(out)
    }

    /// Expand list names among unquoted values (lists may name other lists).
    fn expand_values(&self, values: &[Value]) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for v in values {
            if !v.quoted && self.lists.contains_key(&v.text) {
                let mut seen = vec![v.text.clone()];
                self.expand_list(&v.text, v.off, &mut out, &mut seen);
            } else {
                out.push((v.text.clone(), v.off));
            }
        }
        out
    }

    fn expand_list(
        &self,
        name: &str,
        off: usize,
        out: &mut Vec<(String, usize)>,
        seen: &mut Vec<String>,
    ) {
        for item in self.lists.get(name).into_iter().flatten() {
            if self.lists.contains_key(item) && !seen.contains(item) {
                seen.push(item.clone());
                self.expand_list(item, off, out, seen);
            } else {
                out.push((item.clone(), off));
            }
        }
    }

    fn node(&mut self, e: &Expr, map: &SrcMap) -> Result<Node, RuleError> {
        Ok(match e {
            Expr::And(v) => Node::And(
                v.iter()
                    .map(|x| self.node(x, map))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Or(v) => Node::Or(
                v.iter()
                    .map(|x| self.node(x, map))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Not(x) => Node::Not(Box::new(self.node(x, map)?)),
            Expr::Macro { name, off } => self.macro_node(name, *off, map)?,
            Expr::Cmp {
                field,
                field_off,
                op,
                values,
                ..
            } => self.cmp(field, *field_off, *op, values, map)?,
        })
    }

    fn macro_node(&mut self, name: &str, off: usize, map: &SrcMap) -> Result<Node, RuleError> {
        if lookup_field(name).is_some() {
            return Err(map.error(off, format!("field `{name}` needs an operator")));
        }
        let Some(def) = self.macros.get(name) else {
            return Err(map.error(off, format!("unknown macro or field `{name}`")));
        };
        if self.stack.iter().any(|s| s == name) {
            return Err(map.error(off, format!("macro `{name}` refers to itself")));
        }
        let ast = match self.macro_cache.get(name) {
            Some(a) => a.clone(),
            None => {
                let a = expr::parse(&def.cond)
                    .map_err(|e| def.map.error(e.off, format!("macro `{name}`: {}", e.msg)))?;
                self.macro_cache.insert(name.to_string(), a.clone());
                a
            }
        };
        let mmap = def.map.clone();
        self.stack.push(name.to_string());
        let r = self.node(&ast, &mmap);
        self.stack.pop();
        r
    }

    fn cmp(
        &mut self,
        field: &str,
        field_off: usize,
        op: CmpOp,
        values: &[Value],
        map: &SrcMap,
    ) -> Result<Node, RuleError> {
        let Some((f, kind)) = lookup_field(field) else {
            return Err(map.error(field_off, format!("unknown field `{field}`")));
        };
        if op == CmpOp::Exists {
            return Ok(Node::Exists(f, kind));
        }
        let vals = self.expand_values(values);
        let opname = expr::op_name(op);
        let one = || -> Result<&(String, usize), RuleError> {
            match vals.as_slice() {
                [v] => Ok(v),
                _ => Err(map.error(
                    field_off,
                    format!("operator `{opname}` takes exactly one value"),
                )),
            }
        };
        let strs = || {
            vals.iter()
                .map(|(s, _)| Box::<str>::from(s.as_str()))
                .collect::<Vec<_>>()
        };
        if f == Field::EvtType {
            let mut mask = 0u32;
            for (s, off) in &vals {
                let t = EventType::parse(s)
                    .ok_or_else(|| map.error(*off, format!("unknown event type `{s}`")))?;
                mask |= 1 << t.index();
            }
            return match op {
                CmpOp::Eq | CmpOp::In => {
                    if op == CmpOp::Eq {
                        one()?;
                    }
                    Ok(Node::TypeMask(mask))
                }
                CmpOp::Ne => {
                    one()?;
                    Ok(Node::Not(Box::new(Node::TypeMask(mask))))
                }
                _ => Err(map.error(
                    field_off,
                    format!("`evt.type` supports =, != and in, not `{opname}`"),
                )),
            };
        }
        match kind {
            Kind::Str => Ok(match op {
                CmpOp::Eq => Node::StrEq(f, one()?.0.as_str().into()),
                CmpOp::Ne => Node::Not(Box::new(Node::StrEq(f, one()?.0.as_str().into()))),
                CmpOp::In => Node::StrIn(
                    f,
                    compile::StrSet::new(vals.iter().map(|v| v.0.clone()).collect()),
                ),
                CmpOp::Pmatch | CmpOp::StartsWith => Node::StartsWith(f, strs()),
                CmpOp::EndsWith => Node::EndsWith(f, strs()),
                CmpOp::Contains => Node::Contains(f, strs()),
                CmpOp::IContains => Node::IContains(
                    f,
                    vals.iter()
                        .map(|(s, _)| s.to_lowercase().into_boxed_str())
                        .collect(),
                ),
                CmpOp::Glob => {
                    let mut g = Vec::new();
                    for (s, off) in &vals {
                        g.push(glob::Glob::new(s).map_err(|m| map.error(*off, m))?);
                    }
                    Node::Glob(f, g)
                }
                _ => {
                    return Err(map.error(
                        field_off,
                        format!("operator `{opname}` needs a numeric field; `{field}` is text"),
                    ))
                }
            }),
            Kind::Num => {
                let mut nums = Vec::new();
                for (s, off) in &vals {
                    nums.push(parse_num(s).ok_or_else(|| {
                        map.error(*off, format!("`{field}` is numeric; `{s}` is not a number"))
                    })?);
                }
                match op {
                    CmpOp::In => Ok(Node::NumIn(f, nums)),
                    CmpOp::Eq | CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                        one()?;
                        Ok(Node::NumCmp(f, op, nums[0]))
                    }
                    _ => Err(map.error(
                        field_off,
                        format!("operator `{opname}` needs a text field; `{field}` is numeric"),
                    )),
                }
            }
            Kind::Bool => {
                let (s, off) = one()?;
                let b = match s.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(
                            map.error(*off, format!("`{field}` is true or false, not `{s}`"))
                        )
                    }
                };
                match op {
                    CmpOp::Eq => Ok(Node::BoolEq(f, b)),
                    CmpOp::Ne => Ok(Node::BoolEq(f, !b)),
                    _ => Err(map.error(field_off, format!("`{field}` supports = and != only"))),
                }
            }
        }
    }
}

fn parse_num(s: &str) -> Option<i64> {
    if let Some(h) = s.strip_prefix("0x") {
        return i64::from_str_radix(h, 16).ok();
    }
    s.parse().ok()
}

// ---------------------------------------------------------------- engine

/// Compiled rules indexed by event type.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<Rule>,
    /// Enabled rule indices per `EventType::index()`; the last slot is for events
    /// without a type.
    by_type: Vec<Vec<u32>>,
}

impl Engine {
    fn new(rules: Vec<Rule>) -> Engine {
        let n = EventType::ALL.len();
        let mut by_type = vec![Vec::new(); n + 1];
        for (i, r) in rules.iter().enumerate() {
            if !r.enabled {
                continue;
            }
            let mask = r.node.type_mask();
            for t in EventType::ALL {
                if mask & (1 << t.index()) != 0 {
                    by_type[t.index()].push(i as u32);
                }
            }
            if mask == u32::MAX {
                by_type[n].push(i as u32);
            }
        }
        Engine { rules, by_type }
    }

    /// Compile the built-in ruleset plus `files` (later files override earlier ones).
    pub fn load(include_default: bool, files: &[impl AsRef<Path>]) -> (Engine, Vec<RuleError>) {
        let mut l = Loader::new();
        if include_default {
            l.add_str("<default rules>", DEFAULT_RULES);
        }
        for f in files {
            l.add_file(f.as_ref());
        }
        l.compile()
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Which read-only opens the enabled rules can match (for kernel-side filtering).
    pub fn open_filter(&self) -> open_filter::OpenFilter {
        open_filter::OpenFilter::of(self.rules.iter().filter(|r| r.enabled).map(|r| &r.node))
    }

    pub fn rule(&self, idx: usize) -> Option<&Rule> {
        self.rules.get(idx)
    }

    /// Indices of the enabled rules that match `ev`, appended to `out`.
    #[inline]
    pub fn matching(&self, ev: &Event, out: &mut Vec<usize>) {
        let slot = ev
            .kind
            .map(EventType::index)
            .unwrap_or(self.by_type.len() - 1);
        let Some(cands) = self.by_type.get(slot) else {
            return;
        };
        if cands.is_empty() {
            return;
        }
        let cx = Ctx::new(ev);
        for &i in cands {
            if self.rules[i as usize].node.eval(&cx) {
                out.push(i as usize);
            }
        }
    }

    /// Build the alert for rule `idx` matching `ev`.
    pub fn alert(&self, idx: usize, ev: &Event, source: &str) -> Option<Alert> {
        let r = self.rules.get(idx)?;
        let cx = Ctx::new(ev);
        let mut output = String::new();
        for p in &r.output {
            match p {
                OutPiece::Lit(s) => output.push_str(s),
                OutPiece::Field(f, k) => {
                    output.push_str(cx.render(*f, *k).as_deref().unwrap_or("<NA>"))
                }
            }
        }
        let fields = r
            .fields
            .iter()
            .filter_map(|(n, f, k)| cx.render(*f, *k).map(|v| (n.to_string(), v)))
            .collect();
        Some(Alert {
            time: rfc3339(ev.ts_ns),
            ts_ns: ev.ts_ns,
            rule: r.name.clone(),
            priority: r.priority,
            output,
            tags: r.tags.clone(),
            container_id: ev.container_id().to_string(),
            container: ev.container.clone(),
            fields,
            source: source.to_string(),
        })
    }

    /// All alerts for one event.
    pub fn evaluate(&self, ev: &Event, source: &str) -> Vec<Alert> {
        let mut idx = Vec::new();
        self.matching(ev, &mut idx);
        idx.into_iter()
            .filter_map(|i| self.alert(i, ev, source))
            .collect()
    }
}

#[cfg(test)]
mod tests;
