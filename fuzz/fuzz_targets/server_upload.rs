#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The body of `POST /api/v1/scans` comes from the network: any bytes must give an
    // upload or an error, never a panic. Repository paths arrive percent-encoded.
    let _ = hull_server::upload::parse(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = hull_server::http::percent_decode(s, true);
    }
});
