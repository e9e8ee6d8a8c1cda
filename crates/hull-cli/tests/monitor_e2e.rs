//! End-to-end tests of `hull monitor` (the real binary).
//!
//! The live scenario needs root, `runc` and `busybox-static` (`.ci/apt/hull-runtime.txt`);
//! without them it prints a loud SKIP, unless `HULL_REQUIRE_RUNTIME=1`, then it fails.
//! Assertions only look at alerts of the test's own container or marked host commands:
//! other processes run on CI machines.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const HULL: &str = env!("CARGO_BIN_EXE_hull");

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn skip_or_fail(why: &str) -> bool {
    if std::env::var("HULL_REQUIRE_RUNTIME").as_deref() == Ok("1") {
        panic!("runtime e2e prerequisites missing: {why}");
    }
    eprintln!("SKIP: runtime e2e: {why}");
    true
}

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(cmd))
            .find(|p| p.is_file())
    })
}

fn busybox() -> Option<PathBuf> {
    ["/bin/busybox", "/usr/bin/busybox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

fn prerequisites() -> Option<(PathBuf, PathBuf)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        skip_or_fail("not root");
        return None;
    }
    let Some(runc) = which("runc") else {
        skip_or_fail("runc not installed");
        return None;
    };
    let Some(bb) = busybox() else {
        skip_or_fail("busybox-static not installed");
        return None;
    };
    Some((runc, bb))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Busybox OCI bundle whose process runs `script`.
fn make_bundle(dir: &Path, runc: &Path, bb: &Path, script: &str) {
    let rootfs = dir.join("rootfs");
    for d in ["bin", "etc", "tmp", "proc", "dev", "sys"] {
        std::fs::create_dir_all(rootfs.join(d)).unwrap();
    }
    std::fs::copy(bb, rootfs.join("bin/busybox")).unwrap();
    let list = Command::new(bb).arg("--list").output().unwrap();
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if applet != "busybox" && !applet.is_empty() {
            let _ = std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet));
        }
    }
    std::fs::write(
        rootfs.join("etc/passwd"),
        "root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(rootfs.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n").unwrap();
    std::fs::write(rootfs.join("etc/shadow"), "root:*:19000:0:99999:7:::\n").unwrap();
    let st = Command::new(runc)
        .arg("spec")
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(st.success(), "runc spec failed");
    let cfg_path = dir.join("config.json");
    let mut cfg: Value = serde_json::from_slice(&std::fs::read(&cfg_path).unwrap()).unwrap();
    cfg["process"]["terminal"] = Value::Bool(false);
    cfg["process"]["args"] = serde_json::json!(["/bin/sh", "-c", script]);
    cfg["root"]["readonly"] = Value::Bool(false);
    // su needs setuid/setgid; the image name is carried as an annotation (runc turns
    // annotations into state labels, which hull reads).
    if let Some(caps) = cfg["process"]["capabilities"].as_object_mut() {
        for (_, v) in caps.iter_mut() {
            if let Some(a) = v.as_array_mut() {
                a.push("CAP_SETUID".into());
                a.push("CAP_SETGID".into());
            }
        }
    }
    cfg["annotations"] = serde_json::json!({"hull.image": "busybox:e2e"});
    std::fs::write(&cfg_path, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
}

struct Monitor {
    child: Child,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        // Only signal a child that has not been reaped (its pid could be reused).
        if matches!(self.child.try_wait(), Ok(None)) {
            // SAFETY: signalling our own, still unreaped child by pid.
            unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        }
        let _ = self.child.wait();
    }
}

fn start_monitor(args: &[&str], stderr: &Path) -> Monitor {
    let child = Command::new(HULL)
        .arg("monitor")
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .unwrap();
    // Wait for the start banner (source subscribed).
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(20) {
        if std::fs::read_to_string(stderr)
            .unwrap_or_default()
            .contains("hull monitor: source=")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Monitor { child }
}

fn read_alerts(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

/// Rules that only fire inside containers (the host half of the scenario must not
/// trigger them).
const CONTAINER_SCOPED: &[&str] = &[
    "shell-in-container",
    "sensitive-file-read",
    "write-below-etc",
    "write-below-binary-dir",
    "uid-change-in-container",
    "outbound-connection-in-container",
];

/// Run the scenario with `source`: inside a runc busybox container spawn a shell, read
/// /etc/shadow, write /etc/x and /bin/x, connect to 127.0.0.1, change uid; do the same on
/// the host. Asserts `expected` alerts for the container (with its id and image), no
/// container-scoped alert for the host pids, optionally the Prometheus query, and that
/// replaying the recording reproduces the container's alerts.
fn scenario(source: &str, expected: &[&str], with_prometheus: bool) {
    // One scenario at a time: monitors and containers of parallel tests would compete
    // for the 2 CI cores and make timing flaky.
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let Some((runc, bb)) = prerequisites() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let id = format!("hull-e2e-{source}-{}", std::process::id());
    let bundle = dir.join("bundle");
    std::fs::create_dir_all(&bundle).unwrap();
    make_bundle(
        &bundle,
        &runc,
        &bb,
        "cat /etc/shadow >/dev/null; cat /run/secrets/kubernetes.io/serviceaccount/token; \
         echo x > /etc/x; echo y > /bin/x; \
         nc -w 1 127.0.0.1 9 </dev/null; su nobody -s /bin/sh -c 'id; sleep 0.5'; sleep 1; true",
    );
    // A Kubernetes-style service-account token, bind-mounted read-only from the host: a
    // mount of its own inside the container (the fallback must mark it too).
    let sa = dir.join("serviceaccount");
    std::fs::create_dir_all(&sa).unwrap();
    std::fs::write(sa.join("token"), "hull-e2e-token\n").unwrap();
    let cfg_path = bundle.join("config.json");
    let mut cfg: Value = serde_json::from_slice(&std::fs::read(&cfg_path).unwrap()).unwrap();
    cfg["mounts"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "destination": "/run/secrets/kubernetes.io/serviceaccount",
            "type": "bind",
            "source": sa.to_str().unwrap(),
            "options": ["rbind", "ro"]
        }));
    std::fs::write(&cfg_path, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    let alerts = dir.join("alerts.jsonl");
    let record = dir.join("events.jsonl");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mon = start_monitor(
        &[
            "--source",
            source,
            "--alerts",
            alerts.to_str().unwrap(),
            "--record",
            record.to_str().unwrap(),
            "--metrics-addr",
            &addr,
        ],
        &dir.join("monitor.err"),
    );
    let banner = std::fs::read_to_string(dir.join("monitor.err")).unwrap();
    assert!(banner.contains(&format!("source={source}")), "{banner}");
    if source == "fallback" {
        // File opens come from fanotify marks (root, so fanotify must be available).
        assert!(banner.contains("opens=fanotify"), "{banner}");
    }

    // The same actions on the host, under a marker argument so their pids can be found
    // in the recording. Host files are created in unique names and removed.
    let marker = format!("hull-e2e-host-{source}-{}", std::process::id());
    let etc_file = format!("/etc/{marker}");
    let bin_file = format!("/bin/{marker}");
    let host_script = format!(
        ": {marker}; cat /etc/shadow >/dev/null; echo x > {etc_file}; echo y > {bin_file}; \
         {bb} nc -w 1 127.0.0.1 9 </dev/null; {bb} su nobody -s /bin/sh -c true; {bb} sh -c true",
        bb = bb.display()
    );
    let _ = Command::new(&bb)
        .args(["sh", "-c", &host_script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let _ = std::fs::remove_file(&etc_file);
    let _ = std::fs::remove_file(&bin_file);

    let out = Command::new(&runc)
        .args(["run", &id])
        .current_dir(&bundle)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "runc run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("uid=65534") && stdout.contains("hull-e2e-token"),
        "{stdout}"
    );

    // Wait for the alerts to be written.
    let t = Instant::now();
    let mut mine = Vec::new();
    let fired = |v: &[Value]| -> Vec<String> {
        let mut r: Vec<String> = v
            .iter()
            .filter_map(|a| a["rule"].as_str().map(String::from))
            .collect();
        r.sort();
        r.dedup();
        r
    };
    while t.elapsed() < Duration::from_secs(10) {
        mine = read_alerts(&alerts)
            .into_iter()
            .filter(|a| a["container_id"] == id.as_str())
            .collect();
        let got = fired(&mine);
        if expected.iter().all(|e| got.iter().any(|g| g == e)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let got = fired(&mine);
    for e in expected {
        if !got.iter().any(|g| g == e) {
            let rec = std::fs::read_to_string(&record).unwrap_or_default();
            let ours: Vec<&str> = rec
                .lines()
                .filter(|l| l.contains(&format!(":/{id}")))
                .take(8)
                .collect();
            panic!(
                "{source}: missing {e}; got {got:?}\nmonitor: {}\nrecorded {} events; ours: {ours:#?}",
                std::fs::read_to_string(dir.join("monitor.err")).unwrap_or_default(),
                rec.lines().count()
            );
        }
    }
    for a in &mine {
        assert_eq!(a["source"], source);
        assert_eq!(a["container"]["image"], "busybox:e2e", "{a}");
    }
    let uid = mine
        .iter()
        .find(|a| a["rule"] == "uid-change-in-container")
        .unwrap();
    assert_eq!(uid["fields"]["user.uid"], "65534");
    // eBPF snapshots credentials in the kernel; the fallback knows the previous uid only
    // when it saw the process before the change (netlink events can arrive reordered).
    let prev = &uid["fields"]["user.prev_uid"];
    assert!(
        prev == "0" || (source == "fallback" && prev.is_null()),
        "{uid}"
    );
    if expected.contains(&"sensitive-file-read") {
        let read: Vec<&str> = mine
            .iter()
            .filter(|a| a["rule"] == "sensitive-file-read")
            .filter_map(|a| a["fields"]["fd.name"].as_str())
            .collect();
        assert!(read.contains(&"/etc/shadow"), "{read:?}");
        assert!(
            read.contains(&"/run/secrets/kubernetes.io/serviceaccount/token"),
            "{read:?}"
        );
    }
    if expected.contains(&"write-below-etc") {
        let w: Vec<&str> = mine
            .iter()
            .filter(|a| {
                a["rule"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("write-below"))
            })
            .filter_map(|a| a["fields"]["fd.name"].as_str())
            .collect();
        assert!(w.contains(&"/etc/x") && w.contains(&"/bin/x"), "{w:?}");
    }
    if expected.contains(&"outbound-connection-in-container") {
        let c = mine
            .iter()
            .find(|a| a["rule"] == "outbound-connection-in-container")
            .unwrap();
        assert_eq!(c["fields"]["net.daddr"], "127.0.0.1");
        assert_eq!(c["fields"]["net.dport"], "9");
    }

    // Host pids: the marked script and everything it forked (from the recording).
    drop_settle();
    let events: Vec<Value> = std::fs::read_to_string(&record)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut host_pids: Vec<u64> = events
        .iter()
        .filter(|e| {
            e["args"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x.as_str().is_some_and(|x| x.contains(marker.as_str())))
            })
        })
        .filter_map(|e| e["pid"].as_u64())
        .collect();
    assert!(
        !host_pids.is_empty(),
        "host script not seen in the recording ({} events)",
        events.len()
    );
    for _ in 0..3 {
        for e in &events {
            if e["type"] == "fork" && e["ppid"].as_u64().is_some_and(|p| host_pids.contains(&p)) {
                if let Some(p) = e["pid"].as_u64() {
                    if !host_pids.contains(&p) {
                        host_pids.push(p);
                    }
                }
            }
        }
    }
    for a in read_alerts(&alerts) {
        let pid: u64 = a["fields"]["proc.pid"]
            .as_str()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let rule = a["rule"].as_str().unwrap_or("");
        if host_pids.contains(&pid) {
            assert!(
                !CONTAINER_SCOPED.contains(&rule),
                "container-scoped rule fired for a host action: {a}"
            );
            assert_eq!(a["container_id"], "host", "{a}");
        }
    }

    // Metrics: our container's alert count, then through a real Prometheus.
    let body = http_get(port, "/metrics").expect("metrics reachable");
    let line = format!("rule=\"shell-in-container\",priority=\"warning\",container_id=\"{id}\"");
    assert!(body.contains(&line), "{body}");
    if with_prometheus {
        prometheus_check(dir, port, &id, mine.len() as f64);
    }
    drop(mon);

    // Replay the recording: the same alerts for our container.
    let replay_out = Command::new(HULL)
        .args([
            "monitor",
            "--replay",
            record.to_str().unwrap(),
            "--no-metrics",
        ])
        .output()
        .unwrap();
    assert!(replay_out.status.success());
    let replayed: Vec<Value> = String::from_utf8_lossy(&replay_out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|a| a["container_id"] == id.as_str())
        .collect();
    let key = |v: &[Value]| {
        let mut k: Vec<(String, String)> = v
            .iter()
            .map(|a| (a["rule"].to_string(), a["fields"]["proc.pid"].to_string()))
            .collect();
        k.sort();
        k
    };
    assert_eq!(key(&replayed), key(&mine));
    assert!(replayed.iter().all(|a| a["source"] == "replay"));
}

/// Give the monitor a moment to write the last recorded events.
fn drop_settle() {
    std::thread::sleep(Duration::from_millis(300));
}

/// eBPF source: all six container actions alerted; Prometheus returns the count.
#[test]
fn ebpf_runc_scenario_prometheus_and_replay() {
    scenario(
        "ebpf",
        &[
            "shell-in-container",
            "sensitive-file-read",
            "write-below-etc",
            "write-below-binary-dir",
            "outbound-connection-in-container",
            "uid-change-in-container",
        ],
        true,
    );
}

/// Fallback source (BPF not used): exec/shell and uid-change alerts from the netlink
/// proc connector; the /etc/shadow read and the /etc/x, /bin/x writes from fanotify
/// marks on the container's root mount (connects are not seen without eBPF).
#[test]
fn fallback_runc_scenario_and_replay() {
    scenario(
        "fallback",
        &[
            "shell-in-container",
            "sensitive-file-read",
            "write-below-etc",
            "write-below-binary-dir",
            "uid-change-in-container",
        ],
        false,
    );
}

fn prometheus_check(dir: &Path, target_port: u16, id: &str, expected: f64) {
    let Some(prom) = which("prometheus") else {
        skip_or_fail("prometheus not installed (Debian package `prometheus`)");
        return;
    };
    let port = free_port();
    let cfg = dir.join("prometheus.yml");
    std::fs::write(
        &cfg,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: hull\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(prom)
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
        .spawn()
        .unwrap();
    let query = format!("sum(hull_alerts_total{{container_id=\"{id}\"}})");
    let enc: String = query
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"_-.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let t = Instant::now();
    let mut got = None;
    while t.elapsed() < Duration::from_secs(60) {
        if let Some(body) = http_get(port, &format!("/api/v1/query?query={enc}")) {
            if let Ok(v) = serde_json::from_str::<Value>(&body) {
                if let Some(val) = v["data"]["result"][0]["value"][1].as_str() {
                    got = val.parse::<f64>().ok();
                    if got == Some(expected) {
                        break;
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        got,
        Some(expected),
        "prometheus query `{query}`; log: {}",
        std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default()
    );
}

/// Bad input: malformed rules are reported with positions and the monitor still runs
/// with the good rules; `--check-rules` fails with exit code 2.
#[test]
fn malformed_rules_reported_monitor_keeps_running() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("bad.yaml");
    std::fs::write(
        &rules,
        "- rule: typo\n  condition: proc.nmae = sh\n- rule: custom-cat\n  condition: evt.type = exec and proc.name = cat\n  priority: notice\n",
    )
    .unwrap();
    let check = Command::new(HULL)
        .args([
            "monitor",
            "--check-rules",
            "--rules",
            rules.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(2));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.contains("bad.yaml:2:14: rule `typo`: unknown field `proc.nmae`"),
        "{err}"
    );

    let events = tmp.path().join("e.jsonl");
    std::fs::write(
        &events,
        "{\"type\":\"exec\",\"pid\":5,\"comm\":\"cat\"}\nnot json\n{\"type\":\"exec\",\"pid\":6,\"comm\":\"cat\"}\n",
    )
    .unwrap();
    let run = Command::new(HULL)
        .args([
            "monitor",
            "--replay",
            events.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--no-metrics",
            "--exit-code",
            "notice",
        ])
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        out.lines().filter(|l| l.contains("\"custom-cat\"")).count(),
        2
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("e.jsonl:2: bad event"), "{err}");
    assert!(err.contains("unknown field `proc.nmae`"), "{err}");
}

/// `--learn`: the profile learned from one run lets the same container run under it,
/// and is minimal: without `connect` (which the container used), nc is refused EPERM.
#[test]
fn learn_writes_working_minimal_seccomp_profile() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let Some((runc, bb)) = prerequisites() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bundle = dir.join("bundle");
    std::fs::create_dir_all(&bundle).unwrap();
    make_bundle(
        &bundle,
        &runc,
        &bb,
        "cat /etc/passwd >/dev/null; nc -w 1 127.0.0.1 9 </dev/null; echo done",
    );
    let out_dir = dir.join("profiles");
    let err = dir.join("learn.err");
    let mon = start_monitor(
        &[
            "--source",
            "ebpf",
            "--learn",
            "4s",
            "--seccomp-out",
            out_dir.to_str().unwrap(),
            "--no-metrics",
        ],
        &err,
    );
    let id = format!("hull-learn-{}", std::process::id());
    let run = |id: &str| {
        Command::new(&runc)
            .args(["run", id])
            .current_dir(&bundle)
            .output()
            .unwrap()
    };
    let first = run(&id);
    assert!(first.status.success());
    let mut mon = mon;
    let status = mon.child.wait().unwrap();
    let log = std::fs::read_to_string(&err).unwrap_or_default();
    assert!(status.success(), "{log}");
    let profile_path = out_dir.join(format!("{id}.json"));
    let profile: Value = serde_json::from_slice(
        &std::fs::read(&profile_path).unwrap_or_else(|e| panic!("{e}: {log}")),
    )
    .unwrap();
    let names: Vec<String> = profile["syscalls"][0]["names"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    assert!(names.contains(&"connect".to_string()), "{names:?}");
    assert!(!names.contains(&"ptrace".to_string()), "{names:?}");

    let set_profile = |p: &Value| {
        let cfg_path = bundle.join("config.json");
        let mut cfg: Value = serde_json::from_slice(&std::fs::read(&cfg_path).unwrap()).unwrap();
        cfg["linux"]["seccomp"] = p.clone();
        std::fs::write(&cfg_path, serde_json::to_vec(&cfg).unwrap()).unwrap();
    };
    set_profile(&profile);
    let second = run(&format!("{id}-b"));
    assert!(
        second.status.success(),
        "container failed under its learned profile: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(String::from_utf8_lossy(&second.stdout).contains("done"));
    assert!(String::from_utf8_lossy(&second.stderr).contains("refused"));

    let mut stricter = profile.clone();
    let list = stricter["syscalls"][0]["names"].as_array_mut().unwrap();
    list.retain(|v| v != "connect");
    set_profile(&stricter);
    let third = run(&format!("{id}-c"));
    assert!(
        String::from_utf8_lossy(&third.stderr).contains("Operation not permitted"),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
}

/// SIGHUP reloads the rule files: a rewritten rule fires from then on; a broken file is
/// reported with file:line:column and the previous rules stay. Events come through a
/// FIFO replay, so the monitor keeps running between steps (no root needed).
#[test]
fn sighup_reloads_rules_and_keeps_old_rules_on_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let fifo = dir.join("events.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: c is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let rules = dir.join("custom.yaml");
    let rule = |name: &str, comm: &str| {
        format!("- rule: {name}\n  desc: test\n  condition: evt.type = exec and proc.name = {comm}\n  output: ran %proc.name\n  priority: notice\n")
    };
    std::fs::write(&rules, rule("old-rule", "aaa")).unwrap();
    let alerts = dir.join("alerts.jsonl");
    let port = free_port();
    let err = dir.join("monitor.err");
    let child = Command::new(HULL)
        .args(["monitor", "--no-default-rules", "--replay"])
        .arg(&fifo)
        .arg("--rules")
        .arg(&rules)
        .arg("--alerts")
        .arg(&alerts)
        .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let mut mon = Monitor { child };
    // Opening the FIFO for writing waits until the monitor opened it for reading.
    let mut events = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let wait_for = |what: &dyn Fn() -> bool, label: &str| {
        let t = Instant::now();
        while !what() {
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "timed out waiting for {label}; monitor: {}",
                std::fs::read_to_string(&err).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let rules_fired = || -> Vec<String> {
        read_alerts(&alerts)
            .iter()
            .filter_map(|a| a["rule"].as_str().map(String::from))
            .collect()
    };
    let mut send = |comm: &str| {
        writeln!(
            events,
            "{{\"type\":\"exec\",\"pid\":7,\"comm\":\"{comm}\"}}"
        )
        .unwrap();
        events.flush().unwrap();
    };
    let hup = |mon: &Monitor| {
        // SAFETY: signalling our own, still running child.
        unsafe { libc::kill(mon.child.id() as i32, libc::SIGHUP) };
    };
    let stderr_has = |s: &str| {
        std::fs::read_to_string(&err)
            .unwrap_or_default()
            .contains(s)
    };

    send("aaa");
    wait_for(&|| rules_fired() == ["old-rule"], "the first rule");

    std::fs::write(&rules, rule("new-rule", "bbb")).unwrap();
    hup(&mon);
    wait_for(&|| stderr_has("rules reloaded, 1 enabled"), "the reload");
    send("aaa");
    send("bbb");
    wait_for(&|| rules_fired().len() == 2, "the new rule");
    assert_eq!(rules_fired(), ["old-rule", "new-rule"]);

    // Broken: an unknown field on line 7. The running rules stay.
    std::fs::write(
        &rules,
        format!(
            "{}- rule: broken\n  condition: proc.nmae = x\n  output: x\n  priority: notice\n",
            rule("never-loaded", "ccc")
        ),
    )
    .unwrap();
    hup(&mon);
    wait_for(
        &|| stderr_has("keeping the previous rules"),
        "the failed reload",
    );
    let log = std::fs::read_to_string(&err).unwrap();
    assert!(
        log.contains("custom.yaml:7:14: rule `broken`: unknown field `proc.nmae`"),
        "{log}"
    );
    send("ccc");
    send("bbb");
    wait_for(&|| rules_fired().len() == 3, "the kept rule");
    assert_eq!(rules_fired(), ["old-rule", "new-rule", "new-rule"]);
    let body = http_get(port, "/metrics").expect("metrics reachable");
    assert!(
        body.contains("hull_rules_reload_total{result=\"ok\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("hull_rules_reload_total{result=\"error\"} 1"),
        "{body}"
    );

    // End of the FIFO ends the replay: a clean exit.
    drop(events);
    let status = mon.child.wait().unwrap();
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&err).unwrap()
    );
}

/// A webhook CA file that cannot be used stops the monitor at start with one clear
/// line and exit code 2 (not at the first alert).
#[test]
fn bad_webhook_ca_is_a_start_error() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("e.jsonl");
    std::fs::write(&events, "").unwrap();
    let ca = tmp.path().join("ca.pem");
    std::fs::write(&ca, "no certificate here\n").unwrap();
    let out = Command::new(HULL)
        .args(["monitor", "--no-metrics", "--replay"])
        .arg(&events)
        .args(["--webhook", "https://127.0.0.1:1/hook", "--webhook-ca"])
        .arg(&ca)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds no PEM certificate"), "{err}");
}

/// Without CAP_SYS_ADMIN (dropped from the bounding set) fanotify cannot be used: the
/// fallback still runs with process events, and says so in its banner.
#[test]
fn fallback_without_fanotify_keeps_running_and_says_so() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        skip_or_fail("not root");
        return;
    }
    let Some(setpriv) = which("setpriv") else {
        skip_or_fail("setpriv (util-linux) not installed");
        return;
    };
    let out = Command::new(setpriv)
        .args(["--bounding-set", "-sys_admin", HULL])
        .args([
            "monitor",
            "--source",
            "fallback",
            "--duration",
            "1",
            "--no-metrics",
        ])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("source=fallback, opens=off (fanotify_init: Operation not permitted"),
        "{err}"
    );
    assert!(err.contains("fanotify unavailable"), "{err}");
}

/// `--webhook https://…` with `--webhook-ca`: the real binary posts each alert over TLS
/// to a loopback server whose certificate comes from a CA made in the test; without
/// the CA option the same server is refused and the alert counted as dropped.
#[test]
fn https_webhook_with_internal_ca() {
    let https = hull_testkit::tls::HttpsReceiver::start();
    let port = https.port;
    let tmp = tempfile::tempdir().unwrap();
    let ca_file = tmp.path().join("ca.pem");
    std::fs::write(&ca_file, &https.ca_pem).unwrap();
    let events = tmp.path().join("e.jsonl");
    std::fs::write(
        &events,
        "{\"type\":\"exec\",\"pid\":5,\"comm\":\"sh\",\"container\":{\"id\":\"c1\"}}\n",
    )
    .unwrap();
    let url = format!("https://127.0.0.1:{port}/hook");
    let run = |extra: &[&std::ffi::OsStr]| {
        Command::new(HULL)
            .args(["monitor", "--no-metrics", "--webhook", &url, "--replay"])
            .arg(&events)
            .args(extra)
            .args(["--webhook-timeout", "2"])
            .output()
            .unwrap()
    };
    let out = run(&["--webhook-ca".as_ref(), ca_file.as_os_str()]);
    assert!(out.status.success());
    let body = https
        .next(Duration::from_secs(10))
        .expect("alert posted over https");
    let alert: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(alert["rule"], "shell-in-container");
    assert_eq!(alert["container_id"], "c1");

    // The public roots alone do not trust the test CA: nothing is delivered.
    let out = run(&[]);
    assert!(out.status.success());
    assert_eq!(https.next(Duration::from_millis(500)), None);
}
