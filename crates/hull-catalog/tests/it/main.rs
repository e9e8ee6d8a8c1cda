//! The one integration test binary of hull-catalog: the accuracy gate over the real
//! corpus and the replay of the fuzz seeds.

mod accuracy;
mod corrupt;
mod graph;
mod rootfs;
mod seeds;

use std::path::PathBuf;

pub use hull_testkit::workspace_root as repo_root;

/// `$HULL_CORPUS`, or `../shared/corpus` from the repo root. `None` (after a loud SKIP)
/// when it is missing, unless `HULL_REQUIRE_CORPUS=1`.
pub fn corpus() -> Option<PathBuf> {
    hull_testkit::corpus_with("truth")
}

/// Analyzer ids are user-visible (`found_by`, diagnostics): every row of the table is
/// unique, kebab-case and documented in `docs/`.
#[test]
fn analyzer_ids_unique_kebab_documented() {
    let docs: String = ["docs/catalog.md", "docs/language-packages.md"]
        .iter()
        .filter_map(|d| std::fs::read_to_string(repo_root().join(d)).ok())
        .collect();
    let all = hull_catalog::analyzers::ALL;
    assert!(all.len() >= 5);
    for a in all {
        assert!(
            !a.id.is_empty()
                && a.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{} is not kebab-case",
            a.id
        );
        assert_eq!(
            all.iter().filter(|b| b.id == a.id).count(),
            1,
            "{} twice",
            a.id
        );
        assert!(
            docs.contains(&format!("`{}`", a.id)),
            "{} is not documented",
            a.id
        );
    }
}
