//! `python-lock`: the lockfiles of Python project managers — `poetry.lock` (TOML),
//! `uv.lock` (TOML) and `Pipfile.lock` (JSON).
//!
//! * poetry: each `[[package]]` with `name`/`version`; dev when its `category` is
//!   `dev` (Poetry < 1.5) or its `groups` do not include `main` (Poetry 2); edges from
//!   `[package.dependencies]` keys.
//! * uv: each `[[package]]`; the project itself (`source = { editable | virtual }`) is
//!   the root package; edges from `dependencies` (and `optional-dependencies`); a
//!   package reached only through the root's `dev-dependencies` is dev.
//! * Pipfile.lock: `default` entries are packages, `develop` entries dev packages;
//!   versions are written `==1.2.3`; the file records no edges.
//!
//! Names are compared in PEP 503 form; purls are `pkg:pypi/<normalized>@version`.

use std::collections::HashMap;

use hull_model::{pep503_name, Ecosystem, ImagePath, Package, Purl};

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "python-lock",
    wants,
    parse,
};

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= lang::MAX_TEXT
        && matches!(path.file_name(), "poetry.lock" | "uv.lock" | "Pipfile.lock")
        && !path
            .components()
            .any(|c| c == "site-packages" || c == "dist-packages")
}

fn pypi(name: &str, version: &str, path: &ImagePath) -> Package {
    let norm = pep503_name(name);
    let purl = Purl::new("pypi", None, &norm, lang::purl_version(version), &[]);
    lang::package(
        Ecosystem::Pypi,
        name,
        version,
        purl,
        path.clone(),
        ANALYZER.id,
    )
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, lang::MAX_TEXT)?;
    let text = lang::text(input.path, input.data)?;
    let bad = |e: String| lang::malformed(input.path, e);
    match input.path.file_name() {
        "Pipfile.lock" => pipfile(input.path, text).map_err(bad),
        name => {
            let doc: toml::Value =
                toml::from_str(text).map_err(|e| bad(format!("{name}: {}", e.message())))?;
            Ok(if name == "uv.lock" {
                uv(input.path, &doc)
            } else {
                poetry(input.path, &doc)
            })
        }
    }
}

fn packages(doc: &toml::Value) -> &[toml::Value] {
    doc.get("package")
        .and_then(|p| p.as_array())
        .map_or(&[], Vec::as_slice)
}

fn str_of<'a>(v: &'a toml::Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(|x| x.as_str())
}

/// Resolve name edges within one file and move the packages into a `Found`.
fn finish(mut pkgs: Vec<(Package, Vec<String>)>) -> Found {
    let by_name: HashMap<String, String> = pkgs
        .iter()
        .map(|(p, _)| (pep503_name(&p.name), p.ref_id()))
        .collect();
    let mut found = Found::default();
    for (p, deps) in &mut pkgs {
        p.depends_on = deps
            .iter()
            .filter_map(|d| by_name.get(&pep503_name(d)).cloned())
            .collect();
        p.depends_on.sort();
        p.depends_on.dedup();
    }
    found.packages = pkgs.into_iter().map(|(p, _)| p).collect();
    found
}

fn poetry(path: &ImagePath, doc: &toml::Value) -> Found {
    let mut out = Vec::new();
    for e in packages(doc) {
        let (Some(name), Some(version)) = (str_of(e, "name"), str_of(e, "version")) else {
            continue;
        };
        let mut p = pypi(name, version, path);
        let groups: Vec<&str> = e
            .get("groups")
            .and_then(|g| g.as_array())
            .map(|g| g.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        p.dev = str_of(e, "category") == Some("dev")
            || (!groups.is_empty() && !groups.contains(&"main"));
        let deps = e
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        out.push((p, deps));
    }
    finish(out)
}

fn uv(path: &ImagePath, doc: &toml::Value) -> Found {
    let names = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|d| d.as_array())
            .into_iter()
            .flatten()
            .filter_map(|d| str_of(d, "name").map(str::to_string))
            .collect()
    };
    let mut out = Vec::new();
    let mut dev_roots = Vec::new();
    let mut prod_roots = Vec::new();
    for e in packages(doc) {
        let Some(name) = str_of(e, "name") else {
            continue;
        };
        let version = str_of(e, "version").unwrap_or("");
        let source = e.get("source");
        let root = source.is_some_and(|s| {
            s.get("editable")
                .or_else(|| s.get("virtual"))
                .is_some_and(|x| x.as_str() == Some("."))
        });
        if version.is_empty() && !root {
            continue;
        }
        let mut p = pypi(name, version, path);
        p.root = root;
        let mut deps = names(e.get("dependencies"));
        for extra in e
            .get("optional-dependencies")
            .and_then(|o| o.as_table())
            .into_iter()
            .flatten()
        {
            deps.extend(names(Some(extra.1)));
        }
        if root {
            prod_roots.extend(deps.iter().cloned());
            for group in e
                .get("dev-dependencies")
                .and_then(|o| o.as_table())
                .into_iter()
                .flatten()
            {
                let d = names(Some(group.1));
                dev_roots.extend(d.iter().cloned());
                deps.extend(d);
            }
        }
        out.push((p, deps));
    }
    // dev = reached from the dev groups and not from the project's own dependencies.
    let index: HashMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (pep503_name(&p.name), i))
        .collect();
    let reach = |roots: &[String]| {
        let mut seen = vec![false; out.len()];
        let mut stack: Vec<usize> = roots
            .iter()
            .filter_map(|r| index.get(&pep503_name(r)).copied())
            .collect();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut seen[i], true) && !out[i].0.root {
                stack.extend(
                    out[i]
                        .1
                        .iter()
                        .filter_map(|d| index.get(&pep503_name(d)).copied()),
                );
            }
        }
        seen
    };
    let (prod, dev) = (reach(&prod_roots), reach(&dev_roots));
    for (i, (p, _)) in out.iter_mut().enumerate() {
        p.dev = dev[i] && !prod[i] && !p.root;
    }
    finish(out)
}

fn pipfile(path: &ImagePath, text: &str) -> Result<Found, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("Pipfile.lock: {e}"))?;
    if !doc.is_object() {
        return Err("Pipfile.lock: top level is not an object".into());
    }
    let mut out = Vec::new();
    for (section, dev) in [("default", false), ("develop", true)] {
        for (name, e) in doc
            .get(section)
            .and_then(|s| s.as_object())
            .into_iter()
            .flatten()
        {
            // Only pinned releases; VCS and path entries carry no version.
            let Some(v) = e
                .get("version")
                .and_then(|v| v.as_str())
                .and_then(|v| v.strip_prefix("=="))
            else {
                continue;
            };
            let mut p = pypi(name, v, path);
            p.dev = dev;
            out.push((p, Vec::new()));
        }
    }
    Ok(finish(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(file: &str, seed: &str) -> Vec<(String, bool, bool, Vec<String>)> {
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus")
                .join(seed),
        )
        .unwrap();
        let path = ImagePath::new(&format!("app/{file}")).unwrap();
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: &data,
        })
        .unwrap();
        let mut v: Vec<_> = f
            .packages
            .iter()
            .map(|p| {
                let e = p
                    .depends_on
                    .iter()
                    .map(|r| {
                        r.split('#')
                            .next()
                            .unwrap()
                            .trim_start_matches("pkg:pypi/")
                            .to_string()
                    })
                    .collect();
                (p.purl.to_string(), p.dev, p.root, e)
            })
            .collect();
        v.sort();
        v
    }

    fn row(p: &str, dev: bool, root: bool, e: &[&str]) -> (String, bool, bool, Vec<String>) {
        (
            p.to_string(),
            dev,
            root,
            e.iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn poetry_groups_categories_and_edges() {
        assert_eq!(
            run("poetry.lock", "catalog_poetry_lock/poetry"),
            [
                row("pkg:pypi/certifi@2023.11.17", false, false, &[]),
                row("pkg:pypi/pluggy@1.3.0", true, false, &[]),
                row("pkg:pypi/pytest@7.4.3", true, false, &["pluggy@1.3.0"]),
                row(
                    "pkg:pypi/requests@2.31.0",
                    false,
                    false,
                    &["certifi@2023.11.17", "urllib3@2.1.0"]
                ),
                row("pkg:pypi/urllib3@2.1.0", false, false, &[]),
            ]
        );
    }

    #[test]
    fn uv_root_dev_groups_and_edges() {
        assert_eq!(
            run("uv.lock", "catalog_uv_lock/uv"),
            [
                row(
                    "pkg:pypi/demo@0.1.0",
                    false,
                    true,
                    &["flask@3.0.0", "pytest@8.0.0"]
                ),
                row("pkg:pypi/flask@3.0.0", false, false, &["werkzeug@3.0.1"]),
                row("pkg:pypi/iniconfig@2.0.0", true, false, &[]),
                row(
                    "pkg:pypi/pytest@8.0.0",
                    true,
                    false,
                    &["iniconfig@2.0.0", "werkzeug@3.0.1"]
                ),
                row("pkg:pypi/werkzeug@3.0.1", false, false, &[]),
            ]
        );
    }

    #[test]
    fn pipfile_default_and_develop() {
        assert_eq!(
            run("Pipfile.lock", "catalog_pipfile_lock/pipfile"),
            [
                row("pkg:pypi/django@4.2.7", false, false, &[]),
                row("pkg:pypi/pytest@7.4.3", true, false, &[]),
            ]
        );
        let path = ImagePath::new("Pipfile.lock").unwrap();
        assert!(parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: b"[]"
        })
        .is_err());
        let path = ImagePath::new("poetry.lock").unwrap();
        assert!(parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: b"[[package"
        })
        .is_err());
    }
}
