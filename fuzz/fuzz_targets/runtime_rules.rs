#![no_main]
// Rule files: YAML loading, condition parsing and compilation.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut l = hull_runtime::rules::Loader::new();
    l.add_str("fuzz.yaml", &String::from_utf8_lossy(data));
    let _ = l.compile();
});
