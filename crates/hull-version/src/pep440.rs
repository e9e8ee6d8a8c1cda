//! Python versions and version specifiers (PEP 440, as the `packaging` library reads them).
//!
//! Versions: `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]` with the spellings PEP 440
//! normalises (`alpha`/`beta`/`c`/`pre`/`preview`, `-`/`_`/`.` separators, implicit
//! numbers, `1.0-1` as a post-release, a leading `v`, any case). Ordering follows
//! `packaging`: epoch, release (trailing zeros ignored), then a dev-only release sorts
//! before pre-releases, pre-releases before the final, post-releases after it, dev
//! releases before their parent, and a local label after the public version.
//! Legacy (non-PEP 440) versions are errors.
//!
//! Specifier sets (`~=1.4.2, !=1.4.5`, `==1.4.*`, `===foo`) are evaluated like
//! `SpecifierSet.contains(version, prereleases=True)`: pre-releases are not filtered
//! out wholesale (a scanner must see an installed `2.0rc1`), but each operator keeps
//! its own PEP 440 rules (`<3.1` does not match `3.1.dev0`).

use std::cmp::Ordering;

use crate::num::{is_digits, Num};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PreKind {
    Alpha,
    Beta,
    Rc,
}

impl PreKind {
    fn as_str(self) -> &'static str {
        match self {
            PreKind::Alpha => "a",
            PreKind::Beta => "b",
            PreKind::Rc => "rc",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Local {
    Num(Num),
    Str(String),
}

impl Ord for Local {
    // packaging: numeric segments sort after alphanumeric ones.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Local::Num(a), Local::Num(b)) => a.cmp(b),
            (Local::Num(_), Local::Str(_)) => Ordering::Greater,
            (Local::Str(_), Local::Num(_)) => Ordering::Less,
            (Local::Str(a), Local::Str(b)) => a.cmp(b),
        }
    }
}
impl PartialOrd for Local {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A parsed PEP 440 version.
#[derive(Debug, Clone)]
pub struct Version {
    epoch: Num,
    release: Vec<Num>,
    pre: Option<(PreKind, Num)>,
    post: Option<Num>,
    dev: Option<Num>,
    local: Option<Vec<Local>>,
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn digits(&mut self) -> Option<Num> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        (self.i > start).then(|| Num::from_digits(&self.s[start..self.i]))
    }
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        let rest = &self.s[self.i..];
        let k = words.iter().position(|w| rest.starts_with(w.as_bytes()))?;
        self.i += words[k].len();
        Some(k)
    }
    fn is_sep(c: Option<u8>) -> bool {
        matches!(c, Some(b'-' | b'_' | b'.'))
    }
    /// `[-_.]?<word>` — returns the word index, consuming nothing on failure.
    fn sep_word(&mut self, words: &[&str]) -> Option<usize> {
        let save = self.i;
        if Self::is_sep(self.peek()) {
            self.i += 1;
        }
        match self.word(words) {
            Some(k) => Some(k),
            None => {
                self.i = save;
                None
            }
        }
    }
    /// `[-_.]?N` — optional number with optional separator (consumed only with digits).
    fn sep_number(&mut self) -> Option<Num> {
        let save = self.i;
        if Self::is_sep(self.peek()) {
            self.i += 1;
        }
        match self.digits() {
            Some(n) => Some(n),
            None => {
                self.i = save;
                None
            }
        }
    }
}

impl Version {
    pub fn parse(input: &str) -> Result<Version, &'static str> {
        let lower = input.trim().to_ascii_lowercase();
        let mut c = Cursor {
            s: lower.as_bytes(),
            i: 0,
        };
        if c.peek() == Some(b'v') {
            c.i += 1;
        }
        let first = c.digits().ok_or("version must start with a number")?;
        let (epoch, first) = if c.peek() == Some(b'!') {
            c.i += 1;
            (
                first,
                c.digits()
                    .ok_or("epoch must be followed by a release number")?,
            )
        } else {
            (Num::zero(), first)
        };
        let mut release = vec![first];
        while c.peek() == Some(b'.') && c.s.get(c.i + 1).is_some_and(|d| d.is_ascii_digit()) {
            c.i += 1;
            release.push(c.digits().unwrap_or_default());
        }
        // Longer spellings first: "alpha" before "a", "preview" before "pre".
        const PRE: [&str; 8] = ["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"];
        const PRE_KIND: [PreKind; 8] = [
            PreKind::Alpha,
            PreKind::Alpha,
            PreKind::Beta,
            PreKind::Beta,
            PreKind::Rc,
            PreKind::Rc,
            PreKind::Rc,
            PreKind::Rc,
        ];
        // "rc" must be tried before "r" (post), which is why pre comes first; but "rev"
        // must not be read as a pre-release "r..." — it is not in PRE, so it cannot.
        let pre = c
            .sep_word(&PRE)
            .map(|k| (PRE_KIND[k], c.sep_number().unwrap_or_default()));
        let post = if c.peek() == Some(b'-') && c.s.get(c.i + 1).is_some_and(|d| d.is_ascii_digit())
        {
            c.i += 1;
            c.digits()
        } else {
            c.sep_word(&["post", "rev", "r"])
                .map(|_| c.sep_number().unwrap_or_default())
        };
        let dev = c
            .sep_word(&["dev"])
            .map(|_| c.sep_number().unwrap_or_default());
        let local = if c.peek() == Some(b'+') {
            c.i += 1;
            let rest = std::str::from_utf8(&c.s[c.i..]).map_err(|_| "invalid local version")?;
            c.i = c.s.len();
            let mut parts = Vec::new();
            for p in rest.split(['-', '_', '.']) {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err("invalid local version label");
                }
                parts.push(if p.bytes().all(|b| b.is_ascii_digit()) {
                    Local::Num(Num::from_digits(p.as_bytes()))
                } else {
                    Local::Str(p.to_string())
                });
            }
            Some(parts)
        } else {
            None
        };
        if c.i != c.s.len() {
            return Err("not a valid pep 440 version (legacy versions are not supported)");
        }
        Ok(Version {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }
    pub fn is_postrelease(&self) -> bool {
        self.post.is_some()
    }
    pub fn has_local(&self) -> bool {
        self.local.is_some()
    }
    pub fn release_len(&self) -> usize {
        self.release.len()
    }

    /// The version without its local label.
    pub fn public(&self) -> Version {
        Version {
            local: None,
            ..self.clone()
        }
    }

    /// Epoch and release only (`packaging`'s `base_version`).
    pub fn base(&self) -> Version {
        Version {
            epoch: self.epoch.clone(),
            release: self.release.clone(),
            pre: None,
            post: None,
            dev: None,
            local: None,
        }
    }

    /// `packaging.utils.canonicalize_version` of the public part.
    fn canonical_public(&self, strip_trailing_zero: bool) -> String {
        let mut s = String::new();
        if !self.epoch.is_zero() {
            s.push_str(&format!("{}!", self.epoch));
        }
        let mut rel: Vec<String> = self.release.iter().map(Num::to_string).collect();
        if strip_trailing_zero {
            while rel.len() > 1 && rel.last().is_some_and(|r| r == "0") {
                rel.pop();
            }
        }
        s.push_str(&rel.join("."));
        if let Some((k, n)) = &self.pre {
            s.push_str(&format!("{}{n}", k.as_str()));
        }
        if let Some(n) = &self.post {
            s.push_str(&format!(".post{n}"));
        }
        if let Some(n) = &self.dev {
            s.push_str(&format!(".dev{n}"));
        }
        s
    }

    fn cmp_key_pre(&self) -> (u8, Option<(PreKind, Num)>) {
        match (&self.pre, &self.post, &self.dev) {
            (None, None, Some(_)) => (0, None),
            (None, _, _) => (2, None),
            (Some(p), _, _) => (1, Some(p.clone())),
        }
    }
}

impl std::fmt::Display for Version {
    /// The normalised form (`packaging`'s `str(Version)`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = self.canonical_public(false);
        if let Some(l) = &self.local {
            let parts: Vec<String> = l
                .iter()
                .map(|p| match p {
                    Local::Num(n) => n.to_string(),
                    Local::Str(s) => s.clone(),
                })
                .collect();
            s.push('+');
            s.push_str(&parts.join("."));
        }
        f.write_str(&s)
    }
}

fn trimmed(r: &[Num]) -> &[Num] {
    let n = r.iter().rev().take_while(|x| x.is_zero()).count();
    &r[..r.len() - n]
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| trimmed(&self.release).cmp(trimmed(&other.release)))
            .then_with(|| self.cmp_key_pre().cmp(&other.cmp_key_pre()))
            .then_with(|| self.post.cmp(&other.post))
            // No dev segment sorts after any dev segment.
            .then_with(|| match (&self.dev, &other.dev) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
            .then_with(|| self.local.cmp(&other.local))
    }
}
crate::order::eq_from_ord!(Version);

/// One specifier of a set.
#[derive(Debug, Clone)]
enum Spec {
    Compatible(Version),
    Equal(Version),
    NotEqual(Version),
    /// `==1.4.*` / `!=1.4.*`: the canonical prefix segments and whether negated.
    Prefix(Vec<String>, bool),
    Le(Version),
    Ge(Version),
    Lt(Version),
    Gt(Version),
    Arbitrary(String),
}

/// A parsed PEP 440 specifier set (comma-separated; empty matches everything).
#[derive(Debug, Clone)]
pub struct SpecifierSet {
    specs: Vec<Spec>,
}

/// `packaging.specifiers._version_split`.
fn version_split(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    for item in v.split('.') {
        // "0rc1" -> "0", "rc1" (an implicit dot between release and pre-release)
        let d = item.bytes().take_while(u8::is_ascii_digit).count();
        let (num, rest) = item.split_at(d);
        let pre_ok = d > 0
            && ["a", "b", "c", "rc"]
                .iter()
                .any(|p| rest.strip_prefix(p).is_some_and(is_digits));
        if pre_ok {
            out.push(num.to_string());
            out.push(rest.to_string());
        } else {
            out.push(item.to_string());
        }
    }
    out
}

/// `packaging.specifiers._pad_version`, returning only the padded left side.
fn pad_left(left: &[String], right: &[String]) -> Vec<String> {
    let lrel = left.iter().take_while(|x| is_digits(x)).count();
    let rrel = right.iter().take_while(|x| is_digits(x)).count();
    let mut out: Vec<String> = left[..lrel].to_vec();
    out.extend(std::iter::repeat_n(
        "0".to_string(),
        rrel.saturating_sub(lrel),
    ));
    out.extend(left[lrel..].iter().cloned());
    out
}

fn prefix_match(v: &Version, spec: &[String]) -> bool {
    let prospective = version_split(&v.canonical_public(true));
    let padded = pad_left(&prospective, spec);
    padded.len() >= spec.len() && padded[..spec.len()] == *spec
}

impl SpecifierSet {
    pub fn parse(s: &str) -> Result<SpecifierSet, String> {
        let mut specs = Vec::new();
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() {
                if s.trim().is_empty() {
                    continue;
                }
                return Err("empty specifier".into());
            }
            specs.push(Self::parse_one(part)?);
        }
        Ok(SpecifierSet { specs })
    }

    fn parse_one(p: &str) -> Result<Spec, String> {
        let ops = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];
        let op = ops
            .iter()
            .find(|o| p.starts_with(*o))
            .ok_or_else(|| format!("specifier {p:?} has no operator"))?;
        let v = p[op.len()..].trim();
        if v.is_empty() {
            return Err(format!("specifier {p:?} has no version"));
        }
        if *op == "===" {
            if v.contains(char::is_whitespace) {
                return Err("arbitrary equality version has whitespace".into());
            }
            return Ok(Spec::Arbitrary(v.to_string()));
        }
        let wildcard = v.strip_suffix(".*");
        if let Some(prefix) = wildcard {
            if *op != "==" && *op != "!=" {
                return Err(format!("{op} does not allow a wildcard"));
            }
            let pv = Version::parse(prefix).map_err(|e| format!("{prefix:?}: {e}"))?;
            if pv.pre.is_some() || pv.post.is_some() || pv.dev.is_some() || pv.local.is_some() {
                return Err("a wildcard may only follow a release".into());
            }
            let segs = version_split(&pv.canonical_public(false));
            return Ok(Spec::Prefix(segs, *op == "!="));
        }
        let ver = Version::parse(v).map_err(|e| format!("{v:?}: {e}"))?;
        if ver.local.is_some() && *op != "==" && *op != "!=" {
            return Err(format!("{op} does not allow a local version"));
        }
        Ok(match *op {
            "~=" => {
                if ver.release.len() < 2 {
                    return Err("~= needs at least two release numbers".into());
                }
                Spec::Compatible(ver)
            }
            "==" => Spec::Equal(ver),
            "!=" => Spec::NotEqual(ver),
            "<=" => Spec::Le(ver),
            ">=" => Spec::Ge(ver),
            "<" => Spec::Lt(ver),
            _ => Spec::Gt(ver),
        })
    }

    pub fn contains(&self, v: &Version) -> bool {
        self.specs.iter().all(|s| spec_contains(s, v))
    }
}

fn equal(v: &Version, spec: &Version) -> bool {
    if spec.local.is_some() {
        v == spec
    } else {
        v.public() == *spec
    }
}

fn spec_contains(s: &Spec, v: &Version) -> bool {
    match s {
        Spec::Equal(x) => equal(v, x),
        Spec::NotEqual(x) => !equal(v, x),
        Spec::Prefix(segs, negated) => prefix_match(v, segs) != *negated,
        Spec::Le(x) => v.public() <= *x,
        Spec::Ge(x) => v.public() >= *x,
        Spec::Lt(x) => {
            *v < *x && !(!x.is_prerelease() && v.is_prerelease() && v.base() == x.base())
        }
        Spec::Gt(x) => {
            *v > *x
                && !(!x.is_postrelease() && v.is_postrelease() && v.base() == x.base())
                && !(v.local.is_some() && v.base() == x.base())
        }
        Spec::Compatible(x) => {
            // ~=2.2.post3 -> >=2.2.post3, ==2.*
            let mut prefix: Vec<String> = Vec::new();
            if !x.epoch.is_zero() {
                prefix.push(format!("{}!{}", x.epoch, x.release[0]));
            } else {
                prefix.push(x.release[0].to_string());
            }
            prefix.extend(x.release[1..x.release.len() - 1].iter().map(Num::to_string));
            v.public() >= *x && prefix_match(v, &version_split(&prefix.join(".")))
        }
        Spec::Arbitrary(a) => v.to_string().eq_ignore_ascii_case(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn ordering() {
        let chain = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "1!0.1",
        ];
        crate::order::assert_ascending(Version::parse, &chain);
    }

    #[test]
    fn normalisation() {
        let same = [
            ("1.0.0a1", "1.0.0.a1"),
            ("1.0alpha1", "1.0a1"),
            ("1.0-c1", "1.0rc1"),
            ("1.0pre", "1.0rc0"),
            ("1.0-1", "1.0.post1"),
            ("1.0r", "1.0.post0"),
            ("1.0-dev", "1.0.dev0"),
            ("v1.0", "1.0.0"),
            ("1.0+ubuntu-1", "1.0+ubuntu.1"),
            ("1.0+01", "1.0+1"),
            (" 1.0RC1 ", "1.0rc1"),
        ];
        for (a, b) in same {
            assert_eq!(p(a), p(b), "{a} == {b}");
        }
        assert_eq!(p("1.0-C1.post-2.DEV").to_string(), "1.0rc1.post2.dev0");
        for bad in [
            "", "foo", "1.0.", "1.0a1a", "1.0+", "1.0+a..b", "1!", "1.0 1",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn specifiers() {
        let table = [
            ("~=1.4.2, !=1.4.5", "1.4.2", true),
            ("~=1.4.2, !=1.4.5", "1.4.5", false),
            ("~=1.4.2, !=1.4.5", "1.4.9", true),
            ("~=1.4.2, !=1.4.5", "1.5.0", false),
            ("~=2.2", "2.9", true),
            ("~=2.2", "3.0", false),
            ("==1.4.*", "1.4", true),
            ("==1.4.*", "1.4.7", true),
            ("==1.4.*", "1.5", false),
            ("==1.4.*", "1.4rc1", true),
            ("!=1.4.*", "1.4.1", false),
            ("<3.1", "3.1.dev0", false),
            ("<3.1", "3.0.dev0", true),
            (">3.1", "3.1.post1", false),
            (">3.1", "3.1.0+local", false),
            (">3.1", "3.2", true),
            ("<=2.0", "2.0+local", true),
            ("==2.0", "2.0+local", true),
            ("==2.0+other", "2.0+local", false),
            ("===1.0", "1.0", true),
            ("===1.0", "1.0.0", false),
            ("", "7.0", true),
            (">= 1.0, < 2.0", "1.5rc1", true),
        ];
        for (spec, v, want) in table {
            let set = SpecifierSet::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(set.contains(&p(v)), want, "{v} in {spec:?}");
        }
        for bad in ["~=1", "<1.0.*", "1.0", ">=1.0+local", "==", "==1.0a1.*"] {
            assert!(SpecifierSet::parse(bad).is_err(), "{bad:?}");
        }
    }
}
