//! `dotnet-deps`: .NET `*.deps.json` files written next to a built application; the
//! `libraries` object maps `Name/Version` to `{ "type": "package" | "project" | … }`.
//!
//! The rule: `package` entries are NuGet packages; a `package` whose entry in the
//! runtime target deploys no assets (no `runtime`, `native`, `runtimeTargets` or
//! `resources`: analyzers, build-only and reference-only packages) ships nothing the
//! app loads and is marked dev. `runtimepack` entries are the .NET runtime inside a
//! self-contained app, reported under the pack's name
//! (`runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0` ->
//! `Microsoft.NETCore.App.Runtime.linux-x64` 8.0.0, `dotnet.type=runtimepack`). The
//! `project` named like the file (`app` for `app.deps.json`) is the application, a root
//! package; other `project` and `reference` entries are the app's own assemblies and
//! are not reported. Edges come from the runtime target's `dependencies`.

use hull_model::{Ecosystem, ImagePath, Purl};
use serde_json::Value;

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "dotnet-deps",
    wants,
    parse,
};

const MAX_SIZE: u64 = 16 << 20;

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= MAX_SIZE && path.file_name().ends_with(".deps.json")
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, MAX_SIZE)?;
    let text = lang::text(input.path, input.data)?;
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| lang::malformed(input.path, format!("deps.json: {e}")))?;
    let libs = doc
        .get("libraries")
        .and_then(Value::as_object)
        .ok_or_else(|| lang::malformed(input.path, "no `libraries` object"))?;
    // The target the app runs as (`.NETCoreApp,Version=v8.0/linux-x64`): its entries say
    // which assets each library deploys and what it depends on.
    let target = doc
        .pointer("/runtimeTarget/name")
        .and_then(Value::as_str)
        .and_then(|t| doc.get("targets")?.get(t))
        .and_then(Value::as_object);
    let app = input.path.file_name().trim_end_matches(".deps.json");
    let mut found = Found::default();
    // `Name/Version` key -> index in found.packages, for the edges.
    let mut index = std::collections::HashMap::new();
    for (key, lib) in libs {
        let ty = lib.get("type").and_then(Value::as_str).unwrap_or("");
        let Some((name, version)) = key.split_once('/') else {
            found.warnings.push(format!(
                "{}: library key `{key}` is not Name/Version",
                input.path
            ));
            continue;
        };
        if name.is_empty() || version.is_empty() {
            continue;
        }
        // A self-contained app carries the runtime itself as `runtimepack.<pack>`.
        let (name, root) = match ty {
            "package" => (name, false),
            "runtimepack" => (name.strip_prefix("runtimepack.").unwrap_or(name), false),
            "project" if name == app => (name, true),
            _ => continue,
        };
        let purl = Purl::new("nuget", None, name, Some(version), &[]);
        let mut p = lang::package(
            Ecosystem::Nuget,
            name,
            version,
            purl,
            input.path.clone(),
            ANALYZER.id,
        );
        p.root = root;
        if ty != "package" {
            p.properties.insert("dotnet.type".into(), ty.into());
        }
        let entry = target.and_then(|t| t.get(key));
        // A package that deploys no assets (an analyzer, a build-only or reference-only
        // package) ships nothing the app loads: development-only.
        if ty == "package" {
            let deploys = entry.is_some_and(|e| {
                ["runtime", "native", "runtimeTargets", "resources"]
                    .iter()
                    .any(|k| e.get(k).is_some())
            });
            if entry.is_some() && !deploys {
                p.dev = true;
            }
        }
        index.insert(key.clone(), found.packages.len());
        found.packages.push(p);
    }
    let refs: Vec<String> = found.packages.iter().map(|p| p.ref_id()).collect();
    for (key, &i) in &index {
        let deps = target
            .and_then(|t| t.get(key))
            .and_then(|e| e.get("dependencies"))
            .and_then(Value::as_object);
        let mut d: Vec<String> = deps
            .into_iter()
            .flatten()
            .filter_map(|(n, v)| {
                let v = v.as_str()?;
                index
                    .get(&format!("{n}/{v}"))
                    .or_else(|| index.get(&format!("runtimepack.{n}/{v}")))
                    .map(|&j| refs[j].clone())
            })
            .collect();
        d.sort();
        d.dedup();
        found.packages[i].depends_on = d;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_contained_app_runtimepack_project_and_assetless_packages() {
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/catalog_dotnet_deps/self-contained"),
        )
        .unwrap();
        let path = ImagePath::new("app/Api.deps.json").unwrap();
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: &data,
        })
        .unwrap();
        let mut got: Vec<(String, bool, bool, Vec<String>)> = f
            .packages
            .iter()
            .map(|p| {
                let e = p
                    .depends_on
                    .iter()
                    .map(|r| r.split('#').next().unwrap().to_string())
                    .collect();
                (p.purl.to_string(), p.root, p.dev, e)
            })
            .collect();
        got.sort();
        let row = |p: &str, root: bool, dev: bool, e: &[&str]| {
            (
                p.to_string(),
                root,
                dev,
                e.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            got,
            [
                row(
                    "pkg:nuget/Api@1.0.0",
                    true,
                    false,
                    &[
                        "pkg:nuget/Microsoft.CodeAnalysis.NetAnalyzers@8.0.0",
                        "pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.1",
                        "pkg:nuget/Serilog@3.1.1"
                    ]
                ),
                row(
                    "pkg:nuget/Microsoft.CodeAnalysis.NetAnalyzers@8.0.0",
                    false,
                    true,
                    &[]
                ),
                row(
                    "pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.1",
                    false,
                    false,
                    &[]
                ),
                row("pkg:nuget/Serilog@3.1.1", false, false, &[]),
            ]
        );
        let rt = f
            .packages
            .iter()
            .find(|p| p.name.starts_with("Microsoft.NETCore"))
            .unwrap();
        assert_eq!(rt.properties["dotnet.type"], "runtimepack");
    }

    #[test]
    fn libraries() {
        let json = r#"{
          "runtimeTarget": {"name": ".NETCoreApp,Version=v6.0"},
          "targets": {},
          "libraries": {
            "app/1.0.0": {"type": "project", "serviceable": false},
            "Newtonsoft.Json/13.0.1": {"type": "package", "sha512": "sha512-x", "path": "newtonsoft.json/13.0.1"},
            "System.Text.Json/6.0.0": {"type": "package"},
            "weird": {"type": "package"}
          }
        }"#;
        let path = ImagePath::new("app/other.deps.json").unwrap();
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: json.as_bytes(),
        })
        .unwrap();
        let purls: Vec<_> = f.packages.iter().map(|p| p.purl.to_string()).collect();
        assert_eq!(
            purls,
            [
                "pkg:nuget/Newtonsoft.Json@13.0.1",
                "pkg:nuget/System.Text.Json@6.0.0"
            ]
        );
        assert_eq!(f.warnings.len(), 1);
        assert!(f.packages.iter().all(|p| !p.dev && !p.root));
        for bad in ["{}", "[]", "{\"libraries\": 1}", "{"] {
            assert!(parse(&FileInput {
                path: &path,
                mode: 0o644,
                data: bad.as_bytes(),
            })
            .is_err());
        }
    }
}
