//! Alert outputs: JSON lines (stdout or a file) and webhooks.
//!
//! Neither may stop or stall the pipeline:
//! - [`JsonLines`] keeps alerts that could not be written (disk full, I/O error) in a
//!   bounded backlog and retries them before the next write; only backlog overflow
//!   loses alerts, and that is counted.
//! - [`Webhook`] posts from its own thread, fed by a bounded queue with `try_send`:
//!   a hanging or failing endpoint fills the queue, further alerts are counted as
//!   dropped, and the pipeline never waits. Each post has connect/read timeouts and a
//!   few retries with backoff. `http://` and `https://` (rustls; the public web roots
//!   plus an optional extra CA file for internal CAs).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use crate::rules::Alert;

/// Counters shared with metrics (`hull_output_*`).
#[derive(Debug, Default)]
pub struct OutputStats {
    pub written: AtomicU64,
    pub write_errors: AtomicU64,
    pub dropped: AtomicU64,
    pub retried: AtomicU64,
}

/// JSON-lines writer with a bounded retry backlog.
pub struct JsonLines {
    out: Box<dyn Write + Send>,
    backlog: VecDeque<String>,
    max_backlog: usize,
    pub stats: Arc<OutputStats>,
    /// Last error message, for reporting (cleared on success).
    pub last_error: Option<String>,
}

impl JsonLines {
    pub fn new(out: Box<dyn Write + Send>, max_backlog: usize) -> JsonLines {
        JsonLines {
            out,
            backlog: VecDeque::new(),
            max_backlog,
            stats: Arc::default(),
            last_error: None,
        }
    }

    /// Append to (or create) `path`.
    pub fn file(path: &std::path::Path, max_backlog: usize) -> std::io::Result<JsonLines> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(JsonLines::new(Box::new(f), max_backlog))
    }

    /// Write one alert (and any backlog first). Returns whether everything is flushed.
    pub fn write(&mut self, alert: &Alert) -> bool {
        match serde_json::to_string(alert) {
            Ok(line) => self.backlog.push_back(line),
            Err(e) => {
                self.last_error = Some(format!("cannot encode alert: {e}"));
                return false;
            }
        }
        self.flush_backlog()
    }

    /// Queue a pre-encoded line (event recording) and flush.
    pub fn write_raw(&mut self, line: String) -> bool {
        self.backlog.push_back(line);
        self.flush_backlog()
    }

    pub fn flush_backlog(&mut self) -> bool {
        while let Some(line) = self.backlog.front() {
            let mut buf = Vec::with_capacity(line.len() + 1);
            buf.extend_from_slice(line.as_bytes());
            buf.push(b'\n');
            // A failed write may have written part of the line: a later retry writes
            // the whole line again, so a reader may see one truncated line, never a
            // lost alert.
            match self.out.write_all(&buf).and_then(|_| self.out.flush()) {
                Ok(()) => {
                    self.backlog.pop_front();
                    self.stats.written.fetch_add(1, Ordering::Relaxed);
                    self.last_error = None;
                }
                Err(e) => {
                    self.stats.write_errors.fetch_add(1, Ordering::Relaxed);
                    self.last_error = Some(e.to_string());
                    while self.backlog.len() > self.max_backlog {
                        self.backlog.pop_front();
                        self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    return false;
                }
            }
        }
        true
    }

    pub fn backlog_len(&self) -> usize {
        self.backlog.len()
    }
}

/// A problem with the webhook configuration (found at start, before any alert).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook url `{url}` must start with http:// or https://")]
    Scheme { url: String },
    #[error("webhook url `{url}` has no host")]
    NoHost { url: String },
    #[error("cannot read webhook CA file {path}: {source}")]
    CaRead {
        path: String,
        source: std::io::Error,
    },
    #[error("webhook CA file {path} holds no PEM certificate")]
    CaEmpty { path: String },
    #[error("webhook CA file {path}: {message}")]
    CaInvalid { path: String, message: String },
    #[error("--webhook-ca needs an https:// webhook url, not `{url}`")]
    CaWithoutTls { url: String },
}

/// Where alerts are posted: an `http://` or `https://` URL and the HTTP agent to use.
/// https verifies the server against the public web roots plus, when given, the
/// certificates of a PEM CA file (an internal CA).
#[derive(Clone)]
pub struct WebhookTarget {
    url: String,
    agent: ureq::Agent,
    /// A header computed from each body (hull-server's HMAC signature).
    header: Option<HeaderFn>,
}

/// Computes a (name, value) header from a request body.
pub type HeaderFn = Arc<dyn Fn(&[u8]) -> (String, String) + Send + Sync>;

impl std::fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("url", &self.url)
            .finish()
    }
}

impl WebhookTarget {
    /// Check the URL, load `ca_file` (PEM, one or more certificates) and build the agent.
    /// `timeout` bounds connecting, sending and reading the answer of each attempt.
    pub fn new(
        url: &str,
        ca_file: Option<&std::path::Path>,
        timeout: Duration,
    ) -> Result<WebhookTarget, WebhookError> {
        let https = url.starts_with("https://");
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| WebhookError::Scheme {
                url: url.to_string(),
            })?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host);
        if host.is_empty() || host.starts_with(':') {
            return Err(WebhookError::NoHost {
                url: url.to_string(),
            });
        }
        // No redirects: a webhook answering 3xx is misconfigured, and following it would
        // turn the POST into a GET (the alert would be lost while looking delivered).
        let mut builder = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout_read(timeout)
            .timeout_write(timeout)
            .redirects(0)
            .user_agent("hull-monitor");
        if let Some(ca) = ca_file {
            if !https {
                return Err(WebhookError::CaWithoutTls {
                    url: url.to_string(),
                });
            }
            builder = builder.tls_config(Arc::new(tls_config_with_ca(ca)?));
        }
        Ok(WebhookTarget {
            url: url.to_string(),
            agent: builder.build(),
            header: None,
        })
    }

    /// Also send the header `f` computes from each body (e.g. a signature of it).
    pub fn with_header(mut self, f: HeaderFn) -> WebhookTarget {
        self.header = Some(f);
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Post `body` once. Ok(status) for any HTTP answer, Err for transport failures
    /// (refused, timeout, TLS verification, bad URL).
    pub fn post(&self, body: &[u8]) -> Result<u16, String> {
        let mut req = self
            .agent
            .post(&self.url)
            .set("Content-Type", "application/json");
        if let Some(f) = &self.header {
            let (name, value) = f(body);
            req = req.set(&name, &value);
        }
        match req.send_bytes(body) {
            Ok(resp) => Ok(resp.status()),
            Err(ureq::Error::Status(code, _)) => Ok(code),
            Err(ureq::Error::Transport(t)) => Err(t.to_string()),
        }
    }
}

/// Public web roots plus every certificate in the PEM file `path`.
fn tls_config_with_ca(path: &std::path::Path) -> Result<rustls::ClientConfig, WebhookError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let shown = path.display().to_string();
    let pem = std::fs::read(path).map_err(|source| WebhookError::CaRead {
        path: shown.clone(),
        source,
    })?;
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut added = 0;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| WebhookError::CaInvalid {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        roots.add(cert).map_err(|e| WebhookError::CaInvalid {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        added += 1;
    }
    if added == 0 {
        return Err(WebhookError::CaEmpty { path: shown });
    }
    // The ring provider, as ureq's own default configuration uses.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .map_err(|e| WebhookError::CaInvalid {
            path: shown,
            message: e.to_string(),
        })
}

/// Webhook sender thread handle.
pub struct Webhook {
    tx: Option<SyncSender<String>>,
    pub stats: Arc<OutputStats>,
    /// Alerts accepted into the queue / alerts the sender is done with (delivered or
    /// given up): the difference is what is still waiting.
    queued: AtomicU64,
    settled: Arc<AtomicU64>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Webhook {
    /// Start the sender thread. `queue` bounds alerts waiting to be posted.
    pub fn start(target: WebhookTarget, queue: usize, retries: u32) -> std::io::Result<Webhook> {
        let (tx, rx) = sync_channel::<String>(queue);
        let stats: Arc<OutputStats> = Arc::default();
        let settled: Arc<AtomicU64> = Arc::default();
        let (st, done) = (stats.clone(), settled.clone());
        let handle = std::thread::Builder::new()
            .name("hull-webhook".into())
            .spawn(move || sender(target, rx, st, done, retries))?;
        Ok(Webhook {
            tx: Some(tx),
            stats,
            queued: AtomicU64::new(0),
            settled,
            handle: Some(handle),
        })
    }

    /// Alerts queued and not yet delivered or given up.
    pub fn pending(&self) -> u64 {
        self.queued
            .load(Ordering::Relaxed)
            .saturating_sub(self.settled.load(Ordering::Relaxed))
    }

    /// At exit: stop accepting alerts and give the queue up to `wait` to drain (posts
    /// still retry as usual). Alerts left after that are counted as dropped; returns
    /// how many.
    pub fn finish(mut self, wait: Duration) -> u64 {
        drop(self.tx.take());
        let deadline = std::time::Instant::now() + wait;
        while let Some(h) = &self.handle {
            if h.is_finished() {
                if let Some(h) = self.handle.take() {
                    let _ = h.join();
                }
                break;
            }
            if std::time::Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let left = self.pending();
        self.stats.dropped.fetch_add(left, Ordering::Relaxed);
        left
    }

    /// Queue an alert; never blocks. A full queue counts a drop.
    pub fn send(&self, alert: &Alert) {
        if let Ok(body) = serde_json::to_string(alert) {
            self.send_body(body);
        }
    }

    /// Queue an already encoded JSON body (the server's new-findings notices use the
    /// same sender as alerts); never blocks. A full queue counts a drop.
    pub fn send_body(&self, body: String) {
        let Some(tx) = &self.tx else {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        match tx.try_send(body) {
            Ok(()) => {
                self.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn sender(
    target: WebhookTarget,
    rx: Receiver<String>,
    st: Arc<OutputStats>,
    settled: Arc<AtomicU64>,
    retries: u32,
) {
    for body in rx {
        let mut delay = Duration::from_millis(100);
        let mut ok = false;
        for attempt in 0..=retries {
            if attempt > 0 {
                st.retried.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            match target.post(body.as_bytes()) {
                Ok(code) if (200..300).contains(&code) => {
                    ok = true;
                    break;
                }
                // 4xx other than 408/429 will not get better with retries.
                Ok(code) if (400..500).contains(&code) && code != 408 && code != 429 => {
                    st.write_errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                _ => {
                    st.write_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if ok {
            st.written.fetch_add(1, Ordering::Relaxed);
        } else {
            st.dropped.fetch_add(1, Ordering::Relaxed);
        }
        settled.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Priority;
    use std::io::Read;
    use std::net::TcpListener;
    use std::sync::Mutex;

    fn alert(n: u64) -> Alert {
        Alert {
            time: String::new(),
            ts_ns: n,
            rule: "r".into(),
            priority: Priority::Warning,
            output: "o".into(),
            tags: vec![],
            container_id: "host".into(),
            container: None,
            fields: Default::default(),
            source: "test".into(),
        }
    }

    /// A writer that fails while `full` is set (a full disk).
    struct Flaky {
        full: Arc<Mutex<bool>>,
        data: Arc<Mutex<Vec<u8>>>,
    }
    impl Write for Flaky {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if *self.full.lock().unwrap() {
                return Err(std::io::Error::from_raw_os_error(libc::ENOSPC));
            }
            self.data.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn full_disk_backlog_then_recovery() {
        let full = Arc::new(Mutex::new(true));
        let data = Arc::new(Mutex::new(Vec::new()));
        let mut j = JsonLines::new(
            Box::new(Flaky {
                full: full.clone(),
                data: data.clone(),
            }),
            3,
        );
        for i in 0..5 {
            assert!(!j.write(&alert(i)));
        }
        assert!(j.last_error.as_deref().unwrap().contains("No space"));
        assert_eq!(j.backlog_len(), 3);
        assert_eq!(j.stats.dropped.load(Ordering::Relaxed), 2);
        *full.lock().unwrap() = false;
        assert!(j.write(&alert(5)));
        let text = String::from_utf8(data.lock().unwrap().clone()).unwrap();
        let ts: Vec<u64> = text
            .lines()
            .map(|l| serde_json::from_str::<Alert>(l).unwrap().ts_ns)
            .collect();
        assert_eq!(ts, vec![2, 3, 4, 5]);
    }

    #[test]
    fn webhook_configuration_errors() {
        let t = Duration::from_secs(1);
        for ok in [
            "http://127.0.0.1:8080/hook",
            "https://hooks.example/x?y=1",
            "http://h",
        ] {
            assert!(WebhookTarget::new(ok, None, t).is_ok(), "{ok}");
        }
        let err = |u: &str, ca: Option<&std::path::Path>| {
            WebhookTarget::new(u, ca, t).unwrap_err().to_string()
        };
        assert!(err("ftp://x", None).contains("must start with http:// or https://"));
        assert!(err("http://:80/", None).contains("has no host"));
        assert!(err("https:///x", None).contains("has no host"));
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope.pem");
        assert!(err("https://h", Some(&missing)).starts_with("cannot read webhook CA file"));
        let empty = tmp.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        assert!(err("https://h", Some(&empty)).contains("holds no PEM certificate"));
        let garbage = tmp.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(err("https://h", Some(&garbage)).starts_with("webhook CA file"));
        assert!(err("http://h", Some(&empty)).contains("needs an https://"));
    }

    fn wait_until(what: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !what() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn https_webhook_with_extra_ca() {
        let https = hull_testkit::tls::HttpsReceiver::start();
        let (ca_pem, port) = (&https.ca_pem, https.port);
        let tmp = tempfile::tempdir().unwrap();
        let ca = tmp.path().join("ca.pem");
        std::fs::write(&ca, ca_pem).unwrap();
        let url = format!("https://127.0.0.1:{port}/hook");

        // Trusting the test CA: delivered, the body is the alert JSON.
        let t = WebhookTarget::new(&url, Some(&ca), Duration::from_secs(5)).unwrap();
        let w = Webhook::start(t, 8, 2).unwrap();
        w.send(&alert(42));
        wait_until(|| w.stats.written.load(Ordering::Relaxed) == 1);
        assert_eq!(w.stats.written.load(Ordering::Relaxed), 1);
        let got = https.next(Duration::from_secs(5)).expect("alert posted");
        let a: Alert = serde_json::from_str(&got).unwrap();
        assert_eq!(a.ts_ns, 42);

        // Without the CA the certificate is refused: retried, then counted as dropped,
        // and nothing reached the server.
        let t = WebhookTarget::new(&url, None, Duration::from_secs(5)).unwrap();
        let w = Webhook::start(t, 8, 1).unwrap();
        w.send(&alert(43));
        wait_until(|| w.stats.dropped.load(Ordering::Relaxed) == 1);
        assert_eq!(w.stats.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(w.stats.written.load(Ordering::Relaxed), 0);
        assert_eq!(w.stats.write_errors.load(Ordering::Relaxed), 2);
        assert_eq!(https.next(Duration::from_millis(200)), None);
        let err = WebhookTarget::new(&url, None, Duration::from_secs(5))
            .unwrap()
            .post(b"{}")
            .unwrap_err();
        assert!(err.to_lowercase().contains("certificate"), "{err}");
    }

    #[test]
    fn hanging_and_failing_webhooks_never_block() {
        // A server that accepts and never answers.
        let hang = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = hang.local_addr().unwrap().port();
        let _keep = std::thread::spawn(move || {
            let mut conns = Vec::new();
            for c in hang.incoming().flatten() {
                conns.push(c);
            }
        });
        let url = format!("http://127.0.0.1:{port}/");
        let w = Webhook::start(
            WebhookTarget::new(&url, None, Duration::from_millis(300)).unwrap(),
            4,
            1,
        )
        .unwrap();
        let t = std::time::Instant::now();
        for i in 0..1000 {
            w.send(&alert(i));
        }
        assert!(t.elapsed() < Duration::from_millis(200), "send blocked");
        assert!(w.stats.dropped.load(Ordering::Relaxed) >= 990);
        // At exit the hanging endpoint gets a short grace period; what is still queued
        // is then counted as dropped: all 1000 alerts are accounted for.
        let stats = w.stats.clone();
        let left = w.finish(Duration::from_millis(100));
        assert!((1..=5).contains(&left), "{left}");
        assert!(stats.dropped.load(Ordering::Relaxed) >= 1000);
        assert_eq!(stats.written.load(Ordering::Relaxed), 0);

        // A server answering 500 then 200: retries deliver.
        let srv = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = srv.local_addr().unwrap().port();
        let hits = Arc::new(AtomicU64::new(0));
        let h2 = hits.clone();
        std::thread::spawn(move || {
            for mut c in srv.incoming().flatten() {
                let mut buf = [0u8; 4096];
                let _ = c.read(&mut buf);
                let n = h2.fetch_add(1, Ordering::SeqCst);
                let status = if n == 0 { "500 Oops" } else { "200 OK" };
                let _ = c.write_all(
                    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
                );
            }
        });
        let url = format!("http://127.0.0.1:{port}/x");
        let w = Webhook::start(
            WebhookTarget::new(&url, None, Duration::from_secs(2)).unwrap(),
            16,
            3,
        )
        .unwrap();
        w.send(&alert(1));
        // Exit right away: finish waits for the retry to deliver.
        let stats = w.stats.clone();
        assert_eq!(w.finish(Duration::from_secs(5)), 0);
        assert_eq!(stats.written.load(Ordering::Relaxed), 1);
        assert_eq!(stats.retried.load(Ordering::Relaxed), 1);
        assert_eq!(stats.dropped.load(Ordering::Relaxed), 0);
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }
}
