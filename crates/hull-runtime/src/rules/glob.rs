//! Shell-style globs for the `glob` operator: `*` (any run of characters except `/`),
//! `**` (any run including `/`), `?` (one character except `/`), `[abc]`, `[a-z]`,
//! `[!x]`. Matching works on bytes (`?` is one byte; classes are ASCII), with a literal
//! prefix checked first so most non-matching paths are rejected in a few compares.
//! Matching is iterative with one backtrack point per star kind, so hostile
//! patterns stay linear-ish (no exponential recursion).

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Lit(u8),
    Any,
    Star,
    DoubleStar,
    Class { neg: bool, ranges: Vec<(u8, u8)> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Glob {
    /// Literal bytes before the first wildcard.
    prefix: Vec<u8>,
    pieces: Vec<Piece>,
}

impl Glob {
    /// The literal text before the first wildcard: every match starts with it.
    pub fn literal_prefix(&self) -> &[u8] {
        &self.prefix
    }

    pub fn new(pat: &str) -> Result<Glob, String> {
        let chars: Vec<char> = pat.chars().collect();
        let mut pieces = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' if chars.get(i + 1) == Some(&'*') => {
                    pieces.push(Piece::DoubleStar);
                    i += 2;
                    while chars.get(i) == Some(&'*') {
                        i += 1;
                    }
                }
                '*' => {
                    pieces.push(Piece::Star);
                    i += 1;
                }
                '?' => {
                    pieces.push(Piece::Any);
                    i += 1;
                }
                '[' => {
                    let mut j = i + 1;
                    let neg = matches!(chars.get(j), Some('!') | Some('^'));
                    if neg {
                        j += 1;
                    }
                    let mut ranges = Vec::new();
                    let mut first = true;
                    loop {
                        let Some(&c) = chars.get(j) else {
                            return Err(format!("unclosed `[` in glob `{pat}`"));
                        };
                        if c == ']' && !first {
                            j += 1;
                            break;
                        }
                        first = false;
                        if chars.get(j + 1) == Some(&'-')
                            && chars.get(j + 2).is_some_and(|&e| e != ']')
                        {
                            let e = chars[j + 2];
                            ranges.push((c, e));
                            j += 3;
                        } else {
                            ranges.push((c, c));
                            j += 1;
                        }
                    }
                    let ranges = ranges
                        .into_iter()
                        .map(|(a, b)| {
                            if a.is_ascii() && b.is_ascii() {
                                Ok((a as u8, b as u8))
                            } else {
                                Err(format!("non-ASCII character class in glob `{pat}`"))
                            }
                        })
                        .collect::<Result<_, _>>()?;
                    pieces.push(Piece::Class { neg, ranges });
                    i = j;
                }
                '\\' if i + 1 < chars.len() => {
                    push_lit(&mut pieces, chars[i + 1]);
                    i += 2;
                }
                c => {
                    push_lit(&mut pieces, c);
                    i += 1;
                }
            }
        }
        let prefix = pieces
            .iter()
            .map_while(|p| match p {
                Piece::Lit(b) => Some(*b),
                _ => None,
            })
            .collect();
        Ok(Glob { prefix, pieces })
    }

    pub fn is_match(&self, text: &str) -> bool {
        let t = text.as_bytes();
        t.starts_with(&self.prefix) && self.match_from(self.prefix.len(), t, self.prefix.len())
    }

    // Classic wildcard matching with one backtrack point per star kind: a failing `*`
    // (which may not swallow `/`) falls back to the last `**`, which may.
    fn match_from(&self, mut p: usize, t: &[u8], mut i: usize) -> bool {
        let mut single: Option<(usize, usize)> = None; // (pattern idx after `*`, text idx)
        let mut double: Option<(usize, usize)> = None;
        loop {
            if p < self.pieces.len() {
                let step = match &self.pieces[p] {
                    Piece::Star => {
                        single = Some((p + 1, i));
                        p += 1;
                        continue;
                    }
                    Piece::DoubleStar => {
                        double = Some((p + 1, i));
                        single = None;
                        p += 1;
                        continue;
                    }
                    Piece::Lit(c) => t.get(i) == Some(c),
                    Piece::Any => t.get(i).is_some_and(|&c| c != b'/'),
                    Piece::Class { neg, ranges } => t.get(i).is_some_and(|&c| {
                        c != b'/' && (ranges.iter().any(|&(a, b)| a <= c && c <= b) != *neg)
                    }),
                };
                if step {
                    p += 1;
                    i += 1;
                    continue;
                }
            } else if i == t.len() {
                return true;
            }
            // Mismatch: let the last star swallow one more character.
            match single {
                Some((bp, bi)) if bi < t.len() && t[bi] != b'/' => {
                    single = Some((bp, bi + 1));
                    p = bp;
                    i = bi + 1;
                    continue;
                }
                _ => single = None,
            }
            match double {
                Some((bp, bi)) if bi < t.len() => {
                    double = Some((bp, bi + 1));
                    p = bp;
                    i = bi + 1;
                }
                _ => return false,
            }
        }
    }
}

fn push_lit(pieces: &mut Vec<Piece>, c: char) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        pieces.push(Piece::Lit(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_table() {
        let cases = [
            ("/etc/*", "/etc/shadow", true),
            ("/etc/*", "/etc/ssh/key", false),
            ("/etc/**", "/etc/ssh/key", true),
            ("/root/.ssh/id_*", "/root/.ssh/id_rsa", true),
            ("/home/*/.ssh/*", "/home/bob/.ssh/authorized_keys", true),
            ("*.sh", "run.sh", true),
            ("*.sh", "run.shx", false),
            ("file?", "file1", true),
            ("file?", "file", false),
            ("[a-c]x", "bx", true),
            ("[!a-c]x", "bx", false),
            ("[!a-c]x", "dx", true),
            ("a\\*", "a*", true),
            ("a\\*", "ab", false),
            ("", "", true),
            ("/é/*", "/é/x", true),
            ("/a/**/*.sh", "/a/b/c/x.sh", true),
            ("/a/**/*.sh", "/a/b/c/x.py", false),
            ("**", "", true),
            (
                "*a*a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
        ];
        for (p, t, want) in cases {
            assert_eq!(Glob::new(p).unwrap().is_match(t), want, "{p} vs {t}");
        }
        assert!(Glob::new("[abc").is_err());
    }
}
