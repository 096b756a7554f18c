//! `--secret-command` (create and rotate): the command gets the new secret on its standard input
//! exactly once, and the secret is nowhere else (stdout, stderr, `-v`, the audit trail, the
//! command's argv or environment); the command's environment has no admin credential
//! variable; a failing, hanging or signalled command leaves the secret on stdout once (exit 1,
//! rotate keeps the old key); a program not on PATH is exit 2 with nothing created. The file
//! sink's rules (new, 0600, never overwritten) are covered by
//! `create::requests::secret_file_is_new_0600_and_keeps_the_secret_off_stdout`,
//! `create::requests::a_failed_create_leaves_no_secret_file_behind` and
//! `rotate::secret_delivery`.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::home::Home;
use crate::common::stand_ins::{With, gates_key};
use crate::common::{GATES_KEY, Out, SECRET};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const NEW_HASH: &str = "aa11bb22cc33dd44ee55ff6600778899aa11bb22cc33dd44ee55ff6600778899";
const NEW_SECRET: &str = "sk-mg-v1-PIPEDSECRET-7d3e9a1c5b2f4e6d8a0c1b3d5f7e9a2c";

/// A ModelGates stand-in: no keys listed, each key read answers with its own hash, a create
/// answers the new key and [`NEW_SECRET`], a PATCH or DELETE answers as applied.
async fn gates() -> MockServer {
    let server = crate::common::server().await;
    crate::common::no_keys(&server).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v1/keys/[0-9a-f]{64}$"))
        .respond_with(|r: &Request| {
            let hash = r.url.path().rsplit('/').next().unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({"data": old_key(hash)}))
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"data": gates_key(NEW_HASH, "ci"), "key": NEW_SECRET})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(|r: &Request| {
            let hash = r.url.path().rsplit('/').next().unwrap_or_default();
            let mut k = old_key(hash);
            k["disabled"] = json!(true);
            ResponseTemplate::new(200).set_body_json(json!({"data": k}))
        })
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deleted": true})))
        .mount(&server)
        .await;
    server
}

/// A key as the stand-in reads it: every setting a successor copies.
fn old_key(hash: &str) -> Value {
    gates_key(hash, "ci").with(json!({
        "limit": 50, "limit_remaining": 40, "limit_reset": "monthly",
        "include_byok_in_limit": true, "expires_at": null
    }))
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

/// A `store-secret` program in `bin/` of `home` that records, in `out/`, its arguments, its
/// argv and environment as the kernel holds them (/proc), what it read on standard input, and
/// each run; prints a line on stdout and the secret it read on stderr (keyctl must mask it);
/// and exits $STORE_EXIT (0 by default).
fn store_secret(home: &Home) {
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let d = out.display();
    home.script(
        "bin/store-secret",
        &format!(
            r#"d='{d}'
echo run >> "$d/runs"
printf '%s\n' "$@" > "$d/args"
tr '\0' '\n' < /proc/$$/cmdline > "$d/cmdline"
tr '\0' '\n' < /proc/$$/environ > "$d/environ"
cat > "$d/stdin"
echo "stored it"
echo "echoed: $(cat "$d/stdin")" >&2
exit "${{STORE_EXIT:-0}}""#
        ),
    );
}

/// A file the command wrote in `out/` ("" when it did not).
fn recorded(home: &Home, name: &str) -> String {
    std::fs::read_to_string(home.path().join("out").join(name)).unwrap_or_default()
}

/// PATH with `home`'s `bin/` first.
fn path_with_bin(home: &Home) -> String {
    format!(
        "{}:{}",
        home.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `keyctl ARGS` against `server` with `home`'s files (no config), `bin/` first on PATH, and a
/// GH_TOKEN the command must keep.
async fn run(home: &Home, server: &MockServer, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut k = home
        .keyctl_with_no_config(ENV, args)
        .base(server)
        .env("PATH", &path_with_bin(home))
        .env("GH_TOKEN", "gh-token-for-the-command");
    for (n, v) in env {
        k = k.env(n, v);
    }
    k.run().await
}

/// The new secret is on stdout exactly once and on stderr not at all (nor a piece of it).
fn shown_once(out: &Out) {
    assert_eq!(out.stdout.matches(NEW_SECRET).count(), 1, "{}", out.stdout);
    assert!(!out.stderr.contains(&NEW_SECRET[..16]), "{}", out.stderr);
}

/// The secret is in no file but the command's standard input.
fn only_on_stdin(home: &Home) {
    assert_eq!(recorded(home, "stdin"), format!("{NEW_SECRET}\n"));
    assert_eq!(recorded(home, "runs"), "run\n", "the command ran once");
    for f in ["args", "cmdline", "environ"] {
        let text = recorded(home, f);
        assert!(!text.is_empty(), "{f} not recorded");
        assert!(
            !text.contains(&NEW_SECRET[..16]),
            "the secret is in the {f}:\n{text}"
        );
    }
    let trail = std::fs::read_to_string(home.trail()).unwrap_or_default();
    assert!(!trail.is_empty(), "no audit trail");
    assert!(!trail.contains(&NEW_SECRET[..16]), "{trail}");
    assert!(!trail.contains(SECRET), "{trail}");
}

#[tokio::test]
async fn the_command_gets_the_secret_on_stdin_once_and_it_is_nowhere_else() {
    let home = Home::new();
    store_secret(&home);
    let server = gates().await;
    let out = run(
        &home,
        &server,
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--secret-command",
            "store-secret --repo 'acme/app two' CI_KEY",
            "-o",
            "json",
            "-v",
        ],
        &[],
    )
    .await;
    out.code(0);
    assert!(!out.stdout.contains(&NEW_SECRET[..16]), "{}", out.stdout);
    assert!(!out.stderr.contains(&NEW_SECRET[..16]), "{}", out.stderr);
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "created");
    assert_eq!(
        line["secret_command"],
        json!(["store-secret", "--repo", "acme/app two", "CI_KEY"])
    );
    assert!(line.get("secret").is_none(), "{line}");
    // Its output reaches stderr, marked with its name, the secret it echoed masked.
    out.stderr_has("store-secret: stored it")
        .stderr_has("store-secret: echoed: ");
    // Its arguments exactly as given; its argv[0] as given (found on PATH).
    assert_eq!(recorded(&home, "args"), "--repo\nacme/app two\nCI_KEY\n");
    only_on_stdin(&home);
    // Its environment: keyctl's own, without the admin credential variable (GH_TOKEN kept).
    let environ = recorded(&home, "environ");
    assert!(
        environ.contains("GH_TOKEN=gh-token-for-the-command"),
        "{environ}"
    );
    assert!(!environ.contains(ENV), "{environ}");
    assert!(!environ.contains(SECRET), "{environ}");
    let trail = std::fs::read_to_string(home.trail()).unwrap();
    assert!(trail.contains(r#""status":"created""#), "{trail}");
    assert_eq!(count(&server, "POST").await, 1);
}

#[tokio::test]
async fn the_table_says_where_the_secret_went() {
    let home = Home::new();
    store_secret(&home);
    let server = gates().await;
    let out = run(
        &home,
        &server,
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--secret-command",
            "store-secret CI_KEY",
            "-o",
            "table",
        ],
        &[],
    )
    .await;
    out.code(0)
        .stdout_has("secret: handed to `store-secret CI_KEY` on its standard input");
    assert!(!out.stdout.contains(&NEW_SECRET[..16]), "{}", out.stdout);
    only_on_stdin(&home);
}

#[tokio::test]
async fn a_failing_command_leaves_the_secret_on_stdout_once() {
    let home = Home::new();
    store_secret(&home);
    let server = gates().await;
    for format in ["json", "table"] {
        let _ = std::fs::remove_file(home.path().join("out/runs"));
        let out = run(
            &home,
            &server,
            &[
                "create",
                "-p",
                "modelgates",
                "--name",
                "ci",
                "--secret-command",
                "store-secret CI_KEY",
                "-o",
                format,
            ],
            &[("STORE_EXIT", "1")],
        )
        .await;
        out.code(1)
            .stderr_has("the secret command `store-secret CI_KEY` failed (exit status 1)")
            .stderr_has("it is shown on stdout instead");
        shown_once(&out);
        assert_eq!(recorded(&home, "runs"), "run\n");
        if format == "json" {
            let line = &out.json_lines()[0];
            assert_eq!(line["secret"], NEW_SECRET);
            assert!(line.get("secret_command").is_none(), "{line}");
        }
    }
}

#[tokio::test]
async fn a_program_not_on_path_is_exit_2_with_nothing_created() {
    let home = Home::new();
    store_secret(&home);
    let server = gates().await;
    for (command, says) in [
        (
            "store-secert CI_KEY",
            "no program 'store-secert' on PATH; check the name, or give its full path",
        ),
        ("/nonexistent/store CI_KEY", "cannot run it"),
        (
            "store-secret CI_KEY | tee log",
            "no shell runs this command",
        ),
        ("store-secret 'CI_KEY", "a ' is not closed"),
    ] {
        run(
            &home,
            &server,
            &[
                "create",
                "-p",
                "modelgates",
                "--name",
                "ci",
                "--secret-command",
                command,
            ],
            &[],
        )
        .await
        .code(2)
        .stderr_has(says)
        .stderr_has("nothing was created");
    }
    // Not both sinks.
    let f = home.path().join("ci.key");
    run(
        &home,
        &server,
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--secret-command",
            "store-secret",
            "--secret-file",
            f.to_str().unwrap(),
        ],
        &[],
    )
    .await
    .code(2)
    .stderr_has("--secret-file");
    assert!(!f.exists());
    assert_eq!(count(&server, "POST").await, 0, "a key was created");
    assert_eq!(recorded(&home, "runs"), "", "the command ran");
}

/// A program in `bin/hang` that starts a grandchild (its pid in `out/grandchild`), marks
/// `out/started`, reads its standard input, and never ends.
fn hang(home: &Home) {
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    home.script(
        "bin/hang",
        &format!(
            r#"d='{}'
sleep 300 &
echo $! > "$d/grandchild"
cat > "$d/stdin"
touch "$d/started"
sleep 300"#,
            out.display()
        ),
    );
}

/// Whether process `pid` is gone (or a zombie no one waits for).
fn gone(pid: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        if stat.is_empty() || state.starts_with('Z') {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn a_hanging_command_is_stopped_with_what_it_started_and_the_secret_shown() {
    let home = Home::new();
    hang(&home);
    let server = gates().await;
    let started = Instant::now();
    let out = run(
        &home,
        &server,
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--secret-command",
            "hang",
        ],
        &[("KEYCTL_SECRET_COMMAND_TIMEOUT_MS", "700")],
    )
    .await;
    out.code(1)
        .stderr_has("the secret command `hang` did not finish within 0.7 s and was stopped");
    shown_once(&out);
    assert!(started.elapsed() < Duration::from_secs(20));
    let grandchild = recorded(&home, "grandchild");
    assert!(!grandchild.trim().is_empty());
    assert!(
        gone(grandchild.trim()),
        "the command's own child still runs"
    );
}

#[tokio::test]
async fn sigterm_while_the_command_runs_ends_it_and_the_secret_is_shown_once() {
    let home = Home::new();
    hang(&home);
    let server = gates().await;
    let bin_path = path_with_bin(&home);
    let mut env = home.env_without_config();
    env.push(("PATH".into(), bin_path));
    let uri = server.uri();
    let mut running = home.spawn(
        ENV,
        &[
            "create",
            "-p",
            "modelgates",
            "--name",
            "ci",
            "--secret-command",
            "hang",
            "--base-url",
            &uri,
        ],
        &env,
    );
    let marker = home.path().join("out").join("started");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !marker.exists() {
        assert!(Instant::now() < deadline, "{}", running.kill_and_collect());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done = running.signal("TERM").finish(Duration::from_secs(10)).await;
    let out = done.out;
    shown_once(&out);
    out.stderr_has("the secret command `hang` was stopped by a signal to keyctl");
    // 128 + SIGTERM, as any run a signal ends.
    out.code(143);
    assert_eq!(recorded(&home, "stdin"), format!("{NEW_SECRET}\n"));
    assert!(gone(recorded(&home, "grandchild").trim()));
}

/// `rotate GATES_KEY --secret-command ...` against `server`.
async fn rotate(home: &Home, server: &MockServer, command: &str, env: &[(&str, &str)]) -> Out {
    run(
        home,
        server,
        &[
            "rotate",
            "-p",
            "modelgates",
            GATES_KEY,
            "--secret-command",
            command,
            "-o",
            "json",
        ],
        env,
    )
    .await
}

#[tokio::test]
async fn rotate_hands_the_secret_to_the_command_then_retires_the_old_key() {
    let home = Home::new();
    store_secret(&home);
    let server = gates().await;
    let out = rotate(&home, &server, "store-secret CI_KEY", &[]).await;
    out.code(0);
    assert!(!out.stdout.contains(&NEW_SECRET[..16]), "{}", out.stdout);
    assert!(!out.stderr.contains(&NEW_SECRET[..16]), "{}", out.stderr);
    let line: Value = out.json_lines().remove(0);
    assert_eq!(line["status"], "rotated", "{line}");
    assert_eq!(line["secret_command"], json!(["store-secret", "CI_KEY"]));
    only_on_stdin(&home);
    // The old key disabled (ModelGates' default step), after the command took the secret.
    assert_eq!(count(&server, "PATCH").await, 1);
}

#[tokio::test]
async fn rotate_keeps_the_old_key_when_the_command_fails() {
    let home = Home::new();
    store_secret(&home);
    let server = gates().await;
    let out = rotate(
        &home,
        &server,
        "store-secret CI_KEY",
        &[("STORE_EXIT", "3")],
    )
    .await;
    out.code(1)
        .stderr_has("the secret command `store-secret CI_KEY` failed (exit status 3)");
    shown_once(&out);
    let line: Value = out.json_lines().remove(0);
    assert_eq!(line["status"], "partial", "{line}");
    assert_eq!(line["secret"], NEW_SECRET);
    assert_eq!(line["error"]["kind"], "undelivered", "{line}");
    assert_eq!(count(&server, "PATCH").await, 0, "the old key was touched");
    assert_eq!(count(&server, "DELETE").await, 0, "the old key was touched");
    // A missing program: nothing created, the old key not touched.
    let server = gates().await;
    rotate(&home, &server, "no-such-store", &[])
        .await
        .code(2)
        .stderr_has("nothing was created");
    assert_eq!(count(&server, "POST").await, 0);
    assert!(Path::new(&home.trail()).exists());
}
