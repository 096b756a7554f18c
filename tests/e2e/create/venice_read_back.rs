//! Issue 22: a Venice create (or a rotation's successor) that sets caps is read back once its
//! secret is delivered: the caps its answer echoes can be wrong (a `diem` derived from `vcu`, a
//! `usd` of 0 echoed as `null`). The state shown is the read-back; a read-back that differs from
//! what was sent is one warning naming each currency; one that fails only warns (the key and its
//! secret stay shown). A rotation retires the old key only when the successor, read back, holds
//! the caps copied to it. Requests counted.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Keyctl, Out, VENICE_KEY, seen, server};

const ENV: &str = "VENICE_ADMIN_KEY";
const NEW_UUID: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";
const VENICE_NEW: &str = "VENICE_INFERENCE_KEY_NEWKEY_readback_q8w7e6r5t4y3";

/// The create answer, echoing `echo` as the caps.
fn created(echo: Value) -> Value {
    json!({"success": true, "data": {
        "id": NEW_UUID, "apiKey": VENICE_NEW, "apiKeyType": "INFERENCE", "description": "ci",
        "expiresAt": null, "consumptionLimit": echo, "limitPeriod": "MONTH",
        "modelPrivacy": "ALL"}})
}

/// The new key as `GET /api/v1/api_keys/{id}` shows it, with `limits`.
fn read(limits: Value) -> Value {
    json!({"data": {
        "id": NEW_UUID, "apiKeyType": "INFERENCE", "description": "ci",
        "createdAt": "2026-11-23T10:00:00.000Z", "expiresAt": null, "lastUsedAt": null,
        "last6Chars": "q8w7e6", "consumptionLimits": limits, "limitPeriod": "MONTH",
        "modelPrivacy": "ALL"}})
}

/// A server: the empty listing (names are checked), the create answered with `echo`, and the
/// new key's read answered `readback`.
async fn mount(echo: Value, readback: ResponseTemplate) -> MockServer {
    let server = server().await;
    crate::common::no_keys(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(created(echo)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{NEW_UUID}")))
        .respond_with(readback)
        .mount(&server)
        .await;
    server
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// `create --limit 0 --limit-diem 10` (usd 0, diem 10, vcu left out: no cap).
async fn create(server: &MockServer, extra: &[&str]) -> Out {
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
    .run()
    .await
}

fn warnings(out: &Out) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| l.contains("read back"))
        .collect()
}

/// The echo Venice can give for usd 0, diem 10: usd as null, a diem derived from a vcu.
fn wrong_echo() -> Value {
    json!({"usd": null, "diem": 0.3, "vcu": 30})
}

#[tokio::test]
async fn a_wrong_echo_is_replaced_by_the_read_back_without_a_warning_when_it_matches() {
    let server = mount(wrong_echo(), ok(read(json!({"usd": 0, "diem": 10})))).await;
    let out = create(&server, &["-o", "json"]).await;
    out.code(0);
    let line = &out.json_lines()[0];
    assert_eq!(line["secret"], VENICE_NEW);
    assert_eq!(line["status"], "created");
    assert_eq!(
        line["after"]["limits"],
        json!({"usd": 0, "diem": 10, "vcu": null})
    );
    assert_eq!(line["after"]["limit"], 0);
    assert!(warnings(&out).is_empty(), "{}", out.stderr);
    assert!(!out.stderr.contains(VENICE_NEW));
    // The listing (names), the create, the read-back: one request more than before.
    assert_eq!(
        seen(&server).await,
        [
            "GET /api/v1/api_keys".to_string(),
            "POST /api/v1/api_keys".to_string(),
            format!("GET /api/v1/api_keys/{NEW_UUID}"),
        ]
    );
}

#[tokio::test]
async fn a_read_back_that_differs_from_what_was_sent_is_shown_with_one_warning() {
    // usd 0 was not kept (read back as no cap); diem is right.
    let server = mount(wrong_echo(), ok(read(json!({"usd": null, "diem": 10})))).await;
    let out = create(&server, &["-o", "json"]).await;
    out.code(0);
    let line = &out.json_lines()[0];
    assert_eq!(line["secret"], VENICE_NEW);
    assert_eq!(
        line["after"]["limits"],
        json!({"usd": null, "diem": 10, "vcu": null})
    );
    let w = warnings(&out);
    assert_eq!(w.len(), 1, "{}", out.stderr);
    assert!(w[0].contains("usd: sent 0, read back none"), "{}", w[0]);
    assert!(!w[0].contains("diem:"), "{}", w[0]);
    // The command that sets the caps sent, runnable as given (vcu was left out: no flag).
    let update = format!(
        "`keyctl update -p venice --base-url {}/ {NEW_UUID} --limit 0 --limit-diem 10`",
        server.uri()
    );
    assert!(w[0].contains(&update), "{}", w[0]);
    assert!(w[0].contains(NEW_UUID), "{}", w[0]);
}

#[tokio::test]
async fn in_a_table_the_secret_comes_first_and_the_read_back_fields_after_it() {
    let server = mount(wrong_echo(), ok(read(json!({"usd": 0, "diem": 10})))).await;
    let out = create(&server, &["-o", "table"]).await;
    out.code(0);
    let at = |needle: &str| {
        out.stdout
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in:\n{}", out.stdout))
    };
    assert!(at(VENICE_NEW) < at("limits:"), "{}", out.stdout);
    // The read-back's caps, not the echo's (diem 0.3, vcu 30).
    at("limits:    usd 0, diem 10, vcu none");
    assert!(!out.stdout.contains("vcu 30"), "{}", out.stdout);
}

#[tokio::test]
async fn with_a_secret_file_the_record_shows_the_read_back() {
    let server = mount(wrong_echo(), ok(read(json!({"usd": 0, "diem": 10})))).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new.key");
    let out = create(
        &server,
        &["-o", "json", "--secret-file", file.to_str().unwrap()],
    )
    .await;
    out.code(0);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{VENICE_NEW}\n")
    );
    let line = &out.json_lines()[0];
    assert_eq!(
        line["after"]["limits"],
        json!({"usd": 0, "diem": 10, "vcu": null})
    );
}

#[tokio::test]
async fn a_failed_read_back_still_delivers_the_secret_and_warns() {
    for readback in [
        ResponseTemplate::new(500).set_body_json(json!({"error": "An unknown error occurred"})),
        ResponseTemplate::new(200).set_body_string("<html>bad gateway</html>"),
    ] {
        let server = mount(wrong_echo(), readback).await;
        let out = create(&server, &["-o", "json"]).await;
        // Documented: the key is made and its secret delivered; the run still succeeds.
        out.code(0);
        let line = &out.json_lines()[0];
        assert_eq!(line["secret"], VENICE_NEW);
        assert_eq!(line["status"], "created");
        out.stderr_has("could not be read back")
            .stderr_has("keyctl get -p venice");
        // --retries 0: one read-back, not retried.
        assert_eq!(seen(&server).await.len(), 3, "{:?}", seen(&server).await);
    }
}

#[tokio::test]
async fn a_create_without_caps_is_not_read_back() {
    let server = mount(wrong_echo(), ok(read(json!({})))).await;
    let out = Keyctl::new(
        ENV,
        &["create", "-p", "venice", "--name", "ci", "-o", "json"],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    assert_eq!(
        seen(&server).await,
        ["GET /api/v1/api_keys", "POST /api/v1/api_keys"]
    );
}

// Rotation -------------------------------------------------------------------------------------

/// The old key: $20 and 10 DIEM a month, no vcu (the document's shape), no expiry.
fn old_key() -> Value {
    json!({"id": VENICE_KEY, "apiKeyType": "INFERENCE", "description": "ci",
        "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": null, "lastUsedAt": null,
        "consumptionLimits": {"usd": 0, "diem": 10}, "limitPeriod": "MONTH",
        "modelPrivacy": "ALL"})
}

async fn mount_rotation(readback: ResponseTemplate) -> MockServer {
    let server = mount(wrong_echo(), readback).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .respond_with(ok(json!({"data": old_key()})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ok(json!({"success": true})))
        .mount(&server)
        .await;
    server
}

async fn rotate(server: &MockServer) -> Out {
    Keyctl::new(ENV, &["rotate", "-p", "venice", VENICE_KEY, "-o", "json"])
        .base(server)
        .args(&["--retries", "0", "--old", "revoke", "--yes"])
        .run()
        .await
}

/// Steps sent to the old key (`--old revoke`: its DELETE).
async fn deletes(server: &MockServer) -> usize {
    seen(server)
        .await
        .iter()
        .filter(|r| r.starts_with("DELETE"))
        .count()
}

#[tokio::test]
async fn a_rotation_with_a_wrong_echo_but_a_right_read_back_retires_the_old_key() {
    let server = mount_rotation(ok(read(json!({"usd": 0, "diem": 10})))).await;
    let out = rotate(&server).await;
    out.code(0);
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "rotated", "{line}");
    assert_eq!(line["secret"], VENICE_NEW);
    assert_eq!(
        line["after"]["limits"],
        json!({"usd": 0, "diem": 10, "vcu": null})
    );
    let s = seen(&server).await;
    assert_eq!(
        s,
        [
            format!("GET /api/v1/api_keys/{VENICE_KEY}"),
            "POST /api/v1/api_keys".to_string(),
            format!("GET /api/v1/api_keys/{NEW_UUID}"),
            "DELETE /api/v1/api_keys".to_string(),
        ]
    );
}

/// The partial message's commands, runnable as given against `server`: the successor's caps
/// (those sent), then the old key's step (`--old revoke`), or the successor revoked. The
/// secret is on stdout once and never on stderr.
fn finish_by_hand(server: &MockServer, out: &Out, msg: &str) {
    let sel = format!("-p venice --base-url {}/", server.uri());
    for cmd in [
        format!("(`keyctl update {sel} {NEW_UUID} --limit 0 --limit-diem 10`), then retire"),
        format!("the old key (`keyctl revoke {sel} {VENICE_KEY}`)"),
        format!("(`keyctl revoke {sel} {NEW_UUID} --yes`) and rotate again"),
    ] {
        assert!(msg.contains(&cmd), "{cmd}\n{msg}");
    }
    assert_eq!(out.stdout.matches(VENICE_NEW).count(), 1, "{}", out.stdout);
    assert!(!out.stderr.contains(VENICE_NEW), "{}", out.stderr);
}

#[tokio::test]
async fn a_successor_that_does_not_hold_the_caps_keeps_the_old_key() {
    let server = mount_rotation(ok(read(json!({"usd": null, "diem": 10})))).await;
    let out = rotate(&server).await;
    out.code(7);
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "partial", "{line}");
    assert_eq!(line["secret"], VENICE_NEW);
    let msg = line["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("usd: sent 0, read back none"), "{msg}");
    assert!(msg.contains("old key was left as it is"), "{msg}");
    finish_by_hand(&server, &out, msg);
    assert_eq!(deletes(&server).await, 0);
}

#[tokio::test]
async fn a_successor_that_cannot_be_read_back_keeps_the_old_key() {
    let server =
        mount_rotation(ResponseTemplate::new(500).set_body_json(json!({"error": "x"}))).await;
    let out = rotate(&server).await;
    out.code(7);
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "partial", "{line}");
    assert_eq!(line["secret"], VENICE_NEW);
    out.stderr_has("could not be read back");
    let msg = line["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("the caps shown are the create answer's"),
        "{msg}"
    );
    finish_by_hand(&server, &out, msg);
    assert_eq!(deletes(&server).await, 0);
}

/// A read-back answered 500 is retried as any read is (`--retries 2`: three GETs), and only
/// then keeps the old key: partial, exit 7, no DELETE.
#[tokio::test]
async fn a_read_back_is_retried_before_the_old_key_is_kept() {
    let server =
        mount_rotation(ResponseTemplate::new(500).set_body_json(json!({"error": "x"}))).await;
    let out = Keyctl::new(ENV, &["rotate", "-p", "venice", VENICE_KEY, "-o", "json"])
        .base(&server)
        .args(&["--retries", "2", "--old", "revoke", "--yes"])
        .env("KEYCTL_BACKOFF_MS", "10")
        .run()
        .await;
    out.code(7);
    assert_eq!(out.json_lines()[0]["status"], "partial");
    let reads = seen(&server)
        .await
        .iter()
        .filter(|r| **r == format!("GET /api/v1/api_keys/{NEW_UUID}"))
        .count();
    assert_eq!(reads, 3);
    assert_eq!(deletes(&server).await, 0);
}
