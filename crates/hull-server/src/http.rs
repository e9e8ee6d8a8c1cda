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
        "/api/v1/images" if get => {
            let (limit, cursor) = match paging(query) {
                Ok(p) => p,
                Err(r) => return r,
            };
            match app.store.versions(None) {
                Ok(mut v) => {
                    // By image id, so a cursor stays valid while pushes add versions.
                    v.sort_by_key(|x| x.image_id);
                    let mut page: Vec<_> = v
                        .into_iter()
                        .filter(|x| cursor.is_none_or(|c| x.image_id > c))
                        .take(limit + 1)
                        .collect();
                    let next = (page.len() > limit).then(|| {
                        page.truncate(limit);
                        page.last().map(|x| x.image_id)
                    });
                    Reply::json(
                        200,
                        &json!({ "images": page, "next_cursor": next.flatten() }),
                    )
                }
                Err(e) => Reply::error(500, &e.to_string()),
            }
        }
        "/api/v1/scans" if get => scans_of_image(app, query),
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
        _ if method == "DELETE" => delete(app, caller, path),
        _ => route_params(app, get, path, query)
            .unwrap_or_else(|| Reply::error(404, &format!("no such resource: {}", truncate(path)))),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

/// `DELETE /api/v1/images/{repo}` (every version) and
/// `DELETE /api/v1/images/{repo}/digests/{digest}` (one image), admin only (the
/// authorisation layer checked it).
fn delete(app: &App, caller: &Caller, path: &str) -> Reply {
    let Some(rest) = path.strip_prefix("/api/v1/images/") else {
        return Reply::error(405, &format!("DELETE is not allowed on {}", truncate(path)));
    };
    let (raw, digest) = match rest.rsplit_once("/digests/") {
        Some((r, d)) => (r, Some(percent_decode(d, false).unwrap_or_default())),
        None => (rest, None),
    };
    let repo = match repository(raw) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    if let Some(d) = &digest {
        if let Err(e) = ImageRef::new(&repo, None, Some(d)) {
            return Reply::error(400, &e.to_string());
        }
    }
    match app.store.delete_versions(&repo, digest.as_deref()) {
        Ok(0) => Reply::error(404, &format!("no image {repo} is known")),
        Ok(n) => {
            let what = match &digest {
                Some(d) => format!("{repo}@{d}"),
                None => repo.clone(),
            };
            app.audit_event(&caller.actor, "delete", &format!("{what}: {n} version(s)"));
            Reply::json(
                200,
                &json!({ "repository": repo, "digest": digest, "deleted_versions": n }),
            )
        }
        Err(e) => Reply::error(500, &e.to_string()),
    }
}

/// Default and largest page of list routes.
pub const PAGE_DEFAULT: usize = 500;
pub const PAGE_MAX: usize = 5000;

/// `?limit=N` (1..=PAGE_MAX, default PAGE_DEFAULT) and `?cursor=ID`.
fn paging(query: &str) -> Result<(usize, Option<i64>), Reply> {
    let limit = match query_param(query, "limit") {
        None => PAGE_DEFAULT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=PAGE_MAX).contains(&n) => n,
            _ => {
                return Err(Reply::error(
                    400,
                    &format!("limit must be a number from 1 to {PAGE_MAX}"),
                ))
            }
        },
    };
    let cursor = match query_param(query, "cursor") {
        None => None,
        Some(c) => match c.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => return Err(Reply::error(400, "cursor must be a number")),
        },
    };
    Ok((limit, cursor))
}

/// The scan history (newest first, paged by scan id) of every stored version that
/// matches `image` (`repository[:tag][@digest]`).
fn history_of(app: &App, image: &ImageRef, query: &str) -> Reply {
    let (limit, cursor) = match paging(query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let versions = match app.store.versions(Some(&image.repository)) {
        Ok(v) => v,
        Err(e) => return Reply::error(500, &e.to_string()),
    };
    let matching: Vec<_> = versions
        .into_iter()
        .filter(|v| image.tag.is_none() || v.image.tag == image.tag)
        .filter(|v| image.digest.is_none() || v.image.digest == image.digest)
        .collect();
    if matching.is_empty() {
        return Reply::error(404, &format!("no image {} is known", image.display()));
    }
    let mut out = Vec::new();
    let mut next = None;
    for v in &matching {
        match app.store.history(v.image_id, limit + 1, cursor) {
            Ok(mut scans) => {
                if scans.len() > limit {
                    scans.truncate(limit);
                    next = next.max(scans.last().map(|s| s.id));
                }
                out.push(json!({
                    "image": v.image,
                    "image_id": v.image_id,
                    "first_seen": v.first_seen,
                    "scans": scans,
                }));
            }
            Err(e) => return Reply::error(500, &e.to_string()),
        }
    }
    Reply::json(
        200,
        &json!({
            "repository": image.repository,
            "digest": image.digest,
            "versions": out,
            "next_cursor": next,
        }),
    )
}

/// `GET /api/v1/scans?image=REF`.
fn scans_of_image(app: &App, query: &str) -> Reply {
    let Some(image) = query_param(query, "image") else {
        return Reply::error(400, "?image=REPOSITORY[:TAG][@DIGEST] is required");
    };
    match ImageRef::parse(&image) {
        Ok(r) => history_of(app, &r, query),
        Err(e) => Reply::error(400, &e.to_string()),
    }
}

/// `?severity=high,critical`: the severities to keep (`None`: all).
fn severity_set(query: &str) -> Result<Option<std::collections::BTreeSet<Severity>>, Reply> {
    let Some(list) = query_param(query, "severity") else {
        return Ok(None);
    };
    list.split(',')
        .map(|s| {
            s.trim()
                .parse::<Severity>()
                .map_err(|e| Reply::error(400, &e))
        })
        .collect::<Result<_, _>>()
        .map(Some)
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
        let severities = match severity_set(query) {
            Ok(s) => s,
            Err(r) => return Some(r),
        };
        return Some(scan_findings(app, id, severities));
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
        if let Some((raw, digest)) = rest.rsplit_once("/digests/") {
            if !get {
                return Some(Reply::error(405, "only GET is allowed here"));
            }
            let repo = match repository(raw) {
                Ok(r) => r,
                Err(reply) => return Some(reply),
            };
            let digest = percent_decode(digest, false).unwrap_or_default();
            return Some(match ImageRef::new(&repo, None, Some(&digest)) {
                Ok(image) if image.digest.is_some() => history_of(app, &image, query),
                Ok(_) => Reply::error(400, "a digest is required"),
                Err(e) => Reply::error(400, &e.to_string()),
            });
        }
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
            if let Some(c) = current.as_deref() {
                let known = versions.iter().any(|v| {
                    v.image.tag.as_deref() == Some(c) || v.image.digest.as_deref() == Some(c)
                });
                if !known {
                    return Some(Reply::error(
                        404,
                        &format!("{repo} has no version with tag or digest `{}`", truncate(c)),
                    ));
                }
            }
            let unknown = match query_param(query, "unknown-as") {
                None => app.config.unknown_as,
                Some(u) => match u.parse::<crate::recommend::UnknownAs>() {
                    Ok(u) => u,
                    Err(e) => return Some(Reply::error(400, &e)),
                },
            };
            let r = crate::recommend::recommend_with(
                &repo,
                versions,
                threshold,
                current.as_deref(),
                unknown,
            );
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
fn scan_findings(
    app: &App,
    id: i64,
    severities: Option<std::collections::BTreeSet<Severity>>,
) -> Reply {
    let scan = match app.store.scan(id) {
        Ok(Some(s)) => s,
        Ok(None) => return Reply::error(404, &format!("no scan {id}")),
        Err(e) => return Reply::error(500, &e.to_string()),
    };
    let filters = hull_report::filter::Filters {
        severities,
        ..Default::default()
    };
    let filtered = hull_report::filter::apply(scan.findings, &filters);
    let details = hull_report::vuln::Details::new();
    let report = hull_report::vuln::ScanReport {
        inventory: &scan.inventory,
        filtered: &filtered,
        details: &details,
        coverage: None,
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
