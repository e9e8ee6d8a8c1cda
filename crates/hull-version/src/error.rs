use crate::Scheme;

/// Longest input echoed back in an error message: versions come from untrusted files,
/// and a megabyte-long "version" must not turn into a megabyte-long log line.
const MAX_ECHO: usize = 120;

/// Why a version, constraint or range could not be evaluated.
///
/// A matcher must treat every error as "unknown", never as "not affected" and never as
/// "affected": record it as a diagnostic on the package and move on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The string is not a valid version in this scheme.
    #[error("invalid {scheme} version {input:?}: {reason}")]
    InvalidVersion {
        scheme: Scheme,
        input: String,
        reason: &'static str,
    },
    /// The constraint (feed range syntax) could not be parsed.
    #[error("invalid {scheme} constraint {input:?}: {reason}")]
    InvalidConstraint {
        scheme: Scheme,
        input: String,
        reason: String,
    },
    /// An OSV range that cannot be decided from a version string (type `GIT`, or a type
    /// hull does not know). This is an answer, not a failure: the range neither
    /// includes nor excludes the version.
    #[error("osv range of type {range_type} cannot be evaluated against a version")]
    NotEvaluable { range_type: String },
    /// An OSV range whose events are malformed (for example no `introduced` event).
    #[error("invalid osv range: {reason}")]
    InvalidRange { reason: &'static str },
}

pub(crate) fn echo(s: &str) -> String {
    if s.len() <= MAX_ECHO {
        return s.to_string();
    }
    let mut end = MAX_ECHO;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl VersionError {
    pub(crate) fn version(scheme: Scheme, input: &str, reason: &'static str) -> Self {
        VersionError::InvalidVersion {
            scheme,
            input: echo(input),
            reason,
        }
    }

    pub(crate) fn constraint(scheme: Scheme, input: &str, reason: impl Into<String>) -> Self {
        VersionError::InvalidConstraint {
            scheme,
            input: echo(input),
            reason: reason.into(),
        }
    }
}
