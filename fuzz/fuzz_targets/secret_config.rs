#![no_main]
//! Any text as a `--secret-config` file: an error with a line in the file, or a scanner
//! that scans without panicking.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match hull_secret::Scanner::with_config(&text, "fuzz.yaml") {
        Ok(s) => {
            let _ = s.scan("app/.env", b"DB_PASSWORD=Wq8z-trX2v\nacme_k3j5h6g7f8d9s0a1q2w3e4r5t6y7u8i9\n");
        }
        Err(e) => assert!(e.line() >= 1 && e.line() <= text.lines().count().max(1)),
    }
});
