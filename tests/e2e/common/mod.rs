//! Runs the real keyctl binary (assert_cmd) against wiremock on loopback, and checks on every
//! run that the credential never appears in stdout or stderr.

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use keyctl::provider::{self, Info, ProviderKind};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

pub mod gates_profiles;
pub mod home;
pub mod lifecycle;
pub mod profile_servers;
pub mod profiles_file;
pub mod pty;
pub mod request_log;

pub use request_log::seen;
pub mod stand_ins;

/// The admin credential every test uses; no output may ever contain it.
pub const SECRET: &str = "sk-live-TOPSECRET-4f9a2c7e1b";

pub const IONET_KEY: &str = "3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23";
pub const GATES_KEY: &str = "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943";
pub const VENICE_KEY: &str = "e28e82dc-9df2-4b47-b726-d0a222ef2ab5";

/// How many runs were scanned for the credential (see `scan` test in main.rs).
pub static SCANNED: AtomicUsize = AtomicUsize::new(0);

/// Cleared in every child besides each provider's credential and base-URL variables and the
/// [`PROXIES`]: the provider and output defaults, the test backoff.
const CLEARED_EXTRAS: [&str; 6] = [
    "KEYCTL_PROVIDER",
    "KEYCTL_PROFILE",
    "KEYCTL_CONFIG",
    "KEYCTL_AUDIT",
    "KEYCTL_OUTPUT",
    "KEYCTL_BACKOFF_MS",
];

/// The proxy variables, cleared in every child (only loopback is used; a test that wants a
/// proxy sets one) and pointed at a closed port by `Home::offline`.
pub const PROXIES: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The variables removed from every child's environment: each provider's `credential_env` and
/// `base_url_env()` (from the library's table, so a new provider is covered without edits
/// here), then [`CLEARED_EXTRAS`] and [`PROXIES`].
pub fn cleared() -> &'static [String] {
    static CLEARED: LazyLock<Vec<String>> = LazyLock::new(|| {
        let mut v: Vec<String> = Vec::new();
        for &p in provider::all() {
            v.push(p.info().credential_env.to_string());
            v.push(p.base_url_env());
        }
        v.extend(CLEARED_EXTRAS.iter().chain(&PROXIES).map(|s| s.to_string()));
        v
    });
    &CLEARED
}

/// One provider as the tests see it: the library's row, the key id tests use, and where an
/// update of that key goes.
#[derive(Clone)]
pub struct TestProvider {
    pub kind: ProviderKind,
    pub info: &'static Info,
    /// The key id tests pass (IONET_KEY, GATES_KEY or VENICE_KEY).
    pub key: &'static str,
    /// The path of the update request for `key` (Venice names the key in the body).
    pub update_path: String,
}

/// Every provider of `keyctl::provider::all()`, in its order, with its test key and update
/// path. The match is exhaustive: a new provider does not compile until it has a row here.
pub fn providers() -> Vec<TestProvider> {
    provider::all()
        .iter()
        .map(|&kind| test_provider(kind))
        .collect()
}

/// The [`providers`] row of one provider.
pub fn test_provider(kind: ProviderKind) -> TestProvider {
    let (key, update_path) = match kind {
        ProviderKind::Ionet => (IONET_KEY, format!("/v1/api-keys/sub-keys/{IONET_KEY}")),
        ProviderKind::Venice => (VENICE_KEY, "/api/v1/api_keys".to_string()),
        // ModelGates, novapai, OpenRouter (and a custom provider of that family).
        _ => (GATES_KEY, format!("/api/v1/keys/{GATES_KEY}")),
    };
    TestProvider {
        kind,
        info: kind.info(),
        key,
        update_path,
    }
}

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts the exit code, showing the output when it differs.
    pub fn code(&self, want: i32) -> &Self {
        assert_eq!(
            self.code, want,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    /// The JSON Lines on stdout.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

/// A keyctl invocation under construction.
pub struct Keyctl {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
}

impl Keyctl {
    /// `keyctl <args>` with the provider's credential set to SECRET.
    pub fn new(provider_env: &str, args: &[&str]) -> Keyctl {
        Keyctl {
            args: args.iter().map(|s| s.to_string()).collect(),
            env: vec![(provider_env.to_string(), SECRET.to_string())],
            stdin: None,
        }
    }

    /// `keyctl <args>` with no credential anywhere.
    pub fn bare(args: &[&str]) -> Keyctl {
        Keyctl {
            args: args.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            stdin: None,
        }
    }

    pub fn base(mut self, server: &MockServer) -> Keyctl {
        self.args.push("--base-url".into());
        self.args.push(server.uri());
        self
    }

    pub fn arg(mut self, a: &str) -> Keyctl {
        self.args.push(a.into());
        self
    }

    pub fn args(mut self, more: &[&str]) -> Keyctl {
        self.args.extend(more.iter().map(|s| s.to_string()));
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Keyctl {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn stdin(mut self, data: &[u8]) -> Keyctl {
        self.stdin = Some(data.to_vec());
        self
    }

    pub async fn run(self) -> Out {
        let Keyctl { args, env, stdin } = self;
        let out = tokio::task::spawn_blocking(move || {
            let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_keyctl"));
            for v in cleared() {
                cmd.env_remove(v);
            }
            // A state folder of the run's own unless the test gives one (`env` comes after):
            // no run sees another test's create journal or audit trail, nor the machine's.
            let state = tempfile::tempdir().expect("state folder");
            cmd.env("XDG_STATE_HOME", state.path());
            cmd.env("NO_COLOR", "1").env("KEYCTL_BACKOFF_MS", "20");
            cmd.args(&args);
            for (k, v) in &env {
                cmd.env(k, v);
            }
            cmd.write_stdin(stdin.unwrap_or_default());
            cmd.timeout(std::time::Duration::from_secs(60));
            cmd.output().expect("keyctl runs")
        })
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
}

/// The credential (or a large piece of it) must appear in no output.
pub fn scan(out: &Out) {
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(SECRET), "credential leaked:\n{text}");
        assert!(
            !text.contains("TOPSECRET"),
            "part of the credential leaked:\n{text}"
        );
    }
    assert!(
        !out.stderr.contains("panicked"),
        "keyctl panicked:\n{}",
        out.stderr
    );
    SCANNED.fetch_add(1, Ordering::SeqCst);
}

/// A provider example from `fixtures/`.
pub fn fixture(name: &str) -> serde_json::Value {
    let p = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Fails the test (when `server` is dropped) if any PATCH reaches it: "nothing was sent".
pub async fn forbid_patch(server: &MockServer) {
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(server)
        .await;
}

/// Headers the catch-all never echoes: they carry the credential.
const NOT_ECHOED: [&str; 3] = ["authorization", "x-api-key", "proxy-authorization"];

/// A request as JSON: method, path, query (name to value, an array when repeated), body (parsed
/// when it is JSON, else its text; null when empty), and the headers (sorted, the credential
/// headers left out). Method and path come first so they survive keyctl's 200-character cut.
pub fn echo(req: &Request) -> Value {
    fn add(map: &mut serde_json::Map<String, Value>, k: String, v: String) {
        match map.get_mut(&k) {
            None => {
                map.insert(k, Value::String(v));
            }
            Some(Value::Array(a)) => a.push(Value::String(v)),
            Some(old) => *old = json!([old.take(), v]),
        }
    }
    let mut query = serde_json::Map::new();
    for (k, v) in req.url.query_pairs() {
        add(&mut query, k.into_owned(), v.into_owned());
    }
    let body = if req.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&req.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&req.body).into_owned()))
    };
    let sorted: BTreeMap<&str, Vec<String>> =
        req.headers
            .iter()
            .fold(BTreeMap::new(), |mut m, (name, value)| {
                m.entry(name.as_str())
                    .or_default()
                    .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
                m
            });
    let mut headers = serde_json::Map::new();
    for (name, values) in sorted {
        if NOT_ECHOED.contains(&name) {
            continue;
        }
        for v in values {
            add(&mut headers, name.to_string(), v);
        }
    }
    json!({
        "method": req.method.as_str(),
        "path": req.url.path(),
        "query": query,
        "body": body,
        "headers": headers,
    })
}

/// Answers 418 with [`echo`] of the request.
struct EchoRequest;

impl Respond for EchoRequest {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        ResponseTemplate::new(418).set_body_json(echo(req))
    }
}

/// Mounts the lowest-priority mock (`u8::MAX`; wiremock's default is 5 and smaller wins): a
/// request no other mock matches gets HTTP 418 with [`echo`] of itself, which keyctl reports as
/// rejected (exit 5) and shows in its error. A test whose body matcher fails then shows the
/// request it actually sent, instead of wiremock's bare 404.
pub async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(EchoRequest)
        .with_priority(u8::MAX)
        .named("catch-all (418 echo)")
        .mount(server)
        .await;
}

/// A started server with [`catch_all`] mounted.
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    catch_all(&server).await;
    server
}

/// A keyctl child process started in the background, for tests that must signal it (which
/// [`Keyctl`], running to completion, cannot). [`Running::spawn`] starts it with the
/// [`cleared`] environment; [`Running::requests`] waits until the server saw the requests that
/// must be in flight; [`Running::settle`] and [`Running::signal`] (`kill -NAME pid`) time the
/// signals; [`Running::finish`] waits for the exit with a hard limit and checks the output with
/// [`scan`]. The child is killed (SIGKILL, by its own pid) if dropped before it exited, so a
/// failing test leaves nothing running.
pub struct Running {
    child: Option<Child>,
    pid: String,
    started: Instant,
    first_signal: Option<Instant>,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    /// The run's own state folder (see [`Keyctl::run`]), removed when it is dropped.
    _state: tempfile::TempDir,
}

/// A finished [`Running`]: its output (scanned) and how long it ran after the first signal (or
/// after the start, when it got none).
pub struct Finished {
    pub out: Out,
    pub after_signal: Duration,
}

/// Reads `r` to its end on a thread (a full pipe must not block the child).
fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        v
    })
}

impl Running {
    /// Spawns `keyctl <args>` with `credential_env` set to [`SECRET`], NO_COLOR=1,
    /// KEYCTL_BACKOFF_MS=20 and standard input closed; `env` comes last, so it can override
    /// those.
    pub fn spawn(credential_env: &str, args: &[String], env: &[(&str, &str)]) -> Running {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyctl"));
        for v in cleared() {
            cmd.env_remove(v);
        }
        let state = tempfile::tempdir().expect("state folder");
        cmd.env("XDG_STATE_HOME", state.path());
        cmd.env(credential_env, SECRET)
            .env("NO_COLOR", "1")
            .env("KEYCTL_BACKOFF_MS", "20")
            .envs(env.iter().copied())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("keyctl starts");
        let stdout = drain(child.stdout.take().unwrap());
        let stderr = drain(child.stderr.take().unwrap());
        Running {
            pid: child.id().to_string(),
            child: Some(child),
            started: Instant::now(),
            first_signal: None,
            stdout: Some(stdout),
            stderr: Some(stderr),
            _state: state,
        }
    }

    /// Waits until `server` has received at least `n` requests (fails after 15 s, or at once
    /// if keyctl exited first).
    pub async fn requests(&mut self, server: &MockServer, n: usize) -> &mut Self {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let seen = server.received_requests().await.unwrap().len();
            if seen >= n {
                return self;
            }
            if Instant::now() > deadline {
                panic!(
                    "the server saw {seen} request(s), not {n}, within 15 s: {:?}",
                    self.kill_and_collect()
                );
            }
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!(
                    "keyctl exited ({st}) before {n} request(s) were in flight: {:?}",
                    self.kill_and_collect()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sleeps until at least `d` after the start, and at least `min` from now.
    pub async fn settle(&mut self, d: Duration, min: Duration) -> &mut Self {
        let until = (self.started + d).max(Instant::now() + min);
        tokio::time::sleep_until(until.into()).await;
        self
    }

    /// `kill -NAME pid` (`NAME`: INT, TERM, HUP); the first one starts the clock of
    /// [`Finished::after_signal`].
    pub fn signal(&mut self, name: &str) -> &mut Self {
        let st = Command::new("kill")
            .args([format!("-{name}"), self.pid.clone()])
            .status()
            .expect("kill runs");
        assert!(st.success(), "kill -{name} {} failed", self.pid);
        self.first_signal.get_or_insert_with(Instant::now);
        self
    }

    /// Waits for the exit, at most `limit` after the first signal (or the start), then checks
    /// the output with [`scan`] (credential, panics). Past the limit the child is killed and
    /// the test fails.
    pub async fn finish(&mut self, limit: Duration) -> Finished {
        let mut child = self.child.take().expect("not finished yet");
        let from = self.first_signal.unwrap_or(self.started);
        let deadline = from + limit;
        let (stdout, stderr) = (self.stdout.take().unwrap(), self.stderr.take().unwrap());
        let (status, ended) = tokio::task::spawn_blocking(move || {
            loop {
                if let Some(st) = child.try_wait().expect("wait") {
                    return (Some(st), Instant::now());
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    return (None, Instant::now());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
        .await
        .expect("join");
        let out = Out {
            code: status.and_then(|s| s.code()).unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout.join().unwrap()).into_owned(),
            stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
        };
        assert!(
            status.is_some(),
            "keyctl still ran {limit:?} after the first signal (killed):\n{out:?}"
        );
        scan(&out);
        Finished {
            out,
            after_signal: ended.duration_since(from),
        }
    }

    /// Kills the child (if still running) and returns what it printed, for a failure message.
    pub fn kill_and_collect(&mut self) -> String {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let text = |h: Option<JoinHandle<Vec<u8>>>| {
            h.map(|h| String::from_utf8_lossy(&h.join().unwrap_or_default()).into_owned())
                .unwrap_or_default()
        };
        format!(
            "stdout:\n{}\nstderr:\n{}",
            text(self.stdout.take()),
            text(self.stderr.take())
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn cleared_covers_every_provider_and_the_extras() {
    let c = cleared();
    for &p in provider::all() {
        assert!(c.iter().any(|v| v == p.info().credential_env), "{p}");
        assert!(c.iter().any(|v| *v == p.base_url_env()), "{p}");
    }
    for v in CLEARED_EXTRAS.iter().chain(&PROXIES) {
        assert!(c.iter().any(|c| c == v), "{v}");
    }
    // Five providers, two variables each, the extras and the proxies.
    assert_eq!(
        c.len(),
        2 * provider::all().len() + CLEARED_EXTRAS.len() + PROXIES.len()
    );
    assert!(c.iter().any(|v| v == "OPENROUTER_MANAGEMENT_KEY"));
    assert!(c.iter().any(|v| v == "KEYCTL_OPENROUTER_BASE_URL"));
}

#[test]
fn test_keys_are_the_library_sample_keys() {
    let ps = providers();
    assert_eq!(ps.len(), provider::all().len());
    for p in &ps {
        assert_eq!(p.key, p.info.sample_key, "{}", p.info.id);
        assert!(p.update_path.starts_with('/'), "{}", p.info.id);
    }
}

#[tokio::test]
async fn catch_all_echoes_the_request_without_the_credential() {
    let server = server().await;
    let addr = *server.address();
    let raw = "PATCH /api/v1/keys/h1?offset=0&a=1&a=2 HTTP/1.1\r\nHost: x\r\n\
               Authorization: Bearer sk-live-TOPSECRET-4f9a2c7e1b\r\nX-Api-Key: TOPSECRET\r\n\
               Content-Type: application/json\r\nConnection: close\r\nContent-Length: 13\r\n\r\n\
               {\"limit\": 75}";
    let reply = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(raw.as_bytes()).unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    })
    .await
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 418"), "{reply}");
    let body: Value = serde_json::from_str(reply.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["method"], "PATCH", "{body}");
    assert_eq!(body["path"], "/api/v1/keys/h1", "{body}");
    assert_eq!(
        body["query"],
        json!({"offset": "0", "a": ["1", "2"]}),
        "{body}"
    );
    assert_eq!(body["body"], json!({"limit": 75}), "{body}");
    assert_eq!(
        body["headers"]["content-type"], "application/json",
        "{body}"
    );
    assert!(!body.to_string().contains("TOPSECRET"), "{body}");
    assert!(body["headers"].get("authorization").is_none(), "{body}");
}

/// Serves `keys` as the ModelGates listing (`GET /api/v1/keys`), 100 a page by `offset`.
pub async fn gates_listing(server: &MockServer, keys: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(move |req: &Request| {
            let offset: usize = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "offset")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let page: Vec<Value> = keys.iter().skip(offset).take(100).cloned().collect();
            ResponseTemplate::new(200).set_body_json(json!({"data": page}))
        })
        .mount(server)
        .await;
}

/// Never matches; keeps the body of the last `POST /api/v1/api_keys` (a Venice create).
struct LastVeniceCreate(Arc<Mutex<Option<Value>>>);

impl Match for LastVeniceCreate {
    fn matches(&self, req: &Request) -> bool {
        if let (Ok(body), Ok(mut last)) = (serde_json::from_slice(&req.body), self.0.lock()) {
            *last = Some(body);
        }
        false
    }
}

/// Venice's read-back of a key a create made (`GET /api/v1/api_keys/{id}`, which keyctl sends
/// once the secret is delivered when the create set caps): answered with the key as created,
/// i.e. the create answer `created` (`{"data": ...}` or the key itself; its `id` is the path)
/// without its secret, a field it lacks taken from the last Venice create's body, and its caps
/// (`consumptionLimits`) those that create sent (its `consumptionLimit`, as sent: a currency
/// left out stays out). So the read-back holds what was sent, and a rotation retires its old
/// key as it did before the read-back existed.
pub async fn venice_read_back(server: &MockServer, created: &Value) {
    let sent = Arc::new(Mutex::new(None::<Value>));
    Mock::given(method("POST"))
        .and(path("/api/v1/api_keys"))
        .and(LastVeniceCreate(sent.clone()))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .named("Venice create bodies, kept for the read-back (never matches)")
        .mount(server)
        .await;
    let answer = created.get("data").unwrap_or(created).clone();
    let id = answer["id"].as_str().unwrap_or_default().to_string();
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{id}")))
        .respond_with(move |_: &Request| {
            let body = sent.lock().ok().and_then(|b| b.clone()).unwrap_or_default();
            let mut key = serde_json::Map::new();
            for (k, v) in body.as_object().into_iter().flatten() {
                key.insert(k.clone(), v.clone());
            }
            for (k, v) in answer.as_object().into_iter().flatten() {
                key.insert(k.clone(), v.clone());
            }
            key.remove("apiKey");
            key.remove("consumptionLimit");
            let caps = body.get("consumptionLimit").cloned().unwrap_or(Value::Null);
            key.insert("consumptionLimits".into(), caps);
            ResponseTemplate::new(200).set_body_json(json!({ "data": key }))
        })
        .named("Venice read-back of the key created")
        .mount(server)
        .await;
}

/// Mounts an empty key listing for every API family (OpenRouter-style, io.net, Venice), below
/// any mock a test mounts itself and above the catch-all: the listing a real `create` reads
/// to check its names.
pub async fn no_keys(server: &MockServer) {
    for (at, body) in [
        ("/api/v1/keys", json!({"data": []})),
        (
            "/v1/api-keys/sub-keys",
            json!({"status": "succeeded", "data": []}),
        ),
        ("/api/v1/api_keys", json!({"data": []})),
    ] {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .with_priority(200)
            .named("no keys (empty listing)")
            .mount(server)
            .await;
    }
}
