//! `keyctl apply` on a terminal (a pseudo-terminal, `tests/e2e/pty_run.py`): the plan is shown
//! and asked about; `n` sends nothing and makes no secret file (exit 2), `y` applies it.

use std::process::{Command, Stdio};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::home::Home;
use crate::common::pty::{PtyOut, SCRIPT, clean, finish};
use crate::common::stand_ins::{With, gates_key};
use crate::common::{SECRET, gates_listing, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const H1: &str = "c300000000000000000000000000000000000000000000000000000000000001";
const H_NEW: &str = "c300000000000000000000000000000000000000000000000000000000000009";
const NEW_SECRET: &str = "sk-mg-v1-APPLYPTY-0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const QUESTION: &str = "Apply these changes? [y/N]";

async fn gates() -> MockServer {
    let s = server().await;
    gates_listing(&s, vec![gates_key(H1, "ci-a").with(json!({"limit": 10}))]).await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": gates_key(H1, "ci-a").with(json!({"limit": 20}))})),
        )
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"data": gates_key(H_NEW, "ci-new"), "key": NEW_SECRET})),
        )
        .mount(&s)
        .await;
    s
}

/// Each request as `METHOD /path body`.
async fn sent(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let b: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            format!("{} {} {b}", r.method, r.url.path())
        })
        .collect()
}

/// `keyctl apply -f keys.toml` against `s` on a pseudo-terminal, `answer` typed at `[y/N]`.
async fn on_a_terminal(home: &Home, s: &MockServer, answer: &str) -> PtyOut {
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\nlimit = 20\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"ci-new\"\nsecret_file = \"new.key\"\n",
    );
    let spec = json!({
        "argv": [env!("CARGO_BIN_EXE_keyctl"), "apply", "-f", file, "--base-url", s.uri()],
        "rows": 40, "cols": 120, "timeout": 20, "answer": answer,
        "stdout": null, "stderr": null,
    });
    let env = home.env_without_config();
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new("python3");
        cmd.arg(SCRIPT).arg(spec.to_string());
        clean(&mut cmd);
        cmd.envs(env)
            .env(ENV, SECRET)
            .env("TERM", "xterm-256color")
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

#[tokio::test]
async fn no_at_the_question_sends_nothing_and_yes_applies() {
    let s = gates().await;
    let home = Home::without_config();
    let out = on_a_terminal(&home, &s, "n\n").await;
    out.code(2).has("not confirmed; nothing was changed");
    assert!(out.prompted, "{}", out.output);
    // The plan is shown before the question.
    let plain = out.plain();
    let asked = plain.find(QUESTION).expect("the question");
    for shown in [
        "~ ci-a",
        "limit  10 → 20",
        "+ ci-new: create",
        "Plan: 1 to create, 1 to update",
    ] {
        let at = plain
            .find(shown)
            .unwrap_or_else(|| panic!("{shown:?} not shown:\n{plain}"));
        assert!(at < asked, "{shown:?} after the question:\n{plain}");
    }
    assert_eq!(sent(&s).await, vec!["GET /api/v1/keys null"]);
    assert!(!home.path().join("new.key").exists());

    let out = on_a_terminal(&home, &s, "y\n").await;
    out.code(0).has("apply: 1 created, 1 updated");
    assert!(out.prompted);
    assert_eq!(
        sent(&s).await[1..],
        [
            "GET /api/v1/keys null".to_string(),
            format!("PATCH /api/v1/keys/{H1} {}", json!({"limit": 20})),
            format!("POST /api/v1/keys {}", json!({"name": "ci-new"})),
        ]
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("new.key")).unwrap(),
        format!("{NEW_SECRET}\n")
    );
    out.lacks(NEW_SECRET);
}
