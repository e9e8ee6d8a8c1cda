#![no_main]
// fanotify event buffers (kernel input, but never trusted).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_runtime::source::fanotify::parse_events(data);
});
