//! eBPF source: raw-tracepoint programs (`src/bpf/monitor.bpf.c`) loaded with libbpf,
//! events read from two ring buffers (`hi`: exec/credentials/network/ptrace/mount/
//! modules; `opens`: file opens). Kernel-side filters keep opens to what rules look at:
//! writes anywhere; read-only opens only below the path prefixes the loaded rules
//! name ([`crate::rules::open_filter`], loaded into an LPM trie, changeable at run
//! time through [`FilterHandle`]); by default only in containers (outside the host pid
//! namespace). Opens decided against in the kernel are counted (`filtered`).
//!
//! Exec records carry argv, parent name, executable times and stdio-socket state from
//! the kernel, so an exec costs no `/proc` reads. User space adds the cgroup path for
//! the cgroup id (cgroup v2 ids are directory inode numbers; one lookup per new id),
//! and for later events of a process its executable and argv (cached per pid).
//! `/proc` is read only when the kernel record lacks something (an exec through a file
//! descriptor or a relative path, a process seen for the first time).

use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, RingBufferBuilder};

use super::procfs::ProcFs;
use super::{SourceCtl, SourceError, SourceMsg};
use crate::event::{now_ns, Event, EventType};
use crate::rules::open_filter::OpenFilter;

#[allow(
    clippy::all,
    clippy::pedantic,
    non_camel_case_types,
    dead_code,
    unused_imports
)]
mod skel {
    include!(concat!(env!("OUT_DIR"), "/monitor.skel.rs"));
}

/// Size of `struct event` in monitor.bpf.c.
pub const EVENT_SIZE: usize = 632;

/// Exec `flags` bits (monitor.bpf.c `EXEC_*`).
const EXEC_STDIO_SOCKET: u32 = 1;
const EXEC_TIME_VALID: u32 = 2;

/// A decoded kernel record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    pub kind: u32,
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub ts_ns: u64,
    pub cgroup_id: u64,
    pub ret: i64,
    pub prev_uid: u32,
    pub flags: u32,
    pub family: u32,
    pub dport: u16,
    pub daddr: [u8; 16],
    pub cap_gained: bool,
    pub comm: String,
    pub path: String,
    pub args: Vec<String>,
    /// The parent's comm.
    pub pcomm: String,
    /// Exec: max(ctime, mtime) of the executable (valid when `flags` has EXEC_TIME_VALID).
    pub exe_time_ns: u64,
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(o..o + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(o..o + 8)?.try_into().ok()?))
}
fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(o..o + 2)?.try_into().ok()?))
}

/// Decode one ring-buffer record; `None` if it is too short.
pub fn parse_raw(b: &[u8]) -> Option<RawEvent> {
    if b.len() < EVENT_SIZE {
        return None;
    }
    let args_len = (u16_at(b, 54)? as usize).min(256);
    let args_raw = b.get(352..352 + args_len)?;
    Some(RawEvent {
        kind: u32_at(b, 0)?,
        pid: u32_at(b, 4)?,
        ppid: u32_at(b, 8)?,
        uid: u32_at(b, 12)?,
        ts_ns: u64_at(b, 16)?,
        cgroup_id: u64_at(b, 24)?,
        ret: u64_at(b, 32)? as i64,
        prev_uid: u32_at(b, 40)?,
        flags: u32_at(b, 44)?,
        family: u32_at(b, 48)?,
        dport: u16_at(b, 52)?,
        daddr: b.get(56..72)?.try_into().ok()?,
        cap_gained: *b.get(72)? != 0,
        comm: cstr(b.get(80..96)?),
        path: cstr(b.get(96..352)?),
        args: super::procfs::parse_cmdline(args_raw),
        pcomm: cstr(b.get(608..624)?),
        exe_time_ns: u64_at(b, 624)?,
    })
}

fn kind_of(k: u32) -> Option<EventType> {
    Some(match k {
        1 => EventType::Exec,
        2 => EventType::Fork,
        3 => EventType::Exit,
        4 => EventType::Open,
        5 => EventType::Connect,
        6 => EventType::Accept,
        7 => EventType::Setuid,
        8 => EventType::Setgid,
        9 => EventType::Capset,
        10 => EventType::Ptrace,
        11 => EventType::Mount,
        12 => EventType::MemfdCreate,
        13 => EventType::InitModule,
        _ => return None,
    })
}

/// cgroup v2 id -> path. A new id is resolved from the `/proc/<pid>/cgroup` of the
/// process that reported it (one read per new cgroup, checked against the id), or by
/// walking the cgroup2 mount when that process is already gone (ids are directory
/// inode numbers).
struct CgroupIds {
    root: Option<PathBuf>,
    map: HashMap<u64, String>,
    last_walk: Option<Instant>,
}

fn cgroup2_mount() -> Option<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    text.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        post.starts_with("cgroup2 ")
            .then(|| pre.split_whitespace().nth(4).map(PathBuf::from))
            .flatten()
    })
}

/// The cgroup v2 path (`0::/path` line) of a `/proc/<pid>/cgroup` text.
fn v2_path(proc_cgroup: &str) -> Option<&str> {
    proc_cgroup
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(str::trim_end)
}

impl CgroupIds {
    fn new() -> CgroupIds {
        CgroupIds {
            root: cgroup2_mount(),
            map: HashMap::new(),
            last_walk: None,
        }
    }

    fn insert(&mut self, id: u64, path: String) {
        // Entries are kept while the map is small: events and --learn results of
        // containers that have exited (their cgroup removed) still resolve.
        if self.map.len() > 100_000 {
            self.map.clear();
        }
        self.map.insert(id, path);
    }

    fn walk(&mut self) {
        let Some(root) = self.root.clone() else {
            return;
        };
        self.last_walk = Some(Instant::now());
        let mut stack = vec![(root.clone(), 0u32)];
        let mut found = 0usize;
        while let Some((dir, depth)) = stack.pop() {
            if let Ok(m) = std::fs::metadata(&dir) {
                let rel = dir
                    .strip_prefix(&root)
                    .map(|p| format!("/{}", p.display()))
                    .unwrap_or_default();
                self.insert(m.ino(), rel);
                found += 1;
            }
            if depth >= 8 {
                continue;
            }
            if let Ok(rd) = std::fs::read_dir(&dir) {
                for e in rd.flatten() {
                    if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                        stack.push((e.path(), depth + 1));
                    }
                }
            }
            if found > 200_000 {
                break;
            }
        }
    }

    /// Resolve from the process's own cgroup file; the path is checked against the id
    /// (the process may have moved cgroups since the event).
    fn resolve_via_proc(&mut self, id: u64, pid: u32) -> Option<String> {
        let root = self.root.clone()?;
        let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        let path = v2_path(&text)?.to_string();
        let dir = root.join(path.trim_start_matches('/'));
        let ino = std::fs::metadata(dir).ok()?.ino();
        self.insert(ino, path.clone());
        (ino == id).then_some(path)
    }

    /// Path of cgroup `id`, reported by process `pid` (0: unknown).
    fn path(&mut self, id: u64, pid: u32) -> Option<String> {
        if let Some(p) = self.map.get(&id) {
            return Some(p.clone());
        }
        if pid != 0 {
            if let Some(p) = self.resolve_via_proc(id, pid) {
                return Some(p);
            }
        }
        // The process is gone or moved: walk the tree, at most every 20 ms.
        if self
            .last_walk
            .is_none_or(|t| t.elapsed() > Duration::from_millis(20))
        {
            self.walk();
        }
        self.map.get(&id).cloned()
    }
}

#[derive(Clone, Default)]
struct ProcCache {
    exe: String,
    args: Vec<String>,
    comm: String,
}

/// Turns kernel records into events.
struct Enricher {
    procfs: ProcFs,
    cgroups: CgroupIds,
    /// Image of each known process; shared (a fork's child points at its parent's
    /// entry until it execs).
    procs: HashMap<u32, Rc<ProcCache>>,
    /// wall clock minus CLOCK_MONOTONIC, to convert bpf_ktime_get_ns.
    clock_offset: u64,
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Is the exec record's file name the executable's path? Not for execs through a file
/// descriptor (`fexecve`, memfd: the kernel names them `/dev/fd/N`) or a relative path;
/// there `/proc/<pid>/exe` says more (`/memfd:x (deleted)`).
fn usable_exec_path(p: &str) -> bool {
    p.starts_with('/') && !p.starts_with("/dev/fd/") && !p.starts_with("/proc/")
}

impl Enricher {
    fn new() -> Enricher {
        Enricher {
            procfs: ProcFs::default(),
            cgroups: CgroupIds::new(),
            procs: HashMap::new(),
            clock_offset: now_ns().saturating_sub(monotonic_ns()),
        }
    }

    fn event(&mut self, r: RawEvent) -> Option<Event> {
        let kind = kind_of(r.kind)?;
        let mut ev = Event::new(kind, r.pid);
        ev.ts_ns = r.ts_ns + self.clock_offset;
        ev.ppid = r.ppid;
        ev.uid = r.uid;
        ev.comm = r.comm.clone();
        ev.cgroup = match self.cgroups.path(r.cgroup_id, r.pid) {
            Some(p) => format!("0::{p}\n"),
            // Unresolved id (v1-only host, or the id did not match the path's inode): the
            // process's own file. Its unified path is remembered for the id, so later
            // events and --learn (which resolves ids when it stops, after short-lived
            // containers have gone) name the same cgroup.
            None => {
                let text =
                    std::fs::read_to_string(format!("/proc/{}/cgroup", r.pid)).unwrap_or_default();
                if let Some(p) = v2_path(&text).filter(|p| !p.is_empty() && *p != "/") {
                    self.cgroups.insert(r.cgroup_id, p.to_string());
                }
                text
            }
        };
        match kind {
            EventType::Exec => {
                let time_valid = r.flags & EXEC_TIME_VALID != 0;
                if usable_exec_path(&r.path) && time_valid {
                    ev.exe = r.path.clone();
                    ev.exe_ctime_ns = r.exe_time_ns;
                    ev.stdio_socket = r.flags & EXEC_STDIO_SOCKET != 0;
                } else {
                    let info = self.procfs.read_exec_extras(r.pid);
                    ev.exe = if info.exe.is_empty() {
                        r.path.clone()
                    } else {
                        info.exe
                    };
                    ev.exe_ctime_ns = if time_valid {
                        r.exe_time_ns
                    } else {
                        info.exe_ctime_ns
                    };
                    ev.stdio_socket = info.stdio_socket || r.flags & EXEC_STDIO_SOCKET != 0;
                }
                ev.args = if r.args.is_empty() {
                    self.procfs.read(r.pid).args
                } else {
                    r.args.clone()
                };
                if self.procs.len() < 200_000 {
                    self.procs.insert(
                        r.pid,
                        Rc::new(ProcCache {
                            exe: ev.exe.clone(),
                            args: ev.args.clone(),
                            comm: ev.comm.clone(),
                        }),
                    );
                }
            }
            EventType::Fork => {
                // ppid is the parent (current); the child inherits its image.
                if let Some(p) = self.procs.get(&r.ppid).cloned() {
                    self.procs.insert(r.pid, p);
                }
            }
            EventType::Open => {
                ev.path = r.path.clone();
                ev.write = r.flags & (0o1 | 0o2 | 0o100 | 0o1000) != 0;
            }
            EventType::Connect | EventType::Accept => {
                ev.dport = Some(r.dport);
                ev.daddr = Some(match r.family {
                    2 => Ipv4Addr::new(r.daddr[0], r.daddr[1], r.daddr[2], r.daddr[3]).to_string(),
                    _ => Ipv6Addr::from(r.daddr).to_string(),
                });
            }
            EventType::Setuid => ev.prev_uid = Some(r.prev_uid),
            EventType::Capset => ev.cap_gained = r.cap_gained,
            EventType::Ptrace => ev.request = Some(r.flags),
            EventType::Mount | EventType::MemfdCreate => ev.path = r.path.clone(),
            _ => {}
        }
        if kind != EventType::Exec {
            let cached = self.procs.get(&r.pid).cloned();
            let c = match cached {
                Some(c) => c,
                None => {
                    let i = self.procfs.read(r.pid);
                    let c = Rc::new(ProcCache {
                        exe: i.exe,
                        args: i.args,
                        comm: i.comm,
                    });
                    if kind != EventType::Exit && self.procs.len() < 200_000 {
                        self.procs.insert(r.pid, c.clone());
                    }
                    c
                }
            };
            ev.exe.clone_from(&c.exe);
            ev.args.clone_from(&c.args);
        }
        ev.pcomm = if r.pcomm.is_empty() {
            self.procs
                .get(&ev.ppid)
                .map(|p| p.comm.clone())
                .or_else(|| self.procfs.comm(ev.ppid))
                .unwrap_or_default()
        } else {
            r.pcomm
        };
        if kind == EventType::Exit {
            self.procs.remove(&r.pid);
        }
        Some(ev)
    }
}

fn bpf_err(step: &'static str, e: libbpf_rs::Error) -> SourceError {
    SourceError::Bpf {
        step,
        message: e.to_string(),
    }
}

/// The monitor runs in the host pid namespace (as a host daemon or a `hostPID` pod), so
/// its own namespace is the host's (`/proc/1` may be unreadable in sandboxes).
fn host_pidns() -> u32 {
    std::fs::metadata("/proc/self/ns/pid")
        .map(|m| m.ino() as u32)
        .unwrap_or(0)
}

/// The read-only-open filter the kernel applies. Cloned handles share one slot: set a
/// new filter (after a rule reload) and the running source loads it into the kernel
/// within one poll interval.
#[derive(Clone, Debug, Default)]
pub struct FilterHandle(Arc<Mutex<FilterSlot>>);

#[derive(Debug, Default)]
struct FilterSlot {
    /// `None` until set: every open is reported.
    filter: Option<OpenFilter>,
    generation: u64,
}

impl FilterHandle {
    pub fn new(filter: OpenFilter) -> FilterHandle {
        let h = FilterHandle::default();
        h.set(filter);
        h
    }

    /// Replace the filter (takes effect in the kernel at the source's next poll).
    pub fn set(&self, filter: OpenFilter) {
        if let Ok(mut s) = self.0.lock() {
            s.filter = Some(filter);
            s.generation += 1;
        }
    }

    fn get(&self) -> (u64, OpenFilter) {
        self.0
            .lock()
            .map(|s| (s.generation, s.filter.clone().unwrap_or(OpenFilter::All)))
            .unwrap_or((0, OpenFilter::All))
    }

    fn generation(&self) -> u64 {
        self.0.lock().map(|s| s.generation).unwrap_or(0)
    }
}

/// Options for the eBPF source.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Report opens of host processes too (default: containers only).
    pub host_opens: bool,
    /// `--learn`: record syscalls per container cgroup; at stop, the result
    /// (cgroup path as `0::/path`, syscall numbers) is stored here.
    pub learn: Option<Learned>,
    /// Which read-only opens reach user space (default: all). Use
    /// `FilterHandle::new(engine.open_filter())`.
    pub open_filter: FilterHandle,
}

/// `--learn` result: (cgroup as `0::/path`, syscall numbers) per container cgroup.
pub type Learned = Arc<Mutex<Vec<(String, Vec<u32>)>>>;

/// Bytes of a path the kernel compares (`PFX_LEN - 1` in monitor.bpf.c).
const PFX_BYTES: usize = 63;

/// LPM-trie key for a prefix: bit length, then the bytes (zero-padded).
fn prefix_key(p: &str) -> Vec<u8> {
    let bytes = p.as_bytes();
    let n = bytes.len().min(PFX_BYTES);
    let mut k = vec![0u8; 4 + PFX_BYTES + 1];
    k[..4].copy_from_slice(&((n as u32) * 8).to_ne_bytes());
    k[4..4 + n].copy_from_slice(&bytes[..n]);
    k
}

/// The trie keys for a filter: `All` is the zero-length prefix, which every path has.
fn filter_keys(f: &OpenFilter) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = match f {
        OpenFilter::All => vec![prefix_key("")],
        OpenFilter::Prefixes(p) => p.iter().map(|p| prefix_key(p)).collect(),
    };
    keys.sort();
    keys.dedup();
    // The trie holds at most 1024 entries (max_entries in monitor.bpf.c).
    if keys.len() > 1024 {
        keys = vec![prefix_key("")];
    }
    keys
}

/// Load `f` into the trie: new keys first, then stale ones removed, so no open that
/// both filters want is missed in between.
fn apply_filter(map: &dyn MapCore, f: &OpenFilter) -> Result<(), SourceError> {
    let keys = filter_keys(f);
    for k in &keys {
        map.update(k, &[1u8], MapFlags::ANY)
            .map_err(|e| bpf_err("open prefix filter", e))?;
    }
    let stale: Vec<Vec<u8>> = map.keys().filter(|k| !keys.contains(k)).collect();
    for k in stale {
        let _ = map.delete(&k);
    }
    Ok(())
}

fn load<'obj>(
    storage: &'obj mut MaybeUninit<libbpf_rs::OpenObject>,
    opts: &Options,
) -> Result<skel::MonitorSkel<'obj>, SourceError> {
    let builder = skel::MonitorSkelBuilder::default();
    let mut open = builder.open(storage).map_err(|e| bpf_err("open", e))?;
    if let Some(ro) = open.maps.rodata_data.as_deref_mut() {
        ro.host_pidns = host_pidns();
        ro.opens_containers_only = u32::from(!opts.host_opens);
        ro.self_tgid = std::process::id();
        ro.learn = u32::from(opts.learn.is_some());
    }
    let sk = open.load().map_err(|e| bpf_err("load", e))?;
    for &(what, nr) in crate::syscalls::watched() {
        sk.maps
            .sysmap
            .update(
                &nr.to_ne_bytes(),
                &(what as u32).to_ne_bytes(),
                MapFlags::ANY,
            )
            .map_err(|e| bpf_err("syscall table", e))?;
    }
    apply_filter(&sk.maps.open_prefixes, &opts.open_filter.get().1)?;
    let mut sk = sk;
    sk.attach().map_err(|e| bpf_err("attach", e))?;
    Ok(sk)
}

/// Check that the programs load and attach (for automatic source choice).
pub fn available() -> Result<(), SourceError> {
    let mut storage = MaybeUninit::uninit();
    load(&mut storage, &Options::default()).map(|_| ())
}

/// Sum of a per-CPU u64 array map, slot by slot.
fn read_percpu<const N: usize>(map: &dyn MapCore) -> [u64; N] {
    let mut out = [0u64; N];
    for (i, slot) in out.iter_mut().enumerate() {
        let key = (i as u32).to_ne_bytes();
        if let Ok(Some(per_cpu)) = map.lookup_percpu(&key, MapFlags::ANY) {
            *slot = per_cpu
                .iter()
                .filter_map(|v| {
                    v.get(..8)
                        .and_then(|b| b.try_into().ok())
                        .map(u64::from_ne_bytes)
                })
                .sum();
        }
    }
    out
}

/// How long the reader sleeps between ring-buffer reads when the kernel has not woken
/// it (it wakes the reader early once 64 KiB are waiting): bounds alert latency, and
/// turns one wakeup per event into one per batch.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// At most this many `opens` records per read: under an open flood the `hi` ring is
/// still read (and its events handed on) every round.
const OPENS_BUDGET: usize = 8192;

/// Wait until either ring's epoll fd is readable or `timeout` passes.
fn wait_readable(fds: [i32; 2], timeout: Duration) {
    let mut p = [
        libc::pollfd {
            fd: fds[0],
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: fds[1],
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: `p` is a valid array of two pollfd for the duration of the call.
    unsafe { libc::poll(p.as_mut_ptr(), 2, timeout.as_millis() as libc::c_int) };
}

fn ring_err(step: &'static str, rc: i32) -> Option<SourceError> {
    (rc < 0 && rc != -libc::EINTR).then(|| SourceError::Bpf {
        step,
        message: std::io::Error::from_raw_os_error(-rc).to_string(),
    })
}

/// Run until the stop flag is set.
pub fn run(tx: SyncSender<SourceMsg>, ctl: SourceCtl, opts: Options) -> Result<(), SourceError> {
    let mut storage = MaybeUninit::uninit();
    let mut filter_gen = opts.open_filter.generation();
    let sk = load(&mut storage, &opts)?;
    ctl.stats.declare("ebpf-hi");
    ctl.stats.declare("ebpf-opens");
    ctl.stats.declare("ebpf-queue");
    // One reader per ring, so `hi` is always read first and in full, and `opens` in
    // bounded rounds. Callbacks only copy bytes; enrichment runs after each read.
    type Pending = Arc<Mutex<Vec<RawEvent>>>;
    let hi_raw: Pending = Arc::default();
    let opens_raw: Pending = Arc::default();
    let ring = |map: &dyn MapCore, sink: &Pending, step: &'static str| {
        let sink = sink.clone();
        let mut b = RingBufferBuilder::new();
        b.add(map, move |d: &[u8]| {
            if let Ok(mut v) = sink.lock() {
                // Decoded in place: no copy of the 632-byte record.
                if let Some(r) = parse_raw(d) {
                    v.push(r);
                }
            }
            0
        })
        .map_err(|e| bpf_err(step, e))?;
        b.build().map_err(|e| bpf_err(step, e))
    };
    let rb_hi = ring(&sk.maps.hi, &hi_raw, "ring buffer hi")?;
    let rb_opens = ring(&sk.maps.opens, &opens_raw, "ring buffer opens")?;
    ctl.set_ready();
    let mut enricher = Enricher::new();
    let mut last_counters = Instant::now();
    let mut seen = [0u64; 2];
    let mut events = Vec::new();
    let publish = |seen: &mut [u64; 2]| {
        let d = read_percpu::<2>(&sk.maps.drops);
        ctl.stats.drop_n("ebpf-hi", d[0].saturating_sub(seen[0]));
        ctl.stats.drop_n("ebpf-opens", d[1].saturating_sub(seen[1]));
        *seen = d;
        let f = read_percpu::<2>(&sk.maps.filtered);
        ctl.stats.set_filtered("open", "path", f[0]);
        ctl.stats.set_filtered("open", "host", f[1]);
    };
    let mut backlog = false;
    while !ctl.stopped() {
        if !backlog {
            wait_readable([rb_hi.epoll_fd(), rb_opens.epoll_fd()], POLL_INTERVAL);
        }
        // Records submitted without a wakeup are read here too.
        if let Some(e) = ring_err("consume hi", rb_hi.consume_raw()) {
            return Err(e);
        }
        let n = rb_opens.consume_raw_n(OPENS_BUDGET);
        if let Some(e) = ring_err("consume opens", n) {
            return Err(e);
        }
        backlog = n >= 0 && n as usize >= OPENS_BUDGET;
        let hi = hi_raw
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        let opens = opens_raw
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        // Enrich the whole batch first, then hand it over in one burst: the pipeline
        // thread wakes once per batch instead of once per event.
        events.extend(hi.into_iter().filter_map(|r| enricher.event(r)));
        let n_hi = events.len();
        events.extend(opens.into_iter().filter_map(|r| enricher.event(r)));
        for (i, ev) in events.drain(..).enumerate() {
            ctl.stats.events.fetch_add(1, Ordering::Relaxed);
            let mut msg = SourceMsg::Event(Box::new(ev));
            loop {
                match tx.try_send(msg) {
                    Ok(()) => break,
                    Err(TrySendError::Disconnected(_)) => return Ok(()),
                    // High-value events wait for room (the pipeline is far faster than
                    // they arrive; the kernel ring holds new ones meanwhile); opens
                    // are dropped and counted.
                    Err(TrySendError::Full(m)) if i < n_hi && !ctl.stopped() => {
                        msg = m;
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    Err(TrySendError::Full(_)) => {
                        ctl.stats.drop_n("ebpf-queue", 1);
                        break;
                    }
                }
            }
        }
        let g = opts.open_filter.generation();
        if g != filter_gen {
            let (g, f) = opts.open_filter.get();
            filter_gen = g;
            apply_filter(&sk.maps.open_prefixes, &f)?;
        }
        if last_counters.elapsed() > Duration::from_millis(500) {
            last_counters = Instant::now();
            publish(&mut seen);
        }
    }
    publish(&mut seen);
    if let Some(out) = &opts.learn {
        let mut result = Vec::new();
        for key in sk.maps.learned.keys() {
            let Ok(Some(val)) = sk.maps.learned.lookup(&key, MapFlags::ANY) else {
                continue;
            };
            let Some(id) = key
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_ne_bytes)
            else {
                continue;
            };
            let words: Vec<u64> = val
                .chunks_exact(8)
                .filter_map(|c| c.try_into().ok().map(u64::from_ne_bytes))
                .collect();
            let path = enricher.cgroups.path(id, 0).unwrap_or_default();
            result.push((
                format!("0::{path}\n"),
                crate::seccomp::bitmap_numbers(&words),
            ));
        }
        if let Ok(mut o) = out.lock() {
            *o = result;
        }
    }
    Ok(())
}

/// Where the BPF object's source lives (for docs/diagnostics).
pub fn program_source() -> &'static Path {
    Path::new("crates/hull-runtime/src/bpf/monitor.bpf.c")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u32, f: impl FnOnce(&mut [u8])) -> Vec<u8> {
        let mut b = vec![0u8; EVENT_SIZE];
        b[0..4].copy_from_slice(&kind.to_ne_bytes());
        b[4..8].copy_from_slice(&42u32.to_ne_bytes());
        f(&mut b);
        b
    }

    #[test]
    fn decode_records() {
        let r = parse_raw(&record(4, |b| {
            b[44..48].copy_from_slice(&0o101u32.to_ne_bytes());
            b[96..104].copy_from_slice(b"/etc/x\0\0");
            b[80..83].copy_from_slice(b"sh\0");
        }))
        .unwrap();
        assert_eq!(
            (r.kind, r.pid, r.path.as_str(), r.comm.as_str()),
            (4, 42, "/etc/x", "sh")
        );
        let r = parse_raw(&record(1, |b| {
            b[54..56].copy_from_slice(&9u16.to_ne_bytes());
            b[352..361].copy_from_slice(b"sh\0-c\0id\0");
        }))
        .unwrap();
        assert_eq!(r.args, vec!["sh", "-c", "id"]);
        // args_len larger than the field is clamped, short records rejected.
        assert!(
            parse_raw(&record(1, |b| b[54..56].copy_from_slice(&u16::MAX.to_ne_bytes()))).is_some()
        );
        assert!(parse_raw(&[0u8; 100]).is_none());
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/ebpf_event");
        if let Ok(rd) = std::fs::read_dir(seeds) {
            for f in rd.flatten() {
                let _ = parse_raw(&std::fs::read(f.path()).unwrap());
            }
        }
    }

    #[test]
    fn enrich_connect_and_open() {
        let mut en = Enricher::new();
        let r = parse_raw(&record(5, |b| {
            b[48..52].copy_from_slice(&2u32.to_ne_bytes());
            b[52..54].copy_from_slice(&3333u16.to_ne_bytes());
            b[56..60].copy_from_slice(&[127, 0, 0, 1]);
        }))
        .unwrap();
        let ev = en.event(r).unwrap();
        assert_eq!(ev.kind, Some(EventType::Connect));
        assert_eq!(
            (ev.daddr.as_deref(), ev.dport),
            (Some("127.0.0.1"), Some(3333))
        );
        let r = parse_raw(&record(4, |b| {
            b[44..48].copy_from_slice(&0u32.to_ne_bytes());
            b[96..107].copy_from_slice(b"/etc/shadow");
        }))
        .unwrap();
        let ev = en.event(r).unwrap();
        assert!(!ev.write);
        assert_eq!(ev.path, "/etc/shadow");
        assert!(en.event(parse_raw(&record(99, |_| {})).unwrap()).is_none());
    }

    #[test]
    fn exec_enriched_from_the_record_alone() {
        let mut en = Enricher::new();
        // A pid that cannot exist: any /proc read would come back empty.
        let pid = u32::MAX - 7;
        let mut raw = record(1, |b| {
            b[44..48].copy_from_slice(&(EXEC_TIME_VALID | EXEC_STDIO_SOCKET).to_ne_bytes());
            b[54..56].copy_from_slice(&9u16.to_ne_bytes());
            b[80..83].copy_from_slice(b"sh\0");
            b[96..106].copy_from_slice(b"/bin/busy\0");
            b[352..361].copy_from_slice(b"sh\0-c\0id\0");
            b[608..613].copy_from_slice(b"bash\0");
            b[624..632].copy_from_slice(&1_700_000_000_000_000_000u64.to_ne_bytes());
        });
        raw[4..8].copy_from_slice(&pid.to_ne_bytes());
        let r = parse_raw(&raw).unwrap();
        assert_eq!(
            (r.pcomm.as_str(), r.exe_time_ns),
            ("bash", 1_700_000_000_000_000_000)
        );
        let ev = en.event(r).unwrap();
        assert_eq!(ev.exe, "/bin/busy");
        assert_eq!(ev.args, vec!["sh", "-c", "id"]);
        assert_eq!(ev.pcomm, "bash");
        assert_eq!(ev.exe_ctime_ns, 1_700_000_000_000_000_000);
        assert!(ev.stdio_socket);
        // Later events of the process reuse the exec's image.
        let mut raw = record(4, |b| b[96..103].copy_from_slice(b"/etc/x\0"));
        raw[4..8].copy_from_slice(&pid.to_ne_bytes());
        let ev = en.event(parse_raw(&raw).unwrap()).unwrap();
        assert_eq!((ev.exe.as_str(), ev.args.len()), ("/bin/busy", 3));
        // fd-based execs keep the kernel name when /proc has nothing better.
        let mut raw = record(1, |b| b[96..106].copy_from_slice(b"/dev/fd/3\0"));
        raw[4..8].copy_from_slice(&pid.to_ne_bytes());
        let ev = en.event(parse_raw(&raw).unwrap()).unwrap();
        assert_eq!(ev.exe, "/dev/fd/3");
        assert_eq!(ev.exe_ctime_ns, 0);
    }

    #[test]
    fn exec_path_usable() {
        for (p, ok) in [
            ("/usr/bin/id", true),
            ("/dev/fd/3", false),
            ("/proc/self/fd/3", false),
            ("./run.sh", false),
            ("", false),
        ] {
            assert_eq!(usable_exec_path(p), ok, "{p}");
        }
    }

    #[test]
    fn trie_keys() {
        let k = prefix_key("/etc/shadow");
        assert_eq!(k.len(), 68);
        assert_eq!(u32::from_ne_bytes(k[..4].try_into().unwrap()), 11 * 8);
        assert_eq!(&k[4..15], b"/etc/shadow");
        assert!(k[15..].iter().all(|&b| b == 0));
        // Long prefixes are cut to what the kernel compares (a superset: still safe).
        let long = "/x".repeat(100);
        let k = prefix_key(&long);
        assert_eq!(u32::from_ne_bytes(k[..4].try_into().unwrap()), 63 * 8);
        assert_eq!(filter_keys(&OpenFilter::All), vec![prefix_key("")]);
        let many = OpenFilter::Prefixes((0..2000).map(|i| format!("/p{i}")).collect());
        assert_eq!(filter_keys(&many), vec![prefix_key("")]);
        let two = OpenFilter::Prefixes(vec!["/b".into(), "/a".into(), "/a".into()]);
        assert_eq!(filter_keys(&two).len(), 2);
    }

    #[test]
    fn filter_handle_generations() {
        let h = FilterHandle::default();
        assert_eq!(h.get(), (0, OpenFilter::All));
        let other = h.clone();
        other.set(OpenFilter::Prefixes(vec!["/etc/shadow".into()]));
        assert_eq!(h.generation(), 1);
        assert_eq!(h.get().1, OpenFilter::Prefixes(vec!["/etc/shadow".into()]));
    }

    #[test]
    fn proc_cgroup_v2_line() {
        assert_eq!(v2_path("12:memory:/x\n0::/a/b\n"), Some("/a/b"));
        assert_eq!(v2_path("1:cpu:/x\n"), None);
    }
}
