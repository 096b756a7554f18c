//! The new secret of `create` is shown exactly once on stdout and nowhere else, even when it
//! shares pieces with the admin credential, holds control characters or lacks key data; a
//! secret that cannot be delivered fails the run; a names file's BOM is not part of a name.

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Keyctl, Out, server};

/// An admin credential of the same kind as the new keys (a ModelGates management key starts
/// `sk-or-v1-`, as every key it makes does). `scan` does not know it: checked here.
const ADMIN: &str = "sk-or-v1-ADMINxyz9876543210qqqqWWWW";

const NEW: &str = "sk-or-v1-NEWSECRETabcdef0123456789zzzz";

const HASH: &str = "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";

fn answer(data: Value, key: Value) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({"data": data, "key": key}))
}

fn data(name: &str) -> Value {
    json!({"hash": HASH, "name": name, "label": name, "disabled": false, "limit": null,
           "limit_reset": null, "usage": 0, "expires_at": null})
}

async fn create(server: &MockServer, extra: &[&str]) -> Out {
    // A create reads the account's listing first (its name is checked): an empty one.
    crate::common::no_keys(server).await;
    let out = Keyctl::bare(&["create", "-p", "modelgates", "--name", "ci"])
        .env("MODELGATES_MANAGEMENT_KEY", ADMIN)
        .base(server)
        .args(extra)
        .run()
        .await;
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains("ADMINxyz"),
            "admin credential shown:\n{text}"
        );
    }
    out
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn a_secret_sharing_the_admin_keys_prefix_is_shown_exactly_once_everywhere() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(answer(data("ci"), json!(NEW)))
        .mount(&server)
        .await;
    for format in ["json", "tsv", "table"] {
        let out = create(&server, &["-o", format]).await;
        out.code(0);
        assert_eq!(count(&out.stdout, NEW), 1, "{format}:\n{}", out.stdout);
        assert!(!out.stdout.contains("****NEWSECRET"), "{}", out.stdout);
        assert!(!out.stderr.contains("NEWSECRET"), "{}", out.stderr);
    }
    // The table prints it alone on its line.
    let out = create(&server, &["-o", "table"]).await;
    assert!(out.stdout.lines().any(|l| l == NEW), "{}", out.stdout);
}

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn a_secret_echoed_in_the_name_or_as_a_raw_key_is_not_shown_twice() {
    let server = server().await;
    let mut d = data(&format!("name-{NEW}-tail"));
    d["label"] = json!(&NEW[..20]);
    d["meta"] = json!({ NEW: 1 });
    Mock::given(method("POST"))
        .respond_with(answer(d, json!(NEW)))
        .mount(&server)
        .await;
    let out = create(&server, &["-o", "json"]).await;
    out.code(0);
    assert_eq!(count(&out.stdout, NEW), 1, "{}", out.stdout);
    assert_eq!(count(&out.stdout, "NEWSECRET"), 1, "{}", out.stdout);
}

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn the_admin_credential_as_the_new_secret_is_never_shown() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(answer(data("ci"), json!(ADMIN)))
        .mount(&server)
        .await;
    create(&server, &["-o", "json"])
        .await
        .code(7)
        .stderr_has("the admin credential itself");
}

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn a_secret_with_control_characters_is_shown_as_a_json_string() {
    let server = server().await;
    let odd = "sk-or-v1-ODD\u{1b}[2J\tX\r\nY";
    Mock::given(method("POST"))
        .respond_with(answer(data("ci"), json!(odd)))
        .mount(&server)
        .await;
    for format in ["tsv", "table"] {
        let out = create(&server, &["-o", format]).await;
        out.code(0);
        assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
        let quoted = serde_json::to_string(odd).unwrap();
        let shown = out
            .stdout
            .lines()
            .flat_map(|l| l.split('\t'))
            .find(|c| c.contains("ODD"))
            .unwrap_or_else(|| panic!("{}", out.stdout));
        let back: String = serde_json::from_str(shown).unwrap_or_else(|e| panic!("{e}: {shown}"));
        assert_eq!(back, odd, "{format}: {shown} vs {quoted}");
    }
}

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn a_secret_without_key_data_is_still_shown() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"key": NEW})))
        .mount(&server)
        .await;
    let out = create(&server, &["-o", "json"]).await;
    out.code(0).stderr_has("no key id");
    let l: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(l["secret"], NEW);
    assert_eq!(l["status"], "created");
}

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn a_secret_that_cannot_be_written_to_stdout_fails_the_run() {
    let server = server().await;
    crate::common::no_keys(&server).await;
    Mock::given(method("POST"))
        .respond_with(answer(data("ci"), json!(NEW)))
        .mount(&server)
        .await;
    let out = tokio::task::spawn_blocking(move || {
        let uri = server.uri();
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_keyctl"));
        for v in crate::common::cleared() {
            cmd.env_remove(v);
        }
        cmd.args(["create", "-p", "modelgates", "--name", "ci", "-o", "json"])
            .args(["--base-url", &uri])
            .env("MODELGATES_MANAGEMENT_KEY", ADMIN)
            .stdout(full)
            .output()
            .expect("runs")
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("could not write the new secret"),
        "{stderr}"
    );
    assert!(!stderr.contains("NEWSECRET"), "{stderr}");
}

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn columns_without_the_secret_are_refused_before_anything_is_sent() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(answer(data("ci"), json!(NEW)))
        .expect(0)
        .mount(&server)
        .await;
    create(&server, &["-o", "tsv", "--columns", "id,name"])
        .await
        .code(2)
        .stderr_has("leaves out `secret`");
}

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn a_bom_before_the_first_name_is_not_part_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let names = dir.path().join("names.txt");
    std::fs::write(&names, "\u{feff}first\nsecond\n").unwrap();
    let out = Keyctl::bare(&["create", "-p", "novapai", "--dry-run", "-o", "json"])
        .args(&["--from-file", names.to_str().unwrap()])
        .run()
        .await;
    out.code(0);
    let first: Value = serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["request"]["body"]["name"], "first");
}
