//! The human report: findings grouped by target (the distro's OS packages, then each
//! language file, lockfile or binary), a severity count per group, then what was
//! suppressed and why.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hull_model::{Finding, Severity};

use super::ScanReport;
use crate::filter::Assessed;
use crate::table::{cut, cut_left};

/// The group a finding is listed under. OS packages sort first.
fn target(report: &ScanReport, f: &Finding) -> (u8, String) {
    if f.package.ecosystem.is_os() {
        let distro = report
            .inventory
            .distro
            .as_ref()
            .map(|d| format!(" ({} {})", d.id, d.version_id))
            .unwrap_or_default();
        (0, format!("OS packages{distro}"))
    } else {
        (
            1,
            format!("{} ({})", f.package.path, f.package.ecosystem.as_str()),
        )
    }
}

/// `Packages: 182 checked (deb 54, pypi 128), 128 not checked (deb 128)`.
pub fn coverage_line(c: &hull_model::Coverage) -> String {
    let part = |get: &dyn Fn(&hull_model::EcosystemCoverage) -> usize| {
        let items: Vec<String> =
            c.0.iter()
                .filter(|(_, e)| get(e) > 0)
                .map(|(k, e)| format!("{k} {}", get(e)))
                .collect();
        if items.is_empty() {
            String::new()
        } else {
            format!(" ({})", items.join(", "))
        }
    };
    let mut line = format!("Packages: {} checked{}", c.checked(), part(&|e| e.checked));
    if c.unchecked() > 0 {
        line.push_str(&format!(
            ", {} NOT checked{}",
            c.unchecked(),
            part(&|e| e.unchecked)
        ));
    }
    line
}

/// Where an extended-support fix is published (`Ubuntu Pro`).
fn extended_channel(f: &Finding) -> &'static str {
    f.evidence
        .namespace
        .support_channel()
        .unwrap_or("extended support")
}

/// `Total: 3 (CRITICAL: 1, HIGH: 2, …)`, most severe first.
pub fn count_line(findings: &[&Finding]) -> String {
    count_line_of(findings.iter().map(|f| f.severity))
}

/// [`count_line`] over any severities (content findings too).
pub fn count_line_of(severities: impl Iterator<Item = Severity>) -> String {
    let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut total = 0;
    for s in severities {
        *counts.entry(s).or_default() += 1;
        total += 1;
    }
    let parts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|s| {
            format!(
                "{}: {}",
                s.as_str().to_ascii_uppercase(),
                counts.get(s).copied().unwrap_or(0)
            )
        })
        .collect();
    format!("Total: {total} ({})", parts.join(", "))
}

/// Render within `width` columns (at least 80).
pub fn render(report: &ScanReport, width: usize) -> String {
    let width = width.max(80);
    let mut out = String::new();
    let inv = report.inventory;
    let _ = writeln!(
        out,
        "{}",
        cut(&format!("Image     {}", inv.image.target), width)
    );
    if let Some(d) = &inv.distro {
        let name = d
            .pretty_name
            .clone()
            .unwrap_or_else(|| format!("{} {}", d.id, d.version_id));
        let _ = writeln!(out, "{}", cut(&format!("Distro    {name}"), width));
    }
    let sorted = report.sorted();
    let reported: Vec<&Finding> = sorted
        .iter()
        .filter(|a| a.is_reported())
        .map(|a| &a.finding)
        .collect();
    let _ = writeln!(out, "{}", cut(&count_line(&reported), width));

    let mut groups: BTreeMap<(u8, String), Vec<&Finding>> = BTreeMap::new();
    // One package recorded twice in a group (two rpm databases, a copied lockfile
    // entry) is one row, and counts once.
    let mut seen = std::collections::BTreeSet::new();
    for f in &reported {
        let t = target(report, f);
        if seen.insert((t.clone(), &f.package.name, &f.package.version, &f.id)) {
            groups.entry(t).or_default().push(f);
        }
    }

    // Fixed columns sized to content within caps; the title takes what is left.
    let w = |caps: (usize, usize), get: &dyn Fn(&Finding) -> usize| {
        reported
            .iter()
            .map(|f| get(f))
            .max()
            .unwrap_or(0)
            .clamp(caps.0, caps.1)
    };
    let lib_w = w((7, 22), &|f| f.package.name.chars().count());
    let id_w = w((13, 24), &|f| f.id.chars().count());
    let sev_w = 10;
    let inst_w = w((9, 18), &|f| f.package.version.chars().count());
    // A fix only in an extended-support channel names the channel: room for it.
    let any_extended = reported
        .iter()
        .any(|f| matches!(f.fix, hull_model::FixState::ExtendedSupport(_)));
    let fix_w = w((5, if any_extended { 34 } else { 18 }), &|f| {
        f.fixed_version().map_or(0, |v| {
            v.chars().count()
                + match f.fix {
                    hull_model::FixState::ExtendedSupport(_) => extended_channel(f).len() + 3,
                    _ => 0,
                }
        })
    });
    let title_w = width
        .saturating_sub(lib_w + id_w + sev_w + inst_w + fix_w + 5)
        .max(10);
    let row = |out: &mut String, c: [&str; 6]| {
        let r = format!(
            "{:<lib_w$} {:<id_w$} {:<sev_w$} {:<inst_w$} {:<fix_w$} {}",
            cut(c[0], lib_w),
            cut(c[1], id_w),
            cut(c[2], sev_w),
            cut(c[3], inst_w),
            cut(c[4], fix_w),
            cut(c[5], title_w),
        );
        let _ = writeln!(out, "{}", r.trim_end());
    };
    let coverage = report.coverage();
    if groups.is_empty() {
        out.push('\n');
        if coverage.unchecked() == 0 {
            let _ = writeln!(
                out,
                "No vulnerabilities found ({} packages checked).",
                coverage.checked()
            );
        } else {
            // Nothing found among what was checked is not "no vulnerabilities".
            let _ = writeln!(
                out,
                "No vulnerabilities found in the {} packages checked; {} packages were NOT checked.",
                coverage.checked(),
                coverage.unchecked()
            );
        }
    }
    for ((_, name), fs) in &groups {
        out.push('\n');
        let _ = writeln!(out, "{}", cut_left(name, width));
        let _ = writeln!(out, "{}", cut(&count_line(fs), width));
        let _ = writeln!(out, "{}", "-".repeat(width.min(120)));
        row(
            &mut out,
            [
                "LIBRARY",
                "VULNERABILITY",
                "SEVERITY",
                "INSTALLED",
                "FIXED",
                "TITLE",
            ],
        );
        for f in fs {
            let fixed = match &f.fix {
                hull_model::FixState::Fixed(v) => v.clone(),
                hull_model::FixState::ExtendedSupport(v) => {
                    format!("{v} ({})", extended_channel(f))
                }
                hull_model::FixState::WontFix => "(won't fix)".into(),
                hull_model::FixState::EndOfLife => "(end of life)".into(),
                _ => String::new(),
            };
            let title = report.title(f).unwrap_or_default();
            // Titles from feeds may carry newlines; a row is one line.
            let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
            row(
                &mut out,
                [
                    &f.package.name,
                    &f.id,
                    &f.severity.as_str().to_ascii_uppercase(),
                    &f.package.version,
                    &fixed,
                    &title,
                ],
            );
        }
    }

    let suppressed: Vec<&&Assessed> = sorted.iter().filter(|a| !a.is_reported()).collect();
    if !suppressed.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "Suppressed: {}", suppressed.len());
        for a in suppressed {
            let f = &a.finding;
            let why = a
                .suppressed
                .as_ref()
                .map(|s| s.describe())
                .unwrap_or_default();
            let line = format!(
                "  {} {}@{} {}: {}",
                f.id,
                f.package.name,
                f.package.version,
                f.package.path,
                why.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            let _ = writeln!(out, "{}", cut(&line, width));
        }
    }
    out.push('\n');
    let _ = writeln!(out, "{}", cut(&coverage_line(&coverage), width));
    for (eco, c) in coverage.0.iter().filter(|(_, c)| c.unchecked > 0) {
        let line = format!(
            "warning: {} {eco} packages not checked: {}",
            c.unchecked,
            c.reason.as_deref().unwrap_or("no advisory data")
        );
        let _ = writeln!(out, "{}", cut(&line, width));
    }
    for e in &report.filtered.expired_ignores {
        let line = format!(
            "warning: ignore entry {} expired on {}; it no longer applies",
            e.id,
            e.expires.as_deref().unwrap_or("?")
        );
        let _ = writeln!(out, "{}", cut(&line, width));
    }
    out
}
