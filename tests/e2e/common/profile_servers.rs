//! ModelGates and Venice servers for runs of a config file's profiles, whose requests (with
//! their authorization header) can be taken, and readers of TSV and record tables.

use std::cell::Cell;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::{GATES_KEY, Out, VENICE_KEY, server};

/// An OpenRouter-style (ModelGates) key at `usage` of a `limit` USD lifetime limit.
pub(crate) fn gkey(hash: &str, name: &str, limit: f64, usage: f64) -> Value {
    json!({"hash": hash, "name": name, "label": format!("sk-or-v1-{}", &hash[..6]),
           "disabled": false, "limit": limit, "limit_remaining": limit - usage,
           "limit_reset": null, "usage": usage, "usage_daily": 0, "usage_weekly": 0,
           "usage_monthly": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": null,
           "expires_at": null})
}

/// `GET /api/v1/key` for a management key (LIFECYCLE.md 3.5).
pub(crate) fn management_key() -> Value {
    json!({"data": {"label": "sk-or-v1-abc...xyz", "limit": null, "usage": 0.5,
        "usage_daily": 0, "usage_weekly": 0, "usage_monthly": 0.5, "byok_usage": 0,
        "is_free_tier": false, "is_management_key": true, "is_provisioning_key": false,
        "limit_remaining": null, "limit_reset": null, "include_byok_in_limit": false,
        "rate_limit": {"requests": -1, "interval": "10s", "note": "deprecated"},
        "expires_at": null}})
}

/// A ModelGates server (its requests under `prefix`): the list holds GATES_KEY at 45 of 50 USD
/// (matches `--usage-over 80%`), `GET /api/v1/keys/GATES_KEY` reads it, `GET /api/v1/key`
/// proves a management key. Anything else gets the catch-all's 418.
pub(crate) async fn gates_server(prefix: &str) -> Srv {
    let s = srv().await;
    mount_gates(&s, prefix).await;
    s
}

pub(crate) async fn mount_gates(s: &MockServer, prefix: &str) {
    let key = gkey(GATES_KEY, "spent", 50.0, 45.0);
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/keys")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [key.clone()]})))
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/keys/{GATES_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": key})))
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/key")))
        .respond_with(ResponseTemplate::new(200).set_body_json(management_key()))
        .mount(s)
        .await;
}

/// Venice's key list (one INFERENCE key at 1 of 10 USD: matches no criterion).
pub(crate) fn venice_keys() -> Value {
    json!({"object": "list", "data": [
        {"id": VENICE_KEY, "description": "app", "apiKeyType": "INFERENCE",
         "consumptionLimits": {"usd": 10, "diem": null, "vcu": null},
         "currentPeriodUsage": {"usd": "1", "diem": "0"}, "limitPeriod": "MONTH",
         "expiresAt": null}]})
}

/// Mounts Venice's list under `prefix`.
pub(crate) async fn mount_venice(s: &MockServer, prefix: &str) {
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/api_keys")))
        .respond_with(ResponseTemplate::new(200).set_body_json(venice_keys()))
        .mount(s)
        .await;
}

/// A request's header, as text.
pub(crate) fn header_of(req: &Request, name: &str) -> Option<String> {
    req.headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// A server with a cursor over its requests, for [`take`].
pub(crate) struct Srv {
    pub(crate) server: MockServer,
    pub(crate) seen: Cell<usize>,
}

impl std::ops::Deref for Srv {
    type Target = MockServer;
    fn deref(&self) -> &MockServer {
        &self.server
    }
}

/// [`server`] with a cursor.
pub(crate) async fn srv() -> Srv {
    Srv {
        server: server().await,
        seen: Cell::new(0),
    }
}

/// The requests `s` received since the last `take` of it, as `(method path, Authorization)`.
pub(crate) async fn take(s: &Srv) -> Vec<(String, Option<String>)> {
    let all = s.received_requests().await.unwrap();
    let new = all[s.seen.get()..]
        .iter()
        .map(|r| {
            (
                format!("{} {}", r.method, r.url.path()),
                header_of(r, "authorization"),
            )
        })
        .collect();
    s.seen.set(all.len());
    new
}

/// No request reached `s` since the last [`take`] of it.
pub(crate) async fn nothing_sent(s: &Srv, what: &str) {
    let got = take(s).await;
    assert!(got.is_empty(), "{what}: nothing may be sent, got {got:?}");
}

/// stdout is TSV: its first line is the tab-separated header `first\t…`, and no line is JSON.
pub(crate) fn assert_tsv(out: &Out, first: &str, what: &str) {
    let head = out.stdout.lines().next().unwrap_or_default();
    assert!(
        head.starts_with(&format!("{first}\t")),
        "{what}: not TSV with header {first:?}:\n{}",
        out.stdout
    );
    assert!(
        !out.stdout.lines().any(|l| l.starts_with('{')),
        "{what}: JSON in TSV output:\n{}",
        out.stdout
    );
}

/// Box-drawing characters of the table style.
pub(crate) fn is_table(stdout: &str) -> bool {
    stdout.contains('│') || stdout.contains('┆') || stdout.contains('─')
}

pub(crate) fn have(prog: &str) -> bool {
    std::process::Command::new(prog)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
