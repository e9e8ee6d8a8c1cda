//! `yarn-lock`: `yarn.lock` in both of its formats.
//!
//! * v1 (Yarn classic) is its own indentation-based syntax, not YAML: an unindented
//!   header of comma-separated descriptors (`lodash@^4.17.15, lodash@^4.17.21:`) followed
//!   by two-space-indented fields (`version "4.17.21"`).
//! * Berry (Yarn 2+) is YAML with a `__metadata` key; each entry has `version` and
//!   `resolution` (`lodash@npm:4.17.21`). Workspace, link, portal and patch entries are not
//!   registry packages and are skipped (a patch repeats the package it patches).
//!
//! An alias (`foo-debug@npm:debug@4.3.4`) is reported as the package it installs
//! (`debug`). v1 keys may be quoted (`"version" "3.6.0"`, as npm's writer does). Edges:
//! each `dependencies`/`optionalDependencies` entry (berry also `peerDependencies`) is
//! the descriptor of another entry. In berry, each top-level entry is parsed on its own:
//! one malformed entry (a duplicated key) is a warning with its line, not a lost file.
//!
//! yarn.lock does not say which entries are dev dependencies (only the project's
//! package.json does), so none is marked `dev`.

use hull_model::{ImagePath, Package};

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "yarn-lock",
    wants,
    parse,
};

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= lang::MAX_TEXT
        && path.file_name() == "yarn.lock"
        && !path.components().any(|c| c == "node_modules")
}

/// One lockfile entry: the package, its resolved version, the descriptors that resolve
/// to it (`lodash@^4.17.21`) and the descriptors it depends on.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub version: String,
    pub descriptors: Vec<String>,
    pub dependencies: Vec<String>,
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, lang::MAX_TEXT)?;
    let text = lang::text(input.path, input.data)?;
    let mut found = Found::default();
    let entries = if is_berry(text) {
        let (entries, problems) = parse_berry(text);
        if entries.is_empty() && !problems.is_empty() {
            return Err(lang::malformed(input.path, problems.join("; ")));
        }
        found.warnings.extend(problems);
        entries
    } else {
        parse_v1(text)
    };
    // Descriptor -> ref of the package it resolves to, for the edges.
    let mut by_descriptor = std::collections::HashMap::new();
    let mut kept = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for e in entries {
        if !lang::valid_npm_name(&e.name) || !e.version.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let pkg = to_package(input.path, &e.name, &e.version);
        for d in &e.descriptors {
            by_descriptor.insert(d.clone(), pkg.ref_id());
        }
        // Several descriptors can resolve to the same release; report it once.
        if seen.insert((e.name.clone(), e.version.clone())) {
            kept.push((pkg, e.dependencies));
        } else if let Some((_, deps)) = kept.iter_mut().find(|(p, _)| p.ref_id() == pkg.ref_id()) {
            deps.extend(e.dependencies);
        }
    }
    for (mut pkg, deps) in kept {
        let mut d: Vec<String> = deps
            .iter()
            .filter_map(|d| by_descriptor.get(d).cloned())
            .collect();
        d.sort();
        d.dedup();
        pkg.depends_on = d;
        found.packages.push(pkg);
    }
    Ok(found)
}

fn to_package(path: &ImagePath, name: &str, version: &str) -> Package {
    lang::npm_package(name, version, path.clone(), ANALYZER.id)
}

fn is_berry(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with("__metadata:") || l.starts_with("\"__metadata\":"))
}

/// `@scope/name@range` / `name@npm:range` -> name (the `@` that ends it is not the first char).
fn descriptor_name(desc: &str) -> Option<&str> {
    let desc = desc.trim().trim_matches('"');
    let at = desc.get(1..)?.find('@')? + 1;
    Some(&desc[..at])
}

/// The package a descriptor installs: an alias `foo-debug@npm:debug@4.3.4` installs
/// `debug`; anything else installs the package it names.
fn real_name(desc: &str) -> Option<String> {
    let desc = desc.trim().trim_matches('"');
    let name = descriptor_name(desc)?;
    let range = desc.get(name.len() + 1..)?;
    match range.strip_prefix("npm:").and_then(descriptor_name) {
        Some(real) => Some(real.to_string()),
        None => Some(name.to_string()),
    }
}

/// Ranges that resolve from the registry (semver ranges, tags, `npm:` aliases), as
/// opposed to local folders, links, git or tarball URLs.
fn is_registry_range(range: &str) -> bool {
    const NOT: [&str; 9] = [
        "file:",
        "link:",
        "portal:",
        "workspace:",
        "git",
        "http:",
        "https:",
        "github:",
        "patch:",
    ];
    !NOT.iter().any(|p| range.starts_with(p))
}

/// A v1 field line `key value` or `"key" "value"` (npm's own writer quotes keys).
fn v1_field(field: &str) -> Option<(String, String)> {
    let field = field.trim_end();
    let (key, rest) = if let Some(q) = field.strip_prefix('"') {
        let end = q.find('"')?;
        (q[..end].to_string(), &q[end + 1..])
    } else {
        let (k, r) = field.split_once(' ').unwrap_or((field, ""));
        (k.trim_end_matches(':').to_string(), r)
    };
    Some((key, rest.trim().trim_matches('"').to_string()))
}

/// Classic format, in file order.
pub fn parse_v1(text: &str) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut current: Option<Entry> = None;
    let mut in_deps = false;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            out.extend(current.take().filter(|e| !e.version.is_empty()));
            in_deps = false;
            // A new entry header; its first descriptor names the package.
            let Some(header) = line.strip_suffix(':') else {
                continue;
            };
            let descriptors: Vec<String> = header
                .split(',')
                .map(|d| d.trim().trim_matches('"').to_string())
                .filter(|d| !d.is_empty())
                .collect();
            current = descriptors.first().and_then(|d| {
                let name = descriptor_name(d)?;
                let range = d.get(name.len() + 1..)?;
                let name = real_name(d)?;
                is_registry_range(range).then(|| Entry {
                    name,
                    descriptors: descriptors.clone(),
                    ..Entry::default()
                })
            });
            continue;
        }
        let Some(entry) = current.as_mut() else {
            continue;
        };
        if let Some(dep) = line.strip_prefix("    ").filter(|f| !f.starts_with(' ')) {
            if in_deps {
                if let Some((name, range)) = v1_field(dep) {
                    entry.dependencies.push(format!("{name}@{range}"));
                }
            }
            continue;
        }
        // Fields of the entry are indented by exactly two spaces; deeper is a sub-block.
        let Some(field) = line.strip_prefix("  ").filter(|f| !f.starts_with(' ')) else {
            continue;
        };
        let Some((key, value)) = v1_field(field) else {
            continue;
        };
        in_deps = matches!(key.as_str(), "dependencies" | "optionalDependencies");
        if key == "version" {
            entry.version = value;
        }
    }
    out.extend(current.filter(|e| !e.version.is_empty()));
    out
}

/// Berry format (YAML). Each top-level entry is parsed on its own, so one broken entry
/// (a duplicated key, as hand merges leave) costs that entry only: it is reported with
/// its line in the file and the rest is kept.
pub fn parse_berry(text: &str) -> (Vec<Entry>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (start, block) in top_level_blocks(text) {
        let doc: serde_yaml::Value = match serde_yaml::from_str(&block) {
            Ok(d) => d,
            Err(e) => {
                let msg = e.to_string();
                // For a duplicated key the parser points at the mapping, not at the
                // repeated key: find that one.
                let line = match (duplicate_line(&block, &msg), e.location()) {
                    (Some(l), _) => start + l,
                    (None, Some(l)) => start + l.line() - 1,
                    (None, None) => start,
                };
                // serde_yaml's own position is relative to the block: leave it out.
                let msg = msg.split(" at line ").next().unwrap_or(&msg);
                problems.push(format!("yarn.lock line {line}: {msg}; entry skipped"));
                continue;
            }
        };
        let Some(map) = doc.as_mapping() else {
            problems.push(format!("yarn.lock line {start}: entry is not a mapping"));
            continue;
        };
        for (key, entry) in map {
            let Some(key) = key.as_str() else { continue };
            if key == "__metadata" {
                continue;
            }
            if let Some(e) = berry_entry(key, entry) {
                out.push(e);
            }
        }
    }
    (out, problems)
}

/// For `duplicate entry with key "k"` (no position from the parser): the 0-based line in
/// `block` where `k` appears the second time at the same indentation.
fn duplicate_line(block: &str, msg: &str) -> Option<usize> {
    let key = msg.split("duplicate entry with key ").nth(1)?;
    let key = key.split_whitespace().next()?.trim_matches('"');
    let mut seen = std::collections::HashMap::new();
    for (i, line) in block.lines().enumerate() {
        let body = line.trim_start();
        let indent = line.len() - body.len();
        let k = body
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if k == key && body.contains(':') && seen.insert(indent, i).is_some() {
            return Some(i);
        }
    }
    None
}

/// Split YAML text at each unindented, uncommented line: (1-based line of the block, the
/// block's text).
fn top_level_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks: Vec<(usize, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let top = !line.is_empty() && !line.starts_with([' ', '\t', '#']);
        match blocks.last_mut() {
            Some((_, b)) if !top => {
                b.push_str(line);
                b.push('\n');
            }
            _ if !top => {}
            _ => blocks.push((i + 1, format!("{line}\n"))),
        }
    }
    blocks
}

fn berry_entry(key: &str, entry: &serde_yaml::Value) -> Option<Entry> {
    let version = entry.get("version").and_then(yaml_scalar)?;
    let resolution = entry
        .get("resolution")
        .and_then(|r| r.as_str())
        .unwrap_or(key.split(',').next().unwrap_or(key));
    let name = descriptor_name(resolution)?;
    let protocol = resolution
        .trim_matches('"')
        .get(name.len() + 1..)
        .unwrap_or("");
    // Only registry releases (`npm:`) are packages an advisory can name.
    if !protocol.starts_with("npm:") {
        return None;
    }
    let mut dependencies = Vec::new();
    for field in ["dependencies", "optionalDependencies", "peerDependencies"] {
        if let Some(m) = entry.get(field).and_then(|d| d.as_mapping()) {
            for (n, r) in m {
                if let (Some(n), Some(r)) = (n.as_str(), yaml_scalar(r)) {
                    // Berry descriptors carry the protocol (`npm:^1.0.0`) unless given.
                    let r = if r.contains(':') {
                        r
                    } else {
                        format!("npm:{r}")
                    };
                    dependencies.push(format!("{n}@{r}"));
                }
            }
        }
    }
    Some(Entry {
        name: name.to_string(),
        version,
        descriptors: key
            .split(',')
            .map(|d| d.trim().trim_matches('"').to_string())
            .collect(),
        dependencies,
    })
}

/// YAML may type `version: 1.0` as a float; take scalars as written.
fn yaml_scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz"
  dependencies:
    "@babel/highlight" "^7.12.13"

lodash@^4.17.15, lodash@^4.17.21:
  version "4.17.21"

lodash@^3.0.0:
  version "3.10.1"

local@file:../local:
  version "0.0.0"

gitdep@git+https://host/x.git:
  version "git-ref"
"#;

    const BERRY: &str = r#"# This file is generated by running "yarn install" inside your project.

__metadata:
  version: 6
  cacheKey: 8

"@babel/code-frame@npm:^7.0.0":
  version: 7.12.13
  resolution: "@babel/code-frame@npm:7.12.13"
  languageName: node
  linkType: hard

"lodash@npm:^4.17.15, lodash@npm:^4.17.21":
  version: 4.17.21
  resolution: "lodash@npm:4.17.21"

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."

"resolve@patch:resolve@npm%3A^1.0.0#~builtin<compat/resolve>":
  version: 1.22.1
  resolution: "resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1"
"#;

    fn names(text: &str) -> Vec<String> {
        let path = ImagePath::new("app/yarn.lock").unwrap();
        parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: text.as_bytes(),
        })
        .unwrap()
        .packages
        .into_iter()
        .map(|p| p.purl.to_string())
        .collect()
    }

    #[test]
    fn both_formats() {
        assert_eq!(
            names(V1),
            [
                "pkg:npm/%40babel/code-frame@7.12.13",
                "pkg:npm/lodash@4.17.21",
                "pkg:npm/lodash@3.10.1",
            ]
        );
        let mut berry = names(BERRY);
        berry.sort();
        assert_eq!(
            berry,
            [
                "pkg:npm/%40babel/code-frame@7.12.13",
                "pkg:npm/lodash@4.17.21"
            ]
        );
    }

    fn fixture(name: &str) -> Found {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus/catalog_yarn_lock");
        let data = std::fs::read(dir.join(name)).unwrap();
        let path = ImagePath::new("app/yarn.lock").unwrap();
        parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: &data,
        })
        .unwrap()
    }

    /// (purl, edges as purls)
    fn graph(f: &Found) -> Vec<(String, Vec<String>)> {
        let mut v: Vec<_> = f
            .packages
            .iter()
            .map(|p| {
                let e = p
                    .depends_on
                    .iter()
                    .map(|r| r.split('#').next().unwrap().to_string())
                    .collect();
                (p.purl.to_string(), e)
            })
            .collect();
        v.sort();
        v
    }

    fn row(purl: &str, e: &[&str]) -> (String, Vec<String>) {
        (purl.to_string(), e.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn v1_aliases_and_quoted_keys() {
        // npm's writer quotes every key; an alias is reported as the package it installs.
        let f = fixture("v1-alias-quoted");
        assert_eq!(
            graph(&f),
            [
                row("pkg:npm/%40types/node@20.4.1", &[]),
                row(
                    "pkg:npm/%40types/ws@8.5.4",
                    &["pkg:npm/%40types/node@20.4.1"]
                ),
                row("pkg:npm/debug@4.3.4", &["pkg:npm/ms@2.1.2"]),
                row("pkg:npm/ms@2.1.2", &[]),
            ]
        );
        assert!(f.warnings.is_empty());
    }

    #[test]
    fn berry_duplicate_key_costs_one_entry() {
        let f = fixture("berry-duplicate-key");
        assert_eq!(
            graph(&f),
            [
                row("pkg:npm/accepts@1.3.8", &[]),
                row("pkg:npm/express@4.18.2", &["pkg:npm/accepts@1.3.8"]),
                row("pkg:npm/ms@2.0.0", &[]),
            ]
        );
        // The second `resolution:` of debug's entry is line 26 of the file.
        assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
        assert!(
            f.warnings[0].starts_with("yarn.lock line 26: "),
            "{}",
            f.warnings[0]
        );
        assert!(f.warnings[0].contains("resolution"), "{}", f.warnings[0]);
    }

    #[test]
    fn v1_and_berry_edges() {
        let path = ImagePath::new("app/yarn.lock").unwrap();
        let run = |t: &str| {
            graph(
                &parse(&FileInput {
                    path: &path,
                    mode: 0o644,
                    data: t.as_bytes(),
                })
                .unwrap(),
            )
        };
        assert!(run(V1).contains(&row(
            "pkg:npm/%40babel/code-frame@7.12.13",
            &[] // its dependency is not in the lockfile: no edge
        )));
        let berry = "__metadata:\n  version: 6\n\n\"a@npm:^1.0.0\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  dependencies:\n    b: ^2.0.0\n\n\"b@npm:^2.0.0\":\n  version: 2.1.0\n  resolution: \"b@npm:2.1.0\"\n";
        assert_eq!(
            run(berry),
            [
                row("pkg:npm/a@1.0.0", &["pkg:npm/b@2.1.0"]),
                row("pkg:npm/b@2.1.0", &[])
            ]
        );
    }

    #[test]
    fn descriptor_names() {
        for (d, want) in [
            ("lodash@^4", Some("lodash")),
            ("\"@babel/core@^7\"", Some("@babel/core")),
            ("@scope", None),
            ("", None),
            ("x", None),
        ] {
            assert_eq!(descriptor_name(d), want, "{d}");
        }
    }

    #[test]
    fn hostile_input_is_an_error_or_empty() {
        let path = ImagePath::new("yarn.lock").unwrap();
        for bad in [
            "__metadata:\n  - [",
            "__metadata: [1]\n\"x@npm:1\": 3",
            "\u{0}\u{1}",
        ] {
            let _ = parse(&FileInput {
                path: &path,
                mode: 0o644,
                data: bad.as_bytes(),
            });
        }
    }
}
