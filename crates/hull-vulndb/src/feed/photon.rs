//! Photon OS CVE metadata (`https://packages.broadcom.com/photon/photon_cve_metadata/
//! cve_data_photon<X.Y>.json`, formerly on packages.vmware.com).
//!
//! VMware/Broadcom publishes Photon's security data as PHSA wiki pages and as these
//! per-release JSON files; hull reads the JSON: machine-readable, one file per release,
//! a fixed version per (CVE, package). Shape: `[{"cve_id": "CVE-…", "pkg": "openssl",
//! "cve_score": 7.5, "aff_ver": "all versions before 3.0.8-2.ph5 are vulnerable",
//! "res_ver": "3.0.8-2.ph5", "status": …}]`. The release is not in the content: it comes
//! from the file name. One advisory per CVE, one row per package (a source rpm name),
//! `pkg < res_ver` in rpm order; `status: "Not Affected"` entries are skipped, and an
//! entry without a usable `res_ver` (`NA`) is affected in every version, not fixed.

use std::collections::BTreeMap;

use hull_model::{Advisory, Affected, FixState, Namespace, Severity, VersionRule};

use super::{syntax, FeedError, Format, Parsed, Skipped};

/// `…/cve_data_photon4.0.json` -> `4.0`.
pub fn release_of(file: &str) -> Option<&str> {
    let base = file.rsplit(['/', '!']).next()?;
    let rel = base
        .strip_prefix("cve_data_photon")?
        .strip_suffix(".json")?;
    let ok = rel.split('.').count() == 2
        && rel
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    ok.then_some(rel)
}

/// Whether a JSON head looks like a Photon CVE file.
pub fn looks_like(head: &str) -> bool {
    head.starts_with('[') && head.contains("\"cve_id\"") && head.contains("\"pkg\"")
}

pub fn parse(file: &str, text: &str) -> Result<Parsed, FeedError> {
    let release = release_of(file).ok_or_else(|| {
        syntax(
            file,
            Format::PhotonCve,
            "file name is not cve_data_photon<X.Y>.json (the release is only in the name)",
        )
    })?;
    let ns = Namespace::distro("photon", release);
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| syntax(file, Format::PhotonCve, e))?;
    let entries = doc
        .as_array()
        .ok_or_else(|| syntax(file, Format::PhotonCve, "not a list of CVE entries"))?;
    let mut out = Parsed {
        source_hint: Some(format!("photon:{release}")),
        ..Parsed::default()
    };
    let mut by_cve: BTreeMap<String, Advisory> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let s = |k: &str| e.get(k).and_then(|v| v.as_str()).map(str::trim);
        let (Some(cve), Some(pkg)) = (s("cve_id"), s("pkg")) else {
            out.skipped.push(Skipped {
                file: file.to_string(),
                record: format!("entry {i}"),
                reason: "entry without `cve_id` or `pkg`".into(),
            });
            continue;
        };
        if cve.is_empty() || pkg.is_empty() || pkg.contains(char::is_whitespace) {
            out.skipped.push(Skipped {
                file: file.to_string(),
                record: format!("entry {i}"),
                reason: "empty or malformed `cve_id` / `pkg`".into(),
            });
            continue;
        }
        if s("status").is_some_and(|st| st.eq_ignore_ascii_case("not affected")) {
            continue;
        }
        let fixed = s("res_ver").filter(|v| {
            !v.is_empty()
                && !v.contains(char::is_whitespace)
                && !["na", "none", "0"].contains(&v.to_ascii_lowercase().as_str())
        });
        let (rule, fix) = match fixed {
            Some(v) => (
                VersionRule::LessThan {
                    fixed: v.to_string(),
                },
                FixState::Fixed(v.to_string()),
            ),
            None => (VersionRule::All, FixState::NotFixed),
        };
        let score = e.get("cve_score").and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        let adv = by_cve.entry(cve.to_string()).or_insert_with(|| Advisory {
            id: cve.to_string(),
            source: "photon".into(),
            ..Default::default()
        });
        if let Some(sc) = score.filter(|s| (0.0..=10.0).contains(s)) {
            adv.severity = adv.severity.max(Severity::from_cvss_score(sc));
        }
        let row = Affected::new(ns.clone(), pkg, rule, fix);
        if !adv.affected.contains(&row) {
            adv.affected.push(row);
        }
    }
    out.advisories = by_cve.into_values().collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photon_cve_file() {
        let j = r#"[{"cve_id":"CVE-2023-0286","pkg":"openssl","cve_score":7.4,"aff_ver":"all versions before 3.0.8-1.ph5 are vulnerable","res_ver":"3.0.8-1.ph5"},
          {"cve_id":"CVE-2023-0286","pkg":"openssl-fips-provider","cve_score":7.4,"aff_ver":"all versions before 3.0.8-1.ph5 are vulnerable","res_ver":"3.0.8-1.ph5"},
          {"cve_id":"CVE-2023-1","pkg":"curl","cve_score":"9.8","aff_ver":"all versions are vulnerable","res_ver":"NA"},
          {"cve_id":"CVE-2023-2","pkg":"zlib","cve_score":5.0,"res_ver":"1.2.13-1.ph5","status":"Not Affected"},
          {"pkg":"x"}]"#;
        assert!(looks_like(j));
        assert_eq!(
            crate::feed::detect("cve_data_photon5.0.json", j.as_bytes()),
            Some(Format::PhotonCve)
        );
        let p = parse("https://x/photon_cve_metadata/cve_data_photon5.0.json", j).unwrap();
        assert_eq!(p.source_hint.as_deref(), Some("photon:5.0"));
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.advisories.len(), 2);
        let ssl = p
            .advisories
            .iter()
            .find(|a| a.id == "CVE-2023-0286")
            .unwrap();
        assert_eq!(ssl.affected.len(), 2);
        assert_eq!(ssl.affected[0].namespace.as_str(), "photon:5.0");
        assert_eq!(ssl.severity, Severity::High);
        let curl = p.advisories.iter().find(|a| a.id == "CVE-2023-1").unwrap();
        assert_eq!(curl.affected[0].fix, FixState::NotFixed);
        assert_eq!(curl.severity, Severity::Critical);
        assert!(parse("cve_data.json", j).is_err());
        assert_eq!(release_of("cve_data_photon3.0.json"), Some("3.0"));
        assert_eq!(release_of("cve_data_photon../x.json"), None);
    }
}
