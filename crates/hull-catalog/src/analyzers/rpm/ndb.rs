//! rpm's own "ndb" package database (`Packages.db`, rpm ≥ 4.16, SUSE's default), as
//! laid out by rpm's `lib/backend/ndb/rpmpkg.c`; all integers little-endian.
//!
//! - Header (first 32 bytes): magic `RpmP`, version 0, generation, number of 4096-byte
//!   slot pages, next package index.
//! - Slots fill the rest of the slot pages, 16 bytes each: magic `Slot`, package index
//!   (0 = free), offset and length of the package's blob, both in 16-byte blocks.
//! - A blob: magic `BlbS`, package index, generation, length, then the header bytes.

const HEADER_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const SLOT_PAGE: usize = 4096;
const SLOT_SIZE: usize = 16;
const BLOCK: usize = 16;
const BLOB_HEADER: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdbError {
    #[error("not an rpm ndb database (magic {0:#x})")]
    Magic(u32),
    #[error("unsupported ndb version {0}")]
    Version(u32),
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(s))
}

/// Every package blob, in slot order, with warnings for slots that point nowhere.
pub fn blobs(db: &[u8]) -> Result<(Vec<Vec<u8>>, Vec<String>), NdbError> {
    let magic = le32(db, 0).unwrap_or(0);
    if magic != HEADER_MAGIC {
        return Err(NdbError::Magic(magic));
    }
    let version = le32(db, 4).unwrap_or(0);
    if version != 0 {
        return Err(NdbError::Version(version));
    }
    let slot_pages = le32(db, 12).unwrap_or(0) as usize;
    // The slot area can't extend past the file (bounds a hostile page count).
    let slot_end = slot_pages.saturating_mul(SLOT_PAGE).min(db.len());
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    // The header takes the first two slot positions.
    let mut at = 2 * SLOT_SIZE;
    while at + SLOT_SIZE <= slot_end {
        let (Some(m), Some(idx), Some(off), Some(cnt)) = (
            le32(db, at),
            le32(db, at + 4),
            le32(db, at + 8),
            le32(db, at + 12),
        ) else {
            break;
        };
        at += SLOT_SIZE;
        if m != SLOT_MAGIC {
            warnings.push(format!("slot at byte {} has a bad magic", at - SLOT_SIZE));
            continue;
        }
        if idx == 0 {
            continue;
        }
        match blob(db, idx, off as usize, cnt as usize) {
            Ok(b) => out.push(b.to_vec()),
            Err(e) => warnings.push(format!("package {idx}: {e}")),
        }
    }
    Ok((out, warnings))
}

fn blob(db: &[u8], idx: u32, blkoff: usize, blkcnt: usize) -> Result<&[u8], String> {
    let start = blkoff.checked_mul(BLOCK).ok_or("blob offset overflows")?;
    let span = blkcnt.checked_mul(BLOCK).ok_or("blob size overflows")?;
    let region = start
        .checked_add(span)
        .and_then(|end| db.get(start..end))
        .ok_or_else(|| format!("blob at block {blkoff} lies past the end of the file"))?;
    if le32(region, 0) != Some(BLOB_MAGIC) {
        return Err(format!("no blob magic at block {blkoff}"));
    }
    if le32(region, 4) != Some(idx) {
        return Err("blob belongs to another package".to_string());
    }
    let len = le32(region, 12).unwrap_or(0) as usize;
    region
        .get(BLOB_HEADER..BLOB_HEADER.saturating_add(len))
        .ok_or_else(|| format!("blob length {len} exceeds its {blkcnt} blocks"))
}

/// Test and fuzz-seed helper: an ndb file holding `blobs`.
pub fn build(blobs: &[Vec<u8>]) -> Vec<u8> {
    let mut db = vec![0u8; SLOT_PAGE];
    db[0..4].copy_from_slice(&HEADER_MAGIC.to_le_bytes());
    db[12..16].copy_from_slice(&1u32.to_le_bytes());
    db[16..20].copy_from_slice(&(blobs.len() as u32 + 1).to_le_bytes());
    for (i, b) in blobs.iter().enumerate() {
        let idx = i as u32 + 1;
        let blkoff = db.len() / BLOCK;
        let mut blob = Vec::new();
        blob.extend_from_slice(&BLOB_MAGIC.to_le_bytes());
        blob.extend_from_slice(&idx.to_le_bytes());
        blob.extend_from_slice(&0u32.to_le_bytes());
        blob.extend_from_slice(&(b.len() as u32).to_le_bytes());
        blob.extend_from_slice(b);
        blob.extend_from_slice(&[0; 12]); // rpm's trailer: checksum, length, magic
        while blob.len() % BLOCK != 0 {
            blob.push(0);
        }
        let cnt = blob.len() / BLOCK;
        db.extend_from_slice(&blob);
        let s = 2 * SLOT_SIZE + i * SLOT_SIZE;
        db[s..s + 4].copy_from_slice(&SLOT_MAGIC.to_le_bytes());
        db[s + 4..s + 8].copy_from_slice(&idx.to_le_bytes());
        db[s + 8..s + 12].copy_from_slice(&(blkoff as u32).to_le_bytes());
        db[s + 12..s + 16].copy_from_slice(&(cnt as u32).to_le_bytes());
    }
    // Remaining slots of the page are free but carry the magic, as rpm writes them.
    let mut s = 2 * SLOT_SIZE + blobs.len() * SLOT_SIZE;
    while s + SLOT_SIZE <= SLOT_PAGE {
        db[s..s + 4].copy_from_slice(&SLOT_MAGIC.to_le_bytes());
        s += SLOT_SIZE;
    }
    db
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let vals = vec![b"first header".to_vec(), vec![9u8; 5000]];
        let db = build(&vals);
        let (got, w) = blobs(&db).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(got, vals);

        let mut bad = db.clone();
        bad[2 * SLOT_SIZE + 8..2 * SLOT_SIZE + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let (got, w) = blobs(&bad).unwrap();
        assert_eq!((got.len(), w.len()), (1, 1));
        assert!(blobs(&db[..100]).unwrap().0.is_empty());
        assert!(blobs(b"RpmQ").is_err());
    }
}
