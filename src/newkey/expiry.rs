//! A successor's expiry, by the old key's expiry policy: none for none, the old key's life
//! (expiry minus creation) from now, or the same moment when the creation time is not known.

use chrono::{DateTime, Datelike, Utc};

use super::{as_read, unreadable};
use crate::error::{Error, Result};
use crate::key::{Key, Known};
use crate::patch::Change;

/// The successor's expiry, by the old key's expiry policy (see [`NewKey::successor`](super::NewKey::successor)); one
/// that cannot be read, or that would fall after the year 9999, is refused (exit 7).
pub(super) fn expiry(
    provider: &'static str,
    old: &Key,
    now: DateTime<Utc>,
) -> Result<Change<DateTime<Utc>>> {
    let flag = "--expires WHEN (a date, a duration such as 90d, or never)";
    let at = match &old.expires {
        Known::Value(at) => at,
        Known::Null => return Ok(Change::Clear),
        Known::Unknown => {
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
        Known::Value(c) => match DateTime::parse_from_rfc3339(c) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                let what = format!("'{}' is not a timestamp", crate::text::truncate(c, 40));
                return Err(unread_creation(&what));
            }
        },
        Known::Null => None,
        Known::Unknown if shown.is_none() && old.conflict("created").is_none() => None,
        Known::Unknown => return Err(unread_creation(&as_read(old, "created"))),
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

#[cfg(test)]
mod tests {
    use crate::key::{Key, Known};
    use crate::newkey::fixtures::*;
    use crate::patch::{Change, Patch};
    use serde_json::json;

    #[test]
    fn a_key_that_lives_a_set_time_passes_that_time_on() {
        let key = Key {
            created: Known::Value("2026-08-25T12:00:00Z".into()),
            expires: Known::Value("2026-11-23T12:00:00Z".into()),
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
            created: Known::Value("1970-01-01T00:00:00Z".into()),
            expires: Known::Value("9999-12-31T23:59:59Z".into()),
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
            expires: Known::Value("2026-01-01T00:00:00Z".into()),
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
    fn an_unreadable_creation_time_is_refused_when_the_key_expires() {
        let expiring = |created, raw| Key {
            created,
            raw,
            expires: Known::Value("2027-01-01T00:00:00Z".into()),
            ..old(Family::Ionet)
        };
        for (raw, shown) in [
            (json!({"created_at": "yesterday"}), "created_at is a string"),
            (json!({"createdAt": 5}), "createdAt is a number (5)"),
            (json!({"created_at": {}}), "created_at is an object"),
        ] {
            let e = successor(
                Family::Ionet,
                &expiring(Known::Unknown, raw),
                &Patch::default(),
            )
            .unwrap_err();
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
        let odd = expiring(Known::Unknown, json!({"created_at": "yesterday"}));
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
            let s = successor(
                Family::Ionet,
                &expiring(Known::Unknown, raw),
                &Patch::default(),
            )
            .unwrap();
            assert_eq!(s.expires, at("2027-01-01T00:00:00Z"));
        }
        let s = successor(
            Family::Ionet,
            &expiring(Known::Null, json!({"created_at": null})),
            &Patch::default(),
        )
        .unwrap();
        assert_eq!(s.expires, at("2027-01-01T00:00:00Z"));
        // A key without an expiry does not need it.
        let never = Key {
            expires: Known::Null,
            raw: json!({"created_at": "yesterday"}),
            ..old(Family::Ionet)
        };
        let s = successor(Family::Ionet, &never, &Patch::default()).unwrap();
        assert_eq!(s.expires, Change::Clear);
    }
}
