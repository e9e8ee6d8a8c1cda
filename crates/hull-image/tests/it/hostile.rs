//! Hostile images built here, byte by byte: every one must give a clean `Err` naming the
//! image part (or, where the image is legal but nasty, a tree that stays inside).

use std::io::Write;
use std::path::{Path, PathBuf};

use hull_image::{open, EntryKind, Error, Limits, OpenOptions};
use hull_model::ImagePath;
use sha2::{Digest as _, Sha256};

pub enum Item<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
}

/// A tar whose names are written raw (the `tar` crate's path setters refuse `..`).
pub fn tar_of(items: &[Item]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for it in items {
        let mut h = tar::Header::new_ustar();
        let (name, data, kind, link): (&str, &[u8], tar::EntryType, &str) = match it {
            Item::File(n, d) => (n, d, tar::EntryType::Regular, ""),
            Item::Dir(n) => (n, b"", tar::EntryType::Directory, ""),
            Item::Symlink(n, t) => (n, b"", tar::EntryType::Symlink, t),
            Item::Hardlink(n, t) => (n, b"", tar::EntryType::Link, t),
        };
        let raw = h.as_old_mut();
        raw.name[..name.len()].copy_from_slice(name.as_bytes());
        raw.linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn sha(bytes: &[u8]) -> String {
    let h: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{h}")
}

/// One layer as stored: the blob bytes and the diff_id the config claims.
pub struct Layer {
    pub blob: Vec<u8>,
    pub diff_id: String,
}

impl Layer {
    pub fn gz(tar: &[u8]) -> Self {
        Layer {
            blob: gz(tar),
            diff_id: sha(tar),
        }
    }
}

pub fn put_blob(dir: &Path, bytes: &[u8]) -> String {
    let d = sha(bytes);
    let p = dir
        .join("blobs/sha256")
        .join(d.trim_start_matches("sha256:"));
    std::fs::write(p, bytes).unwrap();
    d
}

/// Write an OCI layout holding one image with these layers; returns the layout dir.
pub fn layout(dir: &Path, layers: &[Layer]) -> PathBuf {
    let root = dir.join("layout");
    std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
    std::fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let mut descs = Vec::new();
    for l in layers {
        let d = put_blob(&root, &l.blob);
        descs.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": d, "size": l.blob.len()}));
    }
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "1000"},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
    });
    let config = serde_json::to_vec(&config).unwrap();
    let cd = put_blob(&root, &config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": descs,
    }))
    .unwrap();
    let md = put_blob(&root, &manifest);
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": manifest.len(),
        "annotations": {"org.opencontainers.image.ref.name": "test"}}]});
    std::fs::write(root.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    root
}

fn walk_err(root: &Path, opts: &OpenOptions) -> Error {
    let image = open(&format!("oci-dir:{}", root.display()), opts).unwrap();
    image.walk(&|_, _| Ok(())).unwrap_err()
}

fn ip(s: &str) -> ImagePath {
    ImagePath::new(s).unwrap()
}

#[test]
fn traversal_names_are_rejected() {
    for bad in [
        Item::File("../etc/passwd", b"x"),
        Item::File("a/../../etc/passwd", b"x"),
        Item::Symlink("ok/../../x", "y"),
        Item::Hardlink("x", "../../etc/shadow"),
        Item::File("etc/.wh...", b""),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let tar = tar_of(&[Item::Dir("etc"), bad]);
        let root = layout(tmp.path(), &[Layer::gz(&tar)]);
        let msg = walk_err(&root, &OpenOptions::default()).to_string();
        assert!(msg.starts_with("layer 1/1 (sha256:"), "{msg}");
        assert!(msg.contains("leaves the image root"), "{msg}");
    }
}

#[test]
fn absolute_names_and_links_stay_inside() {
    let tmp = tempfile::tempdir().unwrap();
    let tar = tar_of(&[
        Item::File("/etc/hostname", b"inside"),
        Item::Symlink("root-link", "/"),
        Item::Symlink("up", "../../../../../../"),
        Item::Symlink("etc/passwd", "../../../../etc/shadow"),
        Item::Symlink("loop-a", "loop-b"),
        Item::Symlink("loop-b", "/loop-a"),
        Item::Symlink("self", "self/x"),
        Item::Hardlink("hl", "/etc/hostname"),
    ]);
    let root = layout(tmp.path(), &[Layer::gz(&tar)]);
    let image = open(root.to_str().unwrap(), &OpenOptions::default()).unwrap();
    assert_eq!(image.config.user.as_deref(), Some("1000"));
    let tree = image.walk(&|_, _| Ok(())).unwrap();
    assert_eq!(tree.get(&ip("etc/hostname")).unwrap().kind, EntryKind::File);
    assert_eq!(
        tree.get(&ip("hl")).unwrap().kind,
        EntryKind::Hardlink(ip("etc/hostname"))
    );
    for through in [
        "root-link/etc/hostname",
        "up/etc/hostname",
        "up/up/root-link/etc/hostname",
    ] {
        let (p, n) = tree.resolve(&ip(through)).unwrap();
        assert_eq!(
            (p.as_str(), &n.kind),
            ("etc/hostname", &EntryKind::File),
            "{through}"
        );
    }
    // Pointing at a file the image does not have: nothing, never the host's.
    assert!(tree.resolve(&ip("etc/passwd")).is_none());
    assert!(tree.resolve(&ip("loop-a")).is_none());
    assert!(tree.resolve(&ip("self")).is_none());
}

#[test]
fn gzip_bomb_hits_the_layer_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 64 << 20];
    let tar = tar_of(&[Item::File("bomb", &zeros)]);
    let layer = Layer::gz(&tar);
    assert!(layer.blob.len() < 1 << 20, "compresses well");
    let root = layout(tmp.path(), &[layer]);
    let mut opts = OpenOptions::default();
    opts.limits.max_layer_bytes = 8 << 20;
    let msg = walk_err(&root, &opts).to_string();
    assert!(msg.starts_with("layer 1/1 (sha256:"), "{msg}");
    assert!(
        msg.contains("uncompressed layer size limit of 8388608 exceeded"),
        "{msg}"
    );
    let mut opts = OpenOptions::default();
    opts.limits.max_total_bytes = 16 << 20;
    assert!(walk_err(&root, &opts)
        .to_string()
        .contains("uncompressed image size limit"));
    let mut opts = OpenOptions::default();
    opts.limits.max_file_size = 1 << 20;
    let msg = walk_err(&root, &opts).to_string();
    assert!(msg.contains("/bomb: file size limit"), "{msg}");
}

#[test]
fn a_million_entries_hit_the_entry_cap_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::with_capacity(520 << 20));
    for i in 0..1_000_000u32 {
        let mut h = tar::Header::new_ustar();
        h.set_path(format!("d{}/f{i}", i % 1000)).unwrap();
        h.set_size(0);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, &b""[..]).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let root = layout(tmp.path(), &[Layer::gz(&tar)]);
    drop(tar);
    let mut opts = OpenOptions::default();
    opts.limits.max_entries = 200_000;
    let start = std::time::Instant::now();
    let msg = walk_err(&root, &opts).to_string();
    assert!(
        msg.contains("entry count limit of 200000 exceeded"),
        "{msg}"
    );
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
}

#[test]
fn truncated_layers_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let tar = tar_of(&[Item::File("big", &data), Item::File("after", b"x")]);
    let mut layer = Layer::gz(&tar);
    layer.blob.truncate(layer.blob.len() / 2);
    let root = layout(tmp.path(), &[layer]);
    let msg = walk_err(&root, &OpenOptions::default()).to_string();
    assert!(msg.starts_with("layer 1/1 (sha256:"), "{msg}");
    assert!(msg.contains("truncated"), "{msg}");

    // A plain tar cut in the middle of a file.
    let tmp = tempfile::tempdir().unwrap();
    let layer = Layer {
        blob: tar[..tar.len() / 2].to_vec(),
        diff_id: sha(&tar),
    };
    let root = layout(tmp.path(), &[layer]);
    let msg = walk_err(&root, &OpenOptions::default()).to_string();
    assert!(msg.starts_with("layer 1/1 (sha256:"), "{msg}");
}

#[test]
fn missing_blobs_and_bad_digests_are_named() {
    let tar = tar_of(&[Item::File("a", b"a")]);
    // Missing layer blob.
    let tmp = tempfile::tempdir().unwrap();
    let layer = Layer::gz(&tar);
    let digest = sha(&layer.blob);
    let root = layout(tmp.path(), &[layer]);
    std::fs::remove_file(
        root.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    let msg = walk_err(&root, &OpenOptions::default()).to_string();
    assert_eq!(
        msg,
        format!("layer 1/1 ({}…): blob {digest} is missing", &digest[..19])
    );

    // Blob content that does not match its name.
    let tmp = tempfile::tempdir().unwrap();
    let layer = Layer::gz(&tar);
    let digest = sha(&layer.blob);
    let root = layout(tmp.path(), &[layer]);
    let other = gz(&tar_of(&[Item::File("b", b"b")]));
    std::fs::write(
        root.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
        other,
    )
    .unwrap();
    let msg = walk_err(&root, &OpenOptions::default()).to_string();
    assert!(
        msg.contains("blob: digest mismatch: expected ") && msg.starts_with("layer 1/1"),
        "{msg}"
    );

    // A config whose diff_id lies.
    let tmp = tempfile::tempdir().unwrap();
    let layer = Layer {
        blob: gz(&tar),
        diff_id: sha(b"something else"),
    };
    let root = layout(tmp.path(), &[layer]);
    let msg = walk_err(&root, &OpenOptions::default()).to_string();
    assert!(msg.contains("diff_id: digest mismatch"), "{msg}");

    // A missing config blob fails at open, naming it.
    let tmp = tempfile::tempdir().unwrap();
    let root = layout(tmp.path(), &[Layer::gz(&tar)]);
    let index = crate::common::json(&root.join("index.json"));
    let md = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let manifest = crate::common::json(&root.join("blobs/sha256").join(&md));
    let cd = manifest["config"]["digest"].as_str().unwrap().to_string();
    std::fs::remove_file(
        root.join("blobs/sha256")
            .join(cd.trim_start_matches("sha256:")),
    )
    .unwrap();
    let msg = open(root.to_str().unwrap(), &OpenOptions::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains(&format!("blob {cd} is missing")), "{msg}");
}

#[test]
fn docker_archive_names_cannot_escape() {
    let tmp = tempfile::tempdir().unwrap();
    let layer_tar = tar_of(&[Item::File("a", b"a")]);
    let config = serde_json::to_vec(&serde_json::json!({
        "rootfs": {"type": "layers", "diff_ids": [sha(&layer_tar)]}}))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": "config.json", "RepoTags": ["x:1"], "Layers": ["../../../etc/passwd"]}]))
    .unwrap();
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [
        ("manifest.json", &manifest),
        ("config.json", &config),
        ("layer.tar", &layer_tar),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, &data[..]).unwrap();
    }
    let path = tmp.path().join("evil.tar");
    std::fs::write(&path, b.into_inner().unwrap()).unwrap();
    let image = open(path.to_str().unwrap(), &OpenOptions::default()).unwrap();
    let msg = image.walk(&|_, _| Ok(())).unwrap_err().to_string();
    assert!(msg.contains("../../../etc/passwd is missing"), "{msg}");
}

#[test]
fn limits_default_sanely() {
    let l = Limits::default();
    assert!(l.max_layer_bytes >= 8 << 30 && l.max_entries >= 1_000_000 && l.max_symlink_hops >= 8);
}

#[test]
fn images_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<hull_image::Image>();
    shareable::<hull_image::Tree>();
    shareable::<hull_image::Error>();
}

#[test]
fn files_that_are_not_images_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("notes.txt");
    std::fs::write(
        &text,
        "hello, this is not a tar archive at all\n".repeat(20),
    )
    .unwrap();
    let msg = open(text.to_str().unwrap(), &OpenOptions::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("notes.txt"), "{msg}");
    let other = tmp.path().join("other.tar");
    std::fs::write(&other, tar_of(&[Item::File("readme", b"x")])).unwrap();
    let msg = open(other.to_str().unwrap(), &OpenOptions::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("not an image archive"), "{msg}");
    let msg = open(&format!("dir:{}", text.display()), &OpenOptions::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("is not a directory"), "{msg}");
}

#[test]
fn dir_targets_do_not_follow_links_out() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("rootfs");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/hostname"), "inside").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("etc/passwd")).unwrap();
    std::os::unix::fs::symlink("/", root.join("host")).unwrap();
    let image = open(&format!("dir:{}", root.display()), &OpenOptions::default()).unwrap();
    assert!(image.info.layers.is_empty());
    let read = std::sync::Mutex::new(Vec::new());
    let tree = image
        .walk(&|e, r| {
            let mut s = String::new();
            r.read_to_string(&mut s)?;
            read.lock().unwrap().push((e.path.to_string(), e.layer, s));
            Ok(())
        })
        .unwrap();
    let mut read = read.into_inner().unwrap();
    read.sort();
    assert_eq!(
        read,
        [
            ("/etc".to_string(), 0, String::new()),
            ("/etc/hostname".to_string(), 0, "inside".to_string()),
            ("/etc/passwd".to_string(), 0, String::new()),
            ("/host".to_string(), 0, String::new()),
        ]
    );
    assert_eq!(
        tree.get(&ip("host")).unwrap().kind,
        EntryKind::Symlink("/".into())
    );
    // Through `host` resolves inside the rootfs, never on the host.
    assert_eq!(
        tree.resolve(&ip("host/etc/hostname")).unwrap().0,
        ip("etc/hostname")
    );
    assert!(tree.resolve(&ip("etc/passwd")).is_none());
    let mut opts = OpenOptions::default();
    opts.limits.max_file_size = 3;
    let image = open(&format!("dir:{}", root.display()), &opts).unwrap();
    let msg = image.walk(&|_, _| Ok(())).unwrap_err().to_string();
    assert!(
        msg.contains("etc/hostname: file size limit of 3 exceeded"),
        "{msg}"
    );
}
