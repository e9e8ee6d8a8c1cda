//! Replays the fuzz seeds of the language analyzers (`fuzz/corpus/catalog_<format>/`)
//! as normal tests, so CI covers them without a fuzzer: each seed must parse into at
//! least one package, and every truncation and a sweep of byte flips of it must come
//! back as a result or an error, never a panic.

use std::path::PathBuf;

use hull_model::ImagePath;

use crate::{analyzers::ALL, FileInput, Found};

/// (fuzz target, path that selects the format, mode) — the same as in `fuzz_targets/`.
const TARGETS: &[(&str, &str, u32)] = &[
    (
        "catalog_npm_package",
        "app/node_modules/x/package.json",
        0o644,
    ),
    ("catalog_npm_lock", "app/package-lock.json", 0o644),
    ("catalog_yarn_lock", "app/yarn.lock", 0o644),
    ("catalog_pnpm_lock", "app/pnpm-lock.yaml", 0o644),
    ("catalog_cargo_lock", "app/Cargo.lock", 0o644),
    ("catalog_go_mod", "app/go.mod", 0o644),
    ("catalog_go_binary", "usr/local/bin/app", 0o100755),
    ("catalog_cargo_auditable", "usr/local/bin/app", 0o100755),
    ("catalog_java_archive", "app/app.jar", 0o644),
    (
        "catalog_python_metadata",
        "usr/lib/python3/dist-packages/x-1.0.dist-info/METADATA",
        0o644,
    ),
    (
        "catalog_ruby_gemspec",
        "usr/lib/ruby/gems/3.1.0/specifications/x-1.0.gemspec",
        0o644,
    ),
    (
        "catalog_php_composer",
        "app/vendor/composer/installed.json",
        0o644,
    ),
    ("catalog_dotnet_deps", "app/app.deps.json", 0o644),
    ("catalog_gemfile_lock", "app/Gemfile.lock", 0o644),
    (
        "catalog_python_egg",
        "usr/lib/python3/site-packages/x-1.0-py3.11.egg",
        0o644,
    ),
    ("catalog_poetry_lock", "app/poetry.lock", 0o644),
    ("catalog_uv_lock", "app/uv.lock", 0o644),
    ("catalog_pipfile_lock", "app/Pipfile.lock", 0o644),
    ("catalog_nuget_lock", "app/packages.lock.json", 0o644),
    ("catalog_gradle_lock", "app/gradle.lockfile", 0o644),
    ("catalog_pom_xml", "app/pom.xml", 0o644),
    ("catalog_python_requirements", "app/requirements.txt", 0o644),
];

fn run(path: &ImagePath, mode: u32, data: &[u8]) -> Vec<Result<Found, crate::AnalyzeError>> {
    ALL.iter()
        .filter(|a| (a.wants)(path, mode, data.len() as u64))
        .map(|a| (a.parse)(&FileInput { path, mode, data }))
        .collect()
}

#[test]
fn fuzz_seeds_replay() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    for (target, path, mode) in TARGETS {
        let path = ImagePath::new(path).unwrap();
        let dir = root.join(target);
        let mut seeds: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "{target}: no seeds");
        for seed in seeds {
            let data = std::fs::read(&seed).unwrap();
            let results = run(&path, *mode, &data);
            let packages: usize = results
                .iter()
                .filter_map(|r| r.as_ref().ok())
                .map(|f| f.packages.len())
                .sum();
            assert!(
                packages > 0,
                "{}: no package from a valid seed",
                seed.display()
            );
            // Truncations (every length for small seeds, a stride for binaries).
            let step = (data.len() / 2000).max(1);
            for cut in (0..data.len()).step_by(step) {
                let _ = run(&path, *mode, &data[..cut]);
            }
            // Byte flips across the file.
            let mut m = data.clone();
            for i in (0..m.len()).step_by(step.max(7)) {
                let old = m[i];
                m[i] = old ^ 0xff;
                let _ = run(&path, *mode, &m);
                m[i] = old;
            }
            // Random edits (deterministic): overwrite, insert, delete, splice a
            // format-significant byte. `HULL_MUTATIONS` raises the count for local hunts.
            let rounds: usize = std::env::var("HULL_MUTATIONS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(200);
            let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ data.len() as u64;
            for _ in 0..rounds {
                let mut m = data.clone();
                for _ in 0..1 + next(&mut rng) % 4 {
                    mutate(&mut m, &mut rng);
                }
                let _ = run(&path, *mode, &m);
            }
        }
    }
}

fn next(state: &mut u64) -> usize {
    // xorshift64: good enough to scatter edits, and reproducible.
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state as usize
}

fn mutate(m: &mut Vec<u8>, rng: &mut u64) {
    const INTERESTING: &[u8] = b"\0\xff\x7f\x80\"'{}[]:,\n \t@/=(|#%.";
    let pick = INTERESTING[next(rng) % INTERESTING.len()];
    if m.is_empty() {
        m.push(pick);
        return;
    }
    let i = next(rng) % m.len();
    match next(rng) % 4 {
        0 => m[i] = pick,
        1 => m.insert(i, pick),
        2 => {
            m.remove(i);
        }
        _ => m[i] = next(rng) as u8,
    }
}

/// Language analyzer ids are user-visible: unique, kebab-case, and documented.
#[test]
fn language_ids_are_unique_and_documented() {
    use super::*;
    let ids = [
        python_dist::ANALYZER.id,
        python_dist::ZIPPED_EGG.id,
        npm::ANALYZER.id,
        npm_lock::ANALYZER.id,
        yarn_lock::ANALYZER.id,
        pnpm_lock::ANALYZER.id,
        cargo_lock::ANALYZER.id,
        cargo_auditable::ANALYZER.id,
        go_binary::ANALYZER.id,
        go_mod::ANALYZER.id,
        java_archive::ANALYZER.id,
        ruby_gemspec::ANALYZER.id,
        php_composer::ANALYZER.id,
        dotnet_deps::ANALYZER.id,
        gemfile_lock::ANALYZER.id,
        python_lock::ANALYZER.id,
        nuget_lock::ANALYZER.id,
        gradle_lock::ANALYZER.id,
        pom_xml::ANALYZER.id,
        python_requirements::ANALYZER.id,
    ];
    let docs = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/language-packages.md"),
    )
    .unwrap();
    for id in ids {
        assert!(
            id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{id}"
        );
        assert_eq!(ALL.iter().filter(|a| a.id == id).count(), 1, "{id} in ALL");
        assert!(docs.contains(&format!("`{id}`")), "{id} not documented");
    }
}
