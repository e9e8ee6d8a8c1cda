#![no_main]
//! Any bytes through the secret scanner, as files of every class (config, named files,
//! documentation, installed packages) and as an image config value: no panic, and every
//! finding keeps the documented bounds (line ≥ 1, capped excerpt, capped count).
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static SCANNER: OnceLock<hull_secret::Scanner> = OnceLock::new();

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

fuzz_target!(|data: &[u8]| {
    let s = SCANNER.get_or_init(hull_secret::Scanner::builtin);
    let check = |v: Vec<hull_secret::Secret>| {
        assert!(v.len() <= hull_secret::MAX_FINDINGS);
        for f in v {
            assert!(f.line >= 1 && f.column >= 1);
            assert!(f.excerpt.chars().count() <= hull_secret::EXCERPT_MAX);
            assert!(f.fingerprint.starts_with("sha256:") && f.fingerprint.len() == 71);
        }
    };
    for p in PATHS {
        check(s.scan(p, data));
    }
    check(s.scan_value("config:Env", &String::from_utf8_lossy(data)));
});
