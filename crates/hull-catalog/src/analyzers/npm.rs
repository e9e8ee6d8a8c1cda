//! `npm`: packages installed in `node_modules` — the `package.json` of each package
//! directory (`node_modules/<name>/package.json`, `node_modules/@scope/<name>/package.json`,
//! at any nesting depth). A `package.json` elsewhere (the application's own, a
//! sub-directory of a package such as `lodash/fp/package.json`) is not a dependency and
//! is not read.
//!
//! Installed `node_modules` are what actually runs, so they are the primary npm source;
//! lockfiles (`npm-lock`, `yarn-lock`, `pnpm-lock`) fill in for images that ship a
//! lockfile without `node_modules` — see [`drop_shadowed_lockfile_packages`].

use hull_model::{ImagePath, Package};
use serde::Deserialize;

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "npm",
    wants,
    parse,
};

const MAX_SIZE: u64 = 8 << 20;

/// Analyzer ids whose packages come from npm-family lockfiles.
pub const LOCKFILE_IDS: [&str; 3] = ["npm-lock", "yarn-lock", "pnpm-lock"];

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= MAX_SIZE && package_dir_name(path).is_some()
}

/// The package name implied by a `.../node_modules/[@scope/]name/package.json` path.
fn package_dir_name(path: &ImagePath) -> Option<String> {
    let parts: Vec<&str> = path.components().collect();
    let n = parts.len();
    if n < 3 || parts[n - 1] != "package.json" {
        return None;
    }
    let name = parts[n - 2];
    if name.starts_with('.') || name.starts_with('@') {
        return None;
    }
    if parts[n - 3] == "node_modules" {
        return Some(name.to_string());
    }
    if n >= 4 && parts[n - 3].starts_with('@') && parts[n - 4] == "node_modules" {
        return Some(format!("{}/{}", parts[n - 3], name));
    }
    None
}

#[derive(Deserialize)]
struct Manifest {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    license: Option<serde_json::Value>,
    #[serde(default)]
    licenses: Option<serde_json::Value>,
    #[serde(default)]
    private: Option<serde_json::Value>,
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, MAX_SIZE)?;
    let text = lang::text(input.path, input.data)?;
    let m: Manifest = serde_json::from_str(text)
        .map_err(|e| lang::malformed(input.path, format!("package.json: {e}")))?;
    let name = m
        .name
        .filter(|n| lang::valid_npm_name(n))
        .ok_or_else(|| lang::malformed(input.path, "no valid `name`"))?;
    let version = m
        .version
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| lang::malformed(input.path, "no `version`"))?;
    let mut pkg = lang::npm_package(&name, &version, input.path.clone(), ANALYZER.id);
    pkg.licenses = licenses(m.license.as_ref(), m.licenses.as_ref());
    let mut found = Found::default();
    if package_dir_name(input.path).is_some_and(|dir| dir != name) {
        // An alias install (`"x": "npm:y@1"`) puts `y` in `node_modules/x`.
        found.warnings.push(format!(
            "{}: package `{name}` is installed under another directory name",
            input.path
        ));
    }
    if m.private == Some(serde_json::Value::Bool(true)) {
        pkg.properties
            .insert("npm.private".to_string(), "true".to_string());
    }
    found.packages.push(pkg);
    Ok(found)
}

/// `license: "MIT"`, `license: {type: "MIT"}`, or the deprecated `licenses: [{type}]`.
fn licenses(license: Option<&serde_json::Value>, list: Option<&serde_json::Value>) -> Vec<String> {
    fn one(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            serde_json::Value::Object(o) => o.get("type").and_then(one),
            _ => None,
        }
    }
    if let Some(l) = license.and_then(one) {
        return vec![l];
    }
    match list {
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(one).collect(),
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Decide how lockfile packages relate to installed ones: a lockfile in directory `D`
/// whose `D/node_modules` holds installed packages (found by `npm`) is shadowed — what is
/// installed is what runs, and the lockfile only repeats it (or lists packages for other
/// platforms / dev installs that are not there). Its packages are dropped. A lockfile
/// with no installed `node_modules` next to it is kept: it is the only evidence.
///
/// The assembly calls this once on the merged package list (after whiteouts).
pub fn drop_shadowed_lockfile_packages(packages: &mut Vec<Package>) {
    let installed_roots: std::collections::BTreeSet<ImagePath> = packages
        .iter()
        .filter(|p| p.found_by == ANALYZER.id)
        .filter_map(|p| project_root(&p.path))
        .collect();
    let shadowed = |p: &Package| {
        LOCKFILE_IDS.contains(&p.found_by.as_str())
            && installed_roots.contains(&p.path.parent().unwrap_or_else(ImagePath::root))
    };
    // The lockfile's graph moves onto what is installed: `node_modules/a` of a lockfile
    // in `D` is `D/node_modules/a/package.json`.
    let installed_at = |p: &Package| -> Option<String> {
        let key = p.properties.get("npm.lock-key")?;
        let dir = p.path.parent().unwrap_or_else(ImagePath::root);
        let path = dir.join(&format!("{key}/package.json")).ok()?;
        Some(path.as_str().to_string())
    };
    let installed: std::collections::HashMap<String, String> = packages
        .iter()
        .filter(|p| p.found_by == ANALYZER.id)
        .map(|p| (p.path.as_str().to_string(), p.ref_id()))
        .collect();
    // lockfile ref -> installed ref, and installed path -> the lockfile's edges.
    let mut moved = std::collections::HashMap::new();
    let mut edges_at = std::collections::HashMap::new();
    for p in packages.iter().filter(|p| shadowed(p) && !p.root) {
        if let Some(at) = installed_at(p) {
            if let Some(r) = installed.get(&at) {
                moved.insert(p.ref_id(), r.clone());
                edges_at.insert(at, p.depends_on.clone());
            }
        }
    }
    // The root project is not installed in node_modules: it stays, with its edges moved.
    packages.retain(|p| p.root || !shadowed(p));
    if moved.is_empty() {
        return;
    }
    for p in packages.iter_mut() {
        let edges = if p.found_by == ANALYZER.id {
            match edges_at.get(p.path.as_str()) {
                Some(e) => e.clone(),
                None => continue,
            }
        } else if p.root && shadowed(p) {
            std::mem::take(&mut p.depends_on)
        } else {
            continue;
        };
        let mut d: Vec<String> = edges.iter().filter_map(|e| moved.get(e).cloned()).collect();
        d.sort();
        d.dedup();
        p.depends_on = d;
    }
}

/// `app/node_modules/a/node_modules/b/package.json` -> `app` (the outermost project).
fn project_root(path: &ImagePath) -> Option<ImagePath> {
    let s = path.as_str();
    let idx = if s.starts_with("node_modules/") {
        0
    } else {
        s.find("/node_modules/")?
    };
    ImagePath::new(&s[..idx]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ImagePath {
        ImagePath::new(s).unwrap()
    }

    #[test]
    fn wants_only_package_dirs() {
        for (path, want) in [
            ("app/node_modules/lodash/package.json", true),
            ("app/node_modules/@babel/core/package.json", true),
            ("app/node_modules/a/node_modules/b/package.json", true),
            ("node_modules/x/package.json", true),
            ("app/package.json", false),
            ("app/node_modules/lodash/fp/package.json", false),
            ("app/node_modules/.bin/package.json", false),
            ("app/node_modules/@babel/package.json", false),
            ("app/node_modules/lodash/index.js", false),
        ] {
            assert_eq!(wants(&p(path), 0o644, 10), want, "{path}");
        }
    }

    #[test]
    fn manifest_table() {
        type Want<'a> = Option<(&'a str, &'a str, &'a [&'a str])>;
        let cases: &[(&str, Want)] = &[
            (
                r#"{"name":"lodash","version":"4.17.4","license":"MIT"}"#,
                Some(("lodash", "pkg:npm/lodash@4.17.4", &["MIT"])),
            ),
            (
                r#"{"name":"@types/node","version":"1.0.0","license":{"type":"ISC"}}"#,
                Some(("@types/node", "pkg:npm/%40types/node@1.0.0", &["ISC"])),
            ),
            (
                r#"{"name":"old","version":"0.1.0","licenses":[{"type":"MIT"},{"type":"GPL"}]}"#,
                Some(("old", "pkg:npm/old@0.1.0", &["MIT", "GPL"])),
            ),
            (r#"{"name":"noversion"}"#, None),
            (r#"{"version":"1.0.0"}"#, None),
            (r#"{"name":"../../etc","version":"1"}"#, None),
            (r#"[1,2]"#, None),
            ("{", None),
        ];
        let path = p("app/node_modules/x/package.json");
        for (json, want) in cases {
            let got = parse(&FileInput {
                path: &path,
                mode: 0o644,
                data: json.as_bytes(),
            });
            match (got, want) {
                (Ok(f), Some((name, purl, lic))) => {
                    let pkg = &f.packages[0];
                    assert_eq!(pkg.name, *name);
                    assert_eq!(pkg.purl.as_str(), *purl);
                    assert_eq!(pkg.licenses, *lic);
                }
                (Err(_), None) => {}
                (got, want) => panic!("{json}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn lockfile_packages_shadowed_by_node_modules() {
        let mk = |path: &str, by: &str| lang::npm_package("a", "1.0.0", p(path), by);
        let mut pkgs = vec![
            mk("app/node_modules/a/package.json", "npm"),
            mk("app/package-lock.json", "npm-lock"),
            mk("other/yarn.lock", "yarn-lock"),
            mk("other/sub/node_modules/a/package.json", "npm"),
        ];
        drop_shadowed_lockfile_packages(&mut pkgs);
        let left: Vec<_> = pkgs.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            left,
            [
                "app/node_modules/a/package.json",
                "other/yarn.lock",
                "other/sub/node_modules/a/package.json"
            ]
        );
    }
}
