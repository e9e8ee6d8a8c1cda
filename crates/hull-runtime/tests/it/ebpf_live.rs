//! The eBPF source against the running kernel (root only): read-only opens are
//! filtered in the kernel by the rule-derived prefixes, the filter can be swapped at
//! run time, and exec events arrive enriched from the kernel record.

use std::process::Command;
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use hull_runtime::event::{Event, EventType};
use hull_runtime::rules::open_filter::OpenFilter;
use hull_runtime::source::ebpf::{self, FilterHandle, Options};
use hull_runtime::source::{SourceCtl, SourceMsg};

fn skip(why: &str) {
    if std::env::var("HULL_REQUIRE_RUNTIME").as_deref() == Ok("1") {
        panic!("{why}");
    }
    eprintln!("SKIP: {why}");
}

fn collect_until(
    rx: &std::sync::mpsc::Receiver<SourceMsg>,
    got: &mut Vec<Event>,
    within: Duration,
    done: impl Fn(&[Event]) -> bool,
) {
    let end = Instant::now() + within;
    while Instant::now() < end && !done(got) {
        if let Ok(SourceMsg::Event(e)) = rx.recv_timeout(Duration::from_millis(50)) {
            got.push(*e);
        }
    }
}

fn opened(got: &[Event], path: &str) -> bool {
    got.iter()
        .any(|e| e.kind == Some(EventType::Open) && e.path == path)
}

#[test]
fn ebpf_kernel_open_filter_and_exec_enrichment() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return skip("eBPF test needs root");
    }
    let dir = tempfile::tempdir().unwrap();
    let wanted = dir.path().join("wanted");
    let other = dir.path().join("other");
    std::fs::write(&wanted, "w").unwrap();
    std::fs::write(&other, "o").unwrap();
    let (wanted, other) = (
        wanted.to_str().unwrap().to_string(),
        other.to_str().unwrap().to_string(),
    );
    let filter = FilterHandle::new(OpenFilter::Prefixes(vec![wanted.clone()]));
    let ctl = SourceCtl::default();
    let (tx, rx) = sync_channel(1 << 16);
    let src_ctl = ctl.clone();
    let opts = Options {
        host_opens: true,
        learn: None,
        open_filter: filter.clone(),
    };
    let h = std::thread::spawn(move || ebpf::run(tx, src_ctl, opts));
    let start = Instant::now();
    while !ctl.is_ready() && !h.is_finished() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    if !ctl.is_ready() {
        let why = match h.join() {
            Ok(Err(e)) => e.to_string(),
            _ => "source did not start".into(),
        };
        return skip(&format!("eBPF source unavailable: {why}"));
    }

    // The test process itself is never reported: a child does the opens.
    let st = Command::new("cat")
        .args([&wanted, &other])
        .output()
        .unwrap();
    assert_eq!(st.stdout, b"wo");
    let mut got = Vec::new();
    collect_until(&rx, &mut got, Duration::from_secs(5), |g| {
        opened(g, &wanted)
    });
    // Give a stray late record the chance to show up before asserting its absence.
    collect_until(&rx, &mut got, Duration::from_millis(300), |_| false);
    assert!(opened(&got, &wanted), "wanted path not reported");
    assert!(
        !opened(&got, &other),
        "a path outside the prefixes reached user space"
    );
    let exec = got
        .iter()
        .find(|e| e.kind == Some(EventType::Exec) && e.args.get(1) == Some(&wanted))
        .expect("exec of cat");
    assert!(exec.exe.ends_with("/cat"), "{}", exec.exe);
    assert_eq!(
        exec.args,
        vec!["cat".to_string(), wanted.clone(), other.clone()]
    );
    assert_eq!(exec.comm, "cat");
    assert!(!exec.pcomm.is_empty());
    // The executable's ctime, from the inode: after 2001-09-09 (1e9 s).
    assert!(exec.exe_ctime_ns > 1_000_000_000 * 1_000_000_000);
    assert!(!exec.stdio_socket);
    assert_eq!(exec.ppid, std::process::id());

    // stdout a socket (a reverse shell's shape): flagged from the kernel's fd table.
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    let marker = format!("hull-it-{}", std::process::id());
    Command::new("echo")
        .arg(&marker)
        .stdout(std::process::Stdio::from(std::os::fd::OwnedFd::from(a)))
        .status()
        .unwrap();
    let mut got = Vec::new();
    let is_echo = |e: &Event| e.kind == Some(EventType::Exec) && e.args.get(1) == Some(&marker);
    collect_until(&rx, &mut got, Duration::from_secs(5), |g| {
        g.iter().any(is_echo)
    });
    let echo = got.iter().find(|e| is_echo(e)).expect("exec of echo");
    assert!(echo.stdio_socket, "{echo:?}");

    // Filtered opens are counted (published every 500 ms).
    let end = Instant::now() + Duration::from_secs(3);
    let path_filtered = || {
        ctl.stats
            .filtered_snapshot()
            .into_iter()
            .find(|((t, r), _)| t == "open" && r == "path")
            .map(|(_, n)| n)
            .unwrap_or(0)
    };
    while path_filtered() == 0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(path_filtered() > 0);

    // Swap the filter at run time: now the other file is wanted.
    filter.set(OpenFilter::Prefixes(vec![other.clone()]));
    std::thread::sleep(Duration::from_millis(200));
    Command::new("cat")
        .args([&wanted, &other])
        .output()
        .unwrap();
    let mut got = Vec::new();
    collect_until(&rx, &mut got, Duration::from_secs(5), |g| opened(g, &other));
    assert!(opened(&got, &other), "filter change not applied");

    // `All` (a rule that does not reduce to prefixes): every read-only open.
    filter.set(OpenFilter::All);
    std::thread::sleep(Duration::from_millis(200));
    Command::new("cat")
        .args([&wanted, &other])
        .output()
        .unwrap();
    let mut got = Vec::new();
    collect_until(&rx, &mut got, Duration::from_secs(5), |g| {
        opened(g, &wanted) && opened(g, &other)
    });
    assert!(opened(&got, &wanted) && opened(&got, &other));

    ctl.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    drop(rx);
    h.join().unwrap().unwrap();
}
