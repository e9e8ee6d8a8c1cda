//! SPDX 2.3 with vulnerabilities: the SBOM writer's document, and on each affected
//! package one external reference per reported finding, category `SECURITY`, type
//! `advisory` (SPDX 2.3 annex F), locator the advisory page, comment
//! `<id> severity <sev>[; fixed in <v>]`. SPDX 2.3 has no VEX notion, so suppressed
//! findings are left out.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{help_uri, ScanReport};
use crate::WriteOptions;

pub fn to_value(report: &ScanReport, opts: &WriteOptions) -> Result<Value, serde_json::Error> {
    let mut doc = crate::spdx::to_value(report.inventory, opts)?;
    let Some(pkgs) = doc["packages"].as_array_mut() else {
        return Ok(doc);
    };
    // purl#path -> index into packages: the same identity the CycloneDX writer uses.
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, p) in pkgs.iter().enumerate() {
        let purl = p["externalRefs"].as_array().and_then(|rs| {
            rs.iter()
                .find(|r| r["referenceType"] == "purl")
                .and_then(|r| r["referenceLocator"].as_str())
        });
        let path = p["annotations"].as_array().and_then(|a| {
            a.iter()
                .filter_map(|x| x["comment"].as_str())
                .find_map(|c| c.strip_prefix("hull:path="))
        });
        if let (Some(purl), Some(path)) = (purl, path) {
            index.entry(format!("{purl}#{path}")).or_insert(i);
        }
    }
    for a in report.sorted().into_iter().filter(|a| a.is_reported()) {
        let f = &a.finding;
        let Some(&i) = index.get(&super::package_ref(&f.package)) else {
            continue;
        };
        let Some(p) = pkgs.get_mut(i) else { continue };
        let mut comment = format!("{} severity {}", f.id, f.severity);
        if let Some(v) = f.fixed_version() {
            comment.push_str(&format!("; fixed in {v}"));
        }
        let entry = json!({
            "referenceCategory": "SECURITY",
            "referenceType": "advisory",
            "referenceLocator": help_uri(&f.id, &report.references(f)),
            "comment": comment,
        });
        match p["externalRefs"].as_array_mut() {
            Some(rs) => {
                if !rs.contains(&entry) {
                    rs.push(entry)
                }
            }
            None => p["externalRefs"] = json!([entry]),
        }
    }
    Ok(doc)
}
