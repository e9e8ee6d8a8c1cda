//! The content scanners of `hull image` (`--scanners secret,file,config`): wiring only.
//! The checks live in `hull-audit` (`content`, `image`), the secret rules in
//! `hull-secret`, the score in `hull-report::score`; the walk is the catalog's own.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use hull_model::{CheckFinding, Diagnostic, Inventory};

/// `--scanners` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Scanner {
    Vuln,
    Secret,
    File,
    Config,
}

impl Scanner {
    pub fn as_str(self) -> &'static str {
        match self {
            Scanner::Vuln => "vuln",
            Scanner::Secret => "secret",
            Scanner::File => "file",
            Scanner::Config => "config",
        }
    }
}

/// What a scan of the target produced.
pub struct Scanned {
    pub inventory: Inventory,
    pub checks: Vec<CheckFinding>,
    /// `(regular files with modes, OS-owned files)` of the final view, for the score;
    /// `None` for `inventory:` and `sbom:` targets, which have no files.
    pub files: Option<(Vec<(hull_model::ImagePath, u32)>, hull_catalog::OwnedFiles)>,
}

/// The secret scanner: the built-in rules, or those of `--secret-config`.
pub fn secret_scanner(config: Option<&Path>) -> anyhow::Result<hull_secret::Scanner> {
    match config {
        None => Ok(hull_secret::Scanner::builtin()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading --secret-config {}", p.display()))?;
            hull_secret::Scanner::with_config(&text, &p.display().to_string())
                .map_err(|e| anyhow::anyhow!("--secret-config: {e}"))
        }
    }
}

/// Read the target once with the content checks the scanners ask for riding the
/// catalog's walk, then check the image config.
pub fn scan(
    target: &crate::target::TargetArgs,
    scanners: &[Scanner],
    secret_config: Option<&Path>,
) -> anyhow::Result<Scanned> {
    let want = |s| scanners.contains(&s);
    let stored = target.target.starts_with("inventory:") || target.target.starts_with("sbom:");
    let content_wanted = want(Scanner::Secret) || want(Scanner::File) || want(Scanner::Config);
    if stored {
        if content_wanted && !target.quiet {
            eprintln!(
                "hull: warning: {} holds no files or image config: only the vuln scanner runs",
                target.target
            );
        }
        return Ok(Scanned {
            inventory: crate::image::load_inventory(target)?,
            checks: Vec::new(),
            files: None,
        });
    }
    let secrets = if want(Scanner::Secret) {
        Some(Arc::new(secret_scanner(secret_config)?))
    } else {
        None
    };
    let image = crate::target::open_image(target)?;
    let observer = hull_audit::content::ContentScan::new(hull_audit::content::ContentOptions {
        secrets: secrets.clone(),
        files: want(Scanner::File),
        max_secret_bytes: hull_audit::content::DEFAULT_MAX_SECRET_BYTES,
    });
    // Without the vuln scanner only the analyzers the others need run: the OS package
    // databases say which files a package owns (setuid severity), nothing else is read.
    let only = match (want(Scanner::Vuln), want(Scanner::File)) {
        (true, _) => None,
        (false, true) => Some(vec!["dpkg".to_string(), "apk".into(), "rpm".into()]),
        (false, false) => Some(Vec::new()),
    };
    let catalog = hull_catalog::CatalogOptions {
        only,
        ..crate::target::catalog_options(target)
    };
    let catalogued = crate::target::scan_observed(target, &image, &catalog, &observer)?;
    let layers: Vec<hull_model::Digest> = image
        .info
        .layers
        .iter()
        .map(|l| l.diff_id.clone())
        .collect();
    let result = observer.finish(&catalogued.tree, &catalogued.owned, &layers);
    let mut checks = result.findings;
    let mut inventory = catalogued.inventory;
    inventory.diagnostics.extend(result.diagnostics);

    let facts = facts(&image.config);
    if want(Scanner::Config) && !image.info.layers.is_empty() {
        checks.extend(hull_audit::image::audit_image(&facts));
    }
    if let Some(s) = &secrets {
        checks.extend(hull_audit::content::config_secrets(s, &facts));
    }
    sort_diagnostics(&mut inventory.diagnostics);
    let files = catalogued
        .tree
        .iter()
        // A hard link is a file of its own name (busybox's applets are hard links).
        .filter(|(_, n)| {
            matches!(
                n.kind,
                hull_image::EntryKind::File | hull_image::EntryKind::Hardlink(_)
            )
        })
        .map(|(p, n)| (p.clone(), n.mode))
        .collect();
    Ok(Scanned {
        inventory,
        checks,
        files: Some((files, catalogued.owned)),
    })
}

fn sort_diagnostics(d: &mut Vec<Diagnostic>) {
    d.sort_by(|a, b| (&a.path, &a.source, &a.message).cmp(&(&b.path, &b.source, &b.message)));
    d.dedup();
}

/// The image config as the image checks read it.
pub fn facts(c: &hull_image::ImageConfig) -> hull_audit::image::ImageFacts {
    hull_audit::image::ImageFacts {
        user: c.user.clone(),
        env: c.env.clone(),
        exposed_ports: c.exposed_ports.clone(),
        healthcheck: c.healthcheck.as_ref().map(|h| h.test.clone()),
        labels: c
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        history: c
            .history
            .iter()
            .map(|h| h.created_by.clone().unwrap_or_default())
            .collect(),
    }
}
