//! The account each scope of a key file names, resolved once before any listing is read
//! ([`resolve`]), and scopes that name one account refused: two profiles (or a profile and a
//! `provider =`) with the same provider, base URL, workspace and admin credential would each
//! take the other's keys for unmanaged (`apply --prune` revoking declared keys) and create a
//! name declared in both twice. `plan` and `apply` both resolve their scopes here.

use crate::error::{Error, Result, Sent};
use crate::http::Cancel;
use crate::keyfile::{KeyFile, Scope};
use crate::provider::ProviderKind;
use crate::settings::{Global, Target};
use crate::text::sanitize;

/// One scope of the file with the account it names (its target: base URL, workspace and
/// credential as the settings resolve them), or why that could not be resolved (the scope
/// then fails with it when it is read; the others are planned).
pub struct Resolved {
    pub scope: Scope,
    pub p: ProviderKind,
    pub target: Result<Target>,
}

/// Every scope's account, each resolved once (a credential command runs once), in the order
/// the file names them; two scopes naming one account are exit 2 ([`refuse_shared`]), before
/// anything is read or sent. A signal stops it (exit 128 + n, nothing sent).
pub async fn resolve(global: &Global, file: &KeyFile, cancel: &Cancel) -> Result<Vec<Resolved>> {
    let mut out = Vec::new();
    for (scope, p) in file.scopes() {
        if cancel.is_cancelled() {
            return Err(Error::Interrupted {
                sent: Sent::Nothing,
            });
        }
        let profile = scope.profile().and_then(|n| global.config.profile(n));
        let target = global.target_for(p, profile, cancel).await;
        if cancel.is_cancelled() {
            return Err(Error::Interrupted {
                sent: Sent::Nothing,
            });
        }
        out.push(Resolved { scope, p, target });
    }
    refuse_shared(file, &out)?;
    Ok(out)
}

/// Exit 2 when two scopes name one account: the same provider, base URL and workspace, and
/// the same admin credential (compared by value, never shown). A scope whose account could
/// not be resolved, or whose credential is missing or unreadable, is compared with none (it
/// fails when it is read, and nothing is sent for it).
pub fn refuse_shared(file: &KeyFile, scopes: &[Resolved]) -> Result<()> {
    let mut clashes = Vec::new();
    for (i, a) in scopes.iter().enumerate() {
        for b in &scopes[i + 1..] {
            if same_account(a, b) {
                clashes.push(format!(
                    "{} and {} are one {} account (the same base URL, workspace and admin \
                     credential)",
                    at(file, &a.scope),
                    at(file, &b.scope),
                    a.p.info().name
                ));
            }
        }
    }
    if clashes.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{}: each would take the other's keys for unmanaged (apply --prune would revoke \
         them) and create a name declared in both twice; declare that account's keys under \
         one profile (or provider) only; nothing was read or sent",
        clashes.join("; ")
    )))
}

fn same_account(a: &Resolved, b: &Resolved) -> bool {
    let (Ok(ta), Ok(tb)) = (&a.target, &b.target) else {
        return false;
    };
    let (Ok(Some(ca)), Ok(Some(cb))) = (&ta.credential, &tb.credential) else {
        return false;
    };
    a.p == b.p && ta.base == tb.base && ca.expose() == cb.expose()
}

/// `FILE:LINE: profile NAME`: the scope as the file first names it (its first key's line).
fn at(file: &KeyFile, scope: &Scope) -> String {
    let path = sanitize(&file.path.display().to_string());
    let what = match scope {
        Scope::Profile(n) => format!("profile = \"{}\"", sanitize(n)),
        Scope::Provider(id) => format!("provider = \"{}\"", sanitize(id)),
    };
    match file.in_scope(scope).next() {
        Some(k) => format!("{path}:{}: {what}", k.line),
        None => format!("{path}: {what}"),
    }
}
