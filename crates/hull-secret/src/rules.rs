//! The built-in rule set, in one explicit table ([`BUILTIN`]): each row is a stable id,
//! a severity, the keywords that must appear in a file before its regex runs, the
//! vendor's token format as a regex, which files it reads, and a verifier that looks at
//! each match (checksum, structure, placeholder, entropy). Order is priority: where two
//! rules match the same bytes (a `GITLAB_TOKEN=glpat-…` line is also a generic token
//! assignment) the earlier row wins. `docs/secrets.md` documents every row; a test
//! fails when one is missing there.

use std::ops::Range;

use base64::Engine as _;
use hull_model::Severity;
use regex::bytes::Captures;

use crate::allow;
use crate::checksum;
use crate::keys;

/// One regex match handed to a verifier.
pub(crate) struct Hit<'a> {
    pub data: &'a [u8],
    pub caps: &'a Captures<'a>,
    /// The bytes the rule calls the secret.
    pub secret: Range<usize>,
}

impl Hit<'_> {
    pub fn value(&self) -> &[u8] {
        &self.data[self.secret.clone()]
    }

    pub fn whole(&self) -> Range<usize> {
        self.caps.get(0).map_or(self.secret.clone(), |m| m.range())
    }

    fn group(&self, name: &str) -> Option<&[u8]> {
        self.caps.name(name).map(|m| m.as_bytes())
    }
}

/// A verified finding, before line numbers and masking.
#[derive(Debug, Clone)]
pub(crate) struct Accept {
    /// Where the finding is reported (line and column come from here).
    pub anchor: usize,
    /// What the excerpt masks.
    pub mask: Range<usize>,
    /// What the fingerprint hashes.
    pub value: Vec<u8>,
    /// Leading bytes of `mask` shown unmasked (a public vendor prefix such as `ghp_`).
    pub keep: usize,
    /// Severity steps below the rule's (a checksum that does not verify, an encrypted key).
    pub lower: u8,
    pub detail: Option<String>,
}

impl Accept {
    pub fn of(h: &Hit) -> Accept {
        Accept {
            anchor: h.secret.start,
            mask: h.secret.clone(),
            value: h.value().to_vec(),
            keep: 0,
            lower: 0,
            detail: None,
        }
    }
}

pub(crate) type Verify = fn(&Hit) -> Option<Accept>;

/// Which files a rule reads (see [`crate::files::PathClass`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Files {
    /// Every text file.
    Any,
    /// Every text file but documentation and installed third-party packages.
    NotDocs,
    /// Configuration, environment and shell files (and image config values), but not
    /// documentation or installed third-party packages.
    Config,
    /// Files with one of these names (case-insensitive).
    Names(&'static [&'static str]),
}

pub(crate) struct Builtin {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Matched as written, in lowercase, in UPPERCASE and Capitalized (`pass`: `pass`,
    /// `PASS`, `Pass`), the spellings names have in files.
    pub keywords: &'static [&'static str],
    /// Matched exactly (token prefixes whose case is part of the format).
    pub exact: &'static [&'static str],
    /// Compiled with Unicode off (bytes, ASCII classes). The secret is the group named
    /// `secret`, or whichever of `dq`/`sq`/`bare` (quoted or bare value) matched.
    pub regex: &'static str,
    pub files: Files,
    /// A second regex the file must match somewhere (`"type": "service_account"`).
    pub requires: Option<&'static str>,
    /// Leading bytes of the secret left visible in excerpts (a public prefix).
    pub keep: usize,
    pub verify: Verify,
    /// Most matches examined per file (verifiers that read ahead are capped).
    pub max_matches: usize,
    pub description: &'static str,
}

const UNBOUNDED: usize = usize::MAX;

/// A token whose format is its own evidence: reject only examples and fakes.
fn token(h: &Hit) -> Option<Accept> {
    (!allow::fake(h.value())).then(|| Accept::of(h))
}

/// A CRC32/base62 checksummed token (`ghp_…`, `npm_…`): the prefix stays visible; a
/// token whose checksum does not verify is still reported (scanners' own fixtures and
/// hand-made test tokens lack it, and hull cannot know every system that accepts one)
/// but one severity step lower, with the detail saying so.
fn checksummed(h: &Hit) -> Option<Accept> {
    let v = h.value();
    let us = memchr::memchr(b'_', v)?;
    let mut a = token(h)?;
    a.keep = us + 1;
    if checksum::crc32_base62(&v[us + 1..]) {
        a.detail = Some("checksum verified".into());
    } else {
        a.lower = 1;
        a.detail = Some("checksum does not verify".into());
    }
    Some(a)
}

/// A token with a public prefix up to its first `_`/`-`/`.`.
fn prefixed(h: &Hit) -> Option<Accept> {
    let v = h.value();
    let mut a = token(h)?;
    a.keep = v
        .iter()
        .position(|c| matches!(c, b'_' | b'-' | b'.'))
        .map_or(0, |i| i + 1);
    // Stripe/Slack prefixes have two parts (`sk_live_`, `xoxb-`): keep both words.
    if v.starts_with(b"sk_live_") || v.starts_with(b"rk_live_") {
        a.keep = 8;
    }
    Some(a)
}

fn aws_key_id(h: &Hit) -> Option<Accept> {
    let mut a = token(h)?;
    a.keep = 4;
    Some(a)
}

/// 40 base64 characters after an AWS secret key name: random, not a hex digest.
fn aws_secret(h: &Hit) -> Option<Accept> {
    let v = h.value();
    if allow::fake(v) || v.iter().all(u8::is_ascii_hexdigit) || allow::entropy(v) < 3.5 {
        return None;
    }
    Some(Accept::of(h))
}

/// A base64 key that must decode to exactly `n` bytes.
fn b64_len(h: &Hit, n: usize) -> Option<Accept> {
    let v = h.value();
    if allow::fake(v) || keys::B64.decode(v).ok()?.len() != n {
        return None;
    }
    Some(Accept::of(h))
}

fn azure_storage_key(h: &Hit) -> Option<Accept> {
    b64_len(h, 64)
}

fn azure_shared_key(h: &Hit) -> Option<Accept> {
    b64_len(h, 32)
}

fn private_key(h: &Hit) -> Option<Accept> {
    let start = h.whole().start;
    let key = keys::pem_at(h.data, start)?;
    Some(Accept {
        anchor: start,
        mask: key.body,
        value: key.canonical,
        keep: 0,
        lower: u8::from(key.encrypted),
        detail: Some(key.kind),
    })
}

fn putty_key(h: &Hit) -> Option<Accept> {
    let start = h.whole().start;
    let key = keys::putty_at(h.data, start)?;
    Some(Accept {
        anchor: start,
        mask: key.body,
        value: key.canonical,
        keep: 0,
        lower: u8::from(key.encrypted),
        detail: Some(key.kind),
    })
}

/// The `private_key` of a GCP service-account JSON: a PKCS#8 PEM with `\n` escapes.
fn gcp_key(h: &Hit) -> Option<Accept> {
    let key = keys::pem_at(h.data, h.secret.start)?;
    Some(Accept {
        anchor: h.whole().start,
        mask: key.body,
        value: key.canonical,
        keep: 0,
        lower: 0,
        detail: Some(format!("service account private key, {}", key.kind)),
    })
}

/// kubeconfig `client-key-data`: base64 of a PEM private key that parses.
fn kube_client_key(h: &Hit) -> Option<Accept> {
    let pem = keys::B64.decode(h.value()).ok()?;
    let at = memchr::memmem::find(&pem, b"-----BEGIN ")?;
    let key = keys::pem_at(&pem, at)?;
    let mut a = Accept::of(h);
    a.detail = Some(key.kind);
    a.lower = u8::from(key.encrypted);
    Some(a)
}

fn kube_token(h: &Hit) -> Option<Accept> {
    (!allow::placeholder(h.value(), 16)).then(|| Accept::of(h))
}

/// Docker `config.json` `auths`: `auth` is base64 of `user:password`; `identitytoken`
/// an OAuth refresh token.
fn docker_auth(h: &Hit) -> Option<Accept> {
    let mut a = Accept::of(h);
    if h.group("key") == Some(b"identitytoken") {
        if allow::placeholder(h.value(), 16) {
            return None;
        }
        a.detail = Some("identity token".into());
        return Some(a);
    }
    let decoded = keys::B64.decode(h.value()).ok()?;
    let colon = memchr::memchr(b':', &decoded)?;
    let (user, password) = (&decoded[..colon], &decoded[colon + 1..]);
    if user.is_empty() || password.is_empty() || allow::placeholder(password, 1) {
        return None;
    }
    let user: String = String::from_utf8_lossy(user)
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    a.detail = Some(format!("user {user}"));
    Some(a)
}

/// A PyPI API token is a macaroon (v2 binary format, base64url after `pypi-`): it is
/// reported when the fields walk to a 32-byte signature.
fn pypi(h: &Hit) -> Option<Accept> {
    const URL: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let v = h.value();
    let body = v.strip_prefix(b"pypi-")?;
    // base64 decodes in 4-character groups; a trailing single character cannot be data.
    let usable = body.len() - usize::from(body.len() % 4 == 1);
    let m = URL.decode(&body[..usable]).ok()?;
    if !macaroon_v2(&m) || allow::fake(v) {
        return None;
    }
    let mut a = Accept::of(h);
    a.keep = 5;
    Some(a)
}

/// Walks macaroon v2 fields (`type varint, len varint, data`; type 0 ends a section)
/// until the signature field (type 6, 32 bytes).
fn macaroon_v2(m: &[u8]) -> bool {
    fn varint(b: &[u8], i: &mut usize) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *b.get(*i)?;
            *i += 1;
            v |= ((byte & 0x7f) as u64) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    if m.first() != Some(&2) {
        return false;
    }
    let mut i = 1;
    for _ in 0..4096 {
        let Some(t) = varint(m, &mut i) else {
            return false;
        };
        if t == 0 {
            continue;
        }
        let Some(len) = varint(m, &mut i) else {
            return false;
        };
        let Some(end) = i.checked_add(len as usize).filter(|&e| e <= m.len()) else {
            return false;
        };
        if t == 6 {
            return len == 32;
        }
        i = end;
    }
    false
}

fn slack_webhook(h: &Hit) -> Option<Accept> {
    let mut a = token(h)?;
    // The URL, the workspace (T…) and channel (B…) ids are not secret: the last part is.
    a.keep = h.value().len().saturating_sub(24);
    Some(a)
}

/// Split an assignment key into lowercase words: `spring.datasource.password` →
/// `spring datasource password`, `dbPassword` → `db password`, `API_KEY` → `api key`.
pub(crate) fn key_words(key: &[u8]) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for &c in key {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase() as char);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn password_key(words: &[String]) -> bool {
    let Some(last) = words.last() else {
        return false;
    };
    matches!(
        last.as_str(),
        "pass" | "pw" | "pwd" | "passwd" | "passphrase"
    ) || last.ends_with("password")
        || last.ends_with("passwd")
        || last.ends_with("passphrase")
}

/// Keys whose last word is a token/secret/API-key word; `key` counts only after a
/// word that makes it a credential (`api key`, `secret key`, `access key`).
fn secret_key(words: &[String]) -> bool {
    let Some(last) = words.last() else {
        return false;
    };
    let before = words.len().checked_sub(2).map(|i| words[i].as_str());
    // Pagination and parser tokens are not credentials.
    if words.iter().any(|w| {
        matches!(
            w.as_str(),
            "next"
                | "page"
                | "continuation"
                | "csrf"
                | "xsrf"
                | "cancel"
                | "cancellation"
                | "sync"
                | "lexer"
                | "parser"
                | "public"
                | "pub"
        )
    }) {
        return false;
    }
    match last.as_str() {
        "secret" | "token" | "apikey" | "secretkey" | "accesskey" | "privatekey" | "authkey"
        | "clientsecret" | "authtoken" | "accesstoken" | "apitoken" | "bearertoken"
        | "refreshtoken" => true,
        "key" => matches!(
            before,
            Some(
                "api"
                    | "secret"
                    | "access"
                    | "private"
                    | "auth"
                    | "signing"
                    | "encryption"
                    | "master"
                    | "client"
                    | "app"
                    | "application"
                    | "service"
            )
        ),
        _ => false,
    }
}

/// Whether the assignment at `at` sits on a commented-out line (`#`, `;`, `//`), looking
/// back at most 4 KiB for the line start (bounded on a 50 MB one-line file).
fn commented(data: &[u8], at: usize) -> bool {
    let from = at.saturating_sub(4096);
    let line_start = memchr::memrchr(b'\n', &data[from..at]).map_or(from, |i| from + i + 1);
    let line = data[line_start..at].trim_ascii_start();
    line.starts_with(b"#") || line.starts_with(b";") || line.starts_with(b"//")
}

/// Shared checks of the `key = value` rules.
fn assignment(h: &Hit, key_ok: fn(&[String]) -> bool, min: usize, entropy: f64) -> Option<Accept> {
    let words = key_words(h.group("key")?);
    if !key_ok(&words) || commented(h.data, h.whole().start) {
        return None;
    }
    let v = h.value();
    if allow::placeholder(v, min) || allow::entropy(v) < entropy {
        return None;
    }
    Some(Accept::of(h))
}

fn generic_password(h: &Hit) -> Option<Accept> {
    assignment(h, password_key, 6, 0.0)
}

fn generic_secret(h: &Hit) -> Option<Accept> {
    assignment(h, secret_key, 8, 3.0)
}

fn jwt_key(words: &[String]) -> bool {
    words.iter().any(|w| w == "jwt" || w.starts_with("jwt"))
        && words.last().is_some_and(|l| {
            matches!(l.as_str(), "secret" | "key" | "signingkey" | "secretkey")
                || l.ends_with("secret")
        })
        && !words.iter().any(|w| w == "public" || w == "pub")
}

fn jwt_secret(h: &Hit) -> Option<Accept> {
    assignment(h, jwt_key, 8, 2.5)
}

fn url_password(h: &Hit) -> Option<Accept> {
    let host = h.group("host")?.to_ascii_lowercase();
    if host.starts_with(b"example.")
        || host.ends_with(b".example")
        || host.ends_with(b".example.com")
        || host.ends_with(b".example.org")
        || host == b"host"
        || host == b"hostname"
        || commented(h.data, h.whole().start)
    {
        return None;
    }
    let user = h.group("user")?.to_ascii_lowercase();
    let template_user = matches!(user.as_slice(), b"user" | b"username" | b"login" | b"name")
        || user.first().is_some_and(|c| b"$<{%".contains(c));
    if allow::placeholder(h.value(), 6) || template_user {
        return None;
    }
    Some(Accept::of(h))
}

fn netrc(h: &Hit) -> Option<Accept> {
    (!allow::placeholder(h.value(), 4)).then(|| Accept::of(h))
}

fn npmrc(h: &Hit) -> Option<Accept> {
    (!allow::placeholder(h.value(), 8)).then(|| Accept::of(h))
}

use Severity::{Critical, High, Low, Medium};

/// `(?:^|[^\w.-])` + key + separator + quoted or bare value: the shape every
/// `key = value` rule shares (`.env`, INI, YAML, JSON, TOML, shell, properties).
macro_rules! assign {
    ($key:literal) => {
        concat!(
            r#"(?i)(?:^|[^A-Za-z0-9_.\-])(?P<key>"#,
            $key,
            r#")["']?[ \t]*(?:=|:=|:|=>)[ \t]*(?:"(?P<dq>[^"\r\n]{1,512})"|'(?P<sq>[^'\r\n]{1,512})'|(?P<bare>[^\s"'`,;]{1,512}))"#
        )
    };
}

pub(crate) const BUILTIN: &[Builtin] = &[
    Builtin {
        id: "gcp-service-account-key",
        title: "GCP service account private key",
        severity: Critical,
        keywords: &[],
        exact: &["service_account"],
        regex: r#""private_key"[ \t]*:[ \t]*"(?P<secret>-----BEGIN PRIVATE KEY-----[^"]{64,})""#,
        files: Files::Any,
        requires: Some(r#""type"[ \t\r\n]*:[ \t\r\n]*"service_account""#),
        keep: 0,
        verify: gcp_key,
        max_matches: 256,
        description: "`private_key` of a JSON key file with `\"type\": \"service_account\"`",
    },
    Builtin {
        id: "private-key",
        title: "Private key",
        severity: High,
        keywords: &[],
        exact: &["PRIVATE KEY-----"],
        regex: r"-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----",
        files: Files::Any,
        requires: None,
        keep: 0,
        verify: private_key,
        max_matches: 256,
        description: "PEM private key (PKCS#1 RSA, PKCS#8, SEC 1 EC, DSA, OpenSSH) whose body parses",
    },
    Builtin {
        id: "putty-private-key",
        title: "PuTTY private key",
        severity: High,
        keywords: &[],
        exact: &["PuTTY-User-Key-File-"],
        regex: r"PuTTY-User-Key-File-[23]:",
        files: Files::Any,
        requires: None,
        keep: 0,
        verify: putty_key,
        max_matches: 256,
        description: "PuTTY `.ppk` v2/v3 file with a complete private section and MAC",
    },
    Builtin {
        id: "kubeconfig-client-key",
        title: "Kubernetes client key in a kubeconfig",
        severity: Critical,
        keywords: &[],
        exact: &["client-key-data"],
        regex: r#"client-key-data:[ \t]*["']?(?P<secret>[A-Za-z0-9+/=]{64,})"#,
        files: Files::Any,
        requires: None,
        keep: 0,
        verify: kube_client_key,
        max_matches: UNBOUNDED,
        description: "`client-key-data`: base64 of a PEM private key that parses",
    },
    Builtin {
        id: "kubeconfig-token",
        title: "Kubernetes bearer token in a kubeconfig",
        severity: Critical,
        keywords: &[],
        exact: &["token:"],
        regex: r#"(?m)^[ \t]*(?:-[ \t]+)?(?:token|id-token|refresh-token):[ \t]*["']?(?P<secret>[A-Za-z0-9._~+/=\-]{16,})"#,
        files: Files::Any,
        requires: Some(r#"(?m)^kind:[ \t]*["']?Config["']?[ \t]*\r?$"#),
        keep: 0,
        verify: kube_token,
        max_matches: UNBOUNDED,
        description: "`token`/`id-token`/`refresh-token` in a file with `kind: Config`",
    },
    Builtin {
        id: "aws-access-key-id",
        title: "AWS access key ID",
        severity: High,
        keywords: &[],
        exact: &["AKIA", "ASIA", "ABIA", "ACCA"],
        regex: r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        files: Files::Any,
        requires: None,
        keep: 4,
        verify: aws_key_id,
        max_matches: UNBOUNDED,
        description: "`AKIA`/`ASIA`/`ABIA`/`ACCA` + 16 base32 characters",
    },
    Builtin {
        id: "aws-secret-access-key",
        title: "AWS secret access key",
        severity: Critical,
        keywords: &[],
        exact: &["ecret", "ECRET"],
        regex: r#"(?i)(?:aws[_.\-]?secret[_.\-]?(?:access[_.\-]?)?key|secret[_.\-]?access[_.\-]?key)["']?[ \t]*(?:=|:=|:|=>|,)[ \t]*["']?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        files: Files::Any,
        requires: None,
        keep: 0,
        verify: aws_secret,
        max_matches: UNBOUNDED,
        description: "40 base64 characters assigned to an AWS secret key name, entropy ≥ 3.5 bits/char",
    },
    Builtin {
        id: "azure-storage-account-key",
        title: "Azure storage account key",
        severity: Critical,
        keywords: &[],
        exact: &["AccountKey", "AZURE_STORAGE", "azure_storage", "AzureStorage", "azure-storage"],
        regex: r#"(?i)(?:AccountKey[ \t]*=[ \t]*|azure[_.\-]?storage[_.\-]?(?:account[_.\-]?)?(?:access[_.\-]?)?key["']?[ \t]*[=:][ \t]*["']?)(?P<secret>[A-Za-z0-9+/]{86}==)"#,
        files: Files::Any,
        requires: None,
        keep: 0,
        verify: azure_storage_key,
        max_matches: UNBOUNDED,
        description: "`AccountKey=` in a connection string (or an `AZURE_STORAGE_KEY`): base64 of 64 bytes",
    },
    Builtin {
        id: "azure-shared-access-key",
        title: "Azure shared access key",
        severity: High,
        keywords: &[],
        exact: &["SharedAccessKey"],
        regex: r"(?i)SharedAccessKey[ \t]*=[ \t]*(?P<secret>[A-Za-z0-9+/]{43}=)",
        files: Files::Any,
        requires: None,
        keep: 0,
        verify: azure_shared_key,
        max_matches: UNBOUNDED,
        description: "`SharedAccessKey=` in a Service Bus / Event Hubs / IoT Hub connection string: base64 of 32 bytes",
    },
    Builtin {
        id: "github-pat",
        title: "GitHub personal access token (classic)",
        severity: Critical,
        keywords: &[],
        exact: &["ghp_"],
        regex: r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b",
        files: Files::Any,
        requires: None,
        keep: 4,
        verify: checksummed,
        max_matches: UNBOUNDED,
        description: "`ghp_` + 30 base62 + 6-digit base62 CRC32",
    },
    Builtin {
        id: "github-oauth-token",
        title: "GitHub OAuth access token",
        severity: Critical,
        keywords: &[],
        exact: &["gho_"],
        regex: r"\b(?P<secret>gho_[A-Za-z0-9]{36})\b",
        files: Files::Any,
        requires: None,
        keep: 4,
        verify: checksummed,
        max_matches: UNBOUNDED,
        description: "`gho_` + 30 base62 + 6-digit base62 CRC32",
    },
    Builtin {
        id: "github-app-token",
        title: "GitHub App user-to-server or installation token",
        severity: Critical,
        keywords: &[],
        exact: &["ghu_", "ghs_"],
        regex: r"\b(?P<secret>gh[us]_[A-Za-z0-9]{36})\b",
        files: Files::Any,
        requires: None,
        keep: 4,
        verify: checksummed,
        max_matches: UNBOUNDED,
        description: "`ghu_`/`ghs_` + 30 base62 + 6-digit base62 CRC32",
    },
    Builtin {
        id: "github-refresh-token",
        title: "GitHub App refresh token",
        severity: Critical,
        keywords: &[],
        exact: &["ghr_"],
        regex: r"\b(?P<secret>ghr_[A-Za-z0-9]{36})\b",
        files: Files::Any,
        requires: None,
        keep: 4,
        verify: checksummed,
        max_matches: UNBOUNDED,
        description: "`ghr_` + 30 base62 + 6-digit base62 CRC32",
    },
    Builtin {
        id: "github-fine-grained-pat",
        title: "GitHub fine-grained personal access token",
        severity: Critical,
        keywords: &[],
        exact: &["github_pat_"],
        regex: r"\b(?P<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        files: Files::Any,
        requires: None,
        keep: 11,
        verify: token,
        max_matches: UNBOUNDED,
        description: "`github_pat_` + 22 base62 + `_` + 59 base62 (format only)",
    },
    Builtin {
        id: "gitlab-pat",
        title: "GitLab personal access token",
        severity: Critical,
        keywords: &[],
        exact: &["glpat-"],
        regex: r"\b(?P<secret>glpat-[A-Za-z0-9_\-]{20,300}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,9})?)(?:[^A-Za-z0-9_\-.]|$)",
        files: Files::Any,
        requires: None,
        keep: 6,
        verify: prefixed,
        max_matches: UNBOUNDED,
        description: "`glpat-` + 20 or more base64url characters (routable tokens with their `.vv.crc` suffix)",
    },
    Builtin {
        id: "gitlab-deploy-token",
        title: "GitLab deploy token",
        severity: High,
        keywords: &[],
        exact: &["gldt-"],
        regex: r"\b(?P<secret>gldt-[A-Za-z0-9_\-]{20,300})(?:[^A-Za-z0-9_\-]|$)",
        files: Files::Any,
        requires: None,
        keep: 5,
        verify: prefixed,
        max_matches: UNBOUNDED,
        description: "`gldt-` + 20 or more base64url characters",
    },
    Builtin {
        id: "gitlab-runner-token",
        title: "GitLab runner authentication or registration token",
        severity: High,
        keywords: &[],
        exact: &["glrt-", "GR1348941"],
        regex: r"\b(?P<secret>(?:glrt-|GR1348941)[A-Za-z0-9_\-]{20,300})(?:[^A-Za-z0-9_\-]|$)",
        files: Files::Any,
        requires: None,
        keep: 5,
        verify: prefixed,
        max_matches: UNBOUNDED,
        description: "`glrt-` (authentication) or `GR1348941` (registration) + 20 or more base64url characters",
    },
    Builtin {
        id: "gitlab-trigger-token",
        title: "GitLab pipeline trigger token",
        severity: Medium,
        keywords: &[],
        exact: &["glptt-"],
        regex: r"\b(?P<secret>glptt-[0-9a-f]{40})\b",
        files: Files::Any,
        requires: None,
        keep: 6,
        verify: prefixed,
        max_matches: UNBOUNDED,
        description: "`glptt-` + 40 hex",
    },
    Builtin {
        id: "npm-access-token",
        title: "npm access token",
        severity: Critical,
        keywords: &[],
        exact: &["npm_"],
        regex: r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b",
        files: Files::Any,
        requires: None,
        keep: 4,
        verify: checksummed,
        max_matches: UNBOUNDED,
        description: "`npm_` + 30 base62 + 6-digit base62 CRC32",
    },
    Builtin {
        id: "npmrc-auth",
        title: "Registry credential in .npmrc",
        severity: High,
        keywords: &[],
        exact: &[],
        regex: r#"(?m)(?:^|:)_(?:authToken|auth|password)[ \t]*=[ \t]*["']?(?P<secret>[^\s"']{8,})"#,
        files: Files::Names(&[".npmrc", "npmrc"]),
        requires: None,
        keep: 0,
        verify: npmrc,
        max_matches: UNBOUNDED,
        description: "`_authToken`, `_auth` or `_password` in an `.npmrc`",
    },
    Builtin {
        id: "pypi-upload-token",
        title: "PyPI API token",
        severity: Critical,
        keywords: &[],
        exact: &["pypi-AgE"],
        regex: r"\b(?P<secret>pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]{50,})",
        files: Files::Any,
        requires: None,
        keep: 5,
        verify: pypi,
        max_matches: UNBOUNDED,
        description: "`pypi-` + base64url macaroon for pypi.org / test.pypi.org that parses to its signature",
    },
    Builtin {
        id: "docker-config-auth",
        title: "Registry credential in a Docker config.json",
        severity: Critical,
        keywords: &[],
        exact: &[],
        regex: r#""(?P<key>auth|identitytoken)"[ \t\r\n]*:[ \t\r\n]*"(?P<secret>[A-Za-z0-9+/=._\-]{8,})""#,
        files: Files::Names(&["config.json", ".dockercfg"]),
        requires: None,
        keep: 0,
        verify: docker_auth,
        max_matches: UNBOUNDED,
        description: "`auths` entry whose `auth` decodes to `user:password`, or an `identitytoken`",
    },
    Builtin {
        id: "slack-token",
        title: "Slack bot, user or app token",
        severity: High,
        keywords: &[],
        exact: &["xox", "xapp-"],
        regex: r"\b(?P<secret>xoxb-[0-9]{8,14}-[0-9]{8,14}-[A-Za-z0-9]{24,34}|xox[pe]-[0-9]{8,14}-[0-9]{8,14}-[0-9]{8,14}-[a-f0-9]{32}|xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,14}-[a-f0-9]{64})\b",
        files: Files::Any,
        requires: None,
        keep: 5,
        verify: prefixed,
        max_matches: UNBOUNDED,
        description: "`xoxb-`, `xoxp-`/`xoxe-` or `xapp-` with Slack's numeric team/user ids",
    },
    Builtin {
        id: "slack-webhook",
        title: "Slack incoming webhook URL",
        severity: Medium,
        keywords: &[],
        exact: &["hooks.slack.com"],
        regex: r"(?P<secret>https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{8,12}/[AB][A-Z0-9]{8,12}/[A-Za-z0-9]{24})\b",
        files: Files::Any,
        requires: None,
        keep: 0,
        verify: slack_webhook,
        max_matches: UNBOUNDED,
        description: "`https://hooks.slack.com/services/T…/B…/` + 24 alphanumerics",
    },
    Builtin {
        id: "stripe-secret-key",
        title: "Stripe live secret key",
        severity: Critical,
        keywords: &[],
        exact: &["k_live_"],
        regex: r"\b(?P<secret>sk_live_[0-9A-Za-z]{24,247})\b",
        files: Files::Any,
        requires: None,
        keep: 8,
        verify: prefixed,
        max_matches: UNBOUNDED,
        description: "`sk_live_` + 24 to 247 alphanumerics (test-mode `sk_test_` keys move no money: not reported)",
    },
    Builtin {
        id: "stripe-restricted-key",
        title: "Stripe live restricted key",
        severity: High,
        keywords: &[],
        exact: &["k_live_"],
        regex: r"\b(?P<secret>rk_live_[0-9A-Za-z]{24,247})\b",
        files: Files::Any,
        requires: None,
        keep: 8,
        verify: prefixed,
        max_matches: UNBOUNDED,
        description: "`rk_live_` + 24 to 247 alphanumerics",
    },
    Builtin {
        id: "sendgrid-api-key",
        title: "SendGrid API key",
        severity: High,
        keywords: &[],
        exact: &["SG."],
        regex: r"\b(?P<secret>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)",
        files: Files::Any,
        requires: None,
        keep: 3,
        verify: prefixed,
        max_matches: UNBOUNDED,
        description: "`SG.` + 22 + `.` + 43 base64url characters",
    },
    Builtin {
        id: "twilio-api-key",
        title: "Twilio API key",
        severity: High,
        keywords: &["twilio"],
        exact: &[],
        regex: r"\b(?P<secret>SK[0-9a-fA-F]{32})\b",
        files: Files::Any,
        requires: None,
        keep: 2,
        verify: token,
        max_matches: UNBOUNDED,
        description: "`SK` + 32 hex in a file that names Twilio (the format has no distinctive literal)",
    },
    Builtin {
        id: "twilio-auth-token",
        title: "Twilio auth token",
        severity: High,
        keywords: &["twilio"],
        exact: &[],
        regex: r#"(?i)twilio[A-Za-z0-9_.\-]{0,20}(?:auth)?[_.\-]?token["']?[ \t]*[=:][ \t]*["']?(?P<secret>[0-9a-f]{32})\b"#,
        files: Files::Any,
        requires: None,
        keep: 0,
        verify: token,
        max_matches: UNBOUNDED,
        description: "32 hex assigned to a `TWILIO_AUTH_TOKEN`-like name",
    },
    Builtin {
        id: "openai-api-key",
        title: "OpenAI API key",
        severity: High,
        keywords: &[],
        exact: &["T3BlbkFJ"],
        regex: r"\b(?P<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,200}T3BlbkFJ[A-Za-z0-9_\-]{20,200})(?:[^A-Za-z0-9_\-]|$)",
        files: Files::Any,
        requires: None,
        keep: 3,
        verify: prefixed,
        max_matches: UNBOUNDED,
        description: "`sk-`/`sk-proj-`/`sk-svcacct-`/`sk-admin-` keys with the `T3BlbkFJ` marker (base64 of `OpenAI`)",
    },
    Builtin {
        id: "anthropic-api-key",
        title: "Anthropic API key",
        severity: High,
        keywords: &[],
        exact: &["sk-ant-"],
        regex: r"\b(?P<secret>sk-ant-(?:api03|admin01)-[A-Za-z0-9_\-]{93}AA)(?:[^A-Za-z0-9_\-]|$)",
        files: Files::Any,
        requires: None,
        keep: 7,
        verify: token,
        max_matches: UNBOUNDED,
        description: "`sk-ant-api03-`/`sk-ant-admin01-` + 93 base64url + `AA`",
    },
    Builtin {
        id: "vault-token",
        title: "HashiCorp Vault token",
        severity: Critical,
        keywords: &[],
        exact: &["hvs.", "hvb."],
        regex: r"\b(?P<secret>hv[sb]\.[A-Za-z0-9_\-]{90,400})(?:[^A-Za-z0-9_\-.]|$)",
        files: Files::Any,
        requires: None,
        keep: 4,
        verify: prefixed,
        max_matches: UNBOUNDED,
        description: "`hvs.` (service) or `hvb.` (batch) + 90 or more base64url characters",
    },
    Builtin {
        id: "netrc-password",
        title: "Password in a .netrc file",
        severity: High,
        keywords: &[],
        exact: &[],
        regex: r"(?:^|\s)password[ \t]+(?P<secret>\S{1,256})",
        files: Files::Names(&[".netrc", "_netrc"]),
        requires: None,
        keep: 0,
        verify: netrc,
        max_matches: UNBOUNDED,
        description: "`password` token of a `.netrc` machine entry",
    },
    Builtin {
        id: "pgpass-password",
        title: "Password in a .pgpass file",
        severity: High,
        keywords: &[],
        exact: &[],
        regex: r"(?m)^(?:[^#:\r\n\\]|\\.)(?:[^:\r\n\\]|\\.)*:(?:[^:\r\n\\]|\\.)*:(?:[^:\r\n\\]|\\.)*:(?:[^:\r\n\\]|\\.)*:(?P<secret>[^\r\n]{1,256})",
        files: Files::Names(&[".pgpass", "pgpass.conf"]),
        requires: None,
        keep: 0,
        verify: netrc,
        max_matches: UNBOUNDED,
        description: "last field of `host:port:db:user:password` lines of a `.pgpass`",
    },
    Builtin {
        id: "jwt-signing-secret",
        title: "JWT signing secret",
        severity: High,
        keywords: &["jwt"],
        exact: &[],
        regex: assign!(r"[A-Za-z0-9_.\-]{0,40}jwt[A-Za-z0-9_.\-]{0,40}"),
        files: Files::NotDocs,
        requires: None,
        keep: 0,
        verify: jwt_secret,
        max_matches: UNBOUNDED,
        description: "value assigned to a `JWT_SECRET`/`jwt.signing-key`-like name",
    },
    Builtin {
        id: "url-password",
        title: "Password in a URL",
        severity: Medium,
        keywords: &[],
        exact: &["://"],
        regex: r"(?i)\b[a-z][a-z0-9+.\-]{1,20}://(?P<user>[A-Za-z0-9._~%!$&*+=\-]{1,64}):(?P<secret>[A-Za-z0-9._~%!$&*+=\-]{1,128})@(?P<host>[A-Za-z0-9.\-]{1,253})",
        files: Files::Config,
        requires: None,
        keep: 0,
        verify: url_password,
        max_matches: UNBOUNDED,
        description: "`scheme://user:password@host` in a configuration file",
    },
    Builtin {
        id: "generic-password",
        title: "Password assignment",
        severity: Medium,
        keywords: &["pass", "pwd"],
        exact: &[],
        regex: assign!(r"[A-Za-z0-9_.\-]{0,60}(?:pass|pwd)[A-Za-z0-9_.\-]{0,40}"),
        files: Files::Config,
        requires: None,
        keep: 0,
        verify: generic_password,
        max_matches: UNBOUNDED,
        description: "`*password=`/`*passwd:`/`*pwd=` assignments in configuration and `.env` files",
    },
    Builtin {
        id: "generic-secret",
        title: "Secret, token or API key assignment",
        severity: Medium,
        keywords: &["token", "key"],
        exact: &["ecret", "ECRET"],
        regex: assign!(r"[A-Za-z0-9_.\-]{0,60}(?:secret|token|key)[A-Za-z0-9_.\-]{0,40}"),
        files: Files::Config,
        requires: None,
        keep: 0,
        verify: generic_secret,
        max_matches: UNBOUNDED,
        description: "`*secret=`/`*token:`/`*api_key=` assignments in configuration and `.env` files, entropy ≥ 3 bits/char",
    },
];

/// `severity` lowered by `steps`, never below `low`.
pub(crate) fn lower(severity: Severity, steps: u8) -> Severity {
    let mut s = severity;
    for _ in 0..steps {
        s = match s {
            Critical => High,
            High => Medium,
            _ => Low,
        };
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        for (key, want) in [
            ("spring.datasource.password", "spring datasource password"),
            ("dbPassword", "db password"),
            ("API_KEY", "api key"),
            ("\"client_secret\"", "client secret"),
            ("X-Auth-Token", "x auth token"),
        ] {
            assert_eq!(key_words(key.as_bytes()).join(" "), want);
        }
        let w = |s: &str| key_words(s.as_bytes());
        assert!(password_key(&w("DB_PASSWORD")));
        assert!(!password_key(&w("PASSWORD_FILE")));
        assert!(!password_key(&w("bypass")));
        assert!(secret_key(&w("GITLAB_TOKEN")));
        assert!(secret_key(&w("stripe.api-key")));
        assert!(!secret_key(&w("token_type")));
        assert!(!secret_key(&w("next_page_token")));
        assert!(!secret_key(&w("primary_key")));
        assert!(jwt_key(&w("JWT_SECRET")));
        assert!(!jwt_key(&w("jwt_public_key")));
    }

    #[test]
    fn severities() {
        assert_eq!(lower(Critical, 1), High);
        assert_eq!(lower(Low, 3), Low);
        assert_eq!(lower(Medium, 0), Medium);
    }

    #[test]
    fn macaroons() {
        // version 2, location "pypi.org", identifier, EOS, EOS, signature.
        let mut m = vec![2, 1, 8];
        m.extend(b"pypi.org");
        m.extend([2, 3, b'a', b'b', b'c', 0, 0, 6, 32]);
        m.extend([7u8; 32]);
        assert!(macaroon_v2(&m));
        assert!(!macaroon_v2(&m[..m.len() - 1]));
        assert!(!macaroon_v2(&[2, 1, 200]));
        assert!(!macaroon_v2(&[1]));
    }
}
