//! The explicit table of analyzers. One module per file format; one row per analyzer.

use crate::Analyzer;

/// Every analyzer hull runs, in no particular order (results are merged, not chained).
pub const ALL: &[Analyzer] = &[];
