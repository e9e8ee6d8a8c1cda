//! Advisories (what a feed says) and findings (what matched an installed package).
//!
//! Every feed format is normalised into [`Advisory`] values; matchers turn
//! (package, advisory) pairs into [`Finding`]s that carry their evidence.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Ecosystem, FixState, ImagePath, Purl, Severity};

/// Where an advisory applies: a distro release or a language ecosystem.
///
/// Its string form (`debian:10`, `alpine:3.9`, `rhel:8`, `pypi`, `npm`, …) is the
/// lookup key the database indexes on, so it is stable and lower-case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Namespace(String);

impl Namespace {
    /// A distro release. `distro` is the os-release id family (`debian`, `ubuntu`,
    /// `alpine`, `rhel`, `amzn`, `sles`); `release` is what that family keys advisories
    /// on (Debian major version, Alpine `major.minor`, RHEL major).
    pub fn distro(distro: &str, release: &str) -> Namespace {
        Namespace(format!(
            "{}:{}",
            distro.to_ascii_lowercase(),
            release.to_ascii_lowercase()
        ))
    }

    /// A language ecosystem (its hull id, e.g. `pypi`).
    pub fn ecosystem(eco: Ecosystem) -> Namespace {
        Namespace(eco.as_str().to_string())
    }

    /// Wrap a key read back from the database.
    pub fn from_key(key: &str) -> Namespace {
        Namespace(key.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `Some((distro, release))` for distro namespaces.
    pub fn distro_parts(&self) -> Option<(&str, &str)> {
        self.0.split_once(':')
    }

    /// The subscription channel a namespace's fixes are published in, for namespaces
    /// of an extended-support archive (`ubuntu-pro:18.04` -> `Ubuntu Pro`).
    pub fn support_channel(&self) -> Option<&'static str> {
        match self.distro_parts()?.0 {
            "ubuntu-pro" => Some("Ubuntu Pro"),
            "sles-ltss" => Some("SUSE LTSS"),
            _ => None,
        }
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One OSV range (`ECOSYSTEM`, `SEMVER` or `GIT`) with its events in feed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsvRange {
    /// `ECOSYSTEM`, `SEMVER` or `GIT` as written in the feed.
    #[serde(rename = "type")]
    pub kind: String,
    pub events: Vec<OsvEvent>,
}

/// An OSV range event (<https://ossf.github.io/osv-schema/#affectedrangesevents-fields>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OsvEvent {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// Which installed versions an affected entry covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum VersionRule {
    /// Affected when installed < `fixed` in the namespace's version order (distro
    /// feeds: Debian lists, Alpine secfixes, Red Hat `affected_release`, OVAL).
    LessThan { fixed: String },
    /// Every version is affected (no fix, won't fix, end of life).
    All,
    /// The vendor says this release is not affected; never produces a finding.
    Unaffected,
    /// RustSec native `[versions]`: affected unless the version satisfies one of the
    /// `patched` or `unaffected` semver requirements (`">= 1.2.3, < 2"`).
    SemverReqs {
        #[serde(default)]
        patched: Vec<String>,
        #[serde(default)]
        unaffected: Vec<String>,
    },
    /// OSV `ranges[]` plus the explicit `versions[]` list.
    Osv {
        ranges: Vec<OsvRange>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        versions: Vec<String>,
    },
}

impl fmt::Display for VersionRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionRule::LessThan { fixed } => write!(f, "< {fixed}"),
            VersionRule::All => f.write_str("all versions"),
            VersionRule::Unaffected => f.write_str("not affected"),
            VersionRule::SemverReqs {
                patched,
                unaffected,
            } => write!(
                f,
                "not patched ({}) nor unaffected ({})",
                patched.join(" | "),
                unaffected.join(" | ")
            ),
            VersionRule::Osv { ranges, versions } => {
                let mut first = true;
                for r in ranges {
                    if !first {
                        f.write_str(" || ")?;
                    }
                    first = false;
                    write!(f, "{}[", r.kind)?;
                    for (i, e) in r.events.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        match e {
                            OsvEvent::Introduced(v) => write!(f, ">={v}")?,
                            OsvEvent::Fixed(v) => write!(f, "<{v}")?,
                            OsvEvent::LastAffected(v) => write!(f, "<={v}")?,
                            OsvEvent::Limit(v) => write!(f, "limit {v}")?,
                        }
                    }
                    f.write_str("]")?;
                }
                if !versions.is_empty() {
                    if !first {
                        f.write_str(" || ")?;
                    }
                    write!(f, "versions[{}]", versions.len())?;
                }
                Ok(())
            }
        }
    }
}

/// One package (in one namespace) an advisory applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    pub namespace: Namespace,
    /// Normalised package name: distro source package, PEP 503 name for PyPI,
    /// lower-case for npm, `group:artifact` for Maven, module path for Go.
    pub package: String,
    pub rule: VersionRule,
    /// Fix state as the vendor states it (`Fixed(v)` mirrors `LessThan { fixed: v }`).
    pub fix: FixState,
    /// The vendor advisory that ships the fix (`RHSA-2023:5309`, `DSA-5365-1`), when it
    /// differs from the record id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_advisory: Option<String>,
    /// RHEL modularity `name:stream` the rule is restricted to (`nodejs:12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Per-package severity when the feed gives one (Debian urgency, Red Hat impact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// `package` is a binary package name (OVAL tests name rpms), not a source name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binary_name: bool,
}

impl Affected {
    /// What every feed states: where, which package, which versions, what fixes it; the
    /// optional facts (fix advisory, module stream, per-package severity, binary-name
    /// match) start empty, for struct-update syntax.
    pub fn new(
        namespace: Namespace,
        package: impl Into<String>,
        rule: VersionRule,
        fix: FixState,
    ) -> Affected {
        Affected {
            namespace,
            package: package.into(),
            rule,
            fix,
            fix_advisory: None,
            module: None,
            severity: None,
            binary_name: false,
        }
    }
}

/// A normalised advisory record from one feed. `Default` is an empty record of unknown
/// severity, for struct-update syntax in readers and tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Advisory {
    /// The feed's own id (`GHSA-…`, `PYSEC-…`, `DSA-5365-1`, `CVE-…`, `openssl@1.1.1d-r0`).
    pub id: String,
    /// Data source name (`alpine-secdb`, `debian-dsa`, `osv`, `redhat-oval`, …).
    pub source: String,
    /// Other ids for the same vulnerability (CVE, GHSA, PYSEC, RUSTSEC, GO…), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default)]
    pub severity: Severity,
    /// CVSS vectors as given (`CVSS:3.1/AV:N/…`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Withdrawn advisories are kept for reference but never match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// RustSec `informational` kind (`unmaintained`, `unsound`, `notice`): not a
    /// vulnerability, never a finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    pub affected: Vec<Affected>,
}

impl Advisory {
    /// CVE ids among the id and aliases.
    pub fn cves(&self) -> Vec<&str> {
        std::iter::once(self.id.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .filter(|a| a.starts_with("CVE-"))
            .collect()
    }
}

/// The installed package a finding is about (a copy, so findings stand alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingPackage {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    pub purl: Purl,
    pub path: ImagePath,
}

/// How a finding was produced: enough to re-check it by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Matcher id (`dpkg`, `apk`, `rpm`, `osv`).
    pub matcher: String,
    /// Namespace and package name that were looked up.
    pub namespace: Namespace,
    pub lookup_name: String,
    /// The version that was compared (source version for distro packages).
    pub compared_version: String,
    /// Version scheme used (`dpkg`, `apk`, `rpm`, `pep440`, `semver`, `maven`, …).
    pub scheme: String,
    /// The rule that matched, human readable (`< 1.1.1d-r0`, `ECOSYSTEM[>=0, <2.3]`).
    pub rule: String,
    /// Every advisory record merged into this finding (`source:id`).
    pub records: Vec<String>,
}

/// A vulnerability affecting one installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Display id: a CVE when known, else the advisory id.
    pub id: String,
    /// The advisory record id(s) behind it (sorted, de-duplicated).
    pub advisories: Vec<String>,
    /// Every known id of this vulnerability (id, aliases), sorted.
    pub aliases: Vec<String>,
    pub source: String,
    pub package: FindingPackage,
    pub severity: Severity,
    pub fix: FixState,
    /// Vendor advisory shipping the fix (`RHSA-…`), when distinct from `advisories`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_advisory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub evidence: Evidence,
}

impl Finding {
    /// The fixed version when there is one, including one published only in an
    /// extended-support channel (`fix` says which).
    pub fn fixed_version(&self) -> Option<&str> {
        self.fix.version()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_keys_and_rule_display() {
        assert_eq!(Namespace::distro("Debian", "10").as_str(), "debian:10");
        assert_eq!(Namespace::ecosystem(Ecosystem::Pypi).as_str(), "pypi");
        assert_eq!(
            Namespace::distro("alpine", "3.9").distro_parts(),
            Some(("alpine", "3.9"))
        );
        let r = VersionRule::Osv {
            ranges: vec![OsvRange {
                kind: "ECOSYSTEM".into(),
                events: vec![
                    OsvEvent::Introduced("0".into()),
                    OsvEvent::Fixed("2.3".into()),
                ],
            }],
            versions: vec![],
        };
        assert_eq!(r.to_string(), "ECOSYSTEM[>=0, <2.3]");
        let json = serde_json::to_string(&r).unwrap();
        let back: VersionRule = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }
}
