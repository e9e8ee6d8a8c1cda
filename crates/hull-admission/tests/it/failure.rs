//! `--failure-policy`: a policy that cannot be evaluated fails closed (Fail) or open
//! (Ignore), decided by the pure review function.

use std::time::Duration;

use hull_admission::review::{review, Config, FailurePolicy};
use hull_audit::policy::PolicySet;
use hull_audit::Options;

use crate::{assert_v1_response, deployment, request};

const RUNAWAY: &str = r#"package slow

import rego.v1

deny contains msg if {
	n := count([1 | some i in numbers.range(1, 3000); some j in numbers.range(1, 3000); some k in numbers.range(1, 3000)])
	msg := sprintf("%d", [n])
}
"#;

fn config(policy: FailurePolicy) -> Config {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("slow.rego"), RUNAWAY).unwrap();
    let ps = PolicySet::load(dir.path(), Duration::from_millis(100)).unwrap();
    Config {
        failure_policy: policy,
        audit_options: Options {
            policies: Some(ps),
            ..Options::default()
        },
        ..Config::default()
    }
}

#[test]
fn failure_policy_fail_closes_and_ignore_opens() {
    let body = request(&deployment(false), "shop");
    let v = review(&body, &config(FailurePolicy::Fail), &|_| None)
        .unwrap()
        .response;
    assert_v1_response(&v);
    assert_eq!(v["response"]["allowed"], false);
    assert_eq!(v["response"]["status"]["code"], 500);
    assert!(v["response"]["status"]["message"]
        .as_str()
        .unwrap()
        .contains("fails closed"));
    let v = review(&body, &config(FailurePolicy::Ignore), &|_| None)
        .unwrap()
        .response;
    assert_v1_response(&v);
    assert_eq!(v["response"]["allowed"], true);
    assert!(v["response"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("failing open")));
}
