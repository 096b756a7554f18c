//! The audit trail and `keyctl log`.

mod audit_names;
mod audit_trail;
mod audit_variable;
mod streaming;
mod trail_file;
