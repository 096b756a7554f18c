//! Readers used by the adapters: JSON from a provider into the key's typed fields (money,
//! text, flags, timestamps, reset words, model lists), and `remaining` from the figures read.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::Known;
use crate::patch::{Reset, decimal_of_number, decimal_of_str};

/// `limit - usage`, never below 0; None when it cannot be computed (out of range).
pub fn remaining(limit: Decimal, usage: Decimal) -> Option<Decimal> {
    let r = limit.checked_sub(usage)?;
    Some(if r.is_sign_negative() {
        Decimal::ZERO
    } else {
        r.normalize()
    })
}

/// `remaining`: the provider's own figure, else `limit - usage`; `null` when there is no cap.
pub fn remaining_or(
    figure: Known<Decimal>,
    limit: &Known<Decimal>,
    usage: &Known<Decimal>,
) -> Known<Decimal> {
    match (limit, figure) {
        (Known::Null, _) => Known::Null,
        // A provider's negative figure (spent past the cap) is 0 left, as limit - usage is.
        (_, Known::Value(r)) => Known::Value(if r.is_sign_negative() {
            Decimal::ZERO
        } else {
            r
        }),
        (Known::Value(l), _) => match usage {
            Known::Value(u) => Known::or_unknown(remaining(*l, *u)),
            _ => Known::Unknown,
        },
        _ => Known::Unknown,
    }
}

/// A money field (a cap, a spend, what remains): a JSON number or a numeric string (Venice
/// sends "10.2424"), >= 0, without trailing zeros; `null` is known to be empty; absent, out of
/// range, negative or anything else is not known.
pub fn money_field(v: &Value, name: &str) -> Known<Decimal> {
    let d = match v.get(name) {
        Some(Value::Null) => return Known::Null,
        Some(Value::Number(n)) => decimal_of_number(n),
        Some(Value::String(s)) => decimal_of_str(s),
        _ => None,
    };
    Known::or_unknown(
        d.filter(|d| !d.is_sign_negative() || d.is_zero())
            .map(|d| d.normalize()),
    )
}

/// A provider's own figure of what is left (`limit_remaining`, `remaining_credit`): as
/// [`money_field`], but a negative amount is read too: it is a key spent past its cap, which
/// [`remaining_or`] shows as 0 left (not a figure to drop for `limit - usage`, which can say
/// there is money left on a key the provider has stopped).
pub fn figure_field(v: &Value, name: &str) -> Known<Decimal> {
    let d = match v.get(name) {
        Some(Value::Null) => return Known::Null,
        Some(Value::Number(n)) => decimal_of_number(n),
        Some(Value::String(s)) => decimal_of_str(s),
        _ => None,
    };
    Known::or_unknown(d.map(|d| d.normalize()))
}

/// A string field; `null` known to be empty.
pub fn text_field(v: &Value, name: &str) -> Known<String> {
    match v.get(name) {
        Some(Value::Null) => Known::Null,
        Some(Value::String(s)) => Known::Value(s.clone()),
        _ => Known::Unknown,
    }
}

pub fn bool_field(v: &Value, name: &str) -> Known<bool> {
    match v.get(name) {
        Some(Value::Null) => Known::Null,
        Some(Value::Bool(b)) => Known::Value(*b),
        _ => Known::Unknown,
    }
}

/// A timestamp field as RFC 3339 UTC (`Z`); `null` (or `""`) known to be none. A value that is
/// not a timestamp is not known (it stays in `raw`).
pub fn time_field(v: &Value, name: &str) -> Known<String> {
    match v.get(name) {
        Some(Value::Null) => Known::Null,
        Some(Value::String(s)) if s.is_empty() => Known::Null,
        Some(Value::String(s)) => Known::or_unknown(utc(s)),
        _ => Known::Unknown,
    }
}

/// A provider's timestamp as RFC 3339 UTC with `Z`; one without a zone is taken as UTC.
pub fn utc(s: &str) -> Option<String> {
    let t = s.trim();
    let at: DateTime<Utc> = match DateTime::parse_from_rfc3339(t) {
        Ok(d) => d.with_timezone(&Utc),
        Err(_) => ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())?
            .and_utc(),
    };
    Some(at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// A reset word the provider uses, as the flag's word.
pub fn reset_word(s: &str) -> Option<Reset> {
    match s.trim().to_ascii_lowercase().as_str() {
        "8h" => Some(Reset::EightHours),
        "daily" | "epoch" | "day" => Some(Reset::Daily),
        "weekly" | "week" => Some(Reset::Weekly),
        "monthly" | "month" => Some(Reset::Monthly),
        "never" | "lifetime" => Some(Reset::Never),
        _ => None,
    }
}

/// A model allow-list where `[]` or `null` means every model.
pub fn models_of(v: &Value, name: &str) -> Known<Vec<String>> {
    match v.get(name) {
        Some(Value::Null) => Known::Null,
        Some(Value::Array(a)) if a.is_empty() => Known::Null,
        // A list with anything but names in it is not understood: not known (it stays in raw).
        Some(Value::Array(a)) => Known::or_unknown(
            a.iter()
                .map(|m| m.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>(),
        ),
        _ => Known::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn readers() {
        let v = json!({"a": "10.2424", "b": 1e3, "c": null, "d": "x", "t": "2025-08-24T12:30:00+02:00",
                       "n": "2025-08-24T10:30:00", "bad": "soon", "m": [], "m2": ["x"]});
        assert_eq!(money_field(&v, "a"), Known::Value(d("10.2424")));
        assert_eq!(money_field(&v, "b"), Known::Value(d("1000")));
        assert_eq!(money_field(&v, "c"), Known::Null);
        assert_eq!(money_field(&v, "d"), Known::Unknown);
        assert_eq!(money_field(&v, "zz"), Known::Unknown);
        assert_eq!(
            time_field(&v, "t"),
            Known::Value("2025-08-24T10:30:00Z".into())
        );
        assert_eq!(
            time_field(&v, "n"),
            Known::Value("2025-08-24T10:30:00Z".into())
        );
        assert_eq!(time_field(&v, "bad"), Known::Unknown);
        assert_eq!(models_of(&v, "m"), Known::Null);
        assert_eq!(models_of(&v, "m2"), Known::Value(vec!["x".into()]));
        let w = json!({"s": null, "b": true, "f": false, "n": null, "e": "", "m": null, "x": 3});
        assert_eq!(text_field(&w, "s"), Known::Null);
        assert_eq!(text_field(&w, "x"), Known::Unknown);
        assert_eq!(bool_field(&w, "b"), Known::Value(true));
        assert_eq!(bool_field(&w, "f"), Known::Value(false));
        assert_eq!(bool_field(&w, "n"), Known::Null);
        assert_eq!(bool_field(&w, "x"), Known::Unknown);
        assert_eq!(time_field(&w, "e"), Known::Null);
        assert_eq!(time_field(&w, "n"), Known::Null);
        assert_eq!(models_of(&w, "m"), Known::Null);
        assert_eq!(models_of(&w, "x"), Known::Unknown);
        assert_eq!(reset_word("8h"), Some(Reset::EightHours));
        assert_eq!(reset_word("weekly"), Some(Reset::Weekly));
        assert_eq!(reset_word(" Week "), Some(Reset::Weekly));
        assert_eq!(reset_word("daily"), Some(Reset::Daily));
        assert_eq!(reset_word("monthly"), Some(Reset::Monthly));
        assert_eq!(reset_word("never"), Some(Reset::Never));
        assert_eq!(crate::patch::decimal_of_str(""), None);
        assert_eq!(crate::patch::decimal_of_str(&"1".repeat(65)), None);
        assert_eq!(
            crate::patch::decimal_of_str(&"1".repeat(20)),
            Some(d(&"1".repeat(20)))
        );
        assert_eq!(reset_word("EPOCH"), Some(Reset::Daily));
        assert_eq!(reset_word("LIFETIME"), Some(Reset::Never));
        assert_eq!(reset_word("MONTH"), Some(Reset::Monthly));
        assert_eq!(reset_word("hourly"), None);
        assert_eq!(remaining(d("10"), d("12")), Some(Decimal::ZERO));
        // Out of range: not known, never a panic.
        assert_eq!(remaining(Decimal::MAX, d("-1")), None);
        assert_eq!(money_field(&json!({"u": -0.5}), "u"), Known::Unknown);
        assert_eq!(
            money_field(&json!({"u": "9.50"}), "u"),
            Known::Value(d("9.5"))
        );
        // Odd values are not known (`Known::Unknown`), never "none" (`Known::Null`): a
        // successor or an update answer built on them is refused, not given no cap.
        for odd in ["1e400", "\"abc\"", "-5", "true", "{}", "[]"] {
            let v: Value = serde_json::from_str(&format!(r#"{{"limit": {odd}}}"#)).unwrap();
            assert_eq!(money_field(&v, "limit"), Known::Unknown, "{odd}");
        }
        let v = json!({"m3": ["a", 1]});
        assert_eq!(models_of(&v, "m3"), Known::Unknown);
        let cap = Known::Value(d("10"));
        assert_eq!(
            remaining_or(Known::Value(d("-2.5")), &cap, &Known::Unknown),
            Known::Value(Decimal::ZERO)
        );
        assert_eq!(
            remaining_or(Known::Unknown, &cap, &Known::Value(d("4"))),
            Known::Value(d("6"))
        );
        assert_eq!(
            remaining_or(Known::Value(d("3")), &Known::Null, &Known::Unknown),
            Known::Null
        );
    }
}
