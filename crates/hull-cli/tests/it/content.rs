//! `hull image --scanners secret,file,config` on the corpus: the planted secrets of
//! `secrets.{oci,docker}.tar` against `truth/secrets.json`, side by side with Trivy's
//! reference output; app-debian's `Env` secrets and nothing else; no secret on any
//! other corpus image; the score S recomputed from the JSON by `docs/score.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::{corpus, hull, stderr};

fn scan_json(target: &str, extra: &[&str]) -> Value {
    let mut args = vec!["image", target, "--format", "json", "--quiet"];
    args.extend_from_slice(extra);
    let out = hull(&args);
    assert!(out.status.success(), "{target}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json report")
}

fn checks<'a>(doc: &'a Value, kind: &str) -> Vec<&'a Value> {
    doc["checks"]
        .as_array()
        .expect("checks[]")
        .iter()
        .filter(|c| c["kind"] == kind)
        .collect()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

/// `(path, line, layer diff_id, deleted_in)` of a secret finding in a file.
type Place = (String, u64, String, Option<String>);

fn place(c: &Value) -> Option<Place> {
    let loc = &c["location"];
    (loc["in"] == "file").then(|| {
        (
            loc["path"].as_str().unwrap_or("").to_string(),
            c["line"].as_u64().unwrap_or(0),
            loc["layer"].as_str().unwrap_or("").to_string(),
            loc["deleted_in"].as_str().map(str::to_string),
        )
    })
}

/// Trivy's secrets as `(target, line) → rule`.
fn trivy_secrets(p: &Path) -> BTreeMap<(String, u64), String> {
    let doc = read_json(p);
    let mut out = BTreeMap::new();
    for r in doc["Results"].as_array().into_iter().flatten() {
        for s in r["Secrets"].as_array().into_iter().flatten() {
            out.insert(
                (
                    r["Target"].as_str().unwrap_or("").to_string(),
                    s["StartLine"].as_u64().unwrap_or(0),
                ),
                s["RuleID"].as_str().unwrap_or("").to_string(),
            );
        }
    }
    out
}

#[test]
fn secrets_image_matches_truth_side_by_side_with_trivy() {
    let Some(c) = corpus() else { return };
    let truth = read_json(&c.join("truth/secrets.json"));
    let diff_of: BTreeMap<u64, String> = truth["oci"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["index"].as_u64().unwrap(),
                l["diff_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let deleting: BTreeMap<String, u64> = truth["oci"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| {
            let i = l["index"].as_u64().unwrap();
            l["whiteouts"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |w| (w.as_str().unwrap().to_string(), i))
        })
        .collect();
    let mut want: BTreeSet<Place> = BTreeSet::new();
    let mut kinds: BTreeMap<(String, u64), String> = BTreeMap::new();
    for s in truth["planted_secrets"].as_array().unwrap() {
        let path = s["path"].as_str().unwrap().to_string();
        let line = s["line"].as_u64().unwrap();
        let layer = diff_of[&s["layer"].as_u64().unwrap()].clone();
        let deleted = (s["visible"] == false).then(|| diff_of[&deleting[&path]].clone());
        kinds.insert(
            (path.clone(), line),
            s["type"].as_str().unwrap().to_string(),
        );
        want.insert((path, line, layer, deleted));
    }
    assert_eq!(want.iter().filter(|p| p.3.is_none()).count(), 10);
    let negatives: Vec<String> = truth["negative_controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["path"].as_str().unwrap().to_string())
        .collect();
    let trivy = trivy_secrets(&c.join("reference/trivy/secrets/trivy-image-secret.json"));
    let trivy_config = read_json(&c.join("reference/trivy/secrets/trivy-image-config.json"));
    let trivy_misconf: Vec<String> = trivy_config["Results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| {
            r["Misconfigurations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|m| {
            format!(
                "{} {}",
                m["ID"].as_str().unwrap_or(""),
                m["Title"].as_str().unwrap_or("")
            )
        })
        .collect();

    let mut failures = Vec::new();
    for form in ["oci-archive", "docker-archive"] {
        let file = if form == "oci-archive" {
            "secrets.oci.tar"
        } else {
            "secrets.docker.tar"
        };
        let target = format!("{form}:{}", c.join("images").join(file).display());
        let doc = scan_json(&target, &["--scanners", "secret,file,config"]);
        let secrets = checks(&doc, "secret");
        let got: BTreeMap<Place, String> = secrets
            .iter()
            .filter_map(|s| Some((place(s)?, s["rule"].as_str()?.to_string())))
            .collect();
        println!("\n{file}: planted secrets (truth | hull | trivy)");
        println!(
            "{:<28} {:>4}  {:<42} {:<24} {:<22}",
            "PATH", "LINE", "TRUTH", "HULL", "TRIVY"
        );
        for p in &want {
            let hull = got
                .get(p)
                .map(|r| {
                    if p.3.is_some() {
                        format!("{r} (deleted)")
                    } else {
                        r.clone()
                    }
                })
                .unwrap_or_else(|| "MISSING".into());
            let tv = trivy
                .get(&(p.0.clone(), p.1))
                .map(|r| {
                    if p.3.is_some() {
                        format!("{r} (as present)")
                    } else {
                        r.clone()
                    }
                })
                .unwrap_or_else(|| "-".into());
            let kind = kinds.get(&(p.0.clone(), p.1)).cloned().unwrap_or_default();
            let shown = if p.3.is_some() {
                format!("{kind} [deleted]")
            } else {
                kind
            };
            println!(
                "{:<28} {:>4}  {:<42} {:<24} {:<22}",
                p.0,
                p.1,
                shown.chars().take(42).collect::<String>(),
                hull,
                tv
            );
            if !got.contains_key(p) {
                failures.push(format!("{file}: missing {p:?}"));
            }
        }
        for (p, r) in &got {
            if !want.contains(p) {
                println!("{:<28} {:>4}  {:<42} {:<24} (EXTRA)", p.0, p.1, "-", r);
                failures.push(format!("{file}: not in truth: {r} at {p:?}"));
            }
        }
        for s in &secrets {
            if s["location"]["in"] != "file" {
                failures.push(format!("{file}: config secret not in truth: {s}"));
            }
            let path = s["location"]["path"].as_str().unwrap_or("");
            if negatives.iter().any(|n| n == path) {
                failures.push(format!("{file}: negative control {path} reported"));
            }
            // Whole secrets never reach the report.
            for planted in truth["planted_secrets"].as_array().unwrap() {
                if let Some(v) = planted["value"].as_str() {
                    let text = s.to_string();
                    if text.contains(v) {
                        failures.push(format!("{file}: secret value in report: {text}"));
                    }
                }
            }
        }

        let setuid: BTreeSet<String> = checks(&doc, "file")
            .iter()
            .filter(|f| f["rule"] == "file:setuid-setgid")
            .map(|f| f["location"]["path"].as_str().unwrap().to_string())
            .collect();
        let want_setuid: BTreeSet<String> = truth["setuid_setgid_files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect();
        println!("setuid/setgid: truth {want_setuid:?} | hull {setuid:?}");
        if setuid != want_setuid {
            failures.push(format!("{file}: setuid {setuid:?} != {want_setuid:?}"));
        }
        let config: BTreeSet<&str> = checks(&doc, "config")
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .collect();
        println!("image config: hull {config:?} | trivy {trivy_misconf:?}");
        for id in ["dockerfile:root-user", "dockerfile:healthcheck-missing"] {
            if !config.contains(id) {
                failures.push(format!("{file}: {id} not reported"));
            }
        }
        // Config expectations of the truth: root user, no healthcheck.
        assert_eq!(truth["config_expectations"]["user"], "root");
        assert!(truth["config_expectations"]["healthcheck"].is_null());
    }
    assert!(
        failures.is_empty(),
        "differences from truth:\n{}",
        failures.join("\n")
    );
}

#[test]
fn app_debian_reports_its_env_secrets_and_no_other() {
    let Some(c) = corpus() else { return };
    let target = format!(
        "oci-archive:{}",
        c.join("images/app-debian.oci.tar").display()
    );
    let doc = scan_json(&target, &["--scanners", "secret,config"]);
    let secrets = checks(&doc, "secret");
    let places: BTreeSet<String> = secrets
        .iter()
        .map(|s| match s["location"]["in"].as_str() {
            Some("config") => s["location"]["field"].as_str().unwrap_or("").to_string(),
            _ => format!("{} {}", s["location"], s["rule"]),
        })
        .collect();
    let trivy = trivy_secrets(&c.join("reference/trivy/app-debian/trivy-image-secret.json"));
    println!("app-debian secrets: hull {places:?} | trivy {trivy:?}");
    let want: BTreeSet<String> = ["Env:AWS_SECRET_ACCESS_KEY", "Env:DB_PASSWORD"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(places, want, "{secrets:#?}");
    let config: BTreeSet<&str> = checks(&doc, "config")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(config.contains("dockerfile:secrets-in-env"), "{config:?}");
    assert!(config.contains("dockerfile:root-user"), "{config:?}");
}

/// Every other corpus image: no secret anywhere (files, deleted files, config, history).
#[test]
fn no_secret_false_positive_on_other_corpus_images() {
    let Some(c) = corpus() else { return };
    let mut targets = vec![format!(
        "oci-archive:{}",
        c.join("images/whiteout.oci.tar").display()
    )];
    let legacy = c.join("images/legacy");
    let mut names: Vec<_> = std::fs::read_dir(&legacy)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in names {
        let p = legacy.join(&n);
        if n.ends_with(".docker.tar") {
            targets.push(format!("docker-archive:{}", p.display()));
        } else if n.ends_with(".oci") {
            targets.push(format!("oci-dir:{}", p.display()));
        }
    }
    assert!(targets.len() >= 18, "{targets:?}");
    let mut bad = Vec::new();
    for t in &targets {
        let doc = scan_json(t, &["--scanners", "secret,file,config"]);
        let secrets = checks(&doc, "secret");
        println!(
            "{t}: {} secrets, {} file findings, {} config findings",
            secrets.len(),
            checks(&doc, "file").len(),
            checks(&doc, "config").len()
        );
        for s in secrets {
            bad.push(format!("{t}: {} at {}", s["rule"], s["location"]));
        }
    }
    assert!(bad.is_empty(), "false positives:\n{}", bad.join("\n"));
}

/// S recomputed from the JSON by the formula and constants of `docs/score.md`.
#[test]
fn score_recomputes_from_json_for_app_debian() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hull.db");
    let feed = c.join("feeds/ghsa/advisories");
    let out = hull(&[
        "db",
        "import",
        "--db",
        db.to_str().unwrap(),
        feed.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "import: {}", stderr(&out));
    let target = format!(
        "oci-archive:{}",
        c.join("images/app-debian.oci.tar").display()
    );
    let doc = scan_json(&target, &["--db", db.to_str().unwrap()]);
    assert_eq!(
        doc["scanners"],
        serde_json::json!(["vuln", "secret", "file", "config"])
    );
    let score = &doc["score"];
    // docs/score.md: the penalties and role weights.
    let penalty = |s: &str| match s {
        "critical" => 0.9,
        "high" => 0.6,
        "medium" | "unknown" => 0.3,
        "low" => 0.1,
        "negligible" => 0.02,
        other => panic!("severity {other}"),
    };
    let weight = |role: &str| match role {
        "system-binary" => 3.0,
        "executable" | "config" => 2.0,
        "code" => 1.5,
        "other" => 1.0,
        "documentation" => 0.1,
        "pseudo" => f64::NAN,
        other => panic!("role {other}"),
    };
    let total = score["total_weight"].as_f64().unwrap();
    let files = score["files_with_findings"].as_array().unwrap();
    assert!(!files.is_empty());
    let recompute = |kind: Option<&str>| -> f64 {
        let mut lost = 0.0;
        for f in files {
            let w = f["weight"].as_f64().unwrap();
            let role = f["role"].as_str().unwrap();
            if role != "pseudo" {
                assert_eq!(w, weight(role), "{f}");
            }
            let s: f64 = f["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|h| kind.is_none_or(|k| h["kind"] == k))
                .map(|h| 1.0 - penalty(h["severity"].as_str().unwrap()))
                .product();
            lost += w * (1.0 - s);
        }
        100.0 * (total - lost) / total
    };
    let s = recompute(None);
    println!("app-debian S = {} (recomputed {s:.4})", score["value"]);
    // total_weight is rounded to 2 decimals in the JSON.
    assert!(
        (s - score["value"].as_f64().unwrap()).abs() < 0.02,
        "{s} vs {}",
        score["value"]
    );
    for k in ["vulnerability", "secret", "file", "config"] {
        let want = recompute(Some(k));
        let got = score["by_kind"][k].as_f64().unwrap();
        assert!((want - got).abs() < 0.02, "{k}: {want} vs {got}");
    }
    assert!(score["value"].as_f64().unwrap() < 100.0);
    // Vulnerabilities are tied to their package's files.
    assert!(files.iter().any(|f| f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["kind"] == "vulnerability")));
    // The pseudo-file weights: 5 % of the real files' weight each.
    let pseudo: Vec<&Value> = files.iter().filter(|f| f["role"] == "pseudo").collect();
    for p in pseudo {
        let w = p["weight"].as_f64().unwrap();
        assert!((w * 2.0 + w / 0.05 - total).abs() < 0.05, "{w} of {total}");
    }
    // SARIF carries it in the run properties.
    let out = hull(&[
        "image",
        &target,
        "--db",
        db.to_str().unwrap(),
        "--format",
        "sarif",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["properties"]["score"]["value"],
        score["value"]
    );
}

/// Peak RSS of the finished children of this process, in KiB.
fn children_max_rss_kib() -> i64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    ru.ru_maxrss
}

/// A 50 MB one-line file, a 2 GB sparse file, a binary file and non-UTF-8 text in a
/// `dir:` target: bounded time and memory, a diagnostic for the capped file, the other
/// files still scanned; a malformed `--secret-config` is a clear error (exit 2).
#[test]
fn hostile_files_keep_memory_and_time_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("rootfs");
    std::fs::create_dir_all(root.join("app")).unwrap();
    let mut line = vec![b'a'; 50 * 1024 * 1024];
    line[..40].copy_from_slice(b"token: ghp_0000000000000000000000000000 ");
    std::fs::write(root.join("app/bundle.min.js"), &line).unwrap();
    drop(line);
    let sparse = std::fs::File::create(root.join("app/disk.img")).unwrap();
    sparse.set_len(2 << 30).unwrap();
    drop(sparse);
    std::fs::write(
        root.join("app/blob.bin"),
        b"\x00\x01\x02password=hunter2\x00",
    )
    .unwrap();
    std::fs::write(root.join("app/latin1.conf"), b"name=caf\xe9\nmode=on\n").unwrap();
    std::fs::write(
        root.join("app/.env"),
        "DB_HOST=db\nDB_PASSWORD=Xk9#vR2!pLq7\n",
    )
    .unwrap();
    let target = format!("dir:{}", root.display());
    let start = std::time::Instant::now();
    let doc = scan_json(&target, &["--scanners", "secret,file"]);
    let took = start.elapsed();
    let rss_mib = children_max_rss_kib() / 1024;
    println!("hostile dir: {took:?}, peak child RSS {rss_mib} MiB");
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
    assert!(rss_mib < 400, "peak RSS {rss_mib} MiB");
    let secrets = checks(&doc, "secret");
    assert!(
        secrets
            .iter()
            .any(|s| s["location"]["path"] == "/app/.env" && s["line"] == 2),
        "the ordinary file is still scanned: {secrets:#?}"
    );
    assert!(
        !secrets
            .iter()
            .any(|s| s["location"]["path"] == "/app/blob.bin"),
        "binary files are skipped"
    );
    let diags = doc["diagnostics"].as_array().unwrap();
    assert!(
        diags.iter().any(|d| d["path"] == "/app/bundle.min.js"
            && d["message"].as_str().unwrap_or("").contains("first")),
        "{diags:#?}"
    );
    // The report stays small: excerpts are capped.
    assert!(doc.to_string().len() < 1_000_000);

    let bad = dir.path().join("rules.yaml");
    std::fs::write(&bad, "rules:\n  - id: x\n    regex: \"(\"\n").unwrap();
    let out = hull(&[
        "image",
        &target,
        "--scanners",
        "secret",
        "--secret-config",
        bad.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("--secret-config") && err.contains("rules.yaml"),
        "{err}"
    );
}
