//! `hull host`: audit the host's container runtime setup from files (wiring only).

use std::path::PathBuf;
use std::process::ExitCode;

use hull_audit::Options;

use crate::config::ReportArgs;

/// Audit Docker daemon.json, containerd config.toml, the Docker socket, kernel
/// features (seccomp, AppArmor/SELinux, user namespaces, cgroup v2) and installed
/// sandbox runtimes.
#[derive(clap::Args)]
pub struct Args {
    /// Directory that stands for `/` (for auditing a mounted image or a test tree).
    #[arg(long, default_value = "/")]
    pub root: PathBuf,
    #[command(flatten)]
    pub report: ReportArgs,
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
    args.report.finish(files)
}
