//! Replays the fuzz seed corpus (fuzz/corpus/admission_review) through the review
//! function: every seed is answered or named a bad request, never a panic.

use std::path::PathBuf;

use hull_admission::review::{review, Config};

#[test]
fn fuzz_seeds_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/admission_review");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("seed dir exists") {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        if let Ok(out) = review(&bytes, &Config::default(), &|_| None) {
            assert!(out.response["response"]["allowed"].is_boolean());
        }
        n += 1;
    }
    assert!(n >= 5, "only {n} seeds");
}
