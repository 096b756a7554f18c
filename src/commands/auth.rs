//! `keyctl auth status`: for each profile (or the provider of `-p`), one cheap authenticated
//! read that proves the credential can manage keys: ok, rejected, missing, unreachable (or
//! error, for any other failure), and the exit code of the worst.

use std::sync::Arc;

use serde_json::json;

use crate::cli::AuthStatusArgs;
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::http::{Cancel, Http};
use crate::output::records::{self, Records};
use crate::session::Session;
use crate::settings::Global;

/// One account's answer.
struct Status {
    word: &'static str,
    detail: String,
    code: i32,
    http_status: Option<u16>,
}

pub async fn run(global: &Global, args: AuthStatusArgs, cancel: &Cancel) -> Result<i32> {
    super::no_columns(global, "keyctl auth status")?;
    let scopes = super::scopes(global, args.all)?;
    let mut r = Records {
        headers: vec![
            "profile",
            "provider",
            "status",
            "detail",
            "base_url",
            "credential",
        ],
        rows: Vec::new(),
        json: Vec::new(),
    };
    let mut codes = Vec::new();
    for profile in scopes {
        // After a signal, the accounts left are listed as not checked: the report is whole.
        let (p, base, source, st) = if cancel.is_cancelled() {
            let p = match profile {
                Some(pr) => pr.provider.kind(),
                None => global.provider()?,
            };
            let base = global
                .base_in(p, profile)
                .map_or_else(|e| e.to_string(), |b| b.shown());
            (p, base, global.source(p, profile), Status::not_attempted())
        } else {
            let target = global.target_in(profile, cancel).await?;
            let (p, base, source) = (target.p, target.base.shown(), target.source.clone());
            let st = match probe(global, profile, target, cancel).await {
                Err(Error::Interrupted { .. }) => Status::not_attempted(),
                other => other?,
            };
            (p, base, source, st)
        };
        codes.push(st.code);
        let name = profile.map_or("", |pr| pr.name.as_str());
        r.rows.push(vec![
            name.into(),
            p.info().id.into(),
            st.word.into(),
            st.detail.clone(),
            base.clone(),
            source.to_string(),
        ]);
        let (kind, value) = super::providers::describe(&source);
        r.json.push(json!({
            "profile": profile.map(|pr| pr.name.as_str()),
            "provider": p.info().id,
            "status": st.word,
            "detail": st.detail,
            "http_status": st.http_status,
            "base_url": base,
            "credential_source": kind,
            "credential": value,
        }));
    }
    records::print(&global.listing_view(), &r);
    if cancel.is_cancelled() {
        return Err(Error::Interrupted {
            sent: crate::error::Sent::Nothing,
        });
    }
    Ok(super::worst(&codes))
}

impl Status {
    /// An account a signal left unchecked.
    fn not_attempted() -> Status {
        Status {
            word: "not_attempted",
            detail: "stopped by a signal before this account was checked".into(),
            code: 0,
            http_status: None,
        }
    }
}

/// Sends the provider's credential check for one target.
async fn probe(
    global: &Global,
    profile: Option<&Profile>,
    target: crate::settings::Target,
    cancel: &Cancel,
) -> Result<Status> {
    let hint = target.hint();
    let (p, base, secret) = match target.require() {
        Ok(t) => t,
        Err(e @ Error::Interrupted { .. }) => return Err(e),
        Err(e) => return Ok(status_of(&e)),
    };
    let http = Http::new(global.wire_for(profile), cancel.clone(), base.is_tls())?;
    let session = Session::new(p, base, Arc::new(http), secret).with_source(hint);
    let req = crate::provider::auth::build(p, &session.base)?;
    Ok(match session.send(&req).await {
        Ok(body) => match crate::provider::auth::parse(p, &body) {
            Ok(detail) => Status {
                word: "ok",
                detail,
                code: 0,
                http_status: None,
            },
            Err(crate::provider::auth::Denied::NotManagement(reason)) => Status {
                word: "rejected",
                detail: reason,
                code: 3,
                http_status: None,
            },
            // An answer keyctl cannot read is the provider's failure, not the credential's.
            Err(crate::provider::auth::Denied::Unreadable(reason)) => Status {
                word: "error",
                detail: reason,
                code: 7,
                http_status: None,
            },
        },
        Err(e @ Error::Interrupted { .. }) => return Err(e),
        Err(e) => status_of(&e),
    })
}

/// A failure as one of the statuses.
fn status_of(e: &Error) -> Status {
    let code = e.exit_code();
    let word = match e {
        Error::Credential(_) => "missing",
        Error::Auth { .. } => "rejected",
        Error::Network { .. } | Error::Timeout { .. } => "unreachable",
        _ => "error",
    };
    Status {
        word,
        detail: e.to_string(),
        code,
        http_status: e.http_status(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_worst_code_wins_credential_first() {
        use super::super::worst;
        assert_eq!(worst(&[0, 8, 3]), 3);
        assert_eq!(worst(&[0, 8, 7]), 8);
        assert_eq!(worst(&[0, 7, 6]), 7);
        assert_eq!(worst(&[0, 0]), 0);
        assert_eq!(worst(&[]), 0);
    }
}
