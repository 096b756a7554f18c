//! `keyctl list`: every key of the account (every page), optionally only those whose name
//! matches a glob (`--match`), in the provider's order or sorted by a field (`--sort`).

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::report::Reporter;
use crate::cli::{ListArgs, SortArg, SortField};
use crate::error::Result;
use crate::http::Cancel;
use crate::key::{Key, Known};
use crate::outcome::{KeyResult, Mode, Outcome};
use crate::output;
use crate::settings::Global;
use crate::text::sanitize;

/// `keyctl list`: every key of the account.
pub async fn run(global: &Global, args: ListArgs, cancel: &Cancel) -> Result<i32> {
    let ListArgs {
        include_disabled,
        match_glob,
        sort,
    } = args;
    // A bad glob is a usage error before anything is sent.
    let matcher = match_glob
        .as_deref()
        .map(super::keys::name_glob)
        .transpose()?;
    let (p, s) = super::session(global, cancel).await?;
    let mut keys = s.list(include_disabled).await?;
    let read: Vec<String> = keys.iter().map(|k| k.id.clone()).collect();
    if let (Some(m), Some(glob)) = (&matcher, &match_glob) {
        keys.retain(|k| k.name.value().is_some_and(|n| m.is_match(n)));
        if keys.is_empty() {
            output::warn(&format!(
                "no {p} key has a name matching '{}' (names are case-sensitive; `keyctl list -p \
                 {}` shows them all)",
                sanitize(glob),
                p.info().id
            ));
        }
    }
    if let Some(order) = sort {
        sort_keys(&mut keys, order);
    }
    let mut report = Reporter::new(&global.view, Mode::List);
    // Short ids in a table are unique among every key read, not only those shown.
    report.known_ids(read);
    for v in keys {
        report.push(KeyResult {
            provider: p,
            key: v.id.clone(),
            outcome: Outcome::Shown(Box::new(v)),
        });
    }
    report.finish();
    Ok(0)
}

/// A key's value for `--sort`: a number, a time, or text; None when the key has none (no cap,
/// never expires, not known).
#[derive(Debug, PartialEq, PartialOrd)]
enum SortValue {
    Number(Decimal),
    /// A time keyctl can read, before one it cannot (compared as text).
    Time(chrono::DateTime<chrono::Utc>),
    Text(String),
}

fn sort_value(k: &Key, field: SortField) -> Option<SortValue> {
    let number = |v: &Known<Decimal>| v.value().copied().map(SortValue::Number);
    let time = |v: &Known<String>| {
        let s = v.value()?;
        Some(
            chrono::DateTime::parse_from_rfc3339(s.trim())
                .map(|t| SortValue::Time(t.with_timezone(&chrono::Utc)))
                .unwrap_or_else(|_| SortValue::Text(s.clone())),
        )
    };
    match field {
        SortField::Name => k.name.value().cloned().map(SortValue::Text),
        SortField::Limit => number(&k.limit),
        SortField::Usage => number(&k.usage),
        SortField::Remaining => number(&k.remaining),
        SortField::Expires => time(&k.expires),
        SortField::Created => time(&k.created),
        SortField::LastUsed => time(&k.last_used),
    }
}

/// Sorts by the field, ascending or descending; keys without a value last either way; ties by
/// name, then id (both ascending).
fn sort_keys(keys: &mut [Key], order: SortArg) {
    let name = |k: &Key| k.name.value().cloned();
    keys.sort_by_cached_key(|k| {
        (
            Keyed(sort_value(k, order.field), order.descending),
            Last(name(k)),
            k.id.clone(),
        )
    });
}

/// A sort value with its direction: present values in that direction, absent ones after.
#[derive(Debug, PartialEq)]
struct Keyed(Option<SortValue>, bool);

impl Eq for Keyed {}

impl Ord for Keyed {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => {
                let o = a.partial_cmp(b).unwrap_or(Ordering::Equal);
                if self.1 { o.reverse() } else { o }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
}

impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A tie-break on an optional value: present ones ascending, absent ones last.
#[derive(Debug, PartialEq, Eq)]
struct Last(Option<String>);

impl Ord for Last {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
}

impl PartialOrd for Last {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Unit;

    fn key(id: &str, name: Option<&str>, limit: Option<i64>, created: Option<&str>) -> Key {
        let mut k = Key::unread("modelgates", id, Unit::Usd);
        k.name = Known::or_null(name.map(str::to_string));
        k.limit = Known::or_null(limit.map(Decimal::from));
        k.created = Known::or_null(created.map(str::to_string));
        k
    }

    fn ids(keys: &[Key]) -> Vec<&str> {
        keys.iter().map(|k| k.id.as_str()).collect()
    }

    #[test]
    fn missing_values_last_both_ways_ties_by_name_then_id() {
        let mut keys = vec![
            key("e", Some("b"), None, None),
            key("d", Some("b"), Some(5), None),
            key("c", Some("a"), Some(5), None),
            key("b", None, Some(10), None),
            key("a", Some("z"), Some(1), None),
        ];
        let up = SortArg {
            field: SortField::Limit,
            descending: false,
        };
        sort_keys(&mut keys, up);
        assert_eq!(ids(&keys), ["a", "c", "d", "b", "e"]);
        sort_keys(
            &mut keys,
            SortArg {
                descending: true,
                ..up
            },
        );
        assert_eq!(ids(&keys), ["b", "c", "d", "a", "e"]);
    }

    #[test]
    fn times_sort_as_times_not_text() {
        let mut keys = vec![
            key("a", Some("a"), None, Some("2026-01-01T10:00:00+02:00")),
            key("b", Some("b"), None, Some("2026-01-01T09:00:00Z")),
            key("c", Some("c"), None, None),
        ];
        sort_keys(
            &mut keys,
            SortArg {
                field: SortField::Created,
                descending: false,
            },
        );
        // 10:00+02:00 is 08:00Z: before 09:00Z.
        assert_eq!(ids(&keys), ["a", "b", "c"]);
    }
}
