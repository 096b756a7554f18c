//! What `keyctl create` and `keyctl rotate` ask a provider for: a new key's name, type and
//! settings, and a rotated key's successor built from the old key's settings (pure). A
//! successor's per-currency caps are read in `caps`, its expiry in `expiry`; the names rotate
//! gives the successor and the key it retires are in `names`.

mod caps;
mod expiry;
#[cfg(test)]
mod fixtures;
mod names;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::key::{Key, Known};
use crate::patch::{Amount, Change, KeyType, Patch, Privacy, Reset};

pub use caps::{CURRENCIES, Cap, caps};
pub use names::{is_rotated_out, rotated_out_name, successor_name, without_rotated_out};

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
        if carries.disabled && old.disabled == Known::Value(true) {
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
        if carries.disabled && old.disabled != Known::Value(false) {
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
        s.limit = match old.limit.and_then(Amount::new) {
            Known::Value(a) => Change::Set(a),
            Known::Null => Change::Clear,
            _ => return Err(refuse("limit", "--limit N (or --limit none)")),
        };
    }
    if carries.reset && over.reset.is_none() {
        s.reset = match old.reset {
            Known::Value(r) => Some(r),
            Known::Null => None,
            Known::Unknown => return Err(refuse("reset", "--reset")),
        };
    }
    if carries.expires && over.expires.is_keep() {
        s.expires = expiry::expiry(provider, old, now)?;
    }
    if carries.models && over.models.is_keep() {
        // Every provider's default is every model: only a real allow-list is sent.
        // (`models_of` reads an empty list as every model: `Known::Null`.)
        s.models = match &old.models {
            Known::Value(m) => Change::Set(m.clone()),
            Known::Null => Change::Keep,
            Known::Unknown => return Err(refuse("models", "--models LIST (or --models all)")),
        };
    }
    if carries.byok && over.include_byok_in_limit.is_none() {
        s.include_byok_in_limit = match old.include_byok_in_limit {
            Known::Value(b) => Some(b),
            Known::Null => None,
            Known::Unknown => {
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
            Known::Value(w) => match <Privacy as clap::ValueEnum>::from_str(w, true) {
                Ok(p) => Some(p),
                Err(_) => return Err(refuse("privacy", flag)),
            },
            Known::Null => None,
            Known::Unknown => return Err(refuse("privacy", flag)),
        };
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::key::Unit;
    use serde_json::json;

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
            limit: Known::Null,
            expires: Known::Null,
            models: Known::Null,
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
                    limit: Known::Unknown,
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
                    expires: Known::Unknown,
                    ..old(f)
                },
                "expires",
                "--expires",
                give_expires.clone(),
            ));
            cases.push((
                f,
                Key {
                    expires: Known::Value("soon".into()),
                    ..old(f)
                },
                "expires",
                "--expires",
                give_expires.clone(),
            ));
            cases.push((
                f,
                Key {
                    reset: Known::Unknown,
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
                include_byok_in_limit: Known::Unknown,
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
                models: Known::Unknown,
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
        for privacy in [Known::Unknown, Known::Value("secret-only".to_string())] {
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
            limit: Known::Unknown,
            raw: json!({"limit": -5}),
            ..old(Family::OpenRouter)
        };
        let e = successor(Family::OpenRouter, &key, &Patch::default()).unwrap_err();
        assert!(e.to_string().contains("limit is a number (-5)"), "{e}");
        let key = Key {
            limit: Known::Unknown,
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
            models: Known::Unknown,
            privacy: Known::Unknown,
            ..old(Family::OpenRouter)
        };
        assert!(successor(Family::OpenRouter, &key, &Patch::default()).is_ok());
    }

    #[test]
    fn a_disabled_old_key_gets_no_successor() {
        let key = Key {
            disabled: Known::Value(true),
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
            disabled: Known::Value(true),
            ..Key::unread("x", "k", Unit::Usd)
        };
        let e = successor(Family::OpenRouter, &key, &Patch::default()).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
    }

    #[test]
    fn an_unreadable_enabled_state_gets_no_successor() {
        for (disabled, raw, shown) in [
            (
                Known::Unknown,
                json!({}),
                "the key as read does not have it",
            ),
            (
                Known::Unknown,
                json!({"disabled": "no"}),
                "disabled is a string (\"no\")",
            ),
            (Known::Null, json!({"disabled": null}), "disabled is null"),
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
                disabled: Known::Null,
                ..old(f)
            };
            assert!(successor(f, &key, &Patch::default()).is_ok(), "{f:?}");
        }
    }

    #[test]
    fn a_setting_the_answers_disagree_about_is_named_with_both_values() {
        let why = "the provider's answers disagree: limit is null in the key's own read and \
                   100 in its entry in the key list";
        let key = Key {
            limit: Known::Unknown,
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
}
