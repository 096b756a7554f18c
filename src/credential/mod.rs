//! The admin credential: where it comes from ([`Source`]: a variable, a file, a command), the
//! readers of each (bounded, a command stopped at its time-out and its process group killed),
//! the checked [`Secret`] they give, and the one list of the providers' secret prefixes. This is
//! the only module that reads a credential variable.
//!
//! Masking (the mask module) builds on [`Secret`] and [`SECRET_PREFIXES`], so the readers cannot
//! name it: the caller hands its functions in as a [`Masking`].

mod command;
mod prefix;
mod read;
mod secret;
mod source;

use std::future::Future;
use std::path::Path;

use crate::error::{Error, Result};

pub use prefix::{SECRET_PREFIXES, SecretPrefix, secret_shaped};
pub use read::{MAX_SECRET_FILE, ReadError, open_regular, read_bounded, read_on_thread};
pub use secret::{MAX_SECRET, Secret};
pub use source::Source;

/// What the readers need of masking, handed in by the caller (`settings`).
#[derive(Clone, Copy)]
pub struct Masking {
    /// Hides this value in every text shown from now on.
    pub register: fn(&Secret),
    /// Text made safe to show (registered values masked, controls stripped), cut to `max`
    /// characters.
    pub shown: fn(&str, usize) -> String,
    /// Whether a word looks like a key (a command's standard error shows it as `****`).
    pub looks_like_key: fn(&str) -> bool,
}

/// The values of these credential variables that are set and usable, to be masked before
/// anything can echo input (a pasted key as a flag value, KEYCTL_OUTPUT, --columns).
pub fn set_variables<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<Secret> {
    names
        .into_iter()
        .filter(|n| !n.is_empty())
        .filter_map(|n| Secret::parse(&std::env::var(n).ok()?, n).ok().flatten())
        .collect()
}

/// Whose credential is read: the provider's name (for messages) and its own variable.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub provider: &'a str,
    /// The provider's credential variable (empty: none), masked even when another source wins
    /// (it may be pasted as a path or an argument).
    pub own_var: &'a str,
}

/// The admin credential from --api-key-file (`file`) or the source (a variable, a file, a
/// command), checked (see `Secret::parse`) and registered for masking. `Ok(None)`: a variable
/// that is not set. Never printed. `cancelled` resolves at a signal.
pub async fn read(
    owner: Owner<'_>,
    file: Option<&Path>,
    source: &Source,
    cancelled: impl Future<Output = ()>,
    masking: Masking,
) -> Result<Option<Secret>> {
    for s in set_variables([owner.own_var]) {
        (masking.register)(&s);
    }
    let found = match (file, source) {
        // `--api-key-file` may be a pipe (`<(pass show x)`, `-`); a config's credential_file
        // must be a regular file (a FIFO there would block every run that reads it).
        (Some(path), _) => from_file(owner, path, "--api-key-file", false, cancelled)
            .await
            .map(Some),
        (None, Source::Env(var)) => from_env(owner, var),
        (None, Source::File(path)) => from_file(owner, path, "credential_file", true, cancelled)
            .await
            .map(Some),
        (None, Source::Command(argv)) => command::from_command(argv, cancelled, masking)
            .await
            .map(Some),
    };
    if let Ok(Some(s)) = &found {
        (masking.register)(s);
    }
    found
}

fn from_env(owner: Owner<'_>, var: &str) -> Result<Option<Secret>> {
    let p = owner.provider;
    match std::env::var(var) {
        Ok(v) => Secret::parse(&v, var),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::Credential(format!(
            "{var} is not valid UTF-8; set it to the {p} admin key"
        ))),
        Err(std::env::VarError::NotPresent) => Ok(None),
    }
}

/// The key in a file (`-`: standard input); `what` is the flag or config key that named it;
/// `regular`: only a regular file (or a link to one) is read, anything else refused at once.
async fn from_file(
    owner: Owner<'_>,
    path: &Path,
    what: &str,
    regular: bool,
    cancelled: impl Future<Output = ()>,
) -> Result<Secret> {
    let p = owner.provider;
    let source = if path == Path::new("-") {
        format!("standard input ({what} -)")
    } else {
        format!("the file {} ({what})", path.display())
    };
    let read = read_on_thread(path, MAX_SECRET_FILE, regular, cancelled).await?;
    let text = read.map_err(|e| {
        Error::Credential(match e {
            ReadError::TooLarge => format!(
                "{source} is larger than {} KiB; it must hold only the admin key",
                MAX_SECRET_FILE / 1024
            ),
            ReadError::NotUtf8 => {
                format!("{source} is not UTF-8 text; it must hold only the admin key")
            }
            ReadError::Io(e) => format!("cannot read {source}: {e}"),
        })
    })?;
    Secret::parse(&text, &source)?
        .ok_or_else(|| Error::Credential(format!("{source} is empty; put the {p} admin key in it")))
}

#[cfg(test)]
mod tests;
