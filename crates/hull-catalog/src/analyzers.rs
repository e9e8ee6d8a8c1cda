//! The explicit table of analyzers. One module per file format; one row per analyzer.

pub mod apk;
pub mod dpkg;
pub mod os_release;
pub mod rpm;

use crate::Analyzer;

/// Every analyzer hull runs, in no particular order (results are merged, not chained).
pub const ALL: &[Analyzer] = &[
    Analyzer {
        id: os_release::ID,
        wants: os_release::wants,
        parse: os_release::parse,
    },
    Analyzer {
        id: dpkg::ID,
        wants: dpkg::wants,
        parse: dpkg::parse,
    },
    Analyzer {
        id: apk::ID,
        wants: apk::wants,
        parse: apk::parse,
    },
    Analyzer {
        id: rpm::ID,
        wants: rpm::wants,
        parse: rpm::parse,
    },
];
