//! ModelGates profiles whose credential comes from MODELGATES_MANAGEMENT_KEY, the stand-ins
//! their runs need, and the check that a key-like value is shown nowhere.

use serde_json::{Value, json};

use crate::common::Out;

/// The variable every profile of these tests reads its credential from ([`Running::spawn`]
/// and [`Keyctl::new`] set it to [`SECRET`]).
pub(crate) const ENV: &str = "MODELGATES_MANAGEMENT_KEY";

/// A key-like token (OpenRouter's prefix and 32 hex digits): never printed back.
pub(crate) const KEY: &str = "sk-or-v1-9f8e7d6c5b4a39281706f5e4d3c2b1a0";

/// A ModelGates profile reading [`ENV`], at `base`.
pub(crate) fn gates_profile(name: &str, base: &str) -> String {
    format!(
        "[profiles.{name}]\nprovider = \"modelgates\"\nbase_url = \"{base}\"\ncredential_env = \
         \"{ENV}\"\n\n"
    )
}

/// An OpenRouter-style key.
pub(crate) fn gkey(hash: &str, name: &str, disabled: bool) -> Value {
    json!({"hash": hash, "name": name, "label": format!("sk-or-v1-{}", &hash[..3]),
           "disabled": disabled, "limit": 100, "limit_remaining": null, "limit_reset": null,
           "usage": 1, "usage_daily": 0, "usage_weekly": 0, "usage_monthly": 0,
           "created_at": "2026-01-01T00:00:00Z", "updated_at": null, "expires_at": null})
}

pub(crate) const H_ON: &str = "bb00000000000000000000000000000000000000000000000000000000000002";

/// Neither output holds `key`, nor any 8-character piece of its random part (after the last
/// `-` or `_`).
pub(crate) fn assert_hidden(out: &Out, key: &str, what: &str) {
    let random = key.rsplit(['-', '_']).next().unwrap();
    assert!(random.len() >= 16, "{key}");
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(key), "{what}: the key is printed:\n{text}");
        for w in random.as_bytes().windows(8) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(
                !text.to_ascii_lowercase().contains(&w.to_ascii_lowercase()),
                "{what}: a piece of the key ({w}) is printed:\n{text}"
            );
        }
    }
}
