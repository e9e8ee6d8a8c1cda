//! Custom Rego policies: results beside built-in checks, syntax errors with
//! file:line, runaway policies stopped by the timeout.

use std::time::{Duration, Instant};

use hull_audit::policy::{PolicyError, PolicySet};
use hull_audit::{audit_text, Options};
use hull_model::Severity;

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {team: shop}}\nspec:\n  containers:\n  - name: app\n    image: registry.example/app:1.0\n  - name: side\n    image: docker.io/library/busybox:1.36\n";

const TRUSTED_REGISTRY: &str = r#"package hull.custom.registry

import rego.v1

metadata := {"id": "acme:trusted-registry", "severity": "high", "title": "Image from an untrusted registry"}

deny contains msg if {
	input.kind == "kubernetes"
	some w in input.workloads
	some c in w.containers
	not startswith(c.image, "registry.example/")
	msg := sprintf("container %s uses %s", [c.name, c.image])
}
"#;

const OWNER_LABEL: &str = r#"package hull.custom.owner

import rego.v1

deny contains {"id": "acme:owner-label", "severity": "low", "msg": sprintf("%s has no owner label", [obj.metadata.name])} if {
	some obj in input.document
	not obj.metadata.labels.owner
}
"#;

fn set(sources: &[(&str, &str)], timeout: Duration) -> Result<PolicySet, PolicyError> {
    PolicySet::from_sources(
        sources
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect(),
        timeout,
    )
}

#[test]
fn custom_policies_report_beside_builtin_checks() {
    let ps = set(
        &[
            ("registry.rego", TRUSTED_REGISTRY),
            ("owner.rego", OWNER_LABEL),
        ],
        Duration::from_secs(5),
    )
    .unwrap();
    let opts = Options {
        policies: Some(ps),
        ..Options::default()
    };
    let r = audit_text("pod.yaml", POD, &opts);
    assert!(r.error.is_none());
    let reg: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.id == "acme:trusted-registry")
        .collect();
    assert_eq!(reg.len(), 1, "{:?}", r.findings);
    assert_eq!(reg[0].severity, Severity::High);
    assert_eq!(
        reg[0].message,
        "container side uses docker.io/library/busybox:1.36"
    );
    assert_eq!(reg[0].title, "Image from an untrusted registry");
    assert_eq!(reg[0].source, "policy:registry.rego");
    let own: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.id == "acme:owner-label")
        .collect();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].severity, Severity::Low);
    assert!(
        r.findings.iter().any(|f| f.id == "k8s:run-as-non-root"),
        "built-ins still run"
    );
}

#[test]
fn policy_directory_loads_and_syntax_errors_name_file_and_line() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("a.rego"), TRUSTED_REGISTRY).unwrap();
    assert_eq!(
        PolicySet::load(t.path(), Duration::from_secs(1))
            .unwrap()
            .len(),
        1
    );
    let bad = "package broken\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := \n}\n";
    std::fs::write(t.path().join("b.rego"), bad).unwrap();
    let err = PolicySet::load(t.path(), Duration::from_secs(1))
        .err()
        .expect("syntax error");
    let text = err.to_string();
    assert!(matches!(err, PolicyError::Syntax { .. }), "{text}");
    let path = t.path().join("b.rego").display().to_string();
    assert!(
        text.starts_with(&format!("{path}:7:")) || text.starts_with(&format!("{path}:6:")),
        "{text}"
    );
}

#[test]
fn runaway_policy_is_stopped() {
    let slow = r#"package slow

import rego.v1

deny contains msg if {
	n := count([1 | some i in numbers.range(1, 3000); some j in numbers.range(1, 3000); some k in numbers.range(1, 3000)])
	msg := sprintf("%d", [n])
}
"#;
    let ps = set(&[("slow.rego", slow)], Duration::from_millis(300)).unwrap();
    let opts = Options {
        policies: Some(ps),
        ..Options::default()
    };
    let t = Instant::now();
    let r = audit_text("pod.yaml", POD, &opts);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    assert!(
        r.notes.iter().any(|n| n.contains("timeout")),
        "{:?}",
        r.notes
    );
    assert!(
        r.findings.iter().any(|f| f.id == "k8s:run-as-non-root"),
        "built-ins still reported"
    );
}
