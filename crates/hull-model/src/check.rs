//! Content findings: what `hull image` finds in the files and configuration of an image
//! beyond vulnerable packages — secrets, insecure files, risky image configuration.
//!
//! Every finding is tied to a rule or check id and a place: a file of the image (with
//! the layer that added it, and the layer that deleted it when a later layer removed
//! it), the image config or a build-history step.

use serde::{Deserialize, Serialize};

use crate::{Digest, ImagePath, Severity};

/// What kind of content finding. The kebab-case names are the JSON `kind` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// A credential or key (`rule` is a secret rule id such as `github-pat`).
    Secret,
    /// An insecure file or file setting (`rule` is a `file:*` check id).
    File,
    /// Risky image configuration (`rule` is a `dockerfile:*` check id, shared with
    /// `hull config`).
    Config,
}

impl CheckKind {
    pub const ALL: [CheckKind; 3] = [CheckKind::Secret, CheckKind::File, CheckKind::Config];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Secret => "secret",
            CheckKind::File => "file",
            CheckKind::Config => "config",
        }
    }
}

/// Where in the image a content finding is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "in", rename_all = "kebab-case")]
pub enum CheckLocation {
    /// A file of one layer.
    File {
        path: ImagePath,
        /// diff_id of the layer whose copy of the file holds the finding.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        layer: Option<Digest>,
        /// Set when a later layer deleted or replaced the file: the finding is not in
        /// the final filesystem but still extractable from the image.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deleted_in: Option<Digest>,
    },
    /// The image configuration (`Env`, `Labels`, `User`, …); `field` names the entry
    /// (`Env:DB_PASSWORD`, `Labels:maintainer`, `User`).
    Config { field: String },
    /// The `created_by` line of build-history step `step` (0-based).
    History { step: usize },
}

impl CheckLocation {
    /// The file path, for file locations.
    pub fn path(&self) -> Option<&ImagePath> {
        match self {
            CheckLocation::File { path, .. } => Some(path),
            _ => None,
        }
    }

    /// True when a later layer deleted or replaced the file.
    pub fn is_deleted(&self) -> bool {
        matches!(
            self,
            CheckLocation::File {
                deleted_in: Some(_),
                ..
            }
        )
    }

    /// A short human form: `app/.env`, `app/.env (deleted in layer sha256:…)`,
    /// `config Env:DB_PASSWORD`, `history step 3`.
    pub fn describe(&self) -> String {
        match self {
            CheckLocation::File {
                path,
                deleted_in: Some(d),
                ..
            } => format!(
                "{path} (deleted in layer {}:{})",
                d.algorithm(),
                d.hex().get(..12).unwrap_or(d.hex())
            ),
            CheckLocation::File { path, .. } => path.to_string(),
            CheckLocation::Config { field } => format!("config {field}"),
            CheckLocation::History { step } => format!("history step {step}"),
        }
    }
}

/// One secret, insecure file or image-config finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckFinding {
    pub kind: CheckKind,
    /// Stable kebab-case rule or check id (`github-pat`, `file:setuid`,
    /// `dockerfile:root-user`), documented in `docs/`.
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub location: CheckLocation,
    /// 1-based line in the file (or in the config value), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// What exactly is wrong, in one line.
    pub message: String,
    /// Secrets only: the matched line with the secret masked, capped in length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// Secrets only: `sha256:…` of the secret, for `.hullignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

impl CheckFinding {
    /// Report order: kind, place, line, rule.
    pub fn sort_key(&self) -> (CheckKind, &CheckLocation, Option<u32>, &str, Option<u32>) {
        (
            self.kind,
            &self.location,
            self.line,
            self.rule.as_str(),
            self.column,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_stable() {
        let f = CheckFinding {
            kind: CheckKind::Secret,
            rule: "github-pat".into(),
            title: "GitHub personal access token".into(),
            severity: Severity::Critical,
            location: CheckLocation::File {
                path: ImagePath::new("tmp/t").unwrap(),
                layer: None,
                deleted_in: Some(Digest::sha256_from_bytes(&[1; 32])),
            },
            line: Some(1),
            column: Some(1),
            message: "m".into(),
            excerpt: Some("ghp_****".into()),
            fingerprint: Some("sha256:00".into()),
        };
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["kind"], "secret");
        assert_eq!(v["location"]["in"], "file");
        assert!(f.location.is_deleted());
        assert!(f.location.describe().contains("deleted in layer"));
        let back: CheckFinding = serde_json::from_value(v).unwrap();
        assert_eq!(back, f);
        let c = CheckLocation::Config {
            field: "Env:X".into(),
        };
        assert_eq!(serde_json::to_value(&c).unwrap()["in"], "config");
    }
}
