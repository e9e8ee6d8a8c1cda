//! `dir:` targets: an unpacked root filesystem on the host, read without following
//! symlinks (a link to `/etc/shadow` inside the rootfs is reported, never read).

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::Ordering;

use hull_model::ImagePath;

use crate::layer::{Budget, Visitor};
use crate::tree::{Entry, EntryKind};
use crate::{Error, Limits};

pub(crate) fn walk(
    root: &Path,
    limits: &Limits,
    budget: &Budget,
    visit: Visitor<'_>,
) -> Result<Vec<Entry>, Error> {
    let mut out = Vec::new();
    // Explicit stack instead of recursion: deep trees cannot overflow ours.
    let mut stack = vec![(root.to_path_buf(), ImagePath::root())];
    while let Some((dir, rel)) = stack.pop() {
        let part = || format!("directory {}", dir.display());
        let mut children: Vec<_> = fs::read_dir(&dir)
            .map_err(|e| Error::io(part(), e))?
            .collect::<Result<_, _>>()
            .map_err(|e| Error::io(part(), e))?;
        // Sorted so the visit order (and thus any output) is stable across runs.
        children.sort_by_key(|c| c.file_name());
        let mut subdirs = Vec::new();
        for child in children {
            let name = child.file_name();
            let name = name.to_string_lossy();
            let host = child.path();
            let path = rel
                .join(&name)
                .map_err(|e| Error::invalid(part(), e.to_string()))?;
            if path.as_str().len() > limits.max_path_len {
                return Err(Error::Limit {
                    part: host.display().to_string(),
                    what: "path length",
                    max: limits.max_path_len as u64,
                });
            }
            let meta = fs::symlink_metadata(&host)
                .map_err(|e| Error::io(host.display().to_string(), e))?;
            let ft = meta.file_type();
            let kind = if ft.is_file() {
                EntryKind::File
            } else if ft.is_dir() {
                EntryKind::Dir
            } else if ft.is_symlink() {
                let t =
                    fs::read_link(&host).map_err(|e| Error::io(host.display().to_string(), e))?;
                EntryKind::Symlink(t.to_string_lossy().into_owned())
            } else {
                // Devices, FIFOs, sockets.
                EntryKind::Other
            };
            if ft.is_file() && meta.len() > limits.max_file_size {
                return Err(Error::Limit {
                    part: host.display().to_string(),
                    what: "file size",
                    max: limits.max_file_size,
                });
            }
            if budget.entries.fetch_add(1, Ordering::Relaxed) + 1 > limits.max_entries {
                return Err(Error::Limit {
                    part: root.display().to_string(),
                    what: "entry count",
                    max: limits.max_entries,
                });
            }
            let entry = Entry {
                layer: 0,
                path,
                kind,
                mode: meta.mode() & 0o7777,
                uid: u64::from(meta.uid()),
                gid: u64::from(meta.gid()),
                size: if ft.is_file() { meta.len() } else { 0 },
            };
            let res = if entry.kind == EntryKind::File {
                match fs::File::open(&host) {
                    // The file may have been swapped for something else since lstat.
                    Ok(f) if f.metadata().map(|m| m.is_file()).unwrap_or(false) => {
                        let mut r = f.take(limits.max_file_size);
                        visit(&entry, &mut r)
                    }
                    Ok(_) => visit(&entry, &mut io::empty()),
                    Err(e) => return Err(Error::io(host.display().to_string(), e)),
                }
            } else {
                visit(&entry, &mut io::empty() as &mut dyn Read)
            };
            if let Err(source) = res {
                return Err(Error::Visit {
                    part: root.display().to_string(),
                    path: entry.path,
                    source,
                });
            }
            if entry.kind == EntryKind::Dir {
                subdirs.push((host, entry.path.clone()));
            }
            out.push(entry);
        }
        // Reverse so the stack pops them in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(out)
}
