#![no_main]
//! Fuzz the EndOfLife feed reader: arbitrary bytes must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_vulndb::feed::parse(hull_vulndb::feed::Format::EndOfLife, "fuzz/ubuntu.json", data);
});
