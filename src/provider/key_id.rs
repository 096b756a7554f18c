//! The checks a key id passes before it goes into a request: not a pasted secret (the one list
//! of the providers' secret prefixes), and one safe URL path segment.

use super::Info;
use crate::error::{Error, Result};
use crate::key::Key;

/// Whether `s` starts like a key's secret (the credential module's one list of prefixes).
pub use crate::credential::secret_shaped;

/// A key id that starts like a key's secret is the secret pasted in the wrong place: refused
/// before anything is sent (so it reaches no URL, log or audit trail), and masked from here on.
pub fn refuse_secret_id(p: &Info, key: &str) -> Result<()> {
    let k = key.trim();
    if !secret_shaped(k) {
        return Ok(());
    }
    crate::mask::register_new(k);
    Err(Error::usage(format!(
        "{}: a key id starting with a key secret's prefix is the secret, not the id; give the \
         key's id (`keyctl list` shows them); nothing was sent",
        p.name
    )))
}

/// Checks a key id that goes into a URL path as one segment.
pub fn check_path_key(p: &Info, key: &str) -> Result<()> {
    if key.trim().is_empty() {
        return Err(Error::usage(format!("{}: the key id is empty", p.name)));
    }
    if key == "." || key == ".." {
        return Err(Error::usage(format!("{}: '{key}' is not a key id", p.name)));
    }
    if key.chars().any(char::is_control) {
        return Err(Error::usage(format!(
            "{}: the key id contains control characters",
            p.name
        )));
    }
    Ok(())
}

/// The key as read, with `key` as its id when the answer gave none.
pub(super) fn with_id(mut k: Key, key: &str) -> Key {
    if k.id.is_empty() {
        k.id = key.to_string();
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ProviderKind;

    #[test]
    fn dot_keys_are_refused() {
        for k in ["", " ", ".", "..", "a\nb"] {
            assert!(
                check_path_key(ProviderKind::ModelGates.info(), k).is_err(),
                "{k:?}"
            );
        }
    }
}
