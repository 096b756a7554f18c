//! `keyctl get`: each key's normalized view, one read per key (in order), or its listing entry
//! when the run read the listing to find keys by name.

use super::report::Reporter;
use super::runner::Tally;
use crate::cli::GetArgs;
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::outcome::{KeyResult, Mode, Outcome};
use crate::settings::Global;

/// `keyctl get`: each key's normalized view.
pub async fn run(global: &Global, args: GetArgs, cancel: &Cancel) -> Result<i32> {
    let GetArgs { keys, match_glob } = args;
    let (p, s) = super::session(global, cancel).await?;
    let keys = super::keys::resolve_in(&s, keys, match_glob.as_deref(), "nothing was read").await?;
    for k in &keys {
        p.build_get(&s.base, k)?;
    }
    let mut report = Reporter::new(&global.view, Mode::Get);
    let mut tally = Tally::new(keys.len());
    for key in keys {
        let outcome = if cancel.is_cancelled() {
            Outcome::NotAttempted
        } else {
            match s.read(&key).await {
                Ok(v) => Outcome::Shown(Box::new(v)),
                Err(Error::Interrupted { .. }) => Outcome::NotAttempted,
                Err(e) => Outcome::Failed(e),
            }
        };
        tally.count(&outcome);
        report.push(KeyResult {
            provider: p,
            key,
            outcome,
        });
    }
    report.finish();
    if cancel.signal().is_some() {
        tally.report(p, "read", cancel);
    }
    Ok(tally.code())
}
