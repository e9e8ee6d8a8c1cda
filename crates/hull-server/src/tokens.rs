//! API tokens: what they look like, how they are kept, what each scope allows.
//!
//! A token is `hull_` and 64 hex digits (256 random bits from the system's CSPRNG).
//! It is shown once, when created; the store keeps only its SHA-256 (a slow hash adds
//! nothing for 256 random bits) and its first 12 characters, to tell tokens apart in
//! `hull server token list`. Scopes are ordered: `admin` can do what `push` can, and
//! `push` what `read` can.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Every `GET`: images, versions, scans, findings, audits, the dashboard, metrics.
    Read,
    /// Also `POST /api/v1/scans`.
    Push,
    /// Also rescans, audit runs and `DELETE` routes.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Push, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Push => "push",
            Scope::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Scope, String> {
        Scope::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown scope `{s}` (read, push or admin)"))
    }
}

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    /// The token's first 12 characters.
    pub prefix: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> Result<String, String> {
    use ring::rand::SecureRandom as _;
    let mut buf = vec![0u8; n];
    ring::rand::SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| "the system random generator failed".to_string())?;
    Ok(hex::encode(buf))
}

/// A new token's secret text.
pub fn generate() -> Result<String, String> {
    Ok(format!("hull_{}", random_hex(32)?))
}

/// What the store keeps of a token: its SHA-256, hex.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The prefix kept in clear.
pub fn prefix(token: &str) -> String {
    token.chars().take(12).collect()
}

/// Whether `token` has the shape of one this server issued (cheap to check before a
/// store lookup).
pub fn well_formed(token: &str) -> bool {
    token
        .strip_prefix("hull_")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// HMAC-SHA256 of `body` with `secret`, hex: the `X-Hull-Signature-256: sha256=…`
/// header of webhook deliveries.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    hex::encode(ring::hmac::sign(&key, body).as_ref())
}

/// Create a token named `name` with `scope` in `store`, log it to the audit log as
/// done by `actor`; returns the secret (to show once) and what is stored.
pub fn issue(
    store: &dyn crate::store::Store,
    name: &str,
    scope: Scope,
    actor: &str,
    now: u64,
) -> Result<(String, TokenInfo), crate::store::StoreError> {
    let secret = generate().map_err(|reason| crate::store::StoreError::Corrupt {
        what: "token",
        id: 0,
        reason,
    })?;
    let info = store.create_token(crate::store::NewToken {
        name,
        scope,
        sha256: &hash(&secret),
        prefix: &prefix(&secret),
        created_at: now,
    })?;
    store.log_event(crate::store::NewEvent {
        at: now,
        actor,
        action: "token-create",
        detail: &format!("token {} `{}` scope {}", info.id, info.name, info.scope),
    })?;
    Ok((secret, info))
}

/// Revoke token `id`, logged as done by `actor`; `false` when no such live token.
pub fn revoke(
    store: &dyn crate::store::Store,
    id: i64,
    actor: &str,
    now: u64,
) -> Result<bool, crate::store::StoreError> {
    let done = store.revoke_token(id, now)?;
    if done {
        store.log_event(crate::store::NewEvent {
            at: now,
            actor,
            action: "token-revoke",
            detail: &format!("token {id}"),
        })?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_order_and_parse() {
        assert!(Scope::Admin > Scope::Push && Scope::Push > Scope::Read);
        assert_eq!("PUSH".parse::<Scope>(), Ok(Scope::Push));
        assert!("write".parse::<Scope>().is_err());
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>(), Ok(s));
        }
    }

    #[test]
    fn tokens_are_random_and_checked() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(well_formed(&a), "{a}");
        assert!(!well_formed("hull_xyz"));
        assert!(!well_formed(&a.replace("hull_", "hulk_")));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(prefix(&a).len(), 12);
    }

    #[test]
    fn hmac_known_answer() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
