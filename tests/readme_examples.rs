//! The shell examples and output "screenshots" of the README and of every page in docs/ run
//! against the program, so the documentation cannot drift from it.
//!
//! - Every line between `<!-- examples:start -->` and `<!-- examples:end -->` that is not blank,
//!   a fence or a `#` comment is one command. The `# => ` lines right after it are its expected
//!   standard output, one line each.
//! - Every ```` ```console ```` block is a screenshot: its first line is `$ COMMAND`, the rest is
//!   what COMMAND prints on standard output.
//!
//! Each command runs under `bash -c` with `set -o pipefail` (a failing `keyctl` in a pipeline
//! fails the example), with the built `keyctl` first on `PATH`, an otherwise cleared environment,
//! a fake ModelGates credential and `KEYCTL_MODELGATES_BASE_URL` pointing at a wiremock stand-in
//! on loopback holding the keys below (three active, one disabled). It must exit 0 and print
//! exactly the expected lines (trailing white space ignored).

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{any, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The documents whose examples run: README.md, CONTRIBUTING.md and every `docs/*.md`, with
/// their paths relative to the repository for messages.
fn documents() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names = vec!["README.md".to_string(), "CONTRIBUTING.md".to_string()];
    let mut pages: Vec<String> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|e| {
            e.expect("docs/ entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    pages.sort();
    names.extend(pages);
    names
        .into_iter()
        .map(|n| {
            let text =
                std::fs::read_to_string(root.join(&n)).unwrap_or_else(|e| panic!("{n}: {e}"));
            (n, text)
        })
        .collect()
}

/// How many examples and console blocks the documents held when they moved out of the README
/// (10 commands between the markers, 8 console blocks): a count below these means some were
/// lost, not merely moved.
const AT_LEAST_EXAMPLES: usize = 10;
const AT_LEAST_SCREENSHOTS: usize = 8;

/// The fake credential; no example may print it.
const CREDENTIAL: &str = "mg-readme-example-7c41d9e2";

/// The stand-in's keys, as ModelGates answers them (`GET /api/v1/keys`, `GET /api/v1/keys/{hash}`).
fn keys() -> Vec<Value> {
    vec![
        json!({
            "hash": "5c1f3e8a92d04b7c8e61f0a2b9d47c3e15a8f62d0b94e7c1a3f58d2e6b07c914",
            "name": "ci-runner", "label": "ci-runner", "disabled": false,
            "limit": 100, "limit_remaining": 2.5, "limit_reset": "daily",
            "include_byok_in_limit": false,
            "usage": 1840.25, "usage_daily": 97.5, "usage_weekly": 410, "usage_monthly": 1210.75,
            "byok_usage": 0, "byok_usage_daily": 0, "byok_usage_weekly": 0, "byok_usage_monthly": 0,
            "created_at": "2025-06-02T08:15:00Z", "updated_at": "2025-09-01T12:00:00Z",
            "expires_at": null, "creator_user_id": null, "workspace_id": "ws_0001"
        }),
        json!({
            "hash": "a7d2e94b0c6f18e3d5b27a9c4e80f1d36b2c5a7e9f04d18c3b6e2a5f7d9c0e41",
            "name": "batch-eval", "label": "batch-eval", "disabled": false,
            "limit": 50, "limit_remaining": 38, "limit_reset": "monthly",
            "include_byok_in_limit": true,
            "usage": 212, "usage_daily": 0, "usage_weekly": 3.5, "usage_monthly": 12,
            "byok_usage": 4.2, "byok_usage_daily": 0, "byok_usage_weekly": 0, "byok_usage_monthly": 4.2,
            "created_at": "2025-07-14T09:00:00Z", "updated_at": "2025-08-30T17:45:00Z",
            "expires_at": "2026-01-01T00:00:00Z", "creator_user_id": null, "workspace_id": "ws_0001"
        }),
        json!({
            "hash": "e3b9c7a1f5d20864b1e9c3a7d5f28e06c4a1b9d7e3f50a28c6e4b2d0f8a7c513",
            "name": "prod-chat", "label": "prod-chat", "disabled": false,
            "limit": null, "limit_remaining": null, "limit_reset": null,
            "include_byok_in_limit": false,
            "usage": 5321.4, "usage_daily": 88.1, "usage_weekly": 602.3, "usage_monthly": 2410,
            "byok_usage": 0, "byok_usage_daily": 0, "byok_usage_weekly": 0, "byok_usage_monthly": 0,
            "created_at": "2025-03-01T00:00:00Z", "updated_at": "2025-03-01T00:00:00Z",
            "expires_at": null, "creator_user_id": null, "workspace_id": "ws_0001"
        }),
        json!({
            "hash": "0b8d6f4e2a9c17e5b3d1f9a7c5e30b8d6f4a2c9e7b5d13f1a9c7e5b3d0f2a486",
            "name": "old-staging", "label": "old-staging", "disabled": true,
            "limit": 20, "limit_remaining": 0, "limit_reset": "weekly",
            "include_byok_in_limit": false,
            "usage": 140, "usage_daily": 0, "usage_weekly": 20, "usage_monthly": 20,
            "byok_usage": 0, "byok_usage_daily": 0, "byok_usage_weekly": 0, "byok_usage_monthly": 0,
            "created_at": "2025-01-10T11:30:00Z", "updated_at": "2025-08-01T10:00:00Z",
            "expires_at": null, "creator_user_id": null, "workspace_id": "ws_0001"
        }),
    ]
}

/// A ModelGates stand-in: the list (disabled keys only with `include_disabled=true`, one short
/// page), each key by hash, no writes (the examples change nothing: a PATCH fails the test), and
/// 418 for anything else.
async fn stand_in() -> MockServer {
    let server = MockServer::start().await;
    let all = keys();
    let active: Vec<Value> = all
        .iter()
        .filter(|k| k["disabled"] == json!(false))
        .cloned()
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("include_disabled", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": all })))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": active })))
        .with_priority(2)
        .mount(&server)
        .await;
    for k in &all {
        let hash = k["hash"].as_str().expect("hash");
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/keys/{hash}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": k })))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .named("a documented example sent a change (they must be reads or dry runs)")
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418).set_body_json(
            json!({"error": {"code": 418, "message": "the docs' stand-in has no such endpoint"}}),
        ))
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

/// One command from the documentation and the standard output it documents.
#[derive(Debug)]
struct Example {
    /// `FILE:LINE` (1-based), for messages.
    place: String,
    command: String,
    expected: Vec<String>,
}

/// Each run of a document's lines after a `start` line up to its `end` line (both exclusive),
/// with their 1-based numbers.
fn between<'a>(name: &str, text: &'a str, start: &str, end: &str) -> Vec<Vec<(usize, &'a str)>> {
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    let mut runs = Vec::new();
    let mut at = 0;
    while let Some(from) = lines[at..].iter().position(|(_, l)| l.trim() == start) {
        let from = at + from;
        let to = lines[from..]
            .iter()
            .position(|(_, l)| l.trim() == end)
            .unwrap_or_else(|| panic!("{name} has no {end} line after line {}", from + 1));
        runs.push(lines[from + 1..from + to].to_vec());
        at = from + to;
    }
    runs
}

fn examples() -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    for (name, text) in documents() {
        for run in between(
            &name,
            &text,
            "<!-- examples:start -->",
            "<!-- examples:end -->",
        ) {
            examples_in(&name, &run, &mut out);
        }
    }
    for ex in &out {
        assert!(
            !ex.expected.is_empty(),
            "{}: `{}` has no `# =>` line stating its output",
            ex.place,
            ex.command
        );
    }
    out
}

/// The commands of one examples block and their `# =>` lines, appended to `out`.
fn examples_in(name: &str, run: &[(usize, &str)], out: &mut Vec<Example>) {
    // Whether the previous non-blank line was the command or one of its `# =>` lines.
    let mut open = false;
    for &(n, line) in run {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("# =>") {
            let ex = out
                .last_mut()
                .filter(|_| open)
                .unwrap_or_else(|| panic!("{name}:{n}: `# =>` without a command just above"));
            ex.expected
                .push(rest.strip_prefix(' ').unwrap_or(rest).to_string());
            continue;
        }
        open = false;
        if t.is_empty() || t.starts_with("```") || t.starts_with('#') {
            continue;
        }
        assert!(
            !t.ends_with('\\'),
            "{name}:{n}: one command per line (no continuation lines)"
        );
        out.push(Example {
            place: format!("{name}:{n}"),
            command: t.to_string(),
            expected: Vec::new(),
        });
        open = true;
    }
}

/// Every ```console block of every document: `$ COMMAND` then its output.
fn screenshots() -> Vec<Example> {
    let mut out = Vec::new();
    for (name, text) in documents() {
        screenshots_in(&name, &text, &mut out);
    }
    out
}

/// The ```console blocks of one document, appended to `out`.
fn screenshots_in(name: &str, text: &str, out: &mut Vec<Example>) {
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        if line.trim_end() != "```console" {
            continue;
        }
        let mut block: Vec<&str> = Vec::new();
        for (_, l) in lines.by_ref() {
            if l.trim_end() == "```" {
                break;
            }
            block.push(l);
        }
        let (first, rest) = block
            .split_first()
            .unwrap_or_else(|| panic!("{name}:{}: empty console block", i + 1));
        let command = first
            .strip_prefix("$ ")
            .unwrap_or_else(|| panic!("{name}:{}: a console block starts with `$ COMMAND`", i + 2));
        assert!(
            !rest.iter().any(|l| l.starts_with("$ ")),
            "{name}:{}: one command per console block",
            i + 1
        );
        out.push(Example {
            place: format!("{name}:{}", i + 2),
            command: command.to_string(),
            expected: rest.iter().map(|l| l.to_string()).collect(),
        });
    }
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// `bash -c` the command with the built keyctl first on PATH and nothing else of this
/// process's environment but PATH and HOME; killed after 60 s.
fn run(command: &str, base_url: &str) -> Ran {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_keyctl"))
        .parent()
        .expect("binary directory");
    let path = match std::env::var_os("PATH") {
        Some(p) => {
            let mut dirs = vec![bin.to_path_buf()];
            dirs.extend(std::env::split_paths(&p));
            std::env::join_paths(dirs).expect("PATH")
        }
        None => bin.as_os_str().to_owned(),
    };
    let mut cmd = Command::new("bash");
    cmd.env_clear()
        .env("PATH", path)
        .env("LC_ALL", "C")
        .env("KEYCTL_MODELGATES_BASE_URL", base_url)
        .env("MODELGATES_MANAGEMENT_KEY", CREDENTIAL)
        .arg("-c")
        .arg(format!("set -o pipefail\n{command}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // HOME, and the config and state folders cargo gives the tests (.cargo/config.toml), so
    // an example never reads the user's config file nor writes their audit trail.
    for var in ["HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    let mut child = cmd.spawn().expect("bash runs");
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ran {
        code: status.and_then(|s| s.code()),
        stdout: String::from_utf8_lossy(&out.join().expect("stdout")).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().expect("stderr")).into_owned(),
    }
}

/// Trailing white space of each line and surrounding blank lines ignored.
fn normalized(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim_matches('\n')
        .to_string()
}

/// The tools the examples pipe into must be installed (a missing one would fail every example
/// with a less obvious message).
fn require_tools() {
    for tool in ["bash", "jq", "awk", "cut"] {
        let found = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
        assert!(
            found,
            "the documented examples need `{tool}` on PATH: install it"
        );
    }
}

/// Runs every example; returns one message per example that failed.
async fn check(examples: Vec<Example>) -> Vec<String> {
    require_tools();
    let server = stand_in().await;
    let base = server.uri();
    let mut failures = Vec::new();
    for ex in examples {
        let base = base.clone();
        let command = ex.command.clone();
        let ran = tokio::task::spawn_blocking(move || run(&command, &base))
            .await
            .expect("join");
        let want = normalized(&ex.expected.join("\n"));
        let got = normalized(&ran.stdout);
        let leaked = ran.stdout.contains(CREDENTIAL) || ran.stderr.contains(CREDENTIAL);
        if ran.code != Some(0) || got != want || leaked {
            failures.push(format!(
                "{}: {}\n  exit: {:?}{}\n  expected stdout:\n{}\n  got stdout:\n{}\n  stderr:\n{}",
                ex.place,
                ex.command,
                ran.code,
                if leaked {
                    " (the credential was printed)"
                } else {
                    ""
                },
                indent(&want),
                indent(&got),
                indent(ran.stderr.trim_end()),
            ));
        }
    }
    failures
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn readme_shell_examples_print_what_the_readme_says() {
    let examples = examples();
    assert!(
        examples.len() >= AT_LEAST_EXAMPLES,
        "{} examples found, fewer than the {AT_LEAST_EXAMPLES} the docs held: {examples:?}",
        examples.len()
    );
    for tool in ["jq", "awk", "cut"] {
        assert!(
            examples
                .iter()
                .any(|e| e.command.contains(&format!("| {tool} "))),
            "the examples should show keyctl piped into {tool}"
        );
    }
    let failures = check(examples).await;
    assert!(
        failures.is_empty(),
        "{} example(s) differ from the program (fix the documentation or the program):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[tokio::test]
async fn readme_output_screenshots_match_the_program() {
    let shots = screenshots();
    assert!(
        shots.len() >= AT_LEAST_SCREENSHOTS,
        "{} console blocks found, fewer than the {AT_LEAST_SCREENSHOTS} the docs held: {shots:?}",
        shots.len()
    );
    let failures = check(shots).await;
    assert!(
        failures.is_empty(),
        "{} console block(s) differ from the program (paste the new output):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_example_parser_reads_commands_and_their_output() {
    let ex = examples();
    assert!(ex.iter().all(|e| !e.command.starts_with('#')));
    assert!(
        ex.iter()
            .all(|e| e.expected.iter().all(|l| !l.contains("# =>")))
    );
}
