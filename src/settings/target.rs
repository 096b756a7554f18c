//! Where a command's requests go and with what credential ([`Target`]), and the message for a
//! credential that is not there, which names the profiles that could give one.

use super::Global;
use crate::config::Config;
use crate::credential::{Secret, Source};
use crate::error::{Error, Result};
use crate::provider::{BaseUrl, ProviderKind};

/// Where requests go and with what credential.
pub struct Target {
    pub p: ProviderKind,
    pub base: BaseUrl,
    /// `Ok(None)`: no source is set.
    pub credential: Result<Option<Secret>>,
    /// Where the credential was looked for.
    pub source: Source,
    /// The profile this target is for.
    pub profile: Option<String>,
    /// The credential comes from --api-key-file (whatever the profile says).
    pub from_flag: bool,
}

impl Target {
    /// The options that name this account again in a command to run by hand: `-P NAME` for a
    /// profile, else `-p ID`, with `--base-url URL` when it is not the provider's own and
    /// `--api-key-file PATH` when the credential came from one, so a pasted next step goes to
    /// the same account.
    pub fn selector(&self, global: &Global) -> String {
        let mut s = match &self.profile {
            Some(name) => format!("-P {}", crate::text::sanitize(name)),
            None => format!("-p {}", self.p.info().id),
        };
        let own = BaseUrl::parse(self.p.info().base_url)
            .map(|b| b.shown())
            .unwrap_or_default();
        if self.profile.is_none() && self.base.shown() != own {
            s.push_str(&format!(" --base-url {}", self.base.shown()));
        }
        // A workspace the profile does not give (a checked UUID: nothing to quote).
        if let Some(ws) = self.base.workspace()
            && (self.profile.is_none() || global.workspace.is_some())
        {
            s.push_str(&format!(" --workspace {ws}"));
        }
        if let (true, Some(f)) = (self.from_flag, &global.api_key_file) {
            s.push_str(&format!(
                " --api-key-file {}",
                crate::text::sanitize(&f.display().to_string())
            ));
        }
        s
    }

    /// The credential, or the error that names what to set.
    pub fn require(self) -> Result<(ProviderKind, BaseUrl, Secret)> {
        match self.credential? {
            Some(s) => Ok((self.p, self.base, s)),
            None => Err(missing(self.p, &self.source, self.profile.as_deref())),
        }
    }
}

impl Target {
    /// Where the credential comes from, for a refusal's hint, when it is not the provider's
    /// own variable: `profile 'x' (credential_command `op read …`)`.
    pub fn hint(&self) -> Option<String> {
        let own = matches!(&self.source, Source::Env(v) if v == self.p.info().credential_env);
        if self.from_flag {
            return Some(format!("{} (--api-key-file)", self.source));
        }
        match (&self.profile, own) {
            (None, true) => None,
            (None, false) => Some(format!("the credential in {}", self.source)),
            (Some(name), _) => Some(format!(
                "the credential of profile '{name}' ({})",
                self.source
            )),
        }
    }
}

/// The error for a missing credential: which variable to set.
pub fn missing(p: ProviderKind, source: &Source, profile: Option<&str>) -> Error {
    let var = match source {
        Source::Env(v) => v.as_str(),
        _ => p.info().credential_env,
    };
    match profile {
        Some(name) => Error::Credential(format!(
            "missing {p} admin credential: {var} (credential_env of profile '{name}') is not set; \
             set it, or change the profile's credential source"
        )),
        None => Error::Credential(format!(
            "missing {p} admin credential: set {var} or pass --api-key-file PATH (- for stdin){}",
            try_profiles(p)
        )),
    }
}

/// The config file's profiles (name, provider) and where the file is, for [`missing`]'s hint.
static PROFILES: std::sync::OnceLock<(Vec<(String, ProviderKind)>, String)> =
    std::sync::OnceLock::new();

/// Remembers the config file's profiles for [`missing`] (once a process).
pub(super) fn note_profiles(config: &Config) {
    let list = config
        .profiles
        .iter()
        .map(|pr| (pr.name.clone(), pr.provider.kind()))
        .collect();
    let _ = PROFILES.set((list, config.describe()));
}

/// `; or try -P NAME (a profile for P in FILE)` when the config file has profiles for `p` (up
/// to 3 named, the rest counted), else nothing.
fn try_profiles(p: ProviderKind) -> String {
    let Some((all, file)) = PROFILES.get() else {
        return String::new();
    };
    let names: Vec<String> = all
        .iter()
        .filter(|(_, k)| *k == p)
        .map(|(n, _)| format!("-P {}", crate::text::sanitize(n)))
        .collect();
    let shown = match names.len() {
        0 => return String::new(),
        1 => names[0].clone(),
        2 | 3 => format!(
            "{} or {}",
            names[..names.len() - 1].join(", "),
            names[names.len() - 1]
        ),
        n => format!(
            "{} or one of {} more (`keyctl providers` lists them)",
            names[..3].join(", "),
            n - 3
        ),
    };
    let what = if names.len() == 1 {
        "a profile"
    } else {
        "profiles"
    };
    format!("; or try {shown} ({what} for {p} in {file})")
}
