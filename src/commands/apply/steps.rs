//! One scope of an apply, key by key in the plan's order: each action made (create, update,
//! replace, adopt, prune) through the write path its own command uses, its result recorded in
//! the audit trail (with the scope's profile) and printed, and a signal or a refused
//! credential stopping new writes.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Read, Scoped, Totals};
use crate::cli::ApplyArgs;
use crate::error::Error;
use crate::http::Cancel;
use crate::journal::Verdict;
use crate::keyfile::{KeyFile, Sink};
use crate::newkey::NewKey;
use crate::outcome::{KeyResult, Mode, NewSecret, Outcome};
use crate::output::{self, Format};
use crate::patch::Patch;
use crate::plan::{Action, KeyPlan};
use crate::settings::Global;
use crate::text::sanitize;

use super::super::adopt::Journalled;
use super::super::lifecycle::{self, Made, Pacer};
use super::super::report::Reporter;
use super::super::rotate::Rotation;

/// Everything one scope's writes share.
struct Ctx<'a> {
    global: &'a Global,
    args: &'a ApplyArgs,
    read: &'a Read,
    /// The options naming the account in a command to run by hand (`-P prod`).
    sel: String,
    now: DateTime<Utc>,
}

/// Applies one scope's plan; a scope that could not be read fails each of its declared keys
/// with the read's error (the other scopes are applied all the same).
#[allow(clippy::too_many_arguments)]
pub(super) async fn apply_scope(
    global: &Global,
    args: &ApplyArgs,
    file: &KeyFile,
    sc: Scoped,
    totals: &mut Totals,
    report: &mut Reporter,
    now: DateTime<Utc>,
    cancel: &Cancel,
) {
    let profile = sc.scope.profile().map(str::to_string);
    let read = match sc.read {
        Ok(r) => r,
        Err(e) => {
            output::error(&format!("{}: {e}", sc.scope.describe()));
            for k in file.in_scope(&sc.scope) {
                let outcome = Outcome::Failed(e.clone());
                totals.count(&outcome);
                let labels = labels(profile.as_deref(), Some(&k.name), Some(k.line));
                report.account(global, Mode::Update, profile.clone(), labels);
                report.push(KeyResult {
                    provider: sc.p,
                    key: k.name.clone(),
                    outcome,
                });
            }
            return;
        }
    };
    let ctx = Ctx {
        global,
        args,
        read: &read,
        sel: selector(&sc.scope, sc.p),
        now,
    };
    let journal = match Journalled::for_account(read.account.clone(), "apply", &ctx.sel) {
        Ok(j) => Some(j),
        Err(e) => {
            // No create is sent without its entry: the creates of this scope fail with it.
            output::warn(&e.to_string());
            None
        }
    };
    // Entries of creates this plan acts on are closed: an adopted key is reported now, and a
    // name the listing does not have is created anew (with an entry of its own).
    if let Ok(j) = crate::journal::Journal::open()
        && let Err(e) = j.close_found(&read.found)
    {
        output::warn(&e.to_string());
    }
    let mut pacer = Pacer::new(sc.p);
    let mut stop: Option<String> = None;
    let mut notices_said = std::collections::HashSet::new();
    for k in &read.keys {
        let writes = matches!(
            k.action,
            Action::Create { .. } | Action::Update { .. } | Action::Replace { .. }
        ) || (args.prune && matches!(k.action, Action::Unmanaged { .. }));
        // A secret an earlier profile lost (stdout cannot take one) would be lost here too:
        // this profile's writes are not started either.
        if stop.is_none() && writes && output::secret_undelivered() {
            stop = Some(stopping(&sc.scope, LOST));
        }
        let rotated = args.replace && matches!(k.action, Action::Replace { .. });
        let mode = if k.adopt.is_some() && !rotated {
            Mode::Create
        } else {
            mode_of(&k.action)
        };
        let declared = k.line.and(k.name.as_deref());
        report.account(
            global,
            mode,
            profile.clone(),
            labels(profile.as_deref(), declared, k.line),
        );
        let outcome = if writes && (cancel.is_cancelled() || stop.is_some()) {
            Outcome::NotAttempted
        } else {
            one(
                &ctx,
                k,
                journal.as_ref(),
                &mut pacer,
                report,
                &mut notices_said,
                cancel,
            )
            .await
        };
        secret_on_stdout(&ctx, k, &outcome);
        if stop.is_none() {
            stop = match outcome.error() {
                Some(Error::Auth { .. }) => Some("the provider refused the credential"),
                Some(Error::RateLimited { .. }) => {
                    Some("the provider is still rate limiting after the retries")
                }
                _ if output::secret_undelivered() => Some(LOST),
                _ => None,
            }
            .map(|why| stopping(&sc.scope, why));
        }
        if matches!(k.action, Action::Replace { .. }) && !args.replace {
            totals.left += 1;
        }
        totals.count(&outcome);
        // A key as declared is in the plan shown; only JSON has a line for each.
        if ctx.global.view.format != Format::Json
            && matches!(k.action, Action::Unchanged { .. })
            && k.adopt.is_none()
        {
            continue;
        }
        let key = outcome
            .key()
            .map(|n| n.id.clone())
            .filter(|id| !id.is_empty())
            .or_else(|| k.action.id().map(str::to_string))
            .or_else(|| k.name.clone())
            .unwrap_or_default();
        let key = match (&k.action, &outcome) {
            // rotate's lines name the old key.
            (Action::Replace { id, .. }, _) => id.clone(),
            _ => key,
        };
        report.push(KeyResult {
            provider: sc.p,
            key,
            outcome,
        });
    }
}

/// The fields apply's JSON lines carry after `provider`: the key's `profile` (none for a
/// `provider = ...` key), its declared `name` and the `line` of its `[[key]]`.
fn labels(
    profile: Option<&str>,
    name: Option<&str>,
    line: Option<usize>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    if let Some(p) = profile {
        m.insert("profile".into(), p.into());
    }
    if let Some(n) = name {
        m.insert("name".into(), n.into());
    }
    if let Some(l) = line {
        m.insert("line".into(), l.into());
    }
    m
}

/// A new key whose declared key names no sink: its secret is on stdout only, said on stderr
/// even with -q (a cron job mails stdout to MAILTO: the secret is in that mail).
fn secret_on_stdout(ctx: &Ctx<'_>, k: &KeyPlan, outcome: &Outcome) {
    let declares_sink = match &k.action {
        Action::Create { sink, .. } | Action::Replace { sink, .. } => sink.is_some(),
        _ => true,
    };
    if declares_sink || !matches!(outcome.new_secret(), Some(NewSecret::Shown(_))) {
        return;
    }
    let id = outcome.key().map_or(String::new(), |key| sanitize(&key.id));
    output::warn_even_if_quiet(&format!(
        "{}:{}: {}: the new key {id}'s secret is on stdout only (the key declares no \
         secret_file or secret_command): store it now, it cannot be shown again; run from cron, \
         it is in the mail cron sends",
        sanitize(&ctx.args.file.display().to_string()),
        k.line.unwrap_or_default(),
        k.name.as_deref().map_or(String::new(), sanitize),
    ));
}

/// Why the writes stop once a new key's secret reached neither its sink nor stdout.
const LOST: &str = "a new key's secret did not reach where it was to go (see above), and every \
                    later secret could miss it the same way";

/// Says that `scope`'s writes stop, and why; the reason kept.
fn stopping(scope: &crate::keyfile::Scope, why: &str) -> String {
    output::error(&format!(
        "{}: stopped writing keys: {why} (-o json lists every key with its status)",
        scope.describe()
    ));
    why.to_string()
}

/// The kind of write a key's action is reported (and recorded in the trail) as.
fn mode_of(a: &Action) -> Mode {
    match a {
        Action::Create { .. } => Mode::Create,
        Action::Replace { .. } => Mode::Rotate,
        Action::Unmanaged { .. } => Mode::Revoke,
        _ => Mode::Update,
    }
}

/// One key's action made: its result (reported as the kind of write [`super::mode_of`] says).
async fn one(
    ctx: &Ctx<'_>,
    k: &KeyPlan,
    journal: Option<&Journalled>,
    pacer: &mut Pacer,
    report: &mut Reporter,
    notices_said: &mut std::collections::HashSet<String>,
    cancel: &Cancel,
) -> Outcome {
    let s = &ctx.read.session;
    let before = |id: &str| ctx.read.listed.get(id).cloned().map(Box::new);
    // An adopted key to be replaced is rotated with --replace (the successor's secret is the
    // one its lost create never gave); else it is reported adopted.
    let rotated = ctx.args.replace && matches!(k.action, Action::Replace { .. });
    if k.adopt.is_some()
        && !rotated
        && let Some(id) = k.action.id()
    {
        let outcome = match &k.action {
            Action::Update { id, patch } => {
                super::super::update::write_declared(s.clone(), id, patch.clone()).await
            }
            _ => Outcome::Unchanged {
                before: before(id),
                reason: "as declared".into(),
            },
        };
        return adopted(ctx, id, outcome);
    }
    let no_journal = || {
        Outcome::Failed(Error::usage(
            "the create journal cannot be written (see above); nothing was created",
        ))
    };
    match &k.action {
        Action::Create { new, then, sink } => {
            // Each key's own notices (io.net's 180-day default expiry when it leaves `expires`
            // out), said once per key and text, in the key file's words.
            for n in s.p.adapter().create_notices(new, ctx.now) {
                let n = format!(
                    "{}:{}: {}: {}",
                    sanitize(&ctx.args.file.display().to_string()),
                    k.line.unwrap_or_default(),
                    k.name.as_deref().map_or(String::new(), sanitize),
                    in_key_file_words(&n)
                );
                if notices_said.insert(n.clone()) {
                    output::warn(&n);
                }
            }
            let Some(journal) = journal else {
                return no_journal();
            };
            create(
                ctx,
                k,
                new,
                then,
                sink.as_ref(),
                journal,
                pacer,
                report,
                cancel,
            )
            .await
        }
        Action::Update { id, patch } => {
            super::super::update::write_declared(s.clone(), id, patch.clone()).await
        }
        Action::Unchanged { id } => Outcome::Unchanged {
            before: before(id),
            reason: "as declared".into(),
        },
        Action::Replace {
            id,
            new,
            then,
            sink,
            ..
        } if ctx.args.replace => {
            let Ok(journal) = Journalled::for_account(ctx.read.account.clone(), "apply", &ctx.sel)
            else {
                return no_journal();
            };
            replace(
                ctx,
                k,
                id,
                new,
                then,
                sink.as_ref(),
                journal,
                pacer,
                report,
                cancel,
            )
            .await
        }
        Action::Replace { id, fields, .. } => Outcome::Unchanged {
            before: before(id),
            reason: format!(
                "not replaced: {} cannot change {} in place, and apply rotates the key only with \
                 --replace",
                s.p.info().name,
                fields.join(", ")
            ),
        },
        Action::Unmanaged { id } => match super::rotated_out_on(ctx.read, id) {
            // rotate's grace: --prune never revokes a key rotate retired.
            Some(date) => Outcome::Unchanged {
                before: before(id),
                reason: format!("kept: rotated out {date} (--prune leaves keys rotate retired)"),
            },
            None if ctx.args.prune => revoke(ctx, id).await,
            None => Outcome::Unchanged {
                before: before(id),
                reason: "not in the key file (apply --prune revokes it)".into(),
            },
        },
        Action::Invalid { error, .. } => Outcome::Failed(error.clone()),
    }
}

/// A create notice (written for `create`'s flags) in the key file's words: `--expires never`
/// is `expires = "never"` there, `--reset monthly` is `reset = "monthly"`.
fn in_key_file_words(notice: &str) -> String {
    notice
        .replace(
            "pass --expires never for one that does not expire, or --expires WHEN",
            "declare expires = \"never\" for one that does not expire, or expires = WHEN",
        )
        .replace(
            "unless --reset monthly or never is given",
            "unless reset = \"monthly\" or \"never\" is declared",
        )
}

/// A key an earlier run's lost create made (found by name in the listing), reported adopted:
/// its state after the write made for it (none when it was as declared), and that its secret
/// was never received.
fn adopted(ctx: &Ctx<'_>, id: &str, done: Outcome) -> Outcome {
    let s = &ctx.read.session;
    let after = match done {
        Outcome::Updated { after, .. } => after,
        Outcome::Unchanged {
            before: Some(b), ..
        } => b,
        Outcome::Unchanged { before: None, .. } => Box::new(s.p.unread(id)),
        other => return other,
    };
    let shown = sanitize(id);
    let rotate = format!("keyctl rotate {} {shown}", ctx.sel);
    let why = ctx
        .read
        .found
        .iter()
        .find_map(|r| match &r.verdict {
            Verdict::Adopted(k) if k.id == id => {
                Some(crate::journal::adopted_message(&r.entry, &rotate))
            }
            _ => None,
        })
        .unwrap_or_else(|| {
            format!(
                "created by an earlier run whose answer was lost; its secret was never \
                 received: rotate it to get one (`{rotate}`)"
            )
        });
    Outcome::Adopted {
        error: Error::Adopted {
            provider: s.p.info().name,
            id: shown,
            name: sanitize(&after.name.value().cloned().unwrap_or_default()),
            why,
        },
        after,
    }
}

/// The sink a key declares, made ready before its key is made (a sink that cannot take the
/// secret fails the key with nothing sent).
fn ready(
    ctx: &Ctx<'_>,
    k: &KeyPlan,
    sink: Option<&Sink>,
) -> Result<Option<crate::sink::Ready>, Error> {
    let Some(sink) = sink else { return Ok(None) };
    let label = format!(
        "{}:{}: {}",
        sanitize(&ctx.args.file.display().to_string()),
        k.line.unwrap_or_default(),
        match sink {
            Sink::File(_) => "secret_file",
            Sink::Command(_) => "secret_command",
        }
    );
    let sink = match sink {
        Sink::File(path) => crate::sink::Sink::File(path.clone()),
        Sink::Command(argv) => crate::sink::Sink::Command(argv.clone()),
    };
    sink.prepare(&label, &lifecycle::credential_variables(ctx.global))
        .map(Some)
}

/// The options that name a scope's account in a command to run by hand (`-P prod`).
fn selector(scope: &crate::keyfile::Scope, p: crate::provider::ProviderKind) -> String {
    match scope {
        crate::keyfile::Scope::Profile(n) => format!("-P {}", sanitize(n)),
        crate::keyfile::Scope::Provider(_) => format!("-p {}", p.info().id),
    }
}

/// A create as `create` makes one: paced, journalled, its secret to its sink (or stdout once)
/// before it is recorded, a Venice key's caps read back; then `then` (`disabled = true`).
#[allow(clippy::too_many_arguments)]
async fn create(
    ctx: &Ctx<'_>,
    k: &KeyPlan,
    new: &NewKey,
    then: &Patch,
    sink: Option<&Sink>,
    journal: &Journalled,
    pacer: &mut Pacer,
    report: &mut Reporter,
    cancel: &Cancel,
) -> Outcome {
    let s = &ctx.read.session;
    let p = s.p;
    let planned = match lifecycle::plan(p, &s.base, new.clone()) {
        Ok(x) => x,
        Err(e) => return Outcome::Failed(e),
    };
    let mut file = match ready(ctx, k, sink) {
        Ok(f) => f,
        Err(e) => return Outcome::Failed(e),
    };
    let name = planned.new.name.clone();
    let mut begun = None;
    let outcome = if !pacer.turn(cancel).await {
        Outcome::NotAttempted
    } else if let Err(e) = journal.begin(&name, &[], &mut begun) {
        Outcome::Failed(e)
    } else {
        match lifecycle::create(s, &planned.req, &mut file, cancel).await {
            Made::Key(key, secret, failure) => {
                let new_shown = sanitize(&key.id);
                let id = key.id.clone();
                let check = super::super::create::reads_back(p, &planned.req, &id);
                if check {
                    report.hold_state();
                }
                let sent = planned.req.body.clone().unwrap_or_default();
                let made = Outcome::Created {
                    after: key,
                    secret,
                    req: Box::new(planned.req),
                    error: None,
                };
                let mut outcome = super::super::create::deliver(
                    report, made, failure, &name, &new_shown, &ctx.sel, p,
                );
                if check && let Outcome::Created { after, .. } = &mut outcome {
                    use super::super::create::ReadBack;
                    match super::super::create::read_back(s, &sent, &id).await {
                        ReadBack::Same(k) => *after = k,
                        ReadBack::Differs(k, what) => {
                            output::warn(&super::super::create::differs_warning(
                                p, &new_shown, &what, &ctx.sel, &sent, &k,
                            ));
                            *after = k;
                        }
                        ReadBack::Failed(e) => output::warn(&format!(
                            "{p}: the new key {new_shown} is made, but it could not be read back \
                             to check its caps ({e}): check them with `keyctl get {} {new_shown}`",
                            ctx.sel
                        )),
                    }
                }
                outcome
            }
            Made::Not(o) => o,
        }
    };
    journal.settle(begun, &outcome);
    if let Some(f) = file {
        f.discard_unused();
    }
    // The entry stays: the next plan or apply adopts the key (no check by hand needed).
    let outcome = match outcome {
        Outcome::Unknown(Error::CreateUnknown { cause }) => {
            Outcome::Unknown(Error::ApplyCreateUnknown { cause })
        }
        o => o,
    };
    then_step(ctx, outcome, then).await
}

/// After a key was made (created, or a successor): `then` sent to it (a key is created
/// enabled: `disabled = true` follows); its failure is the key's error, the key stays made.
async fn then_step(ctx: &Ctx<'_>, mut outcome: Outcome, then: &Patch) -> Outcome {
    if then.is_empty() {
        return outcome;
    }
    let (id, error) = match &mut outcome {
        Outcome::Created {
            after, error: None, ..
        }
        | Outcome::Rotated {
            after, error: None, ..
        } if !after.id.is_empty() => (after.id.clone(), None::<Error>),
        _ => return outcome,
    };
    let _ = error;
    let done =
        super::super::update::write_declared(ctx.read.session.clone(), &id, then.clone()).await;
    match (done, &mut outcome) {
        (Outcome::Updated { after: a, .. }, Outcome::Created { after, .. })
        | (Outcome::Updated { after: a, .. }, Outcome::Rotated { after, .. }) => *after = a,
        (Outcome::Unchanged { .. }, _) => {}
        (other, Outcome::Created { error, .. }) | (other, Outcome::Rotated { error, .. }) => {
            let cause = other
                .error()
                .map_or_else(|| "the update was not sent".to_string(), |e| e.to_string());
            *error = Some(Error::Provider {
                provider: ctx.read.session.p.info().name,
                status: None,
                message: format!(
                    "the key {} was made, but the change that follows its create ({}) failed: \
                     {cause}; run `keyctl apply` again, or `keyctl update {} {} ...`",
                    sanitize(&id),
                    then.touched().join(", "),
                    ctx.sel,
                    sanitize(&id)
                ),
            });
        }
        _ => {}
    }
    outcome
}

/// `--replace`: the key rotated as `rotate` does (successor made with the declared settings
/// and its secret delivered, then the old key's default step), then `then`.
#[allow(clippy::too_many_arguments)]
async fn replace(
    ctx: &Ctx<'_>,
    k: &KeyPlan,
    id: &str,
    new: &NewKey,
    then: &Patch,
    sink: Option<&Sink>,
    journal: Journalled,
    pacer: &mut Pacer,
    report: &mut Reporter,
    cancel: &Cancel,
) -> Outcome {
    let s: &Arc<crate::session::Session> = &ctx.read.session;
    let mut file = match ready(ctx, k, sink) {
        Ok(f) => f,
        Err(e) => return Outcome::Failed(e),
    };
    let rotation = Rotation::for_apply(
        s,
        journal,
        ctx.sel.clone(),
        new.name.clone(),
        new.settings.clone(),
        ctx.now,
    );
    let mut seen = std::collections::HashSet::from([super::super::rotate::same_id_form(id)]);
    let outcome = rotation
        .one(id, pacer, &mut file, report, &mut seen, cancel)
        .await;
    if let Some(f) = file {
        f.discard_unused();
    }
    then_step(ctx, outcome, then).await
}

/// `--prune`: an undeclared key revoked, as `revoke` sends it.
async fn revoke(ctx: &Ctx<'_>, id: &str) -> Outcome {
    let s = &ctx.read.session;
    let p = s.p;
    let before = ctx.read.listed.get(id).cloned();
    if let Some(b) = &before {
        crate::audit::note_name(id, b);
    }
    let req = match p.build_delete(&s.base, id) {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(e),
    };
    match s.send(&req).await {
        Ok(body) => match p.adapter().parse_delete(p.info(), &body) {
            Ok(()) => Outcome::Revoked {
                before: before.map(Box::new),
                req: Box::new(req),
            },
            Err(e) => Outcome::Failed(e),
        },
        Err(e @ Error::NotFound { .. }) => Outcome::NotFound(e),
        Err(e) => super::super::runner::outcome_of(e),
    }
}
