//! Semantic Versioning 2.0.0 (<https://semver.org>): `MAJOR.MINOR.PATCH[-pre][+build]`.
//!
//! Precedence: the three numbers, then a version with a pre-release sorts before the
//! same version without one; pre-release identifiers compare left to right (numeric
//! ones as integers of any size, below alphanumeric ones, which compare in ASCII
//! order; a shorter list of equal identifiers sorts first). Build metadata is kept
//! for display but ignored in ordering, as the specification says.
//!
//! [`Version::parse`] is strict (what cargo and crates.io accept); [`Version::parse_loose`]
//! additionally takes what node-semver's loose mode and feeds write: a `v` or `=`
//! prefix, surrounding blanks and leading zeros.

use std::cmp::Ordering;

use crate::num::Num;

/// One pre-release identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ident {
    Numeric(Num),
    Alpha(String),
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Ident::Numeric(a), Ident::Numeric(b)) => a.cmp(b),
            (Ident::Numeric(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Numeric(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}
impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Ident {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ident::Numeric(n) => write!(f, "{n}"),
            Ident::Alpha(s) => f.write_str(s),
        }
    }
}

/// A parsed semantic version.
#[derive(Debug, Clone)]
pub struct Version {
    pub(crate) major: Num,
    pub(crate) minor: Num,
    pub(crate) patch: Num,
    pub(crate) pre: Vec<Ident>,
    pub(crate) build: Vec<String>,
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

fn number(s: &str, strict: bool) -> Result<Num, &'static str> {
    if s.is_empty() {
        return Err("empty version number");
    }
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err("version number is not numeric");
    }
    if strict && s.len() > 1 && s.starts_with('0') {
        return Err("version number has a leading zero");
    }
    Ok(Num::from_digits(s.as_bytes()))
}

pub(crate) fn parse_pre(s: &str, strict: bool) -> Result<Vec<Ident>, &'static str> {
    s.split('.')
        .map(|id| {
            if id.is_empty() {
                return Err("empty pre-release identifier");
            }
            if !id.bytes().all(is_ident_char) {
                return Err("invalid character in pre-release");
            }
            if id.bytes().all(|c| c.is_ascii_digit()) {
                if strict && id.len() > 1 && id.starts_with('0') {
                    return Err("numeric pre-release identifier has a leading zero");
                }
                Ok(Ident::Numeric(Num::from_digits(id.as_bytes())))
            } else {
                Ok(Ident::Alpha(id.to_string()))
            }
        })
        .collect()
}

fn parse_build(s: &str) -> Result<Vec<String>, &'static str> {
    s.split('.')
        .map(|id| {
            if id.is_empty() {
                Err("empty build identifier")
            } else if !id.bytes().all(is_ident_char) {
                Err("invalid character in build metadata")
            } else {
                Ok(id.to_string())
            }
        })
        .collect()
}

impl Version {
    /// Strict SemVer 2.0.0, as cargo reads it.
    pub fn parse(s: &str) -> Result<Version, &'static str> {
        Self::parse_inner(s, true)
    }

    /// node-semver's loose reading: blanks, `v`/`=` prefixes and leading zeros allowed.
    ///
    /// Like node-semver, it refuses strings longer than 256 bytes and version numbers
    /// above `Number.MAX_SAFE_INTEGER`, and keeps numeric pre-release identifiers that
    /// large as text.
    pub fn parse_loose(s: &str) -> Result<Version, &'static str> {
        const MAX_LENGTH: usize = 256;
        if s.len() > MAX_LENGTH {
            return Err("version string is longer than 256 bytes");
        }
        let s = s.trim();
        let s = s.trim_start_matches(|c: char| {
            c == '=' || c == 'v' || c == 'V' || c.is_ascii_whitespace()
        });
        let mut v = Self::parse_loose_inner(s)?;
        let max = Num::from_digits(b"9007199254740991");
        if v.major > max || v.minor > max || v.patch > max {
            return Err("version number is larger than node-semver allows");
        }
        for id in &mut v.pre {
            if let Ident::Numeric(n) = id {
                if *n >= max {
                    *id = Ident::Alpha(n.to_string());
                }
            }
        }
        Ok(v)
    }

    /// node-semver's LOOSE grammar: `M.m.p` with any digits, then an optional `-`
    /// and dot-separated identifiers (which may themselves contain `-`, so `1.2.3-`
    /// has the pre-release `-`), then `+build`.
    fn parse_loose_inner(s: &str) -> Result<Version, &'static str> {
        if s.is_empty() {
            return Err("version string is empty");
        }
        let b = s.as_bytes();
        let mut i = 0;
        let mut nums = Vec::with_capacity(3);
        for k in 0..3 {
            if k > 0 {
                if b.get(i) != Some(&b'.') {
                    return Err("expected major.minor.patch");
                }
                i += 1;
            }
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return Err("expected major.minor.patch");
            }
            nums.push(Num::from_digits(&b[start..i]));
        }
        let rest = &s[i..];
        let (pre_s, build) = match rest.split_once('+') {
            Some((p, b)) => (p, parse_build(b)?),
            None => (rest, Vec::new()),
        };
        let pre = if pre_s.is_empty() {
            Vec::new()
        } else {
            let p = if pre_s.len() > 1 {
                pre_s.strip_prefix('-').unwrap_or(pre_s)
            } else {
                pre_s
            };
            parse_pre(p, false)?
        };
        let mut it = nums.into_iter();
        let (major, minor, patch) = (
            it.next().unwrap_or_default(),
            it.next().unwrap_or_default(),
            it.next().unwrap_or_default(),
        );
        Ok(Version {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }

    fn parse_inner(s: &str, strict: bool) -> Result<Version, &'static str> {
        if s.is_empty() {
            return Err("version string is empty");
        }
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => (r, parse_build(b)?),
            None => (s, Vec::new()),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, parse_pre(p, strict)?),
            None => (rest, Vec::new()),
        };
        let mut parts = core.split('.');
        let major = number(parts.next().unwrap_or(""), strict)?;
        let minor = number(parts.next().ok_or("missing minor version")?, strict)?;
        let patch = number(parts.next().ok_or("missing patch version")?, strict)?;
        if parts.next().is_some() {
            return Err("more than three version numbers");
        }
        Ok(Version {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }

    pub(crate) fn new(major: Num, minor: Num, patch: Num, pre: Vec<Ident>) -> Version {
        Version {
            major,
            minor,
            patch,
            pre,
            build: Vec::new(),
        }
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// Same major.minor.patch (used by the pre-release rule of npm and cargo ranges).
    pub(crate) fn same_triple(&self, other: &Version) -> bool {
        self.major == other.major && self.minor == other.minor && self.patch == other.patch
    }

    pub fn build(&self) -> &[String] {
        &self.build
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (i, p) in self.pre.iter().enumerate() {
            write!(f, "{}{p}", if i == 0 { '-' } else { '.' })?;
        }
        for (i, b) in self.build.iter().enumerate() {
            write!(f, "{}{b}", if i == 0 { '+' } else { '.' })?;
        }
        Ok(())
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then_with(|| self.minor.cmp(&other.minor))
            .then_with(|| self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}
crate::order::eq_from_ord!(Version);

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn precedence_from_the_spec() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
            "18446744073709551616.0.0",
        ];
        crate::order::assert_ascending(Version::parse, &chain);
        let a = Version::parse("1.0.0+build.1").unwrap();
        let b = Version::parse("1.0.0+other").unwrap();
        assert_eq!(a.cmp(&b), Equal);
        assert_eq!(a.to_string(), "1.0.0+build.1");
    }

    #[test]
    fn strict_and_loose() {
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "v1.2.3",
            "1.2.3-a..b",
            "1.2.x",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Version::parse("1.2.3-0a").is_ok());
        assert_eq!(
            Version::parse_loose(" v1.02.3 ").unwrap().to_string(),
            "1.2.3"
        );
        assert_eq!(
            Version::parse_loose("=1.2.3-beta.01").unwrap().to_string(),
            "1.2.3-beta.1"
        );
    }
}
