//! `npm-lock`: `package-lock.json` / `npm-shrinkwrap.json`, lockfile versions 1, 2 and 3
//! (<https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json>).
//!
//! v2/v3 list every install location under `packages` (`node_modules/a/node_modules/b`);
//! v1 nests `dependencies` objects. v2 carries both; `packages` wins. Dev-only entries are
//! skipped (a production image does not install them), as are links to workspace
//! folders and the root project (the application, not a dependency). The hidden lockfile
//! `node_modules/.package-lock.json` only mirrors the installed tree, which `npm` reads
//! directly, so it is not wanted.

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
    let mut entries = Vec::new();
    let mut found = Found::default();
    if let Some(Value::Object(pkgs)) = root.get("packages") {
        for (key, v) in pkgs {
            let Some(obj) = v.as_object() else { continue };
            // Only install locations; "" is the root project, other keys are workspaces.
            let Some(idx) = key.rfind("node_modules/") else {
                continue;
            };
            if flag(obj, "link") || flag(obj, "dev") {
                continue;
            }
            let dir_name = &key[idx + "node_modules/".len()..];
            // An alias (`"x": "npm:y@1"`) records the real name in `name`.
            let name = obj.get("name").and_then(Value::as_str).unwrap_or(dir_name);
            entries.push((name.to_string(), obj.clone(), key.clone()));
        }
    } else if let Some(Value::Object(deps)) = root.get("dependencies") {
        walk_v1(deps, "", 0, &mut entries, &mut found.warnings);
    }
    for (name, obj, key) in entries {
        let Some(version) = obj.get("version").and_then(Value::as_str) else {
            continue;
        };
        if !lang::valid_npm_name(&name) || !is_registry_version(version) {
            continue;
        }
        let mut pkg = lang::npm_package(&name, version, input.path.clone(), ANALYZER.id);
        pkg.properties.insert("npm.lock-key".to_string(), key);
        if flag(&obj, "optional") {
            pkg.properties
                .insert("npm.optional".to_string(), "true".to_string());
        }
        if let Some(l) = obj.get("license").and_then(Value::as_str) {
            pkg.licenses.push(l.to_string());
        }
        found.packages.push(pkg);
    }
    Ok(found)
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
        if flag(obj, "dev") {
            continue;
        }
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

    fn run(json: &str) -> Result<Vec<(String, String, String)>, AnalyzeError> {
        let path = ImagePath::new("app/package-lock.json").unwrap();
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: json.as_bytes(),
        })?;
        let mut v: Vec<_> = f
            .packages
            .into_iter()
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
