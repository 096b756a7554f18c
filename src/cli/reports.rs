//! The arguments of the commands that report without changing keys: `auth status`, `log`
//! (`--since` parsed here) and `check`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

pub(super) const LOG_EXAMPLES: &str = "\
Examples:
  keyctl log --since 7d
  keyctl log --key e28e82dc-9df2-4b47-b726-d0a222ef2ab5 -o json | jq .changes
  keyctl log -p modelgates --since 2026-11-01
  keyctl log --action revoke --name 'ci-*' -n 20";

pub(super) const CHECK_EXAMPLES: &str = "\
Examples:
  # Every configured profile: keys expiring within a week or past 80% of their limit
  keyctl check --all --expiring-within 7d --usage-over 80%

  # crontab: cron mails what a job prints (write % as \\% in a crontab)
  0 8 * * * $HOME/.cargo/bin/keyctl check --all --expiring-within 7d --usage-over 90\\% --no-headers

  # One profile, keys that are disabled or have spent $40 or more
  keyctl check -P venice-prod --disabled --usage-over 40";

/// `keyctl auth ...`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// For each profile (-P NAME, --all, or the provider given with -p): ok, rejected,
    /// missing or unreachable; exit 3 if any is rejected or missing, 8 if unreachable
    #[command(
        after_help = "Examples:\n  keyctl auth status --all\n  keyctl auth status -P venice-prod\n  keyctl auth status -p modelgates -o json"
    )]
    Status(AuthStatusArgs),
}

/// Arguments of `keyctl auth status`.
#[derive(Debug, Args)]
pub struct AuthStatusArgs {
    /// Every profile in the config file
    #[arg(long)]
    pub all: bool,
}

/// Arguments of `keyctl log` (-p filters by provider, -P by profile).
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only entries newer than this: a duration back from now (7d, 12h) or a date/time
    /// (2026-11-01, 2026-11-01T08:00:00Z)
    #[arg(long, value_name = "WHEN", value_parser = super::Whole(since))]
    pub since: Option<DateTime<Utc>>,

    /// Only entries about this key: its id, the start of it (6+ characters, as tables show
    /// it) or its name (the old or the new key of a rotation)
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,

    /// Only entries of these actions (repeat it, or a comma-separated list)
    #[arg(
        long,
        value_name = "ACTION",
        value_delimiter = ',',
        value_parser = clap::builder::PossibleValuesParser::new(crate::audit::RECORDED_ACTIONS)
    )]
    pub action: Vec<String>,

    /// Only entries of these statuses (repeat it, or a comma-separated list)
    #[arg(
        long,
        value_name = "STATUS",
        value_delimiter = ',',
        value_parser = clap::builder::PossibleValuesParser::new(crate::audit::RECORDED_STATUSES)
    )]
    pub status: Vec<String>,

    /// Only entries whose key's name matches this glob (e.g. 'ci-*'; entries written without
    /// a name never match)
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,

    /// Only the last N entries that pass the other filters
    #[arg(short = 'n', long, value_name = "N")]
    pub tail: Option<usize>,
}

/// Arguments of `keyctl check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Every profile in the config file
    #[arg(long)]
    pub all: bool,

    /// Keys that expire within DURATION from now (or have expired)
    #[arg(long, value_parser = crate::duration::parse, value_name = "DURATION")]
    pub expiring_within: Option<Duration>,

    /// Keys whose usage has reached PERCENT of their limit (80%) or AMOUNT in the key's unit
    /// (40: 40 USD spent, not 40%). With several criteria a key is listed when any matches
    #[arg(long, value_name = "PERCENT%|AMOUNT")]
    pub usage_over: Option<String>,

    /// Keys that are disabled (ModelGates, novapai, OpenRouter)
    #[arg(long)]
    pub disabled: bool,

    /// Keys with less than AMOUNT left this period (limit minus usage, in the key's unit);
    /// keys with no cap never match
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    pub remaining_under: Option<String>,

    /// Keys the provider has blocked for their spend (the limit reached: usage at or over it,
    /// or no limit left); keys whose state is not known never match
    #[arg(long)]
    pub blocked: bool,

    /// Only keys whose name matches GLOB
    #[arg(long = "match", value_name = "GLOB")]
    pub match_glob: Option<String>,

    /// Leave out keys whose name matches GLOB (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Also check keys that rotate retired (named "NAME (rotated out DATE)" and disabled or
    /// set to expire); left out by default
    #[arg(long)]
    pub include_rotated_out: bool,
}

/// `log --since`: the time it names, from the clock when the command line is read.
fn since(s: &str) -> Result<DateTime<Utc>, String> {
    crate::audit::parse_since(s, Utc::now())
}
