//! The one definition of the server's schema, statements and recording rules, run by
//! both backends through [`Conn`].
//!
//! Statements are written once, in the SQL that SQLite and PostgreSQL share:
//! `?N` placeholders (PostgreSQL's `$N`, same numbering: [`Dialect::placeholders`]),
//! `INSERT … ON CONFLICT DO NOTHING` and `RETURNING id` instead of SQLite-only
//! `INSERT OR IGNORE`/`last_insert_rowid()`. Only the schema's key and integer types
//! differ ([`Dialect::schema`]): SQLite's `INTEGER PRIMARY KEY` (the rowid alias)
//! is PostgreSQL's `BIGSERIAL PRIMARY KEY`, its `INTEGER` PostgreSQL's `BIGINT`.
//! Values cross the seam as [`Value`]: NULL, a 64-bit integer or text, which is all
//! the schema holds.

use std::borrow::Cow;
use std::collections::BTreeSet;

use hull_model::{Finding, FixState, Severity};
use sha2::{Digest as _, Sha256};

use super::{
    AuditRecorded, AuditRow, AuditSummary, Counts, FindingRow, LatestScan, NewAudit, NewFinding,
    NewScan, Recorded, ScanKind, ScanSummary, StoreError, StoredScan, Version, SCHEMA_VERSION,
};
use crate::upload::ImageRef;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// A NULL. Bound, it is typed text: every nullable parameter here is text.
    Null,
    Int(i64),
    Text(String),
}

impl Value {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int(_) => "an integer",
            Value::Text(_) => "text",
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// One result row; typed getters turn a wrong column type into
/// [`StoreError::Column`] rather than a panic.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) values: Vec<Value>,
    /// For error messages: which store and statement produced the row.
    pub(crate) store: String,
    pub(crate) sql: &'static str,
}

impl Row {
    fn bad(&self, column: usize, expected: &'static str) -> StoreError {
        StoreError::Column {
            store: self.store.clone(),
            sql: self.sql.to_string(),
            column,
            found: self.values.get(column).map_or("missing", Value::kind),
            expected,
        }
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.values.get(i) {
            Some(Value::Int(v)) => Ok(*v),
            _ => Err(self.bad(i, "an integer")),
        }
    }

    /// A count or size: negative values (never written) read as 0.
    pub(crate) fn count(&self, i: usize) -> Result<u64, StoreError> {
        Ok(self.int(i)?.max(0) as u64)
    }

    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.values.get(i) {
            Some(Value::Null) => Ok(None),
            Some(Value::Int(v)) => Ok(Some(*v)),
            _ => Err(self.bad(i, "an integer or null")),
        }
    }

    pub(crate) fn text(&self, i: usize) -> Result<String, StoreError> {
        match self.values.get(i) {
            Some(Value::Text(v)) => Ok(v.clone()),
            _ => Err(self.bad(i, "text")),
        }
    }

    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.values.get(i) {
            Some(Value::Null) => Ok(None),
            Some(Value::Text(v)) => Ok(Some(v.clone())),
            _ => Err(self.bad(i, "text or null")),
        }
    }
}

/// Which SQL a backend speaks, where the shared text is not enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The schema in this dialect.
    pub(crate) fn schema(self) -> String {
        match self {
            Dialect::Sqlite => SCHEMA.to_string(),
            // Order matters: the key columns first, then every other integer.
            Dialect::Postgres => SCHEMA
                .replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY")
                .replace("INTEGER", "BIGINT"),
        }
    }

    /// `sql` with `?N` placeholders as this dialect writes them. No statement here
    /// has a `?` inside a string literal.
    pub(crate) fn placeholders(self, sql: &str) -> Cow<'_, str> {
        match self {
            Dialect::Sqlite => Cow::Borrowed(sql),
            Dialect::Postgres => Cow::Owned(sql.replace('?', "$")),
        }
    }
}

/// A connection or an open transaction of one backend.
pub(crate) trait Conn {
    fn exec(&mut self, sql: &'static str, params: &[Value]) -> Result<u64, StoreError>;
    fn query(&mut self, sql: &'static str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Run several statements without parameters (the schema).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
    /// Serialise with every other transaction that takes the same `key` until this
    /// one ends (PostgreSQL: a transaction-scoped advisory lock). A no-op where one
    /// writer at a time is already guaranteed (SQLite: `BEGIN IMMEDIATE`).
    fn serialize(&mut self, key: i64) -> Result<(), StoreError>;

    fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[Value],
    ) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    fn query_one(&mut self, sql: &'static str, params: &[Value]) -> Result<Row, StoreError> {
        self.query_opt(sql, params)?.ok_or(StoreError::Corrupt {
            what: "query result",
            id: 0,
            reason: format!("no row from `{sql}`"),
        })
    }
}

/// The layout, in SQLite's words ([`Dialect::schema`] derives PostgreSQL's).
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
CREATE TABLE IF NOT EXISTS scan_checks(
  scan_id INTEGER PRIMARY KEY REFERENCES scans(id), checked_at TEXT NOT NULL,
  vulndb_built_at TEXT, vulndb_identity TEXT);
CREATE TABLE IF NOT EXISTS api_tokens(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS audit_log(
  id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  detail TEXT NOT NULL);
";

/// Advisory-lock keys of [`Conn::serialize`]: audits are one series; scans are
/// serialised per image (`IMAGE_KEYS + image id`), so pushes of different images
/// from different replicas still run in parallel.
const AUDIT_KEY: i64 = 0x6875_6c6c_0000_0001;
const IMAGE_KEYS: i64 = 0x6875_6c6c_1000_0000;

/// Refuse a store written by a newer hull, then create what is missing. The caller
/// runs this in one transaction and tells whether `schema_version` exists (how to
/// ask differs per backend), so a newer store is never touched.
pub(crate) fn init(
    c: &mut dyn Conn,
    dialect: Dialect,
    has_version_table: bool,
    store: &str,
) -> Result<(), StoreError> {
    if has_version_table {
        let found = c
            .query_one("SELECT MAX(version) FROM schema_version", &[])?
            .opt_int(0)?;
        if let Some(found) = found.filter(|v| *v > SCHEMA_VERSION) {
            return Err(StoreError::TooNew {
                store: store.to_string(),
                found,
            });
        }
    }
    c.batch(&dialect.schema())?;
    let n = c
        .query_one("SELECT COUNT(*) FROM schema_version", &[])?
        .int(0)?;
    if n == 0 {
        c.exec(
            "INSERT INTO schema_version(version) VALUES (?1)",
            &[SCHEMA_VERSION.into()],
        )?;
    }
    Ok(())
}

fn fix_state(f: &FixState) -> &'static str {
    match f {
        FixState::Fixed(_) => "fixed",
        FixState::NotFixed => "not-fixed",
        FixState::WontFix => "wont-fix",
        FixState::NotAffected => "not-affected",
        FixState::EndOfLife => "end-of-life",
        FixState::Unknown => "unknown",
        FixState::ExtendedSupport(_) => "extended-support",
    }
}

/// What makes two findings "the same" across scans of one image (or two audit
/// findings across runs).
type FindingKey = (String, String, String, String);

/// The four-column keys `sql` selects for row `id`: what a previous scan or audit
/// found, the baseline that tells new findings from old ones.
fn key_set(
    c: &mut dyn Conn,
    sql: &'static str,
    id: i64,
) -> Result<BTreeSet<FindingKey>, StoreError> {
    c.query(sql, &[id.into()])?
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?, r.text(2)?, r.text(3)?)))
        .collect()
}

fn key_of(f: &Finding) -> FindingKey {
    (
        f.id.clone(),
        f.package.name.clone(),
        f.package.version.clone(),
        f.package.path.as_str().to_string(),
    )
}

fn severity_counts(rows: &[Row]) -> Result<Counts, StoreError> {
    let mut c = Counts::default();
    for r in rows {
        c.add(r.text(0)?.parse().unwrap_or(Severity::Unknown), r.count(1)?);
    }
    Ok(c)
}

pub(crate) fn image_ref(repository: String, tag: String, digest: String) -> ImageRef {
    ImageRef {
        repository,
        tag: Some(tag).filter(|t| !t.is_empty()),
        digest: Some(digest).filter(|d| !d.is_empty()),
    }
}

fn summary(c: &mut dyn Conn, scan_id: i64) -> Result<Option<ScanSummary>, StoreError> {
    let Some(r) = c.query_opt(
        "SELECT s.kind, s.scanned_at, s.vulndb_built_at, s.vulndb_identity, i.packages, s.new_findings, \
         k.checked_at, k.vulndb_built_at \
         FROM scans s JOIN inventories i ON i.id = s.inventory_id \
         LEFT JOIN scan_checks k ON k.scan_id = s.id WHERE s.id = ?1",
        &[scan_id.into()],
    )?
    else {
        return Ok(None);
    };
    let counts = severity_counts(&c.query(
        "SELECT severity, COUNT(*) FROM findings WHERE scan_id = ?1 GROUP BY severity",
        &[scan_id.into()],
    )?)?;
    Ok(Some(ScanSummary {
        id: scan_id,
        kind: if r.text(0)? == "rescan" {
            ScanKind::Rescan
        } else {
            ScanKind::Push
        },
        scanned_at: r.text(1)?,
        // A check stamp means the newer database found the same: report its build.
        vulndb_built_at: r.opt_text(7)?.or(r.opt_text(2)?),
        matched: r.opt_text(3)?.is_some(),
        packages: r.count(4)?,
        counts,
        new_findings: r.count(5)?,
        checked_at: r.opt_text(6)?,
    }))
}

fn vanished(what: &'static str, id: i64) -> StoreError {
    StoreError::Corrupt {
        what,
        id,
        reason: "vanished inside its own transaction".into(),
    }
}

fn to_json<T: serde::Serialize + ?Sized>(what: &'static str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt {
        what,
        id: 0,
        reason: e.to_string(),
    })
}

/// Record a scan (see [`super::Store::record_scan`]); `c` is an open transaction.
pub(crate) fn record_scan(
    c: &mut dyn Conn,
    image: &ImageRef,
    scan: NewScan<'_>,
) -> Result<Option<Recorded>, StoreError> {
    let inv_json = to_json("inventory", scan.inventory)?;
    let findings_json = to_json("findings", scan.findings)?;
    let sha = hex::encode(Sha256::digest(inv_json.as_bytes()));
    let now = hull_model::rfc3339_utc(scan.scanned_at);
    let tag = image.tag.as_deref().unwrap_or("");
    let digest = image.digest.as_deref().unwrap_or("");
    c.exec(
        "INSERT INTO images(repository, tag, digest, first_seen) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT DO NOTHING",
        &[
            image.repository.as_str().into(),
            tag.into(),
            digest.into(),
            now.as_str().into(),
        ],
    )?;
    let image_id = c
        .query_one(
            "SELECT id FROM images WHERE repository = ?1 AND tag = ?2 AND digest = ?3",
            &[image.repository.as_str().into(), tag.into(), digest.into()],
        )?
        .int(0)?;
    // From here to commit, no other replica records a scan of this image: the
    // previous scan read below stays the previous one (no double "new" findings).
    c.serialize(IMAGE_KEYS.wrapping_add(image_id))?;
    c.exec(
        "INSERT INTO inventories(sha256, packages, json) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        &[
            sha.as_str().into(),
            (scan.inventory.packages.len() as i64).into(),
            inv_json.into(),
        ],
    )?;
    let inventory_id = c
        .query_one(
            "SELECT id FROM inventories WHERE sha256 = ?1",
            &[sha.into()],
        )?
        .int(0)?;
    let previous: Option<(i64, bool, String, i64)> = match c.query_opt(
        "SELECT id, vulndb_identity, findings_json, inventory_id FROM scans WHERE image_id = ?1 ORDER BY id DESC LIMIT 1",
        &[image_id.into()],
    )? {
        Some(r) => Some((r.int(0)?, r.opt_text(1)?.is_some(), r.text(2)?, r.int(3)?)),
        None => None,
    };
    if scan.rescan_of.is_some() && previous.as_ref().map(|p| p.0) != scan.rescan_of {
        return Ok(None);
    }
    // Retention: a rescan that finds exactly what the previous matched scan found
    // (same inventory, same findings) adds no rows, only a "checked at" stamp.
    if let (ScanKind::Rescan, Some((prev, true, prev_json, prev_inv))) = (scan.kind, &previous) {
        if *prev_json == findings_json && *prev_inv == inventory_id {
            let (built, identity) = match scan.vulndb {
                Some(id) => (id.built_at.clone(), Some(id.fingerprint.clone())),
                None => (None, None),
            };
            c.exec(
                "INSERT INTO scan_checks(scan_id, checked_at, vulndb_built_at, vulndb_identity) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(scan_id) DO UPDATE SET checked_at = excluded.checked_at, \
                 vulndb_built_at = excluded.vulndb_built_at, vulndb_identity = excluded.vulndb_identity",
                &[(*prev).into(), now.into(), built.into(), identity.into()],
            )?;
            let summary = summary(c, *prev)?.ok_or_else(|| vanished("scan", *prev))?;
            return Ok(Some(Recorded {
                image_id,
                scan: summary,
                had_previous: true,
                unchanged: true,
                new_findings: vec![],
            }));
        }
    }
    let previous = previous.map(|p| (p.0, p.1));
    // Only a previous *matched* scan is a baseline: after a scan without a
    // database, everything would look new.
    let baseline: Option<BTreeSet<FindingKey>> = match previous {
        Some((prev, true)) => Some(key_set(
            c,
            "SELECT advisory_id, package, installed, path FROM findings WHERE scan_id = ?1",
            prev,
        )?),
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
    let scan_id = c
        .query_one(
            "INSERT INTO scans(image_id, kind, scanned_at, inventory_id, vulndb_built_at, vulndb_identity, findings_json, new_findings) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
            &[
                image_id.into(),
                scan.kind.as_str().into(),
                now.into(),
                inventory_id.into(),
                built.into(),
                identity.into(),
                findings_json.into(),
                new_count.into(),
            ],
        )?
        .int(0)?;
    let rows: Vec<FindingRow> = unique
        .into_iter()
        .map(|f| FindingRow {
            scan_id,
            advisory_id: f.id.clone(),
            package: f.package.name.clone(),
            installed: f.package.version.clone(),
            fixed: f.fixed_version().map(str::to_string),
            severity: f.severity,
            state: fix_state(&f.fix).to_string(),
            path: f.package.path.as_str().to_string(),
            new: is_new(f),
        })
        .collect();
    insert_findings(c, &rows)?;
    let new_rows: Vec<FindingRow> = rows.into_iter().filter(|r| r.new).collect();
    let summary = summary(c, scan_id)?.ok_or_else(|| vanished("scan", scan_id))?;
    Ok(Some(Recorded {
        image_id,
        scan: summary,
        had_previous: baseline.is_some(),
        unchanged: false,
        new_findings: new_rows,
    }))
}

/// Finding rows per multi-row INSERT: one statement (one round trip on PostgreSQL)
/// per chunk instead of per row; 64 rows of 9 parameters stay well under SQLite's
/// limit on bound variables.
const FINDINGS_CHUNK: usize = 64;
const INSERT_FINDINGS: &str = "INSERT INTO findings(scan_id, advisory_id, package, installed, fixed, severity, state, path, is_new) VALUES ";

/// `INSERT_FINDINGS` with `rows` placeholder tuples.
fn insert_findings_sql(rows: usize) -> String {
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let p: Vec<String> = (1..=9).map(|i| format!("?{}", r * 9 + i)).collect();
            format!("({})", p.join(", "))
        })
        .collect();
    format!("{INSERT_FINDINGS}{}", tuples.join(", "))
}

fn insert_findings(c: &mut dyn Conn, rows: &[FindingRow]) -> Result<(), StoreError> {
    let params = |r: &FindingRow| -> [Value; 9] {
        [
            r.scan_id.into(),
            r.advisory_id.as_str().into(),
            r.package.as_str().into(),
            r.installed.as_str().into(),
            r.fixed.as_deref().into(),
            r.severity.as_str().into(),
            r.state.as_str().into(),
            r.path.as_str().into(),
            i64::from(r.new).into(),
        ]
    };
    // Built once: statements are `&'static str` (the backends cache by text).
    static ONE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static CHUNK: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let one = ONE.get_or_init(|| insert_findings_sql(1));
    let chunk_sql = CHUNK.get_or_init(|| insert_findings_sql(FINDINGS_CHUNK));
    let mut chunks = rows.chunks_exact(FINDINGS_CHUNK);
    for chunk in &mut chunks {
        let bound: Vec<Value> = chunk.iter().flat_map(params).collect();
        c.exec(chunk_sql, &bound)?;
    }
    for r in chunks.remainder() {
        c.exec(one, &params(r))?;
    }
    Ok(())
}

pub(crate) fn versions(
    c: &mut dyn Conn,
    repository: Option<&str>,
) -> Result<Vec<Version>, StoreError> {
    // CAST: PostgreSQL must know the parameter's type even where it is only tested
    // for NULL.
    let rows = c.query(
        "SELECT i.id, i.repository, i.tag, i.digest, i.first_seen, \
         (SELECT COUNT(*) FROM scans s WHERE s.image_id = i.id), \
         (SELECT MAX(s.id) FROM scans s WHERE s.image_id = i.id) \
         FROM images i WHERE CAST(?1 AS TEXT) IS NULL OR i.repository = CAST(?1 AS TEXT) \
         ORDER BY i.repository, i.id",
        &[repository.into()],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let latest_scan = match r.opt_int(6)? {
            Some(id) => summary(c, id)?,
            None => None,
        };
        out.push(Version {
            image_id: r.int(0)?,
            image: image_ref(r.text(1)?, r.text(2)?, r.text(3)?),
            first_seen: r.text(4)?,
            scans: r.count(5)?,
            latest_scan,
        });
    }
    Ok(out)
}

fn corrupt(what: &'static str, id: i64) -> impl Fn(serde_json::Error) -> StoreError {
    move |e| StoreError::Corrupt {
        what,
        id,
        reason: e.to_string(),
    }
}

pub(crate) fn scan(c: &mut dyn Conn, id: i64) -> Result<Option<StoredScan>, StoreError> {
    let Some(summary) = summary(c, id)? else {
        return Ok(None);
    };
    let r = c.query_one(
        "SELECT i.repository, i.tag, i.digest, v.json, s.findings_json FROM scans s \
         JOIN images i ON i.id = s.image_id JOIN inventories v ON v.id = s.inventory_id WHERE s.id = ?1",
        &[id.into()],
    )?;
    Ok(Some(StoredScan {
        image: image_ref(r.text(0)?, r.text(1)?, r.text(2)?),
        summary,
        inventory: serde_json::from_str(&r.text(3)?).map_err(corrupt("inventory of scan", id))?,
        findings: serde_json::from_str(&r.text(4)?).map_err(corrupt("findings of scan", id))?,
    }))
}

pub(crate) fn latest_scans(c: &mut dyn Conn) -> Result<Vec<LatestScan>, StoreError> {
    c.query(
        "SELECT i.id, i.repository, i.tag, i.digest, m.latest FROM images i \
         JOIN (SELECT image_id, MAX(id) AS latest FROM scans GROUP BY image_id) m ON m.image_id = i.id \
         ORDER BY i.id",
        &[],
    )?
    .into_iter()
    .map(|r| {
        Ok(LatestScan {
            image_id: r.int(0)?,
            image: image_ref(r.text(1)?, r.text(2)?, r.text(3)?),
            scan_id: r.int(4)?,
        })
    })
    .collect()
}

/// The inventory JSON of a scan (parsed by the caller, outside any lock).
pub(crate) fn inventory_json(c: &mut dyn Conn, scan_id: i64) -> Result<Option<String>, StoreError> {
    c.query_opt(
        "SELECT v.json FROM scans s JOIN inventories v ON v.id = s.inventory_id WHERE s.id = ?1",
        &[scan_id.into()],
    )?
    .map(|r| r.text(0))
    .transpose()
}

pub(crate) fn parse_inventory(
    scan_id: i64,
    json: Option<String>,
) -> Result<Option<hull_model::Inventory>, StoreError> {
    json.map(|j| serde_json::from_str(&j).map_err(corrupt("inventory of scan", scan_id)))
        .transpose()
}

pub(crate) fn recent_new_findings(
    c: &mut dyn Conn,
    limit: usize,
) -> Result<Vec<NewFinding>, StoreError> {
    // Newest scan first, then by finding key: the same order on both backends
    // (PostgreSQL has no rowid to keep insertion order by).
    c.query(
        "SELECT f.scan_id, f.advisory_id, f.package, f.installed, f.fixed, f.severity, f.state, f.path, f.is_new, \
         i.repository, i.tag, i.digest, s.scanned_at FROM findings f \
         JOIN scans s ON s.id = f.scan_id JOIN images i ON i.id = s.image_id \
         WHERE f.is_new = 1 ORDER BY f.scan_id DESC, f.advisory_id, f.package, f.installed, f.path LIMIT ?1",
        &[(limit.min(i64::MAX as usize) as i64).into()],
    )?
    .into_iter()
    .map(|r| {
        Ok(NewFinding {
            finding: FindingRow {
                scan_id: r.int(0)?,
                advisory_id: r.text(1)?,
                package: r.text(2)?,
                installed: r.text(3)?,
                fixed: r.opt_text(4)?,
                severity: r.text(5)?.parse().unwrap_or(Severity::Unknown),
                state: r.text(6)?,
                path: r.text(7)?,
                new: r.int(8)? != 0,
            },
            image: image_ref(r.text(9)?, r.text(10)?, r.text(11)?),
            scanned_at: r.text(12)?,
        })
    })
    .collect()
}

pub(crate) fn get_meta(c: &mut dyn Conn, key: &str) -> Result<Option<String>, StoreError> {
    c.query_opt("SELECT value FROM meta WHERE key = ?1", &[key.into()])?
        .map(|r| r.text(0))
        .transpose()
}

pub(crate) fn set_meta(c: &mut dyn Conn, key: &str, value: &str) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        &[key.into(), value.into()],
    )
    .map(|_| ())
}

pub(crate) fn prune_scans(c: &mut dyn Conn, image_id: i64, keep: usize) -> Result<u64, StoreError> {
    c.serialize(IMAGE_KEYS.wrapping_add(image_id))?;
    let all = c.query(
        "SELECT id FROM scans WHERE image_id = ?1 ORDER BY id DESC",
        &[image_id.into()],
    )?;
    let old: Vec<Row> = all.into_iter().skip(keep.max(1)).collect();
    let mut n = 0;
    for r in old {
        let id = r.int(0)?;
        delete_scan(c, id)?;
        n += 1;
    }
    Ok(n)
}

fn delete_scan(c: &mut dyn Conn, id: i64) -> Result<(), StoreError> {
    c.exec("DELETE FROM findings WHERE scan_id = ?1", &[id.into()])?;
    c.exec("DELETE FROM scan_checks WHERE scan_id = ?1", &[id.into()])?;
    c.exec("DELETE FROM scans WHERE id = ?1", &[id.into()])?;
    Ok(())
}

pub(crate) fn delete_versions(
    c: &mut dyn Conn,
    repository: &str,
    digest: Option<&str>,
) -> Result<u64, StoreError> {
    let ids = c.query(
        "SELECT id FROM images WHERE repository = ?1 AND (CAST(?2 AS TEXT) IS NULL OR digest = CAST(?2 AS TEXT))",
        &[repository.into(), digest.into()],
    )?;
    let mut n = 0;
    for r in ids {
        let image_id = r.int(0)?;
        c.serialize(IMAGE_KEYS.wrapping_add(image_id))?;
        for s in c.query(
            "SELECT id FROM scans WHERE image_id = ?1",
            &[image_id.into()],
        )? {
            delete_scan(c, s.int(0)?)?;
        }
        c.exec("DELETE FROM images WHERE id = ?1", &[image_id.into()])?;
        n += 1;
    }
    // Inventories no scan uses any more.
    c.exec(
        "DELETE FROM inventories WHERE id NOT IN (SELECT inventory_id FROM scans)",
        &[],
    )?;
    Ok(n)
}

pub(crate) fn history(
    c: &mut dyn Conn,
    image_id: i64,
    limit: usize,
    before: Option<i64>,
) -> Result<Vec<ScanSummary>, StoreError> {
    let ids = c.query(
        "SELECT id FROM scans WHERE image_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
        &[
            image_id.into(),
            before.unwrap_or(i64::MAX).into(),
            (limit.min(i64::MAX as usize) as i64).into(),
        ],
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for r in ids {
        let id = r.int(0)?;
        out.push(summary(c, id)?.ok_or_else(|| vanished("scan", id))?);
    }
    Ok(out)
}

fn token_row(r: &Row) -> Result<crate::tokens::TokenInfo, StoreError> {
    let id = r.int(0)?;
    Ok(crate::tokens::TokenInfo {
        id,
        name: r.text(1)?,
        scope: r.text(2)?.parse().map_err(|reason| StoreError::Corrupt {
            what: "token",
            id,
            reason,
        })?,
        prefix: r.text(3)?,
        created_at: r.text(4)?,
        revoked_at: r.opt_text(5)?,
    })
}

pub(crate) fn create_token(
    c: &mut dyn Conn,
    t: super::NewToken<'_>,
) -> Result<crate::tokens::TokenInfo, StoreError> {
    let id = c
        .query_one(
            "INSERT INTO api_tokens(name, scope, sha256, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            &[
                t.name.into(),
                t.scope.as_str().into(),
                t.sha256.into(),
                t.prefix.into(),
                hull_model::rfc3339_utc(t.created_at).into(),
            ],
        )?
        .int(0)?;
    let r = c.query_one(
        "SELECT id, name, scope, prefix, created_at, revoked_at FROM api_tokens WHERE id = ?1",
        &[id.into()],
    )?;
    token_row(&r)
}

pub(crate) fn tokens(c: &mut dyn Conn) -> Result<Vec<crate::tokens::TokenInfo>, StoreError> {
    c.query(
        "SELECT id, name, scope, prefix, created_at, revoked_at FROM api_tokens ORDER BY id",
        &[],
    )?
    .iter()
    .map(token_row)
    .collect()
}

pub(crate) fn revoke_token(c: &mut dyn Conn, id: i64, at: u64) -> Result<bool, StoreError> {
    Ok(c.exec(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        &[id.into(), hull_model::rfc3339_utc(at).into()],
    )? > 0)
}

pub(crate) fn live_token(
    c: &mut dyn Conn,
    sha256: &str,
) -> Result<Option<crate::tokens::TokenInfo>, StoreError> {
    c.query_opt(
        "SELECT id, name, scope, prefix, created_at, revoked_at FROM api_tokens WHERE sha256 = ?1 AND revoked_at IS NULL",
        &[sha256.into()],
    )?
    .map(|r| token_row(&r))
    .transpose()
}

pub(crate) fn log_event(c: &mut dyn Conn, e: super::NewEvent<'_>) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO audit_log(at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
        &[
            hull_model::rfc3339_utc(e.at).into(),
            e.actor.into(),
            e.action.into(),
            e.detail.into(),
        ],
    )
    .map(|_| ())
}

pub(crate) fn events(c: &mut dyn Conn, limit: usize) -> Result<Vec<super::Event>, StoreError> {
    c.query(
        "SELECT id, at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?1",
        &[(limit.min(i64::MAX as usize) as i64).into()],
    )?
    .iter()
    .map(|r| {
        Ok(super::Event {
            id: r.int(0)?,
            at: r.text(1)?,
            actor: r.text(2)?,
            action: r.text(3)?,
            detail: r.text(4)?,
        })
    })
    .collect()
}

fn audit_summary(c: &mut dyn Conn, id: i64) -> Result<Option<AuditSummary>, StoreError> {
    let Some(r) = c.query_opt(
        "SELECT ran_at, files, errors, new_findings FROM audits WHERE id = ?1",
        &[id.into()],
    )?
    else {
        return Ok(None);
    };
    let counts = severity_counts(&c.query(
        "SELECT severity, COUNT(*) FROM audit_findings WHERE audit_id = ?1 GROUP BY severity",
        &[id.into()],
    )?)?;
    Ok(Some(AuditSummary {
        id,
        ran_at: r.text(0)?,
        files: r.count(1)?,
        errors: r.count(2)?,
        counts,
        new_findings: r.count(3)?,
    }))
}

/// Record an audit run (see [`super::Store::record_audit`]); `c` is an open transaction.
pub(crate) fn record_audit(
    c: &mut dyn Conn,
    run: NewAudit<'_>,
) -> Result<AuditRecorded, StoreError> {
    // Runs are one series across replicas: the previous run read below stays the
    // previous one until this commits.
    c.serialize(AUDIT_KEY)?;
    let previous = c.query_one("SELECT MAX(id) FROM audits", &[])?.opt_int(0)?;
    let baseline: Option<BTreeSet<FindingKey>> = match previous {
        Some(prev) => Some(key_set(
            c,
            "SELECT path, check_id, workload, container FROM audit_findings WHERE audit_id = ?1",
            prev,
        )?),
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
    let id = c
        .query_one(
            "INSERT INTO audits(ran_at, files, errors, report_json, new_findings) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            &[
                hull_model::rfc3339_utc(run.ran_at).into(),
                (run.files.min(i64::MAX as u64) as i64).into(),
                (run.errors.min(i64::MAX as u64) as i64).into(),
                run.report.to_string().into(),
                (new.len() as i64).into(),
            ],
        )?
        .int(0)?;
    for r in &rows {
        c.exec(
            "INSERT INTO audit_findings(audit_id, path, check_id, severity, workload, container, message, is_new) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                id.into(),
                r.path.as_str().into(),
                r.check_id.as_str().into(),
                r.severity.as_str().into(),
                r.workload.as_str().into(),
                r.container.as_str().into(),
                r.message.as_str().into(),
                i64::from(r.new).into(),
            ],
        )?;
    }
    let summary = audit_summary(c, id)?.ok_or_else(|| vanished("audit", id))?;
    Ok(AuditRecorded {
        summary,
        had_previous: baseline.is_some(),
        new_findings: new,
    })
}

pub(crate) fn audits(c: &mut dyn Conn, limit: usize) -> Result<Vec<AuditSummary>, StoreError> {
    let ids = c.query(
        "SELECT id FROM audits ORDER BY id DESC LIMIT ?1",
        &[(limit.min(i64::MAX as usize) as i64).into()],
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for r in ids {
        if let Some(s) = audit_summary(c, r.int(0)?)? {
            out.push(s);
        }
    }
    Ok(out)
}

pub(crate) fn audit(
    c: &mut dyn Conn,
    id: i64,
) -> Result<Option<(AuditSummary, serde_json::Value)>, StoreError> {
    let Some(summary) = audit_summary(c, id)? else {
        return Ok(None);
    };
    let json = c
        .query_one("SELECT report_json FROM audits WHERE id = ?1", &[id.into()])?
        .text(0)?;
    let report = serde_json::from_str(&json).map_err(corrupt("audit", id))?;
    Ok(Some((summary, report)))
}

/// The `Store` methods of a backend with `fn read` (one connection, autocommit) and
/// `fn write` (one transaction, committed when the closure succeeds): the same
/// statements and rules for every backend.
macro_rules! impl_store {
    ($ty:ty) => {
        impl $crate::store::Store for $ty {
            fn record_scan(
                &self,
                image: &$crate::upload::ImageRef,
                scan: $crate::store::NewScan<'_>,
            ) -> Result<Option<$crate::store::Recorded>, $crate::store::StoreError> {
                self.write(|c| $crate::store::sql::record_scan(c, image, scan))
            }
            fn versions(
                &self,
                repository: Option<&str>,
            ) -> Result<Vec<$crate::store::Version>, $crate::store::StoreError> {
                self.read(|c| $crate::store::sql::versions(c, repository))
            }
            fn scan(
                &self,
                id: i64,
            ) -> Result<Option<$crate::store::StoredScan>, $crate::store::StoreError> {
                self.read(|c| $crate::store::sql::scan(c, id))
            }
            fn latest_scans(
                &self,
            ) -> Result<Vec<$crate::store::LatestScan>, $crate::store::StoreError> {
                self.read(|c| $crate::store::sql::latest_scans(c))
            }
            fn inventory_of(
                &self,
                scan_id: i64,
            ) -> Result<Option<hull_model::Inventory>, $crate::store::StoreError> {
                // Parse outside the connection lock: inventories can be large.
                let json = self.read(|c| $crate::store::sql::inventory_json(c, scan_id))?;
                $crate::store::sql::parse_inventory(scan_id, json)
            }
            fn recent_new_findings(
                &self,
                limit: usize,
            ) -> Result<Vec<$crate::store::NewFinding>, $crate::store::StoreError> {
                self.read(|c| $crate::store::sql::recent_new_findings(c, limit))
            }
            fn get_meta(&self, key: &str) -> Result<Option<String>, $crate::store::StoreError> {
                self.read(|c| $crate::store::sql::get_meta(c, key))
            }
            fn set_meta(&self, key: &str, value: &str) -> Result<(), $crate::store::StoreError> {
                self.write(|c| $crate::store::sql::set_meta(c, key, value))
            }
            fn record_audit(
                &self,
                run: $crate::store::NewAudit<'_>,
            ) -> Result<$crate::store::AuditRecorded, $crate::store::StoreError> {
                self.write(|c| $crate::store::sql::record_audit(c, run))
            }
            fn audits(
                &self,
                limit: usize,
            ) -> Result<Vec<$crate::store::AuditSummary>, $crate::store::StoreError> {
                self.read(|c| $crate::store::sql::audits(c, limit))
            }
            fn audit(
                &self,
                id: i64,
            ) -> Result<
                Option<($crate::store::AuditSummary, serde_json::Value)>,
                $crate::store::StoreError,
            > {
                self.read(|c| $crate::store::sql::audit(c, id))
            }
            fn prune_scans(
                &self,
                image_id: i64,
                keep: usize,
            ) -> Result<u64, $crate::store::StoreError> {
                self.write(|c| $crate::store::sql::prune_scans(c, image_id, keep))
            }
            fn delete_versions(
                &self,
                repository: &str,
                digest: Option<&str>,
            ) -> Result<u64, $crate::store::StoreError> {
                self.write(|c| $crate::store::sql::delete_versions(c, repository, digest))
            }
            fn history(
                &self,
                image_id: i64,
                limit: usize,
                before: Option<i64>,
            ) -> Result<Vec<$crate::store::ScanSummary>, $crate::store::StoreError> {
                self.read(|c| $crate::store::sql::history(c, image_id, limit, before))
            }
            fn create_token(
                &self,
                t: $crate::store::NewToken<'_>,
            ) -> Result<$crate::tokens::TokenInfo, $crate::store::StoreError> {
                self.write(|c| $crate::store::sql::create_token(c, t))
            }
            fn tokens(&self) -> Result<Vec<$crate::tokens::TokenInfo>, $crate::store::StoreError> {
                self.read(|c| $crate::store::sql::tokens(c))
            }
            fn revoke_token(&self, id: i64, at: u64) -> Result<bool, $crate::store::StoreError> {
                self.write(|c| $crate::store::sql::revoke_token(c, id, at))
            }
            fn live_token(
                &self,
                sha256: &str,
            ) -> Result<Option<$crate::tokens::TokenInfo>, $crate::store::StoreError> {
                self.read(|c| $crate::store::sql::live_token(c, sha256))
            }
            fn log_event(
                &self,
                e: $crate::store::NewEvent<'_>,
            ) -> Result<(), $crate::store::StoreError> {
                self.write(|c| $crate::store::sql::log_event(c, e))
            }
            fn events(
                &self,
                limit: usize,
            ) -> Result<Vec<$crate::store::Event>, $crate::store::StoreError> {
                self.read(|c| $crate::store::sql::events(c, limit))
            }
            fn lock_rescan(
                &self,
                fingerprint: &str,
            ) -> Result<Option<$crate::store::RescanGuard>, $crate::store::StoreError> {
                self.rescan_lock(fingerprint)
            }
        }
    };
}
pub(crate) use impl_store;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_schema_has_no_sqlite_only_types() {
        let pg = Dialect::Postgres.schema();
        assert!(!pg.contains("INTEGER"), "{pg}");
        assert_eq!(
            pg.matches("BIGSERIAL PRIMARY KEY").count(),
            SCHEMA.matches("INTEGER PRIMARY KEY").count()
        );
        assert_eq!(Dialect::Sqlite.schema(), SCHEMA);
    }

    #[test]
    fn chunked_insert_numbers_every_parameter() {
        let one = &insert_findings_sql(1);
        assert!(
            one.ends_with("VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
            "{one}"
        );
        let many = insert_findings_sql(FINDINGS_CHUNK);
        assert_eq!(many.matches('(').count(), FINDINGS_CHUNK + 1);
        assert!(
            many.ends_with(&format!("?{})", FINDINGS_CHUNK * 9)),
            "{many}"
        );
    }

    #[test]
    fn placeholders_keep_their_numbers() {
        let sql = "SELECT a FROM t WHERE b = ?1 AND c = ?12";
        assert_eq!(
            Dialect::Postgres.placeholders(sql),
            "SELECT a FROM t WHERE b = $1 AND c = $12"
        );
        assert_eq!(Dialect::Sqlite.placeholders(sql), sql);
    }

    #[test]
    fn wrong_column_types_are_errors_not_panics() {
        let r = Row {
            values: vec![Value::Text("x".into()), Value::Null],
            store: "s".into(),
            sql: "SELECT",
        };
        assert!(matches!(
            r.int(0),
            Err(StoreError::Column { column: 0, .. })
        ));
        assert!(r.text(5).is_err());
        assert_eq!(r.opt_text(1).unwrap(), None);
        assert_eq!(r.text(0).unwrap(), "x");
    }
}
