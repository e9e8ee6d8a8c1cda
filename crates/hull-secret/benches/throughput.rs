//! Secret-scanning throughput on the real files of app-debian.
//!
//! `cargo bench -p hull-secret` — streams `app-debian.oci.tar` once with hull-image and
//! keeps every file the scanner wants in memory (what the one-pass walk hands it), then
//! times, on exactly those bytes:
//! - `memchr`: counting newlines with `memchr` — reading the bytes once at SIMD speed,
//!   the physical limit of any scan;
//! - `scan`: `Scanner::scan` on each file, one thread and all threads;
//! - the image walk itself (decompression + tar) with a visitor that only reads the
//!   bytes, and with one that also scans them: what secret scanning adds to a walk.
//!
//! Rates are medians of `BENCH_RUNS` runs (default 5). Skips loudly without the corpus.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hull_image::{EntryKind, OpenOptions};
use hull_secret::Scanner;

fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("HULL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    p.join("images/app-debian.oci.tar").is_file().then_some(p)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let Some(c) = corpus() else {
        println!("SKIP: corpus not found (set HULL_CORPUS); secret throughput benchmark not run");
        return;
    };
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let target = format!(
        "oci-archive:{}",
        c.join("images/app-debian.oci.tar").display()
    );
    let image = hull_image::open(&target, &OpenOptions::default()).expect("open app-debian");
    let scanner = Scanner::builtin();

    let files: Mutex<Vec<(String, Vec<u8>)>> = Mutex::new(Vec::new());
    image
        .walk(&|e, r| {
            let path = e.path.to_string();
            if e.kind == EntryKind::File && scanner.wants(&path, e.size) {
                let mut data = Vec::with_capacity(e.size as usize);
                r.read_to_end(&mut data)?;
                files.lock().unwrap().push((path, data));
            }
            Ok(())
        })
        .expect("walk");
    let files = files.into_inner().unwrap();
    let bytes: usize = files.iter().map(|(_, d)| d.len()).sum();
    let mb = bytes as f64 / (1 << 20) as f64;
    println!(
        "app-debian: {} files wanted by the scanner, {mb:.1} MiB",
        files.len()
    );

    let mut newlines = 0usize;
    let t_memchr = time(runs, || {
        newlines = files
            .iter()
            .map(|(_, d)| memchr::memchr_iter(b'\n', d).count())
            .sum();
    });
    let mut findings = 0usize;
    let t_scan = time(runs, || {
        findings = files.iter().map(|(p, d)| scanner.scan(p, d).len()).sum();
    });
    assert_eq!(findings, 0, "app-debian files have no secrets");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t_par = time(runs, || {
        let chunk = files.len().div_ceil(threads);
        std::thread::scope(|s| {
            for part in files.chunks(chunk) {
                let scanner = &scanner;
                s.spawn(move || {
                    part.iter()
                        .map(|(p, d)| scanner.scan(p, d).len())
                        .sum::<usize>()
                });
            }
        });
    });
    let rate = |t: Duration| mb / t.as_secs_f64();
    println!(
        "memchr newline count: {:>8.1} MiB/s  ({newlines} lines, {:.3} s)",
        rate(t_memchr),
        t_memchr.as_secs_f64()
    );
    println!(
        "Scanner::scan, 1 thread: {:>5.1} MiB/s  ({:.3} s, {:.2}x the memchr time)",
        rate(t_scan),
        t_scan.as_secs_f64(),
        t_scan.as_secs_f64() / t_memchr.as_secs_f64()
    );
    println!(
        "Scanner::scan, {threads} threads: {:>5.1} MiB/s  ({:.3} s)",
        rate(t_par),
        t_par.as_secs_f64()
    );

    // The walk itself: inflate + tar, bytes read; then the same walk scanning them.
    let walk = |scan: bool| {
        time(runs.min(3), || {
            image
                .walk(&|e, r| {
                    if e.kind == EntryKind::File {
                        let path = e.path.to_string();
                        let mut data = Vec::with_capacity(e.size as usize);
                        r.read_to_end(&mut data)?;
                        if scan && scanner.wants(&path, e.size) {
                            std::hint::black_box(scanner.scan(&path, &data));
                        }
                    }
                    Ok(())
                })
                .expect("walk");
        })
    };
    let (w0, w1) = (walk(false), walk(true));
    println!(
        "image walk (inflate + tar + read): {:.3} s; with secret scan: {:.3} s ({:+.0}%)",
        w0.as_secs_f64(),
        w1.as_secs_f64(),
        (w1.as_secs_f64() / w0.as_secs_f64() - 1.0) * 100.0
    );
}
