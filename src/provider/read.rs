//! Reading a provider's answers: a success body as JSON ([`parse_json`], [`data_list`] and its
//! [`Page`]), the error for a non-2xx answer ([`error_for`]), a create answer's secret taken
//! out ([`parse_created_json`], [`take_secret`], [`scrub`]), and any body made safe to quote in a
//! message ([`quotable`], [`quote`]).

use std::borrow::Cow;

use serde_json::Value;

use super::Info;
use crate::error::{Error, Result};
use crate::key::Key;
use crate::request::Response;

/// A create answer as JSON, or an error that does not quote it (it may hold the secret).
pub fn parse_created_json(p: &Info, body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| Error::Provider {
        provider: p.name,
        status: None,
        message: format!(
            "the answer to the create is not valid JSON ({}); it is not shown, since it may hold \
             the new secret",
            e.classify_name()
        ),
    })
}

/// A string field of a create answer that holds the secret: taken out of `v` (so it is never
/// kept in the key's `raw`), if it is a non-empty string.
pub fn take_secret(v: &mut Value, name: &str) -> Option<String> {
    let o = v.as_object_mut()?;
    match o.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        _ => return None,
    }
    match o.remove(name) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// An answer's body as any part of it may be quoted in a message, whatever its status: every
/// field that may hold a key's secret (see `mask::is_secret_field`: `key`, `data.value`,
/// `data.apiKey`, …) removed at any depth, and in every string and name left, and in a body
/// that is not JSON, secret fields written as text and key-shaped tokens masked (see
/// `mask::scrub_quoted`). The one step every quoted answer goes through; borrowed when
/// nothing had to go.
pub fn quotable(body: &[u8]) -> Cow<'_, [u8]> {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            if strip_secrets(&mut v) {
                Cow::Owned(serde_json::to_vec(&v).unwrap_or_default())
            } else {
                Cow::Borrowed(body)
            }
        }
        Err(_) => match crate::mask::scrub_quoted(&String::from_utf8_lossy(body)) {
            Cow::Owned(t) => Cow::Owned(t.into_bytes()),
            Cow::Borrowed(_) => Cow::Borrowed(body),
        },
    }
}

/// A short, safe excerpt of an answer's body for a message, from its [`quotable`] form, and
/// scrubbed once more after the snippet's own steps (tags, controls and white space dropped or
/// collapsed), which join text.
pub fn quote(body: &[u8]) -> String {
    crate::mask::scrub_quoted(&crate::text::snippet(&quotable(body))).into_owned()
}

/// Removes the secret fields from `v` and scrubs its strings and names; whether anything
/// changed.
fn strip_secrets(v: &mut Value) -> bool {
    match v {
        Value::String(s) => match crate::mask::scrub_quoted(s) {
            Cow::Owned(m) => {
                *s = m;
                true
            }
            Cow::Borrowed(_) => false,
        },
        Value::Array(a) => a.iter_mut().fold(false, |ch, x| strip_secrets(x) | ch),
        Value::Object(o) => {
            let before = o.len();
            o.retain(|k, _| !crate::mask::is_secret_field(k));
            let mut changed = o.len() != before;
            if o.keys()
                .any(|k| matches!(crate::mask::scrub_quoted(k), Cow::Owned(_)))
            {
                let renamed: serde_json::Map<String, Value> = std::mem::take(o)
                    .into_iter()
                    .map(|(k, v)| (crate::mask::scrub_quoted(&k).into_owned(), v))
                    .collect();
                *o = renamed;
                changed = true;
            }
            o.values_mut().fold(changed, |ch, x| strip_secrets(x) | ch)
        }
        _ => false,
    }
}

/// Replaces every string equal to `secret` in `v` by `****` (the secret never sits in `raw`).
pub(super) fn scrub(v: &mut Value, secret: &str) {
    match v {
        Value::String(s) if s.contains(secret) => *s = crate::request::REDACTED.into(),
        Value::Array(a) => a.iter_mut().for_each(|x| scrub(x, secret)),
        Value::Object(o) => o.values_mut().for_each(|x| scrub(x, secret)),
        _ => {}
    }
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    /// What kind of JSON error, without the position's excerpt of the input.
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}
/// The error for a non-2xx answer: the provider's own `message` when its body has the
/// documented shape, else the status and a short sanitized snippet of the body.
pub fn error_for(p: &Info, message: Option<String>, resp: &Response) -> Error {
    let status = resp.status;
    let mut message = match message {
        // Scrubbed before and after sanitising: stripping controls joins text.
        Some(m) => {
            crate::mask::scrub_quoted(&crate::text::server_text(&crate::mask::scrub_quoted(&m)))
                .into_owned()
        }
        None if resp.too_large => format!(
            "HTTP {status}, with a body larger than {} MiB that keyctl did not read",
            crate::request::MAX_BODY / 1024 / 1024
        ),
        None => format!(
            "HTTP {status}{}: {}",
            reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .map(|r| format!(" {r}"))
                .unwrap_or_default(),
            quote(&resp.body)
        ),
    };
    if let Some(w) = &resp.wait_refused {
        message = format!("{message}; {w}");
    }
    let provider = p.name;
    match status {
        401 | 403 => Error::Auth {
            provider,
            status,
            message,
            hint: format!("{} (or the --api-key-file)", p.credential_env),
        },
        404 => Error::NotFound {
            provider,
            status,
            message,
        },
        429 => Error::RateLimited { provider, message },
        400..=499 => Error::Rejected {
            provider,
            status,
            message,
        },
        _ => Error::Provider {
            provider,
            status: Some(status),
            message: format!("provider failure (HTTP {status}): {message}"),
        },
    }
}
/// Parses a success body as JSON, or says the response cannot be understood (exit 7).
pub fn parse_json(p: &Info, body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| Error::Provider {
        provider: p.name,
        status: None,
        message: format!(
            "the success response is not valid JSON ({e}): {}",
            quote(body)
        ),
    })
}

/// One page of a key list: the keys read, and how many entries the page had (an entry that is
/// not a key object is skipped, but still counts towards a full page).
#[derive(Debug, Default)]
pub struct Page {
    pub keys: Vec<Key>,
    pub entries: usize,
}

/// A `{"data": [...]}` list answer: each object in `data` through `view`.
pub fn data_list(p: &Info, body: &[u8], view: fn(&Info, &Value) -> Key) -> Result<Page> {
    let v = parse_json(p, body)?;
    let items = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| unexpected_shape(p, "no `data` list", body))?;
    Ok(Page {
        keys: items
            .iter()
            .filter(|i| i.is_object())
            .map(|i| view(p, i))
            // An entry without an id cannot be named, read or changed: skipped (but counted
            // towards a full page).
            .filter(|k| !k.id.is_empty())
            .collect(),
        entries: items.len(),
    })
}

/// The error for a success response that lacks the documented shape.
pub fn unexpected_shape(p: &Info, what: &str, body: &[u8]) -> Error {
    Error::Provider {
        provider: p.name,
        status: None,
        message: format!(
            "unexpected success response ({what}). Body: {}",
            quote(body)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ProviderKind;

    fn response(status: u16, body: &str) -> Response {
        Response::new(status, body.as_bytes().to_vec())
    }

    #[test]
    fn error_classes_by_status() {
        let p = ProviderKind::ModelGates;
        let body = r#"{"error": {"code": 1, "message": "their words"}}"#;
        for (status, code, kind) in [
            (400, 5, "invalid_request"),
            (401, 3, "auth"),
            (403, 3, "auth"),
            (404, 4, "not_found"),
            (409, 5, "invalid_request"),
            (429, 6, "rate_limited"),
            (500, 7, "provider"),
            (503, 7, "provider"),
        ] {
            let e = p.error_for(&response(status, body));
            assert_eq!((e.exit_code(), e.kind()), (code, kind), "{status}: {e}");
            assert!(e.to_string().contains("their words (code 1)"), "{e}");
        }
        // The provider's own message, or the status and a snippet; a body not read says so.
        let e = p.error_for(&response(502, "<html>Bad gateway</html>"));
        assert!(
            e.to_string()
                .contains("HTTP 502 Bad Gateway: (HTML) Bad gateway"),
            "{e}"
        );
        let mut big = response(401, "");
        big.too_large = true;
        let e = p.error_for(&big);
        assert!(e.to_string().contains("larger than 8 MiB"), "{e}");
        assert_eq!(e.exit_code(), 3);
        let mut refused = response(429, body);
        refused.wait_refused = Some("the provider asked to wait 2h".into());
        let e = p.error_for(&refused);
        assert!(
            e.to_string().ends_with("the provider asked to wait 2h"),
            "{e}"
        );
    }

    /// Issue 20, finding 6: an answer whose body carries a new secret (the create answer's own
    /// field, a field beside the provider's words, the words themselves, a body that is not
    /// JSON) is quoted without it, whatever the status, for each provider family.
    #[test]
    fn no_secret_is_quoted_from_an_answer_whatever_its_status() {
        let hex = "26356ffbc95235634c6f11baf36379367b0f2e66d68b1009476bc96265d86713";
        let gates = format!("sk-or-v1-{hex}");
        let ionet = "io-v2-adu4y2hLBf5gQy9WEE7RQy7ZpMmUJs0RF4VOqK4S";
        let venice = "VENICE_INFERENCE_KEY_et6LL5rR83jSsWzVgx2bYXpWHMIHfgrI";
        let cases: [(ProviderKind, &str, Vec<String>); 3] = [
            (
                ProviderKind::ModelGates,
                &gates,
                vec![
                    format!(r#"{{"key":"{gates}","data":{{"key":"{gates}","name":"n"}}}}"#),
                    format!(r#"{{"error":{{"message":"m","metadata":{{"api_key":"{gates}"}}}}}}"#),
                    format!(r#"{{"error":{{"code":409,"message":"key {gates} exists"}}}}"#),
                    format!(r#"{{"error":"key {gates} exists"}}"#),
                    format!(r#"{{"key": "{gates}", "data": {{"#),
                    format!("<html>key={gates}</html>"),
                ],
            ),
            (
                ProviderKind::Ionet,
                ionet,
                vec![
                    format!(r#"{{"status":"failed","data":{{"value":"{ionet}"}}}}"#),
                    format!(r#"{{"detail":{{"msg":"m","value":"{ionet}"}}}}"#),
                    format!(r#"{{"detail":[{{"loc":["body"],"msg":"{ionet} exists"}}]}}"#),
                    format!(r#"{{"detail":"made {ionet}"}}"#),
                    format!(r#"{{"data": {{"value": "{ionet}""#),
                ],
            ),
            (
                ProviderKind::Venice,
                venice,
                vec![
                    format!(r#"{{"success":false,"data":{{"apiKey":"{venice}"}}}}"#),
                    format!(r#"{{"error":"Invalid","details":{{"apiKey":"{venice}"}}}}"#),
                    format!(r#"{{"error":"Invalid","details":["{venice}"]}}"#),
                    format!(
                        r#"{{"error":"Invalid","issues":[{{"path":["{venice}"],"message":"x"}}]}}"#
                    ),
                    format!(r#"{{"error":"key {venice} exists"}}"#),
                    format!(r#"apiKey={venice}"#),
                ],
            ),
        ];
        for (p, secret, bodies) in cases {
            let tail = &secret[secret.len() - 16..];
            for body in &bodies {
                for status in [400, 401, 404, 409, 422, 429, 500, 502] {
                    let e = p.error_for(&response(status, body)).to_string();
                    assert!(!e.contains(tail), "{p} {status} {body}: {e}");
                }
                for e in [
                    parse_json(p.info(), body.as_bytes()).err(),
                    Some(unexpected_shape(p.info(), "x", body.as_bytes())),
                    p.adapter().parse_list(p.info(), body.as_bytes()).err(),
                ]
                .into_iter()
                .flatten()
                {
                    assert!(!e.to_string().contains(tail), "{p} {body}: {e}");
                }
            }
        }
        // The provider's words stay, and so does a body with nothing to remove, byte for byte.
        let e = ProviderKind::Venice.error_for(&response(
            400,
            &format!(r#"{{"error":"Invalid request","details":{{"apiKey":"{venice}","n":1}}}}"#),
        ));
        assert_eq!(
            e.to_string().matches("Invalid request: {\"n\":1}").count(),
            1,
            "{e}"
        );
        let plain = br#"{"error": {"code": 1, "message": "their words"}}"#;
        assert!(matches!(quotable(plain), Cow::Borrowed(_)));
        assert!(matches!(
            quotable(b"<html>Bad gateway</html>"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            String::from_utf8_lossy(&quotable(br#"{"a":[{"Key":1,"b":"c"}],"token":"t"}"#)),
            r#"{"a":[{"b":"c"}]}"#
        );
    }
}
