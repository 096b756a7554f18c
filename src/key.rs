//! The one key model every provider's answer is normalized into ([`Key`]), its JSON form
//! (`schemas/key.schema.json`) and how two reads of one key are merged ([`Key::fill_from`]).
//! What a change does to it is in `change`, whether the provider stops it in `blocked`, and the
//! readers adapters take provider JSON apart with in `read`. Pure data: no I/O, no printing.

mod blocked;
mod change;
mod read;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::patch::{Reset, decimal_json, decimal_of_number};

pub use blocked::{Blocking, blocked_by_currency, blocked_by_remaining, blocked_by_usage};
pub use change::{CHANGE_FIELDS, FieldChange, changes};
pub use read::{
    bool_field, figure_field, models_of, money_field, remaining, remaining_or, reset_word,
    text_field, time_field, utc,
};

/// A field of a key as the provider's answer tells it: one of the three states its JSON form
/// has (`schemas/key.schema.json`: absent, `null`, a value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Known<T> {
    /// Not known: the answer leaves the field out, shows it as something keyctl cannot read,
    /// or two reads disagree about it. Absent from the JSON form.
    #[default]
    Unknown,
    /// Known to be none: no cap, no expiry, every model, no name, no such setting on this
    /// provider. `null` in the JSON form.
    Null,
    /// Known to be this value.
    Value(T),
}

impl<T> Known<T> {
    /// `Value(v)` for `Some(v)`, `Null` for `None` (a reader's `None` that means "none").
    pub fn or_null(v: Option<T>) -> Known<T> {
        v.map_or(Known::Null, Known::Value)
    }

    /// `Value(v)` for `Some(v)`, `Unknown` for `None` (a reader's `None` that means "could
    /// not tell").
    pub fn or_unknown(v: Option<T>) -> Known<T> {
        v.map_or(Known::Unknown, Known::Value)
    }

    /// Whether the field is known (`Null` or a value).
    pub fn is_known(&self) -> bool {
        !matches!(self, Known::Unknown)
    }

    /// The same, with `Null` taken as `Unknown` (an answer whose `null` does not say "none").
    pub fn without_null(self) -> Known<T> {
        match self {
            Known::Null => Known::Unknown,
            k => k,
        }
    }

    /// The value, when there is one (neither `Unknown` nor `Null`).
    pub fn value(&self) -> Option<&T> {
        match self {
            Known::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value, when there is one, by value.
    pub fn into_value(self) -> Option<T> {
        match self {
            Known::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value mapped by `f`, in the same state.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Known<U> {
        match self {
            Known::Unknown => Known::Unknown,
            Known::Null => Known::Null,
            Known::Value(v) => Known::Value(f(v)),
        }
    }

    /// The value mapped by `f`, which may not tell (`None`: `Unknown`).
    pub fn and_then<U>(self, f: impl FnOnce(T) -> Option<U>) -> Known<U> {
        match self {
            Known::Unknown => Known::Unknown,
            Known::Null => Known::Null,
            Known::Value(v) => Known::or_unknown(f(v)),
        }
    }
}

/// The unit of `limit`, `usage`, `remaining` and `usage_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    #[default]
    Usd,
    /// io.net IO Intelligence credits.
    Credits,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Usd => "usd",
            Unit::Credits => "credits",
        }
    }

    /// The unit as messages write it after an amount.
    pub fn word(self) -> &'static str {
        match self {
            Unit::Usd => "USD",
            Unit::Credits => "credits",
        }
    }
}

/// Venice's three per-currency caps (`null` = no cap in that currency, also when the answer's
/// `consumptionLimits` leaves the currency out: each is optional in Venice's document; a
/// currency not known, one present that is not a number >= 0, is left out).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub usd: Known<Decimal>,
    pub diem: Known<Decimal>,
    pub vcu: Known<Decimal>,
}

impl Default for Limits {
    /// No cap in any currency.
    fn default() -> Limits {
        Limits {
            usd: Known::Null,
            diem: Known::Null,
            vcu: Known::Null,
        }
    }
}

/// A key, with the same meaning on every provider (README "The key model").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Key {
    /// The provider id (`venice`, `ionet`, ...).
    pub provider: &'static str,
    /// The full key id, as `get` and `update` take it.
    pub id: String,
    pub name: Known<String>,
    /// `null` where the provider has no enabled/disabled state (io.net, Venice).
    pub disabled: Known<bool>,
    /// Whether the provider stops the key for its spend, its limit reached (README "The key
    /// model", per provider: [`blocked_by_usage`], [`blocked_by_remaining`],
    /// [`blocked_by_currency`]): `Some(true)`, `Some(false)`, or `None` when what the provider
    /// reports does not tell (absent from the JSON; never `null`: every provider stops a key
    /// at its limit). Not `disabled`: a key switched off is not blocked for that, and a
    /// blocked key is not switched off.
    pub blocked: Option<bool>,
    /// Why `blocked` is true, in the provider's figures (`usage 100 of 100 credits`), for
    /// `check`'s reason; None otherwise. Not part of the JSON form.
    pub blocked_why: Option<String>,
    /// The spending cap in `unit` per reset period; `null` = no cap.
    pub limit: Known<Decimal>,
    pub unit: Unit,
    /// Venice only (`null` elsewhere): the cap in each currency.
    pub limits: Known<Limits>,
    /// The flag's words: `8h`, `daily`, `weekly`, `monthly`, `never`.
    pub reset: Known<Reset>,
    /// Spend in the current reset period.
    pub usage: Known<Decimal>,
    /// The provider's figure, else `limit - usage` (never below 0); `null` when no cap.
    pub remaining: Known<Decimal>,
    /// Spend over the key's whole life, where the provider reports it.
    pub usage_total: Known<Decimal>,
    pub expires: Known<String>,
    pub created: Known<String>,
    pub updated: Known<String>,
    pub last_used: Known<String>,
    /// The model allow-list; `null` = every model.
    pub models: Known<Vec<String>>,
    /// Venice's model privacy (`all`, `private-text`, `private-only`); `null` elsewhere.
    pub privacy: Known<String>,
    /// Whether BYOK usage counts against the limit (OpenRouter-style providers).
    pub include_byok_in_limit: Known<bool>,
    /// The provider's own object, as read.
    pub raw: Value,
    /// Settings left not known because the answers read disagree about them (io.net: the
    /// key's usage read and its list entry), or because an answer shows one as something
    /// keyctl cannot read: the field's name in [`FIELDS`] and why, for a message (a successor
    /// names it rather than copy either value). Each field here is not known. Not part of the
    /// JSON form.
    pub conflicts: Vec<(&'static str, String)>,
}

/// The settings two reads of one key must agree on ([`Key::fill_from`]): what `rotate` copies,
/// the creation time its expiry policy measures, and the enabled state.
const AGREED: [&str; 9] = [
    "disabled",
    "limit",
    "limits",
    "reset",
    "expires",
    "created",
    "models",
    "privacy",
    "include_byok_in_limit",
];

/// The key's fields besides `provider`, `id` and `raw`, in the order of its JSON form.
const FIELDS: [&str; 17] = [
    "name",
    "disabled",
    "blocked",
    "limit",
    "unit",
    "limits",
    "reset",
    "usage",
    "remaining",
    "usage_total",
    "expires",
    "created",
    "updated",
    "last_used",
    "models",
    "privacy",
    "include_byok_in_limit",
];

fn known_json<T>(k: &Known<T>, f: impl Fn(&T) -> Value) -> Option<Value> {
    match k {
        Known::Unknown => None,
        Known::Null => Some(Value::Null),
        Known::Value(v) => Some(f(v)),
    }
}

fn money(d: &Decimal) -> Value {
    decimal_json(*d)
}

impl Key {
    /// A key known only by its id (nothing read yet).
    pub fn unread(provider: &'static str, id: &str, unit: Unit) -> Key {
        Key {
            provider,
            id: id.to_string(),
            unit,
            raw: Value::Null,
            ..Key::default()
        }
    }

    /// Sets `blocked` and why from a derivation ([`blocked_by_usage`] and its kin).
    pub fn set_blocked(&mut self, b: Blocking) {
        self.blocked = b.state;
        self.blocked_why = b.why;
    }

    /// The key's fields in the README's order, with `None` for a field not known.
    pub fn fields(&self) -> Vec<(&'static str, Option<Value>)> {
        FIELDS.iter().map(|&f| (f, self.field(f))).collect()
    }

    /// The JSON form (`schemas/key.schema.json`): a field not known is absent, `null` means
    /// none (no cap, no expiry, every model).
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("provider".into(), json!(self.provider));
        o.insert("id".into(), json!(self.id));
        for (name, v) in self.fields() {
            if let Some(v) = v {
                o.insert(name.into(), v);
            }
        }
        o.insert("raw".into(), self.raw.clone());
        Value::Object(o)
    }

    /// One field's value by its name in [`FIELDS`] or [`CHANGE_FIELDS`] (`limits.diem` reaches
    /// into `limits`); None when it is not known (or not a field).
    pub fn field(&self, name: &str) -> Option<Value> {
        let s = |v: &String| json!(v);
        match name {
            "name" => known_json(&self.name, s),
            "disabled" => known_json(&self.disabled, |b| json!(b)),
            "blocked" => self.blocked.map(|b| json!(b)),
            "limit" => known_json(&self.limit, money),
            "unit" => Some(json!(self.unit.as_str())),
            "limits" => known_json(&self.limits, limits_json),
            "reset" => known_json(&self.reset, |r| json!(r.as_str())),
            "usage" => known_json(&self.usage, money),
            "remaining" => known_json(&self.remaining, money),
            "usage_total" => known_json(&self.usage_total, money),
            "expires" => known_json(&self.expires, s),
            "created" => known_json(&self.created, s),
            "updated" => known_json(&self.updated, s),
            "last_used" => known_json(&self.last_used, s),
            "models" => known_json(&self.models, |m| json!(m)),
            "privacy" => known_json(&self.privacy, s),
            "include_byok_in_limit" => known_json(&self.include_byok_in_limit, |b| json!(b)),
            "limits.usd" | "limits.diem" | "limits.vcu" => {
                // Not a setting of this provider (`limits` is null): nothing to show.
                let l = self.limits.value()?;
                let v = match name {
                    "limits.usd" => &l.usd,
                    "limits.diem" => &l.diem,
                    _ => &l.vcu,
                };
                known_json(v, money)
            }
            _ => None,
        }
    }

    /// Why `field` is not known, when an answer disagreed about it or showed it as something
    /// keyctl cannot read ([`Key::conflicts`]).
    pub fn conflict(&self, field: &str) -> Option<&str> {
        self.conflicts
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, why)| why.as_str())
    }

    /// Notes that the answer shows `field` as something keyctl cannot read (`why`): it stays
    /// not known, and another read of the key does not fill it ([`Key::fill_from`]).
    pub fn unreadable(&mut self, field: &'static str, why: String) {
        self.forget(field);
        if self.conflict(field).is_none() {
            self.conflicts.push((field, why));
        }
    }

    /// Makes the setting `field` (one of [`AGREED`]) not known.
    fn forget(&mut self, field: &str) {
        match field {
            "disabled" => self.disabled = Known::Unknown,
            // Whether the key is blocked follows its cap: not known either.
            "limit" => {
                self.limit = Known::Unknown;
                self.set_blocked(Blocking::default());
            }
            "limits" => {
                self.limits = Known::Unknown;
                self.set_blocked(Blocking::default());
            }
            "reset" => self.reset = Known::Unknown,
            "expires" => self.expires = Known::Unknown,
            "created" => self.created = Known::Unknown,
            "models" => self.models = Known::Unknown,
            "privacy" => self.privacy = Known::Unknown,
            "include_byok_in_limit" => self.include_byok_in_limit = Known::Unknown,
            _ => {}
        }
    }

    /// Fills every field not known here from `other` (the same key read another way: io.net's
    /// entry in the key list completing its usage read). A setting both know must agree: one
    /// they show differently (`100` here, `null` there), or that one shows as something keyctl
    /// cannot read and the other has, becomes not known, with both values in
    /// [`Key::conflicts`], rather than either value silently winning.
    pub fn fill_from(&mut self, other: &Key) {
        self.check_agreement(other);
        self.complete_from(other);
    }

    /// Marks every setting this read and `other` show differently as not known (see
    /// [`Key::fill_from`]).
    fn check_agreement(&mut self, other: &Key) {
        // At most 40 characters of each value (the model stays free of the text module).
        let show = |v: &Value| {
            // Controls, bidi overrides and zero-width characters left out (JSON escapes only
            // the C0 controls).
            let s: String = v
                .to_string()
                .chars()
                .filter(|c| {
                    !c.is_control()
                        && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
                            | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{e0000}'..='\u{e007f}')
                })
                .collect();
            if s.chars().count() > 40 {
                format!("{}…", s.chars().take(39).collect::<String>())
            } else {
                s
            }
        };
        for field in AGREED {
            let why = match (self.field(field), other.field(field)) {
                (Some(a), Some(b)) if !agree(&a, &b) => format!(
                    "the provider's answers disagree: {field} is {} in the key's own read and \
                     {} in its entry in the key list",
                    show(&a),
                    show(&b)
                ),
                (Some(a), None) if other.conflict(field).is_some() => format!(
                    "the provider's answers disagree: {field} is {} in the key's own read, but \
                     its entry in the key list shows {}",
                    show(&a),
                    other.conflict(field).unwrap_or_default()
                ),
                (None, _) if self.conflict(field).is_none() => match other.conflict(field) {
                    Some(why) => why.to_string(),
                    None => continue,
                },
                _ => continue,
            };
            self.unreadable(field, why);
        }
    }

    /// Fills every field not known here from `other`, with no check that they agree: a
    /// provider's answer to an update completed from the state the update predicts (the
    /// answer wins where it says something).
    pub fn complete_from(&mut self, other: &Key) {
        fn fill<T: Clone>(a: &mut Known<T>, b: &Known<T>) {
            if !a.is_known() {
                a.clone_from(b);
            }
        }
        fill(&mut self.name, &other.name);
        fill(&mut self.disabled, &other.disabled);
        if self.blocked.is_none() {
            self.blocked = other.blocked;
            self.blocked_why.clone_from(&other.blocked_why);
        }
        fill(&mut self.limit, &other.limit);
        fill(&mut self.limits, &other.limits);
        fill(&mut self.reset, &other.reset);
        fill(&mut self.usage, &other.usage);
        fill(&mut self.remaining, &other.remaining);
        fill(&mut self.usage_total, &other.usage_total);
        fill(&mut self.expires, &other.expires);
        fill(&mut self.created, &other.created);
        fill(&mut self.updated, &other.updated);
        fill(&mut self.last_used, &other.last_used);
        fill(&mut self.models, &other.models);
        fill(&mut self.privacy, &other.privacy);
        fill(
            &mut self.include_byok_in_limit,
            &other.include_byok_in_limit,
        );
        if self.raw.is_null() {
            self.raw = other.raw.clone();
        } else if let (Some(a), Some(b)) = (self.raw.as_object_mut(), other.raw.as_object()) {
            for (k, v) in b {
                a.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        // What the reads disagree about stays not known.
        let unsure: Vec<&'static str> = self.conflicts.iter().map(|(f, _)| *f).collect();
        for field in unsure {
            self.forget(field);
        }
    }
}

/// Two JSON forms of one setting say the same (numbers compared as decimals, in objects and
/// lists too: `50` = `50.0`).
fn agree(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| agree(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| agree(v, w))
        }
        _ => same(a, b),
    }
}

fn limits_json(l: &Limits) -> Value {
    let mut o = Map::new();
    for (name, v) in [("usd", &l.usd), ("diem", &l.diem), ("vcu", &l.vcu)] {
        if let Some(v) = known_json(v, money) {
            o.insert(name.into(), v);
        }
    }
    Value::Object(o)
}

/// Equal values, with numbers compared as decimals (`50` = `50.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (decimal_of_number(x), decimal_of_number(y)) {
                (Some(x), Some(y)) => x == y,
                _ => x == y,
            }
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::{Amount, Change, Patch};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn known_helpers_keep_the_three_states_apart() {
        let states = [Known::Unknown, Known::Null, Known::Value(2)];
        assert_eq!(Known::<i32>::default(), Known::Unknown);
        assert_eq!(states.map(|k| k.is_known()), [false, true, true]);
        assert_eq!(states.map(|k| k.value().copied()), [None, None, Some(2)]);
        assert_eq!(states.map(Known::into_value), [None, None, Some(2)]);
        assert_eq!(
            states.map(Known::without_null),
            [Known::Unknown, Known::Unknown, Known::Value(2)]
        );
        assert_eq!(
            states.map(|k| k.map(|v| v * 10)),
            [Known::Unknown, Known::Null, Known::Value(20)]
        );
        let half = |v: i32| (v % 2 == 0).then_some(v / 2);
        assert_eq!(
            states.map(|k| k.and_then(half)),
            [Known::Unknown, Known::Null, Known::Value(1)]
        );
        assert_eq!(Known::Value(3).and_then(half), Known::Unknown);
        assert_eq!(Known::or_null(Some(1)), Known::Value(1));
        assert_eq!(Known::<i32>::or_null(None), Known::Null);
        assert_eq!(Known::or_unknown(Some(1)), Known::Value(1));
        assert_eq!(Known::<i32>::or_unknown(None), Known::Unknown);
        // The JSON form: absent, null, the value.
        assert_eq!(
            states.map(|k| known_json(&k, |v| json!(v))),
            [None, Some(Value::Null), Some(json!(2))]
        );
    }

    #[test]
    fn unknown_is_absent_and_none_is_null() {
        let mut k = Key::unread("ionet", "k1", Unit::Credits);
        k.limit = Known::Null;
        let j = k.to_json();
        assert_eq!(j["limit"], Value::Null);
        assert!(j.get("name").is_none());
        assert_eq!(j["unit"], "credits");
        assert_eq!(j["id"], "k1");
    }

    #[test]
    fn fill_from_takes_only_what_is_not_known() {
        let mut a = Key::unread("ionet", "k", Unit::Credits);
        // (A figure, not a setting: two reads a moment apart may differ.)
        a.usage = Known::Value(d("5"));
        a.raw = json!({"status": "succeeded"});
        let mut b = Key::unread("ionet", "k", Unit::Credits);
        b.usage = Known::Value(d("9"));
        b.name = Known::Value("ci".into());
        b.models = Known::Null;
        b.raw = json!({"status": "other", "id": "k"});
        a.fill_from(&b);
        assert_eq!(a.usage, Known::Value(d("5")));
        assert_eq!(a.name, Known::Value("ci".into()));
        assert_eq!(a.models, Known::Null);
        assert_eq!(a.raw, json!({"status": "succeeded", "id": "k"}));
        let mut empty = Key::unread("ionet", "k", Unit::Credits);
        empty.fill_from(&b);
        assert_eq!(empty.raw, b.raw);
    }

    #[test]
    fn fill_from_keeps_a_disagreement_visible() {
        // io.net: the usage read (`a`) says no cap, the list entry (`b`) says 100.
        let read = |limit| {
            let mut k = Key::unread("ionet", "k", Unit::Credits);
            k.limit = limit;
            k.reset = Known::Value(Reset::Weekly);
            k
        };
        let mut a = read(Known::Null);
        let mut b = read(Known::Value(d("100")));
        b.models = Known::Null;
        a.fill_from(&b);
        assert_eq!(a.limit, Known::Unknown);
        assert_eq!(
            a.conflict("limit"),
            Some(
                "the provider's answers disagree: limit is null in the key's own read and 100 \
                 in its entry in the key list"
            )
        );
        // What they agree on, or only one knows, is filled as before.
        assert_eq!(a.reset, Known::Value(Reset::Weekly));
        assert_eq!(a.models, Known::Null);
        assert_eq!(a.conflicts.len(), 1);
        // 1000 against 100, too; 100 against 100.0 is agreement.
        let mut a = read(Known::Value(d("1000")));
        a.fill_from(&b);
        assert_eq!(a.limit, Known::Unknown);
        assert!(a.conflict("limit").is_some_and(|w| w.contains("1000")));
        let mut a = read(Known::Value(d("100.0")));
        a.fill_from(&b);
        assert_eq!(a.limit, Known::Value(d("100")));
        assert!(a.conflicts.is_empty());
        // A value one read shows as unreadable is not filled from the other.
        let mut a = read(Known::Unknown);
        a.unreadable("limit", "the usage read shows credit_limit as -1".into());
        a.fill_from(&b);
        assert_eq!(a.limit, Known::Unknown);
        assert_eq!(
            a.conflict("limit"),
            Some("the usage read shows credit_limit as -1")
        );
        // ... nor does the other's unreadable value give way to this one's.
        let mut odd = read(Known::Unknown);
        odd.unreadable("limit", "the key list shows credit_limit as -1".into());
        let mut a = read(Known::Value(d("100")));
        a.fill_from(&odd);
        assert_eq!(a.limit, Known::Unknown);
        assert!(
            a.conflict("limit").is_some_and(
                |w| w.contains("100 in the key's own read") && w.contains("credit_limit as -1")
            ),
            "{:?}",
            a.conflicts
        );
        // A change that sets the field settles it.
        let after = a.apply(&Patch {
            limit: Change::Set("7".parse::<Amount>().unwrap()),
            ..Default::default()
        });
        assert_eq!(after.limit, Known::Value(d("7")));
        assert!(after.conflicts.is_empty());
    }
}
