//! `cargo-lock`: `Cargo.lock`, format versions 1 to 4 (TOML).
//!
//! Every `[[package]]` is reported, the workspace's own crates included (they have no
//! `source`): a lockfile describes the whole build, and leaving the root crate out (as
//! Trivy does) hides the application itself from an SBOM. The property `cargo.source`
//! tells a matcher which crates come from crates.io (`crates.io`), which are local
//! (`local`) and which come from git or another registry (the raw source string).
//! Version 1 lockfiles keep checksums in `[metadata]`; they are attached when present.

use std::collections::BTreeMap;

use hull_model::{Ecosystem, ImagePath, Purl};
use serde::Deserialize;

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "cargo-lock",
    wants,
    parse,
};

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= lang::MAX_TEXT && path.file_name() == "Cargo.lock"
}

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPackage>,
    #[serde(default)]
    metadata: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, lang::MAX_TEXT)?;
    let text = lang::text(input.path, input.data)?;
    let lock: Lock = toml::from_str(text)
        .map_err(|e| lang::malformed(input.path, format!("Cargo.lock: {}", e.message())))?;
    let mut found = Found::default();
    for p in lock.package {
        if p.name.is_empty() || p.version.is_empty() {
            found.warnings.push(format!(
                "{}: package with empty name or version",
                input.path
            ));
            continue;
        }
        let source = source_kind(p.source.as_deref());
        let checksum = p.checksum.clone().or_else(|| {
            // v1: "checksum NAME VERSION (SOURCE)" = "HEX"
            let key = format!(
                "checksum {} {} ({})",
                p.name,
                p.version,
                p.source.as_deref()?
            );
            lock.metadata.get(&key)?.as_str().map(str::to_string)
        });
        let purl = Purl::new("cargo", None, &p.name, Some(&p.version), &[]);
        let mut pkg = lang::package(
            Ecosystem::Cargo,
            &p.name,
            &p.version,
            purl,
            input.path.clone(),
            ANALYZER.id,
        );
        pkg.properties.insert("cargo.source".to_string(), source);
        if let Some(c) = checksum {
            pkg.properties.insert("cargo.checksum".to_string(), c);
        }
        found.packages.push(pkg);
    }
    Ok(found)
}

/// `crates.io` for the public registry (git or sparse index), `local` for workspace
/// members and path dependencies, the raw source otherwise.
pub fn source_kind(source: Option<&str>) -> String {
    match source {
        None => "local".to_string(),
        Some(
            "registry+https://github.com/rust-lang/crates.io-index"
            | "sparse+https://index.crates.io/",
        ) => "crates.io".to_string(),
        Some(s) => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (purl, version, cargo.source, cargo.checksum)
    type Row = (String, String, String, Option<String>);

    fn run(text: &str) -> Result<Vec<Row>, AnalyzeError> {
        let path = ImagePath::new("app/Cargo.lock").unwrap();
        Ok(parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: text.as_bytes(),
        })?
        .packages
        .into_iter()
        .map(|p| {
            (
                p.purl.to_string(),
                p.version,
                p.properties["cargo.source"].clone(),
                p.properties.get("cargo.checksum").cloned(),
            )
        })
        .collect())
    }

    #[test]
    fn v1_metadata_checksums() {
        let v1 = r#"[[package]]
name = "demo"
version = "0.1.0"
dependencies = [
 "regex 1.5.4 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "regex"
version = "1.5.4"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum regex 1.5.4 (registry+https://github.com/rust-lang/crates.io-index)" = "abcd"
"#;
        assert_eq!(
            run(v1).unwrap(),
            vec![
                (
                    "pkg:cargo/demo@0.1.0".into(),
                    "0.1.0".into(),
                    "local".into(),
                    None
                ),
                (
                    "pkg:cargo/regex@1.5.4".into(),
                    "1.5.4".into(),
                    "crates.io".into(),
                    Some("abcd".into())
                ),
            ]
        );
    }

    #[test]
    fn v3_v4_sources() {
        let v4 = r#"# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "a"
version = "1.0.0"
source = "sparse+https://index.crates.io/"
checksum = "ff"

[[package]]
name = "b"
version = "0.1.0"
source = "git+https://example.com/b.git#0123"
"#;
        let got = run(v4).unwrap();
        assert_eq!(got[0].2, "crates.io");
        assert_eq!(got[0].3.as_deref(), Some("ff"));
        assert_eq!(got[1].2, "git+https://example.com/b.git#0123");
        assert_eq!(run("").unwrap(), vec![]);
        assert!(run("[[package]]\nname = 1\n").is_err());
        assert!(run("[[package").is_err());
    }
}
