//! What a new operator trips over when naming keys (issue 21, tried by hand against a 40-key
//! ModelGates account): a short id typed from memory that is one character shy of a prefix, a
//! glob given where a key goes, and `keyctl log --key` with the short id a table shows or the
//! key's name.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Keyctl, seen, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const A: &str = "51150bbe5432d3b494f11575b889835af4403c9217da68f21d37be8497d39635";
const B: &str = "d30ffa7ad95c4379096696711a880c6da70f665cf4c6075419339d013156175b";

fn gates_key(hash: &str, name: &str) -> Value {
    json!({"hash": hash, "name": name, "disabled": false, "limit": 50,
           "limit_remaining": 50, "limit_reset": "daily", "include_byok_in_limit": false,
           "usage": 0, "created_at": "2026-01-01T00:00:00Z", "expires_at": null})
}

/// Two ci agents as the ModelGates listing (one page).
async fn listing(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": [gates_key(A, "ci-agent-08"), gates_key(B, "ci-agent-09")]}),
        ))
        .mount(server)
        .await;
}

fn gm(args: &[&str]) -> Keyctl {
    Keyctl::new(ENV, &["-p", "modelgates"]).args(args)
}

/// `51150` starts A's id but is one character short of a prefix: the message said "no key is
/// named, or has an id starting with, '51150'", which reads as a wrong id.
#[tokio::test]
async fn a_five_character_id_start_says_a_prefix_needs_six() {
    let server = server().await;
    listing(&server).await;
    let out = gm(&["get", "51150"]).base(&server).run().await;
    out.code(4)
        .stderr_has("'51150' (among 2 keys; an id prefix needs at least 6 characters)");
    assert_eq!(seen(&server).await, ["GET /api/v1/keys"]);
    // Six characters find it.
    gm(&["get", "51150b", "-o", "json"])
        .base(&server)
        .run()
        .await
        .code(0)
        .stdout_has(A);
}

/// A short text that starts no id and names no key keeps the usual suggestion.
#[tokio::test]
async fn a_short_name_that_starts_no_id_is_not_told_about_prefixes() {
    let server = server().await;
    listing(&server).await;
    let out = gm(&["get", "ci-8"]).base(&server).run().await;
    out.code(4);
    assert!(!out.stderr.contains("id prefix needs"), "{}", out.stderr);
}

/// A glob given as a key (`'ci-agent-*'`) is not a name: the message points to --match instead
/// of suggesting three arbitrary ci-agent names, and nothing is sent.
#[tokio::test]
async fn a_glob_given_as_a_key_points_to_match() {
    let server = server().await;
    listing(&server).await;
    let out = gm(&["update", "ci-agent-*", "--limit", "+5"])
        .base(&server)
        .run()
        .await;
    out.code(4)
        .stderr_has("a pattern selects keys with --match 'ci-agent-*'");
    assert!(!out.stderr.contains("did you mean"), "{}", out.stderr);
    assert_eq!(seen(&server).await, ["GET /api/v1/keys"]);
}

/// `keyctl log --key` takes what the tables show (the first 8 characters of an id) and the
/// name every other command takes; 5 characters are not a prefix.
#[tokio::test]
async fn log_key_takes_a_short_id_from_a_table_or_the_keys_name() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("keyctl");
    std::fs::create_dir_all(&dir).unwrap();
    let line = |t: &str, key: &str, name: &str, new_key: Option<&str>| {
        let mut e = json!({"time": t, "run": "r", "profile": null, "provider": "modelgates",
                           "key": key, "name": name, "action": "update", "status": "updated",
                           "changes": [], "http_status": 200});
        if let Some(n) = new_key {
            e["action"] = json!("rotate");
            e["status"] = json!("rotated");
            e["new_key"] = json!(n);
        }
        e.to_string()
    };
    let trail = [
        line("2026-11-01T00:00:00.000Z", A, "ci-agent-08", None),
        line("2026-11-02T00:00:00.000Z", B, "ci-agent-09", None),
        line("2026-11-03T00:00:00.000Z", B, "ci-agent-09", Some(A)),
    ]
    .join("\n");
    std::fs::write(dir.join("audit.jsonl"), trail + "\n").unwrap();
    let times = |key: &'static str| {
        let home = state.path().display().to_string();
        async move {
            let out = Keyctl::bare(&["log", "-o", "json", "--key", key])
                .env("XDG_STATE_HOME", &home)
                .env("XDG_CONFIG_HOME", &home)
                .run()
                .await;
            out.code(0);
            out.json_lines()
                .iter()
                .map(|e| e["time"].as_str().unwrap_or_default()[..10].to_string())
                .collect::<Vec<_>>()
        }
    };
    // A's short id: its own line and the rotation that made it.
    assert_eq!(times("51150bbe").await, ["2026-11-01", "2026-11-03"]);
    assert_eq!(times("51150BBE").await, ["2026-11-01", "2026-11-03"]);
    assert_eq!(times(A).await, ["2026-11-01", "2026-11-03"]);
    assert_eq!(times("ci-agent-09").await, ["2026-11-02", "2026-11-03"]);
    assert!(times("51150").await.is_empty());
    assert!(times("ci-agent").await.is_empty());
}
