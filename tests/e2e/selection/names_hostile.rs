//! Regression tests from the attack review of keys by name (issue 21): a name that is another
//! key's id prefix names two keys (never the named one silently); a key's secret pasted behind
//! `name:`/`id:` or as a `--match` glob is refused unread and never echoed; `rotate --match`
//! leaves out keys rotate retired, and a retired key's successor does not take a name a live
//! key has; a key a paged listing shows twice is one key.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::stand_ins::{self, With};
use crate::common::{Keyctl, Out, VENICE_KEY, gates_listing, seen, server};

const GATES: &str = "MODELGATES_MANAGEMENT_KEY";
const VENICE: &str = "VENICE_ADMIN_KEY";
/// Two ModelGates keys: X is "prod"; Y is named as X's id begins (as a table's short id shows
/// X), a name anyone may give a key.
const X: &str = "c0ffee00a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbcc";
const Y: &str = "51150bbe3f0a4c1d9e8b7a6f5e4d3c2b1a0918273645546372819a0b1c2d3e4f";
/// A key retired by an earlier rotation (still working until its expiry).
const RETIRED: &str = "0b7c9d4e-1f2a-4b3c-8d5e-6f7a8b9c0d1e";
const NEW_ID: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";

fn gates_key(hash: &str, name: &str) -> Value {
    stand_ins::gates_key(hash, name).with(json!({"label": "sk-or-v1-abc...xyz",
        "limit": 100, "limit_remaining": null, "limit_reset": null,
        "include_byok_in_limit": false, "usage": 1, "created_at": "2026-01-01T00:00:00Z",
        "expires_at": null}))
}

async fn bodies(server: &MockServer, verb: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == verb)
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

#[tokio::test]
async fn a_name_that_is_another_keys_id_prefix_names_two_keys_and_nothing_is_deleted() {
    let server = server().await;
    gates_listing(
        &server,
        vec![gates_key(X, "prod"), gates_key(Y, "c0ffee00")],
    )
    .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"success": true}})))
        .mount(&server)
        .await;
    // `c0ffee00` is how a table shows X; it is also Y's name: neither is guessed.
    let out = Keyctl::new(GATES, &["revoke", "-p", "modelgates", "c0ffee00", "--yes"])
        .base(&server)
        .run()
        .await;
    out.code(2)
        .stderr_has("name:c0ffee00 or id:c0ffee00")
        .stderr_has(X)
        .stderr_has(Y);
    assert_eq!(seen(&server).await, ["GET /api/v1/keys"]);
    // Either reading, forced, names its one key.
    let out = Keyctl::new(
        GATES,
        &["revoke", "-p", "modelgates", "id:c0ffee00", "--yes"],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    let deletes: Vec<String> = seen(&server)
        .await
        .into_iter()
        .filter(|s| s.starts_with("DELETE"))
        .collect();
    assert_eq!(deletes, [format!("DELETE /api/v1/keys/{X}")]);
}

#[tokio::test]
async fn a_secret_behind_name_or_id_or_as_a_match_glob_is_refused_unread_and_not_echoed() {
    let pasted = "sk-or-v1-PASTEDsecret0123456789abcdefABCDEF";
    let server = server().await;
    gates_listing(&server, vec![gates_key(X, "prod")]).await;
    let name = format!("name:{pasted}");
    let id = format!("id:{pasted}");
    for args in [
        vec!["get", name.as_str()],
        vec!["revoke", id.as_str(), "--yes"],
        vec!["get", "--match", pasted],
        vec!["revoke", "--match", pasted, "--yes"],
    ] {
        let out: Out = Keyctl::new(GATES, &["-p", "modelgates"])
            .args(&args)
            .base(&server)
            .run()
            .await;
        out.code(2);
        for text in [&out.stdout, &out.stderr] {
            assert!(
                !text.contains("PASTEDsecret"),
                "{args:?} echoed it:\n{text}"
            );
        }
    }
    assert_eq!(seen(&server).await, Vec::<String>::new());
}

fn venice_key(id: &str, description: &str, expires: &str) -> Value {
    json!({
        "id": id, "apiKeyType": "INFERENCE", "description": description,
        "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": expires,
        "lastUsedAt": null, "last6Chars": "abc123",
        "consumptionLimits": {"usd": 50, "diem": null, "vcu": null},
        "limitPeriod": "MONTH", "modelPrivacy": "ALL",
        "currentPeriodUsage": {"usd": "1.5", "diem": "0"}
    })
}

/// A Venice account with `ci-a` and its predecessor, renamed and set to expire by an earlier
/// rotation (still working: Venice lists it); creates and the old-key step answered as applied.
async fn venice_retired(server: &MockServer) {
    let live = venice_key(VENICE_KEY, "ci-a", "2099-06-01T00:00:00.000Z");
    let retired = venice_key(
        RETIRED,
        "ci-a (rotated out 2026-12-01)",
        "2099-01-01T00:00:00.000Z",
    );
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [live.clone(), retired.clone()]})),
        )
        .mount(server)
        .await;
    for (id, key) in [(VENICE_KEY, live), (RETIRED, retired)] {
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/api_keys/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": key})))
            .mount(server)
            .await;
    }
    // Each successor sets caps, so it is read back: it holds what its create sent.
    crate::common::venice_read_back(server, &json!({"id": NEW_ID, "apiKeyType": "INFERENCE"}))
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api_keys"))
        .respond_with(|r: &Request| {
            let sent: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({
                "success": true, "data": {"id": NEW_ID,
                "apiKey": "VENICE_INFERENCE_KEY_NEWSECRET_q8w7e6r5t4y3u2i1o0p9",
                "apiKeyType": "INFERENCE", "description": sent["description"]}}))
        })
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .respond_with(|r: &Request| {
            let sent: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {
                "id": sent["id"], "description": sent["description"],
                "expiresAt": sent["expiresAt"], "consumptionLimits": {"usd": 50}}}))
        })
        .mount(server)
        .await;
}

#[tokio::test]
async fn rotate_match_leaves_out_the_keys_rotate_retired() {
    let server = server().await;
    venice_retired(&server).await;
    let out = Keyctl::new(
        VENICE,
        &[
            "rotate", "-p", "venice", "--match", "ci-*", "--yes", "-o", "json",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(0).stderr_has("left out 1 key(s) rotate retired");
    // One successor, named ci-a; not a second ci-a made from the retired key.
    let made = bodies(&server, "POST").await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0]["description"], json!("ci-a"));
    let steps = bodies(&server, "PATCH").await;
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0]["id"], json!(VENICE_KEY));
}

#[tokio::test]
async fn a_retired_keys_successor_does_not_take_a_live_keys_name() {
    let server = server().await;
    venice_retired(&server).await;
    let out = Keyctl::new(VENICE, &["rotate", "-p", "venice", RETIRED, "--yes"])
        .base(&server)
        .run()
        .await;
    out.code(2)
        .stderr_has("would be named 'ci-a'")
        .stderr_has(VENICE_KEY);
    let sent = seen(&server).await;
    assert!(
        !sent
            .iter()
            .any(|s| s.starts_with("POST") || s.starts_with("PATCH")),
        "{sent:?}"
    );
    // --name gives it another name: the rotation goes on.
    let out = Keyctl::new(
        VENICE,
        &[
            "rotate", "-p", "venice", RETIRED, "--yes", "--name", "ci-b", "-o", "json",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    assert_eq!(
        bodies(&server, "POST").await[0]["description"],
        json!("ci-b")
    );
}

#[tokio::test]
async fn a_key_a_paged_listing_shows_twice_is_one_key() {
    // A key created between two page reads shifts the offsets: the last key of page 1 comes
    // again first on page 2. Its name still names one key.
    let server = server().await;
    let mut keys: Vec<Value> = (0..99)
        .map(|i| gates_key(&format!("{i:064x}"), &format!("filler-{i}")))
        .collect();
    keys.push(gates_key(X, "prod"));
    keys.push(gates_key(X, "prod"));
    keys.push(gates_key(Y, "other"));
    gates_listing(&server, keys).await;
    let out = Keyctl::new(GATES, &["get", "-p", "modelgates", "prod", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], json!(X));
    // By the start of its id, too.
    let out = Keyctl::new(GATES, &["get", "-p", "modelgates", "c0ffee", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], json!(X));
}

#[tokio::test]
async fn a_long_file_of_unknown_names_fails_fast() {
    // 20,000 mistyped lines (a file run against the wrong account) against 2,000 keys: near
    // names are looked for only for the 10 failures shown, and an id prefix is a binary search.
    // Each line was a pass over every key (more than the 60 s `run` allows, debug build);
    // about 1 s now.
    let server = server().await;
    let keys: Vec<Value> = (0..2000)
        .map(|i| gates_key(&format!("{:064x}", i + 1), &format!("ci-agent-{i:05}")))
        .collect();
    gates_listing(&server, keys).await;
    let lines: String = (0..20_000)
        .map(|i| format!("prod-worker-{i:05}\n"))
        .collect();
    let started = std::time::Instant::now();
    let out = Keyctl::new(
        GATES,
        &[
            "update",
            "-p",
            "modelgates",
            "--from-file",
            "-",
            "--limit",
            "+5",
            "--dry-run",
        ],
    )
    .stdin(lines.as_bytes())
    .base(&server)
    .run()
    .await;
    let took = started.elapsed();
    out.code(4)
        .stderr_has("20000 key references do not name one key")
        .stderr_has("... and 19990 more");
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
}
