//! `hull db`: import, update, inspect and export the vulnerability database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use hull_vulndb::{import, store, update};

#[derive(clap::Args)]
pub struct Args {
    /// Database file [default: $XDG_CACHE_HOME/hull/db/hull.db]
    #[arg(long, global = true, env = "HULL_DB")]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Import feed files, directories or zips (format detected from content), or a
    /// bundle written by `hull db export`.
    Import {
        /// Files, directories or zips.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Store everything under this source name (default: derived from the data).
        #[arg(long)]
        source: Option<String>,
        #[arg(long, value_enum, default_value_t = OutFormat::Table)]
        format: OutFormat,
    },
    /// Download the upstream feeds (conditional requests, retries) and swap them in.
    Update {
        /// Only these sources (name or prefix: `osv:PyPI`, `alpine`, `redhat`, `nvd`…).
        /// Without it: every source, and NVD once an NVD update has succeeded (the
        /// first NVD download pages through every CVE: `--source nvd`; set
        /// NVD_API_KEY to go ten times faster).
        #[arg(long = "source")]
        sources: Vec<String>,
        /// Fetch from a mirror laid out as BASE/<mirror path> (see docs/vulndb.md).
        #[arg(long, env = "HULL_DB_MIRROR")]
        mirror: Option<String>,
        /// Print the known sources and their URLs, then exit.
        #[arg(long)]
        list: bool,
        #[arg(long, value_enum, default_value_t = OutFormat::Table)]
        format: OutFormat,
    },
    /// Show sources, record counts, last update and schema version.
    Status {
        #[arg(long, value_enum, default_value_t = OutFormat::Table)]
        format: OutFormat,
    },
    /// Write the whole database as one checksummed file (restore with `hull db import`).
    Export { file: PathBuf },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    Table,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let db = args.db.clone().unwrap_or_else(store::default_path);
    match args.command {
        Command::Import {
            paths,
            source,
            format,
        } => import_cmd(&db, &paths, source.as_deref(), format),
        Command::Update {
            sources,
            mirror,
            list,
            format,
        } => update_cmd(&db, sources, mirror, list, format),
        Command::Status { format } => status_cmd(&db, format),
        Command::Export { file } => {
            let n =
                store::export(&db, &file).with_context(|| format!("exporting {}", db.display()))?;
            eprintln!("hull: wrote {} ({n} bytes)", file.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// RFC 3339 UTC timestamp of now.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    hull_model::rfc3339_utc(secs)
}

fn import_cmd(
    db: &Path,
    paths: &[PathBuf],
    source: Option<&str>,
    format: OutFormat,
) -> anyhow::Result<ExitCode> {
    // A bundle from `hull db export` replaces the whole database.
    if let [one] = paths {
        if one.is_file() {
            let mut head = [0u8; 32];
            let n = std::io::Read::read(&mut std::fs::File::open(one)?, &mut head)?;
            if store::is_bundle(&head[..n]) {
                store::import_bundle(one, db)
                    .with_context(|| format!("restoring {}", one.display()))?;
                eprintln!("hull: restored {} from {}", db.display(), one.display());
                return status_cmd(db, format);
            }
        }
    }
    let mut updates = Vec::new();
    let mut ignored = 0;
    for p in paths {
        let (u, stats) = import::read_path(p, source);
        ignored += stats.ignored;
        updates.extend(u);
    }
    let report = store::write(db, updates, &now_rfc3339())
        .with_context(|| format!("writing {}", db.display()))?;
    let failed = report.sources.iter().filter(|s| s.error.is_some()).count();
    match format {
        OutFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        OutFormat::Table => {
            println!("{:<40} {:>8} {:>8}  status", "SOURCE", "RECORDS", "SKIPPED");
            for s in &report.sources {
                println!(
                    "{:<40} {:>8} {:>8}  {}",
                    s.name,
                    s.records,
                    s.skipped.len(),
                    s.error
                        .as_deref()
                        .map(|e| format!("FAILED (previous data kept): {e}"))
                        .unwrap_or_else(|| "ok".into())
                );
                for k in s.skipped.iter().take(20) {
                    println!("    skipped {} [{}]: {}", k.file, k.record, k.reason);
                }
                if s.skipped.len() > 20 {
                    println!(
                        "    … {} more skipped records (use --format json)",
                        s.skipped.len() - 20
                    );
                }
            }
            if ignored > 0 {
                println!("({ignored} files were not advisory data and were ignored)");
            }
            println!("database: {}", report.path.display());
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn update_cmd(
    db: &Path,
    sources: Vec<String>,
    mirror: Option<String>,
    list: bool,
    format: OutFormat,
) -> anyhow::Result<ExitCode> {
    if list {
        for s in update::selected(&sources)? {
            println!("{:<32} {}", s.name, s.url);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let opts = update::Options {
        mirror,
        only: sources,
        now: now_rfc3339(),
        nvd: update::NvdOptions {
            // From the environment only: a key on the command line would show in `ps`.
            api_key: std::env::var("NVD_API_KEY")
                .ok()
                .filter(|k| !k.trim().is_empty()),
            ..update::NvdOptions::default()
        },
        ..update::Options::default()
    };
    let bar = indicatif::ProgressBar::new(0);
    let style = |t: &str| {
        indicatif::ProgressStyle::with_template(t)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    };
    let bytes_style = style("{spinner} {msg:40} {bytes}/{total_bytes} {bytes_per_sec}");
    // Paged sources (NVD) count records and pages, not bytes.
    let records_style = style("{spinner} {msg:40} {pos}/{len} records {elapsed}");
    bar.set_style(bytes_style.clone());
    let progress = |p: update::Progress<'_>| match p {
        update::Progress::Start { source, .. } => {
            bar.reset();
            bar.set_style(bytes_style.clone());
            bar.set_length(0);
            bar.set_message(source.to_string());
        }
        update::Progress::Records {
            source,
            page,
            done,
            total,
        } => {
            bar.set_style(records_style.clone());
            bar.set_message(format!("{source} (page {page})"));
            bar.set_length(total);
            bar.set_position(done);
        }
        update::Progress::Bytes { done, total, .. } => {
            if let Some(t) = total {
                bar.set_length(t);
            }
            bar.set_position(done);
        }
        update::Progress::Done { source, outcome } => {
            bar.println(format!("{source}: {outcome}"));
        }
    };
    let (results, _) =
        update::run(db, &opts, &progress).with_context(|| format!("updating {}", db.display()))?;
    bar.finish_and_clear();
    let failed = results.iter().filter(|r| r.outcome == "failed").count();
    match format {
        OutFormat::Json => println!("{}", serde_json::to_string_pretty(&results)?),
        OutFormat::Table => {
            println!(
                "{:<32} {:<13} {:>8} {:>8}",
                "SOURCE", "OUTCOME", "RECORDS", "SKIPPED"
            );
            for r in &results {
                println!(
                    "{:<32} {:<13} {:>8} {:>8}{}",
                    r.name,
                    r.outcome,
                    r.records,
                    r.skipped.len(),
                    r.error
                        .as_deref()
                        .map(|e| format!("  {e}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    if failed > 0 {
        eprintln!("hull: {failed} source(s) failed; their previous data was kept");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn status_cmd(db: &Path, format: OutFormat) -> anyhow::Result<ExitCode> {
    let handle = hull_vulndb::Db::open(db)?;
    let sources = handle.sources()?;
    let size = std::fs::metadata(db).map(|m| m.len()).unwrap_or(0);
    match format {
        OutFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "path": db,
                "schema_version": handle.schema_version(),
                "size_bytes": size,
                "sources": sources,
            }))?
        ),
        OutFormat::Table => {
            println!(
                "database {} (schema v{}, {} bytes)",
                db.display(),
                handle.schema_version(),
                size
            );
            println!(
                "{:<36} {:>8} {:>8}  {:<21} {:<6} FORMAT",
                "SOURCE", "RECORDS", "SKIPPED", "UPDATED", "STATUS"
            );
            for s in &sources {
                println!(
                    "{:<36} {:>8} {:>8}  {:<21} {:<6} {}{}",
                    s.name,
                    s.records,
                    s.skipped,
                    s.updated_at,
                    s.status,
                    s.format,
                    s.error
                        .as_deref()
                        .map(|e| format!("  ({e})"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
