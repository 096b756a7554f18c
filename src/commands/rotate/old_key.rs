//! The old key's step in `keyctl rotate`: the default `--old`, the request that revokes,
//! disables or expires the old key (renaming it `NAME (rotated out DATE)` where it can), the
//! notices about a name two keys share, and the check that the answer shows what was asked.

use chrono::{DateTime, Utc};

use super::{DEFAULT_GRACE, same_id_form};
use crate::cli::OldKeyArg;
use crate::error::{Error, Result};
use crate::key::{Key, Known};
use crate::newkey;
use crate::outcome::Outcome;
use crate::output;
use crate::patch::{Change, Patch};
use crate::provider::{BaseUrl, ProviderKind};
use crate::request::Request;
use crate::session::Session;

/// `expire-in 24h` where the provider can change a key's expiry (io.net, Venice), else
/// `disable` (ModelGates, novapai, OpenRouter).
pub(super) fn default_old(p: ProviderKind, base: &BaseUrl, now: DateTime<Utc>) -> OldKeyArg {
    let expire = OldKeyArg::ExpireIn(DEFAULT_GRACE);
    if old_step(p, base, "", p.info().sample_key, &expire, None, now).is_ok() {
        expire
    } else {
        OldKeyArg::Disable
    }
}

/// `--old` in words.
pub(super) fn describe_old(old: &OldKeyArg) -> String {
    match old {
        OldKeyArg::Revoke => "revoked".into(),
        OldKeyArg::Disable => "disabled".into(),
        OldKeyArg::Keep => "kept as it is".into(),
        OldKeyArg::ExpireIn(d) => format!("set to expire in {}", humantime::format_duration(*d)),
    }
}

/// The old-key step: its request (`None`: nothing to send), what it does in words, what the
/// answer must show, the command that does it by hand, and the old key's new name when the
/// step renames it.
pub(super) struct Step {
    pub(super) req: Option<Request>,
    pub(super) words: String,
    pub(super) expect: Expect,
    pub(super) by_hand: String,
    pub(super) renamed: Option<String>,
}

/// What the answer to the old-key step must show when it shows the key.
pub(super) enum Expect {
    Nothing,
    Disabled,
    ExpiresAt(DateTime<Utc>),
}

/// The old-key step for `key`. An expiry never lengthens the old key's life: one that ends
/// sooner is left as it is. With the old key as read (`before`), a disable or an expiry also
/// renames it `NAME (rotated out YYYY-MM-DD)` (Venice: cut to 64 characters, the suffix whole)
/// in the same request, so its successor alone has the name; where the provider's update
/// cannot rename, the old key keeps its name (see [`name_kept`]).
pub(super) fn old_step(
    p: ProviderKind,
    base: &BaseUrl,
    sel: &str,
    key: &str,
    old: &OldKeyArg,
    before: Option<&Key>,
    now: DateTime<Utc>,
) -> Result<Step> {
    let shown = crate::text::sanitize(key);
    let step = |req, words: String, expect, by_hand| Step {
        req,
        words,
        expect,
        by_hand,
        renamed: None,
    };
    // The old key's new name, when it is known.
    let rename = before.map(|k| {
        newkey::rotated_out_name(
            k.name.value().map(String::as_str),
            now.date_naive(),
            name_cap(p),
        )
    });
    let flag = |e: Error, flag: &str, instead: &str| match e {
        Error::Unsupported { provider, .. } => Error::Unsupported {
            provider,
            flag: flag.into(),
            instead: instead.into(),
        },
        e => e,
    };
    match old {
        OldKeyArg::Keep => Ok(step(None, "kept".into(), Expect::Nothing, String::new())),
        OldKeyArg::Revoke => Ok(step(
            Some(p.build_delete(base, key)?),
            "revoked".into(),
            Expect::Nothing,
            format!("keyctl revoke {sel} {shown}"),
        )),
        OldKeyArg::Disable => {
            let patch = Patch {
                disabled: Some(true),
                ..Patch::default()
            };
            let req = p.build_update(base, key, &patch).map_err(|e| {
                flag(
                    e,
                    "--old disable",
                    "its keys cannot be disabled; use --old expire-in=DURATION, revoke or keep",
                )
            })?;
            Ok(renaming(
                p,
                base,
                key,
                patch,
                step(
                    Some(req),
                    "disabled".into(),
                    Expect::Disabled,
                    format!("keyctl update {sel} {shown} --disable"),
                ),
                rename,
            ))
        }
        OldKeyArg::ExpireIn(d) => {
            let at = chrono::Duration::from_std(*d)
                .ok()
                .and_then(|d| now.checked_add_signed(d))
                .ok_or_else(|| Error::usage("--old expire-in: the duration is too long"))?;
            let at = at.with_timezone(&Utc);
            let at = chrono::DurationRound::duration_trunc(at, chrono::Duration::seconds(1))
                .unwrap_or(at);
            let current = before
                .and_then(|k| k.expires.value().cloned())
                .and_then(|e| DateTime::parse_from_rfc3339(&e).ok())
                .map(|e| e.with_timezone(&Utc));
            if let Some(c) = current.filter(|c| *c <= at) {
                return Ok(step(
                    None,
                    format!(
                        "kept: it already expires at {}, sooner than asked",
                        crate::patch::rfc3339(&c)
                    ),
                    Expect::Nothing,
                    String::new(),
                ));
            }
            let patch = Patch {
                expires: Change::Set(at),
                ..Patch::default()
            };
            let req = p.build_update(base, key, &patch).map_err(|e| {
                flag(
                    e,
                    "--old expire-in",
                    "a key's expiry is fixed when it is created; use --old disable, revoke or keep",
                )
            })?;
            Ok(renaming(
                p,
                base,
                key,
                patch,
                step(
                    Some(req),
                    format!("expires at {}", crate::patch::rfc3339(&at)),
                    Expect::ExpiresAt(at),
                    format!(
                        "keyctl update {sel} {shown} --expires {}",
                        crate::patch::rfc3339(&at)
                    ),
                ),
                rename,
            ))
        }
    }
}

/// The most characters a key's name may have on this provider (Venice's descriptions: 64).
fn name_cap(p: ProviderKind) -> Option<usize> {
    (p.info().api == crate::provider::Api::Venice).then_some(64)
}

/// `step` with the rename added to its request (the same `patch` plus the name), when there is
/// a new name and the provider's update can carry it; else `step` as it is.
fn renaming(
    p: ProviderKind,
    base: &BaseUrl,
    key: &str,
    patch: Patch,
    step: Step,
    rename: Option<String>,
) -> Step {
    let Some(name) = rename else {
        return step;
    };
    let with_name = Patch {
        name: Some(name.clone()),
        ..patch
    };
    match p.build_update(base, key, &with_name) {
        Ok(req) => Step {
            req: Some(req),
            by_hand: format!("{} --name {}", step.by_hand, shell_word(&name)),
            renamed: Some(name),
            ..step
        },
        Err(_) => step,
    }
}

/// The notice for an old key that keeps its name while its successor has it too (`--old keep`,
/// an expiry already sooner than asked, a provider whose update cannot rename): two keys then
/// answer to one name until it is renamed. None when there is nothing to say (the step renames
/// it, or deletes it).
pub(super) fn name_kept(
    p: ProviderKind,
    sel: &str,
    key: &str,
    before: &Key,
    step: &Step,
    now: DateTime<Utc>,
) -> Option<String> {
    let is_delete = step
        .req
        .as_ref()
        .is_some_and(|r| r.method == crate::request::Method::Delete);
    if step.renamed.is_some() || is_delete {
        return None;
    }
    let name = before.name.value().cloned()?;
    let new_name = newkey::rotated_out_name(Some(&name), now.date_naive(), name_cap(p));
    let shown = crate::text::sanitize(key);
    Some(format!(
        "the old key {shown} keeps its name '{}' ({}), so it and its successor share that name: \
         rename it with `keyctl update {sel} {shown} --name {}`",
        crate::text::sanitize(&name),
        step.words,
        shell_word(&crate::text::sanitize(&new_name))
    ))
}

/// For an old key rotate retired (its name ends ` (rotated out DATE)`): the failure when
/// another key of the account has `name`, the successor's name, already (exit 2 for this key,
/// nothing created). A listing that cannot be read is said, and the rotation goes on.
pub(super) async fn name_held(s: &Session, key: &str, before: &Key, name: &str) -> Option<Outcome> {
    let old = before.name.value().cloned()?;
    if !newkey::is_rotated_out(&old) {
        return None;
    }
    let all = match s.listing().await {
        Ok(all) => all,
        Err(Error::Interrupted { .. }) => return Some(Outcome::NotAttempted),
        Err(e) => {
            output::warn(&format!(
                "{}: could not check whether another key is named '{}' ({e})",
                s.p,
                crate::text::sanitize(name)
            ));
            return None;
        }
    };
    let me = same_id_form(key);
    let other = all
        .iter()
        .find(|k| k.name.value().map(String::as_str) == Some(name) && same_id_form(&k.id) != me)?;
    Some(Outcome::Failed(Error::usage(format!(
        "{}: the old key is one rotate retired ('{}'); its successor would be named '{}', the \
         name of key {} already, so nothing was created and the old key was left as it is. \
         Rotate {} instead, or give the successor another name with --name",
        s.p,
        crate::text::sanitize(&old),
        crate::text::sanitize(name),
        crate::text::sanitize(&other.id),
        crate::text::sanitize(&other.id)
    ))))
}

/// `s` as one word for a POSIX shell: as it is when it holds only safe characters, else in
/// single quotes (a quote inside written `'\''`).
fn shell_word(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_.,:/@+=%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The old key as the step's answer shows it, when that is not what was asked: still enabled,
/// or another expiry (more than a second off), or none.
pub(super) fn not_as_asked(p: ProviderKind, k: &Key, expect: &Expect) -> Option<Error> {
    let what = match expect {
        Expect::Disabled if k.disabled == Known::Value(false) => "still enabled".to_string(),
        Expect::ExpiresAt(at) => match &k.expires {
            Known::Value(e)
                if DateTime::parse_from_rfc3339(e)
                    .is_ok_and(|t| (t.with_timezone(&Utc) - *at).num_seconds().abs() > 1) =>
            {
                format!("set to expire at {}", crate::text::sanitize(e))
            }
            Known::Null => "set to never expire".into(),
            _ => return None,
        },
        _ => return None,
    };
    Some(Error::Provider {
        provider: p.info().name,
        status: None,
        message: format!("the provider answered, but shows the old key {what}"),
    })
}
