//! Where a credential comes from (never the credential itself): a variable, a file or a
//! command, as `--api-key-file`, a profile or a custom provider names it.

use std::path::PathBuf;

/// Where a credential comes from (never the credential itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An environment variable's name.
    Env(String),
    /// A file holding only the key (`~` expanded; relative to the config file's folder).
    File(PathBuf),
    /// A program and its arguments, run without a shell; its standard output is the key.
    Command(Vec<String>),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Env(v) => write!(f, "env {v}"),
            Source::File(p) => write!(f, "file {}", p.display()),
            Source::Command(argv) => write!(f, "command {}", argv.join(" ")),
        }
    }
}

impl Source {
    /// Whether the credential is there, without reading it: a variable set to something, a
    /// file that exists and is not empty; a command is not run (it may ask for a fingerprint).
    pub fn present(&self) -> Option<bool> {
        match self {
            Source::Env(v) => {
                Some(std::env::var_os(v).is_some_and(|x| !x.to_string_lossy().trim().is_empty()))
            }
            Source::File(p) if p.as_os_str() == "-" => None,
            Source::File(p) => Some(std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0)),
            Source::Command(_) => None,
        }
    }
}
