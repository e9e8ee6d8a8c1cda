//! `pnpm-lock`: `pnpm-lock.yaml`, lockfile versions 5.x, 6.x and 9.x.
//!
//! Packages are the keys of `packages`; their syntax changed between versions:
//! v5 `/name/1.0.0_peer@2.0.0`, v6 `/name@1.0.0(peer@2.0.0)`, v9 `name@1.0.0` (peer
//! suffixes then live in `snapshots`). Scoped names keep their `@scope/` prefix. An entry
//! may also spell out `name:`/`version:` (tarball and git dependencies), which wins.
//! Entries marked `dev: true` (v5/v6) are skipped; v9 no longer records that per package.

use hull_model::ImagePath;

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
    let doc: serde_yaml::Value = serde_yaml::from_str(text)
        .map_err(|e| lang::malformed(input.path, format!("pnpm-lock: {e}")))?;
    if doc.as_mapping().is_none() {
        return Err(lang::malformed(input.path, "top level is not a mapping"));
    }
    let major = lockfile_major(doc.get("lockfileVersion"));
    let mut found = Found::default();
    let Some(pkgs) = doc.get("packages").and_then(|p| p.as_mapping()) else {
        return Ok(found);
    };
    let mut seen = std::collections::BTreeSet::new();
    for (key, entry) in pkgs {
        let Some(key) = key.as_str() else { continue };
        if entry.get("dev").and_then(|d| d.as_bool()) == Some(true) {
            continue;
        }
        let field = |k: &str| entry.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let (name, version) = match (field("name"), field("version")) {
            (Some(n), Some(v)) => (n, v),
            _ => match split_key(key, major) {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => {
                    found
                        .warnings
                        .push(format!("{}: unrecognised package key `{key}`", input.path));
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
        let mut pkg = lang::npm_package(&name, &version, input.path.clone(), ANALYZER.id);
        pkg.properties
            .insert("pnpm.key".to_string(), key.to_string());
        found.packages.push(pkg);
    }
    Ok(found)
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
        .map(|p| p.purl.to_string())
        .collect();
        v.sort();
        v
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
