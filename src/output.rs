//! Everything keyctl prints goes through here: results on stdout (a table fitted to the
//! terminal, tab-separated values for pipes, JSON Lines, the dry-run plan, `field: value` for one
//! key), diagnostics on stderr, and the one redaction step (`text::redact`: the credential
//! masked) applied to every line; cells and messages are sanitised with `text` before that.

pub mod columns;
pub mod records;

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

pub use columns::{COLUMNS, Column, column_names};

use crate::error::Error;
use crate::key::{FieldChange, Key};
use crate::provider::ProviderKind;
use crate::request::Request;
use crate::text::{redact, sanitize};

static QUIET: OnceLock<bool> = OnceLock::new();

pub fn set_quiet(q: bool) {
    let _ = QUIET.set(q);
}

fn quiet() -> bool {
    QUIET.get().copied().unwrap_or(false)
}

/// One id per invocation, in every JSON line (so lines appended to one log can be grouped).
pub fn run_id() -> &'static str {
    static RUN: OnceLock<String> = OnceLock::new();
    RUN.get_or_init(|| {
        let mut bytes = [0u8; 16];
        bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    })
}

/// Whether a stream gets colour: anstream's rules (NO_COLOR, CLICOLOR_FORCE, TERM=dumb, a
/// terminal or not), the same as clap's help.
fn colour<S: anstream::stream::RawStream>(stream: &S) -> bool {
    !matches!(
        anstream::AutoStream::choice(stream),
        anstream::ColorChoice::Never
    )
}

fn colour_stdout() -> bool {
    colour(&std::io::stdout())
}

fn colour_stderr() -> bool {
    colour(&std::io::stderr())
}

fn paint(text: &str, style: anstyle::Style, on: bool) -> String {
    if on {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// The progress bar on stderr while one is shown: lines to stderr are written around it, so a
/// warning (a signal's) does not run into it.
static BAR: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

/// Set when a new key's secret could not be written where it was to go (stdout, or the secret
/// file): the run then exits non-zero (see [`secret_undelivered`]).
static UNDELIVERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Set when a result record of `create` or `rotate` (a new key's id, what was done to an old
/// key) could not be written to stdout: the run then exits non-zero and says so.
static RECORD_LOST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How many writes to stdout failed.
static STDOUT_FAILURES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The first error writing stdout other than a closed pipe (a full disk, an I/O error): the
/// output is cut short, and [`finish`] makes the run say so and exit 1.
static STDOUT_ERROR: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Records a failed write to stdout. A closed pipe (`keyctl list | head`) is the reader's
/// choice and is not recorded; anything else is (the first one).
fn note_stdout_error(e: &std::io::Error) {
    if e.kind() != std::io::ErrorKind::BrokenPipe {
        let _ = STDOUT_ERROR.set(e.to_string());
    }
}

/// The run's exit code once its output is written: a run that did its job (0, or `check`'s 9:
/// keys matched) but whose stdout could not be written (a full disk: `keyctl list -o json >
/// keys.json`) says so and exits 1, so a script never trusts a cut-off file. A closed pipe
/// keeps the code, as with `| head`; a run that already failed, or whose lost record or secret
/// was already reported, keeps its own.
pub fn finish(code: i32) -> i32 {
    let done = matches!(code, 0 | 9);
    match STDOUT_ERROR.get() {
        Some(e) if done && !record_lost() && !secret_undelivered() => {
            error(&format!(
                "could not write to stdout ({e}): the output is incomplete; any change this run \
                 made stands (`keyctl log` shows what it did)"
            ));
            1
        }
        _ => code,
    }
}

/// Whether a `create`/`rotate` result record could not be written to stdout.
pub fn record_lost() -> bool {
    RECORD_LOST.load(std::sync::atomic::Ordering::SeqCst)
}

/// Records that a new secret did not reach its place.
pub fn secret_not_delivered() {
    UNDELIVERED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether a new secret of this run did not reach its place.
pub fn secret_undelivered() -> bool {
    UNDELIVERED.load(std::sync::atomic::Ordering::SeqCst)
}

/// A new secret as a line of a table or a TSV cell: as it is, or, when it holds characters a
/// terminal would not show (or that would split a row), as a JSON string (quoted, escaped):
/// still the exact secret, read back with any JSON parser.
pub fn printable_secret(secret: &str) -> String {
    let odd = |c: char| c.is_control() || crate::visible::is_invisible(c) || c == '"';
    if secret.chars().any(odd) || secret.starts_with(' ') || secret.ends_with(' ') {
        json_line(&Value::String(secret.to_string()))
    } else {
        secret.to_string()
    }
}

fn write_err(line: &str) {
    let line = redact(line);
    let write = || {
        let mut e = std::io::stderr().lock();
        let _ = writeln!(e, "{line}");
    };
    let bar = BAR.lock().ok().and_then(|b| b.clone());
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

fn write_out(text: &str) -> bool {
    write_line(&redact(text))
}

/// A line on stdout as it is (already masked by its caller). A closed pipe (`keyctl ... |
/// head`) must not stop the updates, so a write error only returns false (a caller that
/// writes a new secret records it: that secret would be lost).
fn write_line(text: &str) -> bool {
    write_stdout(text, true)
}

/// Text on stdout, with a line break or without (the first part of a line finished later),
/// flushed; false when it could not be written.
fn write_stdout(text: &str, newline: bool) -> bool {
    let write = || {
        let mut o = std::io::stdout().lock();
        let written = o
            .write_all(text.as_bytes())
            .and_then(|_| if newline { o.write_all(b"\n") } else { Ok(()) })
            .and_then(|_| o.flush());
        match written {
            Ok(()) => true,
            Err(e) => {
                note_stdout_error(&e);
                false
            }
        }
    };
    let counted = |ok: bool| {
        if !ok {
            STDOUT_FAILURES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        ok
    };
    // The progress bar (stderr, on a terminal) is lifted while the line is written, or a
    // terminal showing both would keep a stale copy of the bar above each line.
    match BAR.lock().ok().and_then(|b| b.clone()) {
        Some(bar) => counted(bar.suspend(write)),
        None => counted(write()),
    }
}

/// When stdout is a regular file (`> rotation.json`), syncs it to disk, so a full disk that
/// accepted the write into memory is found out now rather than after the old key is gone;
/// true for pipes and terminals (a flush is all they take). False for `/dev/null`: a secret
/// written there is thrown away (`> /dev/null`, or a stdout that was closed, `>&-`, which the
/// runtime reopens on `/dev/null` at start).
fn sync_stdout() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
            return false;
        };
        let f = std::fs::File::from(fd);
        match f.metadata() {
            Ok(m) if m.is_file() => f.sync_data().is_ok(),
            Ok(m) if m.file_type().is_char_device() => {
                // /dev/null is device 1:3 on Linux; its own rdev where it can be read.
                let null = std::fs::metadata("/dev/null").map_or(0x103, |n| n.rdev());
                m.rdev() != null
            }
            Ok(_) => true,
            Err(_) => false,
        }
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Lines holding a new secret: written as they are (not masked: the secret is exactly what
/// the provider gave), each other line masked; the last without a line break when `open` (the
/// rest of that line follows later). Flushed (and synced when stdout is a file): true when the
/// secret reached stdout. A failed write is recorded; the caller says it (the key's error).
fn write_secret_lines(lines: &[(String, bool)], open: bool, holds_secret: bool) -> bool {
    let mut ok = true;
    for (i, (line, raw)) in lines.iter().enumerate() {
        let newline = !(open && i + 1 == lines.len());
        ok &= if *raw {
            write_stdout(line, newline)
        } else {
            write_stdout(&redact(line), newline)
        };
    }
    ok = ok && sync_stdout();
    if !ok && holds_secret {
        secret_not_delivered();
    } else if !ok {
        RECORD_LOST.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    ok
}

/// A diagnostic line on stderr (verbose logs, notes); silent with -q.
pub fn diag(msg: &str) {
    if !quiet() {
        write_err(msg);
    }
}

pub fn warn(msg: &str) {
    if !quiet() {
        let yellow = anstyle::AnsiColor::Yellow.on_default().bold();
        write_err(&format!(
            "{} {msg}",
            paint("warning:", yellow, colour_stderr())
        ));
    }
}

/// An error line on stderr; printed even with -q.
pub fn error(msg: &str) {
    let red = anstyle::AnsiColor::Red.on_default().bold();
    write_err(&format!("{} {msg}", paint("error:", red, colour_stderr())));
}

/// What a question is about, on stderr even with -q (a question must say what it asks).
pub fn tell(msg: &str) {
    write_err(msg);
}

/// A question on stderr, without a line break (the answer is typed after it).
pub fn prompt(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = write!(e, "{}", redact(text));
    let _ = e.flush();
}

/// Plain text on stdout (e.g. `keyctl support`).
pub fn print_text(text: &str) {
    write_out(text.trim_end_matches('\n'));
}

/// A progress bar on stderr for runs of 20 keys or more, only on a terminal and not with -q:
/// done/total, failures (in the message) and the time left.
pub fn progress(total: usize) -> Option<indicatif::ProgressBar> {
    if total < 20 || quiet() || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        // The bar takes the room the text leaves, so the line never wraps (a wrapped bar's
        // redraw would erase the lines above it).
        "{wide_bar} {pos}/{len} keys, {msg} ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar.set_message("0 failed,");
    if let Ok(mut b) = BAR.lock() {
        *b = Some(bar.clone());
    }
    Some(bar)
}

/// Clears the progress bar (the run is over).
pub fn progress_done(bar: indicatif::ProgressBar) {
    if let Ok(mut b) = BAR.lock() {
        *b = None;
    }
    bar.finish_and_clear();
}

/// The `-v` prefix naming the key a request is about: `[KEY] `.
pub fn tag(req: &Request) -> String {
    match &req.key {
        Some(k) => format!("[{}] ", sanitize(k)),
        None => String::new(),
    }
}

/// `-v`: the request about to go out, credential shown as `****`.
pub fn log_request(req: &Request, attempt: u32) {
    let t = tag(req);
    let mut s = format!(
        "{t}> {} {} (attempt {attempt})",
        req.method.as_str(),
        req.url
    );
    for (k, v) in req.redacted_headers() {
        s.push_str(&format!("\n{t}>   {k}: {v}"));
    }
    diag(&s);
}

/// `table` (people), `tsv` (pipes) or `json` (JSON Lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table fitted to the terminal (the default on a terminal)
    Table,
    /// Tab-separated values with one header line (the default when piped)
    Tsv,
    /// One JSON object per key per line
    Json,
}

/// How results are shown: the format and its options, resolved from flags and environment.
#[derive(Debug, Clone)]
pub struct View {
    pub format: Format,
    pub no_headers: bool,
    /// `--columns`: the columns to show, in order (names from [`COLUMNS`]).
    pub columns: Option<Vec<&'static Column>>,
    /// `-v`: updates show their request too.
    pub verbose: bool,
    /// `--wide`: a table shows ids whole (else, where whole ids would not fit, each id's
    /// shortest unique prefix of at least 8 characters).
    pub wide: bool,
}

impl View {
    /// The format when none is asked for: a table on a terminal, TSV otherwise.
    pub fn default_format() -> Format {
        if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Tsv
        }
    }
}

/// What happened to one key.
#[derive(Debug)]
pub enum Outcome {
    /// The change was applied; `before` is the state read first, when one was read.
    Updated {
        before: Option<Box<Key>>,
        after: Box<Key>,
        changes: Vec<FieldChange>,
        req: Box<Request>,
    },
    /// Nothing needed sending (e.g. already at the --limit-max cap).
    Unchanged {
        before: Option<Box<Key>>,
        reason: String,
    },
    /// The plan for one key: what would be sent and the state it would leave (`notes`: more
    /// steps, e.g. what `rotate` does to the old key).
    DryRun {
        before: Option<Box<Key>>,
        after: Box<Key>,
        changes: Vec<FieldChange>,
        req: Box<Request>,
        notes: Vec<String>,
    },
    /// A key read by `get` or `list`.
    Shown(Box<Key>),
    /// A key `create` made, and where its secret went (`error`: it did not get there).
    Created {
        after: Box<Key>,
        secret: NewSecret,
        req: Box<Request>,
        error: Option<Error>,
    },
    /// A key `revoke` deleted; `before` as read first.
    Revoked {
        before: Option<Box<Key>>,
        req: Box<Request>,
    },
    /// `rotate`: the successor made, and what was done to the old key (`error`: that step
    /// failed, the old key is still active).
    Rotated {
        before: Box<Key>,
        after: Box<Key>,
        secret: NewSecret,
        old: String,
        error: Option<Error>,
    },
    /// The key does not exist (any more): `revoke` of a key already gone.
    NotFound(Error),
    Failed(Error),
    /// The write reached the wire and no answer came: it may have been applied.
    Unknown(Error),
    /// A signal or --max-failures stopped the run before this key's write was sent.
    NotAttempted,
}

impl Outcome {
    /// The status word of the JSON output and the summary.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Updated { .. } => "updated",
            Outcome::Unchanged { .. } => "unchanged",
            Outcome::DryRun { .. } => "dry_run",
            Outcome::Shown(_) => "ok",
            Outcome::Created { .. } => "created",
            Outcome::Revoked { .. } => "revoked",
            Outcome::Rotated { error: None, .. } => "rotated",
            Outcome::Rotated { .. } => "partial",
            Outcome::NotFound(_) => "not_found",
            Outcome::Failed(_) => "failed",
            Outcome::Unknown(_) => "unknown",
            Outcome::NotAttempted => "not_attempted",
        }
    }

    pub fn error(&self) -> Option<&Error> {
        match self {
            Outcome::Failed(e) | Outcome::Unknown(e) | Outcome::NotFound(e) => Some(e),
            Outcome::Rotated { error, .. } | Outcome::Created { error, .. } => error.as_ref(),
            _ => None,
        }
    }

    /// A new key's secret to show on stdout, if this result has one.
    pub fn secret(&self) -> Option<&str> {
        match self.new_secret()? {
            NewSecret::Shown(s) => Some(s),
            NewSecret::File(_) => None,
        }
    }

    fn new_secret(&self) -> Option<&NewSecret> {
        match self {
            Outcome::Created { secret, .. } | Outcome::Rotated { secret, .. } => Some(secret),
            _ => None,
        }
    }

    /// The key's state as shown: after the change, as read, or as it stayed.
    pub fn key(&self) -> Option<&Key> {
        match self {
            Outcome::Updated { after, .. } | Outcome::DryRun { after, .. } => Some(after),
            Outcome::Shown(k) | Outcome::Created { after: k, .. } => Some(k),
            Outcome::Rotated { after, .. } => Some(after),
            Outcome::Unchanged { before, .. } | Outcome::Revoked { before, .. } => {
                before.as_deref()
            }
            _ => None,
        }
    }

    pub fn changes(&self) -> &[FieldChange] {
        match self {
            Outcome::Updated { changes, .. } | Outcome::DryRun { changes, .. } => changes,
            _ => &[],
        }
    }
}

/// Where a new key's secret went: shown in the result (stdout), or written to a file.
#[derive(Debug)]
pub enum NewSecret {
    Shown(String),
    File(std::path::PathBuf),
}

#[derive(Debug)]
pub struct KeyResult {
    pub provider: ProviderKind,
    pub key: String,
    pub outcome: Outcome,
}

/// The request as `--dry-run` and JSON show it.
pub fn request_json(req: &Request) -> Value {
    let headers: Map<String, Value> = req
        .redacted_headers()
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v)))
        .collect();
    json!({
        "method": req.method.as_str(),
        "url": req.url,
        "headers": headers,
        "body": req.body,
    })
}

/// A JSON value as one line, with every character a terminal would not show (bidi overrides,
/// zero-width characters, tags: `visible::is_invisible`) written as a `\u` escape, so a line
/// printed to a terminal cannot be made to read differently; the value parses back the same.
pub fn json_line(v: &Value) -> String {
    // serde_json escapes C0 controls; C1 controls (8-bit CSI, NEL) and DEL are escaped here.
    let hidden = |c: char| crate::visible::is_invisible(c) || c.is_control();
    let s = v.to_string();
    // ASCII without controls (almost every line) has nothing to escape: checked by byte.
    let plain = |b: &u8| b.is_ascii() && !b.is_ascii_control();
    if s.as_bytes().iter().all(plain) || !s.chars().any(hidden) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if hidden(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The JSON Lines object for one key (`schemas/result.schema.json`); every string in it has
/// the credential masked before it is serialised (so JSON escaping cannot hide it).
pub fn result_json(r: &KeyResult, verbose: bool) -> Value {
    let mut v = result_json_raw(r, verbose);
    crate::secret::mask_json(&mut v);
    // The new secret after the masking: it is exactly what the provider gave (a key of the same
    // kind as the admin key shares pieces with it), and the one place it is shown.
    if let (Some(s), Some(o)) = (r.outcome.secret(), v.as_object_mut()) {
        o.insert("secret".into(), json!(s));
    }
    v
}

fn result_json_raw(r: &KeyResult, verbose: bool) -> Value {
    let mut o = Map::new();
    o.insert(
        "time".into(),
        json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    );
    o.insert("run".into(), json!(run_id()));
    o.insert("provider".into(), json!(r.provider.info().id));
    o.insert("key".into(), json!(r.key));
    o.insert("status".into(), json!(r.outcome.status()));
    let key_json = |k: &Option<Box<Key>>| k.as_ref().map_or(Value::Null, |k| k.to_json());
    let changes_json =
        |c: &[FieldChange]| Value::Array(c.iter().map(FieldChange::to_json).collect());
    match &r.outcome {
        Outcome::Updated {
            before,
            after,
            changes,
            req,
        }
        | Outcome::DryRun {
            before,
            after,
            changes,
            req,
            ..
        } => {
            o.insert("before".into(), key_json(before));
            o.insert("after".into(), after.to_json());
            o.insert("changes".into(), changes_json(changes));
            if verbose || matches!(r.outcome, Outcome::DryRun { .. }) {
                o.insert("request".into(), request_json(req));
            }
            if let Outcome::DryRun { notes, .. } = &r.outcome
                && !notes.is_empty()
            {
                o.insert("notes".into(), json!(notes));
            }
        }
        Outcome::Created {
            after, req, error, ..
        } => {
            o.insert("after".into(), after.to_json());
            if let Some(e) = error {
                o.insert("error".into(), error_json(e));
            }
            if verbose {
                o.insert("request".into(), request_json(req));
            }
        }
        Outcome::Revoked { before, req } => {
            o.insert("before".into(), key_json(before));
            if verbose {
                o.insert("request".into(), request_json(req));
            }
        }
        Outcome::Rotated {
            before,
            after,
            old,
            error,
            ..
        } => {
            o.insert("before".into(), before.to_json());
            o.insert("after".into(), after.to_json());
            o.insert("new_key".into(), json!(after.id));
            o.insert(
                "old_key".into(),
                json!({"action": old, "done": error.is_none()}),
            );
            if let Some(e) = error {
                o.insert("error".into(), error_json(e));
            }
        }
        Outcome::Unchanged { before, reason } => {
            o.insert("before".into(), key_json(before));
            o.insert("after".into(), key_json(before));
            o.insert("changes".into(), json!([]));
            o.insert("reason".into(), json!(reason));
        }
        Outcome::Shown(k) => {
            o.insert("after".into(), k.to_json());
        }
        Outcome::NotAttempted => {}
        Outcome::Failed(e) | Outcome::Unknown(e) | Outcome::NotFound(e) => {
            o.insert("error".into(), error_json(e));
        }
    }
    if let Some(NewSecret::File(path)) = r.outcome.new_secret() {
        o.insert("secret_file".into(), json!(path.display().to_string()));
    }
    Value::Object(o)
}

fn error_json(e: &Error) -> Value {
    let mut err = Map::new();
    err.insert("kind".into(), json!(e.kind()));
    if let Some(s) = e.http_status() {
        err.insert("http_status".into(), json!(s));
    }
    err.insert("message".into(), json!(e.to_string()));
    Value::Object(err)
}

/// What the results are of: the table's columns and the one-key form depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `update` (and its dry run): a status and the changes per key.
    Update,
    /// `get`: one key on a terminal is `field: value` lines.
    Get,
    List,
    /// `create`: each new key and its secret.
    Create,
    Revoke,
    /// `rotate`: each old key, its successor and the successor's secret.
    Rotate,
}

/// Records a write's result (the audit trail, set by the command layer when auditing is on):
/// `Err` says why it could not.
type Recorder = Box<dyn Fn(&KeyResult, Mode) -> Result<bool, String> + Send + Sync>;

static RECORDER: OnceLock<Recorder> = OnceLock::new();

/// Sets what every pushed result goes through before it is printed (once a run).
pub fn set_recorder(f: Recorder) {
    let _ = RECORDER.set(f);
}

/// Records a result before it is printed; a failure is said once on stderr (the change
/// itself is done and reported as usual).
fn record(r: &KeyResult, mode: Mode) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let Some(f) = RECORDER.get() else { return };
    if let Err(e) = f(r, mode)
        && !WARNED.swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        // Said even with -q: a cron job's changes would go unrecorded without a word.
        let yellow = anstyle::AnsiColor::Yellow.on_default().bold();
        write_err(&format!(
            "{} {e}",
            paint("warning:", yellow, colour_stderr())
        ));
    }
}

/// Prints results as they complete (in input order): JSON and TSV lines at once, the plan of a
/// dry run at once, the table at the end (its columns fit every row).
pub struct Printer {
    view: View,
    mode: Mode,
    rows: Vec<KeyResult>,
    header_done: bool,
    /// A rotation's record whose first part (with the new secret) is written, and what is
    /// left to write once the old key's step is done.
    open: Option<Rest>,
    /// Ids of keys read but not shown (e.g. the rest of a listing `--match` left out): a
    /// table's short ids are unique among these too.
    known: Vec<String>,
    /// The next new key's state is read back after its secret is delivered (Venice caps): its
    /// record is written up to the secret first, and its state after ([`Printer::hold_state`]).
    held: bool,
}

/// The part of a rotation's record written after the old key's step.
#[derive(Debug, Clone, Copy)]
enum Rest {
    /// The JSON fields that depend on the step ([`STEP_FIELDS`]) and the closing brace, and
    /// `after` too when the key's state was held for its read-back.
    Json { after: bool },
    /// The TSV cells after the secret's (index `from` on).
    Tsv { from: usize },
    /// The line saying what was done to the old key (a rotation), after the key's fields when
    /// they were held for the read-back.
    Table { fields: bool },
    /// Nothing: the whole record is written.
    Nothing,
}

/// The fields of a rotation's JSON line known only once the old key's step is done: written
/// after the rest of the line (which holds the new secret).
const STEP_FIELDS: [&str; 3] = ["status", "old_key", "error"];

impl Printer {
    pub fn new(view: &View, mode: Mode) -> Printer {
        Printer {
            view: view.clone(),
            mode,
            rows: Vec::new(),
            header_done: false,
            open: None,
            known: Vec::new(),
            held: false,
        }
    }

    /// The next new key's state (its `after`) is to be read back once its secret is delivered
    /// (Venice caps, which a create answer can echo wrong): [`Printer::push_secret_first`]
    /// writes its record up to the secret, and the push of its result writes the state as it
    /// ended (TSV: the cells after the secret's). Cleared by that push.
    pub fn hold_state(&mut self) {
        self.held = true;
    }

    /// Ids of keys the command read besides those it shows: a table's short ids are unique
    /// among them too, so a pasted one names one key of the listing.
    pub fn known_ids(&mut self, ids: impl IntoIterator<Item = String>) {
        self.known.extend(ids);
    }

    /// The part of a new key's record that holds its secret, written and flushed (synced
    /// when stdout is a file) before anything depends on it; the next [`push`] of the key's
    /// result (as it ended) only records it, says its error and finishes the record. A
    /// rotation's record is written up to its secret before the old key is touched: its
    /// status, old-key step and error follow (the TSV columns must have `status` after
    /// `secret` then: `rotate` checks that first); a created key's record is written whole.
    /// True when the secret reached stdout: only then may anything go on.
    ///
    /// [`push`]: Printer::push
    pub fn push_secret_first(&mut self, r: &KeyResult) -> bool {
        let Some(placed) = r.outcome.new_secret() else {
            return false;
        };
        let secret = r.outcome.secret();
        let holds = secret.is_some();
        let held = self.held;
        let whole = !matches!(r.outcome, Outcome::Rotated { .. }) && !held;
        // A secret in its file, with TSV columns that cannot be split before the status (no
        // `secret` cell, or `status` first): the record is written whole at the end.
        if let (NewSecret::File(_), Format::Tsv, false) = (placed, self.view.format, whole)
            && !columns::secret_before_status(&self.columns())
        {
            return true;
        }
        self.open = Some(Rest::Nothing);
        match self.view.format {
            Format::Json => {
                let mut v = result_json(r, self.view.verbose);
                if whole {
                    return write_secret_lines(&[(json_line(&v), true)], false, holds);
                }
                if let Some(o) = v.as_object_mut() {
                    for f in STEP_FIELDS {
                        o.shift_remove(f);
                    }
                    if held {
                        o.shift_remove("after");
                    }
                }
                let line = json_line(&v);
                let head = line.strip_suffix('}').unwrap_or(&line);
                self.open = Some(Rest::Json { after: held });
                write_secret_lines(&[(head.to_string(), true)], true, holds)
            }
            Format::Tsv => {
                let cols = self.columns();
                if !self.header_done && !self.view.no_headers {
                    write_out(&columns::tsv_header(&cols));
                }
                self.header_done = true;
                let at = cols.iter().position(|c| c.name == "secret");
                let upto = match at {
                    Some(at) if !whole => at + 1,
                    _ => cols.len(),
                };
                let mut cells: Vec<String> = cols[..upto]
                    .iter()
                    .zip(columns::tsv_cells(&cols[..upto], r))
                    .map(|(c, cell)| match secret {
                        Some(secret) if c.name == "secret" => printable_secret(secret),
                        _ => redact(&cell),
                    })
                    .collect();
                // A secret that fell back to stdout from its file, with --columns leaving it
                // out: an extra last cell rather than lost.
                if let (None, Some(secret)) = (at, secret) {
                    cells.push(printable_secret(secret));
                    warn("the new secret is the last cell of its row (--columns left it out)");
                }
                if upto < cols.len() {
                    self.open = Some(Rest::Tsv { from: upto });
                    write_secret_lines(&[(cells.join("\t"), true)], true, holds)
                } else {
                    write_secret_lines(&[(cells.join("\t"), true)], false, holds)
                }
            }
            Format::Table => {
                if !whole {
                    self.open = Some(Rest::Table { fields: held });
                }
                let mut lines = columns::created_text(r, !whole);
                if held {
                    // The fields follow the secret, once read back.
                    let fields = columns::fields_text(r).lines().count();
                    lines.drain(1..(1 + fields).min(lines.len()));
                }
                write_secret_lines(&lines, false, holds)
            }
        }
    }

    /// Finishes the record [`push_secret_first`] began, with `r` as it ended.
    ///
    /// [`push_secret_first`]: Printer::push_secret_first
    fn finish_open(&mut self, rest: Rest, r: &KeyResult) {
        let ok = match rest {
            Rest::Json { after } => {
                let full = result_json(r, self.view.verbose);
                let mut tail = Map::new();
                for f in STEP_FIELDS.iter().chain(after.then_some(&"after")) {
                    if let Some(v) = full.get(f) {
                        tail.insert(f.to_string(), v.clone());
                    }
                }
                let tail = json_line(&Value::Object(tail));
                let inner = tail.strip_prefix('{').unwrap_or(&tail);
                write_line(&format!(",{inner}"))
            }
            Rest::Tsv { from } => {
                let cols = self.columns();
                let rest = &cols[from.min(cols.len())..];
                let mut line = String::new();
                for cell in columns::tsv_cells(rest, r) {
                    line.push('\t');
                    line.push_str(&redact(&cell));
                }
                write_line(&line)
            }
            Rest::Table { fields } => {
                let mut lines: Vec<String> = Vec::new();
                if fields {
                    lines.extend(columns::fields_text(r).lines().map(|l| format!("  {l}")));
                }
                if matches!(r.outcome, Outcome::Rotated { .. }) {
                    lines.push(columns::old_key_line(r));
                }
                lines.is_empty() || write_out(&lines.join("\n"))
            }
            Rest::Nothing => true,
        };
        if !ok {
            RECORD_LOST.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    pub fn push(&mut self, r: KeyResult) {
        // A result holding a new secret is written through `push_secret_first` (by its
        // command, before anything depends on it, or here).
        if self.open.is_none() && r.outcome.secret().is_some() {
            self.push_secret_first(&r);
        }
        record(&r, self.mode);
        if let Some(e) = r.outcome.error() {
            let unknown = matches!(r.outcome, Outcome::Unknown(_));
            error(&key_message(&r, e, unknown));
        }
        self.held = false;
        if let Some(rest) = self.open.take() {
            self.finish_open(rest, &r);
            return;
        }
        let failed = STDOUT_FAILURES.load(std::sync::atomic::Ordering::SeqCst);
        self.write(r);
        // A record of a new key or a rotation that did not reach stdout: the run says so and
        // exits non-zero (an update's or a read's goes on quietly, as with `| head`).
        if matches!(self.mode, Mode::Create | Mode::Rotate)
            && STDOUT_FAILURES.load(std::sync::atomic::Ordering::SeqCst) != failed
        {
            RECORD_LOST.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Writes one result in the view's format (a table's rows are kept for the end).
    fn write(&mut self, r: KeyResult) {
        if let Outcome::Unchanged { reason, .. } = &r.outcome {
            diag(&format!(
                "{} key {}: unchanged: {reason}",
                r.provider,
                sanitize(&r.key)
            ));
        }
        // A new secret is printed even with -q: it cannot be shown again.
        if quiet() && r.outcome.secret().is_none() {
            return;
        }
        match self.view.format {
            // Masked value by value before serialising (`result_json`): masking the line
            // would cut into numbers and break the JSON.
            Format::Json => {
                write_line(&json_line(&result_json(&r, self.view.verbose)));
            }
            // A key `get` could not read has no row (its error is on stderr, and in the exit
            // code): a row of empty cells would read as a key with nothing known.
            _ if matches!(self.mode, Mode::Get | Mode::List) && r.outcome.error().is_some() => {}
            Format::Tsv => {
                if matches!(r.outcome, Outcome::NotAttempted) {
                    return;
                }
                // -v: the request a dry run would send, on stderr with the other -v lines (a
                // create's plan is its request: always).
                if let Outcome::DryRun { req, .. } = &r.outcome
                    && (self.view.verbose || req.method == crate::request::Method::Post)
                {
                    diag(&request_text(req, &tag(req)));
                }
                let cols = self.columns();
                if !self.header_done && !self.view.no_headers {
                    write_out(&columns::tsv_header(&cols));
                }
                self.header_done = true;
                write_out(&columns::tsv_row(&cols, &r));
            }
            Format::Table => match &r.outcome {
                Outcome::DryRun { .. } => {
                    write_out(&plan_text(&r, self.view.verbose));
                }
                // A new key is shown at once, in full, with its secret (never in a cell that
                // a narrow terminal would wrap).
                Outcome::Created { .. } | Outcome::Rotated { .. } => {
                    write_out(
                        &columns::created_text(&r, false)
                            .into_iter()
                            .map(|(l, _)| l)
                            .collect::<Vec<_>>()
                            .join("\n"),
                    );
                }
                // Counted in the summary line, not one row each.
                Outcome::NotAttempted => {}
                _ => self.rows.push(r),
            },
        }
    }

    /// The columns: `--columns`, else the mode's defaults.
    fn columns(&self) -> Vec<&'static Column> {
        match &self.view.columns {
            Some(c) => c.clone(),
            None => columns::defaults(self.mode, self.view.format),
        }
    }

    pub fn finish(self) {
        if self.view.format != Format::Table || self.rows.is_empty() || quiet() {
            return;
        }
        let one_key = self.mode == Mode::Get
            && self.rows.len() == 1
            && self.view.columns.is_none()
            && self.rows[0].outcome.key().is_some();
        if one_key {
            write_out(&columns::fields_text(&self.rows[0]));
            return;
        }
        let cols = self.columns();
        let fitted = self.view.columns.is_none();
        write_out(&columns::table_with(
            &cols,
            &self.rows,
            terminal_width(),
            fitted,
            !self.view.no_headers,
            colour_stdout(),
            columns::IdForm {
                wide: self.view.wide,
                known: &self.known,
            },
        ));
    }
}

/// An error about one key, naming the provider once: `ModelGates key K: not found ...`.
fn key_message(r: &KeyResult, e: &Error, unknown: bool) -> String {
    let name = r.provider.info().name;
    let msg = e.to_string();
    let rest = msg
        .strip_prefix(name)
        .map(|m| m.strip_prefix(':').unwrap_or(m).trim_start())
        .unwrap_or(&msg);
    format!(
        "{name} key {}: {}{rest}",
        sanitize(&r.key),
        if unknown { "outcome unknown: " } else { "" }
    )
}

/// The width to fit a table to: `COLUMNS` when set (as terminals and tests export it), else the
/// terminal's; None when stdout is not a terminal and `COLUMNS` is unset (no fitting).
pub fn terminal_width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n >= 20)
    {
        return Some(n);
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0 as usize)
}

/// The dry-run plan of one key: a heading (provider, id, name), one line per changed field
/// `limit  100 → 125` (`?` where the state before was not read), the request only with `-v`.
pub fn plan_text(r: &KeyResult, verbose: bool) -> String {
    let mut s = heading(r);
    let changes = r.outcome.changes();
    let (method, notes) = match &r.outcome {
        Outcome::DryRun { req, notes, .. } => (Some(req.method), notes.as_slice()),
        _ => (None, &[][..]),
    };
    let create = method == Some(crate::request::Method::Post);
    if method == Some(crate::request::Method::Delete) {
        s.push_str("\n  revoke: the key stops working at once; this cannot be undone");
    } else if changes.is_empty() && !create {
        s.push_str("\n  (no field changes)");
    }
    let width = changes.iter().map(|c| c.field.len()).max().unwrap_or(0);
    for c in changes {
        let (from, to) = columns::change_ends(c);
        if create && c.from.is_none() {
            s.push_str(&format!("\n  {:width$}  {to}", c.field));
        } else {
            s.push_str(&format!("\n  {:width$}  {from} → {to}", c.field));
        }
    }
    // A create's plan is its request: shown always.
    if let (true, Outcome::DryRun { req, .. }) = (verbose || create, &r.outcome) {
        s.push('\n');
        s.push_str(&request_text(req, "  "));
    }
    for n in notes {
        s.push_str(&format!("\n  {}", sanitize(n)));
    }
    s
}

/// A request that is not sent, as `-v` shows it: method and URL, headers (credential as
/// `****`), the body on one line; each line starts with `prefix`.
fn request_text(req: &Request, prefix: &str) -> String {
    let mut s = format!("{prefix}{} {}", req.method.as_str(), req.url);
    for (k, v) in req.redacted_headers() {
        s.push_str(&format!("\n{prefix}{k}: {v}"));
    }
    if let Some(b) = &req.body {
        s.push_str(&format!("\n{prefix}{}", json_line(b)));
    }
    s
}

/// `ModelGates key f01d…943 "ci-runner":` (the id whole, so it can be pasted back).
fn heading(r: &KeyResult) -> String {
    // The key as it is now (a plan's `before`), else as shown.
    let shown = match &r.outcome {
        Outcome::DryRun {
            before: Some(b), ..
        } => Some(&**b),
        o => o.key(),
    };
    let name = shown
        .and_then(|k| k.name.clone().flatten())
        .map(|n| format!(" \"{}\"", sanitize(&n)))
        .unwrap_or_default();
    if r.key.is_empty() {
        // A key still to be created has no id.
        return format!("{}: new key{name}:", r.provider);
    }
    format!("{} key {}{name}:", r.provider, sanitize(&r.key))
}

/// The summary of a change before a confirmation: `limit → 125, disabled → true`.
pub fn change_summary(changes: &[FieldChange]) -> String {
    changes
        .iter()
        .map(|c| format!("{} → {}", c.field, columns::change_ends(c).1))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_escape_what_a_terminal_would_not_show() {
        let v = json!({"name": "ci-\u{202e}gnp.exe", "tag": "a\u{e0041}b\u{200b}"});
        let line = json_line(&v);
        assert_eq!(
            line,
            r#"{"name":"ci-\u202egnp.exe","tag":"a\udb40\udc41b\u200b"}"#
        );
        assert_eq!(serde_json::from_str::<Value>(&line).unwrap(), v);
        assert_eq!(json_line(&json!({"a": "é"})), r#"{"a":"é"}"#);
        // C1 controls, DEL and line separators are escaped too.
        let v = json!({"n": "a\u{9b}2J\u{85}b\u{7f}\u{2028}c"});
        assert_eq!(json_line(&v), r#"{"n":"a\u009b2J\u0085b\u007f\u2028c"}"#);
        assert_eq!(serde_json::from_str::<Value>(&json_line(&v)).unwrap(), v);
    }

    #[test]
    fn run_id_is_one_uuid() {
        assert_eq!(run_id(), run_id());
        assert!(uuid::Uuid::parse_str(run_id()).is_ok());
    }

    #[test]
    fn errors_name_the_provider_once() {
        let r = KeyResult {
            provider: ProviderKind::OpenRouter,
            key: "k1".into(),
            outcome: Outcome::NotAttempted,
        };
        let e = Error::Provider {
            provider: "OpenRouter",
            status: None,
            message: "boom".into(),
        };
        assert_eq!(key_message(&r, &e, false), "OpenRouter key k1: boom");
        let e = Error::usage("plain words");
        assert_eq!(
            key_message(&r, &e, true),
            "OpenRouter key k1: outcome unknown: plain words"
        );
    }
}
