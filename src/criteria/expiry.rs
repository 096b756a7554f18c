//! A key's expiry for the check criteria: the timestamps adapters pass on read as a moment
//! ([`expiry_of`]), whether one falls in a window, and the words a reason gives it.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeDelta, Utc};

use crate::key::Key;

/// A key's `expires` as a moment: RFC 3339 (any offset), the zone-less forms adapters may pass
/// on (`2026-08-20T00:00:00`, `2026-08-20 00:00:00`, with or without a fraction; taken as UTC)
/// and a date `YYYY-MM-DD` (00:00 UTC, as Venice accepts it). Anything else (`never`, `""`,
/// garbage) is None.
pub fn expiry_of(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok());
    match naive {
        Some(n) => Some(n.and_utc()),
        None => Some(
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)?
                .and_utc(),
        ),
    }
}

/// The expiry reason, when the key expires at or before `now + within`. A window too large
/// for the calendar reaches every expiry.
pub(super) fn expiring(k: &Key, within: Duration, now: DateTime<Utc>) -> Option<String> {
    let at = expiry_of(k.expires.value()?)?;
    let horizon = TimeDelta::from_std(within)
        .ok()
        .and_then(|d| now.checked_add_signed(d));
    if horizon.is_some_and(|h| at > h) {
        return None;
    }
    Some(expiry_words(at, now))
}

/// "expires in 3 days (…)", "expires now (…)" or "expired 2 days ago (…)".
fn expiry_words(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let shown = at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let delta = at.signed_duration_since(now);
    let span = span_words(delta.num_seconds().unsigned_abs());
    match delta.cmp(&TimeDelta::zero()) {
        std::cmp::Ordering::Greater => format!("expires in {span} ({shown})"),
        std::cmp::Ordering::Equal => format!("expires now ({shown})"),
        std::cmp::Ordering::Less => format!("expired {span} ago ({shown})"),
    }
}

/// A span in its largest whole unit: "3 days", "1 hour", "5 minutes", "less than a minute".
fn span_words(secs: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match secs {
        s if s >= 86_400 => plural(s / 86_400, "day"),
        s if s >= 3_600 => plural(s / 3_600, "hour"),
        s if s >= 60 => plural(s / 60, "minute"),
        _ => "less than a minute".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::criteria::reasons;
    use crate::criteria::tests::{days, expiring_in, key_expiring, now};
    use crate::key::Known;

    #[test]
    fn expiring_within_a_window_and_expired_keys() {
        let c = expiring_in(days(7));
        let k = key_expiring(Known::Value("2026-11-26T00:00:00Z".into()));
        assert_eq!(
            reasons(&c, &k, now()),
            ["expires in 3 days (2026-11-26T00:00:00Z)"]
        );
        let k = key_expiring(Known::Value("2026-11-21T00:00:00Z".into()));
        assert_eq!(
            reasons(&c, &k, now()),
            ["expired 2 days ago (2026-11-21T00:00:00Z)"]
        );
        let k = key_expiring(Known::Value("2026-12-15T00:00:00Z".into()));
        assert!(reasons(&c, &k, now()).is_empty());
    }

    #[test]
    fn the_expiry_edge_is_inclusive() {
        let c = expiring_in(days(7));
        let edge = key_expiring(Known::Value("2026-11-30T00:00:00Z".into()));
        assert_eq!(
            reasons(&c, &edge, now()),
            ["expires in 7 days (2026-11-30T00:00:00Z)"]
        );
        let past = key_expiring(Known::Value("2026-11-30T00:00:00.001Z".into()));
        assert!(reasons(&c, &past, now()).is_empty());
        let at_now = key_expiring(Known::Value("2026-11-23T00:00:00Z".into()));
        assert_eq!(
            reasons(&expiring_in(Duration::ZERO), &at_now, now()),
            ["expires now (2026-11-23T00:00:00Z)"]
        );
        let soon = key_expiring(Known::Value("2026-11-23T00:00:30Z".into()));
        assert!(reasons(&expiring_in(Duration::ZERO), &soon, now()).is_empty());
        assert_eq!(
            reasons(&expiring_in(Duration::from_secs(30)), &soon, now()),
            ["expires in less than a minute (2026-11-23T00:00:30Z)"]
        );
    }

    #[test]
    fn never_expiring_unknown_and_unparseable_never_match() {
        let c = expiring_in(Duration::MAX);
        for e in [
            Known::Unknown,
            Known::Null,
            Known::Value("never".to_string()),
            Known::Value(String::new()),
            Known::Value("soon".to_string()),
            Known::Value("2026-13-01".to_string()),
            Known::Value("31/12/2026".to_string()),
        ] {
            assert!(
                reasons(&c, &key_expiring(e.clone()), now()).is_empty(),
                "{e:?}"
            );
        }
    }

    #[test]
    fn expiry_formats_the_adapters_produce() {
        let at = |s: &str| expiry_of(s).map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        assert_eq!(
            at("2026-11-26T00:00:00Z").as_deref(),
            Some("2026-11-26T00:00:00Z")
        );
        assert_eq!(
            at("2026-11-26T02:00:00+02:00").as_deref(),
            Some("2026-11-26T00:00:00Z")
        );
        assert_eq!(
            at("2026-11-26T00:00:00.500Z").as_deref(),
            Some("2026-11-26T00:00:00.500Z")
        );
        assert_eq!(
            at("2026-08-20T00:00:00").as_deref(),
            Some("2026-08-20T00:00:00Z")
        );
        assert_eq!(
            at("2026-08-20 10:30:00.25").as_deref(),
            Some("2026-08-20T10:30:00.250Z")
        );
        assert_eq!(at(" 2026-08-20 ").as_deref(), Some("2026-08-20T00:00:00Z"));
        assert_eq!(at("never"), None);
        // A window past the end of the calendar reaches every dated expiry.
        let far = key_expiring(Known::Value("9999-12-31T23:59:59Z".into()));
        assert_eq!(reasons(&expiring_in(Duration::MAX), &far, now()).len(), 1);
    }

    #[test]
    fn span_words_pick_the_largest_unit() {
        assert_eq!(span_words(0), "less than a minute");
        assert_eq!(span_words(59), "less than a minute");
        assert_eq!(span_words(60), "1 minute");
        assert_eq!(span_words(3_599), "59 minutes");
        assert_eq!(span_words(3_600), "1 hour");
        assert_eq!(span_words(86_399), "23 hours");
        assert_eq!(span_words(86_400), "1 day");
        assert_eq!(span_words(3 * 86_400 + 5), "3 days");
        assert_eq!(span_words(u64::MAX), format!("{} days", u64::MAX / 86_400));
    }
}
