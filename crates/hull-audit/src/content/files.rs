//! Insecure-file checks: one row per check in [`CHECKS`], each a small function.
//!
//! Two shapes: [`FileEval::Tree`] checks judge the final merged view (modes, owners,
//! names — a setuid bit a later layer removed is no longer there), [`FileEval::Content`]
//! checks read the leading bytes of the few files they want during the walk (sudoers,
//! shadow); their results count only when the file survives in the final view.

use hull_image::{EntryKind, Node, Tree};
use hull_model::{ImagePath, Severity};

/// What a file check is handed besides the tree.
pub struct TreeContext<'a> {
    pub tree: &'a Tree,
    /// Files an OS package installed (final-view paths).
    pub owned: &'a hull_catalog::OwnedFiles,
}

/// One failing file: the path, the severity when it differs from the row's, a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHit {
    pub path: ImagePath,
    pub line: Option<u32>,
    pub severity: Option<Severity>,
    pub message: String,
}

/// How a check looks at files.
#[derive(Clone, Copy)]
pub enum FileEval {
    /// Over the final view.
    Tree(fn(&TreeContext<'_>) -> Vec<FileHit>),
    /// Over the bytes of the files `wants` selects (at most [`CONTENT_BYTES`]).
    Content {
        wants: fn(&ImagePath) -> bool,
        check: ContentCheck,
    },
}

/// The function of a [`FileEval::Content`] check.
pub type ContentCheck = fn(&ImagePath, &[u8]) -> Vec<FileHit>;

/// Bytes a content check reads of one file: sudoers and shadow files are small.
pub const CONTENT_BYTES: u64 = 1024 * 1024;

/// A row of the file-check table.
pub struct FileCheck {
    /// `file:<slug>`, stable and documented in `docs/content-checks.md`.
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub rationale: &'static str,
    pub eval: FileEval,
}

/// Every insecure-file check, in documentation order.
pub static CHECKS: &[FileCheck] = &[
    FileCheck {
        id: "file:setuid-setgid",
        severity: Severity::High,
        title: "setuid/setgid executable",
        rationale: "A setuid or setgid executable runs with its owner's or group's rights whoever starts it: a bug in it is a privilege escalation inside the container. Files a distro package installed are reported as low (the distro ships and patches them; drop them if unused), files no package owns as high.",
        eval: FileEval::Tree(setuid_setgid),
    },
    FileCheck {
        id: "file:world-writable",
        severity: Severity::Medium,
        title: "world-writable file or directory without the sticky bit",
        rationale: "Any user in the container can change a world-writable file, or replace files in a world-writable directory that lacks the sticky bit (`/tmp` has it), which lets an unprivileged process tamper with what others run or read.",
        eval: FileEval::Tree(world_writable),
    },
    FileCheck {
        id: "file:ssh-host-key",
        severity: Severity::High,
        title: "SSH host private key baked into the image",
        rationale: "Every container of the image shares the same host key, so anyone with the image can impersonate every one of them; host keys should be generated at first start.",
        eval: FileEval::Tree(ssh_host_keys),
    },
    FileCheck {
        id: "file:shell-history",
        severity: Severity::Medium,
        title: "shell or REPL history file",
        rationale: "Histories left by the build (`.bash_history`, `.mysql_history`, …) record the commands typed, often with passwords and tokens in them.",
        eval: FileEval::Tree(shell_histories),
    },
    FileCheck {
        id: "file:git-directory",
        severity: Severity::Medium,
        title: ".git directory in the image",
        rationale: "A `.git` directory ships the whole source history (including files deleted long ago) and often a remote URL with credentials in `.git/config`.",
        eval: FileEval::Tree(git_directories),
    },
    FileCheck {
        id: "file:sudoers-nopasswd",
        severity: Severity::Medium,
        title: "sudoers rule with NOPASSWD",
        rationale: "A `NOPASSWD` rule lets the named users become root without a password: any code running as that user is root.",
        eval: FileEval::Content {
            wants: wants_sudoers,
            check: sudoers_nopasswd,
        },
    },
    FileCheck {
        id: "file:shadow-empty-password",
        severity: Severity::High,
        title: "account with an empty password in /etc/shadow",
        rationale: "An empty password field lets anyone log in (or `su`) as that account without a password.",
        eval: FileEval::Content {
            wants: wants_shadow,
            check: shadow_empty_password,
        },
    },
    FileCheck {
        id: "file:package-cache",
        severity: Severity::Low,
        title: "package-manager cache left in the image",
        rationale: "Downloaded packages and indexes (apt, apk, yum/dnf, pip, npm) add size and stale data to every pull and were only needed at build time.",
        eval: FileEval::Tree(package_caches),
    },
];

fn hit(path: &ImagePath, severity: Option<Severity>, message: String) -> FileHit {
    FileHit {
        path: path.clone(),
        line: None,
        severity,
        message,
    }
}

fn regular_files(tree: &Tree) -> impl Iterator<Item = (&ImagePath, &Node)> {
    tree.iter().filter(|(_, n)| n.kind == EntryKind::File)
}

fn setuid_setgid(cx: &TreeContext<'_>) -> Vec<FileHit> {
    regular_files(cx.tree)
        .filter(|(_, n)| n.mode & 0o6000 != 0 && n.mode & 0o111 != 0)
        .map(|(p, n)| {
            let bits = match (n.mode & 0o4000 != 0, n.mode & 0o2000 != 0) {
                (true, true) => "setuid and setgid",
                (true, false) => "setuid",
                _ => "setgid",
            };
            let (sev, who) = match cx.owned.get(p) {
                Some(owner) if !owner.is_empty() => {
                    (Severity::Low, format!("installed by package {owner}"))
                }
                Some(_) => (Severity::Low, "installed by an OS package".to_string()),
                None => (Severity::High, "not owned by any OS package".to_string()),
            };
            hit(
                p,
                Some(sev),
                format!(
                    "{bits} (mode {:04o}, uid {} gid {}), {who}",
                    n.mode & 0o7777,
                    n.uid,
                    n.gid
                ),
            )
        })
        .collect()
}

fn world_writable(cx: &TreeContext<'_>) -> Vec<FileHit> {
    cx.tree
        .iter()
        .filter(|(_, n)| n.mode & 0o002 != 0)
        .filter_map(|(p, n)| match n.kind {
            EntryKind::File => Some(hit(
                p,
                None,
                format!("file is world-writable (mode {:04o})", n.mode & 0o7777),
            )),
            EntryKind::Dir if n.mode & 0o1000 == 0 => Some(hit(
                p,
                None,
                format!(
                    "directory is world-writable without the sticky bit (mode {:04o})",
                    n.mode & 0o7777
                ),
            )),
            _ => None,
        })
        .collect()
}

fn ssh_host_keys(cx: &TreeContext<'_>) -> Vec<FileHit> {
    regular_files(cx.tree)
        .filter(|(p, n)| {
            let name = p.file_name();
            n.size > 0
                && p.as_str().starts_with("etc/ssh/")
                && name.starts_with("ssh_host_")
                && name.ends_with("_key")
        })
        .map(|(p, _)| hit(p, None, "SSH host private key".into()))
        .collect()
}

const HISTORIES: &[&str] = &[
    ".bash_history",
    ".zsh_history",
    ".ash_history",
    ".sh_history",
    ".ksh_history",
    ".history",
    ".python_history",
    ".mysql_history",
    ".psql_history",
    ".sqlite_history",
    ".node_repl_history",
    ".rediscli_history",
    ".lesshst",
    ".viminfo",
];

fn shell_histories(cx: &TreeContext<'_>) -> Vec<FileHit> {
    regular_files(cx.tree)
        .filter(|(p, n)| n.size > 0 && HISTORIES.contains(&p.file_name()))
        .map(|(p, n)| hit(p, None, format!("history file of {} bytes", n.size)))
        .collect()
}

fn git_directories(cx: &TreeContext<'_>) -> Vec<FileHit> {
    cx.tree
        .iter()
        .filter(|(p, n)| n.kind == EntryKind::Dir && p.file_name() == ".git")
        // A `.git` inside another reported `.git` (submodules) is part of it.
        .filter(|(p, _)| !p.as_str().contains(".git/"))
        .map(|(p, _)| hit(p, None, "git repository metadata".into()))
        .collect()
}

fn wants_sudoers(p: &ImagePath) -> bool {
    let s = p.as_str();
    s == "etc/sudoers" || (s.starts_with("etc/sudoers.d/") && !s[14..].contains('/'))
}

fn sudoers_nopasswd(p: &ImagePath, data: &[u8]) -> Vec<FileHit> {
    let text = String::from_utf8_lossy(data);
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim();
            // `#include`/`#includedir` are directives, other `#` lines comments.
            !l.starts_with('#') && l.contains("NOPASSWD")
        })
        .map(|(i, l)| FileHit {
            path: p.clone(),
            line: u32::try_from(i + 1).ok(),
            severity: None,
            message: format!("`{}`", l.trim().chars().take(120).collect::<String>()),
        })
        .collect()
}

fn wants_shadow(p: &ImagePath) -> bool {
    p.as_str() == "etc/shadow"
}

fn shadow_empty_password(p: &ImagePath, data: &[u8]) -> Vec<FileHit> {
    let text = String::from_utf8_lossy(data);
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let mut f = l.split(':');
            let user = f.next()?.trim();
            let pw = f.next()?;
            (!user.is_empty() && pw.is_empty()).then(|| FileHit {
                path: p.clone(),
                line: u32::try_from(i + 1).ok(),
                severity: None,
                message: format!("account `{user}` has an empty password"),
            })
        })
        .collect()
}

/// Cache directories and what in them counts (`None`: any file).
const CACHES: &[(&str, &str, Option<&str>)] = &[
    ("var/cache/apt/archives", "apt", Some(".deb")),
    ("var/cache/apt", "apt", Some(".bin")),
    ("var/lib/apt/lists", "apt", Some("_Packages")),
    ("var/cache/apk", "apk", None),
    ("var/cache/yum", "yum", None),
    ("var/cache/dnf", "dnf", None),
    ("var/cache/zypp", "zypper", None),
    ("root/.cache/pip", "pip", None),
    ("root/.npm/_cacache", "npm", None),
    ("usr/local/share/.cache/yarn", "yarn", None),
];

fn package_caches(cx: &TreeContext<'_>) -> Vec<FileHit> {
    let mut out = Vec::new();
    for (dir, tool, suffix) in CACHES {
        let Ok(root) = ImagePath::new(dir) else {
            continue;
        };
        let (mut files, mut bytes) = (0u64, 0u64);
        for (p, n) in regular_files(cx.tree) {
            // `var/cache/apt/archives` files are counted under their own row only.
            if p.starts_with(&root)
                && !(*dir == "var/cache/apt" && p.as_str().starts_with("var/cache/apt/archives/"))
                && suffix.is_none_or(|s| p.as_str().ends_with(s))
            {
                files += 1;
                bytes += n.size;
            }
        }
        if files > 0 {
            out.push(hit(
                &root,
                None,
                format!("{tool} cache: {files} files, {bytes} bytes"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_checks() {
        let p = ImagePath::new("etc/sudoers.d/app").unwrap();
        assert!(wants_sudoers(&p) && wants_sudoers(&ImagePath::new("etc/sudoers").unwrap()));
        assert!(!wants_sudoers(
            &ImagePath::new("etc/sudoers.d/x/y").unwrap()
        ));
        let hits = sudoers_nopasswd(
            &p,
            b"# app ALL=(ALL) NOPASSWD: ALL\nroot ALL=(ALL) ALL\napp ALL=(ALL) NOPASSWD: ALL\n",
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, Some(3));

        let sh = ImagePath::new("etc/shadow").unwrap();
        let hits = shadow_empty_password(
            &sh,
            b"root:*:19000:0:99999:7:::\nguest::19000:0:99999:7:::\nlocked:!:1::::::\nbad line\n",
        );
        assert_eq!(hits.len(), 1);
        assert!(hits[0].message.contains("guest"));
        assert_eq!(hits[0].line, Some(2));
    }

    #[test]
    fn ids_are_unique_and_kebab() {
        let mut seen = std::collections::BTreeSet::new();
        for c in CHECKS {
            assert!(c.id.starts_with("file:"), "{}", c.id);
            assert!(
                c.id[5..]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                c.id
            );
            assert!(seen.insert(c.id), "duplicate {}", c.id);
        }
    }
}
