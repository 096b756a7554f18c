//! The OpenRouter-style key API that ModelGates, novapai and OpenRouter share (one adapter, one
//! info row each): `PATCH /api/v1/keys/{hash}` with a management key as `Authorization: Bearer`.
//! Omitted fields stay; `limit: null` / `limit_reset: null` clear them.

use serde_json::{Map, Value, json};

use super::{Adapter, BaseUrl, Info};
use crate::error::Result;
use crate::key::{self, Key, Known};
use crate::newkey::NewKey;
use crate::patch::{Change, Patch, Reset, rfc3339};
use crate::request::Request;

/// The adapter of every OpenRouter-style provider.
pub struct Gates;

/// Maps the normalized patch onto the ModelGates/novapai update body.
pub fn build_body(p: &Info, patch: &Patch) -> Result<Value> {
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
            body.insert("limit".into(), a.to_json());
        }
        Change::Clear => {
            body.insert("limit".into(), Value::Null);
        }
    }
    match reset {
        None => {}
        Some(Reset::EightHours) => {
            return Err(p.unsupported(
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
        return Err(p.unsupported(
            "--expires",
            "a key's expiry is fixed when it is created; create a new key to change it, or --disable this one",
        ));
    }
    if !models.is_keep() {
        return Err(p.unsupported(
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
        return Err(p.unsupported("--limit-diem", "limits are in USD; use --limit"));
    }
    if !limit_vcu.is_keep() {
        return Err(p.unsupported("--limit-vcu", "limits are in USD; use --limit"));
    }
    if privacy.is_some() {
        return Err(p.unsupported(
            "--privacy",
            "keys have no model-privacy setting here (that is Venice's modelPrivacy); it supports --limit, --reset, --name, --disable/--enable and --include-byok-in-limit",
        ));
    }
    Ok(Value::Object(body))
}

impl Adapter for Gates {
    fn build_update(&self, p: &Info, base: &BaseUrl, key: &str, patch: &Patch) -> Result<Request> {
        super::check_path_key(p, key)?;
        let body = build_body(p, patch)?;
        let url = base.join(&["api", "v1", "keys", key])?;
        Ok(Request::patch(url, p.auth, body))
    }

    /// `{"data": key}` into the normalized view. A cap sent that the answer shows as something
    /// keyctl cannot read (out of range, not a number) is exit 7, not the value sent.
    fn parse_update(&self, p: &Info, _key: &str, sent: &Value, body: &[u8]) -> Result<Key> {
        let v = super::read::parse_json(p, body)?;
        match v.get("data") {
            Some(data @ Value::Object(_)) => {
                if sent.get("limit").is_some()
                    && let Some(what) = unreadable_cap(data, "limit")
                {
                    return Err(unreadable_answer(p, &what));
                }
                Ok(key_view(p, data))
            }
            _ => Err(super::read::unexpected_shape(p, "no `data` object", body)),
        }
    }

    /// `GET /api/v1/keys/{hash}`.
    fn build_get(&self, p: &Info, base: &BaseUrl, key: &str) -> Result<Request> {
        super::check_path_key(p, key)?;
        Ok(Request::get(
            base.join(&["api", "v1", "keys", key])?,
            p.auth,
        ))
    }

    fn parse_get(&self, p: &Info, key: &str, body: &[u8]) -> Result<Key> {
        self.parse_update(p, key, &Value::Null, body)
    }

    /// `GET /api/v1/keys?offset=N[&include_disabled=true][&workspace_id=UUID]`: without a
    /// workspace, OpenRouter lists only its default workspace's keys (its document's `GET /keys`
    /// query parameter; escaped, though a checked UUID needs none).
    fn build_list(
        &self,
        p: &Info,
        base: &BaseUrl,
        offset: usize,
        include_disabled: bool,
    ) -> Result<Request> {
        let mut url = base.join(&["api", "v1", "keys"])?;
        url.push_str(&format!("?offset={offset}"));
        if include_disabled {
            url.push_str("&include_disabled=true");
        }
        if let Some(ws) = base.workspace() {
            url.push_str("&workspace_id=");
            url.extend(url::form_urlencoded::byte_serialize(ws.as_str().as_bytes()));
        }
        Ok(Request::get(url, p.auth))
    }

    /// `{"data": [key...]}`.
    fn parse_list(&self, p: &Info, body: &[u8]) -> Result<super::Page> {
        super::read::data_list(p, body, key_view)
    }

    fn error_message(&self, body: &Value) -> Option<String> {
        error_message(body)
    }

    /// `GET /api/v1/key`, which any key may call (the workspace does not scope it).
    fn build_auth_check(&self, p: &Info, base: &BaseUrl) -> Result<Request> {
        Ok(Request::get(base.join(&["api", "v1", "key"])?, p.auth))
    }

    fn read_auth_check(
        &self,
        v: &Value,
        body: &[u8],
    ) -> std::result::Result<Option<String>, String> {
        management_key(v, body)
    }

    /// `POST /api/v1/keys` with `name` and the settings; the expiry, fixed from then on, is
    /// `expires_at` in UTC (`null` for none); the workspace, if given, is the body's
    /// `workspace_id` (OpenRouter's document: a body field, not a query parameter).
    fn build_create(&self, p: &Info, base: &BaseUrl, new: &NewKey) -> Result<Request> {
        if let Some(t) = new.kind {
            return Err(p.unsupported(
                &format!("--type {}", t.as_str()),
                "its keys have no type to choose (management keys are made in its dashboard)",
            ));
        }
        let settings = Patch {
            expires: Change::Keep,
            name: None,
            ..new.settings.clone()
        };
        let mut body = Map::new();
        body.insert("name".into(), json!(new.name));
        if let Value::Object(rest) = build_body(p, &settings)? {
            body.extend(rest);
        }
        match &new.settings.expires {
            Change::Keep => {}
            Change::Set(at) => {
                body.insert("expires_at".into(), json!(rfc3339(at)));
            }
            Change::Clear => {
                body.insert("expires_at".into(), Value::Null);
            }
        }
        if let Some(ws) = base.workspace() {
            body.insert("workspace_id".into(), json!(ws.as_str()));
        }
        let url = base.join(&["api", "v1", "keys"])?;
        Ok(Request::post(url, p.auth, Value::Object(body)))
    }

    /// `{"data": key, "key": "sk-…"}`: the secret is the top-level `key` (OpenRouter's spec,
    /// novapai's example); `data.key` (OpenRouter's cookbook) is read too.
    fn parse_create(&self, p: &Info, body: &[u8]) -> Result<super::Created> {
        let mut v = super::read::parse_created_json(p, body)?;
        let top = super::read::take_secret(&mut v, "key");
        let Some(data) = v.get_mut("data").filter(|d| d.is_object()) else {
            // The secret without the key's data: the secret is what must not be lost.
            return match top {
                Some(secret) => Ok(super::Created {
                    key: Key::unread(p.id, "", p.unit),
                    secret: Some(secret),
                }),
                None => Err(created_without(p, "a `data` object")),
            };
        };
        let inner = super::read::take_secret(data, "key");
        Ok(super::Created {
            key: key_view(p, data),
            secret: top.or(inner),
        })
    }

    /// `DELETE /api/v1/keys/{hash}` (answered `{"deleted": true}`).
    fn build_delete(&self, p: &Info, base: &BaseUrl, key: &str) -> Result<Request> {
        super::check_path_key(p, key)?;
        Ok(Request::delete(
            base.join(&["api", "v1", "keys", key])?,
            p.auth,
        ))
    }
}

/// A create answer without the part that names the key (its body is not quoted: it may hold
/// the secret).
pub fn created_without(p: &Info, what: &str) -> crate::error::Error {
    crate::error::Error::Provider {
        provider: p.name,
        status: None,
        message: format!(
            "the create was answered with success but without {what} (the answer is not shown: \
             it may hold a secret)"
        ),
    }
}

/// What a success answer shows for a cap the update set, when keyctl cannot read it as
/// [`key::money_field`] does: `None` when the answer leaves it out or shows `null` or an amount;
/// else `NAME is WHAT, not a number >= 0 or null` (an out-of-range, negative or non-numeric
/// value), for [`unreadable_answer`]: keyctl will not show what it sent as what the key now has.
pub fn unreadable_cap(v: &Value, name: &str) -> Option<String> {
    match v.get(name)? {
        Value::Null => None,
        _ if key::money_field(v, name).is_known() => None,
        other => Some(format!(
            "{name} is {}, not a number >= 0 or null",
            crate::text::describe(other)
        )),
    }
}

/// A success answer to an update that shows a field the update set as something keyctl cannot
/// read (`what`: the field and what it is): exit 7. The change was most likely applied (the
/// caller reports it as unknown); its result is not shown as the value sent.
pub fn unreadable_answer(p: &Info, what: &str) -> crate::error::Error {
    crate::error::Error::Provider {
        provider: p.name,
        status: None,
        message: format!(
            "the update was answered with success, but the answer's {what}, so keyctl cannot \
             tell what the key now has"
        ),
    }
}

/// Keys per page of `GET /api/v1/keys`.
pub const PAGE: usize = 100;

/// One OpenRouter-style key object, normalized. `usage` is the counter of the key's reset
/// period (`usage_daily`, `usage_weekly`, `usage_monthly`, or lifetime `usage` when the limit
/// never resets); `usage_total` is lifetime `usage`.
pub fn key_view(p: &Info, data: &Value) -> Key {
    use key::{bool_field, figure_field, money_field, text_field, time_field};
    let reset = match data.get("limit_reset") {
        Some(Value::Null) => Known::Value(Reset::Never),
        Some(Value::String(s)) => Known::or_unknown(key::reset_word(s)),
        _ => Known::Unknown,
    };
    let usage_total = money_field(data, "usage");
    let usage = match reset {
        Known::Value(Reset::Daily) => money_field(data, "usage_daily"),
        Known::Value(Reset::Weekly) => money_field(data, "usage_weekly"),
        Known::Value(Reset::Monthly) => money_field(data, "usage_monthly"),
        Known::Value(Reset::Never) => usage_total,
        _ => Known::Unknown,
    };
    let limit = money_field(data, "limit");
    let remaining = key::remaining_or(figure_field(data, "limit_remaining"), &limit, &usage);
    let text = |n: &str| text_field(data, n).without_null();
    let blocking = key::blocked_by_remaining(data, &limit, p.unit);
    Key {
        provider: p.id,
        id: text("hash").into_value().unwrap_or_default(),
        // Only `name`: `label` can be the masked secret (`sk-or-v1-0e6...1c96` in OpenRouter's
        // list example), so it is never shown as the name (it stays in `raw`).
        name: text("name"),
        disabled: bool_field(data, "disabled"),
        blocked: blocking.state,
        blocked_why: blocking.why,
        limit,
        unit: p.unit,
        limits: Known::Null,
        reset,
        usage,
        remaining,
        usage_total,
        expires: time_field(data, "expires_at"),
        created: time_field(data, "created_at"),
        updated: time_field(data, "updated_at"),
        last_used: Known::Unknown,
        models: Known::Null,
        privacy: Known::Null,
        include_byok_in_limit: bool_field(data, "include_byok_in_limit"),
        raw: data.clone(),
        conflicts: Vec::new(),
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

/// `GET /api/v1/key`: `{"data": {..., "is_management_key": bool, "is_provisioning_key": bool}}`.
/// `Ok(None)`: a readable answer for a key that is not a management key.
fn management_key(v: &Value, body: &[u8]) -> std::result::Result<Option<String>, String> {
    let Some(data) = v.get("data").filter(|d| d.is_object()) else {
        return Err(format!(
            "the answer has no `data` object (expected the current key): {}",
            super::auth::quote(body)
        ));
    };
    if flag(data, "is_management_key")? == Some(true) {
        return Ok(Some("management key".into()));
    }
    if flag(data, "is_provisioning_key")? == Some(true) {
        return Ok(Some(
            "management key (reported through the deprecated is_provisioning_key)".into(),
        ));
    }
    Ok(None)
}

/// A boolean field of `data`: absent or null is None; anything but a boolean is an error.
fn flag(data: &Value, name: &str) -> std::result::Result<Option<bool>, String> {
    match data.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!(
            "`data.{name}` is {}, not true or false",
            crate::text::describe(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::ProviderKind;
    use crate::request::AuthScheme;

    fn mg() -> &'static Info {
        ProviderKind::ModelGates.info()
    }

    fn parse_update(p: &Info, body: &[u8]) -> Result<Key> {
        Gates.parse_update(p, "k", &Value::Null, body)
    }

    fn body(p: Patch) -> Value {
        build_body(mg(), &p).unwrap()
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
            mg(),
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
            (
                Patch {
                    privacy: Some(crate::patch::Privacy::PrivateOnly),
                    ..Default::default()
                },
                "--privacy",
            ),
        ];
        for prov in [
            ProviderKind::ModelGates,
            ProviderKind::Novapai,
            ProviderKind::OpenRouter,
        ] {
            let prov = prov.info();
            for (p, flag) in &cases {
                let e = build_body(prov, p).unwrap_err();
                assert_eq!(e.exit_code(), 2);
                let m = e.to_string();
                assert!(m.contains(prov.name) && m.contains(flag), "{m}");
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
        let nv = ProviderKind::Novapai.info();
        let r = Gates.build_update(nv, &base, "ab/../c d", &p).unwrap();
        assert_eq!(r.url, "https://novapai.ai/api/v1/keys/ab%2F..%2Fc%20d");
        assert_eq!(r.auth, AuthScheme::Bearer);
        assert!(Gates.build_update(nv, &base, "..", &p).is_err());
    }

    #[test]
    fn unreadable_caps_are_named() {
        for (odd, what) in [
            // (serde_json writes the exponent's sign.)
            ("1e400", "a number (1e+400)"),
            ("\"abc\"", "a string (\"abc\")"),
            ("-5", "a number (-5)"),
            ("true", "a boolean (true)"),
            ("{}", "an object ({})"),
        ] {
            let v: Value = serde_json::from_str(&format!(r#"{{"limit": {odd}}}"#)).unwrap();
            assert_eq!(
                unreadable_cap(&v, "limit"),
                Some(format!("limit is {what}, not a number >= 0 or null")),
                "{odd}"
            );
        }
        for fine in [
            json!({}),
            json!({"limit": null}),
            json!({"limit": "2.5"}),
            json!({"limit": 0}),
        ] {
            assert_eq!(unreadable_cap(&fine, "limit"), None, "{fine}");
        }
    }

    #[test]
    fn an_answer_showing_the_limit_sent_as_unreadable_is_exit_7() {
        let sent = json!({"limit": 75});
        for odd in ["1e400", "\"abc\"", "-5", "true", "{}"] {
            let body = format!(r#"{{"data":{{"hash":"h","limit":{odd}}}}}"#);
            let e = Gates
                .parse_update(mg(), "h", &sent, body.as_bytes())
                .unwrap_err();
            assert_eq!((e.exit_code(), e.kind()), (7, "provider"), "{odd}: {e}");
            assert!(e.to_string().contains("the answer's limit is"), "{e}");
        }
        // A readable limit, none, or a limit the update did not set: the key as answered.
        for (sent, body) in [
            (&sent, &br#"{"data":{"hash":"h","limit":75}}"#[..]),
            (&sent, br#"{"data":{"hash":"h","limit":null}}"#),
            (&sent, br#"{"data":{"hash":"h"}}"#),
            (
                &json!({"name": "n"}),
                br#"{"data":{"hash":"h","limit":1e400}}"#,
            ),
        ] {
            assert!(Gates.parse_update(mg(), "h", sent, body).is_ok(), "{sent}");
        }
    }

    #[test]
    fn success_and_error_bodies() {
        let v = parse_update(
            mg(),
            br#"{"data":{"hash":"h","name":"n","limit":null,"limit_reset":null,"disabled":false}}"#,
        )
        .unwrap();
        assert_eq!(v.id, "h");
        assert_eq!(v.limit, Known::Null);
        assert_eq!(v.reset, Known::Value(Reset::Never));
        assert_eq!(v.remaining, Known::Null);
        assert_eq!(
            parse_update(mg(), br#"{"nodata":1}"#)
                .unwrap_err()
                .exit_code(),
            7
        );
        assert_eq!(parse_update(mg(), b"").unwrap_err().exit_code(), 7);
        assert_eq!(
            error_message(&json!({"error":{"code":404,"message":"Key not found"}})).unwrap(),
            "Key not found (code 404)"
        );
        assert_eq!(error_message(&json!({"error":"boom"})).unwrap(), "boom");
        let page = Gates
            .parse_list(
                mg(),
                br#"{"data":[{"hash":"a","name":"x","limit":5},{"hash":"b"}]}"#,
            )
            .unwrap();
        assert_eq!(page.entries, 2);
        assert_eq!(page.keys[0].name, Known::Value("x".into()));
        assert_eq!(page.keys[1].id, "b");
        assert_eq!(error_message(&json!({"error":{"code":"x"}})), None);
    }
}
