//! `hull db update`: download each upstream source, parse it, and swap the new data in.
//!
//! Requests are conditional (`If-None-Match` / `If-Modified-Since` from the last
//! successful download), retried with exponential backoff on network errors and 5xx,
//! and every source is parsed in memory before one atomic [`store::write`]: a crash or
//! `kill -9` at any moment leaves the previous database in place. A source that fails
//! (network, truncated zip, unparseable file) keeps its previous data and is reported.
//!
//! A mirror (`--mirror BASE`) serves every source at `BASE/<mirror path>` (see
//! [`SOURCES`]), e.g. `BASE/osv/PyPI/all.zip`, `BASE/alpine/v3.20/main.json`.

use std::io::Read;
use std::time::Duration;

use crate::feed::{self, Skipped};
use crate::import;
use crate::store::{self, SourceData, SourceInfo, SourceUpdate, StoreError, WriteReport};

/// One upstream feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upstream {
    /// Source name in the database.
    pub name: &'static str,
    /// The real upstream URL.
    pub url: &'static str,
    /// Path of the same file under a `--mirror` base URL.
    pub mirror_path: &'static str,
}

macro_rules! osv {
    ($eco:literal) => {
        Upstream {
            name: concat!("osv:", $eco),
            url: concat!(
                "https://osv-vulnerabilities.storage.googleapis.com/",
                $eco,
                "/all.zip"
            ),
            mirror_path: concat!("osv/", $eco, "/all.zip"),
        }
    };
}

macro_rules! alpine {
    ($v:literal, $repo:literal) => {
        Upstream {
            name: concat!("alpine-secdb:v", $v, "-", $repo),
            url: concat!("https://secdb.alpinelinux.org/v", $v, "/", $repo, ".json"),
            mirror_path: concat!("alpine/v", $v, "/", $repo, ".json"),
        }
    };
}

/// Every source `hull db update` knows. Red Hat OVAL is published bzip2-compressed
/// only and is imported with `hull db import` after `bunzip2`.
pub const SOURCES: &[Upstream] = &[
    alpine!("3.17", "main"),
    alpine!("3.17", "community"),
    alpine!("3.18", "main"),
    alpine!("3.18", "community"),
    alpine!("3.19", "main"),
    alpine!("3.19", "community"),
    alpine!("3.20", "main"),
    alpine!("3.20", "community"),
    alpine!("3.21", "main"),
    alpine!("3.21", "community"),
    alpine!("3.22", "main"),
    alpine!("3.22", "community"),
    Upstream {
        name: "debian-dsa",
        url: "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data/DSA/list",
        mirror_path: "debian/DSA/list",
    },
    Upstream {
        name: "debian-dla",
        url: "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data/DLA/list",
        mirror_path: "debian/DLA/list",
    },
    Upstream {
        name: "debian-tracker",
        url: "https://security-tracker.debian.org/tracker/data/json",
        mirror_path: "debian/tracker.json",
    },
    osv!("PyPI"),
    osv!("npm"),
    osv!("crates.io"),
    osv!("Go"),
    osv!("Maven"),
    osv!("RubyGems"),
    osv!("Packagist"),
    osv!("NuGet"),
];

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("unknown source `{0}` (see `hull db update --help` for the list)")]
    UnknownSource(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Progress events for a CLI progress bar.
#[derive(Debug, Clone)]
pub enum Progress<'a> {
    Start {
        source: &'a str,
        url: &'a str,
    },
    Bytes {
        source: &'a str,
        done: u64,
        total: Option<u64>,
    },
    Done {
        source: &'a str,
        outcome: &'a str,
    },
}

/// Options for one update run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Replace upstream hosts with `BASE/<mirror_path>`.
    pub mirror: Option<String>,
    /// Sources to refresh (names or name prefixes such as `osv:` or `alpine`); empty = all.
    pub only: Vec<String>,
    pub attempts: u32,
    pub backoff: Duration,
    pub timeout: Duration,
    /// Recorded as the update time (injected for deterministic tests).
    pub now: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mirror: None,
            only: Vec::new(),
            attempts: 4,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(120),
            now: String::new(),
        }
    }
}

/// What happened to each source.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceResult {
    pub name: String,
    pub url: String,
    /// `updated`, `not-modified` or `failed`.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub records: i64,
    pub skipped: Vec<Skipped>,
}

pub fn selected(only: &[String]) -> Result<Vec<Upstream>, UpdateError> {
    if only.is_empty() {
        return Ok(SOURCES.to_vec());
    }
    let mut out = Vec::new();
    for want in only {
        let hits: Vec<_> = SOURCES
            .iter()
            .filter(|s| s.name == want || s.name.starts_with(want.as_str()))
            .collect();
        if hits.is_empty() {
            return Err(UpdateError::UnknownSource(want.clone()));
        }
        for h in hits {
            if !out.contains(h) {
                out.push(*h);
            }
        }
    }
    Ok(out)
}

enum Fetched {
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    NotModified,
}

fn fetch(
    agent: &ureq::Agent,
    src: &str,
    url: &str,
    prev: Option<&SourceInfo>,
    opts: &Options,
    progress: &dyn Fn(Progress<'_>),
) -> Result<Fetched, String> {
    let mut last_err = String::new();
    for attempt in 0..opts.attempts.max(1) {
        if attempt > 0 {
            std::thread::sleep(opts.backoff * 2u32.saturating_pow(attempt - 1));
        }
        let mut req = agent.get(url);
        if let Some(p) = prev.filter(|p| p.status == "ok") {
            if let Some(e) = &p.etag {
                req = req.set("If-None-Match", e);
            }
            if let Some(lm) = &p.last_modified {
                req = req.set("If-Modified-Since", lm);
            }
        }
        let resp = match req.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(code, _)) if code >= 500 || code == 429 => {
                last_err = format!("{url}: HTTP {code}");
                continue;
            }
            Err(ureq::Error::Status(code, _)) => return Err(format!("{url}: HTTP {code}")),
            Err(e) => {
                last_err = format!("{url}: {e}");
                continue;
            }
        };
        if resp.status() == 304 {
            return Ok(Fetched::NotModified);
        }
        let etag = resp.header("ETag").map(str::to_string);
        let last_modified = resp.header("Last-Modified").map(str::to_string);
        let total = resp
            .header("Content-Length")
            .and_then(|l| l.parse::<u64>().ok());
        let mut reader = resp.into_reader().take(import::MAX_FILE_BYTES + 1);
        let mut bytes = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut failed = None;
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    bytes.extend_from_slice(&buf[..n]);
                    progress(Progress::Bytes {
                        source: src,
                        done: bytes.len() as u64,
                        total,
                    });
                }
                Err(e) => {
                    failed = Some(format!("{url}: truncated download: {e}"));
                    break;
                }
            }
        }
        if let Some(e) = failed {
            last_err = e;
            continue;
        }
        if bytes.len() as u64 > import::MAX_FILE_BYTES {
            return Err(format!(
                "{url}: larger than {} bytes",
                import::MAX_FILE_BYTES
            ));
        }
        if let Some(t) = total.filter(|t| *t != bytes.len() as u64) {
            last_err = format!("{url}: truncated download ({} of {t} bytes)", bytes.len());
            continue;
        }
        return Ok(Fetched::Body {
            bytes,
            etag,
            last_modified,
        });
    }
    Err(last_err)
}

/// Parse a downloaded blob into a source's data. Any file-level error fails the
/// source (a truncated or corrupted download must not replace good data).
pub fn parse_download(name: &str, url: &str, bytes: &[u8]) -> Result<SourceData, String> {
    let mut data = SourceData {
        origin: url.to_string(),
        ..SourceData::default()
    };
    let mut fatal: Option<String> = None;
    import::for_each_blob(url, bytes, &mut |file, body| {
        if fatal.is_some() {
            return;
        }
        match feed::parse_any(file, body) {
            Ok(Some((fmt, parsed))) => {
                if !data.formats.contains(&fmt) {
                    data.formats.push(fmt);
                }
                data.advisories.extend(parsed.advisories);
                data.skipped.extend(parsed.skipped);
            }
            Ok(None) => {}
            Err(e) => fatal = Some(e.to_string()),
        }
    })
    .map_err(|e| e.to_string())?;
    if let Some(e) = fatal {
        return Err(e);
    }
    if data.formats.is_empty() {
        return Err(format!(
            "{name}: {url} holds no advisory data hull recognises"
        ));
    }
    Ok(data)
}

/// Refresh the selected sources of the database at `db_path`.
pub fn run(
    db_path: &std::path::Path,
    opts: &Options,
    progress: &dyn Fn(Progress<'_>),
) -> Result<(Vec<SourceResult>, Option<WriteReport>), UpdateError> {
    let sources = selected(&opts.only)?;
    let previous = store::sources_at(db_path)?;
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(20))
        .timeout(opts.timeout)
        .user_agent(concat!("hull/", env!("CARGO_PKG_VERSION")))
        .build();
    let mut results = Vec::new();
    let mut updates = Vec::new();
    for s in sources {
        let url = match &opts.mirror {
            Some(base) => format!("{}/{}", base.trim_end_matches('/'), s.mirror_path),
            None => s.url.to_string(),
        };
        progress(Progress::Start {
            source: s.name,
            url: &url,
        });
        let prev = previous.iter().find(|p| p.name == s.name);
        let outcome = match fetch(&agent, s.name, &url, prev, opts, progress) {
            Ok(Fetched::NotModified) => SourceResult {
                name: s.name.into(),
                url: url.clone(),
                outcome: "not-modified".into(),
                error: None,
                records: prev.map(|p| p.records).unwrap_or(0),
                skipped: vec![],
            },
            Ok(Fetched::Body {
                bytes,
                etag,
                last_modified,
            }) => match parse_download(s.name, &url, &bytes) {
                Ok(mut data) => {
                    data.etag = etag;
                    data.last_modified = last_modified;
                    let r = SourceResult {
                        name: s.name.into(),
                        url: url.clone(),
                        outcome: "updated".into(),
                        error: None,
                        records: data.advisories.len() as i64,
                        skipped: data.skipped.clone(),
                    };
                    updates.push(SourceUpdate {
                        name: s.name.into(),
                        result: Ok(data),
                    });
                    r
                }
                Err(e) => failed(s.name, &url, e, prev, &mut updates),
            },
            Err(e) => failed(s.name, &url, e, prev, &mut updates),
        };
        progress(Progress::Done {
            source: s.name,
            outcome: &outcome.outcome,
        });
        results.push(outcome);
    }
    let report = if updates.is_empty() {
        None
    } else {
        Some(store::write(db_path, updates, &opts.now)?)
    };
    Ok((results, report))
}

fn failed(
    name: &str,
    url: &str,
    error: String,
    prev: Option<&SourceInfo>,
    updates: &mut Vec<SourceUpdate>,
) -> SourceResult {
    if prev.is_some() {
        updates.push(SourceUpdate {
            name: name.into(),
            result: Err(error.clone()),
        });
    }
    SourceResult {
        name: name.into(),
        url: url.into(),
        outcome: "failed".into(),
        error: Some(error),
        records: prev.map(|p| p.records).unwrap_or(0),
        skipped: vec![],
    }
}
