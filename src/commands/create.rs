//! `keyctl create`: one key per `--name` (or per line of `--from-file`), every request checked
//! before the first is sent, creates one at a time (paced to the provider's rate), and each
//! new secret shown once on stdout or written to `--secret-file`.

use chrono::Utc;

use super::lifecycle::{self, Made, Pacer, SecretFile};
use super::runner::Tally;
use crate::cli::CreateArgs;
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::newkey::NewKey;
use crate::output::{self, KeyResult, Mode, Outcome, Printer};
use crate::settings::{self, Global};

pub async fn run(global: &Global, args: CreateArgs, cancel: &Cancel) -> Result<i32> {
    let CreateArgs {
        from_file,
        key_type,
        secret_file,
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
        (None, Some(path)) => read_names(path, cancel).await?,
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
    super::lifecycle::check_columns(global, secret_file.is_some())?;
    if secret_file.is_some() && names.len() > 1 {
        return Err(Error::usage(
            "--secret-file holds one secret: create one key per run with it, or use -o json for \
             several (each line has its `secret`)",
        ));
    }
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
    for w in p.warnings(&settings) {
        output::warn(&w);
    }
    if let Some(first) = plans.first() {
        for n in p.create_notices(&first.new, now) {
            output::warn(&n);
        }
    }
    let mut printer = Printer::new(&global.view, Mode::Create);
    let mut tally = Tally::new(plans.len());
    if dry_run {
        if matches!(target.credential, Ok(None)) {
            output::warn(&format!(
                "{} is not set (needed for a real run)",
                p.info().credential_env
            ));
        }
        for planned in plans {
            let outcome = lifecycle::dry_run(p, planned, Vec::new());
            tally.count(&outcome);
            printer.push(KeyResult {
                provider: p,
                key: String::new(),
                outcome,
            });
        }
        printer.finish();
        return Ok(tally.report(p, "would create", cancel));
    }
    let sel = target.selector(global);
    let s = super::open(global, target, cancel)?;
    if plans.len() > 1 {
        lifecycle::check_room(&s, plans.len()).await?;
    }
    let mut file = secret_file.as_deref().map(SecretFile::create).transpose()?;
    let mut pacer = Pacer::new(p);
    let mut stop: Option<String> = None;
    for planned in plans {
        let name = planned.new.name.clone();
        let outcome = if stop.is_some() || cancel.is_cancelled() || !pacer.turn(cancel).await {
            Outcome::NotAttempted
        } else {
            match lifecycle::create(&s, &planned.req, &mut file).await {
                Made::Key(key, secret, failure) => {
                    let new_shown = crate::text::sanitize(&key.id);
                    let made = Outcome::Created {
                        after: key,
                        secret,
                        req: Box::new(planned.req),
                        error: None,
                    };
                    deliver(&mut printer, made, failure, &name, &new_shown, &sel, p)
                }
                Made::Not(o) => o,
            }
        };
        // A refused credential or a rate limit that outlasted the retries would fail every
        // other create the same way; a secret that could not be delivered would be followed
        // by every later one: the rest are not attempted.
        if stop.is_none() {
            stop = match outcome.error() {
                Some(Error::Auth { .. }) => Some("the provider refused the credential".into()),
                Some(Error::RateLimited { .. }) => {
                    Some("the provider is still rate limiting after the retries".into())
                }
                _ if output::secret_undelivered() => Some(
                    "a new key's secret could not be delivered (see above), and every later \
                     secret would be lost the same way"
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
        printer.push(KeyResult {
            provider: p,
            key,
            outcome,
        });
    }
    printer.finish();
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

/// Names from `--from-file`: one per line, `#` lines and blank lines skipped, each name once.
async fn read_names(path: &std::path::Path, cancel: &Cancel) -> Result<Vec<String>> {
    let shown = path.display();
    let text = super::update::read_list(path, "one name per line", cancel).await?;
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
        if !seen.insert(name.to_string()) {
            return Err(Error::usage(format!(
                "--from-file {shown}, line {}: the name '{}' is given twice; each line makes one key",
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
/// through `printer` now (the key's `push` then finishes it), and a secret that reached
/// neither its file nor stdout (or only stdout, instead of its file) is the key's error.
fn deliver(
    printer: &mut Printer,
    made: Outcome,
    failure: Option<lifecycle::FileFailure>,
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
    let delivered = r.outcome.secret().is_none() || printer.push_secret_first(&r);
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
