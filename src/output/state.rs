//! The output's process-wide state: what a run's printing sets (`-q`, the progress bar, stdout
//! and secret failures) and what the exit code is decided from, each behind two small functions.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// `-q`: diagnostics, warnings and results (but new secrets) are not printed. Set once, at start.
static QUIET: OnceLock<bool> = OnceLock::new();

/// The progress bar on stderr while one is shown: lines to stderr are written around it, so a
/// warning (a signal's) does not run into it.
static BAR: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

/// Set when a new key's secret could not be written where it was to go (stdout, or the secret
/// file): the run then exits non-zero (see [`secret_undelivered`]).
static UNDELIVERED: AtomicBool = AtomicBool::new(false);

/// Set when a result record of `create` or `rotate` (a new key's id, what was done to an old
/// key) could not be written to stdout: the run then exits non-zero and says so.
static RECORD_LOST: AtomicBool = AtomicBool::new(false);

/// How many writes to stdout failed.
static STDOUT_FAILURES: AtomicUsize = AtomicUsize::new(0);

/// The first error writing stdout other than a closed pipe (a full disk, an I/O error): the
/// output is cut short, and `output::finish` makes the run say so and exit 1.
static STDOUT_ERROR: OnceLock<String> = OnceLock::new();

/// This run's id, in every JSON line and audit line (made on first use).
static RUN: OnceLock<String> = OnceLock::new();

pub fn set_quiet(q: bool) {
    let _ = QUIET.set(q);
}

pub(super) fn quiet() -> bool {
    QUIET.get().copied().unwrap_or(false)
}

/// The progress bar shown now, if any.
pub(super) fn bar() -> Option<indicatif::ProgressBar> {
    BAR.lock().ok().and_then(|b| b.clone())
}

/// Sets (or, with None, clears) the progress bar shown now.
pub(super) fn set_bar(bar: Option<indicatif::ProgressBar>) {
    if let Ok(mut b) = BAR.lock() {
        *b = bar;
    }
}

/// Records that a new secret did not reach its place.
pub fn secret_not_delivered() {
    UNDELIVERED.store(true, Ordering::SeqCst);
}

/// Whether a new secret of this run did not reach its place.
pub fn secret_undelivered() -> bool {
    UNDELIVERED.load(Ordering::SeqCst)
}

/// Records that a `create`/`rotate` result record could not be written to stdout.
pub(super) fn record_not_written() {
    RECORD_LOST.store(true, Ordering::SeqCst);
}

/// Whether a `create`/`rotate` result record could not be written to stdout.
pub fn record_lost() -> bool {
    RECORD_LOST.load(Ordering::SeqCst)
}

/// Counts a failed write to stdout.
pub(super) fn count_stdout_failure() {
    STDOUT_FAILURES.fetch_add(1, Ordering::SeqCst);
}

/// How many writes to stdout failed so far.
pub(super) fn stdout_failures() -> usize {
    STDOUT_FAILURES.load(Ordering::SeqCst)
}

/// Records a failed write to stdout. A closed pipe (`keyctl list | head`) is the reader's
/// choice and is not recorded; anything else is (the first one).
pub(super) fn note_stdout_error(e: &std::io::Error) {
    if e.kind() != std::io::ErrorKind::BrokenPipe {
        let _ = STDOUT_ERROR.set(e.to_string());
    }
}

/// The first error writing stdout other than a closed pipe, if there was one.
pub(super) fn stdout_error() -> Option<&'static str> {
    STDOUT_ERROR.get().map(String::as_str)
}

/// One id per invocation, in every JSON line (so lines appended to one log can be grouped).
pub fn run_id() -> &'static str {
    RUN.get_or_init(|| {
        let mut bytes = [0u8; 16];
        bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_id_is_one_uuid() {
        assert_eq!(run_id(), run_id());
        assert!(uuid::Uuid::parse_str(run_id()).is_ok());
    }
}
