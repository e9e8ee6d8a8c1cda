use std::fmt;

use serde::{Deserialize, Serialize};

/// Severity of a finding, ordered from least to most severe.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Unknown,
    Negligible,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 6] = [
        Severity::Unknown,
        Severity::Negligible,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Negligible => "negligible",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// CVSS v3/v4 qualitative rating of a base score.
    pub fn from_cvss_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Negligible,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    /// Case-insensitive; accepts the common vendor spellings (`moderate`, `important`, `none`).
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "unknown" | "unassigned" | "not yet assigned" => Severity::Unknown,
            "negligible" | "none" | "unimportant" | "info" | "informational" => {
                Severity::Negligible
            }
            "low" => Severity::Low,
            "medium" | "moderate" => Severity::Medium,
            "high" | "important" => Severity::High,
            "critical" => Severity::Critical,
            _ => return Err(format!("unknown severity `{s}`")),
        })
    }
}

/// Whether and how a vulnerability is fixed for the affected package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "version", rename_all = "kebab-case")]
pub enum FixState {
    /// Fixed in this version (upgrade to it or later).
    Fixed(String),
    /// Affected, no fix released yet.
    NotFixed,
    /// The vendor decided not to fix it in this release.
    WontFix,
    /// The vendor says this release is not affected.
    NotAffected,
    /// The release is out of support; no fix will come.
    EndOfLife,
    Unknown,
    /// Fixed in this version, but published only in the vendor's extended-support
    /// channel (Ubuntu Pro / ESM): a system without that subscription cannot install it.
    /// Serialised as `{"state": "extended-support", "version": "…"}`.
    ExtendedSupport(String),
}

impl FixState {
    /// The kebab-case state name (`fixed`, `not-fixed`, `extended-support`, …), as in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            FixState::Fixed(_) => "fixed",
            FixState::NotFixed => "not-fixed",
            FixState::WontFix => "wont-fix",
            FixState::NotAffected => "not-affected",
            FixState::EndOfLife => "end-of-life",
            FixState::Unknown => "unknown",
            FixState::ExtendedSupport(_) => "extended-support",
        }
    }

    /// The version that fixes it, in the free archive or in an extended-support channel.
    pub fn version(&self) -> Option<&str> {
        match self {
            FixState::Fixed(v) | FixState::ExtendedSupport(v) => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Unknown);
        assert_eq!("Important".parse::<Severity>().unwrap(), Severity::High);
        assert_eq!(Severity::from_cvss_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(4.0), Severity::Medium);
    }

    #[test]
    fn fix_state_names_match_json() {
        for f in [
            FixState::Fixed("1".into()),
            FixState::NotFixed,
            FixState::WontFix,
            FixState::NotAffected,
            FixState::EndOfLife,
            FixState::Unknown,
            FixState::ExtendedSupport("1+esm1".into()),
        ] {
            let j = serde_json::to_value(&f).unwrap();
            assert_eq!(j["state"], f.as_str());
        }
        assert_eq!(FixState::ExtendedSupport("2".into()).version(), Some("2"));
    }
}
