//! The image configuration (OCI image-spec `config.md`, Docker's superset of it).

use std::collections::BTreeMap;

use hull_model::Digest;
use serde::Deserialize;

/// The parsed image configuration. Fields absent from the JSON are empty / `None`;
/// [`ImageConfig::raw`] keeps the whole document for checks that need more.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageConfig {
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub variant: Option<String>,
    pub created: Option<String>,
    pub user: Option<String>,
    pub env: Vec<String>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub working_dir: Option<String>,
    /// `8080/tcp`, sorted.
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub stop_signal: Option<String>,
    pub healthcheck: Option<Healthcheck>,
    pub history: Vec<History>,
    /// `rootfs.diff_ids`: digests of the uncompressed layer tars, base first.
    pub diff_ids: Vec<Digest>,
    pub raw: serde_json::Value,
}

/// Docker's `Healthcheck` (not in the OCI spec, but written by every builder).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Healthcheck {
    #[serde(rename = "Test", default)]
    pub test: Vec<String>,
    /// Nanoseconds, as Docker stores them.
    #[serde(rename = "Interval", default)]
    pub interval: Option<i64>,
    #[serde(rename = "Timeout", default)]
    pub timeout: Option<i64>,
    #[serde(rename = "StartPeriod", default)]
    pub start_period: Option<i64>,
    #[serde(rename = "Retries", default)]
    pub retries: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct History {
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    /// True for history steps that made no layer (`ENV`, `CMD`…).
    #[serde(default)]
    pub empty_layer: bool,
}

#[derive(Deserialize, Default)]
struct RawConfig {
    architecture: Option<String>,
    os: Option<String>,
    variant: Option<String>,
    created: Option<String>,
    config: Option<RawRunConfig>,
    #[serde(default)]
    history: Option<Vec<History>>,
    rootfs: Option<RawRootfs>,
}

#[derive(Deserialize, Default)]
struct RawRunConfig {
    #[serde(rename = "User")]
    user: Option<String>,
    #[serde(rename = "Env")]
    env: Option<Vec<String>>,
    #[serde(rename = "Cmd")]
    cmd: Option<Vec<String>>,
    #[serde(rename = "Entrypoint")]
    entrypoint: Option<Vec<String>>,
    #[serde(rename = "WorkingDir")]
    working_dir: Option<String>,
    #[serde(rename = "ExposedPorts")]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "Volumes")]
    volumes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "StopSignal")]
    stop_signal: Option<String>,
    #[serde(rename = "Healthcheck")]
    healthcheck: Option<Healthcheck>,
}

#[derive(Deserialize, Default)]
struct RawRootfs {
    #[serde(default)]
    diff_ids: Option<Vec<String>>,
}

impl ImageConfig {
    /// Read and parse the config blob at `loc` (named `part` in errors) and check that
    /// it has one `rootfs.diff_ids` entry per layer of the manifest (`listed_in` names
    /// that manifest in the error).
    pub(crate) fn read(
        store: &crate::store::Store,
        loc: &crate::store::Loc,
        part: &str,
        limits: &crate::Limits,
        layers: usize,
        listed_in: &str,
    ) -> Result<(ImageConfig, Vec<u8>), crate::Error> {
        let bytes = store.read_small(loc, part, limits)?;
        let config = ImageConfig::parse(&bytes).map_err(|m| crate::Error::invalid(part, m))?;
        if config.diff_ids.len() != layers {
            return Err(crate::Error::invalid(
                part,
                format!(
                    "rootfs.diff_ids lists {} layers, {listed_in} {layers}",
                    config.diff_ids.len(),
                ),
            ));
        }
        Ok((config, bytes))
    }

    /// The `created_by` of each history entry that made a layer, base first.
    pub(crate) fn layer_history(&self) -> Vec<Option<String>> {
        self.history
            .iter()
            .filter(|h| !h.empty_layer)
            .map(|h| h.created_by.clone())
            .collect()
    }

    /// Parse a config blob. Errors are plain strings; the caller names the blob.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let raw: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("config is not JSON: {e}"))?;
        if !raw.is_object() {
            return Err("config is not a JSON object".into());
        }
        let c: RawConfig = serde_json::from_value(raw.clone())
            .map_err(|e| format!("config does not follow the image spec: {e}"))?;
        let run = c.config.unwrap_or_default();
        let mut diff_ids = Vec::new();
        for d in c.rootfs.and_then(|r| r.diff_ids).unwrap_or_default() {
            diff_ids.push(Digest::parse(&d).map_err(|e| format!("rootfs.diff_ids: {e}"))?);
        }
        Ok(ImageConfig {
            architecture: c.architecture,
            os: c.os,
            variant: c.variant,
            created: c.created,
            user: run.user.filter(|u| !u.is_empty()),
            env: run.env.unwrap_or_default(),
            cmd: run.cmd,
            entrypoint: run.entrypoint,
            working_dir: run.working_dir.filter(|w| !w.is_empty()),
            exposed_ports: run.exposed_ports.unwrap_or_default().into_keys().collect(),
            volumes: run.volumes.unwrap_or_default().into_keys().collect(),
            labels: run.labels.unwrap_or_default(),
            stop_signal: run.stop_signal,
            healthcheck: run.healthcheck,
            history: c.history.unwrap_or_default(),
            diff_ids,
            raw,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_style_config() {
        let c = ImageConfig::parse(
            br#"{"architecture":"amd64","os":"linux","config":{"User":"","Env":["A=1"],
            "Cmd":["sh"],"ExposedPorts":{"80/tcp":{}},"Labels":null,
            "Healthcheck":{"Test":["CMD","true"],"Retries":3}},
            "rootfs":{"type":"layers","diff_ids":["sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]},
            "history":[{"created_by":"ADD x","empty_layer":false},{"created_by":"CMD","empty_layer":true}]}"#,
        )
        .unwrap();
        assert_eq!(c.user, None);
        assert_eq!(c.exposed_ports, ["80/tcp"]);
        assert!(c.labels.is_empty());
        assert_eq!(c.healthcheck.unwrap().retries, Some(3));
        assert_eq!(c.diff_ids.len(), 1);
        assert!(c.history[1].empty_layer);
    }

    #[test]
    fn rejects_bad_configs() {
        for bad in [&b"[]"[..], b"{", br#"{"rootfs":{"diff_ids":["md5:x"]}}"#] {
            assert!(ImageConfig::parse(bad).is_err());
        }
    }
}
