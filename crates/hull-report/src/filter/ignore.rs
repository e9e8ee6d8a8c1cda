//! `.hullignore`: a YAML list of findings the user accepts, each with a reason and
//! optionally an expiry date.
//!
//! ```yaml
//! vulnerabilities:
//!   - id: CVE-2019-1543          # display id, advisory id or any alias
//!     purls: [pkg:apk/alpine/openssl]   # optional; versionless matches every version
//!     paths: ["lib/apk/db/*"]     # optional globs over the package's file in the image
//!     expires: 2027-01-31         # optional; from this day on the entry stops applying
//!     reason: not reachable, tracked in SEC-123
//! ```
//!
//! Unknown keys are errors: a misspelt `expires` must not turn into a permanent ignore.
//!
//! The first `.hullignore` format, one `ID [PACKAGE-NAME]` per line with `#` comments,
//! is still read: a file that is not a YAML mapping and whose every line has that shape
//! becomes entries with `id` and `packages`.

use serde::{Deserialize, Serialize};

use hull_model::Finding;

use super::{names_finding, purl_matches};

/// The parsed ignore file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreFile {
    #[serde(default)]
    pub vulnerabilities: Vec<IgnoreEntry>,
    /// Accepted secrets, insecure files and image-config findings of `hull image`:
    /// `id` is a rule or check id (`github-pat`, `file:setuid-setgid`) or a secret's
    /// fingerprint (`sha256:…`); `paths` globs match the file path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<IgnoreEntry>,
}

/// One accepted vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purls: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Package names (as installed: `musl`, `lodash`); any ecosystem.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// `YYYY-MM-DD` (an RFC 3339 timestamp is cut to its date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    #[error("ignore file is not valid yaml for the .hullignore schema")]
    Yaml(#[source] serde_yaml::Error),
    #[error("ignore entry {index} has an empty id")]
    EmptyId { index: usize },
    #[error("ignore entry `{id}`: expires `{value}` is not a YYYY-MM-DD date")]
    Expires { id: String, value: String },
    #[error("ignore entry `{id}`: `{value}` is not a purl")]
    Purl { id: String, value: String },
}

impl IgnoreFile {
    /// Parse and validate; an empty file is an empty ignore list.
    pub fn parse(bytes: &[u8]) -> Result<IgnoreFile, IgnoreError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(IgnoreFile::default());
        }
        let mut file: IgnoreFile = match serde_yaml::from_slice(bytes) {
            Ok(f) => f,
            Err(e) => match parse_lines(bytes) {
                Some(f) => f,
                None => return Err(IgnoreError::Yaml(e)),
            },
        };
        for (index, e) in file
            .vulnerabilities
            .iter_mut()
            .chain(file.checks.iter_mut())
            .enumerate()
        {
            if e.id.trim().is_empty() {
                return Err(IgnoreError::EmptyId { index });
            }
            if let Some(x) = &e.expires {
                let date =
                    x.get(..10)
                        .filter(|d| is_date(d))
                        .ok_or_else(|| IgnoreError::Expires {
                            id: e.id.clone(),
                            value: x.clone(),
                        })?;
                e.expires = Some(date.to_string());
            }
            if let Some(p) = e
                .purls
                .iter()
                .find(|p| crate::purl::ParsedPurl::parse(p).is_err())
            {
                return Err(IgnoreError::Purl {
                    id: e.id.clone(),
                    value: p.clone(),
                });
            }
        }
        Ok(file)
    }

    /// (entries still in force on `today`, expired entries). Dates compare as strings,
    /// which is exact for zero-padded `YYYY-MM-DD`.
    pub fn partition_expired(&self, today: &str) -> (Vec<&IgnoreEntry>, Vec<&IgnoreEntry>) {
        self.vulnerabilities
            .iter()
            .partition(|e| e.expires.as_deref().is_none_or(|x| today < x))
    }
}

impl IgnoreFile {
    /// [`IgnoreFile::partition_expired`] for the `checks` list.
    pub fn partition_expired_checks(&self, today: &str) -> (Vec<&IgnoreEntry>, Vec<&IgnoreEntry>) {
        self.checks
            .iter()
            .partition(|e| e.expires.as_deref().is_none_or(|x| today < x))
    }
}

impl IgnoreEntry {
    /// Whether this `checks` entry covers a content finding: the id is its rule id or
    /// its fingerprint, and when paths are given one matches the file path (or the
    /// config field, `Env:NAME`). Entries naming purls or packages never match one.
    pub fn matches_check(&self, f: &hull_model::CheckFinding) -> bool {
        let id = self.id.trim();
        let named = id.eq_ignore_ascii_case(&f.rule) || f.fingerprint.as_deref() == Some(id);
        let place = match &f.location {
            hull_model::CheckLocation::File { path, .. } => path.as_str().to_string(),
            hull_model::CheckLocation::Config { field } => field.clone(),
            hull_model::CheckLocation::History { step } => format!("history:{step}"),
        };
        named
            && self.purls.is_empty()
            && self.packages.is_empty()
            && (self.paths.is_empty()
                || self.paths.iter().any(|g| {
                    glob_match(g, &place) || glob_match(g.trim_start_matches('/'), &place)
                }))
    }

    /// Whether this entry (ignoring expiry) covers `f`: the id names it, and when purls
    /// or paths are given, one of each matches.
    pub fn matches(&self, f: &Finding) -> bool {
        names_finding(&self.id, f)
            && (self.purls.is_empty()
                || self
                    .purls
                    .iter()
                    .any(|p| purl_matches(p, f.package.purl.as_str())))
            && (self.packages.is_empty() || self.packages.contains(&f.package.name))
            && (self.paths.is_empty()
                || self
                    .paths
                    .iter()
                    .any(|g| glob_match(g, f.package.path.as_str())))
    }
}

/// The line format, or `None` when some line does not have its shape (then the YAML
/// error is the one worth reporting).
fn parse_lines(bytes: &[u8]) -> Option<IgnoreFile> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut vulnerabilities = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let id_like = words
            .first()
            .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_alphanumeric()));
        if words.len() > 2 || !id_like || words.iter().any(|w| w.contains(':')) {
            return None;
        }
        vulnerabilities.push(IgnoreEntry {
            id: words.first()?.to_string(),
            purls: Vec::new(),
            paths: Vec::new(),
            packages: words
                .get(1)
                .map(|p| vec![p.to_string()])
                .unwrap_or_default(),
            expires: None,
            reason: None,
        });
    }
    Some(IgnoreFile {
        vulnerabilities,
        checks: Vec::new(),
    })
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Glob over image paths: `*` and `?` stay within one path segment, `**` spans any
/// number of segments. A leading `/` is ignored because image paths are root-relative.
/// Dynamic programming over (pattern, text) positions, so hostile patterns cost
/// O(len(pattern) × len(text)), never exponential time.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Lit(char),
        Any,  // ?
        Star, // *
        Deep, // **
        /// `**/`: nothing, or any run of whole segments (so `a/**/b` matches `a/b`).
        DeepDir,
    }
    let pattern = pattern.trim_start_matches('/');
    let text: Vec<char> = text.trim_start_matches('/').chars().collect();
    let mut toks = Vec::new();
    let mut it = pattern.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '*' if it.peek() == Some(&'*') => {
                it.next();
                if it.peek() == Some(&'/') {
                    it.next();
                    toks.push(Tok::DeepDir);
                } else {
                    toks.push(Tok::Deep);
                }
            }
            '*' => toks.push(Tok::Star),
            '?' => toks.push(Tok::Any),
            c => toks.push(Tok::Lit(c)),
        }
    }
    let n = text.len();
    // cur[j]: pattern prefix matched text[..j].
    let mut cur = vec![false; n + 1];
    cur[0] = true;
    for t in toks {
        let mut next = vec![false; n + 1];
        match t {
            Tok::Star | Tok::Deep => {
                for j in 0..=n {
                    next[j] =
                        cur[j] || (j > 0 && next[j - 1] && (t == Tok::Deep || text[j - 1] != '/'));
                }
            }
            Tok::DeepDir => {
                let mut seen = false;
                for j in 0..=n {
                    // `seen`: some earlier position matched, so text[i..j] can be skipped.
                    next[j] = cur[j] || (seen && text[j - 1] == '/');
                    seen |= cur[j];
                }
            }
            Tok::Any => {
                for j in 1..=n {
                    next[j] = cur[j - 1] && text[j - 1] != '/';
                }
            }
            Tok::Lit(c) => {
                for j in 1..=n {
                    next[j] = cur[j - 1] && text[j - 1] == c;
                }
            }
        }
        cur = next;
    }
    cur[n]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::tests::finding;
    use hull_model::{FixState, Severity};

    #[test]
    fn globs() {
        for (p, t, want) in [
            ("lib/apk/db/installed", "lib/apk/db/installed", true),
            ("/lib/apk/db/*", "lib/apk/db/installed", true),
            ("lib/*/installed", "lib/apk/db/installed", false),
            ("lib/**/installed", "lib/apk/db/installed", true),
            ("**/installed", "lib/apk/db/installed", true),
            ("**/installed", "installed", true),
            ("**/installed", "xinstalled", false),
            ("a/**/b", "a/b", true),
            ("a/**/b", "a/x/y/b", true),
            ("a/**/b", "ab", false),
            ("app/**/package.json", "app/package.json", true),
            ("app/**", "app/node_modules/x/package.json", true),
            ("app/*.jar", "app/lib/a.jar", false),
            ("app/?.jar", "app/a.jar", true),
            ("app/?.jar", "app/ab.jar", false),
            ("*", "", true),
            ("", "x", false),
        ] {
            assert_eq!(glob_match(p, t), want, "{p} vs {t}");
        }
        // Pathological pattern stays fast.
        let p = "*a".repeat(200);
        assert!(!glob_match(&p, &"a".repeat(150)));
    }

    #[test]
    fn parse_and_match() {
        let y = br#"
vulnerabilities:
  - id: cve-1
    reason: accepted risk
  - id: GHSA-xxxx-yyyy-zzzz
    purls: [pkg:apk/alpine/openssl]
    paths: ["lib/apk/**"]
    expires: 2026-12-01
  - id: CVE-1
    purls: [pkg:apk/alpine/libssl]
  - id: CVE-1
    paths: ["usr/**"]
  - id: CVE-1
    expires: "2026-11-29T00:00:00Z"
"#;
        let f = IgnoreFile::parse(y).unwrap();
        let x = finding("CVE-1", Severity::High, FixState::NotFixed);
        let got: Vec<bool> = f.vulnerabilities.iter().map(|e| e.matches(&x)).collect();
        assert_eq!(got, vec![true, true, false, false, true]);
        assert_eq!(f.vulnerabilities[4].expires.as_deref(), Some("2026-11-29"));
        let (live, expired) = f.partition_expired("2026-11-29");
        assert_eq!((live.len(), expired.len()), (4, 1));
        let (live, expired) = f.partition_expired("2026-12-01");
        assert_eq!((live.len(), expired.len()), (3, 2));
    }

    #[test]
    fn rejects_bad_files() {
        for bad in [
            &b"vulnerabilities:\n  - id: CVE-1\n    expire: 2027-01-01\n"[..],
            b"vulnerabilities:\n  - id: CVE-1\n    expires: tomorrow\n",
            b"vulnerabilities:\n  - id: ''\n",
            b"vulnerabilities:\n  - id: CVE-1\n    purls: [openssl]\n",
            b"vulnerabilities: 3\n",
            b"- a\n- b\n",
            b"\xff\xfe",
        ] {
            assert!(
                IgnoreFile::parse(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(IgnoreFile::parse(b"\n").unwrap(), IgnoreFile::default());
    }

    #[test]
    fn line_format_still_reads() {
        let f =
            IgnoreFile::parse(b"# accepted\nCVE-1 openssl # why\nGHSA-xxxx-yyyy-zzzz\n").unwrap();
        assert_eq!(f.vulnerabilities.len(), 2);
        assert_eq!(f.vulnerabilities[0].packages, vec!["openssl".to_string()]);
        let x = finding("CVE-1", Severity::High, FixState::NotFixed);
        assert!(f.vulnerabilities.iter().all(|e| e.matches(&x)));
        let f = IgnoreFile::parse(b"CVE-1 musl\n").unwrap();
        assert!(!f.vulnerabilities[0].matches(&x));
        // Three words or a key: not the line format, the YAML error stands.
        assert!(IgnoreFile::parse(b"CVE-1 a b\n").is_err());
    }
}
