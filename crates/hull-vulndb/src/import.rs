//! Reading feed files from disk: single files, directory trees, zips (OSV `all.zip`,
//! GitHub archive zips), `.gz` and `.bz2` files (detected by magic bytes, not by name),
//! grouped into named sources.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::feed::{self, Skipped};
use crate::store::{SourceData, SourceUpdate};

/// Files larger than this are refused (a feed file is at most tens of MB; this bounds
/// memory on hostile input such as a zip bomb).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Why a path could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: broken zip archive: {reason}")]
    Zip { path: String, reason: String },
    #[error("{path}: broken or truncated compressed stream: {reason}")]
    Decompress { path: String, reason: String },
    #[error("{path}: larger than {MAX_FILE_BYTES} bytes")]
    TooLarge { path: String },
}

/// Visit every file under `path` as (display name, bytes). Directories are walked in
/// sorted order; hidden entries (`.git`) are skipped.
pub fn for_each_file(path: &Path, f: &mut dyn FnMut(&str, &[u8])) -> Result<(), ImportError> {
    let io = |source| ImportError::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            for_each_file(&e.path(), f)?;
        }
        return Ok(());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge {
            path: path.display().to_string(),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    for_each_blob(&path.display().to_string(), &bytes, f)
}

/// Visit an in-memory blob: unpacks zips, gzip and bzip2, passes anything else through.
pub fn for_each_blob(
    name: &str,
    bytes: &[u8],
    f: &mut dyn FnMut(&str, &[u8]),
) -> Result<(), ImportError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        let zip_err = |e: zip::result::ZipError| ImportError::Zip {
            path: name.to_string(),
            reason: e.to_string(),
        };
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zip_err)?;
        let mut names: Vec<(usize, String)> = (0..archive.len())
            .filter_map(|i| archive.name_for_index(i).map(|n| (i, n.to_string())))
            .collect();
        names.sort_by(|a, b| a.1.cmp(&b.1));
        for (i, entry_name) in names {
            let mut entry = archive.by_index(i).map_err(zip_err)?;
            if entry.is_dir() {
                continue;
            }
            if entry.size() > MAX_FILE_BYTES {
                return Err(ImportError::TooLarge {
                    path: format!("{name}!{entry_name}"),
                });
            }
            let mut buf = Vec::with_capacity(entry.size() as usize);
            entry
                .by_ref()
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut buf)
                .map_err(|e| ImportError::Zip {
                    path: format!("{name}!{entry_name}"),
                    reason: e.to_string(),
                })?;
            f(&format!("{name}!{entry_name}"), &buf);
        }
        return Ok(());
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let out = decompress(name, flate2::read::GzDecoder::new(bytes), MAX_FILE_BYTES)?;
        f(name.strip_suffix(".gz").unwrap_or(name), &out);
        return Ok(());
    }
    // bzip2: `BZh` and a block size digit. Red Hat publishes OVAL v2 only this way.
    if bytes.len() >= 4 && bytes.starts_with(b"BZh") && (b'1'..=b'9').contains(&bytes[3]) {
        // Multi-stream, as `bunzip2` reads concatenated streams.
        let out = decompress(
            name,
            bzip2::read::MultiBzDecoder::new(bytes),
            MAX_FILE_BYTES,
        )?;
        f(name.strip_suffix(".bz2").unwrap_or(name), &out);
        return Ok(());
    }
    f(name, bytes);
    Ok(())
}

/// Read a whole decompressed stream, refusing more than `limit` bytes (a small
/// compressed file can expand without bound: the bomb guard every path shares, with
/// [`MAX_FILE_BYTES`]).
fn decompress(name: &str, reader: impl Read, limit: u64) -> Result<Vec<u8>, ImportError> {
    let mut out = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| ImportError::Decompress {
            path: name.to_string(),
            reason: e.to_string(),
        })?;
    if out.len() as u64 > limit {
        return Err(ImportError::TooLarge {
            path: name.to_string(),
        });
    }
    Ok(out)
}

/// Statistics of reading one path.
#[derive(Debug, Default, Clone)]
pub struct ReadStats {
    pub files: usize,
    /// Files that are not advisory data (READMEs, checksums…).
    pub ignored: usize,
}

/// Parse everything under `path` into sources. `source` overrides the name; otherwise
/// each file's format suggests one (`alpine-secdb:v3.9-main`, `debian-dsa`, …) and
/// OSV/RustSec data is named after the path (`osv:pypi-pypa`).
///
/// A path that cannot be read at all, or that yields no advisories but some errors,
/// becomes a failed source so the store keeps that source's previous data.
pub fn read_path(path: &Path, source: Option<&str>) -> (Vec<SourceUpdate>, ReadStats) {
    // Generic directory names (`osv`, `advisories`) say less than their parent
    // (`rustsec/osv` -> `rustsec`, `ghsa/advisories` -> `ghsa`).
    let name_of = |p: &Path| p.file_name().map(|n| n.to_string_lossy().to_string());
    let base = match name_of(path) {
        Some(n) if ["osv", "advisories", "data", "vulns", "crates"].contains(&n.as_str()) => {
            path.parent().and_then(name_of).unwrap_or(n)
        }
        Some(n) => n,
        None => "feed".into(),
    };
    let base = base
        .trim_end_matches(".bz2")
        .trim_end_matches(".gz")
        .trim_end_matches(".zip")
        .trim_end_matches(".json")
        .trim_end_matches(".yaml")
        .to_string();
    let mut groups: BTreeMap<String, SourceData> = BTreeMap::new();
    let mut errors: Vec<Skipped> = Vec::new();
    let mut stats = ReadStats::default();
    let walk = for_each_file(path, &mut |name, bytes| {
        stats.files += 1;
        match feed::parse_any(name, bytes) {
            Ok(None) => stats.ignored += 1,
            Ok(Some((format, parsed))) => {
                let group = source.map(str::to_string).unwrap_or_else(|| match format {
                    feed::Format::OsvJson | feed::Format::OsvYaml => format!("osv:{base}"),
                    _ => parsed
                        .source_hint
                        .clone()
                        .unwrap_or_else(|| format!("{}:{base}", format.as_str())),
                });
                let g = groups.entry(group).or_default();
                if !g.formats.contains(&format) {
                    g.formats.push(format);
                }
                g.origin = path.display().to_string();
                g.advisories.extend(parsed.advisories);
                g.skipped.extend(parsed.skipped);
                g.eol.extend(parsed.eol);
            }
            Err(e) => errors.push(Skipped {
                file: name.to_string(),
                record: "-".into(),
                reason: e.to_string(),
            }),
        }
    });
    let mut out = Vec::new();
    if let Err(e) = walk {
        let name = source
            .map(str::to_string)
            .or_else(|| groups.keys().next().cloned())
            .unwrap_or_else(|| format!("file:{base}"));
        out.push(SourceUpdate {
            name,
            result: Err(e.to_string()),
        });
        return (out, stats);
    }
    if groups.is_empty() {
        // Nothing usable: a failed source (its previous data, if any, is kept).
        let reason = errors
            .first()
            .map(|e| e.reason.clone())
            .unwrap_or_else(|| format!("{}: no advisory data recognised", path.display()));
        out.push(SourceUpdate {
            name: source
                .map(str::to_string)
                .unwrap_or_else(|| format!("file:{base}")),
            result: Err(reason),
        });
        return (out, stats);
    }
    // File-level errors inside a multi-file source are reported with its data.
    let n = groups.len();
    for (i, (name, mut data)) in groups.into_iter().enumerate() {
        if i + 1 == n {
            data.skipped.append(&mut errors);
        }
        out.push(SourceUpdate {
            name,
            result: Ok(data),
        });
    }
    (out, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn bz2(data: &[u8]) -> Vec<u8> {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn bzip2_by_magic_multi_stream_and_bounded() {
        let doc = br#"{"id":"GHSA-1","modified":"2024-01-01T00:00:00Z"}"#;
        // Two concatenated streams read as one, as `bunzip2` does.
        let mut two = bz2(&doc[..10]);
        two.extend(bz2(&doc[10..]));
        let mut seen = Vec::new();
        for_each_blob("feed.json.bz2", &two, &mut |n, b| {
            seen.push((n.to_string(), b.to_vec()))
        })
        .unwrap();
        assert_eq!(seen, vec![("feed.json".to_string(), doc.to_vec())]);

        // A bomb: 10 MB of zeros in a few dozen bytes stops at the limit.
        let bomb = bz2(&vec![0u8; 10_000_000]);
        assert!(bomb.len() < 1000);
        let err = decompress(
            "bomb.bz2",
            bzip2::read::MultiBzDecoder::new(&bomb[..]),
            4096,
        )
        .unwrap_err();
        assert!(matches!(err, ImportError::TooLarge { .. }), "{err}");
        let err = decompress(
            "bomb.gz",
            flate2::read::GzDecoder::new(&[0x1f, 0x8b][..]),
            10,
        )
        .unwrap_err();
        assert!(matches!(err, ImportError::Decompress { .. }), "{err}");

        // Truncated: a clear error, nothing delivered.
        let truncated = &two[..two.len() - 8];
        let mut called = false;
        let err = for_each_blob("t.bz2", truncated, &mut |_, _| called = true).unwrap_err();
        assert!(
            err.to_string().contains("truncated compressed stream"),
            "{err}"
        );
        assert!(!called);
        // `BZh` without a block-size digit is not bzip2: passed through as is.
        let mut raw = Vec::new();
        for_each_blob("x", b"BZhello", &mut |_, b| raw = b.to_vec()).unwrap();
        assert_eq!(raw, b"BZhello");
    }
}
