//! `keyctl check`: the keys of one account or of every profile that expire soon, are nearly
//! spent or are disabled; exit 9 when any matches (an account that could not be read: its
//! error's code, which wins: the check is incomplete), 0 when none does.

use serde_json::json;

use crate::check::{Criteria, UsageOver};
use crate::cli::CheckArgs;
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
    } = args;
    super::no_columns(global, "keyctl check")?;
    let usage_over = usage_over
        .map(|s| {
            s.parse::<UsageOver>()
                .map_err(|e| Error::usage(format!("--usage-over: {e}")))
        })
        .transpose()?;
    let criteria = Criteria {
        expiring_within,
        usage_over,
        disabled,
    };
    if criteria.is_empty() {
        return Err(Error::usage(
            "say what to look for: --expiring-within DURATION, --usage-over PERCENT%|AMOUNT \
             and/or --disabled",
        ));
    }
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
    let mut unread = Vec::new();
    for profile in scopes {
        if cancel.is_cancelled() {
            unread.push(profile.map_or_else(|| "-p".to_string(), |p| p.name.clone()));
            continue;
        }
        let pname = profile.map(|p| p.name.clone());
        if disabled
            && let Ok(p) = profile.map_or_else(|| global.provider(), |pr| Ok(pr.provider.kind()))
            && p.info().api != "openrouter"
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
            let why = crate::check::reasons(&criteria, &k, now);
            if why.is_empty() {
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
    // The count is for a person: on a terminal only (cron mails whatever a job prints).
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
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
