//! The wire: retries, rate-limit waits, timeouts, redirects and hostile responses.

use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{GATES_KEY, Keyctl, Out, SECRET, VENICE_KEY};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": {"hash": GATES_KEY, "limit": 1}}))
}

async fn run(server: &MockServer, extra: &[&str]) -> Out {
    Keyctl::new(
        ENV,
        &["update", "-p", "modelgates", GATES_KEY, "--limit", "1"],
    )
    .base(server)
    .args(extra)
    .run()
    .await
}

/// `first` answers the first `n` requests, then 200.
async fn then_ok(first: ResponseTemplate, n: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(first)
        .up_to_n_times(n)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ok())
        .mount(&server)
        .await;
    server
}

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn retry_after_429_is_honoured() {
    let server = then_ok(
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        1,
    )
    .await;
    let t = Instant::now();
    run(&server, &[]).await.code(0);
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn venice_reset_header_is_honoured() {
    let server = MockServer::start().await;
    let reset = (chrono::Utc::now().timestamp() + 1).to_string();
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(429).insert_header("x-ratelimit-reset-requests", reset.as_str()),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"id": VENICE_KEY}, "success": true})),
        )
        .mount(&server)
        .await;
    Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["update", "-p", "venice", VENICE_KEY, "--reset", "daily"],
    )
    .base(&server)
    .run()
    .await
    .code(0);
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn service_unavailable_then_success() {
    let server = then_ok(ResponseTemplate::new(503), 1).await;
    run(&server, &["-v"])
        .await
        .code(0)
        .stderr_has("retrying")
        .stderr_has("(attempt 2)");
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn persistent_500_gives_up_after_n_plus_one() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error": {"code": 500, "message": "db down"}})),
        )
        .mount(&server)
        .await;
    run(&server, &["--retries", "2"])
        .await
        .code(7)
        .stderr_has("db down");
    assert_eq!(count(&server).await, 3);
}

#[tokio::test]
async fn retries_zero_sends_once() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    run(&server, &["--retries", "0"])
        .await
        .code(7)
        .stderr_has("HTTP 502");
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn wait_beyond_max_wait_fails_fast_with_exit_6() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3600")
                .set_body_json(json!({"error": {"code": 429, "message": "slow down"}})),
        )
        .mount(&server)
        .await;
    let t = Instant::now();
    run(&server, &["--max-wait", "5s"])
        .await
        .code(6)
        .stderr_has("slow down")
        .stderr_has("1h")
        .stderr_has("until");
    assert!(t.elapsed() < Duration::from_secs(4));
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ok().set_delay(Duration::from_secs(20)))
        .mount(&server)
        .await;
    let t = Instant::now();
    run(&server, &["--timeout", "500ms", "--retries", "1"])
        .await
        .code(8)
        .stderr_has("request timeout")
        .stderr_has("--timeout");
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn connection_refused_is_exit_8() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    Keyctl::new(
        ENV,
        &[
            "update",
            "-p",
            "modelgates",
            GATES_KEY,
            "--limit",
            "1",
            "--retries",
            "1",
        ],
    )
    .arg("--base-url")
    .arg(&format!("http://127.0.0.1:{port}"))
    .run()
    .await
    .code(8)
    .stderr_has("could not connect");
}

#[tokio::test]
async fn redirects_are_not_followed_and_the_target_gets_nothing() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ok())
        .expect(0)
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    let target = format!("{}/steal", elsewhere.uri());
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", target.as_str()))
        .mount(&server)
        .await;
    run(&server, &[])
        .await
        .code(7)
        .stderr_has(&target)
        .stderr_has("redirect");
    assert_eq!(count(&elsewhere).await, 0);
}

#[tokio::test]
async fn html_empty_truncated_and_oversized_bodies() {
    for (status, body, code, needle) in [
        (
            502,
            b"<html><title>502 Bad Gateway</title><body>nginx</body></html>".to_vec(),
            7,
            "(HTML) 502 Bad Gateway",
        ),
        (500, Vec::new(), 7, "(empty body)"),
        (200, b"{\"data\": {\"hash\": ".to_vec(), 7, "not valid JSON"),
        (200, b"[1,2,3]".to_vec(), 7, "unexpected success response"),
        // A number too large for any type is still JSON (read with its digits), but not a
        // limit keyctl can read: exit 7 naming it, never shown as the one sent.
        (
            200,
            b"{\"data\": {\"limit\": 1e999999}}".to_vec(),
            7,
            "the answer's limit is a number (1e+999999)",
        ),
        (400, vec![0xff, 0xfe, 0xfd], 5, "HTTP 400"),
        (200, vec![b' '; 9 * 1024 * 1024], 7, "larger than 8 MiB"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("PATCH"))
            .respond_with(ResponseTemplate::new(status).set_body_bytes(body))
            .mount(&server)
            .await;
        run(&server, &["--retries", "0"])
            .await
            .code(code)
            .stderr_has(needle);
    }
}

#[tokio::test]
async fn wrong_types_and_extra_fields_are_tolerated_where_unneeded() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"hash": 7, "name": ["x"], "limit_remaining": "lots", "disabled": "no", "surprise": {"a": 1}},
            "extra": true
        })))
        .mount(&server)
        .await;
    run(&server, &[]).await.code(0).stdout_has("updated");
}

#[tokio::test]
async fn escape_sequences_never_reach_the_terminal() {
    let server = MockServer::start().await;
    let evil = "bad \u{1b}[31mred\u{1b}[0m \u{1b}]0;pwned\u{7} \u{1b}[2J done\r\nline2";
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"code": 400, "message": evil}})),
        )
        .mount(&server)
        .await;
    let out = run(&server, &["-o", "json"]).await;
    out.code(5).stderr_has("bad red");
    assert!(
        !out.stderr.contains('\u{1b}') && !out.stdout.contains('\u{1b}'),
        "{out:?}"
    );
    assert!(!out.stderr.contains("pwned"));
}

#[tokio::test]
async fn a_credential_echoed_by_the_server_is_masked() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"code": 401, "message": format!("key {SECRET} is revoked")}}),
        ))
        .mount(&server)
        .await;
    run(&server, &["-v"])
        .await
        .code(3)
        .stderr_has("key **** is revoked");
}

#[tokio::test]
async fn ctrl_c_stops_new_requests_and_reports_exit_130() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ok().set_delay(Duration::from_millis(1500)))
        .mount(&server)
        .await;
    // Full 64-hex ids: used as is, with no listing read.
    let keys: Vec<String> = (1..=8).map(|i| format!("{i:064x}")).collect();
    let uri = server.uri();
    let child_keys = keys.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_keyctl"));
        cmd.args([
            "update",
            "-p",
            "modelgates",
            "--limit",
            "1",
            "--base-url",
            &uri,
        ])
        .args(&child_keys)
        .env("MODELGATES_MANAGEMENT_KEY", SECRET)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        let child = cmd.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(600));
        let pid = child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    crate::common::scan(&out);
    out.code(130).stderr_has("SIGINT").stderr_has(
        "stopped by SIGINT; summary: 4 updated, 0 unchanged, 0 failed, 4 not attempted",
    );
    // The table has the four updated keys; the four never sent are one count, not four lines.
    assert_eq!(
        out.stdout.matches("\tupdated\t").count(),
        4,
        "{}",
        out.stdout
    );
    for k in &keys[4..] {
        assert!(
            !out.stdout.contains(k) && !out.stderr.contains(k),
            "{k}: {out:?}"
        );
    }
    // The four in flight finished; the other four were never sent.
    assert_eq!(count(&server).await, 4);
}

/// Answers 429 (Retry-After: 1) to the very first request, 200 after; records when each came.
struct Recorder {
    times: std::sync::Arc<std::sync::Mutex<Vec<(Instant, u16)>>>,
}

impl wiremock::Respond for Recorder {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let mut t = self.times.lock().unwrap();
        let status = if t.is_empty() { 429 } else { 200 };
        t.push((Instant::now(), status));
        if status == 429 {
            ResponseTemplate::new(429).insert_header("retry-after", "1")
        } else {
            ok()
        }
    }
}

#[tokio::test]
async fn a_429_slows_the_whole_run_down() {
    let server = MockServer::start().await;
    let times = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    Mock::given(method("PATCH"))
        .respond_with(Recorder {
            times: times.clone(),
        })
        .mount(&server)
        .await;
    let keys: Vec<String> = (0..8).map(|i| format!("{i:064x}")).collect();
    let mut k = Keyctl::new(
        ENV,
        &[
            "update",
            "-p",
            "modelgates",
            "--limit",
            "1",
            "--concurrency",
            "2",
        ],
    )
    .base(&server);
    for key in &keys {
        k = k.arg(key);
    }
    k.run().await.code(0);
    let t = times.lock().unwrap().clone();
    assert_eq!(t.len(), 9, "8 keys + 1 retry");
    let t429 = t[0].0;
    // At most the one request already in flight lands during the pause the 429 asked for.
    let during = t[1..]
        .iter()
        .filter(|(at, _)| *at > t429 && at.duration_since(t429) < Duration::from_millis(900))
        .count();
    assert!(
        during <= 1,
        "{during} requests went out during the shared pause"
    );
}
