//! Where the server keeps images, scans and findings.
//!
//! [`Store`] is the seam for other backends (PostgreSQL for many replicas is planned,
//! not built); [`SqliteStore`] is the embedded default: one file in WAL mode (readers
//! never wait for the writer), every write in one transaction, the layout versioned in
//! a `schema_version` table so an older hull refuses a newer file instead of
//! misreading it.
//!
//! Inventories are stored once per distinct content (keyed by SHA-256), so a rescan
//! that adds a scan row does not copy the inventory again.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hull_model::{Finding, FixState, Inventory, Severity};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

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
    #[error("server database {path} has schema v{found}, newer than this hull (v{SCHEMA_VERSION}); upgrade hull")]
    TooNew { path: PathBuf, found: i64 },
    #[error("cannot create {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
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
    fn as_str(self) -> &'static str {
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
    fn key(&self) -> (&str, &str, &str, &str) {
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

fn audit_summary(conn: &Connection, id: i64) -> rusqlite::Result<Option<AuditSummary>> {
    let row = conn
        .query_row(
            "SELECT ran_at, files, errors, new_findings FROM audits WHERE id = ?1",
            params![id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((ran_at, files, errors, new)) = row else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT severity, COUNT(*) FROM audit_findings WHERE audit_id = ?1 GROUP BY severity",
    )?;
    let mut counts = Counts::default();
    for row in stmt.query_map(params![id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })? {
        let (sev, n) = row?;
        counts.add(sev.parse().unwrap_or(Severity::Unknown), n.max(0) as u64);
    }
    Ok(Some(AuditSummary {
        id,
        ran_at,
        files: files.max(0) as u64,
        errors: errors.max(0) as u64,
        counts,
        new_findings: new.max(0) as u64,
    }))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images(
  id INTEGER PRIMARY KEY, repository TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL,
  first_seen TEXT NOT NULL, UNIQUE(repository, tag, digest));
CREATE TABLE IF NOT EXISTS inventories(
  id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, packages INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scans(
  id INTEGER PRIMARY KEY, image_id INTEGER NOT NULL REFERENCES images(id),
  kind TEXT NOT NULL, scanned_at TEXT NOT NULL, inventory_id INTEGER NOT NULL REFERENCES inventories(id),
  vulndb_built_at TEXT, vulndb_identity TEXT, findings_json TEXT NOT NULL, new_findings INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS scans_image ON scans(image_id, id);
CREATE TABLE IF NOT EXISTS findings(
  scan_id INTEGER NOT NULL REFERENCES scans(id), advisory_id TEXT NOT NULL, package TEXT NOT NULL,
  installed TEXT NOT NULL, fixed TEXT, severity TEXT NOT NULL, state TEXT NOT NULL, path TEXT NOT NULL,
  is_new INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS findings_scan ON findings(scan_id);
CREATE INDEX IF NOT EXISTS findings_new ON findings(is_new, scan_id);
CREATE TABLE IF NOT EXISTS audits(
  id INTEGER PRIMARY KEY, ran_at TEXT NOT NULL, files INTEGER NOT NULL, errors INTEGER NOT NULL,
  report_json TEXT NOT NULL, new_findings INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit_findings(
  audit_id INTEGER NOT NULL REFERENCES audits(id), path TEXT NOT NULL, check_id TEXT NOT NULL,
  severity TEXT NOT NULL, workload TEXT NOT NULL, container TEXT NOT NULL, message TEXT NOT NULL,
  is_new INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS audit_findings_audit ON audit_findings(audit_id);
";

/// The embedded SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

fn fix_state(f: &FixState) -> &'static str {
    match f {
        FixState::Fixed(_) => "fixed",
        FixState::NotFixed => "not-fixed",
        FixState::WontFix => "wont-fix",
        FixState::NotAffected => "not-affected",
        FixState::EndOfLife => "end-of-life",
        FixState::Unknown => "unknown",
    }
}

/// What makes two findings "the same" across scans of one image.
type FindingKey = (String, String, String, String);

/// The four-column keys `sql` selects for row `id`: what a previous scan or audit
/// found, the baseline that tells new findings from old ones.
fn key_set(
    tx: &rusqlite::Transaction<'_>,
    sql: &str,
    id: i64,
) -> rusqlite::Result<BTreeSet<FindingKey>> {
    let mut stmt = tx.prepare(sql)?;
    let rows = stmt.query_map(params![id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    rows.collect()
}

fn key_of(f: &Finding) -> FindingKey {
    (
        f.id.clone(),
        f.package.name.clone(),
        f.package.version.clone(),
        f.package.path.as_str().to_string(),
    )
}

impl SqliteStore {
    /// Open (or create) the store file at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let err = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        // WAL: dashboard reads do not wait for a rescan's write transaction.
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
            .map_err(err)?;
        conn.execute_batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;")
            .map_err(err)?;
        // Check the version before touching the layout: a newer file must stay as it is.
        let has_table: bool = conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'",
                [],
                |_| Ok(()),
            )
            .optional()
            .map_err(err)?
            .is_some();
        if has_table {
            let found: Option<i64> = conn
                .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
                .map_err(err)?;
            if let Some(found) = found.filter(|v| *v > SCHEMA_VERSION) {
                return Err(StoreError::TooNew {
                    path: path.to_path_buf(),
                    found,
                });
            }
        }
        conn.execute_batch(SCHEMA).map_err(err)?;
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
            .map_err(err)?;
        if n == 0 {
            conn.execute(
                "INSERT INTO schema_version(version) VALUES (?1)",
                params![SCHEMA_VERSION],
            )
            .map_err(err)?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panicked holder leaves the connection usable (transactions roll back on drop).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn counts(conn: &Connection, scan_id: i64) -> rusqlite::Result<Counts> {
    let mut stmt = conn.prepare_cached(
        "SELECT severity, COUNT(*) FROM findings WHERE scan_id = ?1 GROUP BY severity",
    )?;
    let rows = stmt.query_map(params![scan_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut c = Counts::default();
    for row in rows {
        let (sev, n) = row?;
        c.add(sev.parse().unwrap_or(Severity::Unknown), n.max(0) as u64);
    }
    Ok(c)
}

fn summary(conn: &Connection, scan_id: i64) -> rusqlite::Result<Option<ScanSummary>> {
    let row = conn
        .query_row(
            "SELECT s.kind, s.scanned_at, s.vulndb_built_at, s.vulndb_identity, i.packages, s.new_findings \
             FROM scans s JOIN inventories i ON i.id = s.inventory_id WHERE s.id = ?1",
            params![scan_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((kind, scanned_at, built, identity, packages, new)) = row else {
        return Ok(None);
    };
    Ok(Some(ScanSummary {
        id: scan_id,
        kind: if kind == "rescan" {
            ScanKind::Rescan
        } else {
            ScanKind::Push
        },
        scanned_at,
        vulndb_built_at: built,
        matched: identity.is_some(),
        packages: packages.max(0) as u64,
        counts: counts(conn, scan_id)?,
        new_findings: new.max(0) as u64,
    }))
}

fn image_ref(repository: String, tag: String, digest: String) -> ImageRef {
    ImageRef {
        repository,
        tag: Some(tag).filter(|t| !t.is_empty()),
        digest: Some(digest).filter(|d| !d.is_empty()),
    }
}

fn finding_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FindingRow> {
    Ok(FindingRow {
        scan_id: r.get(0)?,
        advisory_id: r.get(1)?,
        package: r.get(2)?,
        installed: r.get(3)?,
        fixed: r.get(4)?,
        severity: r.get::<_, String>(5)?.parse().unwrap_or(Severity::Unknown),
        state: r.get(6)?,
        path: r.get(7)?,
        new: r.get::<_, i64>(8)? != 0,
    })
}

impl Store for SqliteStore {
    fn record_scan(
        &self,
        image: &ImageRef,
        scan: NewScan<'_>,
    ) -> Result<Option<Recorded>, StoreError> {
        let err = self.err();
        let inv_json = serde_json::to_string(scan.inventory).map_err(|e| StoreError::Corrupt {
            what: "inventory",
            id: 0,
            reason: e.to_string(),
        })?;
        let findings_json =
            serde_json::to_string(scan.findings).map_err(|e| StoreError::Corrupt {
                what: "findings",
                id: 0,
                reason: e.to_string(),
            })?;
        let sha = hex::encode(Sha256::digest(inv_json.as_bytes()));
        let now = hull_model::rfc3339_utc(scan.scanned_at);
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(&err)?;
        let tag = image.tag.as_deref().unwrap_or("");
        let digest = image.digest.as_deref().unwrap_or("");
        tx.execute(
            "INSERT OR IGNORE INTO images(repository, tag, digest, first_seen) VALUES (?1, ?2, ?3, ?4)",
            params![image.repository, tag, digest, now],
        )
        .map_err(&err)?;
        let image_id: i64 = tx
            .query_row(
                "SELECT id FROM images WHERE repository = ?1 AND tag = ?2 AND digest = ?3",
                params![image.repository, tag, digest],
                |r| r.get(0),
            )
            .map_err(&err)?;
        tx.execute(
            "INSERT OR IGNORE INTO inventories(sha256, packages, json) VALUES (?1, ?2, ?3)",
            params![sha, scan.inventory.packages.len() as i64, inv_json],
        )
        .map_err(&err)?;
        let inventory_id: i64 = tx
            .query_row(
                "SELECT id FROM inventories WHERE sha256 = ?1",
                params![sha],
                |r| r.get(0),
            )
            .map_err(&err)?;
        let previous: Option<(i64, bool)> = tx
            .query_row(
                "SELECT id, vulndb_identity IS NOT NULL FROM scans WHERE image_id = ?1 ORDER BY id DESC LIMIT 1",
                params![image_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&err)?;
        if scan.rescan_of.is_some() && previous.map(|p| p.0) != scan.rescan_of {
            return Ok(None);
        }
        // Only a previous *matched* scan is a baseline: after a scan without a
        // database, everything would look new.
        let baseline: Option<BTreeSet<FindingKey>> = match previous {
            Some((prev, true)) => {
                let sql =
                    "SELECT advisory_id, package, installed, path FROM findings WHERE scan_id = ?1";
                Some(key_set(&tx, sql, prev).map_err(&err)?)
            }
            _ => None,
        };
        let is_new = |f: &Finding| baseline.as_ref().is_some_and(|b| !b.contains(&key_of(f)));
        // One row per key: the matcher may report one id twice for one package file.
        let mut seen = BTreeSet::new();
        let unique: Vec<&Finding> = scan
            .findings
            .iter()
            .filter(|f| seen.insert(key_of(f)))
            .collect();
        let new_count = unique.iter().filter(|f| is_new(f)).count() as i64;
        let (built, identity) = match scan.vulndb {
            Some(id) => (id.built_at.clone(), Some(id.fingerprint.clone())),
            None => (None, None),
        };
        tx.execute(
            "INSERT INTO scans(image_id, kind, scanned_at, inventory_id, vulndb_built_at, vulndb_identity, findings_json, new_findings) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![image_id, scan.kind.as_str(), now, inventory_id, built, identity, findings_json, new_count],
        )
        .map_err(&err)?;
        let scan_id = tx.last_insert_rowid();
        let mut new_rows = Vec::new();
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO findings(scan_id, advisory_id, package, installed, fixed, severity, state, path, is_new) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(&err)?;
            for f in unique {
                let row = FindingRow {
                    scan_id,
                    advisory_id: f.id.clone(),
                    package: f.package.name.clone(),
                    installed: f.package.version.clone(),
                    fixed: f.fixed_version().map(str::to_string),
                    severity: f.severity,
                    state: fix_state(&f.fix).to_string(),
                    path: f.package.path.as_str().to_string(),
                    new: is_new(f),
                };
                stmt.execute(params![
                    scan_id,
                    row.advisory_id,
                    row.package,
                    row.installed,
                    row.fixed,
                    row.severity.as_str(),
                    row.state,
                    row.path,
                    i64::from(row.new)
                ])
                .map_err(&err)?;
                if row.new {
                    new_rows.push(row);
                }
            }
        }
        let summary = summary(&tx, scan_id)
            .map_err(&err)?
            .ok_or(StoreError::Corrupt {
                what: "scan",
                id: scan_id,
                reason: "vanished inside its own transaction".into(),
            })?;
        tx.commit().map_err(&err)?;
        Ok(Some(Recorded {
            image_id,
            scan: summary,
            had_previous: baseline.is_some(),
            new_findings: new_rows,
        }))
    }

    fn versions(&self, repository: Option<&str>) -> Result<Vec<Version>, StoreError> {
        let err = self.err();
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT i.id, i.repository, i.tag, i.digest, i.first_seen, \
                 (SELECT COUNT(*) FROM scans s WHERE s.image_id = i.id), \
                 (SELECT MAX(s.id) FROM scans s WHERE s.image_id = i.id) \
                 FROM images i WHERE ?1 IS NULL OR i.repository = ?1 ORDER BY i.repository, i.id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![repository], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    image_ref(r.get(1)?, r.get(2)?, r.get(3)?),
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                ))
            })
            .map_err(&err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&err)?;
        let mut out = Vec::with_capacity(rows.len());
        for (image_id, image, first_seen, scans, latest) in rows {
            let latest_scan = match latest {
                Some(id) => summary(&conn, id).map_err(&err)?,
                None => None,
            };
            out.push(Version {
                image_id,
                image,
                first_seen,
                scans: scans.max(0) as u64,
                latest_scan,
            });
        }
        Ok(out)
    }

    fn scan(&self, id: i64) -> Result<Option<StoredScan>, StoreError> {
        let err = self.err();
        let conn = self.lock();
        let Some(summary) = summary(&conn, id).map_err(&err)? else {
            return Ok(None);
        };
        let (repo, tag, digest, inv, findings): (String, String, String, String, String) = conn
            .query_row(
                "SELECT i.repository, i.tag, i.digest, v.json, s.findings_json FROM scans s \
                 JOIN images i ON i.id = s.image_id JOIN inventories v ON v.id = s.inventory_id WHERE s.id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .map_err(&err)?;
        let corrupt = |what, e: serde_json::Error| StoreError::Corrupt {
            what,
            id,
            reason: e.to_string(),
        };
        Ok(Some(StoredScan {
            image: image_ref(repo, tag, digest),
            summary,
            inventory: serde_json::from_str(&inv).map_err(|e| corrupt("inventory of scan", e))?,
            findings: serde_json::from_str(&findings)
                .map_err(|e| corrupt("findings of scan", e))?,
        }))
    }

    fn latest_scans(&self) -> Result<Vec<LatestScan>, StoreError> {
        let err = self.err();
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT i.id, i.repository, i.tag, i.digest, \
                 (SELECT MAX(s.id) FROM scans s WHERE s.image_id = i.id) AS latest \
                 FROM images i WHERE latest IS NOT NULL ORDER BY i.id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(LatestScan {
                    image_id: r.get(0)?,
                    image: image_ref(r.get(1)?, r.get(2)?, r.get(3)?),
                    scan_id: r.get(4)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    fn inventory_of(&self, scan_id: i64) -> Result<Option<Inventory>, StoreError> {
        let err = self.err();
        let json: Option<String> = {
            let conn = self.lock();
            conn.query_row(
                "SELECT v.json FROM scans s JOIN inventories v ON v.id = s.inventory_id WHERE s.id = ?1",
                params![scan_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)?
        };
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| StoreError::Corrupt {
                what: "inventory of scan",
                id: scan_id,
                reason: e.to_string(),
            })
        })
        .transpose()
    }

    fn recent_new_findings(&self, limit: usize) -> Result<Vec<NewFinding>, StoreError> {
        let err = self.err();
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT f.scan_id, f.advisory_id, f.package, f.installed, f.fixed, f.severity, f.state, f.path, f.is_new, \
                 i.repository, i.tag, i.digest, s.scanned_at FROM findings f \
                 JOIN scans s ON s.id = f.scan_id JOIN images i ON i.id = s.image_id \
                 WHERE f.is_new = 1 ORDER BY f.scan_id DESC, f.rowid LIMIT ?1",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![limit as i64], |r| {
                Ok(NewFinding {
                    finding: finding_row(r)?,
                    image: image_ref(r.get(9)?, r.get(10)?, r.get(11)?),
                    scanned_at: r.get(12)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let conn = self.lock();
        conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()
        .map_err(self.err())
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )
        .map(|_| ())
        .map_err(self.err())
    }

    fn record_audit(&self, run: NewAudit<'_>) -> Result<AuditRecorded, StoreError> {
        let err = self.err();
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(&err)?;
        let previous: Option<i64> = tx
            .query_row("SELECT MAX(id) FROM audits", [], |r| r.get(0))
            .map_err(&err)?;
        let baseline: Option<BTreeSet<FindingKey>> = match previous {
            Some(prev) => {
                let sql = "SELECT path, check_id, workload, container FROM audit_findings WHERE audit_id = ?1";
                Some(key_set(&tx, sql, prev).map_err(&err)?)
            }
            None => None,
        };
        let mut rows: Vec<AuditRow> = run.findings.to_vec();
        rows.sort_by(|a, b| {
            a.key()
                .cmp(&b.key())
                .then_with(|| a.message.cmp(&b.message))
        });
        rows.dedup_by(|a, b| a.key() == b.key());
        for r in &mut rows {
            r.new = baseline.as_ref().is_some_and(|b| {
                let (p, c, w, k) = r.key();
                !b.contains(&(p.to_string(), c.to_string(), w.to_string(), k.to_string()))
            });
        }
        let new: Vec<AuditRow> = rows.iter().filter(|r| r.new).cloned().collect();
        tx.execute(
            "INSERT INTO audits(ran_at, files, errors, report_json, new_findings) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                hull_model::rfc3339_utc(run.ran_at),
                run.files as i64,
                run.errors as i64,
                run.report.to_string(),
                new.len() as i64
            ],
        )
        .map_err(&err)?;
        let id = tx.last_insert_rowid();
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO audit_findings(audit_id, path, check_id, severity, workload, container, message, is_new) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(&err)?;
            for r in &rows {
                stmt.execute(params![
                    id,
                    r.path,
                    r.check_id,
                    r.severity.as_str(),
                    r.workload,
                    r.container,
                    r.message,
                    i64::from(r.new)
                ])
                .map_err(&err)?;
            }
        }
        let summary = audit_summary(&tx, id)
            .map_err(&err)?
            .ok_or(StoreError::Corrupt {
                what: "audit",
                id,
                reason: "vanished inside its own transaction".into(),
            })?;
        tx.commit().map_err(&err)?;
        Ok(AuditRecorded {
            summary,
            had_previous: baseline.is_some(),
            new_findings: new,
        })
    }

    fn audits(&self, limit: usize) -> Result<Vec<AuditSummary>, StoreError> {
        let err = self.err();
        let conn = self.lock();
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM audits ORDER BY id DESC LIMIT ?1")
            .and_then(|mut st| {
                st.query_map(params![limit as i64], |r| r.get(0))?
                    .collect::<Result<_, _>>()
            })
            .map_err(&err)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(s) = audit_summary(&conn, id).map_err(&err)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    fn audit(&self, id: i64) -> Result<Option<(AuditSummary, serde_json::Value)>, StoreError> {
        let err = self.err();
        let conn = self.lock();
        let Some(summary) = audit_summary(&conn, id).map_err(&err)? else {
            return Ok(None);
        };
        let json: String = conn
            .query_row(
                "SELECT report_json FROM audits WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .map_err(&err)?;
        let report = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
            what: "audit",
            id,
            reason: e.to_string(),
        })?;
        Ok(Some((summary, report)))
    }
}
