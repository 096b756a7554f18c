//! Discoverable profiles and support (issue 21): `keyctl providers` lists the config file's
//! profiles (name, provider, credential source, the default) in table, TSV and JSON without
//! running a credential command or showing its arguments; `keyctl support -p NAME` shows one
//! provider, `-o md` the README's Markdown, and on a terminal a table fitted to its width
//! (pty, 60 and 120 columns); `-o md` elsewhere is exit 2; a `-p ID` whose credential is
//! missing names the profiles for that provider ("try -P NAME"), exit 3 with nothing sent.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use wiremock::MockServer;

use crate::common::pty::{SCRIPT, clean, finish};
use crate::common::{GATES_KEY, Keyctl, VENICE_KEY, server};

/// A folder with a config file, its own HOME and state folder.
struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    fn new(config: &str) -> Dir {
        let d = Dir {
            tmp: tempfile::tempdir().unwrap(),
        };
        std::fs::write(d.path().join("config.toml"), config).unwrap();
        d
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn s(&self) -> String {
        self.path().display().to_string()
    }

    fn keyctl(&self, args: &[&str]) -> Keyctl {
        let d = self.s();
        Keyctl::bare(args)
            .env("KEYCTL_CONFIG", &format!("{d}/config.toml"))
            .env("XDG_STATE_HOME", &format!("{d}/state"))
            .env("HOME", &d)
    }
}

/// Three Venice profiles (an env one, the default; a file one; a command one whose arguments
/// hold a token) and a ModelGates one.
fn profiles_config(dir: &Path) -> String {
    format!(
        r#"default_profile = "ven-prod"

[profiles.ven-prod]
provider = "venice"
credential_env = "VEN_PROD_KEY"

[profiles.ven-file]
provider = "venice"
credential_file = "{d}/ven.key"

[profiles.ven-cmd]
provider = "venice"
credential_command = ["/bin/sh", "-c", "touch {d}/ran; echo TOKEN-IN-ARGS-123"]

[profiles.mg-ci]
provider = "modelgates"
credential_env = "MG_CI_KEY"
"#,
        d = dir.display()
    )
}

fn profiles_dir() -> Dir {
    let dir = Dir::new("");
    std::fs::write(dir.path().join("config.toml"), profiles_config(dir.path())).unwrap();
    std::fs::write(dir.path().join("ven.key"), "file-credential-value\n").unwrap();
    dir
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

/// No output names the command's arguments, and the command never ran.
fn command_kept_private(dir: &Dir, text: &str, what: &str) {
    assert!(!text.contains("TOKEN-IN-ARGS"), "{what}: {text}");
    assert!(!text.contains("touch"), "{what}: {text}");
    assert!(!dir.path().join("ran").exists(), "{what} ran the command");
}

/// The cells of the profiles table (after its `profiles in FILE:` line), header first.
fn profile_rows(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("profiles in "))
        .filter(|l| l.starts_with('│'))
        .map(|l| {
            l.trim_matches('│')
                .split('┆')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn providers_lists_the_profiles_as_a_table() {
    let dir = profiles_dir();
    let out = dir
        .keyctl(&["providers", "-o", "table"])
        .env("COLUMNS", "200")
        .env("VEN_PROD_KEY", "ven-prod-credential")
        .run()
        .await;
    out.code(0).stdout_has(&format!(
        "profiles in {}/config.toml:",
        dir.path().display()
    ));
    command_kept_private(&dir, &out.stdout, "providers -o table");
    assert!(
        !out.stdout.contains("ven-prod-credential"),
        "{}",
        out.stdout
    );
    // One row per profile, in the file's order: name, provider, source, present, default.
    let rows = profile_rows(&out.stdout);
    let want: Vec<Vec<String>> = [
        ["PROFILE", "PROVIDER", "CREDENTIAL", "PRESENT", "DEFAULT"],
        ["ven-prod", "venice", "env VEN_PROD_KEY", "yes", "yes"],
        [
            "ven-file",
            "venice",
            &format!("file {}/ven.key", dir.s()),
            "yes",
            "",
        ],
        ["ven-cmd", "venice", "command sh", "not run", ""],
        ["mg-ci", "modelgates", "env MG_CI_KEY", "no", ""],
    ]
    .iter()
    .map(|r| r.iter().map(|c| c.to_string()).collect())
    .collect();
    assert_eq!(rows, want, "{}", out.stdout);

    // KEYCTL_PROFILE is the default runs use: the table says so.
    let out = dir
        .keyctl(&["providers", "-o", "table"])
        .env("COLUMNS", "200")
        .env("KEYCTL_PROFILE", "mg-ci")
        .run()
        .await;
    out.code(0);
    let defaults: Vec<(String, String)> = profile_rows(&out.stdout)
        .into_iter()
        .skip(1)
        .filter(|r| !r[4].is_empty())
        .map(|r| (r[0].clone(), r[4].clone()))
        .collect();
    assert_eq!(
        defaults,
        [("mg-ci".to_string(), "yes (KEYCTL_PROFILE)".to_string())],
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn providers_lists_the_profiles_in_tsv_and_json() {
    let dir = profiles_dir();
    // TSV: still one table, one line per provider; the profiles in a last column (`*`: the
    // default).
    let out = dir.keyctl(&["providers"]).run().await;
    out.code(0);
    command_kept_private(&dir, &out.stdout, "providers (tsv)");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "provider\tname\tapi\tbase_url\tcredential\tpresent\tdefined\tprofiles"
    );
    assert_eq!(lines.len(), 6, "{}", out.stdout);
    let last = |id: &str| -> String {
        let row = lines
            .iter()
            .find(|l| l.starts_with(&format!("{id}\t")))
            .unwrap_or_else(|| panic!("no {id} row:\n{}", out.stdout));
        assert_eq!(row.split('\t').count(), 8, "{row}");
        row.rsplit('\t').next().unwrap().to_string()
    };
    assert_eq!(last("venice"), "ven-prod*,ven-file,ven-cmd");
    assert_eq!(last("modelgates"), "mg-ci");
    assert_eq!(last("ionet"), "");

    // JSON: still one line per provider with its fields; each gains `profiles`.
    let out = dir.keyctl(&["providers", "-o", "json"]).run().await;
    out.code(0);
    command_kept_private(&dir, &out.stdout, "providers -o json");
    let lines = out.json_lines();
    assert_eq!(lines.len(), 5, "{}", out.stdout);
    let venice = lines.iter().find(|l| l["provider"] == "venice").unwrap();
    assert_eq!(venice["credential"], "VENICE_ADMIN_KEY");
    assert_eq!(venice["credential_source"], "env");
    assert_eq!(venice["defined"], "built-in");
    assert_eq!(
        venice["profiles"],
        json!([
            {"name": "ven-prod", "credential_source": "env", "credential": "VEN_PROD_KEY",
             "credential_present": false, "default": true},
            {"name": "ven-file", "credential_source": "file",
             "credential": format!("{}/ven.key", dir.s()),
             "credential_present": true, "default": false},
            {"name": "ven-cmd", "credential_source": "command", "credential": "sh",
             "credential_present": null, "default": false},
        ])
    );
    let mg = lines
        .iter()
        .find(|l| l["provider"] == "modelgates")
        .unwrap();
    assert_eq!(mg["profiles"][0]["name"], "mg-ci");
    assert_eq!(
        lines.iter().find(|l| l["provider"] == "ionet").unwrap()["profiles"],
        json!([])
    );
}

/// The README's support tables, between its markers.
fn readme_tables() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/providers.md"))
        .expect("docs/providers.md");
    let start = readme.find("<!-- support-table:start -->\n").unwrap()
        + "<!-- support-table:start -->\n".len();
    let end = readme.find("<!-- support-table:end -->").unwrap();
    readme[start..end].to_string()
}

#[tokio::test]
async fn support_o_md_prints_the_readme_tables_and_piped_output_is_unchanged() {
    let want = readme_tables();
    let out = Keyctl::bare(&["support", "-o", "md"]).run().await;
    out.code(0);
    assert_eq!(out.stdout, want);
    // Piped with no -o: the same Markdown as before (`keyctl support > support.md`).
    let out = Keyctl::bare(&["support"]).env("COLUMNS", "60").run().await;
    out.code(0);
    assert_eq!(out.stdout, want);
    // Before the command name too, in any case.
    let out = Keyctl::bare(&["-o", "MD", "support"]).run().await;
    out.code(0);
    assert_eq!(out.stdout, want);
}

#[tokio::test]
async fn support_p_shows_one_provider() {
    // Markdown: the README's rows, with Venice's column only.
    let out = Keyctl::bare(&["support", "-p", "VENICE", "-o", "md"])
        .run()
        .await;
    out.code(0);
    let all = readme_tables();
    let want: String = all
        .lines()
        .map(|l| {
            if l.is_empty() {
                return String::new();
            }
            let cells: Vec<&str> = l.split(" | ").collect();
            if l.starts_with("|---") {
                return "|---|---|".into();
            }
            format!("{} | {}", cells[0], cells[cells.len() - 1])
        })
        .map(|l| l + "\n")
        .collect();
    assert_eq!(out.stdout, want);
    assert!(
        out.stdout
            .starts_with("| update flag | Venice |\n|---|---|\n")
    );
    assert!(
        out.stdout
            .contains("| `--limit 50` | `\"consumptionLimit\":{\"usd\":50}` |\n")
    );

    // TSV: command, flag and the one provider's column.
    let out = Keyctl::bare(&["support", "-p", "ionet", "-o", "tsv"])
        .run()
        .await;
    out.code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "command\tflag\tionet");
    assert!(lines.contains(&"update\t--limit 50\t\"credit_limit\":50"));
    assert!(lines.contains(&"update\t--disable\terror"));
    assert!(lines.iter().all(|l| l.split('\t').count() == 3));

    // JSON: one line per command and flag, all for the one provider.
    let out = Keyctl::bare(&["support", "-p", "venice", "-o", "json"])
        .run()
        .await;
    out.code(0);
    let lines = out.json_lines();
    assert!(lines.iter().all(|l| l["provider"] == "venice"));
    assert!(
        lines.contains(&json!({"command": "update", "flag": "--limit 50",
        "provider": "venice", "supported": true, "body": {"consumptionLimit": {"usd": 50}}}))
    );
    assert!(
        lines.contains(&json!({"command": "update", "flag": "--disable",
        "provider": "venice", "supported": false, "body": null}))
    );
    let updates = lines.iter().filter(|l| l["command"] == "update").count();
    let md_updates = all
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("| `"))
        .count();
    assert_eq!(updates, md_updates);

    // A table (asked for when piped): the flag column and Venice's only.
    let out = Keyctl::bare(&["support", "-p", "venice", "-o", "table"])
        .env("COLUMNS", "80")
        .run()
        .await;
    out.code(0)
        .stdout_has("consumptionLimit.usd: 50")
        .stdout_has("UPDATE FLAG");
    assert!(!out.stdout.contains("ModelGates"), "{}", out.stdout);
    assert!(out.stdout.lines().all(|l| l.chars().count() <= 80));
}

#[tokio::test]
async fn support_with_an_unknown_provider_or_option_and_md_elsewhere_are_exit_2() {
    let out = Keyctl::bare(&["support", "-p", "acme"]).run().await;
    out.code(2).stderr_has(
        "invalid value 'acme' for -p/--provider; `keyctl support` covers ionet, modelgates, \
         novapai, openrouter, venice",
    );
    assert_eq!(out.stdout, "");
    // The options support has no use for are still refused.
    Keyctl::bare(&["support", "--retries", "1"])
        .run()
        .await
        .code(2)
        .stderr_has("keyctl support takes only -o/--output and -p/--provider (got --retries)");
    // -o md is for support only: every other command refuses it before sending anything.
    let server = server().await;
    for args in [
        &["list", "-p", "venice"][..],
        &["get", "-p", "venice", VENICE_KEY],
        &["update", "-p", "modelgates", GATES_KEY, "--limit", "5"],
        &["providers"],
    ] {
        let out = Keyctl::new("VENICE_ADMIN_KEY", args)
            .env("MODELGATES_MANAGEMENT_KEY", "mg-test-credential")
            .args(&["-o", "md"])
            .base(&server)
            .run()
            .await;
        out.code(2)
            .stderr_has("-o md (Markdown) is for `keyctl support` only; use -o table, tsv or json");
        assert_eq!(out.stdout, "", "{args:?}");
    }
    nothing_sent(&server, "-o md").await;
}

#[tokio::test]
async fn a_missing_credential_with_profiles_for_the_provider_says_try_p_name() {
    let server = server().await;
    let dir = Dir::new(
        "[profiles.v1]\nprovider = \"venice\"\ncredential_env = \"V1\"\n\
         [profiles.mg-ci]\nprovider = \"modelgates\"\ncredential_env = \"MG_CI_KEY\"\n\
         [profiles.v2]\nprovider = \"venice\"\ncredential_env = \"V2\"\n\
         [profiles.v3]\nprovider = \"venice\"\ncredential_env = \"V3\"\n\
         [profiles.v4]\nprovider = \"venice\"\ncredential_env = \"V4\"\n",
    );
    let file = format!("{}/config.toml", dir.s());
    // One profile for the provider.
    for args in [
        &["list", "-p", "modelgates"][..],
        &["get", "-p", "modelgates", GATES_KEY],
        &["update", "-p", "modelgates", GATES_KEY, "--limit", "5"],
    ] {
        let out = dir.keyctl(args).base(&server).run().await;
        out.code(3).stderr_has(&format!(
            "missing ModelGates admin credential: set MODELGATES_MANAGEMENT_KEY or pass \
             --api-key-file PATH (- for stdin); or try -P mg-ci (a profile for ModelGates in \
             {file})"
        ));
        assert_eq!(out.stdout, "", "{args:?}");
    }
    // Several: the first three named, the rest counted.
    let out = dir
        .keyctl(&["list", "-p", "venice"])
        .base(&server)
        .run()
        .await;
    out.code(3).stderr_has(&format!(
        "; or try -P v1, -P v2, -P v3 or one of 1 more (`keyctl providers` lists them) \
         (profiles for Venice in {file})"
    ));
    // None for the provider: no hint.
    let out = dir
        .keyctl(&["list", "-p", "ionet"])
        .base(&server)
        .run()
        .await;
    out.code(3).stderr_has("missing io.net admin credential");
    assert!(!out.stderr.contains("try -P"), "{}", out.stderr);
    // Two or three: all named.
    let two = Dir::new(
        "[profiles.a]\nprovider = \"venice\"\ncredential_env = \"A\"\n\
         [profiles.b]\nprovider = \"venice\"\ncredential_env = \"B\"\n",
    );
    two.keyctl(&["list", "-p", "venice"])
        .base(&server)
        .run()
        .await
        .code(3)
        .stderr_has("; or try -P a or -P b (profiles for Venice in ");
    nothing_sent(&server, "missing credential").await;
}

/// `keyctl support` on a pseudo-terminal `cols` wide, with no config file.
async fn support_on_a_terminal(cols: u16) -> String {
    let home = tempfile::tempdir().unwrap();
    let h: PathBuf = home.path().to_path_buf();
    let spec = json!({
        "argv": [env!("CARGO_BIN_EXE_keyctl"), "support"],
        "rows": 50,
        "cols": cols,
        "timeout": 20,
        "answer": Value::Null,
        "stdout": Value::Null,
        "stderr": Value::Null,
    });
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new("python3");
        cmd.arg(SCRIPT).arg(spec.to_string());
        clean(&mut cmd);
        cmd.env("HOME", &h)
            .env("XDG_CONFIG_HOME", h.join("xdg"))
            .env("TERM", "xterm-256color")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.output()
            .expect("python3 runs (the pty tests need python3 on PATH)")
    })
    .await
    .expect("join");
    let r = finish(&out).0;
    r.code(0);
    drop(home);
    r.plain()
}

#[tokio::test]
async fn support_on_a_terminal_is_a_table_fitted_to_its_width() {
    for cols in [60usize, 120] {
        let text = support_on_a_terminal(cols as u16).await;
        let long: Vec<&str> = text
            .lines()
            .filter(|l| unicode_width::UnicodeWidthStr::width(*l) > cols)
            .collect();
        assert!(
            long.is_empty(),
            "{cols} columns: too wide: {long:#?}\n{text}"
        );
        // A table, not the Markdown; every provider and both commands are in it.
        assert!(!text.contains("|---|"), "{text}");
        assert!(
            text.contains("UPDATE FLAG") && text.contains("CREATE FLAG"),
            "{text}"
        );
        for name in ["io.net", "ModelGates", "novapai", "OpenRouter", "Venice"] {
            assert!(text.contains(name), "{cols}: no {name}:\n{text}");
        }
        // Field names and values are whole (the groups of providers fit side by side).
        for cell in [
            "consumptionLimit.usd: 50",
            "include_byok_in_limit: true",
            "credit_limit: 50",
        ] {
            assert!(text.contains(cell), "{cols}: {cell:?} not whole:\n{text}");
        }
        assert!(text.contains("-: refused (exit 2, nothing sent)"), "{text}");
    }
}
