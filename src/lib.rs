//! keyctl: manage API keys on AI-inference providers (io.net, ModelGates, novapai, Venice) from
//! one set of normalized flags. The binary in `main.rs` is a thin shell around `app::run`.

pub mod app;
pub mod cli;
pub mod error;
pub mod http;
pub mod output;
pub mod patch;
pub mod provider;
pub mod secret;
pub mod session;
pub mod support;
pub mod text;
