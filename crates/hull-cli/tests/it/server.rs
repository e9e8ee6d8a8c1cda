//! `hull server` + `hull image --server` through the real binary: two real Alpine
//! images pushed, the database updated with `hull db import` under the running
//! server, the rescan seen through the API, a restart on the same data directory.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The server process, its URL and an admin token made for it.
struct Running(Child, String, String);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `hull server token create` on a store: the printed secret.
fn make_token(store_args: &[&str]) -> String {
    let mut args = vec![
        "server", "token", "create", "--name", "test", "--scope", "admin",
    ];
    args.extend_from_slice(store_args);
    let out = hull(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(token.starts_with("hull_"), "{token}");
    token
}

fn start_server(data: &Path, db: &Path, audit: &[&Path]) -> Running {
    let token = make_token(&["--data", data.to_str().unwrap()]);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hull"));
    cmd.args([
        "server",
        "--listen",
        "127.0.0.1:0",
        "--rescan-interval",
        "0.2",
        "--public-read",
    ]);
    for dir in audit {
        cmd.arg("--audit-dir").arg(dir);
    }
    cmd.arg("--data").arg(data).arg("--db").arg(db);
    spawn_server(cmd, token)
}

/// Spawn `hull server …` and read the address from its first stdout line.
fn spawn_server(mut cmd: Command, token: String) -> Running {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn hull server");
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("hull server listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    Running(child, url, token)
}

/// GET over a plain socket (the test needs no HTTP client dependency).
fn get(base: &str, path: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let code = resp.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (code, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// `hull ARGS` with `HULL_SERVER_TOKEN` set.
fn hull_as(args: &[&str], token: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hull"))
        .args(args)
        .env_remove("HULL_SERVER")
        .env("HULL_SERVER_TOKEN", token)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn hull(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hull"))
        .args(args)
        .env_remove("HULL_SERVER")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn server_and_image_push_round_trip() {
    let Some(c) = super::corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let data = tmp.path().join("data");
    let feeds = c.join("feeds/alpine/secdb-yaml/v3.9");
    let import = |file: &str| {
        let out = hull(&[
            "db",
            "import",
            "--db",
            db.to_str().unwrap(),
            feeds.join(file).to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "import {file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    import("community.yaml");
    let k8s = c.join("configs/k8s");
    let server = start_server(&data, &db, &[&k8s]);
    let url = server.1.clone();

    let legacy = c.join("images/legacy");
    let push = |target: String, name: Option<&str>| {
        let mut args = vec![
            "image",
            "--db",
            db.to_str().unwrap(),
            &target,
            "--format",
            "json",
            "--server",
            &url,
        ];
        if let Some(n) = name {
            args.extend(["--server-image", n]);
        }
        let out = hull_as(&args, &server.2);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{target}: {err}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        (report, err)
    };
    let (_, err) = push(
        format!(
            "oci-dir:{}",
            legacy.join("alpine-3.9.6-minirootfs.oci").display()
        ),
        Some("shop/api:1.0"),
    );
    assert!(err.contains("as shop/api:1.0"), "{err}");
    let (report, err) = push(
        format!(
            "docker-archive:{}",
            legacy.join("alpine-3.9.4.docker.tar").display()
        ),
        Some("shop/api:1.1"),
    );
    assert!(err.contains("as shop/api:1.1"), "{err}");
    assert_eq!(
        report["summary"]["reported"], 0,
        "community feed only: nothing yet"
    );
    // Without --server-image the name comes from the archive's RepoTags.
    let (_, err) = push(
        format!(
            "docker-archive:{}",
            legacy.join("alpine-3.9.4.docker.tar").display()
        ),
        None,
    );
    assert!(
        err.contains("as docker.io/legacy/alpine-3.9.4:latest"),
        "{err}"
    );

    // The database is updated under the running server: the rescan finds openssl/musl.
    import("main.yaml");
    let deadline = Instant::now() + Duration::from_secs(30);
    let versions = loop {
        let (code, v) = get(&url, "/api/v1/images/shop/api/versions");
        assert_eq!(code, 200, "{v}");
        if v["versions"][0]["latest_scan"]["kind"] == "rescan" {
            break v;
        }
        assert!(Instant::now() < deadline, "no rescan: {v:#}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let newest = &versions["versions"][0];
    assert_eq!(newest["tag"], "1.1");
    let n = newest["latest_scan"]["counts"]["unknown"].as_u64().unwrap();
    assert!(n >= 3, "alpine 3.9.4 has known vulnerabilities: {newest:#}");
    assert_eq!(newest["latest_scan"]["new_findings"].as_u64(), Some(n));
    let (_, rec) = get(
        &url,
        "/api/v1/images/shop%2Fapi/recommendation?severity=unknown",
    );
    assert_eq!(rec["action"], "roll-back", "{rec:#}");
    assert_eq!(rec["recommended"]["tag"], "1.0");

    // A server that is down fails the command (exit 2) after the report was written.
    let out_file = tmp.path().join("r.json");
    let dead = hull(&[
        "image",
        "--db",
        db.to_str().unwrap(),
        &format!(
            "docker-archive:{}",
            legacy.join("alpine-3.9.4.docker.tar").display()
        ),
        "--format",
        "json",
        "-o",
        out_file.to_str().unwrap(),
        "--server",
        "http://127.0.0.1:9",
        "--server-image",
        "shop/api:9",
    ]);
    assert_eq!(dead.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&dead.stderr).contains("cannot reach the server"));
    assert!(out_file.is_file());

    // Restart on the same data directory: everything is still there.
    drop(server);
    let server = start_server(&data, &db, &[]);
    let (code, all) = get(&server.1, "/api/v1/images");
    assert_eq!(code, 200);
    assert_eq!(all["images"].as_array().unwrap().len(), 3, "{all:#}");
    let (code, _) = get(&server.1, "/api/v1/images/..%2Fx/versions");
    assert_eq!(code, 400);
    // The scheduled audit of the corpus manifests ran at the first start.
    let (code, audits) = get(&server.1, "/api/v1/audits");
    assert_eq!(code, 200);
    let run = &audits["audits"][0];
    assert!(run["files"].as_u64().unwrap() >= 10, "{audits:#}");
    assert!(run["counts"]["high"].as_u64().unwrap() > 0, "{audits:#}");
}

#[test]
fn server_store_urls_that_cannot_work_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let refused = format!("postgres://hull:secret@127.0.0.1:{port}/hull");
    for (store, want) in [
        (
            refused.as_str(),
            format!("postgres://hull@127.0.0.1:{port}/hull"),
        ),
        ("mysql://db/hull", "expected postgres://".to_string()),
        (
            "postgres://hull@127.0.0.1:notaport/hull",
            "bad PostgreSQL URL".to_string(),
        ),
    ] {
        let out = hull(&[
            "server",
            "--listen",
            "127.0.0.1:0",
            "--data",
            data,
            "--store",
            store,
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{store}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{store}: one line: {err}");
        assert!(err.contains(&want), "{store}: {err}");
        assert!(
            !err.contains("secret"),
            "{store}: the password leaked: {err}"
        );
        assert!(out.stdout.is_empty(), "{store}: never listened");
    }
    // Nothing was created in --data when a PostgreSQL store was asked for.
    assert!(!dir.path().join("server.db").exists());
    let help = hull(&["server", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--store <URL>") && help.contains("HULL_SERVER_STORE"),
        "{help}"
    );
}

/// POST a JSON body over a plain socket; the status code.
fn post(base: &str, path: &str, body: &str, token: &str) -> u16 {
    let mut s = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[test]
fn two_server_replicas_share_one_postgres_store() {
    let Some(pg) = hull_testkit::pg::PgServer::start() else {
        return;
    };
    let url = pg.database("replicas");
    let dir = tempfile::tempdir().unwrap();
    let token = make_token(&["--store", &url]);
    let replica = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hull"));
        cmd.args([
            "server",
            "--listen",
            "127.0.0.1:0",
            "--public-read",
            "--store",
            &url,
        ])
        .arg("--db")
        .arg(dir.path().join("no-db-yet.db"))
        .arg("--data")
        .arg(dir.path().join("unused"));
        spawn_server(cmd, token.clone())
    };
    let (a, b) = (replica(), replica());
    let inventory = |repo_tag: &str| {
        serde_json::json!({
            "inventory": {
                "image": { "target": format!("inventory:{repo_tag}"), "repo_tags": [repo_tag] },
                "packages": []
            }
        })
        .to_string()
    };
    assert_eq!(
        post(&a.1, "/api/v1/scans", &inventory("shop/web:1"), &a.2),
        201
    );
    assert_eq!(
        post(&b.1, "/api/v1/scans", &inventory("shop/api:2"), &b.2),
        201
    );
    // Either replica shows both pushes.
    for r in [&a, &b] {
        let (code, v) = get(&r.1, "/api/v1/images");
        assert_eq!(code, 200);
        let mut repos: Vec<&str> = v["images"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["repository"].as_str())
            .collect();
        repos.sort_unstable();
        assert_eq!(repos, ["shop/api", "shop/web"], "{v}");
    }
    // SQLite was not used.
    assert!(!dir.path().join("unused/server.db").exists());
}

/// Image identity through the real binary: the corpus's OCI archives (whose index
/// names only a tag) need --server-image and keep their manifest digest; a
/// docker-archive is named by its RepoTags and identified by its config digest.
#[test]
fn pushed_images_keep_their_repository_and_digest() {
    let Some(c) = super::corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let data = tmp.path().join("data");
    let out = hull(&[
        "db",
        "import",
        "--db",
        db.to_str().unwrap(),
        c.join("feeds/alpine/secdb-yaml/v3.9/community.yaml")
            .to_str()
            .unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = start_server(&data, &db, &[]);
    let push = |target: &str, name: Option<&str>| {
        let mut args = vec![
            "image",
            "--db",
            db.to_str().unwrap(),
            target,
            "--format",
            "json",
            "--server",
            &server.1,
        ];
        if let Some(n) = name {
            args.extend(["--server-image", n]);
        }
        hull_as(&args, &server.2)
    };
    let images = c.join("images");
    for (file, name) in [
        ("app-debian.oci.tar", "team/app-debian:1.0"),
        ("secrets.oci.tar", "team/secrets:1.0"),
    ] {
        let target = format!("oci-archive:{}", images.join(file).display());
        let out = push(&target, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file} without a name: {err}");
        assert!(err.contains("--server-image"), "{file}: {err}");
        let out = push(&target, Some(name));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{file}: {err}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let digest = report["image"]["manifest_digest"]
            .as_str()
            .unwrap()
            .to_string();
        let repo = name.split(':').next().unwrap();
        let (code, v) = get(
            &server.1,
            &format!("/api/v1/images/{}/versions", repo.replace('/', "%2F")),
        );
        assert_eq!(code, 200, "{v}");
        assert_eq!(v["versions"][0]["digest"], digest.as_str(), "{file}: {v}");
        let (code, h) = get(
            &server.1,
            &format!(
                "/api/v1/images/{}/digests/{digest}",
                repo.replace('/', "%2F")
            ),
        );
        assert_eq!(code, 200, "{h}");
        assert_eq!(
            h["versions"][0]["scans"].as_array().unwrap().len(),
            1,
            "{h}"
        );
    }
    // No repository called "1.0" was made.
    let (_, all) = get(&server.1, "/api/v1/images");
    assert!(
        all["images"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["repository"] != "1.0"),
        "{all}"
    );
    // docker-archive: RepoTags name it, the config digest identifies it.
    let target = format!(
        "docker-archive:{}",
        images.join("secrets.docker.tar").display()
    );
    let out = push(&target, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let config = report["image"]["config_digest"].as_str().unwrap();
    let tag0 = report["image"]["repo_tags"][0].as_str().unwrap();
    let (repo, _) = tag0.rsplit_once(':').unwrap();
    let (code, v) = get(
        &server.1,
        &format!("/api/v1/images/{}/versions", repo.replace('/', "%2F")),
    );
    assert_eq!(code, 200, "{repo}: {v}");
    assert_eq!(v["versions"][0]["digest"], config, "{v}");
}

/// POST over a plain socket, tolerant of the server dying: `Some(status)` only for
/// a complete status line.
fn try_post(base: &str, path: &str, body: &str, token: &str) -> Option<u16> {
    let mut s = TcpStream::connect(base.trim_start_matches("http://")).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    resp.get(9..12).and_then(|c| c.parse().ok())
}

/// SIGKILL during a burst of pushes: every push the server acknowledged (201) is
/// there after a restart on the same store.
fn kill_during_burst(store_args: &[&str], db: &Path) {
    let token = make_token(store_args);
    let start = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hull"));
        cmd.args(["server", "--listen", "127.0.0.1:0", "--public-read"])
            .args(store_args)
            .arg("--db")
            .arg(db);
        spawn_server(cmd, token.clone())
    };
    let mut server = start();
    let url = server.1.clone();
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (url, token, acked, stop) =
                (url.clone(), token.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                // Bounded: at most 500 pushes per worker.
                for i in 0..500 {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    let tag = format!("{w}.{i}");
                    let body = serde_json::json!({
                        "inventory": {
                            "image": { "target": format!("inventory:burst:{tag}"), "repo_tags": [format!("shop/burst:{tag}")] },
                            "packages": []
                        }
                    })
                    .to_string();
                    match try_post(&url, "/api/v1/scans", &body, &token) {
                        Some(201) => acked.lock().unwrap().push(tag),
                        Some(code) => panic!("push {tag}: {code}"),
                        None => return, // the server died mid-request: not acknowledged
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 40 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    server.0.kill().unwrap(); // SIGKILL
    server.0.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 40,
        "only {} pushes before the kill",
        acked.len()
    );
    let again = start();
    let (code, v) = get(&again.1, "/api/v1/images?limit=5000");
    assert_eq!(code, 200, "{v}");
    let stored: std::collections::BTreeSet<String> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["tag"].as_str().map(str::to_string))
        .collect();
    let lost: Vec<&String> = acked.iter().filter(|t| !stored.contains(*t)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}

#[test]
fn sigkill_during_a_push_burst_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    kill_during_burst(
        &["--data", data.to_str().unwrap()],
        &dir.path().join("no-db.db"),
    );
    let Some(pg) = hull_testkit::pg::PgServer::start() else {
        return;
    };
    let url = pg.database("burst");
    kill_during_burst(&["--store", &url], &dir.path().join("no-db.db"));
}
