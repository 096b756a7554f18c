//! Whether a provider stops a key for its spend ([`Key::blocked`](super::Key::blocked)), derived
//! per provider from the figures it reports: [`blocked_by_usage`] (io.net),
//! [`blocked_by_remaining`] (ModelGates, novapai, OpenRouter), [`blocked_by_currency`] (Venice).

use rust_decimal::Decimal;
use serde_json::Value;

use super::{Known, Limits, Unit, money_field};
use crate::patch::{decimal_of_number, decimal_of_str};

/// Whether a provider stops a key for its spend ([`Key::blocked`]), and why when it does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blocking {
    /// None: not known.
    pub state: Option<bool>,
    /// Why it is blocked (only with `state` true).
    pub why: Option<String>,
}

impl Blocking {
    /// Known not to be blocked.
    pub(super) fn no() -> Blocking {
        Blocking {
            state: Some(false),
            why: None,
        }
    }

    /// Known to be blocked, for `why`.
    fn because(why: String) -> Blocking {
        Blocking {
            state: Some(true),
            why: Some(why),
        }
    }
}

/// io.net: blocked when the period's usage (`credit_used`) is at or over the cap
/// (`credit_limit`): io.net's guide says such a sub-key answers 429 on inference until the
/// limit is raised or the cycle resets. No cap: not blocked. Usage or cap not known: not known.
pub fn blocked_by_usage(limit: &Known<Decimal>, usage: &Known<Decimal>, unit: Unit) -> Blocking {
    match (limit, usage) {
        (Known::Null, _) => Blocking::no(),
        (Known::Value(l), Known::Value(u)) if u >= l => Blocking::because(format!(
            "usage {} of {} {}",
            u.normalize(),
            l.normalize(),
            unit.word()
        )),
        (Known::Value(_), Known::Value(_)) => Blocking::no(),
        _ => Blocking::default(),
    }
}

/// ModelGates, novapai, OpenRouter: blocked when the provider's own `limit_remaining` is at or
/// below 0 (keyctl's `limit - usage` is not used: only the provider's figure says it stops the
/// key). No cap (`limit` null): not blocked. `limit_remaining` absent, `null` with a cap, or not
/// a number: not known. `disabled` plays no part.
pub fn blocked_by_remaining(data: &Value, limit: &Known<Decimal>, unit: Unit) -> Blocking {
    if *limit == Known::Null {
        return Blocking::no();
    }
    let figure = match data.get("limit_remaining") {
        Some(Value::Number(n)) => decimal_of_number(n),
        Some(Value::String(s)) => decimal_of_str(s),
        _ => None,
    };
    match figure {
        Some(r) if r <= Decimal::ZERO => Blocking::because(match limit {
            Known::Value(l) => format!(
                "limit_remaining {} of the {} {} limit",
                r.normalize(),
                l.normalize(),
                unit.word()
            ),
            _ => format!("limit_remaining {} {}", r.normalize(), unit.word()),
        }),
        Some(_) => Blocking::no(),
        None => Blocking::default(),
    }
}

/// Venice: blocked when, in some currency with a cap (`consumptionLimits`), the period's usage
/// in it (`currentPeriodUsage`, the spend of the period `limitPeriod` names; Venice sends
/// `usd` and `diem` there, only for a key with a limit) is at or over the cap: Venice then
/// answers 402 (`API_KEY_USD_SPEND_LIMIT_EXCEEDED`, `..._DIEM_...`). Not blocked when every
/// currency has no cap, or every capped one has its usage below the cap. Not known otherwise:
/// caps not known, or a capped currency whose period usage the answer does not carry (a VCU
/// cap: Venice reports no VCU usage for the period), unless another currency already blocks.
pub fn blocked_by_currency(limits: &Known<Limits>, data: &Value) -> Blocking {
    let l = match limits {
        Known::Unknown => return Blocking::default(),
        Known::Null => return Blocking::no(),
        Known::Value(l) => l,
    };
    let usage = data
        .get("currentPeriodUsage")
        .filter(|u| u.is_object())
        .unwrap_or(&Value::Null);
    let mut over = Vec::new();
    let mut unsure = false;
    for (cur, cap, word) in [
        ("usd", &l.usd, "USD"),
        ("diem", &l.diem, "DIEM"),
        ("vcu", &l.vcu, "VCU"),
    ] {
        match (cap, money_field(usage, cur)) {
            (Known::Null, _) => {}
            (Known::Value(c), Known::Value(u)) => {
                if u >= *c {
                    over.push(format!(
                        "usage {} of {} {word}",
                        u.normalize(),
                        c.normalize()
                    ));
                }
            }
            _ => unsure = true,
        }
    }
    if !over.is_empty() {
        Blocking::because(over.join(", "))
    } else if unsure {
        Blocking::default()
    } else {
        Blocking::no()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Key;
    use crate::patch::{Amount, Change, Patch};
    use serde_json::json;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn blocked_by_usage_is_usage_at_or_over_the_cap() {
        let v = |s: &str| Known::Value(d(s));
        let b = |l: Known<Decimal>, u: Known<Decimal>| blocked_by_usage(&l, &u, Unit::Credits);
        assert_eq!(
            b(v("100"), v("100")),
            Blocking {
                state: Some(true),
                why: Some("usage 100 of 100 credits".into())
            }
        );
        assert_eq!(b(v("100"), v("100.5")).state, Some(true));
        assert_eq!(b(v("0"), v("0")).state, Some(true));
        assert_eq!(b(v("100"), v("99.99")), Blocking::no());
        // No cap: never blocked, whatever the usage (known or not).
        assert_eq!(b(Known::Null, v("1000")).state, Some(false));
        assert_eq!(b(Known::Null, Known::Unknown).state, Some(false));
        // Usage or cap not known.
        for (l, u) in [
            (v("10"), Known::Unknown),
            (v("10"), Known::Null),
            (Known::Unknown, v("10")),
        ] {
            assert_eq!(b(l, u), Blocking::default(), "{l:?} {u:?}");
        }
    }

    #[test]
    fn blocked_by_remaining_takes_the_providers_figure_only() {
        let b = |data: Value, limit: Known<Decimal>| blocked_by_remaining(&data, &limit, Unit::Usd);
        let cap = Known::Value(d("10"));
        assert_eq!(
            b(json!({"limit_remaining": 0}), cap),
            Blocking {
                state: Some(true),
                why: Some("limit_remaining 0 of the 10 USD limit".into())
            }
        );
        // A negative figure (spent past the cap) is read as it is.
        assert_eq!(
            b(json!({"limit_remaining": -0.5}), cap).why.as_deref(),
            Some("limit_remaining -0.5 of the 10 USD limit")
        );
        assert_eq!(
            b(json!({"limit_remaining": "0"}), Known::Unknown)
                .why
                .as_deref(),
            Some("limit_remaining 0 USD")
        );
        assert_eq!(b(json!({"limit_remaining": 0.01}), cap), Blocking::no());
        // No cap: not blocked, even with a figure of 0.
        assert_eq!(
            b(json!({"limit_remaining": 0}), Known::Null),
            Blocking::no()
        );
        // Usage at the cap but no figure: keyctl's limit - usage does not decide it.
        for data in [
            json!({"usage": 10}),
            json!({"limit_remaining": null}),
            json!({"limit_remaining": "none"}),
            json!({"limit_remaining": true}),
        ] {
            assert_eq!(b(data.clone(), cap), Blocking::default(), "{data}");
        }
    }

    #[test]
    fn blocked_by_currency_needs_the_period_usage_of_a_capped_currency() {
        let caps = |usd: Known<Decimal>, diem: Known<Decimal>, vcu: Known<Decimal>| {
            Known::Value(Limits { usd, diem, vcu })
        };
        let v = |s: &str| Known::Value(d(s));
        let b = |l: &Known<Limits>, data: Value| blocked_by_currency(l, &data);
        let usd_diem = caps(v("10"), v("1"), Known::Null);
        let at = |usd: &str, diem: &str| json!({"currentPeriodUsage": {"usd": usd, "diem": diem}});
        assert_eq!(b(&usd_diem, at("9.99", "0.5")), Blocking::no());
        assert_eq!(
            b(&usd_diem, at("10", "0.5")).why.as_deref(),
            Some("usage 10 of 10 USD")
        );
        assert_eq!(
            b(&usd_diem, at("12.5", "1")).why.as_deref(),
            Some("usage 12.5 of 10 USD, usage 1 of 1 DIEM")
        );
        // A capped currency without its period usage: not known, unless another blocks.
        let no_diem = json!({"currentPeriodUsage": {"usd": "3"}});
        assert_eq!(b(&usd_diem, no_diem), Blocking::default());
        let usd_over = json!({"currentPeriodUsage": {"usd": "10"}});
        assert_eq!(b(&usd_diem, usd_over).state, Some(true));
        // Venice reports no VCU usage for the period: a VCU cap is not known.
        let vcu = caps(Known::Null, Known::Null, v("30"));
        assert_eq!(b(&vcu, at("100", "100")), Blocking::default());
        // Only the trailing seven days: not the limit's period.
        let week = json!({"usage": {"trailingSevenDays": {"usd": "50"}}});
        assert_eq!(b(&usd_diem, week), Blocking::default());
        // No cap in any currency (or a `null` consumptionLimits): not blocked.
        assert_eq!(
            b(&Known::Value(Limits::default()), json!({})),
            Blocking::no()
        );
        assert_eq!(b(&Known::Null, json!({})), Blocking::no());
        // Caps not known.
        assert_eq!(b(&Known::Unknown, at("1", "1")), Blocking::default());
        assert_eq!(
            b(
                &caps(Known::Unknown, Known::Null, Known::Null),
                at("1", "1")
            ),
            Blocking::default()
        );
    }

    #[test]
    fn blocked_is_a_boolean_or_absent_and_follows_the_cap() {
        let mut k = Key::unread("ionet", "k", Unit::Credits);
        assert!(k.to_json().get("blocked").is_none());
        k.set_blocked(blocked_by_usage(
            &Known::Value(d("5")),
            &Known::Value(d("5")),
            Unit::Credits,
        ));
        assert_eq!(k.to_json()["blocked"], json!(true));
        // A cap the two io.net reads disagree about: blocked is not known either.
        let mut entry = k.clone();
        k.limit = Known::Value(d("5"));
        entry.limit = Known::Value(d("50"));
        k.fill_from(&entry);
        assert_eq!(
            (k.limit, k.blocked, k.blocked_why.as_deref()),
            (Known::Unknown, None, None)
        );
        // Filled from the other read when this one does not tell.
        let mut a = Key::unread("ionet", "k", Unit::Credits);
        a.fill_from(&entry);
        assert_eq!(a.blocked, Some(true));
        // A plan: a new cap leaves it not known, no cap at all makes it false.
        let raise = Patch {
            limit: Change::Set("125".parse::<Amount>().unwrap()),
            ..Default::default()
        };
        assert_eq!(entry.apply(&raise).blocked, None);
        let mut gates = Key::unread("modelgates", "h", Unit::Usd);
        gates.limits = Known::Null;
        gates.blocked = Some(true);
        let clear = Patch {
            limit: Change::Clear,
            ..Default::default()
        };
        assert_eq!(gates.apply(&clear).blocked, Some(false));
        let rename = Patch {
            name: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(gates.apply(&rename).blocked, Some(true));
    }
}
