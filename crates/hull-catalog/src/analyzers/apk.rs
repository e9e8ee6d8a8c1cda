//! apk: `lib/apk/db/installed`, the Alpine package database.
//!
//! Paragraphs separated by blank lines, one `X:value` per line
//! (<https://wiki.alpinelinux.org/wiki/Apk_spec>): `P` name, `V` version, `A` arch,
//! `o` origin (the source package, named by secdb advisories), `L` licence, `F` a
//! directory and `R` a file in the last `F` (the files the package installed).

use std::collections::BTreeMap;

use hull_model::{Ecosystem, ImagePath, Package};

use crate::{purl, AnalyzeError, FileInput, Found};

pub const ID: &str = "apk";
const PATH: &str = "lib/apk/db/installed";
/// Where the database lands when `/lib` is a symlink to `usr/lib` (merged-usr images).
const USR_PATH: &str = "usr/lib/apk/db/installed";
const MAX_SIZE: u64 = 256 * 1024 * 1024;

pub fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= MAX_SIZE && (path.as_str() == PATH || path.as_str() == USR_PATH)
}

/// One installed package as the database records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    pub origin: Option<String>,
    pub license: Option<String>,
    pub commit: Option<String>,
    pub files: Vec<ImagePath>,
}

pub fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    let text = String::from_utf8_lossy(input.data);
    let (entries, warnings) = parse_installed(&text);
    let mut found = Found {
        warnings,
        ..Found::default()
    };
    for e in entries {
        found.owned_paths.extend(e.files.iter().cloned());
        let mut properties = BTreeMap::new();
        if let Some(c) = &e.commit {
            properties.insert("apk.commit".to_string(), c.clone());
        }
        let purl = purl::os_package(
            Ecosystem::Apk,
            None,
            &e.name,
            &e.version,
            e.arch.as_deref(),
            None,
        );
        found.packages.push(Package {
            source_name: Some(e.origin.clone().unwrap_or_else(|| e.name.clone())),
            source_version: Some(e.version.clone()),
            licenses: e.license.into_iter().collect(),
            arch: e.arch,
            properties,
            ..Package::new(
                Ecosystem::Apk,
                e.name,
                e.version,
                purl,
                input.path.clone(),
                ID,
            )
        });
    }
    Ok(found)
}

pub fn parse_installed(text: &str) -> (Vec<Entry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut cur = Entry::default();
    let mut dir: Option<ImagePath> = None;
    let flush = |cur: &mut Entry, entries: &mut Vec<Entry>, warnings: &mut Vec<String>| {
        let e = std::mem::take(cur);
        if e == Entry::default() {
            return;
        }
        if e.name.is_empty() || e.version.is_empty() {
            warnings.push(format!(
                "skipped a record without P/V (P:{})",
                if e.name.is_empty() { "?" } else { &e.name }
            ));
        } else {
            entries.push(e);
        }
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut cur, &mut entries, &mut warnings);
            dir = None;
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let none_if_empty = || (!value.is_empty()).then(|| value.to_string());
        match key {
            "P" => cur.name = value.to_string(),
            "V" => cur.version = value.to_string(),
            "A" => cur.arch = none_if_empty(),
            "o" => cur.origin = none_if_empty(),
            "L" => cur.license = none_if_empty(),
            "c" => cur.commit = none_if_empty(),
            "F" => {
                dir = ImagePath::new(value).ok();
                if let Some(d) = &dir {
                    cur.files.push(d.clone());
                }
            }
            "R" => {
                let base = dir.clone().unwrap_or_default();
                if let Ok(p) = base.join(value) {
                    cur.files.push(p);
                }
            }
            _ => {}
        }
    }
    flush(&mut cur, &mut entries, &mut warnings);
    (entries, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_files() {
        let text = "C:Q1a=\nP:musl\nV:1.1.20-r4\nA:x86_64\nL:MIT\no:musl\nc:924ee\nF:lib\nR:libc.musl-x86_64.so.1\nF:usr\n\n\
P:libcrypto1.1\nV:1.1.1b-r1\nA:x86_64\no:openssl\nR:../../etc/evil\n\nP:broken\n\n";
        let (e, w) = parse_installed(text);
        assert_eq!(e.len(), 2);
        assert_eq!(w.len(), 1);
        assert_eq!(e[0].origin.as_deref(), Some("musl"));
        let files: Vec<_> = e[0].files.iter().map(|p| p.as_str()).collect();
        assert_eq!(files, vec!["lib", "lib/libc.musl-x86_64.so.1", "usr"]);
        assert!(e[1].files.is_empty());
        let input = FileInput {
            path: &ImagePath::new(PATH).unwrap(),
            mode: 0o644,
            data: text.as_bytes(),
        };
        let f = parse(&input).unwrap();
        assert_eq!(f.packages[1].source_name.as_deref(), Some("openssl"));
        assert_eq!(f.packages[1].source_version.as_deref(), Some("1.1.1b-r1"));
        assert!(wants(&ImagePath::new(USR_PATH).unwrap(), 0, 10));
        assert!(!wants(
            &ImagePath::new("lib/apk/db/scripts.tar").unwrap(),
            0,
            10
        ));
    }
}
