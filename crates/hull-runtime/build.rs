//! Compiles the eBPF programs (src/bpf/monitor.bpf.c, C compiled by clang) into a
//! libbpf skeleton. `vmlinux.h` is committed (generated once with
//! `bpftool btf dump file /sys/kernel/btf/vmlinux format c`) so builds do not depend on
//! the build host's kernel; CO-RE relocates field offsets at load time.

use std::path::PathBuf;

fn main() {
    let src = "src/bpf/monitor.bpf.c";
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("monitor.skel.rs");
    let arch = match std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("x86_64") => "x86",
        Ok("aarch64") => "arm64",
        Ok(other) => panic!("hull-runtime eBPF: unsupported target arch {other}"),
        Err(_) => "x86",
    };
    libbpf_cargo::SkeletonBuilder::new()
        .source(src)
        .clang_args([
            std::ffi::OsString::from("-Isrc/bpf"),
            std::ffi::OsString::from(format!("-D__TARGET_ARCH_{arch}")),
            std::ffi::OsString::from("-Wno-compare-distinct-pointer-types"),
        ])
        .build_and_generate(&out)
        .expect("compiling the eBPF programs (needs clang; see .ci/apt/hull-runtime.txt)");
    println!("cargo:rerun-if-changed={src}");
    println!("cargo:rerun-if-changed=src/bpf/vmlinux.h");
}
