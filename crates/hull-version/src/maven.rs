//! Maven versions, ordered like Maven's `ComparableVersion`.
//!
//! The lower-cased string is split on `.` and `-` and at every switch between digits
//! and letters; a `-` (or a digit/letter switch) opens a nested sub-list. Numbers
//! compare as integers of any size; qualifiers compare in the order
//! `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp`,
//! unknown qualifiers after all of those (alphabetically), and `a1`/`b1`/`m1` mean
//! `alpha-1`/`beta-1`/`milestone-1`. Trailing "null" items (0, empty qualifier, empty
//! list) are dropped, so `1` == `1.0` == `1.0.0` == `1-ga` == `1.final`.
//!
//! Every string parses (Maven accepts anything as a version); only the empty string
//! is refused.

use std::cmp::Ordering;

use crate::num::Num;

#[derive(Debug, Clone)]
enum Item {
    Int(Num),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// Index of the release qualifier ("") in [`QUALIFIERS`].
const RELEASE_INDEX: &str = "5";

fn comparable_qualifier(q: &str) -> String {
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        // Unknown qualifiers sort after the known ones, then alphabetically.
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

fn string_item(s: &str, followed_by_digit: bool) -> Item {
    let s = if followed_by_digit && s.len() == 1 {
        match s {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        }
    } else {
        s
    };
    let s = match s {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(s.to_string())
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => n.is_zero(),
            Item::Str(s) => s.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// Compare with a missing item (`other == null` in Maven).
    fn cmp_null(&self) -> Ordering {
        match self {
            Item::Int(n) => {
                if n.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(s) => comparable_qualifier(s).as_str().cmp(RELEASE_INDEX),
            Item::List(l) => l
                .iter()
                .map(Item::cmp_null)
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
        }
    }

    fn cmp_item(&self, other: &Item) -> Ordering {
        use Ordering::*;
        match (self, other) {
            (Item::Int(a), Item::Int(b)) => a.cmp(b),
            (Item::Int(_), _) => Greater,
            (Item::Str(_), Item::Int(_)) => Less,
            (Item::Str(a), Item::Str(b)) => comparable_qualifier(a).cmp(&comparable_qualifier(b)),
            (Item::Str(_), Item::List(_)) => Less,
            (Item::List(_), Item::Int(_)) => Less,
            (Item::List(_), Item::Str(_)) => Greater,
            (Item::List(a), Item::List(b)) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => x.cmp_item(y),
            (Some(x), None) => x.cmp_null(),
            (None, Some(y)) => y.cmp_null().reverse(),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct Version {
    items: Vec<Item>,
}

impl Version {
    pub fn parse(s: &str) -> Result<Version, &'static str> {
        if s.is_empty() {
            return Err("version string is empty");
        }
        // Nesting (and so recursion when comparing and dropping) grows with length.
        if s.len() > crate::MAX_VERSION_LEN {
            return Err("version string is longer than 1024 bytes");
        }
        let lower = s.to_lowercase();
        let chars: Vec<char> = lower.chars().collect();
        // A stack of open lists; each nested list is attached to its parent when it
        // is closed (at the end), mirroring Maven's stack of ListItems.
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let mut is_digit = false;
        let mut start = 0usize;
        let item = |digit: bool, buf: &[char]| -> Item {
            let text: String = buf.iter().collect();
            if digit {
                Item::Int(Num::from_digits(text.as_bytes()))
            } else {
                string_item(&text, false)
            }
        };
        let push = |stack: &mut Vec<Vec<Item>>, it: Item| {
            if let Some(top) = stack.last_mut() {
                top.push(it);
            }
        };
        for (i, &c) in chars.iter().enumerate() {
            if c == '.' || c == '-' {
                if i == start {
                    push(&mut stack, Item::Int(Num::zero()));
                } else {
                    push(&mut stack, item(is_digit, &chars[start..i]));
                }
                start = i + 1;
                if c == '-' {
                    stack.push(Vec::new());
                }
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    // "x1": a qualifier directly followed by a number. Like `-x`, a
                    // qualifier after earlier items opens its own sub-list (Maven 3.8:
                    // "treat .X as -X").
                    if stack.last().is_some_and(|l| !l.is_empty()) {
                        stack.push(Vec::new());
                    }
                    let text: String = chars[start..i].iter().collect();
                    push(&mut stack, string_item(&text, true));
                    start = i;
                    stack.push(Vec::new());
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    push(&mut stack, item(true, &chars[start..i]));
                    start = i;
                    stack.push(Vec::new());
                }
                is_digit = false;
            }
        }
        if chars.len() > start {
            // A trailing qualifier after earlier items is read as `-X` (`1.0.a` == `1-a`).
            if !is_digit && stack.last().is_some_and(|l| !l.is_empty()) {
                stack.push(Vec::new());
            }
            push(&mut stack, item(is_digit, &chars[start..]));
        }
        // Close the nested lists innermost first, normalising each.
        while stack.len() > 1 {
            let mut top = stack.pop().unwrap_or_default();
            normalize(&mut top);
            push(&mut stack, Item::List(top));
        }
        let mut items = stack.pop().unwrap_or_default();
        normalize(&mut items);
        Ok(Version { items })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
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
    fn ordering() {
        let chain = [
            "1-alpha",
            "1-alpha2",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-1",
            "1.1",
            "1.1.1-sp1",
            "1.2",
            "2.0.0-m1",
            "2.0.0-rc1",
            "2.0.0",
        ];
        for w in chain.windows(2) {
            assert_eq!(c(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
    }

    /// Orders pinned by Maven's own ComparableVersion tests, as Maven 3.8 answers them
    /// (3.8 reads a trailing `.X` qualifier as `-X`, so `2.0.a` == `2.0.0.a` and it sorts
    /// before `2-1`, unlike older releases).
    #[test]
    fn comparable_version_orders() {
        let qualifiers = [
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ];
        let numbers = [
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ];
        for chain in [&qualifiers[..], &numbers[..]] {
            for (i, lo) in chain.iter().enumerate() {
                for hi in &chain[i + 1..] {
                    assert_eq!(c(lo, hi), Less, "{lo} < {hi}");
                }
            }
        }
        for (a, b) in [
            ("1a", "1.0.0-a"),
            ("1x", "1.0-x"),
            ("1cr", "1rc"),
            ("1m3", "1MileStone3"),
            ("1FinaL", "1"),
        ] {
            assert_eq!(c(a, b), Equal, "{a} == {b}");
        }
        for (a, b) in [
            ("1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"),
            ("1.0.0", "1.0-1"),
            ("2.0-1", "2.0.1"),
            ("2.0.1-xyz", "2.0.1-123"),
        ] {
            assert_eq!(c(a, b), Less, "{a} < {b}");
        }
    }

    #[test]
    fn equalities() {
        for (a, b) in [
            ("1", "1.0"),
            ("1", "1.0.0"),
            ("1.0", "1-0"),
            ("1", "1-ga"),
            ("1", "1.final"),
            ("1", "1-release"),
            ("1-rc1", "1-cr1"),
            ("1a1", "1-alpha-1"),
            ("1.0.0.RELEASE", "1.0.0"),
            ("1-SNAPSHOT", "1.0-snapshot"),
        ] {
            assert_eq!(c(a, b), Equal, "{a} == {b}");
        }
        assert_eq!(c("2.17.0", "2.9.1"), Greater);
        assert_eq!(c("5.3.18", "5.3.20"), Less);
        assert_eq!(c("1.2.3.Final", "1.2.3.Beta1"), Greater);
        assert_eq!(c("9.4.43.v20210629", "9.4.41.v20210516"), Greater);
        assert!(Version::parse("").is_err());
    }

    #[test]
    fn deep_nesting_is_fine() {
        // every letter/digit switch opens a nested list
        let deep = "a1".repeat(500);
        let (x, y) = (
            Version::parse(&deep).unwrap(),
            Version::parse(&format!("{deep}b")).unwrap(),
        );
        assert_eq!(x.cmp(&y), Less);
        assert!(crate::Version::parse(crate::Scheme::Maven, &"a1".repeat(600)).is_err());
    }
}
