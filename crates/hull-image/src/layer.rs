//! Streaming one layer blob: sniff the compression, inflate, hash both sides, enforce
//! limits and turn tar headers into [`Entry`] values, calling the visitor on the way.

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use hull_model::{Digest, ImagePath};
use sha2::{Digest as _, Sha256, Sha512};

use crate::tree::{Entry, EntryKind};
use crate::{Error, Limits, VisitError};

/// The visitor [`crate::Image::walk`] takes.
pub type Visitor<'v> = &'v (dyn Fn(&Entry, &mut dyn Read) -> Result<(), VisitError> + Sync);

/// Counters shared by all layers of one walk.
#[derive(Default)]
pub(crate) struct Budget {
    pub total: AtomicU64,
    pub entries: AtomicU64,
    /// Set when any layer failed: the others stop at their next entry.
    pub abort: AtomicBool,
}

/// What is known about a layer before reading it.
pub(crate) struct LayerSpec {
    pub index: usize,
    /// `layer 2/5 (sha256:ab12…)`, used in every error about it.
    pub part: String,
    pub digest: Option<Digest>,
    pub diff_id: Option<Digest>,
}

enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    fn for_digest(d: Option<&Digest>) -> Self {
        match d.map(Digest::algorithm) {
            Some("sha512") => Hasher::Sha512(Sha512::new()),
            _ => Hasher::Sha256(Sha256::new()),
        }
    }
    fn update(&mut self, b: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(b),
            Hasher::Sha512(h) => h.update(b),
        }
    }
    fn finish(self) -> String {
        let (alg, bytes): (&str, Vec<u8>) = match self {
            Hasher::Sha256(h) => ("sha256", h.finalize().to_vec()),
            Hasher::Sha512(h) => ("sha512", h.finalize().to_vec()),
        };
        let mut s = String::with_capacity(alg.len() + 1 + bytes.len() * 2);
        s.push_str(alg);
        s.push(':');
        for b in bytes {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

/// What a metered stream saw; shared with the caller because the stream itself is
/// owned by decoders and the tar reader.
struct Meter {
    hasher: Option<Hasher>,
    bytes: u64,
    /// First error of the underlying stream (a truncated blob, a network error).
    io_err: Option<(io::ErrorKind, String)>,
    limit: Option<(&'static str, u64)>,
}

struct Metered<'b, R> {
    inner: R,
    meter: Rc<RefCell<Meter>>,
    /// Only the uncompressed side is capped.
    cap: Option<(&'b Limits, &'b Budget)>,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                let mut m = self.meter.borrow_mut();
                if m.io_err.is_none() && m.limit.is_none() {
                    m.io_err = Some((e.kind(), e.to_string()));
                }
                return Err(e);
            }
        };
        let mut m = self.meter.borrow_mut();
        if let Some(h) = m.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        m.bytes += n as u64;
        if let Some((limits, budget)) = self.cap {
            let total = budget.total.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
            let hit = if m.bytes > limits.max_layer_bytes {
                Some(("uncompressed layer size", limits.max_layer_bytes))
            } else if total > limits.max_total_bytes {
                Some(("uncompressed image size", limits.max_total_bytes))
            } else {
                None
            };
            if let Some(hit) = hit {
                m.limit = Some(hit);
                return Err(io::Error::other("limit exceeded"));
            }
        }
        Ok(n)
    }
}

/// Layer compression, told by magic bytes: media types lie (docker-archive has none,
/// some tools label gzip blobs as plain tars).
enum Decoder<R: BufRead> {
    Gzip(Box<flate2::bufread::MultiGzDecoder<R>>),
    Zstd(Box<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>),
    Plain(R),
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
            Decoder::Plain(d) => d.read(buf),
        }
    }
}

impl<R: BufRead> Decoder<R> {
    fn into_inner(self) -> R {
        match self {
            Decoder::Gzip(d) => d.into_inner(),
            Decoder::Zstd(d) => d.into_inner(),
            Decoder::Plain(d) => d,
        }
    }
}

const READ_BUF: usize = 256 << 10;

/// Read one layer blob to its end. Returns the layer's entries in tar order (whiteout
/// markers included, the visitor already called for each).
pub(crate) fn walk_layer(
    raw: &mut dyn Read,
    spec: &LayerSpec,
    limits: &Limits,
    budget: &Budget,
    visit: Visitor<'_>,
) -> Result<Vec<Entry>, Error> {
    let part = spec.part.as_str();
    let cmeter = Rc::new(RefCell::new(Meter {
        hasher: spec.digest.as_ref().map(|d| Hasher::for_digest(Some(d))),
        bytes: 0,
        io_err: None,
        limit: None,
    }));
    let umeter = Rc::new(RefCell::new(Meter {
        hasher: spec.diff_id.as_ref().map(|d| Hasher::for_digest(Some(d))),
        bytes: 0,
        io_err: None,
        limit: None,
    }));
    let mut compressed = Metered {
        inner: raw,
        meter: cmeter.clone(),
        cap: None,
    };
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match compressed.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(part, e)),
        }
    }
    let head = head.get(..got).unwrap_or_default().to_vec();
    let buffered =
        BufReader::with_capacity(READ_BUF, io::Cursor::new(head.clone()).chain(compressed));
    let decoder = if head.starts_with(&[0x1f, 0x8b]) {
        Decoder::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(buffered)))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        match ruzstd::decoding::StreamingDecoder::new(buffered) {
            Ok(d) => Decoder::Zstd(Box::new(d)),
            Err(e) => {
                return Err(Error::Invalid {
                    part: part.into(),
                    message: format!("bad zstd frame: {e}"),
                })
            }
        }
    } else {
        Decoder::Plain(buffered)
    };
    let plain = Metered {
        inner: decoder,
        meter: umeter.clone(),
        cap: Some((limits, budget)),
    };
    let stream_error = |e: io::Error| -> Error {
        if let Some((what, max)) = umeter.borrow().limit {
            return Error::Limit {
                part: part.into(),
                what,
                max,
            };
        }
        if let Some((kind, msg)) = cmeter.borrow().io_err.clone() {
            return if kind == io::ErrorKind::UnexpectedEof {
                Error::Truncated {
                    part: part.into(),
                    message: msg,
                }
            } else {
                Error::io(part, io::Error::new(kind, msg))
            };
        }
        match e.kind() {
            io::ErrorKind::UnexpectedEof => Error::Truncated {
                part: part.into(),
                message: e.to_string(),
            },
            io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::Other => {
                Error::Invalid {
                    part: part.into(),
                    message: format!("corrupt layer: {e}"),
                }
            }
            _ => Error::io(part, e),
        }
    };

    let mut archive = tar::Archive::new(plain);
    let mut out = Vec::new();
    let entries = archive.entries().map_err(&stream_error)?;
    for item in entries {
        if budget.abort.load(Ordering::Relaxed) {
            return Ok(out);
        }
        let mut te = item.map_err(&stream_error)?;
        let Some(entry) = to_entry(&te, spec, limits)? else {
            continue;
        };
        if budget.entries.fetch_add(1, Ordering::Relaxed) + 1 > limits.max_entries {
            return Err(Error::Limit {
                part: part.into(),
                what: "entry count",
                max: limits.max_entries,
            });
        }
        let res = if entry.kind == EntryKind::File {
            visit(&entry, &mut te)
        } else {
            visit(&entry, &mut io::empty())
        };
        if let Err(source) = res {
            // A read error inside the visitor is usually the layer's fault.
            if umeter.borrow().limit.is_some() || cmeter.borrow().io_err.is_some() {
                return Err(stream_error(io::Error::other("stream failed")));
            }
            return Err(Error::Visit {
                part: part.into(),
                path: entry.path,
                source,
            });
        }
        out.push(entry);
    }
    // The diff_id covers the whole tar stream, end-of-archive blocks and padding too.
    let mut plain = archive.into_inner();
    io::copy(&mut plain, &mut io::sink()).map_err(&stream_error)?;
    let mut rest = plain.inner.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(&stream_error)?;
    drop(rest);
    check_digest(&cmeter, spec.digest.as_ref(), part, "blob")?;
    check_digest(&umeter, spec.diff_id.as_ref(), part, "diff_id")?;
    Ok(out)
}

fn check_digest(
    meter: &Rc<RefCell<Meter>>,
    want: Option<&Digest>,
    part: &str,
    what: &str,
) -> Result<(), Error> {
    let (Some(want), Some(h)) = (want, meter.borrow_mut().hasher.take()) else {
        return Ok(());
    };
    let got = h.finish();
    if got != want.as_str() {
        return Err(Error::DigestMismatch {
            part: format!("{part} {what}"),
            expected: want.clone(),
            actual: Digest::parse(&got).map_err(|e| Error::invalid(part, e.to_string()))?,
        });
    }
    Ok(())
}

/// Normalise an untrusted entry name. `a/../b` is tolerated (it stays inside);
/// a name that climbs above the root is a hostile layer.
pub(crate) fn entry_path(raw: &str) -> Option<ImagePath> {
    if let Ok(p) = ImagePath::new(raw) {
        return Some(p);
    }
    if raw.contains('\0') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    ImagePath::new(&parts.join("/")).ok()
}

fn to_entry<R: Read>(
    te: &tar::Entry<'_, R>,
    spec: &LayerSpec,
    limits: &Limits,
) -> Result<Option<Entry>, Error> {
    let part = spec.part.as_str();
    let hdr = te.header();
    let etype = hdr.entry_type();
    if etype.is_pax_global_extensions()
        || etype.is_pax_local_extensions()
        || etype.is_gnu_longname()
        || etype.is_gnu_longlink()
    {
        return Ok(None);
    }
    let raw_path = te.path_bytes();
    if raw_path.len() > limits.max_path_len {
        return Err(Error::Limit {
            part: part.into(),
            what: "path length",
            max: limits.max_path_len as u64,
        });
    }
    let raw = String::from_utf8_lossy(&raw_path).into_owned();
    let traversal = |entry: &str| Error::Traversal {
        part: part.into(),
        entry: entry.escape_debug().to_string(),
    };
    let path = entry_path(&raw).ok_or_else(|| traversal(&raw))?;
    if path.is_root() {
        return Ok(None);
    }
    let name = path.file_name();
    let (path, kind) = if name == ".wh..wh..opq" {
        (path.parent().unwrap_or_default(), EntryKind::OpaqueDir)
    } else if name.starts_with(".wh..wh.") {
        // AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): not content.
        return Ok(None);
    } else if let Some(hidden) = name.strip_prefix(".wh.").filter(|n| !n.is_empty()) {
        let parent = path.parent().unwrap_or_default();
        let p = parent.join(hidden).map_err(|_| traversal(&raw))?;
        (p, EntryKind::Whiteout)
    } else {
        let link = || -> Result<String, Error> {
            let l = te.link_name_bytes().unwrap_or_default();
            if l.len() > limits.max_path_len {
                return Err(Error::Limit {
                    part: part.into(),
                    what: "link target length",
                    max: limits.max_path_len as u64,
                });
            }
            Ok(String::from_utf8_lossy(&l).into_owned())
        };
        let kind = match etype {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                EntryKind::File
            }
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink(link()?),
            tar::EntryType::Link => {
                let target = link()?;
                EntryKind::Hardlink(entry_path(&target).ok_or_else(|| traversal(&target))?)
            }
            _ => EntryKind::Other,
        };
        (path, kind)
    };
    if path.is_root() && kind != EntryKind::OpaqueDir {
        return Ok(None);
    }
    let size = if kind == EntryKind::File {
        te.size()
    } else {
        0
    };
    if size > limits.max_file_size {
        return Err(Error::Limit {
            part: format!("{part}: {path}"),
            what: "file size",
            max: limits.max_file_size,
        });
    }
    Ok(Some(Entry {
        layer: spec.index,
        path,
        kind,
        mode: hdr.mode().unwrap_or(0) & 0o7777,
        uid: hdr.uid().unwrap_or(0),
        gid: hdr.gid().unwrap_or(0),
        size,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths() {
        for (raw, want) in [
            ("./etc/passwd", Some("etc/passwd")),
            ("/etc/passwd", Some("etc/passwd")),
            ("a/../b", Some("b")),
            ("../etc/passwd", None),
            ("a/../../b", None),
        ] {
            assert_eq!(entry_path(raw).as_ref().map(|p| p.as_str()), want, "{raw}");
        }
    }

    fn small_tar() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_path("etc/os-release").unwrap();
        h.set_size(3);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, &b"ID\n"[..]).unwrap();
        b.into_inner().unwrap()
    }

    fn spec(diff_id: &[u8]) -> LayerSpec {
        LayerSpec {
            index: 2,
            part: "layer 3/3 (x)".into(),
            digest: None,
            diff_id: Some(Digest::sha256_from_bytes(&Sha256::digest(diff_id))),
        }
    }

    #[test]
    fn zstd_and_plain_layers_with_diff_id_checks() {
        let tar = small_tar();
        let zst = ruzstd::encoding::compress_to_vec(
            &tar[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert!(zst.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]));
        for blob in [&zst, &tar] {
            let seen = std::sync::Mutex::new(Vec::new());
            let entries = walk_layer(
                &mut &blob[..],
                &spec(&tar),
                &Limits::default(),
                &Budget::default(),
                &|e, r| {
                    let mut s = String::new();
                    r.read_to_string(&mut s)?;
                    seen.lock().unwrap().push((e.path.to_string(), s));
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].layer, 2);
            assert_eq!(
                seen.into_inner().unwrap(),
                [("/etc/os-release".to_string(), "ID\n".to_string())]
            );
            let err = walk_layer(
                &mut &blob[..],
                &spec(b"other"),
                &Limits::default(),
                &Budget::default(),
                &|_, _| Ok(()),
            )
            .unwrap_err();
            assert!(err
                .to_string()
                .starts_with("layer 3/3 (x) diff_id: digest mismatch"));
        }
    }

    #[test]
    fn visitor_errors_stop_the_walk_and_name_the_entry() {
        let tar = small_tar();
        let err = walk_layer(
            &mut &tar[..],
            &spec(&tar),
            &Limits::default(),
            &Budget::default(),
            &|_, _| Err("analyzer gave up".into()),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "layer 3/3 (x): /etc/os-release: analyzer gave up"
        );
    }
}
