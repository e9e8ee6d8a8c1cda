use hull_model::{Distro, Ecosystem, ImagePath, Package};

/// One file handed to an analyzer.
#[derive(Debug, Clone, Copy)]
pub struct FileInput<'a> {
    pub path: &'a ImagePath,
    /// Unix mode bits as stored in the layer (`0o100755`-style or permission bits only).
    pub mode: u32,
    pub data: &'a [u8],
}

/// What an analyzer learned from one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    /// Packages recorded by the file. `path` is the analyzed file unless the format says
    /// otherwise (e.g. a dist-info dir); `layer` is left `None` and filled by assembly;
    /// OS packages get their final purl (with the `distro` qualifier) at assembly.
    pub packages: Vec<Package>,
    /// Set by release-file analyzers (os-release, alpine-release, redhat-release…).
    pub distro: Option<Distro>,
    /// Files that an OS package manager says it installed (dpkg `info/*.list`, rpm file
    /// lists): language packages found at these paths are reported once, as the OS package.
    pub owned_paths: Vec<ImagePath>,
    /// Non-fatal problems (a malformed record skipped, …).
    pub warnings: Vec<String>,
    /// Licences of packages recorded in another file (Debian's
    /// `usr/share/doc/<package>/copyright`): `(ecosystem, package name, licences)`.
    /// Assembly attaches them to those packages when they have none of their own.
    pub licenses_for: Vec<(Ecosystem, String, Vec<String>)>,
}

/// A file that could not be analyzed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalyzeError {
    #[error("{path}: {reason}")]
    Malformed { path: ImagePath, reason: String },
    #[error("{path}: {reason}")]
    TooLarge { path: ImagePath, reason: String },
}

/// An analyzer is a row in [`crate::analyzers::ALL`]. Plain function pointers keep the
/// table explicit and free of registration by side effect.
#[derive(Debug, Clone, Copy)]
pub struct Analyzer {
    /// Stable, kebab-case id shown to users as `found_by` (`dpkg`, `python-dist`, …).
    pub id: &'static str,
    /// Decide from the path, mode and size alone whether to read the file.
    pub wants: fn(path: &ImagePath, mode: u32, size: u64) -> bool,
    pub parse: fn(input: &FileInput<'_>) -> Result<Found, AnalyzeError>,
}
