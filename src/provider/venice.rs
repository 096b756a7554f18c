//! Venice: `PATCH /api/v1/api_keys` with the key id in the body, admin key as
//! `Authorization: Bearer`. Limits go in `consumptionLimit` (usd, diem, vcu); `expiresAt: null`
//! removes the expiry; `limitPeriod` is EPOCH (daily), MONTH or LIFETIME; `modelPrivacy` is ALL,
//! PRIVATE_TEXT or PRIVATE_ONLY. Bounds and formats follow Venice's published `swagger.yaml`.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::{Adapter, BaseUrl, Info};
use crate::error::{Error, Result};
use crate::key::{self, Key};
use crate::newkey::NewKey;
use crate::patch::{Change, KeyType, Patch, Privacy, Reset};
use crate::request::{Request, Response};

/// The Venice adapter.
pub struct Venice;

fn name() -> &'static str {
    crate::provider::ProviderKind::Venice.info().name
}

fn unsupported(flag: &str, instead: &str) -> Error {
    crate::provider::ProviderKind::Venice
        .info()
        .unsupported(flag, instead)
}

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
        super::data_list(p, body, key_view)
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
        match super::error_for(p, message, resp) {
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
        let mut v = super::parse_created_json(p, body)?;
        let Some(data) = v.get_mut("data").filter(|d| d.is_object()) else {
            return Err(super::gates::created_without(p, "a `data` object"));
        };
        let secret = super::take_secret(data, "apiKey");
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
                Some(Some(l)) => match *name {
                    "usd" => l.usd,
                    "diem" => l.diem,
                    _ => l.vcu,
                },
                Some(None) => Some(None),
                None => None,
            }) {
                // Read back as no cap, or not read back: nothing to clear.
                None | Some(Some(None)) => continue,
                Some(_) => "none".to_string(),
            },
            Some(Value::Null) => "none".to_string(),
            Some(v) => match key::money_field(&json!({ "v": v }), "v") {
                Some(Some(d)) => d.normalize().to_string(),
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
    let word =
        |d: &Option<Decimal>| d.map_or_else(|| "none".to_string(), |d| d.normalize().to_string());
    let mut out = Vec::new();
    for name in crate::newkey::CURRENCIES {
        let want: Option<Option<Decimal>> = match sent.and_then(|c| c.get(name)) {
            None | Some(Value::Null) => Some(None),
            Some(v) => key::money_field(&json!({ "v": v }), "v"),
        };
        let got: Option<Option<Decimal>> = match &read.limits {
            Some(Some(l)) => match name {
                "usd" => l.usd,
                "diem" => l.diem,
                _ => l.vcu,
            },
            Some(None) => Some(None),
            None => None,
        };
        if want.is_some() && want == got {
            continue;
        }
        let shown = |v: &Option<Option<Decimal>>| match v {
            Some(d) => word(d),
            None => "not readable".into(),
        };
        out.push(format!(
            "{name}: sent {}, read back {}",
            shown(&want),
            shown(&got)
        ));
    }
    out
}

/// `{"data": key, "success": true}` into the normalized view.
pub fn parse_key(p: &Info, body: &[u8]) -> Result<Key> {
    let v = super::parse_json(p, body)?;
    if v.get("success").and_then(Value::as_bool) == Some(false) {
        return Err(super::unexpected_shape(p, "`success` is false", body));
    }
    match v.get("data") {
        Some(Value::Object(o)) => {
            // A key's read carries no secret; a field that may hold one (`apiKey`, `key`, …) is
            // not kept in `raw`, which is printed.
            let mut data = o.clone();
            data.retain(|k, _| !crate::secret::is_secret_field(k));
            Ok(key_view(p, &Value::Object(data)))
        }
        _ => Err(super::unexpected_shape(p, "no `data` object", body)),
    }
}

/// One Venice key object, normalized. Responses name the limits `consumptionLimits`; `usage`
/// is `currentPeriodUsage.usd` (a numeric string, present only when the key has a limit).
pub fn key_view(p: &Info, data: &Value) -> Key {
    let read = |consumption: &Value| match consumption {
        Value::Null => Some(Some(key::Limits::default())),
        l @ Value::Object(_) => {
            // A currency the object leaves out has no cap set (each is optional in Venice's
            // published document, and `vcu` is deprecated): `null`, as `update` and `rotate`
            // read it. One present that is not a cap (>= 0 or null) is not known.
            let cur = |n: &str| match l.get(n) {
                None => Some(None),
                Some(_) => key::money_field(l, n),
            };
            Some(Some(key::Limits {
                usd: cur("usd"),
                diem: cur("diem"),
                vcu: cur("vcu"),
            }))
        }
        _ => None,
    };
    // Both spellings in one answer must say the same: caps that disagree are not known (as
    // `newkey::caps` refuses them), not one spelling's silently.
    let limits = match (data.get("consumptionLimits"), data.get("consumptionLimit")) {
        (Some(a), Some(b)) => Some(read(a)).filter(|x| *x == read(b)).flatten(),
        (Some(one), None) | (None, Some(one)) => read(one),
        (None, None) => None,
    };
    let limit = match &limits {
        Some(Some(l)) => l.usd,
        Some(None) => Some(None),
        None => None,
    };
    let usage = match data.get("currentPeriodUsage") {
        Some(u @ Value::Object(_)) => key::money_field(u, "usd"),
        _ => None,
    };
    let reset = match data.get("limitPeriod") {
        Some(Value::String(s)) => key::reset_word(s).map(Some),
        _ => None,
    };
    let privacy = match data.get("modelPrivacy") {
        Some(Value::String(s)) => match s.as_str() {
            "ALL" => Some(Some("all".to_string())),
            "PRIVATE_TEXT" => Some(Some("private-text".to_string())),
            "PRIVATE_ONLY" => Some(Some("private-only".to_string())),
            _ => None,
        },
        // Every Venice key has one of the three: `null`, another word or another type is not
        // known (not "no setting", which a successor would turn into Venice's default, ALL).
        _ => None,
    };
    let blocking = key::blocked_by_currency(&limits, data);
    Key {
        provider: p.id,
        id: match data.get("id") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
        name: key::text_field(data, "description"),
        disabled: Some(None),
        blocked: blocking.state,
        blocked_why: blocking.why,
        remaining: key::remaining_or(None, &limit, &usage),
        limit,
        unit: p.unit,
        limits,
        reset,
        usage,
        usage_total: None,
        expires: key::time_field(data, "expiresAt"),
        created: key::time_field(data, "createdAt"),
        updated: None,
        last_used: key::time_field(data, "lastUsedAt"),
        models: Some(None),
        privacy,
        include_byok_in_limit: Some(None),
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

    fn view(limits: Value) -> Key {
        Key {
            raw: json!({ "consumptionLimits": limits }),
            ..Default::default()
        }
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
        assert_eq!((&k.limits, &k.limit), (&None, &None));
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
            assert_eq!(k.limit, Some(Some(50.into())), "{data}");
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
            assert_eq!(k.privacy, None, "{odd}");
        }
        let k = key_view(info(), &json!({"id": "k", "modelPrivacy": "PRIVATE_TEXT"}));
        assert_eq!(k.privacy, Some(Some("private-text".into())));
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
        assert_eq!(v.limit, Some(Some(50.into())));
        // Currencies the answer leaves out have no cap set (optional in Venice's document).
        assert_eq!(
            v.to_json()["limits"],
            json!({"usd": 50, "diem": null, "vcu": null})
        );
        assert_eq!(v.reset, Some(Some(Reset::Monthly)));
        assert_eq!(v.expires, Some(None));
        // No currentPeriodUsage: usage and remaining are not known.
        assert_eq!((v.usage, v.remaining), (None, None));
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
