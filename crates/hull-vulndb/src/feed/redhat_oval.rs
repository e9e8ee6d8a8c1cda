//! Red Hat OVAL v2 (<https://security.access.redhat.com/data/oval/v2/>).
//!
//! Each `<definition>` is one RHSA. Its criteria tree says, per binary package,
//! "`name` is earlier than `epoch:version-release`", nested under "Module `name:stream`
//! is enabled" when the fix belongs to a modularity stream. The readable `comment`
//! attributes carry exactly these facts (the test/object/state indirection repeats
//! them), so the tree is read from the comments, keeping each package's module: the
//! RHEL 8 trap is that RHSA-2020:0598 (nodejs:12) must not apply to nodejs from the
//! nodejs:10 stream.

use hull_model::{Advisory, Affected, FixState, Namespace, Severity, VersionRule};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::redhat_api::rhel_major;
use super::{syntax, FeedError, Format, Parsed, Skipped};

#[derive(Default)]
struct Frame {
    module: Option<String>,
    /// (package, fixed evr, module)
    pkgs: Vec<(String, String, Option<String>)>,
}

#[derive(Default)]
struct Def {
    id: String,
    title: String,
    rhsa: Option<String>,
    cves: Vec<String>,
    severity: Option<String>,
    issued: Option<String>,
    cpes: Vec<String>,
    platform_major: Option<String>,
    frames: Vec<Frame>,
    pkgs: Vec<(String, String, Option<String>)>,
}

/// What differs between the vendors whose OVAL follows Red Hat's layout.
pub struct Vendor {
    /// `<platform>` text before the major release (`Red Hat Enterprise Linux `).
    pub platform_prefix: &'static str,
    /// Namespace family (`rhel`, `ol`).
    pub family: &'static str,
    /// Source name (`redhat-oval`, `oracle-oval`).
    pub source: &'static str,
    /// `<reference source=…>` values naming the vendor advisory (`RHSA`, `elsa`).
    pub advisory_refs: &'static [&'static str],
    pub format: Format,
}

pub const RED_HAT: Vendor = Vendor {
    platform_prefix: "Red Hat Enterprise Linux ",
    family: "rhel",
    source: "redhat-oval",
    advisory_refs: &["RHSA", "RHBA", "RHEA"],
    format: Format::RedHatOval,
};

pub fn parse(file: &str, text: &str) -> Result<Parsed, FeedError> {
    parse_vendor(file, text, &RED_HAT)
}

/// Parse OVAL in Red Hat's layout for `vendor`.
pub fn parse_vendor(file: &str, text: &str, vendor: &Vendor) -> Result<Parsed, FeedError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut out = Parsed {
        source_hint: Some(vendor.source.into()),
        ..Parsed::default()
    };
    let mut def: Option<Def> = None;
    // Which text-bearing element we are in (title, severity, cpe).
    let mut text_target: Option<&'static str> = None;
    let mut saw_root = false;
    loop {
        let ev = reader.read_event().map_err(|e| {
            syntax(
                file,
                vendor.format,
                format!("at byte {}: {e}", reader.buffer_position()),
            )
        })?;
        match ev {
            Event::Start(e) => {
                let name = e.local_name();
                match name.as_ref() {
                    b"oval_definitions" => saw_root = true,
                    b"definition" => {
                        def = Some(Def {
                            id: attr(&e, "id").unwrap_or_default(),
                            ..Def::default()
                        })
                    }
                    b"criteria" => {
                        if let Some(d) = def.as_mut() {
                            d.frames.push(Frame::default());
                        }
                    }
                    b"title" => text_target = Some("title"),
                    b"severity" => text_target = Some("severity"),
                    b"cpe" => text_target = Some("cpe"),
                    b"platform" => text_target = Some("platform"),
                    b"reference" | b"criterion" | b"issued" => {
                        if let Some(d) = def.as_mut() {
                            on_leaf(d, &e, vendor);
                        }
                    }
                    _ => {}
                }
            }
            Event::Empty(e) => {
                if let Some(d) = def.as_mut() {
                    if e.local_name().as_ref() == b"criteria" {
                        // An empty criteria element holds nothing.
                    } else {
                        on_leaf(d, &e, vendor);
                    }
                }
            }
            Event::Text(t) => {
                if let (Some(target), Some(d)) = (text_target, def.as_mut()) {
                    let s = t.unescape().map(|c| c.into_owned()).unwrap_or_default();
                    match target {
                        "title" => d.title = s.trim().to_string(),
                        "severity" => d.severity = Some(s),
                        "cpe" => d.cpes.push(s),
                        "platform" => {
                            if let Some(m) = s
                                .trim()
                                .strip_prefix(vendor.platform_prefix)
                                .filter(|m| m.chars().all(|c| c.is_ascii_digit()))
                            {
                                d.platform_major = Some(m.to_string());
                            }
                        }
                        _ => {}
                    }
                }
            }
            Event::End(e) => {
                let name = e.local_name();
                match name.as_ref() {
                    b"title" | b"severity" | b"cpe" | b"platform" => text_target = None,
                    b"criteria" => {
                        if let Some(d) = def.as_mut() {
                            if let Some(mut f) = d.frames.pop() {
                                for p in &mut f.pkgs {
                                    if p.2.is_none() {
                                        p.2 = f.module.clone();
                                    }
                                }
                                match d.frames.last_mut() {
                                    Some(parent) => parent.pkgs.extend(f.pkgs),
                                    None => d.pkgs.extend(f.pkgs),
                                }
                            }
                        }
                    }
                    b"definition" => {
                        if let Some(d) = def.take() {
                            finish(file, d, &mut out, vendor);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(syntax(file, vendor.format, "no <oval_definitions> root"));
    }
    Ok(out)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

fn on_leaf(d: &mut Def, e: &BytesStart<'_>, vendor: &Vendor) {
    match e.local_name().as_ref() {
        b"reference" => {
            let (Some(src), Some(id)) = (attr(e, "source"), attr(e, "ref_id")) else {
                return;
            };
            if vendor.advisory_refs.contains(&src.as_str()) {
                d.rhsa = Some(id);
            } else if src == "CVE" {
                d.cves.push(id);
            }
        }
        b"issued" => d.issued = attr(e, "date"),
        b"criterion" => {
            let Some(comment) = attr(e, "comment") else {
                return;
            };
            let Some(frame) = d.frames.last_mut() else {
                return;
            };
            if let Some(m) = comment
                .strip_prefix("Module ")
                .and_then(|r| r.strip_suffix(" is enabled"))
            {
                frame.module = Some(m.trim().to_string());
            } else if let Some((pkg, evr)) = comment.split_once(" is earlier than ") {
                let (pkg, evr) = (pkg.trim(), evr.trim());
                if !pkg.is_empty() && !evr.is_empty() && !pkg.contains(' ') {
                    frame.pkgs.push((pkg.to_string(), evr.to_string(), None));
                }
            }
        }
        _ => {}
    }
}

fn finish(file: &str, d: Def, out: &mut Parsed, vendor: &Vendor) {
    let id = d
        .rhsa
        .clone()
        .or_else(|| {
            d.title
                .split(':')
                .next()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| d.id.clone());
    let mut majors: Vec<String> = d
        .cpes
        .iter()
        .filter_map(|c| rhel_major(c).map(str::to_string))
        .collect();
    if majors.is_empty() {
        majors.extend(d.platform_major.clone());
    }
    majors.sort();
    majors.dedup();
    if d.pkgs.is_empty() {
        return; // e.g. "unpatched" definitions without a version test
    }
    if majors.is_empty() {
        out.skipped.push(Skipped {
            file: file.to_string(),
            record: id,
            reason: format!(
                "definition names no {} release",
                vendor.platform_prefix.trim()
            ),
        });
        return;
    }
    let mut affected = Vec::new();
    for major in &majors {
        for (pkg, evr, module) in &d.pkgs {
            let a = Affected {
                namespace: Namespace::distro(vendor.family, major),
                package: pkg.clone(),
                rule: VersionRule::LessThan { fixed: evr.clone() },
                fix: FixState::Fixed(evr.clone()),
                fix_advisory: None,
                module: module.clone(),
                severity: None,
                binary_name: true,
            };
            if !affected.contains(&a) {
                affected.push(a);
            }
        }
    }
    let mut aliases = d.cves;
    aliases.sort();
    aliases.dedup();
    out.advisories.push(Advisory {
        id,
        source: vendor.source.into(),
        aliases,
        summary: Some(d.title).filter(|t| !t.is_empty()),
        severity: d
            .severity
            .and_then(|s| s.parse().ok())
            .unwrap_or(Severity::Unknown),
        published: d.issued,
        affected,
        ..Default::default()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_streams_follow_their_packages() {
        let x = r#"<?xml version="1.0"?><oval_definitions><definitions>
<definition class="patch" id="oval:x:def:1"><metadata><title>RHSA-2020:0598: nodejs:12 security update (Important)</title>
<reference ref_id="RHSA-2020:0598" source="RHSA"/><reference ref_id="CVE-2019-15604" source="CVE"/>
<advisory><severity>Important</severity><affected_cpe_list><cpe>cpe:/a:redhat:enterprise_linux:8::appstream</cpe></affected_cpe_list></advisory></metadata>
<criteria operator="OR"><criterion comment="Red Hat Enterprise Linux must be installed" test_ref="t"/>
<criteria operator="AND"><criterion comment="Module nodejs:12 is enabled" test_ref="t"/>
<criteria operator="OR"><criteria operator="AND"><criterion comment="nodejs is earlier than 1:12.16.1-1.module+el8" test_ref="t"/></criteria></criteria></criteria>
<criteria operator="AND"><criterion comment="zlib is earlier than 0:1.2.11-17.el8" test_ref="t"/></criteria>
</criteria></definition></definitions></oval_definitions>"#;
        let p = parse("t.xml", x).unwrap();
        assert_eq!(p.advisories.len(), 1);
        let a = &p.advisories[0];
        assert_eq!(a.id, "RHSA-2020:0598");
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.affected.len(), 2);
        assert_eq!(a.affected[0].package, "nodejs");
        assert_eq!(a.affected[0].module.as_deref(), Some("nodejs:12"));
        assert_eq!(a.affected[1].module, None);
        assert_eq!(a.affected[0].namespace.as_str(), "rhel:8");
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(parse("t", "<oval_definitions><definition></oval_definitions>").is_err());
        assert!(parse("t", "<other/>").is_err());
    }
}
