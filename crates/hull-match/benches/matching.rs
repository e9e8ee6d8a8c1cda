//! Matching throughput: package × advisory version checks per second.
//!
//! `cargo bench -p hull-match --bench matching` — imports every corpus feed into a fresh
//! database, catalogues app-debian and a few legacy images (Alpine, Debian, CentOS) the
//! way `hull image` does, then runs `match_inventory` on each repeatedly and prints
//! checks/s and packages/s. A check is one candidate advisory whose version rules were
//! evaluated against one package (`Stats::version_checks`): the lookup, decoding and
//! version comparisons it costs are all inside the timed loop. Rates are from the
//! median run. Skips loudly when the corpus is absent. `BENCH_SECS` (default 2) is the
//! time spent per inventory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hull_model::Inventory;
use hull_vulndb::{import, store, Db};

fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("HULL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    p.join("feeds").is_dir().then_some(p)
}

fn inventory(target: &str) -> Inventory {
    let image = hull_image::open(target, &hull_image::OpenOptions::default())
        .unwrap_or_else(|e| panic!("{target}: {e}"));
    hull_catalog::catalog(&image, &hull_catalog::CatalogOptions::default())
        .unwrap_or_else(|e| panic!("{target}: {e}"))
}

fn main() {
    let Some(c) = corpus() else {
        println!("SKIP: corpus not found (set HULL_CORPUS); matching benchmark not run");
        return;
    };
    let secs: f64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let tmp = tempfile::tempdir().expect("temporary directory");
    let db_path = tmp.path().join("hull.db");

    let t = Instant::now();
    let (updates, _) = import::read_path(&c.join("feeds"), None);
    let write = store::write(&db_path, updates, "bench").expect("writing the database");
    let records: i64 = write.sources.iter().map(|s| s.records).sum();
    let size = std::fs::metadata(&db_path).map(|m| m.len()).unwrap_or(0);
    println!(
        "database: {} sources, {records} records, {:.1} MiB, imported in {:.2} s",
        write.sources.len(),
        size as f64 / (1024.0 * 1024.0),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let db = Db::open(&db_path).expect("opening the database");
    println!("open: {:.3} ms", t.elapsed().as_secs_f64() * 1e3);

    let images = c.join("images");
    let legacy = images.join("legacy");
    let targets = [
        format!(
            "oci-archive:{}",
            images.join("app-debian.oci.tar").display()
        ),
        format!(
            "docker-archive:{}",
            legacy.join("alpine-3.4-clair-fixture.docker.tar").display()
        ),
        format!(
            "docker-archive:{}",
            legacy.join("debian-8.7-jira.docker.tar").display()
        ),
        format!("oci-dir:{}", legacy.join("centos-7.5.1804.oci").display()),
    ];
    println!(
        "\n{:28} {:>8} {:>8} {:>9} {:>7} {:>12} {:>11} {:>9}",
        "inventory",
        "packages",
        "checks",
        "findings",
        "runs",
        "checks/s",
        "packages/s",
        "median ms"
    );
    let (mut all_checks, mut all_pkgs, mut all_time) = (0usize, 0usize, Duration::ZERO);
    for target in &targets {
        let name = target
            .rsplit('/')
            .next()
            .unwrap_or(target)
            .trim_end_matches(".tar")
            .trim_end_matches(".docker")
            .trim_end_matches(".oci")
            .to_string();
        if !Path::new(target.split_once(':').map_or(target.as_str(), |(_, p)| p)).exists() {
            println!("{name:28} SKIP: image not in the corpus");
            continue;
        }
        let inv = inventory(target);
        // One untimed run: the page cache and SQLite's cache start warm, as in a
        // rescan with `hull image` against a warm database.
        let first = hull_match::match_inventory(&inv, &db).expect("matching");
        // Each run is timed on its own and the median reported: the machine this runs on
        // is usually shared, and a median shrugs off runs another process interrupted.
        let mut times: Vec<Duration> = Vec::new();
        let t = Instant::now();
        while times.is_empty() || t.elapsed().as_secs_f64() < secs {
            let run = Instant::now();
            let r = hull_match::match_inventory(&inv, &db).expect("matching");
            times.push(run.elapsed());
            assert_eq!(r.stats.version_checks, first.stats.version_checks);
            std::hint::black_box(r);
        }
        times.sort();
        let median = times[times.len() / 2].as_secs_f64().max(1e-9);
        let (checks, pkgs) = (first.stats.version_checks, first.stats.packages);
        println!(
            "{name:28} {:>8} {:>8} {:>9} {:>7} {:>12.0} {:>11.0} {:>9.2}",
            pkgs,
            checks,
            first.findings.len(),
            times.len(),
            checks as f64 / median,
            pkgs as f64 / median,
            median * 1e3
        );
        all_checks += checks;
        all_pkgs += pkgs;
        all_time += Duration::from_secs_f64(median);
    }
    if !all_time.is_zero() {
        println!(
            "\nall (sum of medians): {:.0} checks/s, {:.0} packages/s (one thread)",
            all_checks as f64 / all_time.as_secs_f64(),
            all_pkgs as f64 / all_time.as_secs_f64()
        );
    }
}
