//! Parsing package URLs read from foreign SBOMs
//! (<https://github.com/package-url/purl-spec/blob/master/PURL-SPECIFICATION.rst>).
//!
//! hull builds purls with [`hull_model::Purl::new`]; SBOMs written by other tools carry
//! purls in every flavour the spec tolerates (raw `@` in npm scopes, `pkg://`, upper-case
//! types, encoded slashes), so the reader takes them apart here, percent-decoding each
//! part, and maps the purl type back to an [`Ecosystem`].

use std::collections::BTreeMap;

use hull_model::Ecosystem;

/// The parts of a purl, percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedPurl {
    /// Lower-cased purl type (`deb`, `golang`, `npm`…).
    pub ty: String,
    /// Decoded namespace segments joined with `/` (`debian`, `github.com/opencontainers`,
    /// `@babel`), empty when absent.
    pub namespace: String,
    pub name: String,
    pub version: Option<String>,
    /// Keys lower-cased, values decoded.
    pub qualifiers: BTreeMap<String, String>,
    pub subpath: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurlError {
    #[error("purl `{0}` does not start with `pkg:`")]
    Scheme(String),
    #[error("purl `{0}` has no type")]
    NoType(String),
    #[error("purl `{0}` has no name")]
    NoName(String),
    #[error("purl `{0}` has a malformed percent-escape")]
    Escape(String),
}

impl ParsedPurl {
    /// Parse `raw` following the spec's right-to-left algorithm: `#subpath`, `?qualifiers`,
    /// `@version`, then `type/namespace/name`.
    pub fn parse(raw: &str) -> Result<ParsedPurl, PurlError> {
        let err_escape = || PurlError::Escape(raw.to_string());
        let rest = raw
            .strip_prefix("pkg:")
            .or_else(|| raw.strip_prefix("PKG:"))
            .ok_or_else(|| PurlError::Scheme(raw.to_string()))?;
        // The spec tolerates `pkg://type/...`: leading slashes are not part of the type.
        let rest = rest.trim_start_matches('/');

        let (rest, subpath) = match rest.split_once('#') {
            Some((r, s)) => {
                let segs: Result<Vec<String>, _> = s
                    .split('/')
                    .filter(|x| !x.is_empty() && *x != "." && *x != "..")
                    .map(decode)
                    .collect();
                let segs = segs.map_err(|_| err_escape())?;
                (r, (!segs.is_empty()).then(|| segs.join("/")))
            }
            None => (rest, None),
        };

        let (rest, qualifiers) = match rest.split_once('?') {
            Some((r, q)) => {
                let mut map = BTreeMap::new();
                for pair in q.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let v = decode(v).map_err(|_| err_escape())?;
                    if !v.is_empty() {
                        map.insert(k.to_ascii_lowercase(), v);
                    }
                }
                (r, map)
            }
            None => (rest, BTreeMap::new()),
        };

        let rest = rest.trim_end_matches('/');
        // The version separator is the last `@` after the last `/`: a raw `@` earlier is an
        // unencoded npm scope (`pkg:npm/@babel/core`), which many tools emit.
        let last_slash = rest.rfind('/');
        let (rest, version) = match rest.rfind('@') {
            Some(at) if last_slash.is_none_or(|s| at > s) => {
                let v = decode(&rest[at + 1..]).map_err(|_| err_escape())?;
                (&rest[..at], (!v.is_empty()).then_some(v))
            }
            _ => (rest, None),
        };

        let mut parts = rest.split('/').filter(|s| !s.is_empty());
        let ty = parts
            .next()
            .filter(|t| !t.contains('@'))
            .ok_or_else(|| PurlError::NoType(raw.to_string()))?
            .to_ascii_lowercase();
        let segs: Vec<&str> = parts.collect();
        let (name, ns) = match segs.split_last() {
            Some((n, ns)) => (n, ns),
            None => return Err(PurlError::NoName(raw.to_string())),
        };
        let name = decode(name).map_err(|_| err_escape())?;
        if name.is_empty() {
            return Err(PurlError::NoName(raw.to_string()));
        }
        let ns: Result<Vec<String>, _> = ns.iter().map(|s| decode(s)).collect();
        let namespace = ns.map_err(|_| err_escape())?.join("/");

        Ok(ParsedPurl {
            ty,
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }

    /// The hull ecosystem of this purl type, `None` for types hull does not track
    /// (`generic`, `oci`, `github`…).
    pub fn ecosystem(&self) -> Option<Ecosystem> {
        Some(match self.ty.as_str() {
            "deb" => Ecosystem::Deb,
            "apk" | "alpine" => Ecosystem::Apk,
            "rpm" => Ecosystem::Rpm,
            "pypi" => Ecosystem::Pypi,
            "npm" => Ecosystem::Npm,
            "cargo" => Ecosystem::Cargo,
            "golang" => Ecosystem::Go,
            "maven" => Ecosystem::Maven,
            "gem" => Ecosystem::Rubygems,
            "composer" => Ecosystem::Composer,
            "nuget" => Ecosystem::Nuget,
            _ => return None,
        })
    }

    /// The package name as its ecosystem spells it: Go module paths and npm scopes keep
    /// their namespace (`github.com/x/y`, `@babel/core`), Maven is `group:artifact`,
    /// distro packages drop the vendor namespace (`debian`).
    pub fn package_name(&self) -> String {
        if self.namespace.is_empty() {
            return self.name.clone();
        }
        match self.ty.as_str() {
            "golang" | "npm" | "composer" => format!("{}/{}", self.namespace, self.name),
            "maven" => format!("{}:{}", self.namespace, self.name),
            _ => self.name.clone(),
        }
    }
}

/// Percent-decode one purl component. Invalid UTF-8 after decoding is an error too.
fn decode(s: &str) -> Result<String, ()> {
    if !s.contains('%') {
        return Ok(s.to_string());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = b.get(i + 1).and_then(|c| (*c as char).to_digit(16));
            let lo = b.get(i + 2).and_then(|c| (*c as char).to_digit(16));
            match (hi, lo) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err(()),
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hull_model::Purl;

    #[test]
    fn parses_spec_examples_and_tool_quirks() {
        let p = ParsedPurl::parse(
            "pkg:deb/debian/libc6@1:2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
        )
        .unwrap();
        assert_eq!(p.ty, "deb");
        assert_eq!(p.namespace, "debian");
        assert_eq!(p.name, "libc6");
        assert_eq!(p.version.as_deref(), Some("1:2.36-9+deb12u4"));
        assert_eq!(p.qualifiers["distro"], "debian-12");
        assert_eq!(p.qualifiers["upstream"], "glibc");
        assert_eq!(p.ecosystem(), Some(Ecosystem::Deb));
        assert_eq!(p.package_name(), "libc6");

        for (raw, name, version) in [
            ("pkg:npm/%40babel/core@7.0.0", "@babel/core", Some("7.0.0")),
            ("pkg:npm/@babel/core@7.0.0", "@babel/core", Some("7.0.0")),
            ("pkg:npm/@babel/core", "@babel/core", None),
            ("pkg://NPM/lodash@4.17.4", "lodash", Some("4.17.4")),
            (
                "pkg:golang/github.com/dgrijalva/jwt-go@v3.2.0%2Bincompatible",
                "github.com/dgrijalva/jwt-go",
                Some("v3.2.0+incompatible"),
            ),
            (
                "pkg:maven/com.thoughtworks.xstream/xstream@1.4.20?type=jar",
                "com.thoughtworks.xstream:xstream",
                Some("1.4.20"),
            ),
            ("pkg:pypi/django@3.2#src/x", "django", Some("3.2")),
        ] {
            let p = ParsedPurl::parse(raw).unwrap();
            assert_eq!(p.package_name(), name, "{raw}");
            assert_eq!(p.version.as_deref(), version, "{raw}");
        }
        assert_eq!(
            ParsedPurl::parse("pkg:pypi/django@3.2#src/x")
                .unwrap()
                .subpath
                .as_deref(),
            Some("src/x")
        );
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for raw in [
            "",
            "pkg:",
            "pkg:/",
            "pkg:npm",
            "pkg:npm/",
            "npm/lodash",
            "pkg:npm/lo%zzdash",
            "pkg:npm/lodash@%",
            "pkg:npm/%ff%fe",
            "pkg:@/x",
        ] {
            assert!(ParsedPurl::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn round_trips_hull_purls() {
        let purl = Purl::new(
            "golang",
            Some("github.com/opencontainers"),
            "runc",
            Some("v1.1.5+dirty"),
            &[("goos", "linux"), ("x", "a&b=c")],
        );
        let p = ParsedPurl::parse(purl.as_str()).unwrap();
        assert_eq!(p.package_name(), "github.com/opencontainers/runc");
        assert_eq!(p.version.as_deref(), Some("v1.1.5+dirty"));
        assert_eq!(p.qualifiers["x"], "a&b=c");
    }
}
