//! Debian security tracker JSON (<https://security-tracker.debian.org/tracker/data/json>).
//!
//! `{source-package: {CVE-…|TEMP-…: {description, releases: {codename: {status,
//! fixed_version?, urgency, nodsa?, nodsa_reason?}}}}}`. One advisory per issue id;
//! one affected row per (package, release). `releases` may be `[]` instead of `{}`.

use std::collections::BTreeMap;

use hull_model::{Advisory, Affected, FixState, Namespace, Severity, VersionRule};

use super::{debian_release, syntax, FeedError, Format, Parsed, Skipped};

pub fn parse(file: &str, text: &str) -> Result<Parsed, FeedError> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| syntax(file, Format::DebianTrackerJson, e))?;
    let pkgs = doc.as_object().ok_or_else(|| {
        syntax(
            file,
            Format::DebianTrackerJson,
            "top level is not an object",
        )
    })?;
    let mut out = Parsed {
        source_hint: Some("debian-tracker".into()),
        ..Parsed::default()
    };
    // The same CVE appears under several source packages: one advisory per id.
    let mut by_id: BTreeMap<String, Advisory> = BTreeMap::new();
    for (pkg, issues) in pkgs {
        if pkg.starts_with('_') {
            continue; // comment keys in hand-edited test data
        }
        let Some(issues) = issues.as_object() else {
            out.skipped
                .push(skip(file, pkg, "package entry is not an object"));
            continue;
        };
        for (id, issue) in issues {
            if id.starts_with('_') {
                continue;
            }
            let releases = match issue.get("releases") {
                Some(serde_json::Value::Object(r)) => r,
                Some(serde_json::Value::Array(a)) if a.is_empty() => continue,
                _ => {
                    out.skipped
                        .push(skip(file, id, "issue without a `releases` object"));
                    continue;
                }
            };
            let adv = by_id.entry(id.clone()).or_insert_with(|| Advisory {
                id: id.clone(),
                source: "debian-tracker".into(),
                summary: issue
                    .get("description")
                    .and_then(|d| d.as_str())
                    .map(str::to_string),
                ..Default::default()
            });
            for (codename, rel) in releases {
                let Some(release) = debian_release(codename) else {
                    continue; // unknown suite names (e.g. experimental) carry no namespace
                };
                let status = rel.get("status").and_then(|s| s.as_str()).unwrap_or("");
                let urgency = rel.get("urgency").and_then(|s| s.as_str()).unwrap_or("");
                let fixed = rel.get("fixed_version").and_then(|s| s.as_str());
                let nodsa_reason = rel.get("nodsa_reason").and_then(|s| s.as_str());
                let (rule, fix) = match (status, fixed) {
                    ("resolved", Some("0")) => (VersionRule::Unaffected, FixState::NotAffected),
                    ("resolved", Some(v)) if !v.is_empty() => (
                        VersionRule::LessThan {
                            fixed: v.to_string(),
                        },
                        FixState::Fixed(v.to_string()),
                    ),
                    ("open", _) if urgency == "end-of-life" => {
                        (VersionRule::All, FixState::EndOfLife)
                    }
                    ("open", _) if nodsa_reason == Some("ignored") => {
                        (VersionRule::All, FixState::WontFix)
                    }
                    ("open", _) => (VersionRule::All, FixState::NotFixed),
                    ("undetermined", _) => (VersionRule::All, FixState::Unknown),
                    _ => {
                        out.skipped.push(skip(
                            file,
                            &format!("{id}/{pkg}/{codename}"),
                            &format!("unknown status `{status}`"),
                        ));
                        continue;
                    }
                };
                adv.affected.push(Affected {
                    severity: urgency_severity(urgency),
                    ..Affected::new(Namespace::distro("debian", release), pkg.clone(), rule, fix)
                });
            }
        }
    }
    out.advisories = by_id
        .into_values()
        .filter(|a| !a.affected.is_empty())
        .collect();
    Ok(out)
}

/// `high**` (urgency taken from NVD) counts like `high`.
fn urgency_severity(u: &str) -> Option<Severity> {
    let u = u.trim_end_matches('*');
    match u {
        "end-of-life" | "" => None,
        other => other.parse().ok(),
    }
}

fn skip(file: &str, record: &str, reason: &str) -> Skipped {
    Skipped {
        file: file.to_string(),
        record: record.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_rules() {
        let j = r#"{"curl":{"CVE-1":{"releases":{
            "buster":{"status":"resolved","fixed_version":"7.64.0-4+deb10u2","urgency":"high**"},
            "bullseye":{"status":"resolved","fixed_version":"0","urgency":"unimportant"},
            "bookworm":{"status":"open","urgency":"end-of-life"},
            "trixie":{"status":"undetermined","urgency":"not yet assigned"}}}},
            "chromium-browser":{"CVE-2":{"releases":[]}}}"#;
        let p = parse("t.json", j).unwrap();
        assert_eq!(p.advisories.len(), 1);
        let a = &p.advisories[0].affected;
        assert_eq!(a.len(), 4);
        let by_ns = |ns: &str| a.iter().find(|x| x.namespace.as_str() == ns).unwrap();
        assert_eq!(by_ns("debian:10").severity, Some(Severity::High));
        assert_eq!(by_ns("debian:11").rule, VersionRule::Unaffected);
        assert_eq!(by_ns("debian:12").fix, FixState::EndOfLife);
        assert_eq!(by_ns("debian:13").fix, FixState::Unknown);
    }
}
