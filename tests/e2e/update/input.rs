//! Bad input, credentials, base URLs, dry runs, several keys, help: what happens before and
//! around the request.

use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{GATES_KEY, IONET_KEY, Keyctl, Out, SECRET, VENICE_KEY, forbid_patch};

/// A server that fails the test if it receives anything.
async fn silent_server() -> MockServer {
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    server
}

async fn mg(server: &MockServer, extra: &[&str]) -> Out {
    Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &["update", "-p", "modelgates", GATES_KEY],
    )
    .base(server)
    .args(extra)
    .run()
    .await
}

#[tokio::test]
async fn bad_values_are_usage_errors_and_send_nothing() {
    let server = silent_server().await;
    for args in [
        vec!["--limit", "--1"],
        vec!["--limit", "+x"],
        vec!["--limit-max", "5", "--limit", "5"],
        vec!["--limit", "NaN"],
        vec!["--limit", "inf"],
        vec!["--limit", ""],
        vec!["--limit", "ten"],
        vec!["--limit", "1e3"],
        vec!["--limit-diem", "-2"],
        vec!["--reset", "hourly"],
        vec!["--include-byok-in-limit", "maybe"],
        vec!["--name", ""],
        vec!["--disable", "--enable"],
    ] {
        let out = mg(&server, &args).await;
        out.code(2);
        assert!(!out.stderr.is_empty());
    }
    let v = Keyctl::new("VENICE_ADMIN_KEY", &["update", "-p", "venice", VENICE_KEY]).base(&server);
    v.arg("--expires")
        .arg("2020-01-01")
        .run()
        .await
        .code(2)
        .stderr_has("in the past");
    let v = Keyctl::new("VENICE_ADMIN_KEY", &["update", "-p", "venice", VENICE_KEY]).base(&server);
    v.arg("--expires")
        .arg("someday")
        .run()
        .await
        .code(2)
        .stderr_has("not a valid expiry");
    let i = Keyctl::new("IONET_ADMIN_KEY", &["update", "-p", "ionet", IONET_KEY]).base(&server);
    i.arg("--models")
        .arg("a,,b")
        .run()
        .await
        .code(2)
        .stderr_has("empty");
}

#[tokio::test]
async fn nothing_to_update() {
    let server = silent_server().await;
    mg(&server, &[])
        .await
        .code(2)
        .stderr_has("nothing to update");
}

#[tokio::test]
async fn missing_provider_and_unknown_provider() {
    Keyctl::bare(&["update", GATES_KEY, "--limit", "1"])
        .run()
        .await
        .code(2)
        .stderr_has("KEYCTL_PROVIDER");
    Keyctl::bare(&["update", "-p", "openai", GATES_KEY, "--limit", "1"])
        .run()
        .await
        .code(2)
        .stderr_has("invalid value 'openai' for -p/--provider")
        .stderr_has("use one of ionet, modelgates, novapai, openrouter, venice (or define it under [providers.NAME] in the config file)");
    // Ids match in any case; io.net is an alias of ionet.
    for p in ["IONET", "io.net", "OpenRouter"] {
        Keyctl::bare(&[
            "list",
            "-p",
            p,
            "--base-url",
            "http://127.0.0.1:1",
            "--retries",
            "0",
        ])
        .run()
        .await
        .code(3);
    }
    // `support` takes none of the shared options but -o and -p.
    Keyctl::bare(&["support", "--retries", "1"])
        .run()
        .await
        .code(2)
        .stderr_has("support takes only -o/--output and -p/--provider");
}

#[tokio::test]
async fn provider_from_environment() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"id": VENICE_KEY}, "success": true})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Keyctl::new("VENICE_ADMIN_KEY", &["update", VENICE_KEY, "--name", "x"])
        .env("KEYCTL_PROVIDER", "venice")
        .base(&server)
        .run()
        .await
        .code(0);
}

#[tokio::test]
async fn missing_credential_names_the_variable() {
    let server = silent_server().await;
    for (p, var, key) in [
        ("ionet", "IONET_ADMIN_KEY", IONET_KEY),
        ("modelgates", "MODELGATES_MANAGEMENT_KEY", GATES_KEY),
        ("novapai", "NOVAPAI_MANAGEMENT_KEY", GATES_KEY),
        ("venice", "VENICE_ADMIN_KEY", VENICE_KEY),
    ] {
        Keyctl::bare(&["update", "-p", p, key, "--limit", "1"])
            .base(&server)
            .run()
            .await
            .code(3)
            .stderr_has(var);
        // An empty variable is missing too.
        Keyctl::bare(&["update", "-p", p, key, "--limit", "1"])
            .env(var, "")
            .base(&server)
            .run()
            .await
            .code(3)
            .stderr_has(var);
    }
}

async fn auth_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .and(body_json(json!({"limit": 1})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"hash": "h"}})))
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn credential_from_file_trims_the_newline() {
    let server = auth_server().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("key");
    std::fs::write(&f, format!("{SECRET}\n")).unwrap();
    Keyctl::bare(&["update", "-p", "modelgates", GATES_KEY, "--limit", "1"])
        .arg("--api-key-file")
        .arg(f.to_str().unwrap())
        .base(&server)
        .run()
        .await
        .code(0);
}

#[tokio::test]
async fn credential_from_stdin() {
    let server = auth_server().await;
    Keyctl::bare(&[
        "update",
        "-p",
        "modelgates",
        GATES_KEY,
        "--limit",
        "1",
        "--api-key-file",
        "-",
    ])
    .stdin(format!("{SECRET}\r\n").as_bytes())
    .base(&server)
    .run()
    .await
    .code(0);
}

#[tokio::test]
async fn credential_file_problems_are_exit_3() {
    let server = silent_server().await;
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    for f in [empty.to_str().unwrap(), "/nonexistent/keyctl-key"] {
        Keyctl::bare(&[
            "update",
            "-p",
            "modelgates",
            GATES_KEY,
            "--limit",
            "1",
            "--api-key-file",
            f,
        ])
        .base(&server)
        .run()
        .await
        .code(3)
        .stderr_has("--api-key-file");
    }
}

#[tokio::test]
async fn plain_http_is_refused_unless_loopback() {
    for url in [
        "http://example.com",
        "http://10.1.2.3:8080",
        "ftp://x.example",
    ] {
        Keyctl::new(
            "VENICE_ADMIN_KEY",
            &["update", "-p", "venice", VENICE_KEY, "--limit", "1"],
        )
        .arg("--base-url")
        .arg(url)
        .run()
        .await
        .code(2)
        .stderr_has("base URL");
    }
    Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["update", "-p", "venice", VENICE_KEY, "--limit", "1"],
    )
    .env("KEYCTL_VENICE_BASE_URL", "http://example.com")
    .run()
    .await
    .code(2)
    .stderr_has("KEYCTL_VENICE_BASE_URL");
}

#[tokio::test]
async fn base_url_from_environment_with_path_prefix() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/proxy/v1/api-keys/sub-keys/{IONET_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded"})))
        .expect(1)
        .mount(&server)
        .await;
    Keyctl::new(
        "IONET_ADMIN_KEY",
        &["update", "-p", "ionet", IONET_KEY, "--limit", "1"],
    )
    .env("KEYCTL_IONET_BASE_URL", &format!("{}/proxy/", server.uri()))
    .run()
    .await
    .code(0);
}

#[tokio::test]
async fn dry_run_sends_nothing_and_shows_the_request() {
    // It reads the key for the plan (GET), and writes nothing.
    let server = silent_server().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": {"hash": GATES_KEY, "name": "ci", "limit": 40, "usage": 1, "limit_remaining": 39}}),
        ))
        .mount(&server)
        .await;
    let out = mg(&server, &["--limit", "none", "--dry-run", "-o", "table"]).await;
    out.code(0)
        .stdout_has(&format!("ModelGates key {GATES_KEY} \"ci\":"))
        .stdout_has("limit      40 → none")
        .stdout_has("remaining  39 → none");
    assert!(!out.stdout.contains("PATCH"), "{}", out.stdout);
    // -v adds the request that would be sent.
    let out = mg(
        &server,
        &["--limit", "none", "--dry-run", "-o", "table", "-v"],
    )
    .await;
    out.code(0)
        .stdout_has(&format!("PATCH {}/api/v1/keys/{GATES_KEY}", server.uri()))
        .stdout_has("authorization: Bearer ****")
        .stdout_has("{\"limit\":null}");
    let out = mg(&server, &["--limit", "3", "--dry-run", "-o", "json"]).await;
    out.code(0);
    let l = &out.json_lines()[0];
    assert_eq!(l["status"], "dry_run");
    assert_eq!(l["request"]["method"], "PATCH");
    assert_eq!(l["request"]["headers"]["authorization"], "Bearer ****");
    assert_eq!(l["request"]["body"], json!({"limit": 3}));
    assert_eq!(
        l["request"]["url"],
        format!("{}/api/v1/keys/{GATES_KEY}", server.uri())
    );
}

#[tokio::test]
async fn dry_run_needs_no_credential_and_no_network() {
    let out = Keyctl::bare(&[
        "update",
        "-p",
        "venice",
        VENICE_KEY,
        "--limit",
        "50",
        "--expires",
        "30d",
        "--dry-run",
    ])
    .args(&["-o", "table", "-v"])
    .run()
    .await;
    // Nothing read (no credential): the plan shows `?` for the state before.
    out.code(0)
        .stdout_has("limit    ? → 50")
        .stdout_has("https://api.venice.ai/api/v1/api_keys")
        .stderr_has("VENICE_ADMIN_KEY");
}

#[tokio::test]
async fn verbose_logs_redact_the_credential() {
    let server = auth_server().await;
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "update",
            "-p",
            "modelgates",
            GATES_KEY,
            "--limit",
            "1",
            "-v",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(0)
        .stderr_has("> PATCH")
        .stderr_has("authorization: Bearer ****")
        .stderr_has("(attempt 1)")
        .stderr_has("< 200");
}

#[tokio::test]
async fn quiet_prints_nothing_but_errors() {
    let server = auth_server().await;
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "update",
            "-p",
            "modelgates",
            GATES_KEY,
            "--limit",
            "1",
            "-q",
        ],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
}

/// Each key is tried whatever the others did; the run exits with its worst key's code (a
/// refused credential, 3, is worse than a key not found, 4), not the first failure's.
#[tokio::test]
async fn several_keys_go_on_past_a_failure_and_exit_with_the_worst() {
    let server = MockServer::start().await;
    let ids: Vec<String> = (1..=4).map(|i| format!("{i:064x}")).collect();
    for (k, status) in ids.iter().zip([200, 404, 200, 401]) {
        let body = if status == 200 {
            json!({"data": {"hash": k, "limit": 9}})
        } else {
            json!({"error": {"code": status, "message": format!("nope {}", &k[60..])}})
        };
        Mock::given(method("PATCH"))
            .and(path(format!("/api/v1/keys/{k}")))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let mut args = vec!["update", "-p", "modelgates"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(["--limit", "9", "-o", "json"]);
    let out = Keyctl::new("MODELGATES_MANAGEMENT_KEY", &args)
        .base(&server)
        .run()
        .await;
    out.code(3)
        .stderr_has("nope 0002")
        .stderr_has("nope 0004")
        .stderr_has("summary: 2 updated, 0 unchanged, 2 failed");
    let keys: Vec<String> = out
        .json_lines()
        .iter()
        .map(|l| {
            format!(
                "{}:{}",
                l["key"].as_str().unwrap(),
                l["status"].as_str().unwrap()
            )
        })
        .collect();
    let want: Vec<String> = ids
        .iter()
        .zip(["updated", "failed", "updated", "failed"])
        .map(|(k, s)| format!("{k}:{s}"))
        .collect();
    assert_eq!(keys, want);
}

/// A reference that is not a full id is looked up in the key list (read once); one that names
/// no key stops the run before anything is sent (exit 4), also when the others are fine.
#[tokio::test]
async fn one_unknown_key_among_several_sends_nothing() {
    let server = silent_server().await;
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded",
            "data": [{"id": IONET_KEY, "description": "build bot", "credit_limit": 10}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Keyctl::new(
        "IONET_ADMIN_KEY",
        &["update", "-p", "ionet", IONET_KEY, "nope", "--limit", "1"],
    )
    .base(&server)
    .run()
    .await
    .code(4)
    .stderr_has("no key is named, or has an id starting with, 'nope'")
    .stderr_has("nothing was sent");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn help_and_version() {
    let out = Keyctl::bare(&["--help"]).run().await;
    out.code(0)
        .stdout_has("update")
        .stdout_has("VENICE_ADMIN_KEY");
    let out = Keyctl::bare(&["update", "--help"]).run().await;
    out.code(0)
        .stdout_has("--limit")
        .stdout_has("Examples:")
        .stdout_has("--dry-run");
    let out = Keyctl::bare(&["--version"]).run().await;
    out.code(0).stdout_has(env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn support_table_is_printed() {
    Keyctl::bare(&["support"])
        .run()
        .await
        .code(0)
        .stdout_has("| `--limit none` | error | `\"limit\":null` |");
}

/// A flag wins over its variable, also over an invalid one; an empty variable counts as unset;
/// an invalid variable that is used is exit 2 naming the variable (not the flag).
#[tokio::test]
async fn flags_win_over_variables_and_bad_variables_are_named() {
    let dry = ["update", VENICE_KEY, "--name", "x", "--dry-run"];
    Keyctl::bare(&dry)
        .args(&["-p", "venice", "-o", "json"])
        .env("KEYCTL_PROVIDER", "bogus")
        .env("KEYCTL_OUTPUT", "xml")
        .run()
        .await
        .code(0)
        .stdout_has("\"provider\":\"venice\"");
    Keyctl::bare(&["support"])
        .env("KEYCTL_PROVIDER", "")
        .run()
        .await
        .code(0);
    Keyctl::bare(&dry)
        .env("KEYCTL_PROVIDER", "bogus")
        .run()
        .await
        .code(2)
        .stderr_has("KEYCTL_PROVIDER='bogus' is not a provider; use one of ionet, modelgates");
    Keyctl::bare(&dry)
        .env("KEYCTL_PROVIDER", " Venice ")
        .env("KEYCTL_OUTPUT", "JSON")
        .run()
        .await
        .code(0)
        .stdout_has("\"provider\":\"venice\"");
    Keyctl::bare(&dry)
        .args(&["-p", "venice"])
        .env("KEYCTL_OUTPUT", "xml")
        .run()
        .await
        .code(2)
        .stderr_has("KEYCTL_OUTPUT='xml' is not an output format");
}

/// A base-URL variable set to white space counts as unset: the documented default is used.
#[tokio::test]
async fn a_blank_base_url_variable_means_the_default() {
    Keyctl::bare(&[
        "update",
        "-p",
        "venice",
        VENICE_KEY,
        "--name",
        "x",
        "--dry-run",
    ])
    .env("KEYCTL_VENICE_BASE_URL", "  ")
    .args(&["-o", "json"])
    .run()
    .await
    .code(0)
    .stdout_has("https://api.venice.ai/api/v1/api_keys");
}
