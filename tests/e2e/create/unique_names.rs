//! Names stay unique (issue 21): `create --name X` where the account already has a key named X
//! is exit 2 with nothing created, naming the existing id, unless `--allow-duplicate-name`; a
//! `--from-file` of names is checked whole (against the account and within itself) before any
//! key is created; a dry run with a credential refuses the same way. Also [`no_keys`], the
//! empty listing every real `create` now reads first, for the other create tests.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::request_log::seen_with_query;
use crate::common::{GATES_KEY, IONET_KEY, Keyctl, Out, VENICE_KEY, no_keys};

/// One provider family as these tests drive it.
#[derive(Clone, Copy, Debug)]
struct Fam {
    id: &'static str,
    env: &'static str,
    list: &'static str,
    create: &'static str,
    key: &'static str,
}

const GATES: Fam = Fam {
    id: "modelgates",
    env: "MODELGATES_MANAGEMENT_KEY",
    list: "/api/v1/keys",
    create: "/api/v1/keys",
    key: GATES_KEY,
};
const IONET: Fam = Fam {
    id: "ionet",
    env: "IONET_ADMIN_KEY",
    list: "/v1/api-keys/sub-keys",
    create: "/v1/api-keys/sub-keys",
    key: IONET_KEY,
};
const VENICE: Fam = Fam {
    id: "venice",
    env: "VENICE_ADMIN_KEY",
    list: "/api/v1/api_keys",
    create: "/api/v1/api_keys",
    key: VENICE_KEY,
};
const ALL: [Fam; 3] = [GATES, IONET, VENICE];

const NEW_HASH: &str = "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";
const OTHER_HASH: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

/// The account's listing: one key `id` named `name` (on ModelGates, `disabled` as given).
fn listing(f: Fam, id: &str, name: &str, disabled: bool) -> Value {
    match f.id {
        "ionet" => json!({"status": "succeeded", "data": [{
            "id": id, "description": name, "credit_limit": 10, "credit_used": 1,
            "allowed_models": [], "expires_at": "2099-01-01T00:00:00"}]}),
        "venice" => json!({"data": [{
            "id": id, "apiKeyType": "INFERENCE", "description": name,
            "consumptionLimits": {"usd": 5}, "expiresAt": null}]}),
        _ => json!({"data": [{"hash": id, "name": name, "disabled": disabled, "limit": 5,
                               "usage": 1}]}),
    }
}

async fn mount_listing(server: &MockServer, f: Fam, body: Value) {
    Mock::given(method("GET"))
        .and(path(f.list))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// A create answer with a secret (`n` tells the secrets apart).
fn created(f: Fam, name: &str, n: usize) -> Value {
    let secret = format!("NEWKEY{n}-0a1b2c3d4e5f60718293a4b5c6d7e8f9");
    match f.id {
        "ionet" => json!({"status": "succeeded", "data": {
            "key_id": "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f", "value": format!("io-v2-{secret}"),
            "description": name, "credit_limit": 5.0, "expires_at": "never"}}),
        "venice" => json!({"success": true, "data": {
            "id": "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f",
            "apiKey": format!("VENICE_INFERENCE_KEY_{secret}"), "apiKeyType": "INFERENCE",
            "description": name, "expiresAt": null}}),
        _ => json!({"data": {"hash": if n == 0 { NEW_HASH } else { OTHER_HASH }, "name": name,
                             "disabled": false, "limit": null},
                    "key": format!("sk-or-v1-{secret}")}),
    }
}

async fn forbid_post(server: &MockServer) {
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .named("no create")
        .mount(server)
        .await;
}

fn run(f: Fam, server: &MockServer, args: &[&str]) -> Keyctl {
    Keyctl::new(f.env, &["create", "-p", f.id])
        .base(server)
        .args(args)
        .args(&["-o", "json"])
}

fn list_call(f: Fam) -> String {
    match f.id {
        "modelgates" => format!("GET {}?offset=0&include_disabled=true", f.list),
        _ => format!("GET {}", f.list),
    }
}

/// Refused as a duplicate: exit 2, nothing on stdout, the existing id named, the flag named.
fn refused(out: &Out, f: Fam, id: &str) {
    out.code(2)
        .stderr_has(id)
        .stderr_has("--allow-duplicate-name")
        .stderr_has("Nothing was created");
    assert!(out.stdout.is_empty(), "{f:?}: {}", out.stdout);
}

#[tokio::test]
async fn create_with_a_name_the_account_has_is_refused_naming_the_existing_id() {
    for f in ALL {
        let server = crate::common::server().await;
        mount_listing(&server, f, listing(f, f.key, "ci-pipe", false)).await;
        forbid_post(&server).await;
        let out = run(f, &server, &["--name", "ci-pipe", "--limit", "5"])
            .run()
            .await;
        refused(&out, f, f.key);
        out.stderr_has("'ci-pipe' is the name of key");
        // One listing read, and nothing else.
        assert_eq!(seen_with_query(&server).await, [list_call(f)], "{f:?}");
    }
}

#[tokio::test]
async fn a_disabled_key_or_a_rotated_out_name_counts_like_any_other() {
    let server = crate::common::server().await;
    mount_listing(&server, GATES, listing(GATES, GATES_KEY, "ci-pipe", true)).await;
    forbid_post(&server).await;
    let out = run(GATES, &server, &["--name", "ci-pipe"]).run().await;
    refused(&out, GATES, GATES_KEY);

    let server = crate::common::server().await;
    let retired = "ci-pipe (rotated out 2026-01-02)";
    mount_listing(&server, GATES, listing(GATES, GATES_KEY, retired, true)).await;
    forbid_post(&server).await;
    let out = run(GATES, &server, &["--name", retired]).run().await;
    refused(&out, GATES, GATES_KEY);
}

#[tokio::test]
async fn names_compare_exactly_so_another_case_is_created() {
    let server = crate::common::server().await;
    mount_listing(&server, GATES, listing(GATES, GATES_KEY, "ci-pipe", false)).await;
    Mock::given(method("POST"))
        .and(path(GATES.create))
        .and(body_json(json!({"name": "CI-pipe"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(created(GATES, "CI-pipe", 0)))
        .expect(1)
        .mount(&server)
        .await;
    let out = run(GATES, &server, &["--name", "CI-pipe"]).run().await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["status"], "created", "{}", out.stdout);
    assert_eq!(
        seen_with_query(&server).await,
        [list_call(GATES), "POST /api/v1/keys".to_string()]
    );
}

#[tokio::test]
async fn allow_duplicate_name_sends_the_create() {
    for f in ALL {
        let server = crate::common::server().await;
        mount_listing(&server, f, listing(f, f.key, "ci-pipe", false)).await;
        Mock::given(method("POST"))
            .and(path(f.create))
            .respond_with(
                ResponseTemplate::new(if f.id == "venice" { 200 } else { 201 })
                    .set_body_json(created(f, "ci-pipe", 0)),
            )
            .expect(1)
            .mount(&server)
            .await;
        let out = run(
            f,
            &server,
            &[
                "--name",
                "ci-pipe",
                "--limit",
                "5",
                "--allow-duplicate-name",
            ],
        )
        .run()
        .await;
        out.code(0);
        let line = &out.json_lines()[0];
        assert_eq!(line["status"], "created", "{f:?}: {line}");
        let posts: Vec<Value> = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect();
        assert_eq!(posts.len(), 1, "{f:?}");
        let field = if f.id == "modelgates" {
            "name"
        } else {
            "description"
        };
        assert_eq!(posts[0][field], "ci-pipe", "{f:?}");
    }
}

#[tokio::test]
async fn a_file_of_names_with_one_taken_is_refused_whole() {
    for f in ALL {
        let server = crate::common::server().await;
        mount_listing(&server, f, listing(f, f.key, "ci-b", false)).await;
        forbid_post(&server).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("names.txt");
        std::fs::write(&file, "ci-a\n# a comment\nci-b\nci-c\n").unwrap();
        let out = run(f, &server, &["--from-file", file.to_str().unwrap()])
            .run()
            .await;
        refused(&out, f, f.key);
        out.stderr_has("'ci-b'").stderr_has("checked whole");
        // Neither the name before it nor the one after it was created.
        assert_eq!(seen_with_query(&server).await, [list_call(f)], "{f:?}");
    }
}

#[tokio::test]
async fn a_file_giving_one_name_twice_is_refused_before_anything_is_sent() {
    let server = crate::common::server().await;
    no_keys(&server).await;
    forbid_post(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("names.txt");
    std::fs::write(&file, "ci-a\nci-b\nci-a\n").unwrap();
    let out = run(GATES, &server, &["--from-file", file.to_str().unwrap()])
        .run()
        .await;
    out.code(2)
        .stderr_has("line 3")
        .stderr_has("'ci-a' is given twice")
        .stderr_has("--allow-duplicate-name");
    assert!(seen_with_query(&server).await.is_empty());
}

#[tokio::test]
async fn a_file_giving_one_name_twice_makes_both_with_the_flag() {
    let server = crate::common::server().await;
    for n in [0, 1] {
        Mock::given(method("POST"))
            .and(path(GATES.create))
            .respond_with(ResponseTemplate::new(201).set_body_json(created(GATES, "ci-a", n)))
            .up_to_n_times(1)
            .with_priority(u8::try_from(n + 1).unwrap())
            .mount(&server)
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("names.txt");
    std::fs::write(&file, "ci-a\nci-a\n").unwrap();
    let out = run(
        GATES,
        &server,
        &[
            "--from-file",
            file.to_str().unwrap(),
            "--allow-duplicate-name",
        ],
    )
    .run()
    .await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(
        lines.iter().all(|l| l["status"] == "created"),
        "{}",
        out.stdout
    );
    // With the flag the names are not checked: no listing, two creates.
    assert_eq!(
        seen_with_query(&server).await,
        ["POST /api/v1/keys", "POST /api/v1/keys"]
    );
}

#[tokio::test]
async fn a_dry_run_with_a_credential_refuses_as_the_real_run_would() {
    for f in ALL {
        let server = crate::common::server().await;
        mount_listing(&server, f, listing(f, f.key, "ci-pipe", false)).await;
        forbid_post(&server).await;
        let out = run(f, &server, &["--name", "ci-pipe", "--dry-run"])
            .run()
            .await;
        refused(&out, f, f.key);
        assert_eq!(seen_with_query(&server).await, [list_call(f)], "{f:?}");
    }
    // A free name: the plan, after the one listing read.
    let server = crate::common::server().await;
    mount_listing(&server, GATES, listing(GATES, GATES_KEY, "other", false)).await;
    forbid_post(&server).await;
    let out = run(GATES, &server, &["--name", "ci-pipe", "--dry-run"])
        .run()
        .await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["status"], "dry_run");
    assert_eq!(seen_with_query(&server).await, [list_call(GATES)]);
}

#[tokio::test]
async fn a_dry_run_without_a_credential_says_the_names_were_not_checked() {
    let server = crate::common::server().await;
    let out = Keyctl::bare(&[
        "create",
        "-p",
        "modelgates",
        "--name",
        "ci-pipe",
        "--dry-run",
    ])
    .base(&server)
    .args(&["-o", "json"])
    .run()
    .await;
    out.code(0)
        .stderr_has("MODELGATES_MANAGEMENT_KEY is not set")
        .stderr_has("the names could not be checked");
    assert!(seen_with_query(&server).await.is_empty());
}
