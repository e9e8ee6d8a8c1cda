//! `dotnet-deps`: .NET `*.deps.json` files written next to a built application; the
//! `libraries` object maps `Name/Version` to `{ "type": "package" | "project" | … }`.
//! Only `package` entries are NuGet packages; `project` and `reference` entries are the
//! application's own assemblies.

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
    let mut found = Found::default();
    for (key, lib) in libs {
        if lib.get("type").and_then(Value::as_str) != Some("package") {
            continue;
        }
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
        let purl = Purl::new("nuget", None, name, Some(version), &[]);
        found.packages.push(lang::package(
            Ecosystem::Nuget,
            name,
            version,
            purl,
            input.path.clone(),
            ANALYZER.id,
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let path = ImagePath::new("app/app.deps.json").unwrap();
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
