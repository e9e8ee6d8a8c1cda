//! Berkeley DB hash databases, as rpm ≤ 4.15 stores `var/lib/rpm/Packages`.
//!
//! Layout (Berkeley DB's `db_page.h`): page 0 is the hash metadata page (magic
//! `0x061561` at byte 12, page size at 20, last page number at 32, all in the byte order
//! of the machine that wrote it). Every other page starts with a 26-byte header
//! (`next_pgno` at 16, `entries` at 20, `hf_offset` at 22, `type` at 25) followed by an
//! array of `entries` u16 item offsets. Hash pages (types 2 and 13) hold key/data pairs;
//! a data item is either inline (`H_KEYDATA`, type byte 1) or a reference to a chain of
//! overflow pages (`H_OFFPAGE`, type byte 3: `pgno` at +4, total length at +8) whose
//! type is 7 and whose `hf_offset` field holds the bytes used on that page.
//!
//! We scan every page rather than walking buckets: rpm never leaves live hash pages
//! outside the table, freed pages are typed invalid, and a scan needs no hash function.

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BdbError {
    #[error("not a berkeley db hash database (magic {0:#x})")]
    Magic(u32),
    #[error("unsupported page size {0}")]
    PageSize(u32),
}

/// Every data value of the database in page order, and warnings for values that had
/// to be skipped (broken overflow chains, duplicate sets rpm never writes).
pub fn values(db: &[u8]) -> Result<(Vec<Vec<u8>>, Vec<String>), BdbError> {
    let raw = |at: usize| -> Option<[u8; 4]> { db.get(at..at + 4)?.try_into().ok() };
    let magic_bytes = raw(12).ok_or(BdbError::Magic(0))?;
    let little = if u32::from_le_bytes(magic_bytes) == HASH_MAGIC {
        true
    } else if u32::from_be_bytes(magic_bytes) == HASH_MAGIC {
        false
    } else {
        return Err(BdbError::Magic(u32::from_le_bytes(magic_bytes)));
    };
    let r = Reader { db, little };
    let page_size = r.u32(20).unwrap_or(0);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(BdbError::PageSize(page_size));
    }
    let ps = page_size as usize;
    let last = r.u32(32).unwrap_or(0) as usize;
    let npages = (db.len() / ps).min(last.saturating_add(1));
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for pgno in 1..npages {
        let page = &db[pgno * ps..(pgno + 1) * ps];
        let pr = Reader { db: page, little };
        let ty = page[25];
        if ty != P_HASH && ty != P_HASH_UNSORTED {
            continue;
        }
        let entries = pr.u16(20).unwrap_or(0) as usize;
        // The offset array and items share the page: bound entries by the space.
        let entries = entries.min((ps - PAGE_HEADER) / 2);
        let offsets: Vec<usize> = (0..entries)
            .map_while(|i| pr.u16(PAGE_HEADER + i * 2).map(usize::from))
            .collect();
        // Items are key, data, key, data…; item i ends where item i-1 begins.
        for i in (1..offsets.len()).step_by(2) {
            let start = offsets[i];
            let end = offsets[i - 1].min(ps);
            let Some(&kind) = page.get(start) else {
                continue;
            };
            match kind {
                H_KEYDATA => {
                    if let Some(v) = page.get(start + 1..end) {
                        out.push(v.to_vec());
                    }
                }
                H_OFFPAGE => {
                    let (Some(first), Some(total)) = (pr.u32(start + 4), pr.u32(start + 8)) else {
                        warnings.push(format!("page {pgno}: truncated overflow reference"));
                        continue;
                    };
                    match r.overflow(first as usize, total as usize, ps, npages) {
                        Ok(v) => out.push(v),
                        Err(e) => warnings.push(format!("page {pgno}: {e}")),
                    }
                }
                H_DUPLICATE | H_OFFDUP => {
                    warnings.push(format!("page {pgno}: duplicate data set skipped"))
                }
                _ => warnings.push(format!("page {pgno}: unknown item type {kind}")),
            }
        }
    }
    Ok((out, warnings))
}

struct Reader<'a> {
    db: &'a [u8],
    little: bool,
}

impl Reader<'_> {
    fn u32(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.db.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn u16(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.db.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    /// Follow an overflow chain from `first`, collecting `total` bytes.
    fn overflow(
        &self,
        first: usize,
        total: usize,
        ps: usize,
        npages: usize,
    ) -> Result<Vec<u8>, String> {
        // A value can't be larger than the file; never trust `total` for allocation.
        let mut out = Vec::with_capacity(total.min(self.db.len()));
        let mut pgno = first;
        let mut seen = std::collections::HashSet::new();
        // Each page is visited at most once: the chain length is bounded by the file.
        for _ in 0..npages {
            if pgno == 0 || pgno >= npages {
                return Err(format!("overflow chain points at page {pgno}"));
            }
            if !seen.insert(pgno) {
                return Err(format!("overflow chain loops at page {pgno}"));
            }
            let page = &self.db[pgno * ps..(pgno + 1) * ps];
            if page[25] != P_OVERFLOW {
                return Err(format!(
                    "page {pgno} in an overflow chain is type {}",
                    page[25]
                ));
            }
            let pr = Reader {
                db: page,
                little: self.little,
            };
            let len = pr.u16(22).map(usize::from).unwrap_or(0);
            let chunk = page
                .get(PAGE_HEADER..PAGE_HEADER + len)
                .ok_or_else(|| format!("overflow page {pgno} claims {len} bytes"))?;
            out.extend_from_slice(chunk);
            if out.len() >= total {
                out.truncate(total);
                return Ok(out);
            }
            pgno = pr.u32(16).unwrap_or(0) as usize;
        }
        Err("overflow chain loops".to_string())
    }
}

/// Test and fuzz-seed helper: a tiny hash database (little- or big-endian) holding
/// `values`, the first inline and the rest on overflow chains of `chunk`-byte pages.
pub fn build(values: &[Vec<u8>], little: bool, chunk: usize) -> Vec<u8> {
    let ps = 512usize;
    let w32 = |v: u32| {
        if little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    };
    let w16 = |v: u16| {
        if little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    };
    let mut pages: Vec<Vec<u8>> = vec![vec![0; ps], vec![0; ps]];
    pages[0][12..16].copy_from_slice(&w32(HASH_MAGIC));
    pages[0][20..24].copy_from_slice(&w32(ps as u32));
    pages[0][25] = 8;
    let mut items: Vec<Vec<u8>> = Vec::new();
    for (n, v) in values.iter().enumerate() {
        let mut key = vec![H_KEYDATA];
        key.extend_from_slice(&w32(n as u32 + 1));
        items.push(key);
        if n == 0 {
            let mut d = vec![H_KEYDATA];
            d.extend_from_slice(v);
            items.push(d);
            continue;
        }
        let first = pages.len();
        let chunks: Vec<&[u8]> = v.chunks(chunk.clamp(1, ps - PAGE_HEADER)).collect();
        for (ci, c) in chunks.iter().enumerate() {
            let mut p = vec![0u8; ps];
            let me = pages.len();
            p[8..12].copy_from_slice(&w32(me as u32));
            let next = if ci + 1 < chunks.len() {
                me as u32 + 1
            } else {
                0
            };
            p[16..20].copy_from_slice(&w32(next));
            p[22..24].copy_from_slice(&w16(c.len() as u16));
            p[25] = P_OVERFLOW;
            p[PAGE_HEADER..PAGE_HEADER + c.len()].copy_from_slice(c);
            pages.push(p);
        }
        let mut d = vec![H_OFFPAGE, 0, 0, 0];
        d.extend_from_slice(&w32(first as u32));
        d.extend_from_slice(&w32(v.len() as u32));
        items.push(d);
    }
    let hp = &mut pages[1];
    hp[25] = P_HASH;
    hp[20..22].copy_from_slice(&w16(items.len() as u16));
    let mut top = ps;
    for (i, it) in items.iter().enumerate() {
        top -= it.len();
        hp[top..top + it.len()].copy_from_slice(it);
        hp[PAGE_HEADER + i * 2..PAGE_HEADER + i * 2 + 2].copy_from_slice(&w16(top as u16));
    }
    let last = pages.len() as u32 - 1;
    pages[0][32..36].copy_from_slice(&w32(last));
    pages.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_byte_orders_inline_and_overflow() {
        let vals = vec![b"inline value".to_vec(), vec![7u8; 1000], b"short".to_vec()];
        for little in [true, false] {
            let db = build(&vals, little, 300);
            let (got, w) = values(&db).unwrap();
            assert!(w.is_empty(), "{w:?}");
            assert_eq!(got, vals);
        }
    }

    #[test]
    fn corruption_is_reported_not_fatal() {
        let vals = vec![b"a".to_vec(), vec![1u8; 900]];
        let mut db = build(&vals, true, 300);
        // point the overflow chain's second page back at itself
        let p = 3 * 512;
        db[p + 16..p + 20].copy_from_slice(&3u32.to_le_bytes());
        let (got, w) = values(&db).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(w.len(), 1);
        assert!(values(b"not a database at all").is_err());
        // truncated file: pages past the end are ignored
        let db = build(&vals, true, 300);
        assert!(values(&db[..700]).is_ok());
    }
}
