//! Writing a report to `--output PATH`, the same way for every subcommand.
//!
//! A regular file (or a new path) is written through a temporary file beside it and
//! renamed into place: readers never see half a report, and a failure leaves the old
//! file. Anything else that already exists — `/dev/null`, `/dev/stdout`, a FIFO a CI
//! step reads from — is written in place: renaming over it would replace the device or
//! pipe with a regular file. A symlink is followed, so the link stays a link.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let target = existing_target(path);
    match std::fs::metadata(&target) {
        Ok(m) if !m.is_file() && !m.is_dir() => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .with_context(|| format!("opening {}", path.display()))?;
            f.write_all(bytes)
                .and_then(|()| f.flush())
                .with_context(|| format!("writing {}", path.display()))
        }
        _ => {
            write_atomically(&target, bytes).with_context(|| format!("writing {}", path.display()))
        }
    }
}

/// A report written while it is produced (streamed), with the same rules as [`write`]:
/// a regular file appears only complete, at [`Streamed::commit`]; devices and pipes
/// are written in place; without a path it goes to stdout.
pub enum Streamed {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    InPlace(std::io::BufWriter<std::fs::File>, PathBuf),
    Temp(std::io::BufWriter<tempfile::NamedTempFile>, PathBuf),
}

impl Streamed {
    pub fn open(path: Option<&Path>) -> anyhow::Result<Streamed> {
        let Some(path) = path else {
            return Ok(Streamed::Stdout(std::io::BufWriter::new(std::io::stdout())));
        };
        let target = existing_target(path);
        match std::fs::metadata(&target) {
            Ok(m) if !m.is_file() && !m.is_dir() => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .with_context(|| format!("opening {}", path.display()))?;
                Ok(Streamed::InPlace(std::io::BufWriter::new(f), target))
            }
            _ => {
                let dir = target
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let tmp = tempfile::NamedTempFile::new_in(dir)
                    .with_context(|| format!("creating a file in {}", dir.display()))?;
                Ok(Streamed::Temp(std::io::BufWriter::new(tmp), target))
            }
        }
    }

    /// Flushes and, for a regular file, renames it into place.
    pub fn commit(self) -> anyhow::Result<()> {
        match self {
            Streamed::Stdout(mut w) => Ok(w.flush()?),
            Streamed::InPlace(mut w, p) => w
                .flush()
                .with_context(|| format!("writing {}", p.display())),
            Streamed::Temp(w, p) => {
                let tmp = w
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .with_context(|| format!("writing {}", p.display()))?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt as _;
                    let _ = tmp
                        .as_file()
                        .set_permissions(std::fs::Permissions::from_mode(0o644));
                }
                tmp.persist(&p)
                    .with_context(|| format!("writing {}", p.display()))?;
                Ok(())
            }
        }
    }
}

impl Write for Streamed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Streamed::Stdout(w) => w.write(buf),
            Streamed::InPlace(w, _) => w.write(buf),
            Streamed::Temp(w, _) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Streamed::Stdout(w) => w.flush(),
            Streamed::InPlace(w, _) => w.flush(),
            Streamed::Temp(w, _) => w.flush(),
        }
    }
}

/// Where a symlink at `path` points (resolved fully), else `path` itself.
fn existing_target(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    // Temporary files are created 0600; a report is meant to be read by CI uploaders.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path)?;
    Ok(())
}
