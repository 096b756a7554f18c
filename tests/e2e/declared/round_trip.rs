//! Export then plan is "no changes" on every provider (each one's own fields: expiry moments,
//! models, Venice's caps and key type, io.net's credits), with one listing read a run and
//! nothing sent; then two profiles, one failing (a credential refused, the network), the
//! other's plan shown and the failure's exit code; and the plan's own exit codes.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::schema::check_plan;
use crate::common::home::Home;
use crate::common::{Keyctl, gates_listing, server};

const H1: &str = "c100000000000000000000000000000000000000000000000000000000000001";
const H2: &str = "c100000000000000000000000000000000000000000000000000000000000002";
const V1: &str = "5a1e0000-0000-4000-8000-000000000001";
const V2: &str = "5a1e0000-0000-4000-8000-000000000002";
const I1: &str = "1d000000-0000-4000-8000-000000000001";
const I2: &str = "1d000000-0000-4000-8000-000000000002";

/// Every request the stand-in received, as `METHOD /path`.
async fn requests(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

/// Two keys of an OpenRouter-style provider (ModelGates, novapai, OpenRouter): one capped,
/// reset monthly, BYOK counted, expiring at a moment with milliseconds; one without a cap,
/// disabled, never expiring.
fn gates_family() -> Vec<Value> {
    vec![
        json!({"hash": H1, "name": "ci-a", "label": "ci-a", "disabled": false, "limit": 12.5,
               "limit_remaining": 10, "limit_reset": "monthly", "include_byok_in_limit": true,
               "usage": 2.5, "expires_at": "2027-03-01T12:00:00.250Z",
               "created_at": "2026-11-23T10:00:00Z"}),
        json!({"hash": H2, "name": "ci-b", "label": "ci-b", "disabled": true, "limit": null,
               "limit_remaining": null, "limit_reset": null, "include_byok_in_limit": false,
               "usage": 0, "expires_at": null, "created_at": "2026-11-23T10:00:00Z"}),
    ]
}

async fn venice_listing(s: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": V1, "description": "bot", "apiKeyType": "INFERENCE",
             "consumptionLimits": {"usd": 25, "diem": 3.5, "vcu": null},
             "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY",
             "expiresAt": "2027-06-30T23:59:59.000Z", "createdAt": "2026-11-23T10:00:00Z",
             "last6Chars": "abc123"},
            {"id": V2, "description": "admin-tool", "apiKeyType": "ADMIN",
             "consumptionLimits": {"usd": null, "diem": null, "vcu": 40},
             "expiresAt": null, "createdAt": "2026-11-23T10:00:00Z", "last6Chars": "def456"},
        ]})))
        .mount(s)
        .await;
}

async fn ionet_listing(s: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded",
                "data": [
                {"id": I1, "description": "trainer", "allowed_models": ["m2", "m1"],
                 "credit_limit": 300, "credit_used": 12, "credit_refresh_cycle": "weekly",
                 "expires_at": "2027-01-15T08:30:00Z", "created_at": "2026-11-23T10:00:00Z"},
                {"id": I2, "description": "batch", "allowed_models": [], "credit_limit": null,
                 "credit_used": 0, "credit_refresh_cycle": null, "expires_at": null,
                 "created_at": "2026-11-23T10:00:00Z"},
            ]})),
        )
        .mount(s)
        .await;
}

/// Export of `-p ID` against `s`, then plan of the file exported: exit 0, in sync, both keys
/// unchanged (JSON validated), one listing a run and nothing else sent. The export's text.
async fn round_trip(id: &str, var: &str, s: &MockServer) -> String {
    let export = Keyctl::new(var, &["export", "-p", id]).base(s).run().await;
    export.code(0);
    let home = Home::new();
    let file = home.write("keys.toml", &export.stdout);
    let f = file.to_str().unwrap();
    Keyctl::new(var, &["plan", "-f", f])
        .base(s)
        .run()
        .await
        .code(0)
        .stdout_has(
            "Plan: 0 to create, 0 to update, 0 to replace, 2 unchanged, 0 unmanaged (in sync)",
        );
    let json = Keyctl::new(var, &["plan", "-f", f, "-o", "json"])
        .base(s)
        .run()
        .await;
    json.code(0);
    let lines = json.json_lines();
    check_plan(&lines, 0);
    assert_eq!(lines.len(), 3, "{}", json.stdout);
    for l in &lines[..2] {
        assert_eq!(l["action"], "unchanged", "{l}");
        assert_eq!(l["changes"], json!([]), "{l}");
        assert_eq!(l["provider"], id, "{l}");
    }
    let reqs = requests(s).await;
    assert_eq!(reqs.len(), 3, "one listing a run, nothing else: {reqs:?}");
    assert!(reqs.iter().all(|r| r.starts_with("GET ")), "{reqs:?}");
    export.stdout.clone()
}

/// The export of [`gates_family`] from provider `id`.
fn gates_export(id: &str) -> String {
    format!(
        "[[key]]\nprovider = \"{id}\"\nname = \"ci-a\"\nlimit = 12.5\nreset = \"monthly\"\n\
         expires = \"2027-03-01T12:00:00.250Z\"\ndisabled = false\ninclude_byok_in_limit = true\n\n\
         [[key]]\nprovider = \"{id}\"\nname = \"ci-b\"\nlimit = \"none\"\nreset = \"never\"\n\
         expires = \"never\"\ndisabled = true\ninclude_byok_in_limit = false\n"
    )
}

#[tokio::test]
async fn export_then_plan_is_no_changes_on_every_provider() {
    for (id, var) in [
        ("modelgates", "MODELGATES_MANAGEMENT_KEY"),
        ("novapai", "NOVAPAI_MANAGEMENT_KEY"),
        ("openrouter", "OPENROUTER_MANAGEMENT_KEY"),
    ] {
        let s = server().await;
        gates_listing(&s, gates_family()).await;
        assert_eq!(round_trip(id, var, &s).await, gates_export(id), "{id}");
    }
    // Venice: caps per currency (usd as limit, diem, vcu), the period, privacy, the key type.
    let s = server().await;
    venice_listing(&s).await;
    assert_eq!(
        round_trip("venice", "VENICE_ADMIN_KEY", &s).await,
        "[[key]]\nprovider = \"venice\"\nname = \"bot\"\nlimit = 25\nlimit_diem = 3.5\n\
         limit_vcu = \"none\"\nreset = \"monthly\"\nexpires = \"2027-06-30T23:59:59Z\"\n\
         privacy = \"private-only\"\ntype = \"inference\"\n\n\
         [[key]]\nprovider = \"venice\"\nname = \"admin-tool\"\nlimit = \"none\"\n\
         limit_diem = \"none\"\nlimit_vcu = 40\nexpires = \"never\"\ntype = \"admin\"\n"
    );
    // io.net: limits in credits (said so), models as listed (compared as a set), all models.
    let s = server().await;
    ionet_listing(&s).await;
    assert_eq!(
        round_trip("ionet", "IONET_ADMIN_KEY", &s).await,
        "[[key]]\nprovider = \"ionet\"\nname = \"trainer\"\nlimit = 300  # io.net credits\n\
         reset = \"weekly\"\nexpires = \"2027-01-15T08:30:00Z\"\nmodels = [\"m2\", \"m1\"]\n\n\
         [[key]]\nprovider = \"ionet\"\nname = \"batch\"\nlimit = \"none\"  # io.net credits\n\
         expires = \"never\"\nmodels = \"all\"\n"
    );
}

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";

/// A config with `prod` (ModelGates at `gates`) and `ci` (Venice at `venice`, its credential
/// from `venice_var`), and a key file declaring one key in each.
fn two_profiles(gates: &str, venice: &str, venice_var: &str) -> (Home, std::path::PathBuf) {
    let home = Home::with_config(&format!(
        "[profiles.prod]\nprovider = \"modelgates\"\nbase_url = \"{gates}\"\n\
         credential_env = \"{ENV}\"\n\n[profiles.ci]\nprovider = \"venice\"\n\
         base_url = \"{venice}\"\ncredential_env = \"{venice_var}\"\n"
    ));
    let file = home.write(
        "keys.toml",
        "[[key]]\nprofile = \"prod\"\nname = \"ci-a\"\nlimit = 20\n\n\
         [[key]]\nprofile = \"ci\"\nname = \"bot\"\nlimit = 25\n",
    );
    (home, file)
}

/// The plan of `file` with one profile failing: prod's plan shown (an update of ci-a's limit,
/// ci-b unmanaged), ci said not read, the failure's exit code; in JSON too (validated).
async fn one_profile_fails(home: &Home, file: &std::path::Path, code: i32, kind: &str) {
    let f = file.to_str().unwrap();
    let out = home.keyctl_with(ENV, &["plan", "-f", f]).run().await;
    out.code(code)
        .stdout_has("profile prod (ModelGates): 0 to create, 1 to update")
        .stdout_has(&format!("  ~ ci-a {H1}: update\n"))
        .stdout_has("      limit  12.5 → 20\n")
        .stdout_has("profile ci (Venice): not read\n")
        .stdout_has("1 profile not read")
        .stderr_has("profile ci: ");
    let out = home
        .keyctl_with(ENV, &["plan", "-f", f, "-o", "json"])
        .run()
        .await;
    out.code(code);
    let lines = out.json_lines();
    check_plan(&lines, code);
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert_eq!(lines[0]["profile"], "prod");
    assert_eq!(lines[0]["action"], "update");
    assert_eq!(lines[1]["action"], "unmanaged");
    assert_eq!(lines[2]["profile"], "ci");
    assert_eq!(lines[2]["provider"], "venice");
    assert_eq!(lines[2]["action"], "error");
    assert_eq!(lines[2]["error"]["kind"], kind);
    assert_eq!(lines[2]["error"]["exit_code"], code);
    assert_eq!(lines[3]["summary"]["failed_scopes"], 1);
    assert_eq!(lines[3]["summary"]["update"], 1);
}

#[tokio::test]
async fn a_profile_whose_credential_is_refused_leaves_the_others_planned_and_exits_3() {
    let gates = server().await;
    gates_listing(&gates, gates_family()).await;
    let venice = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": "Authentication failed"})),
        )
        .mount(&venice)
        .await;
    let (home, file) = two_profiles(&gates.uri(), &venice.uri(), ENV);
    one_profile_fails(&home, &file, 3, "auth").await;
    assert_eq!(requests(&gates).await, vec!["GET /api/v1/keys"; 2]);
    assert_eq!(requests(&venice).await, vec!["GET /api/v1/api_keys"; 2]);
}

#[tokio::test]
async fn a_profile_without_its_credential_exits_3_and_one_unreachable_exits_8() {
    let gates = server().await;
    gates_listing(&gates, gates_family()).await;
    let venice = server().await;
    let (home, file) = two_profiles(&gates.uri(), &venice.uri(), "KEYCTL_TEST_NOT_SET");
    one_profile_fails(&home, &file, 3, "credential").await;
    assert!(
        requests(&venice).await.is_empty(),
        "nothing sent without a credential"
    );
    let closed = crate::common::profiles_file::closed_url();
    let (home, file) = two_profiles(&gates.uri(), &closed, ENV);
    one_profile_fails(&home, &file, 8, "network").await;
    assert_eq!(requests(&gates).await, vec!["GET /api/v1/keys"; 4]);
}
