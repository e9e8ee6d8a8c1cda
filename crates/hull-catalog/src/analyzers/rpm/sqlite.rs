//! rpm's SQLite backend (`rpmdb.sqlite`, Fedora ≥ 33, RHEL 9, Amazon Linux 2023): table
//! `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)` holding one header blob per row.
//!
//! SQLite needs a file, so the bytes go to a private temp copy. rpm leaves the database
//! in WAL mode; the copy is switched to rollback-journal mode (header bytes 18–19) and
//! opened `immutable`, so SQLite never looks for `-wal`/`-shm` files or takes locks.

use std::io::Write;

use rusqlite::{Connection, OpenFlags};

#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    #[error("not an sqlite database")]
    Magic,
    #[error("temp copy: {0}")]
    Io(#[from] std::io::Error),
    #[error("sqlite: {0}")]
    Sql(#[from] rusqlite::Error),
}

const MAGIC: &[u8] = b"SQLite format 3\0";

pub fn blobs(db: &[u8]) -> Result<(Vec<Vec<u8>>, Vec<String>), SqliteError> {
    if db.len() < 100 || !db.starts_with(MAGIC) {
        return Err(SqliteError::Magic);
    }
    let mut tmp = tempfile::NamedTempFile::new()?;
    tmp.write_all(&db[..18])?;
    tmp.write_all(&[1, 1])?;
    tmp.write_all(&db[20..])?;
    tmp.flush()?;
    let uri = format!("file:{}?immutable=1", tmp.path().display());
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    while let Some(row) = rows.next()? {
        match row.get::<_, Vec<u8>>(1) {
            Ok(b) => out.push(b),
            Err(e) => warnings.push(format!("row {}: {e}", row.get::<_, i64>(0).unwrap_or(-1))),
        }
    }
    Ok((out, warnings))
}

/// Test and fuzz-seed helper: an rpm-shaped SQLite database (WAL mode, like rpm's).
pub fn build(blobs: &[Vec<u8>]) -> Result<Vec<u8>, SqliteError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("rpmdb.sqlite");
    {
        let conn = Connection::open(&path)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL);",
        )?;
        for b in blobs {
            conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [b])?;
        }
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    Ok(std::fs::read(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_wal_database() {
        let vals = vec![b"one".to_vec(), vec![3u8; 10_000]];
        let db = build(&vals).unwrap();
        assert_eq!(&db[18..20], &[2, 2], "rpm-like WAL header");
        let (got, w) = blobs(&db).unwrap();
        assert!(w.is_empty());
        assert_eq!(got, vals);
        assert!(blobs(b"nope").is_err());
        let mut broken = db.clone();
        broken.truncate(200);
        assert!(blobs(&broken).is_err());
    }
}
