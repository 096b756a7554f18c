//! ModelGates and novapai, one API shape: `PATCH /api/v1/keys/{hash}` with a management key as
//! `Authorization: Bearer`. Omitted fields stay; `limit: null` / `limit_reset: null` clear them.

use serde_json::{Map, Value, json};

use super::{AuthScheme, BaseUrl, KeyView, ProviderKind, Request};
use crate::error::{Error, Result};
use crate::patch::{Change, Patch, Reset};

fn unsupported(p: ProviderKind, flag: &str, instead: &str) -> Error {
    Error::Unsupported {
        provider: p.display_name(),
        flag: flag.into(),
        instead: instead.into(),
    }
}

/// Maps the normalized patch onto the ModelGates/novapai update body.
pub fn build_body(p: ProviderKind, patch: &Patch) -> Result<Value> {
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
    } = patch;
    let mut body = Map::new();
    match limit {
        Change::Keep => {}
        Change::Set(a) => {
            body.insert("limit".into(), a.to_json());
        }
        Change::Clear => {
            body.insert("limit".into(), Value::Null);
        }
    }
    match reset {
        None => {}
        Some(Reset::EightHours) => {
            return Err(unsupported(
                p,
                "--reset 8h",
                "limits reset daily, weekly or monthly (at midnight UTC), or never",
            ));
        }
        Some(Reset::Never) => {
            body.insert("limit_reset".into(), Value::Null);
        }
        Some(r) => {
            body.insert("limit_reset".into(), json!(r.as_str()));
        }
    }
    if !expires.is_keep() {
        return Err(unsupported(
            p,
            "--expires",
            "a key's expiry is fixed when it is created; create a new key to change it, or --disable this one",
        ));
    }
    if !models.is_keep() {
        return Err(unsupported(
            p,
            "--models",
            "keys have no model allow-list here; it supports --limit, --reset, --name, --disable/--enable and --include-byok-in-limit",
        ));
    }
    if let Some(n) = name {
        body.insert("name".into(), json!(n));
    }
    if let Some(d) = disabled {
        body.insert("disabled".into(), json!(d));
    }
    if let Some(b) = include_byok_in_limit {
        body.insert("include_byok_in_limit".into(), json!(b));
    }
    if !limit_diem.is_keep() {
        return Err(unsupported(
            p,
            "--limit-diem",
            "limits are in USD; use --limit",
        ));
    }
    if !limit_vcu.is_keep() {
        return Err(unsupported(
            p,
            "--limit-vcu",
            "limits are in USD; use --limit",
        ));
    }
    Ok(Value::Object(body))
}

pub fn build_update(p: ProviderKind, base: &BaseUrl, key: &str, patch: &Patch) -> Result<Request> {
    super::check_path_key(p, key)?;
    let body = build_body(p, patch)?;
    let url = base.join(&["api", "v1", "keys", key])?;
    Ok(Request::patch(url, AuthScheme::Bearer, body))
}

/// Keys per page of `GET /api/v1/keys`.
pub const PAGE: usize = 100;

/// `GET /api/v1/keys/{hash}`.
pub fn build_get(p: ProviderKind, base: &BaseUrl, key: &str) -> Result<Request> {
    super::check_path_key(p, key)?;
    Ok(Request::get(
        base.join(&["api", "v1", "keys", key])?,
        AuthScheme::Bearer,
    ))
}

/// `GET /api/v1/keys?offset=N[&include_disabled=true]`.
pub fn build_list(base: &BaseUrl, offset: usize, include_disabled: bool) -> Result<Request> {
    let mut url = base.join(&["api", "v1", "keys"])?;
    url.push_str(&format!("?offset={offset}"));
    if include_disabled {
        url.push_str("&include_disabled=true");
    }
    Ok(Request::get(url, AuthScheme::Bearer))
}

/// `{"data": [key...]}`.
pub fn parse_list(p: ProviderKind, body: &[u8]) -> Result<Vec<KeyView>> {
    super::data_list(p, body, key_view)
}

/// `{"data": key}` into the normalized view.
pub fn parse_update(p: ProviderKind, body: &[u8]) -> Result<KeyView> {
    let v = super::parse_json(p, body)?;
    match v.get("data") {
        Some(data @ Value::Object(_)) => Ok(key_view(data)),
        _ => Err(super::unexpected_shape(p, "no `data` object", body)),
    }
}

/// One ModelGates/novapai key object, normalized.
pub fn key_view(data: &Value) -> KeyView {
    use super::{num_field, str_field};
    KeyView {
        id: str_field(data, "hash"),
        name: str_field(data, "name").or_else(|| str_field(data, "label")),
        disabled: data.get("disabled").and_then(Value::as_bool),
        limit: match data.get("limit") {
            Some(Value::Null) => Some(json!("none")),
            _ => num_field(data, "limit"),
        },
        remaining: num_field(data, "limit_remaining"),
        usage: num_field(data, "usage"),
        reset: match data.get("limit_reset") {
            Some(Value::Null) => Some("never".into()),
            _ => str_field(data, "limit_reset"),
        },
        expires: match data.get("expires_at") {
            Some(Value::Null) => Some("never".into()),
            _ => str_field(data, "expires_at"),
        },
        models: None,
        created: str_field(data, "created_at"),
        updated: str_field(data, "updated_at"),
        raw: data.clone(),
    }
}

/// `{"error":{"code":400,"message":"..."}}` (tolerating a plain string `error`).
pub fn error_message(body: &Value) -> Option<String> {
    match body.get("error")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(e) => {
            let msg = e.get("message").and_then(Value::as_str)?;
            Some(match e.get("code").and_then(Value::as_i64) {
                Some(code) => format!("{msg} (code {code})"),
                None => msg.to_string(),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MG: ProviderKind = ProviderKind::ModelGates;

    fn body(p: Patch) -> Value {
        build_body(MG, &p).unwrap()
    }

    #[test]
    fn limit_set_and_clear_is_explicit_null() {
        let b = body(Patch {
            limit: Change::Set("75".parse().unwrap()),
            ..Default::default()
        });
        assert_eq!(b, json!({"limit": 75}));
        let b = body(Patch {
            limit: Change::Clear,
            ..Default::default()
        });
        assert_eq!(b, json!({"limit": null}));
        assert!(b.as_object().unwrap().contains_key("limit"));
    }

    #[test]
    fn resets() {
        for (r, want) in [
            (Reset::Daily, json!("daily")),
            (Reset::Weekly, json!("weekly")),
            (Reset::Monthly, json!("monthly")),
            (Reset::Never, Value::Null),
        ] {
            let b = body(Patch {
                reset: Some(r),
                ..Default::default()
            });
            assert_eq!(b, json!({ "limit_reset": want }));
        }
        let e = build_body(
            MG,
            &Patch {
                reset: Some(Reset::EightHours),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("ModelGates") && e.to_string().contains("--reset 8h"));
    }

    #[test]
    fn name_disable_enable_byok() {
        assert_eq!(
            body(Patch {
                name: Some("n".into()),
                disabled: Some(true),
                include_byok_in_limit: Some(false),
                ..Default::default()
            }),
            json!({"name": "n", "disabled": true, "include_byok_in_limit": false})
        );
        assert_eq!(
            body(Patch {
                disabled: Some(false),
                ..Default::default()
            }),
            json!({"disabled": false})
        );
    }

    #[test]
    fn unsupported_flags_name_provider_and_flag() {
        let at = "2030-01-01T00:00:00Z".parse().unwrap();
        let cases = [
            (
                Patch {
                    expires: Change::Set(at),
                    ..Default::default()
                },
                "--expires",
            ),
            (
                Patch {
                    expires: Change::Clear,
                    ..Default::default()
                },
                "--expires",
            ),
            (
                Patch {
                    models: Change::Set(vec!["a".into()]),
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
                    limit_diem: Change::Set("1".parse().unwrap()),
                    ..Default::default()
                },
                "--limit-diem",
            ),
            (
                Patch {
                    limit_vcu: Change::Set("1".parse().unwrap()),
                    ..Default::default()
                },
                "--limit-vcu",
            ),
        ];
        for prov in [ProviderKind::ModelGates, ProviderKind::Novapai] {
            for (p, flag) in &cases {
                let e = build_body(prov, p).unwrap_err();
                assert_eq!(e.exit_code(), 2);
                let m = e.to_string();
                assert!(m.contains(prov.display_name()) && m.contains(flag), "{m}");
            }
        }
    }

    #[test]
    fn path_is_one_encoded_segment() {
        let base = BaseUrl::parse("https://novapai.ai").unwrap();
        let p = Patch {
            name: Some("x".into()),
            ..Default::default()
        };
        let r = build_update(ProviderKind::Novapai, &base, "ab/../c d", &p).unwrap();
        assert_eq!(r.url, "https://novapai.ai/api/v1/keys/ab%2F..%2Fc%20d");
        assert_eq!(r.auth, AuthScheme::Bearer);
        assert!(build_update(ProviderKind::Novapai, &base, "..", &p).is_err());
    }

    #[test]
    fn success_and_error_bodies() {
        let v = parse_update(
            MG,
            br#"{"data":{"hash":"h","name":"n","limit":null,"limit_reset":null,"disabled":false}}"#,
        )
        .unwrap();
        assert_eq!(v.id.as_deref(), Some("h"));
        assert_eq!(v.limit, Some(json!("none")));
        assert_eq!(v.reset.as_deref(), Some("never"));
        assert_eq!(
            parse_update(MG, br#"{"nodata":1}"#)
                .unwrap_err()
                .exit_code(),
            7
        );
        assert_eq!(parse_update(MG, b"").unwrap_err().exit_code(), 7);
        assert_eq!(
            error_message(&json!({"error":{"code":404,"message":"Key not found"}})).unwrap(),
            "Key not found (code 404)"
        );
        assert_eq!(error_message(&json!({"error":"boom"})).unwrap(), "boom");
        assert_eq!(error_message(&json!({"error":{"code":"x"}})), None);
    }
}
