//! Pod Security Standards conformance on the official Pod Security Admission fixtures
//! ($HULL_CORPUS/configs/pss, see its PROVENANCE.md): at every level and version, every
//! `fail/X*.yaml` reports control X and every `pass/*.yaml` reports no violation.

use std::path::{Path, PathBuf};

use hull_audit::pss::{self, Level, Profile, Version};
use hull_audit::Parsed;

fn pss_dir() -> Option<PathBuf> {
    hull_testkit::corpus_with("configs/pss").map(|d| d.join("configs/pss"))
}

/// `capabilities_baseline3.yaml` → `capabilitiesbaseline`; `pss:capabilities-baseline` → the same.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

struct Tally {
    fail_ok: usize,
    fail_total: usize,
    pass_ok: usize,
    pass_total: usize,
    errors: Vec<String>,
}

fn controls_of(path: &Path, profile: Profile) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let parsed =
        hull_audit::parse(&path.display().to_string(), &text).map_err(|e| e.to_string())?;
    let Parsed::Kubernetes(objs) = parsed else {
        return Err("not Kubernetes".into());
    };
    let mut out = vec![];
    for o in &objs {
        let (meta, spec) = pss::pod_parts(&o.value).ok_or("no pod spec")?;
        out.extend(
            pss::evaluate(meta, spec, profile)
                .into_iter()
                .map(|v| v.control.slug().to_string()),
        );
    }
    Ok(out)
}

fn run_version(dir: &Path, level: Level, minor: u32) -> Tally {
    let profile = Profile::new(level, Version::Minor(minor));
    let mut t = Tally {
        fail_ok: 0,
        fail_total: 0,
        pass_ok: 0,
        pass_total: 0,
        errors: vec![],
    };
    let vdir = dir.join(level.as_str()).join(format!("v1.{minor}"));
    for sub in ["fail", "pass"] {
        let Ok(rd) = std::fs::read_dir(vdir.join(sub)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let name = f
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_string();
            let got = match controls_of(&f, profile) {
                Ok(g) => g,
                Err(e) => {
                    t.errors.push(format!("{profile} {sub}/{name}: {e}"));
                    continue;
                }
            };
            if sub == "fail" {
                t.fail_total += 1;
                let want = norm(&name);
                if got.iter().any(|c| norm(c) == want) {
                    t.fail_ok += 1;
                } else {
                    t.errors
                        .push(format!("{profile} fail/{name}: reported {got:?}"));
                }
            } else {
                t.pass_total += 1;
                if got.is_empty() {
                    t.pass_ok += 1;
                } else {
                    t.errors
                        .push(format!("{profile} pass/{name}: reported {got:?}"));
                }
            }
        }
    }
    t
}

#[test]
fn pss_fixtures_every_level_and_version() {
    let Some(dir) = pss_dir() else { return };
    let jobs: Vec<(Level, u32)> = [Level::Baseline, Level::Restricted]
        .into_iter()
        .flat_map(|l| (0..=pss::LATEST_MINOR).map(move |m| (l, m)))
        .collect();
    let results: Vec<((Level, u32), Tally)> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(4))
            .map(|chunk| {
                let dir = &dir;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|&(l, m)| ((l, m), run_version(dir, l, m)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut errors = vec![];
    let (mut files, mut ok) = (0, 0);
    for ((level, minor), t) in &results {
        eprintln!(
            "pss {:<10} v1.{minor:<2}  fail {:>3}/{:<3} pass {:>3}/{:<3}",
            level.as_str(),
            t.fail_ok,
            t.fail_total,
            t.pass_ok,
            t.pass_total
        );
        assert!(
            t.fail_total > 0 && t.pass_total > 0,
            "no fixtures for {level:?} v1.{minor}"
        );
        files += t.fail_total + t.pass_total;
        ok += t.fail_ok + t.pass_ok;
        errors.extend(t.errors.iter().cloned());
    }
    eprintln!("pss total: {ok}/{files} fixtures as expected");
    assert!(
        errors.is_empty(),
        "{} fixture(s) wrong:\n{}",
        errors.len(),
        errors.join("\n")
    );
    assert!(files > 4000, "only {files} fixtures found");
}
