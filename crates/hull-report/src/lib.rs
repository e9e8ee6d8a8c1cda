//! Output formats for hull: SBOM writers and readers, the human table, and
//! vulnerability reports with their filters.
//!
//! Vulnerability reports ([`vuln`]: table, JSON, SARIF 2.1.0, CycloneDX 1.6 with
//! `vulnerabilities[]`, SPDX 2.3 with advisory references) are rendered from an
//! inventory plus findings assessed by [`filter`] (`--severity`, `--ignore-unfixed`,
//! `.hullignore`, OpenVEX), which never drops a finding but records why it is hidden.
//!
//! What it does: turns an [`Inventory`] into CycloneDX 1.6 JSON, SPDX 2.3 JSON, hull's
//! own versioned JSON, or a table that fits 100 columns; and reads CycloneDX (1.4–1.6)
//! and SPDX 2.3 JSON SBOMs back into an [`Inventory`], recovering ecosystem, name,
//! version, architecture and distro from purls, so an SBOM can be scanned like an image.
//!
//! What it does not: no I/O beyond the `Write` it is handed, no network, no clock unless
//! asked ([`WriteOptions::now`]). Writers are pure and deterministic: packages are
//! sorted, the timestamp and serial number come from [`WriteOptions`], so equal
//! inventories give byte-identical documents.
//!
//! ```
//! use hull_model::{Ecosystem, ImagePath, Inventory, Package, Purl};
//! use hull_report::{read_sbom, write, Format, WriteOptions};
//!
//! let mut inv = Inventory::default();
//! inv.image.target = "oci-archive:app.tar".into();
//! inv.packages.push(Package {
//!     licenses: vec!["MIT".into()],
//!     ..Package::new(
//!         Ecosystem::Npm,
//!         "lodash",
//!         "4.17.4",
//!         Purl::new("npm", None, "lodash", Some("4.17.4"), &[]),
//!         ImagePath::new("app/node_modules/lodash/package.json").unwrap(),
//!         "npm-package",
//!     )
//! });
//! let opts = WriteOptions::fixed("2026-01-01T00:00:00Z");
//! let cdx = write(&inv, Format::CycloneDx, &opts).unwrap();
//! let back = read_sbom(cdx.as_bytes()).unwrap();
//! assert_eq!(back.packages[0].name, "lodash");
//! assert_eq!(back.packages[0].path.as_str(), "app/node_modules/lodash/package.json");
//! ```

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use hull_model::{Inventory, Package};
use sha2::{Digest as _, Sha256};

mod common;
pub mod content;
pub mod cyclonedx;
pub mod filter;
pub mod json;
pub mod purl;
pub mod score;
pub mod spdx;
pub mod table;
pub mod vuln;

/// The output formats `hull sbom` offers. Names are the stable `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CycloneDx,
    SpdxJson,
    Json,
    Table,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::CycloneDx,
        Format::SpdxJson,
        Format::Json,
        Format::Table,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::CycloneDx => "cyclonedx",
            Format::SpdxJson => "spdx-json",
            Format::Json => "json",
            Format::Table => "table",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                format!("unknown format `{s}` (expected cyclonedx, spdx-json, json or table)")
            })
    }
}

/// What a writer needs beyond the inventory. Injected so output is reproducible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// RFC 3339 UTC timestamp for `metadata.timestamp` / `creationInfo.created`.
    pub timestamp: String,
    /// The document's UUID (CycloneDX `serialNumber`, SPDX namespace). `None` derives one
    /// from the content and timestamp, so equal inputs give equal documents.
    pub uuid: Option<String>,
    /// Written as the creating tool's version.
    pub tool_version: String,
}

impl WriteOptions {
    /// Fixed timestamp, content-derived UUID: for tests and reproducible builds.
    pub fn fixed(timestamp: &str) -> WriteOptions {
        WriteOptions {
            timestamp: timestamp.to_string(),
            uuid: None,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The current time from the system clock (the one non-pure entry point).
    pub fn now() -> WriteOptions {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        WriteOptions::fixed(&rfc3339_utc(secs))
    }
}

/// Errors writing a document. Only the sink can fail: the inventory is always writable.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {format} output")]
    Io {
        format: Format,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot serialise {format} output")]
    Json {
        format: Format,
        #[source]
        source: serde_json::Error,
    },
}

/// Errors reading an SBOM. Problems with single components are not errors: they become
/// [`hull_model::Diagnostic`]s in the returned inventory.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("sbom is not valid json")]
    Json(#[source] serde_json::Error),
    #[error("{format} document does not match its schema")]
    Shape {
        format: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("unsupported {format} version `{version}`")]
    Version {
        format: &'static str,
        version: String,
    },
    #[error("document is neither cyclonedx json nor spdx json (no `bomFormat` or `spdxVersion`)")]
    Unknown,
}

/// Render `inv` in `format` into a string.
pub fn write(inv: &Inventory, format: Format, opts: &WriteOptions) -> Result<String, WriteError> {
    let mut buf = Vec::new();
    write_to(inv, format, opts, &mut buf)?;
    // Every writer emits UTF-8 (serde_json or Rust strings).
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Render `inv` in `format` into `out`.
pub fn write_to(
    inv: &Inventory,
    format: Format,
    opts: &WriteOptions,
    out: &mut dyn std::io::Write,
) -> Result<(), WriteError> {
    let io = |source| WriteError::Io { format, source };
    match format {
        Format::Table => out
            .write_all(table::render(inv, 100).as_bytes())
            .map_err(io),
        Format::CycloneDx | Format::SpdxJson | Format::Json => {
            let value = match format {
                Format::CycloneDx => cyclonedx::to_value(inv, opts),
                Format::SpdxJson => spdx::to_value(inv, opts),
                _ => json::to_value(inv, opts),
            }
            .map_err(|source| WriteError::Json { format, source })?;
            serde_json::to_writer_pretty(&mut *out, &value)
                .map_err(|source| WriteError::Json { format, source })?;
            out.write_all(b"\n").map_err(io)
        }
    }
}

/// Read a CycloneDX or SPDX JSON SBOM (or hull's own JSON), detecting which it is.
pub fn read_sbom(bytes: &[u8]) -> Result<Inventory, ReadError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(ReadError::Json)?;
    if value.get("bomFormat").is_some() {
        cyclonedx::from_value(value)
    } else if value.get("spdxVersion").is_some() {
        spdx::from_value(value)
    } else if value.get("schema_version").is_some() {
        json::from_value(value)
    } else {
        Err(ReadError::Unknown)
    }
}

/// The order every writer lists packages in: by ecosystem, name, version, then where
/// they were found, so diffs between two SBOMs of similar images are small.
pub fn sorted_packages(inv: &Inventory) -> Vec<&Package> {
    let mut v: Vec<&Package> = inv.packages.iter().collect();
    v.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version, &a.path, &a.purl).cmp(&(
            b.ecosystem,
            &b.name,
            &b.version,
            &b.path,
            &b.purl,
        ))
    });
    v
}

/// A UUID (version 5 layout, RFC 4122 variant) from a SHA-256 of `seed`: stable for equal
/// input, unique enough for document identity.
pub(crate) fn uuid_from(seed: &[u8]) -> String {
    let h = Sha256::digest(seed);
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The document UUID: injected, or derived from the inventory and timestamp.
pub(crate) fn document_uuid(inv: &Inventory, opts: &WriteOptions) -> String {
    if let Some(u) = &opts.uuid {
        return u.clone();
    }
    // Hash the content in writer order, so package order in the input does not matter.
    let mut seed = serde_json::to_vec(&inv.image).unwrap_or_default();
    seed.extend(serde_json::to_vec(&inv.distro).unwrap_or_default());
    for p in sorted_packages(inv) {
        seed.extend(serde_json::to_vec(p).unwrap_or_default());
    }
    seed.extend_from_slice(opts.timestamp.as_bytes());
    uuid_from(&seed)
}

pub use hull_model::rfc3339_utc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_uuid() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_796_000_000), "2026-11-30T00:53:20Z");
        let u = uuid_from(b"x");
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "5");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(u, uuid_from(b"x"));
        assert_ne!(u, uuid_from(b"y"));
    }

    #[test]
    fn format_names_are_stable() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>().unwrap(), f);
        }
        assert!("xml".parse::<Format>().is_err());
    }
}
