//! A new key's secret is delivered before anything depends on it: `rotate` touches the old key
//! only once the successor's secret is written and flushed to stdout (synced when stdout is a
//! file) or written, synced and still linked at `--secret-file`; a secret that cannot be
//! delivered stops every later create or rotation; a create answer naming the old key's own id
//! never retires it. Stdout is `/dev/full`, a closed pipe, or a file on a full tmpfs here.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::{self, GATES_KEY, Keyctl, SECRET};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const KEY_2: &str = "9b2e4f10c3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f";
const KEY_3: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
const NEW_HASH: &str = "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";
const NEW_SECRET: &str = "sk-mg-v1-NEWSECRET-0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/// A ModelGates key object named `name`: $50 a month, no expiry.
fn key(hash: &str, name: &str) -> Value {
    json!({
        "hash": hash, "name": name, "label": "sk-mg-v1-abc...xyz", "disabled": false,
        "limit": 50, "limit_remaining": 40, "limit_reset": "monthly",
        "include_byok_in_limit": true, "usage": 10, "usage_daily": 1, "usage_weekly": 3,
        "usage_monthly": 10, "created_at": "2026-01-01T00:00:00Z", "updated_at": null,
        "expires_at": null
    })
}

/// The create answer: the new key `hash` and its secret.
fn created(hash: &str) -> Value {
    json!({"data": key(hash, "ci"), "key": NEW_SECRET})
}

/// A stand-in ModelGates: each key read answers with its own hash, a create answers `answer`
/// (after `delay` ms), and a PATCH or DELETE answers as applied.
async fn gates(answer: Value, delay: u64) -> MockServer {
    let server = common::server().await;
    // A create reads the account's listing first (its names are checked): an empty one.
    crate::common::no_keys(&server).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v1/keys/[0-9a-f]{64}$"))
        .respond_with(|r: &Request| {
            let hash = r.url.path().rsplit('/').next().unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({"data": key(hash, "ci-runner")}))
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(answer)
                .set_delay(std::time::Duration::from_millis(delay)),
        )
        .mount(&server)
        .await;
    mount_steps(&server).await;
    server
}

/// The old-key steps (disable, delete) answered as applied.
async fn mount_steps(server: &MockServer) {
    Mock::given(method("PATCH"))
        .respond_with(|r: &Request| {
            let hash = r.url.path().rsplit('/').next().unwrap_or_default();
            let mut k = key(hash, "ci-runner");
            k["disabled"] = json!(true);
            ResponseTemplate::new(200).set_body_json(json!({"data": k}))
        })
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deleted": true})))
        .mount(server)
        .await;
}

/// How many requests of `verb` the server received.
async fn count(server: &MockServer, verb: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == verb)
        .count()
}

/// Where the child's stdout goes.
enum Stdout {
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
    /// A pipe whose reading end is closed before anything is written (EPIPE).
    ClosedPipe,
    /// A file (read back afterwards).
    File(PathBuf),
    /// `/dev/null`: the secret is thrown away.
    DevNull,
    /// No stdout at all (`>&-`; the runtime reopens fd 1 on `/dev/null`).
    Closed,
}

/// Runs keyctl with `args` (credential set, audit off) and stdout as asked: the exit code and
/// stderr (checked for the credential and the new secret: never on stderr).
async fn run(args: Vec<String>, stdout: Stdout, env: Vec<(String, String)>) -> (i32, String) {
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyctl"));
        for v in common::cleared() {
            cmd.env_remove(v);
        }
        cmd.env("NO_COLOR", "1")
            .env("KEYCTL_BACKOFF_MS", "20")
            .env("KEYCTL_AUDIT", "off")
            .env(ENV, SECRET)
            .args(&args)
            .stdin(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        match &stdout {
            Stdout::Full => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .expect("/dev/full");
                cmd.stdout(f);
            }
            Stdout::ClosedPipe => {
                cmd.stdout(Stdio::piped());
            }
            Stdout::File(p) => {
                let f = std::fs::File::create(p).expect("stdout file");
                cmd.stdout(f);
            }
            Stdout::DevNull => {
                cmd.stdout(Stdio::null());
            }
            Stdout::Closed => {
                use std::os::unix::process::CommandExt;
                // SAFETY: only an async-signal-safe call between fork and exec.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::close(1);
                        Ok(())
                    });
                }
            }
        }
        let mut child = cmd.spawn().expect("keyctl runs");
        // The reading end is closed at once: the create answers 300 ms later, long after.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("keyctl ends");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .expect("join");
    assert!(!stderr.contains(SECRET), "credential on stderr:\n{stderr}");
    assert!(
        !stderr.contains("NEWSECRET"),
        "new secret on stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    (code, stderr)
}

fn args(server: &MockServer, rest: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    v.extend(["--base-url".to_string(), server.uri()]);
    v
}

// ---------------------------------------------------------------------------------------------
// rotate: stdout that cannot take the secret

async fn rotate_three_into(stdout: Stdout, old: &[&str]) -> (MockServer, i32, String) {
    let server = gates(created(NEW_HASH), 300).await;
    let mut a = vec![
        "rotate",
        "-p",
        "modelgates",
        GATES_KEY,
        KEY_2,
        KEY_3,
        "-o",
        "json",
    ];
    a.extend_from_slice(old);
    let (code, stderr) = run(args(&server, &a), stdout, Vec::new()).await;
    (server, code, stderr)
}

/// The old keys are untouched, only the first successor was made, and the run says so.
async fn old_keys_untouched(server: &MockServer, code: i32, stderr: &str) {
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(count(server, "POST").await, 1, "one successor, then stop");
    assert_eq!(count(server, "PATCH").await, 0, "no old key disabled");
    assert_eq!(count(server, "DELETE").await, 0, "no old key deleted");
    assert!(
        stderr.contains("could not write the new secret"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("old key {GATES_KEY} was left as it is")),
        "{stderr}"
    );
    assert!(stderr.contains("keyctl revoke -p modelgates"), "{stderr}");
    assert!(
        stderr.contains(NEW_HASH),
        "the successor is named:\n{stderr}"
    );
    assert!(stderr.contains("stopped rotating keys"), "{stderr}");
    assert!(
        stderr.contains("0 rotated, 1 failed, 2 not attempted"),
        "{stderr}"
    );
}

#[tokio::test]
async fn rotate_to_dev_full_leaves_every_old_key_as_it_is() {
    let (server, code, stderr) = rotate_three_into(Stdout::Full, &[]).await;
    old_keys_untouched(&server, code, &stderr).await;
}

#[tokio::test]
async fn rotate_revoke_to_dev_full_deletes_nothing() {
    let (server, code, stderr) =
        rotate_three_into(Stdout::Full, &["--old", "revoke", "--yes"]).await;
    old_keys_untouched(&server, code, &stderr).await;
}

#[tokio::test]
async fn rotate_to_a_closed_pipe_leaves_every_old_key_as_it_is() {
    let (server, code, stderr) = rotate_three_into(Stdout::ClosedPipe, &[]).await;
    old_keys_untouched(&server, code, &stderr).await;
    let (server, code, stderr) =
        rotate_three_into(Stdout::ClosedPipe, &["--old", "revoke", "--yes"]).await;
    old_keys_untouched(&server, code, &stderr).await;
}

#[tokio::test]
async fn rotate_to_a_closed_pipe_in_every_format() {
    for format in ["tsv", "table"] {
        let server = gates(created(NEW_HASH), 300).await;
        let a = ["rotate", "-p", "modelgates", GATES_KEY, "-o", format];
        let (code, stderr) = run(args(&server, &a), Stdout::ClosedPipe, Vec::new()).await;
        assert_eq!(code, 1, "{format}: {stderr}");
        assert_eq!(count(&server, "PATCH").await, 0, "{format}");
    }
}

// ---------------------------------------------------------------------------------------------
// The commit point, seen from the server: the secret is in stdout's file before the PATCH

/// The PATCH answered as applied, recording whether `out` already held the new secret.
async fn patch_seeing(server: &MockServer, out: PathBuf) -> Arc<Mutex<Vec<bool>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    Mock::given(method("PATCH"))
        .respond_with(move |r: &Request| {
            let held = std::fs::read_to_string(&out).unwrap_or_default();
            s.lock().unwrap().push(held.contains(NEW_SECRET));
            let hash = r.url.path().rsplit('/').next().unwrap_or_default();
            let mut k = key(hash, "ci-runner");
            k["disabled"] = json!(true);
            ResponseTemplate::new(200).set_body_json(json!({"data": k}))
        })
        .mount(server)
        .await;
    seen
}

#[tokio::test]
async fn the_old_key_is_disabled_only_after_the_secret_is_on_stdout() {
    for format in ["json", "tsv", "table"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("rotation.out");
        let server = common::server().await;
        let seen = patch_seeing(&server, out.clone()).await;
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/keys/{GATES_KEY}")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"data": key(GATES_KEY, "ci")})),
            )
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201).set_body_json(created(NEW_HASH)))
            .mount(&server)
            .await;
        let a = ["rotate", "-p", "modelgates", GATES_KEY, "-o", format];
        let (code, stderr) = run(args(&server, &a), Stdout::File(out.clone()), Vec::new()).await;
        assert_eq!(code, 0, "{format}: {stderr}");
        assert_eq!(*seen.lock().unwrap(), vec![true], "{format}");
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(
            text.matches(NEW_SECRET).count(),
            1,
            "{format}: once\n{text}"
        );
        match format {
            // One line, one object, with the step's fields after the secret.
            "json" => {
                assert_eq!(text.lines().count(), 1, "{text}");
                let v: Value = serde_json::from_str(text.trim()).unwrap();
                assert_eq!(v["status"], "rotated");
                assert_eq!(v["secret"], NEW_SECRET);
                assert_eq!(v["new_key"], NEW_HASH);
                assert_eq!(v["key"], GATES_KEY);
                assert_eq!(v["old_key"], json!({"action": "disabled", "done": true}));
                assert!(v.get("error").is_none(), "{v}");
            }
            // The secret's cell comes before the status's.
            "tsv" => {
                let lines: Vec<&str> = text.lines().collect();
                assert_eq!(lines.len(), 2, "{text}");
                let head: Vec<&str> = lines[0].split('\t').collect();
                assert_eq!(&head[..5], ["id", "old_id", "name", "secret", "status"]);
                let row: Vec<&str> = lines[1].split('\t').collect();
                assert_eq!(row.len(), head.len(), "{text}");
                assert_eq!(&row[..2], [NEW_HASH, GATES_KEY]);
                assert_eq!(row[3], NEW_SECRET);
                assert_eq!(row[4], "rotated");
            }
            _ => {
                assert!(text.contains("its successor was created"), "{text}");
                assert!(
                    text.contains(&format!("old key {GATES_KEY}: disabled")),
                    "{text}"
                );
                let secret_at = text.find(NEW_SECRET).unwrap();
                let step_at = text.find("old key ").unwrap();
                assert!(secret_at < step_at, "{text}");
            }
        }
    }
}

#[tokio::test]
async fn tsv_columns_with_status_before_secret_are_refused_before_anything_is_sent() {
    let server = gates(created(NEW_HASH), 0).await;
    let out = Keyctl::new(ENV, &["rotate", "-p", "modelgates", GATES_KEY])
        .args(&["-o", "tsv", "--columns", "id,status,secret"])
        .base(&server)
        .run()
        .await;
    out.code(2).stderr_has("put secret first");
    assert!(server.received_requests().await.unwrap().is_empty());
    // Secret first is fine.
    let out = Keyctl::new(ENV, &["rotate", "-p", "modelgates", GATES_KEY])
        .args(&["-o", "tsv", "--columns", "id,secret,status"])
        .base(&server)
        .env("KEYCTL_AUDIT", "off")
        .run()
        .await;
    out.code(0);
    assert_eq!(
        out.stdout,
        format!("id\tsecret\tstatus\n{NEW_HASH}\t{NEW_SECRET}\trotated\n")
    );
}

// ---------------------------------------------------------------------------------------------
// --secret-file on a full file system

/// A 16 KiB tmpfs, filled up: every write to it fails with ENOSPC. None when this is not
/// root (or cannot mount), with the reason.
struct FullDisk {
    dir: tempfile::TempDir,
}

impl FullDisk {
    fn new() -> Option<FullDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return None;
        }
        let mut filler = std::fs::File::create(dir.path().join("filler")).ok()?;
        let block = [0u8; 4096];
        use std::io::Write;
        while filler.write_all(&block).is_ok() {}
        let _ = filler.sync_all();
        Some(FullDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// The full-disk runs: on a full tmpfs when the tests may mount one (root), else under
/// `RLIMIT_FSIZE` 0, which fails every file write of the child the same way (EFBIG).
async fn full_disk_run(rest: &[&str], stdout_on_disk: bool) -> (MockServer, i32, String, bool) {
    let server = gates(created(NEW_HASH), 0).await;
    let disk = FullDisk::new();
    let (dir, _keep, limit) = match &disk {
        Some(d) => (d.path().to_path_buf(), None, false),
        None => {
            let t = tempfile::tempdir().unwrap();
            (t.path().to_path_buf(), Some(t), true)
        }
    };
    let secret_file = dir.join("new.key");
    let mut a: Vec<String> = vec![
        "rotate".into(),
        "-p".into(),
        "modelgates".into(),
        GATES_KEY.into(),
        "--secret-file".into(),
        secret_file.display().to_string(),
    ];
    a.extend(rest.iter().map(|s| s.to_string()));
    a.extend(["--base-url".to_string(), server.uri()]);
    let out = if stdout_on_disk {
        dir.join("rotation.json")
    } else {
        tempfile::tempdir().unwrap().keep().join("rotation.json")
    };
    let (code, stderr, stdout) = tokio::task::spawn_blocking({
        let out = out.clone();
        move || {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyctl"));
            for v in common::cleared() {
                cmd.env_remove(v);
            }
            cmd.env("NO_COLOR", "1")
                .env("KEYCTL_AUDIT", "off")
                .env(ENV, SECRET)
                .args(&a)
                .stdin(Stdio::null())
                .stderr(Stdio::piped())
                .stdout(std::fs::File::create(&out).expect("stdout file"));
            if limit {
                use std::os::unix::process::CommandExt;
                // SAFETY: only async-signal-safe calls between fork and exec.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                        let r = libc::rlimit {
                            rlim_cur: 0,
                            rlim_max: 0,
                        };
                        libc::setrlimit(libc::RLIMIT_FSIZE, &r);
                        Ok(())
                    });
                }
            }
            let o = cmd.output().expect("keyctl runs");
            (
                o.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&o.stderr).into_owned(),
                std::fs::read_to_string(&out).unwrap_or_default(),
            )
        }
    })
    .await
    .unwrap();
    assert!(!stderr.contains("NEWSECRET"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    if !stdout_on_disk {
        // The secret reached stdout (the file could not take it): once.
        assert_eq!(stdout.matches(NEW_SECRET).count(), 1, "{stdout}\n{stderr}");
    }
    drop(disk);
    (server, code, stderr, stdout_on_disk)
}

#[tokio::test]
async fn the_ci_recipe_on_a_full_disk_leaves_the_old_key_as_it_is() {
    // The README's recipe: --secret-file new.key -o json > rotation.json, both on the full disk.
    let (server, code, stderr, _) = full_disk_run(&["-o", "json"], true).await;
    assert_ne!(code, 0, "{stderr}");
    assert_eq!(count(&server, "POST").await, 1);
    assert_eq!(
        count(&server, "PATCH").await,
        0,
        "the old key is not disabled"
    );
    assert!(stderr.contains("cannot write the secret to"), "{stderr}");
    assert!(stderr.contains("left as it is"), "{stderr}");
}

#[tokio::test]
async fn a_secret_file_on_a_full_disk_shows_the_secret_and_keeps_the_old_key() {
    // The file cannot take it, stdout can: the secret is on stdout, the status partial, the
    // old key untouched, and the run names the step to finish by hand.
    let (server, code, stderr, _) = full_disk_run(&["-o", "json"], false).await;
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(count(&server, "PATCH").await, 0);
    assert!(
        stderr.contains(&format!(
            "then finish with `keyctl update -p modelgates --base-url {}/ {GATES_KEY} --disable \
             --name 'ci-runner (rotated out {})'`",
            server.uri(),
            chrono::Utc::now().date_naive().format("%Y-%m-%d")
        )),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// The secret file removed or replaced while the create is in flight

/// A create that answers only after `act` has been done to the secret file.
async fn gates_acting_on(file: PathBuf, act: fn(&Path)) -> MockServer {
    let server = common::server().await;
    // A create reads the account's listing first (its names are checked): an empty one.
    crate::common::no_keys(&server).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v1/keys/[0-9a-f]{64}$"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": key(GATES_KEY, "ci")})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(move |_: &Request| {
            act(&file);
            ResponseTemplate::new(201).set_body_json(created(NEW_HASH))
        })
        .mount(&server)
        .await;
    mount_steps(&server).await;
    server
}

fn remove(p: &Path) {
    std::fs::remove_file(p).unwrap();
}

fn replace(p: &Path) {
    std::fs::remove_file(p).unwrap();
    std::fs::write(p, "someone else's file\n").unwrap();
}

#[tokio::test]
async fn a_secret_file_removed_or_replaced_mid_create_is_not_taken_as_delivered() {
    for (act, what, verb) in [
        (remove as fn(&Path), "was removed", "rotate"),
        (
            replace as fn(&Path),
            "was replaced by another file",
            "rotate",
        ),
        (remove as fn(&Path), "was removed", "create"),
        (
            replace as fn(&Path),
            "was replaced by another file",
            "create",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("new.key");
        let server = gates_acting_on(file.clone(), act).await;
        let shown = file.display().to_string();
        let mut k = Keyctl::new(ENV, &[verb, "-p", "modelgates"]);
        k = if verb == "rotate" {
            k.arg(GATES_KEY)
        } else {
            k.args(&["--name", "ci"])
        };
        let out = k
            .args(&["--secret-file", &shown, "-o", "json"])
            .env("KEYCTL_AUDIT", "off")
            .base(&server)
            .run()
            .await;
        out.code(1)
            .stderr_has(&format!("the secret file {shown} {what}"));
        // The secret is on stdout, once; someone else's file is left as it was.
        let line = &out.json_lines()[0];
        assert_eq!(line["secret"], NEW_SECRET, "{verb} {what}");
        assert!(line.get("secret_file").is_none(), "{line}");
        if what.contains("replaced") {
            assert_eq!(
                std::fs::read_to_string(&file).unwrap(),
                "someone else's file\n"
            );
        }
        if verb == "rotate" {
            assert_eq!(line["status"], "partial", "{line}");
            assert_eq!(line["error"]["kind"], "undelivered", "{line}");
            assert_eq!(count(&server, "PATCH").await, 0, "{what}");
        } else {
            assert_eq!(line["status"], "created", "{line}");
        }
    }
}

#[tokio::test]
async fn a_secret_file_still_in_place_is_delivered_and_the_old_key_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new.key");
    let server = gates(created(NEW_HASH), 0).await;
    let shown = file.display().to_string();
    let out = Keyctl::new(ENV, &["rotate", "-p", "modelgates", GATES_KEY])
        .args(&["--secret-file", &shown, "-o", "json"])
        .env("KEYCTL_AUDIT", "off")
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{NEW_SECRET}\n")
    );
    assert!(!out.stdout.contains(NEW_SECRET));
    assert_eq!(out.json_lines()[0]["status"], "rotated");
    assert_eq!(count(&server, "PATCH").await, 1);
}

// ---------------------------------------------------------------------------------------------
// Bulk create stops at the first secret that could not be delivered

#[tokio::test]
async fn create_from_file_stops_at_the_first_undelivered_secret() {
    for stdout in [Stdout::Full, Stdout::ClosedPipe] {
        let server = gates(created(NEW_HASH), 300).await;
        let dir = tempfile::tempdir().unwrap();
        let names = dir.path().join("names");
        std::fs::write(&names, "ci-a\nci-b\nci-c\n").unwrap();
        let n = names.display().to_string();
        let a = [
            "create",
            "-p",
            "modelgates",
            "--from-file",
            &n,
            "-o",
            "json",
        ];
        let (code, stderr) = run(args(&server, &a), stdout, Vec::new()).await;
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(count(&server, "POST").await, 1, "one key made, then stop");
        assert!(stderr.contains("stopped creating keys"), "{stderr}");
        assert!(
            stderr.contains("0 created, 1 failed, 2 not attempted"),
            "{stderr}"
        );
        assert!(
            stderr.contains("could not write the new secret to stdout, so it is lost"),
            "{stderr}"
        );
        let revoke = format!(
            "revoke it (`keyctl revoke -p modelgates --base-url {}/ {NEW_HASH}`) and create \
             another",
            server.uri()
        );
        assert!(stderr.contains(&revoke), "{stderr}");
    }
}

// ---------------------------------------------------------------------------------------------
// A create answer naming the old key's own id

#[tokio::test]
async fn a_successor_with_the_old_keys_id_never_retires_it() {
    for old in [&[][..], &["--old", "revoke", "--yes"][..]] {
        let server = gates(created(GATES_KEY), 0).await;
        let out = Keyctl::new(
            ENV,
            &["rotate", "-p", "modelgates", GATES_KEY, "-o", "json"],
        )
        .args(old)
        .env("KEYCTL_AUDIT", "off")
        .base(&server)
        .run()
        .await;
        out.code(7).stderr_has("the old key's own id");
        assert_eq!(count(&server, "PATCH").await, 0);
        assert_eq!(count(&server, "DELETE").await, 0);
        let line = &out.json_lines()[0];
        assert_eq!(line["status"], "partial");
        assert_eq!(line["old_key"]["done"], false);
        // The secret the answer carried is still delivered, once.
        assert_eq!(line["secret"], NEW_SECRET);
        assert_eq!(out.stdout.matches(NEW_SECRET).count(), 1);
    }
}

#[tokio::test]
async fn an_undelivered_secret_is_the_created_keys_error_in_the_audit_trail() {
    let server = gates(created(NEW_HASH), 0).await;
    let state = tempfile::tempdir().unwrap();
    let st = state.path().display().to_string();
    let a = ["create", "-p", "modelgates", "--name", "ci", "-o", "json"];
    let env = vec![
        ("KEYCTL_AUDIT".to_string(), "on".to_string()),
        ("XDG_STATE_HOME".to_string(), st.clone()),
    ];
    let (code, stderr) = run(args(&server, &a), Stdout::Full, env).await;
    assert_eq!(code, 1, "{stderr}");
    let trail = std::fs::read_to_string(state.path().join("keyctl/audit.jsonl")).unwrap();
    let line: Value = serde_json::from_str(trail.lines().next().unwrap()).unwrap();
    assert_eq!(line["status"], "created", "{line}");
    assert_eq!(line["new_key"], NEW_HASH, "{line}");
    assert!(
        line["error"].to_string().contains("undelivered")
            || line["error"].to_string().contains("so it is lost"),
        "{line}"
    );
    assert!(!trail.contains("NEWSECRET"), "{trail}");
}

// ---------------------------------------------------------------------------------------------
// The README's CI rotation recipe, run as written (a stand-in `gh` on PATH)

const VENICE_OLD: &str = "e28e82dc-9df2-4b47-b726-d0a222ef2ab5";
const VENICE_NEW: &str = "7d1f0c2a-5b3e-4c8d-9e6f-0a1b2c3d4e5f";
const VENICE_SECRET: &str = "VENICE_INFERENCE_KEY_NEWSECRET_q8w7e6r5t4y3u2i1o0p9";

/// The recipe's script, from the README.
fn recipe() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/lifecycle.md"))
        .expect("docs/lifecycle.md");
    let start = readme
        .find("#!/bin/sh\n# Runs weekly from cron; VENICE_ADMIN_KEY")
        .expect("the recipe is in the README");
    let end = readme[start..].find("\n```").expect("its block ends") + start;
    readme[start..end].to_string()
}

/// A Venice stand-in whose old-key PATCH answers `patch_status`; runs the recipe in a fresh
/// folder holding `current-key-id`; returns the folder, the exit code and stderr.
async fn run_recipe(patch_status: u16) -> (tempfile::TempDir, i32, String) {
    let server = common::server().await;
    let old = json!({
        "id": VENICE_OLD, "apiKeyType": "INFERENCE", "description": "app",
        "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": null,
        "consumptionLimits": {"usd": 50}, "limitPeriod": "MONTH", "modelPrivacy": "ALL"
    });
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_OLD}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": old.clone()})))
        .mount(&server)
        .await;
    let mut made = old.clone();
    made["id"] = json!(VENICE_NEW);
    made["apiKey"] = json!(VENICE_SECRET);
    // The successor sets the old key's cap, so it is read back: it holds it.
    common::venice_read_back(&server, &made).await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": made})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(move |r: &Request| {
            let sent: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let mut k = old.clone();
            k["expiresAt"] = sent["expiresAt"].clone();
            ResponseTemplate::new(patch_status)
                .set_body_json(json!({"success": patch_status == 200, "data": k}))
        })
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("current-key-id"), format!("{VENICE_OLD}\n")).unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let gh = bin.join("gh");
    std::fs::write(&gh, "#!/bin/sh\ncat > \"$(dirname \"$0\")/../gh-got\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    let keyctl_dir = std::path::Path::new(env!("CARGO_BIN_EXE_keyctl"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}:{}",
        bin.display(),
        keyctl_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = recipe();
    let cwd = dir.path().to_path_buf();
    let uri = server.uri();
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new("sh");
        for v in common::cleared() {
            cmd.env_remove(v);
        }
        let o = cmd
            .arg("-c")
            .arg(&script)
            .current_dir(&cwd)
            .env("PATH", path)
            .env("VENICE_ADMIN_KEY", SECRET)
            .env("KEYCTL_VENICE_BASE_URL", uri)
            .env("KEYCTL_AUDIT", "off")
            .env("NO_COLOR", "1")
            .env("KEYCTL_BACKOFF_MS", "10")
            .output()
            .expect("sh runs");
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    })
    .await
    .unwrap();
    assert!(!stderr.contains("NEWSECRET"), "{stderr}");
    (dir, code, stderr)
}

#[tokio::test]
async fn the_readmes_rotation_recipe_installs_the_secret_and_moves_the_id() {
    let (dir, code, stderr) = run_recipe(200).await;
    assert_eq!(code, 0, "{stderr}");
    let got = std::fs::read_to_string(dir.path().join("gh-got")).unwrap();
    assert_eq!(got.trim(), VENICE_SECRET);
    let id = std::fs::read_to_string(dir.path().join("current-key-id")).unwrap();
    assert_eq!(id.trim(), VENICE_NEW);
    assert!(!dir.path().join("new.key").exists());
}

#[tokio::test]
async fn the_readmes_rotation_recipe_on_a_failed_old_key_step_installs_and_says_the_step() {
    let (dir, code, stderr) = run_recipe(400).await;
    assert_eq!(code, 5, "{stderr}");
    let got = std::fs::read_to_string(dir.path().join("gh-got")).unwrap();
    assert_eq!(got.trim(), VENICE_SECRET);
    let id = std::fs::read_to_string(dir.path().join("current-key-id")).unwrap();
    assert_eq!(id.trim(), VENICE_NEW);
    assert!(
        stderr.contains("finish by hand with `keyctl update -p venice"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// A secret thrown away: stdout on /dev/null, or closed (`>&-`)

#[tokio::test]
async fn a_secret_written_to_dev_null_or_a_closed_stdout_is_not_delivered() {
    for (stdout, what) in [(Stdout::DevNull, "/dev/null"), (Stdout::Closed, ">&-")] {
        let server = gates(created(NEW_HASH), 0).await;
        let mut a = vec!["rotate", "-p", "modelgates", GATES_KEY, KEY_2, "-o", "json"];
        a.extend(["--old", "revoke", "--yes"]);
        let (code, stderr) = run(args(&server, &a), stdout, Vec::new()).await;
        assert_eq!(code, 1, "{what}: {stderr}");
        assert_eq!(count(&server, "POST").await, 1, "{what}");
        assert_eq!(count(&server, "PATCH").await, 0, "{what}");
        assert_eq!(count(&server, "DELETE").await, 0, "{what}: nothing deleted");
        assert!(stderr.contains("so it is lost"), "{what}: {stderr}");
    }
    for stdout in [Stdout::DevNull, Stdout::Closed] {
        let server = gates(created(NEW_HASH), 0).await;
        let dir = tempfile::tempdir().unwrap();
        let names = dir.path().join("names");
        std::fs::write(&names, "ci-a\nci-b\n").unwrap();
        let n = names.display().to_string();
        let a = ["create", "-p", "modelgates", "--from-file", &n];
        let (code, stderr) = run(args(&server, &a), stdout, Vec::new()).await;
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(count(&server, "POST").await, 1, "one key made, then stop");
    }
}

// ---------------------------------------------------------------------------------------------
// The record naming the new key must be out before the old key is touched, with --secret-file too

#[tokio::test]
async fn with_a_secret_file_a_record_that_cannot_be_written_holds_the_old_key_step() {
    for format in ["json", "tsv", "table"] {
        let server = gates(created(NEW_HASH), 0).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("new.key");
        let f = file.display().to_string();
        let a = [
            "rotate",
            "-p",
            "modelgates",
            GATES_KEY,
            "--secret-file",
            &f,
            "-o",
            format,
        ];
        let (code, stderr) = run(args(&server, &a), Stdout::Full, Vec::new()).await;
        assert_eq!(code, 1, "{format}: {stderr}");
        assert_eq!(count(&server, "PATCH").await, 0, "{format}: {stderr}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            format!("{NEW_SECRET}\n"),
            "the secret is in its file"
        );
        assert!(
            stderr.contains("the result naming the new key could not be written"),
            "{format}: {stderr}"
        );
        assert!(
            stderr.contains(NEW_HASH),
            "the new id is on stderr: {stderr}"
        );
    }
}

#[tokio::test]
async fn a_create_whose_result_cannot_be_written_exits_1_and_says_so() {
    let server = gates(created(NEW_HASH), 0).await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("new.key").display().to_string();
    let a = [
        "create",
        "-p",
        "modelgates",
        "--name",
        "ci",
        "--secret-file",
        &f,
        "-o",
        "json",
    ];
    let (code, stderr) = run(args(&server, &a), Stdout::Full, Vec::new()).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("could not be written to stdout"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Create answers naming a key of this run, in any spelling, or no key

/// A Venice stand-in: each key read answers with its own id, a create answers with `new_id`.
async fn venice(new_id: Value) -> MockServer {
    let server = common::server().await;
    Mock::given(method("GET"))
        .respond_with(|r: &Request| {
            let id = r
                .url
                .path()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            ResponseTemplate::new(200).set_body_json(json!({"data": {
                "id": id, "apiKeyType": "INFERENCE", "description": "app",
                "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": null,
                "consumptionLimits": {"usd": 50}, "limitPeriod": "MONTH", "modelPrivacy": "ALL"
            }}))
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {
                "id": new_id, "apiKey": VENICE_SECRET, "apiKeyType": "INFERENCE",
                "description": "app", "expiresAt": null, "consumptionLimit": {"usd": 50},
                "limitPeriod": "MONTH", "modelPrivacy": "ALL"
            }})),
        )
        .mount(&server)
        .await;
    mount_steps(&server).await;
    server
}

#[tokio::test]
async fn a_successor_answered_with_the_old_id_in_another_spelling_never_retires_it() {
    let upper = VENICE_OLD.to_uppercase();
    let bare = VENICE_OLD.replace('-', "");
    let braces = format!("{{{VENICE_OLD}}}");
    let urn = format!("urn:uuid:{VENICE_OLD}");
    let zwsp = format!("{VENICE_OLD}\u{200b}");
    for id in [upper, bare.clone(), braces, urn, zwsp] {
        let server = venice(json!(id)).await;
        let out = Keyctl::new("VENICE_ADMIN_KEY", &["rotate", "-p", "venice", VENICE_OLD])
            .args(&["-o", "json", "--old", "revoke", "--yes"])
            .env("KEYCTL_AUDIT", "off")
            .base(&server)
            .run()
            .await;
        out.code(7)
            .stderr_has("the id of a key this run already names");
        assert_eq!(count(&server, "DELETE").await, 0, "{id:?}");
        assert_eq!(count(&server, "PATCH").await, 0, "{id:?}");
        assert_eq!(out.json_lines()[0]["secret"], VENICE_SECRET);
    }
}

#[tokio::test]
async fn a_successor_answered_with_another_old_keys_id_or_no_id_never_retires_anything() {
    // Two keys: the first's create answers with the second's id.
    let other = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e";
    let server = venice(json!(other)).await;
    let out = Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["rotate", "-p", "venice", VENICE_OLD, other],
    )
    .args(&["-o", "json", "--yes"])
    .env("KEYCTL_AUDIT", "off")
    .base(&server)
    .run()
    .await;
    out.code(7);
    assert_eq!(count(&server, "PATCH").await, 0, "{}", out.stderr);
    for id in [json!(""), json!("  "), json!(null), json!(42)] {
        let server = venice(id.clone()).await;
        let out = Keyctl::new("VENICE_ADMIN_KEY", &["rotate", "-p", "venice", VENICE_OLD])
            .args(&["-o", "json"])
            .env("KEYCTL_AUDIT", "off")
            .base(&server)
            .run()
            .await;
        assert_eq!(count(&server, "PATCH").await, 0, "{id}: {}", out.stderr);
        assert_ne!(out.code, 0, "{id}: {}", out.stderr);
        assert_eq!(
            out.stdout.matches(VENICE_SECRET).count(),
            1,
            "{id}: the secret, once"
        );
    }
}
