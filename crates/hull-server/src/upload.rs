//! The body of `POST /api/v1/scans`: which image, and what is installed in it.
//!
//! Accepted shapes (all JSON):
//! - `{"image": {"repository", "tag"?, "digest"?}, "inventory": <Inventory>}`: what
//!   `hull image --server` sends;
//! - `{"inventory": <Inventory>}`: the image reference is taken from the inventory;
//! - a hull JSON SBOM, CycloneDX or SPDX document (`hull sbom --format json`), read
//!   with `hull_report::read_sbom`; the reference again comes from the inventory.
//!
//! The reference taken from an inventory is its first `repo_tags` entry, else its
//! `registry:` target without the prefix (`registry:host/app:1.2` → `host/app`, `1.2`).
//! Every name is validated here ([`ImageRef::new`]): these strings end up in URLs,
//! SQL parameters and HTML, so only the reference grammar's characters are let in.

use hull_model::{Digest, Inventory};
use serde::{Deserialize, Serialize};

/// Longest repository name accepted (the OCI distribution spec's practical limit).
pub const MAX_REPOSITORY_LEN: usize = 255;
/// Longest tag (OCI distribution spec: 128 characters).
pub const MAX_TAG_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("body is not valid json: {0}")]
    Json(String),
    #[error("body has no `inventory` and is not an sbom: {0}")]
    Shape(String),
    #[error("invalid repository `{0}`: use lowercase letters, digits, `.`, `_`, `-` and `/`-separated components (a registry host may carry a :port)")]
    Repository(String),
    #[error("invalid tag `{0}`: up to 128 of letters, digits, `_`, `.`, `-`, not starting with `.` or `-`")]
    Tag(String),
    #[error("invalid digest: {0}")]
    Digest(String),
    #[error(
        "no image reference: send `image.repository` (hull image --server-image REPOSITORY[:TAG]), or an inventory with `repo_tags` or a registry target"
    )]
    NoReference,
    #[error("the image names no repository, only the tag `{0}` (an OCI index whose ref.name is a bare tag): push it with --server-image REPOSITORY[:TAG]")]
    TagOnly(String),
}

/// A validated image reference: repository, optional tag, optional digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ImageRef {
    pub repository: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl ImageRef {
    /// Validate the parts; empty tag/digest mean "none".
    pub fn new(
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> Result<Self, UploadError> {
        check_repository(repository)?;
        let tag = tag.filter(|t| !t.is_empty());
        if let Some(t) = tag {
            check_tag(t)?;
        }
        let digest = digest.filter(|d| !d.is_empty());
        if let Some(d) = digest {
            Digest::parse(d).map_err(|e| UploadError::Digest(e.to_string()))?;
        }
        Ok(ImageRef {
            repository: repository.to_string(),
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
        })
    }

    /// `repo:tag@digest` for logs and the dashboard.
    pub fn display(&self) -> String {
        let mut s = self.repository.clone();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// Parse `repository[:tag][@digest]` as users write it (`hull image --server-image`).
    pub fn parse(reference: &str) -> Result<Self, UploadError> {
        let (name, digest) = match reference.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (reference, None),
        };
        let (repo, tag) = split_tag(name);
        ImageRef::new(repo, tag, digest)
    }

    /// The reference an inventory names: its first repo tag naming a repository
    /// (`repo:tag`; an OCI index's bare-tag `ref.name` such as `1.0` names none),
    /// else its registry target; the digest is [`identity_digest`]'s.
    pub fn from_inventory(inv: &Inventory) -> Result<Self, UploadError> {
        let digest = identity_digest(inv);
        let tags = &inv.image.repo_tags;
        let bare = tags.iter().find(|t| split_tag(t).1.is_none());
        let name = tags
            .iter()
            .map(String::as_str)
            .find(|t| split_tag(t).1.is_some())
            .or_else(|| {
                // Only registry targets name an image; a file path is not a name.
                let t = inv.image.target.as_str();
                match t.split_once(':') {
                    Some(("registry" | "docker", rest)) => Some(rest),
                    _ => None,
                }
            })
            .ok_or_else(|| match bare {
                Some(t) => UploadError::TagOnly(t.chars().take(200).collect()),
                None => UploadError::NoReference,
            })?;
        let name = name.split_once('@').map_or(name, |(n, _)| n);
        let (repo, tag) = split_tag(name);
        ImageRef::new(repo, tag, digest)
    }
}

/// The digest that identifies an image version: the manifest digest when the source
/// has one (registry, OCI layout or archive), else the config digest, which is the
/// image id of a `docker save` archive (it has no manifest digest). Two different
/// images pushed under the same `repo:tag` thus stay two versions.
pub fn identity_digest(inv: &Inventory) -> Option<&str> {
    inv.image
        .manifest_digest
        .as_ref()
        .or(inv.image.config_digest.as_ref())
        .map(|d| d.as_str())
}

/// `host:5000/app:1.2` → (`host:5000/app`, `Some("1.2")`): a `:` after the last `/`.
fn split_tag(name: &str) -> (&str, Option<&str>) {
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(i) => (&name[..slash + i], Some(&name[slash + i + 1..])),
        None => (name, None),
    }
}

fn check_repository(repo: &str) -> Result<(), UploadError> {
    let bad = || UploadError::Repository(repo.chars().take(300).collect());
    if repo.is_empty() || repo.len() > MAX_REPOSITORY_LEN {
        return Err(bad());
    }
    let parts: Vec<&str> = repo.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        // The first of several components may be a registry host with a port.
        let host = i == 0 && parts.len() > 1;
        let ok_char = |b: u8| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || matches!(b, b'.' | b'_' | b'-')
                || (host && (b == b':' || b.is_ascii_uppercase()))
        };
        let bytes = part.as_bytes();
        let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
            return Err(bad());
        };
        // Components start and end alphanumeric: this alone rules out `.`, `..`
        // and hidden names.
        if !first.is_ascii_alphanumeric()
            || !(last.is_ascii_alphanumeric())
            || !bytes.iter().all(|b| ok_char(*b))
        {
            return Err(bad());
        }
    }
    Ok(())
}

fn check_tag(tag: &str) -> Result<(), UploadError> {
    let b = tag.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= MAX_TAG_LEN
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(UploadError::Tag(tag.chars().take(200).collect()))
    }
}

/// A parsed upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub image: ImageRef,
    pub inventory: Inventory,
}

#[derive(Deserialize)]
struct RawRef {
    repository: String,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    digest: Option<String>,
}

/// The body `hull image --server` sends.
#[derive(Serialize)]
pub struct UploadBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<&'a ImageRef>,
    pub inventory: &'a Inventory,
    /// The image score S of `hull image` (`{value, by_kind, by_ecosystem}`); the server
    /// accepts and ignores it for now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<serde_json::Value>,
}

/// Parse an upload body (see the module doc for the accepted shapes).
pub fn parse(body: &[u8]) -> Result<Upload, UploadError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| UploadError::Json(e.to_string()))?;
    let serde_json::Value::Object(mut map) = value else {
        return Err(UploadError::Shape("expected a json object".into()));
    };
    let Some(inv) = map.remove("inventory") else {
        // An SBOM document: its own `image` (hull JSON) is image metadata, not a
        // reference, so the reference always comes from the inventory.
        let inventory =
            hull_report::read_sbom(body).map_err(|e| UploadError::Shape(e.to_string()))?;
        let image = ImageRef::from_inventory(&inventory)?;
        return Ok(Upload { image, inventory });
    };
    let inventory: Inventory =
        serde_json::from_value(inv).map_err(|e| UploadError::Shape(e.to_string()))?;
    let image = match map.remove("image") {
        Some(serde_json::Value::Null) | None => ImageRef::from_inventory(&inventory)?,
        Some(v) => {
            let raw: RawRef = serde_json::from_value(v)
                .map_err(|e| UploadError::Shape(format!("`image`: {e}")))?;
            // A name given without a digest keeps the image's own (clients that
            // named the image must not merge different images under one tag).
            let digest = raw
                .digest
                .as_deref()
                .filter(|d| !d.is_empty())
                .or_else(|| identity_digest(&inventory));
            ImageRef::new(&raw.repository, raw.tag.as_deref(), digest)?
        }
    };
    Ok(Upload { image, inventory })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories() {
        for ok in [
            "alpine",
            "library/alpine",
            "ghcr.io/org/app",
            "localhost:5000/app",
            "a__b/c-d.e",
        ] {
            assert!(ImageRef::new(ok, None, None).is_ok(), "{ok}");
        }
        for bad in [
            "", "../etc", "a/../b", "a/./b", "/abs", "a//b", "a/", "Upper", "a b", "<script>",
            "a:1", ".hidden", "a%2f..", "a\\b",
        ] {
            assert!(ImageRef::new(bad, None, None).is_err(), "{bad}");
        }
        assert!(ImageRef::new(&"a".repeat(256), None, None).is_err());
    }

    #[test]
    fn tags_and_digests() {
        assert!(ImageRef::new("a", Some("v1.2.3-rc1_x"), None).is_ok());
        for bad in [".x", "-x", "a/b", "a:b", "<b>"] {
            assert!(ImageRef::new("a", Some(bad), None).is_err(), "{bad}");
        }
        assert!(ImageRef::new("a", Some(&"t".repeat(129)), None).is_err());
        assert!(ImageRef::new("a", None, Some("sha256:abc")).is_err());
        let d = format!("sha256:{}", "0".repeat(64));
        assert_eq!(
            ImageRef::new("a", Some("1"), Some(&d)).unwrap().display(),
            format!("a:1@{d}")
        );
    }

    #[test]
    fn reference_from_inventory() {
        let mut inv = Inventory::default();
        inv.image.target = "registry:localhost:5000/team/app:2.1".into();
        let r = ImageRef::from_inventory(&inv).unwrap();
        assert_eq!(
            (r.repository.as_str(), r.tag.as_deref()),
            ("localhost:5000/team/app", Some("2.1"))
        );
        inv.image.repo_tags = vec!["app:1.0".into()];
        assert_eq!(ImageRef::from_inventory(&inv).unwrap().display(), "app:1.0");
        inv.image.repo_tags = vec![];
        inv.image.target = "oci-archive:/tmp/x.tar".into();
        assert!(ImageRef::from_inventory(&inv).is_err());
        inv.image.target = String::new();
        assert_eq!(
            ImageRef::from_inventory(&inv),
            Err(UploadError::NoReference)
        );
        // An OCI index naming only a tag: no repository "1.0".
        inv.image.repo_tags = vec!["1.0".into()];
        inv.image.target = "oci-archive:/tmp/app-debian.oci.tar".into();
        let e = ImageRef::from_inventory(&inv).unwrap_err();
        assert_eq!(e, UploadError::TagOnly("1.0".into()));
        assert!(e.to_string().contains("--server-image"), "{e}");
        // Digests: the manifest's, else the config's (docker-archive image id).
        let (m, c) = (
            format!("sha256:{}", "a".repeat(64)),
            format!("sha256:{}", "c".repeat(64)),
        );
        inv.image.repo_tags = vec!["app:1".into()];
        inv.image.config_digest = Some(hull_model::Digest::parse(&c).unwrap());
        assert_eq!(
            ImageRef::from_inventory(&inv).unwrap().digest.as_deref(),
            Some(c.as_str())
        );
        inv.image.manifest_digest = Some(hull_model::Digest::parse(&m).unwrap());
        assert_eq!(
            ImageRef::from_inventory(&inv).unwrap().digest.as_deref(),
            Some(m.as_str())
        );
        // A name given without a digest keeps the inventory's.
        let body =
            serde_json::json!({"image": {"repository": "team/app", "tag": "2"}, "inventory": inv});
        assert_eq!(
            parse(body.to_string().as_bytes()).unwrap().image.display(),
            format!("team/app:2@{m}")
        );
    }

    #[test]
    fn bodies() {
        let inv = serde_json::to_value(Inventory::default()).unwrap();
        let body =
            serde_json::json!({"image": {"repository": "app", "tag": "1"}, "inventory": inv});
        let up = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(up.image.display(), "app:1");
        assert!(matches!(parse(b"{"), Err(UploadError::Json(_))));
        assert!(matches!(parse(b"[]"), Err(UploadError::Shape(_))));
        assert!(matches!(parse(b"{\"x\":1}"), Err(UploadError::Shape(_))));
        let body = serde_json::json!({"image": {"repository": "../x"}, "inventory": inv});
        assert!(matches!(
            parse(body.to_string().as_bytes()),
            Err(UploadError::Repository(_))
        ));
        let body = serde_json::json!({"image": {"tag": "1"}, "inventory": inv});
        assert!(matches!(
            parse(body.to_string().as_bytes()),
            Err(UploadError::Shape(_))
        ));
        // A hull JSON SBOM names its image itself.
        let mut inv = Inventory::default();
        inv.image.repo_tags = vec!["web:3".into()];
        let sbom = hull_report::write(
            &inv,
            hull_report::Format::Json,
            &hull_report::WriteOptions::fixed("2026-01-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(parse(sbom.as_bytes()).unwrap().image.display(), "web:3");
    }
}
