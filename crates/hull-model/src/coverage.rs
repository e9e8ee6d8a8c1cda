//! How much of an inventory was actually checked against advisory data.
//!
//! A scan whose database holds nothing for the image's distro release (or for an
//! ecosystem) has not found "no vulnerabilities": it has not looked. [`Coverage`]
//! counts, per ecosystem, the packages that were matched against advisories and the
//! ones that could not be, with the reason, so every report can say both.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Checked and unchecked package counts of one ecosystem (`deb`, `rpm`, `pypi`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcosystemCoverage {
    /// Packages matched against advisory data.
    pub checked: usize,
    /// Packages that could not be matched.
    pub unchecked: usize,
    /// Why the unchecked ones were not (`no advisories for ubuntu:18.04 in the
    /// database`, `unknown or unsupported distro release`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Per-ecosystem coverage of one scan, keyed by the ecosystem's hull id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Coverage(pub BTreeMap<String, EcosystemCoverage>);

impl Coverage {
    /// Count one package of `ecosystem`; `unchecked` gives the reason when it was not.
    pub fn add(&mut self, ecosystem: &str, unchecked: Option<&str>) {
        let e = self.0.entry(ecosystem.to_string()).or_default();
        match unchecked {
            None => e.checked += 1,
            Some(reason) => {
                e.unchecked += 1;
                if e.reason.is_none() {
                    e.reason = Some(reason.to_string());
                }
            }
        }
    }

    pub fn checked(&self) -> usize {
        self.0.values().map(|e| e.checked).sum()
    }

    pub fn unchecked(&self) -> usize {
        self.0.values().map(|e| e.unchecked).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_ecosystem_with_the_first_reason() {
        let mut c = Coverage::default();
        c.add("deb", Some("no advisories for debian:12"));
        c.add("deb", Some("other"));
        c.add("pypi", None);
        assert_eq!((c.checked(), c.unchecked()), (1, 2));
        assert_eq!(
            c.0["deb"].reason.as_deref(),
            Some("no advisories for debian:12")
        );
        let j = serde_json::to_value(&c).unwrap();
        assert_eq!(j["pypi"]["checked"], 1);
        assert!(j["pypi"].get("reason").is_none());
    }
}
