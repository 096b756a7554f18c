//! A run killed (`kill -9`) during a create leaves its secret file empty; the next run that
//! closes its entry removes that empty file, so the create of the name to that path works
//! (issue 24, attack F8c).

use std::time::{Duration, Instant};

use super::stand_in::{Lose, NEW_SECRET, StandIn};
use crate::common::home::Home;

const VAR: &str = "MODELGATES_MANAGEMENT_KEY";

#[tokio::test]
async fn the_empty_secret_file_a_killed_create_left_is_reused_by_the_next_create() {
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::Hang);
    let url = s.url();
    let file = home.path().join("ci.key");
    let file_s = file.display().to_string();
    let args = [
        "create",
        "-p",
        "modelgates",
        "--name",
        "ci",
        "--secret-file",
        &file_s,
        "--base-url",
        &url,
    ];
    let mut killed = home.spawn(VAR, &args, &home.env());
    let deadline = Instant::now() + Duration::from_secs(15);
    while s.count("POST") == 0 {
        assert!(Instant::now() < deadline, "no create sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    killed.signal("KILL");
    let _ = killed.finish(Duration::from_secs(10)).await;
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        0,
        "an empty leftover"
    );
    // Past the listing's lag, the key not listed: the entry is closed as not made and the
    // empty file it recorded removed, then the key made and its secret written there.
    let journal = home.path().join("state/keyctl/journal.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    assert!(
        doc["pending"][0]["secret_files"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("ci.key")
    );
    doc["pending"][0]["time"] = "2026-01-01T00:00:00.000Z".into();
    std::fs::write(&journal, doc.to_string()).unwrap();
    s.set_lose(Lose::Not);
    let again = home.keyctl_with(VAR, &args).run().await;
    again.code(0);
    assert_eq!(s.count("POST"), 2);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{NEW_SECRET}\n")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[tokio::test]
async fn a_secret_file_with_content_is_never_removed() {
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::Not);
    let url = s.url();
    let file = home.write("ci.key", "");
    let file_s = file.display().to_string();
    // An old entry of a gone run recording this file, which holds something since.
    let journal = home.path().join("state/keyctl/journal.json");
    std::fs::create_dir_all(journal.parent().unwrap()).unwrap();
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(&file).unwrap();
    std::fs::write(&file, "kept\n").unwrap();
    let entry = serde_json::json!({"version": 1, "pending": [{
        "entry": "e1", "time": "2026-01-01T00:00:00.000Z", "run": "gone-run",
        "command": "create", "profile": null, "provider": "modelgates",
        "base": format!("{url}/api/v1"), "name": "ci", "others": [],
        "secret_files": [{"path": file_s, "dev": m.dev(), "ino": m.ino()}]}]});
    std::fs::write(&journal, entry.to_string()).unwrap();
    let args = [
        "create",
        "-p",
        "modelgates",
        "--name",
        "ci",
        "--secret-file",
        &file_s,
        "--base-url",
        &url,
    ];
    let out = home.keyctl_with(VAR, &args).run().await;
    out.code(2).stderr_has("already exists");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept\n");
    assert_eq!(s.count("POST"), 0);
}
