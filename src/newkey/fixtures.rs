//! Test fixtures for the successor's tests: the three API families by what their create
//! carries, a key of each as its adapter reads it, and the successor built for it.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use super::NewKey;
use crate::error::Result;
use crate::key::{Key, Known, Limits, Unit};
use crate::patch::{Amount, Change, Patch, Reset};

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

pub(super) fn d(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

pub(super) fn amount(s: &str) -> Change<Amount> {
    Change::Set(s.parse().unwrap())
}

pub(super) fn at(s: &str) -> Change<DateTime<Utc>> {
    Change::Set(DateTime::parse_from_rfc3339(s).unwrap().to_utc())
}

/// The three API families, by what their create carries (as their adapters' builders
/// accept or refuse each setting).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Family {
    OpenRouter,
    Ionet,
    Venice,
}

pub(super) fn builds(f: Family) -> impl Fn(&NewKey) -> bool {
    move |n: &NewKey| {
        let s = &n.settings;
        let currencies = s.limit_diem.is_keep() && s.limit_vcu.is_keep();
        match f {
            Family::OpenRouter => s.models.is_keep() && currencies && s.privacy.is_none(),
            Family::Ionet => {
                s.include_byok_in_limit.is_none()
                    && currencies
                    && s.privacy.is_none()
                    && s.disabled.is_none()
            }
            Family::Venice => {
                s.models.is_keep() && s.include_byok_in_limit.is_none() && s.disabled.is_none()
            }
        }
    }
}

/// A key of each family as its adapter reads it: capped, with a reset and an expiry (no
/// creation time: the successor gets the same moment), and where the family has them,
/// models, BYOK and privacy; the settings it does not have are known to be none.
pub(super) fn old(f: Family) -> Key {
    let base = Key {
        limit: Known::Value(d("50")),
        reset: Known::Value(Reset::Monthly),
        expires: Known::Value("2027-01-01T00:00:00Z".into()),
        models: Known::Null,
        privacy: Known::Null,
        include_byok_in_limit: Known::Null,
        limits: Known::Null,
        disabled: Known::Null,
        ..Key::unread("x", "k", Unit::Usd)
    };
    match f {
        Family::OpenRouter => Key {
            include_byok_in_limit: Known::Value(true),
            disabled: Known::Value(false),
            ..base
        },
        Family::Ionet => Key {
            models: Known::Value(vec!["llama-3".into(), "qwen".into()]),
            ..base
        },
        Family::Venice => Key {
            privacy: Known::Value("private-only".into()),
            limits: Known::Value(Limits {
                usd: Known::Value(d("50")),
                diem: Known::Null,
                vcu: Known::Value(d("2")),
            }),
            raw: json!({"consumptionLimits": {"usd": 50, "diem": null, "vcu": 2}}),
            ..base
        },
    }
}

pub(super) fn successor(f: Family, old: &Key, over: &Patch) -> Result<Patch> {
    NewKey::successor("P", old, "n".into(), None, over, now(), &builds(f)).map(|n| n.settings)
}
