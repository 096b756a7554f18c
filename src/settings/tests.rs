//! Settings resolution: a flag wins over its variable, which wins over the profile, which wins
//! over the built-in default; `-P` that names no profile; `--workspace` over a profile's; the
//! provider from a profile. Each test resolves against its own variables (never the process's).

use std::path::Path;

use clap::Parser;

use super::*;
use crate::cli::Cli;
use crate::provider::ProviderKind;

const FILE: &str = r#"
[profiles.prod]
provider = "venice"
credential_env = "PROD_KEY"
base_url = "http://127.0.0.1:3"
output = "json"
retries = 7
timeout = "1m"

[profiles.router]
provider = "openrouter"
credential_env = "ROUTER_KEY"
workspace = "7f3a9c2e-1b4d-4e8f-9a6c-2d5e8f1b3c7a"
"#;

const OTHER_WORKSPACE: &str = "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f";

fn config(text: &str) -> Config {
    crate::config::parse(text, Path::new("/etc/keyctl.toml")).unwrap()
}

/// `keyctl ARGS list` resolved with these variables and config file.
fn resolve(args: &[&str], vars: &[(&str, &str)], file: &str) -> Result<Global> {
    let argv = std::iter::once("keyctl")
        .chain(args.iter().copied())
        .chain(["list"]);
    let cli = Cli::try_parse_from(argv).unwrap();
    let env: &'static Env = Box::leak(Box::new(Env::of(vars)));
    Global::resolve(cli.global, config(file), env)
}

fn global(args: &[&str], vars: &[(&str, &str)], file: &str) -> Global {
    resolve(args, vars, file).unwrap()
}

fn error(args: &[&str], vars: &[(&str, &str)], file: &str) -> String {
    resolve(args, vars, file).unwrap_err().to_string()
}

#[test]
fn the_provider_flag_wins_over_the_variable() {
    let env = [("KEYCTL_PROVIDER", "ionet")];
    assert_eq!(
        global(&["-p", "venice"], &env, "").provider().unwrap(),
        ProviderKind::Venice
    );
    assert_eq!(
        global(&[], &env, "").provider().unwrap(),
        ProviderKind::Ionet
    );
    let e = global(&[], &[], "").provider().unwrap_err().to_string();
    assert!(
        e.starts_with("no provider given: pass -p/--provider"),
        "{e}"
    );
    let e = global(&[], &[("KEYCTL_PROVIDER", "nope")], "")
        .provider()
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("KEYCTL_PROVIDER='nope' is not a provider"),
        "{e}"
    );
}

#[test]
fn the_provider_comes_from_the_profile() {
    let g = global(&["-P", "prod"], &[], FILE);
    assert_eq!(g.profile().map(|p| p.name.as_str()), Some("prod"));
    assert_eq!(g.provider().unwrap(), ProviderKind::Venice);
    // KEYCTL_PROFILE chooses it too, and the file's default_profile.
    let g = global(&[], &[("KEYCTL_PROFILE", "router")], FILE);
    assert_eq!(g.provider().unwrap(), ProviderKind::OpenRouter);
    let with_default = format!("default_profile = \"prod\"\n{FILE}");
    let g = global(&[], &[], &with_default);
    assert_eq!(g.provider().unwrap(), ProviderKind::Venice);
    // `-p` names another provider than the default profile's: the profile is not used.
    let g = global(&["-p", "ionet"], &[], &with_default);
    assert!(g.profile().is_none());
    assert_eq!(g.provider().unwrap(), ProviderKind::Ionet);
    // Both flags, for different providers: a usage error.
    let e = error(&["-P", "prod", "-p", "ionet"], &[], FILE);
    assert!(
        e.contains("profile 'prod' is for Venice, but -p names io.net"),
        "{e}"
    );
    // The flag's profile wins over KEYCTL_PROVIDER's other provider.
    let g = global(&["-P", "prod"], &[("KEYCTL_PROVIDER", "ionet")], FILE);
    assert_eq!(g.provider().unwrap(), ProviderKind::Venice);
}

#[test]
fn a_profile_that_is_not_there_is_a_usage_error() {
    let e = error(&["-P", "nope"], &[], FILE);
    assert!(
        e.starts_with(
            "-P/--profile: no profile 'nope'; the profiles are prod, router (in /etc/keyctl.toml)"
        ),
        "{e}"
    );
    let e = error(&[], &[("KEYCTL_PROFILE", "nope")], FILE);
    assert!(e.starts_with("KEYCTL_PROFILE: no profile 'nope'"), "{e}");
    let e = error(&["-P", "nope"], &[], "");
    assert!(
        e.contains("there are no profiles (config file: /etc/keyctl.toml)"),
        "{e}"
    );
}

#[test]
fn the_output_flag_wins_over_the_variable_over_the_profile_over_the_default() {
    let format = |args: &[&str], vars: &[(&str, &str)]| global(args, vars, FILE).view.format;
    assert_eq!(
        format(&["-P", "prod", "-o", "tsv"], &[("KEYCTL_OUTPUT", "table")]),
        Format::Tsv
    );
    assert_eq!(
        format(&["-P", "prod"], &[("KEYCTL_OUTPUT", "TSV")]),
        Format::Tsv
    );
    assert_eq!(format(&["-P", "prod"], &[]), Format::Json);
    assert_eq!(format(&["-P", "router"], &[]), View::default_format());
    assert_eq!(
        format(&[], &[("KEYCTL_OUTPUT", " ")]),
        View::default_format()
    );
    // The profile's format is not for listings that are not one account's keys.
    let g = global(&["-P", "prod"], &[], FILE);
    assert_eq!(g.listing_view().format, View::default_format());
    let g = global(&["-P", "prod", "-o", "json"], &[], FILE);
    assert_eq!(g.listing_view().format, Format::Json);
    let e = error(&[], &[("KEYCTL_OUTPUT", "yaml")], FILE);
    assert!(
        e.starts_with("KEYCTL_OUTPUT='yaml' is not an output format"),
        "{e}"
    );
}

#[test]
fn the_base_url_flag_wins_over_the_variable_over_the_profile_over_the_default() {
    let base = |args: &[&str], vars: &[(&str, &str)]| {
        let g = global(args, vars, FILE);
        g.base_in(ProviderKind::Venice, g.profile())
            .unwrap()
            .shown()
    };
    let var = [("KEYCTL_VENICE_BASE_URL", "http://127.0.0.1:2")];
    assert_eq!(
        base(&["-P", "prod", "--base-url", "http://127.0.0.1:1"], &var),
        "http://127.0.0.1:1/"
    );
    assert_eq!(base(&["-P", "prod"], &var), "http://127.0.0.1:2/");
    assert_eq!(base(&["-P", "prod"], &[]), "http://127.0.0.1:3/");
    assert_eq!(
        base(&["-p", "venice"], &[]),
        BaseUrl::parse(ProviderKind::Venice.info().base_url)
            .unwrap()
            .shown()
    );
    // A variable holding something that looks like a key is refused before anything runs.
    let e = error(
        &[],
        &[(
            "KEYCTL_VENICE_BASE_URL",
            "https://api.example.com/sk-or-v1-0123456789abcdef0123456789abcdef",
        )],
        "",
    );
    assert!(e.starts_with("KEYCTL_VENICE_BASE_URL holds something that looks like a key"));
    assert!(!e.contains("0123456789abcdef"), "{e}");
}

#[test]
fn the_workspace_flag_wins_over_the_profiles() {
    let ws = |args: &[&str]| {
        let g = global(args, &[], FILE);
        g.workspace_in(ProviderKind::OpenRouter, g.profile())
            .unwrap()
            .map(|w| w.to_string())
    };
    assert_eq!(
        ws(&["-P", "router"]).as_deref(),
        Some("7f3a9c2e-1b4d-4e8f-9a6c-2d5e8f1b3c7a")
    );
    assert_eq!(
        ws(&["-P", "router", "--workspace", OTHER_WORKSPACE]).as_deref(),
        Some(OTHER_WORKSPACE)
    );
    assert_eq!(ws(&["-p", "openrouter"]), None);
    // On a provider without workspaces, or not a UUID: a usage error.
    let g = global(&["-P", "prod", "--workspace", OTHER_WORKSPACE], &[], FILE);
    assert_eq!(
        g.workspace_in(ProviderKind::Venice, g.profile())
            .unwrap_err()
            .exit_code(),
        2
    );
    let g = global(&["-p", "openrouter", "--workspace", "w1"], &[], FILE);
    assert_eq!(
        g.workspace_in(ProviderKind::OpenRouter, None)
            .unwrap_err()
            .exit_code(),
        2
    );
}

#[test]
fn network_options_come_from_flags_then_the_profile_then_the_defaults() {
    let g = global(&["-P", "prod"], &[("KEYCTL_BACKOFF_MS", "5")], FILE);
    assert_eq!(g.wire.retries, 7);
    assert_eq!(g.wire.timeout, Duration::from_secs(60));
    assert_eq!(g.wire.backoff_base, Duration::from_millis(5));
    let g = global(
        &["-P", "prod", "--retries", "1", "--timeout", "5s"],
        &[],
        FILE,
    );
    assert_eq!(g.wire.retries, 1);
    assert_eq!(g.wire.timeout, Duration::from_secs(5));
    let g = global(&["-p", "venice"], &[("KEYCTL_BACKOFF_MS", "9999999")], FILE);
    assert_eq!(g.wire.retries, 3);
    assert_eq!(g.wire.timeout, Duration::from_secs(30));
    assert_eq!(g.wire.backoff_base, Duration::from_secs(60));
    assert_eq!(g.concurrency(None), 4);
    assert_eq!(g.concurrency(Some(9)), 9);
}

#[test]
fn the_credential_source_follows_the_flag_then_the_profile_then_the_providers_variable() {
    let g = global(&["-P", "prod"], &[], FILE);
    assert_eq!(
        g.source(ProviderKind::Venice, g.profile()),
        Source::Env("PROD_KEY".into())
    );
    assert_eq!(
        g.source(ProviderKind::Venice, None),
        Source::Env(ProviderKind::Venice.info().credential_env.into())
    );
    let g = global(&["-P", "prod", "--api-key-file", "/k"], &[], FILE);
    assert_eq!(
        g.source(ProviderKind::Venice, g.profile()),
        Source::File("/k".into())
    );
}
