//! Registry pulls over the OCI distribution API (distribution-spec "Pull"): manifests
//! by tag or digest, blobs by digest, with anonymous, basic and bearer-token auth
//! (a `401` with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` is answered by
//! fetching a token from the realm, with the user's credentials when there are some).
//!
//! Blocking I/O on purpose: the scanning libraries are synchronous; each layer is
//! fetched by its own walker thread as one streaming `GET`.

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use hull_model::Digest;

use crate::dockercfg::{self, Credentials};
use crate::error::short;
use crate::oci::{self, Doc};
use crate::store::{digest_of, read_capped, Store};
use crate::{Error, Limits, OpenOptions, Opened, Selector};

/// A parsed `host[:port]/repo[:tag|@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    /// As users and `config.json` name it (`docker.io` for Docker Hub).
    pub registry: String,
    pub repository: String,
    pub reference: Selector,
}

impl Reference {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(Digest::parse(d).map_err(|e| e.to_string())?)),
            None => (s, None),
        };
        // A tag follows the last `:` that comes after the last `/` (`host:5000/a` has none).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, repo))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), repo.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        let repo_ok = !repository.is_empty()
            && repository.len() <= 255
            && repository.split('/').all(|c| {
                !c.is_empty()
                    && c.bytes().all(|b| {
                        b.is_ascii_lowercase()
                            || b.is_ascii_digit()
                            || matches!(b, b'.' | b'_' | b'-')
                    })
            });
        if !repo_ok {
            return Err(format!(
                "`{s}` is not a valid image reference (repository `{repository}`)"
            ));
        }
        let reference = match (digest, tag) {
            (Some(d), _) => Selector::Digest(d),
            (None, Some(t)) => {
                let ok = !t.is_empty()
                    && t.len() <= 128
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
                if !ok {
                    return Err(format!("`{s}` has an invalid tag `{t}`"));
                }
                Selector::Tag(t.to_string())
            }
            (None, None) => Selector::Tag("latest".into()),
        };
        Ok(Reference {
            registry,
            repository,
            reference,
        })
    }
}

pub(crate) struct Client {
    agent: ureq::Agent,
    /// `https://host:port` (or `http://` when insecure).
    base: String,
    registry: String,
    repository: String,
    creds: Option<Credentials>,
    creds_note: Option<String>,
    /// The `Authorization` header that last worked.
    auth: Mutex<Option<String>>,
}

const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

enum Fetch {
    Ok(Box<ureq::Response>),
    NotFound,
}

impl Client {
    fn new(r: &Reference, opts: &OpenOptions) -> Result<Self, Error> {
        let host = if r.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            r.registry.as_str()
        };
        let scheme = if opts.insecure { "http" } else { "https" };
        let (creds, creds_note) = dockercfg::lookup(opts.docker_config.as_deref(), &r.registry)?;
        let mut builder = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(30))
            .timeout_read(Duration::from_secs(300))
            .redirects(5)
            .user_agent(concat!("hull/", env!("CARGO_PKG_VERSION")));
        if let Some(proxy) = proxy_for(host, opts.insecure) {
            let p = ureq::Proxy::new(&proxy)
                .map_err(|e| Error::invalid("proxy environment", format!("`{proxy}`: {e}")))?;
            builder = builder.proxy(p);
        }
        let agent = builder.build();
        Ok(Client {
            agent,
            base: format!("{scheme}://{host}"),
            registry: r.registry.clone(),
            repository: r.repository.clone(),
            creds,
            creds_note,
            auth: Mutex::new(None),
        })
    }

    fn err(&self, message: String) -> Error {
        Error::Registry {
            registry: self.registry.clone(),
            message,
        }
    }

    /// GET with auth: on a `401` answer the challenge once and retry.
    fn get(&self, path: &str, accept: Option<&str>) -> Result<Fetch, Error> {
        let url = format!("{}/v2/{}/{}", self.base, self.repository, path);
        let mut auth_tries = 0;
        let mut busy_tries = 0;
        loop {
            let mut req = self.agent.get(&url);
            if let Some(a) = accept {
                req = req.set("Accept", a);
            }
            let current = self.auth.lock().ok().and_then(|a| a.clone());
            if let Some(a) = &current {
                req = req.set("Authorization", a);
            }
            match req.call() {
                Ok(resp) => return Ok(Fetch::Ok(Box::new(resp))),
                Err(ureq::Error::Status(401, resp)) if auth_tries == 0 => {
                    auth_tries += 1;
                    let challenge = resp.header("www-authenticate").unwrap_or("").to_string();
                    let header = self.answer(&challenge)?;
                    if let Ok(mut a) = self.auth.lock() {
                        *a = Some(header);
                    }
                }
                Err(ureq::Error::Status(404, _)) => return Ok(Fetch::NotFound),
                // Rate limits and overloaded front ends are worth a short wait.
                Err(ureq::Error::Status(429 | 502 | 503 | 504, _)) if busy_tries < 3 => {
                    busy_tries += 1;
                    std::thread::sleep(Duration::from_millis(500 << busy_tries));
                }
                Err(ureq::Error::Status(code, resp)) => {
                    let mut body = String::new();
                    let _ = resp.into_reader().take(300).read_to_string(&mut body);
                    let mut msg =
                        format!("GET {path}: HTTP {code} {}", body.trim().replace('\n', " "));
                    if code == 401 || code == 403 {
                        msg.push_str(&self.creds_hint());
                    }
                    return Err(self.err(msg));
                }
                Err(ureq::Error::Transport(t)) => {
                    return Err(self.err(format!("GET {path}: {t}")));
                }
            }
        }
    }

    fn creds_hint(&self) -> String {
        match (&self.creds, &self.creds_note) {
            (Some(c), _) => format!(" (as user `{}`)", c.username),
            (None, Some(n)) => format!(" (no credentials: {n})"),
            (None, None) => " (no credentials for this registry in the docker config)".into(),
        }
    }

    fn basic(&self) -> Option<String> {
        self.creds.as_ref().map(|c| {
            let raw = format!("{}:{}", c.username, c.password);
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        })
    }

    /// The `Authorization` header answering a `WWW-Authenticate` challenge.
    fn answer(&self, challenge: &str) -> Result<String, Error> {
        let (scheme, params) = parse_challenge(challenge);
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => self
                .basic()
                .ok_or_else(|| self.err(format!("authentication required{}", self.creds_hint()))),
            "bearer" => {
                let get = |k: &str| {
                    params
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(k))
                        .map(|(_, v)| v.as_str())
                };
                let realm = get("realm")
                    .ok_or_else(|| self.err("bearer challenge without realm".into()))?;
                if !(realm.starts_with("https://") || realm.starts_with("http://")) {
                    return Err(self.err(format!("token realm `{realm}` is not an http(s) URL")));
                }
                let default_scope = format!("repository:{}:pull", self.repository);
                let scope = get("scope").unwrap_or(&default_scope);
                let mut url = format!(
                    "{realm}{}scope={}",
                    if realm.contains('?') { '&' } else { '?' },
                    encode(scope)
                );
                if let Some(service) = get("service") {
                    url.push_str(&format!("&service={}", encode(service)));
                }
                let mut req = self.agent.get(&url);
                if let Some(b) = self.basic() {
                    req = req.set("Authorization", &b);
                }
                let resp = req.call().map_err(|e| match e {
                    ureq::Error::Status(code, _) => self.err(format!(
                        "token endpoint {realm}: HTTP {code}{}",
                        self.creds_hint()
                    )),
                    ureq::Error::Transport(t) => self.err(format!("token endpoint {realm}: {t}")),
                })?;
                let body = read_capped(resp.into_reader(), "token response", &Limits::default())?;
                let v: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| self.err(format!("token endpoint {realm}: bad JSON: {e}")))?;
                let token = v["token"]
                    .as_str()
                    .or_else(|| v["access_token"].as_str())
                    .ok_or_else(|| {
                        self.err(format!("token endpoint {realm}: no token in reply"))
                    })?;
                Ok(format!("Bearer {token}"))
            }
            other => Err(self.err(format!("unsupported authentication scheme `{other}`"))),
        }
    }

    fn manifest(&self, reference: &str, limits: &Limits) -> Result<(Vec<u8>, Digest), Error> {
        let part = format!("manifest {reference}");
        match self.get(&format!("manifests/{reference}"), Some(MANIFEST_ACCEPT))? {
            Fetch::NotFound => Err(self.err(format!("{}:{reference} not found", self.repository))),
            Fetch::Ok(resp) => {
                let bytes = read_capped(resp.into_reader(), &part, limits)?;
                let digest = digest_of(&bytes, "sha256");
                if let Ok(want) = Digest::parse(reference) {
                    crate::store::verify(&bytes, &want, &part)?;
                    return Ok((bytes, want));
                }
                Ok((bytes, digest))
            }
        }
    }

    pub fn blob(&self, d: &Digest, part: &str) -> Result<Box<dyn Read + Send + '_>, Error> {
        match self.get(&format!("blobs/{d}"), None)? {
            Fetch::Ok(resp) => Ok(resp.into_reader()),
            Fetch::NotFound => Err(Error::MissingBlob {
                part: part.into(),
                digest: d.to_string(),
            }),
        }
    }
}

/// The proxy from `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` (either case) for `host`,
/// unless `NO_PROXY` lists it (exact, `.suffix` or `*`) or it is loopback. ureq's own
/// environment lookup ignores `NO_PROXY`, hence this.
fn proxy_for(host: &str, plain_http: bool) -> Option<String> {
    proxy_from(host, plain_http, &|n| std::env::var(n).ok())
}

fn proxy_from(
    host: &str,
    plain_http: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let var = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()));
    let name = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if matches!(name, "localhost" | "::1") || name.starts_with("127.") {
        return None;
    }
    if let Some(no) = var(&["NO_PROXY", "no_proxy"]) {
        for entry in no.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let e = entry.trim_start_matches('*');
            if e.is_empty()
                || name == e.trim_start_matches('.')
                || (e.starts_with('.') && name.ends_with(e))
                || (!e.starts_with('.') && name.ends_with(&format!(".{e}")))
            {
                return None;
            }
        }
    }
    if plain_http {
        var(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
    } else {
        var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
    }
}

/// `Bearer realm="x",service="y"` → (`Bearer`, [(realm, x), (service, y)]).
fn parse_challenge(h: &str) -> (String, Vec<(String, String)>) {
    let h = h.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            val.push(n);
                        }
                    }
                    '"' => break,
                    c => val.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                val.push(*c);
                chars.next();
            }
        }
        params.push((key.trim().to_string(), val));
    }
    (scheme.to_string(), params)
}

/// Percent-encode a query value (RFC 3986 unreserved characters pass).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn open(reference: &str, opts: &OpenOptions) -> Result<Opened, Error> {
    let r = Reference::parse(reference).map_err(|message| Error::Target {
        target: reference.into(),
        message,
    })?;
    let client = Client::new(&r, opts)?;
    let limits = &opts.limits;
    let first = match &r.reference {
        Selector::Digest(d) => d.to_string(),
        Selector::Tag(t) => t.clone(),
        Selector::Any => "latest".into(),
    };
    let (mut bytes, mut digest) = client.manifest(&first, limits)?;
    for _ in 0..8 {
        let part = format!("manifest {}", short(&digest));
        match oci::parse_doc(&bytes).map_err(|m| Error::invalid(&part, m))? {
            Doc::Index(descs) => {
                let d = oci::select(&descs, &Selector::Any, &opts.platform, &part)?;
                let next = oci::parse_digest(&d.digest, &part)?;
                (bytes, digest) = client.manifest(next.as_str(), limits)?;
            }
            Doc::Manifest { config, layers } => {
                let mut opened = oci::from_manifest(
                    Store::Registry(Box::new(client)),
                    &config,
                    &layers,
                    limits,
                )?;
                opened.info.manifest_digest = Some(digest);
                if let Selector::Tag(t) = &r.reference {
                    opened
                        .info
                        .repo_tags
                        .push(format!("{}/{}:{t}", r.registry, r.repository));
                }
                return Ok(opened);
            }
        }
    }
    Err(Error::invalid(reference, "indexes nested too deeply"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let r = Reference::parse("alpine").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("docker.io", "library/alpine")
        );
        assert_eq!(r.reference, Selector::Tag("latest".into()));
        let r = Reference::parse("localhost:5000/a/b:1.0").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("localhost:5000", "a/b")
        );
        assert_eq!(r.reference, Selector::Tag("1.0".into()));
        let r = Reference::parse("127.0.0.1:5000/x").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        let d = format!("sha256:{}", "b".repeat(64));
        let r = Reference::parse(&format!("ghcr.io/o/r:t@{d}")).unwrap();
        assert_eq!(r.reference, Selector::Digest(Digest::parse(&d).unwrap()));
        for bad in ["", "UPPER/x", "a//b", "a:bad tag", "a@sha256:zz"] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn proxies_honour_no_proxy() {
        let env = |n: &str| match n {
            "HTTPS_PROXY" => Some("http://proxy:3128".to_string()),
            "no_proxy" => Some("internal.example, .corp,*.lan".to_string()),
            _ => None,
        };
        let p = |h: &str| proxy_from(h, false, &env);
        assert_eq!(p("ghcr.io").as_deref(), Some("http://proxy:3128"));
        for direct in [
            "internal.example",
            "reg.internal.example:5000",
            "a.corp",
            "x.lan",
            "localhost:5000",
            "127.0.0.1:1",
            "[::1]:5000",
        ] {
            assert_eq!(p(direct), None, "{direct}");
        }
        assert_eq!(proxy_from("ghcr.io", true, &env), None);
    }

    #[test]
    fn challenges() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(s, "Bearer");
        assert_eq!(p[0], ("realm".into(), "https://auth.example/token".into()));
        assert_eq!(p[2], ("scope".into(), "repository:a/b:pull,push".into()));
        assert_eq!(parse_challenge(r#"Basic realm="x""#).0, "Basic");
        assert_eq!(encode("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
    }
}
