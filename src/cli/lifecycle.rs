//! The arguments of the commands that make and end keys: `create`, `revoke` and `rotate`
//! (`--old`, what rotate does to the old key).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{Batch, ChangeArgs, KeySelection};
use crate::patch::KeyType;

pub(super) const NEW_LIMIT: &str =
    "Spending limit: a decimal >= 0 (USD; io.net credits), or `none` for no cap";

pub(super) const CREATE_EXAMPLES: &str = "\
Examples:
  # A ModelGates key for a CI pipeline: $20 a day; the secret goes to a 0600 file
  keyctl create -p modelgates --name ci-deploy --limit 20 --reset daily --secret-file ci.key

  # The secret straight into a GitHub Actions secret (on gh's standard input, no shell)
  keyctl create -p venice --name ci --limit 5 --secret-command 'gh secret set CI_KEY'

  # io.net: keys expire after 180 days unless told otherwise
  keyctl create -p ionet --name batch --limit 100 --models llama-3,qwen --expires never

  # Venice: an inference key with $50 a month, as JSON (the secret in .secret)
  keyctl create -p venice --name app --limit 50 --reset monthly -o json | jq -r .secret

  # One key per name in a file (Venice creates are paced to 20 a minute)
  keyctl create -p venice --from-file names.txt --limit 5 -o json > new-keys.jsonl

  # See the request, create nothing
  keyctl create -p novapai --name test --limit 5 --dry-run -v";

pub(super) const REVOKE_EXAMPLES: &str = "\
Examples:
  keyctl revoke -p venice e28e82dc-9df2-4b47-b726-d0a222ef2ab5
  keyctl revoke -p modelgates --match 'tmp-*' --dry-run
  keyctl revoke -p ionet --from-file leaked.txt --yes";

pub(super) const ROTATE_EXAMPLES: &str = "\
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

    /// Hand the new secret to COMMAND on its standard input instead of showing it: split into
    /// words as a shell would, run without a shell (e.g. 'gh secret set CI_KEY'); it has 30 s
    /// and must exit 0, else the secret is shown
    #[arg(
        long,
        value_name = "COMMAND",
        conflicts_with = "secret_file",
        help_heading = "Keys"
    )]
    pub secret_command: Option<String>,

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
    #[command(flatten)]
    pub select: KeySelection,

    /// Do not ask (needed when not on a terminal)
    #[arg(short, long, help_heading = "Keys")]
    pub yes: bool,

    /// Read and show the keys, delete nothing
    #[arg(long, help_heading = "Keys")]
    pub dry_run: bool,

    #[command(flatten)]
    pub batch: Batch,
}

/// Arguments of `keyctl rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub select: KeySelection,

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

    /// Hand the new secret to COMMAND on its standard input (one key only), run without a
    /// shell, as --secret-file's alternative (see create --help)
    #[arg(
        long,
        value_name = "COMMAND",
        conflicts_with = "secret_file",
        help_heading = "Keys"
    )]
    pub secret_command: Option<String>,

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
