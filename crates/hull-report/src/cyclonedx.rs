//! CycloneDX JSON: writes 1.6, reads 1.2–1.6
//! (<https://cyclonedx.org/docs/1.6/json/>).
//!
//! Layout written: `metadata.component` is the image (`type: container`, its manifest
//! digest as version and hash, layers as properties); the distro is an
//! `operating-system` component; every package is a `library` component whose `bom-ref`
//! is [`Package::ref_id`], with hull's facts (file, layer, analyzer, source package) as
//! `hull:*` properties so the document reads back into the same inventory.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use hull_model::{Digest, Distro, ImageInfo, ImagePath, Inventory, LayerInfo};

use crate::common::{self, Hints};
use crate::{document_uuid, sorted_packages, ReadError, WriteOptions};

const SPEC_VERSION: &str = "1.6";

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Bom {
    #[serde(default)]
    bom_format: String,
    #[serde(default)]
    spec_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    serial_number: Option<String>,
    #[serde(default)]
    version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata>,
    #[serde(default)]
    components: Vec<Component>,
    /// The dependency graph: one entry per package that records direct dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<Dependency>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
}

#[derive(Serialize, Deserialize, Default)]
struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    /// 1.5+ writes `{components: [...]}`, 1.4 an array of tools: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tools: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    component: Option<Component>,
}

#[derive(Serialize, Deserialize, Default)]
struct Component {
    #[serde(rename = "bom-ref", default, skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(rename = "type", default)]
    ty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    /// Kept as JSON: licence entries come as `{license: {id|name}}` or `{expression}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
}

#[derive(Serialize, Deserialize)]
struct Hash {
    alg: String,
    content: String,
}

#[derive(Serialize, Deserialize)]
struct Property {
    name: String,
    #[serde(default)]
    value: String,
}

fn prop(name: &str, value: impl Into<String>) -> Property {
    Property {
        name: name.to_string(),
        value: value.into(),
    }
}

fn licence_entry(l: &str) -> Value {
    if let Some(id) = common::spdx_id(l) {
        serde_json::json!({ "license": { "id": id } })
    } else if [" AND ", " OR ", " WITH "].iter().any(|op| l.contains(op)) {
        serde_json::json!({ "expression": l })
    } else {
        serde_json::json!({ "license": { "name": l } })
    }
}

/// The CycloneDX 1.6 document for `inv`.
pub fn to_value(inv: &Inventory, opts: &WriteOptions) -> Result<Value, serde_json::Error> {
    let img = &inv.image;
    let mut iprops = vec![prop("hull:image:target", &img.target)];
    if let Some(d) = &img.manifest_digest {
        iprops.push(prop("hull:image:manifest-digest", d.as_str()));
    }
    if let Some(d) = &img.config_digest {
        iprops.push(prop("hull:image:config-digest", d.as_str()));
    }
    if let Some(os) = &img.os {
        iprops.push(prop("hull:image:os", os));
    }
    if let Some(a) = &img.architecture {
        iprops.push(prop("hull:image:architecture", a));
    }
    for t in &img.repo_tags {
        iprops.push(prop("hull:image:repo-tag", t));
    }
    for (i, l) in img.layers.iter().enumerate() {
        let p = |k: &str| format!("hull:image:layer:{i}:{k}");
        iprops.push(prop(&p("diff-id"), l.diff_id.as_str()));
        if let Some(d) = &l.digest {
            iprops.push(prop(&p("digest"), d.as_str()));
        }
        if let Some(m) = &l.media_type {
            iprops.push(prop(&p("media-type"), m));
        }
        iprops.push(prop(&p("size"), l.size.to_string()));
        if let Some(c) = &l.created_by {
            iprops.push(prop(&p("created-by"), c));
        }
    }
    let image_component = Component {
        bom_ref: Some(format!("image:{}", img.target)),
        ty: "container".into(),
        name: img.target.clone(),
        version: img.manifest_digest.as_ref().map(|d| d.to_string()),
        hashes: img
            .manifest_digest
            .iter()
            .filter_map(|d| {
                let alg = match d.algorithm() {
                    "sha256" => "SHA-256",
                    "sha512" => "SHA-512",
                    _ => return None,
                };
                Some(Hash {
                    alg: alg.into(),
                    content: d.hex().into(),
                })
            })
            .collect(),
        properties: iprops,
        ..Component::default()
    };

    let mut components = Vec::new();
    if let Some(d) = &inv.distro {
        let mut props = vec![prop("hull:distro:path", d.path.to_string())];
        if let Some(c) = &d.codename {
            props.push(prop("hull:distro:codename", c));
        }
        if let Some(p) = &d.pretty_name {
            props.push(prop("hull:distro:pretty-name", p));
        }
        if !d.id_like.is_empty() {
            props.push(prop("hull:distro:id-like", d.id_like.join(" ")));
        }
        components.push(Component {
            bom_ref: Some(format!("os:{}@{}", d.id, d.version_id)),
            ty: "operating-system".into(),
            name: d.id.clone(),
            version: Some(d.version_id.clone()),
            properties: props,
            ..Component::default()
        });
    }
    let mut seen = std::collections::HashSet::new();
    // ref_id -> the bom-ref of the first package with it, for the dependency graph.
    let mut refs = std::collections::HashMap::new();
    let mut graph = Vec::new();
    for p in sorted_packages(inv) {
        // bom-refs must be unique; two identical findings in one file would collide.
        let mut bom_ref = p.ref_id();
        let mut n = 1;
        while !seen.insert(bom_ref.clone()) {
            n += 1;
            bom_ref = format!("{}#{n}", p.ref_id());
        }
        refs.entry(p.ref_id()).or_insert_with(|| bom_ref.clone());
        if !p.depends_on.is_empty() {
            graph.push((bom_ref.clone(), &p.depends_on));
        }
        let mut props = vec![
            prop(common::P_FOUND_BY, &p.found_by),
            prop(common::P_PATH, p.path.to_string()),
        ];
        if let Some(l) = &p.layer {
            props.push(prop(common::P_LAYER, l.as_str()));
        }
        if let Some(a) = &p.arch {
            props.push(prop(common::P_ARCH, a));
        }
        if let Some(s) = &p.source_name {
            props.push(prop(common::P_SOURCE_NAME, s));
        }
        if let Some(s) = &p.source_version {
            props.push(prop(common::P_SOURCE_VERSION, s));
        }
        if let Some(m) = &p.modularity_label {
            props.push(prop(common::P_MODULARITY, m));
        }
        if p.dev {
            props.push(prop(common::P_DEV, "true"));
        }
        if p.root {
            props.push(prop(common::P_ROOT, "true"));
        }
        for (k, v) in &p.properties {
            props.push(prop(&format!("{}{k}", common::P_PROPERTY), v));
        }
        components.push(Component {
            bom_ref: Some(bom_ref),
            // A lockfile's root project or a binary's main module is what was built.
            ty: if p.root { "application" } else { "library" }.into(),
            name: p.name.clone(),
            version: (!p.version.is_empty()).then(|| p.version.clone()),
            licenses: p.licenses.iter().map(|l| licence_entry(l)).collect(),
            purl: Some(p.purl.to_string()),
            properties: props,
            ..Component::default()
        });
    }

    let bom = Bom {
        bom_format: "CycloneDX".into(),
        spec_version: SPEC_VERSION.into(),
        serial_number: Some(format!("urn:uuid:{}", document_uuid(inv, opts))),
        version: 1,
        metadata: Some(Metadata {
            timestamp: Some(opts.timestamp.clone()),
            tools: Some(serde_json::json!({
                "components": [{
                    "type": "application",
                    "name": "hull",
                    "version": opts.tool_version,
                }]
            })),
            component: Some(image_component),
        }),
        components,
        dependencies: dependency_graph(&graph, &refs),
    };
    serde_json::to_value(bom)
}

/// `dependencies` entries: edges to packages the document does not hold (a dev
/// dependency left out, a non-registry version skipped) are dropped.
fn dependency_graph(
    graph: &[(String, &Vec<String>)],
    refs: &std::collections::HashMap<String, String>,
) -> Vec<Dependency> {
    let mut out: Vec<Dependency> = graph
        .iter()
        .filter_map(|(from, to)| {
            let mut depends_on: Vec<String> =
                to.iter().filter_map(|t| refs.get(t).cloned()).collect();
            depends_on.sort();
            depends_on.dedup();
            (!depends_on.is_empty()).then(|| Dependency {
                reference: from.clone(),
                depends_on,
            })
        })
        .collect();
    out.sort_by(|a, b| a.reference.cmp(&b.reference));
    out
}

/// Read a CycloneDX JSON document already parsed as JSON.
pub fn from_value(value: Value) -> Result<Inventory, ReadError> {
    let bom: Bom = serde_json::from_value(value).map_err(|source| ReadError::Shape {
        format: "cyclonedx",
        source,
    })?;
    if bom.bom_format != "CycloneDX" {
        return Err(ReadError::Version {
            format: "cyclonedx",
            version: format!("bomFormat {}", bom.bom_format),
        });
    }
    if !matches!(
        bom.spec_version.as_str(),
        "1.2" | "1.3" | "1.4" | "1.5" | "1.6"
    ) {
        return Err(ReadError::Version {
            format: "cyclonedx",
            version: bom.spec_version,
        });
    }

    let mut inv = Inventory::default();
    let mut diags = Vec::new();
    if let Some(c) = bom.metadata.as_ref().and_then(|m| m.component.as_ref()) {
        inv.image = image_from(c);
    }
    let edges: std::collections::HashMap<&str, &Vec<String>> = bom
        .dependencies
        .iter()
        .map(|d| (d.reference.as_str(), &d.depends_on))
        .collect();
    // bom-ref -> the ref_id of the package read from that component.
    let mut ref_ids = std::collections::HashMap::new();
    let mut read_edges = Vec::new();
    let mut stack: Vec<&Component> = bom.components.iter().rev().collect();
    while let Some(c) = stack.pop() {
        // Nested components (assemblies) are flattened: a package inside an application
        // is still installed in the image.
        stack.extend(c.components.iter().rev());
        if c.ty == "operating-system" {
            if inv.distro.is_none() {
                inv.distro = Some(distro_from(c));
            }
            continue;
        }
        let Some(purl) = c.purl.as_deref().filter(|p| !p.is_empty()) else {
            // Files and applications without a purl group packages; nothing to keep.
            continue;
        };
        let name = match c.group.as_deref().filter(|g| !g.is_empty()) {
            Some(g) if purl.starts_with("pkg:maven/") => format!("{g}:{}", c.name),
            Some(g) => format!("{g}/{}", c.name),
            None => c.name.clone(),
        };
        let hints = Hints {
            name: Some(name),
            version: c.version.clone(),
            licenses: c.licenses.iter().filter_map(licence_text).collect(),
            props: c
                .properties
                .iter()
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect(),
        };
        if let Some(p) = common::package_from(purl, &hints, "cyclonedx", &mut diags) {
            if let Some(r) = c.bom_ref.as_deref() {
                ref_ids.insert(r, p.ref_id());
                if let Some(to) = edges.get(r) {
                    read_edges.push((inv.packages.len(), *to));
                }
            }
            inv.packages.push(p);
        }
    }
    for (i, to) in read_edges {
        let mut d: Vec<String> = to
            .iter()
            .filter_map(|t| ref_ids.get(t.as_str()).cloned())
            .collect();
        d.sort();
        d.dedup();
        inv.packages[i].depends_on = d;
    }
    if inv.distro.is_none() {
        inv.distro = common::distro_from_purls(&inv.packages);
    }
    common::sort_packages(&mut inv.packages);
    inv.diagnostics = diags;
    Ok(inv)
}

fn licence_text(v: &Value) -> Option<String> {
    let s = v
        .get("expression")
        .or_else(|| v.get("license").and_then(|l| l.get("id")))
        .or_else(|| v.get("license").and_then(|l| l.get("name")))?
        .as_str()?;
    (!s.is_empty()).then(|| s.to_string())
}

fn find<'a>(c: &'a Component, name: &str) -> Option<&'a str> {
    c.properties
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

fn distro_from(c: &Component) -> Distro {
    Distro {
        id: c.name.clone(),
        version_id: c.version.clone().unwrap_or_default(),
        codename: find(c, "hull:distro:codename").map(str::to_string),
        pretty_name: find(c, "hull:distro:pretty-name").map(str::to_string),
        id_like: find(c, "hull:distro:id-like")
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        path: find(c, "hull:distro:path")
            .and_then(|p| ImagePath::new(p).ok())
            .unwrap_or_default(),
    }
}

fn image_from(c: &Component) -> ImageInfo {
    let digest = |name: &str| find(c, name).and_then(|d| Digest::parse(d).ok());
    let mut info = ImageInfo {
        target: find(c, "hull:image:target").unwrap_or(&c.name).to_string(),
        manifest_digest: digest("hull:image:manifest-digest")
            .or_else(|| c.version.as_deref().and_then(|v| Digest::parse(v).ok())),
        config_digest: digest("hull:image:config-digest")
            .or_else(|| digest("aquasecurity:trivy:ImageID")),
        repo_tags: c
            .properties
            .iter()
            .filter(|p| p.name == "hull:image:repo-tag")
            .map(|p| p.value.clone())
            .collect(),
        os: find(c, "hull:image:os").map(str::to_string),
        architecture: find(c, "hull:image:architecture").map(str::to_string),
        layers: Vec::new(),
    };
    for i in 0.. {
        let p = |k: &str| format!("hull:image:layer:{i}:{k}");
        let Some(diff_id) = find(c, &p("diff-id")).and_then(|d| Digest::parse(d).ok()) else {
            break;
        };
        info.layers.push(LayerInfo {
            digest: find(c, &p("digest")).and_then(|d| Digest::parse(d).ok()),
            diff_id,
            media_type: find(c, &p("media-type")).map(str::to_string),
            size: find(c, &p("size"))
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
            created_by: find(c, &p("created-by")).map(str::to_string),
        });
    }
    if info.layers.is_empty() {
        // Trivy lists the diff_ids comma-separated in one property.
        if let Some(ids) = find(c, "aquasecurity:trivy:DiffID") {
            info.layers = ids
                .split(',')
                .filter_map(|d| Digest::parse(d.trim()).ok())
                .map(|diff_id| LayerInfo {
                    digest: None,
                    diff_id,
                    media_type: None,
                    size: 0,
                    created_by: None,
                })
                .collect();
        }
    }
    info
}
