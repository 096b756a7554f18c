//! Unit tests of the plan: drift found per field, update vs replace, create, unmanaged, a
//! name two keys share, a lost create's key to adopt (and a journal name two keys answer to),
//! and the exit code.

use std::path::Path;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;

use super::{Action, CHANGES, ScopePlan, Summary, diff, diff_journalled, exit_code};
use crate::config::Config;
use crate::error::Error;
use crate::key::{Key, Known};
use crate::keyfile::{KeyFile, Scope, parse};
use crate::patch::{Change, Reset};
use crate::provider::ProviderKind;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 8, 0, 0, 0).unwrap()
}

fn file(text: &str) -> KeyFile {
    parse(text, Path::new("k.toml"), &Config::default(), now()).unwrap()
}

/// A ModelGates key as its listing reads: 50 a day, no expiry, enabled.
fn gates(name: &str, id: &str) -> Key {
    Key {
        provider: "modelgates",
        id: id.into(),
        name: Known::Value(name.into()),
        disabled: Known::Value(false),
        limit: Known::Value(Decimal::new(50, 0)),
        reset: Known::Value(Reset::Daily),
        expires: Known::Null,
        include_byok_in_limit: Known::Value(false),
        ..Key::default()
    }
}

fn plan(text: &str, p: ProviderKind, current: &[Key]) -> crate::error::Result<Vec<super::KeyPlan>> {
    let f = file(text);
    let scope = Scope::Provider(p.info().id.into());
    let declared: Vec<_> = f.in_scope(&scope).collect();
    diff(&scope, p, &declared, current, &[], now())
}

const MG: &str = "[[key]]\nprovider = \"modelgates\"\nname = \"ci\"\n";

#[test]
fn a_key_as_declared_is_unchanged_amounts_compared_by_value() {
    let text = format!("{MG}limit = 50.00\nreset = \"daily\"\nexpires = \"never\"\n");
    let out = plan(&text, ProviderKind::ModelGates, &[gates("ci", "h1")]).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].action, Action::Unchanged { id: "h1".into() });
    assert!(out[0].drift.is_empty());
}

#[test]
fn a_field_changed_in_place_is_an_update_of_that_field_alone() {
    let text = format!("{MG}limit = 75\nreset = \"daily\"\n");
    let out = plan(&text, ProviderKind::ModelGates, &[gates("ci", "h1")]).unwrap();
    let Action::Update { id, patch } = &out[0].action else {
        panic!("{:?}", out[0].action)
    };
    assert_eq!(id, "h1");
    assert!(matches!(&patch.limit, Change::Set(a) if a.to_string() == "75"));
    assert_eq!(patch.touched(), vec!["limit"]);
    assert_eq!(out[0].drift.len(), 1);
    assert_eq!(out[0].drift[0].field, "limit");
    assert_eq!(out[0].drift[0].from, Some(serde_json::json!(50)));
    assert_eq!(out[0].drift[0].to, serde_json::json!(75));
}

#[test]
fn an_expiry_the_openrouter_style_providers_cannot_change_is_a_replace() {
    let text = format!("{MG}expires = \"2027-06-01T00:00:00Z\"\nlimit = 80\n");
    let out = plan(&text, ProviderKind::ModelGates, &[gates("ci", "h1")]).unwrap();
    let Action::Replace {
        id, fields, new, ..
    } = &out[0].action
    else {
        panic!("{:?}", out[0].action)
    };
    assert_eq!(id, "h1");
    assert_eq!(fields, &vec!["expires"]);
    assert_eq!(new.name, "ci");
    assert!(matches!(&new.settings.limit, Change::Set(a) if a.to_string() == "80"));
    assert_eq!(
        out[0].drift.iter().map(|d| d.field).collect::<Vec<_>>(),
        vec!["limit", "expires"]
    );
}

#[test]
fn a_missing_key_is_a_create_and_an_undeclared_one_unmanaged() {
    let text = format!("{MG}limit = 5\ndisabled = true\n");
    let out = plan(&text, ProviderKind::ModelGates, &[gates("other", "h2")]).unwrap();
    let Action::Create { new, then, sink } = &out[0].action else {
        panic!("{:?}", out[0].action)
    };
    assert_eq!(new.name, "ci");
    assert_eq!(new.settings.disabled, None);
    assert_eq!(then.disabled, Some(true));
    assert_eq!(sink, &None);
    assert_eq!(out[1].action, Action::Unmanaged { id: "h2".into() });
    assert_eq!(out[1].name.as_deref(), Some("other"));
}

#[test]
fn a_declared_name_two_keys_share_is_refused_for_the_scope() {
    let e = plan(
        MG,
        ProviderKind::ModelGates,
        &[gates("ci", "h1"), gates("ci", "h2")],
    )
    .unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string()
            .contains("more than one key named 'ci' (h1, h2)"),
        "{e}"
    );
    // A name two unmanaged keys share is nobody's business.
    plan(
        MG,
        ProviderKind::ModelGates,
        &[gates("x", "h1"), gates("x", "h2")],
    )
    .unwrap();
}

#[test]
fn models_are_compared_as_a_set_and_a_duration_holds_for_a_key_that_expires() {
    let key = Key {
        provider: "ionet",
        id: "u1".into(),
        name: Known::Value("bot".into()),
        models: Known::Value(vec!["b".into(), "a".into()]),
        expires: Known::Value("2027-01-01T00:00:00Z".into()),
        ..Key::default()
    };
    let text = "[[key]]\nprovider = \"ionet\"\nname = \"bot\"\nmodels = [\"a\", \"b\"]\nexpires = \"30d\"\n";
    let out = plan(text, ProviderKind::Ionet, std::slice::from_ref(&key)).unwrap();
    assert_eq!(out[0].action, Action::Unchanged { id: "u1".into() });
    // io.net changes its expiry in place.
    let text = "[[key]]\nprovider = \"ionet\"\nname = \"bot\"\nexpires = \"never\"\n";
    let out = plan(text, ProviderKind::Ionet, &[key]).unwrap();
    assert!(
        matches!(&out[0].action, Action::Update { patch, .. } if patch.expires == Change::Clear)
    );
}

#[test]
fn the_exit_code_is_a_failure_then_changes_then_zero() {
    let scope = Scope::Provider("modelgates".into());
    let p = ProviderKind::ModelGates;
    let ok = |keys| ScopePlan {
        scope: scope.clone(),
        provider: p,
        keys: Ok(keys),
        journal: Vec::new(),
    };
    let same = plan(&format!("{MG}limit = 50\n"), p, &[gates("ci", "h1")]).unwrap();
    let more = plan(&format!("{MG}limit = 51\n"), p, &[gates("ci", "h1")]).unwrap();
    assert_eq!(exit_code(&[ok(same.clone())]), 0);
    assert_eq!(exit_code(&[ok(same.clone()), ok(more.clone())]), CHANGES);
    let failed = ScopePlan {
        scope: scope.clone(),
        provider: p,
        keys: Err(Error::Credential("no credential".into())),
        journal: Vec::new(),
    };
    assert_eq!(exit_code(&[ok(more), failed]), 3);
}

/// A pending journal entry of a create of `name` by run `run`.
fn entry(name: &str, run: &str) -> crate::journal::Entry {
    crate::journal::Entry {
        entry: format!("e-{name}"),
        time: "2026-12-08T00:00:00.000Z".into(),
        run: run.into(),
        command: "create".into(),
        account: crate::journal::Account {
            profile: None,
            provider: "modelgates".into(),
            base: "https://modelgates.example".into(),
        },
        name: crate::journal::stored_name(name),
        others: Vec::new(),
        process: None,
        secret_files: Vec::new(),
    }
}

fn journalled(text: &str, current: &[Key], pending: &[crate::journal::Entry]) -> ScopePlan {
    let f = file(text);
    let p = ProviderKind::ModelGates;
    let scope = Scope::Provider("modelgates".into());
    let declared: Vec<_> = f.in_scope(&scope).collect();
    let found = crate::journal::reconcile(pending, current);
    let keys = diff_journalled(&scope, p, &declared, current, &found, now());
    ScopePlan {
        scope,
        provider: p,
        keys,
        journal: found,
    }
}

#[test]
fn a_key_a_lost_create_made_is_adopted_never_created_again() {
    let text = format!("{MG}limit = 50\n");
    let sp = journalled(&text, &[gates("ci", "h1")], &[entry("ci", "run-1")]);
    let keys = sp.keys.as_ref().unwrap();
    assert_eq!(keys[0].action, Action::Unchanged { id: "h1".into() });
    assert_eq!(keys[0].word(), "adopt");
    assert_eq!(
        keys[0].adopt.as_ref().map(|a| a.run.as_str()),
        Some("run-1")
    );
    let s = Summary::of(std::slice::from_ref(&sp));
    assert_eq!((s.adopt, s.unchanged, s.create), (1, 0, 0));
    assert_eq!(exit_code(&[sp]), CHANGES);
    // Drift besides: an update of the adopted key.
    let text = format!("{MG}limit = 60\n");
    let sp = journalled(&text, &[gates("ci", "h1")], &[entry("ci", "run-1")]);
    let keys = sp.keys.unwrap();
    assert_eq!(keys[0].word(), "update");
    assert!(keys[0].adopt.is_some());
    // The create was not made: a create, nothing to adopt.
    let sp = journalled(MG, &[], &[entry("ci", "run-1")]);
    let keys = sp.keys.unwrap();
    assert_eq!(keys[0].word(), "create");
    assert!(keys[0].adopt.is_none());
    assert_eq!(sp.journal.len(), 1);
}

#[test]
fn a_journal_name_two_keys_answer_to_is_exit_2_for_that_key_alone() {
    let text = format!("{MG}\n[[key]]\nprovider = \"modelgates\"\nname = \"other\"\nlimit = 50\n");
    let current = [gates("ci", "h1"), gates("ci", "h2"), gates("other", "h3")];
    let sp = journalled(&text, &current, &[entry("ci", "run-1")]);
    let keys = sp.keys.as_ref().unwrap();
    let Action::Invalid { id, error } = &keys[0].action else {
        panic!("{:?}", keys[0].action)
    };
    assert_eq!(id, &None);
    assert_eq!(error.exit_code(), 2);
    let m = error.to_string();
    assert!(m.contains("2 keys have it now (h1, h2)"), "{m}");
    assert!(m.contains("does not guess"), "{m}");
    assert_eq!(keys[1].action, Action::Unchanged { id: "h3".into() });
    assert_eq!(
        keys.len(),
        2,
        "the keys named ci are the declared key's, not unmanaged"
    );
    assert_eq!(exit_code(&[sp]), 2);
}
