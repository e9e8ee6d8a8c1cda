use std::fmt;

/// A package URL (<https://github.com/package-url/purl-spec>), kept as its canonical
/// string. Built with [`Purl::new`], which percent-encodes each part and sorts
/// qualifiers, so two equal packages always produce equal strings.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Purl(String);

impl Purl {
    /// `namespace` may contain `/` (Go module paths, Maven group ids use it as one segment).
    pub fn new(
        ty: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
        qualifiers: &[(&str, &str)],
    ) -> Purl {
        let mut s = format!("pkg:{ty}/");
        if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
            for seg in ns.split('/').filter(|x| !x.is_empty()) {
                s.push_str(&encode(seg));
                s.push('/');
            }
        }
        s.push_str(&encode(name));
        if let Some(v) = version {
            s.push('@');
            s.push_str(&encode(v));
        }
        let mut q: Vec<_> = qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
        q.sort();
        for (i, (k, v)) in q.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(k);
            s.push('=');
            s.push_str(&encode(v));
        }
        Purl(s)
    }

    /// Wrap a purl read from an SBOM (trusted to be canonical enough for display/matching).
    pub fn from_string(s: String) -> Purl {
        Purl(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Percent-encode everything outside the purl-spec's unreserved set (`:` is allowed too).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Purl({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(
            Purl::new(
                "deb",
                Some("debian"),
                "openssl",
                Some("3.0.11-1~deb12u2"),
                &[("distro", "debian-12"), ("arch", "amd64")]
            )
            .as_str(),
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            Purl::new(
                "golang",
                Some("github.com/opencontainers"),
                "runc",
                Some("v1.1.5"),
                &[]
            )
            .as_str(),
            "pkg:golang/github.com/opencontainers/runc@v1.1.5"
        );
        assert_eq!(
            Purl::new("npm", Some("@babel"), "core", Some("7.0.0"), &[]).as_str(),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            Purl::new("deb", Some("debian"), "libc6", Some("1:2.36+x"), &[]).as_str(),
            "pkg:deb/debian/libc6@1:2.36%2Bx"
        );
    }
}
