//! Replays the fuzz seed corpus (fuzz/corpus/server_upload) through the upload parser,
//! so CI covers the seeds without a fuzzer; seeds named like valid uploads must parse.

use std::path::PathBuf;

#[test]
fn server_upload_seeds() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/server_upload");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let data = std::fs::read(&p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let parsed = hull_server::upload::parse(&data);
        let valid = ["push.json", "from-inventory.json", "sbom.json"].contains(&name.as_str());
        assert_eq!(parsed.is_ok(), valid, "{name}: {parsed:?}");
        if let Ok(s) = std::str::from_utf8(&data) {
            let _ = hull_server::http::percent_decode(s, true);
        }
        n += 1;
    }
    assert!(n >= 7, "seed corpus missing at {}", dir.display());
}
