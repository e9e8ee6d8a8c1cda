//! Who is calling and what they may do: the rules the authorisation layer of
//! [`crate::router`] applies.
//!
//! - `/healthz` and the sign-in page are open to everyone;
//! - every other `GET`/`HEAD` needs a `read` token, unless the server runs with
//!   `--public-read`;
//! - `POST /api/v1/scans` needs `push`; every other state-changing request
//!   (rescans, audit runs, `DELETE`, the dashboard's forms) needs `admin`.
//!
//! A caller proves a token with `Authorization: Bearer TOKEN`, or (the dashboard) with
//! the `hull_session` cookie that signing in with a token sets: HttpOnly,
//! SameSite=Strict, 12 hours. State-changing requests made with the cookie must also
//! carry the session's CSRF token (the dashboard's forms do, as a hidden field).
//! Sessions live in memory: a restart signs everyone out. A session is checked
//! against its token on every request, so revoking the token ends the session.
//! Token lookups are remembered for [`TOKEN_CACHE_TTL`] (5 s), so requests do not
//! queue behind the store to authenticate; a revocation takes effect within that.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method};

use crate::store::{Store, StoreError};
use crate::tokens::{self, Scope, TokenInfo};

/// Name of the dashboard's session cookie.
pub const COOKIE: &str = "hull_session";
/// How long a dashboard session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at most (the oldest go first).
const MAX_SESSIONS: usize = 10_000;

/// The authenticated caller of a request (or the public).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// For the audit log: `token:ID:NAME`, or `public`.
    pub actor: String,
    pub scope: Option<Scope>,
    /// The CSRF token of the session the request came with (cookie callers only).
    pub csrf: Option<String>,
}

impl Caller {
    pub fn public() -> Caller {
        Caller {
            actor: "public".into(),
            scope: None,
            csrf: None,
        }
    }

    fn of(t: &TokenInfo, csrf: Option<String>) -> Caller {
        Caller {
            actor: format!("token:{}:{}", t.id, t.name),
            scope: Some(t.scope),
            csrf,
        }
    }
}

/// The scope a request needs; `None`: open to everyone.
pub fn required(method: &Method, path: &str, public_read: bool) -> Option<Scope> {
    if path == "/healthz" || path == "/sign-in" {
        return None;
    }
    if matches!(*method, Method::GET | Method::HEAD) {
        return (!public_read).then_some(Scope::Read);
    }
    if *method == Method::POST && path == "/api/v1/scans" {
        return Some(Scope::Push);
    }
    if *method == Method::POST && path == "/sign-out" {
        return Some(Scope::Read);
    }
    Some(Scope::Admin)
}

struct Session {
    token_sha256: String,
    csrf: String,
    expires: Instant,
}

/// Dashboard sessions, in memory.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// A new session for a valid `token`: (session id, CSRF token).
    pub fn open(&self, token: &str) -> Result<(String, String), String> {
        let id = tokens::random_hex(32)?;
        let csrf = tokens::random_hex(32)?;
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            tokens::hash(&id),
            Session {
                token_sha256: tokens::hash(token),
                csrf: csrf.clone(),
                expires: now + SESSION_TTL,
            },
        );
        Ok((id, csrf))
    }

    pub fn close(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&tokens::hash(id));
    }

    /// (token hash, CSRF token) of a live session.
    fn get(&self, id: &str) -> Option<(String, String)> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&tokens::hash(id))
            .filter(|s| s.expires > Instant::now())
            .map(|s| (s.token_sha256.clone(), s.csrf.clone()))
    }
}

/// The value of cookie `name`.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// Why a presented credential was refused.
#[derive(Debug)]
pub enum Refused {
    /// A token or session that is not (or no longer) valid: 401.
    Invalid(&'static str),
    Store(StoreError),
}

/// How long a token lookup is remembered: requests do not queue for the store to
/// authenticate, and a revocation takes effect within this time.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(5);

/// Recent token lookups (by SHA-256), bounded.
#[derive(Default)]
pub struct TokenCache {
    map: Mutex<HashMap<String, (Option<TokenInfo>, Instant)>>,
}

impl TokenCache {
    fn lookup(&self, store: &dyn Store, sha: &str) -> Result<Option<TokenInfo>, Refused> {
        let now = Instant::now();
        if let Some((t, at)) = self.map.lock().unwrap_or_else(|p| p.into_inner()).get(sha) {
            if now.duration_since(*at) < TOKEN_CACHE_TTL {
                return Ok(t.clone());
            }
        }
        let t = store.live_token(sha).map_err(Refused::Store)?;
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= 4096 {
            map.retain(|_, (_, at)| now.duration_since(*at) < TOKEN_CACHE_TTL);
            if map.len() >= 4096 {
                map.clear();
            }
        }
        map.insert(sha.to_string(), (t.clone(), now));
        Ok(t)
    }
}

/// Identify the caller from a bearer token, else the session cookie, else the public.
pub fn identify(
    store: &dyn Store,
    sessions: &Sessions,
    cache: &TokenCache,
    headers: &HeaderMap,
) -> Result<Caller, Refused> {
    if let Some(token) = hull_http::auth::bearer_token(headers) {
        if !tokens::well_formed(token) {
            return Err(Refused::Invalid("the bearer token is not a hull token"));
        }
        return match cache.lookup(store, &tokens::hash(token))? {
            Some(t) => Ok(Caller::of(&t, None)),
            None => Err(Refused::Invalid("unknown or revoked token")),
        };
    }
    if let Some(id) = cookie(headers, COOKIE) {
        let Some((sha, csrf)) = sessions.get(id) else {
            return Err(Refused::Invalid("the session has ended: sign in again"));
        };
        return match cache.lookup(store, &sha)? {
            Some(t) => Ok(Caller::of(&t, Some(csrf))),
            None => Err(Refused::Invalid("the session's token was revoked")),
        };
    }
    Ok(Caller::public())
}

/// Constant-time comparison of two secrets' texts.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_per_route() {
        let g = Method::GET;
        let p = Method::POST;
        for (m, path, public, want) in [
            (&g, "/healthz", false, None),
            (&g, "/sign-in", false, None),
            (&p, "/sign-in", false, None),
            (&g, "/api/v1/images", false, Some(Scope::Read)),
            (&g, "/api/v1/images", true, None),
            (&g, "/", false, Some(Scope::Read)),
            (&p, "/api/v1/scans", true, Some(Scope::Push)),
            (&p, "/api/v1/rescan", true, Some(Scope::Admin)),
            (&p, "/api/v1/audits", false, Some(Scope::Admin)),
            (
                &Method::DELETE,
                "/api/v1/images/app",
                true,
                Some(Scope::Admin),
            ),
            (&Method::PUT, "/anything", true, Some(Scope::Admin)),
            (&p, "/sign-out", false, Some(Scope::Read)),
        ] {
            assert_eq!(
                required(m, path, public),
                want,
                "{m} {path} public={public}"
            );
        }
    }

    #[test]
    fn cookies_and_secrets() {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            "a=1; hull_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn sessions_open_and_close() {
        let s = Sessions::default();
        let (id, csrf) = s.open("hull_x").unwrap();
        assert_eq!(s.get(&id), Some((tokens::hash("hull_x"), csrf)));
        s.close(&id);
        assert!(s.get(&id).is_none());
    }
}
