//! `--learn`: turn the syscalls a container made into a minimal seccomp profile in the
//! Docker/OCI JSON format (`docker run --security-opt seccomp=FILE`, or the
//! `linux.seccomp` object of an OCI `config.json`): default action `SCMP_ACT_ERRNO`,
//! one `SCMP_ACT_ALLOW` rule listing every syscall observed.

use serde_json::{json, Value};

use crate::syscalls;

/// Calls every profile allows even if the learning window missed them: without these a
/// container cannot start or exit cleanly under the profile.
const ALWAYS: &[&str] = &[
    "execve",
    "exit",
    "exit_group",
    "rt_sigreturn",
    "futex",
    "brk",
    "mmap",
    "munmap",
    "arch_prctl",
];

/// Profile for the observed syscall numbers. Unknown numbers are returned separately
/// (a newer kernel than the name table).
pub fn profile(observed: &[u32]) -> (Value, Vec<u32>) {
    let mut names: Vec<&str> = ALWAYS.to_vec();
    let mut unknown = Vec::new();
    for &nr in observed {
        match syscalls::name(nr) {
            Some(n) => names.push(n),
            None => unknown.push(nr),
        }
    }
    names.sort_unstable();
    names.dedup();
    let v = json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [{"names": names, "action": "SCMP_ACT_ALLOW"}],
    });
    (v, unknown)
}

/// Syscall numbers set in a 512-bit bitmap (eight little-endian-in-host-order u64 words).
pub fn bitmap_numbers(words: &[u64]) -> Vec<u32> {
    let mut out = Vec::new();
    for (w, &bits) in words.iter().enumerate().take(8) {
        for b in 0..64 {
            if bits & (1u64 << b) != 0 {
                out.push((w * 64 + b) as u32);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_lists_observed_and_required_calls() {
        let mut words = [0u64; 8];
        words[0] |= 1 << 0; // read
        words[4] |= 1 << 1; // 257 openat
        words[7] |= 1 << 63; // 511: unknown
        let nrs = bitmap_numbers(&words);
        assert_eq!(nrs, vec![0, 257, 511]);
        let (p, unknown) = profile(&nrs);
        assert_eq!(unknown, vec![511]);
        assert_eq!(p["defaultAction"], "SCMP_ACT_ERRNO");
        let names: Vec<&str> = p["syscalls"][0]["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(names.contains(&"read") && names.contains(&"openat") && names.contains(&"execve"));
        assert!(!names.contains(&"ptrace"));
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }
}
