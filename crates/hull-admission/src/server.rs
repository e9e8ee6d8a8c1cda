//! Serving [`review`](crate::review::review) over HTTPS through [`hull_http`]: the one
//! router of the webhook, its routes and the state they share. Limits, timeouts, TLS
//! and the Host check are `hull_http`'s layers; this file adds only what is specific to
//! admission (the JSON content type, the 400 answers, the namespace label cache).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hull_http::{AllowedHosts, Limits, ServeConfig, Server, TlsFiles};

use crate::review::{review, Config};

/// Most namespaces whose labels are remembered (a bound on memory).
const MAX_NAMESPACES: usize = 100_000;

/// What the webhook shares between requests.
pub struct AppState {
    pub config: Config,
    namespaces: RwLock<HashMap<String, BTreeMap<String, String>>>,
}

impl AppState {
    /// `labels`: namespace labels known at start (`--namespace-labels`).
    pub fn new(config: Config, labels: HashMap<String, BTreeMap<String, String>>) -> AppState {
        AppState {
            config,
            namespaces: RwLock::new(labels),
        }
    }

    fn labels(&self, ns: &str) -> Option<BTreeMap<String, String>> {
        self.namespaces.read().ok()?.get(ns).cloned()
    }

    fn remember(&self, ns: String, labels: BTreeMap<String, String>) {
        if let Ok(mut m) = self.namespaces.write() {
            if m.len() < MAX_NAMESPACES || m.contains_key(&ns) {
                m.insert(ns, labels);
            }
        }
    }
}

/// How to serve.
pub struct ServeOptions {
    pub addr: std::net::SocketAddr,
    /// Required: the API server only calls webhooks over HTTPS.
    pub tls: TlsFiles,
    pub limits: Limits,
    pub allowed_hosts: AllowedHosts,
    pub log: Option<hull_http::Log>,
}

impl ServeOptions {
    /// Limits for a webhook: the API server waits at most 30 s (10 s by default) and
    /// objects are at most a few MiB (an AdmissionReview carries object and oldObject).
    pub fn new(addr: std::net::SocketAddr, tls: TlsFiles) -> ServeOptions {
        ServeOptions {
            addr,
            tls,
            limits: Limits {
                max_body: 6 * 1024 * 1024,
                header_timeout: Duration::from_secs(5),
                request_timeout: Duration::from_secs(10),
                max_connections: 256,
                shutdown_grace: Duration::from_secs(10),
            },
            // The API server calls `<service>.<namespace>.svc`: a name set by the
            // Service, authenticated by the certificate, not a browser's Host.
            allowed_hosts: AllowedHosts::any(),
            log: None,
        }
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut bytes = serde_json::to_vec(body).unwrap_or_default();
    bytes.push(b'\n');
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

fn bad_request(msg: &str) -> Response {
    hull_http::guard::error(StatusCode::BAD_REQUEST, msg)
}

async fn validate(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return bad_request(&format!(
            "Content-Type must be application/json (got `{ct}`)"
        ));
    }
    // Evaluation is CPU work (and Rego may take up to its timeout): off the reactor.
    let st2 = st.clone();
    let out =
        tokio::task::spawn_blocking(move || review(&body, &st2.config, &|ns| st2.labels(ns))).await;
    match out {
        Ok(Ok(o)) => {
            if let Some((ns, labels)) = o.namespace_labels {
                st.remember(ns, labels);
            }
            json_response(StatusCode::OK, &o.response)
        }
        Ok(Err(e)) => bad_request(&e.0),
        Err(_) => hull_http::guard::error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

/// The webhook's routes: `POST /validate` (the AdmissionReview endpoint), `GET /healthz`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(state)
}

/// Binds and serves until `shutdown` completes; `on_bound` gets the bound address.
pub async fn serve(
    opts: ServeOptions,
    state: Arc<AppState>,
    on_bound: impl FnOnce(std::net::SocketAddr),
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), hull_http::Error> {
    let cfg = ServeConfig {
        addr: opts.addr,
        tls: Some(opts.tls),
        limits: opts.limits,
        allowed_hosts: opts.allowed_hosts,
        log: opts.log,
    };
    let server = Server::bind(cfg).await?;
    on_bound(server.local_addr());
    server.serve(router(state), shutdown).await
}

/// Serves on a runtime of its own until Ctrl-C or SIGTERM (for the `hull` binary).
pub fn run_until_signalled(
    opts: ServeOptions,
    state: Arc<AppState>,
    on_bound: impl FnOnce(std::net::SocketAddr),
) -> Result<(), RunError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    rt.block_on(async move {
        let stop = async {
            #[cfg(unix)]
            {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        };
        serve(opts, state, on_bound, stop).await
    })
    .map_err(RunError::Serve)
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Serve(hull_http::Error),
}
