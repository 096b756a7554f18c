//! The create journal: recoverable creates. Before a create is sent, an entry naming the
//! account, the new key's name and the run is written and synced; once the answer is read it
//! is closed, unless the answer was lost (a timeout, a dropped connection, a 5xx, an answer
//! keyctl cannot read), when a key may have been made that nobody knows the id or secret of.
//! The next create of that name, `plan`/`apply` and `keyctl log` find the entry: the account's
//! listing then says whether the key was made, and it is adopted instead of made twice.
//!
//! The file is `$XDG_STATE_HOME/keyctl/journal.json` (else `$HOME/.local/state/...`; the
//! audit trail's folder): one JSON document of the pending entries, replaced whole under a lock
//! (`journal.lock` beside it), so concurrent runs lose no entry and a crash leaves a whole
//! file; folder 0700, files 0600, no symbolic link followed. An entry holds no secret and no
//! credential: the account (profile, provider, base URL), the name, the command, the run id,
//! the time, the process that sent it, the secret files made ready for it and the keys that
//! held the name before.
//!
//! # Names: stored exact, compared exact
//!
//! An entry matches only the exact name it was made for. Names are not secrets (the provider
//! lists them to anyone with the admin credential), so the name is stored as given, even one
//! shaped like a key (`svc-v1-worker-pool-00001`, `sk-prod-2026-eu-west-batch`): masking such
//! names made different names one `****` that matched each other. A name that holds the admin
//! credential (or a near copy of it) or a secret this run received is refused by
//! [`Journal::begin`] (exit 2, nothing sent): it would put the secret into the provider's
//! listing too. Names are shown as keyctl shows every text (`text::sanitize`: the credential
//! and this run's secrets masked), so `keyctl log` prints a command that can be run as is.
//!
//! # Runs in flight, lost creates, lagging listings
//!
//! An entry records the process that began it (host, pid, start time: [`process`]). Another
//! run's entry whose process still runs is a create **in flight**, not a lost one: it is not
//! reconciled ([`Journal::pending`] leaves it out), and [`Journal::begin`] of the same name on
//! the same account refuses (exit 2: two runs would make two keys). An entry whose process is
//! gone is **lost** and reconciled with the listing. A listing read soon after a lost create
//! may not show the key yet: an entry younger than [`SETTLE`] that the listing says was not
//! made is not closed, and [`Journal::begin`] of its name refuses until it is older (run again
//! after that time: the key is then adopted if it was made, or made). An entry of another host
//! (a shared home folder), whose process cannot be checked, counts as in flight while younger
//! than [`SETTLE`].
//!
//! # Secret files a killed run left
//!
//! A `secret_file` is created empty before its key is made; a run killed during the create
//! leaves it empty. The entry records the file ([`leftover`]), and when a later run closes the
//! entry (the key adopted, or found not made) the file is removed if it is still that same
//! empty file, so the path can take the next secret.
//!
//! # The API (for `create`, `rotate`, `plan` and `apply`)
//!
//! ```text
//! let journal = Journal::open()?;                 // where the state folder says
//! let account = Account::new(profile, p, &base);
//! // before a create: nothing is sent when this fails
//! let entry = journal.begin(&account, name, "apply", &ids_holding_the_name)?;
//! // ... send the create ...
//! journal.settle(&entry, error_if_any)?;          // closed unless the answer was lost
//! // on the next run, with the account's listing (read once):
//! let found = reconcile(&journal.pending(&account)?, listing);
//! journal.close_found(&found)?;                   // closes the adopted and not-made entries
//! ```
//!
//! [`reconcile`] is pure: for each pending entry, the keys of the listing with its name (but
//! those that held the name before the create) give a [`Verdict`]: one key is
//! [`Verdict::Adopted`] (the earlier run made it; its secret was never received: rotate it to
//! get one), none is [`Verdict::NotMade`] (safe to create), two or more are
//! [`Verdict::Ambiguous`] with their ids (reported, never guessed between; the entry stays
//! until one of them is revoked).
//!
//! Every create keyctl sends is named (`create` needs a name, `rotate` names the successor,
//! `apply` keys are identified by name), so every create is journalled; an entry cannot be
//! matched by anything else.

mod leftover;
mod process;
mod store;

#[cfg(test)]
mod fixtures;

use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, Sent, TimeoutKind};
use crate::key::Key;
use crate::provider::{BaseUrl, ProviderKind};

pub use leftover::{FileId, done as secret_file_done, made_ready as secret_file_ready};
pub use process::Process;
pub use store::MAX_JOURNAL;

/// How long after its create a lost entry's listing may still lag: a "not made" verdict of a
/// younger entry does not close it, and another run's entry of another host counts as in
/// flight until then.
pub const SETTLE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// The account an entry is of: a create's entry is only ever matched against this account's
/// keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The profile used (`-P`), if any.
    pub profile: Option<String>,
    /// The provider's id (`venice`, `modelgates`, ...).
    pub provider: String,
    /// The base URL as shown (no user or password), with `#workspace=ID` when one is given.
    pub base: String,
}

impl Account {
    pub fn new(profile: Option<&str>, p: ProviderKind, base: &BaseUrl) -> Account {
        let mut shown = base.shown();
        if let Some(ws) = base.workspace() {
            shown.push_str(&format!("#workspace={ws}"));
        }
        Account {
            profile: profile.map(str::to_string),
            provider: p.info().id.to_string(),
            base: shown,
        }
    }
}

/// One create begun and not known to be settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The entry's own id (a random UUID).
    pub entry: String,
    /// When the create was begun (RFC 3339, UTC).
    pub time: String,
    /// The run that sent it (the id its JSON output and audit trail lines carry).
    pub run: String,
    /// `create`, `rotate` or `apply`.
    pub command: String,
    #[serde(flatten)]
    pub account: Account,
    /// The new key's name, exact ([`stored_name`]).
    pub name: String,
    /// The ids of the keys that held the name before the create (rotate: the old key): none
    /// of them is the key it made.
    #[serde(default)]
    pub others: Vec<String>,
    /// The process that began it (absent in entries of an earlier keyctl).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    /// The secret files made ready (empty) for the key before the create was sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_files: Vec<FileId>,
}

/// Where an entry stands, for a run other than its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Its run still runs (or, of another host, it is younger than [`SETTLE`]).
    InFlight,
    /// Its run is gone, and it is younger than [`SETTLE`]: the listing may lag.
    Settling,
    /// Its run is gone, and it is older.
    Lost,
}

impl Entry {
    /// Where the entry stands at `now` (an entry of this run is never in flight for it).
    pub fn standing(&self, now: chrono::DateTime<Utc>) -> Standing {
        let young = chrono::DateTime::parse_from_rfc3339(&self.time)
            .map(|t| now.signed_duration_since(t) < SETTLE)
            .unwrap_or(false);
        let own = self.run == crate::output::run_id();
        match process::alive(self.process.as_ref()) {
            process::Alive::Yes if !own => Standing::InFlight,
            process::Alive::Unknown if young && !own && self.process.is_some() => {
                Standing::InFlight
            }
            _ if young => Standing::Settling,
            _ => Standing::Lost,
        }
    }

    /// Who began it, for messages: `create RUN (pid N on HOST)`.
    fn who(&self) -> String {
        let mut s = format!(
            "{} {}",
            crate::text::sanitize(&self.command),
            crate::text::sanitize(&self.run)
        );
        if let Some(p) = &self.process {
            s.push_str(&format!(
                ", pid {} on {}",
                p.pid,
                crate::text::sanitize(&p.host)
            ));
        }
        s
    }
}

/// What the listing says of one pending entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// One key has the name: the earlier run made it. The entry is closed by
    /// [`Journal::close_found`]; the key's secret was never received.
    Adopted(Box<Key>),
    /// No key has the name: the create was not made. The entry is closed; creating is safe.
    NotMade,
    /// Two or more keys have the name (their ids): never guessed between; the entry stays.
    Ambiguous(Vec<String>),
}

/// A pending entry and its [`Verdict`].
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciled {
    pub entry: Entry,
    pub verdict: Verdict,
}

/// The journal of one state folder.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
}

/// The journal's file under the state folder, or None without one.
pub fn default_path() -> Option<PathBuf> {
    Some(
        crate::env::get()
            .state_home()?
            .join("keyctl")
            .join("journal.json"),
    )
}

impl Journal {
    /// The journal of this user's state folder; an error (exit 2, nothing sent) when there is
    /// none: a create whose answer is lost could not be recovered.
    pub fn open() -> Result<Journal> {
        default_path().map(Journal::at).ok_or_else(|| {
            Error::usage(
                "cannot keep the create journal: neither XDG_STATE_HOME (an absolute path) nor \
                 HOME is set, and a create whose answer was lost could not be recovered without \
                 it; set one of them (nothing was created)",
            )
        })
    }

    /// The journal at `path`.
    pub fn at(path: PathBuf) -> Journal {
        Journal { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes (and syncs) the entry of a create of `name` on `account` by `command`, before it
    /// is sent; `others`: ids of keys holding the name already (none of them is the key the
    /// create makes). An error means the create must not be sent.
    pub fn begin(
        &self,
        account: &Account,
        name: &str,
        command: &str,
        others: &[String],
    ) -> Result<Entry> {
        if crate::mask::holds_credential(name) || crate::mask::mask(name) != name {
            return Err(Error::usage(format!(
                "the name '{}' holds the admin credential or a new key's secret: a key's name is \
                 listed by the provider and written to the journal, so keyctl does not send it; \
                 choose another name (nothing was created)",
                crate::text::sanitize(name)
            )));
        }
        let entry = Entry {
            entry: random_id(),
            time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            run: crate::output::run_id().to_string(),
            command: command.to_string(),
            account: account.clone(),
            name: stored_name(name),
            others: others.to_vec(),
            process: Some(process::this()),
            secret_files: leftover::ready(),
        };
        let e = entry.clone();
        let now = Utc::now();
        let held = store::change(&self.path, move |v| {
            let held = v
                .iter()
                .find(|o| {
                    o.account == e.account
                        && o.name == e.name
                        && o.run != e.run
                        && o.standing(now) != Standing::Lost
                })
                .cloned();
            if held.is_none() {
                v.push(e);
            }
            held
        })
        .map_err(|e| {
            self.error(
                "write",
                &e,
                "the create was not sent (a create whose answer is lost could not be recovered)",
            )
        })?;
        match held {
            Some(other) => Err(held_message(&other, now)),
            None => Ok(entry),
        }
    }

    /// The entry of another run that holds `name` on `account` now (in flight, or lost so
    /// recently that the listing may not show its key yet), as the error [`Journal::begin`]
    /// would give: a create of the name must not be sent. None when the journal cannot be read
    /// (begin says so).
    pub fn held(&self, account: &Account, name: &str) -> Option<Error> {
        let now = Utc::now();
        let all = self.all().ok()?;
        let run = crate::output::run_id();
        all.iter()
            .find(|o| {
                &o.account == account
                    && o.name == name
                    && o.run != run
                    && o.standing(now) != Standing::Lost
            })
            .map(|o| held_message(o, now))
    }

    /// After the create's answer: closes the entry, unless the create ended in an error after
    /// which a key may have been made ([`may_have_made`]): then it stays pending.
    pub fn settle(&self, entry: &Entry, ended: Option<&Error>) -> Result<()> {
        if ended.is_some_and(may_have_made) {
            return Ok(());
        }
        self.close(&[entry.entry.as_str()])
    }

    /// Closes (removes) the entries with these ids.
    pub fn close(&self, ids: &[&str]) -> Result<()> {
        store::change(&self.path, |v| {
            v.retain(|e| !ids.contains(&e.entry.as_str()))
        })
        .map_err(|e| self.error("update", &e, "its entries stay pending"))
    }

    /// Closes the entries [`reconcile`] found adopted, or not made when older than [`SETTLE`]
    /// (a younger one's listing may lag: it stays, and a create of its name is refused until
    /// then); ambiguous ones stay. The empty secret files the closed entries' runs left are
    /// removed.
    pub fn close_found(&self, found: &[Reconciled]) -> Result<()> {
        let now = Utc::now();
        let closed: Vec<&Entry> = found
            .iter()
            .filter(|r| match r.verdict {
                Verdict::Adopted(_) => true,
                Verdict::NotMade => r.entry.standing(now) == Standing::Lost,
                Verdict::Ambiguous(_) => false,
            })
            .map(|r| &r.entry)
            .collect();
        if closed.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = closed.iter().map(|e| e.entry.as_str()).collect();
        self.close(&ids)?;
        let files: Vec<FileId> = closed
            .iter()
            .filter(|e| e.run != crate::output::run_id())
            .flat_map(|e| e.secret_files.iter().cloned())
            .collect();
        leftover::remove_empty(&files);
        Ok(())
    }

    /// The pending entries of `account` to reconcile, oldest first: all but those of other
    /// runs still in flight (their creates are not lost; a create of their name is refused).
    pub fn pending(&self, account: &Account) -> Result<Vec<Entry>> {
        let now = Utc::now();
        Ok(self
            .all()?
            .into_iter()
            .filter(|e| &e.account == account && e.standing(now) != Standing::InFlight)
            .collect())
    }

    /// Every pending entry, oldest first.
    pub fn all(&self) -> Result<Vec<Entry>> {
        store::read(&self.path).map_err(|e| {
            self.error(
                "read",
                &e,
                "no create is sent until it can be (nobody could tell which creates were lost)",
            )
        })
    }

    /// The error for a journal that could not be read or written: what, why and what next.
    fn error(&self, what: &str, e: &std::io::Error, then: &str) -> Error {
        let shown = crate::text::sanitize(&self.path.display().to_string());
        let fix = if e.kind() == std::io::ErrorKind::InvalidData {
            format!(
                "check the account's keys with `keyctl list` (a create of an entry in it may \
                 have made a key), then move {shown} aside"
            )
        } else {
            "check that its folder is a writable folder of yours with room left (or point \
             XDG_STATE_HOME at one)"
                .to_string()
        };
        Error::usage(format!(
            "cannot {what} the create journal {shown}: {}; {then}. {fix}",
            crate::text::sanitize(&e.to_string())
        ))
    }
}

/// A name as the journal stores and compares it: exact (see the module docs; a name holding
/// the credential or a new secret is refused by [`Journal::begin`]).
pub fn stored_name(name: &str) -> String {
    name.to_string()
}

/// The refusal of a create of `other`'s name while `other` holds it (exit 2, nothing sent).
fn held_message(other: &Entry, now: chrono::DateTime<Utc>) -> Error {
    let name = crate::text::sanitize(&other.name);
    match other.standing(now) {
        Standing::InFlight => Error::usage(format!(
            "another run ({}, since {}) is creating '{name}' on this account now; two runs \
             would make two keys: wait until it ends, then run again (its key is then adopted \
             or made); nothing was created",
            other.who(),
            crate::text::sanitize(&other.time)
        )),
        _ => {
            let after = chrono::DateTime::parse_from_rfc3339(&other.time)
                .map(|t| {
                    (t.with_timezone(&Utc) + SETTLE).to_rfc3339_opts(SecondsFormat::Secs, true)
                })
                .unwrap_or_else(|_| "a few minutes".into());
            Error::usage(format!(
                "an earlier run ({}, at {}) lost the answer to its create of '{name}', and the \
                 account's listing does not show the key yet (a listing can lag behind a \
                 create): run again after {after}, when the key is adopted if it was made, or \
                 made if not; nothing was created",
                other.who(),
                crate::text::sanitize(&other.time)
            ))
        }
    }
}

/// Whether a create that ended in `e` may have made a key (its entry stays pending): a lost
/// answer (a request timeout, a connection dropped after the request was written, a signal
/// while it was in flight), a 5xx, an answer keyctl cannot read. Not: a refusal (4xx, 429
/// after the retries), a connection that never opened, a signal before it was sent.
pub fn may_have_made(e: &Error) -> bool {
    match e {
        Error::Usage(_)
        | Error::Unsupported { .. }
        | Error::Credential(_)
        | Error::Auth { .. }
        | Error::NotFound { .. }
        | Error::Unresolved { .. }
        | Error::Rejected { .. }
        | Error::RateLimited { .. } => false,
        Error::Network { sent, .. } => *sent,
        Error::Timeout { which, .. } => *which == TimeoutKind::Request,
        Error::Interrupted { sent } => *sent == Sent::NoAnswer,
        // The key was made and its id is known: nothing is lost about it.
        Error::Undelivered { .. } | Error::OldKey { .. } | Error::Adopted { .. } => false,
        Error::Provider { .. }
        | Error::Unknown { .. }
        | Error::CreateUnknown { .. }
        | Error::ApplyCreateUnknown { .. }
        | Error::Internal(_) => true,
    }
}

/// What the account's `listing` says of each `pending` entry (of that account): the keys with
/// its exact name, but those that held the name before ([`Entry::others`]).
pub fn reconcile(pending: &[Entry], listing: &[Key]) -> Vec<Reconciled> {
    pending
        .iter()
        .map(|entry| {
            let with_name: Vec<&Key> = listing
                .iter()
                .filter(|k| k.name.value().is_some_and(|n| *n == entry.name))
                .filter(|k| !entry.others.iter().any(|o| same_id(o, &k.id)))
                .collect();
            let verdict = match with_name.as_slice() {
                [] => Verdict::NotMade,
                [one] => Verdict::Adopted(Box::new((*one).clone())),
                many => Verdict::Ambiguous(many.iter().map(|k| k.id.clone()).collect()),
            };
            Reconciled {
                entry: entry.clone(),
                verdict,
            }
        })
        .collect()
}

/// A random UUID v4 for an entry.
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Whether two ids name one key (white space and case aside).
fn same_id(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The message of a key adopted from `entry`: `created by an earlier run; its secret was never
/// received: rotate it to get one`, with the run and time, and the command to run (`rotate`:
/// `keyctl rotate SEL ID`).
pub fn adopted_message(entry: &Entry, rotate: &str) -> String {
    format!(
        "created by an earlier run ({} {}, at {}) whose answer was lost; its secret was never \
         received: rotate it to get one (`{rotate}`)",
        crate::text::sanitize(&entry.command),
        crate::text::sanitize(&entry.run),
        crate::text::sanitize(&entry.time),
    )
}

/// The message of an entry whose name two or more keys have (`ids`): reported, never guessed.
pub fn ambiguous_message(entry: &Entry, ids: &[String]) -> String {
    format!(
        "'{}': an earlier run ({} {}, at {}) lost the answer to its create of this name, and {} \
         keys have it now ({}): keyctl cannot tell which one it made, and does not guess. \
         Revoke the one that is not wanted (`keyctl revoke`), then run again: the one left is \
         adopted",
        crate::text::sanitize(&entry.name),
        crate::text::sanitize(&entry.command),
        crate::text::sanitize(&entry.run),
        crate::text::sanitize(&entry.time),
        ids.len(),
        ids.iter()
            .map(|i| crate::text::sanitize(i))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The lines `keyctl log` adds on stderr for pending entries: each one's account, name, run
/// and time, and what to do.
pub fn pending_lines(entries: &[Entry]) -> Vec<String> {
    if entries.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![format!(
        "pending creates: {} create(s) whose answer was lost; a key may have been made that \
         nobody has the secret of:",
        entries.len()
    )];
    for e in entries {
        let sel = match &e.account.profile {
            Some(p) => format!("-P {}", crate::text::sanitize(p)),
            None => format!("-p {}", crate::text::sanitize(&e.account.provider)),
        };
        let name = crate::text::sanitize(&e.name);
        if e.standing(Utc::now()) == Standing::InFlight {
            lines.push(format!(
                "  {} {sel} '{name}' ({}, {}): being created now by a run still going; its \
                 outcome is known when it ends",
                crate::text::sanitize(&e.time),
                e.who(),
                crate::text::sanitize(&e.account.base),
            ));
            continue;
        }
        lines.push(format!(
            "  {} {sel} '{name}' ({} {}, {}): run `keyctl create {sel} --name '{name}'` again \
             to adopt the key if it was made (or create it if not), or look for it with \
             `keyctl get {sel} '{name}'`",
            crate::text::sanitize(&e.time),
            crate::text::sanitize(&e.command),
            crate::text::sanitize(&e.run),
            crate::text::sanitize(&e.account.base),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::fixtures::{entry, key};
    use super::*;

    #[test]
    fn one_key_with_the_name_is_adopted_none_is_not_made_two_are_ambiguous() {
        let pending = vec![entry("e1", "ci"), entry("e2", "batch"), entry("e3", "web")];
        let listing = vec![
            key("k1", "ci"),
            key("k2", "web"),
            key("k3", "web"),
            key("k4", "other"),
        ];
        let found = reconcile(&pending, &listing);
        assert_eq!(found.len(), 3);
        assert!(matches!(&found[0].verdict, Verdict::Adopted(k) if k.id == "k1"));
        assert_eq!(found[1].verdict, Verdict::NotMade);
        assert_eq!(
            found[2].verdict,
            Verdict::Ambiguous(vec!["k2".into(), "k3".into()])
        );
    }

    #[test]
    fn keys_that_held_the_name_before_are_not_the_one_made() {
        let mut e = entry("e1", "ci");
        e.others = vec!["OLD".into()];
        let found = reconcile(&[e.clone()], &[key("old", "ci")]);
        assert_eq!(found[0].verdict, Verdict::NotMade);
        let found = reconcile(&[e], &[key("old", "ci"), key("new", "ci")]);
        assert!(matches!(&found[0].verdict, Verdict::Adopted(k) if k.id == "new"));
    }

    /// Issue 24, F1: names shaped like secrets were stored as `****` and matched each other.
    #[test]
    fn an_entry_matches_only_the_exact_name_it_was_made_for() {
        for (made, listed) in [
            ("svc-v1-worker-pool-00002", "svc-v1-worker-pool-00001"),
            ("sk-prod-2026-eu-west-batch", "sk-prod-2026-eu-west-batcH"),
        ] {
            assert_eq!(stored_name(made), made);
            let mut e = entry("e1", "x");
            e.name = stored_name(made);
            let found = reconcile(&[e.clone()], &[key("k1", listed)]);
            assert_eq!(found[0].verdict, Verdict::NotMade, "{made}");
            let found = reconcile(&[e], &[key("k1", listed), key("k2", made)]);
            assert!(matches!(&found[0].verdict, Verdict::Adopted(k) if k.id == "k2"));
        }
    }

    /// Issue 24, F4b and F8b: another run's entry still in flight, or lost so recently that the
    /// listing may lag, holds its name; a lost older one does not.
    #[test]
    fn begin_refuses_a_name_another_run_holds_and_not_one_a_gone_run_lost_long_ago() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::at(dir.path().join("journal.json"));
        let a = entry("x", "x").account;
        let mut other = entry("o1", "ci");
        other.run = "another-run".into();
        other.time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        // Its process runs (this one, under another run id): in flight.
        other.process = Some(process::this());
        store::change(j.path(), |v| v.push(other.clone())).unwrap();
        let e = j.begin(&a, "ci", "create", &[]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string()
                .contains("another run (create another-run, pid"),
            "{e}"
        );
        assert!(
            j.pending(&a).unwrap().is_empty(),
            "in flight: not reconciled"
        );
        assert!(
            j.begin(&a, "ci-2", "create", &[]).is_ok(),
            "another name is free"
        );
        // Its process is gone, lost a moment ago: the listing may lag.
        store::change(j.path(), |v| v.iter_mut().for_each(|o| o.process = None)).unwrap();
        let e = j.begin(&a, "ci", "create", &[]).unwrap_err();
        assert!(e.to_string().contains("does not show the key yet"), "{e}");
        let found = reconcile(&j.pending(&a).unwrap(), &[]);
        j.close_found(&found).unwrap();
        assert_eq!(j.all().unwrap().len(), 2, "a young not-made entry stays");
        // Lost long ago: closed as not made, and the name is free.
        store::change(j.path(), |v| {
            v.iter_mut()
                .for_each(|o| o.time = "2026-01-01T00:00:00.000Z".into())
        })
        .unwrap();
        let found = reconcile(&j.pending(&a).unwrap(), &[]);
        j.close_found(&found).unwrap();
        assert!(j.all().unwrap().iter().all(|o| o.name != "ci"));
        assert!(j.begin(&a, "ci", "create", &[]).is_ok());
    }

    #[test]
    fn a_name_holding_the_credential_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::at(dir.path().join("journal.json"));
        let secret = "sk-mg-v1-JOURNALtestsecret0123456789abcdefXYZ";
        crate::mask::register_text(secret);
        let e = j
            .begin(
                &entry("x", "x").account,
                &format!("ci-{secret}"),
                "create",
                &[],
            )
            .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(!e.to_string().contains("JOURNALtestsecret"), "{e}");
        assert!(j.all().unwrap().is_empty());
    }

    #[test]
    fn begin_settle_and_close_keep_only_what_may_have_been_made() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::at(dir.path().join("keyctl").join("journal.json"));
        let a = entry("x", "x").account;
        let made = j.begin(&a, "made", "create", &[]).unwrap();
        let lost = j.begin(&a, "lost", "create", &[]).unwrap();
        let refused = j.begin(&a, "refused", "create", &[]).unwrap();
        j.settle(&made, None).unwrap();
        let timeout = Error::Timeout {
            provider: "P",
            which: TimeoutKind::Request,
            after: std::time::Duration::from_secs(1),
        };
        j.settle(&lost, Some(&timeout)).unwrap();
        let rejected = Error::Rejected {
            provider: "P",
            status: 400,
            message: "m".into(),
        };
        j.settle(&refused, Some(&rejected)).unwrap();
        let left = j.pending(&a).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].name, "lost");
        let mut other = a.clone();
        other.profile = Some("elsewhere".into());
        assert!(j.pending(&other).unwrap().is_empty());
        // Not made, and older than the listing's lag: closed.
        store::change(j.path(), |v| {
            v.iter_mut()
                .for_each(|o| o.time = "2026-01-01T00:00:00.000Z".into())
        })
        .unwrap();
        let found = reconcile(&j.pending(&a).unwrap(), &[]);
        j.close_found(&found).unwrap();
        assert!(j.all().unwrap().is_empty());
    }

    #[test]
    fn a_journal_that_cannot_be_written_refuses_the_create() {
        let dir = tempfile::tempdir().unwrap();
        // The folder is a file: nothing can be written under it.
        std::fs::write(dir.path().join("keyctl"), "").unwrap();
        let j = Journal::at(dir.path().join("keyctl").join("journal.json"));
        let e = j
            .begin(&entry("x", "x").account, "ci", "create", &[])
            .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("the create was not sent"), "{e}");
    }
}
