//! End-to-end runs of the keyctl binary against wiremock on loopback, one module per command
//! or behaviour; the fixtures they share are in `common`. Every run goes through
//! `common::Keyctl`, which scans stdout and stderr for the credential.

mod auth;
mod check;
mod common;
mod config;
mod create;
mod declared;
mod durations;
mod get_list;
mod hostile;
mod journal;
mod log;
mod output;
mod providers;
mod pty;
mod revoke;
mod rotate;
mod selection;
mod signals;
mod update;
mod wire;
