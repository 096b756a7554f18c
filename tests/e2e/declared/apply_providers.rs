//! `keyctl apply` on Venice, io.net, novapai and OpenRouter: each field's drift sent with the
//! exact request body (Venice's currencies merged with the key as read, a Venice create read
//! back), io.net's 180-day default expiry said for each key that leaves `expires` out and not
//! for `expires = "never"` (sent as such).

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::home::Home;
use crate::common::stand_ins::{With, gates_key};
use crate::common::{gates_listing, server, venice_read_back};

const V1: &str = "5a0c9b1e-1111-4c8d-9e6f-0a1b2c3d4e5f";
const V_NEW: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";
const VENICE_SECRET: &str = "VENICE_INFERENCE_KEY_APPLYNEW_q8w7e6r5t4y3u2i1o0p9";
const I1: &str = "0e3b1a2c-2222-4e6f-8b21-5c7d0e9f1a23";
const IO_NEW: &str = "9a8b7c6d-3333-4e6f-8b21-5c7d0e9f1a23";
const IO_SECRET: &str = "io-v2-APPLYNEW-eyJhbGciOiJIUzI1NiJ9.c2VjcmV0c2VjcmV0";
const H1: &str = "d100000000000000000000000000000000000000000000000000000000000001";
const H_NEW: &str = "d100000000000000000000000000000000000000000000000000000000000009";

/// Each request but the listing, as `METHOD /path body` (GETs with no body: `null`).
async fn sent(s: &MockServer, listing: &str) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| !(r.method.as_str() == "GET" && r.url.path() == listing))
        .map(|r| {
            let b: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            format!("{} {} {b}", r.method, r.url.path())
        })
        .collect()
}

/// How many times the listing was read.
async fn listings(s: &MockServer, listing: &str) -> usize {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "GET" && r.url.path() == listing)
        .count()
}

fn statuses(lines: &[Value]) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|l| {
            (
                l["key"].as_str().unwrap_or_default().to_string(),
                l["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn venice_bot() -> Value {
    json!({"id": V1, "description": "bot", "apiKeyType": "INFERENCE",
        "consumptionLimits": {"usd": 25, "diem": 3.5, "vcu": null},
        "expiresAt": "2027-06-30T23:59:59.000Z", "createdAt": "2026-11-23T10:00:00Z",
        "last6Chars": "abc123"})
}

async fn venice_stand_in() -> MockServer {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"object": "list", "data": [venice_bot()]})),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{V1}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": venice_bot(), "success": true})),
        )
        .mount(&s)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .respond_with(|req: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let mut k = venice_bot();
            if let Some(c) = body.get("consumptionLimit") {
                k["consumptionLimits"] = c.clone();
            }
            ResponseTemplate::new(200).set_body_json(json!({"data": k, "success": true}))
        })
        .mount(&s)
        .await;
    let created = json!({"success": true, "data": {
        "id": V_NEW, "apiKey": VENICE_SECRET, "apiKeyType": "INFERENCE", "description": "fresh",
        "expiresAt": null, "limitPeriod": "MONTH"}});
    venice_read_back(&s, &created).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(created))
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn venice_update_is_merged_with_the_key_as_read_and_a_create_is_read_back() {
    let s = venice_stand_in().await;
    let home = Home::without_config();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"venice\"\nname = \"bot\"\nlimit = 30\nlimit_diem = 3.5\n\
         limit_vcu = \"none\"\nexpires = \"2027-06-30T23:59:59Z\"\ntype = \"inference\"\n\n\
         [[key]]\nprovider = \"venice\"\nname = \"fresh\"\nlimit = 5\nlimit_diem = 2\n\
         reset = \"monthly\"\ntype = \"inference\"\nsecret_file = \"fresh.key\"\n",
    );
    let out = home
        .keyctl_with(
            "VENICE_ADMIN_KEY",
            &["apply", "-f", file.to_str().unwrap(), "--yes", "-o", "json"],
        )
        .base(&s)
        .run()
        .await;
    out.code(0);
    assert_eq!(listings(&s, "/api/v1/api_keys").await, 1);
    assert_eq!(
        sent(&s, "/api/v1/api_keys").await,
        vec![
            // Every currency sent: the one changed, the others as the listing has them (no
            // second read).
            format!(
                "PATCH /api/v1/api_keys {}",
                json!({"id": V1, "consumptionLimit": {"usd": 30, "diem": 3.5, "vcu": null}})
            ),
            format!(
                "POST /api/v1/api_keys {}",
                json!({"apiKeyType": "INFERENCE", "consumptionLimit": {"usd": 5, "diem": 2},
                    "limitPeriod": "MONTH", "description": "fresh"})
            ),
            // The create's caps read back once its secret is in its file.
            format!("GET /api/v1/api_keys/{V_NEW} null"),
        ]
    );
    let lines = out.json_lines();
    assert_eq!(
        statuses(&lines),
        vec![
            (V1.to_string(), "updated".to_string()),
            (V_NEW.to_string(), "created".to_string()),
        ],
        "{}",
        out.stdout
    );
    for l in &lines {
        crate::output::json_model::check_line(l);
    }
    assert_eq!(lines[1]["after"]["limit"], 5, "{}", lines[1]);
    assert_eq!(
        std::fs::read_to_string(home.path().join("fresh.key")).unwrap(),
        format!("{VENICE_SECRET}\n")
    );
    assert!(!out.stdout.contains(VENICE_SECRET) && !out.stderr.contains(VENICE_SECRET));
}

fn ionet_trainer() -> Value {
    json!({"id": I1, "description": "trainer", "allowed_models": ["m2", "m1"],
        "credit_limit": 300, "credit_used": 12, "credit_refresh_cycle": "weekly",
        "expires_at": "2027-01-15T08:30:00Z", "created_at": "2026-11-23T10:00:00Z"})
}

async fn ionet_stand_in() -> MockServer {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "succeeded", "data": [ionet_trainer()]})),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/api-keys/sub-keys/{I1}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "succeeded", "data": ionet_trainer()})),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/api-keys/sub-keys/{I1}/usage")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded",
            "data": {"key_id": I1, "credit_used": 12, "credit_limit": 300,
                "remaining_credit": 288, "credit_refresh_cycle": "weekly"}})),
        )
        .mount(&s)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded"})))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(|req: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let name = body["description"].as_str().unwrap_or_default().to_string();
            ResponseTemplate::new(201).set_body_json(json!({"status": "succeeded", "data": {
                "key_id": format!("{}{}", &IO_NEW[..35], name.len() % 10), "value": IO_SECRET,
                "description": name, "allowed_models": [], "credit_limit": null,
                "expires_at": body.get("expires_at").cloned().unwrap_or(Value::Null)}}))
        })
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn ionet_drift_is_sent_and_the_180_day_default_is_said_for_each_key_that_leaves_it() {
    let s = ionet_stand_in().await;
    let home = Home::without_config();
    // The key that does not expire comes first: the default's notice is still said for the
    // one after it, and only for it.
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"ionet\"\nname = \"trainer\"\nlimit = 125\nreset = \"weekly\"\n\
         expires = \"2027-01-15T08:30:00Z\"\nmodels = [\"m1\", \"m2\", \"m3\"]\n\n\
         [[key]]\nprovider = \"ionet\"\nname = \"forever\"\nexpires = \"never\"\n\
         secret_file = \"forever.key\"\n\n\
         [[key]]\nprovider = \"ionet\"\nname = \"short\"\nlimit = 50\nsecret_file = \"short.key\"\n",
    );
    let out = home
        .keyctl_with(
            "IONET_ADMIN_KEY",
            &["apply", "-f", file.to_str().unwrap(), "--yes", "-o", "json"],
        )
        .base(&s)
        .run()
        .await;
    out.code(0);
    assert_eq!(listings(&s, "/v1/api-keys/sub-keys").await, 1);
    let sent = sent(&s, "/v1/api-keys/sub-keys").await;
    let writes: Vec<&String> = sent.iter().filter(|r| !r.starts_with("GET")).collect();
    assert_eq!(
        writes,
        vec![
            &format!(
                "PATCH /v1/api-keys/sub-keys/{I1} {}",
                json!({"credit_limit": 125, "allowed_models": ["m1", "m2", "m3"]})
            ),
            &format!(
                "POST /v1/api-keys/sub-keys {}",
                json!({"expires_at": "never", "description": "forever"})
            ),
            &format!(
                "POST /v1/api-keys/sub-keys {}",
                json!({"credit_limit": 50, "description": "short"})
            ),
        ],
        "{sent:?}"
    );
    // Said once, for `short` alone, in the key file's words.
    assert_eq!(
        out.stderr
            .matches("expires 180 days after creation")
            .count(),
        1,
        "{}",
        out.stderr
    );
    out.stderr_has("short: io.net: a new sub-key expires 180 days after creation")
        .stderr_has("expires = \"never\"");
    assert!(!out.stderr.contains("forever: io.net"), "{}", out.stderr);
    assert!(!out.stderr.contains("--expires never"), "{}", out.stderr);
    let lines = out.json_lines();
    let st: Vec<String> = statuses(&lines).into_iter().map(|(_, s)| s).collect();
    assert_eq!(st, vec!["updated", "created", "created"], "{}", out.stdout);
    for l in &lines {
        crate::output::json_model::check_line(l);
    }
    for f in ["forever.key", "short.key"] {
        assert_eq!(
            std::fs::read_to_string(home.path().join(f)).unwrap(),
            format!("{IO_SECRET}\n")
        );
    }
    assert!(!out.stdout.contains(IO_SECRET) && !out.stderr.contains(IO_SECRET));
}

#[tokio::test]
async fn novapai_and_openrouter_drift_is_sent_with_its_exact_body() {
    for (id, var) in [
        ("novapai", "NOVAPAI_MANAGEMENT_KEY"),
        ("openrouter", "OPENROUTER_MANAGEMENT_KEY"),
    ] {
        let s = server().await;
        gates_listing(
            &s,
            vec![
                gates_key(H1, "ci").with(json!({"limit": 10, "limit_reset": "monthly",
                "include_byok_in_limit": true, "expires_at": null})),
            ],
        )
        .await;
        Mock::given(method("PATCH"))
            .respond_with(move |req: &wiremock::Request| {
                let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
                let mut k = gates_key(H1, "ci").with(json!({"limit": 10,
                    "limit_reset": "monthly", "include_byok_in_limit": true,
                    "expires_at": null}));
                for (f, v) in body.as_object().cloned().unwrap_or_default() {
                    k[f] = v;
                }
                ResponseTemplate::new(200).set_body_json(json!({"data": k}))
            })
            .mount(&s)
            .await;
        Mock::given(method("POST"))
            .and(path("/api/v1/keys"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": gates_key(H_NEW, "nightly").with(json!({"limit": null,
                    "expires_at": "2027-02-01T00:00:00Z"})),
                "key": "sk-or-v1-APPLYNEW-0a1b2c3d4e5f60718293a4b5c6d7e8f9"})))
            .mount(&s)
            .await;
        let home = Home::without_config();
        let file = home.write(
            "keys.toml",
            &format!(
                "[[key]]\nprovider = \"{id}\"\nname = \"ci\"\nlimit = \"none\"\nreset = \"weekly\"\n\
                 include_byok_in_limit = false\ndisabled = false\nexpires = \"never\"\n\n\
                 [[key]]\nprovider = \"{id}\"\nname = \"nightly\"\n\
                 expires = \"2027-02-01T00:00:00Z\"\nsecret_file = \"nightly.key\"\n"
            ),
        );
        let out = home
            .keyctl_with(
                var,
                &["apply", "-f", file.to_str().unwrap(), "--yes", "-o", "json"],
            )
            .base(&s)
            .run()
            .await;
        out.code(0);
        let writes: Vec<String> = sent(&s, "/api/v1/keys")
            .await
            .into_iter()
            .filter(|r| !r.starts_with("GET"))
            .collect();
        assert_eq!(
            writes,
            vec![
                format!(
                    "PATCH /api/v1/keys/{H1} {}",
                    json!({"limit": null, "limit_reset": "weekly", "include_byok_in_limit": false})
                ),
                format!(
                    "POST /api/v1/keys {}",
                    json!({"name": "nightly", "expires_at": "2027-02-01T00:00:00Z"})
                ),
            ],
            "{id}"
        );
        assert_eq!(listings(&s, "/api/v1/keys").await, 1, "{id}");
        let st: Vec<String> = statuses(&out.json_lines())
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(st, vec!["updated", "created"], "{id}: {}", out.stdout);
    }
}
