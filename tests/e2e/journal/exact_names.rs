//! An entry matches only the exact name it was made for (issue 24, attack F1): names shaped
//! like secrets (`svc-v1-worker-pool-00001`) are stored and compared exact, so a lost create
//! of one is never taken for another key, and `keyctl log` prints a command that can be run.

use super::stand_in::{Lose, StandIn, gates_key};
use crate::common::home::Home;

const VAR: &str = "MODELGATES_MANAGEMENT_KEY";

#[tokio::test]
async fn a_lost_create_of_a_key_shaped_name_is_not_matched_to_another_key() {
    let home = Home::without_config();
    let s = StandIn::start(
        vec![gates_key(&"0f".repeat(32), "svc-v1-worker-pool-00001")],
        Lose::NotMade,
    );
    let url = s.url();
    let args = [
        "create",
        "-p",
        "modelgates",
        "--name",
        "svc-v1-worker-pool-00002",
        "--limit",
        "5",
        "--base-url",
        &url,
    ];
    let first = home.keyctl_with(VAR, &args).run().await;
    assert_ne!(first.code, 0, "{}", first.stderr);
    let text = std::fs::read_to_string(home.path().join("state/keyctl/journal.json")).unwrap();
    assert!(
        text.contains("\"name\": \"svc-v1-worker-pool-00002\""),
        "{text}"
    );
    // keyctl log names it as it is, in a command that can be run.
    let log = home.keyctl_with(VAR, &["log"]).run().await;
    log.stderr_has("--name 'svc-v1-worker-pool-00002'");
    assert!(!log.stderr.contains("'****'"), "{}", log.stderr);
    // Age the entry past the listing's lag: the listing then says it was not made.
    let aged = text.replace(
        &serde_json::from_str::<serde_json::Value>(&text).unwrap()["pending"][0]["time"]
            .as_str()
            .unwrap()
            .to_string(),
        "2026-01-01T00:00:00.000Z",
    );
    std::fs::write(home.path().join("state/keyctl/journal.json"), aged).unwrap();
    s.set_lose(Lose::Not);
    let again = home.keyctl_with(VAR, &args).run().await;
    again.code(0);
    assert!(!again.stderr.contains("adopted"), "{}", again.stderr);
    assert_eq!(s.count("POST"), 2, "the second run makes 00002");
    let body: serde_json::Value = serde_json::from_str(&s.bodies("POST")[1]).unwrap();
    assert_eq!(body["name"], "svc-v1-worker-pool-00002");
    assert_eq!(s.count("PATCH") + s.count("DELETE"), 0, "00001 untouched");
    assert_eq!(
        s.names(),
        vec!["svc-v1-worker-pool-00001", "svc-v1-worker-pool-00002"]
    );
}
