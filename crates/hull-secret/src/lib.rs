//! Secret detection: credentials baked into files and image config values.
//!
//! A [`Scanner`] holds compiled rules — the built-in set ([`Scanner::builtin`], every
//! rule documented in `docs/secrets.md`) plus custom rules from a YAML file
//! ([`Scanner::with_config`]) — and scans one buffer at a time. It is pure and
//! synchronous: no file system, no threads, no network. The caller (the one walk over an
//! image's layers) asks [`Scanner::wants`] from the path and size alone, then hands the
//! bytes to [`Scanner::scan`]; image `Env` entries, labels and history lines go through
//! [`Scanner::scan_value`].
//!
//! How a scan works (the way ripgrep's `grep-searcher` does it): binary files (a NUL in
//! the first 8 KiB) are skipped; one Aho-Corasick pass (SIMD, case-sensitive, name
//! keywords in their usual spellings) looks for every rule's keywords at once, so most
//! files never reach a regex; only rules whose keyword occurred run
//! their regex (`regex::bytes`, linear time, any bytes, no UTF-8 needed); each match is
//! verified (checksum, key structure, placeholder and example allow rules); line numbers
//! are counted only up to the findings; excerpts are cut to [`EXCERPT_MAX`] characters
//! with every secret masked, and each finding carries a SHA-256 fingerprint of its
//! secret, never the secret itself. At most [`MAX_FINDINGS`] findings per file.
//!
//! In the walk: call [`Scanner::wants`] with the entry's path and size, read the entry
//! only when it says yes, and [`Scanner::scan`] the bytes of every layer's entry (a file
//! that a later layer deletes is still in its layer's blob); whether a finding is in the
//! final view or in a deleted/replaced file is then the tree's answer
//! (`tree.get(path).layer == entry.layer`), not the scanner's. `tests/it/corpus.rs` does
//! exactly this on the corpus images.
//!
//! What it does not do: read archives inside files, decode base64 blobs to look inside
//! them (except where a format says a field is base64, like kubeconfig
//! `client-key-data`), call vendors to check whether a token is live.
//!
//! ```
//! let scanner = hull_secret::Scanner::builtin();
//! let env = b"DB_HOST=db\nDB_PASSWORD=hunter2\nAPI_URL=https://x\n";
//! assert!(scanner.wants("app/.env", env.len() as u64));
//! let found = scanner.scan("app/.env", env);
//! assert_eq!(found.len(), 1);
//! assert_eq!((found[0].rule.as_str(), found[0].line), ("generic-password", 2));
//! assert_eq!(found[0].excerpt, "DB_PASSWORD=*******");
//! assert!(!found[0].excerpt.contains("hunter2"));
//! ```

mod allow;
mod checksum;
mod config;
mod files;
mod keys;
mod mask;
mod rules;
mod scan;

pub use config::ConfigError;
pub use files::MAX_FILE_SIZE;
pub use mask::EXCERPT_MAX;
pub use scan::{Scanner, BINARY_SNIFF, MAX_FINDINGS};

use hull_model::Severity;

/// One secret found in a file or a config value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Secret {
    /// Stable kebab-case rule id, e.g. `aws-access-key-id`.
    pub rule: String,
    pub title: String,
    /// The rule's severity, one step lower when a checksum does not verify or a key is
    /// encrypted (see `detail`).
    pub severity: Severity,
    /// 1-based line of the finding.
    pub line: u32,
    /// 1-based byte column of the finding on its line.
    pub column: u32,
    /// The line around the finding, every secret on it masked, at most
    /// [`EXCERPT_MAX`] characters.
    pub excerpt: String,
    /// `sha256:<hex>` of the secret's bytes (what `.hullignore` can name).
    pub fingerprint: String,
    /// What verification said: `checksum verified`, `PKCS#1 RSA`, `user deploy`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A rule as documentation and SARIF see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// The literals whose presence lets the rule's regex run (empty: the rule runs on
    /// every file it applies to).
    pub keywords: Vec<String>,
    /// The token format, one line.
    pub description: String,
    /// Built in (false: from a `--secret-config` file).
    pub builtin: bool,
}
