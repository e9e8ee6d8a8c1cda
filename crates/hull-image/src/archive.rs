//! Outer archives (`oci-archive:`, `docker-archive:`): one pass over the tar records
//! where each member starts; blobs are then read by seeking, so layers can be inflated
//! in parallel straight from the archive. A gzip-compressed outer tar cannot be seeked:
//! its small members are kept in memory during the index pass and layers are read by
//! streaming the archive again, one layer after another, in archive order.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::layer::{self, Budget, LayerSpec, Visitor};
use crate::store::Loc;
use crate::tree::Entry;
use crate::{Error, Limits};

enum Member {
    File {
        offset: u64,
        size: u64,
        /// Kept for gzip archives (small members only).
        data: Option<Vec<u8>>,
    },
    /// Symlink or hard link to another member (already made archive-relative).
    Link(String),
}

pub(crate) struct ArchiveIndex {
    pub path: PathBuf,
    pub gzip: bool,
    members: HashMap<String, Member>,
}

/// Total bytes of small members buffered for a gzip outer archive.
const MAX_BUFFERED: u64 = 256 << 20;

fn part_of(path: &Path) -> String {
    format!("archive {}", path.display())
}

/// Normalise a member name (`./blobs//sha256/x` → `blobs/sha256/x`).
fn member_name(raw: &str) -> Option<String> {
    layer::entry_path(raw).map(|p| p.as_str().to_string())
}

pub(crate) fn index(path: &Path, limits: &Limits) -> Result<ArchiveIndex, Error> {
    let part = part_of(path);
    let mut f = File::open(path).map_err(|e| Error::io(&part, e))?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic).map_err(|e| Error::io(&part, e))?;
    f.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(&part, e))?;
    let gzip = n == 2 && magic == [0x1f, 0x8b];
    let members = if gzip {
        let mut ar = tar::Archive::new(flate2::read::MultiGzDecoder::new(BufReader::new(f)));
        let entries = ar.entries().map_err(|e| Error::io(&part, e))?;
        collect(entries, true, &part, limits)?
    } else {
        // Seek over member data instead of reading it: indexing costs one read per header.
        let mut ar = tar::Archive::new(BufReader::new(f));
        let entries = ar.entries_with_seek().map_err(|e| Error::io(&part, e))?;
        collect(entries, false, &part, limits)?
    };
    Ok(ArchiveIndex {
        path: path.to_path_buf(),
        gzip,
        members,
    })
}

fn collect<R: Read>(
    entries: tar::Entries<'_, R>,
    gzip: bool,
    part: &str,
    limits: &Limits,
) -> Result<HashMap<String, Member>, Error> {
    let mut members = HashMap::new();
    let mut buffered = 0u64;
    for (count, e) in entries.enumerate() {
        if count as u64 > limits.max_entries {
            return Err(Error::Limit {
                part: part.into(),
                what: "archive member count",
                max: limits.max_entries,
            });
        }
        let mut e = e.map_err(|e| archive_error(part, e))?;
        let raw = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let Some(name) = member_name(&raw) else {
            continue;
        };
        let et = e.header().entry_type();
        let member = if et.is_symlink() || et.is_hard_link() {
            let target =
                String::from_utf8_lossy(&e.link_name_bytes().unwrap_or_default()).into_owned();
            // Symlinks are relative to their own directory, hard links to the root.
            let joined = if et.is_symlink() && !target.starts_with('/') {
                match name.rsplit_once('/') {
                    Some((dir, _)) => format!("{dir}/{target}"),
                    None => target,
                }
            } else {
                target
            };
            match member_name(&joined) {
                Some(t) => Member::Link(t),
                None => continue,
            }
        } else if et.is_file() {
            let size = e.size();
            let data = if gzip && size <= limits.max_json_bytes && buffered + size <= MAX_BUFFERED {
                let mut buf = Vec::with_capacity(size as usize);
                e.read_to_end(&mut buf)
                    .map_err(|err| archive_error(part, err))?;
                buffered += size;
                Some(buf)
            } else {
                None
            };
            Member::File {
                offset: e.raw_file_position(),
                size,
                data,
            }
        } else {
            continue;
        };
        members.insert(name, member);
    }
    Ok(members)
}

fn archive_error(part: &str, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        Error::Truncated {
            part: part.into(),
            message: e.to_string(),
        }
    } else {
        Error::invalid(part, format!("not a readable tar: {e}"))
    }
}

impl ArchiveIndex {
    /// Follow member links (bounded) to the member that holds the bytes.
    fn resolve(&self, name: &str) -> Option<(String, u64, u64, Option<&[u8]>)> {
        let mut name = member_name(name)?;
        for _ in 0..16 {
            match self.members.get(&name)? {
                Member::File { offset, size, data } => {
                    return Some((name, *offset, *size, data.as_deref()))
                }
                Member::Link(t) => name = t.clone(),
            }
        }
        None
    }

    /// True when the archive has this member (after links).
    pub fn has(&self, name: &str) -> bool {
        self.resolve(name).is_some()
    }

    /// The member name that holds `name`'s bytes.
    pub fn canonical(&self, name: &str) -> Option<String> {
        self.resolve(name).map(|(n, ..)| n)
    }

    pub fn size(&self, name: &str) -> Option<u64> {
        self.resolve(name).map(|(_, _, s, _)| s)
    }

    pub fn small(&self, name: &str) -> Option<&[u8]> {
        self.resolve(name).and_then(|(_, _, _, d)| d)
    }

    /// `Ok(None)` when there is no such member.
    pub fn open(&self, name: &str) -> Result<Option<Box<dyn Read + Send>>, Error> {
        let Some((_, offset, size, data)) = self.resolve(name) else {
            return Ok(None);
        };
        if let Some(d) = data {
            return Ok(Some(Box::new(io::Cursor::new(d.to_vec()))));
        }
        if self.gzip {
            return Err(Error::Unsupported {
                part: part_of(&self.path),
                what: "random access to a large member of a gzip-compressed archive".into(),
            });
        }
        let part = part_of(&self.path);
        let mut f = File::open(&self.path).map_err(|e| Error::io(&part, e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(&part, e))?;
        Ok(Some(Box::new(f.take(size))))
    }
}

/// Walk the layers of a gzip-compressed outer archive by streaming it once more. A
/// blob used by several layers is read once and its entries are given to each.
pub(crate) fn walk_streamed(
    index: &ArchiveIndex,
    layers: &[Loc],
    specs: &[LayerSpec],
    limits: &Limits,
    budget: &Budget,
    visit: Visitor<'_>,
) -> Result<Vec<Vec<Entry>>, Error> {
    let part = part_of(&index.path);
    let wanted: Vec<Option<String>> = layers.iter().map(|l| index.canonical(&l.path)).collect();
    let mut out: Vec<Option<Vec<Entry>>> = layers.iter().map(|_| None).collect();
    let f = File::open(&index.path).map_err(|e| Error::io(&part, e))?;
    let mut ar = tar::Archive::new(flate2::read::MultiGzDecoder::new(BufReader::new(f)));
    for e in ar.entries().map_err(|e| Error::io(&part, e))? {
        let mut e = e.map_err(|e| archive_error(&part, e))?;
        let raw = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let Some(name) = member_name(&raw) else {
            continue;
        };
        let users: Vec<usize> = wanted
            .iter()
            .enumerate()
            .filter(|(_, w)| w.as_deref() == Some(name.as_str()))
            .map(|(i, _)| i)
            .collect();
        let Some((&first, rest)) = users.split_first() else {
            continue;
        };
        let spec = specs
            .get(first)
            .ok_or_else(|| Error::invalid(&part, "layer index"))?;
        let entries = layer::walk_layer(&mut e, spec, limits, budget, visit)?;
        for &i in rest {
            let copy = entries
                .iter()
                .cloned()
                .map(|mut en| {
                    en.layer = i;
                    en
                })
                .collect();
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(copy);
            }
        }
        if let Some(slot) = out.get_mut(first) {
            *slot = Some(entries);
        }
    }
    out.into_iter()
        .zip(layers)
        .zip(specs)
        .map(|((o, loc), spec)| {
            o.ok_or_else(|| Error::MissingBlob {
                part: spec.part.clone(),
                digest: loc
                    .digest
                    .as_ref()
                    .map_or_else(|| loc.path.clone(), |d| d.to_string()),
            })
        })
        .collect()
}
