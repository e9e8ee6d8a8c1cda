#![no_main]
//! OSV range evaluation: first byte selects the scheme, then events and a version.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = hull_version::fuzz::check_osv(data) {
        panic!("{e}");
    }
});
