//! Declared keys against one scope's listing: matched by exact name, each declared field
//! compared with the key's (amounts by value, models as a set, expiry moments as instants),
//! and each difference sorted into an update (the provider changes it in place) or a
//! replacement (it cannot). A name two keys share at the provider is refused: no guess.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Action, Drift, KeyPlan, Pending};
use crate::error::{Error, Result};
use crate::journal::{self, Reconciled, Verdict};
use crate::key::{Key, Known};
use crate::keyfile::{
    DeclaredKey, Field, Holds, Scope, Settings, setting_values, updates_in_place,
};
use crate::newkey::NewKey;
use crate::patch::{Change, ExpirySpec, Patch};
use crate::provider::ProviderKind;
use crate::text::sanitize;

/// The plan for one scope: one [`KeyPlan`] per declared key (in the file's order), then one
/// per key at the provider that the file does not name (in the listing's order). `pending`:
/// the create journal's entries (a declared key found by a pending entry's name is marked to
/// adopt). Two keys at the provider with a declared name is exit 2 for the scope.
pub fn diff(
    scope: &Scope,
    p: ProviderKind,
    declared: &[&DeclaredKey],
    current: &[Key],
    pending: &[Pending],
    now: DateTime<Utc>,
) -> Result<Vec<KeyPlan>> {
    plan_scope(scope, p, declared, current, pending, &[], now)
}

/// [`diff`] with the create journal's pending entries of the scope's account and what its
/// listing says of each (`journal::reconcile`): a declared key whose lost create made it is
/// marked to adopt (never planned as a second create); a declared name the journal's entry
/// finds on two or more keys is exit 2 for that key, each id named, never guessed between
/// (the other keys are planned); an entry whose create was not made changes nothing.
pub fn diff_journalled(
    scope: &Scope,
    p: ProviderKind,
    declared: &[&DeclaredKey],
    current: &[Key],
    found: &[Reconciled],
    now: DateTime<Utc>,
) -> Result<Vec<KeyPlan>> {
    let mut pending = Vec::new();
    let mut ambiguous = Vec::new();
    for r in found {
        match &r.verdict {
            Verdict::Adopted(k) => {
                if let Some(name) = k.name.value().cloned() {
                    pending.push(Pending {
                        scope: scope.clone(),
                        name,
                        run: r.entry.run.clone(),
                    });
                }
            }
            Verdict::Ambiguous(ids) => ambiguous.push((
                r.entry.name.clone(),
                journal::ambiguous_message(&r.entry, ids),
            )),
            Verdict::NotMade => {}
        }
    }
    plan_scope(scope, p, declared, current, &pending, &ambiguous, now)
}

/// `ambiguous`: (the journal's stored name, the message) of each entry two or more keys
/// answer to.
fn plan_scope(
    scope: &Scope,
    p: ProviderKind,
    declared: &[&DeclaredKey],
    current: &[Key],
    pending: &[Pending],
    ambiguous: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<Vec<KeyPlan>> {
    let ambiguous_for = |d: &DeclaredKey| -> Option<&str> {
        if ambiguous.is_empty() {
            return None;
        }
        let stored = journal::stored_name(&d.name);
        ambiguous
            .iter()
            .find(|(n, _)| *n == stored)
            .map(|(_, m)| m.as_str())
    };
    let mut by_name: HashMap<&str, Vec<&Key>> = HashMap::with_capacity(current.len());
    for k in current {
        if let Known::Value(n) = &k.name {
            by_name.entry(n.as_str()).or_default().push(k);
        }
    }
    let shared: Vec<String> = declared
        .iter()
        .filter(|d| ambiguous_for(d).is_none())
        .filter_map(|d| {
            let keys = by_name.get(d.name.as_str())?;
            (keys.len() > 1).then(|| {
                let ids: Vec<String> = keys.iter().map(|k| sanitize(&k.id)).collect();
                format!("'{}' ({})", sanitize(&d.name), ids.join(", "))
            })
        })
        .collect();
    if !shared.is_empty() {
        return Err(Error::usage(format!(
            "{} has more than one key named {}; a name is a key's identity, so none of this \
             scope was planned: rename or revoke all but one (`keyctl update {} ID --name NEW`)",
            p.info().name,
            shared.join("; "),
            scope.selector(p)
        )));
    }
    let holds = Holds::new(p, now);
    let mut out = Vec::with_capacity(declared.len() + current.len());
    for d in declared {
        if let Some(message) = ambiguous_for(d) {
            out.push(KeyPlan {
                name: Some(d.name.clone()),
                line: Some(d.line),
                action: Action::Invalid {
                    id: None,
                    error: Error::usage(format!("{}: {message}", scope.describe())),
                },
                drift: Vec::new(),
                adopt: None,
            });
            continue;
        }
        let found = by_name
            .get(d.name.as_str())
            .and_then(|v| v.first().copied());
        let adopt = found.and_then(|_| {
            pending
                .iter()
                .find(|e| e.scope == *scope && e.name == d.name)
                .cloned()
        });
        let (action, drift) = match found {
            None => create(d, now),
            Some(k) => existing(&holds, d, k, now),
        };
        out.push(KeyPlan {
            name: Some(d.name.clone()),
            line: Some(d.line),
            action,
            drift,
            adopt,
        });
    }
    let named: std::collections::HashSet<&str> = declared.iter().map(|d| d.name.as_str()).collect();
    for k in current {
        let name = k.name.value().cloned();
        if name.as_deref().is_some_and(|n| named.contains(n)) {
            continue;
        }
        out.push(KeyPlan {
            name,
            line: None,
            action: Action::Unmanaged { id: k.id.clone() },
            drift: Vec::new(),
            adopt: None,
        });
    }
    Ok(out)
}

/// The declared settings with a duration of `expires` resolved to a moment from `now`.
fn resolved(s: &Settings, now: DateTime<Utc>) -> Settings {
    let mut s = s.clone();
    if let Some(f) = &mut s.expires
        && let ExpirySpec::In(_) = f.value
        && let Ok(Change::Set(at)) = f.value.resolve(now)
    {
        f.value = ExpirySpec::At(at);
    }
    s
}

fn values(s: &Settings) -> HashMap<&'static str, Value> {
    setting_values(s).into_iter().collect()
}

/// A key the provider does not have: its create, and each declared setting as drift from
/// nothing.
fn create(d: &DeclaredKey, now: DateTime<Utc>) -> (Action, Vec<Drift>) {
    let to = resolved(&d.settings, now);
    let drift = setting_values(&to)
        .into_iter()
        .map(|(field, v)| Drift {
            field,
            from: None,
            to: v,
        })
        .collect();
    match d.new_key(now) {
        Ok((new, then)) => (
            Action::Create {
                new,
                then,
                sink: d.sink.clone(),
            },
            drift,
        ),
        Err(error) => (Action::Invalid { id: None, error }, drift),
    }
}

/// Whether the declared field `name` already holds on the key read (`c`: its settings in the
/// file's terms). A duration of `expires` holds for any key that expires (it sets the expiry
/// of a key made or given one; it is not a moment to hold a key to).
fn already(name: &str, d: &Settings, c: &Settings) -> bool {
    fn eq<T: PartialEq>(a: &Option<Field<T>>, b: &Option<Field<T>>) -> bool {
        matches!((a, b), (Some(a), Some(b)) if a.value == b.value)
    }
    let amount = |a: &Option<Field<Option<crate::patch::Amount>>>,
                  b: &Option<Field<Option<crate::patch::Amount>>>| {
        matches!((a, b), (Some(a), Some(b))
            if a.value.as_ref().map(|x| x.value()) == b.value.as_ref().map(|x| x.value()))
    };
    match name {
        "limit" => amount(&d.limit, &c.limit),
        "limit_diem" => amount(&d.limit_diem, &c.limit_diem),
        "limit_vcu" => amount(&d.limit_vcu, &c.limit_vcu),
        "reset" => eq(&d.reset, &c.reset),
        "disabled" => eq(&d.disabled, &c.disabled),
        "include_byok_in_limit" => eq(&d.include_byok_in_limit, &c.include_byok_in_limit),
        "privacy" => eq(&d.privacy, &c.privacy),
        "type" => eq(&d.kind, &c.kind),
        "models" => match (&d.models, &c.models) {
            (Some(a), Some(b)) => {
                let set = |m: &Option<Vec<String>>| {
                    m.as_ref().map(|m| {
                        let mut v = m.clone();
                        v.sort();
                        v.dedup();
                        v
                    })
                };
                set(&a.value) == set(&b.value)
            }
            _ => false,
        },
        "expires" => match (&d.expires, &c.expires) {
            (Some(a), Some(b)) => match (&a.value, &b.value) {
                (ExpirySpec::Never, ExpirySpec::Never) => true,
                (ExpirySpec::At(x), ExpirySpec::At(y)) => x == y,
                (ExpirySpec::In(_), ExpirySpec::At(_)) => true,
                _ => false,
            },
            _ => false,
        },
        _ => true,
    }
}

/// A declared key the provider has: unchanged, an update of the fields it changes in place,
/// or a replacement when one it cannot change differs.
fn existing(holds: &Holds, d: &DeclaredKey, k: &Key, now: DateTime<Utc>) -> (Action, Vec<Drift>) {
    let p = holds.provider();
    let id = k.id.clone();
    let cur = Settings::of_key_with(holds, k);
    let to = resolved(&d.settings, now);
    let (from_v, to_v) = (values(&cur), values(&to));
    let mut drift = Vec::new();
    let mut in_place = Settings::default();
    let mut replace: Vec<&'static str> = Vec::new();
    for (field, _) in d.settings.fields() {
        if already(field, &d.settings, &cur) {
            continue;
        }
        let Some(to_value) = to_v.get(field).cloned() else {
            continue;
        };
        drift.push(Drift {
            field,
            from: from_v.get(field).cloned(),
            to: to_value,
        });
        if let Some(Field {
            value: ExpirySpec::At(at),
            ..
        }) = &d.settings.expires
            && field == "expires"
            && *at <= now
        {
            let error = Error::usage(format!(
                "{}: expires {} is in the past and the key's expiry differs; give a future \
                 moment, a duration such as 30d, or \"never\"",
                sanitize(&d.name),
                crate::patch::rfc3339(at)
            ));
            return (
                Action::Invalid {
                    id: Some(id),
                    error,
                },
                drift,
            );
        }
        let one = to.only(field);
        let changes_in_place = field != "type"
            && one
                .patch(now)
                .is_ok_and(|patch| updates_in_place(p, &patch));
        if changes_in_place {
            merge(&mut in_place, &one);
        } else {
            replace.push(field);
        }
    }
    if !replace.is_empty() {
        return match successor(p, d, k, now) {
            Ok((new, then)) => (
                Action::Replace {
                    id,
                    fields: replace,
                    new,
                    then,
                    sink: d.sink.clone(),
                },
                drift,
            ),
            Err(error) => (
                Action::Invalid {
                    id: Some(id),
                    error,
                },
                drift,
            ),
        };
    }
    if drift.is_empty() {
        return (Action::Unchanged { id }, drift);
    }
    match in_place.patch(now) {
        Ok(patch) => (Action::Update { id, patch }, drift),
        Err(error) => (
            Action::Invalid {
                id: Some(id),
                error,
            },
            drift,
        ),
    }
}

/// Copies each field `one` sets into `into`.
fn merge(into: &mut Settings, one: &Settings) {
    for (field, _) in one.fields() {
        let o = one.only(field);
        macro_rules! take {
            ($($f:ident),*) => {$( if o.$f.is_some() { into.$f = o.$f.clone(); } )*};
        }
        take!(
            limit,
            limit_diem,
            limit_vcu,
            reset,
            expires,
            models,
            disabled,
            include_byok_in_limit,
            privacy,
            kind
        );
    }
}

/// The successor that replaces `k`: the declared settings over the old key's (as `rotate`
/// builds one), then `disabled = true` when declared, or when the old key is disabled and the
/// file does not say.
fn successor(
    p: ProviderKind,
    d: &DeclaredKey,
    k: &Key,
    now: DateTime<Utc>,
) -> Result<(NewKey, Patch)> {
    let (declared, mut then) = d.new_key(now)?;
    let base = crate::provider::BaseUrl::parse(p.info().base_url)?;
    let builds = |n: &NewKey| p.build_create(&base, n).is_ok();
    let kind = declared.kind.or_else(|| p.adapter().key_type(k));
    // A successor is created enabled; a disabled key's (declared so, or left as it is) is
    // disabled right after, by `then`.
    let mut old = k.clone();
    if old.disabled == Known::Value(true) {
        old.disabled = Known::Value(false);
        if d.settings.disabled.is_none() {
            then.disabled = Some(true);
        }
    }
    let new = NewKey::successor(
        p.info().name,
        &old,
        d.name.clone(),
        kind,
        &declared.settings,
        now,
        &builds,
    )?;
    Ok((new, then))
}
