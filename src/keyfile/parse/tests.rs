//! Unit tests of the key file parse: fields, defaults, refusals with their line.

use std::path::Path;

use chrono::{TimeZone, Utc};

use super::parse;
use crate::config::Config;
use crate::keyfile::{KeyFile, Scope, Sink};
use crate::patch::{ExpirySpec, Reset};
use crate::provider::ProviderKind;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 8, 0, 0, 0).unwrap()
}

fn read(text: &str) -> crate::error::Result<KeyFile> {
    parse(text, Path::new("/srv/keys.toml"), &Config::default(), now())
}

fn refusal(text: &str) -> String {
    let e = read(text).unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    e.to_string()
}

#[test]
fn fields_are_typed_and_defaults_fill_what_a_key_leaves_out() {
    let f = read(
        r#"
[defaults]
reset = "monthly"
include_byok_in_limit = true   # not a Venice setting: left out for Venice keys
privacy = "private-only"       # not a ModelGates setting: left out for its keys

[defaults.venice]
limit_diem = 10

[[key]]
provider = "modelgates"
name = "ci-a"
limit = 12.50
expires = "2027-01-01T00:00:00Z"

[[key]]
provider = "Venice"
name = "bot"
limit = "none"
reset = "daily"
type = "admin"
secret_file = "secrets/bot.key"
"#,
    )
    .unwrap();
    assert_eq!(f.keys.len(), 2);
    let a = &f.keys[0];
    assert_eq!(a.scope, Scope::Provider("modelgates".into()));
    assert_eq!(a.provider, ProviderKind::ModelGates);
    assert_eq!(a.line, 10);
    let limit = a.settings.limit.as_ref().unwrap();
    assert_eq!(limit.value.as_ref().unwrap().to_string(), "12.50");
    assert_eq!(limit.line, 13);
    assert_eq!(a.settings.reset.as_ref().unwrap().value, Reset::Monthly);
    assert!(a.settings.include_byok_in_limit.as_ref().unwrap().value);
    assert!(a.settings.privacy.is_none());
    assert!(matches!(
        a.settings.expires.as_ref().unwrap().value,
        ExpirySpec::At(_)
    ));
    let v = &f.keys[1];
    assert_eq!(v.provider, ProviderKind::Venice);
    assert_eq!(v.settings.limit.as_ref().unwrap().value, None);
    assert_eq!(v.settings.reset.as_ref().unwrap().value, Reset::Daily);
    assert!(v.settings.include_byok_in_limit.is_none());
    assert_eq!(
        v.settings.privacy.as_ref().unwrap().value.as_str(),
        "private-only"
    );
    assert_eq!(
        v.settings
            .limit_diem
            .as_ref()
            .unwrap()
            .value
            .as_ref()
            .unwrap()
            .to_string(),
        "10"
    );
    assert_eq!(v.sink, Some(Sink::File("/srv/secrets/bot.key".into())));
}

#[test]
fn an_unknown_field_is_refused_at_its_line() {
    let e = refusal("[[key]]\nprovider = \"venice\"\nname = \"a\"\ncolour = \"red\"\n");
    assert!(
        e.starts_with("/srv/keys.toml:4: colour: unknown field"),
        "{e}"
    );
    let e = refusal("[keys]\n");
    assert!(e.starts_with("/srv/keys.toml:1: keys: unknown key"), "{e}");
}

#[test]
fn a_field_the_provider_cannot_hold_is_refused_at_its_line() {
    let e = refusal("[[key]]\nprovider = \"modelgates\"\nname = \"a\"\nreset = \"8h\"\n");
    assert!(
        e.starts_with("/srv/keys.toml:4: reset: ModelGates cannot hold it"),
        "{e}"
    );
    let e = refusal("[[key]]\nprovider = \"ionet\"\nname = \"a\"\n\ndisabled = true\n");
    assert!(
        e.starts_with("/srv/keys.toml:5: disabled: io.net cannot hold it"),
        "{e}"
    );
    // [defaults.SCOPE] is that scope's: checked too, at the default's line.
    let e = refusal(
        "[defaults.venice]\nmodels = [\"a\"]\n\n[[key]]\nprovider = \"venice\"\nname = \"a\"\n",
    );
    assert!(
        e.starts_with("/srv/keys.toml:2: models: Venice cannot hold it"),
        "{e}"
    );
}

#[test]
fn a_name_declared_twice_in_a_scope_is_refused() {
    let e = refusal(
        "[[key]]\nprovider = \"venice\"\nname = \"a\"\n\n[[key]]\nprovider = \"venice\"\nname = \"a\"\n",
    );
    assert!(
        e.starts_with("/srv/keys.toml:5: name: 'a' is declared twice"),
        "{e}"
    );
    assert!(e.contains("first at line 1"), "{e}");
    // The same name in two scopes is two keys.
    read("[[key]]\nprovider = \"venice\"\nname = \"a\"\n\n[[key]]\nprovider = \"ionet\"\nname = \"a\"\n")
        .unwrap();
}

#[test]
fn scopes_names_and_sinks_are_checked() {
    let e = refusal("[[key]]\nname = \"a\"\n");
    assert!(e.contains(":1: [[key]]: say where the key lives"), "{e}");
    let e = refusal("[[key]]\nprofile = \"prod\"\nname = \"a\"\n");
    assert!(e.contains(":2: profile: no profile 'prod'"), "{e}");
    let e = refusal("[[key]]\nprovider = \"venice\"\n");
    assert!(e.contains(":1: [[key]]: missing name"), "{e}");
    let e = refusal(
        "[[key]]\nprovider = \"venice\"\nname = \"a\"\nsecret_file = \"a\"\nsecret_command = [\"cat\"]\n",
    );
    assert!(
        e.contains(":5: secret_command: give secret_file or secret_command"),
        "{e}"
    );
    let e = refusal("[defaults]\nsecret_file = \"x\"\n");
    assert!(e.contains(":2: secret_file: names one key's file"), "{e}");
    let e = refusal("[defaults.nowhere]\nlimit = 5\n");
    assert!(e.contains(":1: defaults.nowhere: no [[key]]"), "{e}");
    let e = refusal("[[key]]\nprovider = \"venice\"\nname = \"a\"\nlimit = -5\n");
    assert!(e.contains(":4: limit: '-5' is negative"), "{e}");
    let f = read(
        "[[key]]\nprovider = \"venice\"\nname = \"a\"\nsecret_command = [\"gh\", \"secret\", \"set\", \"K\"]\n",
    )
    .unwrap();
    assert_eq!(
        f.keys[0].sink,
        Some(Sink::Command(vec![
            "gh".into(),
            "secret".into(),
            "set".into(),
            "K".into()
        ]))
    );
}

#[test]
fn a_syntax_error_names_its_line_without_long_quoted_values() {
    let e =
        refusal("[[key]]\nprovider = \"venice\"\nname = \"sk-or-v1-0123456789abcdef0123456789\n");
    assert!(e.starts_with("/srv/keys.toml:3:"), "{e}");
    assert!(!e.contains("0123456789abcdef"), "{e}");
}

#[test]
fn a_relative_secret_command_program_is_the_key_files_folders() {
    let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let at = |dir: &str, v: &[&str]| super::program_in(std::path::Path::new(dir), argv(v));
    assert_eq!(at("", &["./s.sh"]), argv(&["./s.sh"]));
    assert_eq!(at("/etc/k", &["./s.sh", "x"]), argv(&["/etc/k/s.sh", "x"]));
    assert_eq!(at("conf", &["bin/s"]), argv(&["conf/bin/s"]));
    assert_eq!(at("/etc/k", &["gh", "secret"]), argv(&["gh", "secret"]));
    assert_eq!(at("/etc/k", &["/usr/bin/s"]), argv(&["/usr/bin/s"]));
}

#[test]
fn every_error_in_the_file_is_reported_in_its_order() {
    let e = refusal(
        "[[key]]\nprovider = \"modelgates\"\nname = \"a\"\nmodels = [\"m\"]\nlimt = 5\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"b\"\nreset = \"hourly\"\n",
    );
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 4, "{e}");
    assert!(
        lines[0].contains(":4: models: ModelGates cannot hold it"),
        "{e}"
    );
    assert!(
        lines[0].contains("its keys' fields are limit, reset"),
        "{e}"
    );
    assert!(!lines[0].contains("--"), "{e}");
    assert!(
        lines[1].starts_with("error: ") && lines[1].contains(":5: limt:"),
        "{e}"
    );
    assert!(lines[2].contains(":10: reset:"), "{e}");
    assert!(
        lines[3].ends_with("3 errors in /srv/keys.toml; nothing was read or sent"),
        "{e}"
    );
}
