//! Keys made by the real tools (OpenSSL, OpenSSH's ssh-keygen, PuTTY's puttygen) in a
//! temporary directory: every private key form is found and parsed to the right kind;
//! their public keys and a certificate are not findings.

use std::path::Path;
use std::process::Command;

use hull_secret::Scanner;

fn run(dir: &Path, cmd: &str) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn scan(dir: &Path, file: &str) -> Vec<(String, String, u32)> {
    let data = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    Scanner::builtin()
        .scan(file, &data)
        .into_iter()
        .map(|s| (s.rule, s.detail.unwrap_or_default(), s.line))
        .collect()
}

#[test]
fn openssl_keys() {
    let apt = ".ci/apt/hull-secret.txt";
    if !hull_testkit::tool("openssl", apt) {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out pkcs8.pem",
            "pkcs8.pem",
            &[("private-key", "PKCS#8")],
        ),
        (
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 | openssl rsa -traditional -out pkcs1.pem",
            "pkcs1.pem",
            &[("private-key", "PKCS#1 RSA")],
        ),
        (
            "openssl ecparam -name prime256v1 -genkey -noout -out ec.pem",
            "ec.pem",
            &[("private-key", "SEC 1 EC")],
        ),
        (
            "openssl genpkey -algorithm ED25519 -out ed.pem",
            "ed.pem",
            &[("private-key", "PKCS#8")],
        ),
        (
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -aes256 -pass pass:pw -out enc.pem",
            "enc.pem",
            &[("private-key", "PKCS#8 (encrypted)")],
        ),
        (
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 | openssl rsa -traditional -aes128 -passout pass:pw -out legacy.pem",
            "legacy.pem",
            &[("private-key", "RSA PRIVATE KEY (encrypted, legacy PEM)")],
        ),
        (
            "openssl dsaparam -genkey -noout 1024 | openssl pkey -traditional -out dsa.pem",
            "dsa.pem",
            &[("private-key", "DSA")],
        ),
        (
            "openssl pkey -in pkcs8.pem -pubout -out pub.pem && openssl req -x509 -key pkcs8.pem -subj /CN=t -days 1 -out cert.pem && cat pub.pem cert.pem > public.pem",
            "public.pem",
            &[],
        ),
        (
            "printf 'x = 1\\n' > bundle.txt && cat cert.pem ec.pem pkcs1.pem >> bundle.txt",
            "bundle.txt",
            &[("private-key", "SEC 1 EC"), ("private-key", "PKCS#1 RSA")],
        ),
    ];
    for (cmd, file, want) in cases {
        run(d, cmd);
        let got = scan(d, file);
        let got: Vec<(&str, &str)> = got
            .iter()
            .map(|(r, k, _)| (r.as_str(), k.as_str()))
            .collect();
        assert_eq!(got, *want, "{file}");
    }
    // Severity: an encrypted key is one step lower.
    let data = std::fs::read(d.join("enc.pem")).unwrap();
    assert_eq!(
        Scanner::builtin().scan("enc.pem", &data)[0].severity,
        hull_model::Severity::Medium
    );
}

#[test]
fn openssh_and_putty_keys() {
    let apt = ".ci/apt/hull-secret.txt";
    if !hull_testkit::tool("ssh-keygen", apt) {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    run(d, "ssh-keygen -q -t ed25519 -N '' -C t -f id_ed25519");
    run(d, "ssh-keygen -q -t rsa -b 1024 -N 'pw' -C t -f id_rsa_enc");
    assert_eq!(
        scan(d, "id_ed25519"),
        [("private-key".into(), "OpenSSH".into(), 1)]
    );
    assert_eq!(
        scan(d, "id_rsa_enc"),
        [(
            "private-key".into(),
            "OpenSSH (encrypted: aes256-ctr)".into(),
            1
        )]
    );
    assert!(scan(d, "id_ed25519.pub").is_empty());
    if !hull_testkit::tool("puttygen", apt) {
        return;
    }
    run(d, "puttygen id_ed25519 -O private -o key.ppk");
    run(
        d,
        "puttygen id_ed25519 -O private -o key2.ppk --ppk-param version=2",
    );
    run(
        d,
        "puttygen id_ed25519 -O private -o enc.ppk --new-passphrase /dev/stdin <<EOF\npw\nEOF",
    );
    assert_eq!(
        scan(d, "key.ppk"),
        [("putty-private-key".into(), "PuTTY ssh-ed25519".into(), 1)]
    );
    assert_eq!(
        scan(d, "key2.ppk"),
        [("putty-private-key".into(), "PuTTY ssh-ed25519".into(), 1)]
    );
    assert_eq!(
        scan(d, "enc.ppk"),
        [(
            "putty-private-key".into(),
            "PuTTY ssh-ed25519 (encrypted)".into(),
            1
        )]
    );
}
