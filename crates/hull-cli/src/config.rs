//! `hull config`: audit runtime configuration files (wiring only; the work is in
//! `hull-audit`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use hull_audit::{
    audit_paths_each, collect_files, output, policy::PolicySet, CheckSet, FileReport, Options,
};
use hull_model::Severity;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Sarif,
}

/// Audit Kubernetes manifests, compose files, docker inspect output, OCI config.json,
/// Dockerfiles, daemon.json and containerd config.toml (kind detected by content).
#[derive(clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Require a sandboxed runtime (gVisor or Kata): its absence becomes a finding.
    #[arg(long)]
    pub require_sandbox: bool,
    /// Directory of *.rego policies evaluated beside the built-in checks.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Time limit for evaluating the policies on one file (e.g. 500ms, 2s).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub policy_timeout: Duration,
    /// Write hardened copies of Kubernetes, compose and OCI files.
    #[arg(long)]
    pub fix: bool,
    /// Where --fix writes hardened copies (mirrors the input paths).
    #[arg(long, default_value = "hull-fixed")]
    pub fix_output: PathBuf,
    /// With --fix: overwrite the input files instead.
    #[arg(long)]
    pub fix_in_place: bool,
    /// Evaluate the Kubernetes Pod Security Standards exactly as the Pod Security
    /// Admission controller would: LEVEL[@VERSION], LEVEL = baseline | restricted,
    /// VERSION = v1.0 … v1.37 or latest (the default). One `pss:<control>` finding per
    /// violated control, with the PSS wording. Implies --checks all unless --checks is
    /// given.
    #[arg(long, value_name = "LEVEL[@VERSION]", value_parser = parse_pss)]
    pub pss: Option<hull_audit::Profile>,
    /// Which built-in checks run: hull (hull's own, stricter checks), pss (only the
    /// Pod Security Standards of --pss) or all. Default: hull, or all with --pss.
    #[arg(long, value_enum)]
    pub checks: Option<ChecksArg>,
    /// Largest file to read, in bytes.
    #[arg(long, default_value_t = hull_audit::DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ChecksArg {
    Hull,
    Pss,
    All,
}

fn parse_pss(s: &str) -> Result<hull_audit::Profile, String> {
    s.parse()
}

/// How an audit is reported and when it fails (shared with `hull host`).
#[derive(clap::Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the report to this file instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only report findings of at least this severity (low, medium, high, critical).
    #[arg(long, default_value = "unknown")]
    pub severity: Severity,
    /// Exit with code 1 when a finding of at least this severity remains.
    #[arg(long)]
    pub exit_code: Option<Severity>,
}

impl ReportArgs {
    /// [`finish`] with these options.
    pub fn finish(&self, files: Vec<FileReport>) -> anyhow::Result<ExitCode> {
        let mut r = self.reporter()?;
        for f in files {
            r.file(f)?;
        }
        r.finish()
    }

    /// A report that is written file by file as results arrive.
    pub fn reporter(&self) -> anyhow::Result<Reporter> {
        Reporter::new(
            self.format,
            self.output.as_deref(),
            self.severity,
            self.exit_code,
        )
    }
}

/// Streams file reports to the output (memory stays flat however many files there
/// are), then writes the summary and picks the exit code.
pub struct Reporter {
    st: output::Streamer<crate::report_file::Streamed>,
    min: Severity,
    exit_on: Option<Severity>,
}

impl Reporter {
    pub fn new(
        format: Format,
        output_path: Option<&Path>,
        min: Severity,
        exit_on: Option<Severity>,
    ) -> anyhow::Result<Reporter> {
        let format = match format {
            Format::Table => output::Format::Table,
            Format::Json => output::Format::Json,
            Format::Sarif => output::Format::Sarif,
        };
        let out = crate::report_file::Streamed::open(output_path)?;
        Ok(Reporter {
            st: output::Streamer::new(format, out),
            min,
            exit_on,
        })
    }

    /// Filters by severity and writes one file's results.
    pub fn file(&mut self, mut f: FileReport) -> anyhow::Result<()> {
        f.findings.retain(|x| x.severity >= self.min);
        self.st.file(&f).context("writing the report")
    }

    pub fn finish(self) -> anyhow::Result<ExitCode> {
        let (out, s) = self.st.finish().context("writing the report")?;
        out.commit()?;
        if s.files == 0 {
            bail!("no configuration files found in the given paths");
        }
        if s.unreadable == s.files {
            bail!("no input could be read ({} file(s) failed)", s.files);
        }
        let over = self
            .exit_on
            .is_some_and(|t| s.max_severity.is_some_and(|m| m >= t));
        Ok(if over {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }
}

/// `500ms`, `2s`, `1.5s`, `1m` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("invalid duration `{s}`"))?;
    if !(v.is_finite() && v > 0.0) {
        return Err(format!("invalid duration `{s}`"));
    }
    Ok(Duration::from_secs_f64(v * mult))
}

/// Renders, filters by severity, prints and picks the exit code (the tests' shortcut).
#[cfg(test)]
fn finish(
    files: Vec<FileReport>,
    format: Format,
    output_path: Option<&Path>,
    min: Severity,
    exit_on: Option<Severity>,
) -> anyhow::Result<ExitCode> {
    let mut r = Reporter::new(format, output_path, min, exit_on)?;
    for f in files {
        r.file(f)?;
    }
    r.finish()
}

fn write_fixes(args: &Args, opts: &Options) -> anyhow::Result<()> {
    for f in collect_files(&args.paths) {
        let Ok(text) = hull_audit::read_text(&f, opts.max_file_size) else {
            continue;
        };
        let shown = f.display().to_string();
        let Ok(parsed) = hull_audit::parse(&shown, &text) else {
            continue;
        };
        let fixed = match hull_audit::fix::harden(&parsed, &text) {
            Ok(t) => t,
            Err(hull_audit::fix::FixError::Unsupported(_)) => continue,
            Err(e) => {
                eprintln!("hull: warning: {shown}: {e}");
                continue;
            }
        };
        let dest = if args.fix_in_place {
            f.clone()
        } else {
            // Mirror the input path under the output directory, never above it.
            let rel: PathBuf = f
                .components()
                .filter(|c| matches!(c, std::path::Component::Normal(_)))
                .collect();
            args.fix_output.join(rel)
        };
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&dest, fixed).with_context(|| format!("writing {}", dest.display()))?;
        eprintln!(
            "hull: hardened copy of {shown} written to {}",
            dest.display()
        );
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let policies = match &args.policy {
        Some(dir) => Some(PolicySet::load(dir, args.policy_timeout).context("loading policies")?),
        None => None,
    };
    let checks = match (args.checks, args.pss) {
        (Some(ChecksArg::Pss), None) => bail!("--checks pss needs --pss LEVEL[@VERSION]"),
        (Some(ChecksArg::Hull), _) | (None, None) => CheckSet::Hull,
        (Some(ChecksArg::Pss), Some(_)) => CheckSet::Pss,
        (Some(ChecksArg::All), _) | (None, Some(_)) => CheckSet::All,
    };
    let opts = Options {
        require_sandbox: args.require_sandbox,
        max_file_size: args.max_file_size,
        policies,
        pss: args.pss,
        checks,
    };
    let mut reporter = args.report.reporter()?;
    let mut failed = None;
    audit_paths_each(&args.paths, &opts, |f| {
        if failed.is_none() {
            failed = reporter.file(f).err();
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let code = reporter.finish()?;
    if args.fix {
        write_fixes(&args, &opts)?;
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("-1s").is_err() && parse_duration("soon").is_err());
    }

    fn report(text: &str) -> FileReport {
        hull_audit::audit_text("pod.yaml", text, &Options::default())
    }

    #[test]
    fn exit_codes() {
        let out = std::env::temp_dir().join(format!("hull-cli-test-{}.json", std::process::id()));
        let privileged = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext: {privileged: true}\n";
        let run = |files: Vec<FileReport>, exit_on: Option<Severity>| {
            finish(files, Format::Json, Some(&out), Severity::Unknown, exit_on)
        };
        assert_eq!(
            run(vec![report(privileged)], None).unwrap(),
            ExitCode::SUCCESS
        );
        assert_eq!(
            run(vec![report(privileged)], Some(Severity::Critical)).unwrap(),
            ExitCode::from(1)
        );
        // Nothing readable at all is an error (exit 2 in main); one readable file is not.
        assert!(run(vec![report("{]")], None).is_err());
        assert_eq!(
            run(vec![report("{]"), report(privileged)], None).unwrap(),
            ExitCode::SUCCESS
        );
        // --severity hides findings from the report but the file stays.
        finish(
            vec![report(privileged)],
            Format::Json,
            Some(&out),
            Severity::Critical,
            None,
        )
        .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert!(v["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "critical"));
        let _ = std::fs::remove_file(&out);
    }
}
