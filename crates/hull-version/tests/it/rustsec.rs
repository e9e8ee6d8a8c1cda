//! RustSec publishes each advisory twice: natively, as cargo version requirements
//! (`patched`, `unaffected`), and as an OSV export with `introduced`/`fixed` events.
//! Both forms must give the same answer for every version they mention, which checks
//! hull's cargo `VersionReq` semantics against its OSV evaluation on ~1000 real
//! advisories.

use std::collections::BTreeSet;
use std::path::Path;

use hull_version::osv::{Event, Range, RangeType};
use hull_version::{Constraint, Scheme, Version};

use crate::common;

/// The `patched` and `unaffected` requirement strings of a native advisory.
fn native_reqs(md: &str) -> Option<(String, Vec<String>, Vec<String>)> {
    let toml = md.split("```toml").nth(1)?.split("```").next()?;
    let id = toml
        .lines()
        .find_map(|l| l.trim().strip_prefix("id = "))?
        .trim_matches('"')
        .to_string();
    let array = |key: &str| -> Vec<String> {
        let Some(start) = toml.find(&format!("\n{key} = [")) else {
            return Vec::new();
        };
        let body = &toml[start..];
        let end = body.find(']').unwrap_or(body.len());
        body[..end]
            .split('"')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect()
    };
    Some((id, array("patched"), array("unaffected")))
}

fn osv_events(doc: &serde_json::Value) -> Option<Vec<Event>> {
    let affected = doc["affected"].as_array()?;
    if affected.len() != 1 {
        return None;
    }
    let ranges = affected[0]["ranges"].as_array()?;
    if ranges.len() != 1 || ranges[0]["type"] != "SEMVER" {
        return None;
    }
    let mut out = Vec::new();
    for e in ranges[0]["events"].as_array()? {
        let (k, v) = e.as_object()?.iter().next()?;
        let v = v.as_str()?.to_string();
        out.push(match k.as_str() {
            "introduced" => Event::Introduced(v),
            "fixed" => Event::Fixed(v),
            "last_affected" => Event::LastAffected(v),
            _ => return None,
        });
    }
    Some(out)
}

fn probes(events: &[Event]) -> BTreeSet<String> {
    let mut out = BTreeSet::from(["0.0.1".to_string(), "999.0.0".to_string()]);
    for e in events {
        let (Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v)) = e;
        let base = v.split('-').next().unwrap_or(v);
        let Ok(parsed) = Version::parse(Scheme::Semver, base) else {
            continue;
        };
        let nums: Vec<u64> = parsed
            .as_str()
            .split('.')
            .filter_map(|n| n.parse().ok())
            .collect();
        if let [a, b, c] = nums[..] {
            out.insert(format!("{a}.{b}.{c}"));
            out.insert(format!("{a}.{b}.{}", c + 1));
            if c > 0 {
                out.insert(format!("{a}.{b}.{}", c - 1));
            } else if b > 0 {
                out.insert(format!("{a}.{}.99", b - 1));
            }
        }
    }
    out
}

#[test]
fn rustsec_native_requirements_agree_with_osv_export() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let native_dir = corpus.join("feeds/rustsec/native/crates");
    let osv_dir = corpus.join("feeds/rustsec/osv/crates");
    let mut mds = Vec::new();
    collect(&native_dir, &mut mds);
    assert!(mds.len() > 500, "too few native advisories: {}", mds.len());

    let (mut reqs, mut advisories, mut probes_checked) = (0usize, 0usize, 0usize);
    let mut bad = Vec::new();
    for md in &mds {
        let Ok(text) = std::fs::read_to_string(md) else {
            continue;
        };
        let Some((id, patched, unaffected)) = native_reqs(&text) else {
            continue;
        };
        let mut cons = Vec::new();
        for r in patched.iter().chain(&unaffected) {
            reqs += 1;
            match Constraint::parse(Scheme::Semver, r) {
                Ok(c) => cons.push(c),
                Err(e) => bad.push(format!("{id}: {e}")),
            }
        }
        let Ok(osv_text) = std::fs::read_to_string(osv_dir.join(format!("{id}.json"))) else {
            continue;
        };
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&osv_text) else {
            continue;
        };
        // Withdrawn advisories are not findings; one of them (RUSTSEC-2020-0055,
        // `unaffected = ["> 0"]`) is also exported with a different reading of `>0`
        // than cargo's, where `>0` means `>=1.0.0`.
        if doc.get("withdrawn").is_some_and(|w| !w.is_null()) {
            continue;
        }
        let Some(events) = osv_events(&doc) else {
            continue;
        };
        advisories += 1;
        let range = Range::new(RangeType::Semver, events.clone());
        for p in probes(&events) {
            let v = Version::parse(Scheme::Semver, &p).expect("probe is semver");
            let native = !cons.iter().any(|c| c.matches(&v));
            match range.affects(Scheme::Semver, &p) {
                Ok(osv) if osv == native => probes_checked += 1,
                other => bad.push(format!(
                    "{id} at {p}: native affected={native}, osv {other:?}"
                )),
            }
        }
    }
    eprintln!(
        "rustsec: {reqs} requirements parsed, {advisories} advisories cross-checked on \
         {probes_checked} probe versions, {} disagreements",
        bad.len()
    );
    for b in bad.iter().take(25) {
        eprintln!("  {b}");
    }
    assert!(advisories > 500 && probes_checked > 2000);
    assert!(bad.is_empty());
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
    out.sort();
}
