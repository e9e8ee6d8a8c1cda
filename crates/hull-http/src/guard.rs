//! The `Host` allow-list and the `Origin` check, run before any route.
//!
//! - **Host** (DNS rebinding): a browser tricked into resolving `attacker.example` to
//!   the server's address still sends `Host: attacker.example`; only the names an
//!   operator allowed are served. A missing `Host` is a 400, a foreign one a 403.
//! - **Origin** (cross-site request forgery): a state-changing request (any method
//!   but `GET`, `HEAD`, `OPTIONS`) whose `Origin` is not the server's own origin (its
//!   authority differs from the `Host` the request was sent to, or it is `null`), or
//!   that a browser marks `Sec-Fetch-Site: cross-site|same-site`, is a 403. Clients
//!   that are not browsers send neither header and are unaffected.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The `Host` names a service answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    /// Lowercase entries: `name` (any port), `name:port`, `*.domain` (any subdomain),
    /// or `*` (anything: only behind a proxy that checks `Host` itself).
    entries: Vec<String>,
}

impl AllowedHosts {
    /// Exactly these entries (see the field docs for their forms).
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(entries: I) -> AllowedHosts {
        AllowedHosts {
            entries: entries
                .into_iter()
                .map(|e| e.as_ref().trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|e| !e.is_empty())
                .collect(),
        }
    }

    /// Any `Host` (for tests and for services behind a proxy that checks it).
    pub fn any() -> AllowedHosts {
        AllowedHosts::new(["*"])
    }

    /// The listen address itself plus `localhost`, `127.0.0.1` and `[::1]`.
    pub fn defaults_for(addr: &SocketAddr) -> AllowedHosts {
        let own = match addr.ip() {
            std::net::IpAddr::V4(ip) => ip.to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        };
        AllowedHosts::new(["localhost", "127.0.0.1", "[::1]", own.as_str()])
    }

    /// These entries added.
    pub fn with<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, more: I) -> AllowedHosts {
        self.entries.extend(AllowedHosts::new(more).entries);
        self.entries.sort();
        self.entries.dedup();
        self
    }

    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Whether a `Host` value (`name[:port]`, `[v6][:port]`) is allowed.
    pub fn allows(&self, host: &str) -> bool {
        let Some((name, port)) = split_host(host) else {
            return false;
        };
        self.entries.iter().any(|e| {
            if e == "*" {
                return true;
            }
            let (ename, eport) = split_host(e).unwrap_or((e.clone(), None));
            let name_ok = match ename.strip_prefix("*.") {
                Some(domain) => name
                    .strip_suffix(domain)
                    .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
                None => ename == name,
            };
            name_ok && (eport.is_none() || eport == port)
        })
    }
}

/// `name[:port]` → lowercase name (IPv6 keeps its brackets) and port; `None` when
/// malformed (empty, bad port, characters no host name has).
fn split_host(host: &str) -> Option<(String, Option<u16>)> {
    let host = host.trim().to_ascii_lowercase();
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        let (name, rest) = host.split_at(end + 1);
        match rest {
            "" => (name.to_string(), None),
            r => (name.to_string(), Some(r.strip_prefix(':')?.parse().ok()?)),
        }
    } else {
        match host.rsplit_once(':') {
            Some((n, p)) => (n.to_string(), Some(p.parse().ok()?)),
            None => (host.clone(), None),
        }
    };
    let name = name.trim_end_matches('.').to_string();
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._[]:*".contains(&b));
    ok.then_some((name, port))
}

/// A JSON `{"error": …}` response, the shape every hull service answers errors in.
pub fn error(status: StatusCode, msg: &str) -> Response {
    let mut body = serde_json::to_vec(&serde_json::json!({ "error": msg })).unwrap_or_default();
    body.push(b'\n');
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// The authority a request was sent to: the absolute-form URI's, else `Host`.
pub fn request_host(req: &Request) -> Option<String> {
    if let Some(a) = req.uri().authority() {
        return Some(a.as_str().to_string());
    }
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
}

/// Why a state-changing request looks cross-site, if it does.
pub fn cross_site(method: &Method, headers: &HeaderMap, host: &str) -> Option<String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        let authority = origin
            .split_once("://")
            .map(|(_, a)| a.trim_end_matches('/'))
            .unwrap_or("");
        let same = match (split_host(authority), split_host(host)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        if !same {
            return Some(format!(
                "cross-origin {method} refused (Origin {} is not this server)",
                origin.chars().take(100).collect::<String>()
            ));
        }
        return None;
    }
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") {
        return Some(format!(
            "cross-site {method} refused (Sec-Fetch-Site: {site})"
        ));
    }
    None
}

/// Errors the layers or axum itself produce (413, 408, 405, a rejected extractor)
/// carry plain text or nothing: give them the JSON `{"error": …}` shape too, so a
/// client reads every error the same way. Responses already JSON or HTML pass.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let typed = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json") || t.starts_with("text/html"));
    if typed {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let msg = match text.trim() {
        "" => status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase(),
        t => t.to_string(),
    };
    let mut out = error(status, &msg);
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// The middleware: `Host` allow-list, then the `Origin` check.
pub async fn check(State(hosts): State<Arc<AllowedHosts>>, req: Request, next: Next) -> Response {
    let Some(host) = request_host(&req) else {
        return error(StatusCode::BAD_REQUEST, "the request has no Host header");
    };
    if !hosts.allows(&host) {
        return error(
            StatusCode::FORBIDDEN,
            &format!(
                "Host {} is not served here (see --allowed-host)",
                host.chars().take(100).collect::<String>()
            ),
        );
    }
    if let Some(why) = cross_site(req.method(), req.headers(), &host) {
        return error(StatusCode::FORBIDDEN, &why);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let a = AllowedHosts::defaults_for(&"127.0.0.1:8480".parse().unwrap())
            .with(["hull.example.com:443", "*.corp.example"]);
        for (host, ok) in [
            ("127.0.0.1:8480", true),
            ("localhost", true),
            ("LOCALHOST:9", true),
            ("[::1]:8480", true),
            ("hull.example.com:443", true),
            ("hull.example.com", false),
            ("hull.example.com:8443", false),
            ("a.corp.example", true),
            ("corp.example", false),
            ("xcorp.example", false),
            ("attacker.example", false),
            ("attacker.example:8480", false),
            ("127.0.0.1.attacker.example", false),
            ("", false),
            ("localhost:notaport", false),
            ("local host", false),
        ] {
            assert_eq!(a.allows(host), ok, "{host}");
        }
        assert!(AllowedHosts::any().allows("anything:1"));
        assert!(
            AllowedHosts::defaults_for(&"[::]:1".parse().unwrap()).allows("[::]:1"),
            "own v6 address"
        );
    }

    #[test]
    fn origins() {
        let mut h = HeaderMap::new();
        assert!(cross_site(&Method::POST, &h, "127.0.0.1:8480").is_none());
        h.insert(header::ORIGIN, "http://127.0.0.1:8480".parse().unwrap());
        assert!(cross_site(&Method::POST, &h, "127.0.0.1:8480").is_none());
        assert!(cross_site(&Method::POST, &h, "127.0.0.1:8481").is_some());
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(cross_site(&Method::POST, &h, "127.0.0.1:8480").is_some());
        assert!(cross_site(&Method::DELETE, &h, "127.0.0.1:8480").is_some());
        assert!(cross_site(&Method::GET, &h, "127.0.0.1:8480").is_none());
        h.insert(header::ORIGIN, "null".parse().unwrap());
        assert!(cross_site(&Method::POST, &h, "127.0.0.1:8480").is_some());
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(cross_site(&Method::POST, &h, "x").is_some());
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(cross_site(&Method::POST, &h, "x").is_none());
    }
}
