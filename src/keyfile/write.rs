//! Keys read from a provider as a key file (`keyctl export`): each key's settings in the file's
//! terms ([`Settings::of_key`], which `plan` compares with too), written as TOML or as one
//! JSON document; only the fields its provider holds, so export then plan is "no changes".

use chrono::{DateTime, Utc};
use clap::ValueEnum;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::probe::{Holds, set_fields};
use super::{Field, Scope, Settings};
use crate::key::{Key, Known};
use crate::patch::{Amount, ExpirySpec, Privacy};
use crate::provider::ProviderKind;

/// One key as the file declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportKey {
    pub scope: Scope,
    pub provider: ProviderKind,
    pub name: String,
    pub settings: Settings,
}

/// The keys of an export, in the order written.
pub type Document = Vec<ExportKey>;

fn at<T>(value: T) -> Option<Field<T>> {
    Some(Field { value, line: 0 })
}

fn cap(k: &Known<Decimal>) -> Option<Field<Option<Amount>>> {
    match k {
        Known::Unknown => None,
        Known::Null => at(None),
        Known::Value(d) => Amount::new(*d).and_then(|a| at(Some(a))),
    }
}

impl Settings {
    /// A key's settings as read, in the file's terms: each field known and readable, and one
    /// its provider holds (`None` for the others). Lines are 0.
    pub fn of_key(p: ProviderKind, key: &Key, now: DateTime<Utc>) -> Settings {
        Settings::of_key_with(&Holds::new(p, now), key)
    }

    /// [`Settings::of_key`] with the provider's checks kept across keys.
    pub fn of_key_with(holds: &Holds, key: &Key) -> Settings {
        let p = holds.provider();
        let limits = key.limits.clone().into_value();
        let s = Settings {
            limit: cap(&key.limit),
            limit_diem: limits.as_ref().and_then(|l| cap(&l.diem)),
            limit_vcu: limits.as_ref().and_then(|l| cap(&l.vcu)),
            reset: key.reset.into_value().and_then(at),
            expires: match &key.expires {
                Known::Unknown => None,
                Known::Null => at(ExpirySpec::Never),
                Known::Value(t) => chrono::DateTime::parse_from_rfc3339(t.trim())
                    .ok()
                    .and_then(|d| at(ExpirySpec::At(d.with_timezone(&Utc)))),
            },
            models: match &key.models {
                Known::Unknown => None,
                Known::Null => at(None),
                Known::Value(m) if m.is_empty() => at(None),
                Known::Value(m) => at(Some(m.clone())),
            },
            disabled: key.disabled.into_value().and_then(at),
            include_byok_in_limit: key.include_byok_in_limit.into_value().and_then(at),
            privacy: key
                .privacy
                .value()
                .and_then(|s| Privacy::from_str(s, true).ok())
                .and_then(at),
            kind: p.adapter().key_type(key).and_then(at),
        };
        let mut kept = Settings::default();
        for (name, _) in set_fields(&s) {
            if holds.field_of(&s, name).is_ok() {
                copy(&mut kept, &s, name);
            }
        }
        kept
    }
}

fn copy(to: &mut Settings, from: &Settings, name: &str) {
    match name {
        "limit" => to.limit = from.limit.clone(),
        "limit_diem" => to.limit_diem = from.limit_diem.clone(),
        "limit_vcu" => to.limit_vcu = from.limit_vcu.clone(),
        "reset" => to.reset = from.reset.clone(),
        "expires" => to.expires = from.expires.clone(),
        "models" => to.models = from.models.clone(),
        "disabled" => to.disabled = from.disabled.clone(),
        "include_byok_in_limit" => to.include_byok_in_limit = from.include_byok_in_limit.clone(),
        "privacy" => to.privacy = from.privacy.clone(),
        "type" => to.kind = from.kind.clone(),
        _ => {}
    }
}

/// The settings as (file name, JSON value) pairs, in the file's order: amounts as numbers
/// with their digits, `"none"` for no cap, `"never"`, `"all"`.
pub fn setting_values(s: &Settings) -> Vec<(&'static str, Value)> {
    let amount = |f: &Option<Field<Option<Amount>>>| {
        f.as_ref().map(|f| match &f.value {
            None => json!("none"),
            Some(a) => a.to_json(),
        })
    };
    [
        ("limit", amount(&s.limit)),
        ("limit_diem", amount(&s.limit_diem)),
        ("limit_vcu", amount(&s.limit_vcu)),
        ("reset", s.reset.as_ref().map(|f| json!(f.value.as_str()))),
        (
            "expires",
            s.expires.as_ref().map(|f| match &f.value {
                ExpirySpec::Never => json!("never"),
                ExpirySpec::At(at) => json!(crate::patch::rfc3339(at)),
                ExpirySpec::In(d) => json!(humantime::format_duration(*d).to_string()),
            }),
        ),
        (
            "models",
            s.models.as_ref().map(|f| match &f.value {
                None => json!("all"),
                Some(m) => json!(m),
            }),
        ),
        ("disabled", s.disabled.as_ref().map(|f| json!(f.value))),
        (
            "include_byok_in_limit",
            s.include_byok_in_limit.as_ref().map(|f| json!(f.value)),
        ),
        (
            "privacy",
            s.privacy.as_ref().map(|f| json!(f.value.as_str())),
        ),
        ("type", s.kind.as_ref().map(|f| json!(f.value.as_str()))),
    ]
    .into_iter()
    .filter_map(|(n, v)| v.map(|v| (n, v)))
    .collect()
}

fn scope_pair(s: &Scope) -> (&'static str, &str) {
    match s {
        Scope::Profile(n) => ("profile", n),
        Scope::Provider(p) => ("provider", p),
    }
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_value(v: &Value) -> String {
    match v {
        Value::String(s) => toml_string(s),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// The keys as a key file: a `[[key]]` table each, its scope and name first.
pub fn write_toml(keys: &[ExportKey]) -> String {
    let mut out = String::new();
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("[[key]]\n");
        let (which, scope) = scope_pair(&k.scope);
        out.push_str(&format!("{which} = {}\n", toml_string(scope)));
        out.push_str(&format!("name = {}\n", toml_string(&k.name)));
        for (n, v) in setting_values(&k.settings) {
            let unit = if n == "limit" && k.provider.info().unit == crate::key::Unit::Credits {
                "  # io.net credits"
            } else {
                ""
            };
            out.push_str(&format!("{n} = {}{unit}\n", toml_value(&v)));
        }
    }
    out
}

/// The keys as one JSON document: `{"key": [{...}, ...]}`, the same fields as the TOML.
pub fn write_json(keys: &[ExportKey]) -> Value {
    let list: Vec<Value> = keys
        .iter()
        .map(|k| {
            let mut o = Map::new();
            let (which, scope) = scope_pair(&k.scope);
            o.insert(which.into(), json!(scope));
            o.insert("name".into(), json!(k.name));
            for (n, v) in setting_values(&k.settings) {
                o.insert(n.into(), v);
            }
            Value::Object(o)
        })
        .collect();
    json!({ "key": list })
}
