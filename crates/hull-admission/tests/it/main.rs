//! hull-admission integration tests: the webhook served over HTTPS with a test CA
//! (rcgen), real AdmissionReview requests through a verifying client, the attacks
//! (oversized, slow, malformed), the failure policy, and a latency benchmark.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hull_admission::review::Config;
use hull_admission::{AppState, ServeOptions};
use hull_http::TlsFiles;
use serde_json::{json, Value};

mod bench;
mod deploy;
mod failure;
mod fuzz_seeds;
mod https;

/// The webhook on 127.0.0.1:0 with its own runtime, stopped on drop.
pub struct Running {
    pub addr: SocketAddr,
    pub ca_pem: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

/// A CA and a leaf for 127.0.0.1 signed by it, written to `dir`; the CA's PEM.
fn issue(dir: &Path) -> String {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "hull test CA");
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    std::fs::write(dir.join("cert.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    ca.pem()
}

impl Running {
    pub fn start(config: Config, tweak: impl FnOnce(&mut ServeOptions)) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let ca_pem = issue(dir.path());
        let mut opts = ServeOptions::new(
            "127.0.0.1:0".parse().unwrap(),
            TlsFiles {
                cert: dir.path().join("cert.pem"),
                key: dir.path().join("key.pem"),
            },
        );
        tweak(&mut opts);
        let state = Arc::new(AppState::new(config, HashMap::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                hull_admission::serve(opts, state, |a| addr_tx.send(a).unwrap(), async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        Running {
            addr,
            ca_pem,
            stop: Some(stop),
            thread: Some(thread),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// The client side of TLS, trusting only the test CA.
    pub fn client_config(&self) -> Arc<rustls::ClientConfig> {
        use rustls_pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pki_types::CertificateDer::pem_slice_iter(self.ca_pem.as_bytes()) {
            roots.add(c.unwrap()).unwrap();
        }
        Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
        )
    }

    pub fn agent(&self) -> ureq::Agent {
        ureq::AgentBuilder::new()
            .tls_config(self.client_config())
            .timeout(Duration::from_secs(10))
            .build()
    }

    /// POSTs `body` to /validate: (status, JSON body).
    pub fn post(&self, agent: &ureq::Agent, content_type: &str, body: &[u8]) -> (u16, Value) {
        self.try_post(agent, content_type, body)
            .unwrap_or_else(|e| panic!("transport error: {e}"))
    }

    /// [`Running::post`] that returns a transport error instead of panicking.
    pub fn try_post(
        &self,
        agent: &ureq::Agent,
        content_type: &str,
        body: &[u8],
    ) -> Result<(u16, Value), String> {
        let r = agent
            .post(&self.url("/validate"))
            .set("Content-Type", content_type)
            .send_bytes(body);
        let resp = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(e.to_string()),
        };
        let status = resp.status();
        let text = resp.into_string().map_err(|e| e.to_string())?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub const UID: &str = "b1a7e2f0-4c6d-4a55-9e7b-3f1d2c0a9e11";

/// An AdmissionReview v1 request for `object` in `namespace`.
pub fn request(object: &Value, namespace: &str) -> Vec<u8> {
    let kind = object["kind"].as_str().unwrap_or("");
    let (group, version) = match object["apiVersion"]
        .as_str()
        .unwrap_or("v1")
        .split_once('/')
    {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (
            String::new(),
            object["apiVersion"].as_str().unwrap_or("v1").to_string(),
        ),
    };
    let resource = format!("{}s", kind.to_ascii_lowercase());
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": UID,
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": object["metadata"]["name"], "namespace": namespace, "operation": "CREATE",
        "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
        "object": object, "oldObject": null, "dryRun": false,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}}})
    .to_string()
    .into_bytes()
}

/// A typical Deployment: one hardened app container and a sidecar, as `kubectl apply`
/// sends it.
pub fn deployment(privileged: bool) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "shop-web", "namespace": "shop", "labels": {"app": "shop-web"},
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "shop-web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"labels": {"app": "shop-web"}}, "spec": {
                "automountServiceAccountToken": false,
                "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "runAsGroup": 10001,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [
                    {"name": "web", "image": "registry.example/shop/web:4.2.1",
                     "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                     "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                     "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                     "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                         "privileged": privileged, "capabilities": {"drop": ["ALL"]}},
                     "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]},
                    {"name": "log-shipper", "image": "registry.example/infra/shipper:1.9.0",
                     "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
                     "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}
                ],
                "volumes": [{"name": "tmp", "emptyDir": {}}]}}}})
}

/// The `admission.k8s.io/v1` AdmissionReview response shape, checked strictly.
pub fn assert_v1_response(v: &Value) {
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1", "{v}");
    assert_eq!(v["kind"], "AdmissionReview", "{v}");
    let r = v["response"].as_object().expect("response object");
    for k in r.keys() {
        assert!(
            [
                "uid",
                "allowed",
                "status",
                "patch",
                "patchType",
                "auditAnnotations",
                "warnings"
            ]
            .contains(&k.as_str()),
            "unknown response field {k}"
        );
    }
    assert_eq!(r["uid"], UID);
    assert!(r["allowed"].is_boolean());
    if let Some(s) = r.get("status") {
        let s = s.as_object().expect("status object");
        assert!(s["code"].is_u64() && s["message"].is_string());
        for k in s.keys() {
            assert!(
                ["code", "message", "reason", "status", "metadata", "details"]
                    .contains(&k.as_str()),
                "status.{k}"
            );
        }
    }
    if let Some(w) = r.get("warnings") {
        assert!(w.as_array().unwrap().iter().all(Value::is_string));
    }
    if let Some(a) = r.get("auditAnnotations") {
        assert!(a.as_object().unwrap().values().all(Value::is_string));
    }
    if r["allowed"] == false {
        assert!(r.contains_key("status"), "a denial says why");
    }
}
