//! The key-lifecycle request schemas (`fixtures/schemas/*_create.schema.json` and
//! `*_delete.schema.json`) compile, accept the providers' documented examples, reject what the
//! providers reject, and accept every create body and delete request keyctl builds.

use chrono::{TimeZone, Utc};
use keyctl::key::Known;
use keyctl::newkey::NewKey;
use keyctl::patch::{Amount, Change, KeyType, Patch, Privacy, Reset};
use keyctl::provider::{BaseUrl, ProviderKind, all};
use serde_json::{Map, Value, json};

fn load(path: &str) -> Value {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn compile(file: &str) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&load(file))
        .unwrap_or_else(|e| panic!("{file} does not compile: {e}"))
}

/// The schema files this test covers, per API family and operation.
const SCHEMAS: [&str; 6] = [
    "schemas/ionet_create.schema.json",
    "schemas/openrouter_create.schema.json",
    "schemas/venice_create.schema.json",
    "schemas/ionet_delete.schema.json",
    "schemas/openrouter_delete.schema.json",
    "schemas/venice_delete.schema.json",
];

fn create_file(api: &str) -> String {
    format!("schemas/{api}_create.schema.json")
}

fn delete_file(api: &str) -> String {
    format!("schemas/{api}_delete.schema.json")
}

fn create_schema(api: &str) -> jsonschema::Validator {
    compile(&create_file(api))
}

fn delete_schema(api: &str) -> jsonschema::Validator {
    compile(&delete_file(api))
}

/// The property names a schema lists.
fn props(file: &str) -> Vec<String> {
    load(file)["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{file} has no properties"))
        .keys()
        .cloned()
        .collect()
}

fn errors(schema: &jsonschema::Validator, v: &Value) -> Vec<String> {
    schema.iter_errors(v).map(|e| e.to_string()).collect()
}

/// The fixture folders with documented create/delete examples, and their API family.
const FIXTURE_DIRS: [(&str, &str); 4] = [
    ("ionet", "ionet"),
    ("modelgates", "openrouter"),
    ("novapai", "openrouter"),
    ("venice", "venice"),
];

/// The path of a provider's create endpoint (LIFECYCLE.md's cheat sheet).
fn create_path(api: &str) -> &'static str {
    match api {
        "ionet" => "/v1/api-keys/sub-keys",
        "openrouter" => "/api/v1/keys",
        "venice" => "/api/v1/api_keys",
        other => panic!("unknown API family {other}"),
    }
}

/// A request as the delete schemas describe it: `{method, path, query, body}`.
fn request_object(method: &str, url: &str, body: Option<&Value>) -> Value {
    let u = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    let query: Map<String, Value> = u
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    json!({
        "method": method,
        "path": u.path(),
        "query": query,
        "body": body.cloned().unwrap_or(Value::Null),
    })
}

#[test]
fn every_lifecycle_schema_compiles() {
    for file in SCHEMAS {
        compile(file);
        let s = load(file);
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{file}"
        );
        assert_eq!(
            s["$id"].as_str(),
            file.strip_prefix("schemas/"),
            "{file}: $id is the file name"
        );
        // Each cites where it comes from.
        let d = s["description"].as_str().unwrap_or_default();
        assert!(
            d.contains("LIFECYCLE.md"),
            "{file}: no source in description"
        );
    }
}

#[test]
fn documented_request_examples_validate() {
    for (dir, api) in FIXTURE_DIRS {
        let file = format!("{dir}/create_request.json");
        let body = load(&file);
        let e = errors(&create_schema(api), &body);
        assert!(e.is_empty(), "{file}: {e:?}");
        let listed = props(&create_file(api));
        for k in body.as_object().unwrap().keys() {
            assert!(listed.contains(k), "{file}: {k} is not a documented field");
        }
        let file = format!("{dir}/delete_request.json");
        let e = errors(&delete_schema(api), &load(&file));
        assert!(e.is_empty(), "{file}: {e:?}");
    }
}

#[test]
fn documented_responses_have_the_documented_shape() {
    // io.net 201: the secret is data.value, the id data.key_id; a naive expires_at.
    let r = load("ionet/create_response.json");
    assert_eq!(r["status"], "succeeded");
    assert!(r["data"]["value"].as_str().unwrap().contains("FAKE"));
    assert!(uuid::Uuid::parse_str(r["data"]["key_id"].as_str().unwrap()).is_ok());
    assert!(r["data"].get("id").is_none());
    assert!(!r["data"]["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        load("ionet/revoke_response.json"),
        json!({"status": "succeeded"})
    );
    // ModelGates / novapai 201: the secret is the top-level `key`, beside `data`.
    for dir in ["modelgates", "novapai"] {
        let r = load(&format!("{dir}/create_response.json"));
        assert!(
            r["key"].as_str().unwrap().starts_with("sk-or-v1-FAKE"),
            "{dir}"
        );
        assert!(r["data"].get("key").is_none(), "{dir}");
        assert!(r["data"]["hash"].is_string(), "{dir}");
        assert_eq!(
            load(&format!("{dir}/delete_response.json")),
            json!({"deleted": true})
        );
    }
    // novapai's example data has no updated_at, creator_user_id or workspace_id.
    let data = load("novapai/create_response.json")["data"].clone();
    for f in ["updated_at", "creator_user_id", "workspace_id"] {
        assert!(data.get(f).is_none(), "novapai: {f}");
    }
    // Venice 200: data.apiKey, data.id, consumptionLimit (singular).
    let r = load("venice/create_response.json");
    assert_eq!(r["success"], true);
    let data = &r["data"];
    assert!(
        data["apiKey"]
            .as_str()
            .unwrap()
            .starts_with("VENICE_INFERENCE_KEY_FAKE")
    );
    for f in [
        "apiKey",
        "apiKeyType",
        "consumptionLimit",
        "limitPeriod",
        "modelPrivacy",
        "expiresAt",
        "id",
    ] {
        assert!(data.get(f).is_some(), "venice create response lacks {f}");
    }
    assert!(data.get("consumptionLimits").is_none());
    assert_eq!(
        load("venice/delete_response.json"),
        json!({"success": true})
    );
    assert_eq!(
        load("venice/error_400_not_found.json"),
        json!({"error": "API key could not be found"})
    );
}

#[test]
fn keyctl_reads_the_documented_create_responses() {
    for (p, file, id, secret) in [
        (
            ProviderKind::Ionet,
            "ionet/create_response.json",
            "/data/key_id",
            "/data/value",
        ),
        (
            ProviderKind::ModelGates,
            "modelgates/create_response.json",
            "/data/hash",
            "/key",
        ),
        (
            ProviderKind::Novapai,
            "novapai/create_response.json",
            "/data/hash",
            "/key",
        ),
        (
            ProviderKind::Venice,
            "venice/create_response.json",
            "/data/id",
            "/data/apiKey",
        ),
    ] {
        let v = load(file);
        let want_secret = v.pointer(secret).and_then(Value::as_str).unwrap();
        let body = serde_json::to_vec(&v).unwrap();
        let c = p
            .parse_create(&body)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(c.secret.as_deref(), Some(want_secret), "{file}");
        assert_eq!(
            Some(c.key.id.as_str()),
            v.pointer(id).and_then(Value::as_str),
            "{file}"
        );
        assert!(
            !c.key.raw.to_string().contains(want_secret),
            "{file}: the secret is left in raw"
        );
        // io.net's example expiry is naive ("2026-08-20T00:00:00"): read as UTC.
        if p == ProviderKind::Ionet {
            assert_eq!(c.key.expires, Known::Value("2026-08-20T00:00:00Z".into()));
        }
    }
}

#[test]
fn schemas_reject_what_providers_reject() {
    // Venice create: additionalProperties false, description <= 64, expiresAt's patterns.
    let s = create_schema("venice");
    let ok = json!({"apiKeyType": "INFERENCE", "description": "ci"});
    assert!(s.is_valid(&ok));
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    assert!(s.is_valid(&with("description", json!("x".repeat(64)))));
    assert!(!s.is_valid(&with("description", json!("x".repeat(65)))));
    for good in [
        "",
        "2030-01-01",
        "2030-01-01T00:00:00Z",
        "2030-01-01T00:00:00.123Z",
    ] {
        assert!(s.is_valid(&with("expiresAt", json!(good))), "{good}");
    }
    for bad in [
        json!("2030-01-01T00:00:00+00:00"),
        json!("2030-01-01T00:00:00.123456Z"),
        json!("2030-01-01T00:00:00.1Z"),
        json!("2030-01-01T00:00:00"),
        json!("never"),
        Value::Null,
    ] {
        assert!(!s.is_valid(&with("expiresAt", bad.clone())), "{bad}");
    }
    assert!(!s.is_valid(&with("name", json!("ci"))), "unknown field");
    assert!(!s.is_valid(&with("consumptionLimits", json!({"usd": 1}))));
    assert!(!s.is_valid(&with("consumptionLimit", json!({"eur": 1}))));
    assert!(!s.is_valid(&with("consumptionLimit", json!({"usd": -1}))));
    assert!(!s.is_valid(&with("consumptionLimit", json!({"usd": 10_000_000_000u64}))));
    assert!(s.is_valid(&with(
        "consumptionLimit",
        json!({"usd": 9_999_999_999u64, "diem": null, "vcu": 0})
    )));
    assert!(!s.is_valid(&with("apiKeyType", json!("inference"))));
    assert!(!s.is_valid(&with("limitPeriod", json!("DAY"))));
    assert!(!s.is_valid(&with("modelPrivacy", json!("PRIVATE"))));
    assert!(!s.is_valid(&json!({"description": "ci"})), "no apiKeyType");
    assert!(
        !s.is_valid(&json!({"apiKeyType": "ADMIN"})),
        "no description"
    );

    // OpenRouter-style create: name required (>= 1 char), expires_at UTC only.
    let s = create_schema("openrouter");
    assert!(s.is_valid(&json!({"name": "ci"})));
    assert!(!s.is_valid(&json!({"limit": 5})), "no name");
    assert!(!s.is_valid(&json!({"name": ""})));
    assert!(s.is_valid(&json!({"name": "ci", "expires_at": "2030-01-01T00:00:00Z"})));
    assert!(s.is_valid(&json!({"name": "ci", "expires_at": null})));
    for bad in [
        "2030-01-01T00:00:00+00:00",
        "2030-01-01T02:00:00+02:00",
        "2030-01-01",
    ] {
        assert!(
            !s.is_valid(&json!({"name": "ci", "expires_at": bad})),
            "{bad}"
        );
    }
    assert!(!s.is_valid(&json!({"name": "ci", "limit_reset": "8h"})));
    assert!(!s.is_valid(&json!({"name": "ci", "limit": "5"})));
    assert!(!s.is_valid(&json!({"name": "ci", "workspace_id": "ws_0001"})));
    assert!(!s.is_valid(&json!({"name": "ci", "creator_user_id": ""})));

    // io.net create: description required, credit_limit >= 0, the prefix rules.
    let s = create_schema("ionet");
    assert!(s.is_valid(&json!({"description": "ci"})));
    assert!(!s.is_valid(&json!({"credit_limit": 5})), "no description");
    assert!(!s.is_valid(&json!({"description": "ci", "credit_limit": -1})));
    assert!(s.is_valid(&json!({"description": "ci", "credit_limit": null})));
    assert!(!s.is_valid(&json!({"description": "ci", "credit_refresh_cycle": "yearly"})));
    assert!(!s.is_valid(&json!({"description": "ci", "credit_refresh_cycle": null})));
    assert!(s.is_valid(&json!({"description": "ci", "expires_at": "never"})));
    assert!(!s.is_valid(&json!({"description": "ci", "expires_at": "forever"})));
    assert!(s.is_valid(&json!({"description": "ci", "key_prefix": "acme"})));
    for bad in ["io-x", "ab-v2", "a", "Acme", "acme-", "toolongpx"] {
        assert!(
            !s.is_valid(&json!({"description": "ci", "key_prefix": bad})),
            "{bad}"
        );
    }

    // Delete requests.
    let id = "e28e82dc-9df2-4b47-b726-d0a222ef2ab5";
    let req = |path: &str, query: Value, body: Value| json!({"method": "DELETE", "path": path, "query": query, "body": body});
    let s = delete_schema("venice");
    assert!(s.is_valid(&req("/api/v1/api_keys", json!({"id": id}), Value::Null)));
    assert!(
        !s.is_valid(&req("/api/v1/api_keys", json!({}), Value::Null)),
        "no id"
    );
    assert!(!s.is_valid(&req("/api/v1/api_keys", json!({}), json!({"id": id}))));
    assert!(!s.is_valid(&req(
        &format!("/api/v1/api_keys/{id}"),
        json!({}),
        Value::Null
    )));
    assert!(!s.is_valid(&req("/api/v1/api_keys", json!({"id": "k1"}), Value::Null)));
    assert!(!s.is_valid(
        &json!({"method": "POST", "path": "/api/v1/api_keys", "query": {"id": id}, "body": null})
    ));

    let s = delete_schema("openrouter");
    let hash = ProviderKind::ModelGates.info().sample_key;
    assert!(s.is_valid(&req(
        &format!("/api/v1/keys/{hash}"),
        json!({}),
        Value::Null
    )));
    assert!(!s.is_valid(&req("/api/v1/keys/a/b", json!({}), Value::Null)));
    assert!(!s.is_valid(&req("/api/v1/keys/", json!({}), Value::Null)));
    assert!(!s.is_valid(&req(
        &format!("/api/v1/keys/{hash}"),
        json!({"x": "y"}),
        Value::Null
    )));
    assert!(!s.is_valid(&req(&format!("/api/v1/keys/{hash}"), json!({}), json!({}))));

    let s = delete_schema("ionet");
    assert!(s.is_valid(&req(
        &format!("/v1/api-keys/sub-keys/{id}"),
        json!({}),
        Value::Null
    )));
    assert!(!s.is_valid(&req("/v1/api-keys/sub-keys/k1", json!({}), Value::Null)));
    assert!(!s.is_valid(&req(
        &format!("/v1/api-keys/sub-keys/{id}/usage"),
        json!({}),
        Value::Null
    )));
}

fn amount(s: &str) -> Amount {
    s.parse().unwrap()
}

/// Create requests: every settings field alone (with its edge values), then a product of the
/// fields (`disabled` is never set: a key is created enabled).
fn new_keys() -> Vec<NewKey> {
    let whole = Utc.with_ymd_and_hms(2030, 6, 1, 12, 30, 0).unwrap();
    // A sub-millisecond instant: Venice takes whole seconds or exactly three digits.
    let fine = whole + chrono::Duration::nanoseconds(123_456_789);
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
    let expiries = [
        Change::Keep,
        Change::Set(whole),
        Change::Set(fine),
        Change::Clear,
    ];
    let models = [
        Change::Keep,
        Change::Set(vec!["llama-3".to_string(), "qwen".to_string()]),
        Change::Clear,
    ];
    let bools = [None, Some(true), Some(false)];
    let amounts = [Change::Keep, Change::Set(amount("7")), Change::Clear];
    let kinds = [None, Some(KeyType::Inference), Some(KeyType::Admin)];
    let privacies = [
        Some(Privacy::All),
        Some(Privacy::PrivateText),
        Some(Privacy::PrivateOnly),
    ];
    let key = |name: &str, kind: Option<KeyType>, settings: Patch| NewKey {
        name: name.to_string(),
        kind,
        settings,
    };
    let mut out = Vec::new();
    // Each field alone.
    out.push(key("ci key", None, Patch::default()));
    for kind in kinds {
        out.push(key("ci key", kind, Patch::default()));
    }
    for name in ["x".repeat(64), "x".repeat(65), "ünïcödé ✓".to_string()] {
        out.push(key(&name, None, Patch::default()));
    }
    let huge = Change::Set(amount("10000000000"));
    for l in limits.iter().chain([&huge]) {
        out.push(key(
            "ci key",
            None,
            Patch {
                limit: l.clone(),
                ..Default::default()
            },
        ));
        out.push(key(
            "ci key",
            None,
            Patch {
                limit_diem: l.clone(),
                ..Default::default()
            },
        ));
        out.push(key(
            "ci key",
            None,
            Patch {
                limit_vcu: l.clone(),
                ..Default::default()
            },
        ));
    }
    for reset in resets {
        out.push(key(
            "ci key",
            None,
            Patch {
                reset,
                ..Default::default()
            },
        ));
    }
    for expires in &expiries {
        out.push(key(
            "ci key",
            None,
            Patch {
                expires: expires.clone(),
                ..Default::default()
            },
        ));
    }
    for m in &models {
        out.push(key(
            "ci key",
            None,
            Patch {
                models: m.clone(),
                ..Default::default()
            },
        ));
    }
    for byok in bools {
        out.push(key(
            "ci key",
            None,
            Patch {
                include_byok_in_limit: byok,
                ..Default::default()
            },
        ));
    }
    for privacy in privacies {
        out.push(key(
            "ci key",
            None,
            Patch {
                privacy,
                ..Default::default()
            },
        ));
    }
    out.push(key(
        "ci key",
        None,
        Patch {
            name: Some("other name".into()),
            ..Default::default()
        },
    ));
    // Combined.
    let mut n = 0usize;
    for limit in &limits {
        for reset in &resets {
            for expires in &expiries {
                for m in &models {
                    for byok in &bools {
                        for diem in &amounts {
                            for vcu in &amounts {
                                n += 1;
                                out.push(key(
                                    "combined key",
                                    // A type now and then (Venice's alone).
                                    if n.is_multiple_of(5) {
                                        kinds[n / 5 % 3]
                                    } else {
                                        None
                                    },
                                    Patch {
                                        limit: limit.clone(),
                                        reset: *reset,
                                        expires: expires.clone(),
                                        models: m.clone(),
                                        name: None,
                                        disabled: None,
                                        include_byok_in_limit: *byok,
                                        limit_diem: diem.clone(),
                                        limit_vcu: vcu.clone(),
                                        privacy: if n.is_multiple_of(4) {
                                            privacies[n / 4 % 3]
                                        } else {
                                            None
                                        },
                                    },
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// The field a provider's create body carries the key's name in.
fn name_field(api: &str) -> &'static str {
    match api {
        "openrouter" => "name",
        _ => "description",
    }
}

#[test]
fn every_create_body_keyctl_builds_validates() {
    let keys = new_keys();
    for &p in all() {
        let api = p.info().api.as_str();
        let schema = create_schema(api);
        let listed = props(&create_file(api));
        let base = BaseUrl::parse(p.info().base_url).unwrap();
        let mut built = 0;
        for new in &keys {
            let Ok(req) = p.build_create(&base, new) else {
                continue;
            };
            built += 1;
            assert_eq!(req.method.as_str(), "POST", "{p}");
            let url = url::Url::parse(&req.url).unwrap();
            assert_eq!(url.path(), create_path(api), "{p}: {}", req.url);
            assert_eq!(url.query(), None, "{p}: {}", req.url);
            let body = req
                .body
                .unwrap_or_else(|| panic!("{p}: a create without a body"));
            let e = errors(&schema, &body);
            assert!(
                e.is_empty(),
                "{p}: {new:?} built {body}, which fails: {e:?}"
            );
            for k in body.as_object().unwrap().keys() {
                assert!(listed.contains(k), "{p}: {k} is not a documented field");
            }
            // novapai's create table lists neither (whether it accepts them is unconfirmed).
            if p == ProviderKind::Novapai {
                assert!(body.get("creator_user_id").is_none(), "{body}");
                assert!(body.get("workspace_id").is_none(), "{body}");
            }
            if new.settings.name.is_none() {
                assert_eq!(body[name_field(api)], json!(new.name), "{p}: {body}");
            }
            if p == ProviderKind::Venice {
                let want = match new.kind {
                    Some(KeyType::Admin) => "ADMIN",
                    _ => "INFERENCE",
                };
                assert_eq!(body["apiKeyType"], want, "{p}: {body}");
            }
        }
        assert!(built > 0, "{p}: no create body was built");
        assert!(built > 100, "{p}: only {built} create bodies built");
    }
}

#[test]
fn every_delete_request_keyctl_builds_validates() {
    for &p in all() {
        let api = p.info().api.as_str();
        let schema = delete_schema(api);
        let base = BaseUrl::parse(p.info().base_url).unwrap();
        let sample = p.info().sample_key;
        let req = p
            .build_delete(&base, sample)
            .unwrap_or_else(|e| panic!("{p}: {e}"));
        assert!(req.body.is_none(), "{p}: a delete with a body");
        let obj = request_object(req.method.as_str(), &req.url, req.body.as_ref());
        let e = errors(&schema, &obj);
        assert!(e.is_empty(), "{p}: {obj} fails: {e:?}");
        // The key is named where the docs put it.
        let u = url::Url::parse(&req.url).unwrap();
        match api {
            "venice" => assert_eq!(obj["query"]["id"], sample, "{p}"),
            _ => assert!(
                u.path().ends_with(&format!("/{sample}")),
                "{p}: {}",
                req.url
            ),
        }
        // Odd ids: whatever is built still is one path segment (or Venice's query id), and
        // nothing else.
        for odd in [
            sample.to_uppercase(),
            format!(" {sample} "),
            "a/b".into(),
            "a?b=c".into(),
            "a#b".into(),
            "%2F..".into(),
            "..".into(),
            "k1".into(),
        ] {
            let Ok(req) = p.build_delete(&base, &odd) else {
                continue;
            };
            let obj = request_object(req.method.as_str(), &req.url, req.body.as_ref());
            if api == "venice" {
                assert_eq!(obj["path"], "/api/v1/api_keys", "{p}: {odd:?}: {obj}");
                assert_eq!(obj["query"], json!({"id": odd}), "{p}: {odd:?}: {obj}");
                assert_eq!(obj["body"], Value::Null, "{p}: {odd:?}");
                assert_eq!(obj["method"], "DELETE", "{p}: {odd:?}");
            } else {
                let e = errors(&schema, &obj);
                assert!(e.is_empty(), "{p}: {odd:?} gives {obj}, which fails: {e:?}");
            }
        }
    }
}

#[test]
fn keyctl_builds_the_documented_create_examples() {
    let build = |p: ProviderKind, new: &NewKey| {
        let base = BaseUrl::parse(p.info().base_url).unwrap();
        p.build_create(&base, new)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .body
            .unwrap()
    };
    // ModelGates / novapai: create "My New API Key" --limit 50 --reset monthly
    // --include-byok-in-limit true --expires 2027-12-31T23:59:59Z
    let gates = NewKey {
        name: "My New API Key".into(),
        kind: None,
        settings: Patch {
            limit: Change::Set(amount("50")),
            reset: Some(Reset::Monthly),
            include_byok_in_limit: Some(true),
            expires: Change::Set(Utc.with_ymd_and_hms(2027, 12, 31, 23, 59, 59).unwrap()),
            ..Default::default()
        },
    };
    for (p, file) in [
        (ProviderKind::ModelGates, "modelgates/create_request.json"),
        (ProviderKind::Novapai, "novapai/create_request.json"),
    ] {
        assert_eq!(build(p, &gates), load(file), "{p}");
    }
    // io.net: the same without key_prefix (keyctl has no flag for it).
    let io = NewKey {
        name: "Partner integration key".into(),
        kind: None,
        settings: Patch {
            limit: Change::Set(amount("10.0")),
            reset: Some(Reset::Monthly),
            models: Change::Set(vec!["meta-llama/Llama-3.3-70B-Instruct".into()]),
            expires: Change::Set(Utc.with_ymd_and_hms(2026, 8, 20, 0, 0, 0).unwrap()),
            ..Default::default()
        },
    };
    let mut want = load("ionet/create_request.json");
    want.as_object_mut().unwrap().remove("key_prefix");
    assert_eq!(build(ProviderKind::Ionet, &io), want);
    // Venice: whole seconds are sent without a fraction.
    let v = NewKey {
        name: "Example API Key".into(),
        kind: Some(KeyType::Inference),
        settings: Patch {
            limit: Change::Set(amount("50")),
            limit_diem: Change::Set(amount("10")),
            limit_vcu: Change::Clear,
            reset: Some(Reset::Monthly),
            privacy: Some(Privacy::All),
            expires: Change::Set(Utc.with_ymd_and_hms(2030, 10, 1, 12, 0, 0).unwrap()),
            ..Default::default()
        },
    };
    let mut want = load("venice/create_request.json");
    want["expiresAt"] = json!("2030-10-01T12:00:00Z");
    assert_eq!(build(ProviderKind::Venice, &v), want);
}

/// OpenRouter's published OpenAPI document, its key and workspace parts
/// (`fixtures/openrouter/openapi_keys.json`; source and commit in fixtures/README.md).
fn openrouter_doc() -> Value {
    load("openrouter/openapi_keys.json")
}

fn workspace(id: &str) -> keyctl::provider::Workspace {
    keyctl::provider::Workspace::parse(id, "--workspace").unwrap()
}

#[test]
fn openrouter_create_bodies_with_a_workspace_validate_against_the_published_document() {
    let doc = openrouter_doc();
    let published =
        &doc["paths"]["/keys"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    // The document: the workspace is a body field of the create, a UUID, not a parameter.
    assert_eq!(published["properties"]["workspace_id"]["format"], "uuid");
    assert!(doc["paths"]["/keys"]["post"]["parameters"].is_null());
    let doc_schema = jsonschema::options()
        .should_validate_formats(true)
        .build(published)
        .unwrap();
    let doc_props: Vec<String> = published["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let ours = create_schema("openrouter");
    let p = ProviderKind::OpenRouter;
    let id = "0df9e665-d932-5740-b2c7-b52af166bc11";
    let mut built = 0;
    for ws in [None, Some(id), Some("0DF9E665D9325740B2C7B52AF166BC11")] {
        let base = BaseUrl::parse("https://openrouter.ai")
            .unwrap()
            .with_workspace(ws.map(workspace));
        for new in &new_keys() {
            let Ok(req) = p.build_create(&base, new) else {
                continue;
            };
            built += 1;
            let u = url::Url::parse(&req.url).unwrap();
            assert_eq!((u.path(), u.query()), ("/api/v1/keys", None), "{}", req.url);
            let body = req.body.unwrap();
            for (what, schema) in [("published", &doc_schema), ("fixture", &ours)] {
                let e = errors(schema, &body);
                assert!(e.is_empty(), "{body} fails the {what} create body: {e:?}");
            }
            for k in body.as_object().unwrap().keys() {
                assert!(
                    doc_props.contains(k),
                    "{k} is not in the published create body"
                );
            }
            assert_eq!(
                body.get("workspace_id"),
                ws.map(|_| json!(id)).as_ref(),
                "{body}"
            );
        }
    }
    assert!(built > 300, "only {built} create bodies built");
    // The fixture schema agrees with the document on the workspace.
    assert!(!ours.is_valid(&json!({"name": "ci", "workspace_id": "production"})));
    assert!(!doc_schema.is_valid(&json!({"name": "ci", "workspace_id": "production"})));
}

#[test]
fn the_published_key_examples_read_without_the_label_as_a_name() {
    let doc = openrouter_doc();
    let item = doc["paths"]["/keys"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["properties"]["data"]["items"]["example"]
        .clone();
    // The published list example: a `label` that is the masked secret.
    assert_eq!(item["label"], "sk-or-v1-0e6...1c96");
    let p = ProviderKind::OpenRouter;
    let page = p
        .adapter()
        .parse_list(
            p.info(),
            json!({ "data": [item.clone()] }).to_string().as_bytes(),
        )
        .unwrap();
    assert_eq!(page.keys[0].name, Known::Value("My Production Key".into()));
    assert_eq!(page.keys[0].raw["label"], "sk-or-v1-0e6...1c96");
    // Without a name, the key has none: the label is not taken for one.
    let mut nameless = item;
    nameless.as_object_mut().unwrap().remove("name");
    let page = p
        .adapter()
        .parse_list(
            p.info(),
            json!({ "data": [nameless] }).to_string().as_bytes(),
        )
        .unwrap();
    assert_eq!(page.keys[0].name, Known::Unknown);
    let created = doc["paths"]["/keys"]["post"]["responses"]["201"]["content"]["application/json"]
        ["example"]
        .to_string();
    let made = p.parse_create(created.as_bytes()).unwrap();
    assert_eq!(made.key.name, Known::Value("My New API Key".into()));
}
