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
    /// 503 for the next `n` requests to this route (the counter is shared by clones),
    /// then the body.
    FlakyRoute(Arc<AtomicUsize>, Vec<u8>),
    /// This status, every time.
    Status(u16),
}

/// (request target with query, `apiKey` header) of every request.
type Log = Mutex<Vec<(String, Option<String>)>>;

/// A tiny HTTP/1.1 server: GET only, ETag/If-None-Match, one request per connection.
struct Server {
    port: u16,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<AtomicUsize>,
    log: Arc<Log>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let log: Arc<Log> = Arc::default();
        let (r, h, l) = (routes.clone(), hits.clone(), log.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, h, l) = (r.clone(), h.clone(), l.clone());
                std::thread::spawn(move || handle(stream, &r, &h, &l));
            }
        });
        Server {
            port,
            routes,
            hits,
            log,
        }
    }
    fn requests(&self) -> Vec<(String, Option<String>)> {
        self.log.lock().unwrap().clone()
    }
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn set(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
    }
}

fn handle(mut s: TcpStream, routes: &Mutex<HashMap<String, Reply>>, hits: &AtomicUsize, log: &Log) {
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut inm = None;
    let mut api_key = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("if-none-match:") {
            inm = Some(v.trim().to_string());
        }
        if h.to_ascii_lowercase().starts_with("apikey:") {
            api_key = h.split_once(':').map(|(_, v)| v.trim().to_string());
        }
    }
    const BUSY: &[u8] = b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    fn ok(s: &mut impl Write, body: &[u8]) -> std::io::Result<()> {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).and_then(|_| s.write_all(body))
    }
    log.lock().unwrap().push((path.clone(), api_key));
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
        Some(Reply::Status(code)) => s.write_all(
            format!("HTTP/1.1 {code} Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        ),
        Some(Reply::FlakyRoute(left, body)) => {
            let fail = left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |x| x.checked_sub(1))
                .is_ok();
            if fail {
                s.write_all(BUSY)
            } else {
                ok(&mut s, &body)
            }
        }
        Some(Reply::FlakyThenBody(fail, body)) => {
            if n < fail {
                s.write_all(BUSY)
            } else {
                ok(&mut s, &body)
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
        nvd: update::NvdOptions {
            page_delay: Some(Duration::ZERO),
            ..Default::default()
        },
        ..Options::default()
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

/// Advisories keyed for comparison: id, aliases, severity and every affected row.
fn key_of(advs: &[hull_model::Advisory]) -> Vec<String> {
    let mut k: Vec<String> = advs
        .iter()
        .map(|a| {
            format!(
                "{} {:?} {} {:?}",
                a.id,
                a.aliases,
                a.severity,
                a.affected
                    .iter()
                    .map(|x| (x.namespace.as_str(), &x.package, &x.rule, &x.module))
                    .collect::<Vec<_>>()
            )
        })
        .collect();
    k.sort();
    k
}

#[test]
fn redhat_oval_bz2_from_mirror_equals_imported_xml() {
    let Some(c) = crate::corpus() else { return };
    let dir = c.join("feeds/redhat/oval-excerpt");
    let srv = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let records_of = |p: &Path| {
        let (ups, _) = hull_vulndb::import::read_path(p, Some("x"));
        let data = ups.into_iter().next().unwrap().result.unwrap();
        let skipped: Vec<String> = data.skipped.iter().map(|s| s.record.clone()).collect();
        (data.advisories, skipped)
    };
    // The real upstream .bz2 files in the corpus: `hull db import` reads them directly
    // (bzip2 detected by magic, whatever the name) exactly as their decompressed XML.
    for file in [
        "RHEL6/rhel-6-extras-including-unpatched.oval.xml.bz2",
        "RHEL8/ansible-2-including-unpatched.oval.xml.bz2",
    ] {
        let bz2 = std::fs::read(dir.join(file)).unwrap();
        let mut xml = Vec::new();
        bzip2::read::MultiBzDecoder::new(&bz2[..])
            .read_to_end(&mut xml)
            .unwrap();
        assert!(xml.starts_with(b"<?xml"));
        let xml_path = tmp.path().join("plain.oval.xml");
        std::fs::write(&xml_path, &xml).unwrap();
        let bz2_path = tmp.path().join("compressed.data");
        std::fs::write(&bz2_path, &bz2).unwrap();
        let (a, sa) = records_of(&xml_path);
        let (b, sb) = records_of(&bz2_path);
        assert_eq!((key_of(&a), &sa), (key_of(&b), &sb), "{file}");
        // Layered products (Extras, Ansible Engine) name no main RHEL product: their
        // definitions are reported as skipped, so the comparison has content.
        assert!(!sa.is_empty(), "{file}");
    }
    // The mirror serves, as RHEL 6, the real Extras .bz2, and as RHEL 8 the real RHEL 8
    // OVAL excerpt compressed here (the corpus has it only as XML).
    let rhel8_xml = c.join("feeds/legacy-excerpts/redhat-oval-v2/rhel-8.oval.xml");
    let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    enc.write_all(&std::fs::read(&rhel8_xml).unwrap()).unwrap();
    let rhel8_bz2 = enc.finish().unwrap();
    let rhel6 = dir.join("RHEL6/rhel-6-extras-including-unpatched.oval.xml.bz2");
    let mut xml6 = Vec::new();
    bzip2::read::MultiBzDecoder::new(&std::fs::read(&rhel6).unwrap()[..])
        .read_to_end(&mut xml6)
        .unwrap();
    let xml6_path = tmp.path().join("rhel-6.oval.xml");
    std::fs::write(&xml6_path, &xml6).unwrap();
    let served = [
        ("6", std::fs::read(&rhel6).unwrap(), records_of(&xml6_path)),
        ("8", rhel8_bz2.clone(), records_of(&rhel8_xml)),
    ];
    for (major, bz2, _) in &served {
        let src = update::SOURCES
            .iter()
            .find(|s| s.name == format!("redhat-oval:rhel-{major}"))
            .unwrap();
        srv.set(
            &format!("/{}", src.mirror_path),
            Reply::Body(bz2.clone(), "\"rh1\""),
        );
    }
    let expected: Vec<(&str, Vec<hull_model::Advisory>)> = served
        .iter()
        .map(|(m, _, (advs, _))| (*m, advs.clone()))
        .collect();
    let (res, _) = update::run(&db, &opts(&srv.base(), &["redhat"]), &|_| {}).unwrap();
    let outcome = |res: &[update::SourceResult], n: &str| {
        let r = res.iter().find(|r| r.name == n).unwrap();
        (r.outcome.clone(), r.records, r.error.clone())
    };
    // RHEL 7 and 9 are not served: they fail (404) without touching the others.
    assert_eq!(outcome(&res, "redhat-oval:rhel-7").0, "failed");
    let handle = Db::open(&db).unwrap();
    for (major, advs) in &expected {
        let name = format!("redhat-oval:rhel-{major}");
        let (o, records, err) = outcome(&res, &name);
        assert_eq!((o.as_str(), err), ("updated", None));
        let r = res.iter().find(|r| r.name == name).unwrap();
        let skipped: Vec<String> = r.skipped.iter().map(|s| s.record.clone()).collect();
        let want = &served.iter().find(|s| s.0 == *major).unwrap().2 .1;
        assert_eq!(&skipped, want, "{name}");
        assert_eq!(records, advs.len() as i64, "{name}");
        let mut stored = Vec::new();
        for a in advs {
            stored.extend(
                handle
                    .by_id(&a.id)
                    .unwrap()
                    .into_iter()
                    .filter(|s| s.source == name),
            );
        }
        assert_eq!(key_of(&stored), key_of(advs), "{name}");
        println!("{name}: {} advisories from the .bz2 mirror", stored.len());
    }
    assert!(
        expected[1].1.len() > 100,
        "the RHEL 8 excerpt holds real RHSAs"
    );
    let rhsa = handle
        .lookup(&Namespace::distro("rhel", "8"), "nodejs")
        .unwrap();
    assert!(!rhsa.is_empty(), "RHEL 8 nodejs advisories are matchable");

    // A truncated .bz2 (complete HTTP body, broken stream) fails that source with a
    // clear error and keeps its previous data.
    let src8 = update::SOURCES
        .iter()
        .find(|s| s.name == "redhat-oval:rhel-8")
        .unwrap();
    srv.set(
        &format!("/{}", src8.mirror_path),
        Reply::Body(rhel8_bz2[..rhel8_bz2.len() * 2 / 3].to_vec(), "\"rh2\""),
    );
    let (res, _) = update::run(&db, &opts(&srv.base(), &["redhat-oval:rhel-8"]), &|_| {}).unwrap();
    let (o, records, err) = outcome(&res, "redhat-oval:rhel-8");
    assert_eq!(o, "failed");
    let err = err.unwrap();
    assert!(err.contains("compressed stream"), "{err}");
    assert_eq!(records, expected[1].1.len() as i64);
    let handle = Db::open(&db).unwrap();
    assert_eq!(
        handle
            .lookup(&Namespace::distro("rhel", "8"), "nodejs")
            .unwrap()
            .len(),
        rhsa.len()
    );
    let info = handle
        .sources()
        .unwrap()
        .into_iter()
        .find(|s| s.name == "redhat-oval:rhel-8")
        .unwrap();
    assert_eq!(info.status, "error");
}

/// An NVD API 2.0 page holding `records[start..start+size]` of `total`.
fn nvd_page(records: &[serde_json::Value], start: usize, size: usize, total: usize) -> Vec<u8> {
    let end = (start + size).min(records.len());
    serde_json::to_vec(&serde_json::json!({
        "resultsPerPage": end.saturating_sub(start),
        "startIndex": start,
        "totalResults": total,
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2023-10-18T18:04:18.493",
        "vulnerabilities": records.get(start..end).unwrap_or(&[]),
    }))
    .unwrap()
}

fn nvd_window(from: u64, to: u64) -> String {
    let d = |t: u64| {
        format!(
            "{}.000%2B00:00",
            hull_model::rfc3339_utc(t).trim_end_matches('Z')
        )
    };
    format!("&lastModStartDate={}&lastModEndDate={}", d(from), d(to))
}

#[test]
fn nvd_paged_full_then_incremental_with_retries() {
    let Some(c) = crate::corpus() else { return };
    let page: serde_json::Value = serde_json::from_slice(
        &std::fs::read(c.join("feeds/nvd/api-2.0-page/vunnel-full-page.json")).unwrap(),
    )
    .unwrap();
    let records = page["vulnerabilities"].as_array().unwrap().clone();
    let total = records.len();
    assert_eq!(total, 38);
    let srv = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let base = "/nvd/cves/2.0?startIndex=";
    let route = |start: usize, window: &str| format!("{base}{start}&resultsPerPage=2000{window}");

    // NVD pages imported by hand: a plain update still leaves NVD out (no sync time,
    // so no surprise full download).
    let (imported, _) = hull_vulndb::import::read_path(
        &c.join("feeds/nvd/api-2.0-page/vunnel-single-entry.json"),
        None,
    );
    assert_eq!(imported[0].name, "nvd");
    store::write(&db, imported, "import").unwrap();
    let (res, _) = update::run(&db, &opts(&srv.base(), &[]), &|_| {}).unwrap();
    assert!(res.iter().all(|r| r.name != "nvd"));

    // Full sync: pages of 10 (the mirror pages more finely than asked; the client
    // follows startIndex/totalResults), the second page fails once with 503.
    for start in (0..total).step_by(10) {
        let body = nvd_page(&records, start, 10, total);
        let reply = if start == 10 {
            Reply::FlakyRoute(Arc::new(AtomicUsize::new(1)), body)
        } else {
            Reply::Body(body, "\"p\"")
        };
        srv.set(&route(start, ""), reply);
    }
    let t0: u64 = 1_700_000_000;
    let mut o = opts(&srv.base(), &["nvd"]);
    o.nvd.now_unix = Some(t0);
    o.nvd.api_key = Some("k-123".into());
    let pages = Mutex::new(Vec::new());
    let (res, _) = update::run(&db, &o, &|p| {
        if let update::Progress::Records {
            page, done, total, ..
        } = p
        {
            pages.lock().unwrap().push((page, done, total));
        }
    })
    .unwrap();
    assert_eq!(res.len(), 1);
    assert_eq!(res[0].outcome, "updated", "{:?}", res[0].error);
    assert_eq!(res[0].records, 38);
    assert_eq!(
        pages.into_inner().unwrap(),
        vec![(1, 10, 38), (2, 20, 38), (3, 30, 38), (4, 38, 38)]
    );
    let reqs = srv.requests();
    for start in [0, 10, 20, 30] {
        assert!(
            reqs.iter().any(|(p, _)| *p == route(start, "")),
            "page {start}"
        );
    }
    assert_eq!(
        reqs.iter().filter(|(p, _)| *p == route(10, "")).count(),
        2,
        "the 503 was retried"
    );
    assert!(reqs
        .iter()
        .filter(|(p, _)| p.starts_with("/nvd/"))
        .all(|(_, k)| k.as_deref() == Some("k-123")));
    let handle = Db::open(&db).unwrap();
    let a = handle.by_id("CVE-2023-45109").unwrap();
    assert_eq!(a.len(), 1);
    // NVD's Primary 8.8 score, not the CNA's Secondary 5.4.
    assert_eq!(
        a[0].cvss,
        vec!["CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"]
    );
    assert_eq!(a[0].severity, hull_model::Severity::High);
    assert_eq!(hull_vulndb::cvss::base_score(&a[0].cvss[0]), Some(8.8));
    assert!(
        handle.by_id("CVE-2022-1576").unwrap().is_empty(),
        "a full sync replaces the source whole"
    );
    let info = handle.sources().unwrap();
    let info = info.iter().find(|s| s.name == "nvd").unwrap();
    assert_eq!(
        info.last_modified.as_deref(),
        Some(hull_model::rfc3339_utc(t0).as_str())
    );

    // Incremental, 200 days later: two windows (120-day limit). The first brings a
    // changed record, the second rejects another one. A plain update now includes NVD.
    let t1 = t0 + 200 * 86_400;
    let w1 = nvd_window(t0, t0 + 119 * 86_400);
    let w2 = nvd_window(t0 + 119 * 86_400, t1);
    let mut changed = records[1].clone(); // CVE-2023-45109
    changed["cve"]["metrics"] = serde_json::json!({"cvssMetricV40": [{"source": "nvd@nist.gov", "type": "Primary",
        "cvssData": {"version": "4.0", "vectorString": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "baseScore": 9.3, "baseSeverity": "CRITICAL"}}]});
    let rejected = serde_json::json!({"cve": {"id": "CVE-2023-27314", "vulnStatus": "Rejected"}});
    srv.set(
        &route(0, &w1),
        Reply::Body(nvd_page(&[changed], 0, 10, 1), "\"w1\""),
    );
    srv.set(
        &route(0, &w2),
        Reply::Body(nvd_page(&[rejected], 0, 10, 1), "\"w2\""),
    );
    let mut o = opts(&srv.base(), &[]);
    o.nvd.now_unix = Some(t1);
    let (res, _) = update::run(&db, &o, &|_| {}).unwrap();
    let n = res
        .iter()
        .find(|r| r.name == "nvd")
        .expect("nvd joins a plain update");
    assert_eq!(n.outcome, "updated", "{:?}", n.error);
    assert_eq!(n.records, 37, "38 kept or replaced, one rejected");
    let handle = Db::open(&db).unwrap();
    let a = handle.by_id("CVE-2023-45109").unwrap();
    assert_eq!(a[0].severity, hull_model::Severity::Critical);
    assert_eq!(hull_vulndb::cvss::base_score(&a[0].cvss[0]), Some(9.3));
    assert!(handle.by_id("CVE-2023-27314").unwrap().is_empty());
    assert_eq!(
        handle.by_id("CVE-2023-45391").unwrap().len(),
        1,
        "untouched record kept"
    );

    // A page that never succeeds fails NVD and keeps the previous data and sync time.
    let t2 = t1 + 86_400;
    srv.set(&route(0, &nvd_window(t1, t2)), Reply::Status(503));
    let mut o = opts(&srv.base(), &["nvd"]);
    o.nvd.now_unix = Some(t2);
    let (res, _) = update::run(&db, &o, &|_| {}).unwrap();
    assert_eq!(res[0].outcome, "failed");
    assert!(
        res[0].error.as_deref().unwrap().contains("503"),
        "{:?}",
        res[0].error
    );
    assert_eq!(res[0].records, 37);
    let handle = Db::open(&db).unwrap();
    let info = handle.sources().unwrap();
    let info = info.iter().find(|s| s.name == "nvd").unwrap();
    assert_eq!(info.status, "error");
    assert_eq!(info.records, 37);
    assert_eq!(
        info.last_modified.as_deref(),
        Some(hull_model::rfc3339_utc(t1).as_str()),
        "the next run asks again from the last good sync"
    );
    assert_eq!(
        handle.by_id("CVE-2023-45109").unwrap()[0].severity,
        hull_model::Severity::Critical
    );
}

fn big_source(n: usize, tag: &str) -> SourceData {
    use hull_model::{Advisory, Affected, FixState, VersionRule};
    let advisories = (0..n)
        .map(|i| Advisory {
            id: format!("p{i}@{tag}-r{i}"),
            source: String::new(),
            aliases: vec![format!("CVE-2024-{i:05}")],
            summary: Some("generated for the crash test".into()),
            affected: vec![Affected::new(
                Namespace::distro("alpine", "3.20"),
                format!("p{i}"),
                VersionRule::LessThan {
                    fixed: format!("{tag}-r{i}"),
                },
                FixState::Fixed(format!("{tag}-r{i}")),
            )],
            ..Default::default()
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

/// The distro sources (Ubuntu, SUSE, Amazon Linux, end of life) over the same server.
mod distro_sources;
