//! keyctl: manage API keys on AI-inference providers (io.net, ModelGates, novapai, OpenRouter,
//! Venice) from one set of normalized flags. The binary in `main.rs` is a thin shell around
//! `commands::run`. Leaf modules first: `visible`, `error`, `request`, `patch` import nothing
//! that imports them back (a test checks the module graph has no cycle).

pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod credential;
pub mod criteria;
pub mod duration;
pub mod env;
pub mod error;
pub mod http;
pub mod input;
pub mod journal;
pub mod key;
pub mod keyfile;
pub mod mask;
pub mod newkey;
pub mod outcome;
pub mod output;
pub mod patch;
pub mod plan;
pub mod provider;
pub mod request;
pub mod session;
pub mod settings;
pub mod sink;
pub mod support_table;
pub mod text;
pub mod visible;
