//! Routing: `/api/v1/…` (JSON), `/` and `/images/{repository}` (HTML), `/healthz`,
//! `/metrics`. Client mistakes are 4xx with a JSON `{"error": …}` body and leave the
//! store untouched; 500 is only for the server's own failures (an unreadable store or
//! vulnerability database).
//!
//! Repository names contain `/` (`library/alpine`, `ghcr.io/org/app`), so image routes
//! are matched by their suffix (`…/versions`, `…/recommendation`) and the part in
//! between is percent-decoded and validated like an uploaded name.

use std::sync::atomic::Ordering;

use hull_model::Severity;
use serde_json::json;

use crate::access::Caller;
use crate::upload::ImageRef;
use crate::App;

/// A response before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, v: &serde_json::Value) -> Reply {
        let mut body = serde_json::to_vec_pretty(v).unwrap_or_default();
        body.push(b'\n');
        Reply {
            status,
            content_type: "application/json",
            body,
        }
    }

    pub fn error(status: u16, msg: &str) -> Reply {
        Reply::json(status, &json!({ "error": msg }))
    }

    pub fn html(body: String) -> Reply {
        Reply {
            status: 200,
            content_type: "text/html; charset=utf-8",
            body: body.into_bytes(),
        }
    }

    pub fn text(status: u16, body: String, content_type: &'static str) -> Reply {
        Reply {
            status,
            content_type,
            body: body.into_bytes(),
        }
    }
}

/// The axum response of a [`Reply`].
pub fn reply_response(reply: Reply) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = axum::http::StatusCode::from_u16(reply.status)
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(axum::http::header::CONTENT_TYPE, reply.content_type)],
        reply.body,
    )
        .into_response()
}

/// `%XX` decoding of one path segment or query value; `None` when it is not UTF-8 or
/// malformed.
pub fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (percent_decode(k, true)? == key).then(|| percent_decode(v, true))?
    })
}

/// The validated repository named by a path segment.
fn repository(raw: &str) -> Result<String, Reply> {
    let decoded = percent_decode(raw, false)
        .ok_or_else(|| Reply::error(400, "malformed percent-encoding"))?;
    ImageRef::new(&decoded, None, None)
        .map(|r| r.repository)
        .map_err(|e| Reply::error(400, &e.to_string()))
}

/// Route a request (separate from I/O so it can be tested directly). The
/// authorisation layer of [`crate::router`] already let `caller` through.
pub fn route(app: &App, caller: &Caller, method: &str, url: &str, body: Option<&[u8]>) -> Reply {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let get = method == "GET" || method == "HEAD";
    let post = method == "POST";
    let wrong_method = || Reply::error(405, &format!("{method} is not allowed on {path}"));
    match path {
        "/" | "/index.html" if get => match crate::dashboard::index(app, caller) {
            Ok(h) => Reply::html(h),
            Err(e) => Reply::error(500, &e.to_string()),
        },
        "/healthz" if get => Reply::text(200, "ok\n".into(), "text/plain; charset=utf-8"),
        "/metrics" if get => Reply::text(
            200,
            metrics(app),
            "text/plain; version=0.0.4; charset=utf-8",
        ),
        "/api/v1/images" if get => match app.store.versions(None) {
            Ok(v) => Reply::json(200, &json!({ "images": v })),
            Err(e) => Reply::error(500, &e.to_string()),
        },
        "/api/v1/scans" if post => match app.push(body.unwrap_or_default(), &caller.actor) {
            Ok((image, rec)) => Reply::json(
                201,
                &json!({
                    "image": image,
                    "image_id": rec.image_id,
                    "scan": rec.scan,
                    "new_findings": rec.new_findings,
                }),
            ),
            Err(e) => Reply::error(e.status(), &e.to_string()),
        },
        "/api/v1/rescan" if post => match app.rescan_all(&caller.actor) {
            Ok(o) => Reply::json(200, &serde_json::to_value(o).unwrap_or_default()),
            Err(e) => Reply::error(e.status(), &e.to_string()),
        },
        "/api/v1/events" if get => match app.store.events(500) {
            Ok(e) => Reply::json(200, &json!({ "events": e })),
            Err(e) => Reply::error(500, &e.to_string()),
        },
        "/api/v1/audits" if get => match app.store.audits(100) {
            Ok(a) => Reply::json(200, &json!({ "audits": a })),
            Err(e) => Reply::error(500, &e.to_string()),
        },
        "/api/v1/audits" if post => match app.run_audit() {
            Ok(Some(rec)) => Reply::json(201, &json!(rec)),
            Ok(None) => Reply::error(409, "no audit directory is configured (--audit-dir)"),
            Err(e) => Reply::error(e.status(), &e.to_string()),
        },
        "/" | "/index.html" | "/healthz" | "/metrics" | "/api/v1/images" | "/api/v1/scans"
        | "/api/v1/rescan" | "/api/v1/audits" | "/api/v1/events" => wrong_method(),
        _ => route_params(app, get, path, query)
            .unwrap_or_else(|| Reply::error(404, &format!("no such resource: {}", truncate(path)))),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

/// Routes with a parameter in the path; `None` when nothing matches.
fn route_params(app: &App, get: bool, path: &str, query: &str) -> Option<Reply> {
    if let Some(rest) = path.strip_prefix("/api/v1/scans/") {
        let id = rest.strip_suffix("/findings")?;
        if !get {
            return Some(Reply::error(405, "only GET is allowed here"));
        }
        let Ok(id) = id.parse::<i64>() else {
            return Some(Reply::error(400, "scan id must be a number"));
        };
        return Some(scan_findings(app, id));
    }
    if let Some(id) = path.strip_prefix("/api/v1/audits/") {
        if !get {
            return Some(Reply::error(405, "only GET is allowed here"));
        }
        let Ok(id) = id.parse::<i64>() else {
            return Some(Reply::error(400, "audit id must be a number"));
        };
        return Some(match app.store.audit(id) {
            Ok(Some((summary, mut report))) => {
                if let serde_json::Value::Object(m) = &mut report {
                    m.insert("audit".into(), json!(summary));
                }
                Reply::json(200, &report)
            }
            Ok(None) => Reply::error(404, &format!("no audit {id}")),
            Err(e) => Reply::error(500, &e.to_string()),
        });
    }
    if let Some(rest) = path.strip_prefix("/api/v1/images/") {
        let (raw, what) = rest
            .strip_suffix("/versions")
            .map(|r| (r, "versions"))
            .or_else(|| {
                rest.strip_suffix("/recommendation")
                    .map(|r| (r, "recommendation"))
            })?;
        if !get {
            return Some(Reply::error(405, "only GET is allowed here"));
        }
        let repo = match repository(raw) {
            Ok(r) => r,
            Err(reply) => return Some(reply),
        };
        let versions = match app.store.versions(Some(&repo)) {
            Ok(v) => v,
            Err(e) => return Some(Reply::error(500, &e.to_string())),
        };
        if versions.is_empty() {
            return Some(Reply::error(404, &format!("no image {repo} is known")));
        }
        return Some(if what == "versions" {
            let mut versions = versions;
            let rule = crate::recommend::order(&mut versions);
            versions.reverse();
            Reply::json(
                200,
                &json!({ "repository": repo, "order": rule, "versions": versions }),
            )
        } else {
            let threshold = match query_param(query, "severity") {
                None => Severity::High,
                Some(s) => match s.parse::<Severity>() {
                    Ok(s) => s,
                    Err(e) => return Some(Reply::error(400, &e)),
                },
            };
            let current = query_param(query, "current");
            let r = crate::recommend::recommend(&repo, versions, threshold, current.as_deref());
            Reply::json(200, &serde_json::to_value(r).unwrap_or_default())
        });
    }
    if let Some(raw) = path.strip_prefix("/images/") {
        if !get {
            return Some(Reply::error(405, "only GET is allowed here"));
        }
        let repo = match repository(raw) {
            Ok(r) => r,
            Err(reply) => return Some(reply),
        };
        return Some(match crate::dashboard::image_page(app, &repo) {
            Ok(Some(h)) => Reply::html(h),
            Ok(None) => Reply::error(404, &format!("no image {repo} is known")),
            Err(e) => Reply::error(500, &e.to_string()),
        });
    }
    None
}

/// The hull JSON vulnerability report of a stored scan (the same document
/// `hull image --format json` writes), plus the scan's summary under `scan`.
fn scan_findings(app: &App, id: i64) -> Reply {
    let scan = match app.store.scan(id) {
        Ok(Some(s)) => s,
        Ok(None) => return Reply::error(404, &format!("no scan {id}")),
        Err(e) => return Reply::error(500, &e.to_string()),
    };
    let filtered = hull_report::filter::apply(scan.findings, &Default::default());
    let details = hull_report::vuln::Details::new();
    let report = hull_report::vuln::ScanReport {
        inventory: &scan.inventory,
        filtered: &filtered,
        details: &details,
    };
    let opts = hull_report::WriteOptions::fixed(&scan.summary.scanned_at);
    match hull_report::vuln::json::to_value(&report, &opts) {
        Ok(mut v) => {
            if let serde_json::Value::Object(m) = &mut v {
                m.insert("scan".into(), json!(scan.summary));
                m.insert("image_ref".into(), json!(scan.image));
            }
            Reply::json(200, &v)
        }
        Err(e) => Reply::error(500, &e.to_string()),
    }
}

/// Every metric name `/metrics` exports.
pub const METRIC_NAMES: &[&str] = &[
    "hull_server_requests_total",
    "hull_server_scans_received_total",
    "hull_server_rescans_total",
    "hull_server_rescanned_images_total",
    "hull_server_rescan_errors_total",
    "hull_server_new_findings_total",
    "hull_server_audits_total",
    "hull_server_webhook_sent_total",
    "hull_server_webhook_errors_total",
    "hull_server_webhook_dropped_total",
];

fn metrics(app: &App) -> String {
    use std::fmt::Write as _;
    let c = &app.counters;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# HELP hull_server_requests_total HTTP requests by status code."
    );
    let _ = writeln!(s, "# TYPE hull_server_requests_total counter");
    if let Ok(m) = c.requests.lock() {
        for (code, n) in m.iter() {
            let _ = writeln!(s, "hull_server_requests_total{{code=\"{code}\"}} {n}");
        }
    }
    let d = app.notifier.delivery();
    for (name, help, v) in [
        (
            "hull_server_scans_received_total",
            "Scans pushed by clients.",
            c.scans_received.load(Ordering::Relaxed),
        ),
        (
            "hull_server_rescans_total",
            "Completed rescans of all stored inventories.",
            c.rescans.load(Ordering::Relaxed),
        ),
        (
            "hull_server_rescanned_images_total",
            "Image versions re-matched by rescans.",
            c.rescanned_images.load(Ordering::Relaxed),
        ),
        (
            "hull_server_rescan_errors_total",
            "Rescans that failed.",
            c.rescan_errors.load(Ordering::Relaxed),
        ),
        (
            "hull_server_new_findings_total",
            "Findings absent from the previous scan of their image.",
            c.new_findings.load(Ordering::Relaxed),
        ),
        (
            "hull_server_audits_total",
            "Completed configuration audit runs.",
            c.audits.load(Ordering::Relaxed),
        ),
        (
            "hull_server_webhook_sent_total",
            "New-findings notices delivered.",
            d.sent,
        ),
        (
            "hull_server_webhook_errors_total",
            "Failed webhook attempts (retried).",
            d.errors,
        ),
        (
            "hull_server_webhook_dropped_total",
            "Notices given up on or dropped on a full queue.",
            d.dropped,
        ),
    ] {
        let _ = writeln!(s, "# HELP {name} {help}");
        let _ = writeln!(s, "# TYPE {name} counter");
        let _ = writeln!(s, "{name} {v}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(
            percent_decode("library%2Falpine", false).unwrap(),
            "library/alpine"
        );
        assert_eq!(percent_decode("a+b", true).unwrap(), "a b");
        assert_eq!(percent_decode("a+b", false).unwrap(), "a+b");
        assert!(percent_decode("%zz", false).is_none());
        assert!(percent_decode("%2", false).is_none());
        assert!(percent_decode("%ff", false).is_none());
        assert!(percent_decode("%c3%a9", false).is_some());
        assert_eq!(
            query_param("a=1&severity=LOW", "severity").as_deref(),
            Some("LOW")
        );
        assert_eq!(query_param("severity", "severity").as_deref(), Some(""));
        assert_eq!(query_param("x=1", "severity"), None);
        assert!(repository("..%2Fetc").is_err());
        assert_eq!(repository("team%2Fapp").unwrap(), "team/app");
    }
}
