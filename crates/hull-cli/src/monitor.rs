//! `hull monitor`: wiring of hull-runtime's sources, pipeline, outputs and metrics.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hull_runtime::metrics::{self, Metrics};
use hull_runtime::output::{JsonLines, Webhook, WebhookTarget};
use hull_runtime::pipeline::Pipeline;
use hull_runtime::rules::{Engine, Priority};
use hull_runtime::source::{self, SourceCtl, SourceMsg};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceKind {
    /// Best available: eBPF, then the fallback.
    Auto,
    /// eBPF tracepoints (needs root and BTF).
    Ebpf,
    /// Netlink process connector + /proc (exec, fork, exit, uid changes, ptrace).
    Fallback,
    /// Events from a JSON-lines file (`--replay`).
    Replay,
}

/// Boxed so the `Command` enum in main.rs stays small.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    opts: Box<Opts>,
}

#[derive(clap::Args)]
pub struct Opts {
    /// Event source; `auto` picks the best that works and says which at start.
    #[arg(long, value_enum, default_value = "auto")]
    source: SourceKind,
    /// Replay recorded events (JSON lines) instead of watching the system.
    #[arg(long, value_name = "FILE")]
    replay: Option<PathBuf>,
    /// eBPF: also report file opens of host processes (default: containers only).
    #[arg(long)]
    host_opens: bool,
    /// Extra rule file (repeatable; later definitions override earlier ones). SIGHUP
    /// reloads all rule files; a set with errors is rejected and the running rules stay.
    #[arg(long = "rules", value_name = "FILE")]
    rules: Vec<PathBuf>,
    /// Do not load the built-in ruleset.
    #[arg(long)]
    no_default_rules: bool,
    /// Validate the rules and exit (0 ok, 2 errors).
    #[arg(long)]
    check_rules: bool,
    /// Write alerts as JSON lines to FILE (appending) instead of stdout.
    #[arg(long, value_name = "FILE")]
    alerts: Option<PathBuf>,
    /// Also record every event (after attribution) as JSON lines, replayable later.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// POST each alert as JSON to this http:// or https:// URL (bounded queue, retries).
    #[arg(long, value_name = "URL")]
    webhook: Option<String>,
    /// Also trust the CA certificates in this PEM file for an https webhook (an
    /// internal CA); the public web roots stay trusted.
    #[arg(long, value_name = "FILE", env = "HULL_WEBHOOK_CA")]
    webhook_ca: Option<PathBuf>,
    /// Alerts waiting for the webhook before new ones are dropped (and counted).
    #[arg(long, default_value_t = 1024)]
    webhook_queue: usize,
    /// Webhook connect/read timeout in seconds.
    #[arg(long, default_value_t = 5)]
    webhook_timeout: u64,
    /// Prometheus /metrics listen address.
    #[arg(long, default_value = "127.0.0.1:9477")]
    metrics_addr: std::net::SocketAddr,
    /// Do not serve metrics.
    #[arg(long)]
    no_metrics: bool,
    /// Runtime state directory with runc `state.json` files (repeatable).
    #[arg(long = "runtime-root", value_name = "DIR")]
    runtime_root: Vec<PathBuf>,
    /// Window of the per-container score M, seconds.
    #[arg(long, default_value_t = 300)]
    score_window: u64,
    /// Stop after this many seconds (default: run until SIGINT/SIGTERM, or replay end).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Record the syscalls each container makes for DURATION (`90`, `30s`, `5m`), then
    /// write a minimal seccomp profile (eBPF source only).
    #[arg(long, value_name = "DURATION")]
    learn: Option<String>,
    /// Where `--learn` writes: `FILE.json` (one profile, union of all containers) or a
    /// directory (`<container-id>.json` each).
    #[arg(long, value_name = "PATH")]
    seccomp_out: Option<PathBuf>,
    /// Exit 1 if any alert at or above this priority was raised.
    #[arg(long, value_name = "PRIORITY")]
    exit_code: Option<String>,
}

static STOP: AtomicBool = AtomicBool::new(false);
/// Set by SIGHUP: reload the rule files at the next pipeline slice.
static RELOAD: AtomicBool = AtomicBool::new(false);

/// `30`, `30s`, `5m`, `1h` -> seconds.
fn parse_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last()? {
        (i, 's') => (&s[..i], 1.0),
        (i, 'm') => (&s[..i], 60.0),
        (i, 'h') => (&s[..i], 3600.0),
        _ => (s, 1.0),
    };
    let v: f64 = num.parse().ok()?;
    (v > 0.0 && v.is_finite()).then_some(v * mult)
}

/// One profile per container (`DIR/<container-id>.json`), or, when `out` ends in
/// `.json`, one profile allowing the union of every container's syscalls.
fn write_profiles(
    pipeline: &mut Pipeline,
    learned: &std::sync::Mutex<Vec<(String, Vec<u32>)>>,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let learned = learned.lock().map(|v| v.clone()).unwrap_or_default();
    let mut per: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
    for (cgroup, nrs) in learned {
        let Some(c) = pipeline.attributor.attribute_at(&cgroup, 0) else {
            continue;
        };
        per.entry(c.id).or_default().extend(nrs);
    }
    if per.is_empty() {
        eprintln!("hull monitor: --learn saw no container syscalls; no profile written");
        return Ok(());
    }
    let write = |path: &std::path::Path, nrs: &[u32]| -> anyhow::Result<()> {
        let (profile, unknown) = hull_runtime::seccomp::profile(nrs);
        if !unknown.is_empty() {
            eprintln!("hull monitor: syscall numbers without a name left out: {unknown:?}");
        }
        let text = serde_json::to_string_pretty(&profile)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))
    };
    if out.extension().is_some_and(|e| e == "json") {
        let mut all: Vec<u32> = per.values().flatten().copied().collect();
        all.sort_unstable();
        all.dedup();
        write(out, &all)?;
        eprintln!(
            "hull monitor: seccomp profile for {} container(s) -> {}",
            per.len(),
            out.display()
        );
    } else {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        for (id, nrs) in &per {
            let p = out.join(format!("{id}.json"));
            write(&p, nrs)?;
            eprintln!("hull monitor: seccomp profile for {id} -> {}", p.display());
        }
    }
    Ok(())
}

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

extern "C" fn on_hangup(_: libc::c_int) {
    RELOAD.store(true, Ordering::SeqCst);
}

fn install_signals() {
    // SAFETY: the handlers only store to atomics, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGHUP, on_hangup as *const () as libc::sighandler_t);
    }
}

/// SIGHUP: compile the rule files again; a set with errors is not used (the running
/// rules stay) and each error is printed with its file:line:column. The kernel's open
/// filter follows the new rules, so paths they add are reported from then on.
fn reload_rules(pipeline: &mut Pipeline, args: &Opts, open_filter: &source::ebpf::FilterHandle) {
    match pipeline.reload_rules(!args.no_default_rules, &args.rules) {
        Ok(enabled) => {
            open_filter.set(pipeline.engine.open_filter());
            eprintln!("hull monitor: rules reloaded, {enabled} enabled")
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("hull: rule error: {e}");
            }
            eprintln!(
                "hull monitor: rule reload failed ({} errors); keeping the previous rules",
                errors.len()
            );
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let args = *args.opts;
    let (engine, errors) = Engine::load(!args.no_default_rules, &args.rules);
    for e in &errors {
        eprintln!("hull: rule error: {e}");
    }
    let enabled = engine.rules().iter().filter(|r| r.enabled).count();
    // Kernel-side filter of read-only opens, derived from the rules (eBPF source).
    let open_filter = source::ebpf::FilterHandle::new(engine.open_filter());
    if args.check_rules {
        eprintln!(
            "hull: {} rules compiled ({enabled} enabled), {} errors",
            engine.rules().len(),
            errors.len()
        );
        return Ok(if errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        });
    }
    let learn_secs = match &args.learn {
        None => None,
        Some(d) => Some(parse_duration(d).with_context(|| format!("bad --learn duration `{d}`"))?),
    };
    if learn_secs.is_some() && args.seccomp_out.is_none() {
        anyhow::bail!("--learn needs --seccomp-out PATH");
    }
    if learn_secs.is_some()
        && (args.replay.is_some()
            || matches!(args.source, SourceKind::Fallback | SourceKind::Replay))
    {
        anyhow::bail!("--learn needs the eBPF source (syscalls are recorded in the kernel)");
    }
    let threshold = match &args.exit_code {
        None => None,
        Some(p) => Some(
            Priority::parse(p)
                .with_context(|| format!("unknown priority `{p}` for --exit-code"))?,
        ),
    };

    let kind = if args.replay.is_some() {
        SourceKind::Replay
    } else {
        args.source
    };
    // Choose the source; say why a better one was not used.
    let (chosen, why) = match kind {
        SourceKind::Replay => {
            if args.replay.is_none() {
                anyhow::bail!("--source replay needs --replay FILE");
            }
            ("replay", String::new())
        }
        SourceKind::Ebpf => {
            source::ebpf::available().context("eBPF source")?;
            ("ebpf", String::new())
        }
        SourceKind::Fallback => {
            source::proc_connector::available().context("fallback source")?;
            ("fallback", String::new())
        }
        SourceKind::Auto => match source::ebpf::available() {
            Ok(()) => ("ebpf", String::new()),
            Err(e) => {
                source::proc_connector::available()
                    .with_context(|| format!("no usable event source ({e})"))?;
                ("fallback", format!(" ({e})"))
            }
        },
    };

    let metrics = Arc::new(Metrics::new(chosen, Duration::from_secs(args.score_window)));
    metrics.set_rules(enabled, errors.len());
    let roots = if args.runtime_root.is_empty() {
        vec![PathBuf::from("/run/runc")]
    } else {
        args.runtime_root.clone()
    };
    let mut pipeline = Pipeline::new(
        engine,
        roots,
        metrics.clone(),
        chosen,
        Box::new(|m| eprintln!("hull: {m}")),
    );
    let out = match &args.alerts {
        Some(p) => JsonLines::file(p, 100_000)
            .with_context(|| format!("cannot open alerts file {}", p.display()))?,
        None => JsonLines::new(Box::new(std::io::stdout()), 100_000),
    };
    let st = out.stats.clone();
    metrics.add_output(
        if args.alerts.is_some() {
            "file"
        } else {
            "stdout"
        },
        Box::new(move || {
            (
                st.written.load(Ordering::Relaxed),
                st.write_errors.load(Ordering::Relaxed),
                st.dropped.load(Ordering::Relaxed),
            )
        }),
    );
    pipeline.alerts_out = Some(out);
    if let Some(p) = &args.record {
        pipeline.record = Some(
            JsonLines::file(p, 100_000)
                .with_context(|| format!("cannot open record file {}", p.display()))?,
        );
    }
    if let Some(u) = &args.webhook {
        let target = WebhookTarget::new(
            u,
            args.webhook_ca.as_deref(),
            Duration::from_secs(args.webhook_timeout.max(1)),
        )?;
        let w = Webhook::start(target, args.webhook_queue.max(1), 3)
            .context("cannot start the webhook sender")?;
        let st = w.stats.clone();
        metrics.add_output(
            "webhook",
            Box::new(move || {
                (
                    st.written.load(Ordering::Relaxed),
                    st.write_errors.load(Ordering::Relaxed),
                    st.dropped.load(Ordering::Relaxed),
                )
            }),
        );
        pipeline.webhook = Some(w);
    }

    install_signals();
    let stop = Arc::new(AtomicBool::new(false));
    let ctl = SourceCtl {
        stop: stop.clone(),
        ..SourceCtl::default()
    };
    let stats = ctl.stats.clone();
    metrics.set_drop_probe(Box::new(move || stats.snapshot()));
    let stats = ctl.stats.clone();
    metrics.set_filtered_probe(Box::new(move || stats.filtered_snapshot()));
    let metrics_stop = Arc::new(AtomicBool::new(false));
    let metrics_url = if args.no_metrics {
        "off".to_string()
    } else {
        let addr = metrics::serve(metrics.clone(), args.metrics_addr, metrics_stop.clone())
            .with_context(|| format!("cannot listen on {} for metrics", args.metrics_addr))?;
        format!("http://{addr}/metrics")
    };

    let (tx, rx) = sync_channel::<SourceMsg>(65_536);
    let src_ctl = ctl.clone();
    let replay = args.replay.clone();
    let use_ebpf = chosen == "ebpf";
    let learned: source::ebpf::Learned = Arc::default();
    let ebpf_opts = source::ebpf::Options {
        host_opens: args.host_opens,
        learn: learn_secs.map(|_| learned.clone()),
        open_filter: open_filter.clone(),
    };
    let handle = std::thread::Builder::new()
        .name("hull-source".into())
        .spawn(move || -> Result<(), source::SourceError> {
            match replay {
                Some(p) => source::replay::run(&p, tx, src_ctl),
                None if use_ebpf => source::ebpf::run(tx, src_ctl, ebpf_opts),
                None => source::proc_connector::run(tx, src_ctl),
            }
        })
        .context("cannot start the source thread")?;
    // Announce only once the source sees events (scripts wait for this line).
    let wait_start = Instant::now();
    while !ctl.is_ready() && !handle.is_finished() && wait_start.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    if handle.is_finished() && !ctl.is_ready() {
        return match handle.join() {
            Ok(Err(e)) => Err(anyhow::Error::new(e)),
            _ => Err(anyhow::anyhow!(
                "the event source stopped before it was ready"
            )),
        };
    }
    // What the source can see (e.g. whether the fallback has file opens).
    let notes: String = ctl.notes().iter().map(|n| format!(", {n}")).collect();
    eprintln!(
        "hull monitor: source={chosen}{why}{notes}, rules={enabled} enabled ({} errors), metrics={metrics_url}",
        errors.len()
    );

    let duration = learn_secs.or(args.duration);
    let deadline = duration.map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    // The pipeline polls the process-wide STOP (signals) through this bridge.
    let bridge_stop = stop.clone();
    std::thread::spawn(move || {
        while !STOP.load(Ordering::Relaxed) && !bridge_stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
        bridge_stop.store(true, Ordering::Relaxed);
    });
    let mut worst: Option<Priority> = None;
    let start = Instant::now();
    let mut n = 0u64;
    loop {
        // Run in slices so the worst priority can be tracked for --exit-code.
        let slice_end = Instant::now() + Duration::from_millis(200);
        let until = match deadline {
            Some(d) if d < slice_end => d,
            _ => slice_end,
        };
        n += pipeline.run_collect(&rx, &stop, Some(until), &mut |a| {
            worst = Some(match worst {
                Some(w) if w <= a.priority => w,
                _ => a.priority,
            });
        });
        if stop.load(Ordering::Relaxed)
            || deadline.is_some_and(|d| Instant::now() >= d)
            || pipeline.source_ended
        {
            break;
        }
        // Between slices: events keep queueing in the source channel meanwhile.
        if RELOAD.swap(false, Ordering::SeqCst) {
            reload_rules(&mut pipeline, &args, &open_filter);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let source_result = handle.join();
    // Alerts still queued for the webhook get a bounded grace period (retries included).
    if let Some(w) = pipeline.webhook.take() {
        let wait = Duration::from_secs(args.webhook_timeout.max(1) * 2);
        let left = w.finish(wait);
        if left > 0 {
            eprintln!(
                "hull monitor: webhook: {left} alerts not delivered at exit (counted as dropped)"
            );
        }
    }
    metrics_stop.store(true, Ordering::Relaxed);
    eprintln!(
        "hull monitor: {n} events in {:.1}s; drops: {:?}",
        start.elapsed().as_secs_f64(),
        ctl.stats.snapshot()
    );
    match source_result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(anyhow::Error::new(e)),
        Err(_) => anyhow::bail!("the event source thread panicked"),
    }
    if let (Some(_), Some(out)) = (learn_secs, &args.seccomp_out) {
        write_profiles(&mut pipeline, &learned, out)?;
    }
    Ok(match (threshold, worst) {
        // Priorities order from most severe; "at or above" = Ord less-or-equal.
        (Some(t), Some(w)) if w <= t => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}
