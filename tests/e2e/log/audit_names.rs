//! Audit lines a team can read (issue 21): each line names the key (a revoke: the name read
//! before deleting, even when the delete fails), the local user and host, and the command
//! line's arguments with a pasted secret masked; `keyctl log --action`, `--status`, `--name`
//! and `-n/--tail`, alone and combined; lines written before these fields still shown.
//!
//! Every run gets its own state folder (XDG_STATE_HOME, a tempdir), so no test sees another's
//! trail.

use std::path::PathBuf;

use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::stand_ins::{self, With};
use crate::common::{self, GATES_KEY, Keyctl, Out};

const MG: &str = "MODELGATES_MANAGEMENT_KEY";

/// A second ModelGates key (64 hex), one whose delete fails.
const GATES_KEY_2: &str = "a3c9e1f05b7d2846c0e8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6";

/// A ModelGates key's secret pasted where a name goes (not the credential: a key's own secret).
const PASTED: &str = "sk-or-v1-9c1e7a3f5b2d8e4a6c0f1b3d5e7a9c2e4f6b8d0a1c3e5f7b";

/// One test's state folder.
struct Home {
    state: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            state: tempfile::tempdir().unwrap(),
        }
    }

    fn trail(&self) -> PathBuf {
        self.state.path().join("keyctl").join("audit.jsonl")
    }

    fn within(&self, k: Keyctl) -> Keyctl {
        k.env("XDG_STATE_HOME", &self.state.path().display().to_string())
            .env("XDG_CONFIG_HOME", &self.state.path().display().to_string())
    }

    /// `keyctl log <args> -o json` on this trail.
    async fn log(&self, args: &[&str]) -> Out {
        let mut all = vec!["log", "-o", "json"];
        all.extend_from_slice(args);
        self.within(Keyctl::bare(&all)).run().await
    }

    /// The keys of the entries `keyctl log <args>` shows (exit 0).
    async fn keys(&self, args: &[&str]) -> Vec<String> {
        let out = self.log(args).await;
        out.code(0);
        out.json_lines()
            .iter()
            .map(|e| e["key"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    fn write_trail(&self, text: &str) {
        std::fs::create_dir_all(self.trail().parent().unwrap()).unwrap();
        std::fs::write(self.trail(), text).unwrap();
    }

    fn text(&self) -> String {
        std::fs::read_to_string(self.trail()).unwrap()
    }

    fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// A ModelGates key as its API returns it.
fn gates_key(hash: &str, name: &str) -> Value {
    stand_ins::gates_key(hash, name).with(json!({"limit": 10, "limit_remaining": 10,
        "limit_reset": "monthly", "include_byok_in_limit": false, "usage": 0,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": null, "expires_at": null}))
}

/// The local user as `id -un` names it, and the host as the kernel has it.
fn user_and_host() -> (String, String) {
    let id = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let user = String::from_utf8(id.stdout).unwrap().trim().to_string();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string();
    (user, host)
}

/// `keyctl` followed by the arguments, as a line's `argv` holds them.
fn argv(args: &[&str]) -> Value {
    let mut v = vec!["keyctl"];
    v.extend_from_slice(args);
    json!(v)
}

#[tokio::test]
async fn a_revoke_line_holds_the_name_read_before_deleting() {
    let home = Home::new();
    let server = common::server().await;
    for (key, name) in [(GATES_KEY, "ci-agent-08"), (GATES_KEY_2, "ci-agent-09")] {
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/keys/{key}")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"data": gates_key(key, name)})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deleted": true})))
        .expect(1)
        .mount(&server)
        .await;
    // The second delete fails: the line still names the key, from the read before it.
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1/keys/{GATES_KEY_2}")))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": "down"})))
        .expect(1)
        .mount(&server)
        .await;
    let args = [
        "revoke",
        "-p",
        "modelgates",
        GATES_KEY,
        GATES_KEY_2,
        "--yes",
        "--retries",
        "0",
        "--concurrency",
        "1",
    ];
    let out = home
        .within(Keyctl::new(MG, &args))
        .base(&server)
        .run()
        .await;
    assert_ne!(out.code, 0, "{}", out.stderr);
    let mut lines = home.lines();
    lines.sort_by_key(|l| l["key"].as_str().unwrap().to_string());
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (user, host) = user_and_host();
    let uri = server.uri();
    let mut want_argv = args.to_vec();
    want_argv.extend(["--base-url", uri.as_str()]);
    let by_key = |k: &str| lines.iter().find(|l| l["key"] == k).unwrap().clone();
    let ok = by_key(GATES_KEY);
    assert_eq!(ok["action"], "revoke");
    assert_eq!(ok["status"], "revoked");
    assert_eq!(ok["name"], "ci-agent-08", "{ok}");
    let failed = by_key(GATES_KEY_2);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["http_status"], 500);
    assert_eq!(failed["name"], "ci-agent-09", "{failed}");
    for l in [&ok, &failed] {
        assert_eq!(l["user"], json!(user), "{l}");
        assert_eq!(l["host"], json!(host), "{l}");
        assert_eq!(l["argv"], argv(&want_argv), "{l}");
    }
    // `--name` finds the revoked key by the name it had.
    assert_eq!(
        home.keys(&["--name", "ci-agent-08"]).await,
        [GATES_KEY.to_string()]
    );
}

#[tokio::test]
async fn update_and_create_lines_carry_name_user_host_and_arguments() {
    let home = Home::new();
    let server = common::server().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .and(body_json(json!({"limit": 5})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": gates_key(GATES_KEY, "ci-agent-08")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let new_hash = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";
    // A listing (for the duplicate-name check), empty.
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "data": gates_key(new_hash, "ci-pipe-01"),
            "key": "sk-or-v1-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let update = ["update", "-p", "modelgates", GATES_KEY, "--limit", "5"];
    home.within(Keyctl::new(MG, &update))
        .base(&server)
        .run()
        .await
        .code(0);
    let secret_file = home.state.path().join("new.secret");
    let secret_arg = secret_file.display().to_string();
    let create = [
        "create",
        "-p",
        "modelgates",
        "--name",
        "ci-pipe-01",
        "--limit",
        "50",
        "--secret-file",
        secret_arg.as_str(),
    ];
    home.within(Keyctl::new(MG, &create))
        .base(&server)
        .run()
        .await
        .code(0);
    let lines = home.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (user, host) = user_and_host();
    let uri = server.uri();
    let with_base = |a: &[&str]| {
        let mut v = a.to_vec();
        v.extend(["--base-url", uri.as_str()]);
        argv(&v)
    };
    let u = &lines[0];
    assert_eq!(
        (&u["action"], &u["key"], &u["name"]),
        (&json!("update"), &json!(GATES_KEY), &json!("ci-agent-08")),
        "{u}"
    );
    let c = &lines[1];
    assert_eq!(
        (&c["action"], &c["key"], &c["name"]),
        (&json!("create"), &json!(new_hash), &json!("ci-pipe-01")),
        "{c}"
    );
    for (l, args) in [(u, &update[..]), (c, &create[..])] {
        assert_eq!(l["user"], json!(user), "{l}");
        assert!(!user.is_empty());
        assert_eq!(l["host"], json!(host), "{l}");
        assert_eq!(l["argv"], with_base(args), "{l}");
        assert_eq!(l["run"].as_str().map(str::len), Some(36), "{l}");
    }
    // The new key's secret is in its file only.
    assert!(!home.text().contains("0f9e8d7c6b5a"), "{}", home.text());
    // The table and TSV show the name and who wrote the line.
    let out = home.within(Keyctl::bare(&["log", "-o", "tsv"])).run().await;
    out.code(0);
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "time", "profile", "provider", "key", "name", "action", "status", "changes", "http",
            "by"
        ]
    );
    assert_eq!(rows[1][4], "ci-agent-08");
    assert_eq!(rows[2][4], "ci-pipe-01");
    assert_eq!(rows[1][9], format!("{user}@{host}"));
}

#[tokio::test]
async fn a_pasted_secret_in_the_arguments_is_masked() {
    let home = Home::new();
    let server = common::server().await;
    // The secret pasted as a new name: sent (the provider is told what the person typed), but
    // never written to the trail, in argv, name or changes.
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .and(body_json(json!({"name": PASTED})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": gates_key(GATES_KEY, PASTED)})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let name_flag = format!("--name={PASTED}");
    let args = ["update", "-p", "modelgates", GATES_KEY, name_flag.as_str()];
    home.within(Keyctl::new(MG, &args))
        .base(&server)
        .run()
        .await
        .code(0);
    let text = home.text();
    assert!(!text.contains(PASTED), "{text}");
    assert!(!text.contains(&PASTED[9..25]), "{text}");
    let l = &home.lines()[0];
    assert_eq!(l["argv"][5], "--name=****", "{l}");
    assert_eq!(l["argv"][4], GATES_KEY, "{l}");
    assert_eq!(l["name"], "****", "{l}");
}

/// A trail of both formats: two lines written before names, user, host and argv were recorded,
/// then six with them.
fn mixed_trail() -> String {
    let old = [
        json!({"time": "2026-11-01T00:00:00.000Z", "run": "r0", "profile": null,
               "provider": "venice", "key": "old-1", "action": "update", "status": "updated",
               "changes": [{"field": "limit", "from": 1, "to": 2}], "http_status": 200}),
        json!({"time": "2026-11-02T00:00:00.000Z", "run": "r0", "profile": null,
               "provider": "venice", "key": "old-2", "action": "revoke", "status": "revoked",
               "changes": [], "http_status": 200}),
    ];
    let new = [
        ("n1", "ci-agent-01", "update", "updated"),
        ("n2", "ci-agent-02", "revoke", "revoked"),
        ("n3", "prod-api", "revoke", "failed"),
        ("n4", "ci-agent-03", "create", "created"),
        ("n5", "ci-agent-04", "revoke", "revoked"),
        ("n6", "prod-web", "update", "failed"),
    ]
    .map(|(key, name, action, status)| {
        json!({"time": "2026-11-10T00:00:00.000Z", "run": "r1", "profile": null,
               "provider": "modelgates", "key": key, "name": name, "action": action,
               "status": status, "changes": [], "http_status": 200, "user": "ana",
               "host": "build-3", "argv": ["keyctl", action]})
    });
    old.iter()
        .chain(new.iter())
        .map(|v| format!("{v}\n"))
        .collect()
}

#[tokio::test]
async fn log_filters_by_action_status_and_name() {
    let home = Home::new();
    home.write_trail(&mixed_trail());
    let all = ["old-1", "old-2", "n1", "n2", "n3", "n4", "n5", "n6"];
    assert_eq!(home.keys(&[]).await, all);
    // --action: one, a comma list, repeated.
    assert_eq!(
        home.keys(&["--action", "revoke"]).await,
        ["old-2", "n2", "n3", "n5"]
    );
    assert_eq!(
        home.keys(&["--action", "update,create"]).await,
        ["old-1", "n1", "n4", "n6"]
    );
    assert_eq!(
        home.keys(&["--action", "create", "--action", "update"])
            .await,
        ["old-1", "n1", "n4", "n6"]
    );
    // --status.
    assert_eq!(home.keys(&["--status", "failed"]).await, ["n3", "n6"]);
    assert_eq!(
        home.keys(&["--status", "failed,created"]).await,
        ["n3", "n4", "n6"]
    );
    // --name: a glob on the name; the old lines have none and never match.
    assert_eq!(
        home.keys(&["--name", "ci-*"]).await,
        ["n1", "n2", "n4", "n5"]
    );
    assert_eq!(home.keys(&["--name", "prod-api"]).await, ["n3"]);
    assert_eq!(home.keys(&["--name", "*"]).await.len(), 6);
    // Combined: AND, with the filters that were there before too.
    assert_eq!(
        home.keys(&[
            "--action", "revoke", "--status", "revoked", "--name", "ci-*"
        ])
        .await,
        ["n2", "n5"]
    );
    assert_eq!(
        home.keys(&["--action", "revoke", "--since", "2026-11-05"])
            .await,
        ["n2", "n3", "n5"]
    );
    assert_eq!(
        home.keys(&["--key", "n3", "--status", "failed"]).await,
        ["n3"]
    );
    assert!(
        home.keys(&["--key", "n3", "--status", "revoked"])
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn log_tail_gives_the_last_matching_entries() {
    let home = Home::new();
    home.write_trail(&mixed_trail());
    assert_eq!(home.keys(&["-n", "2"]).await, ["n5", "n6"]);
    assert_eq!(home.keys(&["--tail", "3"]).await, ["n4", "n5", "n6"]);
    // The last two of those that pass the other filters, in file order.
    assert_eq!(
        home.keys(&["-n", "2", "--action", "revoke"]).await,
        ["n3", "n5"]
    );
    assert_eq!(
        home.keys(&["--name", "ci-*", "-n", "2", "--status", "revoked"])
            .await,
        ["n2", "n5"]
    );
    assert_eq!(home.keys(&["-n", "100"]).await.len(), 8);
    assert!(home.keys(&["-n", "0"]).await.is_empty());
    // TSV and table: the header and the last two rows.
    let out = home
        .within(Keyctl::bare(&["log", "-o", "tsv", "-n", "2"]))
        .run()
        .await;
    out.code(0);
    let keys: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').nth(3).unwrap())
        .collect();
    assert_eq!(keys, ["key", "n5", "n6"]);
    let out = home
        .within(Keyctl::bare(&["log", "-o", "table", "-n", "1"]))
        .env("COLUMNS", "250")
        .run()
        .await;
    out.code(0).stdout_has("prod-web").stdout_has("ana@build-3");
    assert!(!out.stdout.contains("ci-agent-04"), "{}", out.stdout);
}

#[tokio::test]
async fn unknown_filter_values_are_usage_errors_naming_the_valid_ones() {
    let home = Home::new();
    home.write_trail(&mixed_trail());
    let out = home.log(&["--action", "delete"]).await;
    out.code(2)
        .stderr_has("delete")
        .stderr_has("update")
        .stderr_has("create")
        .stderr_has("revoke")
        .stderr_has("rotate");
    assert_eq!(out.stdout, "");
    let out = home.log(&["--action", "update,removed"]).await;
    out.code(2).stderr_has("removed");
    let out = home.log(&["--status", "ok"]).await;
    out.code(2)
        .stderr_has("updated")
        .stderr_has("not_found")
        .stderr_has("partial");
    let out = home.log(&["--name", "ci-[a"]).await;
    out.code(2).stderr_has("--name");
    let out = home.log(&["-n", "two"]).await;
    out.code(2);
}

#[tokio::test]
async fn old_lines_are_still_shown() {
    let home = Home::new();
    let text = mixed_trail();
    home.write_trail(&text);
    // JSON: each entry as stored, old ones without the new fields.
    let out = home.log(&[]).await;
    out.code(0);
    let want: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.json_lines(), want);
    assert_eq!(out.stderr, "");
    // TSV: an old line's name and `by` cells are empty.
    let out = home
        .within(Keyctl::bare(&["log", "-o", "tsv", "--key", "old-1"]))
        .run()
        .await;
    out.code(0);
    assert_eq!(
        out.stdout.lines().nth(1).unwrap(),
        "2026-11-01T00:00:00.000Z\t\tvenice\told-1\t\tupdate\tupdated\tlimit 1 → 2\t200\t"
    );
    // Filters that do not look at the new fields select old lines as before.
    assert_eq!(
        home.keys(&["-p", "venice", "--action", "revoke"]).await,
        ["old-2"]
    );
}
