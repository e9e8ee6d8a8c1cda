//! New findings → webhooks and a log line.
//!
//! Delivery reuses the monitor's webhook sender (`hull_runtime::output::Webhook`): its
//! own thread, a bounded queue that never blocks the caller (overflow is counted as
//! dropped), connect/read timeouts and retries with backoff. One notice is sent per
//! image scan that has new findings; its JSON shape is documented in
//! `docs/server.md` (`kind: "new-findings"`).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hull_runtime::output::{Webhook, WebhookTarget};
use serde::Serialize;

use crate::store::{AuditRecorded, FindingRow, Recorded};
use crate::upload::ImageRef;

/// The header carrying a webhook body's HMAC-SHA256 (`sha256=HEX`).
pub const SIGNATURE_HEADER: &str = "X-Hull-Signature-256";

/// Notices waiting per webhook before further ones are dropped (and counted).
pub const QUEUE: usize = 256;

#[derive(Serialize)]
struct Notice<'a> {
    kind: &'static str,
    image: &'a ImageRef,
    scan_id: i64,
    scanned_at: &'a str,
    vulndb_built_at: Option<&'a str>,
    advisory_ids: Vec<&'a str>,
    by_severity: BTreeMap<&'static str, u64>,
    findings: Vec<NoticeFinding<'a>>,
}

#[derive(Serialize)]
struct NoticeFinding<'a> {
    id: &'a str,
    package: &'a str,
    installed: &'a str,
    fixed: Option<&'a str>,
    severity: &'static str,
    path: &'a str,
}

/// The JSON body of a new-findings notice.
pub fn notice_body(image: &ImageRef, rec: &Recorded) -> String {
    let rows: &[FindingRow] = &rec.new_findings;
    let mut ids: Vec<&str> = rows.iter().map(|r| r.advisory_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut by_severity = BTreeMap::new();
    for r in rows {
        *by_severity.entry(r.severity.as_str()).or_insert(0) += 1;
    }
    let notice = Notice {
        kind: "new-findings",
        image,
        scan_id: rec.scan.id,
        scanned_at: &rec.scan.scanned_at,
        vulndb_built_at: rec.scan.vulndb_built_at.as_deref(),
        advisory_ids: ids,
        by_severity,
        findings: rows
            .iter()
            .map(|r| NoticeFinding {
                id: &r.advisory_id,
                package: &r.package,
                installed: &r.installed,
                fixed: r.fixed.as_deref(),
                severity: r.severity.as_str(),
                path: &r.path,
            })
            .collect(),
    };
    serde_json::to_string(&notice).unwrap_or_default()
}

/// The configured webhooks.
pub struct Notifier {
    hooks: Vec<(String, Webhook)>,
}

/// Delivery counters summed over all webhooks: (sent, failed attempts, dropped).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: u64,
    pub errors: u64,
    pub dropped: u64,
}

impl Notifier {
    /// Start one sender per URL (`http://` or `https://`, like the monitor's webhooks).
    /// `secrets[i]`, when there is one, signs the bodies sent to `urls[i]`: header
    /// [`SIGNATURE_HEADER`] `sha256=HEX`, the HMAC-SHA256 of the exact body.
    pub fn start(urls: &[String], secrets: &[Vec<u8>]) -> Result<Notifier, String> {
        let mut hooks = Vec::new();
        for (i, u) in urls.iter().enumerate() {
            let mut target =
                WebhookTarget::new(u, None, Duration::from_secs(10)).map_err(|e| e.to_string())?;
            if let Some(secret) = secrets.get(i).filter(|s| !s.is_empty()).cloned() {
                target = target.with_header(std::sync::Arc::new(move |body: &[u8]| {
                    (
                        SIGNATURE_HEADER.to_string(),
                        format!("sha256={}", crate::tokens::sign(&secret, body)),
                    )
                }));
            }
            let hook = Webhook::start(target, QUEUE, 3)
                .map_err(|e| format!("webhook {u}: cannot start its sender: {e}"))?;
            hooks.push((u.clone(), hook));
        }
        Ok(Notifier { hooks })
    }

    /// Queue a notice for every webhook when `rec` has new findings; returns the log
    /// line to write (`None` when there is nothing new).
    pub fn notify(&self, image: &ImageRef, rec: &Recorded) -> Option<String> {
        if rec.new_findings.is_empty() {
            return None;
        }
        let body = notice_body(image, rec);
        for (_, h) in &self.hooks {
            h.send_body(body.clone());
        }
        let mut ids: Vec<&str> = rec
            .new_findings
            .iter()
            .map(|r| r.advisory_id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let shown = ids.iter().take(10).copied().collect::<Vec<_>>().join(", ");
        let more = ids.len().saturating_sub(10);
        Some(format!(
            "{} new finding(s) in {} (scan {}): {shown}{}",
            rec.new_findings.len(),
            image.display(),
            rec.scan.id,
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ))
    }

    /// Queue a `new-audit-findings` notice when an audit run found something new;
    /// returns the log line.
    pub fn notify_audit(&self, rec: &AuditRecorded) -> Option<String> {
        if rec.new_findings.is_empty() {
            return None;
        }
        let body = serde_json::json!({
            "kind": "new-audit-findings",
            "audit_id": rec.summary.id,
            "ran_at": rec.summary.ran_at,
            "findings": rec.new_findings.iter().map(|r| serde_json::json!({
                "id": r.check_id,
                "severity": r.severity.as_str(),
                "path": r.path,
                "workload": r.workload,
                "container": r.container,
                "message": r.message,
            })).collect::<Vec<_>>(),
        })
        .to_string();
        for (_, h) in &self.hooks {
            h.send_body(body.clone());
        }
        Some(format!(
            "{} new configuration finding(s) in audit {}",
            rec.new_findings.len(),
            rec.summary.id
        ))
    }

    pub fn delivery(&self) -> Delivery {
        let mut d = Delivery::default();
        for (_, h) in &self.hooks {
            d.sent += h.stats.written.load(Ordering::Relaxed);
            d.errors += h.stats.write_errors.load(Ordering::Relaxed);
            d.dropped += h.stats.dropped.load(Ordering::Relaxed);
        }
        d
    }
}
