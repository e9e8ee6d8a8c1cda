//! Prometheus metrics and the per-container score M, served as text exposition format
//! (version 0.0.4) by a small HTTP server on its own thread.
//!
//! Score M for a container = Σᵢ wᵢ · mᵢ over the rules i that fired for it, where mᵢ is
//! the number of alerts of rule i in the last `window` (default 300 s, sliding, one-second
//! buckets) and wᵢ the weight of the rule's priority ([`Priority::weight`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::rules::{Alert, Priority};

/// Every metric name hull exports (the dashboard test checks panels against this list).
pub const METRIC_NAMES: &[&str] = &[
    "hull_events_total",
    "hull_alerts_total",
    "hull_source_drops_total",
    "hull_rule_eval_seconds_bucket",
    "hull_rule_eval_seconds_sum",
    "hull_rule_eval_seconds_count",
    "hull_container_score",
    "hull_output_alerts_total",
    "hull_output_errors_total",
    "hull_output_dropped_total",
    "hull_rule_load_errors",
    "hull_rules_loaded",
    "hull_source_info",
    "hull_diagnostics_total",
    "hull_rules_reload_total",
    "hull_kernel_filtered_total",
];

/// Histogram bucket bounds for per-event rule evaluation time, seconds.
const EVAL_BUCKETS: [f64; 8] = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 1e-4, 1e-3, 1e-2];

#[derive(Default)]
struct Inner {
    events: BTreeMap<String, u64>,
    alerts: BTreeMap<(String, String, String), u64>,
    eval_buckets: [u64; 8],
    eval_sum: f64,
    eval_count: u64,
    /// container id -> (name, per-second (unix second, weighted alerts))
    score: HashMap<String, (String, VecDeque<(u64, f64)>)>,
    diagnostics: u64,
    rule_load_errors: u64,
    rules_loaded: u64,
    /// Rule reloads (SIGHUP): [ok, error].
    reloads: [u64; 2],
}

/// Output counters are read at scrape time from these.
pub type OutputProbe = Box<dyn Fn() -> (u64, u64, u64) + Send + Sync>;
/// Source drop counters are read at scrape time.
pub type DropProbe = Box<dyn Fn() -> Vec<(String, u64)> + Send + Sync>;
/// Kernel-side filter counters ((event type, reason), total), read at scrape time.
pub type FilteredProbe = Box<dyn Fn() -> Vec<((String, String), u64)> + Send + Sync>;

pub struct Metrics {
    inner: Mutex<Inner>,
    window: Duration,
    source: String,
    outputs: Mutex<Vec<(String, OutputProbe)>>,
    drops: Mutex<Option<DropProbe>>,
    filtered: Mutex<Option<FilteredProbe>>,
}

fn esc(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

fn unix_secs() -> u64 {
    crate::event::now_ns() / 1_000_000_000
}

impl Metrics {
    pub fn new(source: &str, window: Duration) -> Metrics {
        Metrics {
            inner: Mutex::default(),
            window,
            source: source.to_string(),
            outputs: Mutex::default(),
            drops: Mutex::default(),
            filtered: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere must not take metrics down with it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn add_output(&self, name: &str, probe: OutputProbe) {
        if let Ok(mut o) = self.outputs.lock() {
            o.push((name.to_string(), probe));
        }
    }

    pub fn set_drop_probe(&self, probe: DropProbe) {
        if let Ok(mut d) = self.drops.lock() {
            *d = Some(probe);
        }
    }

    pub fn set_filtered_probe(&self, probe: FilteredProbe) {
        if let Ok(mut f) = self.filtered.lock() {
            *f = Some(probe);
        }
    }

    pub fn set_rules(&self, loaded: usize, errors: usize) {
        let mut i = self.lock();
        i.rules_loaded = loaded as u64;
        i.rule_load_errors = errors as u64;
    }

    /// Count a rule reload (`hull_rules_reload_total{result="ok|error"}`).
    pub fn rules_reload(&self, ok: bool) {
        self.lock().reloads[usize::from(!ok)] += 1;
    }

    pub fn diagnostic(&self) {
        self.lock().diagnostics += 1;
    }

    pub fn event(&self, kind: &str, eval: Duration) {
        let mut i = self.lock();
        *i.events.entry(kind.to_string()).or_insert(0) += 1;
        let secs = eval.as_secs_f64();
        for (b, bound) in EVAL_BUCKETS.iter().enumerate() {
            if secs <= *bound {
                i.eval_buckets[b] += 1;
            }
        }
        i.eval_sum += secs;
        i.eval_count += 1;
    }

    pub fn alert(&self, a: &Alert) {
        let name = a
            .container
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_default();
        self.alert_at(&a.rule, a.priority, &a.container_id, &name, unix_secs());
    }

    fn alert_at(&self, rule: &str, prio: Priority, container: &str, name: &str, now: u64) {
        let mut i = self.lock();
        *i.alerts
            .entry((
                rule.to_string(),
                prio.as_str().to_string(),
                container.to_string(),
            ))
            .or_insert(0) += 1;
        let entry = i
            .score
            .entry(container.to_string())
            .or_insert_with(|| (name.to_string(), VecDeque::new()));
        match entry.1.back_mut() {
            Some((s, w)) if *s == now => *w += prio.weight(),
            _ => entry.1.push_back((now, prio.weight())),
        }
    }

    /// Score M per container at `now` (old buckets pruned).
    pub fn scores_at(&self, now: u64) -> BTreeMap<String, (String, f64)> {
        let mut i = self.lock();
        let horizon = now.saturating_sub(self.window.as_secs());
        let mut out = BTreeMap::new();
        i.score.retain(|id, (name, q)| {
            while q.front().is_some_and(|(s, _)| *s <= horizon) {
                q.pop_front();
            }
            out.insert(id.clone(), (name.clone(), q.iter().map(|(_, w)| w).sum()));
            // Keep containers that scored recently, so their gauge drops to 0 once.
            !q.is_empty()
        });
        out
    }

    /// The whole exposition text.
    pub fn render(&self) -> String {
        let scores = self.scores_at(unix_secs());
        let mut s = String::new();
        let i = self.lock();
        let _ = writeln!(
            s,
            "# HELP hull_source_info Event source in use.\n# TYPE hull_source_info gauge"
        );
        let _ = writeln!(s, "hull_source_info{{source=\"{}\"}} 1", esc(&self.source));
        let _ = writeln!(s, "# HELP hull_rules_loaded Rules compiled and loaded.\n# TYPE hull_rules_loaded gauge\nhull_rules_loaded {}", i.rules_loaded);
        let _ = writeln!(s, "# HELP hull_rule_load_errors Rule file problems at load.\n# TYPE hull_rule_load_errors gauge\nhull_rule_load_errors {}", i.rule_load_errors);
        let _ = writeln!(s, "# HELP hull_rules_reload_total Rule reloads (SIGHUP), by result; on error the previous rules stay.\n# TYPE hull_rules_reload_total counter");
        let _ = writeln!(
            s,
            "hull_rules_reload_total{{result=\"ok\"}} {}\nhull_rules_reload_total{{result=\"error\"}} {}",
            i.reloads[0], i.reloads[1]
        );
        let _ = writeln!(
            s,
            "# HELP hull_events_total Events processed, by type.\n# TYPE hull_events_total counter"
        );
        for (k, v) in &i.events {
            let _ = writeln!(s, "hull_events_total{{type=\"{}\"}} {v}", esc(k));
        }
        let _ = writeln!(s, "# HELP hull_alerts_total Alerts raised, by rule, priority and container.\n# TYPE hull_alerts_total counter");
        for ((rule, prio, ctr), v) in &i.alerts {
            let _ = writeln!(
                s,
                "hull_alerts_total{{rule=\"{}\",priority=\"{}\",container_id=\"{}\"}} {v}",
                esc(rule),
                esc(prio),
                esc(ctr)
            );
        }
        let _ = writeln!(s, "# HELP hull_rule_eval_seconds Rule evaluation time per event.\n# TYPE hull_rule_eval_seconds histogram");
        for (b, bound) in EVAL_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                s,
                "hull_rule_eval_seconds_bucket{{le=\"{bound}\"}} {}",
                i.eval_buckets[b]
            );
        }
        let _ = writeln!(
            s,
            "hull_rule_eval_seconds_bucket{{le=\"+Inf\"}} {}",
            i.eval_count
        );
        let _ = writeln!(s, "hull_rule_eval_seconds_sum {}", i.eval_sum);
        let _ = writeln!(s, "hull_rule_eval_seconds_count {}", i.eval_count);
        let _ = writeln!(s, "# HELP hull_container_score Score M = sum over rules of priority weight x alerts in the window.\n# TYPE hull_container_score gauge");
        for (id, (name, score)) in &scores {
            let _ = writeln!(
                s,
                "hull_container_score{{container_id=\"{}\",container_name=\"{}\"}} {score}",
                esc(id),
                esc(name)
            );
        }
        let _ = writeln!(s, "# HELP hull_diagnostics_total Problems reported without stopping (bad input, unreadable state).\n# TYPE hull_diagnostics_total counter\nhull_diagnostics_total {}", i.diagnostics);
        drop(i);
        let _ = writeln!(s, "# HELP hull_source_drops_total Events lost before rule evaluation, by buffer.\n# TYPE hull_source_drops_total counter");
        if let Ok(d) = self.drops.lock() {
            if let Some(probe) = d.as_ref() {
                for (buf, n) in probe() {
                    let _ = writeln!(s, "hull_source_drops_total{{buffer=\"{}\"}} {n}", esc(&buf));
                }
            }
        }
        let _ = writeln!(s, "# HELP hull_kernel_filtered_total Events dropped on purpose by kernel-side filters (no rule can match them), by type and reason.\n# TYPE hull_kernel_filtered_total counter");
        if let Ok(f) = self.filtered.lock() {
            if let Some(probe) = f.as_ref() {
                for ((kind, reason), n) in probe() {
                    let _ = writeln!(
                        s,
                        "hull_kernel_filtered_total{{type=\"{}\",reason=\"{}\"}} {n}",
                        esc(&kind),
                        esc(&reason)
                    );
                }
            }
        }
        let _ = writeln!(s, "# HELP hull_output_alerts_total Alerts delivered, by output.\n# TYPE hull_output_alerts_total counter");
        let mut errs = String::new();
        let mut drops = String::new();
        if let Ok(o) = self.outputs.lock() {
            for (name, probe) in o.iter() {
                let (ok, err, dropped) = probe();
                let n = esc(name);
                let _ = writeln!(s, "hull_output_alerts_total{{output=\"{n}\"}} {ok}");
                let _ = writeln!(errs, "hull_output_errors_total{{output=\"{n}\"}} {err}");
                let _ = writeln!(
                    drops,
                    "hull_output_dropped_total{{output=\"{n}\"}} {dropped}"
                );
            }
        }
        let _ = writeln!(s, "# HELP hull_output_errors_total Failed deliveries (each retry counts).\n# TYPE hull_output_errors_total counter");
        s.push_str(&errs);
        let _ = writeln!(s, "# HELP hull_output_dropped_total Alerts an output gave up on (queue or backlog full, retries exhausted).\n# TYPE hull_output_dropped_total counter");
        s.push_str(&drops);
        s
    }
}

/// Serve `GET /metrics` (and `/healthz`) on `addr` until `stop` is set. Returns the bound
/// address (port 0 picks a free port).
pub fn serve(
    metrics: Arc<Metrics>,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    std::thread::Builder::new()
        .name("hull-metrics".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut c, _)) => {
                        let _ = c.set_nonblocking(false);
                        let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
                        let _ = c.set_write_timeout(Some(Duration::from_secs(5)));
                        let mut buf = [0u8; 4096];
                        let mut req = Vec::new();
                        let start = Instant::now();
                        while !req.windows(4).any(|w| w == b"\r\n\r\n")
                            && req.len() < 16 * 1024
                            && start.elapsed() < Duration::from_secs(2)
                        {
                            match c.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => req.extend_from_slice(&buf[..n]),
                            }
                        }
                        let line = String::from_utf8_lossy(&req);
                        let path = line.split_whitespace().nth(1).unwrap_or("");
                        let (status, ctype, body) = match path.split('?').next() {
                            Some("/metrics") => ("200 OK", "text/plain; version=0.0.4", metrics.render()),
                            Some("/healthz") => ("200 OK", "text/plain", "ok\n".to_string()),
                            _ => ("404 Not Found", "text/plain", "not found\n".to_string()),
                        };
                        let _ = c.write_all(
                            format!(
                                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                body.len()
                            )
                            .as_bytes(),
                        );
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        })?;
    Ok(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_is_weighted_sum_over_window() {
        let m = Metrics::new("replay", Duration::from_secs(300));
        m.alert_at("a", Priority::Critical, "c1", "web", 1000);
        m.alert_at("a", Priority::Critical, "c1", "web", 1000);
        m.alert_at("b", Priority::Notice, "c1", "web", 1100);
        m.alert_at("b", Priority::Warning, "c2", "", 1200);
        let s = m.scores_at(1200);
        assert_eq!(s["c1"].1, 2.0 * 10.0 + 1.0);
        assert_eq!(s["c2"].1, 3.0);
        // 301 s later the critical alerts have left the window.
        let s = m.scores_at(1301);
        assert_eq!(s["c1"].1, 1.0);
        let s = m.scores_at(2000);
        assert_eq!(s["c1"].1, 0.0);
        assert!(!m.scores_at(2001).contains_key("c1"));
    }

    #[test]
    fn exposition_lists_every_metric_name() {
        let m = Metrics::new("fallback", Duration::from_secs(300));
        m.event("exec", Duration::from_micros(3));
        m.alert_at(
            "shell-in-container",
            Priority::Warning,
            "c\"1",
            "n",
            unix_secs(),
        );
        m.set_drop_probe(Box::new(|| vec![("high".into(), 0), ("open".into(), 5)]));
        m.set_filtered_probe(Box::new(|| vec![(("open".into(), "path".into()), 7)]));
        m.add_output("stdout", Box::new(|| (1, 0, 0)));
        let text = m.render();
        for name in METRIC_NAMES {
            assert!(
                text.lines()
                    .any(|l| l.starts_with(name) && !l.starts_with('#')),
                "{name} missing:\n{text}"
            );
        }
        assert!(text.contains("container_id=\"c\\\"1\""));
        assert!(text.contains("hull_source_drops_total{buffer=\"open\"} 5"));
        assert!(text.contains("hull_kernel_filtered_total{type=\"open\",reason=\"path\"} 7"));
        assert!(text.contains("hull_rule_eval_seconds_bucket{le=\"0.000005\"} 1"));
    }

    #[test]
    fn http_server_serves_metrics() {
        let m = Arc::new(Metrics::new("replay", Duration::from_secs(60)));
        let stop = Arc::new(AtomicBool::new(false));
        let addr = serve(m, "127.0.0.1:0".parse().unwrap(), stop.clone()).unwrap();
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut resp = String::new();
        c.read_to_string(&mut resp).unwrap();
        assert!(resp.starts_with("HTTP/1.1 200 OK"));
        assert!(resp.contains("hull_source_info{source=\"replay\"} 1"));
        stop.store(true, Ordering::Relaxed);
    }
}
