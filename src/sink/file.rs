//! The file sink: a new file for a secret, created empty with mode 0600 before the key is made
//! (never overwritten), written, synced and checked to be still the one at its path. The create
//! journal records it while it is empty (`journal::secret_file_ready`), so the empty file a
//! killed run leaves is removed by the run that closes that run's entry.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::outcome::NewSecret;

use super::Failure;

/// A new file for a secret: created with mode 0600 (owner only), refused if it exists.
pub struct SecretFile {
    path: PathBuf,
    file: Option<File>,
}

impl SecretFile {
    /// Creates the file now, before any key is made, so a path that cannot take the secret
    /// stops the run with nothing created. `label` names the setting in messages
    /// (`--secret-file`, or a key file's line).
    pub fn create(path: &Path, label: &str) -> Result<SecretFile> {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let shown = path.display();
        let file = o.open(path).map_err(|e| {
            Error::usage(match e.kind() {
                std::io::ErrorKind::AlreadyExists => format!(
                    "{label} {shown} already exists; keyctl never overwrites a file that may \
                     hold a secret: remove it or choose a new path (nothing was created)"
                ),
                _ => format!("{label} {shown}: cannot create it ({e}); nothing was created"),
            })
        })?;
        // The create's journal entry records it: an empty one a killed run leaves is removed
        // when a later run closes that entry.
        crate::journal::secret_file_ready(path, &file);
        Ok(SecretFile {
            path: path.to_path_buf(),
            file: Some(file),
        })
    }

    /// Writes the secret (and a line break), syncs it to disk, then checks that the file is
    /// still the one at the path (not removed or replaced while the key was being created):
    /// only then is the secret delivered. On failure the secret is handed back to be shown on
    /// stdout instead, with why: it must not be lost.
    pub fn write(&mut self, secret: &str) -> std::result::Result<NewSecret, Failure> {
        let Some(mut f) = self.file.take() else {
            return Err(Failure("the secret file was already used".into()));
        };
        crate::journal::secret_file_done(&self.path);
        let shown = crate::text::sanitize(&self.path.display().to_string());
        let written = f
            .write_all(secret.as_bytes())
            .and_then(|_| f.write_all(b"\n"))
            .and_then(|_| f.sync_all());
        let ours = still_linked(&f, &self.path);
        match (written, ours) {
            (Ok(()), Ok(())) => {
                sync_parent(&self.path);
                Ok(NewSecret::File(self.path.clone()))
            }
            (Err(e), ours) => {
                // No empty or partial secret file is left to be taken for the secret (and a
                // file that replaced ours at the path is not ours to remove).
                if ours.is_ok() {
                    let _ = std::fs::remove_file(&self.path);
                }
                Err(Failure(format!("cannot write the secret to {shown} ({e})")))
            }
            (Ok(()), Err(why)) => Err(Failure(format!(
                "the secret file {shown} {why} while the key was being created, so the secret \
                 written to it is not there"
            ))),
        }
    }

    /// Removes the file if no secret was written to it (the create failed), when it is still
    /// the file keyctl made.
    pub fn discard_unused(self) {
        crate::journal::secret_file_done(&self.path);
        if let Some(f) = &self.file
            && still_linked(f, &self.path).is_ok()
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Whether the open file `f` is still the file at `path` (same device and inode, not
/// unlinked): `Err` says what happened to it.
fn still_linked(f: &File, path: &Path) -> std::result::Result<(), &'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mine = f.metadata().map_err(|_| "could not be checked")?;
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.dev() == mine.dev() && m.ino() == mine.ino() && mine.nlink() > 0 => Ok(()),
            Ok(m) if m.dev() == mine.dev() && m.ino() == mine.ino() => Err("was removed"),
            Ok(_) => Err("was replaced by another file"),
            Err(_) => Err("was removed"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = f;
        if path.exists() {
            Ok(())
        } else {
            Err("was removed")
        }
    }
}

/// Syncs the folder holding a new secret file, so its name survives a crash as its content
/// does (best effort: not every file system can sync a folder).
fn sync_parent(path: &Path) {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(parent) {
        let _ = d.sync_all();
    }
}
