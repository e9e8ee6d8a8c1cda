//! Alpine secdb (<https://secdb.alpinelinux.org/>), JSON and the older YAML files.
//!
//! Shape: `{distroversion: "v3.9", reponame, packages: [{pkg: {name, secfixes:
//! {"<fixed apk version>": [ids…]}}}]}`. Only fixes are listed: every version below a
//! key is affected. One advisory per (package, fixed version), id `name@version`, the
//! granularity the feed itself has; its CVEs become aliases. A key of `0` means the
//! branch was never affected.

use hull_model::{Advisory, Affected, FixState, Namespace, VersionRule};

use super::{extract_cves, syntax, FeedError, Format, Parsed, Skipped};

pub fn parse(format: Format, file: &str, text: &str) -> Result<Parsed, FeedError> {
    // Both shapes go through serde_json::Value; YAML is converted with every scalar
    // kept as text so version keys like `1.10-r0` are never retyped.
    let doc: serde_json::Value = if format == Format::AlpineYaml {
        let y: serde_yaml::Value =
            serde_yaml::from_str(text).map_err(|e| syntax(file, format, e))?;
        yaml_to_json(y)
    } else {
        serde_json::from_str(text).map_err(|e| syntax(file, format, e))?
    };
    if doc.get("distroversion").is_none() {
        if let Some((ns, source)) = super::wolfi::namespace_of(&doc) {
            let mut out = Parsed {
                source_hint: Some(source.to_string()),
                ..Parsed::default()
            };
            entries(format, file, &doc, &ns, source, &mut out)?;
            return Ok(out);
        }
    }
    let distroversion = doc
        .get("distroversion")
        .and_then(|v| v.as_str())
        .ok_or_else(|| syntax(file, format, "no `distroversion`"))?;
    let release = release_of(distroversion)
        .ok_or_else(|| syntax(file, format, format!("bad distroversion `{distroversion}`")))?;
    let repo = doc
        .get("reponame")
        .and_then(|v| v.as_str())
        .unwrap_or("main");
    let ns = Namespace::distro("alpine", &release);
    let mut out = Parsed {
        source_hint: Some(format!("alpine-secdb:v{release}-{repo}")),
        ..Parsed::default()
    };
    entries(format, file, &doc, &ns, "alpine-secdb", &mut out)?;
    Ok(out)
}

/// The `packages[].pkg.secfixes` of a secdb document (Alpine, Wolfi, Chainguard), as
/// one advisory per (package, fixed version) in `ns`.
pub(crate) fn entries(
    format: Format,
    file: &str,
    doc: &serde_json::Value,
    ns: &Namespace,
    source: &str,
    out: &mut Parsed,
) -> Result<(), FeedError> {
    // An empty YAML list is written `packages:` (null); a missing key is an error.
    let empty = Vec::new();
    let packages = match doc.get("packages") {
        Some(serde_json::Value::Array(a)) => a,
        Some(serde_json::Value::Null) => &empty,
        _ => return Err(syntax(file, format, "no `packages` list")),
    };
    for (i, entry) in packages.iter().enumerate() {
        let pkg = entry.get("pkg").unwrap_or(entry);
        let Some(name) = pkg
            .get("name")
            .and_then(|n| n.as_str())
            .filter(|n| !n.is_empty())
        else {
            out.skipped.push(Skipped {
                file: file.to_string(),
                record: format!("packages[{i}]"),
                reason: "package without a name".into(),
            });
            continue;
        };
        let Some(secfixes) = pkg.get("secfixes").and_then(|s| s.as_object()) else {
            // A package listed without secfixes has nothing to say.
            continue;
        };
        for (fixed, ids) in secfixes {
            let fixed = fixed.trim();
            let raw_ids: Vec<String> = match ids {
                serde_json::Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                serde_json::Value::Null => Vec::new(),
                serde_json::Value::String(s) => vec![s.clone()],
                _ => {
                    out.skipped.push(Skipped {
                        file: file.to_string(),
                        record: format!("{name}@{fixed}"),
                        reason: "secfixes value is not a list of ids".into(),
                    });
                    continue;
                }
            };
            if fixed.is_empty() || fixed.contains(char::is_whitespace) {
                out.skipped.push(Skipped {
                    file: file.to_string(),
                    record: format!("{name}@{fixed}"),
                    reason: "secfixes key is not a version".into(),
                });
                continue;
            }
            let mut aliases: Vec<String> = Vec::new();
            for raw in &raw_ids {
                let cves = extract_cves(raw);
                if cves.is_empty() {
                    // Vendor ids (XSA-207, wnpa-sec-2017-18) are kept as aliases.
                    for tok in raw.split_whitespace() {
                        if tok.chars().any(|c| c.is_ascii_digit()) && !tok.contains('?') {
                            aliases.push(tok.trim_matches(|c| c == '(' || c == ')').to_string());
                        }
                    }
                } else {
                    aliases.extend(cves);
                    for tok in raw.split_whitespace().skip(1) {
                        if !tok.to_ascii_uppercase().starts_with("CVE")
                            && tok.chars().any(|c| c.is_ascii_digit())
                            && !tok.starts_with('(')
                        {
                            aliases.push(tok.to_string());
                        }
                    }
                }
            }
            aliases.sort();
            aliases.dedup();
            let (rule, fix) = if fixed == "0" {
                (VersionRule::Unaffected, FixState::NotAffected)
            } else {
                (
                    VersionRule::LessThan {
                        fixed: fixed.to_string(),
                    },
                    FixState::Fixed(fixed.to_string()),
                )
            };
            out.advisories.push(Advisory {
                id: format!("{name}@{fixed}"),
                source: source.into(),
                aliases,
                affected: vec![Affected::new(ns.clone(), name, rule, fix)],
                ..Default::default()
            });
        }
    }
    Ok(())
}

/// `v3.9` -> `3.9`; `edge` stays `edge`.
fn release_of(distroversion: &str) -> Option<String> {
    let v = distroversion.trim().trim_start_matches('v');
    if v == "edge" {
        return Some(v.to_string());
    }
    let mut parts = v.split('.');
    let major = parts
        .next()
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())?;
    let minor = parts
        .next()
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())?;
    Some(format!("{major}.{minor}"))
}

/// YAML -> JSON with every scalar as a string (numbers keep their text form).
pub(crate) fn yaml_to_json(v: serde_yaml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    use serde_yaml::Value as Y;
    match v {
        Y::Null => J::Null,
        Y::Bool(b) => J::String(b.to_string()),
        Y::Number(n) => J::String(n.to_string()),
        Y::String(s) => J::String(s),
        Y::Sequence(s) => J::Array(s.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => {
            let mut o = serde_json::Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => serde_yaml::to_string(&other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                o.insert(key, yaml_to_json(v));
            }
            J::Object(o)
        }
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_secfixes_become_advisories() {
        let y = "---\ndistroversion: v3.9\nreponame: main\npackages:\n  - pkg:\n      name: musl\n      secfixes:\n        1.1.20-r5:\n          - CVE-2019-14697\n        0:\n          - CVE-2000-0001\n        2.0-r0:\n          - CVE-2016-6258 XSA-182\n";
        let p = parse(Format::AlpineYaml, "t.yaml", y).unwrap();
        assert_eq!(p.source_hint.as_deref(), Some("alpine-secdb:v3.9-main"));
        assert_eq!(p.advisories.len(), 3);
        let by_id = |id: &str| p.advisories.iter().find(|a| a.id == id).unwrap();
        let a = by_id("musl@1.1.20-r5");
        assert_eq!(a.id, "musl@1.1.20-r5");
        assert_eq!(a.aliases, vec!["CVE-2019-14697"]);
        assert_eq!(a.affected[0].namespace.as_str(), "alpine:3.9");
        assert_eq!(by_id("musl@0").affected[0].rule, VersionRule::Unaffected);
        assert_eq!(
            by_id("musl@2.0-r0").aliases,
            vec!["CVE-2016-6258", "XSA-182"]
        );
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(parse(Format::AlpineJson, "t", "{\"packages\":[]}").is_err());
        assert!(parse(
            Format::AlpineJson,
            "t",
            "{\"distroversion\":\"vX\",\"packages\":[]}"
        )
        .is_err());
    }
}
