//! The provider registry: the providers keyctl speaks to, one static [`Info`] row each (names,
//! base URL, credential, auth, paging, a sample key, the adapter), the [`Adapter`] trait every
//! provider file implements, and the one exhaustive `match` from [`ProviderKind`] to its row.
//! Nothing here does I/O or prints: adapters build and read plain [`Request`]s.

pub mod auth;
pub mod gates;
pub mod ionet;
pub mod venice;

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::key::{Key, Unit};
use crate::newkey::NewKey;
use crate::patch::{KeyType, Patch};
use crate::request::{AuthScheme, Request, Response};

/// The providers keyctl speaks to. Ids are the lower-case variant names, matched without
/// regard to case; each variant's [`Info`] row comes from [`ProviderKind::info`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// io.net IO Intelligence
    Ionet,
    /// ModelGates
    ModelGates,
    /// novapai
    Novapai,
    /// OpenRouter
    OpenRouter,
    /// Venice
    Venice,
    /// A provider from the config file's `[providers.NAME]` (index into [`register_custom`]'s
    /// rows): a built-in API family at another base URL.
    Custom(u16),
}

/// The built-in providers, in the order of the enum.
static BUILTIN: [ProviderKind; 5] = [
    ProviderKind::Ionet,
    ProviderKind::ModelGates,
    ProviderKind::Novapai,
    ProviderKind::OpenRouter,
    ProviderKind::Venice,
];

/// The rows of the config file's custom providers, set once at start.
static CUSTOM: std::sync::OnceLock<Vec<Info>> = std::sync::OnceLock::new();

/// A custom provider's row: the API family's row with the config's id, name, base URL and
/// credential variable (strings leaked once: a run registers a handful at most).
pub struct CustomRow {
    pub id: String,
    pub name: String,
    pub family: ProviderKind,
    pub base_url: String,
    pub credential_env: Option<String>,
}

/// Registers the config file's custom providers (once per process; later calls are ignored
/// and return false).
pub fn register_custom(rows: Vec<CustomRow>) -> bool {
    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }
    let infos = rows
        .into_iter()
        .map(|r| {
            let f = r.family.info();
            Info {
                id: leak(r.id),
                aliases: &[],
                name: leak(r.name),
                base_url: leak(r.base_url),
                credential_env: r.credential_env.map_or("", leak),
                custom: true,
                create_rate: None,
                max_keys: None,
                ..*f
            }
        })
        .collect();
    CUSTOM.set(infos).is_ok()
}

/// The built-in providers, then the configured ones.
pub fn configured() -> Vec<ProviderKind> {
    let n = CUSTOM.get().map_or(0, Vec::len);
    let custom = (0..n).filter_map(|i| u16::try_from(i).ok().map(ProviderKind::Custom));
    BUILTIN.iter().copied().chain(custom).collect()
}

/// The provider a name stands for: a built-in id or alias in any case, else a custom id.
pub fn find(name: &str) -> Option<ProviderKind> {
    let name = name.trim();
    configured().into_iter().find(|p| {
        let i = p.info();
        i.id.eq_ignore_ascii_case(name) || i.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

/// Everything keyctl knows about a provider besides its request mapping.
pub struct Info {
    /// The id given to `-p` (also the `KEYCTL_<ID>_BASE_URL` variable's middle part).
    pub id: &'static str,
    /// Other names `-p` accepts.
    pub aliases: &'static [&'static str],
    /// The name in messages and tables.
    pub name: &'static str,
    pub base_url: &'static str,
    /// The environment variable holding the admin credential.
    pub credential_env: &'static str,
    pub auth: AuthScheme,
    /// Keys per page of a paginated list (read until a page is short); None: one request.
    pub page_size: Option<usize>,
    /// A key id the provider accepts (checks, the support table, tests).
    pub sample_key: &'static str,
    /// The API family: `ionet`, `openrouter` (ModelGates, novapai, OpenRouter) or `venice`.
    pub api: &'static str,
    /// The unit of limits and usage.
    pub unit: Unit,
    /// At most this many creates per this many seconds (Venice: 20 a minute).
    pub create_rate: Option<(usize, u64)>,
    /// At most this many active keys per account (Venice: 500).
    pub max_keys: Option<usize>,
    /// Defined in the config file (`[providers.NAME]`), not built in.
    pub custom: bool,
    /// Its published document has workspaces: the key list shows one workspace's keys (the
    /// default one unless `workspace_id` is given) and a create can name the workspace
    /// (OpenRouter; a custom provider of its family inherits this). Elsewhere `--workspace` and
    /// a profile's `workspace` are refused.
    pub workspaces: bool,
    pub adapter: &'static dyn Adapter,
}

/// The 64-hex-digit key hash of the OpenRouter-style APIs.
const HASH: &str = "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943";

static IONET: Info = Info {
    id: "ionet",
    aliases: &["io.net"],
    name: "io.net",
    base_url: "https://api.intelligence.io.solutions",
    credential_env: "IONET_ADMIN_KEY",
    auth: AuthScheme::XApiKey,
    page_size: None,
    sample_key: "3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23",
    api: "ionet",
    unit: Unit::Credits,
    create_rate: None,
    max_keys: None,
    custom: false,
    workspaces: false,
    adapter: &ionet::Ionet,
};

static MODELGATES: Info = Info {
    id: "modelgates",
    aliases: &[],
    name: "ModelGates",
    base_url: "https://modelgates.ai",
    credential_env: "MODELGATES_MANAGEMENT_KEY",
    auth: AuthScheme::Bearer,
    page_size: Some(gates::PAGE),
    sample_key: HASH,
    api: "openrouter",
    unit: Unit::Usd,
    create_rate: None,
    max_keys: None,
    custom: false,
    workspaces: false,
    adapter: &gates::Gates,
};

static NOVAPAI: Info = Info {
    id: "novapai",
    aliases: &[],
    name: "novapai",
    base_url: "https://novapai.ai",
    credential_env: "NOVAPAI_MANAGEMENT_KEY",
    auth: AuthScheme::Bearer,
    page_size: Some(gates::PAGE),
    sample_key: HASH,
    api: "openrouter",
    unit: Unit::Usd,
    create_rate: None,
    max_keys: None,
    custom: false,
    workspaces: false,
    adapter: &gates::Gates,
};

static OPENROUTER: Info = Info {
    id: "openrouter",
    aliases: &[],
    name: "OpenRouter",
    base_url: "https://openrouter.ai",
    credential_env: "OPENROUTER_MANAGEMENT_KEY",
    auth: AuthScheme::Bearer,
    page_size: Some(gates::PAGE),
    sample_key: HASH,
    api: "openrouter",
    unit: Unit::Usd,
    create_rate: None,
    max_keys: None,
    custom: false,
    workspaces: true,
    adapter: &gates::Gates,
};

static VENICE: Info = Info {
    id: "venice",
    aliases: &[],
    name: "Venice",
    base_url: "https://api.venice.ai",
    credential_env: "VENICE_ADMIN_KEY",
    auth: AuthScheme::Bearer,
    page_size: None,
    sample_key: "e28e82dc-9df2-4b47-b726-d0a222ef2ab5",
    api: "venice",
    unit: Unit::Usd,
    create_rate: Some((20, 60)),
    max_keys: Some(500),
    custom: false,
    workspaces: false,
    adapter: &venice::Venice,
};

/// Every provider, in the order of the enum.
pub fn all() -> &'static [ProviderKind] {
    &BUILTIN
}

/// A provider's request mapping: pure builders and parsers (no I/O, no secret, no printing).
/// `p` is the provider's own row, for names in messages and its auth scheme.
pub trait Adapter: Sync {
    /// The update request for one key; an unsupported flag or bad value is exit 2.
    fn build_update(&self, p: &Info, base: &BaseUrl, key: &str, patch: &Patch) -> Result<Request>;
    /// A 2xx answer to an update (`sent`: the body that was sent) as the key's state.
    fn parse_update(&self, p: &Info, key: &str, sent: &Value, body: &[u8]) -> Result<Key>;
    /// The single-key read.
    fn build_get(&self, p: &Info, base: &BaseUrl, key: &str) -> Result<Request>;
    fn parse_get(&self, p: &Info, key: &str, body: &[u8]) -> Result<Key>;
    /// One page of the key list; `offset` counts keys already read (paginated providers).
    fn build_list(
        &self,
        p: &Info,
        base: &BaseUrl,
        offset: usize,
        include_disabled: bool,
    ) -> Result<Request>;
    fn parse_list(&self, p: &Info, body: &[u8]) -> Result<Page>;
    /// The provider's own message from an error body, when it has the documented shape.
    fn error_message(&self, body: &Value) -> Option<String>;
    /// The error for a non-2xx answer (by default by status class, see [`error_for`]).
    fn error_for(&self, p: &Info, resp: &Response) -> Error {
        error_for(p, self.error_message_of(resp), resp)
    }
    /// Warnings to show before sending (deprecated fields).
    fn warnings(&self, _patch: &Patch) -> Vec<String> {
        Vec::new()
    }
    /// Whether this change must read the key first to be built (besides a relative limit,
    /// which every provider reads for).
    fn needs_current(&self, _patch: &Patch, _relative: bool) -> bool {
        false
    }
    /// Completes `patch` from the key's current state (when `needs_current`).
    fn merge_current(&self, _p: &Info, _before: &Key, _patch: &mut Patch) -> Result<()> {
        Ok(())
    }
    /// The single-key read lacks fields only the list has: a run reads the list once and
    /// completes every read from it (io.net).
    fn get_completes_from_list(&self) -> bool {
        false
    }
    /// The provider's message from a response body, if it parses and has the documented shape.
    fn error_message_of(&self, resp: &Response) -> Option<String> {
        let v: Value = serde_json::from_slice(&resp.body).ok()?;
        self.error_message(&v)
    }
    /// The create request; an unsupported flag or bad value is exit 2.
    fn build_create(&self, p: &Info, base: &BaseUrl, new: &NewKey) -> Result<Request>;
    /// A 2xx answer to a create: the new key and its secret, wherever this provider puts it.
    /// An error here never quotes the body (it may hold the secret).
    fn parse_create(&self, p: &Info, body: &[u8]) -> Result<Created>;
    /// Notes to show before a create (a provider default the operator may not expect).
    fn create_notices(&self, _new: &NewKey, _now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
        Vec::new()
    }
    /// The key's type, where the provider has types (Venice), for a successor.
    fn key_type(&self, _key: &Key) -> Option<KeyType> {
        None
    }
    /// The delete (revoke) request for one key.
    fn build_delete(&self, p: &Info, base: &BaseUrl, key: &str) -> Result<Request>;
    /// A 2xx answer to a delete: fine unless it says otherwise (`deleted`/`success` false).
    fn parse_delete(&self, p: &Info, body: &[u8]) -> Result<()> {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return Ok(());
        };
        for flag in ["deleted", "success"] {
            if v.get(flag).and_then(Value::as_bool) == Some(false) {
                return Err(Error::Provider {
                    provider: p.name,
                    status: None,
                    message: format!(
                        "the provider answered the delete with success but `{flag}: false`; the \
                         key may still be active: check with keyctl get"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// A created key as its provider answered: the key and its secret (`None` when the answer had
/// none; the key then exists with a secret nobody has).
#[derive(Debug)]
pub struct Created {
    pub key: Key,
    pub secret: Option<String>,
}

/// A create answer as JSON, or an error that does not quote it (it may hold the secret).
pub fn parse_created_json(p: &Info, body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| Error::Provider {
        provider: p.name,
        status: None,
        message: format!(
            "the answer to the create is not valid JSON ({}); it is not shown, since it may hold \
             the new secret",
            e.classify_name()
        ),
    })
}

/// A string field of a create answer that holds the secret: taken out of `v` (so it is never
/// kept in the key's `raw`), if it is a non-empty string.
pub fn take_secret(v: &mut Value, name: &str) -> Option<String> {
    let o = v.as_object_mut()?;
    match o.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        _ => return None,
    }
    match o.remove(name) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// An answer's body as any part of it may be quoted in a message, whatever its status: every
/// field that may hold a key's secret (see `secret::is_secret_field`: `key`, `data.value`,
/// `data.apiKey`, …) removed at any depth, and in every string and name left, and in a body
/// that is not JSON, secret fields written as text and key-shaped tokens masked (see
/// `secret::scrub_quoted`). The one step every quoted answer goes through; borrowed when
/// nothing had to go.
pub fn quotable(body: &[u8]) -> Cow<'_, [u8]> {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            if strip_secrets(&mut v) {
                Cow::Owned(serde_json::to_vec(&v).unwrap_or_default())
            } else {
                Cow::Borrowed(body)
            }
        }
        Err(_) => match crate::secret::scrub_quoted(&String::from_utf8_lossy(body)) {
            Cow::Owned(t) => Cow::Owned(t.into_bytes()),
            Cow::Borrowed(_) => Cow::Borrowed(body),
        },
    }
}

/// A short, safe excerpt of an answer's body for a message, from its [`quotable`] form, and
/// scrubbed once more after the snippet's own steps (tags, controls and white space dropped or
/// collapsed), which join text.
pub fn quote(body: &[u8]) -> String {
    crate::secret::scrub_quoted(&crate::text::snippet(&quotable(body))).into_owned()
}

/// Removes the secret fields from `v` and scrubs its strings and names; whether anything
/// changed.
fn strip_secrets(v: &mut Value) -> bool {
    match v {
        Value::String(s) => match crate::secret::scrub_quoted(s) {
            Cow::Owned(m) => {
                *s = m;
                true
            }
            Cow::Borrowed(_) => false,
        },
        Value::Array(a) => a.iter_mut().fold(false, |ch, x| strip_secrets(x) | ch),
        Value::Object(o) => {
            let before = o.len();
            o.retain(|k, _| !crate::secret::is_secret_field(k));
            let mut changed = o.len() != before;
            if o.keys()
                .any(|k| matches!(crate::secret::scrub_quoted(k), Cow::Owned(_)))
            {
                let renamed: serde_json::Map<String, Value> = std::mem::take(o)
                    .into_iter()
                    .map(|(k, v)| (crate::secret::scrub_quoted(&k).into_owned(), v))
                    .collect();
                *o = renamed;
                changed = true;
            }
            o.values_mut().fold(changed, |ch, x| strip_secrets(x) | ch)
        }
        _ => false,
    }
}

/// Replaces every string equal to `secret` in `v` by `****` (the secret never sits in `raw`).
fn scrub(v: &mut Value, secret: &str) {
    match v {
        Value::String(s) if s.contains(secret) => *s = crate::request::REDACTED.into(),
        Value::Array(a) => a.iter_mut().for_each(|x| scrub(x, secret)),
        Value::Object(o) => o.values_mut().for_each(|x| scrub(x, secret)),
        _ => {}
    }
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    /// What kind of JSON error, without the position's excerpt of the input.
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}

impl ProviderKind {
    /// The provider's row: the one `match` on providers.
    pub fn info(self) -> &'static Info {
        match self {
            ProviderKind::Ionet => &IONET,
            ProviderKind::ModelGates => &MODELGATES,
            ProviderKind::Novapai => &NOVAPAI,
            ProviderKind::OpenRouter => &OPENROUTER,
            ProviderKind::Venice => &VENICE,
            // A Custom index exists only once registered; OpenRouter's row is unreachable.
            ProviderKind::Custom(i) => CUSTOM
                .get()
                .and_then(|rows| rows.get(usize::from(i)))
                .unwrap_or(&OPENROUTER),
        }
    }

    /// The environment variable that overrides the base URL.
    pub fn base_url_env(self) -> String {
        format!(
            "KEYCTL_{}_BASE_URL",
            self.info().id.to_ascii_uppercase().replace(['-', '.'], "_")
        )
    }

    pub fn build_update(self, base: &BaseUrl, key: &str, patch: &Patch) -> Result<Request> {
        let i = self.info();
        refuse_secret_id(i, key)?;
        i.adapter
            .build_update(i, base, key, patch)
            .map(|r| r.about(key))
    }

    /// The key an update answered with (its id is the one asked for when the answer has none).
    pub fn parse_update(self, key: &str, sent: &Value, body: &[u8]) -> Result<Key> {
        let i = self.info();
        i.adapter
            .parse_update(i, key, sent, body)
            .map(|k| with_id(k, key))
    }

    pub fn build_get(self, base: &BaseUrl, key: &str) -> Result<Request> {
        let i = self.info();
        refuse_secret_id(i, key)?;
        i.adapter.build_get(i, base, key).map(|r| r.about(key))
    }

    pub fn parse_get(self, key: &str, body: &[u8]) -> Result<Key> {
        let i = self.info();
        i.adapter.parse_get(i, key, body).map(|k| with_id(k, key))
    }

    /// A key known only by its id, for plans without a read.
    pub fn unread(self, key: &str) -> Key {
        let i = self.info();
        Key::unread(i.id, key, i.unit)
    }

    pub fn build_list(self, base: &BaseUrl, offset: usize, disabled: bool) -> Result<Request> {
        let i = self.info();
        no_workspace_unless_supported(i, base)?;
        i.adapter.build_list(i, base, offset, disabled)
    }

    pub fn parse_list(self, body: &[u8]) -> Result<Page> {
        let i = self.info();
        i.adapter.parse_list(i, body)
    }

    pub fn build_create(self, base: &BaseUrl, new: &NewKey) -> Result<Request> {
        let i = self.info();
        no_workspace_unless_supported(i, base)?;
        i.adapter.build_create(i, base, new)
    }

    /// The created key and its secret; the secret is scrubbed from the key's `raw`.
    pub fn parse_create(self, body: &[u8]) -> Result<Created> {
        let i = self.info();
        let mut c = i.adapter.parse_create(i, body)?;
        if let Some(s) = &c.secret {
            scrub(&mut c.key.raw, s);
            // A provider that echoes the secret as the name (or anywhere else keyctl shows) does
            // not get it shown a second time.
            let hide = |t: &mut String| {
                if t.contains(s.as_str()) {
                    *t = crate::request::REDACTED.into();
                }
            };
            hide(&mut c.key.id);
            if let Some(Some(n)) = &mut c.key.name {
                hide(n);
            }
            if let Some(Some(m)) = &mut c.key.models {
                m.iter_mut().for_each(hide);
            }
        }
        Ok(c)
    }

    pub fn create_notices(self, new: &NewKey, now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
        self.info().adapter.create_notices(new, now)
    }

    pub fn key_type(self, key: &Key) -> Option<KeyType> {
        self.info().adapter.key_type(key)
    }

    pub fn build_delete(self, base: &BaseUrl, key: &str) -> Result<Request> {
        let i = self.info();
        refuse_secret_id(i, key)?;
        i.adapter.build_delete(i, base, key).map(|r| r.about(key))
    }

    pub fn parse_delete(self, body: &[u8]) -> Result<()> {
        let i = self.info();
        i.adapter.parse_delete(i, body)
    }

    /// The error for a non-2xx answer. The adapter reads the body only as [`quotable`] leaves
    /// it: no field that may hold a key's secret, no key-shaped token.
    pub fn error_for(self, resp: &Response) -> Error {
        let i = self.info();
        match quotable(&resp.body) {
            Cow::Borrowed(_) => i.adapter.error_for(i, resp),
            Cow::Owned(body) => {
                let clean = Response {
                    status: resp.status,
                    body,
                    too_large: resp.too_large,
                    wait_refused: resp.wait_refused.clone(),
                    earlier_unanswered: resp.earlier_unanswered,
                };
                i.adapter.error_for(i, &clean)
            }
        }
    }

    pub fn warnings(self, patch: &Patch) -> Vec<String> {
        self.info().adapter.warnings(patch)
    }

    pub fn needs_current(self, patch: &Patch, relative: bool) -> bool {
        self.info().adapter.needs_current(patch, relative)
    }

    pub fn merge_current(self, before: &Key, patch: &mut Patch) -> Result<()> {
        let i = self.info();
        i.adapter.merge_current(i, before, patch)
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().name)
    }
}

/// The error for a non-2xx answer: the provider's own `message` when its body has the
/// documented shape, else the status and a short sanitized snippet of the body.
pub fn error_for(p: &Info, message: Option<String>, resp: &Response) -> Error {
    let status = resp.status;
    let mut message = match message {
        // Scrubbed before and after sanitising: stripping controls joins text.
        Some(m) => {
            crate::secret::scrub_quoted(&crate::text::server_text(&crate::secret::scrub_quoted(&m)))
                .into_owned()
        }
        None if resp.too_large => format!(
            "HTTP {status}, with a body larger than {} MiB that keyctl did not read",
            crate::request::MAX_BODY / 1024 / 1024
        ),
        None => format!(
            "HTTP {status}{}: {}",
            reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .map(|r| format!(" {r}"))
                .unwrap_or_default(),
            quote(&resp.body)
        ),
    };
    if let Some(w) = &resp.wait_refused {
        message = format!("{message}; {w}");
    }
    let provider = p.name;
    match status {
        401 | 403 => Error::Auth {
            provider,
            status,
            message,
            hint: format!("{} (or the --api-key-file)", p.credential_env),
        },
        404 => Error::NotFound {
            provider,
            status,
            message,
        },
        429 => Error::RateLimited { provider, message },
        400..=499 => Error::Rejected {
            provider,
            status,
            message,
        },
        _ => Error::Provider {
            provider,
            status: Some(status),
            message: format!("provider failure (HTTP {status}): {message}"),
        },
    }
}

/// A workspace on a provider without workspaces is refused (exit 2) before anything is built;
/// the settings step refuses it first, this keeps every adapter from silently dropping it.
fn no_workspace_unless_supported(i: &Info, base: &BaseUrl) -> Result<()> {
    match base.workspace() {
        Some(_) if !i.workspaces => Err(i.no_workspaces("--workspace")),
        _ => Ok(()),
    }
}

impl Info {
    /// The refusal of a workspace (`what`: the flag or the profile key) on a provider whose
    /// published document has none (exit 2, nothing sent).
    pub fn no_workspaces(&self, what: &str) -> Error {
        self.unsupported(
            what,
            "its published key API has no workspaces (only OpenRouter's does): leave the \
             workspace out for this provider",
        )
    }

    /// The error for a flag this provider cannot honour (exit 2, nothing sent).
    pub fn unsupported(&self, flag: &str, instead: &str) -> Error {
        Error::Unsupported {
            provider: self.name,
            flag: flag.into(),
            instead: instead.into(),
        }
    }
}

/// Where a provider's requests go: a checked base URL (https, or http on a loopback host; no
/// credentials, query or fragment) and, on a provider with workspaces ([`Info::workspaces`]),
/// the workspace the account's key list and creates are scoped to ([`BaseUrl::with_workspace`]:
/// the adapter sends it where the provider's document allows, and nowhere else).
#[derive(Debug, Clone, PartialEq)]
pub struct BaseUrl(reqwest::Url, Option<Workspace>);

/// An OpenRouter workspace id: a UUID (the `format: uuid` of the `workspace_id` that
/// OpenRouter's published document gives `GET /keys` and `POST /keys`), kept in its hyphenated
/// lower-case form, which needs no escaping anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace(String);

impl Workspace {
    /// A workspace id as given (`what`: where it came from, for the message): a UUID in any
    /// usual spelling, else a usage error that does not echo a pasted key.
    pub fn parse(s: &str, what: &str) -> std::result::Result<Workspace, String> {
        let t = s.trim();
        match uuid::Uuid::parse_str(t) {
            Ok(u) => Ok(Workspace(u.hyphenated().to_string())),
            _ => Err(format!(
                "{what}: '{}' is not a workspace id: OpenRouter's key endpoints take the \
                 workspace's UUID (e.g. 0df9e665-d932-5740-b2c7-b52af166bc11), not its name or \
                 slug; its workspace settings page, or GET /api/v1/workspaces, shows the id",
                crate::mask::shown(t)
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Workspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl BaseUrl {
    pub fn parse(s: &str) -> Result<BaseUrl> {
        let shown = display_url(s);
        let url = reqwest::Url::parse(s.trim()).map_err(|e| {
            Error::usage(format!(
                "the base URL is not a valid URL ({e}); use e.g. https://api.example.com"
            ))
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::usage(format!(
                "base URL '{shown}' contains credentials; pass the credential through its environment variable or --api-key-file"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::usage(format!(
                "base URL '{shown}' must not have a query or fragment"
            )));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(Error::usage(format!(
                    "refusing plain http:// base URL '{shown}': the admin credential would travel unencrypted; \
                     use https:// (http:// is allowed only for loopback hosts such as 127.0.0.1)"
                )));
            }
            other => {
                return Err(Error::usage(format!(
                    "base URL '{shown}' has scheme '{}'; use https://",
                    crate::text::sanitize(other)
                )));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::usage(format!("base URL '{shown}' has no host")));
        }
        Ok(BaseUrl(url, None))
    }

    /// The same address scoped to `workspace` (see [`Info::workspaces`]).
    pub fn with_workspace(mut self, workspace: Option<Workspace>) -> BaseUrl {
        self.1 = workspace;
        self
    }

    /// The workspace the key list and creates are scoped to, if one was given.
    pub fn workspace(&self) -> Option<&Workspace> {
        self.1.as_ref()
    }

    /// True for https (a plain-http base URL is loopback only, and needs no certificates).
    pub fn is_tls(&self) -> bool {
        self.0.scheme() == "https"
    }

    /// The base URL with `segments` appended to its path, each percent-encoded as one segment.
    pub fn join(&self, segments: &[&str]) -> Result<String> {
        let mut url = self.0.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|_| Error::usage("the base URL cannot take a path"))?;
            path.pop_if_empty();
            for s in segments {
                path.push(s);
            }
        }
        Ok(url.to_string())
    }

    /// The URL as it may be shown (no user information).
    pub fn shown(&self) -> String {
        let mut u = self.0.clone();
        let _ = u.set_username("");
        let _ = u.set_password(None);
        u.set_query(None);
        u.set_fragment(None);
        crate::text::sanitize(u.as_str())
    }

    /// `scheme://host:port` of this URL: the only origin the credential may be sent to.
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A URL as typed, made safe to show in an error: only its scheme, host and port as the `url`
/// crate parses them (`/…` stands for a path, query or fragment; userinfo is never shown), and
/// nothing of one that does not parse, since a password could sit anywhere in it.
pub fn display_url(s: &str) -> String {
    let Ok(url) = reqwest::Url::parse(s.trim()) else {
        return "(the value given, not shown)".into();
    };
    let mut shown = format!("{}://", url.scheme());
    if !url.username().is_empty() || url.password().is_some() {
        shown.push_str("****@");
    }
    if let Some(h) = url.host_str() {
        shown.push_str(h);
    }
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        shown.push_str("/…");
    }
    crate::text::sanitize(&shown)
}

/// Whether `s` starts like a key's secret (the credential module's one list of prefixes).
pub use crate::credential::secret_shaped;

/// A key id that starts like a key's secret is the secret pasted in the wrong place: refused
/// before anything is sent (so it reaches no URL, log or audit trail), and masked from here on.
pub fn refuse_secret_id(p: &Info, key: &str) -> Result<()> {
    let k = key.trim();
    if !secret_shaped(k) {
        return Ok(());
    }
    crate::secret::register_new(k);
    Err(Error::usage(format!(
        "{}: a key id starting with a key secret's prefix is the secret, not the id; give the \
         key's id (`keyctl list` shows them); nothing was sent",
        p.name
    )))
}

/// Checks a key id that goes into a URL path as one segment.
pub fn check_path_key(p: &Info, key: &str) -> Result<()> {
    if key.trim().is_empty() {
        return Err(Error::usage(format!("{}: the key id is empty", p.name)));
    }
    if key == "." || key == ".." {
        return Err(Error::usage(format!("{}: '{key}' is not a key id", p.name)));
    }
    if key.chars().any(char::is_control) {
        return Err(Error::usage(format!(
            "{}: the key id contains control characters",
            p.name
        )));
    }
    Ok(())
}

fn with_id(mut k: Key, key: &str) -> Key {
    if k.id.is_empty() {
        k.id = key.to_string();
    }
    k
}

/// Parses a success body as JSON, or says the response cannot be understood (exit 7).
pub fn parse_json(p: &Info, body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| Error::Provider {
        provider: p.name,
        status: None,
        message: format!(
            "the success response is not valid JSON ({e}): {}",
            quote(body)
        ),
    })
}

/// One page of a key list: the keys read, and how many entries the page had (an entry that is
/// not a key object is skipped, but still counts towards a full page).
#[derive(Debug, Default)]
pub struct Page {
    pub keys: Vec<Key>,
    pub entries: usize,
}

/// A `{"data": [...]}` list answer: each object in `data` through `view`.
pub fn data_list(p: &Info, body: &[u8], view: fn(&Info, &Value) -> Key) -> Result<Page> {
    let v = parse_json(p, body)?;
    let items = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| unexpected_shape(p, "no `data` list", body))?;
    Ok(Page {
        keys: items
            .iter()
            .filter(|i| i.is_object())
            .map(|i| view(p, i))
            // An entry without an id cannot be named, read or changed: skipped (but counted
            // towards a full page).
            .filter(|k| !k.id.is_empty())
            .collect(),
        entries: items.len(),
    })
}

/// An allow-list as shown: `[]` means every model.
pub fn models_field(v: &Value, name: &str) -> Option<Vec<String>> {
    v.get(name).and_then(Value::as_array).map(|a| {
        if a.is_empty() {
            vec!["all".to_string()]
        } else {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        }
    })
}

/// The error for a success response that lacks the documented shape.
pub fn unexpected_shape(p: &Info, what: &str, body: &[u8]) -> Error {
    Error::Provider {
        provider: p.name,
        status: None,
        message: format!(
            "unexpected success response ({what}). Body: {}",
            quote(body)
        ),
    }
}

/// A string field of a JSON object, if it is a string.
pub fn str_field(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_string)
}

/// A field kept as JSON when it is a number or a numeric string (some APIs send "12.5").
pub fn num_field(v: &Value, name: &str) -> Option<Value> {
    match v.get(name)? {
        Value::Number(n) => Some(Value::Number(n.clone())),
        Value::String(s) if s.parse::<f64>().is_ok_and(f64::is_finite) => {
            Some(Value::String(s.clone()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Option<ProviderKind> {
        find(s)
    }

    #[test]
    fn every_variant_has_a_row_that_find_agrees_with() {
        let mut ids = std::collections::HashSet::new();
        for &p in all() {
            let i = p.info();
            assert!(ids.insert(i.id), "duplicate id {}", i.id);
            assert!(!i.custom);
            assert_eq!(parse(i.id), Some(p));
            assert_eq!(parse(&i.id.to_ascii_uppercase()), Some(p));
            for a in i.aliases {
                assert_eq!(parse(a), Some(p));
            }
            assert!(BaseUrl::parse(i.base_url).is_ok(), "{}", i.id);
            assert!(i.credential_env.ends_with("_KEY"), "{}", i.id);
            // The sample key is one the adapter accepts.
            assert!(
                p.build_get(&BaseUrl::parse(i.base_url).unwrap(), i.sample_key)
                    .is_ok()
            );
            assert_eq!(p.to_string(), i.name);
        }
        assert_eq!(all().len(), 5);
        assert!(parse("openai").is_none());
        assert_eq!(parse("io.net"), Some(ProviderKind::Ionet));
        assert_eq!(
            ProviderKind::Venice.base_url_env(),
            "KEYCTL_VENICE_BASE_URL"
        );
        assert_eq!(
            ProviderKind::OpenRouter.base_url_env(),
            "KEYCTL_OPENROUTER_BASE_URL"
        );
    }

    #[test]
    fn base_url_rules() {
        assert!(BaseUrl::parse("https://api.venice.ai").is_ok());
        assert!(BaseUrl::parse("http://127.0.0.1:8080").is_ok());
        assert!(BaseUrl::parse("http://127.3.2.1").is_ok());
        assert!(BaseUrl::parse("http://localhost:1").is_ok());
        assert!(BaseUrl::parse("http://[::1]:9").is_ok());
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "ftp://x",
            "https://user:pw@example.com",
            "https://example.com/?a=1",
            "not a url",
            "",
        ] {
            let e = BaseUrl::parse(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(!e.to_string().contains("pw@"), "{e}");
        }
    }

    fn response(status: u16, body: &str) -> Response {
        Response::new(status, body.as_bytes().to_vec())
    }

    /// The dispatch from the enum reaches each provider's own adapter (each call is checked
    /// against something only that adapter does).
    #[test]
    fn dispatch_reaches_each_adapter() {
        use crate::patch::Change;
        let (ionet, gates, venice) = (
            ProviderKind::Ionet,
            ProviderKind::OpenRouter,
            ProviderKind::Venice,
        );
        let vcu = Patch {
            limit_vcu: Change::Set("1".parse().unwrap()),
            ..Patch::default()
        };
        assert!(venice.warnings(&vcu)[0].contains("deprecated"));
        assert!(gates.warnings(&vcu).is_empty() && ionet.warnings(&vcu).is_empty());
        assert!(venice.needs_current(&vcu, false));
        assert!(!venice.needs_current(&Patch::default(), false));
        assert!(!gates.needs_current(&vcu, true) && !ionet.needs_current(&vcu, true));
        let before = Key {
            raw: serde_json::json!({"consumptionLimits": {"usd": 5, "diem": null, "vcu": 2}}),
            ..Key::default()
        };
        let mut p = vcu.clone();
        venice.merge_current(&before, &mut p).unwrap();
        assert_eq!(p.limit, Change::Set("5".parse().unwrap()));
        assert_eq!(p.limit_diem, Change::Clear);
        let mut p = vcu.clone();
        gates.merge_current(&before, &mut p).unwrap();
        assert_eq!(p, vcu);
        assert!(ionet.info().adapter.get_completes_from_list());
        assert!(!gates.info().adapter.get_completes_from_list());
        assert!(!venice.info().adapter.get_completes_from_list());
        let v = gates
            .parse_get("h", br#"{"data": {"hash": "h", "name": "n"}}"#)
            .unwrap();
        assert_eq!(v.name, Some(Some("n".into())));
        let v = venice
            .parse_get(
                "k",
                br#"{"data": {"id": "k", "description": "d"}, "success": true}"#,
            )
            .unwrap();
        assert_eq!(v.name, Some(Some("d".into())));
        let page = venice
            .parse_list(br#"{"data": [{"id": "a"}, {"id": "b"}, 3]}"#)
            .unwrap();
        assert_eq!((page.keys.len(), page.entries), (2, 3));
        assert_eq!(page.keys[1].id, "b");
    }

    #[test]
    fn error_classes_by_status() {
        let p = ProviderKind::ModelGates;
        let body = r#"{"error": {"code": 1, "message": "their words"}}"#;
        for (status, code, kind) in [
            (400, 5, "invalid_request"),
            (401, 3, "auth"),
            (403, 3, "auth"),
            (404, 4, "not_found"),
            (409, 5, "invalid_request"),
            (429, 6, "rate_limited"),
            (500, 7, "provider"),
            (503, 7, "provider"),
        ] {
            let e = p.error_for(&response(status, body));
            assert_eq!((e.exit_code(), e.kind()), (code, kind), "{status}: {e}");
            assert!(e.to_string().contains("their words (code 1)"), "{e}");
        }
        // The provider's own message, or the status and a snippet; a body not read says so.
        let e = p.error_for(&response(502, "<html>Bad gateway</html>"));
        assert!(
            e.to_string()
                .contains("HTTP 502 Bad Gateway: (HTML) Bad gateway"),
            "{e}"
        );
        let mut big = response(401, "");
        big.too_large = true;
        let e = p.error_for(&big);
        assert!(e.to_string().contains("larger than 8 MiB"), "{e}");
        assert_eq!(e.exit_code(), 3);
        let mut refused = response(429, body);
        refused.wait_refused = Some("the provider asked to wait 2h".into());
        let e = p.error_for(&refused);
        assert!(
            e.to_string().ends_with("the provider asked to wait 2h"),
            "{e}"
        );
    }

    #[test]
    fn urls_in_messages_show_scheme_host_and_port_only() {
        assert_eq!(
            display_url("https://user:pw@example.com:8443/x?k=v"),
            "https://****@example.com:8443/…"
        );
        assert_eq!(display_url("https://example.com"), "https://example.com");
        assert_eq!(display_url("not a url"), "(the value given, not shown)");
    }

    #[test]
    fn join_keeps_prefix_and_encodes_one_segment() {
        let b = BaseUrl::parse("https://proxy.example/gw/").unwrap();
        assert_eq!(
            b.join(&["api", "v1", "keys", "a/b?c#d %"]).unwrap(),
            "https://proxy.example/gw/api/v1/keys/a%2Fb%3Fc%23d%20%25"
        );
        let b = BaseUrl::parse("https://modelgates.ai").unwrap();
        assert_eq!(
            b.join(&["api", "v1"]).unwrap(),
            "https://modelgates.ai/api/v1"
        );
        assert_eq!(b.origin(), "https://modelgates.ai");
    }

    fn new_key(settings: Patch) -> NewKey {
        NewKey {
            name: "ci".into(),
            kind: None,
            settings,
        }
    }

    /// Each adapter reads the secret from its own place, takes it out of `raw`, and never
    /// quotes an answer it cannot read.
    #[test]
    fn create_answers_and_their_secrets() {
        let cases = [
            (
                ProviderKind::Ionet,
                r#"{"status":"succeeded","data":{"key_id":"3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23","value":"io-v2-S3CRET","display":"io-v2-S...T"}}"#,
                "3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23",
            ),
            (
                ProviderKind::Novapai,
                r#"{"data":{"hash":"h1","name":"ci"},"key":"io-v2-S3CRET"}"#,
                "h1",
            ),
            (
                ProviderKind::OpenRouter,
                r#"{"data":{"hash":"h1","name":"ci","key":"io-v2-S3CRET"}}"#,
                "h1",
            ),
            (
                ProviderKind::Venice,
                r#"{"success":true,"data":{"id":"v1","apiKey":"io-v2-S3CRET","apiKeyType":"ADMIN"}}"#,
                "v1",
            ),
        ];
        for (p, body, id) in cases {
            let c = p.parse_create(body.as_bytes()).unwrap();
            assert_eq!(c.secret.as_deref(), Some("io-v2-S3CRET"), "{p}");
            assert_eq!(c.key.id, id, "{p}");
            assert!(!c.key.to_json().to_string().contains("S3CRET"), "{p}");
            // Without the secret: the key, and no secret.
            let without = body.replace("\"io-v2-S3CRET\"", "\"\"");
            assert_eq!(p.parse_create(without.as_bytes()).unwrap().secret, None);
            // Cut short, or without `data`: an error that does not quote the answer.
            let e = p
                .parse_create(&body.as_bytes()[..body.len() - 3])
                .unwrap_err();
            assert!(!e.to_string().contains("S3CRET"), "{p}: {e}");
            assert_eq!(e.exit_code(), 7);
            // A top-level secret without `data`: kept (it must not be lost), with no id; the
            // others keep their secret inside `data`, so without it there is none.
            match p.parse_create(br#"{"key":"io-v2-S3CRET"}"#) {
                Ok(c) => {
                    assert_eq!(c.secret.as_deref(), Some("io-v2-S3CRET"), "{p}");
                    assert_eq!(c.key.id, "", "{p}");
                }
                Err(e) => {
                    assert!(
                        matches!(p, ProviderKind::Ionet | ProviderKind::Venice),
                        "{p}"
                    );
                    assert!(!e.to_string().contains("S3CRET"), "{p}: {e}");
                }
            }
        }
        // A secret repeated elsewhere in the answer is scrubbed there too.
        let c = ProviderKind::ModelGates
            .parse_create(br#"{"data":{"hash":"h","name":"io-v2-S3CRET"},"key":"io-v2-S3CRET"}"#)
            .unwrap();
        assert!(!c.key.to_json().to_string().contains("S3CRET"));
        assert_eq!(
            ProviderKind::Venice.key_type(
                &ProviderKind::Venice
                    .parse_create(cases[3].1.as_bytes())
                    .unwrap()
                    .key
            ),
            Some(KeyType::Admin)
        );
        assert_eq!(ProviderKind::ModelGates.key_type(&Key::default()), None);
    }

    #[test]
    fn create_bodies_take_the_name_from_the_new_key_and_no_cap_as_null() {
        use crate::patch::Change;
        let base = BaseUrl::parse("https://x.example").unwrap();
        let named = NewKey {
            settings: Patch {
                name: Some("ignored".into()),
                limit: Change::Clear,
                ..Patch::default()
            },
            ..new_key(Patch::default())
        };
        let body = |p: ProviderKind| p.build_create(&base, &named).unwrap().body.unwrap();
        assert_eq!(
            body(ProviderKind::ModelGates),
            serde_json::json!({"name": "ci", "limit": null})
        );
        assert_eq!(
            body(ProviderKind::Ionet),
            serde_json::json!({"description": "ci", "credit_limit": null})
        );
        // Every model, on a create, is the field left out (not an update's `[]`).
        let all_models = new_key(Patch {
            models: Change::Clear,
            ..Patch::default()
        });
        assert_eq!(
            ProviderKind::Ionet
                .build_create(&base, &all_models)
                .unwrap()
                .body,
            Some(serde_json::json!({"description": "ci"}))
        );
        assert_eq!(
            body(ProviderKind::Venice),
            serde_json::json!({"apiKeyType": "INFERENCE", "consumptionLimit": {"usd": null}, "description": "ci"})
        );
    }

    #[test]
    fn a_secret_anywhere_in_raw_is_scrubbed_and_bad_json_is_named_not_quoted() {
        let c = ProviderKind::OpenRouter
            .parse_create(br#"{"data":{"hash":"h","tags":["x","sk-SECRET-1"],"o":{"k":"sk-SECRET-1"}},"key":"sk-SECRET-1"}"#)
            .unwrap();
        assert!(!c.key.raw.to_string().contains("SECRET"), "{}", c.key.raw);
        for (body, kind) in [
            (&br#"{"key": "sk-SECRET-1""#[..], "cut short"),
            (br#"{"key": sk-SECRET-1}"#, "syntax error"),
        ] {
            let e = ProviderKind::OpenRouter.parse_create(body).unwrap_err();
            assert!(e.to_string().contains(kind), "{e}");
            assert!(!e.to_string().contains("SECRET"), "{e}");
        }
    }

    /// Issue 20, finding 6: an answer whose body carries a new secret (the create answer's own
    /// field, a field beside the provider's words, the words themselves, a body that is not
    /// JSON) is quoted without it, whatever the status, for each provider family.
    #[test]
    fn no_secret_is_quoted_from_an_answer_whatever_its_status() {
        let hex = "26356ffbc95235634c6f11baf36379367b0f2e66d68b1009476bc96265d86713";
        let gates = format!("sk-or-v1-{hex}");
        let ionet = "io-v2-adu4y2hLBf5gQy9WEE7RQy7ZpMmUJs0RF4VOqK4S";
        let venice = "VENICE_INFERENCE_KEY_et6LL5rR83jSsWzVgx2bYXpWHMIHfgrI";
        let cases: [(ProviderKind, &str, Vec<String>); 3] = [
            (
                ProviderKind::ModelGates,
                &gates,
                vec![
                    format!(r#"{{"key":"{gates}","data":{{"key":"{gates}","name":"n"}}}}"#),
                    format!(r#"{{"error":{{"message":"m","metadata":{{"api_key":"{gates}"}}}}}}"#),
                    format!(r#"{{"error":{{"code":409,"message":"key {gates} exists"}}}}"#),
                    format!(r#"{{"error":"key {gates} exists"}}"#),
                    format!(r#"{{"key": "{gates}", "data": {{"#),
                    format!("<html>key={gates}</html>"),
                ],
            ),
            (
                ProviderKind::Ionet,
                ionet,
                vec![
                    format!(r#"{{"status":"failed","data":{{"value":"{ionet}"}}}}"#),
                    format!(r#"{{"detail":{{"msg":"m","value":"{ionet}"}}}}"#),
                    format!(r#"{{"detail":[{{"loc":["body"],"msg":"{ionet} exists"}}]}}"#),
                    format!(r#"{{"detail":"made {ionet}"}}"#),
                    format!(r#"{{"data": {{"value": "{ionet}""#),
                ],
            ),
            (
                ProviderKind::Venice,
                venice,
                vec![
                    format!(r#"{{"success":false,"data":{{"apiKey":"{venice}"}}}}"#),
                    format!(r#"{{"error":"Invalid","details":{{"apiKey":"{venice}"}}}}"#),
                    format!(r#"{{"error":"Invalid","details":["{venice}"]}}"#),
                    format!(
                        r#"{{"error":"Invalid","issues":[{{"path":["{venice}"],"message":"x"}}]}}"#
                    ),
                    format!(r#"{{"error":"key {venice} exists"}}"#),
                    format!(r#"apiKey={venice}"#),
                ],
            ),
        ];
        for (p, secret, bodies) in cases {
            let tail = &secret[secret.len() - 16..];
            for body in &bodies {
                for status in [400, 401, 404, 409, 422, 429, 500, 502] {
                    let e = p.error_for(&response(status, body)).to_string();
                    assert!(!e.contains(tail), "{p} {status} {body}: {e}");
                }
                for e in [
                    parse_json(p.info(), body.as_bytes()).err(),
                    Some(unexpected_shape(p.info(), "x", body.as_bytes())),
                    p.parse_list(body.as_bytes()).err(),
                ]
                .into_iter()
                .flatten()
                {
                    assert!(!e.to_string().contains(tail), "{p} {body}: {e}");
                }
            }
        }
        // The provider's words stay, and so does a body with nothing to remove, byte for byte.
        let e = ProviderKind::Venice.error_for(&response(
            400,
            &format!(r#"{{"error":"Invalid request","details":{{"apiKey":"{venice}","n":1}}}}"#),
        ));
        assert_eq!(
            e.to_string().matches("Invalid request: {\"n\":1}").count(),
            1,
            "{e}"
        );
        let plain = br#"{"error": {"code": 1, "message": "their words"}}"#;
        assert!(matches!(quotable(plain), Cow::Borrowed(_)));
        assert!(matches!(
            quotable(b"<html>Bad gateway</html>"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            String::from_utf8_lossy(&quotable(br#"{"a":[{"Key":1,"b":"c"}],"token":"t"}"#)),
            r#"{"a":[{"b":"c"}]}"#
        );
    }

    #[test]
    fn delete_requests_and_answers() {
        let base = BaseUrl::parse("https://x.example/gw").unwrap();
        let r = ProviderKind::Venice.build_delete(&base, "a b&c=d").unwrap();
        assert_eq!(r.method, crate::request::Method::Delete);
        assert_eq!(r.url, "https://x.example/gw/api/v1/api_keys?id=a+b%26c%3Dd");
        assert_eq!(r.body, None);
        assert_eq!(r.key.as_deref(), Some("a b&c=d"));
        let r = ProviderKind::ModelGates.build_delete(&base, "a/b").unwrap();
        assert_eq!(r.url, "https://x.example/gw/api/v1/keys/a%2Fb");
        let r = ProviderKind::Ionet
            .build_delete(&base, "3F2B8C1E-9A4D-4E6F-8B21-5C7D0E9F1A23")
            .unwrap();
        assert_eq!(
            r.url,
            "https://x.example/gw/v1/api-keys/sub-keys/3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23"
        );
        assert!(ProviderKind::Ionet.build_delete(&base, "nope").is_err());
        assert!(ProviderKind::Venice.build_delete(&base, "..").is_err());
        for ok in [
            &b""[..],
            b"not json",
            br#"{"deleted":true}"#,
            br#"{"success":true}"#,
        ] {
            assert!(ProviderKind::Venice.parse_delete(ok).is_ok());
        }
        for no in [&br#"{"deleted":false}"#[..], br#"{"success":false}"#] {
            let e = ProviderKind::ModelGates.parse_delete(no).unwrap_err();
            assert_eq!(e.exit_code(), 7);
        }
    }

    #[test]
    fn create_notices_and_types() {
        use crate::patch::Change;
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let n = ProviderKind::Ionet.create_notices(&new_key(Patch::default()), now);
        assert!(
            n[0].contains("180 days") && n[0].contains("2027-05-22"),
            "{n:?}"
        );
        let never = new_key(Patch {
            expires: Change::Clear,
            ..Patch::default()
        });
        assert!(ProviderKind::Ionet.create_notices(&never, now).is_empty());
        let limited = new_key(Patch {
            limit: Change::Set("5".parse().unwrap()),
            ..Patch::default()
        });
        assert!(ProviderKind::Venice.create_notices(&limited, now)[0].contains("EPOCH"));
        assert!(ProviderKind::Venice.create_notices(&never, now).is_empty());
        assert!(
            ProviderKind::ModelGates
                .create_notices(&limited, now)
                .is_empty()
        );
        let base = BaseUrl::parse("https://x.example").unwrap();
        let admin = NewKey {
            kind: Some(KeyType::Admin),
            ..new_key(Patch::default())
        };
        let b = ProviderKind::Venice.build_create(&base, &admin).unwrap();
        assert_eq!(b.body.unwrap()["apiKeyType"], "ADMIN");
        assert_eq!(b.method, crate::request::Method::Post);
        for p in [ProviderKind::Ionet, ProviderKind::Novapai] {
            let e = p.build_create(&base, &admin).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{p}");
        }
    }

    #[test]
    fn dot_keys_are_refused() {
        for k in ["", " ", ".", "..", "a\nb"] {
            assert!(
                check_path_key(ProviderKind::ModelGates.info(), k).is_err(),
                "{k:?}"
            );
        }
    }

    #[test]
    fn a_secret_given_as_a_key_id_is_refused_by_every_builder() {
        let _g = crate::secret::tests::REGISTRY.lock();
        let base = BaseUrl::parse("https://x.example").unwrap();
        for k in [
            "sk-or-v1-abc",
            "VENICE_INFERENCE_KEY_abc",
            " VENICE_ADMIN_KEY_x",
            "io-v2-x",
            "eyJhbGciOi",
        ] {
            for &p in all() {
                for e in [
                    p.build_get(&base, k).unwrap_err(),
                    p.build_delete(&base, k).unwrap_err(),
                    p.build_update(&base, k, &Patch::default()).unwrap_err(),
                ] {
                    assert!(
                        e.to_string().contains("is the secret, not the id"),
                        "{p} {k}: {e}"
                    );
                }
            }
        }
        assert!(
            refuse_secret_id(
                ProviderKind::Venice.info(),
                "e28e82dc-9df2-4b47-b726-d0a222ef2ab5"
            )
            .is_ok()
        );
    }
}
