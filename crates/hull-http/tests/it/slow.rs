//! Slow clients (slowloris) cannot starve others.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hull_http::Limits;

use crate::{call, config, router, Running};

#[test]
fn sixty_four_dripping_connections_do_not_delay_healthz() {
    let srv = Running::start(
        router(),
        config(Limits {
            header_timeout: Duration::from_secs(2),
            max_connections: 256,
            ..Limits::default()
        }),
    );
    let mut slow: Vec<TcpStream> = (0..64)
        .map(|_| {
            let mut s = TcpStream::connect(srv.addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\n").unwrap();
            s
        })
        .collect();
    // Drip one header byte per connection every 100 ms for 1.5 s while measuring.
    let start = Instant::now();
    let mut worst = Duration::ZERO;
    let agent = ureq::AgentBuilder::new().build();
    while start.elapsed() < Duration::from_millis(1500) {
        for s in &mut slow {
            let _ = s.write_all(b"X");
        }
        let t = Instant::now();
        let (code, _) = call(agent.get(&srv.url("/healthz")).call());
        assert_eq!(code, 200);
        worst = worst.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(worst < Duration::from_millis(100), "healthz took {worst:?}");
    // The header deadline (2 s) closes every dripping connection.
    std::thread::sleep(Duration::from_millis(1200));
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let _ = s.write_all(b"X");
        let mut buf = [0u8; 512];
        let closed = match s.read(&mut buf) {
            Ok(_) => true, // EOF or an error response: the server gave up on it
            Err(e) => {
                e.kind() != std::io::ErrorKind::WouldBlock
                    && e.kind() != std::io::ErrorKind::TimedOut
            }
        };
        assert!(closed, "a dripping connection outlived the header deadline");
    }
}

#[test]
fn connections_beyond_the_limit_wait_instead_of_failing() {
    let srv = Running::start(
        router(),
        config(Limits {
            header_timeout: Duration::from_millis(700),
            max_connections: 4,
            ..Limits::default()
        }),
    );
    // Four idle connections take every slot; the fifth client waits until the header
    // deadline frees one, then is served.
    let _idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(srv.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    let (code, _) = call(ureq::get(&srv.url("/healthz")).call());
    assert_eq!(code, 200);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}
