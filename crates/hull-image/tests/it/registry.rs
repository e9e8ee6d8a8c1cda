//! Registry pulls: a real `docker-registry` with htpasswd auth and credentials from a
//! docker config, and the bearer-token flow against a small in-test registry.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use hull_image::{open, OpenOptions};

use crate::common::{corpus, tool, walk, Registry};
use crate::hostile::{layout, tar_of, Item, Layer};

fn opts_with_config(dir: &Path, config: &serde_json::Value) -> OpenOptions {
    let p = dir.join("config.json");
    std::fs::write(&p, serde_json::to_vec(config).unwrap()).unwrap();
    OpenOptions {
        insecure: true,
        docker_config: Some(p),
        ..Default::default()
    }
}

#[test]
fn basic_auth_with_docker_config_credentials() {
    let Some(c) = corpus() else { return };
    if !tool("skopeo") {
        return;
    }
    let Some(reg) = Registry::start(Some(("hull", "s3cret"))) else {
        return;
    };
    let src = c.join("images/secrets.oci.tar");
    let r = reg.push(&src, "hull/secrets:1.0", Some("hull:s3cret"));
    let tmp = tempfile::tempdir().unwrap();
    let host = format!("127.0.0.1:{}", reg.port);

    // No credentials: a clear error naming the registry.
    let anon = opts_with_config(tmp.path(), &serde_json::json!({}));
    let msg = open(&format!("registry:{r}"), &anon)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with(&format!("registry {host}: authentication required")),
        "{msg}"
    );

    // Wrong password.
    let bad = base64::engine::general_purpose::STANDARD.encode("hull:wrong");
    let wrong = opts_with_config(
        tmp.path(),
        &serde_json::json!({"auths": {&host: {"auth": bad}}}),
    );
    let msg = open(&format!("registry:{r}"), &wrong)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("HTTP 401") && msg.contains("as user `hull`"),
        "{msg}"
    );

    // `auths` with base64 `auth`, keyed by a URL as `docker login` writes it.
    let good = base64::engine::general_purpose::STANDARD.encode("hull:s3cret");
    let ok = opts_with_config(
        tmp.path(),
        &serde_json::json!({"auths": {format!("http://{host}/v2/"): {"auth": good}}}),
    );
    let pulled = walk(&open(&format!("registry:{r}"), &ok).unwrap());
    let local = walk(
        &open(
            &format!("oci-archive:{}", src.display()),
            &OpenOptions::default(),
        )
        .unwrap(),
    );
    assert_eq!(pulled.fingerprint(true), local.fingerprint(true));
    assert_eq!(pulled.tree.len(), 306);
}

/// A tiny registry serving one OCI layout, guarded by bearer tokens from its own
/// `/token` endpoint (which wants basic credentials when `user` is set).
struct FakeRegistry {
    port: u16,
    stop: Arc<AtomicBool>,
    pub token_requests: Arc<AtomicUsize>,
}

impl FakeRegistry {
    fn start(layout: PathBuf, user: Option<(&'static str, &'static str)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let token_requests = Arc::new(AtomicUsize::new(0));
        let (s, t) = (stop.clone(), token_requests.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let (layout, t) = (layout.clone(), t.clone());
                if let Ok(conn) = conn {
                    std::thread::spawn(move || serve(conn, &layout, port, user, &t));
                }
            }
        });
        FakeRegistry {
            port,
            stop,
            token_requests,
        }
    }
}

impl Drop for FakeRegistry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(
    conn: TcpStream,
    layout: &Path,
    port: u16,
    user: Option<(&str, &str)>,
    tokens: &AtomicUsize,
) {
    let mut r = BufReader::new(conn.try_clone().unwrap());
    let mut w = conn;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut auth = String::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("authorization") {
                    auth = v.trim().to_string();
                }
            }
        }
        let (status, ctype, body, extra) = route(&path, &auth, layout, port, user, tokens);
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra}\r\n",
            body.len()
        );
        if w.write_all(head.as_bytes())
            .and_then(|_| w.write_all(&body))
            .is_err()
        {
            return;
        }
    }
}

fn route(
    path: &str,
    auth: &str,
    layout: &Path,
    port: u16,
    user: Option<(&str, &str)>,
    tokens: &AtomicUsize,
) -> (&'static str, String, Vec<u8>, String) {
    let json = "application/json".to_string();
    if let Some(q) = path.strip_prefix("/token?") {
        tokens.fetch_add(1, Ordering::Relaxed);
        if let Some((u, p)) = user {
            let want = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            );
            if auth != want {
                return ("401 Unauthorized", json, b"{}".to_vec(), String::new());
            }
        }
        assert!(q.contains("scope=repository%3Ahull%2Ffake%3Apull"), "{q}");
        assert!(q.contains("service=fake"), "{q}");
        return (
            "200 OK",
            json,
            br#"{"token":"t0ken"}"#.to_vec(),
            String::new(),
        );
    }
    if auth != "Bearer t0ken" {
        let chal = format!(
            "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"fake\",scope=\"repository:hull/fake:pull\"\r\n"
        );
        return ("401 Unauthorized", json, br#"{"errors":[]}"#.to_vec(), chal);
    }
    let blob = |d: &str| {
        std::fs::read(
            layout
                .join("blobs/sha256")
                .join(d.trim_start_matches("sha256:")),
        )
        .ok()
    };
    if let Some(reference) = path.strip_prefix("/v2/hull/fake/manifests/") {
        let index = crate::common::json(&layout.join("index.json"));
        let d = if reference.starts_with("sha256:") {
            reference.to_string()
        } else {
            index["manifests"][0]["digest"]
                .as_str()
                .unwrap()
                .to_string()
        };
        if let Some(b) = blob(&d) {
            return (
                "200 OK",
                "application/vnd.oci.image.manifest.v1+json".into(),
                b,
                String::new(),
            );
        }
    }
    if let Some(d) = path.strip_prefix("/v2/hull/fake/blobs/") {
        if let Some(b) = blob(d) {
            return (
                "200 OK",
                "application/octet-stream".into(),
                b,
                String::new(),
            );
        }
    }
    (
        "404 Not Found",
        json,
        br#"{"errors":[{"code":"BLOB_UNKNOWN"}]}"#.to_vec(),
        String::new(),
    )
}

#[test]
fn bearer_token_flow() {
    let tmp = tempfile::tempdir().unwrap();
    let l1 = tar_of(&[Item::Dir("etc"), Item::File("etc/os-release", b"ID=fake\n")]);
    let l2 = tar_of(&[
        Item::File("etc/.wh.os-release", b""),
        Item::File("app", b"x"),
    ]);
    let root = layout(tmp.path(), &[Layer::gz(&l1), Layer::gz(&l2)]);
    let opts = OpenOptions {
        insecure: true,
        docker_config: Some(tmp.path().join("none.json")),
        ..Default::default()
    };
    // Anonymous token (no credentials configured): a missing explicit config is an error.
    assert!(open("registry:localhost:1/x", &opts)
        .unwrap_err()
        .to_string()
        .contains("none.json"));
    let reg = FakeRegistry::start(root.clone(), None);
    let anon = opts_with_config(tmp.path(), &serde_json::json!({}));
    let image = open(
        &format!("registry:127.0.0.1:{}/hull/fake:test", reg.port),
        &anon,
    )
    .unwrap();
    let tree = image
        .walk(&|_, r| {
            let mut s = Vec::new();
            r.read_to_end(&mut s)?;
            Ok(())
        })
        .unwrap();
    let names: Vec<String> = tree.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(names, ["/app", "/etc"]);
    // One token, reused for the manifest, the config and both layers.
    assert_eq!(reg.token_requests.load(Ordering::Relaxed), 1);
    // A missing blob on the registry is named.
    let d = format!("sha256:{}", "c".repeat(64));
    let msg = open(&format!("127.0.0.1:{}/hull/fake@{d}", reg.port), &anon)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("not found"), "{msg}");

    // A token endpoint that wants credentials gets them from the docker config.
    let reg = FakeRegistry::start(root, Some(("u", "p")));
    let target = format!("registry:127.0.0.1:{}/hull/fake:test", reg.port);
    let msg = open(&target, &anon).unwrap_err().to_string();
    assert!(
        msg.contains("token endpoint") && msg.contains("HTTP 401"),
        "{msg}"
    );
    let creds = opts_with_config(
        tmp.path(),
        &serde_json::json!({"auths": {format!("127.0.0.1:{}", reg.port): {"username": "u", "password": "p"}}}),
    );
    let image = open(&target, &creds).unwrap();
    assert_eq!(image.info.layers.len(), 2);
    assert_eq!(image.walk(&|_, _| Ok(())).unwrap().len(), 2);
}
