//! Entry points shared by the fuzz targets (`fuzz/fuzz_targets/version_*.rs`) and the
//! seed-replay tests. Each returns `Err` with a description when an invariant breaks
//! (the harness turns that into a crash); any panic inside is a bug by itself.

use std::cmp::Ordering;

use crate::osv::{Event, Range, RangeType};
use crate::{Constraint, Scheme, Version};

fn split2(data: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(data);
    match text.split_once('\n') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (text.to_string(), String::new()),
    }
}

/// The scheme selected by the first byte of a fuzz input.
pub fn scheme_from_byte(b: u8) -> Scheme {
    Scheme::ALL[usize::from(b) % Scheme::ALL.len()]
}

/// Parse two versions (`a\nb`) and check order and round-trip invariants.
/// Returns how many of the two parsed.
pub fn check_compare(scheme: Scheme, data: &[u8]) -> Result<usize, String> {
    let (a, b) = split2(data);
    let pa = Version::parse(scheme, &a);
    let pb = Version::parse(scheme, &b);
    for (s, p) in [(&a, &pa), (&b, &pb)] {
        if let Ok(v) = p {
            if v.to_string() != *s {
                return Err(format!("{scheme}: display of {s:?} is {v}"));
            }
            match Version::parse(scheme, &v.to_string()) {
                Ok(again) if again == *v => {}
                other => return Err(format!("{scheme}: {s:?} does not round-trip: {other:?}")),
            }
            if v.cmp(v) != Ordering::Equal {
                return Err(format!("{scheme}: {s:?} is not equal to itself"));
            }
        }
    }
    if let (Ok(x), Ok(y)) = (&pa, &pb) {
        if x.cmp(y) != y.cmp(x).reverse() {
            return Err(format!("{scheme}: {a:?} vs {b:?} is not antisymmetric"));
        }
    }
    Ok(usize::from(pa.is_ok()) + usize::from(pb.is_ok()))
}

/// First byte: scheme; then `constraint\nversion`.
pub fn check_constraint(data: &[u8]) -> Result<(), String> {
    let Some((&first, rest)) = data.split_first() else {
        return Ok(());
    };
    let scheme = scheme_from_byte(first);
    let (c, v) = split2(rest);
    let parsed = Constraint::parse(scheme, &c);
    if let (Ok(con), Ok(ver)) = (&parsed, Version::parse(scheme, &v)) {
        let again = crate::satisfies(scheme, &v, &c);
        if again != Ok(con.matches(&ver)) {
            return Err(format!("{scheme}: {v:?} in {c:?} is not deterministic"));
        }
    }
    Ok(())
}

/// First byte: scheme; then one event per line (`i:`, `f:`, `l:`, `m:` prefixes, or
/// `type:` to set the range type) and a final line with the version.
pub fn check_osv(data: &[u8]) -> Result<(), String> {
    let Some((&first, rest)) = data.split_first() else {
        return Ok(());
    };
    let scheme = scheme_from_byte(first);
    let text = String::from_utf8_lossy(rest);
    let mut lines: Vec<&str> = text.lines().collect();
    let version = lines.pop().unwrap_or("");
    let mut range = Range::ecosystem(Vec::new());
    for l in lines {
        let (k, v) = l.split_once(':').unwrap_or(("", l));
        let v = v.to_string();
        match k {
            "i" => range.events.push(Event::Introduced(v)),
            "f" => range.events.push(Event::Fixed(v)),
            "l" => range.events.push(Event::LastAffected(v)),
            "m" => range.events.push(Event::Limit(v)),
            "type" => range.range_type = RangeType::from_osv(&v),
            _ => {}
        }
    }
    let a = range.affects(scheme, version);
    let b = range.affects(scheme, version);
    if a != b {
        return Err(format!("{scheme}: osv evaluation is not deterministic"));
    }
    Ok(())
}
