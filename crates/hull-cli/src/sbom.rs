//! `hull sbom`: list everything installed in an image as CycloneDX, SPDX, hull JSON or a
//! table.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use hull_report::{Format, WriteOptions};

use crate::target::{self, TargetArgs};

/// Shown after the options in `hull sbom --help`, followed by the target examples.
const FORMATS_HELP: &str = "\
Formats:
  cyclonedx   CycloneDX 1.6 JSON (default): the image as metadata.component, the distro
              as an operating-system component, packages with purl, licences and hull:*
              properties (file, layer, analyzer, source package)
  spdx-json   SPDX 2.3 JSON: the image package DESCRIBES and CONTAINS every package
  json        hull's own inventory JSON, lossless (docs/json-schema.md)
  table       a summary and one row per package, for people

Examples:
  hull sbom app.oci.tar -o app.cdx.json
  hull sbom --format spdx-json docker-archive:app.docker.tar > app.spdx.json
  hull sbom --format table dir:./rootfs
  hull sbom --format json sbom:app.cdx.json        convert an SBOM to another format

Exit codes: 0 success, 2 error (one line on stderr: `hull: error: ...`).
";

fn after_help() -> String {
    format!("{FORMATS_HELP}\n{}", target::TARGET_HELP)
}

#[derive(clap::Args, Debug)]
#[command(after_help = after_help())]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Output format: cyclonedx, spdx-json, json or table.
    #[arg(long, short, default_value = "cyclonedx", value_parser = parse_format)]
    pub format: Format,

    /// Write to FILE instead of stdout (written to a temporary file, then renamed, so a
    /// failed run never leaves half a document).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let inv = target::inventory(&args.target)?;
    if !args.target.quiet && !inv.diagnostics.is_empty() && args.format != Format::Table {
        eprintln!(
            "hull: warning: {} file(s) could not be fully read; details in `--format json` \
             (diagnostics) or `--format table`",
            inv.diagnostics.len()
        );
    }
    let opts = WriteOptions::now();
    match &args.output {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            hull_report::write_to(&inv, args.format, &opts, &mut out)?;
            out.flush().context("cannot write to stdout")?;
        }
        Some(path) => {
            let mut buf = Vec::new();
            hull_report::write_to(&inv, args.format, &opts, &mut buf)?;
            crate::report_file::write(path, &buf)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
