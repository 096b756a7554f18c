//! The command line as clap parses it (derive only): global options and subcommands, each
//! command group's arguments in its own file. Resolution into what the program acts on is
//! `settings.rs`.

mod change;
mod declared;
mod keys;
mod lifecycle;
mod reports;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

pub use change::ChangeArgs;
use declared::{APPLY_EXAMPLES, EXPORT_EXAMPLES, PLAN_EXAMPLES};
pub use declared::{ApplyArgs, ExportArgs, PlanArgs};
use keys::UPDATE_EXAMPLES;
pub use keys::{Batch, GetArgs, KeySelection, ListArgs, SortArg, SortField, UpdateArgs};
use lifecycle::{CREATE_EXAMPLES, NEW_LIMIT, REVOKE_EXAMPLES, ROTATE_EXAMPLES};
pub use lifecycle::{CreateArgs, OldKeyArg, RevokeArgs, RotateArgs};
pub use reports::{AuthCommand, AuthStatusArgs, CheckArgs, LogArgs};
use reports::{CHECK_EXAMPLES, LOG_EXAMPLES};

use crate::output::{Column, Format};

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
  keyctl create -p modelgates --name ci-deploy --limit 20 --reset daily --secret-file ci.key
  keyctl rotate -p venice e28e82dc-9df2-4b47-b726-d0a222ef2ab5 -o json
  keyctl revoke -p novapai --match 'tmp-*' --dry-run
  keyctl check --all --expiring-within 7d --usage-over 80%
  keyctl log --since 7d

Credentials (never a flag, so they stay out of shell history):
  {},
  or --api-key-file PATH (- for standard input),
  or a profile of the config file: -P NAME (~/.config/keyctl/config.toml; see `keyctl providers`).

Exit codes: 0 ok, 1 internal, 2 usage (nothing sent), 3 credential, 4 not found,
  5 rejected as invalid, 6 rate limited, 7 provider failure, 8 network/timeout,
  9 check matched, 10 plan found changes, 128+n stopped by signal n (130 SIGINT, 143 SIGTERM, 129 SIGHUP) after reporting.",
        vars.join(", ")
    )
}

/// Manage API keys on AI-inference providers (io.net, ModelGates, novapai, OpenRouter, Venice).
#[derive(Debug, Parser)]
#[command(name = "keyctl", version, long_version = LONG_VERSION, about, after_help = after_help())]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the command line (clap's errors and help exit as clap does). `support` takes only
    /// `-o` and `-p` of the options the other commands share: another one is a usage error.
    pub fn parse_args() -> Cli {
        use clap::{CommandFactory, FromArgMatches};
        // Every provider's credential variable is registered for masking before anything can
        // echo input (a pasted key as a flag value, KEYCTL_OUTPUT, --columns).
        let vars = crate::provider::all()
            .iter()
            .map(|p| p.info().credential_env);
        for s in crate::credential::set_variables(vars) {
            crate::mask::register(&s);
        }
        let matches = match Cli::command().try_get_matches() {
            Ok(m) => m,
            Err(e) => exit_with(e),
        };
        if let Some(("support", _)) = matches.subcommand() {
            let given: Vec<String> = matches
                .ids()
                // `GlobalArgs` is the group of them all (given when any one is).
                .filter(|id| !matches!(id.as_str(), "output" | "provider" | "GlobalArgs"))
                .filter(|id| {
                    matches.value_source(id.as_str())
                        == Some(clap::parser::ValueSource::CommandLine)
                })
                .map(|id| format!("--{}", id.as_str().replace('_', "-")))
                .collect();
            if !given.is_empty() {
                Cli::command()
                    .error(
                        clap::error::ErrorKind::ArgumentConflict,
                        format!(
                            "keyctl support takes only -o/--output and -p/--provider (got {})",
                            given.join(", ")
                        ),
                    )
                    .exit();
            }
        }
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| exit_with(e))
    }
}

/// Prints clap's help, version or error and exits as clap does; an error's text (which may
/// quote a value typed on the command line) goes through the credential mask first.
fn exit_with(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let text = crate::mask::mask(&e.render().to_string()).into_owned();
    let mut err = std::io::stderr().lock();
    let _ = std::io::Write::write_all(&mut err, text.as_bytes());
    std::process::exit(e.exit_code());
}

/// `--version` (long form): the commit, target and TLS stack this binary was built with
/// (`build.rs` records the first two).
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("KEYCTL_COMMIT"),
    "\ntarget: ",
    env!("KEYCTL_TARGET"),
    "\ntls: rustls (ring), system certificate store"
);

/// Options every command that talks to a provider takes, before or after the command name;
/// each command's help lists them after its own, under Output, Network and Credentials.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// How results are shown: table (a terminal), tsv (a pipe), json (JSON Lines); export: toml
    /// (its default) or json; plan: text (its default) or json
    ///
    /// Default: table when stdout is a terminal, tsv otherwise; or set KEYCTL_OUTPUT.
    #[arg(
        short,
        long,
        global = true,
        value_enum,
        ignore_case = true,
        help_heading = "Output"
    )]
    pub output: Option<OutputArg>,

    /// Leave out the header line of tsv and table output
    #[arg(global = true, long, help_heading = "Output")]
    pub no_headers: bool,

    /// Columns to show, comma-separated, in order (e.g. id,name,limit,usage)
    ///
    /// Names: id, name, status, changes, disabled, blocked, limit, unit, limits.diem, limits.vcu,
    /// reset, usage, remaining, usage_total, expires, models, privacy, include_byok_in_limit,
    /// last_used, created, updated; create and rotate also: secret (needed in TSV unless
    /// --secret-file; rotate: before status), and rotate old_id.
    #[arg(global = true, long, value_name = "LIST", value_parser = Whole(ColumnList::parse), help_heading = "Output")]
    pub columns: Option<ColumnList>,

    /// Show whole ids in tables (else, where they would not fit the terminal, each id's
    /// shortest unique prefix of at least 8 characters, which any key argument takes)
    #[arg(global = true, long, help_heading = "Output")]
    pub wide: bool,

    /// Log each request to stderr, naming the key (method, URL, status, time, attempt;
    /// credential as ****)
    #[arg(
        global = true,
        short,
        long,
        conflicts_with = "quiet",
        help_heading = "Output"
    )]
    pub verbose: bool,

    /// Print nothing but errors
    #[arg(global = true, short, long, help_heading = "Output")]
    pub quiet: bool,

    /// Retries on 429, 500, 502, 503, 504, connection errors and timeouts (0 disables)
    /// [default: 3, or the profile's `retries`]
    #[arg(global = true, long, value_name = "N", help_heading = "Network")]
    pub retries: Option<u32>,

    /// Time limit for one whole request attempt (e.g. 30s, 2m) [default: 30s, or the
    /// profile's `timeout`]
    #[arg(global = true, long, value_parser = crate::duration::parse, value_name = "DURATION", help_heading = "Network")]
    pub timeout: Option<Duration>,

    /// Time limit for opening a connection
    #[arg(global = true, long, default_value = "10s", value_parser = crate::duration::parse, value_name = "DURATION", help_heading = "Network")]
    pub connect_timeout: Duration,

    /// Longest single wait keyctl accepts before a retry (at most 24h); a provider asking for
    /// more fails the key at once (exit 6 on 429)
    #[arg(global = true, long, default_value = "60s", value_parser = crate::duration::max_wait, value_name = "DURATION", help_heading = "Network")]
    pub max_wait: Duration,

    /// Provider, in any case, or one from the config file's [providers.NAME]; or set
    /// KEYCTL_PROVIDER (this flag wins)
    #[arg(
        global = true,
        short,
        long,
        value_name = "ID",
        value_parser = ProviderArg,
        help_heading = "Credentials"
    )]
    pub provider: Option<String>,

    /// Use the named profile of the config file (provider, base URL, credential source,
    /// defaults); or set KEYCTL_PROFILE, or default_profile in the file
    #[arg(
        global = true,
        short = 'P',
        long,
        value_name = "NAME",
        help_heading = "Credentials"
    )]
    pub profile: Option<String>,

    /// Override the provider's base URL (origin plus optional path prefix)
    ///
    /// Also KEYCTL_<ID>_BASE_URL, e.g. KEYCTL_VENICE_BASE_URL. Plain http:// is refused
    /// unless the host is loopback.
    #[arg(global = true, long, value_name = "URL", help_heading = "Credentials")]
    pub base_url: Option<String>,

    /// OpenRouter: the workspace (its UUID) whose keys are listed, named and created; else the
    /// profile's `workspace`, else the default workspace only. Refused on other providers
    #[arg(global = true, long, value_name = "ID", help_heading = "Credentials")]
    pub workspace: Option<String>,

    /// Read the admin credential from this file (- for standard input) instead of the
    /// provider's environment variable; surrounding white space is trimmed (at most 64 KiB read)
    #[arg(global = true, long, value_name = "PATH", help_heading = "Credentials")]
    pub api_key_file: Option<PathBuf>,
}

/// `-o`: an output format, or `md` (Markdown), which only `keyctl support` prints (hidden from
/// the possible values every other command lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputArg {
    /// A table fitted to the terminal (the default on a terminal)
    Table,
    /// Tab-separated values with one header line (the default when piped)
    Tsv,
    /// One JSON object per key per line
    Json,
    /// Markdown (`keyctl support` only)
    #[value(hide = true)]
    Md,
    /// TOML (`keyctl export` only)
    #[value(hide = true)]
    Toml,
}

impl OutputArg {
    /// The format for every command but `support`: `md` is a usage error there.
    pub fn format(self) -> crate::error::Result<Format> {
        match self {
            OutputArg::Table => Ok(Format::Table),
            OutputArg::Tsv => Ok(Format::Tsv),
            OutputArg::Json => Ok(Format::Json),
            OutputArg::Md => Err(crate::error::Error::usage(
                "-o md (Markdown) is for `keyctl support` only; use -o table, tsv or json",
            )),
            OutputArg::Toml => Err(crate::error::Error::usage(
                "-o toml is for `keyctl export` only; use -o table, tsv or json",
            )),
        }
    }
}

/// `--columns id,name,limit`: known names (or table headers), in the order given.
#[derive(Debug, Clone)]
pub struct ColumnList(pub Vec<&'static Column>);

impl ColumnList {
    fn parse(list: &str) -> std::result::Result<ColumnList, String> {
        let mut cols: Vec<&'static Column> = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            // The name, or the header a table shows (`diem`, `last used`, `byok`, `total`).
            let header = name.replace('_', " ");
            let Some(c) = crate::output::COLUMNS.iter().find(|c| {
                c.name.eq_ignore_ascii_case(name) || c.header.eq_ignore_ascii_case(&header)
            }) else {
                return Err(format!(
                    "--columns: no column '{}'; the columns are {}",
                    crate::mask::shown(name),
                    crate::output::column_names().join(", ")
                ));
            };
            cols.push(c);
        }
        if cols.is_empty() {
            return Err(format!(
                "--columns: give at least one column: {}",
                crate::output::column_names().join(", ")
            ));
        }
        Ok(ColumnList(cols))
    }
}

/// A value parser whose refusal is the whole message, which names its flag (clap's own quotes
/// the value first, and a value may be a pasted key): a usage error before anything runs.
#[derive(Debug, Clone, Copy)]
struct Whole<F>(F);

impl<T, F> clap::builder::TypedValueParser for Whole<F>
where
    T: Clone + Send + Sync + 'static,
    F: Fn(&str) -> std::result::Result<T, String> + Clone + Send + Sync + 'static,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let text = clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)?;
        (self.0)(&text).map_err(|m| {
            cmd.clone()
                .error(clap::error::ErrorKind::ValueValidation, m)
        })
    }
}

/// `-p`: any non-empty name (custom providers come from the config file, read later); the
/// built-in ids are its possible values for help and completions.
#[derive(Debug, Clone, Copy)]
struct ProviderArg;

impl clap::builder::TypedValueParser for ProviderArg {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::NonEmptyStringValueParser::new()
            .parse_ref(cmd, arg, value)
            .map(|v| v.trim().to_string())
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(crate::provider::all().iter().map(|p| {
            let i = p.info();
            clap::builder::PossibleValue::new(i.id).aliases(i.aliases.iter().copied())
        })))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Change one or more keys: limit, reset period, expiry, models, name, enabled state
    #[command(after_help = UPDATE_EXAMPLES)]
    Update(Box<UpdateArgs>),

    /// Show keys: limit, usage, remaining, reset, expiry, models (one key: field: value lines)
    #[command(
        after_help = "Examples:\n  keyctl get -p venice e28e82dc-9df2-4b47-b726-d0a222ef2ab5\n  keyctl get -p modelgates f01d5260... -o json | jq .after.remaining"
    )]
    Get(GetArgs),

    /// List the provider's keys (every page)
    #[command(
        after_help = "Examples:\n  keyctl list -p modelgates --include-disabled\n  keyctl list -p ionet | awk -F'\\t' 'NR > 1 { print $1 }'\n  keyctl list -p venice -o json | jq -r .after.id"
    )]
    List(ListArgs),

    /// Create a key (or one per name with --from-file) and show its secret once
    #[command(
        after_help = CREATE_EXAMPLES,
        mut_arg("disable", |a| a.hide(true)),
        mut_arg("enable", |a| a.hide(true)),
        mut_arg("limit", |a| a.value_name("N|none").help(NEW_LIMIT)),
        mut_arg("name", |a| a.help("The new key's name (required; Venice: at most 64 characters)"))
    )]
    Create(Box<CreateArgs>),

    /// Delete keys for good: each is read and shown first; asks on a terminal, else needs --yes
    #[command(after_help = REVOKE_EXAMPLES)]
    Revoke(RevokeArgs),

    /// Replace keys: create a successor with the same settings, then expire, disable or
    /// revoke the old key
    #[command(
        after_help = ROTATE_EXAMPLES,
        mut_arg("disable", |a| a.hide(true)),
        mut_arg("enable", |a| a.hide(true)),
        mut_arg("limit", |a| a.value_name("N|none").help(NEW_LIMIT)),
        mut_arg("name", |a| a.help("The successor's name (one key only; default: the old key's name, and the old key is renamed NAME (rotated out DATE))"))
    )]
    Rotate(Box<RotateArgs>),

    /// Print which change flags each provider supports, and the body field each becomes
    ///
    /// On a terminal: a table fitted to its width. Piped: the Markdown the README carries. -o
    /// forces one: table, md (Markdown), tsv, json (one line per command, flag and provider).
    /// -p NAME shows that provider only.
    #[command(
        after_help = "Examples:\n  keyctl support -p venice\n  keyctl support -o md > support.md\n  keyctl support -o json | jq -c 'select(.supported | not)'"
    )]
    Support,

    /// List the built-in and configured providers: base URL, credential source, and whether
    /// the credential is set (never its value)
    #[command(
        after_help = "Examples:\n  keyctl providers\n  keyctl providers -o json | jq -r 'select(.credential_present | not) | .provider'"
    )]
    Providers,

    /// Check credentials: one cheap authenticated read per profile that proves the key can
    /// manage keys
    #[command(subcommand)]
    Auth(AuthCommand),

    /// Read the audit trail of writes (update, create, revoke, rotate)
    #[command(after_help = LOG_EXAMPLES)]
    Log(LogArgs),

    /// List keys that expire soon, are nearly spent or disabled; exit 9 when any does (for
    /// cron and monitoring)
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),

    /// Print the keys as a key file (TOML, or -o json): export, then plan, is "no changes"
    #[command(after_help = EXPORT_EXAMPLES)]
    Export(ExportArgs),

    /// Compare a key file with the keys each profile has: create, update, replace, unchanged,
    /// unmanaged; exit 10 when there are changes
    #[command(after_help = PLAN_EXAMPLES)]
    Plan(PlanArgs),

    /// Make the keys as a key file declares them: the plan, shown and confirmed, then creates,
    /// updates, replacements (--replace) and revokes of undeclared keys (--prune)
    #[command(after_help = APPLY_EXAMPLES)]
    Apply(ApplyArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),

    /// Print the manual page (roff); install it as keyctl-ai.1 (see the README)
    #[command(
        after_help = "Example:\n  keyctl man | man -l -\n  keyctl man > ~/.local/share/man/man1/keyctl-ai.1"
    )]
    Man,
}

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  keyctl completions bash > ~/.local/share/bash-completion/completions/keyctl
  keyctl completions zsh > \"${fpath[1]}/_keyctl\"
  keyctl completions fish > ~/.config/fish/completions/keyctl.fish
  keyctl completions powershell >> $PROFILE
  keyctl completions elvish >> ~/.config/elvish/rc.elv";

/// Arguments of `keyctl completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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
        let Command::Update(args) = c.command else {
            panic!("update expected")
        };
        assert!(matches!(args.change.limit, Some(LimitArg::Relative(_))));
    }
}
