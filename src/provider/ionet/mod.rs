//! io.net IO Intelligence: `PATCH /v1/api-keys/sub-keys/{key_id}` (key id a UUID), admin key in
//! `x-api-key`. Omitted and `null` fields are left unchanged; success carries no key data.

use serde_json::{Map, Value};

mod body;

use super::{Adapter, BaseUrl, Info};
use crate::error::{Error, Result};
use crate::key::{self, Key, Known};
use crate::newkey::NewKey;
use crate::patch::{Change, Patch};
use crate::request::Request;

/// The io.net adapter.
pub struct Ionet;

use body::unsupported;
pub use body::{build_body, check_key};

impl Adapter for Ionet {
    fn build_update(&self, p: &Info, base: &BaseUrl, key: &str, patch: &Patch) -> Result<Request> {
        let id = check_key(key)?;
        let body = build_body(patch)?;
        let url = base.join(&["v1", "api-keys", "sub-keys", &id])?;
        Ok(Request::patch(url, p.auth, body))
    }

    /// io.net answers `{"status":"succeeded"}` and no key data: the key shows what was set
    /// (the run completes it from the state read before, when there was one).
    fn parse_update(&self, p: &Info, key: &str, sent: &Value, body: &[u8]) -> Result<Key> {
        let v = super::read::parse_json(p, body)?;
        if v.get("status").and_then(Value::as_str) != Some("succeeded") {
            return Err(super::read::unexpected_shape(
                p,
                "expected {\"status\":\"succeeded\"}",
                body,
            ));
        }
        // io.net documents no key data here; an answer that does show the cap sent, as
        // something keyctl cannot read, is not taken for the value sent.
        if sent.get("credit_limit").is_some()
            && let Some(what) = [v.get("data").unwrap_or(&Value::Null), &v]
                .into_iter()
                .find_map(|d| super::gates::unreadable_cap(d, "credit_limit"))
        {
            return Err(super::gates::unreadable_answer(p, &what));
        }
        let mut k = Key::unread(
            p.id,
            &check_key(key).unwrap_or_else(|_| key.to_string()),
            p.unit,
        );
        k.name = key::text_field(sent, "description").without_null();
        k.limit = key::money_field(sent, "credit_limit").without_null();
        k.reset = reset_of(sent);
        k.expires = match sent.get("expires_at") {
            Some(Value::String(s)) if s == "never" => Known::Null,
            _ => key::time_field(sent, "expires_at").without_null(),
        };
        k.models = key::models_of(sent, "allowed_models");
        k.raw = v;
        Ok(k)
    }

    /// `GET /v1/api-keys/sub-keys/{key_id}/usage`: the only single-key read io.net has.
    fn build_get(&self, p: &Info, base: &BaseUrl, key: &str) -> Result<Request> {
        let id = check_key(key)?;
        let url = base.join(&["v1", "api-keys", "sub-keys", &id, "usage"])?;
        Ok(Request::get(url, p.auth))
    }

    /// The usage answer (`{credit_used, credit_limit, remaining_credit, credit_refresh_cycle}`,
    /// possibly under `data`) as a partial key; the list entry completes it.
    fn parse_get(&self, p: &Info, key: &str, body: &[u8]) -> Result<Key> {
        let v = super::read::parse_json(p, body)?;
        let d = match v.get("data") {
            Some(d @ Value::Object(_)) => d,
            _ => &v,
        };
        if !d.is_object() {
            return Err(super::read::unexpected_shape(
                p,
                "usage is not an object",
                body,
            ));
        }
        let mut k = Key::unread(
            p.id,
            &check_key(key).unwrap_or_else(|_| key.to_string()),
            p.unit,
        );
        k.limit = key::money_field(d, "credit_limit");
        k.usage = key::money_field(d, "credit_used");
        k.remaining =
            key::remaining_or(key::figure_field(d, "remaining_credit"), &k.limit, &k.usage);
        k.set_blocked(key::blocked_by_usage(&k.limit, &k.usage, p.unit));
        k.reset = reset_of(d);
        k.raw = d.clone();
        unreadable_settings(&mut k, d, "the usage read");
        Ok(k)
    }

    /// `GET /v1/api-keys/sub-keys`: every active sub-key, no pagination.
    fn build_list(&self, p: &Info, base: &BaseUrl, _offset: usize, _all: bool) -> Result<Request> {
        let url = base.join(&["v1", "api-keys", "sub-keys"])?;
        Ok(Request::get(url, p.auth))
    }

    /// `{status, data: [sub-key...]}` into views.
    /// `{"status":"succeeded","data":[...]}`: another `status` is a failed read, not an empty
    /// list (a `check` would otherwise report all clear).
    fn parse_list(&self, p: &Info, body: &[u8]) -> Result<super::Page> {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        if let Some(status) = v.get("status")
            && status.as_str() != Some("succeeded")
        {
            return Err(Error::Provider {
                provider: p.name,
                status: None,
                message: format!(
                    "the key list was answered with status {}, not \"succeeded\"",
                    crate::text::describe(status)
                ),
            });
        }
        super::read::data_list(p, body, list_view)
    }

    fn error_message(&self, body: &Value) -> Option<String> {
        error_message(body)
    }

    fn get_completes_from_list(&self) -> bool {
        true
    }

    /// `POST /v1/api-keys/sub-keys`: `description` and the settings. Unlike an update, no cap
    /// is `credit_limit: null`; every model is the field left out; no expiry is `"never"`
    /// (left out, io.net sets 180 days).
    fn build_create(&self, p: &Info, base: &BaseUrl, new: &NewKey) -> Result<Request> {
        if let Some(t) = new.kind {
            return Err(unsupported(
                &format!("--type {}", t.as_str()),
                "sub-keys have one type (inference); the admin key is made in the io.net dashboard",
            ));
        }
        let s = &new.settings;
        let settings = Patch {
            limit: match s.limit {
                Change::Clear => Change::Keep,
                ref l => l.clone(),
            },
            models: match s.models {
                Change::Clear => Change::Keep,
                ref m => m.clone(),
            },
            name: Some(new.name.clone()),
            ..s.clone()
        };
        let mut body = Map::new();
        if let Value::Object(rest) = build_body(&settings)? {
            body.extend(rest);
        }
        if s.limit == Change::Clear {
            body.insert("credit_limit".into(), Value::Null);
        }
        let url = base.join(&["v1", "api-keys", "sub-keys"])?;
        Ok(Request::post(url, p.auth, Value::Object(body)))
    }

    /// `{"status":"succeeded","data":{"key_id","value",…}}`: the secret is `data.value`, the id
    /// `data.key_id` (`id` in the list).
    fn parse_create(&self, p: &Info, body: &[u8]) -> Result<super::Created> {
        let mut v = super::read::parse_created_json(p, body)?;
        let Some(data) = v.get_mut("data").filter(|d| d.is_object()) else {
            return Err(super::gates::created_without(p, "a `data` object"));
        };
        let secret = super::read::take_secret(data, "value");
        let mut k = list_view(p, data);
        if k.id.is_empty()
            && let Some(Value::String(id)) = data.get("key_id")
        {
            k.id = id.clone();
        }
        Ok(super::Created { key: k, secret })
    }

    /// io.net sets a new sub-key to expire after 180 days unless told otherwise.
    fn create_notices(&self, new: &NewKey, now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
        if !new.settings.expires.is_keep() {
            return Vec::new();
        }
        let at = now + chrono::Duration::days(180);
        vec![format!(
            "io.net: a new sub-key expires 180 days after creation unless told otherwise (about {}); \
             pass --expires never for one that does not expire, or --expires WHEN",
            at.format("%Y-%m-%d")
        )]
    }

    /// `{"status":"succeeded"}`; any other `status` fails the key (it may still be active).
    fn parse_delete(&self, p: &Info, body: &[u8]) -> Result<()> {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        match v.get("status").and_then(Value::as_str) {
            None | Some("succeeded") => Ok(()),
            Some(other) => Err(Error::Provider {
                provider: p.name,
                status: None,
                message: format!(
                    "the delete was answered with status '{}', not 'succeeded'; the key may \
                     still be active: check with keyctl get",
                    crate::text::truncate(other, 40)
                ),
            }),
        }
    }

    /// The sub-key list (`GET /v1/api-keys/sub-keys`), which answers only the admin key.
    fn build_auth_check(&self, p: &Info, base: &BaseUrl) -> Result<Request> {
        super::no_workspace_unless_supported(p, base)?;
        self.build_list(p, base, 0, false)
    }

    /// `{"status": "succeeded", "data": [...]}`: "N keys listed".
    fn read_auth_check(
        &self,
        v: &Value,
        body: &[u8],
    ) -> std::result::Result<Option<String>, String> {
        succeeded(v).and_then(|()| super::auth::listed(v, body))
    }

    /// `DELETE /v1/api-keys/sub-keys/{key_id}` (the key's expiry is set to now).
    fn build_delete(&self, p: &Info, base: &BaseUrl, key: &str) -> Result<Request> {
        let id = check_key(key)?;
        Ok(Request::delete(
            base.join(&["v1", "api-keys", "sub-keys", &id])?,
            p.auth,
        ))
    }
}

/// `credit_refresh_cycle` in the flag's words.
fn reset_of(d: &Value) -> key::Known<crate::patch::Reset> {
    match d.get("credit_refresh_cycle") {
        Some(Value::String(s)) => Known::or_unknown(key::reset_word(s)),
        _ => Known::Unknown,
    }
}

/// One sub-key of the list (`credit_used` is the current period's spend).
fn list_view(p: &Info, d: &Value) -> Key {
    let limit = key::money_field(d, "credit_limit");
    let usage = key::money_field(d, "credit_used");
    let blocking = key::blocked_by_usage(&limit, &usage, p.unit);
    let mut k = Key {
        provider: p.id,
        id: match d.get("id") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
        name: key::text_field(d, "description"),
        disabled: Known::Null,
        blocked: blocking.state,
        blocked_why: blocking.why,
        remaining: key::remaining_or(key::figure_field(d, "remaining_credit"), &limit, &usage),
        limit,
        unit: p.unit,
        limits: Known::Null,
        reset: reset_of(d),
        usage,
        usage_total: Known::Unknown,
        expires: match d.get("expires_at") {
            Some(Value::String(s)) if s.eq_ignore_ascii_case("never") => Known::Null,
            _ => key::time_field(d, "expires_at"),
        },
        created: key::time_field(d, "created_at"),
        updated: Known::Unknown,
        last_used: Known::Unknown,
        models: key::models_of(d, "allowed_models"),
        privacy: Known::Null,
        include_byok_in_limit: Known::Null,
        raw: d.clone(),
        conflicts: Vec::new(),
    };
    unreadable_settings(&mut k, d, "the key list");
    k
}

/// Notes each setting both io.net answers carry (`credit_limit`, `credit_refresh_cycle`) that
/// `d` (from `source`) shows as something keyctl cannot read, so the other answer's value does
/// not silently stand in for it when the two are merged ([`Key::fill_from`]).
fn unreadable_settings(k: &mut Key, d: &Value, source: &str) {
    for (field, name) in [("limit", "credit_limit"), ("reset", "credit_refresh_cycle")] {
        // (A `null` cycle says nothing: io.net has no "never".)
        let Some(v) = d.get(name).filter(|v| !(v.is_null() && field == "reset")) else {
            continue;
        };
        if k.field(field).is_none() {
            k.unreadable(
                field,
                format!("{source} shows {name} as {}", crate::text::describe(v)),
            );
        }
    }
}

/// FastAPI errors: `{"detail":[{"loc":[...],"msg":"...","type":"..."}]}` or `{"detail":"..."}`.
pub fn error_message(body: &Value) -> Option<String> {
    match body.get("detail")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(|it| {
                    let msg = it.get("msg")?.as_str()?;
                    let loc: Vec<String> = it
                        .get("loc")
                        .and_then(Value::as_array)
                        .map(|l| {
                            l.iter()
                                .map(|p| match p {
                                    Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Some(if loc.is_empty() {
                        msg.to_string()
                    } else {
                        format!("{}: {msg}", loc.join("."))
                    })
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => None,
    }
}

/// io.net's envelope: `status`, when present, is `succeeded`.
fn succeeded(v: &Value) -> std::result::Result<(), String> {
    match v.get("status") {
        None => Ok(()),
        Some(Value::String(s)) if s == "succeeded" => Ok(()),
        Some(other) => Err(format!(
            "the answer's `status` is {}, not \"succeeded\"",
            crate::text::describe(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::Reset;
    use serde_json::json;

    use crate::provider::ProviderKind;
    use crate::request::AuthScheme;

    const KEY: &str = "3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23";

    fn p() -> &'static Info {
        ProviderKind::Ionet.info()
    }

    fn build_update(base: &BaseUrl, key: &str, patch: &Patch) -> Result<Request> {
        Ionet.build_update(p(), base, key, patch)
    }

    fn parse_update(key: &str, sent: &Value, body: &[u8]) -> Result<Key> {
        Ionet.parse_update(p(), key, sent, body)
    }

    fn base() -> BaseUrl {
        BaseUrl::parse("https://api.intelligence.io.solutions").unwrap()
    }

    #[test]
    fn an_answer_showing_the_cap_sent_as_unreadable_is_exit_7() {
        let sent = json!({"credit_limit": 75});
        for body in [
            &br#"{"status":"succeeded","data":{"credit_limit":"abc"}}"#[..],
            br#"{"status":"succeeded","credit_limit":1e400}"#,
        ] {
            let e = parse_update(KEY, &sent, body).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{e}");
            assert!(
                e.to_string().contains("the answer's credit_limit is"),
                "{e}"
            );
        }
        // io.net's documented answer: what was sent.
        let k = parse_update(KEY, &sent, br#"{"status":"succeeded"}"#).unwrap();
        assert_eq!(k.limit, Known::Value(75.into()));
        // A cap not sent may be anything.
        let name = json!({"description": "n"});
        assert!(parse_update(KEY, &name, br#"{"status":"succeeded","credit_limit":"x"}"#).is_ok());
    }

    #[test]
    fn key_must_be_uuid_and_is_canonicalized() {
        let p = Patch {
            name: Some("x".into()),
            ..Default::default()
        };
        let r = build_update(&base(), &KEY.to_uppercase(), &p).unwrap();
        assert_eq!(
            r.url,
            format!("https://api.intelligence.io.solutions/v1/api-keys/sub-keys/{KEY}")
        );
        assert_eq!(r.auth, AuthScheme::XApiKey);
        for bad in ["", "abc", "../x", "3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a2"] {
            assert_eq!(build_update(&base(), bad, &p).unwrap_err().exit_code(), 2);
        }
    }

    #[test]
    fn success_view_shows_what_was_set() {
        let sent = json!({"credit_limit": 50, "allowed_models": [], "description": "ci",
            "credit_refresh_cycle": "daily", "expires_at": "never"});
        let v = parse_update(&KEY.to_uppercase(), &sent, br#"{"status":"succeeded"}"#).unwrap();
        assert_eq!(
            v.to_json(),
            json!({"provider": "ionet", "id": KEY, "name": "ci", "limit": 50, "unit": "credits",
                   "reset": "daily", "expires": null, "models": null,
                   "raw": {"status": "succeeded"}})
        );
        assert_eq!(
            parse_update(KEY, &sent, b"<html>").unwrap_err().exit_code(),
            7
        );
        assert_eq!(
            parse_update(KEY, &sent, br#"{"status":"failed"}"#)
                .unwrap_err()
                .exit_code(),
            7
        );
    }

    #[test]
    fn reads() {
        let r = Ionet.build_get(p(), &base(), KEY).unwrap();
        assert_eq!(
            r.url,
            format!("https://api.intelligence.io.solutions/v1/api-keys/sub-keys/{KEY}/usage")
        );
        assert_eq!(r.body, None);
        let usage = json!({"credit_used": 5, "credit_limit": 20, "remaining_credit": 15, "credit_refresh_cycle": "daily"});
        let want = Key {
            provider: "ionet",
            id: KEY.into(),
            limit: Known::Value(20.into()),
            usage: Known::Value(5.into()),
            remaining: Known::Value(15.into()),
            reset: Known::Value(Reset::Daily),
            unit: crate::key::Unit::Credits,
            blocked: Some(false),
            raw: usage.clone(),
            ..Key::default()
        };
        let v = Ionet
            .parse_get(p(), KEY, usage.to_string().as_bytes())
            .unwrap();
        assert_eq!(v, want);
        // The same under `data`.
        let wrapped = json!({"status": "succeeded", "data": usage}).to_string();
        assert_eq!(Ionet.parse_get(p(), KEY, wrapped.as_bytes()).unwrap(), want);
        assert!(Ionet.parse_get(p(), KEY, b"[1]").is_err());
        let page = Ionet.parse_list(p(), br#"{"status":"succeeded","data":[{"id":"a","description":"d","credit_limit":10,"credit_used":4,"allowed_models":[],"expires_at":null}, 5]}"#).unwrap();
        assert_eq!(page.entries, 2);
        let l = page.keys;
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].remaining, Known::Value(6.into()));
        assert_eq!(l[0].usage, Known::Value(4.into()));
        assert_eq!(l[0].models, Known::Null);
        assert_eq!(l[0].expires, Known::Null);
        assert_eq!(l[0].disabled, Known::Null);
        assert!(Ionet.parse_list(p(), br#"{"data":{}}"#).is_err());
    }

    #[test]
    fn a_cap_the_usage_read_and_the_list_disagree_about_is_not_known() {
        let list = Ionet
            .parse_list(
                p(),
                json!({"status": "succeeded", "data": [{"id": KEY, "credit_limit": 100,
                    "credit_refresh_cycle": "weekly", "allowed_models": []}]})
                .to_string()
                .as_bytes(),
            )
            .unwrap()
            .keys;
        for (usage, shown) in [
            (
                json!(null),
                "limit is null in the key's own read and 100 in its entry",
            ),
            (
                json!(1000),
                "limit is 1000 in the key's own read and 100 in its entry",
            ),
            (
                json!(-1),
                "the usage read shows credit_limit as a number (-1)",
            ),
        ] {
            let body = json!({"data": {"credit_limit": usage, "credit_used": 1,
                "credit_refresh_cycle": "weekly"}});
            let mut k = Ionet
                .parse_get(p(), KEY, body.to_string().as_bytes())
                .unwrap();
            k.fill_from(&list[0]);
            assert_eq!(k.limit, Known::Unknown, "{usage}");
            assert!(
                k.conflict("limit").is_some_and(|w| w.contains(shown)),
                "{usage}: {:?}",
                k.conflicts
            );
            assert_eq!(k.reset, Known::Value(Reset::Weekly));
        }
        // Agreeing (100 and 100.0), or the usage read without the field: the list's value.
        for body in [
            json!({"data": {"credit_limit": 100.0}}),
            json!({"data": {"credit_used": 1}}),
        ] {
            let mut k = Ionet
                .parse_get(p(), KEY, body.to_string().as_bytes())
                .unwrap();
            k.fill_from(&list[0]);
            assert_eq!(k.limit, Known::Value(100.into()), "{body}");
            assert!(k.conflicts.is_empty(), "{body}");
        }
        // A cycle the list shows oddly is not covered by the usage read's.
        let odd = Ionet
            .parse_list(
                p(),
                br#"{"data": [{"id": "x", "credit_limit": 1, "credit_refresh_cycle": "fortnightly"}]}"#,
            )
            .unwrap()
            .keys;
        assert_eq!(odd[0].reset, Known::Unknown);
        assert!(
            odd[0]
                .conflict("reset")
                .is_some_and(|w| w.contains("fortnightly"))
        );
    }

    #[test]
    fn through_the_trait() {
        assert!(Ionet.get_completes_from_list());
        let detail = json!({"detail": "Not Found"});
        assert_eq!(Ionet.error_message(&detail).as_deref(), Some("Not Found"));
    }

    #[test]
    fn error_bodies() {
        let v = json!({"detail":[{"loc":["body","credit_limit"],"msg":"Input should be greater than or equal to 0","type":"greater_than_equal"}]});
        assert_eq!(
            error_message(&v).unwrap(),
            "body.credit_limit: Input should be greater than or equal to 0"
        );
        assert_eq!(
            error_message(&json!({"detail":"Not Found"})).unwrap(),
            "Not Found"
        );
        assert_eq!(error_message(&json!({"detail": 5})), None);
        assert_eq!(error_message(&json!([1])), None);
        let v = json!({"detail":[{"loc":["path", 0],"msg":"bad","type":"x"}, {"nope": 1}]});
        assert_eq!(error_message(&v).unwrap(), "path.0: bad");
    }

    #[test]
    fn a_list_with_a_failed_status_is_an_error_not_an_empty_list() {
        let e = Ionet
            .parse_list(p(), br#"{"status":"failed","data":[]}"#)
            .unwrap_err();
        assert!(
            e.to_string().contains("status a string (\"failed\")"),
            "{e}"
        );
        assert_eq!(e.exit_code(), 7);
        assert!(
            Ionet
                .parse_list(p(), br#"{"status":"succeeded","data":[]}"#)
                .is_ok()
        );
        assert!(Ionet.parse_list(p(), br#"{"data":[]}"#).is_ok());
    }
}
