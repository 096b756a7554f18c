//! The credential type and masking under their former path: re-exports of [`crate::credential`]
//! and [`crate::mask`], so that code naming `crate::secret` builds unchanged.

pub use crate::credential::{MAX_SECRET, MAX_SECRET_FILE, ReadError, Secret, read_bounded};
pub use crate::mask::{
    MASK, WINDOW, holds_credential, is_secret_field, key_prefix_len, mask, mask_json,
    mask_key_like, register, register_new, register_text, scrub_quoted,
};

/// The lock the tests that register a secret hold (`secret::tests::REGISTRY`).
#[cfg(test)]
pub(crate) use crate::mask::tests;
