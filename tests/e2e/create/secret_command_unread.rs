//! A `--secret-command` that exits 0 without reading its standard input (or reading only part
//! of it) did not take the secret: the secret is shown on stdout once, exit 1, and `rotate`
//! leaves the old key as it is; one that reads it all and exits 0 has it delivered.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::home::Home;
use crate::common::stand_ins::{With, gates_key};
use crate::common::{GATES_KEY, Out};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const NEW_HASH: &str = "ab11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";
const NEW_SECRET: &str = "sk-mg-v1-UNREADSECRET-7d3e9a1c5b2f4e6d8a0c1b3d5f7e9a2c";

/// A ModelGates stand-in: no keys listed, the old key read, a create answering [`NEW_SECRET`],
/// a PATCH or DELETE answered as applied.
async fn gates() -> MockServer {
    let server = crate::common::server().await;
    crate::common::no_keys(&server).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": old_key()})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"data": gates_key(NEW_HASH, "ci"), "key": NEW_SECRET})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": old_key()})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deleted": true})))
        .mount(&server)
        .await;
    server
}

/// The old key as read: every setting a successor copies.
fn old_key() -> Value {
    gates_key(GATES_KEY, "ci").with(json!({
        "limit": 50, "limit_remaining": 40, "limit_reset": "monthly",
        "include_byok_in_limit": true, "expires_at": null
    }))
}

async fn count(server: &MockServer, verb: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == verb)
        .count()
}

async fn run(server: &MockServer, args: &[&str]) -> Out {
    Home::new()
        .keyctl_with_no_config(ENV, args)
        .base(server)
        .run()
        .await
}

fn shown_once(out: &Out) {
    assert_eq!(out.stdout.matches(NEW_SECRET).count(), 1, "{}", out.stdout);
    assert!(!out.stderr.contains(&NEW_SECRET[..16]), "{}", out.stderr);
}

#[tokio::test]
async fn a_command_that_exits_0_without_reading_leaves_the_secret_on_stdout() {
    for (command, shown) in [
        ("sh -c 'sleep 0.3; exit 0'", "sh -c 'sleep 0.3; exit 0'"),
        (
            "dd bs=1 count=5 of=/dev/null status=none",
            "dd bs=1 count=5 of=/dev/null status=none",
        ),
    ] {
        let server = gates().await;
        let out = run(
            &server,
            &[
                "create",
                "-p",
                "modelgates",
                "--name",
                "ci",
                "--secret-command",
                command,
            ],
        )
        .await;
        out.code(1).stderr_has(&format!(
            "the secret command `{shown}` exited 0 without reading the secret from its \
             standard input"
        ));
        shown_once(&out);
        assert_eq!(count(&server, "POST").await, 1);
    }
}

#[tokio::test]
async fn a_command_that_reads_it_all_has_it_delivered() {
    let server = gates().await;
    let out = run(
        &server,
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--secret-command",
            "sh -c 'cat >/dev/null'",
        ],
    )
    .await;
    out.code(0);
    assert!(!out.stdout.contains(&NEW_SECRET[..16]), "{}", out.stdout);
}

#[tokio::test]
async fn rotate_keeps_the_old_key_when_the_command_did_not_read_the_secret() {
    let server = gates().await;
    let out = run(
        &server,
        &[
            "rotate",
            "-p",
            "modelgates",
            GATES_KEY,
            "--secret-command",
            "sh -c 'sleep 0.3; exit 0'",
            "-o",
            "json",
        ],
    )
    .await;
    out.code(1)
        .stderr_has("exited 0 without reading the secret");
    shown_once(&out);
    let line: Value = out.json_lines().remove(0);
    assert_eq!(line["status"], "partial", "{line}");
    assert_eq!(line["error"]["kind"], "undelivered", "{line}");
    assert_eq!(count(&server, "PATCH").await, 0, "the old key was touched");
    assert_eq!(count(&server, "DELETE").await, 0, "the old key was touched");
}
