//! Registry credentials the way the docker CLI stores them (`config.json`: `auths`,
//! `credsStore`, `credHelpers`; helpers speak the docker-credential-helpers protocol:
//! server URL on stdin, `{"Username":…,"Secret":…}` on stdout).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

use crate::Error;

#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.username)
    }
}

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: Option<std::collections::BTreeMap<String, AuthEntry>>,
    #[serde(rename = "credsStore", default)]
    creds_store: Option<String>,
    #[serde(rename = "credHelpers", default)]
    cred_helpers: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

pub(crate) const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

fn default_path() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(d).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json"))
}

/// `https://host:port/v1/` → `host:port`.
fn host_of(key: &str) -> &str {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

fn is_docker_hub(host: &str) -> bool {
    matches!(
        host,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    )
}

/// Credentials for `registry` (`host[:port]`, `docker.io` for Docker Hub), or `None`.
/// A helper that fails is not fatal (the pull may be anonymous); its message is
/// returned as a note for a later authentication error.
pub(crate) fn lookup(
    config: Option<&Path>,
    registry: &str,
) -> Result<(Option<Credentials>, Option<String>), Error> {
    let Some(path) = config.map(Path::to_path_buf).or_else(default_path) else {
        return Ok((None, None));
    };
    let part = format!("docker config {}", path.display());
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && config.is_none() => {
            return Ok((None, None))
        }
        Err(e) => return Err(Error::io(part, e)),
    };
    let cfg: ConfigFile =
        serde_json::from_slice(&bytes).map_err(|e| Error::invalid(&part, e.to_string()))?;
    let hub = is_docker_hub(registry);
    let same = |key: &str| {
        let h = host_of(key);
        h == registry || (hub && is_docker_hub(h))
    };
    let server = if hub { DOCKER_HUB_KEY } else { registry };
    if let Some((_, helper)) = cfg.cred_helpers.iter().flatten().find(|(k, _)| same(k)) {
        return Ok(run_helper(helper, server));
    }
    if let Some(helper) = &cfg.creds_store {
        let (found, note) = run_helper(helper, server);
        if found.is_some() {
            return Ok((found, None));
        }
        // Fall through to `auths`: docker writes empty entries there, but a stored
        // password may be there too when the store was added later.
        if let Some(c) = from_auths(&cfg, &same, &part)? {
            return Ok((Some(c), None));
        }
        return Ok((None, note));
    }
    Ok((from_auths(&cfg, &same, &part)?, None))
}

fn from_auths(
    cfg: &ConfigFile,
    same: &dyn Fn(&str) -> bool,
    part: &str,
) -> Result<Option<Credentials>, Error> {
    let Some((_, entry)) = cfg.auths.iter().flatten().find(|(k, _)| same(k)) else {
        return Ok(None);
    };
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|e| Error::invalid(part, format!("`auth` is not base64: {e}")))?;
        let s = String::from_utf8(raw).map_err(|_| Error::invalid(part, "`auth` is not UTF-8"))?;
        let (u, p) = s
            .split_once(':')
            .ok_or_else(|| Error::invalid(part, "`auth` is not user:password"))?;
        return Ok(Some(Credentials {
            username: u.into(),
            password: p.into(),
        }));
    }
    match (&entry.username, &entry.password) {
        (Some(u), Some(p)) => Ok(Some(Credentials {
            username: u.clone(),
            password: p.clone(),
        })),
        _ => Ok(None),
    }
}

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

fn run_helper(name: &str, server: &str) -> (Option<Credentials>, Option<String>) {
    // The name becomes a program name: keep it to what helper names look like.
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return (
            None,
            Some(format!("credential helper name `{name}` is not valid")),
        );
    }
    run_program(&format!("docker-credential-{name}"), server)
}

fn run_program(prog: &str, server: &str) -> (Option<Credentials>, Option<String>) {
    let child = Command::new(prog)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return (None, Some(format!("{prog}: {e}"))),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => return (None, Some(format!("{prog}: {e}"))),
    };
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stdout).trim().to_string();
        return (None, Some(format!("{prog}: {msg}")));
    }
    match serde_json::from_slice::<HelperReply>(&out.stdout) {
        // `<token>` means an identity token for an OAuth flow hull does not do.
        Ok(r) if r.username == "<token>" => (
            None,
            Some(format!("{prog}: identity tokens are not supported")),
        ),
        Ok(r) => (
            Some(Credentials {
                username: r.username,
                password: r.secret,
            }),
            None,
        ),
        Err(e) => (None, Some(format!("{prog}: bad reply: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_auths_and_matches_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(
            &p,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"},
                "localhost:5000":{"username":"a","password":"b"},
                "http://reg.example:8443/v2/":{"auth":"eDp5OnoK"}}}"#,
        )
        .unwrap();
        let get = |r: &str| {
            lookup(Some(&p), r)
                .unwrap()
                .0
                .map(|c| (c.username, c.password))
        };
        assert_eq!(get("docker.io"), Some(("u".into(), "p".into())));
        assert_eq!(get("localhost:5000"), Some(("a".into(), "b".into())));
        assert_eq!(get("reg.example:8443"), Some(("x".into(), "y:z\n".into())));
        assert_eq!(get("other:1"), None);
        std::fs::write(&p, r#"{"auths":{"h":{"auth":"!!"}}}"#).unwrap();
        assert!(lookup(Some(&p), "h").is_err());
        // An explicit config that does not exist is an error; the default one is not.
        assert!(lookup(Some(&dir.path().join("none.json")), "h").is_err());
    }

    #[test]
    fn missing_helper_is_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(&p, r#"{"credsStore":"hull-test-does-not-exist"}"#).unwrap();
        let (c, note) = lookup(Some(&p), "h:1").unwrap();
        assert!(c.is_none());
        assert!(note
            .unwrap()
            .contains("docker-credential-hull-test-does-not-exist"));
        std::fs::write(&p, r#"{"credHelpers":{"h:1":"../../bin/sh"}}"#).unwrap();
        assert!(lookup(Some(&p), "h:1")
            .unwrap()
            .1
            .unwrap()
            .contains("not valid"));
    }

    #[test]
    fn helper_protocol() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let helper = dir.path().join("docker-credential-test");
        // Echoes the server it was asked about into the secret.
        std::fs::write(
            &helper,
            "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread s\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"u\",\"Secret\":\"pw-%s\"}' \"$s\" \"$s\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (c, note) = run_program(helper.to_str().unwrap(), "reg:5000");
        assert_eq!(note, None);
        let c = c.unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("u", "pw-reg:5000")
        );
        std::fs::write(
            &helper,
            "#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n",
        )
        .unwrap();
        let (c, note) = run_program(helper.to_str().unwrap(), "reg:5000");
        assert!(c.is_none() && note.unwrap().contains("credentials not found"));
    }
}
