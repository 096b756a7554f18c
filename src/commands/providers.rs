//! `keyctl providers`: the built-in and configured providers, their base URL, where their
//! credential comes from and whether it is there (never its value); and the config file's
//! profiles: a second table, a `profiles` column in TSV, a `profiles` list in each JSON line.

use serde_json::json;

use crate::config::{Config, Profile};
use crate::credential::Source;
use crate::error::{Error, Result};
use crate::output::Format;
use crate::output::records::{self, Records};
use crate::settings::Global;

pub fn run(global: &Global) -> Result<i32> {
    if global.view.columns.is_some() {
        return Err(Error::usage(
            "--columns applies to key output, not to `keyctl providers`",
        ));
    }
    let view = global.listing_view();
    let config = &global.config;
    let default = default_profile(config);
    let mut headers = vec![
        "provider",
        "name",
        "api",
        "base_url",
        "credential",
        "present",
        "defined",
    ];
    // TSV is one table: each provider's profiles in a last column (`*`: the default).
    let profile_column = view.format == Format::Tsv && !config.profiles.is_empty();
    if profile_column {
        headers.push("profiles");
    }
    let mut r = Records {
        headers,
        rows: Vec::new(),
        json: Vec::new(),
    };
    for p in crate::provider::configured() {
        let i = p.info();
        let base = crate::settings::base_url(p, None)
            .map_or_else(|e| format!("(invalid: {e})"), |b| b.shown());
        let source = global.source(p, None);
        let present = source.present();
        let defined = if i.custom {
            format!("config {}", global.config.describe())
        } else {
            "built-in".into()
        };
        r.rows.push(vec![
            i.id.into(),
            i.name.into(),
            i.api.as_str().into(),
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
        let mine: Vec<&Profile> = config
            .profiles
            .iter()
            .filter(|pr| pr.provider.kind() == p)
            .collect();
        if profile_column {
            let names: Vec<String> = mine
                .iter()
                .map(|pr| {
                    let star = if default.is_some_and(|(d, _)| d == pr.name) {
                        "*"
                    } else {
                        ""
                    };
                    format!("{}{star}", pr.name)
                })
                .collect();
            if let Some(row) = r.rows.last_mut() {
                row.push(names.join(","));
            }
        }
        let (kind, value) = describe(&source);
        let mut line = json!({
            "provider": i.id,
            "name": i.name,
            "api": i.api.as_str(),
            "base_url": base,
            "credential_source": kind,
            "credential": value,
            "credential_present": present,
            "defined": defined,
        });
        if !config.profiles.is_empty()
            && let Some(o) = line.as_object_mut()
        {
            let list: Vec<serde_json::Value> = mine
                .iter()
                .map(|pr| {
                    let (kind, value) = profile_source(&pr.credential);
                    json!({
                        "name": pr.name,
                        "credential_source": kind,
                        "credential": value,
                        "credential_present": pr.credential.present(),
                        "default": default.is_some_and(|(d, _)| d == pr.name),
                    })
                })
                .collect();
            o.insert("profiles".into(), json!(list));
        }
        r.json.push(line);
    }
    records::print(&view, &r);
    if view.format == Format::Table && !config.profiles.is_empty() && !global.quiet {
        crate::output::print_text(&format!("\nprofiles in {}:", config.describe()));
        records::print(&view, &profiles_table(config, default));
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            crate::output::diag("check the profiles' credentials with `keyctl auth status --all`");
        }
    }
    Ok(0)
}

/// The profile runs use when none is named: KEYCTL_PROFILE's, else the file's
/// `default_profile`; with where that came from.
fn default_profile(config: &Config) -> Option<(&str, &'static str)> {
    let from_env = crate::env::get().profile();
    match from_env {
        Some(v) => config
            .profiles
            .iter()
            .find(|pr| pr.name == v)
            .map(|pr| (pr.name.as_str(), "KEYCTL_PROFILE")),
        None => config
            .default_profile
            .as_deref()
            .map(|d| (d, "default_profile")),
    }
}

/// The profiles as a table of their own: name, provider, credential source, present, default.
fn profiles_table(config: &Config, default: Option<(&str, &str)>) -> Records {
    let mut r = Records {
        headers: vec!["profile", "provider", "credential", "present", "default"],
        rows: Vec::new(),
        json: Vec::new(),
    };
    for pr in &config.profiles {
        let (kind, value) = profile_source(&pr.credential);
        let shown = value.as_str().map_or_else(String::new, str::to_string);
        r.rows.push(vec![
            pr.name.clone(),
            pr.provider.kind().info().id.into(),
            format!("{kind} {shown}"),
            match pr.credential.present() {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => "not run".into(),
            },
            match default {
                Some((d, "KEYCTL_PROFILE")) if d == pr.name => "yes (KEYCTL_PROFILE)".into(),
                Some((d, _)) if d == pr.name => "yes".into(),
                _ => String::new(),
            },
        ]);
    }
    r
}

/// A profile's credential source for the listing: the variable's name or the file's path; for
/// a command only its program's name, since its arguments may carry a token or a vault path
/// that is nobody else's business (`keyctl -v` shows it to the one who runs it).
fn profile_source(s: &Source) -> (&'static str, serde_json::Value) {
    match s {
        Source::Command(argv) => {
            let program = argv
                .first()
                .map(|a| {
                    std::path::Path::new(a)
                        .file_name()
                        .map_or_else(|| a.clone(), |f| f.to_string_lossy().into_owned())
                })
                .unwrap_or_default();
            ("command", json!(program))
        }
        other => describe(other),
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
