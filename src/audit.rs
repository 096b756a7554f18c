//! The audit trail: one JSON line per key written by update, create, revoke and rotate.
//!
//! Lines go to `$XDG_STATE_HOME/keyctl/audit.jsonl` (directory 0700, file 0600: an existing one
//! of the user's is made so, another's that is open to others is warned about), appended under
//! an exclusive file lock with one `write_all` each, so lines from concurrent runs never
//! interleave; a line torn by a crash is ended before the next one is written, so it costs a
//! reader one damaged line, not two. The trail is neither written nor read through a `keyctl`
//! folder that is a symbolic link. A line never holds the credential (every string is masked)
//! nor a new key's secret (never put in). `KEYCTL_AUDIT=off` or `audit = false` turns it off.
//! Each line also says who wrote it ([`Who`]: the key's name when known, the local user and
//! host, and the command line's arguments, masked and bounded).
//!
//! The reader streams: [`open`] notes the file's length under the lock and lets go, then
//! [`Opened::entries`] reads up to that length line by line, each line at most [`MAX_LINE`]
//! bytes, as often as a caller needs (a table is read twice).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Take, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::key::{CHANGE_FIELDS, FieldChange, Key};
use crate::output::{KeyResult, Mode, Outcome};

/// The environment variable that turns the trail on or off.
pub const ENV: &str = "KEYCTL_AUDIT";

/// The trail's file: `$XDG_STATE_HOME/keyctl/audit.jsonl` when XDG_STATE_HOME is set, non-empty
/// and absolute; else `$HOME/.local/state/keyctl/audit.jsonl`; None without HOME.
pub fn default_path() -> Option<PathBuf> {
    path_from(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
}

/// [`default_path`] from the two variables' values.
fn path_from(xdg: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let state = xdg
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })?;
    Some(state.join("keyctl").join("audit.jsonl"))
}

/// Whether to audit: `KEYCTL_AUDIT` (off/0/false/no, on/1/true/yes, any case) wins over the
/// config file's `audit`; on by default. Another value of the variable is a usage error.
pub fn enabled(config: Option<bool>) -> Result<bool, String> {
    let var = std::env::var_os(ENV).map(|v| v.to_string_lossy().into_owned());
    enabled_from(var.as_deref(), config)
}

/// [`enabled`] from the variable's value (None: not set; empty counts as not set).
pub fn enabled_from(var: Option<&str>, config: Option<bool>) -> Result<bool, String> {
    let var = var.map(str::trim).filter(|v| !v.is_empty());
    match var.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(config.unwrap_or(true)),
        Some("off" | "0" | "false" | "no") => Ok(false),
        Some("on" | "1" | "true" | "yes") => Ok(true),
        Some(_) => Err(format!(
            "{ENV} must be on or off (also 1/0, true/false, yes/no), not {:?}",
            crate::text::truncate(var.unwrap_or_default(), 40)
        )),
    }
}

/// The HTTP status last received for each key's write request (see [`note_status`]).
static STATUSES: Mutex<BTreeMap<String, u16>> = Mutex::new(BTreeMap::new());

/// Notes the HTTP status a write request about `key` received (the HTTP session calls this
/// after each PATCH, POST or DELETE); [`Trail::record`] uses the last one noted for a key
/// whose outcome carries no status of its own.
pub fn note_status(key: &str, status: u16) {
    let mut m = STATUSES.lock().unwrap_or_else(|e| e.into_inner());
    m.insert(key.to_string(), status);
}

/// Takes (and forgets) the status noted for the first of `keys` that has one.
fn take_status(keys: &[&str]) -> Option<u16> {
    let mut m = STATUSES.lock().unwrap_or_else(|e| e.into_inner());
    let mut found = None;
    for k in keys {
        found = found.or(m.remove(*k));
    }
    found
}

/// The name of each key read before its write (see [`note_name`]).
static NAMES: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

/// Notes the name of `key` as read before its write (`revoke` reads each key before deleting
/// it): [`Trail::record`] uses it when the outcome carries no view of the key (a delete that
/// failed, or found the key gone).
pub fn note_name(key: &str, k: &Key) {
    if let Some(name) = k.name.clone().flatten().filter(|n| !n.is_empty()) {
        let mut m = NAMES.lock().unwrap_or_else(|e| e.into_inner());
        m.insert(key.to_string(), name);
    }
}

/// The name noted for `key`, if any.
fn noted_name(key: &str) -> Option<String> {
    let m = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    m.get(key).cloned()
}

/// The trail of one run: where it is written, the run's id, the profile used and who ran it.
#[derive(Debug, Clone)]
pub struct Trail {
    path: PathBuf,
    run: String,
    profile: Option<String>,
    who: Arc<Who>,
}

impl Trail {
    /// A trail writing to `path`; the run id is this process's random UUID v4 (the one the
    /// JSON output carries, so output lines and audit lines of a run can be matched).
    pub fn new(path: PathBuf, profile: Option<String>) -> Trail {
        Trail {
            path,
            run: crate::output::run_id().to_string(),
            profile,
            who: Arc::new(Who::of_this_run()),
        }
    }

    pub fn run_id(&self) -> &str {
        &self.run
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the line for one key's result of a write command; Ok(false) when the outcome
    /// is not a write (dry run, unchanged, not attempted, read) or `mode` is not a write mode.
    pub fn record(&self, r: &KeyResult, mode: Mode) -> Result<bool, String> {
        let Some(action) = action(mode).filter(|_| is_write(&r.outcome)) else {
            return Ok(false);
        };
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let status = r
            .outcome
            .error()
            .and_then(|e| e.http_status())
            .or_else(|| take_status(&[&r.key, new_key(&r.outcome).unwrap_or_default(), ""]));
        let v = entry(r, action, &self.head(now), status, &self.who);
        let line = serde_json::to_string(&v).map_err(|e| format!("audit line: {e}"))? + "\n";
        append(&self.path, line.as_bytes()).map_err(|e| {
            let next = if is_linked_folder(&e) {
                "make it a real folder (move what it points to into its place)"
            } else {
                "check that its directory is writable"
            };
            format!(
                "could not write the audit trail {}: {e}; {next}, or set {ENV}=off",
                crate::text::sanitize(&self.path.display().to_string())
            )
        })?;
        Ok(true)
    }

    /// The fields every line starts with: time, run and profile.
    fn head(&self, time: String) -> Head {
        Head {
            time,
            run: self.run.clone(),
            profile: self.profile.clone(),
        }
    }
}

/// The first fields of a line.
struct Head {
    time: String,
    run: String,
    profile: Option<String>,
}

/// The action a write mode records; None for a read mode.
fn action(mode: Mode) -> Option<&'static str> {
    match mode {
        Mode::Update => Some("update"),
        Mode::Create => Some("create"),
        Mode::Revoke => Some("revoke"),
        Mode::Rotate => Some("rotate"),
        Mode::Get | Mode::List => None,
    }
}

/// Whether an outcome is a write that was made or attempted.
fn is_write(o: &Outcome) -> bool {
    match o {
        Outcome::Updated { .. }
        | Outcome::Created { .. }
        | Outcome::Revoked { .. }
        | Outcome::Rotated { .. }
        | Outcome::Failed(_)
        | Outcome::Unknown(_)
        | Outcome::NotFound(_) => true,
        Outcome::DryRun { .. }
        | Outcome::Unchanged { .. }
        | Outcome::Shown(_)
        | Outcome::NotAttempted => false,
    }
}

/// The id of the key a create or a rotation made.
fn new_key(o: &Outcome) -> Option<&str> {
    match o {
        Outcome::Created { after, .. } | Outcome::Rotated { after, .. } => {
            Some(after.id.as_str()).filter(|id| !id.is_empty())
        }
        _ => None,
    }
}

/// The key's name, when known: from the outcome's views of the key (for a create or a
/// rotation the new key's, for a revoke the one read before deleting), else as noted by
/// [`note_name`] when it was read.
fn key_name(r: &KeyResult) -> Option<String> {
    let views: [Option<&Key>; 2] = match &r.outcome {
        Outcome::Updated { before, after, .. } => [Some(after), before.as_deref()],
        Outcome::Created { after, .. } => [Some(after), None],
        Outcome::Revoked { before, .. } => [before.as_deref(), None],
        Outcome::Rotated { before, after, .. } => [Some(after), Some(before)],
        _ => [None, None],
    };
    views
        .into_iter()
        .flatten()
        .find_map(|k| k.name.clone().flatten().filter(|n| !n.is_empty()))
        .or_else(|| noted_name(&r.key))
}

/// One line's object, every string masked: never the secret of a new key (not put in) nor
/// the credential (masked), nor a token shaped like a key's secret (a secret pasted as a name).
fn entry(r: &KeyResult, action: &str, head: &Head, http_status: Option<u16>, who: &Who) -> Value {
    let mut o = Map::new();
    o.insert("time".into(), json!(head.time));
    o.insert("run".into(), json!(head.run));
    o.insert("profile".into(), json!(head.profile));
    o.insert("provider".into(), json!(r.provider.info().id));
    let key = match &r.outcome {
        Outcome::Created { .. } => new_key(&r.outcome).unwrap_or(&r.key),
        _ => &r.key,
    };
    o.insert("key".into(), json!(key));
    o.insert("name".into(), json!(key_name(r)));
    o.insert("action".into(), json!(action));
    o.insert("status".into(), json!(r.outcome.status()));
    o.insert("changes".into(), changes(&r.outcome));
    o.insert("http_status".into(), json!(http_status));
    if let Some(id) = new_key(&r.outcome) {
        o.insert("new_key".into(), json!(id));
    }
    if let Outcome::Rotated { old, error, .. } = &r.outcome {
        // As the JSON output has it.
        o.insert(
            "old_key".into(),
            json!({"action": old, "done": error.is_none()}),
        );
    }
    if let Some(e) = r.outcome.error() {
        o.insert("error".into(), json!(e.to_string()));
    }
    o.insert("user".into(), json!(who.user));
    o.insert("host".into(), json!(who.host));
    o.insert("argv".into(), json!(who.argv()));
    let mut v = Value::Object(o);
    crate::secret::mask_json(&mut v);
    mask_key_like_json(&mut v);
    v
}

/// Masks every token shaped like a key's secret in the strings of `v` (see
/// [`crate::secret::mask_key_like`]); key ids are not shaped so.
fn mask_key_like_json(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(m) = crate::secret::mask_key_like(s) {
                *s = m;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask_key_like_json),
        Value::Object(o) => o.values_mut().for_each(mask_key_like_json),
        _ => {}
    }
}

/// The most arguments a line records: the rest are counted in one last element.
pub const MAX_ARGS: usize = 64;

/// The most characters of one argument a line records (a longer one is cut, marked `…`).
pub const MAX_ARG_CHARS: usize = 1024;

/// The longest user or host name a line records, in characters.
const MAX_NAME_CHARS: usize = 255;

/// Starts of key secrets (as `provider::refuse_secret_id` knows them): an argument, or the
/// value of `--flag=VALUE`, that starts with one is a pasted secret and recorded as `****`.
const SECRET_STARTS: [&str; 5] = [
    "sk-or-",
    "VENICE_ADMIN_KEY_",
    "VENICE_INFERENCE_KEY_",
    "io-v2-",
    "eyJ",
];

/// Who wrote a run's lines: the local user, the host and the command line, found once a run.
#[derive(Debug)]
pub struct Who {
    user: String,
    host: Option<String>,
    /// The arguments as given (bounded), masked when first recorded (see [`Who::argv`]).
    raw: Vec<String>,
    argv: OnceLock<Vec<String>>,
}

impl Who {
    /// This process's user, host and arguments.
    fn of_this_run() -> Who {
        Who::new(
            local_user(),
            local_host(),
            std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned()),
        )
    }

    /// The arguments after the program's name (it is recorded as `keyctl`, without its path),
    /// at most [`MAX_ARGS`] of them.
    fn new(user: String, host: Option<String>, args: impl Iterator<Item = String>) -> Who {
        let mut raw = vec!["keyctl".to_string()];
        let mut more = 0usize;
        for a in args {
            if raw.len() < MAX_ARGS {
                raw.push(a);
            } else {
                more += 1;
            }
        }
        if more > 0 {
            raw.push(format!("… ({more} more argument(s) not recorded)"));
        }
        Who {
            user,
            host,
            raw,
            argv: OnceLock::new(),
        }
    }

    /// The arguments, each masked and cut to [`MAX_ARG_CHARS`]: masked when the first line is
    /// written, once the run's credential is registered.
    fn argv(&self) -> &[String] {
        self.argv
            .get_or_init(|| self.raw.iter().map(|a| mask_arg(a)).collect())
    }
}

/// One argument as a line records it: `****` for one that holds the credential (or a near
/// copy of it) or starts like a key's secret (also after `--flag=`); else sanitised, with
/// registered secrets and tokens shaped like a key's secret masked, cut to [`MAX_ARG_CHARS`].
fn mask_arg(a: &str) -> String {
    use crate::secret::MASK;
    if crate::secret::holds_credential(a) {
        return MASK.to_string();
    }
    let clean = crate::text::sanitize(a);
    let (flag, value) = match clean.split_once('=') {
        Some((f, v)) if f.starts_with("--") => (Some(f), v),
        _ => (None, clean.as_str()),
    };
    let masked = if SECRET_STARTS.iter().any(|p| value.trim().starts_with(p)) {
        MASK.to_string()
    } else {
        crate::secret::mask_key_like(value).into_owned()
    };
    let whole = match flag {
        Some(f) => format!("{f}={masked}"),
        None => masked,
    };
    crate::visible::cut(&whole, MAX_ARG_CHARS)
}

/// The local user: the passwd name of the real user id, else `$USER` or `$LOGNAME`, else the
/// number; sanitised and bounded.
fn local_user() -> String {
    let name = passwd_name()
        .or_else(|| {
            ["USER", "LOGNAME"].iter().find_map(|v| {
                std::env::var_os(v)
                    .map(|u| u.to_string_lossy().trim().to_string())
                    .filter(|u| !u.is_empty())
            })
        })
        .unwrap_or_else(uid_text);
    crate::visible::cut(&crate::text::sanitize(&name), MAX_NAME_CHARS)
}

#[cfg(unix)]
fn uid_text() -> String {
    // SAFETY: getuid(2) takes no arguments, always succeeds and touches no memory.
    unsafe { libc::getuid() }.to_string()
}

#[cfg(not(unix))]
fn uid_text() -> String {
    "unknown".into()
}

/// The passwd entry's name of the real user id (getpwuid_r), if there is one.
#[cfg(unix)]
fn passwd_name() -> Option<String> {
    // SAFETY: getuid(2) takes no arguments, always succeeds and touches no memory.
    let uid = unsafe { libc::getuid() };
    let mut len = 1024usize;
    loop {
        let mut buf: Vec<libc::c_char> = vec![0; len];
        // SAFETY: passwd is plain data (integers and pointers), for which all zeroes is valid.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is to live memory of the given size; getpwuid_r writes the
        // entry's strings into `buf` and points `pwd`'s fields (and `found`) into it.
        let rc =
            unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
        if rc == libc::ERANGE && len < 1 << 20 {
            len *= 4;
            continue;
        }
        if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success pw_name points to a NUL-terminated string inside `buf`, which is
        // alive here.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        let name = name.to_string_lossy().into_owned();
        return Some(name).filter(|n| !n.is_empty());
    }
}

#[cfg(not(unix))]
fn passwd_name() -> Option<String> {
    None
}

/// The host's name (gethostname, at most 255 bytes), sanitised; None when it cannot be read.
#[cfg(unix)]
fn local_host() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is live and its length is passed; gethostname writes at most that
    // many bytes (one fewer is left for the NUL below).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len() - 1);
    let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
    Some(crate::visible::cut(
        &crate::text::sanitize(&name),
        MAX_NAME_CHARS,
    ))
    .filter(|n| !n.is_empty())
}

#[cfg(not(unix))]
fn local_host() -> Option<String> {
    std::env::var("COMPUTERNAME").ok().filter(|h| !h.is_empty())
}

/// The changes of a write: an update's fields (before → after), a created key's settings
/// (`{field, to}`), none for the rest.
fn changes(o: &Outcome) -> Value {
    let list: Vec<FieldChange> = match o {
        Outcome::Updated { changes, .. } => changes.clone(),
        Outcome::Created { after, .. } => created_fields(after),
        _ => Vec::new(),
    };
    Value::Array(list.iter().map(FieldChange::to_json).collect())
}

/// A new key's known settings, as changes from nothing.
fn created_fields(k: &Key) -> Vec<FieldChange> {
    crate::key::changes(None, k, &CHANGE_FIELDS)
}

/// Appends `line` (one whole line, ending in `\n`) to the file at `path` under an exclusive
/// lock, first ending a line a crash left torn. The trail's folder must not be a symbolic link
/// (an error: nothing is written through it); it and the file are made private when they are
/// the user's own.
fn append(path: &Path, line: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        refuse_linked(dir)?;
        create_dir(dir)?;
    }
    let folder = dir.map(private_dir).transpose()?;
    let file = open_append(path)?;
    #[cfg(unix)]
    make_private(&file, "file", path, 0o600);
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

/// The longest wait for another run's lock on the trail: the run is single-threaded, so a
/// wait holds up its signals too.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

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
fn wait_for(mut free: impl FnMut() -> bool, wait: std::time::Duration) -> bool {
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
fn create_dir(dir: &Path) -> std::io::Result<()> {
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
fn regular(f: File) -> std::io::Result<File> {
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
fn refuse_linked(dir: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            Err(std::io::Error::other(LinkedFolder(dir.to_path_buf())))
        }
        _ => Ok(()),
    }
}

/// The trail's folder, opened without following a symbolic link (one is a [`LinkedFolder`]
/// error) and made private (0700) when it is the user's own.
#[cfg(unix)]
fn private_dir(dir: &Path) -> std::io::Result<File> {
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
    make_private(&folder, "folder", dir, 0o700);
    Ok(folder)
}

#[cfg(not(unix))]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    refuse_linked(dir)
}

/// Whether `dir` is still the folder opened as `folder` (and not a link put in its place).
#[cfg(unix)]
fn same_folder(dir: &Path, folder: &File) -> std::io::Result<()> {
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
fn same_folder(dir: &Path, _folder: &()) -> std::io::Result<()> {
    refuse_linked(dir)
}

/// This process's effective user id: whose files keyctl may make private.
#[cfg(unix)]
fn euid() -> u32 {
    // SAFETY: geteuid(2) takes no arguments, always succeeds and touches no memory.
    unsafe { libc::geteuid() }
}

/// Clears the group and other permission bits of the trail's folder or file (`f`, at `path`)
/// when it is the user's own, so it is `private` (0700, 0600); one that belongs to another
/// user and is open to others, or that cannot be changed, is said once on stderr (even with
/// -q: nobody else would notice), and the line is written all the same.
#[cfg(unix)]
fn make_private(f: &File, what: &str, path: &Path, private: u32) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Ok(m) = f.metadata() else { return };
    let mode = m.mode() & 0o7777;
    if mode & 0o077 == 0 {
        return;
    }
    let shown = crate::text::sanitize(&path.display().to_string());
    if m.uid() != euid() {
        warn_once(&format!(
            "the audit trail's {what} {shown} is mode {mode:04o} and belongs to another user \
             (uid {}), so keyctl leaves it so: others can read or change the trail; have its \
             owner run chmod {private:o} on it, or point XDG_STATE_HOME at a folder of yours",
            m.uid()
        ));
        return;
    }
    let tight = std::fs::Permissions::from_mode(mode & !0o077);
    if let Err(e) = f.set_permissions(tight) {
        warn_once(&format!(
            "the audit trail's {what} {shown} is mode {mode:04o} and could not be made \
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

/// Which entries `keyctl log` shows; None lets every entry through.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Entries at this time or later.
    pub since: Option<DateTime<Utc>>,
    /// Entries about this key (`key`, or `new_key` of a rotation or create): its id, an id
    /// prefix of 6+ characters, or its exact `name`.
    pub key: Option<String>,
    /// Provider id (`venice`), any case.
    pub provider: Option<String>,
    pub profile: Option<String>,
    /// Entries of these actions (any of them; empty: every action).
    pub actions: Vec<String>,
    /// Entries of these statuses (any of them; empty: every status).
    pub statuses: Vec<String>,
    /// Entries whose key's `name` matches this glob (an entry without a name never does).
    pub name: Option<globset::GlobMatcher>,
    /// Only the last this many entries that pass (`-n/--tail`): [`Opened::entries`] counts
    /// them first, then skips the rest, so memory stays bounded whatever the number.
    pub last: Option<usize>,
}

/// The actions a line records (`--action`).
pub const RECORDED_ACTIONS: [&str; 4] = ["update", "create", "revoke", "rotate"];

/// The statuses a line records (`--status`): those of a write's outcome.
pub const RECORDED_STATUSES: [&str; 8] = [
    "updated",
    "created",
    "revoked",
    "rotated",
    "partial",
    "not_found",
    "failed",
    "unknown",
];

impl Filter {
    /// Whether an entry passes.
    pub fn accepts(&self, e: &Map<String, Value>) -> bool {
        let s = |name: &str| e.get(name).and_then(Value::as_str);
        let since = self.since.is_none_or(|since| {
            s("time")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t.with_timezone(&Utc) >= since)
        });
        // An id, the start of one as a table shows it (6+ characters, as key references take
        // it: commands/keys.rs MIN_PREFIX), or a key's name.
        let is = |v: Option<&str>, k: &str| {
            v.is_some_and(|v| {
                v == k
                    || (k.len() >= 6 && v.get(..k.len()).is_some_and(|h| h.eq_ignore_ascii_case(k)))
            })
        };
        let key = self
            .key
            .as_deref()
            .is_none_or(|k| is(s("key"), k) || is(s("new_key"), k) || s("name") == Some(k));
        let provider = self
            .provider
            .as_deref()
            .is_none_or(|p| s("provider").is_some_and(|v| v.eq_ignore_ascii_case(p)));
        let profile = self
            .profile
            .as_deref()
            .is_none_or(|p| s("profile") == Some(p));
        let one_of = |list: &[String], field: &str| {
            list.is_empty() || s(field).is_some_and(|v| list.iter().any(|l| l == v))
        };
        let name = self
            .name
            .as_ref()
            .is_none_or(|g| s("name").is_some_and(|n| g.is_match(n)));
        since
            && key
            && provider
            && profile
            && one_of(&self.actions, "action")
            && one_of(&self.statuses, "status")
            && name
    }
}

/// `--since`: a duration back from `now` (`7d`, `12h`, `90m`), a date (`2026-11-01`, 00:00
/// UTC) or an RFC 3339 time.
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let bad = || {
        format!(
            "--since takes a duration back from now (7d, 12h, 90m), a date (2026-11-01) or an \
             RFC 3339 time (2026-11-01T08:00:00Z), not {:?}",
            crate::text::truncate(t, 40)
        )
    };
    let back = crate::duration::parse(t).map_err(|e| format!("{}: {e}", bad()))?;
    chrono::Duration::from_std(back)
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .ok_or_else(bad)
}

/// The longest line the reader takes (keyctl writes lines of a few KiB): a longer one is
/// skipped, and counted, without being held in memory. A line's JSON takes up to some 40 times
/// its size once parsed (`[{},{},…]`), so this also bounds what one entry costs.
pub const MAX_LINE: usize = 256 << 10;

/// The trail opened for reading: the file, and its length when it was opened.
#[derive(Debug)]
pub struct Opened {
    file: File,
    len: u64,
    /// For `Filter::last`: the entries that pass, counted once (see [`Opened::entries`]).
    passing: Option<usize>,
}

/// Opens the trail at `path` to read: a missing file is `NotFound`; a folder that is a
/// symbolic link is a [`LinkedFolder`] error, and a file that is a symbolic link (not followed)
/// or not a regular one (a FIFO, a device, a folder) an error too. Its length is taken under a
/// shared lock, so it ends on a whole line (a writer holds the exclusive lock for the whole of
/// its line); the lock is let go at once: lines appended later are not read, and a slow reader
/// (`keyctl log | less`) never holds up a writer.
pub fn open(path: &Path) -> std::io::Result<Opened> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        refuse_linked(dir)?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    // As for writing: a symbolic link is not followed (ELOOP), and a FIFO does not block.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, libc::O_NONBLOCK | libc::O_NOFOLLOW);
    let file = o.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return std::io::Error::other(
                "it is a symbolic link, which keyctl does not follow (put the file it points \
                 to in its place)",
            );
        }
        e
    })?;
    let lock = fd_lock::RwLock::new(regular(file)?);
    if !wait_for(|| lock.try_read().is_ok(), LOCK_WAIT) {
        return Err(std::io::Error::other(format!(
            "another process has held its lock for {} s; try again",
            LOCK_WAIT.as_secs()
        )));
    }
    let len = {
        let guard = lock.read()?;
        guard.metadata()?.len()
    };
    Ok(Opened {
        file: lock.into_inner(),
        len,
        passing: None,
    })
}

impl Opened {
    /// The entries that pass `filter`, in file order, read from the start (again, on a second
    /// call) up to the length the file had when it was opened. With `filter.last` (N), only
    /// the last N of them: the first call counts the entries that pass (one more read of the
    /// file, holding none of them), and every call skips all but the last N.
    pub fn entries<'a>(
        &'a mut self,
        filter: &'a Filter,
    ) -> std::io::Result<Entries<'a, BufReader<Take<&'a File>>>> {
        let skip = match filter.last {
            None => 0,
            Some(n) => {
                let passing = match self.passing {
                    Some(p) => p,
                    None => {
                        let mut all = self.read(filter)?;
                        let mut p = 0usize;
                        for e in all.by_ref() {
                            e?;
                            p += 1;
                        }
                        self.passing = Some(p);
                        p
                    }
                };
                passing.saturating_sub(n)
            }
        };
        let mut entries = self.read(filter)?;
        entries.skip = skip;
        Ok(entries)
    }

    /// Every entry that passes `filter`, from the start.
    fn read<'a>(
        &'a self,
        filter: &'a Filter,
    ) -> std::io::Result<Entries<'a, BufReader<Take<&'a File>>>> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(0))?;
        let input = BufReader::with_capacity(64 * 1024, file.take(self.len));
        Ok(Entries::new(input, filter))
    }
}

/// The lines a reader skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Not a JSON object: cut short by a crash, or edited.
    pub damaged: usize,
    /// Longer than [`MAX_LINE`] (not keyctl's).
    pub too_long: usize,
}

/// The entries of a trail's text that pass a filter, one line at a time: an iterator of JSON
/// objects; [`Entries::skipped`] counts the lines left out. It ends after a read error.
#[derive(Debug)]
pub struct Entries<'a, R> {
    input: R,
    filter: &'a Filter,
    line: Vec<u8>,
    skipped: Skipped,
    failed: bool,
    /// Entries that pass but are left out first (`-n/--tail`: all but the last N).
    skip: usize,
}

impl<'a, R: BufRead> Entries<'a, R> {
    pub fn new(input: R, filter: &'a Filter) -> Entries<'a, R> {
        Entries {
            input,
            filter,
            line: Vec::new(),
            skipped: Skipped::default(),
            failed: false,
            skip: 0,
        }
    }

    /// The lines skipped so far.
    pub fn skipped(&self) -> Skipped {
        self.skipped
    }
}

impl<R: BufRead> Iterator for Entries<'_, R> {
    type Item = std::io::Result<Value>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed {
            match next_line(&mut self.input, &mut self.line, MAX_LINE) {
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
                Ok(Line::End) => return None,
                Ok(Line::TooLong) => self.skipped.too_long += 1,
                Ok(Line::Text) if self.line.iter().all(u8::is_ascii_whitespace) => {}
                Ok(Line::Text) => match serde_json::from_slice::<Value>(&self.line) {
                    Ok(Value::Object(o)) if self.filter.accepts(&o) => {
                        if self.skip > 0 {
                            self.skip -= 1;
                            continue;
                        }
                        return Some(Ok(Value::Object(o)));
                    }
                    Ok(Value::Object(_)) => {}
                    _ => self.skipped.damaged += 1,
                },
            }
        }
        None
    }
}

/// What [`next_line`] found.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A line, in the buffer (without its line break).
    Text,
    /// A line longer than the limit, skipped to its end.
    TooLong,
    /// The end of the input.
    End,
}

/// Reads the next line into `buf` (cleared first) when it is at most `max` bytes long, else
/// skips it to its end keeping at most `max` bytes at any time: a multi-GiB line is never held.
fn next_line(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
    buf.clear();
    let (mut any, mut long) = (false, false);
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(match (any, long) {
                (false, _) => Line::End,
                (true, false) => Line::Text,
                (true, true) => Line::TooLong,
            });
        }
        any = true;
        let end = avail.iter().position(|b| *b == b'\n');
        let piece = &avail[..end.unwrap_or(avail.len())];
        if !long && buf.len() + piece.len() > max {
            long = true;
            buf.clear();
        }
        if !long {
            buf.extend_from_slice(piece);
        }
        let used = end.map_or(avail.len(), |i| i + 1);
        r.consume(used);
        if end.is_some() {
            return Ok(if long { Line::TooLong } else { Line::Text });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::key::Unit;
    use crate::output::NewSecret;
    use crate::provider::ProviderKind;
    use crate::request::{AuthScheme, Request};
    use rust_decimal::Decimal;

    /// Every entry of the trail at `path` that passes `filter`, and the damaged lines.
    fn read(path: &Path, filter: &Filter) -> std::io::Result<(Vec<Value>, usize)> {
        let mut t = open(path)?;
        let mut entries = t.entries(filter)?;
        let v = entries.by_ref().collect::<std::io::Result<Vec<_>>>()?;
        Ok((v, entries.skipped().damaged))
    }

    /// [`read`] of a trail's text.
    fn parse(text: &[u8], filter: &Filter) -> std::io::Result<(Vec<Value>, usize)> {
        let mut entries = Entries::new(text, filter);
        let v = entries.by_ref().collect::<std::io::Result<Vec<_>>>()?;
        Ok((v, entries.skipped().damaged))
    }

    fn req() -> Box<Request> {
        Box::new(Request::patch(
            "https://example.test/keys/k".into(),
            AuthScheme::Bearer,
            json!({"limit": 50}),
        ))
    }

    fn updated(key: &str) -> KeyResult {
        let mut after = Key::unread("venice", key, Unit::Usd);
        after.limit = Some(Some(Decimal::new(50, 0)));
        KeyResult {
            provider: ProviderKind::Venice,
            key: key.into(),
            outcome: Outcome::Updated {
                before: None,
                after: Box::new(after),
                changes: vec![FieldChange {
                    field: "limit",
                    from: Some(json!(10)),
                    to: json!(50),
                }],
                req: req(),
            },
        }
    }

    fn created(id: &str, secret: &str) -> KeyResult {
        let mut after = Key::unread("openrouter", id, Unit::Usd);
        after.name = Some(Some("ci-runner".into()));
        after.limit = Some(Some(Decimal::new(25, 0)));
        KeyResult {
            provider: ProviderKind::OpenRouter,
            key: id.into(),
            outcome: Outcome::Created {
                after: Box::new(after),
                secret: NewSecret::Shown(secret.into()),
                req: req(),
                error: None,
            },
        }
    }

    fn lines(path: &Path) -> Vec<Value> {
        let (v, damaged) = read(path, &Filter::default()).unwrap();
        assert_eq!(damaged, 0);
        v
    }

    #[test]
    fn paths_follow_xdg_then_home() {
        let p = |x: Option<&str>, h: Option<&str>| {
            path_from(x.map(OsString::from), h.map(OsString::from))
        };
        assert_eq!(
            p(Some("/s"), Some("/h")),
            Some(PathBuf::from("/s/keyctl/audit.jsonl"))
        );
        let home = Some(PathBuf::from("/h/.local/state/keyctl/audit.jsonl"));
        assert_eq!(p(Some(""), Some("/h")), home);
        assert_eq!(p(Some("rel"), Some("/h")), home);
        assert_eq!(p(None, Some("/h")), home);
        assert_eq!(p(None, None), None);
        assert_eq!(p(None, Some("")), None);
    }

    #[test]
    fn the_variable_wins_over_the_config() {
        assert_eq!(enabled_from(None, None), Ok(true));
        assert_eq!(enabled_from(None, Some(false)), Ok(false));
        assert_eq!(enabled_from(Some(""), Some(false)), Ok(false));
        for off in ["off", " OFF ", "0", "False", "no"] {
            assert_eq!(enabled_from(Some(off), Some(true)), Ok(false), "{off}");
        }
        for on in ["on", "1", "TRUE", "Yes\n"] {
            assert_eq!(enabled_from(Some(on), Some(false)), Ok(true), "{on}");
        }
        let e = enabled_from(Some("maybe"), None).unwrap_err();
        assert!(e.contains("KEYCTL_AUDIT") && e.contains("maybe"), "{e}");
    }

    #[test]
    fn an_update_line_has_its_fields_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), Some("venice-prod".into()));
        note_status("audit-upd-1", 200);
        assert!(t.record(&updated("audit-upd-1"), Mode::Update).unwrap());
        let v = lines(t.path());
        let o = v[0].as_object().unwrap();
        let keys: Vec<&str> = o.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "time",
                "run",
                "profile",
                "provider",
                "key",
                "name",
                "action",
                "status",
                "changes",
                "http_status",
                "user",
                "host",
                "argv"
            ]
        );
        assert_eq!(o["name"], Value::Null);
        assert_eq!(o["argv"][0], json!("keyctl"));
        assert!(!o["user"].as_str().unwrap().is_empty());
        assert_eq!(o["run"], json!(t.run_id()));
        assert_eq!(o["profile"], json!("venice-prod"));
        assert_eq!(o["action"], json!("update"));
        assert_eq!(o["status"], json!("updated"));
        assert_eq!(o["http_status"], json!(200));
        assert_eq!(
            o["changes"],
            json!([{"field": "limit", "from": 10, "to": 50}])
        );
        assert!(DateTime::parse_from_rfc3339(o["time"].as_str().unwrap()).is_ok());
    }

    #[test]
    fn reads_dry_runs_and_unattempted_keys_are_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), None);
        let shown = KeyResult {
            provider: ProviderKind::Venice,
            key: "k".into(),
            outcome: Outcome::Shown(Box::new(Key::unread("venice", "k", Unit::Usd))),
        };
        assert!(!t.record(&shown, Mode::Get).unwrap());
        let skip = KeyResult {
            provider: ProviderKind::Venice,
            key: "k".into(),
            outcome: Outcome::NotAttempted,
        };
        assert!(!t.record(&skip, Mode::Update).unwrap());
        let failed_read = KeyResult {
            provider: ProviderKind::Venice,
            key: "k".into(),
            outcome: Outcome::Failed(Error::usage("boom")),
        };
        assert!(!t.record(&failed_read, Mode::List).unwrap());
        assert!(!t.path().exists());
        assert!(t.record(&failed_read, Mode::Update).unwrap());
        let v = lines(t.path());
        assert_eq!(v[0]["status"], json!("failed"));
        assert_eq!(v[0]["error"], json!("boom"));
        assert_eq!(v[0]["http_status"], Value::Null);
    }

    #[test]
    fn a_rotation_names_both_keys_and_the_old_keys_step() {
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), None);
        let before = Key::unread("venice", "old-1", Unit::Usd);
        let after = Key::unread("venice", "new-1", Unit::Usd);
        let r = KeyResult {
            provider: ProviderKind::Venice,
            key: "old-1".into(),
            outcome: Outcome::Rotated {
                before: Box::new(before),
                after: Box::new(after),
                secret: NewSecret::File("/tmp/x".into()),
                old: "revoked".into(),
                error: Some(Error::Provider {
                    provider: "Venice",
                    status: Some(503),
                    message: "down".into(),
                }),
            },
        };
        assert!(t.record(&r, Mode::Rotate).unwrap());
        let v = lines(t.path());
        assert_eq!(v[0]["status"], json!("partial"));
        assert_eq!(v[0]["new_key"], json!("new-1"));
        assert_eq!(v[0]["old_key"], json!({"action": "revoked", "done": false}));
        assert_eq!(v[0]["http_status"], json!(503));
        assert_eq!(v[0]["error"], json!("Venice: down"));
        let only_new = Filter {
            key: Some("new-1".into()),
            ..Filter::default()
        };
        assert_eq!(read(t.path(), &only_new).unwrap().0.len(), 1);
    }

    #[test]
    fn neither_the_credential_nor_a_new_secret_is_recorded() {
        let cred = "sk-or-v1-audit7c2e9d4b1a6f3e8c5d2b9a4f7e1c3d6b8a5f2e9c";
        let secret = "sk-or-v1-newkey3f8a1c6e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f";
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), None);
        // The secret tests replace the process's credential while they run: if that happened
        // between registering and recording, the credential is not masked anywhere (not a leak
        // of the trail): try again.
        for attempt in 0..50 {
            let admin = crate::secret::Secret::parse(cred, "TEST").unwrap().unwrap();
            crate::secret::register(&admin);
            crate::secret::register_new(secret);
            let mut r = created("audit-new-1", secret);
            r.outcome = match r.outcome {
                Outcome::Created {
                    mut after,
                    secret,
                    req,
                    error,
                } => {
                    after.name = Some(Some(format!("named {cred}")));
                    Outcome::Created {
                        after,
                        secret,
                        req,
                        error,
                    }
                }
                o => o,
            };
            assert!(t.record(&r, Mode::Create).unwrap());
            let failed = KeyResult {
                provider: ProviderKind::OpenRouter,
                key: "audit-new-2".into(),
                outcome: Outcome::Failed(Error::Rejected {
                    provider: "OpenRouter",
                    status: 400,
                    message: format!("bad key {cred}"),
                }),
            };
            assert!(t.record(&failed, Mode::Create).unwrap());
            let text = std::fs::read_to_string(t.path()).unwrap();
            assert!(!text.contains(secret), "{text}");
            assert!(!text.contains("newkey3f8a1c6e"), "{text}");
            if !text.contains(&cred[9..]) && !text.contains(&cred[20..28]) {
                assert!(text.contains("****"), "{text}");
                return;
            }
            assert_eq!(
                crate::secret::mask(cred),
                cred,
                "leaked on attempt {attempt}: {text}"
            );
            std::fs::remove_file(t.path()).unwrap();
        }
        panic!("the credential never stayed registered");
    }

    #[test]
    fn a_create_records_the_new_keys_settings() {
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), None);
        assert!(
            t.record(&created("audit-cr-1", "s3cr3t-value-x"), Mode::Create)
                .unwrap()
        );
        let v = lines(t.path());
        assert_eq!(v[0]["key"], json!("audit-cr-1"));
        assert_eq!(v[0]["new_key"], json!("audit-cr-1"));
        assert_eq!(
            v[0]["changes"],
            json!([{"field": "name", "to": "ci-runner"}, {"field": "limit", "to": 25}])
        );
    }

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
    fn filters_select_entries() {
        let text = [
            r#"{"time":"2026-11-01T00:00:00.000Z","profile":null,"provider":"venice","key":"a"}"#,
            "not json",
            r#"[1,2]"#,
            "",
            r#"{"time":"2026-11-20T00:00:00.000Z","profile":"prod","provider":"openrouter","key":"b","new_key":"c"}"#,
        ]
        .join("\n");
        let all = |f: Filter| parse(text.as_bytes(), &f).unwrap();
        let (v, damaged) = all(Filter::default());
        assert_eq!((v.len(), damaged), (2, 2));
        let since = DateTime::parse_from_rfc3339("2026-11-10T00:00:00Z")
            .unwrap()
            .to_utc();
        let keys = |f: Filter| {
            all(f)
                .0
                .iter()
                .map(|e| e["key"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(Filter {
                since: Some(since),
                ..Filter::default()
            }),
            ["b"]
        );
        assert_eq!(
            keys(Filter {
                key: Some("c".into()),
                ..Filter::default()
            }),
            ["b"]
        );
        assert_eq!(
            keys(Filter {
                key: Some("a".into()),
                ..Filter::default()
            }),
            ["a"]
        );
        assert_eq!(
            keys(Filter {
                provider: Some("Venice".into()),
                ..Filter::default()
            }),
            ["a"]
        );
        assert_eq!(
            keys(Filter {
                profile: Some("prod".into()),
                ..Filter::default()
            }),
            ["b"]
        );
        assert!(
            keys(Filter {
                profile: Some("x".into()),
                ..Filter::default()
            })
            .is_empty()
        );
    }

    #[test]
    fn the_new_filters_select_entries_and_old_lines_pass() {
        let text = [
            // Written before names were recorded: no name, user, host or argv.
            r#"{"time":"2026-11-01T00:00:00.000Z","key":"a","action":"update","status":"updated"}"#,
            r#"{"key":"b","name":"ci-agent-01","action":"revoke","status":"revoked"}"#,
            r#"{"key":"c","name":"ci-agent-02","action":"revoke","status":"failed"}"#,
            r#"{"key":"d","name":"prod-1","action":"update","status":"updated"}"#,
            r#"{"key":"e","name":"ci-agent-03","action":"create","status":"created"}"#,
        ]
        .join("\n");
        let keys = |f: Filter| {
            parse(text.as_bytes(), &f)
                .unwrap()
                .0
                .iter()
                .map(|e| e["key"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let glob = |g: &str| Some(globset::Glob::new(g).unwrap().compile_matcher());
        let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(keys(Filter::default()), ["a", "b", "c", "d", "e"]);
        let f = |actions: &[&str], statuses: &[&str], name: Option<&str>| Filter {
            actions: list(actions),
            statuses: list(statuses),
            name: name.and_then(glob),
            ..Filter::default()
        };
        assert_eq!(keys(f(&["update"], &[], None)), ["a", "d"]);
        assert_eq!(keys(f(&["update", "create"], &[], None)), ["a", "d", "e"]);
        assert_eq!(keys(f(&[], &["failed", "created"], None)), ["c", "e"]);
        // A line without a name never matches a --name glob, not even `*`.
        assert_eq!(keys(f(&[], &[], Some("*"))), ["b", "c", "d", "e"]);
        assert_eq!(keys(f(&[], &[], Some("ci-*"))), ["b", "c", "e"]);
        assert_eq!(keys(f(&["revoke"], &["revoked"], Some("ci-*"))), ["b"]);
    }

    #[test]
    fn the_last_n_entries_are_read_without_holding_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let text: String = (0..10)
            .map(|i| {
                let action = if i % 2 == 0 { "update" } else { "revoke" };
                format!("{{\"key\":\"k{i}\",\"action\":\"{action}\"}}\nnot json\n")
            })
            .collect();
        std::fs::write(&path, text).unwrap();
        let mut t = open(&path).unwrap();
        let keys = |t: &mut Opened, f: &Filter| {
            let mut entries = t.entries(f).unwrap();
            let v: Vec<String> = entries
                .by_ref()
                .map(|e| e.unwrap()["key"].as_str().unwrap().to_string())
                .collect();
            (v, entries.skipped().damaged)
        };
        let f = Filter {
            last: Some(2),
            actions: vec!["update".into()],
            ..Filter::default()
        };
        // Read twice (as a long table is): the same entries, and every damaged line counted.
        for _ in 0..2 {
            assert_eq!(keys(&mut t, &f), (vec!["k6".into(), "k8".into()], 10));
        }
        let mut t = open(&path).unwrap();
        let more = Filter {
            last: Some(50),
            ..Filter::default()
        };
        assert_eq!(keys(&mut t, &more).0.len(), 10);
        let mut t = open(&path).unwrap();
        let none = Filter {
            last: Some(0),
            ..Filter::default()
        };
        assert!(keys(&mut t, &none).0.is_empty());
    }

    #[test]
    fn arguments_are_masked_and_bounded() {
        assert_eq!(mask_arg("--limit"), "--limit");
        assert_eq!(mask_arg("ci-agent-08"), "ci-agent-08");
        let hex = "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943";
        assert_eq!(mask_arg(hex), hex);
        // Pasted secrets, whole or after --flag=, and key-like tokens inside an argument.
        assert_eq!(mask_arg("sk-or-v1-short"), "****");
        assert_eq!(mask_arg("--name=VENICE_ADMIN_KEY_abc"), "--name=****");
        assert_eq!(
            mask_arg("old sk-or-v1-3f8a1c6e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f key"),
            "old **** key"
        );
        assert_eq!(mask_arg("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"), "****");
        // Controls dropped; a long argument cut.
        assert_eq!(mask_arg("a\u{1b}[31mb"), "ab");
        let long = mask_arg(&"x".repeat(5000));
        assert_eq!(long.chars().count(), MAX_ARG_CHARS + 1);
        assert!(long.ends_with('…'));
        // At most MAX_ARGS arguments, the rest counted.
        let who = Who::new("u".into(), None, (0..100).map(|i| format!("a{i}")));
        let argv = who.argv();
        assert_eq!(argv.len(), MAX_ARGS + 1);
        assert_eq!(argv[0], "keyctl");
        assert_eq!(argv[MAX_ARGS - 1], "a62");
        assert_eq!(argv[MAX_ARGS], "… (37 more argument(s) not recorded)");
    }

    #[test]
    fn a_revoke_line_names_the_key_read_before_it_failed() {
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), None);
        let mut read = Key::unread("venice", "audit-rev-1", Unit::Usd);
        read.name = Some(Some("ci-deploy".into()));
        note_name("audit-rev-1", &read);
        let failed = KeyResult {
            provider: ProviderKind::Venice,
            key: "audit-rev-1".into(),
            outcome: Outcome::Failed(Error::usage("boom")),
        };
        assert!(t.record(&failed, Mode::Revoke).unwrap());
        let revoked = KeyResult {
            provider: ProviderKind::Venice,
            key: "audit-rev-2".into(),
            outcome: Outcome::Revoked {
                before: Some(Box::new(read.clone())),
                req: req(),
            },
        };
        assert!(t.record(&revoked, Mode::Revoke).unwrap());
        let v = lines(t.path());
        assert_eq!(v[0]["name"], json!("ci-deploy"));
        assert_eq!(v[1]["name"], json!("ci-deploy"));
    }

    #[test]
    fn a_missing_trail_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let e = read(&dir.path().join("none.jsonl"), &Filter::default()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn since_takes_durations_dates_and_times() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T18:40:00Z")
            .unwrap()
            .to_utc();
        let at = |s: &str| parse_since(s, now).unwrap().to_rfc3339();
        assert_eq!(at("7d"), "2026-11-16T18:40:00+00:00");
        assert_eq!(at("12h"), "2026-11-23T06:40:00+00:00");
        assert_eq!(at("90m"), "2026-11-23T17:10:00+00:00");
        assert_eq!(at("2026-11-01"), "2026-11-01T00:00:00+00:00");
        assert_eq!(at("2026-11-01T08:00:00+02:00"), "2026-11-01T06:00:00+00:00");
        for bad in ["", "yesterday", "2026-13-01", "-7d"] {
            let e = parse_since(bad, now).unwrap_err();
            assert!(e.contains("--since"), "{e}");
        }
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

    #[test]
    fn a_line_past_the_limit_is_skipped_without_being_held() {
        // 8 MiB of one line, then an entry; read through a 4 KiB buffer.
        let long = std::io::repeat(b'x').take(8 << 20);
        let rest: &[u8] = b"\n{\"key\":\"after\"}\n{\"key\":\"last\"}";
        let input = BufReader::with_capacity(4096, long.chain(rest));
        let filter = Filter::default();
        let mut entries = Entries::new(input, &filter);
        let first = entries.next().unwrap().unwrap();
        assert_eq!(first["key"], json!("after"));
        assert!(
            entries.line.capacity() <= 2 * MAX_LINE,
            "held the long line"
        );
        assert_eq!(entries.next().unwrap().unwrap()["key"], json!("last"));
        assert!(entries.next().is_none());
        let skipped = entries.skipped();
        assert_eq!((skipped.too_long, skipped.damaged), (1, 0));
        // A line of exactly the limit is read; one byte more is not.
        for (n, read) in [(MAX_LINE, true), (MAX_LINE + 1, false)] {
            let pad = " ".repeat(n - 2);
            let text = format!("{{{pad}}}\n");
            let (v, _) = parse(text.as_bytes(), &filter).unwrap();
            assert_eq!(v.len(), usize::from(read), "{n}");
        }
    }

    #[test]
    fn a_reader_sees_the_trail_as_it_was_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        append(&path, b"{\"key\":\"one\"}\n").unwrap();
        let mut opened = open(&path).unwrap();
        // Not held: a writer appends at once, and the reader does not see it.
        append(&path, b"{\"key\":\"two\"}\n").unwrap();
        let filter = Filter::default();
        for _ in 0..2 {
            let keys: Vec<Value> = opened
                .entries(&filter)
                .unwrap()
                .map(|e| e.unwrap()["key"].clone())
                .collect();
            assert_eq!(keys, [json!("one")]);
        }
    }
}
