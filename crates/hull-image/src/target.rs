//! Target strings: `kind:location[:tag|@digest]`, or a bare string detected by looking
//! at what it is (see the crate docs for the rules).

use std::path::{Path, PathBuf};

use hull_model::Digest;

use crate::Error;

/// Which image of a multi-image layout or archive.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Selector {
    #[default]
    Any,
    /// `org.opencontainers.image.ref.name` (or a docker-archive `RepoTags` entry).
    Tag(String),
    Digest(Digest),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    DockerArchive(PathBuf, Selector),
    OciArchive(PathBuf, Selector),
    OciDir(PathBuf, Selector),
    /// A file given without a prefix: OCI or docker archive, told by its members.
    Archive(PathBuf, Selector),
    Dir(PathBuf),
    Registry(String),
}

pub(crate) fn parse(target: &str) -> Result<Target, Error> {
    let err = |message: String| Error::Target {
        target: target.to_string(),
        message,
    };
    if let Some((kind, rest)) = target.split_once(':') {
        match kind {
            "docker-archive" => {
                let (p, s) = split_selector(rest).map_err(err)?;
                return Ok(Target::DockerArchive(p, s));
            }
            "oci-archive" => {
                let (p, s) = split_selector(rest).map_err(err)?;
                return Ok(Target::OciArchive(p, s));
            }
            "oci-dir" | "oci" => {
                let (p, s) = split_selector(rest).map_err(err)?;
                return Ok(Target::OciDir(p, s));
            }
            "dir" => return Ok(Target::Dir(PathBuf::from(rest))),
            "registry" | "docker" => {
                return Ok(Target::Registry(rest.trim_start_matches("//").to_string()))
            }
            _ => {}
        }
    }
    let path = Path::new(target);
    if path.is_dir() {
        if path.join("oci-layout").is_file() {
            return Ok(Target::OciDir(path.into(), Selector::Any));
        }
        return Ok(Target::Dir(path.into()));
    }
    if path.is_file() {
        return Ok(Target::Archive(path.into(), Selector::Any));
    }
    // `layout:tag` / `archive@sha256:…` without a prefix.
    if let Ok((p, sel)) = split_selector(target) {
        if sel != Selector::Any {
            if p.is_dir() && p.join("oci-layout").is_file() {
                return Ok(Target::OciDir(p, sel));
            }
            if p.is_file() {
                return Ok(Target::Archive(p, sel));
            }
        }
    }
    if target.contains('/') || target.contains(':') || target.contains('@') || !target.is_empty() {
        return Ok(Target::Registry(target.to_string()));
    }
    Err(err("empty target".into()))
}

/// `path`, `path:tag` or `path@sha256:…`, where `path` is whatever exists on disk
/// (paths may contain `:` themselves).
fn split_selector(rest: &str) -> Result<(PathBuf, Selector), String> {
    if rest.is_empty() {
        return Err("no path given".into());
    }
    if Path::new(rest).exists() {
        return Ok((rest.into(), Selector::Any));
    }
    // The shortest existing prefix is the path; what follows names the image
    // (a docker-archive tag may itself contain `:` and `/`: `x.tar:repo/name:tag`).
    for (i, sep) in rest.char_indices().filter(|(_, c)| *c == ':' || *c == '@') {
        let (p, sel) = (&rest[..i], &rest[i + 1..]);
        if p.is_empty() || sel.is_empty() || !Path::new(p).exists() {
            continue;
        }
        if sep == '@' {
            let d = Digest::parse(sel).map_err(|e| e.to_string())?;
            return Ok((p.into(), Selector::Digest(d)));
        }
        return Ok((p.into(), Selector::Tag(sel.to_string())));
    }
    if let Some((p, d)) = rest.rsplit_once('@') {
        let d = Digest::parse(d).map_err(|e| e.to_string())?;
        return Ok((p.into(), Selector::Digest(d)));
    }
    if let Some((p, t)) = rest.rsplit_once(':') {
        if !t.contains('/') && !t.is_empty() && !p.is_empty() {
            return Ok((p.into(), Selector::Tag(t.to_string())));
        }
    }
    Ok((rest.into(), Selector::Any))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_selectors() {
        assert_eq!(
            parse("oci-dir:/nonexistent/x:1.0").unwrap(),
            Target::OciDir("/nonexistent/x".into(), Selector::Tag("1.0".into()))
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            parse(&format!("oci-archive:/n/x.tar@{d}")).unwrap(),
            Target::OciArchive(
                "/n/x.tar".into(),
                Selector::Digest(Digest::parse(&d).unwrap())
            )
        );
        assert_eq!(parse("dir:/").unwrap(), Target::Dir("/".into()));
        assert_eq!(
            parse("registry:localhost:5000/a/b:1").unwrap(),
            Target::Registry("localhost:5000/a/b:1".into())
        );
        assert_eq!(
            parse("alpine:3.19").unwrap(),
            Target::Registry("alpine:3.19".into())
        );
        assert_eq!(parse("/").unwrap(), Target::Dir("/".into()));
        assert!(parse("oci-archive:").is_err());
    }
}
