//! `gemfile-lock`: Bundler's `Gemfile.lock`.
//!
//! Sections (`GEM`, `GIT`, `PATH`) list resolved gems under `specs:`, four spaces in:
//! `name (version[-platform])`; six spaces in, that gem's own dependencies as
//! `name (constraints)` or a bare `name` — each an edge to the spec of that name.
//! `DEPENDENCIES` lists what the Gemfile asks for (the project is not a gem, so it is
//! not reported). A platform suffix (`1.13.10-x86_64-linux`) is kept as `gem.platform`.
//! The lockfile does not record Gemfile groups, so no gem is marked `dev`.

use std::collections::HashMap;

use hull_model::{Ecosystem, ImagePath, Purl};

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "gemfile-lock",
    wants,
    parse,
};

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= lang::MAX_TEXT
        && matches!(path.file_name(), "Gemfile.lock" | "gems.locked")
        && !path.components().any(|c| c == "vendor" || c == "gems")
}

/// `name (1.2.3-x86_64-linux)` -> (name, version, platform).
fn spec(line: &str) -> Option<(&str, &str, Option<&str>)> {
    let (name, rest) = line.split_once(" (")?;
    let v = rest.strip_suffix(')')?;
    // Gem versions never contain `-`: what follows is the platform.
    let (version, platform) = match v.split_once('-') {
        Some((v, p)) => (v, Some(p)),
        None => (v, None),
    };
    (!name.is_empty() && !version.is_empty() && !name.contains(' '))
        .then_some((name, version, platform))
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, lang::MAX_TEXT)?;
    let text = lang::text(input.path, input.data)?;
    let mut found = Found::default();
    // (package, dependency names)
    let mut gems: Vec<(hull_model::Package, Vec<String>)> = Vec::new();
    let mut section = "";
    let mut in_specs = false;
    let mut saw_section = false;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            section = line.trim();
            saw_section = true;
            in_specs = false;
            continue;
        }
        if !matches!(section, "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE") {
            continue;
        }
        if line == "  specs:" {
            in_specs = true;
            continue;
        }
        if !in_specs {
            continue;
        }
        if let Some(s) = line.strip_prefix("    ").filter(|s| !s.starts_with(' ')) {
            let Some((name, version, platform)) = spec(s) else {
                found
                    .warnings
                    .push(format!("{}: unreadable spec `{}`", input.path, s.trim()));
                continue;
            };
            let purl = Purl::new("gem", None, name, Some(version), &[]);
            let mut p = lang::package(
                Ecosystem::Rubygems,
                name,
                version,
                purl,
                input.path.clone(),
                ANALYZER.id,
            );
            if let Some(pl) = platform {
                p.properties.insert("gem.platform".into(), pl.into());
            }
            if section != "GEM" {
                p.properties
                    .insert("gem.source".into(), section.to_ascii_lowercase());
            }
            gems.push((p, Vec::new()));
        } else if let Some(d) = line.strip_prefix("      ").filter(|s| !s.starts_with(' ')) {
            if let (Some((_, deps)), Some(name)) = (gems.last_mut(), d.split(" (").next()) {
                deps.push(name.trim().to_string());
            }
        }
    }
    if !saw_section {
        return Err(lang::malformed(input.path, "no Gemfile.lock section"));
    }
    let by_name: HashMap<String, String> = gems
        .iter()
        .map(|(p, _)| (p.name.clone(), p.ref_id()))
        .collect();
    for (mut p, deps) in gems {
        p.depends_on = deps
            .iter()
            .filter_map(|d| by_name.get(d).cloned())
            .collect();
        p.depends_on.sort();
        p.depends_on.dedup();
        found.packages.push(p);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_with_platforms_git_and_edges() {
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/catalog_gemfile_lock/rails"),
        )
        .unwrap();
        let path = ImagePath::new("app/Gemfile.lock").unwrap();
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: &data,
        })
        .unwrap();
        let got: Vec<(String, Vec<String>)> = f
            .packages
            .iter()
            .map(|p| {
                (
                    format!(
                        "{} {}",
                        p.purl,
                        p.properties.get("gem.platform").map_or("", |s| s.as_str())
                    ),
                    p.depends_on
                        .iter()
                        .map(|r| r.split('#').next().unwrap().to_string())
                        .collect(),
                )
            })
            .collect();
        let row = |a: &str, e: &[&str]| (a.to_string(), e.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            got,
            vec![
                row("pkg:gem/kaminari@1.2.2 ", &["pkg:gem/rack@2.2.8"]),
                row("pkg:gem/mini_portile2@2.8.5 ", &[]),
                row(
                    "pkg:gem/nokogiri@1.15.4 x86_64-linux",
                    &["pkg:gem/racc@1.7.3"]
                ),
                row("pkg:gem/rack@2.2.8 ", &[]),
                row("pkg:gem/racc@1.7.3 ", &[]),
                row("pkg:gem/sinatra@3.1.0 ", &["pkg:gem/rack@2.2.8"]),
            ]
        );
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        assert_eq!(f.packages[0].properties["gem.source"], "git");
    }

    #[test]
    fn specs() {
        for (line, want) in [
            ("rack (2.2.8)", Some(("rack", "2.2.8", None))),
            (
                "nokogiri (1.15.4-arm64-darwin)",
                Some(("nokogiri", "1.15.4", Some("arm64-darwin"))),
            ),
            ("rack", None),
            ("rack ()", None),
            ("a b (1)", None),
        ] {
            assert_eq!(spec(line), want, "{line}");
        }
        let path = ImagePath::new("Gemfile.lock").unwrap();
        assert!(parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: b"    x (1)\n"
        })
        .is_err());
    }
}
