//! Debian package versions: `[epoch:]upstream[-revision]`, compared as dpkg does.
//!
//! Follows deb-version(7) and dpkg's `verrevcmp`: the epoch is a number; the revision
//! is whatever follows the LAST hyphen; upstream and revision are compared by
//! alternating non-digit runs (where `~` sorts before everything, even the end of the
//! string, and letters sort before other characters) and digit runs compared as
//! integers of any length. A missing revision equals an empty one, so `1.0` == `1.0-0`.
//!
//! Like dpkg, hard syntax errors (empty parts, non-numeric epoch, embedded spaces) are
//! rejected while the things dpkg only warns about (an upstream part that does not start
//! with a digit, unusual characters) are accepted and compared exactly as dpkg would.

use std::cmp::Ordering;

use crate::num::cmp_digits;

/// A parsed dpkg version.
#[derive(Debug, Clone)]
pub struct Version {
    epoch: String,
    upstream: String,
    revision: String,
}

impl Version {
    pub fn parse(s: &str) -> Result<Version, &'static str> {
        // dpkg strips surrounding blanks and refuses embedded ones.
        let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
        if s.is_empty() {
            return Err("version string is empty");
        }
        if s.bytes().any(|c| c.is_ascii_whitespace()) {
            return Err("version string has embedded spaces");
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, r)) => {
                if e.is_empty() {
                    return Err("epoch in version is empty");
                }
                if !e.bytes().all(|c| c.is_ascii_digit()) {
                    return Err("epoch in version is not number");
                }
                // dpkg keeps the epoch in an int and refuses anything larger.
                let digits = crate::num::strip_zeros(e.as_bytes());
                if digits.len() > 10 || (digits.len() == 10 && digits > b"2147483647".as_slice()) {
                    return Err("epoch in version is too big");
                }
                if r.is_empty() {
                    return Err("nothing after colon in version number");
                }
                (e, r)
            }
            None => ("0", s),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => {
                if r.is_empty() {
                    return Err("revision number is empty");
                }
                (u, r)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err("version number is empty");
        }
        Ok(Version {
            epoch: epoch.to_string(),
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }

    pub fn epoch(&self) -> &str {
        &self.epoch
    }
    pub fn upstream(&self) -> &str {
        &self.upstream
    }
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

/// dpkg's character weight in a non-digit run: `~` below the end of the string, the end
/// (and digits, which end a run) at zero, letters by ASCII value, everything else after
/// all letters.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp` on one part (upstream or revision).
pub fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0usize, 0usize);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let si = i;
        while digit(a, i) {
            i += 1;
        }
        let sj = j;
        while digit(b, j) {
            j += 1;
        }
        match cmp_digits(
            &a[si.min(a.len())..i.min(a.len())],
            &b[sj.min(b.len())..j.min(b.len())],
        ) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.epoch.as_bytes(), other.epoch.as_bytes())
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}
crate::order::eq_from_ord!(Version);

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        Version::parse(a).unwrap().cmp(&Version::parse(b).unwrap())
    }

    #[test]
    fn known_answers() {
        let table = [
            ("1.0", "1.0", Equal),
            ("1.0", "1.0-0", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0+", Less),
            ("1.0+", "1.0.1", Less),
            ("1:0.1", "2.0", Greater),
            ("0:1.0", "1.0", Equal),
            ("1.2.3-1", "1.2.3-1ubuntu1", Less),
            ("2.36-9+deb12u4", "2.36-9+deb12u10", Less),
            ("1.1.1n-0+deb11u4", "1.1.1n-0+deb11u5", Less),
            ("7.88.1-10+deb12u5", "7.88.1-10+deb12u12", Less),
            ("1.0-1-2", "1.0-1-10", Less), // revision is after the last '-'
            ("10", "9", Greater),
            ("010", "10", Equal),
            (
                "1.99999999999999999999999",
                "1.100000000000000000000000",
                Less,
            ),
            ("1.0.0", "1.0", Greater),
            ("a", "b", Less), // dpkg only warns: not starting with a digit
            ("1.0-1", "1.0+1", Less),
            ("1:1.0", "2147483647:1.0", Less),
            ("0002147483647:1.0", "2147483647:1.0", Equal),
        ];
        for (a, b, want) in table {
            assert_eq!(c(a, b), want, "{a} vs {b}");
            assert_eq!(c(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn rejects_what_dpkg_rejects() {
        for bad in [
            "",
            " ",
            "1 0",
            ":1.0",
            "a:1.0",
            "1:",
            "1.0-",
            "-1",
            "2147483648:1.0",
            "99999999999:1",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
        let v = Version::parse("2:1.0-a-3").unwrap();
        assert_eq!((v.epoch(), v.upstream(), v.revision()), ("2", "1.0-a", "3"));
    }
}
