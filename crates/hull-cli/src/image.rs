//! `hull image`: list the known vulnerabilities of an image, and the secrets, insecure
//! files and risky configuration in it (`--scanners`), with its score S.
//!
//! Index, then match: the image is catalogued into an inventory (`hull-image` +
//! `hull-catalog`), which is matched against the local database (`hull-match`).
//! `inventory:FILE` scans a stored inventory (JSON) without touching the image.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;
use hull_model::{Finding, Inventory};
use hull_report::filter::{Filters, IgnoreFile, VexDocument};
use hull_report::vuln::{Details, VulnDetail, VulnFormat};
use hull_report::WriteOptions;

#[derive(clap::Args)]
#[command(after_help = crate::target::TARGET_HELP)]
pub struct Args {
    // Every target form of `hull sbom`, plus `inventory:FILE` (a stored hull
    // `Inventory` as JSON) to rescan without reading the image again.
    #[command(flatten)]
    pub target: crate::target::TargetArgs,
    /// Database file [default: $XDG_CACHE_HOME/hull/db/hull.db]
    #[arg(long, env = "HULL_DB")]
    pub db: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// Only report these severities (comma separated: critical,high,medium,low,negligible,unknown).
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Hide vulnerabilities without a fixed version.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Exit with this code when any finding remains after the filters (0 = never).
    #[arg(long, default_value_t = 0)]
    pub exit_code: u8,
    /// Also fail (with the --exit-code value, or 1 without one) when any package could
    /// not be checked: its distro release or ecosystem has no data in the database.
    #[arg(long)]
    pub fail_on_unchecked: bool,
    /// Accepted findings, YAML (see docs/ignore-and-vex.md). Default: `.hullignore`
    /// when present.
    #[arg(long)]
    pub ignore_file: Option<PathBuf>,
    /// OpenVEX 0.2 document; `not_affected`/`fixed` statements suppress findings.
    /// Repeatable.
    #[arg(long)]
    pub vex: Vec<PathBuf>,
    /// After the scan, push the inventory to a hull server (`http://host:8480`), which
    /// stores it, rescans it on database updates and notifies about new findings.
    #[arg(long, value_name = "URL", env = "HULL_SERVER")]
    pub server: Option<String>,
    /// The name to store the image under on the server (`repo[:tag][@digest]`).
    /// Default: the image's first repo tag, else the target's reference.
    #[arg(long, value_name = "REF", requires = "server")]
    pub server_image: Option<String>,
    /// What to look for (comma separated): `vuln` (vulnerable packages), `secret`
    /// (credentials and keys in files, deleted files, Env, labels and history), `file`
    /// (insecure files), `config` (image-config checks).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "vuln,secret,file,config"
    )]
    pub scanners: Vec<crate::content::Scanner>,
    /// Custom secret rules, YAML (see docs/secrets.md); replaces the built-in rules.
    #[arg(long, value_name = "FILE")]
    pub secret_config: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Sarif,
    #[value(name = "cyclonedx")]
    CycloneDx,
    #[value(name = "spdx-json")]
    SpdxJson,
}

impl Format {
    fn vuln(self) -> VulnFormat {
        match self {
            Format::Table => VulnFormat::Table,
            Format::Json => VulnFormat::Json,
            Format::Sarif => VulnFormat::Sarif,
            Format::CycloneDx => VulnFormat::CycloneDx,
            Format::SpdxJson => VulnFormat::SpdxJson,
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    use crate::content::Scanner;
    let filters = filters(&args)?;
    let mut scanners = args.scanners.clone();
    scanners.sort();
    scanners.dedup();
    let scanned = crate::content::scan(&args.target, &scanners, args.secret_config.as_deref())?;
    let inventory = scanned.inventory;
    let quiet = args.target.quiet;
    let (findings, details, coverage) = if scanners.contains(&Scanner::Vuln) {
        let (f, d, c) = vulnerabilities(&args, &inventory, quiet)?;
        (f, d, Some(c))
    } else {
        (Vec::new(), Details::new(), None)
    };
    let unchecked = coverage.as_ref().map_or(0, |c| c.unchecked());
    let mut opts = WriteOptions::now();
    opts.tool_version = env!("CARGO_PKG_VERSION").to_string();
    let filtered = hull_report::filter::apply(findings, &filters);
    let (checks, expired_checks) = hull_report::filter::apply_checks(scanned.checks, &filters);
    let mut content = hull_report::content::ContentReport {
        scanners: scanners.iter().map(|s| s.as_str().to_string()).collect(),
        findings: checks,
        expired_ignores: expired_checks,
        score: None,
    };
    if let Some((files, owned)) = &scanned.files {
        let vulns: Vec<&Finding> = filtered.reported().collect();
        let reported: Vec<&hull_model::CheckFinding> = content.reported().collect();
        let input =
            hull_report::score::image_files(files, owned, &inventory.packages, &vulns, &reported);
        content.score = Some(hull_report::score::Score::of(&input));
    }
    // Rendered in memory, then written in one go: `-o` never leaves half a document.
    let mut buf = Vec::new();
    let report = hull_report::vuln::ScanReport {
        inventory: &inventory,
        filtered: &filtered,
        details: &details,
        coverage: coverage.as_ref(),
    };
    hull_report::content::render_to(&report, &content, args.format.vuln(), &opts, &mut buf)?;
    match &args.output {
        Some(p) => crate::report_file::write(p, &buf)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf)
                .and_then(|()| out.flush())
                .context("writing the report")?;
        }
    }
    if let Some(url) = &args.server {
        push(
            url,
            args.server_image.as_deref(),
            &inventory,
            content.score.as_ref(),
            quiet,
        )?;
    }
    let mut code = hull_report::content::exit_code(&filtered, &content, args.exit_code);
    if args.fail_on_unchecked && unchecked > 0 && code == 0 {
        code = args.exit_code.max(1);
    }
    Ok(ExitCode::from(code))
}

/// Match the inventory against the database: the findings, their advisories' details
/// and what could be checked.
fn vulnerabilities(
    args: &Args,
    inventory: &Inventory,
    quiet: bool,
) -> anyhow::Result<(Vec<Finding>, Details, hull_model::Coverage)> {
    let db_path = args
        .db
        .clone()
        .unwrap_or_else(hull_vulndb::store::default_path);
    let db = hull_vulndb::Db::open(&db_path)?;
    let report = hull_match::match_inventory(inventory, &db)?;
    if let Some(ns) = report
        .stats
        .os_namespace_without_data
        .as_ref()
        .filter(|_| !quiet)
    {
        eprintln!(
            "hull: warning: the database has no advisories for {ns}; OS packages were not checked (run `hull db update`)"
        );
    }
    if report.stats.os_packages_without_namespace > 0 && !quiet {
        eprintln!(
            "hull: warning: {} OS packages not checked: unknown or unsupported distro release",
            report.stats.os_packages_without_namespace
        );
    }
    if let Some(d) = inventory.distro.as_ref().filter(|_| !quiet) {
        let stored = db.release_eol().unwrap_or_default();
        let today = hull_report::vuln::today(&WriteOptions::now());
        if let Some(e) =
            hull_vulndb::eol::lookup(d, &stored).filter(|e| hull_vulndb::eol::is_past(e, &today))
        {
            eprintln!("hull: warning: {}", hull_vulndb::eol::warning(&e));
        }
    }
    let details = details(&db, &report.findings);
    Ok((report.findings, details, report.coverage))
}

/// Send the inventory to a hull server (after the report is out, so a server outage
/// never costs the local result; it still fails the command).
fn push(
    url: &str,
    image: Option<&str>,
    inventory: &Inventory,
    score: Option<&hull_report::score::Score>,
    quiet: bool,
) -> anyhow::Result<()> {
    let image = image
        .map(hull_server::upload::ImageRef::parse)
        .transpose()
        .context("--server-image")?;
    let score = score.map(|s| {
        serde_json::json!({ "value": s.value, "by_kind": s.by_kind, "by_ecosystem": s.by_ecosystem })
    });
    let answer = hull_server::client::push_with_score(url, image.as_ref(), inventory, score)?;
    if !quiet {
        let name = answer["image"]["repository"].as_str().unwrap_or("?");
        let tag = answer["image"]["tag"]
            .as_str()
            .map(|t| format!(":{t}"))
            .unwrap_or_default();
        eprintln!(
            "hull: pushed to {url} as {name}{tag} (scan {})",
            answer["scan"]["id"]
        );
    }
    Ok(())
}

/// The filters the flags ask for; the ignore and VEX files are read here.
fn filters(args: &Args) -> anyhow::Result<Filters> {
    let severities = match args.severity.join(",") {
        s if s.trim().is_empty() => None,
        s => Some(hull_report::filter::parse_severities(&s)?),
    };
    let default = PathBuf::from(".hullignore");
    let ignore_path = match &args.ignore_file {
        Some(p) => Some(p.clone()),
        None if default.is_file() => Some(default),
        None => None,
    };
    let ignore = match ignore_path {
        Some(p) => {
            let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
            Some(IgnoreFile::parse(&bytes).with_context(|| format!("in {}", p.display()))?)
        }
        None => None,
    };
    let mut vex = Vec::new();
    for p in &args.vex {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        vex.push(VexDocument::parse(&bytes).with_context(|| format!("in {}", p.display()))?);
    }
    Ok(Filters {
        severities,
        ignore_unfixed: args.ignore_unfixed,
        ignore,
        vex,
        today: hull_report::vuln::today(&WriteOptions::now()),
    })
}

/// CVSS vectors, references and summaries of the advisories behind the findings.
fn details(db: &hull_vulndb::Db, findings: &[Finding]) -> Details {
    let mut out = Details::new();
    let mut looked_up = BTreeSet::new();
    for f in findings {
        let key = (f.evidence.namespace.clone(), f.evidence.lookup_name.clone());
        if !looked_up.insert(key) {
            continue;
        }
        // Details only enrich the report: a failed lookup leaves the finding as it is.
        let Ok(advisories) = db.lookup(&f.evidence.namespace, &f.evidence.lookup_name) else {
            continue;
        };
        for a in advisories {
            out.entry(a.id.clone())
                .or_insert_with(|| VulnDetail::from_advisory(&a, &hull_vulndb::cvss::base_score));
        }
    }
    out
}

pub(crate) fn load_inventory(target: &crate::target::TargetArgs) -> anyhow::Result<Inventory> {
    if let Some(file) = target.target.strip_prefix("inventory:") {
        let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
        return serde_json::from_slice(&bytes)
            .with_context(|| format!("{file} is not a hull inventory"));
    }
    crate::target::inventory(target)
}
