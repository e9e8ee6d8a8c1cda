//! `hull host`: audit the host's container runtime setup from files (wiring only).

use std::path::PathBuf;
use std::process::ExitCode;

use hull_audit::Options;
use hull_model::Severity;

use crate::config::{finish, Format};

/// Audit Docker daemon.json, containerd config.toml, the Docker socket, kernel
/// features (seccomp, AppArmor/SELinux, user namespaces, cgroup v2) and installed
/// sandbox runtimes.
#[derive(clap::Args)]
pub struct Args {
    /// Directory that stands for `/` (for auditing a mounted image or a test tree).
    #[arg(long, default_value = "/")]
    pub root: PathBuf,
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: Format,
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only report findings of at least this severity.
    #[arg(long, default_value = "unknown")]
    pub severity: Severity,
    /// Exit with code 1 when a finding of at least this severity remains.
    #[arg(long)]
    pub exit_code: Option<Severity>,
    /// Require an installed and configured sandboxed runtime (gVisor or Kata).
    #[arg(long)]
    pub require_sandbox: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.root.is_dir() {
        anyhow::bail!("--root {} is not a directory", args.root.display());
    }
    let opts = Options {
        require_sandbox: args.require_sandbox,
        ..Options::default()
    };
    let files = hull_audit::host::audit(&args.root, &opts);
    finish(
        files,
        args.format,
        args.output.as_deref(),
        args.severity,
        args.exit_code,
    )
}
