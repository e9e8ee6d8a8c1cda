#![no_main]
//! Any bytes through the `.hullignore` parser, then matching against a finding-like glob:
//! errors are fine, panics are not.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = hull_report::filter::IgnoreFile::parse(data) {
        let _ = f.partition_expired("2026-11-29");
        for e in &f.vulnerabilities {
            for g in &e.paths {
                let _ = hull_report::filter::ignore::glob_match(g, "usr/lib/python3/dist-packages/x/METADATA");
            }
        }
    }
});
