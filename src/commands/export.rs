//! `keyctl export [-P NAME | --all] [--match GLOB] [-o toml|json]`: the keys of one account or
//! of every profile as a key file (`keyfile::write_toml`), so that export then plan is "no
//! changes". A key without a name, one whose name another key shares, or one whose name holds
//! a piece of the admin credential (it would be written masked) cannot be declared: it is left
//! out with a warning.

use std::collections::HashMap;

use crate::cli::{ExportArgs, OutputArg};
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::key::Known;
use crate::keyfile::{ExportKey, Scope, Settings};
use crate::output;
use crate::settings::Global;
use crate::text::sanitize;

pub async fn run(
    global: &Global,
    args: ExportArgs,
    format: Option<OutputArg>,
    cancel: &Cancel,
) -> Result<i32> {
    super::no_columns(global, "keyctl export")?;
    let json = match format {
        None | Some(OutputArg::Toml) => false,
        Some(OutputArg::Json) => true,
        Some(_) => {
            return Err(Error::usage(
                "keyctl export prints a key file: -o toml (the default) or -o json",
            ));
        }
    };
    let matcher = args
        .match_glob
        .as_deref()
        .map(super::keys::name_glob)
        .transpose()?;
    if !args.all && global.profile().is_none() && global.provider_name().is_none() {
        let names: Vec<&str> = global
            .config
            .profiles
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let profiles = if names.is_empty() {
            String::new()
        } else {
            format!(" ({})", sanitize(&names.join(", ")))
        };
        return Err(Error::usage(format!(
            "keyctl export reads one account or every profile: give -P NAME (a profile of the \
             config file{profiles}), --all (every profile), or -p ID (a provider, with its \
             credential variable)"
        )));
    }
    let now = chrono::Utc::now();
    let mut out: Vec<ExportKey> = Vec::new();
    let mut codes = Vec::new();
    for profile in super::scopes(global, args.all)? {
        let (scope, p) = match profile {
            Some(pr) => (Scope::Profile(pr.name.clone()), pr.provider.kind()),
            None => {
                let p = global.provider()?;
                (Scope::Provider(p.info().id.to_string()), p)
            }
        };
        let keys = match super::plan::read_scope(global, &scope, p, cancel).await {
            Ok(k) => k,
            Err(e @ Error::Interrupted { .. }) => return Err(e),
            Err(e) => {
                output::error(&format!("{}: {e}", scope.describe()));
                codes.push(e.exit_code());
                continue;
            }
        };
        let mut count: HashMap<&str, usize> = HashMap::new();
        for k in &keys {
            if let Known::Value(n) = &k.name {
                *count.entry(n.as_str()).or_default() += 1;
            }
        }
        let holds = crate::keyfile::Holds::new(p, now);
        let mut unnamed = 0usize;
        for k in &keys {
            let Known::Value(name) = &k.name else {
                unnamed += 1;
                continue;
            };
            if matcher.as_ref().is_some_and(|m| !m.is_match(name)) {
                continue;
            }
            if crate::mask::mask(name) != name.as_str() {
                // Written masked, the name would match no key: a plan would create a key
                // under the masked name and `apply --prune` would revoke this one.
                output::warn(&format!(
                    "{}: key {} left out: its name holds a piece of the admin credential, \
                     which keyctl never writes out (rename it: keyctl update {} ID --name NEW)",
                    scope.describe(),
                    sanitize(&k.id),
                    scope.selector(p),
                ));
                continue;
            }
            if count.get(name.as_str()).copied().unwrap_or(0) > 1 {
                output::warn(&format!(
                    "{}: key {} left out: {} keys are named '{}' (a name is a key's identity \
                     in a key file; rename all but one)",
                    scope.describe(),
                    sanitize(&k.id),
                    count.get(name.as_str()).copied().unwrap_or(0),
                    sanitize(name)
                ));
                continue;
            }
            out.push(ExportKey {
                scope: scope.clone(),
                provider: p,
                name: name.clone(),
                settings: Settings::of_key_with(&holds, k),
            });
        }
        if unnamed > 0 && matcher.is_none() {
            output::warn(&format!(
                "{}: {unnamed} key{} without a name left out (a key file names each key)",
                scope.describe(),
                if unnamed == 1 { "" } else { "s" }
            ));
        }
    }
    if json {
        output::print_text(&output::records::json_text(&crate::keyfile::write_json(
            &out,
        )));
    } else {
        output::print_text(&crate::keyfile::write_toml(&out));
    }
    Ok(super::worst(&codes))
}
