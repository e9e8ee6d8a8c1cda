#![no_main]
//! Fuzz the unpacking of downloaded or imported blobs (zip, gzip, bzip2): arbitrary
//! bytes must never panic, and decompression stays bounded.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_vulndb::import::for_each_blob("fuzz", data, &mut |_, _| {});
});
