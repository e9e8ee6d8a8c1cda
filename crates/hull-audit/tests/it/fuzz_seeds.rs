//! Replays the fuzz seed corpus (fuzz/corpus/config_parse) through the parser so CI
//! covers it without a fuzzer: every seed must parse or fail cleanly, never panic.

use std::path::PathBuf;

#[test]
fn fuzz_seeds_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/config_parse");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("seed dir exists") {
        let p = e.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let r = hull_audit::audit_text(&name, &text, &hull_audit::Options::default());
        if let Ok(parsed) = hull_audit::parse(&name, &text) {
            let _ = hull_audit::fix::harden(&parsed, &text);
        }
        let _ = hull_audit::output::sarif(&[r]);
        n += 1;
    }
    assert!(n >= 5, "only {n} seeds");
}
