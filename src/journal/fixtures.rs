//! Entries and keys for the journal's unit tests.

use super::{Account, Entry};
use crate::key::{Key, Known};

/// A pending entry `id` of a ModelGates account without a profile, for the name `name`.
pub fn entry(id: &str, name: &str) -> Entry {
    Entry {
        entry: id.to_string(),
        time: "2026-11-23T10:00:00.000Z".into(),
        run: "0b0e8c2e-3f4a-4d5b-8c6d-7e8f9a0b1c2d".into(),
        command: "create".into(),
        account: Account {
            profile: None,
            provider: "modelgates".into(),
            base: "http://127.0.0.1:9/api/v1".into(),
        },
        name: name.to_string(),
        others: Vec::new(),
        process: None,
        secret_files: Vec::new(),
    }
}

/// A ModelGates key `id` named `name`.
pub fn key(id: &str, name: &str) -> Key {
    let mut k = Key::unread("modelgates", id, crate::key::Unit::Usd);
    k.name = Known::Value(name.to_string());
    k
}
