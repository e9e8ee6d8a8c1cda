//! The one router file: every route and every layer in front of them.
//!
//! Served by [`hull_http::Server`], which adds, outermost first, for every request:
//! the `Host` allow-list and the `Origin` check for state-changing requests
//! (`--allowed-host`), JSON error bodies, the body limit (`--max-body`: a declared
//! oversized `Content-Length` is a 413 before the body is read), panic to 500, and
//! the request timeout (408); per connection, the header-read timeout and the
//! connection limit. Here, outermost first:
//! 1. security headers (`X-Content-Type-Options: nosniff`, a CSP that forbids
//!    scripts: pages show user-supplied names),
//! 2. the per-status request counters of `/metrics`,
//! 3. the routes: `/healthz` answers from the async runtime (never behind a store
//!    call), everything else goes to [`crate::http::route`] on the blocking pool (the
//!    store and the matcher are synchronous).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::http::{self, Reply};
use crate::App;

/// The router of `hull server` over `app`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .fallback(dispatch)
        .layer(axum::middleware::from_fn_with_state(app.clone(), count))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
        ))
        .with_state(app)
}

async fn healthz() -> Response {
    http::reply_response(Reply::text(200, "ok\n".into(), "text/plain; charset=utf-8"))
}

/// Count every answer by status (`hull_server_requests_total`).
async fn count(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    if let Ok(mut m) = app.counters.requests.lock() {
        *m.entry(resp.status().as_u16()).or_insert(0) += 1;
    }
    resp
}

/// Every route but `/healthz`: read the body (POST only), route on the blocking pool.
async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response {
    let method = req.method().as_str().to_ascii_uppercase();
    let url = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    let body = if method == "POST" {
        match read_body(req.into_body(), app.config.max_body).await {
            Ok(b) => Some(b),
            Err(reply) => return http::reply_response(reply),
        }
    } else {
        None
    };
    let reply =
        tokio::task::spawn_blocking(move || http::route(&app, &method, &url, body.as_deref()))
            .await;
    match reply {
        Ok(r) => http::reply_response(r),
        // A panicking handler: the request is lost, the server is not.
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

/// The body, at most `max` bytes (413 beyond: hull-http refused a declared length
/// already, this catches a streamed one).
async fn read_body(body: Body, max: usize) -> Result<Vec<u8>, Reply> {
    match axum::body::to_bytes(body, max).await {
        Ok(b) => Ok(b.to_vec()),
        Err(e) => {
            let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(err) = src {
                if err.is::<http_body_util::LengthLimitError>() {
                    return Err(Reply::error(
                        413,
                        &format!("request body larger than the {max}-byte limit"),
                    ));
                }
                src = err.source();
            }
            Err(Reply::error(
                400,
                &format!("cannot read the request body: {e}"),
            ))
        }
    }
}
