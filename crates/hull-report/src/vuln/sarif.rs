//! SARIF 2.1.0 (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>) in
//! the shape GitHub code scanning ingests
//! (<https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning>):
//! one rule per vulnerability id with a numeric `security-severity`, one result per
//! (vulnerability, package), located at the package's file in the image.
//!
//! Suppressed findings are kept as results with a `suppressions[]` entry (kind
//! `external`, status `accepted`, the reason as justification), so the upload records
//! the decision instead of silently losing the finding.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use hull_model::{Finding, Severity};

use super::{help_uri, score_or_band, ScanReport};
use crate::WriteOptions;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// SARIF `level` for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        _ => "note",
    }
}

struct Rule<'a> {
    first: &'a Finding,
    severity: Severity,
    score: Option<f64>,
    refs: Vec<String>,
}

pub fn to_value(report: &ScanReport, opts: &WriteOptions) -> Result<Value, serde_json::Error> {
    let sorted = report.sorted();
    let mut rules: BTreeMap<&str, Rule> = BTreeMap::new();
    for a in &sorted {
        let f = &a.finding;
        let score = report.max_score(f);
        let r = rules.entry(f.id.as_str()).or_insert_with(|| Rule {
            first: f,
            severity: f.severity,
            score,
            refs: report.references(f),
        });
        r.severity = r.severity.max(f.severity);
        r.score = match (r.score, score) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let rules_json: Vec<Value> = rules
        .iter()
        .map(|(id, r)| {
            let title = report
                .title(r.first)
                .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|| format!("{id} in {}", r.first.package.name));
            let uri = help_uri(id, &r.refs);
            let mut props = json!({
                "tags": ["vulnerability", "security", r.severity.as_str()],
                "precision": "very-high",
            });
            if let Some(s) = score_or_band(r.score, r.severity) {
                // GitHub wants a string holding a number with one decimal.
                props["security-severity"] = format!("{s:.1}").into();
            }
            json!({
                "id": id,
                "name": if r.first.package.ecosystem.is_os() {
                    "OsPackageVulnerability"
                } else {
                    "LanguagePackageVulnerability"
                },
                "shortDescription": { "text": title },
                "fullDescription": { "text": title },
                "helpUri": uri,
                "help": {
                    "text": format!("Vulnerability {id}\nSeverity: {}\n{uri}", r.severity),
                    "markdown": format!("**Vulnerability {id}**\n\nSeverity: {}\n\n[{uri}]({uri})", r.severity),
                },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": props,
            })
        })
        .collect();

    let mut results = Vec::new();
    for a in &sorted {
        let f = &a.finding;
        let fixed = f
            .fixed_version()
            .map(|v| format!(", fixed in {v}"))
            .unwrap_or_else(|| ", no fixed version".into());
        let text = format!(
            "{} {}@{} is affected by {} (severity {}{fixed}); found in {}",
            f.package.ecosystem,
            f.package.name,
            f.package.version,
            f.id,
            f.severity,
            f.package.path
        );
        let fp = Sha256::digest(
            format!("{}\u{0}{}\u{0}{}", f.id, f.package.purl, f.package.path).as_bytes(),
        );
        let fp: String = fp[..16].iter().map(|b| format!("{b:02x}")).collect();
        let mut r = json!({
            "ruleId": f.id,
            "ruleIndex": index.get(f.id.as_str()).copied().unwrap_or(0),
            "level": level(f.severity),
            "message": { "text": text },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": f.package.path.as_str() },
                    // The package record has no line of its own; GitHub needs a region.
                    "region": { "startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1 },
                },
                "message": { "text": format!("{}@{}", f.package.name, f.package.version) },
            }],
            "partialFingerprints": { "hullFinding/v1": fp },
            "properties": {
                "purl": f.package.purl.as_str(),
                "installedVersion": f.package.version,
                "fixedVersion": f.fixed_version(),
            },
        });
        if let Some(s) = &a.suppressed {
            r["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": s.describe(),
            }]);
        }
        results.push(r);
    }
    let coverage = report.coverage();
    Ok(json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "hull",
                "version": opts.tool_version,
                "semanticVersion": opts.tool_version,
                "rules": rules_json,
            }},
            "results": results,
            "columnKind": "utf16CodeUnits",
            "properties": {
                "imageName": report.inventory.image.target,
                "created": opts.timestamp,
                "packagesChecked": coverage.checked(),
                "packagesUnchecked": coverage.unchecked(),
                "packagesByEcosystem": coverage,
            },
        }],
    }))
}
