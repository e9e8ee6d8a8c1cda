//! Debian security tracker raw `data/DSA/list` and `data/DLA/list`.
//!
//! ```text
//! [31 Mar 2023] DLA-3377-1 systemd - security update
//!     {CVE-2023-26604}
//!     [buster] - systemd 241-7~deb10u9
//!     [stretch] - systemd <not-affected> (vulnerable code not present)
//!     NOTE: …
//! ```
//! Body lines are indented with a tab in the real file. One advisory per entry; one
//! affected row per `[release] - package version` line,
//! keyed on the SOURCE package and the Debian major version (`debian:10`).

use hull_model::{Advisory, Affected, FixState, Namespace, VersionRule};

use super::{debian_release, Parsed, Skipped};

/// True when the text starts like a DSA/DLA list (`[DD Mon YYYY] DSA-…`).
pub fn looks_like(head: &str) -> bool {
    head.lines()
        .find(|l| !l.trim().is_empty())
        .and_then(parse_header)
        .is_some()
}

struct Header<'a> {
    date: &'a str,
    id: &'a str,
    package: &'a str,
    title: &'a str,
}

fn parse_header(line: &str) -> Option<Header<'_>> {
    let rest = line.strip_prefix('[')?;
    let (date, rest) = rest.split_once(']')?;
    let rest = rest.trim_start();
    let (id, rest) = rest.split_once(char::is_whitespace)?;
    let kind_ok = ["DSA-", "DLA-", "ELA-", "DTSA-"]
        .iter()
        .any(|p| id.starts_with(p) && id.len() > p.len());
    if !kind_ok || !id[4..].chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let rest = rest.trim();
    let (package, title) = match rest.split_once(" - ") {
        Some((p, t)) => (p.trim(), t.trim()),
        None => (rest, ""),
    };
    if package.is_empty() {
        return None;
    }
    Some(Header {
        date: date.trim(),
        id,
        package,
        title,
    })
}

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut current: Option<Advisory> = None;
    let mut current_bad = false;
    let mut kind: Option<&str> = None;
    for (n, line) in text.lines().enumerate() {
        let lineno = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            if let Some(a) = current.take() {
                finish(a, file, &mut out);
            }
            match parse_header(line) {
                Some(h) => {
                    kind.get_or_insert(if h.id.starts_with("DLA-") {
                        "debian-dla"
                    } else if h.id.starts_with("ELA-") {
                        "debian-ela"
                    } else {
                        "debian-dsa"
                    });
                    current_bad = false;
                    current = Some(Advisory {
                        id: h.id.to_string(),
                        source: String::new(),
                        summary: Some(format!("{} {}", h.package, h.title).trim().to_string()),
                        published: Some(h.date.to_string()),
                        ..Default::default()
                    });
                }
                None => {
                    current_bad = true;
                    out.skipped.push(Skipped {
                        file: file.to_string(),
                        record: format!("line {lineno}"),
                        reason: format!("malformed entry header `{}`", truncate(line)),
                    });
                }
            }
            continue;
        }
        if current_bad {
            continue; // body of a skipped entry
        }
        let Some(adv) = current.as_mut() else {
            out.skipped.push(Skipped {
                file: file.to_string(),
                record: format!("line {lineno}"),
                reason: "indented line before any entry".into(),
            });
            continue;
        };
        let body = line.trim();
        if let Some(ids) = body.strip_prefix('{') {
            let ids = ids.split('}').next().unwrap_or("");
            adv.aliases
                .extend(ids.split_whitespace().map(str::to_string));
        } else if let Some(rest) = body.strip_prefix('[') {
            match parse_release_line(rest) {
                Some((release, pkg, rule, fix)) => adv.affected.push(Affected::new(
                    Namespace::distro("debian", release),
                    pkg,
                    rule,
                    fix,
                )),
                None => out.skipped.push(Skipped {
                    file: file.to_string(),
                    record: format!("{} (line {lineno})", adv.id),
                    reason: format!("unreadable release line `{}`", truncate(body)),
                }),
            }
        }
        // NOTE:/TODO: lines carry no matching data.
    }
    if let Some(a) = current.take() {
        finish(a, file, &mut out);
    }
    let source = kind.unwrap_or("debian-dsa");
    for a in &mut out.advisories {
        a.source = source.to_string();
    }
    out.source_hint = Some(source.to_string());
    out
}

fn finish(mut a: Advisory, file: &str, out: &mut Parsed) {
    a.aliases.sort();
    a.aliases.dedup();
    if a.affected.is_empty() {
        out.skipped.push(Skipped {
            file: file.to_string(),
            record: a.id,
            reason: "entry names no release and package".into(),
        });
        return;
    }
    out.advisories.push(a);
}

/// `[buster] - systemd 241-7~deb10u9` (after the `[`).
fn parse_release_line(rest: &str) -> Option<(&'static str, &str, VersionRule, FixState)> {
    let (codename, rest) = rest.split_once(']')?;
    let release = debian_release(codename)?;
    let rest = rest.trim_start().strip_prefix('-')?.trim();
    let mut words = rest.split_whitespace();
    let pkg = words.next()?;
    let version = words.next()?;
    let (rule, fix) = match version {
        "<not-affected>" => (VersionRule::Unaffected, FixState::NotAffected),
        "<end-of-life>" => (VersionRule::All, FixState::EndOfLife),
        "<unfixed>" | "<postponed>" | "<undetermined>" => (VersionRule::All, FixState::NotFixed),
        "<ignored>" | "<no-dsa>" => (VersionRule::All, FixState::WontFix),
        v if v.starts_with('<') => return None,
        v if v.chars().next().is_some_and(|c| c.is_ascii_digit()) => (
            VersionRule::LessThan {
                fixed: v.to_string(),
            },
            FixState::Fixed(v.to_string()),
        ),
        _ => return None,
    };
    Some((release, pkg, rule, fix))
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_releases_and_malformed_headers() {
        let text = "[31 Mar 2023] DLA-3377-1 systemd - security update\n\t{CVE-2023-26604}\n\t[buster] - systemd 241-7~deb10u9\n\t[stretch] - systemd <not-affected> (reason)\n\tNOTE: x\n[19 Jul 2021] MALFORMED HEADER\n\t{CVE-2021-1}\n[24 Mar 2023] DLA-3366-1 tzdata - new upstream\n\t[buster] - tzdata 2021a-0+deb10u10\n";
        let p = parse("list", text);
        assert_eq!(p.source_hint.as_deref(), Some("debian-dla"));
        assert_eq!(p.advisories.len(), 2);
        let a = &p.advisories[0];
        assert_eq!(a.id, "DLA-3377-1");
        assert_eq!(a.aliases, vec!["CVE-2023-26604"]);
        assert_eq!(a.affected.len(), 2);
        assert_eq!(a.affected[0].namespace.as_str(), "debian:10");
        assert_eq!(a.affected[1].rule, VersionRule::Unaffected);
        assert!(p.advisories[1].aliases.is_empty());
        assert_eq!(p.skipped.len(), 1);
        assert!(p.skipped[0].reason.contains("MALFORMED"));
    }
}
