//! `nuget-lock`: NuGet's `packages.lock.json` (`RestorePackagesWithLockFile`).
//!
//! `dependencies` maps each target framework (`net8.0`, `net8.0/linux-x64`) to the
//! packages restored for it: `{type, requested, resolved, dependencies}`. `Direct`,
//! `Transitive` and `CentralTransitive` entries are packages at their `resolved`
//! version; `Project` entries are other projects of the solution, not packages. A
//! package's `dependencies` are edges to the entries of that name in the same framework.
//! The lockfile does not separate test-only packages, so none is marked `dev`.

use std::collections::{BTreeSet, HashMap};

use hull_model::{Ecosystem, ImagePath, Purl};
use serde_json::Value;

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "nuget-lock",
    wants,
    parse,
};

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= lang::MAX_TEXT && path.file_name() == "packages.lock.json"
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, lang::MAX_TEXT)?;
    let text = lang::text(input.path, input.data)?;
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| lang::malformed(input.path, format!("packages.lock.json: {e}")))?;
    let frameworks = doc
        .get("dependencies")
        .and_then(Value::as_object)
        .ok_or_else(|| lang::malformed(input.path, "no `dependencies` object"))?;
    let mut found = Found::default();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut edges: Vec<BTreeSet<String>> = Vec::new();
    for entries in frameworks.values().filter_map(Value::as_object) {
        // name (lower case: NuGet ids are case-insensitive) -> ref, in this framework.
        let refs: HashMap<String, String> = entries
            .iter()
            .filter_map(|(name, e)| {
                let v = e.get("resolved")?.as_str()?;
                (e.get("type").and_then(Value::as_str) != Some("Project"))
                    .then(|| (name.to_ascii_lowercase(), purl(name, v)))
                    .map(|(n, p)| (n, hull_model::package_ref(&p, input.path)))
            })
            .collect();
        for (name, e) in entries {
            if e.get("type").and_then(Value::as_str) == Some("Project") {
                continue;
            }
            let Some(version) = e.get("resolved").and_then(Value::as_str) else {
                continue;
            };
            let key = (name.to_ascii_lowercase(), version.to_string());
            let i = *index.entry(key).or_insert_with(|| {
                let p = lang::package(
                    Ecosystem::Nuget,
                    name,
                    version,
                    purl(name, version),
                    input.path.clone(),
                    ANALYZER.id,
                );
                found.packages.push(p);
                edges.push(BTreeSet::new());
                found.packages.len() - 1
            });
            for dep in e
                .get("dependencies")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(r) = refs.get(&dep.0.to_ascii_lowercase()) {
                    edges[i].insert(r.clone());
                }
            }
        }
    }
    for (p, e) in found.packages.iter_mut().zip(edges) {
        p.depends_on = e.into_iter().collect();
    }
    Ok(found)
}

fn purl(name: &str, version: &str) -> Purl {
    Purl::new("nuget", None, name, Some(version), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frameworks_projects_and_edges() {
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/catalog_nuget_lock/webapi"),
        )
        .unwrap();
        let path = ImagePath::new("src/Api/packages.lock.json").unwrap();
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: &data,
        })
        .unwrap();
        let mut got: Vec<(String, Vec<String>)> = f
            .packages
            .iter()
            .map(|p| {
                (
                    p.purl.to_string(),
                    p.depends_on
                        .iter()
                        .map(|r| r.split('#').next().unwrap().to_string())
                        .collect(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                (
                    "pkg:nuget/Microsoft.Extensions.Primitives@8.0.0".to_string(),
                    vec![]
                ),
                (
                    "pkg:nuget/Serilog.AspNetCore@8.0.0".to_string(),
                    vec!["pkg:nuget/Serilog@3.1.1".to_string()]
                ),
                ("pkg:nuget/Serilog@3.1.1".to_string(), vec![]),
                ("pkg:nuget/System.Text.Json@8.0.0".to_string(), vec![]),
            ]
        );
        let bad = ImagePath::new("packages.lock.json").unwrap();
        assert!(parse(&FileInput {
            path: &bad,
            mode: 0o644,
            data: b"{\"version\":1}"
        })
        .is_err());
    }
}
