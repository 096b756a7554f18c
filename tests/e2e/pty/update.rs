//! Runs on a pseudo-terminal: the confirmation question of `update`, the table fitted to the
//! terminal's width, colour and the progress bar; and the same commands on plain pipes, where
//! nothing asks, nothing is coloured and no progress bar is drawn.
//!
//! The binary is started by `tests/e2e/pty_run.py` (Python's `pty` module; no extra crate): the
//! window size is set in the child before it starts, stdout and stderr are the same terminal
//! (so their text is merged, with `\r\n` line ends), and a prompt is answered once `[y/N]`
//! shows. Every output still goes through `common::scan` (credential, panics).

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::pty::*;
use crate::common::{Out, scan, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const BASE_ENV: &str = "KEYCTL_MODELGATES_BASE_URL";
/// A fake 40-character management key (it contains TOPSECRET, which `scan` looks for).
const PTY_SECRET: &str = "sk-mg-v1-TOPSECRET-0123456789abcdef01234";
const REFUSED: &str = "not confirmed; nothing was changed";

/// Five ModelGates-style ids: three 64-hex-character hashes and two short ids.
const IDS: [&str; 5] = [
    "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943",
    "k-ci-7",
    "9b2e4f10c3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
    "staging",
    "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
];

/// Every header a table can show (`output::columns::COLUMNS`).
const HEADERS: [&str; 21] = [
    "ID",
    "NAME",
    "STATUS",
    "CHANGES",
    "DISABLED",
    "BLOCKED",
    "LIMIT",
    "UNIT",
    "DIEM",
    "VCU",
    "RESET",
    "USAGE",
    "REMAINING",
    "TOTAL",
    "EXPIRES",
    "MODELS",
    "PRIVACY",
    "BYOK",
    "LAST USED",
    "CREATED",
    "UPDATED",
];

/// A keyctl run on a pseudo-terminal under construction.
struct Pty {
    args: Vec<String>,
    env: Vec<(String, String)>,
    rows: u16,
    cols: u16,
    answer: Option<String>,
    /// Files that take the place of the terminal for stdout or stderr.
    stdout: Option<std::path::PathBuf>,
    stderr: Option<std::path::PathBuf>,
}

impl Pty {
    /// `keyctl <args>` against `server` (through KEYCTL_MODELGATES_BASE_URL), credential set,
    /// TERM=xterm-256color, a 40x120 window.
    fn new(server: &MockServer, args: &[&str]) -> Pty {
        Pty {
            args: args.iter().map(|s| s.to_string()).collect(),
            env: vec![
                (ENV.into(), PTY_SECRET.into()),
                (BASE_ENV.into(), server.uri()),
                ("TERM".into(), "xterm-256color".into()),
                ("KEYCTL_BACKOFF_MS".into(), "20".into()),
            ],
            rows: 40,
            cols: 120,
            answer: None,
            stdout: None,
            stderr: None,
        }
    }

    fn args(mut self, more: &[&str]) -> Pty {
        self.args.extend(more.iter().map(|s| s.to_string()));
        self
    }

    /// Sets (or replaces) a variable.
    fn env(mut self, k: &str, v: &str) -> Pty {
        self.env.retain(|(n, _)| n != k);
        self.env.push((k.into(), v.into()));
        self
    }

    fn cols(mut self, cols: u16) -> Pty {
        self.cols = cols;
        self
    }

    /// What is typed when `[y/N]` shows: a line, or `EOF` (Ctrl-D). A run that must not ask
    /// gets an answer too, so a wrong question fails at once instead of waiting for a timeout.
    fn answer(mut self, a: &str) -> Pty {
        self.answer = Some(a.into());
        self
    }

    /// Standard output goes to this file instead of the terminal.
    fn stdout_to(mut self, f: &std::path::Path) -> Pty {
        self.stdout = Some(f.to_path_buf());
        self
    }

    /// Standard error goes to this file instead of the terminal.
    fn stderr_to(mut self, f: &std::path::Path) -> Pty {
        self.stderr = Some(f.to_path_buf());
        self
    }

    async fn run(self) -> PtyOut {
        let Pty {
            args,
            env,
            rows,
            cols,
            answer,
            stdout,
            stderr,
        } = self;
        let mut argv = vec![env!("CARGO_BIN_EXE_keyctl").to_string()];
        argv.extend(args);
        let spec = json!({
            "argv": argv,
            "rows": rows,
            "cols": cols,
            "timeout": 20,
            "answer": answer,
            "stdout": stdout,
            "stderr": stderr,
        });
        let out = tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new("python3");
            cmd.arg(SCRIPT).arg(spec.to_string());
            clean(&mut cmd);
            cmd.envs(env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            cmd.output()
                .expect("python3 runs (the pty tests need python3 on PATH)")
        })
        .await
        .expect("join");
        finish(&out).0
    }
}

/// `keyctl <args>` on plain pipes (stdin empty, stdout and stderr piped), with the same clean
/// environment as [`Pty`] and no NO_COLOR (unlike `common::Keyctl`), then `env`.
async fn piped(server: &MockServer, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyctl"));
    clean(&mut cmd);
    cmd.env(ENV, PTY_SECRET)
        .env(BASE_ENV, server.uri())
        .env("TERM", "xterm-256color")
        .env("KEYCTL_BACKOFF_MS", "20")
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("keyctl runs"))
        .await
        .expect("join");
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    scan(&out);
    out
}

/// A ModelGates key object with every field a list shows.
fn key_json(hash: &str, name: &str, i: usize) -> Value {
    let reset = [
        json!("daily"),
        json!("weekly"),
        json!("monthly"),
        Value::Null,
    ][i % 4]
        .clone();
    json!({
        "hash": hash,
        "name": name,
        "label": name,
        "disabled": i % 3 == 2,
        "limit": 100 + 25 * i,
        "limit_remaining": 74.5 - i as f64,
        "limit_reset": reset,
        "usage": 125.5 + i as f64,
        "usage_daily": 25.5,
        "usage_weekly": 40.25,
        "usage_monthly": 99.75,
        "include_byok_in_limit": i.is_multiple_of(2),
        "created_at": "2025-08-24T10:30:00Z",
        "updated_at": "2025-09-01T16:00:00Z",
        "expires_at": if i == 3 { json!("2026-01-01T00:00:00Z") } else { Value::Null },
    })
}

/// 200 `{"data": key}` for the key named in the path (updates and reads of one key), after a
/// delay in milliseconds.
struct KeyAnswer(u64);

impl Respond for KeyAnswer {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let hash = req.url.path().rsplit('/').next().unwrap_or_default();
        let mut key = key_json(hash, "ci-runner", 0);
        // The fields sent, as the provider would answer after the change.
        if let Ok(Value::Object(sent)) = serde_json::from_slice::<Value>(&req.body) {
            for (k, v) in sent {
                key[k] = v;
            }
        }
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": key}))
            .set_delay(Duration::from_millis(self.0))
    }
}

/// A server answering PATCH (after `delay_ms`) and GET of one key, over the 418 catch-all.
async fn key_server(delay_ms: u64) -> MockServer {
    timed_key_server(0, delay_ms).await
}

/// A server answering GET of one key after `read_ms` and PATCH after `write_ms`.
async fn timed_key_server(read_ms: u64, write_ms: u64) -> MockServer {
    let server = server().await;
    for (verb, ms) in [("PATCH", write_ms), ("GET", read_ms)] {
        Mock::given(method(verb))
            .and(path_regex(r"^/api/v1/keys/[^/]+$"))
            .respond_with(KeyAnswer(ms))
            .mount(&server)
            .await;
    }
    server
}

/// The paths of the PATCH requests the server received, in order.
async fn patches(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| r.url.path().to_string())
        .collect()
}

/// Every request but a GET (a refused run may read, never write).
async fn writes(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

fn key_path(k: &str) -> String {
    format!("/api/v1/keys/{k}")
}

/// Two full ModelGates key hashes (64 hex digits): used as is, with no listing read.
const K1: &str = "015f7e6bc5aeaf483724089e9252cc13b50951a6b69412522765cff4d780306e";
const K2: &str = "6ab9f1eb8f7d3388f4f9d586f66e99fd54080df2c446f0e58668b09c08a16dd0";

/// The `i`-th made-up full key hash: `i` in its first four digits, so the ids differ from
/// their start (as a shortened id shows them).
fn nth_key(i: usize) -> String {
    format!("{i:04}{}", "c0de".repeat(15))
}

/// `update -p modelgates --limit 5 KEYS...`.
fn update<'a>(keys: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["update", "-p", "modelgates", "--limit", "5"];
    v.extend(keys);
    v
}

// ---- confirmation ----

#[tokio::test]
async fn confirm_yes_sends_every_patch() {
    for answer in ["y\n", "YES\n"] {
        let server = key_server(0).await;
        let out = Pty::new(&server, &update(&[K1, K2]))
            .answer(answer)
            .run()
            .await;
        out.asked(true)
            .code(0)
            .asks_about(&["ModelGates", "update 2 key(s)", K1, K2, "limit", "→ 5"])
            .lacks(REFUSED);
        let mut sent = patches(&server).await;
        sent.sort();
        assert_eq!(sent, [key_path(K1), key_path(K2)], "{answer:?}");
    }
}

/// Any answer but y/yes refuses: exit 2, the message, and no write at all.
async fn refused_by(answer: &str) {
    let server = key_server(0).await;
    let out = Pty::new(&server, &update(&[K1, K2]))
        .answer(answer)
        .run()
        .await;
    out.asked(true)
        .code(2)
        .asks_about(&["update 2 key(s)", K1, K2, "limit", "→ 5"])
        // On a line of its own, also after Ctrl-D (which the terminal does not echo).
        .has(&format!("\nerror: {REFUSED}"));
    assert!(writes(&server).await.is_empty(), "{answer:?}: {out:?}");
}

#[tokio::test]
async fn confirm_no_refuses_and_sends_nothing() {
    refused_by("n\n").await;
    refused_by("no\n").await;
    refused_by("yess\n").await;
}

#[tokio::test]
async fn confirm_empty_line_refuses_and_sends_nothing() {
    refused_by("\n").await;
}

#[tokio::test]
async fn confirm_eof_refuses_and_sends_nothing() {
    refused_by("EOF").await;
}

#[tokio::test]
async fn yes_flag_on_a_pty_does_not_ask() {
    let server = key_server(0).await;
    let out = Pty::new(&server, &update(&[K1, K2]))
        .args(&["--yes"])
        .answer("n\n")
        .run()
        .await;
    out.asked(false).code(0).lacks("Apply this change?");
    assert_eq!(patches(&server).await.len(), 2);
    let server = key_server(0).await;
    Pty::new(&server, &update(&[K1, K2]))
        .args(&["-y"])
        .answer("n\n")
        .run()
        .await
        .asked(false)
        .code(0);
    assert_eq!(patches(&server).await.len(), 2);
}

#[tokio::test]
async fn single_key_does_not_ask() {
    let server = key_server(0).await;
    let out = Pty::new(&server, &update(&[K1])).answer("n\n").run().await;
    out.asked(false).code(0).lacks("Apply this change?");
    assert_eq!(patches(&server).await, [key_path(K1)]);
}

#[tokio::test]
async fn dry_run_never_asks() {
    let server = key_server(0).await;
    let out = Pty::new(&server, &update(&[K1, K2]))
        .args(&["--dry-run"])
        .answer("n\n")
        .run()
        .await;
    out.asked(false).code(0).lacks("Apply this change?");
    assert!(writes(&server).await.is_empty(), "{out:?}");
}

#[tokio::test]
async fn disable_of_one_key_asks() {
    let server = key_server(0).await;
    let out = Pty::new(&server, &["update", "-p", "modelgates", "--disable", K1])
        .answer("n\n")
        .run()
        .await;
    out.asked(true)
        .code(2)
        .asks_about(&["update 1 key(s)", K1, "disabled", "→ true"])
        .has(REFUSED);
    assert!(writes(&server).await.is_empty(), "{out:?}");
    // Answered yes, the one PATCH goes out.
    let server = key_server(0).await;
    Pty::new(&server, &["update", "-p", "modelgates", "--disable", K1])
        .answer("y\n")
        .run()
        .await
        .asked(true)
        .code(0);
    assert_eq!(patches(&server).await, [key_path(K1)]);
}

#[tokio::test]
async fn more_than_ten_keys_are_summarised() {
    let server = key_server(0).await;
    let keys: Vec<String> = (1..=13).map(nth_key).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let out = Pty::new(&server, &update(&refs)).answer("\n").run().await;
    out.asked(true)
        .code(2)
        .asks_about(&["update 13 key(s)", "... and 3 more"])
        .has(REFUSED);
    // The first ten ids are shown, the rest only counted.
    let q = out.question();
    for k in &keys[..10] {
        assert!(q.contains(k.as_str()), "{k} not shown:\n{q}");
    }
    for k in &keys[10..] {
        assert!(!q.contains(k.as_str()), "{k} shown:\n{q}");
    }
    assert!(writes(&server).await.is_empty(), "{out:?}");
}

/// A server whose list (`GET /api/v1/keys?offset=0`) has `ci-1` (h1) and `ci-2` (h2).
async fn match_server() -> MockServer {
    let server = key_server(0).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": [{"hash": "h1", "name": "ci-1"}, {"hash": "h2", "name": "ci-2"}]}),
        ))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn match_on_a_pty_asks() {
    let server = match_server().await;
    let args = [
        "update",
        "-p",
        "modelgates",
        "--match",
        "ci-*",
        "--limit",
        "5",
    ];
    let out = Pty::new(&server, &args).answer("n\n").run().await;
    out.asked(true)
        .code(2)
        .asks_about(&["update 2 key(s)", "h1", "h2", "limit", "→ 5"])
        .has(REFUSED);
    assert!(writes(&server).await.is_empty(), "{out:?}");

    let server = match_server().await;
    let out = Pty::new(&server, &args).answer("y\n").run().await;
    out.asked(true).code(0);
    let mut sent = patches(&server).await;
    sent.sort();
    assert_eq!(sent, [key_path("h1"), key_path("h2")], "{out:?}");
}

#[tokio::test]
async fn without_a_terminal_nothing_asks() {
    // --match without --yes is refused before anything is written.
    let server = match_server().await;
    let out = piped(
        &server,
        &[
            "update",
            "-p",
            "modelgates",
            "--match",
            "ci-*",
            "--limit",
            "5",
        ],
        &[],
    )
    .await;
    out.code(2).stderr_has("add --yes");
    assert!(!out.stderr.contains("[y/N]"), "{out:?}");
    assert!(writes(&server).await.is_empty(), "{out:?}");
    // With --yes it runs.
    let server = match_server().await;
    let out = piped(
        &server,
        &[
            "update",
            "-p",
            "modelgates",
            "--match",
            "ci-*",
            "--limit",
            "5",
            "--yes",
        ],
        &[],
    )
    .await;
    out.code(0);
    assert_eq!(patches(&server).await.len(), 2, "{out:?}");
    // An explicit list of keys runs without a question, --disable too.
    let server = key_server(0).await;
    let out = piped(&server, &update(&[K1, K2]), &[]).await;
    out.code(0);
    assert!(!out.stderr.contains("[y/N]"), "{out:?}");
    assert_eq!(patches(&server).await.len(), 2, "{out:?}");
    let server = key_server(0).await;
    let out = piped(
        &server,
        &["update", "-p", "modelgates", "--disable", K1],
        &[],
    )
    .await;
    out.code(0);
    assert_eq!(patches(&server).await, [key_path(K1)], "{out:?}");
}

#[tokio::test]
async fn ctrl_c_at_the_question_stops_and_sends_nothing() {
    let server = key_server(0).await;
    let out = Pty::new(&server, &update(&[K1, K2]))
        .answer("\x03")
        .run()
        .await;
    out.asked(true).code(130);
    assert!(writes(&server).await.is_empty(), "{out:?}");
}

#[tokio::test]
async fn stdout_to_a_file_still_asks() {
    // `keyctl update ... > results.tsv` at a terminal: the question is on stderr, the answer
    // on stdin, the results (TSV: stdout is not a terminal) in the file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.tsv");
    let server = key_server(0).await;
    let out = Pty::new(&server, &update(&[K1, K2]))
        .stdout_to(&file)
        .answer("y\n")
        .run()
        .await;
    out.asked(true).code(0).asks_about(&["update 2 key(s)"]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("id\tstatus\t"), "{text}");
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(!out.output.contains("id\tstatus"), "{out:?}");
    assert_eq!(patches(&server).await.len(), 2);
}

#[tokio::test]
async fn stderr_not_a_terminal_never_asks() {
    // Nobody can see a question on a redirected stderr: an explicit list runs, --match without
    // --yes is refused.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("err.txt");
    let server = key_server(0).await;
    Pty::new(&server, &update(&[K1, K2]))
        .stderr_to(&file)
        .answer("n\n")
        .run()
        .await
        .asked(false)
        .code(0);
    assert_eq!(patches(&server).await.len(), 2);

    let server = match_server().await;
    let args = [
        "update",
        "-p",
        "modelgates",
        "--match",
        "ci-*",
        "--limit",
        "5",
    ];
    Pty::new(&server, &args)
        .stderr_to(&file)
        .answer("y\n")
        .run()
        .await
        .asked(false)
        .code(2);
    let err = std::fs::read_to_string(&file).unwrap();
    assert!(err.contains("add --yes"), "{err}");
    assert!(!err.contains("[y/N]"), "{err}");
    assert!(writes(&server).await.is_empty(), "{err}");
}

// ---- width ----

/// A server listing the five [`IDS`] with realistic fields, one with a long name.
async fn list_server() -> MockServer {
    let names = [
        "production inference gateway (nightly batch)",
        "ci",
        "staging-eu-west",
        "a rather long key name for the ci runner",
        "dev",
    ];
    let data: Vec<Value> = IDS
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, (id, name))| key_json(id, name, i))
        .collect();
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": data })))
        .mount(&server)
        .await;
    server
}

/// `list --wide` (ids whole: without it, ids that do not fit are shortened, as
/// `table_ids.rs` checks) on a terminal `width` columns wide.
async fn list_at(width: u16) -> (PtyOut, Vec<String>) {
    let server = list_server().await;
    let out = Pty::new(&server, &["list", "-p", "modelgates", "--wide"])
        .cols(width)
        .run()
        .await;
    out.code(0);
    let lines: Vec<String> = out.plain().lines().map(str::to_string).collect();
    (out, lines)
}

/// No line wider than `w` (a line that is exactly one whole id may be, when `long_ids_alone`).
fn fits(out: &PtyOut, lines: &[String], w: usize, long_ids_alone: bool) {
    for l in lines {
        let n = l.chars().count();
        let alone = long_ids_alone && IDS.contains(&l.as_str());
        assert!(n <= w || alone, "{w}: line of {n}: {l:?}\n{}", out.output);
    }
}

fn ids_whole(out: &PtyOut, lines: &[String], w: usize) {
    for id in IDS {
        assert!(
            lines.iter().any(|l| l.contains(id)),
            "{w}: id {id} not whole on any line:\n{}",
            out.output
        );
    }
}

/// In a box table, every header cell is one whole header word and the header takes one line;
/// in the record form (no table), every id is a line of its own.
fn headers_whole(out: &PtyOut, lines: &[String], w: usize) {
    let Some(i) = lines
        .iter()
        .position(|l| l.starts_with('│') && l.contains("ID"))
    else {
        for id in IDS {
            assert!(
                lines.iter().any(|l| l == id),
                "{w}: no table, and id {id} not on a line of its own:\n{}",
                out.output
            );
        }
        return;
    };
    let cells: Vec<&str> = lines[i]
        .trim_matches('│')
        .split(['│', '┆'])
        .map(str::trim)
        .collect();
    for c in &cells {
        assert!(
            HEADERS.contains(c),
            "{w}: header cell {c:?} is not whole:\n{}",
            out.output
        );
    }
    assert!(
        lines.get(i + 1).is_some_and(|l| l.starts_with('╞')),
        "{w}: the header takes more than one line:\n{}",
        out.output
    );
}

#[tokio::test]
async fn width_200_is_a_box_table_with_every_id_whole() {
    let (out, lines) = list_at(200).await;
    assert!(lines.iter().any(|l| l.starts_with('┌')), "{}", out.output);
    fits(&out, &lines, 200, false);
    ids_whole(&out, &lines, 200);
    headers_whole(&out, &lines, 200);
    // Wide enough for every name on one row, and for columns besides id and name.
    out.has("production inference gateway (nightly batch)")
        .has("LIMIT")
        .has("USAGE");
}

#[tokio::test]
async fn width_100_and_80_fit_with_ids_and_headers_whole() {
    for w in [100u16, 80] {
        let (out, lines) = list_at(w).await;
        fits(&out, &lines, w.into(), false);
        ids_whole(&out, &lines, w.into());
        headers_whole(&out, &lines, w.into());
    }
}

#[tokio::test]
async fn width_60_is_one_record_per_key_with_each_id_on_its_own_line() {
    let (out, lines) = list_at(60).await;
    fits(&out, &lines, 60, true);
    ids_whole(&out, &lines, 60);
    for id in IDS {
        assert!(
            lines.iter().any(|l| l == id),
            "id {id} not on a line of its own:\n{}",
            out.output
        );
    }
    assert!(!lines.iter().any(|l| l.starts_with('┌')), "{}", out.output);
}

/// Below about 50 columns a name longer than the line is not wrapped in the record form (it is
/// split only at `, `), so the line is wider than the terminal.
#[tokio::test]

async fn width_40_records_fit() {
    let (out, lines) = list_at(40).await;
    fits(&out, &lines, 40, true);
    ids_whole(&out, &lines, 40);
}

// ---- colour and progress ----

#[tokio::test]
async fn statuses_are_coloured_on_a_terminal() {
    let server = key_server(0).await;
    let out = Pty::new(&server, &update(&[K1, K2]))
        .args(&["--yes"])
        .run()
        .await;
    out.code(0).has("updated");
    // The status cell itself is coloured: an escape right before `updated`.
    let coloured = out.output.split('\x1b').any(|seg| {
        seg.starts_with('[')
            && seg
                .split_once('m')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with("updated"))
    });
    assert!(coloured, "status not coloured:\n{:?}", out.output);
}

#[tokio::test]
async fn no_color_and_dumb_terminals_get_no_escape() {
    for (k, v) in [("NO_COLOR", "1"), ("TERM", "dumb")] {
        let server = key_server(0).await;
        let out = Pty::new(&server, &update(&[K1, K2]))
            .args(&["--yes"])
            .env(k, v)
            .run()
            .await;
        out.code(0).has("updated");
        assert!(
            !out.output.contains('\x1b'),
            "{k}={v}: escape in:\n{:?}",
            out.output
        );
    }
}

#[tokio::test]
async fn piped_stdout_is_tsv_without_escapes() {
    let server = key_server(0).await;
    let args = update(&[K1, K2]);
    let mut args = args.clone();
    args.push("--yes");
    let out = piped(&server, &args, &[]).await;
    out.code(0);
    let header = out.stdout.lines().next().unwrap_or_default();
    assert!(header.starts_with("id\tstatus\t"), "{out:?}");
    assert_eq!(out.stdout.lines().count(), 3, "{out:?}");
    assert!(!out.stdout.contains('\x1b'), "{out:?}");
    assert!(!out.stderr.contains('\x1b'), "{out:?}");
    // CLICOLOR_FORCE=1 colours a table even on a pipe.
    let server = key_server(0).await;
    args.extend(["-o", "table"]);
    let out = piped(&server, &args, &[("CLICOLOR_FORCE", "1")]).await;
    out.code(0).stdout_has("updated");
    assert!(out.stdout.contains('│'), "not a table: {out:?}");
    assert!(out.stdout.contains("\x1b["), "no colour: {out:?}");
}

fn many_keys() -> Vec<String> {
    (1..=25).map(nth_key).collect()
}

#[tokio::test]
async fn progress_bar_on_a_terminal_only() {
    let keys = many_keys();
    let mut args = vec!["update", "-p", "modelgates", "--limit", "5"];
    args.extend(["--concurrency", "2", "--yes"]);
    args.extend(keys.iter().map(String::as_str));

    let server = key_server(50).await;
    let out = Pty::new(&server, &args).answer("n\n").run().await;
    out.asked(false).code(0).has("/25 keys").has("ETA");
    assert_eq!(patches(&server).await.len(), 25);
    // The bar is cleared before the table: nothing of it after its last redraw.
    let tail = out.output.rsplit('\r').next().unwrap_or_default();
    assert!(
        !tail.contains("ETA") && tail.contains(&nth_key(25)[..8]) && tail.contains("summary"),
        "the bar was not cleared:\n{tail}"
    );

    let server = key_server(50).await;
    let out = piped(&server, &args, &[]).await;
    out.code(0);
    for t in ["keys,", "ETA", "elapsed", "\x1b"] {
        assert!(!out.stderr.contains(t), "{t:?} on piped stderr: {out:?}");
    }
    assert_eq!(patches(&server).await.len(), 25);
}

#[test]
fn strip_ansi_removes_escapes_only() {
    assert_eq!(
        strip_ansi("\x1b[32mupdated\x1b[0m │ \x1b]8;;x\x07k\x1b]8;;\x1b\\ \x1b7z"),
        "updated │ k z"
    );
    assert_eq!(PTY_SECRET.len(), 40);
}

// ---- review fixes: the plan with -q, a signal during the preview, a hangup at the question ----

#[tokio::test]
async fn quiet_still_shows_the_plan_and_the_question() {
    for q in ["-q", "--quiet"] {
        let server = key_server(0).await;
        let mut args = update(&[K1, K2]);
        args.push(q);
        let out = Pty::new(&server, &args).answer("n\n").run().await;
        out.asked(true)
            .code(2)
            .asks_about(&["update 2 key(s)", K1, K2, "limit", "→ 5", PROMPT]);
        assert!(writes(&server).await.is_empty(), "{q}: {out:?}");
        // Answered yes, both keys are written.
        let server = key_server(0).await;
        let out = Pty::new(&server, &args).answer("y\n").run().await;
        out.asked(true)
            .code(0)
            .asks_about(&["update 2 key(s)", K1, K2, PROMPT]);
        assert_eq!(patches(&server).await.len(), 2, "{q}: {out:?}");
    }
}

/// A pseudo-terminal driver for the tests below, which `pty_run.py` cannot do: it sends SIGINT
/// (by `kill`, or as Ctrl-C typed on the terminal) a set time after the start, or closes the
/// terminal (a hangup) once `[y/N]` shows. Prints {"exit", "signal", "output", "prompted",
/// "timed_out", "after_action"} (seconds from the signal or hangup to the exit).
const DRIVER: &str = r#"
import errno, fcntl, json, os, pty, select, signal, struct, sys, termios, time
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    try:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.execv(spec["argv"][0], spec["argv"])
    except BaseException as e:
        os.write(2, ("exec failed: %r\n" % (e,)).encode())
    os._exit(127)
start = time.monotonic()
deadline = start + spec["timeout"]
out, prompted, acted, closed, timed_out = bytearray(), False, None, False, False
sigint_after, how = spec.get("sigint_after"), spec.get("how")
while not closed:
    now = time.monotonic()
    if now > deadline:
        timed_out = True
        break
    if sigint_after is not None and acted is None and now - start >= sigint_after:
        acted = time.monotonic()
        if how == "tty":
            os.write(fd, b"\x03")
        else:
            os.kill(pid, signal.SIGINT)
    wait = 0.05 if (sigint_after is not None and acted is None) else 0.5
    ready, _, _ = select.select([fd], [], [], wait)
    if not ready:
        continue
    try:
        chunk = os.read(fd, 65536)
    except OSError as e:
        if e.errno == errno.EIO:
            break
        raise
    if not chunk:
        break
    out += chunk
    if b"[y/N]" in out and not prompted:
        prompted = True
        if spec.get("hangup"):
            acted = time.monotonic()
            os.close(fd)
            closed = True
status = None
while status is None:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
        break
    if time.monotonic() > deadline:
        timed_out = True
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        break
    time.sleep(0.01)
ended = time.monotonic()
if not closed:
    os.close(fd)
print(json.dumps({
    "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
    "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
    "output": out.decode("utf-8", errors="replace"),
    "prompted": prompted,
    "timed_out": timed_out,
    "after_action": None if acted is None else ended - acted,
}))
"#;

/// Runs `keyctl <args>` on a pseudo-terminal under [`DRIVER`] with `action` (merged into its
/// spec) and the same environment as [`Pty`]; returns the run and the seconds from the action
/// to the exit.
async fn drive(server: &MockServer, args: &[&str], action: Value) -> (PtyOut, Option<f64>) {
    let mut argv = vec![env!("CARGO_BIN_EXE_keyctl").to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    let mut spec = json!({"argv": argv, "timeout": 20});
    for (k, v) in action.as_object().expect("an object") {
        spec[k] = v.clone();
    }
    let uri = server.uri();
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new("python3");
        cmd.arg("-c").arg(DRIVER).arg(spec.to_string());
        clean(&mut cmd);
        cmd.env(ENV, PTY_SECRET)
            .env(BASE_ENV, uri)
            .env("TERM", "xterm-256color")
            .env("KEYCTL_BACKOFF_MS", "20")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.output().expect("python3 runs")
    })
    .await
    .expect("join");
    let (r, v) = finish(&out);
    (r, v["after_action"].as_f64())
}

/// A server whose reads of one key take `read_ms`; updates are answered at once.
async fn slow_read_server(read_ms: u64) -> MockServer {
    timed_key_server(read_ms, 0).await
}

#[tokio::test]
async fn sigint_while_the_preview_reads_stops_before_the_question() {
    for how in ["kill", "tty"] {
        let server = slow_read_server(3000).await;
        let (out, after) = drive(
            &server,
            &update(&[K1, K2]),
            json!({"sigint_after": 1.0, "how": how}),
        )
        .await;
        out.asked(false).code(130).lacks("[y/N]");
        assert!(writes(&server).await.is_empty(), "{how}: {out:?}");
        out.has("nothing was changed");
        // No plan half shown: the key read before the signal is not planned after it.
        out.lacks("→").lacks(&format!("ModelGates key {K1}"));
        // The preview was reading the first key when the signal came; no other read started.
        let reads = server.received_requests().await.unwrap();
        assert_eq!(reads.len(), 1, "{how}: {reads:?}\n{out:?}");
        // A first SIGINT lets the read in flight finish (at most 10 s), then stops: well
        // before a second 3 s read could have been made.
        let after = after.expect("the signal was sent");
        assert!(
            after < 4.0,
            "{how}: exited {after:.2} s after SIGINT: {out:?}"
        );
    }
}

#[tokio::test]
async fn hangup_at_the_question_exits_129_every_time() {
    // Before the fix about one hangup in five read as a refusal (exit 2): ten runs.
    for i in 0..10 {
        let server = key_server(0).await;
        let (out, after) = drive(&server, &update(&[K1, K2]), json!({"hangup": true})).await;
        assert!(out.prompted, "run {i}: never asked: {out:?}");
        assert_eq!(
            out.exit,
            Some(129),
            "run {i}: exit code; output:\n{}",
            out.output
        );
        assert!(writes(&server).await.is_empty(), "run {i}: {out:?}");
        assert!(!out.output.contains(REFUSED), "run {i}: {out:?}");
        let after = after.expect("hung up");
        assert!(after < 5.0, "run {i}: exited {after:.2} s after the hangup");
    }
}

// ---- the progress bar beside stdout lines, as a terminal shows them ----

/// What a terminal of `cols` columns shows after `output` (every line ever written, the
/// scrollback included): printable characters overwrite the cell under the cursor and wrap at
/// the right edge; `\r`, `\n`, backspace, and the CSI sequences the progress bar uses (cursor
/// up/down/column, erase in line, erase below) move or erase; colours and other sequences are
/// ignored. Enough to see a stale bar or a line the bar overwrote. Also returns how many
/// times a line ran past the right edge.
fn screen(output: &str, cols: usize) -> (Vec<String>, usize) {
    let mut wrapped = 0;
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut it = output.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\n' => (row, col) = (row + 1, 0),
            '\r' => col = 0,
            '\x08' => col = col.saturating_sub(1),
            '\x1b' => match it.next() {
                Some('[') => {
                    let mut params = String::new();
                    let mut fin = ' ';
                    for c in it.by_ref() {
                        if ('\x40'..='\x7e').contains(&c) {
                            fin = c;
                            break;
                        }
                        params.push(c);
                    }
                    let n: usize = params.parse().unwrap_or(0);
                    match fin {
                        'A' => row = row.saturating_sub(n.max(1)),
                        'B' => row += n.max(1),
                        'G' => col = n.max(1) - 1,
                        'K' => {
                            // The cursor's row exists (the loop at the end of each character).
                            let line = &mut lines[row];
                            match n {
                                2 => line.clear(),
                                1 => line.iter_mut().take(col + 1).for_each(|c| *c = ' '),
                                _ => line.truncate(col),
                            }
                        }
                        'J' if n == 0 => {
                            lines.truncate(row + 1);
                            if let Some(line) = lines.get_mut(row) {
                                line.truncate(col);
                            }
                        }
                        _ => {}
                    }
                }
                Some(']') => {
                    while let Some(c) = it.next() {
                        if c == '\x07' || (c == '\x1b' && it.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            c if c.is_control() => {}
            c => {
                if col >= cols {
                    (row, col) = (row + 1, 0);
                    wrapped += 1;
                }
                while lines.len() <= row {
                    lines.push(Vec::new());
                }
                let line = &mut lines[row];
                while line.len() < col {
                    line.push(' ');
                }
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
        // The cursor's row always exists.
        while lines.len() <= row {
            lines.push(Vec::new());
        }
    }
    let lines = lines
        .into_iter()
        .map(|l| l.into_iter().collect::<String>().trim_end().to_string())
        .collect();
    (lines, wrapped)
}

#[test]
fn screen_follows_the_sequences_the_bar_uses() {
    // A line drawn, cleared and replaced; a line lifted with cursor-up and erased.
    let s = screen("bar 1/9\r\x1b[2Kplan a\nbar 2/9\x1b[1A\n\r\x1b[J", 80);
    assert_eq!(s, (vec!["plan a".to_string(), String::new()], 0));
    // Wrapping at the edge: a long line takes two rows, and clearing one leaves the other.
    let s = screen("0123456789abc\r\x1b[2K", 10);
    assert_eq!(s, (vec!["0123456789".to_string(), String::new()], 1));
    assert_eq!(screen("\x1b[32mok\x1b[0m", 10).0, ["ok"]);
}

/// `update --dry-run` of 120 keys on a terminal of `cols` columns: stdout prints a plan per key
/// while the bar runs on stderr (the same terminal).
async fn dry_run_screen(cols: u16) -> (PtyOut, Vec<String>, usize) {
    let keys: Vec<String> = (1..=120).map(nth_key).collect();
    let mut args = vec!["update", "-p", "modelgates", "--limit", "5", "--dry-run"];
    args.extend(["--concurrency", "2"]);
    args.extend(keys.iter().map(String::as_str));
    let server = timed_key_server(8, 0).await;
    let out = Pty::new(&server, &args).cols(cols).run().await;
    assert!(writes(&server).await.is_empty(), "a dry run wrote");
    let (shown, wrapped) = screen(&out.output, cols as usize);
    (out, shown, wrapped)
}

#[tokio::test]
async fn the_bar_leaves_no_stale_copy_among_the_plan_lines() {
    for cols in [60u16, 200] {
        let (out, shown, wrapped) = dry_run_screen(cols).await;
        out.code(0).has("/120 keys");
        let stale: Vec<&String> = shown
            .iter()
            .filter(|l| l.contains("keys,") || l.contains("ETA"))
            .collect();
        assert!(
            stale.is_empty(),
            "{cols} columns: bar left on screen: {stale:#?}"
        );
        // Each plan heading once, found by its start (at 60 columns the heading of a full
        // 64-hex id wraps onto a second row).
        for i in 1..=120 {
            let id = nth_key(i);
            let start = format!("ModelGates key {}", &id[..8]);
            let headings = shown.iter().filter(|l| l.contains(&start)).count();
            assert_eq!(
                headings, 1,
                "{cols} columns: {id} shown {headings} times:\n{shown:#?}"
            );
        }
        // No other line (the bar's included) ran past the edge: a wrapped bar leaves its first
        // row behind on terminals that do not count the rows it took. The only rows that wrap
        // are the plan headings wider than the terminal (93 characters), once each at 60.
        let heading = format!("ModelGates key {} \"ci-runner\":", nth_key(1));
        let per_heading = (heading.chars().count() - 1) / cols as usize;
        assert_eq!(
            wrapped,
            120 * per_heading,
            "{cols} columns: a line other than a plan heading wrapped:\n{shown:#?}"
        );
    }
}
