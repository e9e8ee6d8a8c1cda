//! rpm: the installed-package database in all three formats rpm has used, read in pure
//! Rust (no librpm): Berkeley DB hash (`Packages`, [`bdb`]), ndb (`Packages.db`,
//! [`ndb`]) and SQLite (`rpmdb.sqlite`, [`sqlite`]). Each yields header blobs that
//! [`header`] decodes into packages; their file lists become owned paths.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

use std::collections::BTreeMap;

use hull_model::{Ecosystem, ImagePath, Package};

use crate::{purl, AnalyzeError, FileInput, Found};
use header::Header;

pub const ID: &str = "rpm";

/// CentOS 8's database is 26 MiB; leave room for big RHEL images.
const MAX_SIZE: u64 = 1024 * 1024 * 1024;

/// rpm ≤ 4.16 uses `var/lib/rpm`; newer Fedora/SUSE/openSUSE `usr/lib/sysimage/rpm`.
const DIRS: &[&str] = &["var/lib/rpm/", "usr/lib/sysimage/rpm/"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    BerkeleyDb,
    Ndb,
    Sqlite,
}

pub fn format_of(path: &ImagePath) -> Option<Format> {
    let p = path.as_str();
    let name = DIRS.iter().find_map(|d| p.strip_prefix(d))?;
    match name {
        "Packages" => Some(Format::BerkeleyDb),
        "Packages.db" => Some(Format::Ndb),
        "rpmdb.sqlite" => Some(Format::Sqlite),
        _ => None,
    }
}

pub fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= MAX_SIZE && format_of(path).is_some()
}

/// One package as its header describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
    pub license: Option<String>,
    pub vendor: Option<String>,
    pub modularity_label: Option<String>,
    pub files: Vec<String>,
}

impl Entry {
    /// `[epoch:]version-release`, the form rpm's comparator takes.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// Source package name and `version-release` from SOURCERPM
    /// (`name-version-release.src.rpm`); a package without one is its own source.
    pub fn source(&self) -> (String, String) {
        let parsed = self.source_rpm.as_deref().and_then(parse_source_rpm);
        parsed.unwrap_or_else(|| {
            (
                self.name.clone(),
                format!("{}-{}", self.version, self.release),
            )
        })
    }
}

/// `openssl-1.0.2k-12.el7.src.rpm` → (`openssl`, `1.0.2k-12.el7`).
pub fn parse_source_rpm(s: &str) -> Option<(String, String)> {
    let stem = s
        .strip_suffix(".src.rpm")
        .or_else(|| s.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name.to_string(), format!("{version}-{release}")))
}

/// Decode one header blob. `Ok(None)` for blobs that are not packages (gpg-pubkey).
pub fn parse_header(blob: &[u8]) -> Result<Option<Entry>, header::HeaderError> {
    let h = Header::parse(blob)?;
    let name = h.string(header::NAME).unwrap_or_default();
    if name.is_empty() || name == "gpg-pubkey" {
        return Ok(None);
    }
    let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
    Ok(Some(Entry {
        name,
        epoch: h.int32(header::EPOCH),
        version: h.string(header::VERSION).unwrap_or_default(),
        release: h.string(header::RELEASE).unwrap_or_default(),
        arch: nonempty(h.string(header::ARCH)),
        source_rpm: nonempty(h.string(header::SOURCERPM)),
        license: nonempty(h.string(header::LICENSE)),
        vendor: nonempty(h.string(header::VENDOR)),
        modularity_label: nonempty(h.string(header::MODULARITYLABEL)),
        files: h.files(),
    }))
}

/// Header blobs of a database in `format`, plus warnings from the reader.
pub fn blobs(format: Format, data: &[u8]) -> Result<(Vec<Vec<u8>>, Vec<String>), String> {
    match format {
        Format::BerkeleyDb => bdb::values(data).map_err(|e| e.to_string()),
        Format::Ndb => ndb::blobs(data).map_err(|e| e.to_string()),
        Format::Sqlite => sqlite::blobs(data).map_err(|e| e.to_string()),
    }
}

/// All packages of a database file, with per-record warnings.
pub fn parse_db(format: Format, data: &[u8]) -> Result<(Vec<Entry>, Vec<String>), String> {
    let (blobs, mut warnings) = blobs(format, data)?;
    let mut entries = Vec::with_capacity(blobs.len());
    for (i, b) in blobs.iter().enumerate() {
        // Berkeley DB keeps a 4-byte counter record beside the headers.
        if format == Format::BerkeleyDb && b.len() < 16 {
            continue;
        }
        match parse_header(b) {
            Ok(Some(e)) => entries.push(e),
            Ok(None) => {}
            Err(e) => warnings.push(format!("record {i}: {e}")),
        }
    }
    Ok((entries, warnings))
}

pub fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    let format = format_of(input.path).ok_or_else(|| AnalyzeError::Malformed {
        path: input.path.clone(),
        reason: "not an rpm database path".into(),
    })?;
    let (entries, warnings) =
        parse_db(format, input.data).map_err(|reason| AnalyzeError::Malformed {
            path: input.path.clone(),
            reason,
        })?;
    let mut found = Found {
        warnings,
        ..Found::default()
    };
    for e in entries {
        found
            .owned_paths
            .extend(e.files.iter().filter_map(|f| ImagePath::new(f).ok()));
        let (source_name, source_version) = e.source();
        let version = e.evr();
        let mut properties = BTreeMap::new();
        if let Some(v) = &e.vendor {
            properties.insert("rpm.vendor".to_string(), v.clone());
        }
        if let Some(s) = &e.source_rpm {
            properties.insert("rpm.sourcerpm".to_string(), s.clone());
        }
        found.packages.push(Package {
            ecosystem: Ecosystem::Rpm,
            purl: purl::os_package(
                Ecosystem::Rpm,
                None,
                &e.name,
                &version,
                e.arch.as_deref(),
                None,
            ),
            name: e.name,
            version,
            arch: e.arch,
            source_name: Some(source_name),
            source_version: Some(source_version),
            modularity_label: e.modularity_label,
            licenses: e.license.into_iter().collect(),
            path: input.path.clone(),
            layer: None,
            found_by: ID.to_string(),
            properties,
            dev: false,
            root: false,
            depends_on: Vec::new(),
        });
    }
    Ok(found)
}

/// A header blob for tests and fuzz seeds.
pub fn sample_header(
    name: &str,
    epoch: Option<u32>,
    version: &str,
    release: &str,
    srpm: &str,
) -> Vec<u8> {
    use header::{i32a, s, sa};
    let mut entries = vec![
        s(header::NAME, name),
        s(header::VERSION, version),
        s(header::RELEASE, release),
        s(header::ARCH, "x86_64"),
        s(header::LICENSE, "GPLv3+"),
        s(header::SOURCERPM, srpm),
        sa(header::DIRNAMES, &["/usr/bin/"]),
        sa(header::BASENAMES, &[name]),
        i32a(header::DIRINDEXES, &[0]),
    ];
    if let Some(e) = epoch {
        entries.push(i32a(header::EPOCH, &[e]));
    }
    header::build(&entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            parse_source_rpm("centos-release-8.2-2.2004.0.1.el8.src.rpm"),
            Some(("centos-release".into(), "8.2-2.2004.0.1.el8".into()))
        );
        assert_eq!(parse_source_rpm("bad.src.rpm"), None);
        assert_eq!(parse_source_rpm("a-1-2.rpm"), None);
    }

    #[test]
    fn all_three_formats_agree() {
        let blobs = vec![
            sample_header(
                "openssl-libs",
                Some(1),
                "1.0.2k",
                "12.el7",
                "openssl-1.0.2k-12.el7.src.rpm",
            ),
            sample_header(
                "bash",
                None,
                "4.4.19",
                "10.el8",
                "bash-4.4.19-10.el8.src.rpm",
            ),
            header::build(&[header::s(header::NAME, "gpg-pubkey")]),
        ];
        let dbs = [
            (Format::BerkeleyDb, bdb::build(&blobs, true, 100)),
            (Format::BerkeleyDb, bdb::build(&blobs, false, 100)),
            (Format::Ndb, ndb::build(&blobs)),
            (Format::Sqlite, sqlite::build(&blobs).unwrap()),
        ];
        for (format, db) in dbs {
            let (e, w) = parse_db(format, &db).unwrap();
            assert!(w.is_empty(), "{format:?}: {w:?}");
            assert_eq!(e.len(), 2, "{format:?}");
            assert_eq!(e[0].evr(), "1:1.0.2k-12.el7");
            assert_eq!(e[0].source(), ("openssl".into(), "1.0.2k-12.el7".into()));
            assert_eq!(e[1].files, vec!["/usr/bin/bash"]);
        }
    }

    #[test]
    fn analyzer_paths() {
        for (p, ok) in [
            ("var/lib/rpm/Packages", true),
            ("usr/lib/sysimage/rpm/rpmdb.sqlite", true),
            ("var/lib/rpm/Packages.db", true),
            ("var/lib/rpm/Name", false),
        ] {
            assert_eq!(wants(&ImagePath::new(p).unwrap(), 0o644, 10), ok, "{p}");
        }
    }
}
