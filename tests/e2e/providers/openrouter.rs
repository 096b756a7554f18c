//! OpenRouter end to end: update, get, list and dry run against a stand-in on loopback. The
//! seed example, explicit nulls and refused flags of every OpenRouter-style provider are in
//! `gates.rs`, which runs over the table's rows with that API. Every server here has
//! `common::catch_all`: a request no mock matches is answered 418 with an echo of itself, so a
//! failed matcher shows up in keyctl's error as the request it really sent.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use keyctl::provider::ProviderKind;
use keyctl::request::AuthScheme;

use crate::common::{
    GATES_KEY, Keyctl, Out, SECRET, fixture, forbid_patch, providers, server, test_provider,
};

const ENV: &str = "OPENROUTER_MANAGEMENT_KEY";
/// OpenRouter keys are 64-hex-digit hashes, like ModelGates'.
const KEY: &str = GATES_KEY;

fn key_path() -> String {
    format!("/api/v1/keys/{KEY}")
}

/// Expects exactly one PATCH of KEY with the credential, JSON content type and exactly `body`
/// (whole-JSON comparison: an explicit null differs from a missing field).
async fn expect_body(server: &MockServer, body: Value) {
    Mock::given(method("PATCH"))
        .and(path(key_path()))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(body))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("openrouter/update_response.json")),
        )
        .expect(1)
        .mount(server)
        .await;
}

/// `keyctl update -p openrouter KEY --base-url SERVER EXTRA...`.
async fn update(server: &MockServer, extra: &[&str]) -> Out {
    Keyctl::new(ENV, &["update", "-p", "openrouter", KEY])
        .base(server)
        .args(extra)
        .run()
        .await
}

/// The JSON body of the only request `server` received.
async fn sent_body(server: &MockServer) -> Value {
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    serde_json::from_slice(&reqs[0].body).unwrap()
}

fn or_key(hash: &str, disabled: bool) -> Value {
    json!({"hash": hash, "name": format!("name-{hash}"), "label": hash, "disabled": disabled,
           "limit": 10, "limit_remaining": 4, "limit_reset": "monthly", "usage": 6})
}

#[test]
fn the_provider_table_row_is_the_one_these_tests_assume() {
    let t = test_provider(ProviderKind::OpenRouter);
    assert_eq!(t.kind, ProviderKind::OpenRouter);
    assert_eq!(t.key, KEY);
    assert_eq!(t.update_path, key_path());
    let i = t.info;
    assert_eq!(
        (i.id, i.name, i.base_url, i.credential_env, i.api.as_str()),
        (
            "openrouter",
            "OpenRouter",
            "https://openrouter.ai",
            ENV,
            "openrouter"
        )
    );
    assert_eq!(i.auth, AuthScheme::Bearer);
    assert_eq!(i.page_size, Some(100));
    assert_eq!(t.kind.base_url_env(), "KEYCTL_OPENROUTER_BASE_URL");
    assert!(
        providers()
            .iter()
            .any(|p| p.kind == ProviderKind::OpenRouter),
        "OpenRouter is in the table"
    );
}

#[tokio::test]
async fn each_supported_flag_sends_exactly_its_field() {
    for (args, body) in [
        (vec!["--limit", "10"], json!({"limit": 10})),
        (vec!["--limit", "0.5"], json!({"limit": 0.5})),
        (vec!["--limit", "0"], json!({"limit": 0})),
        (vec!["--reset", "daily"], json!({"limit_reset": "daily"})),
        (vec!["--reset", "weekly"], json!({"limit_reset": "weekly"})),
        (
            vec!["--reset", "monthly"],
            json!({"limit_reset": "monthly"}),
        ),
        (vec!["--disable"], json!({"disabled": true})),
        (vec!["--enable"], json!({"disabled": false})),
        (
            vec!["--include-byok-in-limit", "true"],
            json!({"include_byok_in_limit": true}),
        ),
        (
            vec!["--include-byok-in-limit", "false"],
            json!({"include_byok_in_limit": false}),
        ),
        (vec!["--name", "ci runner"], json!({"name": "ci runner"})),
    ] {
        let server = server().await;
        expect_body(&server, body.clone()).await;
        update(&server, &args).await.code(0);
        assert_eq!(sent_body(&server).await, body, "{args:?}");
    }
}

#[tokio::test]
async fn json_output_has_the_stable_fields() {
    let server = server().await;
    expect_body(&server, json!({"limit": 75})).await;
    let out = update(&server, &["--limit", "75", "-o", "json"]).await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    let l = &lines[0];
    assert_eq!(l["provider"], "openrouter", "{l}");
    assert_eq!(l["key"], KEY, "{l}");
    assert_eq!(l["status"], "updated", "{l}");
    assert_eq!(l["after"]["id"], KEY, "{l}");
    assert_eq!(l["after"]["limit"], json!(75), "{l}");
    assert_eq!(l["after"]["remaining"], json!(49.5), "{l}");
    assert_eq!(
        l["after"]["raw"]["workspace_id"], "ws_openrouter_0001",
        "{l}"
    );
    assert!(l.get("error").is_none(), "{l}");
}

#[tokio::test]
async fn get_reads_one_key() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(key_path()))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("openrouter/update_response.json")),
        )
        .expect(2)
        .mount(&server)
        .await;
    let out = Keyctl::new(ENV, &["get", "-p", "openrouter", KEY, "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    let l = &out.json_lines()[0];
    assert_eq!(l["provider"], "openrouter", "{l}");
    assert_eq!(l["status"], "ok", "{l}");
    assert_eq!(l["after"]["id"], KEY, "{l}");
    assert_eq!(l["after"]["limit"], json!(75), "{l}");
    assert_eq!(
        l["after"]["raw"]["workspace_id"], "ws_openrouter_0001",
        "{l}"
    );
    Keyctl::new(ENV, &["get", "-p", "openrouter", KEY])
        .base(&server)
        .run()
        .await
        .code(0)
        .stdout_has("Updated API Key Name")
        .stdout_has("49.5")
        .stdout_has("daily");
}

/// Mounts two pages of the key list: 100 keys at offset 0, one at offset 100.
async fn mount_two_pages(server: &MockServer, include_disabled: bool) {
    for (offset, n) in [(0, 100), (100, 1)] {
        let keys: Vec<Value> = (offset..offset + n)
            .map(|i| or_key(&format!("h{i}"), include_disabled && i == 100))
            .collect();
        let m = Mock::given(method("GET"))
            .and(path("/api/v1/keys"))
            .and(header("authorization", format!("Bearer {SECRET}").as_str()))
            .and(query_param("offset", offset.to_string().as_str()));
        let m = if include_disabled {
            m.and(query_param("include_disabled", "true"))
        } else {
            m.and(query_param_is_missing("include_disabled"))
        };
        m.respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": keys})))
            .expect(1)
            .mount(server)
            .await;
    }
}

/// The `offset` of each request `server` received, in order.
async fn offsets(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "offset")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn list_reads_both_pages() {
    let server = server().await;
    mount_two_pages(&server, false).await;
    let out = Keyctl::new(ENV, &["list", "-p", "openrouter", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 101, "{}", out.stdout);
    assert_eq!(lines[0]["key"], "h0");
    assert_eq!(lines[100]["key"], "h100");
    assert_eq!(lines[100]["provider"], "openrouter");
    assert_eq!(offsets(&server).await, ["0", "100"]);
}

#[tokio::test]
async fn list_include_disabled_asks_for_disabled_keys() {
    let server = server().await;
    mount_two_pages(&server, true).await;
    let out = Keyctl::new(
        ENV,
        &[
            "list",
            "-p",
            "openrouter",
            "--include-disabled",
            "-o",
            "json",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 101, "{}", out.stdout);
    assert_eq!(lines[100]["key"], "h100");
    assert_eq!(
        lines[100]["after"]["disabled"],
        json!(true),
        "{}",
        lines[100]
    );
    assert_eq!(offsets(&server).await, ["0", "100"]);
}

#[tokio::test]
async fn dry_run_sends_nothing_and_masks_the_credential() {
    let server = server().await;
    forbid_patch(&server).await;
    // The plan reads the key first (GET), then shows each change from → to.
    Mock::given(method("GET"))
        .and(path(key_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": {"hash": KEY, "name": "ci", "limit": 75, "limit_reset": "daily",
                            "usage": 30, "usage_daily": 5.5, "limit_remaining": 69.5}}),
        ))
        .mount(&server)
        .await;
    let out = update(
        &server,
        &[
            "--limit",
            "none",
            "--reset",
            "never",
            "--dry-run",
            "-o",
            "table",
            "-v",
        ],
    )
    .await;
    out.code(0)
        .stdout_has(&format!("OpenRouter key {KEY} \"ci\":"))
        .stdout_has("limit      75 → none")
        .stdout_has("reset      daily → never")
        .stdout_has("remaining  69.5 → none")
        .stdout_has(&format!("PATCH {}{}", server.uri(), key_path()))
        .stdout_has("authorization: Bearer ****")
        .stdout_has("content-type: application/json")
        .stdout_has("{\"limit\":null,\"limit_reset\":null}")
        .stderr_has("would update");
    let out = update(&server, &["--limit", "3", "--dry-run", "-o", "json"]).await;
    out.code(0);
    let l = &out.json_lines()[0];
    assert_eq!(l["provider"], "openrouter", "{l}");
    assert_eq!(l["status"], "dry_run", "{l}");
    assert_eq!(l["request"]["method"], "PATCH", "{l}");
    assert_eq!(
        l["request"]["url"],
        format!("{}{}", server.uri(), key_path()),
        "{l}"
    );
    assert_eq!(
        l["request"]["headers"]["authorization"], "Bearer ****",
        "{l}"
    );
    assert_eq!(l["request"]["body"], json!({"limit": 3}), "{l}");
    assert_eq!(l["before"]["limit"], json!(75), "{l}");
    assert_eq!(l["before"]["usage"], json!(5.5), "{l}");
    assert_eq!(
        l["changes"],
        json!([{"field": "limit", "from": 75, "to": 3}, {"field": "remaining", "from": 69.5, "to": 0}]),
        "{l}"
    );
    let reqs = server.received_requests().await.unwrap();
    assert!(
        reqs.iter().all(|r| r.method.as_str() == "GET"),
        "a dry run wrote {reqs:?}"
    );
}

#[tokio::test]
async fn error_statuses_map_to_exit_codes() {
    for (status, code, msg) in [
        (400, 5, "Invalid request parameters"),
        (401, 3, "Invalid management key"),
        (404, 4, "Key not found"),
        (422, 5, "Unprocessable limit"),
        (429, 6, "Rate limit exceeded"),
        (500, 7, "Internal server error"),
    ] {
        let server = server().await;
        Mock::given(method("PATCH"))
            .and(path(key_path()))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(json!({"error": {"code": status, "message": msg}})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let out = update(&server, &["--limit", "1", "--retries", "0", "-o", "json"]).await;
        out.code(code).stderr_has(msg).stderr_has("OpenRouter");
        let l = &out.json_lines()[0];
        assert_eq!(l["status"], "failed", "{status}: {l}");
        assert_eq!(l["error"]["http_status"], json!(status), "{status}: {l}");
        assert!(
            l["error"]["message"].as_str().unwrap().contains(msg),
            "{status}: {l}"
        );
    }
}

#[tokio::test]
async fn missing_credential_names_openrouter_management_key() {
    let server = server().await;
    // Another provider's credential does not stand in for OpenRouter's.
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &["update", "-p", "openrouter", KEY, "--limit", "1"],
    )
    .base(&server)
    .run()
    .await;
    out.code(3)
        .stderr_has("OpenRouter")
        .stderr_has("OPENROUTER_MANAGEMENT_KEY");
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs.is_empty(), "sent {reqs:?}");
}

#[tokio::test]
async fn base_url_from_keyctl_openrouter_base_url() {
    let server = server().await;
    expect_body(&server, json!({"limit": 1})).await;
    Keyctl::new(ENV, &["update", "-p", "openrouter", KEY, "--limit", "1"])
        .env("KEYCTL_OPENROUTER_BASE_URL", &server.uri())
        // Another provider's override does not apply.
        .env("KEYCTL_MODELGATES_BASE_URL", "http://127.0.0.1:1")
        .run()
        .await
        .code(0);
}

#[tokio::test]
async fn provider_id_matches_in_any_case() {
    let server = server().await;
    Mock::given(method("PATCH"))
        .and(path(key_path()))
        .and(body_json(json!({"limit": 2})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("openrouter/update_response.json")),
        )
        .expect(4)
        .mount(&server)
        .await;
    for p in ["OpenRouter", "OPENROUTER", "openRouter"] {
        Keyctl::new(ENV, &["update", "-p", p, KEY, "--limit", "2", "-o", "json"])
            .base(&server)
            .run()
            .await
            .code(0)
            .stdout_has("\"provider\":\"openrouter\"");
    }
    Keyctl::new(ENV, &["update", KEY, "--limit", "2"])
        .env("KEYCTL_PROVIDER", "OpenRouter")
        .base(&server)
        .run()
        .await
        .code(0);
}

#[tokio::test]
async fn an_unmatched_request_gets_the_catch_all_echo() {
    let server = server().await;
    // Expects limit 1; keyctl sends limit 2: only the catch-all matches.
    Mock::given(method("PATCH"))
        .and(path(key_path()))
        .and(body_json(json!({"limit": 1})))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let out = update(&server, &["--limit", "2", "--retries", "0"]).await;
    out.code(5)
        .stderr_has("418")
        .stderr_has(r#""method":"PATCH""#)
        .stderr_has(&format!(r#""path":"{}""#, key_path()))
        .stderr_has(r#""body":{"limit":2}"#);
}

/// A page is full by its entries: one entry that is not a key object is skipped, but the page
/// still had 100 entries, so the next page is read (a short count would end the list early).
#[tokio::test]
async fn a_page_with_a_non_key_entry_is_still_full() {
    let server = server().await;
    let mut first: Vec<Value> = (0..99)
        .map(|i| json!({"hash": format!("h{i}"), "name": format!("k{i}")}))
        .collect();
    first.push(json!(1));
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": first })))
        .expect(1)
        .mount(&server)
        .await;
    let second: Vec<Value> = (0..5)
        .map(|i| json!({"hash": format!("g{i}"), "name": format!("g{i}")}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": second })))
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(ENV, &["list", "-p", "openrouter", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 104, "{}", out.stdout);
    assert_eq!(lines[103]["key"], "g4");
}
