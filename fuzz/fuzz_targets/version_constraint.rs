#![no_main]
//! Constraint parsing and evaluation: first byte selects the scheme, then `constraint\nversion`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = hull_version::fuzz::check_constraint(data) {
        panic!("{e}");
    }
});
