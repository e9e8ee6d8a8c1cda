//! Image-config checks: the `dockerfile:*` controls of [`crate::checks::TABLE`] run on
//! a built image, from its config and build history.
//!
//! An image config is what a Dockerfile leaves behind: `User`, `Env`, `ExposedPorts`,
//! `Healthcheck` and `Labels` are the final values of `USER`, `ENV`, `EXPOSE`,
//! `HEALTHCHECK` and `LABEL`, and each history step's `created_by` is the instruction
//! that made it (`RUN /bin/sh -c …`, `ADD file:… in /`, `COPY . /app # buildkit`, or
//! the classic builder's `/bin/sh -c #(nop) ENV …`). [`dockerfile_of`] turns those back
//! into [`Dockerfile`] instructions, so the same check functions that `hull config` runs
//! on a Dockerfile judge the image: one piece of code and one id per control. Each
//! instruction remembers where it came from, so a finding points at the config field or
//! the history step.

use hull_model::{CheckFinding, CheckKind, CheckLocation, Severity};

use crate::checks::{Eval, TABLE};
use crate::dockerfile::{Dockerfile, Instruction};
use crate::kind::Kind;

/// The `dockerfile:*` checks that make sense on a built image (slugs of
/// [`crate::checks::TABLE`] rows). The others judge how a Dockerfile is written
/// (`RUN cd`, `apt-get` flags, `ADD` of a local file) rather than what the image is.
pub const IMAGE_CHECKS: &[&str] = &[
    "root-user",
    "latest-tag",
    "add-remote-without-checksum",
    "healthcheck-missing",
    "sudo",
    "curl-pipe-shell",
    "secrets-in-env",
    "expose-ssh",
    "expose-admin-port",
];

/// The label OCI annotations use for the base image (`org.opencontainers.image.base.name`).
pub const BASE_NAME_LABEL: &str = "org.opencontainers.image.base.name";

/// What the checks read from an image config (the caller copies it from whatever parsed
/// the config, so this crate needs no image reader).
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    pub user: Option<String>,
    /// `KEY=value`, as in the config.
    pub env: Vec<String>,
    /// `8080/tcp`.
    pub exposed_ports: Vec<String>,
    /// `Some` when the config has a `Healthcheck` (its `Test`, `["NONE"]` included).
    pub healthcheck: Option<Vec<String>>,
    pub labels: Vec<(String, String)>,
    /// `created_by` of every history step (empty when a step has none).
    pub history: Vec<String>,
}

/// Where a reconstructed instruction came from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Config(String),
    History(usize),
}

/// A Dockerfile rebuilt from an image, with the origin of each instruction (indexed by
/// `line - 1`).
pub struct Rebuilt {
    pub dockerfile: Dockerfile,
    origins: Vec<Origin>,
}

/// One history `created_by` line as the instruction that made it, `None` for steps
/// that say nothing checkable (`CMD`, `WORKDIR`, empty).
pub fn history_instruction(created_by: &str) -> Option<(String, String)> {
    let mut s = created_by.trim();
    if let Some(rest) = s.strip_suffix("# buildkit") {
        s = rest.trim_end();
    }
    // Classic builder: `/bin/sh -c #(nop)  ENV A=b` for metadata steps, plain
    // `/bin/sh -c cmd` (with `|N A=b …` build args before it) for RUN.
    let classic_run = |body: &str| -> Option<(String, String)> {
        let body = body.trim();
        if let Some(nop) = body.strip_prefix("#(nop)") {
            let nop = nop.trim();
            let (k, a) = nop.split_once(char::is_whitespace).unwrap_or((nop, ""));
            return Some((k.to_ascii_uppercase(), a.trim().to_string()));
        }
        Some(("RUN".into(), body.to_string()))
    };
    if let Some(rest) = s.strip_prefix("|") {
        // `|2 A=1 B=2 /bin/sh -c cmd`: build args then the shell.
        let body = rest.split_once("/bin/sh -c").map_or(rest, |(_, b)| b);
        return classic_run(body);
    }
    if let Some(body) = s.strip_prefix("/bin/sh -c") {
        return classic_run(body);
    }
    let (k, a) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
    let keyword = k.to_ascii_uppercase();
    let mut args = a.trim().to_string();
    if keyword == "RUN" {
        if let Some(b) = args.strip_prefix("/bin/sh -c") {
            args = b.trim().to_string();
        }
    }
    (!keyword.is_empty() && keyword.bytes().all(|b| b.is_ascii_uppercase()))
        .then_some((keyword, args))
}

/// Rebuild the Dockerfile an image config implies: `FROM` (only when the base-name
/// label says it), the build steps of the history (`RUN`, `ADD`, `COPY`), then the
/// config's final `ENV`, `EXPOSE`, `USER` and `HEALTHCHECK`.
pub fn dockerfile_of(facts: &ImageFacts) -> Rebuilt {
    let mut out = Rebuilt {
        dockerfile: Dockerfile::default(),
        origins: Vec::new(),
    };
    let mut push = |keyword: &str, args: String, origin: Origin| {
        out.origins.push(origin);
        out.dockerfile.instructions.push(Instruction {
            keyword: keyword.to_string(),
            args,
            line: out.origins.len(),
        });
    };
    if let Some((_, base)) = facts.labels.iter().find(|(k, _)| k == BASE_NAME_LABEL) {
        push(
            "FROM",
            base.clone(),
            Origin::Config(format!("Labels:{BASE_NAME_LABEL}")),
        );
    }
    for (step, created_by) in facts.history.iter().enumerate() {
        if let Some((k, a)) = history_instruction(created_by) {
            if matches!(k.as_str(), "RUN" | "ADD" | "COPY") {
                push(&k, a, Origin::History(step));
            }
        }
    }
    for kv in &facts.env {
        let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
        if k.is_empty() {
            continue;
        }
        // The legacy `ENV KEY value` form keeps values with spaces in one piece.
        push(
            "ENV",
            format!("{k} {v}"),
            Origin::Config(format!("Env:{k}")),
        );
    }
    if !facts.exposed_ports.is_empty() {
        push(
            "EXPOSE",
            facts.exposed_ports.join(" "),
            Origin::Config("ExposedPorts".into()),
        );
    }
    if let Some(u) = facts.user.as_deref().filter(|u| !u.is_empty()) {
        push("USER", u.to_string(), Origin::Config("User".into()));
    }
    if let Some(test) = &facts.healthcheck {
        push(
            "HEALTHCHECK",
            test.join(" "),
            Origin::Config("Healthcheck".into()),
        );
    }
    out
}

/// Run the image-applicable `dockerfile:*` checks on an image config.
pub fn audit_image(facts: &ImageFacts) -> Vec<CheckFinding> {
    let rebuilt = dockerfile_of(facts);
    let mut out = Vec::new();
    for def in TABLE.iter().filter(|d| IMAGE_CHECKS.contains(&d.slug)) {
        let Eval::Dockerfile(f) = def.eval else {
            continue;
        };
        for hit in f(&rebuilt.dockerfile) {
            let location = match def.slug {
                // "No USER" / "no HEALTHCHECK" are about the config field, wherever the
                // Dockerfile check points.
                "root-user" => CheckLocation::Config {
                    field: "User".into(),
                },
                "healthcheck-missing" => CheckLocation::Config {
                    field: "Healthcheck".into(),
                },
                _ => match hit
                    .line
                    .and_then(|l| rebuilt.origins.get(l.wrapping_sub(1)))
                {
                    Some(Origin::History(step)) => CheckLocation::History { step: *step },
                    Some(Origin::Config(field)) => CheckLocation::Config {
                        field: field.clone(),
                    },
                    None => CheckLocation::Config {
                        field: String::new(),
                    },
                },
            };
            let message = match def.slug {
                "root-user" if facts.user.as_deref().is_none_or(str::is_empty) => {
                    "the config sets no User: containers run as root".to_string()
                }
                "healthcheck-missing" => "the config has no Healthcheck".to_string(),
                _ => hit.message,
            };
            out.push(CheckFinding {
                kind: CheckKind::Config,
                rule: def.id(Kind::Dockerfile),
                title: def.title.to_string(),
                severity: def.severity,
                location,
                line: None,
                column: None,
                message,
                excerpt: None,
                fingerprint: None,
            });
        }
    }
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.dedup();
    out
}

/// The documented severity of an image check, for docs and tests.
pub fn image_check_severity(slug: &str) -> Option<Severity> {
    TABLE.iter().find(|d| d.slug == slug).map(|d| d.severity)
}

/// What of the image an image check reads (for `docs/content-checks.md`).
pub fn image_source(slug: &str) -> &'static str {
    match slug {
        "root-user" => "config `User` (empty, `root` or `0`)",
        "latest-tag" => "the `org.opencontainers.image.base.name` label, when the builder wrote it",
        "add-remote-without-checksum" => "history `ADD` steps",
        "healthcheck-missing" => "config `Healthcheck` (absent)",
        "sudo" => "history `RUN` steps",
        "curl-pipe-shell" => "history `RUN` steps",
        "secrets-in-env" => "config `Env` names (the values go to the secret scanner)",
        "expose-ssh" | "expose-admin-port" => "config `ExposedPorts`",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_lines() {
        for (line, want) in [
            (
                "/bin/sh -c #(nop) ADD file:abc.tar in / ",
                Some(("ADD", "file:abc.tar in /")),
            ),
            ("/bin/sh -c #(nop)  ENV A=b", Some(("ENV", "A=b"))),
            ("/bin/sh -c apt-get update", Some(("RUN", "apt-get update"))),
            ("|2 TOKEN=x Y=z /bin/sh -c make", Some(("RUN", "make"))),
            (
                "RUN /bin/sh -c rm -f /tmp/t # buildkit",
                Some(("RUN", "rm -f /tmp/t")),
            ),
            ("COPY . /app # buildkit", Some(("COPY", ". /app"))),
            ("", None),
        ] {
            let got = history_instruction(line);
            assert_eq!(
                got.as_ref().map(|(k, a)| (k.as_str(), a.as_str())),
                want,
                "{line}"
            );
        }
    }

    fn ids(f: &[CheckFinding]) -> Vec<&str> {
        f.iter().map(|f| f.rule.as_str()).collect()
    }

    #[test]
    fn image_checks_reuse_dockerfile_ids() {
        let facts = ImageFacts {
            user: Some("root".into()),
            env: vec![
                "PATH=/usr/bin".into(),
                "DB_PASSWORD=hunter2".into(),
                "API_TOKEN_FILE=/run/secrets/t".into(),
            ],
            exposed_ports: vec!["22/tcp".into(), "2375/tcp".into(), "8080/tcp".into()],
            healthcheck: None,
            labels: vec![(BASE_NAME_LABEL.into(), "debian:latest".into())],
            history: vec![
                "/bin/sh -c #(nop) ADD file:abc in / ".into(),
                "ADD https://example.com/tool.tgz /opt/ # buildkit".into(),
                "RUN /bin/sh -c sudo apt-get install -y x # buildkit".into(),
            ],
        };
        let got = audit_image(&facts);
        let ids = ids(&got);
        for want in [
            "dockerfile:root-user",
            "dockerfile:latest-tag",
            "dockerfile:add-remote-without-checksum",
            "dockerfile:healthcheck-missing",
            "dockerfile:sudo",
            "dockerfile:secrets-in-env",
            "dockerfile:expose-ssh",
            "dockerfile:expose-admin-port",
        ] {
            assert!(ids.contains(&want), "{want} missing from {ids:?}");
        }
        // `ADD file:… in /` of a base layer is not a remote ADD, nor a local-copy smell.
        assert_eq!(
            ids.iter()
                .filter(|i| **i == "dockerfile:add-remote-without-checksum")
                .count(),
            1
        );
        assert!(!ids.contains(&"dockerfile:add-instead-of-copy"));
        let env = got
            .iter()
            .find(|f| f.rule == "dockerfile:secrets-in-env")
            .unwrap();
        assert_eq!(
            env.location,
            CheckLocation::Config {
                field: "Env:DB_PASSWORD".into()
            }
        );
        let sudo = got.iter().find(|f| f.rule == "dockerfile:sudo").unwrap();
        assert_eq!(sudo.location, CheckLocation::History { step: 2 });

        // A non-root user, a healthcheck, nothing exposed: clean.
        let clean = ImageFacts {
            user: Some("1000:1000".into()),
            healthcheck: Some(vec!["CMD".into(), "true".into()]),
            history: vec!["COPY app /app # buildkit".into()],
            ..ImageFacts::default()
        };
        assert!(audit_image(&clean).is_empty(), "{:?}", audit_image(&clean));
    }
}
