//! The trail's file: lines appended under an exclusive lock, the folder and file kept private,
//! and no folder or file that is a symbolic link written or read through.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Appends `line` (one whole line, ending in `\n`) to the file at `path` under an exclusive
/// lock, first ending a line a crash left torn. The trail's folder must not be a symbolic link
/// (an error: nothing is written through it); it and the file are made private when they are
/// the user's own.
pub(super) fn append(path: &Path, line: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        refuse_linked(dir)?;
        create_dir(dir)?;
    }
    let folder = dir.map(|d| private_dir(d, TRAIL)).transpose()?;
    let file = open_append(path)?;
    #[cfg(unix)]
    make_private(&file, TRAIL, "file", path, 0o600);
    // The folder opened above is still the one at its path (not swapped for a link meanwhile).
    if let (Some(dir), Some(folder)) = (dir, folder) {
        same_folder(dir, &folder)?;
    }
    let mut lock = fd_lock::RwLock::new(file);
    let mut f = lock_within(&mut lock, LOCK_WAIT)?;
    if torn(&mut f)? {
        f.write_all(b"\n")?;
    }
    f.write_all(line)?;
    f.flush()
}

/// Whose folder and file [`make_private`] warns about: the trail's.
const TRAIL: &str = "the audit trail's";

/// The longest wait for another run's lock on the trail: the run is single-threaded, so a
/// wait holds up its signals too.
pub(crate) const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The exclusive lock, tried until `wait` has passed (a holder that never lets go, e.g. on a
/// stuck network file system, costs a warning, not the run).
fn lock_within(
    lock: &mut fd_lock::RwLock<File>,
    wait: std::time::Duration,
) -> std::io::Result<fd_lock::RwLockWriteGuard<'_, File>> {
    // Once a run has waited its fill, it does not wait again (5 s per run, not per key).
    static GAVE_UP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let held = || {
        std::io::Error::other(format!(
            "another process has held its lock for {} s (this run's later lines are not \
             recorded either)",
            wait.as_secs()
        ))
    };
    if GAVE_UP.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(held());
    }
    if !wait_for(|| lock.try_write().is_ok(), wait) {
        GAVE_UP.store(true, std::sync::atomic::Ordering::SeqCst);
        return Err(held());
    }
    lock.write()
}

/// Tries `free` every 10 ms until it is true (then true) or `wait` has passed (false). The
/// borrow checker cannot see that a failed `try_write` ends its borrow, so callers probe with
/// it and then take the lock.
pub(crate) fn wait_for(mut free: impl FnMut() -> bool, wait: std::time::Duration) -> bool {
    let until = std::time::Instant::now() + wait;
    loop {
        if free() {
            return true;
        }
        if std::time::Instant::now() >= until {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Whether the file is non-empty and does not end with a line break.
fn torn(f: &mut File) -> std::io::Result<bool> {
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    f.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    f.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// Creates the directory and its parents (mode 0700 on Unix; existing ones are left as they
/// are here: [`private_dir`] sees to the trail's own folder).
pub(crate) fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Opens the trail to append (created with mode 0600 on Unix; an existing file keeps its
/// mode), readable for the torn-line check.
fn open_append(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A symbolic link is not followed (the trail would land in its target), and a FIFO
        // does not block the open.
        o.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    regular(o.open(path)?)
}

/// The file, if it is a regular file (not a FIFO, a device or a directory).
pub(crate) fn regular(f: File) -> std::io::Result<File> {
    if f.metadata()?.is_file() {
        Ok(f)
    } else {
        Err(std::io::Error::other("it is not a regular file"))
    }
}

/// The error for a trail whose folder (`$XDG_STATE_HOME/keyctl`) is a symbolic link: keyctl
/// neither writes the trail through one (the lines would land wherever it points) nor reads
/// it through one.
#[derive(Debug)]
pub struct LinkedFolder(PathBuf);

impl std::fmt::Display for LinkedFolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "its folder {} is a symbolic link, which keyctl does not follow",
            crate::text::sanitize(&self.0.display().to_string())
        )
    }
}

impl std::error::Error for LinkedFolder {}

/// Whether an error of [`open`] or a write is a [`LinkedFolder`].
pub fn is_linked_folder(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<LinkedFolder>())
}

/// A [`LinkedFolder`] error when `dir` is a symbolic link (a missing one is not).
pub(crate) fn refuse_linked(dir: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            Err(std::io::Error::other(LinkedFolder(dir.to_path_buf())))
        }
        _ => Ok(()),
    }
}

/// The trail's folder, opened without following a symbolic link (one is a [`LinkedFolder`]
/// error) and made private (0700) when it is the user's own (`whose`: what a warning calls
/// it, `the audit trail's`).
#[cfg(unix)]
pub(crate) fn private_dir(dir: &Path, whose: &str) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_DIRECTORY)
        .open(dir);
    let folder = match opened {
        Ok(f) => f,
        Err(e) => {
            refuse_linked(dir)?;
            return Err(e);
        }
    };
    make_private(&folder, whose, "folder", dir, 0o700);
    Ok(folder)
}

#[cfg(not(unix))]
pub(crate) fn private_dir(dir: &Path, _whose: &str) -> std::io::Result<()> {
    refuse_linked(dir)
}

/// Whether `dir` is still the folder opened as `folder` (and not a link put in its place).
#[cfg(unix)]
pub(crate) fn same_folder(dir: &Path, folder: &File) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    refuse_linked(dir)?;
    let (now, opened) = (std::fs::symlink_metadata(dir)?, folder.metadata()?);
    if (now.dev(), now.ino()) == (opened.dev(), opened.ino()) {
        Ok(())
    } else {
        Err(std::io::Error::other(
            "its folder was replaced while the line was being written",
        ))
    }
}

#[cfg(not(unix))]
pub(crate) fn same_folder(dir: &Path, _folder: &()) -> std::io::Result<()> {
    refuse_linked(dir)
}

/// This process's effective user id: whose files keyctl may make private.
#[cfg(unix)]
fn euid() -> u32 {
    // SAFETY: geteuid(2) takes no arguments, always succeeds and touches no memory.
    unsafe { libc::geteuid() }
}

/// Clears the group and other permission bits of the trail's (`whose`) folder or file (`f`, at
/// `path`)
/// when it is the user's own, so it is `private` (0700, 0600); one that belongs to another
/// user and is open to others, or that cannot be changed, is said once on stderr (even with
/// -q: nobody else would notice), and the line is written all the same.
#[cfg(unix)]
pub(crate) fn make_private(f: &File, whose: &str, what: &str, path: &Path, private: u32) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Ok(m) = f.metadata() else { return };
    let mode = m.mode() & 0o7777;
    if mode & 0o077 == 0 {
        return;
    }
    let shown = crate::text::sanitize(&path.display().to_string());
    if m.uid() != euid() {
        warn_once(&format!(
            "{whose} {what} {shown} is mode {mode:04o} and belongs to another user (uid {}), \
             so keyctl leaves it so: others can read or change it; have its \
             owner run chmod {private:o} on it, or point XDG_STATE_HOME at a folder of yours",
            m.uid()
        ));
        return;
    }
    let tight = std::fs::Permissions::from_mode(mode & !0o077);
    if let Err(e) = f.set_permissions(tight) {
        warn_once(&format!(
            "{whose} {what} {shown} is mode {mode:04o} and could not be made \
             private ({}); run chmod {private:o} on it",
            crate::text::sanitize(&e.to_string())
        ));
    }
}

/// A warning about the trail's modes, said once a run on stderr, even with -q.
#[cfg(unix)]
fn warn_once(msg: &str) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        crate::output::tell(&format!("warning: {msg}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::fixtures::{lines, read, updated};
    use crate::audit::{Filter, Trail, open};
    use crate::output::{Mode, Outcome};
    use serde_json::json;

    #[cfg(unix)]
    #[test]
    fn the_directory_is_0700_and_the_file_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("keyctl").join("audit.jsonl");
        let t = Trail::new(path.clone(), None);
        assert!(t.record(&updated("audit-mode-1"), Mode::Update).unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&dir.path().join("state")), 0o700);
    }

    #[test]
    fn a_torn_line_is_ended_before_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        std::fs::write(&path, "{\"time\":\"2026-11-23T18:40:00.123Z\",\"ke").unwrap();
        let t = Trail::new(path.clone(), None);
        assert!(t.record(&updated("audit-torn-1"), Mode::Update).unwrap());
        let (v, damaged) = read(&path, &Filter::default()).unwrap();
        assert_eq!(damaged, 1);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0]["key"], json!("audit-torn-1"));
    }

    #[test]
    fn concurrent_writers_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let threads: Vec<_> = (0..2)
            .map(|n| {
                let t = Trail::new(path.clone(), Some(format!("p{n}")));
                std::thread::spawn(move || {
                    for i in 0..200 {
                        let mut r = updated(&format!("audit-conc-{n}-{i}"));
                        if let Outcome::Updated { changes, .. } = &mut r.outcome {
                            changes[0].to = json!("x".repeat(3000));
                        }
                        t.record(&r, Mode::Update).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let v = lines(&path);
        assert_eq!(v.len(), 400);
    }

    #[test]
    fn whole_lines_are_appended_without_blank_ones() {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("keyctl").join("audit.jsonl");
        append(&at, b"{\"a\":1}\n").unwrap();
        append(&at, b"{\"b\":2}\n").unwrap();
        assert_eq!(std::fs::read(&at).unwrap(), b"{\"a\":1}\n{\"b\":2}\n");
    }

    #[cfg(unix)]
    #[test]
    fn a_loose_folder_and_file_of_the_users_own_are_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("keyctl");
        let path = folder.join("audit.jsonl");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(&path, "").unwrap();
        let set = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        set(&folder, 0o777);
        set(&path, 0o666);
        let t = Trail::new(path.clone(), None);
        assert!(t.record(&updated("audit-loose-1"), Mode::Update).unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&path), 0o600);
        // 0755 and 0644 (a umask's) too; the owner's own bits are kept.
        set(&folder, 0o755);
        set(&path, 0o640);
        assert!(t.record(&updated("audit-loose-2"), Mode::Update).unwrap());
        assert_eq!((mode(&folder), mode(&path)), (0o700, 0o600));
        assert_eq!(lines(&path).len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn a_loose_folder_of_another_user_is_left_and_the_line_written() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("keyctl");
        std::fs::create_dir(&folder).unwrap();
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
        // Only root can give a folder away (and write into another's 0777 folder anyway).
        if std::os::unix::fs::chown(&folder, Some(65534), None).is_err() {
            eprintln!("skipped: cannot chown (not root)");
            return;
        }
        let path = folder.join("audit.jsonl");
        let t = Trail::new(path.clone(), None);
        assert!(t.record(&updated("audit-other-1"), Mode::Update).unwrap());
        let m = std::fs::metadata(&folder).unwrap();
        assert_eq!((m.uid(), m.mode() & 0o777), (65534, 0o777));
        assert_eq!(lines(&path).len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_folder_is_neither_written_nor_read_through() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let folder = dir.path().join("keyctl");
        std::os::unix::fs::symlink(&elsewhere, &folder).unwrap();
        let path = folder.join("audit.jsonl");
        let t = Trail::new(path.clone(), None);
        let e = t
            .record(&updated("audit-link-1"), Mode::Update)
            .unwrap_err();
        assert!(e.contains("is a symbolic link"), "{e}");
        assert!(e.contains("make it a real folder"), "{e}");
        assert!(!elsewhere.join("audit.jsonl").exists());
        // A dangling link too (the folder would be made where it points).
        let gone = dir.path().join("gone");
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(&gone, &dangling).unwrap();
        let t = Trail::new(dangling.join("audit.jsonl"), None);
        let e = t
            .record(&updated("audit-link-2"), Mode::Update)
            .unwrap_err();
        assert!(e.contains("is a symbolic link"), "{e}");
        assert!(!gone.exists());
        // Reading: a trail found through the link is not read.
        std::fs::write(elsewhere.join("audit.jsonl"), "{\"key\":\"k\"}\n").unwrap();
        let e = open(&path).unwrap_err();
        assert!(is_linked_folder(&e), "{e}");
        assert!(e.to_string().contains("symbolic link"), "{e}");
    }

    /// Issue 20, attacker's pass (F6a): a trail file that is a symbolic link is not read
    /// through (the writer refuses it too).
    #[cfg(unix)]
    #[test]
    fn a_linked_trail_file_is_not_read_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.jsonl");
        std::fs::write(&target, "{\"key\":\"k\"}\n").unwrap();
        let path = dir.path().join("audit.jsonl");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let e = open(&path).unwrap_err();
        assert!(e.to_string().contains("is a symbolic link"), "{e}");
        assert!(!is_linked_folder(&e), "{e}");
        // The writer refuses it too; the target is left as it was.
        let t = Trail::new(path.clone(), None);
        assert!(t.record(&updated("audit-link-3"), Mode::Update).is_err());
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "{\"key\":\"k\"}\n"
        );
    }
}
