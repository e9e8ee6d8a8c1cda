//! Bearer tokens: taking one out of a request. Deciding whether it is good is the
//! service's business (hull-server keeps hashed tokens with scopes).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;

/// The token of an `Authorization: Bearer TOKEN` header (scheme case-insensitive,
/// RFC 6750 §2.1); `None` when absent, another scheme, empty or not visible ASCII.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_graphic()))
    .then_some(token)
}

/// A 401 with `WWW-Authenticate: Bearer` and a JSON error body.
pub fn unauthorized(msg: &str) -> Response {
    let mut r = crate::guard::error(StatusCode::UNAUTHORIZED, msg);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer realm=\"hull\""),
    );
    r
}

/// Extractor of a required bearer token (401 when there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        bearer_token(&parts.headers)
            .map(|t| Bearer(t.to_string()))
            .ok_or_else(|| unauthorized("a bearer token is required (Authorization: Bearer …)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        for (value, want) in [
            ("Bearer abc", Some("abc")),
            ("bearer  abc ", Some("abc")),
            ("BEARER hull_x.y-z", Some("hull_x.y-z")),
            ("Basic abc", None),
            ("Bearer", None),
            ("Bearer ", None),
            ("Bearer a b", None),
            ("Bearerabc", None),
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(bearer_token(&h), want, "{value:?}");
        }
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
