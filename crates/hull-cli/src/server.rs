//! `hull server`: wiring of hull-server's store, rescans, webhooks and HTTP API.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hull_server::{App, Config, Listen, Server};

#[derive(clap::Args)]
#[command(
    after_help = "API, tokens, storage, rescan and recommendation rules: docs/server.md",
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// Address to listen on (port 0 picks a free one; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8480")]
    pub listen: String,
    /// Directory of the server's own database (server.db)
    /// [default: $XDG_DATA_HOME/hull, else ~/.local/share/hull]
    #[arg(long, value_name = "DIR", env = "HULL_SERVER_DATA", global = true)]
    pub data: Option<PathBuf>,
    /// Keep the server's data in PostgreSQL instead of SQLite in --data:
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=verify-full&sslrootcert=CA.pem]
    /// (sslmode: disable, the default; require; verify-full).
    /// Run several replicas on one PostgreSQL: each database update is rescanned,
    /// and its new findings notified, by one replica only (an advisory lock).
    #[arg(long, value_name = "URL", env = "HULL_SERVER_STORE", global = true)]
    pub store: Option<String>,
    /// Vulnerability database file [default: $XDG_CACHE_HOME/hull/db/hull.db]
    #[arg(long, env = "HULL_DB")]
    pub db: Option<PathBuf>,
    /// Seconds between checks for an updated vulnerability database (fractions allowed).
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    pub rescan_interval: f64,
    /// POST new findings as JSON to this http:// or https:// URL (repeatable; retries, bounded queue).
    #[arg(long, value_name = "URL")]
    pub webhook: Vec<String>,
    /// Sign webhook bodies with the secret in FILE (HMAC-SHA256, header
    /// X-Hull-Signature-256: sha256=HEX); the Nth file is the Nth --webhook's secret.
    #[arg(long, value_name = "FILE")]
    pub webhook_secret_file: Vec<PathBuf>,
    /// Async worker threads (store and matching work runs on a bounded blocking pool).
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// Serve HTTPS with this PEM certificate chain (leaf first); with --tls-key.
    /// SIGHUP reloads both files (a failed reload keeps the previous certificate).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Also answer requests whose Host header is NAME (or NAME:PORT, *.DOMAIN, or *
    /// for any); the listen address and localhost always are (repeatable). Other
    /// Host names are refused: DNS rebinding.
    #[arg(long, value_name = "NAME")]
    pub allowed_host: Vec<String>,
    /// Serve GET routes (API reads, dashboard, metrics) without a token. Pushes,
    /// rescans and every other change still need one.
    #[arg(long)]
    pub public_read: bool,
    /// How recommendations count findings of unknown severity: `threshold` (as at
    /// or above the threshold: never safe) or `low` (opt-out).
    #[arg(long, default_value = "threshold", value_name = "threshold|low")]
    pub unknown_as: hull_server::recommend::UnknownAs,
    /// Keep only the newest N scans of each image version (older ones and their
    /// findings are deleted after each new scan). Rescans that change nothing add no
    /// scan anyway.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_scans: Option<u64>,
    /// Connections served at once (more wait).
    #[arg(long, default_value_t = 512)]
    pub max_connections: usize,
    /// Largest accepted upload, bytes.
    #[arg(long, default_value_t = hull_server::DEFAULT_MAX_BODY)]
    pub max_body: usize,
    /// Audit the configuration files under DIR (as `hull config DIR`) on a schedule,
    /// starting now (repeatable).
    #[arg(long, value_name = "DIR")]
    pub audit_dir: Vec<PathBuf>,
    /// Seconds between configuration audits.
    #[arg(long, default_value_t = 3600.0, value_name = "SECS")]
    pub audit_interval: f64,
}

#[derive(clap::Subcommand)]
pub enum Sub {
    /// API tokens: create (shown once), list, revoke.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(clap::Subcommand)]
pub enum TokenAction {
    /// Create a token and print it once on stdout (the store keeps only its hash).
    Create {
        /// What the token is for (shown by `list` and in the audit log).
        #[arg(long)]
        name: String,
        /// read (GET routes), push (also POST /api/v1/scans) or admin (everything).
        #[arg(long, default_value = "push")]
        scope: hull_server::tokens::Scope,
    },
    /// List tokens (id, name, scope, prefix, created, revoked).
    List,
    /// Revoke a token by id: it stops working at once, sessions included.
    Revoke { id: i64 },
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn token_command(
    store: &dyn hull_server::store::Store,
    action: TokenAction,
) -> anyhow::Result<ExitCode> {
    match action {
        TokenAction::Create { name, scope } => {
            anyhow::ensure!(
                !name.trim().is_empty() && name.len() <= 100 && !name.contains(char::is_control),
                "--name must be 1-100 printable characters"
            );
            let (secret, info) =
                hull_server::tokens::issue(store, name.trim(), scope, "cli", now_secs())
                    .context("creating the token")?;
            println!("{secret}");
            eprintln!(
                "hull server: token {} `{}` (scope {}) created; it is shown only now. Clients read it from HULL_SERVER_TOKEN or ~/.config/hull/server-token.",
                info.id, info.name, info.scope
            );
        }
        TokenAction::List => {
            println!(
                "{:<5} {:<24} {:<6} {:<14} {:<22} REVOKED",
                "ID", "NAME", "SCOPE", "PREFIX", "CREATED"
            );
            for t in store.tokens().context("listing tokens")? {
                println!(
                    "{:<5} {:<24} {:<6} {:<14} {:<22} {}",
                    t.id,
                    t.name,
                    t.scope,
                    t.prefix,
                    t.created_at,
                    t.revoked_at.as_deref().unwrap_or("-")
                );
            }
        }
        TokenAction::Revoke { id } => {
            let done = hull_server::tokens::revoke(store, id, "cli", now_secs())
                .context("revoking the token")?;
            anyhow::ensure!(done, "no live token {id}");
            eprintln!("hull server: token {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn seconds(flag: &str, secs: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("{flag} must be a positive number of seconds"))
}

fn default_data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("hull")
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(Sub::Token { action }) = args.command {
        let store_path = args.data.unwrap_or_else(default_data_dir).join("server.db");
        let store = hull_server::store::open(&args.store.unwrap_or_default(), &store_path)
            .context("opening the server's store")?;
        return token_command(store.as_ref(), action);
    }
    let interval = seconds("--rescan-interval", args.rescan_interval)?;
    let audit_interval = seconds("--audit-interval", args.audit_interval)?;
    for d in &args.audit_dir {
        anyhow::ensure!(d.is_dir(), "--audit-dir {} is not a directory", d.display());
    }
    let store_path = args.data.unwrap_or_else(default_data_dir).join("server.db");
    let location = args.store.unwrap_or_default();
    let store =
        hull_server::store::open(&location, &store_path).context("opening the server's store")?;
    let where_data = if location.trim().is_empty() {
        store_path.display().to_string()
    } else {
        hull_server::store::describe(&location)
    };
    anyhow::ensure!(
        args.webhook_secret_file.len() <= args.webhook.len(),
        "more --webhook-secret-file than --webhook"
    );
    let mut webhook_secrets = Vec::new();
    for f in &args.webhook_secret_file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("reading --webhook-secret-file {}", f.display()))?;
        let secret = text.trim();
        anyhow::ensure!(
            secret.len() >= 16,
            "--webhook-secret-file {}: the secret must be at least 16 characters",
            f.display()
        );
        webhook_secrets.push(secret.as_bytes().to_vec());
    }
    let vulndb = args.db.unwrap_or_else(hull_vulndb::store::default_path);
    if !vulndb.is_file() {
        eprintln!(
            "hull server: warning: no vulnerability database at {} yet; pushed inventories are stored and matched once it appears (run `hull db update`)",
            vulndb.display()
        );
    }
    let app = App::new(
        Arc::from(store),
        Config {
            vulndb,
            webhooks: args.webhook,
            webhook_secrets,
            rescan_interval: interval,
            max_body: args.max_body,
            log: Arc::new(|line| eprintln!("hull server: {line}")),
            audit_dirs: args.audit_dir,
            audit_interval,
            public_read: args.public_read,
            unknown_as: args.unknown_as,
            keep_scans: args.keep_scans.map(|n| n as usize),
            secure_cookie: args.tls_cert.is_some(),
        },
    )?;
    let mut listen = Listen::new(&args.listen);
    listen.tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(hull_http::TlsFiles { cert, key }),
        _ => None,
    };
    let scheme = if listen.tls.is_some() {
        "https"
    } else {
        "http"
    };
    listen.allowed_hosts = args.allowed_host;
    listen.max_connections = args.max_connections.max(1);
    listen.stop_on_signals = true;
    let server = Server::start_on(Arc::new(app), &listen, args.workers)
        .with_context(|| format!("starting the server on {}", args.listen))?;
    // The one line on stdout: scripts (and tests) read the address from it.
    println!("hull server listening on {scheme}://{}", server.addr());
    eprintln!("hull server: data in {where_data}");
    // Every write is one committed transaction (SQLite or PostgreSQL); SIGTERM and
    // SIGINT stop accepting, finish the requests in flight, then exit.
    server.wait();
    Ok(ExitCode::SUCCESS)
}
