//! End of life of OS releases: a built-in table, refreshed by `hull db update` from
//! endoflife.date (`https://endoflife.date/api/<product>.json`).
//!
//! "No findings" on a release past its end of life means "nobody is looking": its
//! vendor publishes no more fixes, and often no more advisories. `hull image` warns
//! about it. The date kept is the end of the last support a user gets **without a
//! paid subscription** (Debian LTS counts, Ubuntu Pro / ESM, RHEL ELS and SUSE LTSS do
//! not); the paid extension's end is kept beside it where one exists.
//!
//! The built-in table ([`BUILTIN`]) is the fallback for a database that has no `eol`
//! source; `docs/vulndb.md` lists it with where each date comes from. Rows stored by
//! `db update` win over it.

use hull_model::Distro;
use serde::Serialize;

use crate::feed::{syntax, FeedError, Format, Parsed, Skipped};

/// End of life of one release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseEol {
    /// hull's distro key (`ubuntu`, `debian`, `alpine`, `centos`, `rhel`, `amzn`, …).
    pub distro: String,
    /// The release as hull keys it (`18.04`, `10`, `3.11`, `7`, `2`, `15.3`).
    pub release: String,
    /// `YYYY-MM-DD`: the end of free security support.
    pub eol: String,
    /// `YYYY-MM-DD`: the end of a paid extension (ESM, ELS, LTSS), when one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_until: Option<String>,
    /// `built-in` or the database source the row came from (`eol:ubuntu`).
    pub source: String,
}

/// (distro, release, end of free support, end of paid extended support). Dates from
/// the vendors' lifecycle pages (see `docs/vulndb.md`, "End of life").
pub const BUILTIN: &[(&str, &str, &str, Option<&str>)] = &[
    ("alpine", "3.4", "2018-05-01", None),
    ("alpine", "3.5", "2018-11-01", None),
    ("alpine", "3.6", "2019-05-01", None),
    ("alpine", "3.7", "2019-11-01", None),
    ("alpine", "3.8", "2020-05-01", None),
    ("alpine", "3.9", "2020-11-01", None),
    ("alpine", "3.10", "2021-05-01", None),
    ("alpine", "3.11", "2021-11-01", None),
    ("alpine", "3.12", "2022-05-01", None),
    ("alpine", "3.13", "2022-11-01", None),
    ("alpine", "3.14", "2023-05-01", None),
    ("alpine", "3.15", "2023-11-01", None),
    ("alpine", "3.16", "2024-05-23", None),
    ("alpine", "3.17", "2024-11-22", None),
    ("alpine", "3.18", "2025-05-09", None),
    ("alpine", "3.19", "2025-11-01", None),
    ("alpine", "3.20", "2026-04-01", None),
    ("alpine", "3.21", "2026-11-01", None),
    ("alpine", "3.22", "2027-05-01", None),
    ("almalinux", "8", "2029-03-01", None),
    ("almalinux", "9", "2032-05-31", None),
    ("amzn", "1", "2023-12-31", None),
    ("amzn", "2", "2026-06-30", None),
    ("amzn", "2023", "2029-06-30", None),
    ("centos", "5", "2017-03-31", None),
    ("centos", "6", "2020-11-30", None),
    ("centos", "7", "2024-06-30", None),
    ("centos", "8", "2021-12-31", None),
    ("debian", "7", "2018-05-31", None),
    ("debian", "8", "2020-06-30", Some("2025-06-30")),
    ("debian", "9", "2022-06-30", Some("2027-06-30")),
    ("debian", "10", "2024-06-30", Some("2029-06-30")),
    ("debian", "11", "2026-08-31", Some("2031-06-30")),
    ("debian", "12", "2028-06-30", None),
    ("debian", "13", "2030-06-30", None),
    ("ol", "6", "2021-03-01", Some("2024-12-31")),
    ("ol", "7", "2024-12-31", Some("2028-06-30")),
    ("ol", "8", "2029-07-01", Some("2032-07-31")),
    ("ol", "9", "2032-06-30", Some("2034-06-30")),
    ("rhel", "6", "2020-11-30", Some("2029-06-30")),
    ("rhel", "7", "2024-06-30", Some("2029-06-30")),
    ("rhel", "8", "2029-05-31", Some("2032-05-31")),
    ("rhel", "9", "2032-05-31", Some("2035-05-31")),
    ("rocky", "8", "2029-05-31", None),
    ("rocky", "9", "2032-05-31", None),
    ("sles", "12.5", "2024-10-31", Some("2027-10-31")),
    ("sles", "15.3", "2022-12-31", Some("2025-12-31")),
    ("sles", "15.4", "2023-12-31", Some("2026-12-31")),
    ("sles", "15.5", "2024-12-31", Some("2027-12-31")),
    ("sles", "15.6", "2025-12-31", Some("2028-12-31")),
    ("opensuse-leap", "15.3", "2022-12-31", None),
    ("opensuse-leap", "15.4", "2023-12-07", None),
    ("opensuse-leap", "15.5", "2024-12-31", None),
    ("opensuse-leap", "15.6", "2026-04-30", None),
    ("ubuntu", "14.04", "2019-04-30", Some("2024-04-30")),
    ("ubuntu", "16.04", "2021-04-30", Some("2026-04-30")),
    ("ubuntu", "18.04", "2023-05-31", Some("2028-05-31")),
    ("ubuntu", "20.04", "2025-05-31", Some("2030-05-31")),
    ("ubuntu", "22.04", "2027-06-01", Some("2032-04-30")),
    ("ubuntu", "24.04", "2029-05-31", Some("2034-04-30")),
];

/// endoflife.date product names -> hull distro keys.
pub const PRODUCTS: &[(&str, &str)] = &[
    ("alpine", "alpine"),
    ("amazon-linux", "amzn"),
    ("centos", "centos"),
    ("debian", "debian"),
    ("rhel", "rhel"),
    ("sles", "sles"),
    ("opensuse", "opensuse-leap"),
    ("ubuntu", "ubuntu"),
    ("almalinux", "almalinux"),
    ("rocky-linux", "rocky"),
    ("oracle-linux", "ol"),
];

/// The (distro, release) key of an installed release, or `None` when hull has no rule.
pub fn release_key(d: &Distro) -> Option<(String, String)> {
    let id = d.id.to_ascii_lowercase();
    let ver = d.version_id.trim();
    let mut parts = ver.split('.');
    let major = parts.next().filter(|m| !m.is_empty())?;
    let minor = parts.next();
    let release = match id.as_str() {
        "ubuntu" | "alpine" | "sles" | "opensuse-leap" => format!("{major}.{}", minor?),
        // Amazon Linux 1 carries its YYYY.MM image version (`2018.03`).
        "amzn" if minor.is_some() && major.len() == 4 => "1".to_string(),
        "debian" | "centos" | "rhel" | "amzn" | "almalinux" | "rocky" | "ol" => major.to_string(),
        _ => return None,
    };
    Some((id, release))
}

/// The end of life of `d`: a stored row (from `db update`) when there is one, else the
/// built-in table.
pub fn lookup(d: &Distro, stored: &[ReleaseEol]) -> Option<ReleaseEol> {
    let (distro, release) = release_key(d)?;
    if let Some(r) = stored
        .iter()
        .find(|r| r.distro == distro && r.release == release)
    {
        return Some(r.clone());
    }
    BUILTIN
        .iter()
        .find(|(di, r, _, _)| *di == distro && *r == release)
        .map(|(di, r, eol, ext)| ReleaseEol {
            distro: di.to_string(),
            release: r.to_string(),
            eol: eol.to_string(),
            extended_until: ext.map(str::to_string),
            source: "built-in".into(),
        })
}

/// The one-line warning `hull image` prints for a release past its end of life.
pub fn warning(r: &ReleaseEol) -> String {
    let ext = match &r.extended_until {
        Some(x) => format!(" (paid extended support until {x})"),
        None => String::new(),
    };
    format!(
        "{} {} reached its end of life on {}{ext}: its vendor no longer publishes free fixes, so \"no findings\" does not mean safe (source: {})",
        r.distro, r.release, r.eol, r.source
    )
}

/// Whether `today` (`YYYY-MM-DD`) is past the end of free support.
pub fn is_past(r: &ReleaseEol, today: &str) -> bool {
    today > r.eol.as_str()
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// The product an endoflife.date file is for, from its name (`…/api/ubuntu.json`).
fn product_of(file: &str) -> Option<&'static str> {
    let base = file.rsplit(['/', '!']).next()?.strip_suffix(".json")?;
    PRODUCTS.iter().find(|(p, _)| *p == base).map(|(_, d)| *d)
}

/// Parse an endoflife.date v1 product file: `[{"cycle": "18.04", "eol": "2023-05-31"
/// | true | false, "extendedSupport": "2028-05-31" | bool, …}]`. `eol: false` (no
/// date yet) is skipped; `eol: true` without a date too (nothing to compare).
pub fn parse(file: &str, text: &str) -> Result<Parsed, FeedError> {
    let distro = product_of(file).ok_or_else(|| {
        syntax(
            file,
            Format::EndOfLife,
            "file name names no known endoflife.date product",
        )
    })?;
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| syntax(file, Format::EndOfLife, e))?;
    let rows = doc
        .as_array()
        .ok_or_else(|| syntax(file, Format::EndOfLife, "not a list of cycles"))?;
    let mut out = Parsed {
        source_hint: Some(format!("eol:{distro}")),
        ..Parsed::default()
    };
    for (i, row) in rows.iter().enumerate() {
        let skip = |reason: &str| Skipped {
            file: file.to_string(),
            record: format!("cycle {i}"),
            reason: reason.to_string(),
        };
        let cycle = match row.get("cycle") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => {
                out.skipped.push(skip("no `cycle`"));
                continue;
            }
        };
        let date = |key: &str| {
            row.get(key)
                .and_then(|v| v.as_str())
                .filter(|s| is_date(s))
                .map(str::to_string)
        };
        let Some(eol) = date("eol") else {
            continue; // still supported, or ended without a date
        };
        // Amazon Linux 1 is listed as cycle `1`; Debian, RHEL and CentOS by major;
        // SLES/openSUSE as `15.3`, Alpine as `3.11`, Ubuntu as `18.04`: hull's keys.
        out.eol.push(ReleaseEol {
            distro: distro.to_string(),
            release: cycle.trim().to_string(),
            eol,
            extended_until: date("extendedSupport"),
            source: format!("eol:{distro}"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hull_model::ImagePath;

    fn d(id: &str, v: &str) -> Distro {
        Distro {
            id: id.into(),
            version_id: v.into(),
            codename: None,
            pretty_name: None,
            id_like: vec![],
            path: ImagePath::root(),
        }
    }

    #[test]
    fn release_keys_and_builtin_dates() {
        for (id, v, key) in [
            ("ubuntu", "18.04", Some("18.04")),
            ("alpine", "3.11.5", Some("3.11")),
            ("debian", "10.7", Some("10")),
            ("centos", "8.2.2004", Some("8")),
            ("amzn", "2018.03", Some("1")),
            ("amzn", "2023", Some("2023")),
            ("sles", "15.3", Some("15.3")),
            ("plan9", "4", None),
        ] {
            assert_eq!(release_key(&d(id, v)).map(|k| k.1), key.map(String::from));
        }
        let u = lookup(&d("ubuntu", "18.04"), &[]).unwrap();
        assert!(is_past(&u, "2026-12-08"));
        assert!(!is_past(&u, "2023-05-31"));
        assert_eq!(u.extended_until.as_deref(), Some("2028-05-31"));
    }

    #[test]
    fn endoflife_date_files() {
        let j = r#"[{"cycle":"24.04","releaseDate":"2024-04-25","eol":"2029-05-31","extendedSupport":"2036-04-25","lts":true},
                   {"cycle":"25.10","eol":false},{"cycle":"12.04","eol":true},{"eol":"2000-01-01"}]"#;
        let p = parse("https://endoflife.date/api/ubuntu.json", j).unwrap();
        assert_eq!(p.eol.len(), 1);
        assert_eq!(p.eol[0].release, "24.04");
        assert_eq!(p.eol[0].extended_until.as_deref(), Some("2036-04-25"));
        assert_eq!(p.skipped.len(), 1);
        let stored = p.eol.clone();
        assert_eq!(
            lookup(&d("ubuntu", "24.04"), &stored).unwrap().source,
            "eol:ubuntu"
        );
        assert!(parse("x/nope.json", j).is_err());
        let p = parse(
            "eol/amazon-linux.json",
            r#"[{"cycle":"1","eol":"2023-12-31"}]"#,
        )
        .unwrap();
        assert_eq!(
            lookup(&d("amzn", "2018.03"), &p.eol).unwrap().source,
            "eol:amzn"
        );
    }
}
