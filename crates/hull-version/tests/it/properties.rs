//! Properties every scheme must have: a total order (antisymmetric, transitive),
//! `parse(display(v)) == v`, and no panic on any string.

use std::cmp::Ordering;

use hull_version::{Constraint, Scheme, Version};
use proptest::prelude::*;

/// Strings shaped like versions of each family, so the order is exercised on valid
/// input rather than mostly on errors.
fn versionish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}",
        "[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}(-(alpha|beta|rc|0|1|x-y)(\\.[0-9a-z]{1,3}){0,2})?(\\+[a-z0-9]{1,4})?",
        "([0-9]:)?[0-9]{1,2}(\\.[0-9a-z~+]{1,4}){0,3}(-[0-9a-z.~+]{1,6})?",
        "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}[a-z]?(_(alpha|beta|pre|rc|p|cvs|git)[0-9]?){0,2}(-r[0-9]{1,2})?",
        "v?([0-9]!)?[0-9]{1,2}(\\.[0-9]{1,2}){0,2}([-_.]?(a|b|rc|alpha|c|pre)[0-9]?)?(\\.post[0-9])?(\\.dev[0-9])?(\\+[a-z0-9]{1,3})?",
        "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}([-.](SNAPSHOT|Final|RELEASE|ga|sp|m1|cr2|alpha-1|b2|xyz))?",
        "(v|go)?[0-9]\\.[0-9]{1,2}(\\.[0-9])?(rc[0-9]|beta[0-9]|-0\\.2019[0-9]{10}-[0-9a-f]{12}|\\+incompatible)?",
        "[0-9.~^_a-zA-Z+-]{1,12}",
    ]
}

fn triple(s: Scheme, a: &str, b: &str, c: &str) -> Option<(Version, Version, Version)> {
    Some((
        Version::parse(s, a).ok()?,
        Version::parse(s, b).ok()?,
        Version::parse(s, c).ok()?,
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, .. ProptestConfig::default() })]

    #[test]
    fn total_order(a in versionish(), b in versionish(), c in versionish()) {
        for s in Scheme::ALL {
            let Some((x, y, z)) = triple(s, &a, &b, &c) else { continue };
            // antisymmetry and consistency with equality
            prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse(), "{} {} {}", s, a, b);
            prop_assert_eq!(x.cmp(&y) == Ordering::Equal, x == y);
            prop_assert_eq!(x.cmp(&x), Ordering::Equal);
            // transitivity
            if x <= y && y <= z {
                prop_assert!(x <= z, "{}: {} <= {} <= {} but not {} <= {}", s, a, b, c, a, c);
            }
            if x == y && y == z {
                prop_assert!(x == z);
            }
        }
    }

    #[test]
    fn display_round_trips(a in versionish()) {
        for s in Scheme::ALL {
            if let Ok(v) = Version::parse(s, &a) {
                prop_assert_eq!(v.to_string(), a.clone());
                let again = Version::parse(s, &v.to_string());
                prop_assert!(again.is_ok());
                prop_assert_eq!(again.ok(), Some(v));
            }
        }
    }

    #[test]
    fn never_panics(a in any::<String>(), b in "\\PC{0,20}") {
        for s in Scheme::ALL {
            let _ = hull_version::compare(s, &a, &b);
            let _ = Constraint::parse(s, &a);
            let _ = hull_version::satisfies(s, &b, &a);
        }
    }

    /// The fuzz targets' invariants, on random bytes and on version-shaped pairs.
    #[test]
    fn fuzz_invariants_hold(data in proptest::collection::vec(any::<u8>(), 0..48), a in versionish(), b in versionish()) {
        let pair = format!("{a}\n{b}");
        for s in Scheme::ALL {
            prop_assert!(hull_version::fuzz::check_compare(s, &data).is_ok());
            let r = hull_version::fuzz::check_compare(s, pair.as_bytes());
            prop_assert!(r.is_ok(), "{:?}", r);
        }
        prop_assert!(hull_version::fuzz::check_constraint(&data).is_ok());
        prop_assert!(hull_version::fuzz::check_osv(&data).is_ok());
        let osv = format!("\u{5}i:{a}\nf:{b}\n{a}");
        prop_assert!(hull_version::fuzz::check_osv(osv.as_bytes()).is_ok());
    }

    #[test]
    fn constraints_never_panic(c in "[<>=!~^*|, .0-9a-zA-Z\\[\\]()-]{0,24}", v in versionish()) {
        for s in Scheme::ALL {
            let _ = hull_version::satisfies(s, &v, &c);
        }
    }
}

#[test]
fn overlong_input_is_an_error_not_a_crash() {
    let long = "1.".repeat(2000) + "0";
    let nested = "a1-".repeat(2000);
    for s in Scheme::ALL {
        assert!(Version::parse(s, &long).is_err(), "{s}");
        assert!(Version::parse(s, &nested).is_err(), "{s}");
        assert!(
            Constraint::parse(s, &format!(">= {}", long.repeat(3))).is_err(),
            "{s}"
        );
    }
}
