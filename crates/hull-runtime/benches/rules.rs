//! Rule-engine throughput on one core over a replayed mix of events.
//!
//! `cargo bench -p hull-runtime --bench rules` — prints events/s for the default ruleset.
//! The mix mirrors a busy node: mostly opens, then execs/forks/exits, a few connects and
//! credential changes, 60% in containers; the events go through the JSON-lines replay
//! format first so the measured input is what `--replay` feeds the engine.

use std::time::Instant;

use hull_runtime::attribution::Container;
use hull_runtime::event::{Event, EventType};
use hull_runtime::rules::Engine;

fn mix(n: usize) -> Vec<Event> {
    let paths = [
        "/etc/ld.so.cache",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/proc/self/status",
        "/etc/shadow",
        "/var/log/app.log",
        "/home/app/.ssh/id_rsa",
        "/tmp/x",
    ];
    let comms = ["nginx", "python3", "sh", "cat", "java", "apt-get", "node"];
    let mut out = Vec::with_capacity(n);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let r = (seed % 100) as u32;
        let kind = match r {
            0..=69 => EventType::Open,
            70..=79 => EventType::Exec,
            80..=86 => EventType::Fork,
            87..=93 => EventType::Exit,
            94..=97 => EventType::Connect,
            _ => EventType::Setuid,
        };
        let mut e = Event::new(kind, 1000 + (i as u32 % 5000));
        e.ts_ns = i as u64;
        e.comm = comms[(seed >> 8) as usize % comms.len()].into();
        e.exe = format!("/usr/bin/{}", e.comm);
        e.args = vec![e.comm.clone(), "-c".into(), "work".into()];
        e.pcomm = "bash".into();
        e.uid = if r % 3 == 0 { 0 } else { 1000 };
        if kind == EventType::Open {
            e.path = paths[(seed >> 16) as usize % paths.len()].into();
            e.write = (seed >> 24) % 5 == 0;
        }
        if kind == EventType::Connect {
            e.daddr = Some("10.1.2.3".into());
            e.dport = Some(if (seed >> 20) % 10 == 0 { 3333 } else { 443 });
        }
        if kind == EventType::Setuid {
            e.prev_uid = Some(1000);
        }
        if (seed >> 32) % 10 < 6 {
            e.container = Some(Container {
                id: format!("{:012x}", (seed >> 40) % 50),
                image: "app:1".into(),
                ..Container::default()
            });
        }
        out.push(e);
    }
    out
}

fn main() {
    let (engine, errors) = Engine::load(true, &[] as &[&str]);
    assert!(errors.is_empty(), "{errors:?}");
    let n = 1_000_000;
    // Round-trip through the replay format.
    let jsonl: String = mix(n)
        .iter()
        .map(|e| serde_json::to_string(e).expect("serialize") + "\n")
        .collect();
    let events: Vec<Event> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("parse"))
        .collect();
    let mut matched = 0usize;
    let mut idx = Vec::new();
    // Warm up, then measure the best of three passes.
    let mut best = f64::MAX;
    for _ in 0..4 {
        matched = 0;
        let t = Instant::now();
        for e in &events {
            idx.clear();
            engine.matching(e, &mut idx);
            matched += idx.len();
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    let rate = n as f64 / best;
    println!(
        "rule engine: {} rules, {n} events in {:.3}s = {:.2}M events/s on one core ({matched} matches)",
        engine.rules().len(),
        best,
        rate / 1e6
    );
    let t = Instant::now();
    let mut alerts = 0;
    for e in &events {
        idx.clear();
        engine.matching(e, &mut idx);
        for &i in &idx {
            if engine.alert(i, e, "bench").is_some() {
                alerts += 1;
            }
        }
    }
    let full = t.elapsed().as_secs_f64();
    println!(
        "with alert rendering: {:.2}M events/s ({alerts} alerts)",
        n as f64 / full / 1e6
    );
}
