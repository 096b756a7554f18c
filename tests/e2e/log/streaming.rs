//! `keyctl log` streams the audit trail, and the trail's folder and file are kept private
//! (issue 20, findings 9 and 10): a 100 MiB trail is shown in every format, with every filter,
//! under 64 MiB of peak memory (the child's own: GNU time's, or /proc's VmHWM); a line of 150 MiB is skipped, not
//! held; a small trail prints exactly as before; an existing folder 0777 and file 0666 of the
//! user's are made 0700 and 0600 (another user's are warned about once, even with -q); a state
//! folder that is a symbolic link is neither written nor read through.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{self, GATES_KEY, Keyctl, Out, VENICE_KEY};

/// The most a run of `keyctl log` may take, whatever the trail's size.
const PEAK_LIMIT_KIB: u64 = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// A state folder and a measured run

/// One test's state folder (XDG_STATE_HOME) and config folder.
struct Home {
    state: tempfile::TempDir,
    config: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            state: tempfile::tempdir().unwrap(),
            config: tempfile::tempdir().unwrap(),
        }
    }

    /// `$XDG_STATE_HOME/keyctl`.
    fn dir(&self) -> PathBuf {
        self.state.path().join("keyctl")
    }

    fn trail(&self) -> PathBuf {
        self.dir().join("audit.jsonl")
    }

    /// The trail's folder (0700), for a trail written by hand.
    fn make_dir(&self) -> PathBuf {
        std::fs::create_dir_all(self.dir()).unwrap();
        std::fs::set_permissions(self.dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
        self.dir()
    }

    /// A config file with profile `work` (Venice), for `-P work`.
    fn config_file(&self) -> PathBuf {
        let p = self.config.path().join("config.toml");
        std::fs::write(
            &p,
            "[profiles.work]\nprovider = \"venice\"\ncredential_env = \"VENICE_ADMIN_KEY\"\n",
        )
        .unwrap();
        p
    }

    fn vars(&self) -> Vec<(String, String)> {
        vec![
            (
                "XDG_STATE_HOME".into(),
                self.state.path().display().to_string(),
            ),
            (
                "XDG_CONFIG_HOME".into(),
                self.config.path().display().to_string(),
            ),
            (
                "KEYCTL_CONFIG".into(),
                self.config_file().display().to_string(),
            ),
        ]
    }

    fn keyctl(&self, k: Keyctl) -> Keyctl {
        self.vars().iter().fold(k, |k, (n, v)| k.env(n, v))
    }
}

/// What a measured run printed: its exit code, stderr, the number of stdout lines, the lines
/// that are not table rows (borders, header) and the first and last line; and its peak memory.
#[derive(Debug, Default)]
struct Measured {
    code: i32,
    stderr: String,
    lines: usize,
    /// Lines that start with a row's first cell (`│ 2026-`): one per entry in a table.
    row_starts: usize,
    /// Lines that start with `┌`, `╞` and `└`.
    borders: [usize; 3],
    first: String,
    last: String,
    peak_kib: u64,
}

/// GNU time, which reports the peak resident memory of the one process it runs (`%M`, KiB).
const TIME: &str = "/usr/bin/time";

/// Runs `keyctl log <args>` in `home` and measures its peak resident memory; stdout is read
/// line by line as it comes, not kept. Killed after 10 minutes.
///
/// The peak is the child's own: GNU time's `%M` (the wait4 of the one process it forked) when
/// /usr/bin/time is there, else the largest `VmHWM` of /proc/PID/status read every 5 ms while
/// it runs. Not this process's `RUSAGE_CHILDREN` nor a wait4 of our own child: Linux charges a
/// child with its parent's peak when it execs from a vfork (as std spawns), so they would
/// report this test process's memory.
fn measured(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Measured {
    let with_time = Path::new(TIME).exists();
    let report = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = if with_time {
        let mut c = Command::new(TIME);
        c.args(["-f", "%M", "-o"])
            .arg(report.path())
            .arg(env!("CARGO_BIN_EXE_keyctl"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_keyctl"))
    };
    for v in common::cleared() {
        cmd.env_remove(v);
    }
    cmd.env_remove("COLUMNS")
        .env("NO_COLOR", "1")
        .envs(home.vars())
        .envs(env.iter().copied())
        .arg("log")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("keyctl starts");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut m = Measured::default();
        let mut r = BufReader::with_capacity(1 << 16, stdout);
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            let l = line.trim_end_matches('\n');
            if m.lines == 0 {
                m.first = l.to_string();
            }
            m.lines += 1;
            m.row_starts += usize::from(l.starts_with("│ 2026-"));
            for (i, c) in ['┌', '╞', '└'].iter().enumerate() {
                m.borders[i] += usize::from(l.starts_with(*c));
            }
            m.last.clear();
            m.last.push_str(l);
            line.clear();
        }
        m
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let status_file = format!("/proc/{}/status", child.id());
    let until = Instant::now() + Duration::from_secs(600);
    let mut sampled = 0u64;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if !with_time {
            sampled = sampled.max(vm_hwm_kib(&status_file).unwrap_or(0));
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("keyctl log {args:?} still ran after 10 minutes (killed)");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut m = reader.join().unwrap();
    m.stderr = err.join().unwrap();
    m.code = status.code().unwrap_or(-1);
    m.peak_kib = if with_time {
        // The last line (GNU time puts "Command exited with non-zero status N" before it).
        let text = std::fs::read_to_string(report.path()).unwrap();
        let last = text.lines().last().unwrap_or_default().trim();
        last.parse()
            .unwrap_or_else(|_| panic!("{TIME} reported {text:?}"))
    } else {
        sampled
    };
    assert!(m.peak_kib > 0, "no peak measured");
    assert!(
        !m.stderr.contains("panicked"),
        "keyctl panicked: {}",
        m.stderr
    );
    m
}

/// `VmHWM` (peak resident memory, KiB) of a /proc/PID/status; None once the process is gone.
fn vm_hwm_kib(status_file: &str) -> Option<u64> {
    let text = std::fs::read_to_string(status_file).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// 1. A 100 MiB trail in every format, with every filter

/// Realistic Venice lines of profile `work`, each about `VENICE_KEY`: an update, a create, a
/// rotation and a failed revoke.
fn venice_lines() -> Vec<String> {
    let models: Vec<String> = (0..4).map(|i| format!("llama-3.3-{i}0b")).collect();
    [
        json!({"time": "2026-11-20T10:00:00.000Z", "run": "6f0c1c1e-4f7e-4a55-9a49-2a1f5b3f8c10",
               "profile": "work", "provider": "venice", "key": VENICE_KEY, "action": "update",
               "status": "updated", "changes": [{"field": "limit", "from": 10, "to": 50},
               {"field": "reset", "from": "daily", "to": "monthly"}], "http_status": 200}),
        json!({"time": "2026-11-20T10:00:01.000Z", "run": "7a0c1c1e-4f7e-4a55-9a49-2a1f5b3f8c10",
               "profile": "work", "provider": "venice", "key": VENICE_KEY, "action": "create",
               "status": "created", "changes": [{"field": "name", "to": "ci-runner"},
               {"field": "limit", "to": 25}, {"field": "models", "to": models}],
               "http_status": 200, "new_key": VENICE_KEY}),
        json!({"time": "2026-11-21T06:00:00.000Z", "run": "8b0c1c1e-4f7e-4a55-9a49-2a1f5b3f8c10",
               "profile": "work", "provider": "venice", "key": VENICE_KEY, "action": "rotate",
               "status": "rotated", "changes": [], "http_status": 200,
               "new_key": "0b8e82dc-9df2-4b47-b726-d0a222ef2ab5",
               "old_key": {"action": "revoked", "done": true}}),
        json!({"time": "2026-11-22T06:00:00.000Z", "run": "9c0c1c1e-4f7e-4a55-9a49-2a1f5b3f8c10",
               "profile": "work", "provider": "venice", "key": VENICE_KEY, "action": "revoke",
               "status": "failed", "changes": [], "http_status": 500,
               "error": "Venice: HTTP 500: upstream unavailable, try again later"}),
    ]
    .iter()
    .map(|v| format!("{v}\n"))
    .collect()
}

/// Writes a trail of at least `bytes` of [`venice_lines`] in turn; returns the entries.
fn write_big_trail(home: &Home, bytes: u64) -> usize {
    home.make_dir();
    let lines = venice_lines();
    let block: String = lines.concat();
    let blocks = bytes.div_ceil(block.len() as u64);
    let mut f = std::io::BufWriter::new(std::fs::File::create(home.trail()).unwrap());
    for _ in 0..blocks {
        f.write_all(block.as_bytes()).unwrap();
    }
    f.flush().unwrap();
    usize::try_from(blocks).unwrap() * lines.len()
}

/// One measured run: its name, `keyctl log`'s arguments and the variables it adds.
type Run = (
    &'static str,
    Vec<&'static str>,
    Vec<(&'static str, &'static str)>,
);

#[test]
fn log_of_a_100_mib_trail_stays_under_64_mib_in_every_format_and_filter() {
    let home = Home::new();
    let n = write_big_trail(&home, 100 << 20);
    assert!(std::fs::metadata(home.trail()).unwrap().len() >= 100 << 20);
    // Every filter lets every entry through, so nothing is left out that would spare memory.
    let runs: Vec<Run> = vec![
        ("json", vec!["-o", "json"], vec![]),
        (
            "tsv --since --key",
            vec!["-o", "tsv", "--since", "2026-01-01", "--key", VENICE_KEY],
            vec![],
        ),
        (
            "table -p -P (fitted to 200 columns)",
            vec!["-o", "table", "-p", "venice", "-P", "work"],
            vec![("COLUMNS", "200")],
        ),
    ];
    let results: Vec<(String, Measured, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .iter()
            .map(|(name, args, env)| {
                let home = &home;
                s.spawn(move || {
                    let t = Instant::now();
                    let m = measured(home, args, env);
                    (name.to_string(), m, t.elapsed())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (name, m, took) in &results {
        eprintln!(
            "{name}: peak {} KiB, {} lines, {took:.1?}",
            m.peak_kib, m.lines
        );
        assert_eq!(m.code, 0, "{name}: {}", m.stderr);
        assert!(m.stderr.is_empty(), "{name}: {}", m.stderr);
        assert!(
            m.peak_kib < PEAK_LIMIT_KIB,
            "{name}: peak {} KiB over a {} MiB trail",
            m.peak_kib,
            100
        );
        if name.starts_with("json") {
            assert_eq!(m.lines, n, "{name}");
            let last: Value = serde_json::from_str(&m.last).unwrap();
            assert_eq!(last["action"], "revoke", "{name}");
        } else if name.starts_with("tsv") {
            assert_eq!(m.lines, n + 1, "{name}");
            assert!(m.first.starts_with("time\tprofile\t"), "{}", m.first);
            assert!(
                m.last.starts_with("2026-11-22T06:00:00.000Z\twork"),
                "{}",
                m.last
            );
        } else {
            // One table: one top border, one header line under its rule, one bottom border, a
            // row for every entry.
            assert_eq!(m.row_starts, n, "{name}");
            assert_eq!(m.borders, [1, 1, 1], "{name}");
            assert!(m.first.starts_with('┌'), "{name}: {}", m.first);
            assert!(m.last.starts_with('└'), "{name}: {}", m.last);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. A line of 150 MiB

#[test]
fn a_line_of_150_mib_is_skipped_not_held() {
    let home = Home::new();
    home.make_dir();
    let lines = venice_lines();
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(home.trail()).unwrap());
        f.write_all(lines[0].as_bytes()).unwrap();
        f.write_all(b"{\"time\":\"2026-11-20T10:00:00.000Z\",\"error\":\"")
            .unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..150 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\"}\n").unwrap();
        f.write_all(lines[2].as_bytes()).unwrap();
        f.flush().unwrap();
    }
    for format in ["json", "tsv", "table"] {
        let m = measured(&home, &["-o", format], &[]);
        assert!(
            m.peak_kib < PEAK_LIMIT_KIB,
            "{format}: peak {} KiB",
            m.peak_kib
        );
        assert_eq!(m.code, 0, "{format}: {}", m.stderr);
        assert!(
            m.stderr
                .contains("skipped 1 line(s) longer than 256 KiB (keyctl writes none that long"),
            "{format}: {}",
            m.stderr
        );
        // The entries before and after it are shown.
        let rows = match format {
            "json" => m.lines,
            "tsv" => m.lines - 1,
            _ => m.row_starts,
        };
        assert_eq!(rows, 2, "{format}: {m:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 3. A small trail prints as before

/// Three entries (an update, a rotation, a failed revoke) in the trail.
fn small_trail(home: &Home) {
    home.make_dir();
    let lines = venice_lines();
    let text = format!("{}{}{}", lines[0], lines[2], lines[3]);
    std::fs::write(home.trail(), text).unwrap();
}

// The goldens below are 284f8b0's output for `small_trail`, byte for byte.

const SMALL_TABLE: &str = "\
┌──────────────────────────┬─────────┬──────────┬──────────────────────────────────────┬────────┬─────────┬───────────────────────────────────────────────────────────────┬──────┐
│ TIME                     ┆ PROFILE ┆ PROVIDER ┆ KEY                                  ┆ ACTION ┆ STATUS  ┆ CHANGES                                                       ┆ HTTP │
╞══════════════════════════╪═════════╪══════════╪══════════════════════════════════════╪════════╪═════════╪═══════════════════════════════════════════════════════════════╪══════╡
│ 2026-11-20T10:00:00.000Z ┆ work    ┆ venice   ┆ e28e82dc-9df2-4b47-b726-d0a222ef2ab5 ┆ update ┆ updated ┆ limit 10 → 50; reset daily → monthly                          ┆ 200  │
│ 2026-11-21T06:00:00.000Z ┆ work    ┆ venice   ┆ e28e82dc-9df2-4b47-b726-d0a222ef2ab5 ┆ rotate ┆ rotated ┆ new key 0b8e82dc-9df2-4b47-b726-d0a222ef2ab5; old key revoked ┆ 200  │
│ 2026-11-22T06:00:00.000Z ┆ work    ┆ venice   ┆ e28e82dc-9df2-4b47-b726-d0a222ef2ab5 ┆ revoke ┆ failed  ┆                                                               ┆ 500  │
└──────────────────────────┴─────────┴──────────┴──────────────────────────────────────┴────────┴─────────┴───────────────────────────────────────────────────────────────┴──────┘
";

const SMALL_TABLE_160: &str = "\
┌──────────────────────────┬─────────┬──────────┬──────────────────────────────────────┬────────┬─────────┬─────────────────────────────────────────────┬──────┐
│ TIME                     ┆ PROFILE ┆ PROVIDER ┆ KEY                                  ┆ ACTION ┆ STATUS  ┆ CHANGES                                     ┆ HTTP │
╞══════════════════════════╪═════════╪══════════╪══════════════════════════════════════╪════════╪═════════╪═════════════════════════════════════════════╪══════╡
│ 2026-11-20T10:00:00.000Z ┆ work    ┆ venice   ┆ e28e82dc-9df2-4b47-b726-d0a222ef2ab5 ┆ update ┆ updated ┆ limit 10 → 50; reset daily → monthly        ┆ 200  │
│ 2026-11-21T06:00:00.000Z ┆ work    ┆ venice   ┆ e28e82dc-9df2-4b47-b726-d0a222ef2ab5 ┆ rotate ┆ rotated ┆ new key                                     ┆ 200  │
│                          ┆         ┆          ┆                                      ┆        ┆         ┆ 0b8e82dc-9df2-4b47-b726-d0a222ef2ab5; old   ┆      │
│                          ┆         ┆          ┆                                      ┆        ┆         ┆ key revoked                                 ┆      │
│ 2026-11-22T06:00:00.000Z ┆ work    ┆ venice   ┆ e28e82dc-9df2-4b47-b726-d0a222ef2ab5 ┆ revoke ┆ failed  ┆                                             ┆ 500  │
└──────────────────────────┴─────────┴──────────┴──────────────────────────────────────┴────────┴─────────┴─────────────────────────────────────────────┴──────┘
";

const SMALL_BLOCKS_100: &str = "\
time:     2026-11-20T10:00:00.000Z
profile:  work
provider: venice
key:      e28e82dc-9df2-4b47-b726-d0a222ef2ab5
action:   update
status:   updated
changes:  limit 10 → 50; reset daily → monthly
http:     200

time:     2026-11-21T06:00:00.000Z
profile:  work
provider: venice
key:      e28e82dc-9df2-4b47-b726-d0a222ef2ab5
action:   rotate
status:   rotated
changes:  new key 0b8e82dc-9df2-4b47-b726-d0a222ef2ab5; old key revoked
http:     200

time:     2026-11-22T06:00:00.000Z
profile:  work
provider: venice
key:      e28e82dc-9df2-4b47-b726-d0a222ef2ab5
action:   revoke
status:   failed
http:     500
";

// TSV always has every column: since issue 21 also name and by (empty for these lines).
const SMALL_TSV: &str = "\
time	profile	provider	key	name	action	status	changes	http	by
2026-11-20T10:00:00.000Z	work	venice	e28e82dc-9df2-4b47-b726-d0a222ef2ab5		update	updated	limit 10 → 50; reset daily → monthly	200	
2026-11-21T06:00:00.000Z	work	venice	e28e82dc-9df2-4b47-b726-d0a222ef2ab5		rotate	rotated	new key 0b8e82dc-9df2-4b47-b726-d0a222ef2ab5; old key revoked	200	
2026-11-22T06:00:00.000Z	work	venice	e28e82dc-9df2-4b47-b726-d0a222ef2ab5		revoke	failed		500	
";

#[tokio::test]
async fn a_small_trail_prints_exactly_as_before() {
    let home = Home::new();
    small_trail(&home);
    let run = |args: &[&str], cols: Option<&str>| {
        let mut k = home.keyctl(Keyctl::bare(args));
        if let Some(c) = cols {
            k = k.env("COLUMNS", c);
        }
        k.run()
    };
    let out = run(&["log", "-o", "table"], None).await;
    out.code(0);
    assert_eq!(out.stdout, SMALL_TABLE);
    let out = run(&["log", "-o", "table"], Some("160")).await;
    out.code(0);
    assert_eq!(out.stdout, SMALL_TABLE_160);
    let out = run(&["log", "-o", "table"], Some("100")).await;
    out.code(0);
    assert_eq!(out.stdout, SMALL_BLOCKS_100);
    let out = run(&["log", "-o", "tsv"], None).await;
    out.code(0);
    assert_eq!(out.stdout, SMALL_TSV);
    let out: Out = run(&["log", "-o", "json"], None).await;
    out.code(0);
    let lines = venice_lines();
    let want: Vec<Value> = [&lines[0], &lines[2], &lines[3]]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.json_lines(), want);
    assert_eq!(out.stderr, "");
}

// ---------------------------------------------------------------------------------------------
// 4. Modes and a linked folder

/// A server answering every ModelGates update.
async fn gates() -> MockServer {
    let server = common::server().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"hash": GATES_KEY, "name": "n", "limit": 5}})),
        )
        .mount(&server)
        .await;
    server
}

/// `keyctl update -p modelgates GATES_KEY --limit 5 -o json <extra>` in `home`: exit 0, and
/// status `updated` (unless `-q` leaves the output out).
async fn update(home: &Home, server: &MockServer, extra: &[&str]) -> Out {
    let mut args = vec![
        "update",
        "-p",
        "modelgates",
        GATES_KEY,
        "--limit",
        "5",
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = home
        .keyctl(Keyctl::new("MODELGATES_MANAGEMENT_KEY", &args))
        .base(server)
        .run()
        .await;
    out.code(0);
    if !extra.contains(&"-q") {
        assert_eq!(out.json_lines()[0]["status"], "updated", "{}", out.stdout);
    }
    out
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().mode() & 0o777
}

fn set_mode(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

#[tokio::test]
async fn a_loose_folder_and_trail_of_the_users_own_are_made_0700_and_0600() {
    let home = Home::new();
    home.make_dir();
    std::fs::write(home.trail(), "").unwrap();
    set_mode(&home.dir(), 0o777);
    set_mode(&home.trail(), 0o666);
    let server = gates().await;
    let out = update(&home, &server, &[]).await;
    assert_eq!(mode(&home.dir()), 0o700);
    assert_eq!(mode(&home.trail()), 0o600);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    let text = std::fs::read_to_string(home.trail()).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// A second full ModelGates id (used as is, with no listing read).
const K2: &str = "2000000000000000000000000000000000000000000000000000000000000002";

#[tokio::test]
async fn a_loose_folder_and_trail_of_another_user_are_warned_about_once_even_with_q() {
    let home = Home::new();
    home.make_dir();
    std::fs::write(home.trail(), "").unwrap();
    set_mode(&home.dir(), 0o777);
    set_mode(&home.trail(), 0o666);
    // Giving them away takes root (the tests run as root); without it there is nothing to try.
    if std::os::unix::fs::chown(home.dir(), Some(65534), Some(65534)).is_err() {
        eprintln!("skipped: cannot chown (not root)");
        return;
    }
    std::os::unix::fs::chown(home.trail(), Some(65534), Some(65534)).unwrap();
    let server = gates().await;
    // Two keys: two lines, one warning.
    let mut args = vec!["update", "-p", "modelgates", GATES_KEY, K2, "--limit", "5"];
    args.extend(["-o", "json", "-q"]);
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{K2}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"hash": K2, "name": "n", "limit": 5}})),
        )
        .mount(&server)
        .await;
    let out = home
        .keyctl(Keyctl::new("MODELGATES_MANAGEMENT_KEY", &args))
        .base(&server)
        .run()
        .await;
    out.code(0)
        .stderr_has("warning: the audit trail's folder")
        .stderr_has("belongs to another user (uid 65534)");
    assert_eq!(out.stderr.matches("warning").count(), 1, "{}", out.stderr);
    assert_eq!(
        mode(&home.dir()),
        0o777,
        "another's folder is left as it is"
    );
    assert_eq!(mode(&home.trail()), 0o666);
    let text = std::fs::read_to_string(home.trail()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_state_folder_that_is_a_symlink_is_neither_written_nor_read_through() {
    let home = Home::new();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), home.dir()).unwrap();
    let server = gates().await;
    // The change is made and reported; the trail is not written through the link: a warning,
    // once, even with -q.
    let out = update(&home, &server, &["-q"]).await;
    out.stderr_has("warning: could not write the audit trail")
        .stderr_has("is a symbolic link, which keyctl does not follow")
        .stderr_has("make it a real folder");
    assert_eq!(out.stderr.matches("warning").count(), 1, "{}", out.stderr);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(
        !elsewhere.path().join("audit.jsonl").exists(),
        "written through the link"
    );
    assert!(
        std::fs::symlink_metadata(home.dir())
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is left alone"
    );
    // A trail behind the link is not read either.
    let lines = venice_lines();
    std::fs::write(elsewhere.path().join("audit.jsonl"), &lines[0]).unwrap();
    let out = home
        .keyctl(Keyctl::bare(&["log", "-o", "json"]))
        .run()
        .await;
    out.code(2)
        .stderr_has("cannot read the audit trail")
        .stderr_has("is a symbolic link, which keyctl does not follow");
    assert_eq!(out.stdout, "");
}

/// Issue 20, attacker's pass (F6a): an `audit.jsonl` that is a symbolic link (in a real
/// folder) is not read through, in any format: exit 2, a message that says so, nothing on
/// stdout; the file it points to is left as it was.
#[tokio::test]
async fn a_trail_file_that_is_a_symlink_is_not_read_through() {
    let home = Home::new();
    home.make_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("other.jsonl");
    let lines = venice_lines();
    std::fs::write(&target, format!("{}\n", lines[0])).unwrap();
    std::os::unix::fs::symlink(&target, home.trail()).unwrap();
    for format in ["table", "json", "tsv"] {
        let out = home
            .keyctl(Keyctl::bare(&["log", "-o", format]))
            .run()
            .await;
        out.code(2)
            .stderr_has("cannot read the audit trail")
            .stderr_has("is a symbolic link, which keyctl does not follow");
        assert_eq!(out.stdout, "", "-o {format}");
        assert!(
            !out.stderr.contains(VENICE_KEY),
            "-o {format}: {}",
            out.stderr
        );
    }
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        format!("{}\n", lines[0])
    );
}
