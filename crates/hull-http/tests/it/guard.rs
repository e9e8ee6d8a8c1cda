//! The Host allow-list and the Origin check, end to end.

use std::time::Duration;

use hull_http::{AllowedHosts, Limits};

use crate::{config, raw, router, status, Running};

#[test]
fn foreign_hosts_and_cross_origin_posts_are_refused() {
    let mut cfg = config(Limits::default());
    cfg.allowed_hosts = AllowedHosts::defaults_for(&cfg.addr);
    let srv = Running::start(router(), cfg);
    let port = srv.addr.port();
    let w = Duration::from_secs(5);
    let get = |host: &str| {
        status(&raw(
            srv.addr,
            format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
            w,
        ))
    };
    assert_eq!(get(&format!("127.0.0.1:{port}")), 200);
    assert_eq!(get(&format!("localhost:{port}")), 200);
    assert_eq!(
        get(&format!("attacker.example:{port}")),
        403,
        "DNS rebinding"
    );
    assert_eq!(
        status(&raw(srv.addr, b"GET /healthz HTTP/1.0\r\n\r\n", w)),
        400,
        "no Host"
    );
    let post = |extra: &str| {
        status(&raw(
            srv.addr,
            format!(
                "POST /echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\n{extra}Content-Length: 2\r\nConnection: close\r\n\r\nhi"
            )
            .as_bytes(),
            w,
        ))
    };
    assert_eq!(post(""), 200, "a client that is not a browser");
    assert_eq!(post(&format!("Origin: http://127.0.0.1:{port}\r\n")), 200);
    assert_eq!(post("Origin: http://evil.example\r\n"), 403);
    assert_eq!(post("Origin: null\r\n"), 403);
    assert_eq!(post("Sec-Fetch-Site: cross-site\r\n"), 403);
}
