//! The SQLite store: one file, versioned with `PRAGMA user_version`, written only by
//! building a complete new file next to the old one and renaming it into place, so a
//! reader (or a crash) sees the old database or the new one, never a mix.

use std::path::{Path, PathBuf};

use hull_model::{Advisory, Namespace};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

use crate::feed::{Format, Skipped};

/// Schema this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no vulnerability database at {0}; run `hull db update` or `hull db import`")]
    Missing(PathBuf),
    #[error("database schema v{found} at {path} is newer than this hull (v{SCHEMA_VERSION}); upgrade hull or run `hull db update` with a matching version")]
    TooNew { path: PathBuf, found: i64 },
    #[error("database schema v{found} at {path} is older than this hull (v{SCHEMA_VERSION}); run `hull db update` to rebuild it")]
    TooOld { path: PathBuf, found: i64 },
    #[error("{path} is not a hull database: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("stored advisory {id} is unreadable: {reason}")]
    Corrupt { id: String, reason: String },
}

/// One source as `hull db status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    pub name: String,
    pub format: String,
    pub origin: String,
    pub updated_at: String,
    pub records: i64,
    pub skipped: i64,
    /// `ok`, or `error` when the last refresh failed (the previous data is kept).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// Fresh data for one source.
#[derive(Debug, Clone, Default)]
pub struct SourceData {
    pub formats: Vec<Format>,
    pub origin: String,
    pub advisories: Vec<Advisory>,
    pub skipped: Vec<Skipped>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Merge into the stored source instead of replacing it: stored records whose id
    /// is in `advisories` or `remove` are replaced or dropped, the rest stay (NVD's
    /// incremental updates).
    pub merge: bool,
    /// Ids to drop from the stored source when merging (rejected upstream).
    pub remove: Vec<String>,
    /// OS release end-of-life dates (the `eol:*` sources), replaced with the source.
    pub eol: Vec<crate::eol::ReleaseEol>,
}

/// The outcome of reading one source: new data, or why it failed (keep the old).
#[derive(Debug)]
pub struct SourceUpdate {
    pub name: String,
    pub result: Result<SourceData, String>,
}

/// The default database path: `$HULL_DB`, else `$XDG_CACHE_HOME/hull/db/hull.db`,
/// else `~/.cache/hull/db/hull.db`.
pub fn default_path() -> PathBuf {
    if let Some(p) = std::env::var_os("HULL_DB").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("hull").join("db").join("hull.db")
}

/// A read-only handle on a database file.
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish()
    }
}

fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

fn check_version(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sql(path))?;
    match v {
        SCHEMA_VERSION => Ok(()),
        v if v > SCHEMA_VERSION => Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: v,
        }),
        v => Err(StoreError::TooOld {
            path: path.to_path_buf(),
            found: v,
        }),
    }
}

/// `file:PATH?immutable=1`, or `None` for a path that is not UTF-8 (opened normally).
///
/// The store is never modified in place: [`write`] and [`import_bundle`] build a new
/// file and rename it over the old one, so the file a reader has open never changes.
/// `immutable=1` tells SQLite so, which drops the file locking, the change-counter
/// read and the journal probes it otherwise does around every query — about a dozen
/// system calls per lookup, thousands per scan.
fn immutable_uri(path: &Path) -> Option<String> {
    let text = path.to_str()?;
    // `file:///abs` (empty authority) for absolute paths, so a path starting with `//`
    // is never read as a host name; `file:rel` for relative ones.
    let mut uri = String::from(if text.starts_with('/') {
        "file://"
    } else {
        "file:"
    });
    for c in text.chars() {
        // Percent-escape what SQLite's URI parser treats specially.
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    Some(uri)
}

impl Db {
    /// Open for reading; fails clearly when missing or of another schema version.
    pub fn open(path: &Path) -> Result<Db, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match immutable_uri(path) {
            Some(uri) => Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI),
            None => Connection::open_with_flags(path, flags),
        }
        .map_err(sql(path))?;
        check_version(&conn, path)?;
        Ok(Db {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every advisory with an affected row for (`namespace`, `package`), each with
    /// `source` set to the store's source name. Withdrawn ones are included (callers
    /// decide); order is stable (source, id).
    pub fn lookup(
        &self,
        namespace: &Namespace,
        package: &str,
    ) -> Result<Vec<Advisory>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT a.id, a.body FROM affected f JOIN advisories a ON a.rowid = f.advisory \
                 WHERE f.namespace = ?1 AND f.package = ?2 ORDER BY a.source, a.id",
            )
            .map_err(sql(&self.path))?;
        let rows = stmt
            .query_map(params![namespace.as_str(), package], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(sql(&self.path))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, body) = row.map_err(sql(&self.path))?;
            let adv: Advisory = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
                id,
                reason: e.to_string(),
            })?;
            out.push(adv);
        }
        Ok(out)
    }

    /// Every stored record with this exact id (any source), e.g. the NVD record of a
    /// CVE used to enrich severity.
    pub fn by_id(&self, id: &str) -> Result<Vec<Advisory>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, body FROM advisories WHERE id = ?1 ORDER BY source")
            .map_err(sql(&self.path))?;
        let rows = stmt
            .query_map(params![id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(sql(&self.path))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, body) = row.map_err(sql(&self.path))?;
            out.push(
                serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
                    id,
                    reason: e.to_string(),
                })?,
            );
        }
        Ok(out)
    }

    /// Whether any advisory applies to `namespace` (a scan of an image whose release
    /// has no data must say so rather than look clean).
    pub fn has_namespace(&self, namespace: &Namespace) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM affected WHERE namespace = ?1 LIMIT 1",
                params![namespace.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(sql(&self.path))
    }

    /// End-of-life rows stored by `db update` (empty for a database without them,
    /// including one written before the table existed).
    pub fn release_eol(&self) -> Result<Vec<crate::eol::ReleaseEol>, StoreError> {
        let has_table = self
            .conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'release_eol'",
                [],
                |_| Ok(()),
            )
            .optional()
            .map_err(sql(&self.path))?
            .is_some();
        if !has_table {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT source, distro, release, eol, extended_until FROM release_eol ORDER BY distro, release")
            .map_err(sql(&self.path))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(crate::eol::ReleaseEol {
                    source: r.get(0)?,
                    distro: r.get(1)?,
                    release: r.get(2)?,
                    eol: r.get(3)?,
                    extended_until: r.get(4)?,
                })
            })
            .map_err(sql(&self.path))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql(&self.path))?;
        Ok(rows)
    }

    /// Namespaces present (for choosing a distro release, status output).
    pub fn namespaces(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT namespace, COUNT(*) FROM affected GROUP BY namespace ORDER BY namespace",
            )
            .map_err(sql(&self.path))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(sql(&self.path))?;
        rows.collect::<Result<_, _>>().map_err(sql(&self.path))
    }

    pub fn sources(&self) -> Result<Vec<SourceInfo>, StoreError> {
        read_sources(&self.conn, &self.path)
    }

    pub fn schema_version(&self) -> i64 {
        SCHEMA_VERSION
    }
}

fn read_sources(conn: &Connection, path: &Path) -> Result<Vec<SourceInfo>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT name, format, origin, updated_at, records, skipped, status, error, etag, last_modified \
             FROM sources ORDER BY name",
        )
        .map_err(sql(path))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(SourceInfo {
                name: r.get(0)?,
                format: r.get(1)?,
                origin: r.get(2)?,
                updated_at: r.get(3)?,
                records: r.get(4)?,
                skipped: r.get(5)?,
                status: r.get(6)?,
                error: r.get(7)?,
                etag: r.get(8)?,
                last_modified: r.get(9)?,
            })
        })
        .map_err(sql(path))?;
    rows.collect::<Result<_, _>>().map_err(sql(path))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sources(
  name TEXT PRIMARY KEY, format TEXT NOT NULL, origin TEXT NOT NULL, updated_at TEXT NOT NULL,
  records INTEGER NOT NULL, skipped INTEGER NOT NULL, status TEXT NOT NULL, error TEXT,
  etag TEXT, last_modified TEXT);
CREATE TABLE IF NOT EXISTS advisories(
  rowid INTEGER PRIMARY KEY, source TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS advisories_source ON advisories(source);
CREATE INDEX IF NOT EXISTS advisories_id ON advisories(id);
CREATE TABLE IF NOT EXISTS affected(
  advisory INTEGER NOT NULL, namespace TEXT NOT NULL, package TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS affected_lookup ON affected(namespace, package);
CREATE INDEX IF NOT EXISTS affected_advisory ON affected(advisory);
CREATE TABLE IF NOT EXISTS aliases(alias TEXT NOT NULL, advisory INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS aliases_alias ON aliases(alias);
CREATE INDEX IF NOT EXISTS aliases_advisory ON aliases(advisory);
CREATE TABLE IF NOT EXISTS release_eol(
  source TEXT NOT NULL, distro TEXT NOT NULL, release TEXT NOT NULL, eol TEXT NOT NULL,
  extended_until TEXT);
";

/// What a write changed, per source.
#[derive(Debug, Clone, Serialize)]
pub struct WriteReport {
    pub path: PathBuf,
    pub sources: Vec<SourceOutcome>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceOutcome {
    pub name: String,
    /// Records now stored for this source.
    pub records: i64,
    pub skipped: Vec<Skipped>,
    /// Set when the refresh failed and the previous data was kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Apply `updates` to the database at `path`: copy the current file (if any) to a
/// temporary file in the same directory, replace the updated sources there, and rename
/// it over `path`. A failed source keeps its previous rows and is marked `error`.
/// `now` is the timestamp recorded (injected so tests are deterministic).
pub fn write(
    path: &Path,
    updates: Vec<SourceUpdate>,
    now: &str,
) -> Result<WriteReport, StoreError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    remove_stale_temps(dir);
    let tmp = tempfile::Builder::new()
        .prefix(".hull-db-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    if path.is_file() {
        // Validate the old file before building on it: a newer schema must not be
        // silently downgraded; an older one is rebuilt from scratch.
        let keep = match Db::open(path) {
            Ok(_) => true,
            Err(e @ StoreError::TooNew { .. }) => return Err(e),
            Err(_) => false,
        };
        if keep {
            std::fs::copy(path, tmp.path()).map_err(io)?;
        }
    }
    let tpath = tmp.path().to_path_buf();
    let mut conn = Connection::open(&tpath).map_err(sql(&tpath))?;
    conn.execute_batch("PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;")
        .map_err(sql(&tpath))?;
    conn.execute_batch(SCHEMA).map_err(sql(&tpath))?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(sql(&tpath))?;
    let mut report = WriteReport {
        path: path.to_path_buf(),
        sources: Vec::new(),
    };
    {
        let tx = conn.transaction().map_err(sql(&tpath))?;
        for up in updates {
            let outcome = match up.result {
                Ok(data) => replace_source(&tx, &up.name, data, now).map_err(sql(&tpath))?,
                Err(err) => {
                    tx.execute(
                        "UPDATE sources SET status = 'error', error = ?2 WHERE name = ?1",
                        params![up.name, err],
                    )
                    .map_err(sql(&tpath))?;
                    let records: i64 = tx
                        .query_row(
                            "SELECT records FROM sources WHERE name = ?1",
                            params![up.name],
                            |r| r.get(0),
                        )
                        .optional()
                        .map_err(sql(&tpath))?
                        .unwrap_or(0);
                    SourceOutcome {
                        name: up.name,
                        records,
                        skipped: vec![],
                        error: Some(err),
                    }
                }
            };
            report.sources.push(outcome);
        }
        tx.commit().map_err(sql(&tpath))?;
    }
    conn.close().map_err(|(_, e)| sql(&tpath)(e))?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(report)
}

/// Temporary files of writers that were killed (SIGKILL leaves them behind) are
/// removed once they are clearly abandoned (older than an hour).
fn remove_stale_temps(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".hull-db-") && name.ends_with(".tmp")) {
            continue;
        }
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(3600));
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn replace_source(
    tx: &rusqlite::Transaction<'_>,
    name: &str,
    data: SourceData,
    now: &str,
) -> Result<SourceOutcome, rusqlite::Error> {
    if data.merge {
        let mut del_aff = tx.prepare_cached(
            "DELETE FROM affected WHERE advisory IN (SELECT rowid FROM advisories WHERE source = ?1 AND id = ?2)",
        )?;
        let mut del_alias = tx.prepare_cached(
            "DELETE FROM aliases WHERE advisory IN (SELECT rowid FROM advisories WHERE source = ?1 AND id = ?2)",
        )?;
        let mut del_adv =
            tx.prepare_cached("DELETE FROM advisories WHERE source = ?1 AND id = ?2")?;
        let ids = data.advisories.iter().map(|a| a.id.as_str());
        for id in ids.chain(data.remove.iter().map(String::as_str)) {
            del_aff.execute(params![name, id])?;
            del_alias.execute(params![name, id])?;
            del_adv.execute(params![name, id])?;
        }
    } else {
        tx.execute(
            "DELETE FROM affected WHERE advisory IN (SELECT rowid FROM advisories WHERE source = ?1)",
            params![name],
        )?;
        tx.execute(
            "DELETE FROM aliases WHERE advisory IN (SELECT rowid FROM advisories WHERE source = ?1)",
            params![name],
        )?;
        tx.execute("DELETE FROM advisories WHERE source = ?1", params![name])?;
    }
    let mut ins_adv =
        tx.prepare_cached("INSERT INTO advisories(source, id, body) VALUES (?1, ?2, ?3)")?;
    let mut ins_aff = tx
        .prepare_cached("INSERT INTO affected(advisory, namespace, package) VALUES (?1, ?2, ?3)")?;
    let mut ins_alias =
        tx.prepare_cached("INSERT INTO aliases(alias, advisory) VALUES (?1, ?2)")?;
    let mut count = 0i64;
    for mut adv in data.advisories {
        adv.source = name.to_string();
        let body = serde_json::to_string(&adv)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        ins_adv.execute(params![name, adv.id, body])?;
        let rowid = tx.last_insert_rowid();
        let mut keys: Vec<(&str, &str)> = adv
            .affected
            .iter()
            .map(|a| (a.namespace.as_str(), a.package.as_str()))
            .collect();
        keys.sort();
        keys.dedup();
        for (ns, pkg) in keys {
            ins_aff.execute(params![rowid, ns, pkg])?;
        }
        for alias in &adv.aliases {
            ins_alias.execute(params![alias, rowid])?;
        }
        count += 1;
    }
    if data.merge {
        count = tx.query_row(
            "SELECT COUNT(*) FROM advisories WHERE source = ?1",
            params![name],
            |r| r.get(0),
        )?;
    }
    // End-of-life rows are replaced with their source (never merged).
    tx.execute("DELETE FROM release_eol WHERE source = ?1", params![name])?;
    let mut ins_eol = tx.prepare_cached(
        "INSERT INTO release_eol(source, distro, release, eol, extended_until) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for e in &data.eol {
        ins_eol.execute(params![name, e.distro, e.release, e.eol, e.extended_until])?;
        count += 1;
    }
    let formats: Vec<&str> = data.formats.iter().map(|f| f.as_str()).collect();
    tx.execute(
        "INSERT INTO sources(name, format, origin, updated_at, records, skipped, status, error, etag, last_modified) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'ok', NULL, ?7, ?8) \
         ON CONFLICT(name) DO UPDATE SET format = excluded.format, origin = excluded.origin, \
         updated_at = excluded.updated_at, records = excluded.records, skipped = excluded.skipped, \
         status = 'ok', error = NULL, etag = excluded.etag, last_modified = excluded.last_modified",
        params![
            name,
            formats.join(","),
            data.origin,
            now,
            count,
            data.skipped.len() as i64,
            data.etag,
            data.last_modified
        ],
    )?;
    Ok(SourceOutcome {
        name: name.to_string(),
        records: count,
        skipped: data.skipped,
        error: None,
    })
}

/// Read the source list of a database without failing on a missing file (empty list).
pub fn sources_at(path: &Path) -> Result<Vec<SourceInfo>, StoreError> {
    match Db::open(path) {
        Ok(db) => db.sources(),
        Err(StoreError::Missing(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// First line of an export bundle.
pub const BUNDLE_MAGIC: &[u8] = b"HULLDB-BUNDLE 1\n";

/// Errors of `hull db export` / importing a bundle.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{0} is not a hull database bundle")]
    NotBundle(PathBuf),
    #[error("{path}: checksum mismatch (bundle is corrupted or truncated)")]
    Checksum { path: PathBuf },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// True when `bytes` start like an export bundle.
pub fn is_bundle(bytes: &[u8]) -> bool {
    bytes.starts_with(BUNDLE_MAGIC)
}

/// Write the database at `db_path` as one checksummed file: the magic line, the
/// SHA-256 (hex) of the payload, a newline, then the gzip-compressed SQLite file.
pub fn export(db_path: &Path, out: &Path) -> Result<u64, BundleError> {
    use sha2::Digest as _;
    use std::io::Write as _;
    Db::open(db_path)?; // refuse to export something that is not a valid database
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let raw = std::fs::read(db_path).map_err(io(db_path))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).map_err(io(out))?;
    let payload = gz.finish().map_err(io(out))?;
    let sum = hex::encode(sha2::Sha256::digest(&payload));
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(out))?;
    tmp.write_all(BUNDLE_MAGIC).map_err(io(out))?;
    tmp.write_all(sum.as_bytes()).map_err(io(out))?;
    tmp.write_all(b"\n").map_err(io(out))?;
    tmp.write_all(&payload).map_err(io(out))?;
    tmp.as_file().sync_all().map_err(io(out))?;
    tmp.persist(out).map_err(|e| io(out)(e.error))?;
    Ok((BUNDLE_MAGIC.len() + 65 + payload.len()) as u64)
}

/// Replace the database at `db_path` with the one in a bundle (verified first, then
/// swapped in atomically).
pub fn import_bundle(bundle: &Path, db_path: &Path) -> Result<(), BundleError> {
    use sha2::Digest as _;
    use std::io::{Read as _, Write as _};
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let bytes = std::fs::read(bundle).map_err(io(bundle))?;
    let rest = bytes
        .strip_prefix(BUNDLE_MAGIC)
        .ok_or_else(|| BundleError::NotBundle(bundle.to_path_buf()))?;
    if rest.len() < 65 || rest[64] != b'\n' {
        return Err(BundleError::Checksum {
            path: bundle.to_path_buf(),
        });
    }
    let (sum, payload) = (&rest[..64], &rest[65..]);
    if hex::encode(sha2::Sha256::digest(payload)).as_bytes() != sum {
        return Err(BundleError::Checksum {
            path: bundle.to_path_buf(),
        });
    }
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(payload)
        .read_to_end(&mut raw)
        .map_err(|_| BundleError::Checksum {
            path: bundle.to_path_buf(),
        })?;
    let dir = db_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".hull-db-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io(db_path))?;
    tmp.write_all(&raw).map_err(io(db_path))?;
    tmp.as_file().sync_all().map_err(io(db_path))?;
    Db::open(tmp.path())?; // schema check before it replaces anything
    tmp.persist(db_path).map_err(|e| io(db_path)(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immutable_uris_escape_what_sqlite_parses() {
        let uri = |p: &str| immutable_uri(Path::new(p)).unwrap();
        assert_eq!(uri("/var/db/hull.db"), "file:///var/db/hull.db?immutable=1");
        assert_eq!(uri("//srv/hull.db"), "file:////srv/hull.db?immutable=1");
        assert_eq!(uri("db/a?b#c%d.db"), "file:db/a%3fb%23c%25d.db?immutable=1");
    }

    #[test]
    fn odd_file_names_open() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a?b#c%20d.db", "plain.db"] {
            let path = dir.path().join(name);
            write(&path, Vec::new(), "t").unwrap();
            let db = Db::open(&path).unwrap();
            assert!(db.sources().unwrap().is_empty());
        }
    }
}
