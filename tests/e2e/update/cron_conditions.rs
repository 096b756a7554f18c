//! The conditional cron line (`update --match 'ci-*' --yes --if-* ... --limit +25 --limit-max
//! 500`) against hostile stand-ins: a listing that shows a key twice with different states, and
//! a provider's own remaining figure that is negative (a key spent past its cap). A write is
//! made only on a state keyctl read unambiguously; a key the provider has stopped is never
//! skipped as "not met" on a figure keyctl made up.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{IONET_KEY, Keyctl, gates_listing, seen, server};

const MG: &str = "MODELGATES_MANAGEMENT_KEY";
const IO: &str = "IONET_ADMIN_KEY";

const A: &str = "a0a0000000000000000000000000000000000000000000000000000000000001";
const B: &str = "b0b0000000000000000000000000000000000000000000000000000000000002";

/// A daily-reset ModelGates key: `usage_daily` the period's spend, `limit_remaining` the
/// provider's own figure (None: left out).
fn gates_key(hash: &str, name: &str, usage: f64, limit: f64, left: Option<f64>) -> Value {
    let mut k = json!({"hash": hash, "name": name, "disabled": false, "limit": limit,
        "limit_reset": "daily", "include_byok_in_limit": true, "usage": 1000.0,
        "usage_daily": usage, "created_at": "2026-01-01T00:00:00Z", "expires_at": null});
    if let Some(l) = left {
        k["limit_remaining"] = json!(l);
    }
    k
}

/// Answers every PATCH with the key it names at the limit sent.
async fn patch_echo(server: &MockServer) {
    Mock::given(method("PATCH"))
        .respond_with(|req: &wiremock::Request| {
            let sent: Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
            let hash = req.url.path().rsplit('/').next().unwrap_or("");
            ResponseTemplate::new(200).set_body_json(json!({"data": {
                "hash": hash, "name": "ci", "disabled": false, "limit": sent["limit"],
                "limit_reset": "daily", "usage": 1000.0, "usage_daily": 0}}))
        })
        .mount(server)
        .await;
}

/// The writes the server received: `PATCH path body`, sorted.
async fn writes(server: &MockServer) -> Vec<String> {
    let mut w: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| {
            format!(
                "{} {} {}",
                r.method,
                r.url.path(),
                String::from_utf8_lossy(&r.body)
            )
        })
        .collect();
    w.sort();
    w
}

fn cron(args: &[&str]) -> Keyctl {
    Keyctl::new(
        MG,
        &["update", "-p", "modelgates", "--match", "ci-*", "--yes"],
    )
    .args(args)
    .args(&["--limit", "+25", "--limit-max", "500", "-o", "json"])
}

/// A listing that shows key A twice (pages read while it changed): at 95% first, at 10%
/// after. Neither copy is taken as A's state: A is read on its own (GET /keys/A), and the
/// write follows that read: here 10%, so no write. Before, the first copy (95%) was judged
/// and A's limit raised on it.
#[tokio::test]
async fn a_key_listed_twice_with_different_states_is_read_on_its_own() {
    let server = server().await;
    gates_listing(
        &server,
        vec![
            gates_key(A, "ci-a", 95.0, 100.0, Some(5.0)),
            gates_key(B, "ci-b", 10.0, 100.0, Some(90.0)),
            gates_key(A, "ci-a", 10.0, 100.0, Some(90.0)),
        ],
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{A}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": gates_key(A, "ci-a", 10.0, 100.0, Some(90.0))})))
        .mount(&server)
        .await;
    patch_echo(&server).await;
    let out = cron(&["--if-usage-over", "90%"]).base(&server).run().await;
    out.code(0);
    assert_eq!(
        writes(&server).await,
        Vec::<String>::new(),
        "{}",
        out.stderr
    );
    let reads: Vec<String> = seen(&server)
        .await
        .into_iter()
        .filter(|r| r.starts_with("GET /api/v1/keys/"))
        .collect();
    assert_eq!(reads, [format!("GET /api/v1/keys/{A}")]);
    let a = out
        .json_lines()
        .into_iter()
        .find(|l| l["key"] == A)
        .expect("a line for A");
    assert_eq!(a["status"], "unchanged", "{a}");
    assert!(
        a["reason"]
            .as_str()
            .is_some_and(|r| r.contains("usage 10 of 100 USD")),
        "{a}"
    );
}

/// The same listing, with A's own read at 95%: A is written once, on that read.
#[tokio::test]
async fn a_key_listed_twice_is_written_on_its_own_read() {
    let server = server().await;
    gates_listing(
        &server,
        vec![
            gates_key(A, "ci-a", 10.0, 100.0, Some(90.0)),
            gates_key(A, "ci-a", 50.0, 100.0, Some(50.0)),
        ],
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{A}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": gates_key(A, "ci-a", 95.0, 100.0, Some(5.0))})))
        .mount(&server)
        .await;
    patch_echo(&server).await;
    let out = cron(&["--if-usage-over", "90%"]).base(&server).run().await;
    out.code(0);
    assert_eq!(
        writes(&server).await,
        [format!("PATCH /api/v1/keys/{A} {{\"limit\":125}}")]
    );
}

/// A key listed twice with the same contents is one key, judged on its entry (no extra read).
#[tokio::test]
async fn a_key_listed_twice_the_same_needs_no_read() {
    let server = server().await;
    let a = gates_key(A, "ci-a", 95.0, 100.0, Some(5.0));
    gates_listing(&server, vec![a.clone(), a]).await;
    patch_echo(&server).await;
    let out = cron(&["--if-usage-over", "90%"]).base(&server).run().await;
    out.code(0);
    assert_eq!(
        seen(&server).await,
        [
            "GET /api/v1/keys".to_string(),
            format!("PATCH /api/v1/keys/{A}")
        ]
    );
}

/// ModelGates' own `limit_remaining` of -5 (spent past the cap: BYOK usage counted, or a
/// request that ran over) is 0 left, not the `limit - usage` of 5 keyctl would compute: the
/// key the provider stopped meets `--if-remaining-under 3` and is raised. Before, the negative
/// figure was dropped, the key was "unchanged: remaining 5 USD is not under 3" and stayed
/// blocked; with no usage figure at all, its remaining was "not known".
#[tokio::test]
async fn a_negative_limit_remaining_is_nothing_left() {
    let server = server().await;
    let mut b = gates_key(B, "ci-b", 0.0, 100.0, Some(-5.0));
    b.as_object_mut().map(|o| o.remove("usage_daily"));
    gates_listing(
        &server,
        vec![gates_key(A, "ci-a", 95.0, 100.0, Some(-5.0)), b],
    )
    .await;
    patch_echo(&server).await;
    let out = cron(&["--if-remaining-under", "3"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert_eq!(
        writes(&server).await,
        [
            format!("PATCH /api/v1/keys/{A} {{\"limit\":125}}"),
            format!("PATCH /api/v1/keys/{B} {{\"limit\":125}}"),
        ],
        "{}",
        out.stderr
    );
    for l in out.json_lines() {
        assert_eq!(l["before"]["remaining"], json!(0), "{l}");
        assert_eq!(l["before"]["blocked"], json!(true), "{l}");
    }
    // `get` shows the same: 0 left, blocked.
    let out = Keyctl::new(MG, &["list", "-p", "modelgates", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    for l in out.json_lines() {
        assert_eq!(l["after"]["remaining"], json!(0), "{l}");
    }
}

/// io.net's own `remaining_credit` of -3 (the cycle spent past the cap) is 0 left as well.
#[tokio::test]
async fn ionet_negative_remaining_credit_is_nothing_left() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "succeeded",
            "data": [{"id": IONET_KEY, "description": "ci", "created_at": "2026-01-01T00:00:00",
                "expires_at": null, "allowed_models": [], "credit_limit": 100,
                "credit_used": 95, "remaining_credit": -3, "credit_refresh_cycle": "weekly"}]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/api-keys/sub-keys/{IONET_KEY}/usage")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "succeeded", "data": {"key_id": IONET_KEY, "credit_used": 95,
            "credit_limit": 100, "remaining_credit": -3, "credit_refresh_cycle": "weekly"}})))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded"})))
        .mount(&server)
        .await;
    let out = Keyctl::new(IO, &["update", "-p", "ionet", IONET_KEY])
        .args(&[
            "--if-remaining-under",
            "3",
            "--limit",
            "+25",
            "--yes",
            "-o",
            "json",
        ])
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert_eq!(
        writes(&server).await,
        [format!(
            "PATCH /v1/api-keys/sub-keys/{IONET_KEY} {{\"credit_limit\":125}}"
        )],
        "{}",
        out.stderr
    );
}
