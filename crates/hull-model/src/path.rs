use std::fmt;

/// A normalised path inside an image or root filesystem: relative to the image root,
/// `/`-separated, no `.`/`..`/empty components. The root itself is the empty path.
///
/// This is the one place the path-traversal guard lives: anything built from untrusted
/// archive names goes through [`ImagePath::new`], which refuses `..` instead of
/// resolving it (a layer that says `../../etc/passwd` is hostile, not a typo).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ImagePath(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("path `{0}` leaves the image root")]
    Traversal(String),
    #[error("path `{0}` contains a NUL byte")]
    Nul(String),
}

impl ImagePath {
    /// Normalise `raw`: leading `/` and `./` are dropped, repeated slashes collapse,
    /// `.` components vanish, `..` anywhere is an error.
    pub fn new(raw: &str) -> Result<Self, PathError> {
        if raw.contains('\0') {
            return Err(PathError::Nul(raw.escape_debug().to_string()));
        }
        let mut out = String::with_capacity(raw.len());
        for part in raw.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(PathError::Traversal(raw.to_string())),
                p => {
                    if !out.is_empty() {
                        out.push('/');
                    }
                    out.push_str(p);
                }
            }
        }
        Ok(ImagePath(out))
    }

    pub fn root() -> Self {
        ImagePath(String::new())
    }

    /// The path without a leading slash (`etc/os-release`); empty for the root.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Last component, `""` for the root.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }

    pub fn parent(&self) -> Option<ImagePath> {
        if self.0.is_empty() {
            return None;
        }
        Some(match self.0.rfind('/') {
            Some(i) => ImagePath(self.0[..i].to_string()),
            None => ImagePath::root(),
        })
    }

    /// Append a relative, already-untrusted name (validated like [`ImagePath::new`]).
    pub fn join(&self, rel: &str) -> Result<ImagePath, PathError> {
        let tail = ImagePath::new(rel)?;
        Ok(match (self.is_root(), tail.is_root()) {
            (true, _) => tail,
            (_, true) => self.clone(),
            _ => ImagePath(format!("{}/{}", self.0, tail.0)),
        })
    }

    /// True when `self` is `dir` or lies below it.
    pub fn starts_with(&self, dir: &ImagePath) -> bool {
        dir.is_root()
            || self.0 == dir.0
            || (self.0.starts_with(&dir.0) && self.0.as_bytes().get(dir.0.len()) == Some(&b'/'))
    }

    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|s| !s.is_empty())
    }
}

/// Displayed the way users think of it: absolute.
impl fmt::Display for ImagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.0)
    }
}

impl fmt::Debug for ImagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImagePath(/{})", self.0)
    }
}

impl serde::Serialize for ImagePath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ImagePath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ImagePath::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_guards() {
        for (raw, want) in [
            ("/etc/os-release", Some("etc/os-release")),
            ("./etc//./os-release", Some("etc/os-release")),
            ("etc/", Some("etc")),
            ("/", Some("")),
            ("", Some("")),
            ("../etc/passwd", None),
            ("a/../../b", None),
            ("a/..", None),
            ("a\0b", None),
        ] {
            assert_eq!(
                ImagePath::new(raw).ok().as_ref().map(|p| p.as_str()),
                want,
                "{raw}"
            );
        }
    }

    #[test]
    fn relations() {
        let p = ImagePath::new("usr/lib/os-release").unwrap();
        assert_eq!(p.file_name(), "os-release");
        assert_eq!(p.parent().unwrap().as_str(), "usr/lib");
        assert!(p.starts_with(&ImagePath::new("usr").unwrap()));
        assert!(!p.starts_with(&ImagePath::new("us").unwrap()));
        assert!(p.starts_with(&ImagePath::root()));
        assert_eq!(p.to_string(), "/usr/lib/os-release");
        assert_eq!(ImagePath::root().join("a/b").unwrap().as_str(), "a/b");
        assert!(p.join("../../..").is_err());
    }
}
