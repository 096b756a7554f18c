//! The whole file checked: custom providers first (ids unique however they are written),
//! then profiles, then `default_profile`; a table's name, a base URL or a display name that
//! holds something that looks like a key is refused without being shown.

use std::path::Path;

use toml::Spanned;

use super::doc::{Doc, syntax_error};
use super::raw::{RawFile, RawProvider, sources};
use super::source::source;
use super::{Config, CustomProvider, looks_like_key, shown};
use crate::error::{Error, Result};
use crate::provider::BaseUrl;

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
        let p = super::profile::profile(&doc, &name, body, &cfg.providers)?;
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
pub(super) fn check_base_url(doc: &Doc, key: &str, url: &Spanned<String>) -> Result<()> {
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
pub(super) fn check_name(doc: &Doc, kind: &str, name: &Spanned<String>) -> Result<String> {
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
    let family = match api.get_ref().parse::<crate::provider::Api>() {
        Ok(api) => api.template(),
        Err(e) => return doc.err(api.span(), &format!("{table}.api"), e),
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

#[cfg(test)]
pub(super) mod tests {
    use super::super::doc::scrub_quotes;
    use super::super::source::valid_var;
    use super::super::{ProviderRef, Source};
    use super::*;
    use crate::output::Format;
    use crate::provider::ProviderKind;
    use std::time::Duration;

    pub(in crate::config) fn cfg(text: &str) -> Result<Config> {
        parse(text, Path::new("/etc/keyctl.toml"))
    }

    pub(in crate::config) fn err(text: &str) -> String {
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
    fn an_empty_file_is_an_empty_config() {
        let c = cfg("").unwrap();
        assert!(c.profiles.is_empty() && c.providers.is_empty() && c.default_profile.is_none());
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
