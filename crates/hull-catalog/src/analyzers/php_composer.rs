//! `php-composer`: Composer's record of installed packages, `vendor/composer/installed.json`
//! (Composer 1: a JSON array; Composer 2: `{"packages": [...], "dev-package-names": [...]}`),
//! and `composer.lock` (`packages`, `packages-dev`).
//!
//! `installed.json` lists what is on disk, dev packages included when they were
//! installed (`dev-package-names`); `composer.lock` lists `packages` and `packages-dev`.
//! Both kinds of dev package are marked `dev` (and keep `composer.dev=true`), so they
//! follow hull's one rule for development dependencies (left out unless
//! `--include-dev`, docs/catalog.md).

use hull_model::{Ecosystem, ImagePath};
use serde_json::Value;

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "php-composer",
    wants,
    parse,
};

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    if size > lang::MAX_TEXT {
        return false;
    }
    match path.file_name() {
        "installed.json" => path.parent().is_some_and(|p| {
            p.file_name() == "composer" && p.parent().is_some_and(|v| v.file_name() == "vendor")
        }),
        "composer.lock" => !path.components().any(|c| c == "vendor"),
        _ => false,
    }
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, lang::MAX_TEXT)?;
    let text = lang::text(input.path, input.data)?;
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| lang::malformed(input.path, format!("composer: {e}")))?;
    let is_lock = input.path.file_name() == "composer.lock";
    let (list, dev_names): (Vec<(&Value, bool)>, Vec<&str>) = match (&doc, is_lock) {
        (Value::Array(a), false) => (a.iter().map(|e| (e, false)).collect(), Vec::new()),
        (Value::Object(o), _) => {
            let list = |k: &str, dev: bool| {
                o.get(k)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(move |e| (e, dev))
            };
            (
                list("packages", false)
                    .chain(list("packages-dev", true).filter(|_| is_lock))
                    .collect(),
                o.get("dev-package-names")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default(),
            )
        }
        _ => return Err(lang::malformed(input.path, "unexpected top-level JSON")),
    };
    let mut found = Found::default();
    for (entry, dev) in list {
        let name = entry.get("name").and_then(Value::as_str).unwrap_or("");
        let version = entry.get("version").and_then(Value::as_str).unwrap_or("");
        let Some((vendor, base)) = name.split_once('/') else {
            continue;
        };
        if vendor.is_empty() || base.is_empty() || version.is_empty() {
            continue;
        }
        let purl = hull_model::Purl::new("composer", Some(vendor), base, Some(version), &[]);
        let mut p = lang::package(
            Ecosystem::Composer,
            name,
            version,
            purl,
            input.path.clone(),
            ANALYZER.id,
        );
        p.licenses = match entry.get("license") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        if dev || dev_names.contains(&name) {
            p.properties
                .insert("composer.dev".to_string(), "true".to_string());
            p.dev = true;
        }
        found.packages.push(p);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(path: &str, json: &str) -> Result<Vec<String>, AnalyzeError> {
        let path = ImagePath::new(path).unwrap();
        Ok(parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: json.as_bytes(),
        })?
        .packages
        .into_iter()
        .map(|p| {
            format!(
                "{} {:?}{}",
                p.purl,
                p.licenses,
                if p.properties.contains_key("composer.dev") {
                    " dev"
                } else {
                    ""
                }
            )
        })
        .collect())
    }

    #[test]
    fn formats() {
        let v1 = r#"[{"name":"monolog/monolog","version":"1.25.1","license":["MIT"]},{"name":"bad","version":"1"}]"#;
        let v2 = r#"{"packages":[{"name":"symfony/console","version":"v5.4.0"},{"name":"phpunit/phpunit","version":"9.5.0"}],"dev":true,"dev-package-names":["phpunit/phpunit"]}"#;
        let lock = r#"{"packages":[{"name":"guzzlehttp/guzzle","version":"7.4.0","license":"MIT"}],"packages-dev":[{"name":"phpunit/phpunit","version":"9.5.0"}]}"#;
        let installed = "app/vendor/composer/installed.json";
        assert_eq!(
            run(installed, v1).unwrap(),
            ["pkg:composer/monolog/monolog@1.25.1 [\"MIT\"]"]
        );
        assert_eq!(
            run(installed, v2).unwrap(),
            [
                "pkg:composer/symfony/console@v5.4.0 []",
                "pkg:composer/phpunit/phpunit@9.5.0 [] dev"
            ]
        );
        assert_eq!(
            run("app/composer.lock", lock).unwrap(),
            [
                "pkg:composer/guzzlehttp/guzzle@7.4.0 [\"MIT\"]",
                "pkg:composer/phpunit/phpunit@9.5.0 [] dev"
            ]
        );
        assert!(run("app/composer.lock", "[]").is_err());
        assert!(run(installed, "3").is_err());
    }

    #[test]
    fn wants_paths() {
        for (p, want) in [
            ("app/vendor/composer/installed.json", true),
            ("app/composer.lock", true),
            ("app/vendor/x/y/composer.lock", false),
            ("app/installed.json", false),
        ] {
            assert_eq!(wants(&ImagePath::new(p).unwrap(), 0o644, 1), want, "{p}");
        }
    }
}
