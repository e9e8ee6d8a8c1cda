//! Report renderers: table (for people), JSON (for programs), SARIF 2.1.0 (for code
//! scanning UIs). Renderers return strings; printing is the caller's business.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Value};

use crate::checks::lookup;
use crate::FileReport;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
}

/// What the summary and the exit code need, kept while the per-file results stream
/// past: counts, and (for SARIF) one rule entry per distinct check id.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub files: usize,
    pub unreadable: usize,
    pub findings: usize,
    pub by_severity: BTreeMap<&'static str, usize>,
    /// The highest severity of any finding written.
    pub max_severity: Option<hull_model::Severity>,
}

/// Writes a report one file at a time: memory stays flat however many files there are
/// (the JSON and SARIF documents are the same as [`json`] and [`sarif`] build).
pub struct Streamer<W: std::io::Write> {
    format: Format,
    out: W,
    summary: Summary,
    rules: BTreeMap<String, Value>,
}

/// `text` with every line but the first indented by `n` spaces (nesting a pretty
/// printed value inside a pretty printed document).
fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.replace('\n', &format!("\n{pad}"))
}

impl<W: std::io::Write> Streamer<W> {
    pub fn new(format: Format, out: W) -> Streamer<W> {
        Streamer {
            format,
            out,
            summary: Summary::default(),
            rules: BTreeMap::new(),
        }
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Writes one file's results.
    pub fn file(&mut self, f: &FileReport) -> std::io::Result<()> {
        let first = self.summary.files == 0;
        self.summary.files += 1;
        self.summary.unreadable += usize::from(f.error.is_some());
        self.summary.findings += f.findings.len();
        for x in &f.findings {
            *self
                .summary
                .by_severity
                .entry(x.severity.as_str())
                .or_default() += 1;
            self.summary.max_severity = self.summary.max_severity.max(Some(x.severity));
        }
        match self.format {
            Format::Table => self.out.write_all(table_block(f).as_bytes()),
            Format::Json => {
                // Through a Value so keys come out sorted, as they always have.
                let v = serde_json::to_value(f).unwrap_or(Value::Null);
                let body = serde_json::to_string_pretty(&v).unwrap_or_default();
                let lead = if first {
                    "{\n  \"files\": [\n    "
                } else {
                    ",\n    "
                };
                write!(self.out, "{lead}{}", indent(&body, 4))
            }
            Format::Sarif => {
                // Results written before this file's.
                let before = self.summary.findings - f.findings.len();
                for (i, r) in sarif_results(f, &mut self.rules).into_iter().enumerate() {
                    let lead = if before == 0 && i == 0 {
                        SARIF_HEAD
                    } else {
                        ",\n        "
                    };
                    let body = serde_json::to_string_pretty(&r).unwrap_or_default();
                    write!(self.out, "{lead}{}", indent(&body, 8))?;
                }
                Ok(())
            }
        }
    }

    /// Writes the summary (and closes the document); returns the writer.
    pub fn finish(mut self) -> std::io::Result<(W, Summary)> {
        let s = &self.summary;
        match self.format {
            Format::Table => {
                writeln!(
                    self.out,
                    "{} file(s), {} finding(s), {} unreadable",
                    s.files, s.findings, s.unreadable
                )?;
            }
            Format::Json => {
                let summary = json!({
                    "files": s.files,
                    "unreadable": s.unreadable,
                    "findings": s.findings,
                    "by_severity": s.by_severity,
                });
                let head = if s.files == 0 {
                    "{\n  \"files\": []"
                } else {
                    "\n  ]"
                };
                let body = serde_json::to_string_pretty(&summary).unwrap_or_default();
                write!(
                    self.out,
                    "{head},\n  \"summary\": {}\n}}\n",
                    indent(&body, 2)
                )?;
            }
            Format::Sarif => {
                let head = if s.findings == 0 {
                    "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"runs\": [\n    {\n      \"results\": []"
                } else {
                    "\n      ]"
                };
                let tool = json!({"driver": {
                    "name": "hull",
                    "informationUri": "https://example.invalid/hull",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": std::mem::take(&mut self.rules).into_values().collect::<Vec<_>>(),
                }});
                let body = serde_json::to_string_pretty(&tool).unwrap_or_default();
                write!(
                    self.out,
                    "{head},\n      \"tool\": {}\n    }}\n  ],\n  \"version\": \"2.1.0\"\n}}\n",
                    indent(&body, 6)
                )?;
            }
        }
        self.out.flush()?;
        Ok((self.out, self.summary))
    }
}

const SARIF_HEAD: &str = "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"runs\": [\n    {\n      \"results\": [\n        ";

fn render(format: Format, files: &[FileReport]) -> String {
    let mut st = Streamer::new(format, Vec::new());
    for f in files {
        let _ = st.file(f);
    }
    st.finish()
        .map(|(buf, _)| String::from_utf8(buf).unwrap_or_default())
        .unwrap_or_default()
}

/// A human-readable table: one block per file.
pub fn table(files: &[FileReport]) -> String {
    render(Format::Table, files)
}

/// Pretty JSON: `{"files": [...], "summary": {...}}`.
pub fn json(files: &[FileReport]) -> String {
    render(Format::Json, files)
}

/// SARIF 2.1.0. `ruleId` is the check id and each rule's `name` and
/// `shortDescription` carry its title, so a reader knows what failed without the docs.
pub fn sarif(files: &[FileReport]) -> String {
    render(Format::Sarif, files)
}

fn table_block(f: &FileReport) -> String {
    let mut s = String::new();
    {
        let kind = f.kind.map(|k| k.as_str()).unwrap_or("?");
        if let Some(e) = &f.error {
            let _ = writeln!(s, "{} — error: {e}\n", f.path);
            return s;
        }
        let _ = writeln!(
            s,
            "{} ({kind}) — C = {:.3}, {} finding(s)",
            f.path,
            f.score,
            f.findings.len()
        );
        for n in &f.notes {
            let _ = writeln!(s, "  note: {n}");
        }
        for w in &f.workloads {
            let _ = writeln!(
                s,
                "  workload {} — isolation {}, C = {:.3}",
                w.name,
                w.isolation.as_str(),
                w.score
            );
        }
        if !f.findings.is_empty() {
            let wid = f.findings.iter().map(|x| x.id.len()).max().unwrap_or(0);
            for x in &f.findings {
                let line = x.line.map(|l| format!("{l}")).unwrap_or_else(|| "-".into());
                let _ = writeln!(
                    s,
                    "  {:<8} {:<wid$} {:>5}  {}",
                    x.severity.as_str().to_uppercase(),
                    x.id,
                    line,
                    x.message
                );
            }
        }
        s.push('\n');
    }
    s
}

fn level(sev: hull_model::Severity) -> &'static str {
    use hull_model::Severity::*;
    match sev {
        Critical | High => "error",
        Medium => "warning",
        _ => "note",
    }
}

fn security_severity(sev: hull_model::Severity) -> &'static str {
    use hull_model::Severity::*;
    match sev {
        Critical => "9.5",
        High => "8.0",
        Medium => "5.5",
        Low => "3.0",
        _ => "1.0",
    }
}

/// The SARIF results of one file; new rules go into `rules`.
fn sarif_results(f: &FileReport, rules: &mut BTreeMap<String, Value>) -> Vec<Value> {
    let mut results = vec![];
    for x in &f.findings {
        rules.entry(x.id.clone()).or_insert_with(|| {
            let info = lookup(&x.id);
            let mut r = json!({
                "id": x.id,
                "name": x.title,
                "shortDescription": {"text": x.title},
                "fullDescription": {"text": info.as_ref().map(|i| i.description).unwrap_or(x.title.as_str())},
                "help": {"text": if x.remediation.is_empty() { x.title.clone() } else { x.remediation.clone() }},
                "defaultConfiguration": {"level": level(x.severity)},
                "properties": {
                    "security-severity": security_severity(x.severity),
                    "tags": ["security", "configuration"],
                },
            });
            if let Some(uri) = info.as_ref().and_then(|i| i.references.first()) {
                r["helpUri"] = json!(uri);
            } else if x.id.starts_with("pss:") {
                r["helpUri"] = json!("https://kubernetes.io/docs/concepts/security/pod-security-standards/");
            }
            r
        });
        let mut loc = json!({"physicalLocation": {"artifactLocation": {"uri": f.path}}});
        if let Some(l) = x.line {
            loc["physicalLocation"]["region"] = json!({"startLine": l});
        }
        let mut text = x.message.clone();
        if let Some(w) = &x.workload {
            text = format!("{text} ({w})");
        }
        results.push(json!({
            "ruleId": x.id,
            "level": level(x.severity),
            "message": {"text": format!("{}: {text}", x.title)},
            "locations": [loc],
        }));
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{audit_text, Options};

    fn reports() -> Vec<FileReport> {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext: {privileged: true}\n";
        vec![
            audit_text("a.yaml", pod, &Options::default()),
            audit_text("b.yaml", "{]", &Options::default()),
            audit_text(
                "c.yaml",
                &pod.replace("privileged: true", "privileged: false"),
                &Options::default(),
            ),
        ]
    }

    /// The documents as one `serde_json` value (how they were built before streaming).
    fn whole_json(files: &[FileReport]) -> String {
        let mut by_sev: BTreeMap<&str, usize> = BTreeMap::new();
        for f in files.iter().flat_map(|f| &f.findings) {
            *by_sev.entry(f.severity.as_str()).or_default() += 1;
        }
        let doc = json!({"files": files, "summary": {
            "files": files.len(),
            "unreadable": files.iter().filter(|f| f.error.is_some()).count(),
            "findings": files.iter().map(|f| f.findings.len()).sum::<usize>(),
            "by_severity": by_sev,
        }});
        serde_json::to_string_pretty(&doc).unwrap() + "\n"
    }

    #[test]
    fn streamed_json_is_byte_identical_to_the_whole_document() {
        let r = reports();
        for n in 0..=r.len() {
            assert_eq!(json(&r[..n]), whole_json(&r[..n]), "{n} files");
        }
    }

    #[test]
    fn streamed_sarif_is_pretty_valid_sarif() {
        let r = reports();
        for n in 0..=r.len() {
            let text = sarif(&r[..n]);
            let v: Value = serde_json::from_str(&text).unwrap();
            // Re-pretty-printing the parsed document gives the same bytes.
            assert_eq!(serde_json::to_string_pretty(&v).unwrap() + "\n", text);
            let results = v["runs"][0]["results"].as_array().unwrap();
            let want: usize = r[..n].iter().map(|f| f.findings.len()).sum();
            assert_eq!(results.len(), want);
            let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
            assert!(results
                .iter()
                .all(|x| rules.iter().any(|r| r["id"] == x["ruleId"])));
        }
    }
}
