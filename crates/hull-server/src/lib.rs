//! hull's vulnerability management server: keeps every pushed image's inventory and
//! scan history, rescans stored inventories when the vulnerability database is
//! updated, notifies webhooks about new findings, recommends which image version to
//! run, and shows it all on a small server-rendered dashboard.
//!
//! What it does: an [`App`] owns a [`store::Store`] (embedded SQLite by default,
//! PostgreSQL with [`store::PgStore`]), the
//! path of the vulnerability database (opened read-only per scan) and the
//! [`notify::Notifier`]. [`Server::start`] serves the JSON API (`/api/v1/…`), the
//! dashboard (`/`), `/healthz` and `/metrics` through [`hull_http`] (axum on tokio,
//! with its limits and timeouts; the routes and layers are in [`router`]) and runs a background thread that rescans every
//! image's latest inventory when the database file is swapped ([`rescan`]), plus,
//! when directories are configured, scheduled configuration audits ([`audit`]).
//! [`client::push`] is what `hull image --server URL` uses.
//!
//! Storage is SQLite by default or PostgreSQL for several replicas ([`store`]).
//! What it does not do (yet): authentication or TLS (bind to loopback or put a proxy in front), or pulling
//! images itself: clients push inventories.
//!
//! ```no_run
//! use std::sync::Arc;
//! use hull_server::{App, Config, Server};
//! let store = Arc::new(hull_server::store::SqliteStore::open("server.db".as_ref())?);
//! let app = App::new(store, Config { vulndb: "hull.db".into(), ..Config::default() })?;
//! let server = Server::start(Arc::new(app), "127.0.0.1:8480", 4)?;
//! println!("listening on http://{}", server.addr());
//! server.wait();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod access;
pub mod audit;
pub mod client;
pub mod dashboard;
pub mod http;
pub mod notify;
pub mod recommend;
pub mod rescan;
pub mod router;
pub mod store;
pub mod tokens;
pub mod upload;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::rescan::RescanError;
use crate::store::{NewScan, Recorded, ScanKind, Store, StoreError};
use crate::upload::{ImageRef, UploadError};

/// Default upper bound of a `POST /api/v1/scans` body.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024 * 1024;

/// Key under which the store remembers the database file it last rescanned against.
const META_VULNDB: &str = "vulndb_fingerprint";
/// Prefix of the keys recording every database fingerprint rescanned against (by
/// any replica): with replicas whose files differ, a single "last" value would make
/// them take turns rescanning forever.
const META_RESCANNED: &str = "vulndb_rescanned:";

/// Log lines go to the caller (the CLI prints them); the library never prints.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// Server settings.
#[derive(Clone)]
pub struct Config {
    /// The vulnerability database file (`hull db update` writes it).
    pub vulndb: PathBuf,
    /// Webhook URLs notified about new findings.
    pub webhooks: Vec<String>,
    /// HMAC-SHA256 signing secrets, the Nth for the Nth webhook (fewer: the rest are
    /// unsigned).
    pub webhook_secrets: Vec<Vec<u8>>,
    /// How often the database file is checked for a swap.
    pub rescan_interval: Duration,
    pub max_body: usize,
    pub log: Log,
    /// Directories whose configuration files are audited on a schedule (none: off).
    pub audit_dirs: Vec<PathBuf>,
    pub audit_interval: Duration,
    /// Serve `GET` routes without a token (`--public-read`).
    pub public_read: bool,
    /// Mark the session cookie `Secure` (the server speaks TLS).
    pub secure_cookie: bool,
    /// Scans kept per image version (`--keep-scans`; none: all).
    pub keep_scans: Option<usize>,
    /// How recommendations count findings of unknown severity (`--unknown-as`).
    pub unknown_as: recommend::UnknownAs,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            vulndb: hull_vulndb::store::default_path(),
            webhooks: Vec::new(),
            webhook_secrets: Vec::new(),
            rescan_interval: Duration::from_secs(60),
            max_body: DEFAULT_MAX_BODY,
            log: Arc::new(|_| {}),
            audit_dirs: Vec::new(),
            audit_interval: Duration::from_secs(3600),
            public_read: false,
            secure_cookie: false,
            unknown_as: recommend::UnknownAs::Threshold,
            keep_scans: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("bad webhook: {0}")]
    Webhook(String),
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: String, reason: String },
}

/// Errors of API operations, each with the HTTP status it maps to.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Upload(#[from] UploadError),
    #[error(transparent)]
    Rescan(#[from] RescanError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Upload(_) => 400,
            ApiError::Rescan(_) | ApiError::Store(_) => 500,
        }
    }
}

/// Prometheus counters (`/metrics`).
#[derive(Debug, Default)]
pub struct Counters {
    pub scans_received: AtomicU64,
    pub rescans: AtomicU64,
    pub rescanned_images: AtomicU64,
    pub rescan_errors: AtomicU64,
    pub new_findings: AtomicU64,
    pub audits: AtomicU64,
    pub requests: Mutex<BTreeMap<u16, u64>>,
}

/// What one rescan did.
#[derive(Debug, Clone, Serialize)]
pub struct RescanOutcome {
    /// `None` when there is no vulnerability database (nothing was rescanned).
    pub vulndb: Option<rescan::DbIdentity>,
    pub images: usize,
    pub new_findings: usize,
    /// Scans recorded (image versions whose findings changed).
    pub scans: Vec<i64>,
    /// Image versions whose findings did not change: no scan row, a `checked_at`
    /// stamp on their latest scan.
    pub unchanged: usize,
}

/// Shared server state: the store, the database path, notifications, counters.
pub struct App {
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub notifier: notify::Notifier,
    pub counters: Counters,
    /// Dashboard sign-in sessions.
    pub sessions: access::Sessions,
    /// Recent token lookups.
    pub token_cache: access::TokenCache,
    /// Serialises rescans (the API's and the background thread's).
    rescan_lock: Mutex<()>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl App {
    pub fn new(store: Arc<dyn Store>, config: Config) -> Result<App, ServerError> {
        let notifier = notify::Notifier::start(&config.webhooks, &config.webhook_secrets)
            .map_err(ServerError::Webhook)?;
        Ok(App {
            store,
            config,
            notifier,
            counters: Counters::default(),
            sessions: access::Sessions::default(),
            token_cache: access::TokenCache::default(),
            rescan_lock: Mutex::new(()),
        })
    }

    fn log(&self, line: &str) {
        (self.config.log)(line);
    }

    /// Append to the audit log and to the log (stderr in the binary). A failed write
    /// is logged, not fatal: the action itself already happened.
    pub fn audit_event(&self, actor: &str, action: &str, detail: &str) {
        self.log(&format!("audit: {action} by {actor}: {detail}"));
        if let Err(e) = self.store.log_event(store::NewEvent {
            at: now_secs(),
            actor,
            action,
            detail,
        }) {
            self.log(&format!("audit log write failed: {e}"));
        }
    }

    /// Store one pushed scan: parse, match against the current database, record.
    /// `actor` (who pushed) goes to the audit log.
    pub fn push(&self, body: &[u8], actor: &str) -> Result<(ImageRef, Recorded), ApiError> {
        let up = upload::parse(body)?;
        let db = rescan::open(&self.config.vulndb)?;
        let findings = rescan::findings_of(&up.inventory, db.as_ref())?;
        let rec = self
            .store
            .record_scan(
                &up.image,
                NewScan {
                    kind: ScanKind::Push,
                    scanned_at: now_secs(),
                    inventory: &up.inventory,
                    findings: &findings,
                    vulndb: db.as_ref().map(|d| &d.identity),
                    rescan_of: None,
                },
            )?
            .ok_or(StoreError::Corrupt {
                what: "scan",
                id: 0,
                reason: "a push was not recorded".into(),
            })?;
        self.counters.scans_received.fetch_add(1, Ordering::Relaxed);
        self.audit_event(
            actor,
            "push",
            &format!(
                "{} scan {} ({} packages, {} new findings)",
                up.image.display(),
                rec.scan.id,
                rec.scan.packages,
                rec.new_findings.len()
            ),
        );
        self.after_record(&up.image, &rec);
        Ok((up.image, rec))
    }

    fn after_record(&self, image: &ImageRef, rec: &Recorded) {
        if let Some(keep) = self.config.keep_scans {
            match self.store.prune_scans(rec.image_id, keep) {
                Ok(0) => {}
                Ok(n) => self.log(&format!(
                    "{}: pruned {n} old scan(s) (--keep-scans {keep})",
                    image.display()
                )),
                Err(e) => self.log(&format!("{}: pruning failed: {e}", image.display())),
            }
        }
        self.counters
            .new_findings
            .fetch_add(rec.new_findings.len() as u64, Ordering::Relaxed);
        if let Some(line) = self.notifier.notify(image, rec) {
            self.log(&line);
        }
    }

    /// Re-match the latest inventory of every image version against the current
    /// database, recording a scan per image and notifying about new findings.
    /// `actor` (who asked: a token, or `server` for the watcher) goes to the audit log.
    pub fn rescan_all(&self, actor: &str) -> Result<RescanOutcome, ApiError> {
        let _one_at_a_time = self.rescan_lock.lock().unwrap_or_else(|p| p.into_inner());
        let result = self.rescan_locked();
        match &result {
            Ok(o) => self.audit_event(
                actor,
                "rescan",
                &format!(
                    "{} image version(s), {} new finding(s)",
                    o.images, o.new_findings
                ),
            ),
            Err(e) => {
                self.counters.rescan_errors.fetch_add(1, Ordering::Relaxed);
                self.audit_event(actor, "rescan-failed", &e.to_string());
            }
        }
        result
    }

    fn rescan_locked(&self) -> Result<RescanOutcome, ApiError> {
        let Some(db) = rescan::open(&self.config.vulndb)? else {
            return Ok(RescanOutcome {
                vulndb: None,
                images: 0,
                new_findings: 0,
                scans: vec![],
                unchanged: 0,
            });
        };
        let mut out = RescanOutcome {
            vulndb: Some(db.identity.clone()),
            images: 0,
            new_findings: 0,
            scans: vec![],
            unchanged: 0,
        };
        // A push that lands while this runs makes the rescan of its image stale (not
        // recorded); that push may have been matched against the previous database,
        // so stale images are taken again, a bounded number of times.
        let mut pending: Option<std::collections::BTreeSet<i64>> = None;
        for _pass in 0..3 {
            let mut stale = std::collections::BTreeSet::new();
            for latest in self.store.latest_scans()? {
                if pending
                    .as_ref()
                    .is_some_and(|p| !p.contains(&latest.image_id))
                {
                    continue;
                }
                let Some(inventory) = self.store.inventory_of(latest.scan_id)? else {
                    continue;
                };
                let findings = rescan::findings_of(&inventory, Some(&db))?;
                let rec = self.store.record_scan(
                    &latest.image,
                    NewScan {
                        kind: ScanKind::Rescan,
                        scanned_at: now_secs(),
                        inventory: &inventory,
                        findings: &findings,
                        vulndb: Some(&db.identity),
                        rescan_of: Some(latest.scan_id),
                    },
                )?;
                let Some(rec) = rec else {
                    stale.insert(latest.image_id);
                    continue;
                };
                out.images += 1;
                if rec.unchanged {
                    out.unchanged += 1;
                    continue;
                }
                out.new_findings += rec.new_findings.len();
                out.scans.push(rec.scan.id);
                self.after_record(&latest.image, &rec);
            }
            if stale.is_empty() {
                break;
            }
            pending = Some(stale);
        }
        self.store.set_meta(META_VULNDB, &db.identity.fingerprint)?;
        self.store.set_meta(
            &format!("{META_RESCANNED}{}", db.identity.fingerprint),
            &hull_model::rfc3339_utc(now_secs()),
        )?;
        self.counters.rescans.fetch_add(1, Ordering::Relaxed);
        self.counters
            .rescanned_images
            .fetch_add(out.images as u64, Ordering::Relaxed);
        self.log(&format!(
            "rescanned {} image version(s) against the database built {}: {} new finding(s)",
            out.images,
            db.identity.built_at.as_deref().unwrap_or("(unknown)"),
            out.new_findings
        ));
        Ok(out)
    }

    /// Audit the `--audit-dir` directories now and record the run; `Ok(None)` when no
    /// directory is configured.
    pub fn run_audit(&self) -> Result<Option<store::AuditRecorded>, ApiError> {
        if self.config.audit_dirs.is_empty() {
            return Ok(None);
        }
        let run = audit::run(&self.config.audit_dirs);
        let rec = self.store.record_audit(store::NewAudit {
            ran_at: now_secs(),
            files: run.files,
            errors: run.errors,
            report: &run.report,
            findings: &run.findings,
        })?;
        self.counters.audits.fetch_add(1, Ordering::Relaxed);
        self.log(&format!(
            "audited {} configuration file(s) ({} unreadable): {} finding(s), {} new",
            rec.summary.files,
            rec.summary.errors,
            rec.summary.counts.total(),
            rec.new_findings.len()
        ));
        if let Some(line) = self.notifier.notify_audit(&rec) {
            self.log(&line);
        }
        Ok(Some(rec))
    }

    /// Whether a rescan against the database `fingerprint` was recorded, by this
    /// process or another one sharing the store.
    fn rescanned(&self, fingerprint: &str) -> Result<bool, StoreError> {
        Ok(
            self.store.get_meta(META_VULNDB)?.as_deref() == Some(fingerprint)
                || self
                    .store
                    .get_meta(&format!("{META_RESCANNED}{fingerprint}"))?
                    .is_some(),
        )
    }

    /// Rescan when the database file differs from those already rescanned against.
    /// Returns the outcome when a rescan ran. Among replicas sharing a store, one
    /// rescans a given database: the others find its lock taken (and skip), or its
    /// record once the lock is theirs (and skip too).
    pub fn check_vulndb(&self) -> Result<Option<RescanOutcome>, ApiError> {
        let Some(now) = rescan::fingerprint(&self.config.vulndb) else {
            return Ok(None);
        };
        if self.rescanned(&now)? {
            return Ok(None);
        }
        let Some(_exclusive) = self.store.lock_rescan(&now)? else {
            self.log("another replica is rescanning against this database; skipped");
            return Ok(None);
        };
        // The holder before us may have finished between the check and the lock.
        if self.rescanned(&now)? {
            return Ok(None);
        }
        self.rescan_all("server").map(Some)
    }
}

/// Where and how the HTTP API is served (see [`hull_http::ServeConfig`]).
#[derive(Clone)]
pub struct Listen {
    /// `host:port` (port 0 picks a free one).
    pub addr: String,
    pub tls: Option<hull_http::TlsFiles>,
    /// `Host` names served besides the listen address and localhost.
    pub allowed_hosts: Vec<String>,
    /// Connections served at once.
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    /// Also stop (gracefully) on SIGTERM and SIGINT: what the `hull server` binary wants.
    pub stop_on_signals: bool,
}

impl Listen {
    pub fn new(addr: &str) -> Listen {
        let d = hull_http::Limits::default();
        Listen {
            addr: addr.to_string(),
            tls: None,
            allowed_hosts: Vec::new(),
            max_connections: d.max_connections,
            header_timeout: d.header_timeout,
            // A full rescan runs inside its request: allow it time.
            request_timeout: Duration::from_secs(300),
            stop_on_signals: false,
        }
    }
}

/// A running server: the HTTP runtime's thread plus the database watcher.
pub struct Server {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    wake: Arc<(Mutex<bool>, Condvar)>,
    http_stop: Option<tokio::sync::oneshot::Sender<()>>,
    http: Option<std::thread::JoinHandle<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Listen on `addr` (port 0 picks a free one) with `workers` runtime threads and
    /// default limits; see [`Server::start_on`].
    pub fn start(app: Arc<App>, addr: &str, workers: usize) -> Result<Server, ServerError> {
        Server::start_on(app, &Listen::new(addr), workers)
    }

    /// Serve [`router::router`] through [`hull_http`] as `listen` says, with
    /// `workers` async worker threads (store work runs on tokio's blocking pool), and
    /// start the database watcher, whose first check runs at once (in the
    /// background: a long rescan never delays serving).
    pub fn start_on(app: Arc<App>, listen: &Listen, workers: usize) -> Result<Server, ServerError> {
        let bind_err = |reason: String| ServerError::Bind {
            addr: listen.addr.clone(),
            reason,
        };
        let sock = std::net::ToSocketAddrs::to_socket_addrs(&listen.addr)
            .map_err(|e| bind_err(e.to_string()))?
            .next()
            .ok_or_else(|| bind_err("no address".into()))?;
        let mut cfg = hull_http::ServeConfig::new(sock);
        cfg.tls = listen.tls.clone();
        cfg.allowed_hosts = cfg.allowed_hosts.with(&listen.allowed_hosts);
        cfg.limits = hull_http::Limits {
            max_body: app.config.max_body,
            header_timeout: listen.header_timeout,
            request_timeout: listen.request_timeout,
            max_connections: listen.max_connections,
            ..hull_http::Limits::default()
        };
        let log = app.config.log.clone();
        cfg.log = Some(Arc::new(move |l: &str| log(l)));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .max_blocking_threads(workers.max(1) * 4 + 8)
            .thread_name("hull-server-http")
            .enable_all()
            .build()
            .map_err(|e| bind_err(e.to_string()))?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (http_stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = router::router(app.clone());
        let on_signals = listen.stop_on_signals;
        let http = std::thread::Builder::new()
            .name("hull-server-http".into())
            .spawn(move || {
                rt.block_on(async move {
                    let server = match hull_http::Server::bind(cfg).await {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(server.local_addr()));
                    let shutdown = async move {
                        if on_signals {
                            tokio::select! {
                                _ = stopped => {}
                                () = signals() => {}
                            }
                        } else {
                            let _ = stopped.await;
                        }
                    };
                    let _ = server.serve(router, shutdown).await;
                });
            })
            .map_err(|e| bind_err(e.to_string()))?;
        let bound = match ready_rx.recv() {
            Ok(Ok(a)) => a,
            Ok(Err(reason)) => {
                let _ = http.join();
                return Err(bind_err(reason));
            }
            Err(_) => {
                let _ = http.join();
                return Err(bind_err("the HTTP thread ended".into()));
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let wake = Arc::new((Mutex::new(false), Condvar::new()));
        let mut threads = Vec::new();
        let addr = listen.addr.as_str();
        let (app2, stop2, wake2) = (app.clone(), stop.clone(), wake.clone());
        let watcher = std::thread::Builder::new()
            .name("hull-server-rescan".into())
            .spawn(move || {
                let interval = app2.config.rescan_interval;
                loop {
                    // First check at once (a restart after `hull db update` rescans
                    // without waiting), then every interval.
                    if let Err(e) = app2.check_vulndb() {
                        app2.log(&format!("rescan failed: {e}"));
                    }
                    let (lock, cvar) = &*wake2;
                    let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                    let (guard, _) = cvar
                        .wait_timeout_while(guard, interval, |woken| !*woken)
                        .unwrap_or_else(|p| p.into_inner());
                    drop(guard);
                    if stop2.load(Ordering::Relaxed) {
                        return;
                    }
                }
            })
            .map_err(|e| ServerError::Bind {
                addr: addr.to_string(),
                reason: e.to_string(),
            })?;
        threads.push(watcher);
        if !app.config.audit_dirs.is_empty() {
            let (app3, stop3, wake3) = (app.clone(), stop.clone(), wake.clone());
            let auditor = std::thread::Builder::new()
                .name("hull-server-audit".into())
                .spawn(move || loop {
                    // First run at start, then every interval.
                    if let Err(e) = app3.run_audit() {
                        app3.log(&format!("audit failed: {e}"));
                    }
                    let (lock, cvar) = &*wake3;
                    let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                    let (guard, _) = cvar
                        .wait_timeout_while(guard, app3.config.audit_interval, |woken| !*woken)
                        .unwrap_or_else(|p| p.into_inner());
                    drop(guard);
                    if stop3.load(Ordering::Relaxed) {
                        return;
                    }
                })
                .map_err(|e| ServerError::Bind {
                    addr: addr.to_string(),
                    reason: e.to_string(),
                })?;
            threads.push(auditor);
        }
        Ok(Server {
            addr: bound,
            stop,
            wake,
            http_stop: Some(http_stop),
            http: Some(http),
            threads,
        })
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Stop accepting requests, finish the ones in progress, and join every thread.
    pub fn stop(mut self) {
        if let Some(s) = self.http_stop.take() {
            let _ = s.send(());
        }
        self.finish();
    }

    /// Block until the server stops (on SIGTERM/SIGINT with
    /// [`Listen::stop_on_signals`]; otherwise it does not), then stop the background
    /// threads.
    pub fn wait(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        if let Some(h) = self.http.take() {
            let _ = h.join();
        }
        self.stop.store(true, Ordering::Relaxed);
        {
            let (lock, cvar) = &*self.wake;
            *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
            cvar.notify_all();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// SIGTERM or SIGINT.
async fn signals() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut t), Ok(mut i)) => {
                tokio::select! {
                    _ = t.recv() => {}
                    _ = i.recv() => {}
                }
            }
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
