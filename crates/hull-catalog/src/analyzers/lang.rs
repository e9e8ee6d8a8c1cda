//! Helpers shared by the language-package analyzers (not an analyzer itself).

use hull_model::{Ecosystem, ImagePath, Package, Purl};

use crate::AnalyzeError;

/// Largest text manifest/lockfile any language analyzer reads. Real lockfiles of huge
/// monorepos reach a few tens of MiB; anything above this is refused as `TooLarge`.
pub const MAX_TEXT: u64 = 64 << 20;

/// A language package with no layer yet (assembly fills it) and no properties.
pub fn package(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    purl: Purl,
    path: ImagePath,
    found_by: &str,
) -> Package {
    Package::new(
        ecosystem,
        name.to_string(),
        version.to_string(),
        purl,
        path,
        found_by.to_string(),
    )
}

/// `Some(version)` for the purl unless the version is unknown.
pub fn purl_version(version: &str) -> Option<&str> {
    (!version.is_empty()).then_some(version)
}

pub fn malformed(path: &ImagePath, reason: impl Into<String>) -> AnalyzeError {
    AnalyzeError::Malformed {
        path: path.clone(),
        reason: reason.into(),
    }
}

pub fn too_large(path: &ImagePath, reason: impl Into<String>) -> AnalyzeError {
    AnalyzeError::TooLarge {
        path: path.clone(),
        reason: reason.into(),
    }
}

/// Refuse oversized inputs before parsing them.
pub fn check_size(path: &ImagePath, data: &[u8], max: u64) -> Result<(), AnalyzeError> {
    if data.len() as u64 > max {
        return Err(too_large(
            path,
            format!("{} bytes is over the {} byte limit", data.len(), max),
        ));
    }
    Ok(())
}

/// Text of a UTF-8 file; a leading BOM is dropped (Windows-made lockfiles carry one).
pub fn text<'a>(path: &ImagePath, data: &'a [u8]) -> Result<&'a str, AnalyzeError> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    std::str::from_utf8(data).map_err(|e| malformed(path, format!("not utf-8: {e}")))
}

/// An npm package found at `path`, with its npm purl.
pub fn npm_package(name: &str, version: &str, path: ImagePath, found_by: &str) -> Package {
    package(
        Ecosystem::Npm,
        name,
        version,
        npm_purl(name, version),
        path,
        found_by,
    )
}

/// The npm purl: a scope (`@babel`) is the namespace, percent-encoded as `%40babel`.
pub fn npm_purl(name: &str, version: &str) -> Purl {
    let (ns, base) = match name.split_once('/') {
        Some((scope, base)) if scope.starts_with('@') => (Some(scope), base),
        _ => (None, name),
    };
    Purl::new("npm", ns, base, purl_version(version), &[])
}

/// True when `name` is a plausible npm package name (`x`, `@scope/x`); rejects path
/// tricks and empty parts so a hostile lockfile cannot smuggle odd names through.
pub fn valid_npm_name(name: &str) -> bool {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.len() <= 214
            && !p.contains(['/', '\\', '\0', ' '])
    };
    match name.strip_prefix('@') {
        Some(rest) => match rest.split_once('/') {
            Some((scope, base)) => ok_part(scope) && ok_part(base),
            None => false,
        },
        None => ok_part(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_purls() {
        for (name, version, want) in [
            ("lodash", "4.17.4", "pkg:npm/lodash@4.17.4"),
            ("@babel/core", "7.0.0", "pkg:npm/%40babel/core@7.0.0"),
            ("x", "", "pkg:npm/x"),
        ] {
            assert_eq!(npm_purl(name, version).as_str(), want);
        }
    }

    #[test]
    fn npm_names() {
        for (name, ok) in [
            ("lodash", true),
            ("@scope/x", true),
            ("@scope", false),
            ("", false),
            ("..", false),
            ("@a/b/c", false),
            ("a b", false),
        ] {
            assert_eq!(valid_npm_name(name), ok, "{name}");
        }
    }
}
