//! `cargo-lock`: `Cargo.lock`, format versions 1 to 4 (TOML).
//!
//! Every `[[package]]` is reported, the workspace's own crates included (they have no
//! `source`): a lockfile describes the whole build, and leaving the root crate out (as
//! Trivy does) hides the application itself from an SBOM. The property `cargo.source`
//! tells a matcher which crates come from crates.io (`crates.io`), which are local
//! (`local`) and which come from git or another registry (the raw source string).
//! Version 1 lockfiles keep checksums in `[metadata]`; they are attached when present.
//! Each `dependencies` entry becomes a `depends_on` edge; a workspace crate (no `source`)
//! that no other crate depends on is a root package (what the lockfile builds).

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
    /// `name`, `name version` or `name version (source)`: just enough to be unique.
    #[serde(default)]
    dependencies: Vec<String>,
}

/// Resolve a `dependencies` entry to the index of the package it names: cargo writes
/// only as much as makes it unique (name, then version, then source).
fn resolve(packages: &[LockPackage], dep: &str) -> Option<usize> {
    let mut parts = dep.splitn(3, ' ');
    let name = parts.next()?;
    let version = parts.next();
    let source = parts
        .next()
        .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
    let mut hits = packages.iter().enumerate().filter(|(_, p)| {
        p.name == name
            && version.is_none_or(|v| p.version == v)
            && source.is_none_or(|s| p.source.as_deref() == Some(s))
    });
    let first = hits.next()?.0;
    hits.next().is_none().then_some(first)
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, lang::MAX_TEXT)?;
    let text = lang::text(input.path, input.data)?;
    let lock: Lock = toml::from_str(text)
        .map_err(|e| lang::malformed(input.path, format!("Cargo.lock: {}", e.message())))?;
    let mut found = Found::default();
    let ref_of = |p: &LockPackage| {
        hull_model::package_ref(
            &Purl::new("cargo", None, &p.name, Some(&p.version), &[]),
            input.path,
        )
    };
    let edges: Vec<Vec<usize>> = lock
        .package
        .iter()
        .map(|p| {
            let mut e: Vec<usize> = p
                .dependencies
                .iter()
                .filter_map(|d| resolve(&lock.package, d))
                .collect();
            e.sort();
            e.dedup();
            e
        })
        .collect();
    let mut depended_on = vec![false; lock.package.len()];
    for &i in edges.iter().flatten() {
        depended_on[i] = true;
    }
    for (i, p) in lock.package.iter().enumerate() {
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
        // A workspace crate nothing else depends on is what the lockfile builds.
        pkg.root = p.source.is_none() && !depended_on[i];
        pkg.depends_on = edges[i]
            .iter()
            .map(|&j| &lock.package[j])
            .filter(|d| !d.name.is_empty() && !d.version.is_empty())
            .map(ref_of)
            .collect();
        pkg.depends_on.sort();
        pkg.depends_on.dedup();
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
    fn dependency_edges_and_roots() {
        let lock = r#"version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["regex", "syn 2.0.0", "util"]

[[package]]
name = "util"
version = "0.1.0"
dependencies = ["syn 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)", "missing"]

[[package]]
name = "regex"
version = "1.5.4"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "syn"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "syn"
version = "2.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        let path = ImagePath::new("app/Cargo.lock").unwrap();
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: lock.as_bytes(),
        })
        .unwrap();
        let got: Vec<(String, bool, Vec<String>)> = f
            .packages
            .iter()
            .map(|p| {
                (
                    format!("{}@{}", p.name, p.version),
                    p.root,
                    p.depends_on
                        .iter()
                        .map(|r| r.trim_end_matches("#/app/Cargo.lock").to_string())
                        .collect(),
                )
            })
            .collect();
        let row = |n: &str, root: bool, d: &[&str]| {
            (
                n.to_string(),
                root,
                d.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            got,
            [
                row(
                    "app@0.1.0",
                    true,
                    &[
                        "pkg:cargo/regex@1.5.4",
                        "pkg:cargo/syn@2.0.0",
                        "pkg:cargo/util@0.1.0"
                    ]
                ),
                row("util@0.1.0", false, &["pkg:cargo/syn@1.0.0"]),
                row("regex@1.5.4", false, &[]),
                row("syn@1.0.0", false, &[]),
                row("syn@2.0.0", false, &[]),
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
