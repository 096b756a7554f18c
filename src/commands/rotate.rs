//! `keyctl rotate`: for each key, read it, create a successor with its settings (the flags
//! given override them), show the new secret as `create` does, then revoke, disable, expire or
//! keep the old key. A failed create leaves the old key alone; a failed old-key step is
//! reported with both ids and a non-zero exit.

mod old_key;

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::lifecycle::{self, Made, Pacer};
use super::report::Reporter;
use super::runner::Tally;
use crate::cli::{KeySelection, OldKeyArg, RotateArgs};
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::key;
use crate::newkey::{self, NewKey};
use crate::outcome::{KeyResult, Mode, NewSecret, Outcome};
use crate::output;
use crate::patch::{KeyType, Patch};
use crate::provider::ProviderKind;
use crate::session::Session;
use crate::settings::{self, Global};
use old_key::{default_old, describe_old, name_held, name_kept, not_as_asked, old_step};

/// The old key's expiry after `rotate` by default, where the provider can change expiry.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(24 * 3600);

pub async fn run(global: &Global, args: RotateArgs, cancel: &Cancel) -> Result<i32> {
    let RotateArgs {
        select:
            KeySelection {
                keys,
                from_file,
                match_glob,
            },
        old,
        yes,
        secret_file,
        secret_command,
        change,
        dry_run,
    } = args;
    settings::check_stdin(from_file.as_deref(), global)?;
    let target = global.target(cancel).await?;
    let p = target.p;
    let now = Utc::now();
    let (name, over) = lifecycle::settings("rotate", change, now)?;
    let refs = super::keys::gather(keys, from_file.as_deref(), cancel).await?;
    if match_glob.is_some() && !yes && !dry_run && !crate::env::interactive() {
        return Err(Error::usage(
            "--match selects keys to rotate and there is no terminal to ask on: add --yes (or \
             --dry-run to see them first); nothing was read or changed",
        ));
    }
    let sel = target.selector(global);
    let s = super::open(global, target, cancel)?;
    let mut keys = super::keys::resolve_in(&s, refs, None, "nothing was changed").await?;
    if let Some(glob) = match_glob.as_deref() {
        // Keys rotate retired (`NAME (rotated out DATE)`, disabled or expiring) are left out, as
        // `check` leaves them out: a successor of one would take the name its own successor
        // has. Named one by one they are still rotated.
        let matched =
            super::keys::resolve_in(&s, Vec::new(), Some(glob), "nothing was changed").await?;
        let retired: std::collections::HashSet<&str> = s
            .listing()
            .await?
            .iter()
            .filter(|k| crate::criteria::rotated_out(k))
            .map(|k| k.id.as_str())
            .collect();
        let (out, kept): (Vec<String>, Vec<String>) = matched
            .into_iter()
            .partition(|k| retired.contains(k.as_str()));
        if !out.is_empty() {
            output::diag(&format!(
                "--match: left out {} key(s) rotate retired ('(rotated out DATE)' names; \
                 name one to rotate it anyway)",
                out.len()
            ));
        }
        keys.extend(kept);
        keys = super::keys::unique_keys(keys);
    }
    if keys.is_empty() {
        output::warn("no key to rotate (--match selected none)");
        return Ok(0);
    }
    if name.is_some() && keys.len() > 1 {
        return Err(Error::usage(
            "--name names one successor: rotate one key per run with it, or leave it out (each \
             successor is then named after its old key)",
        ));
    }
    let sink = lifecycle::sink("rotate", secret_file, secret_command.as_deref(), keys.len())?;
    lifecycle::check_columns(global, sink.is_some())?;
    check_secret_before_status(global, sink.is_some())?;
    let base = s.base.clone();
    let old = match old {
        Some(o) => o,
        None => default_old(p, &base, now),
    };
    // Every key id and the old-key step are checked before anything is sent.
    super::keys::check_keys(&keys, "nothing was changed", |k| {
        p.build_get(&base, k)?;
        old_step(p, &base, "", k, &old, None, now).map(drop)
    })?;
    // The successor's settings as flags alone give them (a check of unsupported flags).
    p.build_create(
        &base,
        &NewKey {
            name: name.clone().unwrap_or_else(|| "check".into()),
            kind: None,
            settings: over.clone(),
        },
    )?;
    let revoking = old == OldKeyArg::Revoke;
    if revoking && !yes && !dry_run && !crate::env::interactive() {
        return Err(Error::usage(
            "--old revoke deletes the old keys for good and there is no terminal to ask on: add \
             --yes (or leave --old out: the default step can be undone); nothing was changed",
        ));
    }
    if !yes && !dry_run && crate::env::interactive() && (keys.len() > 1 || revoking) {
        output::tell(&format!(
            "{p}: about to rotate {} key(s): each gets a successor with its settings, then the \
             old key is {}{}:",
            keys.len(),
            describe_old(&old),
            if revoking {
                " (deleted for good: this cannot be undone)"
            } else {
                ""
            }
        ));
        for k in keys.iter().take(20) {
            output::tell(&format!("  {}", crate::text::sanitize(k)));
        }
        if keys.len() > 20 {
            output::tell(&format!("  ... and {} more", keys.len() - 20));
        }
        if !crate::input::confirm("Rotate?", cancel).await? {
            return Err(Error::usage(
                "not confirmed; nothing was changed (--dry-run shows the plan, --yes skips this question)",
            ));
        }
    }
    let mut file = match dry_run {
        false => lifecycle::ready(global, sink.as_ref())?,
        true => None,
    };
    let journal = super::adopt::Journalled::open(global, &s, "rotate", &sel)?;
    let job = Rotation {
        p,
        s: &s,
        journal,
        sel,
        old,
        name,
        over,
        now,
        dry_run,
        verbose: global.view.verbose,
    };
    s.prefer_listing(keys.len(), cancel).await;
    let mut report = Reporter::writing(global, Mode::Rotate, !dry_run);
    let mut tally = Tally::new(keys.len());
    let mut pacer = Pacer::new(p);
    let total = keys.len();
    let mut stopped = false;
    // Every id this run names (old keys, successors made), as ids compare.
    let mut seen: std::collections::HashSet<String> =
        keys.iter().map(|k| same_id_form(k)).collect();
    for key in keys {
        // A secret that could not be delivered would be followed by every later one: no more
        // successors are made to be lost (and no more old keys touched).
        stopped |= output::secret_undelivered();
        let outcome = if cancel.is_cancelled() || stopped {
            Outcome::NotAttempted
        } else {
            job.one(&key, &mut pacer, &mut file, &mut report, &mut seen, cancel)
                .await
        };
        tally.count(&outcome);
        report.push(KeyResult {
            provider: p,
            key,
            outcome,
        });
    }
    report.finish();
    if let Some(f) = file {
        f.discard_unused();
    }
    if stopped && total > 1 {
        output::error(&format!(
            "{p}: stopped rotating keys: a new key's secret could not be delivered (see above), \
             and every later secret would be lost the same way; the keys not attempted are \
             untouched (-o json lists every key with its status)"
        ));
    }
    Ok(lifecycle::delivered(tally.report(
        p,
        if dry_run { "would rotate" } else { "rotated" },
        cancel,
    )))
}

/// An id as ids compare: invisible characters, controls and white space removed, percent-escapes
/// decoded, lower case, and a UUID in one spelling whatever way it was written (hyphens,
/// braces, `urn:uuid:`, case: `uuid`'s own parser).
pub(super) fn same_id_form(id: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
    let visible: String = decoded
        .chars()
        .filter(|c| !crate::visible::is_invisible(*c) && !c.is_control() && !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    match uuid::Uuid::parse_str(&visible) {
        Ok(u) => u.simple().to_string(),
        Err(_) => visible,
    }
}

/// TSV `--columns` must put `secret` before `status` when the secret goes to stdout: a row's
/// cells up to the secret are written before the old key is touched, and its status is known
/// only after.
fn check_secret_before_status(global: &Global, to_file: bool) -> Result<()> {
    let v = &global.view;
    let (Some(cols), output::Format::Tsv, false) = (&v.columns, v.format, to_file) else {
        return Ok(());
    };
    // Without `secret` at all, `lifecycle::check_columns` has refused the run already.
    if cols.iter().any(|c| c.name == "secret") && !output::columns::secret_before_status(cols) {
        return Err(Error::usage(
            "--columns puts status before secret: rotate writes each row up to the new secret \
             before it touches the old key, and the status is known only after; put secret \
             first (e.g. --columns id,secret,status); nothing was changed",
        ));
    }
    Ok(())
}

/// Everything one key's rotation needs.
pub(super) struct Rotation<'a> {
    p: ProviderKind,
    s: &'a Session,
    /// The create journal: each successor's create is journalled, and a successor an earlier
    /// rotation of the key made and lost the answer to is adopted.
    journal: super::adopt::Journalled,
    /// The options that name the account in a command to run by hand (`-P NAME`, ...).
    sel: String,
    old: OldKeyArg,
    /// `--name`: the successor's name (one key only).
    name: Option<String>,
    /// The flags given: they override the old key's settings.
    over: Patch,
    now: DateTime<Utc>,
    dry_run: bool,
    verbose: bool,
}

impl<'a> Rotation<'a> {
    /// `apply --replace` of one key: its successor named `name` (the declared name) with the
    /// settings `over` (the declared ones over the old key's), then the old key's default step
    /// (as `rotate` without `--old`).
    pub(super) fn for_apply(
        s: &'a Session,
        journal: super::adopt::Journalled,
        sel: String,
        name: String,
        over: Patch,
        now: DateTime<Utc>,
    ) -> Rotation<'a> {
        Rotation {
            p: s.p,
            s,
            journal,
            sel,
            old: default_old(s.p, &s.base, now),
            name: Some(name),
            over,
            now,
            dry_run: false,
            verbose: false,
        }
    }

    /// One key's rotation. When the successor's secret goes to stdout, the part of the record
    /// that holds it is written through `report` before the old key is touched (the next
    /// `push` finishes it): the old key's step is sent only once the secret was delivered.
    pub(super) async fn one(
        &self,
        key: &str,
        pacer: &mut Pacer,
        file: &mut Option<crate::sink::Ready>,
        report: &mut Reporter,
        seen: &mut std::collections::HashSet<String>,
        cancel: &Cancel,
    ) -> Outcome {
        let p = self.p;
        let before = match self.s.read(key).await {
            Ok(k) => k,
            Err(e @ Error::NotFound { .. }) => return Outcome::NotFound(e),
            Err(Error::Interrupted { .. }) => return Outcome::NotAttempted,
            Err(e) => return Outcome::Failed(e),
        };
        // A read that did not find the key's settings (io.net: a key its list of active keys
        // lacks) cannot be copied: a successor without them could use every model, or expire
        // on the provider's default.
        if !before.name.is_known() {
            return Outcome::Failed(Error::Provider {
                provider: p.info().name,
                status: None,
                message: format!(
                    "the key's settings could not be read in full ({}), so they cannot be copied \
                     to a successor; nothing was created. Check it with `keyctl get`, or make a \
                     new key with `keyctl create`",
                    if p.adapter().get_completes_from_list() {
                        "it is not in the provider's list of active keys: expired or revoked?"
                    } else {
                        "the answer has no name"
                    }
                ),
            });
        }
        // The old key's exact name (it is renamed `NAME (rotated out DATE)` in its step), or
        // `--name`.
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| newkey::successor_name(before.name.value().map(String::as_str)));
        // A retired key's successor takes the name without ` (rotated out DATE)`: a name
        // another key has now (most often the retired key's own successor) is not given twice.
        if self.name.is_none()
            && let Some(held) = name_held(self.s, key, &before, &name).await
        {
            return held;
        }
        let kind: Option<KeyType> = p.adapter().key_type(&before);
        // Venice keys have a type: a successor made without it would get the provider's
        // default (INFERENCE), not the old key's.
        if kind.is_none() && p.info().id == "venice" {
            return Outcome::Failed(Error::Provider {
                provider: p.info().name,
                status: None,
                message: format!(
                    "the old key's apiKeyType could not be read ({}), so the successor's type \
                     (ADMIN or INFERENCE) is not known; nothing was created. Make the new key \
                     with `keyctl create -p venice --type ...` and retire the old one by hand",
                    before
                        .raw
                        .get("apiKeyType")
                        .map_or_else(|| "absent".to_string(), crate::text::describe)
                ),
            });
        }
        // The successor's settings, each read in full (what this provider's create carries).
        let builds = |n: &NewKey| p.build_create(&self.s.base, n).is_ok();
        let new = match NewKey::successor(
            p.info().name,
            &before,
            name,
            kind,
            &self.over,
            self.now,
            &builds,
        ) {
            Ok(n) => n,
            Err(e) => return Outcome::Failed(e),
        };
        let planned = match lifecycle::plan(p, &self.s.base, new) {
            Ok(x) => x,
            Err(e) => return Outcome::Failed(e),
        };
        let step = match old_step(
            p,
            &self.s.base,
            &self.sel,
            key,
            &self.old,
            Some(&before),
            self.now,
        ) {
            Ok(x) => x,
            Err(e) => return Outcome::Failed(e),
        };
        let kept_name = name_kept(p, &self.sel, key, &before, &step, self.now);
        if self.dry_run {
            let after = lifecycle::predicted(p, &planned.new);
            let mut notes = vec![match &step.renamed {
                Some(n) => format!(
                    "then the old key: {}, renamed '{}'",
                    step.words,
                    crate::text::sanitize(n)
                ),
                None => format!("then the old key: {}", step.words),
            }];
            notes.extend(kept_name);
            if let (true, Some(r)) = (self.verbose, &step.req) {
                notes.push(format!(
                    "  {} {} {}",
                    r.method.as_str(),
                    r.url,
                    r.body.as_ref().map(output::json_line).unwrap_or_default()
                ));
            }
            return Outcome::DryRun {
                changes: key::changes(
                    Some(&before),
                    &after,
                    &lifecycle::touched(&planned.new.settings),
                ),
                before: Some(Box::new(before)),
                after: Box::new(after),
                req: Box::new(planned.req),
                notes,
            };
        }
        if let Some(adopted) = self
            .journal
            .adopt_successor(self.s, key, &planned.new.name)
            .await
        {
            return adopted;
        }
        if !pacer.turn(cancel).await {
            return Outcome::NotAttempted;
        }
        let mut begun = None;
        if let Err(e) = self
            .journal
            .begin(&planned.new.name, &[key.to_string()], &mut begun)
        {
            return Outcome::Failed(e);
        }
        let (after, secret, failure) =
            match lifecycle::create(self.s, &planned.req, file, cancel).await {
                Made::Key(k, s, f) => (k, s, f),
                // Nothing happened to the old key.
                Made::Not(o) => {
                    self.journal.settle(begun, &o);
                    return o;
                }
            };
        self.journal.made(begun);
        let new_id = after.id.clone();
        // Venice caps are read back after the secret is delivered (the create answer can echo
        // them wrong): the record's state follows its secret on stdout.
        let check = super::create::reads_back(p, &planned.req, &new_id);
        if check {
            report.hold_state();
        }
        // The new id as an id (invisible characters, case, hyphens, braces and `urn:uuid:`
        // set aside): one that names a key of this run (the old key, another old key, a
        // successor made before) is not a new key.
        let canon = same_id_form(&new_id);
        let clash = canon.is_empty() || !seen.insert(canon);
        let mut r = KeyResult {
            provider: p,
            key: key.to_string(),
            outcome: Outcome::Rotated {
                before: Box::new(before),
                after,
                secret,
                old: step.words.clone(),
                error: None,
            },
        };
        // What must be true before the old key is touched: the new secret delivered (in its
        // file, synced and still linked there; or written and flushed to stdout, before the
        // step) and the new key not the old key itself.
        let new_shown = crate::text::sanitize(&new_id);
        let undelivered = |why: String, next: String| Error::Undelivered {
            new: new_shown.clone(),
            why,
            next: format!(
                "the old key {} was left as it is and still works: {next}",
                crate::text::sanitize(key)
            ),
        };
        let lost = format!(
            "revoke the new key (`keyctl revoke {} {new_shown} --yes`) and rotate again",
            self.sel
        );
        // A secret its file could not take is to be on stdout, and nothing follows it: the
        // record says `partial` from its first part on.
        if let (Some(f), Outcome::Rotated { error, .. }) = (&failure, &mut r.outcome) {
            *error = Some(undelivered(f.0.clone(), String::new()));
        }
        // The record's part up to the secret (or the file it is in) goes out first.
        let delivered = report.push_secret_first(&r);
        // Where the secret went when not to stdout: its file, or its command.
        let placed = match &r.outcome {
            Outcome::Rotated {
                secret: NewSecret::File(_),
                ..
            } => Some(("is in its file", "take the secret from its file")),
            Outcome::Rotated {
                secret: NewSecret::Command(_),
                ..
            } => Some((
                "was handed to its command",
                "the secret is where its command put it",
            )),
            _ => None,
        };
        let held: Option<Error> = match (failure, delivered) {
            (Some(f), true) => Some(undelivered(
                format!("{}; it is shown on stdout instead", f.0),
                if step.by_hand.is_empty() {
                    "store the secret where it belongs".into()
                } else {
                    format!(
                        "store the secret where it belongs, then finish with `{}`",
                        step.by_hand
                    )
                },
            )),
            (Some(f), false) => Some(undelivered(
                format!(
                    "{}, and stdout could not take it either, so it is lost",
                    f.0
                ),
                lost,
            )),
            // The secret is in its file; the record naming the new key is not out.
            (None, false) if placed.is_some() => {
                let (went, take) = placed.unwrap_or_default();
                Some(undelivered(
                    format!(
                        "its secret {went}, but the result naming the new key could not be \
                         written to stdout"
                    ),
                    if step.by_hand.is_empty() {
                        take.into()
                    } else {
                        format!("{take}, then finish with `{}`", step.by_hand)
                    },
                ))
            }
            (None, false) => Some(undelivered(
                "could not write the new secret to stdout, so it is lost".into(),
                lost,
            )),
            (None, true) if clash && new_id.trim().is_empty() => Some(Error::Provider {
                provider: p.info().name,
                status: None,
                message: format!(
                    "the create answer has no id for the new key, so it cannot be told from the \
                     old key: the old key was left as it is (it would have been {}); find the \
                     new key with `keyctl list {}`",
                    step.words, self.sel
                ),
            }),
            (None, true) if clash => Some(Error::Provider {
                provider: p.info().name,
                status: None,
                message: format!(
                    "the create was answered with the id of a key this run already names ({}: \
                     the old key's own id, another old key's, or an earlier successor's) as the \
                     new key's, so the old key was left as it is (it would have been {}); check \
                     with `keyctl list {}`",
                    crate::text::sanitize(&new_id),
                    step.words,
                    self.sel
                ),
            }),
            (None, true) => None,
        };
        // The successor holds the caps copied to it, as read back (not as the create answer
        // echoed them): else, or when it cannot be read back, the old key is kept.
        let held = match held {
            None if check => {
                let sent = planned.req.body.clone().unwrap_or_default();
                let (read, doubt) = match super::create::read_back(self.s, &sent, &new_id).await {
                    super::create::ReadBack::Same(k) => (Some(k), None),
                    super::create::ReadBack::Differs(k, what) => (
                        Some(k),
                        Some(format!(
                            "the successor {new_shown}, read back, does not hold the caps sent \
                            ({}), so it does not hold the old key's",
                            crate::text::sanitize(&what.join("; "))
                        )),
                    ),
                    super::create::ReadBack::Failed(e) => (
                        None,
                        Some(format!(
                            "the successor {new_shown} could not be read back to check that it \
                            holds the old key's caps ({e}; the caps shown are the create \
                            answer's, which can be wrong)"
                        )),
                    ),
                };
                // Runnable as given: the caps sent (a cap read back where none was sent
                // cleared), then the old key's own step (none with `--old keep`).
                let set = format!(
                    "keyctl update {} {new_shown} {}",
                    self.sel,
                    crate::provider::venice::caps_flags(&sent, read.as_deref())
                );
                if let (Some(k), Outcome::Rotated { after, .. }) = (read, &mut r.outcome) {
                    *after = k;
                }
                doubt.map(|why| Error::Provider {
                    provider: p.info().name,
                    status: None,
                    message: format!(
                        "{why}; the old key was left as it is (it would have been {}). Give the \
                        successor the caps (`{set}`){}; or revoke the successor (`keyctl revoke \
                        {} {new_shown} --yes`) and rotate again",
                        step.words,
                        if step.by_hand.is_empty() {
                            String::new()
                        } else {
                            format!(", then retire the old key (`{}`)", step.by_hand)
                        },
                        self.sel
                    ),
                })
            }
            other => other,
        };
        if let Some(e) = held {
            if let Outcome::Rotated { error, old, .. } = &mut r.outcome {
                *old = format!("left as it is (was to be {})", step.words);
                *error = Some(e);
            }
            return r.outcome;
        }
        let error = match &step.req {
            None => None,
            // The answer is read as `revoke` and `update` read it: a 2xx that says the step
            // failed (`success: false`, io.net `status` not succeeded), or shows the key not
            // as asked, is not done.
            Some(req) => match self.s.send(req).await {
                Ok(body) if req.method == crate::request::Method::Delete => {
                    p.adapter().parse_delete(p.info(), &body).err()
                }
                Ok(body) => {
                    let sent = req.body.clone().unwrap_or_default();
                    match p.parse_update(key, &sent, &body) {
                        Ok(k) => not_as_asked(p, &k, &step.expect),
                        Err(e) => Some(e),
                    }
                }
                Err(e) => Some(e),
            },
        };
        let secret_at = match &r.outcome {
            Outcome::Rotated {
                secret: NewSecret::File(path),
                ..
            } => format!(
                "its secret is in {}",
                crate::text::sanitize(&path.display().to_string())
            ),
            Outcome::Rotated {
                secret: NewSecret::Command(argv),
                ..
            } => format!(
                "its secret was handed to `{}`",
                crate::text::sanitize(&argv.join(" "))
            ),
            _ => "its secret is on stdout".into(),
        };
        let error = error.map(|cause| Error::OldKey {
            new: format!(
                "{} was created ({secret_at})",
                crate::text::sanitize(&new_id)
            ),
            old: key.to_string(),
            step: match self.old {
                OldKeyArg::ExpireIn(_) => "set to expire".into(),
                _ => step.words.clone(),
            },
            next: step.by_hand.clone(),
            cause: Box::new(cause),
        });
        if let (None, Some(n)) = (&error, &kept_name) {
            output::warn(&format!("{p}: {n}"));
        }
        if let Outcome::Rotated { error: e, .. } = &mut r.outcome {
            *e = error;
        }
        r.outcome
    }
}
