//! Content checks of an image: secrets and insecure files, found in the same single
//! walk of the layers as the package analyzers (a [`hull_catalog::FileObserver`]).
//!
//! During the walk [`ContentScan`] sees every entry of every layer. Secrets are
//! searched in every regular file the secret scanner wants (the first
//! [`ContentOptions::max_secret_bytes`] of it; a longer file gets a diagnostic saying
//! so), in every layer — so a secret a later layer deleted or overwrote is still
//! found, and reported with the layer that added it and the layer that removed it,
//! never as present. The file checks of [`files::CHECKS`] judge the final view. After
//! the walk, [`ContentScan::finish`] turns what was seen into [`CheckFinding`]s; the
//! image config and history are searched with [`config_secrets`].
//!
//! Memory stays bounded: at most one capped buffer per walking thread, plus the
//! findings and the (few) whiteout markers.

pub mod files;

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

use hull_image::{Entry, EntryKind, Tree};
use hull_model::{CheckFinding, CheckKind, CheckLocation, Diagnostic, Digest, ImagePath};

use files::{FileEval, FileHit, TreeContext, CHECKS, CONTENT_BYTES};

/// Which content checks run.
#[derive(Clone)]
pub struct ContentOptions {
    /// The secret scanner (`None`: no secret scanning).
    pub secrets: Option<std::sync::Arc<hull_secret::Scanner>>,
    /// Run the insecure-file checks.
    pub files: bool,
    /// Bytes of one file the secret scanner reads at most.
    pub max_secret_bytes: u64,
}

/// Default cap on the bytes of one file searched for secrets (16 MiB): far above any
/// configuration file, small enough that a 2 GB file costs no memory.
pub const DEFAULT_MAX_SECRET_BYTES: u64 = 16 * 1024 * 1024;

impl Default for ContentOptions {
    fn default() -> Self {
        ContentOptions {
            secrets: Some(std::sync::Arc::new(hull_secret::Scanner::builtin())),
            files: true,
            max_secret_bytes: DEFAULT_MAX_SECRET_BYTES,
        }
    }
}

/// A secret found in one file of one layer.
struct SecretHit {
    layer: usize,
    path: ImagePath,
    secret: hull_secret::Secret,
}

/// A content check's result on one file of one layer.
struct ContentHit {
    layer: usize,
    check: usize,
    hit: FileHit,
}

/// What the walk saw.
#[derive(Default)]
struct Seen {
    secrets: Vec<SecretHit>,
    content: Vec<ContentHit>,
    /// `(layer, path, opaque)` of every whiteout marker.
    whiteouts: Vec<(usize, ImagePath, bool)>,
    diagnostics: Vec<Diagnostic>,
}

/// The content observer of one walk.
pub struct ContentScan {
    opts: ContentOptions,
    seen: Mutex<Seen>,
}

/// The results of the content checks of one image.
#[derive(Debug, Default)]
pub struct ContentResult {
    pub findings: Vec<CheckFinding>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ContentScan {
    pub fn new(opts: ContentOptions) -> Self {
        ContentScan {
            opts,
            seen: Mutex::new(Seen::default()),
        }
    }

    fn with_seen(&self, f: impl FnOnce(&mut Seen)) {
        // A poisoned lock only means another visitor panicked; the data is still sound.
        match self.seen.lock() {
            Ok(mut s) => f(&mut s),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    fn secret_bytes(&self, e: &Entry) -> u64 {
        match &self.opts.secrets {
            Some(s) if s.wants(e.path.as_str(), e.size) => self.opts.max_secret_bytes,
            _ => 0,
        }
    }

    fn content_checks<'c>(
        &self,
        path: &'c ImagePath,
    ) -> impl Iterator<Item = (usize, files::ContentCheck)> + 'c {
        let on = self.opts.files;
        CHECKS
            .iter()
            .enumerate()
            .filter_map(move |(i, c)| match c.eval {
                FileEval::Content { wants, check } if on && wants(path) => Some((i, check)),
                _ => None,
            })
    }

    /// Turn what the walk saw into findings. `tree` is the walk's final view, `owned`
    /// the OS-package-owned files, `layers` the diff_ids base first (empty for `dir:`).
    pub fn finish(
        self,
        tree: &Tree,
        owned: &hull_catalog::OwnedFiles,
        layers: &[Digest],
    ) -> ContentResult {
        let seen = match self.seen.into_inner() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let mut out = ContentResult {
            diagnostics: seen.diagnostics,
            ..ContentResult::default()
        };
        let survives = |layer: usize, path: &ImagePath| {
            tree.get(path)
                .is_some_and(|n| n.layer == layer && n.kind == EntryKind::File)
        };
        let digest = |l: usize| layers.get(l).cloned();

        // Secrets: present ones first, so a deleted copy of a secret that is still
        // present at the same path (a file rewritten unchanged) is not reported twice.
        let mut present: HashSet<(ImagePath, String)> = HashSet::new();
        let (live, gone): (Vec<_>, Vec<_>) = seen
            .secrets
            .into_iter()
            .partition(|h| survives(h.layer, &h.path));
        for h in &live {
            present.insert((h.path.clone(), h.secret.fingerprint.clone()));
        }
        for h in live {
            out.findings.push(secret_finding(
                h.secret,
                CheckLocation::File {
                    path: h.path,
                    layer: digest(h.layer),
                    deleted_in: None,
                },
                false,
            ));
        }
        for h in gone {
            if present.contains(&(h.path.clone(), h.secret.fingerprint.clone())) {
                continue;
            }
            let by = deleting_layer(tree, &seen.whiteouts, h.layer, &h.path, layers.len());
            out.findings.push(secret_finding(
                h.secret,
                CheckLocation::File {
                    path: h.path,
                    layer: digest(h.layer),
                    // Layers always have digests in images; `dir:` has one layer and
                    // cannot delete anything.
                    deleted_in: by.or(layers.len().checked_sub(1)).and_then(digest),
                },
                true,
            ));
        }

        if self.opts.files {
            let cx = TreeContext { tree, owned };
            for c in CHECKS {
                if let FileEval::Tree(f) = c.eval {
                    for h in f(&cx) {
                        let layer = tree.get(&h.path).map(|n| n.layer).and_then(digest);
                        out.findings.push(file_finding(c, h, layer));
                    }
                }
            }
            for h in seen.content {
                if !survives(h.layer, &h.hit.path) {
                    continue;
                }
                if let Some(c) = CHECKS.get(h.check) {
                    out.findings.push(file_finding(c, h.hit, digest(h.layer)));
                }
            }
        }
        out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out.findings.dedup();
        out.diagnostics
            .sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
        out.diagnostics.dedup();
        out
    }
}

impl hull_catalog::FileObserver for ContentScan {
    fn entry(&self, entry: &Entry) {
        match entry.kind {
            EntryKind::Whiteout | EntryKind::OpaqueDir => self.with_seen(|s| {
                s.whiteouts.push((
                    entry.layer,
                    entry.path.clone(),
                    entry.kind == EntryKind::OpaqueDir,
                ))
            }),
            _ => {}
        }
    }

    fn wants(&self, entry: &Entry) -> u64 {
        let content = if self.content_checks(&entry.path).next().is_some() {
            CONTENT_BYTES
        } else {
            0
        };
        self.secret_bytes(entry).max(content)
    }

    fn file(&self, entry: &Entry, data: &[u8], complete: bool, error: Option<&str>) {
        if let Some(e) = error {
            self.with_seen(|s| {
                s.diagnostics.push(Diagnostic {
                    path: Some(entry.path.clone()),
                    source: "content".into(),
                    message: e.to_string(),
                })
            });
            return;
        }
        let mut secrets = Vec::new();
        let mut truncated = None;
        if let Some(scanner) = &self.opts.secrets {
            let cap = usize::try_from(self.secret_bytes(entry)).unwrap_or(usize::MAX);
            if cap > 0 {
                let part = &data[..data.len().min(cap)];
                secrets = scanner.scan(entry.path.as_str(), part);
                if !complete && data.len() >= cap {
                    truncated = Some(cap);
                }
            }
        }
        let mut content = Vec::new();
        for (i, check) in self.content_checks(&entry.path) {
            let part = &data[..data.len().min(CONTENT_BYTES as usize)];
            for hit in check(&entry.path, part) {
                content.push(ContentHit {
                    layer: entry.layer,
                    check: i,
                    hit,
                });
            }
        }
        if secrets.is_empty() && content.is_empty() && truncated.is_none() {
            return;
        }
        self.with_seen(|s| {
            s.secrets
                .extend(secrets.into_iter().map(|secret| SecretHit {
                    layer: entry.layer,
                    path: entry.path.clone(),
                    secret,
                }));
            s.content.extend(content);
            if let Some(cap) = truncated {
                s.diagnostics.push(Diagnostic {
                    path: Some(entry.path.clone()),
                    source: "secret".into(),
                    message: format!(
                        "only the first {cap} of {} bytes were searched for secrets",
                        entry.size
                    ),
                });
            }
        });
    }
}

/// The layer after `layer` that removed `path`: a whiteout of it or a parent, an opaque
/// parent, or a later write of the path (or of a parent as a non-directory) that the
/// final view shows. `None` when nothing says (should not happen for a real image).
fn deleting_layer(
    tree: &Tree,
    whiteouts: &[(usize, ImagePath, bool)],
    layer: usize,
    path: &ImagePath,
    layers: usize,
) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut consider = |l: usize| {
        if l > layer && best.is_none_or(|b| l < b) {
            best = Some(l);
        }
    };
    for (l, p, opaque) in whiteouts {
        let hides = if *opaque {
            path.starts_with(p) && path != p
        } else {
            path.starts_with(p)
        };
        if hides {
            consider(*l);
        }
    }
    // Overwritten: the final view has a later layer's file at the path, or a later
    // non-directory where a parent directory was.
    let mut cur = Some(path.clone());
    while let Some(p) = cur {
        if p.is_root() {
            break;
        }
        if let Some(n) = tree.get(&p) {
            if p == *path || n.kind != EntryKind::Dir {
                consider(n.layer);
            }
        }
        cur = p.parent();
    }
    best.filter(|b| *b < layers.max(1))
}

fn secret_finding(s: hull_secret::Secret, location: CheckLocation, deleted: bool) -> CheckFinding {
    let mut message = s.title.clone();
    if let Some(d) = &s.detail {
        message = format!("{message} ({d})");
    }
    if deleted {
        message.push_str(", in a file a later layer deleted");
    }
    CheckFinding {
        kind: CheckKind::Secret,
        rule: s.rule,
        title: s.title,
        severity: s.severity,
        location,
        line: Some(s.line),
        column: Some(s.column),
        message,
        excerpt: Some(s.excerpt),
        fingerprint: Some(s.fingerprint),
    }
}

fn file_finding(c: &files::FileCheck, h: FileHit, layer: Option<Digest>) -> CheckFinding {
    CheckFinding {
        kind: CheckKind::File,
        rule: c.id.to_string(),
        title: c.title.to_string(),
        severity: h.severity.unwrap_or(c.severity),
        location: CheckLocation::File {
            path: h.path,
            layer,
            deleted_in: None,
        },
        line: h.line,
        column: None,
        message: h.message,
        excerpt: None,
        fingerprint: None,
    }
}

/// Secrets in the image config and build history: every `Env` entry, every label and
/// every history `created_by` line (build `ARG` values land there). A secret found in
/// `Env` is not reported again for the history step that set it.
pub fn config_secrets(
    scanner: &hull_secret::Scanner,
    facts: &crate::image::ImageFacts,
) -> Vec<CheckFinding> {
    let mut out = Vec::new();
    let mut fingerprints = BTreeSet::new();
    let mut add = |secrets: Vec<hull_secret::Secret>,
                   location: CheckLocation,
                   out: &mut Vec<CheckFinding>| {
        for s in secrets {
            if fingerprints.insert(s.fingerprint.clone()) {
                out.push(secret_finding(s, location.clone(), false));
            }
        }
    };
    for kv in &facts.env {
        let name = kv.split_once('=').map_or(kv.as_str(), |(k, _)| k);
        let origin = format!("Env:{name}");
        add(
            scanner.scan_value(&origin, kv),
            CheckLocation::Config { field: origin },
            &mut out,
        );
    }
    for (k, v) in &facts.labels {
        let origin = format!("Labels:{k}");
        add(
            scanner.scan_value(&origin, &format!("{k}={v}")),
            CheckLocation::Config { field: origin },
            &mut out,
        );
    }
    for (step, line) in facts.history.iter().enumerate() {
        add(
            scanner.scan_value(&format!("history:{step}"), line),
            CheckLocation::History { step },
            &mut out,
        );
    }
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out
}

/// A file check by id.
pub fn file_check(id: &str) -> Option<&'static files::FileCheck> {
    CHECKS.iter().find(|c| c.id == id)
}

/// `docs/content-checks.md`, generated from [`files::CHECKS`] and
/// [`crate::image::IMAGE_CHECKS`] (kept in sync by a test).
pub fn markdown() -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    out.push_str("# hull image content checks\n\n");
    out.push_str("<!-- Generated from crates/hull-audit/src/content/files.rs and image.rs: `HULL_UPDATE_DOCS=1 cargo test -p hull-audit docs` -->\n\n");
    out.push_str("The insecure-file checks (`hull image --scanners file`) and image-config checks (`--scanners config`) of `hull image`, by id. Secret rules (`--scanners secret`) are in [secrets.md](secrets.md); the score S they feed is in [score.md](score.md).\n\n");
    out.push_str("## Insecure files\n\n");
    out.push_str("File checks judge the final merged filesystem (a setuid bit or a file a later layer removed is not reported); the content checks (sudoers, shadow) read at most the first MiB of the files they name.\n\n");
    out.push_str("| id | severity | title |\n|---|---|---|\n");
    for c in CHECKS {
        let anchor = c.id.replace(':', "");
        let _ = writeln!(
            out,
            "| [`{}`](#{anchor}) | {} | {} |",
            c.id, c.severity, c.title
        );
    }
    for c in CHECKS {
        let _ = write!(
            out,
            "\n### {}\n\n**Severity:** {}. **Title:** {}.\n\n{}\n",
            c.id, c.severity, c.title, c.rationale
        );
    }
    out.push_str("\n## Image configuration\n\n");
    out.push_str("Image-config checks are the `dockerfile:*` checks of `hull config` ([checks.md](checks.md)) run on the Dockerfile an image's config and history imply: the config's final `User`, `Env`, `ExposedPorts`, `Healthcheck` and the history's `RUN`/`ADD`/`COPY` steps. One piece of code and one id per control; a finding points at the config field (`Env:DB_PASSWORD`) or history step.\n\n");
    out.push_str("| id | severity | title | read from |\n|---|---|---|---|\n");
    for slug in crate::image::IMAGE_CHECKS {
        if let Some(d) = crate::checks::TABLE.iter().find(|d| d.slug == *slug) {
            let id = d.id(crate::Kind::Dockerfile);
            let anchor = id.replace(':', "");
            let _ = writeln!(
                out,
                "| [`{id}`](checks.md#{anchor}) | {} | {} | {} |",
                d.severity,
                d.title,
                crate::image::image_source(slug)
            );
        }
    }
    for slug in crate::image::IMAGE_CHECKS {
        if let Some(d) = crate::checks::TABLE.iter().find(|d| d.slug == *slug) {
            let _ = write!(
                out,
                "\n### {}\n\n**Severity:** {}. **Controls:** {}. **Read from:** {}.\n\n{}\n",
                d.id(crate::Kind::Dockerfile),
                d.severity,
                d.controls,
                crate::image::image_source(slug),
                d.description
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use hull_catalog::FileObserver;
    use hull_image::{Entry, EntryKind, Limits};
    use hull_model::Severity;

    use super::*;

    fn e(layer: usize, path: &str, kind: EntryKind, mode: u32, size: u64) -> Entry {
        Entry {
            layer,
            path: ImagePath::new(path).unwrap(),
            kind,
            mode,
            uid: 0,
            gid: 0,
            size,
        }
    }

    /// Feed `layers` (entries with their bytes) through a scan as the walk would and
    /// finish it against the merged view.
    fn run(layers: Vec<Vec<(Entry, Vec<u8>)>>, owned: &hull_catalog::OwnedFiles) -> ContentResult {
        let scan = ContentScan::new(ContentOptions::default());
        for layer in &layers {
            for (entry, data) in layer {
                scan.entry(entry);
                if entry.kind == EntryKind::File {
                    let want = scan.wants(entry);
                    if want > 0 {
                        let n = data.len().min(want as usize);
                        scan.file(entry, &data[..n], n == data.len(), None);
                    }
                }
            }
        }
        let entries: Vec<Vec<Entry>> = layers
            .iter()
            .map(|l| l.iter().map(|(e, _)| e.clone()).collect())
            .collect();
        let tree = hull_image::formats::merge(&entries, &Limits::default());
        let digests: Vec<Digest> = (0..layers.len())
            .map(|i| Digest::sha256_from_bytes(&[i as u8]))
            .collect();
        scan.finish(&tree, owned, &digests)
    }

    #[test]
    fn deleted_overwritten_and_present_secrets() {
        let token = b"GITLAB_TOKEN=glpat-Qw7rTy2uIo9pAs4dFg6h\n".to_vec();
        let file = |layer, path: &str, data: &[u8]| {
            (
                e(layer, path, EntryKind::File, 0o644, data.len() as u64),
                data.to_vec(),
            )
        };
        let layers = vec![
            vec![
                file(0, "tmp/token.env", &token),
                file(0, "app/old.env", &token),
                file(0, "app/kept.env", &token),
                file(0, "opt/dir/a.env", &token),
            ],
            vec![
                (e(1, "tmp/token.env", EntryKind::Whiteout, 0, 0), vec![]),
                file(1, "app/old.env", b"nothing here\n"),
                (e(1, "opt/dir", EntryKind::OpaqueDir, 0, 0), vec![]),
            ],
            vec![file(2, "app/kept.env", &token)],
        ];
        let r = run(layers, &Default::default());
        let d = |i: u8| Some(Digest::sha256_from_bytes(&[i]));
        let got: Vec<(String, Option<Digest>, Option<Digest>)> = r
            .findings
            .iter()
            .filter(|f| f.kind == CheckKind::Secret)
            .map(|f| match &f.location {
                CheckLocation::File {
                    path,
                    layer,
                    deleted_in,
                } => (path.as_str().to_string(), layer.clone(), deleted_in.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            got,
            vec![
                // Rewritten unchanged by layer 2: present once, with its last layer.
                ("app/kept.env".to_string(), d(2), None),
                ("app/old.env".to_string(), d(0), d(1)),
                ("opt/dir/a.env".to_string(), d(0), d(1)),
                ("tmp/token.env".to_string(), d(0), d(1)),
            ],
            "{:#?}",
            r.findings
        );
    }

    #[test]
    fn file_checks_on_the_final_view() {
        let mut owned = hull_catalog::OwnedFiles::new();
        owned.insert(ImagePath::new("usr/bin/passwd").unwrap(), "passwd".into());
        let sudoers = b"root ALL=(ALL) ALL\napp ALL=(ALL) NOPASSWD: ALL\n".to_vec();
        let layers = vec![
            vec![
                (
                    e(0, "usr/bin/passwd", EntryKind::File, 0o4755, 1),
                    b"x".to_vec(),
                ),
                (e(0, "opt/tool", EntryKind::File, 0o4755, 1), b"x".to_vec()),
                (
                    e(0, "usr/bin/gone", EntryKind::File, 0o4755, 1),
                    b"x".to_vec(),
                ),
                (e(0, "tmp", EntryKind::Dir, 0o1777, 0), vec![]),
                (e(0, "srv/drop", EntryKind::Dir, 0o777, 0), vec![]),
                (
                    e(
                        0,
                        "etc/sudoers.d/app",
                        EntryKind::File,
                        0o440,
                        sudoers.len() as u64,
                    ),
                    sudoers.clone(),
                ),
                (
                    e(
                        0,
                        "etc/sudoers.d/old",
                        EntryKind::File,
                        0o440,
                        sudoers.len() as u64,
                    ),
                    sudoers.clone(),
                ),
                (
                    e(0, "etc/ssh/ssh_host_ed25519_key", EntryKind::File, 0o600, 3),
                    b"key".to_vec(),
                ),
                (
                    e(
                        0,
                        "etc/ssh/ssh_host_ed25519_key.pub",
                        EntryKind::File,
                        0o644,
                        3,
                    ),
                    b"pub".to_vec(),
                ),
                (
                    e(0, "root/.bash_history", EntryKind::File, 0o600, 3),
                    b"ls\n".to_vec(),
                ),
                (e(0, "src/app/.git", EntryKind::Dir, 0o755, 0), vec![]),
                (
                    e(0, "src/app/.git/config", EntryKind::File, 0o644, 1),
                    b"x".to_vec(),
                ),
                (
                    e(
                        0,
                        "var/cache/apt/archives/a.deb",
                        EntryKind::File,
                        0o644,
                        10,
                    ),
                    vec![0; 10],
                ),
            ],
            vec![
                (e(1, "usr/bin/gone", EntryKind::Whiteout, 0, 0), vec![]),
                (e(1, "etc/sudoers.d/old", EntryKind::Whiteout, 0, 0), vec![]),
            ],
        ];
        let r = run(layers, &owned);
        let got: Vec<(String, String, Severity)> = r
            .findings
            .iter()
            .filter(|f| f.kind == CheckKind::File)
            .map(|f| {
                (
                    f.rule.clone(),
                    f.location.path().unwrap().as_str().to_string(),
                    f.severity,
                )
            })
            .collect();
        let want: Vec<(String, String, Severity)> = [
            ("file:setuid-setgid", "opt/tool", Severity::High),
            (
                "file:sudoers-nopasswd",
                "etc/sudoers.d/app",
                Severity::Medium,
            ),
            (
                "file:ssh-host-key",
                "etc/ssh/ssh_host_ed25519_key",
                Severity::High,
            ),
            ("file:shell-history", "root/.bash_history", Severity::Medium),
            ("file:git-directory", "src/app/.git", Severity::Medium),
            ("file:world-writable", "srv/drop", Severity::Medium),
            (
                "file:package-cache",
                "var/cache/apt/archives",
                Severity::Low,
            ),
            ("file:setuid-setgid", "usr/bin/passwd", Severity::Low),
        ]
        .into_iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c))
        .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        let mut want_sorted = want;
        want_sorted.sort();
        assert_eq!(got_sorted, want_sorted, "{got:#?}");
    }
}
