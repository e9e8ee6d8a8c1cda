//! `go-binary`: the module build information the Go toolchain embeds in every binary
//! (what `go version -m` prints), read from ELF executables, and from PE (Windows) and
//! Mach-O (macOS) executables built by Go ≥ 1.18 (whose build info is inline; the older
//! pointer layout is read from ELF only). `.exe` files are read without an exec bit.
//!
//! Layout (Go's `debug/buildinfo`): a 32-byte header starting with `\xff Go buildinf:`,
//! 16-byte aligned, in the `.go.buildinfo` section (or, without section headers, the
//! first writable segment). Byte 14 is the pointer size, byte 15 the flags.
//! * Go ≥ 1.18 sets flag bit 2: the Go version and the module info follow the header as
//!   two uvarint-length-prefixed strings.
//! * Older binaries store two pointers after the magic, each to a Go string header
//!   (data pointer, length) in the binary's memory, resolved through the `PT_LOAD`
//!   segments; flag bit 1 says big-endian.
//!
//! Reported: the main module (`mod` line; `(devel)` has no version), every `dep`
//! (a following `=>` line replaces it) and the standard library as `stdlib`, versioned
//! from the toolchain (`go1.19.8` -> `v1.19.8`, original kept in `go.version`).
//! A binary built in GOPATH mode (Debian's runc) has no `mod` line: only `stdlib`.
//! The main module is the binary's root package (CycloneDX `application`) and depends on
//! every `dep`; a `(devel)` version is recovered from `-ldflags -X …version=` or from the
//! VCS stamp as a pseudo-version ([`stamped_version`]).

use hull_model::{Ecosystem, ImagePath, Package, Purl};

use super::elf::{self, Elf};
use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "go-binary",
    wants,
    parse,
};

/// Executables above this are not read (the largest Go binaries seen are ~300 MiB).
pub const MAX_EXEC_SIZE: u64 = 512 << 20;
const MIN_EXEC_SIZE: u64 = 1024;
const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
const HEADER: usize = 32;
/// The module info string is tiny in practice; refuse absurd lengths from hostile files.
const MAX_STRING: u64 = 16 << 20;

/// A regular file with an exec bit and a plausible size (shared with `cargo-auditable`).
pub fn wants_executable(_path: &ImagePath, mode: u32, size: u64) -> bool {
    let kind = mode & 0o170000;
    (kind == 0 || kind == 0o100000)
        && mode & 0o111 != 0
        && (MIN_EXEC_SIZE..=MAX_EXEC_SIZE).contains(&size)
}

fn wants(path: &ImagePath, mode: u32, size: u64) -> bool {
    let kind = mode & 0o170000;
    wants_executable(path, mode, size)
        // Windows executables in images and CI workspaces rarely have an exec bit.
        || ((kind == 0 || kind == 0o100000)
            && path.file_name().to_ascii_lowercase().ends_with(".exe")
            && (MIN_EXEC_SIZE..=MAX_EXEC_SIZE).contains(&size))
}

/// A PE (`MZ`) or Mach-O (32/64-bit, either byte order, or universal) executable.
fn is_pe_or_macho(data: &[u8]) -> bool {
    data.starts_with(b"MZ")
        || matches!(
            data.get(..4),
            Some(
                [0xfe, 0xed, 0xfa, 0xce | 0xcf]
                    | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
                    | [0xca, 0xfe, 0xba, 0xbe]
            )
        )
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    let Some(elf) = elf::open(input)? else {
        // PE and Mach-O: Go ≥ 1.18 writes the build info inline after the header, so
        // finding the aligned header in the file is enough (no address mapping).
        let info = is_pe_or_macho(input.data)
            .then(|| find_header(input.data).and_then(decode_inline))
            .flatten();
        return Ok(Found {
            packages: info.map(|i| packages(&i, input.path)).unwrap_or_default(),
            ..Found::default()
        });
    };
    let Some(info) = read_build_info(&elf) else {
        return Ok(Found::default()); // not a Go binary (or one without build info)
    };
    Ok(Found {
        packages: packages(&info, input.path),
        ..Found::default()
    })
}

#[derive(Debug, Default, PartialEq)]
pub struct BuildInfo {
    pub go_version: String,
    pub mod_info: String,
}

/// Locate and decode the build info blob.
pub fn read_build_info(elf: &Elf<'_>) -> Option<BuildInfo> {
    let mut regions: Vec<&[u8]> = Vec::new();
    if let Some(data) = elf
        .section(".go.buildinfo")
        .and_then(|s| elf.section_data(&s))
    {
        regions.push(data);
    }
    regions.extend(elf.writable_segments().map(|(_, d)| d));
    regions
        .into_iter()
        .find_map(|region| decode_at(elf, find_header(region)?))
}

/// The first 16-byte-aligned header in `region`.
fn find_header(region: &[u8]) -> Option<&[u8]> {
    let mut start = 0usize;
    loop {
        let rest = region.get(start..)?;
        let i = rest.windows(MAGIC.len()).position(|w| w == MAGIC)?;
        let at = start.checked_add(i)?;
        if at % 16 == 0 && region.len() - at >= HEADER {
            return region.get(at..);
        }
        start = at.checked_add(1)?;
    }
}

/// The Go ≥ 1.18 layout only (flag bit 2: the strings follow the header).
fn decode_inline(hdr: &[u8]) -> Option<BuildInfo> {
    (*hdr.get(15)? & 2 != 0).then_some(())?;
    let rest = hdr.get(HEADER..)?;
    let (v, rest) = varint_string(rest)?;
    let (m, _) = varint_string(rest)?;
    build_info(v.to_vec(), m.to_vec())
}

fn build_info(version: Vec<u8>, modinfo: Vec<u8>) -> Option<BuildInfo> {
    let go_version = String::from_utf8(version).ok()?;
    if !go_version.starts_with("go") && !go_version.starts_with("devel") {
        return None;
    }
    Some(BuildInfo {
        go_version,
        mod_info: String::from_utf8_lossy(strip_sentinels(&modinfo)).into_owned(),
    })
}

fn decode_at(elf: &Elf<'_>, hdr: &[u8]) -> Option<BuildInfo> {
    let ptr_size = usize::from(*hdr.get(14)?);
    let flags = *hdr.get(15)?;
    if flags & 2 != 0 {
        return decode_inline(hdr);
    }
    let (version, modinfo) = {
        if ptr_size != 4 && ptr_size != 8 {
            return None;
        }
        let big = flags & 1 != 0;
        let vptr = Elf::ptr_at_slice(hdr, 16, ptr_size, big)?;
        let mptr = Elf::ptr_at_slice(hdr, 16 + ptr_size, ptr_size, big)?;
        (
            read_go_string(elf, vptr, ptr_size, big)?,
            read_go_string(elf, mptr, ptr_size, big).unwrap_or_default(),
        )
    };
    build_info(version, modinfo)
}

/// The module info is wrapped in two 16-byte sentinels; the final one follows a newline.
fn strip_sentinels(m: &[u8]) -> &[u8] {
    if m.len() >= 33 && m.get(m.len() - 17) == Some(&b'\n') {
        &m[16..m.len() - 16]
    } else {
        m
    }
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= u64::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte < 0x80 {
            return Some((x, i + 1));
        }
    }
    None
}

fn varint_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, n) = uvarint(b)?;
    if len > MAX_STRING {
        return None;
    }
    let len = usize::try_from(len).ok()?;
    let s = b.get(n..n.checked_add(len)?)?;
    Some((s, &b[n + len..]))
}

/// A Go string header at `addr`: (data pointer, length), then the bytes.
fn read_go_string(elf: &Elf<'_>, addr: u64, ptr: usize, big: bool) -> Option<Vec<u8>> {
    let hdr = elf.read_vaddr(addr, 2 * ptr as u64)?;
    let data = Elf::ptr_at_slice(hdr, 0, ptr, big)?;
    let len = Elf::ptr_at_slice(hdr, ptr, ptr, big)?;
    if len > MAX_STRING {
        return None;
    }
    Some(elf.read_vaddr(data, len)?.to_vec())
}

#[derive(Debug, Default, PartialEq)]
pub struct Module {
    pub path: String,
    pub version: String,
    pub sum: Option<String>,
    pub replaced_from: Option<(String, String)>,
    /// A `=> ../dir` replacement: the code is a local copy, its version unknown.
    pub local_replacement: Option<String>,
}

#[derive(Debug, Default, PartialEq)]
pub struct ModInfo {
    pub main_path: Option<String>,
    pub main: Option<Module>,
    pub deps: Vec<Module>,
    pub settings: Vec<(String, String)>,
}

/// Parse the tab-separated module info text.
pub fn parse_mod_info(text: &str) -> ModInfo {
    let mut info = ModInfo::default();
    for line in text.lines() {
        let mut f = line.split('\t');
        let kind = f.next().unwrap_or("");
        let a = f.next().unwrap_or("").to_string();
        let b = f.next().unwrap_or("").to_string();
        let c = f.next().filter(|s| !s.is_empty()).map(str::to_string);
        match kind {
            "path" => info.main_path = Some(a),
            "mod" if !a.is_empty() => {
                info.main = Some(Module {
                    path: a,
                    version: b,
                    sum: c,
                    replaced_from: None,
                    local_replacement: None,
                })
            }
            "dep" if !a.is_empty() => info.deps.push(Module {
                path: a,
                version: b,
                sum: c,
                replaced_from: None,
                local_replacement: None,
            }),
            "=>" if !a.is_empty() => {
                if let Some(last) = info.deps.last_mut() {
                    if a.starts_with(['.', '/']) {
                        // Replaced by a directory: keep the module's name, drop the version.
                        last.version.clear();
                        last.sum = None;
                        last.local_replacement = Some(a);
                        continue;
                    }
                    let old = (
                        std::mem::take(&mut last.path),
                        std::mem::take(&mut last.version),
                    );
                    last.path = a;
                    last.version = b;
                    last.sum = c;
                    last.replaced_from = Some(old);
                }
            }
            "build" => {
                if let Some((k, v)) = a.split_once('=') {
                    info.settings.push((k.to_string(), v.to_string()));
                }
            }
            _ => {}
        }
    }
    info
}

/// `go1.19.8` -> `v1.19.8`, `go1.20` -> `v1.20.0`, `go1.21rc2` -> `v1.21.0-rc.2`;
/// `None` for development toolchains, whose version says nothing about fixes.
pub fn stdlib_version(go: &str) -> Option<String> {
    let v = go.split_whitespace().next()?.strip_prefix("go")?;
    let (core, pre) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let mut parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    while parts.len() < 3 {
        parts.push("0");
    }
    let mut out = format!("v{}", parts.join("."));
    if let Some(pre) = pre {
        let split = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
        let (word, num) = pre.split_at(split);
        if word.is_empty() || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        out.push('-');
        out.push_str(word);
        if !num.is_empty() {
            out.push('.');
            out.push_str(num);
        }
    }
    Some(out)
}

fn go_package(path: &str, version: &str, file: &ImagePath) -> Package {
    let (ns, name) = match path.rsplit_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, path),
    };
    let purl = Purl::new("golang", ns, name, lang::purl_version(version), &[]);
    lang::package(
        Ecosystem::Go,
        path,
        version,
        purl,
        file.clone(),
        ANALYZER.id,
    )
}

fn packages(info: &BuildInfo, file: &ImagePath) -> Vec<Package> {
    let mods = parse_mod_info(&info.mod_info);
    let mut out = Vec::new();
    if let Some(main) = &mods.main {
        let mut p = match main.version.as_str() {
            "" | "(devel)" => match stamped_version(&mods.settings) {
                Some((v, from)) => {
                    let mut p = go_package(&main.path, &v, file);
                    p.properties
                        .insert("go.version-from".to_string(), from.to_string());
                    p
                }
                None => go_package(&main.path, "", file),
            },
            v => go_package(&main.path, v, file),
        };
        p.properties
            .insert("go.main".to_string(), "true".to_string());
        p.root = true;
        out.push(p);
    }
    let mut dep_refs = Vec::new();
    for dep in &mods.deps {
        let mut p = go_package(&dep.path, &dep.version, file);
        if let Some((from, from_v)) = &dep.replaced_from {
            p.properties.insert(
                "go.replaces".to_string(),
                format!("{from} {from_v}").trim().to_string(),
            );
        }
        if let Some(dir) = &dep.local_replacement {
            p.properties
                .insert("go.replaced-by".to_string(), dir.clone());
        }
        if let Some(sum) = &dep.sum {
            p.properties.insert("go.sum".to_string(), sum.clone());
        }
        dep_refs.push(p.ref_id());
        out.push(p);
    }
    // Build info lists every module linked in, not who imports whom: the main module
    // depends on each of them (the standard library is not a module dependency).
    if let Some(main) = out.first_mut().filter(|p| p.root) {
        dep_refs.sort();
        dep_refs.dedup();
        main.depends_on = dep_refs;
    }
    if let Some(v) = stdlib_version(&info.go_version) {
        out.push(go_package("stdlib", &v, file));
    }
    for p in &mut out {
        p.properties
            .insert("go.version".to_string(), info.go_version.clone());
        if let Some(mp) = &mods.main_path {
            p.properties.insert("go.main-path".to_string(), mp.clone());
        }
        for (k, v) in &mods.settings {
            if matches!(k.as_str(), "GOOS" | "GOARCH" | "vcs.revision" | "-tags") {
                p.properties.insert(format!("go.build.{k}"), v.clone());
            }
        }
    }
    out
}

/// The main module's version when the toolchain recorded `(devel)`: a version variable
/// set with `-ldflags -X pkg.version=1.2.3` (how release builds stamp it), else the
/// pseudo-version of the VCS commit (`vcs.revision` + `vcs.time`, as `go` itself would
/// name that commit). Returns the version and where it came from (`ldflags`, `vcs`).
pub fn stamped_version(settings: &[(String, String)]) -> Option<(String, &'static str)> {
    let get = |k: &str| {
        settings
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    if let Some(v) = get("-ldflags").and_then(ldflags_version) {
        return Some((v, "ldflags"));
    }
    let rev = get("vcs.revision")
        .filter(|r| r.len() >= 12 && r.bytes().all(|b| b.is_ascii_hexdigit()))?;
    // `2023-01-02T03:04:05Z` -> `20230102030405`
    let time: String = get("vcs.time")?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if time.len() != 14 {
        return None;
    }
    let dirty = if get("vcs.modified") == Some("true") {
        "+dirty"
    } else {
        ""
    };
    Some((format!("v0.0.0-{time}-{}{dirty}", &rev[..12]), "vcs"))
}

/// `-s -w -X main.version=1.2.3 -X 'github.com/x/y/version.Version=v1.2.3'` -> `v1.2.3`:
/// the first `-X` whose variable name ends in `version` (any case, `goversion` aside)
/// and whose value looks like a release number.
fn ldflags_version(flags: &str) -> Option<String> {
    let mut words = flags
        .split_whitespace()
        .map(|w| w.trim_matches(['\'', '"']));
    while let Some(w) = words.next() {
        let assignment = match w.strip_prefix("-X") {
            Some("") => words.next()?,
            Some(rest) => rest.trim_start_matches('='),
            None => continue,
        };
        let Some((var, value)) = assignment.split_once('=') else {
            continue;
        };
        let name = var.rsplit('.').next().unwrap_or(var).to_ascii_lowercase();
        if !name.ends_with("version") || name.ends_with("goversion") {
            continue;
        }
        let bare = value.strip_prefix('v').unwrap_or(value);
        if bare.starts_with(|c: char| c.is_ascii_digit()) && bare.contains('.') {
            return Some(format!("v{bare}"));
        }
    }
    None
}

#[cfg(test)]
pub mod tests {
    use super::super::elf::testelf::{build, Spec};
    use super::*;

    const MODINFO: &str = "path\texample.com/go-demo\nmod\texample.com/go-demo\t(devel)\t\ndep\tgithub.com/dgrijalva/jwt-go\tv3.2.0+incompatible\t\ndep\tgolang.org/x/net\tv0.7.0\th1:abc=\n=>\tgolang.org/x/net\tv0.17.0\th1:def=\ndep\texample.com/local\tv1.0.0\n=>\t../local\t\nbuild\tGOOS=linux\nbuild\tCGO_ENABLED=0\n";

    fn with_sentinels(s: &str) -> Vec<u8> {
        let mut v = b"0123456789abcdef".to_vec();
        v.extend_from_slice(s.as_bytes());
        v.extend_from_slice(b"fedcba9876543210");
        v
    }

    /// A Go ≥ 1.18 `.go.buildinfo` section.
    pub fn inline_blob(version: &str, modinfo: &str) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.push(8);
        b.push(2);
        b.resize(HEADER, 0);
        for s in [version.as_bytes().to_vec(), with_sentinels(modinfo)] {
            let mut n = s.len();
            loop {
                let byte = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    b.push(byte);
                    break;
                }
                b.push(byte | 0x80);
            }
            b.extend_from_slice(&s);
        }
        b
    }

    fn purls(data: &[u8]) -> Vec<String> {
        let path = ImagePath::new("usr/local/bin/x").unwrap();
        parse(&FileInput {
            path: &path,
            mode: 0o100755,
            data,
        })
        .unwrap()
        .packages
        .into_iter()
        .map(|p| format!("{} {}", p.purl, p.version))
        .collect()
    }

    #[test]
    fn inline_format() {
        let blob = inline_blob("go1.19.8", MODINFO);
        let (img, _) = build(&Spec {
            is64: true,
            big_endian: false,
            base: 0x40_0000,
            sections: &[(".go.buildinfo", &blob)],
            extra: b"",
        });
        assert_eq!(
            purls(&img),
            [
                "pkg:golang/example.com/go-demo ",
                "pkg:golang/github.com/dgrijalva/jwt-go@v3.2.0%2Bincompatible v3.2.0+incompatible",
                "pkg:golang/golang.org/x/net@v0.17.0 v0.17.0",
                "pkg:golang/example.com/local ",
                "pkg:golang/stdlib@v1.19.8 v1.19.8",
            ]
        );
    }

    #[test]
    fn pointer_format_all_layouts() {
        for (is64, big) in [(true, false), (false, false), (true, true), (false, true)] {
            let ptr = if is64 { 8 } else { 4 };
            let base = 0x1_0000u64;
            let version = b"go1.16.5";
            let modinfo = with_sentinels("path\tx.org/a\nmod\tx.org/a\tv1.2.3\t\n");
            // Two string headers + their bytes, placed in `extra`.
            let put = |v: &mut Vec<u8>, x: u64| {
                if big {
                    v.extend_from_slice(&x.to_be_bytes()[8 - ptr..])
                } else {
                    v.extend_from_slice(&x.to_le_bytes()[..ptr])
                }
            };
            // First build with a placeholder to learn where `extra` lands.
            let mut hdr = MAGIC.to_vec();
            hdr.push(ptr as u8);
            hdr.push(u8::from(big));
            hdr.resize(HEADER, 0);
            let (_, extra_off) = build(&Spec {
                is64,
                big_endian: big,
                base,
                sections: &[(".go.buildinfo", &hdr)],
                extra: b"",
            });
            let ea = base + extra_off;
            let mut extra = Vec::new();
            let vh = ea;
            let mh = ea + 2 * ptr as u64;
            let vdata = ea + 4 * ptr as u64;
            let mdata = vdata + version.len() as u64;
            put(&mut extra, vdata);
            put(&mut extra, version.len() as u64);
            put(&mut extra, mdata);
            put(&mut extra, modinfo.len() as u64);
            extra.extend_from_slice(version);
            extra.extend_from_slice(&modinfo);
            let mut hdr2 = MAGIC.to_vec();
            hdr2.push(ptr as u8);
            hdr2.push(u8::from(big));
            put(&mut hdr2, vh);
            put(&mut hdr2, mh);
            hdr2.resize(HEADER, 0);
            let (img, off2) = build(&Spec {
                is64,
                big_endian: big,
                base,
                sections: &[(".go.buildinfo", &hdr2)],
                extra: &extra,
            });
            assert_eq!(off2, extra_off);
            assert_eq!(
                purls(&img),
                [
                    "pkg:golang/x.org/a@v1.2.3 v1.2.3",
                    "pkg:golang/stdlib@v1.16.5 v1.16.5"
                ],
                "is64={is64} big={big}"
            );
        }
    }

    #[test]
    fn pe_and_macho_executables() {
        let blob = inline_blob("go1.21.5", MODINFO);
        for magic in [
            &b"MZ\x90\0"[..],
            &[0xcf, 0xfa, 0xed, 0xfe],
            &[0xfe, 0xed, 0xfa, 0xce],
            &[0xca, 0xfe, 0xba, 0xbe],
        ] {
            let mut bin = magic.to_vec();
            bin.resize(4096, 0);
            bin.extend_from_slice(&blob);
            bin.resize(8192, 0);
            let got = purls(&bin);
            assert!(
                got.contains(&"pkg:golang/golang.org/x/net@v0.17.0 v0.17.0".to_string()),
                "{magic:?}: {got:?}"
            );
            assert!(
                got.iter()
                    .any(|p| p.starts_with("pkg:golang/stdlib@v1.21.5")),
                "{got:?}"
            );
            // misaligned header: not build info
            let mut off = magic.to_vec();
            off.resize(4097, 0);
            off.extend_from_slice(&blob);
            assert!(purls(&off).is_empty());
        }
        // not an executable format at all
        let mut other = b"\x00\x01".to_vec();
        other.resize(4096, 0);
        other.extend_from_slice(&blob);
        assert!(purls(&other).is_empty());
        let exe = ImagePath::new("ci/tools/app.exe").unwrap();
        assert!(wants(&exe, 0o100644, 4096));
        assert!(!wants(
            &ImagePath::new("ci/tools/app.dll").unwrap(),
            0o100644,
            4096
        ));
    }

    #[test]
    fn main_module_version_from_build_settings() {
        let s = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let rev = "0123456789abcdef0123456789abcdef01234567";
        for (settings, want) in [
            (
                s(&[("-ldflags", "\"-s -w -X main.version=1.4.2\"")]),
                Some(("v1.4.2", "ldflags")),
            ),
            (
                s(&[(
                    "-ldflags",
                    "-X 'github.com/x/y/internal/version.Version=v2.0.1' -X main.commit=abc",
                )]),
                Some(("v2.0.1", "ldflags")),
            ),
            (
                s(&[("-ldflags", "-X=main.appVersion=3.1.0")]),
                Some(("v3.1.0", "ldflags")),
            ),
            // not a version variable, not a release number
            (
                s(&[("-ldflags", "-X main.goVersion=1.21 -X main.version=dev")]),
                None,
            ),
            (
                s(&[("vcs.revision", rev), ("vcs.time", "2023-01-02T03:04:05Z")]),
                Some(("v0.0.0-20230102030405-0123456789ab", "vcs")),
            ),
            (
                s(&[
                    ("vcs.revision", rev),
                    ("vcs.time", "2023-01-02T03:04:05Z"),
                    ("vcs.modified", "true"),
                ]),
                Some(("v0.0.0-20230102030405-0123456789ab+dirty", "vcs")),
            ),
            (s(&[("vcs.revision", rev)]), None),
            (
                s(&[
                    ("vcs.revision", "xyz"),
                    ("vcs.time", "2023-01-02T03:04:05Z"),
                ]),
                None,
            ),
        ] {
            assert_eq!(
                stamped_version(&settings),
                want.map(|(v, f)| (v.to_string(), f)),
                "{settings:?}"
            );
        }
        // The main module of a `(devel)` build gets the stamped version, is the root and
        // depends on every dep; stdlib is not an edge.
        let modinfo = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/net\tv0.7.0\t\nbuild\t-ldflags=\"-X main.version=1.4.2\"\n";
        let file = ImagePath::new("usr/bin/app").unwrap();
        let pkgs = packages(
            &BuildInfo {
                go_version: "go1.21.0".into(),
                mod_info: modinfo.into(),
            },
            &file,
        );
        let main = &pkgs[0];
        assert_eq!(main.purl.as_str(), "pkg:golang/example.com/app@v1.4.2");
        assert!(main.root);
        assert_eq!(
            main.depends_on,
            ["pkg:golang/golang.org/x/net@v0.7.0#/usr/bin/app"]
        );
        assert!(pkgs[1..].iter().all(|p| !p.root && p.depends_on.is_empty()));
    }

    #[test]
    fn stdlib_versions() {
        for (go, want) in [
            ("go1.19.8", Some("v1.19.8")),
            ("go1.20", Some("v1.20.0")),
            ("go1.21rc2", Some("v1.21.0-rc.2")),
            ("go1.22.0 X:boringcrypto", Some("v1.22.0")),
            ("devel go1.23-abc", None),
            ("go", None),
            ("go1..2", None),
        ] {
            assert_eq!(stdlib_version(go).as_deref(), want, "{go}");
        }
    }

    #[test]
    fn non_go_and_garbage() {
        assert!(purls(b"#!/bin/sh\necho hi\n").is_empty());
        let (img, _) = build(&Spec {
            is64: true,
            big_endian: false,
            base: 0,
            sections: &[(".text", b"nothing here")],
            extra: b"",
        });
        assert!(purls(&img).is_empty());
        // Lengths pointing past the end.
        let mut blob = inline_blob("go1.19.8", MODINFO);
        blob.truncate(40);
        let (img, _) = build(&Spec {
            is64: true,
            big_endian: false,
            base: 0,
            sections: &[(".go.buildinfo", &blob)],
            extra: b"",
        });
        assert!(purls(&img).is_empty());
    }

    #[test]
    fn wants_executables() {
        let p = ImagePath::new("usr/bin/x").unwrap();
        assert!(wants(&p, 0o100755, 1 << 20));
        assert!(wants(&p, 0o755, 1 << 20));
        assert!(!wants(&p, 0o100644, 1 << 20));
        assert!(!wants(&p, 0o120777, 1 << 20));
        assert!(!wants(&p, 0o755, 10));
    }
}
