//! Key references on every command that takes keys: ids, prefixes, names and their mistakes.

mod key_refs;
mod names_hostile;
mod names_operator;
