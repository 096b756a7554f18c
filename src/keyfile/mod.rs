//! The declared-keys file of `keyctl plan` and `keyctl export` ("keys as code"): its checked
//! types ([`KeyFile`], [`DeclaredKey`], [`Settings`], [`Sink`]), reading it from disk, and
//! turning a declared key into what a provider is asked for ([`Settings::patch`],
//! [`DeclaredKey::new_key`]). The parse with spans (`FILE:LINE` in every refusal) is in
//! `parse`, the per-provider check in `probe`, and writing a file from keys read in `write`.

mod parse;
mod probe;
mod sinks;
mod write;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::newkey::NewKey;
use crate::patch::{Amount, Change, ExpirySpec, KeyType, Patch, Privacy, Reset};
use crate::provider::ProviderKind;

pub use parse::parse;
pub use probe::{Holds, updates_in_place};
pub use sinks::{check_sinks, same_file};
pub use write::{Document, ExportKey, setting_values, write_json, write_toml};

/// The most bytes of a key file keyctl reads.
pub const MAX_KEY_FILE: u64 = 16 * 1024 * 1024;

/// The settings a `[[key]]` table (or `[defaults]`) may give, as the file writes them.
pub const SETTING_NAMES: [&str; 12] = [
    "limit",
    "limit_diem",
    "limit_vcu",
    "reset",
    "expires",
    "models",
    "disabled",
    "include_byok_in_limit",
    "privacy",
    "type",
    "secret_file",
    "secret_command",
];

/// A checked key file: every key with its provider known and every field one its provider
/// can hold.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyFile {
    /// The file read, for messages.
    pub path: PathBuf,
    /// In the file's order.
    pub keys: Vec<DeclaredKey>,
}

/// Where a declared key lives: a profile of the config file, or a provider with its own
/// credential variable (`provider = "venice"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Profile(String),
    Provider(String),
}

impl Scope {
    /// `profile prod` / `provider venice`, for messages.
    pub fn describe(&self) -> String {
        match self {
            Scope::Profile(n) => format!("profile {n}"),
            Scope::Provider(p) => format!("provider {p}"),
        }
    }

    /// The options that name the scope's account in a command to run by hand: `-P prod`,
    /// `-p venice` (`p`: its provider).
    pub fn selector(&self, p: ProviderKind) -> String {
        match self {
            Scope::Profile(n) => format!("-P {}", crate::text::sanitize(n)),
            Scope::Provider(_) => format!("-p {}", p.info().id),
        }
    }

    /// The profile's name, when the scope is one.
    pub fn profile(&self) -> Option<&str> {
        match self {
            Scope::Profile(n) => Some(n),
            Scope::Provider(_) => None,
        }
    }
}

/// A declared value with the line it was written on (its own table's, or the defaults').
#[derive(Debug, Clone, PartialEq)]
pub struct Field<T> {
    pub value: T,
    pub line: usize,
}

/// What the file says about a key's settings; a field left out (`None`) is not managed: the
/// plan leaves it as the provider has it. An amount of `None` is `"none"` (no cap); models of
/// `None` is `"all"`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub limit: Option<Field<Option<Amount>>>,
    pub limit_diem: Option<Field<Option<Amount>>>,
    pub limit_vcu: Option<Field<Option<Amount>>>,
    pub reset: Option<Field<Reset>>,
    pub expires: Option<Field<ExpirySpec>>,
    pub models: Option<Field<Option<Vec<String>>>>,
    pub disabled: Option<Field<bool>>,
    pub include_byok_in_limit: Option<Field<bool>>,
    pub privacy: Option<Field<Privacy>>,
    /// Venice's key type, fixed at creation.
    pub kind: Option<Field<KeyType>>,
}

/// Where a new key's secret goes (delivering it is the sink module's job, not this one's).
#[derive(Debug, Clone, PartialEq)]
pub enum Sink {
    /// `secret_file = "PATH"`: created 0600, never overwritten; a relative path is resolved
    /// against the key file's directory.
    File(PathBuf),
    /// `secret_command = ["gh", "secret", "set", "CI_KEY"]`: run without a shell, the secret
    /// on its standard input only.
    Command(Vec<String>),
}

/// One `[[key]]`, its defaults applied and checked against its provider.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredKey {
    /// The line of its `[[key]]` header.
    pub line: usize,
    pub scope: Scope,
    pub provider: ProviderKind,
    /// Its identity: unique per scope.
    pub name: String,
    pub settings: Settings,
    pub sink: Option<Sink>,
    /// The line of its `secret_file` / `secret_command` (a defaults table's for an inherited
    /// command), when it names one.
    pub sink_line: Option<usize>,
}

fn amount(c: &Option<Field<Option<Amount>>>) -> Change<Amount> {
    match c {
        None => Change::Keep,
        Some(Field { value: None, .. }) => Change::Clear,
        Some(Field { value: Some(a), .. }) => Change::Set(a.clone()),
    }
}

impl Settings {
    /// Every declared setting as a change (a duration of `expires` from `now`; a moment as
    /// written, even one already past: whether it must be sent is the plan's question).
    /// `disabled` is included; `create` cannot carry it ([`DeclaredKey::new_key`]).
    pub fn patch(&self, now: DateTime<Utc>) -> Result<Patch> {
        let expires = match self.expires.as_ref().map(|f| &f.value) {
            None => Change::Keep,
            Some(ExpirySpec::Never) => Change::Clear,
            Some(ExpirySpec::At(at)) => Change::Set(*at),
            Some(spec @ ExpirySpec::In(_)) => spec.resolve(now)?,
        };
        Ok(Patch {
            limit: amount(&self.limit),
            reset: self.reset.as_ref().map(|f| f.value),
            expires,
            models: match &self.models {
                None => Change::Keep,
                Some(Field { value: None, .. }) => Change::Clear,
                Some(Field { value: Some(m), .. }) => Change::Set(m.clone()),
            },
            name: None,
            disabled: self.disabled.as_ref().map(|f| f.value),
            include_byok_in_limit: self.include_byok_in_limit.as_ref().map(|f| f.value),
            limit_diem: amount(&self.limit_diem),
            limit_vcu: amount(&self.limit_vcu),
            privacy: self.privacy.as_ref().map(|f| f.value),
        })
    }
}

impl DeclaredKey {
    /// The create that makes this key: its name, type and every declared setting a create
    /// carries; and the update to send right after (`disabled = true`: a key is created
    /// enabled), empty when there is none.
    pub fn new_key(&self, now: DateTime<Utc>) -> Result<(NewKey, Patch)> {
        let mut settings = self.settings.patch(now)?;
        let then = Patch {
            disabled: settings.disabled.take().filter(|d| *d),
            ..Patch::default()
        };
        Ok((
            NewKey {
                name: self.name.clone(),
                kind: self.settings.kind.as_ref().map(|f| f.value),
                settings,
            },
            then,
        ))
    }
}

impl KeyFile {
    /// The scopes the file names, each once, in the order first named.
    pub fn scopes(&self) -> Vec<(Scope, ProviderKind)> {
        let mut out: Vec<(Scope, ProviderKind)> = Vec::new();
        for k in &self.keys {
            if !out.iter().any(|(s, _)| *s == k.scope) {
                out.push((k.scope.clone(), k.provider));
            }
        }
        out
    }

    /// The keys declared in one scope.
    pub fn in_scope<'a>(&'a self, scope: &'a Scope) -> impl Iterator<Item = &'a DeclaredKey> {
        self.keys.iter().filter(move |k| k.scope == *scope)
    }
}

/// Reads and checks the key file at `path` against the config file's profiles: exit 2 naming
/// `FILE:LINE` for anything wrong, before anything is read from a provider.
pub fn load(path: &Path, config: &crate::config::Config, now: DateTime<Utc>) -> Result<KeyFile> {
    let text = read(path)?;
    parse(&text, path, config, now)
}

/// [`load`] for a run of `plan` or `apply`: only the keys `-P NAME` (that profile's) or `-p ID`
/// / KEYCTL_PROVIDER (that provider's, in profiles or not) select are kept; `--base-url`,
/// `--api-key-file` and `--workspace` name one account, so they are refused unless the keys
/// kept are in one profile or provider. Exit 2, nothing read from a provider.
pub fn load_selected(
    path: &Path,
    global: &crate::settings::Global,
    now: DateTime<Utc>,
) -> Result<KeyFile> {
    let mut file = load(path, &global.config, now)?;
    let shown = crate::text::sanitize(&path.display().to_string());
    if let Some(name) = global.profile_flag() {
        file.keys.retain(|k| k.scope.profile() == Some(name));
        if file.keys.is_empty() {
            return Err(Error::usage(format!(
                "-P {}: no key of {shown} is in that profile (-P keeps only its keys); drop -P \
                 to plan every key of the file",
                crate::text::sanitize(name)
            )));
        }
    }
    if let Some(id) = global.provider_name() {
        let Some(p) = crate::provider::find(id) else {
            return Err(Error::usage(format!(
                "no provider '{}'",
                crate::text::truncate(id, 40)
            )));
        };
        file.keys.retain(|k| k.provider == p);
        if file.keys.is_empty() {
            return Err(Error::usage(format!(
                "-p {}: no key of {shown} is at that provider (-p / KEYCTL_PROVIDER keeps only \
                 its keys); drop it to plan every key of the file",
                p.info().id
            )));
        }
    }
    let scopes = file.scopes();
    let one_account = [
        ("--base-url", global.base_url.is_some()),
        ("--api-key-file", global.api_key_file.is_some()),
        ("--workspace", global.workspace.is_some()),
    ];
    if scopes.len() > 1
        && let Some((flag, _)) = one_account.iter().find(|(_, given)| *given)
    {
        let names: Vec<String> = scopes.iter().map(|(s, _)| s.describe()).collect();
        return Err(Error::usage(format!(
            "{flag} names one account, and the keys of {shown} are in {} ({}): it would apply \
             to every one of them. Give each profile its own in the config file instead, or \
             keep one with -P NAME / -p ID; nothing was read or sent",
            names.len(),
            names.join(", ")
        )));
    }
    Ok(file)
}

fn read(path: &Path) -> Result<String> {
    use std::io::Read;
    let fail = |e: std::io::Error| {
        Error::usage(format!(
            "{}: cannot read the key file: {e}",
            crate::text::sanitize(&path.display().to_string())
        ))
    };
    let f = crate::credential::open_regular(path).map_err(fail)?;
    let mut bytes = Vec::new();
    f.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(Error::usage(format!(
            "{}: the key file is larger than {} MiB; split it",
            path.display(),
            MAX_KEY_FILE / 1024 / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        Error::usage(format!(
            "{}: the key file is not UTF-8 text",
            path.display()
        ))
    })
}
