//! The file being checked, for messages that name its line: `FILE:LINE: key: message`, and
//! `toml`'s own errors without any long quoted value (it could be a key pasted in the wrong
//! place).

use std::path::Path;

use super::shown;
use crate::error::{Error, Result};

/// The keys of a profile, for messages.
const PROFILE_KEYS: &str = "provider, base_url, credential_env, credential_file, \
                            credential_command, output, concurrency, retries, timeout, workspace";
/// The keys of a custom provider, for messages.
const PROVIDER_KEYS: &str =
    "api, base_url, name, credential_env, credential_file, credential_command";
/// The top-level keys and tables, for messages.
const TOP_KEYS: &str = "default_profile, audit, [profiles.NAME], [providers.NAME]";

/// The file being checked, for messages that name a line.
pub(super) struct Doc<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

impl Doc<'_> {
    pub(super) fn line(&self, at: usize) -> usize {
        let at = at.min(self.text.len());
        self.text.as_bytes()[..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// The key written on the line of byte `at` (`key = ...`), if that line has one.
    pub(super) fn key_at(&self, at: usize) -> Option<String> {
        let line = self.text.get(..at.min(self.text.len()))?;
        let start = line.rfind('\n').map_or(0, |i| i + 1);
        let whole = self.text[start..].lines().next()?;
        let (key, _) = whole.split_once('=')?;
        let key = key.trim().trim_matches(['"', '\'']);
        (!key.is_empty() && key.len() <= 40 && !key.contains(char::is_whitespace))
            .then(|| key.to_string())
    }

    /// Exit 2: `FILE:LINE: key: message`.
    pub(super) fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        key: &str,
        msg: impl std::fmt::Display,
    ) -> Result<T> {
        Err(Error::usage(format!(
            "{}:{}: {key}: {msg}",
            self.path.display(),
            self.line(span.start)
        )))
    }
}

/// A TOML or shape error: the line, and the message without any long quoted value (it could
/// be a key pasted in the wrong place).
pub(super) fn syntax_error(doc: &Doc, e: &toml::de::Error) -> Error {
    let line = e.span().map_or(1, |s| doc.line(s.start));
    let msg = e.message().trim();
    let msg = match msg.strip_prefix("unknown field `") {
        Some(rest) => {
            let field = rest.split('`').next().unwrap_or("");
            let keys = if msg.contains("`credential_command`") && msg.contains("`api`") {
                format!("a provider's keys are {PROVIDER_KEYS}")
            } else if msg.contains("`credential_command`") {
                format!("a profile's keys are {PROFILE_KEYS}")
            } else {
                format!("the file's keys are {TOP_KEYS}")
            };
            format!("{}: unknown key; {keys}", shown(field))
        }
        // A wrong type or value: name the key written on that line.
        None => match e.span().and_then(|s| doc.key_at(s.start)) {
            Some(key) => format!("{}: {}", shown(&key), scrub_quotes(msg)),
            None => scrub_quotes(msg),
        },
    };
    Error::usage(format!("{}:{line}: {msg}", doc.path.display()))
}

/// Cuts quoted text longer than 16 characters out of a parser message.
pub(super) fn scrub_quotes(msg: &str) -> String {
    let mut out = String::new();
    let mut parts = msg.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('"');
        if i % 2 == 0 && part.chars().count() > 16 {
            out.push('…');
        } else {
            out.push_str(part);
        }
    }
    out
}
