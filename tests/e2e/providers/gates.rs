//! The OpenRouter-style providers (ModelGates, novapai, OpenRouter; every row of the provider
//! table with that API): exact body (explicit nulls included), seed examples, refused flags,
//! JSON output and each documented error status. `openrouter.rs` has OpenRouter's reads.

use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{GATES_KEY, Keyctl, SECRET, fixture, forbid_patch, providers};

/// (id, credential variable, display name) of every provider with the OpenRouter-style API,
/// from the provider table, in its order (ModelGates, novapai, OpenRouter).
fn family() -> Vec<(&'static str, &'static str, &'static str)> {
    let rows: Vec<_> = providers()
        .into_iter()
        .filter(|t| t.info.api == keyctl::provider::Api::OpenRouter)
        .map(|t| (t.info.id, t.info.credential_env, t.info.name))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    rows
}

async fn expect_body(server: &MockServer, body: serde_json::Value, provider: &str) {
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(body))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture(&format!("{provider}/update_response.json"))),
        )
        .expect(1)
        .mount(server)
        .await;
}

async fn run(p: &str, env: &str, server: &MockServer, extra: &[&str]) -> crate::common::Out {
    Keyctl::new(env, &["update", "-p", p, GATES_KEY])
        .base(server)
        .args(extra)
        .run()
        .await
}

#[tokio::test]
async fn seed_example_body_is_sent_exactly() {
    for (p, env, _) in family() {
        let server = MockServer::start().await;
        expect_body(&server, fixture(&format!("{p}/update_request.json")), p).await;
        let out = run(
            p,
            env,
            &server,
            &[
                "--name",
                "Updated API Key Name",
                "--enable",
                "--limit",
                "75",
                "--reset",
                "daily",
                "--include-byok-in-limit",
                "true",
            ],
        )
        .await;
        out.code(0)
            .stdout_has("Updated API Key Name")
            .stdout_has("49.5")
            .stdout_has("daily");
    }
}

#[tokio::test]
async fn explicit_nulls_clear_limit_and_reset() {
    for (p, env, _) in family() {
        let server = MockServer::start().await;
        expect_body(&server, json!({"limit": null, "limit_reset": null}), p).await;
        run(p, env, &server, &["--limit", "none", "--reset", "never"])
            .await
            .code(0);
        let reqs = server.received_requests().await.unwrap();
        assert_eq!(reqs.len(), 1, "{p}");
        let sent: serde_json::Value = serde_json::from_slice(&reqs[0].body).unwrap();
        let sent = sent.as_object().unwrap();
        assert!(
            sent.contains_key("limit") && sent.contains_key("limit_reset"),
            "{p}: null must be sent, not omitted: {sent:?}"
        );
        assert!(
            sent["limit"].is_null() && sent["limit_reset"].is_null(),
            "{p}"
        );
    }
}

#[tokio::test]
async fn each_flag_alone() {
    let (p, env, _) = family()[0];
    for (args, body) in [
        (vec!["--limit", "10"], json!({"limit": 10})),
        (vec!["--reset", "weekly"], json!({"limit_reset": "weekly"})),
        (
            vec!["--reset", "monthly"],
            json!({"limit_reset": "monthly"}),
        ),
        (vec!["--disable"], json!({"disabled": true})),
        (
            vec!["--include-byok-in-limit", "false"],
            json!({"include_byok_in_limit": false}),
        ),
        (vec!["--name", "n"], json!({"name": "n"})),
    ] {
        let server = MockServer::start().await;
        expect_body(&server, body, p).await;
        run(p, env, &server, &args).await.code(0);
    }
}

#[tokio::test]
async fn json_output_has_the_stable_fields() {
    let (p, env, _) = family()[1];
    let server = MockServer::start().await;
    expect_body(&server, json!({"limit": 75}), p).await;
    let out = run(p, env, &server, &["--limit", "75", "-o", "json"]).await;
    out.code(0);
    let l = &out.json_lines()[0];
    assert_eq!(l["provider"], "novapai");
    assert_eq!(l["status"], "updated");
    assert_eq!(l["after"]["id"], GATES_KEY);
    assert_eq!(l["after"]["remaining"], json!(49.5));
    assert_eq!(l["after"]["raw"]["byok_usage"], json!(17.38));
    assert!(l.get("error").is_none());
}

#[tokio::test]
async fn unsupported_flags_name_provider_flag_and_alternative() {
    for (p, env, name) in family() {
        let server = MockServer::start().await;
        forbid_patch(&server).await;
        for (args, flag) in [
            (vec!["--reset", "8h"], "--reset 8h"),
            (vec!["--expires", "30d"], "--expires"),
            (vec!["--expires", "never"], "--expires"),
            (vec!["--models", "a"], "--models"),
            (vec!["--limit-diem", "1"], "--limit-diem"),
            (vec!["--limit-vcu", "1"], "--limit-vcu"),
            (vec!["--privacy", "private-only"], "--privacy"),
            // Together with a supported flag: still nothing is sent.
            (vec!["--limit", "5", "--models", "a"], "--models"),
        ] {
            run(p, env, &server, &args)
                .await
                .code(2)
                .stderr_has(name)
                .stderr_has(flag);
        }
        let reqs = server.received_requests().await.unwrap();
        assert!(reqs.is_empty(), "{p}: sent {reqs:?}");
    }
}

#[tokio::test]
async fn key_hash_is_one_percent_encoded_segment() {
    let (p, env, _) = family()[0];
    let server = MockServer::start().await;
    // An id that is not 64 hex digits is found in the listing (read once), then sent as one
    // encoded path segment.
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .and(query_param("include_disabled", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"hash": "a/b?c d", "name": "odd", "disabled": false, "limit": 5}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/api/v1/keys/a%2Fb%3Fc%20d"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("modelgates/update_response.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Keyctl::new(env, &["update", "-p", p, "id:a/b?c d", "--limit", "1"])
        .base(&server)
        .run()
        .await
        .code(0);
}

#[tokio::test]
async fn documented_errors_map_to_exit_codes() {
    for (status, code, msg) in [
        (400, 5, "Invalid request parameters"),
        (401, 3, "Invalid management key"),
        (404, 4, "Key not found"),
        (429, 6, "Rate limit exceeded"),
        (500, 7, "Internal server error"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("PATCH"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(fixture(&format!("modelgates/error_{status}.json"))),
            )
            .mount(&server)
            .await;
        let out = Keyctl::new(
            "MODELGATES_MANAGEMENT_KEY",
            &[
                "update",
                "-p",
                "modelgates",
                GATES_KEY,
                "--limit",
                "1",
                "--retries",
                "0",
                "-o",
                "json",
            ],
        )
        .base(&server)
        .run()
        .await;
        out.code(code).stderr_has(msg);
        let l = &out.json_lines()[0];
        assert_eq!(l["status"], "failed");
        assert_eq!(l["error"]["http_status"], json!(status));
        assert!(l["error"]["message"].as_str().unwrap().contains(msg));
    }
}
