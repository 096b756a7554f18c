//! The config file, profiles and credential sources end to end: the precedence of flags,
//! variables, the profile and the defaults (one table, observed on wiremock); bad files (exit 2,
//! `file:line: key`); `credential_command` and `credential_file`; custom providers; and
//! `keyctl providers`, which never prints a credential.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::home::Home;
use crate::common::{GATES_KEY, Keyctl, SECRET, VENICE_KEY};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A key every API family's list parser accepts.
fn listed_key() -> Value {
    json!({"hash": "h1", "id": "k1", "name": "n1", "label": "n1", "description": "n1",
           "disabled": false, "limit": 5, "usage": 1})
}

/// How the stub answers.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// 200: a one-key list for a GET, a key for anything else.
    Ok,
    /// 503 to everything.
    Unavailable,
    /// As `Ok`, after this many milliseconds.
    Slow(u64),
}

/// Answers every request by `mode` and records when each arrived.
struct Stub {
    mode: Mode,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for Stub {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        let body = if req.method.as_str() == "GET" {
            json!({"data": [listed_key()]})
        } else {
            json!({"data": {"hash": "x"}})
        };
        match self.mode {
            Mode::Ok => ResponseTemplate::new(200).set_body_json(body),
            Mode::Unavailable => {
                ResponseTemplate::new(503).set_body_json(json!({"error": "maintenance"}))
            }
            Mode::Slow(ms) => ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(Duration::from_millis(ms)),
        }
    }
}

async fn stub(mode: Mode) -> (MockServer, Arc<Mutex<Vec<Instant>>>) {
    let server = MockServer::start().await;
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    Mock::given(any())
        .respond_with(Stub {
            mode,
            arrivals: arrivals.clone(),
        })
        .mount(&server)
        .await;
    (server, arrivals)
}

/// The most requests that arrived within half of `delay` of each other: with a server that
/// holds each answer for `delay`, how many were in flight at once.
fn most_in_flight(arrivals: &[Instant], delay: Duration) -> usize {
    let mut t = arrivals.to_vec();
    t.sort();
    (0..t.len())
        .map(|i| t[i..].iter().take_while(|a| **a - t[i] < delay / 2).count())
        .max()
        .unwrap_or(0)
}

/// A request's header, as text.
fn header_of(req: &Request, name: &str) -> Option<String> {
    req.headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

async fn nothing_sent(server: &MockServer, what: &str) {
    let reqs = server.received_requests().await.unwrap();
    assert!(
        reqs.is_empty(),
        "{what}: nothing may be sent, got {:?}",
        reqs.iter()
            .map(|r| format!("{} {}", r.method, r.url))
            .collect::<Vec<_>>()
    );
}

/// Whether a process is still there (`kill -0`).
fn alive(pid: i32) -> bool {
    // A killed process whose parent never reaps it (an orphan under a container's PID 1 that
    // does not reap) stays a zombie: it runs no more.
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        && let Some(state) = stat.rsplit(") ").next().and_then(|r| r.chars().next())
        && state == 'Z'
    {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Cleans up after a failed check: SIGKILL to the one process this test started (by pid).
fn kill(pid: i32) {
    // SAFETY: a plain kill(2) of a pid this test's own script wrote.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

// ---------------------------------------------------------------------------------------------
// 1. Precedence, as one table
// ---------------------------------------------------------------------------------------------

/// The profiles every precedence row has (after the row's own top-level lines). `{U}` is the
/// server, `{D}` the run's folder.
const PROFILES: &str = r#"
[profiles.ven]
provider = "venice"
credential_env = "PV_KEY"
base_url = "{U}/pv"

[profiles.mg]
provider = "modelgates"
credential_env = "PG_KEY"

[profiles.mgfile]
provider = "modelgates"
credential_file = "mg.key"
base_url = "{U}/pf"

[profiles.tuned]
provider = "modelgates"
credential_env = "PG_KEY"
base_url = "{U}/pt"
output = "json"
retries = 1
concurrency = 2

[profiles.slow]
provider = "modelgates"
credential_env = "PG_KEY"
base_url = "{U}/ps"
retries = 0
timeout = "200ms"
"#;

/// Every row's environment (a row's own comes after, so it can override or blank these): each
/// provider's variable and base URL are distinct, so the header and the path the server got
/// name where they came from.
const ROW_ENV: &[(&str, &str)] = &[
    ("IONET_ADMIN_KEY", "io-env-cred"),
    ("MODELGATES_MANAGEMENT_KEY", "mg-env-cred"),
    ("NOVAPAI_MANAGEMENT_KEY", "np-env-cred"),
    ("OPENROUTER_MANAGEMENT_KEY", "or-env-cred"),
    ("VENICE_ADMIN_KEY", "ve-env-cred"),
    ("KEYCTL_IONET_BASE_URL", "{U}/e-ionet"),
    ("KEYCTL_MODELGATES_BASE_URL", "{U}/e-mg"),
    ("KEYCTL_NOVAPAI_BASE_URL", "{U}/e-np"),
    ("KEYCTL_OPENROUTER_BASE_URL", "{U}/e-or"),
    ("KEYCTL_VENICE_BASE_URL", "{U}/e-ve"),
    ("PV_KEY", "pv-prof-cred"),
    ("PG_KEY", "pg-prof-cred"),
    ("KEYCTL_BACKOFF_MS", "1"),
];

/// What a row expects.
#[derive(Debug)]
enum Want {
    /// Exit 0; the first request went to this path with this `header: value`.
    Sent(&'static str, &'static str),
    /// This exit code and stderr text; nothing sent.
    Refused(i32, &'static str),
    /// Exit 0 and stdout in this format (json, tsv or table).
    Output(&'static str),
    /// This many requests, then this exit code.
    Requests(usize, i32),
    /// This exit code (with requests sent).
    Exit(i32),
    /// Exit 0, nothing sent; the dry run's JSON shows this request URL.
    DryUrl(&'static str),
    /// Exit 0, with at most (and at least) this many requests in flight at once.
    InFlight(usize),
}

struct Row {
    what: &'static str,
    /// Top-level lines of the config file (before [`PROFILES`]).
    top: &'static str,
    env: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    mode: Mode,
    want: Want,
}

const LIST_VE: &str = "/e-ve/api/v1/api_keys";
const LIST_MG: &str = "/e-mg/api/v1/keys";
/// Full key hashes (64 hex digits) for the concurrency rows: used as is, no listing read.
const K1: &str = "0000000000000000000000000000000000000000000000000000000000000001";
const K2: &str = "0000000000000000000000000000000000000000000000000000000000000002";
const K3: &str = "0000000000000000000000000000000000000000000000000000000000000003";
const K4: &str = "0000000000000000000000000000000000000000000000000000000000000004";
const K5: &str = "0000000000000000000000000000000000000000000000000000000000000005";
const K6: &str = "0000000000000000000000000000000000000000000000000000000000000006";
/// How long the concurrency rows' server holds each answer.
const SLOW_MS: u64 = 300;
const SLOW: Duration = Duration::from_millis(SLOW_MS);

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use Mode::{Ok, Slow, Unavailable};
    use Want::*;
    let r = |what, top, env, args, mode, want| Row { what, top, env, args, mode, want };
    let dp = "default_profile = \"ven\"\n";
    let bearer_ve = |c| Sent(LIST_VE, c);
    vec![
        // provider: -p > KEYCTL_PROVIDER > the profile's provider
        r("-p beats KEYCTL_PROVIDER", "", &[("KEYCTL_PROVIDER", "modelgates")],
          &["list", "-p", "venice"], Ok, bearer_ve("authorization: Bearer ve-env-cred")),
        r("KEYCTL_PROVIDER alone", "", &[("KEYCTL_PROVIDER", "ionet")],
          &["list"], Ok, Sent("/e-ionet/v1/api-keys/sub-keys", "x-api-key: io-env-cred")),
        r("the default profile's provider and credential", dp, &[],
          &["list"], Ok, bearer_ve("authorization: Bearer pv-prof-cred")),
        r("KEYCTL_PROVIDER beats default_profile (not used)", dp, &[("KEYCTL_PROVIDER", "modelgates")],
          &["list"], Ok, Sent(LIST_MG, "authorization: Bearer mg-env-cred")),
        r("-p beats default_profile (not used)", dp, &[],
          &["list", "-p", "modelgates"], Ok, Sent(LIST_MG, "authorization: Bearer mg-env-cred")),
        r("-p of the default profile's provider: the provider's own variable, no profile", dp, &[],
          &["list", "-p", "VENICE"], Ok, bearer_ve("authorization: Bearer ve-env-cred")),
        r("-p beats KEYCTL_PROFILE (not used)", "", &[("KEYCTL_PROFILE", "ven")],
          &["list", "-p", "modelgates"], Ok, Sent(LIST_MG, "authorization: Bearer mg-env-cred")),
        r("-P beats KEYCTL_PROVIDER", "", &[("KEYCTL_PROVIDER", "modelgates")],
          &["list", "-P", "ven"], Ok, bearer_ve("authorization: Bearer pv-prof-cred")),
        r("-P with -p of the same provider", "", &[],
          &["list", "-P", "ven", "-p", "venice"], Ok, bearer_ve("authorization: Bearer pv-prof-cred")),
        r("-P with -p of another provider", "", &[],
          &["list", "-P", "ven", "-p", "modelgates"], Ok,
          Refused(2, "profile 'ven' is for Venice, but -p names ModelGates: give one of them")),
        r("KEYCTL_PROFILE with a KEYCTL_PROVIDER of another provider", "",
          &[("KEYCTL_PROFILE", "ven"), ("KEYCTL_PROVIDER", "ionet")], &["list"], Ok,
          Refused(2, "profile 'ven' is for Venice, but KEYCTL_PROVIDER names io.net: give one of them")),
        r("no provider anywhere", "", &[],
          &["list"], Ok, Refused(2, "no provider given: pass -p/--provider")),
        // profile: -P > KEYCTL_PROFILE > default_profile
        r("-P beats KEYCTL_PROFILE and default_profile", dp, &[("KEYCTL_PROFILE", "mg")],
          &["list", "-P", "mgfile"], Ok, Sent(LIST_MG, "authorization: Bearer pf-file-key")),
        r("KEYCTL_PROFILE beats default_profile", dp, &[("KEYCTL_PROFILE", "mg")],
          &["list"], Ok, Sent(LIST_MG, "authorization: Bearer pg-prof-cred")),
        r("KEYCTL_PROFILE naming no profile", dp, &[("KEYCTL_PROFILE", "nope")], &["list"], Ok,
          Refused(2, "KEYCTL_PROFILE: no profile 'nope'; the profiles are ven, mg, mgfile, tuned, slow")),
        // base URL: --base-url > KEYCTL_<ID>_BASE_URL > the profile's > built in
        r("--base-url beats the variable and the profile", "", &[],
          &["list", "-P", "ven", "--base-url", "{U}/flag"], Ok,
          Sent("/flag/api/v1/api_keys", "authorization: Bearer pv-prof-cred")),
        r("KEYCTL_VENICE_BASE_URL beats the profile's base_url", "", &[],
          &["list", "-P", "ven"], Ok, bearer_ve("authorization: Bearer pv-prof-cred")),
        r("the profile's base_url", "", &[("KEYCTL_VENICE_BASE_URL", "")],
          &["list", "-P", "ven"], Ok, Sent("/pv/api/v1/api_keys", "authorization: Bearer pv-prof-cred")),
        r("built in (a dry run without a credential shows the URL)", "",
          &[("KEYCTL_VENICE_BASE_URL", ""), ("VENICE_ADMIN_KEY", "")],
          &["update", "-p", "venice", VENICE_KEY, "--limit", "5", "--dry-run", "-o", "json"], Ok,
          DryUrl("https://api.venice.ai/api/v1/api_keys")),
        r("a profile without base_url: built in", "",
          &[("KEYCTL_MODELGATES_BASE_URL", ""), ("PG_KEY", "")],
          &["update", "-P", "mg", GATES_KEY, "--limit", "5", "--dry-run", "-o", "json"], Ok,
          DryUrl(concat!("https://modelgates.ai/api/v1/keys/",
                         "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943"))),
        // credential: --api-key-file > the profile's source > the provider's variable
        r("--api-key-file beats the profile's source", "", &[],
          &["list", "-P", "ven", "--api-key-file", "{D}/flag.key"], Ok,
          bearer_ve("authorization: Bearer flag-file-key")),
        r("--api-key-file beats the provider's variable", "", &[],
          &["list", "-p", "ionet", "--api-key-file", "{D}/flag.key"], Ok,
          Sent("/e-ionet/v1/api-keys/sub-keys", "x-api-key: flag-file-key")),
        r("the profile's credential_file beats the provider's variable", "", &[],
          &["list", "-P", "mgfile"], Ok, Sent(LIST_MG, "authorization: Bearer pf-file-key")),
        r("the provider's variable without a profile", "", &[],
          &["list", "-p", "modelgates"], Ok, Sent(LIST_MG, "authorization: Bearer mg-env-cred")),
        r("the profile's credential_env unset: no fallback to the provider's variable", "",
          &[("PV_KEY", "")], &["list", "-P", "ven"], Ok,
          Refused(3, "missing Venice admin credential: PV_KEY (credential_env of profile 'ven') is not set")),
        // output: -o > KEYCTL_OUTPUT > the profile's > tsv when piped
        r("-o beats KEYCTL_OUTPUT and the profile", "", &[("KEYCTL_OUTPUT", "json")],
          &["list", "-P", "tuned", "-o", "table"], Ok, Output("table")),
        r("KEYCTL_OUTPUT beats the profile", "", &[("KEYCTL_OUTPUT", "tsv")],
          &["list", "-P", "tuned"], Ok, Output("tsv")),
        r("the profile's output", "", &[], &["list", "-P", "tuned"], Ok, Output("json")),
        r("tsv when piped", "", &[], &["list", "-P", "mg"], Ok, Output("tsv")),
        // retries: --retries > the profile's > 3
        r("--retries beats the profile's", "", &[],
          &["list", "-P", "tuned", "--retries", "2"], Unavailable, Requests(3, 7)),
        r("the profile's retries", "", &[], &["list", "-P", "tuned"], Unavailable, Requests(2, 7)),
        r("3 retries by default", "", &[], &["list", "-P", "mg"], Unavailable, Requests(4, 7)),
        // timeout: --timeout > the profile's (> 30 s)
        r("the profile's timeout", "", &[], &["list", "-P", "slow"], Slow(600), Exit(8)),
        r("--timeout beats the profile's", "", &[],
          &["list", "-P", "slow", "--timeout", "5s"], Slow(600), Exit(0)),
        r("--timeout without a profile", "", &[],
          &["list", "-p", "modelgates", "--timeout", "200ms", "--retries", "0"], Slow(600), Exit(8)),
        // concurrency: --concurrency > the profile's > 4 (six keys, answers held 300 ms)
        r("the profile's concurrency", "", &[],
          &["update", "-P", "tuned", K1, K2, K3, K4, K5, K6, "--limit", "5"],
          Slow(SLOW_MS), InFlight(2)),
        r("--concurrency beats the profile's", "", &[],
          &["update", "-P", "tuned", K1, K2, K3, K4, K5, K6, "--limit", "5",
            "--concurrency", "3"],
          Slow(SLOW_MS), InFlight(3)),
        r("4 at once by default", "", &[],
          &["update", "-P", "mg", K1, K2, K3, K4, K5, K6, "--limit", "5"],
          Slow(SLOW_MS), InFlight(4)),
    ]
}

/// Checks one row; the error names it.
async fn check_row(row: &Row) -> Result<(), String> {
    let dir = Home::offline();
    let (server, arrivals) = stub(row.mode).await;
    let sub = |s: &str| s.replace("{U}", &server.uri()).replace("{D}", &dir.s());
    dir.config(&sub(&format!("{}{PROFILES}", row.top)));
    dir.write("mg.key", "pf-file-key\n");
    dir.write("flag.key", "flag-file-key\n");
    let args: Vec<String> = row.args.iter().map(|a| sub(a)).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut k = dir.keyctl(&args);
    for (name, v) in ROW_ENV.iter().chain(row.env) {
        k = k.env(name, &sub(v));
    }
    let out = k.run().await;
    let reqs = server.received_requests().await.unwrap();
    let show = || {
        format!(
            "exit {}\nstdout:\n{}\nstderr:\n{}\nrequests: {:?}",
            out.code,
            out.stdout,
            out.stderr,
            reqs.iter()
                .map(|r| format!("{} {}", r.method, r.url))
                .collect::<Vec<_>>()
        )
    };
    let fail = |why: String| Err(format!("{why}\n{}", show()));
    let code = |want: i32| {
        if out.code == want {
            Ok(())
        } else {
            fail(format!("exit {} instead of {want}", out.code))
        }
    };
    match &row.want {
        Want::Sent(p, auth) => {
            code(0)?;
            let Some(first) = reqs.first() else {
                return fail("nothing was sent".into());
            };
            if first.url.path() != *p {
                return fail(format!("sent to {} instead of {p}", first.url.path()));
            }
            let (name, value) = auth.split_once(": ").unwrap();
            let got = header_of(first, name);
            if got.as_deref() != Some(value) {
                return fail(format!("{name}: {got:?} instead of {value:?}"));
            }
        }
        Want::Refused(c, text) => {
            code(*c)?;
            if !out.stderr.contains(text) {
                return fail(format!("stderr lacks {text:?}"));
            }
            if !reqs.is_empty() {
                return fail("something was sent".into());
            }
        }
        Want::Output(format) => {
            code(0)?;
            let lines: Vec<&str> = out.stdout.lines().collect();
            let is = match *format {
                "json" => {
                    !lines.is_empty()
                        && lines
                            .iter()
                            .all(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| v.is_object()))
                }
                "tsv" => {
                    lines.len() == 2
                        && lines.iter().all(|l| l.contains('\t'))
                        && !out.stdout.contains('│')
                }
                "table" => !out.stdout.contains('\t') && out.stdout.contains("n1"),
                _ => unreachable!(),
            };
            if !is {
                return fail(format!("stdout is not {format}"));
            }
        }
        Want::Requests(n, c) => {
            code(*c)?;
            if reqs.len() != *n {
                return fail(format!("{} request(s) instead of {n}", reqs.len()));
            }
        }
        Want::Exit(c) => {
            code(*c)?;
            if reqs.is_empty() {
                return fail("nothing was sent".into());
            }
        }
        Want::DryUrl(url) => {
            code(0)?;
            if !reqs.is_empty() {
                return fail("a dry run without a credential sent something".into());
            }
            let got = out
                .stdout
                .lines()
                .next()
                .and_then(|l| serde_json::from_str::<Value>(l).ok())
                .map(|v| v["request"]["url"].clone());
            if got != Some(json!(url)) {
                return fail(format!("request.url {got:?} instead of {url}"));
            }
        }
        Want::InFlight(n) => {
            code(0)?;
            let seen = most_in_flight(&arrivals.lock().unwrap(), SLOW);
            if reqs.len() != 6 || seen != *n {
                return fail(format!(
                    "{} request(s), at most {seen} at once, instead of 6 and {n}",
                    reqs.len()
                ));
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn precedence_table() {
    let rows = rows();
    let mut failed = Vec::new();
    for row in &rows {
        if let Err(e) = check_row(row).await {
            failed.push(format!("--- {} ---\n{e}", row.what));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} rows failed:\n{}",
        failed.len(),
        rows.len(),
        failed.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Bad files: exit 2, `file:line: key`, nothing sent
// ---------------------------------------------------------------------------------------------

struct Bad {
    what: &'static str,
    /// The file (`{S}`: SECRET, which must never be echoed; the harness scans for it).
    text: &'static str,
    env: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    /// In stderr (`{F}`: the config file's path, `{D}`: the run's folder).
    want: &'static [&'static str],
}

/// `[profiles.a]` for Venice, then these lines.
macro_rules! pv {
    ($($l:literal),*) => { concat!("[profiles.a]\nprovider = \"venice\"\n", $($l, "\n"),*) };
}

/// `[providers.acme]` of the openrouter family at an https origin, then these lines.
macro_rules! acme {
    ($($l:literal),*) => {
        concat!("[providers.acme]\napi = \"openrouter\"\nbase_url = \"https://acme.example\"\n",
                $($l, "\n"),*)
    };
}

/// What a literal secret's message must say (and it must not quote the secret, which the
/// harness checks: it is SECRET).
const HINT: [&str; 3] = [
    "credential_env = \"VAR\"",
    "credential_file = \"PATH\"",
    "credential_command = [\"op\", \"read\", \"op://vault/item/field\"]",
];

#[rustfmt::skip]
fn bad_rows() -> Vec<Bad> {
    let b = |what, text, want| Bad { what, text, env: &[], args: &["list"], want };
    let two = "[profiles.a]\nprovider = \"venice\"\ncredential_env = \"X\"\n\
               [profiles.b]\nprovider = \"ionet\"\ncredential_env = \"Y\"\n";
    vec![
        b("unknown key in a profile", pv!("credential_env = \"X\"", "colour = \"red\""),
          &["{F}:4: colour: unknown key; a profile's keys are provider, base_url, credential_env"]),
        b("unknown key at the top level", "audit = true\nverbose = true\n",
          &["{F}:2: verbose: unknown key; the file's keys are default_profile, audit"]),
        b("unknown key in a provider", acme!("credential_env = \"X\"", "url = \"x\""),
          &["{F}:5: url: unknown key; a provider's keys are api, base_url, name"]),
        b("output", pv!("credential_env = \"X\"", "output = \"yaml\""),
          &["{F}:4: profiles.a.output: use \"table\", \"tsv\" or \"json\""]),
        b("concurrency 0", pv!("", "credential_env = \"X\"", "concurrency = 0"),
          &["{F}:5: profiles.a.concurrency: a whole number from 1 to 256"]),
        b("retries -1", pv!("credential_env = \"X\"", "retries = -1"),
          &["{F}:4: profiles.a.retries: a whole number from 0 to 100"]),
        b("timeout soon", pv!("credential_env = \"X\"", "timeout = \"soon\""),
          &["{F}:4: profiles.a.timeout: not a duration more than zero"]),
        b("a key pasted as retries is not echoed", pv!("credential_env = \"X\"", "retries = \"{S}\""),
          &["{F}:4: retries: invalid type: string"]),
        b("plain http base_url", pv!("credential_env = \"X\"", "base_url = \"http://example.com\""),
          &["{F}:4: profiles.a.base_url: refusing plain http:// base URL"]),
        b("a custom provider's plain http base_url",
          "[providers.acme]\napi = \"openrouter\"\nbase_url = \"http://example.com\"\ncredential_env = \"X\"\n",
          &["{F}:3: providers.acme.base_url: refusing plain http:// base URL"]),
        b("unknown provider", "[profiles.a]\nprovider = \"openai\"\ncredential_env = \"X\"\n",
          &["{F}:2: profiles.a.provider: no provider 'openai'; use one of ionet, modelgates, novapai, openrouter, venice"]),
        b("no credential source", pv!(),
          &["{F}:1: profiles.a: no credential source: add one of credential_env = \"VAR\""]),
        b("two credential sources", pv!("credential_env = \"X\"", "credential_file = \"/k\""),
          &["{F}:1: profiles.a: 2 credential sources (credential_env, credential_file): keep exactly one"]),
        b("a custom provider with two credential sources",
          acme!("credential_env = \"X\"", "credential_command = [\"op\"]"),
          &["{F}:1: providers.acme: 2 credential sources (credential_env, credential_command)"]),
        b("a custom provider with none", acme!(), &["{F}:1: providers.acme: no credential source"]),
        b("literal secret: api_key", pv!("api_key = \"{S}\""),
          &["{F}:3: profiles.a.api_key: a credential written into the config file is refused",
            HINT[0], HINT[1], HINT[2]]),
        b("literal secret: token, next to a source", pv!("credential_env = \"X\"", "token = \"{S}\""),
          &["{F}:4: profiles.a.token: a credential written into the config file is refused",
            HINT[0], HINT[1], HINT[2]]),
        b("literal secret: key, in a custom provider", acme!("key = \"{S}\""),
          &["{F}:4: providers.acme.key: a credential written into the config file is refused",
            HINT[0], HINT[1], HINT[2]]),
        b("literal secret: a multi-line string", pv!("api_key = \"\"\"", "{S}", "\"\"\""),
          &["{F}:3: profiles.a.api_key: a credential written into the config file is refused"]),
        b("literal secret: not a string", pv!("credential_env = \"X\"", "password = 123456789"),
          &["{F}:4: profiles.a.password: a credential written into the config file is refused"]),
        b("credential_env holding a key", pv!("credential_env = \"{S}\""),
          &["{F}:3: profiles.a.credential_env: this is not an environment variable's name"]),
        b("credential_command that is empty", pv!("credential_command = []"),
          &["{F}:3: profiles.a.credential_command: give the program and its arguments as a list"]),
        b("credential_command as a string", pv!("credential_command = \"op read x\""),
          &["{F}:3: credential_command: invalid type: string"]),
        b("default_profile naming no profile", "default_profile = \"prod\"\n[profiles.a]\nprovider = \"venice\"\ncredential_env = \"X\"\n",
          &["{F}:1: default_profile: no profile named 'prod'; the profiles are: a"]),
        b("a TOML syntax error", pv!("credential_env = \"X"), &["{F}:3: "]),
        b("an unclosed table", "[profiles.a\n", &["{F}:1: unclosed table"]),
        b("a custom provider named like a built-in one",
          "[providers.venice]\napi = \"venice\"\nbase_url = \"https://v.example\"\ncredential_env = \"X\"\n",
          &["{F}:1: providers.venice: this is a built-in provider's id; give the custom provider another name"]),
        b("a custom provider named like a built-in alias",
          "[providers.\"io.net\"]\napi = \"ionet\"\nbase_url = \"https://v.example\"\ncredential_env = \"X\"\n",
          &["{F}:1: providers.io.net: this is a built-in provider's id"]),
        b("a custom provider's unknown API family", "[providers.acme]\napi = \"graphql\"\nbase_url = \"https://acme.example\"\ncredential_env = \"X\"\n",
          &["{F}:2: providers.acme.api: unknown API family"]),
        Bad { what: "KEYCTL_CONFIG naming a missing file", text: "",
              env: &[("KEYCTL_CONFIG", "{D}/missing.toml")], args: &["list", "-p", "venice"],
              want: &["cannot read the config file {D}/missing.toml (from KEYCTL_CONFIG)"] },
        Bad { what: "KEYCTL_CONFIG naming a folder", text: "",
              env: &[("KEYCTL_CONFIG", "{D}")], args: &["list", "-p", "venice"],
              want: &["cannot read the config file {D} (from KEYCTL_CONFIG): it is a directory"] },
        Bad { what: "-P naming no profile lists the profiles", text: two, env: &[],
              args: &["list", "-P", "prod"],
              want: &["-P/--profile: no profile 'prod'; the profiles are a, b (in {F})"] },
        Bad { what: "-P with no profiles at all", text: "", env: &[], args: &["list", "-P", "prod"],
              want: &["-P/--profile: no profile 'prod'; there are no profiles (config file: {F})"] },
        Bad { what: "a bad profile breaks even a command that does not use it",
              text: pv!("credential_env = \"X\"", "retries = 101"), env: &[], args: &["list", "-p", "ionet"],
              want: &["{F}:4: profiles.a.retries: a whole number from 0 to 100"] },
    ]
}

#[tokio::test]
async fn bad_files_are_exit_2_with_file_line_and_key() {
    let mut failed = Vec::new();
    for row in bad_rows() {
        let dir = Home::offline();
        let server = MockServer::start().await;
        let file = dir.config(&row.text.replace("{S}", SECRET));
        let sub = |s: &str| {
            s.replace("{F}", &file.display().to_string())
                .replace("{D}", &dir.s())
        };
        let mut k = dir
            .keyctl(row.args)
            .env("IONET_ADMIN_KEY", "io-env-cred")
            .env("VENICE_ADMIN_KEY", "ve-env-cred")
            .env("X", "x-cred")
            .env("KEYCTL_VENICE_BASE_URL", &server.uri())
            .env("KEYCTL_IONET_BASE_URL", &server.uri());
        for (n, v) in row.env {
            k = k.env(n, &sub(v));
        }
        let out = k.run().await;
        let mut why = Vec::new();
        if out.code != 2 {
            why.push(format!("exit {} instead of 2", out.code));
        }
        for w in row.want {
            let w = sub(w);
            if !out.stderr.contains(&w) {
                why.push(format!("stderr lacks {w:?}"));
            }
        }
        if out.stderr.lines().count() != 1 || !out.stdout.is_empty() {
            why.push("want one line on stderr, nothing on stdout".into());
        }
        if !server.received_requests().await.unwrap().is_empty() {
            why.push("something was sent".into());
        }
        if !why.is_empty() {
            failed.push(format!(
                "--- {} ---\n{}\nstdout:\n{}\nstderr:\n{}",
                row.what,
                why.join("\n"),
                out.stdout,
                out.stderr
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[tokio::test]
async fn credential_env_holding_a_key_shaped_like_a_variable_is_refused() {
    // Venice admin keys start with VENICE_ADMIN_KEY_ (LIFECYCLE.md, Venice), so a pasted key
    // is a valid variable name. It must be refused like any other key (exit 2), and never
    // printed.
    let key = "VENICE_ADMIN_KEY_6mZ8Qz3vTqXb1RkP0aLs9WdFyH2uJcE4";
    let dir = Home::offline();
    dir.config(&format!(
        "[profiles.a]\nprovider = \"venice\"\ncredential_env = \"{key}\"\n\
         [providers.acme]\napi = \"openrouter\"\nbase_url = \"https://acme.example\"\n\
         credential_env = \"{key}\"\n"
    ));
    for args in [
        &["list", "-P", "a"][..],
        &["providers"],
        &["providers", "-o", "json"],
    ] {
        let out = dir.keyctl(args).run().await;
        assert!(
            !out.stdout.contains(&key[17..]) && !out.stderr.contains(&key[17..]),
            "{args:?} printed the key:\n{out:?}"
        );
        // The first table checked names its line and key (custom providers come first).
        out.code(2)
            .stderr_has("config.toml:")
            .stderr_has(".credential_env: ");
    }
}

#[tokio::test]
async fn a_missing_config_at_the_default_place_is_fine() {
    let dir = Home::offline();
    let out = Keyctl::bare(&["providers", "-o", "json"])
        .env("XDG_CONFIG_HOME", &format!("{}/nowhere", dir.s()))
        .env("XDG_STATE_HOME", &format!("{}/state", dir.s()))
        .env("HOME", &dir.s())
        .run()
        .await;
    out.code(0);
    assert_eq!(out.json_lines().len(), 5, "the built-in providers only");
    // HOME's ~/.config/keyctl/config.toml when XDG_CONFIG_HOME is unset or relative: also
    // absent, also fine; and a file there is read.
    for xdg in ["", "relative/dir"] {
        Keyctl::bare(&["providers"])
            .env("XDG_CONFIG_HOME", xdg)
            .env("HOME", &dir.s())
            .run()
            .await
            .code(0);
    }
    dir.write(".config/keyctl/config.toml", "verbose = 1\n");
    Keyctl::bare(&["providers"])
        .env("XDG_CONFIG_HOME", "")
        .env("HOME", &dir.s())
        .run()
        .await
        .code(2)
        .stderr_has(&format!(
            "{}/.config/keyctl/config.toml:1: verbose: unknown key",
            dir.s()
        ));
}

#[tokio::test]
async fn a_broken_config_does_not_break_help_version_completions_or_man() {
    let dir = Home::offline();
    dir.config("[profiles.a\nthis is not toml\n");
    for (args, want) in [
        (&["completions", "bash"][..], "_keyctl()"),
        (&["completions", "zsh"], "#compdef keyctl"),
        (&["man"], ".TH"),
        (&["--help"], "Usage: keyctl"),
        (&["list", "--help"], "Usage: keyctl list"),
        (&["--version"], "keyctl "),
    ] {
        let out = dir.keyctl(args).run().await;
        out.code(0).stdout_has(want);
        assert!(out.stderr.is_empty(), "{args:?}: {}", out.stderr);
    }
    // A command that reads the file says what is wrong with it.
    dir.keyctl(&["providers"])
        .run()
        .await
        .code(2)
        .stderr_has("config.toml:1:");
    // So does a missing KEYCTL_CONFIG, for every command that reads it but not for these.
    let k = |args: &[&str]| {
        dir.keyctl(args)
            .env("KEYCTL_CONFIG", &format!("{}/missing.toml", dir.s()))
    };
    k(&["completions", "fish"]).run().await.code(0);
    k(&["--version"]).run().await.code(0);
    k(&["providers"])
        .run()
        .await
        .code(2)
        .stderr_has("missing.toml");
}

// ---------------------------------------------------------------------------------------------
// 3. credential_command
// ---------------------------------------------------------------------------------------------

/// A server that accepts the Venice list with SECRET, and a folder with a profile `c` whose
/// credential_command is `/bin/sh {D}/cred.sh <extra>` (run through sh, so no script is
/// executed right after being written: no "text file busy").
async fn command_setup(script: &str, extra: &[&str]) -> (Home, MockServer) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    let dir = Home::offline();
    let d = dir.s();
    dir.write("cred.sh", &script.replace("{D}", &d).replace("{S}", SECRET));
    let mut argv = vec!["\"/bin/sh\"".to_string(), format!("\"{d}/cred.sh\"")];
    argv.extend(extra.iter().map(|a| format!("'{a}'")));
    dir.config(&format!(
        "[profiles.c]\nprovider = \"venice\"\nbase_url = \"{}\"\ncredential_command = [{}]\n",
        server.uri(),
        argv.join(", ")
    ));
    (dir, server)
}

#[tokio::test]
async fn credential_command_prints_the_key() {
    let (dir, server) = command_setup("printf '%s\\n' '{S}'\n", &[]).await;
    let out = dir
        .keyctl(&["list", "-P", "c", "-o", "json"])
        .env("VENICE_ADMIN_KEY", "ve-env-cred")
        .run()
        .await;
    out.code(0);
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        header_of(&reqs[0], "authorization").as_deref(),
        Some(format!("Bearer {SECRET}").as_str())
    );
}

#[tokio::test]
async fn credential_command_failures_are_exit_3_and_nothing_is_sent() {
    let big = "head -c 70000 /dev/zero | tr '\\0' a\n";
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "exits 1 (after printing the key: not shown)",
            "printf '%s\\n' '{S}'\necho 'vault is locked: run op signin' >&2\nexit 1\n",
            &["failed (exit status 1): vault is locked: run op signin"],
        ),
        (
            "prints nothing",
            "exit 0\n",
            &["printed nothing (exit status 0)"],
        ),
        (
            "prints nothing but a warning",
            "echo 'no item found' >&2\n",
            &["printed nothing (exit status 0); its standard error: no item found"],
        ),
        (
            "prints only white space",
            "printf '  \\n\\n'\n",
            &["printed nothing"],
        ),
        (
            "prints more than 64 KiB",
            big,
            &["credential_command `/bin/sh "],
        ),
        (
            "prints the key with white space inside",
            "printf 'sk-live-TOPSECRET 4f9a2c7e1b\\n'\n",
            &["contains white space inside it"],
        ),
        (
            "prints two lines",
            "printf '%s\\n%s\\n' '{S}' '{S}'\n",
            &["contains white space inside it"],
        ),
        (
            "prints a control character",
            "printf 'sk-live-TOPSECRET\\0334f9a2c7e1b\\n'\n",
            &["a control character"],
        ),
        (
            "prints bytes that are not UTF-8",
            "printf 'sk-live-TOPSECRET\\377\\n'\n",
            &["printed text that is not UTF-8"],
        ),
        (
            "is killed by a signal",
            "kill -9 $$\n",
            &["failed (killed by a signal)"],
        ),
    ];
    let mut failed = Vec::new();
    for (what, script, want) in cases {
        let (dir, server) = command_setup(script, &[]).await;
        let out = dir.keyctl(&["list", "-P", "c"]).run().await;
        let mut why = Vec::new();
        if out.code != 3 {
            why.push(format!("exit {} instead of 3", out.code));
        }
        for w in *want {
            if !out.stderr.contains(w) {
                why.push(format!("stderr lacks {w:?}"));
            }
        }
        if out.stdout.contains("aaaaaaaa") || out.stderr.contains("aaaaaaaa") {
            why.push("the command's output was shown".into());
        }
        if !server.received_requests().await.unwrap().is_empty() {
            why.push("something was sent".into());
        }
        if !why.is_empty() {
            failed.push(format!("--- {what} ---\n{}\n{out:?}", why.join("\n")));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[tokio::test]
async fn credential_command_printing_too_much_says_so() {
    let (dir, _server) = command_setup("head -c 200000 /dev/zero | tr '\\0' a\n", &[]).await;
    dir.keyctl(&["list", "-P", "c"])
        .run()
        .await
        .code(3)
        .stderr_has("printed more than 64 KiB");
}

#[tokio::test]
async fn credential_command_not_found_is_exit_3() {
    let dir = Home::offline();
    let server = MockServer::start().await;
    dir.config(&format!(
        "[profiles.c]\nprovider = \"venice\"\nbase_url = \"{}\"\n\
         credential_command = [\"{}/no-such-helper\", \"read\"]\n",
        server.uri(),
        dir.s()
    ));
    dir.keyctl(&["list", "-P", "c"])
        .run()
        .await
        .code(3)
        .stderr_has(&format!("cannot run {}/no-such-helper", dir.s()))
        .stderr_has("check that it is installed and on PATH");
    // A bare name is looked up on PATH.
    dir.config(&format!(
        "[profiles.c]\nprovider = \"venice\"\nbase_url = \"{}\"\n\
         credential_command = [\"keyctl-no-such-helper\"]\n",
        server.uri()
    ));
    dir.keyctl(&["list", "-P", "c"])
        .run()
        .await
        .code(3)
        .stderr_has("cannot run keyctl-no-such-helper");
    nothing_sent(&server, "not found").await;
}

#[tokio::test]
async fn credential_command_timeout_stops_the_program() {
    let (dir, server) = command_setup("echo $$ > '{D}/pid'\nexec sleep 30\n", &[]).await;
    let t = Instant::now();
    let out = dir
        .keyctl(&["list", "-P", "c"])
        .env("KEYCTL_CREDENTIAL_TIMEOUT_MS", "300")
        .run()
        .await;
    let took = t.elapsed();
    out.code(3)
        .stderr_has("did not finish within 0.3 s and was stopped");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    nothing_sent(&server, "timeout").await;
    let pid: i32 = std::fs::read_to_string(dir.path().join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let gone = (0..50).any(|_| {
        let a = alive(pid);
        if a {
            std::thread::sleep(Duration::from_millis(20));
        }
        !a
    });
    if !gone {
        kill(pid);
    }
    assert!(gone, "the credential command (pid {pid}) still runs");
}

#[tokio::test]
async fn credential_command_timeout_stops_the_programs_children() {
    let (dir, _server) = command_setup("sleep 30 &\necho $! > '{D}/pid'\nwait\n", &[]).await;
    dir.keyctl(&["list", "-P", "c"])
        .env("KEYCTL_CREDENTIAL_TIMEOUT_MS", "300")
        .run()
        .await
        .code(3);
    let pid: i32 = std::fs::read_to_string(dir.path().join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let a = alive(pid);
    if a {
        kill(pid);
    }
    assert!(!a, "the credential command's child (pid {pid}) still runs");
}

#[tokio::test]
async fn credential_command_gets_its_arguments_without_a_shell() {
    let script = "printf '%s\\n' \"$@\" > '{D}/args'\nprintf '%s\\n' '{S}'\n";
    let tricky = ["$HOME; echo pwned", "`id`", "a b", "*", "~"];
    let (dir, server) = command_setup(script, &tricky).await;
    let out = dir.keyctl(&["list", "-P", "c"]).run().await;
    out.code(0);
    assert!(!out.stdout.contains("pwned") && !out.stderr.contains("pwned"));
    let got = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(got, format!("{}\n", tricky.join("\n")));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 4. credential_file
// ---------------------------------------------------------------------------------------------

/// A `credential_file` case: what, the value in the file, the files to write (path from the
/// run's folder, text; `BIG`: 70,000 bytes), the exit code, a text of stderr.
type FileCase = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    i32,
    &'static str,
);

#[tokio::test]
async fn credential_file_paths_and_contents() {
    let cases: &[FileCase] = &[
        (
            "relative to the config file's folder",
            "keys/admin.key",
            &[("conf/keys/admin.key", "{S}\n")],
            0,
            "",
        ),
        (
            "~/ is HOME",
            "~/secret/admin.key",
            &[("home/secret/admin.key", "  {S}\r\n")],
            0,
            "",
        ),
        ("absolute", "{D}/abs.key", &[("abs.key", "{S}")], 0, ""),
        (
            "empty",
            "keys/admin.key",
            &[("conf/keys/admin.key", "\n")],
            3,
            "the file {D}/conf/keys/admin.key (credential_file) is empty; put the Venice admin key in it",
        ),
        (
            "missing",
            "keys/none.key",
            &[],
            3,
            "cannot read the file {D}/conf/keys/none.key (credential_file)",
        ),
        (
            "a folder",
            "keys",
            &[("conf/keys/x", "")],
            3,
            "(credential_file)",
        ),
        (
            "more than 64 KiB",
            "big.key",
            &[("conf/big.key", "BIG")],
            3,
            "is larger than 64 KiB",
        ),
    ];
    let mut failed = Vec::new();
    for (what, value, files, code, text) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/api_keys"))
            .and(header("authorization", format!("Bearer {SECRET}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
            .mount(&server)
            .await;
        let dir = Home::offline();
        let d = dir.s();
        let sub = |s: &str| s.replace("{D}", &d).replace("{S}", SECRET);
        for (p, t) in *files {
            let t = if *t == "BIG" {
                "a".repeat(70_000)
            } else {
                sub(t)
            };
            dir.write(p, &t);
        }
        dir.write(
            "conf/config.toml",
            &format!(
                "[profiles.f]\nprovider = \"venice\"\nbase_url = \"{}\"\ncredential_file = \"{}\"\n",
                server.uri(),
                sub(value)
            ),
        );
        let out = dir
            .keyctl(&["list", "-P", "f"])
            .env("KEYCTL_CONFIG", &format!("{d}/conf/config.toml"))
            .env("HOME", &format!("{d}/home"))
            .env("VENICE_ADMIN_KEY", "ve-env-cred")
            .run()
            .await;
        let sent = server.received_requests().await.unwrap().len();
        let ok = out.code == *code
            && out.stderr.contains(&sub(text))
            && sent == usize::from(*code == 0)
            && !out.stderr.contains("aaaaaaaa");
        if !ok {
            failed.push(format!("--- {what} ---\n{sent} request(s)\n{out:?}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// 5. Custom providers
// ---------------------------------------------------------------------------------------------

const ACME_KEY: &str = "acme-admin-7b3e19f0c2d4";

fn acme_config(server: &MockServer, extra: &str) -> String {
    format!(
        "[providers.acme]\napi = \"openrouter\"\nname = \"Acme AI\"\nbase_url = \"{}\"\n\
         credential_env = \"ACME_KEY\"\n{extra}",
        server.uri()
    )
}

#[tokio::test]
async fn a_custom_provider_lists_and_updates_with_its_own_credential() {
    let server = crate::common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .and(header(
            "authorization",
            format!("Bearer {ACME_KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [listed_key()]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .and(header(
            "authorization",
            format!("Bearer {ACME_KEY}").as_str(),
        ))
        .and(body_json(json!({"limit": 5})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"hash": GATES_KEY, "name": "k", "limit": 5}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let dir = Home::offline();
    dir.config(&acme_config(&server, ""));
    // Every built-in variable set too: none of them is used.
    let k = |args: &[&str]| {
        dir.keyctl(args)
            .env("ACME_KEY", ACME_KEY)
            .env("OPENROUTER_MANAGEMENT_KEY", SECRET)
            .env("MODELGATES_MANAGEMENT_KEY", SECRET)
    };
    let out = k(&["-p", "acme", "list", "-o", "json"]).run().await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], "h1", "{}", out.stdout);
    k(&["update", "-p", "ACME", GATES_KEY, "--limit", "5"])
        .run()
        .await
        .code(0)
        .stdout_has("limit");
    // Without its variable: the message names it.
    dir.keyctl(&["list", "-p", "acme"])
        .run()
        .await
        .code(3)
        .stderr_has("ACME_KEY");
}

#[tokio::test]
async fn a_profile_of_a_custom_provider() {
    let server = crate::common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(header("authorization", "Bearer acme-prof-cred"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [listed_key()]})))
        .expect(2)
        .mount(&server)
        .await;
    let dir = Home::offline();
    dir.config(&acme_config(
        &server,
        "[profiles.work]\nprovider = \"acme\"\ncredential_env = \"ACME_PROF\"\n",
    ));
    for args in [
        &["list", "-P", "work"][..],
        &["list", "-P", "work", "-p", "acme"],
    ] {
        dir.keyctl(args)
            .env("ACME_KEY", ACME_KEY)
            .env("ACME_PROF", "acme-prof-cred")
            .run()
            .await
            .code(0);
    }
    // A profile of acme with a -p of another provider: exit 2, nothing sent.
    dir.keyctl(&["list", "-P", "work", "-p", "openrouter"])
        .env("ACME_PROF", "acme-prof-cred")
        .run()
        .await
        .code(2)
        .stderr_has("profile 'work' is for Acme AI");
    // A profile naming a custom provider that is not defined.
    dir.config("[profiles.work]\nprovider = \"acme\"\ncredential_env = \"ACME_PROF\"\n");
    dir.keyctl(&["list", "-P", "work"])
        .run()
        .await
        .code(2)
        .stderr_has("config.toml:2: profiles.work.provider: no provider 'acme'");
}

#[tokio::test]
async fn a_custom_providers_base_url_variable() {
    // KEYCTL_ACME_BASE_URL overrides the file's base_url, as for a built-in provider.
    let server = crate::common::server().await;
    Mock::given(method("GET"))
        .and(path("/env/api/v1/keys"))
        .and(header(
            "authorization",
            format!("Bearer {ACME_KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .expect(1)
        .mount(&server)
        .await;
    let dir = Home::offline();
    dir.config(&acme_config(&server, ""));
    dir.keyctl(&["list", "-p", "acme"])
        .env("ACME_KEY", ACME_KEY)
        .env("KEYCTL_ACME_BASE_URL", &format!("{}/env", server.uri()))
        .run()
        .await
        .code(0);
}

#[tokio::test]
async fn support_shows_the_custom_provider() {
    let server = MockServer::start().await;
    let dir = Home::offline();
    dir.config(&acme_config(&server, ""));
    let out = dir.keyctl(&["support"]).run().await;
    out.code(0);
    let header_rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("| update flag") || l.starts_with("| create flag"))
        .collect();
    assert_eq!(header_rows.len(), 2, "{}", out.stdout);
    for h in header_rows {
        assert!(h.trim_end().ends_with("| Venice | Acme AI |"), "{h}");
    }
    // An openrouter-family custom provider maps a flag as OpenRouter does.
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("| `--limit 50` |")
                && l.trim_end().ends_with("| `\"limit\":50` |")),
        "{}",
        out.stdout
    );
    nothing_sent(&server, "support").await;
}

/// Every credential value the `providers` test sets.
const VALUES: [(&str, &str); 6] = [
    ("IONET_ADMIN_KEY", "io-secret-value-111111"),
    ("MODELGATES_MANAGEMENT_KEY", "mg-secret-value-222222"),
    ("NOVAPAI_MANAGEMENT_KEY", "np-secret-value-333333"),
    ("OPENROUTER_MANAGEMENT_KEY", SECRET),
    ("VENICE_ADMIN_KEY", "ve-secret-value-444444"),
    ("ACME_KEY", "acme-secret-value-555555"),
];

/// Custom providers of each source kind: env (set and not), file (there, missing, empty),
/// command (never run).
fn providers_config(dir: &Home) -> String {
    let d = dir.s();
    dir.write("keys/bfile.key", "file-secret-value-666666\n");
    dir.write("keys/empty.key", "");
    format!(
        r#"
[providers.acme]
api = "openrouter"
base_url = "http://127.0.0.1:8123/prefix"
credential_env = "ACME_KEY"

[providers.unset]
api = "venice"
base_url = "https://unset.example"
credential_env = "UNSET_KEY"

[providers.bfile]
api = "ionet"
base_url = "https://bfile.example"
credential_file = "keys/bfile.key"

[providers.nofile]
api = "openrouter"
base_url = "https://nofile.example"
credential_file = "~/keys/none.key"

[providers.emptyfile]
api = "openrouter"
base_url = "https://emptyfile.example"
credential_file = "{d}/keys/empty.key"

[providers.ccmd]
api = "openrouter"
base_url = "https://ccmd.example"
credential_command = ["/bin/sh", "-c", "touch {d}/ran"]
"#
    )
}

#[tokio::test]
async fn providers_lists_custom_ones_and_never_a_credential() {
    let dir = Home::offline();
    dir.config(&providers_config(&dir));
    let d = dir.s();
    let run = |args: &'static [&'static str]| {
        let mut k = dir.keyctl(args);
        for (n, v) in VALUES {
            k = k.env(n, v);
        }
        k.run()
    };
    let secrets: Vec<&str> = VALUES
        .iter()
        .map(|(_, v)| *v)
        .chain(["file-secret-value-666666"])
        .collect();
    let mut outs = Vec::new();
    for args in [
        &["providers"][..],
        &["providers", "-o", "tsv"],
        &["providers", "-o", "table"],
        &["providers", "-o", "json"],
        &["providers", "-v"],
    ] {
        let out = run(args).await;
        out.code(0);
        for s in &secrets {
            assert!(
                !out.stdout.contains(s) && !out.stderr.contains(s),
                "{args:?} printed {s}:\n{out:?}"
            );
        }
        outs.push(out);
    }
    assert!(
        !dir.path().join("ran").exists(),
        "providers ran a credential_command"
    );
    // tsv: one row per provider, the custom ones after the built-in ones, in the file's order.
    let tsv = &outs[1].stdout;
    let rows: Vec<Vec<&str>> = tsv.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "provider",
            "name",
            "api",
            "base_url",
            "credential",
            "present",
            "defined"
        ]
    );
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[0]).collect();
    assert_eq!(
        ids,
        [
            "ionet",
            "modelgates",
            "novapai",
            "openrouter",
            "venice",
            "acme",
            "unset",
            "bfile",
            "nofile",
            "emptyfile",
            "ccmd"
        ]
    );
    let row = |id: &str| rows.iter().find(|r| r[0] == id).unwrap().clone();
    assert_eq!(
        row("acme"),
        [
            "acme",
            "acme",
            "openrouter",
            "http://127.0.0.1:8123/prefix",
            "env ACME_KEY",
            "yes",
            "config"
        ]
    );
    assert_eq!(row("unset")[4..6], ["env UNSET_KEY", "no"]);
    assert_eq!(
        row("bfile")[4..6],
        [format!("file {d}/keys/bfile.key").as_str(), "yes"]
    );
    assert_eq!(
        row("nofile")[4..6],
        [format!("file {d}/keys/none.key").as_str(), "no"]
    );
    assert_eq!(row("emptyfile")[5], "no");
    assert_eq!(row("ccmd")[5], "not run");
    assert_eq!(
        row("venice")[4..7],
        ["env VENICE_ADMIN_KEY", "yes", "built-in"]
    );
    // The table shows the same.
    let table = &outs[2].stdout;
    assert!(table.contains("ACME_KEY") && table.contains("http://127.0.0.1:8123/prefix"));
}

// ---------------------------------------------------------------------------------------------
// 6. `keyctl providers -o json`
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn providers_json_has_the_source_and_whether_it_is_present() {
    let dir = Home::offline();
    dir.config(&providers_config(&dir));
    let d = dir.s();
    let mut k = dir.keyctl(&["providers", "-o", "json"]);
    // Only some of the variables set; VENICE_ADMIN_KEY set to white space counts as unset.
    k = k
        .env("ACME_KEY", "acme-secret-value-555555")
        .env("IONET_ADMIN_KEY", "io-secret-value-111111")
        .env("VENICE_ADMIN_KEY", "   ");
    let out = k.run().await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 11);
    let by_id = |id: &str| {
        lines
            .iter()
            .find(|l| l["provider"] == id)
            .unwrap_or_else(|| panic!("no {id}: {}", out.stdout))
            .clone()
    };
    // (id, source kind, source, present)
    let want: [(&str, &str, Value, Value); 11] = [
        ("ionet", "env", json!("IONET_ADMIN_KEY"), json!(true)),
        (
            "modelgates",
            "env",
            json!("MODELGATES_MANAGEMENT_KEY"),
            json!(false),
        ),
        (
            "novapai",
            "env",
            json!("NOVAPAI_MANAGEMENT_KEY"),
            json!(false),
        ),
        (
            "openrouter",
            "env",
            json!("OPENROUTER_MANAGEMENT_KEY"),
            json!(false),
        ),
        ("venice", "env", json!("VENICE_ADMIN_KEY"), json!(false)),
        ("acme", "env", json!("ACME_KEY"), json!(true)),
        ("unset", "env", json!("UNSET_KEY"), json!(false)),
        (
            "bfile",
            "file",
            json!(format!("{d}/keys/bfile.key")),
            json!(true),
        ),
        (
            "nofile",
            "file",
            json!(format!("{d}/keys/none.key")),
            json!(false),
        ),
        (
            "emptyfile",
            "file",
            json!(format!("{d}/keys/empty.key")),
            json!(false),
        ),
        (
            "ccmd",
            "command",
            json!(["/bin/sh", "-c", format!("touch {d}/ran")]),
            Value::Null,
        ),
    ];
    for (id, kind, source, present) in want {
        let l = by_id(id);
        assert_eq!(l["credential_source"], kind, "{l}");
        assert_eq!(l["credential"], source, "{l}");
        assert_eq!(l["credential_present"], present, "{l}");
        assert!(
            l["base_url"]
                .as_str()
                .is_some_and(|u| u.starts_with("http")),
            "{l}"
        );
        assert!(l["api"].is_string() && l["name"].is_string(), "{l}");
    }
    assert_eq!(by_id("bfile")["api"], "ionet");
    assert_eq!(by_id("unset")["api"], "venice");
    assert_eq!(by_id("acme")["base_url"], "http://127.0.0.1:8123/prefix");
    assert_eq!(by_id("venice")["base_url"], "https://api.venice.ai/");
    assert_eq!(by_id("venice")["defined"], "built-in");
    assert_eq!(by_id("acme")["defined"], format!("config {d}/config.toml"));
    assert!(!dir.path().join("ran").exists());
    assert!(!out.stdout.contains("secret-value"), "{}", out.stdout);
}

#[tokio::test]
async fn a_custom_provider_named_like_a_built_in_one_is_exit_2() {
    let server = MockServer::start().await;
    for name in ["venice", "Venice", "openrouter", "io.net"] {
        let dir = Home::offline();
        dir.config(&format!(
            "[providers.\"{name}\"]\napi = \"openrouter\"\nbase_url = \"{}\"\ncredential_env = \"X\"\n",
            server.uri()
        ));
        for args in [&["providers"][..], &["list", "-p", "venice"], &["support"]] {
            dir.keyctl(args)
                .env("X", "x-cred")
                .env("VENICE_ADMIN_KEY", "ve-cred")
                .env("KEYCTL_VENICE_BASE_URL", &server.uri())
                .run()
                .await
                .code(2)
                .stderr_has("config.toml:1: providers.")
                .stderr_has("this is a built-in provider's id");
        }
    }
    nothing_sent(&server, "built-in name").await;
}
