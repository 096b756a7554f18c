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
    // Piped: TSV, with the model's words (monthly, not MONTH) and each currency a column.
    out.code(0).stderr_has("deprecated");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let header: Vec<&str> = lines[0].split('\t').collect();
    let row: Vec<&str> = lines[1].split('\t').collect();
    let cell = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(
        (cell("limit"), cell("limits.diem"), cell("limits.vcu")),
        ("50", "10", "30")
    );
    assert_eq!(cell("reset"), "monthly");
    assert_eq!(cell("status"), "updated");
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
        run(&server, &["--limit", "2", "--retries", "0"])
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
    run(&server, &["--limit", "2"])
        .await
        .code(7)
        .stderr_has("success");
}

// ---- Published-spec fidelity: each Venice rule end to end, exact bodies, nothing sent on error.

/// The key as the brief's GET example returns it: $50, 10 DIEM, 30 VCU.
async fn mount_get_limits(server: &MockServer, times: impl Into<wiremock::Times>) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"id": VENICE_KEY, "description": "ci", "consumptionLimits": {"usd": 50, "diem": 10, "vcu": 30},
                     "limitPeriod": "MONTH", "expiresAt": null},
            "success": true
        })))
        .expect(times)
        .mount(server)
        .await;
}

/// `keyctl update -p venice VENICE_KEY <extra>` with no mocks added.
async fn run_plain(server: &MockServer, extra: &[&str]) -> crate::common::Out {
    Keyctl::new(ENV, &["update", "-p", "venice", VENICE_KEY])
        .base(server)
        .args(extra)
        .run()
        .await
}

#[tokio::test]
async fn partial_currencies_send_the_others_as_read() {
    for (args, limits) in [
        (
            vec!["--limit", "5"],
            json!({"usd": 5, "diem": 10, "vcu": 30}),
        ),
        (
            vec!["--limit-diem", "2.5"],
            json!({"usd": 50, "diem": 2.5, "vcu": 30}),
        ),
        (
            vec!["--limit-vcu", "7"],
            json!({"usd": 50, "diem": 10, "vcu": 7}),
        ),
        (
            vec!["--limit-diem", "none"],
            json!({"usd": 50, "diem": null, "vcu": 30}),
        ),
        (
            vec!["--limit", "none", "--limit-vcu", "none"],
            json!({"usd": null, "diem": 10, "vcu": null}),
        ),
        (
            vec!["--limit", "5", "--limit-diem", "6"],
            json!({"usd": 5, "diem": 6, "vcu": 30}),
        ),
        (
            vec!["--limit", "+4"],
            json!({"usd": 54, "diem": 10, "vcu": 30}),
        ),
    ] {
        let server = MockServer::start().await;
        mount_get_limits(&server, 1).await;
        expect_body(
            &server,
            json!({"id": VENICE_KEY, "consumptionLimit": limits}),
        )
        .await;
        run_plain(&server, &args).await.code(0);
        // Explicit nulls are sent, not omitted.
        let reqs = server.received_requests().await.unwrap();
        let patch = reqs.iter().find(|r| r.method.as_str() == "PATCH").unwrap();
        let sent: serde_json::Value = serde_json::from_slice(&patch.body).unwrap();
        assert_eq!(
            sent["consumptionLimit"].as_object().unwrap().len(),
            3,
            "{args:?}: every currency is sent: {sent}"
        );
    }
}

#[tokio::test]
async fn all_three_currencies_need_no_read() {
    let server = MockServer::start().await;
    mount_get_limits(&server, 0).await;
    expect_body(
        &server,
        json!({"id": VENICE_KEY, "consumptionLimit": {"usd": 1, "diem": null, "vcu": 0}}),
    )
    .await;
    run_plain(
        &server,
        &["--limit", "1", "--limit-diem", "none", "--limit-vcu", "0"],
    )
    .await
    .code(0);
}

#[tokio::test]
async fn reset_maps_to_limit_period() {
    for (reset, period) in [
        ("daily", "EPOCH"),
        ("monthly", "MONTH"),
        ("never", "LIFETIME"),
    ] {
        let server = MockServer::start().await;
        mount_get_limits(&server, 0).await;
        expect_body(&server, json!({"id": VENICE_KEY, "limitPeriod": period})).await;
        run_plain(&server, &["--reset", reset]).await.code(0);
    }
}

#[tokio::test]
async fn privacy_maps_to_model_privacy() {
    for (flag, value) in [
        ("all", "ALL"),
        ("private-text", "PRIVATE_TEXT"),
        ("private-only", "PRIVATE_ONLY"),
    ] {
        let server = MockServer::start().await;
        mount_get_limits(&server, 0).await;
        expect_body(&server, json!({"id": VENICE_KEY, "modelPrivacy": value})).await;
        run_plain(&server, &["--privacy", flag]).await.code(0);
    }
    // Together with the other fields, in one body.
    let server = MockServer::start().await;
    expect_body(
        &server,
        json!({"id": VENICE_KEY, "consumptionLimit": {"usd": 50, "diem": 10, "vcu": null},
               "limitPeriod": "EPOCH", "description": "bot", "modelPrivacy": "PRIVATE_TEXT"}),
    )
    .await;
    run_plain(
        &server,
        &[
            "--limit",
            "50",
            "--limit-diem",
            "10",
            "--limit-vcu",
            "none",
            "--reset",
            "daily",
            "--name",
            "bot",
            "--privacy",
            "private-text",
        ],
    )
    .await
    .code(0);
}

#[tokio::test]
async fn privacy_is_refused_by_every_other_provider() {
    use crate::common::{GATES_KEY, IONET_KEY};
    for (p, env, key, name) in [
        ("ionet", "IONET_ADMIN_KEY", IONET_KEY, "io.net"),
        (
            "modelgates",
            "MODELGATES_MANAGEMENT_KEY",
            GATES_KEY,
            "ModelGates",
        ),
        ("novapai", "NOVAPAI_MANAGEMENT_KEY", GATES_KEY, "novapai"),
        (
            "openrouter",
            "OPENROUTER_MANAGEMENT_KEY",
            GATES_KEY,
            "OpenRouter",
        ),
    ] {
        for value in ["all", "private-only"] {
            let server = MockServer::start().await;
            forbid_patch(&server).await;
            Keyctl::new(env, &["update", "-p", p, key, "--privacy", value])
                .base(&server)
                .run()
                .await
                .code(2)
                .stderr_has(name)
                .stderr_has("--privacy");
            let reqs = server.received_requests().await.unwrap();
            assert!(reqs.is_empty(), "{p}: nothing may be sent: {reqs:?}");
        }
    }
}

#[tokio::test]
async fn expires_is_whole_seconds_or_milliseconds() {
    for (given, sent) in [
        ("2030-06-01T12:30:45.123456Z", "2030-06-01T12:30:45.123Z"),
        ("2030-06-01T12:30:45.1Z", "2030-06-01T12:30:45.100Z"),
        ("2030-06-01T12:30:45Z", "2030-06-01T12:30:45Z"),
        ("2030-06-01T14:30:45+02:00", "2030-06-01T12:30:45Z"),
    ] {
        let server = MockServer::start().await;
        mount_get_limits(&server, 0).await;
        expect_body(&server, json!({"id": VENICE_KEY, "expiresAt": sent})).await;
        run_plain(&server, &["--expires", given]).await.code(0);
    }
}

#[tokio::test]
async fn description_is_at_most_64_characters() {
    // Characters, not bytes: 64 two-byte characters are accepted.
    let longest = "é".repeat(64);
    let server = MockServer::start().await;
    expect_body(&server, json!({"id": VENICE_KEY, "description": longest})).await;
    run_plain(&server, &["--name", &longest]).await.code(0);

    let too_long = "n".repeat(65);
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    run_plain(&server, &["--name", &too_long])
        .await
        .code(2)
        .stderr_has("64")
        .stderr_has("--name")
        .stderr_has("nothing was sent");
}

#[tokio::test]
async fn each_currency_is_at_most_9_999_999_999() {
    let server = MockServer::start().await;
    expect_body(
        &server,
        json!({"id": VENICE_KEY, "consumptionLimit":
               {"usd": 9_999_999_999u64, "diem": 9_999_999_999u64, "vcu": 9_999_999_999u64}}),
    )
    .await;
    run_plain(
        &server,
        &[
            "--limit",
            "9999999999",
            "--limit-diem",
            "9999999999",
            "--limit-vcu",
            "9999999999",
        ],
    )
    .await
    .code(0);

    for (flag, currency) in [
        ("--limit", "usd"),
        ("--limit-diem", "diem"),
        ("--limit-vcu", "vcu"),
    ] {
        for too_much in ["10000000000", "9999999999.5"] {
            let server = MockServer::start().await;
            mount_get_limits(&server, 0..=1).await;
            forbid_patch(&server).await;
            run_plain(&server, &[flag, too_much])
                .await
                .code(2)
                .stderr_has("9,999,999,999")
                .stderr_has(currency)
                .stderr_has("nothing was sent");
        }
    }
}

#[tokio::test]
async fn unknown_or_expired_key_is_not_found() {
    let body = json!({"error": "API key not found or expired"});
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(400).set_body_json(&body))
        .expect(1)
        .mount(&server)
        .await;
    let out = run_plain(&server, &["--name", "x", "--retries", "0", "-o", "json"]).await;
    out.code(4).stderr_has("API key not found or expired");
    let l = &out.json_lines()[0];
    assert_eq!(l["status"], "failed");
    assert_eq!(l["error"]["kind"], "not_found");
    assert_eq!(l["error"]["http_status"], json!(400));

    // The read before a partial currency change maps the same way, and nothing is written.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .respond_with(ResponseTemplate::new(400).set_body_json(&body))
        .mount(&server)
        .await;
    forbid_patch(&server).await;
    run_plain(&server, &["--limit", "5", "--retries", "0"])
        .await
        .code(4)
        .stderr_has("not found");

    // And `get`.
    Keyctl::new(ENV, &["get", "-p", "venice", VENICE_KEY, "--retries", "0"])
        .base(&server)
        .run()
        .await
        .code(4)
        .stderr_has("API key not found or expired");
}

#[tokio::test]
async fn other_400s_stay_invalid_requests() {
    for body in [
        json!({"error": "Invalid request"}),
        fixture("venice/error_400.json"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("PATCH"))
            .respond_with(ResponseTemplate::new(400).set_body_json(&body))
            .expect(1)
            .mount(&server)
            .await;
        run_plain(&server, &["--name", "x", "--retries", "0"])
            .await
            .code(5)
            .stderr_has("Invalid request");
    }
}

#[tokio::test]
async fn missing_or_inference_credential_asks_for_an_admin_key() {
    for (status, body) in [
        (401, fixture("venice/error_401.json")),
        (
            402,
            json!({"error": "This API key does not have permission to manage API keys"}),
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("PATCH"))
            .respond_with(ResponseTemplate::new(status).set_body_json(&body))
            .expect(1)
            .mount(&server)
            .await;
        let out = run_plain(&server, &["--name", "x", "--retries", "0", "-o", "json"]).await;
        out.code(3)
            .stderr_has("ADMIN")
            .stderr_has("VENICE_ADMIN_KEY")
            .stderr_has(&format!("HTTP {status}"));
        let l = &out.json_lines()[0];
        assert_eq!(l["error"]["kind"], "auth", "{status}");
        assert_eq!(l["error"]["http_status"], json!(status));
    }
}
