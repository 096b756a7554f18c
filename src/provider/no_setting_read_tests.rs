//! Unit tests of a provider's word for "none" read as no setting, not as a value not known:
//! io.net's `expires_at: "never"` is no expiry, Venice's `consumptionLimits: null` is no cap
//! in any currency.

use serde_json::{Value, json};

use crate::provider::ProviderKind;

#[test]
fn an_ionet_key_expiring_never_has_no_expiry() {
    let p = ProviderKind::Ionet.info();
    let body = json!({"status": "succeeded", "data": [
        {"id": "3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23", "description": "ci", "expires_at": "never"},
        {"id": "4f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23", "description": "cd", "expires_at": "NEVER"},
        {"id": "5f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23", "description": "at",
         "expires_at": "2030-01-02T03:04:05Z"},
        {"id": "6f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23", "description": "odd", "expires_at": "soon"}
    ]});
    let page = p
        .adapter()
        .parse_list(p, &serde_json::to_vec(&body).unwrap())
        .unwrap();
    let expires: Vec<Option<Value>> = page.keys.iter().map(|k| k.field("expires")).collect();
    assert_eq!(
        expires,
        [
            Some(Value::Null),
            Some(Value::Null),
            Some(json!("2030-01-02T03:04:05Z")),
            None
        ]
    );
}

#[test]
fn a_venice_key_with_null_consumption_limits_has_no_cap_in_any_currency() {
    let body = json!({"data": {"id": "k1", "description": "bot", "consumptionLimits": null}});
    let k = ProviderKind::Venice
        .parse_get("k1", &serde_json::to_vec(&body).unwrap())
        .unwrap();
    assert_eq!(
        k.field("limits"),
        Some(json!({"usd": null, "diem": null, "vcu": null}))
    );
    assert_eq!(k.field("limit"), Some(Value::Null));
    // A limits value that is neither null nor an object is not known.
    let odd = json!({"data": {"id": "k1", "description": "bot", "consumptionLimits": 5}});
    let k = ProviderKind::Venice
        .parse_get("k1", &serde_json::to_vec(&odd).unwrap())
        .unwrap();
    assert_eq!((k.field("limits"), k.field("limit")), (None, None));
}
