//! Regression tests for the fixes of the attack review of profiles: a signal keeps the report
//! of `auth status --all` and `check --all` (the rest `not_attempted` / named as not checked)
//! and stops a credential command's whole process group; a credential command's output never
//! shows a key (its stdout masked even when it fails, key-like words of its stderr hidden) and a
//! relative program starts at the config file's folder; config values, flags and variables that
//! look like keys are never printed back; duplicate custom provider ids are refused; a key id
//! that is a secret is refused before anything is sent; the audit trail is not written through
//! a symbolic link, into a FIFO, nor waited for more than 5 s; an io.net key list with a failed
//! status is an error.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Finished, IONET_KEY, Keyctl, Out, Running, SECRET, cleared, scan, server};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The variable every profile of these tests reads its credential from ([`Running::spawn`]
/// and [`Keyctl::new`] set it to [`SECRET`]).
const ENV: &str = "MODELGATES_MANAGEMENT_KEY";

/// A key-like token (OpenRouter's prefix and 32 hex digits): never printed back.
const KEY: &str = "sk-or-v1-9f8e7d6c5b4a39281706f5e4d3c2b1a0";

/// A Venice inference key's secret.
const VENICE_SECRET: &str = "VENICE_INFERENCE_KEY_Zq8Xv2Lm5Rt9Wp3Ks7Hd1Fg4";

/// A temporary folder per test: the config file, the state folder, HOME, scripts.
struct Sandbox {
    tmp: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn s(&self) -> String {
        self.path().display().to_string()
    }

    fn config_path(&self) -> PathBuf {
        self.path().join("config.toml")
    }

    /// Writes `config.toml`.
    fn config(&self, text: &str) -> &Sandbox {
        std::fs::write(self.config_path(), text).unwrap();
        self
    }

    /// Writes `rel` (creating its folders) and returns its path.
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Writes an executable `/bin/sh` script.
    fn script(&self, rel: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.write(rel, &format!("#!/bin/sh\n{body}\n"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// The audit trail under this sandbox's XDG_STATE_HOME (its folder created).
    fn trail(&self) -> PathBuf {
        let dir = self.path().join("state").join("keyctl");
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("audit.jsonl")
    }

    /// The environment of a run: this sandbox's config file, state folder, config home and
    /// HOME.
    fn env(&self) -> Vec<(String, String)> {
        let d = self.s();
        vec![
            (
                "KEYCTL_CONFIG".into(),
                self.config_path().display().to_string(),
            ),
            ("XDG_CONFIG_HOME".into(), format!("{d}/xdg-config")),
            ("XDG_STATE_HOME".into(), format!("{d}/state")),
            ("HOME".into(), d),
        ]
    }

    /// As [`Sandbox::env`] without KEYCTL_CONFIG (no config file: `-p` runs).
    fn env_without_config(&self) -> Vec<(String, String)> {
        self.env()
            .into_iter()
            .filter(|(k, _)| k != "KEYCTL_CONFIG")
            .collect()
    }

    /// `keyctl <args>` with the credential set ([`Keyctl::new`]) and this sandbox's files.
    fn keyctl(&self, args: &[&str]) -> Keyctl {
        self.env()
            .iter()
            .fold(Keyctl::new(ENV, args), |k, (n, v)| k.env(n, v))
    }

    /// As [`Sandbox::keyctl`], with no config file.
    fn keyctl_no_config(&self, args: &[&str]) -> Keyctl {
        self.env_without_config()
            .iter()
            .fold(Keyctl::new(ENV, args), |k, (n, v)| k.env(n, v))
    }

    /// `keyctl <args>` in the background ([`Running::spawn`]) with this sandbox's files.
    fn spawn(&self, args: &[&str], env: &[(String, String)]) -> Running {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Running::spawn(ENV, &args, &env)
    }
}

/// A ModelGates profile reading [`ENV`], at `base`.
fn gates_profile(name: &str, base: &str) -> String {
    format!(
        "[profiles.{name}]\nprovider = \"modelgates\"\nbase_url = \"{base}\"\ncredential_env = \
         \"{ENV}\"\n\n"
    )
}

/// `GET /api/v1/key` of a management key (LIFECYCLE.md 3.5).
fn management_key() -> Value {
    json!({"data": {"label": "sk-or-v1-abc...xyz", "limit": null, "usage": 0.5,
        "usage_daily": 0, "usage_weekly": 0, "usage_monthly": 0.5, "byok_usage": 0,
        "is_free_tier": false, "is_management_key": true, "is_provisioning_key": false,
        "limit_remaining": null, "limit_reset": null, "include_byok_in_limit": false,
        "expires_at": null}})
}

/// Mounts `GET {prefix}/api/v1/key` answering a management key after `delay`, expected
/// `times` times.
async fn mount_check(s: &MockServer, prefix: &str, delay: Duration, times: u64) {
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/key")))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(management_key())
                .set_delay(delay),
        )
        .expect(times)
        .named(format!("credential check {prefix}"))
        .mount(s)
        .await;
}

/// An OpenRouter-style key.
fn gkey(hash: &str, name: &str, disabled: bool) -> Value {
    json!({"hash": hash, "name": name, "label": format!("sk-or-v1-{}", &hash[..3]),
           "disabled": disabled, "limit": 100, "limit_remaining": null, "limit_reset": null,
           "usage": 1, "usage_daily": 0, "usage_weekly": 0, "usage_monthly": 0,
           "created_at": "2026-01-01T00:00:00Z", "updated_at": null, "expires_at": null})
}

const H_OFF: &str = "bb00000000000000000000000000000000000000000000000000000000000001";
const H_ON: &str = "bb00000000000000000000000000000000000000000000000000000000000002";

/// Mounts `GET {prefix}/api/v1/keys?offset=0&include_disabled=true` (one disabled key, one
/// active) answering after `delay`, expected `times` times.
async fn mount_list(s: &MockServer, prefix: &str, delay: Duration, times: u64) {
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/keys")))
        .and(query_param("offset", "0"))
        .and(query_param("include_disabled", "true"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [gkey(H_OFF, "off", true), gkey(H_ON, "on", false)]}))
                .set_delay(delay),
        )
        .expect(times)
        .named(format!("key list {prefix}"))
        .mount(s)
        .await;
}

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

/// The paths the server saw, in arrival order.
async fn paths(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect()
}

/// `(profile, status)` of each JSON line.
fn statuses(out: &Out) -> Vec<(String, String)> {
    out.json_lines()
        .iter()
        .map(|l| {
            (
                l["profile"].as_str().unwrap_or_default().to_string(),
                l["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Neither output holds `key`, nor any 8-character piece of its random part (after the last
/// `-` or `_`).
fn assert_hidden(out: &Out, key: &str, what: &str) {
    let random = key.rsplit(['-', '_']).next().unwrap();
    assert!(random.len() >= 16, "{key}");
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(key), "{what}: the key is printed:\n{text}");
        for w in random.as_bytes().windows(8) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(
                !text.to_ascii_lowercase().contains(&w.to_ascii_lowercase()),
                "{what}: a piece of the key ({w}) is printed:\n{text}"
            );
        }
    }
}

/// Whether process `pid` is gone (a zombie counts as gone: it runs nothing).
fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // `pid (comm) S ...`: the state follows the last `)`.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

/// Waits up to `limit` for `cond`.
async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `keyctl <args>` run in the folder `dir` (the [`cleared`] environment, the credential
/// unset, then `env`), its output checked with [`scan`].
async fn run_in(dir: &Path, args: &[&str], env: Vec<(String, String)>) -> Out {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_keyctl"));
        for v in cleared() {
            cmd.env_remove(v);
        }
        cmd.env("NO_COLOR", "1").env("KEYCTL_BACKOFF_MS", "20");
        cmd.current_dir(&dir).args(&args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd.write_stdin(Vec::new());
        cmd.timeout(Duration::from_secs(60));
        cmd.output().expect("keyctl runs")
    })
    .await
    .unwrap();
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    scan(&out);
    out
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

// ---------------------------------------------------------------------------------------------
// 1. A signal keeps the report
// ---------------------------------------------------------------------------------------------

/// Three profiles: `a` (answers at once), `b` (answers after `slow`), `c` (never asked); a
/// SIGTERM once `b`'s request is in flight.
async fn auth_status_stopped_while_b_is_in_flight(slow: Duration) -> Finished {
    let s = server().await;
    mount_check(&s, "/a", Duration::ZERO, 1).await;
    mount_check(&s, "/b", slow, 1).await;
    mount_check(&s, "/c", Duration::ZERO, 0).await;
    let sb = Sandbox::new();
    let u = s.uri();
    sb.config(
        &[
            gates_profile("a", &format!("{u}/a")),
            gates_profile("b", &format!("{u}/b")),
            gates_profile("c", &format!("{u}/c")),
        ]
        .concat(),
    );
    let mut r = sb.spawn(
        &["auth", "status", "--all", "--retries", "0", "-o", "json"],
        &sb.env(),
    );
    // Accounts are checked one after the other: `a` has its answer once `b` was asked.
    r.requests(&s, 2).await;
    r.settle(Duration::ZERO, Duration::from_millis(300)).await;
    r.signal("TERM");
    let f = r.finish(Duration::from_secs(20)).await;
    assert_eq!(
        paths(&s).await,
        ["/a/api/v1/key", "/b/api/v1/key"],
        "c was never asked"
    );
    f
}

#[tokio::test]
async fn auth_status_all_sigterm_prints_the_first_row_and_the_rest_not_attempted() {
    // `b` answers after 20 s: past the 10 s grace, so it is dropped.
    let f = auth_status_stopped_while_b_is_in_flight(Duration::from_secs(20)).await;
    let out = &f.out;
    out.code(143)
        .stderr_has("SIGTERM: no new requests will start")
        .stderr_has("requests in flight did not finish within 10 s");
    assert!(
        f.after_signal < Duration::from_secs(12),
        "took {:?} after the signal (grace: 10 s)",
        f.after_signal
    );
    assert_eq!(
        statuses(out),
        [
            ("a".to_string(), "ok".to_string()),
            ("b".to_string(), "not_attempted".to_string()),
            ("c".to_string(), "not_attempted".to_string()),
        ],
        "{}",
        out.stdout
    );
    let l = out.json_lines();
    assert_eq!(l[0]["detail"], "management key", "{}", out.stdout);
    for row in &l[1..] {
        assert_eq!(
            row["detail"], "stopped by a signal before this account was checked",
            "{row}"
        );
        assert_eq!(row["http_status"], Value::Null, "{row}");
        assert_eq!(row["provider"], "modelgates", "{row}");
    }
}

#[tokio::test]
async fn auth_status_all_sigterm_lets_the_account_in_flight_finish_within_the_grace() {
    // `b` answers 2.5 s after it was asked: within the grace, so its own outcome is kept.
    let f = auth_status_stopped_while_b_is_in_flight(Duration::from_millis(2500)).await;
    let out = &f.out;
    out.code(143);
    assert!(
        f.after_signal < Duration::from_secs(8),
        "took {:?} after the signal",
        f.after_signal
    );
    assert_eq!(
        statuses(out),
        [
            ("a".to_string(), "ok".to_string()),
            ("b".to_string(), "ok".to_string()),
            ("c".to_string(), "not_attempted".to_string()),
        ],
        "{}",
        out.stdout
    );
    assert!(
        !out.stderr.contains("did not finish within"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn check_all_sigterm_prints_the_matches_found_and_names_the_profiles_not_checked() {
    let s = server().await;
    mount_list(&s, "/a", Duration::ZERO, 1).await;
    mount_list(&s, "/b", Duration::from_secs(20), 1).await;
    mount_list(&s, "/c", Duration::ZERO, 0).await;
    let sb = Sandbox::new();
    let u = s.uri();
    sb.config(
        &[
            gates_profile("a", &format!("{u}/a")),
            gates_profile("b", &format!("{u}/b")),
            gates_profile("c", &format!("{u}/c")),
        ]
        .concat(),
    );
    let mut r = sb.spawn(
        &[
            "check",
            "--all",
            "--disabled",
            "--retries",
            "0",
            "-o",
            "json",
        ],
        &sb.env(),
    );
    r.requests(&s, 2).await;
    r.settle(Duration::ZERO, Duration::from_millis(300)).await;
    r.signal("TERM");
    let f = r.finish(Duration::from_secs(20)).await;
    let out = &f.out;
    out.code(143)
        .stderr_has("not checked (stopped by a signal): b, c")
        .stderr_has("stopped by SIGTERM");
    assert!(
        f.after_signal < Duration::from_secs(12),
        "took {:?} after the signal (grace: 10 s)",
        f.after_signal
    );
    let l = out.json_lines();
    assert_eq!(l.len(), 1, "only a's match:\n{}", out.stdout);
    assert_eq!(l[0]["profile"], "a", "{}", l[0]);
    assert_eq!(l[0]["provider"], "modelgates", "{}", l[0]);
    assert_eq!(l[0]["id"], H_OFF, "{}", l[0]);
    assert_eq!(l[0]["reasons"], json!(["disabled"]), "{}", l[0]);
    assert_eq!(
        paths(&s).await,
        ["/a/api/v1/keys", "/b/api/v1/keys"],
        "c was never asked"
    );
}

#[tokio::test]
async fn sigint_while_a_credential_command_sleeps_kills_its_children_and_keeps_the_report() {
    let s = server().await;
    mount_check(&s, "/a", Duration::ZERO, 1).await;
    mount_check(&s, "/b", Duration::ZERO, 0).await;
    mount_check(&s, "/c", Duration::ZERO, 0).await;
    let sb = Sandbox::new();
    // The command starts a `sleep` (recording its pid) and waits for it.
    sb.script(
        "slowkey.sh",
        "sleep 30 &\necho $! > \"$1.tmp\"\nmv \"$1.tmp\" \"$1\"\nwait\necho \"$2\"",
    );
    let pid_file = sb.path().join("sleep.pid");
    let u = s.uri();
    sb.config(&format!(
        "{}[profiles.b]\nprovider = \"modelgates\"\nbase_url = \"{u}/b\"\n\
         credential_command = [\"./slowkey.sh\", \"{}\", \"{SECRET}\"]\n\n{}",
        gates_profile("a", &format!("{u}/a")),
        pid_file.display(),
        gates_profile("c", &format!("{u}/c")),
    ));
    let mut r = sb.spawn(&["auth", "status", "--all", "-o", "json"], &sb.env());
    r.requests(&s, 1).await;
    assert!(
        eventually(Duration::from_secs(15), || pid_file.exists()).await,
        "the credential command never started its sleep: {}",
        r.kill_and_collect()
    );
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!gone(pid), "the sleep {pid} runs before the signal");
    r.settle(Duration::ZERO, Duration::from_millis(200)).await;
    r.signal("INT");
    let f = r.finish(Duration::from_secs(8)).await;
    let out = &f.out;
    out.code(130).stderr_has("stopped by SIGINT");
    assert!(
        f.after_signal < Duration::from_secs(5),
        "took {:?} after the signal: the command is stopped at once",
        f.after_signal
    );
    assert_eq!(
        statuses(out),
        [
            ("a".to_string(), "ok".to_string()),
            ("b".to_string(), "not_attempted".to_string()),
            ("c".to_string(), "not_attempted".to_string()),
        ],
        "{}",
        out.stdout
    );
    assert!(
        eventually(Duration::from_secs(3), || gone(pid)).await,
        "the credential command's sleep ({pid}) still runs after keyctl exited"
    );
    assert_eq!(paths(&s).await, ["/a/api/v1/key"]);
}

// ---------------------------------------------------------------------------------------------
// 2. A credential command's output
// ---------------------------------------------------------------------------------------------

/// One profile `a` whose credential is `credential_command = [script]`, at `s`.
fn command_profile(sb: &Sandbox, s: &MockServer, script: &str) {
    sb.config(&format!(
        "[profiles.a]\nprovider = \"modelgates\"\nbase_url = \"{}\"\n\
         credential_command = [\"{script}\"]\n",
        s.uri()
    ));
}

#[tokio::test]
async fn a_key_printed_on_the_commands_stderr_is_never_shown() {
    let s = server().await;
    let sb = Sandbox::new();
    let script = sb.script("getkey.sh", &format!("echo 'your key: {KEY}' >&2"));
    command_profile(&sb, &s, &script.display().to_string());
    for args in [
        &["list", "-P", "a"][..],
        &["auth", "status", "-P", "a", "-o", "json"],
        &["auth", "status", "--all", "-o", "tsv"],
    ] {
        let out = sb.keyctl(args).run().await;
        out.code(3);
        assert!(
            format!("{}{}", out.stdout, out.stderr).contains("printed nothing"),
            "{out:?}"
        );
        assert_hidden(&out, KEY, &format!("{args:?}"));
        if args[0] == "list" {
            out.stderr_has("its standard error: your key: ****");
        }
    }
    assert!(paths(&s).await.is_empty(), "nothing is sent without a key");
}

#[tokio::test]
async fn a_failing_command_that_printed_the_key_and_repeats_it_on_stderr_shows_it_nowhere() {
    let s = server().await;
    let sb = Sandbox::new();
    let script = sb.script(
        "getkey.sh",
        &format!("echo '{KEY}'\necho \"error: could not store {KEY}\" >&2\nexit 1"),
    );
    command_profile(&sb, &s, &script.display().to_string());
    for args in [
        &["list", "-P", "a"][..],
        &["list", "-P", "a", "-v"],
        &["auth", "status", "-P", "a", "-o", "json"],
    ] {
        let out = sb.keyctl(args).run().await;
        out.code(3);
        assert!(
            format!("{}{}", out.stdout, out.stderr).contains("failed (exit status 1)"),
            "{out:?}"
        );
        assert_hidden(&out, KEY, &format!("{args:?}"));
    }
    assert!(paths(&s).await.is_empty(), "nothing is sent");
}

#[tokio::test]
async fn a_relative_program_starts_at_the_config_files_folder_not_the_current_one() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [gkey(H_ON, "on", false)]})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let sb = Sandbox::new();
    sb.script("getkey.sh", &format!("echo '{SECRET}'"));
    command_profile(&sb, &s, "./getkey.sh");
    // The current folder holds another ./getkey.sh, which must not run.
    let work = tempfile::tempdir().unwrap();
    let marker = work.path().join("EVIL-RAN");
    let evil = work.path().join("getkey.sh");
    std::fs::write(
        &evil,
        format!(
            "#!/bin/sh\ntouch '{}'\necho sk-live-EVIL-0000000000\n",
            marker.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = run_in(work.path(), &["list", "-P", "a", "-o", "json"], sb.env()).await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], H_ON, "{}", out.stdout);
    assert!(!marker.exists(), "the current folder's ./getkey.sh ran");

    // Without the config folder's script: a credential error, and still not the evil one.
    std::fs::remove_file(sb.path().join("getkey.sh")).unwrap();
    let out = run_in(work.path(), &["list", "-P", "a"], sb.env()).await;
    out.code(3).stderr_has("cannot run");
    assert!(!marker.exists(), "the current folder's ./getkey.sh ran");
}

// ---------------------------------------------------------------------------------------------
// 3. Config values, flags and variables that look like keys are never printed
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn config_values_that_look_like_keys_are_refused_and_never_printed() {
    let ok = "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\n";
    let cases = [
        (
            format!("default_profile = '{KEY}'\n{ok}"),
            ":1: default_profile: no profile named '(the value given, not shown: it looks like \
             a key)'",
        ),
        (
            format!("[profiles.a]\nprovider = '{KEY}'\ncredential_env = 'X'\n"),
            ":2: profiles.a.provider: no provider '(the value given, not shown: it looks like a \
             key)'",
        ),
        (
            format!("'{KEY}' = 1\n"),
            ":1: (the value given, not shown: it looks like a key): unknown key",
        ),
        (
            format!("{ok}timeout = '{KEY}'\n"),
            ":4: profiles.a.timeout: not a duration more than zero",
        ),
        (
            format!("[profiles.'{KEY}']\nprovider = 'venice'\ncredential_env = 'X'\n"),
            "[profiles.(the value given, not shown: it looks like a key)]: a name that looks \
             like a key is refused",
        ),
        (
            format!("[profiles.a]\nprovider = 'venice'\ncredential_file = '/run/keys/{KEY}'\n"),
            ":3: profiles.a.credential_file: this looks like a key, not a file's path",
        ),
        (
            format!("[profiles.a]\nprovider = 'venice'\ncredential_command = ['echo', '{KEY}']\n"),
            ":3: profiles.a.credential_command: an argument looks like a key",
        ),
    ];
    let s = server().await;
    for (text, want) in cases {
        let sb = Sandbox::new();
        sb.config(&text);
        for args in [
            &["auth", "status"][..],
            &["providers"],
            &["list", "-p", "venice"],
        ] {
            let out = sb.keyctl(args).arg("--base-url").arg(&s.uri()).run().await;
            out.code(2).stderr_has(want);
            assert_hidden(&out, KEY, &text);
        }
    }
    assert!(paths(&s).await.is_empty(), "nothing is sent");
}

/// A run's arguments, its extra variables, and what its error says.
type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);

#[tokio::test]
async fn flags_and_variables_that_look_like_keys_are_exit_2_and_never_echoed() {
    let s = server().await;
    let sb = Sandbox::new();
    sb.config(&gates_profile("a", &s.uri()));
    let u = s.uri();
    let cases: Vec<Case> = vec![
        (vec!["list", "-P", KEY], vec![], "-P/--profile: no profile"),
        (
            vec!["list"],
            vec![("KEYCTL_PROFILE", KEY)],
            "KEYCTL_PROFILE: no profile",
        ),
        (
            vec!["list", "-P", "a"],
            vec![("KEYCTL_OUTPUT", KEY)],
            "is not an output format",
        ),
        (
            vec!["list", "-p", KEY, "--base-url", &u],
            vec![],
            "for -p/--provider",
        ),
        (
            vec!["list", "--base-url", &u],
            vec![("KEYCTL_PROVIDER", KEY)],
            "is not a provider",
        ),
        (
            vec!["list", "-P", "a", "--columns", KEY],
            vec![],
            "--columns: no column",
        ),
    ];
    for (args, env, want) in cases {
        let k = env.iter().fold(sb.keyctl(&args), |k, (n, v)| k.env(n, v));
        let out = k.run().await;
        out.code(2)
            .stderr_has(want)
            .stderr_has("(the value given, not shown: it looks like a key)");
        assert_hidden(&out, KEY, &format!("{args:?} {env:?}"));
    }
    assert!(paths(&s).await.is_empty(), "nothing is sent");
}

#[tokio::test]
async fn duplicate_custom_provider_ids_are_refused() {
    for (a, b) in [("ACME", "acme"), ("a-b", "a_b"), ("a.b", "a-b")] {
        let sb = Sandbox::new();
        sb.config(&format!(
            "[providers.'{a}']\napi = 'openrouter'\nbase_url = 'https://x.example'\n\
             credential_env = 'X'\n\n[providers.'{b}']\napi = 'openrouter'\n\
             base_url = 'https://y.example'\ncredential_env = 'Y'\n"
        ));
        for args in [&["providers"][..], &["list", "-p", b]] {
            let out = sb.keyctl(args).run().await;
            out.code(2)
                // Ids are lower-cased: `[providers.ACME]` is named `acme`.
                .stderr_has(&format!(
                    ":6: providers.{}: the same provider as [providers.{}]",
                    b.to_ascii_lowercase(),
                    a.to_ascii_lowercase()
                ))
                .stderr_has("rename one");
        }
    }
}

#[tokio::test]
async fn a_refused_http_base_url_that_looks_like_a_key_is_not_printed() {
    let sb = Sandbox::new();
    sb.config(&format!(
        "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\nbase_url = 'http://{KEY}.example'\n"
    ));
    let out = sb.keyctl(&["auth", "status"]).run().await;
    out.code(2).stderr_has("profiles.a.base_url");
    assert_hidden(&out, KEY, "base_url");
}

// ---------------------------------------------------------------------------------------------
// 4. A key id that is a secret
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_key_id_that_is_a_secret_is_refused_before_anything_is_sent() {
    let cases: [(&str, Vec<&str>, &str); 5] = [
        (
            "VENICE_ADMIN_KEY",
            vec!["update", "-p", "venice", VENICE_SECRET, "--limit", "5"],
            VENICE_SECRET,
        ),
        (
            "MODELGATES_MANAGEMENT_KEY",
            vec!["get", "-p", "modelgates", KEY],
            KEY,
        ),
        (
            "OPENROUTER_MANAGEMENT_KEY",
            vec!["revoke", "-p", "openrouter", KEY, "--yes"],
            KEY,
        ),
        // A secret among good ids: the whole run is refused.
        (
            "MODELGATES_MANAGEMENT_KEY",
            vec!["update", "-p", "modelgates", "goodid", KEY, "--limit", "5"],
            KEY,
        ),
        (
            "OPENROUTER_MANAGEMENT_KEY",
            vec!["rotate", "-p", "openrouter", KEY, "--yes"],
            KEY,
        ),
    ];
    for (var, args, secret) in cases {
        let s = server().await;
        let sb = Sandbox::new();
        let mut k = Keyctl::new(var, &args).base(&s).arg("-o").arg("json");
        for (n, v) in sb.env_without_config() {
            k = k.env(&n, &v);
        }
        let out = k.run().await;
        out.code(2)
            .stderr_has("is the secret, not the id")
            .stderr_has("nothing was sent");
        assert_eq!(out.stdout, "", "{args:?}");
        assert_hidden(&out, secret, &format!("{args:?}"));
        assert!(
            s.received_requests().await.unwrap().is_empty(),
            "{args:?}: nothing may be sent"
        );
        assert!(
            !sb.path()
                .join("state")
                .join("keyctl")
                .join("audit.jsonl")
                .exists(),
            "{args:?}: no audit line"
        );
    }
}

#[tokio::test]
async fn the_secret_as_id_refusal_says_nothing_was_sent_once() {
    let s = server().await;
    let sb = Sandbox::new();
    let mut k = Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["update", "-p", "venice", VENICE_SECRET, "--limit", "5"],
    )
    .base(&s);
    for (n, v) in sb.env_without_config() {
        k = k.env(&n, &v);
    }
    let out = k.run().await;
    out.code(2);
    assert_eq!(
        out.stderr.matches("nothing was sent").count(),
        1,
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 5. The audit trail
// ---------------------------------------------------------------------------------------------

/// `update -p modelgates --base-url S KEYS --limit 5 -o json` with the sandbox's state folder.
/// Full ModelGates ids (used as is, with no listing read).
const K1: &str = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
const K2: &str = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
const K3: &str = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";

fn update_run(sb: &Sandbox, s: &MockServer, keys: &[&str], extra: &[&str]) -> Keyctl {
    let mut args = vec!["update", "-p", "modelgates"];
    args.extend_from_slice(keys);
    args.extend_from_slice(&["--limit", "5", "-o", "json"]);
    args.extend_from_slice(extra);
    sb.keyctl_no_config(&args).base(s)
}

#[tokio::test]
async fn an_audit_trail_that_is_a_symlink_is_not_followed() {
    let s = server().await;
    mount_patch(&s, K1).await;
    let sb = Sandbox::new();
    let target = sb.write("elsewhere/precious.txt", "original\n");
    std::os::unix::fs::symlink(&target, sb.trail()).unwrap();
    let out = update_run(&sb, &s, &[K1], &[]).run().await;
    out.code(0)
        .stderr_has("warning: could not write the audit trail");
    assert_eq!(out.json_lines()[0]["status"], "updated", "{}", out.stdout);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "original\n");
    assert!(
        std::fs::symlink_metadata(sb.trail())
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is left alone"
    );
}

#[tokio::test]
async fn an_audit_trail_that_is_a_fifo_costs_a_warning_not_a_hang_even_with_q() {
    let s = server().await;
    mount_patch(&s, K1).await;
    let sb = Sandbox::new();
    mkfifo(&sb.trail());
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

#[tokio::test]
async fn a_held_audit_lock_is_waited_for_about_5_s_then_a_warning() {
    let s = server().await;
    mount_patch(&s, K1).await;
    let sb = Sandbox::new();
    let _lock = Flock::hold(&sb.trail());
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
    assert_eq!(std::fs::read_to_string(sb.trail()).unwrap(), "");
}

#[tokio::test]
async fn sigterm_during_the_audit_lock_wait_is_exit_143() {
    let s = server().await;
    mount_patch(&s, K1).await;
    let sb = Sandbox::new();
    let _lock = Flock::hold(&sb.trail());
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
    let mut r = sb.spawn(&args, &sb.env_without_config());
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

#[tokio::test]
async fn a_held_audit_lock_costs_5_s_per_run_not_per_key() {
    let s = server().await;
    for k in [K1, K2, K3] {
        mount_patch(&s, k).await;
    }
    let sb = Sandbox::new();
    let _lock = Flock::hold(&sb.trail());
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
    let mut r = sb.spawn(&args, &sb.env_without_config());
    let f = r.finish(Duration::from_secs(20)).await;
    f.out.code(0);
    assert_eq!(f.out.json_lines().len(), 3, "{}", f.out.stdout);
    assert!(
        f.after_signal < Duration::from_secs(9),
        "took {:?} for 3 keys (about 5 s expected)",
        f.after_signal
    );
}

#[tokio::test]
async fn log_of_a_trail_that_is_a_device_or_a_fifo_fails_fast() {
    for kind in ["zero", "fifo"] {
        let sb = Sandbox::new();
        let trail = sb.trail();
        match kind {
            "zero" => std::os::unix::fs::symlink("/dev/zero", &trail).unwrap(),
            _ => mkfifo(&trail),
        }
        let mut r = sb.spawn(&["log"], &sb.env_without_config());
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

#[tokio::test]
async fn log_does_not_hang_on_a_held_audit_lock() {
    let sb = Sandbox::new();
    let trail = sb.trail();
    std::fs::write(&trail, "").unwrap();
    let _lock = Flock::hold(&trail);
    let mut r = sb.spawn(&["log"], &sb.env_without_config());
    let f = r.finish(Duration::from_secs(10)).await;
    assert!(
        f.after_signal < Duration::from_secs(8),
        "took {:?}",
        f.after_signal
    );
}

// ---------------------------------------------------------------------------------------------
// 6. io.net: a failed list is not an empty one
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn ionet_check_of_a_list_with_a_failed_status_is_exit_7_not_all_clear() {
    for (status, code) in [("failed", 7), ("succeeded", 0)] {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/v1/api-keys/sub-keys"))
            .and(header("x-api-key", SECRET))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"status": status, "data": []})),
            )
            .mount(&s)
            .await;
        let sb = Sandbox::new();
        let mut k = Keyctl::new(
            "IONET_ADMIN_KEY",
            &[
                "check",
                "-p",
                "ionet",
                "--expiring-within",
                "7d",
                "--retries",
                "0",
            ],
        )
        .base(&s);
        for (n, v) in sb.env_without_config() {
            k = k.env(&n, &v);
        }
        let out = k.run().await;
        out.code(code);
        if code == 7 {
            out.stderr_has("io.net")
                .stderr_has("the key list was answered with status")
                .stderr_has("\"failed\"")
                .stderr_has("not \"succeeded\"");
        } else {
            assert_eq!(out.stderr, "", "{status}");
        }
        assert!(!out.stdout.contains(IONET_KEY), "{}", out.stdout);
        assert_eq!(paths(&s).await, ["/v1/api-keys/sub-keys"], "{status}");
    }
}
