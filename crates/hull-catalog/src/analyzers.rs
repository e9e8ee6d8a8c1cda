//! The explicit table of analyzers. One module per file format; one row per analyzer.

pub mod apk;
pub mod dpkg;
pub mod os_release;
pub mod rpm;

use crate::Analyzer;

pub mod cargo_auditable;
pub mod cargo_lock;
pub mod dotnet_deps;
pub(crate) mod elf;
pub mod gemfile_lock;
pub mod go_binary;
pub mod go_mod;
pub mod gradle_lock;
pub mod java_archive;
pub(crate) mod lang;
#[cfg(test)]
mod lang_corpus_tests;
#[cfg(test)]
mod lang_seed_tests;
pub mod npm;
pub mod npm_lock;
pub mod nuget_lock;
pub mod php_composer;
pub mod pnpm_lock;
pub mod pom_xml;
pub mod python_dist;
pub mod python_lock;
pub mod python_requirements;
pub mod ruby_gemspec;
pub mod yarn_lock;

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
        id: dpkg::COPYRIGHT_ID,
        wants: dpkg::wants_copyright,
        parse: dpkg::parse_copyright,
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
    python_dist::ANALYZER,
    python_dist::ZIPPED_EGG,
    npm::ANALYZER,
    npm_lock::ANALYZER,
    yarn_lock::ANALYZER,
    pnpm_lock::ANALYZER,
    cargo_lock::ANALYZER,
    cargo_auditable::ANALYZER,
    go_binary::ANALYZER,
    go_mod::ANALYZER,
    java_archive::ANALYZER,
    ruby_gemspec::ANALYZER,
    php_composer::ANALYZER,
    dotnet_deps::ANALYZER,
    gemfile_lock::ANALYZER,
    python_lock::ANALYZER,
    nuget_lock::ANALYZER,
    gradle_lock::ANALYZER,
    pom_xml::ANALYZER,
    python_requirements::ANALYZER,
];

/// Analyzers of project manifests that say what a build would install rather than what
/// is installed: their results are kept only when the scanned tree has no operating
/// system (a source tree or CI workspace, not an image).
pub const PROJECT_MANIFEST_IDS: &[&str] = &[python_requirements::ANALYZER.id];
