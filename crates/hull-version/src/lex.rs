//! Splitting version and constraint strings into pieces, shared by the schemes.

/// One run of a version string: ASCII digits or ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run<'a> {
    Digits(&'a [u8]),
    Letters(&'a str),
}

/// The maximal runs of ASCII digits and of ASCII letters in `s`, in order; every
/// other character only separates runs (`1.0-RC1` -> `1`, `0`, `RC`, `1`).
pub(crate) fn alnum_runs(s: &str) -> impl Iterator<Item = Run<'_>> {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                return Some(Run::Digits(&b[start..i]));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                return Some(Run::Letters(&s[start..i]));
            }
            i += 1;
        }
        None
    })
}

/// Split a constraint into comparator tokens at the characters `split` accepts,
/// gluing a lone operator (a token `is_op` accepts) to the next token, so that
/// `>= 1.2.3` is one token.
pub(crate) fn glued_tokens(
    s: &str,
    split: impl Fn(char) -> bool,
    is_op: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for t in s.split(split).filter(|t| !t.is_empty()) {
        if is_op(t) {
            pending.push_str(t);
            continue;
        }
        out.push(format!("{pending}{t}"));
        pending.clear();
    }
    if !pending.is_empty() {
        out.push(pending);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn runs() {
        let got: Vec<Run> = alnum_runs("1.0-RC1é2").collect();
        assert_eq!(
            got,
            [
                Run::Digits(b"1"),
                Run::Digits(b"0"),
                Run::Letters("RC"),
                Run::Digits(b"1"),
                Run::Digits(b"2"),
            ]
        );
        assert_eq!(alnum_runs("-._").count(), 0);
    }
    #[test]
    fn tokens() {
        let t = glued_tokens(
            ">= 1.0, < 2",
            |c| c == ',' || c.is_whitespace(),
            |t| matches!(t, ">=" | "<"),
        );
        assert_eq!(t, [">=1.0", "<2"]);
        assert_eq!(
            glued_tokens("1 >=", char::is_whitespace, |t| t == ">="),
            ["1", ">="]
        );
    }
}
