//! The pipeline: source messages in, alerts out. Single-threaded by design — rules are
//! fast (≥ 1M events/s on one core) and one thread keeps per-process state simple.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::attribution::Attributor;
use crate::event::Event;
use crate::metrics::Metrics;
use crate::output::{JsonLines, Webhook};
use crate::rules::{Alert, Engine, RuleError};
use crate::source::SourceMsg;

/// Where diagnostics go (the CLI prints them to stderr; tests collect them).
pub type DiagSink = Box<dyn FnMut(&str) + Send>;

pub struct Pipeline {
    pub engine: Engine,
    pub attributor: Attributor,
    pub metrics: Arc<Metrics>,
    pub alerts_out: Option<JsonLines>,
    pub webhook: Option<Webhook>,
    pub source: String,
    /// Also write every event (after attribution) here: `--record FILE`.
    pub record: Option<JsonLines>,
    diag: DiagSink,
    idx: Vec<usize>,
    last_output_error: Option<String>,
    /// The source sent `End` or went away.
    pub source_ended: bool,
}

impl Pipeline {
    pub fn new(
        engine: Engine,
        runtime_roots: Vec<PathBuf>,
        metrics: Arc<Metrics>,
        source: &str,
        diag: DiagSink,
    ) -> Pipeline {
        Pipeline {
            engine,
            attributor: Attributor::new(runtime_roots),
            metrics,
            alerts_out: None,
            webhook: None,
            source: source.to_string(),
            record: None,
            diag,
            idx: Vec::new(),
            last_output_error: None,
            source_ended: false,
        }
    }

    /// Reload the rules (SIGHUP): compile the built-in set (when `include_default`) and
    /// `files` again. If anything fails to validate, the running rules stay in place
    /// and the errors (`file:line:column: …`) are returned; nothing is lost either way,
    /// since events wait in the source channel while this runs. Counted in
    /// `hull_rules_reload_total{result}`. Returns the number of enabled rules.
    pub fn reload_rules(
        &mut self,
        include_default: bool,
        files: &[impl AsRef<std::path::Path>],
    ) -> Result<usize, Vec<RuleError>> {
        let (engine, errors) = Engine::load(include_default, files);
        if !errors.is_empty() {
            self.metrics.rules_reload(false);
            return Err(errors);
        }
        let enabled = engine.rules().iter().filter(|r| r.enabled).count();
        self.engine = engine;
        self.metrics.set_rules(enabled, 0);
        self.metrics.rules_reload(true);
        Ok(enabled)
    }

    pub fn diagnostic(&mut self, msg: &str) {
        self.metrics.diagnostic();
        (self.diag)(msg);
    }

    /// Attribute, evaluate, deliver. Returns the alerts raised.
    pub fn handle(&mut self, mut ev: Event) -> Vec<Alert> {
        if ev.container.is_none() && !ev.cgroup.is_empty() {
            ev.container = self.attributor.attribute_at(&ev.cgroup, ev.ts_ns);
        }
        // Drift: the executable changed after the container was created.
        if let Some(c) = &ev.container {
            if c.created_ns > 0 && ev.exe_ctime_ns > c.created_ns {
                ev.exe_drift = true;
            }
        }
        if let Some(rec) = self.record.as_mut() {
            if let Ok(line) = serde_json::to_string(&ev) {
                // Recording reuses JsonLines' backlog logic through a raw line.
                rec.write_raw(line);
            }
        }
        let t = Instant::now();
        self.idx.clear();
        self.engine.matching(&ev, &mut self.idx);
        let eval = t.elapsed();
        self.metrics
            .event(ev.kind.map(|k| k.as_str()).unwrap_or("unknown"), eval);
        let idx = std::mem::take(&mut self.idx);
        let mut alerts = Vec::with_capacity(idx.len());
        for &i in &idx {
            if let Some(a) = self.engine.alert(i, &ev, &self.source) {
                alerts.push(a);
            }
        }
        self.idx = idx;
        for a in &alerts {
            self.metrics.alert(a);
            if let Some(w) = &self.webhook {
                w.send(a);
            }
            if let Some(out) = self.alerts_out.as_mut() {
                out.write(a);
                let err = out.last_error.clone();
                if err.is_some() && err != self.last_output_error {
                    let msg = format!(
                        "cannot write alerts ({}); keeping up to the backlog limit and retrying",
                        err.as_deref().unwrap_or("")
                    );
                    self.diagnostic(&msg);
                } else if err.is_none() && self.last_output_error.is_some() {
                    self.diagnostic("alert output recovered; backlog written");
                }
                self.last_output_error = err;
            }
        }
        alerts
    }

    /// Consume messages until the source ends, `stop` is set, or `deadline` passes.
    pub fn run(
        &mut self,
        rx: &Receiver<SourceMsg>,
        stop: &AtomicBool,
        deadline: Option<Instant>,
    ) -> u64 {
        self.run_collect(rx, stop, deadline, &mut |_| {})
    }

    /// [`Pipeline::run`], calling `on_alert` for every alert raised.
    pub fn run_collect(
        &mut self,
        rx: &Receiver<SourceMsg>,
        stop: &AtomicBool,
        deadline: Option<Instant>,
        on_alert: &mut dyn FnMut(&Alert),
    ) -> u64 {
        let mut n = 0u64;
        loop {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(SourceMsg::Event(ev)) => {
                    n += 1;
                    for a in self.handle(*ev) {
                        on_alert(&a);
                    }
                }
                Ok(SourceMsg::Diagnostic(d)) => self.diagnostic(&d),
                Ok(SourceMsg::End) | Err(RecvTimeoutError::Disconnected) => {
                    self.source_ended = true;
                    break;
                }
                Err(RecvTimeoutError::Timeout) => {
                    // Retry a stuck alert backlog even when no new alerts arrive.
                    if let Some(out) = self.alerts_out.as_mut() {
                        if out.backlog_len() > 0 && out.flush_backlog() {
                            self.last_output_error = None;
                            self.diagnostic("alert output recovered; backlog written");
                        }
                    }
                }
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::parse_runc_state;
    use crate::event::EventType;

    #[test]
    fn attribution_and_drift_applied_before_rules() {
        let (engine, _) = Engine::load(true, &[] as &[&str]);
        let metrics = Arc::new(Metrics::new("test", Duration::from_secs(60)));
        let mut p = Pipeline::new(engine, vec![], metrics.clone(), "test", Box::new(|_| {}));
        let st = parse_runc_state(
            br#"{"id":"ctr1","created":"2026-01-01T00:00:00Z","config":{"rootfs":"/r"},
                "cgroup_paths":{"":"/sys/fs/cgroup/ctr1"}}"#,
        )
        .unwrap();
        p.attributor.add_state(st);
        let mut ev = Event::new(EventType::Exec, 9);
        ev.comm = "miner".into();
        ev.cgroup = "0::/ctr1\n".into();
        ev.exe_ctime_ns = crate::attribution::parse_rfc3339_ns("2026-01-01T00:00:05Z").unwrap();
        let alerts = p.handle(ev.clone());
        let rules: Vec<&str> = alerts.iter().map(|a| a.rule.as_str()).collect();
        assert_eq!(rules, vec!["drift-binary-executed"]);
        assert_eq!(alerts[0].container_id, "ctr1");
        // An executable older than the container is not drift.
        ev.exe_ctime_ns -= 10_000_000_000;
        assert!(p.handle(ev.clone()).is_empty());
        // Same process on the host: nothing.
        ev.cgroup = "0::/user.slice\n".into();
        ev.exe_ctime_ns += 10_000_000_000;
        assert!(p.handle(ev).is_empty());
        let text = metrics.render();
        assert!(text.contains("hull_alerts_total{rule=\"drift-binary-executed\",priority=\"critical\",container_id=\"ctr1\"} 1"));
        assert!(text.contains("hull_events_total{type=\"exec\"} 3"));
    }

    #[test]
    fn reload_swaps_rules_or_keeps_the_old_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("r.yaml");
        let rule = |name: &str, comm: &str| {
            format!("- rule: {name}\n  condition: evt.type = exec and proc.name = {comm}\n  priority: notice\n")
        };
        std::fs::write(&file, rule("first", "aaa")).unwrap();
        let (engine, errors) = Engine::load(false, &[&file]);
        assert!(errors.is_empty());
        let metrics = Arc::new(Metrics::new("test", Duration::from_secs(60)));
        let mut p = Pipeline::new(engine, vec![], metrics.clone(), "test", Box::new(|_| {}));
        let exec = |comm: &str| {
            let mut ev = Event::new(EventType::Exec, 1);
            ev.comm = comm.into();
            ev
        };
        assert_eq!(p.handle(exec("aaa")).len(), 1);

        std::fs::write(&file, rule("second", "bbb")).unwrap();
        assert_eq!(p.reload_rules(false, &[&file]), Ok(1));
        assert!(p.handle(exec("aaa")).is_empty());
        assert_eq!(p.handle(exec("bbb"))[0].rule, "second");

        // A broken file: errors with positions, the running rules stay.
        std::fs::write(
            &file,
            format!(
                "{}- rule: bad\n  condition: proc.nmae = x\n",
                rule("third", "ccc")
            ),
        )
        .unwrap();
        let errs = p.reload_rules(false, &[&file]).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].line, errs[0].column), (5, 14), "{}", errs[0]);
        assert!(errs[0].to_string().contains("unknown field `proc.nmae`"));
        assert_eq!(p.handle(exec("bbb"))[0].rule, "second");
        assert!(p.handle(exec("ccc")).is_empty());
        let text = metrics.render();
        assert!(
            text.contains("hull_rules_reload_total{result=\"ok\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("hull_rules_reload_total{result=\"error\"} 1"),
            "{text}"
        );
    }
}
