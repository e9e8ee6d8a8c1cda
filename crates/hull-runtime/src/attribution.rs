//! Container attribution: which container (if any) a process belongs to.
//!
//! Two sources of truth, cheapest first:
//! 1. The cgroup path (`/proc/<pid>/cgroup`): container engines put each container in a
//!    cgroup whose last components carry the container id — `docker-<id>.scope`,
//!    `cri-containerd-<id>.scope`, `crio-<id>.scope`, `libpod-<id>.scope` (podman, also
//!    rootless under `user@UID.service`), `/docker/<id>`, `/kubepods/<qos>/pod<uid>/<id>`.
//!    Kubernetes pod UIDs come from the `pod<uid>` component (systemd drivers write the
//!    UID with `_` instead of `-`).
//! 2. Runtime state (`--runtime-root`, default `/run/runc`): runc writes one
//!    `state.json` per container with its cgroup paths, rootfs, creation time and labels
//!    (OCI annotations + `bundle=`). This names containers that plain `runc run` started
//!    in an arbitrary cgroup, and adds name/image/pod labels when the engine set them.
//!
//! Parsing is pure (table-tested); only [`Attributor`] reads files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// A container as alerts and metrics name it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Container {
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image: String,
    /// docker, containerd, cri-o, podman, runc…
    #[serde(skip_serializing_if = "String::is_empty")]
    pub runtime: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pod_uid: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pod_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Creation time (ns since epoch) when the runtime state says; used for drift.
    #[serde(skip_serializing_if = "is_zero")]
    pub created_ns: u64,
    /// Host path of the root filesystem when known.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rootfs: String,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_hex_id(s: &str) -> bool {
    s.len() >= 12 && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Attribute one cgroup path (one line's path part, e.g. `/system.slice/docker-ab….scope`).
/// Returns `None` for host cgroups (and for engine helper processes such as conmon).
pub fn from_cgroup_path(path: &str) -> Option<Container> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut pod_uid = String::new();
    for p in &parts {
        if let Some(uid) = pod_component(p) {
            pod_uid = uid;
        }
    }
    // Walk from the leaf up: podman with cgroupns adds a `/container` leaf below the scope.
    for (i, part) in parts.iter().enumerate().rev() {
        let scoped = part.strip_suffix(".scope").unwrap_or(part);
        let prefixed: [(&str, &str); 6] = [
            ("docker-", "docker"),
            ("cri-containerd-", "containerd"),
            ("crio-", "cri-o"),
            ("libpod-", "podman"),
            ("nerdctl-", "containerd"),
            ("containerd-", "containerd"),
        ];
        for (prefix, runtime) in prefixed {
            if let Some(id) = scoped.strip_prefix(prefix) {
                if is_hex_id(id) {
                    return Some(Container {
                        id: id.to_string(),
                        runtime: runtime.to_string(),
                        pod_uid,
                        ..Container::default()
                    });
                }
            }
        }
        // cgroupfs drivers: `/docker/<id>`, `/kubepods/<qos>/pod<uid>/<id>`,
        // `/<namespace>/<id>` for plain containerd.
        if is_hex_id(part) && part.len() == 64 && i > 0 {
            let parent = parts[i - 1];
            let runtime = if parent == "docker" {
                "docker"
            } else if !pod_uid.is_empty() {
                "kubernetes"
            } else {
                "containerd"
            };
            return Some(Container {
                id: part.to_string(),
                runtime: runtime.to_string(),
                pod_uid,
                ..Container::default()
            });
        }
    }
    None
}

/// cgroups that systemd gives host services and sessions: never containers.
fn is_host_cgroup(proc_cgroup: &str) -> bool {
    let paths = cgroup_paths(proc_cgroup);
    !paths.is_empty()
        && paths.iter().all(|p| {
            *p == "/"
                || p.ends_with(".service")
                || p.ends_with("/init.scope")
                || (p.starts_with("/user.slice/") && p.contains("/session-"))
        })
}

/// `pod<uid>` or `kubepods-<qos>-pod<uid>.slice` → the pod UID with dashes.
fn pod_component(part: &str) -> Option<String> {
    let s = part.strip_suffix(".slice").unwrap_or(part);
    let idx = s.rfind("pod")?;
    let uid = &s[idx + 3..];
    if idx > 0 && !s[..idx].ends_with('-') {
        return None;
    }
    let uid = uid.replace('_', "-");
    let ok = uid.len() == 36
        && uid.bytes().enumerate().all(|(i, b)| {
            matches!(i, 8 | 13 | 18 | 23) == (b == b'-') && (b == b'-' || b.is_ascii_hexdigit())
        });
    ok.then_some(uid)
}

/// Paths of a `/proc/<pid>/cgroup` file: the v2 line (`0::/x`) first, then v1 lines.
pub fn cgroup_paths(proc_cgroup: &str) -> Vec<&str> {
    let mut v2 = Vec::new();
    let mut v1 = Vec::new();
    for line in proc_cgroup.lines() {
        let mut it = line.splitn(3, ':');
        let (Some(hier), Some(_ctrl), Some(path)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        if hier == "0" {
            v2.push(path);
        } else {
            v1.push(path);
        }
    }
    v2.extend(v1);
    v2
}

/// The subset of runc's `state.json` hull reads (libcontainer's `State`).
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct RuncState {
    id: String,
    created: String,
    config: RuncConfig,
    cgroup_paths: HashMap<String, String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct RuncConfig {
    rootfs: String,
    labels: Vec<String>,
}

/// One container known from runtime state, with the cgroup paths that identify it.
#[derive(Debug, Clone)]
pub struct StateEntry {
    pub container: Container,
    /// Absolute cgroupfs paths, e.g. `/sys/fs/cgroup/memory/ctr` or `/sys/fs/cgroup/ctr`.
    pub cgroup_paths: Vec<String>,
}

/// Parse one runc `state.json`. Errors are strings: state files are read best-effort.
pub fn parse_runc_state(json: &[u8]) -> Result<StateEntry, String> {
    let st: RuncState = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    if st.id.is_empty() {
        return Err("state has no id".into());
    }
    let mut c = Container {
        id: st.id.clone(),
        runtime: "runc".into(),
        rootfs: st.config.rootfs.clone(),
        created_ns: parse_rfc3339_ns(&st.created).unwrap_or(0),
        ..Container::default()
    };
    for label in &st.config.labels {
        let Some((k, v)) = label.split_once('=') else {
            continue;
        };
        match k {
            // containerd CRI, CRI-O, docker/nerdctl and OCI image annotations.
            "io.kubernetes.cri.image-name"
            | "io.kubernetes.cri-o.ImageName"
            | "org.opencontainers.image.ref.name"
            | "nerdctl/image"
            | "hull.image" => c.image = v.to_string(),
            "io.kubernetes.cri.container-name"
            | "io.kubernetes.container.name"
            | "nerdctl/name"
            | "hull.name" => c.name = v.to_string(),
            "io.kubernetes.cri.sandbox-name" | "io.kubernetes.pod.name" => {
                c.pod_name = v.to_string()
            }
            "io.kubernetes.cri.sandbox-namespace" | "io.kubernetes.pod.namespace" => {
                c.namespace = v.to_string()
            }
            "io.kubernetes.cri.sandbox-uid" | "io.kubernetes.pod.uid" => c.pod_uid = v.to_string(),
            _ => {}
        }
    }
    if c.name.is_empty() {
        c.name = st.id.clone();
    }
    let mut cgroup_paths: Vec<String> = st.cgroup_paths.into_values().collect();
    cgroup_paths.sort();
    cgroup_paths.dedup();
    Ok(StateEntry {
        container: c,
        cgroup_paths,
    })
}

/// `2024-05-01T10:00:00.123456789Z` (or with `+00:00`) → ns since epoch. UTC offsets
/// other than zero are applied.
pub fn parse_rfc3339_ns(s: &str) -> Option<u64> {
    let s = s.trim();
    let (date, rest) = s.split_once('T')?;
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    let (time, offset_s) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0i64)
    } else {
        let pos = rest.rfind(['+', '-'])?;
        let (t, off) = rest.split_at(pos);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off.get(1..)?.split_once(':')?;
        (
            t,
            sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60),
        )
    };
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':');
    let hh: i64 = t.next()?.parse().ok()?;
    let mm: i64 = t.next()?.parse().ok()?;
    let ss: i64 = t.next()?.parse().ok()?;
    let mut nanos: u64 = 0;
    let frac: String = frac.chars().take(9).collect();
    if !frac.is_empty() {
        nanos = frac.parse().ok()?;
        nanos *= 10u64.pow(9 - frac.len() as u32);
    }
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from civil (inverse of event::rfc3339).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss - offset_s;
    u64::try_from(secs).ok().map(|s| s * 1_000_000_000 + nanos)
}

/// The cache key of a cgroup description: its unified (`0::`) path when that names a
/// cgroup below the root, so the full `/proc/<pid>/cgroup` text of a live process and
/// the `0::<path>` a source resolved from a cgroup id (process already gone) share one
/// entry; otherwise (cgroup v1 only, or a v2 path of `/`) the whole text.
fn cache_key(proc_cgroup: &str) -> &str {
    proc_cgroup
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .filter(|p| !p.is_empty() && *p != "/")
        .unwrap_or(proc_cgroup)
}

/// Looks containers up by cgroup path, with runtime-state enrichment and a cache.
pub struct Attributor {
    roots: Vec<PathBuf>,
    states: Vec<StateEntry>,
    /// Positive answers, kept until the cache is trimmed.
    cache: HashMap<String, Container>,
    /// Negative answers with the time they were made: a cgroup seen before its runtime
    /// wrote `state.json` (runc's init forks first) must be looked at again.
    /// cgroup text -> (event time of the first miss, wall time of the scan).
    misses: HashMap<String, (u64, u64)>,
    last_scan: Option<Instant>,
    /// Wall time (ns) of the last state scan: a miss is valid for events up to then.
    last_scan_ns: u64,
    /// state.json path -> (mtime, parsed entry).
    parsed: HashMap<PathBuf, (std::time::SystemTime, StateEntry)>,
    /// Entries added with [`Attributor::add_state`].
    extra: Vec<StateEntry>,
    /// State files that could not be read or parsed (reported, not fatal).
    pub state_errors: u64,
}

impl Attributor {
    pub fn new(runtime_roots: Vec<PathBuf>) -> Attributor {
        Attributor {
            roots: runtime_roots,
            states: Vec::new(),
            cache: HashMap::new(),
            misses: HashMap::new(),
            last_scan: None,
            last_scan_ns: 0,
            parsed: HashMap::new(),
            extra: Vec::new(),
            state_errors: 0,
        }
    }

    /// Re-read runtime state directories (at most every 200 ms; new containers appear
    /// as cache misses, so this runs when an unknown cgroup shows up).
    fn rescan(&mut self, force: bool) {
        if !force {
            if let Some(t) = self.last_scan {
                if t.elapsed() < Duration::from_millis(2) {
                    return;
                }
            }
        }
        self.last_scan = Some(Instant::now());
        self.last_scan_ns = crate::event::now_ns();
        let mut found = Vec::new();
        for root in &self.roots {
            find_state_files(root, 0, &mut found);
        }
        // Incremental: only new or modified state files are read and parsed.
        let mut next = HashMap::new();
        for (path, mtime) in found {
            match self.parsed.remove(&path) {
                Some((m, st)) if m == mtime => {
                    next.insert(path, (m, st));
                }
                _ => match std::fs::read(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|b| parse_runc_state(&b))
                {
                    Ok(st) => {
                        next.insert(path, (mtime, st));
                    }
                    Err(_) => self.state_errors += 1,
                },
            }
        }
        self.parsed = next;
        self.states = self.extra.clone();
        self.states
            .extend(self.parsed.values().map(|(_, st)| st.clone()));
    }

    /// Attribute the content of a `/proc/<pid>/cgroup` file (a bare path such as
    /// `/docker/<id>` is accepted too).
    pub fn attribute(&mut self, proc_cgroup: &str) -> Option<Container> {
        self.attribute_at(proc_cgroup, crate::event::now_ns())
    }

    /// Attribute an event that happened at `ts_ns`. A "not a container" answer is only
    /// reused for events older than the state scan it came from: a container's first
    /// processes (runc init) run before its `state.json` exists, and events are often
    /// processed in bursts, so wall-clock caching would misattribute them.
    pub fn attribute_at(&mut self, proc_cgroup: &str, ts_ns: u64) -> Option<Container> {
        let key = cache_key(proc_cgroup);
        if let Some(hit) = self.cache.get(key) {
            return Some(hit.clone());
        }
        let mut first_miss = ts_ns;
        if let Some(&(first, scanned)) = self.misses.get(key) {
            // systemd host services and sessions are never containers, nor is a cgroup
            // that stayed unknown for a second (runtimes write state within
            // milliseconds of creating a container's cgroup).
            if ts_ns <= scanned
                || ts_ns.saturating_sub(first) > 1_000_000_000
                || is_host_cgroup(proc_cgroup)
            {
                return None;
            }
            first_miss = first;
        }
        let wrapped;
        let text = if proc_cgroup.contains(':') {
            proc_cgroup
        } else {
            wrapped = format!("0::{proc_cgroup}");
            &wrapped
        };
        let paths: Vec<String> = cgroup_paths(text).into_iter().map(str::to_string).collect();
        let mut found = self.lookup(&paths);
        if found.is_none() && paths.iter().any(|p| p != "/") && ts_ns > self.last_scan_ns {
            self.rescan(true);
            found = self.lookup(&paths);
        }
        if self.cache.len() > 50_000 {
            self.cache.clear();
        }
        if self.misses.len() > 50_000 {
            self.misses.clear();
        }
        match &found {
            Some(c) => {
                self.misses.remove(key);
                self.cache.insert(key.to_string(), c.clone());
            }
            None => {
                let scanned = self.last_scan_ns;
                self.misses.insert(key.to_string(), (first_miss, scanned));
            }
        }
        found
    }

    fn lookup(&self, paths: &[String]) -> Option<Container> {
        // Runtime state first: it knows names/images and arbitrary cgroup names.
        for p in paths {
            if p == "/" || p.is_empty() {
                continue;
            }
            for st in &self.states {
                if st.cgroup_paths.iter().any(|cp| cgroup_matches(cp, p)) {
                    let mut c = st.container.clone();
                    if let Some(from_path) = from_cgroup_path(p) {
                        if c.pod_uid.is_empty() {
                            c.pod_uid = from_path.pod_uid;
                        }
                    }
                    return Some(c);
                }
            }
        }
        for p in paths {
            if let Some(mut c) = from_cgroup_path(p) {
                // Engines that use runc name their state dir after the full id.
                if let Some(st) = self.states.iter().find(|s| s.container.id == c.id) {
                    let s = &st.container;
                    c.name = s.name.clone();
                    c.image = s.image.clone();
                    c.created_ns = s.created_ns;
                    c.rootfs = s.rootfs.clone();
                    if c.pod_name.is_empty() {
                        c.pod_name = s.pod_name.clone();
                        c.namespace = s.namespace.clone();
                    }
                }
                return Some(c);
            }
        }
        None
    }

    /// Insert a state entry directly (tests, or sources that learn containers otherwise).
    pub fn add_state(&mut self, entry: StateEntry) {
        self.extra.push(entry.clone());
        self.states.push(entry);
        self.cache.clear();
        self.misses.clear();
    }

    pub fn known_containers(&mut self) -> Vec<Container> {
        self.rescan(true);
        self.states.iter().map(|s| s.container.clone()).collect()
    }
}

/// Does the absolute cgroupfs path `abs` (from runc state) denote the `/proc` path `rel`?
/// `rel` starts with `/`, so a suffix match always lands on a component boundary.
fn cgroup_matches(abs: &str, rel: &str) -> bool {
    let rel = rel.trim_end_matches('/');
    !rel.is_empty() && rel.starts_with('/') && abs.trim_end_matches('/').ends_with(rel)
}

fn find_state_files(dir: &Path, depth: u32, out: &mut Vec<(PathBuf, std::time::SystemTime)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let p = entry.path();
        if p.file_name().is_some_and(|n| n == "state.json") {
            if let Ok(m) = entry.metadata().and_then(|m| m.modified()) {
                out.push((p, m));
            }
        } else if depth < 3 && entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            find_state_files(&p, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f4a0c1e2b7d9a8c6e5f4b3a2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

    #[test]
    fn cgroup_path_shapes() {
        let pod = "5a8e6c1d-3b2f-4e7a-9c0d-1e2f3a4b5c6d";
        let pod_us = pod.replace('-', "_");
        type Want<'a> = Option<(&'a str, &'a str, &'a str)>;
        let cases: Vec<(String, Want)> = vec![
            (format!("/system.slice/docker-{ID}.scope"), Some((ID, "docker", ""))),
            (format!("/docker/{ID}"), Some((ID, "docker", ""))),
            (
                format!("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{pod_us}.slice/cri-containerd-{ID}.scope"),
                Some((ID, "containerd", pod)),
            ),
            (
                format!("/kubepods/besteffort/pod{pod}/{ID}"),
                Some((ID, "kubernetes", pod)),
            ),
            (
                format!("/kubepods.slice/kubepods-pod{pod_us}.slice/crio-{ID}.scope"),
                Some((ID, "cri-o", pod)),
            ),
            (format!("/machine.slice/libpod-{ID}.scope"), Some((ID, "podman", ""))),
            (format!("/machine.slice/libpod-{ID}.scope/container"), Some((ID, "podman", ""))),
            (
                format!("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"),
                Some((ID, "podman", "")),
            ),
            (format!("/default/{ID}"), Some((ID, "containerd", ""))),
            // Engine helpers and host services are not containers.
            (format!("/machine.slice/libpod-conmon-{ID}.scope"), None),
            (format!("/system.slice/crio-conmon-{ID}.scope"), None),
            ("/user.slice/user-1000.slice/session-3.scope".into(), None),
            ("/system.slice/docker.service".into(), None),
            ("/".into(), None),
            ("".into(), None),
            ("/docker/not-an-id".into(), None),
        ];
        for (path, want) in cases {
            let got = from_cgroup_path(&path);
            match (got, want) {
                (None, None) => {}
                (Some(c), Some((id, rt, pod))) => {
                    assert_eq!(c.id, id, "{path}");
                    assert_eq!(c.runtime, rt, "{path}");
                    assert_eq!(c.pod_uid, pod, "{path}");
                }
                (got, want) => panic!("{path}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn proc_cgroup_lines_v2_first() {
        let text = "12:memory:/docker/abc\n1:name=systemd:/x\n0::/system.slice/y.scope\nbogus\n";
        assert_eq!(
            cgroup_paths(text),
            vec!["/system.slice/y.scope", "/docker/abc", "/x"]
        );
    }

    #[test]
    fn runc_state_parsed_and_matched() {
        let json = br#"{"id":"e2e-1","init_process_pid":42,"created":"2026-11-29T10:00:00.5Z",
            "config":{"rootfs":"/tmp/b/rootfs","labels":["bundle=/tmp/b","hull.image=busybox:test"]},
            "cgroup_paths":{"memory":"/sys/fs/cgroup/memory/e2e-1","":"/sys/fs/cgroup/unified/e2e-1"}}"#;
        let st = parse_runc_state(json).unwrap();
        assert_eq!(st.container.id, "e2e-1");
        assert_eq!(st.container.image, "busybox:test");
        assert_eq!(st.container.rootfs, "/tmp/b/rootfs");
        assert_eq!(st.container.created_ns, 1_795_946_400_500_000_000);
        let mut a = Attributor::new(vec![]);
        a.add_state(st);
        let c = a.attribute("12:memory:/e2e-1\n0::/e2e-1\n").unwrap();
        assert_eq!(c.id, "e2e-1");
        assert!(a.attribute("0::/e2e-10\n").is_none());
        assert!(a.attribute("0::/\n").is_none());
        // Bare paths work too; a miss is retried once the runtime state appears.
        assert!(a.attribute("/late").is_none());
        a.add_state(
            parse_runc_state(br#"{"id":"late","cgroup_paths":{"":"/sys/fs/cgroup/late"}}"#)
                .unwrap(),
        );
        assert_eq!(a.attribute("/late").unwrap().id, "late");
        assert!(parse_runc_state(b"{").is_err());
        assert!(parse_runc_state(b"{}").is_err());
    }

    #[test]
    fn a_container_gone_before_a_late_lookup_is_still_known() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("short");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(
            dir.join("state.json"),
            br#"{"id":"short","cgroup_paths":{"memory":"/sys/fs/cgroup/memory/short","":"/sys/fs/cgroup/short"}}"#,
        )
        .unwrap();
        let mut a = Attributor::new(vec![root.path().to_path_buf()]);
        // A live process: the whole /proc/<pid>/cgroup text of a hybrid host.
        assert_eq!(
            a.attribute("4:memory:/short\n0::/short\n").unwrap().id,
            "short"
        );
        // runc removes the state at exit (another lookup rescans and sees it gone); a
        // late lookup that only knows the unified path (resolved from a cgroup id, as
        // --learn does at the end) still finds it.
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(a.attribute("0::/other\n").is_none());
        assert!(a.states.is_empty());
        assert_eq!(a.attribute_at("0::/short\n", 0).unwrap().id, "short");
        // The root cgroup is no shared key.
        assert!(a.attribute_at("0::/\n", 0).is_none());
    }

    #[test]
    fn rfc3339_parse_round_trip() {
        for ns in [0u64, 1_700_000_000_123_456_789, 1_709_210_096_500_000_000] {
            assert_eq!(parse_rfc3339_ns(&crate::event::rfc3339(ns)), Some(ns));
        }
        assert_eq!(parse_rfc3339_ns("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_rfc3339_ns("garbage"), None);
        assert_eq!(parse_rfc3339_ns("2020-13-01T00:00:00Z"), None);
    }
}
