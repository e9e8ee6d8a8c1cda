//! Which version of an image to run: the newest one without findings at or above a
//! severity threshold.
//!
//! Order of versions ("newest"): when every version of the repository has a tag that
//! reads as a version number (`1.2.3`, `v2.0`, `3.9.4-rc1`: optional `v`, one to four
//! dot-separated numbers, optional `-pre-release`), versions are ordered by that
//! number (a pre-release sorts before its release; the same tag seen with several
//! digests orders by first sight). Otherwise (`latest`, `main`, untagged digests)
//! they are ordered by when the server first saw them. A version is "safe" when its
//! latest scan was matched against a database and has no finding at or above the
//! threshold; versions never matched are not safe (unknown is not clean). Findings
//! of `unknown` severity count as at or above any threshold (a feed that gave no
//! severity said nothing about safety), unless the operator opts out with
//! `--unknown-as low` (`?unknown-as=low`), when they count as `low`; the reason
//! text says which rule applied.
//!
//! The action is relative to `current` (default: the newest version): `stay` when the
//! recommendation is the current version, `roll-back` when it is older, `roll-forward`
//! when it is newer, `none` when no version is safe.

use std::cmp::Ordering;

use hull_model::Severity;
use serde::Serialize;

use crate::store::{Counts, Version};
use crate::upload::ImageRef;

/// A tag read as a version number.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TagVersion {
    nums: [u64; 4],
    pre: Option<String>,
}

fn parse_tag(tag: &str) -> Option<TagVersion> {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    let (core, pre) = match t.split_once('-') {
        Some((c, p)) if !p.is_empty() => (c, Some(p.to_string())),
        Some(_) => return None,
        None => (t, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = [0u64; 4];
    for (slot, p) in nums.iter_mut().zip(&parts) {
        if p.is_empty() || p.len() > 18 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    Some(TagVersion { nums, pre })
}

/// Pre-release identifiers compare numerically when both are numbers (semver §11).
fn cmp_pre(a: &str, b: &str) -> Ordering {
    let mut ai = a.split('.');
    let mut bi = b.split('.');
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    _ => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

impl Ord for TagVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nums
            .cmp(&other.nums)
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => cmp_pre(a, b),
            })
    }
}

impl PartialOrd for TagVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// How versions were ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderRule {
    /// Every tag reads as a version number.
    TagVersion,
    /// By when the server first saw each version.
    FirstSeen,
}

/// Sort `versions` oldest first; returns the rule used.
pub fn order(versions: &mut [Version]) -> OrderRule {
    let parsed: Option<Vec<TagVersion>> = versions
        .iter()
        .map(|v| v.image.tag.as_deref().and_then(parse_tag))
        .collect();
    if parsed.is_some() && !versions.is_empty() {
        versions.sort_by(|a, b| {
            let pa = a.image.tag.as_deref().and_then(parse_tag);
            let pb = b.image.tag.as_deref().and_then(parse_tag);
            pa.cmp(&pb).then(a.image_id.cmp(&b.image_id))
        });
        OrderRule::TagVersion
    } else {
        versions.sort_by_key(|v| v.image_id);
        OrderRule::FirstSeen
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Stay,
    RollBack,
    RollForward,
    None,
}

/// One version as the recommendation saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    #[serde(flatten)]
    pub image: ImageRef,
    /// `None` when the version was never matched against a database.
    pub counts: Option<Counts>,
    pub at_or_above_threshold: Option<u64>,
    pub safe: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    pub repository: String,
    pub threshold: Severity,
    pub order: OrderRule,
    pub newest: Option<ImageRef>,
    pub current: Option<ImageRef>,
    pub recommended: Option<ImageRef>,
    /// How unknown severities were counted (`threshold` or `low`).
    pub unknown_as: UnknownAs,
    pub action: Action,
    /// One sentence for people.
    pub reason: String,
    /// Every version, newest first.
    pub candidates: Vec<Candidate>,
}

/// How findings of `unknown` severity count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownAs {
    /// As at or above the threshold: never safe (the default).
    #[default]
    Threshold,
    /// As `low` (opt-out, `--unknown-as low`).
    Low,
}

impl std::str::FromStr for UnknownAs {
    type Err = String;
    fn from_str(s: &str) -> Result<UnknownAs, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "threshold" => Ok(UnknownAs::Threshold),
            "low" => Ok(UnknownAs::Low),
            _ => Err(format!(
                "unknown-as must be `threshold` or `low`, not `{s}`"
            )),
        }
    }
}

/// Findings that count against `threshold` under `unknown`.
pub fn counted(c: &Counts, threshold: Severity, unknown: UnknownAs) -> u64 {
    let base = c.at_or_above(threshold);
    let extra = match unknown {
        UnknownAs::Threshold if threshold > Severity::Unknown => c.unknown,
        UnknownAs::Low if threshold <= Severity::Low && threshold > Severity::Unknown => c.unknown,
        _ => 0,
    };
    base + extra
}

/// Which version to run. `current` names a tag (or digest) among `versions`; absent
/// means the newest (the API refuses an unknown one). Unknown severities count as
/// at or above the threshold.
pub fn recommend(
    repository: &str,
    versions: Vec<Version>,
    threshold: Severity,
    current: Option<&str>,
) -> Recommendation {
    recommend_with(
        repository,
        versions,
        threshold,
        current,
        UnknownAs::Threshold,
    )
}

/// [`recommend`] with the rule for unknown severities.
pub fn recommend_with(
    repository: &str,
    mut versions: Vec<Version>,
    threshold: Severity,
    current: Option<&str>,
    unknown: UnknownAs,
) -> Recommendation {
    let rule = order(&mut versions);
    let candidates: Vec<Candidate> = versions
        .iter()
        .rev()
        .map(|v| {
            let counts = v
                .latest_scan
                .as_ref()
                .filter(|s| s.matched)
                .map(|s| s.counts.clone());
            let above = counts.as_ref().map(|c| counted(c, threshold, unknown));
            Candidate {
                image: v.image.clone(),
                safe: above == Some(0),
                counts,
                at_or_above_threshold: above,
            }
        })
        .collect();
    let newest_idx = 0usize;
    let current_idx = current
        .and_then(|c| {
            candidates.iter().position(|k| {
                k.image.tag.as_deref() == Some(c) || k.image.digest.as_deref() == Some(c)
            })
        })
        .unwrap_or(newest_idx);
    let pick = candidates.iter().position(|c| c.safe);
    let name = |i: usize| {
        candidates
            .get(i)
            .map(|c| c.image.display())
            .unwrap_or_default()
    };
    let unknown_note = match unknown {
        UnknownAs::Threshold => format!(" (findings of unknown severity count as {threshold})"),
        UnknownAs::Low => {
            " (findings of unknown severity count as low: --unknown-as low)".to_string()
        }
    };
    let (action, reason) = match pick {
        None if candidates.is_empty() => (Action::None, format!("no version of {repository} is known")),
        None => (
            Action::None,
            format!("every known version has findings at or above {threshold} (or was never matched)"),
        ),
        Some(p) if p == current_idx => (
            Action::Stay,
            format!("{} has no findings at or above {threshold}", name(p)),
        ),
        // Candidates are newest first: a larger index is an older version.
        Some(p) if p > current_idx => (
            Action::RollBack,
            format!(
                "{} has findings at or above {threshold}; {} is the newest older version without any",
                name(current_idx),
                name(p)
            ),
        ),
        Some(p) => (
            Action::RollForward,
            format!(
                "{} is the newest version without findings at or above {threshold}",
                name(p)
            ),
        ),
    };
    let reason = format!("{reason}{unknown_note}");
    Recommendation {
        repository: repository.to_string(),
        threshold,
        unknown_as: unknown,
        order: rule,
        newest: candidates.first().map(|c| c.image.clone()),
        current: candidates.get(current_idx).map(|c| c.image.clone()),
        recommended: pick
            .and_then(|p| candidates.get(p))
            .map(|c| c.image.clone()),
        action,
        reason,
        candidates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ScanKind, ScanSummary};

    fn v(id: i64, tag: Option<&str>, high: Option<u64>) -> Version {
        Version {
            image_id: id,
            image: ImageRef {
                repository: "app".into(),
                tag: tag.map(str::to_string),
                digest: None,
            },
            first_seen: String::new(),
            scans: 1,
            latest_scan: high.map(|h| ScanSummary {
                checked_at: None,
                id,
                kind: ScanKind::Push,
                scanned_at: String::new(),
                vulndb_built_at: None,
                matched: true,
                packages: 1,
                counts: Counts {
                    high: h,
                    ..Counts::default()
                },
                new_findings: 0,
            }),
        }
    }

    #[test]
    fn tag_order() {
        let mut tags = ["1.10", "v1.2", "1.2-rc.2", "1.2-rc.10", "1.9.1", "2"];
        tags.sort_by_key(|t| parse_tag(t));
        assert_eq!(
            tags,
            ["1.2-rc.2", "1.2-rc.10", "v1.2", "1.9.1", "1.10", "2"]
        );
        for bad in ["latest", "1..2", "1.2.3.4.5", "1-", "", "v", "1.x"] {
            assert!(parse_tag(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn ordering_rule_falls_back_to_first_seen() {
        let mut vs = vec![v(1, Some("2.0"), Some(0)), v(2, Some("1.0"), Some(0))];
        assert_eq!(order(&mut vs), OrderRule::TagVersion);
        assert_eq!(vs[1].image.tag.as_deref(), Some("2.0"));
        let mut vs = vec![v(1, Some("2.0"), Some(0)), v(2, Some("latest"), Some(0))];
        assert_eq!(order(&mut vs), OrderRule::FirstSeen);
        assert_eq!(vs[1].image.tag.as_deref(), Some("latest"));
    }

    #[test]
    fn unknown_severity_is_not_safe_unless_opted_out() {
        // Debian 8.7's case: no high findings, many of unknown severity.
        let mut only_unknown = v(1, Some("8.7"), Some(0));
        if let Some(s) = only_unknown.latest_scan.as_mut() {
            s.counts.unknown = 752;
        }
        let r = recommend("debian", vec![only_unknown.clone()], Severity::High, None);
        assert_eq!(r.action, Action::None, "{}", r.reason);
        assert!(
            r.reason.contains("unknown severity count as high"),
            "{}",
            r.reason
        );
        let r = recommend_with(
            "debian",
            vec![only_unknown.clone()],
            Severity::High,
            None,
            UnknownAs::Low,
        );
        assert_eq!(r.action, Action::Stay, "{}", r.reason);
        assert!(r.reason.contains("--unknown-as low"), "{}", r.reason);
        // As low, they still count against a low threshold.
        let r = recommend_with(
            "debian",
            vec![only_unknown],
            Severity::Low,
            None,
            UnknownAs::Low,
        );
        assert_eq!(r.action, Action::None);
        assert_eq!("LOW".parse::<UnknownAs>(), Ok(UnknownAs::Low));
        assert!("medium".parse::<UnknownAs>().is_err());
    }

    #[test]
    fn actions() {
        let vs = || {
            vec![
                v(1, Some("1.0"), Some(0)),
                v(2, Some("1.1"), Some(2)),
                v(3, Some("1.2"), Some(1)),
                v(4, Some("1.3"), None),
            ]
        };
        let r = recommend("app", vs(), Severity::High, None);
        assert_eq!(r.action, Action::RollBack);
        assert_eq!(r.recommended.unwrap().tag.as_deref(), Some("1.0"));
        assert_eq!(r.newest.unwrap().tag.as_deref(), Some("1.3"));
        // Medium findings do not count against a critical threshold.
        let r = recommend("app", vs(), Severity::Critical, None);
        assert_eq!(r.action, Action::RollBack, "1.3 was never matched");
        assert_eq!(r.recommended.unwrap().tag.as_deref(), Some("1.2"));
        let r = recommend("app", vs(), Severity::Critical, Some("1.0"));
        assert_eq!(r.action, Action::RollForward);
        let r = recommend("app", vs(), Severity::High, Some("1.0"));
        assert_eq!(r.action, Action::Stay);
        let r = recommend("app", vec![v(1, Some("x"), Some(3))], Severity::High, None);
        assert_eq!((r.action, r.recommended), (Action::None, None));
        assert_eq!(
            recommend("app", vec![], Severity::High, None).action,
            Action::None
        );
    }
}
