//! `keyctl apply` over several profiles and its limits: one profile whose credential is
//! refused does not stop the other (its keys applied, every key in exactly one status, the
//! failure's exit code); `--replace` rotates a key as `rotate` does (the successor made with
//! the declared settings and its secret delivered, then the old key's default step); Venice's
//! 500-key cap refused before anything is sent; a key a lost create made, to be replaced, rotated
//! with `--replace` (not left adopted).

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::home::Home;
use crate::common::stand_ins::{With, gates_key};
use crate::common::{gates_listing, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const H1: &str = "f100000000000000000000000000000000000000000000000000000000000001";
const H2: &str = "f100000000000000000000000000000000000000000000000000000000000002";
const H_NEW: &str = "f100000000000000000000000000000000000000000000000000000000000009";
const NEW_SECRET: &str = "sk-mg-v1-APPLYPROFILES-4b2f4e6d8a0c1b3d5f7e9a2c";

/// Each request as `METHOD /path body`.
async fn sent(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let b: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            format!("{} {} {b}", r.method, r.url.path())
        })
        .collect()
}

fn ci_a() -> Value {
    gates_key(H1, "ci-a").with(json!({"limit": 100, "limit_reset": "monthly",
        "include_byok_in_limit": true, "expires_at": null}))
}

fn ci_b() -> Value {
    gates_key(H2, "ci-b").with(json!({"limit": 30, "limit_reset": null,
        "include_byok_in_limit": false, "expires_at": null}))
}

/// A ModelGates stand-in listing ci-a and ci-b: a key's read, a PATCH answered with the key
/// as asked, a create answering [`H_NEW`] with [`NEW_SECRET`] and the name and expiry it was
/// sent, a DELETE answered with success.
async fn gates() -> MockServer {
    let s = server().await;
    gates_listing(&s, vec![ci_a(), ci_b()]).await;
    for k in [ci_a(), ci_b()] {
        Mock::given(method("GET"))
            .and(path(format!(
                "/api/v1/keys/{}",
                k["hash"].as_str().unwrap()
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": k})))
            .mount(&s)
            .await;
    }
    Mock::given(method("PATCH"))
        .respond_with(|r: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let hash = r.url.path().rsplit('/').next().unwrap_or_default();
            let mut k = if hash == H2 { ci_b() } else { ci_a() };
            for (f, v) in body.as_object().cloned().unwrap_or_default() {
                k[f] = v;
            }
            ResponseTemplate::new(200).set_body_json(json!({"data": k}))
        })
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(|r: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let mut k = gates_key(H_NEW, body["name"].as_str().unwrap_or_default());
            for (f, v) in body.as_object().cloned().unwrap_or_default() {
                k[f] = v;
            }
            ResponseTemplate::new(201).set_body_json(json!({"data": k, "key": NEW_SECRET}))
        })
        .mount(&s)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deleted": true})))
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn a_profile_whose_credential_is_refused_does_not_stop_the_other() {
    let gates = gates().await;
    let venice = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": "Authentication failed"})),
        )
        .mount(&venice)
        .await;
    let home = Home::with_config(&format!(
        "[profiles.ci]\nprovider = \"venice\"\nbase_url = \"{}\"\ncredential_env = \"{ENV}\"\n\n\
         [profiles.prod]\nprovider = \"modelgates\"\nbase_url = \"{}\"\n\
         credential_env = \"{ENV}\"\n",
        venice.uri(),
        gates.uri()
    ));
    // The failing profile comes first in the file.
    let file = home.write(
        "keys.toml",
        "[[key]]\nprofile = \"ci\"\nname = \"bot\"\nlimit = 25\n\n\
         [[key]]\nprofile = \"ci\"\nname = \"bot-2\"\nlimit = 5\n\n\
         [[key]]\nprofile = \"prod\"\nname = \"ci-a\"\nlimit = 125\n\n\
         [[key]]\nprofile = \"prod\"\nname = \"ci-new\"\nlimit = 5\nsecret_file = \"new.key\"\n",
    );
    let f = file.to_str().unwrap();
    let out = home
        .keyctl_with(ENV, &["apply", "-f", f, "--yes", "-o", "json"])
        .run()
        .await;
    // The refused credential's code (3), though prod was applied.
    out.code(3).stderr_has("profile ci: ");
    assert_eq!(sent(&venice).await, vec!["GET /api/v1/api_keys null"]);
    assert_eq!(
        sent(&gates).await,
        vec![
            "GET /api/v1/keys null".to_string(),
            format!("PATCH /api/v1/keys/{H1} {}", json!({"limit": 125})),
            format!(
                "POST /api/v1/keys {}",
                json!({"name": "ci-new", "limit": 5})
            ),
        ]
    );
    let lines = out.json_lines();
    let got: Vec<(String, String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["provider"].as_str().unwrap_or_default().to_string(),
                l["key"].as_str().unwrap_or_default().to_string(),
                l["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    // Every key exactly once: the two of the failed profile failed (by name), prod's applied,
    // and prod's undeclared ci-b unchanged.
    assert_eq!(
        got,
        vec![
            ("venice".into(), "bot".into(), "failed".into()),
            ("venice".into(), "bot-2".into(), "failed".into()),
            ("modelgates".into(), H1.into(), "updated".into()),
            ("modelgates".into(), H_NEW.into(), "created".into()),
            ("modelgates".into(), H2.into(), "unchanged".into()),
        ],
        "{}",
        out.stdout
    );
    for l in &lines[..2] {
        assert_eq!(l["error"]["kind"], "auth", "{l}");
    }
    for l in &lines {
        crate::output::json_model::check_line(l);
    }
    out.stderr_has("apply: 1 created, 2 failed, 1 unchanged, 1 updated");
    // The audit trail: prod's two writes, each line with its profile and the run's id.
    let trail = std::fs::read_to_string(home.trail()).unwrap_or_default();
    let run = lines[0]["run"].as_str().unwrap();
    let written: Vec<Value> = trail
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &Value| l["status"] != "failed")
        .collect();
    assert_eq!(written.len(), 2, "{trail}");
    for l in &written {
        assert_eq!(l["run"], run, "{l}");
        assert_eq!(l["profile"], "prod", "{l}");
    }
    assert!(trail.lines().all(|l| l.contains(run)), "{trail}");
    assert!(!trail.contains(NEW_SECRET));
}

#[tokio::test]
async fn replace_rotates_the_key_and_delivers_the_successor() {
    let s = gates().await;
    let home = Home::without_config();
    // ModelGates cannot change an expiry in place: ci-b is replaced.
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\nlimit = 100\nreset = \"monthly\"\n\
         include_byok_in_limit = true\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"ci-b\"\nlimit = 30\n\
         expires = \"2027-01-01\"\nsecret_file = \"ci-b.key\"\n",
    );
    let out = home
        .keyctl_with(
            ENV,
            &[
                "apply",
                "-f",
                file.to_str().unwrap(),
                "--yes",
                "--replace",
                "-o",
                "json",
            ],
        )
        .base(&s)
        .run()
        .await;
    out.code(0);
    let writes: Vec<String> = sent(&s)
        .await
        .into_iter()
        .filter(|r| !r.starts_with("GET /api/v1/keys null"))
        .collect();
    assert_eq!(
        writes,
        vec![
            // The successor made with the declared settings (the old key's own where the
            // file leaves one out, as rotate copies them: no second read, the listing has
            // it), then rotate's default step for the old key: disabled, its name freed.
            format!(
                "POST /api/v1/keys {}",
                json!({"name": "ci-b", "limit": 30, "limit_reset": null,
                    "include_byok_in_limit": false, "expires_at": "2027-01-01T00:00:00Z"})
            ),
            format!(
                "PATCH /api/v1/keys/{H2} {}",
                json!({"name": format!("ci-b (rotated out {})",
                    chrono::Utc::now().format("%Y-%m-%d")), "disabled": true})
            ),
        ],
        "{}",
        out.stderr
    );
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert_eq!(lines[0]["key"], H1);
    assert_eq!(lines[0]["status"], "unchanged");
    let l = &lines[1];
    assert_eq!(l["status"], "rotated", "{l}");
    assert_eq!(l["key"], H2, "{l}");
    assert_eq!(l["new_key"], H_NEW, "{l}");
    assert_eq!(
        l["old_key"],
        json!({"action": "disabled", "done": true}),
        "{l}"
    );
    for l in &lines {
        crate::output::json_model::check_line(l);
    }
    assert_eq!(
        std::fs::read_to_string(home.path().join("ci-b.key")).unwrap(),
        format!("{NEW_SECRET}\n")
    );
    assert!(!out.stdout.contains(NEW_SECRET) && !out.stderr.contains(NEW_SECRET));
    out.stderr_has("apply: 1 rotated, 1 unchanged");
    assert!(!out.stderr.contains("replacement left"), "{}", out.stderr);
}

#[tokio::test]
async fn venices_500_key_cap_is_refused_before_anything_is_sent() {
    let s = server().await;
    let keys: Vec<Value> = (0..499)
        .map(|i| {
            json!({"id": format!("00000000-0000-4000-8000-{i:012}"),
                "description": format!("k{i}"), "apiKeyType": "INFERENCE",
                "consumptionLimits": {"usd": null, "diem": null, "vcu": null},
                "expiresAt": null, "createdAt": "2026-11-23T10:00:00Z"})
        })
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": keys})),
        )
        .mount(&s)
        .await;
    let home = Home::without_config();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"venice\"\nname = \"k0\"\nlimit = 5\n\n\
         [[key]]\nprovider = \"venice\"\nname = \"one\"\n\n\
         [[key]]\nprovider = \"venice\"\nname = \"two\"\nsecret_file = \"two.key\"\n",
    );
    let out = home
        .keyctl_with(
            "VENICE_ADMIN_KEY",
            &["apply", "-f", file.to_str().unwrap(), "--yes"],
        )
        .base(&s)
        .run()
        .await;
    out.code(2).stderr_has(
        "Venice allows at most 500 active keys per account; it has 499 and this run would add 2",
    );
    // The listing only: not the update of k0 either.
    assert_eq!(sent(&s).await, vec!["GET /api/v1/api_keys null"]);
    assert!(!home.path().join("two.key").exists());
    assert_eq!(out.stdout, "");
}

#[tokio::test]
async fn an_adopted_key_to_be_replaced_is_rotated_with_replace() {
    let s = server().await;
    let made = gates_key(H1, "ci").with(json!({"limit": null, "limit_reset": null,
        "include_byok_in_limit": false, "expires_at": null}));
    // The create's own listing is empty; its POST answers 500 (a key may have been made: the
    // journal entry stays), and from then on the listing holds the key it made.
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&s)
        .await;
    gates_listing(&s, vec![made.clone()]).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "data": gates_key(H_NEW, "ci").with(json!({"expires_at": "2027-01-01T00:00:00Z"})),
            "key": NEW_SECRET})))
        .mount(&s)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(move |r: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({"data": made.clone().with(body)}))
        })
        .mount(&s)
        .await;
    let home = Home::without_config();
    home.keyctl_with(ENV, &["create", "-p", "modelgates", "--name", "ci"])
        .base(&s)
        .run()
        .await
        .code(7);
    // Declared with an expiry ModelGates cannot set in place: a replacement, of a key
    // adopted.
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci\"\nexpires = \"2027-01-01\"\n\
         secret_file = \"ci.key\"\n",
    );
    let f = file.to_str().unwrap();
    let plan = home
        .keyctl_with(ENV, &["plan", "-f", f, "-o", "json"])
        .base(&s)
        .run()
        .await;
    let lines = plan.json_lines();
    assert_eq!(lines[0]["action"], "replace", "{}", plan.stdout);
    assert!(lines[0]["adopt"].is_object(), "{}", plan.stdout);
    let out = home
        .keyctl_with(ENV, &["apply", "-f", f, "--yes", "--replace", "-o", "json"])
        .base(&s)
        .run()
        .await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["status"], "rotated", "{}", lines[0]);
    assert_eq!(lines[0]["key"], H1);
    assert_eq!(lines[0]["new_key"], H_NEW);
    crate::output::json_model::check_line(&lines[0]);
    let writes: Vec<String> = sent(&s)
        .await
        .into_iter()
        .filter(|r| !r.starts_with("GET"))
        .collect();
    assert_eq!(writes.len(), 3, "{writes:?}");
    assert_eq!(
        writes[1],
        format!(
            "POST /api/v1/keys {}",
            json!({"name": "ci", "limit": null, "limit_reset": null,
                "include_byok_in_limit": false, "expires_at": "2027-01-01T00:00:00Z"})
        )
    );
    assert!(
        writes[2].starts_with(&format!("PATCH /api/v1/keys/{H1} ")),
        "{writes:?}"
    );
    // Its secret is the successor's, in its file: the one the lost create never gave.
    assert_eq!(
        std::fs::read_to_string(home.path().join("ci.key")).unwrap(),
        format!("{NEW_SECRET}\n")
    );
}
