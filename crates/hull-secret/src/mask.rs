//! What a finding shows of its secret: a short excerpt of its line with every secret on
//! it masked, and a SHA-256 fingerprint. A finding never carries a whole secret, and an
//! excerpt is at most [`EXCERPT_MAX`] characters whatever the line's length.

use std::ops::Range;

use sha2::{Digest as _, Sha256};

/// Longest excerpt, in characters.
pub const EXCERPT_MAX: usize = 160;
/// Bytes of context shown before the finding on its line.
const BEFORE: usize = 48;
/// `*`s standing for a masked secret, at most (its length is not revealed beyond this).
const STARS: usize = 16;

/// `sha256:<hex>` of the secret's bytes.
pub(crate) fn fingerprint(value: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(value)))
}

/// A masked region: `range` of the data, its first `keep` bytes shown.
#[derive(Debug, Clone)]
pub(crate) struct Masked {
    pub range: Range<usize>,
    pub keep: usize,
}

/// The excerpt of the line holding `anchor`; `line_start` is that line's first byte.
/// `masks` are sorted by start. Reads at most a few hundred bytes of `data`.
pub(crate) fn excerpt(data: &[u8], line_start: usize, anchor: usize, masks: &[Masked]) -> String {
    let start = line_start.max(anchor.saturating_sub(BEFORE));
    let budget_end = data.len().min(start + 4 * EXCERPT_MAX);
    let mut out: Vec<u8> = Vec::with_capacity(EXCERPT_MAX + 8);
    if start > line_start {
        out.extend_from_slice("…".as_bytes());
    }
    let mut i = start;
    // The leading `…` counts, and one character is kept for a trailing one.
    let mut shown = usize::from(start > line_start);
    let cap = EXCERPT_MAX - 1;
    let mut truncated = false;
    // The first mask that may overlap the window.
    let mut m = masks.partition_point(|k| k.range.end <= start);
    while i < budget_end {
        if shown >= cap {
            truncated = true;
            break;
        }
        if let Some(k) = masks.get(m) {
            if k.range.end <= i {
                m += 1;
                continue;
            }
            if k.range.start <= i {
                let keep_end = (k.range.start + k.keep).min(k.range.end);
                if i < keep_end {
                    push_shown(&mut out, data[i]);
                    shown += 1;
                    i += 1;
                    continue;
                }
                let stars = (k.range.end - i).min(STARS);
                out.extend(std::iter::repeat_n(b'*', stars));
                shown += stars;
                i = k.range.end;
                m += 1;
                continue;
            }
        }
        let b = data[i];
        if b == b'\n' || b == b'\r' && data.get(i + 1) == Some(&b'\n') {
            break;
        }
        push_shown(&mut out, b);
        shown += 1;
        i += 1;
    }
    if i >= budget_end && i < data.len() && data[i] != b'\n' {
        truncated = true;
    }
    let mut s: String = String::from_utf8_lossy(&out).into_owned();
    if s.chars().count() > cap {
        s = s.chars().take(cap).collect();
        truncated = true;
    }
    if truncated {
        s.push('…');
    }
    s
}

/// Printable as itself; tabs and other control bytes as a space or `?` (an excerpt is
/// one line of text in a terminal or a report).
fn push_shown(out: &mut Vec<u8>, b: u8) {
    match b {
        b'\t' => out.push(b' '),
        0x00..=0x1f | 0x7f => out.push(b'?'),
        _ => out.push(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(r: Range<usize>, keep: usize) -> Masked {
        Masked { range: r, keep }
    }

    #[test]
    fn masks_and_caps() {
        let line = b"token: ghp_22W15TLY7CAU5YJC61vdDKCnlZQI3X5MB9Of # ci\nnext";
        let at = 7;
        let e = excerpt(line, 0, at, &[mask(at..at + 40, 4)]);
        assert_eq!(e, "token: ghp_**************** # ci");
        // A 1 MB line: the excerpt stays short and says it was cut.
        let mut long = vec![b'a'; 1 << 20];
        long[500_000..500_040].copy_from_slice(&[b'Z'; 40]);
        let e = excerpt(&long, 0, 500_000, &[mask(500_000..500_040, 0)]);
        assert!(e.chars().count() <= EXCERPT_MAX, "{}", e.len());
        assert!(e.starts_with('…') && e.ends_with('…') && !e.contains('Z'));
        // A huge secret is masked by at most STARS stars.
        let e = excerpt(&long, 0, 0, &[mask(0..1 << 20, 0)]);
        assert_eq!(e, "*".repeat(STARS));
        // Two secrets on one line, control characters, non-UTF-8.
        let l = b"a=SECRET1\tb=SECRET2 \xff\x01";
        let e = excerpt(l, 0, 2, &[mask(2..9, 0), mask(12..19, 0)]);
        assert_eq!(e, "a=******* b=******* \u{fffd}?");
    }

    #[test]
    fn fingerprints() {
        assert_eq!(
            fingerprint(b"hunter2"),
            "sha256:f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7"
        );
    }
}
