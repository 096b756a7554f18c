//! Bounds and cheap paths: 100,000 keys in a dry run stay within time and memory, and the
//! commands that send nothing (or send only to a loopback http:// URL) never open the system
//! certificate store (counted with strace).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{GATES_KEY, SECRET, VENICE_KEY};

const BIN: &str = env!("CARGO_BIN_EXE_keyctl");

/// Runs `cmd` (stderr piped) to its end: its exit status, its stderr and its own peak resident
/// set in KiB (its VmHWM while it runs; `wait4`'s `ru_maxrss` where /proc cannot be read).
// The child is reaped by `wait4` itself, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn run_measured(cmd: &mut Command) -> (std::process::ExitStatus, String, i64) {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let pid = child.id() as libc::pid_t;
    // The child's own high-water mark, read from /proc while it runs: VmHWM belongs to the
    // memory the program itself mapped after exec. `ru_maxrss` also counts the image it was
    // forked from (this test binary, as large as its other tests make it), so it fails this
    // bound for reasons outside keyctl.
    let hwm = std::thread::spawn(move || {
        let mut peak: Option<i64> = None;
        while let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let Some(kib) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
            else {
                break;
            };
            peak = Some(peak.map_or(kib, |p: i64| p.max(kib)));
            std::thread::sleep(Duration::from_millis(5));
        }
        peak
    });
    let mut status = 0;
    // SAFETY: wait4 only writes into the status and the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut u) };
    assert_eq!(rc, pid, "wait4 failed");
    let stderr = reader.join().unwrap();
    let peak = hwm.join().unwrap().unwrap_or(u.ru_maxrss);
    (std::process::ExitStatus::from_raw(status), stderr, peak)
}

#[test]
fn a_100k_key_dry_run_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys.txt");
    let mut text = String::with_capacity(100_000 * 37 * 2);
    for i in 0..100_000u32 {
        text.push_str(&format!("3f2b8c1e-9a4d-4e6f-8b21-{i:012}\n"));
    }
    // Every id twice: the de-duplication must stay linear.
    let doubled = format!("{text}{text}");
    std::fs::write(&file, doubled).unwrap();
    let started = Instant::now();
    let (status, stderr, rss) = run_measured(
        Command::new(BIN)
            .args(["update", "-p", "ionet", "--limit", "50", "--dry-run"])
            .arg("--from-file")
            .arg(&file)
            .env_remove("IONET_ADMIN_KEY")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    );
    let took = started.elapsed();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("100000 key(s) named more than once"),
        "{stderr}"
    );
    assert!(
        stderr.contains("summary: 100000 would update, 0 unchanged, 0 failed"),
        "{stderr}"
    );
    // One warning line for all repeats, not one per repeat.
    assert!(stderr.lines().count() < 5, "{stderr}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(rss < 100 * 1024, "peak RSS {rss} KiB");
}

/// Certificate-store files (the bundle and /etc/ssl/certs) opened by `keyctl args`, per strace.
fn cert_files_opened(args: &[&str], env: &[(&str, &str)]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("trace");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-e", "trace=open,openat", "-o"])
        .arg(&log)
        .arg(BIN)
        .args(args);
    for v in [
        "VENICE_ADMIN_KEY",
        "MODELGATES_MANAGEMENT_KEY",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .expect("strace runs (it ships with the machine image; else: apt-get install strace)");
    let trace = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !trace.is_empty(),
        "strace wrote nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(SECRET), "{stdout}");
    trace
        .lines()
        .filter(|l| l.contains("/etc/ssl/certs") || l.contains("ca-certificates"))
        .filter(|l| !l.contains("ENOENT"))
        .count()
}

/// One command line to trace.
struct Case {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

#[tokio::test]
async fn cheap_paths_never_open_the_certificate_store() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"hash": GATES_KEY}})),
        )
        .mount(&server)
        .await;
    let uri = server.uri();
    let venice = [("VENICE_ADMIN_KEY", SECRET)];
    let gates = [("MODELGATES_MANAGEMENT_KEY", SECRET)];
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"hash": GATES_KEY}})),
        )
        .mount(&server)
        .await;
    let dry = [
        "update",
        "-p",
        "venice",
        VENICE_KEY,
        "--reset",
        "monthly",
        "--dry-run",
    ];
    // With a credential a dry run reads each key for its plan: over loopback http:// that
    // read loads no certificate store.
    let dry_read = [
        "update",
        "-p",
        "venice",
        VENICE_KEY,
        "--reset",
        "monthly",
        "--dry-run",
        "--base-url",
        &uri,
    ];
    let gates_dry = [
        "update",
        "-p",
        "modelgates",
        GATES_KEY,
        "--limit",
        "50",
        "--dry-run",
        "--base-url",
        &uri,
    ];
    let loopback = [
        "update",
        "-p",
        "modelgates",
        GATES_KEY,
        "--limit",
        "50",
        "--base-url",
        &uri,
    ];
    let case = |name: &str, args: &[&str], env: &[(&str, &str)]| Case {
        name: name.to_string(),
        args: args.iter().map(|a| a.to_string()).collect(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let cases = vec![
        case("--help", &["--help"], &[]),
        case("--version", &["--version"], &[]),
        case("support", &["support"], &[]),
        case("dry run, no credential", &dry, &[]),
        case(
            "dry run, credential set (reads over loopback)",
            &dry_read,
            &venice,
        ),
        case("ModelGates dry run, credential set", &gates_dry, &gates),
        case("update to a loopback http:// URL", &loopback, &gates),
    ];
    let results = tokio::task::spawn_blocking(move || {
        let mut results = Vec::new();
        for c in &cases {
            let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
            let env: Vec<(&str, &str)> = c
                .env
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            results.push((c.name.clone(), cert_files_opened(&args, &env)));
        }
        // The control: a real https request does load the store, so the counter can see it.
        let https = cert_files_opened(
            &[
                "update",
                "-p",
                "modelgates",
                GATES_KEY,
                "--limit",
                "50",
                "--base-url",
                "https://127.0.0.1:1",
                "--retries",
                "0",
            ],
            &[("MODELGATES_MANAGEMENT_KEY", SECRET)],
        );
        (results, https)
    })
    .await
    .unwrap();
    let (results, https) = results;
    assert!(https > 0, "the https control opened no certificate file");
    for (name, n) in results {
        assert_eq!(n, 0, "{name} opened {n} certificate-store files");
    }
    // The two dry runs read (GET), the update writes once.
    let methods: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, ["GET", "GET", "PATCH"]);
}
