//! CycloneDX 1.6 with vulnerabilities (<https://cyclonedx.org/docs/1.6/json/#vulnerabilities>):
//! the SBOM writer's document plus `vulnerabilities[]`.
//!
//! One entry per vulnerability id and assessment: `affects[].ref` points at the bom-refs
//! the SBOM writer gave the packages ([`hull_model::Package::ref_id`]). Findings hidden by
//! a VEX statement or ignore entry are written with an `analysis` (VEX `not_affected` →
//! `not_affected` with the mapped justification, `fixed` → `resolved`, ignore entries →
//! `exploitable` with response `will_not_fix` and the reason as detail), so the BOM is
//! itself a VEX. Findings hidden by `--severity` or `--ignore-unfixed` are left out.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Value};

use hull_model::Severity;

use super::{help_uri, ScanReport};
use crate::filter::{Assessed, Suppression};
use crate::WriteOptions;

/// CycloneDX `severity` enum value.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Negligible => "info",
        Severity::Unknown => "unknown",
    }
}

/// OpenVEX justification → CycloneDX `analysis.justification`.
pub fn justification(openvex: &str) -> Option<&'static str> {
    Some(match openvex {
        "component_not_present" | "vulnerable_code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary"
        | "inline_mitigations_already_exist" => "protected_by_mitigating_control",
        _ => return None,
    })
}

fn analysis(s: &Suppression) -> Option<Value> {
    match s {
        Suppression::Vex {
            status,
            justification: j,
            impact_statement,
            document,
            ..
        } => {
            let mut a = json!({
                "state": if status == "fixed" { "resolved" } else { "not_affected" },
                "detail": impact_statement.clone().unwrap_or_else(|| format!("openvex {document}")),
            });
            if let Some(j) = j.as_deref().and_then(justification) {
                a["justification"] = j.into();
            }
            Some(a)
        }
        Suppression::Ignore { reason, id, .. } => Some(json!({
            "state": "exploitable",
            "response": ["will_not_fix"],
            "detail": reason.clone().unwrap_or_else(|| format!("ignored by entry {id}")),
        })),
        Suppression::Severity { .. } | Suppression::Unfixed => None,
    }
}

pub fn to_value(report: &ScanReport, opts: &WriteOptions) -> Result<Value, serde_json::Error> {
    let mut doc = crate::cyclonedx::to_value(report.inventory, opts)?;
    let refs: HashSet<String> = doc["components"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["bom-ref"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();

    // Group by (id, analysis) so one id with mixed assessments yields one entry each.
    let mut groups: BTreeMap<(String, String), Vec<&Assessed>> = BTreeMap::new();
    for a in report.sorted() {
        let an = match &a.suppressed {
            None => Value::Null,
            Some(s) => match analysis(s) {
                Some(v) => v,
                None => continue,
            },
        };
        groups
            .entry((a.finding.id.clone(), an.to_string()))
            .or_default()
            .push(a);
    }
    let mut vulns = Vec::new();
    let mut seen_ids: BTreeMap<String, usize> = BTreeMap::new();
    for ((id, _), members) in groups {
        let Some(first) = members.first() else {
            continue;
        };
        let f = &first.finding;
        let n = seen_ids.entry(id.clone()).or_default();
        *n += 1;
        let bom_ref = if *n == 1 {
            format!("vuln:{id}")
        } else {
            format!("vuln:{id}#{n}")
        };
        let sev = members
            .iter()
            .map(|a| a.finding.severity)
            .max()
            .unwrap_or_default();
        let mut ratings: Vec<Value> = report
            .ratings(f)
            .into_iter()
            .map(|r| {
                let mut v = json!({
                    "source": { "name": f.source },
                    "severity": severity(sev),
                    "method": r.method(),
                    "vector": r.vector,
                });
                if let Some(s) = r.score {
                    v["score"] = s.into();
                }
                v
            })
            .collect();
        if ratings.is_empty() {
            ratings.push(json!({
                "source": { "name": f.source },
                "severity": severity(sev),
                "method": "other",
            }));
        }
        let mut affects: Vec<Value> = Vec::new();
        for a in &members {
            let r = super::package_ref(&a.finding.package);
            // A package absent from the inventory cannot be referenced; skip rather
            // than write a dangling ref.
            if refs.contains(&r) && !affects.iter().any(|x| x["ref"] == r.as_str()) {
                affects.push(json!({
                    "ref": r,
                    "versions": [{ "version": a.finding.package.version, "status": "affected" }],
                }));
            }
        }
        if affects.is_empty() {
            continue;
        }
        let links = report.references(f);
        let url = help_uri(&id, &links);
        let mut v = json!({
            "bom-ref": bom_ref,
            "id": id,
            "source": { "name": f.source, "url": url },
            "ratings": ratings,
            "affects": affects,
        });
        let aliases: Vec<Value> = f
            .aliases
            .iter()
            // Feed-local keys (`musl@1.1.20-r5`) are record names, not vulnerability ids.
            .filter(|x| **x != id && super::is_vuln_id(x))
            .map(|x| json!({ "id": x, "source": { "url": help_uri(x, &[]) } }))
            .collect();
        if !aliases.is_empty() {
            v["references"] = aliases.into();
        }
        if let Some(t) = report.title(f) {
            v["description"] = t.into();
        }
        if !links.is_empty() {
            v["advisories"] = links.iter().map(|u| json!({ "url": u })).collect();
        }
        let fixes: Vec<String> = members
            .iter()
            .filter_map(|a| {
                a.finding
                    .fixed_version()
                    .map(|v| format!("upgrade {} to {v}", a.finding.package.name))
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !fixes.is_empty() {
            v["recommendation"] = fixes.join("; ").into();
        }
        if let Some(an) = first.suppressed.as_ref().and_then(analysis) {
            v["analysis"] = an;
        }
        vulns.push(v);
    }
    doc["vulnerabilities"] = vulns.into();
    Ok(doc)
}
