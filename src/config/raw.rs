//! The config file's shape as `toml` reads it, every value with its span (for the line in a
//! message); unknown keys are refused by serde.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) default_profile: Option<Spanned<String>>,
    pub(super) audit: Option<bool>,
    #[serde(default)]
    pub(super) profiles: BTreeMap<Spanned<String>, Spanned<RawProfile>>,
    #[serde(default)]
    pub(super) providers: BTreeMap<Spanned<String>, Spanned<RawProvider>>,
}

/// The credential keys shared by profiles and providers, plus the names a literal secret is
/// usually written under (refused with a message that says what to write instead). Written
/// out in both tables: serde's `flatten` would lose the spans (the line numbers).
pub(super) struct RawSources {
    pub(super) credential_env: Option<Spanned<String>>,
    pub(super) credential_file: Option<Spanned<String>>,
    pub(super) credential_command: Option<Spanned<Vec<String>>>,
    pub(super) api_key: Option<Spanned<toml::Value>>,
    pub(super) key: Option<Spanned<toml::Value>>,
    pub(super) token: Option<Spanned<toml::Value>>,
    pub(super) secret: Option<Spanned<toml::Value>>,
    pub(super) credential: Option<Spanned<toml::Value>>,
    pub(super) password: Option<Spanned<toml::Value>>,
    pub(super) admin_key: Option<Spanned<toml::Value>>,
    pub(super) management_key: Option<Spanned<toml::Value>>,
}

/// Moves a table's credential keys into a [`RawSources`].
macro_rules! sources {
    ($b:expr) => {
        $crate::config::raw::RawSources {
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
pub(super) struct RawProfile {
    pub(super) provider: Option<Spanned<String>>,
    pub(super) base_url: Option<Spanned<String>>,
    pub(super) workspace: Option<Spanned<String>>,
    pub(super) output: Option<Spanned<String>>,
    pub(super) concurrency: Option<Spanned<i64>>,
    pub(super) retries: Option<Spanned<i64>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) credential_env: Option<Spanned<String>>,
    pub(super) credential_file: Option<Spanned<String>>,
    pub(super) credential_command: Option<Spanned<Vec<String>>>,
    pub(super) api_key: Option<Spanned<toml::Value>>,
    pub(super) key: Option<Spanned<toml::Value>>,
    pub(super) token: Option<Spanned<toml::Value>>,
    pub(super) secret: Option<Spanned<toml::Value>>,
    pub(super) credential: Option<Spanned<toml::Value>>,
    pub(super) password: Option<Spanned<toml::Value>>,
    pub(super) admin_key: Option<Spanned<toml::Value>>,
    pub(super) management_key: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProvider {
    pub(super) api: Option<Spanned<String>>,
    pub(super) base_url: Option<Spanned<String>>,
    pub(super) name: Option<Spanned<String>>,
    pub(super) credential_env: Option<Spanned<String>>,
    pub(super) credential_file: Option<Spanned<String>>,
    pub(super) credential_command: Option<Spanned<Vec<String>>>,
    pub(super) api_key: Option<Spanned<toml::Value>>,
    pub(super) key: Option<Spanned<toml::Value>>,
    pub(super) token: Option<Spanned<toml::Value>>,
    pub(super) secret: Option<Spanned<toml::Value>>,
    pub(super) credential: Option<Spanned<toml::Value>>,
    pub(super) password: Option<Spanned<toml::Value>>,
    pub(super) admin_key: Option<Spanned<toml::Value>>,
    pub(super) management_key: Option<Spanned<toml::Value>>,
}
pub(super) use sources;
