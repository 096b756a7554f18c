//! `keyctl update`: gather the keys (arguments, `--from-file`, `--match`), check every request
//! before anything is sent, then read (where the change needs the current state), build and
//! send each key's change through the runner.

use std::sync::Arc;

use chrono::Utc;

use super::keys;
use super::runner::{KeyJob, Runner, outcome_of};
use crate::cli::UpdateArgs;
use crate::error::{Error, Result};
use crate::http::{Cancel, Http};
use crate::key::{self, Key};
use crate::output::{self, Outcome, Printer};
use crate::patch::{Amount, Change, Patch, Relative, RelativeOutcome};
use crate::provider::{BaseUrl, ProviderKind};
use crate::session::Session;
use crate::settings::{self, Global, Update};

pub async fn run(global: &Global, args: UpdateArgs, cancel: &Cancel) -> Result<i32> {
    // Standard input is read once; then the credential first: it is registered for masking
    // before any message can echo input.
    settings::check_stdin(args.from_file.as_deref(), global)?;
    let target = global.target(cancel).await?;
    let Update {
        keys,
        from_file,
        match_glob,
        yes,
        concurrency,
        max_failures,
        patch,
        relative,
        dry_run,
    } = Update::from_args(args, global, Utc::now())?;
    let p = target.p;
    let refs = keys::gather(keys, from_file.as_deref(), cancel).await?;
    // Check every flag before anything is read or sent (placeholder for a relative limit); the
    // keys are checked once they are resolved to ids.
    let mut probe = patch.clone();
    if relative.is_some() {
        probe.limit = Change::Set(Amount::zero());
    }
    p.build_update(&target.base, p.info().sample_key, &probe)?;
    let by_listing = match_glob.is_some() || refs.iter().any(|r| !keys::is_full_id(p, r));
    let merge = p.needs_current(&patch, relative.is_some());
    for w in p.warnings(&patch) {
        output::warn(&w);
    }
    let env = match &target.source {
        crate::config::Source::Env(v) => v.clone(),
        _ => p.info().credential_env.to_string(),
    };
    // A dry run reads each key's current state when it can (a credential is set), so the plan
    // shows `from → to`; without one it shows `?` for what it cannot know.
    let has_credential = matches!(target.credential, Ok(Some(_)));
    let needs_read = relative.is_some() || merge || (dry_run && has_credential);
    let needs_session = !dry_run || needs_read || by_listing;
    let hint = target.hint();
    let missing = settings::missing(p, &target.source, target.profile.as_deref());
    let secret = match target.credential {
        Ok(Some(s)) => Some(s),
        Ok(None) if !needs_session => {
            output::warn(&format!("{env} is not set (needed for a real run)"));
            None
        }
        Ok(None) if dry_run && merge && relative.is_none() && !by_listing => {
            output::warn(&format!(
                "{env} is not set: cannot read the key's current limits, so the dry run shows only \
                 the currencies given; a real run reads them and sends the others unchanged"
            ));
            None
        }
        Ok(None) if by_listing && dry_run => None,
        Ok(None) => return Err(missing),
        Err(e) => return Err(e),
    };
    let base = target.base;
    // The client (and the certificate store) only when a request will really be sent.
    let session = match secret {
        Some(secret) if needs_session => {
            let http = Arc::new(Http::new(
                global.wire.clone(),
                cancel.clone(),
                base.is_tls(),
            )?);
            Some(Arc::new(
                Session::new(p, base.clone(), http, secret).with_source(hint),
            ))
        }
        _ => None,
    };
    let keys = keys::resolve(
        p,
        session.as_deref(),
        refs,
        match_glob.as_deref(),
        "nothing was sent",
        || missing,
    )
    .await?;
    check_all(p, &base, &keys, &probe)?;
    if match_glob.is_some() && !yes && !dry_run && !settings::interactive() {
        return Err(Error::usage(format!(
            "--match selected {} key(s); nothing was changed: add --yes to update them, or --dry-run to preview",
            keys.len()
        )));
    }
    if let (Some(s), true) = (&session, needs_read) {
        s.prefer_listing(keys.len(), cancel).await;
    }
    // A person at a terminal confirms a write to several keys, any --disable and any --match.
    let risky = keys.len() > 1 || patch.disabled == Some(true) || match_glob.is_some();
    let ask = risky && !yes && !dry_run && settings::interactive();
    let mut touched = patch.touched();
    if relative.is_some() {
        touched.insert(0, "limit");
    }
    let mut plan = Plan {
        p,
        session,
        merge,
        read_first: needs_read,
        touched,
        patch,
        relative,
        base,
        dry_run,
    };
    if ask {
        confirm(&mut plan, &keys, cancel).await?;
    }
    let mut printer = Printer::new(&global.view, output::Mode::Update);
    let runner = Runner {
        job: Arc::new(plan),
        cancel: cancel.clone(),
        max_failures,
    };
    let tally = runner.run(keys, concurrency, &mut printer).await;
    printer.finish();
    Ok(tally.report(p, if dry_run { "would update" } else { "updated" }, cancel))
}

/// Keys whose plan is shown before the question (each read first, when a credential is set).
const PREVIEW: usize = 10;

/// Shows the plan of the first keys on stderr (the same plan as `--dry-run`, read first) and a
/// summary of the rest, then asks; a no is exit 2 with nothing sent.
async fn confirm(plan: &mut Plan, keys: &[String], cancel: &Cancel) -> Result<()> {
    let p = plan.p;
    output::tell(&format!(
        "{p}: about to update {} key(s){}:",
        keys.len(),
        if keys.len() > PREVIEW {
            format!(", the first {PREVIEW} shown")
        } else {
            String::new()
        }
    ));
    let (dry, read) = (plan.dry_run, plan.read_first);
    plan.dry_run = true;
    plan.read_first = plan.session.is_some();
    for key in keys.iter().take(PREVIEW) {
        let outcome = one_key(plan, key).await;
        // A signal before or during the reads: stop here, with no plan half shown and no
        // question.
        if cancel.is_cancelled() || matches!(outcome, Outcome::NotAttempted) {
            return Err(Error::Interrupted {
                sent: crate::error::Sent::Nothing,
            });
        }
        let r = output::KeyResult {
            provider: p,
            key: key.clone(),
            outcome,
        };
        match r.outcome.error() {
            Some(e) => output::tell(&format!(
                "{p} key {}: cannot plan: {e}",
                crate::text::sanitize(key)
            )),
            None => output::tell(&output::plan_text(&r, false)),
        }
    }
    if keys.len() > PREVIEW {
        let sample = p.unread(p.info().sample_key).apply(&plan.patch);
        let mut summary = output::change_summary(&key::changes(None, &sample, &plan.touched));
        if let Some(rel) = &plan.relative {
            let max = rel.max.as_ref().map(|m| format!(" (at most {m})"));
            let rel = format!(
                "limit {}{}",
                crate::patch::signed(rel.delta),
                max.unwrap_or_default()
            );
            summary = if summary.is_empty() {
                rel
            } else {
                format!("{rel}, {summary}")
            };
        }
        output::tell(&format!(
            "... and {} more key(s){}{summary}",
            keys.len() - PREVIEW,
            if summary.is_empty() { "" } else { ", each: " }
        ));
    }
    (plan.dry_run, plan.read_first) = (dry, read);
    if settings::confirm("Apply this change?", cancel).await? {
        Ok(())
    } else {
        Err(Error::usage(
            "not confirmed; nothing was changed (--dry-run shows the plan, --yes skips this question)",
        ))
    }
}

impl KeyJob for Plan {
    fn provider(&self) -> ProviderKind {
        self.p
    }

    async fn run(&self, key: String) -> Outcome {
        one_key(self, &key).await
    }
}

/// Builds every key's request before anything is sent: one bad key stops the whole run (the
/// change itself was checked on its own first, so a bad value is reported once).
fn check_all(p: ProviderKind, base: &BaseUrl, keys: &[String], patch: &Patch) -> Result<()> {
    keys::check_keys(keys, "nothing was sent", |k| {
        p.build_update(base, k, patch).map(drop)
    })
}

/// Everything a per-key task needs, shared by all tasks.
struct Plan {
    p: ProviderKind,
    session: Option<Arc<Session>>,
    base: BaseUrl,
    patch: Patch,
    relative: Option<Relative>,
    /// The adapter needs the key's current state to build this change (Venice currencies).
    merge: bool,
    /// Read each key before its change (a relative limit, a merge, or a dry run's plan).
    read_first: bool,
    /// The fields the change sets (`key::CHANGE_FIELDS` names), for `changes`.
    touched: Vec<&'static str>,
    dry_run: bool,
}

impl Plan {
    /// The patch for one key, given its current state (when read), and the patch the key's
    /// state is predicted from (before the provider-specific merge).
    /// `Err(Ok(reason))`: nothing to send for this key (the reason says why).
    fn resolve(&self, before: Option<&Key>) -> std::result::Result<(Patch, Patch), Result<String>> {
        let mut patch = self.patch.clone();
        if let (Some(rel), Some(before)) = (&self.relative, before) {
            let delta = crate::patch::signed(rel.delta);
            let current = match &before.limit {
                Some(Some(a)) => *a,
                // No cap: a relative change has nothing to add to (a bulk `+N` over keys of
                // which some are uncapped must not fail on those).
                Some(None) => return Err(Ok(format!("no cap: {delta} leaves it unlimited"))),
                None => {
                    return Err(Err(Error::Provider {
                        provider: self.p.info().name,
                        status: None,
                        message: format!(
                            "the key's current limit could not be read, so --limit {delta} \
                             cannot be applied to it; check it with keyctl get, or set it with \
                             --limit N"
                        ),
                    }));
                }
            };
            match rel.apply(current).map_err(Err)? {
                RelativeOutcome::Set(a) => patch.limit = Change::Set(a),
                RelativeOutcome::AtCap { .. } => {
                    let cap = rel.max.as_ref().map(|c| c.to_string()).unwrap_or_default();
                    return Err(Ok(format!(
                        "already at or over the cap --limit-max {cap}; nothing sent"
                    )));
                }
            }
        }
        let asked = patch.clone();
        if let (true, Some(before)) = (self.merge, before) {
            self.p.merge_current(before, &mut patch).map_err(Err)?;
        }
        Ok((patch, asked))
    }
}

/// Reads (when needed), builds and sends (unless dry run) the change for one key.
async fn one_key(plan: &Plan, key: &str) -> Outcome {
    let session = plan.session.as_deref();
    let before = match (plan.read_first, session) {
        (true, Some(s)) => match s.read(key).await {
            Ok(v) => Some(v),
            // A read changes nothing: an interrupted read is `not_attempted`.
            Err(Error::Interrupted { .. }) => return Outcome::NotAttempted,
            Err(e) => return Outcome::Failed(e),
        },
        // The listing read to find keys by name already holds what the key was.
        (false, Some(s)) => s.cached(key),
        _ => None,
    };
    let (patch, asked) = match plan.resolve(before.as_ref()) {
        Ok(p) => p,
        Err(Ok(reason)) => {
            return Outcome::Unchanged {
                before: before.map(Box::new),
                reason,
            };
        }
        Err(Err(e)) => return Outcome::Failed(e),
    };
    let req = match plan.p.build_update(&plan.base, key, &patch) {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(e),
    };
    let predicted = before
        .clone()
        .unwrap_or_else(|| plan.p.unread(key))
        .apply(&asked);
    let changes = |after: &Key| key::changes(before.as_ref(), after, &plan.touched);
    // Read first and already as asked (`--limit +0`, a limit it has): nothing to send.
    if before.is_some() && changes(&predicted).is_empty() {
        return Outcome::Unchanged {
            before: before.map(Box::new),
            reason: "already as asked; nothing sent".into(),
        };
    }
    if plan.dry_run {
        return Outcome::DryRun {
            changes: changes(&predicted),
            req: Box::new(req),
            before: before.map(Box::new),
            after: Box::new(predicted),
            notes: Vec::new(),
        };
    }
    let Some(s) = session else {
        return Outcome::Failed(Error::Internal("no session for a real run".into()));
    };
    let body = match s.send(&req).await {
        Ok(b) => b,
        Err(e) => return outcome_of(e),
    };
    let sent = req.body.clone().unwrap_or_default();
    match plan.p.parse_update(key, &sent, &body) {
        Ok(mut after) => {
            // io.net answers with no key data: what was not sent is as predicted.
            after.complete_from(&predicted);
            Outcome::Updated {
                changes: changes(&after),
                req: Box::new(req),
                before: before.map(Box::new),
                after: Box::new(after),
            }
        }
        // A 2xx answer keyctl cannot read: the change was most likely applied.
        Err(e) => Outcome::Unknown(Error::Unknown { cause: Box::new(e) }),
    }
}
