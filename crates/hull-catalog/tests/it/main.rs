//! The one integration test binary of hull-catalog: the accuracy gate over the real
//! corpus and the replay of the fuzz seeds.

mod accuracy;
mod seeds;

use std::path::PathBuf;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `$HULL_CORPUS`, or `../shared/corpus` from the repo root. `None` (after a loud SKIP)
/// when it is missing, unless `HULL_REQUIRE_CORPUS=1`.
pub fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("HULL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/corpus"));
    if p.join("images").is_dir() && p.join("truth").is_dir() {
        return Some(p);
    }
    if std::env::var("HULL_REQUIRE_CORPUS").as_deref() == Ok("1") {
        panic!(
            "corpus not found at {} (HULL_REQUIRE_CORPUS=1)",
            p.display()
        );
    }
    eprintln!("SKIP: corpus not found at {}", p.display());
    None
}
