#![no_main]
//! Fuzz format detection plus whatever reader it picks, and the zip/gzip unpacking.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_vulndb::feed::parse_any("fuzz", data);
    let _ = hull_vulndb::import::for_each_blob("fuzz", data, &mut |name, bytes| {
        let _ = hull_vulndb::feed::parse_any(name, bytes);
    });
});
