//! The config file and the files and programs it names, as an attacker (or an accident) would
//! set them up: a config file or `credential_file` that is a FIFO, a device or a folder is
//! refused at once (exit 2 for the config file, 3 for a credential file) instead of blocking
//! forever; a `base_url` or a custom provider's `name` that holds a key is refused by the
//! config check (exit 2) without being printed back, while ordinary values pass; and what a
//! successful `credential_command` leaves running is killed once it exited (without a
//! terminal), and never keeps keyctl waiting for its time-out, on a terminal or not.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::home::Home;
use crate::common::{Out, SECRET, server};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A key-like token (OpenRouter's prefix and 32 hex digits): never printed back.
const KEY: &str = "sk-or-v1-9f8e7d6c5b4a39281706f5e4d3c2b1a0";

/// The variable a background run sets to SECRET: one no profile here reads.
const UNUSED_CREDENTIAL: &str = "KEYCTL_UNUSED_CREDENTIAL";

/// A run that must end at once: past this it is killed and the test fails (on the landed main
/// these runs blocked forever).
const QUICK: Duration = Duration::from_secs(5);

/// Makes a FIFO at `p` (nobody ever writes to it).
fn mkfifo(p: &Path) {
    let c = CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo(3) with a NUL-terminated path that lives through the call.
    let r = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(r, 0, "mkfifo {}", p.display());
}

/// A server that answers the Venice key list (with SECRET only).
async fn venice_server() -> MockServer {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    server
}

/// The requests `server` received, as `METHOD path` with whether SECRET was the bearer.
async fn received(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let auth = r
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v == format!("Bearer {SECRET}"));
            format!("{} {} bearer={auth}", r.method, r.url.path())
        })
        .collect()
}

/// Whether a process is still there (`kill -0`); a zombie (killed, not reaped by a PID 1 that
/// does not reap) runs no more.
fn alive(pid: i32) -> bool {
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        && let Some(state) = stat.rsplit(") ").next().and_then(|r| r.chars().next())
        && state == 'Z'
    {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Whether `pid` is gone within a second.
fn gone_soon(pid: i32) -> bool {
    (0..50).any(|_| {
        let a = alive(pid);
        if a {
            std::thread::sleep(Duration::from_millis(20));
        }
        !a
    })
}

/// Cleans up: SIGKILL to the one process a test's own script started and named (by pid).
fn kill(pid: i32) {
    // SAFETY: a plain kill(2) of a pid the test's script wrote.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

/// The pid a script wrote to `{D}/pid`.
fn pid_in(dir: &Home) -> i32 {
    let p = dir.path().join("pid");
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .trim()
        .parse()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. Files that are not regular files
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_fifo_config_file_is_refused_at_once() {
    // Named by KEYCTL_CONFIG.
    let dir = Home::offline();
    mkfifo(&dir.config_path());
    let f = dir
        .spawn(UNUSED_CREDENTIAL, &["providers"], &dir.env())
        .finish(QUICK)
        .await;
    f.out
        .code(2)
        .stderr_has(&format!(
            "cannot read the config file {} (from KEYCTL_CONFIG): it is a FIFO (named pipe), \
             not a regular file",
            dir.config_path().display()
        ))
        .stderr_has("fix or unset it");
    // At the default place ($XDG_CONFIG_HOME/keyctl/config.toml).
    let dir = Home::offline();
    let at = dir.path().join("xdg-config/keyctl/config.toml");
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    mkfifo(&at);
    let env: Vec<_> = dir
        .env()
        .into_iter()
        .filter(|(k, _)| k != "KEYCTL_CONFIG")
        .collect();
    let f = dir
        .spawn(UNUSED_CREDENTIAL, &["providers"], &env)
        .finish(QUICK)
        .await;
    f.out.code(2).stderr_has(&format!(
        "cannot read the config file {}: it is a FIFO (named pipe), not a regular file",
        at.display()
    ));
}

#[tokio::test]
async fn config_files_that_are_not_regular_files_are_exit_2_and_a_link_to_one_is_fine() {
    let dir = Home::offline();
    let sub = dir.path().join("folder");
    std::fs::create_dir_all(&sub).unwrap();
    let cases: [(&str, &str); 3] = [
        ("/dev/zero", "it is a character device, not a regular file"),
        ("/dev/tty", "it is a character device, not a regular file"),
        (
            sub.to_str().unwrap(),
            "it is a directory, not a regular file",
        ),
    ];
    let mut failed = Vec::new();
    for (at, want) in cases {
        let mut env = dir.env();
        env[0].1 = at.to_string();
        let f = dir
            .spawn(UNUSED_CREDENTIAL, &["providers"], &env)
            .finish(QUICK)
            .await;
        if f.out.code != 2 || !f.out.stderr.contains(want) {
            failed.push(format!("{at}: {:?}", f.out));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    // A symbolic link to a regular file is read.
    let real = dir.write(
        "real/config.toml",
        "[providers.acme]\napi = \"openrouter\"\nbase_url = \"https://api.example.com/v1\"\n\
         credential_env = \"ACME_KEY\"\nname = \"Acme Gateway 2\"\n",
    );
    std::os::unix::fs::symlink(&real, dir.config_path()).unwrap();
    dir.keyctl(&["providers"])
        .run()
        .await
        .code(0)
        .stdout_has("Acme Gateway 2");
}

/// A Venice profile `c` reading `credential_file = "{file}"`, against `server`.
fn file_profile(dir: &Home, server: &MockServer, file: &Path) {
    dir.config(&format!(
        "[profiles.c]\nprovider = \"venice\"\nbase_url = \"{}\"\ncredential_file = \"{}\"\n",
        server.uri(),
        file.display()
    ));
}

#[tokio::test]
async fn a_fifo_credential_file_is_exit_3_at_once_and_nothing_is_sent() {
    let server = venice_server().await;
    let dir = Home::offline();
    let fifo = dir.path().join("admin.key");
    mkfifo(&fifo);
    file_profile(&dir, &server, &fifo);
    let t = Instant::now();
    let f = dir
        .spawn(UNUSED_CREDENTIAL, &["list", "-P", "c"], &dir.env())
        .finish(QUICK)
        .await;
    let took = t.elapsed();
    f.out.code(3).stderr_has(&format!(
        "cannot read the file {} (credential_file): it is a FIFO (named pipe), not a regular file",
        fifo.display()
    ));
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(received(&server).await, Vec::<String>::new());
}

#[tokio::test]
async fn credential_files_that_are_not_regular_files_are_exit_3_and_a_link_to_one_is_read() {
    let server = venice_server().await;
    let dir = Home::offline();
    let folder = dir.path().join("keys");
    std::fs::create_dir_all(&folder).unwrap();
    let cases: [(PathBuf, &str); 4] = [
        (
            "/dev/zero".into(),
            "it is a character device, not a regular file",
        ),
        (
            "/dev/tty".into(),
            "it is a character device, not a regular file",
        ),
        (
            "/dev/null".into(),
            "it is a character device, not a regular file",
        ),
        (folder, "it is a directory, not a regular file"),
    ];
    let mut failed = Vec::new();
    for (at, want) in &cases {
        file_profile(&dir, &server, at);
        let f = dir
            .spawn(UNUSED_CREDENTIAL, &["list", "-P", "c"], &dir.env())
            .finish(QUICK)
            .await;
        let whole = format!(
            "cannot read the file {} (credential_file): {want}",
            at.display()
        );
        if f.out.code != 3 || !f.out.stderr.contains(&whole) {
            failed.push(format!("{}: {:?}", at.display(), f.out));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert_eq!(received(&server).await, Vec::<String>::new());
    // A symbolic link to a regular file holding the key is read.
    let real = dir.write("real/admin.key", &format!("{SECRET}\n"));
    let link = dir.path().join("admin.key");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    file_profile(&dir, &server, &link);
    dir.keyctl(&["list", "-P", "c"]).run().await.code(0);
    assert_eq!(
        received(&server).await,
        ["GET /api/v1/api_keys bearer=true"]
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Key-like base_url and name
// ---------------------------------------------------------------------------------------------

/// The parts of [`KEY`] and the other planted keys that must never be printed.
const PLANTED: [&str; 4] = [
    "9f8e7d6c5b4a",
    "Rq3xY7bN2kLm",
    "abcdefghijklmnop",
    "0123456789abcdef",
];

#[tokio::test]
async fn key_like_base_urls_and_provider_names_are_refused_without_being_shown() {
    let profile = |base: &str| {
        format!(
            "[profiles.a]\nprovider = \"venice\"\ncredential_env = \"X\"\nbase_url = \"{base}\"\n"
        )
    };
    let provider = |base: &str, name: &str| {
        format!(
            "[providers.acme]\napi = \"openrouter\"\ncredential_env = \"X\"\nbase_url = \
             \"{base}\"\nname = \"{name}\"\n"
        )
    };
    let url_msg = "this URL holds something that looks like a key (not shown)";
    let name_msg = "a name that looks like a key is refused";
    let cases: Vec<(&str, String, String)> = vec![
        (
            "a profile's base_url path",
            profile(&format!("https://api.example.com/v1/{KEY}")),
            format!(":4: profiles.a.base_url: {url_msg}"),
        ),
        (
            "a Venice admin key as a path segment",
            profile("https://api.example.com/VENICE_ADMIN_KEY_abcdefghijklmnop/v1"),
            format!(":4: profiles.a.base_url: {url_msg}"),
        ),
        (
            "a percent-encoded key in the path",
            profile("https://api.example.com/%73k-or-v1-9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
            format!(":4: profiles.a.base_url: {url_msg}"),
        ),
        (
            "a key in the query",
            profile(&format!("https://api.example.com/v1?key={KEY}")),
            format!(":4: profiles.a.base_url: {url_msg}"),
        ),
        (
            "a key as the user part",
            profile(&format!("https://{KEY}@api.example.com/v1")),
            format!(":4: profiles.a.base_url: {url_msg}"),
        ),
        (
            "a key as the password",
            profile("https://user:Rq3xY7bN2kLm9PqS4tUv8WxZ1aBc@api.example.com"),
            format!(":4: profiles.a.base_url: {url_msg}"),
        ),
        (
            "a custom provider's base_url path",
            provider(
                "https://gw.example.com/0123456789abcdef0123456789abcdef",
                "Acme",
            ),
            format!(":4: providers.acme.base_url: {url_msg}"),
        ),
        (
            "a custom provider's name that is a key",
            provider("https://gw.example.com", KEY),
            format!(":5: providers.acme.name: {name_msg}"),
        ),
        (
            "a custom provider's name with a key in it",
            provider("https://gw.example.com", &format!("Acme {KEY}")),
            format!(":5: providers.acme.name: {name_msg}"),
        ),
        (
            "a custom provider's name that is a Venice key",
            provider(
                "https://gw.example.com",
                "VENICE_ADMIN_KEY_abcdefghijklmnop",
            ),
            format!(":5: providers.acme.name: {name_msg}"),
        ),
    ];
    let mut failed = Vec::new();
    for (what, text, want) in &cases {
        let dir = Home::offline();
        dir.config(text);
        let file = dir.config_path().display().to_string();
        for args in [
            &["providers"][..],
            &["auth", "status", "--all"],
            &["list", "-P", "a", "-v"],
        ] {
            let out = dir.keyctl(args).env("X", SECRET).run().await;
            let mut why = Vec::new();
            if out.code != 2 {
                why.push(format!("exit {}", out.code));
            }
            if !out.stderr.contains(&format!("{file}{want}")) {
                why.push(format!("stderr lacks {want:?}"));
            }
            if PLANTED
                .iter()
                .any(|p| out.stderr.contains(p) || out.stdout.contains(p))
            {
                why.push("the key was printed".into());
            }
            if !why.is_empty() {
                failed.push(format!("{what} ({args:?}): {}\n{out:?}", why.join("; ")));
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[tokio::test]
async fn ordinary_base_urls_and_names_pass() {
    let dir = Home::offline();
    dir.config(
        "[providers.acme]\napi = \"openrouter\"\nbase_url = \"https://api.example.com/v1\"\n\
         credential_env = \"ACME_KEY\"\nname = \"Acme Gateway 2\"\n\n\
         [providers.mesh]\napi = \"venice\"\nbase_url = \
         \"https://gateway.example.com/api/v1/tenants/eu-west-1/7f3a9c2e-1b4d-4e8f-9a6c-2d5e8f1b3c7a\"\n\
         credential_env = \"MESH_KEY\"\nname = \"Mesh (EU, 2026)\"\n\n\
         [profiles.staging]\nprovider = \"acme\"\ncredential_env = \"ACME_KEY\"\n\
         base_url = \"https://staging.api.example.com/v2/keys\"\n",
    );
    let out = dir.keyctl(&["providers", "-o", "json"]).run().await;
    out.code(0)
        .stdout_has("Acme Gateway 2")
        .stdout_has("Mesh (EU, 2026)")
        .stdout_has("https://api.example.com/v1");
}

/// Issue 20, attacker's pass (F6b): a KEYCTL_<ID>_BASE_URL that holds a key is refused like a
/// config file's `base_url` (exit 2, the variable named, the value not shown) by every
/// command, `providers` included, and nothing is sent; an ordinary one still works.
#[tokio::test]
async fn key_like_base_urls_from_the_environment_are_refused_without_being_shown() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    let acme = "[providers.acme]\napi = \"openrouter\"\ncredential_env = \"X\"\n\
                base_url = \"https://gw.example.com\"\nname = \"Acme\"\n";
    let cases: [(&str, String); 5] = [
        (
            "KEYCTL_MODELGATES_BASE_URL",
            "https://api.example.com/0123456789abcdef0123456789abcdef".into(),
        ),
        (
            "KEYCTL_MODELGATES_BASE_URL",
            format!("{}/v1/{KEY}", server.uri()),
        ),
        (
            "KEYCTL_VENICE_BASE_URL",
            "https://api.example.com/VENICE_ADMIN_KEY_abcdefghijklmnop/v1".into(),
        ),
        (
            "KEYCTL_OPENROUTER_BASE_URL",
            "https://user:Rq3xY7bN2kLm9PqS4tUv8WxZ1aBc@api.example.com".into(),
        ),
        (
            "KEYCTL_ACME_BASE_URL",
            format!("https://gw.example.com/v1?key={KEY}"),
        ),
    ];
    let mut failed = Vec::new();
    for (var, url) in &cases {
        let dir = Home::offline();
        dir.config(acme);
        for args in [
            &["providers"][..],
            &["providers", "-o", "json"],
            &["auth", "status", "-p", "modelgates", "-v"],
            &["list", "-p", "modelgates", "-v"],
            &["list", "-p", "acme"],
        ] {
            let out = dir
                .keyctl(args)
                .env(var, url)
                .env("X", SECRET)
                .env("MODELGATES_MANAGEMENT_KEY", SECRET)
                .run()
                .await;
            let mut why = Vec::new();
            if out.code != 2 {
                why.push(format!("exit {}", out.code));
            }
            if !out.stderr.contains(&format!(
                "{var} holds something that looks like a key (not shown)"
            )) {
                why.push("stderr lacks the message".into());
            }
            if PLANTED
                .iter()
                .any(|p| out.stderr.contains(p) || out.stdout.contains(p))
            {
                why.push("the key was printed".into());
            }
            if !why.is_empty() {
                failed.push(format!(
                    "{var}={url} ({args:?}): {}\n{out:?}",
                    why.join("; ")
                ));
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    // An ordinary address from the variable is used and shown.
    let dir = Home::offline();
    dir.config(acme);
    let base = format!("{}/api/v1", server.uri());
    let out = dir
        .keyctl(&["providers", "-o", "json"])
        .env("KEYCTL_MODELGATES_BASE_URL", &base)
        .run()
        .await;
    out.code(0).stdout_has(&base);
}

// ---------------------------------------------------------------------------------------------
// 3. What a credential_command leaves running
// ---------------------------------------------------------------------------------------------

/// A Venice profile `c` at `server` whose credential_command is `/bin/sh {D}/cred.sh` (`{D}`
/// the folder, `{S}` the key in the script).
fn command_profile(dir: &Home, server: &MockServer, script: &str) {
    let d = dir.s();
    dir.write("cred.sh", &script.replace("{D}", &d).replace("{S}", SECRET));
    dir.config(&format!(
        "[profiles.c]\nprovider = \"venice\"\nbase_url = \"{}\"\n\
         credential_command = [\"/bin/sh\", \"{d}/cred.sh\"]\n",
        server.uri()
    ));
}

#[tokio::test]
async fn a_credential_commands_leftover_process_is_killed_once_it_exited() {
    // The leftover has its own output elsewhere: the landed main returned at once and left it
    // running.
    let cases = [
        (
            "succeeds",
            "sleep 300 >/dev/null 2>&1 &\necho $! > '{D}/pid'\nprintf '%s\\n' '{S}'\n",
            0,
        ),
        (
            "fails",
            "sleep 300 >/dev/null 2>&1 &\necho $! > '{D}/pid'\necho 'vault locked' >&2\nexit 1\n",
            3,
        ),
    ];
    let mut failed = Vec::new();
    for (what, script, code) in cases {
        let server = venice_server().await;
        let dir = Home::offline();
        command_profile(&dir, &server, script);
        let out = dir.keyctl(&["list", "-P", "c"]).run().await;
        let pid = pid_in(&dir);
        let gone = gone_soon(pid);
        if !gone {
            kill(pid);
        }
        let want_reqs: &[&str] = if code == 0 {
            &["GET /api/v1/api_keys bearer=true"]
        } else {
            &[]
        };
        let reqs = received(&server).await;
        if out.code != code || !gone || reqs != want_reqs {
            failed.push(format!(
                "{what}: exit {} (want {code}), leftover pid {pid} gone: {gone}, requests \
                 {reqs:?}\n{out:?}",
                out.code
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[tokio::test]
async fn a_leftover_holding_the_commands_output_open_neither_holds_keyctl_nor_outlives_it() {
    // The leftover keeps the command's standard output open: the landed main read until the
    // 10 s time-out, then failed (exit 3).
    let server = venice_server().await;
    let dir = Home::offline();
    command_profile(
        &dir,
        &server,
        "sleep 300 &\necho $! > '{D}/pid'\nprintf '%s\\n' '{S}'\n",
    );
    let t = Instant::now();
    let f = dir
        .spawn(UNUSED_CREDENTIAL, &["list", "-P", "c"], &dir.env())
        .finish(Duration::from_secs(20))
        .await;
    let took = t.elapsed();
    let pid = pid_in(&dir);
    let gone = gone_soon(pid);
    if !gone {
        kill(pid);
    }
    f.out.code(0);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(gone, "the leftover (pid {pid}) still runs");
    assert_eq!(
        received(&server).await,
        ["GET /api/v1/api_keys bearer=true"]
    );
}

#[tokio::test]
async fn a_leftover_that_left_the_process_group_does_not_hold_keyctl() {
    // It started a session of its own (as a daemon would), with the output still open: keyctl
    // cannot kill it, and reads for at most half a second after the command exited.
    let server = venice_server().await;
    let dir = Home::offline();
    command_profile(
        &dir,
        &server,
        "setsid sh -c \"echo \\$\\$ > '{D}/pid'; exec sleep 300\" &\n\
         while [ ! -s '{D}/pid' ]; do sleep 0.02; done\nprintf '%s\\n' '{S}'\n",
    );
    let t = Instant::now();
    let f = dir
        .spawn(UNUSED_CREDENTIAL, &["list", "-P", "c"], &dir.env())
        .finish(Duration::from_secs(20))
        .await;
    let took = t.elapsed();
    let pid = pid_in(&dir);
    let still = alive(pid);
    kill(pid);
    f.out.code(0);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        still,
        "the test's premise: a process in its own session is not killed"
    );
    assert_eq!(
        received(&server).await,
        ["GET /api/v1/api_keys bearer=true"]
    );
}

#[tokio::test]
async fn on_a_terminal_a_leftover_holding_the_output_does_not_hold_keyctl() {
    // On a terminal the command shares keyctl's process group (so it can ask for a password),
    // and what it leaves is left alone (README); keyctl still does not wait for it. The
    // leftover ignores SIGHUP, as a leftover of a shell's keyctl would not get one.
    let server = venice_server().await;
    let dir = Home::offline();
    command_profile(
        &dir,
        &server,
        "sh -c \"trap '' HUP; echo \\$\\$ > '{D}/pid'; exec sleep 300\" &\n\
         while [ ! -s '{D}/pid' ]; do sleep 0.02; done\nprintf '%s\\n' '{S}'\n",
    );
    let spec = json!({
        "argv": [env!("CARGO_BIN_EXE_keyctl"), "list", "-P", "c", "-o", "json"],
        "rows": 24,
        "cols": 100,
        "timeout": 20,
        "answer": null,
        "stdout": null,
        "stderr": null,
    });
    let env = dir.env();
    let t = Instant::now();
    let raw = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new("python3");
        cmd.arg(crate::common::pty::SCRIPT).arg(spec.to_string());
        crate::common::pty::clean(&mut cmd);
        cmd.envs(env.iter().map(|(k, v)| (k, v)))
            .env("TERM", "dumb")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.output()
            .expect("python3 runs (the pty tests need python3 on PATH)")
    })
    .await
    .unwrap();
    let took = t.elapsed();
    let pid = pid_in(&dir);
    let still = alive(pid);
    kill(pid);
    let (out, _) = crate::common::pty::finish(&raw);
    let out = Out {
        code: out.exit.unwrap_or(-1),
        stdout: out.output,
        stderr: String::new(),
    };
    out.code(0);
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(
        still,
        "on a terminal the leftover is left running (pid {pid})"
    );
    assert_eq!(
        received(&server).await,
        ["GET /api/v1/api_keys bearer=true"]
    );
}
