//! Issue 22, attacked: a hostile read-back of a new Venice key (`GET /api/v1/api_keys/{id}`
//! after a create or a rotation's successor that set caps). An answer for another key is not
//! the new key's (nothing shown or recorded as it, the old key kept); a secret in the answer is
//! never printed; the command a differing read-back gives sets what was sent, a cap read back
//! where none was sent cleared. Requests counted.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Keyctl, Out, SECRET, VENICE_KEY, seen, server};

const ENV: &str = "VENICE_ADMIN_KEY";
const NEW_UUID: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";
const OTHER_UUID: &str = "11111111-2222-4333-8444-555555555555";
const VENICE_NEW: &str = "VENICE_INFERENCE_KEY_NEWKEY_readback_q8w7e6r5t4y3";
const OTHER_SECRET: &str = "VENICE_INFERENCE_KEY_OTHERKEY_zz9y8x7w6v5u4t3s";

fn created() -> Value {
    json!({"success": true, "data": {
        "id": NEW_UUID, "apiKey": VENICE_NEW, "apiKeyType": "INFERENCE", "description": "ci",
        "expiresAt": null, "consumptionLimit": {"usd": null, "diem": 0.3, "vcu": 30},
        "limitPeriod": "MONTH", "modelPrivacy": "ALL"}})
}

fn read_as(id: &str, limits: Value, extra: Value) -> Value {
    let mut d = json!({
        "id": id, "apiKeyType": "INFERENCE", "description": "ci",
        "createdAt": "2026-11-23T10:00:00.000Z", "expiresAt": null, "lastUsedAt": null,
        "last6Chars": "q8w7e6", "consumptionLimits": limits, "limitPeriod": "MONTH",
        "modelPrivacy": "ALL"});
    if let (Some(o), Some(e)) = (d.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    json!({ "data": d })
}

fn good() -> Value {
    json!({"usd": 0, "diem": 10})
}

async fn mount(readback: ResponseTemplate) -> MockServer {
    let server = server().await;
    crate::common::no_keys(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(created()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{NEW_UUID}")))
        .respond_with(readback)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "id": VENICE_KEY, "apiKeyType": "INFERENCE", "description": "ci",
            "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": null, "lastUsedAt": null,
            "consumptionLimits": {"usd": 0, "diem": 10}, "limitPeriod": "MONTH",
            "modelPrivacy": "ALL"}})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&server)
        .await;
    server
}

async fn create(server: &MockServer, state: &std::path::Path, extra: &[&str]) -> Out {
    Keyctl::new(
        ENV,
        &[
            "create",
            "-p",
            "venice",
            "--name",
            "ci",
            "--limit",
            "0",
            "--limit-diem",
            "10",
        ],
    )
    .base(server)
    .args(&["--reset", "monthly", "--retries", "0"])
    .args(extra)
    .env("XDG_STATE_HOME", state.to_str().unwrap())
    .env("KEYCTL_AUDIT", "on")
    .run()
    .await
}

async fn rotate(server: &MockServer, state: &std::path::Path, extra: &[&str]) -> Out {
    Keyctl::new(ENV, &["rotate", "-p", "venice", VENICE_KEY])
        .base(server)
        .args(&["--retries", "0", "--old", "revoke", "--yes"])
        .args(extra)
        .env("XDG_STATE_HOME", state.to_str().unwrap())
        .env("KEYCTL_AUDIT", "on")
        .run()
        .await
}

fn audit(state: &std::path::Path) -> String {
    std::fs::read_to_string(state.join("keyctl/audit.jsonl")).unwrap_or_default()
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn deletes(seen: &[String]) -> usize {
    seen.iter().filter(|r| r.starts_with("DELETE")).count()
}

#[tokio::test]
async fn a_read_back_answering_for_another_key_is_not_taken_for_the_new_one() {
    let server = mount(ok(read_as(OTHER_UUID, good(), json!({})))).await;
    let dir = tempfile::tempdir().unwrap();
    let out = create(&server, dir.path(), &["-o", "json"]).await;
    // The key is made and its secret shown: the run succeeds, with the read-back's warning.
    out.code(0);
    let line = &out.json_lines()[0];
    assert_eq!(line["secret"], VENICE_NEW);
    assert_eq!(line["after"]["id"], NEW_UUID, "{line}");
    assert!(!out.stdout.contains(OTHER_UUID), "{}", out.stdout);
    out.stderr_has("could not be read back")
        .stderr_has(&format!("the answer is for another key ({OTHER_UUID})"));
    let trail = audit(dir.path());
    assert!(
        trail.contains(&format!("\"new_key\":\"{NEW_UUID}\"")),
        "{trail}"
    );
    assert!(!trail.contains(OTHER_UUID), "{trail}");

    // A rotation keeps the old key: the successor's caps were not read.
    let server = mount(ok(read_as(OTHER_UUID, good(), json!({})))).await;
    let dir = tempfile::tempdir().unwrap();
    let out = rotate(&server, dir.path(), &["-o", "json"]).await;
    out.code(7);
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "partial", "{line}");
    assert_eq!(line["new_key"], NEW_UUID, "{line}");
    assert_eq!(line["after"]["id"], NEW_UUID, "{line}");
    assert_eq!(line["old_key"]["done"], false, "{line}");
    let s = seen(&server).await;
    assert_eq!(deletes(&s), 0, "{s:?}");
    let trail = audit(dir.path());
    assert!(trail.contains("\"status\":\"partial\""), "{trail}");
    assert!(
        trail.contains(&format!("\"new_key\":\"{NEW_UUID}\"")),
        "{trail}"
    );
    assert!(trail.contains("the answer is for another key"), "{trail}");

    // The same id in capitals is the same key: read back, shown as created.
    let server = mount(ok(read_as(&NEW_UUID.to_uppercase(), good(), json!({})))).await;
    let dir = tempfile::tempdir().unwrap();
    let out = rotate(&server, dir.path(), &["-o", "json"]).await;
    out.code(0);
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "rotated", "{line}");
    assert_eq!(line["after"]["id"], NEW_UUID, "{line}");
    assert_eq!(deletes(&seen(&server).await), 1);
}

#[tokio::test]
async fn a_secret_in_the_read_back_is_never_printed_or_recorded() {
    for extra in [
        json!({"apiKey": OTHER_SECRET}),
        json!({"key": OTHER_SECRET, "api_key": OTHER_SECRET}),
        json!({"apiKey": VENICE_NEW}),
        json!({"apiKey": SECRET}),
    ] {
        for cmd in ["create", "rotate"] {
            let server = mount(ok(read_as(NEW_UUID, good(), extra.clone()))).await;
            let dir = tempfile::tempdir().unwrap();
            let out = if cmd == "create" {
                create(&server, dir.path(), &["-o", "json"]).await
            } else {
                rotate(&server, dir.path(), &["-o", "json"]).await
            };
            out.code(0);
            let line = &out.json_lines()[0];
            // Read back as the new key: its caps shown, no secret field in `raw`.
            assert_eq!(line["after"]["limits"]["diem"], 10, "{line}");
            let raw = line["after"]["raw"].as_object().unwrap();
            for f in ["apiKey", "key", "api_key"] {
                assert!(raw.get(f).is_none(), "{extra} {cmd}: {f} in {line}");
            }
            assert!(!out.stdout.contains(OTHER_SECRET), "{}", out.stdout);
            assert_eq!(out.stdout.matches(VENICE_NEW).count(), 1, "{}", out.stdout);
            assert!(
                !out.stderr.contains("VENICE_INFERENCE_KEY"),
                "{}",
                out.stderr
            );
            let trail = audit(dir.path());
            assert!(!trail.is_empty());
            for s in [OTHER_SECRET, VENICE_NEW, SECRET, "TOPSECRET"] {
                assert!(!trail.contains(s), "{cmd}: {s} in {trail}");
            }
        }
    }
}

/// The first command in backticks after `after` in `msg`, as argv (no quoting in it).
fn command_after<'a>(msg: &'a str, after: &str) -> Vec<&'a str> {
    let at = msg
        .find(after)
        .unwrap_or_else(|| panic!("{after} not in {msg}"));
    let rest = &msg[at..];
    let start = rest.find("`keyctl ").unwrap() + "`keyctl ".len();
    let end = start + rest[start..].find('`').unwrap();
    rest[start..end].split_whitespace().collect()
}

/// Runs the update a message gives against `server` (the new key read back with a vcu cap,
/// its PATCH answered): the PATCH it sent.
async fn run_update(server: &MockServer, argv: &[&str]) -> Value {
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ok(read_as(NEW_UUID, good(), json!({}))))
        .mount(server)
        .await;
    let out = Keyctl::new(ENV, argv).args(&["--retries", "0"]).run().await;
    out.code(0);
    let reqs = server.received_requests().await.unwrap();
    let patch = reqs
        .iter()
        .rfind(|r| r.method.as_str() == "PATCH")
        .expect("the update sent a PATCH");
    serde_json::from_slice(&patch.body).unwrap()
}

#[tokio::test]
async fn the_command_for_a_cap_read_back_where_none_was_sent_clears_it() {
    // Sent usd 0, diem 10, no vcu; read back with vcu 30.
    let odd = || {
        ok(read_as(
            NEW_UUID,
            json!({"usd": 0, "diem": 10, "vcu": 30}),
            json!({}),
        ))
    };
    let server = mount(odd()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = create(&server, dir.path(), &["-o", "json"]).await;
    out.code(0);
    out.stderr_has("vcu: sent none, read back 30");
    let argv = command_after(&out.stderr, "Set them with");
    assert_eq!(argv[0], "update");
    let sent = run_update(&server, &argv).await;
    assert_eq!(
        sent,
        json!({"id": NEW_UUID, "consumptionLimit": {"usd": 0, "diem": 10, "vcu": null}})
    );

    let server = mount(odd()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = rotate(&server, dir.path(), &["-o", "json"]).await;
    out.code(7);
    let msg = out.json_lines()[0]["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let argv = command_after(&msg, "Give the successor the caps");
    let sent = run_update(&server, &argv).await;
    assert_eq!(
        sent,
        json!({"id": NEW_UUID, "consumptionLimit": {"usd": 0, "diem": 10, "vcu": null}})
    );
    assert_eq!(deletes(&seen(&server).await), 0);
}
