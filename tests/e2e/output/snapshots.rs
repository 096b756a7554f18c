//! Whole-run snapshots (exit code, stdout, stderr; server address filtered) of the main outputs.
//!
//! Each snapshot is one real run of the binary against wiremock, rendered by [`render`]; insta's
//! [`filters`] replace what varies between runs by a placeholder: the server address
//! (`[SERVER]`), the version, request timings (`[N] ms`), the time and run id of JSON lines;
//! instants computed from the clock (`[NOW+30d]`) are replaced by [`replace_instants`], which
//! keeps fixed dates (no pattern tells them apart).
//! The `.snap` files in `snapshots/` are committed; review a change with
//! `INSTA_UPDATE=always cargo test --test e2e snapshots` and `git diff`. With `CI` set insta
//! writes nothing and fails on any difference.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{GATES_KEY, Keyctl, Out, VENICE_KEY, fixture, forbid_patch};

const VENICE: &str = "VENICE_ADMIN_KEY";
const MG: &str = "MODELGATES_MANAGEMENT_KEY";

/// The exit code, stdout and stderr of one run (the parts that vary are replaced by
/// [`filters`] when the snapshot is compared).
fn render(out: &Out) -> String {
    format!(
        "exit code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}\n",
        out.code,
        out.stdout.trim_end(),
        out.stderr.trim_end()
    )
}

/// insta's settings with a filter for each part of a run that varies: any loopback address
/// (the server's, a second server's, a port in an error message), the version in
/// `user-agent` (so a release does not change every snapshot), `-v` timings ("< 200 in 3 ms",
/// "< timeout after 1001 ms"), and the time and run id of each JSON line. Bind it for a test's
/// scope: `let _filters = filters().bind_to_scope();`.
fn filters() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"http://127\.0\.0\.1:[0-9]+", "[SERVER]");
    s.add_filter(
        &regex_escape(&format!("keyctl/{}", env!("CARGO_PKG_VERSION"))),
        "keyctl/[VERSION]",
    );
    s.add_filter(r"( in | after )[0-9]+ ms", "${1}[N] ms");
    s.add_filter(r#""(time|run)":"[^"]*"#, r#""$1":"[VARIES]"#);
    s
}

/// `text` with every regex metacharacter escaped.
fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// A table as a 100-column terminal shows it.
fn table() -> [&'static str; 2] {
    ["-o", "table"]
}

/// Replaces every RFC 3339 instant in `s` that lies in `lo..=hi` with `label` (for instants
/// keyctl computes from its clock, such as `--expires 30d`). Fixed dates are kept.
fn replace_instants(s: &str, lo: DateTime<Utc>, hi: DateTime<Utc>, label: &str) -> String {
    let is_part = |c: char| c.is_ascii_digit() || "-:.TZ+".contains(c);
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let len = tail.find(|c: char| !is_part(c)).unwrap_or(tail.len());
        let word = &tail[..len];
        match DateTime::parse_from_rfc3339(word) {
            Ok(t) if (lo..=hi).contains(&t.to_utc()) => out.push_str(label),
            _ => out.push_str(word),
        }
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// A Venice key as `GET /api/v1/api_keys/{id}` returns it.
fn venice_key() -> serde_json::Value {
    json!({
        "id": VENICE_KEY, "description": "ci-runner", "apiKeyType": "ADMIN",
        "consumptionLimits": {"usd": 30, "diem": 10, "vcu": null},
        "limitPeriod": "MONTH", "expiresAt": null, "createdAt": "2026-01-05T09:00:00.000Z",
        "currentPeriodUsage": {"usd": "12.5", "diem": "0"}
    })
}

async fn mount_venice_get(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": venice_key(), "success": true})),
        )
        .mount(server)
        .await;
}

async fn mount_gates_update(server: &MockServer, body: serde_json::Value) {
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .and(body_json(body))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("modelgates/update_response.json")),
        )
        .expect(1)
        .mount(server)
        .await;
}

/// Venice answers an update with the key as it now is (`response`, in `data`).
async fn mount_venice_update(
    server: &MockServer,
    body: serde_json::Value,
    response: serde_json::Value,
) {
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(200).set_body_json(response))
        .expect(1)
        .mount(server)
        .await;
}

fn gates_key(
    hash: &str,
    name: &str,
    limit: serde_json::Value,
    disabled: bool,
) -> serde_json::Value {
    json!({"hash": hash, "name": name, "label": name, "disabled": disabled, "limit": limit,
           "limit_remaining": 7.25, "limit_reset": "monthly", "usage": 2.75,
           "created_at": "2026-01-05T09:00:00Z", "updated_at": null})
}

/// Help and the support table need no server; a fixed width keeps clap's wrapping stable.
async fn offline(args: &[&str]) -> String {
    let out = Keyctl::bare(args)
        .env("COLUMNS", "100")
        .env("LINES", "50")
        .run()
        .await;
    render(&out)
}

#[tokio::test]
async fn update_venice_table() {
    let _filters = filters().bind_to_scope();
    let server = MockServer::start().await;
    mount_venice_update(
        &server,
        json!({"id": VENICE_KEY, "consumptionLimit": {"usd": 50, "diem": 10, "vcu": 30},
               "limitPeriod": "MONTH", "description": "Updated API Key Name",
               "modelPrivacy": "PRIVATE_ONLY"}),
        fixture("venice/update_response.json"),
    )
    .await;
    let out = Keyctl::new(VENICE, &["update", "-p", "venice", VENICE_KEY])
        .base(&server)
        .env("COLUMNS", "100")
        .args(&table())
        .args(&[
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
            "--privacy",
            "private-only",
        ])
        .run()
        .await;
    insta::assert_snapshot!("update_venice_table", render(&out));
}

#[tokio::test]
async fn update_venice_relative_table() {
    let _filters = filters().bind_to_scope();
    // A read before the write: changed cells show `before → after`.
    let server = MockServer::start().await;
    mount_venice_get(&server).await;
    let mut after = venice_key();
    after["consumptionLimits"]["usd"] = json!(50);
    mount_venice_update(
        &server,
        json!({"id": VENICE_KEY, "consumptionLimit": {"usd": 50, "diem": 10, "vcu": null}}),
        json!({"data": after, "success": true}),
    )
    .await;
    let out = Keyctl::new(VENICE, &["update", "-p", "venice", VENICE_KEY])
        .base(&server)
        .env("COLUMNS", "100")
        .args(&table())
        .args(&["--limit", "+25", "--limit-max", "50"])
        .run()
        .await;
    insta::assert_snapshot!("update_venice_relative_table", render(&out));
}

#[tokio::test]
async fn update_modelgates_table() {
    let _filters = filters().bind_to_scope();
    let server = MockServer::start().await;
    mount_gates_update(&server, fixture("modelgates/update_request.json")).await;
    let out = Keyctl::new(MG, &["update", "-p", "modelgates", GATES_KEY])
        .base(&server)
        .env("COLUMNS", "100")
        .args(&table())
        .args(&[
            "--name",
            "Updated API Key Name",
            "--enable",
            "--limit",
            "75",
            "--reset",
            "daily",
            "--include-byok-in-limit",
            "true",
        ])
        .run()
        .await;
    insta::assert_snapshot!("update_modelgates_table", render(&out));
}

#[tokio::test]
async fn update_json() {
    let _filters = filters().bind_to_scope();
    let server = MockServer::start().await;
    mount_gates_update(&server, json!({"limit": 75})).await;
    let out = Keyctl::new(MG, &["update", "-p", "modelgates", GATES_KEY])
        .base(&server)
        .args(&["--limit", "75", "-o", "json"])
        .run()
        .await;
    insta::assert_snapshot!("update_json", render(&out));
}

#[tokio::test]
async fn update_verbose() {
    let _filters = filters().bind_to_scope();
    let server = MockServer::start().await;
    mount_gates_update(&server, json!({"limit": 75})).await;
    let out = Keyctl::new(MG, &["update", "-p", "modelgates", GATES_KEY])
        .base(&server)
        .args(&["--limit", "75", "-v"])
        .run()
        .await;
    insta::assert_snapshot!("update_verbose", render(&out));
}

#[tokio::test]
async fn dry_run_table() {
    let _filters = filters().bind_to_scope();
    // Venice with one currency: the key is read first, so the output shows the current state.
    let server = MockServer::start().await;
    mount_venice_get(&server).await;
    forbid_patch(&server).await;
    let lo = Utc::now() + Duration::days(30) - Duration::seconds(1);
    let out = Keyctl::new(VENICE, &["update", "-p", "venice", VENICE_KEY])
        .base(&server)
        .env("COLUMNS", "100")
        .args(&table())
        .args(&["--limit", "75", "--expires", "30d", "--dry-run"])
        .run()
        .await;
    let hi = Utc::now() + Duration::days(30) + Duration::seconds(1);
    let text = replace_instants(&render(&out), lo, hi, "[NOW+30d]");
    insta::assert_snapshot!("dry_run_table", text);
}

#[tokio::test]
async fn dry_run_json() {
    let _filters = filters().bind_to_scope();
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    // No credential: nothing is read, so `before` is null and no change has a `from`. Full
    // ids (64 hex digits) need no listing, which would need the credential.
    let second = "9b2e4f10c3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f";
    let out = Keyctl::bare(&["update", "-p", "modelgates", GATES_KEY, second])
        .base(&server)
        .args(&["--disable", "--limit", "none", "--dry-run", "-o", "json"])
        .run()
        .await;
    insta::assert_snapshot!("dry_run_json", render(&out));
}

#[tokio::test]
async fn get_one_key() {
    let _filters = filters().bind_to_scope();
    let server = MockServer::start().await;
    mount_venice_get(&server).await;
    let out = Keyctl::new(VENICE, &["get", "-p", "venice", VENICE_KEY])
        .base(&server)
        .env("COLUMNS", "100")
        .args(&table())
        .run()
        .await;
    insta::assert_snapshot!("get_one_key", render(&out));
}

#[tokio::test]
async fn list_a_few_keys() {
    let _filters = filters().bind_to_scope();
    let server = list_server().await;
    let out = Keyctl::new(MG, &["list", "-p", "modelgates", "--include-disabled"])
        .base(&server)
        .env("COLUMNS", "100")
        .args(&table())
        .run()
        .await;
    insta::assert_snapshot!("list_a_few_keys", render(&out));
}

/// Three ModelGates keys (one without a cap, one disabled), for the list snapshots.
async fn list_server() -> MockServer {
    let server = MockServer::start().await;
    let keys = json!({"data": [
        gates_key("a1b2c3", "ci-runner-1", json!(10), false),
        gates_key("d4e5f6", "ci-runner-2", json!(null), false),
        gates_key(GATES_KEY, "prod", json!(500.5), true),
    ]});
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("include_disabled", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(keys))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn list_table_at_60_and_200_columns() {
    let _filters = filters().bind_to_scope();
    let server = list_server().await;
    for cols in ["60", "200"] {
        let out = Keyctl::new(MG, &["list", "-p", "modelgates", "--include-disabled"])
            .base(&server)
            .env("COLUMNS", cols)
            .args(&table())
            .run()
            .await;
        let width = cols.parse::<usize>().unwrap();
        // Fitted: no line wider than the terminal; at 60 columns each id is its shortest
        // unique prefix (8 characters here), at 200 whole.
        for l in out.stdout.lines() {
            assert!(l.chars().count() <= width, "{cols}: {l}");
        }
        let id = if cols == "60" {
            &GATES_KEY[..8]
        } else {
            GATES_KEY
        };
        assert!(out.stdout.contains(id), "{}", out.stdout);
        insta::assert_snapshot!(format!("list_table_{cols}"), render(&out));
    }
}

#[tokio::test]
async fn list_tsv_and_columns() {
    let _filters = filters().bind_to_scope();
    let server = list_server().await;
    let out = Keyctl::new(MG, &["list", "-p", "modelgates", "--include-disabled"])
        .base(&server)
        .run()
        .await;
    insta::assert_snapshot!("list_tsv", render(&out));
    let out = Keyctl::new(MG, &["list", "-p", "modelgates", "--include-disabled"])
        .base(&server)
        .args(&["--columns", "id,remaining,name", "--no-headers"])
        .run()
        .await;
    insta::assert_snapshot!("list_tsv_columns", render(&out));
}

#[tokio::test]
async fn get_one_key_json() {
    let _filters = filters().bind_to_scope();
    let server = MockServer::start().await;
    mount_venice_get(&server).await;
    let out = Keyctl::new(VENICE, &["get", "-p", "venice", VENICE_KEY, "-o", "json"])
        .base(&server)
        .run()
        .await;
    insta::assert_snapshot!("get_one_key_json", render(&out));
}

#[tokio::test]
async fn not_found_404() {
    let _filters = filters().bind_to_scope();
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(fixture("modelgates/error_404.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(MG, &["update", "-p", "modelgates", GATES_KEY])
        .base(&server)
        .env("COLUMNS", "100")
        .args(&table())
        .args(&["--limit", "1"])
        .run()
        .await;
    insta::assert_snapshot!("not_found_404", render(&out));
}

#[tokio::test]
async fn venice_inference_key_402() {
    let _filters = filters().bind_to_scope();
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(402).set_body_json(
            json!({"error": "This API key does not have permission to manage API keys"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(VENICE, &["update", "-p", "venice", VENICE_KEY])
        .base(&server)
        .env("COLUMNS", "100")
        .args(&table())
        .args(&["--name", "x", "--retries", "0"])
        .run()
        .await;
    insta::assert_snapshot!("venice_inference_key_402", render(&out));
}

#[tokio::test]
async fn unsupported_flag() {
    let _filters = filters().bind_to_scope();
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    let out = Keyctl::new(VENICE, &["update", "-p", "venice", VENICE_KEY])
        .base(&server)
        .args(&["--models", "llama-3.3-70b"])
        .run()
        .await;
    insta::assert_snapshot!("unsupported_flag", render(&out));
}

#[tokio::test]
async fn missing_credential() {
    let _filters = filters().bind_to_scope();
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    let out = Keyctl::bare(&["update", "-p", "venice", VENICE_KEY, "--limit", "5"])
        .base(&server)
        .run()
        .await;
    insta::assert_snapshot!("missing_credential", render(&out));
}

#[tokio::test]
async fn support_table() {
    let _filters = filters().bind_to_scope();
    insta::assert_snapshot!("support_table", offline(&["support"]).await);
}

#[tokio::test]
async fn help() {
    let _filters = filters().bind_to_scope();
    insta::assert_snapshot!("help", offline(&["--help"]).await);
}

#[tokio::test]
async fn update_help() {
    let _filters = filters().bind_to_scope();
    insta::assert_snapshot!("update_help", offline(&["update", "--help"]).await);
}

#[test]
fn scrubbers() {
    let _filters = filters().bind_to_scope();
    insta::assert_snapshot!(
        "at http://127.0.0.1:40123/x and http://127.0.0.1:",
        @"at [SERVER]/x and http://127.0.0.1:"
    );
    insta::assert_snapshot!(
        "< 200 in 3 ms; in 7 days; in 12 ms; < timeout after 1001 ms",
        @"< 200 in [N] ms; in 7 days; in [N] ms; < timeout after [N] ms"
    );
    insta::assert_snapshot!(
        format!("user-agent: keyctl/{}", env!("CARGO_PKG_VERSION")),
        @"user-agent: keyctl/[VERSION]"
    );
    insta::assert_snapshot!(
        r#"{"time":"2026-01-01T00:00:00Z","run":"r-1","x":"1"}"#,
        @r#"{"time":"[VARIES]","run":"[VARIES]","x":"1"}"#
    );
    let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    assert_eq!(
        replace_instants(
            "\"2030-06-01T12:30:45.123Z\", 2023-10-01T12:00:00Z 42",
            t("2030-06-01T00:00:00Z"),
            t("2030-06-02T00:00:00Z"),
            "[T]"
        ),
        "\"[T]\", 2023-10-01T12:00:00Z 42"
    );
}
