//! NVD CVE records (API 2.0 pages and single `cve` objects), used only to enrich
//! severity and CVSS of findings whose own feed has none. NVD's CPE ranges are never
//! stored: distro packages must not be matched by them.
//!
//! Metric choice: the newest CVSS version present (4.0, 3.1, 3.0, 2), and within it
//! NVD's own `Primary` score before a CNA's `Secondary` one.

use hull_model::{Advisory, Severity};

use super::{syntax, FeedError, Format, Parsed, Skipped};

/// Paging fields of an API 2.0 response (absent in single records: then one page
/// holding everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Page {
    /// `totalResults`: records matching the query, over all pages.
    pub total_results: u64,
    /// `startIndex` of this page.
    pub start_index: u64,
    /// Records in this page's `vulnerabilities` list (rejected and malformed included):
    /// the caller advances `startIndex` by this.
    pub results: u64,
}

pub fn parse(file: &str, text: &str) -> Result<Parsed, FeedError> {
    parse_page(file, text).map(|(parsed, _)| parsed)
}

/// Parse one API 2.0 response and its paging fields.
pub fn parse_page(file: &str, text: &str) -> Result<(Parsed, Page), FeedError> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| syntax(file, Format::NvdJson, e))?;
    let mut out = Parsed {
        source_hint: Some("nvd".into()),
        ..Parsed::default()
    };
    let records: Vec<&serde_json::Value> = match doc.get("vulnerabilities") {
        Some(serde_json::Value::Array(v)) => v.iter().map(|x| x.get("cve").unwrap_or(x)).collect(),
        _ if doc.get("id").is_some() => vec![&doc],
        _ => {
            return Err(syntax(
                file,
                Format::NvdJson,
                "no `vulnerabilities` list or `cve` object",
            ))
        }
    };
    let count = records.len() as u64;
    let field = |k: &str| doc.get(k).and_then(|v| v.as_u64());
    let page = Page {
        total_results: field("totalResults").unwrap_or(count),
        start_index: field("startIndex").unwrap_or(0),
        results: count,
    };
    for (i, cve) in records.into_iter().enumerate() {
        let Some(id) = cve
            .get("id")
            .and_then(|v| v.as_str())
            .filter(|s| s.starts_with("CVE-"))
        else {
            out.skipped.push(Skipped {
                file: file.to_string(),
                record: format!("vulnerabilities[{i}]"),
                reason: "record without a CVE id".into(),
            });
            continue;
        };
        if cve.get("vulnStatus").and_then(|s| s.as_str()) == Some("Rejected") {
            out.rejected.push(id.to_string());
            continue;
        }
        let (severity, vector) = pick_metric(cve.get("metrics"));
        let summary = cve
            .get("descriptions")
            .and_then(|d| d.as_array())
            .and_then(|d| {
                d.iter()
                    .find(|x| x.get("lang").and_then(|l| l.as_str()) == Some("en"))
                    .or_else(|| d.first())
            })
            .and_then(|x| x.get("value"))
            .and_then(|v| v.as_str())
            .map(|s| s.chars().take(300).collect());
        out.advisories.push(Advisory {
            id: id.to_string(),
            source: "nvd".into(),
            summary,
            severity,
            cvss: vector.into_iter().collect(),
            published: cve
                .get("published")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            modified: cve
                .get("lastModified")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            ..Default::default()
        });
    }
    Ok((out, page))
}

/// (severity, vector) of the preferred metric.
fn pick_metric(metrics: Option<&serde_json::Value>) -> (Severity, Option<String>) {
    let Some(m) = metrics else {
        return (Severity::Unknown, None);
    };
    for key in [
        "cvssMetricV40",
        "cvssMetricV31",
        "cvssMetricV30",
        "cvssMetricV2",
    ] {
        let Some(list) = m.get(key).and_then(|l| l.as_array()) else {
            continue;
        };
        let primary = list.iter().find(|x| {
            x.get("type").and_then(|t| t.as_str()) == Some("Primary")
                && x.get("source").and_then(|t| t.as_str()) == Some("nvd@nist.gov")
        });
        let Some(chosen) = primary.or_else(|| list.first()) else {
            continue;
        };
        let data = chosen.get("cvssData");
        let sev = data
            .and_then(|d| d.get("baseSeverity"))
            .or_else(|| chosen.get("baseSeverity")) // V2 keeps it on the metric
            .and_then(|s| s.as_str())
            .and_then(|s| s.parse().ok())
            .or_else(|| {
                data.and_then(|d| d.get("baseScore"))
                    .and_then(|s| s.as_f64())
                    .map(Severity::from_cvss_score)
            })
            .unwrap_or(Severity::Unknown);
        let vector = data
            .and_then(|d| d.get("vectorString"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        return (sev, vector);
    }
    (Severity::Unknown, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_nvd_metric_wins() {
        let j = r#"{"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"CVE-2024-43796","vulnStatus":"Analyzed",
          "descriptions":[{"lang":"es","value":"x"},{"lang":"en","value":"Express XSS"}],
          "metrics":{"cvssMetricV31":[
            {"source":"security-advisories@github.com","type":"Secondary","cvssData":{"vectorString":"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:L","baseScore":5.0,"baseSeverity":"MEDIUM"}},
            {"source":"nvd@nist.gov","type":"Primary","cvssData":{"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N","baseScore":4.7,"baseSeverity":"MEDIUM"}}],
            "cvssMetricV2":[{"source":"nvd@nist.gov","type":"Primary","baseSeverity":"HIGH","cvssData":{"baseScore":7.5}}]}}},
          {"cve":{"id":"CVE-2000-1","vulnStatus":"Rejected"}},{"cve":{"id":"bogus"}}]}"#;
        let p = parse("t", j).unwrap();
        assert_eq!(p.advisories.len(), 1);
        let a = &p.advisories[0];
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.cvss, vec!["CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"]);
        assert_eq!(a.summary.as_deref(), Some("Express XSS"));
        assert!(a.affected.is_empty());
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.rejected, vec!["CVE-2000-1"]);
        let (_, page) = parse_page(
            "t",
            r#"{"resultsPerPage":2,"startIndex":4,"totalResults":9,"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"CVE-1"}},{"cve":{"id":"CVE-2"}}]}"#,
        )
        .unwrap();
        assert_eq!(
            page,
            Page {
                total_results: 9,
                start_index: 4,
                results: 2
            }
        );
    }
}
