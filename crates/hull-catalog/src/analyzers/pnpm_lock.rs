//! `pnpm-lock`: `pnpm-lock.yaml`, lockfile versions 5.x, 6.x and 9.x.
//!
//! Packages are the keys of `packages`; their syntax changed between versions:
//! v5 `/name/1.0.0_peer@2.0.0`, v6 `/name@1.0.0(peer@2.0.0)`, v9 `name@1.0.0` (peer
//! suffixes then live in `snapshots`). Scoped names keep their `@scope/` prefix. An entry
//! may also spell out `name:`/`version:` (tarball and git dependencies), which wins.
//! Entries marked `dev: true` (v5/v6) are marked `dev`; v9 no longer records that per
//! package, so a package reached only from the importers' `devDependencies` is dev.
//! Edges come from each package's `dependencies`/`optionalDependencies` (v9: from
//! `snapshots`). pnpm ≥ 9.7 may write a first YAML document for the package manager
//! itself (`packageManagerDependencies`): its packages are tooling, marked `dev`.

use hull_model::{ImagePath, Package};
use serde::Deserialize;

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "pnpm-lock",
    wants,
    parse,
};

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= lang::MAX_TEXT
        && path.file_name() == "pnpm-lock.yaml"
        && !path.components().any(|c| c == "node_modules")
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, lang::MAX_TEXT)?;
    let text = lang::text(input.path, input.data)?;
    // pnpm ≥ 9.7 may write two YAML documents: first the package manager's own lockfile
    // (`packageManagerDependencies`), then the project's.
    let mut docs = Vec::new();
    for d in serde_yaml::Deserializer::from_str(text) {
        let doc = serde_yaml::Value::deserialize(d)
            .map_err(|e| lang::malformed(input.path, format!("pnpm-lock: {e}")))?;
        if doc.as_mapping().is_none() {
            return Err(lang::malformed(input.path, "top level is not a mapping"));
        }
        docs.push(doc);
    }
    let mut found = Found::default();
    let last = docs.len().saturating_sub(1);
    let mut seen = std::collections::BTreeSet::new();
    for (i, doc) in docs.iter().enumerate() {
        // The package manager's document lists the tool, not the project's dependencies.
        read_document(input.path, doc, i < last, &mut seen, &mut found);
    }
    Ok(found)
}

fn read_document(
    path: &ImagePath,
    doc: &serde_yaml::Value,
    tooling: bool,
    seen: &mut std::collections::BTreeSet<(String, String)>,
    found: &mut Found,
) {
    let major = lockfile_major(doc.get("lockfileVersion"));
    let Some(pkgs) = doc.get("packages").and_then(|p| p.as_mapping()) else {
        return;
    };
    // (name, version) -> index in `out`; edges are resolved once every package is known.
    let mut index = std::collections::HashMap::new();
    let mut out: Vec<Package> = Vec::new();
    let mut edges: Vec<Vec<(String, String)>> = Vec::new();
    for (key, entry) in pkgs {
        let Some(key) = key.as_str() else { continue };
        let field = |k: &str| entry.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let (name, version) = match (field("name"), field("version")) {
            (Some(n), Some(v)) => (n, v),
            _ => match split_key(key, major) {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => {
                    found
                        .warnings
                        .push(format!("{path}: unrecognised package key `{key}`"));
                    continue;
                }
            },
        };
        if !lang::valid_npm_name(&name) || !version.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        if !seen.insert((name.clone(), version.clone())) {
            continue;
        }
        let mut pkg = lang::npm_package(&name, &version, path.clone(), ANALYZER.id);
        pkg.properties
            .insert("pnpm.key".to_string(), key.to_string());
        pkg.dev = tooling || entry.get("dev").and_then(|d| d.as_bool()) == Some(true);
        index.insert((name, version), out.len());
        out.push(pkg);
        // v5/v6 keep a package's dependencies on it; v9 moved them to `snapshots`.
        edges.push(deps_of(entry, major));
    }
    if let Some(snaps) = doc.get("snapshots").and_then(|s| s.as_mapping()) {
        for (key, entry) in snaps {
            let Some((n, v)) = key.as_str().and_then(|k| split_key(k, major)) else {
                continue;
            };
            if let Some(&i) = index.get(&(n.to_string(), v.to_string())) {
                edges[i].extend(deps_of(entry, major));
            }
        }
    }
    let resolved: Vec<Vec<usize>> = edges
        .iter()
        .map(|e| {
            let mut v: Vec<usize> = e
                .iter()
                .filter_map(|(n, r)| target(n, r, major))
                .filter_map(|k| index.get(&k).copied())
                .collect();
            v.sort();
            v.dedup();
            v
        })
        .collect();
    if major >= 9 && !tooling {
        mark_dev_v9(doc, major, &index, &resolved, &mut out);
    }
    for (i, mut pkg) in out.clone().into_iter().enumerate() {
        pkg.depends_on = resolved[i].iter().map(|&j| out[j].ref_id()).collect();
        pkg.depends_on.sort();
        found.packages.push(pkg);
    }
}

/// The `dependencies`/`optionalDependencies` of a package or snapshot entry as
/// (name, version-or-path).
fn deps_of(entry: &serde_yaml::Value, _major: u32) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in ["dependencies", "optionalDependencies"] {
        if let Some(m) = entry.get(f).and_then(|d| d.as_mapping()) {
            for (n, v) in m {
                let v = match v {
                    serde_yaml::Value::String(s) => s.clone(),
                    serde_yaml::Value::Number(n) => n.to_string(),
                    // importers (v6+) write `{specifier, version}`
                    other => match other.get("version").and_then(|v| v.as_str()) {
                        Some(s) => s.to_string(),
                        None => continue,
                    },
                };
                if let Some(n) = n.as_str() {
                    out.push((n.to_string(), v));
                }
            }
        }
    }
    out
}

/// The package a dependency reference points at: `1.0.0` / `1.0.0(peer@2)` /
/// `1.0.0_peer@2` of `name`, or an alias / path form (`/real/1.0.0`, `/real@1.0.0`,
/// `real@1.0.0`) naming another package.
fn target(name: &str, reference: &str, major: u32) -> Option<(String, String)> {
    let looks_like_key = reference.starts_with('/')
        || (!reference.starts_with(|c: char| c.is_ascii_digit()) && reference.contains('@'));
    let key = if looks_like_key {
        reference.to_string()
    } else if major >= 6 || major == 0 {
        format!("/{name}@{reference}")
    } else {
        format!("/{name}/{reference}")
    };
    let (n, v) = split_key(&key, if major == 0 { 6 } else { major })?;
    Some((n.to_string(), v.to_string()))
}

/// v9 no longer marks packages `dev`: a package is dev when the importers' dev
/// dependencies reach it and their production and optional dependencies do not.
fn mark_dev_v9(
    doc: &serde_yaml::Value,
    major: u32,
    index: &std::collections::HashMap<(String, String), usize>,
    edges: &[Vec<usize>],
    out: &mut [Package],
) {
    let Some(importers) = doc.get("importers").and_then(|i| i.as_mapping()) else {
        return;
    };
    let walk = |fields: &[&str]| {
        let mut reached = vec![false; out.len()];
        let mut stack: Vec<usize> = Vec::new();
        for imp in importers.values() {
            for f in fields {
                let Some(m) = imp.get(*f).and_then(|d| d.as_mapping()) else {
                    continue;
                };
                for (n, v) in m {
                    let r = v
                        .get("version")
                        .and_then(|v| v.as_str())
                        .or_else(|| v.as_str());
                    let t = n.as_str().zip(r).and_then(|(n, r)| target(n, r, major));
                    if let Some(&i) = t.as_ref().and_then(|k| index.get(k)) {
                        stack.push(i);
                    }
                }
            }
        }
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut reached[i], true) {
                stack.extend(&edges[i]);
            }
        }
        reached
    };
    let prod = walk(&["dependencies", "optionalDependencies"]);
    let dev = walk(&["devDependencies"]);
    for (i, p) in out.iter_mut().enumerate() {
        p.dev = p.dev || (dev[i] && !prod[i]);
    }
}

/// `5.4`, `'6.0'`, `'9.0'` -> 5, 6, 9. Unknown -> 0 (guess per key).
fn lockfile_major(v: Option<&serde_yaml::Value>) -> u32 {
    let s = match v {
        Some(serde_yaml::Value::String(s)) => s.clone(),
        Some(serde_yaml::Value::Number(n)) => n.to_string(),
        _ => return 0,
    };
    s.split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// Split a `packages` key into (name, version).
pub fn split_key(key: &str, major: u32) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    // v6+: peer-dependency suffix in parentheses.
    let key = key.split('(').next().unwrap_or(key);
    let at_style = major >= 6 || (major == 0 && key.get(1..).is_some_and(|k| k.contains('@')));
    if at_style {
        let at = key.get(1..)?.rfind('@')? + 1;
        let (name, version) = (&key[..at], &key[at + 1..]);
        (!name.is_empty() && !version.is_empty()).then_some((name, version))
    } else {
        // v5: `name/version_peer`; a leading registry host (`registry.x.org/name/1.0.0`)
        // appears for non-default registries.
        let (name, version) = key.rsplit_once('/')?;
        let version = version.split('_').next().unwrap_or(version);
        let name = match name.split_once('/') {
            Some((host, rest)) if host.contains('.') && !host.starts_with('@') => rest,
            _ => name,
        };
        (!name.is_empty() && !version.is_empty()).then_some((name, version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for (key, major, want) in [
            ("/lodash/4.17.21", 5, Some(("lodash", "4.17.21"))),
            (
                "/@babel/core/7.0.0_supports-color@5.5.0",
                5,
                Some(("@babel/core", "7.0.0")),
            ),
            ("registry.x.org/lodash/1.0.0", 5, Some(("lodash", "1.0.0"))),
            ("/lodash@4.17.21", 6, Some(("lodash", "4.17.21"))),
            (
                "/@babel/core@7.0.0(supports-color@5.5.0)",
                6,
                Some(("@babel/core", "7.0.0")),
            ),
            ("@babel/core@7.0.0", 9, Some(("@babel/core", "7.0.0"))),
            ("lodash@4.17.21", 0, Some(("lodash", "4.17.21"))),
            ("/lodash/4.17.21", 0, Some(("lodash", "4.17.21"))),
            ("@x", 9, None),
            ("", 9, None),
            ("/", 5, None),
        ] {
            assert_eq!(split_key(key, major), want, "{key}");
        }
    }

    fn purls(yaml: &str) -> Vec<String> {
        let path = ImagePath::new("app/pnpm-lock.yaml").unwrap();
        let mut v: Vec<_> = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: yaml.as_bytes(),
        })
        .unwrap()
        .packages
        .into_iter()
        .filter(|p| !p.dev)
        .map(|p| p.purl.to_string())
        .collect();
        v.sort();
        v
    }

    #[test]
    fn two_documents_dev_and_edges_v9() {
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/catalog_pnpm_lock/v9-two-documents"),
        )
        .unwrap();
        let path = ImagePath::new("app/pnpm-lock.yaml").unwrap();
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: &data,
        })
        .unwrap();
        let mut got: Vec<(String, bool, Vec<String>)> = f
            .packages
            .iter()
            .map(|p| {
                let e = p
                    .depends_on
                    .iter()
                    .map(|r| r.split('#').next().unwrap().to_string())
                    .collect();
                (format!("{}@{}", p.name, p.version), p.dev, e)
            })
            .collect();
        got.sort();
        let row = |n: &str, dev: bool, e: &[&str]| {
            (
                n.to_string(),
                dev,
                e.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            got,
            [
                row("@types/node@20.10.0", true, &[]),
                row("express@4.18.2", false, &["pkg:npm/ms@2.0.0"]),
                row("ms@2.0.0", false, &[]),
                // the package manager's own document: tooling
                row("pnpm@9.15.0", true, &[]),
                row("string-width@4.2.3", false, &[]),
                row("tinypool@0.8.1", true, &[]),
                row(
                    "vitest@1.0.4",
                    true,
                    &[
                        "pkg:npm/%40types/node@20.10.0",
                        "pkg:npm/ms@2.0.0",
                        "pkg:npm/tinypool@0.8.1"
                    ]
                ),
            ]
        );
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    }

    #[test]
    fn v5_v6_edges() {
        let v5 = "lockfileVersion: 5.4\npackages:\n  /a/1.0.0:\n    dependencies:\n      b: 2.0.0_c@3.0.0\n      real-alias: /c/3.0.0\n    dev: false\n  /b/2.0.0_c@3.0.0:\n    dev: false\n  /c/3.0.0:\n    dev: true\n";
        let v6 = "lockfileVersion: '6.0'\npackages:\n  /a@1.0.0:\n    dependencies:\n      b: 2.0.0(c@3.0.0)\n      x: /c@3.0.0\n  /b@2.0.0(c@3.0.0):\n    dev: false\n  /c@3.0.0:\n    dev: true\n";
        for y in [v5, v6] {
            let path = ImagePath::new("app/pnpm-lock.yaml").unwrap();
            let f = parse(&FileInput {
                path: &path,
                mode: 0o644,
                data: y.as_bytes(),
            })
            .unwrap();
            let a = f.packages.iter().find(|p| p.name == "a").unwrap();
            assert_eq!(
                a.depends_on,
                [
                    "pkg:npm/b@2.0.0#/app/pnpm-lock.yaml",
                    "pkg:npm/c@3.0.0#/app/pnpm-lock.yaml"
                ],
                "{y}"
            );
            assert!(f.packages.iter().find(|p| p.name == "c").unwrap().dev);
        }
    }

    #[test]
    fn versions() {
        let v5 = "lockfileVersion: 5.4\npackages:\n  /lodash/4.17.21:\n    dev: false\n  /jest/29.0.0:\n    dev: true\n";
        let v6 = "lockfileVersion: '6.0'\npackages:\n  /@types/node@20.1.0:\n    dev: false\n  /ms@2.1.3(x@1.0.0):\n    resolution: {integrity: sha512-x}\n";
        let v9 = "lockfileVersion: '9.0'\npackages:\n  ms@2.1.3:\n    resolution: {integrity: sha512-x}\n  tar@https://x/t.tgz:\n    name: tarball\n    version: 1.0.0\nsnapshots:\n  ms@2.1.3: {}\n";
        assert_eq!(purls(v5), ["pkg:npm/lodash@4.17.21"]);
        assert_eq!(
            purls(v6),
            ["pkg:npm/%40types/node@20.1.0", "pkg:npm/ms@2.1.3"]
        );
        assert_eq!(purls(v9), ["pkg:npm/ms@2.1.3", "pkg:npm/tarball@1.0.0"]);
        assert_eq!(purls("lockfileVersion: '9.0'\n"), Vec::<String>::new());
    }
}
