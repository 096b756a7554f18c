//! Unit tests of an answer's quotable form: a key-shaped token inside any JSON string (in an
//! array, at the top level, beside other fields) is masked there, before any message is made
//! from it.

use std::borrow::Cow;

use super::read::quotable;

const SECRET: &str = "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";

#[test]
fn a_key_shaped_token_in_any_json_string_is_masked() {
    for body in [
        format!(r#"["the key {SECRET} exists"]"#),
        format!(r#""{SECRET}""#),
        format!(r#"{{"error": {{"message": "key {SECRET} exists", "code": 409}}}}"#),
    ] {
        let q = quotable(body.as_bytes());
        assert!(matches!(q, Cow::Owned(_)), "{body}");
        let text = String::from_utf8_lossy(&q);
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains("26356ffbc952"), "{text}");
        assert!(
            text.contains("exists") || !body.contains("exists"),
            "{text}"
        );
        // Still JSON, with the strings where they were.
        serde_json::from_slice::<serde_json::Value>(&q).unwrap();
    }
}
