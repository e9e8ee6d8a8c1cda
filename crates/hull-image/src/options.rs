use std::path::PathBuf;

/// Which image of a multi-platform index to pick (`linux/amd64` unless told).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Default for Platform {
    fn default() -> Self {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }
}

impl std::str::FromStr for Platform {
    type Err = String;
    /// `os/arch[/variant]`, e.g. `linux/arm64/v8`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut it = s.split('/');
        let (Some(os), Some(arch)) = (it.next(), it.next()) else {
            return Err(format!("platform `{s}` is not os/arch[/variant]"));
        };
        let variant = it.next().map(str::to_string);
        if os.is_empty() || arch.is_empty() || it.next().is_some() {
            return Err(format!("platform `{s}` is not os/arch[/variant]"));
        }
        Ok(Platform {
            os: os.into(),
            architecture: normalise_arch(arch).into(),
            variant,
        })
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Go's GOARCH names are what OCI uses; accept the uname spellings users type.
pub(crate) fn normalise_arch(a: &str) -> &str {
    match a {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        "i386" | "i686" => "386",
        other => other,
    }
}

impl Platform {
    /// True when an index entry's platform is this one. A missing variant on either
    /// side matches (arm64 images usually omit `v8`).
    pub(crate) fn matches(&self, os: &str, arch: &str, variant: Option<&str>) -> bool {
        self.os == os
            && self.architecture == normalise_arch(arch)
            && match (self.variant.as_deref(), variant) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// Caps against hostile images. Every cap names itself in the error it causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed bytes of one layer tar (gzip/zstd bombs).
    pub max_layer_bytes: u64,
    /// Uncompressed bytes of all layers together.
    pub max_total_bytes: u64,
    /// Tar entries over all layers (or files under a `dir:` root).
    pub max_entries: u64,
    /// Declared size of one file in a layer.
    pub max_file_size: u64,
    /// Bytes in one entry path or link target.
    pub max_path_len: usize,
    /// Symlinks followed by one [`crate::Tree::resolve`] before giving up (loops).
    pub max_symlink_hops: u32,
    /// Size of a manifest, index, config or `manifest.json` read into memory.
    pub max_json_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 32 << 30,
            max_total_bytes: 128 << 30,
            max_entries: 10_000_000,
            max_file_size: 16 << 30,
            max_path_len: 4096,
            max_symlink_hops: 40,
            max_json_bytes: 16 << 20,
        }
    }
}

/// How to open a target.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Image to pick from a multi-platform index.
    pub platform: Platform,
    /// Talk plain HTTP to the registry (for local test registries).
    pub insecure: bool,
    pub limits: Limits,
    /// Docker client config with registry credentials; `None` means
    /// `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
    pub docker_config: Option<PathBuf>,
}
