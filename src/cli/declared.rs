//! The arguments of the keys-as-code commands: `export` (the keys read, as a key file), `plan`
//! (a key file against the keys read) and `apply` (the plan, made so).

use std::path::PathBuf;

use clap::Args;

pub(super) const EXPORT_EXAMPLES: &str = "\
Output: -o toml (the default) or -o json (one document: {\"key\": [...]}); table and tsv are
refused: export prints a key file.

Examples:
  keyctl export -P prod > keys.toml
  keyctl export --all --match 'ci-*' > keys.toml
  keyctl export -p venice -o json | jq '.key[].name'";

pub(super) const PLAN_EXAMPLES: &str = "\
Scope: -P NAME plans only the file's keys of profile NAME, -p ID (or KEYCTL_PROVIDER) only those
at provider ID; without them, every key of the file. --base-url, --api-key-file and --workspace
name one account: refused when the keys planned are in more than one profile or provider (give
each profile its own in the config file). Output: text, or -o json (JSON Lines); -o table and
-o tsv are refused. --wide shows whole ids (else, on a narrow terminal, shortest unique prefixes).

Examples:
  keyctl plan -f keys.toml
  keyctl plan -f keys.toml -P prod
  keyctl plan -f keys.toml -o json | jq -c 'select(.action // \"\" | IN(\"\", \"unchanged\", \"error\") | not)'

  # CI, on a pull request: exit 0 in sync, 10 changes to apply (both pass); 2 a wrong key file,
  # an invalid key or a secret destination that cannot take a secret, 3/8 credential/network
  # (fail)
  keyctl plan -f keys.toml || [ $? -eq 10 ]";

pub(super) const APPLY_EXAMPLES: &str = "\
Scope: -P NAME applies only the file's keys of profile NAME, -p ID (or KEYCTL_PROVIDER) only those
at provider ID; without them, every key of the file.

Examples:
  keyctl apply -f keys.toml                     # shows the plan, asks y/N
  keyctl apply -f keys.toml --yes               # CI, cron: no question
  keyctl apply -f keys.toml --replace --prune --yes -o json

  # exit 0 when everything planned was done, 10 when replacements were left (no --replace),
  # the worst failure's code otherwise";

/// Arguments of `keyctl export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Every profile of the config file (only those of -p's provider when it is given)
    #[arg(long)]
    pub all: bool,

    /// Only keys whose name matches GLOB
    #[arg(long = "match", value_name = "GLOB")]
    pub match_glob: Option<String>,
}

/// Arguments of `keyctl plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The key file (TOML: [[key]] tables; see docs/keys-as-code.md)
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: PathBuf,

    /// `-o` as given (text unless `-o json`; table and tsv are refused), set by the command
    /// dispatch.
    #[arg(skip)]
    pub output: Option<super::OutputArg>,
}

/// Arguments of `keyctl apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The key file (TOML: [[key]] tables; see docs/keys-as-code.md)
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: PathBuf,

    /// Also revoke the keys a profile has that the file does not declare (deleted for good)
    #[arg(long)]
    pub prune: bool,

    /// Also replace keys that differ in a field their provider cannot change in place: a
    /// successor is created (its secret delivered), then the old key retired as rotate does
    #[arg(long)]
    pub replace: bool,

    /// Do not ask (needed without a terminal)
    #[arg(short = 'y', long)]
    pub yes: bool,
}
