//! The config file (`$KEYCTL_CONFIG`, else `$XDG_CONFIG_HOME/keyctl/config.toml`): profiles,
//! custom providers, `default_profile` and `audit`, parsed with `toml` and checked whole before
//! anything runs. Every error is exit 2 and names the file, the line and the key. Nothing here
//! reads a credential: a profile only says where its credential comes from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
pub use crate::mask::{looks_like_key, shown};
use crate::output::Format;
use crate::provider::{BaseUrl, ProviderKind};

/// The most bytes of config file keyctl reads.
const MAX_CONFIG: usize = 1024 * 1024;

/// The keys of a profile, for messages.
const PROFILE_KEYS: &str = "provider, base_url, credential_env, credential_file, \
                            credential_command, output, concurrency, retries, timeout, workspace";
/// The keys of a custom provider, for messages.
const PROVIDER_KEYS: &str =
    "api, base_url, name, credential_env, credential_file, credential_command";
/// The top-level keys and tables, for messages.
const TOP_KEYS: &str = "default_profile, audit, [profiles.NAME], [providers.NAME]";

/// How to point at a credential instead of writing it into the file.
const SOURCES_HINT: &str = "keep the key out of the file and point to it with credential_env = \
                            \"VAR\", credential_file = \"PATH\" or credential_command = [\"op\", \
                            \"read\", \"op://vault/item/field\"]";

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    default_profile: Option<Spanned<String>>,
    audit: Option<bool>,
    #[serde(default)]
    profiles: BTreeMap<Spanned<String>, Spanned<RawProfile>>,
    #[serde(default)]
    providers: BTreeMap<Spanned<String>, Spanned<RawProvider>>,
}

/// The credential keys shared by profiles and providers, plus the names a literal secret is
/// usually written under (refused with a message that says what to write instead). Written
/// out in both tables: serde's `flatten` would lose the spans (the line numbers).
struct RawSources {
    credential_env: Option<Spanned<String>>,
    credential_file: Option<Spanned<String>>,
    credential_command: Option<Spanned<Vec<String>>>,
    api_key: Option<Spanned<toml::Value>>,
    key: Option<Spanned<toml::Value>>,
    token: Option<Spanned<toml::Value>>,
    secret: Option<Spanned<toml::Value>>,
    credential: Option<Spanned<toml::Value>>,
    password: Option<Spanned<toml::Value>>,
    admin_key: Option<Spanned<toml::Value>>,
    management_key: Option<Spanned<toml::Value>>,
}

/// Moves a table's credential keys into a [`RawSources`].
macro_rules! sources {
    ($b:expr) => {
        RawSources {
            credential_env: $b.credential_env,
            credential_file: $b.credential_file,
            credential_command: $b.credential_command,
            api_key: $b.api_key,
            key: $b.key,
            token: $b.token,
            secret: $b.secret,
            credential: $b.credential,
            password: $b.password,
            admin_key: $b.admin_key,
            management_key: $b.management_key,
        }
    };
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    provider: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    workspace: Option<Spanned<String>>,
    output: Option<Spanned<String>>,
    concurrency: Option<Spanned<i64>>,
    retries: Option<Spanned<i64>>,
    timeout: Option<Spanned<String>>,
    credential_env: Option<Spanned<String>>,
    credential_file: Option<Spanned<String>>,
    credential_command: Option<Spanned<Vec<String>>>,
    api_key: Option<Spanned<toml::Value>>,
    key: Option<Spanned<toml::Value>>,
    token: Option<Spanned<toml::Value>>,
    secret: Option<Spanned<toml::Value>>,
    credential: Option<Spanned<toml::Value>>,
    password: Option<Spanned<toml::Value>>,
    admin_key: Option<Spanned<toml::Value>>,
    management_key: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    api: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    credential_env: Option<Spanned<String>>,
    credential_file: Option<Spanned<String>>,
    credential_command: Option<Spanned<Vec<String>>>,
    api_key: Option<Spanned<toml::Value>>,
    key: Option<Spanned<toml::Value>>,
    token: Option<Spanned<toml::Value>>,
    secret: Option<Spanned<toml::Value>>,
    credential: Option<Spanned<toml::Value>>,
    password: Option<Spanned<toml::Value>>,
    admin_key: Option<Spanned<toml::Value>>,
    management_key: Option<Spanned<toml::Value>>,
}

/// The file being checked, for messages that name a line.
struct Doc<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Doc<'_> {
    fn line(&self, at: usize) -> usize {
        let at = at.min(self.text.len());
        self.text.as_bytes()[..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// The key written on the line of byte `at` (`key = ...`), if that line has one.
    fn key_at(&self, at: usize) -> Option<String> {
        let line = self.text.get(..at.min(self.text.len()))?;
        let start = line.rfind('\n').map_or(0, |i| i + 1);
        let whole = self.text[start..].lines().next()?;
        let (key, _) = whole.split_once('=')?;
        let key = key.trim().trim_matches(['"', '\'']);
        (!key.is_empty() && key.len() <= 40 && !key.contains(char::is_whitespace))
            .then(|| key.to_string())
    }

    /// Exit 2: `FILE:LINE: key: message`.
    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        key: &str,
        msg: impl std::fmt::Display,
    ) -> Result<T> {
        Err(Error::usage(format!(
            "{}:{}: {key}: {msg}",
            self.path.display(),
            self.line(span.start)
        )))
    }
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

/// Opens a file for reading only when it is a regular file (or a symbolic link to one), and
/// never blocks doing so: the open is non-blocking (a FIFO without a writer would block a plain
/// open forever; O_NOCTTY keeps a terminal from becoming ours), and the type is read from the
/// opened file itself (fstat), so a swap between a check and the open cannot slip a FIFO or a
/// device through. A FIFO, device, folder or socket is an error that says which it is. Used
/// for the config file and for `credential_file`.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    let opened = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
    };
    #[cfg(not(unix))]
    let opened = std::fs::File::open(path);
    let f = match opened {
        Ok(f) => f,
        // A socket cannot be opened at all (ENXIO), nor a terminal device without one: say
        // what is there rather than the system's words.
        Err(e) => {
            return Err(match std::fs::metadata(path) {
                Ok(m) if !m.is_file() => not_regular(&m.file_type()),
                _ => e,
            });
        }
    };
    let m = f.metadata()?;
    if !m.is_file() {
        return Err(not_regular(&m.file_type()));
    }
    // O_NONBLOCK changes nothing for a regular file's reads.
    Ok(f)
}

/// "it is a FIFO (named pipe), not a regular file": what stands at a path that must be a file.
fn not_regular(t: &std::fs::FileType) -> std::io::Error {
    let what = if t.is_dir() {
        "it is a directory, not"
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                "it is a FIFO (named pipe), not"
            } else if t.is_char_device() {
                "it is a character device, not"
            } else if t.is_block_device() {
                "it is a block device, not"
            } else if t.is_socket() {
                "it is a socket, not"
            } else {
                "it is not"
            }
        }
        #[cfg(not(unix))]
        {
            "it is not"
        }
    };
    std::io::Error::other(format!(
        "{what} a regular file (keyctl reads only a regular file here, or a symbolic link to \
         one)"
    ))
}

/// Parses and checks a config file's text (`path` for messages and relative paths).
pub fn parse(text: &str, path: &Path) -> Result<Config> {
    let doc = Doc { path, text };
    let raw: RawFile = toml::from_str(text).map_err(|e| syntax_error(&doc, &e))?;
    let mut cfg = Config {
        path: Some(path.to_path_buf()),
        audit: raw.audit,
        ..Config::default()
    };
    let mut providers: Vec<_> = raw.providers.into_iter().collect();
    providers.sort_by_key(|(k, _)| k.span().start);
    for (name, body) in providers {
        let at = name.span();
        let c = custom_provider(&doc, &name, body)?;
        // Ids are matched in any case, and `a-b`, `a_b`, `a.b` share KEYCTL_A_B_BASE_URL.
        let var = |id: &str| id.to_ascii_uppercase().replace(['-', '.'], "_");
        if let Some(first) = cfg.providers.iter().find(|p| var(&p.id) == var(&c.id)) {
            return doc.err(
                at,
                &format!("providers.{}", c.id),
                format!(
                    "the same provider as [providers.{}] (ids are matched in any case, and '-', \
                     '_' and '.' are the same in KEYCTL_<ID>_BASE_URL): rename one",
                    first.id
                ),
            );
        }
        cfg.providers.push(c);
    }
    let mut profiles: Vec<_> = raw.profiles.into_iter().collect();
    profiles.sort_by_key(|(k, _)| k.span().start);
    for (name, body) in profiles {
        let p = profile(&doc, &name, body, &cfg.providers)?;
        cfg.profiles.push(p);
    }
    if let Some(d) = raw.default_profile {
        if !cfg.profiles.iter().any(|p| p.name == *d.get_ref()) {
            return doc.err(
                d.span(),
                "default_profile",
                format!(
                    "no profile named '{}'; the profiles are: {}",
                    shown(d.get_ref()),
                    names(&cfg)
                ),
            );
        }
        cfg.default_profile = Some(d.into_inner());
    }
    Ok(cfg)
}

fn names(cfg: &Config) -> String {
    if cfg.profiles.is_empty() {
        return "(none)".into();
    }
    cfg.profiles
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A TOML or shape error: the line, and the message without any long quoted value (it could
/// be a key pasted in the wrong place).
fn syntax_error(doc: &Doc, e: &toml::de::Error) -> Error {
    let line = e.span().map_or(1, |s| doc.line(s.start));
    let msg = e.message().trim();
    let msg = match msg.strip_prefix("unknown field `") {
        Some(rest) => {
            let field = rest.split('`').next().unwrap_or("");
            let keys = if msg.contains("`credential_command`") && msg.contains("`api`") {
                format!("a provider's keys are {PROVIDER_KEYS}")
            } else if msg.contains("`credential_command`") {
                format!("a profile's keys are {PROFILE_KEYS}")
            } else {
                format!("the file's keys are {TOP_KEYS}")
            };
            format!("{}: unknown key; {keys}", shown(field))
        }
        // A wrong type or value: name the key written on that line.
        None => match e.span().and_then(|s| doc.key_at(s.start)) {
            Some(key) => format!("{}: {}", shown(&key), scrub_quotes(msg)),
            None => scrub_quotes(msg),
        },
    };
    Error::usage(format!("{}:{line}: {msg}", doc.path.display()))
}

/// Cuts quoted text longer than 16 characters out of a parser message.
fn scrub_quotes(msg: &str) -> String {
    let mut out = String::new();
    let mut parts = msg.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('"');
        if i % 2 == 0 && part.chars().count() > 16 {
            out.push('…');
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Checks a table's credential keys: exactly one source, and no literal secret.
fn source(doc: &Doc, table: &str, at: usize, s: RawSources) -> Result<Source> {
    let literal = [
        ("api_key", &s.api_key),
        ("key", &s.key),
        ("token", &s.token),
        ("secret", &s.secret),
        ("credential", &s.credential),
        ("password", &s.password),
        ("admin_key", &s.admin_key),
        ("management_key", &s.management_key),
    ];
    if let Some((k, Some(v))) = literal.iter().find(|(_, v)| v.is_some()) {
        return doc.err(
            v.span(),
            &format!("{table}.{k}"),
            format!("a credential written into the config file is refused: {SOURCES_HINT}"),
        );
    }
    let mut found = Vec::new();
    if let Some(v) = s.credential_env {
        let name = v.get_ref().trim();
        if looks_like_key(name) {
            return doc.err(
                v.span(),
                &format!("{table}.credential_env"),
                format!(
                    "this looks like a key, not a variable's name (which is all keyctl takes \
                     here): {SOURCES_HINT}"
                ),
            );
        }
        if !valid_var(name) {
            return doc.err(
                v.span(),
                &format!("{table}.credential_env"),
                "this is not an environment variable's name (letters, digits and _, not \
                 starting with a digit); if it is the key itself, put it in a variable and \
                 name the variable here",
            );
        }
        found.push(("credential_env", Source::Env(name.to_string())));
    }
    if let Some(v) = s.credential_file {
        if looks_like_key(v.get_ref()) {
            return doc.err(
                v.span(),
                &format!("{table}.credential_file"),
                format!("this looks like a key, not a file's path: {SOURCES_HINT}"),
            );
        }
        let Some(p) = expand_path(doc, v.get_ref().trim()) else {
            return doc.err(
                v.span(),
                &format!("{table}.credential_file"),
                "give the path of a file that holds only the key (~ is your home folder)",
            );
        };
        found.push(("credential_file", Source::File(p)));
    }
    if let Some(v) = s.credential_command {
        let argv = v.get_ref();
        if argv.first().is_none_or(|p| p.trim().is_empty()) {
            return doc.err(
                v.span(),
                &format!("{table}.credential_command"),
                "give the program and its arguments as a list, e.g. [\"op\", \"read\", \
                 \"op://vault/item/field\"] (it runs without a shell)",
            );
        }
        if argv.iter().any(|a| looks_like_key(a)) {
            return doc.err(
                v.span(),
                &format!("{table}.credential_command"),
                "an argument looks like a key: give the command the key's location (e.g. \
                 op://vault/item/field), never the key",
            );
        }
        let mut argv = argv.clone();
        // A relative program path starts at the config file's folder, as credential_file
        // does (never the current directory, which may be anyone's).
        if argv[0].contains('/')
            && let Some(p) = expand_path(doc, &argv[0])
        {
            argv[0] = p.display().to_string();
        }
        found.push(("credential_command", Source::Command(argv)));
    }
    match found.len() {
        1 => Ok(found.remove(0).1),
        0 => doc.err(
            at..at,
            table,
            "no credential source: add one of credential_env = \"VAR\", credential_file = \"PATH\" or credential_command = [\"prog\", \"arg\"]",
        ),
        _ => doc.err(
            at..at,
            table,
            format!(
                "{} credential sources ({}): keep exactly one",
                found.len(),
                found.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
            ),
        ),
    }
}

fn valid_var(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `~/x` from HOME; a relative path is taken from the config file's folder.
fn expand_path(doc: &Doc, p: &str) -> Option<PathBuf> {
    if p.is_empty() {
        return None;
    }
    let path = if p == "~" || p.starts_with("~/") {
        PathBuf::from(crate::env::get().home()?)
            .join(p.trim_start_matches('~').trim_start_matches('/'))
    } else {
        PathBuf::from(p)
    };
    Some(if path.is_absolute() {
        path
    } else {
        doc.path.parent().unwrap_or(Path::new(".")).join(path)
    })
}

/// Whether a base URL carries something that looks like a key outside its scheme, host and
/// port: in its user part, a path segment, the query or the fragment, each word checked
/// after percent-decoding. Such a URL would be printed by `providers`, `auth status` and `-v`.
/// A URL that does not parse is checked whole.
pub(crate) fn url_holds_key(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url.trim()) else {
        return looks_like_key(url);
    };
    let decoded = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut words = vec![decoded(u.username())];
    words.extend(u.password().map(decoded));
    words.extend(u.path().split('/').map(decoded));
    for part in [u.query(), u.fragment()].into_iter().flatten() {
        words.extend(part.split(['&', '=', ';']).map(decoded));
    }
    words
        .iter()
        .any(|w| w.split_whitespace().any(looks_like_key))
}

/// Refuses a `base_url` that holds a key (not shown), then one [`BaseUrl::parse`] refuses.
fn check_base_url(doc: &Doc, key: &str, url: &Spanned<String>) -> Result<()> {
    if url_holds_key(url.get_ref()) {
        return doc.err(
            url.span(),
            key,
            "this URL holds something that looks like a key (not shown); give the service's \
             address without it (e.g. \"https://api.example.com/v1\") and point to the key \
             with credential_env, credential_file or credential_command",
        );
    }
    match BaseUrl::parse(url.get_ref()) {
        Ok(_) => Ok(()),
        Err(e) => doc.err(url.span(), key, url_error(url.get_ref(), e)),
    }
}

/// A refused base URL's message; none of it when the URL holds something that looks like a
/// key (the message would show its host).
fn url_error(url: &str, e: Error) -> String {
    if looks_like_key(url) {
        "refused (not shown: it holds something that looks like a key); use the service's \
         https:// origin"
            .into()
    } else {
        e.to_string()
    }
}

/// A table name: letters, digits, `-`, `_`, `.`.
fn check_name(doc: &Doc, kind: &str, name: &Spanned<String>) -> Result<String> {
    let n = name.get_ref();
    if n.is_empty()
        || n.len() > 64
        || !n
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return doc.err(
            name.span(),
            &format!("[{kind}.{}]", shown(n)),
            "a name is 1 to 64 letters, digits, '-', '_' or '.'",
        );
    }
    if looks_like_key(n) {
        return doc.err(
            name.span(),
            &format!("[{kind}.{}]", shown(n)),
            "a name that looks like a key is refused (names are printed everywhere)",
        );
    }
    Ok(n.clone())
}

fn custom_provider(
    doc: &Doc,
    name: &Spanned<String>,
    body: Spanned<RawProvider>,
) -> Result<CustomProvider> {
    let id = check_name(doc, "providers", name)?.to_ascii_lowercase();
    let table = format!("providers.{id}");
    let at = body.span().start;
    if crate::provider::all().iter().any(|p| {
        let i = p.info();
        i.id == id || i.aliases.contains(&id.as_str())
    }) {
        return doc.err(
            name.span(),
            &table,
            "this is a built-in provider's id; give the custom provider another name",
        );
    }
    let body = body.into_inner();
    let Some(api) = body.api else {
        return doc.err(
            at..at,
            &table,
            "missing api: write api = \"openrouter\" (the key API ModelGates and novapai share)",
        );
    };
    let family = match api.get_ref().trim().to_ascii_lowercase().as_str() {
        "openrouter" => ProviderKind::OpenRouter,
        "venice" => ProviderKind::Venice,
        "ionet" | "io.net" => ProviderKind::Ionet,
        _ => {
            return doc.err(
                api.span(),
                &format!("{table}.api"),
                "unknown API family; use \"openrouter\" (ModelGates, novapai), \"venice\" or \"ionet\"",
            );
        }
    };
    let Some(base) = body.base_url else {
        return doc.err(
            at..at,
            &table,
            "missing base_url: the service's origin, e.g. \"https://api.example.com\"",
        );
    };
    check_base_url(doc, &format!("{table}.base_url"), &base)?;
    let display = match body.name {
        Some(n)
            if looks_like_key(n.get_ref().trim())
                || n.get_ref().split_whitespace().any(looks_like_key) =>
        {
            return doc.err(
                n.span(),
                &format!("{table}.name"),
                "a name that looks like a key is refused (the name is printed in tables and \
                 messages); write it in words, e.g. name = \"Acme Gateway\"",
            );
        }
        Some(n) if !n.get_ref().trim().is_empty() => crate::text::truncate(n.get_ref().trim(), 40),
        _ => id.clone(),
    };
    Ok(CustomProvider {
        credential: source(doc, &table, at, sources!(body))?,
        id,
        name: display,
        family,
        base_url: base.into_inner(),
    })
}

fn profile(
    doc: &Doc,
    name: &Spanned<String>,
    body: Spanned<RawProfile>,
    custom: &[CustomProvider],
) -> Result<Profile> {
    let pname = check_name(doc, "profiles", name)?;
    let table = format!("profiles.{pname}");
    let at = body.span().start;
    let body = body.into_inner();
    let Some(prov) = body.provider else {
        return doc.err(
            at..at,
            &table,
            "missing provider: e.g. provider = \"venice\"",
        );
    };
    let wanted = prov.get_ref().trim();
    let provider = if let Some(p) = crate::provider::all().iter().copied().find(|p| {
        let i = p.info();
        i.id.eq_ignore_ascii_case(wanted)
            || i.aliases.iter().any(|a| a.eq_ignore_ascii_case(wanted))
    }) {
        ProviderRef::Builtin(p)
    } else if let Some(i) = custom
        .iter()
        .position(|c| c.id.eq_ignore_ascii_case(wanted))
    {
        ProviderRef::Custom(i)
    } else {
        let mut ids: Vec<&str> = crate::provider::all().iter().map(|p| p.info().id).collect();
        ids.extend(custom.iter().map(|c| c.id.as_str()));
        return doc.err(
            prov.span(),
            &format!("{table}.provider"),
            format!(
                "no provider '{}'; use one of {} (or define it under [providers.NAME])",
                shown(wanted),
                ids.join(", ")
            ),
        );
    };
    if let Some(b) = &body.base_url {
        check_base_url(doc, &format!("{table}.base_url"), b)?;
    }
    let workspace = match body.workspace {
        None => None,
        Some(w) => {
            let key = format!("{table}.workspace");
            // A custom provider has its API family's workspaces.
            let (name, has) = match provider {
                ProviderRef::Builtin(p) => (p.info().name, p.info().workspaces),
                ProviderRef::Custom(i) => custom.get(i).map_or(("this provider", false), |c| {
                    (c.id.as_str(), c.family.info().workspaces)
                }),
            };
            if !has {
                return doc.err(
                    w.span(),
                    &key,
                    format!(
                        "{name}'s key API has no workspaces (only OpenRouter's has): remove this \
                         line, or use the profile for an OpenRouter account"
                    ),
                );
            }
            match crate::provider::Workspace::parse(w.get_ref(), "workspace") {
                Ok(ws) => Some(ws),
                Err(m) => return doc.err(w.span(), &key, m.trim_start_matches("workspace: ")),
            }
        }
    };
    let output = match body.output {
        None => None,
        Some(o) => Some(
            <Format as clap::ValueEnum>::from_str(o.get_ref().trim(), true).or_else(|_| {
                doc.err(
                    o.span(),
                    &format!("{table}.output"),
                    "use \"table\", \"tsv\" or \"json\"",
                )
            })?,
        ),
    };
    let concurrency = match body.concurrency {
        None => None,
        Some(c) => Some(
            u16::try_from(*c.get_ref())
                .ok()
                .filter(|n| (1..=256).contains(n))
                .map_or_else(
                    || {
                        doc.err(
                            c.span(),
                            &format!("{table}.concurrency"),
                            "a whole number from 1 to 256",
                        )
                    },
                    Ok,
                )?,
        ),
    };
    let retries = match body.retries {
        None => None,
        Some(r) => Some(
            u32::try_from(*r.get_ref())
                .ok()
                .filter(|n| *n <= 100)
                .map_or_else(
                    || {
                        doc.err(
                            r.span(),
                            &format!("{table}.retries"),
                            "a whole number from 0 to 100",
                        )
                    },
                    Ok,
                )?,
        ),
    };
    let timeout = match body.timeout {
        None => None,
        Some(t) => Some(crate::duration::parse(t.get_ref()).or_else(|e| {
            doc.err(
                t.span(),
                &format!("{table}.timeout"),
                format!("not a duration more than zero: {e}"),
            )
        })?),
    };
    Ok(Profile {
        credential: source(doc, &table, at, sources!(body))?,
        name: pname,
        provider,
        base_url: body.base_url.map(Spanned::into_inner),
        workspace,
        output,
        concurrency,
        retries,
        timeout,
    })
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

    fn cfg(text: &str) -> Result<Config> {
        parse(text, Path::new("/etc/keyctl.toml"))
    }

    fn err(text: &str) -> String {
        cfg(text).unwrap_err().to_string()
    }

    #[test]
    fn a_complete_file() {
        let c = cfg(r#"
default_profile = "prod"
audit = false

[providers.acme]
api = "openrouter"
base_url = "https://acme.example"
credential_env = "ACME_KEY"

[profiles.prod]
provider = "venice"
credential_command = ["op", "read", "op://v/i/f"]
output = "JSON"
concurrency = 8
retries = 0
timeout = "1m"

[profiles.acme-ci]
provider = "acme"
credential_file = "keys/acme"
base_url = "http://127.0.0.1:9"
"#)
        .unwrap();
        assert_eq!(c.default_profile.as_deref(), Some("prod"));
        assert_eq!(c.audit, Some(false));
        assert_eq!(c.profiles[0].name, "prod");
        assert_eq!(
            c.profiles[0].provider,
            ProviderRef::Builtin(ProviderKind::Venice)
        );
        assert_eq!(c.profiles[0].output, Some(Format::Json));
        assert_eq!(c.profiles[0].concurrency, Some(8));
        assert_eq!(c.profiles[0].retries, Some(0));
        assert_eq!(c.profiles[0].timeout, Some(Duration::from_secs(60)));
        assert_eq!(
            c.profiles[0].credential,
            Source::Command(vec!["op".into(), "read".into(), "op://v/i/f".into()])
        );
        assert_eq!(c.profiles[1].provider, ProviderRef::Custom(0));
        assert_eq!(
            c.profiles[1].credential,
            Source::File("/etc/keys/acme".into())
        );
        assert_eq!(c.providers[0].family, ProviderKind::OpenRouter);
        assert_eq!(c.providers[0].credential, Source::Env("ACME_KEY".into()));
    }

    #[test]
    fn profiles_keep_the_files_order() {
        let c = cfg("[profiles.zeta]\nprovider='venice'\ncredential_env='A'\n[profiles.alpha]\nprovider='ionet'\ncredential_env='B'\n").unwrap();
        let n: Vec<&str> = c.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(n, ["zeta", "alpha"]);
    }

    #[test]
    fn errors_name_the_file_line_and_key() {
        let cases: &[(&str, &str)] = &[
            (
                "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\ncolour = 'red'\n",
                "/etc/keyctl.toml:4: colour: unknown key; a profile's keys are provider",
            ),
            (
                "verbose = true\n",
                "/etc/keyctl.toml:1: verbose: unknown key; the file's keys are default_profile",
            ),
            (
                "[providers.x]\napi = 'openrouter'\nbase_url = 'https://x.example'\ncredential_env = 'X'\nurl = 1\n",
                ":5: url: unknown key; a provider's keys are api",
            ),
            (
                "[profiles.a]\nprovider = 'openai'\ncredential_env = 'X'\n",
                ":2: profiles.a.provider: no provider 'openai'; use one of ionet, modelgates",
            ),
            (
                "[profiles.a]\nprovider = 'venice'\n\ncredential_env = 'X'\nconcurrency = 0\n",
                ":5: profiles.a.concurrency: a whole number from 1 to 256",
            ),
            (
                "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\nretries = -1\n",
                ":4: profiles.a.retries",
            ),
            (
                "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\ntimeout = 'soon'\n",
                ":4: profiles.a.timeout: not a duration more than zero",
            ),
            (
                "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\noutput = 'yaml'\n",
                ":4: profiles.a.output: use \"table\", \"tsv\" or \"json\"",
            ),
            (
                "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\nbase_url = 'http://example.com'\n",
                ":4: profiles.a.base_url:",
            ),
            (
                "[profiles.a]\nprovider = 'venice'\n",
                ":1: profiles.a: no credential source",
            ),
            (
                "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\ncredential_file = '/k'\n",
                "profiles.a: 2 credential sources (credential_env, credential_file): keep exactly one",
            ),
            (
                "[profiles.a]\nprovider = 'venice'\ncredential_command = []\n",
                ":3: profiles.a.credential_command: give the program",
            ),
            (
                "[profiles.a]\ncredential_env = 'X'\n",
                ":1: profiles.a: missing provider",
            ),
            (
                "default_profile = 'nope'\n[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\n",
                ":1: default_profile: no profile named 'nope'; the profiles are: a",
            ),
            (
                "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\nretries = 'three'\n",
                ":4: retries: invalid type: string \"three\", expected i64",
            ),
            ("[profiles.a\n", ":1:"),
            (
                "[providers.venice]\napi = 'venice'\nbase_url = 'https://v.example'\ncredential_env = 'X'\n",
                ":1: providers.venice: this is a built-in provider's id",
            ),
            (
                "[providers.x]\napi = 'graphql'\nbase_url = 'https://x.example'\ncredential_env = 'X'\n",
                ":2: providers.x.api: unknown API family",
            ),
            (
                "[providers.x]\napi = 'openrouter'\ncredential_env = 'X'\n",
                ":1: providers.x: missing base_url",
            ),
            (
                "[profiles.'a b']\nprovider = 'venice'\ncredential_env = 'X'\n",
                ":1: [profiles.a b]: a name is 1 to 64 letters",
            ),
        ];
        for (text, want) in cases {
            let e = err(text);
            assert!(e.contains(want), "{text:?}\n  got:  {e}\n  want: {want}");
        }
    }

    #[test]
    fn a_literal_secret_is_refused_without_being_quoted() {
        let key = "sk-or-v1-0123456789abcdef0123456789abcdef";
        for field in [
            "api_key",
            "key",
            "token",
            "secret",
            "credential",
            "password",
            "admin_key",
            "management_key",
        ] {
            let e = err(&format!(
                "[profiles.a]\nprovider = 'venice'\n{field} = '{key}'\n"
            ));
            assert!(
                e.contains(&format!(
                    ":3: profiles.a.{field}: a credential written into the config file is refused"
                )),
                "{e}"
            );
            assert!(e.contains("credential_env = \"VAR\""), "{e}");
            assert!(!e.contains("0123456789abcdef"), "{e}");
        }
        let long = "X".repeat(65);
        for pasted in [
            "VENICE_ADMIN_KEY_Rq3xY7bN2kLm9PqS4tUv8WxZ1aBc",
            "VENICE_ADMIN_KEY_abcdefghijklmnop",
            long.as_str(),
        ] {
            let e = err(&format!(
                "[profiles.a]\nprovider = 'venice'\ncredential_env = '{pasted}'\n"
            ));
            assert!(
                e.contains(":3: profiles.a.credential_env: this looks like a key"),
                "{e}"
            );
            assert!(!e.contains(pasted), "{e}");
        }
        // Digits in short parts are a name.
        assert!(
            cfg(
                "[profiles.a]\nprovider = 'venice'\ncredential_env = 'VENICE_ADMIN_KEY_PROD_2026'\n"
            )
            .is_ok()
        );
        let e = err(&format!(
            "[profiles.a]\nprovider = 'venice'\ncredential_env = '{key}'\n"
        ));
        assert!(
            e.contains(":3: profiles.a.credential_env: this looks like a key"),
            "{e}"
        );
        assert!(!e.contains("0123456789abcdef"), "{e}");
        // A key pasted where a number goes is not echoed by the parser's message either.
        let e = err(&format!(
            "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\nretries = '{key}'\n"
        ));
        assert!(!e.contains("0123456789abcdef"), "{e}");
        let e = err(&format!(
            "[providers.x]\napi = 'openrouter'\nbase_url = 'https://x.example'\ntoken = '{key}'\n"
        ));
        assert!(
            e.contains(":4: providers.x.token: a credential written"),
            "{e}"
        );
    }

    #[test]
    fn an_empty_file_is_an_empty_config() {
        let c = cfg("").unwrap();
        assert!(c.profiles.is_empty() && c.providers.is_empty() && c.default_profile.is_none());
    }

    #[test]
    fn keys_in_paths_argv_and_names_are_refused_and_programs_start_at_the_files_folder() {
        let key = "sk-or-v1-0123456789abcdef0123456789abcdef";
        for (text, want) in [
            (format!("[profiles.a]\nprovider = 'venice'\ncredential_file = '/k/{key}'\n"), ":3: profiles.a.credential_file: this looks like a key"),
            (format!("[profiles.a]\nprovider = 'venice'\ncredential_command = ['echo', '{key}']\n"), ":3: profiles.a.credential_command: an argument looks like a key"),
            (format!("default_profile = '{key}'\n"), ":1: default_profile: no profile named '(the value given, not shown"),
            (format!("[profiles.a]\nprovider = '{key}'\ncredential_env = 'X'\n"), ":2: profiles.a.provider: no provider '(the value given, not shown"),
            (format!("'{key}' = 1\n"), ":1: (the value given, not shown: it looks like a key): unknown key"),
            (format!("[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\ntimeout = '{key}'\n"), ":4: profiles.a.timeout: not a duration"),
            ("[profiles.Rq3xY7bN2kLm9PqS4tUv8WxZ1aBc]\nprovider = 'venice'\ncredential_env = 'X'\n".to_string(), "a name that looks like a key is refused"),
        ] {
            let e = err(&text);
            assert!(e.contains(want), "{text:?}\n  got: {e}");
            assert!(!e.contains("0123456789abcdef") && !e.contains("Rq3xY7bN2kLm"), "{e}");
        }
        for (a, b) in [("ACME", "acme"), ("a-b", "a_b"), ("a.b", "a-b")] {
            let e = err(&format!(
                "[providers.'{a}']\napi = 'openrouter'\nbase_url = 'https://x.example'\ncredential_env = 'X'\n\
                 [providers.'{b}']\napi = 'openrouter'\nbase_url = 'https://y.example'\ncredential_env = 'Y'\n"
            ));
            assert!(
                e.contains(":5: providers.") && e.contains("the same provider as"),
                "{e}"
            );
        }
        let c =
            cfg("[profiles.a]\nprovider = 'venice'\ncredential_command = ['./bin/getkey', 'x']\n")
                .unwrap();
        assert_eq!(
            c.profiles[0].credential,
            Source::Command(vec!["/etc/./bin/getkey".into(), "x".into()])
        );
        let c = cfg("[profiles.a]\nprovider = 'venice'\ncredential_command = ['op', 'read', 'op://Private/venice-prod/credential']\n").unwrap();
        assert_eq!(
            c.profiles[0].credential,
            Source::Command(vec![
                "op".into(),
                "read".into(),
                "op://Private/venice-prod/credential".into()
            ])
        );
    }

    #[test]
    fn the_small_checks_at_their_edges() {
        // Variable names.
        for ok in ["A", "_", "VENICE_ADMIN_KEY", "a1_b2"] {
            assert!(valid_var(ok), "{ok}");
        }
        for bad in ["", "1A", "A-B", "A B", "é"] {
            assert!(!valid_var(bad), "{bad}");
        }
        // Key-like values: 16 characters mixing letters with digits or both cases; 65+ long.
        assert!(looks_like_key("ABCDEFGHIJKLMNO1"));
        assert!(!looks_like_key("ABCDEFGHIJKLMN1"));
        assert!(!looks_like_key("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        assert!(looks_like_key("abcdefghijklmnoP"));
        assert!(!looks_like_key("misconfigurations"));
        assert!(!looks_like_key("1234567890123456789"));
        assert!(looks_like_key(&"A".repeat(65)) && !looks_like_key(&"A".repeat(64)));
        assert!(
            looks_like_key("VENICE_ADMIN_KEY_abcdefghijkl")
                && !looks_like_key("VENICE_ADMIN_KEY_abcdefghijk")
        );
        assert!(!looks_like_key("VENICE_ADMIN_KEY_PROD"));
        // Parser messages: a quoted value over 16 characters is cut, a shorter one kept.
        assert_eq!(
            scrub_quotes(r#"bad "0123456789abcdefg" here"#),
            r#"bad "…" here"#
        );
        assert_eq!(
            scrub_quotes(r#"bad "0123456789abcdef" here"#),
            r#"bad "0123456789abcdef" here"#
        );
        assert_eq!(scrub_quotes(r#"a "x" b "y""#), r#"a "x" b "y""#);
        // Table names: 1 to 64 characters.
        let name = |n: &str| {
            cfg(&format!(
                "[profiles.'{n}']\nprovider = 'venice'\ncredential_env = 'X'\n"
            ))
        };
        assert!(name(&"p".repeat(64)).is_ok());
        assert!(
            name(&"P".repeat(65))
                .unwrap_err()
                .to_string()
                .contains("a name is 1 to 64")
        );
        assert!(
            name("")
                .unwrap_err()
                .to_string()
                .contains("a name is 1 to 64")
        );
        // The path of the file is kept (messages and relative paths use it).
        assert_eq!(
            cfg("").unwrap().path.as_deref(),
            Some(Path::new("/etc/keyctl.toml"))
        );
    }

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

    #[test]
    fn base_urls_and_names_holding_keys_are_refused_and_ordinary_ones_pass() {
        let key = "sk-or-v1-0123456789abcdef0123456789abcdef";
        for bad in [
            format!("https://api.example.com/v1/{key}"),
            format!("https://api.example.com/{key}/v1"),
            "https://api.example.com/VENICE_ADMIN_KEY_abcdefghijklmnop".into(),
            "https://api.example.com/v1/%73k-or-v1-abcdefghijklmnopq".into(),
            "https://api.example.com/a%20Rq3xY7bN2kLm9PqS4tUv8WxZ1aBc".into(),
            format!("https://api.example.com/v1?key={key}"),
            format!("https://api.example.com/v1#{key}"),
            format!("https://{key}@api.example.com"),
            "https://u:Rq3xY7bN2kLm9PqS4tUv8WxZ1aBc@api.example.com".into(),
            format!("not a url {key}"),
        ] {
            assert!(url_holds_key(&bad), "{bad}");
            for text in [
                format!(
                    "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\nbase_url = '{bad}'\n"
                ),
                format!(
                    "[providers.x]\napi = 'openrouter'\ncredential_env = 'X'\nbase_url = '{bad}'\n"
                ),
            ] {
                let e = err(&text);
                assert!(
                    e.contains(":4: profiles.a.base_url: this URL holds something that looks like a key (not shown)")
                        || e.contains(":4: providers.x.base_url: this URL holds something that looks like a key (not shown)"),
                    "{e}"
                );
                assert!(
                    !e.contains("0123456789abcdef")
                        && !e.contains("abcdefghijkl")
                        && !e.contains("Rq3xY7bN2kLm"),
                    "{e}"
                );
            }
        }
        for good in [
            "https://api.example.com/v1",
            "https://api.example.com",
            "http://127.0.0.1:8080/api/v1/",
            "https://gateway.example.com/tenants/eu-west-1/7f3a9c2e-1b4d-4e8f-9a6c-2d5e8f1b3c7a",
            "https://a1b2c3d4e5f6a7b8c9d0.example.com/v1",
        ] {
            assert!(!url_holds_key(good), "{good}");
            assert!(
                cfg(&format!(
                    "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\nbase_url = '{good}'\n"
                ))
                .is_ok(),
                "{good}"
            );
        }
        let named = |n: &str| {
            cfg(&format!(
                "[providers.x]\napi = 'openrouter'\nbase_url = 'https://x.example'\ncredential_env = 'X'\nname = '{n}'\n"
            ))
        };
        for bad in [
            key.to_string(),
            format!("Acme {key}"),
            "VENICE_ADMIN_KEY_abcdefghijklmnop".into(),
            "Rq3xY7bN2kLm9PqS4tUv8WxZ1aBc".into(),
        ] {
            let e = named(&bad).unwrap_err().to_string();
            assert!(
                e.contains(":5: providers.x.name: a name that looks like a key is refused"),
                "{e}"
            );
            assert!(
                !e.contains("0123456789abcdef")
                    && !e.contains("abcdefghijkl")
                    && !e.contains("Rq3xY7bN2kLm"),
                "{e}"
            );
        }
        for good in [
            "Acme Gateway 2",
            "Acme Gateway",
            "Mesh (EU, 2026)",
            "io.net mirror",
        ] {
            assert_eq!(named(good).unwrap().providers[0].name, good);
        }
    }

    #[test]
    fn custom_providers_of_each_family_and_the_lookups() {
        let c = cfg("[providers.v]\napi = 'Venice'\nbase_url = 'https://v.example'\ncredential_env = 'V'\nname = '  '\n\
                     [providers.i]\napi = 'io.net'\nbase_url = 'https://i.example'\ncredential_file = '/k'\nname = 'Mirror'\n\
                     [profiles.p]\nprovider = 'I'\ncredential_env = 'X'\n")
        .unwrap();
        assert_eq!(c.providers[0].family, ProviderKind::Venice);
        assert_eq!(c.providers[0].name, "v", "a blank name is the id");
        assert_eq!(c.providers[1].family, ProviderKind::Ionet);
        assert_eq!(c.providers[1].name, "Mirror");
        assert_eq!(c.profiles[0].provider, ProviderRef::Custom(1));
        assert_eq!(c.profile("p").map(|p| p.name.as_str()), Some("p"));
        assert!(c.profile("q").is_none());
        assert_eq!(
            c.custom(ProviderKind::Custom(1)).map(|p| p.id.as_str()),
            Some("i")
        );
        assert!(c.custom(ProviderKind::Custom(2)).is_none());
        assert!(c.custom(ProviderKind::Venice).is_none());
        assert_eq!(ProviderRef::Custom(1).kind(), ProviderKind::Custom(1));
    }
}
