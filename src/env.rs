//! The process environment keyctl reads about itself, read once: every `KEYCTL_*` variable, and
//! the folders its files live in (XDG_CONFIG_HOME, XDG_STATE_HOME, HOME). The credential
//! variables are not here: only the credential module reads those.
//!
//! The XDG folders are built by hand: no kept crate gives exactly the documented rules on both
//! Linux and macOS (`dirs` and `directories` use `~/Library` on macOS; `etcetera`'s XDG
//! strategy looks HOME up in the password database when it is unset or empty, where keyctl
//! has no file, and fails without a home even when the XDG variable is set).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The variables of the process that keyctl reads, as they were at its first look.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, OsString>,
}

/// The folder variables read besides `KEYCTL_*`.
const FOLDERS: [&str; 3] = ["HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"];

static PROCESS: OnceLock<Env> = OnceLock::new();

/// This process's environment, read at the first call and kept.
pub fn get() -> &'static Env {
    PROCESS.get_or_init(|| {
        Env::from_vars(std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v))))
    })
}

impl Env {
    /// The variables keyctl reads out of `vars` (tests build one from pairs).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, OsString)>) -> Env {
        Env {
            vars: vars
                .into_iter()
                .filter(|(k, _)| k.starts_with("KEYCTL_") || FOLDERS.contains(&k.as_str()))
                .collect(),
        }
    }

    /// An environment of these variables alone (for tests).
    pub fn of(pairs: &[(&str, &str)]) -> Env {
        Env::from_vars(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v))),
        )
    }

    fn raw(&self, name: &str) -> Option<&OsStr> {
        self.vars.get(name).map(OsString::as_os_str)
    }

    /// A variable's value, trimmed, when it is set to something other than white space (a value
    /// that is not UTF-8 is read lossily).
    fn value(&self, name: &str) -> Option<String> {
        let v = self.raw(name)?.to_string_lossy().trim().to_string();
        (!v.is_empty()).then_some(v)
    }

    /// A whole number of milliseconds (a test hook), when the variable holds one.
    fn millis(&self, name: &str) -> Option<u64> {
        self.raw(name)?.to_str()?.parse::<u64>().ok()
    }

    /// KEYCTL_PROVIDER.
    pub fn provider(&self) -> Option<String> {
        self.value("KEYCTL_PROVIDER")
    }

    /// KEYCTL_OUTPUT.
    pub fn output(&self) -> Option<String> {
        self.value("KEYCTL_OUTPUT")
    }

    /// KEYCTL_PROFILE.
    pub fn profile(&self) -> Option<String> {
        self.value("KEYCTL_PROFILE")
    }

    /// KEYCTL_CONFIG: the config file to read instead of the default one.
    pub fn config_file(&self) -> Option<String> {
        self.value("KEYCTL_CONFIG")
    }

    /// KEYCTL_AUDIT as set, untrimmed (`audit::enabled_from` reads it).
    pub fn audit(&self) -> Option<String> {
        self.raw("KEYCTL_AUDIT")
            .map(|v| v.to_string_lossy().into_owned())
    }

    /// KEYCTL_CREDENTIAL_TIMEOUT_MS (the test suite's shorter credential_command limit).
    pub fn credential_timeout_ms(&self) -> Option<u64> {
        self.millis("KEYCTL_CREDENTIAL_TIMEOUT_MS")
    }

    /// KEYCTL_BACKOFF_MS (the test suite's shorter retry waits).
    pub fn backoff_ms(&self) -> Option<u64> {
        self.millis("KEYCTL_BACKOFF_MS")
    }

    /// KEYCTL_CREATE_WINDOW_MS (the test suite's shorter create-rate window).
    pub fn create_window_ms(&self) -> Option<u64> {
        self.millis("KEYCTL_CREATE_WINDOW_MS")
    }

    /// KEYCTL_SECRET_COMMAND_TIMEOUT_MS (the test suite's shorter `--secret-command` limit).
    pub fn secret_command_timeout_ms(&self) -> Option<u64> {
        self.millis("KEYCTL_SECRET_COMMAND_TIMEOUT_MS")
    }

    /// A provider's KEYCTL_<ID>_BASE_URL (`ProviderKind::base_url_env` names it), as set, when
    /// it is UTF-8 and not only white space.
    pub fn base_url(&self, var: &str) -> Option<&str> {
        self.raw(var)?.to_str().filter(|u| !u.trim().is_empty())
    }

    /// HOME, trimmed, when set to something other than white space (`~` in the config file).
    pub fn home(&self) -> Option<String> {
        self.value("HOME")
    }

    /// Where the config folders are: `$XDG_CONFIG_HOME` (trimmed) when it is an absolute path,
    /// else `$HOME/.config`; None without HOME.
    pub fn config_home(&self) -> Option<PathBuf> {
        match self.value("XDG_CONFIG_HOME").map(PathBuf::from) {
            Some(p) if p.is_absolute() => Some(p),
            _ => Some(PathBuf::from(self.home()?).join(".config")),
        }
    }

    /// Where state folders are: `$XDG_STATE_HOME` when it is an absolute path, else
    /// `$HOME/.local/state`; None without HOME.
    pub fn state_home(&self) -> Option<PathBuf> {
        state_home_from(
            self.raw("XDG_STATE_HOME").map(OsStr::to_os_string),
            self.raw("HOME").map(OsStr::to_os_string),
        )
    }
}

/// Whether a person can answer a question: standard input and standard error are terminals
/// (asked at each call).
pub fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// [`Env::state_home`] from the two variables' values.
fn state_home_from(xdg: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    xdg.map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Moved from audit/mod.rs with the state folder's rule (the trail is under it).
    #[test]
    fn paths_follow_xdg_then_home() {
        let p = |x: Option<&str>, h: Option<&str>| {
            state_home_from(x.map(OsString::from), h.map(OsString::from))
                .map(|s| s.join("keyctl").join("audit.jsonl"))
        };
        assert_eq!(
            p(Some("/s"), Some("/h")),
            Some(PathBuf::from("/s/keyctl/audit.jsonl"))
        );
        let home = Some(PathBuf::from("/h/.local/state/keyctl/audit.jsonl"));
        assert_eq!(p(Some(""), Some("/h")), home);
        assert_eq!(p(Some("rel"), Some("/h")), home);
        assert_eq!(p(None, Some("/h")), home);
        assert_eq!(p(None, None), None);
        assert_eq!(p(None, Some("")), None);
    }

    #[test]
    fn the_config_folder_follows_xdg_then_home() {
        let e = |pairs: &[(&str, &str)]| Env::of(pairs).config_home();
        assert_eq!(
            e(&[("XDG_CONFIG_HOME", " /c "), ("HOME", "/h")]),
            Some(PathBuf::from("/c"))
        );
        for xdg in ["", "  ", "rel/dir"] {
            assert_eq!(
                e(&[("XDG_CONFIG_HOME", xdg), ("HOME", "/h")]),
                Some(PathBuf::from("/h/.config")),
                "{xdg:?}"
            );
        }
        assert_eq!(e(&[("XDG_CONFIG_HOME", "/c")]), Some(PathBuf::from("/c")));
        assert_eq!(e(&[("HOME", " ")]), None);
        assert_eq!(e(&[]), None);
    }

    #[test]
    fn only_keyctl_and_folder_variables_are_kept_and_blank_is_unset() {
        let env = Env::of(&[
            ("KEYCTL_PROVIDER", " venice "),
            ("KEYCTL_OUTPUT", "  "),
            ("KEYCTL_BACKOFF_MS", "5"),
            ("KEYCTL_CREATE_WINDOW_MS", " 5"),
            ("KEYCTL_VENICE_BASE_URL", " http://127.0.0.1:9 "),
            ("KEYCTL_IONET_BASE_URL", " "),
            ("VENICE_ADMIN_KEY", "secret"),
        ]);
        assert_eq!(env.provider().as_deref(), Some("venice"));
        assert_eq!(env.output(), None);
        assert_eq!(env.backoff_ms(), Some(5));
        assert_eq!(env.create_window_ms(), None);
        assert_eq!(
            env.base_url("KEYCTL_VENICE_BASE_URL"),
            Some(" http://127.0.0.1:9 ")
        );
        assert_eq!(env.base_url("KEYCTL_IONET_BASE_URL"), None);
        assert!(env.raw("VENICE_ADMIN_KEY").is_none());
    }
}
