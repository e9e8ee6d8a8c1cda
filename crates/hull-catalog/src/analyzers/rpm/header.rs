//! The rpm header blob as rpm databases store it: no lead or magic, just
//! `il:u32be dl:u32be`, `il` index entries of 16 bytes (`tag type offset count`, all
//! big-endian) and a `dl`-byte data store the offsets point into
//! (<https://rpm-software-management.github.io/rpm/manual/format_header.html>).
//! Every offset and count is checked against the blob; nothing here can panic.

use std::fmt;

pub const NAME: u32 = 1000;
pub const VERSION: u32 = 1001;
pub const RELEASE: u32 = 1002;
pub const EPOCH: u32 = 1003;
pub const LICENSE: u32 = 1014;
pub const VENDOR: u32 = 1011;
pub const ARCH: u32 = 1022;
pub const OLDFILENAMES: u32 = 1027;
pub const SOURCERPM: u32 = 1044;
pub const DIRINDEXES: u32 = 1116;
pub const BASENAMES: u32 = 1117;
pub const DIRNAMES: u32 = 1118;
pub const MODULARITYLABEL: u32 = 5096;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm itself refuses headers over 256 MiB and with more than 65535 tags... per region;
/// these bounds keep a hostile count from driving allocation.
const MAX_ENTRIES: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("header blob is {0} bytes, shorter than its intro")]
    Short(usize),
    #[error("header declares {il} entries and {dl} data bytes but the blob has {len}")]
    Size { il: u64, dl: u64, len: usize },
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: usize,
    count: usize,
}

/// A parsed view over one header blob.
pub struct Header<'a> {
    entries: Vec<Entry>,
    store: &'a [u8],
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Header({} entries, {} bytes)",
            self.entries.len(),
            self.store.len()
        )
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, HeaderError> {
        let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
            return Err(HeaderError::Short(blob.len()));
        };
        let (il64, dl64) = (u64::from(il), u64::from(dl));
        let need = 8 + il64 * 16 + dl64;
        if il as usize > MAX_ENTRIES || need > blob.len() as u64 {
            return Err(HeaderError::Size {
                il: il64,
                dl: dl64,
                len: blob.len(),
            });
        }
        let data_start = 8 + il as usize * 16;
        let store = &blob[data_start..data_start + dl as usize];
        let mut entries = Vec::with_capacity(il as usize);
        for i in 0..il as usize {
            let at = 8 + i * 16;
            let (Some(tag), Some(ty), Some(offset), Some(count)) = (
                be32(blob, at),
                be32(blob, at + 4),
                be32(blob, at + 8),
                be32(blob, at + 12),
            ) else {
                break;
            };
            entries.push(Entry {
                tag,
                ty,
                offset: offset as usize,
                count: count as usize,
            });
        }
        Ok(Header { entries, store })
    }

    fn entry(&self, tag: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    /// A STRING (or the first of an I18NSTRING / STRING_ARRAY).
    pub fn string(&self, tag: u32) -> Option<String> {
        let e = self.entry(tag)?;
        match e.ty {
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY => {
                self.cstr(e.offset).map(|(s, _)| s)
            }
            _ => None,
        }
    }

    pub fn strings(&self, tag: u32) -> Vec<String> {
        let Some(e) = self.entry(tag) else {
            return Vec::new();
        };
        if !matches!(e.ty, TYPE_STRING_ARRAY | TYPE_I18NSTRING | TYPE_STRING) {
            return Vec::new();
        }
        let count = if e.ty == TYPE_STRING { 1 } else { e.count };
        let mut out = Vec::new();
        let mut at = e.offset;
        // Each string takes at least one byte, which bounds the loop by the store size.
        for _ in 0..count.min(self.store.len()) {
            let Some((s, next)) = self.cstr(at) else {
                break;
            };
            out.push(s);
            at = next;
        }
        out
    }

    pub fn int32s(&self, tag: u32) -> Vec<u32> {
        let Some(e) = self.entry(tag) else {
            return Vec::new();
        };
        if e.ty != TYPE_INT32 {
            return Vec::new();
        }
        let max = self.store.len() / 4;
        (0..e.count.min(max))
            .map_while(|i| be32(self.store, e.offset.checked_add(i * 4)?))
            .collect()
    }

    pub fn int32(&self, tag: u32) -> Option<u32> {
        self.int32s(tag).first().copied()
    }

    /// NUL-terminated string at `at`; returns it and the offset after the NUL.
    fn cstr(&self, at: usize) -> Option<(String, usize)> {
        let rest = self.store.get(at..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some((
            String::from_utf8_lossy(&rest[..end]).into_owned(),
            at + end + 1,
        ))
    }

    /// Installed file paths: BASENAMES/DIRNAMES/DIRINDEXES, or OLDFILENAMES on old rpms.
    pub fn files(&self) -> Vec<String> {
        let base = self.strings(BASENAMES);
        if base.is_empty() {
            return self.strings(OLDFILENAMES);
        }
        let dirs = self.strings(DIRNAMES);
        let idx = self.int32s(DIRINDEXES);
        base.iter()
            .zip(idx.iter())
            .filter_map(|(b, &i)| dirs.get(i as usize).map(|d| format!("{d}{b}")))
            .collect()
    }
}

/// A test helper and fuzz seed builder: encode `(tag, type, bytes, count)` as a blob.
pub fn build(entries: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
    let mut store = Vec::new();
    let mut index = Vec::new();
    for (tag, ty, bytes, count) in entries {
        if *ty == TYPE_INT32 {
            while store.len() % 4 != 0 {
                store.push(0);
            }
        }
        index.extend_from_slice(&tag.to_be_bytes());
        index.extend_from_slice(&ty.to_be_bytes());
        index.extend_from_slice(&(store.len() as u32).to_be_bytes());
        index.extend_from_slice(&count.to_be_bytes());
        store.extend_from_slice(bytes);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    out.extend_from_slice(&(store.len() as u32).to_be_bytes());
    out.extend_from_slice(&index);
    out.extend_from_slice(&store);
    out
}

/// `build` entry for a STRING.
pub fn s(tag: u32, v: &str) -> (u32, u32, Vec<u8>, u32) {
    let mut b = v.as_bytes().to_vec();
    b.push(0);
    (tag, TYPE_STRING, b, 1)
}

/// `build` entry for a STRING_ARRAY.
pub fn sa(tag: u32, v: &[&str]) -> (u32, u32, Vec<u8>, u32) {
    let mut b = Vec::new();
    for x in v {
        b.extend_from_slice(x.as_bytes());
        b.push(0);
    }
    (tag, TYPE_STRING_ARRAY, b, v.len() as u32)
}

/// `build` entry for an INT32 array.
pub fn i32a(tag: u32, v: &[u32]) -> (u32, u32, Vec<u8>, u32) {
    (
        tag,
        TYPE_INT32,
        v.iter().flat_map(|x| x.to_be_bytes()).collect(),
        v.len() as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tags_and_files() {
        let blob = build(&[
            s(NAME, "bash"),
            s(VERSION, "4.4.19"),
            i32a(EPOCH, &[1]),
            sa(DIRNAMES, &["/usr/bin/", "/etc/"]),
            sa(BASENAMES, &["bash", "bashrc", "orphan"]),
            i32a(DIRINDEXES, &[0, 1, 7]),
        ]);
        let h = Header::parse(&blob).unwrap();
        assert_eq!(h.string(NAME).as_deref(), Some("bash"));
        assert_eq!(h.int32(EPOCH), Some(1));
        assert_eq!(h.string(RELEASE), None);
        assert_eq!(h.int32(NAME), None);
        assert_eq!(h.files(), vec!["/usr/bin/bash", "/etc/bashrc"]);
    }

    #[test]
    fn hostile_blobs_are_errors_not_panics() {
        assert!(Header::parse(&[0, 0, 0]).is_err());
        assert!(Header::parse(&[0xff; 16]).is_err());
        // offsets past the store, huge counts and unterminated strings read as absent
        let mut blob = build(&[s(NAME, "x"), i32a(EPOCH, &[1]), sa(BASENAMES, &["a"])]);
        blob[16..20].copy_from_slice(&u32::MAX.to_be_bytes()); // NAME offset
        blob[8 + 16 + 12..8 + 16 + 16].copy_from_slice(&u32::MAX.to_be_bytes()); // EPOCH count
        let n = blob.len();
        blob[n - 1] = b'z'; // BASENAMES loses its NUL
        let h = Header::parse(&blob).unwrap();
        assert_eq!(h.string(NAME), None);
        assert_eq!(h.int32s(EPOCH).len(), 1);
        assert!(h.strings(BASENAMES).is_empty());
    }
}
