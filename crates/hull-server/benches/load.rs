//! Load benchmark of `hull server` on loopback (bounded in count and time):
//! push throughput over HTTP, p50/p99 latency of the read routes under 50
//! concurrent clients with N stored versions (default 10,000), a full rescan of N
//! stored inventories, and the process's memory.
//!
//! `cargo bench -p hull-server --bench load` (or `bench/server-load.sh`);
//! `HULL_BENCH_VERSIONS=N` changes N, `HULL_BENCH_READ_SECS` the read phase (10 s).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hull_model::{
    Advisory, Affected, Ecosystem, FixState, ImagePath, Inventory, Namespace, OsvEvent, OsvRange,
    Package, Purl, Severity, VersionRule,
};
use hull_server::store::{Scope, SqliteStore};
use hull_server::{App, Config, Server};
use hull_vulndb::store::{SourceData, SourceUpdate};

fn npm(name: &str, version: &str) -> Package {
    Package::new(
        Ecosystem::Npm,
        name,
        version,
        Purl::new("npm", None, name, Some(version), &[]),
        ImagePath::new(&format!("app/node_modules/{name}/package.json")).unwrap(),
        "npm-package",
    )
}

fn advisory(id: &str, package: &str, fixed: &str, severity: Severity) -> Advisory {
    Advisory {
        id: id.into(),
        source: "bench".into(),
        summary: Some(format!("{package} is vulnerable")),
        severity,
        affected: vec![Affected::new(
            Namespace::ecosystem(Ecosystem::Npm),
            package,
            VersionRule::Osv {
                ranges: vec![OsvRange {
                    kind: "SEMVER".into(),
                    events: vec![
                        OsvEvent::Introduced("0".into()),
                        OsvEvent::Fixed(fixed.into()),
                    ],
                }],
                versions: vec![],
            },
            FixState::Fixed(fixed.into()),
        )],
        ..Default::default()
    }
}

fn body(repo: usize, tag: usize) -> String {
    let mut inv = Inventory::default();
    let name = format!("team{}/app{}:{tag}.0.0", repo % 10, repo);
    inv.image.target = format!("inventory:{name}");
    inv.image.repo_tags = vec![name];
    inv.packages = (0..20)
        .map(|p| npm(&format!("lib-{p}"), &format!("1.{}.0", (tag + p) % 4)))
        .collect();
    serde_json::json!({ "inventory": inv }).to_string()
}

fn rss() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |k: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    (kb("VmRSS:"), kb("VmHWM:"))
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let n: usize = std::env::var("HULL_BENCH_VERSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
        .clamp(10, 100_000);
    let read_secs: u64 = std::env::var("HULL_BENCH_READ_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .clamp(1, 60);
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    let advisories = (0..20)
        .map(|p| {
            advisory(
                &format!("GHSA-bnch-{p:04}-0001"),
                &format!("lib-{p}"),
                "1.2.0",
                [
                    Severity::Low,
                    Severity::Medium,
                    Severity::High,
                    Severity::Critical,
                ][p % 4],
            )
        })
        .collect();
    hull_vulndb::store::write(
        &vulndb,
        vec![SourceUpdate {
            name: "bench".into(),
            result: Ok(SourceData {
                origin: "generated".into(),
                advisories,
                ..SourceData::default()
            }),
        }],
        "2026-01-01T00:00:00Z",
    )
    .unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("server.db")).unwrap());
    let (token, _) = hull_server::tokens::issue(
        store.as_ref(),
        "bench",
        Scope::Admin,
        "bench",
        1_800_000_000,
    )
    .unwrap();
    let app = Arc::new(
        App::new(
            store,
            Config {
                vulndb: vulndb.clone(),
                rescan_interval: Duration::from_secs(3600),
                ..Config::default()
            },
        )
        .unwrap(),
    );
    let server = Server::start(app.clone(), "127.0.0.1:0", 4).unwrap();
    let base = format!("http://{}", server.addr());
    let auth = format!("Bearer {token}");
    println!("hull server load benchmark: {n} versions, {read_secs} s of reads, loopback");

    // 1. Push throughput over HTTP: 8 clients push N versions (1,000 repositories).
    let next = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let pushers: Vec<_> = (0..8)
        .map(|_| {
            let (next, base, auth) = (next.clone(), base.clone(), auth.clone());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return;
                    }
                    let r = agent
                        .post(&format!("{base}/api/v1/scans"))
                        .set("Authorization", &auth)
                        .set("Content-Type", "application/json")
                        .send_string(&body(i % 1000, i / 1000));
                    assert!(r.is_ok_and(|r| r.status() == 201), "push {i}");
                }
            })
        })
        .collect();
    for p in pushers {
        p.join().unwrap();
    }
    let push_secs = t.elapsed().as_secs_f64();
    println!(
        "push: {n} pushes (20 packages each) in {push_secs:.1} s = {:.0} pushes/s (8 clients)",
        n as f64 / push_secs
    );
    let (rss_now, _) = rss();
    println!("memory after {n} versions: RSS {} MiB", rss_now / 1024);

    // 2. Reads under 50 concurrent clients.
    let routes = [
        "/api/v1/images?limit=100".to_string(),
        "/api/v1/images/team3/app13/versions".to_string(),
        "/api/v1/images/team3/app13/recommendation".to_string(),
        "/healthz".to_string(),
    ];
    let lat: Arc<Mutex<Vec<Vec<Duration>>>> = Arc::new(Mutex::new(vec![Vec::new(); routes.len()]));
    let deadline = Instant::now() + Duration::from_secs(read_secs);
    let readers: Vec<_> = (0..50)
        .map(|c| {
            let (lat, base, auth, routes) =
                (lat.clone(), base.clone(), auth.clone(), routes.clone());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                let mut mine = vec![Vec::new(); routes.len()];
                let mut k = c;
                while Instant::now() < deadline {
                    let r = k % routes.len();
                    k += 1;
                    let t = Instant::now();
                    let ok = agent
                        .get(&format!("{base}{}", routes[r]))
                        .set("Authorization", &auth)
                        .call()
                        .is_ok_and(|r| r.status() == 200 && r.into_string().is_ok());
                    assert!(ok, "GET {}", routes[r]);
                    mine[r].push(t.elapsed());
                }
                let mut all = lat.lock().unwrap();
                for (a, m) in all.iter_mut().zip(mine) {
                    a.extend(m);
                }
            })
        })
        .collect();
    for r in readers {
        r.join().unwrap();
    }
    for (route, mut l) in routes.iter().zip(lat.lock().unwrap().clone()) {
        l.sort();
        println!(
            "read {route}: {} requests ({:.0}/s), p50 {:.1} ms, p99 {:.1} ms",
            l.len(),
            l.len() as f64 / read_secs as f64,
            pct(&l, 0.5).as_secs_f64() * 1e3,
            pct(&l, 0.99).as_secs_f64() * 1e3
        );
    }

    // 3. A full rescan of every stored inventory (a changed database: every version
    // gets a new scan), then one against the same database (nothing changes).
    let mut changed: Vec<Advisory> = (0..20)
        .map(|p| {
            advisory(
                &format!("GHSA-bnch-{p:04}-0002"),
                &format!("lib-{p}"),
                "1.3.0",
                Severity::High,
            )
        })
        .collect();
    changed.truncate(20);
    hull_vulndb::store::write(
        &vulndb,
        vec![SourceUpdate {
            name: "bench".into(),
            result: Ok(SourceData {
                origin: "generated".into(),
                advisories: changed,
                ..SourceData::default()
            }),
        }],
        "2026-02-01T00:00:00Z",
    )
    .unwrap();
    let t = Instant::now();
    let o = app.rescan_all("bench").unwrap();
    println!(
        "rescan (changed database): {} versions in {:.1} s, {} new scans",
        o.images,
        t.elapsed().as_secs_f64(),
        o.scans.len()
    );
    let t = Instant::now();
    let o = app.rescan_all("bench").unwrap();
    println!(
        "rescan (same database): {} versions in {:.1} s, {} unchanged, {} new scans",
        o.images,
        t.elapsed().as_secs_f64(),
        o.unchanged,
        o.scans.len()
    );
    let (rss_now, hwm) = rss();
    println!(
        "memory at the end: RSS {} MiB, peak {} MiB",
        rss_now / 1024,
        hwm / 1024
    );
    let size = std::fs::metadata(dir.path().join("server.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("store: {} MiB", size / (1024 * 1024));
    server.stop();
}
