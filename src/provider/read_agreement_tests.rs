//! Unit tests of merging two reads of one key (`Key::fill_from`): each setting the reads show
//! differently becomes not known and is named in the key's conflicts, whichever it is.

use serde_json::{Value, json};

use crate::key::Key;
use crate::provider::ProviderKind;

fn read(p: ProviderKind, id: &str, data: Value) -> Key {
    let body = serde_json::to_vec(&json!({ "data": data, "success": true })).unwrap();
    p.parse_get(id, &body).unwrap()
}

#[test]
fn each_setting_the_two_reads_disagree_about_is_not_known_and_named() {
    let openrouter = json!({
        "hash": "h1", "name": "ci", "disabled": false, "limit": 50, "limit_reset": "monthly",
        "expires_at": "2030-01-02T03:04:05Z", "created_at": "2025-01-01T00:00:00Z",
        "include_byok_in_limit": true
    });
    let venice = json!({"id": "k1", "description": "bot", "modelPrivacy": "PRIVATE_ONLY"});
    for (p, id, base, field, other) in [
        (
            ProviderKind::OpenRouter,
            "h1",
            &openrouter,
            "disabled",
            json!({"disabled": true}),
        ),
        (
            ProviderKind::OpenRouter,
            "h1",
            &openrouter,
            "limit",
            json!({"limit": 60}),
        ),
        (
            ProviderKind::OpenRouter,
            "h1",
            &openrouter,
            "reset",
            json!({"limit_reset": "daily"}),
        ),
        (
            ProviderKind::OpenRouter,
            "h1",
            &openrouter,
            "expires",
            json!({"expires_at": "2031-01-01T00:00:00Z"}),
        ),
        (
            ProviderKind::OpenRouter,
            "h1",
            &openrouter,
            "created",
            json!({"created_at": "2024-06-01T00:00:00Z"}),
        ),
        (
            ProviderKind::OpenRouter,
            "h1",
            &openrouter,
            "include_byok_in_limit",
            json!({"include_byok_in_limit": false}),
        ),
        (
            ProviderKind::Venice,
            "k1",
            &venice,
            "privacy",
            json!({"modelPrivacy": "ALL"}),
        ),
    ] {
        let mut own = read(p, id, base.clone());
        assert!(own.field(field).is_some(), "{field}");
        let mut listed = base.clone();
        listed
            .as_object_mut()
            .unwrap()
            .extend(other.as_object().unwrap().clone());
        own.fill_from(&read(p, id, listed));
        assert_eq!(own.field(field), None, "{field}");
        assert!(
            own.conflict(field)
                .is_some_and(|why| why.contains("the provider's answers disagree")),
            "{field}: {:?}",
            own.conflict(field)
        );
        // A setting they agree on stays as read.
        assert!(
            own.field("name").is_some() && own.conflict("name").is_none(),
            "{field}"
        );
    }
}
