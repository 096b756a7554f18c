//! `keyctl providers`: the built-in and configured providers, their base URL, where their
//! credential comes from and whether it is there (never its value).

use serde_json::json;

use crate::config::Source;
use crate::error::{Error, Result};
use crate::output::records::{self, Records};
use crate::settings::Global;

pub fn run(global: &Global) -> Result<i32> {
    if global.view.columns.is_some() {
        return Err(Error::usage(
            "--columns applies to key output, not to `keyctl providers`",
        ));
    }
    let mut r = Records {
        headers: vec![
            "provider",
            "name",
            "api",
            "base_url",
            "credential",
            "present",
            "defined",
        ],
        rows: Vec::new(),
        json: Vec::new(),
    };
    for p in crate::provider::configured() {
        let i = p.info();
        let base = crate::settings::base_url(p, None)
            .map_or_else(|e| format!("(invalid: {e})"), |b| b.shown());
        let source = global.source(p, None);
        let present = present(&source);
        let defined = if i.custom {
            format!("config {}", global.config.describe())
        } else {
            "built-in".into()
        };
        r.rows.push(vec![
            i.id.into(),
            i.name.into(),
            i.api.into(),
            base.clone(),
            source.to_string(),
            match present {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => "not run".into(),
            },
            if i.custom {
                "config".into()
            } else {
                "built-in".into()
            },
        ]);
        let (kind, value) = describe(&source);
        r.json.push(json!({
            "provider": i.id,
            "name": i.name,
            "api": i.api,
            "base_url": base,
            "credential_source": kind,
            "credential": value,
            "credential_present": present,
            "defined": defined,
        }));
    }
    records::print(&global.listing_view(), &r);
    // For a person: where the profiles are (a script reads the config file itself).
    let profiles = &global.config.profiles;
    if !profiles.is_empty() && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let list: Vec<String> = profiles
            .iter()
            .map(|p| format!("{} ({})", p.name, p.provider.kind().info().id))
            .collect();
        crate::output::diag(&format!(
            "profiles in {}: {}; check them with `keyctl auth status --all`",
            global.config.describe(),
            list.join(", ")
        ));
    }
    Ok(0)
}

/// Whether the credential is there, without reading it: a variable set to something, a file
/// that exists and is not empty; a command is not run (it may ask for a fingerprint).
pub fn present(s: &Source) -> Option<bool> {
    match s {
        Source::Env(v) => {
            Some(std::env::var_os(v).is_some_and(|x| !x.to_string_lossy().trim().is_empty()))
        }
        Source::File(p) if p.as_os_str() == "-" => None,
        Source::File(p) => Some(std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0)),
        Source::Command(_) => None,
    }
}

/// A source as JSON: its kind and the variable, path or argv.
pub fn describe(s: &Source) -> (&'static str, serde_json::Value) {
    match s {
        Source::Env(v) => ("env", json!(v)),
        Source::File(p) => ("file", json!(p.display().to_string())),
        Source::Command(argv) => ("command", json!(argv)),
    }
}
