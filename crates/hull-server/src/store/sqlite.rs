//! The embedded SQLite backend: one file in WAL mode, one connection behind a mutex.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::sql::{self, Conn, Dialect, Row, Value};
use super::{RescanGuard, StoreError};

/// The embedded SQLite store (the default; one process).
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

/// A connection or transaction (a `Transaction` derefs to its `Connection`).
struct Lite<'a> {
    conn: &'a Connection,
    path: &'a Path,
}

impl Lite<'_> {
    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.path.to_path_buf(),
            source,
        }
    }

    fn bind(params: &[Value]) -> Vec<rusqlite::types::Value> {
        params
            .iter()
            .map(|p| match p {
                Value::Null => rusqlite::types::Value::Null,
                Value::Int(v) => rusqlite::types::Value::Integer(*v),
                Value::Text(v) => rusqlite::types::Value::Text(v.clone()),
            })
            .collect()
    }
}

impl Conn for Lite<'_> {
    fn exec(&mut self, sql: &'static str, params: &[Value]) -> Result<u64, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err())?;
        stmt.execute(rusqlite::params_from_iter(Self::bind(params)))
            .map(|n| n as u64)
            .map_err(self.err())
    }

    fn query(&mut self, sql: &'static str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err())?;
        let width = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(Self::bind(params)))
            .map_err(self.err())?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(self.err())? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(match r.get_ref(i).map_err(self.err())? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    // Only text is written; a REAL or BLOB would be a foreign
                    // writer's: reported by the typed getters as a wrong type.
                    ValueRef::Real(_) | ValueRef::Blob(_) => Value::Null,
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                });
            }
            out.push(Row {
                values,
                store: self.path.display().to_string(),
                sql,
            });
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(self.err())
    }

    fn serialize(&mut self, _key: i64) -> Result<(), StoreError> {
        // Writes run as BEGIN IMMEDIATE: one writer at a time already.
        Ok(())
    }
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
        let mut conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        // WAL: dashboard reads do not wait for a rescan's write transaction.
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
            .map_err(err)?;
        conn.execute_batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;")
            .map_err(err)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        // Check the version before touching the layout: a newer file must stay as it is.
        let has_table = tx
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'",
                [],
                |_| Ok(()),
            )
            .optional()
            .map_err(err)?
            .is_some();
        let mut lite = Lite { conn: &tx, path };
        sql::init(
            &mut lite,
            Dialect::Sqlite,
            has_table,
            &path.display().to_string(),
        )?;
        tx.commit().map_err(err)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panicked holder leaves the connection usable (transactions roll back on drop).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read<R>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let conn = self.lock();
        f(&mut Lite {
            conn: &conn,
            path: &self.path,
        })
    }

    /// Run `f` in one transaction, committed when it succeeds, rolled back on error.
    fn write<R>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let err = |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let mut conn = self.lock();
        // IMMEDIATE: take the write lock up front, so a read-then-write transaction
        // never fails to upgrade (another process on the file waits, busy_timeout).
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let out = f(&mut Lite {
            conn: &tx,
            path: &self.path,
        })?;
        tx.commit().map_err(err)?;
        Ok(out)
    }

    fn rescan_lock(&self, _fingerprint: &str) -> Result<Option<RescanGuard>, StoreError> {
        // One process per file: the server's own mutex serialises its rescans.
        Ok(Some(RescanGuard(Box::new(()))))
    }
}

sql::impl_store!(SqliteStore);
