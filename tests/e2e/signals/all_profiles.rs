//! A signal during `auth status --all` or `check --all` keeps the report (the rest
//! `not_attempted` / named as not checked) and stops a credential command's whole process group.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::gates_profiles::{ENV, H_ON, gates_profile, gkey};
use crate::common::home::Home;
use crate::common::request_log::paths;
use crate::common::{Finished, Out, SECRET, server};

/// `GET /api/v1/key` of a management key (LIFECYCLE.md 3.5).
fn management_key() -> Value {
    json!({"data": {"label": "sk-or-v1-abc...xyz", "limit": null, "usage": 0.5,
        "usage_daily": 0, "usage_weekly": 0, "usage_monthly": 0.5, "byok_usage": 0,
        "is_free_tier": false, "is_management_key": true, "is_provisioning_key": false,
        "limit_remaining": null, "limit_reset": null, "include_byok_in_limit": false,
        "expires_at": null}})
}

/// Mounts `GET {prefix}/api/v1/key` answering a management key after `delay`, expected
/// `times` times.
async fn mount_check(s: &MockServer, prefix: &str, delay: Duration, times: u64) {
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/key")))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(management_key())
                .set_delay(delay),
        )
        .expect(times)
        .named(format!("credential check {prefix}"))
        .mount(s)
        .await;
}

const H_OFF: &str = "bb00000000000000000000000000000000000000000000000000000000000001";

/// Mounts `GET {prefix}/api/v1/keys?offset=0&include_disabled=true` (one disabled key, one
/// active) answering after `delay`, expected `times` times.
async fn mount_list(s: &MockServer, prefix: &str, delay: Duration, times: u64) {
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/keys")))
        .and(query_param("offset", "0"))
        .and(query_param("include_disabled", "true"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [gkey(H_OFF, "off", true), gkey(H_ON, "on", false)]}))
                .set_delay(delay),
        )
        .expect(times)
        .named(format!("key list {prefix}"))
        .mount(s)
        .await;
}

/// `(profile, status)` of each JSON line.
fn statuses(out: &Out) -> Vec<(String, String)> {
    out.json_lines()
        .iter()
        .map(|l| {
            (
                l["profile"].as_str().unwrap_or_default().to_string(),
                l["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Whether process `pid` is gone (a zombie counts as gone: it runs nothing).
fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // `pid (comm) S ...`: the state follows the last `)`.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

/// Waits up to `limit` for `cond`.
async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Three profiles: `a` (answers at once), `b` (answers after `slow`), `c` (never asked); a
/// SIGTERM once `b`'s request is in flight.
async fn auth_status_stopped_while_b_is_in_flight(slow: Duration) -> Finished {
    let s = server().await;
    mount_check(&s, "/a", Duration::ZERO, 1).await;
    mount_check(&s, "/b", slow, 1).await;
    mount_check(&s, "/c", Duration::ZERO, 0).await;
    let sb = Home::new();
    let u = s.uri();
    sb.config(
        &[
            gates_profile("a", &format!("{u}/a")),
            gates_profile("b", &format!("{u}/b")),
            gates_profile("c", &format!("{u}/c")),
        ]
        .concat(),
    );
    let mut r = sb.spawn(
        ENV,
        &["auth", "status", "--all", "--retries", "0", "-o", "json"],
        &sb.env(),
    );
    // Accounts are checked one after the other: `a` has its answer once `b` was asked.
    r.requests(&s, 2).await;
    r.settle(Duration::ZERO, Duration::from_millis(300)).await;
    r.signal("TERM");
    let f = r.finish(Duration::from_secs(20)).await;
    assert_eq!(
        paths(&s).await,
        ["/a/api/v1/key", "/b/api/v1/key"],
        "c was never asked"
    );
    f
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn auth_status_all_sigterm_prints_the_first_row_and_the_rest_not_attempted() {
    // `b` answers after 20 s: past the 10 s grace, so it is dropped.
    let f = auth_status_stopped_while_b_is_in_flight(Duration::from_secs(20)).await;
    let out = &f.out;
    out.code(143)
        .stderr_has("SIGTERM: no new requests will start")
        .stderr_has("requests in flight did not finish within 10 s");
    assert!(
        f.after_signal < Duration::from_secs(12),
        "took {:?} after the signal (grace: 10 s)",
        f.after_signal
    );
    assert_eq!(
        statuses(out),
        [
            ("a".to_string(), "ok".to_string()),
            ("b".to_string(), "not_attempted".to_string()),
            ("c".to_string(), "not_attempted".to_string()),
        ],
        "{}",
        out.stdout
    );
    let l = out.json_lines();
    assert_eq!(l[0]["detail"], "management key", "{}", out.stdout);
    for row in &l[1..] {
        assert_eq!(
            row["detail"], "stopped by a signal before this account was checked",
            "{row}"
        );
        assert_eq!(row["http_status"], Value::Null, "{row}");
        assert_eq!(row["provider"], "modelgates", "{row}");
    }
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn auth_status_all_sigterm_lets_the_account_in_flight_finish_within_the_grace() {
    // `b` answers 2.5 s after it was asked: within the grace, so its own outcome is kept.
    let f = auth_status_stopped_while_b_is_in_flight(Duration::from_millis(2500)).await;
    let out = &f.out;
    out.code(143);
    assert!(
        f.after_signal < Duration::from_secs(8),
        "took {:?} after the signal",
        f.after_signal
    );
    assert_eq!(
        statuses(out),
        [
            ("a".to_string(), "ok".to_string()),
            ("b".to_string(), "ok".to_string()),
            ("c".to_string(), "not_attempted".to_string()),
        ],
        "{}",
        out.stdout
    );
    assert!(
        !out.stderr.contains("did not finish within"),
        "{}",
        out.stderr
    );
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn check_all_sigterm_prints_the_matches_found_and_names_the_profiles_not_checked() {
    let s = server().await;
    mount_list(&s, "/a", Duration::ZERO, 1).await;
    mount_list(&s, "/b", Duration::from_secs(20), 1).await;
    mount_list(&s, "/c", Duration::ZERO, 0).await;
    let sb = Home::new();
    let u = s.uri();
    sb.config(
        &[
            gates_profile("a", &format!("{u}/a")),
            gates_profile("b", &format!("{u}/b")),
            gates_profile("c", &format!("{u}/c")),
        ]
        .concat(),
    );
    let mut r = sb.spawn(
        ENV,
        &[
            "check",
            "--all",
            "--disabled",
            "--retries",
            "0",
            "-o",
            "json",
        ],
        &sb.env(),
    );
    r.requests(&s, 2).await;
    r.settle(Duration::ZERO, Duration::from_millis(300)).await;
    r.signal("TERM");
    let f = r.finish(Duration::from_secs(20)).await;
    let out = &f.out;
    out.code(143)
        .stderr_has("not checked (stopped by a signal): b, c")
        .stderr_has("stopped by SIGTERM");
    assert!(
        f.after_signal < Duration::from_secs(12),
        "took {:?} after the signal (grace: 10 s)",
        f.after_signal
    );
    let l = out.json_lines();
    assert_eq!(l.len(), 1, "only a's match:\n{}", out.stdout);
    assert_eq!(l[0]["profile"], "a", "{}", l[0]);
    assert_eq!(l[0]["provider"], "modelgates", "{}", l[0]);
    assert_eq!(l[0]["id"], H_OFF, "{}", l[0]);
    assert_eq!(l[0]["reasons"], json!(["disabled"]), "{}", l[0]);
    assert_eq!(
        paths(&s).await,
        ["/a/api/v1/keys", "/b/api/v1/keys"],
        "c was never asked"
    );
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn sigint_while_a_credential_command_sleeps_kills_its_children_and_keeps_the_report() {
    let s = server().await;
    mount_check(&s, "/a", Duration::ZERO, 1).await;
    mount_check(&s, "/b", Duration::ZERO, 0).await;
    mount_check(&s, "/c", Duration::ZERO, 0).await;
    let sb = Home::new();
    // The command starts a `sleep` (recording its pid) and waits for it.
    sb.script(
        "slowkey.sh",
        "sleep 30 &\necho $! > \"$1.tmp\"\nmv \"$1.tmp\" \"$1\"\nwait\necho \"$2\"",
    );
    let pid_file = sb.path().join("sleep.pid");
    let u = s.uri();
    sb.config(&format!(
        "{}[profiles.b]\nprovider = \"modelgates\"\nbase_url = \"{u}/b\"\n\
         credential_command = [\"./slowkey.sh\", \"{}\", \"{SECRET}\"]\n\n{}",
        gates_profile("a", &format!("{u}/a")),
        pid_file.display(),
        gates_profile("c", &format!("{u}/c")),
    ));
    let mut r = sb.spawn(ENV, &["auth", "status", "--all", "-o", "json"], &sb.env());
    r.requests(&s, 1).await;
    assert!(
        eventually(Duration::from_secs(15), || pid_file.exists()).await,
        "the credential command never started its sleep: {}",
        r.kill_and_collect()
    );
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!gone(pid), "the sleep {pid} runs before the signal");
    r.settle(Duration::ZERO, Duration::from_millis(200)).await;
    r.signal("INT");
    let f = r.finish(Duration::from_secs(8)).await;
    let out = &f.out;
    out.code(130).stderr_has("stopped by SIGINT");
    assert!(
        f.after_signal < Duration::from_secs(5),
        "took {:?} after the signal: the command is stopped at once",
        f.after_signal
    );
    assert_eq!(
        statuses(out),
        [
            ("a".to_string(), "ok".to_string()),
            ("b".to_string(), "not_attempted".to_string()),
            ("c".to_string(), "not_attempted".to_string()),
        ],
        "{}",
        out.stdout
    );
    assert!(
        eventually(Duration::from_secs(3), || gone(pid)).await,
        "the credential command's sleep ({pid}) still runs after keyctl exited"
    );
    assert_eq!(paths(&s).await, ["/a/api/v1/key"]);
}
