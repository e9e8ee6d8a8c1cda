//! Review latency for a typical Deployment: in-process (the pure function) and over
//! HTTPS on one keep-alive connection. Prints p50/p99 and reviews/s; asserts the 2 ms
//! p99 goal when HULL_BENCH_STRICT=1 (release builds: bench/admission-latency.sh).

use std::time::{Duration, Instant};

use hull_admission::review::{review, Config};

use crate::{deployment, request, Running};

const N: usize = 400;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(what: &str, mut times: Vec<Duration>, total: Duration) -> Duration {
    times.sort();
    let p50 = percentile(&times, 0.50);
    let p99 = percentile(&times, 0.99);
    eprintln!(
        "admission {what}: {N} reviews, p50 {:.3} ms, p99 {:.3} ms, {:.0} reviews/s",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        N as f64 / total.as_secs_f64()
    );
    p99
}

fn goal() -> Duration {
    if std::env::var("HULL_BENCH_STRICT").is_ok_and(|v| v == "1") {
        Duration::from_millis(2)
    } else {
        Duration::from_millis(100) // debug builds on a shared machine
    }
}

#[test]
fn review_latency_typical_deployment() {
    let body = request(&deployment(false), "shop");
    let cfg = Config::default();
    let mut times = Vec::with_capacity(N);
    let start = Instant::now();
    for _ in 0..N {
        let t = Instant::now();
        let out = review(&body, &cfg, &|_| None).unwrap();
        times.push(t.elapsed());
        assert_eq!(out.response["response"]["allowed"], true);
    }
    let p99_local = report("in-process", times, start.elapsed());

    let w = Running::start(Config::default(), |_| {});
    let agent = w.agent();
    let _ = w.post(&agent, "application/json", &body); // handshake outside the timing
    let mut times = Vec::with_capacity(N);
    let start = Instant::now();
    for _ in 0..N {
        let t = Instant::now();
        let (status, _) = w.post(&agent, "application/json", &body);
        times.push(t.elapsed());
        assert_eq!(status, 200);
    }
    let p99 = report("https", times, start.elapsed());
    // Both are printed before either is judged.
    assert!(p99_local < goal(), "in-process p99 {p99_local:?}");
    assert!(p99 < goal() * 5, "https p99 {p99:?}");
}
