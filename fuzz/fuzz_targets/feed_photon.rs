#![no_main]
//! Fuzz the Photon CVE metadata reader: arbitrary bytes must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_vulndb::feed::parse(
        hull_vulndb::feed::Format::PhotonCve,
        "fuzz/cve_data_photon4.0.json",
        data,
    );
});
