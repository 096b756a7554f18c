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
//! credential: the account (profile, provider, base URL), the name (masked as the audit trail
//! masks strings: a name shaped like a secret is stored as `****`, and compared so), the
//! command, the run id, the time and the keys that held the name before.
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

mod store;

#[cfg(test)]
mod fixtures;

use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, Sent, TimeoutKind};
use crate::key::Key;
use crate::provider::{BaseUrl, ProviderKind};

pub use store::MAX_JOURNAL;

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
    /// The new key's name, masked ([`stored_name`]).
    pub name: String,
    /// The ids of the keys that held the name before the create (rotate: the old key): none
    /// of them is the key it made.
    #[serde(default)]
    pub others: Vec<String>,
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
        let entry = Entry {
            entry: random_id(),
            time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            run: crate::output::run_id().to_string(),
            command: command.to_string(),
            account: account.clone(),
            name: stored_name(name),
            others: others.to_vec(),
        };
        let e = entry.clone();
        store::change(&self.path, move |v| v.push(e)).map_err(|e| {
            self.error(
                "write",
                &e,
                "the create was not sent (a create whose answer is lost could not be recovered)",
            )
        })?;
        Ok(entry)
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

    /// Closes the entries [`reconcile`] found adopted or not made (ambiguous ones stay).
    pub fn close_found(&self, found: &[Reconciled]) -> Result<()> {
        let ids: Vec<&str> = found
            .iter()
            .filter(|r| !matches!(r.verdict, Verdict::Ambiguous(_)))
            .map(|r| r.entry.entry.as_str())
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        self.close(&ids)
    }

    /// The pending entries of `account`, oldest first.
    pub fn pending(&self, account: &Account) -> Result<Vec<Entry>> {
        Ok(self
            .all()?
            .into_iter()
            .filter(|e| &e.account == account)
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

/// A name as the journal stores it: masked as the audit trail masks strings (the credential, a
/// new secret, anything shaped like a key's secret), so no secret pasted as a name is kept.
pub fn stored_name(name: &str) -> String {
    let masked = crate::mask::mask(name);
    crate::mask::mask_key_like(&masked).into_owned()
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
        | Error::Internal(_) => true,
    }
}

/// What the account's `listing` says of each `pending` entry (of that account): the keys with
/// its name, but those that held the name before ([`Entry::others`]), compared masked as the
/// name is stored.
pub fn reconcile(pending: &[Entry], listing: &[Key]) -> Vec<Reconciled> {
    pending
        .iter()
        .map(|entry| {
            let with_name: Vec<&Key> = listing
                .iter()
                .filter(|k| k.name.value().is_some_and(|n| stored_name(n) == entry.name))
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

    #[test]
    fn a_name_shaped_like_a_secret_is_stored_masked_and_still_matched() {
        let name = "sk-or-v1-0123456789abcdefABCDEF0123456789";
        let stored = stored_name(name);
        assert!(!stored.contains("0123456789abcdef"), "{stored}");
        let mut e = entry("e1", "x");
        e.name = stored;
        let found = reconcile(&[e], &[key("k1", name)]);
        assert!(matches!(&found[0].verdict, Verdict::Adopted(_)));
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
        let found = reconcile(&left, &[]);
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
