//! The arguments of the commands that pick keys to read or change: the key selection
//! (`KEY`s, `--from-file`, `--match`) and the batch limits the writing commands share, `get`,
//! `list` and `update`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::ChangeArgs;
use crate::patch::Amount;

/// The keys a command acts on: `KEY` arguments, `--from-file` and `--match` (update, revoke,
/// rotate); at least one of them is given.
#[derive(Debug, Args)]
pub struct KeySelection {
    /// Key(s): a full id (io.net/Venice UUID, ModelGates/novapai/OpenRouter hash) as is, else a
    /// name or an id prefix of 6+ (name:TEXT, id:TEXT force one reading)
    #[arg(value_name = "KEY", required_unless_present_any = ["from_file", "match_glob"])]
    pub keys: Vec<String>,

    /// Read keys from FILE, one id or name per line (# comments, blank lines skipped; - for
    /// stdin; at most 32 MiB)
    #[arg(long, value_name = "FILE", help_heading = "Keys")]
    pub from_file: Option<PathBuf>,

    /// Select keys whose name matches GLOB (from `list`); asks on a terminal, else needs --yes
    #[arg(long = "match", value_name = "GLOB", help_heading = "Keys")]
    pub match_glob: Option<String>,
}

/// How a run over many keys proceeds (update, revoke).
#[derive(Debug, Args)]
pub struct Batch {
    /// Requests in flight at once (1-256) [default: 4, or the profile's `concurrency`]
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N", help_heading = "Network")]
    pub concurrency: Option<u16>,

    /// Stop starting new keys after N failed ones (the rest are reported not_attempted); 0 never
    /// stops
    #[arg(long, default_value_t = 20, value_name = "N", help_heading = "Network")]
    pub max_failures: u32,
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
                    crate::mask::shown(name),
                    SortField::ALL.map(|(n, _)| n).join(", ")
                )
            })
    }
}

/// Arguments of `keyctl update` (the Output, Network and Credentials options follow them).
#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub select: KeySelection,

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

    #[command(flatten)]
    pub batch: Batch,
}

pub(super) const UPDATE_EXAMPLES: &str = "\
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
