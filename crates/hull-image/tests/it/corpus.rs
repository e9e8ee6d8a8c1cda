//! The corpus images against their ground truth.

use hull_image::{open, EntryKind, OpenOptions};
use hull_model::ImagePath;

use crate::common::{corpus, json, walk};

fn ip(s: &str) -> ImagePath {
    ImagePath::new(s).unwrap()
}

#[test]
fn modern_images_match_truth() {
    let Some(c) = corpus() else { return };
    for name in ["app-debian", "whiteout", "secrets"] {
        let truth = json(&c.join(format!("truth/{name}.json")));
        let target = format!(
            "oci-archive:{}",
            c.join(format!("images/{name}.oci.tar")).display()
        );
        let image = open(&target, &OpenOptions::default()).unwrap();
        let oci = &truth["oci"];
        assert_eq!(
            image.info.manifest_digest.as_ref().unwrap().as_str(),
            oci["manifest_digest"]
        );
        assert_eq!(
            image.info.config_digest.as_ref().unwrap().as_str(),
            oci["config_digest"]
        );
        let layers = oci["layers"].as_array().unwrap();
        assert_eq!(image.info.layers.len(), layers.len(), "{name}");
        for (got, want) in image.info.layers.iter().zip(layers) {
            assert_eq!(got.digest.as_ref().unwrap().as_str(), want["digest"]);
            assert_eq!(got.diff_id.as_str(), want["diff_id"]);
            assert_eq!(got.size, want["size"].as_u64().unwrap());
            assert_eq!(got.media_type.as_deref(), want["media_type"].as_str());
            assert_eq!(got.created_by.as_deref(), want["created_by"].as_str());
        }
        assert_eq!(
            image.config.user.as_deref(),
            truth["config"]["user"].as_str()
        );
        assert_eq!(
            image.config.working_dir.as_deref(),
            truth["config"]["workdir"].as_str()
        );
        let w = walk(&image);
        for (i, want) in layers.iter().enumerate() {
            // The truth counts raw tar members; the root entry (`./`) is not visited.
            let got = w.per_layer.get(&i).copied().unwrap_or(0) as u64;
            let want = want["entries"].as_u64().unwrap();
            assert!(
                got == want || got + 1 == want,
                "{name} layer {i} entries: {got} vs {want}"
            );
        }
        let mut want_markers: Vec<(usize, String)> = Vec::new();
        for (i, l) in layers.iter().enumerate() {
            for p in l["whiteouts"].as_array().unwrap() {
                want_markers.push((i, p.as_str().unwrap().to_string()));
            }
            for p in l["opaque_dirs"].as_array().unwrap() {
                want_markers.push((i, format!("{} (opaque)", p.as_str().unwrap())));
            }
        }
        want_markers.sort();
        assert_eq!(w.markers, want_markers, "{name} whiteout markers");
        // The truth walked an unpacked rootfs with os.walk, which lists a symlink to a
        // directory among the directories (without entering it): count like it.
        let dir_like = |p: &ImagePath, n: &hull_image::Node| {
            n.kind == EntryKind::Dir
                || (matches!(n.kind, EntryKind::Symlink(_))
                    && w.tree
                        .resolve(p)
                        .is_some_and(|(_, t)| t.kind == EntryKind::Dir))
        };
        let files = w.tree.iter().filter(|(p, n)| !dir_like(p, n)).count();
        let dirs = w
            .tree
            .iter()
            .filter(|(_, n)| n.kind == EntryKind::Dir)
            .count();
        let merged = truth["merge_check"]["paths_in_independent_merge"]
            .as_u64()
            .unwrap();
        eprintln!(
            "{name}: {} paths, {files} files, {dirs} dirs; truth {merged} / {} / {}",
            w.tree.len(),
            truth["file_count"],
            truth["dir_count"]
        );
        assert_eq!(
            w.tree.len() as u64,
            merged,
            "{name}: paths in the merged view (+ root)"
        );
        assert_eq!(
            dirs as u64,
            truth["dir_count"].as_u64().unwrap(),
            "{name} dirs"
        );
        assert_eq!(
            files as u64,
            truth["file_count"].as_u64().unwrap(),
            "{name} files"
        );
        for s in truth["setuid_setgid_files"].as_array().unwrap() {
            let n = w.tree.get(&ip(s["path"].as_str().unwrap())).unwrap();
            assert_eq!(format!("0o{:o}", n.mode), s["mode"].as_str().unwrap());
            assert_eq!(n.gid, s["gid"].as_u64().unwrap());
        }
        // Every package the truth attributes to a layer is attributed the same way.
        for p in truth["npm"].as_array().unwrap() {
            let n = w.tree.get(&ip(p["path"].as_str().unwrap())).unwrap();
            assert_eq!(n.layer as u64 + 1, p["layer"].as_u64().unwrap());
        }
        let os = w.tree.resolve(&ip("etc/os-release"));
        assert_eq!(
            os.is_some(),
            !truth["os_release"].is_null(),
            "{name} os-release"
        );
    }
}

#[test]
fn whiteouts_hide_and_overwrites_win() {
    let Some(c) = corpus() else { return };
    let truth = json(&c.join("truth/whiteout.json"));
    let target = c.join("images/whiteout.oci.tar");
    let image = open(target.to_str().unwrap(), &OpenOptions::default()).unwrap();
    let w = walk(&image);
    let exp = &truth["whiteout_expectations"];
    for p in exp["visible"].as_object().unwrap().keys() {
        assert!(w.tree.get(&ip(p)).is_some(), "{p} should be visible");
    }
    for p in exp["absent"].as_object().unwrap().keys() {
        assert!(w.tree.get(&ip(p)).is_none(), "{p} should be gone");
        let below = w.tree.iter().filter(|(q, _)| q.starts_with(&ip(p))).count();
        assert_eq!(below, 0, "nothing below {p}");
    }
    // The opaque dir keeps only what its own layer wrote.
    let data: Vec<String> = w
        .tree
        .iter()
        .filter(|(q, _)| q.starts_with(&ip("var/lib/demo/data")))
        .map(|(q, _)| q.to_string())
        .collect();
    assert_eq!(data, ["/var/lib/demo/data", "/var/lib/demo/data/c.txt"]);
    // /etc/motd: the final content is layer 5's, and differs from layer 3's.
    let motd = ip("etc/motd");
    let node = w.tree.get(&motd).unwrap();
    assert_eq!(node.layer, 4);
    let versions: Vec<_> = (0..5)
        .filter_map(|l| w.hashes.get(&(l, motd.clone())))
        .collect();
    assert!(versions.len() >= 2, "motd written by several layers");
    assert_eq!(w.content("etc/motd"), versions.last().map(|s| s.as_str()));
    assert_ne!(versions.first(), versions.last());
}

#[test]
fn legacy_images_match_meta() {
    let Some(c) = corpus() else { return };
    let dir = c.join("images/legacy");
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let fname = path.file_name().unwrap().to_str().unwrap().to_string();
        let Some(id) = fname
            .strip_suffix(".docker.tar")
            .or_else(|| fname.strip_suffix(".oci"))
        else {
            continue;
        };
        let meta = json(&c.join(format!("truth/legacy/{id}.meta.json")));
        // Detection without a prefix: directories with oci-layout, files by content.
        let image = open(path.to_str().unwrap(), &OpenOptions::default())
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let w = walk(&image);
        let mut checked = 0;
        for section in ["files", "release_files"] {
            let Some(files) = meta[section].as_object() else {
                continue;
            };
            for (p, info) in files {
                if let Some(want) = info["sha256"].as_str() {
                    let (real, _) = w
                        .tree
                        .resolve(&ip(p))
                        .unwrap_or_else(|| panic!("{id}: {p} missing"));
                    assert_eq!(w.content(real.as_str()), Some(want), "{id}: {p}");
                    checked += 1;
                }
                if let Some(link) = info["symlink"].as_str() {
                    let n = w
                        .tree
                        .get(&ip(p))
                        .unwrap_or_else(|| panic!("{id}: {p} missing"));
                    assert_eq!(n.kind, EntryKind::Symlink(link.into()), "{id}: {p}");
                    assert!(w.tree.resolve(&ip(p)).is_some(), "{id}: {p} dangles");
                }
            }
        }
        assert!(checked > 0, "{id}: nothing verified");
        seen += 1;
    }
    assert_eq!(seen, 17, "legacy images found");
}
