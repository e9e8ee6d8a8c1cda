use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use hull_image::{EntryKind, Image, Tree};
use hull_model::ImagePath;
use sha2::{Digest as _, Sha256};

/// The shared corpus, or `None` after a loud skip (a failure under HULL_REQUIRE_CORPUS=1).
pub fn corpus() -> Option<PathBuf> {
    hull_testkit::corpus_with("images")
}

/// True when `name` is on PATH; otherwise a loud skip (a failure when the corpus is required).
pub fn tool(name: &str) -> bool {
    hull_testkit::tool(name, ".ci/apt/hull-image.txt")
}

pub fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What a walk saw: the final tree, the sha256 of every streamed file per (layer, path),
/// and the number of entries per layer.
pub struct Walked {
    pub tree: Tree,
    pub hashes: HashMap<(usize, ImagePath), String>,
    /// Entries per layer, whiteout markers excluded.
    pub per_layer: BTreeMap<usize, usize>,
    /// Whiteout and opaque markers per layer: (layer, "/path" or "/dir (opaque)").
    pub markers: Vec<(usize, String)>,
}

pub fn walk(image: &Image) -> Walked {
    let hashes = Mutex::new(HashMap::new());
    let per_layer = Mutex::new(BTreeMap::new());
    let markers = Mutex::new(Vec::new());
    let tree = image
        .walk(&|e, r| {
            match e.kind {
                EntryKind::Whiteout => markers.lock().unwrap().push((e.layer, e.path.to_string())),
                EntryKind::OpaqueDir => markers
                    .lock()
                    .unwrap()
                    .push((e.layer, format!("{} (opaque)", e.path))),
                _ => *per_layer.lock().unwrap().entry(e.layer).or_insert(0) += 1,
            }
            if e.kind == EntryKind::File {
                let mut h = Sha256::new();
                let mut buf = vec![0u8; 64 << 10];
                loop {
                    let n = r.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                }
                let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
                hashes
                    .lock()
                    .unwrap()
                    .insert((e.layer, e.path.clone()), hex);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("walk {}: {e}", image.info.target));
    Walked {
        tree,
        hashes: hashes.into_inner().unwrap(),
        per_layer: per_layer.into_inner().unwrap(),
        markers: {
            let mut m = markers.into_inner().unwrap();
            m.sort();
            m
        },
    }
}

impl Walked {
    /// Content digest of the final version of a file.
    pub fn content(&self, p: &str) -> Option<&str> {
        let p = ImagePath::new(p).unwrap();
        let node = self.tree.get(&p)?;
        self.hashes.get(&(node.layer, p)).map(String::as_str)
    }

    /// Everything about the final view except layer attribution, for comparing
    /// target forms (a `dir:` has one layer).
    pub fn fingerprint(&self, with_layers: bool) -> BTreeMap<String, String> {
        self.tree
            .iter()
            .map(|(path, n)| {
                let p = path;
                // A hard link is the same file as its target (a `dir:` shows no difference).
                let (p, n) = match &n.kind {
                    EntryKind::Hardlink(t) => match self.tree.get(t) {
                        Some(tn) => (t, tn),
                        None => (p, n),
                    },
                    _ => (p, n),
                };
                let content = match &n.kind {
                    EntryKind::File => self
                        .hashes
                        .get(&(n.layer, p.clone()))
                        .cloned()
                        .unwrap_or_default(),
                    EntryKind::Symlink(t) => t.clone(),
                    EntryKind::Hardlink(t) => t.to_string(),
                    _ => String::new(),
                };
                let kind = match n.kind {
                    EntryKind::File | EntryKind::Hardlink(_) => "f",
                    EntryKind::Dir => "d",
                    EntryKind::Symlink(_) => "l",
                    _ => "o",
                };
                let layer = if with_layers {
                    n.layer.to_string()
                } else {
                    String::new()
                };
                (
                    path.to_string(),
                    format!(
                        "{kind} {:o} {}:{} {} {content} {layer}",
                        n.mode, n.uid, n.gid, n.size
                    ),
                )
            })
            .collect()
    }
}

pub fn json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap()
}

/// A real `docker-registry` (Debian package) on a free loopback port, with temp storage;
/// killed on drop.
pub struct Registry {
    child: std::process::Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// `None` after a loud skip when the tools are missing. With `user`, the registry
    /// requires basic auth (htpasswd, bcrypt).
    pub fn start(user: Option<(&str, &str)>) -> Option<Registry> {
        if !tool("docker-registry") || (user.is_some() && !tool("htpasswd")) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut auth = String::new();
        if let Some((u, p)) = user {
            let out = Command::new("htpasswd")
                .args(["-Bbn", u, p])
                .output()
                .unwrap();
            assert!(out.status.success());
            std::fs::write(dir.path().join("htpasswd"), out.stdout).unwrap();
            auth = format!(
                "auth:\n  htpasswd:\n    realm: hull-test\n    path: {}\n",
                dir.path().join("htpasswd").display()
            );
        }
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}",
            dir.path().join("data").display()
        );
        let cfg = dir.path().join("config.yml");
        std::fs::write(&cfg, config).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&cfg)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let reg = Registry {
            child,
            port,
            _dir: dir,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(reg);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("docker-registry did not start on port {port}");
    }

    /// Push an OCI archive with skopeo; returns `127.0.0.1:PORT/repo:tag`.
    pub fn push(&self, archive: &Path, repo_tag: &str, creds: Option<&str>) -> String {
        self.push_with(archive, repo_tag, creds, &[])
    }

    /// `push` with extra `skopeo copy` flags (`--format v2s2` for Docker media types).
    pub fn push_with(
        &self,
        archive: &Path,
        repo_tag: &str,
        creds: Option<&str>,
        extra: &[&str],
    ) -> String {
        let dest = format!("127.0.0.1:{}/{repo_tag}", self.port);
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "-q", "--dest-tls-verify=false"]);
        cmd.args(extra);
        if let Some(c) = creds {
            cmd.args(["--dest-creds", c]);
        }
        cmd.arg(format!("oci-archive:{}", archive.display()))
            .arg(format!("docker://{dest}"));
        run(&mut cmd);
        dest
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
