//! `cargo-auditable`: the dependency list `cargo auditable` embeds in Rust binaries —
//! a `.dep-v0` ELF section holding zlib-compressed JSON
//! (`{"packages":[{"name","version","source","kind","dependencies","root"}]}`,
//! <https://github.com/rust-secure-code/cargo-auditable/blob/master/PARAMETERS.md>).
//!
//! Every crate is reported with `cargo.source` (`crates.io`, `local`, `git`, `registry`)
//! and `cargo.kind` (`runtime` or `build`): only crates.io crates can match RustSec
//! advisories, and build-only dependencies do not end up in the binary, so a matcher
//! should skip `cargo.kind=build`. The root crate is marked `cargo.root=true` and is the
//! binary's root package; `dependencies` (indices into the list) become
//! `depends_on` edges.

use hull_model::{Ecosystem, ImagePath, Purl};
use serde::Deserialize;
use std::io::Read;

use super::elf;
use super::go_binary;
use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "cargo-auditable",
    wants,
    parse,
};

/// Decompressed JSON cap: real dependency lists are a few KiB; this stops zlib bombs.
const MAX_JSON: u64 = 8 << 20;

fn wants(path: &ImagePath, mode: u32, size: u64) -> bool {
    go_binary::wants_executable(path, mode, size)
}

#[derive(Deserialize)]
struct Info {
    packages: Vec<Dep>,
}

#[derive(Deserialize)]
struct Dep {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    root: bool,
    /// Indices into `packages` of this crate's direct dependencies.
    #[serde(default)]
    dependencies: Vec<usize>,
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    let Some(elf) = elf::open(input)? else {
        return Ok(Found::default());
    };
    let Some(section) = elf.section(".dep-v0") else {
        return Ok(Found::default());
    };
    let compressed = elf
        .section_data(&section)
        .ok_or_else(|| lang::malformed(input.path, ".dep-v0 section lies outside the file"))?;
    parse_compressed(input.path, compressed)
}

/// Decode the section payload (zlib JSON).
pub fn parse_compressed(path: &ImagePath, compressed: &[u8]) -> Result<Found, AnalyzeError> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| lang::malformed(path, format!(".dep-v0: zlib: {e}")))?;
    if json.len() as u64 > MAX_JSON {
        return Err(lang::too_large(path, ".dep-v0 decompresses past 8 MiB"));
    }
    let info: Info = serde_json::from_slice(&json)
        .map_err(|e| lang::malformed(path, format!(".dep-v0: {e}")))?;
    let mut found = Found::default();
    // The graph is by index; an index past the list or onto a skipped entry is dropped.
    let refs: Vec<Option<String>> = info
        .packages
        .iter()
        .map(|d| {
            (!d.name.is_empty() && !d.version.is_empty()).then(|| {
                hull_model::package_ref(
                    &Purl::new("cargo", None, &d.name, Some(&d.version), &[]),
                    path,
                )
            })
        })
        .collect();
    for d in info.packages {
        if d.name.is_empty() || d.version.is_empty() {
            continue;
        }
        let purl = Purl::new("cargo", None, &d.name, Some(&d.version), &[]);
        let mut p = lang::package(
            Ecosystem::Cargo,
            &d.name,
            &d.version,
            purl,
            path.clone(),
            ANALYZER.id,
        );
        // The format's default source is crates.io and default kind is runtime.
        let source = d.source.unwrap_or_else(|| "crates.io".to_string());
        p.properties.insert("cargo.source".to_string(), source);
        p.properties.insert(
            "cargo.kind".to_string(),
            d.kind.unwrap_or_else(|| "runtime".to_string()),
        );
        if d.root {
            p.properties
                .insert("cargo.root".to_string(), "true".to_string());
            p.root = true;
        }
        p.depends_on = d
            .dependencies
            .iter()
            .filter_map(|&i| refs.get(i).cloned().flatten())
            .collect();
        p.depends_on.sort();
        p.depends_on.dedup();
        found.packages.push(p);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::super::elf::testelf::{build, Spec};
    use super::*;
    use std::io::Write;

    pub fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn run(img: &[u8]) -> Result<Vec<String>, AnalyzeError> {
        let path = ImagePath::new("usr/local/bin/x").unwrap();
        Ok(parse(&FileInput {
            path: &path,
            mode: 0o755,
            data: img,
        })?
        .packages
        .into_iter()
        .map(|p| {
            format!(
                "{} {} {}{}",
                p.purl,
                p.properties["cargo.source"],
                p.properties["cargo.kind"],
                if p.properties.contains_key("cargo.root") {
                    " root"
                } else {
                    ""
                }
            )
        })
        .collect())
    }

    #[test]
    fn reads_dep_section() {
        let json = br#"{"packages":[
            {"name":"demo","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
            {"name":"regex","version":"1.5.4","source":"crates.io","dependencies":[]},
            {"name":"cc","version":"1.0.0","kind":"build"}
        ]}"#;
        let payload = zlib(json);
        let (img, _) = build(&Spec {
            is64: true,
            big_endian: false,
            base: 0,
            sections: &[(".dep-v0", &payload)],
            extra: b"",
        });
        assert_eq!(
            run(&img).unwrap(),
            [
                "pkg:cargo/demo@0.1.0 local runtime root",
                "pkg:cargo/regex@1.5.4 crates.io runtime",
                "pkg:cargo/cc@1.0.0 crates.io build",
            ]
        );
    }

    #[test]
    fn dependency_edges_by_index() {
        let json = br#"{"packages":[
            {"name":"demo","version":"0.1.0","source":"local","dependencies":[1,2,2,9],"root":true},
            {"name":"regex","version":"1.5.4","dependencies":[3]},
            {"name":"cc","version":"1.0.0","kind":"build"},
            {"name":"","version":"1"}
        ]}"#;
        let path = ImagePath::new("usr/local/bin/x").unwrap();
        let f = parse_compressed(&path, &zlib(json)).unwrap();
        let edges: Vec<(&str, bool, Vec<&str>)> = f
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.root,
                    p.depends_on.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            edges,
            [
                (
                    "demo",
                    true,
                    vec![
                        "pkg:cargo/cc@1.0.0#/usr/local/bin/x",
                        "pkg:cargo/regex@1.5.4#/usr/local/bin/x"
                    ]
                ),
                ("regex", false, vec![]),
                ("cc", false, vec![]),
            ]
        );
    }

    #[test]
    fn hostile_payloads() {
        // A zlib bomb: 64 MiB of zeros compresses to ~64 KiB.
        let bomb = zlib(&vec![b' '; 64 << 20]);
        let path = ImagePath::new("x").unwrap();
        assert!(matches!(
            parse_compressed(&path, &bomb),
            Err(AnalyzeError::TooLarge { .. })
        ));
        assert!(parse_compressed(&path, b"not zlib").is_err());
        assert!(parse_compressed(&path, &zlib(b"{\"packages\":3}")).is_err());
        assert!(run(b"\x7fELF\x02\x01").is_err());
        assert_eq!(run(b"plain text").unwrap(), Vec::<String>::new());
    }
}
