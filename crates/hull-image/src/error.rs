use hull_model::{Digest, ImagePath};

/// Why an image could not be opened or walked. Every variant names the image part it is
/// about (`layer 3 (sha256:ab12…)`, `index.json`, `blob sha256:…`, the target) so a
/// one-line message tells the user where to look.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The target string itself is wrong (unknown prefix, bad reference, missing file).
    #[error("target `{target}`: {message}")]
    Target { target: String, message: String },
    #[error("{part}: {source}")]
    Io {
        part: String,
        #[source]
        source: std::io::Error,
    },
    /// A manifest, index or config that is not what the spec says.
    #[error("{part}: {message}")]
    Invalid { part: String, message: String },
    #[error("{part}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        part: String,
        expected: Digest,
        actual: Digest,
    },
    /// A [`crate::Limits`] cap was hit: likely a decompression bomb or a hostile archive.
    #[error("{part}: {what} limit of {max} exceeded")]
    Limit {
        part: String,
        what: &'static str,
        max: u64,
    },
    #[error("{part}: blob {digest} is missing")]
    MissingBlob { part: String, digest: String },
    /// An entry name with `..` that climbs above the image root: a hostile layer.
    #[error("{part}: entry `{entry}` leaves the image root")]
    Traversal { part: String, entry: String },
    #[error("{part}: stream truncated ({message})")]
    Truncated { part: String, message: String },
    #[error("{part}: unsupported {what}")]
    Unsupported { part: String, what: String },
    /// The registry refused or failed a request.
    #[error("registry {registry}: {message}")]
    Registry { registry: String, message: String },
    /// The image selector (`:tag`, `@digest`, platform) matches nothing, or is ambiguous.
    #[error("{part}: {message}")]
    Select { part: String, message: String },
    /// The caller's visitor returned an error; the walk stopped.
    #[error("{part}: {path}: {source}")]
    Visit {
        part: String,
        path: ImagePath,
        #[source]
        source: VisitError,
    },
}

/// What a [`crate::Image::walk`] visitor returns to stop the walk. Visitors that only
/// want to record a problem with one file should keep it as data and return `Ok`.
#[derive(Debug)]
pub struct VisitError(pub Box<dyn std::error::Error + Send + Sync + 'static>);

impl std::fmt::Display for VisitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for VisitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl From<std::io::Error> for VisitError {
    fn from(e: std::io::Error) -> Self {
        VisitError(Box::new(e))
    }
}

impl From<String> for VisitError {
    fn from(e: String) -> Self {
        VisitError(e.into())
    }
}

impl From<&str> for VisitError {
    fn from(e: &str) -> Self {
        VisitError(e.into())
    }
}

impl Error {
    pub(crate) fn io(part: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            part: part.into(),
            source,
        }
    }

    pub(crate) fn invalid(part: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            part: part.into(),
            message: message.into(),
        }
    }
}

/// `sha256:0123456789ab…` — enough to recognise a digest in a one-line message.
pub(crate) fn short(d: &Digest) -> String {
    let hex = d.hex();
    format!("{}:{}…", d.algorithm(), hex.get(..12).unwrap_or(hex))
}
