//! What `keyctl create` and `keyctl rotate` ask a provider for: a new key's name, type and
//! settings, and a rotated key's successor built from the old key's settings (pure).

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, Result};
use crate::key::Key;
use crate::patch::{Amount, Change, KeyType, Patch, Privacy};

/// A key to create: its name, its type (Venice; `None` is the provider's default) and the
/// settings flags (`disabled` is never set: a key is created enabled).
#[derive(Debug, Clone, PartialEq)]
pub struct NewKey {
    pub name: String,
    pub kind: Option<KeyType>,
    pub settings: Patch,
}

/// The suffix a rotated key's successor gets by default: ` (rotated YYYY-MM-DD)`.
const ROTATED: &str = " (rotated ";

impl NewKey {
    /// The successor of `old`: the same limit (and Venice currencies), reset, models, BYOK
    /// setting and privacy, and the same expiry policy: a key with no expiry gets none, and a
    /// key that lives a set time (its expiry minus its creation) gets that time from now, so a
    /// chain of rotations does not die on the first key's date (when the creation time is not
    /// known, the same expiry moment). Then `over` (the flags given) on top. An old key that
    /// has already expired, with no creation time to measure its life, is refused.
    pub fn successor(
        old: &Key,
        name: String,
        kind: Option<KeyType>,
        over: &Patch,
        now: DateTime<Utc>,
    ) -> Result<NewKey> {
        let amount = |d: &Option<Option<rust_decimal::Decimal>>| match d {
            Some(Some(d)) => Amount::new(*d).map_or(Change::Keep, Change::Set),
            Some(None) => Change::Clear,
            None => Change::Keep,
        };
        // Only a key with currencies (Venice) has any to copy.
        let limits = old.limits.clone().flatten().unwrap_or(crate::key::Limits {
            usd: None,
            diem: None,
            vcu: None,
        });
        let expires = match &old.expires {
            Some(Some(at)) => {
                let at = DateTime::parse_from_rfc3339(at)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        Error::usage(format!(
                            "the old key's expiry '{}' is not a timestamp keyctl can copy; give \
                             the successor's with --expires",
                            crate::text::sanitize(at)
                        ))
                    })?;
                let created = old
                    .created
                    .clone()
                    .flatten()
                    .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
                    .map(|c| c.with_timezone(&Utc));
                let lifetime = created
                    .map(|c| at - c)
                    .filter(|l| *l > chrono::Duration::zero());
                match lifetime.and_then(|l| now.checked_add_signed(l)) {
                    Some(next) => {
                        use chrono::Timelike;
                        Change::Set(next.with_nanosecond(0).unwrap_or(next))
                    }
                    None if at <= now && over.expires.is_keep() => {
                        return Err(Error::usage(format!(
                            "the old key expired at {}; a successor with the same expiry would \
                             be dead on arrival: give it one with --expires (or use keyctl create)",
                            crate::patch::rfc3339(&at)
                        )));
                    }
                    None => Change::Set(at),
                }
            }
            Some(None) => Change::Clear,
            None => Change::Keep,
        };
        let inherited = Patch {
            limit: amount(&old.limit),
            reset: old.reset.flatten(),
            expires,
            // Every provider's default is every model: only a real allow-list is copied.
            // (`models_of` reads an empty list as every model: `Some(None)`.)
            models: match &old.models {
                Some(Some(m)) => Change::Set(m.clone()),
                _ => Change::Keep,
            },
            name: None,
            disabled: None,
            include_byok_in_limit: old.include_byok_in_limit.flatten(),
            limit_diem: amount(&limits.diem),
            limit_vcu: amount(&limits.vcu),
            privacy: old
                .privacy
                .clone()
                .flatten()
                .and_then(|p| <Privacy as clap::ValueEnum>::from_str(&p, true).ok()),
        };
        Ok(NewKey {
            name,
            kind,
            settings: inherited.overlay(over),
        })
    }
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

/// The default name of a successor: the old name (without an earlier rotation's suffix) plus
/// ` (rotated YYYY-MM-DD)`, cut so the whole fits in `max` characters when there is a cap.
pub fn successor_name(old: Option<&str>, today: NaiveDate, max: Option<usize>) -> String {
    let suffix = format!("{ROTATED}{})", today.format("%Y-%m-%d"));
    let base = old.unwrap_or("key");
    let base = match base.rfind(ROTATED) {
        Some(i) if base.ends_with(')') => &base[..i],
        _ => base,
    };
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

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    fn d(s: &str) -> rust_decimal::Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn successor_copies_the_settings() {
        let old = Key {
            limit: Some(Some(d("50"))),
            reset: Some(Some(Reset::Monthly)),
            expires: Some(Some("2027-01-01T00:00:00Z".into())),
            models: Some(Some(vec!["llama".into()])),
            include_byok_in_limit: Some(Some(true)),
            privacy: Some(Some("private-only".into())),
            limits: Some(Some(Limits {
                usd: Some(Some(d("50"))),
                diem: Some(None),
                vcu: Some(Some(d("2"))),
            })),
            ..Key::unread("venice", "k", Unit::Usd)
        };
        let n = NewKey::successor(&old, "n".into(), None, &Patch::default(), now()).unwrap();
        let s = &n.settings;
        assert_eq!(s.limit, Change::Set("50".parse().unwrap()));
        assert_eq!(s.reset, Some(Reset::Monthly));
        assert_eq!(
            s.expires,
            Change::Set(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(s.models, Change::Set(vec!["llama".to_string()]));
        assert_eq!(s.include_byok_in_limit, Some(true));
        assert_eq!(s.privacy, Some(Privacy::PrivateOnly));
        assert_eq!(s.limit_diem, Change::Clear);
        assert_eq!(s.limit_vcu, Change::Set("2".parse().unwrap()));
        assert_eq!(s.disabled, None);
        // Flags given override what is copied.
        let over = Patch {
            limit: Change::Set("10".parse().unwrap()),
            reset: Some(Reset::Daily),
            expires: Change::Clear,
            ..Patch::default()
        };
        let n = NewKey::successor(&old, "n".into(), None, &over, now()).unwrap();
        assert_eq!(n.settings.limit, Change::Set("10".parse().unwrap()));
        assert_eq!(n.settings.reset, Some(Reset::Daily));
        assert_eq!(n.settings.expires, Change::Clear);
        assert_eq!(n.settings.limit_vcu, Change::Set("2".parse().unwrap()));
    }

    #[test]
    fn a_key_that_lives_a_set_time_passes_that_time_on() {
        let old = Key {
            created: Some(Some("2026-08-25T12:00:00Z".into())),
            expires: Some(Some("2026-11-23T12:00:00Z".into())),
            ..Key::unread("ionet", "k", Unit::Credits)
        };
        // 90 days, from now; even though the old key ends right now.
        let n = NewKey::successor(&old, "n".into(), None, &Patch::default(), now()).unwrap();
        assert_eq!(
            n.settings.expires,
            Change::Set(Utc.with_ymd_and_hms(2027, 2, 21, 12, 0, 0).unwrap())
        );
    }

    #[test]
    fn unknown_and_empty_settings_are_not_sent() {
        let old = Key {
            limit: Some(None),
            expires: Some(None),
            models: Some(None),
            ..Key::unread("ionet", "k", Unit::Credits)
        };
        let n = NewKey::successor(&old, "n".into(), None, &Patch::default(), now()).unwrap();
        assert_eq!(n.settings.limit, Change::Clear);
        assert_eq!(n.settings.expires, Change::Clear);
        assert_eq!(n.settings.models, Change::Keep);
        let n = NewKey::successor(
            &Key::unread("ionet", "k", Unit::Credits),
            "n".into(),
            None,
            &Patch::default(),
            now(),
        )
        .unwrap();
        assert_eq!(n.settings, Patch::default());
    }

    #[test]
    fn an_expired_old_key_needs_an_expiry() {
        let old = Key {
            expires: Some(Some("2026-01-01T00:00:00Z".into())),
            ..Key::unread("ionet", "k", Unit::Credits)
        };
        let e = NewKey::successor(&old, "n".into(), None, &Patch::default(), now()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--expires"), "{e}");
        let over = Patch {
            expires: Change::Clear,
            ..Patch::default()
        };
        assert!(NewKey::successor(&old, "n".into(), None, &over, now()).is_ok());
        let bad = Key {
            expires: Some(Some("soon".into())),
            ..Key::unread("ionet", "k", Unit::Credits)
        };
        assert!(NewKey::successor(&bad, "n".into(), None, &Patch::default(), now()).is_err());
    }

    #[test]
    fn successor_names() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(
            successor_name(Some("ci-runner"), today, None),
            "ci-runner (rotated 2026-11-23)"
        );
        // An earlier rotation's suffix is replaced, not stacked.
        assert_eq!(
            successor_name(Some("ci-runner (rotated 2026-10-01)"), today, None),
            "ci-runner (rotated 2026-11-23)"
        );
        assert_eq!(
            successor_name(None, today, None),
            "key (rotated 2026-11-23)"
        );
        // Only a suffix is a suffix.
        assert_eq!(
            successor_name(Some("a (rotated x) b"), today, None),
            "a (rotated x) b (rotated 2026-11-23)"
        );
        let long = "x".repeat(80);
        let n = successor_name(Some(&long), today, Some(64));
        assert_eq!(n.chars().count(), 64);
        assert!(n.ends_with(" (rotated 2026-11-23)"));
    }
}
