//! The event model: one flat record per thing a process did, shared by every source.
//!
//! The JSON-lines form of [`Event`] is also the replay/recording format: a recorded
//! session is one event per line, exactly as `--record` writes it.

use serde::{Deserialize, Serialize};

use crate::attribution::Container;

/// What happened. Names are the `evt.type` values rules compare against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// A process image was replaced (`execve`/`execveat`).
    Exec,
    /// A process was created (`fork`/`clone`).
    Fork,
    /// A process ended.
    Exit,
    /// A file was opened (`open`/`openat`/`openat2`, reported at syscall exit).
    Open,
    /// An outbound connection was attempted (`connect`).
    Connect,
    /// An inbound connection was accepted (`accept`/`accept4`).
    Accept,
    /// A user id changed (setuid family, reported at syscall exit).
    Setuid,
    /// A group id changed (setgid family).
    Setgid,
    /// Capabilities were set (`capset`).
    Capset,
    /// `ptrace` was called.
    Ptrace,
    /// A filesystem was mounted.
    Mount,
    /// An anonymous in-memory file was created (`memfd_create`).
    MemfdCreate,
    /// A kernel module load was attempted (`init_module`/`finit_module`).
    InitModule,
    /// Any other syscall (only recorded in `--learn` mode).
    Syscall,
}

impl EventType {
    pub const ALL: [EventType; 14] = [
        EventType::Exec,
        EventType::Fork,
        EventType::Exit,
        EventType::Open,
        EventType::Connect,
        EventType::Accept,
        EventType::Setuid,
        EventType::Setgid,
        EventType::Capset,
        EventType::Ptrace,
        EventType::Mount,
        EventType::MemfdCreate,
        EventType::InitModule,
        EventType::Syscall,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Exec => "exec",
            EventType::Fork => "fork",
            EventType::Exit => "exit",
            EventType::Open => "open",
            EventType::Connect => "connect",
            EventType::Accept => "accept",
            EventType::Setuid => "setuid",
            EventType::Setgid => "setgid",
            EventType::Capset => "capset",
            EventType::Ptrace => "ptrace",
            EventType::Mount => "mount",
            EventType::MemfdCreate => "memfd_create",
            EventType::InitModule => "init_module",
            EventType::Syscall => "syscall",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Dense index for per-type tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One event. Fields a source could not learn stay `None`/empty: a process that exits
/// before its `/proc` entry is read still yields an event with what is known.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Event {
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    #[serde(rename = "type")]
    pub kind: Option<EventType>,
    pub pid: u32,
    pub ppid: u32,
    /// Short command name (`comm`, at most 15 bytes in the kernel).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comm: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub exe: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pcomm: String,
    /// Effective user id (after the change, for `Setuid` events).
    pub uid: u32,
    /// The effective uid before a setuid-family change (`Setuid` events only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_uid: Option<u32>,
    /// Capabilities were added by a `capset`/privilege change.
    #[serde(skip_serializing_if = "is_false")]
    pub cap_gained: bool,
    /// File path for opens, mount target for mounts, module name when known.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[serde(skip_serializing_if = "is_false")]
    pub write: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daddr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dport: Option<u16>,
    /// `ptrace` request number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<u32>,
    /// Syscall number (`Syscall` events in learn mode) or name when known.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub syscall: String,
    /// ctime of the executable (ns since epoch) when a live source could stat it; the
    /// pipeline compares it with the container's start to set `exe_drift`.
    #[serde(skip_serializing_if = "is_zero")]
    pub exe_ctime_ns: u64,
    /// The executable was created after the container started (drift).
    #[serde(skip_serializing_if = "is_false")]
    pub exe_drift: bool,
    /// stdin or stdout of the process is a socket (reverse-shell shape).
    #[serde(skip_serializing_if = "is_false")]
    pub stdio_socket: bool,
    /// The cgroup v2 path (or v1 unified line) the process was in.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cgroup: String,
    /// `None` = host process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Event {
    pub fn new(kind: EventType, pid: u32) -> Event {
        Event {
            kind: Some(kind),
            pid,
            ..Event::default()
        }
    }

    /// `proc.cmdline`: the arguments joined by spaces (Falco shape).
    pub fn cmdline(&self) -> String {
        self.args.join(" ")
    }

    /// The container id, or `host`.
    pub fn container_id(&self) -> &str {
        self.container
            .as_ref()
            .map(|c| c.id.as_str())
            .unwrap_or("host")
    }
}

/// Wall clock in nanoseconds since the epoch (0 if the clock is before 1970).
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// RFC 3339 UTC timestamp with nanoseconds, for alert JSON.
pub fn rfc3339(ts_ns: u64) -> String {
    let secs = hull_model::rfc3339_utc(ts_ns / 1_000_000_000);
    let whole = secs.strip_suffix('Z').unwrap_or(&secs);
    format!("{whole}.{:09}Z", ts_ns % 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_values() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        // 2024-02-29T12:34:56.5Z (leap day)
        assert_eq!(
            rfc3339(1_709_210_096_500_000_000),
            "2024-02-29T12:34:56.500000000Z"
        );
    }

    #[test]
    fn event_json_round_trip_and_defaults() {
        let line = r#"{"ts_ns":5,"type":"open","pid":7,"comm":"cat","path":"/etc/shadow","unknown_extra":1}"#;
        let e: Event = serde_json::from_str(line).unwrap();
        assert_eq!(e.kind, Some(EventType::Open));
        assert_eq!(e.path, "/etc/shadow");
        assert_eq!(e.container_id(), "host");
        let back: Event = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn event_type_names_round_trip() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
        }
    }
}
