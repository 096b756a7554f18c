//! What a run notes for its audit lines as it goes: the HTTP status of each key's write, and
//! the name of each key read before its write.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::key::Key;

/// The HTTP status last received for each key's write request (see [`note_status`]).
static STATUSES: Mutex<BTreeMap<String, u16>> = Mutex::new(BTreeMap::new());

/// Notes the HTTP status a write request about `key` received (the HTTP session calls this
/// after each PATCH, POST or DELETE); [`Trail::record`] uses the last one noted for a key
/// whose outcome carries no status of its own.
pub fn note_status(key: &str, status: u16) {
    let mut m = STATUSES.lock().unwrap_or_else(|e| e.into_inner());
    m.insert(key.to_string(), status);
}

/// Takes (and forgets) the status noted for the first of `keys` that has one.
pub(super) fn take_status(keys: &[&str]) -> Option<u16> {
    let mut m = STATUSES.lock().unwrap_or_else(|e| e.into_inner());
    let mut found = None;
    for k in keys {
        found = found.or(m.remove(*k));
    }
    found
}

/// The name of each key read before its write (see [`note_name`]).
static NAMES: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

/// Notes the name of `key` as read before its write (`revoke` reads each key before deleting
/// it): [`Trail::record`] uses it when the outcome carries no view of the key (a delete that
/// failed, or found the key gone).
pub fn note_name(key: &str, k: &Key) {
    if let Some(name) = k.name.value().cloned().filter(|n| !n.is_empty()) {
        let mut m = NAMES.lock().unwrap_or_else(|e| e.into_inner());
        m.insert(key.to_string(), name);
    }
}

/// The name noted for `key`, if any.
pub(super) fn noted_name(key: &str) -> Option<String> {
    let m = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    m.get(key).cloned()
}
