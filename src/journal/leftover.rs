//! Secret files made ready for a create: each `secret_file` is created empty (0600) before its
//! key is made, and the entry of the create records it (path, device and inode), so the empty
//! file a killed run (`kill -9`) left behind is removed when that run's entry is closed by a
//! later run (the key adopted, or found not made): a later create to that path then works. A
//! file is removed only while it is still that very file (same device and inode), a regular
//! file, empty (no secret was ever written to it) and of this user; any other is left alone.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// A secret file as an entry records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileId {
    /// Its path, made absolute when it could be.
    pub path: PathBuf,
    pub dev: u64,
    pub ino: u64,
}

/// The secret files of this process made ready and not yet written or discarded.
static READY: Mutex<Vec<FileId>> = Mutex::new(Vec::new());

/// Records a secret file just created empty at `path` (open as `f`): the next entry begun
/// records it.
pub fn made_ready(path: &Path, f: &std::fs::File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(m) = f.metadata() else { return };
        let path = absolute(path);
        if let Ok(mut v) = READY.lock() {
            v.push(FileId {
                path,
                dev: m.dev(),
                ino: m.ino(),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (path, f);
}

/// The secret file at `path` was written or discarded: no entry records it any more.
pub fn done(path: &Path) {
    let path = absolute(path);
    if let Ok(mut v) = READY.lock() {
        v.retain(|f| f.path != path);
    }
}

/// The secret files made ready and not yet used (for the entry begun now).
pub fn ready() -> Vec<FileId> {
    READY.lock().map(|v| v.clone()).unwrap_or_default()
}

/// Removes each of `files` that is still the empty file keyctl made.
pub fn remove_empty(files: &[FileId]) {
    #[cfg(unix)]
    for f in files {
        use std::os::unix::fs::MetadataExt;
        let Ok(m) = std::fs::symlink_metadata(&f.path) else {
            continue;
        };
        // SAFETY: getuid cannot fail.
        let uid = unsafe { libc::getuid() };
        if m.file_type().is_file()
            && m.len() == 0
            && m.dev() == f.dev
            && m.ino() == f.ino
            && m.uid() == uid
        {
            let _ = std::fs::remove_file(&f.path);
        }
    }
    #[cfg(not(unix))]
    let _ = files;
}

/// `path` made absolute (its folder resolved) when it can be, else as given.
fn absolute(path: &Path) -> PathBuf {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(parent), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn only_the_same_empty_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.key");
        let f = std::fs::File::create(&empty).unwrap();
        made_ready(&empty, &f);
        let recorded: Vec<FileId> = ready()
            .into_iter()
            .filter(|r| r.path.ends_with("empty.key"))
            .collect();
        assert_eq!(recorded.len(), 1);
        done(&empty);
        assert!(ready().iter().all(|r| !r.path.ends_with("empty.key")));
        // Written to since: kept.
        std::fs::write(&empty, "sk-secret\n").unwrap();
        remove_empty(&recorded);
        assert!(empty.exists());
        // Replaced by another empty file: kept.
        std::fs::remove_file(&empty).unwrap();
        let _keep = std::fs::File::create(dir.path().join("hold")).unwrap();
        std::fs::File::create(&empty).unwrap();
        let now = std::fs::metadata(&empty).unwrap();
        use std::os::unix::fs::MetadataExt;
        if now.ino() != recorded[0].ino {
            remove_empty(&recorded);
            assert!(empty.exists());
        }
        // The very file, empty: removed.
        let same = vec![FileId {
            path: recorded[0].path.clone(),
            dev: now.dev(),
            ino: now.ino(),
        }];
        remove_empty(&same);
        assert!(!empty.exists());
    }
}
