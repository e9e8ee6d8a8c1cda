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
