//! Allowed, denied, warned, exempt; malformed, oversized, wrong type, slow client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hull_admission::review::Config;
use serde_json::json;

use crate::{assert_v1_response, deployment, request, Running};

fn config() -> Config {
    Config {
        exempt_namespaces: vec!["kube-system".into()],
        ..Config::default()
    }
}

#[test]
fn reviews_over_https() {
    let w = Running::start(config(), |_| {});
    let agent = w.agent();
    // Allowed: a restricted-clean Deployment, no warnings at restricted.
    let (status, v) = w.post(
        &agent,
        "application/json",
        &request(&deployment(false), "shop"),
    );
    assert_eq!(status, 200);
    assert_v1_response(&v);
    assert_eq!(v["response"]["allowed"], true, "{v}");
    // Denied: a privileged container violates baseline (enforce).
    let (status, v) = w.post(
        &agent,
        "application/json",
        &request(&deployment(true), "shop"),
    );
    assert_eq!(status, 200);
    assert_v1_response(&v);
    assert_eq!(v["response"]["allowed"], false);
    assert_eq!(v["response"]["status"]["code"], 403);
    let msg = v["response"]["status"]["message"].as_str().unwrap();
    assert!(msg.contains("pss:privileged (baseline@latest)"), "{msg}");
    assert!(msg.contains("fix: "), "{msg}");
    // Warned: baseline-clean, not restricted (no seccomp, root allowed): allowed with
    // the restricted violations as warnings.
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tool"},
        "spec": {"containers": [{"name": "tool", "image": "registry.example/tool:1.0"}]}});
    let (_, v) = w.post(
        &agent,
        "application/json; charset=utf-8",
        &request(&pod, "shop"),
    );
    assert_v1_response(&v);
    assert_eq!(v["response"]["allowed"], true);
    let warnings: Vec<&str> = v["response"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    for id in [
        "pss:allow-privilege-escalation",
        "pss:run-as-non-root",
        "pss:seccomp-profile-restricted",
        "pss:capabilities-restricted",
    ] {
        assert!(
            warnings.iter().any(|x| x.starts_with(id)),
            "{id} not in {warnings:?}"
        );
    }
    assert!(v["response"]["auditAnnotations"]["audit-violations"].is_string());
    // Exempt namespace: the privileged Deployment passes untouched.
    let (_, v) = w.post(
        &agent,
        "application/json",
        &request(&deployment(true), "kube-system"),
    );
    assert_v1_response(&v);
    assert_eq!(v["response"]["allowed"], true);
    assert!(v["response"].get("warnings").is_none());
    // Per-namespace override learnt from a Namespace review.
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab",
        "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}});
    let (_, v) = w.post(&agent, "application/json", &request(&ns, ""));
    assert_eq!(v["response"]["allowed"], true);
    let (_, v) = w.post(
        &agent,
        "application/json",
        &request(&deployment(true), "lab"),
    );
    assert_eq!(
        v["response"]["allowed"], true,
        "lab enforces privileged: {v}"
    );
    assert!(v["response"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x
            .as_str()
            .unwrap()
            .starts_with("pss:privileged (restricted@latest)")));
}

#[test]
fn bad_requests_get_a_clear_400_and_the_server_stays_up() {
    let w = Running::start(config(), |o| o.limits.max_body = 64 * 1024);
    let agent = w.agent();
    // Malformed bodies.
    for (body, want) in [
        (&b"{not json"[..], "not JSON"),
        (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#, "no request"),
        (br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#, "not supported"),
    ] {
        let (status, v) = w.post(&agent, "application/json", body);
        assert_eq!(status, 400, "{v}");
        assert!(v["error"].as_str().unwrap().contains(want), "{v}");
    }
    // Wrong content type.
    let (status, v) = w.post(&agent, "text/plain", &request(&deployment(false), "shop"));
    assert_eq!(status, 400);
    assert!(v["error"]
        .as_str()
        .unwrap()
        .contains("Content-Type must be application/json"));
    // Oversized: refused from the declared length, before the body is read.
    // The server answers 413 and closes without reading the body, so a client still
    // writing it may see the connection end first (EPIPE/reset) instead of the answer.
    let big = vec![b' '; 200 * 1024];
    match w.try_post(&agent, "application/json", &big) {
        Ok((status, _)) => assert_eq!(status, 413),
        Err(e) => assert!(
            e.contains("Broken pipe") || e.contains("reset") || e.contains("Connection"),
            "oversized body: {e}"
        ),
    }
    // Still serving.
    let (status, v) = w.post(
        &agent,
        "application/json",
        &request(&deployment(false), "shop"),
    );
    assert_eq!(status, 200);
    assert_v1_response(&v);
}

#[test]
fn slow_client_is_cut_off_and_others_are_served() {
    let w = Running::start(config(), |o| {
        o.limits.header_timeout = Duration::from_millis(400)
    });
    let tcp = TcpStream::connect(w.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let conn =
        rustls::ClientConnection::new(w.client_config(), "127.0.0.1".try_into().unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // Headers dripped and never finished.
    tls.write_all(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    tls.flush().unwrap();
    let t = Instant::now();
    // Meanwhile a well-behaved client is answered.
    let agent = w.agent();
    let (status, _) = w.post(
        &agent,
        "application/json",
        &request(&deployment(false), "shop"),
    );
    assert_eq!(status, 200);
    let mut buf = Vec::new();
    let _ = tls.read_to_end(&mut buf);
    let waited = t.elapsed();
    assert!(
        waited < Duration::from_secs(4),
        "slow client held for {waited:?}"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

#[test]
fn plain_http_is_refused() {
    let w = Running::start(config(), |_| {});
    let r = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(5))
        .build()
        .post(&format!("http://{}/validate", w.addr))
        .set("Content-Type", "application/json")
        .send_bytes(&request(&deployment(false), "shop"));
    assert!(
        r.is_err() || r.unwrap().status() != 200,
        "plain HTTP must not be served"
    );
}
