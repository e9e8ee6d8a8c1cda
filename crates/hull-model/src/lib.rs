//! Shared nouns of hull: what every stage of the pipeline talks about.
//!
//! `source -> layers -> files -> packages -> findings -> report`: this crate holds the
//! values that cross those arrows ([`Package`], [`Distro`], [`Inventory`], [`Severity`], …)
//! and the identifiers that guard them ([`Digest`], [`ImagePath`]). It does no I/O.
//!
//! ```
//! use hull_model::ImagePath;
//! assert_eq!(ImagePath::new("usr/lib/../lib/os-release").unwrap_err().to_string(),
//!            "path `usr/lib/../lib/os-release` leaves the image root");
//! assert_eq!(ImagePath::new("/etc//os-release").unwrap().as_str(), "etc/os-release");
//! ```

mod check;
mod coverage;
mod digest;
mod finding;
mod inventory;
mod package;
mod path;
mod purl;
mod severity;
mod time;

pub use check::{CheckFinding, CheckKind, CheckLocation};
pub use coverage::{Coverage, EcosystemCoverage};
pub use digest::{Digest, DigestError};
pub use finding::{
    Advisory, Affected, Evidence, Finding, FindingPackage, Namespace, OsvEvent, OsvRange,
    VersionRule,
};
pub use inventory::{Diagnostic, Distro, ImageInfo, Inventory, LayerInfo};
pub use package::{package_ref, pep503_name, Ecosystem, Package};
pub use path::{ImagePath, PathError};
pub use purl::Purl;
pub use severity::{FixState, Severity};
pub use time::rfc3339_utc;
