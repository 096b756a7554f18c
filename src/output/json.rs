//! Results as JSON Lines: one object per key (`schemas/result.schema.json`), every string
//! masked before it is serialised, and every character a terminal would not show escaped.

use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::key::{FieldChange, Key};
use crate::outcome::{KeyResult, NewSecret, Outcome};
use crate::request::Request;

use super::run_id;

/// The request as `--dry-run` and JSON show it.
pub fn request_json(req: &Request) -> Value {
    let headers: Map<String, Value> = req
        .redacted_headers()
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v)))
        .collect();
    json!({
        "method": req.method.as_str(),
        "url": req.url,
        "headers": headers,
        "body": req.body,
    })
}

/// A JSON value as one line, with every character a terminal would not show (bidi overrides,
/// zero-width characters, tags: `visible::is_invisible`) written as a `\u` escape, so a line
/// printed to a terminal cannot be made to read differently; the value parses back the same.
pub fn json_line(v: &Value) -> String {
    // serde_json escapes C0 controls; C1 controls (8-bit CSI, NEL) and DEL are escaped here.
    let hidden = |c: char| crate::visible::is_invisible(c) || c.is_control();
    let s = v.to_string();
    // ASCII without controls (almost every line) has nothing to escape: checked by byte.
    let plain = |b: &u8| b.is_ascii() && !b.is_ascii_control();
    if s.as_bytes().iter().all(plain) || !s.chars().any(hidden) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if hidden(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The JSON Lines object for one key (`schemas/result.schema.json`); every string in it has
/// the credential masked before it is serialised (so JSON escaping cannot hide it).
pub fn result_json(r: &KeyResult, verbose: bool) -> Value {
    let mut v = result_json_raw(r, verbose);
    crate::mask::mask_json(&mut v);
    // The new secret after the masking: it is exactly what the provider gave (a key of the same
    // kind as the admin key shares pieces with it), and the one place it is shown.
    if let (Some(s), Some(o)) = (r.outcome.secret(), v.as_object_mut()) {
        o.insert("secret".into(), json!(s));
    }
    v
}

fn result_json_raw(r: &KeyResult, verbose: bool) -> Value {
    let mut o = Map::new();
    o.insert(
        "time".into(),
        json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    );
    o.insert("run".into(), json!(run_id()));
    o.insert("provider".into(), json!(r.provider.info().id));
    o.insert("key".into(), json!(r.key));
    o.insert("status".into(), json!(r.outcome.status()));
    let key_json = |k: &Option<Box<Key>>| k.as_ref().map_or(Value::Null, |k| k.to_json());
    let changes_json =
        |c: &[FieldChange]| Value::Array(c.iter().map(FieldChange::to_json).collect());
    match &r.outcome {
        Outcome::Updated {
            before,
            after,
            changes,
            req,
        }
        | Outcome::DryRun {
            before,
            after,
            changes,
            req,
            ..
        } => {
            o.insert("before".into(), key_json(before));
            o.insert("after".into(), after.to_json());
            o.insert("changes".into(), changes_json(changes));
            if verbose || matches!(r.outcome, Outcome::DryRun { .. }) {
                o.insert("request".into(), request_json(req));
            }
            if let Outcome::DryRun { notes, .. } = &r.outcome
                && !notes.is_empty()
            {
                o.insert("notes".into(), json!(notes));
            }
        }
        Outcome::Created {
            after, req, error, ..
        } => {
            o.insert("after".into(), after.to_json());
            if let Some(e) = error {
                o.insert("error".into(), error_json(e));
            }
            if verbose {
                o.insert("request".into(), request_json(req));
            }
        }
        Outcome::Adopted { after, error } => {
            o.insert("after".into(), after.to_json());
            o.insert("error".into(), error_json(error));
        }
        Outcome::Revoked { before, req } => {
            o.insert("before".into(), key_json(before));
            if verbose {
                o.insert("request".into(), request_json(req));
            }
        }
        Outcome::Rotated {
            before,
            after,
            old,
            error,
            ..
        } => {
            o.insert("before".into(), before.to_json());
            o.insert("after".into(), after.to_json());
            o.insert("new_key".into(), json!(after.id));
            o.insert(
                "old_key".into(),
                json!({"action": old, "done": error.is_none()}),
            );
            if let Some(e) = error {
                o.insert("error".into(), error_json(e));
            }
        }
        Outcome::Unchanged { before, reason } => {
            o.insert("before".into(), key_json(before));
            o.insert("after".into(), key_json(before));
            o.insert("changes".into(), json!([]));
            o.insert("reason".into(), json!(reason));
        }
        Outcome::Shown(k) => {
            o.insert("after".into(), k.to_json());
        }
        Outcome::NotAttempted => {}
        Outcome::Failed(e) | Outcome::Unknown(e) | Outcome::NotFound(e) => {
            o.insert("error".into(), error_json(e));
        }
    }
    match r.outcome.new_secret() {
        Some(NewSecret::File(path)) => {
            o.insert("secret_file".into(), json!(path.display().to_string()));
        }
        Some(NewSecret::Command(argv)) => {
            o.insert("secret_command".into(), json!(argv));
        }
        _ => {}
    }
    Value::Object(o)
}

fn error_json(e: &Error) -> Value {
    let mut err = Map::new();
    err.insert("kind".into(), json!(e.kind()));
    if let Some(s) = e.http_status() {
        err.insert("http_status".into(), json!(s));
    }
    err.insert("message".into(), json!(e.to_string()));
    Value::Object(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_escape_what_a_terminal_would_not_show() {
        let v = json!({"name": "ci-\u{202e}gnp.exe", "tag": "a\u{e0041}b\u{200b}"});
        let line = json_line(&v);
        assert_eq!(
            line,
            r#"{"name":"ci-\u202egnp.exe","tag":"a\udb40\udc41b\u200b"}"#
        );
        assert_eq!(serde_json::from_str::<Value>(&line).unwrap(), v);
        assert_eq!(json_line(&json!({"a": "é"})), r#"{"a":"é"}"#);
        // C1 controls, DEL and line separators are escaped too.
        let v = json!({"n": "a\u{9b}2J\u{85}b\u{7f}\u{2028}c"});
        assert_eq!(json_line(&v), r#"{"n":"a\u009b2J\u0085b\u007f\u2028c"}"#);
        assert_eq!(serde_json::from_str::<Value>(&json_line(&v)).unwrap(), v);
    }
}
