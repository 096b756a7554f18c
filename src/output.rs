//! Everything keyctl prints goes through here: results on stdout (a table fitted to the
//! terminal, tab-separated values for pipes, JSON Lines, the dry-run plan, `field: value` for one
//! key), diagnostics on stderr, and the one redaction step (`text::redact`: the credential
//! masked) applied to every line; cells and messages are sanitised with `text` before that.

pub mod columns;
mod fit;
mod json;
mod key_table;
mod plan;
mod printer;
pub mod records;
mod state;

use std::io::{IsTerminal, Write};

use serde_json::Value;

pub use columns::{COLUMNS, Column, column_names};
pub use json::{json_line, request_json, result_json};
pub use plan::{change_summary, plan_text};
pub use printer::Printer;
pub use state::{record_lost, run_id, secret_not_delivered, secret_undelivered, set_quiet};

pub use crate::outcome::{KeyResult, Mode, NewSecret, Outcome};
use crate::request::Request;
use crate::text::{redact, sanitize};
use state::quiet;

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

/// The run's exit code once its output is written: a run that did its job (0, or `check`'s 9:
/// keys matched) but whose stdout could not be written (a full disk: `keyctl list -o json >
/// keys.json`) says so and exits 1, so a script never trusts a cut-off file. A closed pipe
/// keeps the code, as with `| head`; a run that already failed, or whose lost record or secret
/// was already reported, keeps its own. `writes`: the run could send changes (then the message
/// says they stand); called once by a writing command's run and once more for every run (the
/// second call finds the code already 1 and says nothing).
pub fn finish(code: i32, writes: bool) -> i32 {
    let done = matches!(code, 0 | 9);
    match state::stdout_error() {
        Some(e) if done && !record_lost() && !secret_undelivered() => {
            let made = if writes {
                "; any change this run made stands (`keyctl log` shows what it did)"
            } else {
                ""
            };
            error(&format!(
                "could not write to stdout ({e}): the output is incomplete{made}"
            ));
            1
        }
        _ => code,
    }
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
    match state::bar() {
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
                state::note_stdout_error(&e);
                false
            }
        }
    };
    let counted = |ok: bool| {
        if !ok {
            state::count_stdout_failure();
        }
        ok
    };
    // The progress bar (stderr, on a terminal) is lifted while the line is written, or a
    // terminal showing both would keep a stale copy of the bar above each line.
    match state::bar() {
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
        state::record_not_written();
    }
    ok
}

/// A diagnostic line on stderr (verbose logs, notes); silent with -q.
pub fn diag(msg: &str) {
    if !quiet() {
        write_err(msg);
    }
}

/// A warning on stderr; silent with -q.
pub fn warn(msg: &str) {
    if !quiet() {
        warn_even_if_quiet(msg);
    }
}

/// A warning on stderr, said even with -q (an audit trail that cannot be written: a cron job's
/// changes would go unrecorded without a word).
pub fn warn_even_if_quiet(msg: &str) {
    let yellow = anstyle::AnsiColor::Yellow.on_default().bold();
    write_err(&format!(
        "{} {msg}",
        paint("warning:", yellow, colour_stderr())
    ));
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
    state::set_bar(Some(bar.clone()));
    Some(bar)
}

/// Clears the progress bar (the run is over).
pub fn progress_done(bar: indicatif::ProgressBar) {
    state::set_bar(None);
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
