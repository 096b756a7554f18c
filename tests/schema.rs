//! Every body each adapter can build validates against its provider's request schema in
//! `fixtures/schemas/`, and the seeds' own examples are what keyctl builds from the same flags.

use chrono::{TimeZone, Utc};
use keyctl::patch::{Amount, Change, Patch, Privacy, Reset};
use keyctl::provider::{BaseUrl, ProviderKind, all};
use serde_json::Value;

fn load(path: &str) -> Value {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn sample_key(p: ProviderKind) -> &'static str {
    p.info().sample_key
}

/// The request schema of the provider's API family (from the provider table).
fn schema_file(p: ProviderKind) -> String {
    format!("schemas/{}_update.schema.json", p.info().api)
}

fn schema_for(p: ProviderKind) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&load(&schema_file(p)))
        .expect("schema compiles")
}

fn amount(s: &str) -> Amount {
    s.parse().unwrap()
}

/// Every value each field of the normalized patch can take (one representative per form).
fn all_patches() -> Vec<Patch> {
    let at = Utc.with_ymd_and_hms(2030, 6, 1, 12, 30, 0).unwrap();
    let limits = [
        Change::Keep,
        Change::Set(amount("0")),
        Change::Set(amount("12.5")),
        Change::Clear,
    ];
    let resets = [
        None,
        Some(Reset::EightHours),
        Some(Reset::Daily),
        Some(Reset::Weekly),
        Some(Reset::Monthly),
        Some(Reset::Never),
    ];
    let expiries = [Change::Keep, Change::Set(at), Change::Clear];
    let models = [
        Change::Keep,
        Change::Set(vec!["llama-3".to_string(), "qwen".to_string()]),
        Change::Clear,
    ];
    let names = [None, Some("ci key".to_string())];
    let bools = [None, Some(true), Some(false)];
    let amounts = [Change::Keep, Change::Set(amount("7")), Change::Clear];
    // Privacy joins some of the others (a full product would quadruple the run).
    let privacies = [
        Some(Privacy::All),
        Some(Privacy::PrivateText),
        Some(Privacy::PrivateOnly),
    ];
    let mut out = Vec::new();
    for limit in &limits {
        for reset in &resets {
            for expires in &expiries {
                for m in &models {
                    for name in &names {
                        for disabled in &bools {
                            for byok in &bools {
                                for diem in &amounts {
                                    for vcu in &amounts {
                                        let patch = Patch {
                                            limit: limit.clone(),
                                            reset: *reset,
                                            expires: expires.clone(),
                                            models: m.clone(),
                                            name: name.clone(),
                                            disabled: *disabled,
                                            include_byok_in_limit: *byok,
                                            limit_diem: diem.clone(),
                                            limit_vcu: vcu.clone(),
                                            privacy: None,
                                        };
                                        // Every 8th form again with a privacy (Venice only).
                                        if out.len() % 8 == 0 {
                                            out.push(Patch {
                                                privacy: privacies[out.len() / 8 % 3],
                                                ..patch.clone()
                                            });
                                        }
                                        out.push(patch);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_buildable_body_validates_against_its_schema() {
    let patches = all_patches();
    for &p in all() {
        let schema = schema_for(p);
        let props = schema_props(p);
        let base = BaseUrl::parse(p.info().base_url).unwrap();
        let mut built = 0;
        let mut with_privacy = 0;
        for patch in patches.iter().filter(|x| !x.is_empty()) {
            let Ok(req) = p.build_update(&base, sample_key(p), patch) else {
                continue;
            };
            built += 1;
            let body = req.body.expect("update has a body");
            with_privacy += usize::from(body.get("modelPrivacy").is_some());
            let errors: Vec<String> = schema.iter_errors(&body).map(|e| e.to_string()).collect();
            assert!(
                errors.is_empty(),
                "{p}: {body} fails its schema: {errors:?}"
            );
            for k in body.as_object().unwrap().keys() {
                assert!(props.contains(k), "{p}: field {k} is not in the schema");
            }
        }
        assert!(built > 100, "{p}: only {built} bodies built");
        // --privacy is Venice's alone, and its bodies are among those validated.
        assert_eq!(with_privacy > 0, p == ProviderKind::Venice, "{p}");
    }
}

fn schema_props(p: ProviderKind) -> Vec<String> {
    load(&schema_file(p))["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn schemas_reject_what_providers_reject() {
    let s = schema_for(ProviderKind::Venice);
    assert!(!s.is_valid(&serde_json::json!({"id": "k", "consumptionLimits": {"usd": 1}})));
    assert!(!s.is_valid(&serde_json::json!({"consumptionLimit": {"usd": 1}})));
    let s = schema_for(ProviderKind::Ionet);
    assert!(!s.is_valid(&serde_json::json!({"credit_limit": -1})));
    assert!(!s.is_valid(&serde_json::json!({"credit_refresh_cycle": "yearly"})));
    let s = schema_for(ProviderKind::ModelGates);
    assert!(!s.is_valid(&serde_json::json!({"limit_reset": "8h"})));
}

#[test]
fn seed_request_examples_validate() {
    for (p, file) in [
        (ProviderKind::Ionet, "ionet/update_request.json"),
        (ProviderKind::Ionet, "ionet/clear_models_request.json"),
        (ProviderKind::ModelGates, "modelgates/update_request.json"),
        (ProviderKind::Novapai, "novapai/update_request.json"),
        (ProviderKind::OpenRouter, "openrouter/update_request.json"),
        (ProviderKind::Venice, "venice/update_request.json"),
    ] {
        let body = load(file);
        assert!(schema_for(p).is_valid(&body), "{file}");
    }
}

fn build(p: ProviderKind, key: &str, patch: &Patch) -> Value {
    let base = BaseUrl::parse(p.info().base_url).unwrap();
    p.build_update(&base, key, patch).unwrap().body.unwrap()
}

#[test]
fn keyctl_builds_the_seed_examples() {
    // io.net: `--limit 50` is the seed's {"credit_limit": 50.0} (same number).
    let b = build(
        ProviderKind::Ionet,
        sample_key(ProviderKind::Ionet),
        &Patch {
            limit: Change::Set(amount("50")),
            ..Default::default()
        },
    );
    assert_eq!(
        b["credit_limit"].as_f64(),
        load("ionet/update_request.json")["credit_limit"].as_f64()
    );
    let b = build(
        ProviderKind::Ionet,
        sample_key(ProviderKind::Ionet),
        &Patch {
            models: Change::Clear,
            ..Default::default()
        },
    );
    assert_eq!(b, load("ionet/clear_models_request.json"));

    // ModelGates / novapai: --name ... --enable --limit 75 --reset daily --include-byok-in-limit true
    let gates = Patch {
        name: Some("Updated API Key Name".into()),
        disabled: Some(false),
        limit: Change::Set(amount("75")),
        reset: Some(Reset::Daily),
        include_byok_in_limit: Some(true),
        ..Default::default()
    };
    for (p, file) in [
        (ProviderKind::ModelGates, "modelgates/update_request.json"),
        (ProviderKind::Novapai, "novapai/update_request.json"),
        (ProviderKind::OpenRouter, "openrouter/update_request.json"),
    ] {
        assert_eq!(build(p, sample_key(p), &gates), load(file), "{p}");
    }

    // Venice: the seed's body, with its (past) expiry swapped for the one we set.
    let at = Utc.with_ymd_and_hms(2030, 10, 1, 12, 0, 0).unwrap();
    let v = Patch {
        limit: Change::Set(amount("50")),
        limit_diem: Change::Set(amount("10")),
        limit_vcu: Change::Set(amount("30")),
        reset: Some(Reset::Monthly),
        name: Some("Updated API Key Name".into()),
        expires: Change::Set(at),
        ..Default::default()
    };
    let mut want = load("venice/update_request.json");
    want["expiresAt"] = Value::String("2030-10-01T12:00:00Z".into());
    assert_eq!(
        build(ProviderKind::Venice, sample_key(ProviderKind::Venice), &v),
        want
    );
}

#[test]
fn seed_responses_parse() {
    let p = ProviderKind::Novapai;
    let body = serde_json::to_vec(&load("novapai/update_response.json")).unwrap();
    let view = p.parse_update("x", &Value::Null, &body).unwrap();
    let j = view.to_json();
    assert_eq!(j["limit"], serde_json::json!(75));
    assert_eq!(j["remaining"], serde_json::json!(49.5));
    // The key resets daily: usage is the day's counter, usage_total the lifetime one.
    assert_eq!(j["reset"], "daily");
    assert_eq!(j["usage"], serde_json::json!(25.5));
    let body = serde_json::to_vec(&load("modelgates/update_response.json")).unwrap();
    let view = ProviderKind::ModelGates
        .parse_update("x", &Value::Null, &body)
        .unwrap();
    assert_eq!(view.to_json()["expires"], Value::Null);
    let body = serde_json::to_vec(&load("openrouter/update_response.json")).unwrap();
    let view = ProviderKind::OpenRouter
        .parse_update("x", &Value::Null, &body)
        .unwrap();
    assert_eq!(view.to_json()["name"], "Updated API Key Name");
    let body = serde_json::to_vec(&load("venice/update_response.json")).unwrap();
    let view = ProviderKind::Venice
        .parse_update("x", &Value::Null, &body)
        .unwrap();
    assert_eq!(view.to_json()["reset"], "monthly");
    assert_eq!(
        view.to_json()["limits"],
        serde_json::json!({"usd": 50, "diem": 10, "vcu": 30})
    );
    let body = serde_json::to_vec(&load("ionet/update_response.json")).unwrap();
    let sent = serde_json::json!({"credit_limit": 50});
    let view = ProviderKind::Ionet
        .parse_update(sample_key(ProviderKind::Ionet), &sent, &body)
        .unwrap();
    assert_eq!(view.to_json()["limit"], serde_json::json!(50));
    assert_eq!(view.to_json()["unit"], "credits");
}
