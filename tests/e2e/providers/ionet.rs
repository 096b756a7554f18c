//! io.net: exact request per flag, success output, and each documented error status.

use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{IONET_KEY, Keyctl, SECRET, fixture, forbid_patch};

const ENV: &str = "IONET_ADMIN_KEY";

fn sub_key_path() -> String {
    format!("/v1/api-keys/sub-keys/{IONET_KEY}")
}

async fn expect_body(server: &MockServer, body: serde_json::Value) {
    Mock::given(method("PATCH"))
        .and(path(sub_key_path()))
        .and(header("x-api-key", SECRET))
        .and(header("content-type", "application/json"))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded"})))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn limit_is_sent_as_credit_limit_with_x_api_key() {
    let server = MockServer::start().await;
    expect_body(&server, json!({"credit_limit": 50})).await;
    let out = Keyctl::new(ENV, &["update", "-p", "ionet", IONET_KEY, "--limit", "50"])
        .base(&server)
        .run()
        .await;
    out.code(0).stdout_has("updated").stdout_has("50");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].headers.get("authorization").is_none());
    let ua = reqs[0].headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(ua.starts_with("keyctl/"), "{ua}");
}

#[tokio::test]
async fn every_supported_flag_at_once() {
    let server = MockServer::start().await;
    expect_body(
        &server,
        json!({
            "credit_limit": 12.5,
            "credit_refresh_cycle": "8h",
            "expires_at": "2030-01-01T00:00:00Z",
            "allowed_models": ["llama", "qwen"],
            "description": "ci runner"
        }),
    )
    .await;
    let out = Keyctl::new(
        ENV,
        &[
            "update",
            "-p",
            "io.net",
            IONET_KEY,
            "--limit",
            "12.5",
            "--reset",
            "8h",
            "--expires",
            "2030-01-01",
            "--models",
            "llama, qwen,llama",
            "--name",
            "ci runner",
            "-o",
            "json",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    assert_eq!(l["provider"], "ionet");
    assert_eq!(l["key"], IONET_KEY);
    assert_eq!(l["status"], "updated");
    assert_eq!(l["after"]["limit"], json!(12.5));
    assert_eq!(l["after"]["models"], json!(["llama", "qwen"]));
    assert_eq!(l["after"]["expires"], "2030-01-01T00:00:00Z");
}

#[tokio::test]
async fn models_all_and_expires_never_and_each_cycle() {
    for (args, body) in [
        (vec!["--models", "all"], json!({"allowed_models": []})),
        (vec!["--models", ""], json!({"allowed_models": []})),
        (vec!["--expires", "never"], json!({"expires_at": "never"})),
        (
            vec!["--reset", "daily"],
            json!({"credit_refresh_cycle": "daily"}),
        ),
        (
            vec!["--reset", "weekly"],
            json!({"credit_refresh_cycle": "weekly"}),
        ),
        (
            vec!["--reset", "monthly"],
            json!({"credit_refresh_cycle": "monthly"}),
        ),
        (vec!["--limit", "0"], json!({"credit_limit": 0})),
    ] {
        let server = MockServer::start().await;
        expect_body(&server, body).await;
        Keyctl::new(ENV, &["update", "-p", "ionet", IONET_KEY])
            .base(&server)
            .args(&args)
            .run()
            .await
            .code(0);
    }
}

#[tokio::test]
async fn unsupported_flags_send_nothing() {
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    for (args, flag) in [
        (vec!["--limit", "none"], "--limit none"),
        (vec!["--reset", "never"], "--reset never"),
        (vec!["--disable"], "--disable"),
        (vec!["--enable"], "--enable"),
        (
            vec!["--include-byok-in-limit", "true"],
            "--include-byok-in-limit",
        ),
        (vec!["--limit-diem", "1"], "--limit-diem"),
        (vec!["--limit-vcu", "1"], "--limit-vcu"),
    ] {
        Keyctl::new(ENV, &["update", "-p", "ionet", IONET_KEY])
            .base(&server)
            .args(&args)
            .run()
            .await
            .code(2)
            .stderr_has("io.net")
            .stderr_has(flag);
    }
}

/// A reference that is not a UUID is a name (or an id prefix), looked up in one read of the
/// key list: one the list lacks is exit 4 and nothing is sent; one it holds is sent to that
/// key's UUID.
#[tokio::test]
async fn a_non_uuid_reference_is_looked_up_as_a_name() {
    async fn mount_list(server: &MockServer) {
        Mock::given(method("GET"))
            .and(path("/v1/api-keys/sub-keys"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded",
                "data": [{"id": IONET_KEY, "description": "build-bot", "credit_limit": 10}]})),
            )
            .expect(1)
            .mount(server)
            .await;
    }
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    mount_list(&server).await;
    Keyctl::new(
        ENV,
        &["update", "-p", "ionet", "not-a-uuid", "--limit", "5"],
    )
    .base(&server)
    .run()
    .await
    .code(4)
    .stderr_has("'not-a-uuid'")
    .stderr_has("nothing was sent");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    let server = MockServer::start().await;
    mount_list(&server).await;
    expect_body(&server, json!({"credit_limit": 5})).await;
    Keyctl::new(ENV, &["update", "-p", "ionet", "build-bot", "--limit", "5"])
        .base(&server)
        .run()
        .await
        .code(0);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

async fn error_case(status: u16, body: serde_json::Value, code: i32, needle: &str) {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(sub_key_path()))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    Keyctl::new(
        ENV,
        &[
            "update",
            "-p",
            "ionet",
            IONET_KEY,
            "--limit",
            "5",
            "--retries",
            "0",
        ],
    )
    .base(&server)
    .run()
    .await
    .code(code)
    .stderr_has(needle);
}

#[tokio::test]
async fn documented_errors_map_to_exit_codes() {
    error_case(
        401,
        json!({"detail": "Invalid API key"}),
        3,
        "Invalid API key",
    )
    .await;
    error_case(
        401,
        json!({"detail": "Invalid API key"}),
        3,
        "IONET_ADMIN_KEY",
    )
    .await;
    error_case(
        404,
        fixture("ionet/error_404.json"),
        4,
        "not owned by this admin",
    )
    .await;
    error_case(
        422,
        fixture("ionet/error_422.json"),
        5,
        "body.credit_limit: Input should be greater than or equal to 0",
    )
    .await;
    error_case(
        422,
        json!({"detail": "plain FastAPI message"}),
        5,
        "plain FastAPI message",
    )
    .await;
}
