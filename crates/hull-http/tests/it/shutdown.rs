//! Graceful shutdown finishes requests in flight.

use std::time::{Duration, Instant};

use hull_http::Limits;

use crate::{call, config, router, Running};

#[test]
fn requests_in_flight_finish_and_new_ones_are_refused() {
    let mut srv = Running::start(router(), config(Limits::default()));
    let url = srv.url("/slow");
    let inflight = std::thread::spawn(move || call(ureq::get(&url).call()));
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    let addr = srv.addr;
    srv.stop();
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(inflight.join().unwrap(), (200, "done\n".to_string()));
    assert!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "the listener is closed"
    );
}
