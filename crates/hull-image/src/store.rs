//! Where blobs come from: a layout directory, an indexed archive, or a registry.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use hull_model::{Digest, ImagePath};
use sha2::{Digest as _, Sha256, Sha512};

use crate::archive::ArchiveIndex;
use crate::registry::Client;
use crate::{Error, Limits};

/// A blob: its path inside a layout or archive and, when known, its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loc {
    pub path: String,
    pub digest: Option<Digest>,
}

impl Loc {
    /// OCI layout place of a content-addressed blob (`blobs/sha256/<hex>`).
    pub fn blob(d: &Digest) -> Self {
        Loc {
            path: format!("blobs/{}/{}", d.algorithm(), d.hex()),
            digest: Some(d.clone()),
        }
    }

    fn missing(&self, part: &str) -> Error {
        Error::MissingBlob {
            part: part.into(),
            digest: self
                .digest
                .as_ref()
                .map_or_else(|| self.path.clone(), |d| d.to_string()),
        }
    }
}

pub(crate) enum Store {
    Dir(PathBuf),
    Archive(ArchiveIndex),
    Registry(Box<Client>),
}

impl Store {
    /// A reader over the blob's raw bytes (still compressed; not verified yet).
    pub fn open(&self, loc: &Loc, part: &str) -> Result<Box<dyn Read + Send + '_>, Error> {
        match self {
            Store::Dir(root) => {
                // Names from manifest.json are untrusted: keep them inside the layout.
                let rel = ImagePath::new(&loc.path).map_err(|_| Error::Traversal {
                    part: part.into(),
                    entry: loc.path.clone(),
                })?;
                match File::open(root.join(rel.as_str())) {
                    Ok(f) => Ok(Box::new(f)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Err(loc.missing(part)),
                    Err(e) => Err(Error::io(part, e)),
                }
            }
            Store::Archive(ix) => ix.open(&loc.path)?.ok_or_else(|| loc.missing(part)),
            Store::Registry(c) => {
                let d = loc.digest.as_ref().ok_or_else(|| loc.missing(part))?;
                c.blob(d, part)
            }
        }
    }

    /// Read a small blob (manifest, config, `manifest.json`) whole, capped at
    /// `max_json_bytes`, and check its digest when one is known.
    pub fn read_small(&self, loc: &Loc, part: &str, limits: &Limits) -> Result<Vec<u8>, Error> {
        let bytes = match self {
            Store::Archive(ix) => match ix.small(&loc.path) {
                Some(b) => b.to_vec(),
                None => read_capped(self.open(loc, part)?, part, limits)?,
            },
            _ => read_capped(self.open(loc, part)?, part, limits)?,
        };
        if let Some(want) = &loc.digest {
            verify(&bytes, want, part)?;
        }
        Ok(bytes)
    }
}

pub(crate) fn read_capped(r: impl Read, part: &str, limits: &Limits) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    r.take(limits.max_json_bytes.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(part, e))?;
    if buf.len() as u64 > limits.max_json_bytes {
        return Err(Error::Limit {
            part: part.into(),
            what: "metadata size",
            max: limits.max_json_bytes,
        });
    }
    Ok(buf)
}

pub(crate) fn digest_of(bytes: &[u8], algorithm: &str) -> Digest {
    let hex: Vec<u8> = match algorithm {
        "sha512" => Sha512::digest(bytes).to_vec(),
        _ => Sha256::digest(bytes).to_vec(),
    };
    if algorithm == "sha512" {
        let s: String = hex.iter().map(|b| format!("{b:02x}")).collect();
        // Built from a real sha512 output: always parses.
        Digest::parse(&format!("sha512:{s}")).unwrap_or_else(|_| Digest::sha256_from_bytes(&hex))
    } else {
        Digest::sha256_from_bytes(&hex)
    }
}

pub(crate) fn verify(bytes: &[u8], want: &Digest, part: &str) -> Result<(), Error> {
    let got = digest_of(bytes, want.algorithm());
    if &got != want {
        return Err(Error::DigestMismatch {
            part: part.into(),
            expected: want.clone(),
            actual: got,
        });
    }
    Ok(())
}
