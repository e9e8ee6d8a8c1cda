//! Token checksums that vendors put in the token itself, so a scanner can tell a real
//! token from a look-alike without asking the vendor.
//!
//! GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`; "Behind GitHub's new authentication
//! token formats", 2021) and npm (`npm_`; "npm's new access token format", 2021): 30
//! random base62 characters, then the CRC32 of those 30 characters written in base62
//! (`0-9A-Za-z`) as 6 digits, zero-padded.

/// The value of a base62 digit string (`0-9A-Za-z`), `None` on another character or
/// overflow.
fn base62(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &c| {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            b'a'..=b'z' => c - b'a' + 36,
            _ => return None,
        } as u64;
        acc.checked_mul(62)?.checked_add(d)
    })
}

/// Whether `body` (the token after its prefix: random part + 6 checksum digits) carries
/// a valid CRC32/base62 checksum.
pub(crate) fn crc32_base62(body: &[u8]) -> bool {
    if body.len() <= 6 {
        return false;
    }
    let (random, check) = body.split_at(body.len() - 6);
    base62(check) == Some(crc32fast::hash(random) as u64)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Base62 of `n`, zero-padded to 6 digits (the encoder the checksum tests need).
    pub fn encode6(mut n: u64) -> String {
        const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut out = Vec::new();
        while n > 0 {
            out.push(A[(n % 62) as usize]);
            n /= 62;
        }
        while out.len() < 6 {
            out.push(b'0');
        }
        out.reverse();
        String::from_utf8(out).unwrap()
    }

    /// A token body with a valid checksum over `random`.
    pub fn with_checksum(random: &str) -> String {
        format!(
            "{random}{}",
            encode6(crc32fast::hash(random.as_bytes()) as u64)
        )
    }

    #[test]
    fn checksums() {
        let random = "Zx4Yq8Lm2Nv7Bc3Kd9Fg1Hj5Pr6St0";
        let good = with_checksum(random);
        assert!(crc32_base62(good.as_bytes()));
        // One random character changed, or one checksum digit: both fail.
        let bad1 = good.replacen('Z', "z", 1);
        let mut bad2 = good.clone().into_bytes();
        let last = bad2.len() - 1;
        bad2[last] = if bad2[last] == b'0' { b'1' } else { b'0' };
        assert!(!crc32_base62(bad1.as_bytes()));
        assert!(!crc32_base62(&bad2));
        assert!(!crc32_base62(b"abc"));
        assert!(!crc32_base62(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!!!!!!"));
        assert_eq!(base62(b"10"), Some(62));
        assert_eq!(base62(b"zzzzzzzzzzzzzzzzzzzzzzzzzzzz"), None);
    }
}
