//! OSV `affected[].ranges[]` evaluation (<https://ossf.github.io/osv-schema/>).
//!
//! A range is a list of events — `introduced`, `fixed`, `last_affected`, `limit` —
//! of type `ECOSYSTEM` (versions in the package's own scheme), `SEMVER` (SemVer 2.0)
//! or `GIT` (commit hashes). Events are sorted by version (`introduced: "0"` first);
//! walking them, the last event at or below the version decides: `introduced` turns
//! "affected" on, `fixed` (at or below) and `last_affected` (strictly below) turn it off.
//! `limit` events cap the range: at or above every limit, nothing is affected.
//!
//! `GIT` ranges (and unknown types) are not decidable from a version string:
//! [`Range::affects`] answers [`VersionError::NotEvaluable`] for them, never a guess.

use std::cmp::Ordering;

use crate::{Scheme, Version, VersionError};

/// One OSV range event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
    /// Tie-break for events at the same version: `introduced` before the events that
    /// end a range, so `introduced: X, fixed: X` includes nothing.
    fn rank(&self) -> u8 {
        match self {
            Event::Introduced(_) => 0,
            Event::LastAffected(_) => 1,
            Event::Fixed(_) => 2,
            Event::Limit(_) => 3,
        }
    }
}

/// The OSV range `type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeType {
    Ecosystem,
    Semver,
    Git,
    /// A type this crate does not know; never evaluable.
    Other(String),
}

impl RangeType {
    /// Read the OSV `type` field.
    pub fn from_osv(s: &str) -> RangeType {
        match s {
            "ECOSYSTEM" => RangeType::Ecosystem,
            "SEMVER" => RangeType::Semver,
            "GIT" => RangeType::Git,
            other => RangeType::Other(other.to_string()),
        }
    }
    pub fn as_osv(&self) -> &str {
        match self {
            RangeType::Ecosystem => "ECOSYSTEM",
            RangeType::Semver => "SEMVER",
            RangeType::Git => "GIT",
            RangeType::Other(s) => s,
        }
    }
}

/// One OSV range.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Range {
    pub range_type: RangeType,
    pub events: Vec<Event>,
}

impl Range {
    pub fn new(range_type: RangeType, events: Vec<Event>) -> Range {
        Range { range_type, events }
    }
    pub fn ecosystem(events: Vec<Event>) -> Range {
        Range::new(RangeType::Ecosystem, events)
    }
    pub fn semver(events: Vec<Event>) -> Range {
        Range::new(RangeType::Semver, events)
    }

    /// The scheme the range's versions are written in, given the package's scheme.
    /// `SEMVER` ranges use SemVer; for Go and npm their own (semver-based) readers,
    /// which also accept Go's `v` prefix and npm's loose forms.
    pub fn effective_scheme(&self, package_scheme: Scheme) -> Result<Scheme, VersionError> {
        match &self.range_type {
            RangeType::Ecosystem => Ok(package_scheme),
            RangeType::Semver => Ok(match package_scheme {
                Scheme::Go | Scheme::Npm | Scheme::Semver => package_scheme,
                _ => Scheme::Semver,
            }),
            other => Err(VersionError::NotEvaluable {
                range_type: other.as_osv().to_string(),
            }),
        }
    }

    /// Whether `version` (a string in `scheme`) is inside this range.
    pub fn affects(&self, scheme: Scheme, version: &str) -> Result<bool, VersionError> {
        let scheme = self.effective_scheme(scheme)?;
        let v = Version::parse(scheme, version)?;
        evaluate(scheme, &self.events, &v)
    }

    /// Whether an already parsed version is inside this range.
    pub fn affects_version(&self, version: &Version) -> Result<bool, VersionError> {
        let scheme = self.effective_scheme(version.scheme())?;
        if scheme != version.scheme() {
            let v = Version::parse(scheme, version.as_str())?;
            return evaluate(scheme, &self.events, &v);
        }
        evaluate(scheme, &self.events, version)
    }
}

/// Evaluate a whole OSV `affected[]` entry: its `ranges` and its explicit `versions`.
///
/// * `Ok(true)` as soon as one listed version equals `version` (by the scheme's
///   equality, or exactly as a string) or one range includes it: a certain "yes"
///   wins over errors elsewhere in the entry.
/// * `GIT` ranges are represented by the entry's `versions` list (OSV enumerates
///   the affected versions of a commit range there) and by any `ECOSYSTEM`/`SEMVER`
///   range next to them; only an entry with nothing but `GIT` ranges is
///   [`VersionError::NotEvaluable`].
/// * `Ok(false)` when the version-based data was all evaluated and none includes it.
/// * `Err` when a version-based range could not be decided (a bound that does not
///   parse, an installed version that does not parse) and nothing said yes: the
///   answer is unknown.
pub fn affected_entry(
    scheme: Scheme,
    ranges: &[Range],
    versions: &[String],
    version: &str,
) -> Result<bool, VersionError> {
    let parsed = Version::parse(scheme, version);
    for listed in versions {
        if listed == version {
            return Ok(true);
        }
        if let (Ok(v), Ok(l)) = (&parsed, Version::parse(scheme, listed)) {
            if *v == l {
                return Ok(true);
            }
        }
    }
    let by_version: Vec<&Range> = ranges
        .iter()
        .filter(|r| r.range_type != RangeType::Git)
        .collect();
    if by_version.is_empty() {
        if !versions.is_empty() {
            return Ok(false);
        }
        return match ranges.first() {
            Some(r) => Err(VersionError::NotEvaluable {
                range_type: r.range_type.as_osv().to_string(),
            }),
            None => Err(VersionError::InvalidRange {
                reason: "affected entry has no ranges and no versions",
            }),
        };
    }
    let mut first_error = None;
    for r in by_version {
        match r.affects(scheme, version) {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(false),
    }
}

/// Evaluate `ECOSYSTEM`-style events for a version string in `scheme`.
pub fn osv_affected(scheme: Scheme, events: &[Event], version: &str) -> Result<bool, VersionError> {
    let v = Version::parse(scheme, version)?;
    evaluate(scheme, events, &v)
}

fn evaluate(scheme: Scheme, events: &[Event], v: &Version) -> Result<bool, VersionError> {
    if !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
        return Err(VersionError::InvalidRange {
            reason: "no introduced event",
        });
    }
    // `None` is the "0" introduced (below every version) or the "*" limit (above).
    let mut parsed: Vec<(Option<Version>, &Event)> = Vec::with_capacity(events.len());
    for e in events {
        let s = e.version();
        let bound = match e {
            Event::Introduced(_) if s == "0" => None,
            Event::Limit(_) if s == "*" => None,
            _ => Some(Version::parse_bound(scheme, s)?),
        };
        parsed.push((bound, e));
    }
    let key = |b: &Option<Version>, e: &Event| -> (u8, u8) {
        match (b, e) {
            (None, Event::Limit(_)) => (2, 0),
            (None, _) => (0, 0),
            (Some(_), e) => (1, e.rank()),
        }
    };
    parsed.sort_by(|(a, ea), (b, eb)| {
        let (ka, kb) = (key(a, ea), key(b, eb));
        ka.0.cmp(&kb.0)
            .then_with(|| match (a, b) {
                (Some(x), Some(y)) => x.cmp(y),
                _ => Ordering::Equal,
            })
            .then_with(|| ka.1.cmp(&kb.1))
    });

    let limits: Vec<&Option<Version>> = parsed
        .iter()
        .filter(|(_, e)| matches!(e, Event::Limit(_)))
        .map(|(b, _)| b)
        .collect();
    if !limits.is_empty() && limits.iter().all(|b| b.as_ref().is_some_and(|l| v >= l)) {
        return Ok(false);
    }

    let mut affected = false;
    for (bound, e) in &parsed {
        match (e, bound) {
            (Event::Introduced(_), None) => affected = true,
            (Event::Introduced(_), Some(b)) if v >= b => affected = true,
            (Event::Fixed(_), Some(b)) if v >= b => affected = false,
            (Event::LastAffected(_), Some(b)) if v > b => affected = false,
            _ => {}
        }
    }
    Ok(affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Event::*;

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn ecosystem_ranges() {
        let r = Range::ecosystem(vec![Introduced(s("0")), Fixed(s("1.2.3-1"))]);
        assert!(r.affects(Scheme::Dpkg, "1.2.3-0").unwrap());
        assert!(r.affects(Scheme::Dpkg, "1.2.3~rc1-5").unwrap());
        assert!(!r.affects(Scheme::Dpkg, "1.2.3-1").unwrap());
        assert!(!r.affects(Scheme::Dpkg, "1:0.1-1").unwrap());

        // two windows, out of order, with last_affected
        let r = Range::ecosystem(vec![
            Introduced(s("2.0")),
            LastAffected(s("2.3")),
            Introduced(s("1.0")),
            Fixed(s("1.5")),
        ]);
        let want = [
            ("0.9", false),
            ("1.0", true),
            ("1.4.9", true),
            ("1.5", false),
            ("1.9", false),
            ("2.0", true),
            ("2.3", true),
            ("2.3.post1", false),
            ("3.0", false),
        ];
        for (v, w) in want {
            assert_eq!(r.affects(Scheme::Pep440, v).unwrap(), w, "{v}");
        }
    }

    #[test]
    fn limits_and_ties() {
        let r = Range::ecosystem(vec![Introduced(s("0")), Limit(s("2.0.0"))]);
        assert!(r.affects(Scheme::Npm, "1.9.9").unwrap());
        assert!(!r.affects(Scheme::Npm, "2.0.0").unwrap());
        let r = Range::ecosystem(vec![Introduced(s("0")), Limit(s("*"))]);
        assert!(r.affects(Scheme::Npm, "99.0.0").unwrap());
        let r = Range::ecosystem(vec![Introduced(s("1.0.0")), Fixed(s("1.0.0"))]);
        assert!(!r.affects(Scheme::Npm, "1.0.0").unwrap());
    }

    #[test]
    fn semver_ranges_and_go() {
        let r = Range::semver(vec![Introduced(s("0")), Fixed(s("1.19.8"))]);
        assert!(r.affects(Scheme::Go, "go1.19.7").unwrap());
        assert!(!r.affects(Scheme::Go, "go1.19.8").unwrap());
        assert!(r.affects(Scheme::Go, "v1.19.8-rc.1").unwrap());
        let r = Range::semver(vec![Introduced(s("0.0.0-0")), Fixed(s("0.4.2"))]);
        assert!(r.affects(Scheme::Semver, "0.4.1").unwrap());
        assert!(r.affects(Scheme::Semver, "0.0.0-alpha").unwrap());
        // GHSA writes partial bounds for crates: "0.1" is 0.1.0
        let r = Range::ecosystem(vec![Introduced(s("0")), Fixed(s("0.2"))]);
        assert!(r.affects(Scheme::Semver, "0.1.43").unwrap());
        assert!(!r.affects(Scheme::Semver, "0.2.0").unwrap());
    }

    #[test]
    fn whole_entries() {
        let eco = Range::ecosystem(vec![Introduced(s("1.0")), Fixed(s("1.5"))]);
        let git = Range::new(RangeType::Git, vec![Introduced(s("0")), Fixed(s("abc"))]);
        let listed = vec![s("2.0.0"), s("garbage")];
        // a listed version (scheme equality: 2.0 == 2.0.0 in PEP 440)
        assert_eq!(
            affected_entry(Scheme::Pep440, std::slice::from_ref(&git), &listed, "2.0"),
            Ok(true)
        );
        // GIT range plus a versions list that does not list it: a plain no
        assert_eq!(
            affected_entry(Scheme::Pep440, std::slice::from_ref(&git), &listed, "3.0"),
            Ok(false)
        );
        // GIT range alone: unknown
        assert!(matches!(
            affected_entry(Scheme::Pep440, std::slice::from_ref(&git), &[], "3.0"),
            Err(VersionError::NotEvaluable { .. })
        ));
        // GIT next to an ECOSYSTEM range: the ECOSYSTEM range decides
        assert_eq!(
            affected_entry(Scheme::Pep440, &[git.clone(), eco.clone()], &[], "1.2"),
            Ok(true)
        );
        assert_eq!(
            affected_entry(Scheme::Pep440, &[git, eco.clone()], &[], "1.7"),
            Ok(false)
        );
        // an undecidable version range and no yes: unknown, never "no"
        let bad = Range::ecosystem(vec![Introduced(s("0")), Fixed(s("not-a-version!"))]);
        assert!(affected_entry(Scheme::Pep440, &[bad.clone(), eco.clone()], &[], "1.7").is_err());
        assert_eq!(
            affected_entry(Scheme::Pep440, &[bad, eco], &[], "1.2"),
            Ok(true)
        );
        assert!(affected_entry(Scheme::Pep440, &[], &[], "1.2").is_err());
    }

    #[test]
    fn git_is_not_evaluable_and_bad_input_is_an_error() {
        let r = Range::new(RangeType::Git, vec![Introduced(s("0")), Fixed(s("abc123"))]);
        assert!(matches!(
            r.affects(Scheme::Npm, "1.0.0"),
            Err(VersionError::NotEvaluable { .. })
        ));
        let r = Range::new(RangeType::from_osv("WEIRD"), vec![Introduced(s("0"))]);
        assert!(matches!(
            r.affects(Scheme::Npm, "1.0.0"),
            Err(VersionError::NotEvaluable { .. })
        ));
        let r = Range::ecosystem(vec![Fixed(s("1.0"))]);
        assert!(matches!(
            r.affects(Scheme::Pep440, "0.5"),
            Err(VersionError::InvalidRange { .. })
        ));
        let r = Range::ecosystem(vec![Introduced(s("0")), Fixed(s("not a version"))]);
        assert!(matches!(
            r.affects(Scheme::Pep440, "0.5"),
            Err(VersionError::InvalidVersion { .. })
        ));
        assert!(osv_affected(Scheme::Pep440, &[Introduced(s("0"))], "garbage").is_err());
    }
}
