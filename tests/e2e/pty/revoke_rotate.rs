//! `keyctl revoke` and `keyctl rotate --old revoke` on a pseudo-terminal: the question (what it
//! names, that it cannot be undone), each answer, and the runs that must not ask. Driven by
//! `tests/e2e/pty_run.py` as in `pty.rs` (stdout and stderr merged on the terminal; a prompt is
//! answered once `[y/N]` shows). Every output still goes through `common::scan`.

use std::process::{Command, Stdio};

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::pty::{PtyOut, SCRIPT, clean, finish};
use crate::common::stand_ins::{self, With};
use crate::common::{self, GATES_KEY, IONET_KEY, SECRET, VENICE_KEY};

const REFUSED: &str = "not confirmed; nothing was deleted";
const ROTATE_REFUSED: &str = "not confirmed; nothing was changed";
const GATES_KEY_2: &str = "9b2e4f10c3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f";
const NEW_HASH: &str = "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";
const GATES_SECRET: &str = "sk-or-v1-NEWSECRET-0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/// What only these tests ask of a run's output (`pty::PtyOut` has the rest).
trait LifecycleOut {
    fn new_key_block(&self, heading: &str, secret: &str) -> &Self;
    fn before(&self, q: &str) -> String;
    fn asks_before(&self, q: &str, needles: &[&str]) -> &Self;
}

impl LifecycleOut for PtyOut {
    /// The new key's block: the line `heading`, the key's `field: value` lines indented by two
    /// spaces, the secret's line, then the secret alone on its own line.
    fn new_key_block(&self, heading: &str, secret: &str) -> &Self {
        let plain = self.plain();
        let lines: Vec<&str> = plain.lines().collect();
        let at = lines
            .iter()
            .position(|l| *l == heading)
            .unwrap_or_else(|| panic!("no line {heading:?} in:\n{}", self.output));
        let s = lines
            .iter()
            .position(|l| *l == SECRET_HEADING)
            .unwrap_or_else(|| panic!("no secret heading in:\n{}", self.output));
        assert!(s > at + 1, "{}", self.output);
        for l in &lines[at + 1..s] {
            assert!(
                l.starts_with("  ") && !l.starts_with("   ") && l.contains(": "),
                "{l:?}:\n{}",
                self.output
            );
        }
        assert_eq!(lines.get(s + 1), Some(&secret), "{}", self.output);
        self
    }

    /// Everything shown up to the question `q` (which must be there).
    fn before(&self, q: &str) -> String {
        let mut plain = self.plain();
        let end = plain
            .find(q)
            .unwrap_or_else(|| panic!("no {q:?} in:\n{}", self.output));
        plain.truncate(end);
        plain
    }

    /// Each of `needles` is shown before the question `q`.
    fn asks_before(&self, q: &str, needles: &[&str]) -> &Self {
        let text = self.before(q);
        for n in needles {
            assert!(text.contains(n), "{n:?} not shown before {q:?}:\n{text}");
        }
        self
    }
}

/// `keyctl -p PROVIDER <args> --base-url SERVER` on a 40x200 pseudo-terminal, the provider's
/// credential set, answering `answer` when `[y/N]` shows.
async fn on_pty(env: &str, server: &MockServer, args: &[&str], answer: &str) -> PtyOut {
    let mut argv = vec![env!("CARGO_BIN_EXE_keyctl").to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    argv.push("--base-url".into());
    argv.push(server.uri());
    let spec = json!({
        "argv": argv, "rows": 40, "cols": 200, "timeout": 20, "answer": answer,
        "stdout": null, "stderr": null,
    });
    let env = env.to_string();
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new("python3");
        cmd.arg(SCRIPT).arg(spec.to_string());
        clean(&mut cmd);
        cmd.env(&env, SECRET)
            .env("TERM", "dumb")
            .env("NO_COLOR", "1")
            .env("KEYCTL_BACKOFF_MS", "20")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.output()
            .expect("python3 runs (the pty tests need python3 on PATH)")
    })
    .await
    .expect("join");
    finish(&out).0
}

fn gates_key(hash: &str, name: &str) -> Value {
    json!({"data": stand_ins::gates_key(hash, name).with(json!({
        "label": "sk-or-v1-abc...xyz",
        "limit": 50, "limit_remaining": 40, "limit_reset": "monthly",
        "include_byok_in_limit": false, "usage": 10, "usage_daily": 1, "usage_weekly": 3,
        "usage_monthly": 10, "created_at": "2026-01-01T00:00:00Z", "updated_at": null,
        "expires_at": null}))})
}

/// A ModelGates server: `GATES_KEY` named `ci-runner` (read), its delete (expected `deletes`
/// times), and nothing else but the 418 echo.
async fn gates_server(deletes: u64) -> MockServer {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(gates_key(GATES_KEY, "ci-runner")))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deleted": true})))
        .expect(deletes)
        .mount(&server)
        .await;
    server
}

async fn methods(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

const MG: &str = "MODELGATES_MANAGEMENT_KEY";
const SECRET_HEADING: &str =
    "  secret (shown only this once: the provider will not show it again; store it now):";
const QUESTION: &str = "Revoke 1 key(s)? [y/N]";

// ---- revoke ----

#[tokio::test]
async fn revoke_asks_naming_the_key_and_yes_deletes_it() {
    for answer in ["y\n", "yes\n", "Y\n"] {
        let server = gates_server(1).await;
        let out = on_pty(
            MG,
            &server,
            &["revoke", "-p", "modelgates", GATES_KEY],
            answer,
        )
        .await;
        out.asked(true)
            .code(0)
            .asks_before(
                QUESTION,
                &[
                    "ModelGates",
                    "about to revoke 1 key(s)",
                    "cannot be undone",
                    GATES_KEY,
                    "\"ci-runner\"",
                    "limit",
                ],
            )
            .lacks(REFUSED);
        assert_eq!(
            methods(&server).await,
            [
                format!("GET /api/v1/keys/{GATES_KEY}"),
                format!("DELETE /api/v1/keys/{GATES_KEY}")
            ],
            "{answer:?}"
        );
    }
}

/// Any answer but y/yes: exit 2, the message, the key was read but no DELETE.
async fn revoke_refused_by(answer: &str) {
    let server = gates_server(0).await;
    let out = on_pty(
        MG,
        &server,
        &["revoke", "-p", "modelgates", GATES_KEY],
        answer,
    )
    .await;
    out.asked(true)
        .code(2)
        .asks_before(QUESTION, &[GATES_KEY, "ci-runner", "cannot be undone"])
        .has(REFUSED);
    assert_eq!(
        methods(&server).await,
        [format!("GET /api/v1/keys/{GATES_KEY}")],
        "{answer:?}"
    );
}

#[tokio::test]
async fn revoke_answered_no_deletes_nothing() {
    revoke_refused_by("n\n").await;
    revoke_refused_by("no\n").await;
    revoke_refused_by("yess\n").await;
}

#[tokio::test]
async fn revoke_answered_with_an_empty_line_deletes_nothing() {
    revoke_refused_by("\n").await;
}

#[tokio::test]
async fn revoke_answered_with_end_of_input_deletes_nothing() {
    revoke_refused_by("EOF").await;
}

#[tokio::test]
async fn revoke_ctrl_c_at_the_question_deletes_nothing() {
    let server = gates_server(0).await;
    let out = on_pty(
        MG,
        &server,
        &["revoke", "-p", "modelgates", GATES_KEY],
        "\x03",
    )
    .await;
    out.asked(true).code(130);
    assert_eq!(methods(&server).await.len(), 1);
}

#[tokio::test]
async fn revoke_with_yes_on_a_terminal_asks_nothing() {
    for flag in ["--yes", "-y"] {
        let server = gates_server(1).await;
        let out = on_pty(
            MG,
            &server,
            &["revoke", "-p", "modelgates", GATES_KEY, flag],
            "n\n",
        )
        .await;
        out.asked(false).code(0).lacks("Revoke 1 key(s)?");
    }
}

#[tokio::test]
async fn revoke_dry_run_on_a_terminal_asks_nothing() {
    let server = gates_server(0).await;
    let out = on_pty(
        MG,
        &server,
        &["revoke", "-p", "modelgates", GATES_KEY, "--dry-run"],
        "y\n",
    )
    .await;
    out.asked(false)
        .code(0)
        .has("cannot be undone")
        .has(GATES_KEY);
}

#[tokio::test]
async fn revoke_question_counts_only_the_keys_that_were_read() {
    let server = gates_server(1).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{GATES_KEY_2}")))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"code": 404, "message": "Key not found"}})),
        )
        .mount(&server)
        .await;
    let out = on_pty(
        MG,
        &server,
        &["revoke", "-p", "modelgates", GATES_KEY, GATES_KEY_2],
        "y\n",
    )
    .await;
    out.asked(true).code(4).asks_before(
        QUESTION,
        &[
            "about to revoke 1 key(s)",
            GATES_KEY,
            "1 key(s) could not be read and will not be revoked",
        ],
    );
    let sent = methods(&server).await;
    assert!(!sent.contains(&format!("DELETE /api/v1/keys/{GATES_KEY_2}")));
}

#[tokio::test]
async fn revoke_where_no_key_could_be_read_does_not_ask() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"code": 404, "message": "Key not found"}})),
        )
        .mount(&server)
        .await;
    let out = on_pty(
        MG,
        &server,
        &["revoke", "-p", "modelgates", GATES_KEY],
        "y\n",
    )
    .await;
    out.asked(false).code(4);
}

#[tokio::test]
async fn revoke_venice_asks_then_deletes_with_the_id_in_the_query() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "id": VENICE_KEY, "apiKeyType": "INFERENCE", "description": "app",
            "expiresAt": null, "lastUsedAt": "2026-11-20T10:00:00.000Z",
            "consumptionLimits": {"usd": 50, "diem": null, "vcu": null},
            "limitPeriod": "MONTH", "modelPrivacy": "ALL"}})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/api_keys"))
        .and(query_param("id", VENICE_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let out = on_pty(
        "VENICE_ADMIN_KEY",
        &server,
        &["revoke", "-p", "venice", VENICE_KEY],
        "y\n",
    )
    .await;
    out.asked(true).code(0).asks_before(
        QUESTION,
        &["Venice", VENICE_KEY, "\"app\"", "cannot be undone"],
    );
}

#[tokio::test]
async fn revoke_ionet_asks_with_the_name_from_the_list_and_no_deletes_nothing() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/api-keys/sub-keys/{IONET_KEY}/usage")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded",
            "data": {"key_id": IONET_KEY, "credit_used": 1, "credit_limit": 10,
                     "remaining_credit": 9, "credit_refresh_cycle": "daily"}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded",
            "data": [{"id": IONET_KEY, "description": "batch-job", "expires_at": null,
                      "allowed_models": null, "credit_limit": 10, "credit_used": 1,
                      "credit_refresh_cycle": "daily"}]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let out = on_pty(
        "IONET_ADMIN_KEY",
        &server,
        &["revoke", "-p", "ionet", IONET_KEY],
        "n\n",
    )
    .await;
    out.asked(true)
        .code(2)
        .asks_before(
            QUESTION,
            &["io.net", IONET_KEY, "\"batch-job\"", "cannot be undone"],
        )
        .has(REFUSED);
}

#[tokio::test]
async fn revoke_match_on_a_terminal_asks_about_every_selected_key() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            gates_key(GATES_KEY, "ci-a")["data"], gates_key(GATES_KEY_2, "ci-b")["data"],
            gates_key(NEW_HASH, "prod")["data"]]})))
        .mount(&server)
        .await;
    for (k, n) in [(GATES_KEY, "ci-a"), (GATES_KEY_2, "ci-b")] {
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/keys/{k}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(gates_key(k, n)))
            .mount(&server)
            .await;
    }
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let out = on_pty(
        MG,
        &server,
        &["revoke", "-p", "modelgates", "--match", "ci-*"],
        "\n",
    )
    .await;
    out.asked(true)
        .code(2)
        .asks_before(
            "Revoke 2 key(s)? [y/N]",
            &[GATES_KEY, "ci-a", GATES_KEY_2, "ci-b", "cannot be undone"],
        )
        .lacks(NEW_HASH);
}

// ---- rotate ----

/// A ModelGates server for a rotate of `GATES_KEY`: the read, the create (expected `creates`
/// times) and the delete (`deletes` times); a PATCH is never expected.
async fn rotate_server(creates: u64, deletes: u64) -> MockServer {
    let server = gates_server(deletes).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "data": {"hash": NEW_HASH, "name": "ci-runner (rotated)", "disabled": false,
                     "limit": 50, "limit_reset": "monthly", "include_byok_in_limit": false,
                     "expires_at": null},
            "key": GATES_SECRET})))
        .expect(creates)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn rotate_old_revoke_asks_and_yes_creates_then_deletes() {
    let server = rotate_server(1, 1).await;
    let out = on_pty(
        MG,
        &server,
        &["rotate", "-p", "modelgates", GATES_KEY, "--old", "revoke"],
        "y\n",
    )
    .await;
    out.asked(true)
        .code(0)
        .asks_before(
            "Rotate? [y/N]",
            &["ModelGates", "about to rotate 1 key(s)", "revoked"],
        )
        .new_key_block(
            &format!("ModelGates key {GATES_KEY}: its successor was created. The new key:"),
            GATES_SECRET,
        );
    assert_eq!(
        methods(&server).await,
        [
            format!("GET /api/v1/keys/{GATES_KEY}"),
            "POST /api/v1/keys".to_string(),
            format!("DELETE /api/v1/keys/{GATES_KEY}")
        ]
    );
}

/// The question is asked before anything is read: a no sends nothing at all.
async fn rotate_refused_by(answer: &str) {
    let server = rotate_server(0, 0).await;
    let out = on_pty(
        MG,
        &server,
        &["rotate", "-p", "modelgates", GATES_KEY, "--old", "revoke"],
        answer,
    )
    .await;
    out.asked(true).code(2).has(ROTATE_REFUSED);
    assert!(methods(&server).await.is_empty(), "{answer:?}: {out:?}");
}

#[tokio::test]
async fn rotate_old_revoke_answered_no_or_empty_sends_nothing() {
    rotate_refused_by("n\n").await;
    rotate_refused_by("\n").await;
    rotate_refused_by("EOF").await;
}

#[tokio::test]
async fn rotate_old_revoke_with_yes_on_a_terminal_asks_nothing() {
    let server = rotate_server(1, 1).await;
    let out = on_pty(
        MG,
        &server,
        &[
            "rotate",
            "-p",
            "modelgates",
            GATES_KEY,
            "--old",
            "revoke",
            "--yes",
        ],
        "n\n",
    )
    .await;
    out.asked(false).code(0).new_key_block(
        &format!("ModelGates key {GATES_KEY}: its successor was created. The new key:"),
        GATES_SECRET,
    );
}

#[tokio::test]
async fn rotate_one_key_with_the_default_step_asks_nothing() {
    // The default on ModelGates disables the old key: reversible, so no question.
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(gates_key(GATES_KEY, "ci-runner")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "data": {"hash": NEW_HASH, "name": "n"}, "key": GATES_SECRET})))
        .expect(1)
        .mount(&server)
        .await;
    // Answered as ModelGates answers a PATCH it applied: the key, now disabled.
    let mut disabled = gates_key(GATES_KEY, "ci-runner");
    disabled["data"]["disabled"] = json!(true);
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        // The same PATCH renames the old key (issue 21).
        .and(wiremock::matchers::body_json(
            json!({"disabled": true, "name": format!(
                "ci-runner (rotated out {})",
                chrono::Utc::now().date_naive().format("%Y-%m-%d")
            )}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(disabled))
        .expect(1)
        .mount(&server)
        .await;
    let out = on_pty(
        MG,
        &server,
        &["rotate", "-p", "modelgates", GATES_KEY],
        "n\n",
    )
    .await;
    out.asked(false).code(0).new_key_block(
        &format!("ModelGates key {GATES_KEY}: its successor was created. The new key:"),
        GATES_SECRET,
    );
}

#[tokio::test]
async fn rotate_several_keys_on_a_terminal_asks_first_and_no_sends_nothing() {
    let server = rotate_server(0, 0).await;
    let out = on_pty(
        MG,
        &server,
        &["rotate", "-p", "modelgates", GATES_KEY, GATES_KEY_2],
        "n\n",
    )
    .await;
    out.asked(true)
        .code(2)
        .asks_before("Rotate? [y/N]", &["about to rotate 2 key(s)", "disabled"])
        .has(ROTATE_REFUSED);
    assert!(methods(&server).await.is_empty(), "{out:?}");
}

/// `--old revoke` deletes the old key for good, as `revoke` does; its question should say so
/// and name the key as `revoke`'s does.
#[tokio::test]
async fn rotate_old_revoke_question_names_the_key_and_says_it_cannot_be_undone() {
    let server = rotate_server(0, 0).await;
    let out = on_pty(
        MG,
        &server,
        &["rotate", "-p", "modelgates", GATES_KEY, "--old", "revoke"],
        "n\n",
    )
    .await;
    out.asked(true)
        .code(2)
        .asks_before("Rotate? [y/N]", &[GATES_KEY, "cannot be undone"]);
}
