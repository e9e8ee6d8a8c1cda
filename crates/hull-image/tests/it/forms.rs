//! One image, every target form: the same tree and the same file contents.

use std::process::Command;

use hull_image::{open, OpenOptions};

use crate::common::{corpus, run, tool, walk, Registry};

#[test]
fn every_target_form_gives_the_same_tree() {
    let Some(c) = corpus() else { return };
    if !tool("skopeo") || !tool("tar") || !tool("gzip") || !tool("umoci") {
        return;
    }
    let src = c.join("images/whiteout.oci.tar");
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let opts = OpenOptions {
        insecure: true,
        ..Default::default()
    };
    let reference = walk(&open(&format!("oci-archive:{}", src.display()), &opts).unwrap());
    let want = reference.fingerprint(true);
    assert!(want.len() > 5000);

    // oci-dir: the archive unpacked with tar; by prefix, by detection and by tag.
    let layout = t.join("layout");
    std::fs::create_dir(&layout).unwrap();
    run(Command::new("tar")
        .arg("-xf")
        .arg(&src)
        .arg("-C")
        .arg(&layout));
    let tag = reference_tag(&layout);
    for target in [
        format!("oci-dir:{}", layout.display()),
        layout.display().to_string(),
        format!("oci-dir:{}:{tag}", layout.display()),
    ] {
        let w = walk(&open(&target, &opts).unwrap());
        assert_eq!(w.fingerprint(true), want, "{target}");
    }

    // docker-archive, plain and gzip-compressed, converted by skopeo.
    let docker = t.join("image.docker.tar");
    run(Command::new("skopeo")
        .args(["copy", "-q"])
        .arg(format!("oci-archive:{}", src.display()))
        .arg(format!(
            "docker-archive:{}:hull/whiteout:1.0",
            docker.display()
        )));
    run(Command::new("sh").arg("-c").arg(format!(
        "gzip -c {} > {}.gz",
        docker.display(),
        docker.display()
    )));
    for target in [
        format!("docker-archive:{}", docker.display()),
        docker.display().to_string(),
        format!("{}.gz", docker.display()),
        format!("docker-archive:{}:hull/whiteout:1.0", docker.display()),
    ] {
        let image = open(&target, &opts).unwrap();
        assert_eq!(image.info.layers.len(), 5);
        assert_eq!(image.info.repo_tags, ["docker.io/hull/whiteout:1.0"]);
        let w = walk(&image);
        assert_eq!(w.fingerprint(true), want, "{target}");
    }

    // A gzip-compressed OCI archive (streamed, not seeked).
    run(Command::new("sh").arg("-c").arg(format!(
        "gzip -c {} > {}/oci.tar.gz",
        src.display(),
        t.display()
    )));
    let w = walk(&open(&format!("{}/oci.tar.gz", t.display()), &opts).unwrap());
    assert_eq!(w.fingerprint(true), want, "gzip oci-archive");

    // dir: the merged rootfs as umoci unpacks it (one layer, so compare without layers).
    let bundle = t.join("bundle");
    run(Command::new("umoci")
        .args(["unpack", "--image"])
        .arg(format!("{}:{tag}", layout.display()))
        .arg(&bundle));
    let w = walk(&open(&format!("dir:{}", bundle.join("rootfs").display()), &opts).unwrap());
    let got = w.fingerprint(false);
    let want_nl = reference.fingerprint(false);
    let diff: Vec<_> = want_nl
        .iter()
        .filter(|(k, v)| got.get(*k) != Some(v))
        .take(10)
        .map(|(k, v)| format!("{k}: want {v:?} got {:?}", got.get(k)))
        .collect();
    assert!(diff.is_empty(), "dir: differs: {diff:#?}");
    assert_eq!(got.len(), want_nl.len(), "dir: path count");

    // registry: pushed to a real local registry, pulled back.
    if let Some(reg) = Registry::start(None) {
        let r = reg.push(&src, "hull/whiteout:1.0", None);
        let image = open(&format!("registry:{r}"), &opts).unwrap();
        assert_eq!(image.info.layers.len(), 5);
        let w = walk(&image);
        assert_eq!(w.fingerprint(true), want, "registry");
        // By digest, and without the prefix.
        let d = image.info.manifest_digest.clone().unwrap();
        let by_digest = format!("127.0.0.1:{}/hull/whiteout@{d}", reg.port);
        let again = open(&by_digest, &opts).unwrap();
        assert_eq!(again.info.layers, image.info.layers);
        // Docker v2 schema 2 media types (skopeo converts the manifest and config).
        let r = reg.push_with(&src, "hull/whiteout:v2s2", None, &["--format", "v2s2"]);
        let image = open(&format!("registry:{r}"), &opts).unwrap();
        assert_eq!(
            image.info.layers[0].media_type.as_deref(),
            Some("application/vnd.docker.image.rootfs.diff.tar.gzip")
        );
        assert_eq!(walk(&image).fingerprint(true), want, "registry v2s2");
    }
}

/// The `org.opencontainers.image.ref.name` of the layout's only image.
fn reference_tag(layout: &std::path::Path) -> String {
    let index = crate::common::json(&layout.join("index.json"));
    index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A layout whose `index.json` names a multi-platform index (amd64, arm64/v8 and an
/// attestation entry), plus a second tagged single image.
#[test]
fn multi_platform_index_picks_the_platform() {
    use crate::hostile::{gz, put_blob, sha, tar_of, Item};
    use hull_image::Platform;
    use serde_json::json;

    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("layout");
    std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
    std::fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let image = |arch: &str| -> serde_json::Value {
        let tar = tar_of(&[Item::File(&format!("arch-{arch}"), arch.as_bytes())]);
        let blob = gz(&tar);
        let ld = put_blob(&root, &blob);
        let config = serde_json::to_vec(&json!({"architecture": arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [sha(&tar)]}}))
        .unwrap();
        let cd = put_blob(&root, &config);
        let m = serde_json::to_vec(&json!({"schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": blob.len()}]}))
        .unwrap();
        let md = put_blob(&root, &m);
        json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": m.len()})
    };
    let mut amd = image("amd64");
    amd["platform"] = json!({"os": "linux", "architecture": "amd64"});
    let mut arm = image("arm64");
    arm["platform"] = json!({"os": "linux", "architecture": "arm64", "variant": "v8"});
    let mut att = image("amd64");
    att["platform"] = json!({"os": "unknown", "architecture": "unknown"});
    let nested = serde_json::to_vec(&json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [att, arm, amd]}))
    .unwrap();
    let nd = put_blob(&root, &nested);
    let mut single = image("riscv64");
    single["annotations"] = json!({"org.opencontainers.image.ref.name": "solo"});
    let index = json!({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": nd, "size": nested.len(),
         "annotations": {"org.opencontainers.image.ref.name": "multi"}},
        single]});
    std::fs::write(root.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();

    let files = |target: &str, platform: &str| -> Result<Vec<String>, String> {
        let opts = OpenOptions {
            platform: platform.parse::<Platform>().unwrap(),
            ..Default::default()
        };
        let image = open(target, &opts).map_err(|e| e.to_string())?;
        let tree = image.walk(&|_, _| Ok(())).map_err(|e| e.to_string())?;
        Ok(tree.iter().map(|(p, _)| p.to_string()).collect())
    };
    let multi = format!("oci-dir:{}:multi", root.display());
    assert_eq!(files(&multi, "linux/amd64").unwrap(), ["/arch-amd64"]);
    assert_eq!(files(&multi, "linux/arm64").unwrap(), ["/arch-arm64"]);
    assert_eq!(files(&multi, "linux/aarch64/v8").unwrap(), ["/arch-arm64"]);
    let err = files(&multi, "linux/s390x").unwrap_err();
    assert!(
        err.contains("no image for platform linux/s390x (available: linux/arm64, linux/amd64)"),
        "{err}"
    );
    assert_eq!(
        files(&format!("{}:solo", root.display()), "linux/amd64").unwrap(),
        ["/arch-riscv64"]
    );
    let err = files(root.to_str().unwrap(), "linux/amd64").unwrap_err();
    assert!(
        err.contains("index holds 2 images") && err.contains("multi, solo"),
        "{err}"
    );
    let err = files(&format!("oci-dir:{}:nope", root.display()), "linux/amd64").unwrap_err();
    assert!(err.contains("no image tagged `nope`"), "{err}");
}
