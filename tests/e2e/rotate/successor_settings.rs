//! Issue 20, finding 3 (and the successor half of finding 10): `rotate` builds a successor only
//! from settings it read in full. An old key whose cap, expiry, reset, allow-list, BYOK setting
//! or privacy is absent or not a value keyctl can read gets no successor: exit 7 (kind
//! `provider`), the message naming the field and the flag that gives it, only the reads sent
//! (no POST, and nothing done to the old key). The flag given for that field makes the old
//! value irrelevant and the rotation proceeds. A successor expiry past the year 9999 is refused
//! the same way. Last, under "answers with unreadable numbers": an `update` answered with a
//! cap it cannot read (`1e400`, `"abc"`) is exit 7, not the value sent shown as the result.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::request_log::seen;
use crate::common::{self, GATES_KEY, IONET_KEY, Keyctl, Out, VENICE_KEY, echo};

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

const NEW_HASH: &str = "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";
const NEW_UUID: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";
const GATES_SECRET: &str = "sk-or-v1-NEWSECRET-0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const IONET_SECRET: &str = "io-v2-NEWSECRET-eyJhbGciOiJIUzI1NiJ9.c2VjcmV0c2VjcmV0";
const VENICE_SECRET: &str = "VENICE_INFERENCE_KEY_NEWSECRET_q8w7e6r5t4y3u2i1o0p9";

// ---------------------------------------------------------------------------------------------
// The old keys, read in full

/// An OpenRouter-style key: $50 a month, BYOK counted, no expiry.
fn gates_key() -> Value {
    json!({
        "hash": GATES_KEY, "name": "ci-runner", "label": "sk-or-v1-abc...xyz",
        "disabled": false, "limit": 50, "limit_remaining": 40, "limit_reset": "monthly",
        "include_byok_in_limit": true, "usage": 10, "usage_daily": 1, "usage_weekly": 3,
        "usage_monthly": 10, "created_at": "2026-01-01T00:00:00Z", "updated_at": null,
        "expires_at": null
    })
}

/// A Venice key: $50 and 10 DIEM a month, no VCU cap, private models only, no expiry.
fn venice_key() -> Value {
    json!({
        "id": VENICE_KEY, "apiKeyType": "INFERENCE", "description": "app",
        "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": null, "lastUsedAt": null,
        "consumptionLimits": {"usd": 50, "diem": 10, "vcu": null},
        "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY",
        "currentPeriodUsage": {"usd": "1.5", "diem": "0"}
    })
}

/// io.net's usage answer (its only single-key read).
fn ionet_usage() -> Value {
    json!({"status": "succeeded", "data": {
        "key_id": IONET_KEY, "credit_used": 3.5, "credit_limit": 100, "remaining_credit": 96.5,
        "credit_refresh_cycle": "weekly"}})
}

/// The io.net list entry: 100 credits a week, two models, no expiry.
fn ionet_item() -> Value {
    json!({
        "id": IONET_KEY, "description": "batch", "display": "io-v2-abcd...wxyz",
        "created_at": "2026-01-01T00:00:00", "expires_at": null, "expired": false,
        "allowed_models": ["llama-3", "qwen"], "credit_limit": 100, "credit_used": 3.5,
        "credit_refresh_cycle": "weekly"
    })
}

/// `v` with `field` (dots between object keys) set to `odd` (JSON text, so `1e400` keeps its
/// digits), or removed when `odd` is `None`.
fn with(mut v: Value, field: &str, odd: Option<&str>) -> Value {
    let mut parts: Vec<&str> = field.split('.').collect();
    let last = parts.pop().unwrap();
    let mut at = &mut v;
    for part in parts {
        at = at.get_mut(part).unwrap();
    }
    let o = at.as_object_mut().unwrap();
    match odd {
        Some(text) => {
            let odd: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            o.insert(last.into(), odd);
        }
        None => {
            o.remove(last);
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// Mocks and runs

fn ok(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// The read of `p.key` answered with `key` (io.net: `key` is the list entry, and the usage
/// answer is `usage`).
async fn mount_old(server: &MockServer, p: Prov, key: Value, usage: Option<Value>) {
    let (at, body) = match p.id {
        "ionet" => {
            Mock::given(method("GET"))
                .and(path("/v1/api-keys/sub-keys"))
                .respond_with(ok(200, json!({"status": "succeeded", "data": [key]})))
                .mount(server)
                .await;
            (
                format!("/v1/api-keys/sub-keys/{IONET_KEY}/usage"),
                usage.unwrap_or_else(ionet_usage),
            )
        }
        "venice" => (
            format!("/api/v1/api_keys/{VENICE_KEY}"),
            json!({"data": key, "success": true}),
        ),
        _ => (format!("/api/v1/keys/{GATES_KEY}"), json!({ "data": key })),
    };
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ok(200, body))
        .mount(server)
        .await;
}

/// Fails the test (when the server is dropped) if any write reaches it: no create, and
/// nothing done to the old key.
async fn forbid_writes(server: &MockServer) {
    for verb in ["POST", "PATCH", "DELETE"] {
        Mock::given(method(verb))
            .respond_with(ResponseTemplate::new(500))
            .expect(0)
            .named(format!("no {verb} may be sent"))
            .mount(server)
            .await;
    }
}

/// The read requests of `p.key`, in order.
fn reads(p: Prov) -> Vec<String> {
    match p.id {
        "ionet" => vec![
            format!("GET /v1/api-keys/sub-keys/{IONET_KEY}/usage"),
            "GET /v1/api-keys/sub-keys".into(),
        ],
        "venice" => vec![format!("GET /api/v1/api_keys/{VENICE_KEY}")],
        _ => vec![format!("GET /api/v1/keys/{GATES_KEY}")],
    }
}

fn rotate(p: Prov, server: &MockServer, extra: &[&str]) -> Keyctl {
    Keyctl::new(p.env, &["rotate", "-p", p.id, p.key, "-o", "json"])
        .args(extra)
        .base(server)
}

/// The one JSON line on stdout.
fn one_line(out: &Out) -> Value {
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "stdout:\n{}", out.stdout);
    lines.into_iter().next().unwrap()
}

/// Rotating `p.key` read as `key` (and io.net's `usage`) is refused: exit 7, status `failed`,
/// kind `provider`, the message naming `field` and `flag` on stdout's JSON and on stderr, and
/// the server saw the reads and nothing else.
async fn refused(p: Prov, key: Value, usage: Option<Value>, field: &str, flag: &str) -> String {
    let what = format!("{} {field}: {key}", p.id);
    let server = common::server().await;
    mount_old(&server, p, key, usage).await;
    forbid_writes(&server).await;
    let out = rotate(p, &server, &[]).run().await;
    assert_eq!(out.code, 7, "{what}: {out:?}");
    let line = one_line(&out);
    assert_eq!(line["status"], "failed", "{what}: {line}");
    assert_eq!(line["error"]["kind"], "provider", "{what}: {line}");
    let message = line["error"]["message"].as_str().unwrap_or_default();
    let named = format!("the old key's {field} could not be read");
    for text in [message, out.stderr.as_str()] {
        assert!(text.contains(&named), "{what}: {text}");
        assert!(text.contains(flag), "{what}: {text}");
        assert!(text.contains("nothing was created"), "{what}: {text}");
    }
    assert!(
        line.get("secret").is_none() && line.get("new_key").is_none(),
        "{line}"
    );
    assert_eq!(seen(&server).await, reads(p), "{what}");
    message.to_string()
}

// =============================================================================================
// Settings that cannot be read: no successor

#[tokio::test]
async fn modelgates_limit_absent_or_odd_gets_no_successor() {
    for odd in [
        None,
        Some("-5"),
        Some("true"),
        Some("{}"),
        Some("1e400"),
        Some("\"x\""),
    ] {
        let key = with(gates_key(), "limit", odd);
        refused(MODELGATES, key, None, "limit", "--limit").await;
    }
}

#[tokio::test]
async fn modelgates_expiry_absent_or_odd_gets_no_successor() {
    for odd in [None, Some("\"soon\""), Some("5"), Some("{}"), Some("true")] {
        let key = with(gates_key(), "expires_at", odd);
        refused(MODELGATES, key, None, "expires", "--expires").await;
    }
}

#[tokio::test]
async fn modelgates_reset_and_byok_absent_or_odd_get_no_successor() {
    for odd in [None, Some("\"fortnightly\""), Some("3")] {
        let key = with(gates_key(), "limit_reset", odd);
        refused(MODELGATES, key, None, "reset", "--reset").await;
    }
    for odd in [None, Some("\"yes\""), Some("1")] {
        let key = with(gates_key(), "include_byok_in_limit", odd);
        let flag = "--include-byok-in-limit";
        refused(MODELGATES, key, None, "include_byok_in_limit", flag).await;
    }
}

#[tokio::test]
async fn novapai_and_openrouter_odd_limit_or_expiry_get_no_successor() {
    for p in [NOVAPAI, OPENROUTER] {
        for odd in [None, Some("-5"), Some("1e400")] {
            refused(p, with(gates_key(), "limit", odd), None, "limit", "--limit").await;
        }
        for odd in [None, Some("\"x\"")] {
            let key = with(gates_key(), "expires_at", odd);
            refused(p, key, None, "expires", "--expires").await;
        }
    }
}

#[tokio::test]
async fn venice_without_consumption_limits_gets_no_successor() {
    for odd in [None, Some("\"50\""), Some("[]")] {
        let key = with(venice_key(), "consumptionLimits", odd);
        refused(VENICE, key, None, "limits", "--limit-diem").await;
    }
}

#[tokio::test]
async fn venice_odd_currency_gets_no_successor() {
    for (field, odd, flag) in [
        ("diem", "\"x\"", "--limit-diem"),
        ("diem", "-1", "--limit-diem"),
        ("diem", "1e400", "--limit-diem"),
        ("usd", "true", "--limit"),
        ("usd", "\"50\"", "--limit"),
        ("vcu", "{}", "--limit-vcu"),
    ] {
        let key = with(
            venice_key(),
            &format!("consumptionLimits.{field}"),
            Some(odd),
        );
        refused(VENICE, key, None, &format!("limits.{field}"), flag).await;
    }
}

#[tokio::test]
async fn venice_privacy_absent_or_unknown_gets_no_successor() {
    for odd in [None, Some("\"SECRET_ONLY\""), Some("null"), Some("2")] {
        let key = with(venice_key(), "modelPrivacy", odd);
        refused(VENICE, key, None, "privacy", "--privacy").await;
    }
}

#[tokio::test]
async fn venice_key_type_absent_or_unknown_gets_no_successor() {
    // A successor without the type would be the provider's default (INFERENCE).
    for odd in [None, Some("\"OWNER\""), Some("null"), Some("1")] {
        let key = with(venice_key(), "apiKeyType", odd);
        refused(VENICE, key, None, "apiKeyType", "--type").await;
    }
}

#[tokio::test]
async fn venice_expiry_or_period_absent_or_odd_gets_no_successor() {
    for odd in [None, Some("\"soon\""), Some("7")] {
        let key = with(venice_key(), "expiresAt", odd);
        refused(VENICE, key, None, "expires", "--expires").await;
    }
    for odd in [None, Some("\"FORTNIGHT\"")] {
        let key = with(venice_key(), "limitPeriod", odd);
        refused(VENICE, key, None, "reset", "--reset").await;
    }
}

#[tokio::test]
async fn ionet_without_allowed_models_gets_no_successor() {
    for odd in [None, Some("\"all\""), Some("[1]"), Some("{}")] {
        let key = with(ionet_item(), "allowed_models", odd);
        refused(IONET, key, None, "models", "--models").await;
    }
}

#[tokio::test]
async fn ionet_negative_or_odd_credit_limit_gets_no_successor() {
    for odd in [Some("-1"), Some("\"x\""), Some("1e400"), None] {
        let key = with(ionet_item(), "credit_limit", odd);
        let usage = with(ionet_usage(), "data.credit_limit", odd);
        refused(IONET, key, Some(usage), "limit", "--limit").await;
    }
}

#[tokio::test]
async fn ionet_expiry_or_cycle_absent_or_odd_gets_no_successor() {
    for odd in [None, Some("\"soon\"")] {
        let key = with(ionet_item(), "expires_at", odd);
        refused(IONET, key, None, "expires", "--expires").await;
    }
    let key = with(ionet_item(), "credit_refresh_cycle", None);
    let usage = with(ionet_usage(), "data.credit_refresh_cycle", None);
    refused(IONET, key, Some(usage), "reset", "--reset").await;
}

/// A dry run plans the same: the key fails, nothing is sent.
#[tokio::test]
async fn a_dry_run_shows_the_same_refusal() {
    let server = common::server().await;
    mount_old(
        &server,
        MODELGATES,
        with(gates_key(), "limit", Some("-5")),
        None,
    )
    .await;
    forbid_writes(&server).await;
    let out = rotate(MODELGATES, &server, &["--dry-run"]).run().await;
    assert_eq!(out.code, 7, "{out:?}");
    let line = one_line(&out);
    assert_eq!(line["status"], "failed", "{line}");
    assert_eq!(line["error"]["kind"], "provider", "{line}");
    assert_eq!(seen(&server).await, reads(MODELGATES));
}

// =============================================================================================
// A flag given for the field: the old value is irrelevant and the rotation proceeds

/// The create, expected once with exactly `body`, answered with the provider's success
/// (Venice: and the successor's read-back).
async fn mount_create(server: &MockServer, p: Prov, body: Value) {
    let (at, status, answer) = match p.id {
        "ionet" => (
            "/v1/api-keys/sub-keys",
            201,
            json!({"status": "succeeded", "data": {
                "key_id": NEW_UUID, "value": IONET_SECRET, "display": "io-v2-NEWS...c3Q",
                "description": "batch", "credit_limit": 100.0, "credit_refresh_cycle": "weekly"}}),
        ),
        "venice" => (
            "/api/v1/api_keys",
            200,
            json!({"success": true, "data": {
                "id": NEW_UUID, "apiKey": VENICE_SECRET, "apiKeyType": "INFERENCE",
                "description": "app", "consumptionLimit": {"usd": 5, "diem": null, "vcu": null},
                "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY"}}),
        ),
        _ => (
            "/api/v1/keys",
            201,
            json!({"data": {"hash": NEW_HASH, "name": "ci-runner", "disabled": false,
                            "limit": 20, "limit_reset": "monthly", "expires_at": null},
                   "key": GATES_SECRET}),
        ),
    };
    if p.id == "venice" {
        // The successor sets caps, so it is read back: it holds those sent.
        common::venice_read_back(server, &answer).await;
    }
    Mock::given(method("POST"))
        .and(path(at))
        .and(wiremock::matchers::body_json(body))
        .respond_with(ok(status, answer))
        .expect(1)
        .mount(server)
        .await;
}

/// The default old-key step (ModelGates: disable; io.net, Venice: expire in 24 h), answered
/// as applied.
async fn mount_old_step(server: &MockServer, p: Prov, key: Value) {
    let at = match p.id {
        "ionet" => format!("/v1/api-keys/sub-keys/{IONET_KEY}"),
        "venice" => "/api/v1/api_keys".into(),
        _ => format!("/api/v1/keys/{GATES_KEY}"),
    };
    Mock::given(method("PATCH"))
        .and(path(at))
        .respond_with(move |r: &Request| {
            let sent = echo(r)["body"].clone();
            let mut k = key.clone();
            match p.id {
                "ionet" => return ok(200, json!({"status": "succeeded"})),
                "venice" => k["expiresAt"] = sent["expiresAt"].clone(),
                _ => k["disabled"] = sent["disabled"].clone(),
            }
            ok(200, json!({"data": k, "success": true}))
        })
        .expect(1)
        .mount(server)
        .await;
}

/// The successor's name: the old key's exact name (issue 21).
fn rotated(name: &str) -> String {
    name.to_string()
}

/// Rotating `p.key` read as `key` with `flags`: the successor is created with exactly `body`
/// and the old key's step follows: status `rotated`, exit 0.
async fn proceeds(p: Prov, key: Value, usage: Option<Value>, flags: &[&str], body: Value) {
    let server = common::server().await;
    mount_old(&server, p, key.clone(), usage).await;
    mount_create(&server, p, body).await;
    mount_old_step(&server, p, key).await;
    let out = rotate(p, &server, flags).run().await;
    out.code(0);
    let line = one_line(&out);
    assert_eq!(line["status"], "rotated", "{line}");
    let mut want = reads(p);
    want.push(match p.id {
        "ionet" => "POST /v1/api-keys/sub-keys".to_string(),
        "venice" => "POST /api/v1/api_keys".to_string(),
        _ => "POST /api/v1/keys".to_string(),
    });
    if p.id == "venice" {
        want.push(format!("GET /api/v1/api_keys/{NEW_UUID}"));
    }
    want.push(match p.id {
        "ionet" => format!("PATCH /v1/api-keys/sub-keys/{IONET_KEY}"),
        "venice" => "PATCH /api/v1/api_keys".to_string(),
        _ => format!("PATCH /api/v1/keys/{GATES_KEY}"),
    });
    assert_eq!(seen(&server).await, want);
}

#[tokio::test]
async fn a_limit_flag_overrides_an_unreadable_modelgates_limit() {
    for odd in [None, Some("-5"), Some("1e400")] {
        proceeds(
            MODELGATES,
            with(gates_key(), "limit", odd),
            None,
            &["--limit", "20"],
            json!({"name": rotated("ci-runner"), "limit": 20, "limit_reset": "monthly",
                   "include_byok_in_limit": true, "expires_at": null}),
        )
        .await;
    }
}

#[tokio::test]
async fn an_expires_flag_overrides_an_unreadable_expiry() {
    proceeds(
        MODELGATES,
        with(gates_key(), "expires_at", Some("\"soon\"")),
        None,
        &["--expires", "never"],
        json!({"name": rotated("ci-runner"), "limit": 50, "limit_reset": "monthly",
               "include_byok_in_limit": true, "expires_at": null}),
    )
    .await;
}

#[tokio::test]
async fn every_currency_given_overrides_a_missing_venice_consumption_limits() {
    let key = with(venice_key(), "consumptionLimits", None);
    proceeds(
        VENICE,
        key,
        None,
        &[
            "--limit",
            "5",
            "--limit-diem",
            "none",
            "--limit-vcu",
            "none",
        ],
        json!({"apiKeyType": "INFERENCE", "description": rotated("app"),
               "consumptionLimit": {"usd": 5, "diem": null, "vcu": null},
               "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY"}),
    )
    .await;
}

#[tokio::test]
async fn a_privacy_flag_overrides_an_unknown_venice_privacy() {
    proceeds(
        VENICE,
        with(venice_key(), "modelPrivacy", Some("\"SECRET_ONLY\"")),
        None,
        &["--privacy", "private-text"],
        json!({"apiKeyType": "INFERENCE", "description": rotated("app"),
               "consumptionLimit": {"usd": 50, "diem": 10, "vcu": null},
               "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_TEXT"}),
    )
    .await;
}

/// A currency the object leaves out has no cap set: the successor leaves it out too.
#[tokio::test]
async fn a_currency_left_out_of_venice_caps_is_left_out_of_the_successor() {
    proceeds(
        VENICE,
        with(venice_key(), "consumptionLimits.vcu", None),
        None,
        &[],
        json!({"apiKeyType": "INFERENCE", "description": rotated("app"),
               "consumptionLimit": {"usd": 50, "diem": 10},
               "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY"}),
    )
    .await;
}

#[tokio::test]
async fn a_models_flag_overrides_a_missing_ionet_allow_list() {
    // `--models all` on an io.net create is the field left out (every model).
    proceeds(
        IONET,
        with(ionet_item(), "allowed_models", None),
        None,
        &["--models", "all"],
        json!({"description": rotated("batch"), "credit_limit": 100,
               "credit_refresh_cycle": "weekly", "expires_at": "never"}),
    )
    .await;
    let key = with(ionet_item(), "credit_limit", Some("-1"));
    let usage = with(ionet_usage(), "data.credit_limit", Some("-1"));
    proceeds(
        IONET,
        key,
        Some(usage),
        &["--limit", "100"],
        json!({"description": rotated("batch"), "credit_limit": 100,
               "credit_refresh_cycle": "weekly", "allowed_models": ["llama-3", "qwen"],
               "expires_at": "never"}),
    )
    .await;
}

// =============================================================================================
// An expiry past the year 9999

/// Made in 1970 and ending in 9999: that life again from now ends in the year 10056 or so,
/// which RFC 3339 cannot write (it was sent as `+10056-…`).
#[tokio::test]
async fn a_successor_expiry_past_9999_is_refused() {
    for p in [MODELGATES, VENICE, IONET] {
        let key = match p.id {
            "venice" => with(
                with(
                    venice_key(),
                    "createdAt",
                    Some("\"1970-01-01T00:00:00.000Z\""),
                ),
                "expiresAt",
                Some("\"9999-12-31T23:59:59.000Z\""),
            ),
            "ionet" => with(
                with(ionet_item(), "created_at", Some("\"1970-01-01T00:00:00\"")),
                "expires_at",
                Some("\"9999-12-31T23:59:59\""),
            ),
            _ => with(
                with(gates_key(), "created_at", Some("\"1970-01-01T00:00:00Z\"")),
                "expires_at",
                Some("\"9999-12-31T23:59:59Z\""),
            ),
        };
        let server = common::server().await;
        mount_old(&server, p, key, None).await;
        forbid_writes(&server).await;
        let out = rotate(p, &server, &[]).run().await;
        assert_eq!(out.code, 7, "{}: {out:?}", p.id);
        let line = one_line(&out);
        assert_eq!(line["error"]["kind"], "provider", "{line}");
        let m = line["error"]["message"].as_str().unwrap_or_default();
        assert!(
            m.contains("expires") && m.contains("year 9999") && m.contains("--expires"),
            "{m}"
        );
        assert!(
            !out.stderr.contains("+10") && !out.stdout.contains("+10"),
            "{out:?}"
        );
        assert_eq!(seen(&server).await, reads(p), "{}", p.id);
    }
}

/// `--expires` past 9999 is a usage error (exit 2) before anything is sent.
#[tokio::test]
async fn an_expires_flag_past_9999_is_exit_2_before_anything_is_sent() {
    let server = common::server().await;
    forbid_writes(&server).await;
    let out = rotate(MODELGATES, &server, &["--expires", "8000y"])
        .run()
        .await;
    out.code(2).stderr_has("after the year 9999");
    assert_eq!(seen(&server).await, Vec::<String>::new());
}

// =============================================================================================
// Answers with unreadable numbers (finding 10): an update whose success answer shows the
// cap it set as something keyctl cannot read is exit 7, never the value sent shown as the
// result.

/// `update -p P KEY ARGS -o json` answered `answer`: the run's one JSON line.
async fn update_answered(p: Prov, args: &[&str], answer: Value) -> (Out, Value) {
    let server = common::server().await;
    let at = match p.id {
        "ionet" => format!("/v1/api-keys/sub-keys/{IONET_KEY}"),
        "venice" => "/api/v1/api_keys".into(),
        _ => format!("/api/v1/keys/{GATES_KEY}"),
    };
    Mock::given(method("PATCH"))
        .and(path(at))
        .respond_with(ok(200, answer))
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(p.env, &["update", "-p", p.id, p.key, "-o", "json"])
        .args(args)
        .base(&server)
        .run()
        .await;
    let line = one_line(&out);
    (out, line)
}

/// Exit 7, kind `provider`, status `unknown` (the change was most likely applied), the message
/// naming `field`, and no `after` claiming the value sent.
fn unreadable_answer(out: &Out, line: &Value, field: &str) {
    assert_eq!(out.code, 7, "{out:?}");
    assert_eq!(line["status"], "unknown", "{line}");
    assert_eq!(line["error"]["kind"], "provider", "{line}");
    let m = line["error"]["message"].as_str().unwrap_or_default();
    assert!(m.contains(&format!("the answer's {field} is")), "{m}");
    assert!(m.contains("check with keyctl get"), "{m}");
    assert!(line.get("after").is_none(), "{line}");
}

#[tokio::test]
async fn a_gates_update_answered_with_an_unreadable_limit_is_exit_7() {
    for p in [MODELGATES, NOVAPAI, OPENROUTER] {
        for odd in ["1e400", "\"abc\"", "-5", "true"] {
            let answer = json!({"data": with(gates_key(), "limit", Some(odd))});
            let (out, line) = update_answered(p, &["--limit", "75"], answer).await;
            unreadable_answer(&out, &line, "limit");
        }
    }
}

#[tokio::test]
async fn a_venice_update_answered_with_an_unreadable_currency_is_exit_7() {
    let all = ["--limit", "5", "--limit-diem", "1", "--limit-vcu", "none"];
    for (field, odd) in [("usd", "1e400"), ("diem", "\"abc\""), ("vcu", "-2")] {
        let key = with(
            venice_key(),
            &format!("consumptionLimits.{field}"),
            Some(odd),
        );
        let (out, line) =
            update_answered(VENICE, &all, json!({"data": key, "success": true})).await;
        unreadable_answer(&out, &line, &format!("consumptionLimits.{field}"));
    }
    let key = with(venice_key(), "consumptionLimits", Some("\"lots\""));
    let (out, line) = update_answered(VENICE, &all, json!({"data": key, "success": true})).await;
    unreadable_answer(&out, &line, "consumptionLimits");
}

#[tokio::test]
async fn an_ionet_update_answer_that_shows_an_unreadable_cap_is_exit_7() {
    for odd in ["1e400", "\"abc\""] {
        let answer = json!({"status": "succeeded", "data": {"credit_limit": odd_value(odd)}});
        let (out, line) = update_answered(IONET, &["--limit", "75"], answer).await;
        unreadable_answer(&out, &line, "credit_limit");
    }
}

fn odd_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// A figure the update did not set may be anything: the change is reported as applied.
#[tokio::test]
async fn an_unreadable_figure_the_update_did_not_set_is_tolerated() {
    let answer = json!({"data": with(gates_key(), "limit", Some("1e400"))});
    let (out, line) = update_answered(MODELGATES, &["--name", "x"], answer).await;
    out.code(0);
    assert_eq!(line["status"], "updated", "{line}");
    // A readable answer to a limit change is the key as answered.
    let answer = json!({"data": with(gates_key(), "limit", Some("75"))});
    let (out, line) = update_answered(MODELGATES, &["--limit", "75"], answer).await;
    out.code(0);
    assert_eq!(line["after"]["limit"], 75, "{line}");
}

// =============================================================================================
// Follow-up attack on the fixes above (f1cc07b): conflicting sources, a disabled old key, an
// unreadable creation time

/// io.net reads a key twice (its usage answer and its list entry): when they disagree on the
/// cap, neither wins (the usage answer's `null` won, and the successor was sent
/// `credit_limit: null`, uncapped): exit 7 naming the field and both values, nothing created.
#[tokio::test]
async fn ionet_usage_and_list_disagreeing_on_the_cap_get_no_successor() {
    for (list, usage, a, b) in [
        ("100", "null", "null", "100"),
        ("100", "1000", "1000", "100"),
        ("null", "100", "100", "null"),
    ] {
        let key = with(ionet_item(), "credit_limit", Some(list));
        let answer = with(ionet_usage(), "data.credit_limit", Some(usage));
        let m = refused(IONET, key, Some(answer), "limit", "--limit").await;
        let both = format!(
            "the provider's answers disagree: limit is {a} in the key's own read and {b} in \
             its entry in the key list"
        );
        assert!(m.contains(&both), "{list}/{usage}: {m}");
    }
    // The usage answer's unreadable cap is not papered over by the list's.
    let answer = with(ionet_usage(), "data.credit_limit", Some("-1"));
    let m = refused(IONET, ionet_item(), Some(answer), "limit", "--limit").await;
    assert!(
        m.contains("the usage read shows credit_limit as a number (-1)"),
        "{m}"
    );
    // A disagreeing refresh cycle too.
    let answer = with(
        ionet_usage(),
        "data.credit_refresh_cycle",
        Some("\"daily\""),
    );
    let m = refused(IONET, ionet_item(), Some(answer), "reset", "--reset").await;
    assert!(m.contains("\"daily\"") && m.contains("\"weekly\""), "{m}");
}

/// Agreeing answers (`100` and `100.0`) are one value: the rotation proceeds with it.
#[tokio::test]
async fn ionet_usage_and_list_agreeing_on_the_cap_proceed() {
    let answer = with(ionet_usage(), "data.credit_limit", Some("100.0"));
    proceeds(
        IONET,
        ionet_item(),
        Some(answer),
        &[],
        json!({"description": rotated("batch"), "credit_limit": 100,
               "credit_refresh_cycle": "weekly", "allowed_models": ["llama-3", "qwen"],
               "expires_at": "never"}),
    )
    .await;
}

/// `consumptionLimits: {}` beside `consumptionLimit: {"usd": 50}` gave a successor with no caps
/// at all: two spellings that disagree are refused (exit 7, naming both).
#[tokio::test]
async fn venice_caps_spelled_two_ways_that_disagree_get_no_successor() {
    for (limits, limit) in [
        ("{}", r#"{"usd": 50}"#),
        ("null", r#"{"usd": 50}"#),
        (r#"{"usd": 50}"#, "{}"),
        (r#"{"usd": 50, "diem": 10}"#, r#"{"usd": 50, "diem": 1}"#),
    ] {
        let key = with(venice_key(), "consumptionLimits", Some(limits));
        let key = with(key, "consumptionLimit", Some(limit));
        let m = refused(VENICE, key, None, "limits", "--limit-diem").await;
        assert!(
            m.contains("the key shows both consumptionLimits") && m.contains("disagree"),
            "{limits} / {limit}: {m}"
        );
    }
}

/// One spelling alone is used, whichever it is; both saying the same are one.
#[tokio::test]
async fn venice_caps_in_one_spelling_or_two_that_agree_are_copied() {
    let body = json!({"apiKeyType": "INFERENCE", "description": rotated("app"),
        "consumptionLimit": {"usd": 50, "diem": 10, "vcu": null},
        "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY"});
    let alone = with(venice_key(), "consumptionLimits", None);
    let alone = with(
        alone,
        "consumptionLimit",
        Some(r#"{"usd": 50, "diem": 10, "vcu": null}"#),
    );
    proceeds(VENICE, alone, None, &[], body.clone()).await;
    let both = with(
        venice_key(),
        "consumptionLimit",
        Some(r#"{"usd": 50.0, "diem": 10, "vcu": null}"#),
    );
    proceeds(VENICE, both, None, &[], body).await;
}

/// A disabled old key got an enabled successor: refused (exit 2, kind usage), nothing created,
/// the message saying to enable it first or use create.
#[tokio::test]
async fn a_disabled_old_key_gets_no_successor() {
    for p in [MODELGATES, NOVAPAI, OPENROUTER] {
        let server = common::server().await;
        mount_old(
            &server,
            p,
            with(gates_key(), "disabled", Some("true")),
            None,
        )
        .await;
        forbid_writes(&server).await;
        let out = rotate(p, &server, &[]).run().await;
        assert_eq!(out.code, 2, "{}: {out:?}", p.id);
        let line = one_line(&out);
        assert_eq!(line["status"], "failed", "{line}");
        assert_eq!(line["error"]["kind"], "usage", "{line}");
        let m = line["error"]["message"].as_str().unwrap_or_default();
        for text in [m, out.stderr.as_str()] {
            assert!(text.contains("the old key is disabled"), "{text}");
            assert!(
                text.contains(&format!("keyctl update -p {} {GATES_KEY} --enable", p.id)),
                "{text}"
            );
            assert!(text.contains("keyctl create"), "{text}");
            assert!(text.contains("nothing was created"), "{text}");
        }
        assert!(line.get("new_key").is_none(), "{line}");
        assert_eq!(seen(&server).await, reads(p), "{}", p.id);
    }
}

/// An enabled state that cannot be read (absent, `null`, a string, a number) could be a disabled
/// key's: no successor (exit 7, naming `disabled`).
#[tokio::test]
async fn an_unreadable_enabled_state_gets_no_successor() {
    for p in [MODELGATES, NOVAPAI, OPENROUTER] {
        for odd in [None, Some("null"), Some("\"false\""), Some("0")] {
            let key = with(gates_key(), "disabled", odd);
            refused(p, key, None, "disabled", "--enable").await;
        }
    }
}

/// An expiring key whose creation time is present but not a timestamp: the successor got the
/// old key's very expiry moment (as if the time were absent). Refused (exit 7, naming
/// created_at, `--expires` the way out).
#[tokio::test]
async fn an_unreadable_creation_time_of_an_expiring_key_gets_no_successor() {
    for p in [MODELGATES, VENICE, IONET] {
        for odd in ["\"yesterday\"", "5", "{}"] {
            let key = match p.id {
                "venice" => with(
                    with(venice_key(), "createdAt", Some(odd)),
                    "expiresAt",
                    Some("\"2099-01-01T00:00:00.000Z\""),
                ),
                "ionet" => with(
                    with(ionet_item(), "created_at", Some(odd)),
                    "expires_at",
                    Some("\"2099-01-01T00:00:00\""),
                ),
                _ => with(
                    with(gates_key(), "created_at", Some(odd)),
                    "expires_at",
                    Some("\"2099-01-01T00:00:00Z\""),
                ),
            };
            refused(p, key, None, "created_at", "--expires").await;
        }
    }
}

/// The way out: `--expires`; and an absent creation time keeps the documented fallback (the
/// same expiry moment).
#[tokio::test]
async fn an_expires_flag_or_an_absent_creation_time_lets_the_rotation_proceed() {
    let odd = with(
        with(gates_key(), "created_at", Some("\"yesterday\"")),
        "expires_at",
        Some("\"2099-01-01T00:00:00Z\""),
    );
    proceeds(
        MODELGATES,
        odd,
        None,
        &["--expires", "never"],
        json!({"name": rotated("ci-runner"), "limit": 50, "limit_reset": "monthly",
               "include_byok_in_limit": true, "expires_at": null}),
    )
    .await;
    let absent = with(
        with(gates_key(), "created_at", None),
        "expires_at",
        Some("\"2099-01-01T00:00:00Z\""),
    );
    proceeds(
        MODELGATES,
        absent,
        None,
        &[],
        json!({"name": rotated("ci-runner"), "limit": 50, "limit_reset": "monthly",
               "include_byok_in_limit": true, "expires_at": "2099-01-01T00:00:00Z"}),
    )
    .await;
}
