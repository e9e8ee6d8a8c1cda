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
