//! SPDX 2.3 JSON: writes and reads (<https://spdx.github.io/spdx-spec/v2.3/>).
//!
//! Layout written: the image is a package with `primaryPackagePurpose: CONTAINER` that
//! the document DESCRIBES; it CONTAINS the distro (`OPERATING-SYSTEM`) and every package
//! (`LIBRARY`). Each package carries its purl as a `PACKAGE-MANAGER` external reference
//! and hull's facts (file, layer, analyzer…) as `OTHER` annotations `hull:key=value`,
//! because SPDX 2.3 has no free-form properties. Licences not on the SPDX list become
//! `LicenseRef-` ids with the original text in `hasExtractedLicensingInfos`.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use hull_model::{Digest, Distro, ImageInfo, ImagePath, Inventory, LayerInfo, Package};

use crate::common::{self, Hints};
use crate::{document_uuid, sorted_packages, ReadError, WriteOptions};

const NOASSERTION: &str = "NOASSERTION";

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Document {
    #[serde(default)]
    spdx_version: String,
    #[serde(default)]
    data_license: String,
    #[serde(rename = "SPDXID", default)]
    spdxid: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    document_namespace: String,
    #[serde(default)]
    creation_info: CreationInfo,
    #[serde(default)]
    packages: Vec<SpdxPackage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    relationships: Vec<Relationship>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicence>,
}

#[derive(Serialize, Deserialize, Default)]
struct CreationInfo {
    #[serde(default)]
    creators: Vec<String>,
    #[serde(default)]
    created: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID", default)]
    spdxid: String,
    #[serde(default)]
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    #[serde(default)]
    download_location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    files_analyzed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    license_concluded: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    license_declared: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    copyright_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<Annotation>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: String,
    checksum_value: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    #[serde(default)]
    reference_category: String,
    #[serde(default)]
    reference_type: String,
    #[serde(default)]
    reference_locator: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Annotation {
    #[serde(default)]
    annotation_date: String,
    #[serde(default)]
    annotation_type: String,
    #[serde(default)]
    annotator: String,
    #[serde(default)]
    comment: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: String,
    related_spdx_element: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicence {
    license_id: String,
    #[serde(default)]
    extracted_text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

/// `[A-Za-z0-9.-]` only, as SPDX ids require; anything else becomes `-`.
fn safe_id(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    out.truncate(80);
    out
}

fn short_hash(s: &str) -> String {
    Sha256::digest(s.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Writer<'a> {
    opts: &'a WriteOptions,
    annotator: String,
    /// Licence text -> LicenseRef id, in first-seen order via BTreeMap for determinism.
    refs: BTreeMap<String, String>,
}

impl Writer<'_> {
    fn annotate(&self, key: &str, value: &str) -> Annotation {
        Annotation {
            annotation_date: self.opts.timestamp.clone(),
            annotation_type: "OTHER".into(),
            annotator: self.annotator.clone(),
            comment: format!("{key}={value}"),
        }
    }

    /// The `licenseDeclared` expression for a package's licences.
    fn licence_expr(&mut self, licences: &[String]) -> String {
        if licences.is_empty() {
            return NOASSERTION.into();
        }
        let parts: Vec<String> = licences
            .iter()
            .map(|l| match common::spdx_id(l) {
                Some(id) => id.to_string(),
                None => {
                    let id = format!("LicenseRef-{}-{}", safe_id(l), short_hash(l));
                    self.refs.entry(l.clone()).or_insert(id).clone()
                }
            })
            .collect();
        parts.join(" AND ")
    }

    fn package(&mut self, p: &Package, id: String) -> SpdxPackage {
        let mut ann = vec![
            self.annotate(common::P_FOUND_BY, &p.found_by),
            self.annotate(common::P_PATH, &p.path.to_string()),
        ];
        let mut opt = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                ann.push(self.annotate(k, v));
            }
        };
        opt(common::P_LAYER, &p.layer.as_ref().map(|d| d.to_string()));
        opt(common::P_ARCH, &p.arch);
        opt(common::P_SOURCE_NAME, &p.source_name);
        opt(common::P_SOURCE_VERSION, &p.source_version);
        opt(common::P_MODULARITY, &p.modularity_label);
        if p.dev {
            ann.push(self.annotate(common::P_DEV, "true"));
        }
        if p.root {
            ann.push(self.annotate(common::P_ROOT, "true"));
        }
        for (k, v) in &p.properties {
            ann.push(self.annotate(&format!("{}{k}", common::P_PROPERTY), v));
        }
        let source_info = p.source_name.as_ref().map(|s| match &p.source_version {
            Some(v) => format!("built package from: {s} {v}"),
            None => format!("built package from: {s}"),
        });
        SpdxPackage {
            spdxid: id,
            name: p.name.clone(),
            version_info: (!p.version.is_empty()).then(|| p.version.clone()),
            download_location: NOASSERTION.into(),
            files_analyzed: Some(false),
            license_concluded: Some(NOASSERTION.into()),
            license_declared: Some(self.licence_expr(&p.licenses)),
            copyright_text: Some(NOASSERTION.into()),
            source_info,
            primary_package_purpose: Some(if p.root { "APPLICATION" } else { "LIBRARY" }.into()),
            checksums: Vec::new(),
            external_refs: vec![ExternalRef {
                reference_category: "PACKAGE-MANAGER".into(),
                reference_type: "purl".into(),
                reference_locator: p.purl.to_string(),
            }],
            annotations: ann,
        }
    }
}

fn bare(name: String, id: String, purpose: &str) -> SpdxPackage {
    SpdxPackage {
        spdxid: id,
        name,
        download_location: NOASSERTION.into(),
        files_analyzed: Some(false),
        license_concluded: Some(NOASSERTION.into()),
        license_declared: Some(NOASSERTION.into()),
        copyright_text: Some(NOASSERTION.into()),
        primary_package_purpose: Some(purpose.into()),
        ..SpdxPackage::default()
    }
}

fn rel(a: &str, ty: &str, b: &str) -> Relationship {
    Relationship {
        spdx_element_id: a.into(),
        relationship_type: ty.into(),
        related_spdx_element: b.into(),
    }
}

/// The SPDX 2.3 document for `inv`.
pub fn to_value(inv: &Inventory, opts: &WriteOptions) -> Result<Value, serde_json::Error> {
    let uuid = document_uuid(inv, opts);
    let mut w = Writer {
        opts,
        annotator: format!("Tool: hull-{}", opts.tool_version),
        refs: BTreeMap::new(),
    };
    let img = &inv.image;
    let image_id = "SPDXRef-Image".to_string();
    let mut image = bare(img.target.clone(), image_id.clone(), "CONTAINER");
    image.version_info = img.manifest_digest.as_ref().map(|d| d.to_string());
    image.checksums = img
        .manifest_digest
        .iter()
        .filter_map(|d| {
            let alg = match d.algorithm() {
                "sha256" => "SHA256",
                "sha512" => "SHA512",
                _ => return None,
            };
            Some(Checksum {
                algorithm: alg.into(),
                checksum_value: d.hex().into(),
            })
        })
        .collect();
    let mut ia = vec![w.annotate("hull:image:target", &img.target)];
    let mut iopt = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            ia.push(w.annotate(k, &v));
        }
    };
    iopt(
        "hull:image:manifest-digest",
        img.manifest_digest.as_ref().map(|d| d.to_string()),
    );
    iopt(
        "hull:image:config-digest",
        img.config_digest.as_ref().map(|d| d.to_string()),
    );
    iopt("hull:image:os", img.os.clone());
    iopt("hull:image:architecture", img.architecture.clone());
    for t in &img.repo_tags {
        ia.push(w.annotate("hull:image:repo-tag", t));
    }
    for (i, l) in img.layers.iter().enumerate() {
        // One annotation per layer, space separated: `diff_id digest size media-type`.
        let v = format!(
            "{} {} {} {}",
            l.diff_id,
            l.digest.as_ref().map(|d| d.as_str()).unwrap_or("-"),
            l.size,
            l.media_type.as_deref().unwrap_or("-"),
        );
        ia.push(w.annotate(&format!("hull:image:layer:{i}"), &v));
        if let Some(c) = &l.created_by {
            ia.push(w.annotate(&format!("hull:image:layer:{i}:created-by"), c));
        }
    }
    image.annotations = ia;

    let mut packages = vec![image];
    let mut relationships = vec![rel("SPDXRef-DOCUMENT", "DESCRIBES", &image_id)];
    if let Some(d) = &inv.distro {
        let id = format!("SPDXRef-OperatingSystem-{}", safe_id(&d.id));
        let mut os = bare(d.id.clone(), id.clone(), "OPERATING-SYSTEM");
        os.version_info = Some(d.version_id.clone());
        let mut ann = vec![w.annotate("hull:distro:path", &d.path.to_string())];
        if let Some(c) = &d.codename {
            ann.push(w.annotate("hull:distro:codename", c));
        }
        if let Some(p) = &d.pretty_name {
            ann.push(w.annotate("hull:distro:pretty-name", p));
        }
        if !d.id_like.is_empty() {
            ann.push(w.annotate("hull:distro:id-like", &d.id_like.join(" ")));
        }
        os.annotations = ann;
        packages.push(os);
        relationships.push(rel(&image_id, "CONTAINS", &id));
    }
    let mut seen = HashSet::new();
    // ref_id -> SPDX id of the first package with it, for DEPENDS_ON.
    let mut ids = std::collections::HashMap::new();
    let mut graph = Vec::new();
    for p in sorted_packages(inv) {
        let base = format!(
            "SPDXRef-Package-{}-{}-{}",
            p.ecosystem,
            safe_id(&p.name),
            short_hash(&p.ref_id())
        );
        let mut id = base.clone();
        let mut n = 1;
        while !seen.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        packages.push(w.package(p, id.clone()));
        relationships.push(rel(&image_id, "CONTAINS", &id));
        ids.entry(p.ref_id()).or_insert_with(|| id.clone());
        if !p.depends_on.is_empty() {
            graph.push((id, &p.depends_on));
        }
    }
    // The dependency graph; edges to packages the document does not hold are dropped.
    for (from, to) in graph {
        let mut targets: Vec<&String> = to.iter().filter_map(|t| ids.get(t)).collect();
        targets.sort();
        targets.dedup();
        for t in targets {
            relationships.push(rel(&from, "DEPENDS_ON", t));
        }
    }

    let doc = Document {
        spdx_version: "SPDX-2.3".into(),
        data_license: "CC0-1.0".into(),
        spdxid: "SPDXRef-DOCUMENT".into(),
        name: if img.target.is_empty() {
            "hull-sbom".into()
        } else {
            img.target.clone()
        },
        // A URI unique per document; no `#` allowed (SPDX 2.3 §6.5).
        document_namespace: format!("urn:uuid:{uuid}"),
        creation_info: CreationInfo {
            creators: vec![w.annotator.clone()],
            created: opts.timestamp.clone(),
        },
        packages,
        relationships,
        has_extracted_licensing_infos: w
            .refs
            .iter()
            .map(|(text, id)| ExtractedLicence {
                license_id: id.clone(),
                extracted_text: text.clone(),
                name: Some(text.clone()),
            })
            .collect(),
    };
    serde_json::to_value(doc)
}

/// Annotation comments as name/value pairs: hull writes `hull:key=value`; Trivy writes
/// `Key: value`, mapped to its CycloneDX property names so one lookup serves both.
fn annotation_props(p: &SpdxPackage) -> Vec<(String, String)> {
    p.annotations
        .iter()
        .filter_map(|a| {
            if a.comment.starts_with("hull:") {
                let (k, v) = a.comment.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            } else {
                let (k, v) = a.comment.split_once(": ")?;
                Some((format!("aquasecurity:trivy:{k}"), v.to_string()))
            }
        })
        .collect()
}

fn lookup<'a>(props: &'a [(String, String)], name: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Read an SPDX 2.2/2.3 JSON document already parsed as JSON.
pub fn from_value(value: Value) -> Result<Inventory, ReadError> {
    let doc: Document = serde_json::from_value(value).map_err(|source| ReadError::Shape {
        format: "spdx",
        source,
    })?;
    if !matches!(doc.spdx_version.as_str(), "SPDX-2.2" | "SPDX-2.3") {
        return Err(ReadError::Version {
            format: "spdx",
            version: doc.spdx_version,
        });
    }
    let licence_text: BTreeMap<&str, &str> = doc
        .has_extracted_licensing_infos
        .iter()
        .map(|e| {
            let text = e
                .name
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(&e.extracted_text);
            (e.license_id.as_str(), text)
        })
        .collect();

    let mut inv = Inventory::default();
    let mut diags = Vec::new();
    let mut depends: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in doc
        .relationships
        .iter()
        .filter(|r| r.relationship_type == "DEPENDS_ON")
    {
        depends
            .entry(r.spdx_element_id.as_str())
            .or_default()
            .push(r.related_spdx_element.as_str());
    }
    // SPDX id -> (index in inv.packages, ref_id) of the packages read.
    let mut read: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    for p in &doc.packages {
        let props = annotation_props(p);
        match p.primary_package_purpose.as_deref() {
            Some("CONTAINER") => {
                inv.image = image_from(p, &props);
                continue;
            }
            Some("OPERATING-SYSTEM") => {
                inv.distro.get_or_insert_with(|| Distro {
                    id: p.name.clone(),
                    version_id: p.version_info.clone().unwrap_or_default(),
                    codename: lookup(&props, "hull:distro:codename").map(str::to_string),
                    pretty_name: lookup(&props, "hull:distro:pretty-name").map(str::to_string),
                    id_like: lookup(&props, "hull:distro:id-like")
                        .map(|s| s.split_whitespace().map(str::to_string).collect())
                        .unwrap_or_default(),
                    path: lookup(&props, "hull:distro:path")
                        .and_then(|s| ImagePath::new(s).ok())
                        .unwrap_or_default(),
                });
                continue;
            }
            _ => {}
        }
        let Some(purl) = p
            .external_refs
            .iter()
            .find(|r| r.reference_type == "purl")
            .map(|r| r.reference_locator.as_str())
        else {
            continue;
        };
        let licenses = p
            .license_declared
            .as_deref()
            .filter(|l| !matches!(*l, NOASSERTION | "NONE" | ""))
            .map(|l| {
                l.split(" AND ")
                    .map(|part| {
                        let part = part.trim();
                        licence_text.get(part).copied().unwrap_or(part).to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let hints = Hints {
            name: Some(p.name.clone()),
            version: p.version_info.clone(),
            licenses,
            props,
        };
        if let Some(pkg) = common::package_from(purl, &hints, "spdx", &mut diags) {
            read.insert(p.spdxid.as_str(), (inv.packages.len(), pkg.ref_id()));
            inv.packages.push(pkg);
        }
    }
    for (from, to) in &depends {
        let Some((i, _)) = read.get(from) else {
            continue;
        };
        let mut d: Vec<String> = to
            .iter()
            .filter_map(|t| read.get(t).map(|(_, r)| r.clone()))
            .collect();
        d.sort();
        d.dedup();
        inv.packages[*i].depends_on = d;
    }
    if inv.distro.is_none() {
        inv.distro = common::distro_from_purls(&inv.packages);
    }
    common::sort_packages(&mut inv.packages);
    inv.diagnostics = diags;
    Ok(inv)
}

fn image_from(p: &SpdxPackage, props: &[(String, String)]) -> ImageInfo {
    let digest = |k: &str| lookup(props, k).and_then(|d| Digest::parse(d).ok());
    let mut info = ImageInfo {
        target: lookup(props, "hull:image:target")
            .unwrap_or(&p.name)
            .to_string(),
        manifest_digest: digest("hull:image:manifest-digest").or_else(|| {
            p.version_info
                .as_deref()
                .and_then(|v| Digest::parse(v).ok())
        }),
        config_digest: digest("hull:image:config-digest"),
        repo_tags: props
            .iter()
            .filter(|(k, _)| k == "hull:image:repo-tag")
            .map(|(_, v)| v.clone())
            .collect(),
        os: lookup(props, "hull:image:os").map(str::to_string),
        architecture: lookup(props, "hull:image:architecture").map(str::to_string),
        layers: Vec::new(),
    };
    for i in 0.. {
        let Some(v) = lookup(props, &format!("hull:image:layer:{i}")) else {
            break;
        };
        let mut f = v.split(' ');
        let Some(diff_id) = f.next().and_then(|d| Digest::parse(d).ok()) else {
            break;
        };
        let digest = f.next().and_then(|d| Digest::parse(d).ok());
        let size = f.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let media_type = f.next().filter(|m| *m != "-").map(str::to_string);
        info.layers.push(LayerInfo {
            digest,
            diff_id,
            media_type,
            size,
            created_by: lookup(props, &format!("hull:image:layer:{i}:created-by"))
                .map(str::to_string),
        });
    }
    info
}
