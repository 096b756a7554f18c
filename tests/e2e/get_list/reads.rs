//! Read before write: get, list with pagination, relative limits and caps, Venice currency
//! preservation, --match, --from-file, concurrency.

use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::stand_ins::gates_key_at;
use crate::common::{IONET_KEY, Keyctl, VENICE_KEY, forbid_patch};

const MG: &str = "MODELGATES_MANAGEMENT_KEY";

/// A full ModelGates key hash (64 hex digits): used as is, with no listing read.
const H1: &str = "7d3c9a41e8b2f0561c4d8e2a9b7f3e10c5a6d4b2e8f1097a3c5e7b9d1f2a4c6e";

async fn mount_gates_get(server: &MockServer, hash: &str, limit: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{hash}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": gates_key_at(hash, "k", limit)})),
        )
        .mount(server)
        .await;
}

async fn mount_patch(server: &MockServer, hash: &str, body: serde_json::Value, times: u64) {
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{hash}")))
        .and(body_json(body.clone()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": gates_key_at(hash, "k", body["limit"].clone())})),
        )
        .expect(times)
        .mount(server)
        .await;
}

fn mg(args: &[&str], server: &MockServer) -> Keyctl {
    let mut all = vec!["-p", "modelgates"];
    all.extend_from_slice(args);
    Keyctl::new(MG, &all).base(server)
}

#[tokio::test]
async fn get_each_provider() {
    let server = MockServer::start().await;
    mount_gates_get(&server, H1, json!(40)).await;
    let out = mg(&["get", H1, "-o", "json"], &server).run().await;
    out.code(0);
    let l = &out.json_lines()[0];
    assert_eq!(l["status"], "ok");
    assert_eq!(l["after"]["limit"], json!(40));
    assert_eq!(l["after"]["raw"]["hash"], H1);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "id": VENICE_KEY, "description": "v", "consumptionLimits": {"usd": 5},
            "limitPeriod": "MONTH", "currentPeriodUsage": {"usd": "1.25", "diem": "0"}}, "success": true})))
        .mount(&server)
        .await;
    // One key on a terminal-style table: `field: value` lines, in the model's words.
    Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["get", "-p", "venice", VENICE_KEY, "-o", "table"],
    )
    .base(&server)
    .run()
    .await
    .code(0)
    .stdout_has(&format!("id:        {VENICE_KEY}"))
    .stdout_has("usage:     1.25")
    .stdout_has("remaining: 3.75")
    .stdout_has("limits:    usd 5")
    .stdout_has("reset:     monthly");

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/api-keys/sub-keys/{IONET_KEY}/usage")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "credit_used": 3, "credit_limit": 10, "remaining_credit": 7, "credit_refresh_cycle": "weekly"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded", "data": [
            {"id": IONET_KEY, "description": "build bot", "allowed_models": ["m1"], "credit_limit": 10,
             "credit_used": 3, "credit_refresh_cycle": "weekly", "expires_at": null, "created_at": "2026-01-01T00:00:00Z"}]})))
        .mount(&server)
        .await;
    Keyctl::new("IONET_ADMIN_KEY", &["get", "-p", "ionet", IONET_KEY])
        .base(&server)
        .run()
        .await
        .code(0)
        .stdout_has("build bot")
        .stdout_has("weekly")
        .stdout_has("m1");
}

#[tokio::test]
async fn list_reads_every_page() {
    let server = MockServer::start().await;
    for (offset, n) in [(0, 100), (100, 100), (200, 37)] {
        let keys: Vec<_> = (0..n)
            .map(|i| gates_key_at(&format!("h{}", offset + i), "n", json!(1)))
            .collect();
        Mock::given(method("GET"))
            .and(path("/api/v1/keys"))
            .and(query_param("offset", offset.to_string().as_str()))
            .and(query_param("include_disabled", "true"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": keys})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let out = mg(&["list", "--include-disabled", "-o", "json"], &server)
        .run()
        .await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 237);
    assert_eq!(lines[236]["key"], "h236");
}

#[tokio::test]
async fn relative_limit_reads_then_sets_the_sum() {
    let server = MockServer::start().await;
    mount_gates_get(&server, H1, json!(40)).await;
    mount_patch(&server, H1, json!({"limit": 65}), 1).await;
    mg(&["update", H1, "--limit", "+25"], &server)
        .run()
        .await
        .code(0)
        .stdout_has("limit 40→65");
}

#[tokio::test]
async fn relative_limit_respects_the_cap() {
    let server = MockServer::start().await;
    mount_gates_get(&server, H1, json!(40)).await;
    mount_patch(&server, H1, json!({"limit": 50}), 1).await;
    mg(
        &["update", H1, "--limit", "+25", "--limit-max", "50"],
        &server,
    )
    .run()
    .await
    .code(0);
}

#[tokio::test]
async fn at_the_cap_nothing_is_sent() {
    let server = MockServer::start().await;
    mount_gates_get(&server, H1, json!(50)).await;
    forbid_patch(&server).await;
    let out = mg(
        &[
            "update",
            H1,
            "--limit",
            "+25",
            "--limit-max",
            "50",
            "-o",
            "json",
        ],
        &server,
    )
    .run()
    .await;
    out.code(0).stderr_has("already at or over the cap");
    assert_eq!(out.json_lines()[0]["status"], "unchanged");
}

#[tokio::test]
async fn below_zero_is_an_error_and_nothing_is_sent() {
    let server = MockServer::start().await;
    mount_gates_get(&server, H1, json!(5)).await;
    forbid_patch(&server).await;
    mg(&["update", H1, "--limit", "-10"], &server)
        .run()
        .await
        .code(2)
        .stderr_has("below 0");
}

/// A key with no cap stays without one: `+N` on it is `unchanged` (exit 0), not an error.
#[tokio::test]
async fn relative_on_a_key_without_limit_leaves_it_unlimited() {
    let server = MockServer::start().await;
    mount_gates_get(&server, H1, json!(null)).await;
    forbid_patch(&server).await;
    let out = mg(&["update", H1, "--limit", "+1", "-o", "json"], &server)
        .run()
        .await;
    out.code(0).stderr_has("no cap: +1 leaves it unlimited");
    assert_eq!(out.json_lines()[0]["status"], "unchanged");
}

#[tokio::test]
async fn relative_dry_run_reads_and_shows_before_and_after() {
    let server = MockServer::start().await;
    mount_gates_get(&server, H1, json!(40)).await;
    forbid_patch(&server).await;
    let out = mg(
        &["update", H1, "--limit", "+25", "--dry-run", "-o", "json"],
        &server,
    )
    .run()
    .await;
    out.code(0);
    let l = &out.json_lines()[0];
    assert_eq!(l["before"]["limit"], json!(40));
    assert_eq!(l["after"]["limit"], json!(65));
    assert_eq!(
        l["changes"][0],
        json!({"field": "limit", "from": 40, "to": 65})
    );
    assert_eq!(l["request"]["body"], json!({"limit": 65}));
    let out = mg(
        &["update", H1, "--limit", "+25", "--dry-run", "-o", "table"],
        &server,
    )
    .run()
    .await;
    out.code(0)
        .stdout_has(&format!("ModelGates key {H1} \"k\":"))
        .stdout_has("  limit  40 → 65")
        .stderr_has("summary: 1 would update");
}

#[tokio::test]
async fn match_needs_yes() {
    let server = MockServer::start().await;
    let keys = json!({"data": [gates_key_at("a1", "ci-runner-1", json!(1)), gates_key_at("a2", "ci-runner-2", json!(1)), gates_key_at("b", "prod", json!(1))]});
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(keys))
        .mount(&server)
        .await;
    mount_patch(&server, "a1", json!({"limit": 9}), 1).await;
    mount_patch(&server, "a2", json!({"limit": 9}), 1).await;
    let out = mg(&["update", "--match", "ci-*", "--limit", "9"], &server)
        .run()
        .await;
    out.code(2)
        .stderr_has("selected 2 key(s)")
        .stderr_has("--yes");
    let out = mg(
        &[
            "update", "--match", "ci-*", "--limit", "9", "--yes", "-o", "json",
        ],
        &server,
    )
    .run()
    .await;
    out.code(0)
        .stderr_has("summary: 2 updated, 0 unchanged, 0 failed");
    let keys: Vec<_> = out
        .json_lines()
        .iter()
        .map(|l| l["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["a1", "a2"]);
}

#[tokio::test]
async fn from_file_skips_comments_and_blank_lines() {
    let server = MockServer::start().await;
    let (k1, k2, k3) = (
        format!("{:064x}", 1),
        format!("{:064x}", 2),
        format!("{:064x}", 3),
    );
    mount_patch(&server, &k1, json!({"limit": 3}), 1).await;
    mount_patch(&server, &k2, json!({"limit": 3}), 1).await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("keys.txt");
    std::fs::write(
        &f,
        format!("# keys for CI\n{k1}\n\n   \n  {k2}  \n# {k3}\n"),
    )
    .unwrap();
    let out = mg(
        &[
            "update",
            "--from-file",
            f.to_str().unwrap(),
            "--limit",
            "3",
            "-o",
            "json",
        ],
        &server,
    )
    .run()
    .await;
    out.code(0);
    assert_eq!(out.json_lines().len(), 2);
    // And from standard input.
    let server = MockServer::start().await;
    mount_patch(&server, &k1, json!({"limit": 3}), 1).await;
    mg(&["update", "--from-file", "-", "--limit", "3"], &server)
        .stdin(format!("{k1}\n# c\n").as_bytes())
        .run()
        .await
        .code(0);
}

#[tokio::test]
async fn requests_overlap_up_to_the_concurrency() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"hash": "x"}}))
                .set_delay(Duration::from_millis(400)),
        )
        .expect(8)
        .mount(&server)
        .await;
    let keys: Vec<String> = (0..8).map(|i| format!("{i:064x}")).collect();
    let mut args: Vec<&str> = vec!["update", "--limit", "1", "--concurrency", "8", "-o", "json"];
    args.extend(keys.iter().map(String::as_str));
    let t = Instant::now();
    let out = mg(&args, &server).run().await;
    let took = t.elapsed();
    out.code(0);
    // Sequentially this is 8 × 400 ms = 3.2 s; overlapped it is about one delay.
    assert!(took < Duration::from_millis(1600), "{took:?}");
    let order: Vec<_> = out
        .json_lines()
        .iter()
        .map(|l| l["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, keys, "output stays in input order");
}

#[tokio::test]
async fn ionet_reads_its_key_list_once_per_run() {
    let server = MockServer::start().await;
    let ids = [IONET_KEY, "4a1b2c3d-0000-4000-8000-000000000001"];
    for id in ids {
        Mock::given(method("GET"))
            .and(path(format!("/v1/api-keys/sub-keys/{id}/usage")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "credit_used": 1, "credit_limit": 10, "remaining_credit": 9, "credit_refresh_cycle": "daily"})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("PATCH"))
            .and(path(format!("/v1/api-keys/sub-keys/{id}")))
            .and(body_json(json!({"credit_limit": 15})))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded"})))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "succeeded", "data": [
            {"id": ids[0], "description": "a", "credit_limit": 10},
            {"id": ids[1], "description": "b", "credit_limit": 10}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Keyctl::new(
        "IONET_ADMIN_KEY",
        &["update", "-p", "ionet", ids[0], ids[1], "--limit", "+5"],
    )
    .base(&server)
    .run()
    .await
    .code(0);
}
