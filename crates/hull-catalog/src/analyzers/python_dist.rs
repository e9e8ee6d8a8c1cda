//! `python-dist`: installed Python distributions — `*.dist-info/METADATA` (wheels, pip),
//! `*.egg-info/PKG-INFO` and single-file `*.egg-info` (setuptools, only below a
//! `site-packages` or `dist-packages` directory), and eggs: unzipped
//! (`*.egg/EGG-INFO/PKG-INFO`, anywhere) and zipped (`*.egg` files below
//! `site-packages`/`dist-packages`, their `EGG-INFO/PKG-INFO` read from the zip; the
//! package path is the `.egg`).
//!
//! The metadata is an RFC 822-style header block (core metadata spec,
//! <https://packaging.python.org/en/latest/specifications/core-metadata/>); only the
//! headers before the first blank line matter, the rest is the long description.
//! The package `path` is the `.dist-info`/`.egg-info` directory (what pip calls the
//! distribution), or the `.egg-info` file itself.

use hull_model::{Ecosystem, ImagePath, Purl};

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "python-dist",
    wants,
    parse,
};

/// METADATA files are small; the long description can be large (urllib3's is 43 KiB).
const MAX_SIZE: u64 = 4 << 20;

/// Metadata directories are recognised anywhere: `pip install --target DIR` and
/// `PYTHONPATH` layouts put distributions outside `site-packages`, and a `.dist-info`
/// directory is only ever written by an installer. A lone `.egg-info` *file* is less
/// specific, so it counts only inside `site-packages`/`dist-packages`.
fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    if size > MAX_SIZE {
        return false;
    }
    let name = path.file_name();
    let parent = path.parent();
    let parent_name = parent.as_ref().map(|p| p.file_name()).unwrap_or("");
    let grandparent = parent.as_ref().and_then(|p| p.parent());
    (name == "METADATA" && parent_name.ends_with(".dist-info"))
        || (name == "PKG-INFO" && parent_name.ends_with(".egg-info"))
        || (name.ends_with(".egg-info") && in_site_packages(path))
        // an unzipped egg: `foo-1.0-py3.11.egg/EGG-INFO/PKG-INFO`
        || (name == "PKG-INFO"
            && parent_name == "EGG-INFO"
            && grandparent.is_some_and(|g| g.file_name().ends_with(".egg")))
}

/// A zipped egg (`foo-1.0-py3.11.egg`, a zip holding `EGG-INFO/PKG-INFO`): read below
/// `site-packages`/`dist-packages` (where easy_install puts them) up to 64 MiB.
fn wants_zipped_egg(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= MAX_EGG && path.file_name().ends_with(".egg") && in_site_packages(path)
}

const MAX_EGG: u64 = 64 << 20;

/// The analyzer row for zipped eggs.
pub const ZIPPED_EGG: Analyzer = Analyzer {
    id: "python-egg",
    wants: wants_zipped_egg,
    parse: parse_zipped_egg,
};

fn parse_zipped_egg(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    use std::io::Read;
    lang::check_size(input.path, input.data, MAX_EGG)?;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(input.data))
        .map_err(|e| lang::malformed(input.path, format!("egg: zip: {e}")))?;
    let mut entry = zip
        .by_name("EGG-INFO/PKG-INFO")
        .map_err(|e| lang::malformed(input.path, format!("egg: EGG-INFO/PKG-INFO: {e}")))?;
    let mut data = Vec::new();
    (&mut entry)
        .take(MAX_SIZE + 1)
        .read_to_end(&mut data)
        .map_err(|e| lang::malformed(input.path, format!("egg: EGG-INFO/PKG-INFO: {e}")))?;
    drop(entry);
    from_metadata(input.path, &data, input.path.clone())
}

fn in_site_packages(path: &ImagePath) -> bool {
    path.components()
        .any(|c| c == "site-packages" || c == "dist-packages")
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    let file = input.path.file_name();
    let parent = input.path.parent().unwrap_or_else(|| input.path.clone());
    let path = if file == "PKG-INFO" && parent.file_name() == "EGG-INFO" {
        // the `.egg` directory is the distribution
        parent.parent().unwrap_or(parent)
    } else if file == "METADATA" || file == "PKG-INFO" {
        parent
    } else {
        input.path.clone()
    };
    from_metadata(input.path, input.data, path)
}

/// A package from core-metadata bytes read at `file`, reported at `path`.
fn from_metadata(file: &ImagePath, data: &[u8], path: ImagePath) -> Result<Found, AnalyzeError> {
    let input = FileInput {
        path: file,
        mode: 0,
        data,
    };
    let input = &input;
    lang::check_size(input.path, input.data, MAX_SIZE)?;
    // Old PKG-INFO files are sometimes Latin-1; decode lossily rather than give up.
    let text = String::from_utf8_lossy(input.data);
    let meta = parse_metadata(&text);
    let name = meta
        .name
        .ok_or_else(|| lang::malformed(input.path, "no Name header"))?;
    let version = meta
        .version
        .ok_or_else(|| lang::malformed(input.path, "no Version header"))?;
    let purl = Purl::new(
        "pypi",
        None,
        &hull_model::pep503_name(&name),
        lang::purl_version(&version),
        &[],
    );
    let found_by = if input.path.file_name().ends_with(".egg") {
        ZIPPED_EGG.id
    } else {
        ANALYZER.id
    };
    let mut pkg = lang::package(Ecosystem::Pypi, &name, &version, purl, path, found_by);
    pkg.licenses = meta.licenses;
    pkg.properties
        .insert("python.metadata".to_string(), input.path.to_string());
    Ok(Found {
        packages: vec![pkg],
        ..Found::default()
    })
}

#[derive(Debug, Default, PartialEq)]
pub struct Metadata {
    pub name: Option<String>,
    pub version: Option<String>,
    /// License-Expression if present, else License (when it is a short name), else the
    /// `License ::` classifiers.
    pub licenses: Vec<String>,
}

/// Parse the header block of a core-metadata file.
pub fn parse_metadata(text: &str) -> Metadata {
    let mut name = None;
    let mut version = None;
    let mut expression = None;
    let mut license: Option<String> = None;
    let mut classifiers = Vec::new();
    // Which header a continuation line (leading whitespace) belongs to.
    let mut last_was_license = false;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break; // end of headers; the body is the description
        }
        if line.starts_with([' ', '\t']) {
            if last_was_license {
                if let Some(l) = license.as_mut() {
                    l.push('\n');
                    l.push_str(line.trim());
                }
            }
            continue;
        }
        last_was_license = false;
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "name" if name.is_none() && !value.is_empty() => name = Some(value.to_string()),
            "version" if version.is_none() && !value.is_empty() => {
                version = Some(value.to_string())
            }
            "license-expression" if !value.is_empty() => expression = Some(value.to_string()),
            "license" => {
                license = Some(value.to_string());
                last_was_license = true;
            }
            "classifier" => {
                if let Some(rest) = value.strip_prefix("License ::") {
                    // `License :: OSI Approved :: MIT License` -> `MIT License`
                    let last = rest.rsplit("::").next().unwrap_or(rest).trim();
                    if !last.is_empty() && last != "OSI Approved" {
                        classifiers.push(last.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    let licenses = if let Some(e) = expression {
        vec![e]
    } else if let Some(l) = license
        .map(|l| l.trim().to_string())
        // Some projects paste the whole license text into `License`; that is not a name.
        .filter(|l| !l.is_empty() && l != "UNKNOWN" && !l.contains('\n') && l.len() <= 100)
    {
        vec![l]
    } else {
        classifiers
    };
    Metadata {
        name,
        version,
        licenses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eggs_unzipped_and_zipped() {
        let pkg_info = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/catalog_python_metadata/egg-pkg-info"),
        )
        .unwrap();
        let dir = ImagePath::new(
            "usr/lib/python3/site-packages/simplejson-3.19.2-py3.11-linux-x86_64.egg/EGG-INFO/PKG-INFO",
        )
        .unwrap();
        assert!(wants(&dir, 0o644, 100));
        let f = parse(&FileInput {
            path: &dir,
            mode: 0o644,
            data: &pkg_info,
        })
        .unwrap();
        assert_eq!(f.packages[0].purl.as_str(), "pkg:pypi/simplejson@3.19.2");
        assert_eq!(
            f.packages[0].path.as_str(),
            "usr/lib/python3/site-packages/simplejson-3.19.2-py3.11-linux-x86_64.egg"
        );
        // The same PKG-INFO inside a zipped egg.
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("simplejson/__init__.py", opts).unwrap();
        std::io::Write::write_all(&mut w, b"# code\n").unwrap();
        w.start_file("EGG-INFO/PKG-INFO", opts).unwrap();
        std::io::Write::write_all(&mut w, &pkg_info).unwrap();
        let egg = w.finish().unwrap().into_inner();
        let file =
            ImagePath::new("opt/venv/lib/python3.11/site-packages/simplejson-3.19.2-py3.11.egg")
                .unwrap();
        assert!(wants_zipped_egg(&file, 0o644, egg.len() as u64));
        assert!(!wants_zipped_egg(
            &ImagePath::new("home/x.egg").unwrap(),
            0o644,
            10
        ));
        let f = parse_zipped_egg(&FileInput {
            path: &file,
            mode: 0o644,
            data: &egg,
        })
        .unwrap();
        assert_eq!(f.packages[0].purl.as_str(), "pkg:pypi/simplejson@3.19.2");
        assert_eq!(f.packages[0].path, file);
        assert!(parse_zipped_egg(&FileInput {
            path: &file,
            mode: 0o644,
            data: b"PK\x03\x04junk"
        })
        .is_err());
    }

    fn p(s: &str) -> ImagePath {
        ImagePath::new(s).unwrap()
    }

    #[test]
    fn wants_dist_metadata() {
        for (path, want) in [
            (
                "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
                true,
            ),
            (
                "opt/venv/lib/python3.11/site-packages/Django-3.2.dist-info/METADATA",
                true,
            ),
            (
                "usr/lib/python3/dist-packages/foo-1.0.egg-info/PKG-INFO",
                true,
            ),
            ("usr/lib/python3/dist-packages/foo-1.0.egg-info", true),
            (
                "usr/lib/python3/dist-packages/foo-1.0.dist-info/RECORD",
                false,
            ),
            ("opt/pylib/idna-2.8.dist-info/METADATA", true),
            ("home/x/foo-1.0.egg-info", false),
            ("usr/lib/python3/dist-packages/foo/METADATA", false),
        ] {
            assert_eq!(wants(&p(path), 0o644, 100), want, "{path}");
        }
    }

    #[test]
    fn metadata_table() {
        type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [&'a str]);
        let cases: &[Case] = &[
            (
                "Metadata-Version: 2.1\nName: Django\nVersion: 3.2\nLicense: BSD-3-Clause\n\nbody\nName: nope\n",
                Some("Django"),
                Some("3.2"),
                &["BSD-3-Clause"],
            ),
            (
                "Name: x\r\nVersion: 1\r\nLicense-Expression: MIT OR Apache-2.0\r\nLicense: MIT\r\n",
                Some("x"),
                Some("1"),
                &["MIT OR Apache-2.0"],
            ),
            (
                "Name: setuptools\nVersion: 66.1.1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n",
                Some("setuptools"),
                Some("66.1.1"),
                &["MIT License"],
            ),
            (
                "Name: y\nVersion: 2\nLicense: Copyright (c) 2020\n        all rights\n",
                Some("y"),
                Some("2"),
                &[],
            ),
            ("Version: 2\n", None, Some("2"), &[]),
            ("", None, None, &[]),
        ];
        for (text, name, version, licenses) in cases {
            let m = parse_metadata(text);
            assert_eq!(m.name.as_deref(), *name, "{text}");
            assert_eq!(m.version.as_deref(), *version, "{text}");
            assert_eq!(m.licenses, *licenses, "{text}");
        }
    }

    #[test]
    fn normalizes_names() {
        for (raw, want) in [
            ("Django", "django"),
            ("PyYAML", "pyyaml"),
            ("zope.interface", "zope-interface"),
            ("Foo__Bar-.baz", "foo-bar-baz"),
        ] {
            assert_eq!(hull_model::pep503_name(raw), want);
        }
    }

    #[test]
    fn package_path_is_the_dist_dir() {
        let path = p("opt/venv/lib/python3.11/site-packages/pyyaml-5.3.dist-info/METADATA");
        let found = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: b"Name: PyYAML\nVersion: 5.3\nLicense: MIT\n",
        })
        .unwrap();
        let pkg = &found.packages[0];
        assert_eq!(pkg.name, "PyYAML");
        assert_eq!(pkg.purl.as_str(), "pkg:pypi/pyyaml@5.3");
        assert_eq!(
            pkg.path.as_str(),
            "opt/venv/lib/python3.11/site-packages/pyyaml-5.3.dist-info"
        );
        assert!(parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: b"Version: 5.3\n",
        })
        .is_err());
    }
}
