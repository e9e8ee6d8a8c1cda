//! Fallback source: the netlink process connector (`NETLINK_CONNECTOR`, `CN_IDX_PROC`),
//! which works wherever BPF cannot load. The kernel multicasts one `proc_event` per
//! fork, exec, uid/gid change, ptrace and exit; names, arguments, cgroups and stdio
//! are then read from `/proc`. File opens come from [`super::fanotify`] marks on
//! container root mounts (when fanotify is permitted); connects are not seen (use eBPF).
//!
//! Wire format (include/uapi/linux/connector.h, cn_proc.h): `nlmsghdr` (16 bytes) +
//! `cn_msg` (idx, val, seq, ack: u32; len, flags: u16 — 20 bytes) + `proc_event`
//! (what: u32, cpu: u32, timestamp_ns: u64, then a per-kind union). Host byte order.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{SyncSender, TrySendError};

use super::fanotify::{Fanotify, FileEvent};
use super::procfs::ProcFs;
use super::{SourceCtl, SourceError, SourceMsg};
use crate::event::{now_ns, Event, EventType};

const NLMSG_HDR: usize = 16;
const CN_MSG: usize = 20;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const NLMSG_DONE: u16 = 3;

const PROC_EVENT_FORK: u32 = 0x0000_0001;
const PROC_EVENT_EXEC: u32 = 0x0000_0002;
const PROC_EVENT_UID: u32 = 0x0000_0004;
const PROC_EVENT_GID: u32 = 0x0000_0040;
const PROC_EVENT_PTRACE: u32 = 0x0000_0100;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// One decoded `proc_event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcEvent {
    Fork {
        parent_tgid: u32,
        child_pid: u32,
        child_tgid: u32,
    },
    Exec {
        pid: u32,
        tgid: u32,
    },
    Uid {
        pid: u32,
        tgid: u32,
        ruid: u32,
        euid: u32,
    },
    Gid {
        tgid: u32,
        egid: u32,
    },
    Ptrace {
        tgid: u32,
        tracer_tgid: u32,
    },
    Exit {
        pid: u32,
        tgid: u32,
        code: u32,
    },
    /// A kind hull does not use (sid, comm, coredump, ack).
    Other(u32),
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off + 4)?;
    Some(u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off + 2)?;
    Some(u16::from_ne_bytes([s[0], s[1]]))
}

/// Decode every `proc_event` in one datagram (several netlink messages may be packed).
/// Truncated or foreign messages are skipped, never trusted.
pub fn parse_datagram(buf: &[u8]) -> Vec<ProcEvent> {
    parse_datagram_timed(buf)
        .into_iter()
        .map(|(_, ev)| ev)
        .collect()
}

/// [`parse_datagram`] with each event's kernel timestamp (`CLOCK_MONOTONIC` ns).
pub fn parse_datagram_timed(buf: &[u8]) -> Vec<(u64, ProcEvent)> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off + NLMSG_HDR <= buf.len() {
        let Some(len) = u32_at(buf, off).map(|l| l as usize) else {
            break;
        };
        if len < NLMSG_HDR || off + len > buf.len() {
            break;
        }
        let msg = &buf[off..off + len];
        let ty = u16_at(msg, 4).unwrap_or(0);
        if ty == NLMSG_DONE || ty > 15 {
            if let Some(ev) = parse_cn_msg(&msg[NLMSG_HDR..]) {
                out.push(ev);
            }
        }
        // NLMSG_ALIGN(len)
        off += (len + 3) & !3;
    }
    out
}

fn parse_cn_msg(b: &[u8]) -> Option<(u64, ProcEvent)> {
    let idx = u32_at(b, 0)?;
    let val = u32_at(b, 4)?;
    if idx != CN_IDX_PROC || val != CN_VAL_PROC {
        return None;
    }
    let data_len = u16_at(b, 16)? as usize;
    let ev = b.get(CN_MSG..CN_MSG + data_len)?;
    let what = u32_at(ev, 0)?;
    let ts = u64::from_ne_bytes(ev.get(8..16)?.try_into().ok()?);
    let d = 16; // after what, cpu, timestamp_ns
    let pe = match what {
        PROC_EVENT_FORK => ProcEvent::Fork {
            parent_tgid: u32_at(ev, d + 4)?,
            child_pid: u32_at(ev, d + 8)?,
            child_tgid: u32_at(ev, d + 12)?,
        },
        PROC_EVENT_EXEC => ProcEvent::Exec {
            pid: u32_at(ev, d)?,
            tgid: u32_at(ev, d + 4)?,
        },
        PROC_EVENT_UID => ProcEvent::Uid {
            pid: u32_at(ev, d)?,
            tgid: u32_at(ev, d + 4)?,
            ruid: u32_at(ev, d + 8)?,
            euid: u32_at(ev, d + 12)?,
        },
        PROC_EVENT_GID => ProcEvent::Gid {
            tgid: u32_at(ev, d + 4)?,
            egid: u32_at(ev, d + 12)?,
        },
        PROC_EVENT_PTRACE => ProcEvent::Ptrace {
            tgid: u32_at(ev, d + 4)?,
            tracer_tgid: u32_at(ev, d + 12)?,
        },
        PROC_EVENT_EXIT => ProcEvent::Exit {
            pid: u32_at(ev, d)?,
            tgid: u32_at(ev, d + 4)?,
            code: u32_at(ev, d + 8)?,
        },
        other => ProcEvent::Other(other),
    };
    Some((ts, pe))
}

/// What the source remembers per process: enough to fill fork/exit/uid events and
/// `user.prev_uid` without reading `/proc` again.
#[derive(Debug, Clone, Default)]
struct Known {
    comm: String,
    exe: String,
    args: Vec<String>,
    ppid: u32,
    euid: u32,
    cgroup: String,
}

struct Socket(libc::c_int);

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor; closing once on drop.
        unsafe { libc::close(self.0) };
    }
}

fn os_err(step: &'static str) -> SourceError {
    SourceError::Netlink {
        step,
        source: io::Error::last_os_error(),
    }
}

fn open_socket() -> Result<Socket, SourceError> {
    // SAFETY: plain socket(2)/setsockopt(2)/bind(2)/send(2) calls on a descriptor we own,
    // with correctly sized, initialised structs.
    unsafe {
        let fd = libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            libc::NETLINK_CONNECTOR,
        );
        if fd < 0 {
            return Err(os_err("socket"));
        }
        let sock = Socket(fd);
        // A large receive buffer absorbs exec storms; overflow shows up as ENOBUFS.
        let size: libc::c_int = 8 << 20;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            &size as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as u32,
        );
        // Wake up periodically to notice the stop flag.
        let tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 200_000,
        };
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &tv as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as u32,
        );
        let mut addr: libc::sockaddr_nl = std::mem::zeroed();
        addr.nl_family = libc::AF_NETLINK as u16;
        addr.nl_groups = CN_IDX_PROC;
        addr.nl_pid = 0; // kernel assigns a unique port id
        if libc::bind(
            fd,
            &addr as *const _ as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        ) < 0
        {
            return Err(os_err("bind"));
        }
        // nlmsghdr + cn_msg + u32 op
        let total = NLMSG_HDR + CN_MSG + 4;
        let mut msg = vec![0u8; total];
        msg[0..4].copy_from_slice(&(total as u32).to_ne_bytes());
        msg[4..6].copy_from_slice(&NLMSG_DONE.to_ne_bytes());
        msg[12..16].copy_from_slice(&std::process::id().to_ne_bytes());
        let cn = NLMSG_HDR;
        msg[cn..cn + 4].copy_from_slice(&CN_IDX_PROC.to_ne_bytes());
        msg[cn + 4..cn + 8].copy_from_slice(&CN_VAL_PROC.to_ne_bytes());
        msg[cn + 16..cn + 18].copy_from_slice(&4u16.to_ne_bytes());
        msg[cn + CN_MSG..].copy_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
        if libc::send(fd, msg.as_ptr() as *const libc::c_void, msg.len(), 0) < 0 {
            return Err(os_err("subscribe"));
        }
        Ok(sock)
    }
}

/// Check that the connector can be opened (for automatic source choice).
pub fn available() -> Result<(), SourceError> {
    open_socket().map(|_| ())
}

/// Run until the stop flag is set. Events are sent with `try_send`: when the pipeline
/// is behind, the event is counted as dropped (buffer `netlink-queue`) instead of
/// stalling the socket (which would make the kernel drop silently).
///
/// File opens come from [`Fanotify`] when it can be initialised (root): every exec'd
/// process with a container root gets its root mount marked before anything else is
/// done with its event, to keep the window in which its opens are unseen small. Without
/// fanotify the source keeps running with process events only and says so in
/// [`SourceCtl::notes`].
pub fn run(tx: SyncSender<SourceMsg>, ctl: SourceCtl) -> Result<(), SourceError> {
    let sock = open_socket()?;
    ctl.stats.declare("netlink");
    ctl.stats.declare("netlink-queue");
    // A container's root mount can only be marked once its first exec is seen, and
    // that program starts opening files at once: on a busy host the time this thread
    // waits for a CPU decides whether those opens are seen. Like auditd's
    // `priority_boost`, run this (light) thread at a higher priority; best-effort.
    // SAFETY: setpriority on our own thread id has no memory arguments.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, -10);
    }
    let mut fan = match Fanotify::init() {
        Ok(mut f) => {
            let n = f.watch_running();
            ctl.stats.declare("fanotify");
            ctl.note(format!(
                "opens=fanotify ({n} running container processes marked)"
            ));
            Some(f)
        }
        Err(e) => {
            let _ = tx.try_send(SourceMsg::Diagnostic(format!(
                "fallback source: fanotify unavailable ({e}); file opens are not seen, \
                 process events (exec, fork, exit, uid/gid changes, ptrace) are"
            )));
            ctl.note(format!(
                "opens=off (fanotify_init: {e}; exec/uid/ptrace events only)"
            ));
            None
        }
    };
    ctl.set_ready();
    let procfs = ProcFs::default();
    let mut known: HashMap<u32, Known> = HashMap::new();
    let mut exited: Vec<(u32, Known)> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut files = Vec::new();
    let mut mark_errors = 0u64;
    let mut overflows_seen = 0u64;
    while !ctl.stopped() {
        let mut fds = [
            libc::pollfd {
                fd: sock.0,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: fan.as_ref().map(|f| f.raw_fd()).unwrap_or(-1),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // While a new container's init may be about to pivot, look every millisecond.
        let pending = fan.as_ref().is_some_and(|f| f.has_pending());
        let timeout = if pending { 1 } else { 200 };
        // SAFETY: fds is a valid array of 2 pollfd; a negative fd is ignored by poll.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), 2, timeout) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(SourceError::Netlink {
                step: "poll",
                source: e,
            });
        }
        if let Some(f) = fan.as_mut().filter(|f| f.has_pending()) {
            if let Err(e) = f.poll_pending() {
                mark_error(&tx, &ctl, &mut mark_errors, e);
            }
        }
        // Open events are read first but turned into events only after the netlink
        // queue is drained again up to the moment of the read: the exec (and exit) of
        // the opener were queued before its open was read, so its name and arguments
        // are known by then, and process events stamped after the read come later.
        files.clear();
        let read_at = monotonic_ns();
        if let Some(f) = fan.as_mut() {
            if let Err(e) = f.read(&mut files) {
                let _ = tx.try_send(SourceMsg::Diagnostic(format!(
                    "fanotify read failed ({e}); file opens are no longer seen"
                )));
                fan = None;
            } else if f.overflows > overflows_seen {
                ctl.stats.drop_n("fanotify", f.overflows - overflows_seen);
                overflows_seen = f.overflows;
                let _ = tx.try_send(SourceMsg::Diagnostic(
                    "fanotify queue overflowed; file open events were lost".into(),
                ));
            }
        }
        // Drain netlink (bounded so a fork storm cannot starve the open events).
        for _ in 0..256 {
            // SAFETY: buf is a valid writable buffer of buf.len() bytes.
            let n = unsafe {
                libc::recv(
                    sock.0,
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EAGAIN) | Some(libc::EINTR) => break,
                    // The kernel dropped messages: socket buffer overflow.
                    Some(libc::ENOBUFS) => {
                        ctl.stats.drop_n("netlink", 1);
                        let _ = tx.try_send(SourceMsg::Diagnostic(
                            "netlink proc connector overflowed; events were lost".into(),
                        ));
                        continue;
                    }
                    _ => {
                        return Err(SourceError::Netlink {
                            step: "recv",
                            source: e,
                        })
                    }
                }
            }
            let n = n as usize;
            for (ts, pe) in parse_datagram_timed(buf.get(..n).unwrap_or(&[])) {
                // Every open just read happened before `read_at`: a process event
                // after it must not lend its (new) name to those opens.
                if ts > read_at && !files.is_empty() {
                    for fe in files.drain(..) {
                        let ev = open_event(fe, &procfs, &mut known, &exited);
                        if !send(&tx, &ctl, ev) {
                            return Ok(());
                        }
                    }
                }
                // Mark first: the new program may open files within microseconds.
                let mut mnt = None;
                if let Some(f) = fan.as_mut() {
                    let r = match pe {
                        ProcEvent::Exec { tgid, .. } => f.watch_process(tgid),
                        ProcEvent::Fork {
                            child_pid,
                            child_tgid,
                            ..
                        } if child_pid == child_tgid => f.watch_new_process(child_tgid),
                        _ => Ok(None),
                    };
                    match r {
                        Ok(m) => mnt = m,
                        // The process already exited: nothing left to watch.
                        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
                        Err(e) => mark_error(&tx, &ctl, &mut mark_errors, e),
                    }
                }
                let Some(ev) = to_event(pe, &procfs, &mut known, &mut exited) else {
                    continue;
                };
                if let (Some(m), Some(f)) = (mnt, fan.as_mut()) {
                    f.set_cgroup(m, &ev.cgroup);
                }
                if !send(&tx, &ctl, ev) {
                    return Ok(());
                }
            }
        }
        for fe in files.drain(..) {
            let ev = open_event(fe, &procfs, &mut known, &exited);
            if !send(&tx, &ctl, ev) {
                return Ok(());
            }
        }
        exited.clear();
    }
    Ok(())
}

/// `CLOCK_MONOTONIC` in ns: the clock of the proc connector's event timestamps.
fn monotonic_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: t is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    (t.tv_sec.max(0) as u64) * 1_000_000_000 + t.tv_nsec.max(0) as u64
}

/// Count a failed fanotify mark; report the first one (later ones only count).
fn mark_error(tx: &SyncSender<SourceMsg>, ctl: &SourceCtl, errors: &mut u64, e: io::Error) {
    *errors += 1;
    ctl.stats.drop_n("fanotify-mark", 1);
    if *errors == 1 {
        let _ = tx.try_send(SourceMsg::Diagnostic(format!(
            "cannot mark a container root mount for file opens: {e}"
        )));
    }
}

/// Hand one event to the pipeline; false when the pipeline is gone.
fn send(tx: &SyncSender<SourceMsg>, ctl: &SourceCtl, ev: Event) -> bool {
    ctl.stats.events.fetch_add(1, Ordering::Relaxed);
    match tx.try_send(SourceMsg::Event(Box::new(ev))) {
        Ok(()) => true,
        Err(TrySendError::Full(_)) => {
            ctl.stats.drop_n("netlink-queue", 1);
            true
        }
        Err(TrySendError::Disconnected(_)) => false,
    }
}

/// An `open` event from fanotify, with the opener's details from what the netlink side
/// knows (including processes that exited in this round), else from `/proc`, else only
/// the cgroup recorded for the container's mount.
fn open_event(
    fe: FileEvent,
    procfs: &ProcFs,
    known: &mut HashMap<u32, Known>,
    exited: &[(u32, Known)],
) -> Event {
    let mut ev = Event::new(EventType::Open, fe.pid);
    if let Some(k) = known.get(&fe.pid) {
        fill(&mut ev, k);
    } else if let Some((_, k)) = exited.iter().rev().find(|(p, _)| *p == fe.pid) {
        fill(&mut ev, k);
    } else {
        let i = procfs.read(fe.pid);
        if i.alive {
            let k = Known {
                comm: i.comm,
                exe: i.exe,
                args: i.args,
                ppid: i.ppid,
                euid: i.euid,
                cgroup: i.cgroup,
            };
            fill(&mut ev, &k);
            known.insert(fe.pid, k);
        }
    }
    if ev.cgroup.is_empty() {
        ev.cgroup = fe.mount_cgroup;
    }
    ev.path = fe.path;
    ev.write = fe.write;
    ev.ts_ns = now_ns();
    ev
}

fn fill(ev: &mut Event, k: &Known) {
    ev.comm = k.comm.clone();
    ev.exe = k.exe.clone();
    ev.args = k.args.clone();
    ev.ppid = k.ppid;
    ev.uid = k.euid;
    ev.cgroup = k.cgroup.clone();
}

fn lookup<'a>(pid: u32, procfs: &ProcFs, known: &'a mut HashMap<u32, Known>) -> &'a Known {
    known.entry(pid).or_insert_with(|| {
        let i = procfs.read(pid);
        Known {
            comm: i.comm,
            exe: i.exe,
            args: i.args,
            ppid: i.ppid,
            euid: i.euid,
            cgroup: i.cgroup,
        }
    })
}

/// `exited` receives what was known about processes that exited, for open events of
/// the same round.
fn to_event(
    pe: ProcEvent,
    procfs: &ProcFs,
    known: &mut HashMap<u32, Known>,
    exited: &mut Vec<(u32, Known)>,
) -> Option<Event> {
    let ts = now_ns();
    let mut ev = match pe {
        // A non-leader thread that execs becomes the leader: the tgid is the process.
        ProcEvent::Exec { tgid, .. } => {
            let i = procfs.read(tgid);
            // By the time /proc is read the new program may already have changed its
            // uid; the uid it was exec'd with is the one we tracked (setuid binaries
            // report their change as a separate, earlier uid event).
            let euid = known.get(&tgid).map(|k| k.euid).unwrap_or(i.euid);
            let k = Known {
                comm: i.comm.clone(),
                exe: i.exe.clone(),
                args: i.args.clone(),
                ppid: i.ppid,
                euid,
                cgroup: i.cgroup.clone(),
            };
            let mut ev = Event::new(EventType::Exec, tgid);
            fill(&mut ev, &k);
            ev.stdio_socket = i.stdio_socket;
            ev.exe_ctime_ns = i.exe_ctime_ns;
            ev.pcomm = known
                .get(&i.ppid)
                .map(|p| p.comm.clone())
                .or_else(|| procfs.comm(i.ppid))
                .unwrap_or_default();
            known.insert(tgid, k);
            ev
        }
        ProcEvent::Fork {
            parent_tgid,
            child_pid,
            child_tgid,
        } => {
            if child_pid != child_tgid {
                return None; // a new thread, not a new process
            }
            let parent = lookup(parent_tgid, procfs, known).clone();
            let mut k = parent.clone();
            k.ppid = parent_tgid;
            let mut ev = Event::new(EventType::Fork, child_tgid);
            fill(&mut ev, &k);
            ev.pcomm = parent.comm;
            known.insert(child_tgid, k);
            ev
        }
        ProcEvent::Uid {
            pid, tgid, euid, ..
        } => {
            if pid != tgid {
                // Per-thread credential change (setuid in a threaded program still
                // reports for every thread); report the process once via the leader.
                return None;
            }
            // The kernel only reports real changes (commit_creds), so every event is
            // kept. The previous uid only comes from what we saw before (/proc already
            // shows the new one); events from different CPUs can arrive out of order,
            // so a tracked uid equal to the new one means "unknown", not "no change".
            let prev = known.get(&tgid).map(|k| k.euid).filter(|p| *p != euid);
            let mut ev = Event::new(EventType::Setuid, tgid);
            fill(&mut ev, lookup(tgid, procfs, known));
            ev.prev_uid = prev;
            ev.uid = euid;
            if let Some(k) = known.get_mut(&tgid) {
                k.euid = euid;
            }
            ev
        }
        ProcEvent::Gid { tgid, .. } => {
            let mut ev = Event::new(EventType::Setgid, tgid);
            fill(&mut ev, lookup(tgid, procfs, known));
            ev
        }
        ProcEvent::Ptrace { tgid, tracer_tgid } => {
            if tracer_tgid == 0 {
                return None; // detach
            }
            // The tracer is the actor; request is unknown here (attach or seize).
            let mut ev = Event::new(EventType::Ptrace, tracer_tgid);
            fill(&mut ev, lookup(tracer_tgid, procfs, known));
            ev.request = Some(16);
            ev.path = format!("pid:{tgid}");
            ev
        }
        ProcEvent::Exit { pid, tgid, .. } => {
            if pid != tgid {
                return None;
            }
            let mut ev = Event::new(EventType::Exit, tgid);
            if let Some(k) = known.remove(&tgid) {
                fill(&mut ev, &k);
                exited.push((tgid, k));
            }
            ev
        }
        ProcEvent::Other(_) => return None,
    };
    ev.ts_ns = ts;
    if known.len() > 200_000 {
        // Missed exits (overflow) must not grow the table forever.
        known.clear();
    }
    Some(ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datagram(what: u32, words: &[u32]) -> Vec<u8> {
        let ev_len = 16 + words.len() * 4;
        let total = NLMSG_HDR + CN_MSG + ev_len;
        let mut b = vec![0u8; total];
        b[0..4].copy_from_slice(&(total as u32).to_ne_bytes());
        b[4..6].copy_from_slice(&NLMSG_DONE.to_ne_bytes());
        b[16..20].copy_from_slice(&CN_IDX_PROC.to_ne_bytes());
        b[20..24].copy_from_slice(&CN_VAL_PROC.to_ne_bytes());
        b[32..34].copy_from_slice(&(ev_len as u16).to_ne_bytes());
        let e = NLMSG_HDR + CN_MSG;
        b[e..e + 4].copy_from_slice(&what.to_ne_bytes());
        for (i, w) in words.iter().enumerate() {
            let o = e + 16 + i * 4;
            b[o..o + 4].copy_from_slice(&w.to_ne_bytes());
        }
        b
    }

    #[test]
    fn decode_each_kind() {
        let cases = [
            (
                datagram(PROC_EVENT_EXEC, &[10, 10]),
                ProcEvent::Exec { pid: 10, tgid: 10 },
            ),
            (
                datagram(PROC_EVENT_FORK, &[1, 1, 20, 20]),
                ProcEvent::Fork {
                    parent_tgid: 1,
                    child_pid: 20,
                    child_tgid: 20,
                },
            ),
            (
                datagram(PROC_EVENT_UID, &[5, 5, 0, 65534]),
                ProcEvent::Uid {
                    pid: 5,
                    tgid: 5,
                    ruid: 0,
                    euid: 65534,
                },
            ),
            (
                datagram(PROC_EVENT_EXIT, &[7, 7, 256, 17, 1, 1]),
                ProcEvent::Exit {
                    pid: 7,
                    tgid: 7,
                    code: 256,
                },
            ),
            (
                datagram(PROC_EVENT_PTRACE, &[3, 3, 9, 9]),
                ProcEvent::Ptrace {
                    tgid: 3,
                    tracer_tgid: 9,
                },
            ),
            (
                datagram(0x200, &[1, 1, 0, 0, 0, 0]),
                ProcEvent::Other(0x200),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(parse_datagram(&bytes), vec![want]);
        }
        // Two messages in one datagram.
        let mut two = datagram(PROC_EVENT_EXEC, &[1, 1]);
        two.extend(datagram(PROC_EVENT_EXEC, &[2, 2]));
        assert_eq!(parse_datagram(&two).len(), 2);
    }

    #[test]
    fn hostile_datagrams_do_not_panic() {
        let good = datagram(PROC_EVENT_UID, &[5, 5, 0, 65534]);
        for cut in 0..good.len() {
            let _ = parse_datagram(&good[..cut]);
        }
        let mut lying = good.clone();
        lying[32..34].copy_from_slice(&u16::MAX.to_ne_bytes());
        assert!(parse_datagram(&lying).is_empty());
        let mut huge = good;
        huge[0..4].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert!(parse_datagram(&huge).is_empty());
        // Replay the fuzz seeds.
        let seeds = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/corpus/proc_connector"
        );
        if let Ok(rd) = std::fs::read_dir(seeds) {
            for f in rd.flatten() {
                let _ = parse_datagram(&std::fs::read(f.path()).unwrap());
            }
        }
    }

    #[test]
    fn uid_change_tracks_previous_uid() {
        let procfs = ProcFs::new("/nonexistent-proc");
        let mut known = HashMap::new();
        let mut exited = Vec::new();
        known.insert(
            50,
            Known {
                comm: "setuidgid".into(),
                euid: 0,
                ..Known::default()
            },
        );
        let ev = to_event(
            ProcEvent::Uid {
                pid: 50,
                tgid: 50,
                ruid: 65534,
                euid: 65534,
            },
            &procfs,
            &mut known,
            &mut exited,
        )
        .unwrap();
        assert_eq!(ev.kind, Some(EventType::Setuid));
        assert_eq!((ev.prev_uid, ev.uid), (Some(0), 65534));
        assert_eq!(ev.comm, "setuidgid");
        // Reported again (e.g. out of order): still an event, previous uid unknown.
        let again = ProcEvent::Uid {
            pid: 50,
            tgid: 50,
            ruid: 65534,
            euid: 65534,
        };
        assert_eq!(
            to_event(again, &procfs, &mut known, &mut exited)
                .unwrap()
                .prev_uid,
            None
        );
        // Fork inherits, exit forgets.
        let f = to_event(
            ProcEvent::Fork {
                parent_tgid: 50,
                child_pid: 51,
                child_tgid: 51,
            },
            &procfs,
            &mut known,
            &mut exited,
        )
        .unwrap();
        assert_eq!((f.ppid, f.uid, f.pcomm.as_str()), (50, 65534, "setuidgid"));
        let x = to_event(
            ProcEvent::Exit {
                pid: 51,
                tgid: 51,
                code: 0,
            },
            &procfs,
            &mut known,
            &mut exited,
        )
        .unwrap();
        assert_eq!(x.comm, "setuidgid");
        assert!(!known.contains_key(&51));
        // An open read after the exit still names the process and its container.
        let fe = FileEvent {
            pid: 51,
            path: "/etc/shadow".into(),
            write: false,
            mount_cgroup: "0::/ctr\n".into(),
        };
        let o = open_event(fe.clone(), &procfs, &mut known, &exited);
        assert_eq!(
            (o.kind, o.comm.as_str()),
            (Some(EventType::Open), "setuidgid")
        );
        assert_eq!((o.path.as_str(), o.write), ("/etc/shadow", false));
        // Unknown and gone: only the mount's cgroup is left for attribution.
        let o = open_event(
            FileEvent {
                pid: 99,
                write: true,
                ..fe
            },
            &procfs,
            &mut known,
            &[],
        );
        assert_eq!(
            (o.cgroup.as_str(), o.comm.as_str(), o.write),
            ("0::/ctr\n", "", true)
        );
        assert!(!known.contains_key(&99));
    }
}
