//! The command line as clap parses it (derive only): global options and subcommands; the change
//! flags are `patch::ChangeArgs`. Resolution into what the program acts on is `settings.rs`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;
use crate::patch::{Amount, ChangeArgs, KeyType};

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
  9 check matched, 128+n stopped by signal n (130 SIGINT, 143 SIGTERM, 129 SIGHUP) after reporting.",
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
        let vars = crate::provider::all().iter().map(|p| p.info().credential_env);
        for s in crate::credential::set_variables(vars) {
            crate::secret::register(&s);
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
    let text = crate::secret::mask(&e.render().to_string()).into_owned();
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
    /// How results are shown: table (a terminal), tsv (a pipe), json (JSON Lines)
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
    #[arg(global = true, long, value_name = "LIST", help_heading = "Output")]
    pub columns: Option<String>,

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
        }
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

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),

    /// Print the manual page (roff); install it as keyctl-ai.1 (see the README)
    #[command(
        after_help = "Example:\n  keyctl man | man -l -\n  keyctl man > ~/.local/share/man/man1/keyctl-ai.1"
    )]
    Man,
}

const LOG_EXAMPLES: &str = "\
Examples:
  keyctl log --since 7d
  keyctl log --key e28e82dc-9df2-4b47-b726-d0a222ef2ab5 -o json | jq .changes
  keyctl log -p modelgates --since 2026-11-01
  keyctl log --action revoke --name 'ci-*' -n 20";

const CHECK_EXAMPLES: &str = "\
Examples:
  # Every configured profile: keys expiring within a week or past 80% of their limit
  keyctl check --all --expiring-within 7d --usage-over 80%

  # crontab: cron mails what a job prints (write % as \\% in a crontab)
  0 8 * * * $HOME/.cargo/bin/keyctl check --all --expiring-within 7d --usage-over 90\\% --no-headers

  # One profile, keys that are disabled or have spent $40 or more
  keyctl check -P venice-prod --disabled --usage-over 40";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  keyctl completions bash > ~/.local/share/bash-completion/completions/keyctl
  keyctl completions zsh > \"${fpath[1]}/_keyctl\"
  keyctl completions fish > ~/.config/fish/completions/keyctl.fish
  keyctl completions powershell >> $PROFILE
  keyctl completions elvish >> ~/.config/elvish/rc.elv";

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
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

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

/// Arguments of `keyctl completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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

  # Cron: raise by $25 only the CI keys that have spent 90% of their limit; the others (and
  # any whose usage is not known) are unchanged, nothing sent. With several --if-* conditions
  # a key is written when any holds: `keyctl check` with the same criteria lists exactly the
  # keys that are written (here: keyctl check -P prod --match 'ci-*' --usage-over 90%)
  keyctl update -P prod --match 'ci-*' --yes --if-usage-over 90% --limit +25 --limit-max 500 -q

  # Many keys: from a file (one per line, # comments), or every key whose name matches
  keyctl update -p venice --from-file keys.txt --reset monthly --concurrency 8
  keyctl update -p novapai --match 'ci-*' --disable --yes

  # See exactly what would be sent, send nothing
  keyctl update -p novapai f01d5260... --disable --dry-run -o json";

const NEW_LIMIT: &str =
    "Spending limit: a decimal >= 0 (USD; io.net credits), or `none` for no cap";

const CREATE_EXAMPLES: &str = "\
Examples:
  # A ModelGates key for a CI pipeline: $20 a day; the secret goes to a 0600 file
  keyctl create -p modelgates --name ci-deploy --limit 20 --reset daily --secret-file ci.key

  # io.net: keys expire after 180 days unless told otherwise
  keyctl create -p ionet --name batch --limit 100 --models llama-3,qwen --expires never

  # Venice: an inference key with $50 a month, as JSON (the secret in .secret)
  keyctl create -p venice --name app --limit 50 --reset monthly -o json | jq -r .secret

  # One key per name in a file (Venice creates are paced to 20 a minute)
  keyctl create -p venice --from-file names.txt --limit 5 -o json > new-keys.jsonl

  # See the request, create nothing
  keyctl create -p novapai --name test --limit 5 --dry-run -v";

const REVOKE_EXAMPLES: &str = "\
Examples:
  keyctl revoke -p venice e28e82dc-9df2-4b47-b726-d0a222ef2ab5
  keyctl revoke -p modelgates --match 'tmp-*' --dry-run
  keyctl revoke -p ionet --from-file leaked.txt --yes";

const ROTATE_EXAMPLES: &str = "\
Examples:
  # Venice: a successor now, the old key expires in 24 hours (the default there and on io.net)
  keyctl rotate -p venice e28e82dc-9df2-4b47-b726-d0a222ef2ab5 --secret-file new.key

  # ModelGates: the old key is disabled (the default there); or revoked at once
  keyctl rotate -p modelgates f01d5260... -o json
  keyctl rotate -p modelgates f01d5260... --old revoke --yes

  # Give the old key a week, and the successor a new limit
  keyctl rotate -p ionet 3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23 --old expire-in=7d --limit 200";

/// Arguments of `keyctl create` (the Output, Network and Credentials options follow them).
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Create one key per name in FILE, one per line (# comments, blank lines skipped; - for
    /// stdin); the change flags apply to each
    #[arg(long, value_name = "FILE", help_heading = "Keys")]
    pub from_file: Option<PathBuf>,

    /// Key type (Venice only; fixed once created): inference (the default) or admin
    #[arg(long = "type", value_enum, value_name = "TYPE", help_heading = "Keys")]
    pub key_type: Option<KeyType>,

    /// Write the new secret to PATH, a new file created with mode 0600 (never overwritten),
    /// instead of showing it
    #[arg(long, value_name = "PATH", help_heading = "Keys")]
    pub secret_file: Option<PathBuf>,

    /// Create the key even if the account already has a key with that name (or the file gives
    /// a name twice); without it such a run is refused before anything is created
    #[arg(long, help_heading = "Keys")]
    pub allow_duplicate_name: bool,

    #[command(flatten, next_help_heading = "Settings")]
    pub change: ChangeArgs,

    /// Show the create request (-v: with headers) and create nothing
    #[arg(long, help_heading = "Settings")]
    pub dry_run: bool,
}

/// Arguments of `keyctl revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Key(s) to delete: id, name or id prefix (name:TEXT, id:TEXT force one reading)
    #[arg(value_name = "KEY", required_unless_present_any = ["from_file", "match_glob"])]
    pub keys: Vec<String>,

    /// Read keys from FILE, one id or name per line (# comments; - for stdin)
    #[arg(long, value_name = "FILE", help_heading = "Keys")]
    pub from_file: Option<PathBuf>,

    /// Select keys whose name matches GLOB (from `list`)
    #[arg(long = "match", value_name = "GLOB", help_heading = "Keys")]
    pub match_glob: Option<String>,

    /// Do not ask (needed when not on a terminal)
    #[arg(short, long, help_heading = "Keys")]
    pub yes: bool,

    /// Read and show the keys, delete nothing
    #[arg(long, help_heading = "Keys")]
    pub dry_run: bool,

    /// Requests in flight at once (1-256) [default: 4, or the profile's `concurrency`]
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N", help_heading = "Network")]
    pub concurrency: Option<u16>,

    /// Stop starting new keys after N failed ones; 0 never stops
    #[arg(long, default_value_t = 20, value_name = "N", help_heading = "Network")]
    pub max_failures: u32,
}

/// Arguments of `keyctl rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Key(s) to replace: id, name or id prefix (name:TEXT, id:TEXT force one reading)
    #[arg(value_name = "KEY", required_unless_present_any = ["from_file", "match_glob"])]
    pub keys: Vec<String>,

    /// Read keys from FILE, one id or name per line (# comments; - for stdin)
    #[arg(long, value_name = "FILE", help_heading = "Keys")]
    pub from_file: Option<PathBuf>,

    /// Select keys whose name matches GLOB (from `list`); without a terminal needs --yes
    #[arg(long = "match", value_name = "GLOB", help_heading = "Keys")]
    pub match_glob: Option<String>,

    /// What to do with the old key once its successor exists: revoke, disable, keep, or
    /// expire-in=DURATION. Default: expire-in=24h on io.net and Venice, disable elsewhere
    #[arg(long, value_name = "ACTION", help_heading = "Keys")]
    pub old: Option<OldKeyArg>,

    /// Do not ask (needed for --old revoke when not on a terminal)
    #[arg(short, long, help_heading = "Keys")]
    pub yes: bool,

    /// Write the new secret to PATH (one key only), a new file with mode 0600
    #[arg(long, value_name = "PATH", help_heading = "Keys")]
    pub secret_file: Option<PathBuf>,

    /// Settings for the successor that differ from the old key's (--name: its name; default:
    /// the old key's name)
    #[command(
        flatten,
        next_help_heading = "Successor settings (default: the old key's)"
    )]
    pub change: ChangeArgs,

    /// Read the old key and show both steps; change nothing
    #[arg(long, help_heading = "Keys")]
    pub dry_run: bool,
}

/// `--old`: what `rotate` does to the old key.
#[derive(Debug, Clone, PartialEq)]
pub enum OldKeyArg {
    Revoke,
    Disable,
    Keep,
    ExpireIn(Duration),
}

impl std::str::FromStr for OldKeyArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "revoke" => return Ok(OldKeyArg::Revoke),
            "disable" => return Ok(OldKeyArg::Disable),
            "keep" => return Ok(OldKeyArg::Keep),
            _ => {}
        }
        let rest = t
            .strip_prefix("expire-in")
            .map(|r| r.trim_start_matches(['=', ':', ' ']))
            .ok_or_else(|| {
                format!(
                    "'{t}' is not an action: use revoke, disable, keep, or expire-in=DURATION (e.g. expire-in=24h)"
                )
            })?;
        crate::duration::parse(rest)
            .map(OldKeyArg::ExpireIn)
            .map_err(|e| e.to_string())
    }
}

/// Arguments of `keyctl get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Key(s): id, name or id prefix (name:TEXT, id:TEXT force one reading)
    #[arg(value_name = "KEY", required_unless_present = "match_glob")]
    pub keys: Vec<String>,

    /// Also every key whose name matches GLOB (from `list`)
    #[arg(long = "match", value_name = "GLOB")]
    pub match_glob: Option<String>,
}

/// Arguments of `keyctl list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Include disabled keys (ModelGates, novapai, OpenRouter; the others list active keys only)
    #[arg(long)]
    pub include_disabled: bool,

    /// Only keys whose name matches GLOB (case-sensitive; e.g. 'ci-*')
    #[arg(long = "match", value_name = "GLOB")]
    pub match_glob: Option<String>,

    /// Order by FIELD: name, limit, usage, remaining, expires, created, last_used; a leading -
    /// for descending (e.g. -usage). Keys without the value come last either way
    #[arg(long, value_name = "FIELD", allow_hyphen_values = true, value_parser = SortArg::parse)]
    pub sort: Option<SortArg>,
}

/// `list --sort`: a field and its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortArg {
    pub field: SortField,
    pub descending: bool,
}

/// The fields `list --sort` orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Name,
    Limit,
    Usage,
    Remaining,
    Expires,
    Created,
    LastUsed,
}

impl SortField {
    /// Every field, with the name `--sort` takes.
    pub const ALL: [(&'static str, SortField); 7] = [
        ("name", SortField::Name),
        ("limit", SortField::Limit),
        ("usage", SortField::Usage),
        ("remaining", SortField::Remaining),
        ("expires", SortField::Expires),
        ("created", SortField::Created),
        ("last_used", SortField::LastUsed),
    ];
}

impl SortArg {
    fn parse(s: &str) -> std::result::Result<SortArg, String> {
        let t = s.trim();
        let (descending, name) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let wanted = name.to_ascii_lowercase().replace('-', "_");
        SortField::ALL
            .iter()
            .find(|(n, _)| *n == wanted)
            .map(|(_, field)| SortArg {
                field: *field,
                descending,
            })
            .ok_or_else(|| {
                format!(
                    "no field '{}' to sort by; use one of {} (a leading - for descending, e.g. \
                     -usage)",
                    crate::config::shown(name),
                    SortField::ALL.map(|(n, _)| n).join(", ")
                )
            })
    }
}

/// Arguments of `keyctl update` (the Output, Network and Credentials options follow them).
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Key(s): a full id (io.net/Venice UUID, ModelGates/novapai/OpenRouter hash) as is, else a
    /// name or an id prefix of 6+ (name:TEXT, id:TEXT force one reading)
    #[arg(value_name = "KEY", required_unless_present_any = ["from_file", "match_glob"])]
    pub keys: Vec<String>,

    /// Read keys from FILE, one id or name per line (# comments, blank lines skipped; - for stdin; at
    /// most 32 MiB)
    #[arg(long, value_name = "FILE", help_heading = "Keys")]
    pub from_file: Option<PathBuf>,

    /// Select keys whose name matches GLOB (from `list`); asks on a terminal, else needs --yes
    #[arg(long = "match", value_name = "GLOB", help_heading = "Keys")]
    pub match_glob: Option<String>,

    /// Do not ask before changing several keys, disabling, or a --match run
    #[arg(short, long, help_heading = "Keys")]
    pub yes: bool,

    #[command(flatten, next_help_heading = "Changes")]
    pub change: ChangeArgs,

    /// Cap for a relative --limit (+N/-N): the result never exceeds it
    #[arg(long, value_name = "N", help_heading = "Changes")]
    pub limit_max: Option<Amount>,

    /// Show the plan (each key's fields, from → to) and send nothing; -v adds the requests
    #[arg(long, help_heading = "Changes")]
    pub dry_run: bool,

    /// Write only keys the provider blocks for their spend (limit reached; see `keyctl get`).
    /// With several --if-* a key is written when any holds; the others are unchanged, nothing
    /// sent (`keyctl check` with the same criteria lists the keys written)
    #[arg(long, help_heading = "Conditions")]
    pub if_blocked: bool,

    /// Write only keys whose usage has reached PERCENT of their limit (90%) or AMOUNT in the
    /// key's unit (40: 40 USD spent, not 40%)
    #[arg(long, value_name = "PERCENT%|AMOUNT", help_heading = "Conditions")]
    pub if_usage_over: Option<String>,

    /// Write only keys with less than AMOUNT left this period (no cap: never)
    #[arg(
        long,
        value_name = "AMOUNT",
        allow_hyphen_values = true,
        help_heading = "Conditions"
    )]
    pub if_remaining_under: Option<String>,

    /// Write only keys that expire within DURATION from now (or have expired)
    #[arg(long, value_parser = crate::duration::parse, value_name = "DURATION", help_heading = "Conditions")]
    pub if_expiring_within: Option<Duration>,

    /// Requests in flight at once (1-256) [default: 4, or the profile's `concurrency`]
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N", help_heading = "Network")]
    pub concurrency: Option<u16>,

    /// Stop starting new keys after N failed ones (the rest are reported not_attempted); 0 never
    /// stops
    #[arg(long, default_value_t = 20, value_name = "N", help_heading = "Network")]
    pub max_failures: u32,
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
