//! `keyctl apply -f FILE`: the plan of `keyctl plan` (one listing read per profile), shown and
//! confirmed (`--yes` without a terminal), then made so, profile by profile: creates (each
//! journalled, its secret to its sink or stdout once), updates (update's write path),
//! replacements only with `--replace` (as `rotate`), adoptions of lost creates, and revokes of
//! undeclared keys only with `--prune`. Every declared (and listed) key ends in one status.

mod steps;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::cli::ApplyArgs;
use crate::error::{Error, Result, Sent};
use crate::http::Cancel;
use crate::journal::{self, Account, Journal, Reconciled};
use crate::key::Key;
use crate::keyfile::{KeyFile, Scope};
use crate::outcome::Outcome;
use crate::output;
use crate::plan::{self, Action, KeyPlan, Summary};
use crate::provider::ProviderKind;
use crate::session::Session;
use crate::settings::Global;
use crate::text::sanitize;

use super::report::Reporter;
use super::runner::Tally;
use crate::outcome::Mode;

pub async fn run(global: &Global, args: ApplyArgs, cancel: &Cancel) -> Result<i32> {
    super::no_columns(global, "keyctl apply")?;
    let now = Utc::now();
    // Checked whole before anything is read: a bad file is exit 2 with FILE:LINE.
    let file = crate::keyfile::load_selected(&args.file, global, now)?;
    if !args.yes && !crate::env::interactive() {
        return Err(Error::usage(
            "keyctl apply changes keys and there is no terminal to ask on: add --yes (`keyctl \
             plan -f FILE` shows what it would do); nothing was read or sent",
        ));
    }
    let scopes = read_scopes(global, &file, now, cancel).await?;
    // Every sink of a key to create or replace can take its secret, or nothing is sent.
    crate::keyfile::check_sinks(
        &file,
        scopes
            .iter()
            .filter_map(|s| s.read.as_ref().ok())
            .flat_map(|r| &r.keys)
            .filter(|k| matches!(k.action, Action::Create { .. } | Action::Replace { .. }))
            .filter_map(|k| k.line),
    )?;
    let todo = work(&scopes, &args);
    let shown = show(&scopes, &args);
    if !args.yes && todo > 0 {
        output::tell(&shown);
    } else {
        output::diag(&shown);
    }
    check_caps(&scopes, &args).await?;
    if todo > 0 && !args.yes && !crate::input::confirm("Apply these changes?", cancel).await? {
        return Err(Error::usage(
            "not confirmed; nothing was changed (`keyctl plan -f FILE` shows the plan, --yes \
             skips this question)",
        ));
    }
    let mut totals = Totals::default();
    // One result table for every scope and kind of write (each key recorded in the trail as
    // the write it is, with its profile).
    let mut report = Reporter::writing_as(global, Mode::Apply, None);
    for sc in scopes {
        steps::apply_scope(
            global,
            &args,
            &file,
            sc,
            &mut totals,
            &mut report,
            now,
            cancel,
        )
        .await;
    }
    report.finish();
    Ok(totals.finish(cancel))
}

/// One scope of the file as read: its account's session, listing and journal entries, and
/// its plan; or why it could not be read (its declared keys then fail with that error).
pub(super) struct Scoped {
    pub scope: Scope,
    pub p: ProviderKind,
    pub read: std::result::Result<Read, Error>,
}

/// A scope read: everything its keys' writes need.
pub(super) struct Read {
    pub session: Arc<Session>,
    pub account: Account,
    /// The create journal's pending entries of the account, with what the listing says.
    pub found: Vec<Reconciled>,
    pub keys: Vec<KeyPlan>,
    /// The listing by id (what each key was before its write).
    pub listed: std::collections::HashMap<String, Key>,
}

/// Reads every scope's listing once and plans it; a scope that cannot be read is kept with
/// its error (the others are applied). A signal stops it (nothing sent).
async fn read_scopes(
    global: &Global,
    file: &KeyFile,
    now: DateTime<Utc>,
    cancel: &Cancel,
) -> Result<Vec<Scoped>> {
    let journal = Journal::open().ok();
    let mut out = Vec::new();
    // Each scope's account resolved once, as `plan` does; two scopes naming one account are
    // exit 2 with nothing sent.
    for r in plan::accounts::resolve(global, file, cancel).await? {
        let (scope, p) = (r.scope.clone(), r.p);
        if cancel.is_cancelled() {
            return Err(Error::Interrupted {
                sent: Sent::Nothing,
            });
        }
        let read = match read_scope(global, file, r, journal.as_ref(), now, cancel).await {
            Err(e @ Error::Interrupted { .. }) => return Err(e),
            r => r,
        };
        out.push(Scoped { scope, p, read });
    }
    Ok(out)
}

async fn read_scope(
    global: &Global,
    file: &KeyFile,
    resolved: plan::accounts::Resolved,
    journal: Option<&Journal>,
    now: DateTime<Utc>,
    cancel: &Cancel,
) -> Result<Read> {
    let plan::accounts::Resolved { scope, p, target } = resolved;
    let scope = &scope;
    let profile = scope.profile().and_then(|n| global.config.profile(n));
    let target = target.map_err(|e| super::plan::in_file_terms(e, scope, p, global))?;
    let session = Arc::new(
        super::open_with(global.wire_for(profile), target, cancel)
            .map_err(|e| super::plan::in_file_terms(e, scope, p, global))?,
    );
    let account = Account::new(scope.profile(), p, &session.base);
    let listing = session.listing().await?;
    let found = match journal.map(|j| j.pending(&account)) {
        None => Vec::new(),
        Some(Ok(pending)) if pending.is_empty() => Vec::new(),
        Some(Ok(pending)) => journal::reconcile(&pending, listing),
        Some(Err(e)) => {
            output::warn(&format!(
                "{e} (applied without it: a key a lost create made is not adopted)"
            ));
            Vec::new()
        }
    };
    let declared: Vec<_> = file.in_scope(scope).collect();
    // The very plan `keyctl plan` makes of the same state (a journal entry two keys answer to
    // is `invalid` for that key, exit 2, nothing sent for it).
    let keys = plan::diff_journalled(scope, p, &declared, listing, &found, now)?;
    let listed = listing.iter().map(|k| (k.id.clone(), k.clone())).collect();
    Ok(Read {
        session: session.clone(),
        account,
        found,
        keys,
        listed,
    })
}

/// The date in the name of an (unmanaged) listed key that `rotate` retired, as `check` and
/// `rotate` recognise one (`NAME (rotated out DATE)`, disabled or set to expire): `--prune`
/// leaves it (rotate's grace), and `keyctl revoke` removes it.
pub(super) fn rotated_out_on(read: &Read, id: &str) -> Option<String> {
    let k = read.listed.get(id)?;
    if !crate::criteria::rotated_out(k) {
        return None;
    }
    let name = k.name.value()?;
    let (base, _) = crate::newkey::without_rotated_out(name);
    let date = name[base.len()..]
        .trim_start_matches(" (rotated out ")
        .trim_end_matches(')');
    Some(sanitize(date))
}

/// How many writes the plan asks of this run (adoptions close a journal entry: counted too).
fn work(scopes: &[Scoped], args: &ApplyArgs) -> usize {
    scopes
        .iter()
        .filter_map(|s| s.read.as_ref().ok())
        .flat_map(|r| r.keys.iter().map(move |k| (r, k)))
        .filter(|(r, k)| {
            k.adopt.is_some()
                || match &k.action {
                    Action::Create { .. } | Action::Update { .. } => true,
                    Action::Replace { .. } => args.replace,
                    Action::Unmanaged { id } => args.prune && rotated_out_on(r, id).is_none(),
                    Action::Unchanged { .. } | Action::Invalid { .. } => false,
                }
        })
        .count()
}

/// The plan as `keyctl plan` prints it (text), with what `--replace` and `--prune` add.
fn show(scopes: &[Scoped], args: &ApplyArgs) -> String {
    let mut out = String::new();
    let mut sum = Summary::default();
    for sc in scopes {
        let head = format!("{} ({})", sc.scope.describe(), sc.p.info().name);
        match &sc.read {
            Err(e) => {
                sum.failed += 1;
                out.push_str(&format!("{head}: not read ({e})\n"));
            }
            Ok(r) => {
                let s = summary_of(&r.keys);
                add(&mut sum, &s);
                out.push_str(&format!("{head}: {}\n", s.text()));
                for k in &r.keys {
                    out.push_str(&key_text(sc.p, k, r, args));
                }
            }
        }
    }
    out.push_str(&format!("Plan: {}", sum.text()));
    if sum.replace > 0 && !args.replace {
        out.push_str(" (replacements need --replace: left as they are)");
    }
    let kept = scopes
        .iter()
        .filter_map(|s| s.read.as_ref().ok())
        .flat_map(|r| r.keys.iter().map(move |k| (r, k)))
        .filter(|(r, k)| match &k.action {
            Action::Unmanaged { id } => rotated_out_on(r, id).is_some(),
            _ => false,
        })
        .count();
    let revoked = sum.unmanaged.saturating_sub(kept);
    if revoked > 0 {
        out.push_str(&if args.prune {
            format!(" (--prune: {revoked} to revoke)")
        } else {
            " (unmanaged keys are left alone; --prune revokes them)".to_string()
        });
    }
    if kept > 0 {
        out.push_str(&format!(
            " ({kept} rotated out: kept, --prune leaves keys rotate retired)"
        ));
    }
    out
}

/// One key's lines of the plan (none for a key as declared): a sign, its name and id, the
/// action, each field from → to. With `--prune` an unmanaged key reads as the revoke it is,
/// or as kept when `rotate` retired it.
fn key_text(p: ProviderKind, k: &KeyPlan, r: &Read, args: &ApplyArgs) -> String {
    let name = k.name.as_deref().map_or("(no name)".into(), sanitize);
    let id = k
        .action
        .id()
        .map_or(String::new(), |i| format!(" {}", sanitize(i)));
    let (sign, what) = match &k.action {
        Action::Unchanged { .. } if k.adopt.is_some() => (
            "&",
            "adopt (made by an earlier run whose answer was lost; its secret was never \
             received)"
                .to_string(),
        ),
        Action::Unchanged { .. } => return String::new(),
        Action::Create { .. } => ("+", "create".to_string()),
        Action::Update { .. } => ("~", "update".to_string()),
        Action::Replace { fields, .. } => (
            "-/+",
            format!(
                "replace ({} cannot change {} in place; apply --replace rotates the key)",
                p.info().name,
                fields.join(", ")
            ),
        ),
        Action::Unmanaged { id } => match rotated_out_on(r, id) {
            Some(date) => ("=", format!("kept: rotated out {date} (not in the file)")),
            None if args.prune => ("-", "revoke (not in the file; --prune)".to_string()),
            None => ("?", "unmanaged (not in the file)".to_string()),
        },
        Action::Invalid { error, .. } => ("!", format!("invalid: {error}")),
    };
    let mut out = format!("  {sign} {name}{id}: {what}\n");
    let width = k.drift.iter().map(|d| d.field.len()).max().unwrap_or(0);
    for d in &k.drift {
        let from = match (&k.action, &d.from) {
            (Action::Create { .. }, _) => String::new(),
            (_, Some(v)) => format!("{} ", cell(v)),
            (_, None) => "? ".to_string(),
        };
        out.push_str(&format!(
            "      {:width$}  {from}→ {}\n",
            d.field,
            cell(&d.to)
        ));
    }
    out
}

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => sanitize(s),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|m| m.as_str().map_or_else(|| m.to_string(), sanitize))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

/// A scope's counts, as [`Summary::of`] counts them.
fn summary_of(keys: &[KeyPlan]) -> Summary {
    let mut s = Summary::default();
    for k in keys {
        if k.adopt.is_some() {
            s.adopt += 1;
        }
        match k.action {
            Action::Unchanged { .. } if k.adopt.is_some() => {}
            Action::Create { .. } => s.create += 1,
            Action::Update { .. } => s.update += 1,
            Action::Unchanged { .. } => s.unchanged += 1,
            Action::Replace { .. } => s.replace += 1,
            Action::Unmanaged { .. } => s.unmanaged += 1,
            Action::Invalid { .. } => s.invalid += 1,
        }
    }
    s
}

fn add(to: &mut Summary, s: &Summary) {
    to.create += s.create;
    to.update += s.update;
    to.replace += s.replace;
    to.unchanged += s.unchanged;
    to.unmanaged += s.unmanaged;
    to.invalid += s.invalid;
    to.adopt += s.adopt;
    to.failed += s.failed;
}

/// A provider's cap on active keys (Venice: 500): a plan whose creates (and successors, with
/// `--replace`) would pass it is refused before anything is sent (exit 2), counted in the
/// scope's listing already read.
async fn check_caps(scopes: &[Scoped], args: &ApplyArgs) -> Result<()> {
    for sc in scopes {
        let Ok(r) = &sc.read else { continue };
        if sc.p.info().max_keys.is_none() {
            continue;
        }
        let adding = r
            .keys
            .iter()
            .filter(|k| match k.action {
                Action::Create { .. } => k.adopt.is_none(),
                Action::Replace { .. } => args.replace,
                _ => false,
            })
            .count();
        if adding > 0 {
            super::lifecycle::check_room(&r.session, adding)
                .await
                .map_err(|e| Error::usage(format!("{}: {e}", sc.scope.describe())))?;
        }
    }
    Ok(())
}

/// What the run did, over every scope: each key's status counted, the exit code's worst
/// failure, and the replacements left for `--replace`.
#[derive(Default)]
pub(super) struct Totals {
    pub tally: Tally,
    pub statuses: BTreeMap<&'static str, usize>,
    /// Replacements planned and not made (no `--replace`): the exit says changes remain.
    pub left: usize,
}

impl Totals {
    pub fn count(&mut self, o: &Outcome) {
        self.tally.total += 1;
        self.tally.count(o);
        // A key made whose secret was not delivered, or whose follow-up (`disabled = true`)
        // failed, is not as declared: the summary does not count it with the clean creates.
        let status = match o {
            Outcome::Created { error: Some(_), .. } => "created with an error (see above)",
            _ => o.status(),
        };
        *self.statuses.entry(status).or_default() += 1;
    }

    /// Prints the summary on stderr and gives the exit code: the worst failure's, else
    /// [`plan::CHANGES`] when replacements were left, else 0 (a signal's code is set by the
    /// caller).
    fn finish(&self, cancel: &Cancel) -> i32 {
        let mut line = format!(
            "apply: {}",
            self.statuses
                .iter()
                .map(|(s, n)| format!("{n} {}", s.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if self.left > 0 {
            line.push_str(&format!(
                "; {} replacement{} left (apply --replace makes {})",
                self.left,
                if self.left == 1 { "" } else { "s" },
                if self.left == 1 { "it" } else { "them" }
            ));
        }
        if let Some(sig) = cancel.signal() {
            output::error(&format!(
                "stopped by {}: no new write was started; {line} (-o json lists every key with \
                 its status)",
                super::signal_name(sig)
            ));
        } else if self.left > 0 {
            // Changes remain (exit 10): said even with -q, as cron mails output, not codes.
            output::warn_even_if_quiet(&line);
        } else {
            output::diag(&line);
        }
        match self.tally.code() {
            0 if self.left > 0 => plan::CHANGES,
            c => super::lifecycle::delivered(c),
        }
    }
}
