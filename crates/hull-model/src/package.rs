use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Digest, ImagePath, Purl};

/// The package universe a package belongs to; decides its version rules and which
/// advisories may apply. Names (`as_str`) are hull's stable, user-visible ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ecosystem {
    Deb,
    Apk,
    Rpm,
    Pypi,
    Npm,
    Cargo,
    Go,
    Maven,
    Rubygems,
    Composer,
    Nuget,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 11] = [
        Ecosystem::Deb,
        Ecosystem::Apk,
        Ecosystem::Rpm,
        Ecosystem::Pypi,
        Ecosystem::Npm,
        Ecosystem::Cargo,
        Ecosystem::Go,
        Ecosystem::Maven,
        Ecosystem::Rubygems,
        Ecosystem::Composer,
        Ecosystem::Nuget,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Go => "go",
            Ecosystem::Maven => "maven",
            Ecosystem::Rubygems => "rubygems",
            Ecosystem::Composer => "composer",
            Ecosystem::Nuget => "nuget",
        }
    }

    /// OS packages come from the distro's package manager; the rest are language packages.
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm)
    }

    /// The purl `type` (<https://github.com/package-url/purl-spec>).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Go => "golang",
            Ecosystem::Rubygems => "gem",
            e => e.as_str(),
        }
    }

    /// The OSV `affected[].package.ecosystem` name for language ecosystems.
    pub fn osv_name(self) -> Option<&'static str> {
        Some(match self {
            Ecosystem::Pypi => "PyPI",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "crates.io",
            Ecosystem::Go => "Go",
            Ecosystem::Maven => "Maven",
            Ecosystem::Rubygems => "RubyGems",
            Ecosystem::Composer => "Packagist",
            Ecosystem::Nuget => "NuGet",
            _ => return None,
        })
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Ecosystem {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ecosystem::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown ecosystem `{s}`"))
    }
}

/// One installed package, as found in one file of the image.
///
/// `version` is the full version string exactly as that ecosystem's comparator takes it:
/// dpkg `[epoch:]upstream[-revision]`, rpm `[epoch:]version-release`, apk `1.2.3-r0`,
/// PEP 440 for PyPI, semver for npm/cargo, `v1.2.3` for Go modules, and so on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Distro source package (dpkg `Source:`, rpm source rpm name, apk `origin`):
    /// the name distro advisories are written against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// RHEL-family modularity label (`nodejs:10:8020020200707141642:6a468ee4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modularity_label: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    pub purl: Purl,
    /// The file that recorded this package (status file, METADATA, lockfile, binary…).
    pub path: ImagePath,
    /// diff_id of the layer that last wrote `path`; `None` for sources without layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
    /// Analyzer id that produced it (`dpkg`, `python-dist`, `go-binary`, …).
    pub found_by: String,
    /// Format-specific facts worth keeping (`go.version`, `cargo.kind`, `maven.group`…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// A development-only dependency (npm/pnpm/yarn `dev`, composer `packages-dev`,
    /// Poetry's `dev` group…): kept out of an inventory unless asked for
    /// (`CatalogOptions::include_dev`, `--include-dev`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// The project the file describes rather than a dependency of it (a lockfile's root
    /// project, a Go binary's main module): CycloneDX writes it as an `application`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub root: bool,
    /// Direct dependencies as recorded by the same file, each as the [`Package::ref_id`]
    /// of the package depended on (see [`package_ref`]); sorted, no duplicates. An edge
    /// to a package the inventory does not hold (a dev dependency left out) is dropped
    /// by the report writers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

impl Package {
    /// A package with what every analyzer knows; the optional facts (arch, source
    /// package, licences, layer, properties…) start empty, for struct-update syntax.
    pub fn new(
        ecosystem: Ecosystem,
        name: impl Into<String>,
        version: impl Into<String>,
        purl: Purl,
        path: ImagePath,
        found_by: impl Into<String>,
    ) -> Package {
        Package {
            ecosystem,
            name: name.into(),
            version: version.into(),
            arch: None,
            source_name: None,
            source_version: None,
            modularity_label: None,
            licenses: Vec::new(),
            purl,
            path,
            layer: None,
            found_by: found_by.into(),
            properties: BTreeMap::new(),
            dev: false,
            root: false,
            depends_on: Vec::new(),
        }
    }

    /// The name distro advisories use for this package.
    pub fn advisory_name(&self) -> &str {
        self.source_name.as_deref().unwrap_or(&self.name)
    }

    /// Stable identity for cross-references in reports (CycloneDX bom-ref, SPDX id).
    pub fn ref_id(&self) -> String {
        package_ref(&self.purl, &self.path)
    }
}

/// The [`Package::ref_id`] of the package with `purl` recorded in `path`: what an
/// analyzer puts in [`Package::depends_on`] before the package itself exists.
pub fn package_ref(purl: &Purl, path: &ImagePath) -> String {
    format!("{purl}#{path}")
}

/// A Python distribution name in PEP 503 normal form (lower case, each run of `-`, `_`
/// and `.` one `-`): how PyPI, the catalog's purls and OSV records compare names.
pub fn pep503_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}
