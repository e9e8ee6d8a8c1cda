#![no_main]
//! Fuzz the Red Hat CSAF/VEX reader: arbitrary bytes must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_vulndb::feed::parse(hull_vulndb::feed::Format::RedHatCsaf, "fuzz", data);
});
