#![no_main]
//! Any string through the purl parser, and the parsed name back through the ecosystem map.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(p) = hull_report::purl::ParsedPurl::parse(s) {
            let _ = p.ecosystem();
            let _ = p.package_name();
        }
    }
});
