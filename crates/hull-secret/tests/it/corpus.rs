//! Accuracy on the shared corpus: every file of the final view of each corpus image goes
//! through the scanner (streamed by hull-image, as the one-pass walk does), and the
//! image config values through `scan_value`. The planted secrets of `secrets` must all
//! be found at their path and line, its negative controls stay silent, app-debian's two
//! `Env` secrets are found, and every other file of every other image yields nothing.
//! Trivy's reference output is printed beside hull's.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use hull_image::{EntryKind, Image, OpenOptions};
use hull_model::ImagePath;
use hull_secret::{Scanner, Secret};
use serde_json::Value;

/// What a walk of one image found: per (layer, path) streamed, the findings; which of
/// those paths the final view keeps; how many files and bytes were scanned.
struct Walked {
    /// Findings in files of the final view: path → findings.
    visible: BTreeMap<String, Vec<Secret>>,
    /// Findings in entries that a later layer replaced or deleted: (layer, path) → findings.
    hidden: BTreeMap<(usize, String), Vec<Secret>>,
    /// Regular files streamed, and how many of them (and bytes) the scanner wanted.
    seen: usize,
    files: usize,
    bytes: u64,
}

fn walk(image: &Image, scanner: &Scanner) -> Walked {
    let found: Mutex<BTreeMap<(usize, ImagePath), Vec<Secret>>> = Mutex::new(BTreeMap::new());
    let counts = Mutex::new((0usize, 0u64));
    let seen = std::sync::atomic::AtomicUsize::new(0);
    let tree = image
        .walk(&|e, r| {
            if e.kind != EntryKind::File {
                return Ok(());
            }
            seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if !scanner.wants(&e.path.to_string(), e.size) {
                return Ok(());
            }
            let mut data = Vec::with_capacity(e.size as usize);
            r.read_to_end(&mut data)?;
            let v = scanner.scan(&e.path.to_string(), &data);
            {
                let mut c = counts.lock().unwrap();
                c.0 += 1;
                c.1 += data.len() as u64;
            }
            if !v.is_empty() {
                found.lock().unwrap().insert((e.layer, e.path.clone()), v);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("walk {}: {e}", image.info.target));
    let (files, bytes) = counts.into_inner().unwrap();
    let mut w = Walked {
        visible: BTreeMap::new(),
        hidden: BTreeMap::new(),
        seen: seen.into_inner(),
        files,
        bytes,
    };
    for ((layer, path), v) in found.into_inner().unwrap() {
        let live = tree
            .get(&path)
            .is_some_and(|n| n.layer == layer && n.kind == EntryKind::File);
        if live {
            w.visible.insert(path.to_string(), v);
        } else {
            w.hidden.insert((layer, path.to_string()), v);
        }
    }
    w
}

fn open(target: &str) -> Image {
    hull_image::open(target, &OpenOptions::default()).unwrap_or_else(|e| panic!("{target}: {e}"))
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

/// Trivy's secret findings in a reference file: (target, rule, line).
fn trivy_secrets(p: &Path) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for r in json(p)["Results"].as_array().into_iter().flatten() {
        for s in r["Secrets"].as_array().into_iter().flatten() {
            out.push((
                r["Target"].as_str().unwrap_or("").to_string(),
                s["RuleID"].as_str().unwrap_or("").to_string(),
                s["StartLine"].as_u64().unwrap_or(0),
            ));
        }
    }
    out.sort();
    out
}

/// The hull rule id a truth `type` names ("private-key (PKCS#8 …)" → `private-key`,
/// "password (generic, …)" → `generic-password`).
fn truth_rule(kind: &str) -> String {
    let first = kind.split_whitespace().next().unwrap_or(kind);
    match first {
        "password" => "generic-password".into(),
        other => other.into(),
    }
}

fn print_row(what: &str, hull: &str, trivy: &str) {
    println!("{what:<58} | {hull:<34} | {trivy}");
}

#[test]
fn secrets_image_matches_truth() {
    let Some(c) = hull_testkit::corpus_with("images/secrets.oci.tar") else {
        return;
    };
    let truth = json(&c.join("truth/secrets.json"));
    let trivy = trivy_secrets(&c.join("reference/trivy/secrets/trivy-image-secret.json"));
    let scanner = Scanner::builtin();
    for form in [
        "oci-archive:images/secrets.oci.tar",
        "docker-archive:images/secrets.docker.tar",
    ] {
        let (kind, rel) = form.split_once(':').unwrap();
        let image = open(&format!("{kind}:{}", c.join(rel).display()));
        let w = walk(&image, &scanner);
        println!("\n== {form}: {} files, {} bytes scanned", w.files, w.bytes);
        print_row("planted secret (truth)", "hull", "trivy");
        let mut failures = Vec::new();
        let mut matched: Vec<(String, u32)> = Vec::new();
        for p in truth["planted_secrets"].as_array().unwrap() {
            let path = p["path"].as_str().unwrap();
            let line = p["line"].as_u64().unwrap() as u32;
            let rule = truth_rule(p["type"].as_str().unwrap());
            let visible = p["visible"].as_bool().unwrap();
            let layer = p["layer"].as_u64().unwrap() as usize - 1;
            let t = trivy
                .iter()
                .find(|(tp, _, tl)| tp == path && *tl == line as u64)
                .map_or("-".to_string(), |(_, r, l)| format!("{r} line {l}"));
            let pool = if visible {
                w.visible.get(path)
            } else {
                w.hidden.get(&(layer, path.to_string()))
            };
            let hit = pool.and_then(|v| v.iter().find(|s| s.rule == rule && s.line == line));
            let h = match hit {
                Some(s) if visible => format!("{} line {}", s.rule, s.line),
                Some(s) => format!("{} line {} (deleted, layer {})", s.rule, s.line, layer + 1),
                None => "MISSED".into(),
            };
            print_row(&format!("{path}:{line} {rule}"), &h, &t);
            if hit.is_none() {
                failures.push(format!(
                    "missed {rule} at {path}:{line} (visible: {visible})"
                ));
            } else if visible {
                matched.push((path.to_string(), line));
            }
            if let Some(v) = p["value"].as_str() {
                // No excerpt carries the secret; the fingerprint names it.
                for s in pool.into_iter().flatten() {
                    assert!(
                        !s.excerpt.contains(v),
                        "{path}: excerpt shows the secret: {}",
                        s.excerpt
                    );
                }
                if let Some(s) = hit {
                    let want = format!(
                        "sha256:{}",
                        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(v.as_bytes()))
                    );
                    assert_eq!(s.fingerprint, want, "{path}:{line}");
                }
            }
        }
        // Nothing else: every visible finding is a planted secret.
        for (path, v) in &w.visible {
            for s in v {
                if !matched.contains(&(path.clone(), s.line)) {
                    failures.push(format!(
                        "unexpected {} at {path}:{} ({})",
                        s.rule, s.line, s.excerpt
                    ));
                }
            }
        }
        for n in truth["negative_controls"].as_array().unwrap() {
            let path = n["path"].as_str().unwrap();
            let t = if trivy.iter().any(|(tp, _, _)| tp == path) {
                "finding"
            } else {
                "silent"
            };
            let h = if w.visible.contains_key(path) {
                "FINDING"
            } else {
                "silent"
            };
            print_row(&format!("{path} (negative control)"), h, t);
            if w.visible.contains_key(path) {
                failures.push(format!("negative control {path} not silent"));
            }
        }
        let visible_truth = truth["planted_secrets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["visible"].as_bool().unwrap())
            .count();
        let trivy_visible = truth["planted_secrets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["visible"].as_bool().unwrap())
            .filter(|p| {
                trivy.iter().any(|(tp, _, tl)| {
                    tp == p["path"].as_str().unwrap() && *tl == p["line"].as_u64().unwrap()
                })
            })
            .count();
        println!(
            "visible planted secrets found: hull {}/{visible_truth}, trivy {trivy_visible}/{visible_truth}",
            matched.len()
        );
        assert!(failures.is_empty(), "{form}:\n{}", failures.join("\n"));
        assert_eq!(matched.len(), visible_truth);
    }
}

#[test]
fn app_debian_env_secrets_and_no_file_findings() {
    let Some(c) = hull_testkit::corpus_with("images/app-debian.oci.tar") else {
        return;
    };
    let scanner = Scanner::builtin();
    let image = open(&format!(
        "oci-archive:{}",
        c.join("images/app-debian.oci.tar").display()
    ));
    let w = walk(&image, &scanner);
    println!(
        "app-debian: {} regular files streamed, {} scanned ({} MB)",
        w.seen,
        w.files,
        w.bytes >> 20
    );
    assert!(w.seen > 10_000, "{} files", w.seen);
    let all: Vec<String> = w
        .visible
        .iter()
        .flat_map(|(p, v)| {
            v.iter()
                .map(move |s| format!("{p}:{} {} {}", s.line, s.rule, s.excerpt))
        })
        .collect();
    assert!(
        all.is_empty(),
        "file findings in app-debian:\n{}",
        all.join("\n")
    );

    // The image config: Env entries, labels, history lines.
    let mut env_found: Vec<(String, String)> = Vec::new();
    for e in &image.config.env {
        for s in scanner.scan_value("config:Env", e) {
            assert!(!s.excerpt.contains("hunter2"), "{}", s.excerpt);
            env_found.push((e.split('=').next().unwrap().to_string(), s.rule));
        }
    }
    env_found.sort();
    let trivy = trivy_secrets(&c.join("reference/trivy/app-debian/trivy-image-config.json"));
    println!("{:<24} | {:<24} | trivy", "Env secret (truth)", "hull");
    for (key, rule) in [
        ("AWS_SECRET_ACCESS_KEY", "aws-secret-access-key"),
        ("DB_PASSWORD", "generic-password"),
    ] {
        let t = trivy
            .iter()
            .find(|(_, r, _)| {
                r.contains(&rule.replace("generic-", ""))
                    || (key == "AWS_SECRET_ACCESS_KEY" && r == "aws-secret-access-key")
            })
            .map_or("-", |(_, r, _)| r.as_str());
        let h = env_found
            .iter()
            .find(|(k, _)| k == key)
            .map_or("MISSED", |(_, r)| r.as_str());
        println!("{key:<24} | {h:<24} | {t}");
    }
    assert_eq!(
        env_found,
        [
            (
                "AWS_SECRET_ACCESS_KEY".to_string(),
                "aws-secret-access-key".to_string()
            ),
            ("DB_PASSWORD".to_string(), "generic-password".to_string()),
        ]
    );
    for (k, v) in &image.config.labels {
        assert!(
            scanner
                .scan_value("config:Labels", &format!("{k}={v}"))
                .is_empty(),
            "{k}"
        );
    }
    // History: the ENV line repeats the two Env secrets (same fingerprints); nothing else.
    let env_prints: Vec<String> = image
        .config
        .env
        .iter()
        .flat_map(|e| scanner.scan_value("config:Env", e))
        .map(|s| s.fingerprint)
        .collect();
    for h in &image.config.history {
        let Some(line) = h.created_by.as_deref() else {
            continue;
        };
        for s in scanner.scan_value("config:history", line) {
            assert!(
                env_prints.contains(&s.fingerprint),
                "history finding not from Env: {} {}",
                s.rule,
                s.excerpt
            );
        }
    }
}

/// Every other corpus image (whiteout, all legacy images): no finding in any file or
/// config value.
#[test]
fn other_images_have_no_findings() {
    let Some(c) = hull_testkit::corpus_with("images/legacy") else {
        return;
    };
    let scanner = Scanner::builtin();
    let mut targets = vec![format!(
        "oci-archive:{}",
        c.join("images/whiteout.oci.tar").display()
    )];
    let mut legacy: Vec<_> = std::fs::read_dir(c.join("images/legacy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    legacy.sort();
    for p in legacy {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".docker.tar") {
            targets.push(format!("docker-archive:{}", p.display()));
        } else if name.ends_with(".oci") {
            targets.push(format!("oci-dir:{}", p.display()));
        }
    }
    assert!(targets.len() >= 18, "{targets:?}");
    let mut failures = Vec::new();
    let mut total = 0;
    for t in &targets {
        let image = open(t);
        let w = walk(&image, &scanner);
        total += w.files;
        for (p, v) in &w.visible {
            for s in v {
                failures.push(format!("{t}: {p}:{} {} {}", s.line, s.rule, s.excerpt));
            }
        }
        for value in image
            .config
            .env
            .iter()
            .cloned()
            .chain(image.config.labels.iter().map(|(k, v)| format!("{k}={v}")))
            .chain(
                image
                    .config
                    .history
                    .iter()
                    .filter_map(|h| h.created_by.clone()),
            )
        {
            for s in scanner.scan_value("config", &value) {
                failures.push(format!("{t}: config value {} {}", s.rule, s.excerpt));
            }
        }
    }
    println!("{} images, {total} files scanned", targets.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
