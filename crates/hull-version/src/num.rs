//! Integers of any length, kept as their decimal digits.
//!
//! Version numbers in the wild overflow `u64` (dates with seconds, build ids glued
//! together), so every scheme compares digit strings instead of parsing integers.

use std::cmp::Ordering;

/// Strip leading zeros: `"007"` -> `"7"`, `"000"` -> `""` (zero).
pub(crate) fn strip_zeros(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|&&c| c == b'0').count();
    &d[n..]
}

/// Whether `s` is one or more ASCII digits.
pub(crate) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// Compare two runs of ASCII digits as non-negative integers.
pub(crate) fn cmp_digits(a: &[u8], b: &[u8]) -> Ordering {
    let (a, b) = (strip_zeros(a), strip_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A non-negative integer of any size, normalised (no leading zeros; zero is empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct Num(Vec<u8>);

impl Num {
    pub(crate) fn from_digits(d: &[u8]) -> Num {
        Num(strip_zeros(d).to_vec())
    }
    pub(crate) fn zero() -> Num {
        Num(Vec::new())
    }
    pub(crate) fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
    /// This number plus one (for caret/tilde upper bounds).
    pub(crate) fn succ(&self) -> Num {
        let mut d = self.0.clone();
        let mut i = d.len();
        loop {
            if i == 0 {
                d.insert(0, b'1');
                break;
            }
            i -= 1;
            if d[i] == b'9' {
                d[i] = b'0';
            } else {
                d[i] += 1;
                break;
            }
        }
        Num(d)
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str("0")
        } else {
            f.write_str(std::str::from_utf8(&self.0).unwrap_or("0"))
        }
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}
impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn digits() {
        assert_eq!(cmp_digits(b"0010", b"9"), Ordering::Greater);
        assert_eq!(cmp_digits(b"000", b""), Ordering::Equal);
        assert_eq!(
            cmp_digits(b"99999999999999999999999", b"100000000000000000000000"),
            Ordering::Less
        );
        assert_eq!(Num::from_digits(b"199").succ().to_string(), "200");
        assert_eq!(Num::from_digits(b"99").succ().to_string(), "100");
        assert_eq!(Num::zero().succ().to_string(), "1");
    }
}
