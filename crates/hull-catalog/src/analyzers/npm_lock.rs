//! `npm-lock`: `package-lock.json` / `npm-shrinkwrap.json`, lockfile versions 1, 2 and 3
//! (<https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json>).
//!
//! v2/v3 list every install location under `packages` (`node_modules/a/node_modules/b`);
//! v1 nests `dependencies` objects. v2 carries both; `packages` wins. Dev-only entries are
//! marked `dev` (left out unless dev dependencies are asked for); links to workspace
//! folders are skipped. The root project (`""`, or v1's top-level name) is the root
//! package. Edges: v2/v3 `dependencies`, `optionalDependencies` and `peerDependencies`,
//! v1 `requires`, each resolved the way Node finds a module ([`resolve`]); an alias
//! (`"x": "npm:y@1.0.0"`, v1 spelling it in `version`) is reported as `y`. The hidden lockfile
//! `node_modules/.package-lock.json` only mirrors the installed tree, which `npm` reads
//! directly, so it is not wanted.

use std::collections::BTreeMap;

use hull_model::ImagePath;
use serde_json::{Map, Value};

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "npm-lock",
    wants,
    parse,
};

/// Nesting limit for v1 `dependencies` (real trees are a few dozen deep).
const MAX_DEPTH: usize = 128;

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    let name = path.file_name();
    size <= lang::MAX_TEXT
        && (name == "package-lock.json" || name == "npm-shrinkwrap.json")
        && !path.components().any(|c| c == "node_modules")
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, lang::MAX_TEXT)?;
    let text = lang::text(input.path, input.data)?;
    let root: Value = serde_json::from_str(text)
        .map_err(|e| lang::malformed(input.path, format!("package-lock: {e}")))?;
    let root = root
        .as_object()
        .ok_or_else(|| lang::malformed(input.path, "top level is not an object"))?;
    // (name, entry, install location); the root project is location "".
    let mut entries = Vec::new();
    let mut found = Found::default();
    let v2 = matches!(root.get("packages"), Some(Value::Object(_)));
    if let Some(Value::Object(pkgs)) = root.get("packages") {
        for (key, v) in pkgs {
            let Some(obj) = v.as_object() else { continue };
            // Only install locations; "" is the root project, other keys are workspaces.
            if key.is_empty() {
                let name = obj.get("name").or_else(|| root.get("name"));
                let name = name.and_then(Value::as_str).unwrap_or("");
                entries.push((name.to_string(), obj.clone(), String::new()));
                continue;
            }
            let Some(idx) = key.rfind("node_modules/") else {
                continue;
            };
            if flag(obj, "link") {
                continue;
            }
            let dir_name = &key[idx + "node_modules/".len()..];
            // An alias (`"x": "npm:y@1"`) records the real name in `name`.
            let name = obj.get("name").and_then(Value::as_str).unwrap_or(dir_name);
            entries.push((name.to_string(), obj.clone(), key.clone()));
        }
    } else if let Some(Value::Object(deps)) = root.get("dependencies") {
        // v1 does not record the root's own dependencies (they are in package.json),
        // so the root has no edges.
        let mut top = Map::new();
        for k in ["name", "version"] {
            if let Some(v) = root.get(k) {
                top.insert(k.to_string(), v.clone());
            }
        }
        let name = root.get("name").and_then(Value::as_str).unwrap_or("");
        entries.push((name.to_string(), top, String::new()));
        walk_v1(deps, "", 0, &mut entries, &mut found.warnings);
    }
    // v1 writes an alias as `"version": "npm:real@1.0.0"` under the alias's name.
    for (name, obj, _) in &mut entries {
        let alias = obj
            .get("version")
            .and_then(Value::as_str)
            .and_then(split_alias);
        if let Some((real, version)) = alias {
            *name = real;
            obj.insert("version".to_string(), Value::String(version));
        }
    }
    // Install location -> the ref of the package there, to resolve dependency edges.
    let mut at: BTreeMap<&str, String> = BTreeMap::new();
    let mut kept = Vec::new();
    for (name, obj, key) in &entries {
        let version = obj.get("version").and_then(Value::as_str).unwrap_or("");
        let is_root = key.is_empty();
        if is_root {
            if !lang::valid_npm_name(name) || (!version.is_empty() && !is_registry_version(version))
            {
                continue;
            }
        } else if !lang::valid_npm_name(name) || !is_registry_version(version) {
            continue;
        }
        let mut pkg = lang::npm_package(name, version, input.path.clone(), ANALYZER.id);
        at.insert(key.as_str(), pkg.ref_id());
        if is_root {
            pkg.root = true;
        } else {
            pkg.properties
                .insert("npm.lock-key".to_string(), key.clone());
        }
        pkg.dev = flag(obj, "dev");
        if flag(obj, "optional") {
            pkg.properties
                .insert("npm.optional".to_string(), "true".to_string());
        }
        if let Some(l) = obj.get("license").and_then(Value::as_str) {
            pkg.licenses.push(l.to_string());
        }
        kept.push((pkg, obj, key.as_str()));
    }
    for (mut pkg, obj, key) in kept {
        let fields: &[&str] = if v2 {
            &["dependencies", "optionalDependencies", "peerDependencies"]
        } else {
            &["requires"]
        };
        let mut deps: Vec<String> = fields
            .iter()
            .filter_map(|f| obj.get(*f).and_then(Value::as_object))
            .flat_map(|m| m.keys())
            .filter_map(|dep| resolve(&at, key, dep).cloned())
            .collect();
        deps.sort();
        deps.dedup();
        pkg.depends_on = deps;
        found.packages.push(pkg);
    }
    Ok(found)
}

/// Node's lookup: the package `dep` required from install location `from` is the
/// nearest `node_modules/dep` at or above `from`
/// (`a/node_modules/b` looks in `a/node_modules/b/node_modules`, then
/// `a/node_modules`, then the root's `node_modules`).
pub fn resolve<'m>(at: &'m BTreeMap<&str, String>, from: &str, dep: &str) -> Option<&'m String> {
    let mut base = from.to_string();
    loop {
        let candidate = if base.is_empty() {
            format!("node_modules/{dep}")
        } else {
            format!("{base}/node_modules/{dep}")
        };
        if let Some(r) = at.get(candidate.as_str()) {
            return Some(r);
        }
        if base.is_empty() {
            return None;
        }
        // Up one level: drop the last `node_modules/<name>` (a scoped name is two parts).
        base = match base.rfind("node_modules/") {
            Some(i) => base[..i].trim_end_matches('/').to_string(),
            None => String::new(),
        };
    }
}

/// `npm:@scope/real@1.0.0` -> (`@scope/real`, `1.0.0`).
fn split_alias(v: &str) -> Option<(String, String)> {
    let a = v.strip_prefix("npm:")?;
    let at = a.get(1..)?.find('@')? + 1;
    Some((a[..at].to_string(), a[at + 1..].to_string()))
}

fn flag(obj: &Map<String, Value>, key: &str) -> bool {
    obj.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Versions that name a registry release. Git URLs, `file:` paths and tarball URLs are
/// not versions an advisory range can match.
fn is_registry_version(v: &str) -> bool {
    v.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// v1: `dependencies: { name: { version, dev, dependencies: {...} } }`, recursively.
fn walk_v1(
    deps: &Map<String, Value>,
    prefix: &str,
    depth: usize,
    out: &mut Vec<(String, Map<String, Value>, String)>,
    warnings: &mut Vec<String>,
) {
    if depth > MAX_DEPTH {
        warnings.push("dependency tree deeper than the nesting limit; rest skipped".into());
        return;
    }
    for (name, v) in deps {
        let Some(obj) = v.as_object() else { continue };
        let key = format!("{prefix}node_modules/{name}");
        if let Some(Value::Object(sub)) = obj.get("dependencies") {
            walk_v1(sub, &format!("{key}/"), depth + 1, out, warnings);
        }
        let mut obj = obj.clone();
        obj.remove("dependencies");
        out.push((name.clone(), obj, key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packages(json: &str) -> Result<Vec<hull_model::Package>, AnalyzeError> {
        let path = ImagePath::new("app/package-lock.json").unwrap();
        Ok(parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: json.as_bytes(),
        })?
        .packages)
    }

    /// (name, version, purl) of the non-dev, non-root packages.
    fn run(json: &str) -> Result<Vec<(String, String, String)>, AnalyzeError> {
        let mut v: Vec<_> = packages(json)?
            .into_iter()
            .filter(|p| !p.dev && !p.root)
            .map(|p| (p.name, p.version, p.purl.to_string()))
            .collect();
        v.sort();
        Ok(v)
    }

    #[test]
    fn wants_real_lockfiles_only() {
        for (path, want) in [
            ("app/package-lock.json", true),
            ("npm-shrinkwrap.json", true),
            ("app/node_modules/.package-lock.json", false),
            ("app/node_modules/x/package-lock.json", false),
        ] {
            assert_eq!(
                wants(&ImagePath::new(path).unwrap(), 0o644, 1),
                want,
                "{path}"
            );
        }
    }

    #[test]
    fn lockfile_versions() {
        let v3 = r#"{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
            "":{"name":"app","version":"1.0.0"},
            "node_modules/a":{"version":"1.0.0","license":"MIT"},
            "node_modules/a/node_modules/b":{"version":"2.0.0"},
            "node_modules/@s/c":{"version":"3.0.0"},
            "node_modules/d":{"version":"4.0.0","dev":true},
            "node_modules/ws":{"resolved":"packages/ws","link":true},
            "packages/ws":{"name":"ws","version":"0.0.1"},
            "node_modules/alias":{"name":"real","version":"5.0.0"},
            "node_modules/g":{"version":"git+ssh://git@host/x.git#abc"}
        }}"#;
        let v1 = r#"{"name":"app","lockfileVersion":1,"dependencies":{
            "a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}},
            "d":{"version":"4.0.0","dev":true},
            "@s/c":{"version":"3.0.0"}
        }}"#;
        let want = |v: &[(&str, &str, &str)]| {
            v.iter()
                .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            run(v3).unwrap(),
            want(&[
                ("@s/c", "3.0.0", "pkg:npm/%40s/c@3.0.0"),
                ("a", "1.0.0", "pkg:npm/a@1.0.0"),
                ("b", "2.0.0", "pkg:npm/b@2.0.0"),
                ("real", "5.0.0", "pkg:npm/real@5.0.0"),
            ])
        );
        assert_eq!(
            run(v1).unwrap(),
            want(&[
                ("@s/c", "3.0.0", "pkg:npm/%40s/c@3.0.0"),
                ("a", "1.0.0", "pkg:npm/a@1.0.0"),
                ("b", "2.0.0", "pkg:npm/b@2.0.0"),
            ])
        );
        assert!(run("[]").is_err());
        assert!(run("{").is_err());
        assert_eq!(run("{}").unwrap(), vec![]);
    }

    /// (name@version, dev, root, edges as name@version)
    fn graph(json: &str) -> Vec<(String, bool, bool, Vec<String>)> {
        let mut v: Vec<_> = packages(json)
            .unwrap()
            .into_iter()
            .map(|p| {
                let edges = p
                    .depends_on
                    .iter()
                    .map(|r| {
                        let purl = r.split('#').next().unwrap();
                        purl.trim_start_matches("pkg:npm/").replace("%40", "@")
                    })
                    .collect();
                (format!("{}@{}", p.name, p.version), p.dev, p.root, edges)
            })
            .collect();
        v.sort();
        v
    }

    fn row(n: &str, dev: bool, root: bool, e: &[&str]) -> (String, bool, bool, Vec<String>) {
        (
            n.to_string(),
            dev,
            root,
            e.iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn dependency_graph_dev_and_root_v3() {
        // b is nested under a (a needs b@2) while the root's b is 1.0.0; d is dev-only.
        let v3 = r#"{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
            "":{"name":"app","version":"1.0.0","dependencies":{"a":"^1","b":"^1"},"devDependencies":{"d":"^4"}},
            "node_modules/a":{"version":"1.0.0","dependencies":{"b":"^2","@s/c":"^3"}},
            "node_modules/a/node_modules/b":{"version":"2.0.0","dependencies":{"@s/c":"^3"},"peerDependencies":{"missing":"*"}},
            "node_modules/b":{"version":"1.0.0","optionalDependencies":{"a":"^1"}},
            "node_modules/@s/c":{"version":"3.0.0"},
            "node_modules/d":{"version":"4.0.0","dev":true,"dependencies":{"b":"^1"}}
        }}"#;
        assert_eq!(
            graph(v3),
            [
                row("@s/c@3.0.0", false, false, &[]),
                row("a@1.0.0", false, false, &["@s/c@3.0.0", "b@2.0.0"]),
                row("app@1.0.0", false, true, &["a@1.0.0", "b@1.0.0"]),
                row("b@1.0.0", false, false, &["a@1.0.0"]),
                row("b@2.0.0", false, false, &["@s/c@3.0.0"]),
                row("d@4.0.0", true, false, &["b@1.0.0"]),
            ]
        );
    }

    #[test]
    fn v1_aliases_requires_and_dev() {
        // Written the way npm 6 writes an alias install (`npm i my-case@npm:case@1.6.3`).
        let v1 = r#"{"name":"app","version":"0.1.0","lockfileVersion":1,"requires":true,"dependencies":{
            "my-case":{"version":"npm:case@1.6.3","resolved":"https://registry.npmjs.org/case/-/case-1.6.3.tgz"},
            "scoped":{"version":"npm:@types/node@20.1.0"},
            "a":{"version":"1.0.0","requires":{"b":"^2.0.0","my-case":"npm:case@1.6.3"},
                 "dependencies":{"b":{"version":"2.0.0"}}},
            "b":{"version":"1.0.0"},
            "jest":{"version":"29.0.0","dev":true,"requires":{"b":"^1.0.0"}}
        }}"#;
        assert_eq!(
            graph(v1),
            [
                row("@types/node@20.1.0", false, false, &[]),
                row("a@1.0.0", false, false, &["b@2.0.0", "case@1.6.3"]),
                row("app@0.1.0", false, true, &[]),
                row("b@1.0.0", false, false, &[]),
                row("b@2.0.0", false, false, &[]),
                row("case@1.6.3", false, false, &[]),
                row("jest@29.0.0", true, false, &["b@1.0.0"]),
            ]
        );
        for (v, want) in [
            ("npm:case@1.6.3", Some(("case", "1.6.3"))),
            ("npm:@s/x@1.0.0", Some(("@s/x", "1.0.0"))),
            ("npm:", None),
            ("1.0.0", None),
        ] {
            assert_eq!(
                split_alias(v),
                want.map(|(a, b)| (a.to_string(), b.to_string())),
                "{v}"
            );
        }
    }

    #[test]
    fn deep_v1_tree_does_not_overflow() {
        let mut s = String::new();
        for _ in 0..1000 {
            s.push_str(r#"{"dependencies":{"a":"#);
        }
        s.push_str("{}");
        for _ in 0..1000 {
            s.push_str("}}");
        }
        // serde_json's own recursion limit refuses this before we walk it.
        assert!(run(&s).is_err());
    }
}
