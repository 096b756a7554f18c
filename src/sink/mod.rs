//! Where a new key's secret goes besides stdout: a sink ([`Sink`]: a new 0600 file or a
//! command), made ready before the key is made ([`Sink::prepare`]: a sink that cannot take the
//! secret stops the run with nothing created) and handed the secret after ([`place`]); a sink
//! that fails leaves the secret to be shown on stdout once instead.
//!
//! `create` and `rotate` name one with `--secret-file` or `--secret-command`; a key file's
//! `secret_file` / `secret_command` gives the same [`Sink`].

mod command;
mod file;
mod words;

use std::path::PathBuf;

use crate::error::Result;
use crate::http::Cancel;
use crate::outcome::NewSecret;

pub use command::{LIMIT as COMMAND_LIMIT, SecretCommand};
pub use file::SecretFile;
pub use words::split as split_command;

/// A sink for a new secret, as a flag or a key file names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// A new file, created with mode 0600 (never overwritten): the secret and a line break.
    File(PathBuf),
    /// A program and its arguments, run without a shell: the secret and a line break on its
    /// standard input, nowhere else.
    Command(Vec<String>),
}

/// Why a secret did not reach its sink: said on stderr, and in the key's error (the secret is
/// shown on stdout instead). Never holds the secret.
#[derive(Debug, Clone)]
pub struct Failure(pub String);

/// A sink made ready: the file created empty, or the program found.
pub enum Ready {
    File(SecretFile),
    Command(SecretCommand),
}

impl Sink {
    /// The flag that names this kind of sink on the command line.
    pub fn flag(&self) -> &'static str {
        match self {
            Sink::File(_) => "--secret-file",
            Sink::Command(_) => "--secret-command",
        }
    }

    /// Readies the sink before any key is made: the file is created empty with mode 0600 (it
    /// must not exist); the command's program is found on PATH and must be executable. An
    /// error is a usage error (exit 2) and nothing was created. `label` names the setting in
    /// messages (the flag, or a key file's `file:line: secret_file`); `hidden` are the
    /// variables the command's environment goes without (the admin credential variables).
    pub fn prepare(&self, label: &str, hidden: &[String]) -> Result<Ready> {
        Ok(match self {
            Sink::File(path) => Ready::File(SecretFile::create(path, label)?),
            Sink::Command(argv) => Ready::Command(SecretCommand::prepare(argv, label, hidden)?),
        })
    }
}

impl Ready {
    /// Hands the secret to the sink: where it went, or why it did not get there.
    pub async fn deliver(
        &mut self,
        secret: &str,
        cancel: &Cancel,
    ) -> std::result::Result<NewSecret, Failure> {
        match self {
            Ready::File(f) => f.write(secret),
            Ready::Command(c) => c.deliver(secret, cancel).await,
        }
    }

    /// Ends a sink that got no secret (the create failed): an empty file keyctl made is
    /// removed; a command is never run.
    pub fn discard_unused(self) {
        if let Ready::File(f) = self {
            f.discard_unused();
        }
    }
}

/// Where a new secret goes: its sink when there is one, else stdout. The secret is masked
/// everywhere else from now on. When the sink cannot take it, the secret is to be shown on
/// stdout instead (the run exits non-zero: the run's secret counts as not delivered) and the
/// failure is handed back, for the caller to say: `rotate` then leaves the old key as it is.
pub async fn place(
    secret: String,
    sink: &mut Option<Ready>,
    cancel: &Cancel,
) -> (NewSecret, Option<Failure>) {
    crate::mask::register_new(&secret);
    match sink {
        Some(s) => match s.deliver(&secret, cancel).await {
            Ok(placed) => (placed, None),
            Err(e) => {
                crate::output::secret_not_delivered();
                (NewSecret::Shown(secret), Some(e))
            }
        },
        None => (NewSecret::Shown(secret), None),
    }
}
