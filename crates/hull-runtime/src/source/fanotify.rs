//! File-open events for the fallback source, from fanotify(7) marks on container
//! root mounts. Where BPF cannot load, this is how the fallback still sees a container
//! read `/etc/shadow` or write below `/etc` and `/bin`.
//!
//! How it works:
//! - [`Fanotify::watch_process`] is called for each process the fallback sees exec (and
//!   for every running process at start). A process whose root directory differs from
//!   the monitor's is in a container (or a chroot): its root mount is marked with
//!   `FAN_MARK_MOUNT` for `FAN_OPEN | FAN_CLOSE_WRITE`. Marking is idempotent, so an
//!   exec into an already marked container costs one `fanotify_mark` call; a mount id
//!   the kernel reused for a new container is therefore never mistaken for marked.
//! - A runtime's init process forks into a new mount namespace, pivots into the
//!   container root a few milliseconds later and only then execs the container's
//!   program. [`Fanotify::watch_new_process`] (called on fork) remembers such processes
//!   while their root is still the host's, and [`Fanotify::poll_pending`] marks their
//!   root as soon as it changes — before the container's first exec, so its first
//!   opens are seen even when the monitor is slow to be scheduled. A namespace whose
//!   processes keep the host root for a second (systemd's private mounts) is remembered
//!   and not polled again.
//! - The container's other mounts (volumes, Kubernetes service-account token tmpfs,
//!   `/etc/hosts` bind mounts) are marked too, from `/proc/<pid>/mountinfo`, when its
//!   root mount is first seen. Their paths are opened with `openat2(RESOLVE_IN_ROOT)`
//!   below the container's root, so a symlink planted in the container cannot make the
//!   monitor mark a host mount. Kernel pseudo-filesystems (`proc`, `sysfs`, `cgroup`…)
//!   and anything below `/proc`, `/sys` and `/dev` are left alone.
//! - [`Fanotify::read`] drains the queue. Each event carries an open descriptor of the
//!   file: its path comes from `readlink /proc/self/fd/N` and its mount from
//!   `/proc/self/fdinfo/N`, and the descriptor is always closed (an [`OwnedFd`]).
//!
//! Limits (documented in docs/monitor.md): events carry no open flags, so a file
//! opened for writing is reported as a read at open (`FAN_OPEN`) and as a write when it
//! is closed (`FAN_CLOSE_WRITE`); mounts a container makes after its start are not
//! marked; a container whose init already pivoted before the monitor saw its fork
//! may do its first opens before the mark; the kernel merges identical events (same
//! file, same process) still waiting in its queue; the queue holds 16384 events, and
//! overflow is counted as a drop.
//!
//! Wire format (include/uapi/linux/fanotify.h): a sequence of
//! `fanotify_event_metadata { event_len: u32, vers: u8, reserved: u8,
//! metadata_len: u16, mask: u64 (aligned), fd: i32, pid: i32 }` records (24 bytes,
//! host byte order), each followed by optional info records up to `event_len`.

use std::collections::HashMap;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;

const FAN_CLOEXEC: libc::c_uint = 0x1;
const FAN_NONBLOCK: libc::c_uint = 0x2;
const FAN_CLASS_NOTIF: libc::c_uint = 0x0;
const FAN_MARK_ADD: libc::c_uint = 0x1;
const FAN_MARK_MOUNT: libc::c_uint = 0x10;
/// A file was opened.
pub const FAN_OPEN: u64 = 0x20;
/// A file opened for writing was closed.
pub const FAN_CLOSE_WRITE: u64 = 0x08;
/// A file was modified (not marked: one event per write call would flood the queue).
pub const FAN_MODIFY: u64 = 0x02;
/// The kernel queue overflowed: events were lost.
pub const FAN_Q_OVERFLOW: u64 = 0x4000;
const FANOTIFY_METADATA_VERSION: u8 = 3;
const METADATA_LEN: usize = 24;

/// One decoded `fanotify_event_metadata` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEvent {
    pub mask: u64,
    /// Descriptor of the file, or negative (`FAN_NOFD`) for overflow events.
    pub fd: i32,
    pub pid: i32,
}

/// Decode the records in one `read(2)` of a fanotify descriptor. A record with a bad
/// length ends the walk (the kernel never writes partial records; a corrupt buffer
/// must not make the parser loop or read out of bounds).
pub fn parse_events(buf: &[u8]) -> Vec<RawEvent> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while let Some(rec) = buf.get(off..off + METADATA_LEN) {
        let word = |at: usize| -> u32 {
            u32::from_ne_bytes([rec[at], rec[at + 1], rec[at + 2], rec[at + 3]])
        };
        let event_len = word(0) as usize;
        let vers = rec[4];
        let metadata_len = u16::from_ne_bytes([rec[6], rec[7]]) as usize;
        if event_len < METADATA_LEN || metadata_len < METADATA_LEN || off + event_len > buf.len() {
            break;
        }
        if vers == FANOTIFY_METADATA_VERSION {
            let mut m = [0u8; 8];
            m.copy_from_slice(&rec[8..16]);
            out.push(RawEvent {
                mask: u64::from_ne_bytes(m),
                fd: word(16) as i32,
                pid: word(20) as i32,
            });
        }
        off += event_len;
    }
    out
}

/// The `mnt_id:` line of a `/proc/<pid>/fdinfo/<fd>` file.
pub fn parse_fdinfo_mnt_id(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("mnt_id:"))
        .and_then(|v| v.trim().parse().ok())
}

/// A path as seen from the process's root: `root` is what `readlink /proc/<pid>/root`
/// said when its mount was marked. For a container root mount the kernel already
/// reports container paths (root `/`); a chroot on the host mount reports host paths.
pub fn container_path(path: &str, root: &str) -> String {
    let root = root.trim_end_matches('/');
    if root.is_empty() {
        return path.to_string();
    }
    match path.strip_prefix(root) {
        Some("") => "/".to_string(),
        Some(rest) if rest.starts_with('/') => rest.to_string(),
        _ => path.to_string(),
    }
}

/// One line of `/proc/<pid>/mountinfo` (proc(5)): what hull needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    pub mount_id: u64,
    /// Mount point relative to the process's root, octal escapes decoded.
    pub mount_point: String,
    pub fs_type: String,
}

/// Parse `/proc/<pid>/mountinfo`; malformed lines are skipped.
/// Line shape: `id parent major:minor root mount-point options [optional…] - fstype source super-options`.
pub fn parse_mountinfo(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split(' ');
            let mount_id = f.next()?.parse().ok()?;
            let mount_point = unescape_octal(f.nth(3)?);
            // Optional fields end at a lone "-"; the filesystem type follows.
            let fs_type = f.skip_while(|x| *x != "-").nth(1)?.to_string();
            Some(MountEntry {
                mount_id,
                mount_point,
                fs_type,
            })
        })
        .collect()
}

/// Undo the kernel's `\ooo` escapes (space, tab, newline, backslash) in mountinfo.
fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], oct) {
            (b'\\', Some(d)) => {
                let v = d.iter().fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Filesystems whose opens say nothing about the workload (or are not files at all).
const PSEUDO_FS: &[&str] = &[
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "devpts",
    "mqueue",
    "devtmpfs",
    "securityfs",
    "debugfs",
    "tracefs",
    "bpf",
    "fusectl",
    "configfs",
    "pstore",
    "hugetlbfs",
    "binfmt_misc",
    "autofs",
    "nsfs",
    "efivarfs",
    "selinuxfs",
    "rpc_pipefs",
];

/// Mounts of a container worth marking besides its root: real data (volumes, secrets,
/// bind-mounted files), not kernel interfaces.
pub fn data_mounts(entries: &[MountEntry]) -> Vec<&MountEntry> {
    let under = |p: &str, dir: &str| p == dir || p.starts_with(&format!("{dir}/"));
    entries
        .iter()
        .filter(|e| e.mount_point != "/" && e.mount_point.starts_with('/'))
        .filter(|e| !PSEUDO_FS.contains(&e.fs_type.as_str()))
        .filter(|e| {
            !["/proc", "/sys", "/dev"]
                .iter()
                .any(|d| under(&e.mount_point, d))
        })
        .take(MAX_SUBMOUNTS)
        .collect()
}

/// Other mounts marked per container, at most (a container with thousands of mounts
/// must not stall the source).
const MAX_SUBMOUNTS: usize = 64;

/// What the monitor learned about a marked mount.
#[derive(Debug, Clone, Default)]
pub struct MountInfo {
    /// `/proc/<pid>/cgroup` of a process using this root (attribution when the
    /// opener has exited before its event is read).
    pub cgroup: String,
    /// `readlink /proc/<pid>/root` when marked.
    pub root: String,
    /// (mount namespace inode, root directory inode): the kernel reuses mount ids, so
    /// a known id with another identity is a new container whose other mounts still
    /// need marks.
    ident: (u64, u64),
}

/// One open observed through fanotify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEvent {
    pub pid: u32,
    /// Path inside the container.
    pub path: String,
    /// The file was opened for writing (`FAN_CLOSE_WRITE`); false: an open (`FAN_OPEN`).
    pub write: bool,
    /// cgroup recorded for the mount (may be empty).
    pub mount_cgroup: String,
}

/// A process in a new mount namespace that has not changed its root yet.
#[derive(Debug, Clone, Copy)]
struct Pending {
    pid: u32,
    mntns: u64,
    until: std::time::Instant,
}

/// How long a new mount namespace is watched for a root change.
const PENDING_FOR: std::time::Duration = std::time::Duration::from_secs(1);
const MAX_PENDING: usize = 64;

/// An initialised fanotify group.
pub struct Fanotify {
    fd: OwnedFd,
    self_pid: i32,
    /// (st_dev, st_ino) of the monitor's own root directory.
    self_root: (u64, u64),
    /// Inode of the monitor's mount namespace.
    self_mntns: u64,
    mounts: HashMap<u64, MountInfo>,
    pending: Vec<Pending>,
    /// Mount namespaces that kept the host root past [`PENDING_FOR`].
    plain_ns: std::collections::HashSet<u64>,
    /// Events lost: queue overflows, and events whose file the kernel could not open
    /// for us.
    pub overflows: u64,
    /// Read buffer, reused.
    buf: Vec<u8>,
}

fn stat_key(path: &str) -> io::Result<(u64, u64)> {
    let m = std::fs::metadata(path)?;
    Ok((m.dev(), m.ino()))
}

impl Fanotify {
    /// `fanotify_init` (needs CAP_SYS_ADMIN). Errors: EPERM without privilege, ENOSYS or
    /// EINVAL where the kernel lacks fanotify.
    pub fn init() -> io::Result<Fanotify> {
        let flags = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK;
        let event_flags = (libc::O_RDONLY | libc::O_LARGEFILE | libc::O_CLOEXEC) as libc::c_uint;
        // SAFETY: fanotify_init has no memory arguments; a non-negative result is a new
        // descriptor we own.
        let fd = unsafe { libc::fanotify_init(flags, event_flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd was just returned by the kernel and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Fanotify {
            fd,
            self_pid: std::process::id() as i32,
            self_root: stat_key("/")?,
            self_mntns: stat_key("/proc/self/ns/mnt").map(|k| k.1).unwrap_or(0),
            mounts: HashMap::new(),
            pending: Vec::new(),
            plain_ns: Default::default(),
            overflows: 0,
            buf: Vec::new(),
        })
    }

    /// A new process (fork): mark its root now if it is already a container root, or
    /// watch it for a while if it is in a new mount namespace that still has the host
    /// root (a runtime's init before `pivot_root`).
    pub fn watch_new_process(&mut self, pid: u32) -> io::Result<Option<u64>> {
        let Ok((_, ns)) = stat_key(&format!("/proc/{pid}/ns/mnt")) else {
            return Ok(None);
        };
        if ns == self.self_mntns || self.plain_ns.contains(&ns) {
            return Ok(None);
        }
        let marked = self.watch_process(pid)?;
        if marked.is_none()
            && self.pending.len() < MAX_PENDING
            && !self.pending.iter().any(|p| p.mntns == ns)
        {
            self.pending.push(Pending {
                pid,
                mntns: ns,
                until: std::time::Instant::now() + PENDING_FOR,
            });
        }
        Ok(marked)
    }

    /// Processes waiting for their root to change (the caller polls more often while
    /// there are some).
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Check the watched processes; mark the roots that changed. Errors other than
    /// "process gone" are returned (the first one) after every process was checked.
    pub fn poll_pending(&mut self) -> io::Result<()> {
        let now = std::time::Instant::now();
        let mut first_err = None;
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            match self.watch_process(p.pid) {
                Ok(Some(_)) => {}
                Ok(None) if now < p.until => self.pending.push(p),
                Ok(None) => {
                    if self.plain_ns.len() > 4096 {
                        self.plain_ns.clear();
                    }
                    self.plain_ns.insert(p.mntns);
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// Mark the root mount of `pid` if its root differs from the monitor's. Returns the
    /// mount id when marked, `Ok(None)` for processes sharing the monitor's root. The
    /// process may exit at any point: errors are for the caller to ignore or report.
    pub fn watch_process(&mut self, pid: u32) -> io::Result<Option<u64>> {
        let root = format!("/proc/{pid}/root");
        let root_key = stat_key(&root)?;
        if root_key == self.self_root {
            return Ok(None);
        }
        let c = CString::new(root.clone()).map_err(io::Error::other)?;
        // SAFETY: c is a valid NUL-terminated path; a non-negative result is ours.
        let dir = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if dir < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: just opened, owned here (closed on drop).
        let dir = unsafe { OwnedFd::from_raw_fd(dir) };
        // SAFETY: both descriptors are valid; a NULL pathname means "the object dirfd
        // refers to" (fanotify_mark(2)).
        let rc = unsafe {
            libc::fanotify_mark(
                self.fd.as_raw_fd(),
                FAN_MARK_ADD | FAN_MARK_MOUNT,
                FAN_OPEN | FAN_CLOSE_WRITE,
                dir.as_raw_fd(),
                std::ptr::null(),
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        let mnt = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", dir.as_raw_fd()))
            .ok()
            .and_then(|t| parse_fdinfo_mnt_id(&t));
        let Some(mnt) = mnt else {
            return Ok(None);
        };
        let root_path = std::fs::read_link(&root)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        if self.mounts.len() > 4096 {
            // Bounded: mounts of exited containers are never announced; the table is
            // rebuilt from the next execs, and events in between use the opener's pid.
            self.mounts.clear();
        }
        let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        let mntns = stat_key(&format!("/proc/{pid}/ns/mnt"))
            .map(|k| k.1)
            .unwrap_or(0);
        let ident = (mntns, root_key.1);
        let first_time = self.mounts.get(&mnt).is_none_or(|m| m.ident != ident);
        let info = MountInfo {
            cgroup,
            root: root_path,
            ident,
        };
        if first_time {
            self.mark_submounts(pid, &dir, mnt, &info);
        }
        self.mounts.insert(mnt, info);
        Ok(Some(mnt))
    }

    /// Mark the data mounts below a container root (`root_fd`, the open root of `pid`).
    /// Best-effort: a mount that cannot be opened or marked is skipped.
    fn mark_submounts(&mut self, pid: u32, root_fd: &OwnedFd, root_mnt: u64, info: &MountInfo) {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")) else {
            return;
        };
        for e in data_mounts(&parse_mountinfo(&text)) {
            if e.mount_id == root_mnt {
                continue;
            }
            let Ok(rel) = CString::new(e.mount_point.trim_start_matches('/')) else {
                continue;
            };
            // SAFETY: open_how is plain data; zeroed is a valid value to fill in.
            let mut how: libc::open_how = unsafe { std::mem::zeroed() };
            how.flags = (libc::O_PATH | libc::O_CLOEXEC) as u64;
            how.resolve = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;
            // SAFETY: valid descriptor, NUL-terminated path, correctly sized open_how.
            let fd = unsafe {
                libc::syscall(
                    libc::SYS_openat2,
                    root_fd.as_raw_fd(),
                    rel.as_ptr(),
                    &how as *const libc::open_how,
                    std::mem::size_of::<libc::open_how>(),
                )
            };
            if fd < 0 {
                continue;
            }
            // SAFETY: a new descriptor returned by openat2, owned here.
            let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
            // fanotify_mark does not take O_PATH descriptors directly; the magic link
            // of the descriptor names exactly the (mount, dentry) it holds.
            let Ok(link) = CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())) else {
                continue;
            };
            // SAFETY: valid descriptor and NUL-terminated path.
            let rc = unsafe {
                libc::fanotify_mark(
                    self.fd.as_raw_fd(),
                    FAN_MARK_ADD | FAN_MARK_MOUNT,
                    FAN_OPEN | FAN_CLOSE_WRITE,
                    libc::AT_FDCWD,
                    link.as_ptr(),
                )
            };
            if rc < 0 {
                continue;
            }
            if let Some(m) =
                std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd()))
                    .ok()
                    .and_then(|t| parse_fdinfo_mnt_id(&t))
            {
                self.mounts.insert(m, info.clone());
            }
        }
    }

    /// Remember the cgroup of a process using mount `mnt`.
    pub fn set_cgroup(&mut self, mnt: u64, cgroup: &str) {
        if let Some(m) = self.mounts.get_mut(&mnt) {
            if !cgroup.is_empty() {
                m.cgroup = cgroup.to_string();
            }
        }
    }

    /// Mark every running process's root (containers started before the monitor).
    /// Returns how many processes had a foreign, marked root.
    pub fn watch_running(&mut self) -> usize {
        let Ok(rd) = std::fs::read_dir("/proc") else {
            return 0;
        };
        let mut n = 0;
        for e in rd.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if let Ok(Some(_)) = self.watch_process(pid) {
                n += 1;
            }
        }
        n
    }

    /// Drain the queue (non-blocking) into `out`. Returns the number of records read;
    /// `Ok(0)` when the queue was empty.
    pub fn read(&mut self, out: &mut Vec<FileEvent>) -> io::Result<usize> {
        let mut buf = std::mem::take(&mut self.buf);
        // Each record read holds a new descriptor: 8 KiB (at most 341 records) stays
        // well inside the usual 1024-descriptor limit.
        buf.resize(8 * 1024, 0);
        let r = self.read_into(&mut buf, out);
        self.buf = buf;
        r
    }

    fn read_into(&mut self, buf: &mut [u8], out: &mut Vec<FileEvent>) -> io::Result<usize> {
        let mut total = 0;
        loop {
            // SAFETY: buf is a valid writable buffer of buf.len() bytes.
            let n = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.raw_os_error() {
                    Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(total),
                    // The kernel could not open the file for the event (descriptor limit,
                    // memory): that event is lost, the next ones are not.
                    Some(libc::EMFILE) | Some(libc::ENFILE) | Some(libc::ENOMEM) => {
                        self.overflows += 1;
                        Ok(total)
                    }
                    _ => Err(e),
                };
            }
            if n == 0 {
                return Ok(total);
            }
            let recs = parse_events(buf.get(..n as usize).unwrap_or(&[]));
            total += recs.len();
            for r in recs {
                self.convert(r, out);
            }
            if total > 10_000 {
                // Let the caller serve the netlink socket too.
                return Ok(total);
            }
        }
    }

    fn convert(&mut self, r: RawEvent, out: &mut Vec<FileEvent>) {
        if r.mask & FAN_Q_OVERFLOW != 0 {
            self.overflows += 1;
        }
        if r.fd < 0 {
            return;
        }
        // SAFETY: the kernel opened this descriptor for us with the event; taking
        // ownership guarantees it is closed on every path below.
        let fd = unsafe { OwnedFd::from_raw_fd(r.fd) };
        if r.pid == self.self_pid || r.pid <= 0 {
            return;
        }
        let raw = fd.as_raw_fd();
        let Ok(path) = std::fs::read_link(format!("/proc/self/fd/{raw}")) else {
            return;
        };
        let path = path.to_string_lossy().into_owned();
        let mnt = std::fs::read_to_string(format!("/proc/self/fdinfo/{raw}"))
            .ok()
            .and_then(|t| parse_fdinfo_mnt_id(&t));
        drop(fd);
        let info = mnt.and_then(|m| self.mounts.get(&m));
        let (path, mount_cgroup) = match info {
            Some(i) => (container_path(&path, &i.root), i.cgroup.clone()),
            None => (path, String::new()),
        };
        let pid = r.pid as u32;
        if r.mask & FAN_OPEN != 0 {
            out.push(FileEvent {
                pid,
                path: path.clone(),
                write: false,
                mount_cgroup: mount_cgroup.clone(),
            });
        }
        if r.mask & (FAN_CLOSE_WRITE | FAN_MODIFY) != 0 {
            out.push(FileEvent {
                pid,
                path,
                write: true,
                mount_cgroup,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(mask: u64, fd: i32, pid: i32, extra: usize) -> Vec<u8> {
        let len = METADATA_LEN + extra;
        let mut b = Vec::with_capacity(len);
        b.extend_from_slice(&(len as u32).to_ne_bytes());
        b.push(FANOTIFY_METADATA_VERSION);
        b.push(0);
        b.extend_from_slice(&(METADATA_LEN as u16).to_ne_bytes());
        b.extend_from_slice(&mask.to_ne_bytes());
        b.extend_from_slice(&fd.to_ne_bytes());
        b.extend_from_slice(&pid.to_ne_bytes());
        b.resize(len, 0);
        b
    }

    #[test]
    fn decode_records() {
        let mut buf = record(FAN_OPEN, 7, 100, 0);
        buf.extend(record(FAN_OPEN | FAN_CLOSE_WRITE, 8, 101, 16));
        buf.extend(record(FAN_Q_OVERFLOW, -1, 0, 0));
        let got = parse_events(&buf);
        assert_eq!(
            got,
            vec![
                RawEvent {
                    mask: FAN_OPEN,
                    fd: 7,
                    pid: 100
                },
                RawEvent {
                    mask: FAN_OPEN | FAN_CLOSE_WRITE,
                    fd: 8,
                    pid: 101
                },
                RawEvent {
                    mask: FAN_Q_OVERFLOW,
                    fd: -1,
                    pid: 0
                },
            ]
        );
        // Other metadata versions are skipped, not misread.
        let mut v2 = record(FAN_OPEN, 9, 1, 0);
        v2[4] = 2;
        assert!(parse_events(&v2).is_empty());
    }

    #[test]
    fn hostile_buffers_do_not_panic() {
        let good = record(FAN_OPEN, 3, 4, 8);
        for cut in 0..good.len() {
            assert!(parse_events(&good[..cut]).is_empty());
        }
        let mut zero = good.clone();
        zero[0..4].copy_from_slice(&0u32.to_ne_bytes());
        assert!(
            parse_events(&zero).is_empty(),
            "a zero length must not loop"
        );
        let mut huge = good;
        huge[0..4].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert!(parse_events(&huge).is_empty());
        let seeds = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/corpus/fanotify_events"
        );
        let mut n = 0;
        if let Ok(rd) = std::fs::read_dir(seeds) {
            for f in rd.flatten() {
                let _ = parse_events(&std::fs::read(f.path()).unwrap());
                n += 1;
            }
        }
        assert!(n > 0, "fuzz seeds missing at {seeds}");
    }

    #[test]
    fn fdinfo_and_paths() {
        let fdinfo = "pos:\t0\nflags:\t0100000\nmnt_id:\t65\nino:\t1234\n";
        assert_eq!(parse_fdinfo_mnt_id(fdinfo), Some(65));
        assert_eq!(parse_fdinfo_mnt_id("pos: 0\n"), None);
        assert_eq!(parse_fdinfo_mnt_id("mnt_id: x\n"), None);
        let cases = [
            ("/etc/shadow", "/", "/etc/shadow"),
            ("/srv/jail/etc/shadow", "/srv/jail", "/etc/shadow"),
            ("/srv/jail/etc/shadow", "/srv/jail/", "/etc/shadow"),
            ("/srv/jail", "/srv/jail", "/"),
            ("/srv/jailbreak/x", "/srv/jail", "/srv/jailbreak/x"),
            ("/etc/x", "", "/etc/x"),
        ];
        for (path, root, want) in cases {
            assert_eq!(container_path(path, root), want, "{path} {root}");
        }
    }

    #[test]
    fn mountinfo_lines_and_data_mounts() {
        let text = "\
2187 2101 254:0 /tmp/b/rootfs / rw,relatime - ext4 /dev/vda rw
2188 2187 0:60 / /proc rw,nosuid - proc proc rw
2189 2187 0:61 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k
2190 2189 0:62 / /dev/pts rw - devpts devpts rw
2191 2187 0:63 / /sys ro - sysfs sysfs ro
2192 2187 0:70 / /run/secrets/kubernetes.io/serviceaccount ro,relatime shared:5 master:1 - tmpfs tmpfs rw
2193 2187 254:0 /var/lib/x/hosts /etc/hosts rw - ext4 /dev/vda rw
2194 2187 254:0 /data /my\\040data rw - ext4 /dev/vda rw
2195 2187 0:64 / /sys/fs/cgroup ro - cgroup2 cgroup rw
garbage line
2196 2187 0:71 / /tmp rw - tmpfs tmpfs rw
";
        let all = parse_mountinfo(text);
        assert_eq!(all.len(), 10);
        assert_eq!(
            all[5],
            MountEntry {
                mount_id: 2192,
                mount_point: "/run/secrets/kubernetes.io/serviceaccount".into(),
                fs_type: "tmpfs".into()
            }
        );
        assert_eq!(all[7].mount_point, "/my data");
        let data: Vec<&str> = data_mounts(&all)
            .iter()
            .map(|e| e.mount_point.as_str())
            .collect();
        assert_eq!(
            data,
            [
                "/run/secrets/kubernetes.io/serviceaccount",
                "/etc/hosts",
                "/my data",
                "/tmp"
            ]
        );
        assert_eq!(unescape_octal("a\\134b\\011c\\9"), "a\\b\tc\\9");
        assert_eq!(unescape_octal("end\\04"), "end\\04");
        assert!(parse_mountinfo("1 2 3 4").is_empty());
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/mountinfo");
        let mut n = 0;
        for f in std::fs::read_dir(seeds).into_iter().flatten().flatten() {
            let raw = std::fs::read(f.path()).unwrap();
            let _ = data_mounts(&parse_mountinfo(&String::from_utf8_lossy(&raw)));
            n += 1;
        }
        assert!(n > 0, "fuzz seeds missing at {seeds}");
    }

    #[test]
    fn overflow_counted_and_own_events_ignored() {
        let Ok(mut f) = Fanotify::init() else {
            eprintln!("SKIP: fanotify_init not permitted here");
            return;
        };
        let mut out = Vec::new();
        f.convert(
            RawEvent {
                mask: FAN_Q_OVERFLOW,
                fd: -1,
                pid: 0,
            },
            &mut out,
        );
        assert_eq!(f.overflows, 1);
        // An event of our own pid: descriptor closed, nothing emitted.
        // Moved to a high number so a parallel test cannot reuse it before the check.
        let file = std::fs::File::open("/proc/self/status").unwrap();
        // SAFETY: F_DUPFD_CLOEXEC on a valid descriptor returns a new one we own.
        let raw = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 900) };
        assert!(raw >= 900);
        drop(file);
        f.convert(
            RawEvent {
                mask: FAN_OPEN,
                fd: raw,
                pid: std::process::id() as i32,
            },
            &mut out,
        );
        assert!(out.is_empty());
        // SAFETY: fcntl F_GETFD on a number we no longer own only queries it.
        let rc = unsafe { libc::fcntl(raw, libc::F_GETFD) };
        assert_eq!(rc, -1, "descriptor of an ignored event was not closed");
        // Our own root is not a container root.
        assert_eq!(f.watch_process(std::process::id()).unwrap(), None);
    }
}
