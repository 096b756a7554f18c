//! What `create`, `revoke` and `rotate` share: the creation flags checked and resolved, the
//! secret file (new, 0600, never overwritten), pacing of creates to a provider's rate, and one
//! create sent and read with its secret kept off stderr.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::cli::ChangeArgs;
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::key::{self, Key};
use crate::newkey::NewKey;
use crate::output::{self, NewSecret, Outcome};
use crate::patch::{LimitArg, Patch};
use crate::provider::{BaseUrl, ProviderKind};
use crate::request::Request;
use crate::session::Session;

/// The change flags of `create` and `rotate`, resolved: the name (if given) and the settings.
/// `--disable`/`--enable` and a relative `--limit` have no meaning for a new key.
pub fn settings(
    command: &str,
    mut change: ChangeArgs,
    now: DateTime<Utc>,
) -> Result<(Option<String>, Patch)> {
    if change.disable || change.enable {
        return Err(Error::usage(format!(
            "keyctl {command}: a new key is created enabled; --disable/--enable are for keyctl update"
        )));
    }
    if let Some(LimitArg::Relative(d)) = change.limit {
        return Err(Error::usage(if d.is_sign_negative() {
            format!(
                "keyctl {command}: --limit {d} is negative; a new key takes --limit N (0 or more) \
                 or none"
            )
        } else {
            format!(
                "keyctl {command}: --limit {} changes a current limit; a new key takes --limit N \
                 or none",
                crate::patch::signed(d)
            )
        }));
    }
    let name = change.name.take().map(|n| n.0);
    Ok((name, change.resolve(now)?))
}

/// A new file for a secret: created with mode 0600 (owner only), refused if it exists.
pub struct SecretFile {
    path: PathBuf,
    file: Option<File>,
}

/// Why a secret did not reach its file: said on stderr, and (rotate) in the key's error.
#[derive(Debug, Clone)]
pub struct FileFailure(pub String);

impl SecretFile {
    /// Creates the file now, before any key is made, so a path that cannot take the secret
    /// stops the run with nothing created.
    pub fn create(path: &Path) -> Result<SecretFile> {
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
                    "--secret-file {shown} already exists; keyctl never overwrites a file that may \
                     hold a secret: remove it or choose a new path (nothing was created)"
                ),
                _ => format!("--secret-file {shown}: cannot create it ({e}); nothing was created"),
            })
        })?;
        Ok(SecretFile {
            path: path.to_path_buf(),
            file: Some(file),
        })
    }

    /// Writes the secret (and a line break), syncs it to disk, then checks that the file is
    /// still the one at the path (not removed or replaced while the key was being created):
    /// only then is the secret delivered. On failure the secret is handed back to be shown on
    /// stdout instead, with why: it must not be lost.
    pub fn write(&mut self, secret: &str) -> std::result::Result<NewSecret, FileFailure> {
        let Some(mut f) = self.file.take() else {
            return Err(FileFailure("the secret file was already used".into()));
        };
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
                Err(FileFailure(format!(
                    "cannot write the secret to {shown} ({e})"
                )))
            }
            (Ok(()), Err(why)) => Err(FileFailure(format!(
                "the secret file {shown} {why} while the key was being created, so the secret \
                 written to it is not there"
            ))),
        }
    }

    /// Removes the file if no secret was written to it (the create failed), when it is still
    /// the file keyctl made.
    pub fn discard_unused(self) {
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

/// Where a new secret goes: the file when there is one, else stdout. When the file cannot take
/// it, the secret is to be shown on stdout instead (the run exits non-zero) and the failure is
/// handed back, for the caller to say: `rotate` then leaves the old key as it is.
pub fn place_secret(
    secret: String,
    file: &mut Option<SecretFile>,
) -> (NewSecret, Option<FileFailure>) {
    crate::secret::register_new(&secret);
    match file {
        Some(f) => match f.write(&secret) {
            Ok(placed) => (placed, None),
            Err(e) => {
                output::secret_not_delivered();
                (NewSecret::Shown(secret), Some(e))
            }
        },
        None => (NewSecret::Shown(secret), None),
    }
}

/// Spaces creates to a provider's documented rate (Venice: 20 a minute): the n-th create waits
/// until the window since the (n - limit)-th has passed.
pub struct Pacer {
    rate: Option<(usize, Duration)>,
    starts: std::collections::VecDeque<Instant>,
    label: &'static str,
}

impl Pacer {
    pub fn new(p: ProviderKind) -> Pacer {
        let i = p.info();
        // KEYCTL_CREATE_WINDOW_MS shortens the window (the test suite's minute is shorter).
        let window = crate::env::get()
            .create_window_ms()
            .map(Duration::from_millis);
        Pacer {
            rate: i
                .create_rate
                .map(|(n, secs)| (n, window.unwrap_or(Duration::from_secs(secs)))),
            starts: std::collections::VecDeque::new(),
            label: i.name,
        }
    }

    /// Waits for the next create's turn; false when a signal came first.
    pub async fn turn(&mut self, cancel: &Cancel) -> bool {
        let Some((n, window)) = self.rate else {
            return true;
        };
        if self.starts.len() >= n
            && let Some(first) = self.starts.pop_front()
        {
            let wait = (first + window).saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                output::diag(&format!(
                    "{} allows {n} creates per {}: waiting {} before the next",
                    self.label,
                    humantime::format_duration(window),
                    humantime::format_duration(Duration::from_secs(wait.as_secs().max(1)))
                ));
                if !cancel.sleep(wait).await {
                    return false;
                }
            }
        }
        self.starts.push_back(Instant::now());
        true
    }
}

/// A create as sent: the request, and the key it should make (for plans).
pub struct Planned {
    pub new: NewKey,
    pub req: Request,
}

/// The create request for `new`, checked.
pub fn plan(p: ProviderKind, base: &BaseUrl, new: NewKey) -> Result<Planned> {
    let req = p.build_create(base, &new)?;
    Ok(Planned { new, req })
}

/// The key a create should make, as a plan shows it (id not known yet).
pub fn predicted(p: ProviderKind, new: &NewKey) -> Key {
    p.unread("").apply(&Patch {
        name: Some(new.name.clone()),
        ..new.settings.clone()
    })
}

/// The fields a plan of a create shows.
pub fn touched(settings: &Patch) -> Vec<&'static str> {
    let mut t = settings.touched();
    if !t.contains(&"name") {
        t.insert(0, "name");
    }
    t
}

/// The dry-run result of a create.
pub fn dry_run(p: ProviderKind, planned: Planned, notes: Vec<String>) -> Outcome {
    let after = predicted(p, &planned.new);
    Outcome::DryRun {
        changes: key::changes(None, &after, &touched(&planned.new.settings)),
        before: None,
        after: Box::new(after),
        req: Box::new(planned.req),
        notes,
    }
}

/// What one create came to: the key and its secret, or the outcome to report instead (the
/// secret file, if any, is used only when a secret came back).
pub enum Made {
    /// The new key, where its secret went, and why it did not reach its file (if it did not).
    Key(Box<Key>, NewSecret, Option<FileFailure>),
    Not(Outcome),
}

/// Sends one create and reads the new key and its secret. A failure before an answer is
/// `unknown` (a key may exist); an answer without a secret fails the key, naming the new id.
pub async fn create(s: &Session, req: &Request, secret_file: &mut Option<SecretFile>) -> Made {
    let p = s.p;
    let body = match s.send(req).await {
        Ok(b) => b,
        Err(Error::Unknown { cause }) => {
            return Made::Not(Outcome::Unknown(Error::CreateUnknown { cause }));
        }
        // A 500, 502 or 504 may come after the key was made (it is not retried either).
        Err(
            e @ Error::Provider {
                status: Some(500 | 502 | 504),
                ..
            },
        ) => {
            return Made::Not(Outcome::Unknown(Error::CreateUnknown {
                cause: Box::new(e),
            }));
        }
        Err(e) => return Made::Not(super::runner::outcome_of(at_cap(p, e))),
    };
    match p.parse_create(&body) {
        Ok(c) => match c.secret {
            // A provider that hands back the admin credential, or a near copy: never shown.
            Some(secret) if crate::secret::holds_credential(&secret) => {
                Made::Not(Outcome::Failed(Error::Provider {
                    provider: p.info().name,
                    status: None,
                    message: "the create was answered with a new secret that holds the admin \
                              credential itself or something like it (a piece of it, in another \
                              case, or with invisible characters inside); it is not shown. Check \
                              --base-url and the provider, and revoke any key this made (keyctl \
                              list)"
                        .into(),
                }))
            }
            Some(secret) => {
                if c.key.id.is_empty() {
                    output::warn(&format!(
                        "{p}: the create answer has the new secret but no key id; find the key \
                         with keyctl list -p {}",
                        p.info().id
                    ));
                }
                let (placed, failure) = place_secret(secret, secret_file);
                Made::Key(Box::new(c.key), placed, failure)
            }
            None => Made::Not(Outcome::Failed(Error::Provider {
                provider: p.info().name,
                status: None,
                message: if c.key.id.is_empty() {
                    format!(
                        "the create was answered with success but with neither the new key's \
                         id nor its secret: find the key with keyctl list -p {} and revoke it",
                        p.info().id
                    )
                } else {
                    format!(
                        "the key {id} was created, but the answer carries no secret, so nobody \
                         has it: revoke it with `keyctl revoke -p {} {id}` and create another",
                        p.info().id,
                        id = crate::text::sanitize(&c.key.id),
                    )
                },
            })),
        },
        Err(e) => Made::Not(Outcome::Unknown(Error::CreateUnknown {
            cause: Box::new(e),
        })),
    }
}

/// A 400 to a create on a provider with a key cap, worded like one: the message says what the
/// cap is and what to do (Venice answers 400 when an account has 500 active keys).
fn at_cap(p: ProviderKind, e: Error) -> Error {
    match (p.info().max_keys, e) {
        (
            Some(max),
            Error::Rejected {
                provider,
                status: 400,
                message,
            },
        ) if ["maximum", "limit", &max.to_string()]
            .iter()
            .any(|w| message.to_ascii_lowercase().contains(w)) =>
        {
            Error::Rejected {
                provider,
                status: 400,
                message: format!(
                    "{message} ({provider} allows at most {max} active keys per account: if \
                     that is the cause, revoke unused ones; keyctl list -p {} counts them)",
                    p.info().id
                ),
            }
        }
        (_, e) => e,
    }
}

/// A provider's cap on active keys (Venice: 500), checked before a bulk create: the run is
/// refused with nothing created when it would go over. The keys are counted in the run's one
/// listing (the one its names were checked against), disabled keys left out.
pub async fn check_room(s: &Session, adding: usize) -> Result<()> {
    let p = s.p;
    let Some(max) = p.info().max_keys else {
        return Ok(());
    };
    let have = s
        .listing()
        .await?
        .iter()
        .filter(|k| k.disabled != Some(Some(true)))
        .count();
    if have + adding > max {
        return Err(Error::usage(format!(
            "{p} allows at most {max} active keys per account; it has {have} and this run would \
             add {adding}. Revoke unused keys first (keyctl list -p {}, keyctl revoke); nothing \
             was created",
            p.info().id
        )));
    }
    Ok(())
}

/// `--columns` for TSV must keep the `secret` column when a secret is to be shown: it cannot be
/// shown again. (A table shows each new key whole; JSON has every field.)
pub fn check_columns(global: &crate::settings::Global, to_file: bool) -> Result<()> {
    let v = &global.view;
    match &v.columns {
        Some(cols)
            if v.format == output::Format::Tsv
                && !to_file
                && !cols.iter().any(|c| c.name == "secret") =>
        {
            Err(Error::usage(
                "--columns leaves out `secret`, and a new key's secret is shown only once: add \
                 secret to --columns, or write it to a file with --secret-file",
            ))
        }
        _ => Ok(()),
    }
}

/// The exit code, made non-zero when a new secret did not reach its place (stdout could not be
/// written, or the secret file), or a result record could not be written to stdout: the run
/// says so on stderr, and a script must not go on.
pub fn delivered(code: i32) -> i32 {
    if output::record_lost() {
        output::error(
            "the result of a key could not be written to stdout (a closed pipe, a full disk): \
             the change was made; `keyctl log` shows what this run did",
        );
    }
    if code == 0 && (output::secret_undelivered() || output::record_lost()) {
        1
    } else {
        code
    }
}
