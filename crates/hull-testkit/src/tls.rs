//! A loopback https endpoint for webhook tests: its certificate (for `127.0.0.1`) is
//! signed by a CA made for the test, so a client trusts it only when given that CA.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct HttpsReceiver {
    /// The test CA's certificate (PEM), what a client must trust.
    pub ca_pem: String,
    pub port: u16,
    bodies: Receiver<String>,
}

impl HttpsReceiver {
    /// Listen on a free loopback port; every complete POST is answered 200 and its body
    /// kept for [`HttpsReceiver::next`]. A refused handshake just ends that connection.
    pub fn start() -> HttpsReceiver {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "hull test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        let cfg = Arc::new(cfg);
        let srv = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = srv.local_addr().unwrap().port();
        let (tx, bodies) = channel();
        std::thread::spawn(move || {
            for tcp in srv.incoming().flatten() {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let conn = rustls::ServerConnection::new(cfg.clone()).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let Some(body) = read_post(&mut tls) else {
                    continue;
                };
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
                if tx.send(body).is_err() {
                    return;
                }
            }
        });
        HttpsReceiver {
            ca_pem: ca.pem(),
            port,
            bodies,
        }
    }

    /// The next body received within `wait`.
    pub fn next(&self, wait: Duration) -> Option<String> {
        self.bodies.recv_timeout(wait).ok()
    }
}

/// Headers, then `Content-Length` bytes of body; `None` when the connection ends first.
fn read_post(conn: &mut impl Read) -> Option<String> {
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&req);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if body.len() >= len {
                return Some(body.to_string());
            }
        }
    }
}
