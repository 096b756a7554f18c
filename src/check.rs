//! `keyctl check`: which keys match --expiring-within, --usage-over, --remaining-under,
//! --disabled and --blocked, and which keys `rotate` retired (left out unless --include-rotated-out).
//!
//! Pure: a [`Criteria`] and a [`Key`] as read give the reasons the key matches ([`reasons`]),
//! empty when it does not. Nothing here reads the clock (`now` is passed in), prints or fails:
//! a field that is not known, or not understood, simply never matches.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeDelta, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::key::{Key, Known, Unit};
use crate::patch::Amount;

/// The largest percent `--usage-over` takes.
pub const MAX_PERCENT: u32 = 1000;

/// `--usage-over`: a share of the key's limit (`80%`) or an amount in the key's unit (`40`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageOver {
    /// Percent of the limit, 0 to [`MAX_PERCENT`] (`80` for `80%`).
    Percent(Decimal),
    /// An amount >= 0 in the key's unit (USD, or credits on io.net).
    Amount(Decimal),
}

/// What `--usage-over` accepts, for the end of every refusal.
const USAGE_FORMS: &str = "write a percent of the key's limit such as 80% (or 0.5%), or an \
                           amount in the key's unit (USD, or credits on io.net) such as 40 or 40.25";

impl FromStr for UsageOver {
    type Err = String;

    /// `80%`, `80 %`, `0.5%` (percent of the limit), `40`, `40.25` (an amount). Refuses an empty
    /// value, a negative one, anything but a plain decimal, a percent over 1000, and an amount
    /// between 0 and 1 (`0.9`: a fraction meant as 90%, most likely).
    fn from_str(s: &str) -> Result<UsageOver, String> {
        let t = s.trim();
        let (number, percent) = match t.strip_suffix('%') {
            Some(n) => (n.trim_end(), true),
            None => (t, false),
        };
        let shown = crate::text::truncate(t, 40);
        if number.is_empty() {
            return Err(format!("--usage-over needs a number; {USAGE_FORMS}"));
        }
        if number.starts_with('-') {
            return Err(format!(
                "--usage-over '{shown}' is negative; usage is never below 0: {USAGE_FORMS}"
            ));
        }
        let value = Amount::from_str(number)
            .map_err(|_| format!("--usage-over '{shown}' is not a plain decimal; {USAGE_FORMS}"))?
            .value()
            .normalize();
        if !percent {
            // 0.9 is most likely meant as 90%: as an amount it matches nearly every used key,
            // and update would write them all.
            if value > Decimal::ZERO && value < Decimal::ONE {
                let as_percent = (value * Decimal::ONE_HUNDRED).normalize();
                return Err(format!(
                    "--usage-over '{shown}' has no %, so it is an amount ({shown} USD, or credits \
                     on io.net, spent), which nearly every used key has reached; for a share of \
                     the limit write {as_percent}%; an amount is 0 or at least 1"
                ));
            }
            return Ok(UsageOver::Amount(value));
        }
        if value > Decimal::from(MAX_PERCENT) {
            return Err(format!(
                "--usage-over '{shown}' is more than {MAX_PERCENT}%: providers stop a key at its \
                 limit, so usage never gets that far past it and no key would match (a typo?); \
                 write a percent from 0% to {MAX_PERCENT}%, or leave out the % for an amount"
            ));
        }
        Ok(UsageOver::Percent(value))
    }
}

/// What `keyctl check` looks for; a key matches when any criterion given matches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Criteria {
    /// `--expiring-within`: the key expires at or before now + this (or has expired).
    pub expiring_within: Option<Duration>,
    /// `--usage-over`: usage at or over a percent of the limit, or an amount.
    pub usage_over: Option<UsageOver>,
    /// `--disabled`: the key is known to be disabled.
    pub disabled: bool,
    /// `--remaining-under`: less than this amount left this period (limit - usage).
    pub remaining_under: Option<Decimal>,
    /// `--blocked`: the key is known to be blocked (its limit reached).
    pub blocked: bool,
}

impl Criteria {
    /// True when no criterion is given (then no key matches).
    pub fn is_empty(&self) -> bool {
        self.expiring_within.is_none()
            && self.usage_over.is_none()
            && !self.disabled
            && self.remaining_under.is_none()
            && !self.blocked
    }
}

/// `--remaining-under AMOUNT`: a plain decimal >= 0 in the key's unit (USD, or credits on
/// io.net).
pub fn parse_remaining_under(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    let shown = crate::text::truncate(t, 40);
    let forms = "write an amount in the key's unit (USD, or credits on io.net) such as 5 or 2.50";
    if t.is_empty() {
        return Err(format!("--remaining-under needs an amount; {forms}"));
    }
    if t.starts_with('-') {
        return Err(format!(
            "--remaining-under '{shown}' is negative; what is left is never below 0: {forms}"
        ));
    }
    if t.ends_with('%') {
        return Err(format!(
            "--remaining-under '{shown}' is a percent; it takes an amount ({forms}); for a share \
             of the limit use --usage-over, e.g. --usage-over 80%"
        ));
    }
    Amount::from_str(t)
        .map(|a| a.value().normalize())
        .map_err(|_| format!("--remaining-under '{shown}' is not a plain decimal; {forms}"))
}

/// Whether `rotate` retired `k`: its name ends with ` (rotated out YYYY-MM-DD)` (the suffix
/// whole, as on a name cut to Venice's 64 characters) and it is disabled or has an expiry, the
/// state `rotate` gave it. A key only named so, still enabled with no expiry, is not.
pub fn rotated_out(k: &Key) -> bool {
    let named = known(&k.name).is_some_and(|n| crate::newkey::is_rotated_out(n));
    named && (k.disabled == Some(Some(true)) || known(&k.expires).is_some())
}

/// Why the key matches (empty: it does not), one reason per criterion that matches, in the
/// order expiry, usage, disabled, remaining, blocked: "expires in 3 days
/// (2026-11-26T00:00:00Z)", "expired 2 days ago (…)", "usage 85% of limit (42.5 of 50 USD)",
/// "usage 40.2 ≥ 40 USD", "disabled", "remaining 3.5 < 5 USD", "blocked: usage 100 of 100
/// credits".
///
/// - Expiry: `expires` at or before `now + expiring_within` (an expired key matches too); no
///   expiry (`null`), not known, or not a timestamp [`expiry_of`] understands never matches.
/// - Usage, both forms inclusive (exactly 80% matches `80%`; usage equal to the amount
///   matches): an amount compares with `usage`; a percent needs a known limit: a limit of 0 is
///   fully spent (any usage matches any percent), no limit (`null`) never matches. Unknown
///   usage never matches.
/// - Per currency (Venice): only the main `limit`/`usage` pair is checked. On Venice these are
///   the USD cap (`limits.usd`) and the USD spend of the current period; the key holds no DIEM
///   or VCU usage to compare `limits.diem`/`limits.vcu` with, so those caps are not checked.
/// - Disabled: `disabled` known to be true (io.net and Venice keys have no such state).
/// - Remaining: strictly less than the amount left (see [`remaining_under`]).
/// - Blocked: `blocked` known to be true ([`Key::blocked`], derived per provider), with the
///   provider's figures that make it so; a key whose state is not known never matches.
pub fn reasons(c: &Criteria, k: &Key, now: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(within) = c.expiring_within {
        out.extend(expiring(k, within, now));
    }
    if let Some(u) = &c.usage_over {
        out.extend(usage_over(k, u));
    }
    if c.disabled && k.disabled == Some(Some(true)) {
        out.push("disabled".into());
    }
    if let Some(under) = c.remaining_under {
        out.extend(remaining_under(k, under));
    }
    if c.blocked && k.blocked == Some(true) {
        out.push(match &k.blocked_why {
            Some(why) => format!("blocked: {why}"),
            None => "blocked".into(),
        });
    }
    out
}

/// The remaining reason, when less than `under` is left this period: the key's `remaining`
/// (the provider's figure, else limit - usage). No cap never matches; neither does a
/// remaining that is not known (no figure, and limit or usage unknown).
fn remaining_under(k: &Key, under: Decimal) -> Option<String> {
    let left = match &k.remaining {
        Some(Some(r)) => *r,
        Some(None) => return None,
        None => crate::key::remaining_or(None, &k.limit, &k.usage)??,
    };
    let unit = unit_word(k.unit);
    (left < under).then(|| {
        format!(
            "remaining {} < {} {unit}",
            left.normalize(),
            under.normalize()
        )
    })
}

/// A key's `expires` as a moment: RFC 3339 (any offset), the zone-less forms adapters may pass
/// on (`2026-08-20T00:00:00`, `2026-08-20 00:00:00`, with or without a fraction; taken as UTC)
/// and a date `YYYY-MM-DD` (00:00 UTC, as Venice accepts it). Anything else (`never`, `""`,
/// garbage) is None.
pub fn expiry_of(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok());
    match naive {
        Some(n) => Some(n.and_utc()),
        None => Some(
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)?
                .and_utc(),
        ),
    }
}

/// The expiry reason, when the key expires at or before `now + within`. A window too large
/// for the calendar reaches every expiry.
fn expiring(k: &Key, within: Duration, now: DateTime<Utc>) -> Option<String> {
    let at = expiry_of(known(&k.expires)?)?;
    let horizon = TimeDelta::from_std(within)
        .ok()
        .and_then(|d| now.checked_add_signed(d));
    if horizon.is_some_and(|h| at > h) {
        return None;
    }
    Some(expiry_words(at, now))
}

/// "expires in 3 days (…)", "expires now (…)" or "expired 2 days ago (…)".
fn expiry_words(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let shown = at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let delta = at.signed_duration_since(now);
    let span = span_words(delta.num_seconds().unsigned_abs());
    match delta.cmp(&TimeDelta::zero()) {
        std::cmp::Ordering::Greater => format!("expires in {span} ({shown})"),
        std::cmp::Ordering::Equal => format!("expires now ({shown})"),
        std::cmp::Ordering::Less => format!("expired {span} ago ({shown})"),
    }
}

/// A span in its largest whole unit: "3 days", "1 hour", "5 minutes", "less than a minute".
fn span_words(secs: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match secs {
        s if s >= 86_400 => plural(s / 86_400, "day"),
        s if s >= 3_600 => plural(s / 3_600, "hour"),
        s if s >= 60 => plural(s / 60, "minute"),
        _ => "less than a minute".into(),
    }
}

/// The usage reason, when the key's usage is at or over `u`.
fn usage_over(k: &Key, u: &UsageOver) -> Option<String> {
    let usage = *known(&k.usage)?;
    let unit = unit_word(k.unit);
    match *u {
        UsageOver::Amount(a) => {
            (usage >= a).then(|| format!("usage {} ≥ {} {unit}", usage.normalize(), a.normalize()))
        }
        UsageOver::Percent(p) => percent_reason(usage, *known(&k.limit)?, p, unit),
    }
}

/// The percent reason: a limit of 0 is fully spent; else usage / limit >= `p` percent.
fn percent_reason(usage: Decimal, limit: Decimal, p: Decimal, unit: &str) -> Option<String> {
    let (u, l) = (usage.normalize(), limit.normalize());
    if limit.is_zero() {
        return Some(format!("limit 0 {unit}: fully spent (usage {u} {unit})"));
    }
    if !at_least_percent(usage, limit, p) {
        return None;
    }
    let shown = percent_of(usage, limit).map_or_else(
        || format!("over {MAX_PERCENT}"),
        |x| {
            x.round_dp_with_strategy(1, RoundingStrategy::ToZero)
                .normalize()
                .to_string()
        },
    );
    Some(format!("usage {shown}% of limit ({u} of {l} {unit})"))
}

/// Whether `usage` is at least `p` percent of `limit` (> 0): exact cross-multiplication, or
/// the quotient when a product is beyond a decimal (only a quotient too large for a decimal
/// is beyond any percent).
fn at_least_percent(usage: Decimal, limit: Decimal, p: Decimal) -> bool {
    match (
        usage.checked_mul(Decimal::ONE_HUNDRED),
        limit.checked_mul(p),
    ) {
        (Some(a), Some(b)) => a >= b,
        _ => percent_of(usage, limit).is_none_or(|x| x >= p),
    }
}

/// `usage` as a percent of `limit`; None when the quotient does not fit a decimal.
fn percent_of(usage: Decimal, limit: Decimal) -> Option<Decimal> {
    usage.checked_div(limit)?.checked_mul(Decimal::ONE_HUNDRED)
}

/// The unit as messages write it after an amount.
fn unit_word(u: Unit) -> &'static str {
    match u {
        Unit::Usd => "USD",
        Unit::Credits => "credits",
    }
}

/// The value of a field known to have one.
fn known<T>(k: &Known<T>) -> Option<&T> {
    k.as_ref()?.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Limits;
    use crate::provider::ProviderKind;
    use chrono::TimeZone;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
    }

    fn days(n: u64) -> Duration {
        Duration::from_secs(n * 86_400)
    }

    fn expiring_in(within: Duration) -> Criteria {
        Criteria {
            expiring_within: Some(within),
            ..Criteria::default()
        }
    }

    fn over(s: &str) -> Criteria {
        Criteria {
            usage_over: Some(s.parse().unwrap()),
            ..Criteria::default()
        }
    }

    fn key_expiring(e: Known<String>) -> Key {
        let mut k = Key::unread("modelgates", "h", Unit::Usd);
        k.expires = e;
        k
    }

    fn spent(usage: Known<Decimal>, limit: Known<Decimal>, unit: Unit) -> Key {
        let mut k = Key::unread("modelgates", "h", unit);
        k.usage = usage;
        k.limit = limit;
        k
    }

    fn val(s: &str) -> Known<Decimal> {
        Some(Some(d(s)))
    }

    #[test]
    fn usage_over_parses_percent_and_amounts() {
        let ok = [
            ("80%", UsageOver::Percent(d("80"))),
            ("80 %", UsageOver::Percent(d("80"))),
            (" 0.5% ", UsageOver::Percent(d("0.5"))),
            ("0%", UsageOver::Percent(d("0"))),
            ("1000%", UsageOver::Percent(d("1000"))),
            ("40", UsageOver::Amount(d("40"))),
            ("40.25", UsageOver::Amount(d("40.25"))),
            ("0", UsageOver::Amount(d("0"))),
            ("5000", UsageOver::Amount(d("5000"))),
        ];
        for (s, want) in ok {
            assert_eq!(s.parse::<UsageOver>(), Ok(want), "{s}");
        }
    }

    #[test]
    fn usage_over_refusals_say_what_to_write() {
        for bad in [
            "", " ", "%", " % ", "abc", "abc%", "80%%", "1e3", "+5", "5.", ".5", "4 0",
        ] {
            let e = bad.parse::<UsageOver>().unwrap_err();
            assert!(e.contains("80%") && e.contains("40.25"), "{bad}: {e}");
        }
        let e = "-5%".parse::<UsageOver>().unwrap_err();
        assert!(e.contains("negative"), "{e}");
        assert!("-1".parse::<UsageOver>().unwrap_err().contains("negative"));
        let e = "1000.1%".parse::<UsageOver>().unwrap_err();
        assert!(e.contains("more than 1000%") && e.contains("limit"), "{e}");
        assert!("1500 %".parse::<UsageOver>().is_err());
        // Control characters typed in are not echoed.
        let e = "a\u{1b}[31mb".parse::<UsageOver>().unwrap_err();
        assert!(!e.contains('\u{1b}'), "{e}");
    }

    #[test]
    fn empty_criteria_match_nothing() {
        let c = Criteria::default();
        assert!(c.is_empty());
        let mut k = spent(val("50"), val("50"), Unit::Usd);
        k.disabled = Some(Some(true));
        k.expires = Some(Some("2020-01-01T00:00:00Z".into()));
        assert!(reasons(&c, &k, now()).is_empty());
        assert!(!over("1").is_empty());
        assert!(!expiring_in(days(1)).is_empty());
        let dis = Criteria {
            disabled: true,
            ..Criteria::default()
        };
        assert!(!dis.is_empty());
    }

    #[test]
    fn expiring_within_a_window_and_expired_keys() {
        let c = expiring_in(days(7));
        let k = key_expiring(Some(Some("2026-11-26T00:00:00Z".into())));
        assert_eq!(
            reasons(&c, &k, now()),
            ["expires in 3 days (2026-11-26T00:00:00Z)"]
        );
        let k = key_expiring(Some(Some("2026-11-21T00:00:00Z".into())));
        assert_eq!(
            reasons(&c, &k, now()),
            ["expired 2 days ago (2026-11-21T00:00:00Z)"]
        );
        let k = key_expiring(Some(Some("2026-12-15T00:00:00Z".into())));
        assert!(reasons(&c, &k, now()).is_empty());
    }

    #[test]
    fn the_expiry_edge_is_inclusive() {
        let c = expiring_in(days(7));
        let edge = key_expiring(Some(Some("2026-11-30T00:00:00Z".into())));
        assert_eq!(
            reasons(&c, &edge, now()),
            ["expires in 7 days (2026-11-30T00:00:00Z)"]
        );
        let past = key_expiring(Some(Some("2026-11-30T00:00:00.001Z".into())));
        assert!(reasons(&c, &past, now()).is_empty());
        let at_now = key_expiring(Some(Some("2026-11-23T00:00:00Z".into())));
        assert_eq!(
            reasons(&expiring_in(Duration::ZERO), &at_now, now()),
            ["expires now (2026-11-23T00:00:00Z)"]
        );
        let soon = key_expiring(Some(Some("2026-11-23T00:00:30Z".into())));
        assert!(reasons(&expiring_in(Duration::ZERO), &soon, now()).is_empty());
        assert_eq!(
            reasons(&expiring_in(Duration::from_secs(30)), &soon, now()),
            ["expires in less than a minute (2026-11-23T00:00:30Z)"]
        );
    }

    #[test]
    fn never_expiring_unknown_and_unparseable_never_match() {
        let c = expiring_in(Duration::MAX);
        for e in [
            None,
            Some(None),
            Some(Some("never".to_string())),
            Some(Some(String::new())),
            Some(Some("soon".to_string())),
            Some(Some("2026-13-01".to_string())),
            Some(Some("31/12/2026".to_string())),
        ] {
            assert!(
                reasons(&c, &key_expiring(e.clone()), now()).is_empty(),
                "{e:?}"
            );
        }
    }

    #[test]
    fn expiry_formats_the_adapters_produce() {
        let at = |s: &str| expiry_of(s).map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        assert_eq!(
            at("2026-11-26T00:00:00Z").as_deref(),
            Some("2026-11-26T00:00:00Z")
        );
        assert_eq!(
            at("2026-11-26T02:00:00+02:00").as_deref(),
            Some("2026-11-26T00:00:00Z")
        );
        assert_eq!(
            at("2026-11-26T00:00:00.500Z").as_deref(),
            Some("2026-11-26T00:00:00.500Z")
        );
        assert_eq!(
            at("2026-08-20T00:00:00").as_deref(),
            Some("2026-08-20T00:00:00Z")
        );
        assert_eq!(
            at("2026-08-20 10:30:00.25").as_deref(),
            Some("2026-08-20T10:30:00.250Z")
        );
        assert_eq!(at(" 2026-08-20 ").as_deref(), Some("2026-08-20T00:00:00Z"));
        assert_eq!(at("never"), None);
        // A window past the end of the calendar reaches every dated expiry.
        let far = key_expiring(Some(Some("9999-12-31T23:59:59Z".into())));
        assert_eq!(reasons(&expiring_in(Duration::MAX), &far, now()).len(), 1);
    }

    #[test]
    fn expiry_through_the_adapters() {
        let now = now();
        // io.net: "never" is read as no expiry; a naive timestamp as UTC.
        let page = ProviderKind::Ionet
            .parse_list(
                br#"{"status":"succeeded","data":[
                    {"id":"a","expires_at":"never","credit_limit":10,"credit_used":9},
                    {"id":"b","expires_at":"2026-11-24T12:00:00","credit_limit":null,"credit_used":9}]}"#,
            )
            .unwrap();
        let c = Criteria {
            expiring_within: Some(days(7)),
            usage_over: Some("90%".parse().unwrap()),
            disabled: true,
            remaining_under: None,
            blocked: false,
        };
        assert_eq!(
            reasons(&c, &page.keys[0], now),
            ["usage 90% of limit (9 of 10 credits)"]
        );
        assert_eq!(
            reasons(&c, &page.keys[1], now),
            ["expires in 1 day (2026-11-24T12:00:00Z)"]
        );
        // ModelGates: a disabled key, expires_at with an offset.
        let k = ProviderKind::ModelGates
            .parse_get(
                "h",
                br#"{"data":{"hash":"h","disabled":true,"limit":50,"usage":42.5,
                    "usage_monthly":42.5,"limit_reset":"monthly","expires_at":"2026-11-20T01:00:00+01:00"}}"#,
            )
            .unwrap();
        assert_eq!(
            reasons(&c, &k, now),
            ["expired 3 days ago (2026-11-20T00:00:00Z)", "disabled"]
        );
        assert_eq!(
            reasons(&over("85%"), &k, now),
            ["usage 85% of limit (42.5 of 50 USD)"]
        );
    }

    #[test]
    fn percent_boundaries() {
        let k = spent(val("40"), val("50"), Unit::Usd);
        assert_eq!(
            reasons(&over("80%"), &k, now()),
            ["usage 80% of limit (40 of 50 USD)"]
        );
        assert!(reasons(&over("80.01%"), &k, now()).is_empty());
        assert_eq!(reasons(&over("0%"), &k, now()).len(), 1);
        let k = spent(val("1"), val("3"), Unit::Usd);
        assert_eq!(
            reasons(&over("33.3%"), &k, now()),
            ["usage 33.3% of limit (1 of 3 USD)"]
        );
        assert!(reasons(&over("33.34%"), &k, now()).is_empty());
        let k = spent(val("150"), val("50"), Unit::Usd);
        assert_eq!(
            reasons(&over("100%"), &k, now()),
            ["usage 300% of limit (150 of 50 USD)"]
        );
        assert_eq!(reasons(&over("300%"), &k, now()).len(), 1);
        assert!(reasons(&over("300.1%"), &k, now()).is_empty());
    }

    #[test]
    fn a_zero_limit_is_fully_spent_and_no_limit_never_matches_a_percent() {
        let zero = spent(val("0"), val("0"), Unit::Credits);
        assert_eq!(
            reasons(&over("1000%"), &zero, now()),
            ["limit 0 credits: fully spent (usage 0 credits)"]
        );
        let none = spent(val("1000"), Some(None), Unit::Usd);
        assert!(reasons(&over("0%"), &none, now()).is_empty());
        // An amount needs no limit.
        assert_eq!(
            reasons(&over("1000"), &none, now()),
            ["usage 1000 ≥ 1000 USD"]
        );
    }

    #[test]
    fn amounts_are_inclusive_and_in_the_key_unit() {
        let k = spent(val("40.2"), None, Unit::Usd);
        assert_eq!(reasons(&over("40"), &k, now()), ["usage 40.2 ≥ 40 USD"]);
        assert_eq!(
            reasons(&over("40.20"), &k, now()),
            ["usage 40.2 ≥ 40.2 USD"]
        );
        assert!(reasons(&over("40.21"), &k, now()).is_empty());
        let k = spent(val("7"), None, Unit::Credits);
        assert_eq!(reasons(&over("7"), &k, now()), ["usage 7 ≥ 7 credits"]);
    }

    #[test]
    fn unknown_usage_or_limit_never_matches() {
        for (u, l) in [(None, val("10")), (Some(None), val("10")), (val("5"), None)] {
            let k = spent(u, l, Unit::Usd);
            assert!(reasons(&over("1%"), &k, now()).is_empty(), "{u:?} {l:?}");
        }
        assert!(reasons(&over("0"), &spent(None, None, Unit::Usd), now()).is_empty());
    }

    #[test]
    fn disabled_only_when_known_true() {
        let c = Criteria {
            disabled: true,
            ..Criteria::default()
        };
        for (state, want) in [
            (None, false),
            (Some(None), false),
            (Some(Some(false)), false),
            (Some(Some(true)), true),
        ] {
            let mut k = Key::unread("openrouter", "h", Unit::Usd);
            k.disabled = state;
            assert_eq!(reasons(&c, &k, now()) == ["disabled"], want, "{state:?}");
        }
    }

    #[test]
    fn blocked_only_when_known_true_with_the_providers_figures() {
        let c = Criteria {
            blocked: true,
            ..Criteria::default()
        };
        let ionet = ProviderKind::Ionet
            .parse_list(
                br#"{"status":"succeeded","data":[
                    {"id":"a","credit_limit":100,"credit_used":100},
                    {"id":"b","credit_limit":100,"credit_used":99},
                    {"id":"c","credit_limit":null,"credit_used":500},
                    {"id":"d","credit_limit":100}]}"#,
            )
            .unwrap();
        let got: Vec<Vec<String>> = ionet.keys.iter().map(|k| reasons(&c, k, now())).collect();
        assert_eq!(
            got,
            [
                vec!["blocked: usage 100 of 100 credits".to_string()],
                vec![],
                vec![],
                vec![]
            ]
        );
        let gates = |body: &[u8]| ProviderKind::OpenRouter.parse_get("h", body).unwrap();
        let spent = gates(
            br#"{"data":{"hash":"h","disabled":false,"limit":10,"limit_remaining":0,
                "usage":10,"limit_reset":null}}"#,
        );
        assert_eq!(
            reasons(&c, &spent, now()),
            ["blocked: limit_remaining 0 of the 10 USD limit"]
        );
        // Disabled is not blocked; blocked needs no --disabled.
        let off = gates(br#"{"data":{"hash":"h","disabled":true,"limit":10,"limit_remaining":4}}"#);
        assert!(reasons(&c, &off, now()).is_empty());
        let venice = ProviderKind::Venice
            .parse_get(
                "v",
                br#"{"data":{"id":"v","consumptionLimits":{"usd":10,"diem":1,"vcu":null},
                    "currentPeriodUsage":{"usd":"2","diem":"1"},"limitPeriod":"EPOCH"}}"#,
            )
            .unwrap();
        assert_eq!(reasons(&c, &venice, now()), ["blocked: usage 1 of 1 DIEM"]);
        // Not asked: no reason.
        assert!(reasons(&over("100%"), &venice, now()).is_empty());
        // Known false or not known: none.
        for state in [None, Some(false)] {
            let mut k = venice.clone();
            k.blocked = state;
            assert!(reasons(&c, &k, now()).is_empty(), "{state:?}");
        }
    }

    #[test]
    fn venice_checks_the_usd_pair_only() {
        let k = ProviderKind::Venice
            .parse_get(
                "v",
                br#"{"data":{"id":"v","consumptionLimits":{"usd":10,"diem":1,"vcu":null},
                    "currentPeriodUsage":{"usd":"9.5","diem":"1"},"limitPeriod":"EPOCH",
                    "expiresAt":null}}"#,
            )
            .unwrap();
        assert_eq!(
            reasons(&over("95%"), &k, now()),
            ["usage 95% of limit (9.5 of 10 USD)"]
        );
        assert!(reasons(&over("96%"), &k, now()).is_empty());
        // Only a DIEM cap: no USD limit, so no percent matches.
        let mut diem_only = k.clone();
        diem_only.limit = Some(None);
        diem_only.limits = Some(Some(Limits {
            usd: Some(None),
            diem: val("1"),
            vcu: Some(None),
        }));
        assert!(reasons(&over("1%"), &diem_only, now()).is_empty());
        assert!(reasons(&expiring_in(Duration::MAX), &k, now()).is_empty());
    }

    #[test]
    fn every_criterion_together() {
        let mut k = spent(val("45"), val("50"), Unit::Usd);
        k.disabled = Some(Some(true));
        k.expires = Some(Some("2026-11-23T05:00:00Z".into()));
        let c = Criteria {
            expiring_within: Some(Duration::from_secs(6 * 3600)),
            usage_over: Some(UsageOver::Percent(d("80"))),
            disabled: true,
            remaining_under: Some(d("5.01")),
            blocked: false,
        };
        assert_eq!(
            reasons(&c, &k, now()),
            [
                "expires in 5 hours (2026-11-23T05:00:00Z)",
                "usage 90% of limit (45 of 50 USD)",
                "disabled",
                "remaining 5 < 5.01 USD"
            ]
        );
    }

    #[test]
    fn remaining_under_is_strict_and_skips_no_cap_and_unknowns() {
        let c = |a: &str| Criteria {
            remaining_under: Some(d(a)),
            ..Criteria::default()
        };
        // Computed from limit - usage when the provider gives no figure.
        let k = spent(val("46.5"), val("50"), Unit::Usd);
        assert_eq!(reasons(&c("5"), &k, now()), ["remaining 3.5 < 5 USD"]);
        assert!(reasons(&c("3.5"), &k, now()).is_empty());
        // The provider's own figure first.
        let mut k = spent(val("1"), val("50"), Unit::Credits);
        k.remaining = val("2");
        assert_eq!(reasons(&c("2.5"), &k, now()), ["remaining 2 < 2.5 credits"]);
        // Spent past the cap: 0 left.
        let k = spent(val("60"), val("50"), Unit::Usd);
        assert_eq!(reasons(&c("0.01"), &k, now()), ["remaining 0 < 0.01 USD"]);
        assert!(reasons(&c("0"), &k, now()).is_empty());
        // No cap, or not known: never.
        let mut none = spent(val("1000"), Some(None), Unit::Usd);
        none.remaining = Some(None);
        assert!(reasons(&c("1000000"), &none, now()).is_empty());
        for (u, l) in [(None, val("10")), (val("5"), None), (Some(None), val("1"))] {
            assert!(reasons(&c("100"), &spent(u, l, Unit::Usd), now()).is_empty());
        }
    }

    #[test]
    fn remaining_under_parses_amounts_only() {
        assert_eq!(parse_remaining_under(" 5 "), Ok(d("5")));
        assert_eq!(parse_remaining_under("2.50"), Ok(d("2.5")));
        assert_eq!(parse_remaining_under("0"), Ok(d("0")));
        for bad in ["", "-1", "5%", "abc", "1e3", "+5"] {
            let e = parse_remaining_under(bad).unwrap_err();
            assert!(e.contains("--remaining-under"), "{bad}: {e}");
        }
        assert!(
            parse_remaining_under("5%")
                .unwrap_err()
                .contains("--usage-over")
        );
    }

    #[test]
    fn rotated_out_needs_the_suffix_and_the_state_rotate_gave() {
        let key = |name: &str, disabled: Known<bool>, expires: Known<String>| {
            let mut k = Key::unread("modelgates", "h", Unit::Usd);
            k.name = Some(Some(name.into()));
            k.disabled = disabled;
            k.expires = expires;
            k
        };
        let named = "ci (rotated out 2026-11-23)";
        let at = Some(Some("2026-11-24T00:00:00Z".to_string()));
        assert!(rotated_out(&key(named, Some(Some(true)), Some(None))));
        assert!(rotated_out(&key(named, None, at.clone())));
        // Named so but still enabled with no expiry: a key in use.
        assert!(!rotated_out(&key(named, Some(Some(false)), Some(None))));
        assert!(!rotated_out(&key(named, None, None)));
        // Retired state without the name.
        assert!(!rotated_out(&key("ci", Some(Some(true)), at.clone())));
        assert!(!rotated_out(&key(
            "ci (rotated 2026-11-23)",
            Some(Some(true)),
            at
        )));
        // The Venice cut: the old name is cut, the suffix kept whole.
        let cut = crate::newkey::rotated_out_name(
            Some(&"v".repeat(70)),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            Some(64),
        );
        assert!(rotated_out(&key(
            &cut,
            None,
            Some(Some("2026-11-24".into()))
        )));
    }

    #[test]
    fn span_words_pick_the_largest_unit() {
        assert_eq!(span_words(0), "less than a minute");
        assert_eq!(span_words(59), "less than a minute");
        assert_eq!(span_words(60), "1 minute");
        assert_eq!(span_words(3_599), "59 minutes");
        assert_eq!(span_words(3_600), "1 hour");
        assert_eq!(span_words(86_399), "23 hours");
        assert_eq!(span_words(86_400), "1 day");
        assert_eq!(span_words(3 * 86_400 + 5), "3 days");
        assert_eq!(span_words(u64::MAX), format!("{} days", u64::MAX / 86_400));
    }

    #[test]
    fn a_wide_table_of_inputs_never_panics() {
        let amounts = [
            None,
            Some(None),
            val("0"),
            val("0.0000000000000000000000000001"),
            val("1"),
            val("79228162514264337593543950335"),
            Some(Some(Decimal::MAX)),
            Some(Some(Decimal::MIN)),
        ];
        let expiries = [
            None,
            Some(None),
            Some(Some("never".to_string())),
            Some(Some("".to_string())),
            Some(Some("+275760-09-13T00:00:00Z".to_string())),
            Some(Some("0000-01-01T00:00:00Z".to_string())),
            Some(Some("9999-12-31T23:59:59.999999999Z".to_string())),
            Some(Some("2026-11-23T00:00:00-23:59".to_string())),
            Some(Some("2026-02-30".to_string())),
            Some(Some("\u{0}\u{ffff}é".to_string())),
        ];
        let usage_over = [
            None,
            Some(UsageOver::Percent(Decimal::ZERO)),
            Some(UsageOver::Percent(d("1000"))),
            Some(UsageOver::Percent(Decimal::MAX)),
            Some(UsageOver::Amount(Decimal::ZERO)),
            Some(UsageOver::Amount(Decimal::MAX)),
            Some(UsageOver::Amount(Decimal::MIN)),
        ];
        let windows = [
            None,
            Some(Duration::ZERO),
            Some(days(7)),
            Some(Duration::MAX),
        ];
        let nows = [now(), DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC];
        let mut n = 0;
        for u in &amounts {
            for l in &amounts {
                for e in &expiries {
                    for o in &usage_over {
                        for w in &windows {
                            for at in &nows {
                                let mut k = spent(*u, *l, Unit::Usd);
                                k.expires = e.clone();
                                k.disabled = Some(Some(true));
                                let c = Criteria {
                                    expiring_within: *w,
                                    usage_over: *o,
                                    disabled: n % 2 == 0,
                                    remaining_under: o.map(|_| Decimal::MAX),
                                    blocked: n % 3 == 0,
                                };
                                let r = reasons(&c, &k, *at);
                                assert!(r.iter().all(|s| !s.is_empty()));
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(n > 10_000);
        for s in [
            "",
            "%",
            "-",
            "-%",
            "99999999999999999999999999999999",
            "1.0000000000000000000000000000001%",
            "٣%",
            "\u{0}",
        ] {
            let _ = s.parse::<UsageOver>();
        }
    }
}
