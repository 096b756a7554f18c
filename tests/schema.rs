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

/// `blocked` in the key's JSON form: a boolean, or absent when not known (never `null`); the
/// seeds' documented answers give false where the provider's figure says so, and leave it out
/// where the answer does not carry what decides it.
#[test]
fn blocked_is_a_boolean_or_absent() {
    let key_schema = jsonschema::options()
        .should_validate_formats(true)
        .build(&serde_json::from_str::<Value>(include_str!("../schemas/key.schema.json")).unwrap())
        .expect("key schema compiles");
    let parse = |p: ProviderKind, file: &str, sent: Value| {
        let body = serde_json::to_vec(&load(file)).unwrap();
        p.parse_update(sample_key(p), &sent, &body)
            .unwrap()
            .to_json()
    };
    let cases = [
        // limit 75, limit_remaining 49.5: not blocked.
        (
            parse(
                ProviderKind::Novapai,
                "novapai/update_response.json",
                Value::Null,
            ),
            Some(false),
        ),
        (
            parse(
                ProviderKind::ModelGates,
                "modelgates/update_response.json",
                Value::Null,
            ),
            Some(false),
        ),
        (
            parse(
                ProviderKind::OpenRouter,
                "openrouter/update_response.json",
                Value::Null,
            ),
            Some(false),
        ),
        // Caps but no currentPeriodUsage in the answer: not known.
        (
            parse(
                ProviderKind::Venice,
                "venice/update_response.json",
                Value::Null,
            ),
            None,
        ),
        // io.net answers an update with no key data: no usage, not known.
        (
            parse(
                ProviderKind::Ionet,
                "ionet/update_response.json",
                serde_json::json!({"credit_limit": 50}),
            ),
            None,
        ),
    ];
    for (j, want) in cases {
        assert_eq!(j.get("blocked").and_then(Value::as_bool), want, "{j}");
        assert_eq!(j.get("blocked").is_some(), want.is_some(), "{j}");
        let errors: Vec<String> = key_schema.iter_errors(&j).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{j}");
    }
    let mut j = parse(
        ProviderKind::Novapai,
        "novapai/update_response.json",
        Value::Null,
    );
    for ok in [serde_json::json!(true), serde_json::json!(false)] {
        j["blocked"] = ok;
        assert!(key_schema.is_valid(&j));
    }
    for bad in [Value::Null, serde_json::json!("yes"), serde_json::json!(1)] {
        j["blocked"] = bad.clone();
        assert!(!key_schema.is_valid(&j), "{bad}");
    }
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

/// OpenRouter's published OpenAPI document, its key and workspace parts
/// (`fixtures/openrouter/openapi_keys.json`; source and commit in fixtures/README.md).
fn openrouter_doc() -> Value {
    load("openrouter/openapi_keys.json")
}

/// The document's operation at `path` (as the document writes it, under its server's
/// `/api/v1`) and `method`.
fn doc_op(doc: &Value, path: &str, method: &str) -> Value {
    doc["paths"][path][method].clone()
}

/// A published schema, compiled with formats checked (OpenAPI 3.1 schemas are JSON Schema).
fn doc_schema(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("the published schema does not compile: {e}"))
}

/// The document's query parameters of an operation, by name.
fn query_params(op: &Value) -> serde_json::Map<String, Value> {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .map(|p| (p["name"].as_str().unwrap().to_string(), p["schema"].clone()))
        .collect()
}

/// A query value as its published schema types it: an integer where the schema allows only
/// numbers and null, else the string sent.
fn typed(schema: &Value, v: &str) -> Value {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.contains(&"integer") && !types.contains(&"string") {
        v.parse::<i64>()
            .map_or_else(|_| Value::String(v.into()), Value::from)
    } else {
        Value::String(v.into())
    }
}

#[test]
fn openrouter_list_requests_validate_against_the_published_document() {
    let doc = openrouter_doc();
    let server = url::Url::parse(doc["servers"][0]["url"].as_str().unwrap()).unwrap();
    let list = doc_op(&doc, "/keys", "get");
    let params = query_params(&list);
    // What the document says of the workspace: a query parameter of the list, a UUID.
    assert_eq!(params["workspace_id"]["format"], "uuid", "{params:?}");
    let p = ProviderKind::OpenRouter;
    let ws_given = [
        None,
        Some("0df9e665-d932-5740-b2c7-b52af166bc11"),
        Some("0DF9E665-D932-5740-B2C7-B52AF166BC11"),
        Some("{0df9e665-d932-5740-b2c7-b52af166bc11}"),
        Some("0df9e665d9325740b2c7b52af166bc11"),
    ];
    for ws in ws_given {
        let workspace = ws.map(|w| keyctl::provider::Workspace::parse(w, "--workspace").unwrap());
        let base = BaseUrl::parse("https://openrouter.ai")
            .unwrap()
            .with_workspace(workspace);
        for offset in [0, 100, 2300] {
            for disabled in [false, true] {
                let req = p.build_list(&base, offset, disabled).unwrap();
                assert_eq!(req.method.as_str(), "GET");
                let u = url::Url::parse(&req.url).unwrap();
                assert_eq!(u.origin(), server.origin(), "{}", req.url);
                assert_eq!(u.path(), format!("{}/keys", server.path()), "{}", req.url);
                let mut seen = Vec::new();
                for (k, v) in u.query_pairs() {
                    let schema = params
                        .get(k.as_ref())
                        .unwrap_or_else(|| panic!("{k} is not a documented query parameter"));
                    let e: Vec<String> = doc_schema(schema)
                        .iter_errors(&typed(schema, &v))
                        .map(|e| e.to_string())
                        .collect();
                    assert!(e.is_empty(), "{k}={v} fails the document: {e:?}");
                    seen.push((k.into_owned(), v.into_owned()));
                }
                let sent_ws = seen
                    .iter()
                    .find(|(k, _)| k == "workspace_id")
                    .map(|(_, v)| v.as_str());
                assert_eq!(
                    sent_ws,
                    ws.map(|_| "0df9e665-d932-5740-b2c7-b52af166bc11"),
                    "{}",
                    req.url
                );
            }
        }
    }
}

#[test]
fn openrouter_update_bodies_validate_against_the_published_document() {
    let doc = openrouter_doc();
    let patch_op = doc_op(&doc, "/keys/{hash}", "patch");
    let schema = &patch_op["requestBody"]["content"]["application/json"]["schema"];
    let props: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    let v = doc_schema(schema);
    // The single-key operations take no workspace: the hash names the key in any workspace.
    for method in ["get", "patch", "delete"] {
        let op = doc_op(&doc, "/keys/{hash}", method);
        assert!(query_params(&op).is_empty(), "{method} /keys/{{hash}}");
    }
    assert!(!props.iter().any(|k| *k == "workspace_id"), "{props:?}");
    let p = ProviderKind::OpenRouter;
    let base = BaseUrl::parse("https://openrouter.ai")
        .unwrap()
        .with_workspace(Some(
            keyctl::provider::Workspace::parse("0df9e665-d932-5740-b2c7-b52af166bc11", "x")
                .unwrap(),
        ));
    let mut built = 0;
    for patch in all_patches().iter().filter(|x| !x.is_empty()) {
        let Ok(req) = p.build_update(&base, sample_key(p), patch) else {
            continue;
        };
        built += 1;
        assert_eq!(
            url::Url::parse(&req.url).unwrap().query(),
            None,
            "{}",
            req.url
        );
        let body = req.body.expect("update has a body");
        let e: Vec<String> = v.iter_errors(&body).map(|e| e.to_string()).collect();
        assert!(e.is_empty(), "{body} fails the published PATCH body: {e:?}");
        for k in body.as_object().unwrap().keys() {
            assert!(props.contains(&k), "{k} is not in the published PATCH body");
        }
    }
    assert!(built > 100, "only {built} bodies built");
    // The get and the delete of a key in a workspace are the plain ones.
    for req in [
        p.build_get(&base, sample_key(p)).unwrap(),
        p.build_delete(&base, sample_key(p)).unwrap(),
    ] {
        assert_eq!(
            req.url,
            format!("https://openrouter.ai/api/v1/keys/{}", sample_key(p))
        );
    }
}
