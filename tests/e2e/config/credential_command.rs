//! A credential command's output never shows a key (its stdout masked even when it fails,
//! key-like words of its stderr hidden), and a relative program starts at the config file's
//! folder.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::gates_profiles::{ENV, H_ON, KEY, assert_hidden, gkey};
use crate::common::home::Home;
use crate::common::request_log::paths;
use crate::common::{Out, SECRET, cleared, scan, server};

/// `keyctl <args>` run in the folder `dir` (the [`cleared`] environment, the credential
/// unset, then `env`), its output checked with [`scan`].
async fn run_in(dir: &Path, args: &[&str], env: Vec<(String, String)>) -> Out {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_keyctl"));
        for v in cleared() {
            cmd.env_remove(v);
        }
        cmd.env("NO_COLOR", "1").env("KEYCTL_BACKOFF_MS", "20");
        cmd.current_dir(&dir).args(&args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd.write_stdin(Vec::new());
        cmd.timeout(Duration::from_secs(60));
        cmd.output().expect("keyctl runs")
    })
    .await
    .unwrap();
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    scan(&out);
    out
}

/// One profile `a` whose credential is `credential_command = [script]`, at `s`.
fn command_profile(sb: &Home, s: &MockServer, script: &str) {
    sb.config(&format!(
        "[profiles.a]\nprovider = \"modelgates\"\nbase_url = \"{}\"\n\
         credential_command = [\"{script}\"]\n",
        s.uri()
    ));
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn a_key_printed_on_the_commands_stderr_is_never_shown() {
    let s = server().await;
    let sb = Home::new();
    let script = sb.script("getkey.sh", &format!("echo 'your key: {KEY}' >&2"));
    command_profile(&sb, &s, &script.display().to_string());
    for args in [
        &["list", "-P", "a"][..],
        &["auth", "status", "-P", "a", "-o", "json"],
        &["auth", "status", "--all", "-o", "tsv"],
    ] {
        let out = sb.keyctl_with(ENV, args).run().await;
        out.code(3);
        assert!(
            format!("{}{}", out.stdout, out.stderr).contains("printed nothing"),
            "{out:?}"
        );
        assert_hidden(&out, KEY, &format!("{args:?}"));
        if args[0] == "list" {
            out.stderr_has("its standard error: your key: ****");
        }
    }
    assert!(paths(&s).await.is_empty(), "nothing is sent without a key");
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn a_failing_command_that_printed_the_key_and_repeats_it_on_stderr_shows_it_nowhere() {
    let s = server().await;
    let sb = Home::new();
    let script = sb.script(
        "getkey.sh",
        &format!("echo '{KEY}'\necho \"error: could not store {KEY}\" >&2\nexit 1"),
    );
    command_profile(&sb, &s, &script.display().to_string());
    for args in [
        &["list", "-P", "a"][..],
        &["list", "-P", "a", "-v"],
        &["auth", "status", "-P", "a", "-o", "json"],
    ] {
        let out = sb.keyctl_with(ENV, args).run().await;
        out.code(3);
        assert!(
            format!("{}{}", out.stdout, out.stderr).contains("failed (exit status 1)"),
            "{out:?}"
        );
        assert_hidden(&out, KEY, &format!("{args:?}"));
    }
    assert!(paths(&s).await.is_empty(), "nothing is sent");
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn a_relative_program_starts_at_the_config_files_folder_not_the_current_one() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [gkey(H_ON, "on", false)]})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let sb = Home::new();
    sb.script("getkey.sh", &format!("echo '{SECRET}'"));
    command_profile(&sb, &s, "./getkey.sh");
    // The current folder holds another ./getkey.sh, which must not run.
    let work = tempfile::tempdir().unwrap();
    let marker = work.path().join("EVIL-RAN");
    let evil = work.path().join("getkey.sh");
    std::fs::write(
        &evil,
        format!(
            "#!/bin/sh\ntouch '{}'\necho sk-live-EVIL-0000000000\n",
            marker.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = run_in(work.path(), &["list", "-P", "a", "-o", "json"], sb.env()).await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], H_ON, "{}", out.stdout);
    assert!(!marker.exists(), "the current folder's ./getkey.sh ran");

    // Without the config folder's script: a credential error, and still not the evil one.
    std::fs::remove_file(sb.path().join("getkey.sh")).unwrap();
    let out = run_in(work.path(), &["list", "-P", "a"], sb.env()).await;
    out.code(3).stderr_has("cannot run");
    assert!(!marker.exists(), "the current folder's ./getkey.sh ran");
}
