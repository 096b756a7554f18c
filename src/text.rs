//! Text made safe to show: the credential masked (every form of it, see `mask::mask`), then
//! terminal escape sequences and control characters stripped, then cut. Every string that came
//! from input or a server passes through one of these before it is printed.

use serde_json::Value;

/// Masks the credential in `s` (every form of it; see `mask::mask`).
pub fn redact(s: &str) -> String {
    crate::mask::mask(s).into_owned()
}

/// Removes terminal escape sequences and control characters (newlines and tabs become spaces).
/// The credential is masked first, in the text as a terminal would show it (see `mask::mask`),
/// so stripping escape sequences planted inside it cannot reassemble it.
pub fn sanitize(s: &str) -> String {
    crate::visible::strip_controls(&crate::mask::mask(s))
}

/// Sanitises `s` (credential masked first) and cuts it to at most `max` characters, marking
/// the cut: no cut can leave a prefix of the credential.
pub fn truncate(s: &str, max: usize) -> String {
    crate::visible::cut(&sanitize(s), max)
}

/// A short, safe excerpt of a response body for an error message.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".into();
    }
    let looks_html = text.starts_with('<');
    let plain = if looks_html {
        crate::visible::strip_tags(&crate::mask::mask(text))
    } else {
        text.to_string()
    };
    let collapsed: String = sanitize(&plain)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // Already masked and sanitised: a cut cannot make a piece of the credential appear.
    let shown = crate::visible::cut(&collapsed, 200);
    if looks_html {
        format!("(HTML) {shown}")
    } else {
        shown
    }
}

/// Text from a server, made safe to show: sanitized, credential masked, cut to 500 characters.
pub fn server_text(s: &str) -> String {
    truncate(s, 500)
}

/// A JSON value named for a message: its type and a short, safe rendering.
pub fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    format!("{kind} ({})", truncate(&v.to_string(), 40))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_short_and_safe() {
        assert_eq!(snippet(b""), "(empty body)");
        assert_eq!(
            snippet(b"<html><head><title>502 Bad Gateway</title></head></html>"),
            "(HTML) 502 Bad Gateway"
        );
        assert!(snippet(&[b'a'; 5000]).chars().count() <= 201);
        assert_eq!(snippet(&[0xff, 0xfe, b'o', b'k']), "\u{fffd}\u{fffd}ok");
    }

    #[test]
    fn redact_keeps_text_without_the_secret() {
        assert_eq!(redact("nothing secret here"), "nothing secret here");
        assert_eq!(sanitize("a\u{1b}[31mb\nc"), "ab c");
        let cut = server_text(&"x".repeat(600));
        assert_eq!(cut, format!("{}…", "x".repeat(500)));
    }

    #[test]
    fn describe_names_the_type() {
        assert_eq!(describe(&serde_json::json!("x")), "a string (\"x\")");
        assert_eq!(describe(&serde_json::json!([1])), "a list ([1])");
    }
}
