//! A name another run holds is not created twice (issue 24, attack F4b and F8b): a second run
//! while the first one's create is in flight refuses (exit 2, no POST); a lost create whose
//! key the listing does not show yet (a lagging listing) keeps its entry and refuses the name
//! until the entry is older than the lag, when the key is adopted if it was made.

use std::time::{Duration, Instant};

use super::stand_in::{Lose, StandIn, made_hash};
use crate::common::home::Home;

const VAR: &str = "MODELGATES_MANAGEMENT_KEY";

fn journal(home: &Home) -> std::path::PathBuf {
    home.path().join("state/keyctl/journal.json")
}

/// Moves every entry's time back past the listing's lag.
fn age_entries(home: &Home) {
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(journal(home)).unwrap()).unwrap();
    for e in doc["pending"].as_array_mut().unwrap() {
        e["time"] = "2026-01-01T00:00:00.000Z".into();
    }
    std::fs::write(journal(home), doc.to_string()).unwrap();
}

#[tokio::test]
async fn a_second_run_while_the_first_creates_the_name_refuses_and_sends_nothing() {
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::Late(Duration::from_secs(2)));
    let url = s.url();
    let args = [
        "create",
        "-p",
        "modelgates",
        "--name",
        "ci",
        "--base-url",
        &url,
    ];
    let mut first = home.spawn(VAR, &args, &home.env());
    let deadline = Instant::now() + Duration::from_secs(15);
    while s.count("POST") == 0 {
        assert!(Instant::now() < deadline, "the first run sent no create");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = home.keyctl_with(VAR, &args).run().await;
    second
        .code(2)
        .stderr_has("another run (create ")
        .stderr_has("is creating 'ci' on this account now")
        .stderr_has("nothing was created");
    let done = first.finish(Duration::from_secs(30)).await;
    done.out.code(0);
    assert_eq!(s.count("POST"), 1, "one create in all");
    assert_eq!(s.names(), vec!["ci"]);
}

#[tokio::test]
async fn a_lost_create_the_listing_does_not_show_yet_keeps_its_entry_and_refuses_the_name() {
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::Hidden);
    let url = s.url();
    let args = [
        "create",
        "-p",
        "modelgates",
        "--name",
        "ci",
        "--base-url",
        &url,
    ];
    let first = home.keyctl_with(VAR, &args).run().await;
    assert_ne!(first.code, 0);
    s.set_lose(Lose::Not);
    let soon = home.keyctl_with(VAR, &args).run().await;
    soon.code(2)
        .stderr_has("lost the answer to its create of 'ci'")
        .stderr_has("does not show the key yet")
        .stderr_has("run again after ");
    assert_eq!(s.count("POST"), 1, "no second create");
    let text = std::fs::read_to_string(journal(&home)).unwrap();
    assert!(text.contains("\"name\": \"ci\""), "the entry stays: {text}");
    // Later, the listing shows the key: it is adopted, not made again.
    s.reveal();
    age_entries(&home);
    let later = home.keyctl_with(VAR, &args).run().await;
    later.code(1).stderr_has("created by an earlier run");
    assert_eq!(s.count("POST"), 1);
    assert!(later.stderr.contains(&made_hash(1)) || later.stdout.contains(&made_hash(1)));
}
