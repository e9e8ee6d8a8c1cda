//! The shipped manifests in deploy/: the webhook configuration asks for what the server
//! answers (v1 reviews, no side effects, /validate), and the webhook's own pod passes
//! the Pod Security Standards at restricted.

use std::path::PathBuf;

use hull_audit::{audit_file, CheckSet, Options};

fn deploy(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(name)
}

#[test]
fn webhook_configuration_matches_the_server() {
    let text = std::fs::read_to_string(deploy("validating-webhook.yaml")).unwrap();
    let hull_audit::Parsed::Kubernetes(objs) = hull_audit::parse("w.yaml", &text).unwrap() else {
        panic!("not Kubernetes");
    };
    let cfg = &objs[0].value;
    assert_eq!(cfg["kind"], "ValidatingWebhookConfiguration");
    let hooks = cfg["webhooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 2);
    for h in hooks {
        assert_eq!(h["admissionReviewVersions"], serde_json::json!(["v1"]));
        assert_eq!(h["sideEffects"], "None");
        assert_eq!(h["clientConfig"]["service"]["path"], "/validate");
    }
    let resources: Vec<&str> = hooks[0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["resources"].as_array().unwrap())
        .filter_map(|r| r.as_str())
        .collect();
    for r in [
        "pods",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "replicationcontrollers",
        "podtemplates",
    ] {
        assert!(resources.contains(&r), "{r} not covered");
    }
}

#[test]
fn webhook_pod_is_restricted() {
    let opts = Options {
        pss: Some("restricted@latest".parse().unwrap()),
        checks: CheckSet::Pss,
        ..Options::default()
    };
    let r = audit_file(&deploy("hull-admission.yaml"), &opts);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.workloads.len(), 1);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}
