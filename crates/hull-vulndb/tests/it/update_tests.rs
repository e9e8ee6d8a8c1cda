//! `hull db update` against a loopback HTTP server laid out like a mirror, and crash
//! safety of writes (a writer killed with SIGKILL leaves the previous database).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hull_model::Namespace;
use hull_vulndb::store::{self, Db, SourceData, SourceUpdate};
use hull_vulndb::update::{self, Options};

#[derive(Clone)]
enum Reply {
    Body(Vec<u8>, &'static str),
    /// Announce the full length, send half, close.
    Truncated(Vec<u8>),
    /// 500 for the first `n` requests, then the body.
    FlakyThenBody(usize, Vec<u8>),
}

/// A tiny HTTP/1.1 server: GET only, ETag/If-None-Match, one request per connection.
struct Server {
    port: u16,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<AtomicUsize>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let (r, h) = (routes.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, h) = (r.clone(), h.clone());
                std::thread::spawn(move || handle(stream, &r, &h));
            }
        });
        Server { port, routes, hits }
    }
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn set(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
    }
}

fn handle(mut s: TcpStream, routes: &Mutex<HashMap<String, Reply>>, hits: &AtomicUsize) {
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut inm = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("if-none-match:") {
            inm = Some(v.trim().to_string());
        }
    }
    let n = hits.fetch_add(1, Ordering::SeqCst);
    let reply = routes.lock().unwrap().get(&path).cloned();
    let _ = match reply {
        None => {
            s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        }
        Some(Reply::Body(body, etag)) => {
            if inm.as_deref() == Some(&etag.to_ascii_lowercase()) {
                s.write_all(b"HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n")
            } else {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: {etag}\r\nConnection: close\r\n\r\n", body.len());
                s.write_all(head.as_bytes())
                    .and_then(|_| s.write_all(&body))
            }
        }
        Some(Reply::Truncated(body)) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes())
                .and_then(|_| s.write_all(&body[..body.len() / 2]))
        }
        Some(Reply::FlakyThenBody(fail, body)) => {
            if n < fail {
                s.write_all(b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            } else {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                s.write_all(head.as_bytes())
                    .and_then(|_| s.write_all(&body))
            }
        }
    };
}

fn alpine_json(fixed: &str) -> Vec<u8> {
    format!(r#"{{"distroversion":"v3.20","reponame":"main","packages":[{{"pkg":{{"name":"musl","secfixes":{{"{fixed}":["CVE-2025-26519"]}}}}}}]}}"#).into_bytes()
}

fn opts(base: &str, only: &[&str]) -> Options {
    Options {
        mirror: Some(base.to_string()),
        only: only.iter().map(|s| s.to_string()).collect(),
        attempts: 3,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(10),
        now: "test".into(),
    }
}

#[test]
fn update_from_mirror_conditional_retry_and_truncation() {
    let srv = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hull.db");
    let ns = Namespace::distro("alpine", "3.20");
    srv.set(
        "/alpine/v3.20/main.json",
        Reply::Body(alpine_json("1.2.5-r1"), "\"v1\""),
    );
    let dsa = b"[01 Apr 2023] DSA-9999-1 curl - security update\n\t{CVE-2023-1}\n\t[bookworm] - curl 7.88.1-10\n".to_vec();
    srv.set("/debian/DSA/list", Reply::FlakyThenBody(2, dsa));
    let (res, _) = update::run(
        &db,
        &opts(&srv.base(), &["alpine-secdb:v3.20-main", "debian-dsa"]),
        &|_| {},
    )
    .unwrap();
    let outcomes: Vec<_> = res
        .iter()
        .map(|r| (r.name.as_str(), r.outcome.as_str(), r.records))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("alpine-secdb:v3.20-main", "updated", 1),
            ("debian-dsa", "updated", 1)
        ],
        "{res:?}"
    );
    let handle = Db::open(&db).unwrap();
    assert_eq!(handle.lookup(&ns, "musl").unwrap()[0].id, "musl@1.2.5-r1");
    assert_eq!(handle.sources().unwrap()[0].etag.as_deref(), Some("\"v1\""));

    // Unchanged upstream: a conditional request, 304, nothing rewritten.
    let (res, report) = update::run(
        &db,
        &opts(&srv.base(), &["alpine-secdb:v3.20-main"]),
        &|_| {},
    )
    .unwrap();
    assert_eq!(res[0].outcome, "not-modified");
    assert!(report.is_none());

    // A truncated download fails that source and keeps its data.
    srv.set(
        "/alpine/v3.20/main.json",
        Reply::Truncated(alpine_json("1.2.5-r9")),
    );
    let (res, _) = update::run(&db, &opts(&srv.base(), &["alpine"]), &|_| {}).unwrap();
    let a = res
        .iter()
        .find(|r| r.name == "alpine-secdb:v3.20-main")
        .unwrap();
    assert_eq!(a.outcome, "failed");
    assert!(
        a.error.as_deref().unwrap().contains("truncated"),
        "{:?}",
        a.error
    );
    let handle = Db::open(&db).unwrap();
    assert_eq!(handle.lookup(&ns, "musl").unwrap()[0].id, "musl@1.2.5-r1");
    let s = handle
        .sources()
        .unwrap()
        .into_iter()
        .find(|s| s.name == "alpine-secdb:v3.20-main")
        .unwrap();
    assert_eq!(s.status, "error");

    // Corrupted content (valid HTTP, broken JSON) also keeps the old data.
    srv.set(
        "/alpine/v3.20/main.json",
        Reply::Body(
            b"{\"distroversion\":\"v3.20\",\"packages\":[".to_vec(),
            "\"v2\"",
        ),
    );
    let (res, _) = update::run(
        &db,
        &opts(&srv.base(), &["alpine-secdb:v3.20-main"]),
        &|_| {},
    )
    .unwrap();
    assert_eq!(res[0].outcome, "failed");
    assert_eq!(
        Db::open(&db).unwrap().lookup(&ns, "musl").unwrap()[0].id,
        "musl@1.2.5-r1"
    );
    assert!(srv.hits.load(Ordering::SeqCst) >= 6);
    assert!(update::run(&db, &opts(&srv.base(), &["nope"]), &|_| {}).is_err());
}

fn big_source(n: usize, tag: &str) -> SourceData {
    use hull_model::{Advisory, Affected, FixState, Severity, VersionRule};
    let advisories = (0..n)
        .map(|i| Advisory {
            id: format!("p{i}@{tag}-r{i}"),
            source: String::new(),
            aliases: vec![format!("CVE-2024-{i:05}")],
            summary: Some("generated for the crash test".into()),
            severity: Severity::Unknown,
            cvss: vec![],
            published: None,
            modified: None,
            withdrawn: None,
            informational: None,
            references: vec![],
            affected: vec![Affected {
                namespace: Namespace::distro("alpine", "3.20"),
                package: format!("p{i}"),
                rule: VersionRule::LessThan {
                    fixed: format!("{tag}-r{i}"),
                },
                fix: FixState::Fixed(format!("{tag}-r{i}")),
                fix_advisory: None,
                module: None,
                severity: None,
                binary_name: false,
            }],
        })
        .collect();
    SourceData {
        advisories,
        ..Default::default()
    }
}

/// Runs only as the child of `sigkill_mid_write_leaves_previous_db`.
#[test]
fn child_writer_process() {
    let Ok(path) = std::env::var("HULL_CHILD_DB") else {
        return;
    };
    loop {
        store::write(
            Path::new(&path),
            vec![SourceUpdate {
                name: "big".into(),
                result: Ok(big_source(20_000, "2.0")),
            }],
            "child",
        )
        .unwrap();
    }
}

#[test]
fn sigkill_mid_write_leaves_previous_db() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hull.db");
    store::write(
        &db,
        vec![SourceUpdate {
            name: "big".into(),
            result: Ok(big_source(2_000, "1.0")),
        }],
        "parent",
    )
    .unwrap();
    let exe = std::env::current_exe().unwrap();
    // Evidence that the child really was writing when killed: a completed swap
    // (new data visible) or an abandoned temporary file.
    let (mut saw_new, mut saw_temp) = (false, false);
    for delay_ms in [100u64, 400, 900, 1600, 2500] {
        let mut child = std::process::Command::new(&exe)
            .args([
                "update_tests::child_writer_process",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("HULL_CHILD_DB", &db)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let handle = Db::open(&db).expect("database still opens after SIGKILL");
        let n = handle
            .lookup(&Namespace::distro("alpine", "3.20"), "p1")
            .unwrap();
        assert_eq!(
            n.len(),
            1,
            "one complete version of the source, never a mix"
        );
        saw_new |= n[0].id.starts_with("p1@2.0");
        // The old source has 2,000 records, the new one 20,000: all or nothing.
        let ns = Namespace::distro("alpine", "3.20");
        let has_last_new = !handle.lookup(&ns, "p19999").unwrap().is_empty();
        assert_eq!(has_last_new, saw_new && n[0].id.starts_with("p1@2.0"));
        saw_temp |= std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".hull-db-"));
        let ok: String = rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }
    println!("killed writers: new data swapped in = {saw_new}, killed mid-write = {saw_temp}");
    assert!(
        saw_new || saw_temp,
        "the child never got to write: the test did not test anything"
    );
    let mut buf = Vec::new();
    std::fs::File::open(&db)
        .unwrap()
        .read_to_end(&mut buf)
        .unwrap();
    assert!(buf.starts_with(b"SQLite format 3\0"));
}
