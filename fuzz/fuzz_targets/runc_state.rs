#![no_main]
// runc state.json files (written by the runtime, readable by whoever owns the dir).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_runtime::attribution::parse_runc_state(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = hull_runtime::attribution::from_cgroup_path(s);
        let _ = hull_runtime::attribution::parse_rfc3339_ns(s);
    }
});
