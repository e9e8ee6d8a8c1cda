//! CVSS base scores from vector strings, so records that only carry a vector (OSV
//! `severity[]`, RustSec `cvss`, NVD metrics) still get a score and a severity.
//!
//! Parsing and scoring are the `cvss` crate's: v3.0 and v3.1
//! (<https://www.first.org/cvss/v3.1/specification-document>) and v4.0 with its
//! macro-vector lookup tables (<https://www.first.org/cvss/v4.0/specification-document>).
//! hull only adds what the crate leaves to callers: a v3 vector must name all eight
//! base metrics (the crate would score a missing metric as 0), and surrounding
//! whitespace is ignored. CVSS v2 vectors are not scored (no current feed relies on
//! them alone; NVD's v2 records carry their own severity word).
//!
//! ```
//! use hull_vulndb::cvss;
//! assert_eq!(cvss::base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), Some(10.0));
//! assert_eq!(
//!     cvss::base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
//!     Some(9.3)
//! );
//! assert_eq!(cvss::base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), None); // v2
//! ```

use hull_model::Severity;

/// v3 temporal and environmental metrics: legal in a vector, irrelevant to the base
/// score, and refused by the crate's v3 base parser, so they are dropped first.
const V3_NON_BASE: &[&str] = &[
    "E", "RL", "RC", "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
];

/// The parsed vector, when hull can score it.
fn parse(vector: &str) -> Option<cvss::Cvss> {
    let vector = vector.trim();
    let parsed: cvss::Cvss = if vector.starts_with("CVSS:3.") {
        let base: Vec<&str> = vector
            .split('/')
            .filter(|part| {
                let key = part.split(':').next().unwrap_or("");
                !V3_NON_BASE.contains(&key)
            })
            .collect();
        base.join("/").parse().ok()?
    } else {
        vector.parse().ok()?
    };
    let complete = match &parsed {
        cvss::Cvss::CvssV30(b) | cvss::Cvss::CvssV31(b) => {
            b.av.is_some()
                && b.ac.is_some()
                && b.pr.is_some()
                && b.ui.is_some()
                && b.s.is_some()
                && b.c.is_some()
                && b.i.is_some()
                && b.a.is_some()
        }
        // The crate already refuses a v4 vector without its mandatory base metrics.
        _ => true,
    };
    complete.then_some(parsed)
}

/// Base score (0.0–10.0) of a `CVSS:3.0/…`, `CVSS:3.1/…` or `CVSS:4.0/…` vector;
/// `None` for anything hull cannot score (v2, malformed, incomplete).
pub fn base_score(vector: &str) -> Option<f64> {
    let score = parse(vector)?.score();
    // Scores are one-decimal by specification; round away float noise for display
    // and comparisons, and never hand out a value outside the scale.
    let score = (score * 10.0).round() / 10.0;
    (score.is_finite() && (0.0..=10.0).contains(&score)).then_some(score)
}

/// Like [`base_score`], but only for v3.x vectors (a v4.0 vector gives `None`).
pub fn base_score_v3(vector: &str) -> Option<f64> {
    match parse(vector)? {
        cvss::Cvss::CvssV30(_) | cvss::Cvss::CvssV31(_) => base_score(vector),
        _ => None,
    }
}

/// Qualitative severity of a vector (the v3/v4 rating scale), when hull can score it.
pub fn severity_of_vector(vector: &str) -> Option<Severity> {
    base_score(vector).map(Severity::from_cvss_score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_v3_scores() {
        for (v, want) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0), // Log4Shell
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", 5.9),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:L", 7.1),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N", 4.8),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N", 0.0),
            // FIRST v3.1 specification examples (section 7): CVE-2013-1937 phpMyAdmin XSS,
            // CVE-2014-0160 Heartbleed, CVE-2014-6271 Shellshock.
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            // Temporal metrics do not change the base score.
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/E:F/RL:O/RC:C",
                7.5,
            ),
            (" CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N\n", 7.5),
        ] {
            assert_eq!(base_score(v), Some(want), "{v}");
            assert_eq!(base_score_v3(v), Some(want), "{v}");
        }
    }

    #[test]
    fn known_v4_scores() {
        // Scores as the FIRST CVSS v4.0 calculator and Red Hat's Python `cvss` give them
        // (an independent implementation of the same tables).
        for (v, want) in [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
                10.0,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                0.0,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                8.5,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
                5.1,
            ),
            (
                "CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
                1.0,
            ),
            // Threat metrics take part in a v4 score (CVSS-BT nomenclature).
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:U",
                2.7,
            ),
        ] {
            assert_eq!(base_score(v), Some(want), "{v}");
            assert_eq!(base_score_v3(v), None, "{v}");
        }
        assert_eq!(
            severity_of_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            Some(Severity::Critical)
        );
    }

    #[test]
    fn unscorable_vectors() {
        for v in [
            "",
            "CVSS:4.0/AV:N",
            "CVSS:3.1/AV:X",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", // no A
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H/ZZ:1",
            "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "CVSS:3.1",
            "CVSS:3.1/",
            "CVSS:3.1/AV:N:N",
            "CVSS:5.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "cvss:3.1/ÄV:N",
        ] {
            assert_eq!(base_score(v), None, "{v:?}");
            assert_eq!(severity_of_vector(v), None, "{v:?}");
        }
    }
}
