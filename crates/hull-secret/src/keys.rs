//! Private keys that really parse: a PEM block is reported only when its body decodes
//! to the structure its label promises (a DER `SEQUENCE` of the right shape for PKCS#1,
//! PKCS#8, SEC 1 EC and DSA keys; the `openssh-key-v1` magic and a consistent header for
//! OpenSSH keys; the `Private-Lines`/`Private-MAC` layout for PuTTY `.ppk` files). A
//! truncated key in a test fixture, a key assembled from string literals in source code,
//! or a `BEGIN PRIVATE KEY` line in documentation is not a secret.
//!
//! Formats: RFC 7468 (PEM text), RFC 8017 A.1.2 (PKCS#1 `RSAPrivateKey`), RFC 5208 /
//! RFC 5958 (PKCS#8 `PrivateKeyInfo`, `EncryptedPrivateKeyInfo`), RFC 5915 (SEC 1
//! `ECPrivateKey`), OpenSSH's `PROTOCOL.key`, PuTTY's documented `.ppk` format (v2, v3).

use std::ops::Range;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// Standard alphabet, padding optional (keys pasted into YAML lose their `=`).
pub(crate) const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The furthest a PEM END marker is looked for (a 16384-bit RSA key is ~12 KiB).
pub(crate) const MAX_PEM: usize = 64 * 1024;

/// A private key found in some text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    /// What it is, for the finding's detail: `PKCS#1 RSA`, `OpenSSH (encrypted: aes256-ctr)`.
    pub kind: String,
    pub encrypted: bool,
    /// Offsets of the first and past the last base64 character of the body: what is masked.
    pub body: Range<usize>,
    /// The body's base64 characters without line breaks: what the fingerprint hashes.
    pub canonical: Vec<u8>,
}

const LABELS: &[(&str, Shape)] = &[
    ("RSA PRIVATE KEY", Shape::Pkcs1),
    ("PRIVATE KEY", Shape::Pkcs8),
    ("ENCRYPTED PRIVATE KEY", Shape::Pkcs8Encrypted),
    ("EC PRIVATE KEY", Shape::Ec),
    ("DSA PRIVATE KEY", Shape::Dsa),
    ("OPENSSH PRIVATE KEY", Shape::OpenSsh),
];

#[derive(Clone, Copy)]
enum Shape {
    Pkcs1,
    Pkcs8,
    Pkcs8Encrypted,
    Ec,
    Dsa,
    OpenSsh,
}

/// The PEM private key whose `-----BEGIN ` starts at `begin`, if its body parses. The
/// body may be broken by real newlines or by the two-character escapes `\n`/`\r` (a key
/// inside a JSON or YAML string).
pub(crate) fn pem_at(data: &[u8], begin: usize) -> Option<Key> {
    let rest = data.get(begin..)?.strip_prefix(b"-----BEGIN ")?;
    let close = memchr::memmem::find(&rest[..rest.len().min(48)], b"-----")?;
    let label = std::str::from_utf8(&rest[..close]).ok()?;
    let (_, shape) = LABELS.iter().find(|(l, _)| *l == label)?;
    let body_start = begin + b"-----BEGIN ".len() + close + 5;
    let window = &data[body_start..data.len().min(body_start + MAX_PEM)];
    let end_marker = format!("-----END {label}-----");
    let body_len = memchr::memmem::find(window, end_marker.as_bytes())?;
    let body = &window[..body_len];

    let (chars, first, last, headers) = collect_base64(body)?;
    let der = B64.decode(&chars).ok()?;
    let span = body_start + first..body_start + last;
    if headers.encrypted {
        // RFC 1421 `Proc-Type: 4,ENCRYPTED` + `DEK-Info`: the body is ciphertext, so no
        // structure to check beyond a whole number of cipher blocks of a plausible size.
        if der.len() >= 64 && der.len() % 8 == 0 && headers.dek_info {
            return Some(Key {
                kind: format!("{label} (encrypted, legacy PEM)"),
                encrypted: true,
                body: span,
                canonical: chars,
            });
        }
        return None;
    }
    let (kind, encrypted) = match shape {
        Shape::Pkcs1 => (pkcs1(&der).then(|| "PKCS#1 RSA".to_string())?, false),
        Shape::Pkcs8 => (pkcs8(&der).then(|| "PKCS#8".to_string())?, false),
        Shape::Pkcs8Encrypted => (
            pkcs8_encrypted(&der).then(|| "PKCS#8 (encrypted)".to_string())?,
            true,
        ),
        Shape::Ec => (ec(&der).then(|| "SEC 1 EC".to_string())?, false),
        Shape::Dsa => (dsa(&der).then(|| "DSA".to_string())?, false),
        Shape::OpenSsh => {
            let cipher = openssh(&der)?;
            if cipher == "none" {
                ("OpenSSH".to_string(), false)
            } else {
                (format!("OpenSSH (encrypted: {cipher})"), true)
            }
        }
    };
    Some(Key {
        kind,
        encrypted,
        body: span,
        canonical: chars,
    })
}

#[derive(Default)]
struct Headers {
    encrypted: bool,
    dek_info: bool,
}

/// The base64 characters of a PEM body (skipping RFC 1421 headers), the offsets of the
/// first and past the last of them, and what the headers said. `None` when anything
/// but base64, whitespace or `\n`/`\r` escapes is in the body.
fn collect_base64(body: &[u8]) -> Option<(Vec<u8>, usize, usize, Headers)> {
    let mut headers = Headers::default();
    let mut out = Vec::with_capacity(body.len());
    let (mut first, mut last) = (None, 0);
    let mut i = 0;
    // Header lines come first: `Name: value` up to a blank line.
    loop {
        let line_start = skip_breaks(body, i);
        let line_end = next_break(body, line_start);
        let line = &body[line_start..line_end];
        if let Some(colon) = memchr::memchr(b':', line) {
            let name = &line[..colon];
            if name.eq_ignore_ascii_case(b"Proc-Type") && contains(line, b"ENCRYPTED") {
                headers.encrypted = true;
            }
            if name.eq_ignore_ascii_case(b"DEK-Info") {
                headers.dek_info = true;
            }
            i = line_end;
            continue;
        }
        i = line_start;
        break;
    }
    while i < body.len() {
        let b = body[i];
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => {
                out.push(b);
                first.get_or_insert(i);
                last = i + 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'\\' if matches!(body.get(i + 1), Some(b'n' | b'r')) => i += 2,
            _ => return None,
        }
    }
    let first = first?;
    (out.len() >= 64).then_some((out, first, last, headers))
}

fn skip_breaks(b: &[u8], mut i: usize) -> usize {
    loop {
        match b.get(i) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => i += 1,
            Some(b'\\') if matches!(b.get(i + 1), Some(b'n' | b'r')) => i += 2,
            _ => return i,
        }
    }
}

fn next_break(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\n' | b'\r' => return i,
            b'\\' if matches!(b.get(i + 1), Some(b'n' | b'r')) => return i,
            _ => i += 1,
        }
    }
    i
}

pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// A DER reader: one TLV at a time, definite lengths only (DER forbids the rest).
struct Der<'a> {
    b: &'a [u8],
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;

impl<'a> Der<'a> {
    fn new(b: &'a [u8]) -> Self {
        Der { b }
    }

    fn is_empty(&self) -> bool {
        self.b.is_empty()
    }

    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.b.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
            (len, &rest[n..])
        };
        if rest.len() < len {
            return None;
        }
        let (content, rest) = rest.split_at(len);
        self.b = rest;
        Some((tag, content))
    }

    fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.next()? {
            (t, c) if t == tag => Some(c),
            _ => None,
        }
    }
}

/// The content of the one outer SEQUENCE that is the whole buffer.
fn outer(der: &[u8]) -> Option<Der<'_>> {
    let mut d = Der::new(der);
    let content = d.expect(SEQUENCE)?;
    d.is_empty().then(|| Der::new(content))
}

fn small_int(c: &[u8]) -> Option<u8> {
    match c {
        [v] => Some(*v),
        _ => None,
    }
}

/// `RSAPrivateKey ::= SEQUENCE { version, n, e, d, p, q, dp, dq, qinv, otherPrimeInfos? }`
fn pkcs1(der: &[u8]) -> bool {
    let Some(mut d) = outer(der) else {
        return false;
    };
    let Some(v) = d.expect(INTEGER).and_then(small_int) else {
        return false;
    };
    if v > 1 {
        return false;
    }
    let Some(modulus) = d.expect(INTEGER) else {
        return false;
    };
    // 512 bits at least: a real RSA modulus, not an INTEGER that happens to be there.
    if modulus.len() < 64 {
        return false;
    }
    (0..7).all(|_| d.expect(INTEGER).is_some())
}

/// `PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING, ... }`
fn pkcs8(der: &[u8]) -> bool {
    let Some(mut d) = outer(der) else {
        return false;
    };
    let Some(v) = d.expect(INTEGER).and_then(small_int) else {
        return false;
    };
    if v > 1 {
        return false;
    }
    let Some(alg) = d.expect(SEQUENCE) else {
        return false;
    };
    if Der::new(alg).expect(OID).is_none() {
        return false;
    }
    d.expect(OCTET_STRING).is_some_and(|k| !k.is_empty())
}

/// `EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }`
fn pkcs8_encrypted(der: &[u8]) -> bool {
    let Some(mut d) = outer(der) else {
        return false;
    };
    let Some(alg) = d.expect(SEQUENCE) else {
        return false;
    };
    if Der::new(alg).expect(OID).is_none() {
        return false;
    }
    d.expect(OCTET_STRING).is_some_and(|k| k.len() >= 16)
}

/// `ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] params, [1] pub }`
fn ec(der: &[u8]) -> bool {
    let Some(mut d) = outer(der) else {
        return false;
    };
    if d.expect(INTEGER).and_then(small_int) != Some(1) {
        return false;
    }
    d.expect(OCTET_STRING)
        .is_some_and(|k| (16..=72).contains(&k.len()))
}

/// OpenSSL's DSA private key: `SEQUENCE { 0, p, q, g, y, x }`.
fn dsa(der: &[u8]) -> bool {
    let Some(mut d) = outer(der) else {
        return false;
    };
    if d.expect(INTEGER).and_then(small_int) != Some(0) {
        return false;
    }
    (0..5).all(|_| d.expect(INTEGER).is_some()) && d.is_empty()
}

/// OpenSSH `PROTOCOL.key`: magic, cipher, kdf, kdf options, key count, public keys,
/// the private section. Unencrypted, the private section opens with two equal 32-bit
/// check words. Returns the cipher name.
fn openssh(b: &[u8]) -> Option<String> {
    let mut r = b.strip_prefix(b"openssh-key-v1\0")?;
    let cipher = ssh_string(&mut r)?;
    let _kdf = ssh_string(&mut r)?;
    let _kdf_options = ssh_string(&mut r)?;
    let n = ssh_u32(&mut r)?;
    if n == 0 || n > 64 {
        return None;
    }
    for _ in 0..n {
        ssh_string(&mut r)?;
    }
    let private = ssh_string(&mut r)?;
    let cipher = std::str::from_utf8(cipher).ok()?;
    if !cipher.bytes().all(|c| c.is_ascii_graphic()) || cipher.is_empty() {
        return None;
    }
    if cipher == "none" {
        let mut p = private;
        let (a, b) = (ssh_u32(&mut p)?, ssh_u32(&mut p)?);
        if a != b {
            return None;
        }
    } else if private.len() < 16 {
        return None;
    }
    Some(cipher.to_string())
}

fn ssh_u32(r: &mut &[u8]) -> Option<u32> {
    let (head, rest) = r.split_at_checked(4)?;
    *r = rest;
    Some(u32::from_be_bytes(head.try_into().ok()?))
}

fn ssh_string<'a>(r: &mut &'a [u8]) -> Option<&'a [u8]> {
    let n = ssh_u32(r)? as usize;
    let (s, rest) = r.split_at_checked(n)?;
    *r = rest;
    Some(s)
}

/// A PuTTY private key file whose `PuTTY-User-Key-File-` starts at `begin`: the
/// header, `Encryption`, `Public-Lines: n` and n lines, `Private-Lines: m` and m base64
/// lines, `Private-MAC: <hex>`. Unencrypted, the private blob starts with an SSH string
/// or mpint whose length fits.
pub(crate) fn putty_at(data: &[u8], begin: usize) -> Option<Key> {
    let window = &data[begin..data.len().min(begin + MAX_PEM)];
    let mut lines = LineIter { b: window, pos: 0 };
    let (_, header) = lines.next()?;
    let version = header.strip_prefix(b"PuTTY-User-Key-File-")?;
    let colon = memchr::memchr(b':', version)?;
    let algorithm = String::from_utf8_lossy(version[colon + 1..].trim_ascii()).into_owned();
    let mut encryption = None;
    let mut private: Option<(Vec<u8>, Range<usize>)> = None;
    let mut mac = false;
    let mut guard = 0;
    while let Some((at, line)) = lines.next() {
        guard += 1;
        if guard > 4096 {
            return None;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(c) => (&line[..c], line[c + 1..].trim_ascii()),
            None => return None,
        };
        match name {
            b"Encryption" => encryption = Some(value.to_vec()),
            b"Public-Lines" | b"Private-Lines" => {
                let n: usize = std::str::from_utf8(value).ok()?.parse().ok()?;
                if n == 0 || n > 1024 {
                    return None;
                }
                let mut chars = Vec::new();
                let (mut first, mut last) = (None, at);
                for _ in 0..n {
                    let (lat, l) = lines.next()?;
                    let l = l.trim_ascii_end();
                    if !l
                        .iter()
                        .all(|c| c.is_ascii_alphanumeric() || b"+/=".contains(c))
                    {
                        return None;
                    }
                    chars.extend_from_slice(l);
                    first.get_or_insert(lat);
                    last = lat + l.len();
                }
                if name == b"Private-Lines" {
                    private = Some((chars, begin + first?..begin + last));
                } else if B64.decode(&chars).is_err() {
                    return None;
                }
            }
            b"Private-MAC" => {
                mac = value.len() >= 40 && value.iter().all(u8::is_ascii_hexdigit);
                break;
            }
            _ => {}
        }
    }
    let (chars, span) = private?;
    let blob = B64.decode(&chars).ok()?;
    let encryption = encryption?;
    if !mac || blob.len() < 16 {
        return None;
    }
    let encrypted = encryption != b"none";
    if !encrypted {
        let mut r = blob.as_slice();
        let n = ssh_u32(&mut r)? as usize;
        if n == 0 || n > r.len() {
            return None;
        }
    }
    Some(Key {
        kind: if encrypted {
            format!("PuTTY {algorithm} (encrypted)")
        } else {
            format!("PuTTY {algorithm}")
        },
        encrypted,
        body: span,
        canonical: chars,
    })
}

struct LineIter<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> LineIter<'a> {
    /// The next line (without `\r\n`/`\n`) and its offset.
    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        if self.pos >= self.b.len() {
            return None;
        }
        let start = self.pos;
        let end = memchr::memchr(b'\n', &self.b[start..]).map_or(self.b.len(), |i| start + i);
        self.pos = end + 1;
        let line = &self.b[start..end];
        Some((start, line.strip_suffix(b"\r").unwrap_or(line)))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A DER TLV with a definite length.
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
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

    /// A structurally valid (mathematically meaningless) PKCS#1 RSA key body.
    pub fn fake_pkcs1() -> Vec<u8> {
        let mut c = tlv(INTEGER, &[0]);
        let mut modulus = vec![0x00];
        modulus.extend((0..128u32).map(|i| (i * 37 + 11) as u8));
        c.extend(tlv(INTEGER, &modulus));
        for i in 0..7u8 {
            c.extend(tlv(INTEGER, &[1 + i, 2, 3, 4, 5, 6, 7, 8]));
        }
        tlv(SEQUENCE, &c)
    }

    pub fn fake_pkcs8() -> Vec<u8> {
        let mut c = tlv(INTEGER, &[0]);
        let mut alg = tlv(OID, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]);
        alg.extend(tlv(0x05, &[]));
        c.extend(tlv(SEQUENCE, &alg));
        c.extend(tlv(OCTET_STRING, &fake_pkcs1()));
        tlv(SEQUENCE, &c)
    }

    pub fn fake_openssh(cipher: &str) -> Vec<u8> {
        let s = |b: &[u8]| {
            let mut v = (b.len() as u32).to_be_bytes().to_vec();
            v.extend_from_slice(b);
            v
        };
        let mut v = b"openssh-key-v1\0".to_vec();
        v.extend(s(cipher.as_bytes()));
        v.extend(s(b"none"));
        v.extend(s(b""));
        v.extend(1u32.to_be_bytes());
        v.extend(s(&[7u8; 51]));
        let mut private = 0x1234_5678u32.to_be_bytes().to_vec();
        private.extend(0x1234_5678u32.to_be_bytes());
        private.extend(s(b"ssh-ed25519"));
        private.extend([9u8; 40]);
        v.extend(s(&private));
        v
    }

    pub fn pem(label: &str, der: &[u8]) -> String {
        let b64 = B64.encode(der);
        let mut s = format!("-----BEGIN {label}-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            s.push_str(std::str::from_utf8(chunk).unwrap());
            s.push('\n');
        }
        s.push_str(&format!("-----END {label}-----\n"));
        s
    }

    #[test]
    fn pem_shapes() {
        let mut ec_body = tlv(INTEGER, &[1]);
        ec_body.extend(tlv(OCTET_STRING, &[5; 32]));
        ec_body.extend(tlv(
            0xa0,
            &tlv(OID, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
        ));
        ec_body.extend(tlv(0xa1, &tlv(0x03, &[4; 66])));
        let ec_der = tlv(SEQUENCE, &ec_body);
        let mut enc = tlv(OID, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d]);
        enc = tlv(SEQUENCE, &enc);
        enc.extend(tlv(OCTET_STRING, &[3; 200]));
        let enc_der = tlv(SEQUENCE, &enc);
        let mut junk_seq = tlv(INTEGER, &[0]);
        junk_seq.extend(tlv(INTEGER, &[1; 8]));
        type Case<'a> = (&'a str, Vec<u8>, Option<(&'a str, bool)>);
        let cases: Vec<Case> = vec![
            ("RSA PRIVATE KEY", fake_pkcs1(), Some(("PKCS#1 RSA", false))),
            ("PRIVATE KEY", fake_pkcs8(), Some(("PKCS#8", false))),
            (
                "ENCRYPTED PRIVATE KEY",
                enc_der,
                Some(("PKCS#8 (encrypted)", true)),
            ),
            ("EC PRIVATE KEY", ec_der.clone(), Some(("SEC 1 EC", false))),
            (
                "OPENSSH PRIVATE KEY",
                fake_openssh("none"),
                Some(("OpenSSH", false)),
            ),
            (
                "OPENSSH PRIVATE KEY",
                fake_openssh("aes256-ctr"),
                Some(("OpenSSH (encrypted: aes256-ctr)", true)),
            ),
            // The label promises PKCS#1, the body is an EC key: no.
            ("RSA PRIVATE KEY", ec_der, None),
            // A short modulus is not an RSA key.
            ("RSA PRIVATE KEY", tlv(SEQUENCE, &junk_seq), None),
            // Random bytes.
            (
                "PRIVATE KEY",
                (0..200u32).map(|i| (i * 7) as u8).collect(),
                None,
            ),
            // A public key is not a secret.
            ("PUBLIC KEY", fake_pkcs8(), None),
        ];
        for (label, der, want) in cases {
            let text = pem(label, &der);
            let got = pem_at(text.as_bytes(), 0);
            assert_eq!(
                got.as_ref().map(|k| (k.kind.as_str(), k.encrypted)),
                want,
                "{label}"
            );
            if let Some(k) = got {
                let body = &text.as_bytes()[k.body.clone()];
                assert!(body.starts_with(&B64.encode(&der).as_bytes()[..10]));
                assert!(!k.canonical.contains(&b'\n'));
            }
        }
    }

    #[test]
    fn pem_in_json_string_and_truncated() {
        let text = pem("PRIVATE KEY", &fake_pkcs8()).replace('\n', "\\n");
        let json = format!("{{\"private_key\": \"{text}\"}}");
        let at = json.find("-----BEGIN").unwrap();
        assert_eq!(pem_at(json.as_bytes(), at).unwrap().kind, "PKCS#8");
        // Truncated in the middle: the END marker never comes.
        let full = pem("RSA PRIVATE KEY", &fake_pkcs1());
        assert!(pem_at(&full.as_bytes()[..full.len() / 2], 0).is_none());
        // Cut lines joined with quotes (source code): not a parseable body.
        let quoted = full.replace('\n', "\"\n\"");
        assert!(pem_at(quoted.as_bytes(), 0).is_none());
        // Legacy encrypted PEM.
        let b64 = B64.encode([0x5au8; 128]);
        let legacy = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n{b64}\n-----END RSA PRIVATE KEY-----\n"
        );
        let k = pem_at(legacy.as_bytes(), 0).unwrap();
        assert!(k.encrypted, "{}", k.kind);
    }

    #[test]
    fn putty_files() {
        let mut private = 5u32.to_be_bytes().to_vec();
        private.extend([1u8; 5]);
        private.extend([2u8; 40]);
        let public = B64.encode([4u8; 60]);
        let priv_b64 = B64.encode(&private);
        let ppk = |enc: &str, mac: &str| {
            format!(
                "PuTTY-User-Key-File-2: ssh-rsa\r\nEncryption: {enc}\r\nComment: k\r\nPublic-Lines: 1\r\n{public}\r\nPrivate-Lines: 1\r\n{priv_b64}\r\nPrivate-MAC: {mac}\r\n"
            )
        };
        let ok = ppk("none", &"ab".repeat(20));
        let k = putty_at(ok.as_bytes(), 0).unwrap();
        assert_eq!(k.kind, "PuTTY ssh-rsa");
        assert_eq!(&ok.as_bytes()[k.body.clone()], priv_b64.as_bytes());
        assert!(
            putty_at(ppk("aes256-cbc", &"cd".repeat(20)).as_bytes(), 0)
                .unwrap()
                .encrypted
        );
        assert!(putty_at(ppk("none", "nothex").as_bytes(), 0).is_none());
        assert!(putty_at(b"PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\n", 0).is_none());
    }
}
