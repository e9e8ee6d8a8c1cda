#![no_main]
// Replay/recording JSON lines, evaluated against the default rules.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (engine, _) = hull_runtime::rules::Engine::load(true, &[] as &[&str]);
    for line in String::from_utf8_lossy(data).lines() {
        if let Ok(Some(ev)) = hull_runtime::source::replay::parse_line(line) {
            let _ = engine.evaluate(&ev, "fuzz");
        }
    }
});
