//! `keyctl create`: one key per `--name` (or per line of `--from-file`), every request checked
//! before the first is sent, creates one at a time (paced to the provider's rate), and each
//! new secret shown once on stdout or written to `--secret-file`.

use chrono::Utc;

use super::lifecycle::{self, Made, Pacer};
use super::report::Reporter;
use super::runner::Tally;
use crate::cli::CreateArgs;
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::key::Known;
use crate::newkey::NewKey;
use crate::outcome::{KeyResult, Mode, Outcome};
use crate::output;
use crate::settings::{self, Global};

pub async fn run(global: &Global, args: CreateArgs, cancel: &Cancel) -> Result<i32> {
    let CreateArgs {
        from_file,
        key_type,
        secret_file,
        secret_command,
        allow_duplicate_name,
        change,
        dry_run,
    } = args;
    settings::check_stdin(from_file.as_deref(), global)?;
    let target = global.target(cancel).await?;
    let p = target.p;
    let now = Utc::now();
    let (name, settings) = lifecycle::settings("create", change, now)?;
    let names = match (name, &from_file) {
        (Some(_), Some(_)) => {
            return Err(Error::usage(
                "give the name with --name, or names with --from-file, not both",
            ));
        }
        (Some(n), None) => vec![n],
        (None, Some(path)) => read_names(path, allow_duplicate_name, cancel).await?,
        (None, None) => {
            return Err(Error::usage(format!(
                "keyctl create needs --name TEXT, the new key's name{} (or --from-file with one \
                 name per line)",
                if p.info().id == "venice" {
                    " (at most 64 characters)"
                } else {
                    ""
                }
            )));
        }
    };
    let sink = lifecycle::sink(
        "create",
        secret_file,
        secret_command.as_deref(),
        names.len(),
    )?;
    super::lifecycle::check_columns(global, sink.is_some())?;
    // Every request is built (and so checked) before anything is sent.
    let mut plans = Vec::with_capacity(names.len());
    for name in names {
        let new = NewKey {
            name,
            kind: key_type,
            settings: settings.clone(),
        };
        plans.push(lifecycle::plan(p, &target.base, new)?);
    }
    for w in p.adapter().warnings(&settings) {
        output::warn(&w);
    }
    if let Some(first) = plans.first() {
        for n in p.adapter().create_notices(&first.new, now) {
            output::warn(&n);
        }
    }
    let mut report = Reporter::writing(global, Mode::Create, !dry_run);
    let mut tally = Tally::new(plans.len());
    if dry_run {
        // With a credential, the names are checked as a real run checks them, so the dry run
        // predicts it; without one they cannot be.
        let unchecked = if allow_duplicate_name {
            ""
        } else {
            "; the names could not be checked against the account's keys"
        };
        match &target.credential {
            Ok(Some(_)) if !allow_duplicate_name => {
                let s = super::open(global, target, cancel)?;
                names_free(&s, &plans, from_file.as_deref()).await?;
            }
            Ok(Some(_)) => {}
            Ok(None) => output::warn(&format!(
                "{} is not set (needed for a real run){unchecked}",
                p.info().credential_env
            )),
            Err(e) => output::warn(&format!("the credential cannot be read ({e}){unchecked}")),
        }
        for planned in plans {
            let outcome = lifecycle::dry_run(p, planned, Vec::new());
            tally.count(&outcome);
            report.push(KeyResult {
                provider: p,
                key: String::new(),
                outcome,
            });
        }
        report.finish();
        return Ok(tally.report(p, "would create", cancel));
    }
    let sel = target.selector(global);
    let s = super::open(global, target, cancel)?;
    // Keys an earlier run made whose answer was lost are adopted, not made again.
    let journal = super::adopt::Journalled::open(global, &s, "create", &sel)?;
    let plans = journal
        .adopt_planned(&s, plans, &mut report, &mut tally)
        .await?;
    if !allow_duplicate_name {
        names_free(&s, &plans, from_file.as_deref()).await?;
    }
    if plans.len() > 1 {
        lifecycle::check_room(&s, plans.len()).await?;
    }
    let mut file = lifecycle::ready(global, sink.as_ref())?;
    let mut pacer = Pacer::new(p);
    let mut stop: Option<String> = None;
    for planned in plans {
        let name = planned.new.name.clone();
        // The create journal's entry, written before the create is sent.
        let mut begun = None;
        let outcome = if stop.is_some() || cancel.is_cancelled() || !pacer.turn(cancel).await {
            Outcome::NotAttempted
        } else if let Err(e) = journal.begin(&name, &[], &mut begun) {
            Outcome::Failed(e)
        } else {
            match lifecycle::create(&s, &planned.req, &mut file, cancel).await {
                Made::Key(key, secret, failure) => {
                    let new_shown = crate::text::sanitize(&key.id);
                    let id = key.id.clone();
                    // Caps to read back (Venice): the state follows the secret on stdout.
                    let check = reads_back(p, &planned.req, &id);
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
                    // The secret first; the read-back after it, whatever it comes to.
                    let mut outcome =
                        deliver(&mut report, made, failure, &name, &new_shown, &sel, p);
                    if check && let Outcome::Created { after, .. } = &mut outcome {
                        match read_back(&s, &sent, &id).await {
                            ReadBack::Same(k) => *after = k,
                            ReadBack::Differs(k, what) => {
                                output::warn(&differs_warning(
                                    p, &new_shown, &what, &sel, &sent, &k,
                                ));
                                *after = k;
                            }
                            ReadBack::Failed(e) => output::warn(&format!(
                                "{p}: the new key {new_shown} and its secret are made, but it \
                                could not be read back to check its caps ({e}); the caps shown \
                                are the create answer's, which can be wrong: check them with \
                                `keyctl get {sel} {new_shown}`"
                            )),
                        }
                    }
                    outcome
                }
                Made::Not(o) => o,
            }
        };
        journal.settle(begun, &outcome);
        // A refused credential or a rate limit that outlasted the retries would fail every
        // other create the same way; a secret that could not be delivered would be followed
        // by every later one: the rest are not attempted.
        if stop.is_none() {
            stop = match outcome.error() {
                Some(Error::Auth { .. }) => Some("the provider refused the credential".into()),
                Some(Error::RateLimited { .. }) => {
                    Some("the provider is still rate limiting after the retries".into())
                }
                Some(Error::Usage(_)) => {
                    Some("the create journal could not be written (see above)".into())
                }
                _ if output::secret_undelivered() => Some(
                    "a new key's secret did not reach where it was to go (see above), and \
                     every later secret could miss it the same way"
                        .into(),
                ),
                _ => None,
            };
        }
        tally.count(&outcome);
        // The new id; the name when there is none (a key not created), so every line can be
        // matched to its name.
        let key = outcome
            .key()
            .map(|k| k.id.clone())
            .filter(|id| !id.is_empty())
            .unwrap_or(name);
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
    if let Some(why) = stop
        && tally.total > 1
    {
        output::error(&format!(
            "{p}: stopped creating keys: {why} (-o json lists every name with its status)"
        ));
    }
    Ok(lifecycle::delivered(tally.report(p, "created", cancel)))
}

/// What reading a new key back came to ([`read_back`]).
pub(crate) enum ReadBack {
    /// It holds the caps sent: the key as read back.
    Same(Box<crate::key::Key>),
    /// It does not: the key as read back, and each currency that differs (`usd: sent 0, read
    /// back none`).
    Differs(Box<crate::key::Key>, Vec<String>),
    Failed(Error),
}

/// Whether a new key is read back after its create `req` (sent): on Venice, when the create
/// set caps, which its answer can echo wrong (a `diem` derived from `vcu`, a `usd` of 0 as
/// `null`). Not without the new key's id.
pub(crate) fn reads_back(
    p: crate::provider::ProviderKind,
    req: &crate::request::Request,
    id: &str,
) -> bool {
    p.info().api == crate::provider::Api::Venice
        && !id.is_empty()
        && req
            .body
            .as_ref()
            .is_some_and(crate::provider::venice::sets_caps)
}

/// Reads the new key `id` back (one `GET`, after its secret is delivered) and compares its
/// caps with the create body `sent` ([`crate::provider::venice::caps_differ`]).
pub(crate) async fn read_back(
    s: &crate::session::Session,
    sent: &serde_json::Value,
    id: &str,
) -> ReadBack {
    match s.get(id).await {
        Ok(mut k) => {
            // An answer for another key says nothing of this one (and must not stand for it in
            // the output or the audit trail).
            if !k.id.is_empty() && !same_key(&k.id, id) {
                return ReadBack::Failed(Error::Provider {
                    provider: s.p.info().name,
                    status: None,
                    message: format!(
                        "the answer is for another key ({}), not {}",
                        crate::text::sanitize(&k.id),
                        crate::text::sanitize(id)
                    ),
                });
            }
            k.id = id.to_string();
            let what = crate::provider::venice::caps_differ(sent, &k);
            if what.is_empty() {
                ReadBack::Same(Box::new(k))
            } else {
                ReadBack::Differs(Box::new(k), what)
            }
        }
        Err(e) => ReadBack::Failed(e),
    }
}

/// Whether a read-back's id names the key asked for: equal, or the same UUID written otherwise.
fn same_key(read: &str, asked: &str) -> bool {
    read == asked
        || matches!(
            (uuid::Uuid::parse_str(read.trim()), uuid::Uuid::parse_str(asked.trim())),
            (Ok(a), Ok(b)) if a == b
        )
}

/// The warning for a new key whose caps, read back (`read`), are not the ones sent (the create
/// body `sent`, whose caps the command it gives sets).
pub(crate) fn differs_warning(
    p: crate::provider::ProviderKind,
    new_shown: &str,
    what: &[String],
    sel: &str,
    sent: &serde_json::Value,
    read: &crate::key::Key,
) -> String {
    format!(
        "{p}: the new key {new_shown}, read back, does not hold the caps sent ({}); what is shown \
        is what it holds. Set them with `keyctl update {sel} {new_shown} {}`, then check with \
        `keyctl get {sel} {new_shown}`",
        crate::text::sanitize(&what.join("; ")),
        crate::provider::venice::caps_flags(sent, Some(read))
    )
}

/// Refuses (exit 2, nothing created) names the account already has: every name of the run is
/// compared, exactly (case and spaces count), with every key's name in one listing (all pages,
/// disabled keys too), and every clash is named with the existing key's id.
async fn names_free(
    s: &crate::session::Session,
    plans: &[lifecycle::Planned],
    from_file: Option<&std::path::Path>,
) -> Result<()> {
    let listing = s.listing().await?;
    let mut taken: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for k in listing {
        if let Known::Value(n) = &k.name {
            taken.entry(n.as_str()).or_default().push(k.id.as_str());
        }
    }
    let clashes: Vec<String> = plans
        .iter()
        .filter_map(|pl| {
            let ids = taken.get(pl.new.name.as_str())?;
            Some(format!(
                "'{}' is the name of {} {}",
                crate::text::sanitize(&pl.new.name),
                if ids.len() == 1 { "key" } else { "keys" },
                ids.iter()
                    .map(|id| crate::text::sanitize(id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
        .collect();
    if clashes.is_empty() {
        return Ok(());
    }
    let p = s.p;
    let shown = 10;
    let mut list = clashes
        .iter()
        .take(shown)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if clashes.len() > shown {
        list.push_str(&format!("; and {} more", clashes.len() - shown));
    }
    Err(Error::usage(format!(
        "{p} already has {}: {list}. Names stay unique so that keys can be found by name; \
         choose {}, or add --allow-duplicate-name to make {} anyway. Nothing was created{}",
        if clashes.len() == 1 {
            "a key with that name"
        } else {
            "keys with those names"
        },
        if clashes.len() == 1 {
            "another name"
        } else {
            "other names"
        },
        if clashes.len() == 1 { "it" } else { "them" },
        match from_file {
            Some(f) => format!(
                " (--from-file {} is checked whole before any key is made)",
                crate::text::sanitize(&f.display().to_string())
            ),
            None => String::new(),
        }
    )))
}

/// Names from `--from-file`: one per line, `#` lines and blank lines skipped, each name once
/// (unless `--allow-duplicate-name`).
async fn read_names(
    path: &std::path::Path,
    allow_duplicate_name: bool,
    cancel: &Cancel,
) -> Result<Vec<String>> {
    let shown = path.display();
    let text = super::keys::read_list(path, "one name per line", cancel).await?;
    let mut names: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let name = line.trim();
        if name.is_empty() || name.starts_with('#') {
            continue;
        }
        if let Err(e) = name.parse::<crate::patch::Name>() {
            return Err(Error::usage(format!(
                "--from-file {shown}, line {}: {e}",
                i + 1
            )));
        }
        if !seen.insert(name.to_string()) && !allow_duplicate_name {
            return Err(Error::usage(format!(
                "--from-file {shown}, line {}: the name '{}' is given twice; each line makes one \
                 key, and names stay unique (--allow-duplicate-name makes both); nothing was \
                 created",
                i + 1,
                crate::text::sanitize(name)
            )));
        }
        names.push(name.to_string());
    }
    if names.is_empty() {
        return Err(Error::usage(format!(
            "--from-file {shown}: no names in it (one per line; # starts a comment)"
        )));
    }
    Ok(names)
}

/// Delivers a new key's secret before the key is counted or recorded: its record is written
/// through `report` now (the key's `push` then finishes it), and a secret that reached
/// neither its file nor stdout (or only stdout, instead of its file) is the key's error.
pub(super) fn deliver(
    report: &mut Reporter,
    made: Outcome,
    failure: Option<crate::sink::Failure>,
    name: &str,
    new_shown: &str,
    sel: &str,
    p: crate::provider::ProviderKind,
) -> Outcome {
    let r = KeyResult {
        provider: p,
        key: if new_shown.is_empty() {
            name
        } else {
            new_shown
        }
        .to_string(),
        outcome: made,
    };
    // In its file (synced, still linked there), or on stdout.
    let delivered = r.outcome.secret().is_none() || report.push_secret_first(&r);
    let lost = format!(
        "revoke it (`keyctl revoke {sel} {}`) and create another",
        if new_shown.is_empty() {
            "NEW-ID"
        } else {
            new_shown
        }
    );
    let error = match (failure, delivered) {
        (None, true) => None,
        (Some(f), true) => Some((
            format!("{}; it is shown on stdout instead", f.0),
            "store it where it belongs".to_string(),
        )),
        (Some(f), false) => Some((
            format!(
                "{}, and stdout could not take it either, so it is lost",
                f.0
            ),
            lost,
        )),
        (None, false) => Some((
            "could not write the new secret to stdout, so it is lost".to_string(),
            lost,
        )),
    };
    let mut outcome = r.outcome;
    if let (Some((why, next)), Outcome::Created { error: e, .. }) = (error, &mut outcome) {
        *e = Some(Error::Undelivered {
            new: new_shown.to_string(),
            why,
            next,
        });
    }
    outcome
}
