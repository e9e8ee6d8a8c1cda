//! `/proc/<pid>` readers. Every read is best-effort: a process can exit between the
//! kernel event and the read, and what could not be read stays empty.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// What `/proc` says about one process.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcInfo {
    pub comm: String,
    pub exe: String,
    pub args: Vec<String>,
    pub ppid: u32,
    pub euid: u32,
    /// Content of `/proc/<pid>/cgroup`.
    pub cgroup: String,
    pub stdio_socket: bool,
    pub exe_ctime_ns: u64,
    /// False when the process was already gone (nothing could be read).
    pub alive: bool,
}

/// `PPid` and effective uid from `/proc/<pid>/status`.
pub fn parse_status(text: &str) -> (Option<u32>, Option<u32>) {
    let mut ppid = None;
    let mut euid = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("PPid:") {
            ppid = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("Uid:") {
            // real, effective, saved, filesystem
            euid = v.split_whitespace().nth(1).and_then(|s| s.parse().ok());
        }
    }
    (ppid, euid)
}

/// NUL-separated argv; invalid UTF-8 is replaced, a trailing NUL ignored.
pub fn parse_cmdline(raw: &[u8]) -> Vec<String> {
    let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
    if raw.is_empty() {
        return Vec::new();
    }
    raw.split(|&b| b == 0)
        .take(256)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

pub struct ProcFs {
    root: PathBuf,
}

impl Default for ProcFs {
    fn default() -> Self {
        ProcFs {
            root: PathBuf::from("/proc"),
        }
    }
}

impl ProcFs {
    pub fn new(root: impl Into<PathBuf>) -> ProcFs {
        ProcFs { root: root.into() }
    }

    pub fn comm(&self, pid: u32) -> Option<String> {
        std::fs::read_to_string(self.root.join(pid.to_string()).join("comm"))
            .ok()
            .map(|s| s.trim_end_matches('\n').to_string())
    }

    /// Only what an eBPF exec record lacks: executable path and times, stdio sockets.
    /// (Name, argv, parent, uid and cgroup come from the kernel record.)
    pub fn read_exec_extras(&self, pid: u32) -> ProcInfo {
        let dir = self.root.join(pid.to_string());
        let mut info = ProcInfo::default();
        if let Ok(p) = std::fs::read_link(dir.join("exe")) {
            info.alive = true;
            info.exe = p.to_string_lossy().into_owned();
        }
        self.exe_and_stdio(&dir, &mut info);
        info
    }

    fn exe_and_stdio(&self, dir: &std::path::Path, info: &mut ProcInfo) {
        if let Ok(m) = std::fs::metadata(dir.join("exe")) {
            let ctime = (m.ctime().max(0) as u64) * 1_000_000_000 + m.ctime_nsec().max(0) as u64;
            let mtime = (m.mtime().max(0) as u64) * 1_000_000_000 + m.mtime_nsec().max(0) as u64;
            info.exe_ctime_ns = ctime.max(mtime);
        }
        info.stdio_socket = [0, 1].iter().any(|fd| {
            std::fs::read_link(dir.join("fd").join(fd.to_string()))
                .map(|l| l.to_string_lossy().starts_with("socket:"))
                .unwrap_or(false)
        });
    }

    pub fn read(&self, pid: u32) -> ProcInfo {
        let dir = self.root.join(pid.to_string());
        let mut info = ProcInfo::default();
        if let Ok(s) = std::fs::read_to_string(dir.join("status")) {
            info.alive = true;
            let (ppid, euid) = parse_status(&s);
            info.ppid = ppid.unwrap_or(0);
            info.euid = euid.unwrap_or(0);
        }
        if let Some(c) = self.comm(pid) {
            info.comm = c;
        }
        if let Ok(raw) = std::fs::read(dir.join("cmdline")) {
            info.args = parse_cmdline(&raw);
        }
        if let Ok(p) = std::fs::read_link(dir.join("exe")) {
            info.exe = p.to_string_lossy().into_owned();
        }
        if let Ok(c) = std::fs::read_to_string(dir.join("cgroup")) {
            info.cgroup = c;
        }
        // Metadata of the executable through the magic link (works even if the path
        // is inside another mount namespace).
        self.exe_and_stdio(&dir, &mut info);
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_cmdline() {
        let st = "Name:\tsh\nPPid:\t41\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        assert_eq!(parse_status(st), (Some(41), Some(0)));
        assert_eq!(parse_status("garbage"), (None, None));
        assert_eq!(parse_cmdline(b"sh\0-c\0id\0"), vec!["sh", "-c", "id"]);
        assert_eq!(parse_cmdline(b""), Vec::<String>::new());
        assert_eq!(parse_cmdline(b"a\xff\0"), vec!["a\u{fffd}"]);
    }

    #[test]
    fn reads_own_process() {
        let me = ProcFs::default().read(std::process::id());
        assert!(me.alive);
        assert!(!me.comm.is_empty());
        assert!(!me.args.is_empty());
        assert!(me.exe_ctime_ns > 0);
        let gone = ProcFs::new("/nonexistent-proc").read(1);
        assert!(!gone.alive);
    }
}
