//! `apply` makes the very plan `plan` makes of the same state: a create journal entry whose
//! name two keys answer to is `invalid` in the plan (exit 2) and, in an apply, exit 2 for that
//! key with nothing sent for it (no second create, no write to either key); the rest applied.

use crate::common::home::Home;
use crate::journal::stand_in::{Lose, StandIn, gates_key, made_hash};

const VAR: &str = "MODELGATES_MANAGEMENT_KEY";

#[tokio::test]
async fn a_journal_name_two_keys_answer_to_is_exit_2_in_plan_and_apply_alike() {
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::Drop);
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
    // Someone made another key of that name meanwhile.
    let other = "cd".repeat(32);
    s.add_key(gates_key(&other, "ci"));
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci\"\nlimit = 7\n",
    );
    let f = file.to_str().unwrap();
    let plan = home
        .keyctl_with(VAR, &["plan", "-f", f, "--base-url", &url, "-o", "json"])
        .run()
        .await;
    plan.code(2);
    let lines = plan.json_lines();
    assert_eq!(lines[0]["action"], "invalid", "{}", plan.stdout);
    let m = lines[0]["error"]["message"].as_str().unwrap();
    assert!(m.contains("cannot tell which one it made"), "{m}");
    let apply = home
        .keyctl_with(
            VAR,
            &["apply", "-f", f, "--base-url", &url, "--yes", "--prune"],
        )
        .run()
        .await;
    apply.code(2).stderr_has("cannot tell which one it made");
    assert!(apply.stderr.contains(&made_hash(1)) && apply.stderr.contains(&other));
    assert_eq!(s.count("POST"), 1, "no second create");
    assert_eq!(s.count("PATCH"), 0);
    assert_eq!(s.count("DELETE"), 0);
}
