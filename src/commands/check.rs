//! `keyctl check`: the keys of one account or of every profile that expire soon, are nearly
//! spent, are blocked or are disabled; exit 9 when any matches (an account that could not be read: its
//! error's code, which wins: the check is incomplete), 0 when none does. Keys are chosen by
//! name (`--match`, `--exclude`), and the keys `rotate` retired are left out unless
//! `--include-rotated-out`.

use serde_json::json;

use crate::cli::CheckArgs;
use crate::criteria::{Criteria, UsageOver};
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::output::{
    self,
    records::{self, Records},
};
use crate::settings::Global;

/// The exit code when any key matches.
pub const MATCHED: i32 = 9;

pub async fn run(global: &Global, args: CheckArgs, cancel: &Cancel) -> Result<i32> {
    let CheckArgs {
        all,
        expiring_within,
        usage_over,
        disabled,
        remaining_under,
        blocked,
        match_glob,
        exclude,
        include_rotated_out,
    } = args;
    super::no_columns(global, "keyctl check")?;
    let usage_over = usage_over
        .map(|s| s.parse::<UsageOver>().map_err(Error::usage))
        .transpose()?;
    let remaining_under = remaining_under
        .map(|s| crate::criteria::parse_remaining_under(&s).map_err(Error::usage))
        .transpose()?;
    let criteria = Criteria {
        expiring_within,
        usage_over,
        disabled,
        remaining_under,
        blocked,
    };
    if criteria.is_empty() {
        return Err(Error::usage(
            "say what to look for: --expiring-within DURATION, --usage-over PERCENT%|AMOUNT, \
             --remaining-under AMOUNT, --blocked and/or --disabled",
        ));
    }
    let names = Names::new(match_glob.as_deref(), &exclude)?;
    let scopes = super::scopes(global, all)?;
    let now = chrono::Utc::now();
    let mut r = Records {
        headers: vec![
            "profile", "provider", "id", "name", "reasons", "expires", "usage", "limit",
        ],
        rows: Vec::new(),
        json: Vec::new(),
    };
    let mut codes = Vec::new();
    let mut accounts = 0;
    // Keys `rotate` retired that would have matched, left out.
    let mut retired = 0usize;
    let mut unread = Vec::new();
    for profile in scopes {
        if cancel.is_cancelled() {
            unread.push(profile.map_or_else(|| "-p".to_string(), |p| p.name.clone()));
            continue;
        }
        let pname = profile.map(|p| p.name.clone());
        if disabled
            && let Ok(p) = profile.map_or_else(|| global.provider(), |pr| Ok(pr.provider.kind()))
            && p.info().api != crate::provider::Api::OpenRouter
        {
            output::warn(&format!(
                "{}{p} keys have no disabled state: --disabled matches none of them",
                pname
                    .as_deref()
                    .map_or(String::new(), |n| format!("profile {n}: "))
            ));
        }
        let keys = match read(global, profile, disabled, cancel).await {
            Ok(k) => k,
            // What was found so far is still printed.
            Err(Error::Interrupted { .. }) => {
                unread.push(pname.unwrap_or_else(|| "-p".to_string()));
                continue;
            }
            Err(e) => {
                let who = pname
                    .as_deref()
                    .map_or(String::new(), |n| format!("profile {n}: "));
                output::error(&format!("{who}{e}"));
                codes.push(e.exit_code());
                r.json.push(json!({
                    "profile": pname,
                    "status": "error",
                    "error": e.to_string(),
                    "exit_code": e.exit_code(),
                }));
                continue;
            }
        };
        accounts += 1;
        for k in keys {
            if !names.keeps(&k) {
                continue;
            }
            let why = crate::criteria::reasons(&criteria, &k, now);
            if why.is_empty() {
                continue;
            }
            if !include_rotated_out && crate::criteria::rotated_out(&k) {
                retired += 1;
                continue;
            }
            r.rows.push(vec![
                pname.clone().unwrap_or_default(),
                k.provider.into(),
                k.id.clone(),
                cell(&k, "name"),
                why.join("; "),
                cell(&k, "expires"),
                cell(&k, "usage"),
                cell(&k, "limit"),
            ]);
            r.json.push(json!({
                "profile": pname,
                "provider": k.provider,
                "id": k.id,
                "name": k.field("name"),
                "reasons": why,
                "key": k.to_json(),
            }));
        }
    }
    let matched = r.rows.len();
    records::print(&global.listing_view(), &r);
    if cancel.is_cancelled() {
        if !unread.is_empty() {
            output::error(&format!(
                "not checked (stopped by a signal): {}",
                unread.join(", ")
            ));
        }
        return Err(Error::Interrupted {
            sent: crate::error::Sent::Nothing,
        });
    }
    // The count is for a person: on a terminal only (cron mails whatever a job prints). Keys
    // left out as retired are said too when keys matched (a mail is sent anyway then), so a
    // check with nothing else to report stays silent.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    if retired > 0 && (terminal || matched > 0) {
        output::diag(&format!(
            "{retired} key{} that rotate retired (named \"… (rotated out DATE)\", disabled or \
             expiring) left out; --include-rotated-out checks {}",
            if retired == 1 { "" } else { "s" },
            if retired == 1 { "it" } else { "them" }
        ));
    }
    if terminal {
        output::diag(&format!(
            "{matched} key{} matched in {accounts} account{}",
            if matched == 1 { "" } else { "s" },
            if accounts == 1 { "" } else { "s" }
        ));
    }
    // The same order as `auth status`: credential, then network, then the rest.
    Ok(match (super::worst(&codes), matched) {
        (0, 0) => 0,
        (0, _) => MATCHED,
        (code, _) => code,
    })
}

/// `--match` and `--exclude`: which keys are checked, by name. A key with no name matches no
/// glob: `--match` leaves it out, `--exclude` keeps it.
struct Names {
    only: Option<globset::GlobMatcher>,
    not: Option<globset::GlobSet>,
}

impl Names {
    fn new(only: Option<&str>, exclude: &[String]) -> Result<Names> {
        let only = only.map(super::keys::name_glob).transpose()?;
        let not = if exclude.is_empty() {
            None
        } else {
            let mut set = globset::GlobSetBuilder::new();
            for g in exclude {
                set.add(super::keys::name_pattern("--exclude", g)?);
            }
            Some(
                set.build()
                    .map_err(|e| Error::usage(format!("--exclude: bad glob: {e}")))?,
            )
        };
        Ok(Names { only, not })
    }

    fn keeps(&self, k: &crate::key::Key) -> bool {
        let name = k.name.value().cloned();
        let name = name.as_deref();
        self.only
            .as_ref()
            .is_none_or(|m| name.is_some_and(|n| m.is_match(n)))
            && self
                .not
                .as_ref()
                .is_none_or(|set| !name.is_some_and(|n| set.is_match(n)))
    }
}

/// Every key of one account (disabled ones too when `--disabled` asks for them).
async fn read(
    global: &Global,
    profile: Option<&crate::config::Profile>,
    include_disabled: bool,
    cancel: &Cancel,
) -> Result<Vec<crate::key::Key>> {
    let target = global.target_in(profile, cancel).await?;
    let session = super::open_with(global.wire_for(profile), target, cancel)?;
    session.list(include_disabled).await
}

/// A key field as `list` shows it (`never` for no expiry, `none` for no cap); unknown: empty.
fn cell(k: &crate::key::Key, field: &str) -> String {
    k.field(field)
        .map_or_else(String::new, |v| output::columns::field_cell(field, &v))
}
