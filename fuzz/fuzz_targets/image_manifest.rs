//! OCI / Docker manifests, indexes and image configs from untrusted bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_image::formats::parse_doc(data);
    let _ = hull_image::ImageConfig::parse(data);
});
