//! Matching stored inventories, and noticing when the vulnerability database changed.
//!
//! `hull db update` never edits the database in place: it builds a new file and
//! renames it over the old one (see `hull_vulndb::store::write`). So "the database
//! was updated" is exactly "the file at the path is another file": its inode, size or
//! modification time differ. [`DbIdentity`] records those plus the newest source
//! update time (what `hull db status` shows), which is what scans report as
//! `vulndb_built_at`.

use std::path::Path;

use hull_match::match_inventory;
use hull_model::{Finding, Inventory};
use serde::Serialize;

/// Which database file a scan was matched against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbIdentity {
    /// `inode-size-mtime_ns` of the file: changes whenever a new file is swapped in.
    pub fingerprint: String,
    /// The newest `updated_at` among the database's sources.
    pub built_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RescanError {
    #[error("vulnerability database: {0}")]
    Db(#[from] hull_vulndb::StoreError),
    #[error("matching: {0}")]
    Match(#[from] hull_match::MatchError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The identity of the file at `path` now, `None` when there is no file.
pub fn fingerprint(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let ino = 0u64;
    Some(format!("{ino}-{}-{mtime}", meta.len()))
}

/// An open database together with its identity.
pub struct OpenDb {
    pub db: hull_vulndb::Db,
    pub identity: DbIdentity,
}

/// Open the database at `path` read-only, `Ok(None)` when there is none yet.
///
/// The fingerprint is taken before opening: if a swap happens in between, the
/// identity is the older one and the next check sees a change and rescans again,
/// which is harmless (never the other way round).
pub fn open(path: &Path) -> Result<Option<OpenDb>, RescanError> {
    let Some(fp) = fingerprint(path) else {
        return Ok(None);
    };
    let db = match hull_vulndb::Db::open(path) {
        Ok(db) => db,
        Err(hull_vulndb::StoreError::Missing(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let built_at = db.sources()?.into_iter().map(|s| s.updated_at).max();
    Ok(Some(OpenDb {
        db,
        identity: DbIdentity {
            fingerprint: fp,
            built_at,
        },
    }))
}

/// Match one inventory (no database: no findings).
pub fn findings_of(
    inventory: &Inventory,
    db: Option<&OpenDb>,
) -> Result<Vec<Finding>, RescanError> {
    match db {
        Some(d) => Ok(match_inventory(inventory, &d.db)?.findings),
        None => Ok(Vec::new()),
    }
}
