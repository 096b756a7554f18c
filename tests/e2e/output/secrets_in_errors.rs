//! Issue 20, findings 6 and 7. No new secret in any error: a create answered 400, 409, 422,
//! 500, 502, or a 2xx keyctl cannot read, whose body carries the new secret (in the create
//! answer's own field, in a field of the error, in the error's words, in a body that is not
//! JSON) shows no piece of it on stderr, in `-o json`'s `error.message`, in TSV or in the audit
//! trail, for each provider family; a list answered 2xx with such a body neither. And a "new
//! secret" that is a near copy of the admin credential (one character short, upper-cased, a
//! zero-width space inside, a piece of it inside a longer string) is refused like an exact copy
//! (exit 7, shown nowhere), while a real key sharing the admin key's public prefix is shown.
//!
//! Every run gets its own state folder (XDG_STATE_HOME), so the trail it writes is its own.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Keyctl, Out, SECRET, server};

const NEW_HASH: &str = "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";
const NEW_UUID: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";

/// One provider family: how its create is sent and answered, and the secret it answers with.
struct Family {
    id: &'static str,
    env: &'static str,
    create_path: &'static str,
    /// The new key's secret (random after its public prefix).
    secret: &'static str,
    /// The secret's public prefix (every key of the kind has it: not checked for).
    prefix: &'static str,
}

const GATES: Family = Family {
    id: "modelgates",
    env: "MODELGATES_MANAGEMENT_KEY",
    create_path: "/api/v1/keys",
    secret: "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",
    prefix: "sk-or-v1-",
};

const IONET: Family = Family {
    id: "ionet",
    env: "IONET_ADMIN_KEY",
    create_path: "/v1/api-keys/sub-keys",
    secret: "io-v2-adu4y2hLBf5gQy9WEE7RQy7ZpMmUJs0RF4VOqK4S",
    prefix: "io-v2-",
};

const VENICE: Family = Family {
    id: "venice",
    env: "VENICE_ADMIN_KEY",
    create_path: "/api/v1/api_keys",
    secret: "VENICE_INFERENCE_KEY_et6LL5rR83jSsWzVgx2bYXpWHMIHfgrI",
    prefix: "VENICE_INFERENCE_KEY_",
};

const FAMILIES: [&Family; 3] = [&GATES, &IONET, &VENICE];

/// The first 8-character window (in any case) of `secret`'s part after `prefix` found in
/// `text`, if any.
fn leaked(text: &str, secret: &str, prefix: &str) -> Option<String> {
    let tail = secret[prefix.len()..].to_ascii_lowercase();
    let hay = text.to_ascii_lowercase();
    tail.as_bytes()
        .windows(8)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .find(|w| hay.contains(w.as_str()))
}

fn assert_absent(text: &str, secret: &str, prefix: &str, what: &str) {
    if let Some(w) = leaked(text, secret, prefix) {
        panic!("{what}: a piece of the secret ({w:?}) is shown:\n{text}");
    }
}

/// The family's create answer (as on success, the secret first so that no cut hides it).
fn create_answer(f: &Family) -> Value {
    match f.id {
        "ionet" => json!({"status": "failed", "data": {"value": f.secret, "key_id": NEW_UUID,
                          "description": "answered-name"}}),
        "venice" => json!({"success": false, "data": {"apiKey": f.secret, "id": NEW_UUID,
                           "description": "answered-name"}}),
        _ => json!({"key": f.secret, "data": {"key": f.secret, "hash": NEW_HASH,
                    "name": "answered-name"}}),
    }
}

/// The family's error shape, with the secret in a field next to the words shown.
fn error_with_field(f: &Family, status: u16) -> (Value, &'static str) {
    match f.id {
        "ionet" => (
            json!({"detail": {"msg": "sub-key conflict", "value": f.secret}}),
            "sub-key conflict",
        ),
        "venice" => (
            json!({"error": "Invalid request", "details": {"apiKey": f.secret,
                   "data": {"apiKey": f.secret}}}),
            "Invalid request",
        ),
        _ => (
            json!({"error": {"code": status, "message": "Key limit reached",
                   "metadata": {"key": f.secret}}, "key": f.secret}),
            "Key limit reached",
        ),
    }
}

/// The family's error shape, with the secret in the provider's words.
fn error_in_words(f: &Family, status: u16) -> Value {
    let words = format!("the key {} already exists", f.secret);
    match f.id {
        "ionet" => json!({"detail": [{"loc": ["body", "name"], "msg": words}]}),
        "venice" => json!({"error": words}),
        _ => json!({"error": {"code": status, "message": words}}),
    }
}

/// A body that is not JSON (cut short) with the secret in the family's field.
fn cut_short(f: &Family) -> String {
    let field = match f.id {
        "ionet" => "value",
        "venice" => "apiKey",
        _ => "key",
    };
    format!(r#"{{"{field}": "{}", "data": {{"name": "ci", "#, f.secret)
}

/// One answer to try: a label, the status, the body, and words the error must still show.
struct Case {
    label: &'static str,
    status: u16,
    body: String,
    shows: &'static str,
}

fn cases(f: &Family) -> Vec<Case> {
    let mut v = Vec::new();
    for status in [400, 409, 422, 500, 502] {
        let (with_field, words) = error_with_field(f, status);
        v.push(Case {
            label: "the create answer",
            status,
            body: create_answer(f).to_string(),
            shows: "answered-name",
        });
        v.push(Case {
            label: "an error with a secret field",
            status,
            body: with_field.to_string(),
            shows: words,
        });
        v.push(Case {
            label: "the secret in the error's words",
            status,
            body: error_in_words(f, status).to_string(),
            shows: "already exists",
        });
        v.push(Case {
            label: "not JSON",
            status,
            body: cut_short(f),
            shows: "data",
        });
    }
    // A 2xx keyctl cannot read: not JSON, or without the part that names the key.
    let ok = if f.id == "venice" { 200 } else { 201 };
    v.push(Case {
        label: "a 2xx that is not JSON",
        status: ok,
        body: cut_short(f),
        shows: "not valid JSON",
    });
    if f.id != "modelgates" {
        let mut odd = create_answer(f);
        odd["data"] = json!(f.secret);
        v.push(Case {
            label: "a 2xx without a data object",
            status: ok,
            body: odd.to_string(),
            shows: "a `data` object",
        });
    }
    v
}

/// `keyctl create -p <family> --name ci <extra>` with its own state folder: the output and
/// the trail's text.
async fn create_in(server: &MockServer, f: &Family, extra: &[&str]) -> (Out, String) {
    // A create reads the account's listing first (its name is checked): an empty one.
    crate::common::no_keys(server).await;
    let state = tempfile::tempdir().unwrap();
    let out = Keyctl::new(f.env, &["create", "-p", f.id, "--name", "ci"])
        .base(server)
        .args(extra)
        .env("XDG_STATE_HOME", &state.path().display().to_string())
        .env("KEYCTL_AUDIT", "on")
        .run()
        .await;
    let trail = std::fs::read_to_string(state.path().join("keyctl/audit.jsonl"))
        .unwrap_or_else(|e| panic!("no audit trail ({e}):\n{out:?}"));
    (out, trail)
}

/// The POSTs `server` received, each to the create path with `{"name": "ci"}` in the body.
async fn creates_received(server: &MockServer, f: &Family) -> usize {
    // The listing read first (the name is checked) is not a create.
    let reqs: Vec<_> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() != "GET")
        .collect();
    for r in &reqs {
        assert_eq!(r.method.as_str(), "POST", "{}", f.id);
        assert_eq!(r.url.path(), f.create_path, "{}", f.id);
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let name = if f.id == "modelgates" {
            "name"
        } else {
            "description"
        };
        assert_eq!(body[name], "ci", "{}: {body}", f.id);
    }
    reqs.len()
}

async fn secrets_stay_out_of_errors(f: &Family) {
    for case in cases(f) {
        let what = format!("{} HTTP {} ({})", f.id, case.status, case.label);
        let server = server().await;
        Mock::given(method("POST"))
            .and(path(f.create_path))
            .respond_with(
                ResponseTemplate::new(case.status)
                    .set_body_raw(case.body.clone().into_bytes(), "application/json"),
            )
            .mount(&server)
            .await;
        let want = match case.status {
            400..=499 => 5,
            _ => 7,
        };
        for format in ["table", "json", "tsv"] {
            let (out, trail) = create_in(&server, f, &["-o", format]).await;
            let what = format!("{what}, -o {format}");
            out.code(want);
            assert_absent(&out.stderr, f.secret, f.prefix, &format!("{what}: stderr"));
            assert_absent(&out.stdout, f.secret, f.prefix, &format!("{what}: stdout"));
            assert_absent(
                &trail,
                f.secret,
                f.prefix,
                &format!("{what}: the audit trail"),
            );
            // Still a useful message: the provider's words (less the secret) or what went wrong.
            assert!(
                out.stderr.contains(case.shows),
                "{what}: stderr lacks {:?}:\n{}",
                case.shows,
                out.stderr
            );
            let line: Value = serde_json::from_str(trail.lines().next().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{what}: {e}: {trail}"));
            assert_eq!(line["action"], "create", "{what}: {line}");
            assert!(
                line["error"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(case.shows),
                "{what}: {line}"
            );
            if format == "json" {
                let lines = out.json_lines();
                assert_eq!(lines.len(), 1, "{what}: {}", out.stdout);
                let m = lines[0]["error"]["message"].as_str().unwrap_or_default();
                assert!(m.contains(case.shows), "{what}: {m}");
                assert!(lines[0].get("secret").is_none(), "{what}: {}", lines[0]);
            }
        }
        // One create per run: never repeated (it may have made a key).
        assert_eq!(creates_received(&server, f).await, 3, "{what}");
    }
}

#[tokio::test]
async fn no_piece_of_a_new_secret_in_any_create_error_modelgates() {
    secrets_stay_out_of_errors(&GATES).await;
}

#[tokio::test]
async fn no_piece_of_a_new_secret_in_any_create_error_ionet() {
    secrets_stay_out_of_errors(&IONET).await;
}

#[tokio::test]
async fn no_piece_of_a_new_secret_in_any_create_error_venice() {
    secrets_stay_out_of_errors(&VENICE).await;
}

/// A read answered 2xx with a body keyctl cannot read (the wrong shape, or not JSON) that
/// carries a secret: the error quotes the body without it.
#[tokio::test]
async fn a_2xx_read_that_does_not_parse_quotes_no_secret() {
    for f in FAMILIES {
        let field = match f.id {
            "ionet" => "value",
            "venice" => "apiKey",
            _ => "key",
        };
        let bodies = [
            json!({field: f.secret, "data": "not a list"}).to_string(),
            json!({"items": [{field: f.secret, "id": NEW_UUID}]}).to_string(),
            cut_short(f),
        ];
        for body in bodies {
            let server = server().await;
            Mock::given(method("GET"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_raw(body.clone().into_bytes(), "application/json"),
                )
                .mount(&server)
                .await;
            for format in ["table", "json"] {
                let out = Keyctl::new(f.env, &["list", "-p", f.id, "-o", format])
                    .base(&server)
                    .run()
                    .await;
                let what = format!("{} list -o {format}, answered {body}", f.id);
                out.code(7);
                assert_absent(&out.stderr, f.secret, f.prefix, &what);
                assert_absent(&out.stdout, f.secret, f.prefix, &what);
            }
            let reqs = server.received_requests().await.unwrap();
            assert!(reqs.iter().all(|r| r.method.as_str() == "GET"), "{}", f.id);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Near copies of the admin credential (finding 7)

/// An admin credential of each family and a real new key of the same kind, which shares the
/// admin key's public prefix and its first two characters after it.
struct Pair {
    f: &'static Family,
    admin: &'static str,
    prefix: &'static str,
    legit: &'static str,
}

const PAIRS: [Pair; 3] = [
    Pair {
        f: &GATES,
        admin: "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",
        prefix: "sk-or-v1-",
        legit: "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",
    },
    Pair {
        f: &IONET,
        admin: "io-v2-G9KEDdSthxiutW1ZZFfVa41MqjwAUSac7fCzm2RJ",
        prefix: "io-v2-",
        legit: "io-v2-G9HuZoNgOopeCd3xcMjaehhQWy1YAZQBC3bvbVQA",
    },
    Pair {
        f: &VENICE,
        admin: "VENICE_ADMIN_KEY_QrGWp5uQ67XbSuqJBQfxkY5SusMyjPhP",
        prefix: "VENICE_ADMIN_KEY_",
        legit: "VENICE_INFERENCE_KEY_QrV8SYPv4h17vXAeAXbhfAt3baDixpiG",
    },
];

/// The family's success answer to a create, with `secret` as the new key's secret.
fn created_with(f: &Family, secret: &str) -> ResponseTemplate {
    let (status, body) = match f.id {
        "ionet" => (
            201,
            json!({"status": "succeeded", "data": {"key_id": NEW_UUID, "value": secret,
                   "description": "ci", "allowed_models": [], "credit_limit": null,
                   "expires_at": null}}),
        ),
        "venice" => (
            200,
            json!({"success": true, "data": {"id": NEW_UUID, "apiKey": secret,
                   "apiKeyType": "INFERENCE", "description": "ci", "expiresAt": null,
                   "consumptionLimit": {"usd": null, "diem": null, "vcu": null}}}),
        ),
        _ => (
            201,
            json!({"data": {"hash": NEW_HASH, "name": "ci", "label": "ci", "disabled": false,
                            "limit": null, "usage": 0, "expires_at": null},
                   "key": secret}),
        ),
    };
    ResponseTemplate::new(status).set_body_json(body)
}

/// `keyctl create` with `p.admin` as the credential, answered with `secret`; the output and
/// the trail.
async fn create_answered(p: &Pair, secret: &str, format: &str) -> (Out, String) {
    let server = server().await;
    crate::common::no_keys(&server).await;
    Mock::given(method("POST"))
        .and(path(p.f.create_path))
        .respond_with(created_with(p.f, secret))
        .expect(1)
        .mount(&server)
        .await;
    let state = tempfile::tempdir().unwrap();
    let out = Keyctl::bare(&["create", "-p", p.f.id, "--name", "ci", "-o", format])
        .env(p.f.env, p.admin)
        .env("XDG_STATE_HOME", &state.path().display().to_string())
        .env("KEYCTL_AUDIT", "on")
        .base(&server)
        .run()
        .await;
    let trail = std::fs::read_to_string(state.path().join("keyctl/audit.jsonl"))
        .unwrap_or_else(|e| panic!("no audit trail ({e}):\n{out:?}"));
    (out, trail)
}

/// The near copies of `admin` a provider (or a stand-in) could hand back as a new secret.
fn near_copies(p: &Pair) -> Vec<(&'static str, String)> {
    let a = p.admin;
    let tail = &a[p.prefix.len()..];
    vec![
        ("one character short", a[..a.len() - 1].to_string()),
        ("the first character dropped", a[1..].to_string()),
        ("upper-cased", a.to_ascii_uppercase()),
        ("lower-cased", a.to_ascii_lowercase()),
        (
            "a zero-width space inside",
            format!("{}\u{200b}{}", &a[..a.len() / 2], &a[a.len() / 2..]),
        ),
        (
            "a soft hyphen and a BOM inside",
            format!("{}\u{ad}{}\u{feff}{}", &a[..12], &a[12..24], &a[24..]),
        ),
        (
            "the credential inside a longer string",
            format!("new-{a}-x"),
        ),
        (
            "a piece of it, upper-cased, inside a longer string",
            format!(
                "{}{}Zz9Yy8Xx7",
                p.f.prefix,
                tail[4..16].to_ascii_uppercase()
            ),
        ),
    ]
}

#[tokio::test]
async fn near_copies_of_the_admin_credential_are_refused_and_shown_nowhere() {
    for p in &PAIRS {
        for (form, secret) in near_copies(p) {
            for format in ["table", "json", "tsv"] {
                let what = format!("{}: {form}, -o {format}", p.f.id);
                let (out, trail) = create_answered(p, &secret, format).await;
                out.code(7)
                    .stderr_has("something like it")
                    .stderr_has("revoke any key this made (keyctl list)");
                for (text, place) in [
                    (&out.stdout, "stdout"),
                    (&out.stderr, "stderr"),
                    (&trail, "the audit trail"),
                ] {
                    assert_absent(text, p.admin, p.prefix, &format!("{what}: {place}"));
                    assert!(!text.contains(&secret), "{what}: {place}:\n{text}");
                }
                let line: Value = serde_json::from_str(trail.lines().next().unwrap_or_default())
                    .unwrap_or_else(|e| panic!("{what}: {e}: {trail}"));
                assert_eq!(line["status"], "failed", "{what}: {line}");
                if format == "json" {
                    let l = &out.json_lines()[0];
                    assert_eq!(l["status"], "failed", "{what}: {l}");
                    assert!(l.get("secret").is_none(), "{what}: {l}");
                }
            }
        }
    }
}

/// A real new key of the admin key's own kind shares its public prefix (and, here, two more
/// characters): it is shown, exactly, once.
#[tokio::test]
async fn a_new_key_sharing_the_admin_keys_prefix_is_still_shown() {
    for p in &PAIRS {
        for format in ["table", "json", "tsv"] {
            let (out, trail) = create_answered(p, p.legit, format).await;
            let what = format!("{}, -o {format}", p.f.id);
            out.code(0);
            assert_eq!(
                out.stdout.matches(p.legit).count(),
                1,
                "{what}:\n{}",
                out.stdout
            );
            assert!(!out.stderr.contains(p.legit), "{what}:\n{}", out.stderr);
            assert!(!trail.contains(p.legit), "{what}:\n{trail}");
            assert_absent(&out.stdout, p.admin, p.prefix, &what);
        }
    }
    // The default admin credential of the other tests, with a key of another kind.
    let server = server().await;
    crate::common::no_keys(&server).await;
    Mock::given(method("POST"))
        .respond_with(created_with(&GATES, GATES.secret))
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(GATES.env, &["create", "-p", "modelgates", "--name", "ci"])
        .base(&server)
        .run()
        .await;
    out.code(0).stdout_has(GATES.secret);
    assert!(!out.stdout.contains(SECRET));
}

// ---------------------------------------------------------------------------------------------
// Issue 20, attacker's pass (F4): a secret split by what a later step strips

/// A new secret the attacker planted, split by something keyctl strips or reads through.
const SPLIT_SECRET: &str = "sk-mg-v1-NEWSECRETzz0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const SPLIT_PREFIX: &str = "sk-mg-v1-";

/// Bodies that carry `SPLIT_SECRET` (or a secret field's value) pieced apart by a control
/// character, an invisible one, an escape sequence, a newline, an HTML tag or entity, or
/// spaces around `=`: the label, the body, its content type, the secret and its public prefix.
fn split_bodies() -> Vec<(
    &'static str,
    String,
    &'static str,
    &'static str,
    &'static str,
)> {
    let (a, b) = SPLIT_SECRET.split_at(12);
    let json =
        |sep: &str| serde_json::to_string(&json!({"message": format!("key {a}{sep}{b} made")}));
    let j = |sep: &str| json(sep).unwrap_or_default();
    vec![
        (
            "a control character",
            j("\u{1}"),
            "application/json",
            SPLIT_SECRET,
            SPLIT_PREFIX,
        ),
        (
            "a zero-width space",
            j("\u{200b}"),
            "application/json",
            SPLIT_SECRET,
            SPLIT_PREFIX,
        ),
        (
            "an ANSI escape",
            j("\u{1b}[1m"),
            "application/json",
            SPLIT_SECRET,
            SPLIT_PREFIX,
        ),
        (
            "a newline",
            j("\n"),
            "application/json",
            SPLIT_SECRET,
            SPLIT_PREFIX,
        ),
        (
            "a tab",
            j("\t"),
            "application/json",
            SPLIT_SECRET,
            SPLIT_PREFIX,
        ),
        (
            "an HTML tag, in a page",
            format!(
                "<html><body><p>created sk-mg-v1-<b></b>{} made</p></body></html>",
                &SPLIT_SECRET[9..]
            ),
            "text/html",
            SPLIT_SECRET,
            SPLIT_PREFIX,
        ),
        (
            "an HTML tag, in text",
            format!("created sk-mg-v1-<b></b>{} made", &SPLIT_SECRET[9..]),
            "text/plain",
            SPLIT_SECRET,
            SPLIT_PREFIX,
        ),
        (
            "an HTML entity",
            format!(
                "<html><body>created sk-mg-v1-&#78;{} made</body></html>",
                &SPLIT_SECRET[10..]
            ),
            "text/html",
            SPLIT_SECRET,
            SPLIT_PREFIX,
        ),
        (
            "a hex HTML entity",
            format!("created sk-mg-v1-&#x4e;{} made", &SPLIT_SECRET[10..]),
            "text/plain",
            SPLIT_SECRET,
            SPLIT_PREFIX,
        ),
        (
            "spaces around =",
            "could not store api_key = Qz8vW2nR5tY7uI9oP3aS6dF1 made".to_string(),
            "text/plain",
            "Qz8vW2nR5tY7uI9oP3aS6dF1",
            "",
        ),
        (
            "spaces around = in JSON words",
            json!({"message": "could not store api_key = Qz8vW2nR5tY7uI9oP3aS6dF1 made"})
                .to_string(),
            "application/json",
            "Qz8vW2nR5tY7uI9oP3aS6dF1",
            "",
        ),
    ]
}

/// A create answered 400, 409, 422, 500, 502 or 503 whose body carries a secret split by
/// something a later step strips (so that stripping it would join the pieces): no piece of
/// the secret after its public prefix is shown on stderr, in `-o json`'s `error.message` or
/// in the audit trail, for each provider family; the provider's other words still are.
#[tokio::test]
async fn a_secret_split_by_what_is_stripped_is_masked_in_every_create_error() {
    let mut failed = Vec::new();
    for f in FAMILIES {
        for status in [400u16, 409, 422, 500, 502, 503] {
            for (label, body, ctype, secret, prefix) in split_bodies() {
                let what = format!("{} HTTP {status}, split by {label}", f.id);
                let server = server().await;
                Mock::given(method("POST"))
                    .and(path(f.create_path))
                    .respond_with(
                        ResponseTemplate::new(status)
                            .set_body_raw(body.clone().into_bytes(), ctype),
                    )
                    .mount(&server)
                    .await;
                let want = match status {
                    400..=499 => 5,
                    _ => 7,
                };
                let formats: &[&str] = if status == 400 {
                    &["table", "json", "tsv"]
                } else {
                    &["json"]
                };
                for format in formats {
                    let (out, trail) = create_in(&server, f, &["-o", format]).await;
                    let what = format!("{what}, -o {format}");
                    out.code(want);
                    for (text, place) in [
                        (&out.stderr, "stderr"),
                        (&out.stdout, "stdout"),
                        (&trail, "the audit trail"),
                    ] {
                        if let Some(w) = leaked(text, secret, prefix) {
                            failed.push(format!("{what}: {place} shows {w:?}:\n{text}"));
                        }
                    }
                    assert!(
                        out.stderr.contains("made"),
                        "{what}: stderr lacks the words:\n{}",
                        out.stderr
                    );
                    let line: Value =
                        serde_json::from_str(trail.lines().next().unwrap_or_default())
                            .unwrap_or_else(|e| panic!("{what}: {e}: {trail}"));
                    assert_eq!(line["action"], "create", "{what}: {line}");
                    if *format == "json" {
                        let lines = out.json_lines();
                        assert_eq!(lines.len(), 1, "{what}: {}", out.stdout);
                        let m = lines[0]["error"]["message"].as_str().unwrap_or_default();
                        if let Some(w) = leaked(m, secret, prefix) {
                            failed.push(format!("{what}: error.message shows {w:?}: {m}"));
                        }
                        assert!(m.contains("made"), "{what}: {m}");
                    }
                }
                // One create per run; a 503 (the provider surely did not act) is tried 4 times.
                let tries = if status == 503 { 4 } else { 1 };
                assert_eq!(
                    creates_received(&server, f).await,
                    tries * formats.len(),
                    "{what}"
                );
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} leaks:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// The near copies outside the 8-byte rule (issue 20, attacker's pass, F5): the secret part
/// with a separator every 6 or 7 characters, or in fullwidth forms.
fn far_copies(p: &Pair) -> Vec<(&'static str, String)> {
    let a = p.admin;
    let tail = &a[p.prefix.len()..];
    let every = |n: usize, sep: &str| -> String {
        let chunks: Vec<String> = tail
            .as_bytes()
            .chunks(n)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        format!("{}{}", p.prefix, chunks.join(sep))
    };
    let fullwidth: String = a
        .chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xfee0).unwrap_or(c),
            c => c,
        })
        .collect();
    vec![
        ("a dash every 6 characters", every(6, "-")),
        ("a dash every 7 characters", every(7, "-")),
        ("an underscore every 6 characters", every(6, "_")),
        ("a dot every 7 characters", every(7, ".")),
        ("fullwidth", fullwidth),
    ]
}

#[tokio::test]
async fn near_copies_with_separators_or_fullwidth_are_refused() {
    for p in &PAIRS {
        for (form, secret) in far_copies(p) {
            for format in ["table", "json"] {
                let what = format!("{}: {form}, -o {format}", p.f.id);
                let (out, trail) = create_answered(p, &secret, format).await;
                out.code(7).stderr_has("something like it");
                for (text, place) in [
                    (&out.stdout, "stdout"),
                    (&out.stderr, "stderr"),
                    (&trail, "the audit trail"),
                ] {
                    assert!(!text.contains(&secret), "{what}: {place}:\n{text}");
                }
                let line: Value = serde_json::from_str(trail.lines().next().unwrap_or_default())
                    .unwrap_or_else(|e| panic!("{what}: {e}: {trail}"));
                assert_eq!(line["status"], "failed", "{what}: {line}");
                if format == "json" {
                    let l = &out.json_lines()[0];
                    assert_eq!(l["status"], "failed", "{what}: {l}");
                    assert!(l.get("secret").is_none(), "{what}: {l}");
                }
            }
        }
    }
}
