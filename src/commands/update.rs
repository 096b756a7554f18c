//! `keyctl update`: gather the keys (arguments, `--from-file`, `--match`), check every request
//! before anything is sent, then read (where the change needs the current state), build and
//! send each key's change through the runner.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use chrono::Utc;

use super::runner::{KeyJob, Runner, outcome_of};
use crate::cli::UpdateArgs;
use crate::error::{Error, Result};
use crate::http::{Cancel, Http};
use crate::key::{self, Key};
use crate::output::{self, Outcome, Printer};
use crate::patch::{Amount, Change, Patch, Relative, RelativeOutcome};
use crate::provider::{BaseUrl, ProviderKind};
use crate::secret::ReadError;
use crate::session::Session;
use crate::settings::{self, Global, MAX_KEY_FILE, Update};

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
    let mut keys = gather_keys(keys, from_file.as_deref(), cancel).await?;
    // Check every flag and key id before anything is sent (placeholder for a relative limit).
    let mut probe = patch.clone();
    if relative.is_some() {
        probe.limit = Change::Set(Amount::zero());
    }
    check_all(p, &target.base, &keys, &probe)?;
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
    let needs_session = !dry_run || needs_read || match_glob.is_some();
    let hint = target.hint();
    let secret = match target.credential {
        Ok(Some(s)) => Some(s),
        Ok(None) if !needs_session => {
            output::warn(&format!("{env} is not set (needed for a real run)"));
            None
        }
        Ok(None) if dry_run && merge && relative.is_none() && match_glob.is_none() => {
            output::warn(&format!(
                "{env} is not set: cannot read the key's current limits, so the dry run shows only \
                 the currencies given; a real run reads them and sends the others unchanged"
            ));
            None
        }
        Ok(None) => {
            return Err(settings::missing(
                p,
                &target.source,
                target.profile.as_deref(),
            ));
        }
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
    if let Some(glob) = &match_glob {
        let Some(s) = &session else {
            return Err(Error::Internal("--match without a session".into()));
        };
        let matched = select(s, glob).await?;
        if matched.is_empty() {
            // A mistyped glob in a cron line must not look like a run that did its work.
            output::warn(&format!(
                "--match {}: no key's name matches (names are matched case-sensitively)",
                crate::text::sanitize(glob)
            ));
        } else {
            output::diag(&format!(
                "--match {}: selected {} key(s)",
                crate::text::sanitize(glob),
                matched.len()
            ));
        }
        keys.extend(matched);
        keys = unique_keys(keys);
        if !yes && !dry_run && !settings::interactive() {
            return Err(Error::usage(format!(
                "--match selected {} key(s); nothing was changed: add --yes to update them, or --dry-run to preview",
                keys.len()
            )));
        }
        check_all(p, &base, &keys, &probe)?;
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

/// Keys in input order without repeats (linear time); one warning for all repeats.
pub fn unique_keys(keys: Vec<String>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::with_capacity(keys.len());
    let mut out = Vec::with_capacity(keys.len());
    let (mut repeats, mut example) = (0usize, None);
    for k in keys {
        if seen.contains(&k) {
            repeats += 1;
            example.get_or_insert(k);
        } else {
            seen.insert(k.clone());
            out.push(k);
        }
    }
    if let Some(k) = example {
        output::warn(&format!(
            "{repeats} key id(s) given more than once (e.g. {}); each key is handled once",
            crate::text::sanitize(&k)
        ));
    }
    out
}

/// Builds every request before anything is sent: one bad key or flag stops the whole run. The
/// change is checked once on its own first (with a key id the provider accepts), so a bad value
/// is reported once and not as "N key ids are invalid".
fn check_all(p: ProviderKind, base: &BaseUrl, keys: &[String], patch: &Patch) -> Result<()> {
    p.build_update(base, p.info().sample_key, patch)?;
    check_keys(keys, "nothing was sent", |k| {
        p.build_update(base, k, patch).map(drop)
    })
}

/// Every key id must make its request (`build`) before anything is sent: one that cannot stops
/// the run, and the message lists the first 10 (`nothing`: what did not happen). A flag the
/// provider does not support is reported as it is.
pub fn check_keys(
    keys: &[String],
    nothing: &str,
    build: impl Fn(&str) -> Result<()>,
) -> Result<()> {
    let mut bad = Vec::new();
    let mut n_bad = 0usize;
    for k in keys {
        match build(k) {
            Ok(_) => {}
            Err(e @ Error::Unsupported { .. }) => return Err(e),
            Err(e) => {
                n_bad += 1;
                if bad.len() < 10 {
                    bad.push(e.to_string());
                }
            }
        }
    }
    match n_bad {
        0 => Ok(()),
        1 if bad[0].ends_with(nothing) => Err(Error::usage(bad[0].clone())),
        1 => Err(Error::usage(format!("{}; {nothing}", bad[0]))),
        n => Err(Error::usage(format!(
            "{n} key ids are invalid, {nothing}:\n  {}{}",
            bad.join("\n  "),
            if n > bad.len() {
                format!("\n  ... and {} more", n - bad.len())
            } else {
                String::new()
            }
        ))),
    }
}

/// Key ids from the command line, --from-file (bounded), or nothing (for --match).
pub async fn gather_keys(
    keys: Vec<String>,
    from_file: Option<&Path>,
    cancel: &Cancel,
) -> Result<Vec<String>> {
    let mut all = keys;
    if let Some(path) = from_file {
        let shown = path.display();
        let text = read_list(path, "one key id per line", cancel).await?;
        // `#` starts a comment, on a line of its own or after an id (no key id has a `#`).
        all.extend(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim())
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
        if all.is_empty() {
            return Err(Error::usage(format!(
                "--from-file {shown}: no key ids in it (one per line; # starts a comment)"
            )));
        }
    }
    Ok(unique_keys(all))
}

/// The text of a `--from-file` list (a file, or `-` for standard input), bounded, without a
/// leading byte-order mark; `what` says what each line holds, for the messages.
pub async fn read_list(path: &Path, what: &str, cancel: &Cancel) -> Result<String> {
    let shown = path.display();
    let read = settings::read_input(path, MAX_KEY_FILE, cancel).await?;
    let text = read.map_err(|e| {
        Error::usage(match e {
            ReadError::TooLarge => format!(
                "--from-file {shown}: larger than {} MiB; split it into several runs",
                MAX_KEY_FILE / 1024 / 1024
            ),
            ReadError::NotUtf8 => format!("--from-file {shown}: not UTF-8 text ({what})"),
            ReadError::Io(e) => format!("--from-file {shown}: {e}"),
        })
    })?;
    let mut text = text;
    let bom = text.len() - text.trim_start_matches('\u{feff}').len();
    text.drain(..bom);
    Ok(text)
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
    fn resolve(&self, before: Option<&Key>) -> Result<Option<(Patch, Patch)>> {
        let mut patch = self.patch.clone();
        if let (Some(rel), Some(before)) = (&self.relative, before) {
            let current = before.limit.flatten().ok_or_else(|| {
                Error::usage(format!(
                    "--limit {}: the key has no current limit to change; set one with --limit N",
                    crate::patch::signed(rel.delta)
                ))
            })?;
            match rel.apply(current)? {
                RelativeOutcome::Set(a) => patch.limit = Change::Set(a),
                RelativeOutcome::AtCap { .. } => return Ok(None),
            }
        }
        let asked = patch.clone();
        if let (true, Some(before)) = (self.merge, before) {
            self.p.merge_current(before, &mut patch)?;
        }
        Ok(Some((patch, asked)))
    }
}

/// Keys whose name matches `glob`, from every page of the list.
pub async fn select(s: &Session, glob: &str) -> Result<Vec<String>> {
    let m = globset::Glob::new(glob)
        .map_err(|e| Error::usage(format!("--match: bad glob: {e}")))?
        .compile_matcher();
    Ok(s.list(true)
        .await?
        .into_iter()
        .filter(|k| k.name.clone().flatten().is_some_and(|n| m.is_match(n)))
        .map(|k| k.id)
        .filter(|id| !id.is_empty())
        .collect())
}

/// Reads (when needed), builds and sends (unless dry run) the change for one key.
async fn one_key(plan: &Plan, key: &str) -> Outcome {
    let session = plan.session.as_deref();
    let before = match (plan.read_first, session) {
        (true, Some(s)) => match s.get(key).await {
            Ok(v) => Some(v),
            // A read changes nothing: an interrupted read is `not_attempted`.
            Err(Error::Interrupted { .. }) => return Outcome::NotAttempted,
            Err(e) => return Outcome::Failed(e),
        },
        _ => None,
    };
    let (patch, asked) = match plan.resolve(before.as_ref()) {
        Ok(Some(p)) => p,
        Ok(None) => {
            let cap = plan.relative.as_ref().and_then(|r| r.max.clone());
            return Outcome::Unchanged {
                before: before.map(Box::new),
                reason: format!(
                    "already at or over the cap --limit-max {}; nothing sent",
                    cap.map(|c| c.to_string()).unwrap_or_default()
                ),
            };
        }
        Err(e) => return Outcome::Failed(e),
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
