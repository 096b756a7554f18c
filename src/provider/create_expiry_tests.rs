//! Unit tests of the expiry in a create body: OpenRouter-style providers send `expires_at` in
//! UTC (`null` for none) on create, though `--expires` is refused on an update.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::{BaseUrl, ProviderKind};
use crate::newkey::NewKey;
use crate::patch::{Change, Patch};

fn create_body(p: ProviderKind, expires: Change<chrono::DateTime<Utc>>) -> Value {
    let base = BaseUrl::parse("https://x.example").unwrap();
    let new = NewKey {
        name: "ci".into(),
        kind: None,
        settings: Patch {
            expires,
            ..Patch::default()
        },
    };
    p.build_create(&base, &new).unwrap().body.unwrap()
}

#[test]
fn an_openrouter_style_create_sends_the_expiry_as_expires_at() {
    let at = Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap();
    for p in [ProviderKind::OpenRouter, ProviderKind::ModelGates] {
        assert_eq!(
            create_body(p, Change::Set(at)),
            json!({"name": "ci", "expires_at": "2030-01-02T03:04:05Z"}),
            "{p}"
        );
        assert_eq!(
            create_body(p, Change::Clear),
            json!({"name": "ci", "expires_at": null}),
            "{p}"
        );
        assert_eq!(create_body(p, Change::Keep), json!({"name": "ci"}), "{p}");
    }
}
