//! Where the server keeps images, scans and findings.
//!
//! [`Store`] is what the server calls; two backends implement it with the same
//! schema and the same logic (the SQL and the rules live once, in `store/sql.rs`;
//! a backend only runs statements and transactions):
//!
//! - [`SqliteStore`], the embedded default: one file in WAL mode (readers never wait
//!   for the writer). One process only.
//! - [`PgStore`], PostgreSQL, for several `hull server` replicas sharing one database:
//!   writes that must not interleave (recording a scan of one image, an audit run)
//!   take transaction-scoped advisory locks, and [`Store::lock_rescan`] keeps two
//!   replicas from rescanning the same vulnerability database twice.
//!
//! Every write is one transaction; the layout is versioned in a `schema_version`
//! table so an older hull refuses a newer store instead of misreading it.
//! Inventories are stored once per distinct content (keyed by SHA-256), so a rescan
//! that adds a scan row does not copy the inventory again.
//!
//! ```no_run
//! use hull_server::store::{open, Store};
//! // A PostgreSQL URL selects PgStore; anything else is a SQLite file path.
//! let store = open("postgres://hull@db.internal/hull", "server.db".as_ref())?;
//! println!("{} image versions", store.versions(None)?.len());
//! # Ok::<(), hull_server::store::StoreError>(())
//! ```

mod pg;
mod sql;
mod sqlite;

use std::path::{Path, PathBuf};

use hull_model::{Finding, Inventory, Severity};
use serde::Serialize;

pub use crate::tokens::{Scope, TokenInfo};
pub use pg::PgStore;
pub use sqlite::SqliteStore;

use crate::upload::ImageRef;

/// The layout this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("server database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// Not a `#[source]`: the client's errors nest a copy of themselves, so their
    /// chain is printed here once, without repeats ([`pg::message`]).
    #[error("server database {store}: {}", pg::message(.error))]
    Postgres {
        /// The URL without its password.
        store: String,
        error: postgres::Error,
    },
    #[error("bad PostgreSQL URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("server database {store} has schema v{found}, newer than this hull (v{SCHEMA_VERSION}); upgrade hull")]
    TooNew { store: String, found: i64 },
    #[error("cannot create {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("server database {store}: column {column} of `{sql}` is {found}, expected {expected}")]
    Column {
        store: String,
        sql: String,
        column: usize,
        found: &'static str,
        expected: &'static str,
    },
    #[error("stored {what} {id} is unreadable: {reason}")]
    Corrupt {
        what: &'static str,
        id: i64,
        reason: String,
    },
}

/// How a scan row came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanKind {
    /// Pushed by a client (`POST /api/v1/scans`).
    Push,
    /// Re-matched by the server after the vulnerability database changed.
    Rescan,
}

impl ScanKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ScanKind::Push => "push",
            ScanKind::Rescan => "rescan",
        }
    }
}

/// A scan to record.
#[derive(Debug, Clone, Copy)]
pub struct NewScan<'a> {
    pub kind: ScanKind,
    /// Seconds since the Unix epoch.
    pub scanned_at: u64,
    pub inventory: &'a Inventory,
    pub findings: &'a [Finding],
    /// `None` when no vulnerability database was available (nothing was matched).
    pub vulndb: Option<&'a crate::rescan::DbIdentity>,
    /// For rescans: the scan whose inventory was re-matched. When the image has a newer
    /// scan by now (a push landed during the rescan), the rescan result is stale and
    /// is not recorded, so an older inventory never becomes the latest again.
    pub rescan_of: Option<i64>,
}

/// Findings per severity, highest first in JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub negligible: u64,
    pub unknown: u64,
}

impl Counts {
    fn add(&mut self, sev: Severity, n: u64) {
        let slot = match sev {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Negligible => &mut self.negligible,
            Severity::Unknown => &mut self.unknown,
        };
        *slot += n;
    }

    /// Findings at or above `threshold`.
    pub fn at_or_above(&self, threshold: Severity) -> u64 {
        Severity::ALL
            .iter()
            .filter(|s| **s >= threshold)
            .map(|s| self.get(*s))
            .sum()
    }

    pub fn get(&self, sev: Severity) -> u64 {
        match sev {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Negligible => self.negligible,
            Severity::Unknown => self.unknown,
        }
    }

    pub fn total(&self) -> u64 {
        self.at_or_above(Severity::Unknown)
    }
}

/// The latest scan of an image version, summarised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanSummary {
    pub id: i64,
    pub kind: ScanKind,
    pub scanned_at: String,
    /// When the vulnerability database used was built (newest source update), if any.
    pub vulndb_built_at: Option<String>,
    /// Whether the scan was matched at all (false: no database was available).
    pub matched: bool,
    pub packages: u64,
    pub counts: Counts,
    /// Findings absent from the previous scan of the same image.
    pub new_findings: u64,
    /// The last rescan that found exactly this scan's findings again (stored as this
    /// stamp instead of a new scan row), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
}

/// One image version (repository, tag, digest) and its latest scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    pub image_id: i64,
    #[serde(flatten)]
    pub image: ImageRef,
    pub first_seen: String,
    pub scans: u64,
    pub latest_scan: Option<ScanSummary>,
}

/// A stored finding row (the flat columns; the full finding lives in the scan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRow {
    pub scan_id: i64,
    pub advisory_id: String,
    pub package: String,
    pub installed: String,
    pub fixed: Option<String>,
    pub severity: Severity,
    pub state: String,
    pub path: String,
    pub new: bool,
}

/// A new finding with its image, for the dashboard and notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewFinding {
    #[serde(flatten)]
    pub image: ImageRef,
    pub scanned_at: String,
    #[serde(flatten)]
    pub finding: FindingRow,
}

/// What recording a scan produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub image_id: i64,
    pub scan: ScanSummary,
    /// Whether an earlier scan of this image existed (else nothing counts as new).
    pub had_previous: bool,
    /// A rescan that found what the previous scan found: no row was added, the
    /// previous scan got a `checked_at` stamp (and is `scan`).
    pub unchanged: bool,
    pub new_findings: Vec<FindingRow>,
}

/// A stored scan with everything needed to render its report.
#[derive(Debug, Clone)]
pub struct StoredScan {
    pub image: ImageRef,
    pub summary: ScanSummary,
    pub inventory: Inventory,
    pub findings: Vec<Finding>,
}

/// The latest scan of an image version, for rescans (the inventory is loaded one
/// image at a time with [`Store::inventory_of`], so a rescan of many images does not
/// hold every inventory in memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestScan {
    pub image_id: i64,
    pub scan_id: i64,
    pub image: ImageRef,
}

/// Storage operations the server needs. Implementations are shared between HTTP
/// workers and the rescan thread, so they synchronise internally.
pub trait Store: Send + Sync {
    /// Record a scan of `image` (creating the image version on first sight) and its
    /// findings, marking those absent from the image's previous scan as new.
    /// `Ok(None)` only for a stale rescan (see [`NewScan::rescan_of`]).
    fn record_scan(
        &self,
        image: &ImageRef,
        scan: NewScan<'_>,
    ) -> Result<Option<Recorded>, StoreError>;
    /// Every image version, by repository then first sight.
    fn versions(&self, repository: Option<&str>) -> Result<Vec<Version>, StoreError>;
    fn scan(&self, id: i64) -> Result<Option<StoredScan>, StoreError>;
    /// The latest scan of every image version, by image id.
    fn latest_scans(&self) -> Result<Vec<LatestScan>, StoreError>;
    /// The inventory a scan matched.
    fn inventory_of(&self, scan_id: i64) -> Result<Option<Inventory>, StoreError>;
    /// The newest findings flagged new, newest first.
    fn recent_new_findings(&self, limit: usize) -> Result<Vec<NewFinding>, StoreError>;
    fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError>;
    fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Record a configuration audit run; findings absent from the previous run are new.
    fn record_audit(&self, run: NewAudit<'_>) -> Result<AuditRecorded, StoreError>;
    /// The newest audit runs, newest first.
    fn audits(&self, limit: usize) -> Result<Vec<AuditSummary>, StoreError>;
    /// One audit run with its per-file report (as `hull config --format json` files).
    fn audit(&self, id: i64) -> Result<Option<(AuditSummary, serde_json::Value)>, StoreError>;
    /// Every scan of image version `image_id`, newest first: at most `limit`, older
    /// than scan `before` when given (paging).
    fn history(
        &self,
        image_id: i64,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<ScanSummary>, StoreError>;
    /// Delete all but the newest `keep` scans of image version `image_id` (with
    /// their findings); returns how many scans went.
    fn prune_scans(&self, image_id: i64, keep: usize) -> Result<u64, StoreError>;
    /// Delete the versions of `repository` (only the one with `digest`, when given)
    /// with every scan and finding; returns how many versions went.
    fn delete_versions(&self, repository: &str, digest: Option<&str>) -> Result<u64, StoreError>;
    /// Keep a new API token (its hash only; see [`crate::tokens`]).
    fn create_token(&self, t: NewToken<'_>) -> Result<TokenInfo, StoreError>;
    /// Every token, revoked ones included, by id.
    fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError>;
    /// Revoke token `id`; `false` when there is no such live token.
    fn revoke_token(&self, id: i64, at: u64) -> Result<bool, StoreError>;
    /// The live (not revoked) token whose SHA-256 is `sha256`.
    fn live_token(&self, sha256: &str) -> Result<Option<TokenInfo>, StoreError>;
    /// Append to the audit log (pushes, token changes, rescans).
    fn log_event(&self, e: NewEvent<'_>) -> Result<(), StoreError>;
    /// The newest audit-log entries, newest first.
    fn events(&self, limit: usize) -> Result<Vec<Event>, StoreError>;
    /// Become the one process rescanning against the vulnerability database
    /// `fingerprint` among those sharing this store: `Ok(None)` when another process
    /// holds it now; the rescan is exclusive until the guard is dropped. The default
    /// (one process per store, as with SQLite) always succeeds: the server serialises
    /// its own rescans.
    fn lock_rescan(&self, fingerprint: &str) -> Result<Option<RescanGuard>, StoreError> {
        let _ = fingerprint;
        Ok(Some(RescanGuard(Box::new(()))))
    }
}

/// A token to keep.
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    pub name: &'a str,
    pub scope: Scope,
    /// SHA-256 of the secret, hex.
    pub sha256: &'a str,
    pub prefix: &'a str,
    pub created_at: u64,
}

/// An audit-log entry to append.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub at: u64,
    /// Who: `token:ID:NAME`, `cli`, `server` (its own background work) or `public`.
    pub actor: &'a str,
    /// Kebab-case: `push`, `rescan`, `token-create`, `token-revoke`, `sign-in`, …
    pub action: &'a str,
    pub detail: &'a str,
}

/// An audit-log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// Held while a rescan runs (see [`Store::lock_rescan`]); dropping it releases the lock.
pub struct RescanGuard(#[allow(dead_code)] Box<dyn Send>);

impl std::fmt::Debug for RescanGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RescanGuard")
    }
}

/// Whether `location` names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(location: &str) -> bool {
    let l = location.trim_start().to_ascii_lowercase();
    l.starts_with("postgres://") || l.starts_with("postgresql://")
}

/// `location` as it may be shown: a PostgreSQL URL without its password.
pub fn describe(location: &str) -> String {
    pg::redact(location)
}

/// Open the store at `location`: a PostgreSQL URL ([`PgStore`]), else `sqlite_path`
/// ([`SqliteStore`]) when `location` is empty.
pub fn open(location: &str, sqlite_path: &Path) -> Result<Box<dyn Store>, StoreError> {
    if is_postgres_url(location) {
        Ok(Box::new(PgStore::connect(location)?))
    } else if location.trim().is_empty() {
        Ok(Box::new(SqliteStore::open(sqlite_path)?))
    } else {
        Err(StoreError::BadUrl {
            url: location.to_string(),
            reason:
                "expected postgres://user@host[:port]/database (or no --store for SQLite in --data)"
                    .into(),
        })
    }
}

/// One configuration finding of an audit run, flattened.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AuditRow {
    pub path: String,
    /// Check id (`k8s:privileged`).
    pub check_id: String,
    pub severity: Severity,
    pub workload: String,
    pub container: String,
    pub message: String,
    pub new: bool,
}

impl AuditRow {
    pub(crate) fn key(&self) -> (&str, &str, &str, &str) {
        (&self.path, &self.check_id, &self.workload, &self.container)
    }
}

/// An audit run to record.
#[derive(Debug, Clone, Copy)]
pub struct NewAudit<'a> {
    pub ran_at: u64,
    pub files: u64,
    pub errors: u64,
    pub report: &'a serde_json::Value,
    pub findings: &'a [AuditRow],
}

/// An audit run, summarised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditSummary {
    pub id: i64,
    pub ran_at: String,
    pub files: u64,
    /// Files that could not be read or parsed.
    pub errors: u64,
    pub counts: Counts,
    pub new_findings: u64,
}

/// What recording an audit produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecorded {
    pub summary: AuditSummary,
    pub had_previous: bool,
    pub new_findings: Vec<AuditRow>,
}
