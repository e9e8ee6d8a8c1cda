//! Composer (Packagist) versions, normalised like Composer's `VersionParser`.
//!
//! `v1.2.3`, `1.2`, `1.2.3.4`, `1.0.0-beta2`, `1.0-RC1`, `2.0.0-alpha.1`, `1.0.0-p1`
//! (patch), `1.0.x-dev`-style branch names are not versions. A version becomes four
//! numbers (missing ones are 0) and a stability: `dev < alpha < beta < RC < stable <
//! patch`, each with optional numbers; a `-dev` suffix sorts just before the same
//! version without it. This is the order PHP's `version_compare` gives on Composer's
//! normalised strings.

use std::cmp::Ordering;

use crate::num::Num;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stability {
    Dev,
    Alpha,
    Beta,
    Rc,
    Stable,
    Patch,
}

/// A parsed Composer version.
#[derive(Debug, Clone)]
pub struct Version {
    pub(crate) nums: [Num; 4],
    stability: Stability,
    stab_nums: Vec<Num>,
    /// `-dev` after a stability modifier (`1.0.0-beta2-dev`).
    dev_suffix: bool,
}

impl Version {
    pub fn parse(s: &str) -> Result<Version, &'static str> {
        let t = s.trim();
        if t.contains(char::is_whitespace) {
            return Err("version has whitespace");
        }
        let t = t.split_once('+').map_or(t, |(c, _)| c);
        let lower = t.to_ascii_lowercase();
        let body = lower.strip_prefix('v').unwrap_or(&lower);
        if body.is_empty() {
            return Err("version string is empty");
        }
        let b = body.as_bytes();
        let mut i = 0;
        let mut nums: [Num; 4] = Default::default();
        let mut written = 0;
        while written < 4 {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return Err("expected a version number");
            }
            nums[written] = Num::from_digits(&b[start..i]);
            written += 1;
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
            } else {
                break;
            }
        }
        let mut rest = &body[i..];
        let mut stability = Stability::Stable;
        let mut stab_nums = Vec::new();
        let mut dev_suffix = false;
        if !rest.is_empty() {
            rest = rest.strip_prefix(['.', '_', '-']).unwrap_or(rest);
            const MODS: [(&str, Stability); 10] = [
                ("stable", Stability::Stable),
                ("alpha", Stability::Alpha),
                ("beta", Stability::Beta),
                ("patch", Stability::Patch),
                ("rc", Stability::Rc),
                ("pl", Stability::Patch),
                ("dev", Stability::Dev),
                ("a", Stability::Alpha),
                ("b", Stability::Beta),
                ("p", Stability::Patch),
            ];
            let (word, st) = MODS
                .iter()
                .find(|(w, _)| rest.starts_with(w))
                .ok_or("unknown stability modifier")?;
            rest = &rest[word.len()..];
            stability = *st;
            if stability != Stability::Dev {
                // ((?:[.-]?\d+)*) then ([.-]?dev)?
                loop {
                    let r = rest.strip_prefix(['.', '-']).unwrap_or(rest);
                    let d = r.bytes().take_while(u8::is_ascii_digit).count();
                    if d == 0 {
                        break;
                    }
                    stab_nums.push(Num::from_digits(&r.as_bytes()[..d]));
                    rest = &r[d..];
                }
                let r = rest.strip_prefix(['.', '-']).unwrap_or(rest);
                if let Some(r) = r.strip_prefix("dev") {
                    dev_suffix = true;
                    rest = r;
                }
                if stability == Stability::Stable && dev_suffix {
                    stability = Stability::Dev;
                    dev_suffix = false;
                }
            }
            if !rest.is_empty() {
                return Err("trailing characters after the version");
            }
        }
        Ok(Version {
            nums,
            stability,
            stab_nums,
            dev_suffix,
        })
    }

    /// The lowest version of a release line (`1.2.0.0-dev`), used for range bounds.
    pub(crate) fn dev_of(nums: [Num; 4]) -> Version {
        Version {
            nums,
            stability: Stability::Dev,
            stab_nums: Vec::new(),
            dev_suffix: false,
        }
    }

    pub(crate) fn with_dev_floor(&self) -> Version {
        if self.stability == Stability::Stable {
            Version::dev_of(self.nums.clone())
        } else {
            self.clone()
        }
    }

    pub(crate) fn is_stable_exact(&self) -> bool {
        self.stability == Stability::Stable
    }
}

impl std::fmt::Display for Version {
    /// Composer's normalised form (`1.2.0.0-beta2`, `1.0.0.0-dev`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d] = &self.nums;
        write!(f, "{a}.{b}.{c}.{d}")?;
        let word = match self.stability {
            Stability::Dev => return f.write_str("-dev"),
            Stability::Alpha => "alpha",
            Stability::Beta => "beta",
            Stability::Rc => "RC",
            Stability::Patch => "patch",
            Stability::Stable => "",
        };
        if !word.is_empty() {
            let nums: Vec<String> = self.stab_nums.iter().map(Num::to_string).collect();
            write!(f, "-{word}{}", nums.join("."))?;
        }
        if self.dev_suffix {
            f.write_str("-dev")?;
        }
        Ok(())
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nums
            .cmp(&other.nums)
            .then_with(|| self.stability.cmp(&other.stability))
            .then_with(|| self.stab_nums.cmp(&other.stab_nums))
            .then_with(|| other.dev_suffix.cmp(&self.dev_suffix))
    }
}
crate::order::eq_from_ord!(Version);

#[cfg(test)]
mod tests {
    use super::*;
    fn p(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    #[test]
    fn ordering() {
        let chain = [
            "1.0.0-dev",
            "1.0.0-alpha",
            "1.0.0-alpha2",
            "1.0.0-beta1-dev",
            "1.0.0-beta1",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-p1",
            "1.0.0.1",
            "v1.2",
            "10.0",
        ];
        crate::order::assert_ascending(Version::parse, &chain);
        assert_eq!(p("1.0"), p("1.0.0.0"));
        assert_eq!(p("1.0.0-stable"), p("1.0.0"));
        assert_eq!(p("1.0.0-b2"), p("1.0.0-beta.2"));
        assert_eq!(p("1.0.0-pl1"), p("1.0.0-patch1"));
        // normal forms as Composer's VersionParser writes them (numbers after a
        // stability joined with dots)
        for (input, normal) in [
            ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
            ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0.pl3-dev", "1.0.0.0-patch3-dev"),
            ("1.0-dev", "1.0.0.0-dev"),
            ("10.4.13beta.2", "10.4.13.0-beta2"),
            ("10.4.13-b5", "10.4.13.0-beta5"),
            ("1.0.0-beta.5+foo", "1.0.0.0-beta5"),
            ("1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1.3"),
        ] {
            assert_eq!(p(input).to_string(), normal, "{input}");
        }
        for bad in [
            "",
            "dev-master",
            "1.0.x-dev",
            "1.0-foo",
            "1.2.3.4.5",
            "v",
            "a",
            "1.0.0-meh",
            "feature-foo",
            "1.0.0+foo bar",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }
}
