//! Replays the fuzz seed corpora (fuzz/corpus/<target>/) through the same entry points
//! the fuzz targets call, so CI covers them without a fuzzer.

use std::path::Path;

use hull_version::{fuzz, Scheme};

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut out = Vec::new();
    let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        out.push((name, std::fs::read(e.path()).expect("seed readable")));
    }
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

#[test]
fn per_scheme_compare_seeds() {
    for scheme in Scheme::ALL {
        let target = format!("version_{scheme}");
        let mut parsed = 0;
        for (name, data) in seeds(&target) {
            parsed += fuzz::check_compare(scheme, &data)
                .unwrap_or_else(|e| panic!("{target}/{name}: {e}"));
        }
        // The seeds are meant to be valid versions mostly: they must exercise the order.
        assert!(parsed > 0, "{target}: no seed parses");
    }
}

#[test]
fn constraint_seeds() {
    for (name, data) in seeds("version_constraint") {
        fuzz::check_constraint(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn osv_seeds() {
    for (name, data) in seeds("version_osv") {
        fuzz::check_osv(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
