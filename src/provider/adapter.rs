//! The [`Adapter`] trait every provider file implements: a provider's request mapping, pure
//! builders and parsers of plain [`Request`]s (no I/O, no secret, no printing), and the
//! [`Created`] key a create answers with.

use serde_json::Value;

use super::{BaseUrl, Info, Page, read};
use crate::error::{Error, Result};
use crate::key::Key;
use crate::newkey::NewKey;
use crate::patch::{KeyType, Patch};
use crate::request::{Request, Response};

/// A provider's request mapping: pure builders and parsers (no I/O, no secret, no printing).
/// `p` is the provider's own row, for names in messages and its auth scheme.
pub trait Adapter: Sync {
    /// The update request for one key; an unsupported flag or bad value is exit 2.
    fn build_update(&self, p: &Info, base: &BaseUrl, key: &str, patch: &Patch) -> Result<Request>;
    /// A 2xx answer to an update (`sent`: the body that was sent) as the key's state.
    fn parse_update(&self, p: &Info, key: &str, sent: &Value, body: &[u8]) -> Result<Key>;
    /// The single-key read.
    fn build_get(&self, p: &Info, base: &BaseUrl, key: &str) -> Result<Request>;
    fn parse_get(&self, p: &Info, key: &str, body: &[u8]) -> Result<Key>;
    /// One page of the key list; `offset` counts keys already read (paginated providers).
    fn build_list(
        &self,
        p: &Info,
        base: &BaseUrl,
        offset: usize,
        include_disabled: bool,
    ) -> Result<Request>;
    fn parse_list(&self, p: &Info, body: &[u8]) -> Result<Page>;
    /// The provider's own message from an error body, when it has the documented shape.
    fn error_message(&self, body: &Value) -> Option<String>;
    /// The error for a non-2xx answer (by default by status class, see [`read::error_for`]).
    fn error_for(&self, p: &Info, resp: &Response) -> Error {
        read::error_for(p, self.error_message_of(resp), resp)
    }
    /// Warnings to show before sending (deprecated fields).
    fn warnings(&self, _patch: &Patch) -> Vec<String> {
        Vec::new()
    }
    /// Whether this change must read the key first to be built (besides a relative limit,
    /// which every provider reads for).
    fn needs_current(&self, _patch: &Patch, _relative: bool) -> bool {
        false
    }
    /// Completes `patch` from the key's current state (when `needs_current`).
    fn merge_current(&self, _p: &Info, _before: &Key, _patch: &mut Patch) -> Result<()> {
        Ok(())
    }
    /// The single-key read lacks fields only the list has: a run reads the list once and
    /// completes every read from it (io.net).
    fn get_completes_from_list(&self) -> bool {
        false
    }
    /// The provider's message from a response body, if it parses and has the documented shape.
    fn error_message_of(&self, resp: &Response) -> Option<String> {
        let v: Value = serde_json::from_slice(&resp.body).ok()?;
        self.error_message(&v)
    }
    /// The create request; an unsupported flag or bad value is exit 2.
    fn build_create(&self, p: &Info, base: &BaseUrl, new: &NewKey) -> Result<Request>;
    /// A 2xx answer to a create: the new key and its secret, wherever this provider puts it.
    /// An error here never quotes the body (it may hold the secret).
    fn parse_create(&self, p: &Info, body: &[u8]) -> Result<Created>;
    /// Notes to show before a create (a provider default the operator may not expect).
    fn create_notices(&self, _new: &NewKey, _now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
        Vec::new()
    }
    /// The key's type, where the provider has types (Venice), for a successor.
    fn key_type(&self, _key: &Key) -> Option<KeyType> {
        None
    }
    /// The credential check of `keyctl auth status`: one cheap read that proves the credential
    /// can manage keys (see [`super::auth`]).
    fn build_auth_check(&self, p: &Info, base: &BaseUrl) -> Result<Request>;
    /// A 2xx answer to the credential check, as JSON (`body`: as received, for quoting):
    /// `Ok(Some(detail))` when it proves the credential manages keys ("12 keys listed"),
    /// `Ok(None)` when it says it cannot, `Err(reason)` when it is not what the provider
    /// documents.
    fn read_auth_check(
        &self,
        v: &Value,
        body: &[u8],
    ) -> std::result::Result<Option<String>, String>;
    /// The delete (revoke) request for one key.
    fn build_delete(&self, p: &Info, base: &BaseUrl, key: &str) -> Result<Request>;
    /// A 2xx answer to a delete: fine unless it says otherwise (`deleted`/`success` false).
    fn parse_delete(&self, p: &Info, body: &[u8]) -> Result<()> {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return Ok(());
        };
        for flag in ["deleted", "success"] {
            if v.get(flag).and_then(Value::as_bool) == Some(false) {
                return Err(Error::Provider {
                    provider: p.name,
                    status: None,
                    message: format!(
                        "the provider answered the delete with success but `{flag}: false`; the \
                         key may still be active: check with keyctl get"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// A created key as its provider answered: the key and its secret (`None` when the answer had
/// none; the key then exists with a secret nobody has).
#[derive(Debug)]
pub struct Created {
    pub key: Key,
    pub secret: Option<String>,
}
