#![no_main]
// Netlink proc-connector datagrams (kernel input, but never trusted).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_runtime::source::proc_connector::parse_datagram(data);
});
