//! The fallback scheme for ecosystems without rules of their own.
//!
//! The string is cut into runs of digits and runs of letters (anything else separates
//! them); digit runs compare as integers, letter runs case-insensitively, a digit run
//! is newer than a letter run, and a version that goes on is newer than one that has
//! ended (`1.0` < `1.0.1`, `1.0` < `1.0a`). The comparison is case-insensitive.

use std::cmp::Ordering;

use crate::lex::{alnum_runs, Run};
use crate::num::Num;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Num(Num),
    Word(String),
}

impl Ord for Part {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Part::Num(a), Part::Num(b)) => a.cmp(b),
            (Part::Num(_), Part::Word(_)) => Ordering::Greater,
            (Part::Word(_), Part::Num(_)) => Ordering::Less,
            (Part::Word(a), Part::Word(b)) => a.cmp(b),
        }
    }
}
impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A version split into comparable parts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    parts: Vec<Part>,
}

impl Version {
    pub fn parse(s: &str) -> Result<Version, &'static str> {
        let parts: Vec<Part> = alnum_runs(s)
            .map(|r| match r {
                Run::Digits(d) => Part::Num(Num::from_digits(d)),
                Run::Letters(w) => Part::Word(w.to_ascii_lowercase()),
            })
            .collect();
        if parts.is_empty() {
            return Err("no digits or letters");
        }
        Ok(Version { parts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn order() {
        let chain = ["1.0b", "1.0", "1.0a", "1.0.1", "1.2", "1.10", "2"];
        let p = |s| Version::parse(s).unwrap();
        // `1.0b` is "1, 0, b": it goes on after `1.0`, so it is newer; the chain below
        // therefore starts at `1.0`.
        crate::order::assert_ascending(Version::parse, &chain[1..]);
        assert_eq!(p("1.0-RC1"), p("1.0.rc.1"));
        assert!(Version::parse("...").is_err());
    }
}
