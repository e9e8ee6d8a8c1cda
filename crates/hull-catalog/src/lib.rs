//! Analyzers: one small module per file format, listed in one explicit table
//! ([`analyzers::ALL`]), that turn the files of an image into an [`hull_model::Inventory`].
//!
//! An analyzer is two plain functions: `wants` decides from a path and its metadata whether
//! the file's bytes are needed, `parse` turns those bytes into packages (and facts such as
//! the distro or the files an OS package owns). Analyzers never see layers or whiteouts:
//! the assembly step ([`assemble`]) runs them on each layer's files as they stream past,
//! keeps only the results whose file survives in the final view, and then resolves the
//! distro, file ownership and purls.
//!
//! Adding an ecosystem = one parser module + one row in [`analyzers::ALL`] + fixtures.
//!
//! What it does not do: fetch or unpack images (that is `hull-image`), match
//! vulnerabilities (`hull-match`), or guess packages from file names.

pub mod analyzer;
pub mod analyzers;
pub mod assemble;
pub mod purl;

pub use analyzer::{AnalyzeError, Analyzer, FileInput, Found};
pub use assemble::{CatalogOptions, Collector, FileObserver, FinalView, OwnedFiles, Progress};

use hull_image::{EntryKind, Image, Tree};
use hull_model::{ImagePath, Inventory};

/// Why a catalog could not be built at all (a file that can't be read is a diagnostic).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Image(#[from] hull_image::Error),
}

/// Index an image: stream its layers once through every analyzer and assemble the
/// inventory of what the final filesystem holds.
///
/// ```no_run
/// let image = hull_image::open("oci-archive:app.tar", &Default::default())?;
/// let inv = hull_catalog::catalog(&image, &Default::default())?;
/// for p in &inv.packages {
///     println!("{} {} ({})", p.name, p.version, p.purl);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn catalog(image: &Image, opts: &CatalogOptions) -> Result<Inventory, Error> {
    catalog_with_progress(image, opts, &|_| {})
}

/// [`catalog`] with a progress hook (called from the walking threads).
pub fn catalog_with_progress(
    image: &Image,
    opts: &CatalogOptions,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<Inventory, Error> {
    let collector = Collector::new(opts, progress);
    let tree = image.walk(&|entry, content| {
        if entry.kind == EntryKind::File {
            collector.visit_file(entry.layer, &entry.path, entry.mode, entry.size, content);
        }
        Ok(())
    })?;
    Ok(collector.finish(&TreeView(&tree), image.info.clone()))
}

/// What [`catalog_observed`] hands back: the inventory, the final merged tree and the
/// files OS packages own.
pub struct Catalogued {
    pub inventory: Inventory,
    pub tree: Tree,
    pub owned: OwnedFiles,
}

/// [`catalog_with_progress`] with a content check riding the same walk: `observer`
/// sees every entry and the bytes it asks for, read once with the analyzers'.
pub fn catalog_observed(
    image: &Image,
    opts: &CatalogOptions,
    progress: &(dyn Fn(Progress<'_>) + Sync),
    observer: &dyn FileObserver,
) -> Result<Catalogued, Error> {
    let collector = Collector::new(opts, progress).with_observer(observer);
    let tree = image.walk(&|entry, content| {
        collector.visit_entry(entry, content);
        Ok(())
    })?;
    let (inventory, owned) = collector.finish_with_owned(&TreeView(&tree), image.info.clone());
    Ok(Catalogued {
        inventory,
        tree,
        owned,
    })
}

/// The merged tree of `hull-image` as the assembly sees it.
struct TreeView<'a>(&'a Tree);

impl FinalView for TreeView<'_> {
    fn layer_of(&self, path: &ImagePath) -> Option<usize> {
        self.0.get(path).map(|n| n.layer)
    }

    fn resolve(&self, path: &ImagePath) -> Option<(ImagePath, usize)> {
        self.0.resolve(path).map(|(p, n)| (p, n.layer))
    }
}
