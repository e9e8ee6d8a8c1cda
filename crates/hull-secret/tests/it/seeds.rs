//! Replays the fuzz seed corpora (`fuzz/corpus/secret_*`) through the calls the fuzz
//! targets make, with the same invariants, and checks what the named seeds must give.

use std::path::PathBuf;

use hull_secret::{Scanner, Secret, EXCERPT_MAX, MAX_FINDINGS};

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds for {target}");
    out
}

/// The fuzz target's paths (fuzz/fuzz_targets/secret_scan.rs).
const PATHS: &[&str] = &[
    "app/.env",
    "root/.docker/config.json",
    "root/.kube/config",
    "home/u/.npmrc",
    "root/.netrc",
    "root/.pgpass",
    "etc/ssl/private/k.pem",
    "app/README.md",
    "app/node_modules/x/a.yml",
];

fn check(v: &[Secret]) {
    assert!(v.len() <= MAX_FINDINGS);
    for f in v {
        assert!(f.line >= 1 && f.column >= 1);
        assert!(f.excerpt.chars().count() <= EXCERPT_MAX);
        assert!(f.fingerprint.starts_with("sha256:") && f.fingerprint.len() == 71);
    }
}

#[test]
fn scan_seeds() {
    let s = Scanner::builtin();
    for (name, data) in seeds("secret_scan") {
        for p in PATHS {
            check(&s.scan(p, &data));
        }
        check(&s.scan_value("config:Env", &String::from_utf8_lossy(&data)));
        // Scanned under its own name, each seed gives what it was written for.
        let rules: Vec<String> = s.scan(&name, &data).into_iter().map(|f| f.rule).collect();
        let want: &[&str] = match name.as_str() {
            "app.env" => &["generic-password", "gitlab-pat"],
            "aws-credentials" => &["aws-access-key-id", "aws-secret-access-key"],
            "github.yaml" => &["github-pat"],
            "pkcs1.pem" => &["private-key"],
            "kubeconfig" => &["kubeconfig-client-key", "kubeconfig-token"],
            "config.json" => &["docker-config-auth"],
            "minified.js" => &["stripe-secret-key"],
            "latin1.txt" => &["aws-access-key-id"],
            "binary" | "truncated.pem" | "negatives.md" => &[],
            other => panic!("seed {other} has no expectation here"),
        };
        assert_eq!(rules, want, "{name}");
    }
}

#[test]
fn config_seeds() {
    for (name, data) in seeds("secret_config") {
        let text = String::from_utf8_lossy(&data);
        let got = Scanner::with_config(&text, &name);
        match (name.as_str(), got) {
            ("good.yaml", Ok(s)) => assert!(s.rules().iter().any(|r| r.id == "acme-api-key")),
            ("good.yaml", Err(e)) => panic!("{e}"),
            (_, Ok(_)) => panic!("{name} accepted"),
            (_, Err(e)) => {
                assert!(
                    e.line() >= 1 && e.line() <= text.lines().count().max(1),
                    "{e}"
                );
                assert!(
                    e.to_string().starts_with(&format!("{name}:{}: ", e.line())),
                    "{e}"
                );
            }
        }
    }
}
