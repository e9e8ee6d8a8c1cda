#![no_main]
// eBPF ring-buffer records (struct event of monitor.bpf.c).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_runtime::source::ebpf::parse_raw(data);
});
