//! What a change does to a key: the state it would leave ([`Key::apply`], what a plan shows)
//! and what differs between two states ([`changes`]), field by field.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::{Blocking, Key, Known, Limits, remaining, same};
use crate::patch::{Change, Patch, rfc3339};

/// The fields a change can touch, in the order plans and `changes` list them.
pub const CHANGE_FIELDS: [&str; 11] = [
    "name",
    "disabled",
    "limit",
    "limits.diem",
    "limits.vcu",
    "reset",
    "expires",
    "models",
    "include_byok_in_limit",
    "privacy",
    "remaining",
];

/// One changed field: `from` is `None` when the state before was not read.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: &'static str,
    pub from: Option<Value>,
    pub to: Value,
}

impl FieldChange {
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("field".into(), json!(self.field));
        if let Some(f) = &self.from {
            o.insert("from".into(), f.clone());
        }
        o.insert("to".into(), self.to.clone());
        Value::Object(o)
    }
}
impl Key {
    /// The state this key would have after `patch` (what a plan shows): every field the change
    /// sets is known, `remaining` follows a new limit, the rest is as before.
    pub fn apply(&self, patch: &Patch) -> Key {
        let mut k = self.clone();
        k.raw = Value::Null;
        fn set<T: Clone>(c: &Change<T>) -> Option<Known<T>> {
            match c {
                Change::Keep => None,
                Change::Clear => Some(Known::Null),
                Change::Set(v) => Some(Known::Value(v.clone())),
            }
        }
        let limit_changed = !patch.limit.is_keep();
        if let Some(l) = set(&patch.limit) {
            k.limit = l.map(|a| a.value());
        }
        if let Some(n) = &patch.name {
            k.name = Known::Value(n.clone());
        }
        if let Some(d) = patch.disabled {
            k.disabled = Known::Value(d);
        }
        if let Some(r) = patch.reset {
            // Another period counts other spend, which the state before does not tell.
            if k.reset != Known::Value(r) {
                k.usage = Known::Unknown;
                k.remaining = Known::Unknown;
            }
            k.reset = Known::Value(r);
        }
        if let Some(e) = set(&patch.expires) {
            k.expires = e.map(|at| rfc3339(&at));
        }
        if let Some(m) = set(&patch.models) {
            k.models = m;
        }
        if let Some(b) = patch.include_byok_in_limit {
            k.include_byok_in_limit = Known::Value(b);
        }
        if let Some(p) = patch.privacy {
            k.privacy = Known::Value(p.as_str().to_string());
        }
        let currencies = [&patch.limit, &patch.limit_diem, &patch.limit_vcu];
        // Per-currency caps: a key that has them, or a change that sets DIEM or VCU (Venice).
        let per_currency = matches!(k.limits, Known::Value(_))
            || !patch.limit_diem.is_keep()
            || !patch.limit_vcu.is_keep();
        if per_currency && currencies.iter().any(|c| !c.is_keep()) {
            // Not read: the currencies the change leaves alone stay not known.
            let mut l = k.limits.clone().into_value().unwrap_or(Limits {
                usd: Known::Unknown,
                diem: Known::Unknown,
                vcu: Known::Unknown,
            });
            let amount = |c: &Change<crate::patch::Amount>, old: Known<Decimal>| match c {
                Change::Keep => old,
                Change::Clear => Known::Null,
                Change::Set(a) => Known::Value(a.value()),
            };
            l.usd = amount(&patch.limit, l.usd);
            l.diem = amount(&patch.limit_diem, l.diem);
            l.vcu = amount(&patch.limit_vcu, l.vcu);
            k.limits = Known::Value(l);
        }
        if limit_changed || patch.reset.is_some() {
            k.remaining = match (&k.limit, &k.usage) {
                (Known::Null, _) => Known::Null,
                (Known::Value(l), Known::Value(u)) => Known::or_unknown(remaining(*l, *u)),
                _ => Known::Unknown,
            };
        }
        if currencies.iter().any(|c| !c.is_keep()) || patch.reset.is_some() {
            // The provider decides again after a new cap or period; only a key left with no
            // cap at all is known not to be blocked.
            let uncapped = k.limit == Known::Null
                && match &k.limits {
                    Known::Null => true,
                    Known::Value(l) => [l.usd, l.diem, l.vcu].iter().all(|c| *c == Known::Null),
                    Known::Unknown => false,
                };
            k.set_blocked(if uncapped {
                Blocking::no()
            } else {
                Blocking::default()
            });
        }
        // A setting the change sets is known now: no longer in doubt.
        let set: Vec<&'static str> = k
            .conflicts
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| k.field(f).is_some())
            .collect();
        k.conflicts.retain(|(f, _)| !set.contains(f));
        k
    }
}

/// What differs between `before` (None: not read) and `after` among the fields a change
/// `touched` (`remaining` follows `limit`), in [`CHANGE_FIELDS`] order; a field `after` does not
/// know is left out.
pub fn changes(before: Option<&Key>, after: &Key, touched: &[&str]) -> Vec<FieldChange> {
    CHANGE_FIELDS
        .iter()
        .filter(|&&f| touched.contains(&f) || (f == "remaining" && touched.contains(&"limit")))
        .filter_map(|&field| {
            let to = after.field(field)?;
            let from = before.and_then(|b| b.field(field));
            if from.as_ref().is_some_and(|f| same(f, &to)) {
                return None;
            }
            // Without a read, `remaining` follows the limit: not a change of its own.
            if field == "remaining" && from.is_none() {
                return None;
            }
            Some(FieldChange { field, from, to })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Unit;
    use crate::patch::{Amount, Reset};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn apply_sets_what_the_patch_sets_and_remaining_follows_the_limit() {
        let mut before = Key::unread("modelgates", "h", Unit::Usd);
        before.limit = Known::Value(d("100"));
        before.usage = Known::Value(d("25.5"));
        before.remaining = Known::Value(d("74.5"));
        before.name = Known::Value("ci".into());
        let patch = Patch {
            limit: Change::Set("125".parse::<Amount>().unwrap()),
            disabled: Some(true),
            ..Default::default()
        };
        let after = before.apply(&patch);
        assert_eq!(after.limit, Known::Value(d("125")));
        assert_eq!(after.remaining, Known::Value(d("99.5")));
        assert_eq!(after.name, before.name);
        let touched = patch.touched();
        let c = changes(Some(&before), &after, &touched);
        let fields: Vec<&str> = c.iter().map(|c| c.field).collect();
        assert_eq!(fields, ["disabled", "limit", "remaining"]);
        assert_eq!(c[1].from, Some(json!(100)));
        assert_eq!(c[1].to, json!(125));
        // Not read: `from` is absent, and remaining is not listed on its own.
        let blind = Key::unread("modelgates", "h", Unit::Usd).apply(&patch);
        let c = changes(None, &blind, &touched);
        assert_eq!(c.len(), 2);
        assert!(c.iter().all(|c| c.from.is_none()));
    }

    #[test]
    fn a_new_reset_period_makes_usage_unknown() {
        let mut before = Key::unread("modelgates", "h", Unit::Usd);
        before.limit = Known::Value(d("100"));
        before.usage = Known::Value(d("97.5"));
        before.reset = Known::Value(Reset::Daily);
        let weekly = Patch {
            reset: Some(Reset::Weekly),
            limit: Change::Set("125".parse::<Amount>().unwrap()),
            ..Default::default()
        };
        let after = before.apply(&weekly);
        assert_eq!(
            (after.usage, after.remaining),
            (Known::Unknown, Known::Unknown)
        );
        // The same period: usage stays, remaining follows the limit.
        let daily = Patch {
            reset: Some(Reset::Daily),
            limit: Change::Set("125".parse::<Amount>().unwrap()),
            ..Default::default()
        };
        assert_eq!(before.apply(&daily).remaining, Known::Value(d("27.5")));
    }

    #[test]
    fn venice_currencies_apply_into_limits() {
        let mut before = Key::unread("venice", "v", Unit::Usd);
        before.limits = Known::Value(Limits {
            usd: Known::Value(d("50")),
            diem: Known::Value(d("10")),
            vcu: Known::Null,
        });
        let patch = Patch {
            limit_diem: Change::Clear,
            ..Default::default()
        };
        let after = before.apply(&patch);
        let c = changes(Some(&before), &after, &patch.touched());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "limits.diem");
        assert_eq!(c[0].from, Some(json!(10)));
        assert_eq!(c[0].to, Value::Null);
    }

    #[test]
    fn apply_on_an_unread_key() {
        // Venice, not read: the currencies set are known, the others stay unknown.
        let unread = Key::unread("venice", "v", Unit::Usd);
        let diem = Patch {
            limit_diem: Change::Set("5".parse::<Amount>().unwrap()),
            ..Default::default()
        };
        let after = unread.apply(&diem);
        assert_eq!(after.to_json()["limits"], json!({"diem": 5}));
        assert_eq!(after.field("limits.diem"), Some(json!(5)));
        assert_eq!(after.field("limits.usd"), None);
        assert_eq!(after.limit, Known::Unknown);
        // --limit alone on an unread key: the limit, and no per-currency object.
        let usd = Patch {
            limit: Change::Set("7".parse::<Amount>().unwrap()),
            ..Default::default()
        };
        let after = unread.apply(&usd);
        assert_eq!(after.limit, Known::Value(d("7")));
        assert_eq!(after.limits, Known::Unknown);
        // A key read with its caps: --limit also moves limits.usd.
        let mut read = unread.clone();
        read.limits = Known::Value(Limits::default());
        let after = read.apply(&usd);
        assert_eq!(after.field("limits.usd"), Some(json!(7)));
        assert_eq!(after.field("limits.vcu"), Some(Value::Null));
        // A provider without per-currency caps keeps `limits: null`.
        let mut gates = Key::unread("modelgates", "h", Unit::Usd);
        gates.limits = Known::Null;
        assert_eq!(gates.apply(&usd).limits, Known::Null);
        assert_eq!(gates.apply(&usd).field("limits.diem"), None);
        // Removing the cap: remaining is null whatever the usage.
        let clear = Patch {
            limit: Change::Clear,
            ..Default::default()
        };
        let mut capped = gates.clone();
        capped.limit = Known::Value(d("10"));
        capped.remaining = Known::Value(d("4"));
        assert_eq!(capped.apply(&clear).remaining, Known::Null);
        assert_eq!(capped.apply(&clear).limit, Known::Null);
    }

    #[test]
    fn a_change_as_json() {
        let c = FieldChange {
            field: "limit",
            from: Some(json!(100)),
            to: json!(125),
        };
        assert_eq!(
            c.to_json(),
            json!({"field": "limit", "from": 100, "to": 125})
        );
        let c = FieldChange {
            field: "reset",
            from: None,
            to: json!("daily"),
        };
        assert_eq!(c.to_json(), json!({"field": "reset", "to": "daily"}));
        assert_eq!(
            Key::unread("x", "k", Unit::Usd).to_json()["raw"],
            Value::Null
        );
    }

    #[test]
    fn numbers_compare_as_decimals() {
        let mut a = Key::unread("x", "k", Unit::Usd);
        a.limit = Known::Value(d("50.0"));
        let mut b = a.clone();
        b.limit = Known::Value(d("50"));
        assert!(changes(Some(&a), &b, &["limit"]).is_empty());
        b.limit = Known::Value(d("51"));
        assert_eq!(changes(Some(&a), &b, &["limit"]).len(), 1);
        assert!(changes(Some(&a), &b, &["name"]).is_empty());
        // Only the fields touched are listed (and remaining only along with the limit).
        a.remaining = Known::Value(d("1"));
        b.remaining = Known::Value(d("3"));
        b.name = Known::Value("other".into());
        let c = changes(Some(&a), &b, &["name"]);
        assert_eq!(c.iter().map(|c| c.field).collect::<Vec<_>>(), ["name"]);
        let c = changes(Some(&a), &b, &["limit"]);
        assert_eq!(
            c.iter().map(|c| c.field).collect::<Vec<_>>(),
            ["limit", "remaining"]
        );
        // Numbers beyond a decimal compare by their digits.
        let huge: Value = serde_json::from_str("1e400").unwrap();
        assert!(same(&huge, &huge.clone()));
        assert!(!same(
            &huge,
            &serde_json::from_str::<Value>("2e400").unwrap()
        ));
    }
}
