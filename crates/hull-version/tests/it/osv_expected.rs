//! OSV range evaluation on real advisories against the corpus' expected findings for
//! the `app-debian` image (computed independently with Python `packaging`,
//! `semantic_version` and `univers`).
//!
//! For every (ecosystem, package, installed version) named in the expected findings,
//! every advisory file of the PyPI, Go, RustSec and GHSA feeds is evaluated with
//! hull's ranges; the set of files hull finds affecting must equal the expected set
//! (recall and precision per package).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hull_version::osv::{Event, Range, RangeType};
use hull_version::{affected_entry, Scheme};

use crate::common::{self, files_below};

fn scheme_of(ecosystem: &str) -> Option<Scheme> {
    Some(match ecosystem {
        "PyPI" => Scheme::Pep440,
        "Go" => Scheme::Go,
        "crates.io" => Scheme::Semver,
        "npm" => Scheme::Npm,
        "Maven" => Scheme::Maven,
        _ => return None,
    })
}

/// PEP 503 name normalisation for PyPI; other ecosystems match exactly.
fn norm(ecosystem: &str, name: &str) -> String {
    if ecosystem == "PyPI" {
        let mut out = String::new();
        let mut last_sep = false;
        for c in name.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !last_sep {
                    out.push('-');
                }
                last_sep = true;
            } else {
                out.push(c.to_ascii_lowercase());
                last_sep = false;
            }
        }
        out
    } else {
        name.to_string()
    }
}

/// The OSV feeds of language ecosystems, below `feeds/`.
const LANGUAGE_FEEDS: [&str; 4] = [
    "go-vulndb/data/osv",
    "pypi-pypa/vulns",
    "rustsec/osv",
    "ghsa/advisories",
];

/// The OSV documents (`.json`, `.yaml`) below the given folders of `feeds`.
fn osv_documents(feeds: &Path, dirs: &[&str]) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for d in dirs {
        files_below(&feeds.join(d), &["json", "yaml"], &mut all);
    }
    all
}

fn load(p: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(p).ok()?;
    if p.extension().is_some_and(|x| x == "yaml") {
        serde_yaml::from_str(&text).ok()
    } else {
        serde_json::from_str(&text).ok()
    }
}

fn events(r: &serde_json::Value) -> Vec<Event> {
    let mut out = Vec::new();
    for e in r["events"].as_array().into_iter().flatten() {
        let Some(obj) = e.as_object() else { continue };
        for (k, v) in obj {
            // YAML may give numbers for unquoted versions ("fixed: 2.0").
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push(match k.as_str() {
                "introduced" => Event::Introduced(v),
                "fixed" => Event::Fixed(v),
                "last_affected" => Event::LastAffected(v),
                "limit" => Event::Limit(v),
                _ => continue,
            });
        }
    }
    out
}

#[test]
fn osv_ranges_reproduce_expected_findings() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let expected_path = corpus.join("expected/app-debian.osv.json");
    let text = std::fs::read_to_string(&expected_path).expect("expected findings");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("expected json");

    // (ecosystem, normalised name, installed version) -> expected advisory files
    let mut want: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for r in &rows {
        let eco = r["ecosystem"].as_str().unwrap_or_default().to_string();
        let name = norm(&eco, r["package"].as_str().unwrap_or_default());
        let ver = r["installed_version"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let set = want.entry((eco, name, ver)).or_default();
        for f in r["source_files"].as_array().into_iter().flatten() {
            set.extend(f.as_str().map(String::from));
        }
    }
    assert!(!want.is_empty());

    let feeds = corpus.join("feeds");
    let mut all = osv_documents(&feeds, &LANGUAGE_FEEDS);
    all.sort();

    let mut got: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    let mut evaluated = 0usize;
    let mut errors = Vec::new();
    for path in &all {
        let Some(doc) = load(path) else { continue };
        if doc.get("withdrawn").is_some_and(|w| !w.is_null()) {
            continue;
        }
        let rel = path
            .strip_prefix(&feeds)
            .unwrap_or(path)
            .to_string_lossy()
            .to_string();
        for aff in doc["affected"].as_array().into_iter().flatten() {
            let eco = aff["package"]["ecosystem"].as_str().unwrap_or_default();
            let name = norm(eco, aff["package"]["name"].as_str().unwrap_or_default());
            // RustSec informational notices (unmaintained, unsound) are not findings.
            if aff["database_specific"]["informational"].as_str().is_some() {
                continue;
            }
            let Some(scheme) = scheme_of(eco) else {
                continue;
            };
            for key in want.keys().filter(|k| k.0 == eco && k.1 == name) {
                let installed = &key.2;
                let ranges: Vec<Range> = aff["ranges"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| {
                        Range::new(
                            RangeType::from_osv(r["type"].as_str().unwrap_or("")),
                            events(r),
                        )
                    })
                    .collect();
                let versions: Vec<String> = aff["versions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect();
                evaluated += ranges.len();
                let hit = match affected_entry(scheme, &ranges, &versions, installed) {
                    Ok(hit) => hit,
                    Err(e) => {
                        errors.push(format!("{rel}: {e}"));
                        false
                    }
                };
                if hit {
                    got.entry(key.clone()).or_default().insert(rel.clone());
                }
            }
        }
    }

    let mut missing = Vec::new();
    let mut extra = Vec::new();
    let (mut tp, mut n_want, mut n_got) = (0usize, 0usize, 0usize);
    for (k, w) in &want {
        let g = got.get(k).cloned().unwrap_or_default();
        n_want += w.len();
        n_got += g.len();
        tp += w.intersection(&g).count();
        missing.extend(w.difference(&g).map(|f| format!("{k:?}: {f}")));
        extra.extend(g.difference(w).map(|f| format!("{k:?}: {f}")));
    }
    eprintln!(
        "osv expected findings: {} advisory files scanned, {evaluated} ranges evaluated, \
         {tp}/{n_want} expected found (recall), {tp}/{n_got} found expected (precision), {} errors",
        all.len(),
        errors.len()
    );
    for m in missing.iter().take(20) {
        eprintln!("  missing {m}");
    }
    for m in extra.iter().take(20) {
        eprintln!("  extra {m}");
    }
    for e in errors.iter().take(20) {
        eprintln!("  error {e}");
    }
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} missing, {} extra",
        missing.len(),
        extra.len()
    );
}

/// Every event bound in every OSV document of the corpus (Go, PyPI, RustSec, GHSA,
/// Debian/Ubuntu/Alpine OSV excerpts, Debian ELTS) must parse in its ecosystem's scheme.
#[test]
fn every_osv_event_bound_parses() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let distro_feeds = [
        "legacy-excerpts/osv-alpine",
        "legacy-excerpts/osv-debian",
        "legacy-excerpts/osv-ubuntu",
        "legacy-excerpts/debian-elts-osv",
        "ubuntu/osv",
        "debian/osv-fixtures",
    ];
    let feeds = corpus.join("feeds");
    let all = osv_documents(&feeds, &[LANGUAGE_FEEDS.as_slice(), &distro_feeds].concat());
    let (mut bounds, mut unknown_ecosystems) = (0usize, BTreeSet::new());
    let mut bad = Vec::new();
    for path in &all {
        let Some(doc) = load(path) else { continue };
        for aff in doc["affected"].as_array().into_iter().flatten() {
            let eco = aff["package"]["ecosystem"].as_str().unwrap_or_default();
            let Some(scheme) = Scheme::for_osv_ecosystem(eco) else {
                unknown_ecosystems.insert(eco.to_string());
                continue;
            };
            for r in aff["ranges"].as_array().into_iter().flatten() {
                let range = Range::new(
                    RangeType::from_osv(r["type"].as_str().unwrap_or("")),
                    events(r),
                );
                let Ok(eff) = range.effective_scheme(scheme) else {
                    continue;
                };
                for e in &range.events {
                    let (Event::Introduced(v)
                    | Event::Fixed(v)
                    | Event::LastAffected(v)
                    | Event::Limit(v)) = e;
                    if v == "0" || v == "*" {
                        continue;
                    }
                    bounds += 1;
                    // Legacy (non-PEP 440) bounds in two PyPI advisories: `packaging`
                    // refuses them too; a matcher reports them as diagnostics.
                    if eff == Scheme::Pep440 && ["0.2.0-n653", "2019-09-12"].contains(&v.as_str()) {
                        assert!(hull_version::Version::parse(eff, v).is_err());
                        continue;
                    }
                    if let Err(err) = hull_version::Version::parse_bound(eff, v) {
                        bad.push(format!(
                            "{}: {err}",
                            path.strip_prefix(&feeds).unwrap_or(path).display()
                        ));
                    }
                }
            }
        }
    }
    eprintln!(
        "osv bounds: {} documents, {bounds} event versions, {} unparseable; ecosystems without rules: {unknown_ecosystems:?}",
        all.len(),
        bad.len()
    );
    for b in bad.iter().take(30) {
        eprintln!("  {b}");
    }
    assert!(bounds > 10_000, "only {bounds} bounds");
    assert!(bad.is_empty(), "{} unparseable bounds", bad.len());
}
