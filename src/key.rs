//! The one key model every provider's answer is normalized into ([`Key`]), what a change does to
//! it ([`Key::apply`], for plans) and what changed between two states ([`changes`]); its JSON
//! form is `schemas/key.schema.json`. Pure data: no I/O, no printing.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::patch::{
    Change, Patch, Reset, decimal_json, decimal_of_number, decimal_of_str, rfc3339,
};

/// A field that may not be known: `None` = not known (absent from the JSON), `Some(None)` =
/// known to be empty (`null`: no cap, no expiry, all models, ...), `Some(Some(v))` = a value.
pub type Known<T> = Option<Option<T>>;

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
            usd: Some(None),
            diem: Some(None),
            vcu: Some(None),
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
pub const FIELDS: [&str; 17] = [
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

fn known_json<T>(k: &Known<T>, f: impl Fn(&T) -> Value) -> Option<Value> {
    k.as_ref().map(|v| v.as_ref().map_or(Value::Null, f))
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
                let l = self.limits.as_ref()?.as_ref()?;
                let v = match name {
                    "limits.usd" => l.usd,
                    "limits.diem" => l.diem,
                    _ => l.vcu,
                };
                v.map(|v| v.as_ref().map_or(Value::Null, money))
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
            "disabled" => self.disabled = None,
            // Whether the key is blocked follows its cap: not known either.
            "limit" => {
                self.limit = None;
                self.set_blocked(Blocking::default());
            }
            "limits" => {
                self.limits = None;
                self.set_blocked(Blocking::default());
            }
            "reset" => self.reset = None,
            "expires" => self.expires = None,
            "created" => self.created = None,
            "models" => self.models = None,
            "privacy" => self.privacy = None,
            "include_byok_in_limit" => self.include_byok_in_limit = None,
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
            if a.is_none() {
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

    /// The state this key would have after `patch` (what a plan shows): every field the change
    /// sets is known, `remaining` follows a new limit, the rest is as before.
    pub fn apply(&self, patch: &Patch) -> Key {
        let mut k = self.clone();
        k.raw = Value::Null;
        fn set<T: Clone>(c: &Change<T>) -> Option<Known<T>> {
            match c {
                Change::Keep => None,
                Change::Clear => Some(Some(None)),
                Change::Set(v) => Some(Some(Some(v.clone()))),
            }
        }
        let limit_changed = !patch.limit.is_keep();
        if let Some(l) = set(&patch.limit) {
            k.limit = l.map(|o| o.map(|a| a.value()));
        }
        if let Some(n) = &patch.name {
            k.name = Some(Some(n.clone()));
        }
        if let Some(d) = patch.disabled {
            k.disabled = Some(Some(d));
        }
        if let Some(r) = patch.reset {
            // Another period counts other spend, which the state before does not tell.
            if k.reset != Some(Some(r)) {
                k.usage = None;
                k.remaining = None;
            }
            k.reset = Some(Some(r));
        }
        if let Some(e) = set(&patch.expires) {
            k.expires = e.map(|o| o.map(|at| rfc3339(&at)));
        }
        if let Some(m) = set(&patch.models) {
            k.models = m;
        }
        if let Some(b) = patch.include_byok_in_limit {
            k.include_byok_in_limit = Some(Some(b));
        }
        if let Some(p) = patch.privacy {
            k.privacy = Some(Some(p.as_str().to_string()));
        }
        let currencies = [&patch.limit, &patch.limit_diem, &patch.limit_vcu];
        // Per-currency caps: a key that has them, or a change that sets DIEM or VCU (Venice).
        let per_currency = matches!(k.limits, Some(Some(_)))
            || !patch.limit_diem.is_keep()
            || !patch.limit_vcu.is_keep();
        if per_currency && currencies.iter().any(|c| !c.is_keep()) {
            // Not read: the currencies the change leaves alone stay not known.
            let mut l = k.limits.clone().flatten().unwrap_or(Limits {
                usd: None,
                diem: None,
                vcu: None,
            });
            let amount = |c: &Change<crate::patch::Amount>, old: Known<Decimal>| match c {
                Change::Keep => old,
                Change::Clear => Some(None),
                Change::Set(a) => Some(Some(a.value())),
            };
            l.usd = amount(&patch.limit, l.usd);
            l.diem = amount(&patch.limit_diem, l.diem);
            l.vcu = amount(&patch.limit_vcu, l.vcu);
            k.limits = Some(Some(l));
        }
        if limit_changed || patch.reset.is_some() {
            k.remaining = match (&k.limit, &k.usage) {
                (Some(None), _) => Some(None),
                (Some(Some(l)), Some(Some(u))) => remaining(*l, *u).map(Some),
                _ => None,
            };
        }
        if currencies.iter().any(|c| !c.is_keep()) || patch.reset.is_some() {
            // The provider decides again after a new cap or period; only a key left with no
            // cap at all is known not to be blocked.
            let uncapped = k.limit == Some(None)
                && match &k.limits {
                    Some(None) => true,
                    Some(Some(l)) => [l.usd, l.diem, l.vcu].iter().all(|c| *c == Some(None)),
                    None => false,
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
        (Some(None), _) => Some(None),
        // A provider's negative figure (spent past the cap) is 0 left, as limit - usage is.
        (_, Some(Some(r))) => Some(Some(if r.is_sign_negative() {
            Decimal::ZERO
        } else {
            r
        })),
        (Some(Some(l)), _) => match usage {
            Some(Some(u)) => remaining(*l, *u).map(Some),
            _ => None,
        },
        _ => None,
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

// Readers used by the adapters: JSON from a provider into typed fields.

/// A money field (a cap, a spend, what remains): a JSON number or a numeric string (Venice
/// sends "10.2424"), >= 0, without trailing zeros; `null` is known to be empty; absent, out of
/// range, negative or anything else is not known.
pub fn money_field(v: &Value, name: &str) -> Known<Decimal> {
    let d = match v.get(name)? {
        Value::Null => return Some(None),
        Value::Number(n) => decimal_of_number(n)?,
        Value::String(s) => decimal_of_str(s)?,
        _ => return None,
    };
    (!d.is_sign_negative() || d.is_zero()).then(|| Some(d.normalize()))
}

/// A provider's own figure of what is left (`limit_remaining`, `remaining_credit`): as
/// [`money_field`], but a negative amount is read too: it is a key spent past its cap, which
/// [`remaining_or`] shows as 0 left (not a figure to drop for `limit - usage`, which can say
/// there is money left on a key the provider has stopped).
pub fn figure_field(v: &Value, name: &str) -> Known<Decimal> {
    match v.get(name)? {
        Value::Null => Some(None),
        Value::Number(n) => decimal_of_number(n).map(|d| Some(d.normalize())),
        Value::String(s) => decimal_of_str(s).map(|d| Some(d.normalize())),
        _ => None,
    }
}

/// A string field; `null` known to be empty.
pub fn text_field(v: &Value, name: &str) -> Known<String> {
    match v.get(name)? {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        _ => None,
    }
}

pub fn bool_field(v: &Value, name: &str) -> Known<bool> {
    match v.get(name)? {
        Value::Null => Some(None),
        Value::Bool(b) => Some(Some(*b)),
        _ => None,
    }
}

/// A timestamp field as RFC 3339 UTC (`Z`); `null` (or `""`) known to be none. A value that is
/// not a timestamp is not known (it stays in `raw`).
pub fn time_field(v: &Value, name: &str) -> Known<String> {
    match v.get(name)? {
        Value::Null => Some(None),
        Value::String(s) if s.is_empty() => Some(None),
        Value::String(s) => utc(s).map(Some),
        _ => None,
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
    fn no() -> Blocking {
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
        (Some(None), _) => Blocking::no(),
        (Some(Some(l)), Some(Some(u))) if u >= l => Blocking::because(format!(
            "usage {} of {} {}",
            u.normalize(),
            l.normalize(),
            unit_word(unit)
        )),
        (Some(Some(_)), Some(Some(_))) => Blocking::no(),
        _ => Blocking::default(),
    }
}

/// ModelGates, novapai, OpenRouter: blocked when the provider's own `limit_remaining` is at or
/// below 0 (keyctl's `limit - usage` is not used: only the provider's figure says it stops the
/// key). No cap (`limit` null): not blocked. `limit_remaining` absent, `null` with a cap, or not
/// a number: not known. `disabled` plays no part.
pub fn blocked_by_remaining(data: &Value, limit: &Known<Decimal>, unit: Unit) -> Blocking {
    if *limit == Some(None) {
        return Blocking::no();
    }
    let figure = match data.get("limit_remaining") {
        Some(Value::Number(n)) => decimal_of_number(n),
        Some(Value::String(s)) => decimal_of_str(s),
        _ => None,
    };
    match figure {
        Some(r) if r <= Decimal::ZERO => Blocking::because(match limit {
            Some(Some(l)) => format!(
                "limit_remaining {} of the {} {} limit",
                r.normalize(),
                l.normalize(),
                unit_word(unit)
            ),
            _ => format!("limit_remaining {} {}", r.normalize(), unit_word(unit)),
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
        None => return Blocking::default(),
        Some(None) => return Blocking::no(),
        Some(Some(l)) => l,
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
            (Some(None), _) => {}
            (Some(Some(c)), Some(Some(u))) => {
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

/// The unit as messages write it after an amount.
fn unit_word(u: Unit) -> &'static str {
    match u {
        Unit::Usd => "USD",
        Unit::Credits => "credits",
    }
}

/// A model allow-list where `[]` or `null` means every model.
pub fn models_of(v: &Value, name: &str) -> Known<Vec<String>> {
    match v.get(name)? {
        Value::Null => Some(None),
        Value::Array(a) if a.is_empty() => Some(None),
        // A list with anything but names in it is not understood: not known (it stays in raw).
        Value::Array(a) => a
            .iter()
            .map(|m| m.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::Amount;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn blocked_by_usage_is_usage_at_or_over_the_cap() {
        let v = |s: &str| Some(Some(d(s)));
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
        assert_eq!(b(Some(None), v("1000")).state, Some(false));
        assert_eq!(b(Some(None), None).state, Some(false));
        // Usage or cap not known.
        for (l, u) in [(v("10"), None), (v("10"), Some(None)), (None, v("10"))] {
            assert_eq!(b(l, u), Blocking::default(), "{l:?} {u:?}");
        }
    }

    #[test]
    fn blocked_by_remaining_takes_the_providers_figure_only() {
        let b = |data: Value, limit: Known<Decimal>| blocked_by_remaining(&data, &limit, Unit::Usd);
        let cap = Some(Some(d("10")));
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
            b(json!({"limit_remaining": "0"}), None).why.as_deref(),
            Some("limit_remaining 0 USD")
        );
        assert_eq!(b(json!({"limit_remaining": 0.01}), cap), Blocking::no());
        // No cap: not blocked, even with a figure of 0.
        assert_eq!(b(json!({"limit_remaining": 0}), Some(None)), Blocking::no());
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
            Some(Some(Limits { usd, diem, vcu }))
        };
        let v = |s: &str| Some(Some(d(s)));
        let b = |l: &Known<Limits>, data: Value| blocked_by_currency(l, &data);
        let usd_diem = caps(v("10"), v("1"), Some(None));
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
        let vcu = caps(Some(None), Some(None), v("30"));
        assert_eq!(b(&vcu, at("100", "100")), Blocking::default());
        // Only the trailing seven days: not the limit's period.
        let week = json!({"usage": {"trailingSevenDays": {"usd": "50"}}});
        assert_eq!(b(&usd_diem, week), Blocking::default());
        // No cap in any currency (or a `null` consumptionLimits): not blocked.
        assert_eq!(b(&Some(Some(Limits::default())), json!({})), Blocking::no());
        assert_eq!(b(&Some(None), json!({})), Blocking::no());
        // Caps not known.
        assert_eq!(b(&None, at("1", "1")), Blocking::default());
        assert_eq!(
            b(&caps(None, Some(None), Some(None)), at("1", "1")),
            Blocking::default()
        );
    }

    #[test]
    fn blocked_is_a_boolean_or_absent_and_follows_the_cap() {
        let mut k = Key::unread("ionet", "k", Unit::Credits);
        assert!(k.to_json().get("blocked").is_none());
        k.set_blocked(blocked_by_usage(
            &Some(Some(d("5"))),
            &Some(Some(d("5"))),
            Unit::Credits,
        ));
        assert_eq!(k.to_json()["blocked"], json!(true));
        // A cap the two io.net reads disagree about: blocked is not known either.
        let mut entry = k.clone();
        k.limit = Some(Some(d("5")));
        entry.limit = Some(Some(d("50")));
        k.fill_from(&entry);
        assert_eq!(
            (k.limit, k.blocked, k.blocked_why.as_deref()),
            (None, None, None)
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
        gates.limits = Some(None);
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

    #[test]
    fn unknown_is_absent_and_none_is_null() {
        let mut k = Key::unread("ionet", "k1", Unit::Credits);
        k.limit = Some(None);
        let j = k.to_json();
        assert_eq!(j["limit"], Value::Null);
        assert!(j.get("name").is_none());
        assert_eq!(j["unit"], "credits");
        assert_eq!(j["id"], "k1");
    }

    #[test]
    fn apply_sets_what_the_patch_sets_and_remaining_follows_the_limit() {
        let mut before = Key::unread("modelgates", "h", Unit::Usd);
        before.limit = Some(Some(d("100")));
        before.usage = Some(Some(d("25.5")));
        before.remaining = Some(Some(d("74.5")));
        before.name = Some(Some("ci".into()));
        let patch = Patch {
            limit: Change::Set("125".parse::<Amount>().unwrap()),
            disabled: Some(true),
            ..Default::default()
        };
        let after = before.apply(&patch);
        assert_eq!(after.limit, Some(Some(d("125"))));
        assert_eq!(after.remaining, Some(Some(d("99.5"))));
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
        before.limit = Some(Some(d("100")));
        before.usage = Some(Some(d("97.5")));
        before.reset = Some(Some(Reset::Daily));
        let weekly = Patch {
            reset: Some(Reset::Weekly),
            limit: Change::Set("125".parse::<Amount>().unwrap()),
            ..Default::default()
        };
        let after = before.apply(&weekly);
        assert_eq!((after.usage, after.remaining), (None, None));
        // The same period: usage stays, remaining follows the limit.
        let daily = Patch {
            reset: Some(Reset::Daily),
            limit: Change::Set("125".parse::<Amount>().unwrap()),
            ..Default::default()
        };
        assert_eq!(before.apply(&daily).remaining, Some(Some(d("27.5"))));
    }

    #[test]
    fn venice_currencies_apply_into_limits() {
        let mut before = Key::unread("venice", "v", Unit::Usd);
        before.limits = Some(Some(Limits {
            usd: Some(Some(d("50"))),
            diem: Some(Some(d("10"))),
            vcu: Some(None),
        }));
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
        assert_eq!(after.limit, None);
        // --limit alone on an unread key: the limit, and no per-currency object.
        let usd = Patch {
            limit: Change::Set("7".parse::<Amount>().unwrap()),
            ..Default::default()
        };
        let after = unread.apply(&usd);
        assert_eq!(after.limit, Some(Some(d("7"))));
        assert_eq!(after.limits, None);
        // A key read with its caps: --limit also moves limits.usd.
        let mut read = unread.clone();
        read.limits = Some(Some(Limits::default()));
        let after = read.apply(&usd);
        assert_eq!(after.field("limits.usd"), Some(json!(7)));
        assert_eq!(after.field("limits.vcu"), Some(Value::Null));
        // A provider without per-currency caps keeps `limits: null`.
        let mut gates = Key::unread("modelgates", "h", Unit::Usd);
        gates.limits = Some(None);
        assert_eq!(gates.apply(&usd).limits, Some(None));
        assert_eq!(gates.apply(&usd).field("limits.diem"), None);
        // Removing the cap: remaining is null whatever the usage.
        let clear = Patch {
            limit: Change::Clear,
            ..Default::default()
        };
        let mut capped = gates.clone();
        capped.limit = Some(Some(d("10")));
        capped.remaining = Some(Some(d("4")));
        assert_eq!(capped.apply(&clear).remaining, Some(None));
        assert_eq!(capped.apply(&clear).limit, Some(None));
    }

    #[test]
    fn fill_from_takes_only_what_is_not_known() {
        let mut a = Key::unread("ionet", "k", Unit::Credits);
        // (A figure, not a setting: two reads a moment apart may differ.)
        a.usage = Some(Some(d("5")));
        a.raw = json!({"status": "succeeded"});
        let mut b = Key::unread("ionet", "k", Unit::Credits);
        b.usage = Some(Some(d("9")));
        b.name = Some(Some("ci".into()));
        b.models = Some(None);
        b.raw = json!({"status": "other", "id": "k"});
        a.fill_from(&b);
        assert_eq!(a.usage, Some(Some(d("5"))));
        assert_eq!(a.name, Some(Some("ci".into())));
        assert_eq!(a.models, Some(None));
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
            k.reset = Some(Some(Reset::Weekly));
            k
        };
        let mut a = read(Some(None));
        let mut b = read(Some(Some(d("100"))));
        b.models = Some(None);
        a.fill_from(&b);
        assert_eq!(a.limit, None);
        assert_eq!(
            a.conflict("limit"),
            Some(
                "the provider's answers disagree: limit is null in the key's own read and 100 \
                 in its entry in the key list"
            )
        );
        // What they agree on, or only one knows, is filled as before.
        assert_eq!(a.reset, Some(Some(Reset::Weekly)));
        assert_eq!(a.models, Some(None));
        assert_eq!(a.conflicts.len(), 1);
        // 1000 against 100, too; 100 against 100.0 is agreement.
        let mut a = read(Some(Some(d("1000"))));
        a.fill_from(&b);
        assert_eq!(a.limit, None);
        assert!(a.conflict("limit").is_some_and(|w| w.contains("1000")));
        let mut a = read(Some(Some(d("100.0"))));
        a.fill_from(&b);
        assert_eq!(a.limit, Some(Some(d("100"))));
        assert!(a.conflicts.is_empty());
        // A value one read shows as unreadable is not filled from the other.
        let mut a = read(None);
        a.unreadable("limit", "the usage read shows credit_limit as -1".into());
        a.fill_from(&b);
        assert_eq!(a.limit, None);
        assert_eq!(
            a.conflict("limit"),
            Some("the usage read shows credit_limit as -1")
        );
        // ... nor does the other's unreadable value give way to this one's.
        let mut odd = read(None);
        odd.unreadable("limit", "the key list shows credit_limit as -1".into());
        let mut a = read(Some(Some(d("100"))));
        a.fill_from(&odd);
        assert_eq!(a.limit, None);
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
        assert_eq!(after.limit, Some(Some(d("7"))));
        assert!(after.conflicts.is_empty());
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
        a.limit = Some(Some(d("50.0")));
        let mut b = a.clone();
        b.limit = Some(Some(d("50")));
        assert!(changes(Some(&a), &b, &["limit"]).is_empty());
        b.limit = Some(Some(d("51")));
        assert_eq!(changes(Some(&a), &b, &["limit"]).len(), 1);
        assert!(changes(Some(&a), &b, &["name"]).is_empty());
        // Only the fields touched are listed (and remaining only along with the limit).
        a.remaining = Some(Some(d("1")));
        b.remaining = Some(Some(d("3")));
        b.name = Some(Some("other".into()));
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

    #[test]
    fn readers() {
        let v = json!({"a": "10.2424", "b": 1e3, "c": null, "d": "x", "t": "2025-08-24T12:30:00+02:00",
                       "n": "2025-08-24T10:30:00", "bad": "soon", "m": [], "m2": ["x"]});
        assert_eq!(money_field(&v, "a"), Some(Some(d("10.2424"))));
        assert_eq!(money_field(&v, "b"), Some(Some(d("1000"))));
        assert_eq!(money_field(&v, "c"), Some(None));
        assert_eq!(money_field(&v, "d"), None);
        assert_eq!(money_field(&v, "zz"), None);
        assert_eq!(
            time_field(&v, "t"),
            Some(Some("2025-08-24T10:30:00Z".into()))
        );
        assert_eq!(
            time_field(&v, "n"),
            Some(Some("2025-08-24T10:30:00Z".into()))
        );
        assert_eq!(time_field(&v, "bad"), None);
        assert_eq!(models_of(&v, "m"), Some(None));
        assert_eq!(models_of(&v, "m2"), Some(Some(vec!["x".into()])));
        let w = json!({"s": null, "b": true, "f": false, "n": null, "e": "", "m": null, "x": 3});
        assert_eq!(text_field(&w, "s"), Some(None));
        assert_eq!(text_field(&w, "x"), None);
        assert_eq!(bool_field(&w, "b"), Some(Some(true)));
        assert_eq!(bool_field(&w, "f"), Some(Some(false)));
        assert_eq!(bool_field(&w, "n"), Some(None));
        assert_eq!(bool_field(&w, "x"), None);
        assert_eq!(time_field(&w, "e"), Some(None));
        assert_eq!(time_field(&w, "n"), Some(None));
        assert_eq!(models_of(&w, "m"), Some(None));
        assert_eq!(models_of(&w, "x"), None);
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
        assert_eq!(money_field(&json!({"u": -0.5}), "u"), None);
        assert_eq!(
            money_field(&json!({"u": "9.50"}), "u"),
            Some(Some(d("9.5")))
        );
        // Odd values are not known (`None`), never "none" (`Some(None)`): a successor or an
        // update answer built on them is refused, not given no cap.
        for odd in ["1e400", "\"abc\"", "-5", "true", "{}", "[]"] {
            let v: Value = serde_json::from_str(&format!(r#"{{"limit": {odd}}}"#)).unwrap();
            assert_eq!(money_field(&v, "limit"), None, "{odd}");
        }
        let v = json!({"m3": ["a", 1]});
        assert_eq!(models_of(&v, "m3"), None);
        let cap = Some(Some(d("10")));
        assert_eq!(
            remaining_or(Some(Some(d("-2.5"))), &cap, &None),
            Some(Some(Decimal::ZERO))
        );
        assert_eq!(
            remaining_or(None, &cap, &Some(Some(d("4")))),
            Some(Some(d("6")))
        );
        assert_eq!(
            remaining_or(Some(Some(d("3"))), &Some(None), &None),
            Some(None)
        );
    }
}
