//! `hull admission`: the Kubernetes validating admission webhook (wiring only; the
//! work is in `hull-admission`).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hull_admission::review::{Config, FailurePolicy};
use hull_admission::{AppState, ServeOptions};
use hull_audit::{policy::PolicySet, CheckSet, Options, Profile};
use hull_model::Severity;

use crate::config::{parse_duration, ChecksArg};

fn parse_profile(s: &str) -> Result<Profile, String> {
    s.parse()
}

/// Serve a validating admission webhook (admission.k8s.io/v1 AdmissionReview at
/// POST /validate, HTTPS only) that applies the Pod Security Standards, hull's own
/// checks and Rego policies to Pods and every workload controller.
///
/// Levels work like Pod Security Admission's namespace labels: --enforce violations
/// deny, --warn violations are returned as warnings, --audit violations as audit
/// annotations. Each is LEVEL[@VERSION] (privileged | baseline | restricted; v1.0 …
/// v1.37 or latest). A namespace overrides them with the labels
/// pod-security.kubernetes.io/{enforce,warn,audit}[-version] (learnt from the Namespace
/// objects the webhook reviews, or --namespace-labels), or opts out with
/// hull.dev/exempt=true. See docs/admission.md and deploy/.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub listen: std::net::SocketAddr,
    /// PEM certificate chain (required: the API server calls webhooks over HTTPS only).
    #[arg(long)]
    pub tls_cert: PathBuf,
    /// PEM private key of --tls-cert.
    #[arg(long)]
    pub tls_key: PathBuf,
    /// Violations of this profile deny.
    #[arg(long, default_value = "baseline@latest", value_parser = parse_profile)]
    pub enforce: Profile,
    /// Violations of this profile are returned as warnings.
    #[arg(long, default_value = "restricted@latest", value_parser = parse_profile)]
    pub warn: Profile,
    /// Violations of this profile go to the audit annotations.
    #[arg(long, default_value = "restricted@latest", value_parser = parse_profile)]
    pub audit: Profile,
    /// Which checks run: pss, hull (hull's own) or all.
    #[arg(long, value_enum, default_value = "all")]
    pub checks: ChecksArg,
    /// hull's own checks and policy findings at or above this severity deny.
    #[arg(long)]
    pub hull_enforce: Option<Severity>,
    /// hull's own checks and policy findings at or above this severity are warnings.
    #[arg(long, default_value = "high")]
    pub hull_warn: Severity,
    /// Namespace never evaluated (repeatable).
    #[arg(long = "exempt-namespace", value_name = "NAMESPACE")]
    pub exempt_namespaces: Vec<String>,
    /// Request user never evaluated (repeatable).
    #[arg(long = "exempt-user", value_name = "USER")]
    pub exempt_users: Vec<String>,
    /// Never deny: would-be denials are returned as warnings.
    #[arg(long)]
    pub dry_run: bool,
    /// When a request cannot be evaluated (a policy fails or times out): Fail denies,
    /// Ignore allows with a warning. Match the webhook configuration's failurePolicy.
    #[arg(long, default_value = "Fail")]
    pub failure_policy: FailurePolicy,
    /// Directory of *.rego policies (as for `hull config --policy`).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Time limit for evaluating the policies on one object.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub policy_timeout: Duration,
    /// `kubectl get namespaces -o json` output: labels known at start.
    #[arg(long)]
    pub namespace_labels: Option<PathBuf>,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = 6 * 1024 * 1024)]
    pub max_body: usize,
}

fn load_labels(
    path: &std::path::Path,
) -> anyhow::Result<HashMap<String, BTreeMap<String, String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let items = match v.get("items") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        _ => vec![v],
    };
    let mut out = HashMap::new();
    for ns in items {
        let Some(name) = ns.pointer("/metadata/name").and_then(|n| n.as_str()) else {
            continue;
        };
        let labels = ns
            .pointer("/metadata/labels")
            .and_then(|l| l.as_object())
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        out.insert(name.to_string(), labels);
    }
    Ok(out)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let policies = match &args.policy {
        Some(dir) => Some(PolicySet::load(dir, args.policy_timeout).context("loading policies")?),
        None => None,
    };
    let labels = match &args.namespace_labels {
        Some(p) => load_labels(p)?,
        None => HashMap::new(),
    };
    let config = Config {
        enforce: args.enforce,
        warn: args.warn,
        audit: args.audit,
        hull_enforce: args.hull_enforce,
        hull_warn: Some(args.hull_warn),
        checks: match args.checks {
            ChecksArg::Hull => CheckSet::Hull,
            ChecksArg::Pss => CheckSet::Pss,
            ChecksArg::All => CheckSet::All,
        },
        exempt_namespaces: args.exempt_namespaces,
        exempt_users: args.exempt_users,
        dry_run: args.dry_run,
        failure_policy: args.failure_policy,
        audit_options: Options {
            policies,
            ..Options::default()
        },
    };
    let mut opts = ServeOptions::new(
        args.listen,
        hull_http::TlsFiles {
            cert: args.tls_cert,
            key: args.tls_key,
        },
    );
    opts.limits.max_body = args.max_body;
    opts.log = Some(Arc::new(|l: &str| eprintln!("hull admission: {l}")));
    let state = Arc::new(AppState::new(config, labels));
    hull_admission::run_until_signalled(opts, state, |a| {
        eprintln!("hull admission: listening on https://{a}/validate");
    })?;
    Ok(ExitCode::SUCCESS)
}
