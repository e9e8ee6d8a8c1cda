//! Range grammars over semantic versions: node-semver (npm) and cargo `VersionReq`.
//!
//! Both desugar into sets of primitive comparators (`<`, `<=`, `>`, `>=`, `=`), OR-ed
//! together. Both also apply the pre-release rule: a version with a pre-release tag
//! only satisfies a set if one of its comparators names a pre-release of the same
//! `major.minor.patch` (so `^1.2.0` does not match `1.3.0-beta`, but `>=1.3.0-beta.1`
//! matches `1.3.0-beta.2`).

use crate::num::Num;
use crate::semver::{Ident, Version};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

#[derive(Debug, Clone)]
pub(crate) struct Comparator {
    op: Op,
    v: Version,
    /// Whether this comparator lets pre-releases of its own `major.minor.patch` in.
    allows_pre: bool,
}

impl Comparator {
    fn new(op: Op, v: Version) -> Comparator {
        let allows_pre = v.is_prerelease();
        Comparator { op, v, allows_pre }
    }
    fn test(&self, v: &Version) -> bool {
        match self.op {
            Op::Lt => v < &self.v,
            Op::Le => v <= &self.v,
            Op::Gt => v > &self.v,
            Op::Ge => v >= &self.v,
            Op::Eq => v == &self.v,
        }
    }
}

/// A disjunction of comparator sets.
#[derive(Debug, Clone)]
pub struct SemverRange {
    sets: Vec<Vec<Comparator>>,
}

impl SemverRange {
    pub fn matches(&self, v: &Version) -> bool {
        self.sets.iter().any(|set| {
            set.iter().all(|c| c.test(v))
                && (!v.is_prerelease()
                    || set
                        .iter()
                        .any(|c| c.allows_pre && c.v.is_prerelease() && c.v.same_triple(v)))
        })
    }
}

/// A version with possibly missing (wildcard) components.
#[derive(Debug, Clone)]
struct Partial {
    major: Option<Num>,
    minor: Option<Num>,
    patch: Option<Num>,
    pre: Vec<Ident>,
}

impl Partial {
    fn parse(s: &str) -> Result<Partial, String> {
        let s = s.trim_start_matches(['v', 'V', '=']);
        let (core, build) = match s.split_once('+') {
            Some((c, b)) => (c, Some(b)),
            None => (s, None),
        };
        let (core, pre) = match core.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (core, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 3 || core.is_empty() {
            return Err(format!("{s:?} is not a version"));
        }
        let mut out: [Option<Num>; 3] = [None, None, None];
        let mut wild = false;
        for (i, p) in parts.iter().enumerate() {
            if matches!(*p, "x" | "X" | "*") {
                wild = true;
                continue;
            }
            // Range grammars are strict: no leading zeros (`>01.2.3` is not a range).
            if p.is_empty()
                || !p.bytes().all(|c| c.is_ascii_digit())
                || (p.len() > 1 && p.starts_with('0'))
            {
                return Err(format!("{s:?} is not a version"));
            }
            // After a wildcard everything is a wildcard (`1.x.3` == `1.x`).
            if !wild {
                out[i] = Some(Num::from_digits(p.as_bytes()));
            }
        }
        let full = out.iter().all(Option::is_some);
        if (pre.is_some() || build.is_some()) && !full {
            return Err(format!("{s:?}: pre-release or build on a partial version"));
        }
        let pre = match pre {
            Some(p) => crate::semver::parse_pre(p, true).map_err(|e| format!("{s:?}: {e}"))?,
            None => Vec::new(),
        };
        let [major, minor, patch] = out;
        Ok(Partial {
            major,
            minor,
            patch,
            pre,
        })
    }

    fn full(&self) -> Option<Version> {
        Some(Version::new(
            self.major.clone()?,
            self.minor.clone()?,
            self.patch.clone()?,
            self.pre.clone(),
        ))
    }
}

fn v3(a: &Num, b: &Num, c: &Num) -> Version {
    Version::new(a.clone(), b.clone(), c.clone(), Vec::new())
}
/// `M.m.p-0`: the lowest pre-release, used as an exclusive upper bound.
fn v3_0(a: &Num, b: &Num, c: &Num) -> Version {
    Version::new(
        a.clone(),
        b.clone(),
        c.clone(),
        vec![Ident::Numeric(Num::zero())],
    )
}

fn nothing() -> Vec<Comparator> {
    let z = Num::zero();
    vec![Comparator::new(Op::Lt, v3_0(&z, &z, &z))]
}
fn any() -> Vec<Comparator> {
    let z = Num::zero();
    vec![Comparator::new(Op::Ge, v3(&z, &z, &z))]
}

const OPS: [&str; 8] = ["~>", ">=", "<=", "~", "^", ">", "<", "="];

fn split_op(tok: &str) -> (&str, &str) {
    for op in OPS {
        if let Some(rest) = tok.strip_prefix(op) {
            return (op, rest.trim_start());
        }
    }
    ("", tok)
}

/// Split a comparator set into tokens, gluing a lone operator to the next token
/// (`>= 1.2.3` is one comparator).
fn tokens(s: &str) -> Vec<String> {
    crate::lex::glued_tokens(s, char::is_whitespace, |t| OPS.contains(&t))
}

/// node-semver's desugaring of one primitive/tilde/caret/x-range comparator.
fn npm_comparator(tok: &str) -> Result<Vec<Comparator>, String> {
    let (op, rest) = split_op(tok);
    if rest.is_empty() {
        return Err(format!("operator {op:?} without a version"));
    }
    let p = Partial::parse(rest)?;
    let z = Num::zero();
    let mut out = Vec::new();
    match op {
        "~" | "~>" => match (&p.major, &p.minor, &p.patch) {
            (None, _, _) => return Ok(any()),
            (Some(mj), None, _) => {
                out.push(Comparator::new(Op::Ge, v3(mj, &z, &z)));
                out.push(Comparator::new(Op::Lt, v3_0(&mj.succ(), &z, &z)));
            }
            (Some(mj), Some(mn), None) => {
                out.push(Comparator::new(Op::Ge, v3(mj, mn, &z)));
                out.push(Comparator::new(Op::Lt, v3_0(mj, &mn.succ(), &z)));
            }
            (Some(mj), Some(mn), Some(_)) => {
                out.push(Comparator::new(Op::Ge, p.full().ok_or("internal")?));
                out.push(Comparator::new(Op::Lt, v3_0(mj, &mn.succ(), &z)));
            }
        },
        "^" => match (&p.major, &p.minor, &p.patch) {
            (None, _, _) => return Ok(any()),
            (Some(mj), None, _) => {
                out.push(Comparator::new(Op::Ge, v3(mj, &z, &z)));
                out.push(Comparator::new(Op::Lt, v3_0(&mj.succ(), &z, &z)));
            }
            (Some(mj), Some(mn), None) => {
                out.push(Comparator::new(Op::Ge, v3(mj, mn, &z)));
                if mj.is_zero() {
                    out.push(Comparator::new(Op::Lt, v3_0(mj, &mn.succ(), &z)));
                } else {
                    out.push(Comparator::new(Op::Lt, v3_0(&mj.succ(), &z, &z)));
                }
            }
            (Some(mj), Some(mn), Some(pt)) => {
                out.push(Comparator::new(Op::Ge, p.full().ok_or("internal")?));
                let upper = if !mj.is_zero() {
                    v3_0(&mj.succ(), &z, &z)
                } else if !mn.is_zero() {
                    v3_0(mj, &mn.succ(), &z)
                } else {
                    v3_0(mj, mn, &pt.succ())
                };
                out.push(Comparator::new(Op::Lt, upper));
            }
        },
        _ => {
            let gtlt = match op {
                "" | "=" => None,
                ">" => Some(Op::Gt),
                ">=" => Some(Op::Ge),
                "<" => Some(Op::Lt),
                _ => Some(Op::Le),
            };
            if let Some(v) = p.full() {
                out.push(Comparator::new(gtlt.unwrap_or(Op::Eq), v));
                return Ok(out);
            }
            let Some(mj) = &p.major else {
                return Ok(if matches!(gtlt, Some(Op::Gt) | Some(Op::Lt)) {
                    nothing()
                } else {
                    any()
                });
            };
            match (gtlt, &p.minor) {
                (None, None) => {
                    out.push(Comparator::new(Op::Ge, v3(mj, &z, &z)));
                    out.push(Comparator::new(Op::Lt, v3_0(&mj.succ(), &z, &z)));
                }
                (None, Some(mn)) => {
                    out.push(Comparator::new(Op::Ge, v3(mj, mn, &z)));
                    out.push(Comparator::new(Op::Lt, v3_0(mj, &mn.succ(), &z)));
                }
                (Some(op), mn) => {
                    let (mut m_j, mut m_n) = (mj.clone(), mn.clone().unwrap_or_default());
                    let xm = mn.is_none();
                    let op = match op {
                        Op::Gt => {
                            if xm {
                                m_j = m_j.succ();
                                m_n = Num::zero();
                            } else {
                                m_n = m_n.succ();
                            }
                            Op::Ge
                        }
                        Op::Le => {
                            if xm {
                                m_j = m_j.succ();
                            } else {
                                m_n = m_n.succ();
                            }
                            Op::Lt
                        }
                        o => o,
                    };
                    let v = if op == Op::Lt {
                        v3_0(&m_j, &m_n, &z)
                    } else {
                        v3(&m_j, &m_n, &z)
                    };
                    out.push(Comparator::new(op, v));
                }
            }
        }
    }
    Ok(out)
}

fn npm_hyphen(from: &str, to: &str) -> Result<Vec<Comparator>, String> {
    let z = Num::zero();
    let f = Partial::parse(from)?;
    let t = Partial::parse(to)?;
    let mut out = Vec::new();
    match (&f.major, &f.minor, &f.patch) {
        (None, _, _) => {}
        (Some(mj), None, _) => out.push(Comparator::new(Op::Ge, v3(mj, &z, &z))),
        (Some(mj), Some(mn), None) => out.push(Comparator::new(Op::Ge, v3(mj, mn, &z))),
        _ => out.push(Comparator::new(Op::Ge, f.full().ok_or("internal")?)),
    }
    match (&t.major, &t.minor, &t.patch) {
        (None, _, _) => {}
        (Some(mj), None, _) => out.push(Comparator::new(Op::Lt, v3_0(&mj.succ(), &z, &z))),
        (Some(mj), Some(mn), None) => out.push(Comparator::new(Op::Lt, v3_0(mj, &mn.succ(), &z))),
        _ => out.push(Comparator::new(Op::Le, t.full().ok_or("internal")?)),
    }
    if out.is_empty() {
        return Ok(any());
    }
    Ok(out)
}

/// Parse a node-semver range (`^1.2 || >=2.0.0 <3`, `1.2.3 - 2.3`, `~1.2.x`, `*`).
pub fn parse_npm(s: &str) -> Result<SemverRange, String> {
    let mut sets = Vec::new();
    for alt in s.split("||") {
        let toks: Vec<&str> = alt.split_whitespace().collect();
        let mut set = Vec::new();
        if let Some(h) = toks.iter().position(|t| *t == "-") {
            if toks.len() != 3 || h != 1 {
                return Err(format!("malformed hyphen range {alt:?}"));
            }
            set = npm_hyphen(toks[0], toks[2])?;
        } else {
            for t in tokens(alt) {
                set.extend(npm_comparator(&t)?);
            }
            if set.is_empty() {
                set = any();
            }
        }
        sets.push(set);
    }
    Ok(SemverRange { sets })
}

/// Parse a cargo `VersionReq` (`^1.2`, `>=1.2, <1.5`, `~1`, `=1.2.3`, `1.*`, `*`).
pub fn parse_cargo(s: &str) -> Result<SemverRange, String> {
    let mut sets = Vec::new();
    for alt in s.split("||") {
        let mut set = Vec::new();
        for part in alt.split(',') {
            let part = part.trim();
            if part.is_empty() {
                if alt.trim().is_empty() {
                    continue;
                }
                return Err("empty comparator".into());
            }
            let (op, rest) = split_op(part);
            if rest.is_empty() {
                return Err(format!("{part:?} has no version"));
            }
            if rest.contains(char::is_whitespace) {
                return Err(format!("{part:?}: comparators must be separated by commas"));
            }
            if rest.starts_with(['v', 'V', '=']) {
                return Err(format!("{part:?} is not a version"));
            }
            let p = Partial::parse(rest)?;
            // Only a full version with a pre-release opens the door to pre-releases.
            let pre_ok = p.full().is_some_and(|v| v.is_prerelease());
            let op = match op {
                "" => "^",
                "~>" => return Err("~> is not cargo syntax".into()),
                o => o,
            };
            let mut cs = match (op, p.full()) {
                ("=", Some(v)) => vec![Comparator::new(Op::Eq, v)],
                // Cargo's partial `=`, `<`, `<=`, `>`, `>=`, `~`, `^` mean the same ranges
                // as node-semver's for them.
                _ => npm_comparator(&format!("{op}{rest}"))?,
            };
            for c in &mut cs {
                c.allows_pre = pre_ok;
            }
            set.extend(cs);
        }
        if set.is_empty() {
            set = any();
        }
        sets.push(set);
    }
    Ok(SemverRange { sets })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npm(r: &str, v: &str) -> bool {
        parse_npm(r)
            .unwrap_or_else(|e| panic!("{r}: {e}"))
            .matches(&Version::parse_loose(v).unwrap())
    }
    fn cargo(r: &str, v: &str) -> bool {
        parse_cargo(r)
            .unwrap_or_else(|e| panic!("{r}: {e}"))
            .matches(&Version::parse(v).unwrap())
    }

    #[test]
    fn npm_ranges() {
        let table = [
            ("^1.2", "1.9.0", true),
            ("^1.2", "2.0.0", false),
            ("^1.2 || >=2.0.0 <3", "2.5.0", true),
            ("^1.2 || >=2.0.0 <3", "3.0.0", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("^0.0.3", "0.0.4", false),
            ("^0.0", "0.0.9", true),
            ("^0.0", "0.1.0", false),
            ("~1.2.3", "1.2.9", true),
            ("~1.2.3", "1.3.0", false),
            ("~1", "1.9.9", true),
            ("1.2.x", "1.2.7", true),
            ("1.2.x", "1.3.0", false),
            ("1.X", "1.9.0", true),
            ("*", "9.9.9", true),
            ("", "0.0.1", true),
            ("1.2.3 - 2.3.4", "2.3.4", true),
            ("1.2.3 - 2.3.4", "2.3.5", false),
            ("1.2 - 2.3", "2.3.9", true),
            ("1.2 - 2.3", "1.1.9", false),
            (">1.2", "1.2.9", false),
            (">1.2", "1.3.0", true),
            ("<=1.2", "1.2.9", true),
            ("<1.2", "1.1.9", true),
            ("<1.2", "1.2.0", false),
            (">= 1.2.3", "1.2.3", true),
            ("=1.2.3", "1.2.3", true),
            ("v1.2.3", "1.2.3", true),
            ("1.2.3", "1.2.4", false),
            ("<*", "0.0.0", false),
            // the pre-release rule
            ("^1.2.0", "1.3.0-beta", false),
            (">=1.3.0-beta.1", "1.3.0-beta.2", true),
            (">=1.3.0-beta.1", "1.4.0-beta.2", false),
            ("<2.0.0", "2.0.0-rc.1", false),
            ("^1.2.3-beta.2", "1.2.3-beta.4", true),
            ("^1.2.3-beta.2", "1.2.4-beta.2", false),
            ("~1.2.3-beta.2", "1.2.3-beta.4", true),
        ];
        for (r, v, want) in table {
            assert_eq!(npm(r, v), want, "{v} in {r:?}");
        }
        for bad in ["1.2.3 - ", ">=", "1.2.3.4", "^a", "1 - 2 - 3"] {
            assert!(parse_npm(bad).is_err(), "{bad:?}");
        }
    }

    /// Behaviour pinned by node-semver's own include/exclude fixtures (strict mode,
    /// pre-releases not included by default).
    #[test]
    fn node_semver_fixture_behaviour() {
        let include = [
            ("1.0.0 - 2.0.0", "1.2.3"),
            ("^1.2.3+build", "1.3.0"),
            ("1.2.3-pre+asdf - 2.4.3-pre+asdf", "1.2.3-pre.2"),
            ("1.2.3-pre+asdf - 2.4.3-pre+asdf", "2.4.3-alpha"),
            (">=*", "0.2.4"),
            ("<=2.0.0", "1.9999.9999"),
            ("<\t2.0.0", "0.2.9"),
            (">=0.2.3 || <0.0.1", "0.0.0"),
            ("||", "1.3.4"),
            ("2.*.*", "2.1.3"),
            ("1.2.* || 2.*", "1.2.3"),
            ("~x", "0.0.9"),
            ("~>3.2.1", "3.2.2"),
            ("~> 1", "1.2.3"),
            ("~ 1.0.3", "1.0.12"),
            ("~v0.5.4-pre", "0.5.4"),
            ("<=0.7.x", "0.7.2"),
            ("~1.2.1 >=1.2.3 1.2.3", "1.2.3"),
            ("^1.2 ^1", "1.4.2"),
            ("^1.2.3-alpha", "1.2.3-pre"),
            ("^0.0.1-alpha", "0.0.1-beta"),
            ("^0.1.1-alpha", "0.1.1-beta"),
            ("^x", "1.2.3"),
            ("x - 1.x", "0.9.7"),
            ("1.x - x", "1.9.7"),
            ("<=7.x", "7.9.9"),
        ];
        for (r, v) in include {
            assert!(npm(r, v), "{v} should be in {r:?}");
        }
        let exclude = [
            ("1.2.3+asdf - 2.4.3+asdf", "1.2.3-pre.2"),
            ("^1.2.3+build", "1.2.0"),
            ("^1.2", "1.2.0-pre"),
            (">1.2", "1.3.0-beta"),
            ("<=1.2.3", "1.2.3-beta"),
            ("=0.7.x", "0.7.0-asdf"),
            (">=0.7.x", "0.7.0-asdf"),
            (">=0.2.3 || <0.0.1", "0.0.3"),
            ("~0.0.1", "0.1.0-alpha"),
            ("~>3.2.1", "3.2.0"),
            ("~1.0", "1.1.0"),
            ("~v0.5.4-beta", "0.5.4-alpha"),
            ("<0.7.x", "0.7.2"),
            ("=1.2.3", "1.2.3-beta"),
            (">1.2", "1.2.8"),
            ("^0.0.1", "0.0.2-alpha"),
            ("^1.2.3", "2.0.0-alpha"),
            ("^1.0.0", "2.0.0-rc1"),
        ];
        for (r, v) in exclude {
            assert!(!npm(r, v), "{v} should not be in {r:?}");
        }
    }

    #[test]
    fn cargo_reqs() {
        let table = [
            ("1.2.3", "1.9.0", true),
            ("1.2.3", "2.0.0", false),
            ("^0.1.2", "0.1.9", true),
            ("^0.1.2", "0.2.0", false),
            ("^0.0.1", "0.0.2", false),
            ("~1.2", "1.2.9", true),
            ("~1.2", "1.3.0", false),
            ("=1.2.3", "1.2.3", true),
            ("=1.2", "1.2.7", true),
            (">=1.2, <1.5", "1.4.9", true),
            (">=1.2, <1.5", "1.5.0", false),
            (">= 0.4.2, < 0.5.0", "0.4.3", true),
            ("1.*", "1.7.0", true),
            ("*", "0.0.0", true),
            ("<1.2.3", "1.2.3-alpha", false),
            (">=1.2.3-alpha.1", "1.2.3-alpha.2", true),
            ("=1.2.3-alpha.1", "1.2.3-alpha.1", true),
            (">=1.0.0", "1.0.1-beta", false),
        ];
        for (r, v, want) in table {
            assert_eq!(cargo(r, v), want, "{v} in {r:?}");
        }
        for bad in ["1.2.3 1.2.4", ">=", "v1.2.3", "~>1.2"] {
            assert!(parse_cargo(bad).is_err(), "{bad:?}");
        }
    }
}
