//! The image-target arguments every image command shares (`hull sbom`, `hull image`):
//! the target string, `--platform`, `--insecure`, `--quiet`, and the progress bar.
//! Turning a target into an [`Inventory`] happens here so both commands read images
//! the same way.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use hull_model::Inventory;

/// Examples of every target form, shown under `--help`.
pub const TARGET_HELP: &str = "\
Targets (the prefix may be omitted: files and directories are sniffed, anything else
is taken as a registry reference):
  app.oci.tar, oci-archive:app.oci.tar         OCI archive (a tar of an OCI layout)
  oci-dir:./layout, oci-dir:./layout:1.0       OCI layout directory [image by tag]
  docker-archive:app.docker.tar                `docker save` tarball, also gzip'd
  dir:./rootfs                                 an unpacked root filesystem
  registry:ghcr.io/org/app:1.2                 pull (credentials: ~/.docker/config.json)
  registry:127.0.0.1:5000/app:1 --insecure     plain-HTTP registry on loopback
  registry:debian:12 --platform linux/arm64    one image of a multi-platform index
  sbom:bom.cdx.json                            an existing CycloneDX or SPDX JSON SBOM";

#[derive(clap::Args, Debug, Clone)]
pub struct TargetArgs {
    /// The image to read: a file, directory or registry reference, optionally prefixed
    /// with `oci-archive:`, `oci-dir:`, `docker-archive:`, `dir:`, `registry:` or `sbom:`.
    #[arg(value_name = "TARGET")]
    pub target: String,

    /// Which image of a multi-platform index to read.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value = "linux/amd64")]
    pub platform: String,

    /// Allow plain HTTP and unverified TLS for the registry (loopback test registries).
    #[arg(long)]
    pub insecure: bool,

    /// No progress bar and no warnings on stderr; errors are still printed.
    #[arg(long, short)]
    pub quiet: bool,

    /// Keep development-only dependencies (lockfile `dev` entries, composer
    /// `packages-dev`, …), left out by default: see docs/catalog.md.
    #[arg(long)]
    pub include_dev: bool,
}

impl TargetArgs {
    /// Show progress only to a person watching: stderr is a terminal and not `--quiet`.
    fn progress_wanted(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
}

/// Read the target into an inventory: an SBOM file is parsed, anything else is opened
/// as an image and catalogued.
pub fn inventory(args: &TargetArgs) -> anyhow::Result<Inventory> {
    if let Some(file) = args.target.strip_prefix("sbom:") {
        let bytes =
            std::fs::read(Path::new(file)).with_context(|| format!("cannot read sbom {file}"))?;
        let mut inv = hull_report::read_sbom(&bytes).with_context(|| format!("sbom {file}"))?;
        if inv.image.target.is_empty() {
            inv.image.target = args.target.clone();
        }
        if !args.include_dev {
            inv.packages.retain(|p| !p.dev);
        }
        return Ok(inv);
    }
    scan_image(args)
}

fn scan_image(args: &TargetArgs) -> anyhow::Result<Inventory> {
    let image = open_image(args)?;
    with_progress(args, &image, |progress| {
        hull_catalog::catalog_with_progress(&image, &catalog_options(args), progress)
    })
}

/// The catalog options the flags ask for.
pub fn catalog_options(args: &TargetArgs) -> hull_catalog::CatalogOptions {
    hull_catalog::CatalogOptions {
        include_dev: args.include_dev,
        ..hull_catalog::CatalogOptions::default()
    }
}

/// Open the target as an image (not `sbom:`/`inventory:`), for scans that need its files.
pub fn open_image(args: &TargetArgs) -> anyhow::Result<hull_image::Image> {
    let platform = args
        .platform
        .parse::<hull_image::Platform>()
        .map_err(|e| anyhow::anyhow!("--platform: {e}"))?;
    let opts = hull_image::OpenOptions {
        platform,
        insecure: args.insecure,
        ..hull_image::OpenOptions::default()
    };
    Ok(hull_image::open(&args.target, &opts)?)
}

/// Catalogue an opened image with `observer` riding the same walk (content checks).
pub fn scan_observed(
    args: &TargetArgs,
    image: &hull_image::Image,
    opts: &hull_catalog::CatalogOptions,
    observer: &dyn hull_catalog::FileObserver,
) -> anyhow::Result<hull_catalog::Catalogued> {
    with_progress(args, image, |progress| {
        hull_catalog::catalog_observed(image, opts, progress, observer)
    })
}

/// Run `walk` with the progress bar (when wanted) fed from its progress events.
fn with_progress<T>(
    args: &TargetArgs,
    image: &hull_image::Image,
    walk: impl FnOnce(&(dyn Fn(hull_catalog::Progress<'_>) + Sync)) -> Result<T, hull_catalog::Error>,
) -> anyhow::Result<T> {
    let bar = args.progress_wanted().then(|| progress_bar(image));
    let entries = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let progress = |p: hull_catalog::Progress<'_>| {
        let Some(bar) = &bar else { return };
        match p {
            hull_catalog::Progress::Entry { size, .. } => {
                let n = entries.fetch_add(1, Ordering::Relaxed) + 1;
                let b = bytes.fetch_add(size, Ordering::Relaxed) + size;
                // Redrawing per entry would cost more than the scan; every 256th is plenty.
                if n % 256 == 0 {
                    bar.set_message(format!(
                        "{}: {n} files, {} MiB",
                        image.info.target,
                        b / (1024 * 1024)
                    ));
                }
            }
            hull_catalog::Progress::Assembling => bar.set_message("assembling inventory"),
            _ => {}
        }
    };
    let result = walk(&progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    Ok(result?)
}

/// A spinner on stderr: layers stream in parallel and their uncompressed size is not
/// known in advance, so files and bytes seen are shown instead of a percentage.
fn progress_bar(image: &hull_image::Image) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(format!(
        "reading {} ({} layers)",
        image.info.target,
        image.info.layers.len()
    ));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
