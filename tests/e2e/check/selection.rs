//! `keyctl check`'s selection (issue 21): keys `rotate` retired (named `… (rotated out DATE)`
//! and disabled or set to expire) are left out unless `--include-rotated-out`, with one line
//! on stderr saying how many; `--match GLOB` and `--exclude GLOB` choose keys by name;
//! `--remaining-under AMOUNT` flags keys with less than AMOUNT left (no cap never).

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{GATES_KEY, Keyctl, Out};

const H2: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
const H3: &str = "9b2e4f10c3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f";
const H4: &str = "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";
const H5: &str = "5c1f3e8a92d04b7c8e61f0a2b9d47c3e15a8f62d0b94e7c1a3f58d2e6b07c914";

fn key(hash: &str, name: &str, disabled: bool, limit: Value, usage: f64) -> Value {
    json!({"hash": hash, "name": name, "disabled": disabled, "limit": limit,
           "limit_reset": "monthly", "usage": usage, "usage_monthly": usage,
           "expires_at": null})
}

/// Five ModelGates keys, all disabled: a retired one (disabled, rotated-out name), one only
/// named so (enabled: not retired), two in use, one with no cap.
async fn account() -> MockServer {
    let server = crate::common::server().await;
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let keys = json!({"data": [
        key(GATES_KEY, &format!("ci-deploy (rotated out {today})"), true, json!(50), 49.0),
        key(H2, "ci-deploy", true, json!(50), 47.5),
        key(H3, "ci-agent-01", true, json!(20), 1.0),
        key(H4, "prod-chat", true, Value::Null, 9000.0),
        key(H5, "ci-named (rotated out 2026-01-02)", false, json!(10), 9.5),
    ]});
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(keys))
        .mount(&server)
        .await;
    server
}

async fn check(server: &MockServer, args: &[&str]) -> Out {
    Keyctl::new("MODELGATES_MANAGEMENT_KEY", &["check", "-p", "modelgates"])
        .base(server)
        .args(args)
        .args(&["-o", "json"])
        .run()
        .await
}

fn ids(out: &Out) -> Vec<String> {
    out.json_lines()
        .iter()
        .map(|l| l["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn keys_rotate_retired_are_left_out_and_counted_on_stderr() {
    let server = account().await;
    let out = check(&server, &["--disabled"]).await;
    out.code(9)
        .stderr_has("1 key that rotate retired")
        .stderr_has("--include-rotated-out");
    // The retired key is not there; the key only named so, still enabled, is not disabled.
    assert_eq!(ids(&out), [H2, H3, H4]);
}

#[tokio::test]
async fn include_rotated_out_checks_them() {
    let server = account().await;
    let out = check(&server, &["--disabled", "--include-rotated-out"]).await;
    out.code(9);
    assert_eq!(ids(&out), [GATES_KEY, H2, H3, H4]);
    assert!(!out.stderr.contains("rotate retired"), "{}", out.stderr);
}

#[tokio::test]
async fn match_and_exclude_choose_keys_by_name() {
    let server = account().await;
    let out = check(&server, &["--disabled", "--match", "ci-*"]).await;
    out.code(9);
    assert_eq!(ids(&out), [H2, H3]);
    let out = check(
        &server,
        &[
            "--disabled",
            "--exclude",
            "ci-agent-*",
            "--exclude",
            "prod-*",
        ],
    )
    .await;
    out.code(9);
    assert_eq!(ids(&out), [H2]);
    // Nothing left to match: exit 0, and no line about retired keys (none would have matched).
    let out = check(&server, &["--disabled", "--match", "nothing-*"]).await;
    out.code(0);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let out = check(&server, &["--disabled", "--match", "a[b"]).await;
    out.code(2).stderr_has("--match");
}

#[tokio::test]
async fn remaining_under_flags_keys_with_little_left_and_never_uncapped_ones() {
    let server = account().await;
    let out = check(&server, &["--remaining-under", "5"]).await;
    out.code(9);
    // ci-deploy: 50 - 47.5 = 2.5; the retired key (1 left) is left out; prod-chat has no cap;
    // ci-agent-01 has 19 left; ci-named (enabled, 0.5 left) matches.
    assert_eq!(ids(&out), [H2, H5]);
    let lines = out.json_lines();
    assert_eq!(lines[0]["reasons"], json!(["remaining 2.5 < 5 USD"]));
    assert_eq!(lines[1]["reasons"], json!(["remaining 0.5 < 5 USD"]));
    // Strictly under: 0.5 left is not under 0.5.
    let out = check(&server, &["--remaining-under", "0.5"]).await;
    out.code(0);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    for bad in ["-1", "5%", "abc"] {
        check(&server, &["--remaining-under", bad])
            .await
            .code(2)
            .stderr_has("--remaining-under");
    }
}
