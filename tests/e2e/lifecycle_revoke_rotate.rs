//! `keyctl revoke` and `keyctl rotate` on every provider: the exact requests (method, path,
//! query, auth header, JSON body) in order, what is never sent (no `--yes` without a terminal,
//! dry runs, unsupported old-key steps, a failed create), the statuses and exit codes, and
//! where a new secret may appear (stdout only: never stderr, also with `-v`). A successor
//! gets its old key's expiry policy: `now + (expires - created)` in whole seconds, so its
//! expected body holds a [`lives`] marker that [`same_body`] checks against the run's clock.

use chrono::{DateTime, Duration as ChronoDuration, Timelike, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

use crate::common::{self, GATES_KEY, IONET_KEY, Keyctl, Out, SECRET, VENICE_KEY, echo};

/// One provider as these tests drive it.
#[derive(Clone, Copy, Debug)]
struct Prov {
    id: &'static str,
    env: &'static str,
    key: &'static str,
}

const MODELGATES: Prov = Prov {
    id: "modelgates",
    env: "MODELGATES_MANAGEMENT_KEY",
    key: GATES_KEY,
};
const NOVAPAI: Prov = Prov {
    id: "novapai",
    env: "NOVAPAI_MANAGEMENT_KEY",
    key: GATES_KEY,
};
const OPENROUTER: Prov = Prov {
    id: "openrouter",
    env: "OPENROUTER_MANAGEMENT_KEY",
    key: GATES_KEY,
};
const IONET: Prov = Prov {
    id: "ionet",
    env: "IONET_ADMIN_KEY",
    key: IONET_KEY,
};
const VENICE: Prov = Prov {
    id: "venice",
    env: "VENICE_ADMIN_KEY",
    key: VENICE_KEY,
};

/// The OpenRouter-style providers (one API, three hosts).
const GATES_FAMILY: [Prov; 3] = [MODELGATES, NOVAPAI, OPENROUTER];
const ALL: [Prov; 5] = [MODELGATES, NOVAPAI, OPENROUTER, IONET, VENICE];

/// The successors' ids and secrets (none contains TOPSECRET, which `scan` looks for).
const NEW_HASH: &str = "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";
const NEW_UUID: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";
const GATES_SECRET: &str = "sk-or-v1-NEWSECRET-0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const IONET_SECRET: &str = "io-v2-NEWSECRET-eyJhbGciOiJIUzI1NiJ9.c2VjcmV0c2VjcmV0";
const VENICE_SECRET: &str = "VENICE_INFERENCE_KEY_NEWSECRET_q8w7e6r5t4y3u2i1o0p9";

/// A second and third key of each kind, for runs of several keys.
const GATES_KEY_2: &str = "9b2e4f10c3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f";
const GATES_KEY_3: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
const IONET_KEY_2: &str = "5a6b7c8d-1e2f-4a3b-9c4d-5e6f7a8b9c0d";
const VENICE_KEY_2: &str = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e";

// ---------------------------------------------------------------------------------------------
// Provider answers

/// An OpenRouter-style key object: $50 a month, BYOK counted, expiring in 2099.
fn gates_key(hash: &str, name: &str) -> Value {
    json!({
        "hash": hash, "name": name, "label": "sk-or-v1-abc...xyz", "disabled": false,
        "limit": 50, "limit_remaining": 40, "limit_reset": "monthly",
        "include_byok_in_limit": true, "usage": 10, "usage_daily": 1, "usage_weekly": 3,
        "usage_monthly": 10, "byok_usage": 0, "byok_usage_daily": 0, "byok_usage_weekly": 0,
        "byok_usage_monthly": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": null,
        "expires_at": "2099-12-31T23:59:59Z", "creator_user_id": null, "workspace_id": null
    })
}

fn gates_created(name: &str) -> Value {
    json!({
        "data": {"hash": NEW_HASH, "name": name, "label": name, "disabled": false,
                 "limit": 50, "limit_remaining": 50, "limit_reset": "monthly",
                 "include_byok_in_limit": true, "usage": 0, "usage_daily": 0,
                 "usage_weekly": 0, "usage_monthly": 0, "created_at": "2026-11-23T10:00:00Z",
                 "updated_at": null, "expires_at": "2099-12-31T23:59:59Z"},
        "key": GATES_SECRET
    })
}

/// io.net's usage answer for one sub-key (its only single-key read).
fn ionet_usage(id: &str) -> Value {
    json!({"status": "succeeded", "data": {
        "key_id": id, "credit_used": 3.5, "credit_limit": 100, "remaining_credit": 96.5,
        "credit_refresh_cycle": "weekly"}})
}

/// A sub-key as the io.net list shows it: 100 credits a week, two models, expiring in 2099.
fn ionet_item(id: &str, description: &str) -> Value {
    json!({
        "id": id, "description": description, "display": "io-v2-abcd...wxyz",
        "created_at": "2026-01-01T00:00:00", "expires_at": "2099-01-01T00:00:00",
        "expired": false, "allowed_models": ["llama-3", "qwen"], "credit_limit": 100,
        "credit_used": 3.5, "credit_refresh_cycle": "weekly"
    })
}

fn ionet_list(items: Vec<Value>) -> Value {
    json!({"status": "succeeded", "data": items})
}

fn ionet_created() -> Value {
    json!({"status": "succeeded", "data": {
        "key_id": NEW_UUID, "value": IONET_SECRET, "display": "io-v2-NEWS...c3Q",
        "admin_user_id": "0b9c8d7e-6f5a-4b3c-2d1e-0f9a8b7c6d5e", "description": "batch",
        "allowed_models": ["llama-3", "qwen"], "credit_limit": 100.0,
        "credit_refresh_cycle": "weekly", "expires_at": "2099-01-01T00:00:00"}})
}

/// A Venice key as `GET /api_keys/{id}` shows it: $50 and 10 DIEM a month, private models only.
fn venice_key(id: &str, description: &str) -> Value {
    json!({
        "id": id, "apiKeyType": "INFERENCE", "description": description,
        "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": "2099-06-01T00:00:00.000Z",
        "lastUsedAt": null, "last6Chars": "abc123",
        "consumptionLimits": {"usd": 50, "diem": 10, "vcu": null},
        "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY",
        "usage": {"trailingSevenDays": {"usd": "1.0", "vcu": "0", "diem": "0"}},
        "currentPeriodUsage": {"usd": "1.5", "diem": "0"}
    })
}

fn venice_created(kind: &str) -> Value {
    json!({"success": true, "data": {
        "id": NEW_UUID, "apiKey": VENICE_SECRET, "apiKeyType": kind, "description": "app",
        "expiresAt": "2099-06-01T00:00:00.000Z",
        "consumptionLimit": {"usd": 50, "diem": 10, "vcu": null},
        "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY"}})
}

// ---------------------------------------------------------------------------------------------
// Mocks

fn ok(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// The read of one key answered with `body` (io.net: its usage; the list is mounted apart).
async fn mount_read(server: &MockServer, p: Prov, key: &str, status: u16, body: Value) {
    let at = match p.id {
        "ionet" => format!("/v1/api-keys/sub-keys/{key}/usage"),
        "venice" => format!("/api/v1/api_keys/{key}"),
        _ => format!("/api/v1/keys/{key}"),
    };
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ok(status, body))
        .mount(server)
        .await;
}

/// The usual read of `p.key` (and for io.net the list holding it), named `name`.
async fn mount_old(server: &MockServer, p: Prov, name: &str) {
    match p.id {
        "ionet" => {
            mount_read(server, p, p.key, 200, ionet_usage(p.key)).await;
            mount_ionet_list(server, ionet_list(vec![ionet_item(p.key, name)])).await;
        }
        "venice" => {
            mount_read(
                server,
                p,
                p.key,
                200,
                json!({"data": venice_key(p.key, name)}),
            )
            .await;
        }
        _ => {
            mount_read(
                server,
                p,
                p.key,
                200,
                json!({"data": gates_key(p.key, name)}),
            )
            .await
        }
    }
}

async fn mount_ionet_list(server: &MockServer, body: Value) {
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(ok(200, body))
        .mount(server)
        .await;
}

/// The path and query of the delete of `key`, and its success answer.
fn delete_of(p: Prov, key: &str) -> (String, Option<String>, Value) {
    match p.id {
        "ionet" => (
            format!("/v1/api-keys/sub-keys/{key}"),
            None,
            json!({"status": "succeeded"}),
        ),
        "venice" => (
            "/api/v1/api_keys".into(),
            Some(key.to_string()),
            json!({"success": true}),
        ),
        _ => (
            format!("/api/v1/keys/{key}"),
            None,
            json!({"deleted": true}),
        ),
    }
}

/// The delete of `key` answered `status`/`body` (the provider's success when `None`), expected
/// `times` times.
async fn mount_delete(
    server: &MockServer,
    p: Prov,
    key: &str,
    answer: Option<(u16, Value)>,
    times: u64,
) {
    let (at, id, success) = delete_of(p, key);
    let (status, body) = answer.unwrap_or((200, success));
    let mut m = Mock::given(method("DELETE")).and(path(at));
    if let Some(id) = id {
        m = m.and(query_param("id", id));
    }
    m.respond_with(ok(status, body))
        .expect(times)
        .mount(server)
        .await;
}

/// Fails the test (when the server is dropped) if a request with `verb` reaches it.
async fn forbid(server: &MockServer, verb: &str) {
    Mock::given(method(verb))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .named(format!("no {verb} may be sent"))
        .mount(server)
        .await;
}

/// No write at all: no POST, PATCH or DELETE.
async fn forbid_writes(server: &MockServer) {
    for verb in ["POST", "PATCH", "DELETE"] {
        forbid(server, verb).await;
    }
}

/// The create path of each provider.
fn create_path(p: Prov) -> &'static str {
    match p.id {
        "ionet" => "/v1/api-keys/sub-keys",
        "venice" => "/api/v1/api_keys",
        _ => "/api/v1/keys",
    }
}

/// The create, expected once with exactly `body` (see [`same_body`]), answered with the
/// provider's success (Venice: and the successor's read-back, holding the caps sent).
async fn mount_create(server: &MockServer, p: Prov, body: Value) {
    let (status, answer) = match p.id {
        "ionet" => (201, ionet_created()),
        "venice" => (200, venice_created("INFERENCE")),
        _ => (201, gates_created("x")),
    };
    if p.id == "venice" {
        common::venice_read_back(server, &answer).await;
    }
    mount_create_answer(server, p, body, ok(status, answer)).await;
}

/// The create, expected once with exactly `body` (see [`same_body`]), answered `answer`.
async fn mount_create_answer(server: &MockServer, p: Prov, body: Value, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(create_path(p)))
        .and(Successor {
            want: body,
            from: Utc::now(),
        })
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

/// A create body equal to `want` (see [`same_body`]); `from` is a moment before the run.
struct Successor {
    want: Value,
    from: DateTime<Utc>,
}

impl Match for Successor {
    fn matches(&self, r: &Request) -> bool {
        serde_json::from_slice::<Value>(&r.body)
            .is_ok_and(|got| same_body(&got, &self.want, self.from).is_ok())
    }
}

/// The marker of an expiry that is `life` from the moment of the run (whole seconds).
fn lives(life: ChronoDuration) -> Value {
    json!({ "$lives": life.num_seconds() })
}

/// `expires - created`, both as a provider writes them (io.net without a zone: UTC).
fn lifetime(created: &str, expires: &str) -> ChronoDuration {
    let t = |s: &str| -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .or_else(|_| DateTime::parse_from_rfc3339(&format!("{s}Z")))
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .into()
    };
    t(expires) - t(created)
}

/// Whether `got` is exactly `want`, where a [`lives`] marker in `want` stands for an RFC 3339
/// time with `Z` and whole seconds that is `now + life`, `now` being keyctl's clock during the
/// run: no earlier than `from` (cut to the second) and no later than this check.
fn same_body(got: &Value, want: &Value, from: DateTime<Utc>) -> Result<(), String> {
    match (got, want) {
        (_, Value::Object(w)) if w.len() == 1 && w.contains_key("$lives") => {
            let life = ChronoDuration::seconds(w["$lives"].as_i64().unwrap());
            let s = got.as_str().ok_or(format!("{got} is not a time"))?;
            if !s.ends_with('Z') || s.contains('.') {
                return Err(format!("{s}: not Z with whole seconds"));
            }
            let at: DateTime<Utc> = DateTime::parse_from_rfc3339(s)
                .map_err(|e| format!("{s}: {e}"))?
                .into();
            let lo = from.with_nanosecond(0).unwrap() + life;
            let hi = Utc::now() + life;
            if at < lo || at > hi {
                return Err(format!("{s} is not now + {life} (between {lo} and {hi})"));
            }
            Ok(())
        }
        (Value::Object(g), Value::Object(w)) => {
            let mut gk: Vec<&String> = g.keys().collect();
            let mut wk: Vec<&String> = w.keys().collect();
            gk.sort();
            wk.sort();
            if gk != wk {
                return Err(format!("fields {gk:?}, want {wk:?}"));
            }
            for (k, v) in w {
                same_body(&g[k], v, from).map_err(|e| format!("{k}: {e}"))?;
            }
            Ok(())
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (g, w) in g.iter().zip(w) {
                same_body(g, w, from)?;
            }
            Ok(())
        }
        _ if got == want => Ok(()),
        _ => Err(format!("{got}, want {want}")),
    }
}

/// The update path of the old key (Venice: the id is in the body).
fn update_path(p: Prov) -> String {
    match p.id {
        "ionet" => format!("/v1/api-keys/sub-keys/{}", p.key),
        "venice" => "/api/v1/api_keys".into(),
        _ => format!("/api/v1/keys/{}", p.key),
    }
}

/// The PATCH of the old key, answered `status`/`body`, expected `times` times (any body: the
/// body is checked from the recorded requests).
async fn mount_patch(server: &MockServer, p: Prov, status: u16, body: Value, times: u64) {
    Mock::given(method("PATCH"))
        .and(path(update_path(p)))
        .respond_with(ok(status, body))
        .expect(times)
        .mount(server)
        .await;
}

/// The PATCH of the old key, expected `times` times and answered as a provider that applied
/// it answers: the key with the change sent (`disabled`, the new expiry in the provider's own
/// form), or io.net's `{"status":"succeeded"}`.
async fn mount_patched(server: &MockServer, p: Prov, times: u64) {
    Mock::given(method("PATCH"))
        .and(path(update_path(p)))
        .respond_with(move |r: &Request| ok(200, applied(p, r)))
        .expect(times)
        .mount(server)
        .await;
}

/// What a provider answers to the PATCH `r` once applied.
fn applied(p: Prov, r: &Request) -> Value {
    let sent: Value = serde_json::from_slice(&r.body).unwrap_or_default();
    match p.id {
        "ionet" => json!({"status": "succeeded"}),
        "venice" => {
            let mut k = venice_key(VENICE_KEY, "app");
            if let Some(at) = sent["expiresAt"].as_str() {
                // Venice writes milliseconds: the same moment.
                k["expiresAt"] = json!(at.replace('Z', ".000Z"));
            }
            json!({"success": true, "data": k})
        }
        _ => {
            let mut k = gates_key(GATES_KEY, "ci-runner");
            if let Some(d) = sent.get("disabled") {
                k["disabled"] = d.clone();
            }
            json!({ "data": k })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Runs and checks

fn keyctl(p: Prov, verb: &str, server: &MockServer, rest: &[&str]) -> Keyctl {
    Keyctl::new(p.env, &[verb, "-p", p.id])
        .args(rest)
        .base(server)
}

/// `METHOD /path?query` of a recorded request.
fn call(r: &Request) -> String {
    match r.url.query() {
        Some(q) => format!("{} {}?{q}", r.method, r.url.path()),
        None => format!("{} {}", r.method, r.url.path()),
    }
}

/// Every request the server got, each checked for the provider's credential header (and no
/// other credential header).
async fn received(server: &MockServer, p: Prov) -> Vec<Request> {
    let reqs = server.received_requests().await.unwrap();
    for r in &reqs {
        let h = |n: &str| r.headers.get(n).map(|v| v.to_str().unwrap().to_string());
        if p.id == "ionet" {
            assert_eq!(h("x-api-key").as_deref(), Some(SECRET), "{}", call(r));
            assert_eq!(h("authorization"), None, "{}", call(r));
        } else {
            let bearer = format!("Bearer {SECRET}");
            assert_eq!(h("authorization"), Some(bearer), "{}", call(r));
            assert_eq!(h("x-api-key"), None, "{}", call(r));
        }
        let ua = h("user-agent").unwrap_or_default();
        assert!(ua.starts_with("keyctl/"), "{ua}");
        if r.body.is_empty() {
            continue;
        }
        assert_eq!(
            h("content-type").as_deref(),
            Some("application/json"),
            "{}",
            call(r)
        );
    }
    reqs
}

async fn calls(server: &MockServer, p: Prov) -> Vec<String> {
    received(server, p).await.iter().map(call).collect()
}

/// The JSON bodies of the requests with `verb`.
async fn bodies(server: &MockServer, p: Prov, verb: &str) -> Vec<Value> {
    received(server, p)
        .await
        .iter()
        .filter(|r| r.method.as_str() == verb)
        .map(|r| echo(r)["body"].clone())
        .collect()
}

/// The one JSON line on stdout.
fn one_line(out: &Out) -> Value {
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "stdout:\n{}", out.stdout);
    lines.into_iter().next().unwrap()
}

/// The new secret is nowhere on stderr, nor a large piece of it.
fn not_on_stderr(out: &Out, secret: &str) {
    assert!(
        !out.stderr.contains(secret) && !out.stderr.contains(&secret[..16]),
        "the new secret reached stderr:\n{}",
        out.stderr
    );
}

/// The provider's name as keyctl writes it.
fn display(p: Prov) -> &'static str {
    match p.id {
        "modelgates" => "ModelGates",
        "novapai" => "novapai",
        "openrouter" => "OpenRouter",
        "ionet" => "io.net",
        _ => "Venice",
    }
}

/// The line before a new secret in a table.
const SECRET_HEADING: &str =
    "  secret (shown only this once: the provider will not show it again; store it now):";

/// The table block of a new key in `stdout`: the line `heading`, then only the key's
/// `field: value` lines indented by two spaces, then [`SECRET_HEADING`], then the secret alone
/// on its own line, not indented. A Venice successor (`read_back`: its caps are read back once
/// its secret is out) has its field lines after the secret instead, none before it. Returns the
/// index (in `stdout.lines()`) of the line after the block, where the old key's line goes.
fn check_block(stdout: &str, heading: &str, secret: &str, read_back: bool) -> usize {
    let lines: Vec<&str> = stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == heading)
        .unwrap_or_else(|| panic!("no line {heading:?} in:\n{stdout}"));
    let s = lines
        .iter()
        .position(|l| *l == SECRET_HEADING)
        .unwrap_or_else(|| panic!("no secret heading in:\n{stdout}"));
    let field = |l: &str| l.starts_with("  ") && !l.starts_with("   ") && l.contains(": ");
    let fields = if read_back {
        assert_eq!(s, at + 1, "field lines before the secret:\n{stdout}");
        let n = lines[s + 2..]
            .iter()
            .take_while(|l| !l.starts_with("  old key ") && field(l))
            .count();
        s + 2..s + 2 + n
    } else {
        at + 1..s
    };
    assert!(!fields.is_empty(), "no field lines:\n{stdout}");
    for l in &lines[fields.clone()] {
        assert!(field(l), "{l:?} is not an indented field line:\n{stdout}");
    }
    assert_eq!(lines.get(s + 1), Some(&secret), "{stdout}");
    assert_eq!(stdout.matches(secret).count(), 1, "{stdout}");
    if read_back { fields.end } else { s + 2 }
}

/// The command the partial message gives to finish the old key's step by hand (the rename
/// of the old key, named `ci-runner`, with it).
/// The command names the same account as the run (`-p ID --base-url URL` here), so it can be
/// pasted as it is.
fn finish_by_hand(p: Prov, server: &MockServer, old: &str, key: &str) -> String {
    let sel = format!("-p {} --base-url {}/", p.id, server.uri());
    let rename = format!("--name '{}'", rotated_out("ci-runner"));
    format!(
        "The old key may still be active: finish by hand with `keyctl {old}`",
        old = match old {
            "revoke" => format!("revoke {sel} {key}"),
            "disable" => format!("update {sel} {key} --disable {rename}"),
            at => format!("update {sel} {key} --expires {at} {rename}"),
        }
    )
}

fn today() -> String {
    Utc::now().date_naive().format("%Y-%m-%d").to_string()
}

/// The successor's name: the old key's exact name (issue 21: the name stays).
fn rotated(name: &str) -> String {
    name.to_string()
}

/// The old key's name after the old-key step: `NAME (rotated out YYYY-MM-DD)` (UTC).
fn rotated_out(name: &str) -> String {
    format!("{name} (rotated out {})", today())
}

fn secret_of(p: Prov) -> &'static str {
    match p.id {
        "ionet" => IONET_SECRET,
        "venice" => VENICE_SECRET,
        _ => GATES_SECRET,
    }
}

fn new_id(p: Prov) -> &'static str {
    match p.id {
        "ionet" | "venice" => NEW_UUID,
        _ => NEW_HASH,
    }
}

/// The lifetime (expiry minus creation) of the keys of [`mount_old`].
fn old_life(p: Prov) -> ChronoDuration {
    match p.id {
        "ionet" => lifetime("2026-01-01T00:00:00", "2099-01-01T00:00:00"),
        "venice" => lifetime("2026-01-01T00:00:00.000Z", "2099-06-01T00:00:00.000Z"),
        _ => lifetime("2026-01-01T00:00:00Z", "2099-12-31T23:59:59Z"),
    }
}

/// The successor body each provider gets for the keys of [`mount_old`] named `name`: the same
/// settings, and the same lifetime from now.
fn successor_body(p: Prov, name: &str) -> Value {
    let expires = lives(old_life(p));
    match p.id {
        "ionet" => json!({
            "description": rotated(name), "credit_limit": 100, "credit_refresh_cycle": "weekly",
            "allowed_models": ["llama-3", "qwen"], "expires_at": expires
        }),
        "venice" => json!({
            "apiKeyType": "INFERENCE", "description": rotated(name),
            "consumptionLimit": {"usd": 50, "diem": 10, "vcu": null},
            "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY",
            "expiresAt": expires
        }),
        _ => json!({
            "name": rotated(name), "limit": 50, "limit_reset": "monthly",
            "include_byok_in_limit": true, "expires_at": expires
        }),
    }
}

/// The read requests of `p.key`, in order.
fn reads(p: Prov) -> Vec<String> {
    match p.id {
        "ionet" => vec![
            format!("GET /v1/api-keys/sub-keys/{}/usage", p.key),
            "GET /v1/api-keys/sub-keys".into(),
        ],
        "venice" => vec![format!("GET /api/v1/api_keys/{}", p.key)],
        _ => vec![format!("GET /api/v1/keys/{}", p.key)],
    }
}

/// The create of the successor of [`mount_create`] (Venice: and its read-back).
fn created_calls(p: Prov) -> Vec<String> {
    let mut v = vec![format!("POST {}", create_path(p))];
    if p.id == "venice" {
        v.push(format!("GET /api/v1/api_keys/{NEW_UUID}"));
    }
    v
}

fn delete_call(p: Prov, key: &str) -> String {
    match p.id {
        "ionet" => format!("DELETE /v1/api-keys/sub-keys/{key}"),
        "venice" => format!("DELETE /api/v1/api_keys?id={key}"),
        _ => format!("DELETE /api/v1/keys/{key}"),
    }
}

/// A timestamp about `hours` from now (within a minute either side), as a string with `Z` and
/// whole seconds.
fn about_hours_from_now(s: &Value, hours: i64) {
    let s = s.as_str().unwrap_or_else(|| panic!("not a string: {s}"));
    assert!(s.ends_with('Z'), "{s} does not end with Z");
    assert!(!s.contains('.'), "{s} has a fraction of a second");
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(s).unwrap().into();
    let want = Utc::now() + ChronoDuration::hours(hours);
    let off = (at - want).num_seconds().abs();
    assert!(off < 60, "{s} is {off} s away from now + {hours} h");
}

// =============================================================================================
// REVOKE

/// Each provider: one read of the key, then its delete; status `revoked`, exit 0, `before`
/// holds the key as read.
async fn revoke_one(p: Prov) {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    mount_delete(&server, p, p.key, None, 1).await;
    forbid(&server, "PATCH").await;
    forbid(&server, "POST").await;
    let out = keyctl(p, "revoke", &server, &[p.key, "--yes", "-o", "json"])
        .run()
        .await;
    out.code(0);
    let line = one_line(&out);
    assert_eq!(line["status"], "revoked", "{line}");
    assert_eq!(line["provider"], p.id, "{line}");
    assert_eq!(line["key"], p.key, "{line}");
    assert_eq!(line["before"]["name"], "ci-runner", "{line}");
    assert_eq!(line["before"]["id"], p.key, "{line}");
    let mut want = reads(p);
    want.push(delete_call(p, p.key));
    assert_eq!(calls(&server, p).await, want, "{p:?}");
    // The delete carries no body.
    let reqs = received(&server, p).await;
    let del = reqs.iter().find(|r| r.method.as_str() == "DELETE").unwrap();
    assert!(del.body.is_empty(), "{p:?}: DELETE with a body");
}

#[tokio::test]
async fn revoke_modelgates_reads_then_deletes_the_hash() {
    revoke_one(MODELGATES).await;
}

#[tokio::test]
async fn revoke_novapai_reads_then_deletes_the_hash() {
    revoke_one(NOVAPAI).await;
}

#[tokio::test]
async fn revoke_openrouter_reads_then_deletes_the_hash() {
    revoke_one(OPENROUTER).await;
}

#[tokio::test]
async fn revoke_ionet_reads_usage_and_list_then_deletes_the_sub_key() {
    revoke_one(IONET).await;
}

#[tokio::test]
async fn revoke_venice_reads_then_deletes_with_the_id_in_the_query() {
    revoke_one(VENICE).await;
}

#[tokio::test]
async fn revoke_table_output_names_the_key_and_its_status() {
    let server = common::server().await;
    mount_old(&server, MODELGATES, "ci-runner").await;
    mount_delete(&server, MODELGATES, GATES_KEY, None, 1).await;
    let out = keyctl(MODELGATES, "revoke", &server, &[GATES_KEY, "--yes"])
        .run()
        .await;
    out.code(0).stdout_has(GATES_KEY).stdout_has("revoked");
}

#[tokio::test]
async fn revoke_without_yes_and_without_a_terminal_sends_nothing() {
    for p in ALL {
        let server = common::server().await;
        let out = keyctl(p, "revoke", &server, &[p.key]).run().await;
        out.code(2).stderr_has("add --yes");
        assert!(out.stdout.is_empty(), "{p:?}: {}", out.stdout);
        assert_eq!(calls(&server, p).await, Vec::<String>::new(), "{p:?}");
    }
}

#[tokio::test]
async fn revoke_match_without_yes_and_without_a_terminal_does_not_even_list() {
    let server = common::server().await;
    let out = keyctl(MODELGATES, "revoke", &server, &["--match", "ci-*"])
        .run()
        .await;
    out.code(2).stderr_has("add --yes");
    assert!(calls(&server, MODELGATES).await.is_empty());
}

#[tokio::test]
async fn revoke_dry_run_reads_and_deletes_nothing() {
    for p in ALL {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        forbid_writes(&server).await;
        let out = keyctl(p, "revoke", &server, &[p.key, "--dry-run", "-o", "json"])
            .run()
            .await;
        out.code(0);
        let line = one_line(&out);
        assert_eq!(line["status"], "dry_run", "{p:?}: {line}");
        assert_eq!(line["request"]["method"], "DELETE", "{p:?}: {line}");
        assert_eq!(line["before"]["name"], "ci-runner", "{p:?}: {line}");
        let url = line["request"]["url"].as_str().unwrap();
        let (at, id, _) = delete_of(p, p.key);
        assert!(url.starts_with(&server.uri()), "{url}");
        assert!(url.contains(&at), "{p:?}: {url}");
        if let Some(id) = id {
            assert!(url.ends_with(&format!("?id={id}")), "{url}");
        }
        assert_eq!(line["request"]["body"], Value::Null, "{p:?}: {line}");
        // The credential is shown masked, if at all.
        assert!(!line.to_string().contains(SECRET));
        assert_eq!(calls(&server, p).await, reads(p), "{p:?}");
    }
}

#[tokio::test]
async fn revoke_dry_run_table_says_it_cannot_be_undone() {
    let server = common::server().await;
    mount_old(&server, VENICE, "app").await;
    forbid_writes(&server).await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &[VENICE_KEY, "--dry-run", "-o", "table"],
    )
    .run()
    .await;
    out.code(0)
        .stdout_has(VENICE_KEY)
        .stdout_has("cannot be undone")
        .stderr_has("would revoke");
}

#[tokio::test]
async fn revoke_gates_key_already_gone_is_not_found_exit_4() {
    for p in GATES_FAMILY {
        let server = common::server().await;
        mount_read(
            &server,
            p,
            p.key,
            404,
            json!({"error": {"code": 404, "message": "Key not found"}}),
        )
        .await;
        forbid_writes(&server).await;
        let out = keyctl(p, "revoke", &server, &[p.key, "--yes", "-o", "json"])
            .run()
            .await;
        out.code(4);
        let line = one_line(&out);
        assert_eq!(line["status"], "not_found", "{p:?}: {line}");
        assert_eq!(line["error"]["http_status"], 404, "{line}");
        assert_eq!(calls(&server, p).await, reads(p), "{p:?}");
    }
}

#[tokio::test]
async fn revoke_ionet_key_already_gone_is_not_found_exit_4() {
    let server = common::server().await;
    mount_read(
        &server,
        IONET,
        IONET_KEY,
        404,
        json!({"detail": "Sub-key not found"}),
    )
    .await;
    mount_ionet_list(&server, ionet_list(vec![])).await;
    forbid_writes(&server).await;
    let out = keyctl(
        IONET,
        "revoke",
        &server,
        &[IONET_KEY, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4).stderr_has("Sub-key not found");
    let line = one_line(&out);
    assert_eq!(line["status"], "not_found", "{line}");
    assert!(
        !calls(&server, IONET)
            .await
            .iter()
            .any(|c| c.starts_with("DELETE")),
    );
}

#[tokio::test]
async fn revoke_venice_key_already_gone_is_not_found_exit_4() {
    let server = common::server().await;
    mount_read(
        &server,
        VENICE,
        VENICE_KEY,
        400,
        json!({"error": "API key not found or expired"}),
    )
    .await;
    forbid_writes(&server).await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &[VENICE_KEY, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4).stderr_has("API key not found or expired");
    let line = one_line(&out);
    assert_eq!(line["status"], "not_found", "{line}");
    assert_eq!(line["error"]["kind"], "not_found", "{line}");
    assert_eq!(calls(&server, VENICE).await, reads(VENICE));
}

#[tokio::test]
async fn revoke_venice_delete_answering_could_not_be_found_is_not_found_exit_4() {
    let server = common::server().await;
    mount_old(&server, VENICE, "app").await;
    mount_delete(
        &server,
        VENICE,
        VENICE_KEY,
        Some((400, json!({"error": "API key could not be found"}))),
        1,
    )
    .await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &[VENICE_KEY, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4);
    let line = one_line(&out);
    assert_eq!(line["status"], "not_found", "{line}");
    assert_eq!(
        calls(&server, VENICE).await,
        [reads(VENICE), vec![delete_call(VENICE, VENICE_KEY)]].concat()
    );
}

#[tokio::test]
async fn revoke_gates_delete_answering_404_is_not_found_exit_4() {
    let server = common::server().await;
    mount_old(&server, NOVAPAI, "ci-runner").await;
    mount_delete(
        &server,
        NOVAPAI,
        GATES_KEY,
        Some((
            404,
            json!({"error": {"code": 404, "message": "Key not found"}}),
        )),
        1,
    )
    .await;
    let out = keyctl(
        NOVAPAI,
        "revoke",
        &server,
        &[GATES_KEY, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4);
    assert_eq!(one_line(&out)["status"], "not_found");
}

#[tokio::test]
async fn revoke_several_keys_where_one_is_gone_revokes_the_others_exit_4() {
    let server = common::server().await;
    let p = MODELGATES;
    mount_read(
        &server,
        p,
        GATES_KEY,
        200,
        json!({"data": gates_key(GATES_KEY, "a")}),
    )
    .await;
    mount_read(
        &server,
        p,
        GATES_KEY_2,
        404,
        json!({"error": {"code": 404, "message": "Key not found"}}),
    )
    .await;
    mount_read(
        &server,
        p,
        GATES_KEY_3,
        200,
        json!({"data": gates_key(GATES_KEY_3, "c")}),
    )
    .await;
    mount_delete(&server, p, GATES_KEY, None, 1).await;
    mount_delete(&server, p, GATES_KEY_2, None, 0).await;
    mount_delete(&server, p, GATES_KEY_3, None, 1).await;
    let out = keyctl(
        p,
        "revoke",
        &server,
        &[GATES_KEY, GATES_KEY_2, GATES_KEY_3, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4).stderr_has("summary: 2 revoked, 1 not found");
    let lines = out.json_lines();
    let status: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["key"].as_str().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            (GATES_KEY, "revoked"),
            (GATES_KEY_2, "not_found"),
            (GATES_KEY_3, "revoked")
        ]
    );
}

#[tokio::test]
async fn revoke_venice_several_keys_where_one_is_gone_revokes_the_other_exit_4() {
    let server = common::server().await;
    mount_read(
        &server,
        VENICE,
        VENICE_KEY,
        400,
        json!({"error": "API key not found or expired"}),
    )
    .await;
    mount_read(
        &server,
        VENICE,
        VENICE_KEY_2,
        200,
        json!({"data": venice_key(VENICE_KEY_2, "b")}),
    )
    .await;
    mount_delete(&server, VENICE, VENICE_KEY, None, 0).await;
    mount_delete(&server, VENICE, VENICE_KEY_2, None, 1).await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &[VENICE_KEY, VENICE_KEY_2, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4);
    let lines = out.json_lines();
    assert_eq!(lines[0]["status"], "not_found");
    assert_eq!(lines[1]["status"], "revoked");
    assert_eq!(lines[1]["before"]["name"], "b");
}

/// An io.net reference that is not a UUID is a name (or an id prefix) looked up in one read of
/// the key list: one the list lacks is exit 4 with nothing deleted, also among good ids and in
/// a dry run; a listed key whose id is not a UUID is still exit 2 before anything is sent.
#[tokio::test]
async fn revoke_ionet_reference_not_in_the_list_is_exit_4_before_anything_is_sent() {
    let list = ionet_list(vec![
        ionet_item(IONET_KEY, "ci-one"),
        ionet_item("legacy-0001", "odd"),
    ]);
    let only_the_list = ["GET /v1/api-keys/sub-keys".to_string()];
    let server = common::server().await;
    mount_ionet_list(&server, list.clone()).await;
    let out = keyctl(IONET, "revoke", &server, &["not-a-uuid", "--yes"])
        .run()
        .await;
    out.code(4)
        .stderr_has("'not-a-uuid'")
        .stderr_has("nothing was deleted");
    assert_eq!(calls(&server, IONET).await, only_the_list);
    // One unknown reference among good ids stops the whole run too.
    let server = common::server().await;
    mount_ionet_list(&server, list.clone()).await;
    let out = keyctl(IONET, "revoke", &server, &[IONET_KEY, "nope", "--yes"])
        .run()
        .await;
    out.code(4)
        .stderr_has("'nope'")
        .stderr_has("nothing was deleted");
    assert_eq!(calls(&server, IONET).await, only_the_list);
    // Also for a dry run.
    let server = common::server().await;
    mount_ionet_list(&server, list.clone()).await;
    let out = keyctl(IONET, "revoke", &server, &["nope", "--dry-run"])
        .run()
        .await;
    out.code(4);
    assert_eq!(calls(&server, IONET).await, only_the_list);
    // A key the list names whose id is not a UUID: exit 2, nothing deleted.
    let server = common::server().await;
    mount_ionet_list(&server, list).await;
    let out = keyctl(IONET, "revoke", &server, &["odd", "--yes"])
        .run()
        .await;
    out.code(2)
        .stderr_has("not a UUID")
        .stderr_has("nothing was deleted");
    assert_eq!(calls(&server, IONET).await, only_the_list);
}

/// A 500 on the delete is retried `--retries` times, then fails the key with exit 7.
async fn delete_500_retried(p: Prov) {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    mount_delete(&server, p, p.key, Some((500, json!({"error": "boom"}))), 2).await;
    let out = keyctl(
        p,
        "revoke",
        &server,
        &[p.key, "--yes", "--retries", "1", "-o", "json"],
    )
    .run()
    .await;
    out.code(7);
    let line = one_line(&out);
    assert_eq!(line["status"], "failed", "{p:?}: {line}");
    assert_eq!(line["error"]["http_status"], 500, "{line}");
    let mut want = reads(p);
    want.push(delete_call(p, p.key));
    want.push(delete_call(p, p.key));
    assert_eq!(calls(&server, p).await, want, "{p:?}");
}

#[tokio::test]
async fn revoke_delete_500_is_retried_then_exit_7_openrouter() {
    delete_500_retried(OPENROUTER).await;
}

#[tokio::test]
async fn revoke_delete_500_is_retried_then_exit_7_ionet() {
    delete_500_retried(IONET).await;
}

#[tokio::test]
async fn revoke_delete_500_is_retried_then_exit_7_venice() {
    delete_500_retried(VENICE).await;
}

#[tokio::test]
async fn revoke_match_selects_by_name_from_the_paged_list() {
    let server = common::server().await;
    let p = MODELGATES;
    // A full first page of 100 (one of them ci-a), then a short page with ci-b and others.
    let mut first: Vec<Value> = (0..99)
        .map(|i| gates_key(&format!("{i:064x}"), &format!("prod-{i}")))
        .collect();
    first.push(gates_key(GATES_KEY, "ci-a"));
    let second = vec![
        gates_key(GATES_KEY_2, "ci-b"),
        gates_key(GATES_KEY_3, "prod-ci"),
    ];
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .and(query_param("include_disabled", "true"))
        .respond_with(ok(200, json!({"data": first})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "100"))
        .and(query_param("include_disabled", "true"))
        .respond_with(ok(200, json!({"data": second})))
        .expect(1)
        .mount(&server)
        .await;
    // No single-key read: each key's state before the delete is its entry in the listing this
    // run has read.
    mount_delete(&server, p, GATES_KEY, None, 1).await;
    mount_delete(&server, p, GATES_KEY_2, None, 1).await;
    mount_delete(&server, p, GATES_KEY_3, None, 0).await;
    let out = keyctl(
        p,
        "revoke",
        &server,
        &["--match", "ci-*", "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0).stderr_has("selected 2 key(s)");
    let lines = out.json_lines();
    let revoked: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["status"], "revoked", "{l}");
            (
                l["key"].as_str().unwrap(),
                l["before"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(revoked, [(GATES_KEY, "ci-a"), (GATES_KEY_2, "ci-b")]);
    let mut c = calls(&server, p).await;
    assert_eq!(
        c[..2],
        [
            "GET /api/v1/keys?offset=0&include_disabled=true".to_string(),
            "GET /api/v1/keys?offset=100&include_disabled=true".to_string()
        ]
    );
    c.sort();
    let mut want = vec![
        "GET /api/v1/keys?offset=0&include_disabled=true".to_string(),
        "GET /api/v1/keys?offset=100&include_disabled=true".to_string(),
        delete_call(p, GATES_KEY),
        delete_call(p, GATES_KEY_2),
    ];
    want.sort();
    assert_eq!(
        c, want,
        "the two list pages and two deletes, no single-key read"
    );
}

#[tokio::test]
async fn revoke_match_on_ionet_and_venice_uses_the_single_list() {
    // io.net: the list selects; each key is then read (usage) and deleted.
    let server = common::server().await;
    mount_ionet_list(
        &server,
        ionet_list(vec![
            ionet_item(IONET_KEY, "ci-one"),
            ionet_item(IONET_KEY_2, "prod"),
        ]),
    )
    .await;
    mount_read(&server, IONET, IONET_KEY, 200, ionet_usage(IONET_KEY)).await;
    mount_delete(&server, IONET, IONET_KEY, None, 1).await;
    mount_delete(&server, IONET, IONET_KEY_2, None, 0).await;
    let out = keyctl(
        IONET,
        "revoke",
        &server,
        &["--match", "ci-*", "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);
    let line = one_line(&out);
    assert_eq!(
        (&line["key"], &line["status"], &line["before"]["name"]),
        (&json!(IONET_KEY), &json!("revoked"), &json!("ci-one"))
    );

    // Venice: `GET /api/v1/api_keys`, no paging.
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ok(
            200,
            json!({"object": "list", "data": [venice_key(VENICE_KEY, "prod"), venice_key(VENICE_KEY_2, "ci-two")]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // The key's state before the delete is its list entry: no `GET /api_keys/{id}`.
    mount_delete(&server, VENICE, VENICE_KEY_2, None, 1).await;
    mount_delete(&server, VENICE, VENICE_KEY, None, 0).await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &["--match", "ci-*", "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);
    let line = one_line(&out);
    assert_eq!(
        (&line["key"], &line["status"], &line["before"]["name"]),
        (&json!(VENICE_KEY_2), &json!("revoked"), &json!("ci-two"))
    );
    assert_eq!(
        calls(&server, VENICE).await,
        [
            "GET /api/v1/api_keys".to_string(),
            delete_call(VENICE, VENICE_KEY_2)
        ]
    );
}

#[tokio::test]
async fn revoke_match_selecting_none_sends_no_delete_exit_0() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ok(200, json!({"data": [gates_key(GATES_KEY, "prod")]})))
        .mount(&server)
        .await;
    forbid_writes(&server).await;
    let out = keyctl(MODELGATES, "revoke", &server, &["--match", "ci-*", "--yes"])
        .run()
        .await;
    out.code(0).stderr_has("no key to revoke");
}

#[tokio::test]
async fn revoke_from_file_reads_ids_and_skips_comments() {
    let server = common::server().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("leaked.txt");
    std::fs::write(
        &f,
        format!("# leaked on 2026-11-20\n{IONET_KEY}\n\n{IONET_KEY_2}\n"),
    )
    .unwrap();
    mount_read(&server, IONET, IONET_KEY, 200, ionet_usage(IONET_KEY)).await;
    mount_read(&server, IONET, IONET_KEY_2, 200, ionet_usage(IONET_KEY_2)).await;
    mount_ionet_list(
        &server,
        ionet_list(vec![
            ionet_item(IONET_KEY, "a"),
            ionet_item(IONET_KEY_2, "b"),
        ]),
    )
    .await;
    mount_delete(&server, IONET, IONET_KEY, None, 1).await;
    mount_delete(&server, IONET, IONET_KEY_2, None, 1).await;
    let out = keyctl(
        IONET,
        "revoke",
        &server,
        &["--from-file", f.to_str().unwrap(), "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0).stderr_has("summary: 2 revoked");
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["before"]["name"], "a");
    assert_eq!(lines[1]["before"]["name"], "b");
    // The list is read once for both keys.
    let c = calls(&server, IONET).await;
    assert_eq!(
        c.iter()
            .filter(|c| *c == "GET /v1/api-keys/sub-keys")
            .count(),
        1,
        "{c:?}"
    );
}

#[tokio::test]
async fn revoke_verbose_shows_the_delete_with_the_credential_masked() {
    for p in [IONET, VENICE, OPENROUTER] {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        mount_delete(&server, p, p.key, None, 1).await;
        let out = keyctl(p, "revoke", &server, &[p.key, "--yes", "-v"])
            .run()
            .await;
        out.code(0).stderr_has("DELETE").stderr_has("****");
    }
}

// =============================================================================================
// ROTATE: success on each provider

/// The default rotate of `p.key` named `name`: read, create the successor (exact body), then
/// the default old-key step (checked by the caller from the recorded PATCH).
async fn rotate_default(p: Prov, name: &str, extra: &[&str]) -> (MockServer, Out) {
    let server = common::server().await;
    mount_old(&server, p, name).await;
    mount_create(&server, p, successor_body(p, name)).await;
    mount_patched(&server, p, 1).await;
    forbid(&server, "DELETE").await;
    let mut args = vec![p.key, "-o", "json"];
    args.extend_from_slice(extra);
    let out = keyctl(p, "rotate", &server, &args).run().await;
    (server, out)
}

/// What every successful rotate shows: status, new id and secret on stdout only, the old key's
/// step done, and the requests in order.
async fn check_rotated(p: Prov, server: &MockServer, out: &Out, action: &str) -> Value {
    out.code(0);
    not_on_stderr(out, secret_of(p));
    let line = one_line(out);
    assert_eq!(line["status"], "rotated", "{p:?}: {line}");
    assert_eq!(line["key"], p.key, "{line}");
    assert_eq!(line["secret"], secret_of(p), "{line}");
    assert_eq!(line["new_key"], new_id(p), "{line}");
    assert_eq!(line["after"]["id"], new_id(p), "{line}");
    assert_eq!(line["before"]["id"], p.key, "{line}");
    let got = line["old_key"]["action"].as_str().unwrap_or_default();
    assert!(got.starts_with(action), "{p:?}: old_key {line}");
    assert_eq!(line["old_key"]["done"], true, "{line}");
    // The secret is in the JSON once, and not in `after.raw`.
    assert_eq!(
        out.stdout.matches(secret_of(p)).count(),
        1,
        "{}",
        out.stdout
    );
    let mut want = reads(p);
    want.extend(created_calls(p));
    want.push(format!("PATCH {}", update_path(p)));
    assert_eq!(calls(server, p).await, want, "{p:?}");
    line
}

#[tokio::test]
async fn rotate_modelgates_creates_the_successor_then_disables_the_old_key() {
    let (server, out) = rotate_default(MODELGATES, "ci-runner", &[]).await;
    check_rotated(MODELGATES, &server, &out, "disabled").await;
    assert_eq!(
        bodies(&server, MODELGATES, "PATCH").await,
        [json!({"disabled": true, "name": rotated_out("ci-runner")})]
    );
}

#[tokio::test]
async fn rotate_novapai_creates_the_successor_then_disables_the_old_key() {
    let (server, out) = rotate_default(NOVAPAI, "ci-runner", &[]).await;
    check_rotated(NOVAPAI, &server, &out, "disabled").await;
    assert_eq!(
        bodies(&server, NOVAPAI, "PATCH").await,
        [json!({"disabled": true, "name": rotated_out("ci-runner")})]
    );
}

#[tokio::test]
async fn rotate_openrouter_creates_the_successor_then_disables_the_old_key() {
    let (server, out) = rotate_default(OPENROUTER, "ci-runner", &[]).await;
    check_rotated(OPENROUTER, &server, &out, "disabled").await;
    assert_eq!(
        bodies(&server, OPENROUTER, "PATCH").await,
        [json!({"disabled": true, "name": rotated_out("ci-runner")})]
    );
}

#[tokio::test]
async fn rotate_ionet_creates_the_successor_then_expires_the_old_key_in_24h() {
    let (server, out) = rotate_default(IONET, "batch", &[]).await;
    let line = check_rotated(IONET, &server, &out, "expires at").await;
    let patches = bodies(&server, IONET, "PATCH").await;
    assert_eq!(patches.len(), 1);
    let b = patches[0].as_object().unwrap();
    let mut keys: Vec<&String> = b.keys().collect();
    keys.sort();
    assert_eq!(keys, ["description", "expires_at"], "{b:?}");
    assert_eq!(b["description"], json!(rotated_out("batch")), "{b:?}");
    about_hours_from_now(&b["expires_at"], 24);
    assert!(
        line["old_key"]["action"]
            .as_str()
            .unwrap()
            .contains(b["expires_at"].as_str().unwrap()),
        "{line}"
    );
}

#[tokio::test]
async fn rotate_venice_creates_the_successor_then_expires_the_old_key_in_24h() {
    let (server, out) = rotate_default(VENICE, "app", &[]).await;
    check_rotated(VENICE, &server, &out, "expires at").await;
    let patches = bodies(&server, VENICE, "PATCH").await;
    assert_eq!(patches.len(), 1);
    let b = patches[0].as_object().unwrap();
    let mut keys: Vec<&String> = b.keys().collect();
    keys.sort();
    assert_eq!(keys, ["description", "expiresAt", "id"], "{b:?}");
    assert_eq!(b["id"], VENICE_KEY);
    assert_eq!(b["description"], json!(rotated_out("app")), "{b:?}");
    about_hours_from_now(&b["expiresAt"], 24);
}

#[tokio::test]
async fn rotate_venice_keeps_the_admin_key_type() {
    let server = common::server().await;
    let mut old = venice_key(VENICE_KEY, "ops");
    old["apiKeyType"] = json!("ADMIN");
    mount_read(&server, VENICE, VENICE_KEY, 200, json!({"data": old})).await;
    let mut want = successor_body(VENICE, "ops");
    want["apiKeyType"] = json!("ADMIN");
    common::venice_read_back(&server, &venice_created("ADMIN")).await;
    mount_create_answer(&server, VENICE, want, ok(200, venice_created("ADMIN"))).await;
    mount_patched(&server, VENICE, 1).await;
    let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
    assert_eq!(one_line(&out)["status"], "rotated");
}

/// Each provider's table block: the secret on stdout only, once, and the old key's line after
/// it. Venice's successor is read back once its secret is out, so its fields follow the secret
/// (before the read-back they preceded it, as the other providers' still do).
#[tokio::test]
async fn rotate_table_output_shows_the_secret_on_stdout_only() {
    for p in ALL {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        mount_create(&server, p, successor_body(p, "ci-runner")).await;
        mount_patched(&server, p, 1).await;
        let out = keyctl(p, "rotate", &server, &[p.key, "-o", "table"])
            .run()
            .await;
        out.code(0).stdout_has(secret_of(p)).stdout_has(new_id(p));
        not_on_stderr(&out, secret_of(p));
        let action = match p.id {
            "ionet" | "venice" => {
                let field = if p.id == "venice" {
                    "expiresAt"
                } else {
                    "expires_at"
                };
                let at = bodies(&server, p, "PATCH").await[0][field].clone();
                format!("expires at {}", at.as_str().unwrap())
            }
            _ => "disabled".into(),
        };
        let next = check_block(
            &out.stdout,
            &format!(
                "{} key {}: its successor was created. The new key:",
                display(p),
                p.key
            ),
            secret_of(p),
            p.id == "venice",
        );
        // What was done to the old key: the line after the secret (written once it was out;
        // Venice: after the successor's fields, read back once the secret was out).
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(
            lines.get(next).copied(),
            Some(format!("  old key {}: {action}", p.key).as_str()),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with("  id:") && l.ends_with(new_id(p))),
            "{}",
            out.stdout
        );
    }
}

#[tokio::test]
async fn rotate_verbose_never_puts_the_new_secret_on_stderr() {
    for p in ALL {
        for fmt in [
            &["-o", "json"][..],
            &["-o", "table"][..],
            &["-o", "tsv"][..],
        ] {
            let server = common::server().await;
            mount_old(&server, p, "ci-runner").await;
            mount_create(&server, p, successor_body(p, "ci-runner")).await;
            mount_patched(&server, p, 1).await;
            let mut args = vec![p.key, "-v"];
            args.extend_from_slice(fmt);
            let out = keyctl(p, "rotate", &server, &args).run().await;
            out.code(0).stdout_has(secret_of(p));
            // -v logs the requests and answers: the create's answer is among them.
            out.stderr_has("POST");
            not_on_stderr(&out, secret_of(p));
        }
    }
}

#[tokio::test]
async fn rotate_quiet_still_prints_the_new_secret() {
    let (server, out) = rotate_default(OPENROUTER, "ci-runner", &["-q"]).await;
    out.code(0);
    assert_eq!(one_line(&out)["secret"], GATES_SECRET);
    drop(server);
}

#[tokio::test]
async fn rotate_secret_file_holds_the_secret_and_nothing_else_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("new.key");
    let (server, out) =
        rotate_default(VENICE, "app", &["--secret-file", f.to_str().unwrap()]).await;
    out.code(0);
    assert!(!out.stdout.contains(VENICE_SECRET), "{}", out.stdout);
    not_on_stderr(&out, VENICE_SECRET);
    let line = one_line(&out);
    assert_eq!(line["secret_file"], f.to_str().unwrap(), "{line}");
    assert_eq!(line.get("secret"), None, "{line}");
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        format!("{VENICE_SECRET}\n")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    drop(server);
}

#[tokio::test]
async fn rotate_secret_file_that_exists_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("new.key");
    std::fs::write(&f, "keep me\n").unwrap();
    let server = common::server().await;
    forbid_writes(&server).await;
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &[GATES_KEY, "--secret-file", f.to_str().unwrap()],
    )
    .run()
    .await;
    out.code(2).stderr_has("already exists");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "keep me\n");
    assert!(calls(&server, MODELGATES).await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// ROTATE: the successor's body

#[tokio::test]
async fn rotate_gates_null_limit_and_reset_are_sent_as_null() {
    let server = common::server().await;
    let mut old = gates_key(GATES_KEY, "free");
    old["limit"] = Value::Null;
    old["limit_remaining"] = Value::Null;
    old["limit_reset"] = Value::Null;
    old["include_byok_in_limit"] = json!(false);
    old["expires_at"] = Value::Null;
    mount_read(&server, MODELGATES, GATES_KEY, 200, json!({"data": old})).await;
    mount_create(
        &server,
        MODELGATES,
        json!({"name": rotated("free"), "limit": null, "limit_reset": null,
               "include_byok_in_limit": false, "expires_at": null}),
    )
    .await;
    mount_patched(&server, MODELGATES, 1).await;
    let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
    let posted = bodies(&server, MODELGATES, "POST").await;
    assert!(posted[0].as_object().unwrap().contains_key("limit"));
}

#[tokio::test]
async fn rotate_gates_old_key_without_expiry_sends_expires_at_null() {
    let server = common::server().await;
    let mut old = gates_key(GATES_KEY, "ci");
    old["expires_at"] = Value::Null;
    mount_read(&server, OPENROUTER, GATES_KEY, 200, json!({"data": old})).await;
    let mut want = successor_body(OPENROUTER, "ci");
    want["expires_at"] = Value::Null;
    mount_create(&server, OPENROUTER, want).await;
    mount_patched(&server, OPENROUTER, 1).await;
    let out = keyctl(OPENROUTER, "rotate", &server, &[GATES_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
}

#[tokio::test]
async fn rotate_ionet_without_models_or_expiry_sends_never_and_no_allowed_models() {
    let server = common::server().await;
    let mut item = ionet_item(IONET_KEY, "batch");
    item["allowed_models"] = Value::Null;
    item["expires_at"] = Value::Null;
    mount_read(&server, IONET, IONET_KEY, 200, ionet_usage(IONET_KEY)).await;
    mount_ionet_list(&server, ionet_list(vec![item])).await;
    mount_create(
        &server,
        IONET,
        json!({"description": rotated("batch"), "credit_limit": 100,
               "credit_refresh_cycle": "weekly", "expires_at": "never"}),
    )
    .await;
    mount_patched(&server, IONET, 1).await;
    let out = keyctl(IONET, "rotate", &server, &[IONET_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
    // The old key had no expiry: the default step still gives it 24 hours.
    about_hours_from_now(&bodies(&server, IONET, "PATCH").await[0]["expires_at"], 24);
}

#[tokio::test]
async fn rotate_venice_without_expiry_omits_expires_at() {
    let server = common::server().await;
    let mut old = venice_key(VENICE_KEY, "app");
    old["expiresAt"] = Value::Null;
    mount_read(&server, VENICE, VENICE_KEY, 200, json!({"data": old})).await;
    let mut want = successor_body(VENICE, "app");
    want.as_object_mut().unwrap().remove("expiresAt");
    mount_create(&server, VENICE, want).await;
    mount_patched(&server, VENICE, 1).await;
    let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
}

#[tokio::test]
async fn rotate_venice_64_character_name_is_cut_so_the_suffix_fits() {
    let server = common::server().await;
    let long: String = "n".repeat(64);
    mount_read(
        &server,
        VENICE,
        VENICE_KEY,
        200,
        json!({"data": venice_key(VENICE_KEY, &long)}),
    )
    .await;
    // The successor keeps the name whole; the old key's new name is cut to fit the suffix.
    let want = successor_body(VENICE, &long);
    mount_create(&server, VENICE, want).await;
    mount_patched(&server, VENICE, 1).await;
    let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
    let suffix = format!(" (rotated out {})", today());
    let want_old = format!("{}{suffix}", "n".repeat(64 - suffix.len()));
    assert_eq!(want_old.chars().count(), 64);
    assert_eq!(
        bodies(&server, VENICE, "PATCH").await[0]["description"],
        json!(want_old)
    );
}

#[tokio::test]
async fn rotate_a_rotated_key_replaces_the_old_suffix() {
    // A retired key's ` (rotated out DATE)` is not carried over nor stacked; an older
    // version's ` (rotated DATE)` is part of the name now, kept as it is.
    for (old, base) in [
        ("ci-runner (rotated out 2020-01-02)", "ci-runner"),
        (
            "ci-runner (rotated 2020-01-02)",
            "ci-runner (rotated 2020-01-02)",
        ),
    ] {
        let server = common::server().await;
        mount_old(&server, MODELGATES, old).await;
        mount_create(&server, MODELGATES, successor_body(MODELGATES, base)).await;
        mount_patched(&server, MODELGATES, 1).await;
        let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY, "-o", "json"])
            .run()
            .await;
        out.code(0);
        assert_eq!(
            bodies(&server, MODELGATES, "PATCH").await,
            [json!({"disabled": true, "name": rotated_out(base)})]
        );
    }
}

#[tokio::test]
async fn rotate_flags_override_the_old_settings() {
    // --limit and --name on each family.
    let server = common::server().await;
    let mut want = successor_body(NOVAPAI, "x");
    want["name"] = json!("fresh");
    want["limit"] = json!(10);
    mount_old(&server, NOVAPAI, "ci-runner").await;
    mount_create(&server, NOVAPAI, want).await;
    mount_patched(&server, NOVAPAI, 1).await;
    let out = keyctl(
        NOVAPAI,
        "rotate",
        &server,
        &[GATES_KEY, "--limit", "10", "--name", "fresh", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);

    let server = common::server().await;
    let mut want = successor_body(IONET, "batch");
    want["credit_limit"] = json!(10);
    want["credit_refresh_cycle"] = json!("daily");
    mount_old(&server, IONET, "batch").await;
    mount_create(&server, IONET, want).await;
    mount_patched(&server, IONET, 1).await;
    let out = keyctl(
        IONET,
        "rotate",
        &server,
        &[IONET_KEY, "--limit", "10", "--reset", "daily", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);

    let server = common::server().await;
    let mut want = successor_body(VENICE, "app");
    want["description"] = json!("renamed");
    want["consumptionLimit"] = json!({"usd": 10, "diem": 10, "vcu": null});
    mount_old(&server, VENICE, "app").await;
    mount_create(&server, VENICE, want).await;
    mount_patched(&server, VENICE, 1).await;
    let out = keyctl(
        VENICE,
        "rotate",
        &server,
        &[
            VENICE_KEY, "--limit", "10", "--name", "renamed", "-o", "json",
        ],
    )
    .run()
    .await;
    out.code(0);
}

#[tokio::test]
async fn rotate_name_with_several_keys_is_refused_before_anything_is_sent() {
    let server = common::server().await;
    forbid_writes(&server).await;
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &[GATES_KEY, GATES_KEY_2, "--name", "x"],
    )
    .run()
    .await;
    out.code(2).stderr_has("--name");
    assert!(calls(&server, MODELGATES).await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// ROTATE: the old-key step

/// `--old revoke --yes`: the old key is deleted after the create.
async fn rotate_old_revoke(p: Prov) {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    mount_create(&server, p, successor_body(p, "ci-runner")).await;
    mount_delete(&server, p, p.key, None, 1).await;
    forbid(&server, "PATCH").await;
    let out = keyctl(
        p,
        "rotate",
        &server,
        &[p.key, "--old", "revoke", "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);
    not_on_stderr(&out, secret_of(p));
    let line = one_line(&out);
    assert_eq!(line["status"], "rotated", "{line}");
    assert_eq!(
        line["old_key"],
        json!({"action": "revoked", "done": true}),
        "{line}"
    );
    let mut want = reads(p);
    want.extend(created_calls(p));
    want.push(delete_call(p, p.key));
    assert_eq!(calls(&server, p).await, want, "{p:?}");
}

#[tokio::test]
async fn rotate_old_revoke_with_yes_deletes_the_old_modelgates_key() {
    rotate_old_revoke(MODELGATES).await;
}

#[tokio::test]
async fn rotate_old_revoke_with_yes_deletes_the_old_ionet_key() {
    rotate_old_revoke(IONET).await;
}

#[tokio::test]
async fn rotate_old_revoke_with_yes_deletes_the_old_venice_key() {
    rotate_old_revoke(VENICE).await;
}

#[tokio::test]
async fn rotate_old_revoke_without_yes_and_without_a_terminal_sends_nothing() {
    for p in ALL {
        let server = common::server().await;
        let out = keyctl(p, "rotate", &server, &[p.key, "--old", "revoke"])
            .run()
            .await;
        out.code(2)
            .stderr_has("--yes")
            .stderr_has("nothing was changed");
        assert!(calls(&server, p).await.is_empty(), "{p:?}");
    }
}

#[tokio::test]
async fn rotate_old_keep_sends_nothing_to_the_old_key() {
    for p in ALL {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        mount_create(&server, p, successor_body(p, "ci-runner")).await;
        forbid(&server, "PATCH").await;
        forbid(&server, "DELETE").await;
        let out = keyctl(
            p,
            "rotate",
            &server,
            &[p.key, "--old", "keep", "-o", "json"],
        )
        .run()
        .await;
        out.code(0);
        let line = one_line(&out);
        assert_eq!(line["status"], "rotated", "{line}");
        assert_eq!(
            line["old_key"],
            json!({"action": "kept", "done": true}),
            "{line}"
        );
        assert_eq!(line["secret"], secret_of(p));
        let mut want = reads(p);
        want.extend(created_calls(p));
        assert_eq!(calls(&server, p).await, want, "{p:?}");
    }
}

#[tokio::test]
async fn rotate_old_expire_in_given_on_ionet_and_venice() {
    for p in [IONET, VENICE] {
        let name = if p.id == "ionet" { "batch" } else { "app" };
        let (server, out) = rotate_default(p, name, &["--old", "expire-in=7d"]).await;
        check_rotated(p, &server, &out, "expires at").await;
        let field = if p.id == "ionet" {
            "expires_at"
        } else {
            "expiresAt"
        };
        about_hours_from_now(&bodies(&server, p, "PATCH").await[0][field], 24 * 7);
    }
}

#[tokio::test]
async fn rotate_old_disable_on_ionet_and_venice_is_exit_2_before_anything_is_sent() {
    for p in [IONET, VENICE] {
        let server = common::server().await;
        let out = keyctl(p, "rotate", &server, &[p.key, "--old", "disable"])
            .run()
            .await;
        out.code(2).stderr_has("--old disable");
        assert!(calls(&server, p).await.is_empty(), "{p:?}");
    }
}

#[tokio::test]
async fn rotate_old_expire_in_on_gates_family_is_exit_2_before_anything_is_sent() {
    for p in GATES_FAMILY {
        let server = common::server().await;
        let out = keyctl(p, "rotate", &server, &[p.key, "--old", "expire-in=1h"])
            .run()
            .await;
        out.code(2).stderr_has("--old expire-in");
        assert!(calls(&server, p).await.is_empty(), "{p:?}");
    }
}

#[tokio::test]
async fn rotate_bad_old_action_is_exit_2() {
    let server = common::server().await;
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &[GATES_KEY, "--old", "delete"],
    )
    .run()
    .await;
    out.code(2).stderr_has("not an action");
    assert!(calls(&server, MODELGATES).await.is_empty());
}

/// An io.net reference that is not a UUID is looked up in one read of the key list: one the
/// list lacks is exit 4 and nothing is created or changed.
#[tokio::test]
async fn rotate_ionet_reference_not_in_the_list_is_exit_4_before_anything_is_sent() {
    let server = common::server().await;
    mount_ionet_list(&server, ionet_list(vec![ionet_item(IONET_KEY, "ci-one")])).await;
    let out = keyctl(IONET, "rotate", &server, &["not-a-uuid"])
        .run()
        .await;
    out.code(4).stderr_has("'not-a-uuid'");
    assert_eq!(
        calls(&server, IONET).await,
        ["GET /v1/api-keys/sub-keys".to_string()]
    );
}

/// An old key expiring sooner than the grace gets no PATCH: its action starts with "kept"
/// and names its expiry. The successor lives as long as the old key did (created .. soon),
/// from now. Returns the action.
async fn expiring_sooner_is_left_alone(p: Prov) -> (String, String) {
    let server = common::server().await;
    let soon =
        (Utc::now() + ChronoDuration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let body = match p.id {
        "ionet" => {
            let mut item = ionet_item(IONET_KEY, "batch");
            item["expires_at"] = json!(soon);
            mount_read(&server, p, p.key, 200, ionet_usage(p.key)).await;
            mount_ionet_list(&server, ionet_list(vec![item])).await;
            let mut b = successor_body(p, "batch");
            b["expires_at"] = lives(lifetime("2026-01-01T00:00:00", &soon));
            b
        }
        _ => {
            let mut k = venice_key(VENICE_KEY, "app");
            k["expiresAt"] = json!(soon);
            mount_read(&server, p, p.key, 200, json!({"data": k})).await;
            let mut b = successor_body(p, "app");
            b["expiresAt"] = lives(lifetime("2026-01-01T00:00:00.000Z", &soon));
            b
        }
    };
    mount_create(&server, p, body).await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
        .run()
        .await;
    out.code(0);
    let line = one_line(&out);
    assert_eq!(line["status"], "rotated", "{line}");
    let action = line["old_key"]["action"].as_str().unwrap();
    assert!(
        action.starts_with(&format!("kept: it already expires at {soon}")),
        "{line}"
    );
    assert_eq!(line["old_key"]["done"], true);
    (action.to_string(), soon)
}

#[tokio::test]
async fn rotate_ionet_old_key_expiring_sooner_than_the_grace_is_left_alone() {
    expiring_sooner_is_left_alone(IONET).await;
}

#[tokio::test]
async fn rotate_venice_old_key_expiring_sooner_than_the_grace_is_left_alone() {
    expiring_sooner_is_left_alone(VENICE).await;
}

#[tokio::test]
async fn rotate_old_key_expiring_sooner_says_sooner_than_asked() {
    for p in [IONET, VENICE] {
        let (action, soon) = expiring_sooner_is_left_alone(p).await;
        assert_eq!(
            action,
            format!("kept: it already expires at {soon}, sooner than asked"),
            "{p:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// ROTATE: failures

/// The create answers `status`: exactly one POST, no PATCH/DELETE to the old key, exit `code`.
async fn create_fails(p: Prov, status: u16, answer: Value, code: i32) -> Value {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    Mock::given(method("POST"))
        .and(path(create_path(p)))
        .respond_with(ok(status, answer))
        .expect(1)
        .mount(&server)
        .await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
        .run()
        .await;
    out.code(code);
    let line = one_line(&out);
    assert_ne!(line["status"], "rotated", "{line}");
    assert_ne!(line["status"], "partial", "{line}");
    assert_eq!(line.get("secret"), None, "{line}");
    assert_eq!(line.get("new_key"), None, "{line}");
    let mut want = reads(p);
    want.push(format!("POST {}", create_path(p)));
    assert_eq!(calls(&server, p).await, want, "{p:?}");
    line
}

/// A create answered 500, 502 or 504 may have made the key: `unknown`, exit 7, saying so.
fn create_unknown(line: &Value) {
    assert_eq!(line["status"], "unknown", "{line}");
    let msg = line["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("a key may have been created: check with keyctl list before trying again"),
        "{line}"
    );
}

#[tokio::test]
async fn rotate_create_500_is_not_retried_and_the_old_key_is_untouched_modelgates() {
    let line = create_fails(
        MODELGATES,
        500,
        json!({"error": {"code": 500, "message": "Internal"}}),
        7,
    )
    .await;
    create_unknown(&line);
}

#[tokio::test]
async fn rotate_create_500_is_not_retried_and_the_old_key_is_untouched_ionet() {
    let line = create_fails(IONET, 500, json!({"detail": "Internal Server Error"}), 7).await;
    create_unknown(&line);
}

#[tokio::test]
async fn rotate_create_500_is_not_retried_and_the_old_key_is_untouched_venice() {
    let line = create_fails(VENICE, 500, json!({"error": "Internal server error"}), 7).await;
    create_unknown(&line);
}

#[tokio::test]
async fn rotate_create_502_and_504_are_unknown_and_the_old_key_is_untouched() {
    for (p, status) in [(OPENROUTER, 502), (VENICE, 504), (IONET, 502)] {
        let line = create_fails(p, status, json!({"error": "gateway"}), 7).await;
        create_unknown(&line);
        assert_eq!(line["error"]["http_status"], status, "{line}");
    }
}

#[tokio::test]
async fn rotate_create_400_is_exit_5_and_the_old_key_is_untouched_venice() {
    create_fails(
        VENICE,
        400,
        json!({"error": "Invalid request parameters", "details": {"_errors": [], "description": {"_errors": ["too long"]}}}),
        5,
    )
    .await;
}

#[tokio::test]
async fn rotate_create_400_is_exit_5_and_the_old_key_is_untouched_openrouter() {
    create_fails(
        OPENROUTER,
        400,
        json!({"error": {"code": 400, "message": "Invalid name"}}),
        5,
    )
    .await;
}

#[tokio::test]
async fn rotate_create_422_is_exit_5_and_the_old_key_is_untouched_ionet() {
    create_fails(
        IONET,
        422,
        json!({"detail": [{"loc": ["body", "description"], "msg": "field required", "type": "missing"}]}),
        5,
    )
    .await;
}

/// The create succeeds but the old key's step fails: `partial`, exit 5, the secret still on
/// stdout, stderr naming both ids and that the old key may still be active.
async fn old_step_fails(p: Prov, extra: &[&str]) -> (MockServer, Out) {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    mount_create(&server, p, successor_body(p, "ci-runner")).await;
    let bad = match p.id {
        "ionet" => json!({"detail": "cannot change"}),
        "venice" => json!({"error": "Invalid request parameters"}),
        _ => json!({"error": {"code": 400, "message": "cannot change"}}),
    };
    let revoking = extra.contains(&"revoke");
    if revoking {
        mount_delete(&server, p, p.key, Some((400, bad)), 1).await;
        forbid(&server, "PATCH").await;
    } else {
        mount_patch(&server, p, 400, bad, 1).await;
        forbid(&server, "DELETE").await;
    }
    let mut args = vec![p.key, "-o", "json"];
    args.extend_from_slice(extra);
    let out = keyctl(p, "rotate", &server, &args).run().await;
    out.code(5)
        .stderr_has(p.key)
        .stderr_has(new_id(p))
        .stderr_has("The old key may still be active: finish by hand with `");
    not_on_stderr(&out, secret_of(p));
    let line = one_line(&out);
    assert_eq!(line["status"], "partial", "{line}");
    assert_eq!(line["secret"], secret_of(p), "{line}");
    assert_eq!(line["new_key"], new_id(p), "{line}");
    assert_eq!(line["old_key"]["done"], false, "{line}");
    assert_eq!(line["error"]["http_status"], 400, "{line}");
    (server, out)
}

/// The partial message, in `error.message` and on stderr, gives the command that finishes
/// the failed step: `update --disable`, `update --expires <the time asked>`, or `revoke`.
async fn partial_names_the_command(p: Prov, extra: &[&str], old: &str) {
    let (server, out) = old_step_fails(p, extra).await;
    let at;
    let old = if old == "expire-in" {
        let field = if p.id == "venice" {
            "expiresAt"
        } else {
            "expires_at"
        };
        at = bodies(&server, p, "PATCH").await[0][field]
            .as_str()
            .unwrap()
            .to_string();
        at.as_str()
    } else {
        old
    };
    let want = finish_by_hand(p, &server, old, p.key);
    out.stderr_has(&want);
    let msg = one_line(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains(&want), "{msg}");
}

#[tokio::test]
async fn rotate_partial_disable_says_to_finish_with_update_disable() {
    partial_names_the_command(MODELGATES, &[], "disable").await;
}

#[tokio::test]
async fn rotate_partial_expire_in_says_to_finish_with_update_expires_ionet() {
    partial_names_the_command(IONET, &[], "expire-in").await;
}

#[tokio::test]
async fn rotate_partial_expire_in_says_to_finish_with_update_expires_venice() {
    partial_names_the_command(VENICE, &[], "expire-in").await;
}

#[tokio::test]
async fn rotate_partial_revoke_says_to_finish_with_keyctl_revoke() {
    partial_names_the_command(NOVAPAI, &["--old", "revoke", "--yes"], "revoke").await;
}

#[tokio::test]
async fn rotate_old_disable_failing_is_partial_exit_5_modelgates() {
    old_step_fails(MODELGATES, &[]).await;
}

#[tokio::test]
async fn rotate_old_expiry_failing_is_partial_exit_5_ionet() {
    old_step_fails(IONET, &[]).await;
}

#[tokio::test]
async fn rotate_old_expiry_failing_is_partial_exit_5_venice() {
    old_step_fails(VENICE, &[]).await;
}

#[tokio::test]
async fn rotate_old_revoke_failing_is_partial_exit_5_novapai() {
    old_step_fails(NOVAPAI, &["--old", "revoke", "--yes"]).await;
}

/// A failed old-key step (Venice) still shows the secret on stdout, in a table and in TSV; the
/// table's successor fields, read back, sit between the secret and the old key's line.
#[tokio::test]
async fn rotate_partial_in_a_table_still_shows_the_secret_on_stdout() {
    for fmt in ["table", "tsv"] {
        let server = common::server().await;
        mount_old(&server, VENICE, "app").await;
        mount_create(&server, VENICE, successor_body(VENICE, "app")).await;
        mount_patch(&server, VENICE, 400, json!({"error": "nope"}), 1).await;
        let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", fmt, "-v"])
            .run()
            .await;
        out.code(5)
            .stdout_has(VENICE_SECRET)
            .stderr_has("The old key may still be active: finish by hand with `")
            .stderr_has(NEW_UUID);
        not_on_stderr(&out, VENICE_SECRET);
        if fmt == "table" {
            // The successor's fields, read back, follow the secret; the old key's line ends it.
            let next = check_block(
                &out.stdout,
                &format!("Venice key {VENICE_KEY}: its successor was created. The new key:"),
                VENICE_SECRET,
                true,
            );
            let lines: Vec<&str> = out.stdout.lines().collect();
            assert_eq!(
                lines[next..],
                [format!(
                    "  old key {VENICE_KEY}: not done (see the error on stderr); the old key \
                     may still be active"
                )
                .as_str()],
                "{}",
                out.stdout
            );
        } else {
            let mut lines = out.stdout.lines();
            let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
            let row: Vec<&str> = lines.next().unwrap().split('\t').collect();
            let col = |n: &str| row[header.iter().position(|h| *h == n).unwrap()];
            assert_eq!(col("secret"), VENICE_SECRET, "{}", out.stdout);
            assert_eq!(col("id"), NEW_UUID, "{}", out.stdout);
        }
    }
}

#[tokio::test]
async fn rotate_old_key_gone_is_not_found_exit_4_and_nothing_is_created() {
    for p in [OPENROUTER, VENICE, IONET] {
        let server = common::server().await;
        let (status, body) = match p.id {
            "venice" => (400, json!({"error": "API key not found or expired"})),
            "ionet" => (404, json!({"detail": "Not found"})),
            _ => (
                404,
                json!({"error": {"code": 404, "message": "Key not found"}}),
            ),
        };
        mount_read(&server, p, p.key, status, body).await;
        if p.id == "ionet" {
            mount_ionet_list(&server, ionet_list(vec![])).await;
        }
        forbid_writes(&server).await;
        let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
            .run()
            .await;
        out.code(4);
        assert_eq!(one_line(&out)["status"], "not_found", "{p:?}");
    }
}

#[tokio::test]
async fn rotate_create_answer_without_a_secret_names_the_new_key_and_touches_no_old_key() {
    let server = common::server().await;
    mount_old(&server, MODELGATES, "ci-runner").await;
    let mut answer = gates_created("x");
    answer.as_object_mut().unwrap().remove("key");
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ok(201, answer))
        .expect(1)
        .mount(&server)
        .await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY, "-o", "json"])
        .run()
        .await;
    out.code(7).stderr_has(NEW_HASH).stderr_has("no secret");
}

// ---------------------------------------------------------------------------------------------
// ROTATE: dry run

#[tokio::test]
async fn rotate_dry_run_reads_and_shows_the_create_sending_nothing() {
    for p in ALL {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        forbid_writes(&server).await;
        let from = Utc::now();
        let out = keyctl(p, "rotate", &server, &[p.key, "--dry-run", "-o", "json"])
            .run()
            .await;
        out.code(0);
        let line = one_line(&out);
        assert_eq!(line["status"], "dry_run", "{p:?}: {line}");
        assert_eq!(line["request"]["method"], "POST", "{line}");
        assert_eq!(
            line["request"]["url"],
            format!("{}{}", server.uri(), create_path(p)),
            "{line}"
        );
        let body = &line["request"]["body"];
        same_body(body, &successor_body(p, "ci-runner"), from)
            .unwrap_or_else(|e| panic!("{p:?}: {e}: {line}"));
        // The plan's new key has the expiry the request sends.
        let field = match p.id {
            "venice" => "expiresAt",
            _ => "expires_at",
        };
        assert_eq!(line["after"]["expires"], body[field], "{line}");
        let notes = line["notes"].as_array().expect("notes");
        assert!(
            notes
                .iter()
                .any(|n| n.as_str().unwrap().contains("old key")),
            "{line}"
        );
        assert_eq!(line.get("secret"), None);
        assert!(!line.to_string().contains(SECRET));
        assert_eq!(calls(&server, p).await, reads(p), "{p:?}");
    }
}

#[tokio::test]
async fn rotate_dry_run_with_old_revoke_needs_no_yes_and_says_revoked() {
    let server = common::server().await;
    mount_old(&server, VENICE, "app").await;
    forbid_writes(&server).await;
    let out = keyctl(
        VENICE,
        "rotate",
        &server,
        &[VENICE_KEY, "--dry-run", "--old", "revoke", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);
    let line = one_line(&out);
    assert_eq!(line["notes"][0], "then the old key: revoked", "{line}");
}

#[tokio::test]
async fn rotate_dry_run_table_shows_the_request_and_the_old_key_step() {
    let server = common::server().await;
    mount_old(&server, IONET, "batch").await;
    forbid_writes(&server).await;
    let out = keyctl(
        IONET,
        "rotate",
        &server,
        &[IONET_KEY, "--dry-run", "-v", "-o", "table"],
    )
    .run()
    .await;
    out.code(0)
        .stdout_has("POST")
        .stdout_has("/v1/api-keys/sub-keys")
        .stdout_has("then the old key: expires at")
        .stdout_has(&rotated("batch"))
        .stderr_has("would rotate");
    // -v shows the old key's PATCH as a note too.
    let patch = format!("PATCH {}/v1/api-keys/sub-keys/{IONET_KEY}", server.uri());
    out.stdout_has(&patch);
    // The request comes first, then the notes.
    let post = out
        .stdout
        .find(&format!("POST {}/v1/api-keys/sub-keys", server.uri()));
    let note = out.stdout.find("then the old key: expires at");
    assert!(post.unwrap() < note.unwrap(), "{}", out.stdout);
    assert!(
        note.unwrap() < out.stdout.find(&patch).unwrap(),
        "{}",
        out.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// More edges

#[tokio::test]
async fn revoke_delete_answered_deleted_false_fails_the_key() {
    for p in [MODELGATES, VENICE] {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        let body = if p.id == "venice" {
            json!({"success": false})
        } else {
            json!({"deleted": false})
        };
        mount_delete(&server, p, p.key, Some((200, body)), 1).await;
        let out = keyctl(p, "revoke", &server, &[p.key, "--yes", "-o", "json"])
            .run()
            .await;
        out.code(7).stderr_has("may still be active");
        assert_eq!(one_line(&out)["status"], "failed");
    }
}

#[tokio::test]
async fn revoke_read_500_is_retried_then_exit_7_with_no_delete() {
    let server = common::server().await;
    mount_read(&server, VENICE, VENICE_KEY, 500, json!({"error": "boom"})).await;
    forbid_writes(&server).await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &[VENICE_KEY, "--yes", "--retries", "1", "-o", "json"],
    )
    .run()
    .await;
    out.code(7);
    assert_eq!(one_line(&out)["status"], "failed");
    assert_eq!(
        calls(&server, VENICE).await,
        [reads(VENICE), reads(VENICE)].concat()
    );
}

#[tokio::test]
async fn revoke_read_401_is_exit_3_with_no_delete() {
    let server = common::server().await;
    mount_read(
        &server,
        OPENROUTER,
        GATES_KEY,
        401,
        json!({"error": {"code": 401, "message": "No auth credentials found"}}),
    )
    .await;
    forbid_writes(&server).await;
    let out = keyctl(OPENROUTER, "revoke", &server, &[GATES_KEY, "--yes"])
        .run()
        .await;
    out.code(3);
}

#[tokio::test]
async fn revoke_the_same_key_twice_deletes_it_once() {
    let server = common::server().await;
    mount_old(&server, MODELGATES, "ci-runner").await;
    mount_delete(&server, MODELGATES, GATES_KEY, None, 1).await;
    let out = keyctl(
        MODELGATES,
        "revoke",
        &server,
        &[GATES_KEY, GATES_KEY, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);
    assert_eq!(one_line(&out)["status"], "revoked");
}

#[tokio::test]
async fn rotate_several_keys_from_a_file_without_a_terminal_rotates_each() {
    let server = common::server().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("keys.txt");
    std::fs::write(&f, format!("{GATES_KEY}\n{GATES_KEY_2} # second\n")).unwrap();
    mount_read(
        &server,
        MODELGATES,
        GATES_KEY,
        200,
        json!({"data": gates_key(GATES_KEY, "a")}),
    )
    .await;
    mount_read(
        &server,
        MODELGATES,
        GATES_KEY_2,
        200,
        json!({"data": gates_key(GATES_KEY_2, "b")}),
    )
    .await;
    // Each successor has an id of its own (one naming a key of the run retires nothing).
    for (n, hash) in [("a", NEW_HASH), ("b", GATES_KEY_3)] {
        let mut answer = gates_created("x");
        answer["data"]["hash"] = json!(hash);
        mount_create_answer(
            &server,
            MODELGATES,
            successor_body(MODELGATES, n),
            ok(201, answer),
        )
        .await;
    }
    for k in [GATES_KEY, GATES_KEY_2] {
        Mock::given(method("PATCH"))
            .and(path(format!("/api/v1/keys/{k}")))
            .and(body_json(json!({"disabled": true,
                "name": rotated_out(if k == GATES_KEY { "a" } else { "b" })})))
            .respond_with(ok(200, {
                let mut key = gates_key(k, "x");
                key["disabled"] = json!(true);
                json!({ "data": key })
            }))
            .expect(1)
            .mount(&server)
            .await;
    }
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &["--from-file", f.to_str().unwrap(), "-o", "json"],
    )
    .run()
    .await;
    out.code(0).stderr_has("summary: 2 rotated");
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["status"] == "rotated"));
    assert_eq!(lines[0]["key"], GATES_KEY);
    assert_eq!(lines[1]["key"], GATES_KEY_2);
    // The first page of the listing is tried first (it would hold both keys); the server
    // refuses it, so each key is read by itself.
    assert_eq!(
        calls(&server, MODELGATES).await,
        [
            "GET /api/v1/keys?offset=0&include_disabled=true".to_string(),
            format!("GET /api/v1/keys/{GATES_KEY}"),
            "POST /api/v1/keys".into(),
            format!("PATCH /api/v1/keys/{GATES_KEY}"),
            format!("GET /api/v1/keys/{GATES_KEY_2}"),
            "POST /api/v1/keys".into(),
            format!("PATCH /api/v1/keys/{GATES_KEY_2}"),
        ]
    );
}

#[tokio::test]
async fn rotate_secret_file_with_several_keys_is_refused() {
    let server = common::server().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("new.key");
    let out = keyctl(
        VENICE,
        "rotate",
        &server,
        &[
            VENICE_KEY,
            VENICE_KEY_2,
            "--secret-file",
            f.to_str().unwrap(),
        ],
    )
    .run()
    .await;
    out.code(2).stderr_has("--secret-file");
    assert!(!f.exists());
    assert!(calls(&server, VENICE).await.is_empty());
}

#[tokio::test]
async fn rotate_flags_a_new_key_cannot_take_are_exit_2_before_anything_is_sent() {
    for (p, flags, needle) in [
        (MODELGATES, &["--reset", "8h"][..], "--reset 8h"),
        (MODELGATES, &["--disable"][..], "--disable"),
        (IONET, &["--limit", "+5"][..], "--limit +5"),
        (VENICE, &["--models", "llama"][..], "--models"),
        (IONET, &["--privacy", "private-only"][..], "--privacy"),
    ] {
        let server = common::server().await;
        let mut args = vec![p.key];
        args.extend_from_slice(flags);
        let out = keyctl(p, "rotate", &server, &args).run().await;
        out.code(2).stderr_has(needle);
        assert!(calls(&server, p).await.is_empty(), "{p:?} {flags:?}");
    }
}

#[tokio::test]
async fn rotate_venice_name_over_64_characters_creates_nothing() {
    let server = common::server().await;
    mount_old(&server, VENICE, "app").await;
    forbid_writes(&server).await;
    let long = "x".repeat(65);
    let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "--name", &long])
        .run()
        .await;
    out.code(2).stderr_has("64");
}

/// Expired, with no creation time to measure its life by: refused, nothing created.
#[tokio::test]
async fn rotate_an_expired_old_key_needs_expires_and_creates_nothing() {
    let server = common::server().await;
    let mut old = gates_key(GATES_KEY, "ci");
    old["expires_at"] = json!("2020-01-01T00:00:00Z");
    old["created_at"] = Value::Null;
    mount_read(&server, MODELGATES, GATES_KEY, 200, json!({"data": old})).await;
    forbid_writes(&server).await;
    let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY])
        .run()
        .await;
    out.code(2).stderr_has("--expires");
}

#[tokio::test]
async fn rotate_create_429_is_retried_and_the_old_key_is_untouched() {
    let server = common::server().await;
    mount_old(&server, OPENROUTER, "ci-runner").await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ok(
            429,
            json!({"error": {"code": 429, "message": "Rate limited"}}),
        ))
        .expect(2)
        .mount(&server)
        .await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(
        OPENROUTER,
        "rotate",
        &server,
        &[GATES_KEY, "--retries", "1", "-o", "json"],
    )
    .run()
    .await;
    out.code(6);
}

#[tokio::test]
async fn rotate_old_step_500_is_retried_then_partial_exit_7() {
    let server = common::server().await;
    mount_old(&server, IONET, "batch").await;
    mount_create(&server, IONET, successor_body(IONET, "batch")).await;
    mount_patch(&server, IONET, 500, json!({"detail": "boom"}), 2).await;
    let out = keyctl(
        IONET,
        "rotate",
        &server,
        &[IONET_KEY, "--retries", "1", "-o", "json"],
    )
    .run()
    .await;
    out.code(7)
        .stderr_has("The old key may still be active: finish by hand with `");
    not_on_stderr(&out, IONET_SECRET);
    let line = one_line(&out);
    assert_eq!(line["status"], "partial");
    assert_eq!(line["secret"], IONET_SECRET);
    // Exactly one successor, however often the old key's step was tried.
    let c = calls(&server, IONET).await;
    assert_eq!(c.iter().filter(|c| c.starts_with("POST")).count(), 1);
}

/// The old key's PATCH answered 2xx but saying it did not succeed: the old key's step must
/// not be reported done.
async fn old_step_answered_unsuccessful(p: Prov, answer: Value) {
    let server = common::server().await;
    let name = if p.id == "ionet" { "batch" } else { "app" };
    mount_old(&server, p, name).await;
    mount_create(&server, p, successor_body(p, name)).await;
    mount_patch(&server, p, 200, answer, 1).await;
    let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
        .run()
        .await;
    let line = one_line(&out);
    assert_eq!(line["old_key"]["done"], false, "{p:?}: {line}");
    assert_eq!(line["status"], "partial", "{p:?}: {line}");
    assert_ne!(out.code, 0, "{p:?}");
    out.stderr_has("The old key may still be active: finish by hand with `");
    assert_eq!(line["secret"], secret_of(p), "{line}");
    not_on_stderr(&out, secret_of(p));
}

#[tokio::test]
async fn rotate_venice_old_step_answered_success_false_is_not_done() {
    old_step_answered_unsuccessful(VENICE, json!({"success": false})).await;
}

#[tokio::test]
async fn rotate_ionet_old_step_answered_status_failed_is_not_done() {
    old_step_answered_unsuccessful(IONET, json!({"status": "failed"})).await;
}

/// io.net: a sub-key the list does not show (expired or revoked: the list holds active keys
/// only) but whose usage still answers. Its successor must not be made from nothing: a
/// restricted key's successor would get every model and io.net's default 180-day expiry, and
/// the name `key (rotated …)`.
#[tokio::test]
async fn rotate_ionet_key_missing_from_the_list_creates_nothing() {
    let server = common::server().await;
    mount_read(&server, IONET, IONET_KEY, 200, ionet_usage(IONET_KEY)).await;
    mount_ionet_list(&server, ionet_list(vec![ionet_item(IONET_KEY_2, "other")])).await;
    Mock::given(method("POST"))
        .respond_with(ok(201, ionet_created()))
        .expect(0)
        .named("no successor may be created")
        .mount(&server)
        .await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(IONET, "rotate", &server, &[IONET_KEY, "-o", "json"])
        .run()
        .await;
    let posted = bodies(&server, IONET, "POST").await;
    assert!(
        posted.is_empty(),
        "successor created with {posted:?}; {out:?}"
    );
    assert_ne!(out.code, 0, "{out:?}");
}

#[tokio::test]
async fn rotate_create_answer_that_cannot_be_read_is_unknown_and_the_old_key_is_untouched() {
    let server = common::server().await;
    mount_old(&server, VENICE, "app").await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .expect(1)
        .mount(&server)
        .await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", "json"])
        .run()
        .await;
    out.code(7).stderr_has("a key may have been created");
    let line = one_line(&out);
    assert_eq!(line["status"], "unknown", "{line}");
    assert_eq!(line.get("secret"), None);
}

#[tokio::test]
async fn revoke_ionet_upper_case_id_is_sent_in_canonical_form() {
    let server = common::server().await;
    mount_old(&server, IONET, "batch").await;
    mount_delete(&server, IONET, IONET_KEY, None, 1).await;
    let upper = IONET_KEY.to_uppercase();
    let out = keyctl(IONET, "revoke", &server, &[&upper, "--yes", "-o", "json"])
        .run()
        .await;
    out.code(0);
    assert_eq!(one_line(&out)["status"], "revoked");
    assert_eq!(
        calls(&server, IONET).await,
        [reads(IONET), vec![delete_call(IONET, IONET_KEY)]].concat()
    );
}

// ---------------------------------------------------------------------------------------------
// ROTATE: the successor's expiry policy

/// Rotates a ModelGates key created `created` and expiring `expires`; the create must carry
/// `expires_at` as `want` (see [`same_body`]).
async fn rotate_gates_with_times(created: Value, expires: Value, want: Value) -> Out {
    let server = common::server().await;
    let mut old = gates_key(GATES_KEY, "ci-runner");
    old["created_at"] = created;
    old["expires_at"] = expires;
    mount_read(&server, MODELGATES, GATES_KEY, 200, json!({ "data": old })).await;
    let mut body = successor_body(MODELGATES, "ci-runner");
    body["expires_at"] = want;
    mount_create(&server, MODELGATES, body).await;
    mount_patched(&server, MODELGATES, 1).await;
    let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
    assert_eq!(one_line(&out)["status"], "rotated", "{}", out.stdout);
    assert_eq!(
        bodies(&server, MODELGATES, "PATCH").await,
        [json!({"disabled": true, "name": rotated_out("ci-runner")})]
    );
    out
}

#[tokio::test]
async fn rotate_successor_lives_as_long_as_the_old_key_from_now() {
    // A 90-day key (itself a successor): 90 days from now, not the old key's date.
    rotate_gates_with_times(
        json!("2026-11-20T08:30:00Z"),
        json!("2027-02-18T08:30:00Z"),
        lives(ChronoDuration::days(90)),
    )
    .await;
    // An odd lifetime, to the second.
    rotate_gates_with_times(
        json!("2026-03-01T00:00:00Z"),
        json!("2026-12-01T01:02:03Z"),
        lives(lifetime("2026-03-01T00:00:00Z", "2026-12-01T01:02:03Z")),
    )
    .await;
}

#[tokio::test]
async fn rotate_successor_of_a_key_without_a_creation_time_keeps_its_expiry_moment() {
    // `created_at` missing (one that is not a time is refused: successor_settings.rs).
    for created in [None::<Value>] {
        let server = common::server().await;
        let mut old = gates_key(GATES_KEY, "ci-runner");
        match created {
            Some(c) => old["created_at"] = c,
            None => {
                old.as_object_mut().unwrap().remove("created_at");
            }
        }
        mount_read(&server, MODELGATES, GATES_KEY, 200, json!({ "data": old })).await;
        let mut body = successor_body(MODELGATES, "ci-runner");
        body["expires_at"] = json!("2099-12-31T23:59:59Z");
        mount_create(&server, MODELGATES, body).await;
        mount_patched(&server, MODELGATES, 1).await;
        let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY, "-o", "json"])
            .run()
            .await;
        out.code(0);
        assert_eq!(one_line(&out)["status"], "rotated");
    }
    // With `created_at: null` too.
    rotate_gates_with_times(
        Value::Null,
        json!("2099-12-31T23:59:59Z"),
        json!("2099-12-31T23:59:59Z"),
    )
    .await;
}

#[tokio::test]
async fn rotate_an_expired_old_key_with_a_creation_time_gets_a_successor_that_lives_as_long() {
    // A year-long key that ended in 2020: the successor gets a year from now.
    let life = lifetime("2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z");
    rotate_gates_with_times(
        json!("2019-01-01T00:00:00Z"),
        json!("2020-01-01T00:00:00Z"),
        lives(life),
    )
    .await;
}

#[tokio::test]
async fn rotate_successor_lifetime_on_ionet_and_venice() {
    // io.net writes times without a zone (UTC); Venice with milliseconds.
    for p in [IONET, VENICE] {
        let server = common::server().await;
        let name = "ci-runner";
        let want = match p.id {
            "ionet" => {
                let mut item = ionet_item(IONET_KEY, name);
                item["created_at"] = json!("2026-05-01T12:00:00");
                item["expires_at"] = json!("2026-05-31T12:00:00");
                mount_read(&server, p, p.key, 200, ionet_usage(p.key)).await;
                mount_ionet_list(&server, ionet_list(vec![item])).await;
                let mut b = successor_body(p, name);
                b["expires_at"] = lives(ChronoDuration::days(30));
                b
            }
            _ => {
                let mut k = venice_key(VENICE_KEY, name);
                k["createdAt"] = json!("2026-05-01T12:00:00.000Z");
                k["expiresAt"] = json!("2026-05-08T12:00:00.000Z");
                mount_read(&server, p, p.key, 200, json!({ "data": k })).await;
                let mut b = successor_body(p, name);
                b["expiresAt"] = lives(ChronoDuration::days(7));
                b
            }
        };
        mount_create(&server, p, want).await;
        // The old key already expired: it is kept as it is.
        forbid(&server, "PATCH").await;
        let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
            .run()
            .await;
        out.code(0);
        let line = one_line(&out);
        assert_eq!(line["status"], "rotated", "{p:?}: {line}");
        assert!(
            line["old_key"]["action"]
                .as_str()
                .unwrap()
                .starts_with("kept: it already expires at 2026-05-"),
            "{line}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// ROTATE: the old-key step's answer is checked

/// The old key's PATCH answered 200 with `answer`: partial, not done, non-zero exit, the
/// secret still on stdout and never on stderr.
async fn old_step_answer_not_applied(p: Prov, answer: Value) {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    mount_create(&server, p, successor_body(p, "ci-runner")).await;
    mount_patch(&server, p, 200, answer, 1).await;
    let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
        .run()
        .await;
    assert_ne!(out.code, 0, "{p:?}: {out:?}");
    out.stderr_has(p.key)
        .stderr_has(new_id(p))
        .stderr_has("The old key may still be active: finish by hand with `");
    not_on_stderr(&out, secret_of(p));
    let line = one_line(&out);
    assert_eq!(line["status"], "partial", "{p:?}: {line}");
    assert_eq!(line["old_key"]["done"], false, "{line}");
    assert_eq!(line["secret"], secret_of(p), "{line}");
    assert_eq!(line["new_key"], new_id(p), "{line}");
}

#[tokio::test]
async fn rotate_old_disable_answered_disabled_false_is_partial() {
    for p in GATES_FAMILY {
        old_step_answer_not_applied(p, json!({"data": gates_key(GATES_KEY, "ci-runner")})).await;
    }
}

#[tokio::test]
async fn rotate_old_expire_in_answered_with_another_expiry_is_partial() {
    // The old key's expiry as it was (2099), not now + 24 h.
    old_step_answer_not_applied(
        VENICE,
        json!({"success": true, "data": venice_key(VENICE_KEY, "ci-runner")}),
    )
    .await;
}

#[tokio::test]
async fn rotate_old_expire_in_answered_without_expiry_is_partial() {
    let mut k = venice_key(VENICE_KEY, "ci-runner");
    k["expiresAt"] = Value::Null;
    old_step_answer_not_applied(VENICE, json!({"success": true, "data": k})).await;
}

#[tokio::test]
async fn rotate_old_step_answered_as_applied_is_done() {
    // The expiry asked, written with milliseconds (the same moment), or half a second off.
    for shift in ["000", "500"] {
        let server = common::server().await;
        mount_old(&server, VENICE, "app").await;
        mount_create(&server, VENICE, successor_body(VENICE, "app")).await;
        Mock::given(method("PATCH"))
            .and(path("/api/v1/api_keys"))
            .respond_with(move |r: &Request| {
                let sent: Value = serde_json::from_slice(&r.body).unwrap();
                let mut k = venice_key(VENICE_KEY, "app");
                let at = sent["expiresAt"].as_str().unwrap();
                k["expiresAt"] = json!(at.replace('Z', &format!(".{shift}Z")));
                ok(200, json!({"success": true, "data": k}))
            })
            .expect(1)
            .mount(&server)
            .await;
        let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", "json"])
            .run()
            .await;
        check_rotated(VENICE, &server, &out, "expires at").await;
    }
    // io.net answers `{"status":"succeeded"}` alone.
    let (server, out) = rotate_default(IONET, "batch", &[]).await;
    check_rotated(IONET, &server, &out, "expires at").await;
}

// ---------------------------------------------------------------------------------------------
// ROTATE: --columns in TSV must keep the secret

#[tokio::test]
async fn rotate_tsv_columns_without_secret_is_exit_2_before_anything_is_sent() {
    for p in ALL {
        let server = common::server().await;
        let out = keyctl(
            p,
            "rotate",
            &server,
            &[p.key, "-o", "tsv", "--columns", "id,status"],
        )
        .run()
        .await;
        out.code(2).stderr_has("--columns").stderr_has("secret");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        assert!(calls(&server, p).await.is_empty(), "{p:?}");
    }
}

#[tokio::test]
async fn rotate_tsv_columns_with_secret_or_a_secret_file_rotates() {
    let server = common::server().await;
    mount_old(&server, MODELGATES, "ci-runner").await;
    mount_create(&server, MODELGATES, successor_body(MODELGATES, "ci-runner")).await;
    mount_patched(&server, MODELGATES, 1).await;
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &[GATES_KEY, "-o", "tsv", "--columns", "id,secret"],
    )
    .run()
    .await;
    out.code(0);
    assert_eq!(
        out.stdout,
        format!("id\tsecret\n{NEW_HASH}\t{GATES_SECRET}\n")
    );
    // A secret file takes the secret: the columns may leave it out.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("new.key");
    let server = common::server().await;
    mount_old(&server, MODELGATES, "ci-runner").await;
    mount_create(&server, MODELGATES, successor_body(MODELGATES, "ci-runner")).await;
    mount_patched(&server, MODELGATES, 1).await;
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &[
            GATES_KEY,
            "-o",
            "tsv",
            "--columns",
            "id,status",
            "--secret-file",
            f.to_str().unwrap(),
        ],
    )
    .run()
    .await;
    out.code(0);
    assert!(!out.stdout.contains(GATES_SECRET), "{}", out.stdout);
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        format!("{GATES_SECRET}\n")
    );
}
