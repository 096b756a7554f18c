//! What `keyctl create` and `keyctl rotate` ask a provider for: a new key's name, type and
//! settings, and a rotated key's successor built from the old key's settings (pure).

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::error::{Error, Result};
use crate::key::Key;
use crate::patch::{Amount, Change, KeyType, Patch, Privacy, Reset};
use serde_json::Value;

/// A key to create: its name, its type (Venice; `None` is the provider's default) and the
/// settings flags (`disabled` is never set: a key is created enabled).
#[derive(Debug, Clone, PartialEq)]
pub struct NewKey {
    pub name: String,
    pub kind: Option<KeyType>,
    pub settings: Patch,
}

impl NewKey {
    /// The successor of `old` on the provider named `provider`: the same limit (and Venice
    /// currencies), reset, models, BYOK setting and privacy, and the same expiry policy: a key
    /// with no expiry gets none, and a key that lives a set time (its expiry minus its creation)
    /// gets that time from now, so a chain of rotations does not die on the first key's date
    /// (when the creation time is not known, the same expiry moment). Then `over` (the flags
    /// given) on top. An old key that has already expired, with no creation time to measure its
    /// life, is refused (exit 2).
    ///
    /// Built only from settings read in full: each setting the provider's create can carry
    /// (`builds`: whether its create builds a given new key) and that no flag in `over` gives,
    /// is either read as a valid value or there is no successor (exit 7, naming the field and
    /// the flag that would give it), so a successor never silently lacks a cap, an expiry, an
    /// allow-list or a privacy setting its old key has. Per-currency caps (Venice) are read by
    /// [`caps`], the reading `update` keeps them with.
    pub fn successor(
        provider: &'static str,
        old: &Key,
        name: String,
        kind: Option<KeyType>,
        over: &Patch,
        now: DateTime<Utc>,
        builds: &dyn Fn(&NewKey) -> bool,
    ) -> Result<NewKey> {
        let carries = Carries::of(builds, now);
        // A successor is created enabled: from a disabled old key it would allow what the old
        // key does not.
        if carries.disabled && old.disabled == Some(Some(true)) {
            return Err(Error::usage(format!(
                "the old key is disabled: its successor would be created enabled, allowing what \
                 the old key does not, so nothing was created and the old key was left as it \
                 is. Enable it first with `keyctl update -p {p} {id} --enable` if a working \
                 successor is wanted, or make a new key with `keyctl create`",
                p = crate::text::sanitize(old.provider),
                id = crate::text::sanitize(&old.id)
            )));
        }
        let inherited = inherit(provider, &carries, old, over, now)?;
        if carries.disabled && old.disabled != Some(Some(false)) {
            return Err(Error::Provider {
                provider,
                status: None,
                message: format!(
                    "the old key's disabled could not be read: {}. Its successor would be \
                     created enabled and could allow what the old key does not, so nothing was \
                     created and the old key was left as it is. Check the key with `keyctl get \
                     -p {p} {id}`; enable it with `keyctl update -p {p} {id} --enable` if a \
                     working successor is wanted, or make a new key with `keyctl create`",
                    as_read(old, "disabled"),
                    p = crate::text::sanitize(old.provider),
                    id = crate::text::sanitize(&old.id)
                ),
            });
        }
        Ok(NewKey {
            name,
            kind,
            settings: inherited.overlay(over),
        })
    }
}

/// The settings a provider's create can carry: each is one a create with that setting alone
/// builds.
struct Carries {
    limit: bool,
    /// Per-currency caps (`limits.diem`, `limits.vcu`: Venice).
    currencies: bool,
    reset: bool,
    expires: bool,
    models: bool,
    byok: bool,
    privacy: bool,
    /// The enabled state (OpenRouter-style providers; a successor is created enabled).
    disabled: bool,
}

impl Carries {
    fn of(builds: &dyn Fn(&NewKey) -> bool, now: DateTime<Utc>) -> Carries {
        let builds = |settings: Patch| {
            builds(&NewKey {
                name: "successor".into(),
                kind: None,
                settings,
            })
        };
        let tomorrow = now
            .checked_add_signed(chrono::Duration::days(1))
            .unwrap_or(now);
        Carries {
            limit: builds(Patch {
                limit: Change::Set(Amount::zero()),
                ..Patch::default()
            }),
            currencies: builds(Patch {
                limit_diem: Change::Set(Amount::zero()),
                ..Patch::default()
            }),
            reset: builds(Patch {
                reset: Some(Reset::Monthly),
                ..Patch::default()
            }),
            expires: builds(Patch {
                expires: Change::Set(tomorrow),
                ..Patch::default()
            }),
            models: builds(Patch {
                models: Change::Set(vec!["model".into()]),
                ..Patch::default()
            }),
            byok: builds(Patch {
                include_byok_in_limit: Some(true),
                ..Patch::default()
            }),
            privacy: builds(Patch {
                privacy: Some(Privacy::All),
                ..Patch::default()
            }),
            disabled: builds(Patch {
                disabled: Some(false),
                ..Patch::default()
            }),
        }
    }
}

/// One currency of a key's `consumptionLimits`, read strictly: `Ok(None)` when the object
/// lacks it, `Ok(Some(Change::Clear))` for `null` (no cap), `Ok(Some(Change::Set(a)))` for a
/// number >= 0; `Err` says what it is instead (a string, a negative or out-of-range number, ...).
pub type Cap = std::result::Result<Option<Change<Amount>>, String>;

/// The currencies of `consumptionLimit`, in the order of the patch's fields (`limit` is usd).
pub const CURRENCIES: [&str; 3] = ["usd", "diem", "vcu"];

/// A key's caps as read from its `consumptionLimits` (`consumptionLimit` in some answers),
/// strictly: the one reading that `update` (to send the currencies it does not change as they
/// are) and `rotate` (to copy them to a successor) share. `consumptionLimits: null` is no cap in
/// any currency. `Err`: the object is absent or not an object (what it is instead), or the
/// answer has both spellings and they do not read the same (neither is taken over the other:
/// `{}` beside `{"usd": 50}` could otherwise drop the cap).
pub fn caps(key: &Key) -> std::result::Result<[(&'static str, Cap); 3], String> {
    match (
        key.raw.get("consumptionLimits"),
        key.raw.get("consumptionLimit"),
    ) {
        (Some(a), Some(b)) => {
            let read = caps_of(a);
            if read == caps_of(b) {
                read
            } else {
                Err(format!(
                    "the key shows both consumptionLimits, {}, and consumptionLimit, {}, and \
                     they disagree",
                    crate::text::describe(a),
                    crate::text::describe(b)
                ))
            }
        }
        (Some(one), None) | (None, Some(one)) => caps_of(one),
        (None, None) => Err("the key has no consumptionLimits".into()),
    }
}

/// The caps of one `consumptionLimits` value (see [`caps`]).
fn caps_of(read: &Value) -> std::result::Result<[(&'static str, Cap); 3], String> {
    let limits = match read {
        Value::Object(o) => o,
        Value::Null => return Ok(CURRENCIES.map(|c| (c, Ok(Some(Change::Clear))))),
        other => {
            return Err(format!(
                "the key's consumptionLimits is {}, not an object",
                crate::text::describe(other)
            ));
        }
    };
    Ok(CURRENCIES.map(|name| {
        let cap = match limits.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(Change::Clear)),
            Some(Value::Number(n)) => Amount::from_number(n)
                .map(|a| Some(Change::Set(a)))
                .ok_or_else(|| {
                    format!(
                        "consumptionLimits.{name} is {}, not a number >= 0 or null",
                        crate::text::truncate(&n.to_string(), 40)
                    )
                }),
            Some(other) => Err(format!(
                "consumptionLimits.{name} is {}, not a number >= 0 or null",
                crate::text::describe(other)
            )),
        };
        (name, cap)
    }))
}

/// The refusal of a successor whose `field` could not be read (`what`: as read); `flag` gives
/// it instead.
fn unreadable(provider: &'static str, old: &Key, field: &str, what: &str, flag: &str) -> Error {
    Error::Provider {
        provider,
        status: None,
        message: format!(
            "the old key's {field} could not be read: {what}. A successor cannot copy it, so \
             nothing was created and the old key was left as it is. Give the successor's \
             {field} with {flag} (the flag's value is used instead), or check the key with \
             `keyctl get -p {} {}`",
            crate::text::sanitize(old.provider),
            crate::text::sanitize(&old.id)
        ),
    }
}

/// What the old key's answer shows for the key-model `field`, under the provider's own name
/// for it (the names each API uses), for a message; or why it is in doubt, when the provider's
/// answers disagree about it ([`Key::conflicts`]).
fn as_read(old: &Key, field: &str) -> String {
    if let Some(why) = old.conflict(field) {
        return why.to_string();
    }
    let names: &[&str] = match field {
        "limit" => &["limit", "credit_limit"],
        "reset" => &["limit_reset", "credit_refresh_cycle", "limitPeriod"],
        "expires" => &["expires_at", "expiresAt"],
        "created" => &["created_at", "createdAt"],
        "models" => &["allowed_models"],
        "privacy" => &["modelPrivacy"],
        _ => &[],
    };
    let shown = names.iter().chain([&field]).find_map(|n| {
        let v = old.raw.get(*n)?;
        Some(format!("{n} is {}", crate::text::describe(v)))
    });
    shown.unwrap_or_else(|| "the key as read does not have it".into())
}

/// The settings the successor copies from `old`: each one `p`'s create carries and `over`
/// leaves out, read in full or refused (see [`NewKey::successor`]).
fn inherit(
    provider: &'static str,
    carries: &Carries,
    old: &Key,
    over: &Patch,
    now: DateTime<Utc>,
) -> Result<Patch> {
    let refuse =
        |field: &str, flag: &str| unreadable(provider, old, field, &as_read(old, field), flag);
    let mut s = Patch::default();
    if carries.currencies {
        // Each currency a flag leaves out, from the same strict reading `update` uses: a
        // currency the object leaves out has no cap set and is left out (not sent).
        let given = [&over.limit, &over.limit_diem, &over.limit_vcu];
        if given.iter().any(|g| g.is_keep()) {
            let all = "--limit, --limit-diem and --limit-vcu (`none` for no cap)";
            let caps = caps(old).map_err(|what| unreadable(provider, old, "limits", &what, all))?;
            let mine = [&mut s.limit, &mut s.limit_diem, &mut s.limit_vcu];
            for (((name, cap), given), mine) in caps.into_iter().zip(given).zip(mine) {
                if !given.is_keep() {
                    continue;
                }
                *mine = match cap {
                    Ok(c) => c.unwrap_or(Change::Keep),
                    Err(what) => {
                        let flag = match name {
                            "usd" => "--limit N (or --limit none)".to_string(),
                            c => format!("--limit-{c} N (or --limit-{c} none)"),
                        };
                        return Err(unreadable(
                            provider,
                            old,
                            &format!("limits.{name}"),
                            &what,
                            &flag,
                        ));
                    }
                };
            }
        }
    } else if carries.limit && over.limit.is_keep() {
        s.limit = match old.limit.map(|l| l.map(Amount::new)) {
            Some(Some(Some(a))) => Change::Set(a),
            Some(None) => Change::Clear,
            _ => return Err(refuse("limit", "--limit N (or --limit none)")),
        };
    }
    if carries.reset && over.reset.is_none() {
        s.reset = match old.reset {
            Some(r) => r,
            None => return Err(refuse("reset", "--reset")),
        };
    }
    if carries.expires && over.expires.is_keep() {
        s.expires = expiry(provider, old, now)?;
    }
    if carries.models && over.models.is_keep() {
        // Every provider's default is every model: only a real allow-list is sent.
        // (`models_of` reads an empty list as every model: `Some(None)`.)
        s.models = match &old.models {
            Some(Some(m)) => Change::Set(m.clone()),
            Some(None) => Change::Keep,
            None => return Err(refuse("models", "--models LIST (or --models all)")),
        };
    }
    if carries.byok && over.include_byok_in_limit.is_none() {
        s.include_byok_in_limit = match old.include_byok_in_limit {
            Some(b) => b,
            None => {
                return Err(refuse(
                    "include_byok_in_limit",
                    "--include-byok-in-limit true|false",
                ));
            }
        };
    }
    if carries.privacy && over.privacy.is_none() {
        let flag = "--privacy all|private-text|private-only";
        s.privacy = match &old.privacy {
            Some(Some(w)) => match <Privacy as clap::ValueEnum>::from_str(w, true) {
                Ok(p) => Some(p),
                Err(_) => return Err(refuse("privacy", flag)),
            },
            Some(None) => None,
            None => return Err(refuse("privacy", flag)),
        };
    }
    Ok(s)
}

/// The successor's expiry, by the old key's expiry policy (see [`NewKey::successor`]); one
/// that cannot be read, or that would fall after the year 9999, is refused (exit 7).
fn expiry(provider: &'static str, old: &Key, now: DateTime<Utc>) -> Result<Change<DateTime<Utc>>> {
    let flag = "--expires WHEN (a date, a duration such as 90d, or never)";
    let at = match &old.expires {
        Some(Some(at)) => at,
        Some(None) => return Ok(Change::Clear),
        None => {
            return Err(unreadable(
                provider,
                old,
                "expires",
                &as_read(old, "expires"),
                flag,
            ));
        }
    };
    let at = DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            let what = format!("'{}' is not a timestamp", crate::text::truncate(at, 40));
            unreadable(provider, old, "expires", &what, flag)
        })?;
    // The creation time measures the key's life: one the answer shows but that cannot be
    // read is refused (taken as absent, the successor would get the old key's very moment);
    // one the answer does not show (or shows as null) falls back to that moment.
    let shown = ["created_at", "createdAt"]
        .iter()
        .find_map(|n| old.raw.get(*n))
        .filter(|v| !v.is_null() && v.as_str() != Some(""));
    let unread_creation = |what: &str| Error::Provider {
        provider,
        status: None,
        message: format!(
            "the old key's created_at could not be read: {what}. The successor's expiry is the \
             old key's life (expiry minus creation) from now, which cannot be measured, so \
             nothing was created and the old key was left as it is. Give the successor's \
             expiry with {flag}, or check the key with `keyctl get -p {} {}`",
            crate::text::sanitize(old.provider),
            crate::text::sanitize(&old.id)
        ),
    };
    let created = match &old.created {
        Some(Some(c)) => match DateTime::parse_from_rfc3339(c) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                let what = format!("'{}' is not a timestamp", crate::text::truncate(c, 40));
                return Err(unread_creation(&what));
            }
        },
        Some(None) => None,
        None if shown.is_none() && old.conflict("created").is_none() => None,
        None => return Err(unread_creation(&as_read(old, "created"))),
    };
    let lifetime = created
        .map(|c| at - c)
        .filter(|l| *l > chrono::Duration::zero());
    let next = match lifetime {
        Some(l) => {
            use chrono::Timelike;
            let next = now.checked_add_signed(l).filter(|n| n.year() <= 9999);
            let Some(next) = next else {
                return Err(Error::Provider {
                    provider,
                    status: None,
                    message: format!(
                        "the old key's expires policy cannot be copied: the key lives {} days \
                         (from its creation to its expiry), and that long from now is after the \
                         year 9999, which RFC 3339 cannot write; nothing was created and the old \
                         key was left as it is. Give the successor's expires with {flag}",
                        l.num_days()
                    ),
                });
            };
            next.with_nanosecond(0).unwrap_or(next)
        }
        None if at <= now => {
            return Err(Error::usage(format!(
                "the old key expired at {}; a successor with the same expiry would be dead on \
                 arrival: give it one with --expires (or use keyctl create)",
                crate::patch::rfc3339(&at)
            )));
        }
        None => at,
    };
    if next.year() > 9999 {
        return Err(unreadable(
            provider,
            old,
            "expires",
            &format!("{} is after the year 9999", crate::patch::rfc3339(&next)),
            flag,
        ));
    }
    Ok(Change::Set(next))
}

impl Patch {
    /// This patch with every field `over` sets replaced by `over`'s.
    pub fn overlay(mut self, over: &Patch) -> Patch {
        let Patch {
            limit,
            reset,
            expires,
            models,
            name,
            disabled,
            include_byok_in_limit,
            limit_diem,
            limit_vcu,
            privacy,
        } = over.clone();
        fn pick<T>(mine: &mut Change<T>, theirs: Change<T>) {
            if !theirs.is_keep() {
                *mine = theirs;
            }
        }
        pick(&mut self.limit, limit);
        pick(&mut self.expires, expires);
        pick(&mut self.models, models);
        pick(&mut self.limit_diem, limit_diem);
        pick(&mut self.limit_vcu, limit_vcu);
        self.reset = reset.or(self.reset);
        self.name = name.or(self.name);
        self.disabled = disabled.or(self.disabled);
        self.include_byok_in_limit = include_byok_in_limit.or(self.include_byok_in_limit);
        self.privacy = privacy.or(self.privacy);
        self
    }
}

/// What `rotate` appends to a retired key's name: ` (rotated out YYYY-MM-DD)` (UTC date).
const ROTATED_OUT: &str = " (rotated out ";

/// `name` without a trailing ` (rotated out YYYY-MM-DD)`, and whether it had one (a real date,
/// the suffix whole, at the very end).
pub fn without_rotated_out(name: &str) -> (&str, bool) {
    match name.rfind(ROTATED_OUT) {
        Some(i) => {
            let date = &name[i + ROTATED_OUT.len()..];
            match date.strip_suffix(')') {
                Some(d) if d.len() == 10 && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() => {
                    (&name[..i], true)
                }
                _ => (name, false),
            }
        }
        None => (name, false),
    }
}

/// Whether `name` ends with the suffix `rotate` gives the key it retires (also in the form cut
/// to Venice's 64 characters, where the old name is cut and the suffix kept whole).
pub fn is_rotated_out(name: &str) -> bool {
    without_rotated_out(name).1
}

/// A successor's name: the old key's exact name, so scripts that select keys by name keep
/// finding it (an old name that is itself a retired key's, ` (rotated out DATE)`, loses that
/// suffix); `key` when the old key has no name.
pub fn successor_name(old: Option<&str>) -> String {
    let base = old.map_or("", |n| without_rotated_out(n).0);
    if base.trim().is_empty() {
        "key".to_string()
    } else {
        base.to_string()
    }
}

/// The name `rotate` gives the key it retires: the old name (without an earlier
/// ` (rotated out …)` suffix) plus ` (rotated out YYYY-MM-DD)`, the old name cut so the whole
/// fits in `max` characters when there is a cap (Venice: 64); the suffix is kept whole.
pub fn rotated_out_name(old: Option<&str>, today: NaiveDate, max: Option<usize>) -> String {
    let suffix = format!("{ROTATED_OUT}{})", today.format("%Y-%m-%d"));
    let base = successor_name(old);
    let base = base.trim_end();
    let base: String = match max {
        Some(max) => base
            .chars()
            .take(max.saturating_sub(suffix.chars().count()))
            .collect(),
        None => base.to_string(),
    };
    format!("{}{suffix}", base.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{Limits, Unit};
    use crate::patch::Reset;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    fn d(s: &str) -> rust_decimal::Decimal {
        s.parse().unwrap()
    }

    fn amount(s: &str) -> Change<Amount> {
        Change::Set(s.parse().unwrap())
    }

    fn at(s: &str) -> Change<DateTime<Utc>> {
        Change::Set(DateTime::parse_from_rfc3339(s).unwrap().to_utc())
    }

    /// The three API families, by what their create carries (as their adapters' builders
    /// accept or refuse each setting).
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Family {
        OpenRouter,
        Ionet,
        Venice,
    }

    fn builds(f: Family) -> impl Fn(&NewKey) -> bool {
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
    fn old(f: Family) -> Key {
        let base = Key {
            limit: Some(Some(d("50"))),
            reset: Some(Some(Reset::Monthly)),
            expires: Some(Some("2027-01-01T00:00:00Z".into())),
            models: Some(None),
            privacy: Some(None),
            include_byok_in_limit: Some(None),
            limits: Some(None),
            disabled: Some(None),
            ..Key::unread("x", "k", Unit::Usd)
        };
        match f {
            Family::OpenRouter => Key {
                include_byok_in_limit: Some(Some(true)),
                disabled: Some(Some(false)),
                ..base
            },
            Family::Ionet => Key {
                models: Some(Some(vec!["llama-3".into(), "qwen".into()])),
                ..base
            },
            Family::Venice => Key {
                privacy: Some(Some("private-only".into())),
                limits: Some(Some(Limits {
                    usd: Some(Some(d("50"))),
                    diem: Some(None),
                    vcu: Some(Some(d("2"))),
                })),
                raw: json!({"consumptionLimits": {"usd": 50, "diem": null, "vcu": 2}}),
                ..base
            },
        }
    }

    fn successor(f: Family, old: &Key, over: &Patch) -> Result<Patch> {
        NewKey::successor("P", old, "n".into(), None, over, now(), &builds(f)).map(|n| n.settings)
    }

    #[test]
    fn successor_copies_the_settings() {
        let none = Patch::default();
        let want = Patch {
            limit: amount("50"),
            reset: Some(Reset::Monthly),
            expires: at("2027-01-01T00:00:00Z"),
            ..Patch::default()
        };
        let s = successor(Family::OpenRouter, &old(Family::OpenRouter), &none);
        assert_eq!(
            s.unwrap(),
            Patch {
                include_byok_in_limit: Some(true),
                ..want.clone()
            }
        );
        let s = successor(Family::Venice, &old(Family::Venice), &none);
        assert_eq!(
            s.unwrap(),
            Patch {
                limit_diem: Change::Clear,
                limit_vcu: amount("2"),
                privacy: Some(Privacy::PrivateOnly),
                ..want.clone()
            }
        );
        let s = successor(Family::Ionet, &old(Family::Ionet), &none);
        assert_eq!(
            s.unwrap(),
            Patch {
                models: Change::Set(vec!["llama-3".into(), "qwen".into()]),
                ..want
            }
        );
        // Flags given override what is copied.
        let over = Patch {
            limit: amount("10"),
            reset: Some(Reset::Daily),
            expires: Change::Clear,
            ..Patch::default()
        };
        let s = successor(Family::Venice, &old(Family::Venice), &over).unwrap();
        assert_eq!(s.limit, amount("10"));
        assert_eq!(s.reset, Some(Reset::Daily));
        assert_eq!(s.expires, Change::Clear);
        assert_eq!(s.limit_vcu, amount("2"));
    }

    #[test]
    fn empty_settings_are_copied_as_empty() {
        // No cap, no expiry, every model: known to be none, so the successor has none either.
        let ionet = Key {
            limit: Some(None),
            expires: Some(None),
            models: Some(None),
            ..old(Family::Ionet)
        };
        let s = successor(Family::Ionet, &ionet, &Patch::default()).unwrap();
        assert_eq!(s.limit, Change::Clear);
        assert_eq!(s.expires, Change::Clear);
        assert_eq!(s.models, Change::Keep);
        // Venice: `consumptionLimits: null` is no cap in any currency; a currency the object
        // leaves out has no cap set and is left out of the successor.
        let venice = |raw| Key {
            raw,
            ..old(Family::Venice)
        };
        let s = successor(
            Family::Venice,
            &venice(json!({"consumptionLimits": null})),
            &Patch::default(),
        )
        .unwrap();
        assert_eq!(
            [s.limit, s.limit_diem, s.limit_vcu],
            [Change::Clear, Change::Clear, Change::Clear]
        );
        let s = successor(
            Family::Venice,
            &venice(json!({"consumptionLimit": {"usd": 50, "diem": null}})),
            &Patch::default(),
        )
        .unwrap();
        assert_eq!(
            [s.limit, s.limit_diem, s.limit_vcu],
            [amount("50"), Change::Clear, Change::Keep]
        );
    }

    /// A setting a successor copies that cannot be read, by family: the key with it, the
    /// field the message names, the flag it gives, and the patch of that flag.
    fn odd_cases() -> Vec<(Family, Key, &'static str, &'static str, Patch)> {
        let (g, i, v) = (Family::OpenRouter, Family::Ionet, Family::Venice);
        let give_limit = Patch {
            limit: amount("7"),
            ..Patch::default()
        };
        let give_expires = Patch {
            expires: Change::Clear,
            ..Patch::default()
        };
        let give_reset = Patch {
            reset: Some(Reset::Daily),
            ..Patch::default()
        };
        let mut cases = Vec::new();
        for f in [g, i] {
            cases.push((
                f,
                Key {
                    limit: None,
                    ..old(f)
                },
                "limit",
                "--limit",
                give_limit.clone(),
            ));
        }
        for f in [g, i, v] {
            cases.push((
                f,
                Key {
                    expires: None,
                    ..old(f)
                },
                "expires",
                "--expires",
                give_expires.clone(),
            ));
            cases.push((
                f,
                Key {
                    expires: Some(Some("soon".into())),
                    ..old(f)
                },
                "expires",
                "--expires",
                give_expires.clone(),
            ));
            cases.push((
                f,
                Key {
                    reset: None,
                    ..old(f)
                },
                "reset",
                "--reset",
                give_reset.clone(),
            ));
        }
        cases.push((
            g,
            Key {
                include_byok_in_limit: None,
                ..old(g)
            },
            "include_byok_in_limit",
            "--include-byok-in-limit",
            Patch {
                include_byok_in_limit: Some(false),
                ..Patch::default()
            },
        ));
        cases.push((
            i,
            Key {
                models: None,
                ..old(i)
            },
            "models",
            "--models",
            Patch {
                models: Change::Set(vec!["m".into()]),
                ..Patch::default()
            },
        ));
        let give_privacy = Patch {
            privacy: Some(Privacy::PrivateText),
            ..Patch::default()
        };
        for privacy in [None, Some(Some("secret-only".to_string()))] {
            cases.push((
                v,
                Key { privacy, ..old(v) },
                "privacy",
                "--privacy",
                give_privacy.clone(),
            ));
        }
        let every = Patch {
            limit: amount("7"),
            limit_diem: Change::Clear,
            limit_vcu: Change::Clear,
            ..Patch::default()
        };
        for raw in [json!({}), json!({"consumptionLimits": "50"})] {
            let key = Key { raw, ..old(v) };
            cases.push((v, key, "limits", "--limit-diem", every.clone()));
        }
        for (currency, flag, give) in [
            ("usd", "--limit", give_limit.clone()),
            (
                "diem",
                "--limit-diem",
                Patch {
                    limit_diem: amount("7"),
                    ..Patch::default()
                },
            ),
            (
                "vcu",
                "--limit-vcu",
                Patch {
                    limit_vcu: Change::Clear,
                    ..Patch::default()
                },
            ),
        ] {
            for odd in ["\"x\"", "-1", "1e400", "true", "{}"] {
                let mut raw = json!({"consumptionLimits": {"usd": 50, "diem": null, "vcu": 2}});
                raw["consumptionLimits"][currency] = serde_json::from_str(odd).unwrap();
                let field = match currency {
                    "usd" => "limits.usd",
                    "diem" => "limits.diem",
                    _ => "limits.vcu",
                };
                cases.push((v, Key { raw, ..old(v) }, field, flag, give.clone()));
            }
        }
        cases
    }

    #[test]
    fn a_setting_that_cannot_be_read_gets_no_successor() {
        for (f, key, field, flag, _) in odd_cases() {
            let what = format!("{f:?} {field}");
            let e = successor(f, &key, &Patch::default()).unwrap_err();
            assert_eq!((e.exit_code(), e.kind()), (7, "provider"), "{what}: {e}");
            let m = e.to_string();
            assert!(
                m.starts_with(&format!("P: the old key's {field} could not be read: ")),
                "{what}: {m}"
            );
            assert!(m.contains(flag), "{what}: {m}");
            assert!(m.contains("nothing was created"), "{what}: {m}");
        }
    }

    #[test]
    fn a_flag_for_the_unreadable_setting_makes_it_irrelevant() {
        for (f, key, field, _, over) in odd_cases() {
            let s = successor(f, &key, &over).unwrap_or_else(|e| panic!("{f:?} {field}: {e}"));
            // Every field the flags set has the flags' value.
            assert_eq!(s.clone().overlay(&over), s, "{f:?} {field}");
        }
        // Venice without consumptionLimits: one currency given is not enough.
        let key = Key {
            raw: json!({}),
            ..old(Family::Venice)
        };
        let e = successor(
            Family::Venice,
            &key,
            &Patch {
                limit: amount("7"),
                ..Patch::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("no consumptionLimits"), "{e}");
    }

    #[test]
    fn what_was_read_is_named_under_the_providers_own_field() {
        let key = Key {
            limit: None,
            raw: json!({"limit": -5}),
            ..old(Family::OpenRouter)
        };
        let e = successor(Family::OpenRouter, &key, &Patch::default()).unwrap_err();
        assert!(e.to_string().contains("limit is a number (-5)"), "{e}");
        let key = Key {
            limit: None,
            raw: json!({}),
            ..old(Family::Ionet)
        };
        let e = successor(Family::Ionet, &key, &Patch::default()).unwrap_err();
        assert!(
            e.to_string().contains("the key as read does not have it"),
            "{e}"
        );
    }

    #[test]
    fn only_settings_the_create_carries_are_required() {
        // Nothing known: only what the family's create carries is asked for, first the cap.
        for (f, first) in [
            (Family::OpenRouter, "limit"),
            (Family::Ionet, "limit"),
            (Family::Venice, "limits"),
        ] {
            let e = successor(f, &Key::unread("x", "k", Unit::Usd), &Patch::default()).unwrap_err();
            assert!(
                e.to_string().contains(&format!("old key's {first} could")),
                "{f:?}: {e}"
            );
        }
        // An OpenRouter-style create carries no models or privacy: those are not asked for.
        let key = Key {
            models: None,
            privacy: None,
            ..old(Family::OpenRouter)
        };
        assert!(successor(Family::OpenRouter, &key, &Patch::default()).is_ok());
    }

    #[test]
    fn a_key_that_lives_a_set_time_passes_that_time_on() {
        let key = Key {
            created: Some(Some("2026-08-25T12:00:00Z".into())),
            expires: Some(Some("2026-11-23T12:00:00Z".into())),
            ..old(Family::Ionet)
        };
        // 90 days, from now; even though the old key ends right now.
        let s = successor(Family::Ionet, &key, &Patch::default()).unwrap();
        assert_eq!(s.expires, at("2027-02-21T12:00:00Z"));
    }

    #[test]
    fn an_expiry_past_the_year_9999_is_refused() {
        // Made in 1970, ends in 9999: the same life again from 2026 ends in the year 10056.
        let key = Key {
            created: Some(Some("1970-01-01T00:00:00Z".into())),
            expires: Some(Some("9999-12-31T23:59:59Z".into())),
            ..old(Family::Venice)
        };
        let e = successor(Family::Venice, &key, &Patch::default()).unwrap_err();
        assert_eq!((e.exit_code(), e.kind()), (7, "provider"), "{e}");
        let m = e.to_string();
        assert!(
            m.contains("expires") && m.contains("year 9999") && m.contains("--expires"),
            "{m}"
        );
        let over = Patch {
            expires: at("2030-01-01T00:00:00Z"),
            ..Patch::default()
        };
        let s = successor(Family::Venice, &key, &over).unwrap();
        assert_eq!(s.expires, at("2030-01-01T00:00:00Z"));
    }

    #[test]
    fn an_expired_old_key_needs_an_expiry() {
        let key = Key {
            expires: Some(Some("2026-01-01T00:00:00Z".into())),
            ..old(Family::Ionet)
        };
        let e = successor(Family::Ionet, &key, &Patch::default()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--expires"), "{e}");
        let over = Patch {
            expires: Change::Clear,
            ..Patch::default()
        };
        assert!(successor(Family::Ionet, &key, &over).is_ok());
    }

    #[test]
    fn caps_are_read_strictly() {
        let key = |raw| Key {
            raw,
            ..Key::default()
        };
        let c = caps(&key(
            json!({"consumptionLimits": {"usd": 12.5, "diem": null}}),
        ))
        .unwrap();
        assert_eq!(c[0], ("usd", Ok(Some(amount("12.5")))));
        assert_eq!(c[1], ("diem", Ok(Some(Change::Clear))));
        // Absent from the object: `update` refuses it, a successor leaves it out.
        assert_eq!(c[2], ("vcu", Ok(None)));
        let c = caps(&key(json!({"consumptionLimits": null}))).unwrap();
        assert!(c.iter().all(|(_, cap)| *cap == Ok(Some(Change::Clear))));
        let odd: Value = serde_json::from_str(
            r#"{"consumptionLimits": {"usd": 1e400, "diem": "x", "vcu": -1}}"#,
        )
        .unwrap();
        assert_eq!(
            caps(&key(odd)).unwrap().map(|(_, cap)| cap.unwrap_err()),
            [
                // (serde_json writes the exponent's sign.)
                "consumptionLimits.usd is 1e+400, not a number >= 0 or null".to_string(),
                "consumptionLimits.diem is a string (\"x\"), not a number >= 0 or null".into(),
                "consumptionLimits.vcu is -1, not a number >= 0 or null".into(),
            ]
        );
        assert_eq!(
            caps(&Key::default()).unwrap_err(),
            "the key has no consumptionLimits"
        );
        assert_eq!(
            caps(&key(json!({"consumptionLimits": [1]}))).unwrap_err(),
            "the key's consumptionLimits is a list ([1]), not an object"
        );
    }

    #[test]
    fn a_disabled_old_key_gets_no_successor() {
        let key = Key {
            disabled: Some(Some(true)),
            ..old(Family::OpenRouter)
        };
        let e = successor(Family::OpenRouter, &key, &Patch::default()).unwrap_err();
        assert_eq!((e.exit_code(), e.kind()), (2, "usage"), "{e}");
        let m = e.to_string();
        assert!(m.contains("the old key is disabled"), "{m}");
        assert!(m.contains("keyctl update -p x k --enable"), "{m}");
        assert!(
            m.contains("keyctl create") && m.contains("nothing was created"),
            "{m}"
        );
        // Even with every setting unreadable: no flag makes a disabled key's successor right.
        let key = Key {
            disabled: Some(Some(true)),
            ..Key::unread("x", "k", Unit::Usd)
        };
        let e = successor(Family::OpenRouter, &key, &Patch::default()).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
    }

    #[test]
    fn an_unreadable_enabled_state_gets_no_successor() {
        for (disabled, raw, shown) in [
            (None, json!({}), "the key as read does not have it"),
            (
                None,
                json!({"disabled": "no"}),
                "disabled is a string (\"no\")",
            ),
            (Some(None), json!({"disabled": null}), "disabled is null"),
        ] {
            let key = Key {
                disabled,
                raw,
                ..old(Family::OpenRouter)
            };
            let e = successor(Family::OpenRouter, &key, &Patch::default()).unwrap_err();
            assert_eq!((e.exit_code(), e.kind()), (7, "provider"), "{e}");
            let m = e.to_string();
            assert!(
                m.contains("the old key's disabled could not be read"),
                "{m}"
            );
            assert!(m.contains(shown), "{m}");
            assert!(
                m.contains("--enable") && m.contains("nothing was created"),
                "{m}"
            );
        }
        // Providers without an enabled state (their create refuses one) are not asked.
        for f in [Family::Ionet, Family::Venice] {
            let key = Key {
                disabled: Some(None),
                ..old(f)
            };
            assert!(successor(f, &key, &Patch::default()).is_ok(), "{f:?}");
        }
    }

    #[test]
    fn an_unreadable_creation_time_is_refused_when_the_key_expires() {
        let expiring = |created, raw| Key {
            created,
            raw,
            expires: Some(Some("2027-01-01T00:00:00Z".into())),
            ..old(Family::Ionet)
        };
        for (raw, shown) in [
            (json!({"created_at": "yesterday"}), "created_at is a string"),
            (json!({"createdAt": 5}), "createdAt is a number (5)"),
            (json!({"created_at": {}}), "created_at is an object"),
        ] {
            let e = successor(Family::Ionet, &expiring(None, raw), &Patch::default()).unwrap_err();
            assert_eq!((e.exit_code(), e.kind()), (7, "provider"), "{e}");
            let m = e.to_string();
            assert!(
                m.starts_with("P: the old key's created_at could not be read: "),
                "{m}"
            );
            assert!(m.contains(shown) && m.contains("--expires"), "{m}");
        }
        // A flag for the expiry makes the creation time irrelevant.
        let over = Patch {
            expires: Change::Clear,
            ..Patch::default()
        };
        let odd = expiring(None, json!({"created_at": "yesterday"}));
        assert_eq!(
            successor(Family::Ionet, &odd, &over).unwrap().expires,
            Change::Clear
        );
        // Absent, null or "": the documented fallback, the same expiry moment.
        for raw in [
            json!({}),
            json!({"created_at": null}),
            json!({"createdAt": ""}),
        ] {
            let s = successor(Family::Ionet, &expiring(None, raw), &Patch::default()).unwrap();
            assert_eq!(s.expires, at("2027-01-01T00:00:00Z"));
        }
        let s = successor(
            Family::Ionet,
            &expiring(Some(None), json!({"created_at": null})),
            &Patch::default(),
        )
        .unwrap();
        assert_eq!(s.expires, at("2027-01-01T00:00:00Z"));
        // A key without an expiry does not need it.
        let never = Key {
            expires: Some(None),
            raw: json!({"created_at": "yesterday"}),
            ..old(Family::Ionet)
        };
        let s = successor(Family::Ionet, &never, &Patch::default()).unwrap();
        assert_eq!(s.expires, Change::Clear);
    }

    #[test]
    fn a_setting_the_answers_disagree_about_is_named_with_both_values() {
        let why = "the provider's answers disagree: limit is null in the key's own read and \
                   100 in its entry in the key list";
        let key = Key {
            limit: None,
            conflicts: vec![("limit", why.to_string())],
            raw: json!({"credit_limit": null}),
            ..old(Family::Ionet)
        };
        let e = successor(Family::Ionet, &key, &Patch::default()).unwrap_err();
        assert_eq!((e.exit_code(), e.kind()), (7, "provider"), "{e}");
        let m = e.to_string();
        assert!(
            m.starts_with(&format!("P: the old key's limit could not be read: {why}")),
            "{m}"
        );
        assert!(
            m.contains("--limit") && m.contains("nothing was created"),
            "{m}"
        );
        let over = Patch {
            limit: amount("100"),
            ..Patch::default()
        };
        assert_eq!(
            successor(Family::Ionet, &key, &over).unwrap().limit,
            amount("100")
        );
    }

    #[test]
    fn both_spellings_of_venice_caps_must_agree() {
        let key = |raw| Key {
            raw,
            ..Key::default()
        };
        let e = caps(&key(
            json!({"consumptionLimits": {}, "consumptionLimit": {"usd": 50}}),
        ))
        .unwrap_err();
        assert_eq!(
            e,
            "the key shows both consumptionLimits, an object ({}), and consumptionLimit, an \
             object ({\"usd\":50}), and they disagree"
        );
        let e = caps(&key(
            json!({"consumptionLimits": null, "consumptionLimit": {"usd": 50}}),
        ))
        .unwrap_err();
        assert!(e.contains("disagree"), "{e}");
        // The same caps (50 = 50.0) in both: read as one.
        let c = caps(&key(json!({"consumptionLimits": {"usd": 50, "diem": null},
                                 "consumptionLimit": {"usd": 50.0, "diem": null}})))
        .unwrap();
        assert_eq!(c[0], ("usd", Ok(Some(amount("50")))));
        // One spelling alone is used, whichever it is.
        for name in ["consumptionLimits", "consumptionLimit"] {
            let c = caps(&key(json!({name: {"usd": 50}}))).unwrap();
            assert_eq!(c[0], ("usd", Ok(Some(amount("50")))));
        }
        // Through a successor: exit 7 naming limits, every currency's flag the way out.
        let old = Key {
            raw: json!({"consumptionLimits": {}, "consumptionLimit": {"usd": 50}}),
            ..old(Family::Venice)
        };
        let e = successor(Family::Venice, &old, &Patch::default()).unwrap_err();
        assert_eq!(e.exit_code(), 7, "{e}");
        let m = e.to_string();
        assert!(m.contains("the old key's limits could not be read"), "{m}");
        assert!(m.contains("disagree") && m.contains("--limit-diem"), "{m}");
    }

    #[test]
    fn successor_names() {
        // The old name exactly; a retired key's suffix is not carried over.
        assert_eq!(successor_name(Some("ci-runner")), "ci-runner");
        assert_eq!(successor_name(Some(" ci  runner ")), " ci  runner ");
        assert_eq!(
            successor_name(Some("ci-runner (rotated out 2026-10-01)")),
            "ci-runner"
        );
        // An older version's ` (rotated DATE)` is part of the name now.
        assert_eq!(
            successor_name(Some("ci (rotated 2026-10-01)")),
            "ci (rotated 2026-10-01)"
        );
        assert_eq!(successor_name(None), "key");
        assert_eq!(successor_name(Some("  ")), "key");
    }

    #[test]
    fn rotated_out_names() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(
            rotated_out_name(Some("ci-runner"), today, None),
            "ci-runner (rotated out 2026-11-23)"
        );
        // An earlier suffix is replaced, not stacked.
        assert_eq!(
            rotated_out_name(Some("ci-runner (rotated out 2026-10-01)"), today, None),
            "ci-runner (rotated out 2026-11-23)"
        );
        assert_eq!(
            rotated_out_name(None, today, None),
            "key (rotated out 2026-11-23)"
        );
        // Only a suffix with a date is a suffix.
        assert_eq!(
            rotated_out_name(Some("a (rotated out x)"), today, None),
            "a (rotated out x) (rotated out 2026-11-23)"
        );
        let long = "é".repeat(80);
        let n = rotated_out_name(Some(&long), today, Some(64));
        assert_eq!(n.chars().count(), 64);
        assert!(n.ends_with(" (rotated out 2026-11-23)"));
        assert!(is_rotated_out(&n));
        // A short name is not cut.
        assert_eq!(
            rotated_out_name(Some("app"), today, Some(64)),
            "app (rotated out 2026-11-23)"
        );
    }

    #[test]
    fn rotated_out_is_the_whole_suffix_at_the_end() {
        for yes in [
            "ci (rotated out 2026-11-23)",
            " (rotated out 2026-11-23)",
            "x (rotated out 2026-02-28)",
        ] {
            assert!(is_rotated_out(yes), "{yes}");
        }
        for no in [
            "ci",
            "ci (rotated 2026-11-23)",
            "ci (rotated out 2026-11-23) b",
            "ci (rotated out 2026-11-23",
            "ci (rotated out 2026-13-01)",
            "ci (rotated out 26-11-23)",
            "ci (rotated out 2026-11-23))",
            "ci (Rotated Out 2026-11-23)",
            "",
        ] {
            assert!(!is_rotated_out(no), "{no}");
        }
    }
}
