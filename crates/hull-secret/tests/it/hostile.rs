//! Bad input: huge single lines, floods of matches, binary and non-UTF-8 bytes, CRLF,
//! sizes the walk must not even read, and custom configs, good and bad.

use std::time::{Duration, Instant};

use hull_secret::{ConfigError, Scanner, EXCERPT_MAX, MAX_FINDINGS};

/// Wall-time ceiling for one scan of tens of MB in a debug build on a busy 2-core
/// machine: generous, but a quadratic scan of a 50 MB line would take hours.
const SLOW: Duration = Duration::from_secs(60);

#[test]
fn fifty_mb_single_line() {
    // A minified bundle: 50 MB, no newline, a few secrets and many near-misses.
    let mut data = Vec::with_capacity(50 << 20);
    let filler = b"var a=function(b){return b.token?b.password:null};x.secret_key=k;";
    while data.len() < (50 << 20) {
        data.extend_from_slice(filler);
        if data.len() % (5 << 20) < filler.len() {
            data.extend_from_slice(b"'AKIAUJZDEGXDNCF32EPF'");
        }
    }
    let s = Scanner::builtin();
    let t = Instant::now();
    let found = s.scan("app/static/bundle.min.js", &data);
    let took = t.elapsed();
    assert!(took < SLOW, "{took:?}");
    assert!(!found.is_empty() && found.len() <= MAX_FINDINGS);
    for f in &found {
        assert_eq!((f.rule.as_str(), f.line), ("aws-access-key-id", 1));
        assert!(
            f.excerpt.chars().count() <= EXCERPT_MAX,
            "{}",
            f.excerpt.len()
        );
        assert!(!f.excerpt.contains("UJZDEGXDNCF32EPF"));
    }
    // Same bytes as a config file (every assignment rule runs): still bounded.
    let t = Instant::now();
    let _ = s.scan("app/config.json", &data);
    assert!(t.elapsed() < SLOW, "{:?}", t.elapsed());
}

#[test]
fn findings_are_capped() {
    let mut data = String::new();
    for i in 0..5000 {
        data.push_str(&format!("k{i} = sk_live_MdgaKjIg8xNbe3nNyjOq{i:04}\n"));
    }
    let found = Scanner::builtin().scan("a.txt", data.as_bytes());
    assert_eq!(found.len(), MAX_FINDINGS);
    assert_eq!(found[0].line, 1);
    assert_eq!(found[MAX_FINDINGS - 1].line, MAX_FINDINGS as u32);
}

#[test]
fn unterminated_private_keys_are_bounded() {
    // 200k BEGIN markers and no END: each verification reads ahead at most 64 KiB, and
    // at most 256 are verified per file.
    let data = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n".repeat(200_000);
    let t = Instant::now();
    assert!(Scanner::builtin().scan("k.pem", data.as_bytes()).is_empty());
    assert!(t.elapsed() < SLOW, "{:?}", t.elapsed());
}

#[test]
fn binary_non_utf8_and_crlf() {
    let s = Scanner::builtin();
    // A NUL in the first 8 KiB: binary, skipped even though a token is there.
    let mut bin = b"\x7fELF\x02\x01\x01\x00".to_vec();
    bin.extend_from_slice(b" AKIAUJZDEGXDNCF32EPF ");
    assert!(s.scan("usr/bin/tool", &bin).is_empty());
    // A NUL only after the first 8 KiB: text, scanned.
    let mut late = vec![b'a'; 9000];
    late.push(0);
    late.extend_from_slice(b"\nAKIAUJZDEGXDNCF32EPF\n");
    assert_eq!(s.scan("x.log", &late)[0].line, 2);
    // Latin-1 text around a key: scanned as bytes, the excerpt is valid UTF-8.
    let latin = b"caf\xe9 cl\xe9=\xff AKIAUJZDEGXDNCF32EPF \xfe\n";
    let f = &s.scan("notes.txt", latin)[0];
    assert_eq!((f.rule.as_str(), f.column), ("aws-access-key-id", 12));
    assert!(f.excerpt.contains('\u{fffd}') && f.excerpt.contains("AKIA****"));
    // CRLF: lines counted right, no `\r` in the excerpt.
    let crlf = b"[default]\r\naws_access_key_id = AKIAUJZDEGXDNCF32EPF\r\n";
    let f = &s.scan("root/.aws/credentials", crlf)[0];
    assert_eq!(f.line, 2);
    assert!(
        !f.excerpt.contains('\r') && !f.excerpt.contains('?'),
        "{}",
        f.excerpt
    );
}

#[test]
fn wants_by_path_and_size() {
    let s = Scanner::builtin();
    assert!(s.wants("/app/.env", 40));
    assert!(!s.wants("/var/tmp/sparse.img", 2 << 30));
    assert!(!s.wants("/app/node_modules/x/logo.png", 100));
    assert!(!s.wants("/usr/lib/python3.11/__pycache__/a.cpython-311.pyc", 100));
    assert!(!s.wants("/empty", 0));
}

#[test]
fn custom_config() {
    let yaml = r#"
rules:
  - id: acme-api-key
    title: Acme API key
    severity: critical
    keywords: [acme_]
    regex: '\b(acme_[a-z0-9]{32})\b'
    keep: 5
    allow:
      regexes: ['^acme_0+$']
disable: [generic-password]
allow:
  paths: ['^app/tests/']
"#;
    let s = Scanner::with_config(yaml, "secrets.yaml").unwrap();
    assert!(s
        .rules()
        .iter()
        .any(|r| r.id == "acme-api-key" && !r.builtin));
    assert!(!s.rules().iter().any(|r| r.id == "generic-password"));
    let text = "KEY=acme_k3j5h6g7f8d9s0a1q2w3e4r5t6y7u8i9\nOTHER=acme_00000000000000000000000000000000\nDB_PASSWORD=hunter22\n";
    let found = s.scan("app/.env", text.as_bytes());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].rule.as_str(), found[0].line), ("acme-api-key", 1));
    assert_eq!(found[0].excerpt, "KEY=acme_****************");
    assert_eq!(found[0].severity, hull_model::Severity::Critical);
    assert!(s.scan("app/tests/.env", text.as_bytes()).is_empty());
    assert!(!s.wants("app/tests/.env", 10));

    let bad = yaml.replace("'\\b(acme_", "'\\b((acme_");
    let e = Scanner::with_config(&bad, "secrets.yaml").unwrap_err();
    assert!(matches!(e, ConfigError::Invalid { line: 7, .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("secrets.yaml:7: rule `acme-api-key`: invalid regex"),
        "{e}"
    );
    let e = Scanner::with_config(
        "rules:\n  - id: x\n    title: t\n    severity: high\n    regex: a\n    colour: red\n",
        "c.yaml",
    )
    .unwrap_err();
    assert!(matches!(e, ConfigError::Syntax { line: 6, .. }), "{e}");
    let e = Scanner::with_config("\tnot: [yaml", "c.yaml").unwrap_err();
    assert_eq!(e.line(), 1, "{e}");
}

/// Random mixtures of the bytes rules react to (keywords, separators, quotes, base64,
/// PEM markers, line breaks, escapes, invalid UTF-8) under every kind of path: the
/// scanner never panics and every finding keeps the documented bounds.
mod random {
    use hull_secret::{Scanner, EXCERPT_MAX, MAX_FINDINGS};
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "password",
        "PASS",
        "token",
        "Key",
        "secret_access_key",
        "jwt",
        "://",
        "@",
        ":",
        "=",
        "\"",
        "'",
        " ",
        "\n",
        "\r\n",
        "\\n",
        "#",
        "ghp_",
        "npm_",
        "glpat-",
        "AKIA",
        "sk_live_",
        "xoxb-",
        "SG.",
        "hvs.",
        "pypi-AgEIcHlwaS5vcmc",
        "T3BlbkFJ",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "PuTTY-User-Key-File-2: ssh-rsa",
        "Private-Lines: 1",
        "Private-MAC: ",
        "client-key-data: ",
        "kind: Config",
        "\"type\": \"service_account\"",
        "\"private_key\": \"",
        "\"auth\": \"",
        "AccountKey=",
        "SharedAccessKey=",
        "hooks.slack.com/services/T0AB12CD3/B0EF45GH6/",
        "MIIEpAIBAAKCAQEA",
        "b3BlbnNzaC1rZXktdjE",
        "Wq8z",
        "Caqx9vJupc94tnwl",
        "00000",
        "\u{e9}",
        "${X}",
    ];

    fn doc() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(PIECES).prop_map(|s| s.as_bytes().to_vec()),
                prop::collection::vec(any::<u8>(), 0..8),
                "[A-Za-z0-9+/=]{0,80}".prop_map(String::into_bytes),
            ],
            0..64,
        )
        .prop_map(|parts| parts.concat())
    }

    const PATHS: &[&str] = &[
        "app/.env",
        "root/.docker/config.json",
        "root/.kube/config",
        "home/u/.npmrc",
        "root/.netrc",
        "root/.pgpass",
        "k.pem",
        "README.md",
        "node_modules/x/a.yml",
        "a.bin",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics_and_stays_bounded(data in doc()) {
            let s = Scanner::builtin();
            for p in PATHS {
                let v = s.scan(p, &data);
                prop_assert!(v.len() <= MAX_FINDINGS);
                for f in &v {
                    prop_assert!(f.line >= 1 && f.column >= 1);
                    prop_assert!(f.excerpt.chars().count() <= EXCERPT_MAX);
                    prop_assert_eq!(f.fingerprint.len(), 71);
                }
            }
            let _ = s.scan_value("config:Env", &String::from_utf8_lossy(&data));
        }
    }
}
