//! Vulnerability feeds (OSV, Debian tracker, Alpine secdb, Red Hat, NVD…), the SQLite
//! store, and import/update with atomic swaps.
