//! Event sources. Each runs on its own thread and sends [`SourceMsg`]s into a bounded
//! channel; the pipeline never waits on a source and a source never waits on rules.
//!
//! - [`replay`]: JSON-lines events from a file (tests, forensics, benchmarks).
//! - [`ebpf`]: raw-tracepoint BPF programs with kernel-side filters and two ring
//!   buffers (the best source: sees opens, connects and credential changes).
//! - [`proc_connector`]: the fallback — netlink process connector (exec, fork, exit,
//!   uid/gid changes, ptrace) plus `/proc` reads for names, arguments and cgroups.
//! - [`fanotify`]: file opens for the fallback, from fanotify marks on container root
//!   mounts.
//! - [`procfs`]: the `/proc` readers both live sources share.

pub mod ebpf;
pub mod fanotify;
pub mod proc_connector;
pub mod procfs;
pub mod replay;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::event::Event;

/// What a source sends to the pipeline.
#[derive(Debug)]
pub enum SourceMsg {
    Event(Box<Event>),
    /// A problem worth reporting that does not stop the source (bad replay line, …).
    Diagnostic(String),
    /// The source has nothing more to send (replay reached end of file).
    End,
}

/// Counters a source shares with the metrics exporter.
#[derive(Debug, Default)]
pub struct SourceStats {
    /// Events lost before reaching the pipeline, per buffer name.
    pub drops: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    pub events: AtomicU64,
    /// Events a kernel-side filter decided against, per (event type, reason): totals.
    pub filtered: std::sync::Mutex<std::collections::BTreeMap<(String, String), u64>>,
}

impl SourceStats {
    pub fn drop_n(&self, buffer: &str, n: u64) {
        if n == 0 {
            return;
        }
        if let Ok(mut d) = self.drops.lock() {
            *d.entry(buffer.to_string()).or_insert(0) += n;
        }
    }

    /// Make a buffer visible in metrics with a zero count.
    pub fn declare(&self, buffer: &str) {
        if let Ok(mut d) = self.drops.lock() {
            d.entry(buffer.to_string()).or_insert(0);
        }
    }

    /// Set the running total of events filtered in the kernel.
    pub fn set_filtered(&self, kind: &str, reason: &str, total: u64) {
        if let Ok(mut f) = self.filtered.lock() {
            f.insert((kind.to_string(), reason.to_string()), total);
        }
    }

    /// ((event type, reason), total) of kernel-side filtering.
    pub fn filtered_snapshot(&self) -> Vec<((String, String), u64)> {
        self.filtered
            .lock()
            .map(|f| f.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default()
    }

    pub fn snapshot(&self) -> Vec<(String, u64)> {
        self.drops
            .lock()
            .map(|d| d.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default()
    }
}

/// Handles shared by a running source and its owner.
#[derive(Clone, Default)]
pub struct SourceCtl {
    pub stop: Arc<AtomicBool>,
    pub stats: Arc<SourceStats>,
    /// Set by the source once it is subscribed/attached (events from then on are seen).
    pub ready: Arc<AtomicBool>,
    /// What the source can and cannot see (`opens=fanotify`, `opens=off (...)`),
    /// written before `ready` and shown in the start banner.
    pub notes: Arc<std::sync::Mutex<Vec<String>>>,
}

impl SourceCtl {
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn note(&self, text: impl Into<String>) {
        if let Ok(mut n) = self.notes.lock() {
            n.push(text.into());
        }
    }

    pub fn notes(&self) -> Vec<String> {
        self.notes.lock().map(|n| n.clone()).unwrap_or_default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot open replay file {path}: {source}")]
    ReplayOpen {
        path: String,
        source: std::io::Error,
    },
    #[error("eBPF source unavailable ({step}): {message}")]
    Bpf { step: &'static str, message: String },
    #[error("netlink proc connector unavailable ({step}): {source} (needs root / CAP_NET_ADMIN)")]
    Netlink {
        step: &'static str,
        source: std::io::Error,
    },
}
