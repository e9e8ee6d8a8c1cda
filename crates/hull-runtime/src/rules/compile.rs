//! Fields and the compiled condition form.
//!
//! Conditions compile once to a tree of typed nodes: field ids instead of names, numbers
//! parsed, `in` lists precomputed (hash sets past a few items), globs pre-parsed,
//! `evt.type` tests turned into bit masks. Evaluation borrows from the event and
//! allocates nothing, except `proc.cmdline`/`proc.args`, which are joined once per event
//! and only when a rule asks.

use std::cell::OnceCell;
use std::collections::HashSet;

use super::expr::CmpOp;
use super::glob::Glob;
use crate::event::{Event, EventType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Num,
    Bool,
}

/// Every field a condition or output may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    EvtType,
    EvtTime,
    IsOpenRead,
    IsOpenWrite,
    ProcName,
    ProcExe,
    ProcCmdline,
    ProcArgs,
    ProcPid,
    ProcPpid,
    ProcPname,
    ProcExeDrift,
    ProcStdioSocket,
    ProcCapGained,
    UserUid,
    UserPrevUid,
    FdName,
    FdDirectory,
    FdFilename,
    NetDport,
    NetDaddr,
    PtraceRequest,
    ContainerId,
    ContainerName,
    ContainerImage,
    ContainerRuntime,
    PodUid,
    PodName,
    PodNamespace,
}

/// (name, field, kind, description) — the documented field table (docs/rules.md).
pub const FIELDS: &[(&str, Field, Kind, &str)] = &[
    ("evt.type", Field::EvtType, Kind::Str, "event type: exec, fork, exit, open, connect, accept, setuid, setgid, capset, ptrace, mount, memfd_create, init_module"),
    ("evt.time", Field::EvtTime, Kind::Num, "event time, ns since the Unix epoch"),
    ("evt.is_open_read", Field::IsOpenRead, Kind::Bool, "an open for reading"),
    ("evt.is_open_write", Field::IsOpenWrite, Kind::Bool, "an open for writing (O_WRONLY/O_RDWR/O_CREAT/O_TRUNC)"),
    ("proc.name", Field::ProcName, Kind::Str, "command name (comm, up to 15 bytes)"),
    ("proc.exe", Field::ProcExe, Kind::Str, "executable path"),
    ("proc.cmdline", Field::ProcCmdline, Kind::Str, "all arguments joined by spaces"),
    ("proc.args", Field::ProcArgs, Kind::Str, "arguments after argv[0], joined by spaces"),
    ("proc.pid", Field::ProcPid, Kind::Num, "process id (thread-group id)"),
    ("proc.ppid", Field::ProcPpid, Kind::Num, "parent process id"),
    ("proc.pname", Field::ProcPname, Kind::Str, "parent command name"),
    ("proc.exe_drift", Field::ProcExeDrift, Kind::Bool, "executable created or modified after the container started"),
    ("proc.stdio_socket", Field::ProcStdioSocket, Kind::Bool, "stdin or stdout is a socket"),
    ("proc.cap_gained", Field::ProcCapGained, Kind::Bool, "the event added capabilities"),
    ("user.uid", Field::UserUid, Kind::Num, "effective user id (after the change for setuid events)"),
    ("user.prev_uid", Field::UserPrevUid, Kind::Num, "effective user id before a setuid-family change"),
    ("fd.name", Field::FdName, Kind::Str, "file path (open), mount target (mount), memfd name"),
    ("fd.directory", Field::FdDirectory, Kind::Str, "directory part of fd.name"),
    ("fd.filename", Field::FdFilename, Kind::Str, "last component of fd.name"),
    ("net.dport", Field::NetDport, Kind::Num, "destination port (connect) or local port (accept)"),
    ("net.daddr", Field::NetDaddr, Kind::Str, "destination address (connect) or peer (accept)"),
    ("evt.arg.request", Field::PtraceRequest, Kind::Num, "ptrace request number (16 = PTRACE_ATTACH, 0x4206 = PTRACE_SEIZE)"),
    ("container.id", Field::ContainerId, Kind::Str, "container id, `host` for host processes"),
    ("container.name", Field::ContainerName, Kind::Str, "container name from runtime state"),
    ("container.image", Field::ContainerImage, Kind::Str, "image reference from runtime state"),
    ("container.runtime", Field::ContainerRuntime, Kind::Str, "docker, containerd, cri-o, podman, runc, kubernetes"),
    ("k8s.pod.uid", Field::PodUid, Kind::Str, "Kubernetes pod UID"),
    ("k8s.pod.name", Field::PodName, Kind::Str, "Kubernetes pod name (from runtime labels)"),
    ("k8s.ns.name", Field::PodNamespace, Kind::Str, "Kubernetes namespace (from runtime labels)"),
];

pub fn lookup_field(name: &str) -> Option<(Field, Kind)> {
    FIELDS
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|&(_, f, k, _)| (f, k))
}

/// Per-event evaluation context: lazily joined strings live here.
pub struct Ctx<'a> {
    pub ev: &'a Event,
    cmdline: OnceCell<String>,
    args: OnceCell<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(ev: &'a Event) -> Ctx<'a> {
        Ctx {
            ev,
            cmdline: OnceCell::new(),
            args: OnceCell::new(),
        }
    }

    fn container_str(&self, f: impl Fn(&crate::attribution::Container) -> &str) -> Option<&str> {
        self.ev.container.as_ref().map(f).filter(|s| !s.is_empty())
    }

    /// String value of a field, `None` when the event does not carry it.
    pub fn str(&self, f: Field) -> Option<&str> {
        let ev = self.ev;
        let nonempty = |s: &'a str| (!s.is_empty()).then_some(s);
        match f {
            Field::EvtType => ev.kind.map(EventType::as_str),
            Field::ProcName => nonempty(&ev.comm),
            Field::ProcExe => nonempty(&ev.exe),
            Field::ProcCmdline => {
                if ev.args.is_empty() {
                    return None;
                }
                Some(self.cmdline.get_or_init(|| ev.args.join(" ")).as_str())
            }
            Field::ProcArgs => {
                if ev.args.is_empty() {
                    return None;
                }
                Some(
                    self.args
                        .get_or_init(|| ev.args.get(1..).unwrap_or(&[]).join(" "))
                        .as_str(),
                )
            }
            Field::ProcPname => nonempty(&ev.pcomm),
            Field::FdName => nonempty(&ev.path),
            Field::FdDirectory => {
                let p = nonempty(&ev.path)?;
                Some(match p.rfind('/') {
                    Some(0) => "/",
                    Some(i) => &p[..i],
                    None => ".",
                })
            }
            Field::FdFilename => {
                let p = nonempty(&ev.path)?;
                Some(p.rsplit('/').next().unwrap_or(p))
            }
            Field::NetDaddr => ev.daddr.as_deref(),
            Field::ContainerId => Some(ev.container_id()),
            Field::ContainerName => self.container_str(|c| &c.name),
            Field::ContainerImage => self.container_str(|c| &c.image),
            Field::ContainerRuntime => self.container_str(|c| &c.runtime),
            Field::PodUid => self.container_str(|c| &c.pod_uid),
            Field::PodName => self.container_str(|c| &c.pod_name),
            Field::PodNamespace => self.container_str(|c| &c.namespace),
            _ => None,
        }
    }

    pub fn num(&self, f: Field) -> Option<i64> {
        let ev = self.ev;
        match f {
            Field::EvtTime => Some(ev.ts_ns as i64),
            Field::ProcPid => Some(ev.pid as i64),
            Field::ProcPpid => Some(ev.ppid as i64),
            Field::UserUid => Some(ev.uid as i64),
            Field::UserPrevUid => ev.prev_uid.map(i64::from),
            Field::NetDport => ev.dport.map(i64::from),
            Field::PtraceRequest => ev.request.map(i64::from),
            _ => None,
        }
    }

    pub fn bool(&self, f: Field) -> Option<bool> {
        let ev = self.ev;
        let is_open = ev.kind == Some(EventType::Open);
        match f {
            Field::IsOpenRead => Some(is_open && !ev.write),
            Field::IsOpenWrite => Some(is_open && ev.write),
            Field::ProcExeDrift => Some(ev.exe_drift),
            Field::ProcStdioSocket => Some(ev.stdio_socket),
            Field::ProcCapGained => Some(ev.cap_gained),
            _ => None,
        }
    }

    /// Any field rendered as text (outputs, alert `fields`).
    pub fn render(&self, f: Field, kind: Kind) -> Option<String> {
        match kind {
            Kind::Str => self.str(f).map(str::to_string),
            Kind::Num => self.num(f).map(|n| n.to_string()),
            Kind::Bool => self.bool(f).map(|b| b.to_string()),
        }
    }
}

/// String sets: linear scan beats hashing for the short lists rules usually have.
#[derive(Debug)]
pub enum StrSet {
    Small(Vec<Box<str>>),
    Hash(HashSet<Box<str>>),
}

impl StrSet {
    pub fn new(items: Vec<String>) -> StrSet {
        let mut items: Vec<Box<str>> = items.into_iter().map(String::into_boxed_str).collect();
        items.sort();
        items.dedup();
        if items.len() <= 8 {
            StrSet::Small(items)
        } else {
            StrSet::Hash(items.into_iter().collect())
        }
    }
    #[inline]
    pub fn contains(&self, s: &str) -> bool {
        match self {
            StrSet::Small(v) => v.iter().any(|x| &**x == s),
            StrSet::Hash(h) => h.contains(s),
        }
    }

    /// The members, in no particular order.
    pub fn items(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            StrSet::Small(v) => Box::new(v.iter().map(|x| &**x)),
            StrSet::Hash(h) => Box::new(h.iter().map(|x| &**x)),
        }
    }
}

#[derive(Debug)]
pub enum Node {
    Const(bool),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// Bit `1 << EventType::index()` set for each accepted type.
    TypeMask(u32),
    StrEq(Field, Box<str>),
    StrIn(Field, StrSet),
    StartsWith(Field, Vec<Box<str>>),
    EndsWith(Field, Vec<Box<str>>),
    Contains(Field, Vec<Box<str>>),
    /// Needles are stored lower-cased.
    IContains(Field, Vec<Box<str>>),
    Glob(Field, Vec<Glob>),
    NumCmp(Field, CmpOp, i64),
    NumIn(Field, Vec<i64>),
    BoolEq(Field, bool),
    Exists(Field, Kind),
}

impl Node {
    #[inline]
    pub fn eval(&self, cx: &Ctx<'_>) -> bool {
        match self {
            Node::Const(b) => *b,
            Node::And(v) => v.iter().all(|n| n.eval(cx)),
            Node::Or(v) => v.iter().any(|n| n.eval(cx)),
            Node::Not(n) => !n.eval(cx),
            Node::TypeMask(m) => cx.ev.kind.is_some_and(|k| m & (1 << k.index()) != 0),
            Node::StrEq(f, s) => cx.str(*f) == Some(&**s),
            Node::StrIn(f, set) => cx.str(*f).is_some_and(|v| set.contains(v)),
            Node::StartsWith(f, v) => cx
                .str(*f)
                .is_some_and(|s| v.iter().any(|p| s.starts_with(&**p))),
            Node::EndsWith(f, v) => cx
                .str(*f)
                .is_some_and(|s| v.iter().any(|p| s.ends_with(&**p))),
            Node::Contains(f, v) => cx
                .str(*f)
                .is_some_and(|s| v.iter().any(|p| s.contains(&**p))),
            Node::IContains(f, v) => cx.str(*f).is_some_and(|s| {
                let low = s.to_lowercase();
                v.iter().any(|p| low.contains(&**p))
            }),
            Node::Glob(f, v) => cx.str(*f).is_some_and(|s| v.iter().any(|g| g.is_match(s))),
            Node::NumCmp(f, op, n) => cx.num(*f).is_some_and(|x| match op {
                CmpOp::Eq => x == *n,
                CmpOp::Ne => x != *n,
                CmpOp::Lt => x < *n,
                CmpOp::Le => x <= *n,
                CmpOp::Gt => x > *n,
                CmpOp::Ge => x >= *n,
                _ => false,
            }),
            Node::NumIn(f, v) => cx.num(*f).is_some_and(|x| v.contains(&x)),
            Node::BoolEq(f, b) => cx.bool(*f) == Some(*b),
            Node::Exists(f, kind) => match kind {
                Kind::Str => cx.str(*f).is_some(),
                Kind::Num => cx.num(*f).is_some(),
                Kind::Bool => cx.bool(*f).is_some(),
            },
        }
    }

    /// Event types this node can possibly accept (conservative), for rule indexing.
    pub fn type_mask(&self) -> u32 {
        const ALL: u32 = u32::MAX;
        match self {
            Node::TypeMask(m) => *m,
            Node::And(v) => v.iter().fold(ALL, |acc, n| acc & n.type_mask()),
            Node::Or(v) => v.iter().fold(0, |acc, n| acc | n.type_mask()),
            Node::Const(false) => 0,
            _ => ALL,
        }
    }
}
