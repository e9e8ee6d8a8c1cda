//! The whole `hull image` report: the vulnerability report of [`crate::vuln`] plus the
//! content findings (secrets, insecure files, image config) and the image score S, in
//! every format (`docs/report-formats.md`).
//!
//! The vulnerability document is rendered first and the content added to it, so a
//! `--scanners vuln` report is byte-for-byte what it always was, apart from the new
//! fields (`scanners`, `checks`, `score`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};

use hull_model::{CheckFinding, CheckKind, CheckLocation, Severity};

use crate::filter::{AssessedCheck, IgnoreEntry};
use crate::score::Score;
use crate::table::cut;
use crate::vuln::{self, RenderError, ScanReport, VulnFormat};
use crate::WriteOptions;

/// The content half of an image report.
#[derive(Debug, Clone, Default)]
pub struct ContentReport {
    /// Which scanners ran (`vuln`, `secret`, `file`, `config`).
    pub scanners: Vec<String>,
    /// Every content finding, reported or suppressed, in report order.
    pub findings: Vec<AssessedCheck>,
    /// Expired `checks:` entries of the ignore file.
    pub expired_ignores: Vec<IgnoreEntry>,
    pub score: Option<Score>,
}

impl ContentReport {
    pub fn reported(&self) -> impl Iterator<Item = &CheckFinding> {
        self.findings
            .iter()
            .filter(|a| a.is_reported())
            .map(|a| &a.finding)
    }
}

/// Render the whole image report into `out`.
pub fn render_to(
    report: &ScanReport,
    content: &ContentReport,
    format: VulnFormat,
    opts: &WriteOptions,
    out: &mut dyn std::io::Write,
) -> Result<(), RenderError> {
    let io = |source| RenderError::Io { format, source };
    let jerr = |source| RenderError::Json { format, source };
    let mut value = match format {
        VulnFormat::Table => {
            let mut text = if content.scanners.iter().any(|s| s == "vuln") {
                crate::vuln::table::render(report, 120)
            } else {
                format!(
                    "{}\n",
                    cut(&format!("Image     {}", report.inventory.image.target), 120)
                )
            };
            text.push_str(&table(content, 120));
            return out.write_all(text.as_bytes()).map_err(io);
        }
        VulnFormat::Json => vuln::json::to_value(report, opts),
        VulnFormat::Sarif => vuln::sarif::to_value(report, opts),
        VulnFormat::CycloneDx => vuln::cyclonedx::to_value(report, opts),
        VulnFormat::SpdxJson => vuln::spdx::to_value(report, opts),
    }
    .map_err(jerr)?;
    match format {
        VulnFormat::Json => add_json(&mut value, content).map_err(jerr)?,
        VulnFormat::Sarif => add_sarif(&mut value, content).map_err(jerr)?,
        VulnFormat::CycloneDx => add_cyclonedx(&mut value, content),
        // SPDX has no place for findings beyond package references: S only.
        _ => {
            if let (Some(s), Value::Object(m)) = (&content.score, &mut value) {
                m.insert(
                    "comment".into(),
                    format!("hull image score S = {:.2}", s.value).into(),
                );
            }
        }
    }
    serde_json::to_writer_pretty(&mut *out, &value).map_err(jerr)?;
    out.write_all(b"\n").map_err(io)
}

fn entry(a: &AssessedCheck) -> Result<Value, serde_json::Error> {
    let mut v = serde_json::to_value(&a.finding)?;
    if let (Some(s), Value::Object(m)) = (&a.suppressed, &mut v) {
        m.insert("suppressed".into(), serde_json::to_value(s)?);
    }
    Ok(v)
}

fn add_json(doc: &mut Value, content: &ContentReport) -> Result<(), serde_json::Error> {
    let Value::Object(m) = doc else {
        return Ok(());
    };
    for key in ["findings", "suppressed"] {
        if let Some(Value::Array(list)) = m.get_mut(key) {
            for f in list {
                if let Value::Object(f) = f {
                    f.insert("kind".into(), "vulnerability".into());
                }
            }
        }
    }
    let mut checks = Vec::new();
    let mut suppressed = Vec::new();
    for a in &content.findings {
        if a.is_reported() {
            checks.push(entry(a)?);
        } else {
            suppressed.push(entry(a)?);
        }
    }
    let mut by_kind = Map::new();
    let vulns = m
        .get("summary")
        .and_then(|s| s.get("reported"))
        .cloned()
        .unwrap_or(0.into());
    by_kind.insert("vulnerability".into(), vulns);
    for k in CheckKind::ALL {
        let n = content.reported().filter(|f| f.kind == k).count();
        by_kind.insert(k.as_str().into(), n.into());
    }
    if let Some(Value::Object(s)) = m.get_mut("summary") {
        s.insert("by_kind".into(), Value::Object(by_kind));
        s.insert("checks_reported".into(), checks.len().into());
        s.insert("checks_suppressed".into(), suppressed.len().into());
    }
    m.insert("scanners".into(), json!(content.scanners));
    m.insert("checks".into(), Value::Array(checks));
    m.insert("suppressed_checks".into(), Value::Array(suppressed));
    if !content.expired_ignores.is_empty() {
        if let Some(Value::Array(list)) = m.get_mut("expired_ignores") {
            for e in &content.expired_ignores {
                list.push(serde_json::to_value(e)?);
            }
        }
    }
    if let Some(s) = &content.score {
        m.insert("score".into(), serde_json::to_value(s)?);
    }
    Ok(())
}

/// The SARIF rule id of a content finding: its rule or check id.
fn sarif_uri(f: &CheckFinding) -> String {
    match &f.location {
        CheckLocation::File { path, .. } => path.as_str().to_string(),
        CheckLocation::Config { .. } | CheckLocation::History { .. } => "image-config".into(),
    }
}

fn help(f: &CheckFinding) -> &'static str {
    match f.kind {
        CheckKind::Secret => "docs/secrets.md",
        CheckKind::File => "docs/content-checks.md",
        CheckKind::Config => "docs/checks.md",
    }
}

fn security_severity(s: Severity) -> Option<&'static str> {
    Some(match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Negligible => "0.0",
        Severity::Unknown => return None,
    })
}

fn add_sarif(doc: &mut Value, content: &ContentReport) -> Result<(), serde_json::Error> {
    let Some(run) = doc.get_mut("runs").and_then(|r| r.get_mut(0)) else {
        return Ok(());
    };
    let mut base = run["tool"]["driver"]["rules"]
        .as_array()
        .map_or(0, Vec::len);
    // One rule per rule/check id, the highest severity seen.
    let mut rules: BTreeMap<&str, (&CheckFinding, Severity)> = BTreeMap::new();
    for a in &content.findings {
        let f = &a.finding;
        let r = rules.entry(f.rule.as_str()).or_insert((f, f.severity));
        r.1 = r.1.max(f.severity);
    }
    let mut index = BTreeMap::new();
    let mut new_rules = Vec::new();
    for (id, (f, sev)) in &rules {
        index.insert(*id, base);
        base += 1;
        let mut props = json!({
            "tags": [f.kind.as_str(), "security", sev.as_str()],
            "precision": "high",
        });
        if let Some(s) = security_severity(*sev) {
            props["security-severity"] = s.into();
        }
        new_rules.push(json!({
            "id": id,
            "name": match f.kind {
                CheckKind::Secret => "Secret",
                CheckKind::File => "InsecureFile",
                CheckKind::Config => "ImageConfig",
            },
            "shortDescription": { "text": f.title },
            "fullDescription": { "text": f.title },
            "help": { "text": format!("{} ({}), see {}", f.title, id, help(f)) },
            "defaultConfiguration": { "level": vuln::sarif::level(*sev) },
            "properties": props,
        }));
    }
    let mut results = Vec::new();
    for a in &content.findings {
        let f = &a.finding;
        let line = f.line.unwrap_or(1).max(1);
        let col = f.column.unwrap_or(1).max(1);
        let fp = Sha256::digest(
            format!(
                "{}\u{0}{}\u{0}{}\u{0}{}",
                f.rule,
                f.location.describe(),
                line,
                f.fingerprint.as_deref().unwrap_or("")
            )
            .as_bytes(),
        );
        let fp: String = fp[..16].iter().map(|b| format!("{b:02x}")).collect();
        let mut r = json!({
            "ruleId": f.rule,
            "ruleIndex": index.get(f.rule.as_str()).copied().unwrap_or(0),
            "level": vuln::sarif::level(f.severity),
            "message": { "text": format!("{}: {} ({})", f.title, f.message, f.location.describe()) },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": sarif_uri(f) },
                    "region": { "startLine": line, "startColumn": col },
                },
                "message": { "text": f.location.describe() },
            }],
            "partialFingerprints": { "hullFinding/v1": fp },
            "properties": {
                "kind": f.kind.as_str(),
                "location": serde_json::to_value(&f.location)?,
            },
        });
        if let Some(fpr) = &f.fingerprint {
            r["properties"]["secretFingerprint"] = fpr.clone().into();
        }
        if let Some(s) = &a.suppressed {
            r["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": s.describe(),
            }]);
        }
        results.push(r);
    }
    if let Some(Value::Array(list)) = run.pointer_mut("/tool/driver/rules") {
        list.extend(new_rules);
    }
    if let Some(Value::Array(list)) = run.get_mut("results") {
        list.extend(results);
    }
    if let Some(Value::Object(p)) = run.get_mut("properties") {
        p.insert("scanners".into(), json!(content.scanners));
        if let Some(s) = &content.score {
            p.insert(
                "score".into(),
                json!({
                    "value": s.value,
                    "by_kind": s.by_kind,
                    "by_ecosystem": s.by_ecosystem,
                    "files": s.files,
                    "total_weight": s.total_weight,
                }),
            );
        }
    }
    Ok(())
}

fn add_cyclonedx(doc: &mut Value, content: &ContentReport) {
    let Value::Object(m) = doc else { return };
    let image_ref = m
        .get("metadata")
        .and_then(|md| md.get("component"))
        .and_then(|c| c.get("bom-ref"))
        .cloned();
    let mut extra = Vec::new();
    for (i, f) in content.reported().enumerate() {
        let mut v = json!({
            "bom-ref": format!("hull-check-{i}"),
            "id": f.rule,
            "source": { "name": "hull" },
            "ratings": [{ "severity": vuln::cyclonedx::severity(f.severity), "method": "other" }],
            "description": format!("{}: {}", f.title, f.message),
            "properties": [
                { "name": "hull:kind", "value": f.kind.as_str() },
                { "name": "hull:location", "value": f.location.describe() },
            ],
        });
        if let Some(r) = &image_ref {
            v["affects"] = json!([{ "ref": r }]);
        }
        if let Some(line) = f.line {
            if let Some(Value::Array(p)) = v.get_mut("properties") {
                p.push(json!({ "name": "hull:line", "value": line.to_string() }));
            }
        }
        if let Some(fp) = &f.fingerprint {
            if let Some(Value::Array(p)) = v.get_mut("properties") {
                p.push(json!({ "name": "hull:fingerprint", "value": fp }));
            }
        }
        extra.push(v);
    }
    if !extra.is_empty() {
        match m.get_mut("vulnerabilities") {
            Some(Value::Array(list)) => list.extend(extra),
            _ => {
                m.insert("vulnerabilities".into(), Value::Array(extra));
            }
        }
    }
    if let Some(s) = &content.score {
        let mut props = vec![json!({ "name": "hull:score", "value": format!("{:.2}", s.value) })];
        for (k, v) in &s.by_kind {
            props.push(
                json!({ "name": format!("hull:score:kind:{k}"), "value": format!("{v:.2}") }),
            );
        }
        for (k, v) in &s.by_ecosystem {
            props.push(
                json!({ "name": format!("hull:score:ecosystem:{k}"), "value": format!("{v:.2}") }),
            );
        }
        if let Some(Value::Object(md)) = m.get_mut("metadata") {
            match md.get_mut("properties") {
                Some(Value::Array(p)) => p.extend(props),
                _ => {
                    md.insert("properties".into(), Value::Array(props));
                }
            }
        }
    }
}

/// The content sections of the table report.
pub fn table(content: &ContentReport, width: usize) -> String {
    let width = width.max(80);
    let mut out = String::new();
    for (kind, heading) in [
        (CheckKind::Secret, "Secrets"),
        (CheckKind::File, "Insecure files"),
        (CheckKind::Config, "Image configuration"),
    ] {
        if !content.scanners.iter().any(|s| s == kind.as_str()) {
            continue;
        }
        let fs: Vec<&CheckFinding> = content.reported().filter(|f| f.kind == kind).collect();
        out.push('\n');
        let _ = writeln!(out, "{heading}");
        let _ = writeln!(
            out,
            "{}",
            cut(
                &crate::vuln::table::count_line_of(fs.iter().map(|f| f.severity)),
                width
            )
        );
        if fs.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{}", "-".repeat(width.min(120)));
        for f in fs {
            let line = f.line.map(|l| format!(":{l}")).unwrap_or_default();
            let head = format!(
                "{:<9} {:<28} {}{line}",
                f.severity.as_str().to_ascii_uppercase(),
                f.rule,
                f.location.describe()
            );
            let _ = writeln!(out, "{}", cut(head.trim_end(), width));
            let detail = match &f.excerpt {
                Some(e) => format!("          {} | {}", f.message, e),
                None => format!("          {}", f.message),
            };
            let _ = writeln!(out, "{}", cut(&detail, width));
        }
    }
    let hidden = content.findings.iter().filter(|a| !a.is_reported()).count();
    if hidden > 0 {
        out.push('\n');
        let _ = writeln!(out, "Suppressed checks: {hidden}");
        for a in content.findings.iter().filter(|a| !a.is_reported()) {
            let why = a
                .suppressed
                .as_ref()
                .map(|s| s.describe())
                .unwrap_or_default();
            let line = format!(
                "  {} {}: {why}",
                a.finding.rule,
                a.finding.location.describe()
            );
            let _ = writeln!(out, "{}", cut(&line, width));
        }
    }
    for e in &content.expired_ignores {
        let line = format!(
            "warning: ignore entry {} expired on {}; it no longer applies",
            e.id,
            e.expires.as_deref().unwrap_or("?")
        );
        let _ = writeln!(out, "{}", cut(&line, width));
    }
    if let Some(s) = &content.score {
        out.push('\n');
        let _ = writeln!(
            out,
            "Score S = {:.2} / 100 ({} files, weight {:.1})",
            s.value, s.files, s.total_weight
        );
        let kinds: Vec<String> = s
            .by_kind
            .iter()
            .map(|(k, v)| format!("{k} {v:.2}"))
            .collect();
        let _ = writeln!(
            out,
            "{}",
            cut(&format!("  by kind:      {}", kinds.join(", ")), width)
        );
        if !s.by_ecosystem.is_empty() {
            let ecos: Vec<String> = s
                .by_ecosystem
                .iter()
                .map(|(k, v)| format!("{k} {v:.2}"))
                .collect();
            let _ = writeln!(
                out,
                "{}",
                cut(&format!("  by ecosystem: {}", ecos.join(", ")), width)
            );
        }
    }
    out
}

/// Exit-code decision over both halves: `code` when any reported finding remains.
pub fn exit_code(vulns: &crate::filter::Filtered, content: &ContentReport, code: u8) -> u8 {
    if vulns.reported().next().is_some() || content.reported().next().is_some() {
        code
    } else {
        0
    }
}
