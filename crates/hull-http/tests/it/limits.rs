//! Body limits and the request timeout.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hull_http::Limits;

use crate::{call, config, raw, router, status, Running};

fn limits() -> Limits {
    Limits {
        max_body: 1024,
        request_timeout: Duration::from_millis(800),
        ..Limits::default()
    }
}

#[test]
fn oversized_content_length_is_refused_before_the_body() {
    let srv = Running::start(router(), config(limits()));
    for (method, path) in [("GET", "/healthz"), ("POST", "/echo"), ("GET", "/nowhere")] {
        // 100 GiB declared, nothing sent: a server that allocates or reads it dies or hangs.
        let req =
            format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 107374182400\r\n\r\n");
        let t = Instant::now();
        let resp = raw(srv.addr, req.as_bytes(), Duration::from_secs(5));
        assert_eq!(status(&resp), 413, "{method} {path}: {resp}");
        assert!(resp.contains("{\"error\":"), "a JSON error: {resp}");
        assert!(t.elapsed() < Duration::from_secs(2), "{method} {path} slow");
    }
    // The server is still there.
    let (code, body) = call(ureq::get(&srv.url("/healthz")).call());
    assert_eq!((code, body.as_str()), (200, "ok\n"));
}

#[test]
fn streamed_bodies_are_cut_at_the_limit() {
    let srv = Running::start(router(), config(limits()));
    let (code, body) = call(ureq::post(&srv.url("/echo")).send_bytes(&[b'a'; 1024]));
    assert_eq!((code, body.len()), (200, 1024));
    // Chunked: no length declared, 4 KiB sent.
    let mut req = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..4 {
        req.extend_from_slice(b"400\r\n");
        req.extend_from_slice(&[b'b'; 1024]);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let resp = raw(srv.addr, &req, Duration::from_secs(5));
    assert_eq!(status(&resp), 413, "{resp}");
}

#[test]
fn a_body_that_drips_times_out() {
    let srv = Running::start(router(), config(limits()));
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\na")
        .unwrap();
    let t = Instant::now();
    let mut resp = String::new();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = std::io::Read::read_to_string(&mut s, &mut resp);
    assert_eq!(status(&resp), 408, "{resp}");
    assert!(t.elapsed() < Duration::from_secs(3));
}
