//! Unit tests of the `update` flags that give a new Venice key the caps its create sent: a
//! currency left out of the create that the key reads back with a cap gets `none`, each under
//! its own flag.

use serde_json::json;

use crate::key::Key;
use crate::provider::ProviderKind;
use crate::provider::venice::caps_flags;

fn read_back(limits: serde_json::Value) -> Key {
    let body = json!({"data": {"id": "k1", "description": "bot", "consumptionLimits": limits}});
    ProviderKind::Venice
        .parse_get("k1", &serde_json::to_vec(&body).unwrap())
        .unwrap()
}

#[test]
fn each_currency_left_out_but_read_back_with_a_cap_is_cleared_under_its_own_flag() {
    let sent = json!({"consumptionLimit": {"usd": 0}});
    for (read, flags) in [
        (
            json!({"usd": 0, "diem": 10, "vcu": null}),
            "--limit 0 --limit-diem none",
        ),
        (
            json!({"usd": 0, "diem": null, "vcu": 30}),
            "--limit 0 --limit-vcu none",
        ),
        (json!({"usd": 0, "diem": null, "vcu": null}), "--limit 0"),
    ] {
        assert_eq!(
            caps_flags(&sent, Some(&read_back(read.clone()))),
            flags,
            "{read}"
        );
    }
    let sent = json!({"consumptionLimit": {"diem": 5}});
    assert_eq!(
        caps_flags(&sent, Some(&read_back(json!({"usd": 7, "diem": 5})))),
        "--limit none --limit-diem 5"
    );
}
