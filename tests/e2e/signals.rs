//! Signals (SIGINT, SIGTERM, SIGHUP, a second signal) and --max-failures: every key ends in one
//! status and the report matches what the server recorded.
//!
//! The binary runs as a child process (not through `Keyctl`, which cannot signal it):
//! `common::Running` spawns it, waits until the server has seen the requests that must be in
//! flight, sends signals with `kill -NAME pid`, and waits with a hard limit (the child is killed
//! if a test fails or the limit passes). Every output still goes through `common::scan`.

mod all_profiles;

use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::request_log::paths;
use crate::common::{Finished, GATES_KEY, Keyctl, Out, Running};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";

/// An answer slow enough that the signal surely comes while it is in flight, short enough that
/// the grace (10 s) lets it finish.
const SLOW: Duration = Duration::from_millis(2000);
/// An answer that never comes within the grace.
const NEVER: Duration = Duration::from_secs(20);

/// 200 with the key named in the path (ModelGates `{"data": {...}}`), after `delay`.
struct Echo {
    delay: Duration,
}

impl Respond for Echo {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let hash = req.url.path().rsplit('/').next().unwrap_or_default();
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": {"hash": hash, "name": "n", "limit": 1}}))
            .set_delay(self.delay)
    }
}

/// A server answering every PATCH with `Echo { delay }`.
async fn slow_patch(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(Echo { delay })
        .mount(&server)
        .await;
    server
}

/// N made-up ModelGates ids, full 64-hex hashes (`00…01`..): used as is, with no listing read.
fn keys(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{i:064x}")).collect()
}

/// `update -p modelgates --base-url URI --limit 1 EXTRA... KEYS...`.
fn update(server: &MockServer, extra: &[&str], keys: &[String]) -> Vec<String> {
    let mut a: Vec<String> = ["update", "-p", "modelgates", "--base-url"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    a.push(server.uri());
    a.extend(["--limit", "1"].iter().map(|s| s.to_string()));
    a.extend(extra.iter().map(|s| s.to_string()));
    a.extend(keys.iter().cloned());
    a
}

/// `(key, status)` of each JSON line, in output order.
fn statuses(out: &Out) -> Vec<(String, String)> {
    out.json_lines()
        .iter()
        .map(|l| {
            (
                l["key"].as_str().unwrap_or_default().to_string(),
                l["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn count(st: &[(String, String)], status: &str) -> usize {
    st.iter().filter(|(_, s)| s == status).count()
}

/// The reusable shape of most tests: spawn, wait until `in_flight` requests reached `server`
/// and at least `at` passed since the start and `after` since then, send `first`, then `second`
/// (if any) after its delay, and wait for the exit (at most `limit` after the first signal).
struct Plan<'a> {
    server: &'a MockServer,
    in_flight: usize,
    at: Duration,
    after: Duration,
    first: &'static str,
    second: Option<(&'static str, Duration)>,
    limit: Duration,
}

impl<'a> Plan<'a> {
    fn new(server: &'a MockServer, in_flight: usize, first: &'static str) -> Plan<'a> {
        Plan {
            server,
            in_flight,
            at: Duration::from_millis(600),
            after: Duration::from_millis(100),
            first,
            second: None,
            limit: Duration::from_secs(20),
        }
    }

    fn at(mut self, d: Duration) -> Self {
        self.at = d;
        self
    }

    /// The least time between the server seeing the requests and the first signal.
    fn after(mut self, d: Duration) -> Self {
        self.after = d;
        self
    }

    fn then(mut self, sig: &'static str, after: Duration) -> Self {
        self.second = Some((sig, after));
        self
    }

    fn limit(mut self, d: Duration) -> Self {
        self.limit = d;
        self
    }

    async fn run(self, args: &[String], env: &[(&str, &str)]) -> Finished {
        let mut r = Running::spawn(ENV, args, env);
        r.requests(self.server, self.in_flight).await;
        r.settle(self.at, self.after).await;
        r.signal(self.first);
        if let Some((sig, after)) = self.second {
            tokio::time::sleep(after).await;
            r.signal(sig);
        }
        r.finish(self.limit).await
    }
}

/// One signal while four of eight keys are in flight: those four finish, the rest never start.
async fn one_signal_lets_in_flight_finish(sig: &'static str, name: &str, code: i32) {
    let server = slow_patch(SLOW).await;
    let ks = keys(8);
    let f = Plan::new(&server, 4, sig)
        .run(&update(&server, &["-o", "json"], &ks), &[])
        .await;
    let out = &f.out;
    out.code(code)
        .stderr_has(&format!("{name}: no new requests will start"))
        .stderr_has(&format!(
            "ModelGates: stopped by {name}; summary: 4 updated, 0 unchanged, 0 failed, 4 not attempted"
        ));
    let st = statuses(out);
    let order: Vec<&str> = st.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        order, ks,
        "one line per key, in input order:\n{}",
        out.stdout
    );
    assert_eq!(count(&st, "updated"), 4, "{}", out.stdout);
    assert_eq!(count(&st, "not_attempted"), 4, "{}", out.stdout);
    // Keys start in input order: the first four were in flight.
    for (i, (_, s)) in st.iter().enumerate() {
        let want = if i < 4 { "updated" } else { "not_attempted" };
        assert_eq!(s, want, "{}", out.stdout);
    }
    for l in out.json_lines() {
        if l["status"] == "not_attempted" {
            assert!(
                l.get("error").is_none() && l.get("key_state").is_none(),
                "{l}"
            );
        } else {
            assert_eq!(l["after"]["id"], l["key"], "{l}");
        }
    }
    // The report matches what the server recorded: exactly the updated keys were sent.
    let mut seen = paths(&server).await;
    seen.sort();
    let mut updated: Vec<String> = st
        .iter()
        .filter(|(_, s)| s == "updated")
        .map(|(k, _)| format!("/api/v1/keys/{k}"))
        .collect();
    updated.sort();
    assert_eq!(seen, updated);
}

#[tokio::test]
async fn sigterm_lets_in_flight_keys_finish_and_exits_143() {
    one_signal_lets_in_flight_finish("TERM", "SIGTERM", 143).await;
}

#[tokio::test]
async fn sighup_lets_in_flight_keys_finish_and_exits_129() {
    one_signal_lets_in_flight_finish("HUP", "SIGHUP", 129).await;
}

#[tokio::test]
async fn second_sigint_drops_requests_in_flight_as_unknown() {
    let server = slow_patch(NEVER).await;
    let ks = keys(8);
    let f = Plan::new(&server, 4, "INT")
        .at(Duration::from_millis(500))
        .then("INT", Duration::from_millis(700))
        .limit(Duration::from_secs(8))
        .run(&update(&server, &[], &ks), &[])
        .await;
    let out = &f.out;
    out.code(130)
        .stderr_has("SIGINT: no new requests will start")
        .stderr_has("second signal: stopping the requests in flight")
        .stderr_has(
            "ModelGates: stopped by SIGINT; summary: 0 updated, 0 unchanged, 0 failed, \
             4 unknown (may have been applied: check with keyctl get), 4 not attempted",
        );
    assert!(
        f.after_signal < Duration::from_secs(4),
        "took {:?} after the first signal",
        f.after_signal
    );
    // The table still lists the four keys in flight, as unknown; the others are only counted.
    assert_eq!(
        out.stdout.matches("unknown (interrupted)").count(),
        4,
        "{}",
        out.stdout
    );
    for k in &ks[..4] {
        out.stdout_has(k)
            .stderr_has(&format!("ModelGates key {k}: outcome unknown: "));
    }
    for k in &ks[4..] {
        assert!(
            !out.stdout.contains(k.as_str()) && !out.stderr.contains(k.as_str()),
            "{k} was never sent and gets no line: {out:?}"
        );
    }
    assert_eq!(paths(&server).await.len(), 4);
}

#[tokio::test]
async fn second_signal_of_another_kind_keeps_the_first_exit_code_json() {
    let server = slow_patch(NEVER).await;
    let ks = keys(8);
    let f = Plan::new(&server, 4, "INT")
        .at(Duration::from_millis(500))
        .then("TERM", Duration::from_millis(700))
        .limit(Duration::from_secs(8))
        .run(&update(&server, &["-o", "json"], &ks), &[])
        .await;
    let out = &f.out;
    // 128 + SIGINT, the first signal, not 143.
    out.code(130).stderr_has(
        "stopped by SIGINT; summary: 0 updated, 0 unchanged, 0 failed, 4 unknown (may have been applied: check with keyctl get), 4 not attempted",
    );
    assert!(
        f.after_signal < Duration::from_secs(4),
        "{:?}",
        f.after_signal
    );
    let lines = out.json_lines();
    assert_eq!(lines.len(), 8, "{}", out.stdout);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["key"], ks[i].as_str(), "{l}");
        if i < 4 {
            assert_eq!(l["status"], "unknown", "{l}");
            assert_eq!(l["error"]["kind"], "interrupted", "{l}");
            let m = l["error"]["message"].as_str().unwrap();
            assert!(m.contains("may have been applied"), "{m}");
        } else {
            assert_eq!(l["status"], "not_attempted", "{l}");
            assert!(l.get("error").is_none(), "{l}");
        }
    }
    assert_eq!(paths(&server).await.len(), 4);
}

#[tokio::test]
async fn sigint_while_waiting_to_retry_a_429_fails_the_key_as_interrupted() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .mount(&server)
        .await;
    let f = Plan::new(&server, 1, "INT")
        .at(Duration::from_millis(500))
        .after(Duration::from_millis(300))
        .limit(Duration::from_secs(8))
        .run(&update(&server, &["-o", "json"], &[GATES_KEY.into()]), &[])
        .await;
    let out = &f.out;
    out.code(130)
        .stderr_has("stopped by SIGINT; summary: 0 updated, 0 unchanged, 1 failed");
    assert!(
        f.after_signal < Duration::from_secs(5),
        "the 30 s wait was not cut short: {:?}",
        f.after_signal
    );
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["status"], "failed", "{}", lines[0]);
    assert_eq!(lines[0]["error"]["kind"], "interrupted", "{}", lines[0]);
    let m = lines[0]["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("interrupted while waiting to retry (the last answer was HTTP 429)"),
        "{m}"
    );
    assert_eq!(paths(&server).await.len(), 1, "no retry after the signal");
}

#[tokio::test]
async fn signal_after_a_timed_out_attempt_leaves_the_key_unknown() {
    // The first attempt times out (no answer: it may have been applied); the retry waits
    // 10-20 s (KEYCTL_BACKOFF_MS=20000); SIGINT ends the wait. The key is unknown, not failed.
    let server = slow_patch(NEVER).await;
    let f = Plan::new(&server, 1, "INT")
        .at(Duration::from_millis(1500))
        .after(Duration::from_millis(1000))
        .limit(Duration::from_secs(8))
        .run(
            &update(
                &server,
                &["-o", "json", "--timeout", "300ms"],
                &[GATES_KEY.into()],
            ),
            &[("KEYCTL_BACKOFF_MS", "20000")],
        )
        .await;
    let out = &f.out;
    out.code(130).stderr_has(
        "stopped by SIGINT; summary: 0 updated, 0 unchanged, 0 failed, 1 unknown (may have been applied: check with keyctl get)",
    );
    assert!(
        f.after_signal < Duration::from_secs(5),
        "{:?}",
        f.after_signal
    );
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["status"], "unknown", "{}", lines[0]);
    assert!(lines[0]["error"]["kind"].is_string(), "{}", lines[0]);
    assert_eq!(paths(&server).await.len(), 1, "no retry after the signal");
}

#[tokio::test]
async fn one_signal_waits_at_most_the_grace_then_the_key_is_unknown() {
    let server = slow_patch(NEVER).await;
    let f = Plan::new(&server, 1, "TERM")
        .at(Duration::from_millis(500))
        .limit(Duration::from_secs(18))
        .run(&update(&server, &["-o", "json"], &[GATES_KEY.into()]), &[])
        .await;
    let out = &f.out;
    out.code(143)
        .stderr_has("did not finish within 10 s")
        .stderr_has("stopped by SIGTERM; summary: 0 updated, 0 unchanged, 0 failed, 1 unknown");
    assert!(
        f.after_signal >= Duration::from_secs(9) && f.after_signal <= Duration::from_secs(15),
        "the grace is 10 s; keyctl exited {:?} after SIGTERM",
        f.after_signal
    );
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["status"], "unknown", "{}", lines[0]);
    assert_eq!(paths(&server).await.len(), 1);
}

#[tokio::test]
async fn get_stops_on_two_sigterms() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .respond_with(Echo { delay: NEVER })
        .mount(&server)
        .await;
    let args: Vec<String> = [
        "get",
        "-p",
        "modelgates",
        "--base-url",
        &server.uri(),
        "-o",
        "json",
        GATES_KEY,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let f = Plan::new(&server, 1, "TERM")
        .at(Duration::from_millis(500))
        .then("TERM", Duration::from_millis(700))
        .limit(Duration::from_secs(8))
        .run(&args, &[])
        .await;
    f.out
        .code(143)
        .stderr_has("SIGTERM: no new requests will start");
    assert!(
        f.after_signal < Duration::from_secs(4),
        "{:?}",
        f.after_signal
    );
    // A read changes nothing: a read dropped in flight is not_attempted (not unknown).
    let st = statuses(&f.out);
    assert_eq!(
        st,
        vec![(GATES_KEY.to_string(), "not_attempted".to_string())]
    );
    assert_eq!(paths(&server).await.len(), 1);
}

/// `get key1 key2 key3` (answers after SLOW), SIGTERM while key1 is read.
async fn get_three_then_sigterm() -> (MockServer, Out) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Echo { delay: SLOW })
        .mount(&server)
        .await;
    let ks = keys(3);
    let mut args: Vec<String> = ["get", "-p", "modelgates", "--base-url", &server.uri()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["-o".to_string(), "json".to_string()]);
    args.extend(ks.iter().cloned());
    let f = Plan::new(&server, 1, "TERM")
        .at(Duration::from_millis(500))
        .run(&args, &[])
        .await;
    (server, f.out)
}

#[tokio::test]
async fn get_finishes_the_read_in_flight_and_starts_no_other() {
    let (server, out) = get_three_then_sigterm().await;
    out.code(143)
        .stderr_has("stopped by SIGTERM")
        .stderr_has("2 not attempted");
    let st = statuses(&out);
    let ks = keys(3);
    let want: Vec<(String, String)> = vec![
        (ks[0].clone(), "ok".into()),
        (ks[1].clone(), "not_attempted".into()),
        (ks[2].clone(), "not_attempted".into()),
    ];
    assert_eq!(st, want, "{}", out.stdout);
    assert_eq!(
        paths(&server).await,
        vec![format!("/api/v1/keys/{}", ks[0])]
    );
}

/// `keyctl get` changes nothing, yet its summary after a signal counts the key it read as
/// "updated": `ModelGates: stopped by SIGTERM; summary: 1 updated, 0 unchanged, 0 failed,
/// 2 not attempted`. An operator reading a log would believe a key was changed.
#[tokio::test]
async fn get_summary_does_not_call_a_read_an_update() {
    let (_server, out) = get_three_then_sigterm().await;
    out.code(143).stderr_has("stopped by SIGTERM");
    let summary = out
        .stderr
        .lines()
        .find(|l| l.contains("summary:"))
        .unwrap_or_else(|| panic!("no summary:\n{}", out.stderr));
    assert!(!summary.contains("updated"), "{summary}");
}

#[tokio::test]
async fn list_stops_on_two_sigterms() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .and(query_param("include_disabled", "true"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": []}))
                .set_delay(NEVER),
        )
        .mount(&server)
        .await;
    let args: Vec<String> = [
        "list",
        "-p",
        "modelgates",
        "--base-url",
        &server.uri(),
        "--include-disabled",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let f = Plan::new(&server, 1, "TERM")
        .at(Duration::from_millis(500))
        .then("TERM", Duration::from_millis(700))
        .limit(Duration::from_secs(8))
        .run(&args, &[])
        .await;
    f.out
        .code(143)
        .stderr_has("SIGTERM: no new requests will start")
        .stderr_has("interrupted");
    assert!(
        f.after_signal < Duration::from_secs(4),
        "{:?}",
        f.after_signal
    );
    assert_eq!(paths(&server).await, vec!["/api/v1/keys".to_string()]);
}

/// A server answering 422 to every PATCH (a per-key failure; a refused credential, 401, stops
/// the run at once instead).
async fn rejecting() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_json(json!({"error": {"code": 422, "message": "limit is invalid"}})),
        )
        .mount(&server)
        .await;
    server
}

/// `keyctl update` through `common::Keyctl` (no signal).
async fn run_update(server: &MockServer, extra: &[&str], keys: &[String]) -> Out {
    let args = update(server, extra, keys);
    Keyctl::new(ENV, &[])
        .args(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .run()
        .await
}

#[tokio::test]
async fn max_failures_stops_starting_keys() {
    let server = rejecting().await;
    let ks = keys(50);
    let extra = ["-o", "json", "--concurrency", "1", "--max-failures", "5"];
    let out = run_update(&server, &extra, &ks).await;
    // The first failed key's code (422: 5).
    out.code(5).stderr_has(
        "ModelGates: stopped starting keys once --max-failures 5 was reached; summary: 0 updated, 0 unchanged, 5 failed, 45 not attempted",
    );
    let st = statuses(&out);
    let order: Vec<&str> = st.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(order, ks, "one line per key, in input order");
    for (i, (_, s)) in st.iter().enumerate() {
        assert_eq!(s, if i < 5 { "failed" } else { "not_attempted" });
    }
    for l in &out.json_lines()[..5] {
        assert_eq!(l["error"]["kind"], "invalid_request", "{l}");
        assert_eq!(l["error"]["http_status"], 422, "{l}");
    }
    assert_eq!(paths(&server).await.len(), 5);
    // One stderr line per failed key, none per key not attempted.
    assert_eq!(
        out.stderr.matches("ModelGates key ").count(),
        5,
        "{}",
        out.stderr
    );
    for k in &ks[..5] {
        assert_eq!(
            out.stderr.matches(&format!("ModelGates key {k}")).count(),
            1,
            "{}",
            out.stderr
        );
    }
    assert!(!out.stderr.contains(&ks[5]), "{}", out.stderr);
}

#[tokio::test]
async fn max_failures_0_never_stops_and_the_default_is_20() {
    let ks = keys(30);
    let server = rejecting().await;
    let extra = ["-o", "json", "--concurrency", "1", "--max-failures", "0"];
    let out = run_update(&server, &extra, &ks).await;
    out.code(5)
        .stderr_has("summary: 0 updated, 0 unchanged, 30 failed");
    assert!(!out.stderr.contains("stopped"), "{}", out.stderr);
    let st = statuses(&out);
    assert_eq!((st.len(), count(&st, "failed")), (30, 30), "{}", out.stdout);
    assert_eq!(paths(&server).await.len(), 30);

    let server = rejecting().await;
    let out = run_update(&server, &["-o", "json", "--concurrency", "1"], &ks).await;
    out.code(5).stderr_has(
        "stopped starting keys once --max-failures 20 was reached; summary: 0 updated, 0 unchanged, 20 failed, 10 not attempted",
    );
    let st = statuses(&out);
    assert_eq!(
        (count(&st, "failed"), count(&st, "not_attempted")),
        (20, 10)
    );
    assert_eq!(paths(&server).await.len(), 20);
}

/// 429/503 with `Retry-After: 10000000000000` (about 317,000 years).
async fn huge_retry_after(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(status).insert_header("retry-after", "10000000000000"))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn huge_max_wait_is_refused_and_a_day_long_retry_after_waits_without_panicking() {
    // Regression: a `--max-wait` of 2^64 s let a huge Retry-After overflow `Instant` and panic.
    // `--max-wait` is now at most 24h (issue 21): more is a usage error, nothing sent.
    let server = huge_retry_after(429).await;
    let out = run_update(
        &server,
        &["--max-wait", "18446744073709551615s"],
        &[GATES_KEY.into()],
    )
    .await;
    out.code(2).stderr_has("more than 24h");
    assert!(paths(&server).await.is_empty());
    // The longest wait allowed is waited for; SIGTERM ends it.
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "86400"))
        .mount(&server)
        .await;
    let f = Plan::new(&server, 1, "TERM")
        .at(Duration::from_millis(500))
        .after(Duration::from_millis(300))
        .limit(Duration::from_secs(8))
        .run(
            &update(
                &server,
                &["-o", "json", "--max-wait", "24h"],
                &[GATES_KEY.into()],
            ),
            &[],
        )
        .await;
    let out = &f.out;
    // `scan` already failed the test on "panicked".
    out.code(143);
    assert!(
        f.after_signal < Duration::from_secs(5),
        "{:?}",
        f.after_signal
    );
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["status"], "failed", "{}", lines[0]);
    assert_eq!(lines[0]["error"]["kind"], "interrupted", "{}", lines[0]);
    assert_eq!(paths(&server).await.len(), 1);
}

#[tokio::test]
async fn huge_retry_after_over_max_wait_fails_at_once() {
    for (status, code) in [(429, 6), (503, 7)] {
        let server = huge_retry_after(status).await;
        let t = Instant::now();
        let out = run_update(&server, &[], &[GATES_KEY.into()]).await;
        out.code(code)
            .stderr_has("it will accept requests again after that time");
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{status}: {:?}",
            t.elapsed()
        );
        assert_eq!(paths(&server).await.len(), 1, "{status}: not retried");
    }
}

#[tokio::test]
async fn table_mode_signal_on_500_keys_keeps_stderr_short() {
    let server = slow_patch(SLOW).await;
    let ks = keys(500);
    let f = Plan::new(&server, 4, "TERM")
        .at(Duration::from_millis(500))
        .run(
            &update(&server, &["--concurrency", "4", "-o", "table"], &ks),
            &[],
        )
        .await;
    let out = &f.out;
    out.code(143).stderr_has(
        "stopped by SIGTERM; summary: 4 updated, 0 unchanged, 0 failed, 496 not attempted",
    );
    assert!(
        out.stderr.len() < 2000,
        "{} bytes of stderr:\n{}",
        out.stderr.len(),
        out.stderr
    );
    assert!(!out.stderr.contains(&ks[4]), "{}", out.stderr);
    // Four rows, the keys that were sent.
    assert_eq!(out.stdout.matches(" updated ").count(), 4, "{}", out.stdout);
    assert_eq!(paths(&server).await.len(), 4);
}
