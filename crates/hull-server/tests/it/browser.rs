//! The dashboard in a real browser: headless Chromium (Debian's `chromium`) driven
//! over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON messages
//! ending in NUL on fds 3 and 4; no network port, no extra crate). Sign-in sets an
//! HttpOnly cookie; forms and cookie-authenticated API calls without the right CSRF
//! token are refused; a page on another origin cannot post through the browser.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{write_db, Harness};

struct Browser {
    child: Child,
    to: std::fs::File,
    from: Receiver<Value>,
    next_id: u64,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two new descriptors, owned from here on.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2");
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

impl Browser {
    fn start() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (cmd_r, cmd_w) = pipe(); // we write commands, chromium reads fd 3
        let (ev_r, ev_w) = pipe(); // chromium writes fd 4, we read
        let (r3, w4) = (cmd_r.as_raw_fd(), ev_w.as_raw_fd());
        let mut cmd = Command::new("chromium");
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        // SAFETY: only async-signal-safe dup2 calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::dup2(r3, 3) < 0 || libc::dup2(w4, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn chromium");
        drop(cmd_r);
        drop(ev_w);
        let (tx, from) = channel();
        let mut reader = std::fs::File::from(ev_r);
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            loop {
                let n = match reader.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                while let Some(end) = buf.iter().position(|b| *b == 0) {
                    let msg: Vec<u8> = buf.drain(..=end).collect();
                    if let Ok(v) = serde_json::from_slice::<Value>(&msg[..msg.len() - 1]) {
                        if tx.send(v).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let mut b = Browser {
            child,
            to: std::fs::File::from(cmd_w),
            from,
            next_id: 0,
            session: None,
            _profile: profile,
        };
        let target = b.call("Target.createTarget", json!({ "url": "about:blank" }));
        let tid = target["targetId"].as_str().unwrap().to_string();
        let att = b.call(
            "Target.attachToTarget",
            json!({ "targetId": tid, "flatten": true }),
        );
        b.session = Some(att["sessionId"].as_str().unwrap().to_string());
        // The dashboard's CSP forbids scripts; the test's own evaluations must run.
        b.call("Page.setBypassCSP", json!({ "enabled": true }));
        b
    }

    /// Send one command (to the page's session once attached) and wait for its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .from
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer to {method}"));
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    /// Evaluate `js` in the page (awaiting a promise); its value.
    fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": js, "awaitPromise": true, "returnByValue": true }),
        );
        r["result"]["value"].clone()
    }

    fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url }));
    }

    /// Wait until `js` evaluates to `true`.
    fn until(&mut self, what: &str, js: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if self.eval(js) == json!(true) {
                return;
            }
            let state = self.eval("location.href + ' ' + document.body?.innerText?.slice(0, 300)");
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {state}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A one-page site on another loopback origin whose form posts a forged scan to
/// `target` as soon as it loads (the classic cross-site form POST, `text/plain`).
fn evil_site(target: &str) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", l.local_addr().unwrap());
    let page = format!(
        "<!doctype html><form id=f method=post enctype=text/plain action=\"{target}/api/v1/scans\">\
         <input name='{{\"inventory\":{{\"image\":{{\"target\":\"x\",\"repo_tags\":[\"app:9.9.9\"]}},\"packages\":[],\"pad\":\"' value='\"}}}}'>\
         </form><script>document.getElementById('f').submit()</script>"
    );
    std::thread::spawn(move || {
        // Bounded: a handful of requests (the page, a favicon).
        for mut c in l.incoming().flatten().take(4) {
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = write!(
                c,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    url
}

#[test]
fn dashboard_sign_in_csrf_and_cross_origin_in_chromium() {
    if !hull_testkit::tool("chromium", ".ci/apt/hull-server.txt") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vulndb = dir.path().join("hull.db");
    write_db(&vulndb, vec![], "2026-01-01T00:00:00Z");
    let h = Harness::start(dir, vulndb, 1 << 20);
    let mut b = Browser::start();

    // Not signed in: the dashboard is a 401.
    b.goto(&format!("{}/", h.base));
    b.until(
        "the 401",
        "document.body.innerText.includes('needs a token')",
    );

    // Sign in with the admin token through the form.
    b.goto(&format!("{}/sign-in", h.base));
    b.until("the sign-in form", "!!document.getElementById('token')");
    b.eval(&format!(
        "document.getElementById('token').value = '{}'; document.getElementById('go').click(); true",
        h.admin
    ));
    b.until(
        "the signed-in dashboard",
        "location.pathname === '/' && document.getElementById('actor')?.textContent === 'token:1:admin'",
    );
    // The session cookie is HttpOnly: page scripts cannot read it.
    assert_eq!(b.eval("document.cookie"), json!(""));

    // Cookie-authenticated state changes without the right CSRF token: 403.
    let status = b.eval(
        "fetch('/ui/rescan', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'csrf=wrong'}).then(r => r.status)",
    );
    assert_eq!(status, json!(403));
    let status = b.eval("fetch('/api/v1/rescan', {method: 'POST'}).then(r => r.status)");
    assert_eq!(status, json!(403));
    // The form's own token works: the button rescans.
    b.eval("document.getElementById('rescan').click(); true");
    b.until(
        "the rescan",
        "document.body.innerText.includes('Rescanned')",
    );
    let events = h.get_json("/api/v1/events");
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "rescan" && e["actor"] == "token:1:admin"),
        "{events}"
    );

    // Another origin's page posts a forged scan through the signed-in browser.
    let evil = evil_site(&h.base);
    b.goto(&evil);
    b.until(
        "the refused cross-origin post",
        "document.body.innerText.includes('cross-origin POST refused')",
    );
    let images = h.get_json("/api/v1/images");
    assert_eq!(images["images"].as_array().unwrap().len(), 0, "{images}");

    // Signing out ends the session.
    b.goto(&format!("{}/", h.base));
    b.until("the dashboard", "!!document.getElementById('actor')");
    b.eval("document.querySelector('form[action=\"/sign-out\"] button').click(); true");
    b.until("the sign-in page", "location.pathname === '/sign-in'");
    b.goto(&format!("{}/", h.base));
    b.until("the 401 again", "document.body.innerText.includes('sign in again') || document.body.innerText.includes('needs a token')");
}
