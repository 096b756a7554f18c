//! `keyctl list`: every key of the account (every page).

use crate::cli::ListArgs;
use crate::error::Result;
use crate::http::Cancel;
use crate::output::{KeyResult, Mode, Outcome, Printer};
use crate::settings::Global;

/// `keyctl list`: every key of the account.
pub async fn run(global: &Global, args: ListArgs, cancel: &Cancel) -> Result<i32> {
    let ListArgs { include_disabled } = args;
    let (p, s) = super::session(global, cancel).await?;
    let keys = s.list(include_disabled).await?;
    let mut printer = Printer::new(&global.view, Mode::List);
    for v in keys {
        printer.push(KeyResult {
            provider: p,
            key: v.id.clone(),
            outcome: Outcome::Shown(Box::new(v)),
        });
    }
    printer.finish();
    Ok(0)
}
