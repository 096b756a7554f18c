//! The command line as clap parses it (derive only): global options and subcommands; the change
//! flags are `patch::ChangeArgs`. Resolution into what the program acts on is `settings.rs`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;
use crate::patch::{Amount, ChangeArgs};
use crate::provider::ProviderKind;

/// The top-level help's epilogue; the credential variables come from the provider table.
fn after_help() -> String {
    let vars: Vec<&str> = crate::provider::all()
        .iter()
        .map(|p| p.info().credential_env)
        .collect();
    format!(
        "\
Examples:
  keyctl update -p venice e28e82dc-9df2-4b47-b726-d0a222ef2ab5 --limit 50 --dry-run
  keyctl update -p modelgates --from-file keys.txt --limit +25 --limit-max 500
  keyctl get -p ionet 3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23
  keyctl list -p openrouter -o json

Credentials (never a flag, so they stay out of shell history):
  {},
  or --api-key-file PATH (- for standard input).

Exit codes: 0 ok, 1 internal, 2 usage (nothing sent), 3 credential, 4 not found,
  5 rejected as invalid, 6 rate limited, 7 provider failure, 8 network/timeout,
  128+n stopped by signal n (130 SIGINT, 143 SIGTERM, 129 SIGHUP) after reporting.",
        vars.join(", ")
    )
}

/// Manage API keys on AI-inference providers (io.net, ModelGates, novapai, OpenRouter, Venice).
#[derive(Debug, Parser)]
#[command(name = "keyctl", version, about, after_help = after_help())]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Provider, in any case; or set KEYCTL_PROVIDER (this flag wins)
    #[arg(short, long, global = true, value_name = "ID", ignore_case = true)]
    pub provider: Option<ProviderKind>,

    /// Override the provider's base URL (origin plus optional path prefix)
    ///
    /// Also KEYCTL_<ID>_BASE_URL, e.g. KEYCTL_VENICE_BASE_URL. Plain http:// is refused
    /// unless the host is loopback.
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,

    /// Read the admin credential from this file (- for standard input) instead of the
    /// provider's environment variable; surrounding white space is trimmed (at most 64 KiB read)
    #[arg(long, global = true, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,

    /// Output format for results on stdout [default: table; or set KEYCTL_OUTPUT]
    #[arg(short, long, global = true, value_enum, ignore_case = true)]
    pub output: Option<Format>,

    /// Log each request to stderr (method, URL, status, time, attempt; credential as ****)
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Print nothing but errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Retries on 429, 500, 502, 503, 504, connection errors and timeouts (0 disables)
    #[arg(long, global = true, default_value_t = 3, value_name = "N")]
    pub retries: u32,

    /// Time limit for one whole request attempt (e.g. 30s, 2m)
    #[arg(long, global = true, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Time limit for opening a connection
    #[arg(long, global = true, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub connect_timeout: Duration,

    /// Longest single wait keyctl accepts before a retry; a provider asking for more fails the
    /// key at once (exit 6 on 429)
    #[arg(long, global = true, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub max_wait: Duration,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("'{s}' is not a duration ({e}); use e.g. 30s, 2m, 1h"))?;
    if d.is_zero() {
        return Err("the duration must be more than zero".into());
    }
    Ok(d)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Change one or more keys: limit, reset period, expiry, models, name, enabled state
    #[command(after_help = UPDATE_EXAMPLES)]
    Update(UpdateArgs),

    /// Show one key: limit, remaining, usage, reset, expiry, models
    #[command(
        after_help = "Examples:\n  keyctl get -p venice e28e82dc-9df2-4b47-b726-d0a222ef2ab5\n  keyctl get -p modelgates f01d5260... -o json"
    )]
    Get(GetArgs),

    /// List the provider's keys (every page)
    #[command(
        after_help = "Examples:\n  keyctl list -p modelgates --include-disabled\n  keyctl list -p ionet -o json | jq -r .key_state.id"
    )]
    List(ListArgs),

    /// Print which change flags each provider supports, and the body field each becomes
    #[command(after_help = "Example:\n  keyctl support > support.md")]
    Support,
}

const UPDATE_EXAMPLES: &str = "\
Examples:
  # Raise an io.net sub-key's credit cap (also unblocks a key over its limit)
  keyctl update -p ionet 3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23 --limit 50

  # ModelGates: $75 a day, or remove the cap and the reset
  keyctl update -p modelgates f01d5260... --limit 75 --reset daily
  keyctl update -p modelgates f01d5260... --limit none --reset never

  # Venice: $50 and 10 DIEM per month, expiring in 30 days, private models only
  keyctl update -p venice e28e82dc-9df2-4b47-b726-d0a222ef2ab5 \\
      --limit 50 --limit-diem 10 --reset monthly --expires 30d --privacy private-only

  # Cron: raise a limit by $25 a day, never past $500 (reads the current limit first)
  keyctl update -p modelgates f01d5260... --limit +25 --limit-max 500

  # Many keys: from a file (one per line, # comments), or every key whose name matches
  keyctl update -p venice --from-file keys.txt --reset monthly --concurrency 8
  keyctl update -p novapai --match 'ci-*' --disable --yes

  # See exactly what would be sent, send nothing
  keyctl update -p novapai f01d5260... --disable --dry-run -o json";

/// Arguments of `keyctl get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Key id(s)
    #[arg(required = true, value_name = "KEY")]
    pub keys: Vec<String>,
}

/// Arguments of `keyctl list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Include disabled keys (ModelGates, novapai, OpenRouter; the others list active keys only)
    #[arg(long)]
    pub include_disabled: bool,
}

/// Arguments of `keyctl update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Key id(s): io.net sub-key UUID, ModelGates/novapai/OpenRouter key hash, Venice key id
    #[arg(value_name = "KEY", required_unless_present_any = ["from_file", "match_glob"])]
    pub keys: Vec<String>,

    /// Read key ids from FILE, one per line (# comments, blank lines skipped; - for stdin; at
    /// most 32 MiB)
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,

    /// Select keys whose name matches GLOB (from `list`); needs --yes or --dry-run
    #[arg(long = "match", value_name = "GLOB")]
    pub match_glob: Option<String>,

    /// Confirm a --match run
    #[arg(long)]
    pub yes: bool,

    /// Requests in flight at once
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N")]
    pub concurrency: u16,

    /// Stop starting new keys after N failed ones (the rest are reported not_attempted); 0 never
    /// stops
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_failures: u32,

    /// Cap for a relative --limit (+N/-N): the result never exceeds it
    #[arg(long, value_name = "N")]
    pub limit_max: Option<Amount>,

    #[command(flatten, next_help_heading = "Change flags")]
    pub change: ChangeArgs,

    /// Print the exact requests that would be sent (credential redacted); send nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::LimitArg;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn negative_limit_is_relative_not_a_flag() {
        let c = Cli::try_parse_from(["keyctl", "update", "-p", "venice", "k", "--limit", "-10"])
            .unwrap();
        let Command::Update(u) = c.command else {
            panic!("update expected")
        };
        assert!(matches!(u.change.limit, Some(LimitArg::Relative(_))));
    }
}
