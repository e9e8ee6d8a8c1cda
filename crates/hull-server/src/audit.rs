//! Scheduled configuration audits: `hull config` over directories the server watches
//! (`--audit-dir`), on a fixed interval. Each run is stored with the same per-file JSON
//! document `hull config --format json` writes; findings absent from the previous run
//! are new and go to the webhooks as `kind: "new-audit-findings"`.

use std::path::PathBuf;

use crate::store::AuditRow;

/// One audit of `dirs` with the built-in checks.
pub struct AuditRun {
    /// `{"files": [...], "summary": {...}}` as `hull config --format json` prints it.
    pub report: serde_json::Value,
    pub files: u64,
    pub errors: u64,
    pub findings: Vec<AuditRow>,
}

/// Audit every configuration file under `dirs` (unknown file kinds are skipped, as
/// `hull config DIR` does; unreadable files are counted, not fatal).
pub fn run(dirs: &[PathBuf]) -> AuditRun {
    let files = hull_audit::audit_paths(dirs, &hull_audit::Options::default());
    let report =
        serde_json::from_str(&hull_audit::output::json(&files)).unwrap_or(serde_json::Value::Null);
    let findings = files
        .iter()
        .flat_map(|f| {
            f.findings.iter().map(|x| AuditRow {
                path: f.path.clone(),
                check_id: x.id.clone(),
                severity: x.severity,
                workload: x.workload.clone().unwrap_or_default(),
                container: x.container.clone().unwrap_or_default(),
                message: x.message.clone(),
                new: false,
            })
        })
        .collect();
    AuditRun {
        report,
        files: files.len() as u64,
        errors: files.iter().filter(|f| f.error.is_some()).count() as u64,
        findings,
    }
}
