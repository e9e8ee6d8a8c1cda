#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The path picks the format; every analyzer must survive any bytes.
    let path = hull_model::ImagePath::new("usr/lib/python3/site-packages/x-1.0-py3.11.egg").expect("static path");
    let mode = 0o644;
    let input = hull_catalog::FileInput { path: &path, mode, data };
    for a in hull_catalog::analyzers::ALL {
        if (a.wants)(&path, mode, data.len() as u64) {
            let _ = (a.parse)(&input);
        }
    }
});
