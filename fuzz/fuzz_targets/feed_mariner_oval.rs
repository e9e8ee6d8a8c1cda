#![no_main]
//! Fuzz the Azure Linux / CBL-Mariner OVAL reader: arbitrary bytes must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_vulndb::feed::parse(
        hull_vulndb::feed::Format::MarinerOval,
        "fuzz/cbl-mariner-2.0-oval.xml",
        data,
    );
});
