//! Packages × advisories → findings, one matcher per ecosystem family, each finding
//! carrying the evidence of how it matched.
//!
//! What it does: [`match_inventory`] is a pure function of an [`Inventory`] and a
//! [`Db`]. OS packages ([`distro`]) are matched against the advisories of their own
//! distro release only, by source package, with the distro's comparator (dpkg, apk,
//! rpm incl. epochs and RHEL modularity streams); Alpine secfix entries give one row per
//! CVE ([`distro::per_cve_rows`]). Language packages ([`language`]) are
//! matched against OSV `ECOSYSTEM`/`SEMVER` ranges and `versions[]` lists (and RustSec
//! semver requirements) in their ecosystem's version order; findings on one installed
//! package whose ids are aliases of each other are merged into one row.
//!
//! What it does not do: read images or feeds, use NVD/CPE ranges for OS packages, or
//! guess `GIT` ranges (they are counted in [`Stats::git_only`]).
//!
//! ```no_run
//! let db = hull_vulndb::Db::open(std::path::Path::new("hull.db"))?;
//! let inventory = hull_model::Inventory::default();
//! let report = hull_match::match_inventory(&inventory, &db)?;
//! for f in &report.findings {
//!     println!("{} {} {}", f.id, f.package.name, f.evidence.rule);
//! }
//! # Ok::<(), hull_match::MatchError>(())
//! ```

pub mod distro;
pub mod language;

use std::collections::HashMap;
use std::rc::Rc;

use hull_model::{
    Advisory, Coverage, Evidence, Finding, FindingPackage, FixState, Inventory, Namespace, Package,
};
use hull_vulndb::Db;
use serde::Serialize;

/// The database could not be read while matching.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error("reading the vulnerability database: {0}")]
    Db(#[from] hull_vulndb::StoreError),
}

/// Something a matcher could not evaluate (kept as data, the scan goes on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub package: String,
    pub version: String,
    pub advisory: String,
    pub message: String,
}

/// Counters that say how complete the matching was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub packages: usize,
    /// OS packages skipped because the distro release is unknown or unsupported.
    pub os_packages_without_namespace: usize,
    pub advisories_considered: usize,
    /// (package, advisory) pairs whose version rules were actually evaluated: the
    /// candidates minus withdrawn and informational records. The unit of matching
    /// throughput (`cargo bench -p hull-match --bench matching`).
    pub version_checks: usize,
    /// Affected entries whose only ranges are `GIT` (commit ids): not evaluable
    /// against a package version, so counted rather than guessed.
    pub git_only: usize,
    pub withdrawn_ignored: usize,
    /// The image's distro release when the database holds no advisory for it: its OS
    /// packages were not checked (the result is unknown, not clean).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_namespace_without_data: Option<String>,
    pub informational_ignored: usize,
    pub version_errors: usize,
}

/// Findings plus what could not be evaluated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub stats: Stats,
    /// Per ecosystem, how many packages were checked against advisory data and how
    /// many could not be (their release or ecosystem has no data in the database).
    pub coverage: Coverage,
}

/// Match every package of `inventory` against `db`. Findings are sorted by
/// (path, package, id) so output is deterministic.
pub fn match_inventory(inventory: &Inventory, db: &Db) -> Result<Report, MatchError> {
    let mut report = Report::default();
    let mut lookups = Lookups::new(db);
    let ns = inventory.distro.as_ref().and_then(distro::namespace_of);
    if let Some(n) = &ns {
        let has_os = inventory.packages.iter().any(|p| p.ecosystem.is_os());
        let extended = match distro::extended_namespace(n) {
            Some(x) => db.has_namespace(&x)?,
            None => false,
        };
        if has_os && !db.has_namespace(n)? && !extended {
            report.stats.os_namespace_without_data = Some(n.to_string());
        }
    }
    let os_unchecked = match (&ns, &report.stats.os_namespace_without_data) {
        (None, _) => Some("unknown or unsupported distro release".to_string()),
        (Some(_), Some(n)) => Some(format!("no advisories for {n} in the database")),
        _ => None,
    };
    let mut ecosystem_has_data: HashMap<hull_model::Ecosystem, bool> = HashMap::new();
    for pkg in &inventory.packages {
        report.stats.packages += 1;
        let eco = pkg.ecosystem.as_str();
        if pkg.ecosystem.is_os() {
            report.coverage.add(eco, os_unchecked.as_deref());
            match &ns {
                Some(ns) => distro::match_package(pkg, ns, &mut lookups, &mut report)?,
                None => report.stats.os_packages_without_namespace += 1,
            }
        } else {
            let has = match ecosystem_has_data.get(&pkg.ecosystem) {
                Some(h) => *h,
                None => {
                    let h = db.has_namespace(&Namespace::ecosystem(pkg.ecosystem))?;
                    ecosystem_has_data.insert(pkg.ecosystem, h);
                    h
                }
            };
            let reason = format!("no advisories for {eco} in the database");
            report.coverage.add(eco, (!has).then_some(reason.as_str()));
            language::match_package(pkg, &mut lookups, &mut report)?;
        }
    }
    enrich_severity(&mut report.findings, db)?;
    report.findings.sort_by(|a, b| {
        (
            a.package.path.as_str(),
            &a.package.name,
            &a.package.version,
            &a.id,
        )
            .cmp(&(
                b.package.path.as_str(),
                &b.package.name,
                &b.package.version,
                &b.id,
            ))
    });
    Ok(report)
}

/// The advisories of each (namespace, name), read from the database once per scan.
/// Many installed packages share a key: the dpkg binaries of one source package, the
/// Go standard library of every Go binary, one library vendored in several places.
/// Reading and decoding a key's records is most of a lookup's cost.
pub struct Lookups<'a> {
    db: &'a Db,
    cache: HashMap<(Namespace, String), Rc<[Advisory]>>,
}

impl<'a> Lookups<'a> {
    pub fn new(db: &'a Db) -> Lookups<'a> {
        Lookups {
            db,
            cache: HashMap::new(),
        }
    }

    /// [`Db::lookup`], memoised.
    pub fn get(&mut self, ns: &Namespace, name: &str) -> Result<Rc<[Advisory]>, MatchError> {
        if let Some(hit) = self.cache.get(&(ns.clone(), name.to_string())) {
            return Ok(Rc::clone(hit));
        }
        let found: Rc<[Advisory]> = self.db.lookup(ns, name)?.into();
        self.cache
            .insert((ns.clone(), name.to_string()), Rc::clone(&found));
        Ok(found)
    }
}

/// Findings whose own feed gives no severity (Debian lists, Alpine secdb, Go vulndb)
/// take the highest severity of the CVE records that carry no affected packages (NVD),
/// when such records were imported. The record used is added to `evidence.records`
/// as `severity:<source>:<id>`.
fn enrich_severity(findings: &mut [Finding], db: &Db) -> Result<(), MatchError> {
    let mut cache: std::collections::HashMap<String, Option<(hull_model::Severity, String)>> =
        std::collections::HashMap::new();
    for f in findings
        .iter_mut()
        .filter(|f| f.severity == hull_model::Severity::Unknown)
    {
        let mut best: Option<(hull_model::Severity, String)> = None;
        for cve in f.aliases.iter().filter(|a| a.starts_with("CVE-")) {
            if !cache.contains_key(cve) {
                let found = db
                    .by_id(cve)?
                    .into_iter()
                    .filter(|a| {
                        a.affected.is_empty() && a.severity != hull_model::Severity::Unknown
                    })
                    .map(|a| (a.severity, format!("severity:{}:{}", a.source, a.id)))
                    .max_by_key(|(s, _)| *s);
                cache.insert(cve.clone(), found);
            }
            if let Some(Some(hit)) = cache.get(cve) {
                if best.as_ref().is_none_or(|b| hit.0 > b.0) {
                    best = Some(hit.clone());
                }
            }
        }
        if let Some((sev, record)) = best {
            f.severity = sev;
            f.evidence.records.push(record);
        }
    }
    Ok(())
}

pub(crate) fn finding_package(pkg: &Package) -> FindingPackage {
    FindingPackage {
        ecosystem: pkg.ecosystem,
        name: pkg.name.clone(),
        version: pkg.version.clone(),
        source_name: pkg.source_name.clone(),
        source_version: pkg.source_version.clone(),
        purl: pkg.purl.clone(),
        path: pkg.path.clone(),
    }
}

/// The display id: the record id when it is a CVE, else its only CVE alias, else the
/// record id.
pub(crate) fn display_id(adv: &Advisory) -> String {
    if adv.id.starts_with("CVE-") {
        return adv.id.clone();
    }
    let cves: Vec<&String> = adv
        .aliases
        .iter()
        .filter(|a| a.starts_with("CVE-"))
        .collect();
    match cves.as_slice() {
        [one] => (*one).clone(),
        _ => adv.id.clone(),
    }
}

pub(crate) fn new_finding(
    adv: &Advisory,
    pkg: &Package,
    fix: FixState,
    fix_advisory: Option<String>,
    severity: hull_model::Severity,
    evidence: Evidence,
) -> Finding {
    let mut aliases: Vec<String> = std::iter::once(adv.id.clone())
        .chain(adv.aliases.iter().cloned())
        .collect();
    aliases.sort();
    aliases.dedup();
    Finding {
        id: display_id(adv),
        advisories: vec![adv.id.clone()],
        aliases,
        source: adv.source.clone(),
        package: finding_package(pkg),
        severity,
        fix,
        fix_advisory,
        title: adv.summary.clone(),
        evidence,
    }
}
