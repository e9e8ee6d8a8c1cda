//! The one place hull's network services (`hull server`, the admission webhook) are
//! served from: an axum [`Router`] on hyper/tokio with the limits every such service
//! needs, so no service can forget one.
//!
//! What it does, per connection and per request:
//! - **connections**: at most [`Limits::max_connections`] at once (more wait in the
//!   kernel's backlog); every request's headers must arrive within
//!   [`Limits::header_timeout`] (hyper's header-read timeout, which also closes idle
//!   keep-alive connections), so clients that drip bytes (slowloris) are cut off and
//!   cannot starve others; a TLS handshake has the same deadline;
//! - **requests** ([`harden`], the layers in one place): a declared `Content-Length`
//!   over [`Limits::max_body`] is answered 413 before any byte of the body is read (a
//!   streamed body is cut at the limit), the whole request must be handled within
//!   [`Limits::request_timeout`] (else 408), a panicking handler is a 500, and the
//!   `Host` allow-list and the `Origin` check of [`guard`] run first;
//! - **TLS** (optional, [`TlsFiles`]): rustls with the PEM certificate chain and key,
//!   reloaded from the same files on `SIGHUP` (or [`TlsReloader::reload`]); a reload
//!   that fails keeps the previous certificate;
//! - **shutdown**: when the `shutdown` future completes, the listener closes, requests
//!   in flight are finished (up to [`Limits::shutdown_grace`]) and idle connections
//!   are closed.
//!
//! What it does not do: authentication decisions (a service checks the token that
//! [`auth::bearer_token`] extracts), HTTP/2, or client certificates.
//!
//! ```no_run
//! use axum::{routing::get, Router};
//! use hull_http::{ServeConfig, Server};
//! # async fn run() -> Result<(), hull_http::Error> {
//! let router = Router::new().route("/healthz", get(|| async { "ok\n" }));
//! let cfg = ServeConfig::new("127.0.0.1:8480".parse().unwrap());
//! let server = Server::bind(cfg).await?;
//! println!("listening on {}", server.local_addr());
//! server.serve(router, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

pub mod auth;
pub mod guard;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, DefaultBodyLimit};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceExt as _;

pub use crate::guard::AllowedHosts;
pub use crate::tls::{TlsFiles, TlsReloader};

/// Log lines go to the caller (a binary prints them); the library never prints.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// Limits applied to every connection and request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, bytes (declared or streamed).
    pub max_body: usize,
    /// Deadline for a request's headers (and a TLS handshake); also how long an idle
    /// keep-alive connection is kept.
    pub header_timeout: Duration,
    /// Deadline for handling one request, body included (408 after).
    pub request_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_connections: 512,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// What to serve on and how.
#[derive(Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub tls: Option<TlsFiles>,
    pub limits: Limits,
    pub allowed_hosts: AllowedHosts,
    /// Where TLS reloads and connection errors are reported (none: dropped).
    pub log: Option<Log>,
}

impl ServeConfig {
    /// Plain HTTP on `addr` with default limits, allowing the `Host` names of
    /// [`AllowedHosts::defaults_for`] (`addr` itself and localhost).
    pub fn new(addr: SocketAddr) -> ServeConfig {
        ServeConfig {
            addr,
            tls: None,
            limits: Limits::default(),
            allowed_hosts: AllowedHosts::defaults_for(&addr),
            log: None,
        }
    }

    fn log(&self, line: &str) {
        if let Some(l) = &self.log {
            l(line);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {reason}")]
    TlsFile { path: PathBuf, reason: String },
    #[error("bad TLS certificate or key: {0}")]
    Tls(String),
    #[error("cannot watch for SIGHUP: {0}")]
    Signal(std::io::Error),
}

/// The standard request layers, applied by [`Server::serve`] to every router:
/// outermost first, the `Host` allow-list and `Origin` check ([`guard`]), the body
/// limit (a declared oversized `Content-Length` is a 413 before the body is read),
/// every error made JSON ([`guard::json_errors`]), panic to 500, then the request timeout
/// (408).
pub fn harden(router: Router, cfg: &ServeConfig) -> Router {
    let limits = cfg.limits;
    router
        .layer(DefaultBodyLimit::max(limits.max_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                guard::error(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error",
                )
            },
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            limits.max_body,
        ))
        .layer(axum::middleware::from_fn(guard::json_errors))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(cfg.allowed_hosts.clone()),
            guard::check,
        ))
}

/// A bound listener, ready to [`Server::serve`].
pub struct Server {
    cfg: ServeConfig,
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    tls: Option<TlsReloader>,
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl Server {
    /// Bind `cfg.addr` (port 0 picks a free one) and load the TLS files, if any. The
    /// `SIGHUP` handler is installed here, so a `SIGHUP` after `bind` returns reloads
    /// instead of ending the process.
    pub async fn bind(cfg: ServeConfig) -> Result<Server, Error> {
        let tls = cfg.tls.as_ref().map(TlsReloader::load).transpose()?;
        #[cfg(unix)]
        let hangup = match tls {
            Some(_) => Some(
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
                    .map_err(Error::Signal)?,
            ),
            None => None,
        };
        let listener = tokio::net::TcpListener::bind(cfg.addr)
            .await
            .map_err(|source| Error::Bind {
                addr: cfg.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: cfg.addr,
            source,
        })?;
        Ok(Server {
            cfg,
            listener,
            addr,
            tls,
            #[cfg(unix)]
            hangup,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The handle that reloads the certificate (`None` without TLS).
    pub fn tls_reloader(&self) -> Option<TlsReloader> {
        self.tls.clone()
    }

    /// Serve `router` (with [`harden`]'s layers) until `shutdown` completes, then
    /// finish the requests in flight and return.
    pub async fn serve(
        self,
        router: Router,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), Error> {
        let Server {
            cfg,
            listener,
            tls,
            #[cfg(unix)]
            hangup,
            ..
        } = self;
        let cfg = Arc::new(cfg);
        let app = harden(router, &cfg);
        #[cfg(unix)]
        let reloader = match (hangup, tls.clone()) {
            (Some(mut hup), Some(tls)) => {
                let cfg = cfg.clone();
                Some(tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        match tls.reload() {
                            Ok(()) => cfg.log("SIGHUP: TLS certificate reloaded"),
                            Err(e) => cfg.log(&format!(
                                "SIGHUP: TLS reload failed, keeping the previous certificate: {e}"
                            )),
                        }
                    }
                }))
            }
            _ => None,
        };
        let slots = Arc::new(tokio::sync::Semaphore::new(
            cfg.limits.max_connections.max(1),
        ));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                p = slots.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            };
            let (tcp, peer) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        cfg.log(&format!("accept failed: {e}"));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = tcp.set_nodelay(true);
            let watcher = graceful.watcher();
            let app = app.clone();
            let tls = tls.clone();
            let limits = cfg.limits;
            tokio::spawn(async move {
                let _permit = permit;
                let svc = hyper::service::service_fn(move |mut req| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    app.clone().oneshot(req)
                });
                let mut http = hyper::server::conn::http1::Builder::new();
                http.timer(TokioTimer::new())
                    .header_read_timeout(limits.header_timeout)
                    .max_buf_size(64 * 1024);
                match tls {
                    None => {
                        let conn = http.serve_connection(TokioIo::new(tcp), svc);
                        let _ = watcher.watch(conn).await;
                    }
                    Some(tls) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
                        let Ok(Ok(stream)) =
                            tokio::time::timeout(limits.header_timeout, acceptor.accept(tcp)).await
                        else {
                            return;
                        };
                        let conn = http.serve_connection(TokioIo::new(stream), svc);
                        let _ = watcher.watch(conn).await;
                    }
                }
            });
        }
        drop(listener);
        #[cfg(unix)]
        if let Some(r) = reloader {
            r.abort();
        }
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(cfg.limits.shutdown_grace) => {
                cfg.log("shutdown: requests still in flight after the grace period were dropped");
            }
        }
        Ok(())
    }
}

/// [`Server::bind`] then [`Server::serve`], for callers that know their port.
pub async fn serve(
    router: Router,
    cfg: &ServeConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    Server::bind(cfg.clone())
        .await?
        .serve(router, shutdown)
        .await
}
