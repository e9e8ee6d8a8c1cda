//! `python-requirements`: pinned `requirements*.txt` files (pip's requirements format,
//! <https://pip.pypa.io/en/stable/reference/requirements-file-format/>).
//!
//! Only exact pins are packages: `name==1.2.3` or `name===1.2.3`, with extras
//! (`name[socks]==…`), environment markers (`; python_version < "3.12"`), trailing
//! `--hash` options and `\` continuations allowed. Ranges (`>=`), wildcards (`==1.*`),
//! URLs, editable installs and options (`-r`, `-c`, `--index-url`) say nothing exact
//! and are skipped; a line that is not a requirement is a warning.
//!
//! A requirements file says what a build would install, not what is installed, so its
//! packages are kept only in a tree without an operating system (a `dir:` scan of a
//! source tree or CI workspace); in an image, or an unpacked image rootfs, the installed
//! distributions (`python-dist`) are the inventory.

use hull_model::{pep503_name, Ecosystem, ImagePath, Purl};

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "python-requirements",
    wants,
    parse,
};

const MAX_SIZE: u64 = 4 << 20;

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    let name = path.file_name();
    size <= MAX_SIZE
        && name.starts_with("requirements")
        && name.ends_with(".txt")
        && !path
            .components()
            .any(|c| c == "site-packages" || c == "node_modules")
}

/// `Django[argon2]==3.2.0 ; python_version >= "3.8" --hash=sha256:…` -> (Django, 3.2.0).
/// `Err(())` for a line that is not a requirement at all; `Ok(None)` for one that pins
/// nothing exact.
fn requirement(line: &str) -> Result<Option<(&str, &str)>, ()> {
    let spec = line.split(';').next().unwrap_or(line).trim();
    let spec = spec.split(" --").next().unwrap_or(spec).trim();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(spec.len());
    let (name, rest) = spec.split_at(end);
    if name.is_empty() {
        return Err(());
    }
    let rest = rest.trim_start();
    let rest = match rest.strip_prefix('[') {
        Some(r) => r.split_once(']').ok_or(())?.1.trim_start(),
        None => rest,
    };
    if rest.is_empty() || rest.starts_with(['<', '>', '~', '!', '@']) {
        return Ok(None);
    }
    let version = match rest.strip_prefix("===").or_else(|| rest.strip_prefix("==")) {
        Some(v) => v.trim(),
        None => return Err(()),
    };
    // A second clause (`==1.0,!=1.0.1`) or a wildcard is not one exact version.
    if version.is_empty() || version.contains([',', '*', ' ']) {
        return Ok(None);
    }
    Ok(Some((name, version)))
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, MAX_SIZE)?;
    let text = lang::text(input.path, input.data)?;
    let mut found = Found::default();
    let mut logical = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if logical.is_empty() {
            start = i + 1;
        }
        // A comment starts at `#` at the line start or after whitespace.
        let line = match raw.find(" #") {
            Some(c) => &raw[..c],
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        };
        if let Some(cont) = line.trim_end().strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        let l = std::mem::take(&mut logical);
        let l = l.trim();
        if l.is_empty() || l.starts_with('-') || l.contains("://") || l.starts_with(['.', '/']) {
            continue;
        }
        match requirement(l) {
            Ok(Some((name, version))) => {
                let purl = Purl::new("pypi", None, &pep503_name(name), Some(version), &[]);
                found.packages.push(lang::package(
                    Ecosystem::Pypi,
                    name,
                    version,
                    purl,
                    input.path.clone(),
                    ANALYZER.id,
                ));
            }
            Ok(None) => {}
            Err(()) => found.warnings.push(format!(
                "{} line {start}: not a requirement: `{l}`",
                input.path
            )),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_only() {
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/catalog_python_requirements/pinned"),
        )
        .unwrap();
        let path = ImagePath::new("app/requirements-prod.txt").unwrap();
        assert!(wants(&path, 0o644, 10));
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: &data,
        })
        .unwrap();
        let got: Vec<String> = f
            .packages
            .iter()
            .map(|p| format!("{} {}", p.name, p.purl))
            .collect();
        assert_eq!(
            got,
            [
                "Django pkg:pypi/django@3.2.0",
                "requests pkg:pypi/requests@2.25.0",
                "PyYAML pkg:pypi/pyyaml@5.3",
                "urllib3 pkg:pypi/urllib3@1.26.4",
                "zope.interface pkg:pypi/zope-interface@6.1",
            ]
        );
        assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
        assert!(f.warnings[0].contains("line 16"), "{:?}", f.warnings);
        for (p, want) in [
            ("requirements.txt", true),
            ("requirements/base.txt", false),
            ("app/requirements-dev.txt", true),
            ("app/notes.txt", false),
        ] {
            assert_eq!(wants(&ImagePath::new(p).unwrap(), 0o644, 1), want, "{p}");
        }
    }
}
