//! The config file (`$KEYCTL_CONFIG`, else `$XDG_CONFIG_HOME/keyctl/config.toml`): profiles,
//! custom providers, `default_profile` and `audit`, parsed with `toml` and checked whole before
//! anything runs. Every error is exit 2 and names the file, the line and the key. Nothing here
//! reads a credential: a profile only says where its credential comes from.
//!
//! Here: the checked types, where the file is and its bounded read; `raw` holds the file's
//! shape as `toml` reads it (with spans), `doc` the messages that name a line, `parse` the
//! whole file's checks, `profile` a profile's, `source` the credential keys'.

mod doc;
mod parse;
mod profile;
mod raw;
mod source;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::credential::{Source, open_regular};
use crate::error::{Error, Result};
pub use crate::mask::{looks_like_key, shown};
use crate::output::Format;
use crate::provider::ProviderKind;
pub use parse::parse;
pub(crate) use parse::url_holds_key;

/// The most bytes of config file keyctl reads.
const MAX_CONFIG: usize = 1024 * 1024;

/// A profile's provider: built in, or the config's own `[providers.NAME]` (by index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderRef {
    Builtin(ProviderKind),
    Custom(usize),
}

impl ProviderRef {
    /// The provider, once the config's custom providers are registered (`Config::install`).
    pub fn kind(self) -> ProviderKind {
        match self {
            ProviderRef::Builtin(p) => p,
            ProviderRef::Custom(i) => ProviderKind::Custom(u16::try_from(i).unwrap_or(u16::MAX)),
        }
    }
}

/// `[profiles.NAME]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub provider: ProviderRef,
    pub base_url: Option<String>,
    /// OpenRouter: the workspace whose keys the profile lists, names and creates (checked: a
    /// UUID, on a provider with workspaces).
    pub workspace: Option<crate::provider::Workspace>,
    pub credential: Source,
    pub output: Option<Format>,
    pub concurrency: Option<u16>,
    pub retries: Option<u32>,
    pub timeout: Option<Duration>,
}

/// `[providers.NAME]`: a built-in API family at another base URL.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomProvider {
    pub id: String,
    pub name: String,
    pub family: ProviderKind,
    pub base_url: String,
    pub credential: Source,
}

/// The whole file, checked.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Config {
    /// The file read, when there was one.
    pub path: Option<PathBuf>,
    pub default_profile: Option<String>,
    pub audit: Option<bool>,
    /// In the file's order.
    pub profiles: Vec<Profile>,
    pub providers: Vec<CustomProvider>,
}

/// The file `load` reads: `$KEYCTL_CONFIG` (must exist), else
/// `$XDG_CONFIG_HOME/keyctl/config.toml`, else `~/.config/keyctl/config.toml` (either may be
/// absent). `(path, explicit)`.
pub fn location() -> Option<(PathBuf, bool)> {
    let env = crate::env::get();
    if let Some(p) = env.config_file() {
        return Some((PathBuf::from(p), true));
    }
    let base = env.config_home()?;
    Some((base.join("keyctl").join("config.toml"), false))
}

/// Reads and checks the config file; no file (at the default place) is an empty config.
pub fn load() -> Result<Config> {
    let Some((path, explicit)) = location() else {
        return Ok(Config::default());
    };
    let bytes = match read_bounded(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(Config::default());
        }
        Err(e) => {
            let from = if explicit {
                " (from KEYCTL_CONFIG)"
            } else {
                ""
            };
            return Err(Error::usage(format!(
                "cannot read the config file {}{from}: {e}; fix or unset it",
                path.display()
            )));
        }
    };
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::usage(format!(
            "{}: the config file is not UTF-8 text",
            path.display()
        ))
    })?;
    parse(&text, &path)
}

fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let f = open_regular(path)?;
    let mut buf = Vec::new();
    f.take(MAX_CONFIG as u64 + 1).read_to_end(&mut buf)?;
    if buf.len() > MAX_CONFIG {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB",
            MAX_CONFIG / 1024
        )));
    }
    Ok(buf)
}

impl Config {
    /// Registers the custom providers, so `-p NAME` and profiles find them (once a process).
    pub fn install(&self) {
        if self.providers.is_empty() {
            return;
        }
        crate::provider::register_custom(
            self.providers
                .iter()
                .map(|c| crate::provider::CustomRow {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    family: c.family,
                    base_url: c.base_url.clone(),
                    credential_env: match &c.credential {
                        Source::Env(v) => Some(v.clone()),
                        _ => None,
                    },
                })
                .collect(),
        );
    }

    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// A custom provider's entry.
    pub fn custom(&self, p: ProviderKind) -> Option<&CustomProvider> {
        match p {
            ProviderKind::Custom(i) => self.providers.get(usize::from(i)),
            _ => None,
        }
    }

    /// Where the file is, for messages.
    pub fn describe(&self) -> String {
        match (&self.path, location()) {
            (Some(p), _) => p.display().to_string(),
            (None, Some((p, _))) => format!("{} (not present)", p.display()),
            (None, None) => "(no config file: HOME is not set)".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_read_with_a_bound() {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("c.toml");
        std::fs::write(&at, vec![b' '; MAX_CONFIG]).unwrap();
        assert_eq!(read_bounded(&at).unwrap().len(), MAX_CONFIG);
        std::fs::write(&at, vec![b' '; MAX_CONFIG + 1]).unwrap();
        assert!(
            read_bounded(&at)
                .unwrap_err()
                .to_string()
                .contains("larger than 1024 KiB")
        );
        std::fs::write(&at, "audit = false\n").unwrap();
        assert_eq!(read_bounded(&at).unwrap(), b"audit = false\n");
        assert!(read_bounded(dir.path()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn only_a_regular_file_is_opened_and_never_with_a_wait() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo(3) with a NUL-terminated path that lives through the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let why = |p: &Path| open_regular(p).unwrap_err().to_string();
        // A FIFO nobody writes to: a plain open would block here forever.
        assert!(why(&fifo).starts_with("it is a FIFO (named pipe), not a regular file"));
        assert!(why(dir.path()).starts_with("it is a directory, not a regular file"));
        for dev in ["/dev/null", "/dev/zero", "/dev/tty"] {
            assert!(
                why(Path::new(dev)).starts_with("it is a character device, not a regular file"),
                "{dev}: {}",
                why(Path::new(dev))
            );
        }
        let missing = dir.path().join("none");
        assert_eq!(
            open_regular(&missing).unwrap_err().kind(),
            std::io::ErrorKind::NotFound
        );
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "audit = false\n").unwrap();
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_bounded(&link).unwrap(), b"audit = false\n");
        let to_fifo = dir.path().join("link-to-fifo");
        std::os::unix::fs::symlink(&fifo, &to_fifo).unwrap();
        assert!(why(&to_fifo).starts_with("it is a FIFO"));
    }
}
