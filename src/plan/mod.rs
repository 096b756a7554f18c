//! The plan of `keyctl plan` (and of the `apply` built on it): declared keys against the keys
//! a provider has, matched by name, one [`Action`] per key, each carrying what an apply sends
//! (the [`Patch`] of an update, the [`NewKey`] of a create or a replacement, the declared
//! [`Sink`] for its secret). Pure: reading the listings and printing are the command's. The
//! field-by-field comparison is in `diff`, the JSON form in `json`.

pub mod accounts;
mod diff;
mod json;

use serde_json::Value;

use crate::error::Error;
use crate::keyfile::{Scope, Sink};
use crate::newkey::NewKey;
use crate::patch::Patch;
use crate::provider::ProviderKind;

pub use diff::{diff, diff_journalled};
pub use json::{key_json, scope_error_json, summary_json};

/// `keyctl plan`'s exit code when the plan has changes to make (every scope read), as
/// `terraform plan -detailed-exitcode`'s 2.
pub const CHANGES: i32 = 10;

/// One field that differs: its name in the key file (`limit_diem`), the value read (`None`:
/// not known, or the key does not exist yet) and the declared one, both in the file's terms
/// (`"none"`, `"never"`, `"all"`, amounts as numbers).
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub field: &'static str,
    pub from: Option<Value>,
    pub to: Value,
}

/// What a plan does to one key.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Not at the provider: create it (`new`), then send `then` when it is not empty (a
    /// setting a create cannot carry: `disabled = true`), and give its secret to `sink`
    /// (`None`: stdout, as `create` does).
    Create {
        new: NewKey,
        then: Patch,
        sink: Option<Sink>,
    },
    /// At the provider and differs in fields it changes in place: `patch` sets exactly
    /// those.
    Update { id: String, patch: Patch },
    /// At the provider as declared.
    Unchanged { id: String },
    /// At the provider and differs in a field it cannot change in place (`fields`, e.g.
    /// `expires` on the OpenRouter-style providers, a Venice key's `type`): done by rotation
    /// (`apply --replace`): `new` is the successor (the declared settings over the old key's),
    /// `then` and `sink` as for a create.
    Replace {
        id: String,
        fields: Vec<&'static str>,
        new: NewKey,
        then: Patch,
        sink: Option<Sink>,
    },
    /// At the provider, not in the file: left alone (`apply --prune` revokes it).
    Unmanaged { id: String },
    /// Declared, but no request for it can be made as written (a moment already past that
    /// differs from the key's): exit 2 for this key, the others planned.
    Invalid { id: Option<String>, error: Error },
}

impl Action {
    /// The word the plan shows and its JSON's `action`.
    pub fn word(&self) -> &'static str {
        match self {
            Action::Create { .. } => "create",
            Action::Update { .. } => "update",
            Action::Unchanged { .. } => "unchanged",
            Action::Replace { .. } => "replace",
            Action::Unmanaged { .. } => "unmanaged",
            Action::Invalid { .. } => "invalid",
        }
    }

    /// The key's id at the provider, when it has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Action::Update { id, .. }
            | Action::Unchanged { id }
            | Action::Replace { id, .. }
            | Action::Unmanaged { id } => Some(id),
            Action::Invalid { id, .. } => id.as_deref(),
            Action::Create { .. } => None,
        }
    }

    /// Whether an apply would send anything for it (without `--prune`).
    pub fn is_change(&self) -> bool {
        matches!(
            self,
            Action::Create { .. } | Action::Update { .. } | Action::Replace { .. }
        )
    }
}

/// A create an earlier run started and never heard back from (the create journal's pending
/// entry): when the plan finds a key of that name, the key is that create's, to adopt, not to
/// make again. [`diff_journalled`] fills these from the journal's verdicts (`name`: the
/// adopted key's name at the provider); the plan only matches them.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub scope: Scope,
    pub name: String,
    /// The run that started the create (its audit trail run id).
    pub run: String,
}

/// One key's plan.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPlan {
    /// The declared name (or the key's name at the provider, for an unmanaged key; `None`
    /// when it has none).
    pub name: Option<String>,
    /// The line of its `[[key]]` in the file; `None` for an unmanaged key.
    pub line: Option<usize>,
    pub action: Action,
    /// Each field that differs, from → to (for a create: each declared setting).
    pub drift: Vec<Drift>,
    /// The journal's entry when this key is a lost create of an earlier run, found by name:
    /// apply adopts it (closes the entry; its secret was never received) instead of making it
    /// again.
    pub adopt: Option<Pending>,
}

impl KeyPlan {
    /// The word the plan shows for this key and its JSON's `action`: the action's, but
    /// `adopt` for a key an earlier run's lost create made that is otherwise as declared.
    pub fn word(&self) -> &'static str {
        match (&self.action, &self.adopt) {
            (Action::Unchanged { .. }, Some(_)) => "adopt",
            (a, _) => a.word(),
        }
    }
}

/// The line a plan shows for a key to adopt (`rotate`: the command that gives it a secret).
pub fn adopt_message(a: &Pending, rotate: &str) -> String {
    format!(
        "created by an earlier run ({}) whose answer was lost; its secret was never received: \
         rotate it to get one (`{rotate}`)",
        crate::text::sanitize(&a.run)
    )
}

/// One scope's plan (a profile, or a provider with its own credential): its keys', or why its
/// listing could not be read (the other scopes are planned all the same).
#[derive(Debug)]
pub struct ScopePlan {
    pub scope: Scope,
    pub provider: ProviderKind,
    pub keys: Result<Vec<KeyPlan>, Error>,
    /// The create journal's pending entries of the scope's account, each with what its
    /// listing says (empty when it was not read). A plan only reads them; apply closes them
    /// (`Journal::close_found`) once it has acted on the keys they name.
    pub journal: Vec<crate::journal::Reconciled>,
}

/// The counts of a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub unchanged: usize,
    pub unmanaged: usize,
    pub invalid: usize,
    pub adopt: usize,
    /// Scopes whose listing could not be read.
    pub failed: usize,
    /// Scopes read but not planned: their listing cannot be matched by name (two keys share a
    /// declared name).
    pub unplanned: usize,
}

impl Summary {
    pub fn of(plans: &[ScopePlan]) -> Summary {
        let mut s = Summary::default();
        for p in plans {
            let keys = match &p.keys {
                Ok(keys) => keys,
                Err(e) if e.exit_code() == 2 => {
                    s.unplanned += 1;
                    continue;
                }
                Err(_) => {
                    s.failed += 1;
                    continue;
                }
            };
            for k in keys {
                if k.adopt.is_some() {
                    s.adopt += 1;
                }
                match k.action {
                    // Counted once, as the key to adopt it is.
                    Action::Unchanged { .. } if k.adopt.is_some() => {}
                    Action::Create { .. } => s.create += 1,
                    Action::Update { .. } => s.update += 1,
                    Action::Unchanged { .. } => s.unchanged += 1,
                    Action::Replace { .. } => s.replace += 1,
                    Action::Unmanaged { .. } => s.unmanaged += 1,
                    Action::Invalid { .. } => s.invalid += 1,
                }
            }
        }
        s
    }

    /// Whether an apply has anything to do (creates, updates, replacements, adoptions).
    pub fn has_changes(&self) -> bool {
        self.create + self.update + self.replace + self.adopt > 0
    }

    /// `2 to create, 1 to update, 0 to replace, 40 unchanged, 3 unmanaged`.
    pub fn text(&self) -> String {
        let mut parts = vec![
            format!("{} to create", self.create),
            format!("{} to update", self.update),
            format!("{} to replace", self.replace),
            format!("{} unchanged", self.unchanged),
            format!("{} unmanaged", self.unmanaged),
        ];
        if self.adopt > 0 {
            parts.push(format!("{} to adopt", self.adopt));
        }
        if self.invalid > 0 {
            parts.push(format!("{} invalid", self.invalid));
        }
        if self.failed > 0 {
            parts.push(format!(
                "{} profile{} not read",
                self.failed,
                if self.failed == 1 { "" } else { "s" }
            ));
        }
        if self.unplanned > 0 {
            parts.push(format!(
                "{} profile{} not planned",
                self.unplanned,
                if self.unplanned == 1 { "" } else { "s" }
            ));
        }
        parts.join(", ")
    }
}

/// The plan's exit code: a scope that could not be read wins (credential 3, then network 8,
/// then the first other), then an invalid key (2), then [`CHANGES`] when there is anything to
/// do, else 0.
pub fn exit_code(plans: &[ScopePlan]) -> i32 {
    let codes: Vec<i32> = plans
        .iter()
        .filter_map(|p| p.keys.as_ref().err().map(Error::exit_code))
        .collect();
    let worst = [3, 8]
        .into_iter()
        .find(|c| codes.contains(c))
        .or_else(|| codes.first().copied());
    let s = Summary::of(plans);
    match worst {
        Some(code) => code,
        None if s.invalid > 0 => 2,
        None if s.has_changes() => CHANGES,
        None => 0,
    }
}

#[cfg(test)]
mod tests;
