//! The merged view of an image: layers applied in order with OCI whiteout rules
//! (image-spec `layer.md`, "Whiteouts").

use std::collections::BTreeMap;

use hull_model::ImagePath;

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    /// The raw link target, as stored (may be absolute or contain `..`; see
    /// [`Tree::resolve`]).
    Symlink(String),
    /// Hard link to another path of the image (already normalised).
    Hardlink(ImagePath),
    /// `.wh.NAME`: the entry's path is the *deleted* path (`dir/NAME`), not the marker.
    Whiteout,
    /// `.wh..wh..opq`: the entry's path is the directory made opaque.
    OpaqueDir,
    /// Devices, FIFOs, sockets.
    Other,
}

/// One entry of one layer as streamed by [`crate::Image::walk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Index into `ImageInfo::layers` (base = 0); always 0 for `dir:` targets.
    pub layer: usize,
    pub path: ImagePath,
    pub kind: EntryKind,
    /// Permission and setuid/setgid/sticky bits (`0o4755`), without the file type.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Content size in bytes (0 for everything but files).
    pub size: u64,
}

/// A path of the final view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The layer that last wrote this path (an implicit parent directory is attributed
    /// to the layer whose entry needed it).
    pub layer: usize,
    /// Never `Whiteout` or `OpaqueDir`.
    pub kind: EntryKind,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
}

/// The final merged filesystem view, in path order. The root itself is not a node.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    nodes: BTreeMap<ImagePath, Node>,
    max_hops: u32,
}

impl Tree {
    pub(crate) fn new(max_hops: u32) -> Self {
        Tree {
            nodes: BTreeMap::new(),
            max_hops,
        }
    }

    pub fn get(&self, p: &ImagePath) -> Option<&Node> {
        self.nodes.get(p)
    }

    /// Follow symlinks in every component and at the end. Absolute targets restart at
    /// the image root, `..` stops at the root (as the kernel does for a chroot), so the
    /// result is always inside the image. `None` when a component is missing, the path
    /// is the root, or more than `Limits::max_symlink_hops` links were followed (loops).
    pub fn resolve(&self, p: &ImagePath) -> Option<(ImagePath, &Node)> {
        let mut queue: Vec<String> = p.components().map(str::to_string).collect();
        queue.reverse();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0u32;
        while let Some(c) = queue.pop() {
            match c.as_str() {
                "" | "." => continue,
                ".." => {
                    cur.pop();
                    continue;
                }
                _ => {}
            }
            cur.push(c);
            // Built from components that each passed `ImagePath` or came from a link
            // target split on `/` without `.`/`..`: cannot fail, but stay total.
            let here = ImagePath::new(&cur.join("/")).ok()?;
            let node = self.nodes.get(&here)?;
            if let EntryKind::Symlink(target) = &node.kind {
                // An empty target resolves to nothing, as on Linux (ENOENT).
                if target.is_empty() {
                    return None;
                }
                hops += 1;
                if hops > self.max_hops {
                    return None;
                }
                cur.pop();
                if target.starts_with('/') {
                    cur.clear();
                }
                queue.extend(target.split('/').rev().map(str::to_string));
            }
        }
        let path = ImagePath::new(&cur.join("/")).ok()?;
        let node = self.nodes.get(&path)?;
        Some((path, node))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ImagePath, &Node)> {
        self.nodes.iter()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Apply one layer's entries on top of what is there. Whiteouts in a layer only hide
    /// lower layers' content, so they are applied first, then the additions in tar order.
    pub(crate) fn apply_layer(&mut self, entries: &[Entry]) {
        for e in entries {
            match e.kind {
                EntryKind::Whiteout => self.remove_subtree(&e.path, true),
                EntryKind::OpaqueDir => self.remove_subtree(&e.path, false),
                _ => {}
            }
        }
        for e in entries {
            match e.kind {
                // A marker is a file inside its directory: that directory exists here.
                EntryKind::Whiteout => {
                    self.ensure_parents(&e.path, e.layer);
                    continue;
                }
                EntryKind::OpaqueDir => {
                    if let Ok(child) = e.path.join(".wh..wh..opq") {
                        self.ensure_parents(&child, e.layer);
                    }
                    continue;
                }
                _ if e.path.is_root() => continue,
                _ => {}
            }
            self.ensure_parents(&e.path, e.layer);
            let is_dir = e.kind == EntryKind::Dir;
            let old_is_dir = self.nodes.get(&e.path).map(|n| n.kind == EntryKind::Dir);
            if old_is_dir == Some(true) && !is_dir {
                // A file replacing a directory takes its whole subtree with it.
                self.remove_subtree(&e.path, true);
            }
            self.nodes.insert(
                e.path.clone(),
                Node {
                    layer: e.layer,
                    kind: e.kind.clone(),
                    mode: e.mode,
                    uid: e.uid,
                    gid: e.gid,
                    size: e.size,
                },
            );
        }
    }

    /// Layers often omit parent directories; a non-directory in the way is replaced.
    fn ensure_parents(&mut self, p: &ImagePath, layer: usize) {
        let mut missing = Vec::new();
        let mut cur = p.parent();
        while let Some(dir) = cur {
            if dir.is_root() {
                break;
            }
            match self.nodes.get(&dir) {
                Some(n) if n.kind == EntryKind::Dir => break,
                _ => {
                    cur = dir.parent();
                    missing.push(dir);
                }
            }
        }
        for dir in missing {
            self.nodes.insert(
                dir,
                Node {
                    layer,
                    kind: EntryKind::Dir,
                    mode: 0o755,
                    uid: 0,
                    gid: 0,
                    size: 0,
                },
            );
        }
    }

    /// Remove everything below `p`, and `p` itself when `including`.
    fn remove_subtree(&mut self, p: &ImagePath, including: bool) {
        if p.is_root() {
            // The root itself is never a node: both forms empty the view.
            self.nodes.clear();
            return;
        }
        // All keys with `p` as a string prefix are contiguous in byte order; among them
        // keep only those below `p` component-wise (`usr/lib` but not `usr/lib64`).
        let doomed: Vec<ImagePath> = self
            .nodes
            .range(p.clone()..)
            .take_while(|(k, _)| k.as_str().starts_with(p.as_str()))
            .filter(|(k, _)| k.starts_with(p) && (including || *k != p))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.nodes.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(layer: usize, path: &str, kind: EntryKind) -> Entry {
        Entry {
            layer,
            path: ImagePath::new(path).unwrap(),
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: 0,
        }
    }

    fn paths(t: &Tree) -> Vec<String> {
        t.iter()
            .map(|(p, n)| format!("{}@{}", p.as_str(), n.layer))
            .collect()
    }

    #[test]
    fn whiteouts_opaque_and_replacement() {
        use EntryKind::*;
        let mut t = Tree::new(40);
        t.apply_layer(&[
            e(0, "a/b/c", File),
            e(0, "a/bx", File),
            e(0, "d", Dir),
            e(0, "d/old", File),
            e(0, "f", File),
            e(0, "g", Dir),
            e(0, "g/x", File),
        ]);
        t.apply_layer(&[
            e(1, "d/new", File),
            e(1, "d", OpaqueDir),
            e(1, "a/b", Whiteout),
            e(1, "f", Dir),
            e(1, "g", File),
        ]);
        assert_eq!(paths(&t), ["a@0", "a/bx@0", "d@0", "d/new@1", "f@1", "g@1"],);
        // Whiteouts in a layer do not hide what the same layer adds.
        t.apply_layer(&[e(2, "x/y", File), e(2, "x/y", Whiteout)]);
        assert!(t.get(&ImagePath::new("x/y").unwrap()).is_some());
        assert_eq!(t.get(&ImagePath::new("x").unwrap()).unwrap().kind, Dir);
    }

    #[test]
    fn resolve_stays_inside_and_stops_loops() {
        use EntryKind::*;
        let mut t = Tree::new(8);
        t.apply_layer(&[
            e(0, "usr/lib/os-release", File),
            e(0, "etc/os-release", Symlink("../usr/lib/os-release".into())),
            e(0, "lib", Symlink("/usr/lib".into())),
            e(0, "escape", Symlink("../../../../usr/lib".into())),
            e(0, "loop1", Symlink("loop2".into())),
            e(0, "loop2", Symlink("/loop1".into())),
        ]);
        let r = |s: &str| {
            t.resolve(&ImagePath::new(s).unwrap())
                .map(|(p, _)| p.as_str().to_string())
        };
        assert_eq!(r("etc/os-release").as_deref(), Some("usr/lib/os-release"));
        assert_eq!(r("lib/os-release").as_deref(), Some("usr/lib/os-release"));
        assert_eq!(
            r("escape/os-release").as_deref(),
            Some("usr/lib/os-release")
        );
        assert_eq!(r("loop1"), None);
        assert_eq!(r("loop1/x"), None);
        assert_eq!(r("missing"), None);
    }
}
