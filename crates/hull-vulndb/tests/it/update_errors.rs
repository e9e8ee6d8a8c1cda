//! `hull db update` gives up at once on failures that retrying cannot fix and says what
//! to do, all on loopback: a host name that does not resolve (answered by the test's
//! resolver, no DNS query leaves the machine), a 404, and a TLS failure (a plain-HTTP
//! server behind an `https://` mirror URL). A 503 is still retried.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hull_vulndb::update::{self, Options};

/// Answers every request with `status` (plain HTTP, one request per connection) and
/// counts requests.
fn server(status: u16) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            h.fetch_add(1, Ordering::SeqCst);
            let mut line = String::new();
            let mut r = BufReader::new(s.try_clone().unwrap());
            // Read the request head (a TLS ClientHello has no lines: take what comes).
            while r.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (format!("127.0.0.1:{port}"), hits)
}

/// Only `*.loopback.test` names resolve (to 127.0.0.1, port kept); others fail.
fn resolver(netloc: &str) -> std::io::Result<Vec<SocketAddr>> {
    let (host, port) = netloc.rsplit_once(':').unwrap_or((netloc, "80"));
    if host.ends_with(".loopback.test") {
        return Ok(vec![SocketAddr::from((
            [127, 0, 0, 1],
            port.parse().unwrap_or(80),
        ))]);
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("failed to lookup address information: {host}"),
    ))
}

fn opts(mirror: String) -> Options {
    Options {
        mirror: Some(mirror),
        // Twelve sources on the one host.
        only: vec!["alpine-secdb:".into()],
        attempts: 4,
        backoff: Duration::from_millis(200),
        timeout: Duration::from_secs(10),
        now: "test".into(),
        resolver: Some(resolver),
        ..Options::default()
    }
}

fn run(mirror: String) -> (Vec<update::SourceResult>, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let (results, _) = update::run(&dir.path().join("db.sqlite"), &opts(mirror), &|_| {}).unwrap();
    (results, start.elapsed())
}

fn assert_one_line_with_advice(results: &[update::SourceResult], want: &str) {
    assert!(results.len() >= 10, "{}", results.len());
    for r in results {
        assert_eq!(r.outcome, "failed", "{}", r.name);
        let e = r.error.as_deref().unwrap();
        assert!(!e.contains('\n'), "one line: {e}");
        assert!(e.contains(want), "{e}");
        assert!(
            e.contains("--mirror") && e.contains("hull db import"),
            "{e}"
        );
    }
}

#[test]
fn unresolvable_host_fails_every_source_at_once() {
    let (results, took) = run("http://no-such-mirror.invalid:8080".into());
    assert_one_line_with_advice(
        &results,
        "cannot resolve host `no-such-mirror.invalid:8080`",
    );
    // The first source says why; the rest were not tried.
    assert!(results[1].error.as_deref().unwrap().contains("not tried"));
    // No backoff at all (4 attempts × 12 sources would take ≥ 16 s).
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn http_404_fails_without_retry() {
    let (addr, hits) = server(404);
    let (results, took) = run(format!(
        "http://mirror.loopback.test:{}",
        addr.rsplit(':').next().unwrap()
    ));
    assert_one_line_with_advice(&results, "HTTP 404");
    // One request per source: a 404 is not retried (another host may still have it).
    assert_eq!(hits.load(Ordering::SeqCst), results.len());
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn tls_failure_fails_the_host_at_once() {
    // An https:// URL to a plain-HTTP server: the TLS handshake fails.
    let (addr, hits) = server(200);
    let (results, took) = run(format!(
        "https://mirror.loopback.test:{}",
        addr.rsplit(':').next().unwrap()
    ));
    assert_one_line_with_advice(&results, "TLS with `mirror.loopback.test:");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "one handshake, then the host is known bad"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn transient_503_is_still_retried() {
    let (addr, hits) = server(503);
    let dir = tempfile::tempdir().unwrap();
    let o = Options {
        only: vec!["alpine-secdb:v3.20-main".into()],
        backoff: Duration::from_millis(10),
        ..opts(format!(
            "http://mirror.loopback.test:{}",
            addr.rsplit(':').next().unwrap()
        ))
    };
    let (results, _) = update::run(&dir.path().join("db.sqlite"), &o, &|_| {}).unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 4, "every attempt used");
    let e = results[0].error.as_deref().unwrap();
    assert!(
        e.contains("HTTP 503") && e.contains("gave up after 4 attempts"),
        "{e}"
    );
    assert!(e.contains("--mirror"), "{e}");
}
