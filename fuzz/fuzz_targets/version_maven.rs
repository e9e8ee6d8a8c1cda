#![no_main]
//! Parse and compare two maven versions (`a\nb`); checks order and round-trip invariants.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = hull_version::fuzz::check_compare(hull_version::Scheme::Maven, data) {
        panic!("{e}");
    }
});
