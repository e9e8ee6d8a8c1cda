//! `hull db update`: download each upstream source, parse it, and swap the new data in.
//!
//! Requests are conditional (`If-None-Match` / `If-Modified-Since` from the last
//! successful download), retried with exponential backoff only on failures that can pass
//! (a refused or reset connection, a timeout, 5xx, 429, a truncated body). Failures no
//! retry fixes fail the source at once: a host name that does not resolve, TLS, a 4xx
//! answer; after a DNS or TLS failure the other sources on that host are not tried.
//! Each failure is one line that ends with what to do (`--mirror`, `hull db import`),
//! and every source is parsed in memory before one atomic [`store::write`]: a crash or
//! `kill -9` at any moment leaves the previous database in place. A source that fails
//! (network, truncated zip or bzip2, unparseable file) keeps its previous data and is
//! reported.
//!
//! A mirror (`--mirror BASE`) serves every source at `BASE/<mirror path>` (see
//! [`SOURCES`]), e.g. `BASE/osv/PyPI/all.zip`, `BASE/alpine/v3.20/main.json`.
//!
//! NVD is different (see [`Kind::NvdApi`]): a paged, rate-limited API. The first run
//! pages through every CVE; later runs ask only for CVEs modified since the last
//! successful run (`lastModStartDate`/`lastModEndDate`, windows of at most 120 days)
//! and merge them into the stored NVD data. Either way all pages are fetched and
//! parsed before the one write, so a page that never arrives changes nothing.

use std::io::Read;
use std::time::Duration;

use crate::feed::{self, Skipped};
use crate::import;
use crate::store::{self, SourceData, SourceInfo, SourceUpdate, StoreError, WriteReport};

/// How a source is downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One file (JSON, list, zip, `.bz2`…), fetched conditionally and replaced whole.
    File,
    /// The NVD CVE API 2.0: paged, incremental after the first run, merged. Left out
    /// of a plain `hull db update` until one NVD update has succeeded (the first full
    /// download takes about 15 minutes without an API key); `--source nvd` adds it.
    NvdApi,
    /// A yum repository's `updateinfo` (Amazon Linux ALAS): `url` is the repository's
    /// `mirror.list`; its first URL is the repository base, whose
    /// `repodata/repomd.xml` names the (content-addressed, gzip'd) updateinfo file.
    /// Only that last file is fetched conditionally.
    YumUpdateinfo,
}

/// One upstream feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upstream {
    /// Source name in the database.
    pub name: &'static str,
    /// The real upstream URL.
    pub url: &'static str,
    /// Path of the same file under a `--mirror` base URL.
    pub mirror_path: &'static str,
    pub kind: Kind,
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
            kind: Kind::File,
        }
    };
}

macro_rules! alpine {
    ($v:literal, $repo:literal) => {
        Upstream {
            name: concat!("alpine-secdb:v", $v, "-", $repo),
            url: concat!("https://secdb.alpinelinux.org/v", $v, "/", $repo, ".json"),
            mirror_path: concat!("alpine/v", $v, "/", $repo, ".json"),
            kind: Kind::File,
        }
    };
}

/// Red Hat OVAL v2, one file per RHEL major release, only published bzip2-compressed.
/// The patched-only `rhel-N.oval.xml.bz2`, not `rhel-N-including-unpatched…`: the
/// reader skips unpatched definitions (no version test) anyway, and the larger file
/// would cost download, memory and time for nothing.
macro_rules! redhat_oval {
    ($major:literal) => {
        Upstream {
            name: concat!("redhat-oval:rhel-", $major),
            url: concat!(
                "https://security.access.redhat.com/data/oval/v2/RHEL",
                $major,
                "/rhel-",
                $major,
                ".oval.xml.bz2"
            ),
            mirror_path: concat!(
                "redhat/oval/v2/RHEL",
                $major,
                "/rhel-",
                $major,
                ".oval.xml.bz2"
            ),
            kind: Kind::File,
        }
    };
}

/// endoflife.date's lifecycle file of one product (OS release end-of-life dates).
macro_rules! eol {
    ($product:literal) => {
        Upstream {
            name: concat!("eol:", $product),
            url: concat!("https://endoflife.date/api/", $product, ".json"),
            mirror_path: concat!("eol/", $product, ".json"),
            kind: Kind::File,
        }
    };
}

/// Oracle Linux ELSA OVAL, one bzip2 file per major release.
macro_rules! oracle_oval {
    ($major:literal) => {
        Upstream {
            name: concat!("oracle-oval:ol", $major),
            url: concat!(
                "https://linux.oracle.com/security/oval/com.oracle.elsa-ol",
                $major,
                ".xml.bz2"
            ),
            mirror_path: concat!(
                "oracle/security/oval/com.oracle.elsa-ol",
                $major,
                ".xml.bz2"
            ),
            kind: Kind::File,
        }
    };
}

/// Photon OS CVE metadata, one JSON file per release.
macro_rules! photon {
    ($rel:literal) => {
        Upstream {
            name: concat!("photon:", $rel),
            url: concat!(
                "https://packages.broadcom.com/photon/photon_cve_metadata/cve_data_photon",
                $rel,
                ".json"
            ),
            mirror_path: concat!("photon/photon_cve_metadata/cve_data_photon", $rel, ".json"),
            kind: Kind::File,
        }
    };
}

/// NVD's CVE API 2.0 base URL (query parameters are added per page).
pub const NVD_URL: &str = "https://services.nvd.nist.gov/rest/json/cves/2.0";

/// Every source `hull db update` knows.
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
        kind: Kind::File,
    },
    Upstream {
        name: "debian-dla",
        url: "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data/DLA/list",
        mirror_path: "debian/DLA/list",
        kind: Kind::File,
    },
    Upstream {
        name: "debian-tracker",
        url: "https://security-tracker.debian.org/tracker/data/json",
        mirror_path: "debian/tracker.json",
        kind: Kind::File,
    },
    redhat_oval!("6"),
    redhat_oval!("7"),
    redhat_oval!("8"),
    redhat_oval!("9"),
    // Canonical's Ubuntu OSV records (USN and UBUNTU-CVE forms) as OSV.dev exports
    // them: one zip, which hull reads (Canonical's own download is an xz tarball).
    osv!("Ubuntu"),
    // SUSE's OSV records (SLE and openSUSE, per product and service pack).
    osv!("SUSE"),
    osv!("openSUSE"),
    Upstream {
        name: "amazon-alas:2023",
        url: "https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list",
        mirror_path: "amazon/al2023/core/mirrors/latest/x86_64/mirror.list",
        kind: Kind::YumUpdateinfo,
    },
    Upstream {
        name: "amazon-alas:2",
        url: "https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list",
        mirror_path: "amazon/2/core/latest/x86_64/mirror.list",
        kind: Kind::YumUpdateinfo,
    },
    oracle_oval!("7"),
    oracle_oval!("8"),
    oracle_oval!("9"),
    Upstream {
        name: "mariner-oval:2.0",
        url: "https://raw.githubusercontent.com/microsoft/AzureLinuxVulnerabilityData/main/cbl-mariner-2.0-oval.xml",
        mirror_path: "microsoft/AzureLinuxVulnerabilityData/main/cbl-mariner-2.0-oval.xml",
        kind: Kind::File,
    },
    Upstream {
        name: "azurelinux-oval:3.0",
        url: "https://raw.githubusercontent.com/microsoft/AzureLinuxVulnerabilityData/main/azurelinux-3.0-oval.xml",
        mirror_path: "microsoft/AzureLinuxVulnerabilityData/main/azurelinux-3.0-oval.xml",
        kind: Kind::File,
    },
    photon!("3.0"),
    photon!("4.0"),
    photon!("5.0"),
    Upstream {
        name: "wolfi-secdb",
        url: "https://packages.wolfi.dev/os/security.json",
        mirror_path: "wolfi/os/security.json",
        kind: Kind::File,
    },
    Upstream {
        name: "chainguard-secdb",
        url: "https://packages.cgr.dev/chainguard/security.json",
        mirror_path: "chainguard/chainguard/security.json",
        kind: Kind::File,
    },
    eol!("alpine"),
    eol!("amazon-linux"),
    eol!("centos"),
    eol!("debian"),
    eol!("rhel"),
    eol!("sles"),
    eol!("opensuse"),
    eol!("ubuntu"),
    eol!("almalinux"),
    eol!("rocky-linux"),
    eol!("oracle-linux"),
    osv!("PyPI"),
    osv!("npm"),
    osv!("crates.io"),
    osv!("Go"),
    osv!("Maven"),
    osv!("RubyGems"),
    osv!("Packagist"),
    osv!("NuGet"),
    Upstream {
        name: "nvd",
        url: NVD_URL,
        mirror_path: "nvd/cves/2.0",
        kind: Kind::NvdApi,
    },
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
    /// A paged source (NVD) received a page: `done` of `total` records of the
    /// current query, `page` counted from 1.
    Records {
        source: &'a str,
        page: u64,
        done: u64,
        total: u64,
    },
    Done {
        source: &'a str,
        outcome: &'a str,
    },
}

/// NVD API settings.
#[derive(Debug, Clone, Default)]
pub struct NvdOptions {
    /// Sent as the `apiKey` header (the CLI takes it from `NVD_API_KEY`).
    pub api_key: Option<String>,
    /// Pause between pages. `None`: NVD's published limits, 6 s without a key (5
    /// requests per 30 s) and 0.6 s with one (50 per 30 s).
    pub page_delay: Option<std::time::Duration>,
    /// `resultsPerPage` asked for; 0 means NVD's maximum, 2000.
    pub results_per_page: u32,
    /// Current time as Unix seconds (injected by tests); `None` reads the clock.
    pub now_unix: Option<u64>,
}

impl NvdOptions {
    fn delay(&self) -> Duration {
        self.page_delay.unwrap_or(if self.api_key.is_some() {
            Duration::from_millis(600)
        } else {
            Duration::from_secs(6)
        })
    }
}

/// Options for one update run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Replace upstream hosts with `BASE/<mirror_path>`.
    pub mirror: Option<String>,
    /// Sources to refresh (names or name prefixes such as `osv:` or `alpine`); empty =
    /// all, except NVD until one NVD update has succeeded.
    pub only: Vec<String>,
    pub attempts: u32,
    pub backoff: Duration,
    pub timeout: Duration,
    /// Recorded as the update time (injected for deterministic tests).
    pub now: String,
    pub nvd: NvdOptions,
    /// Name resolution instead of the system resolver (`host:port` -> addresses): lets
    /// tests fail or answer DNS on loopback without sending a query. `None`: the system.
    pub resolver: Option<Resolver>,
}

/// See [`Options::resolver`].
pub type Resolver = fn(&str) -> std::io::Result<Vec<std::net::SocketAddr>>;

impl Default for Options {
    fn default() -> Self {
        Options {
            mirror: None,
            only: Vec::new(),
            attempts: 4,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(120),
            now: String::new(),
            nvd: NvdOptions::default(),
            resolver: None,
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
    /// Records stored for the source after the run.
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

/// One GET of [`fetch`].
struct Get<'a> {
    source: &'a str,
    url: &'a str,
    /// Validators of the last good download, for a conditional request.
    prev: Option<&'a SourceInfo>,
    /// NVD: send `apiKey`, and treat 403 as rate limiting (retry), as NVD answers
    /// 403 when a client goes over its limit.
    nvd_key: Option<Option<&'a str>>,
    /// Report byte progress (off for NVD pages, which report records instead).
    bytes_progress: bool,
    /// Shortest wait before a retry (NVD: its page delay, so a rate-limited client
    /// does not come back sooner than NVD allows).
    min_backoff: Duration,
}

/// A failed download: one line saying what went wrong and what the user can do.
#[derive(Debug)]
struct FetchError {
    message: String,
    /// Retrying cannot help and other sources on the same host will fail the same way
    /// (the name does not resolve, TLS fails): they are failed without a request.
    host_down: bool,
}

impl From<FetchError> for String {
    fn from(e: FetchError) -> String {
        e.message
    }
}

/// What to do when a source cannot be downloaded, said once at the end of its line.
const WHAT_TO_DO: &str =
    "use a reachable mirror (`--mirror BASE`) or load a downloaded copy with `hull db import`";

/// Whether a failed request is worth repeating, and the line that explains it.
enum Failure {
    /// Retrying cannot fix it: DNS, TLS, a malformed URL, a 4xx answer.
    Permanent { message: String, host_down: bool },
    /// A reset or refused connection, a timeout, 5xx, 429, a truncated body.
    Transient(String),
}

/// The host of an `http(s)://host[:port]/…` URL.
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// Sort a ureq error into [`Failure`]. `nvd`: NVD answers 403 when a client goes over
/// its rate limit, so there 403 is transient.
fn classify(url: &str, e: ureq::Error, nvd: bool) -> Failure {
    let host = host_of(url);
    match e {
        ureq::Error::Status(code, _) if code >= 500 || code == 429 || code == 408 || (code == 403 && nvd) => {
            Failure::Transient(format!("{url}: HTTP {code}"))
        }
        ureq::Error::Status(404, _) => Failure::Permanent {
            message: format!(
                "{url}: HTTP 404, nothing at this address (a mirror must serve each source at its mirror path, see `hull db update --help`)"
            ),
            host_down: false,
        },
        ureq::Error::Status(code, _) => Failure::Permanent {
            message: format!("{url}: HTTP {code}, refused by the server"),
            host_down: false,
        },
        ureq::Error::Transport(t) => {
            use ureq::ErrorKind as K;
            let detail = t.to_string();
            let tls = t.kind() == K::ConnectionFailed
                && t.message().is_some_and(|m| m.contains("tls"));
            match t.kind() {
                K::Dns => Failure::Permanent {
                    message: format!("{url}: cannot resolve host `{host}` (no network or no DNS?)"),
                    host_down: true,
                },
                _ if tls => Failure::Permanent {
                    message: format!(
                        "{url}: TLS with `{host}` failed ({}; a proxy that intercepts TLS?)",
                        std::error::Error::source(&t).map_or(detail.clone(), |s| s.to_string())
                    ),
                    host_down: true,
                },
                K::InvalidUrl
                | K::UnknownScheme
                | K::InsecureRequestHttpsOnly
                | K::InvalidProxyUrl
                | K::ProxyUnauthorized
                | K::TooManyRedirects => Failure::Permanent {
                    message: format!("{url}: {detail}"),
                    host_down: false,
                },
                _ => Failure::Transient(format!("{url}: {detail}")),
            }
        }
    }
}

fn fetch(
    agent: &ureq::Agent,
    get: &Get<'_>,
    opts: &Options,
    progress: &dyn Fn(Progress<'_>),
) -> Result<Fetched, FetchError> {
    let (src, url) = (get.source, get.url);
    let mut last_err = String::new();
    let attempts = opts.attempts.max(1);
    let give_up = |message: String, host_down: bool| FetchError {
        message: format!("{message}: {WHAT_TO_DO}"),
        host_down,
    };
    for attempt in 0..attempts {
        if attempt > 0 {
            let base = opts.backoff.max(get.min_backoff);
            std::thread::sleep(base * 2u32.saturating_pow(attempt - 1));
        }
        let mut req = agent.get(url);
        if let Some(p) = get.prev.filter(|p| p.status == "ok") {
            if let Some(e) = &p.etag {
                req = req.set("If-None-Match", e);
            }
            if let Some(lm) = &p.last_modified {
                req = req.set("If-Modified-Since", lm);
            }
        }
        if let Some(Some(key)) = get.nvd_key {
            req = req.set("apiKey", key);
        }
        let resp = match req.call() {
            Ok(r) => r,
            Err(e) => match classify(url, e, get.nvd_key.is_some()) {
                Failure::Transient(m) => {
                    last_err = m;
                    continue;
                }
                Failure::Permanent { message, host_down } => {
                    return Err(give_up(message, host_down))
                }
            },
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
                    if get.bytes_progress {
                        progress(Progress::Bytes {
                            source: src,
                            done: bytes.len() as u64,
                            total,
                        });
                    }
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
            return Err(give_up(
                format!("{url}: larger than {} bytes", import::MAX_FILE_BYTES),
                false,
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
    Err(give_up(
        format!("{last_err} (gave up after {attempts} attempts; try again later)"),
        false,
    ))
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
                data.eol.extend(parsed.eol);
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
    let previous = store::sources_at(db_path)?;
    let mut sources = selected(&opts.only)?;
    if opts.only.is_empty() {
        // NVD joins a plain update once an NVD update has succeeded (it left a sync
        // time); NVD pages put in by `hull db import` do not start a full download.
        sources.retain(|s| {
            s.kind != Kind::NvdApi
                || previous.iter().any(|p| {
                    p.name == s.name
                        && p.last_modified
                            .as_deref()
                            .and_then(unix_of_rfc3339)
                            .is_some()
                })
        });
    }
    let mut agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(20))
        .timeout(opts.timeout)
        .user_agent(concat!("hull/", env!("CARGO_PKG_VERSION")));
    if let Some(r) = opts.resolver {
        agent = agent.resolver(r);
    }
    let agent = agent.build();
    let mut results = Vec::new();
    let mut updates = Vec::new();
    // Hosts that failed in a way no retry fixes (DNS, TLS): the next source there fails
    // at once with the same line instead of waiting for the same answer.
    let mut down: std::collections::HashMap<String, String> = Default::default();
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
        let host = host_of(&url).to_string();
        let fetched = match (down.get(&host), s.kind) {
            (Some(first), _) => Err(format!("{url}: not tried, {first}")),
            (None, Kind::File) => fetch(
                &agent,
                &Get {
                    source: s.name,
                    url: &url,
                    prev,
                    nvd_key: None,
                    bytes_progress: true,
                    min_backoff: Duration::ZERO,
                },
                opts,
                progress,
            )
            .map_err(|e| {
                if e.host_down {
                    down.insert(host.clone(), format!("`{}` failed: {}", s.name, e.message));
                }
                e.message
            })
            .and_then(|f| match f {
                Fetched::NotModified => Ok(None),
                Fetched::Body {
                    bytes,
                    etag,
                    last_modified,
                } => parse_download(s.name, &url, &bytes).map(|mut data| {
                    data.etag = etag;
                    data.last_modified = last_modified;
                    Some(data)
                }),
            }),
            (None, Kind::NvdApi) => nvd_update(&agent, s.name, &url, prev, opts, progress),
            (None, Kind::YumUpdateinfo) => {
                yum_updateinfo(&agent, s.name, &url, prev, opts, progress)
            }
        };
        let outcome = match fetched {
            Ok(None) => SourceResult {
                name: s.name.into(),
                url: url.clone(),
                outcome: "not-modified".into(),
                error: None,
                records: prev.map(|p| p.records).unwrap_or(0),
                skipped: vec![],
            },
            Ok(Some(data)) => {
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
    // A merged (incremental) source holds more than this run fetched: report the
    // stored totals.
    for o in report.iter().flat_map(|r| &r.sources) {
        if let Some(r) = results.iter_mut().find(|r| r.name == o.name) {
            r.records = o.records;
        }
    }
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

/// Follow a yum repository from its `mirror.list` to its updateinfo and parse it.
fn yum_updateinfo(
    agent: &ureq::Agent,
    name: &str,
    mirror_list: &str,
    prev: Option<&SourceInfo>,
    opts: &Options,
    progress: &dyn Fn(Progress<'_>),
) -> Result<Option<SourceData>, String> {
    let plain = |url: &str| -> Result<Vec<u8>, String> {
        let get = Get {
            source: name,
            url,
            prev: None,
            nvd_key: None,
            bytes_progress: false,
            min_backoff: Duration::ZERO,
        };
        match fetch(agent, &get, opts, progress)? {
            Fetched::Body { bytes, .. } => Ok(bytes),
            Fetched::NotModified => Err(format!("{url}: unexpected 304")),
        }
    };
    let list = plain(mirror_list)?;
    let base = std::str::from_utf8(&list)
        .ok()
        .and_then(first_mirror)
        .ok_or_else(|| format!("{mirror_list}: no repository URL in the mirror list"))?;
    let repomd_url = format!("{}/repodata/repomd.xml", base.trim_end_matches('/'));
    let repomd = plain(&repomd_url)?;
    let href = std::str::from_utf8(&repomd)
        .ok()
        .and_then(updateinfo_href)
        .ok_or_else(|| format!("{repomd_url}: no updateinfo in the repository metadata"))?;
    if href.contains("..") || href.starts_with('/') || href.contains("://") {
        return Err(format!(
            "{repomd_url}: updateinfo location `{href}` leaves the repository"
        ));
    }
    let url = format!("{}/{href}", base.trim_end_matches('/'));
    let get = Get {
        source: name,
        url: &url,
        prev,
        nvd_key: None,
        bytes_progress: true,
        min_backoff: Duration::ZERO,
    };
    match fetch(agent, &get, opts, progress)? {
        Fetched::NotModified => Ok(None),
        Fetched::Body {
            bytes,
            etag,
            last_modified,
        } => parse_download(name, &url, &bytes).map(|mut data| {
            data.etag = etag;
            data.last_modified = last_modified;
            Some(data)
        }),
    }
}

/// The first `http(s)://` line of a yum `mirror.list`.
fn first_mirror(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("https://") || l.starts_with("http://"))
        .map(str::to_string)
}

/// `<data type="updateinfo"><location href="repodata/…-updateinfo.xml.gz"/>` of a
/// `repomd.xml`.
fn updateinfo_href(repomd: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(repomd);
    let mut in_updateinfo = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"data" => {
                    in_updateinfo = e.attributes().flatten().any(|a| {
                        a.key.local_name().as_ref() == b"type" && a.value.as_ref() == b"updateinfo"
                    })
                }
                b"location" if in_updateinfo => {
                    return e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == b"href")
                        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()));
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == b"data" => in_updateinfo = false,
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// NVD's largest `lastModStartDate`..`lastModEndDate` range is 120 days; a day less
/// keeps clear of the edge.
const NVD_WINDOW_SECS: u64 = 119 * 86_400;

/// `resultsPerPage` NVD allows at most.
const NVD_MAX_PAGE: u32 = 2000;

/// Fetch NVD: every CVE on the first run, else the CVEs modified since the last
/// successful run, in windows. `Ok(None)` when there is nothing to ask for yet.
/// The sync time is kept in the source's `last_modified` column (RFC 3339): the
/// start of the run, so records changed while paging are asked for again next time.
fn nvd_update(
    agent: &ureq::Agent,
    name: &str,
    base: &str,
    prev: Option<&SourceInfo>,
    opts: &Options,
    progress: &dyn Fn(Progress<'_>),
) -> Result<Option<SourceData>, String> {
    let now = opts.nvd.now_unix.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    });
    let since = prev
        .and_then(|p| p.last_modified.as_deref())
        .and_then(unix_of_rfc3339);
    let windows: Vec<Option<(u64, u64)>> = match since {
        None => vec![None],
        Some(since) if since >= now => return Ok(None),
        Some(since) => {
            let mut w = Vec::new();
            let mut start = since;
            while start < now {
                let end = (start + NVD_WINDOW_SECS).min(now);
                w.push(Some((start, end)));
                start = end;
            }
            w
        }
    };
    let per_page = match opts.nvd.results_per_page {
        0 => NVD_MAX_PAGE,
        n => n.min(NVD_MAX_PAGE),
    };
    let mut data = SourceData {
        origin: base.to_string(),
        formats: vec![feed::Format::NvdJson],
        merge: since.is_some(),
        last_modified: Some(hull_model::rfc3339_utc(now)),
        ..SourceData::default()
    };
    // Index by id: NVD may move a CVE between pages while we page (a record modified
    // mid-run); the last copy wins and the store sees each id once.
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut page_no = 0u64;
    for window in windows {
        let mut start = 0u64;
        loop {
            if page_no > 0 {
                std::thread::sleep(opts.nvd.delay());
            }
            page_no += 1;
            let mut url = format!("{base}?startIndex={start}&resultsPerPage={per_page}");
            if let Some((from, to)) = window {
                url.push_str(&format!(
                    "&lastModStartDate={}&lastModEndDate={}",
                    nvd_date(from),
                    nvd_date(to)
                ));
            }
            let get = Get {
                source: name,
                url: &url,
                prev: None,
                nvd_key: Some(opts.nvd.api_key.as_deref()),
                bytes_progress: false,
                min_backoff: opts.nvd.delay(),
            };
            let bytes = match fetch(agent, &get, opts, progress)? {
                Fetched::Body { bytes, .. } => bytes,
                Fetched::NotModified => return Err(format!("{url}: unexpected 304")),
            };
            let text = std::str::from_utf8(&bytes).map_err(|e| format!("{url}: not UTF-8: {e}"))?;
            let (parsed, page) = feed::nvd::parse_page(&url, text).map_err(|e| e.to_string())?;
            for adv in parsed.advisories {
                match index.get(&adv.id) {
                    Some(&i) => data.advisories[i] = adv,
                    None => {
                        index.insert(adv.id.clone(), data.advisories.len());
                        data.advisories.push(adv);
                    }
                }
            }
            data.skipped.extend(parsed.skipped);
            data.remove.extend(parsed.rejected);
            let done = page.start_index.max(start) + page.results;
            progress(Progress::Records {
                source: name,
                page: page_no,
                done: done.min(page.total_results),
                total: page.total_results,
            });
            if done >= page.total_results {
                break;
            }
            if page.results == 0 {
                // An empty page before the end would loop forever.
                return Err(format!(
                    "{url}: empty page at startIndex {start} of {} results",
                    page.total_results
                ));
            }
            start = done;
        }
    }
    // A CVE rejected in one window and re-published in a later one stays.
    data.remove.retain(|id| !index.contains_key(id));
    Ok(Some(data))
}

/// NVD's extended ISO-8601 form with an explicit, URL-encoded UTC offset
/// (`2024-01-31T12:00:00.000%2B00:00`), as its API documentation shows.
fn nvd_date(unix: u64) -> String {
    let s = hull_model::rfc3339_utc(unix);
    format!("{}.000%2B00:00", s.trim_end_matches('Z'))
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SSZ` (the form [`hull_model::rfc3339_utc`]
/// writes); `None` for anything else.
fn unix_of_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (the inverse of the formatter's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip_and_nvd_dates() {
        for t in [0u64, 951_782_400, 1_700_000_000, 4_107_542_399] {
            assert_eq!(unix_of_rfc3339(&hull_model::rfc3339_utc(t)), Some(t));
        }
        for bad in [
            "",
            "2024-01-01",
            "2024-13-01T00:00:00Z",
            "2024-01-01T00:00:00+01:00",
        ] {
            assert_eq!(unix_of_rfc3339(bad), None, "{bad}");
        }
        assert_eq!(nvd_date(951_782_400), "2000-02-29T00:00:00.000%2B00:00");
    }

    #[test]
    fn sources_are_unique_and_selectable() {
        let mut names: Vec<_> = SOURCES.iter().map(|s| s.name).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
        let rh = selected(&["redhat".into()]).unwrap();
        assert_eq!(rh.len(), 4);
        assert!(rh.iter().all(|s| s.url.ends_with(".oval.xml.bz2")));
        assert_eq!(selected(&["nvd".into()]).unwrap()[0].kind, Kind::NvdApi);
        assert_eq!(selected(&["eol:".into()]).unwrap().len(), 11);
        assert_eq!(selected(&["amazon-alas".into()]).unwrap().len(), 2);
    }

    #[test]
    fn yum_mirror_list_and_repomd() {
        assert_eq!(
            first_mirror(
                "# comment\n\nhttps://cdn.example/al2023/core/guids/abc/x86_64/\nhttps://b/\n"
            )
            .as_deref(),
            Some("https://cdn.example/al2023/core/guids/abc/x86_64/")
        );
        assert_eq!(first_mirror("nothing here"), None);
        let repomd = r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  <data type="primary"><location href="repodata/1-primary.xml.gz"/></data>
  <data type="updateinfo"><checksum type="sha256">ab</checksum><location href="repodata/2-updateinfo.xml.gz"/></data>
</repomd>"#;
        assert_eq!(
            updateinfo_href(repomd).as_deref(),
            Some("repodata/2-updateinfo.xml.gz")
        );
        assert_eq!(updateinfo_href("<repomd/>"), None);
    }
}
