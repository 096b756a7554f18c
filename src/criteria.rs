//! The check criteria: which keys match --expiring-within, --usage-over, --remaining-under,
//! --disabled and --blocked (`keyctl check`, and `update --if-*`), and which keys `rotate`
//! retired (left out unless --include-rotated-out). The flags' values are parsed in `parse`,
//! expiry is read and worded in `expiry`.
//!
//! Pure: a [`Criteria`] and a [`Key`] as read give the reasons the key matches ([`reasons`]),
//! empty when it does not. Nothing here reads the clock (`now` is passed in), prints or fails:
//! a field that is not known, or not understood, simply never matches.

mod expiry;
mod parse;

use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::key::{Key, Known};
use expiry::expiring;

pub use expiry::expiry_of;
pub use parse::{MAX_PERCENT, UsageOver, parse_remaining_under};

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

/// Whether `rotate` retired `k`: its name ends with ` (rotated out YYYY-MM-DD)` (the suffix
/// whole, as on a name cut to Venice's 64 characters) and it is disabled or has an expiry, the
/// state `rotate` gave it. A key only named so, still enabled with no expiry, is not.
pub fn rotated_out(k: &Key) -> bool {
    let named = k
        .name
        .value()
        .is_some_and(|n| crate::newkey::is_rotated_out(n));
    named && (k.disabled == Known::Value(true) || k.expires.value().is_some())
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
    if c.disabled && k.disabled == Known::Value(true) {
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
        Known::Value(r) => *r,
        Known::Null => return None,
        Known::Unknown => {
            crate::key::remaining_or(Known::Unknown, &k.limit, &k.usage).into_value()?
        }
    };
    let unit = k.unit.word();
    (left < under).then(|| {
        format!(
            "remaining {} < {} {unit}",
            left.normalize(),
            under.normalize()
        )
    })
}

/// The usage reason, when the key's usage is at or over `u`.
fn usage_over(k: &Key, u: &UsageOver) -> Option<String> {
    let usage = *k.usage.value()?;
    let unit = k.unit.word();
    match *u {
        UsageOver::Amount(a) => {
            (usage >= a).then(|| format!("usage {} ≥ {} {unit}", usage.normalize(), a.normalize()))
        }
        UsageOver::Percent(p) => percent_reason(usage, *k.limit.value()?, p, unit),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{Limits, Unit};
    use crate::provider::ProviderKind;
    use chrono::{NaiveDate, TimeZone};

    pub(super) fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    pub(super) fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
    }

    pub(super) fn days(n: u64) -> Duration {
        Duration::from_secs(n * 86_400)
    }

    pub(super) fn expiring_in(within: Duration) -> Criteria {
        Criteria {
            expiring_within: Some(within),
            ..Criteria::default()
        }
    }

    pub(super) fn over(s: &str) -> Criteria {
        Criteria {
            usage_over: Some(s.parse().unwrap()),
            ..Criteria::default()
        }
    }

    pub(super) fn key_expiring(e: Known<String>) -> Key {
        let mut k = Key::unread("modelgates", "h", Unit::Usd);
        k.expires = e;
        k
    }

    pub(super) fn spent(usage: Known<Decimal>, limit: Known<Decimal>, unit: Unit) -> Key {
        let mut k = Key::unread("modelgates", "h", unit);
        k.usage = usage;
        k.limit = limit;
        k
    }

    pub(super) fn val(s: &str) -> Known<Decimal> {
        Known::Value(d(s))
    }

    #[test]
    fn empty_criteria_match_nothing() {
        let c = Criteria::default();
        assert!(c.is_empty());
        let mut k = spent(val("50"), val("50"), Unit::Usd);
        k.disabled = Known::Value(true);
        k.expires = Known::Value("2020-01-01T00:00:00Z".into());
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
    fn expiry_through_the_adapters() {
        let now = now();
        // io.net: "never" is read as no expiry; a naive timestamp as UTC.
        let page = ProviderKind::Ionet
            .adapter()
            .parse_list(
                ProviderKind::Ionet.info(),
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
        let none = spent(val("1000"), Known::Null, Unit::Usd);
        assert!(reasons(&over("0%"), &none, now()).is_empty());
        // An amount needs no limit.
        assert_eq!(
            reasons(&over("1000"), &none, now()),
            ["usage 1000 ≥ 1000 USD"]
        );
    }

    #[test]
    fn amounts_are_inclusive_and_in_the_key_unit() {
        let k = spent(val("40.2"), Known::Unknown, Unit::Usd);
        assert_eq!(reasons(&over("40"), &k, now()), ["usage 40.2 ≥ 40 USD"]);
        assert_eq!(
            reasons(&over("40.20"), &k, now()),
            ["usage 40.2 ≥ 40.2 USD"]
        );
        assert!(reasons(&over("40.21"), &k, now()).is_empty());
        let k = spent(val("7"), Known::Unknown, Unit::Credits);
        assert_eq!(reasons(&over("7"), &k, now()), ["usage 7 ≥ 7 credits"]);
    }

    #[test]
    fn unknown_usage_or_limit_never_matches() {
        for (u, l) in [
            (Known::Unknown, val("10")),
            (Known::Null, val("10")),
            (val("5"), Known::Unknown),
        ] {
            let k = spent(u, l, Unit::Usd);
            assert!(reasons(&over("1%"), &k, now()).is_empty(), "{u:?} {l:?}");
        }
        assert!(
            reasons(
                &over("0"),
                &spent(Known::Unknown, Known::Unknown, Unit::Usd),
                now()
            )
            .is_empty()
        );
    }

    #[test]
    fn disabled_only_when_known_true() {
        let c = Criteria {
            disabled: true,
            ..Criteria::default()
        };
        for (state, want) in [
            (Known::Unknown, false),
            (Known::Null, false),
            (Known::Value(false), false),
            (Known::Value(true), true),
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
            .adapter()
            .parse_list(
                ProviderKind::Ionet.info(),
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
        diem_only.limit = Known::Null;
        diem_only.limits = Known::Value(Limits {
            usd: Known::Null,
            diem: val("1"),
            vcu: Known::Null,
        });
        assert!(reasons(&over("1%"), &diem_only, now()).is_empty());
        assert!(reasons(&expiring_in(Duration::MAX), &k, now()).is_empty());
    }

    #[test]
    fn every_criterion_together() {
        let mut k = spent(val("45"), val("50"), Unit::Usd);
        k.disabled = Known::Value(true);
        k.expires = Known::Value("2026-11-23T05:00:00Z".into());
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
        let mut none = spent(val("1000"), Known::Null, Unit::Usd);
        none.remaining = Known::Null;
        assert!(reasons(&c("1000000"), &none, now()).is_empty());
        for (u, l) in [
            (Known::Unknown, val("10")),
            (val("5"), Known::Unknown),
            (Known::Null, val("1")),
        ] {
            assert!(reasons(&c("100"), &spent(u, l, Unit::Usd), now()).is_empty());
        }
    }

    #[test]
    fn rotated_out_needs_the_suffix_and_the_state_rotate_gave() {
        let key = |name: &str, disabled: Known<bool>, expires: Known<String>| {
            let mut k = Key::unread("modelgates", "h", Unit::Usd);
            k.name = Known::Value(name.into());
            k.disabled = disabled;
            k.expires = expires;
            k
        };
        let named = "ci (rotated out 2026-11-23)";
        let at = Known::Value("2026-11-24T00:00:00Z".to_string());
        assert!(rotated_out(&key(named, Known::Value(true), Known::Null)));
        assert!(rotated_out(&key(named, Known::Unknown, at.clone())));
        // Named so but still enabled with no expiry: a key in use.
        assert!(!rotated_out(&key(named, Known::Value(false), Known::Null)));
        assert!(!rotated_out(&key(named, Known::Unknown, Known::Unknown)));
        // Retired state without the name.
        assert!(!rotated_out(&key("ci", Known::Value(true), at.clone())));
        assert!(!rotated_out(&key(
            "ci (rotated 2026-11-23)",
            Known::Value(true),
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
            Known::Unknown,
            Known::Value("2026-11-24".into())
        )));
    }

    #[test]
    fn a_wide_table_of_inputs_never_panics() {
        let amounts = [
            Known::Unknown,
            Known::Null,
            val("0"),
            val("0.0000000000000000000000000001"),
            val("1"),
            val("79228162514264337593543950335"),
            Known::Value(Decimal::MAX),
            Known::Value(Decimal::MIN),
        ];
        let expiries = [
            Known::Unknown,
            Known::Null,
            Known::Value("never".to_string()),
            Known::Value("".to_string()),
            Known::Value("+275760-09-13T00:00:00Z".to_string()),
            Known::Value("0000-01-01T00:00:00Z".to_string()),
            Known::Value("9999-12-31T23:59:59.999999999Z".to_string()),
            Known::Value("2026-11-23T00:00:00-23:59".to_string()),
            Known::Value("2026-02-30".to_string()),
            Known::Value("\u{0}\u{ffff}é".to_string()),
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
                                k.disabled = Known::Value(true);
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
