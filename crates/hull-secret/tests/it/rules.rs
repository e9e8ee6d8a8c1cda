//! Every built-in rule against fixtures written in each vendor's documented format:
//! what must be found (rule, line), and the look-alikes that must not be.
//! The random parts were generated for these tests; checksummed tokens get their
//! checksum computed here.

use base64::Engine as _;
use hull_model::Severity;
use hull_secret::{Scanner, Secret};

use crate::common::{b64, fake_pkcs8_pem, with_checksum};

fn found(path: &str, text: &str) -> Vec<(String, u32)> {
    let s = Scanner::builtin();
    s.scan(path, text.as_bytes())
        .into_iter()
        .map(|f| (f.rule, f.line))
        .collect()
}

fn one(path: &str, text: &str) -> Secret {
    let mut v = Scanner::builtin().scan(path, text.as_bytes());
    assert_eq!(v.len(), 1, "{path}: {v:#?}");
    v.remove(0)
}

fn ids(v: &[(&str, u32)]) -> Vec<(String, u32)> {
    v.iter().map(|(r, l)| (r.to_string(), *l)).collect()
}

#[test]
fn positives() {
    let ghp = format!("ghp_{}", with_checksum("hGAkWvj7FAc9QeWJKY40uvSwMFLZDe"));
    let npm = format!("npm_{}", with_checksum("MdgaKjIg8xNbe3nNyjOq9wMxQ7WJ3N"));
    let docker_auth = b64("deploy:s3cr3t-Pa55word");
    let pem = fake_pkcs8_pem();
    let gcp = format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"p\",\n  \"private_key\": \"{}\",\n  \"client_email\": \"a@p.iam.gserviceaccount.com\"\n}}\n",
        pem.replace('\n', "\\n")
    );
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: {}\n    token: Zk3Lq8Wd2Fh6Jn9Tx4Vb7Mc1\n",
        b64(&pem)
    );
    type Case<'a> = (&'a str, String, Vec<(&'a str, u32)>);
    let cases: Vec<Case> = vec![
        ("srv/sa.json", gcp, vec![("gcp-service-account-key", 4)]),
        ("srv/tls.key", pem.clone(), vec![("private-key", 1)]),
        (
            "root/.kube/config",
            kubeconfig,
            vec![("kubeconfig-client-key", 6), ("kubeconfig-token", 7)],
        ),
        (
            "root/.aws/credentials",
            "[default]\naws_access_key_id = AKIAUJZDEGXDNCF32EPF\naws_secret_access_key = 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\n".into(),
            vec![("aws-access-key-id", 2), ("aws-secret-access-key", 3)],
        ),
        (
            "app/settings.json",
            "{\n  \"AccessKeyId\": \"ASIAUJZDEGXDNCF32EPF\",\n  \"SecretAccessKey\": \"2hpChYgCfrL1spNxnyVmihA+2O76UMFxFkM+R5Kj\"\n}\n".into(),
            vec![("aws-access-key-id", 2), ("aws-secret-access-key", 3)],
        ),
        ("app/config.yaml", format!("github:\n  token: {ghp}\n"), vec![("github-pat", 2)]),
        (
            "srv/deploy.py",
            "TOKEN = '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'\n".into(),
            vec![("github-fine-grained-pat", 1)],
        ),
        (
            "app/.env",
            "A=1\nGITLAB_TOKEN=glpat-VOqg6YYZYn9ZhyiA4uoR\n".into(),
            vec![("gitlab-pat", 2)],
        ),
        (
            "home/u/.npmrc",
            format!("registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={npm}\n"),
            vec![("npm-access-token", 2)],
        ),
        (
            "home/u/.npmrc",
            "//npm.corp.internal/:_authToken=Caqx9vJupc94tnwlavyfErGP\n".into(),
            vec![("npmrc-auth", 1)],
        ),
        (
            "root/.docker/config.json",
            format!("{{\n  \"auths\": {{\n    \"registry.corp.internal\": {{\n      \"auth\": \"{docker_auth}\"\n    }}\n  }}\n}}\n"),
            vec![("docker-config-auth", 4)],
        ),
        (
            "app/notify.sh",
            "curl -X POST https://hooks.slack.com/services/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\n".into(),
            vec![("slack-webhook", 1)],
        ),
        (
            "app/bot.js",
            "const t = 'xoxb-5820417736102-3391846620775-Caqx9vJupc94tnwlavyfErGP';\n".into(),
            vec![("slack-token", 1)],
        ),
        (
            "app/.env",
            "STRIPE_SECRET_KEY=sk_live_MdgaKjIg8xNbe3nNyjOq9wMx\nSTRIPE_RESTRICTED=rk_live_Caqx9vJupc94tnwlavyfErGP\n".into(),
            vec![("stripe-secret-key", 1), ("stripe-restricted-key", 2)],
        ),
        (
            "app/mail.py",
            "KEY = \"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\"\n".into(),
            vec![("sendgrid-api-key", 1)],
        ),
        (
            "app/sms.py",
            "# twilio client\nclient = Client('SKa2cec255404e4fb440034d6608697a8d', secret)\n".into(),
            vec![("twilio-api-key", 2)],
        ),
        (
            "app/ai.py",
            "openai.api_key = 'sk-proj-qhT61qtc4xatws8phP9nhFyJfm5di4PzJ59FHz5rT3BlbkFJ1pY4OjE2jBMptUsGr7CmY_uCu3ZR1zTOlUcR64cX'\n".into(),
            vec![("openai-api-key", 1)],
        ),
        (
            "etc/vault/agent.hcl",
            "token = \"hvs.QLioDnkHIfxIq2HZt-PlJhx2jIclHkCiHp6bR1IqfEouHgxzNNAL5wIScGebcy8F5n3-YNBDRzrZSgqbjG3uhkWKFLf6xuI\"\n".into(),
            vec![("vault-token", 1)],
        ),
        (
            "app/appsettings.json",
            format!(
                "{{\n  \"Storage\": \"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={};EndpointSuffix=core.windows.net\"\n}}\n",
                base64::engine::general_purpose::STANDARD.encode((0..64u8).map(|i| i.wrapping_mul(97).wrapping_add(13)).collect::<Vec<_>>())
            ),
            vec![("azure-storage-account-key", 2)],
        ),
        (
            "app/bus.conf",
            format!(
                "conn=Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={}\n",
                base64::engine::general_purpose::STANDARD.encode((0..32u8).map(|i| i.wrapping_mul(53).wrapping_add(7)).collect::<Vec<_>>())
            ),
            vec![("azure-shared-access-key", 1)],
        ),
        (
            "root/.netrc",
            "machine api.corp.internal\n  login deploy\n  password Wq8z!trX2\n".into(),
            vec![("netrc-password", 3)],
        ),
        (
            "root/.pgpass",
            "# local\n*:5432:app:app:Wq8z!trX2\n".into(),
            vec![("pgpass-password", 2)],
        ),
        (
            "app/.env",
            "JWT_SECRET=Caqx9vJupc94tnwlavyfErGP\n".into(),
            vec![("jwt-signing-secret", 1)],
        ),
        (
            "app/server.js",
            "const jwtSecret = \"Caqx9vJupc94tnwlavyfErGP\";\n".into(),
            vec![("jwt-signing-secret", 1)],
        ),
        (
            "app/.env",
            "DATABASE_URL=postgres://app:Wq8z-trX2v@db.internal:5432/app\n".into(),
            vec![("url-password", 1)],
        ),
        (
            "app/config/settings.yaml",
            "db:\n  host: db\n  password: \"correct horse\"\n  user: app\n".into(),
            vec![("generic-password", 3)],
        ),
        (
            "etc/app.ini",
            "[api]\nclient_secret = Caqx9vJupc94tnwlavyfErGP\n".into(),
            vec![("generic-secret", 2)],
        ),
    ];
    for (path, text, want) in cases {
        assert_eq!(found(path, &text), ids(&want), "{path}:\n{text}");
    }
}

#[test]
fn checksums_decide_severity() {
    let good = format!("ghp_{}", with_checksum("hGAkWvj7FAc9QeWJKY40uvSwMFLZDe"));
    let bad = format!("ghp_hGAkWvj7FAc9QeWJKY40uvSwMFLZDe{}", "Zq3x9A");
    let g = one("a.txt", &good);
    assert_eq!(
        (g.severity, g.detail.as_deref()),
        (Severity::Critical, Some("checksum verified"))
    );
    let b = one("a.txt", &bad);
    assert_eq!(
        (b.severity, b.detail.as_deref()),
        (Severity::High, Some("checksum does not verify"))
    );
}

#[test]
fn negatives() {
    let cases: Vec<(&str, String)> = vec![
        // Documentation examples.
        ("app/README.md", "key: AKIAIOSFODNN7EXAMPLE secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n".into()),
        ("root/.aws/credentials", "aws_access_key_id=AKIAIOSFODNN7EXAMPLE\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n".into()),
        // Placeholders.
        ("app/.env", "DB_PASSWORD=changeme\nAPI_TOKEN=${API_TOKEN}\nSECRET=$SECRET\nPASS=<your-password>\nTOKEN=xxxxxxxxxxxx\nKEY=****\nPASSWORD=\nPASSWORD=password\n".into()),
        ("app/config.yaml", "password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\napi_key: \"{{ .Values.apiKey }}\"\ntoken: '%(token)s'\nsecret: null\n".into()),
        ("home/u/.npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n".into()),
        ("app/settings.json", "{\"password\": \"\", \"token\": \"REPLACE_ME\", \"api_key\": \"your-api-key\"}\n".into()),
        // Placeholder tokens.
        ("a.txt", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx sk_live_xxxxxxxxxxxxxxxxxxxxxxxx glpat-xxxxxxxxxxxxxxxxxxxx\n".into()),
        // Hashes, UUIDs, integrity strings.
        ("app/data/checksums.txt", "3d9f2889d6782537624a4e1a10e68a2ddd53e0ee8bac02676f27308f42ec6bf6  busybox\n".into()),
        ("app/package-lock.json", "{\"integrity\": \"sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==\"}\n".into()),
        ("app/config.yaml", "token: 123e4567-e89b-12d3-a456-426614174000\nsecret_hash: a2cec255404e4fb440034d6608697a8d\n".into()),
        // Key names that are not credentials.
        ("app/config.yaml", "password_file: /run/secrets/db\ntoken_ttl: 3600\nprimary_key: id_column_name\nnext_page_token: Caqx9vJupc94tnwlavyfErGP\n".into()),
        // Commented-out defaults.
        ("etc/app.conf", "# password = Wq8z!trX2\n; secret = Caqx9vJupc94tnwlavyfErGP\n".into()),
        // Assignments in source code or docs are not config.
        ("app/main.py", "password = 'Wq8z!trX2'\n".into()),
        ("app/docs/setup.md", "DB_PASSWORD=Wq8z!trX2\n".into()),
        // Public keys and certificates.
        ("etc/ssl/certs/a.pem", "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n".into()),
        // A private key header with no parseable body.
        ("app/test_keys.py", "KEY = '-----BEGIN RSA PRIVATE KEY-----\\n' + body + '-----END RSA PRIVATE KEY-----'\n".into()),
        ("etc/ssl/private/k.pem", "-----BEGIN PRIVATE KEY-----\nnot really a key at all, this is prose\n-----END PRIVATE KEY-----\n".into()),
        // Stripe test-mode keys; Twilio-shaped hex in a file that never names Twilio.
        ("app/.env", "STRIPE_KEY=sk_test_MdgaKjIg8xNbe3nNyjOq9wMx\n".into()),
        ("app/x.py", "ID = 'SKa2cec255404e4fb440034d6608697a8d'\n".into()),
        // Docker auth without a password; kubeconfig token outside a kubeconfig.
        ("root/.docker/config.json", format!("{{\"auths\": {{\"r\": {{\"auth\": \"{}\"}}}}}}", b64("user:"))),
        ("app/notes.txt", "token: Caqx9vJupc94tnwlavyfErGPMdgaKjIg\n".into()),
        // URL templates.
        ("app/.env", "URL=postgres://user:password@host/db\nURL2=https://${USER}:${PASS}@example.com/\n".into()),
    ];
    for (path, text) in cases {
        assert_eq!(found(path, &text), vec![], "{path}:\n{text}");
    }
}

#[test]
fn excerpts_mask_and_fingerprint() {
    let f = one("app/.env", "A=1\nGITLAB_TOKEN=glpat-VOqg6YYZYn9ZhyiA4uoR\n");
    assert_eq!((f.line, f.column), (2, 14));
    assert_eq!(f.excerpt, "GITLAB_TOKEN=glpat-****************");
    assert_eq!(
        f.fingerprint,
        crate::common::sha256("glpat-VOqg6YYZYn9ZhyiA4uoR")
    );
    // Two secrets on one line: both masked in each excerpt.
    let v = Scanner::builtin().scan(
        "a.txt",
        b"keys AKIAUJZDEGXDNCF32EPF and sk_live_MdgaKjIg8xNbe3nNyjOq9wMx here\n",
    );
    assert_eq!(v.len(), 2);
    for f in &v {
        assert_eq!(
            f.excerpt,
            "keys AKIA**************** and sk_live_**************** here"
        );
    }
}

#[test]
fn config_values() {
    let s = Scanner::builtin();
    let rule = |origin: &str, text: &str| -> Vec<String> {
        s.scan_value(origin, text)
            .into_iter()
            .map(|f| f.rule)
            .collect()
    };
    assert_eq!(rule("env", "DB_PASSWORD=hunter2"), ["generic-password"]);
    assert_eq!(
        rule(
            "env",
            "AWS_SECRET_ACCESS_KEY=2hpChYgCfrL1spNxnyVmihA+2O76UMFxFkM+R5Kj"
        ),
        ["aws-secret-access-key"]
    );
    assert!(rule("env", "PATH=/usr/local/bin:/usr/bin").is_empty());
    assert!(rule("env", "DB_PASSWORD_FILE=/run/secrets/db").is_empty());
    assert_eq!(
        rule(
            "history",
            "|2 GH_TOKEN=ghp_hGAkWvj7FAc9QeWJKY40uvSwMFLZDeZq3x9A X=1 /bin/sh -c make"
        ),
        ["github-pat"]
    );
    assert_eq!(
        rule(
            "history",
            "/bin/sh -c #(nop) ENV APP=1 DB_PASSWORD=hunter2 DB_USER=app"
        ),
        ["generic-password"]
    );
    assert!(rule("history", "RUN /bin/sh -c echo password=$PASSWORD > /etc/x").is_empty());
    assert!(rule(
        "label",
        "org.opencontainers.image.source=https://example.com/x"
    )
    .is_empty());
}
