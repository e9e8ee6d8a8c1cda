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

/// A DER TLV with a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else if n < 0x100 {
        v.extend([0x81, n as u8]);
    } else {
        v.extend([0x82, (n >> 8) as u8, n as u8]);
    }
    v.extend_from_slice(content);
    v
}

/// A PEM `PRIVATE KEY` (PKCS#8) whose structure parses (its numbers are not a key).
pub fn fake_pkcs8_pem() -> String {
    let mut rsa = tlv(0x02, &[0]);
    let mut modulus = vec![0u8];
    modulus.extend((0..128u32).map(|i| (i * 37 + 11) as u8));
    rsa.extend(tlv(0x02, &modulus));
    for i in 0..7u8 {
        rsa.extend(tlv(0x02, &[1 + i, 2, 3, 4, 5, 6, 7, 8]));
    }
    let rsa = tlv(0x30, &rsa);
    let mut body = tlv(0x02, &[0]);
    let mut alg = tlv(
        0x06,
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
    );
    alg.extend(tlv(0x05, &[]));
    body.extend(tlv(0x30, &alg));
    body.extend(tlv(0x04, &rsa));
    let der = tlv(0x30, &body);
    let b = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for c in b.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(c).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}
