//! Issue 22: Venice keys that carry fewer currencies. Venice's published document makes each of
//! `usd`, `diem` and `vcu` in `consumptionLimits` optional (its own `GET /api_keys/{id}` example,
//! `fixtures/venice/get_response.json`, has no `vcu`): an absent currency is no cap set, kept
//! absent in a write (never sent as `null`), shown as no cap; only a present value keyctl
//! cannot read is refused (exit 7, nothing sent).

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Keyctl, VENICE_KEY, fixture, seen, server};

const ENV: &str = "VENICE_ADMIN_KEY";
const NEW_UUID: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";
const VENICE_NEW: &str = "VENICE_INFERENCE_KEY_NEWKEY_fewer_currencies_9a8b7c";

/// The document's example key (no `vcu`), with `limits` as its `consumptionLimits`.
fn key_with(limits: Value) -> Value {
    let mut data = fixture("venice/get_response.json")["data"].clone();
    data["consumptionLimits"] = limits;
    data
}

async fn mount_get(server: &MockServer, id: &str, data: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": data })))
        .mount(server)
        .await;
}

/// Every PATCH is answered with the document's update example; the bodies are read back from
/// the request log.
async fn mount_patch(server: &MockServer) {
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("venice/update_response.json")),
        )
        .mount(server)
        .await;
}

async fn bodies(server: &MockServer, verb: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == verb)
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

async fn update(server: &MockServer, extra: &[&str]) -> crate::common::Out {
    Keyctl::new(ENV, &["update", "-p", "venice", VENICE_KEY])
        .base(server)
        .args(extra)
        .run()
        .await
}

#[tokio::test]
async fn limit_on_a_key_without_vcu_sends_one_patch_without_vcu() {
    // The document's own example: usd and diem, no vcu.
    let server = server().await;
    mount_get(
        &server,
        VENICE_KEY,
        key_with(json!({"usd": 20, "diem": 10})),
    )
    .await;
    mount_patch(&server).await;
    let out = update(&server, &["--limit", "50"]).await;
    out.code(0);
    assert_eq!(
        bodies(&server, "PATCH").await,
        [json!({"id": VENICE_KEY, "consumptionLimit": {"usd": 50, "diem": 10}})]
    );
    assert_eq!(
        seen(&server).await,
        [
            format!("GET /api/v1/api_keys/{VENICE_KEY}"),
            "PATCH /api/v1/api_keys".to_string()
        ]
    );
    assert!(!out.stderr.contains("absent"), "{}", out.stderr);
}

#[tokio::test]
async fn limit_on_a_key_without_diem_keeps_diem_absent() {
    let server = server().await;
    mount_get(&server, VENICE_KEY, key_with(json!({"usd": 20, "vcu": 5}))).await;
    mount_patch(&server).await;
    update(&server, &["--limit", "50"]).await.code(0);
    assert_eq!(
        bodies(&server, "PATCH").await,
        [json!({"id": VENICE_KEY, "consumptionLimit": {"usd": 50, "vcu": 5}})]
    );
}

#[tokio::test]
async fn diem_change_on_a_key_with_usd_alone_sends_usd_and_diem() {
    let server = server().await;
    mount_get(&server, VENICE_KEY, key_with(json!({"usd": 20}))).await;
    mount_patch(&server).await;
    update(&server, &["--limit-diem", "5"]).await.code(0);
    assert_eq!(
        bodies(&server, "PATCH").await,
        [json!({"id": VENICE_KEY, "consumptionLimit": {"usd": 20, "diem": 5}})]
    );
}

#[tokio::test]
async fn a_present_but_unreadable_currency_is_still_exit_7_with_nothing_sent() {
    for (limits, needle) in [
        (
            json!({"usd": 20, "diem": "10"}),
            "consumptionLimits.diem is a string",
        ),
        (
            json!({"usd": 20, "diem": -1}),
            "consumptionLimits.diem is -1",
        ),
        (
            json!({"usd": 20, "vcu": {"amount": 1}}),
            "consumptionLimits.vcu is an object",
        ),
        (
            json!({"usd": 20, "vcu": true}),
            "consumptionLimits.vcu is a boolean",
        ),
        (
            json!({"usd": 20, "diem": [1]}),
            "consumptionLimits.diem is a list",
        ),
    ] {
        let server = server().await;
        mount_get(&server, VENICE_KEY, key_with(limits.clone())).await;
        mount_patch(&server).await;
        let out = update(&server, &["--limit", "50"]).await;
        assert_eq!(out.code, 7, "{limits}: {out:?}");
        out.stderr_has(needle).stderr_has("nothing was sent");
        assert!(bodies(&server, "PATCH").await.is_empty(), "{limits}");
    }
}

#[tokio::test]
async fn get_and_list_show_an_absent_currency_as_no_cap() {
    let server = server().await;
    let data = key_with(json!({"usd": 50, "diem": 10}));
    mount_get(&server, VENICE_KEY, data.clone()).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": [data]})),
        )
        .mount(&server)
        .await;
    let want = json!({"usd": 50, "diem": 10, "vcu": null});
    for cmd in [
        vec!["get", "-p", "venice", VENICE_KEY, "-o", "json"],
        vec!["list", "-p", "venice", "-o", "json"],
    ] {
        let out = Keyctl::new(ENV, &cmd).base(&server).run().await;
        out.code(0);
        let line = &out.json_lines()[0];
        let k = if line.get("after").is_some() {
            &line["after"]
        } else {
            line
        };
        assert_eq!(k["limits"], want, "{cmd:?}: {line}");
        // The TSV cell says so in words.
        let cols = ["--columns", "id,limits.vcu", "-o", "tsv", "--no-headers"];
        let tsv = Keyctl::new(ENV, &cmd[..cmd.len() - 2])
            .base(&server)
            .args(&cols)
            .run()
            .await;
        tsv.code(0);
        assert_eq!(tsv.stdout.trim(), format!("{VENICE_KEY}\tnone"), "{cmd:?}");
    }
}

#[tokio::test]
async fn a_successor_of_a_key_without_vcu_is_created_without_vcu() {
    let server = server().await;
    let mut old = key_with(json!({"usd": 20, "diem": 10}));
    old["apiKeyType"] = json!("INFERENCE");
    old["description"] = json!("app");
    mount_get(&server, VENICE_KEY, old.clone()).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [old]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true,
            "data": {"id": NEW_UUID, "apiKey": VENICE_NEW, "apiKeyType": "INFERENCE",
                "description": "app", "expiresAt": null,
                "consumptionLimit": {"usd": 20, "diem": 10},
                "limitPeriod": "MONTH", "modelPrivacy": "ALL"}})),
        )
        .mount(&server)
        .await;
    // Read back as the document shows a key: no vcu.
    mount_get(&server, NEW_UUID, {
        let mut k = key_with(json!({"usd": 20, "diem": 10}));
        k["id"] = json!(NEW_UUID);
        k
    })
    .await;
    let out = Keyctl::new(
        ENV,
        &["rotate", "-p", "venice", VENICE_KEY, "--old", "keep"],
    )
    .base(&server)
    .args(&["-o", "json"])
    .run()
    .await;
    out.code(0);
    assert_eq!(
        bodies(&server, "POST").await,
        [json!({"apiKeyType": "INFERENCE", "description": "app",
            "consumptionLimit": {"usd": 20, "diem": 10},
            "limitPeriod": "MONTH", "modelPrivacy": "ALL"})]
    );
    assert_eq!(
        out.json_lines()[0]["after"]["limits"],
        json!({"usd": 20, "diem": 10, "vcu": null})
    );
}
