//! What `create`, `revoke` and `rotate` share: the creation flags checked and resolved, the
//! secret's sink (`--secret-file`, `--secret-command`), pacing of creates to a provider's rate,
//! and one create sent and read with its secret kept off stderr.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::cli::ChangeArgs;
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::key::{self, Key, Known};
use crate::newkey::NewKey;
use crate::output::{self, NewSecret, Outcome};
use crate::patch::{LimitArg, Patch};
use crate::provider::{BaseUrl, ProviderKind};
use crate::request::Request;
use crate::session::Session;
use crate::sink::{Failure, Ready, Sink};

/// The change flags of `create` and `rotate`, resolved: the name (if given) and the settings.
/// `--disable`/`--enable` and a relative `--limit` have no meaning for a new key.
pub fn settings(
    command: &str,
    mut change: ChangeArgs,
    now: DateTime<Utc>,
) -> Result<(Option<String>, Patch)> {
    if change.disable || change.enable {
        return Err(Error::usage(format!(
            "keyctl {command}: a new key is created enabled; --disable/--enable are for keyctl update"
        )));
    }
    if let Some(LimitArg::Relative(d)) = change.limit {
        return Err(Error::usage(if d.is_sign_negative() {
            format!(
                "keyctl {command}: --limit {d} is negative; a new key takes --limit N (0 or more) \
                 or none"
            )
        } else {
            format!(
                "keyctl {command}: --limit {} changes a current limit; a new key takes --limit N \
                 or none",
                crate::patch::signed(d)
            )
        }));
    }
    let name = change.name.take().map(|n| n.0);
    Ok((name, change.resolve(now)?))
}

/// The sink `--secret-file` or `--secret-command` names (at most one: clap refuses both),
/// made ready before any key is made (see [`Sink::prepare`]); `keys` is how many keys the run
/// makes: a sink takes one secret.
pub fn sink(
    command: &str,
    file: Option<PathBuf>,
    secret_command: Option<&str>,
    keys: usize,
) -> Result<Option<Sink>> {
    let sink = match (file, secret_command) {
        (Some(path), _) => Sink::File(path),
        (None, Some(line)) => Sink::Command(crate::sink::split_command(line).map_err(|why| {
            Error::usage(format!(
                "--secret-command: {why}; nothing was created (it runs without a shell)"
            ))
        })?),
        (None, None) => return Ok(None),
    };
    if keys > 1 {
        return Err(Error::usage(format!(
            "{} holds one secret: {command} one key per run with it, or use -o json for several \
             (each line has its `secret`)",
            sink.flag()
        )));
    }
    Ok(Some(sink))
}

/// Readies `sink` (see [`Sink::prepare`]): its command runs without the admin credential
/// variables of any provider or profile.
pub fn ready(global: &crate::settings::Global, sink: Option<&Sink>) -> Result<Option<Ready>> {
    sink.map(|s| s.prepare(s.flag(), &credential_variables(global)))
        .transpose()
}

/// Every variable that may hold an admin credential: each provider's own, and each one a
/// profile or a custom provider names as its source.
pub fn credential_variables(global: &crate::settings::Global) -> Vec<String> {
    let mut v: Vec<String> = crate::provider::configured()
        .iter()
        .map(|p| p.info().credential_env.to_string())
        .collect();
    let sources = global
        .config
        .profiles
        .iter()
        .map(|p| &p.credential)
        .chain(global.config.providers.iter().map(|c| &c.credential));
    for s in sources {
        if let crate::credential::Source::Env(name) = s {
            v.push(name.clone());
        }
    }
    v.retain(|n| !n.is_empty());
    v.sort();
    v.dedup();
    v
}

/// Spaces creates to a provider's documented rate (Venice: 20 a minute): the n-th create waits
/// until the window since the (n - limit)-th has passed.
pub struct Pacer {
    rate: Option<(usize, Duration)>,
    starts: std::collections::VecDeque<Instant>,
    label: &'static str,
}

impl Pacer {
    pub fn new(p: ProviderKind) -> Pacer {
        let i = p.info();
        // KEYCTL_CREATE_WINDOW_MS shortens the window (the test suite's minute is shorter).
        let window = crate::env::get()
            .create_window_ms()
            .map(Duration::from_millis);
        Pacer {
            rate: i
                .create_rate
                .map(|(n, secs)| (n, window.unwrap_or(Duration::from_secs(secs)))),
            starts: std::collections::VecDeque::new(),
            label: i.name,
        }
    }

    /// Waits for the next create's turn; false when a signal came first.
    pub async fn turn(&mut self, cancel: &Cancel) -> bool {
        let Some((n, window)) = self.rate else {
            return true;
        };
        if self.starts.len() >= n
            && let Some(first) = self.starts.pop_front()
        {
            let wait = (first + window).saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                output::diag(&format!(
                    "{} allows {n} creates per {}: waiting {} before the next",
                    self.label,
                    humantime::format_duration(window),
                    humantime::format_duration(Duration::from_secs(wait.as_secs().max(1)))
                ));
                if !cancel.sleep(wait).await {
                    return false;
                }
            }
        }
        self.starts.push_back(Instant::now());
        true
    }
}

/// A create as sent: the request, and the key it should make (for plans).
pub struct Planned {
    pub new: NewKey,
    pub req: Request,
}

/// The create request for `new`, checked.
pub fn plan(p: ProviderKind, base: &BaseUrl, new: NewKey) -> Result<Planned> {
    let req = p.build_create(base, &new)?;
    Ok(Planned { new, req })
}

/// The key a create should make, as a plan shows it (id not known yet).
pub fn predicted(p: ProviderKind, new: &NewKey) -> Key {
    p.unread("").apply(&Patch {
        name: Some(new.name.clone()),
        ..new.settings.clone()
    })
}

/// The fields a plan of a create shows.
pub fn touched(settings: &Patch) -> Vec<&'static str> {
    let mut t = settings.touched();
    if !t.contains(&"name") {
        t.insert(0, "name");
    }
    t
}

/// The dry-run result of a create.
pub fn dry_run(p: ProviderKind, planned: Planned, notes: Vec<String>) -> Outcome {
    let after = predicted(p, &planned.new);
    Outcome::DryRun {
        changes: key::changes(None, &after, &touched(&planned.new.settings)),
        before: None,
        after: Box::new(after),
        req: Box::new(planned.req),
        notes,
    }
}

/// What one create came to: the key and its secret, or the outcome to report instead (the
/// sink, if any, is used only when a secret came back).
pub enum Made {
    /// The new key, where its secret went, and why it did not reach its sink (if it did not).
    Key(Box<Key>, NewSecret, Option<Failure>),
    Not(Outcome),
}

/// Sends one create and reads the new key and its secret. A failure before an answer is
/// `unknown` (a key may exist); an answer without a secret fails the key, naming the new id.
pub async fn create(s: &Session, req: &Request, sink: &mut Option<Ready>, cancel: &Cancel) -> Made {
    let p = s.p;
    let body = match s.send(req).await {
        Ok(b) => b,
        Err(Error::Unknown { cause }) => {
            return Made::Not(Outcome::Unknown(Error::CreateUnknown { cause }));
        }
        // A 500, 502 or 504 may come after the key was made (it is not retried either).
        Err(
            e @ Error::Provider {
                status: Some(500 | 502 | 504),
                ..
            },
        ) => {
            return Made::Not(Outcome::Unknown(Error::CreateUnknown {
                cause: Box::new(e),
            }));
        }
        Err(e) => return Made::Not(super::runner::outcome_of(at_cap(p, e))),
    };
    match p.parse_create(&body) {
        Ok(c) => match c.secret {
            // A provider that hands back the admin credential, or a near copy: never shown.
            Some(secret) if crate::mask::holds_credential(&secret) => {
                Made::Not(Outcome::Failed(Error::Provider {
                    provider: p.info().name,
                    status: None,
                    message: "the create was answered with a new secret that holds the admin \
                              credential itself or something like it (a piece of it, in another \
                              case, or with invisible characters inside); it is not shown. Check \
                              --base-url and the provider, and revoke any key this made (keyctl \
                              list)"
                        .into(),
                }))
            }
            Some(secret) => {
                if c.key.id.is_empty() {
                    output::warn(&format!(
                        "{p}: the create answer has the new secret but no key id; find the key \
                         with keyctl list -p {}",
                        p.info().id
                    ));
                }
                let (placed, failure) = crate::sink::place(secret, sink, cancel).await;
                Made::Key(Box::new(c.key), placed, failure)
            }
            None => Made::Not(Outcome::Failed(Error::Provider {
                provider: p.info().name,
                status: None,
                message: if c.key.id.is_empty() {
                    format!(
                        "the create was answered with success but with neither the new key's \
                         id nor its secret: find the key with keyctl list -p {} and revoke it",
                        p.info().id
                    )
                } else {
                    format!(
                        "the key {id} was created, but the answer carries no secret, so nobody \
                         has it: revoke it with `keyctl revoke -p {} {id}` and create another",
                        p.info().id,
                        id = crate::text::sanitize(&c.key.id),
                    )
                },
            })),
        },
        Err(e) => Made::Not(Outcome::Unknown(Error::CreateUnknown {
            cause: Box::new(e),
        })),
    }
}

/// A 400 to a create on a provider with a key cap, worded like one: the message says what the
/// cap is and what to do (Venice answers 400 when an account has 500 active keys).
fn at_cap(p: ProviderKind, e: Error) -> Error {
    match (p.info().max_keys, e) {
        (
            Some(max),
            Error::Rejected {
                provider,
                status: 400,
                message,
            },
        ) if ["maximum", "limit", &max.to_string()]
            .iter()
            .any(|w| message.to_ascii_lowercase().contains(w)) =>
        {
            Error::Rejected {
                provider,
                status: 400,
                message: format!(
                    "{message} ({provider} allows at most {max} active keys per account: if \
                     that is the cause, revoke unused ones; keyctl list -p {} counts them)",
                    p.info().id
                ),
            }
        }
        (_, e) => e,
    }
}

/// A provider's cap on active keys (Venice: 500), checked before a bulk create: the run is
/// refused with nothing created when it would go over. The keys are counted in the run's one
/// listing (the one its names were checked against), disabled keys left out.
pub async fn check_room(s: &Session, adding: usize) -> Result<()> {
    let p = s.p;
    let Some(max) = p.info().max_keys else {
        return Ok(());
    };
    let have = s
        .listing()
        .await?
        .iter()
        .filter(|k| k.disabled != Known::Value(true))
        .count();
    if have + adding > max {
        return Err(Error::usage(format!(
            "{p} allows at most {max} active keys per account; it has {have} and this run would \
             add {adding}. Revoke unused keys first (keyctl list -p {}, keyctl revoke); nothing \
             was created",
            p.info().id
        )));
    }
    Ok(())
}

/// `--columns` for TSV must keep the `secret` column when a secret is to be shown: it cannot be
/// shown again. (A table shows each new key whole; JSON has every field.)
pub fn check_columns(global: &crate::settings::Global, to_file: bool) -> Result<()> {
    let v = &global.view;
    match &v.columns {
        Some(cols)
            if v.format == output::Format::Tsv
                && !to_file
                && !cols.iter().any(|c| c.name == "secret") =>
        {
            Err(Error::usage(
                "--columns leaves out `secret`, and a new key's secret is shown only once: add \
                 secret to --columns, or send it elsewhere with --secret-file or --secret-command",
            ))
        }
        _ => Ok(()),
    }
}

/// The exit code, made non-zero when a new secret did not reach its place (stdout could not be
/// written, or the secret file), or a result record could not be written to stdout: the run
/// says so on stderr, and a script must not go on.
pub fn delivered(code: i32) -> i32 {
    if output::record_lost() {
        output::error(
            "the result of a key could not be written to stdout (a closed pipe, a full disk): \
             the change was made; `keyctl log` shows what this run did",
        );
    }
    if code == 0 && (output::secret_undelivered() || output::record_lost()) {
        1
    } else {
        code
    }
}
