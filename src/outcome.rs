//! A key's result: what happened to it ([`Outcome`]), where a new key's secret went
//! ([`NewSecret`]) and which command it is of ([`Mode`]); printed by `output`, recorded by
//! `audit`.

use crate::error::Error;
use crate::key::{FieldChange, Key};
use crate::provider::ProviderKind;
use crate::request::Request;

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
    /// A key an earlier run's create made and lost the answer to, found by name (the create
    /// journal) and taken as this run's instead of made again; `error` says that its secret
    /// was never received and what to do.
    Adopted {
        after: Box<Key>,
        error: Error,
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
            Outcome::Adopted { .. } => "adopted",
            Outcome::NotFound(_) => "not_found",
            Outcome::Failed(_) => "failed",
            Outcome::Unknown(_) => "unknown",
            Outcome::NotAttempted => "not_attempted",
        }
    }

    pub fn error(&self) -> Option<&Error> {
        match self {
            Outcome::Failed(e) | Outcome::Unknown(e) | Outcome::NotFound(e) => Some(e),
            Outcome::Adopted { error, .. } => Some(error),
            Outcome::Rotated { error, .. } | Outcome::Created { error, .. } => error.as_ref(),
            _ => None,
        }
    }

    /// A new key's secret to show on stdout, if this result has one.
    pub fn secret(&self) -> Option<&str> {
        match self.new_secret()? {
            NewSecret::Shown(s) => Some(s),
            NewSecret::File(_) | NewSecret::Command(_) => None,
        }
    }

    /// Where a new key's secret went, if this result made one.
    pub fn new_secret(&self) -> Option<&NewSecret> {
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
            Outcome::Adopted { after, .. } => Some(after),
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

/// Where a new key's secret went: shown in the result (stdout), written to a file, or handed
/// to a command on its standard input (its argv).
#[derive(Debug)]
pub enum NewSecret {
    Shown(String),
    File(std::path::PathBuf),
    Command(Vec<String>),
}

#[derive(Debug)]
pub struct KeyResult {
    pub provider: ProviderKind,
    pub key: String,
    pub outcome: Outcome,
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
    /// `apply`: every kind of write in one table (a new key's secret lines at once, as
    /// `create` prints them, and its row in the table).
    Apply,
}
