//! Amazon Linux security advisories (ALAS) from the yum repository's `updateinfo.xml`.
//!
//! Amazon publishes ALAS as RSS, as HTML pages, and as the `updateinfo` metadata of each
//! release's core repository (the file `yum`/`dnf` itself reads for
//! `--security`). hull reads `updateinfo`: it is the only form that names the fixed
//! packages with their exact epoch, version and release for that repository.
//!
//! `<updates><update type="security"><id>ALAS2-2018-939</id><title/><issued date/>
//! <severity>critical</severity><references><reference type="cve" id="CVE-…"/>…
//! <pkglist><collection><package name epoch version release arch/>…`. Each `<update>`
//! is one advisory; each distinct package name one row "binary rpm `name` earlier than
//! `epoch:version-release`" in the release the id names: `ALAS2023-` -> `amzn:2023`,
//! `ALAS2…-` (core and extras) -> `amzn:2`, `ALAS-` -> `amzn:1` (Amazon Linux AMI).

use hull_model::{Advisory, Affected, FixState, Namespace, Severity, VersionRule};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{syntax, FeedError, Format, Parsed, Skipped};

/// The Amazon Linux release an ALAS id belongs to.
pub fn release_of(id: &str) -> Option<&'static str> {
    let rest = id.strip_prefix("ALAS")?;
    if rest.starts_with("2023") {
        Some("2023")
    } else if rest.starts_with('2') {
        Some("2")
    } else if rest.starts_with('-') {
        Some("1")
    } else {
        None
    }
}

#[derive(Default)]
struct Update {
    kind: String,
    id: String,
    title: String,
    severity: String,
    issued: Option<String>,
    updated: Option<String>,
    cves: Vec<String>,
    refs: Vec<String>,
    /// (name, epoch:version-release)
    pkgs: Vec<(String, String)>,
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key.as_bytes())
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

pub fn parse(file: &str, text: &str) -> Result<Parsed, FeedError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut out = Parsed {
        source_hint: Some("amazon-alas".into()),
        ..Parsed::default()
    };
    let mut cur: Option<Update> = None;
    let mut text_target: Option<&'static str> = None;
    let mut saw_root = false;
    loop {
        let ev = reader.read_event().map_err(|e| {
            syntax(
                file,
                Format::AmazonUpdateinfo,
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
                b"updates" => saw_root = true,
                b"update" if is_start => {
                    cur = Some(Update {
                        kind: attr(e, "type").unwrap_or_default(),
                        ..Update::default()
                    })
                }
                b"id" if is_start => text_target = Some("id"),
                b"title" if is_start => text_target = Some("title"),
                b"severity" if is_start => text_target = Some("severity"),
                b"issued" | b"updated" => {
                    if let Some(u) = cur.as_mut() {
                        let d = attr(e, "date");
                        if e.local_name().as_ref() == b"issued" {
                            u.issued = d;
                        } else {
                            u.updated = d;
                        }
                    }
                }
                b"reference" => {
                    if let Some(u) = cur.as_mut() {
                        if attr(e, "type").as_deref() == Some("cve") {
                            if let Some(id) = attr(e, "id") {
                                u.cves.push(id);
                            }
                        }
                        if let Some(h) = attr(e, "href") {
                            u.refs.push(h);
                        }
                    }
                }
                b"package" => {
                    if let (Some(u), Some(name)) = (cur.as_mut(), attr(e, "name")) {
                        let (v, r) = (attr(e, "version"), attr(e, "release"));
                        if let (Some(v), Some(r)) = (v, r) {
                            let evr =
                                match attr(e, "epoch").filter(|ep| ep != "0" && !ep.is_empty()) {
                                    Some(ep) => format!("{ep}:{v}-{r}"),
                                    None => format!("{v}-{r}"),
                                };
                            u.pkgs.push((name, evr));
                        }
                    }
                }
                _ => {}
            }
        }
        match ev {
            Event::Text(t) => {
                if let (Some(target), Some(u)) = (text_target, cur.as_mut()) {
                    let s = t.unescape().map(|c| c.into_owned()).unwrap_or_default();
                    match target {
                        "id" => u.id = s.trim().to_string(),
                        "title" => u.title = s.trim().to_string(),
                        "severity" => u.severity = s.trim().to_string(),
                        _ => {}
                    }
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"id" | b"title" | b"severity" => text_target = None,
                b"update" => {
                    if let Some(u) = cur.take() {
                        finish(file, u, &mut out);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(syntax(
            file,
            Format::AmazonUpdateinfo,
            "no <updates> element",
        ));
    }
    Ok(out)
}

fn finish(file: &str, u: Update, out: &mut Parsed) {
    let skip = |reason: &str| Skipped {
        file: file.to_string(),
        record: if u.id.is_empty() {
            "update without id".into()
        } else {
            u.id.clone()
        },
        reason: reason.to_string(),
    };
    if u.kind != "security" {
        return; // bugfix and enhancement updates are not advisories
    }
    let Some(release) = release_of(&u.id) else {
        out.skipped.push(skip("id names no Amazon Linux release"));
        return;
    };
    if u.pkgs.is_empty() {
        out.skipped.push(skip("no packages"));
        return;
    }
    let ns = Namespace::distro("amzn", release);
    let mut rows: Vec<Affected> = Vec::new();
    for (name, evr) in u.pkgs {
        // One row per package name; arches repeat the same EVR.
        if rows.iter().any(|r| r.package == name) {
            continue;
        }
        rows.push(Affected {
            binary_name: true,
            ..Affected::new(
                ns.clone(),
                name,
                VersionRule::LessThan { fixed: evr.clone() },
                FixState::Fixed(evr),
            )
        });
    }
    let mut aliases = u.cves;
    aliases.sort();
    aliases.dedup();
    out.advisories.push(Advisory {
        id: u.id,
        source: "amazon-alas".into(),
        aliases,
        summary: Some(u.title).filter(|t| !t.is_empty()),
        severity: u.severity.parse().unwrap_or(Severity::Unknown),
        published: u.issued,
        modified: u.updated,
        references: u.refs,
        affected: rows,
        ..Default::default()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_of_ids() {
        for (id, rel) in [
            ("ALAS2023-2023-123", Some("2023")),
            ("ALAS2-2018-939", Some("2")),
            ("ALAS2NGINX1-2022-001", Some("2")),
            ("ALAS-2019-1234", Some("1")),
            ("RHSA-2019:1", None),
        ] {
            assert_eq!(release_of(id), rel, "{id}");
        }
    }

    #[test]
    fn updates_become_binary_rows_with_epochs() {
        let x = r#"<?xml version="1.0" ?><updates>
          <update type="security" status="final"><id>ALAS2023-2024-1</id><title>openssl update</title>
            <issued date="2024-01-01 00:00"/><severity>important</severity>
            <references><reference type="cve" id="CVE-2024-2" href="https://x/CVE-2024-2"/></references>
            <pkglist><collection short="amazon-linux-2023">
              <package name="openssl-libs" epoch="1" version="3.0.8" release="1.amzn2023.0.10" arch="x86_64"/>
              <package name="openssl-libs" epoch="1" version="3.0.8" release="1.amzn2023.0.10" arch="aarch64"/>
              <package name="openssl" epoch="0" version="3.0.8" release="1.amzn2023.0.10" arch="x86_64"/>
            </collection></pkglist></update>
          <update type="bugfix"><id>ALAS2023-2024-2</id><pkglist><collection><package name="a" version="1" release="1"/></collection></pkglist></update>
          <update type="security"><id>XYZ-1</id><pkglist><collection><package name="a" version="1" release="1"/></collection></pkglist></update>
        </updates>"#;
        let p = parse("updateinfo.xml", x).unwrap();
        assert_eq!(p.advisories.len(), 1);
        assert_eq!(p.skipped.len(), 1);
        let a = &p.advisories[0];
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.aliases, ["CVE-2024-2"]);
        assert_eq!(a.affected.len(), 2);
        assert_eq!(a.affected[0].namespace.as_str(), "amzn:2023");
        assert!(a.affected[0].binary_name);
        assert_eq!(
            a.affected[0].rule,
            VersionRule::LessThan {
                fixed: "1:3.0.8-1.amzn2023.0.10".into()
            }
        );
        assert_eq!(
            a.affected[1].rule,
            VersionRule::LessThan {
                fixed: "3.0.8-1.amzn2023.0.10".into()
            }
        );
        assert!(
            parse("x.xml", "<updates><update>").is_err()
                || parse("x.xml", "<updates><update>")
                    .unwrap()
                    .advisories
                    .is_empty()
        );
    }
}
