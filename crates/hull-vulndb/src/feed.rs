//! Feed readers: one module per native format, chosen by looking at the content.
//!
//! Every reader turns one file's bytes into normalised [`Advisory`] values plus a list
//! of [`Skipped`] records (malformed entries are reported and skipped, never fatal for
//! the rest of the file). [`detect`] picks the format from the bytes alone, so
//! `hull db import` takes any mix of files, directories and zips.

pub mod alpine;
pub mod amazon;
pub mod debian_list;
pub mod debian_tracker;
pub mod mariner_oval;
pub mod nvd;
pub mod oracle_oval;
pub mod osv;
pub mod photon;
pub mod redhat_api;
pub mod redhat_csaf;
pub mod redhat_oval;
pub mod rustsec;
pub mod wolfi;

use hull_model::Advisory;
use serde::Serialize;

/// The native formats hull reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Alpine secdb, JSON (`secdb.alpinelinux.org/vX.Y/main.json`); also Wolfi's and
    /// Chainguard's `security.json` (same shape, see [`wolfi`]).
    AlpineJson,
    /// Alpine secdb, YAML (the historical alpine-secdb repository).
    AlpineYaml,
    /// Debian security tracker raw `data/DSA/list` or `data/DLA/list`.
    DebianList,
    /// Debian security tracker JSON (`/tracker/data/json`).
    DebianTrackerJson,
    /// Red Hat Security Data API per-CVE JSON.
    RedHatApi,
    /// Red Hat OVAL v2 XML.
    RedHatOval,
    /// OSV JSON (one record, or an array of records).
    OsvJson,
    /// OSV YAML (PyPA advisory-database).
    OsvYaml,
    /// RustSec native advisory (TOML front matter in Markdown).
    RustsecMarkdown,
    /// Red Hat CSAF 2.0 advisory or VEX document.
    RedHatCsaf,
    /// NVD CVE API 2.0 (pages or single `cve` objects): severity enrichment only.
    NvdJson,
    /// endoflife.date product file (`/api/<product>.json`): OS release end-of-life dates.
    EndOfLife,
    /// Amazon Linux ALAS `updateinfo.xml` (yum repository metadata).
    AmazonUpdateinfo,
    /// Oracle Linux ELSA OVAL (`com.oracle.elsa-olN.xml`).
    OracleOval,
    /// Photon OS CVE metadata (`cve_data_photonX.Y.json`).
    PhotonCve,
    /// Azure Linux / CBL-Mariner OVAL (`cbl-mariner-2.0-oval.xml`).
    MarinerOval,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::AlpineJson => "alpine-secdb-json",
            Format::AlpineYaml => "alpine-secdb-yaml",
            Format::DebianList => "debian-list",
            Format::DebianTrackerJson => "debian-tracker-json",
            Format::RedHatApi => "redhat-security-data",
            Format::RedHatOval => "redhat-oval",
            Format::OsvJson => "osv-json",
            Format::OsvYaml => "osv-yaml",
            Format::RustsecMarkdown => "rustsec",
            Format::NvdJson => "nvd-json",
            Format::RedHatCsaf => "redhat-csaf",
            Format::EndOfLife => "endoflife-date",
            Format::AmazonUpdateinfo => "amazon-updateinfo",
            Format::OracleOval => "oracle-oval",
            Format::PhotonCve => "photon-cve",
            Format::MarinerOval => "mariner-oval",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record a reader could not use: which file, which record, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub file: String,
    /// Record id when one could be read, else a position (`line 12`, `entry 3`).
    pub record: String,
    pub reason: String,
}

/// What one file yielded.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub advisories: Vec<Advisory>,
    pub skipped: Vec<Skipped>,
    /// A source name the content itself implies (`alpine-secdb:v3.9-main`,
    /// `debian-dsa`), used when the caller did not name the source.
    pub source_hint: Option<String>,
    /// Ids the feed marks as rejected (NVD `vulnStatus: Rejected`): not stored, and
    /// removed from the stored source when an incremental update is merged in.
    pub rejected: Vec<String>,
    /// OS release end-of-life dates (endoflife.date files).
    pub eol: Vec<crate::eol::ReleaseEol>,
}

/// Why a whole file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("{file}: not valid {format}: {reason}")]
    Syntax {
        file: String,
        format: Format,
        reason: String,
    },
}

/// Guess the format of `bytes` (file `name` only breaks ties, e.g. `.md`).
/// Returns `None` for files that are not advisory data (READMEs, checksums…).
pub fn detect(name: &str, bytes: &[u8]) -> Option<Format> {
    let text = std::str::from_utf8(bytes).ok()?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let head: String = trimmed.chars().take(4096).collect();
    // DSA/DLA lists also start with `[` (the date), so they are checked before JSON.
    if debian_list::looks_like(&head) {
        return Some(Format::DebianList);
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return detect_json(&head, trimmed);
    }
    if trimmed.starts_with("<?xml") || trimmed.starts_with('<') {
        if head.contains("<updates") && head.contains("<update ") {
            return Some(Format::AmazonUpdateinfo);
        }
        if !head.contains("oval_definitions") {
            return None;
        }
        return Some(if oracle_oval::looks_like(trimmed) {
            Format::OracleOval
        } else if mariner_oval::looks_like(trimmed) {
            Format::MarinerOval
        } else {
            Format::RedHatOval
        });
    }
    if head.contains("```toml") && head.contains("[advisory]") {
        return Some(Format::RustsecMarkdown);
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") || head.starts_with("---") {
        if head.contains("distroversion:") && head.contains("packages:") {
            return Some(Format::AlpineYaml);
        }
        if has_yaml_key(&head, "id")
            && (has_yaml_key(&head, "affected") || has_yaml_key(&head, "modified"))
        {
            return Some(Format::OsvYaml);
        }
    }
    None
}

fn has_yaml_key(head: &str, key: &str) -> bool {
    head.lines()
        .any(|l| l.strip_prefix(key).is_some_and(|r| r.starts_with(':')))
}

fn detect_json(head: &str, text: &str) -> Option<Format> {
    if head.starts_with('[') && head.contains("\"cycle\"") && head.contains("\"eol\"") {
        return Some(Format::EndOfLife);
    }
    if photon::looks_like(head) {
        return Some(Format::PhotonCve);
    }
    if head.contains("\"csaf_version\"") {
        return Some(Format::RedHatCsaf);
    }
    if head.contains("\"NVD_CVE\"")
        || (head.contains("\"sourceIdentifier\"") && head.contains("\"vulnStatus\""))
    {
        return Some(Format::NvdJson);
    }
    if head.contains("\"distroversion\"") && head.contains("\"packages\"") {
        return Some(Format::AlpineJson);
    }
    // Wolfi / Chainguard secdb: Alpine's shape with `apkurl`/`urlprefix` instead of
    // `distroversion`.
    if head.contains("\"urlprefix\"") && head.contains("\"packages\"") {
        return Some(Format::AlpineJson);
    }
    if head.contains("\"affected_release\"")
        || head.contains("\"package_state\"")
        || head.contains("\"threat_severity\"")
    {
        return Some(Format::RedHatApi);
    }
    if head.contains("\"releases\"") && head.contains("\"status\"") {
        return Some(Format::DebianTrackerJson);
    }
    if head.contains("\"id\"")
        && (head.contains("\"affected\"")
            || head.contains("\"modified\"")
            || head.contains("\"schema_version\""))
    {
        return Some(Format::OsvJson);
    }
    // The head can miss keys of a large record; look at the top-level keys properly.
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v.get("document")
        .and_then(|d| d.get("csaf_version"))
        .is_some()
    {
        return Some(Format::RedHatCsaf);
    }
    let obj = match &v {
        serde_json::Value::Object(o) => o,
        serde_json::Value::Array(a) => a.first()?.as_object()?,
        _ => return None,
    };
    if obj.contains_key("id") && obj.contains_key("modified") {
        return Some(Format::OsvJson);
    }
    if obj.contains_key("affected_release") || obj.contains_key("package_state") {
        return Some(Format::RedHatApi);
    }
    let tracker_like = obj.values().take(3).all(|pkg| {
        pkg.as_object()
            .and_then(|issues| issues.values().next())
            .and_then(|i| i.get("releases"))
            .is_some()
    });
    (!obj.is_empty() && tracker_like).then_some(Format::DebianTrackerJson)
}

/// Parse one file in a known format. `file` names it in reports.
pub fn parse(format: Format, file: &str, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FeedError::Syntax {
        file: file.to_string(),
        format,
        reason: format!("not UTF-8: {e}"),
    })?;
    let text = text.trim_start_matches('\u{feff}');
    match format {
        Format::AlpineJson | Format::AlpineYaml => alpine::parse(format, file, text),
        Format::DebianList => Ok(debian_list::parse(file, text)),
        Format::DebianTrackerJson => debian_tracker::parse(file, text),
        Format::RedHatApi => redhat_api::parse(file, text),
        Format::RedHatOval => redhat_oval::parse(file, text),
        Format::OsvJson | Format::OsvYaml => osv::parse(format, file, text),
        Format::RustsecMarkdown => rustsec::parse(file, text),
        Format::NvdJson => nvd::parse(file, text),
        Format::RedHatCsaf => redhat_csaf::parse(file, text),
        Format::EndOfLife => crate::eol::parse(file, text),
        Format::AmazonUpdateinfo => amazon::parse(file, text),
        Format::OracleOval => oracle_oval::parse(file, text),
        Format::PhotonCve => photon::parse(file, text),
        Format::MarinerOval => mariner_oval::parse(file, text),
    }
}

/// Detect and parse; `Ok(None)` when the file is not advisory data.
pub fn parse_any(file: &str, bytes: &[u8]) -> Result<Option<(Format, Parsed)>, FeedError> {
    match detect(file, bytes) {
        Some(f) => parse(f, file, bytes).map(|p| Some((f, p))),
        None => Ok(None),
    }
}

pub(crate) fn syntax(file: &str, format: Format, reason: impl std::fmt::Display) -> FeedError {
    FeedError::Syntax {
        file: file.to_string(),
        format,
        reason: reason.to_string(),
    }
}

/// Debian release codenames to the major version the namespace uses. Debian OSV and
/// ELTS records key on the number, the tracker on the codename: one namespace for both.
pub fn debian_release(codename_or_version: &str) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("buzz", "1.1"),
        ("rex", "1.2"),
        ("bo", "1.3"),
        ("hamm", "2.0"),
        ("slink", "2.1"),
        ("potato", "2.2"),
        ("woody", "3.0"),
        ("sarge", "3.1"),
        ("etch", "4"),
        ("lenny", "5"),
        ("squeeze", "6"),
        ("wheezy", "7"),
        ("jessie", "8"),
        ("stretch", "9"),
        ("buster", "10"),
        ("bullseye", "11"),
        ("bookworm", "12"),
        ("trixie", "13"),
        ("forky", "14"),
        ("duke", "15"),
        ("sid", "sid"),
    ];
    let key = codename_or_version.trim().to_ascii_lowercase();
    TABLE
        .iter()
        .find(|(c, v)| *c == key || *v == key)
        .map(|(_, v)| *v)
}

/// Extract well-formed `CVE-YYYY-NNNN` ids from a dirty id string (Alpine secdb has
/// `CVE_2019-2426`, `CVE-2017-8073.patch`, `CVE-2018-14881 (BGP)`…).
pub fn extract_cves(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i + 4 <= b.len() {
        let at = &b[i..];
        let is_cve = at.len() >= 4
            && at[..3].eq_ignore_ascii_case(b"cve")
            && matches!(at[3], b'-' | b'_' | b' ');
        if is_cve && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i + 4;
            let y0 = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j - y0 == 4 && j < b.len() && matches!(b[j], b'-' | b'_') {
                let n0 = j + 1;
                let mut k = n0;
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                if k - n0 >= 4 {
                    out.push(format!("CVE-{}-{}", &s[y0..y0 + 4], &s[n0..k]));
                    i = k;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_extraction_from_dirty_ids() {
        for (raw, want) in [
            ("CVE-2016-6258 XSA-182", vec!["CVE-2016-6258"]),
            ("XSA-207", vec![]),
            ("CVE-????-?????  XSA-284", vec![]),
            ("CVE-2018-14881 (BGP)", vec!["CVE-2018-14881"]),
            ("CVE_2019-2426", vec!["CVE-2019-2426"]),
            ("CVE-2017-8073.patch", vec!["CVE-2017-8073"]),
            ("CVE-2017-17434-1", vec!["CVE-2017-17434"]),
            ("CVE 2018-16859", vec!["CVE-2018-16859"]),
            ("wnpa-sec-2017-18", vec![]),
        ] {
            assert_eq!(extract_cves(raw), want, "{raw}");
        }
    }

    #[test]
    fn detects_formats_by_content() {
        assert_eq!(
            detect("x", b"{\"distroversion\":\"v3.9\",\"packages\":[]}"),
            Some(Format::AlpineJson)
        );
        assert_eq!(
            detect("x", b"[01 Apr 2023] DLA-3380-1 foo - security update\n"),
            Some(Format::DebianList)
        );
        assert_eq!(
            detect(
                "a.yaml",
                b"id: PYSEC-1\nmodified: 2021-01-01\naffected: []\n"
            ),
            Some(Format::OsvYaml)
        );
        assert_eq!(detect("README.md", b"# hello\n"), None);
        assert_eq!(debian_release("Buster"), Some("10"));
        assert_eq!(debian_release("8"), Some("8"));
    }
}
