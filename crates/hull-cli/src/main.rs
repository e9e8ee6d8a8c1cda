//! The `hull` binary: argument parsing and wiring only. Each subcommand lives in its own
//! module with an `Args` struct and a `run` function; the work happens in the library crates.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod admission;
mod config;
mod content;
mod db;
mod host;
mod image;
mod monitor;
mod report_file;
mod sbom;
mod server;
mod target;

/// hull: container security in one fast, honest tool.
///
/// Scan images for packages and vulnerabilities, audit how containers are configured
/// and run, and watch running containers for attacks.
#[derive(Parser)]
#[command(name = "hull", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List everything installed in an image (software bill of materials).
    Sbom(sbom::Args),
    /// Scan an image for known vulnerabilities.
    Image(image::Args),
    /// Manage the vulnerability database.
    Db(db::Args),
    /// Audit runtime configuration files (Kubernetes, compose, OCI, Dockerfile…).
    Config(config::Args),
    /// Audit the host's container runtime setup.
    Host(host::Args),
    /// Watch running containers and raise alerts.
    Monitor(monitor::Args),
    /// Run the vulnerability management server (inventory store, rescans, dashboard).
    Server(server::Args),
    /// Serve a Kubernetes validating admission webhook (Pod Security Standards, checks, policies).
    Admission(admission::Args),
}

/// Exit codes (STYLE.md): 0 clean, 1 findings over the `--exit-code` threshold, 2 error.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sbom(a) => sbom::run(a),
        Command::Image(a) => image::run(a),
        Command::Db(a) => db::run(a),
        Command::Config(a) => config::run(a),
        Command::Host(a) => host::run(a),
        Command::Monitor(a) => monitor::run(a),
        Command::Server(a) => server::run(a),
        Command::Admission(a) => admission::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hull: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
