//! Venice: id in the body, nested consumptionLimit, limitPeriod, expiresAt null, errors.

use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Keyctl, SECRET, VENICE_KEY, fixture, forbid_patch};

const ENV: &str = "VENICE_ADMIN_KEY";

async fn expect_body(server: &MockServer, body: serde_json::Value) {
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .and(body_json(body))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("venice/update_response.json")),
        )
        .expect(1)
        .mount(server)
        .await;
}

/// The key as Venice returns it before the change: $1, 3 DIEM, no VCU cap.
async fn mount_get(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"id": VENICE_KEY, "description": "old", "consumptionLimits": {"usd": 1, "diem": 3, "vcu": null},
                     "limitPeriod": "EPOCH", "expiresAt": null,
                     "currentPeriodUsage": {"usd": "0.5", "diem": "1"}},
            "success": true
        })))
        .mount(server)
        .await;
}

async fn run(server: &MockServer, extra: &[&str]) -> crate::common::Out {
    mount_get(server).await;
    Keyctl::new(ENV, &["update", "-p", "venice", VENICE_KEY])
        .base(server)
        .args(extra)
        .run()
        .await
}

#[tokio::test]
async fn seed_example_is_sent_with_id_in_body() {
    let server = MockServer::start().await;
    let mut want = fixture("venice/update_request.json");
    want["expiresAt"] = json!("2030-10-01T12:00:00Z");
    expect_body(&server, want).await;
    let out = run(
        &server,
        &[
            "--limit",
            "50",
            "--limit-diem",
            "10",
            "--limit-vcu",
            "30",
            "--reset",
            "monthly",
            "--name",
            "Updated API Key Name",
            "--expires",
            "2030-10-01T14:00:00+02:00",
        ],
    )
    .await;
    out.code(0)
        .stderr_has("deprecated")
        .stdout_has("usd 50, diem 10, vcu 30")
        .stdout_has("MONTH");
}

#[tokio::test]
async fn each_flag_alone() {
    for (args, body) in [
        // Only some currencies change: the others are read first and sent unchanged.
        (
            vec!["--limit", "5"],
            json!({"id": VENICE_KEY, "consumptionLimit": {"usd": 5, "diem": 3, "vcu": null}}),
        ),
        (
            vec!["--limit-diem", "2.5"],
            json!({"id": VENICE_KEY, "consumptionLimit": {"usd": 1, "diem": 2.5, "vcu": null}}),
        ),
        (
            vec!["--limit", "+4"],
            json!({"id": VENICE_KEY, "consumptionLimit": {"usd": 5, "diem": 3, "vcu": null}}),
        ),
        // `none` is an explicit null for that currency (no USD cap).
        (
            vec!["--limit", "none"],
            json!({"id": VENICE_KEY, "consumptionLimit": {"usd": null, "diem": 3, "vcu": null}}),
        ),
        (
            vec!["--reset", "daily"],
            json!({"id": VENICE_KEY, "limitPeriod": "EPOCH"}),
        ),
        (
            vec!["--reset", "never"],
            json!({"id": VENICE_KEY, "limitPeriod": "LIFETIME"}),
        ),
        (
            vec!["--expires", "never"],
            json!({"id": VENICE_KEY, "expiresAt": null}),
        ),
        (
            vec!["--name", "d"],
            json!({"id": VENICE_KEY, "description": "d"}),
        ),
    ] {
        let server = MockServer::start().await;
        expect_body(&server, body).await;
        run(&server, &args).await.code(0);
    }
}

#[tokio::test]
async fn unsupported_flags() {
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    for (args, flag) in [
        (vec!["--reset", "weekly"], "--reset weekly"),
        (vec!["--reset", "8h"], "--reset 8h"),
        (vec!["--models", "m"], "--models"),
        (vec!["--disable"], "--disable"),
        (vec!["--enable"], "--enable"),
        (
            vec!["--include-byok-in-limit", "true"],
            "--include-byok-in-limit",
        ),
    ] {
        run(&server, &args)
            .await
            .code(2)
            .stderr_has("Venice")
            .stderr_has(flag);
    }
}

#[tokio::test]
async fn documented_errors() {
    for (status, file, code, msg) in [
        (
            400,
            "venice/error_400.json",
            5,
            "consumptionLimit.usd: Expected number, received string",
        ),
        (401, "venice/error_401.json", 3, "Authentication failed"),
        (404, "venice/error_404.json", 4, "No API key with this id"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("PATCH"))
            .respond_with(ResponseTemplate::new(status).set_body_json(fixture(file)))
            .mount(&server)
            .await;
        run(&server, &["--limit", "1", "--retries", "0"])
            .await
            .code(code)
            .stderr_has(msg);
    }
}

#[tokio::test]
async fn success_false_is_a_provider_failure() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": false})))
        .mount(&server)
        .await;
    run(&server, &["--limit", "1"])
        .await
        .code(7)
        .stderr_has("success");
}
