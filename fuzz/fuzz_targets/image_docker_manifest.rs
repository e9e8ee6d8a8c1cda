//! `docker save` manifest.json from untrusted bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_image::formats::parse_docker_manifest(data);
});
