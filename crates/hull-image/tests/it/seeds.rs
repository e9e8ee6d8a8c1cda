//! Replays the fuzz seed corpora (`fuzz/corpus/image_*`) through the same parsers the
//! fuzz targets call, so CI exercises them without a fuzzer.

use std::path::PathBuf;

use hull_image::formats::{self, Doc};
use hull_image::{EntryKind, ImageConfig, Limits};
use hull_model::ImagePath;

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds for {target}");
    out
}

#[test]
fn manifest_seeds() {
    for (name, data) in seeds("image_manifest") {
        let doc = formats::parse_doc(&data);
        let config = ImageConfig::parse(&data);
        match name.as_str() {
            "oci-manifest.json" => {
                assert!(matches!(doc, Ok(Doc::Manifest { ref layers, .. }) if layers.len() == 1))
            }
            "oci-index.json" | "docker-list.json" => {
                assert!(matches!(doc, Ok(Doc::Index(ref m)) if m.len() == 1))
            }
            "config.json" => assert_eq!(config.unwrap().user.as_deref(), Some("app")),
            "schema1.json" | "broken.json" => assert!(doc.is_err(), "{name}"),
            _ => {}
        }
    }
}

#[test]
fn docker_manifest_seeds() {
    for (name, data) in seeds("image_docker_manifest") {
        let parsed = formats::parse_docker_manifest(&data);
        match name.as_str() {
            "manifest.json" => assert_eq!(parsed.unwrap()[0].layers.len(), 2),
            "not-array.json" => assert!(parsed.is_err()),
            _ => {}
        }
    }
}

#[test]
fn layer_seeds() {
    let limits = Limits::default();
    for (name, data) in seeds("image_layer") {
        let mut r = &data[..];
        let res = formats::walk_layer(&mut r, &limits, &|_, c| {
            std::io::copy(c, &mut std::io::sink())?;
            Ok(())
        });
        match name.as_str() {
            "plain.tar" | "layer.tar.gz" => {
                let entries = res.unwrap_or_else(|e| panic!("{name}: {e}"));
                let tree = formats::merge(&[entries], &limits);
                let p = |s: &str| ImagePath::new(s).unwrap();
                assert_eq!(
                    tree.get(&p("etc/os-release")).unwrap().kind,
                    EntryKind::File
                );
                assert_eq!(
                    tree.get(&p("etc/hard")).unwrap().kind,
                    EntryKind::Hardlink(p("etc/os-release"))
                );
                assert_eq!(tree.get(&p("usr/bin/suid")).unwrap().mode, 0o4755);
                assert_eq!(tree.resolve(&p("etc/alt")).unwrap().0, p("etc/os-release"));
                // PAX long names come through whole.
                assert!(tree
                    .iter()
                    .any(|(q, _)| q.as_str().ends_with("long/long/name")));
                assert!(tree.get(&p("var/old")).is_none() && tree.get(&p("opt")).is_some());
            }
            "truncated.tar.gz" => assert!(res.unwrap_err().to_string().contains("truncated")),
            "traversal.tar" => assert!(res
                .unwrap_err()
                .to_string()
                .contains("leaves the image root")),
            "empty" => assert!(res.unwrap().is_empty()),
            _ => {}
        }
    }
}
