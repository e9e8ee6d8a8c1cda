//! RustSec native advisories (<https://github.com/rustsec/advisory-db>): a fenced
//! ```` ```toml ```` block (`[advisory]`, `[versions]`, `[affected]`) followed by a
//! Markdown title and body. `[versions]` holds semver *requirements*, not events, so
//! they become [`VersionRule::SemverReqs`]. Advisories for the toolchain itself
//! (`rust/` directory, package `std`, `cargo`, …) stay in the `cargo` namespace but
//! never match a crate from a lockfile by accident because those names are reserved.

use hull_model::{Advisory, Affected, FixState, Namespace, Severity, VersionRule};

use super::{syntax, FeedError, Format, Parsed};

#[derive(serde::Deserialize)]
struct Doc {
    advisory: AdvisorySection,
    #[serde(default)]
    versions: Option<Versions>,
}

#[derive(serde::Deserialize)]
struct AdvisorySection {
    id: String,
    package: String,
    #[serde(default)]
    date: Option<toml::Value>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<toml::Value>,
    #[serde(default)]
    title: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct Versions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

pub fn parse(file: &str, text: &str) -> Result<Parsed, FeedError> {
    let fmt = Format::RustsecMarkdown;
    let start = text
        .find("```toml")
        .ok_or_else(|| syntax(file, fmt, "no ```toml block"))?;
    let body = &text[start + "```toml".len()..];
    let end = body
        .find("\n```")
        .ok_or_else(|| syntax(file, fmt, "unterminated ```toml block"))?;
    let toml_text = &body[..end];
    let rest = &body[end + 4..];
    let doc: Doc = toml::from_str(toml_text).map_err(|e| syntax(file, fmt, e.message()))?;
    let a = doc.advisory;
    if a.id.is_empty() || a.package.is_empty() {
        return Err(syntax(file, fmt, "advisory without id or package"));
    }
    let title = a.title.clone().or_else(|| {
        rest.lines()
            .map(str::trim)
            .find(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim().to_string())
    });
    let versions = doc.versions.unwrap_or_default();
    let severity = a
        .cvss
        .as_deref()
        .and_then(crate::cvss::severity_of_vector)
        .unwrap_or(Severity::Unknown);
    let fix = versions
        .patched
        .first()
        .map(|p| FixState::Fixed(p.clone()))
        .unwrap_or(FixState::NotFixed);
    let mut aliases = a.aliases;
    aliases.sort();
    aliases.dedup();
    Ok(Parsed {
        advisories: vec![Advisory {
            id: a.id,
            source: "rustsec".into(),
            aliases,
            summary: title,
            severity,
            cvss: a.cvss.into_iter().collect(),
            published: a.date.map(|d| toml_text_of(&d)),
            modified: None,
            withdrawn: a.withdrawn.map(|d| toml_text_of(&d)),
            informational: a.informational.filter(|i| !i.is_empty()),
            references: a.url.into_iter().collect(),
            affected: vec![Affected::new(
                Namespace::from_key("cargo"),
                a.package.to_ascii_lowercase(),
                VersionRule::SemverReqs {
                    patched: versions.patched,
                    unaffected: versions.unaffected,
                },
                fix,
            )],
        }],
        skipped: vec![],
        source_hint: Some("rustsec".into()),
        ..Parsed::default()
    })
}

fn toml_text_of(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Integer(i) => i.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_and_title() {
        let md = "```toml\n[advisory]\nid = \"RUSTSEC-2018-0003\"\npackage = \"smallvec\"\naliases = [\"CVE-2018-20991\"]\ncvss = \"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"\ndate = \"2018-07-19\"\n\n[versions]\npatched = [\">= 0.6.3\"]\nunaffected = [\"< 0.3.2\"]\n```\n\n# Possible double free\n\nbody\n";
        let p = parse("a.md", md).unwrap();
        let a = &p.advisories[0];
        assert_eq!(a.id, "RUSTSEC-2018-0003");
        assert_eq!(a.summary.as_deref(), Some("Possible double free"));
        assert_eq!(a.severity, Severity::Critical);
        assert!(
            matches!(&a.affected[0].rule, VersionRule::SemverReqs { patched, .. } if patched[0] == ">= 0.6.3")
        );
        assert!(parse("b.md", "```toml\n[advisory]\nid = 1\n```").is_err());
        assert!(parse("c.md", "```toml\n[advisory]\n").is_err());
    }
}
