//! `docs/secrets.md` documents every built-in rule, once, with its severity.

use std::collections::BTreeMap;

use hull_secret::Scanner;

fn documented() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/secrets.md");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let table = text
        .split("\n## Rules\n")
        .nth(1)
        .and_then(|t| t.split("\n## ").next())
        .expect("docs/secrets.md has a `## Rules` section");
    table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            (cols[1].trim_matches('`').to_string(), cols[2].to_string())
        })
        .collect()
}

#[test]
fn every_rule_documented_once_with_its_severity() {
    let docs = documented();
    let mut seen = BTreeMap::new();
    for (id, sev) in &docs {
        assert!(
            seen.insert(id.clone(), sev.clone()).is_none(),
            "{id} documented twice"
        );
    }
    let scanner = Scanner::builtin();
    let mut ids = BTreeMap::new();
    for r in scanner.rules() {
        assert!(
            ids.insert(r.id.clone(), ()).is_none(),
            "duplicate rule id {}",
            r.id
        );
        match seen.get(&r.id) {
            None => panic!("rule `{}` is not documented in docs/secrets.md", r.id),
            Some(s) => assert_eq!(s, r.severity.as_str(), "severity of {}", r.id),
        }
    }
    for id in seen.keys() {
        assert!(
            ids.contains_key(id),
            "docs/secrets.md documents unknown rule `{id}`"
        );
    }
}
