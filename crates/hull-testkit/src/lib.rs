//! Test support shared by hull's crates (a dev-dependency only): where the shared
//! corpus is, and the one rule for a test whose corpus or tool is missing — skip with a
//! loud `SKIP:` line on a user's fresh clone, fail under `HULL_REQUIRE_CORPUS=1` (which
//! `.ci/run` sets, so CI can never pass by skipping).
//!
//! ```no_run
//! let Some(corpus) = hull_testkit::corpus_with("images") else { return };
//! if !hull_testkit::tool("skopeo", ".ci/apt/hull-cli.txt") { return }
//! ```

pub mod pg;
#[cfg(feature = "tls")]
pub mod tls;

use std::path::PathBuf;
use std::process::Command;

/// Whether a missing corpus or tool fails the test instead of skipping it.
pub fn required() -> bool {
    std::env::var("HULL_REQUIRE_CORPUS").is_ok_and(|v| v == "1")
}

/// The workspace root (this crate lives in `crates/hull-testkit`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `$HULL_CORPUS`, else `../shared/corpus` beside the checkout; not checked.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("HULL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/corpus"))
}

/// The corpus when it holds `part` (a file or folder relative to it), else `None`
/// after a loud skip — or a panic when the corpus is required.
pub fn corpus_with(part: &str) -> Option<PathBuf> {
    let dir = corpus_dir();
    if dir.join(part).exists() {
        return Some(dir);
    }
    skip_or_fail(&format!(
        "corpus not found at {} (no {part})",
        dir.display()
    ));
    None
}

/// The corpus, whatever part the test reads.
pub fn corpus() -> Option<PathBuf> {
    corpus_with("README.md")
}

/// True when `name` is on `PATH`; otherwise a loud skip naming the file that lists its
/// Debian package (a failure when required).
pub fn tool(name: &str, apt_list: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        skip_or_fail(&format!(
            "`{name}` not installed (its Debian package is in {apt_list})"
        ));
    }
    found
}

/// The skip rule itself: print `SKIP: why`, or panic with `why` when required.
pub fn skip_or_fail(why: &str) {
    assert!(!required(), "{why} and HULL_REQUIRE_CORPUS=1");
    eprintln!("SKIP: {why}");
}
