//! `keyctl create` on every provider: the exact create request, where the secret is read from
//! each answer, where it may appear (stdout only; never stderr, `-v` or a dry run), the
//! `--secret-file` rules, what is never retried, pacing and the Venice key cap.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Keyctl, Out, SECRET};

const IONET_NEW: &str = "io-v2-NEWKEY-eyJhbGciOiJIUzI1NiJ9.c2VjcmV0c2VjcmV0";
const GATES_NEW: &str = "sk-or-v1-NEWKEY-0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const VENICE_NEW: &str = "VENICE_INFERENCE_KEY_NEWKEY_q8w7e6r5t4y3u2i1o0p9";
const NEW_UUID: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";
const NEW_HASH: &str = "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";

/// The new secret is on stdout (in some form) and nowhere on stderr.
fn secret_only_on_stdout(out: &Out, secret: &str) {
    assert!(
        !out.stderr.contains(secret),
        "the new secret reached stderr:\n{}",
        out.stderr
    );
    // Nor a large piece of it.
    assert!(!out.stderr.contains(&secret[..16]), "{}", out.stderr);
}

fn ionet_answer() -> Value {
    json!({"status": "succeeded", "data": {
        "key_id": NEW_UUID, "value": IONET_NEW, "display": "io-v2-NEWK...4e5f",
        "admin_user_id": "0b9c8d7e-6f5a-4b3c-2d1e-0f9a8b7c6d5e", "description": "ci",
        "allowed_models": ["llama-3", "qwen"], "credit_limit": 50.0,
        "credit_refresh_cycle": "weekly", "expires_at": "2030-01-01T00:00:00"}})
}

fn gates_answer(name: &str) -> Value {
    json!({"data": {"hash": NEW_HASH, "name": name, "label": name, "disabled": false,
                    "limit": 20, "limit_remaining": 20, "limit_reset": "daily",
                    "include_byok_in_limit": true, "usage": 0, "usage_daily": 0,
                    "usage_weekly": 0, "usage_monthly": 0, "created_at": "2026-11-23T10:00:00Z",
                    "updated_at": null, "expires_at": "2030-01-01T00:00:00Z"},
           "key": GATES_NEW})
}

fn venice_answer(kind: &str) -> Value {
    json!({"success": true, "data": {
        "id": NEW_UUID, "apiKey": VENICE_NEW, "apiKeyType": kind, "description": "ci",
        "expiresAt": "2030-01-01T00:00:00.000Z",
        "consumptionLimit": {"usd": 50, "diem": 10, "vcu": null},
        "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY"}})
}

async fn expect_create(server: &MockServer, p: &str, body: Value, status: u16, answer: Value) {
    let m = Mock::given(method("POST"))
        .and(path(p))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(status).set_body_json(answer))
        .expect(1);
    m.mount(server).await;
}

/// A server with an empty key listing: every real create reads the listing first (its names
/// are checked against the account's, issue 21).
async fn server_no_keys() -> MockServer {
    let server = crate::common::server().await;
    crate::common::no_keys(&server).await;
    server
}

async fn forbid_post(server: &MockServer) {
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(server)
        .await;
}

#[tokio::test]
async fn ionet_create_sends_the_documented_body_and_reads_data_value() {
    let server = server_no_keys().await;
    Mock::given(method("POST"))
        .and(path("/v1/api-keys/sub-keys"))
        .and(header("x-api-key", SECRET))
        .and(body_json(json!({
            "credit_limit": 50, "credit_refresh_cycle": "weekly",
            "expires_at": "never", "allowed_models": ["llama-3", "qwen"], "description": "ci"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(ionet_answer()))
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "IONET_ADMIN_KEY",
        &["create", "-p", "ionet", "--name", "ci"],
    )
    .base(&server)
    .args(&[
        "--limit",
        "50",
        "--reset",
        "weekly",
        "--expires",
        "never",
        "--models",
        "llama-3,qwen",
        "-o",
        "json",
        "-v",
    ])
    .run()
    .await;
    out.code(0);
    secret_only_on_stdout(&out, IONET_NEW);
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "created");
    assert_eq!(line["key"], NEW_UUID);
    assert_eq!(line["secret"], IONET_NEW);
    assert_eq!(line["after"]["id"], NEW_UUID);
    assert_eq!(line["after"]["name"], "ci");
    assert_eq!(line["after"]["expires"], "2030-01-01T00:00:00Z");
    // The key's raw object never keeps the secret.
    assert!(
        !line["after"]["raw"].to_string().contains("NEWKEY"),
        "{line}"
    );
    // No notice about the 180-day default when --expires is given.
    assert!(!out.stderr.contains("180 days"), "{}", out.stderr);
    // -v logged the request (credential masked) and nothing of the answer's secret.
    assert!(out.stderr.contains("POST"), "{}", out.stderr);
}

#[tokio::test]
async fn ionet_create_without_expires_says_180_days_and_sends_none() {
    let server = server_no_keys().await;
    expect_create(
        &server,
        "/v1/api-keys/sub-keys",
        json!({"description": "ci"}),
        201,
        ionet_answer(),
    )
    .await;
    let out = Keyctl::new(
        "IONET_ADMIN_KEY",
        &["create", "-p", "ionet", "--name", "ci"],
    )
    .base(&server)
    .args(&["-o", "tsv"])
    .run()
    .await;
    out.code(0)
        .stderr_has("expires 180 days after creation")
        .stderr_has("--expires never");
    secret_only_on_stdout(&out, IONET_NEW);
    let mut lines = out.stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let row: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| row[header.iter().position(|h| *h == n).unwrap()];
    assert_eq!(col("id"), NEW_UUID);
    assert_eq!(col("secret"), IONET_NEW);
    assert_eq!(col("status"), "created");
}

#[tokio::test]
async fn ionet_no_cap_is_an_explicit_null_on_create() {
    let server = server_no_keys().await;
    expect_create(
        &server,
        "/v1/api-keys/sub-keys",
        json!({"description": "ci", "credit_limit": null, "expires_at": "2030-01-01T00:00:00Z"}),
        201,
        ionet_answer(),
    )
    .await;
    Keyctl::new(
        "IONET_ADMIN_KEY",
        &["create", "-p", "ionet", "--name", "ci"],
    )
    .base(&server)
    .args(&[
        "--limit",
        "none",
        "--expires",
        "2030-01-01",
        "--models",
        "all",
    ])
    .run()
    .await
    .code(0);
}

#[tokio::test]
async fn gates_create_on_each_openrouter_style_provider() {
    for (p, env) in [
        ("modelgates", "MODELGATES_MANAGEMENT_KEY"),
        ("novapai", "NOVAPAI_MANAGEMENT_KEY"),
        ("openrouter", "OPENROUTER_MANAGEMENT_KEY"),
    ] {
        let server = server_no_keys().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/keys"))
            .and(header("authorization", format!("Bearer {SECRET}").as_str()))
            .and(body_json(json!({
                "name": "ci", "limit": 20, "limit_reset": "daily",
                "include_byok_in_limit": true, "expires_at": "2030-01-01T00:00:00Z"
            })))
            .respond_with(ResponseTemplate::new(201).set_body_json(gates_answer("ci")))
            .expect(1)
            .mount(&server)
            .await;
        let out = Keyctl::new(env, &["create", "-p", p, "--name", "ci"])
            .base(&server)
            .args(&[
                "--limit",
                "20",
                "--reset",
                "daily",
                "--include-byok-in-limit",
                "true",
                "--expires",
                "2030-01-01T00:00:00+00:00",
                "-o",
                "json",
            ])
            .run()
            .await;
        out.code(0);
        secret_only_on_stdout(&out, GATES_NEW);
        let line = &out.json_lines()[0];
        assert_eq!(line["secret"], GATES_NEW, "{p}");
        assert_eq!(line["key"], NEW_HASH, "{p}");
        assert_eq!(line["after"]["limit"], 20, "{p}");
    }
}

#[tokio::test]
async fn gates_secret_is_also_read_from_data_key() {
    // OpenRouter's cookbook reads `data.key`; the spec puts it top-level. Both are read.
    let server = server_no_keys().await;
    let mut answer = gates_answer("ci");
    let secret = answer["key"].take();
    answer.as_object_mut().unwrap().remove("key");
    answer["data"]["key"] = secret;
    expect_create(&server, "/api/v1/keys", json!({"name": "ci"}), 201, answer).await;
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &["create", "-p", "modelgates", "--name", "ci", "-o", "json"],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    let line = &out.json_lines()[0];
    assert_eq!(line["secret"], GATES_NEW);
    assert!(
        !line["after"]["raw"].to_string().contains("NEWKEY"),
        "{line}"
    );
}

#[tokio::test]
async fn gates_no_limit_and_no_reset_are_explicit_nulls() {
    let server = server_no_keys().await;
    expect_create(
        &server,
        "/api/v1/keys",
        json!({"name": "ci", "limit": null, "limit_reset": null, "expires_at": null}),
        201,
        gates_answer("ci"),
    )
    .await;
    Keyctl::new(
        "NOVAPAI_MANAGEMENT_KEY",
        &["create", "-p", "novapai", "--name", "ci"],
    )
    .base(&server)
    .args(&["--limit", "none", "--reset", "never", "--expires", "never"])
    .run()
    .await
    .code(0);
}

#[tokio::test]
async fn venice_create_body_type_and_secret() {
    let server = server_no_keys().await;
    // The caps set are read back once the secret is out (issue 22): the key holds them.
    crate::common::venice_read_back(&server, &venice_answer("ADMIN")).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api_keys"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .and(body_json(json!({
            "apiKeyType": "ADMIN", "description": "ci",
            "consumptionLimit": {"usd": 50, "diem": 10},
            "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY",
            "expiresAt": "2030-01-01T00:00:00.123Z"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(venice_answer("ADMIN")))
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["create", "-p", "venice", "--name", "ci"],
    )
    .base(&server)
    .args(&[
        "--type",
        "admin",
        "--limit",
        "50",
        "--limit-diem",
        "10",
        "--reset",
        "monthly",
        "--privacy",
        "private-only",
        // Six fraction digits are cut to the three Venice's pattern allows.
        "--expires",
        "2030-01-01T00:00:00.123456Z",
        "-o",
        "json",
    ])
    .run()
    .await;
    out.code(0);
    secret_only_on_stdout(&out, VENICE_NEW);
    let line = &out.json_lines()[0];
    assert_eq!(line["secret"], VENICE_NEW);
    assert_eq!(line["key"], NEW_UUID);
    assert_eq!(line["after"]["limits"]["diem"], 10);
    assert!(!out.stderr.contains("read back"), "{}", out.stderr);
    assert_eq!(
        crate::common::seen(&server).await,
        [
            "GET /api/v1/api_keys".to_string(),
            "POST /api/v1/api_keys".to_string(),
            format!("GET /api/v1/api_keys/{NEW_UUID}"),
        ]
    );
}

#[tokio::test]
async fn venice_default_type_is_inference_and_daily_reset_is_noted() {
    let server = server_no_keys().await;
    expect_create(
        &server,
        "/api/v1/api_keys",
        json!({"apiKeyType": "INFERENCE", "description": "ci", "consumptionLimit": {"usd": 5}}),
        200,
        venice_answer("INFERENCE"),
    )
    .await;
    let out = Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["create", "-p", "venice", "--name", "ci"],
    )
    .base(&server)
    .args(&["--limit", "5", "-o", "json"])
    .run()
    .await;
    out.code(0).stderr_has("resets every day (EPOCH)");
}

#[tokio::test]
async fn venice_description_over_64_characters_is_refused_before_sending() {
    let server = server_no_keys().await;
    forbid_post(&server).await;
    let long = "n".repeat(65);
    Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["create", "-p", "venice", "--name", &long],
    )
    .base(&server)
    .run()
    .await
    .code(2)
    .stderr_has("at most 64 characters");
    // 64 is fine in a dry run.
    let ok = "n".repeat(64);
    Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["create", "-p", "venice", "--name", &ok, "--dry-run"],
    )
    .base(&server)
    .run()
    .await
    .code(0);
}

#[tokio::test]
async fn unsupported_flags_and_bad_input_are_exit_2_with_nothing_sent() {
    let server = server_no_keys().await;
    forbid_post(&server).await;
    for (env, args, needle) in [
        (
            "MODELGATES_MANAGEMENT_KEY",
            vec!["create", "-p", "modelgates", "--name", "x", "--models", "a"],
            "does not support --models",
        ),
        (
            "IONET_ADMIN_KEY",
            vec!["create", "-p", "ionet", "--name", "x", "--type", "admin"],
            "does not support --type admin",
        ),
        (
            "IONET_ADMIN_KEY",
            vec!["create", "-p", "ionet", "--name", "x", "--reset", "never"],
            "does not support --reset never",
        ),
        (
            "VENICE_ADMIN_KEY",
            vec!["create", "-p", "venice", "--name", "x", "--reset", "weekly"],
            "does not support --reset weekly",
        ),
        (
            "VENICE_ADMIN_KEY",
            vec!["create", "-p", "venice", "--name", "x", "--models", "a"],
            "does not support --models",
        ),
        (
            "NOVAPAI_MANAGEMENT_KEY",
            vec!["create", "-p", "novapai", "--name", "x", "--disable"],
            "created enabled",
        ),
        (
            "NOVAPAI_MANAGEMENT_KEY",
            vec!["create", "-p", "novapai", "--name", "x", "--limit", "+5"],
            "a new key takes --limit N or none",
        ),
        (
            "NOVAPAI_MANAGEMENT_KEY",
            vec!["create", "-p", "novapai", "--limit", "5"],
            "needs --name",
        ),
        (
            "NOVAPAI_MANAGEMENT_KEY",
            vec![
                "create",
                "-p",
                "novapai",
                "--name",
                "x",
                "--expires",
                "2001-01-01",
            ],
            "in the past",
        ),
        (
            "NOVAPAI_MANAGEMENT_KEY",
            vec!["create", "-p", "novapai", "--name", "  "],
            "cannot be empty",
        ),
    ] {
        Keyctl::new(env, &args)
            .base(&server)
            .run()
            .await
            .code(2)
            .stderr_has(needle);
    }
}

#[tokio::test]
async fn dry_run_shows_the_request_and_sends_nothing() {
    let server = server_no_keys().await;
    forbid_post(&server).await;
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--limit",
            "12.50",
            "--dry-run",
        ],
    )
    .base(&server)
    .args(&["-o", "table"])
    .run()
    .await;
    out.code(0)
        .stdout_has("ModelGates: new key \"ci\":")
        .stdout_has("POST ")
        .stdout_has(r#"{"name":"ci","limit":12.50}"#)
        .stdout_has("authorization: Bearer ****");
    let out = Keyctl::bare(&[
        "create",
        "-p",
        "venice",
        "--name",
        "ci",
        "--dry-run",
        "-o",
        "json",
    ])
    .run()
    .await;
    out.code(0)
        .stderr_has("VENICE_ADMIN_KEY is not set (needed for a real run)");
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "dry_run");
    assert_eq!(line["request"]["method"], "POST");
    assert_eq!(
        line["request"]["body"],
        json!({"apiKeyType": "INFERENCE", "description": "ci"})
    );
    assert!(line.get("secret").is_none());
}

#[tokio::test]
async fn the_table_shows_the_secret_whole_with_a_warning_and_quiet_keeps_it() {
    let server = server_no_keys().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(gates_answer("ci")))
        .expect(2)
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "OPENROUTER_MANAGEMENT_KEY",
        &["create", "-p", "openrouter", "--name", "ci", "-o", "table"],
    )
    .base(&server)
    .env("COLUMNS", "60")
    .run()
    .await;
    out.code(0);
    secret_only_on_stdout(&out, GATES_NEW);
    // The heading, the key's fields indented by two spaces, the secret's line, then the secret
    // alone on its own line (nothing else on it, not indented, not wrapped at 60 columns).
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "OpenRouter key created:", "{}", out.stdout);
    let s = lines
        .iter()
        .position(|l| {
            *l == "  secret (shown only this once: the provider will not show it again; store \
                   it now):"
        })
        .unwrap_or_else(|| panic!("no secret heading:\n{}", out.stdout));
    assert!(s > 1, "{}", out.stdout);
    for l in &lines[1..s] {
        assert!(
            l.starts_with("  ") && !l.starts_with("   ") && l.contains(": "),
            "{l:?}:\n{}",
            out.stdout
        );
    }
    assert!(
        lines[1..s]
            .iter()
            .any(|l| l.starts_with("  id:") && l.ends_with(NEW_HASH)),
        "{}",
        out.stdout
    );
    assert_eq!(lines.get(s + 1), Some(&GATES_NEW), "{}", out.stdout);
    assert_eq!(out.stdout.matches(GATES_NEW).count(), 1, "{}", out.stdout);
    // -q prints nothing else, but never drops a secret that cannot be shown again.
    let out = Keyctl::new(
        "OPENROUTER_MANAGEMENT_KEY",
        &[
            "create",
            "-p",
            "openrouter",
            "--name",
            "ci",
            "-q",
            "-o",
            "json",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["secret"], GATES_NEW);
    assert_eq!(out.stderr, "");
}

#[tokio::test]
async fn secret_file_is_new_0600_and_keeps_the_secret_off_stdout() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ci.key");
    let f = file.to_str().unwrap();
    let server = server_no_keys().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(gates_answer("ci")))
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--secret-file",
            f,
            "-o",
            "json",
            "-v",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    assert!(!out.stdout.contains(GATES_NEW), "{}", out.stdout);
    secret_only_on_stdout(&out, GATES_NEW);
    let line = &out.json_lines()[0];
    assert_eq!(line["secret_file"], f);
    assert!(line.get("secret").is_none());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{GATES_NEW}\n")
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // An existing file is never overwritten, and nothing is created.
    let server = server_no_keys().await;
    forbid_post(&server).await;
    Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--secret-file",
            f,
        ],
    )
    .base(&server)
    .run()
    .await
    .code(2)
    .stderr_has("already exists")
    .stderr_has("nothing was created");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{GATES_NEW}\n")
    );
    // A path that cannot be created: nothing is created either.
    let bad = dir.path().join("missing-dir").join("k");
    Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--secret-file",
            bad.to_str().unwrap(),
        ],
    )
    .base(&server)
    .run()
    .await
    .code(2)
    .stderr_has("cannot create it");
}

#[tokio::test]
async fn a_failed_create_leaves_no_secret_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ci.key");
    let server = server_no_keys().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"code": 400, "message": "name taken"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--secret-file",
            file.to_str().unwrap(),
        ],
    )
    .base(&server)
    .run()
    .await
    .code(5)
    .stderr_has("name taken");
    assert!(!file.exists());
}

#[tokio::test]
async fn a_create_is_not_retried_once_it_may_have_been_applied() {
    // 500: the provider may have made the key; one attempt only.
    let server = server_no_keys().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "VENICE_ADMIN_KEY",
        &[
            "create",
            "-p",
            "venice",
            "--name",
            "ci",
            "--retries",
            "3",
            "-o",
            "json",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(7)
        .stderr_has("a key may have been created: check with keyctl list before trying again");
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "unknown", "{line}");
    assert_eq!(line["key"], "ci", "{line}");
    assert_eq!(line["error"]["http_status"], 500, "{line}");
    // A timeout: the answer may be on its way; one attempt, and the outcome is unknown.
    let server = server_no_keys().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(gates_answer("ci"))
                .set_delay(Duration::from_secs(3)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--timeout",
            "300ms",
            "-o",
            "json",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(8)
        .stderr_has("a key may have been created: check with keyctl list");
    assert_eq!(out.json_lines()[0]["status"], "unknown");
    assert_eq!(out.json_lines()[0]["key"], "ci");
}

/// A create answered 500, 502 or 504 may have made the key: `unknown`, exit 7, one attempt,
/// the message in `error.message` and on stderr, and the line names the key it was for.
#[tokio::test]
async fn a_create_answered_500_502_or_504_is_unknown_exit_7() {
    for (env, p, status) in [
        ("MODELGATES_MANAGEMENT_KEY", "modelgates", 500),
        ("OPENROUTER_MANAGEMENT_KEY", "openrouter", 502),
        ("IONET_ADMIN_KEY", "ionet", 504),
        ("VENICE_ADMIN_KEY", "venice", 502),
        ("NOVAPAI_MANAGEMENT_KEY", "novapai", 504),
    ] {
        let server = server_no_keys().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({"error": "upstream"})))
            .expect(1)
            .mount(&server)
            .await;
        let out = Keyctl::new(env, &["create", "-p", p, "--name", "ci-x", "-o", "json"])
            .base(&server)
            .args(&["--retries", "2"])
            .run()
            .await;
        let msg = "a key may have been created: check with keyctl list before trying again";
        out.code(7).stderr_has(msg);
        let lines = out.json_lines();
        assert_eq!(lines.len(), 1, "{p}: {}", out.stdout);
        assert_eq!(lines[0]["status"], "unknown", "{p}: {}", lines[0]);
        assert_eq!(lines[0]["key"], "ci-x", "{p}: {}", lines[0]);
        assert_eq!(lines[0]["error"]["http_status"], status, "{p}");
        assert!(
            lines[0]["error"]["message"].as_str().unwrap().contains(msg),
            "{p}: {}",
            lines[0]
        );
        assert!(lines[0].get("secret").is_none());
    }
}

#[tokio::test]
async fn a_failed_create_line_names_the_key_it_was_for() {
    let server = server_no_keys().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"code": 400, "message": "name taken"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci-taken",
            "-o",
            "json",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(5);
    let line = &out.json_lines()[0];
    assert_eq!(
        (&line["status"], &line["key"]),
        (&json!("failed"), &json!("ci-taken")),
        "{line}"
    );
}

#[tokio::test]
async fn tsv_columns_without_secret_is_exit_2_before_anything_is_sent() {
    for (env, p) in [
        ("MODELGATES_MANAGEMENT_KEY", "modelgates"),
        ("IONET_ADMIN_KEY", "ionet"),
        ("VENICE_ADMIN_KEY", "venice"),
    ] {
        let server = server_no_keys().await;
        forbid_post(&server).await;
        let out = Keyctl::new(env, &["create", "-p", p, "--name", "ci"])
            .base(&server)
            .args(&["-o", "tsv", "--columns", "id,name,status"])
            .run()
            .await;
        out.code(2).stderr_has("--columns").stderr_has("secret");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        assert!(server.received_requests().await.unwrap().is_empty(), "{p}");
    }
}

#[tokio::test]
async fn tsv_columns_with_secret_or_a_secret_file_create() {
    let server = server_no_keys().await;
    expect_create(
        &server,
        "/api/v1/keys",
        json!({"name": "ci"}),
        201,
        gates_answer("ci"),
    )
    .await;
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &["create", "-p", "modelgates", "--name", "ci"],
    )
    .base(&server)
    .args(&["-o", "tsv", "--columns", "id,secret"])
    .run()
    .await;
    out.code(0);
    assert_eq!(out.stdout, format!("id\tsecret\n{NEW_HASH}\t{GATES_NEW}\n"));
    secret_only_on_stdout(&out, GATES_NEW);
    // A secret file takes the secret: the columns may leave it out.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ci.key");
    let server = server_no_keys().await;
    expect_create(
        &server,
        "/api/v1/keys",
        json!({"name": "ci"}),
        201,
        gates_answer("ci"),
    )
    .await;
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &["create", "-p", "modelgates", "--name", "ci"],
    )
    .base(&server)
    .args(&["-o", "tsv", "--columns", "id,status"])
    .args(&["--secret-file", file.to_str().unwrap()])
    .run()
    .await;
    out.code(0);
    assert_eq!(out.stdout, format!("id\tstatus\n{NEW_HASH}\tcreated\n"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{GATES_NEW}\n")
    );
}

#[tokio::test]
async fn a_create_is_retried_after_429_and_503() {
    let server = server_no_keys().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(venice_answer("INFERENCE")))
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["create", "-p", "venice", "--name", "ci", "-o", "json"],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["secret"], VENICE_NEW);
}

#[tokio::test]
async fn an_answer_without_a_secret_names_the_key_to_revoke() {
    let server = server_no_keys().await;
    let mut answer = gates_answer("ci");
    answer.as_object_mut().unwrap().remove("key");
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(answer))
        .mount(&server)
        .await;
    Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &["create", "-p", "modelgates", "--name", "ci"],
    )
    .base(&server)
    .run()
    .await
    .code(7)
    .stderr_has("carries no secret")
    .stderr_has(&format!("keyctl revoke -p modelgates {NEW_HASH}"));
}

#[tokio::test]
async fn an_unreadable_answer_is_never_quoted() {
    // Not JSON, but holding something secret-like: the error must not show it.
    let server = server_no_keys().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(format!("{{\"apiKey\": \"{VENICE_NEW}\"")),
        )
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["create", "-p", "venice", "--name", "ci"],
    )
    .base(&server)
    .run()
    .await;
    out.code(7).stderr_has("not valid JSON");
    assert!(!out.stderr.contains("NEWKEY"), "{}", out.stderr);
    assert!(!out.stdout.contains("NEWKEY"), "{}", out.stdout);
}

#[tokio::test]
async fn names_from_a_file_make_one_key_each() {
    let dir = tempfile::tempdir().unwrap();
    let names = dir.path().join("names.txt");
    std::fs::write(&names, "# CI keys\nci-a\n\nci-b\nci c\n").unwrap();
    let server = server_no_keys().await;
    for n in ["ci-a", "ci-b", "ci c"] {
        expect_create(
            &server,
            "/api/v1/keys",
            json!({"name": n, "limit": 5}),
            201,
            gates_answer(n),
        )
        .await;
    }
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &["create", "-p", "modelgates", "--limit", "5", "-o", "json"],
    )
    .base(&server)
    .args(&["--from-file", names.to_str().unwrap()])
    .run()
    .await;
    out.code(0).stderr_has("summary: 3 created, 0 failed");
    assert_eq!(out.json_lines().len(), 3);
    // --name and --from-file together, or a name given twice, are refused.
    std::fs::write(&names, "a\nb\na\n").unwrap();
    Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "create",
            "-p",
            "modelgates",
            "--from-file",
            names.to_str().unwrap(),
        ],
    )
    .base(&server)
    .run()
    .await
    .code(2)
    .stderr_has("line 3");
}

/// The Venice key list with `n` keys.
async fn mount_venice_list(server: &MockServer, n: usize) {
    let keys: Vec<Value> = (0..n)
        .map(|i| json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "description": "k"}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": keys})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn venice_bulk_creates_respect_the_500_key_cap() {
    let dir = tempfile::tempdir().unwrap();
    let names = dir.path().join("names.txt");
    std::fs::write(&names, "a\nb\n").unwrap();
    let server = server_no_keys().await;
    mount_venice_list(&server, 499).await;
    forbid_post(&server).await;
    Keyctl::new(
        "VENICE_ADMIN_KEY",
        &[
            "create",
            "-p",
            "venice",
            "--from-file",
            names.to_str().unwrap(),
        ],
    )
    .base(&server)
    .run()
    .await
    .code(2)
    .stderr_has("at most 500 active keys")
    .stderr_has("it has 499");
}

#[tokio::test]
async fn venice_creates_are_paced_to_its_rate() {
    // 21 creates with the window shortened to 1.5 s: the 21st waits for the window.
    let dir = tempfile::tempdir().unwrap();
    let names = dir.path().join("names.txt");
    let list: Vec<String> = (0..21).map(|i| format!("k{i}")).collect();
    std::fs::write(&names, list.join("\n")).unwrap();
    let server = server_no_keys().await;
    mount_venice_list(&server, 3).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(venice_answer("INFERENCE")))
        .expect(21)
        .mount(&server)
        .await;
    let started = Instant::now();
    let out = Keyctl::new(
        "VENICE_ADMIN_KEY",
        &[
            "create",
            "-p",
            "venice",
            "--from-file",
            names.to_str().unwrap(),
            "-o",
            "json",
        ],
    )
    .base(&server)
    .env("KEYCTL_CREATE_WINDOW_MS", "1500")
    .run()
    .await;
    out.code(0).stderr_has("Venice allows 20 creates per");
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.json_lines().len(), 21);
}

#[tokio::test]
async fn a_refused_credential_stops_a_bulk_create() {
    let dir = tempfile::tempdir().unwrap();
    let names = dir.path().join("names.txt");
    std::fs::write(&names, "a\nb\nc\n").unwrap();
    let server = server_no_keys().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"code": 401, "message": "bad key"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "NOVAPAI_MANAGEMENT_KEY",
        &[
            "create",
            "-p",
            "novapai",
            "--from-file",
            names.to_str().unwrap(),
            "-o",
            "json",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(3).stderr_has("stopped creating keys");
    let statuses: Vec<Value> = out
        .json_lines()
        .iter()
        .map(|l| l["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [
            json!("failed"),
            json!("not_attempted"),
            json!("not_attempted")
        ]
    );
    // Each line names the key it was for (there is no id).
    let keys: Vec<Value> = out.json_lines().iter().map(|l| l["key"].clone()).collect();
    assert_eq!(keys, [json!("a"), json!("b"), json!("c")]);
}

#[tokio::test]
async fn venice_400_at_the_key_cap_says_what_to_do() {
    let server = server_no_keys().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": "You have reached the maximum number of API keys (500)"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["create", "-p", "venice", "--name", "ci"],
    )
    .base(&server)
    .run()
    .await
    .code(5)
    .stderr_has("allows at most 500 active keys per account")
    .stderr_has("keyctl list -p venice");
}
