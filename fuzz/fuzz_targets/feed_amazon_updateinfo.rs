#![no_main]
//! Fuzz the AmazonUpdateinfo feed reader: arbitrary bytes must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_vulndb::feed::parse(hull_vulndb::feed::Format::AmazonUpdateinfo, "fuzz", data);
});
