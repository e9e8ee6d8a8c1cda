//! OSV records (<https://ossf.github.io/osv-schema/>), JSON or YAML: PyPA, RustSec
//! export, Go vulndb, GHSA, Debian/ELTS, Ubuntu, Alpine.
//!
//! Each `affected[]` entry becomes one [`Affected`] row in the namespace its
//! `package.ecosystem` names (`PyPI` -> `pypi`, `Debian:10` -> `debian:10`,
//! `Alpine:v3.18` -> `alpine:3.18`), with the package name normalised the way that
//! ecosystem compares names (PEP 503 for PyPI, lower-case for npm).

use hull_model::{
    Advisory, Affected, Ecosystem, FixState, Namespace, OsvEvent, OsvRange, Severity, VersionRule,
};

use super::alpine::yaml_to_json;
use super::{syntax, FeedError, Format, Parsed, Skipped};

pub fn parse(format: Format, file: &str, text: &str) -> Result<Parsed, FeedError> {
    // YAML is read with every scalar kept as text (PyPA has unquoted timestamps).
    let doc: serde_json::Value = if format == Format::OsvYaml {
        let y: serde_yaml::Value =
            serde_yaml::from_str(text).map_err(|e| syntax(file, format, e))?;
        yaml_to_json(y)
    } else {
        serde_json::from_str(text).map_err(|e| syntax(file, format, e))?
    };
    let records: Vec<&serde_json::Value> = match &doc {
        serde_json::Value::Array(a) => a.iter().collect(),
        v @ serde_json::Value::Object(_) => vec![v],
        _ => {
            return Err(syntax(
                file,
                format,
                "neither a record nor a list of records",
            ))
        }
    };
    let mut out = Parsed::default();
    for (i, rec) in records.into_iter().enumerate() {
        match record(rec) {
            Ok(a) => out.advisories.push(a),
            Err(reason) => out.skipped.push(Skipped {
                file: file.to_string(),
                record: rec
                    .get("id")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("record {i}")),
                reason,
            }),
        }
    }
    Ok(out)
}

fn str_of(v: &serde_json::Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| x.as_str()).map(str::to_string)
}

/// One OSV record -> advisory, or the reason it cannot be used.
pub fn record(rec: &serde_json::Value) -> Result<Advisory, String> {
    let id = str_of(rec, "id")
        .filter(|s| !s.trim().is_empty())
        .ok_or("record has no `id`")?;
    let mut aliases: Vec<String> = rec
        .get("aliases")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    // USN records list their CVEs under `upstream`; they name the same flaw.
    for up in rec
        .get("upstream")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str())
    {
        if let Some(cve) = up.strip_prefix("UBUNTU-") {
            aliases.push(cve.to_string());
        } else if up.starts_with("CVE-") {
            aliases.push(up.to_string());
        }
    }
    aliases.retain(|a| a != &id);
    aliases.sort();
    aliases.dedup();

    let mut cvss = Vec::new();
    let mut severity = Severity::Unknown;
    for s in rec
        .get("severity")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
    {
        let kind = s.get("type").and_then(|t| t.as_str()).unwrap_or("");
        let score = s.get("score").and_then(|t| t.as_str()).unwrap_or("");
        if kind.starts_with("CVSS") {
            cvss.push(score.to_string());
            if let Some(sev) = crate::cvss::severity_of_vector(score) {
                severity = severity.max(sev);
            }
        } else if let Ok(sev) = score.parse::<Severity>() {
            severity = severity.max(sev);
        }
    }
    if severity == Severity::Unknown {
        // GHSA with an empty severity array: the GitHub rating (MODERATE = medium).
        if let Some(s) = rec
            .get("database_specific")
            .and_then(|d| d.get("severity"))
            .and_then(|s| s.as_str())
        {
            severity = s.parse().unwrap_or(Severity::Unknown);
        }
    }

    let mut informational = None;
    let mut affected = Vec::new();
    let entries = rec
        .get("affected")
        .and_then(|a| a.as_array())
        .cloned()
        .unwrap_or_default();
    for (i, aff) in entries.iter().enumerate() {
        let pkg = aff
            .get("package")
            .ok_or(format!("affected[{i}] has no package"))?;
        let eco = pkg
            .get("ecosystem")
            .and_then(|e| e.as_str())
            .ok_or(format!("affected[{i}] has no ecosystem"))?;
        let name = pkg
            .get("name")
            .and_then(|e| e.as_str())
            .filter(|n| !n.is_empty())
            .ok_or(format!("affected[{i}] has no package name"))?;
        if let Some(info) = aff
            .get("database_specific")
            .and_then(|d| d.get("informational"))
            .and_then(|v| v.as_str())
        {
            informational = Some(info.to_string());
        }
        let mut ranges = Vec::new();
        for (j, r) in aff
            .get("ranges")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
            .enumerate()
        {
            let kind = r
                .get("type")
                .and_then(|t| t.as_str())
                .ok_or(format!("affected[{i}].ranges[{j}] has no type"))?;
            let mut events = Vec::new();
            for ev in r
                .get("events")
                .and_then(|e| e.as_array())
                .into_iter()
                .flatten()
            {
                let obj = ev
                    .as_object()
                    .ok_or(format!("affected[{i}].ranges[{j}] event is not an object"))?;
                for (k, v) in obj {
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(n) => n.to_string(),
                        _ => {
                            return Err(format!(
                                "affected[{i}].ranges[{j}] event `{k}` is not a string"
                            ))
                        }
                    };
                    events.push(match k.as_str() {
                        "introduced" => OsvEvent::Introduced(v),
                        "fixed" => OsvEvent::Fixed(v),
                        "last_affected" => OsvEvent::LastAffected(v),
                        "limit" => OsvEvent::Limit(v),
                        other => return Err(format!("unknown range event `{other}`")),
                    });
                }
            }
            if events.is_empty() {
                return Err(format!("affected[{i}].ranges[{j}] has no events"));
            }
            ranges.push(OsvRange {
                kind: kind.to_string(),
                events,
            });
        }
        let versions: Vec<String> = aff
            .get("versions")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let namespace = namespace_of(eco);
        let package = normalize_name(&namespace, name);
        let row_severity = ubuntu_priority(aff);
        let fix = ranges
            .iter()
            .flat_map(|r| r.events.iter())
            .find_map(|e| match e {
                OsvEvent::Fixed(v) => Some(FixState::Fixed(v.clone())),
                _ => None,
            })
            .unwrap_or(FixState::NotFixed);
        affected.push(Affected {
            severity: row_severity,
            binary_name: names_binary_packages(&namespace),
            ..Affected::new(
                namespace,
                package,
                VersionRule::Osv { ranges, versions },
                fix,
            )
        });
    }
    if severity == Severity::Unknown {
        // A USN has no record-level severity: its worst CVE priority stands for it.
        severity = affected
            .iter()
            .filter_map(|a| a.severity)
            .max()
            .unwrap_or(Severity::Unknown);
    }
    let references = rec
        .get("references")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("url").and_then(|u| u.as_str()).map(str::to_string))
        .collect();
    Ok(Advisory {
        source: "osv".into(),
        summary: str_of(rec, "summary").or_else(|| {
            str_of(rec, "details")
                .map(|d| d.lines().next().unwrap_or("").chars().take(200).collect())
        }),
        published: str_of(rec, "published"),
        modified: str_of(rec, "modified"),
        withdrawn: str_of(rec, "withdrawn").filter(|w| !w.is_empty()),
        id,
        aliases,
        severity,
        cvss,
        informational,
        references,
        affected,
    })
}

/// The Ubuntu priority of an `affected[]` entry of a USN record: the highest of the
/// per-CVE priorities Ubuntu lists in `database_specific.cves_map` (`untriaged` and
/// unknown words count as nothing).
fn ubuntu_priority(aff: &serde_json::Value) -> Option<Severity> {
    aff.get("database_specific")?
        .get("cves_map")?
        .get("cves")?
        .as_array()?
        .iter()
        .filter_map(|c| c.get("severity")?.as_array())
        .flatten()
        .filter(|s| s.get("type").and_then(|t| t.as_str()) == Some("Ubuntu"))
        .filter_map(|s| s.get("score")?.as_str()?.parse::<Severity>().ok())
        .filter(|s| *s != Severity::Unknown)
        .max()
}

/// OSV ecosystem string -> hull namespace.
pub fn namespace_of(eco: &str) -> Namespace {
    let mut parts = eco.split(':');
    let base = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    for e in Ecosystem::ALL {
        if e.osv_name() == Some(base) {
            return Namespace::ecosystem(e);
        }
    }
    match (base, rest.as_slice()) {
        ("Debian", [rel, ..]) => Namespace::distro("debian", rel),
        ("Alpine", [rel, ..]) => Namespace::distro("alpine", rel.trim_start_matches('v')),
        ("Ubuntu", rest) => ubuntu_namespace(rest),
        ("SUSE" | "openSUSE", [product]) => suse_namespace(base, product)
            .unwrap_or_else(|| Namespace::from_key(&format!("osv:{}", eco.to_ascii_lowercase()))),
        _ => Namespace::from_key(&format!("osv:{}", eco.to_ascii_lowercase())),
    }
}

/// Canonical's Ubuntu ecosystems (`Ubuntu:18.04:LTS`, `Ubuntu:25.04`,
/// `Ubuntu:Pro:18.04:LTS`, `Ubuntu:Pro:FIPS-updates:20.04:LTS`,
/// `Ubuntu:Pro:22.04:LTS:Realtime:Kernel`), after the leading `Ubuntu`. The standard
/// archive is `ubuntu:<release>`; ESM (Ubuntu Pro) is `ubuntu-pro:<release>`, which
/// the matcher also consults for an Ubuntu image and reports as a fix only available
/// with Ubuntu Pro. The other Pro services (FIPS kernels and libraries, the realtime
/// kernel) get a namespace of their own that no stock image matches.
fn ubuntu_namespace(rest: &[&str]) -> Namespace {
    let is_release = |s: &str| {
        let mut p = s.split('.');
        matches!((p.next(), p.next(), p.next()), (Some(a), Some(b), None)
            if !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()))
    };
    let Some(at) = rest.iter().position(|s| is_release(s)) else {
        return Namespace::from_key(&format!(
            "osv:ubuntu:{}",
            rest.join(":").to_ascii_lowercase()
        ));
    };
    let rel = rest[at];
    let before: Vec<String> = rest[..at].iter().map(|s| s.to_ascii_lowercase()).collect();
    // Suffixes after `LTS` name a Pro service (`Realtime:Kernel`).
    let after: Vec<String> = rest[at + 1..]
        .iter()
        .filter(|s| !s.eq_ignore_ascii_case("LTS"))
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let family: Vec<String> = std::iter::once("ubuntu".to_string())
        .chain(before)
        .chain(after)
        .collect();
    Namespace::distro(&family.join("-"), rel)
}

/// SUSE's OSV ecosystems name a product and its service pack: `SUSE:Linux Enterprise
/// Server 15 SP3`, `SUSE:Linux Enterprise Module for Basesystem 15 SP3` (SLE 15 files
/// base packages under the module that ships them, which os-release does not name, so
/// every `Linux Enterprise` product of one release shares `sles:15.3`),
/// `SUSE:Linux Enterprise Server 15 SP3-LTSS` (paid Long Term Service Pack Support:
/// `sles-ltss:15.3`), `SUSE:Linux Enterprise Micro 5.3` (`sle-micro:5.3`),
/// `openSUSE:Leap 15.3` (`opensuse-leap:15.3`). `None` for other products
/// (Tumbleweed has no release to key on).
fn suse_namespace(vendor: &str, product: &str) -> Option<Namespace> {
    let mut words: Vec<&str> = product.split_whitespace().collect();
    let last = words.pop()?;
    let (last, ltss) = match last.strip_suffix("-LTSS") {
        Some(l) => (l, true),
        None => (last, false),
    };
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit() || c == b'.');
    // `15 SP3` or `15-SP3` or `16.0` / `5.3`.
    let release = if let Some(sp) = last.strip_prefix("SP").filter(|s| numeric(s)) {
        let major = words.pop().filter(|m| numeric(m))?;
        format!("{major}.{sp}")
    } else if let Some((major, sp)) = last.split_once("-SP") {
        (numeric(major) && numeric(sp)).then(|| format!("{major}.{sp}"))?
    } else if numeric(last) {
        last.to_string()
    } else {
        return None;
    };
    let name = words.join(" ");
    let family = match (vendor, name.as_str()) {
        ("openSUSE", "Leap") => "opensuse-leap",
        ("SUSE", n) if n.starts_with("Linux Enterprise Micro") => "sle-micro",
        ("SUSE", n) if n.starts_with("Linux Enterprise") && ltss => "sles-ltss",
        ("SUSE", n) if n.starts_with("Linux Enterprise") => "sles",
        _ => return None,
    };
    Some(Namespace::distro(family, &release))
}

/// SUSE's OSV records name binary rpms (`libopenssl1_1`), not source packages.
fn names_binary_packages(ns: &Namespace) -> bool {
    matches!(
        ns.distro_parts().map(|(d, _)| d),
        Some("sles" | "sles-ltss" | "sle-micro" | "opensuse-leap")
    )
}

/// Package names as the ecosystem compares them.
pub fn normalize_name(ns: &Namespace, name: &str) -> String {
    match ns.as_str() {
        "pypi" => hull_model::pep503_name(name),
        "npm" | "cargo" | "composer" | "nuget" => name.to_ascii_lowercase(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ghsa_record_with_empty_severity() {
        let j = r#"{"id":"GHSA-8hc4-vh64-cxmj","aliases":["CVE-2023-45857"],"modified":"2024-01-01T00:00:00Z",
          "severity":[],"database_specific":{"severity":"MODERATE"},
          "affected":[{"package":{"ecosystem":"npm","name":"Axios"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0.8.1"},{"fixed":"0.28.0"}]}]}]}"#;
        let p = parse(Format::OsvJson, "t", j).unwrap();
        let a = &p.advisories[0];
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.affected[0].package, "axios");
        assert_eq!(a.affected[0].fix, FixState::Fixed("0.28.0".into()));
    }

    #[test]
    fn yaml_timestamps_and_namespaces() {
        let y = "id: PYSEC-2021-1\nmodified: 2021-01-01T00:00:00Z\npublished: 2021-01-01 00:00:00\naliases:\n- CVE-2021-1\naffected:\n- package:\n    name: Django_Foo.bar\n    ecosystem: PyPI\n  versions:\n  - '1.0'\n";
        let p = parse(Format::OsvYaml, "t.yaml", y).unwrap();
        assert_eq!(p.advisories[0].affected[0].package, "django-foo-bar");
        assert_eq!(
            p.advisories[0].modified.as_deref(),
            Some("2021-01-01T00:00:00Z")
        );
        assert_eq!(namespace_of("Debian:10").as_str(), "debian:10");
        assert_eq!(namespace_of("Alpine:v3.18").as_str(), "alpine:3.18");
        for (eco, ns) in [
            ("Ubuntu:14.04:LTS", "ubuntu:14.04"),
            ("Ubuntu:25.04", "ubuntu:25.04"),
            ("Ubuntu:Pro:18.04:LTS", "ubuntu-pro:18.04"),
            (
                "Ubuntu:Pro:FIPS-updates:20.04:LTS",
                "ubuntu-pro-fips-updates:20.04",
            ),
            ("Ubuntu:Pro:FIPS:16.04:LTS", "ubuntu-pro-fips:16.04"),
            ("SUSE:Linux Enterprise Server 15 SP3", "sles:15.3"),
            (
                "SUSE:Linux Enterprise Module for Basesystem 15 SP3",
                "sles:15.3",
            ),
            ("SUSE:Linux Enterprise Server 15 SP3-LTSS", "sles-ltss:15.3"),
            ("SUSE:Linux Enterprise Server 12 SP5", "sles:12.5"),
            ("SUSE:Linux Enterprise Server 16.0", "sles:16.0"),
            ("SUSE:Linux Enterprise Micro 5.3", "sle-micro:5.3"),
            ("openSUSE:Leap 15.3", "opensuse-leap:15.3"),
            ("openSUSE:Tumbleweed", "osv:opensuse:tumbleweed"),
            (
                "Ubuntu:Pro:22.04:LTS:Realtime:Kernel",
                "ubuntu-pro-realtime-kernel:22.04",
            ),
        ] {
            assert_eq!(namespace_of(eco).as_str(), ns, "{eco}");
        }
        assert_eq!(namespace_of("crates.io").as_str(), "cargo");
    }

    #[test]
    fn usn_priorities_from_cves_map() {
        let j = r#"{"id":"USN-1-1","modified":"x","upstream":["UBUNTU-CVE-2014-1","UBUNTU-CVE-2014-2"],
          "affected":[{"package":{"ecosystem":"Ubuntu:14.04:LTS","name":"openjdk-7"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"7u55"}]}],
            "database_specific":{"cves_map":{"ecosystem":"Ubuntu:14.04:LTS","cves":[
              {"id":"CVE-2014-1","severity":[{"type":"Ubuntu","score":"medium"}]},
              {"id":"CVE-2014-2","severity":[{"type":"Ubuntu","score":"high"},{"type":"CVSS_V3","score":"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:L"}]},
              {"id":"CVE-2014-3","severity":[{"type":"Ubuntu","score":"untriaged"}]}]}}},
           {"package":{"ecosystem":"Ubuntu:12.04:LTS","name":"openjdk-7"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#;
        let p = parse(Format::OsvJson, "t", j).unwrap();
        let a = &p.advisories[0];
        assert_eq!(a.affected[0].severity, Some(Severity::High));
        assert_eq!(a.affected[1].severity, None);
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.aliases, vec!["CVE-2014-1", "CVE-2014-2"]);
    }

    #[test]
    fn broken_records_are_skipped_not_fatal() {
        let j = r#"[{"id":"A","modified":"x","affected":[{"package":{"ecosystem":"npm"}}]},{"id":"B","modified":"x","affected":[]}]"#;
        let p = parse(Format::OsvJson, "t", j).unwrap();
        assert_eq!(p.advisories.len(), 1);
        assert_eq!(p.skipped[0].record, "A");
    }
}
