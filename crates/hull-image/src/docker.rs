//! `docker save` archives: `manifest.json` lists, per image, the config file, the repo
//! tags and the layer tars in order (Docker's image spec v1.2 "combined" format; newer
//! Docker versions put the same files in OCI `blobs/` paths).

use hull_model::{Digest, LayerInfo};
use serde::Deserialize;

use crate::error::short;
use crate::store::{Loc, Store};
use crate::{Error, ImageConfig, OpenOptions, Opened, Selector};

#[derive(Debug, Clone, Deserialize)]
pub struct ManifestEntry {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    pub layers: Vec<String>,
}

/// Parse a `manifest.json`.
pub fn parse_manifest(bytes: &[u8]) -> Result<Vec<ManifestEntry>, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not a docker-archive manifest: {e}"))
}

/// A digest recoverable from a content-addressed member name
/// (`blobs/sha256/<hex>`, `<hex>.json`, `<hex>.tar`).
fn digest_from_name(name: &str) -> Option<Digest> {
    if let Some(rest) = name.strip_prefix("blobs/") {
        let (alg, hex) = rest.split_once('/')?;
        return Digest::parse(&format!("{alg}:{hex}")).ok();
    }
    None
}

fn config_digest_from_name(name: &str) -> Option<Digest> {
    digest_from_name(name).or_else(|| {
        let hex = name.strip_suffix(".json")?;
        Digest::parse(&format!("sha256:{hex}")).ok()
    })
}

pub(crate) fn open_archive(
    store: Store,
    sel: &Selector,
    opts: &OpenOptions,
) -> Result<Opened, Error> {
    let limits = &opts.limits;
    let mloc = Loc {
        path: "manifest.json".into(),
        digest: None,
    };
    let bytes = store.read_small(&mloc, "manifest.json", limits)?;
    let images = parse_manifest(&bytes).map_err(|m| Error::invalid("manifest.json", m))?;
    let tags = |m: &ManifestEntry| m.repo_tags.clone().unwrap_or_default();
    let chosen = match sel {
        Selector::Any => match images.as_slice() {
            [one] => one,
            [] => return Err(Error::invalid("manifest.json", "lists no images")),
            many => {
                let all: Vec<String> = many.iter().flat_map(tags).collect();
                return Err(Error::Select {
                    part: "manifest.json".into(),
                    message: format!(
                        "archive holds {} images; choose one with `:repo:tag` (tags: {})",
                        many.len(),
                        all.join(", ")
                    ),
                });
            }
        },
        Selector::Tag(t) => images
            .iter()
            .find(|m| {
                tags(m).iter().any(|rt| {
                    rt == t || rt.ends_with(&format!(":{t}")) || rt.ends_with(&format!("/{t}"))
                })
            })
            .ok_or_else(|| Error::Select {
                part: "manifest.json".into(),
                message: format!("no image tagged `{t}`"),
            })?,
        Selector::Digest(d) => images
            .iter()
            .find(|m| config_digest_from_name(&m.config).as_ref() == Some(d))
            .ok_or_else(|| Error::Select {
                part: "manifest.json".into(),
                message: format!("no image whose config is {d}"),
            })?,
    };
    let cdigest = config_digest_from_name(&chosen.config);
    let cpart = match &cdigest {
        Some(d) => format!("config {}", short(d)),
        None => format!("config {}", chosen.config),
    };
    let cloc = Loc {
        path: chosen.config.clone(),
        digest: cdigest.clone(),
    };
    let (config, cbytes) = ImageConfig::read(
        &store,
        &cloc,
        &cpart,
        limits,
        chosen.layers.len(),
        "manifest.json",
    )?;
    let created_by = config.layer_history();
    let mut layers = Vec::with_capacity(chosen.layers.len());
    for (i, (name, diff_id)) in chosen.layers.iter().zip(&config.diff_ids).enumerate() {
        let size = match &store {
            Store::Archive(ix) => ix.size(name).unwrap_or(0),
            _ => 0,
        };
        let digest = digest_from_name(name);
        let loc = Loc {
            path: name.clone(),
            digest: digest.clone(),
        };
        layers.push((
            loc,
            LayerInfo {
                digest,
                diff_id: diff_id.clone(),
                media_type: None,
                size,
                created_by: created_by.get(i).cloned().flatten(),
            },
        ));
    }
    let config_digest = crate::store::digest_of(&cbytes, "sha256");
    let mut opened = Opened::new(store, config, config_digest, layers);
    opened.info.repo_tags = tags(chosen);
    Ok(opened)
}
