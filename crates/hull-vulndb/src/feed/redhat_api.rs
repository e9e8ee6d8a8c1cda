//! Red Hat Security Data API per-CVE JSON
//! (<https://access.redhat.com/hydra/rest/securitydata/cve/CVE-….json>).
//!
//! `affected_release[]` are fixes (`package` is `name-epoch:version-release`, with the
//! RHSA that shipped it); `package_state[]` are decisions without a fix (`Affected`,
//! `Will not fix`, `Not affected`, `Out of support scope`). Only the main
//! `enterprise_linux:N` products are kept: EUS/AUS/TUS/E4S streams have their own
//! versions and would mis-match a plain RHEL/CentOS install.

use std::collections::BTreeSet;

use hull_model::{Advisory, Affected, FixState, Namespace, Severity, VersionRule};

use super::{syntax, FeedError, Format, Parsed, Skipped};

pub fn parse(file: &str, text: &str) -> Result<Parsed, FeedError> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| syntax(file, Format::RedHatApi, e))?;
    let records: Vec<&serde_json::Value> = match &doc {
        serde_json::Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    let mut out = Parsed {
        source_hint: Some("redhat-security-data".into()),
        ..Parsed::default()
    };
    for (i, rec) in records.into_iter().enumerate() {
        match parse_record(file, rec, &mut out.skipped) {
            Ok(Some(a)) => out.advisories.push(a),
            Ok(None) => {}
            Err(reason) => out.skipped.push(Skipped {
                file: file.to_string(),
                record: rec
                    .get("name")
                    .and_then(|n| n.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("record {i}")),
                reason,
            }),
        }
    }
    Ok(out)
}

fn parse_record(
    file: &str,
    rec: &serde_json::Value,
    skipped: &mut Vec<Skipped>,
) -> Result<Option<Advisory>, String> {
    let id = rec
        .get("name")
        .and_then(|n| n.as_str())
        .filter(|n| !n.is_empty())
        .ok_or("record without `name`")?
        .to_ascii_uppercase();
    let severity = rec
        .get("threat_severity")
        .and_then(|s| s.as_str())
        .and_then(|s| s.parse().ok())
        .unwrap_or(Severity::Unknown);
    let mut cvss = Vec::new();
    if let Some(v) = rec
        .get("cvss3")
        .and_then(|c| c.get("cvss3_scoring_vector"))
        .and_then(|v| v.as_str())
    {
        cvss.push(v.to_string());
    }
    let mut affected = Vec::new();
    let mut seen = BTreeSet::new();
    for ar in rec
        .get("affected_release")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
    {
        let cpe = ar.get("cpe").and_then(|c| c.as_str()).unwrap_or("");
        let Some(major) = rhel_major(cpe) else {
            continue;
        };
        let Some(pkg) = ar.get("package").and_then(|p| p.as_str()) else {
            continue;
        };
        let Some((name, evr)) = split_nevr(pkg) else {
            skipped.push(Skipped {
                file: file.to_string(),
                record: format!("{id} {pkg}"),
                reason: "affected_release package is not name-epoch:version-release".into(),
            });
            continue;
        };
        let advisory = ar
            .get("advisory")
            .and_then(|a| a.as_str())
            .map(str::to_string);
        // The same fix is listed once per CPE variant (`/a:` and `/o:`): keep one.
        if !seen.insert((
            major.to_string(),
            name.to_string(),
            evr.to_string(),
            advisory.clone(),
        )) {
            continue;
        }
        affected.push(Affected {
            fix_advisory: advisory,
            ..Affected::new(
                Namespace::distro("rhel", major),
                name,
                VersionRule::LessThan {
                    fixed: evr.to_string(),
                },
                FixState::Fixed(evr.to_string()),
            )
        });
    }
    for ps in rec
        .get("package_state")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
    {
        let cpe = ps.get("cpe").and_then(|c| c.as_str()).unwrap_or("");
        let Some(major) = rhel_major(cpe) else {
            continue;
        };
        let Some(name) = ps.get("package_name").and_then(|p| p.as_str()) else {
            continue;
        };
        // `firefox:flatpak/firefox` and module names are not rpm source names.
        if name.contains('/') || name.contains(':') || name.is_empty() {
            continue;
        }
        let state = ps.get("fix_state").and_then(|s| s.as_str()).unwrap_or("");
        let (rule, fix) = match state {
            "Not affected" => (VersionRule::Unaffected, FixState::NotAffected),
            "Will not fix" => (VersionRule::All, FixState::WontFix),
            "Out of support scope" => (VersionRule::All, FixState::EndOfLife),
            "Affected" | "Fix deferred" => (VersionRule::All, FixState::NotFixed),
            "Under investigation" => (VersionRule::All, FixState::Unknown),
            other => {
                skipped.push(Skipped {
                    file: file.to_string(),
                    record: format!("{id} {name}"),
                    reason: format!("unknown fix_state `{other}`"),
                });
                continue;
            }
        };
        if !seen.insert((major.to_string(), name.to_string(), state.to_string(), None)) {
            continue;
        }
        affected.push(Affected::new(
            Namespace::distro("rhel", major),
            name,
            rule,
            fix,
        ));
    }
    if affected.is_empty() {
        return Ok(None);
    }
    Ok(Some(Advisory {
        id,
        source: "redhat-security-data".into(),
        summary: rec
            .get("bugzilla")
            .and_then(|b| b.get("description"))
            .and_then(|d| d.as_str())
            .map(|s| s.trim().to_string()),
        severity,
        cvss,
        published: rec
            .get("public_date")
            .and_then(|d| d.as_str())
            .map(str::to_string),
        affected,
        ..Default::default()
    }))
}

/// `cpe:/o:redhat:enterprise_linux:8` or `cpe:/a:redhat:enterprise_linux:8::appstream`
/// -> `8`. Other products (EUS, AUS, extras, satellite…) -> `None`.
pub(crate) fn rhel_major(cpe: &str) -> Option<&str> {
    let rest = cpe
        .strip_prefix("cpe:/o:redhat:enterprise_linux:")
        .or_else(|| cpe.strip_prefix("cpe:/a:redhat:enterprise_linux:"))?;
    let ver = rest.split(':').next()?;
    let major = ver.split('.').next()?;
    (!major.is_empty() && major.chars().all(|c| c.is_ascii_digit()) && ver == major)
        .then_some(major)
}

/// `bind-32:9.11.36-5.el8` -> (`bind`, `32:9.11.36-5.el8`).
pub(crate) fn split_nevr(s: &str) -> Option<(&str, &str)> {
    let colon = s.find(':')?;
    let before = &s[..colon];
    let dash = before.rfind('-')?;
    let name = &s[..dash];
    let epoch = &before[dash + 1..];
    if name.is_empty() || epoch.is_empty() || !epoch.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let evr = &s[dash + 1..];
    evr.contains('-').then_some((name, evr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nevra_and_cpe() {
        assert_eq!(
            split_nevr("bind-32:9.11.36-5.el8"),
            Some(("bind", "32:9.11.36-5.el8"))
        );
        assert_eq!(
            split_nevr("java-1.8.0-openjdk-1:1.8.0.131-0.b11.el6_9"),
            Some(("java-1.8.0-openjdk", "1:1.8.0.131-0.b11.el6_9"))
        );
        assert_eq!(split_nevr("nodejs:12-820"), None);
        assert_eq!(
            rhel_major("cpe:/a:redhat:enterprise_linux:8::appstream"),
            Some("8")
        );
        assert_eq!(rhel_major("cpe:/o:redhat:enterprise_linux:7"), Some("7"));
        assert_eq!(rhel_major("cpe:/a:redhat:rhel_eus:8.6"), None);
        assert_eq!(rhel_major("cpe:/a:redhat:enterprise_linux:8.2"), None);
    }

    #[test]
    fn duplicates_across_cpe_variants_collapse() {
        let j = r#"{"name":"CVE-2021-25220","threat_severity":"Moderate","affected_release":[
          {"advisory":"RHSA-2022:7790","cpe":"cpe:/a:redhat:enterprise_linux:8","package":"bind-32:9.11.36-5.el8"},
          {"advisory":"RHSA-2022:7790","cpe":"cpe:/o:redhat:enterprise_linux:8","package":"bind-32:9.11.36-5.el8"},
          {"advisory":"RHSA-2025:1","cpe":"cpe:/a:redhat:rhel_aus:8.2","package":"bind-32:9.11.13-6.el8_2.11"}],
          "package_state":[{"fix_state":"Not affected","package_name":"libwebp","cpe":"cpe:/o:redhat:enterprise_linux:7"}]}"#;
        let p = parse("t", j).unwrap();
        let a = &p.advisories[0];
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.affected.len(), 2);
        assert_eq!(
            a.affected[0].fix_advisory.as_deref(),
            Some("RHSA-2022:7790")
        );
        assert_eq!(a.affected[1].rule, VersionRule::Unaffected);
    }
}
