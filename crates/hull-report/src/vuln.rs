//! Vulnerability reports for `hull image`: an [`Inventory`] plus its assessed findings
//! rendered as a table, hull JSON, SARIF 2.1.0, CycloneDX 1.6 or SPDX 2.3.
//!
//! Findings carry no CVSS data (it lives in the advisories), so callers pass a
//! [`Details`] map built with [`VulnDetail::from_advisory`] and a CVSS scorer of their
//! choice; without it reports fall back to the finding's severity. Like the SBOM
//! writers, renderers are pure: findings are sorted, the clock and document UUID come
//! from [`WriteOptions`].
//!
//! ```
//! use hull_model::Inventory;
//! use hull_report::filter::{apply, Filters};
//! use hull_report::vuln::{render, Details, ScanReport, VulnFormat};
//! use hull_report::WriteOptions;
//!
//! let inv = Inventory::default();
//! let filtered = apply(Vec::new(), &Filters::default());
//! let details = Details::new();
//! let report = ScanReport { inventory: &inv, filtered: &filtered, details: &details, coverage: None };
//! let sarif = render(&report, VulnFormat::Sarif, &WriteOptions::fixed("2026-01-01T00:00:00Z")).unwrap();
//! assert!(sarif.contains("\"version\": \"2.1.0\""));
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use hull_model::{Advisory, Finding, Inventory, Severity};

use crate::filter::{Assessed, Filtered};
use crate::WriteOptions;

pub mod cyclonedx;
pub mod json;
pub mod sarif;
pub mod spdx;
pub mod table;

/// `hull image --format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VulnFormat {
    Table,
    Json,
    Sarif,
    CycloneDx,
    SpdxJson,
}

impl VulnFormat {
    pub const ALL: [VulnFormat; 5] = [
        VulnFormat::Table,
        VulnFormat::Json,
        VulnFormat::Sarif,
        VulnFormat::CycloneDx,
        VulnFormat::SpdxJson,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VulnFormat::Table => "table",
            VulnFormat::Json => "json",
            VulnFormat::Sarif => "sarif",
            VulnFormat::CycloneDx => "cyclonedx",
            VulnFormat::SpdxJson => "spdx-json",
        }
    }
}

impl fmt::Display for VulnFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for VulnFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        VulnFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown format `{s}` (expected table, json, sarif, cyclonedx or spdx-json)"
                )
            })
    }
}

/// One CVSS rating of a vulnerability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// The vector as the feed gave it (`CVSS:3.1/AV:N/…`).
    pub vector: String,
    /// Base score when the caller's scorer could compute it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl Rating {
    /// CycloneDX `ratings[].method` for the vector's CVSS version.
    pub fn method(&self) -> &'static str {
        if self.vector.starts_with("CVSS:4.") {
            "CVSSv4"
        } else if self.vector.starts_with("CVSS:3.1") {
            "CVSSv31"
        } else if self.vector.starts_with("CVSS:3") {
            "CVSSv3"
        } else if self.vector.starts_with("AV:") || self.vector.starts_with("(AV:") {
            "CVSSv2"
        } else {
            "other"
        }
    }
}

/// What reports show about a vulnerability beyond the finding: ratings and links.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VulnDetail {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// Details keyed by advisory record id (the ids in [`Finding::advisories`]).
pub type Details = BTreeMap<String, VulnDetail>;

impl VulnDetail {
    /// From a stored advisory; `score` turns a vector into a base score (e.g.
    /// `hull_vulndb::cvss::base_score`), `None` when it cannot.
    pub fn from_advisory(adv: &Advisory, score: &dyn Fn(&str) -> Option<f64>) -> VulnDetail {
        VulnDetail {
            ratings: adv
                .cvss
                .iter()
                .map(|v| Rating {
                    vector: v.clone(),
                    score: score(v).filter(|s| s.is_finite() && (0.0..=10.0).contains(s)),
                })
                .collect(),
            references: adv.references.clone(),
            summary: adv.summary.clone(),
        }
    }
}

/// Everything a vulnerability report is made from.
#[derive(Debug, Clone, Copy)]
pub struct ScanReport<'a> {
    pub inventory: &'a Inventory,
    pub filtered: &'a Filtered,
    pub details: &'a Details,
    /// What the matcher could check, per ecosystem (`hull_match::Report::coverage`).
    /// `None` when the caller does not know: every package then counts as checked.
    pub coverage: Option<&'a hull_model::Coverage>,
}

impl ScanReport<'_> {
    /// Checked and unchecked package counts per ecosystem: the matcher's, or, when
    /// the caller passed none, every inventoried package counted as checked.
    pub fn coverage(&self) -> hull_model::Coverage {
        match self.coverage {
            Some(c) => c.clone(),
            None => {
                let mut c = hull_model::Coverage::default();
                for p in &self.inventory.packages {
                    c.add(p.ecosystem.as_str(), None);
                }
                c
            }
        }
    }

    /// Every assessed finding in report order: package file, package, version, id.
    pub fn sorted(&self) -> Vec<&Assessed> {
        let mut v: Vec<&Assessed> = self.filtered.findings.iter().collect();
        v.sort_by(|a, b| key(&a.finding).cmp(&key(&b.finding)));
        v
    }

    /// Ratings of a finding merged over its advisories, de-duplicated by vector.
    pub fn ratings(&self, f: &Finding) -> Vec<Rating> {
        let mut out: Vec<Rating> = Vec::new();
        for d in self.details_of(f) {
            for r in &d.ratings {
                if !out.iter().any(|o| o.vector == r.vector) {
                    out.push(r.clone());
                }
            }
        }
        out
    }

    /// The highest known CVSS base score of a finding.
    pub fn max_score(&self, f: &Finding) -> Option<f64> {
        self.ratings(f)
            .iter()
            .filter_map(|r| r.score)
            .fold(None, |m, s| Some(m.map_or(s, |m: f64| m.max(s))))
    }

    /// The finding's title, else an advisory summary.
    pub fn title(&self, f: &Finding) -> Option<String> {
        f.title
            .clone()
            .or_else(|| self.details_of(f).find_map(|d| d.summary.clone()))
    }

    pub fn references(&self, f: &Finding) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for d in self.details_of(f) {
            for r in &d.references {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        out
    }

    fn details_of<'b>(&'b self, f: &'b Finding) -> impl Iterator<Item = &'b VulnDetail> + 'b {
        std::iter::once(&f.id)
            .chain(f.advisories.iter().filter(move |a| **a != f.id))
            .filter_map(|a| self.details.get(a))
    }
}

fn key(f: &Finding) -> (&str, &str, &str, &str, &str) {
    (
        f.package.path.as_str(),
        f.package.name.as_str(),
        f.package.version.as_str(),
        f.id.as_str(),
        f.package.purl.as_str(),
    )
}

/// A page about `id`: NVD for CVEs, GitHub for GHSAs, else the first reference, else OSV.
pub fn help_uri(id: &str, references: &[String]) -> String {
    if id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{id}")
    } else if id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{id}")
    } else if let Some(r) = references.iter().find(|r| r.starts_with("https://")) {
        r.clone()
    } else if is_vuln_id(id) {
        format!("https://osv.dev/vulnerability/{id}")
    } else {
        // Feed-local ids (Alpine's `pkg@fixed-version`) have no page of their own.
        let q: String = id
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("https://osv.dev/list?q={q}")
    }
}

/// `PREFIX-rest` ids as OSV and the vendors write them (`PYSEC-2021-1`, `RUSTSEC-…`,
/// `DSA-5365-1`, `RHSA-2023:5309`), as opposed to feed-local keys like `musl@1.2-r0`.
pub fn is_vuln_id(id: &str) -> bool {
    match id.split_once('-') {
        Some((prefix, rest)) => {
            !prefix.is_empty()
                && !rest.is_empty()
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b))
        }
        None => false,
    }
}

/// The score shown where a number is required (SARIF `security-severity`): the CVSS
/// base score when known, else a value inside the severity's CVSS band.
pub fn score_or_band(score: Option<f64>, sev: Severity) -> Option<f64> {
    score.or(match sev {
        Severity::Critical => Some(9.5),
        Severity::High => Some(8.0),
        Severity::Medium => Some(5.5),
        Severity::Low => Some(2.0),
        Severity::Negligible => Some(0.0),
        Severity::Unknown => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_uris() {
        for (id, refs, want) in [
            (
                "CVE-2019-1543",
                vec![],
                "https://nvd.nist.gov/vuln/detail/CVE-2019-1543",
            ),
            (
                "GHSA-jf85-cpcp-j695",
                vec![],
                "https://github.com/advisories/GHSA-jf85-cpcp-j695",
            ),
            (
                "PYSEC-2021-1",
                vec!["http://x".to_string(), "https://y".to_string()],
                "https://y",
            ),
            (
                "RUSTSEC-2020-0001",
                vec![],
                "https://osv.dev/vulnerability/RUSTSEC-2020-0001",
            ),
            (
                "musl@1.1.20-r5",
                vec![],
                "https://osv.dev/list?q=musl%401.1.20-r5",
            ),
        ] {
            assert_eq!(help_uri(id, &refs), want);
        }
        assert!(is_vuln_id("RHSA-2023:5309") && !is_vuln_id("openssl@1.1.1d-r0"));
        assert!(!is_vuln_id("lower-case") && !is_vuln_id("CVE-"));
    }
}

/// Errors rendering a report; only the sink or serialisation can fail.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot write {format} report")]
    Io {
        format: VulnFormat,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot serialise {format} report")]
    Json {
        format: VulnFormat,
        #[source]
        source: serde_json::Error,
    },
}

/// Render into a string.
pub fn render(
    report: &ScanReport,
    format: VulnFormat,
    opts: &WriteOptions,
) -> Result<String, RenderError> {
    let mut buf = Vec::new();
    render_to(report, format, opts, &mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Render into `out`.
pub fn render_to(
    report: &ScanReport,
    format: VulnFormat,
    opts: &WriteOptions,
    out: &mut dyn std::io::Write,
) -> Result<(), RenderError> {
    let io = |source| RenderError::Io { format, source };
    let json = |source| RenderError::Json { format, source };
    let value = match format {
        VulnFormat::Table => {
            return out
                .write_all(table::render(report, 120).as_bytes())
                .map_err(io)
        }
        VulnFormat::Json => json::to_value(report, opts),
        VulnFormat::Sarif => sarif::to_value(report, opts),
        VulnFormat::CycloneDx => cyclonedx::to_value(report, opts),
        VulnFormat::SpdxJson => spdx::to_value(report, opts),
    }
    .map_err(json)?;
    serde_json::to_writer_pretty(&mut *out, &value).map_err(json)?;
    out.write_all(b"\n").map_err(io)
}

/// Today's date (`YYYY-MM-DD`) of a [`WriteOptions`] timestamp, for ignore expiry.
pub fn today(opts: &WriteOptions) -> String {
    opts.timestamp.get(..10).unwrap_or("").to_string()
}

/// The bom-ref / SPDX key of a finding's package: the same `purl#path` identity as
/// [`hull_model::Package::ref_id`], so findings point at the SBOM writers' components.
pub fn package_ref(p: &hull_model::FindingPackage) -> String {
    format!("{}#{}", p.purl, p.path)
}

/// What `hull image` does after matching: assess `findings` with `filters`, render the
/// report in `format` into `out`, and hand back the assessment (for the exit code).
pub fn render_and_filter(
    inventory: &Inventory,
    findings: Vec<Finding>,
    filters: &crate::filter::Filters,
    details: &Details,
    format: VulnFormat,
    opts: &WriteOptions,
    out: &mut dyn std::io::Write,
) -> Result<Filtered, RenderError> {
    render_and_filter_with_coverage(
        inventory, findings, None, filters, details, format, opts, out,
    )
}

/// [`render_and_filter`] with the matcher's per-ecosystem coverage, so the report
/// counts checked and unchecked packages apart.
#[allow(clippy::too_many_arguments)]
pub fn render_and_filter_with_coverage(
    inventory: &Inventory,
    findings: Vec<Finding>,
    coverage: Option<&hull_model::Coverage>,
    filters: &crate::filter::Filters,
    details: &Details,
    format: VulnFormat,
    opts: &WriteOptions,
    out: &mut dyn std::io::Write,
) -> Result<Filtered, RenderError> {
    let filtered = crate::filter::apply(findings, filters);
    let report = ScanReport {
        inventory,
        filtered: &filtered,
        details,
        coverage,
    };
    render_to(&report, format, opts, out)?;
    Ok(filtered)
}
