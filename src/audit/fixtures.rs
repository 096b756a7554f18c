//! Results and trail readers that the audit trail's unit tests share.

use std::path::Path;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Entries, Filter, open};
use crate::key::{FieldChange, Key, Known, Unit};
use crate::output::{KeyResult, NewSecret, Outcome};
use crate::provider::ProviderKind;
use crate::request::{AuthScheme, Request};

/// Every entry of the trail at `path` that passes `filter`, and the damaged lines.
pub(super) fn read(path: &Path, filter: &Filter) -> std::io::Result<(Vec<Value>, usize)> {
    let mut t = open(path)?;
    let mut entries = t.entries(filter)?;
    let v = entries.by_ref().collect::<std::io::Result<Vec<_>>>()?;
    Ok((v, entries.skipped().damaged))
}

/// [`read`] of a trail's text.
pub(super) fn parse(text: &[u8], filter: &Filter) -> std::io::Result<(Vec<Value>, usize)> {
    let mut entries = Entries::new(text, filter);
    let v = entries.by_ref().collect::<std::io::Result<Vec<_>>>()?;
    Ok((v, entries.skipped().damaged))
}

pub(super) fn req() -> Box<Request> {
    Box::new(Request::patch(
        "https://example.test/keys/k".into(),
        AuthScheme::Bearer,
        json!({"limit": 50}),
    ))
}

pub(super) fn updated(key: &str) -> KeyResult {
    let mut after = Key::unread("venice", key, Unit::Usd);
    after.limit = Known::Value(Decimal::new(50, 0));
    KeyResult {
        provider: ProviderKind::Venice,
        key: key.into(),
        outcome: Outcome::Updated {
            before: None,
            after: Box::new(after),
            changes: vec![FieldChange {
                field: "limit",
                from: Some(json!(10)),
                to: json!(50),
            }],
            req: req(),
        },
    }
}

pub(super) fn created(id: &str, secret: &str) -> KeyResult {
    let mut after = Key::unread("openrouter", id, Unit::Usd);
    after.name = Known::Value("ci-runner".into());
    after.limit = Known::Value(Decimal::new(25, 0));
    KeyResult {
        provider: ProviderKind::OpenRouter,
        key: id.into(),
        outcome: Outcome::Created {
            after: Box::new(after),
            secret: NewSecret::Shown(secret.into()),
            req: req(),
            error: None,
        },
    }
}

pub(super) fn lines(path: &Path) -> Vec<Value> {
    let (v, damaged) = read(path, &Filter::default()).unwrap();
    assert_eq!(damaged, 0);
    v
}
