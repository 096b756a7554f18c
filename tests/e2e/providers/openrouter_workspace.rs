//! OpenRouter workspaces and `label`, end to end against a stand-in on loopback. OpenRouter's
//! published document (fixtures/openrouter/openapi_keys.json) lists only the default workspace's
//! keys unless `GET /keys` gets the `workspace_id` query parameter, and `POST /keys` takes
//! `workspace_id` as a body field: `--workspace ID` (or a profile's `workspace`, the flag
//! winning) is sent exactly there, on the list, the listing that resolves names, and the
//! create; the providers whose documents have no workspaces refuse it (exit 2, nothing sent).
//! Without one, a listing notes once (on a terminal, or with -v) that only the default
//! workspace was read. `label` (the masked secret in OpenRouter's example) is never a key's name.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::request_log::seen_with_query;
use crate::common::{GATES_KEY, Keyctl, Out, gates_listing, server};

const ENV: &str = "OPENROUTER_MANAGEMENT_KEY";
/// A workspace id as OpenRouter's document writes one.
const WS: &str = "0df9e665-d932-5740-b2c7-b52af166bc11";
const WS2: &str = "750e8400-e29b-41d4-a716-446655440002";
/// The note a listing without a workspace gives (its start).
const NOTE: &str = "note: OpenRouter lists only the default workspace's keys";
/// The masked secret OpenRouter's list example has as `label`.
const MASKED: &str = "sk-or-v1-0e6...1c96";

/// A key as OpenRouter lists it: `n` in its 64-hex hash, the given name (absent when None)
/// and the masked secret as its label.
fn key(n: usize, name: Option<&str>) -> Value {
    let mut k = json!({
        "hash": format!("{n:064x}"), "label": MASKED, "disabled": false, "limit": 10,
        "limit_remaining": 4, "limit_reset": "monthly", "usage": 6, "usage_monthly": 6,
        "include_byok_in_limit": false, "workspace_id": WS,
    });
    if let Some(name) = name {
        k["name"] = json!(name);
    }
    k
}

/// `keyctl ARGS -p openrouter --base-url SERVER`.
async fn or(server: &MockServer, args: &[&str]) -> Out {
    Keyctl::new(ENV, args)
        .args(&["-p", "openrouter"])
        .base(server)
        .run()
        .await
}

/// A config file in a fresh folder (kept alive by the returned guard) and its path.
fn config(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(&file, text).unwrap();
    let path = file.display().to_string();
    (dir, path)
}

#[tokio::test]
async fn list_sends_the_workspace_on_every_page() {
    let s = server().await;
    gates_listing(&s, (0..150).map(|i| key(i, Some("k"))).collect()).await;
    // Any usual spelling of the UUID is sent in its one form.
    let out = or(
        &s,
        &["list", "-o", "json", "--workspace", &WS.to_uppercase()],
    )
    .await;
    out.code(0);
    assert_eq!(out.json_lines().len(), 150);
    assert_eq!(
        seen_with_query(&s).await,
        [
            format!("GET /api/v1/keys?offset=0&workspace_id={WS}"),
            format!("GET /api/v1/keys?offset=100&workspace_id={WS}"),
        ]
    );
}

#[tokio::test]
async fn a_name_is_resolved_in_the_workspaces_listing() {
    let s = server().await;
    gates_listing(&s, vec![key(1, Some("ci-1")), key(2, Some("ci-2"))]).await;
    let out = or(&s, &["get", "ci-2", "-o", "json", "--workspace", WS]).await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["after"]["id"], format!("{:064x}", 2));
    assert_eq!(lines[0]["after"]["name"], "ci-2");
    // The listing (disabled keys too) in the workspace; a read of the key by its hash, if any,
    // takes no workspace (the document gives GET /keys/{hash} none).
    let seen = seen_with_query(&s).await;
    assert_eq!(
        seen[0],
        format!("GET /api/v1/keys?offset=0&include_disabled=true&workspace_id={WS}")
    );
    for r in &seen[1..] {
        assert_eq!(r, &format!("GET /api/v1/keys/{:064x}", 2), "{seen:?}");
    }
}

#[tokio::test]
async fn create_sends_the_workspace_as_a_body_field() {
    let s = server().await;
    gates_listing(&s, vec![key(1, Some("other"))]).await;
    let made = json!({
        "data": key(9, Some("ci-new")),
        "key": "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",
    });
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .and(body_json(
            json!({"name": "ci-new", "limit": 5, "workspace_id": WS}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(made))
        .expect(1)
        .mount(&s)
        .await;
    let out = or(
        &s,
        &[
            "create",
            "--name",
            "ci-new",
            "--limit",
            "5",
            "--workspace",
            WS,
            "-o",
            "json",
        ],
    )
    .await;
    out.code(0);
    assert_eq!(
        seen_with_query(&s).await,
        [
            // The name is checked free in the same workspace, then the create (no query).
            format!("GET /api/v1/keys?offset=0&include_disabled=true&workspace_id={WS}"),
            "POST /api/v1/keys".to_string(),
        ]
    );
}

#[tokio::test]
async fn a_profiles_workspace_is_sent_and_the_flag_overrides_it() {
    let s = server().await;
    gates_listing(&s, vec![key(1, Some("a"))]).await;
    let (_dir, file) = config(&format!(
        "[profiles.team]\nprovider = \"openrouter\"\nbase_url = \"{}\"\ncredential_env = \"{ENV}\"\nworkspace = \"{WS}\"\n",
        s.uri()
    ));
    let run = |extra: &'static [&'static str]| {
        Keyctl::new(ENV, &["list", "-P", "team", "-o", "json"])
            .args(extra)
            .env("KEYCTL_CONFIG", &file)
            .run()
    };
    run(&[]).await.code(0);
    run(&["--workspace", WS2]).await.code(0);
    assert_eq!(
        seen_with_query(&s).await,
        [
            format!("GET /api/v1/keys?offset=0&workspace_id={WS}"),
            format!("GET /api/v1/keys?offset=0&workspace_id={WS2}"),
        ]
    );
}

#[tokio::test]
async fn providers_without_workspaces_refuse_it_and_send_nothing() {
    let s = server().await;
    for (p, env, key) in [
        ("modelgates", "MODELGATES_MANAGEMENT_KEY", GATES_KEY),
        ("novapai", "NOVAPAI_MANAGEMENT_KEY", GATES_KEY),
        ("venice", "VENICE_ADMIN_KEY", crate::common::VENICE_KEY),
        ("ionet", "IONET_ADMIN_KEY", crate::common::IONET_KEY),
    ] {
        for args in [
            vec!["list"],
            vec!["get", key],
            vec!["create", "--name", "ci"],
            vec!["update", key, "--limit", "5"],
        ] {
            let out = Keyctl::new(env, &args)
                .args(&["-p", p, "--workspace", WS])
                .base(&s)
                .run()
                .await;
            out.code(2)
                .stderr_has("does not support --workspace")
                .stderr_has("has no workspaces");
        }
    }
    // Not a UUID (a slug, a name, a pasted key): refused on OpenRouter too, the key not echoed.
    for bad in [
        "production",
        "",
        "sk-or-v1-TOPSECRET0123456789abcdef0123456789",
    ] {
        let out = or(&s, &["list", "--workspace", bad]).await;
        out.code(2).stderr_has("is not a workspace id");
        assert!(!out.stderr.contains("sk-or-v1-TOPSECRET"), "{}", out.stderr);
    }
    assert_eq!(seen_with_query(&s).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_profiles_workspace_is_checked_when_the_file_is_read() {
    let s = server().await;
    for (text, want) in [
        (
            format!("[profiles.mg]\nprovider = \"modelgates\"\ncredential_env = \"X\"\nworkspace = \"{WS}\"\n"),
            ":4: profiles.mg.workspace: ModelGates's key API has no workspaces",
        ),
        (
            format!("[profiles.v]\nprovider = \"venice\"\n\ncredential_env = \"X\"\nworkspace = \"{WS}\"\n"),
            ":5: profiles.v.workspace: Venice's key API has no workspaces",
        ),
        (
            "[profiles.or]\nprovider = \"openrouter\"\ncredential_env = \"X\"\nworkspace = \"production\"\n".to_string(),
            ":4: profiles.or.workspace: 'production' is not a workspace id",
        ),
    ] {
        let (_dir, file) = config(&text);
        let out = Keyctl::new(ENV, &["list", "-p", "openrouter"])
            .base(&s)
            .env("KEYCTL_CONFIG", &file)
            .run()
            .await;
        out.code(2).stderr_has(&format!("{file}{want}"));
    }
    assert_eq!(seen_with_query(&s).await, Vec::<String>::new());
}

#[tokio::test]
async fn without_a_workspace_the_listing_says_once_that_only_the_default_one_was_read() {
    let s = server().await;
    gates_listing(&s, (0..150).map(|i| key(i, Some("k"))).collect()).await;
    // With -v: once, though two pages (and, for check, the same listing) were read.
    for args in [
        vec!["list", "-v", "-o", "json"],
        vec!["check", "-v", "-o", "json", "--usage-over", "90%"],
    ] {
        let out = or(&s, &args).await;
        out.code(0);
        assert_eq!(out.stderr.matches(NOTE).count(), 1, "{}", out.stderr);
        out.stderr_has("pass --workspace ID (or set workspace in the profile)");
    }
    // Not on a pipe without -v; never when a workspace is given; never on ModelGates.
    let out = or(&s, &["list", "-o", "json"]).await;
    out.code(0);
    assert!(!out.stderr.contains("workspace"), "{}", out.stderr);
    let out = or(&s, &["list", "-v", "-o", "json", "--workspace", WS]).await;
    out.code(0);
    assert!(!out.stderr.contains(NOTE), "{}", out.stderr);
    let out = Keyctl::new("MODELGATES_MANAGEMENT_KEY", &["list", "-v", "-o", "json"])
        .args(&["-p", "modelgates"])
        .base(&s)
        .run()
        .await;
    out.code(0);
    assert!(!out.stderr.contains("workspace"), "{}", out.stderr);
}

#[tokio::test]
async fn on_a_terminal_the_note_shows_without_v() {
    let s = server().await;
    gates_listing(&s, vec![key(1, Some("k"))]).await;
    let argv = [
        env!("CARGO_BIN_EXE_keyctl"),
        "list",
        "-p",
        "openrouter",
        "--base-url",
        &s.uri(),
    ];
    let spec = json!({
        "argv": argv, "rows": 40, "cols": 120, "timeout": 20,
        "answer": null, "stdout": null, "stderr": null,
    });
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new("python3");
        cmd.arg(crate::common::pty::SCRIPT).arg(spec.to_string());
        crate::common::pty::clean(&mut cmd);
        cmd.env(ENV, crate::common::SECRET)
            .env("TERM", "xterm-256color")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("python3 runs")
    })
    .await
    .unwrap();
    let (r, _) = crate::common::pty::finish(&out);
    assert_eq!(r.exit, Some(0), "{}", r.output);
    assert_eq!(r.output.matches(NOTE).count(), 1, "{}", r.output);
}

#[tokio::test]
async fn label_is_never_shown_as_a_name() {
    let s = server().await;
    // Named, named "" and nameless keys, each with the masked secret as its label.
    gates_listing(
        &s,
        vec![key(1, Some("prod")), key(2, Some("")), key(3, None)],
    )
    .await;
    let nameless = format!("{:064x}", 3);
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{nameless}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": key(3, None)})))
        .mount(&s)
        .await;
    let out = or(&s, &["list", "-o", "json"]).await;
    out.code(0);
    let names: Vec<Value> = out
        .json_lines()
        .iter()
        .map(|l| l["after"]["name"].clone())
        .collect();
    assert_eq!(names, [json!("prod"), json!(""), Value::Null]);
    for format in ["tsv", "table"] {
        let out = or(&s, &["list", "-o", format, "--wide"]).await;
        out.code(0);
        assert!(!out.stdout.contains("sk-or-v1"), "{}", out.stdout);
    }
    for format in ["json", "tsv", "table"] {
        let out = or(&s, &["get", &nameless, "-o", format]).await;
        out.code(0);
        if format == "json" {
            assert_eq!(
                out.json_lines()[0]["after"]["name"],
                Value::Null,
                "{}",
                out.stdout
            );
            // The label stays in the raw answer, and only there.
            assert_eq!(
                out.json_lines()[0]["after"]["raw"]["label"],
                MASKED,
                "{}",
                out.stdout
            );
        } else {
            assert!(!out.stdout.contains("sk-or-v1"), "{}", out.stdout);
        }
    }
}

#[tokio::test]
async fn a_name_reference_does_not_match_a_label() {
    let s = server().await;
    let mut labelled = key(1, Some("prod"));
    labelled["label"] = json!("legacy-ci");
    gates_listing(&s, vec![labelled, key(2, None)]).await;
    let out = or(&s, &["get", "legacy-ci"]).await;
    out.code(4);
    // The name is found by `name` alone; nothing but the listing was read.
    let out2 = or(&s, &["get", "prod", "-o", "json"]).await;
    out2.code(0);
    assert_eq!(out2.json_lines()[0]["after"]["id"], format!("{:064x}", 1));
    let seen = seen_with_query(&s).await;
    assert_eq!(
        seen[0], "GET /api/v1/keys?offset=0&include_disabled=true",
        "{seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|r| r.starts_with("PATCH") || r.starts_with("POST")),
        "{seen:?}"
    );
}
