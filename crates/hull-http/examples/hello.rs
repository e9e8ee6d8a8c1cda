//! A minimal service on hull-http: `/healthz` and a JSON echo, on plain HTTP or TLS.
//!
//! ```text
//! cargo run -p hull-http --example hello -- 127.0.0.1:8481 [CERT.pem KEY.pem]
//! curl -s localhost:8481/healthz
//! curl -s -X POST -d '{"a":1}' localhost:8481/echo
//! ```
//! `SIGHUP` reloads the certificate; Ctrl-C finishes requests in flight and exits.

use axum::routing::{get, post};
use axum::Router;
use hull_http::{ServeConfig, Server, TlsFiles};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:8481".into())
        .parse()?;
    let mut cfg = ServeConfig::new(addr);
    if let (Some(cert), Some(key)) = (args.next(), args.next()) {
        cfg.tls = Some(TlsFiles {
            cert: cert.into(),
            key: key.into(),
        });
    }
    cfg.log = Some(std::sync::Arc::new(|l| eprintln!("hello: {l}")));
    let router = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/echo", post(|body: axum::body::Bytes| async move { body }));
    let server = Server::bind(cfg).await?;
    println!("listening on {}", server.local_addr());
    server
        .serve(router, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
