//! Image intake: turns a `<target>` string into image metadata plus one streaming pass
//! over every layer, and the flattened, whiteout-aware file view that results.
//!
//! Targets (see `docs/targets.md`): `docker-archive:` (a `docker save` tar, plain or
//! gzip), `oci-archive:` (a tar of an OCI layout), `oci-dir:` (an OCI layout directory,
//! `:tag` / `@sha256:…` picks an image, multi-platform indexes pick
//! [`OpenOptions::platform`]), `dir:` (an unpacked root filesystem) and `registry:`
//! (pulled over the OCI distribution API). Without a prefix the target is detected:
//! a directory with `oci-layout` is an OCI layout, another directory a rootfs, a file is
//! sniffed (`index.json`/`oci-layout` inside → OCI archive, `manifest.json` → docker
//! archive), anything else is a registry reference.
//!
//! How a walk works: [`Image::walk`] streams every layer exactly once — layers are
//! inflated in parallel on scoped threads, never written to disk — and calls the visitor
//! for each tar entry in that layer's tar order, with a reader over the entry's bytes.
//! While streaming it verifies blob digests and `diff_id`s and enforces [`Limits`]. It
//! then returns the final [`Tree`]: layers applied base first, whiteouts (`.wh.NAME`) and
//! opaque directories (`.wh..wh..opq`) honoured, each [`Node`] attributed to the layer
//! that last wrote it. An analyzer that found something in (layer, path) keeps it only
//! when `tree.get(path).layer == layer` — otherwise a later layer replaced or deleted it.
//!
//! Hard links: the visitor sees a hard link's bytes at its target's entry (the link
//! itself is an [`EntryKind::Hardlink`] with an empty reader); in the tree the link node
//! names its target, which a later layer may have deleted.
//!
//! What it does not do: extract anything to the host filesystem, run containers, or
//! parse file formats inside the image (that is `hull-catalog`). Entries whose name
//! climbs above the image root (`../x`) make the layer fail as hostile; absolute names
//! are re-rooted; symlinks are only ever resolved inside the image ([`Tree::resolve`]).
//! Error messages count layers from 1 (`layer 2/5 (sha256:ab12…)`); [`Entry::layer`]
//! and [`Node::layer`] count from 0.
//!
//! ```no_run
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! let image = hull_image::open("oci-archive:app.tar", &Default::default())?;
//! let files = AtomicUsize::new(0);
//! let tree = image.walk(&|entry, _content| {
//!     if entry.kind == hull_image::EntryKind::File {
//!         files.fetch_add(1, Ordering::Relaxed);
//!     }
//!     Ok(())
//! })?;
//! let os_release = hull_model::ImagePath::new("etc/os-release").unwrap();
//! println!("{} entries streamed, {} paths in the final view, os-release from {:?}",
//!          files.load(Ordering::Relaxed), tree.len(), tree.resolve(&os_release).map(|(p, _)| p));
//! # Ok::<(), hull_image::Error>(())
//! ```

mod archive;
mod config;
mod dir;
mod docker;
mod dockercfg;
mod error;
mod layer;
mod oci;
mod options;
mod registry;
mod store;
mod target;
mod tree;

use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub use config::{Healthcheck, History, ImageConfig};
pub use error::{Error, VisitError};
use hull_model::ImageInfo;
pub use options::{Limits, OpenOptions, Platform};
pub use target::Selector;
pub use tree::{Entry, EntryKind, Node, Tree};

pub use layer::Visitor;
use layer::{Budget, LayerSpec};
use store::{Loc, Store};

/// An opened image: metadata read, layers not yet streamed.
pub struct Image {
    /// Target, digests and layers (base first, with `diff_id`s). Empty `layers` for `dir:`.
    pub info: ImageInfo,
    /// The parsed image config (default for `dir:`).
    pub config: ImageConfig,
    source: Source,
    limits: Limits,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

enum Source {
    /// Layer blobs each readable on their own: walked in parallel.
    Layers {
        store: Store,
        layers: Vec<Loc>,
    },
    /// A gzip-compressed outer archive: blobs can only be reached by streaming it.
    Streamed {
        index: archive::ArchiveIndex,
        layers: Vec<Loc>,
    },
    Dir(PathBuf),
}

/// Open a target (see the crate docs for the forms). Reads manifests and the config,
/// not the layers.
pub fn open(target: &str, opts: &OpenOptions) -> Result<Image, Error> {
    let opened = match target::parse(target)? {
        target::Target::Dir(root) => {
            if !root.is_dir() {
                return Err(Error::Target {
                    target: target.into(),
                    message: format!("{} is not a directory", root.display()),
                });
            }
            return Ok(Image {
                info: ImageInfo {
                    target: target.into(),
                    ..Default::default()
                },
                config: ImageConfig::default(),
                source: Source::Dir(root),
                limits: opts.limits.clone(),
            });
        }
        target::Target::OciDir(path, sel) => {
            let store = Store::Dir(path);
            oci::open_layout(store, &sel, opts)?
        }
        target::Target::OciArchive(path, sel) => {
            let store = Store::Archive(archive::index(&path, &opts.limits)?);
            oci::open_layout(store, &sel, opts)?
        }
        target::Target::Archive(path, sel) => {
            // Told apart by members: an OCI layout inside wins (docker 25+ writes both).
            let index = archive::index(&path, &opts.limits)?;
            if index.has("index.json") {
                oci::open_layout(Store::Archive(index), &sel, opts)?
            } else if index.has("manifest.json") {
                docker::open_archive(Store::Archive(index), &sel, opts)?
            } else {
                return Err(Error::Target {
                    target: target.into(),
                    message: "not an image archive: no `index.json` or `manifest.json` inside"
                        .into(),
                });
            }
        }
        target::Target::DockerArchive(path, sel) => {
            let store = Store::Archive(archive::index(&path, &opts.limits)?);
            docker::open_archive(store, &sel, opts)?
        }
        target::Target::Registry(reference) => registry::open(&reference, opts)?,
    };
    let mut info = opened.info;
    info.target = target.into();
    let source = match opened.store {
        Store::Archive(index) if index.gzip => Source::Streamed {
            index,
            layers: opened.layers,
        },
        store => Source::Layers {
            store,
            layers: opened.layers,
        },
    };
    Ok(Image {
        info,
        config: opened.config,
        source,
        limits: opts.limits.clone(),
    })
}

/// What a source module hands back to [`open`].
pub(crate) struct Opened {
    pub info: ImageInfo,
    pub config: ImageConfig,
    pub store: Store,
    /// Where each layer's blob is, base first (parallel to `info.layers`).
    pub layers: Vec<Loc>,
}

impl Opened {
    /// An opened image: its config (digest `config_digest`) and its layers, base first,
    /// each with where its blob is. The caller adds what its source knows beyond that.
    pub(crate) fn new(
        store: Store,
        config: ImageConfig,
        config_digest: hull_model::Digest,
        layers: Vec<(Loc, hull_model::LayerInfo)>,
    ) -> Opened {
        let (locs, infos) = layers.into_iter().unzip();
        let info = ImageInfo {
            config_digest: Some(config_digest),
            os: config.os.clone(),
            architecture: config.architecture.clone(),
            layers: infos,
            ..Default::default()
        };
        Opened {
            info,
            config,
            store,
            layers: locs,
        }
    }
}

impl Image {
    /// Stream every layer once and call `visit` for each entry of each layer, in that
    /// layer's tar order; the reader yields the entry's content (empty for non-files,
    /// unread bytes are skipped). Layers are processed in parallel, so `visit` runs on
    /// several threads at once. Whiteout markers are visited too (kind `Whiteout` /
    /// `OpaqueDir`). A visitor error stops the walk. Returns the flattened final view.
    pub fn walk(
        &self,
        visit: &(dyn Fn(&Entry, &mut dyn Read) -> Result<(), VisitError> + Sync),
    ) -> Result<Tree, Error> {
        let budget = Budget::default();
        let per_layer = match &self.source {
            Source::Dir(root) => vec![dir::walk(root, &self.limits, &budget, visit)?],
            Source::Layers { store, layers } => {
                self.walk_parallel(store, layers, &budget, visit)?
            }
            Source::Streamed { index, layers } => {
                archive::walk_streamed(index, layers, &self.specs(), &self.limits, &budget, visit)?
            }
        };
        let mut tree = Tree::new(self.limits.max_symlink_hops);
        for entries in &per_layer {
            tree.apply_layer(entries);
        }
        Ok(tree)
    }

    fn specs(&self) -> Vec<LayerSpec> {
        let n = self.info.layers.len();
        self.info
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| LayerSpec {
                index: i,
                part: format!(
                    "layer {}/{n} ({})",
                    i + 1,
                    error::short(l.digest.as_ref().unwrap_or(&l.diff_id))
                ),
                digest: l.digest.clone(),
                diff_id: Some(l.diff_id.clone()),
            })
            .collect()
    }

    fn walk_parallel(
        &self,
        store: &Store,
        layers: &[Loc],
        budget: &Budget,
        visit: Visitor<'_>,
    ) -> Result<Vec<Vec<crate::Entry>>, Error> {
        let specs = self.specs();
        // Biggest layers first so the last thread to finish is not stuck with the base.
        let mut order: Vec<usize> = (0..layers.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.info.layers.get(i).map_or(0, |l| l.size)));
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(layers.len())
            .max(1);
        let next = AtomicUsize::new(0);
        let done: Mutex<Vec<Option<Vec<Entry>>>> =
            Mutex::new((0..layers.len()).map(|_| None).collect());
        // The first failure in time is the cause; later ones are the other layers stopping.
        let failure: Mutex<Option<Error>> = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = order.get(k) else { break };
                    if budget.abort.load(Ordering::Relaxed) {
                        break;
                    }
                    let (Some(loc), Some(spec)) = (layers.get(i), specs.get(i)) else {
                        break;
                    };
                    let res = store.open(loc, &spec.part).and_then(|mut r| {
                        layer::walk_layer(&mut r, spec, &self.limits, budget, visit)
                    });
                    match res {
                        Ok(entries) => {
                            if let Ok(mut all) = done.lock() {
                                if let Some(slot) = all.get_mut(i) {
                                    *slot = Some(entries);
                                }
                            }
                        }
                        Err(e) => {
                            budget.abort.store(true, Ordering::Relaxed);
                            if let Ok(mut f) = failure.lock() {
                                f.get_or_insert(e);
                            }
                        }
                    }
                });
            }
        });
        if let Some(e) = failure.into_inner().ok().flatten() {
            return Err(e);
        }
        let done = done.into_inner().unwrap_or_default();
        let mut out = Vec::with_capacity(done.len());
        for (i, entries) in done.into_iter().enumerate() {
            match entries {
                Some(v) => out.push(v),
                None => {
                    return Err(Error::invalid(
                        specs.get(i).map_or("layer", |s| s.part.as_str()),
                        "layer was not read",
                    ))
                }
            }
        }
        Ok(out)
    }
}

/// The parsers of untrusted image metadata and layer streams, usable on bytes in
/// memory (fuzz targets, tools that already hold the blobs).
pub mod formats {
    use std::io::Read;

    pub use crate::docker::{parse_manifest as parse_docker_manifest, ManifestEntry};
    use crate::layer::{Budget, LayerSpec};
    pub use crate::oci::{parse_doc, DescPlatform, Descriptor, Doc};
    use crate::{Entry, Error, Limits, Tree, VisitError};

    /// Stream one layer blob (plain, gzip or zstd tar) as [`crate::Image::walk`] would,
    /// as layer 0, without digest checks.
    pub fn walk_layer(
        blob: &mut dyn Read,
        limits: &Limits,
        visit: &(dyn Fn(&Entry, &mut dyn Read) -> Result<(), VisitError> + Sync),
    ) -> Result<Vec<Entry>, Error> {
        let spec = LayerSpec {
            index: 0,
            part: "layer".into(),
            digest: None,
            diff_id: None,
        };
        crate::layer::walk_layer(blob, &spec, limits, &Budget::default(), visit)
    }

    /// Merge layers' entries (base first) into the final view.
    pub fn merge(layers: &[Vec<Entry>], limits: &Limits) -> Tree {
        let mut tree = Tree::new(limits.max_symlink_hops);
        for l in layers {
            tree.apply_layer(l);
        }
        tree
    }
}
