//! RPM versions: `[epoch:]version[-release]`, compared as librpm does.
//!
//! [`rpmvercmp`] follows librpm's segment compare: separators (anything but ASCII
//! letters, digits, `~` and `^`) are skipped; digit runs beat letter runs and compare
//! as integers of any length; `~` sorts before everything (pre-releases: `1.0~rc1` <
//! `1.0`); `^` sorts after the base but before anything longer (`1.0` < `1.0^git1` <
//! `1.0.1`).
//!
//! The EVR split follows rpm's `parseEVR`: an epoch is leading digits followed by `:`
//! (a missing epoch is 0), the release follows the LAST `-`.
//!
//! Two orders exist, and both are provided:
//! * [`Evr`]'s `Ord` is total: a missing release sorts before any release. Use it for
//!   sorting and for OSV/feed ranges, whose bounds always carry a release.
//! * [`Evr::cmp_rpm`] is what rpm does for dependency checks: the release is compared
//!   only when both sides have one (so `1.0` matches `1.0-5`). It is not a total order,
//!   so it is used only by [`crate::satisfies`] for RPM constraints.

use std::cmp::Ordering;

use crate::num::cmp_digits;

/// A parsed RPM epoch:version-release.
#[derive(Debug, Clone)]
pub struct Evr {
    epoch: Option<String>,
    version: String,
    release: Option<String>,
}

impl Evr {
    pub fn parse(s: &str) -> Result<Evr, &'static str> {
        if s.is_empty() {
            return Err("version string is empty");
        }
        if s.chars().any(char::is_whitespace) {
            return Err("version string has whitespace");
        }
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = if s.as_bytes().get(digits) == Some(&b':') {
            // rpm reads an empty epoch ("":1.0) as 0.
            let e = if digits == 0 { "0" } else { &s[..digits] };
            (Some(e.to_string()), &s[digits + 1..])
        } else {
            (None, s)
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => {
                if r.is_empty() {
                    return Err("release is empty");
                }
                (v, Some(r.to_string()))
            }
            None => (rest, None),
        };
        if version.is_empty() {
            return Err("version is empty");
        }
        Ok(Evr {
            epoch,
            version: version.to_string(),
            release,
        })
    }

    /// The epoch as written (`None` when absent; rpm then uses 0).
    pub fn epoch(&self) -> Option<&str> {
        self.epoch.as_deref()
    }
    pub fn version(&self) -> &str {
        &self.version
    }
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }

    fn cmp_epoch_version(&self, other: &Self) -> Ordering {
        let e1 = self.epoch.as_deref().unwrap_or("0");
        let e2 = other.epoch.as_deref().unwrap_or("0");
        rpmvercmp(e1.as_bytes(), e2.as_bytes())
            .then_with(|| rpmvercmp(self.version.as_bytes(), other.version.as_bytes()))
    }

    /// rpm's dependency comparison (`rpmverCmp`): epoch (missing = 0), version, and the
    /// release only when both sides have one.
    pub fn cmp_rpm(&self, other: &Self) -> Ordering {
        self.cmp_epoch_version(other)
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a.as_bytes(), b.as_bytes()),
                _ => Ordering::Equal,
            })
    }
}

impl Ord for Evr {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_epoch_version(other)
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a.as_bytes(), b.as_bytes()),
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
            })
    }
}
crate::order::eq_from_ord!(Evr);

/// librpm's `rpmvercmp` on one part (version or release).
pub fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    use Ordering::*;
    if a == b {
        return Equal;
    }
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        // Tilde: whoever has it is older, even against the end of the string.
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Greater;
            }
            if cb != Some(b'~') {
                return Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        // Caret: newer than the end of the string, older than any other segment.
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Less;
            }
            if cb.is_none() {
                return Greater;
            }
            if ca != Some(b'^') {
                return Greater;
            }
            if cb != Some(b'^') {
                return Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(first), Some(_)) = (ca, cb) else {
            break;
        };
        let isnum = first.is_ascii_digit();
        let class = |c: &u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (si, sj) = (i, j);
        while a.get(i).is_some_and(class) {
            i += 1;
        }
        while b.get(j).is_some_and(class) {
            j += 1;
        }
        if sj == j {
            // Different segment types: numeric is newer than alpha.
            return if isnum { Greater } else { Less };
        }
        let (sa, sb) = (&a[si..i], &b[sj..j]);
        let o = if isnum {
            cmp_digits(sa, sb)
        } else {
            sa.cmp(sb)
        };
        if o != Equal {
            return o;
        }
    }
    match (i < a.len(), j < b.len()) {
        (false, false) => Equal,
        (true, _) => Greater,
        (false, true) => Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn rpmvercmp_known_answers() {
        let table = [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1", "2.0", Greater),
            ("2.0.1a", "2.0.1", Greater),
            ("5.5p1", "5.5p2", Less),
            ("5.5p10", "5.5p1", Greater),
            ("10xyz", "10.1xyz", Less),
            ("xyz10", "xyz10.1", Less),
            ("xyz.4", "8", Less),
            ("1.0aa", "1.0a", Greater),
            ("2_0", "2.0", Equal),
            ("2.0", "2_0", Equal),
            ("a", "a", Equal),
            ("a+", "a+", Equal),
            ("a+", "a_", Equal),
            ("+a", "_a", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0~rc1~git123", "1.0~rc1", Less),
            ("1.0^", "1.0", Greater),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.0.1", Less),
            ("1.0^20160101", "1.0^20160102", Less),
            ("1.0~rc1^git1", "1.0~rc1", Greater),
            ("1.0^git1~pre", "1.0^git1", Less),
            ("00100", "100", Equal),
            ("99999999999999999999", "100000000000000000000", Less),
        ];
        for (a, b, want) in table {
            assert_eq!(rpmvercmp(a.as_bytes(), b.as_bytes()), want, "{a} vs {b}");
            assert_eq!(
                rpmvercmp(b.as_bytes(), a.as_bytes()),
                want.reverse(),
                "{b} vs {a}"
            );
        }
    }

    #[test]
    fn evr() {
        let p = |s| Evr::parse(s).unwrap();
        assert_eq!(p("1:1.0-1").cmp(&p("2.0-1")), Greater);
        assert_eq!(p("0:1.0-1").cmp(&p("1.0-1")), Equal);
        assert_eq!(p("1.0-1.el7").cmp(&p("1.0-1.el7_9")), Less);
        assert_eq!(p("1.0").cmp(&p("1.0-1")), Less);
        assert_eq!(p("1.0").cmp_rpm(&p("1.0-1")), Equal);
        assert_eq!(p("1.0-2").cmp_rpm(&p("1.0-1")), Greater);
        let v = p("3:2.0-rc-4.fc39");
        assert_eq!(
            (v.epoch(), v.version(), v.release()),
            (Some("3"), "2.0-rc", Some("4.fc39"))
        );
        let v = p("a:1");
        assert_eq!((v.epoch(), v.version()), (None, "a:1"));
        for bad in ["", "1.0-", "-1", "1:", "1 0"] {
            assert!(Evr::parse(bad).is_err(), "{bad:?}");
        }
    }
}
