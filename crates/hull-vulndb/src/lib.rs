//! hull's vulnerability database: feed readers, the SQLite store, import and update.
//!
//! What it does: reads advisory feeds in their native formats (Alpine secdb JSON/YAML,
//! Debian tracker DSA/DLA lists and JSON, Red Hat Security Data API, CSAF and OVAL v2,
//! OSV JSON/YAML, RustSec Markdown, NVD API 2.0), plain or zipped, gzip- or
//! bzip2-compressed, normalises them into [`hull_model::Advisory`] values, and stores
//! them in one SQLite file indexed by (namespace, package). [`update`] downloads them
//! (NVD paged and incrementally); [`cvss`] scores CVSS v3/v4 vectors. Writes build a
//! new file and rename it into place.
//!
//! What it does not do: decide whether a package is affected (that is `hull-match`),
//! or use NVD ranges for OS packages.
//!
//! ```no_run
//! use std::path::Path;
//! let (updates, _stats) = hull_vulndb::import::read_path(Path::new("feeds/alpine"), None);
//! let db_path = Path::new("/tmp/hull.db");
//! hull_vulndb::store::write(db_path, updates, "2024-01-01T00:00:00Z")?;
//! let db = hull_vulndb::Db::open(db_path)?;
//! let advisories = db.lookup(&hull_model::Namespace::distro("alpine", "3.9"), "musl")?;
//! # Ok::<(), hull_vulndb::store::StoreError>(())
//! ```

pub mod cvss;
pub mod eol;
pub mod feed;
pub mod import;
pub mod store;
pub mod update;

pub use store::{Db, StoreError};
