//! A Venice key's per-currency caps as read from its `consumptionLimits`, strictly: the one
//! reading that `update` (to send the currencies it does not change as they are) and `rotate`
//! (to copy them to a successor) share.

use serde_json::Value;

use crate::key::Key;
use crate::patch::{Amount, Change};

/// One currency of a key's `consumptionLimits`, read strictly: `Ok(None)` when the object
/// lacks it, `Ok(Some(Change::Clear))` for `null` (no cap), `Ok(Some(Change::Set(a)))` for a
/// number >= 0; `Err` says what it is instead (a string, a negative or out-of-range number, ...).
pub type Cap = std::result::Result<Option<Change<Amount>>, String>;

/// The currencies of `consumptionLimit`, in the order of the patch's fields (`limit` is usd).
pub const CURRENCIES: [&str; 3] = ["usd", "diem", "vcu"];

/// A key's caps as read from its `consumptionLimits` (`consumptionLimit` in some answers),
/// strictly: the one reading that `update` (to send the currencies it does not change as they
/// are) and `rotate` (to copy them to a successor) share. `consumptionLimits: null` is no cap in
/// any currency. `Err`: the object is absent or not an object (what it is instead), or the
/// answer has both spellings and they do not read the same (neither is taken over the other:
/// `{}` beside `{"usd": 50}` could otherwise drop the cap).
pub fn caps(key: &Key) -> std::result::Result<[(&'static str, Cap); 3], String> {
    match (
        key.raw.get("consumptionLimits"),
        key.raw.get("consumptionLimit"),
    ) {
        (Some(a), Some(b)) => {
            let read = caps_of(a);
            if read == caps_of(b) {
                read
            } else {
                Err(format!(
                    "the key shows both consumptionLimits, {}, and consumptionLimit, {}, and \
                     they disagree",
                    crate::text::describe(a),
                    crate::text::describe(b)
                ))
            }
        }
        (Some(one), None) | (None, Some(one)) => caps_of(one),
        (None, None) => Err("the key has no consumptionLimits".into()),
    }
}

/// The caps of one `consumptionLimits` value (see [`caps`]).
fn caps_of(read: &Value) -> std::result::Result<[(&'static str, Cap); 3], String> {
    let limits = match read {
        Value::Object(o) => o,
        Value::Null => return Ok(CURRENCIES.map(|c| (c, Ok(Some(Change::Clear))))),
        other => {
            return Err(format!(
                "the key's consumptionLimits is {}, not an object",
                crate::text::describe(other)
            ));
        }
    };
    Ok(CURRENCIES.map(|name| {
        let cap = match limits.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(Change::Clear)),
            Some(Value::Number(n)) => Amount::from_number(n)
                .map(|a| Some(Change::Set(a)))
                .ok_or_else(|| {
                    format!(
                        "consumptionLimits.{name} is {}, not a number >= 0 or null",
                        crate::text::truncate(&n.to_string(), 40)
                    )
                }),
            Some(other) => Err(format!(
                "consumptionLimits.{name} is {}, not a number >= 0 or null",
                crate::text::describe(other)
            )),
        };
        (name, cap)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::newkey::fixtures::{Family, amount, old, successor};
    use crate::patch::Patch;
    use serde_json::json;

    #[test]
    fn caps_are_read_strictly() {
        let key = |raw| Key {
            raw,
            ..Key::default()
        };
        let c = caps(&key(
            json!({"consumptionLimits": {"usd": 12.5, "diem": null}}),
        ))
        .unwrap();
        assert_eq!(c[0], ("usd", Ok(Some(amount("12.5")))));
        assert_eq!(c[1], ("diem", Ok(Some(Change::Clear))));
        // Absent from the object: `update` refuses it, a successor leaves it out.
        assert_eq!(c[2], ("vcu", Ok(None)));
        let c = caps(&key(json!({"consumptionLimits": null}))).unwrap();
        assert!(c.iter().all(|(_, cap)| *cap == Ok(Some(Change::Clear))));
        let odd: Value = serde_json::from_str(
            r#"{"consumptionLimits": {"usd": 1e400, "diem": "x", "vcu": -1}}"#,
        )
        .unwrap();
        assert_eq!(
            caps(&key(odd)).unwrap().map(|(_, cap)| cap.unwrap_err()),
            [
                // (serde_json writes the exponent's sign.)
                "consumptionLimits.usd is 1e+400, not a number >= 0 or null".to_string(),
                "consumptionLimits.diem is a string (\"x\"), not a number >= 0 or null".into(),
                "consumptionLimits.vcu is -1, not a number >= 0 or null".into(),
            ]
        );
        assert_eq!(
            caps(&Key::default()).unwrap_err(),
            "the key has no consumptionLimits"
        );
        assert_eq!(
            caps(&key(json!({"consumptionLimits": [1]}))).unwrap_err(),
            "the key's consumptionLimits is a list ([1]), not an object"
        );
    }

    #[test]
    fn both_spellings_of_venice_caps_must_agree() {
        let key = |raw| Key {
            raw,
            ..Key::default()
        };
        let e = caps(&key(
            json!({"consumptionLimits": {}, "consumptionLimit": {"usd": 50}}),
        ))
        .unwrap_err();
        assert_eq!(
            e,
            "the key shows both consumptionLimits, an object ({}), and consumptionLimit, an \
             object ({\"usd\":50}), and they disagree"
        );
        let e = caps(&key(
            json!({"consumptionLimits": null, "consumptionLimit": {"usd": 50}}),
        ))
        .unwrap_err();
        assert!(e.contains("disagree"), "{e}");
        // The same caps (50 = 50.0) in both: read as one.
        let c = caps(&key(json!({"consumptionLimits": {"usd": 50, "diem": null},
                                 "consumptionLimit": {"usd": 50.0, "diem": null}})))
        .unwrap();
        assert_eq!(c[0], ("usd", Ok(Some(amount("50")))));
        // One spelling alone is used, whichever it is.
        for name in ["consumptionLimits", "consumptionLimit"] {
            let c = caps(&key(json!({name: {"usd": 50}}))).unwrap();
            assert_eq!(c[0], ("usd", Ok(Some(amount("50")))));
        }
        // Through a successor: exit 7 naming limits, every currency's flag the way out.
        let old = Key {
            raw: json!({"consumptionLimits": {}, "consumptionLimit": {"usd": 50}}),
            ..old(Family::Venice)
        };
        let e = successor(Family::Venice, &old, &Patch::default()).unwrap_err();
        assert_eq!(e.exit_code(), 7, "{e}");
        let m = e.to_string();
        assert!(m.contains("the old key's limits could not be read"), "{m}");
        assert!(m.contains("disagree") && m.contains("--limit-diem"), "{m}");
    }
}
