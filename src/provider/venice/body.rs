//! Venice's update body: a patch as `consumptionLimit`, `expiresAt`, `limitPeriod`,
//! `modelPrivacy` and `description` ([`build_body`]), within the bounds of Venice's published
//! `swagger.yaml`.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::unsupported;
use crate::error::{Error, Result};
use crate::patch::{Change, Patch, Privacy, Reset};

/// The largest value Venice's published spec allows for each currency of `consumptionLimit`.
const MAX_LIMIT: i64 = 9_999_999_999;
/// The longest `description` Venice's published spec allows.
const MAX_DESCRIPTION: usize = 64;

/// `expiresAt` as Venice's spec wants it: `YYYY-MM-DDTHH:MM:SS(.sss)?Z`, whole seconds or
/// exactly three fraction digits (a finer fraction is cut to milliseconds).
pub fn expires_at(at: &chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{SecondsFormat, Timelike};
    let format = if at.nanosecond() == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Millis
    };
    at.to_rfc3339_opts(format, true)
}

/// Maps the normalized patch onto Venice's update body (without the `id`).
pub fn build_body(patch: &Patch) -> Result<Map<String, Value>> {
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
    let mut consumption = Map::new();
    // Each currency: a number, or null for "no cap in this currency".
    for (name, change) in [("usd", limit), ("diem", limit_diem), ("vcu", limit_vcu)] {
        match change {
            Change::Keep => {}
            Change::Set(a) => {
                if a.value() > Decimal::from(MAX_LIMIT) {
                    return Err(Error::usage(format!(
                        "Venice accepts at most 9,999,999,999 per currency; {name} {a} is more \
                         (nothing was sent)"
                    )));
                }
                consumption.insert(name.into(), a.to_json());
            }
            Change::Clear => {
                consumption.insert(name.into(), Value::Null);
            }
        }
    }
    if !consumption.is_empty() {
        body.insert("consumptionLimit".into(), Value::Object(consumption));
    }
    if let Some(r) = reset {
        let period = match r {
            Reset::Daily => "EPOCH",
            Reset::Monthly => "MONTH",
            Reset::Never => "LIFETIME",
            Reset::EightHours | Reset::Weekly => {
                return Err(unsupported(
                    &format!("--reset {}", r.as_str()),
                    "Venice limits reset daily (EPOCH), monthly (MONTH) or never (LIFETIME)",
                ));
            }
        };
        body.insert("limitPeriod".into(), json!(period));
    }
    match expires {
        Change::Keep => {}
        Change::Set(at) => {
            body.insert("expiresAt".into(), json!(expires_at(at)));
        }
        Change::Clear => {
            body.insert("expiresAt".into(), Value::Null);
        }
    }
    if !models.is_keep() {
        return Err(unsupported(
            "--models",
            "Venice keys have no model allow-list; it supports --limit, --limit-diem, --limit-vcu, --reset, --expires, --name and --privacy (all, private-text or private-only models)",
        ));
    }
    if let Some(n) = name {
        let len = n.chars().count();
        if len > MAX_DESCRIPTION {
            return Err(Error::usage(format!(
                "Venice key descriptions are at most {MAX_DESCRIPTION} characters; --name has {len} \
                 (nothing was sent)"
            )));
        }
        body.insert("description".into(), json!(n));
    }
    if let Some(d) = disabled {
        return Err(unsupported(
            if *d { "--disable" } else { "--enable" },
            "Venice keys cannot be disabled or enabled through the update API; end the key with --expires, or stop its spending with --limit 0 --limit-diem 0 --limit-vcu 0",
        ));
    }
    if include_byok_in_limit.is_some() {
        return Err(unsupported(
            "--include-byok-in-limit",
            "Venice has no BYOK setting",
        ));
    }
    if let Some(p) = privacy {
        let v = match p {
            Privacy::All => "ALL",
            Privacy::PrivateText => "PRIVATE_TEXT",
            Privacy::PrivateOnly => "PRIVATE_ONLY",
        };
        body.insert("modelPrivacy".into(), json!(v));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::venice::Venice;
    use crate::provider::{Adapter, BaseUrl, ProviderKind};

    const KEY: &str = "e28e82dc-9df2-4b47-b726-d0a222ef2ab5";

    fn info() -> &'static crate::provider::Info {
        ProviderKind::Venice.info()
    }

    fn req(p: Patch) -> Value {
        let base = BaseUrl::parse("https://api.venice.ai").unwrap();
        let r = Venice.build_update(info(), &base, KEY, &p).unwrap();
        assert_eq!(r.url, "https://api.venice.ai/api/v1/api_keys");
        r.body.unwrap()
    }

    #[test]
    fn id_travels_in_body_and_limits_nest() {
        let b = req(Patch {
            limit: Change::Set("50".parse().unwrap()),
            limit_diem: Change::Set("10".parse().unwrap()),
            limit_vcu: Change::Set("30".parse().unwrap()),
            ..Default::default()
        });
        assert_eq!(
            b,
            json!({"id": KEY, "consumptionLimit": {"usd": 50, "diem": 10, "vcu": 30}})
        );
        let b = req(Patch {
            limit_diem: Change::Set("2.5".parse().unwrap()),
            ..Default::default()
        });
        assert_eq!(b, json!({"id": KEY, "consumptionLimit": {"diem": 2.5}}));
    }

    #[test]
    fn periods() {
        for (r, s) in [
            (Reset::Daily, "EPOCH"),
            (Reset::Monthly, "MONTH"),
            (Reset::Never, "LIFETIME"),
        ] {
            assert_eq!(
                req(Patch {
                    reset: Some(r),
                    ..Default::default()
                }),
                json!({"id": KEY, "limitPeriod": s})
            );
        }
        for r in [Reset::EightHours, Reset::Weekly] {
            let e = build_body(&Patch {
                reset: Some(r),
                ..Default::default()
            })
            .unwrap_err();
            assert!(e.to_string().contains("Venice") && e.to_string().contains(r.as_str()));
        }
    }

    #[test]
    fn expiry_set_and_explicit_null() {
        let at = "2027-03-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            req(Patch {
                expires: Change::Set(at),
                ..Default::default()
            }),
            json!({"id": KEY, "expiresAt": "2027-03-01T00:00:00Z"})
        );
        let b = req(Patch {
            expires: Change::Clear,
            ..Default::default()
        });
        assert_eq!(b, json!({"id": KEY, "expiresAt": null}));
    }

    #[test]
    fn name_is_description() {
        assert_eq!(
            req(Patch {
                name: Some("d".into()),
                ..Default::default()
            }),
            json!({"id": KEY, "description": "d"})
        );
    }

    #[test]
    fn unsupported() {
        let cases = [
            (
                Patch {
                    models: Change::Set(vec!["m".into()]),
                    ..Default::default()
                },
                "--models",
            ),
            (
                Patch {
                    models: Change::Clear,
                    ..Default::default()
                },
                "--models",
            ),
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
        ];
        for (p, flag) in cases {
            let e = build_body(&p).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(
                e.to_string().contains("Venice") && e.to_string().contains(flag),
                "{e}"
            );
        }
    }

    #[test]
    fn published_spec_bounds() {
        let at = |s: &str| Change::Set(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        for (given, sent) in [
            ("2030-06-01T12:30:45.123456Z", "2030-06-01T12:30:45.123Z"),
            ("2030-06-01T12:30:45.1Z", "2030-06-01T12:30:45.100Z"),
            ("2030-06-01T12:30:45+02:00", "2030-06-01T10:30:45Z"),
        ] {
            let b = req(Patch {
                expires: at(given),
                ..Default::default()
            });
            assert_eq!(b["expiresAt"], sent, "{given}");
        }
        let ok = |p: Patch| build_body(&p).is_ok();
        let name = |n: usize| Patch {
            name: Some("é".repeat(n)),
            ..Default::default()
        };
        assert!(ok(name(64)));
        assert_eq!(build_body(&name(65)).unwrap_err().exit_code(), 2);
        for (v, good) in [
            ("9999999999", true),
            ("9999999999.5", false),
            ("10000000000", false),
        ] {
            for p in [
                Patch {
                    limit: Change::Set(v.parse().unwrap()),
                    ..Default::default()
                },
                Patch {
                    limit_diem: Change::Set(v.parse().unwrap()),
                    ..Default::default()
                },
                Patch {
                    limit_vcu: Change::Set(v.parse().unwrap()),
                    ..Default::default()
                },
            ] {
                assert_eq!(ok(p), good, "{v}");
            }
        }
    }

    #[test]
    fn none_is_null_per_currency() {
        let b = req(Patch {
            limit: Change::Clear,
            limit_diem: Change::Clear,
            limit_vcu: Change::Set("3".parse().unwrap()),
            ..Default::default()
        });
        assert_eq!(
            b,
            json!({"id": KEY, "consumptionLimit": {"usd": null, "diem": null, "vcu": 3}})
        );
    }
}
