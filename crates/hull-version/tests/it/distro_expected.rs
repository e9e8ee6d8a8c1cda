//! Distro comparators on real advisories: Alpine secdb, the Debian security tracker's
//! DSA/DLA lists and Debian ELTS OSV advisories, evaluated against the installed
//! packages of the legacy images with the simplest correct matching rule (same source
//! package, installed < fixed). The result must equal the corpus' expected findings,
//! which were computed with apk-tools rules and libapt.

use std::collections::BTreeSet;
use std::path::Path;

use hull_version::osv::{Event, Range};
use hull_version::{compare, Scheme};

use crate::common;

fn json(p: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn s(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// A file's name without its extension.
fn stem(f: &Path) -> String {
    f.file_stem()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// The `matches` of an expected-findings file, each written as the values of `fields`
/// joined by blanks.
fn matches(expected: &serde_json::Value, fields: &[&str]) -> BTreeSet<String> {
    expected["matches"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let values: Vec<String> = fields.iter().map(|k| s(&m[*k])).collect();
            values.join(" ")
        })
        .collect()
}

fn expected_files(corpus: &Path, infix: &str) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(corpus.join("expected/legacy"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(infix))
        })
        .collect();
    out.sort();
    out
}

fn diff(what: &str, want: &BTreeSet<String>, got: &BTreeSet<String>, bad: &mut Vec<String>) {
    for m in want.difference(got) {
        bad.push(format!("{what}: missing {m}"));
    }
    for m in got.difference(want) {
        bad.push(format!("{what}: extra {m}"));
    }
}

fn finish(kind: &str, files: usize, want_total: usize, bad: &[String]) {
    eprintln!(
        "{kind}: {files} image/feed pairs, {want_total} expected matches, {} differences",
        bad.len()
    );
    for b in bad.iter().take(25) {
        eprintln!("  {b}");
    }
    assert!(files > 0, "{kind}: no expected files");
    assert!(bad.is_empty(), "{kind}: {} differences", bad.len());
}

#[test]
fn alpine_secdb_matches_expected() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let files = expected_files(&corpus, "__alpine-secdb-");
    let (mut bad, mut total) = (Vec::new(), 0);
    for f in &files {
        // alpine-3.9.4__alpine-secdb-v3.9-main.json
        let name = stem(f);
        let (image, feed) = name.split_once("__alpine-secdb-").expect("file name");
        let (release, repo) = feed.rsplit_once('-').expect("feed name");
        let expected = json(f);
        let want = matches(&expected, &["advisory", "package"]);
        total += want.len();

        let truth = json(&corpus.join(format!("truth/legacy/{image}.json")));
        let secdb = json(&corpus.join(format!(
            "feeds/alpine/secdb-json-derived/{release}/{repo}.json"
        )));
        let mut got = BTreeSet::new();
        for p in truth["packages"].as_array().into_iter().flatten() {
            let (origin, installed) = (s(&p["source_name"]), s(&p["version"]));
            for entry in secdb["packages"].as_array().into_iter().flatten() {
                if entry["pkg"]["name"] != origin.as_str() {
                    continue;
                }
                for fixed in entry["pkg"]["secfixes"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k)
                {
                    match compare(Scheme::Apk, &installed, fixed) {
                        Ok(std::cmp::Ordering::Less) => {
                            got.insert(format!("{origin}@{fixed} {}", s(&p["name"])));
                        }
                        Ok(_) => {}
                        // Unparseable secdb keys are diagnostics, never findings.
                        Err(_) => {}
                    }
                }
            }
        }
        diff(&name, &want, &got, &mut bad);
    }
    finish("alpine secdb", files.len(), total, &bad);
}

/// `(advisory, source, fixed)` for one release from a DSA/DLA list.
fn tracker_list(text: &str, release: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let tag = format!("[{release}] - ");
    for line in text.lines() {
        if line.starts_with('[') {
            // "[29 Mar 2023] DSA-5380-1 xorg-server - security update"
            current = line
                .split_whitespace()
                .nth(3)
                .unwrap_or_default()
                .to_string();
        } else if let Some(rest) = line.trim().strip_prefix(&tag) {
            let mut w = rest.split_whitespace();
            if let (Some(src), Some(ver)) = (w.next(), w.next()) {
                if !ver.starts_with('<') {
                    out.push((current.clone(), src.to_string(), ver.to_string()));
                }
            }
        }
    }
    out
}

#[test]
fn debian_tracker_matches_expected() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let (mut bad, mut total, mut n) = (Vec::new(), 0, 0);
    for kind in ["DSA", "DLA"] {
        let list = std::fs::read_to_string(
            corpus.join(format!("feeds/debian/security-tracker/data/{kind}/list")),
        )
        .expect("tracker list");
        for f in expected_files(&corpus, &format!("__debian-{kind}-")) {
            n += 1;
            let name = stem(&f);
            let (image, release) = name
                .split_once(&format!("__debian-{kind}-"))
                .expect("file name");
            let expected = json(&f);
            let want = matches(&expected, &["advisory", "source", "fixed"]);
            total += want.len();
            let truth = json(&corpus.join(format!("truth/legacy/{image}.json")));
            let installed: BTreeSet<(String, String)> = truth["packages"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| (s(&p["source_name"]), s(&p["source_version"])))
                .collect();
            let mut got = BTreeSet::new();
            for (adv, src, fixed) in tracker_list(&list, release) {
                for (name, ver) in installed.iter().filter(|(n, _)| *n == src) {
                    if compare(Scheme::Dpkg, ver, &fixed) == Ok(std::cmp::Ordering::Less) {
                        got.insert(format!("{adv} {name} {fixed}"));
                    }
                }
            }
            diff(&name, &want, &got, &mut bad);
        }
    }
    finish("debian tracker", n, total, &bad);
}

#[test]
fn debian_elts_osv_matches_expected() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let dir = corpus.join("feeds/legacy-excerpts/debian-elts-osv/advisories");
    let mut docs = Vec::new();
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        docs.push(json(&e.path()));
    }
    let (mut bad, mut total, mut n) = (Vec::new(), 0, 0);
    for f in expected_files(&corpus, "__osv:debian-elts-osv") {
        n += 1;
        let name = stem(&f);
        let image = name.split("__").next().unwrap_or_default();
        let expected = json(&f);
        let want = matches(&expected, &["advisory", "package"]);
        total += want.len();
        let ecosystem = expected["matches"][0]["ecosystem"]
            .as_str()
            .unwrap_or("Debian:?")
            .to_string();
        let truth = json(&corpus.join(format!("truth/legacy/{image}.json")));
        // (source, source version, binary=version): ELTS advisories name source
        // packages; the expected findings list each installed binary.
        let installed: Vec<(String, String, String)> = truth["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let bin = format!("{}={}", s(&p["name"]), s(&p["version"]));
                (s(&p["source_name"]), s(&p["source_version"]), bin)
            })
            .collect();
        let mut got = BTreeSet::new();
        for doc in &docs {
            for aff in doc["affected"].as_array().into_iter().flatten() {
                if aff["package"]["ecosystem"] != ecosystem.as_str() {
                    continue;
                }
                let pkg = s(&aff["package"]["name"]);
                for (_, ver, bin) in installed.iter().filter(|(n, _, _)| *n == pkg) {
                    let hit = aff["ranges"].as_array().into_iter().flatten().any(|r| {
                        let events: Vec<Event> = r["events"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|e| {
                                let (k, v) = e.as_object()?.iter().next()?;
                                let v = v.as_str()?.to_string();
                                Some(match k.as_str() {
                                    "introduced" => Event::Introduced(v),
                                    "fixed" => Event::Fixed(v),
                                    "last_affected" => Event::LastAffected(v),
                                    _ => Event::Limit(v),
                                })
                            })
                            .collect();
                        Range::ecosystem(events).affects(Scheme::Dpkg, ver) == Ok(true)
                    });
                    if hit {
                        got.insert(format!("{} {bin}", s(&doc["id"])));
                    }
                }
            }
        }
        diff(&name, &want, &got, &mut bad);
    }
    finish("debian elts osv", n, total, &bad);
}

/// Split Red Hat's `name-epoch:version-release` into name and EVR.
fn split_nevr(s: &str) -> Option<(&str, &str)> {
    let colon = s.find(':')?;
    let dash = s[..colon].rfind('-')?;
    Some((&s[..dash], &s[dash + 1..]))
}

#[test]
fn redhat_security_data_matches_expected() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let dir = corpus.join("feeds/redhat/security-data-api");
    let mut docs = Vec::new();
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let rel = format!(
            "redhat/security-data-api/{}",
            e.file_name().to_string_lossy()
        );
        docs.push((rel, json(&e.path())));
    }
    let (mut bad, mut total, mut n) = (Vec::new(), 0, 0);
    for f in expected_files(&corpus, "__redhat-security-data-api-el") {
        n += 1;
        let name = stem(&f);
        let (image, el) = name
            .split_once("__redhat-security-data-api-el")
            .expect("file name");
        let expected = json(&f);
        let want = matches(&expected, &["advisory", "feed_file", "package"]);
        total += want.len();
        let truth = json(&corpus.join(format!("truth/legacy/{image}.json")));
        let cpes = [
            format!("cpe:/o:redhat:enterprise_linux:{el}"),
            format!("cpe:/a:redhat:enterprise_linux:{el}"),
        ];
        let mut got = BTreeSet::new();
        for (rel, doc) in &docs {
            for fix in doc["affected_release"].as_array().into_iter().flatten() {
                if !cpes.iter().any(|c| fix["cpe"] == c.as_str()) {
                    continue;
                }
                let Some((src, fixed)) = split_nevr(fix["package"].as_str().unwrap_or_default())
                else {
                    continue;
                };
                for p in truth["packages"].as_array().into_iter().flatten() {
                    // Module streams are matched by the matcher, not by version alone.
                    if s(&p["source_name"]) != src || !p["modularitylabel"].is_null() {
                        continue;
                    }
                    let epoch = match &p["epoch"] {
                        serde_json::Value::Number(e) => format!("{e}:"),
                        _ => String::new(),
                    };
                    let evr = format!("{epoch}{}-{}", s(&p["version"]), s(&p["release"]));
                    if compare(Scheme::Rpm, &evr, fixed) == Ok(std::cmp::Ordering::Less) {
                        got.insert(format!(
                            "{} {rel} {}-{evr}.{}",
                            s(&fix["advisory"]),
                            s(&p["name"]),
                            s(&p["arch"])
                        ));
                    }
                }
            }
        }
        diff(&name, &want, &got, &mut bad);
    }
    finish("red hat security data", n, total, &bad);
}
