//! Arbitrary bytes as a layer blob: sniffed, inflated, walked and merged.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = hull_image::Limits {
        max_layer_bytes: 64 << 20,
        max_entries: 100_000,
        ..Default::default()
    };
    let mut r = data;
    if let Ok(entries) = hull_image::formats::walk_layer(&mut r, &limits, &|_, c| {
        std::io::copy(c, &mut std::io::sink())?;
        Ok(())
    }) {
        let tree = hull_image::formats::merge(&[entries], &limits);
        for (p, _) in tree.iter().take(100) {
            let _ = tree.resolve(p);
        }
    }
});
