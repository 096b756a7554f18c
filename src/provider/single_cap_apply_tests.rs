//! Unit tests of applying a change to a key of a provider with one cap (OpenRouter-style):
//! `--limit` sets that cap and leaves the per-currency `limits` (not a setting there) as read.

use serde_json::json;

use crate::key::Key;
use crate::patch::{Change, Patch};
use crate::provider::ProviderKind;

fn openrouter() -> Key {
    let data = json!({"hash": "h1", "name": "ci", "disabled": false, "limit": 50});
    let body = serde_json::to_vec(&json!({ "data": data })).unwrap();
    ProviderKind::OpenRouter.parse_get("h1", &body).unwrap()
}

#[test]
fn a_limit_change_on_a_one_cap_key_sets_the_cap_and_leaves_limits_alone() {
    let before = openrouter();
    for (limit, shown) in [
        (Change::Set("5".parse().unwrap()), json!(5)),
        (Change::Clear, json!(null)),
    ] {
        let after = before.apply(&Patch {
            limit,
            ..Patch::default()
        });
        assert_eq!(after.field("limit"), Some(shown.clone()), "{shown}");
        assert_eq!(after.field("limits"), before.field("limits"), "{shown}");
        assert_eq!(after.field("limits.usd"), None, "{shown}");
    }
}
