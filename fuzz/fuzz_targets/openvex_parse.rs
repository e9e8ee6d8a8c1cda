#![no_main]
//! Any bytes through the OpenVEX parser: errors are fine, panics are not.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_report::filter::VexDocument::parse(data);
});
