//! The JSON output model. Every `-o json` line of real runs (update, relative update, dry run
//! with and without a read, get, list, unchanged, failed, unknown, not attempted) against a
//! stand-in of each provider in the test table validates against `schemas/result.schema.json`
//! (whose keys are `schemas/key.schema.json`); then each provider's usage, remaining and reset
//! as `get -o json` shows them; then the schemas themselves reject bad examples.

use std::sync::LazyLock;

use jsonschema::Validator;
use keyctl::provider::{self, ProviderKind};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::stand_ins::{self, With};
use crate::common::{Keyctl, Out, TestProvider, fixture, forbid_patch, providers, server};

/// The `$id` of `schemas/key.schema.json`; `result.schema.json` refers to it as `key.schema.json`
/// (relative to its own `$id`, in the same folder).
const KEY_SCHEMA_ID: &str = "https://keyctl.invalid/schemas/key.schema.json";
const RESULT_SCHEMA_ID: &str = "https://keyctl.invalid/schemas/result.schema.json";

fn schema_file(name: &str) -> Value {
    let p = format!("{}/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// The two validators, built offline: the key schema is registered under its `$id`, so the
/// result schema's relative `$ref` resolves without any retrieval.
struct Schemas {
    key: Validator,
    result: Validator,
}

fn schemas() -> &'static Schemas {
    static S: LazyLock<Schemas> = LazyLock::new(|| {
        let key = schema_file("key.schema.json");
        let result = schema_file("result.schema.json");
        assert_eq!(key["$id"], KEY_SCHEMA_ID);
        assert_eq!(result["$id"], RESULT_SCHEMA_ID);
        let registry = jsonschema::Registry::new()
            .add(KEY_SCHEMA_ID, key.clone())
            .expect("key schema registers")
            .prepare()
            .expect("registry prepares");
        let build = |schema: &Value| {
            jsonschema::options()
                .should_validate_formats(true)
                .offline()
                .with_registry(&registry)
                .build(schema)
                .unwrap_or_else(|e| panic!("schema compiles: {e}"))
        };
        Schemas {
            key: build(&key),
            result: build(&result),
        }
    });
    &S
}

fn errors(v: &Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{e} (at {}, schema {})", e.instance_path(), e.schema_path()))
        .collect()
}

/// Asserts one output line validates against the result schema, and what the schema cannot
/// say: the key objects belong to the line's provider, `time` is RFC 3339 UTC and recent.
pub(crate) fn check_line(l: &Value) {
    let provider = l["provider"].as_str().unwrap_or_default();
    // The keys first: their errors are more precise than the line's `oneOf` (key or null).
    for side in ["before", "after"] {
        if let Some(k @ Value::Object(_)) = l.get(side) {
            let e = errors(&schemas().key, k);
            assert!(e.is_empty(), "{side} fails key.schema.json: {e:#?}\n{l:#}");
            assert_eq!(k["provider"], provider, "{side}: {l}");
        }
    }
    let e = errors(&schemas().result, l);
    assert!(e.is_empty(), "line fails result.schema.json: {e:#?}\n{l:#}");
    let time = l["time"].as_str().unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(time)
        .unwrap_or_else(|e| panic!("time {time:?} is not RFC 3339: {e}"));
    assert!(time.ends_with('Z'), "time {time:?} is not UTC");
    let age = chrono::Utc::now().signed_duration_since(at);
    assert!(
        age >= chrono::Duration::zero() && age < chrono::Duration::minutes(5),
        "time {time} is not the time of the run ({age})"
    );
}

/// Every stdout line of a `-o json` run, each validated, sharing one `run` id.
fn lines(out: &Out) -> Vec<Value> {
    let lines = out.json_lines();
    assert!(!lines.is_empty(), "no JSON lines:\n{out:?}");
    for l in &lines {
        check_line(l);
    }
    let run = &lines[0]["run"];
    assert!(
        uuid::Uuid::parse_str(run.as_str().unwrap()).is_ok(),
        "run {run} is not a UUID"
    );
    for l in &lines {
        assert_eq!(&l["run"], run, "one run id per invocation:\n{}", out.stdout);
    }
    lines
}

/// The only line of a run.
fn line(out: &Out) -> Value {
    let mut v = lines(out);
    assert_eq!(v.len(), 1, "{}", out.stdout);
    v.remove(0)
}

fn num(v: &Value) -> f64 {
    assert!(v.is_number(), "{v} is not a JSON number");
    v.as_f64().unwrap()
}

/// A number field of a key, compared as f64.
#[track_caller]
fn assert_num(k: &Value, field: &str, want: f64) {
    let got = k
        .get(field)
        .unwrap_or_else(|| panic!("{field} is absent: {k:#}"));
    assert!(
        (num(got) - want).abs() < 1e-9,
        "{field} is {got}, not {want}: {k:#}"
    );
}

fn changed_fields(l: &Value) -> Vec<&str> {
    l["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A stand-in of each provider: one key (the table's test key) with a limit of 40 and some usage,
// and a second one in its list.

/// The provider's API family (the table's `api` column groups ModelGates, novapai, OpenRouter).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Api {
    Ionet,
    Gates,
    Venice,
}

fn api(kind: ProviderKind) -> Api {
    match kind {
        ProviderKind::Ionet => Api::Ionet,
        ProviderKind::Venice => Api::Venice,
        _ => Api::Gates,
    }
}

/// A second key id of the provider's form (`i` < 10).
fn other_key(kind: ProviderKind, i: u32) -> String {
    match api(kind) {
        Api::Ionet => format!("4a1b2c3d-0000-4000-8000-00000000000{i}"),
        Api::Gates => format!("{i:064x}"),
        Api::Venice => format!("5b2c3d4e-0000-4000-8000-00000000000{i}"),
    }
}

/// An OpenRouter-style key object: limit 40 reset daily, 12.5 used today.
fn gates_key(hash: &str) -> Value {
    stand_ins::gates_key(hash, "ci-runner").with(json!({
           "limit": 40, "limit_remaining": 27.5, "limit_reset": "daily",
           "include_byok_in_limit": true, "usage": 120.25, "usage_daily": 12.5,
           "usage_weekly": 30, "usage_monthly": 80, "byok_usage": 1, "byok_usage_daily": 0.5,
           "byok_usage_weekly": 1, "byok_usage_monthly": 1, "created_at": "2025-08-24T10:30:00Z",
           "updated_at": "2025-08-24T18:00:00+02:00", "expires_at": null,
           "workspace_id": "ws_0001"}))
}

/// A Venice key object: $40 and 10 DIEM a month, $12.5 used this month.
fn venice_key(id: &str) -> Value {
    json!({"id": id, "description": "ci-runner", "apiKeyType": "ADMIN",
           "consumptionLimits": {"usd": 40, "diem": 10, "vcu": null}, "limitPeriod": "MONTH",
           "expiresAt": null, "createdAt": "2025-08-24T10:30:00.000Z",
           "lastUsedAt": "2025-09-01T08:00:00.000Z", "modelPrivacy": "PRIVATE_TEXT",
           "currentPeriodUsage": {"usd": "12.5", "diem": "1"}, "last6Chars": "2V2jNW"})
}

/// io.net's usage answer: 40 credits a week, 3.5 used.
fn ionet_usage(id: &str) -> Value {
    json!({"status": "succeeded", "data": {"key_id": id, "credit_used": 3.5, "credit_limit": 40,
           "remaining_credit": 36.5, "credit_refresh_cycle": "weekly"}})
}

/// One sub-key of io.net's list.
fn ionet_entry(id: &str) -> Value {
    json!({"id": id, "description": "ci-runner", "credit_limit": 40, "credit_used": 3.5,
           "credit_refresh_cycle": "weekly", "allowed_models": ["llama-3", "qwen"],
           "expires_at": "2026-12-31T00:00:00Z", "created_at": "2025-08-24T10:30:00Z",
           "expired": false})
}

/// Answers an update the way the provider does, with `state` changed by the request body:
/// io.net `{"status":"succeeded"}` only; the others the whole key with the sent fields.
struct UpdateAnswer {
    api: Api,
    state: Value,
}

impl Respond for UpdateAnswer {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let sent = body.as_object().cloned().unwrap_or_default();
        let mut o = self.state.clone();
        match self.api {
            Api::Ionet => ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded"})),
            Api::Gates => {
                for (k, v) in sent {
                    o[&k] = v;
                }
                // The provider's own figure follows a new limit.
                if let Some(l) = o["limit"].as_f64() {
                    o["limit_remaining"] = json!((l - 12.5_f64).max(0.0));
                } else {
                    o["limit_remaining"] = Value::Null;
                }
                ResponseTemplate::new(200).set_body_json(json!({ "data": o }))
            }
            Api::Venice => {
                for (k, v) in sent {
                    match k.as_str() {
                        "consumptionLimit" => o["consumptionLimits"] = v,
                        "id" => {}
                        _ => o[&k] = v,
                    }
                }
                ResponseTemplate::new(200).set_body_json(json!({"data": o, "success": true}))
            }
        }
    }
}

/// A server answering the provider's read, list and update of `t.key` (and the list with a
/// second key); anything else gets the catch-all 418.
async fn stand_in(t: &TestProvider) -> MockServer {
    let s = server().await;
    mount_reads(&s, t).await;
    let state = match api(t.kind) {
        Api::Ionet => Value::Null,
        Api::Gates => gates_key(t.key),
        Api::Venice => venice_key(t.key),
    };
    Mock::given(method("PATCH"))
        .and(path(t.update_path.as_str()))
        .respond_with(UpdateAnswer {
            api: api(t.kind),
            state,
        })
        .mount(&s)
        .await;
    s
}

/// The read of `t.key` and the provider's key list (two keys).
async fn mount_reads(s: &MockServer, t: &TestProvider) {
    let other = other_key(t.kind, 1);
    match api(t.kind) {
        Api::Ionet => {
            let usage = format!("/v1/api-keys/sub-keys/{}/usage", t.key);
            mount_get(s, &usage, ionet_usage(t.key)).await;
            let mut second = ionet_entry(&other);
            second["description"] = json!("prod");
            mount_get(
                s,
                "/v1/api-keys/sub-keys",
                json!({"status": "succeeded", "data": [ionet_entry(t.key), second]}),
            )
            .await;
        }
        Api::Gates => {
            mount_get(s, &t.update_path, json!({"data": gates_key(t.key)})).await;
            let mut second = gates_key(&other);
            second["limit"] = Value::Null;
            second["limit_reset"] = Value::Null;
            second["disabled"] = json!(true);
            mount_get(
                s,
                "/api/v1/keys",
                json!({"data": [gates_key(t.key), second]}),
            )
            .await;
        }
        Api::Venice => {
            mount_get(
                s,
                &format!("/api/v1/api_keys/{}", t.key),
                json!({"data": venice_key(t.key), "success": true}),
            )
            .await;
            let mut second = venice_key(&other);
            second["consumptionLimits"] = json!({"usd": null, "diem": null, "vcu": null});
            second["limitPeriod"] = json!("LIFETIME");
            second.as_object_mut().unwrap().remove("currentPeriodUsage");
            mount_get(
                s,
                "/api/v1/api_keys",
                json!({"data": [venice_key(t.key), second], "success": true}),
            )
            .await;
        }
    }
}

async fn mount_get(s: &MockServer, p: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(s)
        .await;
}

/// io.net's read of one key: its usage, and the list (the only other place its fields are).
async fn mount_ionet(s: &MockServer, id: &str, usage: Value, entry: Value) {
    mount_get(s, &format!("/v1/api-keys/sub-keys/{id}/usage"), usage).await;
    mount_get(
        s,
        "/v1/api-keys/sub-keys",
        json!({"status": "succeeded", "data": [entry]}),
    )
    .await;
}

/// `keyctl <args> -p PROVIDER --base-url SERVER -o json` with the credential set.
async fn run(t: &TestProvider, s: &MockServer, args: &[&str]) -> Out {
    Keyctl::new(t.info.credential_env, args)
        .args(&["-p", t.info.id, "-o", "json"])
        .base(s)
        .run()
        .await
}

// ---------------------------------------------------------------------------------------------
// Every command's lines validate.

#[tokio::test]
async fn relative_update_lines_validate_with_before_and_from() {
    for t in providers() {
        let s = stand_in(&t).await;
        let out = run(&t, &s, &["update", t.key, "--limit", "+10"]).await;
        out.code(0);
        let l = line(&out);
        let id = t.info.id;
        assert_eq!(l["status"], "updated", "{id}: {l}");
        assert_eq!(l["provider"], id, "{id}");
        assert_eq!(l["key"], t.key, "{id}");
        assert!(
            l["before"].is_object(),
            "{id}: a relative limit reads first: {l}"
        );
        assert_num(&l["before"], "limit", 40.0);
        assert_num(&l["after"], "limit", 50.0);
        assert_eq!(l["after"]["id"], t.key, "{id}: {l}");
        assert!(
            l.get("request").is_none(),
            "{id}: request only with -v: {l}"
        );
        let limit = l["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == "limit")
            .unwrap_or_else(|| panic!("{id}: no limit change: {l}"));
        assert_eq!(num(&limit["from"]), 40.0, "{id}: {l}");
        assert_eq!(num(&limit["to"]), 50.0, "{id}: {l}");
    }
}

#[tokio::test]
async fn plain_update_lines_validate_with_and_without_verbose() {
    for t in providers() {
        let id = t.info.id;
        let s = stand_in(&t).await;
        let out = run(&t, &s, &["update", t.key, "--name", "renamed"]).await;
        out.code(0);
        let l = line(&out);
        assert_eq!(l["status"], "updated", "{id}: {l}");
        assert_eq!(
            l["before"],
            Value::Null,
            "{id}: a rename reads nothing: {l}"
        );
        assert_eq!(l["after"]["name"], "renamed", "{id}: {l}");
        assert_eq!(l["after"]["id"], t.key, "{id}: {l}");
        assert_eq!(changed_fields(&l), ["name"], "{id}: {l}");
        assert!(l.get("request").is_none(), "{id}: {l}");

        // -v adds the request (the credential masked); an absolute limit.
        let out = run(&t, &s, &["update", t.key, "--limit", "30", "-v"]).await;
        out.code(0);
        let l = line(&out);
        assert_eq!(l["status"], "updated", "{id}: {l}");
        assert_num(&l["after"], "limit", 30.0);
        let req = &l["request"];
        assert_eq!(req["method"], "PATCH", "{id}: {l}");
        assert!(
            req["url"].as_str().unwrap().ends_with(&t.update_path),
            "{id}: {l}"
        );
        assert!(req["body"].is_object(), "{id}: {l}");
    }
}

#[tokio::test]
async fn dry_run_lines_validate_with_a_read_and_without_credential() {
    for t in providers() {
        let id = t.info.id;
        let s = stand_in(&t).await;
        forbid_patch(&s).await;
        // With the credential: the key is read, so `before` and each change's `from` are known.
        let out = run(&t, &s, &["update", t.key, "--limit", "30", "--dry-run"]).await;
        out.code(0);
        let l = line(&out);
        assert_eq!(l["status"], "dry_run", "{id}: {l}");
        assert!(l["before"].is_object(), "{id}: {l}");
        assert_num(&l["before"], "limit", 40.0);
        assert_num(&l["after"], "limit", 30.0);
        assert_eq!(l["request"]["method"], "PATCH", "{id}: {l}");
        let changes = l["changes"].as_array().unwrap();
        assert!(!changes.is_empty(), "{id}: {l}");
        assert!(
            changes.iter().all(|c| c.get("from").is_some()),
            "{id}: read first, so every change has a `from`: {l}"
        );
        // Without it: nothing is read, `before` is null and no change has a `from`.
        let out = Keyctl::bare(&[
            "update",
            t.key,
            "-p",
            t.info.id,
            "--limit",
            "30",
            "--name",
            "n",
            "--dry-run",
            "-o",
            "json",
        ])
        .base(&s)
        .run()
        .await;
        out.code(0);
        let l = line(&out);
        assert_eq!(l["status"], "dry_run", "{id}: {l}");
        assert_eq!(l["before"], Value::Null, "{id}: {l}");
        assert_num(&l["after"], "limit", 30.0);
        assert_eq!(l["after"]["raw"], Value::Null, "{id}: {l}");
        assert_eq!(changed_fields(&l), ["name", "limit"], "{id}: {l}");
        assert!(
            l["changes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c.get("from").is_none()),
            "{id}: {l}"
        );
    }
}

/// Every flag the provider supports at once, and the fields they change.
// Every set below changes the reset period: the new period's usage is not known from the state
// before, so neither is `remaining` (unless there is no cap), and it is not listed as a change.
fn all_flags(kind: ProviderKind) -> (Vec<&'static str>, Vec<&'static str>) {
    match api(kind) {
        Api::Ionet => (
            vec![
                "--limit",
                "5",
                "--reset",
                "8h",
                "--expires",
                "2030-01-01",
                "--models",
                "a,b",
                "--name",
                "n",
            ],
            vec!["name", "limit", "reset", "expires", "models"],
        ),
        Api::Gates => (
            vec![
                "--limit",
                "none",
                "--reset",
                "never",
                "--name",
                "n",
                "--disable",
                "--yes",
                "--include-byok-in-limit",
                "false",
            ],
            vec![
                "name",
                "disabled",
                "limit",
                "reset",
                "include_byok_in_limit",
                // No cap: nothing remains to count, whatever the period.
                "remaining",
            ],
        ),
        Api::Venice => (
            vec![
                "--limit",
                "5",
                "--limit-diem",
                "none",
                "--limit-vcu",
                "3",
                "--reset",
                "never",
                "--expires",
                "2030-01-01",
                "--name",
                "n",
                "--privacy",
                "private-only",
            ],
            vec![
                "name",
                "limit",
                "limits.diem",
                "limits.vcu",
                "reset",
                "expires",
                "privacy",
            ],
        ),
    }
}

#[tokio::test]
async fn dry_runs_of_every_supported_flag_validate() {
    for t in providers() {
        let id = t.info.id;
        let s = stand_in(&t).await;
        forbid_patch(&s).await;
        let (flags, fields) = all_flags(t.kind);
        let mut args = vec!["update", t.key, "--dry-run"];
        args.extend(flags.iter().copied());
        let l = line(run(&t, &s, &args).await.code(0));
        assert_eq!(l["status"], "dry_run", "{id}: {l}");
        assert_eq!(changed_fields(&l), fields, "{id}: {l}");
        let mut bare = args.clone();
        bare.extend(["-p", t.info.id, "-o", "json"]);
        let l = line(Keyctl::bare(&bare).base(&s).run().await.code(0));
        assert_eq!(l["before"], Value::Null, "{id}: {l}");
        // Without a read, `remaining` is no change of its own.
        let without: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|f| *f != "remaining")
            .collect();
        assert_eq!(changed_fields(&l), without, "{id}: {l}");
    }
}

#[tokio::test]
async fn get_and_list_lines_validate() {
    for t in providers() {
        let id = t.info.id;
        let s = stand_in(&t).await;
        forbid_patch(&s).await;
        let l = line(run(&t, &s, &["get", t.key]).await.code(0));
        assert_eq!(l["status"], "ok", "{id}: {l}");
        assert_eq!(l["key"], t.key, "{id}: {l}");
        assert_eq!(l["after"]["id"], t.key, "{id}: {l}");
        assert_eq!(l["after"]["name"], "ci-runner", "{id}: {l}");
        assert!(!l["after"]["raw"].is_null(), "{id}: {l}");

        let out = run(&t, &s, &["list"]).await;
        out.code(0);
        let ls = lines(&out);
        assert_eq!(ls.len(), 2, "{id}: {}", out.stdout);
        let other = other_key(t.kind, 1);
        for (l, want) in ls.iter().zip([t.key, other.as_str()]) {
            assert_eq!(l["status"], "ok", "{id}: {l}");
            assert_eq!(l["key"], want, "{id}: {l}");
            assert_eq!(l["after"]["id"], want, "{id}: {l}");
        }
    }
}

#[tokio::test]
async fn unchanged_line_validates() {
    for t in providers() {
        let id = t.info.id;
        let s = stand_in(&t).await;
        forbid_patch(&s).await;
        let out = run(
            &t,
            &s,
            &["update", t.key, "--limit", "+10", "--limit-max", "40"],
        )
        .await;
        out.code(0);
        let l = line(&out);
        assert_eq!(l["status"], "unchanged", "{id}: {l}");
        assert_eq!(l["changes"], json!([]), "{id}: {l}");
        assert_eq!(l["before"], l["after"], "{id}: {l}");
        assert_num(&l["after"], "limit", 40.0);
        assert!(l["reason"].as_str().unwrap().contains("40"), "{id}: {l}");
    }
}

/// The error each provider's stand-in answers a missing key with (404).
fn not_found_body(kind: ProviderKind) -> Value {
    match api(kind) {
        Api::Ionet => fixture("ionet/error_404.json"),
        Api::Gates => fixture("modelgates/error_404.json"),
        Api::Venice => fixture("venice/error_404.json"),
    }
}

#[tokio::test]
async fn failed_update_lines_validate() {
    for t in providers() {
        let id = t.info.id;
        let s = server().await;
        Mock::given(method("PATCH"))
            .and(path(t.update_path.as_str()))
            .respond_with(ResponseTemplate::new(404).set_body_json(not_found_body(t.kind)))
            .mount(&s)
            .await;
        let out = run(&t, &s, &["update", t.key, "--name", "x"]).await;
        assert_ne!(out.code, 0, "{id}: {out:?}");
        let l = line(&out);
        assert_eq!(l["status"], "failed", "{id}: {l}");
        assert_eq!(l["error"]["kind"], "not_found", "{id}: {l}");
        assert_eq!(l["error"]["http_status"], 404, "{id}: {l}");
        assert!(l.get("after").is_none(), "{id}: {l}");

        // A failed read (relative limit) is a failed line too, and nothing is sent.
        let s = server().await;
        forbid_patch(&s).await;
        let out = run(&t, &s, &["update", t.key, "--limit", "+1"]).await;
        assert_ne!(out.code, 0, "{id}: {out:?}");
        let l = line(&out);
        assert_eq!(l["status"], "failed", "{id}: {l}");
    }
}

#[tokio::test]
async fn unknown_and_not_attempted_lines_validate() {
    for t in providers() {
        let id = t.info.id;
        // A 2xx answer keyctl cannot read: `unknown`.
        let s = server().await;
        Mock::given(method("PATCH"))
            .and(path(t.update_path.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>ok</html>"))
            .mount(&s)
            .await;
        let out = run(&t, &s, &["update", t.key, "--name", "x"]).await;
        assert_ne!(out.code, 0, "{id}: {out:?}");
        let l = line(&out);
        assert_eq!(l["status"], "unknown", "{id}: {l}");

        // Every write fails and the run stops after the first: the rest are `not_attempted`.
        let s = server().await;
        Mock::given(method("PATCH"))
            .respond_with(ResponseTemplate::new(404).set_body_json(not_found_body(t.kind)))
            .mount(&s)
            .await;
        let keys: Vec<String> = (1..=4).map(|i| other_key(t.kind, i)).collect();
        let mut args = vec![
            "update",
            "--name",
            "x",
            "--concurrency",
            "1",
            "--max-failures",
            "1",
        ];
        args.extend(keys.iter().map(String::as_str));
        let out = run(&t, &s, &args).await;
        assert_ne!(out.code, 0, "{id}: {out:?}");
        let ls = lines(&out);
        let statuses: Vec<&str> = ls.iter().map(|l| l["status"].as_str().unwrap()).collect();
        assert_eq!(statuses.len(), 4, "{id}: {}", out.stdout);
        assert_eq!(statuses[0], "failed", "{id}: {statuses:?}");
        assert!(statuses.contains(&"not_attempted"), "{id}: {statuses:?}");
        for (l, k) in ls.iter().zip(&keys) {
            assert_eq!(&l["key"], k, "{id}: output in input order");
        }
    }
}

#[tokio::test]
async fn run_is_one_per_invocation_and_new_for_each() {
    let t = &providers()[0];
    let s = stand_in(t).await;
    let a = lines(run(t, &s, &["list"]).await.code(0));
    let b = lines(run(t, &s, &["list"]).await.code(0));
    assert!(a.len() > 1);
    // `lines` checked one id across the lines of a run; runs differ.
    assert_ne!(a[0]["run"], b[0]["run"]);
    let mut ids: Vec<Value> = Vec::new();
    for p in providers() {
        let s = stand_in(&p).await;
        let l = line(run(&p, &s, &["get", p.key]).await.code(0));
        assert!(!ids.contains(&l["run"]), "{} reused a run id", p.info.id);
        ids.push(l["run"].clone());
    }
}

// ---------------------------------------------------------------------------------------------
// Usage and remaining per provider, as `get -o json` shows them.

/// `get KEY -o json` of provider `t` on `s`: the key (`after`).
async fn get(t: &TestProvider, s: &MockServer) -> Value {
    let l = line(run(t, s, &["get", t.key]).await.code(0));
    assert_eq!(l["status"], "ok", "{l}");
    l["after"].clone()
}

#[tokio::test]
async fn gates_usage_is_the_counter_of_the_reset_period() {
    // (limit_reset, limit, limit_remaining (None: absent), reset, usage, remaining)
    type Case = (Value, Value, Option<Value>, &'static str, f64, Option<f64>);
    let cases: [Case; 9] = [
        (
            json!("daily"),
            json!(40),
            Some(json!(27.5)),
            "daily",
            12.5,
            Some(27.5),
        ),
        (json!("weekly"), json!(40), None, "weekly", 30.0, Some(10.0)),
        (
            json!("monthly"),
            json!(100),
            Some(json!(20)),
            "monthly",
            80.0,
            Some(20.0),
        ),
        (
            json!("monthly"),
            json!(100),
            None,
            "monthly",
            80.0,
            Some(20.0),
        ),
        (Value::Null, json!(150), None, "never", 120.25, Some(29.75)),
        // The provider's own figure wins over limit - usage.
        (
            json!("daily"),
            json!(40),
            Some(json!(5)),
            "daily",
            12.5,
            Some(5.0),
        ),
        // A null figure: limit - usage.
        (
            json!("daily"),
            json!(40),
            Some(Value::Null),
            "daily",
            12.5,
            Some(27.5),
        ),
        // Over the cap: never below 0.
        (json!("weekly"), json!(25), None, "weekly", 30.0, Some(0.0)),
        // No cap: remaining is null whatever the provider says.
        (
            json!("daily"),
            Value::Null,
            Some(Value::Null),
            "daily",
            12.5,
            None,
        ),
    ];
    for t in providers()
        .into_iter()
        .filter(|t| api(t.kind) == Api::Gates)
    {
        for (limit_reset, limit, limit_remaining, reset, usage, remaining) in cases.clone() {
            let mut k = gates_key(t.key);
            k["limit_reset"] = limit_reset;
            k["limit"] = limit.clone();
            match limit_remaining {
                Some(r) => k["limit_remaining"] = r,
                None => {
                    k.as_object_mut().unwrap().remove("limit_remaining");
                }
            }
            let s = server().await;
            mount_get(&s, &t.update_path, json!({ "data": k })).await;
            let a = get(&t, &s).await;
            let ctx = format!("{}: {k}\n{a:#}", t.info.id);
            assert_eq!(a["reset"], reset, "{ctx}");
            assert_eq!(a["unit"], "usd", "{ctx}");
            assert_num(&a, "usage", usage);
            assert_num(&a, "usage_total", 120.25);
            assert_eq!(a["limit"].is_null(), limit.is_null(), "{ctx}");
            match remaining {
                Some(r) => assert_num(&a, "remaining", r),
                None => assert_eq!(a["remaining"], Value::Null, "{ctx}"),
            }
            assert_eq!(a["limits"], Value::Null, "{ctx}");
            assert_eq!(a["models"], Value::Null, "{ctx}");
            assert_eq!(a["privacy"], Value::Null, "{ctx}");
            assert_eq!(a["include_byok_in_limit"], true, "{ctx}");
            assert_eq!(a["updated"], "2025-08-24T16:00:00Z", "{ctx}");
        }
    }
}

#[tokio::test]
async fn ionet_usage_is_credits_used_and_remaining_its_figure() {
    let t = providers()
        .into_iter()
        .find(|t| t.kind == ProviderKind::Ionet)
        .expect("io.net is in the table");
    // (cycle, used, limit, remaining_credit (None: absent), remaining)
    let cases: [(&str, f64, f64, Option<f64>, f64); 6] = [
        ("weekly", 3.5, 40.0, Some(36.5), 36.5),
        ("8h", 3.5, 40.0, None, 36.5),
        ("daily", 10.0, 40.0, None, 30.0),
        ("monthly", 0.0, 40.0, None, 40.0),
        // The provider's own figure wins over limit - used.
        ("daily", 10.0, 40.0, Some(25.0), 25.0),
        // Over the cap: never below 0.
        ("weekly", 45.0, 40.0, None, 0.0),
    ];
    for (cycle, used, limit, remaining_credit, remaining) in cases {
        let mut usage = json!({"key_id": t.key, "credit_used": used, "credit_limit": limit,
                               "credit_refresh_cycle": cycle});
        if let Some(r) = remaining_credit {
            usage["remaining_credit"] = json!(r);
        }
        let mut entry = ionet_entry(t.key);
        entry["credit_used"] = json!(used);
        entry["credit_limit"] = json!(limit);
        entry["credit_refresh_cycle"] = json!(cycle);
        let s = server().await;
        mount_ionet(
            &s,
            t.key,
            json!({"status": "succeeded", "data": usage}),
            entry,
        )
        .await;
        let a = get(&t, &s).await;
        let ctx = format!("{usage}\n{a:#}");
        assert_eq!(a["unit"], "credits", "{ctx}");
        assert_eq!(a["reset"], cycle, "{ctx}");
        assert_num(&a, "usage", used);
        assert_num(&a, "limit", limit);
        assert_num(&a, "remaining", remaining);
        assert_eq!(a["disabled"], Value::Null, "{ctx}");
        assert_eq!(a["models"], json!(["llama-3", "qwen"]), "{ctx}");
        assert_eq!(a["name"], "ci-runner", "{ctx}");
        assert_eq!(a["expires"], "2026-12-31T00:00:00Z", "{ctx}");
    }
}

#[tokio::test]
async fn venice_usage_is_the_period_usd_and_remaining_the_rest_of_the_cap() {
    let t = providers()
        .into_iter()
        .find(|t| t.kind == ProviderKind::Venice)
        .expect("Venice is in the table");
    // (limitPeriod, usd cap, currentPeriodUsage (None: absent), reset, usage, remaining)
    // A None usage or remaining is absent (not known).
    type Case = (
        &'static str,
        Value,
        Option<Value>,
        &'static str,
        Option<f64>,
        Option<Value>,
    );
    let cases: [Case; 6] = [
        (
            "EPOCH",
            json!(40),
            Some(json!({"usd": "12.5", "diem": "1"})),
            "daily",
            Some(12.5),
            Some(json!(27.5)),
        ),
        (
            "MONTH",
            json!(40),
            Some(json!({"usd": "0", "diem": "0"})),
            "monthly",
            Some(0.0),
            Some(json!(40)),
        ),
        (
            "LIFETIME",
            json!(5),
            Some(json!({"usd": "7.25"})),
            "never",
            Some(7.25),
            Some(json!(0)),
        ),
        ("MONTH", json!(40), None, "monthly", None, None),
        // No USD cap: remaining null.
        (
            "MONTH",
            Value::Null,
            Some(json!({"usd": "3"})),
            "monthly",
            Some(3.0),
            Some(Value::Null),
        ),
        (
            "EPOCH",
            json!(10.5),
            Some(json!({"usd": "10.2424"})),
            "daily",
            Some(10.2424),
            Some(json!(0.2576)),
        ),
    ];
    for (period, usd, current, reset, usage, remaining) in cases {
        let mut k = venice_key(t.key);
        k["limitPeriod"] = json!(period);
        k["consumptionLimits"]["usd"] = usd.clone();
        match current {
            Some(c) => k["currentPeriodUsage"] = c,
            None => {
                k.as_object_mut().unwrap().remove("currentPeriodUsage");
            }
        }
        let s = server().await;
        mount_get(
            &s,
            &format!("/api/v1/api_keys/{}", t.key),
            json!({"data": k, "success": true}),
        )
        .await;
        let a = get(&t, &s).await;
        let ctx = format!("{k}\n{a:#}");
        assert_eq!(a["reset"], reset, "{ctx}");
        assert_eq!(a["unit"], "usd", "{ctx}");
        match usage {
            Some(u) => assert_num(&a, "usage", u),
            None => assert!(a.get("usage").is_none(), "usage not known: {ctx}"),
        }
        match remaining {
            Some(Value::Null) => assert_eq!(a["remaining"], Value::Null, "{ctx}"),
            Some(r) => assert_num(&a, "remaining", r.as_f64().unwrap()),
            None => assert!(a.get("remaining").is_none(), "remaining not known: {ctx}"),
        }
        assert_eq!(a["limit"].is_null(), usd.is_null(), "{ctx}");
        assert_eq!(a["limits"]["usd"].is_null(), usd.is_null(), "{ctx}");
        assert_num(&a["limits"], "diem", 10.0);
        assert_eq!(a["limits"]["vcu"], Value::Null, "{ctx}");
        assert_eq!(a["privacy"], "private-text", "{ctx}");
        assert_eq!(a["disabled"], Value::Null, "{ctx}");
        assert_eq!(a["last_used"], "2025-09-01T08:00:00Z", "{ctx}");
        assert_eq!(a["created"], "2025-08-24T10:30:00Z", "{ctx}");
    }
}

#[tokio::test]
async fn numbers_given_as_strings_or_exponents_come_out_as_json_numbers() {
    for t in providers()
        .into_iter()
        .filter(|t| api(t.kind) == Api::Gates)
    {
        let mut k = gates_key(t.key);
        k["limit"] = json!("70");
        k["limit_reset"] = Value::Null;
        k["usage"] = serde_json::from_str("1.5e1").unwrap();
        k.as_object_mut().unwrap().remove("limit_remaining");
        let s = server().await;
        mount_get(&s, &t.update_path, json!({ "data": k })).await;
        let a = get(&t, &s).await;
        assert_num(&a, "limit", 70.0);
        assert_num(&a, "usage", 15.0);
        assert_num(&a, "usage_total", 15.0);
        assert_num(&a, "remaining", 55.0);
    }
}

/// The model says `remaining` is never below 0; a provider's own negative figure (a key that
/// went over its cap) comes out as it is.
#[tokio::test]
async fn remaining_is_never_below_zero_even_when_the_provider_says_so() {
    for t in providers() {
        let s = server().await;
        match api(t.kind) {
            Api::Ionet => {
                let mut entry = ionet_entry(t.key);
                entry["credit_used"] = json!(12);
                entry["credit_limit"] = json!(10);
                let usage = json!({"status": "succeeded", "data": {"key_id": t.key,
                    "credit_used": 12, "credit_limit": 10, "remaining_credit": -2,
                    "credit_refresh_cycle": "daily"}});
                mount_ionet(&s, t.key, usage, entry).await;
            }
            Api::Gates => {
                let mut k = gates_key(t.key);
                k["limit"] = json!(10);
                k["limit_remaining"] = json!(-2.5);
                mount_get(&s, &t.update_path, json!({ "data": k })).await;
            }
            // Venice reports no remaining figure of its own.
            Api::Venice => continue,
        }
        let a = get(&t, &s).await;
        assert_num(&a, "remaining", 0.0);
    }
}

// ---------------------------------------------------------------------------------------------
// The schemas are not vacuous.

/// A key every field of which is known.
fn full_key() -> Value {
    json!({"provider": "venice", "id": "k1", "name": "ci", "disabled": null, "limit": 40,
           "unit": "usd", "limits": {"usd": 40, "diem": 10, "vcu": null}, "reset": "monthly",
           "usage": 12.5, "remaining": 27.5, "usage_total": null, "expires": null,
           "created": "2025-08-24T10:30:00Z", "updated": null,
           "last_used": "2025-09-01T08:00:00.123Z", "models": null, "privacy": "private-text",
           "include_byok_in_limit": null, "raw": {"id": "k1"}})
}

fn full_line() -> Value {
    json!({"time": "2026-11-23T16:18:57.734Z", "run": "8f0c6c1e-4b7a-4d2e-9a51-0c3e5b7d9f10",
           "provider": "venice", "key": "k1", "status": "updated", "before": full_key(),
           "after": full_key(), "changes": [{"field": "limit", "from": 30, "to": 40}]})
}

#[test]
fn schemas_accept_the_full_examples() {
    let s = schemas();
    assert!(
        errors(&s.key, &full_key()).is_empty(),
        "{:?}",
        errors(&s.key, &full_key())
    );
    let l = full_line();
    assert!(
        errors(&s.result, &l).is_empty(),
        "{:?}",
        errors(&s.result, &l)
    );
    // The smallest key: only what is always there.
    let min = json!({"provider": "ionet", "id": "k", "unit": "credits", "raw": null});
    assert!(s.key.is_valid(&min));
    for (status, extra) in [
        ("ok", json!({"after": min})),
        (
            "dry_run",
            json!({"before": null, "after": min, "changes": [{"field": "limit", "to": 5}],
                           "request": {"method": "PATCH", "url": "https://x.test/a", "headers": {"x-api-key": "****"}, "body": {"credit_limit": 5}}}),
        ),
        (
            "unchanged",
            json!({"before": min, "after": min, "changes": [], "reason": "at the cap"}),
        ),
        (
            "failed",
            json!({"error": {"kind": "not_found", "http_status": 404, "message": "gone"}}),
        ),
        (
            "unknown",
            json!({"error": {"kind": "timeout", "message": "no answer"}}),
        ),
        ("not_attempted", json!({})),
    ] {
        let mut l = json!({"time": "2026-11-23T16:18:57Z", "run": "8f0c6c1e-4b7a-4d2e-9a51-0c3e5b7d9f10",
                           "provider": "ionet", "key": "k", "status": status});
        for (k, v) in extra.as_object().unwrap() {
            l[k] = v.clone();
        }
        assert!(
            errors(&s.result, &l).is_empty(),
            "{status}: {:?}",
            errors(&s.result, &l)
        );
    }
}

#[test]
fn schemas_reject_bad_examples() {
    let s = schemas();
    type Edit = fn(&mut Value);
    let key_edits: [(&str, Edit); 14] = [
        ("a number as a string", |k| k["limit"] = json!("40")),
        ("usage as a string", |k| k["usage"] = json!("12.5")),
        ("an unknown field", |k| k["colour"] = json!("blue")),
        ("no id", |k| {
            k.as_object_mut().unwrap().remove("id");
        }),
        ("no raw", |k| {
            k.as_object_mut().unwrap().remove("raw");
        }),
        ("no unit", |k| {
            k.as_object_mut().unwrap().remove("unit");
        }),
        ("an unknown unit", |k| k["unit"] = json!("eur")),
        ("an unknown reset", |k| k["reset"] = json!("hourly")),
        ("a negative remaining", |k| k["remaining"] = json!(-1)),
        ("a time not in UTC", |k| {
            k["created"] = json!("2025-08-24T12:30:00+02:00")
        }),
        ("a time that is no time", |k| k["expires"] = json!("soon")),
        ("models not strings", |k| k["models"] = json!([1])),
        ("a limits currency missing", |k| {
            k["limits"] = json!({"usd": 1, "diem": 2})
        }),
        ("an unknown provider", |k| k["provider"] = json!("acme")),
    ];
    for (what, edit) in key_edits {
        let mut k = full_key();
        edit(&mut k);
        assert!(!s.key.is_valid(&k), "key schema accepts {what}: {k}");
        // And a line carrying that key.
        let mut l = full_line();
        l["after"] = k;
        assert!(
            !s.result.is_valid(&l),
            "result schema accepts {what} in `after`"
        );
    }
    let line_edits: [(&str, Edit); 19] = [
        ("an unknown field", |l| l["extra"] = json!(1)),
        ("no run", |l| {
            l.as_object_mut().unwrap().remove("run");
        }),
        ("a run that is no UUID", |l| l["run"] = json!("run-1")),
        ("a time not in UTC", |l| {
            l["time"] = json!("2026-11-23T17:18:57+01:00")
        }),
        ("an unknown status", |l| l["status"] = json!("done")),
        ("an updated line without after", |l| {
            l.as_object_mut().unwrap().remove("after");
        }),
        ("an updated line with an error", |l| {
            l["error"] = json!({"kind": "auth", "message": "no"})
        }),
        ("an ok line with changes", |l| {
            l["status"] = json!("ok");
            l.as_object_mut().unwrap().remove("before");
        }),
        ("a dry run without its request", |l| {
            l["status"] = json!("dry_run")
        }),
        (
            "a failed line without its error",
            |l| *l = json!({"time": l["time"], "run": l["run"], "provider": "venice", "key": "k1", "status": "failed"}),
        ),
        ("a change of an unknown field", |l| {
            l["changes"] = json!([{"field": "colour", "to": 1}])
        }),
        ("a change with no `to`", |l| {
            l["changes"] = json!([{"field": "limit", "from": 1}])
        }),
        ("a `from` without a read", |l| l["before"] = Value::Null),
        ("a secret on an updated line", |l| {
            l["secret"] = json!("sk-x")
        }),
        ("a created line without its secret", |l| {
            l["status"] = json!("created");
            for f in ["before", "changes"] {
                l.as_object_mut().unwrap().remove(f);
            }
        }),
        ("a created line with both secret and secret_file", |l| {
            l["status"] = json!("created");
            for f in ["before", "changes"] {
                l.as_object_mut().unwrap().remove(f);
            }
            l["secret"] = json!("sk-x");
            l["secret_file"] = json!("/tmp/k");
        }),
        ("a rotated line without its new key", |l| {
            l["status"] = json!("rotated");
            l["secret"] = json!("sk-x");
            l["old_key"] = json!({"action": "disabled", "done": true});
        }),
        ("a partial line without its error", |l| {
            l["status"] = json!("partial");
            l["secret"] = json!("sk-x");
            l["new_key"] = json!("k2");
            l["old_key"] = json!({"action": "disabled", "done": false});
        }),
        ("notes on an updated line", |l| l["notes"] = json!(["x"])),
    ];
    for (what, edit) in line_edits {
        let mut l = full_line();
        edit(&mut l);
        assert!(!s.result.is_valid(&l), "result schema accepts {what}: {l}");
    }
    let error_edits: [(&str, Value); 3] = [
        (
            "an unknown error kind",
            json!({"kind": "oops", "message": "m"}),
        ),
        ("an error without message", json!({"kind": "auth"})),
        (
            "a status as a string",
            json!({"kind": "auth", "http_status": "401", "message": "m"}),
        ),
    ];
    for (what, error) in error_edits {
        let l = json!({"time": "2026-11-23T16:18:57.734Z", "run": "8f0c6c1e-4b7a-4d2e-9a51-0c3e5b7d9f10",
                       "provider": "venice", "key": "k1", "status": "failed", "error": error});
        assert!(!s.result.is_valid(&l), "result schema accepts {what}: {l}");
    }
}

#[test]
fn schemas_name_every_provider_change_field_and_error_kind() {
    let key = schema_file("key.schema.json");
    let mut ids: Vec<&str> = provider::all().iter().map(|p| p.info().id).collect();
    ids.sort_unstable();
    let mut in_schema: Vec<&str> = key["properties"]["provider"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    in_schema.sort_unstable();
    assert_eq!(in_schema, ids, "the provider enum is the provider table");
    let result = schema_file("result.schema.json");
    assert_eq!(
        result["$defs"]["change"]["properties"]["field"]["enum"],
        json!(keyctl::key::CHANGE_FIELDS)
    );
    // The key schema lists exactly the fields `Key::to_json` can write.
    let k = keyctl::key::Key::unread("ionet", "k", keyctl::key::Unit::Credits);
    let mut fields: Vec<&str> = vec!["provider", "id", "raw"];
    fields.extend(k.fields().iter().map(|(n, _)| *n));
    fields.sort_unstable();
    let mut props: Vec<&str> = key["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    props.sort_unstable();
    assert_eq!(props, fields);
}

// ---------------------------------------------------------------------------------------------
// create, revoke and rotate lines validate.

/// The provider's answer to a create: the new key and its secret where the provider puts it.
fn create_answer(kind: ProviderKind) -> ResponseTemplate {
    let (status, body) = created(kind);
    ResponseTemplate::new(status).set_body_json(body)
}

/// The status and body of [`create_answer`].
fn created(kind: ProviderKind) -> (u16, Value) {
    match api(kind) {
        Api::Ionet => (
            201,
            json!({"status": "succeeded",
            "data": {"key_id": other_key(kind, 7), "value": "io-v2-NEWSECRET-abcdef0123456789",
                     "display": "io-v2-NEW...789", "description": "new", "credit_limit": 5,
                     "credit_refresh_cycle": "monthly", "allowed_models": null,
                     "expires_at": "2027-05-22T00:00:00"}}),
        ),
        Api::Gates => (
            201,
            json!({"data": gates_key(&other_key(kind, 7)), "key": "sk-or-v1-NEWSECRET-0123456789abcdef"}),
        ),
        Api::Venice => (
            200,
            json!({"success": true,
            "data": {"id": other_key(kind, 7), "apiKey": "VENICE_INFERENCE_KEY_NEWSECRET0123",
                     "apiKeyType": "INFERENCE", "description": "new", "expiresAt": null,
                     "consumptionLimit": {"usd": 5, "diem": null, "vcu": null},
                     "limitPeriod": "EPOCH", "modelPrivacy": "ALL"}}),
        ),
    }
}

/// The provider's answer to a delete.
fn delete_answer(kind: ProviderKind) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(match api(kind) {
        Api::Ionet => json!({"status": "succeeded"}),
        Api::Gates => json!({"deleted": true}),
        Api::Venice => json!({"success": true}),
    })
}

/// A stand-in that also creates and deletes (Venice: and reads the new key back, holding the
/// caps its create sent).
async fn lifecycle_stand_in(t: &TestProvider) -> MockServer {
    let s = stand_in(t).await;
    if api(t.kind) == Api::Venice {
        crate::common::venice_read_back(&s, &created(t.kind).1).await;
    }
    Mock::given(method("POST"))
        .respond_with(create_answer(t.kind))
        .mount(&s)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(delete_answer(t.kind))
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn create_revoke_and_rotate_lines_validate() {
    let dir = tempfile::tempdir().unwrap();
    for t in providers() {
        let s = lifecycle_stand_in(&t).await;
        let id = t.info.id;
        // create: the secret in the line, or the file it went to; a plan without an id.
        let l = line(
            run(&t, &s, &["create", "--name", "new", "--limit", "5"])
                .await
                .code(0),
        );
        assert_eq!(l["status"], "created", "{id}");
        assert!(l["secret"].as_str().unwrap().contains("NEWSECRET"), "{id}");
        let file = dir.path().join(format!("{id}.key"));
        let args = [
            "create",
            "--name",
            "new",
            "--secret-file",
            file.to_str().unwrap(),
        ];
        let l = line(run(&t, &s, &args).await.code(0));
        assert!(
            l.get("secret").is_none() && l["secret_file"].is_string(),
            "{id}"
        );
        let l = line(
            run(&t, &s, &["create", "--name", "new", "--dry-run"])
                .await
                .code(0),
        );
        assert_eq!(
            (&l["status"], &l["key"]),
            (&json!("dry_run"), &json!("")),
            "{id}"
        );
        // revoke, its plan, and rotate (default, keep, revoke) and its plan.
        let l = line(run(&t, &s, &["revoke", t.key, "--yes"]).await.code(0));
        assert_eq!(l["status"], "revoked", "{id}");
        assert_eq!(l["before"]["name"], "ci-runner", "{id}");
        let l = line(run(&t, &s, &["revoke", t.key, "--dry-run"]).await.code(0));
        assert_eq!(l["request"]["method"], "DELETE", "{id}");
        for old in [None, Some("keep"), Some("revoke")] {
            let mut args = vec!["rotate", t.key, "--yes"];
            if let Some(o) = old {
                args.extend(["--old", o]);
            }
            let l = line(run(&t, &s, &args).await.code(0));
            assert_eq!(l["status"], "rotated", "{id} {old:?}");
            assert_eq!(l["new_key"], json!(other_key(t.kind, 7)), "{id}");
            assert_eq!(l["old_key"]["done"], true, "{id}");
        }
        let l = line(run(&t, &s, &["rotate", t.key, "--dry-run"]).await.code(0));
        assert!(
            l["notes"][0]
                .as_str()
                .unwrap()
                .starts_with("then the old key"),
            "{id}"
        );
    }
}

#[tokio::test]
async fn not_found_and_partial_lines_validate() {
    let t = crate::common::test_provider(ProviderKind::OpenRouter);
    let s = server().await;
    mount_reads(&s, &t).await;
    let gone = other_key(t.kind, 9);
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{gone}")))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"code": 404, "message": "Key not found"}})),
        )
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .respond_with(create_answer(t.kind))
        .mount(&s)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"code": 400, "message": "cannot disable"}})),
        )
        .mount(&s)
        .await;
    let l = line(run(&t, &s, &["revoke", &gone, "--yes"]).await.code(4));
    assert_eq!(l["status"], "not_found");
    let l = line(run(&t, &s, &["rotate", t.key]).await.code(5));
    assert_eq!(l["status"], "partial");
    assert_eq!(l["old_key"], json!({"action": "disabled", "done": false}));
    assert!(l["secret"].as_str().unwrap().contains("NEWSECRET"));
    assert!(
        l["error"]["message"]
            .as_str()
            .unwrap()
            .contains("may still be active")
    );
}
