//! Rotation keeps the name (issue 21): the successor's create carries the old key's exact name,
//! and the old key's own step (disable, or expire-in) renames it `NAME (rotated out
//! YYYY-MM-DD)` (UTC date) in the same request: OpenRouter-style `name`, Venice and io.net
//! `description` (Venice cut to 64 characters, the suffix whole). `--name` names the successor
//! instead; `--old keep` sends nothing and says the two keys share the name.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::{GATES_KEY, IONET_KEY, Keyctl, VENICE_KEY};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fam {
    Gates,
    Venice,
    Ionet,
}

const ALL: [Fam; 3] = [Fam::Gates, Fam::Venice, Fam::Ionet];
const NEW_ID: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";
const NEW_HASH: &str = "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";

impl Fam {
    fn id(self) -> &'static str {
        match self {
            Fam::Gates => "modelgates",
            Fam::Venice => "venice",
            Fam::Ionet => "ionet",
        }
    }
    fn env(self) -> &'static str {
        match self {
            Fam::Gates => "MODELGATES_MANAGEMENT_KEY",
            Fam::Venice => "VENICE_ADMIN_KEY",
            Fam::Ionet => "IONET_ADMIN_KEY",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Fam::Gates => GATES_KEY,
            Fam::Venice => VENICE_KEY,
            Fam::Ionet => IONET_KEY,
        }
    }
    /// The body field that holds a key's name.
    fn name_field(self) -> &'static str {
        match self {
            Fam::Gates => "name",
            _ => "description",
        }
    }
}

fn today() -> String {
    chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

/// The old key named `name`, its successor's create and the old key's step, answered as a
/// provider that applied them.
async fn mount(server: &MockServer, f: Fam, name: &str) {
    let key = f.key();
    match f {
        Fam::Gates => {
            let old = json!({"data": {
                "hash": key, "name": name, "disabled": false, "limit": 50,
                "limit_reset": "monthly", "include_byok_in_limit": true, "usage": 10,
                "created_at": "2026-01-01T00:00:00Z", "expires_at": null}});
            Mock::given(method("GET"))
                .and(path(format!("/api/v1/keys/{key}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(old))
                .mount(server)
                .await;
            Mock::given(method("POST"))
                .and(path("/api/v1/keys"))
                .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                    "data": {"hash": NEW_HASH, "name": name, "disabled": false, "limit": 50},
                    "key": "sk-or-v1-NEWSECRET-0a1b2c3d4e5f60718293a4b5c6d7e8f9"})))
                .mount(server)
                .await;
            Mock::given(method("PATCH"))
                .and(path(format!("/api/v1/keys/{key}")))
                .respond_with(move |r: &Request| {
                    let sent: Value = serde_json::from_slice(&r.body).unwrap_or_default();
                    ResponseTemplate::new(200).set_body_json(json!({"data": {
                        "hash": GATES_KEY, "name": sent["name"], "disabled": true,
                        "limit": 50}}))
                })
                .mount(server)
                .await;
        }
        Fam::Venice => {
            let old = json!({"data": {
                "id": key, "apiKeyType": "INFERENCE", "description": name,
                "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": null,
                "consumptionLimits": {"usd": 50, "diem": null, "vcu": null},
                "limitPeriod": "MONTH", "modelPrivacy": "ALL"}});
            Mock::given(method("GET"))
                .and(path(format!("/api/v1/api_keys/{key}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(old))
                .mount(server)
                .await;
            let created = json!({
                "success": true, "data": {"id": NEW_ID,
                "apiKey": "VENICE_INFERENCE_KEY_NEWSECRET_q8w7e6r5t4y3u2i1o0p9",
                "apiKeyType": "INFERENCE", "description": name}});
            // The successor sets the old key's caps, so it is read back: it holds them.
            crate::common::venice_read_back(server, &created).await;
            Mock::given(method("POST"))
                .and(path("/api/v1/api_keys"))
                .respond_with(ResponseTemplate::new(200).set_body_json(created))
                .mount(server)
                .await;
            Mock::given(method("PATCH"))
                .and(path("/api/v1/api_keys"))
                .respond_with(move |r: &Request| {
                    let sent: Value = serde_json::from_slice(&r.body).unwrap_or_default();
                    ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {
                        "id": VENICE_KEY, "description": sent["description"],
                        "expiresAt": sent["expiresAt"],
                        "consumptionLimits": {"usd": 50}}}))
                })
                .mount(server)
                .await;
        }
        Fam::Ionet => {
            Mock::given(method("GET"))
                .and(path(format!("/v1/api-keys/sub-keys/{key}/usage")))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "status": "succeeded", "data": {"key_id": key, "credit_used": 1,
                    "credit_limit": 100, "credit_refresh_cycle": "weekly"}})))
                .mount(server)
                .await;
            Mock::given(method("GET"))
                .and(path("/v1/api-keys/sub-keys"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "status": "succeeded", "data": [{"id": key, "description": name,
                    "created_at": "2026-01-01T00:00:00", "expires_at": null,
                    "allowed_models": [], "credit_limit": 100, "credit_used": 1,
                    "credit_refresh_cycle": "weekly"}]})))
                .mount(server)
                .await;
            Mock::given(method("POST"))
                .and(path("/v1/api-keys/sub-keys"))
                .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                    "status": "succeeded", "data": {"key_id": NEW_ID,
                    "value": "io-v2-NEWSECRET-eyJhbGciOiJIUzI1NiJ9.c2VjcmV0c2VjcmV0",
                    "description": name}})))
                .mount(server)
                .await;
            Mock::given(method("PATCH"))
                .and(path(format!("/v1/api-keys/sub-keys/{key}")))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded"})),
                )
                .mount(server)
                .await;
        }
    }
}

/// The bodies of the requests with `verb`.
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

async fn rotate(f: Fam, server: &MockServer, extra: &[&str]) -> crate::common::Out {
    Keyctl::new(f.env(), &["rotate", "-p", f.id(), f.key()])
        .base(server)
        .args(extra)
        .args(&["-o", "json"])
        .run()
        .await
}

#[tokio::test]
async fn the_successor_takes_the_exact_name_and_the_old_key_is_renamed_in_its_step() {
    for f in ALL {
        let server = crate::common::server().await;
        let name = "ci-deploy  Prod";
        mount(&server, f, name).await;
        let out = rotate(f, &server, &[]).await;
        out.code(0);
        let posts = bodies(&server, "POST").await;
        assert_eq!(posts.len(), 1, "{f:?}");
        assert_eq!(posts[0][f.name_field()], name, "{f:?}: {}", posts[0]);
        let patches = bodies(&server, "PATCH").await;
        assert_eq!(patches.len(), 1, "{f:?}");
        let renamed = format!("{name} (rotated out {})", today());
        assert_eq!(patches[0][f.name_field()], renamed, "{f:?}: {}", patches[0]);
        // The step itself is still there, in the same request.
        match f {
            Fam::Gates => assert_eq!(
                patches[0],
                json!({"disabled": true, "name": renamed}),
                "{f:?}"
            ),
            Fam::Venice => {
                assert_eq!(patches[0]["id"], VENICE_KEY);
                assert!(patches[0]["expiresAt"].is_string(), "{}", patches[0]);
            }
            Fam::Ionet => assert!(patches[0]["expires_at"].is_string(), "{}", patches[0]),
        }
        assert_eq!(out.json_lines()[0]["status"], "rotated", "{f:?}");
    }
}

#[tokio::test]
async fn venice_cuts_the_old_name_so_the_suffix_fits_64_and_keeps_it_whole() {
    let server = crate::common::server().await;
    let long = "é".repeat(60);
    mount(&server, Fam::Venice, &long).await;
    rotate(Fam::Venice, &server, &[]).await.code(0);
    assert_eq!(bodies(&server, "POST").await[0]["description"], long);
    let suffix = format!(" (rotated out {})", today());
    let want = format!("{}{suffix}", "é".repeat(64 - suffix.chars().count()));
    assert_eq!(want.chars().count(), 64);
    assert_eq!(bodies(&server, "PATCH").await[0]["description"], want);
}

#[tokio::test]
async fn name_overrides_the_successors_name_and_the_old_key_is_still_renamed() {
    for f in ALL {
        let server = crate::common::server().await;
        mount(&server, f, "ci-deploy").await;
        rotate(f, &server, &["--name", "ci-deploy-v2"])
            .await
            .code(0);
        assert_eq!(
            bodies(&server, "POST").await[0][f.name_field()],
            "ci-deploy-v2",
            "{f:?}"
        );
        assert_eq!(
            bodies(&server, "PATCH").await[0][f.name_field()],
            format!("ci-deploy (rotated out {})", today()),
            "{f:?}"
        );
    }
}

#[tokio::test]
async fn old_keep_sends_nothing_and_says_the_two_keys_share_the_name() {
    let server = crate::common::server().await;
    mount(&server, Fam::Gates, "ci-deploy").await;
    let out = rotate(Fam::Gates, &server, &["--old", "keep"]).await;
    out.code(0)
        .stderr_has("keeps its name 'ci-deploy'")
        .stderr_has(&format!("--name 'ci-deploy (rotated out {})'", today()));
    assert!(bodies(&server, "PATCH").await.is_empty());
}

#[tokio::test]
async fn a_dry_run_shows_the_rename_of_the_old_key() {
    let server = crate::common::server().await;
    mount(&server, Fam::Gates, "ci-deploy").await;
    let out = rotate(Fam::Gates, &server, &["--dry-run"]).await;
    out.code(0);
    let line = &out.json_lines()[0];
    assert_eq!(
        line["notes"][0],
        format!(
            "then the old key: disabled, renamed 'ci-deploy (rotated out {})'",
            today()
        ),
        "{line}"
    );
    assert!(bodies(&server, "POST").await.is_empty());
    assert!(bodies(&server, "PATCH").await.is_empty());
}
