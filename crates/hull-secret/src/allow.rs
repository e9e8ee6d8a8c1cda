//! The built-in allow rules: values that look like a secret but are not one. Every rule
//! here is listed in `docs/secrets.md` ("Allow rules"); each has a test row below.
//!
//! Two strengths: [`fake`] applies to every rule (a token-shaped string that is a
//! documentation example or visibly made up), [`placeholder`] to rules that read a
//! value from an assignment (`password=…`, `token: …`), where templates, variable
//! references, hashes and words stand in for the value far more often than secrets do.

/// Vendors' documented example credentials, published so that people can copy them:
/// never secrets (AWS IAM docs, Azure Storage emulator docs).
const EXAMPLES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    // Azurite / Azure Storage emulator well-known account key (devstoreaccount1).
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
];

/// Sub-strings that mark a made-up value in any token (case-insensitive).
const FAKE_MARKS: &[&str] = &[
    "example",
    "xxxx",
    "****",
    "....",
    "placeholder",
    "dummy",
    "changeme",
    "redacted",
    "0123456789",
    "123456789",
    "abcdefghij",
    "your_",
    "your-",
    "insert",
    "<",
    ">",
];

/// Whether a token-shaped `value` is a documented example or visibly made up: one of
/// [`EXAMPLES`], containing a [`FAKE_MARKS`] word, or a run of 6 equal characters
/// (a random 30-character base62 string has one with probability ≈ 3·10⁻⁸).
pub(crate) fn fake(value: &[u8]) -> bool {
    if EXAMPLES.iter().any(|e| e.as_bytes() == value) {
        return true;
    }
    if FAKE_MARKS.iter().any(|m| contains_ci(value, m.as_bytes())) {
        return true;
    }
    longest_run(value) >= 6
}

/// Words that stand for a value in templates, samples and defaults (exact match,
/// case-insensitive).
const PLACEHOLDER_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "key",
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "example",
    "sample",
    "test",
    "testing",
    "dummy",
    "fake",
    "none",
    "null",
    "nil",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "undefined",
    "default",
    "required",
    "optional",
    "string",
    "str",
    "value",
    "empty",
    "unset",
    "notset",
    "not-set",
    "todo",
    "tbd",
    "fixme",
    "redacted",
    "hidden",
    "masked",
    "foo",
    "bar",
    "baz",
    "foobar",
    "qwerty",
    "letmein",
    "admin",
    "root",
    "guest",
    "user",
    "username",
    "mypassword",
    "mysecret",
    "yourpassword",
    "secret123",
    "password123",
    "s3cr3t",
    "p@ssw0rd",
    "passw0rd",
    "env",
    "environment",
    "config",
    "localhost",
    "example.com",
    "auto",
    "generate",
    "generated",
    "random",
    "prompt",
    "ask",
    "stdin",
    "keyring",
    "vault",
    "file",
];

/// Whether an assigned `value` is a placeholder, a reference or a non-secret: empty or
/// shorter than `min`; a template or variable (`${X}`, `$X`, `%(x)s`, `{{ x }}`,
/// `<x>`, `@X@`, `__X__`, `#{x}`); an expression or call (`os.environ[...]`,
/// `getenv(..)`, `process.env.X`, `config.password`); an environment variable name
/// (`DB_PASSWORD`); a path or URL; a YAML tag, anchor, alias or block marker; a number;
/// a [`PLACEHOLDER_WORDS`] word; a hash, UUID or integrity string ([`hash_like`]); or
/// [`fake`].
pub(crate) fn placeholder(value: &[u8], min: usize) -> bool {
    let v = value;
    if v.len() < min {
        return true;
    }
    let first = v[0];
    if b"$%<[({!&*|>@\\~/#`".contains(&first) {
        return true;
    }
    if v.ends_with(b")") || v.ends_with(b"}") || v.ends_with(b"]") {
        return true;
    }
    if v.starts_with(b"__") && v.ends_with(b"__") {
        return true;
    }
    if contains(v, b"${") || contains(v, b"{{") || contains(v, b"}}") || contains(v, b"%(") {
        return true;
    }
    if contains(v, b"://") {
        return true;
    }
    if v.iter().all(u8::is_ascii_digit) {
        return true;
    }
    // An environment variable name or a dotted reference: `DB_PASSWORD`, `settings.KEY`,
    // `process.env.TOKEN`, `self.password`.
    let ident = |s: &[u8]| {
        !s.is_empty()
            && s[0].is_ascii_alphabetic()
            && s.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
    };
    if ident(v) && v.contains(&b'_') && v.iter().all(|c| !c.is_ascii_lowercase()) {
        return true;
    }
    if v.contains(&b'.') && v.split(|c| *c == b'.').all(ident) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if PLACEHOLDER_WORDS
        .iter()
        .any(|w| w.as_bytes() == lower.as_slice())
    {
        return true;
    }
    hash_like(v) || fake(v)
}

/// Hex digests (MD5, SHA-1, SHA-224/256/384/512 lengths), UUIDs, and Subresource
/// Integrity / digest strings (`sha512-…`, `sha256:…`): identifiers, not secrets.
pub(crate) fn hash_like(v: &[u8]) -> bool {
    let hex = v.iter().all(u8::is_ascii_hexdigit);
    if hex && matches!(v.len(), 32 | 40 | 56 | 64 | 96 | 128) {
        return true;
    }
    if uuid(v) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    [
        "sha1-", "sha256-", "sha384-", "sha512-", "sha1:", "sha256:", "sha512:", "md5:",
    ]
    .iter()
    .any(|p| lower.starts_with(p.as_bytes()))
}

fn uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Shannon entropy in bits per byte.
pub(crate) fn entropy(v: &[u8]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in v {
        counts[b as usize] += 1;
    }
    let n = v.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

fn longest_run(v: &[u8]) -> usize {
    let (mut best, mut run) = (0, 0);
    for (i, b) in v.iter().enumerate() {
        run = if i > 0 && v[i - 1] == *b { run + 1 } else { 1 };
        best = best.max(run);
    }
    best
}

pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

pub(crate) fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() <= hay.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fakes() {
        for (v, want) in [
            ("AKIAIOSFODNN7EXAMPLE", true),
            ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true),
            ("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", true),
            ("ghp_000000000000000000000000000000000000", true),
            ("sk_live_0123456789abcdefghijklmn", true),
            ("glpat-<your-token-here>", true),
            ("AKIAYXEIV5JMFDPTSJIH", false),
            ("ghp_22W15TLY7CAU5YJC61vdDKCnlZQI3X5MB9Of", false),
            ("CY2rGwmYABZNISNLCkB1tyJMgQZJ/8SYZTLG7hp0", false),
        ] {
            assert_eq!(fake(v.as_bytes()), want, "{v}");
        }
    }

    #[test]
    fn placeholders() {
        for (v, want) in [
            ("", true),
            ("changeme", true),
            ("CHANGEME", true),
            ("${DB_PASSWORD}", true),
            ("$DB_PASSWORD", true),
            ("<your-token>", true),
            ("xxxxxxxx", true),
            ("********", true),
            ("password", true),
            ("%(password)s", true),
            ("{{.Values.password}}", true),
            ("@DB_PASS@", true),
            ("__SECRET__", true),
            ("DB_PASSWORD", true),
            ("settings.SECRET_KEY", true),
            ("os.environ['X']", true),
            ("getenv(\"TOKEN\")", true),
            ("/run/secrets/db", true),
            ("!vault", true),
            ("$6$rounds=5000$salt$hash", true),
            ("3600", true),
            ("d41d8cd98f00b204e9800998ecf8427e", true),
            ("3d9f2889d6782537624a4e1a10e68a2ddd53e0ee8bac02676f27308f42ec6bf6", true),
            ("123e4567-e89b-12d3-a456-426614174000", true),
            ("sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==", true),
            ("true", true),
            ("abc", true),
            ("hunter2", false),
            ("s3cr3t-Pa55", false),
            ("Tr0ub4dor&3", false),
            ("OTABMm2kAIUOwRVtz6qpXuSEDU5LFG5sKv3ioyWb", false),
        ] {
            assert_eq!(placeholder(v.as_bytes(), 6), want, "{v}");
        }
    }

    #[test]
    fn entropy_and_runs() {
        assert!(entropy(b"aaaaaaaa") < 0.01);
        assert!(entropy(b"CY2rGwmYABZNISNLCkB1tyJMgQZJ/8SYZTLG7hp0") > 4.0);
        assert_eq!(longest_run(b"abbbbc"), 4);
        assert_eq!(longest_run(b""), 0);
    }
}
