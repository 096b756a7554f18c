//! The audit trail's file: not written through a symbolic link, into a FIFO, nor waited for
//! more than 5 s when locked; `log` fails fast on a device, a FIFO or a held lock.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::gates_profiles::ENV;
use crate::common::home::Home;
use crate::common::{Keyctl, server};

/// Mounts `PATCH /api/v1/keys/{key}` answering the updated key.
async fn mount_patch(s: &MockServer, key: &str) {
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{key}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"hash": key, "name": "n", "limit": 5}})),
        )
        .named(format!("update {key}"))
        .mount(s)
        .await;
}

/// An exclusive `flock(2)` on a file, held by this test process until dropped (what another
/// keyctl run, or `flock -x FILE sleep 30`, holds; keyctl opens the file itself, so the locks
/// conflict).
struct Flock {
    _file: std::fs::File,
}

impl Flock {
    fn hold(path: &Path) -> Flock {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .unwrap();
        // SAFETY: flock(2) on a descriptor this struct owns; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        assert_eq!(rc, 0, "flock {}", path.display());
        Flock { _file: file }
    }
}

/// Makes a FIFO at `p`.
fn mkfifo(p: &Path) {
    let c = CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path that lives across the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(rc, 0, "mkfifo {}", p.display());
}

/// `update -p modelgates --base-url S KEYS --limit 5 -o json` with the sandbox's state folder.
/// Full ModelGates ids (used as is, with no listing read).
const K1: &str = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";

const K2: &str = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";

const K3: &str = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";

fn update_run(sb: &Home, s: &MockServer, keys: &[&str], extra: &[&str]) -> Keyctl {
    let mut args = vec!["update", "-p", "modelgates"];
    args.extend_from_slice(keys);
    args.extend_from_slice(&["--limit", "5", "-o", "json"]);
    args.extend_from_slice(extra);
    sb.keyctl_with_no_config(ENV, &args).base(s)
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn an_audit_trail_that_is_a_symlink_is_not_followed() {
    let s = server().await;
    mount_patch(&s, K1).await;
    let sb = Home::new();
    let target = sb.write("elsewhere/precious.txt", "original\n");
    std::os::unix::fs::symlink(&target, sb.trail_in_its_folder()).unwrap();
    let out = update_run(&sb, &s, &[K1], &[]).run().await;
    out.code(0)
        .stderr_has("warning: could not write the audit trail");
    assert_eq!(out.json_lines()[0]["status"], "updated", "{}", out.stdout);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "original\n");
    assert!(
        std::fs::symlink_metadata(sb.trail_in_its_folder())
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is left alone"
    );
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn an_audit_trail_that_is_a_fifo_costs_a_warning_not_a_hang_even_with_q() {
    let s = server().await;
    mount_patch(&s, K1).await;
    let sb = Home::new();
    mkfifo(&sb.trail_in_its_folder());
    let t = Instant::now();
    let out = update_run(&sb, &s, &[K1], &["-q"]).run().await;
    let took = t.elapsed();
    out.code(0)
        .stderr_has("warning: could not write the audit trail")
        .stderr_has("it is not a regular file");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(
        s.received_requests().await.unwrap().len(),
        1,
        "the update was sent"
    );
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn a_held_audit_lock_is_waited_for_about_5_s_then_a_warning() {
    let s = server().await;
    mount_patch(&s, K1).await;
    let sb = Home::new();
    let _lock = Flock::hold(&sb.trail_in_its_folder());
    let t = Instant::now();
    let out = update_run(&sb, &s, &[K1], &[]).run().await;
    let took = t.elapsed();
    out.code(0)
        .stderr_has("warning: could not write the audit trail")
        .stderr_has("another process has held its lock for 5 s");
    assert_eq!(out.json_lines()[0]["status"], "updated", "{}", out.stdout);
    assert!(
        took >= Duration::from_millis(4500) && took < Duration::from_secs(9),
        "took {took:?}, not about 5 s"
    );
    assert_eq!(
        std::fs::read_to_string(sb.trail_in_its_folder()).unwrap(),
        ""
    );
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn sigterm_during_the_audit_lock_wait_is_exit_143() {
    let s = server().await;
    mount_patch(&s, K1).await;
    let sb = Home::new();
    let _lock = Flock::hold(&sb.trail_in_its_folder());
    let args = [
        "update",
        "-p",
        "modelgates",
        "--base-url",
        &s.uri(),
        K1,
        "--limit",
        "5",
        "-o",
        "json",
    ];
    let mut r = sb.spawn(ENV, &args, &sb.env_without_config());
    r.requests(&s, 1).await;
    // The answer came at once: the run now waits for the lock.
    r.settle(Duration::ZERO, Duration::from_millis(1000)).await;
    r.signal("TERM");
    let f = r.finish(Duration::from_secs(10)).await;
    f.out
        .code(143)
        .stderr_has("another process has held its lock for 5 s");
    assert!(
        f.after_signal < Duration::from_secs(7),
        "took {:?} after the signal",
        f.after_signal
    );
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn a_held_audit_lock_costs_5_s_per_run_not_per_key() {
    let s = server().await;
    for k in [K1, K2, K3] {
        mount_patch(&s, k).await;
    }
    let sb = Home::new();
    let _lock = Flock::hold(&sb.trail_in_its_folder());
    let args = [
        "update",
        "-p",
        "modelgates",
        "--base-url",
        &s.uri(),
        K1,
        K2,
        K3,
        "--limit",
        "5",
        "-o",
        "json",
    ];
    let mut r = sb.spawn(ENV, &args, &sb.env_without_config());
    let f = r.finish(Duration::from_secs(20)).await;
    f.out.code(0);
    assert_eq!(f.out.json_lines().len(), 3, "{}", f.out.stdout);
    assert!(
        f.after_signal < Duration::from_secs(9),
        "took {:?} for 3 keys (about 5 s expected)",
        f.after_signal
    );
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn log_of_a_trail_that_is_a_device_or_a_fifo_fails_fast() {
    for kind in ["zero", "fifo"] {
        let sb = Home::new();
        let trail = sb.trail_in_its_folder();
        match kind {
            "zero" => std::os::unix::fs::symlink("/dev/zero", &trail).unwrap(),
            _ => mkfifo(&trail),
        }
        let mut r = sb.spawn(ENV, &["log"], &sb.env_without_config());
        let f = r.finish(Duration::from_secs(10)).await;
        f.out
            .code(2)
            .stderr_has("cannot read the audit trail")
            // A link (to /dev/zero here) is not followed, since issue 20's attacker's pass.
            .stderr_has(match kind {
                "zero" => "is a symbolic link, which keyctl does not follow",
                _ => "it is not a regular file",
            });
        assert_eq!(f.out.stdout, "", "{kind}");
        assert!(
            f.after_signal < Duration::from_secs(5),
            "{kind}: took {:?}",
            f.after_signal
        );
    }
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn log_does_not_hang_on_a_held_audit_lock() {
    let sb = Home::new();
    let trail = sb.trail_in_its_folder();
    std::fs::write(&trail, "").unwrap();
    let _lock = Flock::hold(&trail);
    let mut r = sb.spawn(ENV, &["log"], &sb.env_without_config());
    let f = r.finish(Duration::from_secs(10)).await;
    assert!(
        f.after_signal < Duration::from_secs(8),
        "took {:?}",
        f.after_signal
    );
}
