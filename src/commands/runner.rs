//! Running many keys: a bounded window of tasks with at most `--concurrency` sending, results
//! printed in input order, `--max-failures` and signals stopping new keys, and the tally that
//! gives every key exactly one status and the run its exit code.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use super::report::Reporter;
use crate::error::{Error, Sent};
use crate::http::Cancel;
use crate::outcome::{KeyResult, Outcome};
use crate::output;
use crate::provider::ProviderKind;

use super::signal_name;

/// What one key's task does (`update`'s read, build and send).
pub trait KeyJob: Send + Sync + 'static {
    fn provider(&self) -> ProviderKind;
    fn run(&self, key: String) -> impl std::future::Future<Output = Outcome> + Send;
}

/// Runs keys with bounded concurrency and stops starting new ones after a signal or too many
/// failures.
pub struct Runner<J> {
    pub job: Arc<J>,
    pub cancel: Cancel,
    /// Stop starting keys after this many failed or unknown ones (0: never).
    pub max_failures: usize,
}

/// How many keys ended in each status, and the exit code of the worst failed one.
#[derive(Debug, Default)]
pub struct Tally {
    /// Updated, dry run (would update) or read, by the command.
    done: usize,
    unchanged: usize,
    failed: usize,
    /// `revoke`: keys already gone.
    not_found: usize,
    unknown: usize,
    not_attempted: usize,
    /// `create`, `rotate`: keys an earlier run's lost create made, adopted (the create journal).
    adopted: usize,
    /// The exit code of the worst failed key so far ([`severity`]).
    worst: Option<i32>,
    /// Some key's write was sent (updated, created, revoked, rotated, or unknown).
    sent: bool,
    /// Why no new key was started (when some were left).
    halted: Option<Halt>,
    max_failures: usize,
    pub total: usize,
}

/// Why a run stopped starting keys; the later reason is the stronger one (`fetch_max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Halt {
    /// `--max-failures` was reached.
    MaxFailures = 1,
    /// The provider refused the credential itself (401; Venice 402).
    Refused = 2,
}

impl Halt {
    fn from_u8(v: u8) -> Option<Halt> {
        match v {
            1 => Some(Halt::MaxFailures),
            2 => Some(Halt::Refused),
            _ => None,
        }
    }
}

impl<J: KeyJob> Runner<J> {
    /// Results are printed in input order; at most a window of tasks exists at once (so 100,000
    /// keys cost a window, not 100,000 tasks), and at most `concurrency` of them send.
    pub async fn run(self, keys: Vec<String>, concurrency: usize, report: &mut Reporter) -> Tally {
        let concurrency = concurrency.max(1);
        let window = (concurrency * 8).max(64);
        let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let failures = Arc::new(AtomicUsize::new(0));
        let halt = Arc::new(AtomicU8::new(0));
        let bar = output::progress(keys.len());
        let mut tally = Tally {
            total: keys.len(),
            max_failures: self.max_failures,
            ..Tally::default()
        };
        let mut pending = std::collections::VecDeque::with_capacity(window);
        let mut next = keys.into_iter();
        loop {
            while pending.len() < window {
                let Some(key) = next.next() else { break };
                let task = self.task(key.clone(), sem.clone(), failures.clone(), halt.clone());
                pending.push_back((key, tokio::spawn(task)));
            }
            let Some((key, h)) = pending.pop_front() else {
                break;
            };
            let outcome = h
                .await
                .unwrap_or_else(|e| Outcome::Failed(Error::Internal(format!("task failed: {e}"))));
            tally.count(&outcome);
            if let Some(b) = &bar {
                b.inc(1);
                b.set_message(format!("{} failed,", tally.failed));
            }
            report.push(KeyResult {
                provider: self.job.provider(),
                key,
                outcome,
            });
        }
        if let Some(b) = bar {
            output::progress_done(b);
        }
        tally.halted =
            Halt::from_u8(halt.load(Ordering::SeqCst)).filter(|_| tally.not_attempted > 0);
        tally
    }

    fn task(
        &self,
        key: String,
        sem: Arc<tokio::sync::Semaphore>,
        failures: Arc<AtomicUsize>,
        halt: Arc<AtomicU8>,
    ) -> impl std::future::Future<Output = Outcome> + Send + 'static {
        let (job, cancel) = (self.job.clone(), self.cancel.clone());
        let max_failures = self.max_failures;
        async move {
            let permit = tokio::select! {
                p = sem.acquire_owned() => p,
                _ = cancel.cancelled() => return Outcome::NotAttempted,
            };
            let Ok(_permit) = permit else {
                return Outcome::Failed(Error::Internal("semaphore closed".into()));
            };
            if cancel.is_cancelled() || halt.load(Ordering::SeqCst) != 0 {
                return Outcome::NotAttempted;
            }
            let outcome = job.run(key).await;
            // A credential the provider refuses (401; Venice 402) fails every other key too:
            // stop starting keys instead of sending each one to be refused.
            if let Some(Error::Auth {
                status: 401 | 402, ..
            }) = outcome.error()
            {
                halt.fetch_max(Halt::Refused as u8, Ordering::SeqCst);
            }
            if matches!(outcome, Outcome::Failed(_) | Outcome::Unknown(_)) {
                let n = failures.fetch_add(1, Ordering::SeqCst) + 1;
                if max_failures > 0 && n >= max_failures {
                    halt.fetch_max(Halt::MaxFailures as u8, Ordering::SeqCst);
                }
            }
            outcome
        }
    }
}

impl Tally {
    /// A tally for `total` keys (no `--max-failures`).
    pub fn new(total: usize) -> Tally {
        Tally {
            total,
            ..Tally::default()
        }
    }

    pub fn count(&mut self, o: &Outcome) {
        match o {
            Outcome::Updated { .. }
            | Outcome::DryRun { .. }
            | Outcome::Shown(_)
            | Outcome::Created { error: None, .. }
            | Outcome::Revoked { .. }
            | Outcome::Rotated { error: None, .. } => self.done += 1,
            Outcome::Unchanged { .. } => self.unchanged += 1,
            Outcome::NotFound(_) => self.not_found += 1,
            Outcome::Failed(_) | Outcome::Rotated { .. } | Outcome::Created { .. } => {
                self.failed += 1
            }
            Outcome::Unknown(_) => self.unknown += 1,
            Outcome::NotAttempted => self.not_attempted += 1,
            Outcome::Adopted { .. } => self.adopted += 1,
        }
        self.sent |= matches!(
            o,
            Outcome::Updated { .. }
                | Outcome::Created { .. }
                | Outcome::Revoked { .. }
                | Outcome::Rotated { .. }
                | Outcome::Unknown(_)
        );
        if let Some(e) = o.error() {
            let code = e.exit_code();
            if self.worst.is_none_or(|w| severity(code) > severity(w)) {
                self.worst = Some(code);
            }
        }
    }

    /// The run's exit code: that of its worst failed key ([`severity`]), 0 if none. Once a write
    /// was sent, a key refused for its own state (exit 2 for that key alone) is 5: exit 2 says
    /// nothing was sent.
    pub fn code(&self) -> i32 {
        match self.worst {
            Some(2) if self.sent => 5,
            Some(c) => c,
            None => 0,
        }
    }

    /// Prints the summary (several keys, a signal or a halt) and returns [`Tally::code`] (a
    /// signal overrides it in `run`).
    /// `verb` names what happened to the keys that went well ("updated", "would update", "read").
    pub fn report(&self, p: ProviderKind, verb: &str, cancel: &Cancel) -> i32 {
        let stopped = cancel.signal().is_some() || self.halted.is_some();
        let dry = verb.starts_with("would ");
        if self.total > 1 || stopped || dry {
            let mut line = format!("summary: {} {verb}", self.done);
            if self.unchanged > 0 || verb.ends_with("update") || verb == "updated" {
                line.push_str(&format!(", {} unchanged", self.unchanged));
            }
            if self.not_found > 0 {
                line.push_str(&format!(", {} not found", self.not_found));
            }
            if self.adopted > 0 {
                line.push_str(&format!(
                    ", {} adopted (made by an earlier run: no secret)",
                    self.adopted
                ));
            }
            line.push_str(&format!(", {} failed", self.failed));
            if self.unknown > 0 {
                line.push_str(&format!(
                    ", {} unknown (may have been applied: check with keyctl get)",
                    self.unknown
                ));
            }
            if self.not_attempted > 0 {
                line.push_str(&format!(", {} not attempted", self.not_attempted));
            }
            if let Some(sig) = cancel.signal() {
                line = format!("{p}: stopped by {}; {line}", signal_name(sig));
            } else if self.halted == Some(Halt::Refused) {
                line = format!(
                    "{p}: stopped starting keys: the provider refused the credential, so every \
                     other key would fail the same way; {line}"
                );
            } else if self.halted == Some(Halt::MaxFailures) {
                line = format!(
                    "{p}: stopped starting keys once --max-failures {} was reached; {line}",
                    self.max_failures
                );
            }
            if self.not_attempted > 0 {
                line.push_str(" (-o json lists every key with its status, for a rerun)");
            }
            if stopped {
                output::error(&line);
            } else {
                output::diag(&line);
            }
        }
        self.code()
    }
}

/// How bad a key's exit code is, the worst highest: an internal error or a lost secret (1),
/// a refused credential (3), the provider failing (7), the network (8), rate limits (6), a
/// rejected request (5), a key not found (4), a key refused for its state (2).
fn severity(code: i32) -> u8 {
    match code {
        1 => 8,
        3 => 7,
        7 => 6,
        8 => 5,
        6 => 4,
        5 => 3,
        4 => 2,
        2 => 1,
        _ => 9,
    }
}

/// Maps an error of a key's run onto its status: a signal before anything was sent is
/// `not_attempted`; a write that reached the wire unanswered is `unknown`.
pub fn outcome_of(e: Error) -> Outcome {
    match e {
        Error::Interrupted {
            sent: Sent::Nothing,
        } => Outcome::NotAttempted,
        e @ Error::Unknown { .. } => Outcome::Unknown(e),
        e => Outcome::Failed(e),
    }
}
