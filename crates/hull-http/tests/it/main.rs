//! hull-http integration tests: real servers on 127.0.0.1:0, raw TCP clients for the
//! attacks (oversized declarations, dripping bytes), ureq for the well-behaved ones.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use hull_http::{AllowedHosts, Limits, ServeConfig, Server, TlsReloader};

mod guard;
mod limits;
mod shutdown;
mod slow;
mod tls;

/// A server running on its own runtime thread until [`Running::stop`] (or drop).
pub struct Running {
    pub addr: SocketAddr,
    pub tls: Option<TlsReloader>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    pub fn start(router: Router, cfg: ServeConfig) -> Running {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let server = Server::bind(cfg).await.unwrap();
                addr_tx
                    .send((server.local_addr(), server.tls_reloader()))
                    .unwrap();
                server
                    .serve(router, async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let (addr, tls) = addr_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        Running {
            addr,
            tls,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Signal shutdown and wait for `serve` to return.
    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `/healthz`, `/echo` (POST, returns the body), `/slow` (sleeps 400 ms).
pub fn router() -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/echo", post(|body: axum::body::Bytes| async move { body }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                "done\n"
            }),
        )
}

/// Loopback config with small limits and any `Host`.
pub fn config(limits: Limits) -> ServeConfig {
    let mut cfg = ServeConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.limits = limits;
    cfg.allowed_hosts = AllowedHosts::any();
    cfg
}

/// Send raw bytes, read the reply until the server closes or `wait` passes.
pub fn raw(addr: SocketAddr, request: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                // One response is enough: stop at the end of a Content-Length body.
                if complete(&out) {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn complete(resp: &[u8]) -> bool {
    let text = String::from_utf8_lossy(resp);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .and_then(|v| v.trim().parse::<usize>().ok())
        })
        .is_some_and(|n| body.len() >= n)
}

/// The status code of a raw response (0 when there is none).
pub fn status(resp: &str) -> u16 {
    resp.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

pub fn call(r: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    match r {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("transport error: {e}"),
    }
}
