//! NuGet package versions (`NuGetVersion`): `Major.Minor[.Patch[.Revision]][-label][+metadata]`.
//!
//! Up to four numbers (missing ones are 0, so `1.0` == `1.0.0.0`), then SemVer 2.0
//! pre-release labels compared case-insensitively (numeric labels as numbers, below
//! alphanumeric ones). Build metadata is ignored in ordering.

use std::cmp::Ordering;

use crate::num::Num;
use crate::semver::Ident;

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub struct Version {
    nums: [Num; 4],
    pre: Vec<Ident>,
}

impl Version {
    pub fn parse(s: &str) -> Result<Version, &'static str> {
        let s = s.trim();
        if s.is_empty() {
            return Err("version string is empty");
        }
        let core = s.split_once('+').map_or(s, |(c, _)| c);
        if let Some((_, b)) = s.split_once('+') {
            if b.is_empty()
                || !b.split('.').all(|x| {
                    !x.is_empty() && x.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                })
            {
                return Err("invalid build metadata");
            }
        }
        let (nums_s, pre_s) = match core.split_once('-') {
            Some((n, p)) => (n, Some(p)),
            None => (core, None),
        };
        let parts: Vec<&str> = nums_s.split('.').collect();
        if parts.len() > 4 {
            return Err("more than four version numbers");
        }
        let mut nums: [Num; 4] = Default::default();
        for (i, p) in parts.iter().enumerate() {
            if !crate::num::is_digits(p) {
                return Err("version number is not numeric");
            }
            nums[i] = Num::from_digits(p.as_bytes());
        }
        // Labels compare case-insensitively: store them lower-cased.
        let pre = match pre_s {
            Some(p) => crate::semver::parse_pre(&p.to_ascii_lowercase(), false)?,
            None => Vec::new(),
        };
        Ok(Version { nums, pre })
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nums
            .cmp(&other.nums)
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
    fn p(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    #[test]
    fn ordering() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-Beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc",
            "1.0.0",
            "1.0.0.1",
            "1.0.1",
            "4.2",
        ];
        crate::order::assert_ascending(Version::parse, &chain);
        assert_eq!(p("1.0"), p("1.0.0.0"));
        assert_eq!(p("1.0.0-RC1"), p("1.0.0-rc1"));
        assert_eq!(p("1.0.0+abc"), p("1.0.0"));
        for bad in ["", "a", "1.2.3.4.5", "1..2", "1.0-", "1.0+"] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }
}
