//! A small Dockerfile parser and the Dockerfile checks.
//!
//! Follows the Dockerfile reference: parser directives (`# escape=`), line
//! continuations with the escape character, comment lines inside continuations,
//! heredocs (`<<EOF`, `<<-EOF`, quoted delimiters) whose bodies belong to the
//! instruction. It does not evaluate variables beyond `ARG` defaults before the first
//! `FROM` (enough to resolve base image names).

use crate::checks::Hit;
use crate::k8s::looks_secret_name;

/// One instruction with its 1-based first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-case keyword (`RUN`, `FROM`, …).
    pub keyword: String,
    /// Everything after the keyword, continuations joined with a space, heredoc
    /// bodies appended after a newline.
    pub args: String,
    pub line: usize,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
}

/// Why a Dockerfile could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DockerfileError {
    #[error("line {line}: unknown instruction `{word}`")]
    UnknownInstruction { line: usize, word: String },
    #[error("no FROM instruction")]
    NoFrom,
}

const KEYWORDS: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

/// Heredoc delimiters started on an instruction line (`<<EOF`, `<<-"EOF"`).
fn heredoc_delims(s: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = s;
    while let Some(i) = rest.find("<<") {
        let mut tail = &rest[i + 2..];
        tail = tail.strip_prefix('-').unwrap_or(tail);
        let word: String = tail
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !word.is_empty()
            && word
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            out.push(word);
        }
        rest = &rest[i + 2..];
    }
    out
}

pub fn parse(text: &str) -> Result<Dockerfile, DockerfileError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    let mut i = 0;
    // Parser directives: only at the very top, before any other line.
    while i < lines.len() {
        let t = lines[i].trim();
        let Some(body) = t.strip_prefix('#') else {
            break;
        };
        let body = body.trim();
        match body.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("escape") => {
                if let Some(c) = v.trim().chars().next() {
                    escape = c;
                }
            }
            Some((k, _))
                if k.trim().eq_ignore_ascii_case("syntax")
                    || k.trim().eq_ignore_ascii_case("check") => {}
            _ => break,
        }
        i += 1;
    }
    let mut out = Dockerfile::default();
    while i < lines.len() {
        let start = i;
        let first = lines[i].trim_start();
        i += 1;
        if first.is_empty() || first.starts_with('#') {
            continue;
        }
        let mut logical = String::new();
        let mut cur = first.trim_end().to_string();
        loop {
            if let Some(stripped) = cur.strip_suffix(escape) {
                logical.push_str(stripped);
                logical.push(' ');
                // Skip comment and empty lines inside a continuation.
                while i < lines.len() && {
                    let t = lines[i].trim_start();
                    t.starts_with('#') || t.is_empty()
                } {
                    i += 1;
                }
                if i >= lines.len() {
                    break;
                }
                cur = lines[i].trim().to_string();
                i += 1;
            } else {
                logical.push_str(&cur);
                break;
            }
        }
        for delim in heredoc_delims(&logical) {
            let mut body = String::new();
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                if l.trim() == delim {
                    break;
                }
                body.push('\n');
                body.push_str(l);
            }
            logical.push_str(&body);
        }
        let (word, rest) = match logical.split_once(char::is_whitespace) {
            Some((w, r)) => (w, r.trim()),
            None => (logical.as_str(), ""),
        };
        let keyword = word.to_ascii_uppercase();
        if !KEYWORDS.contains(&keyword.as_str()) {
            return Err(DockerfileError::UnknownInstruction {
                line: start + 1,
                word: word.chars().take(40).collect(),
            });
        }
        out.instructions.push(Instruction {
            keyword,
            args: rest.to_string(),
            line: start + 1,
        });
    }
    if !out.instructions.iter().any(|i| i.keyword == "FROM") {
        return Err(DockerfileError::NoFrom);
    }
    Ok(out)
}

impl Dockerfile {
    /// Instructions of the last build stage (from its FROM on).
    pub fn final_stage(&self) -> &[Instruction] {
        let idx = self
            .instructions
            .iter()
            .rposition(|i| i.keyword == "FROM")
            .unwrap_or(0);
        &self.instructions[idx..]
    }

    fn runs(&self) -> impl Iterator<Item = &Instruction> {
        self.instructions.iter().filter(|i| i.keyword == "RUN")
    }
}

/// Strips leading `--flag[=value]` options (`--platform`, `--chown`, `--mount`).
fn strip_flags(args: &str) -> &str {
    let mut rest = args.trim_start();
    while rest.starts_with("--") {
        rest = rest
            .split_once(char::is_whitespace)
            .map(|(_, r)| r.trim_start())
            .unwrap_or("");
    }
    rest
}

/// Shell commands of a RUN line split on `&&`, `||`, `;`, `|` and newlines.
fn commands(args: &str) -> Vec<String> {
    let body = strip_flags(args);
    let body = body
        .replace("&&", "\n")
        .replace("||", "\n")
        .replace([';', '|'], "\n");
    body.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

pub(crate) fn root_user(df: &Dockerfile) -> Vec<Hit> {
    let stage = df.final_stage();
    let from_line = stage.first().map(|i| i.line);
    match stage.iter().rev().find(|i| i.keyword == "USER") {
        None => vec![Hit {
            container: None,
            message: "final stage sets no USER: containers run as root".into(),
            line: from_line,
        }],
        Some(u) => {
            let user = u.args.split(':').next().unwrap_or("").trim();
            if user == "root" || user == "0" {
                vec![Hit {
                    container: None,
                    message: format!("last USER is `{}`", u.args),
                    line: Some(u.line),
                }]
            } else {
                vec![]
            }
        }
    }
}

pub(crate) fn latest_tag(df: &Dockerfile) -> Vec<Hit> {
    // ARG defaults declared before the first FROM may appear in FROM lines.
    let mut args: Vec<(String, String)> = vec![];
    let mut stages: Vec<String> = vec![];
    let mut hits = vec![];
    for ins in &df.instructions {
        match ins.keyword.as_str() {
            "ARG" if stages.is_empty() => {
                if let Some((k, v)) = ins.args.split_once('=') {
                    args.push((k.trim().to_string(), v.trim().trim_matches('"').to_string()));
                }
            }
            "FROM" => {
                let rest = strip_flags(&ins.args);
                let mut words = rest.split_whitespace();
                let mut image = words.next().unwrap_or("").to_string();
                if words.next().is_some_and(|w| w.eq_ignore_ascii_case("as")) {
                    if let Some(alias) = words.next() {
                        stages.push(alias.to_ascii_lowercase());
                    }
                } else {
                    stages.push(String::new());
                }
                for (k, v) in &args {
                    image = image
                        .replace(&format!("${{{k}}}"), v)
                        .replace(&format!("${k}"), v);
                }
                if image.contains('$')
                    || image == "scratch"
                    || stages.contains(&image.to_ascii_lowercase())
                {
                    continue;
                }
                match crate::checks::image_tag_digest(&image) {
                    (_, Some(_)) => {}
                    (Some("latest"), None) => hits.push(Hit {
                        container: None,
                        message: format!("base image `{image}` uses the latest tag"),
                        line: Some(ins.line),
                    }),
                    (None, None) => hits.push(Hit {
                        container: None,
                        message: format!("base image `{image}` has no tag (implies latest)"),
                        line: Some(ins.line),
                    }),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    hits
}

const ARCHIVE_EXT: &[&str] = &[
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst",
];

pub(crate) fn add_instead_of_copy(df: &Dockerfile) -> Vec<Hit> {
    df.instructions
        .iter()
        .filter(|i| i.keyword == "ADD")
        .filter(|i| {
            let rest = strip_flags(&i.args);
            if rest.contains("<<") {
                return false;
            }
            let words: Vec<&str> = if rest.starts_with('[') {
                rest.trim_matches(['[', ']'])
                    .split(',')
                    .map(|s| s.trim().trim_matches('"'))
                    .collect()
            } else {
                rest.split_whitespace().collect()
            };
            let srcs = &words[..words.len().saturating_sub(1)];
            !srcs.is_empty()
                && srcs.iter().any(|s| {
                    let l = s.to_ascii_lowercase();
                    !(l.starts_with("http://")
                        || l.starts_with("https://")
                        || l.starts_with("git@")
                        || ARCHIVE_EXT.iter().any(|e| l.ends_with(e)))
                })
        })
        .map(|i| Hit {
            container: None,
            message: format!("`ADD {}` copies local files; use COPY", i.args),
            line: Some(i.line),
        })
        .collect()
}

/// `ADD http(s)://…` without `--checksum=`: the download is not verified.
pub(crate) fn add_remote_without_checksum(df: &Dockerfile) -> Vec<Hit> {
    df.instructions
        .iter()
        .filter(|i| i.keyword == "ADD" && !i.args.contains("--checksum="))
        .filter(|i| {
            let rest = strip_flags(&i.args);
            let words: Vec<&str> = rest
                .trim_matches(['[', ']'])
                .split([',', ' ', '\t'])
                .map(|s| s.trim().trim_matches('"'))
                .filter(|s| !s.is_empty())
                .collect();
            let srcs = &words[..words.len().saturating_sub(1)];
            srcs.iter().any(|s| {
                let l = s.to_ascii_lowercase();
                l.starts_with("http://") || l.starts_with("https://") || l.starts_with("ftp://")
            })
        })
        .map(|i| Hit {
            container: None,
            message: format!("`ADD {}` downloads without --checksum", i.args),
            line: Some(i.line),
        })
        .collect()
}

pub(crate) fn run_cd(df: &Dockerfile) -> Vec<Hit> {
    df.runs()
        .filter(|i| {
            // Any `cd` in a RUN line: its effect silently ends with the line.
            commands(&i.args)
                .iter()
                .any(|c| c == "cd" || c.starts_with("cd "))
        })
        .map(|i| Hit {
            container: None,
            message: "RUN changes directory with `cd`; use WORKDIR".into(),
            line: Some(i.line),
        })
        .collect()
}

fn apt_installs(i: &Instruction) -> Vec<String> {
    commands(&i.args)
        .into_iter()
        .filter(|c| {
            let w: Vec<&str> = c.split_whitespace().collect();
            w.iter()
                .position(|x| *x == "apt-get" || *x == "apt")
                .is_some_and(|p| w[p + 1..].contains(&"install"))
        })
        .collect()
}

fn has_yes(cmd: &str) -> bool {
    cmd.split_whitespace().any(|w| {
        w == "--yes"
            || w == "--assume-yes"
            || w == "-qq"
            || (w.starts_with('-') && !w.starts_with("--") && w.contains('y'))
            || w.starts_with("-q=2")
    })
}

pub(crate) fn apt_missing_yes(df: &Dockerfile) -> Vec<Hit> {
    df.runs()
        .filter(|i| apt_installs(i).iter().any(|c| !has_yes(c)))
        .map(|i| Hit {
            container: None,
            message: "`apt-get install` without `-y`".into(),
            line: Some(i.line),
        })
        .collect()
}

pub(crate) fn apt_no_recommends(df: &Dockerfile) -> Vec<Hit> {
    df.runs()
        .filter(|i| {
            apt_installs(i).iter().any(|c| {
                !c.contains("--no-install-recommends")
                    && !c.contains("Install-Recommends=false")
                    && !c.contains("Install-Recommends=0")
            })
        })
        .map(|i| Hit {
            container: None,
            message: "`apt-get install` without `--no-install-recommends`".into(),
            line: Some(i.line),
        })
        .collect()
}

pub(crate) fn apt_lists(df: &Dockerfile) -> Vec<Hit> {
    df.runs()
        .filter(|i| i.args.contains("apt-get update") && !i.args.contains("/var/lib/apt/lists"))
        .map(|i| Hit {
            container: None,
            message: "`apt-get update` without removing /var/lib/apt/lists".into(),
            line: Some(i.line),
        })
        .collect()
}

pub(crate) fn healthcheck(df: &Dockerfile) -> Vec<Hit> {
    if df.instructions.iter().any(|i| i.keyword == "HEALTHCHECK") {
        vec![]
    } else {
        let line = df.final_stage().first().map(|i| i.line);
        vec![Hit {
            container: None,
            message: "no HEALTHCHECK instruction".into(),
            line,
        }]
    }
}

pub(crate) fn sudo(df: &Dockerfile) -> Vec<Hit> {
    df.runs()
        .filter(|i| {
            commands(&i.args)
                .iter()
                .any(|c| c.split_whitespace().next() == Some("sudo"))
        })
        .map(|i| Hit {
            container: None,
            message: "RUN uses sudo".into(),
            line: Some(i.line),
        })
        .collect()
}

pub(crate) fn curl_pipe_shell(df: &Dockerfile) -> Vec<Hit> {
    const SHELLS: &[&str] = &[
        "sh", "bash", "zsh", "ash", "dash", "ksh", "python", "python3", "perl",
    ];
    df.runs()
        .filter(|i| {
            let body = strip_flags(&i.args);
            body.split("&&").any(|seg| {
                let mut parts = seg.split('|');
                let head = parts.next().unwrap_or("");
                (head.contains("curl") || head.contains("wget"))
                    && parts.any(|p| {
                        let mut w = p.split_whitespace();
                        let mut first = w.next().unwrap_or("");
                        if first == "sudo" {
                            first = w.find(|x| !x.starts_with('-')).unwrap_or("");
                        }
                        SHELLS.contains(&first.rsplit('/').next().unwrap_or(first))
                    })
            })
        })
        .map(|i| Hit {
            container: None,
            message: "downloaded script piped into a shell".into(),
            line: Some(i.line),
        })
        .collect()
}

/// `KEY=value` pairs of ENV/ARG (also the legacy `ENV KEY value` form).
fn key_values(i: &Instruction) -> Vec<(String, String)> {
    let a = i.args.trim();
    if i.keyword == "ENV" && !a.split_whitespace().next().unwrap_or("").contains('=') {
        let mut it = a.splitn(2, char::is_whitespace);
        let k = it.next().unwrap_or("").to_string();
        let v = it.next().unwrap_or("").trim().to_string();
        return vec![(k, v)];
    }
    a.split_whitespace()
        .filter_map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.trim_matches(['"', '\'']).to_string()))
        })
        .collect()
}

pub(crate) fn secrets_in_env(df: &Dockerfile) -> Vec<Hit> {
    let mut hits = vec![];
    for i in df
        .instructions
        .iter()
        .filter(|i| i.keyword == "ENV" || i.keyword == "ARG")
    {
        for (k, v) in key_values(i) {
            let is_ref = v.starts_with('$') || v.is_empty();
            if looks_secret_name(&k) && !is_ref && !k.to_ascii_uppercase().ends_with("_FILE") {
                hits.push(Hit {
                    container: None,
                    message: format!("{} `{k}` has a literal value", i.keyword),
                    line: Some(i.line),
                });
            }
        }
    }
    hits
}

pub(crate) fn expose_ssh(df: &Dockerfile) -> Vec<Hit> {
    df.instructions
        .iter()
        .filter(|i| {
            i.keyword == "EXPOSE"
                && i.args
                    .split_whitespace()
                    .any(|p| p.split('/').next() == Some("22"))
        })
        .map(|i| Hit {
            container: None,
            message: "port 22 exposed".into(),
            line: Some(i.line),
        })
        .collect()
}

/// Remote-administration and control-plane ports: a container should not offer them.
const ADMIN_PORTS: &[(&str, &str)] = &[
    ("23", "telnet"),
    ("2375", "Docker API without TLS"),
    ("2376", "Docker API"),
    ("2379", "etcd client"),
    ("2380", "etcd peer"),
    ("3389", "RDP"),
    ("5900", "VNC"),
    ("5985", "WinRM"),
    ("6443", "Kubernetes API"),
    ("10250", "kubelet API"),
];

pub(crate) fn expose_admin_port(df: &Dockerfile) -> Vec<Hit> {
    let mut hits = vec![];
    for i in df.instructions.iter().filter(|i| i.keyword == "EXPOSE") {
        for p in i.args.split_whitespace() {
            let port = p.split('/').next().unwrap_or("");
            if let Some((_, what)) = ADMIN_PORTS.iter().find(|(n, _)| *n == port) {
                hits.push(Hit {
                    container: None,
                    message: format!("port {port} ({what}) exposed"),
                    line: Some(i.line),
                });
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_heredoc_escape() {
        let df = parse("# escape=`\nFROM debian:12\nRUN apt-get update `\n  # comment\n  && apt-get install -y curl\nRUN <<EOF\nset -e\necho hi\nEOF\nUSER 1000\n").unwrap();
        assert_eq!(df.instructions.len(), 4);
        assert_eq!(df.instructions[1].line, 3);
        assert!(df.instructions[1].args.contains("install -y curl"));
        assert!(df.instructions[2].args.contains("echo hi"));
        assert_eq!(df.instructions[3].keyword, "USER");
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(
            parse("hello world\n"),
            Err(DockerfileError::UnknownInstruction { line: 1, .. })
        ));
        assert!(matches!(
            parse("# just a comment\n"),
            Err(DockerfileError::NoFrom)
        ));
    }
}
