//! End-to-end runs of the keyctl binary against wiremock on loopback, one module per command
//! or behaviour; the fixtures they share are in `common`. Every run goes through
//! `common::Keyctl`, which scans stdout and stderr for the credential.

mod attack_profiles;
mod auth_check;
mod check;
mod common;
mod config;
mod create;
mod durations;
mod get_list;
mod hostile;
mod lifecycle_attack;
mod log;
mod output;
mod profiles_review;
mod providers;
mod pty;
mod review;
mod revoke;
mod rotate;
mod selection;
mod signals;
mod update;
mod wire;
