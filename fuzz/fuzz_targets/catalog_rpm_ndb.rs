#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The path picks the format; every analyzer must survive any bytes.
    let path = hull_model::ImagePath::new("var/lib/rpm/Packages.db").expect("static path");
    let input = hull_catalog::FileInput { path: &path, mode: 0o644, data };
    for a in hull_catalog::analyzers::ALL {
        if (a.wants)(&path, 0o644, data.len() as u64) {
            let _ = (a.parse)(&input);
        }
    }
});
