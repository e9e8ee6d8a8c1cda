//! RubyGems versions, ordered like `Gem::Version`.
//!
//! A version is digits and dot-separated alphanumeric segments (`1.2.3`, `1.0.0.rc1`,
//! `2.0.0.pre.beta`); a `-` means `.pre.` (`1.0-a` == `1.0.pre.a`). It is split into
//! numbers and letter runs; trailing zeros of the numeric part and of the string part
//! are dropped; then segments compare pairwise (a missing one counts as 0) with a
//! letter segment (a pre-release) below any number. An empty string means `0`, as in
//! RubyGems.

use std::cmp::Ordering;

use crate::lex::{alnum_runs, Run};
use crate::num::Num;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Num(Num),
    Str(String),
}

/// A parsed RubyGems version.
#[derive(Debug, Clone)]
pub struct Version {
    /// All segments as written (used for `~>` bumps).
    pub(crate) segments: Vec<Seg>,
    /// Canonical segments (trailing zeros removed), used for ordering.
    canonical: Vec<Seg>,
}

fn valid(s: &str) -> bool {
    // [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?  (or empty)
    if s.is_empty() {
        return true;
    }
    let (main, pre) = match s.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (s, None),
    };
    let mut parts = main.split('.');
    let first = parts.next().unwrap_or("");
    if !crate::num::is_digits(first) {
        return false;
    }
    if !parts.all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric())) {
        return false;
    }
    match pre {
        None => true,
        Some(p) => p
            .split('.')
            .all(|x| !x.is_empty() && x.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')),
    }
}

impl Version {
    pub fn parse(s: &str) -> Result<Version, &'static str> {
        let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
        if !valid(t) {
            return Err("malformed version number string");
        }
        let t = if t.is_empty() {
            "0".to_string()
        } else {
            t.replace('-', ".pre.")
        };
        let segments: Vec<Seg> = alnum_runs(&t)
            .map(|r| match r {
                Run::Digits(d) => Seg::Num(Num::from_digits(d)),
                Run::Letters(w) => Seg::Str(w.to_string()),
            })
            .collect();
        // Drop trailing zeros of the numeric part and of the string part separately.
        let split = segments
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(segments.len());
        let is_zero = |s: &Seg| matches!(s, Seg::Num(n) if n.is_zero());
        let mut nums = segments[..split].to_vec();
        while nums.last().is_some_and(is_zero) {
            nums.pop();
        }
        let mut strs = segments[split..].to_vec();
        while strs.last().is_some_and(is_zero) {
            strs.pop();
        }
        nums.extend(strs);
        Ok(Version {
            segments,
            canonical: nums,
        })
    }

    pub fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Seg::Str(_)))
    }

    /// `Gem::Version#bump`: drop pre-release segments and the last number, then
    /// increment the new last number (`2.3.1` -> `2.4`, `2` -> `3`).
    pub(crate) fn bump(&self) -> Version {
        let mut segs: Vec<Seg> = self
            .segments
            .iter()
            .take_while(|s| matches!(s, Seg::Num(_)))
            .cloned()
            .collect();
        if segs.len() > 1 {
            segs.pop();
        }
        if let Some(Seg::Num(n)) = segs.last_mut() {
            *n = n.succ();
        }
        Version::parse(&join_segments(&segs)).unwrap_or_else(|_| self.clone())
    }
}

/// Segments written back as text, dot-separated (`2.4`, `1.0.pre.a`).
pub(crate) fn join_segments(segs: &[Seg]) -> String {
    let text: Vec<String> = segs
        .iter()
        .map(|s| match s {
            Seg::Num(n) => n.to_string(),
            Seg::Str(s) => s.clone(),
        })
        .collect();
    text.join(".")
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        use Ordering::*;
        let zero = Seg::Num(Num::zero());
        let n = self.canonical.len().max(other.canonical.len());
        for i in 0..n {
            let l = self.canonical.get(i).unwrap_or(&zero);
            let r = other.canonical.get(i).unwrap_or(&zero);
            let o = match (l, r) {
                (Seg::Num(a), Seg::Num(b)) => a.cmp(b),
                (Seg::Str(_), Seg::Num(_)) => Less,
                (Seg::Num(_), Seg::Str(_)) => Greater,
                (Seg::Str(a), Seg::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
            };
            if o != Equal {
                return o;
            }
        }
        Equal
    }
}
crate::order::eq_from_ord!(Version);

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// Behaviour pinned by RubyGems' own `Gem::Version` tests.
    #[test]
    fn gem_version_behaviour() {
        assert_eq!(p("1.2.b1"), p("1.2.b.1"));
        assert!(p("1.0") > p("1.0.a"));
        assert!(p("1.8.2.b") > p("1.8.2.a"));
        assert!(p("1.8.2.a10") > p("1.8.2.a9"));
        for good in ["1.0 ", " 1.0 ", "1.0\n", "\n1.0\n"] {
            assert_eq!(p(good), p("1.0"), "{good:?}");
        }
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ];
        crate::order::assert_ascending(Version::parse, &chain);
        for (unbumped, bumped) in [
            ("5.2.4", "5.3"),
            ("5.2.4.a", "5.3"),
            ("5.2.4.a10", "5.3"),
            ("5.0.0", "5.1"),
            ("5", "6"),
        ] {
            assert_eq!(p(unbumped).bump(), p(bumped), "{unbumped}");
        }
        for pre in ["1.2.0.a", "2.9.b", "22.1.50.0.d", "1.2.d.42", "1.A"] {
            assert!(p(pre).is_prerelease(), "{pre}");
        }
        assert!(!p("22.1.50.0").is_prerelease());
    }

    #[test]
    fn ordering() {
        let chain = [
            "1.0.0.a",
            "1.0.0.a1",
            "1.0.0.b",
            "1.0.0.pre",
            "1.0.0.rc1",
            "1.0",
            "1.0.1",
            "1.1.a",
            "1.1",
            "1.10",
            "2",
        ];
        crate::order::assert_ascending(Version::parse, &chain);
        assert_eq!(p("1.0.0"), p("1"));
        assert_eq!(p("1.0.a.0"), p("1.a"));
        assert_eq!(p("1.0-a"), p("1.0.pre.a"));
        assert_eq!(p(""), p("0"));
        assert_eq!(p("2.3.1").bump(), p("2.4"));
        assert_eq!(p("2").bump(), p("3"));
        assert_eq!(p("2.3.rc1").bump(), p("3"));
        for bad in [
            "a", "1..2", "1.2.", "1.2 3", "-1", "1_2", "1.0-", "junk", "1.0\n2.0",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }
}
