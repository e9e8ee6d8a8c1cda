//! Version schemes and ranges: the rules that decide whether an installed version is
//! inside a vulnerable range.
//!
//! What it does: parses versions of every ecosystem hull scans ([`Scheme`]: dpkg, rpm,
//! apk, SemVer/cargo, npm, PEP 440, Maven, Go, RubyGems, Composer, NuGet, and a generic
//! fallback) into [`Version`] values with a total order; evaluates OSV ranges
//! ([`osv::Range`], [`osv_affected`]) and the constraint strings feeds write
//! ([`satisfies`], [`Constraint`]). Each comparator follows its ecosystem's reference
//! implementation (dpkg `verrevcmp`, librpm `rpmvercmp`, apk-tools, Python `packaging`,
//! Maven `ComparableVersion`, node-semver, cargo `semver`, `Gem::Version`, …).
//!
//! What it does not: no I/O, no feed parsing, no matching of names. It never panics on
//! any input; a string a scheme cannot read is a [`VersionError`], which a matcher must
//! treat as "unknown" (report a diagnostic), never as "not affected".
//!
//! Entry points: [`Scheme::for_ecosystem`] / [`Scheme::for_osv_ecosystem`] pick the
//! rules; [`compare`] and [`Version`] order versions; [`affected_entry`] evaluates a
//! whole OSV `affected[]` entry (ranges + `versions`), [`osv::Range::affects`] one
//! range; [`satisfies`] / [`Constraint`] evaluate constraint strings; feed bounds that
//! may be partial (`0.2` for a crate) go through [`Version::parse_bound`].
//!
//! ```
//! use hull_version::{compare, satisfies, osv, Scheme};
//! use std::cmp::Ordering;
//!
//! assert_eq!(compare(Scheme::Dpkg, "1.0~rc1-1", "1.0-1").unwrap(), Ordering::Less);
//! assert_eq!(compare(Scheme::Rpm, "1:1.0-1.el7", "2.0-1.el7").unwrap(), Ordering::Greater);
//! assert!(satisfies(Scheme::Pep440, "1.4.3", "~=1.4.2, !=1.4.5").unwrap());
//! assert!(satisfies(Scheme::Npm, "2.5.0", "^1.2 || >=2.0.0 <3").unwrap());
//!
//! let range = osv::Range::ecosystem(vec![
//!     osv::Event::Introduced("0".into()),
//!     osv::Event::Fixed("2.25.1".into()),
//! ]);
//! assert!(range.affects(Scheme::Pep440, "2.25.0").unwrap());
//! assert!(!range.affects(Scheme::Pep440, "2.25.1").unwrap());
//! ```

mod constraint;
mod error;
#[doc(hidden)]
pub mod fuzz;
mod lex;
mod num;
mod order;
pub mod osv;
mod range;
mod scheme;

pub mod apk;
pub mod composer;
pub mod dpkg;
pub mod generic;
pub mod go;
pub mod maven;
pub mod nuget;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

use std::cmp::Ordering;

pub use constraint::{satisfies, Constraint};
pub use error::VersionError;
pub use osv::{affected_entry, osv_affected};
pub use scheme::Scheme;

/// A version parsed under one scheme.
///
/// `Display` gives back the original string exactly, so `parse(v.to_string()) == v`.
/// Versions of the same scheme compare by that scheme's rules; equality is the
/// scheme's equality (`1.0` == `1.0.0` in PEP 440), not string equality. Versions of
/// different schemes never compare equal (they order by scheme first, which only keeps
/// the order total; do not rely on it).
#[derive(Debug, Clone)]
pub struct Version {
    raw: String,
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    Dpkg(dpkg::Version),
    Rpm(rpm::Evr),
    Apk(apk::Version),
    Semver(semver::Version),
    Npm(semver::Version),
    Pep440(pep440::Version),
    Maven(maven::Version),
    Go(semver::Version),
    RubyGems(rubygems::Version),
    Composer(composer::Version),
    NuGet(nuget::Version),
    Generic(generic::Version),
}

/// Longest version string accepted. Real versions are far shorter; the cap keeps the
/// cost of hostile input bounded (Maven versions nest one level per qualifier switch).
pub const MAX_VERSION_LEN: usize = 1024;

impl Version {
    /// Parse `s` under `scheme`.
    pub fn parse(scheme: Scheme, s: &str) -> Result<Version, VersionError> {
        let err = |reason| VersionError::version(scheme, s, reason);
        if s.len() > MAX_VERSION_LEN {
            return Err(err("version string is longer than 1024 bytes"));
        }
        let inner = match scheme {
            Scheme::Dpkg => Inner::Dpkg(dpkg::Version::parse(s).map_err(err)?),
            Scheme::Rpm => Inner::Rpm(rpm::Evr::parse(s).map_err(err)?),
            Scheme::Apk => Inner::Apk(apk::Version::parse(s).map_err(err)?),
            Scheme::Semver => Inner::Semver(semver::Version::parse(s).map_err(err)?),
            Scheme::Npm => Inner::Npm(semver::Version::parse_loose(s).map_err(err)?),
            Scheme::Pep440 => Inner::Pep440(pep440::Version::parse(s).map_err(err)?),
            Scheme::Maven => Inner::Maven(maven::Version::parse(s).map_err(err)?),
            Scheme::Go => Inner::Go(go::parse(s).map_err(err)?),
            Scheme::RubyGems => Inner::RubyGems(rubygems::Version::parse(s).map_err(err)?),
            Scheme::Composer => Inner::Composer(composer::Version::parse(s).map_err(err)?),
            Scheme::NuGet => Inner::NuGet(nuget::Version::parse(s).map_err(err)?),
            Scheme::Generic => Inner::Generic(generic::Version::parse(s).map_err(err)?),
        };
        Ok(Version {
            raw: s.to_string(),
            inner,
        })
    }

    /// Parse a range bound written by a feed. Like [`Version::parse`], except that
    /// for SemVer and npm a bare `X` or `X.Y` (GHSA writes `< 0.2` for crates) means
    /// `X.0.0` / `X.Y.0`, the reading every semver range grammar gives it.
    pub fn parse_bound(scheme: Scheme, s: &str) -> Result<Version, VersionError> {
        match Version::parse(scheme, s) {
            Ok(v) => Ok(v),
            Err(e) => {
                let t = s.trim();
                let partial = matches!(scheme, Scheme::Semver | Scheme::Npm)
                    && !t.is_empty()
                    && t.split('.').count() < 3
                    && t.split('.').all(crate::num::is_digits);
                if !partial {
                    return Err(e);
                }
                let mut padded = t.to_string();
                for _ in t.split('.').count()..3 {
                    padded.push_str(".0");
                }
                let mut v = Version::parse(scheme, &padded)?;
                v.raw = s.to_string();
                Ok(v)
            }
        }
    }

    pub fn scheme(&self) -> Scheme {
        match &self.inner {
            Inner::Dpkg(_) => Scheme::Dpkg,
            Inner::Rpm(_) => Scheme::Rpm,
            Inner::Apk(_) => Scheme::Apk,
            Inner::Semver(_) => Scheme::Semver,
            Inner::Npm(_) => Scheme::Npm,
            Inner::Pep440(_) => Scheme::Pep440,
            Inner::Maven(_) => Scheme::Maven,
            Inner::Go(_) => Scheme::Go,
            Inner::RubyGems(_) => Scheme::RubyGems,
            Inner::Composer(_) => Scheme::Composer,
            Inner::NuGet(_) => Scheme::NuGet,
            Inner::Generic(_) => Scheme::Generic,
        }
    }

    /// The string this version was parsed from.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether this is a pre-release in its scheme (where the scheme has the notion).
    pub fn is_prerelease(&self) -> bool {
        match &self.inner {
            Inner::Semver(v) | Inner::Npm(v) | Inner::Go(v) => v.is_prerelease(),
            Inner::Pep440(v) => v.is_prerelease(),
            Inner::RubyGems(v) => v.is_prerelease(),
            Inner::NuGet(v) => v.is_prerelease(),
            _ => false,
        }
    }

    /// A synthetic Composer bound (from `^`, `~`, wildcards), shown in normal form.
    pub(crate) fn from_composer(v: composer::Version) -> Version {
        Version {
            raw: v.to_string(),
            inner: Inner::Composer(v),
        }
    }

    pub(crate) fn inner_semver(&self) -> Option<&semver::Version> {
        match &self.inner {
            Inner::Semver(v) | Inner::Npm(v) | Inner::Go(v) => Some(v),
            _ => None,
        }
    }
    pub(crate) fn inner_pep440(&self) -> Option<&pep440::Version> {
        match &self.inner {
            Inner::Pep440(v) => Some(v),
            _ => None,
        }
    }
    pub(crate) fn inner_rpm(&self) -> Option<&rpm::Evr> {
        match &self.inner {
            Inner::Rpm(v) => Some(v),
            _ => None,
        }
    }
    pub(crate) fn inner_rubygems(&self) -> Option<&rubygems::Version> {
        match &self.inner {
            Inner::RubyGems(v) => Some(v),
            _ => None,
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        use Inner::*;
        match (&self.inner, &other.inner) {
            (Dpkg(a), Dpkg(b)) => a.cmp(b),
            (Rpm(a), Rpm(b)) => a.cmp(b),
            (Apk(a), Apk(b)) => a.cmp(b),
            (Semver(a), Semver(b)) | (Npm(a), Npm(b)) | (Go(a), Go(b)) => a.cmp(b),
            (Pep440(a), Pep440(b)) => a.cmp(b),
            (Maven(a), Maven(b)) => a.cmp(b),
            (RubyGems(a), RubyGems(b)) => a.cmp(b),
            (Composer(a), Composer(b)) => a.cmp(b),
            (NuGet(a), NuGet(b)) => a.cmp(b),
            (Generic(a), Generic(b)) => a.cmp(b),
            _ => self.scheme().cmp(&other.scheme()),
        }
    }
}
crate::order::eq_from_ord!(Version);

/// Parse `s` under `scheme` (same as [`Version::parse`]).
pub fn parse(scheme: Scheme, s: &str) -> Result<Version, VersionError> {
    Version::parse(scheme, s)
}

/// Compare two version strings under `scheme`.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(Version::parse(scheme, a)?.cmp(&Version::parse(scheme, b)?))
}
