//! Unit tests of the key model's JSON form and of merging two reads, on keys read from provider JSON
//! through the adapters: every field under its name, `limits` as an object, a setting the
//! reads disagree about made not known (its shown value cut to 40 characters), and
//! `complete_from` filling what an update's answer leaves out.

use serde_json::{Value, json};

use crate::key::{Key, Known};
use crate::patch::{Change, Patch};
use crate::provider::ProviderKind;

/// An OpenRouter key as its single-key read answers it.
fn openrouter(data: Value) -> Key {
    let body = serde_json::to_vec(&json!({ "data": data })).unwrap();
    ProviderKind::OpenRouter.parse_get("h1", &body).unwrap()
}

/// A Venice key as its single-key read answers it.
fn venice(data: Value) -> Key {
    let body = serde_json::to_vec(&json!({ "data": data, "success": true })).unwrap();
    ProviderKind::Venice.parse_get("k1", &body).unwrap()
}

fn full_openrouter() -> Key {
    openrouter(json!({
        "hash": "h1", "name": "ci", "disabled": false, "limit": 50, "limit_reset": "monthly",
        "usage": 12, "usage_monthly": 2, "limit_remaining": 48,
        "expires_at": "2030-01-02T03:04:05Z", "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-02-01T00:00:00Z", "include_byok_in_limit": true
    }))
}

#[test]
fn every_read_field_is_in_the_json_form_under_its_name() {
    let j = full_openrouter().to_json();
    assert_eq!(j["provider"], "openrouter");
    assert_eq!(j["id"], "h1");
    assert_eq!(j["name"], "ci");
    assert_eq!(j["disabled"], false);
    assert_eq!(j["limit"], 50);
    assert_eq!(j["unit"], "usd");
    assert_eq!(j["reset"], "monthly");
    assert_eq!(j["usage"], 2);
    assert_eq!(j["remaining"], 48);
    assert_eq!(j["usage_total"], 12);
    assert_eq!(j["expires"], "2030-01-02T03:04:05Z");
    assert_eq!(j["created"], "2025-01-01T00:00:00Z");
    assert_eq!(j["updated"], "2025-02-01T00:00:00Z");
    assert_eq!(j["models"], Value::Null);
    assert_eq!(j["include_byok_in_limit"], true);
    assert_eq!(j["raw"]["hash"], "h1");
}

#[test]
fn venice_limits_are_an_object_of_caps_and_reachable_one_by_one() {
    let k = venice(json!({
        "id": "k1", "description": "bot", "consumptionLimits": {"usd": 25, "diem": null},
        "limitPeriod": "DAILY", "modelPrivacy": "PRIVATE_ONLY",
        "lastUsedAt": "2025-03-01T00:00:00Z"
    }));
    let j = k.to_json();
    assert_eq!(j["limits"], json!({"usd": 25, "diem": null, "vcu": null}));
    assert_eq!(j["privacy"], "private-only");
    assert_eq!(j["last_used"], "2025-03-01T00:00:00Z");
    assert_eq!(k.field("limits.usd"), Some(json!(25)));
    assert_eq!(k.field("limits.diem"), Some(Value::Null));
    assert_eq!(k.field("limits.vcu"), Some(Value::Null));
    assert_eq!(k.field("no_such_field"), None);
    // OpenRouter has no per-currency caps: nothing to show.
    assert_eq!(full_openrouter().field("limits.usd"), None);
}

#[test]
fn a_disagreement_on_expiry_is_not_known_and_named_with_both_values() {
    let mut own = full_openrouter();
    let listed = openrouter(json!({"hash": "h1", "expires_at": "2031-01-01T00:00:00Z"}));
    own.fill_from(&listed);
    assert_eq!(own.expires, Known::Unknown);
    assert!(own.to_json().get("expires").is_none());
    assert_eq!(
        own.conflict("expires"),
        Some(
            "the provider's answers disagree: expires is \"2030-01-02T03:04:05Z\" in the key's \
             own read and \"2031-01-01T00:00:00Z\" in its entry in the key list"
        )
    );
    assert_eq!(own.conflict("limit"), None);
}

#[test]
fn a_value_shown_in_a_disagreement_is_cut_to_40_characters() {
    // Two reads of one key whose model lists disagree (`["m"]` in the key list).
    let models = |names: &[&str]| Patch {
        models: Change::Set(names.iter().map(|m| m.to_string()).collect()),
        ..Patch::default()
    };
    let listed = full_openrouter().apply(&models(&["m"]));
    let why = |mine: &str| {
        let mut own = full_openrouter().apply(&models(&[mine]));
        own.fill_from(&listed);
        assert_eq!(own.models, Known::Unknown);
        own.conflict("models").unwrap().to_string()
    };
    // 40 characters with the JSON's brackets and quotes: shown whole.
    let exactly_40 = "x".repeat(36);
    let w = why(&exactly_40);
    assert!(
        w.contains(&format!(
            "models is [\"{exactly_40}\"] in the key's own read"
        )),
        "{w}"
    );
    // Longer: its first 39 characters and an ellipsis.
    let w = why(&"y".repeat(60));
    assert!(
        w.contains(&format!(
            "models is [\"{}… in the key's own read",
            "y".repeat(37)
        )),
        "{w}"
    );
}

#[test]
fn complete_from_fills_only_what_the_answer_left_out() {
    let before = full_openrouter();
    let mut answer = openrouter(json!({"hash": "h1", "limit": 70}));
    answer.complete_from(&before);
    assert_eq!(answer.field("limit"), Some(json!(70)));
    assert_eq!(answer.field("name"), Some(json!("ci")));
    assert_eq!(answer.field("reset"), Some(json!("monthly")));
    assert_eq!(answer.field("expires"), Some(json!("2030-01-02T03:04:05Z")));
    assert_eq!(answer.field("include_byok_in_limit"), Some(json!(true)));
}
