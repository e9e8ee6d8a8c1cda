//! Go module versions (<https://go.dev/ref/mod#versions>) and Go toolchain versions.
//!
//! Module versions are semantic versions with a `v` prefix: `v1.2.3`,
//! `v2.0.0+incompatible` (build metadata, ignored in ordering), pseudo-versions
//! `v0.0.0-20191109021931-daa7c04131f5` (a pre-release, so they order by their base
//! and then by the timestamp), and Go's shorthands `v1` and `v1.2`. OSV's Go
//! ecosystem writes the same versions without the `v`, which is accepted too.
//!
//! Toolchain (standard library) versions are written `go1.19.8`, `go1.21rc2`,
//! `go1.9beta1`, `go1.20`: they map to `1.19.8`, `1.21.0-rc.2`, `1.9.0-beta.1` and
//! `1.20.0`, the form the Go vulnerability database uses for package `stdlib`.

use crate::num::Num;
use crate::semver;

/// Parse a module or toolchain version into a semantic version.
pub fn parse(s: &str) -> Result<semver::Version, &'static str> {
    if s.is_empty() {
        return Err("version string is empty");
    }
    if let Some(rest) = s.strip_prefix("go") {
        return parse_toolchain(rest);
    }
    let body = s.strip_prefix('v').unwrap_or(s);
    // Go's shorthands: v1 == v1.0.0, v1.2 == v1.2.0 (no pre-release or build allowed).
    let numbers: Vec<&str> = body.split('.').collect();
    if numbers.len() < 3 && !body.contains(['-', '+']) {
        let mut padded = body.to_string();
        for _ in numbers.len()..3 {
            padded.push_str(".0");
        }
        return semver::Version::parse(&padded);
    }
    semver::Version::parse(body)
}

fn parse_toolchain(rest: &str) -> Result<semver::Version, &'static str> {
    // go1.21rc2: numbers, then an optional pre-release word and number.
    let split = rest
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let (nums, pre) = rest.split_at(split);
    let mut it = nums.split('.');
    let mut next = |required: bool| -> Result<Num, &'static str> {
        match it.next() {
            Some(p) if crate::num::is_digits(p) => Ok(Num::from_digits(p.as_bytes())),
            Some(_) => Err("invalid go toolchain version number"),
            None if required => Err("missing go toolchain version number"),
            None => Ok(Num::zero()),
        }
    };
    let major = next(true)?;
    let minor = next(false)?;
    let patch = next(false)?;
    if it.next().is_some() {
        return Err("too many go toolchain version numbers");
    }
    let pre = if pre.is_empty() {
        Vec::new()
    } else {
        let word_end = pre
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(pre.len());
        let (word, n) = pre.split_at(word_end);
        if !matches!(word, "rc" | "beta" | "alpha") {
            return Err("unknown go toolchain pre-release");
        }
        if !crate::num::is_digits(n) {
            return Err("go toolchain pre-release needs a number");
        }
        vec![
            semver::Ident::Alpha(word.to_string()),
            semver::Ident::Numeric(Num::from_digits(n.as_bytes())),
        ]
    };
    Ok(semver::Version::new(major, minor, patch, pre))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        let chain = [
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0-20200101000000-aaaaaaaaaaaa",
            "v0.1.0",
            "v1.2.3-pre",
            "v1.2.3",
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "v1.2.4",
            "v2.0.0+incompatible",
            "v2.1.0",
        ];
        crate::order::assert_ascending(parse, &chain);
        assert_eq!(
            parse("v2.0.0+incompatible").unwrap(),
            parse("2.0.0").unwrap()
        );
        assert_eq!(parse("v1").unwrap().to_string(), "1.0.0");
        assert_eq!(parse("v1.2").unwrap().to_string(), "1.2.0");
        assert_eq!(parse("go1.19.8").unwrap().to_string(), "1.19.8");
        assert_eq!(parse("go1.21rc2").unwrap().to_string(), "1.21.0-rc.2");
        assert_eq!(parse("go1.20").unwrap().to_string(), "1.20.0");
        assert!(parse("go1.21rc2").unwrap() < parse("go1.21.0").unwrap());
        assert!(parse("go1.9beta1").unwrap() < parse("go1.9rc1").unwrap());
        for bad in [
            "", "v", "go", "go1.x", "v1.2.3.4", "vx", "go1.21rc", "v01.2.3",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
