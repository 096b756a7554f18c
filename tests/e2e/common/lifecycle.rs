//! Stand-ins and checks shared by the revoke and rotate tests: each provider as they drive it
//! ([`Prov`]), its key objects and create answers, mounts for reads, creates, old-key steps and
//! deletes, the request log, and the successor's expected body. A successor gets its old key's
//! expiry policy: `now + (expires - created)` in whole seconds, so its expected body holds a
//! [`lives`] marker that [`same_body`] checks against the run's clock.

use crate::common::stand_ins::{self, With};
use crate::common::{self, GATES_KEY, IONET_KEY, Keyctl, Out, SECRET, VENICE_KEY, echo};
use chrono::{DateTime, Duration as ChronoDuration, Timelike, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// One provider as these tests drive it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Prov {
    pub(crate) id: &'static str,
    pub(crate) env: &'static str,
    pub(crate) key: &'static str,
}

pub(crate) const MODELGATES: Prov = Prov {
    id: "modelgates",
    env: "MODELGATES_MANAGEMENT_KEY",
    key: GATES_KEY,
};

pub(crate) const NOVAPAI: Prov = Prov {
    id: "novapai",
    env: "NOVAPAI_MANAGEMENT_KEY",
    key: GATES_KEY,
};

pub(crate) const OPENROUTER: Prov = Prov {
    id: "openrouter",
    env: "OPENROUTER_MANAGEMENT_KEY",
    key: GATES_KEY,
};

pub(crate) const IONET: Prov = Prov {
    id: "ionet",
    env: "IONET_ADMIN_KEY",
    key: IONET_KEY,
};

pub(crate) const VENICE: Prov = Prov {
    id: "venice",
    env: "VENICE_ADMIN_KEY",
    key: VENICE_KEY,
};

/// The OpenRouter-style providers (one API, three hosts).
pub(crate) const GATES_FAMILY: [Prov; 3] = [MODELGATES, NOVAPAI, OPENROUTER];

pub(crate) const ALL: [Prov; 5] = [MODELGATES, NOVAPAI, OPENROUTER, IONET, VENICE];

/// The successors' ids and secrets (none contains TOPSECRET, which `scan` looks for).
pub(crate) const NEW_HASH: &str =
    "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";

pub(crate) const NEW_UUID: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";

pub(crate) const GATES_SECRET: &str = "sk-or-v1-NEWSECRET-0a1b2c3d4e5f60718293a4b5c6d7e8f9";

pub(crate) const IONET_SECRET: &str = "io-v2-NEWSECRET-eyJhbGciOiJIUzI1NiJ9.c2VjcmV0c2VjcmV0";

pub(crate) const VENICE_SECRET: &str = "VENICE_INFERENCE_KEY_NEWSECRET_q8w7e6r5t4y3u2i1o0p9";

/// A second and third key of each kind, for runs of several keys.
pub(crate) const GATES_KEY_2: &str =
    "9b2e4f10c3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f";

pub(crate) const GATES_KEY_3: &str =
    "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

pub(crate) const IONET_KEY_2: &str = "5a6b7c8d-1e2f-4a3b-9c4d-5e6f7a8b9c0d";

pub(crate) const VENICE_KEY_2: &str = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e";

/// An OpenRouter-style key object: $50 a month, BYOK counted, expiring in 2099.
pub(crate) fn gates_key(hash: &str, name: &str) -> Value {
    stand_ins::gates_key(hash, name).with(json!({
        "label": "sk-or-v1-abc...xyz",
        "limit": 50, "limit_remaining": 40, "limit_reset": "monthly",
        "include_byok_in_limit": true, "usage": 10, "usage_daily": 1, "usage_weekly": 3,
        "usage_monthly": 10, "byok_usage": 0, "byok_usage_daily": 0, "byok_usage_weekly": 0,
        "byok_usage_monthly": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": null,
        "expires_at": "2099-12-31T23:59:59Z", "creator_user_id": null, "workspace_id": null
    }))
}

pub(crate) fn gates_created(name: &str) -> Value {
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
pub(crate) fn ionet_usage(id: &str) -> Value {
    json!({"status": "succeeded", "data": {
        "key_id": id, "credit_used": 3.5, "credit_limit": 100, "remaining_credit": 96.5,
        "credit_refresh_cycle": "weekly"}})
}

/// A sub-key as the io.net list shows it: 100 credits a week, two models, expiring in 2099.
pub(crate) fn ionet_item(id: &str, description: &str) -> Value {
    json!({
        "id": id, "description": description, "display": "io-v2-abcd...wxyz",
        "created_at": "2026-01-01T00:00:00", "expires_at": "2099-01-01T00:00:00",
        "expired": false, "allowed_models": ["llama-3", "qwen"], "credit_limit": 100,
        "credit_used": 3.5, "credit_refresh_cycle": "weekly"
    })
}

pub(crate) fn ionet_list(items: Vec<Value>) -> Value {
    json!({"status": "succeeded", "data": items})
}

pub(crate) fn ionet_created() -> Value {
    json!({"status": "succeeded", "data": {
        "key_id": NEW_UUID, "value": IONET_SECRET, "display": "io-v2-NEWS...c3Q",
        "admin_user_id": "0b9c8d7e-6f5a-4b3c-2d1e-0f9a8b7c6d5e", "description": "batch",
        "allowed_models": ["llama-3", "qwen"], "credit_limit": 100.0,
        "credit_refresh_cycle": "weekly", "expires_at": "2099-01-01T00:00:00"}})
}

/// A Venice key as `GET /api_keys/{id}` shows it: $50 and 10 DIEM a month, private models only.
pub(crate) fn venice_key(id: &str, description: &str) -> Value {
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

pub(crate) fn venice_created(kind: &str) -> Value {
    json!({"success": true, "data": {
        "id": NEW_UUID, "apiKey": VENICE_SECRET, "apiKeyType": kind, "description": "app",
        "expiresAt": "2099-06-01T00:00:00.000Z",
        "consumptionLimit": {"usd": 50, "diem": 10, "vcu": null},
        "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY"}})
}

pub(crate) fn ok(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// The read of one key answered with `body` (io.net: its usage; the list is mounted apart).
pub(crate) async fn mount_read(server: &MockServer, p: Prov, key: &str, status: u16, body: Value) {
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
pub(crate) async fn mount_old(server: &MockServer, p: Prov, name: &str) {
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

pub(crate) async fn mount_ionet_list(server: &MockServer, body: Value) {
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(ok(200, body))
        .mount(server)
        .await;
}

/// The path and query of the delete of `key`, and its success answer.
pub(crate) fn delete_of(p: Prov, key: &str) -> (String, Option<String>, Value) {
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
pub(crate) async fn mount_delete(
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
pub(crate) async fn forbid(server: &MockServer, verb: &str) {
    Mock::given(method(verb))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .named(format!("no {verb} may be sent"))
        .mount(server)
        .await;
}

/// No write at all: no POST, PATCH or DELETE.
pub(crate) async fn forbid_writes(server: &MockServer) {
    for verb in ["POST", "PATCH", "DELETE"] {
        forbid(server, verb).await;
    }
}

/// The create path of each provider.
pub(crate) fn create_path(p: Prov) -> &'static str {
    match p.id {
        "ionet" => "/v1/api-keys/sub-keys",
        "venice" => "/api/v1/api_keys",
        _ => "/api/v1/keys",
    }
}

/// The create, expected once with exactly `body` (see [`same_body`]), answered with the
/// provider's success (Venice: and the successor's read-back, holding the caps sent).
pub(crate) async fn mount_create(server: &MockServer, p: Prov, body: Value) {
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
pub(crate) async fn mount_create_answer(
    server: &MockServer,
    p: Prov,
    body: Value,
    answer: ResponseTemplate,
) {
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
pub(crate) struct Successor {
    pub(crate) want: Value,
    pub(crate) from: DateTime<Utc>,
}

impl Match for Successor {
    fn matches(&self, r: &Request) -> bool {
        serde_json::from_slice::<Value>(&r.body)
            .is_ok_and(|got| same_body(&got, &self.want, self.from).is_ok())
    }
}

/// The marker of an expiry that is `life` from the moment of the run (whole seconds).
pub(crate) fn lives(life: ChronoDuration) -> Value {
    json!({ "$lives": life.num_seconds() })
}

/// `expires - created`, both as a provider writes them (io.net without a zone: UTC).
pub(crate) fn lifetime(created: &str, expires: &str) -> ChronoDuration {
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
pub(crate) fn same_body(got: &Value, want: &Value, from: DateTime<Utc>) -> Result<(), String> {
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
pub(crate) fn update_path(p: Prov) -> String {
    match p.id {
        "ionet" => format!("/v1/api-keys/sub-keys/{}", p.key),
        "venice" => "/api/v1/api_keys".into(),
        _ => format!("/api/v1/keys/{}", p.key),
    }
}

/// The PATCH of the old key, answered `status`/`body`, expected `times` times (any body: the
/// body is checked from the recorded requests).
pub(crate) async fn mount_patch(
    server: &MockServer,
    p: Prov,
    status: u16,
    body: Value,
    times: u64,
) {
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
pub(crate) async fn mount_patched(server: &MockServer, p: Prov, times: u64) {
    Mock::given(method("PATCH"))
        .and(path(update_path(p)))
        .respond_with(move |r: &Request| ok(200, applied(p, r)))
        .expect(times)
        .mount(server)
        .await;
}

/// What a provider answers to the PATCH `r` once applied.
pub(crate) fn applied(p: Prov, r: &Request) -> Value {
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

pub(crate) fn keyctl(p: Prov, verb: &str, server: &MockServer, rest: &[&str]) -> Keyctl {
    Keyctl::new(p.env, &[verb, "-p", p.id])
        .args(rest)
        .base(server)
}

/// `METHOD /path?query` of a recorded request.
pub(crate) fn call(r: &Request) -> String {
    match r.url.query() {
        Some(q) => format!("{} {}?{q}", r.method, r.url.path()),
        None => format!("{} {}", r.method, r.url.path()),
    }
}

/// Every request the server got, each checked for the provider's credential header (and no
/// other credential header).
pub(crate) async fn received(server: &MockServer, p: Prov) -> Vec<Request> {
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

pub(crate) async fn calls(server: &MockServer, p: Prov) -> Vec<String> {
    received(server, p).await.iter().map(call).collect()
}

/// The JSON bodies of the requests with `verb`.
pub(crate) async fn bodies(server: &MockServer, p: Prov, verb: &str) -> Vec<Value> {
    received(server, p)
        .await
        .iter()
        .filter(|r| r.method.as_str() == verb)
        .map(|r| echo(r)["body"].clone())
        .collect()
}

/// The one JSON line on stdout.
pub(crate) fn one_line(out: &Out) -> Value {
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "stdout:\n{}", out.stdout);
    lines.into_iter().next().unwrap()
}

/// The new secret is nowhere on stderr, nor a large piece of it.
pub(crate) fn not_on_stderr(out: &Out, secret: &str) {
    assert!(
        !out.stderr.contains(secret) && !out.stderr.contains(&secret[..16]),
        "the new secret reached stderr:\n{}",
        out.stderr
    );
}

/// The provider's name as keyctl writes it.
pub(crate) fn display(p: Prov) -> &'static str {
    match p.id {
        "modelgates" => "ModelGates",
        "novapai" => "novapai",
        "openrouter" => "OpenRouter",
        "ionet" => "io.net",
        _ => "Venice",
    }
}

/// The line before a new secret in a table.
pub(crate) const SECRET_HEADING: &str =
    "  secret (shown only this once: the provider will not show it again; store it now):";

/// The table block of a new key in `stdout`: the line `heading`, then only the key's
/// `field: value` lines indented by two spaces, then [`SECRET_HEADING`], then the secret alone
/// on its own line, not indented. A Venice successor (`read_back`: its caps are read back once
/// its secret is out) has its field lines after the secret instead, none before it. Returns the
/// index (in `stdout.lines()`) of the line after the block, where the old key's line goes.
pub(crate) fn check_block(stdout: &str, heading: &str, secret: &str, read_back: bool) -> usize {
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
pub(crate) fn finish_by_hand(p: Prov, server: &MockServer, old: &str, key: &str) -> String {
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

pub(crate) fn today() -> String {
    Utc::now().date_naive().format("%Y-%m-%d").to_string()
}

/// The successor's name: the old key's exact name (issue 21: the name stays).
pub(crate) fn rotated(name: &str) -> String {
    name.to_string()
}

/// The old key's name after the old-key step: `NAME (rotated out YYYY-MM-DD)` (UTC).
pub(crate) fn rotated_out(name: &str) -> String {
    format!("{name} (rotated out {})", today())
}

pub(crate) fn secret_of(p: Prov) -> &'static str {
    match p.id {
        "ionet" => IONET_SECRET,
        "venice" => VENICE_SECRET,
        _ => GATES_SECRET,
    }
}

pub(crate) fn new_id(p: Prov) -> &'static str {
    match p.id {
        "ionet" | "venice" => NEW_UUID,
        _ => NEW_HASH,
    }
}

/// The lifetime (expiry minus creation) of the keys of [`mount_old`].
pub(crate) fn old_life(p: Prov) -> ChronoDuration {
    match p.id {
        "ionet" => lifetime("2026-01-01T00:00:00", "2099-01-01T00:00:00"),
        "venice" => lifetime("2026-01-01T00:00:00.000Z", "2099-06-01T00:00:00.000Z"),
        _ => lifetime("2026-01-01T00:00:00Z", "2099-12-31T23:59:59Z"),
    }
}

/// The successor body each provider gets for the keys of [`mount_old`] named `name`: the same
/// settings, and the same lifetime from now.
pub(crate) fn successor_body(p: Prov, name: &str) -> Value {
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
pub(crate) fn reads(p: Prov) -> Vec<String> {
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
pub(crate) fn created_calls(p: Prov) -> Vec<String> {
    let mut v = vec![format!("POST {}", create_path(p))];
    if p.id == "venice" {
        v.push(format!("GET /api/v1/api_keys/{NEW_UUID}"));
    }
    v
}

pub(crate) fn delete_call(p: Prov, key: &str) -> String {
    match p.id {
        "ionet" => format!("DELETE /v1/api-keys/sub-keys/{key}"),
        "venice" => format!("DELETE /api/v1/api_keys?id={key}"),
        _ => format!("DELETE /api/v1/keys/{key}"),
    }
}

/// A timestamp about `hours` from now (within a minute either side), as a string with `Z` and
/// whole seconds.
pub(crate) fn about_hours_from_now(s: &Value, hours: i64) {
    let s = s.as_str().unwrap_or_else(|| panic!("not a string: {s}"));
    assert!(s.ends_with('Z'), "{s} does not end with Z");
    assert!(!s.contains('.'), "{s} has a fraction of a second");
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(s).unwrap().into();
    let want = Utc::now() + ChronoDuration::hours(hours);
    let off = (at - want).num_seconds().abs();
    assert!(off < 60, "{s} is {off} s away from now + {hours} h");
}
