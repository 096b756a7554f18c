//! The change flags (`--limit`, `--reset`, `--expires`, ...) that update, create and rotate
//! share, and their resolution into the normalized [`Patch`].

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::patch::{
    Change, CurrencyLimit, ExpirySpec, LimitArg, ModelList, Name, Patch, Privacy, Reset,
};

/// The change flags exactly as the user gave them (before any cross-flag rule); clap fills
/// this struct directly, and [`ChangeArgs::into_patch`] resolves it (see the README's mapping table).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ChangeArgs {
    /// Spending limit: a decimal >= 0 (USD; io.net credits), `none` to remove the cap, or
    /// +N / -N to change the current limit (read first)
    #[arg(long, value_name = "N|+N|-N|none", allow_hyphen_values = true)]
    pub limit: Option<LimitArg>,

    /// When usage resets: 8h, daily, weekly, monthly or never
    #[arg(long, value_enum, value_name = "PERIOD")]
    pub reset: Option<Reset>,

    /// Expiry: RFC 3339 time, YYYY-MM-DD (00:00 UTC), a duration from now (90m, 12h, 30d, 2w),
    /// or `never`
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub expires: Option<ExpirySpec>,

    /// Allowed models, comma-separated; `all` or '' removes the restriction (io.net)
    #[arg(long, value_name = "A,B|all")]
    pub models: Option<ModelList>,

    /// Rename the key to TEXT (io.net/Venice: its description; Venice: at most 64 characters).
    /// To pick a key by its name, give the name as KEY
    #[arg(long, value_name = "TEXT")]
    pub name: Option<Name>,

    /// Disable the key (ModelGates, novapai, OpenRouter)
    #[arg(long, conflicts_with = "enable")]
    pub disable: bool,

    /// Enable the key (ModelGates, novapai, OpenRouter)
    #[arg(long)]
    pub enable: bool,

    /// Count BYOK usage against the limit: true or false (ModelGates, novapai, OpenRouter)
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub include_byok_in_limit: Option<bool>,

    /// DIEM limit, a decimal >= 0, or `none` for no DIEM cap (Venice)
    #[arg(long, value_name = "N|none", allow_hyphen_values = true)]
    pub limit_diem: Option<CurrencyLimit>,

    /// VCU limit, a decimal >= 0, or `none` (Venice; deprecated by Venice)
    #[arg(long, value_name = "N|none", allow_hyphen_values = true)]
    pub limit_vcu: Option<CurrencyLimit>,

    /// Which models the key may use: all, private-text or private-only (Venice)
    #[arg(long, value_enum, value_name = "WHICH")]
    pub privacy: Option<Privacy>,
}

impl ChangeArgs {
    /// Resolves the flags into a patch. `now` is the clock used for relative expiries.
    pub fn into_patch(self, now: DateTime<Utc>) -> Result<Patch> {
        let relative = matches!(self.limit, Some(LimitArg::Relative(_)));
        let patch = self.resolve(now)?;
        if patch.is_empty() && !relative {
            return Err(Error::usage(
                "nothing to update: give at least one change flag (--limit, --reset, --expires, \
                 --models, --name, --disable/--enable, --include-byok-in-limit, --limit-diem, --limit-vcu, --privacy)",
            ));
        }
        Ok(patch)
    }

    /// The flags as a patch, with no rule about which must be given (`create` needs none); a
    /// relative `--limit` is left to the caller (it is `Keep` here).
    pub fn resolve(self, now: DateTime<Utc>) -> Result<Patch> {
        let ChangeArgs {
            limit,
            reset,
            expires,
            models,
            name,
            disable,
            enable,
            include_byok_in_limit,
            limit_diem,
            limit_vcu,
            privacy,
        } = self;
        if disable && enable {
            return Err(Error::usage(
                "--disable and --enable cannot be used together",
            ));
        }
        let patch = Patch {
            limit: match limit {
                None | Some(LimitArg::Relative(_)) => Change::Keep,
                Some(LimitArg::None) => Change::Clear,
                Some(LimitArg::Amount(a)) => Change::Set(a),
            },
            reset,
            expires: match expires {
                None => Change::Keep,
                Some(spec) => spec.resolve(now)?,
            },
            models: match models {
                None => Change::Keep,
                Some(ModelList::All) => Change::Clear,
                Some(ModelList::Only(v)) => Change::Set(v),
            },
            name: name.map(|n| n.0),
            disabled: match (disable, enable) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
            include_byok_in_limit,
            limit_diem: CurrencyLimit::change(limit_diem),
            limit_vcu: CurrencyLimit::change(limit_vcu),
            privacy,
        };
        Ok(patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    #[test]
    fn nothing_to_update_is_a_usage_error() {
        let e = ChangeArgs::default().into_patch(now()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("nothing to update"));
    }

    #[test]
    fn disable_and_enable_conflict() {
        let args = ChangeArgs {
            disable: true,
            enable: true,
            ..Default::default()
        };
        assert!(args.into_patch(now()).is_err());
    }
}
