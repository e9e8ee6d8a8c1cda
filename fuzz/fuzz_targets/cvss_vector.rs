#![no_main]
//! Fuzz CVSS vector parsing and scoring: arbitrary strings must never panic and any
//! score must lie on the 0–10 scale.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(score) = hull_vulndb::cvss::base_score(s) {
            assert!((0.0..=10.0).contains(&score));
        }
        let _ = hull_vulndb::cvss::severity_of_vector(s);
    }
});
