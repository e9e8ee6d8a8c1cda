//! OCI image layout (image-spec `image-layout.md`) and the manifest / index documents
//! shared with registries (`manifest.md`, `image-index.md`, Docker schema 2).

use std::collections::BTreeMap;

use hull_model::{Digest, LayerInfo};
use serde::Deserialize;

use crate::error::short;
use crate::store::{Loc, Store};
use crate::{Error, ImageConfig, OpenOptions, Opened, Platform, Selector};

pub(crate) const MT_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const MT_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

#[derive(Debug, Clone, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    pub digest: String,
    #[serde(default)]
    pub size: Option<i64>,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub platform: Option<DescPlatform>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DescPlatform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

#[derive(Deserialize)]
struct RawDoc {
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<i64>,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

/// A manifest-like document: either an index of manifests or one image manifest.
#[derive(Debug, Clone)]
pub enum Doc {
    Index(Vec<Descriptor>),
    Manifest {
        config: Descriptor,
        layers: Vec<Descriptor>,
    },
}

/// Parse an index or manifest (OCI or Docker schema 2). Docker schema 1 is refused.
pub fn parse_doc(bytes: &[u8]) -> Result<Doc, String> {
    let raw: RawDoc = serde_json::from_slice(bytes).map_err(|e| format!("not a manifest: {e}"))?;
    if raw.schema_version == Some(1) {
        return Err("docker schema 1 manifests are not supported".into());
    }
    let mt = raw.media_type.as_deref().unwrap_or("");
    let is_index =
        mt == MT_OCI_INDEX || mt == MT_DOCKER_LIST || (mt.is_empty() && raw.manifests.is_some());
    if is_index {
        return Ok(Doc::Index(raw.manifests.unwrap_or_default()));
    }
    match (raw.config, raw.layers) {
        (Some(config), Some(layers)) => Ok(Doc::Manifest { config, layers }),
        (Some(config), None) => Ok(Doc::Manifest {
            config,
            layers: Vec::new(),
        }),
        _ => Err(format!(
            "neither an image index nor an image manifest (media type `{mt}`)"
        )),
    }
}

fn is_index_type(mt: Option<&str>) -> bool {
    matches!(mt, Some(MT_OCI_INDEX) | Some(MT_DOCKER_LIST))
}

pub(crate) fn ref_name(d: &Descriptor) -> Option<&str> {
    let a = d.annotations.as_ref()?;
    a.get(REF_NAME)
        .or_else(|| a.get("io.containerd.image.name"))
        .map(String::as_str)
}

fn tag_matches(name: &str, tag: &str) -> bool {
    name == tag
        || name
            .strip_suffix(tag)
            .is_some_and(|head| head.ends_with(':'))
}

/// Pick one descriptor of an index by selector, then by platform.
pub(crate) fn select<'a>(
    descs: &'a [Descriptor],
    sel: &Selector,
    platform: &Platform,
    part: &str,
) -> Result<&'a Descriptor, Error> {
    let err = |message: String| Error::Select {
        part: part.into(),
        message,
    };
    let mut cands: Vec<&Descriptor> = descs.iter().collect();
    match sel {
        Selector::Any => {}
        Selector::Tag(t) => {
            cands.retain(|d| ref_name(d).is_some_and(|n| tag_matches(n, t)));
            if cands.is_empty() {
                let names: Vec<&str> = descs.iter().filter_map(ref_name).collect();
                return Err(err(format!(
                    "no image tagged `{t}` (tags: {})",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                )));
            }
        }
        Selector::Digest(d) => {
            cands.retain(|x| x.digest == d.as_str());
            if cands.is_empty() {
                return Err(err(format!("no image with digest {d}")));
            }
        }
    }
    let platform_ok = |d: &&Descriptor| {
        d.platform
            .as_ref()
            .is_none_or(|p| platform.matches(&p.os, &p.architecture, p.variant.as_deref()))
    };
    if cands.len() > 1 {
        let with: Vec<&Descriptor> = cands
            .iter()
            .copied()
            .filter(|d| d.platform.is_some())
            .filter(platform_ok)
            .collect();
        if !with.is_empty() {
            cands = with;
        }
    }
    match cands.as_slice() {
        [] => Err(err("index lists no images".into())),
        [one] if platform_ok(one) => Ok(one),
        [one] => {
            let p = one.platform.as_ref();
            Err(err(format!(
                "no image for platform {platform} (only {}/{})",
                p.map_or("", |p| p.os.as_str()),
                p.map_or("", |p| p.architecture.as_str())
            )))
        }
        many => {
            if many.iter().all(|d| d.platform.is_some()) && !many.iter().any(platform_ok) {
                let have: Vec<String> = many
                    .iter()
                    .filter_map(|d| d.platform.as_ref())
                    // Attestation manifests (`unknown/unknown`) are not images to offer.
                    .filter(|p| p.os != "unknown")
                    .map(|p| format!("{}/{}", p.os, p.architecture))
                    .collect();
                return Err(err(format!(
                    "no image for platform {platform} (available: {})",
                    have.join(", ")
                )));
            }
            let names: Vec<&str> = many.iter().filter_map(|d| ref_name(d)).collect();
            Err(err(format!(
                "index holds {} images; choose one with `:tag` or `@sha256:…` (tags: {})",
                many.len(),
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            )))
        }
    }
}

pub(crate) fn parse_digest(s: &str, part: &str) -> Result<Digest, Error> {
    Digest::parse(s).map_err(|e| Error::invalid(part, e.to_string()))
}

/// Open an image from an OCI layout held by `store` (directory or archive).
pub(crate) fn open_layout(
    store: Store,
    sel: &Selector,
    opts: &OpenOptions,
) -> Result<Opened, Error> {
    let limits = &opts.limits;
    let index_loc = Loc {
        path: "index.json".into(),
        digest: None,
    };
    let bytes = store.read_small(&index_loc, "index.json", limits)?;
    let descs = match parse_doc(&bytes).map_err(|m| Error::invalid("index.json", m))? {
        Doc::Index(d) => d,
        Doc::Manifest { .. } => {
            return Err(Error::invalid("index.json", "is a manifest, not an index"))
        }
    };
    let mut part = "index.json".to_string();
    let mut descs = descs;
    let mut sel = sel.clone();
    // Indexes may nest (a layout's index pointing at a multi-platform index).
    for _ in 0..8 {
        let desc = select(&descs, &sel, &opts.platform, &part)?.clone();
        let digest = parse_digest(&desc.digest, &part)?;
        let mpart = format!("manifest {}", short(&digest));
        let bytes = store.read_small(&Loc::blob(&digest), &mpart, limits)?;
        match parse_doc(&bytes).map_err(|m| Error::invalid(&mpart, m))? {
            Doc::Index(next) => {
                descs = next;
                part = format!("index {}", short(&digest));
                // The tag named the outer entry; inside, pick by platform.
                sel = Selector::Any;
            }
            Doc::Manifest { config, layers } => {
                if is_index_type(desc.media_type.as_deref()) {
                    return Err(Error::invalid(
                        &mpart,
                        "descriptor says index, blob is a manifest",
                    ));
                }
                let mut opened = from_manifest(store, &config, &layers, limits)?;
                opened.info.manifest_digest = Some(digest);
                if let Some(name) = ref_name(&desc) {
                    opened.info.repo_tags.push(name.to_string());
                }
                return Ok(opened);
            }
        }
    }
    Err(Error::invalid(part, "indexes nested too deeply"))
}

/// Read the config a manifest names and describe its layers.
pub(crate) fn from_manifest(
    store: Store,
    config: &Descriptor,
    layers: &[Descriptor],
    limits: &crate::Limits,
) -> Result<Opened, Error> {
    let cdigest = parse_digest(&config.digest, "manifest config")?;
    let cpart = format!("config {}", short(&cdigest));
    match config.media_type.as_deref() {
        None
        | Some("application/vnd.oci.image.config.v1+json")
        | Some("application/vnd.docker.container.image.v1+json") => {}
        Some(other) => {
            return Err(Error::Unsupported {
                part: cpart,
                what: format!("artifact (config media type `{other}`), not a container image"),
            })
        }
    }
    let (config, _) = ImageConfig::read(
        &store,
        &Loc::blob(&cdigest),
        &cpart,
        limits,
        layers.len(),
        "the manifest",
    )?;
    let created_by = config.layer_history();
    let mut out = Vec::with_capacity(layers.len());
    for (i, (l, diff_id)) in layers.iter().zip(&config.diff_ids).enumerate() {
        let lpart = format!("layer {}/{}", i + 1, layers.len());
        let d = parse_digest(&l.digest, &lpart)?;
        if let Some(mt) = l.media_type.as_deref() {
            if !(mt.contains("layer") || mt.contains("rootfs")) {
                return Err(Error::Unsupported {
                    part: format!("{lpart} ({})", short(&d)),
                    what: format!("layer media type `{mt}`"),
                });
            }
        }
        out.push((
            Loc::blob(&d),
            LayerInfo {
                digest: Some(d),
                diff_id: diff_id.clone(),
                media_type: l.media_type.clone(),
                size: l.size.unwrap_or(0).max(0) as u64,
                created_by: created_by.get(i).cloned().flatten(),
            },
        ));
    }
    Ok(Opened::new(store, config, cdigest, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(digest_char: char, name: Option<&str>, arch: Option<&str>) -> Descriptor {
        Descriptor {
            media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
            digest: format!("sha256:{}", digest_char.to_string().repeat(64)),
            size: Some(1),
            annotations: name.map(|n| [(REF_NAME.to_string(), n.to_string())].into()),
            platform: arch.map(|a| DescPlatform {
                os: "linux".into(),
                architecture: a.into(),
                variant: None,
            }),
        }
    }

    #[test]
    fn selects_by_tag_digest_and_platform() {
        let p = Platform::default();
        let tagged = [desc('a', Some("1.0"), None), desc('b', Some("2.0"), None)];
        assert_eq!(
            select(&tagged, &Selector::Tag("2.0".into()), &p, "i")
                .unwrap()
                .digest,
            tagged[1].digest
        );
        assert!(select(&tagged, &Selector::Any, &p, "i")
            .unwrap_err()
            .to_string()
            .contains("choose one"));
        assert!(select(&tagged, &Selector::Tag("3".into()), &p, "i")
            .unwrap_err()
            .to_string()
            .contains("1.0, 2.0"));
        let d = Digest::parse(&tagged[0].digest).unwrap();
        assert_eq!(
            select(&tagged, &Selector::Digest(d), &p, "i")
                .unwrap()
                .digest,
            tagged[0].digest
        );
        let multi = [
            desc('a', None, Some("arm64")),
            desc('b', None, Some("amd64")),
            desc('c', None, Some("unknown")),
        ];
        assert_eq!(
            select(&multi, &Selector::Any, &p, "i").unwrap().digest,
            multi[1].digest
        );
        let arm: Platform = "linux/aarch64".parse().unwrap();
        assert_eq!(
            select(&multi, &Selector::Any, &arm, "i").unwrap().digest,
            multi[0].digest
        );
        let s390: Platform = "linux/s390x".parse().unwrap();
        assert!(select(&multi, &Selector::Any, &s390, "i")
            .unwrap_err()
            .to_string()
            .contains("available"));
        assert!(select(&multi[..1], &Selector::Any, &p, "i").is_err());
    }

    #[test]
    fn parses_docs() {
        assert!(matches!(
            parse_doc(br#"{"schemaVersion":2,"manifests":[]}"#),
            Ok(Doc::Index(_))
        ));
        assert!(parse_doc(br#"{"schemaVersion":1,"fsLayers":[]}"#).is_err());
        assert!(parse_doc(b"[]").is_err());
    }
}
