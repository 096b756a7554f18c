//! Venice: `PATCH /api/v1/api_keys` with the key id in the body, admin key as
//! `Authorization: Bearer`. Limits go in `consumptionLimit` (usd, diem, vcu); `expiresAt: null`
//! removes the expiry; `limitPeriod` is EPOCH (daily), MONTH or LIFETIME; `modelPrivacy` is ALL,
//! PRIVATE_TEXT or PRIVATE_ONLY. Bounds and formats follow Venice's published `swagger.yaml`.

use serde_json::{Map, Value, json};

mod body;
mod caps;

use super::{Adapter, BaseUrl, Info};
use crate::error::{Error, Result};
use crate::key::{self, Key, Known};
use crate::newkey::NewKey;
use crate::patch::{Change, KeyType, Patch};
use crate::request::{Request, Response};

/// The Venice adapter.
pub struct Venice;

pub use body::{build_body, expires_at};
pub use caps::{caps_differ, caps_flags, keep_other_currencies, sets_caps};

fn name() -> &'static str {
    crate::provider::ProviderKind::Venice.info().name
}

fn unsupported(flag: &str, instead: &str) -> Error {
    crate::provider::ProviderKind::Venice
        .info()
        .unsupported(flag, instead)
}

impl Adapter for Venice {
    fn build_update(&self, p: &Info, base: &BaseUrl, key: &str, patch: &Patch) -> Result<Request> {
        super::check_path_key(p, key)?;
        let mut body = Map::new();
        body.insert("id".into(), json!(key));
        body.extend(build_body(patch)?);
        let url = base.join(&["api", "v1", "api_keys"])?;
        Ok(Request::patch(url, p.auth, Value::Object(body)))
    }

    /// The key as answered; a currency sent that the answer shows as something keyctl cannot
    /// read (out of range, not a number) is exit 7, not the value sent.
    fn parse_update(&self, p: &Info, _key: &str, sent: &Value, body: &[u8]) -> Result<Key> {
        let key = parse_key(p, body)?;
        if let Some(Value::Object(set)) = sent.get("consumptionLimit") {
            let shown = key
                .raw
                .get("consumptionLimits")
                .or_else(|| key.raw.get("consumptionLimit"));
            let what = match shown {
                None | Some(Value::Null) => None,
                Some(l @ Value::Object(_)) => set
                    .keys()
                    .find_map(|c| super::gates::unreadable_cap(l, c))
                    .map(|w| format!("consumptionLimits.{w}")),
                Some(other) => Some(format!(
                    "consumptionLimits is {}, not an object",
                    crate::text::describe(other)
                )),
            };
            if let Some(what) = what {
                return Err(super::gates::unreadable_answer(p, &what));
            }
        }
        Ok(key)
    }

    /// `GET /api/v1/api_keys/{id}`.
    fn build_get(&self, p: &Info, base: &BaseUrl, key: &str) -> Result<Request> {
        super::check_path_key(p, key)?;
        Ok(Request::get(
            base.join(&["api", "v1", "api_keys", key])?,
            p.auth,
        ))
    }

    fn parse_get(&self, p: &Info, _key: &str, body: &[u8]) -> Result<Key> {
        parse_key(p, body)
    }

    /// `GET /api/v1/api_keys` (active keys only, one answer).
    fn build_list(&self, p: &Info, base: &BaseUrl, _offset: usize, _all: bool) -> Result<Request> {
        Ok(Request::get(base.join(&["api", "v1", "api_keys"])?, p.auth))
    }

    /// `{"data": [key...], "object": "list"}`.
    fn parse_list(&self, p: &Info, body: &[u8]) -> Result<super::Page> {
        super::read::data_list(p, body, key_view)
    }

    fn error_message(&self, body: &Value) -> Option<String> {
        error_message(body)
    }

    /// Venice answers an unknown or expired id with 400 "API key not found or expired" (not
    /// found, exit 4), and a missing or inference-only credential with 401 or 402 (exit 3).
    fn error_for(&self, p: &Info, resp: &Response) -> Error {
        let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
        let message = body.as_ref().and_then(error_message);
        // Only the top-level `error` string, as a terminal shows it, decides: "not found" in
        // `details` or `issues` is about something else.
        let not_found = resp.status == 400
            && body
                .as_ref()
                .and_then(|v| v.get("error")?.as_str().map(crate::visible::strip_controls))
                .is_some_and(|m| {
                    let m = m.to_ascii_lowercase();
                    // Only Venice's own words about a key: "API key not found or expired",
                    // delete "API key could not be found" (not "Route not found").
                    m.contains("api key") && (m.contains("not found") || m.contains("not be found"))
                });
        match super::read::error_for(p, message, resp) {
            Error::Rejected {
                provider,
                status,
                message,
            } if not_found => Error::NotFound {
                provider,
                status,
                message,
            },
            Error::Auth {
                provider,
                status,
                message,
                ..
            }
            | Error::Rejected {
                provider,
                status: status @ 402,
                message,
            } => Error::Auth {
                provider,
                status,
                message,
                hint: format!(
                    "that {} (or the --api-key-file) holds a valid, current Venice ADMIN key \
                     (an INFERENCE key cannot read or change keys)",
                    p.credential_env
                ),
            },
            other => other,
        }
    }

    fn warnings(&self, patch: &Patch) -> Vec<String> {
        warnings(patch)
    }

    fn needs_current(&self, patch: &Patch, relative: bool) -> bool {
        needs_current(patch, relative)
    }

    fn merge_current(&self, _p: &Info, before: &Key, patch: &mut Patch) -> Result<()> {
        keep_other_currencies(before, patch)
    }

    /// `POST /api/v1/api_keys`: `apiKeyType` (INFERENCE unless --type admin), `description`
    /// and the settings. No expiry is the field left out (the spec's "omitted or empty").
    fn build_create(&self, p: &Info, base: &BaseUrl, new: &NewKey) -> Result<Request> {
        let settings = Patch {
            name: Some(new.name.clone()),
            expires: match new.settings.expires {
                Change::Clear => Change::Keep,
                ref e => e.clone(),
            },
            ..new.settings.clone()
        };
        let mut body = Map::new();
        let kind = match new.kind.unwrap_or(KeyType::Inference) {
            KeyType::Inference => "INFERENCE",
            KeyType::Admin => "ADMIN",
        };
        body.insert("apiKeyType".into(), json!(kind));
        body.extend(build_body(&settings)?);
        let url = base.join(&["api", "v1", "api_keys"])?;
        Ok(Request::post(url, p.auth, Value::Object(body)))
    }

    /// `{"success":true,"data":{"id","apiKey",…,"consumptionLimit"}}` (answered 200): the secret
    /// is `data.apiKey`.
    fn parse_create(&self, p: &Info, body: &[u8]) -> Result<super::Created> {
        let mut v = super::read::parse_created_json(p, body)?;
        let Some(data) = v.get_mut("data").filter(|d| d.is_object()) else {
            return Err(super::gates::created_without(p, "a `data` object"));
        };
        let secret = super::read::take_secret(data, "apiKey");
        Ok(super::Created {
            key: key_view(p, data),
            secret,
        })
    }

    /// Venice's default limit period is a day (EPOCH).
    fn create_notices(&self, new: &NewKey, _now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
        let s = &new.settings;
        let limited = [&s.limit, &s.limit_diem, &s.limit_vcu]
            .iter()
            .any(|c| matches!(c, Change::Set(_)));
        if limited && s.reset.is_none() {
            vec!["Venice: the limit resets every day (EPOCH) unless --reset monthly or never is given".into()]
        } else {
            Vec::new()
        }
    }

    fn key_type(&self, key: &Key) -> Option<KeyType> {
        match key.raw.get("apiKeyType")?.as_str()? {
            "ADMIN" => Some(KeyType::Admin),
            "INFERENCE" => Some(KeyType::Inference),
            _ => None,
        }
    }

    /// The key list (`GET /api/v1/api_keys`), which answers only an ADMIN key.
    fn build_auth_check(&self, p: &Info, base: &BaseUrl) -> Result<Request> {
        super::no_workspace_unless_supported(p, base)?;
        self.build_list(p, base, 0, false)
    }

    /// `{"data": [...]}`: "N keys listed".
    fn read_auth_check(
        &self,
        v: &Value,
        body: &[u8],
    ) -> std::result::Result<Option<String>, String> {
        super::auth::listed(v, body)
    }

    /// `DELETE /api/v1/api_keys?id=…` (the id in the query; an unknown id is 400).
    fn build_delete(&self, p: &Info, base: &BaseUrl, key: &str) -> Result<Request> {
        super::check_path_key(p, key)?;
        let mut url = reqwest::Url::parse(&base.join(&["api", "v1", "api_keys"])?)
            .map_err(|e| Error::Internal(format!("bad URL: {e}")))?;
        url.query_pairs_mut().append_pair("id", key);
        Ok(Request::delete(url.to_string(), p.auth))
    }
}

/// Warnings to print before sending (deprecated fields).
pub fn warnings(patch: &Patch) -> Vec<String> {
    if !patch.limit_vcu.is_keep() {
        vec![
            "Venice has deprecated VCU limits (--limit-vcu); prefer --limit (USD) or --limit-diem"
                .into(),
        ]
    } else {
        Vec::new()
    }
}

/// Venice takes `consumptionLimit` as a whole: a change of some currencies (or a relative
/// `--limit`) must send the others as they are, so it reads the key first.
pub fn needs_current(patch: &Patch, relative: bool) -> bool {
    let set = [
        !patch.limit.is_keep() || relative,
        !patch.limit_diem.is_keep(),
        !patch.limit_vcu.is_keep(),
    ];
    let n = set.iter().filter(|b| **b).count();
    n > 0 && n < 3
}
/// `{"data": key, "success": true}` into the normalized view.
pub fn parse_key(p: &Info, body: &[u8]) -> Result<Key> {
    let v = super::read::parse_json(p, body)?;
    if v.get("success").and_then(Value::as_bool) == Some(false) {
        return Err(super::read::unexpected_shape(p, "`success` is false", body));
    }
    match v.get("data") {
        Some(Value::Object(o)) => {
            // A key's read carries no secret; a field that may hold one (`apiKey`, `key`, …) is
            // not kept in `raw`, which is printed.
            let mut data = o.clone();
            data.retain(|k, _| !crate::mask::is_secret_field(k));
            Ok(key_view(p, &Value::Object(data)))
        }
        _ => Err(super::read::unexpected_shape(p, "no `data` object", body)),
    }
}

/// One Venice key object, normalized. Responses name the limits `consumptionLimits`; `usage`
/// is `currentPeriodUsage.usd` (a numeric string, present only when the key has a limit).
pub fn key_view(p: &Info, data: &Value) -> Key {
    let read = |consumption: &Value| match consumption {
        Value::Null => Known::Value(key::Limits::default()),
        l @ Value::Object(_) => {
            // A currency the object leaves out has no cap set (each is optional in Venice's
            // published document, and `vcu` is deprecated): `null`, as `update` and `rotate`
            // read it. One present that is not a cap (>= 0 or null) is not known.
            let cur = |n: &str| match l.get(n) {
                None => Known::Null,
                Some(_) => key::money_field(l, n),
            };
            Known::Value(key::Limits {
                usd: cur("usd"),
                diem: cur("diem"),
                vcu: cur("vcu"),
            })
        }
        _ => Known::Unknown,
    };
    // Both spellings in one answer must say the same: caps that disagree are not known (as
    // `newkey::caps` refuses them), not one spelling's silently.
    let limits = match (data.get("consumptionLimits"), data.get("consumptionLimit")) {
        (Some(a), Some(b)) => match read(a) {
            same if same == read(b) => same,
            _ => Known::Unknown,
        },
        (Some(one), None) | (None, Some(one)) => read(one),
        (None, None) => Known::Unknown,
    };
    let limit = match &limits {
        Known::Value(l) => l.usd,
        Known::Null => Known::Null,
        Known::Unknown => Known::Unknown,
    };
    let usage = match data.get("currentPeriodUsage") {
        Some(u @ Value::Object(_)) => key::money_field(u, "usd"),
        _ => Known::Unknown,
    };
    let reset = match data.get("limitPeriod") {
        Some(Value::String(s)) => Known::or_unknown(key::reset_word(s)),
        _ => Known::Unknown,
    };
    let privacy = match data.get("modelPrivacy") {
        Some(Value::String(s)) => match s.as_str() {
            "ALL" => Known::Value("all".to_string()),
            "PRIVATE_TEXT" => Known::Value("private-text".to_string()),
            "PRIVATE_ONLY" => Known::Value("private-only".to_string()),
            _ => Known::Unknown,
        },
        // Every Venice key has one of the three: `null`, another word or another type is not
        // known (not "no setting", which a successor would turn into Venice's default, ALL).
        _ => Known::Unknown,
    };
    let blocking = key::blocked_by_currency(&limits, data);
    Key {
        provider: p.id,
        id: match data.get("id") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
        name: key::text_field(data, "description"),
        disabled: Known::Null,
        blocked: blocking.state,
        blocked_why: blocking.why,
        remaining: key::remaining_or(Known::Unknown, &limit, &usage),
        limit,
        unit: p.unit,
        limits,
        reset,
        usage,
        usage_total: Known::Unknown,
        expires: key::time_field(data, "expiresAt"),
        created: key::time_field(data, "createdAt"),
        updated: Known::Unknown,
        last_used: key::time_field(data, "lastUsedAt"),
        models: Known::Null,
        privacy,
        include_byok_in_limit: Known::Null,
        raw: data.clone(),
        conflicts: Vec::new(),
    }
}

/// `{"error": "...", "details"?: ..., "issues"?: [{"path", "message"}]}`.
pub fn error_message(body: &Value) -> Option<String> {
    let mut msg = match body.get("error")? {
        Value::String(s) => s.clone(),
        Value::Object(o) => o.get("message").and_then(Value::as_str)?.to_string(),
        _ => return None,
    };
    if let Some(issues) = body.get("issues").and_then(Value::as_array) {
        let parts: Vec<String> = issues
            .iter()
            .filter_map(|i| {
                let m = i.get("message").and_then(Value::as_str)?;
                let path: Vec<String> = i
                    .get("path")
                    .and_then(Value::as_array)
                    .map(|p| {
                        p.iter()
                            .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                Some(if path.is_empty() {
                    m.to_string()
                } else {
                    format!("{}: {m}", path.join("."))
                })
            })
            .collect();
        if !parts.is_empty() {
            msg = format!("{msg} ({})", parts.join("; "));
        }
    }
    match body.get("details") {
        Some(Value::String(d)) if !d.is_empty() => msg = format!("{msg}: {d}"),
        Some(d @ Value::Object(_)) | Some(d @ Value::Array(_)) => {
            let s = d.to_string();
            if s.len() > 2 {
                msg = format!("{msg}: {s}");
            }
        }
        _ => {}
    }
    Some(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::patch::{Privacy, Reset};
    use crate::provider::ProviderKind;

    const KEY: &str = "e28e82dc-9df2-4b47-b726-d0a222ef2ab5";

    fn info() -> &'static Info {
        ProviderKind::Venice.info()
    }

    fn parse_update(body: &[u8]) -> Result<Key> {
        parse_key(info(), body)
    }

    fn req(p: Patch) -> Value {
        let base = BaseUrl::parse("https://api.venice.ai").unwrap();
        let r = Venice.build_update(info(), &base, KEY, &p).unwrap();
        assert_eq!(r.url, "https://api.venice.ai/api/v1/api_keys");
        r.body.unwrap()
    }

    #[test]
    fn an_answer_showing_a_currency_sent_as_unreadable_is_exit_7() {
        let sent = json!({"id": KEY, "consumptionLimit": {"diem": 1}});
        for (limits, field) in [
            (
                r#"{"usd": 5, "diem": "abc"}"#,
                "consumptionLimits.diem is a string",
            ),
            (
                r#"{"usd": 5, "diem": 1e400}"#,
                "consumptionLimits.diem is a number",
            ),
            (r#""lots""#, "consumptionLimits is a string"),
        ] {
            let body =
                format!(r#"{{"success":true,"data":{{"id":"k","consumptionLimits":{limits}}}}}"#);
            let e = Venice
                .parse_update(info(), KEY, &sent, body.as_bytes())
                .unwrap_err();
            assert_eq!(e.exit_code(), 7, "{limits}: {e}");
            assert!(e.to_string().contains(field), "{e}");
        }
        // A currency not sent may be anything; one sent and readable is the key as answered.
        let body =
            br#"{"success":true,"data":{"id":"k","consumptionLimits":{"usd":"abc","diem":1}}}"#;
        let k = Venice.parse_update(info(), KEY, &sent, body).unwrap();
        assert_eq!(k.field("limits.diem"), Some(json!(1)));
    }

    #[test]
    fn privacy_other_than_the_three_words_is_not_known() {
        for odd in [json!(null), json!("SECRET"), json!(1)] {
            let k = key_view(info(), &json!({"id": "k", "modelPrivacy": odd}));
            assert_eq!(k.privacy, Known::Unknown, "{odd}");
        }
        let k = key_view(info(), &json!({"id": "k", "modelPrivacy": "PRIVATE_TEXT"}));
        assert_eq!(k.privacy, Known::Value("private-text".into()));
    }

    fn answer(status: u16, body: Value) -> Error {
        Venice.error_for(
            info(),
            &Response::new(status, body.to_string().into_bytes()),
        )
    }

    #[test]
    fn documented_statuses() {
        let e = answer(400, json!({"error": "API key not found or expired"}));
        assert_eq!((e.exit_code(), e.http_status()), (4, Some(400)), "{e}");
        assert!(
            e.to_string().contains("API key not found or expired"),
            "{e}"
        );
        // Other 400s stay "rejected".
        let e = answer(400, json!({"error": "Invalid request"}));
        assert_eq!(e.exit_code(), 5, "{e}");
        for status in [401, 402] {
            let e = answer(status, json!({"error": "Authentication failed"}));
            assert_eq!(e.exit_code(), 3, "{status}: {e}");
            let m = e.to_string();
            assert!(m.contains("ADMIN") && m.contains("VENICE_ADMIN_KEY"), "{m}");
            assert!(m.contains(&format!("HTTP {status}")), "{m}");
        }
        assert_eq!(answer(404, json!({"error": "x"})).exit_code(), 4);
        assert_eq!(answer(403, json!({})).exit_code(), 3);
        assert_eq!(answer(422, json!({})).exit_code(), 5);
        // A 400 whose body is not Venice's shape is not taken for "not found", nor one whose
        // "not found" is in its details; escape sequences inside the words do not hide them.
        assert_eq!(answer(400, json!("not found")).exit_code(), 5);
        let e = answer(
            400,
            json!({"error": "Invalid request", "details": {"_errors": ["key not found"]}}),
        );
        assert_eq!(e.exit_code(), 5, "{e}");
        let e = answer(
            400,
            json!({"error": "Invalid request", "issues": [{"path": ["id"], "message": "not found"}]}),
        );
        assert_eq!(e.exit_code(), 5, "{e}");
        let e = answer(
            400,
            json!({"error": "API key \u{1b}[31mnot\u{1b}[0m found"}),
        );
        assert_eq!(e.exit_code(), 4, "{e}");
    }

    #[test]
    fn through_the_trait() {
        assert_eq!(name(), "Venice");
        assert_eq!(
            Venice.error_message(&json!({"error": "Bad"})).as_deref(),
            Some("Bad")
        );
        let e = keep_other_currencies(&Key::default(), &mut Patch::default()).unwrap_err();
        assert!(e.to_string().starts_with("Venice: "), "{e}");
    }

    #[test]
    fn privacy() {
        for (p, want) in [
            (Privacy::All, "ALL"),
            (Privacy::PrivateText, "PRIVATE_TEXT"),
            (Privacy::PrivateOnly, "PRIVATE_ONLY"),
        ] {
            let b = req(Patch {
                privacy: Some(p),
                ..Default::default()
            });
            assert_eq!(b, json!({"id": KEY, "modelPrivacy": want}));
        }
    }

    #[test]
    fn vcu_warns() {
        assert!(warnings(&Patch::default()).is_empty());
        let p = Patch {
            limit_vcu: Change::Set("1".parse().unwrap()),
            ..Default::default()
        };
        assert!(warnings(&p)[0].contains("deprecated"));
    }

    #[test]
    fn success_and_errors() {
        let v = parse_update(br#"{"data":{"id":"k","description":"d","consumptionLimits":{"usd":50},"limitPeriod":"MONTH","expiresAt":null},"success":true}"#).unwrap();
        assert_eq!(v.limit, Known::Value(50.into()));
        // Currencies the answer leaves out have no cap set (optional in Venice's document).
        assert_eq!(
            v.to_json()["limits"],
            json!({"usd": 50, "diem": null, "vcu": null})
        );
        assert_eq!(v.reset, Known::Value(Reset::Monthly));
        assert_eq!(v.expires, Known::Null);
        // No currentPeriodUsage: usage and remaining are not known.
        assert_eq!((v.usage, v.remaining), (Known::Unknown, Known::Unknown));
        let v = parse_update(br#"{"data":{"id":"k","consumptionLimits":{"usd":50},"currentPeriodUsage":{"usd":"12.25","diem":"1"},"limitPeriod":"EPOCH","modelPrivacy":"PRIVATE_ONLY","lastUsedAt":"2025-01-02T03:04:05.000Z"},"success":true}"#).unwrap();
        let j = v.to_json();
        assert_eq!(j["usage"], json!(12.25));
        assert_eq!(j["remaining"], json!(37.75));
        assert_eq!(j["reset"], "daily");
        assert_eq!(j["privacy"], "private-only");
        assert_eq!(j["last_used"], "2025-01-02T03:04:05Z");
        assert_eq!(
            parse_update(br#"{"success":false}"#)
                .unwrap_err()
                .exit_code(),
            7
        );
        assert_eq!(parse_update(br#"[]"#).unwrap_err().exit_code(), 7);
        let m = error_message(&json!({"error":"Invalid request","issues":[{"path":["consumptionLimit","usd"],"message":"Expected number"}]})).unwrap();
        assert_eq!(m, "Invalid request (consumptionLimit.usd: Expected number)");
        let m = error_message(&json!({"error":"Bad","details":"more"})).unwrap();
        assert_eq!(m, "Bad: more");
        assert_eq!(error_message(&json!({"detail":"x"})), None);
    }
}
