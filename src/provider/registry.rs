//! The provider registry: the providers keyctl speaks to ([`ProviderKind`]), one static
//! [`Info`] row each (names, base URL, credential, auth, paging, a sample key, its [`Api`]), the
//! config file's custom rows, and the one exhaustive `match` from a provider to its row.

use std::fmt;
use std::str::FromStr;

use super::{Adapter, gates, ionet, venice};
use crate::error::{Error, Result};
use crate::key::{Key, Unit};
use crate::request::AuthScheme;

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

/// A key API: the request mapping a provider speaks. A custom provider names its own with
/// `api = "..."` in the config file ([`Api::from_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// OpenRouter's key API, which ModelGates and novapai share.
    OpenRouter,
    /// Venice's.
    Venice,
    /// io.net IO Intelligence's.
    Ionet,
}

impl Api {
    /// The name the config file's `api` takes, and `keyctl providers` shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::OpenRouter => "openrouter",
            Api::Venice => "venice",
            Api::Ionet => "ionet",
        }
    }

    /// Its request mapping.
    pub fn adapter(self) -> &'static dyn Adapter {
        match self {
            Api::OpenRouter => &gates::Gates,
            Api::Venice => &venice::Venice,
            Api::Ionet => &ionet::Ionet,
        }
    }

    /// The built-in provider whose row a custom provider of this API starts from.
    pub fn template(self) -> ProviderKind {
        match self {
            Api::OpenRouter => ProviderKind::OpenRouter,
            Api::Venice => ProviderKind::Venice,
            Api::Ionet => ProviderKind::Ionet,
        }
    }
}

impl FromStr for Api {
    type Err = Error;

    /// The config file's `api`, in any case: `openrouter`, `venice`, `ionet` or `io.net`.
    fn from_str(s: &str) -> Result<Api> {
        match s.trim().to_ascii_lowercase().as_str() {
            "openrouter" => Ok(Api::OpenRouter),
            "venice" => Ok(Api::Venice),
            "ionet" | "io.net" => Ok(Api::Ionet),
            _ => Err(Error::usage(
                "unknown API family; use \"openrouter\" (ModelGates, novapai), \"venice\" or \"ionet\"",
            )),
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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
    /// The built-in provider whose row it starts from (its API family's: [`Api::template`]).
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
    /// The key API it speaks (its adapter: [`Info::adapter`]).
    pub api: Api,
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
    api: Api::Ionet,
    unit: Unit::Credits,
    create_rate: None,
    max_keys: None,
    custom: false,
    workspaces: false,
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
    api: Api::OpenRouter,
    unit: Unit::Usd,
    create_rate: None,
    max_keys: None,
    custom: false,
    workspaces: false,
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
    api: Api::OpenRouter,
    unit: Unit::Usd,
    create_rate: None,
    max_keys: None,
    custom: false,
    workspaces: false,
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
    api: Api::OpenRouter,
    unit: Unit::Usd,
    create_rate: None,
    max_keys: None,
    custom: false,
    workspaces: true,
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
    api: Api::Venice,
    unit: Unit::Usd,
    create_rate: Some((20, 60)),
    max_keys: Some(500),
    custom: false,
    workspaces: false,
};

/// Every provider, in the order of the enum.
pub fn all() -> &'static [ProviderKind] {
    &BUILTIN
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

    /// The provider's request mapping.
    pub fn adapter(self) -> &'static dyn Adapter {
        self.info().adapter()
    }

    /// A key known only by its id, for plans without a read.
    pub fn unread(self, key: &str) -> Key {
        let i = self.info();
        Key::unread(i.id, key, i.unit)
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().name)
    }
}

impl Info {
    /// The request mapping of its API family.
    pub fn adapter(&self) -> &'static dyn Adapter {
        self.api.adapter()
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::BaseUrl;

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
    fn api_names_parse_in_any_case_and_name_their_row() {
        for a in [Api::OpenRouter, Api::Venice, Api::Ionet] {
            assert_eq!(a.as_str().parse::<Api>().unwrap(), a);
            assert_eq!(
                a.to_string().to_ascii_uppercase().parse::<Api>().unwrap(),
                a
            );
            assert_eq!(a.template().info().api, a);
        }
        assert_eq!(" io.net ".parse::<Api>().unwrap(), Api::Ionet);
        let e = "gates".parse::<Api>().unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string()
                .starts_with("unknown API family; use \"openrouter\""),
            "{e}"
        );
    }
}
