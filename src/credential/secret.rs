//! The admin credential as a type: checked when read, never printed.
//!
//! A `Secret` is read with a bound (never truncated), stripped of surrounding ASCII whitespace and
//! a leading byte-order mark, and refused when it holds anything an HTTP header cannot carry.
//! Its `Debug` prints `Secret(****)`; the bytes are reached only through [`Secret::expose`],
//! which the HTTP layer alone calls.

use crate::error::{Error, Result};

/// The longest credential keyctl accepts, after trimming (real admin keys are < 200 bytes).
pub const MAX_SECRET: usize = 4 * 1024;

/// The admin credential. Never printed: `Debug` shows `Secret(****)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl Secret {
    /// Checks a credential from `source` (a variable name or a file, for messages): surrounding
    /// ASCII whitespace and a leading BOM are stripped; an empty value is `Ok(None)`; inner
    /// whitespace, control or non-ASCII characters, or more than 4 KiB are refused (exit 3).
    pub fn parse(raw: &str, source: &str) -> Result<Option<Secret>> {
        let t = raw
            .trim_start_matches('\u{feff}')
            .trim_matches(|c: char| c.is_ascii_whitespace());
        if t.is_empty() {
            return Ok(None);
        }
        if t.len() > MAX_SECRET {
            return Err(Error::Credential(format!(
                "the credential in {source} is {} bytes, longer than the {MAX_SECRET} bytes keyctl \
                 accepts; check that {source} holds only the admin key",
                t.len()
            )));
        }
        if let Some(bad) = t.chars().find(|c| !c.is_ascii_graphic()) {
            let what = if bad.is_whitespace() {
                "white space inside it"
            } else if bad.is_control() {
                "a control character"
            } else {
                "a non-ASCII character"
            };
            return Err(Error::Credential(format!(
                "the credential in {source} contains {what}, which cannot be sent in an HTTP \
                 header; check that {source} holds only the admin key (nothing was sent)"
            )));
        }
        Ok(Some(Secret(t.to_string())))
    }

    /// The credential itself, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Option<Secret>> {
        Secret::parse(s, "TEST_VAR")
    }

    #[test]
    fn surrounding_space_and_bom_are_stripped() {
        for raw in ["abc123", " abc123\t\n", "\u{feff}abc123\r\n", "\tabc123 "] {
            assert_eq!(parse(raw).unwrap().unwrap().expose(), "abc123", "{raw:?}");
        }
        assert!(parse("  \n").unwrap().is_none());
        assert!(parse("\u{feff}").unwrap().is_none());
    }

    #[test]
    fn inner_space_control_non_ascii_and_long_are_refused() {
        for raw in ["ab c", "ab\tc", "ab\u{7}c", "abé", "ab\u{202e}c"] {
            let e = parse(raw).unwrap_err();
            assert_eq!(e.exit_code(), 3, "{raw:?}");
            assert!(!e.to_string().contains(raw), "{e}");
            assert!(e.to_string().contains("TEST_VAR"), "{e}");
        }
        // The documented bound, as a literal: 4 KiB.
        assert!(parse(&"a".repeat(4096)).is_ok());
        assert_eq!(parse(&"a".repeat(4097)).unwrap_err().exit_code(), 3);
    }

    #[test]
    fn debug_never_shows_it() {
        let s = parse("sk-very-secret").unwrap().unwrap();
        assert_eq!(format!("{s:?}"), "Secret(****)");
    }
}
