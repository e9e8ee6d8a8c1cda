//! `hull image`: list the known vulnerabilities of an image.
//!
//! Index, then match: the image is catalogued into an inventory (`hull-image` +
//! `hull-catalog`), which is matched against the local database (`hull-match`).
//! `inventory:FILE` scans a stored inventory (JSON) without touching the image.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;
use hull_model::{Finding, FixState, ImagePath, Inventory, Severity};

#[derive(clap::Args)]
pub struct Args {
    /// The image: `oci-archive:X.tar`, `docker-archive:X.tar`, `oci-dir:DIR`, `dir:ROOT`,
    /// a path, or `inventory:FILE` (a stored hull inventory).
    pub target: String,
    /// Database file [default: $XDG_CACHE_HOME/hull/db/hull.db]
    #[arg(long, env = "HULL_DB")]
    pub db: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Only report these severities (comma separated: critical,high,medium,low,negligible,unknown).
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Hide vulnerabilities without a fixed version.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Exit with this code when any finding remains after the filters (0 = never).
    #[arg(long, default_value_t = 0)]
    pub exit_code: u8,
    /// Ids to ignore, one per line (`CVE-…` or any alias; optional second word limits
    /// it to one package; `#` comments). Default: `.hullignore` when present.
    #[arg(long)]
    pub ignore_file: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let severities: Vec<Severity> = args
        .severity
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<Severity>().map_err(anyhow::Error::msg))
        .collect::<Result<_, _>>()?;
    let ignores = read_ignores(args.ignore_file.as_ref())?;
    let db_path = args
        .db
        .clone()
        .unwrap_or_else(hull_vulndb::store::default_path);
    let db = hull_vulndb::Db::open(&db_path)?;
    let inventory = load_inventory(&args.target)?;
    let mut report = hull_match::match_inventory(&inventory, &db)?;
    report.findings.retain(|f| {
        (severities.is_empty() || severities.contains(&f.severity))
            && (!args.ignore_unfixed || f.fixed_version().is_some())
            && !ignored(&ignores, f)
    });
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "target": args.target,
                "distro": inventory.distro,
                "findings": report.findings,
                "notes": report.notes,
                "stats": report.stats,
            }))?
        ),
        Format::Table => print_table(&inventory, &report.findings),
    }
    if args.exit_code != 0 && !report.findings.is_empty() {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

fn load_inventory(target: &str) -> anyhow::Result<Inventory> {
    if let Some(file) = target.strip_prefix("inventory:") {
        let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
        return serde_json::from_slice(&bytes)
            .with_context(|| format!("{file} is not a hull inventory"));
    }
    let image = hull_image::open(target, &hull_image::OpenOptions::default())
        .with_context(|| format!("opening {target}"))?;
    let opts = hull_catalog::CatalogOptions::default();
    let collector = hull_catalog::Collector::new(&opts, &|_| {});
    let tree = image
        .walk(&|entry, content| {
            if entry.kind == hull_image::EntryKind::File {
                collector.visit_file(entry.layer, &entry.path, entry.mode, entry.size, content);
            }
            Ok(())
        })
        .with_context(|| format!("reading {target}"))?;
    Ok(collector.finish(&TreeView(&tree), image.info.clone()))
}

/// The merged tree as the catalog assembly sees it.
struct TreeView<'a>(&'a hull_image::Tree);

impl hull_catalog::FinalView for TreeView<'_> {
    fn layer_of(&self, path: &ImagePath) -> Option<usize> {
        self.0.get(path).map(|n| n.layer)
    }
    fn resolve(&self, path: &ImagePath) -> Option<(ImagePath, usize)> {
        self.0.resolve(path).map(|(p, n)| (p, n.layer))
    }
}

type Ignores = Vec<(String, Option<String>)>;

fn read_ignores(path: Option<&PathBuf>) -> anyhow::Result<Ignores> {
    let default = PathBuf::from(".hullignore");
    let path = match path {
        Some(p) => p.clone(),
        None if default.is_file() => default,
        None => return Ok(Vec::new()),
    };
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut w = l.split_whitespace();
            (
                w.next().unwrap_or("").to_string(),
                w.next().map(str::to_string),
            )
        })
        .collect())
}

fn ignored(ignores: &Ignores, f: &Finding) -> bool {
    ignores.iter().any(|(id, pkg)| {
        (f.aliases.iter().any(|a| a == id) || f.advisories.iter().any(|a| a == id) || &f.id == id)
            && pkg.as_ref().is_none_or(|p| p == &f.package.name)
    })
}

fn fixed_text(f: &Finding) -> String {
    match &f.fix {
        FixState::Fixed(v) => v.clone(),
        FixState::NotFixed => "(not fixed)".into(),
        FixState::WontFix => "(won't fix)".into(),
        FixState::NotAffected => "(not affected)".into(),
        FixState::EndOfLife => "(end of life)".into(),
        FixState::Unknown => "(unknown)".into(),
    }
}

fn print_table(inv: &Inventory, findings: &[Finding]) {
    // Group: OS packages under the distro, language packages by the file they came from.
    let mut groups: BTreeMap<(u8, String), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        let key = if f.package.ecosystem.is_os() {
            let d = inv
                .distro
                .as_ref()
                .map(|d| format!("{} {} (os packages)", d.id, d.version_id))
                .unwrap_or_else(|| "os packages".into());
            (0, d)
        } else {
            (1, format!("{} ({})", f.package.path, f.package.ecosystem))
        };
        groups.entry(key).or_default().push(f);
    }
    if groups.is_empty() {
        println!(
            "No vulnerabilities found ({} packages checked).",
            inv.packages.len()
        );
        return;
    }
    for ((_, title), rows) in &groups {
        let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
        for f in rows {
            *counts.entry(f.severity).or_default() += 1;
        }
        let summary: Vec<String> = counts
            .iter()
            .rev()
            .map(|(s, n)| format!("{}: {n}", s.as_str().to_ascii_uppercase()))
            .collect();
        println!();
        println!("{title}");
        println!("Total: {} ({})", rows.len(), summary.join(", "));
        let w_pkg = rows
            .iter()
            .map(|f| f.package.name.len())
            .max()
            .unwrap_or(7)
            .clamp(7, 40);
        let w_id = rows
            .iter()
            .map(|f| f.id.len())
            .max()
            .unwrap_or(2)
            .clamp(2, 24);
        let w_inst = rows
            .iter()
            .map(|f| f.package.version.len())
            .max()
            .unwrap_or(9)
            .clamp(9, 36);
        println!(
            "{:<w_pkg$}  {:<w_id$}  {:<10}  {:<w_inst$}  {:<24}  TITLE",
            "PACKAGE", "ID", "SEVERITY", "INSTALLED", "FIXED"
        );
        let mut seen = BTreeSet::new();
        for f in rows {
            if !seen.insert((&f.package.name, &f.package.version, &f.id)) {
                continue;
            }
            let title: String = f
                .title
                .clone()
                .unwrap_or_default()
                .chars()
                .take(60)
                .collect();
            println!(
                "{:<w_pkg$}  {:<w_id$}  {:<10}  {:<w_inst$}  {:<24}  {}",
                f.package.name,
                f.id,
                f.severity.as_str().to_ascii_uppercase(),
                f.package.version,
                fixed_text(f),
                title
            );
        }
    }
}
