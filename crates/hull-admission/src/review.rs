//! The admission decision as a pure function: an `AdmissionReview` request (bytes) in,
//! the `AdmissionReview` response (JSON) out. No I/O, no clock, no global state: the
//! namespace labels it may consult are passed in.
//!
//! Levels work like Pod Security Admission's namespace labels: `enforce` violations
//! deny, `warn` violations come back as `warnings` (kubectl prints them), `audit`
//! violations as `auditAnnotations` (the API server's audit log records them). Each
//! level is a Pod Security Standards profile (`restricted@v1.30`); hull's own checks
//! and Rego policy findings join a level by severity (`hull_enforce`, `hull_warn`).
//! A namespace may override the levels with the PSA labels
//! `pod-security.kubernetes.io/{enforce,warn,audit}[-version]`, or opt out with
//! `hull.dev/exempt: "true"`.
//!
//! Unlike PSA, `enforce` also denies workload controllers (a Deployment whose pods
//! would be rejected fails at `kubectl apply`, not silently in its ReplicaSet).

use std::collections::BTreeMap;

use hull_audit::pss::{self, Level, Profile, Version};
use hull_audit::{CheckSet, Finding, Options, Parsed};
use hull_model::Severity;
use serde_json::{json, Value};

/// What to do when a request is well-formed but cannot be evaluated (a policy that
/// fails or times out): deny (`Fail`, closed) or allow with a warning (`Ignore`, open),
/// the same words as the webhook configuration's `failurePolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailurePolicy {
    #[default]
    Fail,
    Ignore,
}

impl std::str::FromStr for FailurePolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "Fail" | "fail" => Ok(FailurePolicy::Fail),
            "Ignore" | "ignore" => Ok(FailurePolicy::Ignore),
            _ => Err(format!("unknown failure policy `{s}` (Fail or Ignore)")),
        }
    }
}

/// How the webhook decides.
#[derive(Clone)]
pub struct Config {
    pub enforce: Profile,
    pub warn: Profile,
    pub audit: Profile,
    /// hull's own checks and policy findings at or above this severity deny.
    pub hull_enforce: Option<Severity>,
    /// … and at or above this one are warnings.
    pub hull_warn: Option<Severity>,
    /// Which checks run (hull's, the PSS, or both).
    pub checks: CheckSet,
    /// Namespaces never evaluated (`kube-system`, …).
    pub exempt_namespaces: Vec<String>,
    /// Request users never evaluated (`system:serviceaccount:…`).
    pub exempt_users: Vec<String>,
    /// Never deny: would-be denials become warnings.
    pub dry_run: bool,
    pub failure_policy: FailurePolicy,
    /// Rego policies and options for hull's own checks.
    pub audit_options: Options,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            enforce: Profile::new(Level::Baseline, Version::Latest),
            warn: Profile::new(Level::Restricted, Version::Latest),
            audit: Profile::new(Level::Restricted, Version::Latest),
            hull_enforce: None,
            hull_warn: Some(Severity::High),
            checks: CheckSet::All,
            exempt_namespaces: vec![],
            exempt_users: vec![],
            dry_run: false,
            failure_policy: FailurePolicy::Fail,
            audit_options: Options::default(),
        }
    }
}

/// A request that is not an `AdmissionReview` the webhook can answer: HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRequest(pub String);

/// The answer to one review.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The `AdmissionReview` response document.
    pub response: Value,
    /// A Namespace object was reviewed: its name and labels (for per-namespace levels).
    pub namespace_labels: Option<(String, BTreeMap<String, String>)>,
}

/// Namespace name → its labels, when known.
pub type Labels<'a> = &'a dyn Fn(&str) -> Option<BTreeMap<String, String>>;

/// Largest `warnings` entry (the API server truncates longer ones anyway).
const MAX_WARNING: usize = 512;
/// Most `warnings` entries returned (the rest are counted in the last one).
const MAX_WARNINGS: usize = 20;

fn bad(msg: impl Into<String>) -> BadRequest {
    BadRequest(msg.into())
}

/// Reviews one `AdmissionReview` request.
pub fn review(body: &[u8], cfg: &Config, labels: Labels) -> Result<Outcome, BadRequest> {
    let doc: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("request body is not JSON: {e}")))?;
    if doc.get("kind").and_then(Value::as_str) != Some("AdmissionReview") {
        return Err(bad("request is not an AdmissionReview (kind)"));
    }
    match doc.get("apiVersion").and_then(Value::as_str) {
        Some("admission.k8s.io/v1") => {}
        Some(v) => {
            return Err(bad(format!(
                "AdmissionReview {v} is not supported: set admissionReviewVersions: [v1]"
            )))
        }
        None => return Err(bad("AdmissionReview has no apiVersion")),
    }
    let req = doc
        .get("request")
        .filter(|r| r.is_object())
        .ok_or_else(|| bad("AdmissionReview has no request"))?;
    let uid = req
        .get("uid")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| bad("AdmissionReview request has no uid"))?;
    let operation = req.get("operation").and_then(Value::as_str).unwrap_or("");
    let answer = |allowed: bool, extra: Value| -> Value {
        let mut r = json!({"uid": uid, "allowed": allowed});
        if let (Some(r), Some(e)) = (r.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                r.insert(k.clone(), v.clone());
            }
        }
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": r})
    };
    let allow = || Outcome {
        response: answer(true, json!({})),
        namespace_labels: None,
    };
    if !matches!(operation, "CREATE" | "UPDATE") {
        return Ok(allow());
    }
    // Status and other subresources do not change what runs.
    match req.get("subResource").and_then(Value::as_str) {
        None | Some("") | Some("ephemeralcontainers") => {}
        Some(_) => return Ok(allow()),
    }
    let object = req
        .get("object")
        .filter(|o| o.is_object())
        .ok_or_else(|| bad(format!("{operation} request has no object")))?;
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .or_else(|| req.get("name").and_then(Value::as_str))
        .unwrap_or("<generated>");

    // A Namespace: remember its labels; warn about unusable level labels.
    if kind == "Namespace" && req.pointer("/kind/kind").and_then(Value::as_str) == Some("Namespace")
    {
        let l = string_map(object.pointer("/metadata/labels"));
        let (_, problems) = levels_from_labels(cfg, &l);
        let mut extra = json!({});
        if !problems.is_empty() {
            extra["warnings"] = json!(problems);
        }
        return Ok(Outcome {
            response: answer(true, extra),
            namespace_labels: Some((name.to_string(), l)),
        });
    }

    let namespace = req
        .get("namespace")
        .and_then(Value::as_str)
        .or_else(|| {
            object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
        })
        .unwrap_or("default");
    let user = req
        .pointer("/userInfo/username")
        .and_then(Value::as_str)
        .unwrap_or("");
    if cfg.exempt_namespaces.iter().any(|n| n == namespace)
        || cfg.exempt_users.iter().any(|u| u == user)
    {
        return Ok(allow());
    }
    let ns_labels = labels(namespace).unwrap_or_default();
    if ns_labels.get("hull.dev/exempt").map(String::as_str) == Some("true") {
        return Ok(allow());
    }
    let (levels, label_problems) = levels_from_labels(cfg, &ns_labels);

    // An update that leaves the pod spec alone (labels, annotations, replicas, status)
    // is not re-judged: existing workloads stay manageable after a policy change.
    if operation == "UPDATE" {
        if let Some(old) = req.get("oldObject").filter(|o| o.is_object()) {
            let spec = |o: &Value| pss::pod_parts(o).map(|(_, s)| s.clone());
            if spec(old).is_some() && spec(old) == spec(object) {
                return Ok(allow());
            }
        }
    }

    let display = format!("{kind}/{name}");
    let mut deny: Vec<String> = vec![];
    let mut warn: Vec<String> = vec![];
    let mut audit: Vec<String> = vec![];
    let mut failure: Option<String> = None;

    // The Pod Security Standards at each level.
    if cfg.checks != CheckSet::Hull {
        if let Some((meta, spec)) = pss::pod_parts(object) {
            for (profile, out) in [
                (levels.enforce, &mut deny),
                (levels.warn, &mut warn),
                (levels.audit, &mut audit),
            ] {
                for v in pss::evaluate(meta, spec, profile) {
                    out.push(format!(
                        "{} ({profile}): {} — fix: {}",
                        v.control.id(),
                        v.message,
                        v.control.info().remediation
                    ));
                }
            }
        }
    }
    // hull's own checks and the Rego policies, on the object alone.
    if cfg.checks != CheckSet::Pss || cfg.audit_options.policies.is_some() {
        // hull's own checks (none with --checks pss: policies only); the PSS ran above.
        let want = if cfg.checks == CheckSet::Pss {
            CheckSet::Pss
        } else {
            CheckSet::Hull
        };
        let owned;
        let opts = if cfg.audit_options.pss.is_none() && cfg.audit_options.checks == want {
            &cfg.audit_options
        } else {
            let mut o = cfg.audit_options.clone();
            o.pss = None;
            o.checks = want;
            owned = o;
            &owned
        };
        let parsed = Parsed::Kubernetes(vec![hull_audit::k8s::Object {
            value: object.clone(),
            line: 1,
            end_line: 1,
        }]);
        let report = hull_audit::audit_parsed(&display, "", &parsed, opts);
        if let Some(n) = report
            .notes
            .iter()
            .find(|n| n.starts_with("policy evaluation failed"))
        {
            failure = Some(n.clone());
        }
        for f in &report.findings {
            let line = finding_line(f);
            if cfg.hull_enforce.is_some_and(|t| f.severity >= t) {
                deny.push(line);
            } else if cfg.hull_warn.is_some_and(|t| f.severity >= t) {
                warn.push(line);
            } else {
                audit.push(line);
            }
        }
    }

    let mut extra = json!({});
    let mut warnings: Vec<String> = label_problems;
    if let Some(fail) = &failure {
        match cfg.failure_policy {
            FailurePolicy::Fail if !cfg.dry_run => {
                extra["status"] = json!({
                    "code": 500, "reason": "InternalError",
                    "message": format!("hull could not evaluate {display} and fails closed (--failure-policy Fail): {fail}"),
                });
                return Ok(Outcome {
                    response: answer(false, extra),
                    namespace_labels: None,
                });
            }
            _ => warnings.push(format!(
                "hull could not fully evaluate {display} (failing open): {fail}"
            )),
        }
    }
    let denied = !deny.is_empty();
    if denied && cfg.dry_run {
        warnings.extend(deny.iter().map(|d| format!("[dry-run] would deny: {d}")));
    }
    warnings.extend(warn.iter().cloned());
    if !warnings.is_empty() {
        extra["warnings"] = json!(cap_warnings(warnings));
    }
    if !audit.is_empty() {
        extra["auditAnnotations"] = json!({"audit-violations": audit.join("; ")});
    }
    if denied && !cfg.dry_run {
        extra["status"] = json!({
            "code": 403,
            "reason": "Forbidden",
            "message": format!("hull denied {display} in namespace {namespace}: {}", deny.join("; ")),
        });
    }
    Ok(Outcome {
        response: answer(!denied || cfg.dry_run, extra),
        namespace_labels: None,
    })
}

fn finding_line(f: &Finding) -> String {
    let at = f
        .container
        .as_deref()
        .map(|c| format!(" [{c}]"))
        .unwrap_or_default();
    format!("{}{at}: {} — fix: {}", f.id, f.message, f.remediation)
}

fn cap_warnings(mut w: Vec<String>) -> Vec<String> {
    for s in &mut w {
        if s.len() > MAX_WARNING {
            let mut cut = MAX_WARNING - 1;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
            s.push('…');
        }
    }
    if w.len() > MAX_WARNINGS {
        let more = w.len() - (MAX_WARNINGS - 1);
        w.truncate(MAX_WARNINGS - 1);
        w.push(format!("… and {more} more"));
    }
    w
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The three levels for a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Levels {
    pub enforce: Profile,
    pub warn: Profile,
    pub audit: Profile,
}

/// The configured levels, overridden by the namespace's PSA labels; unusable label
/// values keep the configured level and are reported.
pub fn levels_from_labels(
    cfg: &Config,
    labels: &BTreeMap<String, String>,
) -> (Levels, Vec<String>) {
    let mut problems = vec![];
    let mut pick = |mode: &str, default: Profile| -> Profile {
        let key = format!("pod-security.kubernetes.io/{mode}");
        let level = match labels.get(&key) {
            None => default.level,
            Some(v) => v.parse::<Level>().unwrap_or_else(|e| {
                problems.push(format!(
                    "namespace label {key}: {e}; using {}",
                    default.level.as_str()
                ));
                default.level
            }),
        };
        let vkey = format!("{key}-version");
        let version = match labels.get(&vkey) {
            None => default.version,
            Some(v) => v.parse::<Version>().unwrap_or_else(|e| {
                problems.push(format!(
                    "namespace label {vkey}: {e}; using {}",
                    default.version
                ));
                default.version
            }),
        };
        Profile::new(level, version)
    };
    let levels = Levels {
        enforce: pick("enforce", cfg.enforce),
        warn: pick("warn", cfg.warn),
        audit: pick("audit", cfg.audit),
    };
    (levels, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(object: Value) -> Vec<u8> {
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "", "version": "v1", "kind": object["kind"]},
            "operation": "CREATE", "namespace": "shop", "userInfo": {"username": "alice"},
            "object": object}})
        .to_string()
        .into_bytes()
    }

    fn pod(sc: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "securityContext": sc}]}})
    }

    fn run(body: &[u8], cfg: &Config) -> Value {
        review(body, cfg, &|_| None).unwrap().response
    }

    #[test]
    fn bad_requests_are_named() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "not JSON"),
            (b"[1]", "not an AdmissionReview"),
            (br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1beta1","request":{}}"#, "v1beta1 is not supported"),
            (br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"}"#, "no request"),
            (br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"operation":"CREATE"}}"#, "no uid"),
            (br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"1","operation":"CREATE"}}"#, "no object"),
        ];
        for (body, want) in cases {
            let e = review(body, &Config::default(), &|_| None).unwrap_err();
            assert!(e.0.contains(want), "{e}");
        }
    }

    #[test]
    fn levels_deny_warn_and_audit() {
        let cfg = Config::default();
        // Baseline-clean but not restricted: allowed with warnings and audit notes.
        let r = run(&req(pod(json!({}))), &cfg);
        assert_eq!(r["response"]["allowed"], true);
        assert_eq!(r["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
        let w = r["response"]["warnings"].as_array().unwrap();
        assert!(w.iter().any(|w| w
            .as_str()
            .unwrap()
            .starts_with("pss:allow-privilege-escalation (restricted@latest)")));
        assert!(r["response"]["auditAnnotations"]["audit-violations"]
            .as_str()
            .unwrap()
            .contains("pss:run-as-non-root"));
        // Privileged: denied with ids and fixes.
        let r = run(&req(pod(json!({"privileged": true}))), &cfg);
        assert_eq!(r["response"]["allowed"], false);
        assert_eq!(r["response"]["status"]["code"], 403);
        let m = r["response"]["status"]["message"].as_str().unwrap();
        assert!(
            m.contains("pss:privileged (baseline@latest)")
                && m.contains("fix: Remove `privileged: true`"),
            "{m}"
        );
        // Dry run: never denies, says what it would have.
        let dry = Config {
            dry_run: true,
            ..Config::default()
        };
        let r = run(&req(pod(json!({"privileged": true}))), &dry);
        assert_eq!(r["response"]["allowed"], true);
        assert!(r["response"]["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("[dry-run] would deny: pss:privileged"));
        // hull's own checks can deny by severity.
        let strict = Config {
            hull_enforce: Some(Severity::Critical),
            checks: CheckSet::Hull,
            ..Config::default()
        };
        let r = run(&req(pod(json!({"privileged": true}))), &strict);
        assert!(r["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .contains("k8s:privileged"));
    }

    #[test]
    fn controllers_exemptions_and_namespace_labels() {
        let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"hostPID": true, "containers": [{"name": "a", "image": "x:1"}]}}}});
        let cfg = Config::default();
        assert_eq!(
            run(&req(deploy.clone()), &cfg)["response"]["allowed"],
            false
        );
        let exempt = Config {
            exempt_namespaces: vec!["shop".into()],
            ..Config::default()
        };
        assert_eq!(
            run(&req(deploy.clone()), &exempt)["response"]["allowed"],
            true
        );
        let user = Config {
            exempt_users: vec!["alice".into()],
            ..Config::default()
        };
        assert_eq!(
            run(&req(deploy.clone()), &user)["response"]["allowed"],
            true
        );
        // The namespace relaxes enforce to privileged; restricted warnings remain.
        let labels = |ns: &str| {
            (ns == "shop").then(|| {
                BTreeMap::from([(
                    "pod-security.kubernetes.io/enforce".to_string(),
                    "privileged".to_string(),
                )])
            })
        };
        let r = review(&req(deploy.clone()), &cfg, &labels)
            .unwrap()
            .response;
        assert_eq!(r["response"]["allowed"], true);
        assert!(r["response"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("pss:host-namespaces")));
        // A Namespace review hands its labels back and flags unusable values.
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop",
            "labels": {"pod-security.kubernetes.io/enforce": "strict"}}});
        let out = review(&req(ns), &cfg, &|_| None).unwrap();
        assert_eq!(out.namespace_labels.as_ref().unwrap().0, "shop");
        assert!(out.response["response"]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("unknown Pod Security level"));
    }

    #[test]
    fn unchanged_updates_deletes_and_subresources_pass() {
        let bad = pod(json!({"privileged": true}));
        let mut body: Value = serde_json::from_slice(&req(bad.clone())).unwrap();
        body["request"]["operation"] = json!("UPDATE");
        let mut relabelled = bad.clone();
        relabelled["metadata"]["labels"] = json!({"x": "y"});
        body["request"]["object"] = relabelled;
        body["request"]["oldObject"] = bad.clone();
        assert_eq!(
            run(body.to_string().as_bytes(), &Config::default())["response"]["allowed"],
            true
        );
        body["request"]["operation"] = json!("DELETE");
        assert_eq!(
            run(body.to_string().as_bytes(), &Config::default())["response"]["allowed"],
            true
        );
        body["request"]["operation"] = json!("CREATE");
        body["request"]["subResource"] = json!("status");
        assert_eq!(
            run(body.to_string().as_bytes(), &Config::default())["response"]["allowed"],
            true
        );
    }

    #[test]
    fn warnings_are_capped() {
        let w = cap_warnings((0..30).map(|i| format!("{i}{}", "é".repeat(400))).collect());
        assert_eq!(w.len(), MAX_WARNINGS);
        assert!(w.iter().all(|s| s.len() <= MAX_WARNING + 3));
        assert_eq!(w.last().unwrap(), "… and 11 more");
    }
}
