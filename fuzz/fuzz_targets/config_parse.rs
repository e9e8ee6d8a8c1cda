#![no_main]
//! Any bytes, any file name: parsing, checks, fixing and rendering never panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    // The first byte picks a file name so every detector path is reached.
    let names = ["x.yaml", "config.json", "Dockerfile", "config.toml", "daemon.json", "compose.yml"];
    let name = names[usize::from(data[0]) % names.len()];
    let Ok(text) = std::str::from_utf8(&data[1..]) else { return };
    let r = hull_audit::audit_text(name, text, &hull_audit::Options::default());
    if let Ok(parsed) = hull_audit::parse(name, text) {
        let _ = hull_audit::fix::harden(&parsed, text);
    }
    let _ = hull_audit::output::sarif(&[r]);
});
