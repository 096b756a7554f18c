//! `keyctl export` and `keyctl plan` (keys as code) against stand-in providers: export then
//! plan is "no changes", a field's drift is found from → to, a bad key file is exit 2 at its
//! line with nothing read, and the plan's exit codes.

mod apply;
mod apply_agrees_with_plan;
mod apply_confirm;
mod apply_output;
mod apply_profiles;
mod apply_providers;
mod apply_signals;
mod apply_sinks;
mod export_names;
mod file_flags_and_words;
mod plan_adopts;
mod round_trip;
pub(crate) mod schema;
mod shared_accounts;
mod sink_checks;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::home::Home;
use crate::common::stand_ins::{With, gates_key};
use crate::common::{Keyctl, gates_listing, server};

const MG_ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const H1: &str = "b100000000000000000000000000000000000000000000000000000000000001";
const H2: &str = "b100000000000000000000000000000000000000000000000000000000000002";

/// Two ModelGates keys: `ci-a` (100 a month, BYOK counted, expiring), `ci-b` (no cap,
/// disabled).
fn two_keys() -> Vec<Value> {
    vec![
        gates_key(H1, "ci-a").with(json!({"limit": 100, "limit_reset": "monthly",
            "include_byok_in_limit": true, "expires_at": "2027-03-01T12:00:00.000Z"})),
        gates_key(H2, "ci-b").with(json!({"limit": null, "limit_reset": null,
            "include_byok_in_limit": false, "expires_at": null, "disabled": true})),
    ]
}

async fn gates() -> MockServer {
    let s = server().await;
    gates_listing(&s, two_keys()).await;
    s
}

/// Every request the stand-in received, as `METHOD /path`.
async fn requests(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

#[tokio::test]
async fn export_then_plan_is_no_changes_on_modelgates() {
    let s = gates().await;
    let out = Keyctl::new(MG_ENV, &["export", "-p", "modelgates"])
        .base(&s)
        .run()
        .await;
    out.code(0);
    assert_eq!(
        out.stdout,
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\nlimit = 100\nreset = \"monthly\"\n\
         expires = \"2027-03-01T12:00:00Z\"\ndisabled = false\ninclude_byok_in_limit = true\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"ci-b\"\nlimit = \"none\"\nreset = \"never\"\n\
         expires = \"never\"\ndisabled = true\ninclude_byok_in_limit = false\n"
    );
    let home = Home::new();
    let file = home.write("keys.toml", &out.stdout);
    let plan = Keyctl::new(MG_ENV, &["plan", "-f", file.to_str().unwrap()])
        .base(&s)
        .run()
        .await;
    plan.code(0).stdout_has(
        "Plan: 0 to create, 0 to update, 0 to replace, 2 unchanged, 0 unmanaged (in sync)",
    );
    // One listing per run: export's, then plan's; nothing else.
    assert_eq!(
        requests(&s).await,
        vec!["GET /api/v1/keys", "GET /api/v1/keys"]
    );
}

#[tokio::test]
async fn each_drift_is_shown_from_to_and_exits_10() {
    let s = gates().await;
    let home = Home::new();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\nlimit = 125\nreset = \"daily\"\n\
         include_byok_in_limit = false\n\n[[key]]\nprovider = \"modelgates\"\nname = \"ci-b\"\n\
         disabled = false\nexpires = \"2027-01-01\"\n\n[[key]]\nprovider = \"modelgates\"\n\
         name = \"ci-new\"\nlimit = 5\n",
    );
    let out = Keyctl::new(
        MG_ENV,
        &["plan", "-f", file.to_str().unwrap(), "-o", "json"],
    )
    .base(&s)
    .run()
    .await;
    out.code(10);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert_eq!(lines[0]["action"], "update");
    assert_eq!(lines[0]["id"], H1);
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(
        lines[0]["changes"],
        json!([
            {"field": "limit", "from": 100, "known": true, "to": 125},
            {"field": "reset", "from": "monthly", "known": true, "to": "daily"},
            {"field": "include_byok_in_limit", "from": true, "known": true, "to": false},
        ])
    );
    // ModelGates cannot change an expiry in place: a replacement.
    assert_eq!(lines[1]["action"], "replace");
    assert_eq!(lines[1]["replace_fields"], json!(["expires"]));
    assert_eq!(
        lines[1]["changes"],
        json!([
            {"field": "expires", "from": "never", "known": true, "to": "2027-01-01T00:00:00Z"},
            {"field": "disabled", "from": true, "known": true, "to": false},
        ])
    );
    assert_eq!(lines[2]["action"], "create");
    assert_eq!(lines[2]["name"], "ci-new");
    assert_eq!(
        lines[2]["changes"],
        json!([{"field": "limit", "from": null, "known": false, "to": 5}])
    );
    assert_eq!(lines[3]["summary"]["update"], 1);
    assert_eq!(lines[3]["summary"]["replace"], 1);
    assert_eq!(lines[3]["summary"]["create"], 1);
    assert_eq!(lines[3]["exit_code"], 10);
    schema::check_plan(&lines, 10);
    // A plan sends nothing.
    assert_eq!(requests(&s).await, vec!["GET /api/v1/keys"]);
    let text = Keyctl::new(MG_ENV, &["plan", "-f", file.to_str().unwrap()])
        .base(&s)
        .run()
        .await;
    text.code(10)
        .stdout_has(&format!("  ~ ci-a {H1}: update\n"))
        .stdout_has("      limit                  100 → 125\n")
        .stdout_has("  + ci-new: create\n");
}

#[tokio::test]
async fn a_bad_key_file_is_exit_2_at_its_line_with_nothing_read() {
    let s = server().await;
    let home = Home::new();
    for (text, want) in [
        (
            "[[key]]\nprovider = \"modelgates\"\nname = \"a\"\nlimt = 5\n",
            "keys.toml:4: limt: unknown field",
        ),
        (
            "[[key]]\nprovider = \"modelgates\"\nname = \"a\"\nprivacy = \"private-only\"\n",
            "keys.toml:4: privacy: ModelGates cannot hold it",
        ),
        (
            "[[key]]\nprovider = \"modelgates\"\nname = \"a\"\n[[key]]\nprovider = \"modelgates\"\nname = \"a\"\n",
            "keys.toml:4: name: 'a' is declared twice",
        ),
    ] {
        let file = home.write("keys.toml", text);
        Keyctl::new(MG_ENV, &["plan", "-f", file.to_str().unwrap()])
            .base(&s)
            .run()
            .await
            .code(2)
            .stderr_has(want);
    }
    assert!(requests(&s).await.is_empty());
}

#[tokio::test]
async fn a_name_two_keys_share_at_the_provider_is_exit_2() {
    let s = server().await;
    gates_listing(&s, vec![gates_key(H1, "ci"), gates_key(H2, "ci")]).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&s)
        .await;
    let home = Home::new();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci\"\n",
    );
    Keyctl::new(MG_ENV, &["plan", "-f", file.to_str().unwrap()])
        .base(&s)
        .run()
        .await
        .code(2)
        .stderr_has(&format!("more than one key named 'ci' ({H1}, {H2})"));
}

pub(super) const NEW_HASH: &str =
    "c100000000000000000000000000000000000000000000000000000000000009";
pub(super) const NEW_SECRET: &str = "sk-mg-v1-APPLYSECRET-9f8e7d6c5b4a39281706";

/// The apply tests' stand-in writes: PATCH answered with the key as asked, POST with a new key and its
/// secret, DELETE with success.
pub(super) async fn writes(s: &MockServer) {
    Mock::given(method("PATCH"))
        .respond_with(|req: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let hash = req
                .url
                .path()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            let mut k = json!({"hash": hash, "name": "ci-a", "label": "ci-a", "disabled": false,
                "limit": 100, "limit_reset": "monthly", "include_byok_in_limit": true,
                "usage": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": null,
                "expires_at": "2027-03-01T12:00:00.000Z"});
            for (f, v) in body.as_object().cloned().unwrap_or_default() {
                k[f] = v;
            }
            ResponseTemplate::new(200).set_body_json(json!({"data": k}))
        })
        .mount(s)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"hash": NEW_HASH, "name": "ci-new", "label": "ci-new", "disabled": false,
                "limit": 5, "limit_remaining": 5, "limit_reset": null,
                "include_byok_in_limit": false, "usage": 0,
                "created_at": "2026-11-23T10:00:00Z", "updated_at": null, "expires_at": null},
            "key": NEW_SECRET})))
        .mount(s)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deleted": true})))
        .mount(s)
        .await;
}
