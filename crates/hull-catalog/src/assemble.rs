//! Assembly: run the analyzers over the files of each layer as they stream past, then
//! keep what survives in the final view and turn it into one [`Inventory`].
//!
//! Streaming is the point: a layer is never held in memory, only the bytes of the files
//! some analyzer asked for, one file at a time per layer. Results are tagged with the
//! (layer, path) they came from; after the walk, a result is kept only when the final
//! merged tree says that very layer last wrote that path, so files deleted by a whiteout
//! or overwritten by a later layer drop out without analyzers knowing about layers.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::Mutex;

use hull_model::{Diagnostic, Distro, ImageInfo, ImagePath, Inventory};

use crate::analyzers::{os_release, ALL};
use crate::{purl, Found};

/// Knobs for [`crate::catalog`].
#[derive(Debug, Clone)]
pub struct CatalogOptions {
    /// Files larger than this are not read (reported as a diagnostic instead).
    pub max_file_size: u64,
    /// Run only these analyzer ids (`None` = every row of [`ALL`]).
    pub only: Option<Vec<String>>,
    /// Keep development-only dependencies ([`hull_model::Package::dev`]); off by
    /// default: an image or a production install does not ship them (docs/catalog.md).
    pub include_dev: bool,
}

impl Default for CatalogOptions {
    fn default() -> Self {
        CatalogOptions {
            max_file_size: 512 * 1024 * 1024,
            only: None,
            include_dev: false,
        }
    }
}

/// Progress events for a progress bar. Sent from the walking threads, in no order.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// A regular file went past (analyzed or not).
    Entry {
        layer: usize,
        path: &'a ImagePath,
        size: u64,
    },
    /// An analyzer finished a file.
    Analyzed {
        analyzer: &'static str,
        layer: usize,
        path: &'a ImagePath,
    },
    /// The walk is over; ownership, distro and purls are being resolved.
    Assembling,
}

/// What assembly needs from the final merged view of the image.
pub trait FinalView {
    /// Layer that last wrote `path`, if it exists in the final view.
    fn layer_of(&self, path: &ImagePath) -> Option<usize>;
    /// Follow symlinks from `path`: the real path and the layer that wrote it.
    fn resolve(&self, path: &ImagePath) -> Option<(ImagePath, usize)>;
}

/// One analyzer run on one file of one layer.
#[derive(Debug)]
struct Hit {
    layer: usize,
    path: ImagePath,
    analyzer: &'static str,
    result: Result<Found, String>,
}

/// Collects analyzer results during a walk. `visit` is safe to call from several
/// threads at once (one per layer).
pub struct Collector<'a> {
    opts: &'a CatalogOptions,
    progress: &'a (dyn Fn(Progress<'_>) + Sync),
    hits: Mutex<Vec<Hit>>,
    observer: Option<&'a dyn FileObserver>,
}

/// A content check that rides the same walk as the analyzers (secrets, insecure
/// files): it sees every entry of every layer and may ask for the leading bytes of
/// regular files, which are read once and shared with the analyzers that want them.
pub trait FileObserver: Sync {
    /// Every entry of every layer (files, directories, links, whiteout markers), in
    /// each layer's tar order, before any content of it is read.
    fn entry(&self, entry: &hull_image::Entry);
    /// How many leading bytes of this regular file it wants (0: none).
    fn wants(&self, entry: &hull_image::Entry) -> u64;
    /// The bytes asked for: `data` is at most the wanted length, `complete` is false
    /// when the file holds more than `data`, `error` is set when reading failed.
    fn file(&self, entry: &hull_image::Entry, data: &[u8], complete: bool, error: Option<&str>);
}

/// What assembly knows beyond the inventory: which files an OS package manager
/// installed, keyed by their path in the final view (symlinked directories such as
/// Debian's merged `/bin → usr/bin` resolved), with the owning package's name when
/// the package database says it per file (dpkg), else the empty string.
pub type OwnedFiles = std::collections::BTreeMap<ImagePath, String>;

impl<'a> Collector<'a> {
    pub fn new(opts: &'a CatalogOptions, progress: &'a (dyn Fn(Progress<'_>) + Sync)) -> Self {
        Collector {
            opts,
            progress,
            hits: Mutex::new(Vec::new()),
            observer: None,
        }
    }

    /// Also feed `observer` during the walk (see [`FileObserver`]).
    pub fn with_observer(mut self, observer: &'a dyn FileObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Offer one entry of a layer: the observer sees every entry, the analyzers and the
    /// observer see regular files' bytes when they want them (read once for both).
    pub fn visit_entry(&self, entry: &hull_image::Entry, content: &mut dyn Read) {
        if let Some(o) = self.observer {
            o.entry(entry);
        }
        if entry.kind != hull_image::EntryKind::File {
            return;
        }
        let observed = self
            .observer
            .map(|o| (o, o.wants(entry)))
            .filter(|(_, n)| *n > 0);
        self.visit(
            entry.layer,
            &entry.path,
            entry.mode,
            entry.size,
            content,
            observed.map(|(o, n)| (o, entry, n)),
        );
    }

    fn enabled(&self, id: &str) -> bool {
        self.opts
            .only
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|i| i == id))
    }

    fn push(&self, hit: Hit) {
        // A poisoned lock only means another visitor panicked; the data is still sound.
        match self.hits.lock() {
            Ok(mut h) => h.push(hit),
            Err(p) => p.into_inner().push(hit),
        }
    }

    /// Offer one regular file of `layer`. Reads `content` only if an analyzer wants it.
    pub fn visit_file(
        &self,
        layer: usize,
        path: &ImagePath,
        mode: u32,
        size: u64,
        content: &mut dyn Read,
    ) {
        self.visit(layer, path, mode, size, content, None);
    }

    fn visit(
        &self,
        layer: usize,
        path: &ImagePath,
        mode: u32,
        size: u64,
        content: &mut dyn Read,
        observed: Option<(&dyn FileObserver, &hull_image::Entry, u64)>,
    ) {
        (self.progress)(Progress::Entry { layer, path, size });
        let wanting: Vec<_> = ALL
            .iter()
            .filter(|a| self.enabled(a.id) && (a.wants)(path, mode, size))
            .collect();
        if wanting.is_empty() || size > self.opts.max_file_size {
            if let Some((o, entry, want)) = observed {
                // Only the observer wants it: read no more than it asked for.
                let mut data = Vec::with_capacity(size.min(want) as usize);
                let read = content.take(want).read_to_end(&mut data);
                let err = read.as_ref().err().map(|e| format!("read failed: {e}"));
                o.file(entry, &data, size <= want && err.is_none(), err.as_deref());
            }
        }
        if wanting.is_empty() {
            return;
        }
        if size > self.opts.max_file_size {
            for a in wanting {
                self.push(Hit {
                    layer,
                    path: path.clone(),
                    analyzer: a.id,
                    result: Err(format!(
                        "not read: {size} bytes is over the {} byte limit",
                        self.opts.max_file_size
                    )),
                });
            }
            return;
        }
        let mut data = Vec::with_capacity(size.min(64 * 1024 * 1024) as usize);
        // `take` keeps a lying size header from making us read more than the limit.
        let read = content
            .take(self.opts.max_file_size.saturating_add(1))
            .read_to_end(&mut data);
        if let Some((o, entry, want)) = observed {
            let err = read.as_ref().err().map(|e| format!("read failed: {e}"));
            let n = data.len().min(usize::try_from(want).unwrap_or(usize::MAX));
            let complete = err.is_none() && (data.len() as u64) <= want;
            o.file(entry, &data[..n], complete, err.as_deref());
        }
        for a in wanting {
            let result = match &read {
                Err(e) => Err(format!("read failed: {e}")),
                Ok(_) if data.len() as u64 > self.opts.max_file_size => {
                    Err("not read: content is over the size limit".to_string())
                }
                Ok(_) => {
                    let input = crate::FileInput {
                        path,
                        mode,
                        data: &data,
                    };
                    (a.parse)(&input).map_err(|e| e.to_string())
                }
            };
            (self.progress)(Progress::Analyzed {
                analyzer: a.id,
                layer,
                path,
            });
            self.push(Hit {
                layer,
                path: path.clone(),
                analyzer: a.id,
                result,
            });
        }
    }

    /// Keep what survives in `view` and build the inventory. `info.layers[i].diff_id`
    /// becomes the `layer` of packages found in layer `i`.
    pub fn finish(self, view: &dyn FinalView, info: ImageInfo) -> Inventory {
        self.finish_with_owned(view, info).0
    }

    /// [`Collector::finish`], plus the files OS packages own (see [`OwnedFiles`]).
    pub fn finish_with_owned(
        self,
        view: &dyn FinalView,
        info: ImageInfo,
    ) -> (Inventory, OwnedFiles) {
        (self.progress)(Progress::Assembling);
        let hits = match self.hits.into_inner() {
            Ok(h) => h,
            Err(p) => p.into_inner(),
        };
        let history = os_history(&hits);
        let kept: Vec<Hit> = hits
            .into_iter()
            .filter(|h| view.layer_of(&h.path) == Some(h.layer))
            .collect();

        let distro = pick_distro(&kept, view);
        // A filesystem with an operating system is an image: what is installed is read,
        // not what a project manifest says a build would install. A tree without one is
        // a project (source tree, CI workspace): its manifests are its inventory.
        let kept: Vec<Hit> = kept
            .into_iter()
            .filter(|h| {
                distro.is_none() || !crate::analyzers::PROJECT_MANIFEST_IDS.contains(&h.analyzer)
            })
            .collect();

        let owned: HashSet<&ImagePath> = kept
            .iter()
            .filter_map(|h| h.result.as_ref().ok())
            .flat_map(|f| f.owned_paths.iter())
            .collect();
        let mut owned_files = OwnedFiles::new();
        for h in &kept {
            let Ok(f) = &h.result else { continue };
            let owner = list_owner(&h.path);
            for p in &f.owned_paths {
                // `/bin/su` in a `.list` is `usr/bin/su` on a merged-/usr system.
                let real = view.resolve(p).map(|(r, _)| r).unwrap_or_else(|| p.clone());
                owned_files.entry(real).or_insert_with(|| owner.clone());
            }
        }

        let mut packages = Vec::new();
        let mut diagnostics = Vec::new();
        for h in &kept {
            let found = match &h.result {
                Ok(f) => f,
                Err(message) => {
                    diagnostics.push(Diagnostic {
                        path: Some(h.path.clone()),
                        source: h.analyzer.to_string(),
                        message: message.clone(),
                    });
                    continue;
                }
            };
            for w in &found.warnings {
                diagnostics.push(Diagnostic {
                    path: Some(h.path.clone()),
                    source: h.analyzer.to_string(),
                    message: w.clone(),
                });
            }
            for p in &found.packages {
                // Files an OS package installed are reported once, as that OS package.
                if !p.ecosystem.is_os() && (owned.contains(&p.path) || owned.contains(&h.path)) {
                    continue;
                }
                let mut p = p.clone();
                let layer = if p.ecosystem.is_os() {
                    introduced_in(&history, h, &p)
                } else {
                    h.layer
                };
                p.layer = info.layers.get(layer).map(|l| l.diff_id.clone());
                if p.ecosystem.is_os() {
                    p.purl = purl::for_package(&p, distro.as_ref());
                }
                packages.push(p);
            }
        }
        // Licences recorded beside the package database (Debian's copyright files).
        let licenses: HashMap<(hull_model::Ecosystem, &str), &Vec<String>> = kept
            .iter()
            .filter_map(|h| h.result.as_ref().ok())
            .flat_map(|f| f.licenses_for.iter())
            .map(|(eco, name, l)| ((*eco, name.as_str()), l))
            .collect();
        for p in packages.iter_mut().filter(|p| p.licenses.is_empty()) {
            // Multi-arch packages keep their doc dir under the plain name.
            let name = p.name.split(':').next().unwrap_or(&p.name);
            if let Some(l) = licenses.get(&(p.ecosystem, name)) {
                p.licenses = (*l).clone();
            }
        }
        // A lockfile next to an installed node_modules describes the same packages.
        crate::analyzers::npm::drop_shadowed_lockfile_packages(&mut packages);
        if !self.opts.include_dev {
            packages.retain(|p| !p.dev);
        }
        packages.sort_by(|a, b| {
            (a.ecosystem, &a.name, &a.version, &a.path, &a.arch, &a.purl).cmp(&(
                b.ecosystem,
                &b.name,
                &b.version,
                &b.path,
                &b.arch,
                &b.purl,
            ))
        });
        packages.dedup();
        diagnostics.sort_by(|a, b| {
            (&a.path, &a.source, &a.message).cmp(&(&b.path, &b.source, &b.message))
        });
        diagnostics.dedup();
        let inventory = Inventory {
            image: info,
            distro,
            packages,
            diagnostics,
        };
        (inventory, owned_files)
    }
}

/// The package a dpkg file list names (`var/lib/dpkg/info/libc6:amd64.list` → `libc6`),
/// else the empty string (package databases that list every package's files at once).
fn list_owner(path: &ImagePath) -> String {
    let name = path.as_str().rsplit('/').next().unwrap_or("");
    match name.strip_suffix(".list") {
        Some(stem) if path.as_str().starts_with("var/lib/dpkg/info/") => {
            stem.split(':').next().unwrap_or(stem).to_string()
        }
        _ => String::new(),
    }
}

/// Identity of an OS package across versions of its database file.
type PkgKey = (String, String, Option<String>);

fn pkg_key(p: &hull_model::Package) -> PkgKey {
    (p.name.clone(), p.version.clone(), p.arch.clone())
}

/// Every version of every OS package database seen in the walk, by (analyzer, path),
/// as (layer, packages in that version), layers ascending.
type History = HashMap<(&'static str, ImagePath), Vec<(usize, HashSet<PkgKey>)>>;

fn os_history(hits: &[Hit]) -> History {
    let mut h: History = HashMap::new();
    for hit in hits {
        let Ok(found) = &hit.result else { continue };
        if !found.packages.iter().any(|p| p.ecosystem.is_os()) {
            continue;
        }
        let set = found.packages.iter().map(pkg_key).collect();
        h.entry((hit.analyzer, hit.path.clone()))
            .or_default()
            .push((hit.layer, set));
    }
    for versions in h.values_mut() {
        versions.sort_by_key(|(layer, _)| *layer);
    }
    h
}

/// The layer that installed an OS package: package databases are rewritten by every
/// layer that installs anything, so the layer of the file says little. Walk back from
/// the surviving version while the package (same name, version and arch) is present:
/// the oldest version of that unbroken run is where it came from (an upgrade starts a
/// new run).
fn introduced_in(history: &History, hit: &Hit, p: &hull_model::Package) -> usize {
    let key = pkg_key(p);
    let Some(versions) = history.get(&(hit.analyzer, hit.path.clone())) else {
        return hit.layer;
    };
    let mut layer = hit.layer;
    for (l, set) in versions.iter().rev().filter(|(l, _)| *l < hit.layer) {
        if !set.contains(&key) {
            break;
        }
        layer = *l;
    }
    layer
}

/// Release files are found through the final tree so that `etc/os-release →
/// ../usr/lib/os-release` counts with the rank of `etc/os-release`.
fn pick_distro(kept: &[Hit], view: &dyn FinalView) -> Option<Distro> {
    let mut candidates = Vec::new();
    for (rank, p) in os_release::PATHS.iter().enumerate() {
        let Ok(path) = ImagePath::new(p) else {
            continue;
        };
        let Some((target, layer)) = view.resolve(&path) else {
            continue;
        };
        let found = kept.iter().find_map(|h| {
            (h.layer == layer && h.path == target && h.analyzer == os_release::ID)
                .then(|| h.result.as_ref().ok()?.distro.clone())
                .flatten()
        });
        if let Some(d) = found {
            candidates.push((rank, d));
        }
    }
    os_release::choose(candidates)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use hull_model::{Digest, Ecosystem, LayerInfo, Package, Purl};

    use super::*;

    /// A final view given as `path → layer` plus symlinks `path → target`.
    struct FakeView {
        files: HashMap<String, usize>,
        links: HashMap<String, String>,
    }

    impl FinalView for FakeView {
        fn layer_of(&self, path: &ImagePath) -> Option<usize> {
            self.files.get(path.as_str()).copied()
        }
        fn resolve(&self, path: &ImagePath) -> Option<(ImagePath, usize)> {
            let target = self
                .links
                .get(path.as_str())
                .map_or(path.as_str(), |t| t.as_str());
            let layer = self.files.get(target)?;
            Some((ImagePath::new(target).ok()?, *layer))
        }
    }

    fn p(s: &str) -> ImagePath {
        ImagePath::new(s).unwrap()
    }

    fn layers(n: usize) -> ImageInfo {
        ImageInfo {
            layers: (0..n)
                .map(|i| LayerInfo {
                    digest: None,
                    diff_id: Digest::sha256_from_bytes(&[i as u8; 32]),
                    media_type: None,
                    size: 0,
                    created_by: None,
                })
                .collect(),
            ..ImageInfo::default()
        }
    }

    fn status(name: &str, version: &str) -> String {
        format!("Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n")
    }

    #[test]
    fn layers_whiteouts_symlinked_release_and_ownership() {
        let opts = CatalogOptions::default();
        let events = std::sync::atomic::AtomicUsize::new(0);
        let progress = |_: Progress<'_>| {
            events.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        let c = Collector::new(&opts, &progress);
        let os = b"ID=debian\nVERSION_ID=\"12\"\n";
        let files: Vec<(usize, &str, Vec<u8>)> = vec![
            (0, "usr/lib/os-release", os.to_vec()),
            (0, "etc/debian_version", b"12.15\n".to_vec()),
            (0, "var/lib/dpkg/status", status("old", "1.0").into_bytes()),
            (0, "lib/apk/db/installed", b"P:musl\nV:1.2-r0\n".to_vec()),
            (0, "usr/bin/unrelated", b"\x7fELF".to_vec()),
            (1, "var/lib/dpkg/status", {
                let mut s = status("openssl", "1:3.0.11-1~deb12u2");
                s.push('\n');
                s.push_str(&status("python3-yaml", "6.0-3"));
                s.into_bytes()
            }),
            (
                1,
                "var/lib/dpkg/info/python3-yaml.list",
                b"/.\n/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info\n".to_vec(),
            ),
            (1, "var/lib/rpm/Packages", b"garbage".to_vec()),
            (1, "usr/share/doc/openssl/copyright", b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: Apache-2.0\n".to_vec()),
        ];
        for (layer, path, data) in &files {
            c.visit_file(
                *layer,
                &p(path),
                0o644,
                data.len() as u64,
                &mut data.as_slice(),
            );
        }
        // A language package in a dpkg-owned dir and one outside: only the latter stays.
        for (dir, name) in [
            (
                "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info",
                "PyYAML",
            ),
            (
                "opt/venv/lib/python3.11/site-packages/Django-3.2.dist-info",
                "Django",
            ),
        ] {
            c.push(Hit {
                layer: 1,
                path: p(&format!("{dir}/METADATA")),
                analyzer: "python-dist",
                result: Ok(Found {
                    packages: vec![Package::new(
                        Ecosystem::Pypi,
                        name,
                        "1",
                        Purl::new("pypi", None, name, Some("1"), &[]),
                        p(dir),
                        "python-dist",
                    )],
                    ..Found::default()
                }),
            });
        }
        let mut view = FakeView {
            files: HashMap::new(),
            links: HashMap::new(),
        };
        for (layer, path, _) in &files {
            if *path != "lib/apk/db/installed" {
                view.files.insert(path.to_string(), *layer);
            }
        }
        for d in [
            "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info",
            "opt/venv/lib/python3.11/site-packages/Django-3.2.dist-info",
        ] {
            view.files.insert(format!("{d}/METADATA"), 1);
        }
        view.links
            .insert("etc/os-release".into(), "usr/lib/os-release".into());
        let info = layers(2);
        let inv = c.finish(&view, info.clone());

        let d = inv.distro.as_ref().unwrap();
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("debian", "12"));
        let names: Vec<_> = inv.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["openssl", "python3-yaml", "Django"]);
        let openssl = &inv.packages[0];
        assert_eq!(
            openssl.purl.as_str(),
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&epoch=1"
        );
        assert_eq!(openssl.layer.as_ref(), Some(&info.layers[1].diff_id));
        assert_eq!(openssl.licenses, vec!["Apache-2.0"]);
        assert!(inv.packages[1].licenses.is_empty());
        assert_eq!(
            inv.packages[2].layer.as_ref(),
            Some(&info.layers[1].diff_id)
        );
        // the unreadable rpm database is a diagnostic, not an error
        assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
        assert_eq!(inv.diagnostics[0].source, "rpm");
        assert!(events.load(std::sync::atomic::Ordering::Relaxed) > files.len());
    }

    #[test]
    fn requirements_only_in_a_tree_without_an_os() {
        let req = b"Django==3.2.0\n";
        for (with_os, want) in [(false, 1), (true, 0)] {
            let opts = CatalogOptions::default();
            let progress = |_: Progress<'_>| {};
            let c = Collector::new(&opts, &progress);
            let mut files = vec![("app/requirements.txt", req.to_vec())];
            if with_os {
                files.push(("etc/os-release", b"ID=debian\nVERSION_ID=12\n".to_vec()));
            }
            for (path, data) in &files {
                c.visit_file(0, &p(path), 0o644, data.len() as u64, &mut data.as_slice());
            }
            let view = FakeView {
                files: files.iter().map(|(f, _)| (f.to_string(), 0)).collect(),
                links: HashMap::new(),
            };
            let inv = c.finish(&view, layers(1));
            assert_eq!(inv.packages.len(), want, "with os: {with_os}");
        }
    }

    #[test]
    fn size_limit_and_only() {
        let opts = CatalogOptions {
            max_file_size: 10,
            only: Some(vec!["dpkg".into()]),
            include_dev: false,
        };
        let progress = |_: Progress<'_>| {};
        let c = Collector::new(&opts, &progress);
        let big = status("a", "1");
        c.visit_file(
            0,
            &p("var/lib/dpkg/status"),
            0o644,
            big.len() as u64,
            &mut big.as_bytes(),
        );
        // a size header that lies small still cannot make us read past the limit
        c.visit_file(
            0,
            &p("var/lib/dpkg/status.d/x"),
            0o644,
            5,
            &mut big.as_bytes(),
        );
        c.visit_file(0, &p("etc/alpine-release"), 0o644, 6, &mut &b"3.11.5"[..]);
        let view = FakeView {
            files: [
                ("var/lib/dpkg/status".to_string(), 0),
                ("var/lib/dpkg/status.d/x".to_string(), 0),
                ("etc/alpine-release".to_string(), 0),
            ]
            .into(),
            links: HashMap::new(),
        };
        let inv = c.finish(&view, layers(1));
        assert!(inv.packages.is_empty());
        assert!(inv.distro.is_none());
        assert_eq!(inv.diagnostics.len(), 2);
    }
}
