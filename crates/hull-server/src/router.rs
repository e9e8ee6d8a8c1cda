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
//! 3. authorisation ([`authorize`], rules in [`crate::access`]): bearer token or
//!    dashboard session, the scope each route needs (401 without a credential, 403
//!    with too small a scope), and the CSRF token on state-changing requests made
//!    with the session cookie,
//! 4. the routes: `/healthz` answers from the async runtime (never behind a store
//!    call); the dashboard's sign-in, sign-out and "Rescan now" forms; everything
//!    else goes to [`crate::http::route`] on the blocking pool (the store and the
//!    matcher are synchronous).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum::{Extension, Form};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::access::{self, Caller, Refused};
use crate::http::{self, Reply};
use crate::App;

/// The router of `hull server` over `app`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/ui/rescan", post(ui_rescan))
        .fallback(dispatch)
        .layer(axum::middleware::from_fn_with_state(app.clone(), authorize))
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

/// Let the request through only with the scope its route needs.
async fn authorize(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let need = access::required(req.method(), req.uri().path(), app.config.public_read);
    // Open routes (`/healthz`, the sign-in page) never wait for the store.
    if need.is_none() && matches!(req.uri().path(), "/healthz") {
        req.extensions_mut().insert(Caller::public());
        return next.run(req).await;
    }
    let headers = req.headers().clone();
    let a = app.clone();
    let caller = tokio::task::spawn_blocking(move || {
        access::identify(a.store.as_ref(), &a.sessions, &a.token_cache, &headers)
    })
    .await;
    let caller = match caller {
        Ok(Ok(c)) => c,
        Ok(Err(Refused::Invalid(why))) => {
            // An ended session on a page: back to the sign-in form.
            if need.is_none() {
                Caller::public()
            } else {
                return hull_http::auth::unauthorized(why);
            }
        }
        Ok(Err(Refused::Store(e))) => {
            return http::reply_response(Reply::error(500, &e.to_string()))
        }
        Err(_) => return http::reply_response(Reply::error(500, "internal error")),
    };
    if let Some(need) = need {
        match caller.scope {
            None => {
                return hull_http::auth::unauthorized(&format!(
                    "this request needs a token with scope {need} (Authorization: Bearer …)"
                ))
            }
            Some(have) if have < need => {
                return http::reply_response(Reply::error(
                    403,
                    &format!("this request needs scope {need}; the token has {have}"),
                ))
            }
            Some(_) => {}
        }
        // Cookie callers: a state-changing request must prove it came from one of
        // our pages. The dashboard's forms carry the token as a field (checked by
        // their handlers); API calls with the cookie send it as X-CSRF-Token.
        let form_route = matches!(req.uri().path(), "/sign-out" | "/ui/rescan");
        let unsafe_method = !matches!(
            *req.method(),
            axum::http::Method::GET | axum::http::Method::HEAD
        );
        if let (Some(csrf), true, false) = (&caller.csrf, unsafe_method, form_route) {
            let sent = req
                .headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !access::same_secret(sent, csrf) {
                return http::reply_response(Reply::error(403, "missing or wrong CSRF token"));
            }
        }
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

fn html_page(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn sign_in_form() -> Response {
    html_page(StatusCode::OK, crate::dashboard::sign_in_page(None))
}

#[derive(serde::Deserialize)]
struct SignIn {
    token: String,
}

/// Check the token, open a session, set the cookie, go to the dashboard.
async fn sign_in(State(app): State<Arc<App>>, Form(f): Form<SignIn>) -> Response {
    let token = f.token.trim().to_string();
    let a = app.clone();
    let found = tokio::task::spawn_blocking(move || {
        if !crate::tokens::well_formed(&token) {
            return Ok(None);
        }
        let t = a.store.live_token(&crate::tokens::hash(&token))?;
        Ok::<_, crate::store::StoreError>(t.map(|t| (t, token)))
    })
    .await;
    let (info, token) = match found {
        Ok(Ok(Some(x))) => x,
        Ok(Ok(None)) => {
            return html_page(
                StatusCode::UNAUTHORIZED,
                crate::dashboard::sign_in_page(Some("unknown or revoked token")),
            )
        }
        Ok(Err(e)) => return http::reply_response(Reply::error(500, &e.to_string())),
        Err(_) => return http::reply_response(Reply::error(500, "internal error")),
    };
    let (session, _csrf) = match app.sessions.open(&token) {
        Ok(s) => s,
        Err(e) => return http::reply_response(Reply::error(500, &e)),
    };
    let actor = format!("token:{}:{}", info.id, info.name);
    let a = app.clone();
    let _ =
        tokio::task::spawn_blocking(move || a.audit_event(&actor, "sign-in", "dashboard")).await;
    let secure = if app.config.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={session}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        access::COOKIE,
        access::SESSION_TTL.as_secs()
    );
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

fn form_csrf_ok(caller: &Caller, form: &CsrfForm) -> bool {
    caller
        .csrf
        .as_deref()
        .is_some_and(|c| access::same_secret(&form.csrf, c))
}

async fn sign_out(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    headers: axum::http::HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !form_csrf_ok(&caller, &f) {
        return http::reply_response(Reply::error(403, "missing or wrong CSRF token"));
    }
    if let Some(id) = access::cookie(&headers, access::COOKIE) {
        app.sessions.close(id);
    }
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/sign-in")]).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("hull_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

/// The dashboard's "Rescan now" button.
async fn ui_rescan(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !form_csrf_ok(&caller, &f) {
        return http::reply_response(Reply::error(403, "missing or wrong CSRF token"));
    }
    let done = tokio::task::spawn_blocking(move || app.rescan_all(&caller.actor)).await;
    match done {
        Ok(Ok(o)) => html_page(
            StatusCode::OK,
            crate::dashboard::message_page(
                "rescan done",
                &format!(
                    "Rescanned {} image version(s): {} new finding(s).",
                    o.images, o.new_findings
                ),
            ),
        ),
        Ok(Err(e)) => http::reply_response(Reply::error(e.status(), &e.to_string())),
        Err(_) => http::reply_response(Reply::error(500, "internal error")),
    }
}

/// Every other route: read the body (POST only), route on the blocking pool.
async fn dispatch(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Response {
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
    let reply = tokio::task::spawn_blocking(move || {
        http::route(&app, &caller, &method, &url, body.as_deref())
    })
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
