//! A stdout that cannot be written: a full disk (`/dev/full`, ENOSPC) makes a run that would
//! exit 0 say its output is incomplete and exit 1, on every command (reads, plans, writes), so
//! `keyctl list -o json > keys.json` on a full disk is never taken for a whole answer; a closed
//! pipe (`keyctl list | head`) stays quiet with the run's own code; a run that already failed
//! keeps its own code. (New secrets on such a stdout: `secret_delivery.rs`.)

use std::process::{Command, Stdio};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{self, GATES_KEY, SECRET};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";

/// Where the child's stdout goes.
#[derive(Clone, Copy)]
enum Stdout {
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
    /// A pipe whose reading end is closed before anything is written (EPIPE).
    ClosedPipe,
}

/// Runs keyctl with `args` (ModelGates credential set, audit off, HOME in a fresh folder) and
/// stdout as asked: the exit code and stderr.
async fn run(args: &[&str], stdout: Stdout) -> (i32, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let home = tempfile::tempdir().expect("temp home");
    let home_path = home.path().to_path_buf();
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyctl"));
        for v in common::cleared() {
            cmd.env_remove(v);
        }
        cmd.env("NO_COLOR", "1")
            .env("KEYCTL_BACKOFF_MS", "20")
            .env("KEYCTL_AUDIT", "off")
            .env("HOME", &home_path)
            .env("XDG_CONFIG_HOME", home_path.join("config"))
            .env("XDG_STATE_HOME", home_path.join("state"))
            .env(ENV, SECRET)
            .args(&args)
            .stdin(Stdio::null())
            .stderr(Stdio::piped());
        match stdout {
            Stdout::Full => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .expect("/dev/full");
                cmd.stdout(f);
            }
            Stdout::ClosedPipe => {
                cmd.stdout(Stdio::piped());
            }
        }
        let mut child = cmd.spawn().expect("keyctl runs");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("keyctl ends");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .expect("join");
    drop(home);
    assert!(!stderr.contains(SECRET), "credential on stderr: {stderr}");
    (code, stderr)
}

const INCOMPLETE: &str = "could not write to stdout";

/// A ModelGates key object: $50 a month, $10 used.
fn key(hash: &str, name: &str) -> Value {
    json!({
        "hash": hash, "name": name, "label": "sk-mg-v1-abc...xyz", "disabled": false,
        "limit": 50, "limit_remaining": 40, "limit_reset": "monthly",
        "include_byok_in_limit": true, "usage": 10, "usage_daily": 1, "usage_weekly": 3,
        "usage_monthly": 10, "created_at": "2026-01-01T00:00:00Z", "updated_at": null,
        "expires_at": null
    })
}

/// A stand-in with one key: its listing, its read, and a PATCH answered as applied.
async fn stand_in() -> MockServer {
    let server = common::server().await;
    common::gates_listing(&server, vec![key(GATES_KEY, "ci-agent")]).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": key(GATES_KEY, "ci-agent")})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": key(GATES_KEY, "ci-agent")})),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn reads_on_a_full_disk_exit_1_and_say_the_output_is_incomplete() {
    let server = stand_in().await;
    let uri = server.uri();
    for args in [
        vec!["list", "-p", "modelgates", "--base-url", &uri, "-o", "json"],
        vec!["list", "-p", "modelgates", "--base-url", &uri, "-o", "tsv"],
        vec![
            "list",
            "-p",
            "modelgates",
            "--base-url",
            &uri,
            "-o",
            "table",
        ],
        vec!["get", "-p", "modelgates", "--base-url", &uri, GATES_KEY],
        vec![
            "get",
            "-p",
            "modelgates",
            "--base-url",
            &uri,
            GATES_KEY,
            "-o",
            "json",
        ],
        vec![
            "check",
            "-p",
            "modelgates",
            "--base-url",
            &uri,
            "--usage-over",
            "1%",
            "-o",
            "json",
        ],
        vec!["providers"],
        vec!["support"],
    ] {
        let (code, stderr) = run(&args, Stdout::Full).await;
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stderr.contains(INCOMPLETE), "{args:?}: {stderr}");
        assert!(
            stderr.contains("No space left on device"),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.matches(INCOMPLETE).count(), 1, "said once: {stderr}");
        assert!(
            !stderr.contains("change this run made stands"),
            "a run that sends no change does not speak of changes: {stderr}"
        );
    }
}

#[tokio::test]
async fn a_dry_run_plan_on_a_full_disk_exits_1_and_sends_nothing() {
    let server = stand_in().await;
    let uri = server.uri();
    let (code, stderr) = run(
        &[
            "update",
            "-p",
            "modelgates",
            "--base-url",
            &uri,
            GATES_KEY,
            "--limit",
            "75",
            "--dry-run",
        ],
        Stdout::Full,
    )
    .await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(INCOMPLETE), "{stderr}");
    assert!(
        !stderr.contains("change this run made stands"),
        "a dry run sends no change: {stderr}"
    );
    let writes = common::seen(&server)
        .await
        .into_iter()
        .filter(|r| !r.starts_with("GET "))
        .count();
    assert_eq!(writes, 0);
}

#[tokio::test]
async fn a_write_whose_result_cannot_be_shown_exits_1_and_says_the_change_stands() {
    let server = stand_in().await;
    let uri = server.uri();
    let (code, stderr) = run(
        &[
            "update",
            "-p",
            "modelgates",
            "--base-url",
            &uri,
            GATES_KEY,
            "--limit",
            "75",
            "-o",
            "json",
        ],
        Stdout::Full,
    )
    .await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("any change this run made stands"),
        "{stderr}"
    );
    let patches = common::seen(&server)
        .await
        .into_iter()
        .filter(|r| r.starts_with("PATCH "))
        .count();
    assert_eq!(patches, 1, "the change is made once");
}

#[tokio::test]
async fn a_closed_pipe_keeps_the_runs_own_code_and_says_nothing() {
    let server = stand_in().await;
    let uri = server.uri();
    for args in [
        vec!["list", "-p", "modelgates", "--base-url", &uri, "-o", "json"],
        vec!["get", "-p", "modelgates", "--base-url", &uri, GATES_KEY],
        vec!["providers"],
    ] {
        let (code, stderr) = run(&args, Stdout::ClosedPipe).await;
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(!stderr.contains(INCOMPLETE), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn a_run_that_already_failed_keeps_its_own_code_on_a_full_disk() {
    let server = stand_in().await;
    let uri = server.uri();
    let missing = "0000000000000000000000000000000000000000000000000000000000000000";
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{missing}")))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"code": 404, "message": "Not found"}})),
        )
        .mount(&server)
        .await;
    let (code, stderr) = run(
        &["get", "-p", "modelgates", "--base-url", &uri, missing],
        Stdout::Full,
    )
    .await;
    assert_eq!(code, 4, "{stderr}");
    assert!(!stderr.contains(INCOMPLETE), "{stderr}");
}
