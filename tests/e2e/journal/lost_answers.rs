//! A create whose answer is lost (dropped connection, 502, a timeout, SIGTERM in flight) leaves
//! its journal entry pending; the next `create --name` of that name adopts the key the lost
//! create made (exactly one POST in all, the listing read once a run); two keys with the name
//! are reported, never guessed between; a journal that cannot be written sends no create.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::stand_in::{Lose, NEW_SECRET, StandIn, gates_key, made_hash};
use crate::common::home::Home;
use crate::common::{Out, SECRET};

const VAR: &str = "MODELGATES_MANAGEMENT_KEY";

fn journal(home: &Home) -> PathBuf {
    home.path()
        .join("state")
        .join("keyctl")
        .join("journal.json")
}

/// The pending entries of the journal.
fn pending(home: &Home) -> Vec<Value> {
    match std::fs::read_to_string(journal(home)) {
        Ok(t) => serde_json::from_str::<Value>(&t).unwrap()["pending"]
            .as_array()
            .unwrap()
            .clone(),
        Err(_) => Vec::new(),
    }
}

async fn create(home: &Home, s: &StandIn, extra: &[&str]) -> Out {
    let url = s.url();
    let mut args = vec![
        "create",
        "-p",
        "modelgates",
        "--name",
        "ci",
        "--base-url",
        &url,
    ];
    args.extend_from_slice(extra);
    home.keyctl_with(VAR, &args).run().await
}

/// The journal holds no secret: neither the new key's nor the credential.
fn no_secret_in_journal(home: &Home) {
    let dir = journal(home).parent().unwrap().to_path_buf();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("journal")
        {
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(!text.contains(NEW_SECRET), "{}: {text}", p.display());
            assert!(!text.contains(SECRET), "{}: {text}", p.display());
        }
    }
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The second run adopts the key the first one made: no second POST, the listing read once a
/// run, status `adopted` (exit 1: the secret was never received), the entry closed, an audit
/// line.
async fn adopted_on_the_next_run(home: &Home, s: &StandIn) {
    let out = create(home, s, &["-o", "json"]).await;
    out.code(1)
        .stderr_has("created by an earlier run")
        .stderr_has("its secret was never received: rotate it to get one")
        .stderr_has("keyctl rotate -p modelgates");
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["status"], "adopted");
    assert_eq!(lines[0]["key"], made_hash(1).as_str());
    assert_eq!(lines[0]["after"]["name"], "ci");
    assert_eq!(lines[0]["error"]["kind"], "adopted");
    assert!(lines[0].get("secret").is_none());
    crate::output::json_model::check_line(&lines[0]);
    assert_eq!(s.count("POST"), 1, "exactly one create in all");
    assert_eq!(s.count("GET"), 2, "one listing a run: {:?}", s.paths("GET"));
    assert!(pending(home).is_empty(), "{:?}", pending(home));
    let trail = std::fs::read_to_string(home.trail()).unwrap();
    let last: Value = serde_json::from_str(trail.lines().last().unwrap()).unwrap();
    assert_eq!(last["status"], "adopted");
    assert_eq!(last["action"], "create");
    assert_eq!(last["new_key"], made_hash(1).as_str());
    no_secret_in_journal(home);
}

#[tokio::test]
async fn a_dropped_answer_is_adopted_on_the_next_create() {
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::Drop);
    let out = create(&home, &s, &[]).await;
    out.code(8).stderr_has("a key may have been created");
    let left = pending(&home);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["name"], "ci");
    assert_eq!(left[0]["provider"], "modelgates");
    assert_eq!(left[0]["command"], "create");
    assert_eq!(left[0]["base"], format!("{}/", s.url()).as_str());
    #[cfg(unix)]
    {
        assert_eq!(mode(&journal(&home)), 0o600);
        assert_eq!(mode(journal(&home).parent().unwrap()), 0o700);
    }
    no_secret_in_journal(&home);
    // `keyctl log` says it, with what to do.
    home.keyctl(&["log"])
        .run()
        .await
        .code(0)
        .stderr_has("pending creates: 1")
        .stderr_has("'ci'")
        .stderr_has("keyctl create -p modelgates --name 'ci'");
    adopted_on_the_next_run(&home, &s).await;
}

#[tokio::test]
async fn a_502_answer_is_adopted_on_the_next_create() {
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::BadGateway);
    create(&home, &s, &[]).await.code(7);
    assert_eq!(pending(&home).len(), 1);
    adopted_on_the_next_run(&home, &s).await;
}

#[tokio::test]
async fn a_timed_out_answer_is_adopted_on_the_next_create() {
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::Late(Duration::from_secs(4)));
    create(&home, &s, &["--timeout", "1s"]).await.code(8);
    assert_eq!(pending(&home).len(), 1);
    adopted_on_the_next_run(&home, &s).await;
}

#[tokio::test]
async fn a_create_answered_closes_its_entry_and_the_secret_is_not_journalled() {
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::Not);
    create(&home, &s, &[]).await.code(0).stdout_has(NEW_SECRET);
    assert!(pending(&home).is_empty());
    no_secret_in_journal(&home);
}

#[tokio::test]
async fn two_keys_with_the_name_are_reported_and_nothing_is_sent() {
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::Drop);
    create(&home, &s, &[]).await.code(8);
    // Someone made another key with that name meanwhile.
    let other = "cd".repeat(32);
    s.add_key(gates_key(&other, "ci"));
    let out = create(&home, &s, &[]).await;
    out.code(2)
        .stderr_has("cannot tell which one it made")
        .stderr_has(&made_hash(1))
        .stderr_has(&other);
    assert_eq!(s.count("POST"), 1);
    assert_eq!(pending(&home).len(), 1, "the entry stays");
}

#[tokio::test]
async fn a_journal_that_cannot_be_written_sends_no_create() {
    let home = Home::without_config();
    // The state folder's `keyctl` is a file: no journal can be kept under it.
    std::fs::create_dir_all(home.path().join("state")).unwrap();
    std::fs::write(home.path().join("state").join("keyctl"), "").unwrap();
    let s = StandIn::start(Vec::new(), Lose::Not);
    create(&home, &s, &[])
        .await
        .code(2)
        .stderr_has("the create journal")
        .stderr_has("no create is sent");
    assert_eq!(s.count("POST"), 0);
}

/// A full disk: the entry cannot be written, so the create is not sent (a 16 KiB tmpfs, filled;
/// skipped where tmpfs cannot be mounted, i.e. not as root).
#[tokio::test]
async fn a_full_disk_sends_no_create() {
    let home = Home::without_config();
    let state = home.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
        .arg(&state)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs");
        return;
    }
    std::fs::create_dir_all(state.join("keyctl")).unwrap();
    let mut filler = Vec::new();
    filler.resize(64 * 1024, b'x');
    let _ = std::fs::write(state.join("filler"), &filler);
    let s = StandIn::start(Vec::new(), Lose::Not);
    let out = create(&home, &s, &["-o", "json"]).await;
    let _ = std::process::Command::new("umount").arg(&state).status();
    out.code(2)
        .stderr_has("cannot write the create journal")
        .stderr_has("the create was not sent");
    assert_eq!(s.count("POST"), 0);
}

#[tokio::test]
async fn a_damaged_journal_sends_no_create() {
    let home = Home::without_config();
    let j = journal(&home);
    std::fs::create_dir_all(j.parent().unwrap()).unwrap();
    std::fs::write(&j, "{\"version\":1,\"pending\":[{\"ent").unwrap();
    let s = StandIn::start(Vec::new(), Lose::Not);
    create(&home, &s, &[])
        .await
        .code(2)
        .stderr_has("cannot read the create journal")
        .stderr_has("move");
    assert_eq!(s.count("POST"), 0);
}

#[tokio::test]
async fn sigterm_during_a_create_leaves_its_entry_and_the_next_run_adopts() {
    let home = Home::without_config();
    let s = StandIn::start(Vec::new(), Lose::Late(Duration::from_secs(30)));
    let url = s.url();
    let mut run = home.spawn(
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
        &home.env_without_config(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while s.count("POST") == 0 {
        assert!(std::time::Instant::now() < deadline, "no POST came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The second signal drops the request in flight at once.
    run.signal("TERM");
    tokio::time::sleep(Duration::from_millis(200)).await;
    run.signal("TERM");
    let done = run.finish(Duration::from_secs(10)).await;
    done.out.code(143);
    assert_eq!(pending(&home).len(), 1, "{}", done.out.stderr);
    adopted_on_the_next_run(&home, &s).await;
}
