//! Filters over findings: `--severity`, `--ignore-unfixed`, `--ignore-file`, `--vex`, and
//! the `--exit-code` decision.
//!
//! Filters never drop a finding: [`apply`] returns every finding as an [`Assessed`] that
//! either stays reported or carries the [`Suppression`] that hid it, so a report can say
//! why something is missing and an auditor can check the reason. Precedence when several
//! filters apply: VEX statement, then ignore file, then `--ignore-unfixed`, then
//! `--severity` (the most specific, most accountable reason is the one kept).

pub mod ignore;
pub mod vex;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use hull_model::{Finding, FixState, Severity};

pub use ignore::{IgnoreEntry, IgnoreError, IgnoreFile};
pub use vex::{VexDocument, VexError, VexStatement};

/// Why a finding is not reported. Kebab-case `kind` values are part of the JSON schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Suppression {
    /// Its severity is not in `--severity`.
    Severity { allowed: Vec<Severity> },
    /// `--ignore-unfixed` and no fixed version exists.
    Unfixed,
    /// An entry of the ignore file matched.
    Ignore {
        /// The entry's `id` as written.
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<String>,
    },
    /// An OpenVEX statement said `not_affected` or `fixed`.
    Vex {
        /// The VEX document's `@id`.
        document: String,
        /// The statement's vulnerability name as written.
        vulnerability: String,
        /// `not_affected` or `fixed`.
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        justification: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        impact_statement: Option<String>,
    },
}

impl Suppression {
    /// One line for tables and SARIF justifications.
    pub fn describe(&self) -> String {
        match self {
            Suppression::Severity { allowed } => {
                let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                format!("severity not in {}", names.join(","))
            }
            Suppression::Unfixed => "no fixed version (--ignore-unfixed)".into(),
            Suppression::Ignore { id, reason, .. } => match reason {
                Some(r) => format!("ignored ({id}): {r}"),
                None => format!("ignored ({id})"),
            },
            Suppression::Vex {
                status,
                justification,
                document,
                ..
            } => match justification {
                Some(j) => format!("vex {status} ({j}) in {document}"),
                None => format!("vex {status} in {document}"),
            },
        }
    }
}

/// A finding and, when hidden, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessed {
    pub finding: Finding,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

impl Assessed {
    pub fn is_reported(&self) -> bool {
        self.suppressed.is_none()
    }
}

/// Everything `hull image` may filter on.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Keep only these severities (`None`: all).
    pub severities: Option<BTreeSet<Severity>>,
    pub ignore_unfixed: bool,
    pub ignore: Option<IgnoreFile>,
    pub vex: Vec<VexDocument>,
    /// Today as `YYYY-MM-DD`, for ignore-entry expiry. Injected so results are reproducible.
    pub today: String,
}

/// The outcome of [`apply`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filtered {
    /// Every input finding, in input order, each reported or suppressed.
    pub findings: Vec<Assessed>,
    /// Ignore entries whose `expires` date has passed: no longer applied, listed so the
    /// user renews or deletes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expired_ignores: Vec<IgnoreEntry>,
}

impl Filtered {
    pub fn reported(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|a| a.is_reported())
            .map(|a| &a.finding)
    }

    pub fn suppressed(&self) -> impl Iterator<Item = &Assessed> {
        self.findings.iter().filter(|a| !a.is_reported())
    }
}

/// Errors from the filter arguments themselves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("unknown severity `{0}` (expected unknown, negligible, low, medium, high, critical)")]
    Severity(String),
    #[error("empty severity list")]
    EmptySeverities,
}

/// Parse `--severity HIGH,CRITICAL` (case-insensitive, vendor spellings accepted).
pub fn parse_severities(list: &str) -> Result<BTreeSet<Severity>, FilterError> {
    let mut out = BTreeSet::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let s = part
            .parse::<Severity>()
            .map_err(|_| FilterError::Severity(part.to_string()))?;
        out.insert(s);
    }
    if out.is_empty() {
        return Err(FilterError::EmptySeverities);
    }
    Ok(out)
}

/// Assess every finding against `filters`. Pure: same input, same output.
pub fn apply(findings: Vec<Finding>, filters: &Filters) -> Filtered {
    let (active, expired) = match &filters.ignore {
        Some(f) => f.partition_expired(&filters.today),
        None => (Vec::new(), Vec::new()),
    };
    let findings = findings
        .into_iter()
        .map(|finding| {
            let suppressed = vex::suppression(&filters.vex, &finding)
                .or_else(|| {
                    active
                        .iter()
                        .find(|e| e.matches(&finding))
                        .map(|e| Suppression::Ignore {
                            id: e.id.clone(),
                            reason: e.reason.clone(),
                            expires: e.expires.clone(),
                        })
                })
                .or_else(|| {
                    (filters.ignore_unfixed
                        && !matches!(
                            finding.fix,
                            FixState::Fixed(_) | FixState::ExtendedSupport(_)
                        ))
                    .then_some(Suppression::Unfixed)
                })
                .or_else(|| match &filters.severities {
                    Some(set) if !set.contains(&finding.severity) => Some(Suppression::Severity {
                        allowed: set.iter().copied().collect(),
                    }),
                    _ => None,
                });
            Assessed {
                finding,
                suppressed,
            }
        })
        .collect();
    Filtered {
        findings,
        expired_ignores: expired.into_iter().cloned().collect(),
    }
}

/// A content finding (secret, insecure file, image config) and, when hidden, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessedCheck {
    pub finding: hull_model::CheckFinding,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

impl AssessedCheck {
    pub fn is_reported(&self) -> bool {
        self.suppressed.is_none()
    }
}

/// [`apply`] for content findings: VEX statements and `checks:` entries of the ignore
/// file (by rule id or fingerprint), then `--severity`. `--ignore-unfixed` does not
/// apply (there is no fixed version of a secret). Returns the findings in report
/// order and the expired `checks:` entries.
pub fn apply_checks(
    mut findings: Vec<hull_model::CheckFinding>,
    filters: &Filters,
) -> (Vec<AssessedCheck>, Vec<IgnoreEntry>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let (active, expired) = match &filters.ignore {
        Some(f) => f.partition_expired_checks(&filters.today),
        None => (Vec::new(), Vec::new()),
    };
    let out = findings
        .into_iter()
        .map(|finding| {
            let suppressed = vex::check_suppression(&filters.vex, &finding)
                .or_else(|| {
                    active
                        .iter()
                        .find(|e| e.matches_check(&finding))
                        .map(|e| Suppression::Ignore {
                            id: e.id.clone(),
                            reason: e.reason.clone(),
                            expires: e.expires.clone(),
                        })
                })
                .or_else(|| match &filters.severities {
                    Some(set) if !set.contains(&finding.severity) => Some(Suppression::Severity {
                        allowed: set.iter().copied().collect(),
                    }),
                    _ => None,
                });
            AssessedCheck {
                finding,
                suppressed,
            }
        })
        .collect();
    (out, expired.into_iter().cloned().collect())
}

/// `--exit-code N`: `code` when a reported finding is at or above `threshold`, else 0.
///
/// With `--severity` the suppressed findings are already out, so the usual call passes
/// `Severity::Unknown` (any reported finding fails the build).
pub fn exit_code(filtered: &Filtered, threshold: Severity, code: u8) -> u8 {
    if filtered.reported().any(|f| f.severity >= threshold) {
        code
    } else {
        0
    }
}

/// Whether `id` names this finding: its display id, an advisory record id, or an alias.
/// Case-insensitive because users type ids by hand (`cve-2019-1543`).
pub(crate) fn names_finding(id: &str, f: &Finding) -> bool {
    let id = id.trim();
    f.id.eq_ignore_ascii_case(id)
        || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(id))
        || f.advisories.iter().any(|a| a.eq_ignore_ascii_case(id))
}

/// Whether the purl `pattern` (from an ignore file or VEX statement) names `actual`.
///
/// Type, namespace and name must be equal (the type case-insensitively); a pattern
/// without a version matches every version; a pattern's qualifiers must each be present
/// with the same value, and qualifiers the pattern leaves out are not compared, so
/// `pkg:apk/alpine/openssl@1.1.1b-r1` matches `…?arch=x86_64&distro=3.9.4`.
pub(crate) fn purl_matches(pattern: &str, actual: &str) -> bool {
    use crate::purl::ParsedPurl;
    let (Ok(p), Ok(a)) = (ParsedPurl::parse(pattern), ParsedPurl::parse(actual)) else {
        return false;
    };
    p.ty == a.ty
        && p.namespace == a.namespace
        && p.name == a.name
        && p.version
            .as_ref()
            .is_none_or(|v| Some(v) == a.version.as_ref())
        && p.qualifiers
            .iter()
            .all(|(k, v)| a.qualifiers.get(k) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hull_model::{Ecosystem, Evidence, FindingPackage, ImagePath, Namespace, Purl};

    pub(crate) fn finding(id: &str, sev: Severity, fix: FixState) -> Finding {
        Finding {
            id: id.into(),
            advisories: vec![format!("{id}-adv")],
            aliases: vec![id.into(), "GHSA-xxxx-yyyy-zzzz".into()],
            source: "alpine-secdb".into(),
            package: FindingPackage {
                ecosystem: Ecosystem::Apk,
                name: "openssl".into(),
                version: "1.1.1b-r1".into(),
                source_name: None,
                source_version: None,
                purl: Purl::from_string(
                    "pkg:apk/alpine/openssl@1.1.1b-r1?arch=x86_64&distro=3.9.4".into(),
                ),
                path: ImagePath::new("lib/apk/db/installed").unwrap(),
            },
            severity: sev,
            fix,
            fix_advisory: None,
            title: None,
            evidence: Evidence {
                matcher: "apk".into(),
                namespace: Namespace::distro("alpine", "3.9"),
                lookup_name: "openssl".into(),
                compared_version: "1.1.1b-r1".into(),
                scheme: "apk".into(),
                rule: "< 1.1.1d-r0".into(),
                records: vec!["alpine-secdb:x".into()],
            },
        }
    }

    #[test]
    fn severities_parse() {
        let s = parse_severities("HIGH, critical,important").unwrap();
        assert_eq!(
            s.into_iter().collect::<Vec<_>>(),
            vec![Severity::High, Severity::Critical]
        );
        assert_eq!(
            parse_severities("HIGH,bogus"),
            Err(FilterError::Severity("bogus".into()))
        );
        assert_eq!(parse_severities(" , "), Err(FilterError::EmptySeverities));
    }

    #[test]
    fn purl_matching_table() {
        let actual = "pkg:apk/alpine/openssl@1.1.1b-r1?arch=x86_64&distro=3.9.4";
        for (pattern, want) in [
            ("pkg:apk/alpine/openssl@1.1.1b-r1", true),
            ("pkg:apk/alpine/openssl", true),
            ("pkg:APK/alpine/openssl", true),
            ("pkg:apk/alpine/openssl@1.1.1b-r1?arch=x86_64", true),
            ("pkg:apk/alpine/openssl@1.1.1b-r1?arch=aarch64", false),
            ("pkg:apk/alpine/openssl@1.1.1d-r0", false),
            ("pkg:apk/alpine/libssl", false),
            ("pkg:deb/alpine/openssl", false),
            ("openssl", false),
        ] {
            assert_eq!(purl_matches(pattern, actual), want, "{pattern}");
        }
    }

    #[test]
    fn filters_precedence_and_exit_code() {
        let fs = vec![
            finding("CVE-1", Severity::Critical, FixState::Fixed("2".into())),
            finding("CVE-2", Severity::Low, FixState::Fixed("2".into())),
            finding("CVE-3", Severity::High, FixState::NotFixed),
        ];
        let cases: Vec<(Filters, Vec<bool>, u8)> = vec![
            (Filters::default(), vec![true, true, true], 1),
            (
                Filters {
                    severities: Some(parse_severities("HIGH,CRITICAL").unwrap()),
                    ..Filters::default()
                },
                vec![true, false, true],
                1,
            ),
            (
                Filters {
                    ignore_unfixed: true,
                    severities: Some(parse_severities("LOW").unwrap()),
                    ..Filters::default()
                },
                vec![false, true, false],
                0,
            ),
        ];
        for (filters, want, code) in cases {
            let out = apply(fs.clone(), &filters);
            let got: Vec<bool> = out.findings.iter().map(Assessed::is_reported).collect();
            assert_eq!(got, want);
            assert_eq!(exit_code(&out, Severity::High, 1), code);
        }
        // Unfixed wins over severity: the more specific reason is kept.
        let out = apply(
            fs,
            &Filters {
                ignore_unfixed: true,
                severities: Some(parse_severities("CRITICAL").unwrap()),
                ..Filters::default()
            },
        );
        assert_eq!(out.findings[2].suppressed, Some(Suppression::Unfixed));
        assert!(matches!(
            out.findings[1].suppressed,
            Some(Suppression::Severity { .. })
        ));
        assert_eq!(exit_code(&out, Severity::Unknown, 3), 3);
        assert_eq!(exit_code(&Filtered::default(), Severity::Unknown, 3), 0);
    }
}
