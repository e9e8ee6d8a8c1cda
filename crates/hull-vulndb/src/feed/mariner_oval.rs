//! Azure Linux and CBL-Mariner OVAL (`microsoft/AzureLinuxVulnerabilityData`:
//! `cbl-mariner-1.0-oval.xml`, `cbl-mariner-2.0-oval.xml`, `azurelinux-3.0-oval.xml`).
//!
//! Microsoft publishes this data only as OVAL. Each `<definition>` is one CVE for one
//! package; unlike Red Hat's, its criteria comments are not used: the real OVAL
//! indirection is followed instead (criterion `test_ref` -> `rpminfo_test` -> its
//! `rpminfo_object` (package name) and `rpminfo_state` (`<evr operation="less than">`
//! or `"less than or equal"`)). The release is taken from the file name (older files
//! say only `<platform>CBL-Mariner</platform>`), else from the platform text.
//! Namespaces: `mariner:2.0`, `azurelinux:3.0`. Rows name the package as the data
//! does (the spec/source name, e.g. `openssl`), compared with the source version.

use std::collections::HashMap;

use hull_model::{
    Advisory, Affected, FixState, Namespace, OsvEvent, OsvRange, Severity, VersionRule,
};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{syntax, FeedError, Format, Parsed, Skipped};

/// (family, release) from a file name (`cbl-mariner-2.0-oval.xml`,
/// `azurelinux-3.0-oval.xml`) or a platform (`CBL-Mariner 2.0`, `Azure Linux 3.0`).
pub fn release_of(name_or_platform: &str) -> Option<(&'static str, String)> {
    let base = name_or_platform.rsplit(['/', '!']).next()?;
    let lower = base.to_ascii_lowercase();
    let (family, rest) = if let Some(r) = lower.strip_prefix("cbl-mariner") {
        ("mariner", r)
    } else if let Some(r) = lower.strip_prefix("azurelinux") {
        ("azurelinux", r)
    } else if let Some(r) = lower.strip_prefix("azure linux") {
        ("azurelinux", r)
    } else {
        return None;
    };
    let rel: String = rest
        .trim_start_matches(['-', ' '])
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let rel = rel.trim_end_matches('.').to_string();
    (!rel.is_empty() && rel.contains('.')).then_some((family, rel))
}

/// Whether an OVAL document is Microsoft's.
pub fn looks_like(text: &str) -> bool {
    text.contains("oval:com.microsoft.cbl-mariner:")
        || text.contains("oval:com.microsoft.azurelinux:")
}

#[derive(Default)]
struct Def {
    id: String,
    title: String,
    cves: Vec<String>,
    severity: Option<String>,
    issued: Option<String>,
    platform: Option<String>,
    tests: Vec<String>,
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

pub fn parse(file: &str, text: &str) -> Result<Parsed, FeedError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut defs: Vec<Def> = Vec::new();
    let mut def: Option<Def> = None;
    // test id -> (object id, state id)
    let mut tests: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
    let mut cur_test: Option<String> = None;
    let mut objects: HashMap<String, String> = HashMap::new();
    let mut cur_object: Option<String> = None;
    // state id -> (operation, evr)
    let mut states: HashMap<String, (String, String)> = HashMap::new();
    let mut cur_state: Option<(String, String)> = None;
    let mut text_target: Option<&'static str> = None;
    let mut saw_root = false;
    loop {
        let ev = reader.read_event().map_err(|e| {
            syntax(
                file,
                Format::MarinerOval,
                format!("at byte {}: {e}", reader.buffer_position()),
            )
        })?;
        let (e, is_start) = match &ev {
            Event::Start(e) => (Some(e), true),
            Event::Empty(e) => (Some(e), false),
            _ => (None, false),
        };
        if let Some(e) = e {
            match e.local_name().as_ref() {
                b"oval_definitions" => saw_root = true,
                b"definition" if is_start => {
                    def = Some(Def {
                        id: attr(e, "id").unwrap_or_default(),
                        ..Def::default()
                    })
                }
                b"title" if is_start => text_target = Some("title"),
                b"severity" if is_start => text_target = Some("severity"),
                b"platform" if is_start => text_target = Some("platform"),
                b"advisory_date" if is_start => text_target = Some("date"),
                b"name" if is_start && cur_object.is_some() => text_target = Some("name"),
                b"evr" if is_start && cur_state.is_some() => {
                    if let Some(s) = cur_state.as_mut() {
                        s.1 = attr(e, "operation").unwrap_or_default();
                    }
                    text_target = Some("evr");
                }
                b"reference" => {
                    if let (Some(d), Some("CVE"), Some(id)) = (
                        def.as_mut(),
                        attr(e, "source").as_deref(),
                        attr(e, "ref_id"),
                    ) {
                        d.cves.push(id);
                    }
                }
                b"criterion" => {
                    if let (Some(d), Some(t)) = (def.as_mut(), attr(e, "test_ref")) {
                        d.tests.push(t);
                    }
                }
                b"rpminfo_test" if is_start => {
                    cur_test = attr(e, "id");
                    if let Some(t) = &cur_test {
                        tests.entry(t.clone()).or_default();
                    }
                }
                b"object" if cur_test.is_some() => {
                    if let Some(t) = cur_test.as_ref().and_then(|t| tests.get_mut(t)) {
                        t.0 = attr(e, "object_ref");
                    }
                }
                b"state" if cur_test.is_some() => {
                    if let Some(t) = cur_test.as_ref().and_then(|t| tests.get_mut(t)) {
                        t.1 = attr(e, "state_ref");
                    }
                }
                b"rpminfo_object" if is_start => cur_object = attr(e, "id"),
                b"rpminfo_state" if is_start => {
                    cur_state = attr(e, "id").map(|id| (id, String::new()))
                }
                _ => {}
            }
        }
        match ev {
            Event::Text(t) => {
                let s = t
                    .unescape()
                    .map(|c| c.trim().to_string())
                    .unwrap_or_default();
                match text_target {
                    Some("title") => {
                        if let Some(d) = def.as_mut() {
                            d.title = s
                        }
                    }
                    Some("severity") => {
                        if let Some(d) = def.as_mut() {
                            d.severity = Some(s)
                        }
                    }
                    Some("platform") => {
                        if let Some(d) = def.as_mut() {
                            d.platform = Some(s)
                        }
                    }
                    Some("date") => {
                        if let Some(d) = def.as_mut() {
                            d.issued = Some(s)
                        }
                    }
                    Some("name") => {
                        if let Some(o) = &cur_object {
                            objects.insert(o.clone(), s);
                        }
                    }
                    Some("evr") => {
                        if let Some((id, op)) = &cur_state {
                            states.insert(id.clone(), (op.clone(), s));
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"title" | b"severity" | b"platform" | b"advisory_date" | b"name" | b"evr" => {
                    text_target = None
                }
                b"definition" => defs.extend(def.take()),
                b"rpminfo_test" => cur_test = None,
                b"rpminfo_object" => cur_object = None,
                b"rpminfo_state" => cur_state = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(syntax(
            file,
            Format::MarinerOval,
            "no <oval_definitions> root",
        ));
    }
    let from_name = release_of(file);
    let mut out = Parsed {
        source_hint: Some(match &from_name {
            Some((f, r)) => format!("{f}-oval:{r}"),
            None => "mariner-oval".into(),
        }),
        ..Parsed::default()
    };
    for d in defs {
        let record = if d.id.is_empty() {
            d.title.clone()
        } else {
            d.id.clone()
        };
        let skip = |reason: &str| Skipped {
            file: file.to_string(),
            record: record.clone(),
            reason: reason.to_string(),
        };
        let Some((family, rel)) = from_name
            .clone()
            .or_else(|| d.platform.as_deref().and_then(release_of))
        else {
            out.skipped.push(skip(
                "no Azure Linux / CBL-Mariner release in the file name or platform",
            ));
            continue;
        };
        let ns = Namespace::distro(family, &rel);
        let mut rows = Vec::new();
        for t in &d.tests {
            let Some((Some(obj), Some(ste))) = tests.get(t) else {
                continue; // a criterion without an rpminfo test (none in this data)
            };
            let (Some(name), Some((op, evr))) = (objects.get(obj), states.get(ste)) else {
                out.skipped
                    .push(skip("test names an unknown object or state"));
                continue;
            };
            let evr = evr.strip_prefix("0:").unwrap_or(evr).to_string();
            let (rule, fix) = match op.as_str() {
                "less than" => (
                    VersionRule::LessThan { fixed: evr.clone() },
                    FixState::Fixed(evr),
                ),
                "less than or equal" => (
                    VersionRule::Osv {
                        ranges: vec![OsvRange {
                            kind: "ECOSYSTEM".into(),
                            events: vec![
                                OsvEvent::Introduced("0".into()),
                                OsvEvent::LastAffected(evr),
                            ],
                        }],
                        versions: vec![],
                    },
                    FixState::NotFixed,
                ),
                other => {
                    out.skipped
                        .push(skip(&format!("unsupported evr operation `{other}`")));
                    continue;
                }
            };
            rows.push(Affected::new(ns.clone(), name.clone(), rule, fix));
        }
        if rows.is_empty() {
            continue;
        }
        let mut cves = d.cves;
        cves.sort();
        cves.dedup();
        let id = match cves.as_slice() {
            [one] => one.clone(),
            _ => record.clone(),
        };
        cves.retain(|c| c != &id);
        out.advisories.push(Advisory {
            id,
            source: "mariner-oval".into(),
            aliases: cves,
            summary: Some(d.title).filter(|t| !t.is_empty()),
            severity: d
                .severity
                .and_then(|s| s.parse().ok())
                .unwrap_or(Severity::Unknown),
            published: d.issued,
            affected: rows,
            ..Default::default()
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_from_names_and_platforms() {
        for (s, want) in [
            ("x/cbl-mariner-2.0-oval.xml", Some(("mariner", "2.0"))),
            ("azurelinux-3.0-oval.xml", Some(("azurelinux", "3.0"))),
            ("CBL-Mariner 2.0", Some(("mariner", "2.0"))),
            ("Azure Linux 3.0", Some(("azurelinux", "3.0"))),
            ("CBL-Mariner", None),
            ("rhel-8.oval.xml", None),
        ] {
            assert_eq!(release_of(s), want.map(|(f, r)| (f, r.to_string())), "{s}");
        }
    }

    #[test]
    fn definitions_follow_tests_objects_and_states() {
        let x = include_str!("../../../../fuzz/corpus/feed_mariner_oval/cbl-mariner-2.0-oval.xml");
        assert!(looks_like(x));
        assert_eq!(
            crate::feed::detect("a.xml", x.as_bytes()),
            Some(Format::MarinerOval)
        );
        let p = parse("cbl-mariner-2.0-oval.xml", x).unwrap();
        assert_eq!(p.source_hint.as_deref(), Some("mariner-oval:2.0"));
        assert_eq!(p.advisories.len(), 3, "{:?}", p.skipped);
        let o = p
            .advisories
            .iter()
            .find(|a| a.id == "CVE-2023-0286")
            .unwrap();
        assert_eq!(o.severity, Severity::High);
        assert_eq!(o.affected[0].namespace.as_str(), "mariner:2.0");
        assert_eq!(o.affected[0].package, "openssl");
        assert_eq!(
            o.affected[0].rule,
            VersionRule::LessThan {
                fixed: "1.1.1k-22.cm2".into()
            }
        );
        let le = p
            .advisories
            .iter()
            .find(|a| a.id == "CVE-2024-0002")
            .unwrap();
        assert_eq!(le.affected[0].fix, FixState::NotFixed);
        assert_eq!(p.skipped.len(), 1);
    }
}
