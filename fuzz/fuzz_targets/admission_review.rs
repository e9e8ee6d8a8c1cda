#![no_main]
//! Any request body: the admission review answers or names a bad request, never panics.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = hull_admission::review::Config::default();
    if let Ok(out) = hull_admission::review::review(data, &cfg, &|_| None) {
        assert!(out.response["response"]["allowed"].is_boolean());
    }
});
