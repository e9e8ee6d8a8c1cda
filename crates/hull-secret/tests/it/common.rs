use base64::Engine as _;
use sha2::{Digest as _, Sha256};

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

pub fn sha256(s: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(s.as_bytes())))
}

/// `random` followed by its CRC32 in 6 base62 digits (the GitHub/npm token checksum).
pub fn with_checksum(random: &str) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = crc32fast::hash(random.as_bytes()) as u64;
    let mut digits = Vec::new();
    for _ in 0..6 {
        digits.push(A[(n % 62) as usize]);
        n /= 62;
    }
    digits.reverse();
    format!("{random}{}", String::from_utf8(digits).unwrap())
}
