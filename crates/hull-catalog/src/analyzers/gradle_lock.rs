//! `gradle-lock`: Gradle's dependency lockfiles (`gradle.lockfile`,
//! `buildscript-gradle.lockfile`, and the per-configuration `gradle/dependency-locks/
//! *.lockfile` of Gradle < 7).
//!
//! One line per module, `group:artifact:version=configuration,configuration…`; `#`
//! comments and the `empty=…` line are not modules. A module locked only for test
//! configurations (names starting with `test`, e.g. `testRuntimeClasspath`) is dev; so
//! is every module of `buildscript-gradle.lockfile` (the build's own plugins). The
//! lockfile records no edges.

use hull_model::{Ecosystem, ImagePath, Purl};

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "gradle-lock",
    wants,
    parse,
};

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    let name = path.file_name();
    size <= lang::MAX_TEXT
        && (name == "gradle.lockfile"
            || name == "buildscript-gradle.lockfile"
            || (name.ends_with(".lockfile")
                && path
                    .parent()
                    .is_some_and(|p| p.file_name() == "dependency-locks")))
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, lang::MAX_TEXT)?;
    let text = lang::text(input.path, input.data)?;
    let buildscript = input.path.file_name() == "buildscript-gradle.lockfile";
    let mut found = Found::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let (coords, configs) = line.split_once('=').unwrap_or((line, ""));
        let parts: Vec<&str> = coords.split(':').collect();
        let [group, artifact, version] = parts[..] else {
            found.warnings.push(format!(
                "{} line {}: not `group:artifact:version`",
                input.path,
                n + 1
            ));
            continue;
        };
        if [group, artifact, version].iter().any(|s| s.is_empty()) {
            continue;
        }
        let purl = Purl::new("maven", Some(group), artifact, Some(version), &[]);
        let mut p = lang::package(
            Ecosystem::Maven,
            &format!("{group}:{artifact}"),
            version,
            purl,
            input.path.clone(),
            ANALYZER.id,
        );
        let configs: Vec<&str> = configs
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        p.dev =
            buildscript || (!configs.is_empty() && configs.iter().all(|c| c.starts_with("test")));
        if !configs.is_empty() {
            p.properties
                .insert("gradle.configurations".into(), configs.join(","));
        }
        found.packages.push(p);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_configurations_and_dev() {
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/catalog_gradle_lock/app"),
        )
        .unwrap();
        let path = ImagePath::new("app/gradle.lockfile").unwrap();
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: &data,
        })
        .unwrap();
        let got: Vec<(String, bool)> = f
            .packages
            .iter()
            .map(|p| (p.purl.to_string(), p.dev))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.3".to_string(),
                    false
                ),
                ("pkg:maven/junit/junit@4.13.2".to_string(), true),
                (
                    "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".to_string(),
                    false
                ),
                ("pkg:maven/org.hamcrest/hamcrest-core@1.3".to_string(), true),
            ]
        );
        assert_eq!(
            f.packages[0].name,
            "com.fasterxml.jackson.core:jackson-databind"
        );
        assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
        for (p, want) in [
            ("app/gradle.lockfile", true),
            ("buildscript-gradle.lockfile", true),
            ("gradle/dependency-locks/compileClasspath.lockfile", true),
            ("app/other.lockfile", false),
        ] {
            assert_eq!(wants(&ImagePath::new(p).unwrap(), 0o644, 1), want, "{p}");
        }
    }
}
