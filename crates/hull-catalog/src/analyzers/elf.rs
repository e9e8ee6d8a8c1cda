//! A small, bounded ELF reader: just enough to find a named section and to map virtual
//! addresses to file offsets through `PT_LOAD` segments. Every offset read from the file
//! is checked before use, so a truncated or hostile binary yields `None`, never a panic.
//! (Not an analyzer; used by `go-binary` and `cargo-auditable`.)

use crate::{AnalyzeError, FileInput};

pub const MAGIC: &[u8; 4] = b"\x7fELF";

/// Cheap pre-check so analyzers reject non-ELF files before any work.
pub fn is_elf(data: &[u8]) -> bool {
    data.starts_with(MAGIC)
}

/// The ELF file an analyzer was given: `None` if it is not ELF at all, an error if it
/// claims to be ELF but its headers are truncated or invalid.
pub fn open<'a>(input: &FileInput<'a>) -> Result<Option<Elf<'a>>, AnalyzeError> {
    if !is_elf(input.data) {
        return Ok(None);
    }
    Elf::parse(input.data)
        .map(Some)
        .ok_or_else(|| super::lang::malformed(input.path, "truncated or invalid ELF headers"))
}

#[derive(Debug, Clone, Copy)]
pub struct Section {
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
    pub kind: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct Segment {
    pub kind: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
}

const SHT_NOBITS: u32 = 8;
const PT_LOAD: u32 = 1;
/// Writable segment flag.
pub const PF_W: u32 = 2;

#[derive(Debug)]
pub struct Elf<'a> {
    pub data: &'a [u8],
    pub is64: bool,
    pub big_endian: bool,
    sections: Vec<(u32, Section)>,
    shstr: Option<Section>,
    pub segments: Vec<Segment>,
}

/// Refuse absurd header tables (real binaries have < 100 sections).
const MAX_HEADERS: usize = 4096;

impl<'a> Elf<'a> {
    pub fn parse(data: &'a [u8]) -> Option<Elf<'a>> {
        if !is_elf(data) {
            return None;
        }
        let is64 = match *data.get(4)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let big_endian = match *data.get(5)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let mut elf = Elf {
            data,
            is64,
            big_endian,
            sections: Vec::new(),
            shstr: None,
            segments: Vec::new(),
        };
        let (phoff, shoff, rest) = if is64 {
            (elf.u64_at(0x20)?, elf.u64_at(0x28)?, 0x34)
        } else {
            (
                u64::from(elf.u32_at(0x1c)?),
                u64::from(elf.u32_at(0x20)?),
                0x28,
            )
        };
        let phentsize = u64::from(elf.u16_at(rest + 2)?);
        let phnum = usize::from(elf.u16_at(rest + 4)?);
        let shentsize = u64::from(elf.u16_at(rest + 6)?);
        let shnum = usize::from(elf.u16_at(rest + 8)?);
        let shstrndx = usize::from(elf.u16_at(rest + 10)?);

        for i in 0..phnum.min(MAX_HEADERS) {
            let Some(base) = (i as u64)
                .checked_mul(phentsize)
                .and_then(|o| o.checked_add(phoff))
            else {
                break;
            };
            let Some(seg) = elf.segment_at(base) else {
                break;
            };
            elf.segments.push(seg);
        }
        for i in 0..shnum.min(MAX_HEADERS) {
            let Some(base) = (i as u64)
                .checked_mul(shentsize)
                .and_then(|o| o.checked_add(shoff))
            else {
                break;
            };
            let Some(sec) = elf.section_at(base) else {
                break;
            };
            if i == shstrndx {
                elf.shstr = Some(sec.1);
            }
            elf.sections.push(sec);
        }
        Some(elf)
    }

    fn bytes(&self, off: u64, len: usize) -> Option<&'a [u8]> {
        let start = usize::try_from(off).ok()?;
        self.data.get(start..start.checked_add(len)?)
    }

    pub fn u16_at(&self, off: u64) -> Option<u16> {
        let b: [u8; 2] = self.bytes(off, 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    pub fn u32_at(&self, off: u64) -> Option<u32> {
        let b: [u8; 4] = self.bytes(off, 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    pub fn u64_at(&self, off: u64) -> Option<u64> {
        let b: [u8; 8] = self.bytes(off, 8)?.try_into().ok()?;
        Some(if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    fn segment_at(&self, b: u64) -> Option<Segment> {
        Some(if self.is64 {
            Segment {
                kind: self.u32_at(b)?,
                flags: self.u32_at(b + 4)?,
                offset: self.u64_at(b + 8)?,
                vaddr: self.u64_at(b + 16)?,
                filesz: self.u64_at(b + 32)?,
            }
        } else {
            Segment {
                kind: self.u32_at(b)?,
                offset: u64::from(self.u32_at(b + 4)?),
                vaddr: u64::from(self.u32_at(b + 8)?),
                filesz: u64::from(self.u32_at(b + 16)?),
                flags: self.u32_at(b + 24)?,
            }
        })
    }

    fn section_at(&self, b: u64) -> Option<(u32, Section)> {
        let name = self.u32_at(b)?;
        let kind = self.u32_at(b + 4)?;
        Some(if self.is64 {
            (
                name,
                Section {
                    kind,
                    addr: self.u64_at(b + 16)?,
                    offset: self.u64_at(b + 24)?,
                    size: self.u64_at(b + 32)?,
                },
            )
        } else {
            (
                name,
                Section {
                    kind,
                    addr: u64::from(self.u32_at(b + 12)?),
                    offset: u64::from(self.u32_at(b + 16)?),
                    size: u64::from(self.u32_at(b + 20)?),
                },
            )
        })
    }

    /// The section called `name`, if its name and bytes are inside the file.
    pub fn section(&self, name: &str) -> Option<Section> {
        let strtab = self.shstr?;
        self.sections.iter().find_map(|(off, sec)| {
            let start = strtab.offset.checked_add(u64::from(*off))?;
            let end = strtab.offset.checked_add(strtab.size)?;
            let len = name.len();
            if start.checked_add(len as u64 + 1)? > end {
                return None;
            }
            let got = self.bytes(start, len + 1)?;
            (got[..len] == *name.as_bytes() && got[len] == 0).then_some(*sec)
        })
    }

    /// The file bytes of a section (`None` for `NOBITS` or out-of-file sections).
    pub fn section_data(&self, sec: &Section) -> Option<&'a [u8]> {
        if sec.kind == SHT_NOBITS {
            return None;
        }
        self.bytes(sec.offset, usize::try_from(sec.size).ok()?)
    }

    /// Up to `len` bytes at virtual address `addr`, from the `PT_LOAD` segment holding it.
    pub fn read_vaddr(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        self.segments
            .iter()
            .filter(|s| s.kind == PT_LOAD)
            .find_map(|s| {
                let rel = addr.checked_sub(s.vaddr)?;
                let end = rel.checked_add(len)?;
                if end > s.filesz {
                    return None;
                }
                self.bytes(s.offset.checked_add(rel)?, usize::try_from(len).ok()?)
            })
    }

    /// File bytes of the writable `PT_LOAD` segments (where Go keeps its build info when a
    /// binary has no section headers).
    pub fn writable_segments(&self) -> impl Iterator<Item = (u64, &'a [u8])> + '_ {
        self.segments
            .iter()
            .filter(|s| s.kind == PT_LOAD && s.flags & PF_W != 0)
            .filter_map(|s| {
                Some((
                    s.vaddr,
                    self.bytes(s.offset, usize::try_from(s.filesz).ok()?)?,
                ))
            })
    }

    /// Read a pointer-sized unsigned integer.
    pub fn ptr_at_slice(bytes: &[u8], off: usize, size: usize, big_endian: bool) -> Option<u64> {
        let b = bytes.get(off..off.checked_add(size)?)?;
        Some(match (size, big_endian) {
            (4, false) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
            (4, true) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
            (8, false) => u64::from_le_bytes(b.try_into().ok()?),
            (8, true) => u64::from_be_bytes(b.try_into().ok()?),
            _ => return None,
        })
    }
}

#[cfg(test)]
pub mod testelf {
    //! Builds minimal ELF files for tests: one `PT_LOAD` segment covering the whole file
    //! (vaddr = offset + base) and the given sections.

    pub struct Spec<'a> {
        pub is64: bool,
        pub big_endian: bool,
        pub base: u64,
        pub sections: &'a [(&'a str, &'a [u8])],
        /// Raw bytes placed after the sections (data reachable only through the segment).
        pub extra: &'a [u8],
    }

    /// Returns the image and the file offset at which `extra` starts.
    pub fn build(spec: &Spec<'_>) -> (Vec<u8>, u64) {
        let w = |v: &mut Vec<u8>, x: u64, n: usize| {
            let b = if spec.big_endian {
                x.to_be_bytes()[8 - n..].to_vec()
            } else {
                x.to_le_bytes()[..n].to_vec()
            };
            v.extend_from_slice(&b);
        };
        let (ehsize, phentsize, shentsize) = if spec.is64 {
            (64, 56, 64)
        } else {
            (52, 32, 40)
        };
        // Layout: header | phdr | section bytes... | shstrtab | extra | shdrs
        let mut body = Vec::new();
        let mut offs = Vec::new();
        let data_start = ehsize + phentsize;
        for (_, bytes) in spec.sections {
            while (data_start + body.len()) % 16 != 0 {
                body.push(0);
            }
            offs.push((data_start + body.len()) as u64);
            body.extend_from_slice(bytes);
        }
        let mut shstr = vec![0u8];
        let mut name_offs = Vec::new();
        for (name, _) in spec.sections {
            name_offs.push(shstr.len() as u64);
            shstr.extend_from_slice(name.as_bytes());
            shstr.push(0);
        }
        let shstrtab_name = shstr.len() as u64;
        shstr.extend_from_slice(b".shstrtab\0");
        let shstr_off = (data_start + body.len()) as u64;
        body.extend_from_slice(&shstr);
        while (data_start + body.len()) % 16 != 0 {
            body.push(0);
        }
        let extra_off = (data_start + body.len()) as u64;
        body.extend_from_slice(spec.extra);
        let shoff = (data_start + body.len()) as u64;
        let shnum = spec.sections.len() + 2; // null + sections + shstrtab
        let total = shoff + (shnum * shentsize) as u64;

        let mut v = Vec::new();
        v.extend_from_slice(b"\x7fELF");
        v.push(if spec.is64 { 2 } else { 1 });
        v.push(if spec.big_endian { 2 } else { 1 });
        v.push(1);
        v.resize(16, 0);
        w(&mut v, 2, 2); // e_type
        w(&mut v, 62, 2); // e_machine
        w(&mut v, 1, 4); // e_version
        let word = if spec.is64 { 8 } else { 4 };
        w(&mut v, 0, word); // entry
        w(&mut v, ehsize as u64, word); // phoff
        w(&mut v, shoff, word); // shoff
        w(&mut v, 0, 4); // flags
        w(&mut v, ehsize as u64, 2);
        w(&mut v, phentsize as u64, 2);
        w(&mut v, 1, 2);
        w(&mut v, shentsize as u64, 2);
        w(&mut v, shnum as u64, 2);
        w(&mut v, (shnum - 1) as u64, 2);
        assert_eq!(v.len(), ehsize);
        // PT_LOAD RW covering everything.
        if spec.is64 {
            w(&mut v, 1, 4);
            w(&mut v, 6, 4);
            w(&mut v, 0, 8);
            w(&mut v, spec.base, 8);
            w(&mut v, spec.base, 8);
            w(&mut v, total, 8);
            w(&mut v, total, 8);
            w(&mut v, 0x1000, 8);
        } else {
            w(&mut v, 1, 4);
            w(&mut v, 0, 4);
            w(&mut v, spec.base, 4);
            w(&mut v, spec.base, 4);
            w(&mut v, total, 4);
            w(&mut v, total, 4);
            w(&mut v, 6, 4);
            w(&mut v, 0x1000, 4);
        }
        v.extend_from_slice(&body);
        let sh = |v: &mut Vec<u8>, name: u64, kind: u64, addr: u64, off: u64, size: u64| {
            w(v, name, 4);
            w(v, kind, 4);
            if spec.is64 {
                w(v, 0, 8);
                w(v, addr, 8);
                w(v, off, 8);
                w(v, size, 8);
                w(v, 0, 4);
                w(v, 0, 4);
                w(v, 1, 8);
                w(v, 0, 8);
            } else {
                w(v, 0, 4);
                w(v, addr, 4);
                w(v, off, 4);
                w(v, size, 4);
                w(v, 0, 4);
                w(v, 0, 4);
                w(v, 1, 4);
                w(v, 0, 4);
            }
        };
        sh(&mut v, 0, 0, 0, 0, 0);
        for (i, (_, bytes)) in spec.sections.iter().enumerate() {
            sh(
                &mut v,
                name_offs[i],
                1,
                spec.base + offs[i],
                offs[i],
                bytes.len() as u64,
            );
        }
        sh(&mut v, shstrtab_name, 3, 0, shstr_off, shstr.len() as u64);
        assert_eq!(v.len() as u64, total);
        (v, extra_off)
    }
}

#[cfg(test)]
mod tests {
    use super::testelf::{build, Spec};
    use super::*;

    #[test]
    fn finds_sections_in_all_layouts() {
        for (is64, big_endian) in [(true, false), (false, false), (true, true), (false, true)] {
            let (img, extra) = build(&Spec {
                is64,
                big_endian,
                base: 0x40_0000,
                sections: &[(".text", b"code"), (".dep-v0", b"payload")],
                extra: b"EXTRA",
            });
            let elf = Elf::parse(&img).expect("parses");
            let sec = elf.section(".dep-v0").expect("section");
            assert_eq!(elf.section_data(&sec), Some(&b"payload"[..]));
            assert!(elf.section(".dep").is_none());
            assert_eq!(elf.read_vaddr(0x40_0000 + extra, 5), Some(&b"EXTRA"[..]));
            assert_eq!(elf.read_vaddr(0x40_0000 + extra, 1 << 40), None);
            // Every truncation parses or fails cleanly.
            for cut in 0..img.len() {
                if let Some(e) = Elf::parse(&img[..cut]) {
                    let _ = e.section(".dep-v0").and_then(|s| e.section_data(&s));
                }
            }
        }
        assert!(Elf::parse(b"MZ\x90\x00").is_none());
    }
}
