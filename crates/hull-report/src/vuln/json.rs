//! hull's own vulnerability report JSON (`docs/report-formats.md` documents every field).
//! `schema_version` changes only when a field changes meaning or goes away; new fields
//! may appear at any time.

use serde_json::{json, Map, Value};

use super::{help_uri, ScanReport};
use crate::WriteOptions;

pub const SCHEMA_VERSION: u32 = 1;

pub fn to_value(report: &ScanReport, opts: &WriteOptions) -> Result<Value, serde_json::Error> {
    let entry = |a: &crate::filter::Assessed| -> Result<Value, serde_json::Error> {
        let f = &a.finding;
        let mut v = serde_json::to_value(f)?;
        if let Value::Object(m) = &mut v {
            let refs = report.references(f);
            m.insert("url".into(), help_uri(&f.id, &refs).into());
            if f.title.is_none() {
                if let Some(t) = report.title(f) {
                    m.insert("title".into(), t.into());
                }
            }
            let ratings = report.ratings(f);
            if !ratings.is_empty() {
                m.insert("ratings".into(), serde_json::to_value(&ratings)?);
            }
            if let Some(s) = report.max_score(f) {
                m.insert("cvss_score".into(), s.into());
            }
            if !refs.is_empty() {
                m.insert("references".into(), refs.into());
            }
            if let Some(s) = &a.suppressed {
                m.insert("suppressed".into(), serde_json::to_value(s)?);
            }
        }
        Ok(v)
    };
    let sorted = report.sorted();
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    for a in &sorted {
        if a.is_reported() {
            findings.push(entry(a)?);
        } else {
            suppressed.push(entry(a)?);
        }
    }
    let mut by_sev = Map::new();
    for s in hull_model::Severity::ALL.iter().rev() {
        let n = sorted
            .iter()
            .filter(|a| a.is_reported() && a.finding.severity == *s)
            .count();
        by_sev.insert(s.as_str().into(), n.into());
    }
    let coverage = report.coverage();
    Ok(json!({
        "schema_version": SCHEMA_VERSION,
        "kind": "vulnerability-report",
        "created": opts.timestamp,
        "tool": { "name": "hull", "version": opts.tool_version },
        "image": report.inventory.image,
        "distro": report.inventory.distro,
        "summary": {
            "packages": report.inventory.packages.len(),
            "checked": coverage.checked(),
            "unchecked": coverage.unchecked(),
            "by_ecosystem": coverage,
            "reported": findings.len(),
            "suppressed": suppressed.len(),
            "by_severity": by_sev,
        },
        "findings": findings,
        "suppressed": suppressed,
        "expired_ignores": report.filtered.expired_ignores,
        "diagnostics": report.inventory.diagnostics,
    }))
}
