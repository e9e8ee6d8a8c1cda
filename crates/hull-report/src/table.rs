//! The human summary: what was scanned, then one row per package, within a width.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hull_model::Inventory;

use crate::sorted_packages;

/// Render `inv` as plain text no wider than `width` columns (at least 60). Long cells are
/// cut with `…`; the path column absorbs the remaining width.
pub fn render(inv: &Inventory, width: usize) -> String {
    let width = width.max(60);
    let mut out = String::new();
    let img = &inv.image;
    let line = |out: &mut String, k: &str, v: &str| {
        let _ = writeln!(out, "{}", cut(format!("{k:<9} {v}").trim_end(), width));
    };
    line(&mut out, "Image", &img.target);
    if let Some(d) = &img.manifest_digest {
        line(&mut out, "Digest", d.as_str());
    }
    if let (Some(os), Some(arch)) = (&img.os, &img.architecture) {
        line(&mut out, "Platform", &format!("{os}/{arch}"));
    }
    match &inv.distro {
        Some(d) => line(
            &mut out,
            "Distro",
            d.pretty_name
                .as_deref()
                .unwrap_or(&format!("{} {}", d.id, d.version_id)),
        ),
        None => line(&mut out, "Distro", "unknown"),
    }
    line(&mut out, "Layers", &img.layers.len().to_string());
    for (i, l) in img.layers.iter().enumerate() {
        let what = l.created_by.as_deref().unwrap_or("");
        let short = l.diff_id.hex().get(..12).unwrap_or("");
        line(&mut out, "", &format!("{:>2} {short} {what}", i + 1));
    }
    let mut counts: BTreeMap<_, usize> = BTreeMap::new();
    for p in &inv.packages {
        *counts.entry(p.ecosystem).or_default() += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(e, n)| format!("{e} {n}")).collect();
    line(
        &mut out,
        "Packages",
        &format!("{} ({})", inv.packages.len(), summary.join(", ")),
    );
    if !inv.diagnostics.is_empty() {
        line(&mut out, "Warnings", &inv.diagnostics.len().to_string());
    }
    out.push('\n');

    // Fixed widths for name/version/ecosystem, the path takes the rest.
    let pkgs = sorted_packages(inv);
    let name_w = pkgs
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 32);
    let ver_w = pkgs
        .iter()
        .map(|p| p.version.chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, 24);
    let eco_w = 9;
    let path_w = width.saturating_sub(name_w + ver_w + eco_w + 3).max(8);
    let row = |out: &mut String, a: &str, b: &str, c: &str, d: &str| {
        let r = format!(
            "{:<name_w$} {:<ver_w$} {:<eco_w$} {}",
            cut(a, name_w),
            cut(b, ver_w),
            cut(c, eco_w),
            cut_left(d, path_w)
        );
        let _ = writeln!(out, "{}", r.trim_end());
    };
    row(&mut out, "NAME", "VERSION", "ECOSYSTEM", "PATH");
    for p in pkgs {
        row(
            &mut out,
            &p.name,
            &p.version,
            p.ecosystem.as_str(),
            &p.path.to_string(),
        );
    }
    for d in &inv.diagnostics {
        let at = d.path.as_ref().map(|p| format!(" {p}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "{}",
            cut(&format!("warning: {}{at}: {}", d.source, d.message), width)
        );
    }
    out
}

/// Keep the start of `s` within `w` characters.
pub(crate) fn cut(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut t: String = s.chars().take(w.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// Keep the end of `s` within `w` characters: for paths the file name matters most.
pub(crate) fn cut_left(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return s.to_string();
    }
    let mut t = String::from("…");
    t.extend(s.chars().skip(n - w.saturating_sub(1)));
    t
}
