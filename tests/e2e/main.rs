//! End-to-end runs of the keyctl binary against wiremock on loopback, one module per theme.
//! Every run goes through `common::Keyctl`, which scans stdout and stderr for the credential.

mod attack_profiles;
mod audit_names;
mod audit_trail;
mod auth_check;
mod bounds;
mod common;
mod config_files;
mod config_profiles;
mod durations;
mod gates;
mod hostile;
mod input;
mod ionet;
mod lifecycle_attack;
mod lifecycle_create;
mod lifecycle_revoke_rotate;
mod log_streaming;
mod model;
mod openrouter;
mod profiles_and_support;
mod profiles_review;
mod pty;
mod pty_lifecycle;
mod reads;
mod review;
mod secret_delivery;
mod secrets_in_errors;
mod shell_docs;
mod signals;
mod snapshots;
mod successor_settings;
mod unique_names;
mod venice;
mod wire;
