//! Constraint strings as advisories and manifests write them.
//!
//! | scheme | grammar |
//! |---|---|
//! | npm | node-semver ranges (`^1.2 \|\| >=2.0.0 <3`, `1.2.3 - 2`, `~1.2.x`); a string with commas is read as a GHSA range (`>= 1.0.0, < 1.2.3`) with plain ordering |
//! | semver (cargo) | cargo `VersionReq` (`^1.2`, `>=1.2, <1.5`, `~1`, `=1.2.3`, `1.*`) |
//! | pep440 | PEP 440 specifier sets (`~=1.4.2, !=1.4.5`, `==1.4.*`, `===x`) |
//! | maven, nuget | interval notation (`[1.0,2.0)`, `(,1.0],[1.2,)`, `[1.0]`); otherwise comparators |
//! | composer | Composer constraints (`^1.2\|~2.0`, `>=1.0 <2.0`, `1.0.*`, `1.0 - 2.0`) |
//! | rubygems | comparators plus `~> 2.3` |
//! | others | comparators: `< 1.2.3`, `>= 1.0, < 2.0`, `= 1.0`, `!= 1.1` (dpkg also `<<` `>>`) |
//!
//! In comparator lists `,` and blanks mean AND and `||` means OR. A bare version means
//! `=` (NuGet: `>=`, as NuGet reads it). For RPM, `=`/`<`/… compare the release only
//! when both sides have one, as rpm does for dependencies.

use std::cmp::Ordering;

use crate::composer;
use crate::num::Num;
use crate::pep440::SpecifierSet;
use crate::range::{self, SemverRange};
use crate::{Scheme, Version, VersionError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Debug, Clone)]
struct Cmp {
    op: Op,
    v: Version,
}

impl Cmp {
    fn test(&self, v: &Version) -> bool {
        let o = match (v.inner_rpm(), self.v.inner_rpm()) {
            (Some(a), Some(b)) => a.cmp_rpm(b),
            _ => v.cmp(&self.v),
        };
        match self.op {
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
            Op::Eq => o == Ordering::Equal,
            Op::Ne => o != Ordering::Equal,
        }
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Semver(SemverRange),
    Pep440(SpecifierSet),
    /// OR of AND-ed comparators.
    Cmps(Vec<Vec<Cmp>>),
}

/// A parsed constraint for one scheme.
#[derive(Debug, Clone)]
pub struct Constraint {
    scheme: Scheme,
    kind: Kind,
}

/// Whether `version` satisfies `constraint`, both read under `scheme`.
pub fn satisfies(scheme: Scheme, version: &str, constraint: &str) -> Result<bool, VersionError> {
    let c = Constraint::parse(scheme, constraint)?;
    let v = Version::parse(scheme, version)?;
    Ok(c.matches(&v))
}

impl Constraint {
    pub fn parse(scheme: Scheme, s: &str) -> Result<Constraint, VersionError> {
        let err = |e: String| VersionError::constraint(scheme, s, e);
        if s.len() > 4 * crate::MAX_VERSION_LEN {
            return Err(err("constraint is longer than 4096 bytes".into()));
        }
        let kind = match scheme {
            Scheme::Npm if !s.contains(',') => Kind::Semver(range::parse_npm(s).map_err(err)?),
            Scheme::Semver => Kind::Semver(range::parse_cargo(s).map_err(err)?),
            Scheme::Pep440 => Kind::Pep440(SpecifierSet::parse(s).map_err(err)?),
            Scheme::Maven | Scheme::NuGet if s.trim_start().starts_with(['[', '(']) => {
                Kind::Cmps(parse_intervals(scheme, s)?)
            }
            Scheme::Composer => Kind::Cmps(parse_composer(s).map_err(err)?),
            _ => Kind::Cmps(parse_comparators(scheme, s)?),
        };
        Ok(Constraint { scheme, kind })
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether `v` satisfies the constraint. A version of another scheme never does.
    pub fn matches(&self, v: &Version) -> bool {
        if v.scheme() != self.scheme {
            return false;
        }
        match &self.kind {
            Kind::Semver(r) => v.inner_semver().is_some_and(|x| r.matches(x)),
            Kind::Pep440(set) => v.inner_pep440().is_some_and(|x| set.contains(x)),
            Kind::Cmps(alts) => alts.iter().any(|set| set.iter().all(|c| c.test(v))),
        }
    }
}

const OPS: [(&str, Op); 12] = [
    ("<<", Op::Lt),
    (">>", Op::Gt),
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("==", Op::Eq),
    ("!=", Op::Ne),
    ("<>", Op::Ne),
    ("=<", Op::Le),
    ("=>", Op::Ge),
    ("<", Op::Lt),
    (">", Op::Gt),
    ("=", Op::Eq),
];

fn split_op(tok: &str) -> (Option<&'static str>, &str) {
    // RubyGems' pessimistic operator; it has no single `Op`.
    if let Some(rest) = tok.strip_prefix("~>") {
        return (Some("~>"), rest.trim_start());
    }
    for (o, _) in OPS {
        if let Some(rest) = tok.strip_prefix(o) {
            return (Some(o), rest.trim_start());
        }
    }
    (None, tok)
}

fn op_of(s: &str) -> Op {
    OPS.iter()
        .find(|(o, _)| *o == s)
        .map_or(Op::Eq, |(_, op)| *op)
}

/// Split on blanks and commas, gluing a lone operator to the next token.
fn tokens(s: &str) -> Vec<String> {
    crate::lex::glued_tokens(
        s,
        |c| c == ',' || c.is_whitespace(),
        |t| t == "~>" || OPS.iter().any(|(o, _)| *o == t),
    )
}

fn parse_comparators(scheme: Scheme, s: &str) -> Result<Vec<Vec<Cmp>>, VersionError> {
    let err = |e: String| VersionError::constraint(scheme, s, e);
    let mut alts = Vec::new();
    for alt in s.split("||") {
        let mut set = Vec::new();
        let toks = tokens(alt);
        if toks.is_empty() {
            return Err(err("empty constraint".into()));
        }
        for tok in toks {
            let (op, rest) = split_op(&tok);
            if rest.is_empty() {
                return Err(err(format!("{tok:?} has no version")));
            }
            if op == Some("~>") {
                if scheme != Scheme::RubyGems {
                    return Err(err("~> is only defined for rubygems".into()));
                }
                let v = Version::parse(scheme, rest)?;
                let bumped = v.inner_rubygems().map(|g| g.bump());
                set.push(Cmp { op: Op::Ge, v });
                if let Some(b) = bumped {
                    let raw = crate::rubygems::join_segments(&b.segments);
                    set.push(Cmp {
                        op: Op::Lt,
                        v: Version::parse(scheme, &raw)?,
                    });
                }
                continue;
            }
            if matches!(op, Some("<<" | ">>")) && scheme != Scheme::Dpkg {
                return Err(err(format!("{tok:?}: << and >> are dpkg operators")));
            }
            let op = match op {
                Some(o) => op_of(o),
                None if scheme == Scheme::NuGet => Op::Ge,
                None => Op::Eq,
            };
            set.push(Cmp {
                op,
                v: Version::parse_bound(scheme, rest)?,
            });
        }
        alts.push(set);
    }
    Ok(alts)
}

/// Maven / NuGet interval notation: `[1.0,2.0)`, `(,1.0],[1.2,)`, `[1.0]`.
fn parse_intervals(scheme: Scheme, s: &str) -> Result<Vec<Vec<Cmp>>, VersionError> {
    let err = |e: &str| VersionError::constraint(scheme, s, e);
    let mut alts = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let open = rest.chars().next().ok_or_else(|| err("empty interval"))?;
        if open != '[' && open != '(' {
            return Err(err("interval must start with [ or ("));
        }
        let close_at = rest
            .find([']', ')'])
            .ok_or_else(|| err("unclosed interval"))?;
        let close = rest[close_at..].chars().next().unwrap_or(')');
        let body = &rest[1..close_at];
        let mut set = Vec::new();
        match body.split_once(',') {
            None => {
                if open != '[' || close != ']' || body.trim().is_empty() {
                    return Err(err("a single version must be written [v]"));
                }
                set.push(Cmp {
                    op: Op::Eq,
                    v: Version::parse(scheme, body.trim())?,
                });
            }
            Some((lo, hi)) => {
                let (lo, hi) = (lo.trim(), hi.trim());
                if hi.contains(',') {
                    return Err(err("an interval has at most two bounds"));
                }
                if !lo.is_empty() {
                    let op = if open == '[' { Op::Ge } else { Op::Gt };
                    set.push(Cmp {
                        op,
                        v: Version::parse(scheme, lo)?,
                    });
                }
                if !hi.is_empty() {
                    let op = if close == ']' { Op::Le } else { Op::Lt };
                    set.push(Cmp {
                        op,
                        v: Version::parse(scheme, hi)?,
                    });
                }
            }
        }
        alts.push(set);
        rest = rest[close_at + 1..].trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
            if rest.is_empty() {
                return Err(err("trailing comma"));
            }
        } else if !rest.is_empty() {
            return Err(err("intervals must be separated by commas"));
        }
        if scheme == Scheme::NuGet && !rest.is_empty() {
            return Err(err("nuget ranges have a single interval"));
        }
    }
    Ok(alts)
}

// ---- Composer ----------------------------------------------------------------------

fn composer_version(v: composer::Version) -> Version {
    Version::from_composer(v)
}

/// Numbers written in a Composer constraint operand: up to four, each a number or a
/// wildcard; `None` for a wildcard.
fn composer_parts(s: &str) -> Option<(Vec<Option<Num>>, &str)> {
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let mut parts = Vec::new();
    let mut rest = s;
    loop {
        let d = rest.bytes().take_while(u8::is_ascii_digit).count();
        if d > 0 {
            parts.push(Some(Num::from_digits(&rest.as_bytes()[..d])));
            rest = &rest[d..];
        } else if rest.starts_with(['x', 'X', '*']) && !parts.is_empty() {
            parts.push(None);
            rest = &rest[1..];
        } else {
            return None;
        }
        if parts.len() < 4 && rest.starts_with('.') && rest.len() > 1 {
            rest = &rest[1..];
        } else {
            break;
        }
    }
    Some((parts, rest))
}

fn bump_at(parts: &[Option<Num>], position: usize) -> [Num; 4] {
    // Keep numbers before `position`, increment the one at it, zero the rest
    // (Composer's manipulateVersionString with position 1..=4).
    let mut out: [Num; 4] = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        let cur = parts.get(i).cloned().flatten().unwrap_or_default();
        *slot = match (i + 1).cmp(&position) {
            Ordering::Less => cur,
            Ordering::Equal => cur.succ(),
            Ordering::Greater => Num::zero(),
        };
    }
    out
}

fn floor_at(parts: &[Option<Num>], position: usize) -> [Num; 4] {
    let mut out: [Num; 4] = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        if i < position {
            *slot = parts.get(i).cloned().flatten().unwrap_or_default();
        }
    }
    out
}

fn parse_composer(s: &str) -> Result<Vec<Vec<Cmp>>, String> {
    let mut alts = Vec::new();
    // `|` and `||` both mean OR; anything else (`|||`, an empty side) is refused.
    for alt in s.replace("||", "|").split('|') {
        let alt = alt.trim();
        if alt.is_empty() {
            return Err("empty alternative".into());
        }
        let compact: String = alt.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.starts_with(',') || compact.ends_with(',') || compact.contains(",,") {
            return Err("empty comparator between commas".into());
        }
        let words: Vec<&str> = alt.split_whitespace().collect();
        let mut set = Vec::new();
        if words.len() == 3 && words[1] == "-" {
            set.extend(composer_hyphen(words[0], words[2])?);
        } else {
            for tok in tokens(alt) {
                set.extend(composer_atom(&tok)?);
            }
        }
        alts.push(set);
    }
    if alts.is_empty() {
        return Err("empty constraint".into());
    }
    Ok(alts)
}

/// Whether a Composer operand spells out a stability (`-stable`, `RC1`, `-dev`, …).
fn written_stability(s: &str) -> bool {
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    s.split_once('+')
        .map_or(s, |(c, _)| c)
        .bytes()
        .any(|c| c.is_ascii_alphabetic())
}

fn parse_cv(s: &str) -> Result<composer::Version, String> {
    composer::Version::parse(s).map_err(|e| format!("{s:?}: {e}"))
}

fn composer_atom(tok: &str) -> Result<Vec<Cmp>, String> {
    // Stability flags (`1.0@dev`) only steer Composer's solver; they do not change
    // which versions a constraint matches here.
    let tok = tok.split_once('@').map_or(tok, |(v, _)| v);
    let any = tok.strip_prefix(['v', 'V']).unwrap_or(tok);
    if !any.is_empty() && any.split('.').all(|p| matches!(p, "*" | "x" | "X")) {
        return Ok(Vec::new());
    }
    if let Some(rest) = tok.strip_prefix('^').or_else(|| tok.strip_prefix('~')) {
        if rest.starts_with('>') {
            return Err("~> is not composer syntax".into());
        }
        let caret = tok.starts_with('^');
        let low = parse_cv(rest)?;
        let (parts, _) =
            composer_parts(rest).ok_or_else(|| format!("{rest:?} is not a version"))?;
        let n = parts.len();
        let position = if caret {
            let z = |i: usize| parts.get(i).cloned().flatten().is_some_and(|x| x.is_zero());
            if !z(0) || n < 2 {
                1
            } else if !z(1) || n < 3 {
                2
            } else {
                3
            }
        } else {
            n.saturating_sub(1).max(1)
        };
        let high = composer::Version::dev_of(bump_at(&parts, position));
        return Ok(vec![
            Cmp {
                op: Op::Ge,
                v: composer_version(if written_stability(rest) {
                    low
                } else {
                    low.with_dev_floor()
                }),
            },
            Cmp {
                op: Op::Lt,
                v: composer_version(high),
            },
        ]);
    }
    let (op, rest) = split_op(tok);
    if op == Some("~>") || op == Some("<<") || op == Some(">>") {
        return Err(format!("{tok:?}: unknown operator"));
    }
    if rest.is_empty() {
        return Err(format!("{tok:?} has no version"));
    }
    // Wildcards: 1.2.* / 1.2.x
    if op.is_none() || op == Some("=") || op == Some("==") {
        if let Some((parts, tail)) = composer_parts(rest) {
            if tail.is_empty() && parts.iter().any(Option::is_none) {
                let position = parts.iter().take_while(|p| p.is_some()).count();
                let low = composer::Version::dev_of(floor_at(&parts, position));
                let high = composer::Version::dev_of(bump_at(&parts, position));
                let mut out = Vec::new();
                if position > 0 {
                    out.push(Cmp {
                        op: Op::Ge,
                        v: composer_version(low),
                    });
                    out.push(Cmp {
                        op: Op::Lt,
                        v: composer_version(high),
                    });
                }
                return Ok(out);
            }
        }
    }
    let op = op.map_or(Op::Eq, op_of);
    let mut v = parse_cv(rest)?;
    // Composer reads `<1.2` and `>=1.2` as `< 1.2.0.0-dev` / `>= 1.2.0.0-dev`, unless a
    // stability is written (`<1.2-stable` stays exact).
    if matches!(op, Op::Lt | Op::Ge) && v.is_stable_exact() && !written_stability(rest) {
        v = v.with_dev_floor();
    }
    Ok(vec![Cmp {
        op,
        v: composer_version(v),
    }])
}

fn composer_hyphen(from: &str, to: &str) -> Result<Vec<Cmp>, String> {
    let low = parse_cv(from)?;
    let high = parse_cv(to)?;
    let (parts, tail) = composer_parts(to).ok_or_else(|| format!("{to:?} is not a version"))?;
    let upper = if parts.len() >= 3 || !tail.is_empty() {
        Cmp {
            op: Op::Le,
            v: composer_version(high),
        }
    } else {
        Cmp {
            op: Op::Lt,
            v: composer_version(composer::Version::dev_of(bump_at(&parts, parts.len()))),
        }
    };
    Ok(vec![
        Cmp {
            op: Op::Ge,
            v: composer_version(if written_stability(from) {
                low
            } else {
                low.with_dev_floor()
            }),
        },
        upper,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(scheme: Scheme, v: &str, c: &str) -> bool {
        satisfies(scheme, v, c).unwrap_or_else(|e| panic!("{v} {c}: {e}"))
    }

    #[test]
    fn comparator_lists() {
        use Scheme::*;
        let table = [
            (Dpkg, "1.2.3-1", "< 1.2.3-2", true),
            (Dpkg, "1.2.3-1", "<< 1.2.3-1", false),
            (Dpkg, "1.2.3-1", ">= 1.0, < 2.0", true),
            (Apk, "1.1.1k-r0", "<1.1.1l-r0", true),
            (Rpm, "1.0-5.el8", "= 1.0", true),
            (Rpm, "1.0-5.el8", "< 1.0-6.el8", true),
            (Go, "v1.2.3", ">= 1.0.0, < 1.2.4", true),
            (Go, "v1.2.4", ">= 1.0.0, < 1.2.4", false),
            (Npm, "1.2.3-beta", ">= 1.0.0, < 1.2.3", true), // GHSA: plain ordering
            (Npm, "0.1.9", ">= 0.1, < 0.2", true),
            (Maven, "2.14.1", ">= 2.0-beta9, < 2.15.0", true),
            (Maven, "2.15.0", "< 2.15.0", false),
            (RubyGems, "2.3.9", "~> 2.3", true),
            (RubyGems, "3.0", "~> 2.3", false),
            (RubyGems, "2.4.0", "~> 2.3.1", false),
            (RubyGems, "2.3.5", "~> 2.3.1", true),
            (RubyGems, "1.0", "!= 1.0.0", false),
            (Generic, "1.0a", "> 1.0, || = 0.5", true),
            (NuGet, "1.5.0", "1.0", true),
            (NuGet, "0.9.0", "1.0", false),
        ];
        for (s, v, c, want) in table {
            assert_eq!(sat(s, v, c), want, "{s} {v} in {c:?}");
        }
    }

    #[test]
    fn intervals() {
        use Scheme::*;
        let table = [
            (Maven, "1.5", "[1.0,2.0)", true),
            (Maven, "2.0", "[1.0,2.0)", false),
            (Maven, "1.0", "(1.0,2.0]", false),
            (Maven, "2.0", "(1.0,2.0]", true),
            (Maven, "1.1", "(,1.0],[1.2,)", false),
            (Maven, "1.3", "(,1.0],[1.2,)", true),
            (Maven, "1.0.0", "[1.0]", true),
            (NuGet, "1.5.0", "[1.0,2.0)", true),
            (NuGet, "2.0.0", "[1.0, 2.0)", false),
        ];
        for (s, v, c, want) in table {
            assert_eq!(sat(s, v, c), want, "{s} {v} in {c:?}");
        }
        for bad in ["[1.0", "[1.0,2.0", "[,]x", "(1.0)", "[1.0,2.0),", "[1,2,3]"] {
            assert!(Constraint::parse(Maven, bad).is_err(), "{bad:?}");
        }
        assert!(Constraint::parse(NuGet, "[1.0,2.0),[3.0,)").is_err());
    }

    #[test]
    fn composer_constraints() {
        let table = [
            ("1.2.5", "^1.2|~2.0", true),
            ("2.5.0", "^1.2|~2.0", true),
            ("3.0.0", "^1.2|~2.0", false),
            ("1.2.3", "~1.2.3", true),
            ("1.3.0", "~1.2.3", false),
            ("0.3.9", "^0.3", true),
            ("0.4.0", "^0.3", false),
            ("1.0.9", "1.0.*", true),
            ("1.1.0", "1.0.*", false),
            ("1.5.0", ">=1.0 <2.0", true),
            ("1.5.0", ">=1.0,<1.5", false),
            ("1.5.0-beta1", "<1.5", false), // < 1.5.0.0-dev
            ("1.5.0-beta1", ">=1.5", true), // >= 1.5.0.0-dev
            ("2.0.5", "1.0 - 2.0", true),
            ("2.1.0", "1.0 - 2.0", false),
            ("2.1.0", "1.0.0 - 2.1.0", true),
            ("5.4.2", "v5.4.2", true),
            ("5.4.2", "!=5.4.2", false),
            ("9.9", "*", true),
            ("1.2.0", "^1.2.0 || ^2.0", true),
        ];
        for (v, c, want) in table {
            assert_eq!(sat(Scheme::Composer, v, c), want, "{v} in {c:?}");
        }
        for bad in [
            "",
            "~>1.0",
            "foo",
            ">=",
            ">2.0,,<=3.0",
            ">2.0 ,, <=3.0",
            ">2.0 ||| <=3.0",
            "1.0.0-meh",
        ] {
            assert!(Constraint::parse(Scheme::Composer, bad).is_err(), "{bad:?}");
        }
        // bounds as Composer's own parser writes them
        let table = [
            ("v*.*", "0.0.1", true),
            ("x.X.x.*", "7.0", true),
            ("<1.2.3.4", "1.2.3.4-beta", false), // < 1.2.3.4-dev
            ("<1.2.3.4-stable", "1.2.3.4-beta", true), // < 1.2.3.4
            (">=1.2.3.4-stable", "1.2.3.4-RC1", false),
            (">=1.2.3", "1.2.3-alpha", true),
            ("<=1.2.3", "1.2.3-alpha", true),
            (">1.0.0", "1.0.0-p1", true),
            ("~1.2-beta", "1.2.0-alpha", false),
            ("~1.2-beta", "1.9.9", true),
            ("~1.2.2-stable", "1.2.2-RC1", false),
            ("~1.2.3.4", "1.2.4.0", false),
            ("~1.2.3.4", "1.2.3.9", true),
            ("^0.0.3-alpha", "0.0.3-alpha", true),
            ("^0", "0.9", true),
            ("^0", "1.0", false),
            ("^0.0", "0.1.0", false),
            ("2.1.3.*", "2.1.4", false),
            ("v1 - v2", "2.9", true),
            ("1.2-beta - 2.3-dev", "2.3.0", false),
            ("1.2.3 - 2.3.4.5", "2.3.4.5", true),
            (">2.0,<2.0.5 | >2.0.6", "2.0.5", false),
            (">2.0,<2.0.5 | >2.0.6", "2.0.7", true),
            ("  > 2.0  ,  <=  3.0 ", "3.0", true),
            ("~0.1 || ~1.0 !=1.0.1", "1.0.1", false),
            ("1.0@dev", "1.0.0", true),
        ];
        for (c, v, want) in table {
            assert_eq!(sat(Scheme::Composer, v, c), want, "{v} in {c:?}");
        }
    }

    #[test]
    fn errors_carry_context() {
        let e = satisfies(Scheme::Dpkg, "1.0", "<< 1.0 junk:").unwrap_err();
        assert!(e.to_string().contains("dpkg"), "{e}");
        assert!(satisfies(Scheme::Dpkg, "1.0", "").is_err());
        assert!(satisfies(Scheme::Npm, "1.0.0", ">=").is_err());
    }
}
