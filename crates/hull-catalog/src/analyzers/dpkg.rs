//! dpkg: the status database (`var/lib/dpkg/status`), distroless's one-file-per-package
//! `var/lib/dpkg/status.d/*`, and the file lists (`var/lib/dpkg/info/*.list`,
//! `status.d/*.md5sums`) that say which files the packages installed.
//!
//! The status file is deb822 (RFC 822-like paragraphs; see `man deb-status`). A package
//! counts as installed when dpkg has a current version for it: every state except
//! `not-installed` and `config-files` (a removed package leaves only its conffiles).

use std::collections::BTreeMap;

use hull_model::{Ecosystem, ImagePath, Package};

use crate::{purl, AnalyzeError, FileInput, Found};

pub const ID: &str = "dpkg";
/// Licences from machine-readable `usr/share/doc/<package>/copyright` files.
pub const COPYRIGHT_ID: &str = "dpkg-copyright";

/// Copyright files are small; a huge one is not worth reading for a licence name.
const MAX_COPYRIGHT: u64 = 1024 * 1024;

pub fn wants_copyright(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= MAX_COPYRIGHT
        && path.file_name() == "copyright"
        && path
            .parent()
            .and_then(|d| d.parent())
            .is_some_and(|d| d.as_str() == "usr/share/doc")
}

/// DEP-5 (<https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/>): every
/// `License:` field's first line names a licence. Free-form copyright files name none we
/// could trust, so they yield nothing.
pub fn parse_copyright(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    let package = input
        .path
        .parent()
        .map(|d| d.file_name().to_string())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(input.data);
    let licenses = copyright_licenses(&text);
    let mut found = Found::default();
    if !package.is_empty() && !licenses.is_empty() {
        found.licenses_for.push((Ecosystem::Deb, package, licenses));
    }
    Ok(found)
}

pub fn copyright_licenses(text: &str) -> Vec<String> {
    let paras = paragraphs(text);
    let machine_readable = paras.first().is_some_and(|p| {
        p.iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("Format") && v.contains("copyright-format"))
    });
    if !machine_readable {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (k, v) in paras.iter().flatten() {
        if !k.eq_ignore_ascii_case("License") {
            continue;
        }
        let name = v.lines().next().unwrap_or("").trim();
        if !name.is_empty() && name.len() <= 200 && !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    }
    out
}

/// Status files of big images are a few MiB; lists are small.
const MAX_SIZE: u64 = 256 * 1024 * 1024;

pub fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    if size > MAX_SIZE {
        return false;
    }
    let p = path.as_str();
    if p == "var/lib/dpkg/status" {
        return true;
    }
    if let Some(name) = p.strip_prefix("var/lib/dpkg/status.d/") {
        return !name.is_empty() && !name.contains('/');
    }
    if let Some(name) = p.strip_prefix("var/lib/dpkg/info/") {
        return name.ends_with(".list") && !name.contains('/');
    }
    false
}

pub fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    let p = input.path.as_str();
    let text = String::from_utf8_lossy(input.data);
    if p.ends_with(".list") && p.starts_with("var/lib/dpkg/info/") {
        return Ok(Found {
            owned_paths: parse_list(&text),
            ..Found::default()
        });
    }
    if p.starts_with("var/lib/dpkg/status.d/") && p.ends_with(".md5sums") {
        return Ok(Found {
            owned_paths: parse_md5sums(&text),
            ..Found::default()
        });
    }
    // distroless writes its status.d files without a Status field: presence means installed.
    let require_status = !p.starts_with("var/lib/dpkg/status.d/");
    let (entries, warnings) = parse_status(&text, require_status);
    let packages = entries
        .into_iter()
        .map(|e| e.into_package(input.path))
        .collect();
    Ok(Found {
        packages,
        warnings,
        ..Found::default()
    })
}

/// One installed package as the status file records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    pub source_name: String,
    pub source_version: String,
    pub status: Option<String>,
}

impl Entry {
    fn into_package(self, path: &ImagePath) -> Package {
        let purl = purl::os_package(
            Ecosystem::Deb,
            None,
            &self.name,
            &self.version,
            self.arch.as_deref(),
            None,
        );
        let mut properties = BTreeMap::new();
        if let Some(s) = self.status {
            properties.insert("dpkg.status".to_string(), s);
        }
        Package {
            arch: self.arch,
            source_name: Some(self.source_name),
            source_version: Some(self.source_version),
            properties,
            ..Package::new(
                Ecosystem::Deb,
                self.name,
                self.version,
                purl,
                path.clone(),
                ID.to_string(),
            )
        }
    }
}

/// Split deb822 text into paragraphs of `(field, value)`; continuation lines are joined
/// with `\n` (only the single-line fields are used here).
pub fn paragraphs(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = cur.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            cur.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Parse a status file. Returns the installed packages and a warning per paragraph that
/// had to be skipped for lack of a name or version.
pub fn parse_status(text: &str, require_status: bool) -> (Vec<Entry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    for para in paragraphs(text) {
        let get = |k: &str| {
            para.iter()
                .find(|(f, _)| f.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let status = get("Status");
        match status {
            Some(s) if !is_installed(s) => continue,
            None if require_status => continue,
            _ => {}
        }
        let (Some(name), Some(version)) = (get("Package"), get("Version")) else {
            warnings.push(format!(
                "skipped a paragraph without Package/Version (Package: {})",
                get("Package").unwrap_or("?")
            ));
            continue;
        };
        if name.is_empty() || version.is_empty() {
            warnings.push(format!(
                "skipped package `{name}` with an empty name or version"
            ));
            continue;
        }
        let (source_name, source_version) = match get("Source") {
            Some(src) if !src.is_empty() => parse_source(src, version),
            _ => (name.to_string(), version.to_string()),
        };
        entries.push(Entry {
            name: name.to_string(),
            version: version.to_string(),
            arch: get("Architecture")
                .filter(|a| !a.is_empty())
                .map(str::to_string),
            source_name,
            source_version,
            status: status.map(str::to_string),
        });
    }
    (entries, warnings)
}

/// `Status: want flag state`: dpkg keeps a current version in every state but these two.
fn is_installed(status: &str) -> bool {
    match status.split_whitespace().nth(2) {
        Some(state) => !matches!(state, "not-installed" | "config-files"),
        None => false,
    }
}

/// `Source: name` or `Source: name (version)`; the version defaults to the binary's.
fn parse_source(src: &str, binary_version: &str) -> (String, String) {
    match src.split_once('(') {
        Some((name, rest)) => {
            let ver = rest.split(')').next().unwrap_or("").trim();
            let ver = if ver.is_empty() { binary_version } else { ver };
            (name.trim().to_string(), ver.to_string())
        }
        None => (src.trim().to_string(), binary_version.to_string()),
    }
}

/// `info/*.list`: one absolute path per line (directories included).
pub fn parse_list(text: &str) -> Vec<ImagePath> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "/." && *l != "/")
        .filter_map(|l| ImagePath::new(l).ok())
        .collect()
}

/// `md5sums`: `<hex>  <relative path>` per line.
pub fn parse_md5sums(text: &str) -> Vec<ImagePath> {
    text.lines()
        .filter_map(|l| l.split_once("  ").map(|(_, p)| p.trim()))
        .filter(|p| !p.is_empty())
        .filter_map(|p| ImagePath::new(p).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
Package: bsdutils
Status: install ok installed
Priority: required
Architecture: amd64
Source: util-linux (2.33.1-0.1)
Version: 1:2.33.1-0.1
Description: basic utilities from 4.4BSD-Lite
 This package contains the bare minimum.
 .
 More.

Package: libssl3
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: held
Status: hold ok installed
Architecture: all
Version: 2.0

Package: noversion
Status: install ok installed
";

    #[test]
    fn status_fields_and_states() {
        let (e, warnings) = parse_status(STATUS, true);
        let got: Vec<_> = e
            .iter()
            .map(|e| {
                (
                    e.name.as_str(),
                    e.version.as_str(),
                    e.source_name.as_str(),
                    e.source_version.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("bsdutils", "1:2.33.1-0.1", "util-linux", "2.33.1-0.1"),
                ("libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2"),
                ("held", "2.0", "held", "2.0"),
            ]
        );
        assert_eq!(e[0].arch.as_deref(), Some("amd64"));
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn distroless_status_d_without_status_field() {
        let text = "Package: base-files\nVersion: 12.4\nArchitecture: amd64\n";
        assert!(parse_status(text, true).0.is_empty());
        assert_eq!(parse_status(text, false).0.len(), 1);
        assert!(wants(
            &ImagePath::new("var/lib/dpkg/status.d/base").unwrap(),
            0,
            10
        ));
        assert!(!wants(
            &ImagePath::new("var/lib/dpkg/status-old").unwrap(),
            0,
            10
        ));
        assert!(wants(
            &ImagePath::new("var/lib/dpkg/info/libc6:amd64.list").unwrap(),
            0,
            10
        ));
        assert!(!wants(
            &ImagePath::new("var/lib/dpkg/info/libc6.md5sums").unwrap(),
            0,
            10
        ));
    }

    #[test]
    fn lists_and_md5sums() {
        let l = parse_list("/.\n/usr\n/usr/bin/python3.11\n/../etc/bad\n");
        let l: Vec<_> = l.iter().map(|p| p.as_str()).collect();
        assert_eq!(l, vec!["usr", "usr/bin/python3.11"]);
        let m = parse_md5sums("d41d8cd98f00b204e9800998ecf8427e  usr/lib/x.so\nbad\n");
        assert_eq!(m[0].as_str(), "usr/lib/x.so");
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn dep5_copyright_licenses() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: zlib\n\nFiles: *\nCopyright: 1995 Jean-loup Gailly\nLicense: Zlib\n\nFiles: debian/*\nLicense: GPL-2+\n\nLicense: Zlib\n The zlib licence text.\n";
        assert_eq!(copyright_licenses(text), vec!["Zlib", "GPL-2+"]);
        assert!(copyright_licenses("This is free software under the GPL.\n").is_empty());
        let path = ImagePath::new("usr/share/doc/zlib1g/copyright").unwrap();
        assert!(wants_copyright(&path, 0o644, 100));
        assert!(!wants_copyright(
            &ImagePath::new("usr/share/doc/a/b/copyright").unwrap(),
            0,
            1
        ));
        let f = parse_copyright(&FileInput {
            path: &path,
            mode: 0o644,
            data: text.as_bytes(),
        })
        .unwrap();
        assert_eq!(
            f.licenses_for,
            vec![(
                Ecosystem::Deb,
                "zlib1g".to_string(),
                vec!["Zlib".to_string(), "GPL-2+".to_string()]
            )]
        );
    }

    #[test]
    fn source_forms() {
        assert_eq!(
            parse_source("gcc-defaults (1.181)", "4:8.3.0-1"),
            ("gcc-defaults".into(), "1.181".into())
        );
        assert_eq!(parse_source("zlib", "1.2"), ("zlib".into(), "1.2".into()));
        assert_eq!(parse_source("x (", "1"), ("x".into(), "1".into()));
    }
}
