//! OpenVEX 0.2 documents (<https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md>):
//! statements by a producer that a vulnerability does or does not affect a product.
//!
//! A statement applies to a finding when its vulnerability (`name`, `@id` or one of its
//! `aliases`) names the finding (display id, advisory id or alias) and one of its
//! `products[]` — or one of a product's `subcomponents[]` — is a purl that names the
//! finding's package (`@id` or `identifiers.purl`; see [`super::purl_matches`] for how
//! versions and qualifiers compare). The product itself is not checked against the
//! image: a statement about `pkg:oci/app` with subcomponent `pkg:apk/alpine/openssl`
//! applies to openssl in whatever image is scanned with that VEX file.
//!
//! When several statements apply, the one with the latest `timestamp` wins (statement
//! timestamp, else the document's), later in the input on ties, as the spec's
//! "most recent statement" rule asks. `not_affected` and `fixed` suppress;
//! `affected` and `under_investigation` keep the finding reported.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use hull_model::Finding;

use super::{names_finding, purl_matches, Suppression};

/// A parsed OpenVEX document (only what matching needs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexDocument {
    pub id: String,
    pub timestamp: Option<String>,
    pub statements: Vec<VexStatement>,
}

/// One statement, flattened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexStatement {
    /// Vulnerability `name`, else `@id`.
    pub vulnerability: String,
    /// `name`, `@id` and `aliases` together.
    pub names: Vec<String>,
    /// Purls of products and subcomponents.
    pub purls: Vec<String>,
    pub status: Status,
    pub justification: Option<String>,
    pub impact_statement: Option<String>,
    pub timestamp: Option<String>,
}

/// The four statuses of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VexError {
    #[error("vex document is not valid json")]
    Json(#[source] serde_json::Error),
    #[error("vex document does not match the openvex schema")]
    Shape(#[source] serde_json::Error),
    #[error("vex document `@context` `{0}` is not openvex")]
    Context(String),
    #[error("vex statement {index}: no vulnerability name or @id")]
    NoVulnerability { index: usize },
    #[error("vex statement {index} ({vulnerability}): no product with a purl")]
    NoProduct { index: usize, vulnerability: String },
    #[error("vex statement {index} ({vulnerability}): status not_affected needs a justification or impact_statement")]
    NoJustification { index: usize, vulnerability: String },
}

#[derive(Deserialize)]
struct RawDoc {
    #[serde(rename = "@context", default)]
    context: String,
    #[serde(rename = "@id", default)]
    id: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    statements: Vec<RawStatement>,
}

#[derive(Deserialize)]
struct RawStatement {
    #[serde(default)]
    vulnerability: RawVuln,
    #[serde(default)]
    products: Vec<RawProduct>,
    status: Status,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    impact_statement: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawVuln {
    #[serde(rename = "@id", default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
struct RawProduct {
    #[serde(rename = "@id", default)]
    id: Option<String>,
    #[serde(default)]
    identifiers: Option<Value>,
    #[serde(default)]
    subcomponents: Vec<RawProduct>,
}

impl RawProduct {
    fn purls(&self, out: &mut Vec<String>) {
        let ids = self.id.iter().map(String::as_str).chain(
            self.identifiers
                .as_ref()
                .and_then(|i| i.get("purl"))
                .and_then(Value::as_str),
        );
        for p in ids.filter(|p| p.starts_with("pkg:")) {
            if !out.iter().any(|x| x == p) {
                out.push(p.to_string());
            }
        }
        for s in &self.subcomponents {
            s.purls(out);
        }
    }
}

impl VexDocument {
    /// Parse an OpenVEX JSON document and check what the spec makes mandatory for the
    /// parts hull relies on.
    pub fn parse(bytes: &[u8]) -> Result<VexDocument, VexError> {
        let v: Value = serde_json::from_slice(bytes).map_err(VexError::Json)?;
        let raw: RawDoc = serde_json::from_value(v).map_err(VexError::Shape)?;
        if !raw.context.starts_with("https://openvex.dev/ns") {
            return Err(VexError::Context(raw.context));
        }
        let mut statements = Vec::with_capacity(raw.statements.len());
        for (index, s) in raw.statements.into_iter().enumerate() {
            let vulnerability = s
                .vulnerability
                .name
                .clone()
                .or_else(|| s.vulnerability.id.clone())
                .filter(|n| !n.trim().is_empty())
                .ok_or(VexError::NoVulnerability { index })?;
            let mut names: Vec<String> = s
                .vulnerability
                .name
                .into_iter()
                .chain(s.vulnerability.id)
                .chain(s.vulnerability.aliases)
                .filter(|n| !n.trim().is_empty())
                .collect();
            names.dedup();
            let mut purls = Vec::new();
            for p in &s.products {
                p.purls(&mut purls);
            }
            if purls.is_empty() {
                return Err(VexError::NoProduct {
                    index,
                    vulnerability,
                });
            }
            if s.status == Status::NotAffected
                && s.justification.is_none()
                && s.impact_statement.is_none()
            {
                return Err(VexError::NoJustification {
                    index,
                    vulnerability,
                });
            }
            statements.push(VexStatement {
                vulnerability,
                names,
                purls,
                status: s.status,
                justification: s.justification,
                impact_statement: s.impact_statement,
                timestamp: s.timestamp,
            });
        }
        Ok(VexDocument {
            id: raw.id,
            timestamp: raw.timestamp,
            statements,
        })
    }
}

impl VexStatement {
    pub fn applies_to(&self, f: &Finding) -> bool {
        self.names.iter().any(|n| names_finding(n, f))
            && self
                .purls
                .iter()
                .any(|p| purl_matches(p, f.package.purl.as_str()))
    }
}

/// The winning statement for `f` across `docs`, as a suppression when it suppresses.
pub(crate) fn suppression(docs: &[VexDocument], f: &Finding) -> Option<Suppression> {
    suppression_by(docs, &|s| s.applies_to(f))
}

/// The winning statement for a content finding (secret, file or config check): a
/// statement applies when its vulnerability name or an alias is the rule id or the
/// secret's fingerprint; products are not compared (the finding is in the image itself,
/// not in a package).
pub(crate) fn check_suppression(
    docs: &[VexDocument],
    f: &hull_model::CheckFinding,
) -> Option<Suppression> {
    suppression_by(docs, &|s| {
        s.names.iter().any(|n| {
            let n = n.trim();
            n.eq_ignore_ascii_case(&f.rule) || f.fingerprint.as_deref() == Some(n)
        })
    })
}

fn suppression_by(
    docs: &[VexDocument],
    applies: &dyn Fn(&VexStatement) -> bool,
) -> Option<Suppression> {
    let mut best: Option<(&str, &VexDocument, &VexStatement)> = None;
    for d in docs {
        for s in d.statements.iter().filter(|s| applies(s)) {
            let ts = s
                .timestamp
                .as_deref()
                .or(d.timestamp.as_deref())
                .unwrap_or("");
            // RFC 3339 UTC timestamps order as strings; `>=` keeps the later one on ties.
            if best.is_none_or(|(b, _, _)| ts >= b) {
                best = Some((ts, d, s));
            }
        }
    }
    let (_, d, s) = best?;
    matches!(s.status, Status::NotAffected | Status::Fixed).then(|| Suppression::Vex {
        document: d.id.clone(),
        vulnerability: s.vulnerability.clone(),
        status: s.status.as_str().to_string(),
        justification: s.justification.clone(),
        impact_statement: s.impact_statement.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::tests::finding;
    use crate::filter::{apply, Filters};
    use hull_model::{FixState, Severity};

    fn doc(statements: &str) -> Vec<u8> {
        format!(
            r#"{{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex-1",
            "author":"sec team","timestamp":"2026-01-01T00:00:00Z","version":1,
            "statements":[{statements}]}}"#
        )
        .into_bytes()
    }

    #[test]
    fn statuses_and_matching() {
        let f = finding("CVE-1", Severity::High, FixState::NotFixed);
        for (stmt, suppressed) in [
            (
                r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:apk/alpine/openssl@1.1.1b-r1"}],
                   "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}"#,
                true,
            ),
            (
                r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:apk/alpine/openssl"}],"status":"fixed"}"#,
                true,
            ),
            (
                r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:apk/alpine/openssl"}],"status":"affected"}"#,
                false,
            ),
            (
                r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:apk/alpine/openssl"}],"status":"under_investigation"}"#,
                false,
            ),
            // By alias, through a subcomponent of the image product, via identifiers.purl.
            (
                r#"{"vulnerability":{"@id":"https://x/GHSA","name":"GHSA-xxxx-yyyy-zzzz"},
                   "products":[{"@id":"pkg:oci/app","subcomponents":[{"identifiers":{"purl":"pkg:apk/alpine/openssl?arch=x86_64"}}]}],
                   "status":"not_affected","impact_statement":"not shipped"}"#,
                true,
            ),
            (
                r#"{"vulnerability":{"name":"CVE-2","aliases":["cve-1"]},"products":[{"@id":"pkg:apk/alpine/openssl"}],"status":"fixed"}"#,
                true,
            ),
            // Wrong version, wrong qualifier, wrong vulnerability.
            (
                r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:apk/alpine/openssl@9"}],"status":"fixed"}"#,
                false,
            ),
            (
                r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:apk/alpine/openssl?arch=s390x"}],"status":"fixed"}"#,
                false,
            ),
            (
                r#"{"vulnerability":{"name":"CVE-9"},"products":[{"@id":"pkg:apk/alpine/openssl"}],"status":"fixed"}"#,
                false,
            ),
        ] {
            let d = VexDocument::parse(&doc(stmt)).unwrap();
            let out = apply(
                vec![f.clone()],
                &Filters {
                    vex: vec![d],
                    ..Filters::default()
                },
            );
            assert_eq!(out.findings[0].suppressed.is_some(), suppressed, "{stmt}");
        }
    }

    #[test]
    fn latest_statement_wins() {
        let f = finding("CVE-1", Severity::High, FixState::NotFixed);
        let d = VexDocument::parse(&doc(
            r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:apk/alpine/openssl"}],
                "status":"not_affected","justification":"component_not_present","timestamp":"2026-02-01T00:00:00Z"},
               {"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:apk/alpine/openssl"}],
                "status":"affected","timestamp":"2026-03-01T00:00:00Z"}"#,
        ))
        .unwrap();
        assert_eq!(suppression(std::slice::from_ref(&d), &f), None);
        // Newer not_affected statement now wins over the affected one.
        let mut d2 = d.clone();
        d2.statements[0].timestamp = Some("2026-04-01T00:00:00Z".into());
        let s = suppression(&[d2], &f).unwrap();
        assert_eq!(
            s,
            Suppression::Vex {
                document: "https://example.com/vex-1".into(),
                vulnerability: "CVE-1".into(),
                status: "not_affected".into(),
                justification: Some("component_not_present".into()),
                impact_statement: None,
            }
        );
    }

    #[test]
    fn rejects_bad_documents() {
        for bad in [
            b"not json".to_vec(),
            br#"{"@context":"https://example.com","statements":[]}"#.to_vec(),
            doc(r#"{"vulnerability":{},"products":[{"@id":"pkg:npm/x"}],"status":"fixed"}"#),
            doc(r#"{"vulnerability":{"name":"CVE-1"},"products":[],"status":"fixed"}"#),
            doc(
                r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/x"}],"status":"not_affected"}"#,
            ),
            doc(
                r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/x"}],"status":"maybe"}"#,
            ),
        ] {
            assert!(
                VexDocument::parse(&bad).is_err(),
                "{}",
                String::from_utf8_lossy(&bad)
            );
        }
    }
}
