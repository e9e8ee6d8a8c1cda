//! TLS with a test CA (rcgen), a client that verifies it, and certificate reloads.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hull_http::{Limits, TlsFiles};

use crate::{config, router, Running};

/// A CA certificate (PEM) and a leaf for 127.0.0.1 it signed, written as cert/key files.
fn issue(dir: &Path, cn: &str) -> String {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, cn);
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    // Written whole then renamed, as renewal tools do.
    std::fs::write(dir.join("cert.tmp"), leaf.pem()).unwrap();
    std::fs::write(dir.join("key.tmp"), key.serialize_pem()).unwrap();
    std::fs::rename(dir.join("cert.tmp"), dir.join("cert.pem")).unwrap();
    std::fs::rename(dir.join("key.tmp"), dir.join("key.pem")).unwrap();
    ca.pem()
}

/// An agent trusting only `ca_pem`.
fn agent(ca_pem: &str) -> ureq::Agent {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    ureq::AgentBuilder::new()
        .tls_config(Arc::new(cfg))
        .timeout(Duration::from_secs(5))
        .build()
}

/// `Ok(status)` or the transport error's text (e.g. an untrusted certificate).
fn get(agent: &ureq::Agent, url: &str) -> Result<u16, String> {
    match agent.get(url).call() {
        Ok(r) => Ok(r.status()),
        Err(ureq::Error::Status(c, _)) => Ok(c),
        Err(e) => Err(e.to_string()),
    }
}

fn tls_server(dir: &Path) -> Running {
    let mut cfg = config(Limits::default());
    cfg.tls = Some(TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    });
    Running::start(router(), cfg)
}

#[test]
fn verified_tls_and_reload() {
    let dir = tempfile::tempdir().unwrap();
    let ca1 = issue(dir.path(), "hull test CA 1");
    let srv = tls_server(dir.path());
    let url = format!("https://{}/healthz", srv.addr);
    assert_eq!(get(&agent(&ca1), &url), Ok(200));
    // A client that trusts another CA refuses the server.
    let other = tempfile::tempdir().unwrap();
    let ca_other = issue(other.path(), "someone else");
    assert!(get(&agent(&ca_other), &url).is_err());
    // Plain HTTP on the TLS port gets no answer.
    assert!(ureq::get(&format!("http://{}/healthz", srv.addr))
        .timeout(Duration::from_secs(3))
        .call()
        .is_err());

    // Renewal: new files, reload; new connections see the new certificate.
    let ca2 = issue(dir.path(), "hull test CA 2");
    assert_eq!(get(&agent(&ca1), &url), Ok(200), "not reloaded yet");
    srv.tls.as_ref().unwrap().reload().unwrap();
    assert_eq!(get(&agent(&ca2), &url), Ok(200));
    assert!(get(&agent(&ca1), &url).is_err());

    // A broken file does not replace a working certificate.
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    assert!(srv.tls.as_ref().unwrap().reload().is_err());
    assert_eq!(get(&agent(&ca2), &url), Ok(200));
}

#[test]
fn sighup_reloads_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let _ca1 = issue(dir.path(), "hull test CA 1");
    // The SIGHUP handler is installed once the server is bound (Running::start waits).
    let srv = tls_server(dir.path());
    let url = format!("https://{}/healthz", srv.addr);
    let ca2 = issue(dir.path(), "hull test CA 2");
    // SAFETY: raising a signal this process handles (tokio's handler is installed).
    unsafe {
        libc::raise(libc::SIGHUP);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while get(&agent(&ca2), &url) != Ok(200) {
        assert!(Instant::now() < deadline, "SIGHUP did not reload");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn missing_or_bad_files_fail_at_bind() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles {
        cert: dir.path().join("none.pem"),
        key: dir.path().join("none.key"),
    };
    let e = hull_http::TlsReloader::load(&files).err().unwrap();
    assert!(e.to_string().contains("none.pem"), "{e}");
    issue(dir.path(), "ca");
    std::fs::write(dir.path().join("key.pem"), "-----BEGIN NOTHING-----\n").unwrap();
    let files = TlsFiles {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    assert!(hull_http::TlsReloader::load(&files).is_err());
}
