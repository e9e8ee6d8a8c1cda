//! Language packages (PyPI, npm, crates.io, Go, Maven, …) against OSV and RustSec data.
//!
//! An affected entry matches when the installed version falls in ANY `ECOSYSTEM` or
//! `SEMVER` range (events sorted and evaluated in the ecosystem's version order) OR is
//! listed in `versions[]`. `GIT` ranges name commits, not versions: when they are all
//! an entry has, it is counted in `Stats::git_only`, never guessed. Withdrawn
//! advisories and RustSec informational notices never produce findings. Findings on
//! one installed package whose ids are aliases of each other become one row.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use hull_model::{
    Ecosystem, Evidence, Finding, FixState, Namespace, OsvEvent, OsvRange, Package, Severity,
    VersionRule,
};
use hull_version::osv::{Event, Range, RangeType};
use hull_version::Scheme;
use hull_vulndb::feed::osv::normalize_name;

use crate::{new_finding, Lookups, MatchError, Note, Report};

/// The name a package is looked up under in its ecosystem's namespace.
pub fn lookup_name(pkg: &Package) -> String {
    let ns = Namespace::ecosystem(pkg.ecosystem);
    if pkg.ecosystem == Ecosystem::Maven && !pkg.name.contains(':') {
        // `pkg:maven/group/artifact@v`: OSV names Maven packages `group:artifact`.
        if let Some(group) = pkg.properties.get("maven.group").cloned().or_else(|| {
            let rest = pkg.purl.as_str().strip_prefix("pkg:maven/")?;
            let path = rest.split(['@', '?']).next()?;
            let (group, _) = path.rsplit_once('/')?;
            Some(group.replace('/', "."))
        }) {
            return format!("{group}:{}", pkg.name);
        }
    }
    normalize_name(&ns, &pkg.name)
}

/// A match of one affected entry.
pub struct OsvMatch {
    pub rule: String,
    /// The nearest fixed version above the installed one, when the feed gives one.
    pub fixed: Option<String>,
}

fn to_event(e: &OsvEvent) -> Event {
    match e {
        OsvEvent::Introduced(v) => Event::Introduced(v.clone()),
        OsvEvent::Fixed(v) => Event::Fixed(v.clone()),
        OsvEvent::LastAffected(v) => Event::LastAffected(v.clone()),
        OsvEvent::Limit(v) => Event::Limit(v.clone()),
    }
}

fn range_text(r: &OsvRange) -> String {
    VersionRule::Osv {
        ranges: vec![r.clone()],
        versions: vec![],
    }
    .to_string()
}

/// Evaluate OSV ranges + versions for `version` under `scheme`. `Err` only when no
/// range could be evaluated because of a version error.
pub fn eval_osv(
    ranges: &[OsvRange],
    versions: &[String],
    scheme: Scheme,
    version: &str,
) -> Result<Option<OsvMatch>, String> {
    let mut first_err = None;
    for r in ranges {
        let rt = RangeType::from_osv(&r.kind);
        if rt == RangeType::Git {
            continue;
        }
        let range = Range::new(rt, r.events.iter().map(to_event).collect());
        match range.affects(scheme, version) {
            Ok(true) => {
                let eff = range.effective_scheme(scheme).unwrap_or(scheme);
                let fixed = r
                    .events
                    .iter()
                    .filter_map(|e| match e {
                        OsvEvent::Fixed(f) => Some(f),
                        _ => None,
                    })
                    .filter(|f| {
                        hull_version::compare(eff, f, version)
                            .map(|o| o == Ordering::Greater)
                            .unwrap_or(false)
                    })
                    .min_by(|a, b| hull_version::compare(eff, a, b).unwrap_or(Ordering::Equal))
                    .cloned();
                return Ok(Some(OsvMatch {
                    rule: range_text(r),
                    fixed,
                }));
            }
            Ok(false) => {}
            Err(e) => {
                first_err.get_or_insert(e.to_string());
            }
        }
    }
    let listed = versions.iter().any(|v| {
        v == version
            || v.strip_prefix('v') == Some(version)
            || version.strip_prefix('v') == Some(v.as_str())
            || hull_version::compare(scheme, v, version)
                .map(|o| o == Ordering::Equal)
                .unwrap_or(false)
    });
    if listed {
        return Ok(Some(OsvMatch {
            rule: format!("listed in versions[] ({version})"),
            fixed: None,
        }));
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

/// RustSec `[versions]`: affected unless a patched or unaffected requirement holds.
pub fn eval_semver_reqs(
    patched: &[String],
    unaffected: &[String],
    version: &str,
) -> Result<Option<OsvMatch>, String> {
    for req in patched.iter().chain(unaffected) {
        if hull_version::satisfies(Scheme::Semver, version, req).map_err(|e| e.to_string())? {
            return Ok(None);
        }
    }
    let mut fixed: Option<String> = None;
    for p in patched {
        // `>= 1.2.3` / `^1.2.3`: the lower bound is the fix to suggest.
        let v = p
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_start_matches(['>', '=', '^', '~', ' '])
            .trim();
        let newer = hull_version::compare(Scheme::Semver, v, version)
            .map(|o| o == Ordering::Greater)
            .unwrap_or(false);
        if newer {
            let better = match &fixed {
                Some(f) => hull_version::compare(Scheme::Semver, v, f)
                    .map(|o| o == Ordering::Less)
                    .unwrap_or(false),
                None => true,
            };
            if better {
                fixed = Some(v.to_string());
            }
        }
    }
    Ok(Some(OsvMatch {
        rule: format!(
            "not patched ({}) nor unaffected ({})",
            patched.join(" | "),
            unaffected.join(" | ")
        ),
        fixed,
    }))
}

pub fn match_package(
    pkg: &Package,
    lookups: &mut Lookups<'_>,
    report: &mut Report,
) -> Result<(), MatchError> {
    let ns = Namespace::ecosystem(pkg.ecosystem);
    let name = lookup_name(pkg);
    let scheme = Scheme::for_ecosystem(pkg.ecosystem);
    let mut found: Vec<Finding> = Vec::new();
    for adv in lookups.get(&ns, &name)?.iter() {
        report.stats.advisories_considered += 1;
        if adv.withdrawn.is_some() {
            report.stats.withdrawn_ignored += 1;
            continue;
        }
        if adv.informational.is_some() {
            report.stats.informational_ignored += 1;
            continue;
        }
        report.stats.version_checks += 1;
        let mut hit: Option<(OsvMatch, &hull_model::Affected)> = None;
        let mut git_only = false;
        for aff in adv
            .affected
            .iter()
            .filter(|a| a.namespace == ns && a.package == name)
        {
            let r = match &aff.rule {
                VersionRule::Osv { ranges, versions } => {
                    if versions.is_empty()
                        && !ranges.is_empty()
                        && ranges.iter().all(|r| r.kind == "GIT")
                    {
                        git_only = true;
                        continue;
                    }
                    eval_osv(ranges, versions, scheme, &pkg.version)
                }
                VersionRule::SemverReqs {
                    patched,
                    unaffected,
                } => eval_semver_reqs(patched, unaffected, &pkg.version),
                VersionRule::LessThan { fixed } => {
                    hull_version::compare(scheme, &pkg.version, fixed)
                        .map(|o| {
                            (o == Ordering::Less).then(|| OsvMatch {
                                rule: format!("< {fixed}"),
                                fixed: Some(fixed.clone()),
                            })
                        })
                        .map_err(|e| e.to_string())
                }
                VersionRule::All => Ok(Some(OsvMatch {
                    rule: "all versions".into(),
                    fixed: None,
                })),
                VersionRule::Unaffected => Ok(None),
            };
            match r {
                Ok(Some(m)) => {
                    // GHSA splits one package over several entries: the union counts,
                    // and the nearest fix among matching entries is reported.
                    match &mut hit {
                        Some((prev, _)) => {
                            if prev.fixed.is_none() {
                                prev.fixed = m.fixed;
                            }
                        }
                        None => hit = Some((m, aff)),
                    }
                }
                Ok(None) => {}
                Err(message) => {
                    report.stats.version_errors += 1;
                    report.notes.push(Note {
                        package: pkg.name.clone(),
                        version: pkg.version.clone(),
                        advisory: adv.id.clone(),
                        message,
                    });
                }
            }
        }
        match hit {
            Some((m, aff)) => {
                let fix = m
                    .fixed
                    .clone()
                    .map(FixState::Fixed)
                    .unwrap_or(FixState::NotFixed);
                let evidence = Evidence {
                    matcher: "osv".into(),
                    namespace: ns.clone(),
                    lookup_name: name.clone(),
                    compared_version: pkg.version.clone(),
                    scheme: scheme.as_str().to_string(),
                    rule: m.rule,
                    records: vec![format!("{}:{}", adv.source, adv.id)],
                };
                let sev = aff.severity.unwrap_or(adv.severity);
                found.push(new_finding(adv, pkg, fix, None, sev, evidence));
            }
            None if git_only => report.stats.git_only += 1,
            None => {}
        }
    }
    report.findings.extend(merge_aliases(found));
    Ok(())
}

/// Merge findings (all on one installed package) whose id sets intersect.
pub fn merge_aliases(found: Vec<Finding>) -> Vec<Finding> {
    let mut groups: Vec<Finding> = Vec::new();
    for f in found {
        let ids: BTreeSet<&String> = f.aliases.iter().collect();
        let mut hits: Vec<usize> = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.aliases.iter().any(|a| ids.contains(a)))
            .map(|(i, _)| i)
            .collect();
        if hits.is_empty() {
            groups.push(f);
            continue;
        }
        // Fold every group this finding bridges into the first one.
        let first = hits.remove(0);
        let mut merged = f;
        for i in hits.into_iter().rev() {
            let g = groups.remove(i);
            merged = combine(merged, g);
        }
        let base = std::mem::replace(&mut groups[first], merged.clone());
        groups[first] = combine(base, merged);
    }
    groups
}

pub(crate) fn combine(mut a: Finding, b: Finding) -> Finding {
    a.aliases.extend(b.aliases);
    a.aliases.sort();
    a.aliases.dedup();
    a.advisories.extend(b.advisories);
    a.advisories.sort();
    a.advisories.dedup();
    a.evidence.records.extend(b.evidence.records);
    a.evidence.records.sort();
    a.evidence.records.dedup();
    if a.evidence.rule != b.evidence.rule {
        a.evidence.rule = format!("{}; {}", a.evidence.rule, b.evidence.rule);
    }
    if !a.source.split(',').any(|s| s == b.source) {
        a.source = format!("{},{}", a.source, b.source);
    }
    a.severity = a.severity.max(b.severity);
    if a.severity == Severity::Unknown {
        a.severity = b.severity;
    }
    if matches!(a.fix, FixState::NotFixed | FixState::Unknown) {
        a.fix = b.fix;
    }
    if a.title.is_none() {
        a.title = b.title;
    }
    let cves: Vec<&String> = a.aliases.iter().filter(|x| x.starts_with("CVE-")).collect();
    a.id = match cves.as_slice() {
        [one] => (*one).clone(),
        _ => a.advisories.first().cloned().unwrap_or(a.id),
    };
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kind: &str, ev: &[(&str, &str)]) -> OsvRange {
        OsvRange {
            kind: kind.into(),
            events: ev
                .iter()
                .map(|(k, v)| match *k {
                    "i" => OsvEvent::Introduced(v.to_string()),
                    "f" => OsvEvent::Fixed(v.to_string()),
                    "l" => OsvEvent::LastAffected(v.to_string()),
                    _ => OsvEvent::Limit(v.to_string()),
                })
                .collect(),
        }
    }

    #[test]
    fn osv_ranges_versions_and_git() {
        let r = [range(
            "ECOSYSTEM",
            &[
                ("i", "2.0.0-beta9"),
                ("f", "2.3.1"),
                ("i", "2.13.0"),
                ("f", "2.15.0"),
            ],
        )];
        let m = eval_osv(&r, &[], Scheme::Maven, "2.14.1").unwrap().unwrap();
        assert_eq!(m.fixed.as_deref(), Some("2.15.0"));
        assert!(eval_osv(&r, &[], Scheme::Maven, "2.15.0")
            .unwrap()
            .is_none());
        assert!(eval_osv(&r, &[], Scheme::Maven, "2.12.2")
            .unwrap()
            .is_none());
        let last = [range("ECOSYSTEM", &[("i", "0"), ("l", "4.17.20")])];
        assert!(eval_osv(&last, &[], Scheme::Npm, "4.17.20")
            .unwrap()
            .is_some());
        assert!(eval_osv(&last, &[], Scheme::Npm, "4.17.21")
            .unwrap()
            .is_none());
        let git = [range("GIT", &[("i", "abc"), ("f", "def")])];
        assert!(eval_osv(&git, &["1.0".into()], Scheme::Pep440, "1.0")
            .unwrap()
            .is_some());
        assert!(eval_osv(&git, &[], Scheme::Pep440, "1.0")
            .unwrap()
            .is_none());
    }

    #[test]
    fn rustsec_requirements() {
        let p = vec![">= 0.6.3".to_string(), "^0.5.1".to_string()];
        let u = vec!["< 0.3.2".to_string()];
        assert!(eval_semver_reqs(&p, &u, "0.6.2").unwrap().is_some());
        assert!(eval_semver_reqs(&p, &u, "0.6.3").unwrap().is_none());
        assert!(eval_semver_reqs(&p, &u, "0.5.2").unwrap().is_none());
        assert!(eval_semver_reqs(&p, &u, "0.3.1").unwrap().is_none());
        assert_eq!(
            eval_semver_reqs(&p, &u, "0.4.0")
                .unwrap()
                .unwrap()
                .fixed
                .as_deref(),
            Some("0.5.1")
        );
    }
}
