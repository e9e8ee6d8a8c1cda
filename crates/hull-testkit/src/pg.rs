//! A throwaway PostgreSQL cluster for tests: Debian's binaries
//! (`/usr/lib/postgresql/<ver>/bin`), a temporary directory, 127.0.0.1 on a free port,
//! trust authentication for the superuser `hull`. As root, the cluster runs as the
//! `postgres` user (initdb refuses root).
//!
//! ```no_run
//! let Some(pg) = hull_testkit::pg::PgServer::start() else { return };
//! let url = pg.database("t1"); // postgres://hull@127.0.0.1:PORT/t1
//! ```

use std::path::PathBuf;
use std::process::Command;

/// A PostgreSQL cluster in a temporary directory on 127.0.0.1, stopped (and its
/// files removed) when dropped, also when the test panics.
pub struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
    dir: tempfile::TempDir,
}

/// The newest `/usr/lib/postgresql/<ver>/bin` holding `initdb`.
fn pg_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let ver = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((ver, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PgServer {
    /// Start one, or `None` after a loud skip (a panic under `HULL_REQUIRE_CORPUS=1`)
    /// when PostgreSQL is not installed.
    pub fn start() -> Option<PgServer> {
        PgServer::start_with_tls(None)
    }

    /// As [`PgServer::start`], with `ssl=on`, this PEM certificate and key, and TCP
    /// clients required to use TLS (`hostssl`).
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> Option<PgServer> {
        PgServer::start_with_tls(Some((cert_pem, key_pem)))
    }

    fn start_with_tls(tls: Option<(&str, &str)>) -> Option<PgServer> {
        let Some(bin) = pg_bin() else {
            crate::skip_or_fail(
                "PostgreSQL not installed: no /usr/lib/postgresql/*/bin/initdb (Debian package `postgresql`)",
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        // initdb refuses to run as root: the cluster belongs to the `postgres` user.
        let as_postgres = is_root();
        if as_postgres {
            let st = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(st.success(), "chown the cluster directory to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = PgServer {
            bin,
            data: dir.path().join("data"),
            port,
            as_postgres,
            dir,
        };
        server.run(
            "initdb",
            &[
                "-D",
                &server.data.display().to_string(),
                "-U",
                "hull",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        if tls.is_some() {
            // TCP connections must use TLS (local socket ones stay plain for setup).
            let hba = server.data.join("pg_hba.conf");
            let text = std::fs::read_to_string(&hba).unwrap();
            let text: String = text
                .lines()
                .map(|l| match l.strip_prefix("host ") {
                    Some(rest) => format!("hostssl {rest}\n"),
                    None => format!("{l}\n"),
                })
                .collect();
            std::fs::write(&hba, text).unwrap();
        }
        let mut opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            server.dir.path().display()
        );
        if let Some((cert, key)) = tls {
            let (c, k) = (
                server.dir.path().join("server.crt"),
                server.dir.path().join("server.key"),
            );
            std::fs::write(&c, cert).unwrap();
            std::fs::write(&k, key).unwrap();
            // PostgreSQL refuses a key others can read.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o600)).unwrap();
            if server.as_postgres {
                let st = Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(&c)
                    .arg(&k)
                    .status()
                    .unwrap();
                assert!(st.success(), "chown the TLS files to postgres");
            }
            opts.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                c.display(),
                k.display()
            ));
        }
        server.run(
            "pg_ctl",
            &[
                "-D",
                &server.data.display().to_string(),
                "-o",
                &opts,
                "-l",
                &server.dir.path().join("log").display().to_string(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        Some(server)
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        // The postgres user may not be allowed into the test's working directory.
        c.current_dir(self.dir.path());
        c
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        );
    }

    /// A fresh, empty database named `name` (owned by the superuser `hull`, no
    /// password) and its URL.
    pub fn database(&self, name: &str) -> String {
        let out = Command::new(self.bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "hull",
                name,
            ])
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "createdb {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(name)
    }

    /// `postgres://hull@127.0.0.1:PORT/db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://hull@127.0.0.1:{}/{db}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
