//! Integration tests of hull-runtime: the Grafana dashboard against the exported
//! metrics, the fuzz seed corpora replayed through their parsers, and the eBPF source
//! against the running kernel (root only).

mod ebpf_live;

use std::path::{Path, PathBuf};
use std::process::Command;

use hull_runtime::metrics::METRIC_NAMES;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Grafana template variables replaced by values PromQL accepts.
fn instantiate(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("${container}", ".*")
        .replace("$container", ".*")
}

fn metric_names(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphabetic() || b[i] == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
                i += 1;
            }
            let word = &expr[s..i];
            if word.starts_with("hull_") {
                out.push(word.to_string());
            }
        } else if b[i] == b'"' {
            // skip string literals (label values)
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else {
            i += 1;
        }
    }
    out
}

fn balanced(expr: &str) -> bool {
    let mut stack = Vec::new();
    let mut in_str = false;
    let mut esc = false;
    for c in expr.chars() {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '[' | '{' => stack.push(c),
            ')' | ']' | '}' => {
                let open = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(open) {
                    return false;
                }
            }
            _ => {}
        }
    }
    stack.is_empty() && !in_str
}

#[test]
fn dashboard_panels_parse_and_name_exported_metrics() {
    let text = std::fs::read_to_string(repo().join("dashboards/hull-monitor.json")).unwrap();
    let dash: serde_json::Value = serde_json::from_str(&text).unwrap();
    let panels = dash["panels"].as_array().unwrap();
    assert!(panels.len() >= 8);
    let mut exprs = Vec::new();
    for p in panels {
        let targets = p["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "panel {} has no query", p["title"]);
        for t in targets {
            let e = instantiate(t["expr"].as_str().unwrap());
            let names = metric_names(&e);
            assert!(
                !names.is_empty(),
                "panel {}: `{e}` names no hull metric",
                p["title"]
            );
            for n in &names {
                assert!(
                    METRIC_NAMES.contains(&n.as_str()),
                    "panel {}: `{n}` is not exported",
                    p["title"]
                );
            }
            assert!(balanced(&e), "unbalanced: {e}");
            exprs.push(e);
        }
    }
    let var = dash["templating"]["list"][0]["definition"]
        .as_str()
        .unwrap();
    assert!(metric_names(var)
        .iter()
        .all(|n| METRIC_NAMES.contains(&n.as_str())));

    // Real PromQL parsing: promtool checks every expression as a recording rule.
    let Ok(out) = Command::new("promtool").arg("--version").output() else {
        if std::env::var("HULL_REQUIRE_RUNTIME").as_deref() == Ok("1") {
            panic!("promtool missing (Debian package `prometheus`)");
        }
        eprintln!("SKIP: promtool not installed; PromQL only checked for balance");
        return;
    };
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, e) in exprs.iter().enumerate() {
        rules.push_str(&format!(
            "      - record: hull:panel_{i}\n        expr: {}\n",
            serde_json::to_string(e).unwrap()
        ));
    }
    let file = dir.path().join("rules.yml");
    std::fs::write(&file, &rules).unwrap();
    let check = Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "promtool rejected dashboard PromQL:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    // The check can fail: a broken expression must be rejected.
    std::fs::write(&file, "groups:\n  - name: x\n    rules:\n      - record: a:b\n        expr: \"sum(rate(hull_events_total[1m])\"\n").unwrap();
    let bad = Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn metric_name_extraction() {
    assert_eq!(
        metric_names("sum by (rule) (rate(hull_alerts_total{container_id=~\"hull_x\"}[1m]))"),
        vec!["hull_alerts_total"]
    );
    assert!(balanced("a{b=\"(\"}[1m]"));
    assert!(!balanced("sum(a"));
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = repo().join("fuzz/corpus").join(target);
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    assert!(!v.is_empty(), "no seeds in {}", dir.display());
    v.sort();
    v
}

#[test]
fn fuzz_seeds_replay_through_parsers() {
    for s in seeds("proc_connector") {
        let _ = hull_runtime::source::proc_connector::parse_datagram(&s);
    }
    for s in seeds("runtime_rules") {
        let mut l = hull_runtime::rules::Loader::new();
        l.add_str("seed.yaml", &String::from_utf8_lossy(&s));
        let _ = l.compile();
    }
    let mut parsed = 0;
    for s in seeds("replay_event") {
        for line in String::from_utf8_lossy(&s).lines() {
            if let Ok(Some(_)) = hull_runtime::source::replay::parse_line(line) {
                parsed += 1;
            }
        }
    }
    assert!(parsed > 0);
    for s in seeds("ebpf_event") {
        let _ = hull_runtime::source::ebpf::parse_raw(&s);
    }
    for s in seeds("runc_state") {
        let _ = hull_runtime::attribution::parse_runc_state(&s);
    }
}
