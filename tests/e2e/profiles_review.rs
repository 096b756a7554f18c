//! Regression tests for what changed after the operator review of profiles: `default_profile`
//! yields to `-p`/KEYCTL_PROVIDER; `-v` names the profile and its credential source; a 401 names
//! the profile's source; a profile's `output` applies only to key output; `--all` refuses a
//! base-URL variable that would redirect profiles; an unusable KEYCTL_AUDIT stops only writes;
//! `check --disabled` warns for Venice; record tables never split an id; the man page and the
//! crontab example of `check --help`.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::{GATES_KEY, Keyctl, Out, SECRET, VENICE_KEY, server};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A temporary folder per test: the config file, the state folder, HOME, key files.
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

    /// The config file's path (written by [`Sandbox::config`]).
    fn config_path(&self) -> PathBuf {
        self.path().join("config.toml")
    }

    /// Writes `config.toml`.
    fn config(&self, text: &str) -> &Sandbox {
        std::fs::write(self.config_path(), text).unwrap();
        self
    }

    /// Writes a file in the sandbox and returns its path.
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// The audit trail's path under this sandbox's XDG_STATE_HOME.
    fn trail(&self) -> PathBuf {
        self.path().join("state").join("keyctl").join("audit.jsonl")
    }

    /// `keyctl <args>` with no credential ([`Keyctl::bare`]), this sandbox's config file, state
    /// folder and HOME.
    fn keyctl(&self, args: &[&str]) -> Keyctl {
        let d = self.path();
        Keyctl::bare(args)
            .env("KEYCTL_CONFIG", self.config_path().to_str().unwrap())
            .env("XDG_CONFIG_HOME", d.join("xdg-config").to_str().unwrap())
            .env("XDG_STATE_HOME", d.join("state").to_str().unwrap())
            .env("HOME", d.to_str().unwrap())
    }
}

/// An OpenRouter-style (ModelGates) key at `usage` of a `limit` USD lifetime limit.
fn gkey(hash: &str, name: &str, limit: f64, usage: f64) -> Value {
    json!({"hash": hash, "name": name, "label": format!("sk-or-v1-{}", &hash[..6]),
           "disabled": false, "limit": limit, "limit_remaining": limit - usage,
           "limit_reset": null, "usage": usage, "usage_daily": 0, "usage_weekly": 0,
           "usage_monthly": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": null,
           "expires_at": null})
}

/// `GET /api/v1/key` for a management key (LIFECYCLE.md 3.5).
fn management_key() -> Value {
    json!({"data": {"label": "sk-or-v1-abc...xyz", "limit": null, "usage": 0.5,
        "usage_daily": 0, "usage_weekly": 0, "usage_monthly": 0.5, "byok_usage": 0,
        "is_free_tier": false, "is_management_key": true, "is_provisioning_key": false,
        "limit_remaining": null, "limit_reset": null, "include_byok_in_limit": false,
        "rate_limit": {"requests": -1, "interval": "10s", "note": "deprecated"},
        "expires_at": null}})
}

/// A ModelGates server (its requests under `prefix`): the list holds GATES_KEY at 45 of 50 USD
/// (matches `--usage-over 80%`), `GET /api/v1/keys/GATES_KEY` reads it, `GET /api/v1/key`
/// proves a management key. Anything else gets the catch-all's 418.
async fn gates_server(prefix: &str) -> Srv {
    let s = srv().await;
    mount_gates(&s, prefix).await;
    s
}

async fn mount_gates(s: &MockServer, prefix: &str) {
    let key = gkey(GATES_KEY, "spent", 50.0, 45.0);
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/keys")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [key.clone()]})))
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/keys/{GATES_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": key})))
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/key")))
        .respond_with(ResponseTemplate::new(200).set_body_json(management_key()))
        .mount(s)
        .await;
}

/// Venice's key list (one INFERENCE key at 1 of 10 USD: matches no criterion).
fn venice_keys() -> Value {
    json!({"object": "list", "data": [
        {"id": VENICE_KEY, "description": "app", "apiKeyType": "INFERENCE",
         "consumptionLimits": {"usd": 10, "diem": null, "vcu": null},
         "currentPeriodUsage": {"usd": "1", "diem": "0"}, "limitPeriod": "MONTH",
         "expiresAt": null}]})
}

/// Mounts Venice's list under `prefix`.
async fn mount_venice(s: &MockServer, prefix: &str) {
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/api/v1/api_keys")))
        .respond_with(ResponseTemplate::new(200).set_body_json(venice_keys()))
        .mount(s)
        .await;
}

/// A request's header, as text.
fn header_of(req: &Request, name: &str) -> Option<String> {
    req.headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// A server with a cursor over its requests, for [`take`].
struct Srv {
    server: MockServer,
    seen: Cell<usize>,
}

impl std::ops::Deref for Srv {
    type Target = MockServer;
    fn deref(&self) -> &MockServer {
        &self.server
    }
}

/// [`server`] with a cursor.
async fn srv() -> Srv {
    Srv {
        server: server().await,
        seen: Cell::new(0),
    }
}

/// The requests `s` received since the last `take` of it, as `(method path, Authorization)`.
async fn take(s: &Srv) -> Vec<(String, Option<String>)> {
    let all = s.received_requests().await.unwrap();
    let new = all[s.seen.get()..]
        .iter()
        .map(|r| {
            (
                format!("{} {}", r.method, r.url.path()),
                header_of(r, "authorization"),
            )
        })
        .collect();
    s.seen.set(all.len());
    new
}

/// No request reached `s` since the last [`take`] of it.
async fn nothing_sent(s: &Srv, what: &str) {
    let got = take(s).await;
    assert!(got.is_empty(), "{what}: nothing may be sent, got {got:?}");
}

/// stdout is TSV: its first line is the tab-separated header `first\t…`, and no line is JSON.
fn assert_tsv(out: &Out, first: &str, what: &str) {
    let head = out.stdout.lines().next().unwrap_or_default();
    assert!(
        head.starts_with(&format!("{first}\t")),
        "{what}: not TSV with header {first:?}:\n{}",
        out.stdout
    );
    assert!(
        !out.stdout.lines().any(|l| l.starts_with('{')),
        "{what}: JSON in TSV output:\n{}",
        out.stdout
    );
}

/// The 64-hex id appears whole on one line of `stdout`.
fn id_whole_on_a_line(stdout: &str, id: &str, what: &str) {
    assert!(
        stdout.lines().any(|l| l.contains(id)),
        "{what}: the id {id} is not whole on any line:\n{stdout}"
    );
}

/// Box-drawing characters of the table style.
fn is_table(stdout: &str) -> bool {
    stdout.contains('│') || stdout.contains('┆') || stdout.contains('─')
}

// ---------------------------------------------------------------------------------------------
// 1. default_profile yields to -p / KEYCTL_PROVIDER
// ---------------------------------------------------------------------------------------------

const VEN_DEFAULT: &str = r#"
default_profile = "ven"

[profiles.ven]
provider = "venice"
credential_env = "PV_KEY"
base_url = "{U}/pv"
"#;

/// Both credentials set, with the base URL variable pointing at `/ev` on the server: the path
/// and the header show which of profile or provider was used.
fn venice_run(sb: &Sandbox, args: &[&str]) -> Keyctl {
    sb.keyctl(args)
        .env("PV_KEY", "pv-profile-cred-0001")
        .env("VENICE_ADMIN_KEY", "ve-own-cred-0002")
}

#[tokio::test]
async fn default_profile_is_not_used_when_p_or_keyctl_provider_names_a_provider() {
    let s = srv().await;
    mount_venice(&s, "/pv").await;
    mount_venice(&s, "/ev").await;
    let sb = Sandbox::new();
    sb.config(&VEN_DEFAULT.replace("{U}", &s.uri()));
    let ev = format!("{}/ev", s.uri());

    // Nothing named: the default profile (its variable, its base URL).
    venice_run(&sb, &["list"]).run().await.code(0);
    assert_eq!(
        take(&s).await,
        [(
            "GET /pv/api/v1/api_keys".to_string(),
            Some("Bearer pv-profile-cred-0001".to_string())
        )]
    );

    // `-p venice`: the same provider as the default profile, yet the provider's own variable.
    venice_run(&sb, &["list", "-p", "venice"])
        .env("KEYCTL_VENICE_BASE_URL", &ev)
        .run()
        .await
        .code(0);
    assert_eq!(
        take(&s).await,
        [(
            "GET /ev/api/v1/api_keys".to_string(),
            Some("Bearer ve-own-cred-0002".to_string())
        )]
    );

    // KEYCTL_PROVIDER=venice: the same.
    venice_run(&sb, &["list"])
        .env("KEYCTL_PROVIDER", "venice")
        .env("KEYCTL_VENICE_BASE_URL", &ev)
        .run()
        .await
        .code(0);
    assert_eq!(
        take(&s).await,
        [(
            "GET /ev/api/v1/api_keys".to_string(),
            Some("Bearer ve-own-cred-0002".to_string())
        )]
    );

    // `-p venice` without VENICE_ADMIN_KEY: the default profile's credential is not borrowed.
    let out = sb
        .keyctl(&["list", "-p", "venice"])
        .env("PV_KEY", "pv-profile-cred-0001")
        .env("KEYCTL_VENICE_BASE_URL", &ev)
        .run()
        .await;
    out.code(3).stderr_has("VENICE_ADMIN_KEY");
    nothing_sent(&s, "-p venice without its variable").await;
}

#[tokio::test]
async fn an_explicit_keyctl_profile_with_p_of_the_same_provider_uses_the_profile() {
    let s = srv().await;
    mount_venice(&s, "/pv").await;
    let sb = Sandbox::new();
    // No default_profile here: KEYCTL_PROFILE names the profile explicitly.
    sb.config(&VEN_DEFAULT.replace("{U}", &s.uri()).replace(
        "default_profile = \"ven\"",
        "default_profile = \"other\"\n[profiles.other]\nprovider = \"modelgates\"\n\
         credential_env = \"PG_KEY\"\n",
    ));
    venice_run(&sb, &["list", "-p", "venice"])
        .env("KEYCTL_PROFILE", "ven")
        .run()
        .await
        .code(0);
    assert_eq!(
        take(&s).await,
        [(
            "GET /pv/api/v1/api_keys".to_string(),
            Some("Bearer pv-profile-cred-0001".to_string())
        )]
    );
    // The same with KEYCTL_PROVIDER.
    venice_run(&sb, &["list"])
        .env("KEYCTL_PROFILE", "ven")
        .env("KEYCTL_PROVIDER", "venice")
        .run()
        .await
        .code(0);
    assert_eq!(
        take(&s).await,
        [(
            "GET /pv/api/v1/api_keys".to_string(),
            Some("Bearer pv-profile-cred-0001".to_string())
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// 2. -v names the profile and its credential source
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn verbose_names_the_profile_and_its_credential_source_never_the_credential() {
    let s = srv().await;
    mount_venice(&s, "/pv").await;
    mount_gates(&s, "/pc").await;
    let sb = Sandbox::new();
    let key_file = sb.write("mg.key", &format!("{SECRET}\n"));
    sb.config(&format!(
        r#"
[profiles.ven]
provider = "venice"
credential_env = "PV_KEY"
base_url = "{u}/pv"

[profiles.cmd]
provider = "modelgates"
credential_command = ["cat", "{k}"]
base_url = "{u}/pc"
"#,
        u = s.uri(),
        k = key_file.display()
    ));
    let cfg = sb.config_path().display().to_string();

    let out = sb
        .keyctl(&["list", "-P", "ven", "-v"])
        .env("PV_KEY", SECRET)
        .run()
        .await;
    out.code(0).stderr_has(&format!(
        "profile ven ({cfg}): Venice credential from env PV_KEY"
    ));
    assert_eq!(
        take(&s).await,
        [(
            "GET /pv/api/v1/api_keys".to_string(),
            Some(format!("Bearer {SECRET}"))
        )]
    );

    let out = sb.keyctl(&["list", "-P", "cmd", "-v"]).run().await;
    out.code(0).stderr_has(&format!(
        "profile cmd ({cfg}): ModelGates credential from command cat {}",
        key_file.display()
    ));
    let got = take(&s).await;
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|(_, a)| a.as_deref() == Some(&format!("Bearer {SECRET}"))),
        "{got:?}"
    );

    // Without -v: no such line.
    let out = sb
        .keyctl(&["list", "-P", "ven"])
        .env("PV_KEY", SECRET)
        .run()
        .await;
    out.code(0);
    assert!(!out.stderr.contains("profile ven"), "{}", out.stderr);
}

/// Writes two profiles (`ven`, the default, and `mg`) on `s`, and a key file holding SECRET
/// (returned).
fn two_profiles(sb: &Sandbox, s: &Srv) -> PathBuf {
    let key_file = sb.write("f.key", &format!("{SECRET}\n"));
    sb.config(&format!(
        r#"
default_profile = "ven"

[profiles.ven]
provider = "venice"
credential_env = "PV_KEY"
base_url = "{u}"

[profiles.mg]
provider = "modelgates"
credential_env = "PG_KEY"
base_url = "{u}"
"#,
        u = s.uri()
    ));
    key_file
}

#[tokio::test]
async fn verbose_with_api_key_file_names_the_file_in_use() {
    let s = srv().await;
    mount_venice(&s, "").await;
    let sb = Sandbox::new();
    let key_file = two_profiles(&sb, &s);
    let cfg = sb.config_path().display().to_string();
    let out = sb
        .keyctl(&["list", "-P", "ven", "-v", "--api-key-file"])
        .arg(key_file.to_str().unwrap())
        .run()
        .await;
    out.code(0);
    // The file's credential was sent: PV_KEY is not even set.
    assert_eq!(
        take(&s).await,
        [(
            "GET /api/v1/api_keys".to_string(),
            Some(format!("Bearer {SECRET}"))
        )]
    );
    assert!(
        !out.stderr.contains(&format!(
            "profile ven ({cfg}): Venice credential from env PV_KEY"
        )),
        "-v claims the profile's variable although --api-key-file was used:\n{}",
        out.stderr
    );
    out.stderr_has(&key_file.display().to_string());
}

#[tokio::test]
async fn verbose_with_all_does_not_name_the_default_profile_alone() {
    let s = srv().await;
    mount_venice(&s, "").await;
    mount_gates(&s, "").await;
    let sb = Sandbox::new();
    two_profiles(&sb, &s);
    let out = sb
        .keyctl(&["auth", "status", "--all", "-v"])
        .env("PV_KEY", SECRET)
        .env("PG_KEY", SECRET)
        .run()
        .await;
    out.code(0);
    assert_eq!(take(&s).await.len(), 2);
    // Either every covered profile is named, or none is: not the default profile alone.
    assert_eq!(
        out.stderr.contains("profile ven ("),
        out.stderr.contains("profile mg ("),
        "--all checks ven and mg, yet -v names one profile as the one in use:\n{}",
        out.stderr
    );
}

#[tokio::test]
async fn a_401_with_api_key_file_names_the_file_not_the_profile() {
    let s = unauthorized().await;
    let sb = Sandbox::new();
    let key_file = two_profiles(&sb, &s);
    let out = sb
        .keyctl(&["list", "-P", "mg", "--api-key-file"])
        .arg(key_file.to_str().unwrap())
        .env("PG_KEY", "sk-profile-cred-unused-0006")
        .run()
        .await;
    out.code(3)
        .stderr_has("HTTP 401")
        .stderr_has(&key_file.display().to_string());
    assert!(
        !out.stderr.contains("the credential of profile 'mg'"),
        "the --api-key-file is not the profile's credential:\n{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 3. A 401 names the profile's credential source
// ---------------------------------------------------------------------------------------------

async fn unauthorized() -> Srv {
    let s = srv().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"code": 401, "message": "bad key"}})),
        )
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn a_401_to_a_profile_run_names_the_profiles_source_not_the_providers_variable() {
    let s = unauthorized().await;
    let sb = Sandbox::new();
    let key_file = sb.write("k", "sk-from-command-0003\n");
    sb.config(&format!(
        r#"
[profiles.x]
provider = "modelgates"
credential_env = "X_KEY"
base_url = "{u}"

[profiles.c]
provider = "modelgates"
credential_command = ["cat", "{k}"]
base_url = "{u}"

[profiles.v]
provider = "venice"
credential_env = "V_KEY"
base_url = "{u}"
"#,
        u = s.uri(),
        k = key_file.display()
    ));
    let old = "MODELGATES_MANAGEMENT_KEY (or the --api-key-file)";

    for args in [
        vec!["list", "-P", "x"],
        vec!["get", "-P", "x", GATES_KEY],
        vec!["check", "-P", "x", "--usage-over", "80%"],
    ] {
        let out = sb
            .keyctl(&args)
            .env("X_KEY", SECRET)
            .env("MODELGATES_MANAGEMENT_KEY", "unused-own-cred-0004")
            .run()
            .await;
        out.code(3)
            .stderr_has("HTTP 401")
            .stderr_has("the credential of profile 'x' (env X_KEY)");
        assert!(!out.stderr.contains(old), "{args:?}: {}", out.stderr);
    }

    // auth status shows the same hint in its detail.
    let out = sb
        .keyctl(&["auth", "status", "-P", "x"])
        .env("X_KEY", SECRET)
        .run()
        .await;
    out.code(3)
        .stdout_has("rejected")
        .stdout_has("the credential of profile 'x' (env X_KEY)");
    assert!(!out.stdout.contains(old), "{}", out.stdout);

    let out = sb.keyctl(&["list", "-P", "c"]).run().await;
    out.code(3).stderr_has(&format!(
        "the credential of profile 'c' (command cat {})",
        key_file.display()
    ));
    assert!(!out.stderr.contains(old), "{}", out.stderr);

    // Venice's own hint wording is rewritten too.
    let out = sb
        .keyctl(&["list", "-P", "v"])
        .env("V_KEY", SECRET)
        .run()
        .await;
    out.code(3)
        .stderr_has("the credential of profile 'v' (env V_KEY)");
    assert!(
        !out.stderr
            .contains("VENICE_ADMIN_KEY (or the --api-key-file)"),
        "{}",
        out.stderr
    );

    // Without a profile: the provider's variable, as before.
    let out = Keyctl::new("MODELGATES_MANAGEMENT_KEY", &["list", "-p", "modelgates"])
        .base(&s)
        .env("KEYCTL_CONFIG", sb.config_path().to_str().unwrap())
        .env("XDG_STATE_HOME", sb.path().join("state").to_str().unwrap())
        .run()
        .await;
    out.code(3).stderr_has(&format!("check {old}"));
    assert!(!out.stderr.contains("profile"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------------------------
// 4. A profile's output applies to key output only, and a table never reaches a pipe
// ---------------------------------------------------------------------------------------------

fn output_profiles(u: &str) -> String {
    format!(
        r#"
[profiles.tab]
provider = "modelgates"
credential_env = "PG_KEY"
base_url = "{u}"
output = "table"

[profiles.js]
provider = "modelgates"
credential_env = "PG_KEY"
base_url = "{u}"
output = "json"
"#
    )
}

#[tokio::test]
async fn a_profiles_output_table_is_tsv_in_a_pipe_json_is_json_and_o_beats_it() {
    let s = gates_server("").await;
    let sb = Sandbox::new();
    sb.config(&output_profiles(&s.uri()));
    let run = |args: &[&str]| sb.keyctl(args).env("PG_KEY", SECRET);

    let out = run(&["list", "-P", "tab"]).run().await;
    out.code(0);
    assert_tsv(&out, "id", "list -P tab");
    assert!(!is_table(&out.stdout), "{}", out.stdout);
    assert!(out.stdout.contains(GATES_KEY), "{}", out.stdout);

    let out = run(&["list", "-P", "js"]).run().await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["key"], GATES_KEY, "{}", out.stdout);

    let out = run(&["list", "-P", "js", "-o", "tsv"]).run().await;
    out.code(0);
    assert_tsv(&out, "id", "list -P js -o tsv");

    // KEYCTL_OUTPUT beats the profile too.
    let out = run(&["list", "-P", "js"])
        .env("KEYCTL_OUTPUT", "tsv")
        .run()
        .await;
    out.code(0);
    assert_tsv(&out, "id", "list -P js, KEYCTL_OUTPUT=tsv");
}

#[tokio::test]
async fn listings_that_are_not_key_output_ignore_the_profiles_output() {
    let s = gates_server("").await;
    let sb = Sandbox::new();
    sb.config(&format!(
        "default_profile = \"js\"\n{}",
        output_profiles(&s.uri())
    ));
    // One trail entry, so `log` has a row to print.
    sb.write(
        "state/keyctl/audit.jsonl",
        &format!(
            "{}\n",
            json!({"time": "2026-01-02T03:04:05.678Z", "run": "r1", "profile": "js",
                   "provider": "modelgates", "key": GATES_KEY, "action": "update",
                   "status": "updated", "changes": [{"field": "limit", "from": 10, "to": 50}],
                   "http_status": 200})
        ),
    );
    let run = |args: &[&str]| sb.keyctl(args).env("PG_KEY", SECRET);

    for prof in ["js", "tab"] {
        let out = run(&["providers", "-P", prof]).run().await;
        out.code(0);
        assert_tsv(&out, "provider", &format!("providers -P {prof}"));

        let out = run(&["auth", "status", "-P", prof]).run().await;
        out.code(0);
        assert_tsv(&out, "profile", &format!("auth status -P {prof}"));
        assert!(
            out.stdout.contains(&format!("{prof}\tmodelgates\tok")),
            "{}",
            out.stdout
        );

        let out = run(&["check", "-P", prof, "--usage-over", "80%"])
            .run()
            .await;
        out.code(9);
        assert_tsv(&out, "profile", &format!("check -P {prof}"));
        assert!(out.stdout.contains(GATES_KEY), "{}", out.stdout);

        let out = run(&["log", "-P", prof]).run().await;
        out.code(0);
        if prof == "js" {
            assert_tsv(&out, "time", "log -P js");
            assert!(out.stdout.contains(GATES_KEY), "{}", out.stdout);
        }
    }
    // The default profile (output json) is in effect for these; still TSV.
    let out = run(&["providers"]).run().await;
    out.code(0);
    assert_tsv(&out, "provider", "providers (default_profile js)");
    let out = run(&["log"]).run().await;
    out.code(0);
    assert_tsv(&out, "time", "log (default_profile js)");
    let out = run(&["log"]).env("KEYCTL_PROFILE", "js").run().await;
    out.code(0);
    assert_tsv(&out, "time", "log (KEYCTL_PROFILE js)");
    // Key output under the default profile is its JSON.
    let out = run(&["list"]).run().await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], GATES_KEY);
    // And `-o json` is still honoured by the listings.
    let out = run(&["providers", "-o", "json"]).run().await;
    out.code(0);
    assert!(!out.json_lines().is_empty());
}

// ---------------------------------------------------------------------------------------------
// 5. --all refuses a base URL variable that would redirect profiles
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn all_with_a_profiles_base_url_variable_set_is_exit_2_and_sends_nothing() {
    let ven = srv().await;
    mount_venice(&ven, "").await;
    let mg = gates_server("").await;
    let elsewhere = srv().await;
    let sb = Sandbox::new();
    sb.config(&format!(
        r#"
[profiles.v]
provider = "venice"
credential_env = "V_KEY"
base_url = "{}"

[profiles.g]
provider = "modelgates"
credential_env = "G_KEY"
base_url = "{}"
"#,
        ven.uri(),
        mg.uri()
    ));
    let run = |args: &[&str]| {
        sb.keyctl(args)
            .env("V_KEY", SECRET)
            .env("G_KEY", "sk-second-cred-0005")
    };
    for args in [
        vec!["auth", "status", "--all"],
        vec!["check", "--all", "--usage-over", "80%"],
    ] {
        let out = run(&args)
            .env("KEYCTL_VENICE_BASE_URL", &elsewhere.uri())
            .run()
            .await;
        out.code(2)
            .stderr_has("--all")
            .stderr_has("KEYCTL_VENICE_BASE_URL");
        assert_eq!(out.stdout, "", "{args:?}");
        for (s, what) in [
            (&ven, "venice"),
            (&mg, "modelgates"),
            (&elsewhere, "the variable's"),
        ] {
            nothing_sent(s, &format!("{args:?}: {what} server")).await;
        }
    }

    // The variable of a provider no profile uses: the run goes ahead.
    let out = run(&["auth", "status", "--all"])
        .env("KEYCTL_IONET_BASE_URL", &elsewhere.uri())
        .run()
        .await;
    out.code(0);
    assert!(out.stdout.contains("v\tvenice\tok"), "{}", out.stdout);
    assert!(out.stdout.contains("g\tmodelgates\tok"), "{}", out.stdout);
    assert_eq!(take(&ven).await.len(), 1);
    assert_eq!(
        take(&mg).await,
        [(
            "GET /api/v1/key".to_string(),
            Some("Bearer sk-second-cred-0005".to_string())
        )]
    );
    nothing_sent(&elsewhere, "KEYCTL_IONET_BASE_URL").await;

    // `--all -p modelgates` covers only the ModelGates profile: the Venice variable is harmless.
    let out = run(&["check", "--all", "-p", "modelgates", "--usage-over", "80%"])
        .env("KEYCTL_VENICE_BASE_URL", &elsewhere.uri())
        .run()
        .await;
    out.code(9);
    assert!(out.stdout.contains(GATES_KEY), "{}", out.stdout);
    nothing_sent(&ven, "--all -p modelgates: venice").await;
    nothing_sent(&elsewhere, "--all -p modelgates: the variable's").await;
}

// ---------------------------------------------------------------------------------------------
// 6. An unusable KEYCTL_AUDIT stops only writes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_unusable_keyctl_audit_blocks_only_real_writes() {
    let s = gates_server("").await;
    let sb = Sandbox::new();
    sb.config("");
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-p", "modelgates", "--base-url"]);
        let uri = s.uri();
        sb.keyctl(&all)
            .arg(&uri)
            .env("MODELGATES_MANAGEMENT_KEY", SECRET)
            .env("KEYCTL_AUDIT", "maybe")
    };
    for (args, code) in [
        (vec!["list"], 0),
        (vec!["get", GATES_KEY], 0),
        (vec!["check", "--usage-over", "80%"], 9),
        (vec!["auth", "status"], 0),
        (vec!["update", GATES_KEY, "--limit", "60", "--dry-run"], 0),
    ] {
        let out = run(&args).run().await;
        out.code(code);
        assert!(
            !out.stderr.contains("KEYCTL_AUDIT"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!take(&s).await.is_empty(), "{args:?} sent nothing");
    }
    let out = sb
        .keyctl(&["providers"])
        .env("KEYCTL_AUDIT", "maybe")
        .run()
        .await;
    out.code(0);
    assert_tsv(&out, "provider", "providers with KEYCTL_AUDIT=maybe");

    let out = run(&["update", GATES_KEY, "--limit", "60"]).run().await;
    out.code(2).stderr_has("KEYCTL_AUDIT");
    assert_eq!(out.stdout, "");
    nothing_sent(&s, "update with KEYCTL_AUDIT=maybe").await;
    assert!(!sb.trail().exists());
}

// ---------------------------------------------------------------------------------------------
// 7. check --disabled warns for Venice
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn check_disabled_warns_that_venice_keys_have_no_disabled_state() {
    let s = srv().await;
    mount_venice(&s, "/v").await;
    mount_gates(&s, "/g").await;
    let sb = Sandbox::new();
    sb.config(&format!(
        r#"
[profiles.ven]
provider = "venice"
credential_env = "V_KEY"
base_url = "{u}/v"

[profiles.mg]
provider = "modelgates"
credential_env = "G_KEY"
base_url = "{u}/g"
"#,
        u = s.uri()
    ));
    let run = |args: &[&str]| sb.keyctl(args).env("V_KEY", SECRET).env("G_KEY", SECRET);

    let out = run(&["check", "-P", "ven", "--disabled"]).run().await;
    out.code(0).stderr_has(
        "warning: profile ven: Venice keys have no disabled state: --disabled matches none of them",
    );
    assert_eq!(
        out.stdout,
        "profile\tprovider\tid\tname\treasons\texpires\tusage\tlimit\n"
    );
    assert_eq!(take(&s).await.len(), 1);

    // Without a profile: the same warning, without the profile's name.
    let out = Keyctl::new("VENICE_ADMIN_KEY", &["check", "-p", "venice", "--disabled"])
        .arg("--base-url")
        .arg(&format!("{}/v", s.uri()))
        .env("KEYCTL_CONFIG", sb.config_path().to_str().unwrap())
        .env("XDG_STATE_HOME", sb.path().join("state").to_str().unwrap())
        .run()
        .await;
    out.code(0)
        .stderr_has("warning: Venice keys have no disabled state");
    take(&s).await;

    // ModelGates has a disabled state: no warning (none of its keys is disabled: exit 0).
    let out = run(&["check", "-P", "mg", "--disabled"]).run().await;
    out.code(0);
    assert_eq!(out.stderr, "");
    let got = take(&s).await;
    assert_eq!(got.len(), 1, "{got:?}");

    // --all: the warning for the Venice profile only.
    let out = run(&["check", "--all", "--disabled"]).run().await;
    out.code(0).stderr_has("profile ven: Venice keys");
    assert!(!out.stderr.contains("profile mg"), "{}", out.stderr);
    assert_eq!(out.stderr.matches("warning:").count(), 1, "{}", out.stderr);
}

// ---------------------------------------------------------------------------------------------
// 8. Record tables never split an id
// ---------------------------------------------------------------------------------------------

/// With `--wide`, ids stay whole: a table where they fit, records where they do not; never an
/// id split over lines. (Without it, a table shows the id's short unique prefix: below.)
#[tokio::test]
async fn check_tables_with_wide_keep_a_64_hex_id_whole_at_every_width() {
    let s = gates_server("").await;
    let sb = Sandbox::new();
    sb.config("");
    for cols in ["200", "100", "60"] {
        let out = Keyctl::new(
            "MODELGATES_MANAGEMENT_KEY",
            &[
                "check",
                "-p",
                "modelgates",
                "--usage-over",
                "80%",
                "-o",
                "table",
                "--wide",
            ],
        )
        .base(&s)
        .env("KEYCTL_CONFIG", sb.config_path().to_str().unwrap())
        .env("XDG_STATE_HOME", sb.path().join("state").to_str().unwrap())
        .env("COLUMNS", cols)
        .run()
        .await;
        out.code(9);
        id_whole_on_a_line(&out.stdout, GATES_KEY, &format!("check COLUMNS={cols}"));
        match cols {
            "200" => {
                assert!(is_table(&out.stdout), "{cols}:\n{}", out.stdout);
                assert!(
                    out.stdout.lines().all(|l| l.chars().count() <= 200),
                    "{}",
                    out.stdout
                );
            }
            "60" => {
                assert!(!is_table(&out.stdout), "{cols}:\n{}", out.stdout);
                let id_line = out.stdout.lines().find(|l| l.contains(GATES_KEY)).unwrap();
                assert!(id_line.starts_with("id:"), "{id_line:?}");
                assert_eq!(
                    id_line.trim_start_matches("id:").trim(),
                    GATES_KEY,
                    "{}",
                    out.stdout
                );
                assert!(
                    out.stdout.contains("provider: modelgates"),
                    "{}",
                    out.stdout
                );
                assert!(
                    out.stdout.contains("usage 90% of limit (45 of 50 USD)"),
                    "{}",
                    out.stdout
                );
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn log_tables_keep_long_keys_whole_at_every_width() {
    let sb = Sandbox::new();
    sb.config("");
    let keys = [
        GATES_KEY,
        "aa00000000000000000000000000000000000000000000000000000000000042",
    ];
    let lines: String = keys
        .iter()
        .map(|k| {
            format!(
                "{}\n",
                json!({"time": "2026-01-02T03:04:05.678Z", "run": "r1", "profile": "work",
                       "provider": "modelgates", "key": k, "action": "update",
                       "status": "updated",
                       "changes": [{"field": "limit", "from": 10, "to": 50},
                                   {"field": "reset", "from": "daily", "to": "monthly"}],
                       "http_status": 200})
            )
        })
        .collect();
    sb.write("state/keyctl/audit.jsonl", &lines);
    for cols in ["200", "100", "60"] {
        let out = sb
            .keyctl(&["log", "-o", "table"])
            .env("COLUMNS", cols)
            .run()
            .await;
        out.code(0);
        for k in keys {
            id_whole_on_a_line(&out.stdout, k, &format!("log COLUMNS={cols}"));
        }
        match cols {
            "200" => assert!(is_table(&out.stdout), "{cols}:\n{}", out.stdout),
            "60" => {
                assert!(!is_table(&out.stdout), "{cols}:\n{}", out.stdout);
                let key_lines: Vec<&str> = out
                    .stdout
                    .lines()
                    .filter(|l| l.starts_with("key:"))
                    .collect();
                assert_eq!(key_lines.len(), 2, "{}", out.stdout);
                assert!(out.stdout.contains("action:"), "{}", out.stdout);
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 9. The man page and the crontab example
// ---------------------------------------------------------------------------------------------

fn have(prog: &str) -> bool {
    std::process::Command::new(prog)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn the_man_page_passes_groff_and_documents_environment_files_and_exit_status() {
    let out = Keyctl::bare(&["man"]).run().await;
    out.code(0);
    assert_eq!(out.stderr, "");
    let page = out.stdout.clone();

    if have("groff") {
        use std::io::Write;
        let mut child = std::process::Command::new("groff")
            .args(["-man", "-ww", "-z"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let res = child.wait_with_output().unwrap();
        assert!(res.status.success(), "groff failed: {res:?}");
        assert_eq!(String::from_utf8_lossy(&res.stderr), "", "groff warned");
    } else {
        eprintln!("skipped the groff check: groff is not installed");
    }

    // The sections, in order, and what each must mention.
    let section = |name: &str| -> String {
        let start = page
            .find(&format!("\n.SH {name}\n"))
            .unwrap_or_else(|| panic!("no section {name}:\n{page}"));
        let rest = &page[start + 1..];
        let end = rest[4..].find("\n.SH ").map_or(rest.len(), |e| e + 4);
        rest[..end].to_string()
    };
    let env = section("ENVIRONMENT");
    for v in ["KEYCTL_CONFIG", "KEYCTL_AUDIT", "KEYCTL_PROFILE"] {
        assert!(env.contains(v), "ENVIRONMENT lacks {v}:\n{env}");
    }
    let files = section("FILES");
    assert!(files.contains("audit.jsonl"), "{files}");
    assert!(files.contains("config.toml"), "{files}");
    let exit = section("\"EXIT STATUS\"");
    assert!(exit.contains("\\fB9\\fR"), "{exit}");
    assert!(exit.contains("keyctl check"), "{exit}");
    for code in ["0", "2", "3", "8"] {
        assert!(exit.contains(&format!("\\fB{code}\\fR")), "{code}: {exit}");
    }
}

#[tokio::test]
async fn check_help_escapes_the_percent_of_its_crontab_example() {
    let out = Keyctl::bare(&["check", "--help"]).run().await;
    out.code(0);
    let cron = out
        .stdout
        .lines()
        .find(|l| l.contains("* * *") && l.contains("keyctl check"))
        .unwrap_or_else(|| panic!("no crontab line:\n{}", out.stdout));
    assert!(cron.contains("--usage-over 90\\%"), "{cron}");
    assert!(!cron.contains("90% "), "{cron}");
}

#[tokio::test]
async fn check_tables_at_100_columns_show_the_ids_short_prefix_unbroken() {
    let s = gates_server("").await;
    let sb = Sandbox::new();
    sb.config("");
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "check",
            "-p",
            "modelgates",
            "--usage-over",
            "80%",
            "-o",
            "table",
        ],
    )
    .base(&s)
    .env("KEYCTL_CONFIG", sb.config_path().to_str().unwrap())
    .env("XDG_STATE_HOME", sb.path().join("state").to_str().unwrap())
    .env("COLUMNS", "100")
    .run()
    .await;
    out.code(9);
    assert!(is_table(&out.stdout), "{}", out.stdout);
    assert!(out.stdout.contains(&GATES_KEY[..8]), "{}", out.stdout);
    assert!(!out.stdout.contains(GATES_KEY), "{}", out.stdout);
    assert!(
        out.stdout.lines().all(|l| l.chars().count() <= 100),
        "{}",
        out.stdout
    );
}
