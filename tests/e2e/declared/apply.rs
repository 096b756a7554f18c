//! `keyctl apply` against stand-in providers: each drift sent with its exact body, a create's
//! secret to its file (0600) and nowhere else, unmanaged keys left alone without --prune and
//! revoked with it, no terminal without --yes = exit 2 with nothing read, a replacement left
//! without --replace = exit 10 with nothing sent, a lost create adopted with no second POST.

use serde_json::{Value, json};
use wiremock::MockServer;

use super::{H1, H2, MG_ENV, NEW_HASH, NEW_SECRET, gates, requests, writes};
use crate::common::home::Home;

/// Each write's `METHOD /path body`.
async fn bodies(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| {
            let b: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            format!("{} {} {b}", r.method, r.url.path())
        })
        .collect()
}

/// ci-a drifts in three fields (an update), ci-new is to be made (its secret to a file),
/// ci-b is not declared (unmanaged).
fn drifted(home: &Home) -> std::path::PathBuf {
    home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\nlimit = 125\nreset = \"daily\"\n\
         include_byok_in_limit = false\n\n[[key]]\nprovider = \"modelgates\"\nname = \"ci-new\"\n\
         limit = 5\nsecret_file = \"ci-new.key\"\n",
    )
}

#[tokio::test]
async fn each_drift_is_sent_with_its_exact_body_and_the_secret_goes_to_its_file_only() {
    let s = gates().await;
    writes(&s).await;
    let home = Home::without_config();
    let file = drifted(&home);
    let out = home
        .keyctl_with(
            MG_ENV,
            &["apply", "-f", file.to_str().unwrap(), "--yes", "-o", "json"],
        )
        .base(&s)
        .run()
        .await;
    out.code(0);
    assert_eq!(
        bodies(&s).await,
        vec![
            format!(
                "PATCH /api/v1/keys/{H1} {}",
                json!({"limit": 125, "limit_reset": "daily", "include_byok_in_limit": false})
            ),
            format!(
                "POST /api/v1/keys {}",
                json!({"name": "ci-new", "limit": 5})
            ),
        ]
    );
    // One listing: the plan's.
    assert_eq!(
        requests(&s)
            .await
            .iter()
            .filter(|r| r.starts_with("GET"))
            .count(),
        1,
        "{:?}",
        requests(&s).await
    );
    let lines = out.json_lines();
    let status: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["key"].as_str().unwrap_or("").to_string(),
                l["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        status,
        vec![
            (H1.to_string(), "updated".to_string()),
            (NEW_HASH.to_string(), "created".to_string()),
            (H2.to_string(), "unchanged".to_string()),
        ],
        "{}",
        out.stdout
    );
    for l in &lines {
        crate::output::json_model::check_line(l);
    }
    assert!(
        lines[2]["reason"]
            .as_str()
            .unwrap()
            .contains("--prune revokes it")
    );
    let secret_file = home.path().join("ci-new.key");
    assert_eq!(
        std::fs::read_to_string(&secret_file).unwrap(),
        format!("{NEW_SECRET}\n")
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&secret_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert!(!out.stdout.contains(NEW_SECRET) && !out.stderr.contains(NEW_SECRET));
    let trail = std::fs::read_to_string(home.trail()).unwrap_or_default();
    assert!(!trail.contains(NEW_SECRET));
    // Every trail line carries the apply's run id (the JSON lines' own).
    let run = lines[0]["run"].as_str().unwrap();
    let trail_lines: Vec<Value> = trail
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(trail_lines.len(), 2, "{trail}");
    assert!(trail_lines.iter().all(|l| l["run"] == run), "{trail}");
}

#[tokio::test]
async fn prune_revokes_the_unmanaged_keys() {
    let s = gates().await;
    writes(&s).await;
    let home = Home::without_config();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\nlimit = 100\n",
    );
    home.keyctl_with(
        MG_ENV,
        &["apply", "-f", file.to_str().unwrap(), "--prune", "--yes"],
    )
    .base(&s)
    .run()
    .await
    .code(0)
    .stderr_has("apply: 1 revoked, 1 unchanged");
    assert_eq!(
        bodies(&s).await,
        vec![format!("DELETE /api/v1/keys/{H2} null")]
    );
}

#[tokio::test]
async fn without_a_terminal_and_without_yes_it_is_exit_2_with_nothing_read() {
    let s = gates().await;
    writes(&s).await;
    let home = Home::without_config();
    let file = drifted(&home);
    home.keyctl_with(MG_ENV, &["apply", "-f", file.to_str().unwrap()])
        .base(&s)
        .run()
        .await
        .code(2)
        .stderr_has("there is no terminal to ask on: add --yes");
    assert!(requests(&s).await.is_empty());
    assert!(!home.path().join("ci-new.key").exists());
}

#[tokio::test]
async fn a_replacement_without_replace_is_left_and_exits_10() {
    let s = gates().await;
    writes(&s).await;
    let home = Home::without_config();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-b\"\nexpires = \"2027-01-01\"\n",
    );
    let out = home
        .keyctl_with(
            MG_ENV,
            &["apply", "-f", file.to_str().unwrap(), "--yes", "-o", "json"],
        )
        .base(&s)
        .run()
        .await;
    out.code(10)
        .stderr_has("1 replacement left (apply --replace makes it)");
    assert!(bodies(&s).await.is_empty());
    let lines = out.json_lines();
    assert_eq!(lines[0]["key"], H2);
    assert_eq!(lines[0]["status"], "unchanged");
    assert!(
        lines[0]["reason"]
            .as_str()
            .unwrap()
            .contains("only with --replace"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn a_create_whose_answer_was_dropped_is_adopted_by_apply_with_no_second_post() {
    use crate::journal::stand_in::{Lose, StandIn, made_hash};
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::Drop);
    let url = s.url();
    home.keyctl_with(
        MG_ENV,
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--base-url",
            &url,
        ],
    )
    .run()
    .await
    .code(8);
    assert_eq!(s.count("POST"), 1);
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci\"\n",
    );
    let out = home
        .keyctl_with(
            MG_ENV,
            &[
                "apply",
                "-f",
                file.to_str().unwrap(),
                "--yes",
                "-o",
                "json",
                "--base-url",
                &url,
            ],
        )
        .run()
        .await;
    // Adopted: its secret was never received (exit 1, as create's adoption).
    out.code(1);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["status"], "adopted");
    assert_eq!(lines[0]["key"], made_hash(1).as_str());
    assert_eq!(lines[0]["error"]["kind"], "adopted");
    crate::output::json_model::check_line(&lines[0]);
    // No second POST, and the entry is closed: the next apply is in sync.
    assert_eq!(s.count("POST"), 1);
    home.keyctl_with(
        MG_ENV,
        &[
            "apply",
            "-f",
            file.to_str().unwrap(),
            "--yes",
            "--base-url",
            &url,
        ],
    )
    .run()
    .await
    .code(0);
    assert_eq!(s.count("POST"), 1);
}
