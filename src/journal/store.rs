//! The journal's file: one JSON document of pending entries, read without a lock (it is only
//! ever replaced whole), changed under the exclusive lock of a lock file beside it, written to a
//! new file that is synced and renamed into place; the folder private (0700), the files 0600,
//! no folder or file that is a symbolic link written or read through (the audit trail's
//! handling, `audit::file`).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Entry;
use crate::audit::file::{
    LOCK_WAIT, create_dir, make_private, private_dir, refuse_linked, regular, same_folder, wait_for,
};

/// What a warning about the folder's or a file's mode calls them.
const WHOSE: &str = "the create journal's";

/// The largest journal read (a journal of pending creates is a few KiB; more is not one).
pub const MAX_JOURNAL: u64 = 4 << 20;

/// The file's version: a journal of a later keyctl is refused, not misread.
const VERSION: u32 = 1;

/// The document: its version and the entries still pending.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    version: u32,
    pending: Vec<Entry>,
}

/// The lock file beside the journal at `path`.
fn lock_path(path: &Path) -> PathBuf {
    path.with_extension("lock")
}

/// The folder holding the journal (`.` for a bare file name).
fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The pending entries of the journal at `path`; none when there is no journal yet. A journal
/// that cannot be read, or is not one (damaged, of a later keyctl, larger than
/// [`MAX_JOURNAL`]), is an error: nobody can tell then which creates were lost.
pub fn read(path: &Path) -> std::io::Result<Vec<Entry>> {
    refuse_linked(folder(path))?;
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = match o.open(path) {
        Ok(f) => regular(f)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(linked_file(path, e)),
    };
    let mut text = Vec::new();
    file.take(MAX_JOURNAL + 1).read_to_end(&mut text)?;
    if text.len() as u64 > MAX_JOURNAL {
        return Err(damaged(format!(
            "it is larger than {} MiB, which no journal of keyctl's is",
            MAX_JOURNAL >> 20
        )));
    }
    if text.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let doc: Doc = serde_json::from_slice(&text).map_err(|e| {
        damaged(format!(
            "it is not a journal of pending creates ({})",
            crate::text::sanitize(&e.to_string())
        ))
    })?;
    if doc.version != VERSION {
        return Err(damaged(format!(
            "it is version {} and this keyctl reads version {VERSION}",
            doc.version
        )));
    }
    Ok(doc.pending)
}

/// Changes the journal at `path` by `change` under the lock: the entries are read, changed and
/// written whole to a new file that is synced and renamed into place (the folder synced too),
/// so a crash leaves the old journal or the new one, never a part. Nothing is written when
/// `change` leaves the entries as they were.
pub fn change<R>(path: &Path, change: impl FnOnce(&mut Vec<Entry>) -> R) -> std::io::Result<R> {
    let dir = folder(path);
    refuse_linked(dir)?;
    create_dir(dir)?;
    let opened = private_dir(dir, WHOSE)?;
    let lock_file = open_private(&lock_path(path), false)?;
    let mut lock = fd_lock::RwLock::new(lock_file);
    if !wait_for(|| lock.try_write().is_ok(), LOCK_WAIT) {
        return Err(std::io::Error::other(format!(
            "another keyctl run has held its lock for {} s",
            LOCK_WAIT.as_secs()
        )));
    }
    let _held = lock.write()?;
    let mut entries = read(path)?;
    let before = entries.clone();
    let out = change(&mut entries);
    if entries == before {
        return Ok(out);
    }
    let text = serde_json::to_vec_pretty(&Doc {
        version: VERSION,
        pending: entries,
    })
    .map_err(std::io::Error::other)?;
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = open_private(&tmp, true)?;
        f.write_all(&text)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        same_folder(dir, &opened)?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_folder(dir);
    Ok(out)
}

/// Opens (creating, mode 0600) a file of the journal's: the lock file, or (`new`) the next
/// journal, which must not exist yet. A symbolic link is not followed; a file that is not a
/// regular one is refused.
fn open_private(path: &Path, new: bool) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true);
    if new {
        o.create_new(true);
    } else {
        o.create(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    if new {
        // A temporary file a crashed run left behind under this process id.
        let _ = std::fs::remove_file(path);
    }
    let f = regular(o.open(path).map_err(|e| linked_file(path, e))?)?;
    #[cfg(unix)]
    make_private(&f, WHOSE, "file", path, 0o600);
    Ok(f)
}

/// A file that is a symbolic link (the open failed with ELOOP) said as such.
fn linked_file(path: &Path, e: std::io::Error) -> std::io::Error {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::io::Error::other(format!(
            "{} is a symbolic link, which keyctl does not follow",
            crate::text::sanitize(&path.display().to_string())
        )),
        _ => e,
    }
}

/// A journal that is not one.
fn damaged(why: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, why)
}

/// Syncs the folder, so a rename survives a crash (best effort: not every file system can).
fn sync_folder(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::fixtures::entry;

    #[cfg(unix)]
    #[test]
    fn the_folder_is_0700_and_the_files_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("keyctl").join("journal.json");
        change(&path, |v| v.push(entry("e1", "ci"))).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&lock_path(&path)), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(read(&path).unwrap(), vec![entry("e1", "ci")]);
    }

    #[test]
    fn a_missing_or_empty_journal_has_no_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.json");
        assert!(read(&path).unwrap().is_empty());
        std::fs::write(&path, "\n").unwrap();
        assert!(read(&path).unwrap().is_empty());
    }

    #[test]
    fn a_damaged_journal_is_an_error_and_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.json");
        std::fs::write(&path, "{\"version\":1,\"pending\":[{\"entr").unwrap();
        let e = read(&path).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("not a journal"), "{e}");
        assert!(change(&path, |v| v.clear()).is_err());
        assert!(std::fs::read_to_string(&path).unwrap().ends_with("entr"));
        std::fs::write(&path, "{\"version\":2,\"pending\":[]}").unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("version 2"));
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_folder_or_file_is_neither_written_nor_read_through() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let linked = dir.path().join("keyctl");
        std::os::unix::fs::symlink(&elsewhere, &linked).unwrap();
        let path = linked.join("journal.json");
        assert!(change(&path, |v| v.push(entry("e1", "ci"))).is_err());
        assert!(read(&path).is_err());
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
        let target = dir.path().join("target.json");
        std::fs::write(&target, "{\"version\":1,\"pending\":[]}").unwrap();
        let file = dir.path().join("journal.json");
        std::os::unix::fs::symlink(&target, &file).unwrap();
        let e = read(&file).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
    }

    #[test]
    fn concurrent_changes_lose_no_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.json");
        let threads: Vec<_> = (0..4)
            .map(|n| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        change(&path, |v| v.push(entry(&format!("e{n}-{i}"), "ci"))).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(read(&path).unwrap().len(), 100);
    }
}
