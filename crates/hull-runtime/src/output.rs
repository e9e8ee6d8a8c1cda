//! Alert outputs: JSON lines (stdout or a file) and webhooks.
//!
//! Neither may stop or stall the pipeline:
//! - [`JsonLines`] keeps alerts that could not be written (disk full, I/O error) in a
//!   bounded backlog and retries them before the next write; only backlog overflow
//!   loses alerts, and that is counted.
//! - [`Webhook`] posts from its own thread, fed by a bounded queue with `try_send`:
//!   a hanging or failing endpoint fills the queue, further alerts are counted as
//!   dropped, and the pipeline never waits. Each post has connect/read timeouts and a
//!   few retries with backoff.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
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

/// `http://host:port/path` parsed (https is not supported: put a local relay in front).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl HttpUrl {
    pub fn parse(url: &str) -> Result<HttpUrl, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("webhook url `{url}` must start with http://"))?;
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h.trim_start_matches('[').trim_end_matches(']'),
                p.parse::<u16>()
                    .map_err(|_| format!("bad port in webhook url `{url}`"))?,
            ),
            _ => (hostport, 80),
        };
        if host.is_empty() {
            return Err(format!("webhook url `{url}` has no host"));
        }
        Ok(HttpUrl {
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }
}

/// Post `body` once; Ok(status code).
pub fn http_post(url: &HttpUrl, body: &[u8], timeout: Duration) -> std::io::Result<u16> {
    let addr = (url.host.as_str(), url.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other("host did not resolve"))?;
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: hull-monitor\r\n\r\n",
        url.path,
        url.host,
        url.port,
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut resp = Vec::new();
    let mut buf = [0u8; 1024];
    // Only the status line matters.
    while !resp.windows(2).any(|w| w == b"\r\n") && resp.len() < 8192 {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        resp.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&resp);
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no HTTP status line"))
}

/// Webhook sender thread handle.
pub struct Webhook {
    tx: SyncSender<String>,
    pub stats: Arc<OutputStats>,
}

impl Webhook {
    /// Start the sender thread. `queue` bounds alerts waiting to be posted.
    pub fn start(url: HttpUrl, queue: usize, timeout: Duration, retries: u32) -> Webhook {
        let (tx, rx) = sync_channel::<String>(queue);
        let stats: Arc<OutputStats> = Arc::default();
        let st = stats.clone();
        std::thread::Builder::new()
            .name("hull-webhook".into())
            .spawn(move || sender(url, rx, st, timeout, retries))
            .expect("spawning a thread only fails when the process is out of resources");
        Webhook { tx, stats }
    }

    /// Queue an alert; never blocks. A full queue counts a drop.
    pub fn send(&self, alert: &Alert) {
        let Ok(body) = serde_json::to_string(alert) else {
            return;
        };
        match self.tx.try_send(body) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Webhook {
    /// Queue an already encoded JSON body (the server's new-findings notices use the
    /// same sender as alerts); never blocks. A full queue counts a drop.
    pub fn send_body(&self, body: String) {
        if self.tx.try_send(body).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn sender(
    url: HttpUrl,
    rx: Receiver<String>,
    st: Arc<OutputStats>,
    timeout: Duration,
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
            match http_post(&url, body.as_bytes(), timeout) {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Priority;
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
    fn url_parsing() {
        assert_eq!(
            HttpUrl::parse("http://127.0.0.1:8080/hook").unwrap(),
            HttpUrl {
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/hook".into()
            }
        );
        assert_eq!(HttpUrl::parse("http://example").unwrap().port, 80);
        assert!(HttpUrl::parse("https://x").is_err());
        assert!(HttpUrl::parse("http://:80/").is_err());
        assert!(HttpUrl::parse("http://h:99999/").is_err());
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
        let url = HttpUrl::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let w = Webhook::start(url, 4, Duration::from_millis(300), 1);
        let t = std::time::Instant::now();
        for i in 0..1000 {
            w.send(&alert(i));
        }
        assert!(t.elapsed() < Duration::from_millis(200), "send blocked");
        assert!(w.stats.dropped.load(Ordering::Relaxed) >= 990);

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
        let url = HttpUrl::parse(&format!("http://127.0.0.1:{port}/x")).unwrap();
        let w = Webhook::start(url, 16, Duration::from_secs(2), 3);
        w.send(&alert(1));
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while w.stats.written.load(Ordering::Relaxed) == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(w.stats.written.load(Ordering::Relaxed), 1);
        assert_eq!(w.stats.retried.load(Ordering::Relaxed), 1);
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }
}
