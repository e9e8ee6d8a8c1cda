//! `yarn-lock`: `yarn.lock` in both of its formats.
//!
//! * v1 (Yarn classic) is its own indentation-based syntax, not YAML: an unindented
//!   header of comma-separated descriptors (`lodash@^4.17.15, lodash@^4.17.21:`) followed
//!   by two-space-indented fields (`version "4.17.21"`).
//! * Berry (Yarn 2+) is YAML with a `__metadata` key; each entry has `version` and
//!   `resolution` (`lodash@npm:4.17.21`). Workspace, link, portal and patch entries are not
//!   registry packages and are skipped (a patch repeats the package it patches).
//!
//! yarn.lock does not say which entries are dev dependencies, so all are reported.

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

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, lang::MAX_TEXT)?;
    let text = lang::text(input.path, input.data)?;
    let entries = if is_berry(text) {
        parse_berry(text).map_err(|e| lang::malformed(input.path, e))?
    } else {
        parse_v1(text)
    };
    let mut found = Found::default();
    let mut seen = std::collections::BTreeSet::new();
    for (name, version) in entries {
        if !lang::valid_npm_name(&name) || !version.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        // Several descriptors can resolve to the same release; report it once.
        if !seen.insert((name.clone(), version.clone())) {
            continue;
        }
        found.packages.push(to_package(input.path, &name, &version));
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

/// Classic format. Returns (name, version) in file order.
pub fn parse_v1(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            // A new entry header; its first descriptor names the package.
            let first = line.strip_suffix(':').and_then(|h| h.split(',').next());
            current = first.and_then(|d| {
                let name = descriptor_name(d)?;
                let range = d.trim().trim_matches('"').get(name.len() + 1..)?;
                is_registry_range(range).then(|| name.to_string())
            });
            continue;
        }
        // Fields of the entry are indented by exactly two spaces; deeper is a sub-block.
        let Some(field) = line.strip_prefix("  ").filter(|f| !f.starts_with(' ')) else {
            continue;
        };
        if let Some(v) = field.strip_prefix("version ") {
            if let Some(name) = current.take() {
                out.push((name, v.trim().trim_matches('"').to_string()));
            }
        }
    }
    out
}

/// Berry format (YAML).
pub fn parse_berry(text: &str) -> Result<Vec<(String, String)>, String> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("yarn.lock: {e}"))?;
    let map = doc
        .as_mapping()
        .ok_or_else(|| "yarn.lock: top level is not a mapping".to_string())?;
    let mut out = Vec::new();
    for (key, entry) in map {
        let Some(key) = key.as_str() else { continue };
        if key == "__metadata" {
            continue;
        }
        let Some(version) = entry.get("version").and_then(yaml_scalar) else {
            continue;
        };
        let resolution = entry
            .get("resolution")
            .and_then(|r| r.as_str())
            .unwrap_or(key.split(',').next().unwrap_or(key));
        let Some(name) = descriptor_name(resolution) else {
            continue;
        };
        let protocol = resolution
            .trim_matches('"')
            .get(name.len() + 1..)
            .unwrap_or("");
        // Only registry releases (`npm:`) are packages an advisory can name.
        if !protocol.starts_with("npm:") {
            continue;
        }
        out.push((name.to_string(), version));
    }
    Ok(out)
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
