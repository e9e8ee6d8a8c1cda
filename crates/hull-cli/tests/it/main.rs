//! `hull` binary tests: the built executable run as a user would, on the real corpus
//! image in every target form (archive, layout dir, docker-archive, gzip'd
//! docker-archive, unpacked rootfs, a real loopback registry), in every output format,
//! and on hostile images built here.

mod config;
mod content;
mod server;
mod vulndb;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest as _, Sha256};

fn hull(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hull"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run hull")
}

fn hull_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hull"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run hull")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn corpus() -> Option<PathBuf> {
    hull_testkit::corpus_with("images")
}

/// A tool the test needs (skopeo, umoci, docker-registry): missing → skip loudly, or fail
/// under HULL_REQUIRE_CORPUS=1 (CI installs them from .ci/apt/hull-cli.txt).
fn tool(name: &str) -> bool {
    hull_testkit::tool(name, ".ci/apt/hull-cli.txt")
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run `hull sbom` with `args`, expect success, parse stdout as JSON.
fn sbom_json(args: &[&str]) -> Value {
    let out = hull(args);
    assert!(out.status.success(), "hull {args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("hull {args:?}: {e}"))
}

/// The identity of every package in a hull JSON document, without target-specific data
/// (layer digests, image digests): purl + path.
fn package_set(doc: &Value) -> BTreeSet<String> {
    doc["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["purl"].as_str().unwrap(),
                p["path"].as_str().unwrap()
            )
        })
        .collect()
}

/// `"name version"` of a package entry, the name lowercased.
fn lower_name_version(p: &Value) -> String {
    format!(
        "{} {}",
        p["name"].as_str().unwrap().to_lowercase(),
        p["version"].as_str().unwrap()
    )
}

fn count_by_ecosystem(doc: &Value) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in doc["packages"].as_array().unwrap() {
        *m.entry(p["ecosystem"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    m
}

// ------------------------------------------------------------------ without the corpus

#[test]
fn help_teaches_every_target_form_and_format() {
    let out = hull(&["sbom", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "oci-archive:",
        "oci-dir:",
        "docker-archive:",
        "dir:",
        "registry:",
        "sbom:",
        "--insecure",
        "--platform",
        "--quiet",
        "cyclonedx",
        "spdx-json",
        "table",
        "-o app.cdx.json",
    ] {
        assert!(help.contains(needle), "help lacks {needle}:\n{help}");
    }
}

#[test]
fn errors_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.tar");
    for args in [
        vec![
            "sbom".to_string(),
            format!("oci-archive:{}", missing.display()),
        ],
        vec!["sbom".to_string(), format!("sbom:{}", missing.display())],
        vec![
            "sbom".to_string(),
            "--platform".into(),
            "not a platform/at/all/x".into(),
            format!("dir:{}", dir.path().display()),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = hull(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("hull: error: "), "{err}");
        assert!(out.stdout.is_empty());
    }
    let out = hull(&["sbom", "--format", "xml", "x"]);
    assert_eq!(out.status.code(), Some(2), "clap usage errors exit 2 too");
}

#[test]
fn converts_an_sbom_between_formats() {
    let dir = tempfile::tempdir().unwrap();
    let cdx = dir.path().join("in.cdx.json");
    std::fs::write(
        &cdx,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
          {"type":"library","name":"lodash","version":"4.17.4","purl":"pkg:npm/lodash@4.17.4",
           "properties":[{"name":"aquasecurity:trivy:FilePath","value":"app/node_modules/lodash/package.json"}]},
          {"type":"library","name":"curl","version":"7.88.1-10+deb12u5",
           "purl":"pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12.5"}]}"#,
    )
    .unwrap();
    let target = format!("sbom:{}", cdx.display());
    let json = sbom_json(&["sbom", "--format", "json", &target]);
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["distro"]["id"], "debian");
    assert_eq!(json["distro"]["version_id"], "12.5");
    let set = package_set(&json);
    assert!(set.contains("pkg:npm/lodash@4.17.4 /app/node_modules/lodash/package.json"));
    assert_eq!(set.len(), 2);

    // -o writes the same bytes stdout would (minus the clock), and only that file.
    let out_file = dir.path().join("out.spdx.json");
    let out = hull(&[
        "sbom",
        "-f",
        "spdx-json",
        "-o",
        out_file.to_str().unwrap(),
        &target,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let spdx: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    let names: BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["in.cdx.json".into(), "out.spdx.json".into()])
    );
}

// ------------------------------------------------------------------ app-debian

/// Every output format of app-debian parses and agrees with the ground truth.
#[test]
fn app_debian_in_every_format_matches_truth() {
    let Some(c) = corpus() else { return };
    let image = c.join("images/app-debian.oci.tar");
    let target = format!("oci-archive:{}", image.display());
    let truth: Value =
        serde_json::from_slice(&std::fs::read(c.join("truth/app-debian.json")).unwrap()).unwrap();

    let json = sbom_json(&["sbom", "--quiet", "--format", "json", &target]);
    let counts = count_by_ecosystem(&json);
    let pkgs = json["packages"].as_array().unwrap();

    // dpkg: every installed package, exactly, with name/version/source from truth.
    let want_deb: BTreeSet<(String, String)> = truth["dpkg"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let got_deb: BTreeSet<(String, String)> = pkgs
        .iter()
        .filter(|p| p["ecosystem"] == "deb")
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got_deb, want_deb, "dpkg packages");
    assert_eq!(counts["deb"], want_deb.len(), "no duplicate deb entries");

    // Python: the venv's dists; the dpkg-owned PyYAML is reported once, as python3-yaml.
    let want_py: BTreeSet<String> = truth["python"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["dpkg_owned"] == false)
        .map(lower_name_version)
        .collect();
    let got_py: BTreeSet<String> = pkgs
        .iter()
        .filter(|p| p["ecosystem"] == "pypi")
        .map(lower_name_version)
        .collect();
    assert_eq!(got_py, want_py, "python dists");

    // npm: every node_modules package.json (lockfile entries may add the same packages
    // recorded at the lockfile's path).
    let got_npm: BTreeSet<String> = pkgs
        .iter()
        .filter(|p| p["ecosystem"] == "npm")
        .map(|p| p["path"].as_str().unwrap().to_string())
        .collect();
    for p in truth["npm"].as_array().unwrap() {
        assert!(
            got_npm.contains(p["path"].as_str().unwrap()),
            "npm {}",
            p["path"]
        );
    }
    let has = |eco: &str, name: &str| {
        pkgs.iter()
            .any(|p| p["ecosystem"] == eco && p["name"] == name)
    };
    assert!(has("cargo", "regex"), "Cargo.lock / cargo-auditable");
    assert!(
        has("go", "github.com/dgrijalva/jwt-go"),
        "go binary / go.mod"
    );
    assert!(json["distro"]["id"] == "debian" && json["distro"]["version_id"] == "12");
    assert_eq!(
        json["image"]["layers"].as_array().unwrap().len() as u64,
        truth["summary"]["layers"].as_u64().unwrap()
    );
    assert_eq!(
        json["image"]["manifest_digest"],
        truth["oci"]["manifest_digest"]
    );

    // The other formats carry exactly the same packages.
    let total = pkgs.len();
    let cdx = sbom_json(&["sbom", "--quiet", &target]);
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    let libs: Vec<&Value> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        // root packages (a lockfile's project, a Go main module) are applications
        .filter(|c| c["type"] == "library" || c["type"] == "application")
        .collect();
    assert_eq!(libs.len(), total, "cyclonedx components");
    assert!(cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "operating-system"));
    let spdx = sbom_json(&["sbom", "--quiet", "--format", "spdx-json", &target]);
    let spdx_pkgs = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["primaryPackagePurpose"] == "LIBRARY" || p["primaryPackagePurpose"] == "APPLICATION"
        })
        .count();
    assert_eq!(spdx_pkgs, total, "spdx packages");
    let out = hull(&["sbom", "--quiet", "--format", "table", &target]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    let rows = table
        .lines()
        .skip_while(|l| !l.starts_with("NAME "))
        .skip(1)
        .filter(|l| !l.starts_with("warning:"))
        .count();
    assert_eq!(rows, total, "table rows");
    assert!(table.lines().all(|l| l.chars().count() <= 100));
    assert!(table.contains(&format!("deb {}", want_deb.len())));

    // Reading hull's own CycloneDX back gives the same package set.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.cdx.json");
    std::fs::write(&f, serde_json::to_vec(&cdx).unwrap()).unwrap();
    let back = sbom_json(&["sbom", "--format", "json", &format!("sbom:{}", f.display())]);
    assert_eq!(
        package_set(&back),
        package_set(&json),
        "cyclonedx round trip"
    );
}

/// A registry started for one test, stopped (and its storage removed) on drop.
struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_registry() -> Result<Registry, String> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cfg = dir.path().join("config.yml");
    std::fs::write(
        &cfg,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        ),
    )
    .map_err(|e| e.to_string())?;
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start docker-registry: {e}"))?;
    let reg = Registry {
        child,
        port,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!(
                "registry did not listen on 127.0.0.1:{port} within 20 s"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(reg)
}

/// Every local target form of app-debian yields the same packages (purl + path).
#[test]
fn every_local_target_form_gives_the_same_inventory() {
    let Some(c) = corpus() else { return };
    if !tool("skopeo") || !tool("umoci") {
        return;
    }
    let image = c.join("images/app-debian.oci.tar");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let reference = package_set(&sbom_json(&[
        "sbom",
        "--quiet",
        "--format",
        "json",
        &format!("oci-archive:{}", image.display()),
    ]));
    assert!(
        reference.len() > 200,
        "app-debian has {} packages",
        reference.len()
    );

    // oci-dir: the archive untarred.
    let layout = d.join("layout");
    std::fs::create_dir(&layout).unwrap();
    run(Command::new("tar")
        .arg("-xf")
        .arg(&image)
        .arg("-C")
        .arg(&layout));
    // docker-archive and a gzip'd copy of it.
    let docker = d.join("app.docker.tar");
    run(Command::new("skopeo")
        .args(["copy", "--quiet"])
        .arg(format!("oci-archive:{}", image.display()))
        .arg(format!("docker-archive:{}:app:1", docker.display())));
    let gz = d.join("app.docker.tar.gz");
    {
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        enc.write_all(&std::fs::read(&docker).unwrap()).unwrap();
        enc.finish().unwrap();
    }
    // dir: the merged root filesystem.
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let tag = index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
        .as_str()
        .expect("the corpus layout names its image")
        .to_string();
    let bundle = d.join("bundle");
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:{tag}", layout.display()))
        .arg(&bundle));

    let forms = vec![
        ("oci-dir", format!("oci-dir:{}", layout.display())),
        ("oci-dir sniffed", layout.display().to_string()),
        (
            "docker-archive",
            format!("docker-archive:{}", docker.display()),
        ),
        (
            "docker-archive gzip",
            format!("docker-archive:{}", gz.display()),
        ),
        ("dir", format!("dir:{}", bundle.join("rootfs").display())),
    ];

    assert_same_inventory(&reference, &forms);
}

/// Scan each `(name, target)` and compare its package set with `reference`; report every
/// disagreeing form at once, with what failed.
fn assert_same_inventory(reference: &BTreeSet<String>, forms: &[(&str, String)]) {
    let mut failures = Vec::new();
    for (name, target) in forms {
        let out = hull(&[
            "sbom",
            "--quiet",
            "--insecure",
            "--format",
            "json",
            target.as_str(),
        ]);
        if !out.status.success() {
            failures.push(format!(
                "{name} ({target}): exit {:?}: {}",
                out.status.code(),
                stderr(&out)
            ));
            continue;
        }
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let got = package_set(&doc);
        if &got != reference {
            let missing: Vec<_> = reference.difference(&got).take(5).collect();
            let extra: Vec<_> = got.difference(reference).take(5).collect();
            failures.push(format!(
                "{name}: {} packages vs {}; missing {missing:?}; extra {extra:?}",
                got.len(),
                reference.len()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "target forms disagree:\n{}",
        failures.join("\n")
    );
}

fn reference_packages(image: &Path) -> BTreeSet<String> {
    package_set(&sbom_json(&[
        "sbom",
        "--quiet",
        "--format",
        "json",
        &format!("oci-archive:{}", image.display()),
    ]))
}

/// `registry:` pulls from a real registry (Debian's `docker-registry`) on loopback, the
/// image pushed there by skopeo; the inventory must equal the archive's.
#[test]
fn registry_pull_gives_the_same_inventory() {
    let Some(c) = corpus() else { return };
    if !tool("skopeo") || !tool("docker-registry") {
        return;
    }
    let image = c.join("images/app-debian.oci.tar");
    let reference = reference_packages(&image);
    let registry = start_registry().unwrap_or_else(|e| panic!("registry test: {e}"));
    run(Command::new("skopeo")
        .args(["copy", "--quiet", "--dest-tls-verify=false"])
        .arg(format!("oci-archive:{}", image.display()))
        .arg(format!("docker://127.0.0.1:{}/app:1", registry.port)));
    assert_same_inventory(
        &reference,
        &[(
            "registry",
            format!("registry:127.0.0.1:{}/app:1", registry.port),
        )],
    );
}

// ------------------------------------------------------------------ hostile images

fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(b)))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// A layer tar with the given (raw name, content) entries. Names are written into the
/// header bytes directly, so `../` survives (the tar crate refuses to write it).
fn layer_tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_old();
        let raw = name.as_bytes();
        h.as_old_mut().name[..raw.len()].copy_from_slice(raw);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// How to spoil the archive built by [`oci_archive`].
#[derive(Clone, Copy, PartialEq)]
enum Spoil {
    None,
    /// Truncate the gzip'd layer blob (digest recomputed, so only inflate fails).
    TruncatedGzip,
    /// Leave the layer blob out of the archive.
    MissingBlob,
    /// Change the layer blob's bytes after its digest was recorded.
    DigestMismatch,
}

/// An OCI archive with one gzip'd layer made of `entries`.
fn oci_archive(path: &Path, entries: &[(&str, &[u8])], spoil: Spoil) {
    let tar_bytes = layer_tar(entries);
    let diff_id = sha256(&tar_bytes);
    let mut blob = gzip(&tar_bytes);
    if spoil == Spoil::TruncatedGzip {
        blob.truncate(blob.len() / 2);
    }
    let layer_digest = sha256(&blob);
    if spoil == Spoil::DigestMismatch {
        let last = blob.len() - 1;
        blob[last] ^= 0xff;
    }
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "test"}]
    })
    .to_string();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(config.as_bytes()), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest, "size": blob.len()}]
    })
    .to_string();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": sha256(manifest.as_bytes()), "size": manifest.len(),
                       "annotations": {"org.opencontainers.image.ref.name": "1"}}]
    })
    .to_string();
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        ("index.json".into(), index.into_bytes()),
        (
            blob_path(&sha256(manifest.as_bytes())),
            manifest.into_bytes(),
        ),
        (blob_path(&sha256(config.as_bytes())), config.into_bytes()),
    ];
    if spoil != Spoil::MissingBlob {
        files.push((blob_path(&layer_digest), blob));
    }
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    b.finish().unwrap();
}

fn blob_path(digest: &str) -> String {
    format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))
}

#[test]
fn a_well_formed_built_image_is_read() {
    // The control for the hostile cases below: the same builder, unspoiled, scans fine.
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("ok.tar");
    oci_archive(
        &img,
        &[(
            "etc/os-release",
            b"ID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n",
        )],
        Spoil::None,
    );
    let doc = sbom_json(&[
        "sbom",
        "--format",
        "json",
        &format!("oci-archive:{}", img.display()),
    ]);
    assert_eq!(doc["distro"]["id"], "alpine");
    assert_eq!(doc["image"]["layers"].as_array().unwrap().len(), 1);
}

/// (name, layer entries, how to spoil the archive, words the error must contain)
type HostileCase<'a> = (&'a str, Vec<(&'a str, &'a [u8])>, Spoil, &'a [&'a str]);

#[test]
fn hostile_images_fail_cleanly_naming_the_part() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let os = ("etc/os-release", &b"ID=alpine\nVERSION_ID=3.18.4\n"[..]);
    let cases: [HostileCase; 4] = [
        (
            "traversal",
            vec![os, ("../../evil", b"pwned")],
            Spoil::None,
            &["layer", "evil"],
        ),
        ("truncated-gzip", vec![os], Spoil::TruncatedGzip, &["layer"]),
        ("missing-blob", vec![os], Spoil::MissingBlob, &["sha256:"]),
        (
            "digest-mismatch",
            vec![os],
            Spoil::DigestMismatch,
            &["sha256:"],
        ),
    ];
    for (name, entries, spoil, needles) in cases {
        let img = work.join(format!("{name}.tar"));
        oci_archive(&img, &entries, spoil);
        let out_file = work.join(format!("{name}.cdx.json"));
        let out = hull_in(
            &work,
            &[
                "sbom",
                "-o",
                out_file.to_str().unwrap(),
                &format!("oci-archive:{}", img.display()),
            ],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
        assert!(err.starts_with("hull: error: "), "{name}: {err}");
        for n in needles {
            assert!(err.contains(n), "{name}: error should name `{n}`: {err}");
        }
        assert!(!out_file.exists(), "{name}: no output on error");
    }
    // Nothing escaped the work dir: no `evil` anywhere above it, no stray files in it.
    assert!(!dir.path().join("evil").exists());
    assert!(!dir.path().parent().unwrap().join("evil").exists());
    let left: BTreeSet<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.iter().all(|n| n.ends_with(".tar")), "{left:?}");
}

// ---------------------------------------------------------------- hull image: formats and filters

/// A one-advisory OSV feed and an inventory holding the affected lodash, both written
/// here, so the report wiring is tested without the corpus.
fn vuln_fixture(dir: &Path) -> (String, String) {
    let feed = dir.join("GHSA-jf85-cpcp-j695.json");
    std::fs::write(
        &feed,
        r#"{"schema_version":"1.4.0","id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z",
        "aliases":["CVE-2019-10744"],"summary":"Prototype pollution in lodash",
        "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"}],
        "affected":[{"package":{"ecosystem":"npm","name":"lodash"},
          "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.12"}]}]}],
        "references":[{"type":"WEB","url":"https://github.com/lodash/lodash/pull/4336"}]}"#,
    )
    .unwrap();
    let db = dir.join("hull.db");
    let out = hull(&[
        "db",
        "import",
        "--db",
        db.to_str().unwrap(),
        feed.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "import: {}", stderr(&out));
    let inv = dir.join("inventory.json");
    std::fs::write(
        &inv,
        r#"{"image":{"target":"test:app"},"packages":[{"ecosystem":"npm","name":"lodash",
        "version":"4.17.4","purl":"pkg:npm/lodash@4.17.4",
        "path":"app/node_modules/lodash/package.json","found_by":"npm-package"}]}"#,
    )
    .unwrap();
    (
        db.to_str().unwrap().to_string(),
        format!("inventory:{}", inv.display()),
    )
}

#[test]
fn image_writes_every_report_format_and_applies_filters() {
    let dir = tempfile::tempdir().unwrap();
    let (db, target) = vuln_fixture(dir.path());
    let image = |extra: &[&str]| {
        let mut args = vec!["image", "--db", db.as_str(), target.as_str()];
        args.extend_from_slice(extra);
        hull(&args)
    };

    let out = image(&["--exit-code", "3"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("app/node_modules/lodash/package.json (npm)"),
        "{table}"
    );
    assert!(table.contains("CVE-2019-10744"), "{table}");
    assert!(table.contains("4.17.12"), "{table}");

    let json = |extra: &[&str]| -> Value {
        let out = image(extra);
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let v = json(&["--format", "json"]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["findings"][0]["id"], "CVE-2019-10744");
    assert_eq!(v["findings"][0]["cvss_score"], 9.1);
    let v = json(&["--format", "sarif"]);
    assert_eq!(v["version"], "2.1.0");
    let rule = &v["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["properties"]["security-severity"], "9.1");
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/node_modules/lodash/package.json"
    );
    let v = json(&["--format", "cyclonedx"]);
    let bom_ref = v["components"][0]["bom-ref"].clone();
    assert_eq!(v["vulnerabilities"][0]["affects"][0]["ref"], bom_ref);
    assert_eq!(v["vulnerabilities"][0]["ratings"][0]["method"], "CVSSv31");
    let v = json(&["--format", "spdx-json"]);
    let refs = v["packages"].to_string();
    assert!(
        refs.contains("\"referenceCategory\":\"SECURITY\""),
        "{refs}"
    );

    // -o writes the file; the filters suppress and the exit code follows them.
    let sarif = dir.path().join("out.sarif");
    let out = image(&["--format", "sarif", "-o", sarif.to_str().unwrap()]);
    assert!(out.status.success() && out.stdout.is_empty());
    assert!(std::fs::read_to_string(&sarif)
        .unwrap()
        .contains("\"2.1.0\""));
    let out = image(&["--severity", "LOW,MEDIUM", "--exit-code", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ignore = dir.path().join("ignore.yaml");
    std::fs::write(
        &ignore,
        "vulnerabilities:\n  - id: GHSA-jf85-cpcp-j695\n    reason: demo only\n",
    )
    .unwrap();
    let out = image(&[
        "--ignore-file",
        ignore.to_str().unwrap(),
        "--exit-code",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("demo only"));
    let vex = dir.path().join("vex.json");
    std::fs::write(
        &vex,
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:vex:1","statements":[
          {"vulnerability":{"name":"CVE-2019-10744"},"products":[{"@id":"pkg:npm/lodash@4.17.4"}],
           "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#,
    )
    .unwrap();
    let v = json(&["--format", "cyclonedx", "--vex", vex.to_str().unwrap()]);
    assert_eq!(v["vulnerabilities"][0]["analysis"]["state"], "not_affected");

    // Bad filter input is a one-line error, exit 2.
    std::fs::write(
        &ignore,
        "vulnerabilities:\n  - id: X\n    expire: 2027-01-01\n",
    )
    .unwrap();
    for extra in [
        vec!["--ignore-file", ignore.to_str().unwrap()],
        vec!["--severity", "bogus"],
        vec!["--vex", sarif.to_str().unwrap()],
    ] {
        let out = image(&extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    }
}

/// A real scan: the Alpine 3.9 secdb from the corpus, the real alpine-3.9.4 image. The
/// formats must agree with each other on what was found and where.
#[test]
fn image_reports_agree_on_a_real_scan() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hull.db");
    let feed = corpus.join("feeds/alpine/secdb-yaml/v3.9");
    let out = hull(&[
        "db",
        "import",
        "--db",
        db.to_str().unwrap(),
        feed.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "import: {}", stderr(&out));
    let target = format!(
        "docker-archive:{}",
        corpus
            .join("images/legacy/alpine-3.9.4.docker.tar")
            .display()
    );
    let run = |format: &str| -> Output {
        // Vulnerability reports only: the content scanners have their own tests.
        let out = hull(&[
            "image",
            "--db",
            db.to_str().unwrap(),
            &target,
            "--scanners",
            "vuln",
            "--format",
            format,
        ]);
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        out
    };
    let json: Value = serde_json::from_slice(&run("json").stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert!(
        findings.len() >= 3,
        "alpine 3.9.4 has known vulnerabilities"
    );
    let reported: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["package"]["purl"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(reported
        .iter()
        .any(|(id, purl)| id == "CVE-2019-14697" && purl.contains("/musl@")));

    let sarif: Value = serde_json::from_slice(&run("sarif").stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let from_sarif: BTreeSet<(String, String)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["properties"]["purl"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(from_sarif, reported);
    for r in results {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "lib/apk/db/installed"
        );
    }

    let cdx: Value = serde_json::from_slice(&run("cyclonedx").stdout).unwrap();
    let purl_of: BTreeMap<&str, &str> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| Some((c["bom-ref"].as_str()?, c["purl"].as_str()?)))
        .collect();
    let mut from_cdx = BTreeSet::new();
    for v in cdx["vulnerabilities"].as_array().unwrap() {
        for a in v["affects"].as_array().unwrap() {
            let purl = purl_of
                .get(a["ref"].as_str().unwrap())
                .expect("affects[].ref resolves to a component");
            from_cdx.insert((v["id"].as_str().unwrap().to_string(), purl.to_string()));
        }
    }
    assert_eq!(from_cdx, reported);

    let table = String::from_utf8_lossy(&run("table").stdout).into_owned();
    assert!(
        table.contains(&format!("Total: {} (", reported.len())),
        "{table}"
    );
    assert!(table.lines().all(|l| l.chars().count() <= 120));
}

/// Development dependencies are left out by default and kept, marked, with
/// `--include-dev`, for `hull sbom` and `hull image` alike.
#[test]
fn dev_dependencies_only_with_include_dev() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("package-lock.json"),
        r#"{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
            "":{"name":"app","version":"1.0.0","dependencies":{"ms":"^2"},"devDependencies":{"jest":"^29"}},
            "node_modules/ms":{"version":"2.1.3"},
            "node_modules/jest":{"version":"29.7.0","dev":true}
        }}"#,
    )
    .unwrap();
    let target = format!("dir:{}", dir.path().display());
    let names = |extra: &[&str]| -> BTreeSet<String> {
        let mut args = vec!["sbom", &target, "--format", "json", "--quiet"];
        args.extend(extra);
        let out = hull(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{} dev={}", p["name"].as_str().unwrap(), p["dev"] == true))
            .collect()
    };
    assert_eq!(
        names(&[]),
        BTreeSet::from(["app dev=false".to_string(), "ms dev=false".to_string()])
    );
    assert_eq!(
        names(&["--include-dev"]),
        BTreeSet::from([
            "app dev=false".to_string(),
            "jest dev=true".to_string(),
            "ms dev=false".to_string()
        ])
    );
    let help = hull(&["image", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("--include-dev"));
}
