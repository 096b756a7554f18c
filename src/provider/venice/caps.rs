//! A Venice key's caps (`consumptionLimits`, one per currency): the currencies a change leaves
//! out kept as read ([`keep_other_currencies`]), and a create's read-back compared with the caps
//! it sent ([`caps_differ`], [`caps_flags`]).

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::name;
use crate::error::{Error, Result};
use crate::key::{self, Key, Known};
use crate::patch::{Change, Patch};

/// Fills the currencies `patch` leaves out with the key's current values (read in `before` by
/// [`crate::newkey::caps`], the reading a successor's caps are copied by), so they are sent
/// unchanged. A currency the key's `consumptionLimits` leaves out has no cap set (Venice's
/// published document makes each of `usd`, `diem` and `vcu` optional, and its own examples omit
/// the deprecated `vcu`): it stays left out of the write, not sent as `null`. A current value
/// that is present but not a number >= 0 or null, or a `consumptionLimits` that is absent or
/// not an object, fails the key (exit 7, naming the field): sending only the changed currency
/// could drop a cap silently.
pub fn keep_other_currencies(before: &Key, patch: &mut Patch) -> Result<()> {
    let fail = |what: String| Error::Provider {
        provider: name(),
        status: None,
        message: format!(
            "cannot keep the other currencies unchanged: {what}; nothing was sent for this key. \
             Give every currency explicitly (--limit, --limit-diem, --limit-vcu; `none` for no cap)"
        ),
    };
    let caps = crate::newkey::caps(before).map_err(fail)?;
    let changes = [
        &mut patch.limit,
        &mut patch.limit_diem,
        &mut patch.limit_vcu,
    ];
    for ((_, cap), change) in caps.into_iter().zip(changes) {
        if !change.is_keep() {
            continue;
        }
        *change = match cap {
            Ok(Some(c)) => c,
            // Absent: no cap set in it; left out of the write as the key leaves it out.
            Ok(None) => Change::Keep,
            Err(what) => return Err(fail(what)),
        };
    }
    Ok(())
}

/// Whether a create `body` (as sent) sets caps, so the new key is read back before its state
/// is shown: Venice's create answer can echo them wrong (a `diem` derived from `vcu`, a `usd`
/// of 0 as `null`).
pub fn sets_caps(body: &Value) -> bool {
    matches!(body.get("consumptionLimit"), Some(Value::Object(o)) if !o.is_empty())
}

/// The `update` flags that set the caps a create `body` sent (`--limit 0 --limit-diem 10`;
/// `none` for a currency sent as `null`; a currency left out gets no flag, unless the key as
/// read back (`read`) shows one there: then `none`, as `update` would otherwise keep it): the
/// command to give a new key that does not hold them.
pub fn caps_flags(body: &Value, read: Option<&Key>) -> String {
    let sent = body.get("consumptionLimit");
    let mut out = Vec::new();
    for (name, flag) in
        crate::newkey::CURRENCIES
            .iter()
            .zip(["--limit", "--limit-diem", "--limit-vcu"])
    {
        let value = match sent.and_then(|c| c.get(name)) {
            None => match read.map(|k| match &k.limits {
                Known::Value(l) => match *name {
                    "usd" => l.usd,
                    "diem" => l.diem,
                    _ => l.vcu,
                },
                Known::Null => Known::Null,
                Known::Unknown => Known::Unknown,
            }) {
                // Read back as no cap, or not read back: nothing to clear.
                None | Some(Known::Null) => continue,
                Some(_) => "none".to_string(),
            },
            Some(Value::Null) => "none".to_string(),
            Some(v) => match key::money_field(&json!({ "v": v }), "v") {
                Known::Value(d) => d.normalize().to_string(),
                _ => continue,
            },
        };
        out.push(format!("{flag} {value}"));
    }
    out.join(" ")
}

/// Each currency where the key as read back (`read`) does not hold what the create `body` sent,
/// as `usd: sent 0, read back none`: a currency sent as a number or `null`, or left out (no cap
/// set, the reading [`keep_other_currencies`] and a successor share). A read-back whose caps
/// cannot be read differs in every currency (`read back not readable`).
pub fn caps_differ(body: &Value, read: &Key) -> Vec<String> {
    let sent = body.get("consumptionLimit");
    let mut out = Vec::new();
    for name in crate::newkey::CURRENCIES {
        let want: Known<Decimal> = match sent.and_then(|c| c.get(name)) {
            None | Some(Value::Null) => Known::Null,
            Some(v) => key::money_field(&json!({ "v": v }), "v"),
        };
        let got: Known<Decimal> = match &read.limits {
            Known::Value(l) => match name {
                "usd" => l.usd,
                "diem" => l.diem,
                _ => l.vcu,
            },
            Known::Null => Known::Null,
            Known::Unknown => Known::Unknown,
        };
        if want.is_known() && want == got {
            continue;
        }
        let shown = |v: &Known<Decimal>| match v {
            Known::Value(d) => d.normalize().to_string(),
            Known::Null => "none".to_string(),
            Known::Unknown => "not readable".to_string(),
        };
        out.push(format!(
            "{name}: sent {}, read back {}",
            shown(&want),
            shown(&got)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ProviderKind;
    use crate::provider::venice::{build_body, key_view, needs_current};

    const KEY: &str = "e28e82dc-9df2-4b47-b726-d0a222ef2ab5";

    fn info() -> &'static crate::provider::Info {
        ProviderKind::Venice.info()
    }

    #[test]
    fn merge_keeps_numbers_and_nulls() {
        let mut p = Patch {
            limit_diem: Change::Set("5".parse().unwrap()),
            ..Default::default()
        };
        assert!(needs_current(&p, false));
        keep_other_currencies(&view(json!({"usd": 12.5, "diem": 1, "vcu": null})), &mut p).unwrap();
        let b = build_body(&p).unwrap();
        assert_eq!(
            Value::Object(b),
            json!({"consumptionLimit": {"usd": 12.5, "diem": 5, "vcu": null}})
        );
        let all = Patch {
            limit: Change::Set("1".parse().unwrap()),
            limit_diem: Change::Set("1".parse().unwrap()),
            limit_vcu: Change::Clear,
            ..Default::default()
        };
        assert!(!needs_current(&all, false));
        assert!(!needs_current(&Patch::default(), false));
        assert!(needs_current(&Patch::default(), true));
    }

    #[test]
    fn both_spellings_of_the_caps_must_agree() {
        let both = json!({"id": KEY, "consumptionLimits": {}, "consumptionLimit": {"usd": 50}});
        let k = key_view(info(), &both);
        assert_eq!((&k.limits, &k.limit), (&Known::Unknown, &Known::Unknown));
        // `update` keeping the other currencies refuses them as `rotate` does (one reading).
        let mut p = Patch {
            limit_diem: Change::Set("5".parse().unwrap()),
            ..Default::default()
        };
        let e = keep_other_currencies(&k, &mut p).unwrap_err();
        assert_eq!(e.exit_code(), 7);
        assert!(e.to_string().contains("disagree"), "{e}");
        // Agreeing, or one spelling alone: read as before.
        for data in [
            json!({"consumptionLimits": {"usd": 50}, "consumptionLimit": {"usd": 50.0}}),
            json!({"consumptionLimit": {"usd": 50}}),
            json!({"consumptionLimits": {"usd": 50}}),
        ] {
            let k = key_view(info(), &data);
            assert_eq!(k.limit, Known::Value(50.into()), "{data}");
        }
    }

    #[test]
    fn merge_refuses_what_it_cannot_keep() {
        for (limits, field) in [
            (
                json!({"usd": "10", "diem": 1, "vcu": 0}),
                "consumptionLimits.usd is a string",
            ),
            (
                json!({"usd": -1, "diem": 1, "vcu": 0}),
                "consumptionLimits.usd is -1",
            ),
            (
                json!({"usd": 1, "diem": true, "vcu": 0}),
                "consumptionLimits.diem is a boolean",
            ),
            (
                json!({"usd": 1, "diem": 1, "vcu": [1]}),
                "consumptionLimits.vcu is a list",
            ),
            (json!("50"), "consumptionLimits is a string"),
        ] {
            let mut p = Patch {
                name: Some("x".into()),
                ..Default::default()
            };
            let e = keep_other_currencies(&view(limits.clone()), &mut p).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{limits}");
            assert!(e.to_string().contains(field), "{limits}: {e}");
            assert!(e.to_string().contains("nothing was sent"), "{e}");
        }
        let mut p = Patch::default();
        let e = keep_other_currencies(&Key::default(), &mut p).unwrap_err();
        assert!(e.to_string().contains("no consumptionLimits"), "{e}");
    }

    #[test]
    fn read_back_caps_against_what_was_sent() {
        let sent = json!({"apiKeyType": "INFERENCE", "consumptionLimit": {"usd": 0, "diem": 10}});
        assert!(sets_caps(&sent));
        assert!(!sets_caps(&json!({"apiKeyType": "INFERENCE"})));
        assert!(!sets_caps(&json!({"consumptionLimit": {}})));
        let read = |l: Value| key_view(info(), &json!({"id": KEY, "consumptionLimits": l}));
        assert!(caps_differ(&sent, &read(json!({"usd": 0, "diem": 10.0}))).is_empty());
        assert!(caps_differ(&sent, &read(json!({"usd": 0, "diem": 10, "vcu": null}))).is_empty());
        assert_eq!(
            caps_differ(&sent, &read(json!({"usd": null, "diem": 10, "vcu": 30}))),
            [
                "usd: sent 0, read back none",
                "vcu: sent none, read back 30"
            ]
        );
        assert_eq!(
            caps_differ(&sent, &read(json!({"usd": 0, "diem": "x"}))),
            ["diem: sent 10, read back not readable"]
        );
        assert_eq!(caps_differ(&sent, &Key::default()).len(), 3);
        assert_eq!(caps_flags(&sent, None), "--limit 0 --limit-diem 10");
        assert_eq!(
            caps_flags(
                &json!({"consumptionLimit": {"usd": 50.50, "diem": null, "vcu": 3}}),
                None
            ),
            "--limit 50.5 --limit-diem none --limit-vcu 3"
        );
        // A currency left out that the key holds a cap in (or one not readable) is cleared;
        // one it holds no cap in gets no flag.
        let both = read(json!({"usd": null, "diem": 10, "vcu": 30}));
        assert_eq!(
            caps_flags(&sent, Some(&both)),
            "--limit 0 --limit-diem 10 --limit-vcu none"
        );
        let odd = read(json!({"usd": 0, "diem": 10, "vcu": -1}));
        assert_eq!(
            caps_flags(&sent, Some(&odd)),
            "--limit 0 --limit-diem 10 --limit-vcu none"
        );
        let none = read(json!({"usd": 0, "diem": 10, "vcu": null}));
        assert_eq!(caps_flags(&sent, Some(&none)), "--limit 0 --limit-diem 10");
    }

    #[test]
    fn an_absent_currency_is_no_cap_and_stays_absent() {
        // Venice's own examples omit `vcu`; each currency is optional in its document.
        for (limits, sent) in [
            (json!({"usd": 10, "diem": 3}), json!({"usd": 50, "diem": 3})),
            (
                json!({"usd": 10, "vcu": null}),
                json!({"usd": 50, "vcu": null}),
            ),
            (json!({"usd": 10}), json!({"usd": 50})),
            (json!({}), json!({"usd": 50})),
        ] {
            let mut p = Patch {
                limit: Change::Set("50".parse().unwrap()),
                ..Default::default()
            };
            keep_other_currencies(&view(limits.clone()), &mut p).unwrap();
            let b = build_body(&p).unwrap();
            assert_eq!(
                Value::Object(b),
                json!({"consumptionLimit": sent}),
                "{limits}"
            );
        }
        let k = key_view(
            info(),
            &json!({"id": KEY, "consumptionLimits": {"usd": 10}}),
        );
        assert_eq!(
            k.to_json()["limits"],
            json!({"usd": 10, "diem": null, "vcu": null})
        );
    }

    fn view(limits: Value) -> Key {
        Key {
            raw: json!({ "consumptionLimits": limits }),
            ..Default::default()
        }
    }
}
