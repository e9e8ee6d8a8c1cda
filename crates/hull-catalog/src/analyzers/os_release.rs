//! Release files → [`Distro`]: `os-release` (freedesktop.org format) and the older
//! one-line files (`alpine-release`, `debian_version`, `redhat-release`, …).
//!
//! Which file wins when several exist is decided at assembly with [`choose`]:
//! os-release is the most precise, the distro-specific files fill the gap on images that
//! predate it (CentOS 5/6) or refine a RHEL-family point release (`8` → `8.2.2004`).

use hull_model::{Distro, ImagePath};

use crate::{AnalyzeError, FileInput, Found};

pub const ID: &str = "os-release";

/// The release files, best first. `etc/os-release` is usually a symlink to
/// `usr/lib/os-release`; assembly resolves it through the merged tree.
pub const PATHS: &[&str] = &[
    "etc/os-release",
    "usr/lib/os-release",
    "etc/centos-release",
    "etc/redhat-release",
    "etc/system-release",
    "usr/lib/system-release",
    "etc/alpine-release",
    "etc/debian_version",
];

/// Release files are tiny; anything bigger is not one.
const MAX_SIZE: u64 = 64 * 1024;

/// Release files and whatever they link to under `etc/` or `usr/lib/` (the links are
/// followed at assembly, so the target must have been read too).
pub fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    let in_dir = matches!(
        path.parent().as_ref().map(ImagePath::as_str),
        Some("etc") | Some("usr/lib")
    );
    size <= MAX_SIZE
        && in_dir
        && PATHS
            .iter()
            .any(|p| p.rsplit('/').next() == Some(path.file_name()))
}

pub fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    let text = String::from_utf8_lossy(input.data);
    let distro = match input.path.file_name() {
        "os-release" => parse_os_release(&text, input.path),
        "alpine-release" => parse_alpine_release(&text, input.path),
        "debian_version" => parse_debian_version(&text, input.path),
        _ => parse_redhat_release(&text, input.path),
    };
    match distro {
        Some(d) => Ok(Found {
            distro: Some(d),
            ..Found::default()
        }),
        None => Err(AnalyzeError::Malformed {
            path: input.path.clone(),
            reason: "no distribution id or version in release file".into(),
        }),
    }
}

/// `KEY=value` lines with shell-style quoting
/// (<https://www.freedesktop.org/software/systemd/man/os-release.html>).
pub fn parse_os_release(text: &str, path: &ImagePath) -> Option<Distro> {
    let mut d = Distro {
        path: path.clone(),
        ..Distro::default()
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(raw.trim());
        match key.trim() {
            "ID" => d.id = value.to_ascii_lowercase(),
            "VERSION_ID" => d.version_id = value,
            "VERSION_CODENAME" if !value.is_empty() => d.codename = Some(value),
            "PRETTY_NAME" if !value.is_empty() => d.pretty_name = Some(value),
            "ID_LIKE" => {
                d.id_like = value
                    .split_whitespace()
                    .map(|s| s.to_ascii_lowercase())
                    .collect()
            }
            _ => {}
        }
    }
    // Debian testing/sid have no VERSION_ID; the id alone still names the distro.
    (!d.id.is_empty()).then_some(d)
}

/// Undo the quoting os-release allows: `"..."` or `'...'` with backslash escapes.
fn unquote(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let quoted = bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0];
    let inner = if quoted { &raw[1..raw.len() - 1] } else { raw };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

pub fn parse_alpine_release(text: &str, path: &ImagePath) -> Option<Distro> {
    let v = first_line(text);
    let ok = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    ok.then(|| Distro {
        id: "alpine".into(),
        version_id: v.to_string(),
        path: path.clone(),
        ..Distro::default()
    })
}

/// `12.15` → `12`; `buster/sid` (Ubuntu, testing) → codename only.
pub fn parse_debian_version(text: &str, path: &ImagePath) -> Option<Distro> {
    let v = first_line(text);
    if v.is_empty() {
        return None;
    }
    let major = v.split('.').next().unwrap_or("");
    let mut d = Distro {
        id: "debian".into(),
        path: path.clone(),
        ..Distro::default()
    };
    if !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()) {
        d.version_id = major.to_string();
    } else {
        d.codename = Some(v.to_string());
    }
    Some(d)
}

/// `CentOS Linux release 8.2.2004 (Core)`, `Red Hat Enterprise Linux Server release 7.9
/// (Maipo)`, `Amazon Linux release 2023 (Amazon Linux)`, `Fedora release 38 (…)`.
pub fn parse_redhat_release(text: &str, path: &ImagePath) -> Option<Distro> {
    let line = first_line(text);
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?.to_string();
    let lower = name.to_ascii_lowercase();
    let id = if lower.starts_with("centos") {
        "centos"
    } else if lower.starts_with("red hat") {
        "rhel"
    } else if lower.starts_with("amazon") {
        "amzn"
    } else if lower.starts_with("fedora") {
        "fedora"
    } else if lower.starts_with("rocky") {
        "rocky"
    } else if lower.starts_with("almalinux") {
        "almalinux"
    } else if lower.starts_with("oracle") {
        "ol"
    } else if lower.starts_with("scientific") {
        "scientific"
    } else {
        return None;
    };
    Some(Distro {
        id: id.into(),
        version_id: version,
        pretty_name: Some(line.to_string()),
        path: path.clone(),
        ..Distro::default()
    })
}

/// Choose the distro from `(rank, distro)` pairs, rank being the index in [`PATHS`] of
/// the release file it was read through.
///
/// The best-ranked file decides the id. A RHEL-family os-release only says `8`; when a
/// release file of the same distro gives `8.2.2004`, that point release is kept because
/// it is what users (and purls) name.
pub fn choose(mut candidates: Vec<(usize, Distro)>) -> Option<Distro> {
    candidates.sort_by_key(|(rank, _)| *rank);
    let mut best = candidates.first()?.1.clone();
    for (_, other) in candidates.iter().skip(1) {
        if other.id == best.id
            && other.version_id.len() > best.version_id.len()
            && other
                .version_id
                .strip_prefix(best.version_id.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
            && !matches!(best.id.as_str(), "debian" | "ubuntu" | "alpine")
        {
            best.version_id = other.version_id.clone();
        }
        if best.version_id.is_empty() && other.id == best.id && !other.version_id.is_empty() {
            best.version_id = other.version_id.clone();
        }
    }
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ImagePath {
        ImagePath::new(s).unwrap()
    }

    #[test]
    fn os_release_quoting() {
        let d = parse_os_release(
            "# comment\nNAME=\"CentOS Linux\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"8\"\nPRETTY_NAME='CentOS \\\"8\\\"'\n\nVERSION_CODENAME=\n",
            &p("usr/lib/os-release"),
        )
        .unwrap();
        assert_eq!(d.id, "centos");
        assert_eq!(d.version_id, "8");
        assert_eq!(d.id_like, vec!["rhel", "fedora"]);
        assert_eq!(d.pretty_name.as_deref(), Some("CentOS \"8\""));
        assert_eq!(d.codename, None);
        assert!(parse_os_release("NAME=x\n", &p("etc/os-release")).is_none());
        assert!(parse_os_release("\"=\n=\n'\n", &p("etc/os-release")).is_none());
    }

    #[test]
    fn one_line_release_files() {
        for (file, text, id, ver) in [
            (
                "etc/redhat-release",
                "CentOS release 5.11 (Final)\n",
                "centos",
                "5.11",
            ),
            (
                "etc/centos-release",
                "CentOS Linux release 8.2.2004 (Core) \n",
                "centos",
                "8.2.2004",
            ),
            (
                "etc/system-release",
                "Amazon Linux release 2023 (Amazon Linux)\n",
                "amzn",
                "2023",
            ),
            (
                "etc/redhat-release",
                "Red Hat Enterprise Linux Server release 7.9 (Maipo)",
                "rhel",
                "7.9",
            ),
            ("etc/alpine-release", "3.9.6\n", "alpine", "3.9.6"),
            ("etc/debian_version", "12.15\n", "debian", "12"),
        ] {
            let input = FileInput {
                path: &p(file),
                mode: 0o644,
                data: text.as_bytes(),
            };
            let d = parse(&input).unwrap().distro.unwrap();
            assert_eq!((d.id.as_str(), d.version_id.as_str()), (id, ver), "{file}");
        }
        let input = FileInput {
            path: &p("etc/redhat-release"),
            mode: 0,
            data: b"garbage",
        };
        assert!(parse(&input).is_err());
        let d = parse_debian_version("buster/sid\n", &p("etc/debian_version")).unwrap();
        assert!(wants(&p("etc/redhat-release"), 0, 30));
        assert!(wants(&p("usr/lib/os-release"), 0, 30));
        assert!(!wants(&p("usr/share/os-release"), 0, 30));
        assert!(!wants(&p("etc/os-release"), 0, 1 << 20));
        assert_eq!(d.codename.as_deref(), Some("buster/sid"));
    }

    #[test]
    fn choice_prefers_os_release_and_refines_rhel_point_release() {
        let os = parse_os_release("ID=centos\nVERSION_ID=\"8\"\n", &p("etc/os-release")).unwrap();
        let rel = parse_redhat_release(
            "CentOS Linux release 8.2.2004 (Core)",
            &p("etc/centos-release"),
        )
        .unwrap();
        let d = choose(vec![(2, rel), (0, os)]).unwrap();
        assert_eq!(
            (d.id.as_str(), d.version_id.as_str()),
            ("centos", "8.2.2004")
        );
        assert_eq!(d.path.as_str(), "etc/os-release");

        let os =
            parse_os_release("ID=debian\nVERSION_ID=\"12\"\n", &p("usr/lib/os-release")).unwrap();
        let dv = parse_debian_version("12.15", &p("etc/debian_version")).unwrap();
        assert_eq!(choose(vec![(7, dv), (1, os)]).unwrap().version_id, "12");
        assert!(choose(vec![]).is_none());
    }
}
