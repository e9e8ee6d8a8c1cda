#![no_main]
// /proc/<pid>/mountinfo of a container (mount points are container-controlled).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let all = hull_runtime::source::fanotify::parse_mountinfo(&text);
    let _ = hull_runtime::source::fanotify::data_mounts(&all);
});
