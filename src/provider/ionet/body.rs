//! io.net's request bodies: a patch as `UpdateSubKeyRequest` ([`build_body`]), and the sub-key
//! id checked as the UUID its paths take ([`check_key`]).

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::patch::{Change, Patch, Reset, rfc3339};

pub(super) fn unsupported(flag: &str, instead: &str) -> Error {
    crate::provider::ProviderKind::Ionet
        .info()
        .unsupported(flag, instead)
}

/// The sub-key's UUID in canonical hyphenated form.
pub fn check_key(key: &str) -> Result<String> {
    uuid::Uuid::parse_str(key.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| {
            Error::usage(format!(
                "io.net: key id '{}' is not a UUID; io.net sub-key ids look like 3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23 \
                 (copy it from the io.net dashboard)",
                crate::text::sanitize(key)
            ))
        })
}

/// Maps the normalized patch onto `UpdateSubKeyRequest`.
pub fn build_body(patch: &Patch) -> Result<Value> {
    let Patch {
        limit,
        reset,
        expires,
        models,
        name,
        disabled,
        include_byok_in_limit,
        limit_diem,
        limit_vcu,
        privacy,
    } = patch;
    let mut body = Map::new();
    match limit {
        Change::Keep => {}
        Change::Set(a) => {
            body.insert("credit_limit".into(), a.to_json());
        }
        Change::Clear => {
            return Err(unsupported(
                "--limit none",
                "io.net cannot remove a credit cap; set a new cap with --limit N (a higher value also unblocks a key that went over its limit)",
            ));
        }
    }
    if let Some(r) = reset {
        if *r == Reset::Never {
            return Err(unsupported(
                "--reset never",
                "io.net credits always refresh; use --reset 8h, daily, weekly or monthly",
            ));
        }
        body.insert("credit_refresh_cycle".into(), json!(r.as_str()));
    }
    match expires {
        Change::Keep => {}
        Change::Set(at) => {
            body.insert("expires_at".into(), json!(rfc3339(at)));
        }
        Change::Clear => {
            body.insert("expires_at".into(), json!("never"));
        }
    }
    match models {
        Change::Keep => {}
        Change::Set(list) => {
            body.insert("allowed_models".into(), json!(list));
        }
        Change::Clear => {
            body.insert("allowed_models".into(), json!([]));
        }
    }
    if let Some(n) = name {
        body.insert("description".into(), json!(n));
    }
    if disabled.is_some() {
        return Err(unsupported(
            if *disabled == Some(true) {
                "--disable"
            } else {
                "--enable"
            },
            "io.net sub-keys cannot be disabled or enabled through the update API; to stop spending set --limit 0, or end the key with --expires",
        ));
    }
    if include_byok_in_limit.is_some() {
        return Err(unsupported(
            "--include-byok-in-limit",
            "io.net has no BYOK setting; it supports --limit, --reset, --expires, --models and --name",
        ));
    }
    if !limit_diem.is_keep() {
        return Err(unsupported(
            "--limit-diem",
            "io.net limits are in credits; use --limit",
        ));
    }
    if !limit_vcu.is_keep() {
        return Err(unsupported(
            "--limit-vcu",
            "io.net limits are in credits; use --limit",
        ));
    }
    if privacy.is_some() {
        return Err(unsupported(
            "--privacy",
            "io.net restricts models with --models (an allow-list), not by privacy",
        ));
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::Amount;
    use chrono::{DateTime, Utc};

    fn amount(s: &str) -> Amount {
        s.parse().unwrap()
    }

    fn body(p: Patch) -> Value {
        build_body(&p).unwrap()
    }

    fn err(p: Patch) -> Error {
        build_body(&p).unwrap_err()
    }

    #[test]
    fn limit_maps_to_credit_limit() {
        let p = Patch {
            limit: Change::Set(amount("50")),
            ..Default::default()
        };
        assert_eq!(body(p), json!({"credit_limit": 50}));
        let p = Patch {
            limit: Change::Set(amount("12.5")),
            ..Default::default()
        };
        assert_eq!(body(p), json!({"credit_limit": 12.5}));
    }

    #[test]
    fn limit_none_is_refused() {
        let e = err(Patch {
            limit: Change::Clear,
            ..Default::default()
        });
        assert_eq!(e.exit_code(), 2);
        let m = e.to_string();
        assert!(
            m.contains("io.net") && m.contains("--limit none") && m.contains("--limit N"),
            "{m}"
        );
    }

    #[test]
    fn every_reset_but_never() {
        for (r, s) in [
            (Reset::EightHours, "8h"),
            (Reset::Daily, "daily"),
            (Reset::Weekly, "weekly"),
            (Reset::Monthly, "monthly"),
        ] {
            let p = Patch {
                reset: Some(r),
                ..Default::default()
            };
            assert_eq!(body(p), json!({"credit_refresh_cycle": s}));
        }
        let e = err(Patch {
            reset: Some(Reset::Never),
            ..Default::default()
        });
        assert!(e.to_string().contains("--reset never"), "{e}");
    }

    #[test]
    fn expiry_and_never() {
        let at: DateTime<Utc> = "2027-01-02T03:04:05Z".parse().unwrap();
        let p = Patch {
            expires: Change::Set(at),
            ..Default::default()
        };
        assert_eq!(body(p), json!({"expires_at": "2027-01-02T03:04:05Z"}));
        let p = Patch {
            expires: Change::Clear,
            ..Default::default()
        };
        assert_eq!(body(p), json!({"expires_at": "never"}));
    }

    #[test]
    fn models_list_and_all() {
        let p = Patch {
            models: Change::Set(vec!["a".into(), "b".into()]),
            ..Default::default()
        };
        assert_eq!(body(p), json!({"allowed_models": ["a", "b"]}));
        let p = Patch {
            models: Change::Clear,
            ..Default::default()
        };
        assert_eq!(body(p), json!({"allowed_models": []}));
    }

    #[test]
    fn name_is_description() {
        let p = Patch {
            name: Some("ci".into()),
            ..Default::default()
        };
        assert_eq!(body(p), json!({"description": "ci"}));
    }

    #[test]
    fn unsupported_flags() {
        let cases = [
            (
                Patch {
                    disabled: Some(true),
                    ..Default::default()
                },
                "--disable",
            ),
            (
                Patch {
                    disabled: Some(false),
                    ..Default::default()
                },
                "--enable",
            ),
            (
                Patch {
                    include_byok_in_limit: Some(true),
                    ..Default::default()
                },
                "--include-byok-in-limit",
            ),
            (
                Patch {
                    limit_diem: Change::Set(amount("1")),
                    ..Default::default()
                },
                "--limit-diem",
            ),
            (
                Patch {
                    limit_vcu: Change::Set(amount("1")),
                    ..Default::default()
                },
                "--limit-vcu",
            ),
            (
                Patch {
                    privacy: Some(crate::patch::Privacy::All),
                    ..Default::default()
                },
                "--privacy",
            ),
        ];
        for (p, flag) in cases {
            let e = err(p);
            assert_eq!(e.exit_code(), 2);
            assert!(
                e.to_string().contains(flag) && e.to_string().contains("io.net"),
                "{e}"
            );
        }
    }
}
