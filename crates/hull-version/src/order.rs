//! Ordering scaffolding shared by the version schemes.
//!
//! Every scheme defines one `Ord` (its ecosystem's comparison rule) and derives
//! equality from it, so that versions the rule calls equal (`1.0` and `1.0.0` in
//! many schemes) are `==` too. The macro below writes that derivation once.

/// Implement `PartialOrd`, `PartialEq` and `Eq` for a type from its `Ord`.
macro_rules! eq_from_ord {
    ($t:ty) => {
        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &Self) -> Option<::std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == ::std::cmp::Ordering::Equal
            }
        }
        impl Eq for $t {}
    };
}
pub(crate) use eq_from_ord;

/// Test helper: every version in `chain` parses and sorts strictly before the next.
#[cfg(test)]
pub(crate) fn assert_ascending<T: Ord, E: std::fmt::Display>(
    parse: impl Fn(&str) -> Result<T, E>,
    chain: &[&str],
) {
    let p = |s: &str| parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    for w in chain.windows(2) {
        assert!(p(w[0]) < p(w[1]), "{} < {}", w[0], w[1]);
    }
}
