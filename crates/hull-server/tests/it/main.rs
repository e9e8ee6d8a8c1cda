//! hull-server integration tests: a real server on 127.0.0.1:0, a real webhook
//! receiver on loopback, real vulnerability databases swapped under the server.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hull_model::{
    Advisory, Affected, Ecosystem, FixState, ImagePath, Inventory, Namespace, OsvEvent, OsvRange,
    Package, Purl, Severity, VersionRule,
};
use hull_server::store::{Scope, SqliteStore};
use hull_server::{App, Config, Server};
use hull_vulndb::store::{SourceData, SourceUpdate};
use serde_json::Value;

mod api;
mod attacks;
mod audit;
mod auth;
mod browser;
mod corpus;
mod fuzz_seeds;
mod history;
mod pg;
mod retention;

/// A started server with its pieces.
pub struct Harness {
    pub server: Option<Server>,
    pub base: String,
    pub hooks: Receiver,
    pub store_path: PathBuf,
    pub vulndb: PathBuf,
    /// Tokens of each scope, made before the server started.
    pub admin: String,
    pub pusher: String,
    pub reader: String,
    pub _dir: tempfile::TempDir,
}

impl Harness {
    /// Start a server over a fresh store; `vulndb` may not exist yet.
    pub fn start(dir: tempfile::TempDir, vulndb: PathBuf, max_body: usize) -> Harness {
        Harness::start_with(dir, vulndb, max_body, vec![])
    }

    /// As [`Harness::start`], auditing `audit_dirs` every 150 ms.
    pub fn start_with(
        dir: tempfile::TempDir,
        vulndb: PathBuf,
        max_body: usize,
        audit_dirs: Vec<PathBuf>,
    ) -> Harness {
        Harness::start_full(dir, vulndb, max_body, audit_dirs, false, None)
    }

    /// As [`Harness::start_with`], with `--public-read` or not.
    pub fn start_full(
        dir: tempfile::TempDir,
        vulndb: PathBuf,
        max_body: usize,
        audit_dirs: Vec<PathBuf>,
        public_read: bool,
        keep_scans: Option<usize>,
    ) -> Harness {
        let hooks = Receiver::start();
        let store_path = dir.path().join("data/server.db");
        let store = Arc::new(SqliteStore::open(&store_path).unwrap());
        let make = |name: &str, scope| {
            hull_server::tokens::issue(store.as_ref(), name, scope, "test", 1_800_000_000)
                .unwrap()
                .0
        };
        let admin = make("admin", Scope::Admin);
        let pusher = make("ci", Scope::Push);
        let reader = make("viewer", Scope::Read);
        let app = App::new(
            store,
            Config {
                vulndb: vulndb.clone(),
                webhooks: vec![hooks.url.clone()],
                webhook_secrets: vec![HOOK_SECRET.to_vec()],
                rescan_interval: Duration::from_millis(150),
                max_body,
                log: Arc::new(|l| eprintln!("server: {l}")),
                audit_dirs,
                audit_interval: Duration::from_millis(150),
                public_read,
                keep_scans,
                ..Config::default()
            },
        )
        .unwrap();
        let server = Server::start(Arc::new(app), "127.0.0.1:0", 3).unwrap();
        let base = format!("http://{}", server.addr());
        Harness {
            server: Some(server),
            base,
            hooks,
            store_path,
            vulndb,
            admin,
            pusher,
            reader,
            _dir: dir,
        }
    }

    /// `Authorization` header value of the admin token.
    pub fn auth(&self) -> String {
        format!("Bearer {}", self.admin)
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        call(
            ureq::get(&format!("{}{path}", self.base))
                .set("Authorization", &self.auth())
                .call(),
        )
    }

    pub fn post(&self, path: &str, body: &[u8]) -> (u16, String) {
        call(
            ureq::post(&format!("{}{path}", self.base))
                .set("Content-Type", "application/json")
                .set("Authorization", &self.auth())
                .send_bytes(body),
        )
    }

    pub fn get_json(&self, path: &str) -> Value {
        let (code, body) = self.get(path);
        assert_eq!(code, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    pub fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }
}

fn call(r: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    match r {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("transport error: {e}"),
    }
}

/// Wait until `f` holds (or fail after `secs`).
pub fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A loopback webhook endpoint recording every body it receives.
pub struct Receiver {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<Value>>>,
    /// Per body: its `X-Hull-Signature-256` header and the raw bytes.
    pub signed: Arc<Mutex<Vec<Signed>>>,
}

/// A received body's signature header and bytes.
pub type Signed = (Option<String>, Vec<u8>);

/// The webhook signing secret every harness uses.
pub const HOOK_SECRET: &[u8] = b"harness-webhook-secret";

impl Receiver {
    pub fn start() -> Receiver {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", l.local_addr().unwrap());
        let bodies: Arc<Mutex<Vec<Value>>> = Arc::default();
        let signed: Arc<Mutex<Vec<Signed>>> = Arc::default();
        let b = bodies.clone();
        let sg = signed.clone();
        std::thread::spawn(move || {
            for mut c in l.incoming().flatten() {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                // Read the head, then exactly Content-Length bytes of body.
                let body = loop {
                    let n = c.read(&mut chunk).unwrap_or(0);
                    if n == 0 {
                        break None;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buf.len() < end + 4 + len {
                        let n = c.read(&mut chunk).unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let sig = head
                        .lines()
                        .find_map(|l| l.strip_prefix("x-hull-signature-256:"))
                        .map(|v| v.trim().to_string());
                    break buf.get(end + 4..end + 4 + len).map(|b| (sig, b.to_vec()));
                };
                let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                if let Some((sig, body)) = body {
                    sg.lock().unwrap().push((sig, body.clone()));
                    b.lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap());
                }
            }
        });
        Receiver {
            url,
            bodies,
            signed,
        }
    }

    pub fn received(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

/// An npm package installed at `app/node_modules/NAME/package.json`.
pub fn npm(name: &str, version: &str) -> Package {
    Package::new(
        Ecosystem::Npm,
        name,
        version,
        Purl::new("npm", None, name, Some(version), &[]),
        ImagePath::new(&format!("app/node_modules/{name}/package.json")).unwrap(),
        "npm-package",
    )
}

pub fn inventory(repo_tag: &str, packages: Vec<Package>) -> Inventory {
    let mut inv = Inventory::default();
    inv.image.target = format!("inventory:{repo_tag}.json");
    inv.image.repo_tags = vec![repo_tag.into()];
    inv.packages = packages;
    inv
}

/// A hand-written OSV-style npm advisory: `package` < `fixed` is affected.
pub fn npm_advisory(id: &str, package: &str, fixed: &str, severity: Severity) -> Advisory {
    Advisory {
        id: id.into(),
        source: "test".into(),
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

/// (Re)write the vulnerability database at `path` with one source holding `advisories`
/// (hull-vulndb writes a new file and renames it into place, as `hull db update` does).
pub fn write_db(path: &Path, advisories: Vec<Advisory>, now: &str) {
    let up = SourceUpdate {
        name: "test".into(),
        result: Ok(SourceData {
            origin: "hand-written test advisories".into(),
            advisories,
            ..SourceData::default()
        }),
    };
    hull_vulndb::store::write(path, vec![up], now).unwrap();
}

/// The corpus root, or `None` (with a loud SKIP) when it is absent.
pub fn corpus_root() -> Option<PathBuf> {
    hull_testkit::corpus_with("truth")
}
