//! OS packages (dpkg, apk, rpm) against their own distro release's advisories.
//!
//! Lookup is by SOURCE package (dpkg `Source:`, apk `origin`, rpm source rpm name),
//! except for rows a feed writes against binary rpm names (OVAL). The compared
//! version is the source version for dpkg (so binNMUs `+b1` compare like the source),
//! the package EVR for rpm and apk. RHEL modularity: a row restricted to a module
//! stream applies only to packages from that stream; a binary-name row without a
//! stream never applies to a modular package.

use hull_model::{
    Advisory, Affected, Distro, Ecosystem, Evidence, Finding, FixState, Namespace, Package,
    VersionRule,
};
use std::rc::Rc;

use hull_version::Scheme;

use crate::{new_finding, Lookups, MatchError, Note, Report};

/// The advisory namespace of a distro release, when hull has a rule for it.
pub fn namespace_of(d: &Distro) -> Option<Namespace> {
    let id = d.id.to_ascii_lowercase();
    let ver = d.version_id.trim();
    let major = ver.split('.').next().unwrap_or("");
    let like = |x: &str| id == x || d.id_like.iter().any(|l| l == x);
    match id.as_str() {
        "debian" => {
            let rel = if major.is_empty() {
                d.codename
                    .as_deref()
                    .and_then(hull_vulndb::feed::debian_release)?
            } else {
                major
            };
            Some(Namespace::distro("debian", rel))
        }
        // Canonical keys on `YY.MM`; point releases (`18.04.5`) share it.
        "ubuntu" => {
            let mut parts = ver.split('.');
            let (a, b) = (parts.next()?, parts.next()?);
            Some(Namespace::distro("ubuntu", &format!("{a}.{b}")))
        }
        "alpine" => {
            let mut parts = ver.split('.');
            let (a, b) = (parts.next()?, parts.next()?);
            Some(Namespace::distro("alpine", &format!("{a}.{b}")))
        }
        // Oracle Linux: its own ELSA data (`ol:8`), not Red Hat's.
        "ol" => (!major.is_empty()).then(|| Namespace::distro("ol", major)),
        // Photon OS: `4.0` (os-release VERSION_ID), as its CVE files name releases.
        "photon" => {
            let mut parts = ver.split('.');
            let (a, b) = (parts.next()?, parts.next().unwrap_or("0"));
            Some(Namespace::distro("photon", &format!("{a}.{b}")))
        }
        // CBL-Mariner 2.0 and Azure Linux 3.0, as Microsoft's OVAL files name them.
        "mariner" | "azurelinux" => {
            let mut parts = ver.split('.');
            let (a, b) = (parts.next()?, parts.next().unwrap_or("0"));
            Some(Namespace::distro(&id, &format!("{a}.{b}")))
        }
        // Rolling distributions with one advisory set each.
        "wolfi" | "chainguard" => Some(Namespace::distro(&id, "rolling")),
        "rhel" | "centos" | "rocky" | "almalinux" => {
            (!major.is_empty()).then(|| Namespace::distro("rhel", major))
        }
        // Amazon Linux AMI (AL1) carries its image version (`2018.03`); ALAS keys it `1`.
        "amzn" if ver.contains('.') && major.len() == 4 => Some(Namespace::distro("amzn", "1")),
        // SLES and Leap: `15` or `15.3` (service pack), as SUSE's OSV ecosystems name them.
        "amzn" | "sles" | "sled" | "opensuse-leap" => {
            let id = if id == "sled" {
                "sles".to_string()
            } else {
                id.clone()
            };
            (!ver.is_empty()).then(|| Namespace::distro(&id, ver))
        }
        _ if like("rhel") && !major.is_empty() => None, // derivative with its own feed
        _ => None,
    }
}

/// The extended-support archive of a release, whose advisories also apply to its
/// images: a fix published only there is reported as [`FixState::ExtendedSupport`]
/// (`ubuntu:18.04` -> `ubuntu-pro:18.04`, Ubuntu Pro / ESM; `sles:15.3` ->
/// `sles-ltss:15.3`, SUSE Long Term Service Pack Support).
pub fn extended_namespace(ns: &Namespace) -> Option<Namespace> {
    match ns.distro_parts()? {
        ("ubuntu", rel) => Some(Namespace::distro("ubuntu-pro", rel)),
        ("sles", rel) => Some(Namespace::distro("sles-ltss", rel)),
        _ => None,
    }
}

fn scheme_of(eco: Ecosystem) -> Scheme {
    match eco {
        Ecosystem::Deb => Scheme::Dpkg,
        Ecosystem::Apk => Scheme::Apk,
        _ => Scheme::Rpm,
    }
}

/// The version compared against source-package rows.
fn source_version(pkg: &Package) -> String {
    match pkg.ecosystem {
        Ecosystem::Deb | Ecosystem::Apk => pkg
            .source_version
            .clone()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| pkg.version.clone()),
        _ => {
            // rpm: the source rpm shares the binary's epoch, which `source_version`
            // (from the SRPM file name) does not spell out.
            match pkg.source_version.as_deref().filter(|v| !v.is_empty()) {
                Some(sv) if !sv.contains(':') => match pkg.version.split_once(':') {
                    Some((epoch, _)) => format!("{epoch}:{sv}"),
                    None => sv.to_string(),
                },
                Some(sv) => sv.to_string(),
                None => pkg.version.clone(),
            }
        }
    }
}

/// `nodejs:10:8020020200707141642:6a468ee4` -> `nodejs:10`.
fn module_stream(label: &str) -> Option<String> {
    let mut p = label.split(':');
    let (name, stream) = (p.next()?, p.next()?);
    (!name.is_empty() && !stream.is_empty()).then(|| format!("{name}:{stream}"))
}

pub fn match_package(
    pkg: &Package,
    ns: &Namespace,
    lookups: &mut Lookups<'_>,
    report: &mut Report,
) -> Result<(), MatchError> {
    let scheme = scheme_of(pkg.ecosystem);
    let src_name = pkg.advisory_name().to_string();
    let bin_name = pkg.name.clone();
    let stream = pkg.modularity_label.as_deref().and_then(module_stream);
    let extended = extended_namespace(ns);
    let mut namespaces: Vec<&Namespace> = vec![ns];
    namespaces.extend(extended.as_ref());
    let mut fetched: Vec<Rc<[Advisory]>> = Vec::new();
    for n in &namespaces {
        fetched.push(lookups.get(n, &src_name)?);
        if bin_name != src_name {
            fetched.push(lookups.get(n, &bin_name)?);
        }
    }
    let mut advisories: Vec<&Advisory> = Vec::new();
    for a in fetched.iter().flat_map(|f| f.iter()) {
        if !advisories
            .iter()
            .any(|b| b.source == a.source && b.id == a.id)
        {
            advisories.push(a);
        }
    }
    let mut found: Vec<Finding> = Vec::new();
    for adv in advisories {
        report.stats.advisories_considered += 1;
        if adv.withdrawn.is_some() {
            report.stats.withdrawn_ignored += 1;
            continue;
        }
        report.stats.version_checks += 1;
        // One finding per (advisory, package): the first matching row wins, rows of
        // the release's own archive before those of its extended-support archive.
        let rows = adv.affected.iter().filter(|a| a.namespace == *ns).chain(
            adv.affected
                .iter()
                .filter(|a| extended.as_ref() == Some(&a.namespace)),
        );
        for aff in rows {
            let (name, version) = if aff.binary_name {
                (&bin_name, pkg.version.clone())
            } else {
                (&src_name, source_version(pkg))
            };
            if &aff.package != name {
                continue;
            }
            match (&aff.module, &stream) {
                (Some(m), Some(s)) if m != s => continue,
                (Some(_), None) => continue,
                (None, Some(_)) if aff.binary_name => continue,
                _ => {}
            }
            match evaluate(aff, scheme, &version) {
                Ok(Some((fix, rule))) => {
                    let fix = match fix {
                        FixState::Fixed(v) if aff.namespace != *ns => FixState::ExtendedSupport(v),
                        other => other,
                    };
                    let evidence = Evidence {
                        matcher: scheme.as_str().to_string(),
                        namespace: aff.namespace.clone(),
                        lookup_name: name.clone(),
                        compared_version: version.clone(),
                        scheme: scheme.as_str().to_string(),
                        rule: match &aff.module {
                            Some(m) => format!("{rule} (module {m})"),
                            None => rule,
                        },
                        records: vec![format!("{}:{}", adv.source, adv.id)],
                    };
                    let severity = aff.severity.unwrap_or(adv.severity);
                    found.push(new_finding(
                        adv,
                        pkg,
                        fix,
                        aff.fix_advisory.clone(),
                        severity,
                        evidence,
                    ));
                    break;
                }
                Ok(None) => {}
                Err(msg) => {
                    report.stats.version_errors += 1;
                    report.notes.push(Note {
                        package: pkg.name.clone(),
                        version: version.clone(),
                        advisory: adv.id.clone(),
                        message: msg,
                    });
                }
            }
        }
    }
    if ns
        .distro_parts()
        .is_some_and(|(d, _)| matches!(d, "alpine" | "wolfi" | "chainguard"))
    {
        found = per_cve_rows(found, scheme);
    }
    if ns.distro_parts().is_some_and(|(d, _)| d == "ubuntu") {
        found = merge_usn_into_cve_records(found);
    }
    report.findings.extend(found);
    Ok(())
}

/// Alpine's secdb is keyed by CVE: a secfix entry (`openssl@1.1.1d-r0: [CVE-2019-1547,
/// CVE-2019-1549, …]`) says that each listed CVE is fixed in that version. hull stores
/// the entry as one record (the feed's own granularity, and the id the corpus' expected
/// data uses), and reports one row per CVE, as Alpine, Trivy and Grype do: each row can
/// be ignored, VEX-ed and severity-rated on its own. A CVE listed by several entries of
/// one package (fixed, then fixed again) is one row naming every entry, with the
/// highest fixed version (the first one that clears every listing). Non-CVE ids of an
/// entry (`XSA-182`) stay on each of its rows: the stored record does not keep which
/// CVE they were written next to.
pub fn per_cve_rows(found: Vec<Finding>, scheme: Scheme) -> Vec<Finding> {
    let mut rows: Vec<Finding> = Vec::new();
    for f in found {
        let cves: Vec<&String> = f.aliases.iter().filter(|a| a.starts_with("CVE-")).collect();
        let pieces: Vec<Finding> = if cves.len() < 2 {
            vec![f]
        } else {
            cves.iter()
                .map(|cve| {
                    let mut row = f.clone();
                    row.id = (*cve).clone();
                    row.aliases = f
                        .aliases
                        .iter()
                        .filter(|a| a == cve || !a.starts_with("CVE-"))
                        .cloned()
                        .collect();
                    row
                })
                .collect()
        };
        for row in pieces {
            match rows.iter().position(|r| r.id == row.id) {
                Some(i) => {
                    let prev = rows.swap_remove(i);
                    let fix = highest_fix(&prev.fix, &row.fix, scheme);
                    let mut merged = crate::language::combine(prev, row);
                    merged.fix = fix;
                    rows.push(merged);
                }
                None => rows.push(row),
            }
        }
    }
    rows
}

/// Canonical publishes each fix twice: as a notice (`USN-4662-1`, listing its CVEs in
/// `upstream`) and per CVE (`UBUNTU-CVE-2020-1971`, which also carries CVEs with no fix
/// yet). With both forms imported, one package would show the same flaw twice. The
/// per-CVE rows are kept (one row per CVE, every fix state); a notice whose CVEs are
/// all covered by them is folded in: its id joins their aliases and becomes their
/// `fix_advisory` (the notice that ships the fix). A notice with a CVE no per-CVE row
/// covers, or with no CVE at all (USN-5079-3), stays a row of its own.
pub fn merge_usn_into_cve_records(found: Vec<Finding>) -> Vec<Finding> {
    let cve_of = |f: &Finding| {
        f.advisories
            .first()
            .and_then(|a| a.strip_prefix("UBUNTU-"))
            .filter(|c| c.starts_with("CVE-"))
            .map(str::to_string)
    };
    let covered: std::collections::BTreeSet<String> = found.iter().filter_map(cve_of).collect();
    if covered.is_empty() {
        return found;
    }
    let (notices, mut rest): (Vec<Finding>, Vec<Finding>) = found
        .into_iter()
        .partition(|f| f.advisories.first().is_some_and(|a| a.starts_with("USN-")));
    for usn in notices {
        let cves: Vec<&String> = usn
            .aliases
            .iter()
            .filter(|a| a.starts_with("CVE-"))
            .collect();
        if cves.is_empty() || !cves.iter().all(|c| covered.contains(*c)) {
            rest.push(usn);
            continue;
        }
        let usn_id = usn.advisories[0].clone();
        for f in rest.iter_mut() {
            if cve_of(f).is_some_and(|c| cves.contains(&&c)) {
                if !f.aliases.contains(&usn_id) {
                    f.aliases.push(usn_id.clone());
                    f.aliases.sort();
                }
                f.fix_advisory.get_or_insert_with(|| usn_id.clone());
                f.evidence.records.push(format!("{}:{usn_id}", usn.source));
            }
        }
    }
    rest
}

/// The fix state that clears both rows: the higher fixed version when both have one.
fn highest_fix(a: &FixState, b: &FixState, scheme: Scheme) -> FixState {
    match (a, b) {
        (FixState::Fixed(x), FixState::Fixed(y)) => match hull_version::compare(scheme, x, y) {
            Ok(std::cmp::Ordering::Less) => b.clone(),
            _ => a.clone(),
        },
        (FixState::Fixed(_), _) => b.clone(),
        _ => a.clone(),
    }
}

/// `Ok(Some((fix state, rule text)))` when `version` is affected by `aff`.
fn evaluate(
    aff: &Affected,
    scheme: Scheme,
    version: &str,
) -> Result<Option<(FixState, String)>, String> {
    match &aff.rule {
        VersionRule::LessThan { fixed } => {
            let ord = hull_version::compare(scheme, version, fixed).map_err(|e| e.to_string())?;
            Ok((ord == std::cmp::Ordering::Less).then(|| {
                (
                    FixState::Fixed(fixed.clone()),
                    format!("{version} < {fixed}"),
                )
            }))
        }
        VersionRule::All => Ok(Some((
            aff.fix.clone(),
            "all versions (no fix in this release)".into(),
        ))),
        VersionRule::Unaffected => Ok(None),
        VersionRule::Osv { ranges, versions } => {
            crate::language::eval_osv(ranges, versions, scheme, version).map(|r| {
                r.map(|m| {
                    let fix = m.fixed.map(FixState::Fixed).unwrap_or(FixState::NotFixed);
                    (fix, m.rule)
                })
            })
        }
        VersionRule::SemverReqs { .. } => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hull_model::ImagePath;

    fn distro(id: &str, v: &str) -> Distro {
        Distro {
            id: id.into(),
            version_id: v.into(),
            codename: None,
            pretty_name: None,
            id_like: vec![],
            path: ImagePath::root(),
        }
    }

    #[test]
    fn namespaces_of_releases() {
        assert_eq!(
            namespace_of(&distro("debian", "10")).unwrap().as_str(),
            "debian:10"
        );
        assert_eq!(
            namespace_of(&distro("alpine", "3.9.4")).unwrap().as_str(),
            "alpine:3.9"
        );
        assert_eq!(
            namespace_of(&distro("centos", "8.2.2004"))
                .unwrap()
                .as_str(),
            "rhel:8"
        );
        assert_eq!(
            namespace_of(&distro("ubuntu", "18.04")).unwrap().as_str(),
            "ubuntu:18.04"
        );
        assert!(namespace_of(&distro("plan9", "1")).is_none());
        assert_eq!(
            module_stream("nodejs:10:8020020200707141642:6a468ee4").as_deref(),
            Some("nodejs:10")
        );
    }
}
