//! Report renderers: table (for people), JSON (for programs), SARIF 2.1.0 (for code
//! scanning UIs). Renderers return strings; printing is the caller's business.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Value};

use crate::checks::lookup;
use crate::FileReport;

/// A human-readable table: one block per file.
pub fn table(files: &[FileReport]) -> String {
    let mut s = String::new();
    for f in files {
        let kind = f.kind.map(|k| k.as_str()).unwrap_or("?");
        if let Some(e) = &f.error {
            let _ = writeln!(s, "{} — error: {e}\n", f.path);
            continue;
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
    let total: usize = files.iter().map(|f| f.findings.len()).sum();
    let errors = files.iter().filter(|f| f.error.is_some()).count();
    let _ = writeln!(
        s,
        "{} file(s), {} finding(s), {} unreadable",
        files.len(),
        total,
        errors
    );
    s
}

/// Pretty JSON: `{"files": [...], "summary": {...}}`.
pub fn json(files: &[FileReport]) -> String {
    let mut by_sev: BTreeMap<&str, usize> = BTreeMap::new();
    for f in files.iter().flat_map(|f| &f.findings) {
        *by_sev.entry(f.severity.as_str()).or_default() += 1;
    }
    let doc = json!({
        "files": files,
        "summary": {
            "files": files.len(),
            "unreadable": files.iter().filter(|f| f.error.is_some()).count(),
            "findings": files.iter().map(|f| f.findings.len()).sum::<usize>(),
            "by_severity": by_sev,
        }
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
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

/// SARIF 2.1.0. `ruleId` is the check id and each rule's `name` and
/// `shortDescription` carry its title, so a reader knows what failed without the docs.
pub fn sarif(files: &[FileReport]) -> String {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut results = vec![];
    for f in files {
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
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "hull",
                "informationUri": "https://example.invalid/hull",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
