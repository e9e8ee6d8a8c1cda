//! Analyzers: one small module per file format, listed in one explicit table
//! ([`analyzers::ALL`]), that turn the files of an image into an [`hull_model::Inventory`].
//!
//! An analyzer is two plain functions: `wants` decides from a path and its metadata whether
//! the file's bytes are needed, `parse` turns those bytes into packages (and facts such as
//! the distro or the files an OS package owns). Analyzers never see layers or whiteouts:
//! the assembly step ([`assemble`]) runs them on each layer's files as they stream past,
//! keeps only the results whose file survives in the final view, and then resolves the
//! distro, file ownership and purls.
//!
//! Adding an ecosystem = one parser module + one row in [`analyzers::ALL`] + fixtures.
//!
//! What it does not do: fetch or unpack images (that is `hull-image`), match
//! vulnerabilities (`hull-match`), or guess packages from file names.

pub mod analyzer;
pub mod analyzers;
pub mod assemble;
pub mod purl;

pub use analyzer::{AnalyzeError, Analyzer, FileInput, Found};
pub use assemble::{CatalogOptions, Collector, FinalView, Progress};
