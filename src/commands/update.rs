//! `keyctl update`: gather the keys (arguments, `--from-file`, `--match`), check every request
//! before anything is sent, then read (where the change needs the current state), build and
//! send each key's change through the runner.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use super::keys;
use super::report::Reporter;
use super::runner::{KeyJob, Runner, outcome_of};
use crate::cli::UpdateArgs;
use crate::criteria::{Criteria, UsageOver};
use crate::error::{Error, Result};
use crate::http::{Cancel, Http};
use crate::key::{self, Key, Known};
use crate::outcome::{KeyResult, Mode, Outcome};
use crate::output;
use crate::patch::{Amount, Change, Patch, Relative, RelativeOutcome};
use crate::provider::{BaseUrl, ProviderKind};
use crate::session::Session;
use crate::settings::{self, Global, Update};

pub async fn run(global: &Global, args: UpdateArgs, cancel: &Cancel) -> Result<i32> {
    // Standard input is read once; then the credential first: it is registered for masking
    // before any message can echo input.
    settings::check_stdin(args.select.from_file.as_deref(), global)?;
    let target = global.target(cancel).await?;
    let now = Utc::now();
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
        conditions,
    } = Update::from_args(args, global, now)?;
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
    let merge = p.adapter().needs_current(&patch, relative.is_some());
    for w in p.adapter().warnings(&patch) {
        output::warn(&w);
    }
    let env = match &target.source {
        crate::credential::Source::Env(v) => v.clone(),
        _ => p.info().credential_env.to_string(),
    };
    // A dry run reads each key's current state when it can (a credential is set), so the plan
    // shows `from → to`; without one it shows `?` for what it cannot know.
    let has_credential = matches!(target.credential, Ok(Some(_)));
    // A condition is checked on the key as read, as a relative limit is.
    let needs_read =
        relative.is_some() || merge || conditions.is_some() || (dry_run && has_credential);
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
    if match_glob.is_some() && !yes && !dry_run && !crate::env::interactive() {
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
    let ask = risky && !yes && !dry_run && crate::env::interactive();
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
        conditions,
        now,
    };
    if ask {
        confirm(&mut plan, &keys, cancel).await?;
    }
    let mut report = Reporter::writing(global, Mode::Update, !dry_run);
    let runner = Runner {
        job: Arc::new(plan),
        cancel: cancel.clone(),
        max_failures,
    };
    let tally = runner.run(keys, concurrency, &mut report).await;
    report.finish();
    Ok(tally.report(p, if dry_run { "would update" } else { "updated" }, cancel))
}

/// Keys whose plan is shown before the question (each read first, when a credential is set).
const PREVIEW: usize = 10;

/// Shows the plan of the first keys on stderr (the same plan as `--dry-run`, read first) and a
/// summary of the rest, then asks; a no is exit 2 with nothing sent.
async fn confirm(plan: &mut Plan, keys: &[String], cancel: &Cancel) -> Result<()> {
    let p = plan.p;
    output::tell(&format!(
        "{p}: about to update {} key(s){}{}:",
        keys.len(),
        if plan.conditions.is_some() {
            " (only those that meet the --if-* conditions are written)"
        } else {
            ""
        },
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
        let r = KeyResult {
            provider: p,
            key: key.clone(),
            outcome,
        };
        match (&r.outcome, r.outcome.error()) {
            (_, Some(e)) => output::tell(&format!(
                "{p} key {}: cannot plan: {e}",
                crate::text::sanitize(key)
            )),
            (Outcome::Unchanged { reason, .. }, None) => output::tell(&format!(
                "{p} key {}: unchanged: {reason}",
                crate::text::sanitize(key)
            )),
            (_, None) => output::tell(&output::plan_text(&r, false)),
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
            match (summary.is_empty(), plan.conditions.is_some()) {
                (true, _) => "",
                (false, false) => ", each: ",
                (false, true) => ", each that meets the conditions: ",
            }
        ));
    }
    (plan.dry_run, plan.read_first) = (dry, read);
    if crate::input::confirm("Apply this change?", cancel).await? {
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
    /// `--if-*`: only keys that meet any of these are written ([`judge`]).
    conditions: Option<Criteria>,
    /// The moment the run started: `--if-expiring-within` counts from it.
    now: DateTime<Utc>,
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
                Known::Value(a) => *a,
                // No cap: a relative change has nothing to add to (a bulk `+N` over keys of
                // which some are uncapped must not fail on those).
                Known::Null => return Err(Ok(format!("no cap: {delta} leaves it unlimited"))),
                Known::Unknown => {
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
            self.p
                .adapter()
                .merge_current(self.p.info(), before, &mut patch)
                .map_err(Err)?;
        }
        Ok((patch, asked))
    }
}

/// `apply`'s update of the key `key` to `patch` (the declared fields that differ): the same
/// write as `update`'s, the key read first (from the session's listing when it holds it) for
/// the provider's merge (Venice currencies) and the changes shown.
pub(super) async fn write_declared(s: Arc<Session>, key: &str, patch: Patch) -> Outcome {
    let p = s.p;
    let plan = Plan {
        p,
        base: s.base.clone(),
        session: Some(s),
        merge: p.adapter().needs_current(&patch, false),
        read_first: true,
        touched: patch.touched(),
        patch,
        relative: None,
        dry_run: false,
        conditions: None,
        now: Utc::now(),
    };
    one_key(&plan, key).await
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
    // The conditions, on the key as read: one that does not meet them (or whose state they
    // need is not known) gets no write.
    let mut notes = Vec::new();
    if let Some(c) = &plan.conditions {
        let judged = match &before {
            Some(k) => judge(c, k, plan.now),
            None => Err("condition not known: the key was not read; nothing sent".into()),
        };
        match judged {
            Ok(met) => notes.push(format!("condition met: {}", met.join("; "))),
            Err(reason) => {
                return Outcome::Unchanged {
                    before: before.map(Box::new),
                    reason,
                };
            }
        }
    }
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
            notes,
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

/// Whether a key meets the `--if-*` conditions, as `keyctl check` with the same criteria
/// decides it (any condition that holds: [`crate::criteria::reasons`]), and leaving out what check
/// leaves out (disabled keys, keys `rotate` retired). `Ok`: the reasons it meets them. `Err`:
/// why it gets no write: each condition it does not meet, or the field a condition needs that
/// was not known (never a write on a guess).
fn judge(c: &Criteria, k: &Key, now: DateTime<Utc>) -> std::result::Result<Vec<String>, String> {
    let met = crate::criteria::reasons(c, k, now);
    if !met.is_empty() {
        if k.disabled == Known::Value(true) {
            return Err(format!(
                "condition met ({}) but the key is disabled: conditions leave it out, as keyctl \
                 check does; nothing sent",
                met.join("; ")
            ));
        }
        if crate::criteria::rotated_out(k) {
            return Err(format!(
                "condition met ({}) but rotate retired this key (\"… (rotated out DATE)\"): \
                 conditions leave it out, as keyctl check does; nothing sent",
                met.join("; ")
            ));
        }
        return Ok(met);
    }
    let mut not_met = Vec::new();
    let mut unknown = Vec::new();
    let mut verdict = |v: Unmet| match v {
        Unmet::No(why) => not_met.push(why),
        Unmet::Unknown(why) => unknown.push(why),
    };
    if let Some(u) = &c.usage_over {
        verdict(usage_unmet(k, u));
    }
    if let Some(under) = c.remaining_under {
        verdict(remaining_unmet(k, under));
    }
    if let Some(within) = c.expiring_within {
        verdict(expiry_unmet(k, within, now));
    }
    if c.blocked {
        verdict(match k.blocked {
            Some(_) => Unmet::No("not blocked".into()),
            None => unknown_field("blocked state", "--if-blocked"),
        });
    }
    if unknown.is_empty() {
        Err(format!("condition not met: {}", not_met.join("; ")))
    } else {
        unknown.extend(not_met);
        Err(format!(
            "condition not known: {}; nothing sent",
            unknown.join("; ")
        ))
    }
}

/// Why a condition does not hold: it is known not to, or the field it needs is not known.
enum Unmet {
    No(String),
    Unknown(String),
}

fn unknown_field(field: &str, flag: &str) -> Unmet {
    Unmet::Unknown(format!(
        "the key's {field} is not known, so {flag} cannot be checked (keyctl get shows what \
         the provider reports)"
    ))
}

fn unit_word(k: &Key) -> &'static str {
    match k.unit {
        crate::key::Unit::Usd => "USD",
        crate::key::Unit::Credits => "credits",
    }
}

fn usage_unmet(k: &Key, u: &UsageOver) -> Unmet {
    let unit = unit_word(k);
    let Some(usage) = k.usage.value().map(|d| d.normalize()) else {
        return unknown_field("usage", "--if-usage-over");
    };
    match *u {
        UsageOver::Amount(a) => {
            let a = a.normalize();
            // `--if-usage-over 90` over a $50 limit: an amount above the cap that reads as a
            // percent, most likely meant as one.
            let hint = match k.limit.value() {
                Some(l) if a > *l && a <= Decimal::ONE_HUNDRED => format!(
                    " (an amount, above the key's {} {unit} limit: for a share of the limit \
                     write {a}%)",
                    l.normalize()
                ),
                _ => String::new(),
            };
            Unmet::No(format!("usage {usage} {unit} is under {a}{hint}"))
        }
        UsageOver::Percent(p) => match &k.limit {
            Known::Unknown => unknown_field("limit", "--if-usage-over"),
            Known::Null => Unmet::No(format!(
                "no cap: usage {usage} {unit} is no share of a limit"
            )),
            Known::Value(l) => {
                let share = usage
                    .checked_div(*l)
                    .and_then(|x| x.checked_mul(Decimal::ONE_HUNDRED))
                    .map(|x| {
                        x.round_dp_with_strategy(1, RoundingStrategy::ToZero)
                            .normalize()
                            .to_string()
                    })
                    .unwrap_or_else(|| "?".into());
                Unmet::No(format!(
                    "usage {usage} of {} {unit} ({share}%) is under {}%",
                    l.normalize(),
                    p.normalize()
                ))
            }
        },
    }
}

fn remaining_unmet(k: &Key, under: Decimal) -> Unmet {
    let left = match k.remaining {
        Known::Unknown => crate::key::remaining_or(Known::Unknown, &k.limit, &k.usage),
        known => known,
    };
    match left {
        Known::Unknown => unknown_field(
            "remaining amount (nor its limit and usage)",
            "--if-remaining-under",
        ),
        Known::Null => Unmet::No("no cap: nothing runs out".into()),
        Known::Value(r) => Unmet::No(format!(
            "remaining {} {} is not under {}",
            r.normalize(),
            unit_word(k),
            under.normalize()
        )),
    }
}

fn expiry_unmet(k: &Key, within: std::time::Duration, now: DateTime<Utc>) -> Unmet {
    let flag = "--if-expiring-within";
    match &k.expires {
        Known::Unknown => unknown_field("expiry", flag),
        Known::Null => Unmet::No("the key never expires".into()),
        Known::Value(s) => match crate::criteria::expiry_of(s) {
            None => Unmet::Unknown(format!(
                "the key's expiry '{}' is not a time keyctl reads, so {flag} cannot be checked",
                crate::text::truncate(&crate::text::sanitize(s), 40)
            )),
            Some(at) => {
                let left = at.signed_duration_since(now);
                let in_words = TimeDelta::to_std(&left)
                    .map(|d| format!(" (in {})", span(d)))
                    .unwrap_or_default();
                Unmet::No(format!(
                    "expires {}{in_words}, not within {}",
                    at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                    span(within)
                ))
            }
        },
    }
}

/// A span in its largest whole unit: "7 days", "1 hour", "90 minutes" is "1 hour".
fn span(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match secs {
        s if s >= 86_400 => plural(s / 86_400, "day"),
        s if s >= 3_600 => plural(s / 3_600, "hour"),
        s if s >= 60 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Unit;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
    }

    fn key(usage: Option<&str>, limit: Known<&str>) -> Key {
        let mut k = Key::unread("modelgates", "h", Unit::Usd);
        k.usage = Known::or_unknown(usage.map(|u| u.parse().unwrap()));
        k.limit = limit.map(|l| l.parse().unwrap());
        k
    }

    fn usage_over(s: &str) -> Criteria {
        Criteria {
            usage_over: Some(s.parse().unwrap()),
            ..Criteria::default()
        }
    }

    #[test]
    fn a_key_that_meets_a_condition_gets_check_s_reasons() {
        let k = key(Some("95"), Known::Value("100"));
        assert_eq!(
            judge(&usage_over("90%"), &k, now()),
            Ok(vec!["usage 95% of limit (95 of 100 USD)".to_string()])
        );
    }

    #[test]
    fn a_key_that_does_not_says_why_per_condition() {
        let k = key(Some("12.50"), Known::Value("100"));
        assert_eq!(
            judge(&usage_over("90%"), &k, now()).unwrap_err(),
            "condition not met: usage 12.5 of 100 USD (12.5%) is under 90%"
        );
        assert_eq!(
            judge(&usage_over("40"), &k, now()).unwrap_err(),
            "condition not met: usage 12.5 USD is under 40"
        );
        let c = Criteria {
            remaining_under: Some("5".parse().unwrap()),
            expiring_within: Some(std::time::Duration::from_secs(7 * 86_400)),
            blocked: true,
            ..Criteria::default()
        };
        let mut k = key(Some("10"), Known::Value("100"));
        k.expires = Known::Value("2026-12-23T00:00:00Z".into());
        k.blocked = Some(false);
        assert_eq!(
            judge(&c, &k, now()).unwrap_err(),
            "condition not met: remaining 90 USD is not under 5; expires 2026-12-23T00:00:00Z \
             (in 30 days), not within 7 days; not blocked"
        );
    }

    #[test]
    fn a_state_not_known_is_named_and_never_a_write() {
        for (k, field) in [
            (key(None, Known::Value("100")), "usage"),
            (key(Some("95"), Known::Unknown), "limit"),
        ] {
            let e = judge(&usage_over("90%"), &k, now()).unwrap_err();
            assert!(
                e.starts_with(&format!(
                    "condition not known: the key's {field} is not known"
                )) && e.ends_with("; nothing sent"),
                "{e}"
            );
        }
        let blocked = Criteria {
            blocked: true,
            ..Criteria::default()
        };
        let e = judge(&blocked, &key(None, Known::Unknown), now()).unwrap_err();
        assert!(e.contains("blocked state is not known"), "{e}");
        let mut k = key(None, Known::Unknown);
        k.expires = Known::Value("soon".into());
        let within = Criteria {
            expiring_within: Some(std::time::Duration::from_secs(60)),
            ..Criteria::default()
        };
        let e = judge(&within, &k, now()).unwrap_err();
        assert!(
            e.contains("expiry 'soon' is not a time keyctl reads"),
            "{e}"
        );
    }

    #[test]
    fn keys_check_leaves_out_are_left_out() {
        let mut k = key(Some("95"), Known::Value("100"));
        k.disabled = Known::Value(true);
        let e = judge(&usage_over("90%"), &k, now()).unwrap_err();
        assert!(e.contains("the key is disabled"), "{e}");
        let mut k = key(Some("95"), Known::Value("100"));
        k.name = Known::Value("ci (rotated out 2026-11-01)".into());
        k.expires = Known::Value("2026-11-02T00:00:00Z".into());
        let e = judge(&usage_over("90%"), &k, now()).unwrap_err();
        assert!(e.contains("rotate retired this key"), "{e}");
    }

    #[test]
    fn spans_in_their_largest_unit() {
        use std::time::Duration;
        assert_eq!(span(Duration::from_secs(7 * 86_400)), "7 days");
        assert_eq!(span(Duration::from_secs(5_400)), "1 hour");
        assert_eq!(span(Duration::from_secs(60)), "1 minute");
        assert_eq!(span(Duration::from_secs(1)), "1 second");
        assert_eq!(span(Duration::MAX), format!("{} days", u64::MAX / 86_400));
    }
}
