//! Builds the libbpf skeleton of the eBPF programs (src/bpf/monitor.bpf.c).
//!
//! On x86_64 the compiled object is checked in (`src/bpf/monitor.bpf.o`, with the
//! SHA-256 of the sources it was built from in `monitor.bpf.o.sources-sha256`), so a
//! plain `cargo build` needs no clang: the skeleton is generated from that object. When
//! the sources no longer match the recorded hash (someone edited the C), or on another
//! architecture, the object is compiled with clang as before. `vmlinux.h` is committed
//! (generated once with `bpftool btf dump file /sys/kernel/btf/vmlinux format c`) so
//! builds do not depend on the build host's kernel; CO-RE relocates field offsets at
//! load time.
//!
//! * `HULL_BPF_CHECK=1`: compile with clang anyway and fail unless the result is
//!   byte-identical to the checked-in object (CI runs this: the object is its source).
//! * `HULL_BPF_REGENERATE=1`: compile with clang and write the object and hash back
//!   (after editing the C: `HULL_BPF_REGENERATE=1 cargo build -p hull-runtime`).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const SRC: &str = "src/bpf/monitor.bpf.c";
const HEADERS: &[&str] = &["src/bpf/vmlinux.h"];
const OBJ: &str = "src/bpf/monitor.bpf.o";
const OBJ_HASH: &str = "src/bpf/monitor.bpf.o.sources-sha256";

/// SHA-256 over each source's name and bytes, in a fixed order.
fn sources_hash() -> String {
    let mut h = Sha256::new();
    for f in std::iter::once(&SRC).chain(HEADERS) {
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("reading {f}: {e}"));
        h.update(f.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")
}

fn compile(arch: &str, obj: &Path) {
    libbpf_cargo::SkeletonBuilder::new()
        .source(SRC)
        .obj(obj)
        .clang_args([
            std::ffi::OsString::from("-Isrc/bpf"),
            std::ffi::OsString::from(format!("-D__TARGET_ARCH_{arch}")),
            std::ffi::OsString::from("-Wno-compare-distinct-pointer-types"),
            // The object's debug info (and so its BTF line info) names the source files:
            // map the checkout's absolute path away so every clone compiles the same bytes.
            std::ffi::OsString::from(format!("-ffile-prefix-map={}=.", manifest_dir())),
            std::ffi::OsString::from("-fdebug-compilation-dir=."),
        ])
        .build()
        .expect("compiling the eBPF programs (needs clang; see .ci/apt/hull-runtime.txt)");
}

fn main() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let out = out_dir.join("monitor.skel.rs");
    let arch = match std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("x86_64") => "x86",
        Ok("aarch64") => "arm64",
        Ok(other) => panic!("hull-runtime eBPF: unsupported target arch {other}"),
        Err(_) => "x86",
    };
    for f in [SRC, OBJ, OBJ_HASH].iter().chain(HEADERS) {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-env-changed=HULL_BPF_CHECK");
    println!("cargo:rerun-if-env-changed=HULL_BPF_REGENERATE");
    let flag = |k: &str| std::env::var(k).is_ok_and(|v| v == "1");
    let (check, regenerate) = (flag("HULL_BPF_CHECK"), flag("HULL_BPF_REGENERATE"));
    let hash = sources_hash();
    let recorded = std::fs::read_to_string(OBJ_HASH).unwrap_or_default();
    let fresh = recorded.trim() == hash && Path::new(OBJ).exists();

    let obj = if arch == "x86" && fresh && !check && !regenerate {
        PathBuf::from(OBJ)
    } else {
        let built = out_dir.join("monitor.bpf.o");
        compile(arch, &built);
        if check && arch == "x86" {
            let want = std::fs::read(OBJ).unwrap_or_default();
            let got = std::fs::read(&built).expect("the object clang just wrote");
            assert!(
                fresh && want == got,
                "{OBJ} is not what {SRC} compiles to (sources hash {}, recorded {}; object \
                 {} bytes, clang gives {}): run `HULL_BPF_REGENERATE=1 cargo build -p \
                 hull-runtime` and commit both files",
                hash,
                recorded.trim(),
                want.len(),
                got.len()
            );
        }
        if regenerate && arch == "x86" {
            std::fs::copy(&built, OBJ).expect("writing the checked-in object");
            std::fs::write(OBJ_HASH, format!("{hash}\n")).expect("writing the sources hash");
        } else if arch == "x86" && !fresh {
            println!(
                "cargo:warning=eBPF sources changed since {OBJ} was built: compiled with clang; \
                 run `HULL_BPF_REGENERATE=1 cargo build -p hull-runtime` and commit the object"
            );
        }
        built
    };
    libbpf_cargo::SkeletonBuilder::new()
        .obj(&obj)
        .generate(&out)
        .expect("generating the eBPF skeleton");
}
