//! A create whose answer was lost, then `keyctl plan`: the key it made is planned as `adopt`
//! (created by an earlier run; its secret was never received), never as a second create, and
//! the plan sends nothing and closes no journal entry; a name two keys answer to is exit 2 for
//! that key alone, both ids named.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::home::Home;
use crate::journal::stand_in::{Lose, StandIn, gates_key, made_hash};

const VAR: &str = "MODELGATES_MANAGEMENT_KEY";

fn pending(home: &Home) -> Vec<Value> {
    let path = home
        .path()
        .join("state")
        .join("keyctl")
        .join("journal.json");
    match std::fs::read_to_string(path) {
        Ok(t) => serde_json::from_str::<Value>(&t).unwrap()["pending"]
            .as_array()
            .unwrap()
            .clone(),
        Err(_) => Vec::new(),
    }
}

/// `create -p modelgates --name ci` against `s`, whose answer is dropped: exit 8, one entry.
async fn lost_create(home: &Home, s: &StandIn) {
    let url = s.url();
    home.keyctl_with(
        VAR,
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
    assert_eq!(pending(home).len(), 1);
    assert_eq!(s.count("POST"), 1);
}

fn key_file(home: &Home) -> PathBuf {
    home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci\"\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"web\"\nlimit = \"none\"\n",
    )
}

async fn plan(home: &Home, s: &StandIn, file: &std::path::Path, json: bool) -> crate::common::Out {
    let url = s.url();
    let mut args = vec!["plan", "-f", file.to_str().unwrap(), "--base-url", &url];
    if json {
        args.extend(["-o", "json"]);
    }
    home.keyctl_with(VAR, &args).run().await
}

#[tokio::test]
async fn a_dropped_create_answer_is_planned_as_adopt_with_no_second_post() {
    let home = Home::without_config();
    let web = "ef".repeat(32);
    let s = StandIn::start(vec![gates_key(&web, "web")], Lose::Drop);
    lost_create(&home, &s).await;
    let file = key_file(&home);
    let gets = s.count("GET");

    let out = plan(&home, &s, &file, true).await;
    out.code(10);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert_eq!(lines[0]["name"], "ci");
    assert_eq!(lines[0]["action"], "adopt");
    assert_eq!(lines[0]["id"], made_hash(1).as_str());
    assert_eq!(lines[0]["changes"], serde_json::json!([]));
    assert!(
        lines[0]["adopt"]["run"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    let message = lines[0]["adopt"]["message"].as_str().unwrap();
    assert!(
        message.contains("its secret was never received: rotate it to get one"),
        "{message}"
    );
    assert!(
        message.contains(&format!("keyctl rotate -p modelgates {}", made_hash(1))),
        "{message}"
    );
    assert_eq!(lines[1]["name"], "web");
    assert_eq!(lines[1]["action"], "unchanged");
    assert_eq!(lines[2]["summary"]["adopt"], 1);
    assert_eq!(lines[2]["summary"]["create"], 0);
    assert_eq!(lines[2]["summary"]["unchanged"], 1);
    assert_eq!(lines[2]["exit_code"], 10);
    crate::declared::schema::check_plan(&lines, 10);

    let out = plan(&home, &s, &file, false).await;
    out.code(10)
        .stdout_has(&format!("  & ci {}: adopt (created by an earlier run (", made_hash(1)))
        .stdout_has("its secret was never received: rotate it to get one")
        .stdout_has("Plan: 0 to create, 0 to update, 0 to replace, 1 unchanged, 0 unmanaged, 1 to adopt (exit 10: changes to apply)");

    // A plan sends nothing and closes nothing: one POST in all (the lost create's), one
    // listing a plan, and the entry is still pending for apply (or create) to adopt.
    assert_eq!(s.count("POST"), 1);
    assert_eq!(s.count("GET"), gets + 2, "{:?}", s.paths("GET"));
    assert_eq!(pending(&home).len(), 1);
}

#[tokio::test]
async fn a_journal_name_two_keys_answer_to_is_exit_2_for_that_key_and_the_rest_planned() {
    let home = Home::without_config();
    let web = "ef".repeat(32);
    let s = StandIn::start(vec![gates_key(&web, "web")], Lose::Drop);
    lost_create(&home, &s).await;
    // Someone made another key with that name meanwhile.
    let other = "cd".repeat(32);
    s.add_key(gates_key(&other, "ci"));
    let file = key_file(&home);
    let out = plan(&home, &s, &file, true).await;
    out.code(2);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert_eq!(lines[0]["action"], "invalid");
    assert_eq!(lines[0]["error"]["exit_code"], 2);
    let m = lines[0]["error"]["message"].as_str().unwrap();
    assert!(m.contains("cannot tell which one it made"), "{m}");
    assert!(m.contains(&made_hash(1)) && m.contains(&other), "{m}");
    assert_eq!(lines[1]["action"], "unchanged");
    assert_eq!(lines[2]["summary"]["invalid"], 1);
    crate::declared::schema::check_plan(&lines, 2);
    assert_eq!(s.count("POST"), 1);
    assert_eq!(pending(&home).len(), 1, "the entry stays");
}
