//! The attacks of issue 10 that the transport must stop: each of these killed,
//! froze or fooled the tiny_http server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::{inventory, npm, write_db, Harness};

/// Every route and method the server answers.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/images"),
    ("POST", "/api/v1/scans"),
    ("POST", "/api/v1/rescan"),
    ("GET", "/api/v1/audits"),
    ("POST", "/api/v1/audits"),
    ("GET", "/api/v1/audits/1"),
    ("GET", "/api/v1/scans/1/findings"),
    ("GET", "/api/v1/images/app/versions"),
    ("GET", "/api/v1/images/app/recommendation"),
    ("GET", "/images/app"),
    ("GET", "/no/such/route"),
];

pub fn raw(h: &Harness, request: &str, wait: Duration) -> String {
    let mut s = TcpStream::connect(h.base.trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn started() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    write_db(&vulndb, vec![], "2026-01-01T00:00:00Z");
    Harness::start(dir, vulndb, 1 << 20)
}

#[test]
fn oversized_content_length_on_every_route_is_a_413_and_the_server_lives() {
    let h = started();
    for (method, path) in ROUTES {
        let t = Instant::now();
        let resp = raw(
            &h,
            &format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 107374182400\r\nConnection: close\r\n\r\n"),
            Duration::from_secs(5),
        );
        assert!(resp.starts_with("HTTP/1.1 413"), "{method} {path}: {resp}");
        assert!(resp.contains("{\"error\":"), "{method} {path}: {resp}");
        assert!(t.elapsed() < Duration::from_secs(2), "{method} {path}");
    }
    assert_eq!(h.get("/healthz").0, 200);
}

#[test]
fn sixty_four_dripping_connections_do_not_freeze_the_server() {
    let h = started();
    let addr = h.base.trim_start_matches("http://").to_string();
    let mut slow: Vec<TcpStream> = (0..64)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"POST /api/v1/scans HTTP/1.1\r\n").unwrap();
            s
        })
        .collect();
    let start = Instant::now();
    let mut worst = Duration::ZERO;
    while start.elapsed() < Duration::from_secs(2) {
        for s in &mut slow {
            let _ = s.write_all(b"X");
        }
        let t = Instant::now();
        assert_eq!(h.get("/healthz").0, 200);
        worst = worst.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        worst < Duration::from_millis(100),
        "/healthz took {worst:?}"
    );
    // Store-backed routes answer too.
    assert_eq!(h.get("/api/v1/images").0, 200);
}

#[test]
fn foreign_host_and_cross_origin_posts_are_refused_and_change_nothing() {
    let h = started();
    let port = h.base.rsplit(':').next().unwrap().to_string();
    let w = Duration::from_secs(5);
    // DNS rebinding: the browser sends the attacker's name.
    for path in ["/api/v1/images", "/", "/metrics"] {
        let resp = raw(
            &h,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: attacker.example:{port}\r\nConnection: close\r\n\r\n"
            ),
            w,
        );
        assert!(resp.starts_with("HTTP/1.1 403"), "{path}: {resp}");
    }
    // A form on another origin posting text/plain through the user's browser.
    let body = json!({ "inventory": inventory("app:9.9.9", vec![npm("x", "1.0.0")]) }).to_string();
    for extra in [
        "Origin: https://attacker.example\r\n",
        "Origin: null\r\n",
        "Sec-Fetch-Site: cross-site\r\n",
    ] {
        let resp = raw(
            &h,
            &format!(
                "POST /api/v1/scans HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
            w,
        );
        assert!(resp.starts_with("HTTP/1.1 403"), "{extra}: {resp}");
    }
    let v = h.get_json("/api/v1/images");
    assert_eq!(
        v["images"].as_array().unwrap().len(),
        0,
        "the store changed: {v}"
    );
}
