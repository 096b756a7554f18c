//! `keyctl completions SHELL` and `keyctl man`: each script names every command and loads in
//! its shell (bash always; zsh and fish when installed), the manual page renders through
//! `man -l -` without a warning and has a section per command, and neither reads the config
//! file (a broken one does not stop them).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common::{Keyctl, Out};

/// Every command `keyctl --help` lists (`help` aside).
const SUBCOMMANDS: [&str; 13] = [
    "update",
    "get",
    "list",
    "create",
    "revoke",
    "rotate",
    "support",
    "providers",
    "auth",
    "log",
    "check",
    "completions",
    "man",
];

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

const BIN: &str = env!("CARGO_BIN_EXE_keyctl");

/// Whether `prog` can be run (found on PATH).
fn have(prog: &str) -> bool {
    Command::new(prog)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Runs `prog args` with `input` on standard input and the given extra environment.
fn run_with_stdin(prog: &str, args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(prog)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{prog}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `keyctl completions SHELL`, in its own config and state folders.
async fn completions(shell: &str) -> Out {
    let dir = tempfile::tempdir().unwrap();
    Keyctl::bare(&["completions", shell])
        .env("XDG_CONFIG_HOME", dir.path().to_str().unwrap())
        .env("XDG_STATE_HOME", dir.path().to_str().unwrap())
        .run()
        .await
}

/// `keyctl man`, in its own config and state folders.
async fn man_page() -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Keyctl::bare(&["man"])
        .env("XDG_CONFIG_HOME", dir.path().to_str().unwrap())
        .env("XDG_STATE_HOME", dir.path().to_str().unwrap())
        .run()
        .await;
    out.code(0);
    assert_eq!(out.stderr, "");
    out.stdout
}

/// How each shell's script offers a command at the top level.
fn offers(shell: &str, sub: &str) -> String {
    match shell {
        "bash" => format!("keyctl,{sub})"),
        "zsh" => format!("'{sub}:"),
        "fish" => format!("-n \"__fish_keyctl_needs_command\" -f -a \"{sub}\""),
        "powershell" => format!("[CompletionResult]::new('{sub}', '{sub}',"),
        "elvish" => format!("cand {sub} '"),
        other => panic!("no pattern for {other}"),
    }
}

#[tokio::test]
async fn every_shell_gets_a_script_naming_every_command() {
    for shell in SHELLS {
        let out = completions(shell).await;
        out.code(0);
        assert_eq!(out.stderr, "", "{shell}");
        assert!(out.stdout.len() > 1000, "{shell}: {}", out.stdout);
        for sub in SUBCOMMANDS {
            let want = offers(shell, sub);
            assert!(
                out.stdout.contains(&want),
                "{shell}: the script does not offer `{sub}` ({want:?})"
            );
        }
        // The options of the new commands are there too.
        for opt in ["expiring-within", "usage-over", "disabled", "profile"] {
            assert!(out.stdout.contains(opt), "{shell}: no {opt}");
        }
    }
}

#[tokio::test]
async fn an_unknown_shell_is_a_usage_error() {
    for bad in ["nope", "Bash5", ""] {
        let out = completions(bad).await;
        out.code(2).stderr_has("possible values");
        assert_eq!(out.stdout, "", "{bad}");
    }
    let out = Keyctl::bare(&["completions"]).run().await;
    out.code(2).stderr_has("<SHELL>");
}

/// `bash -c SCRIPT keyctl-path`: `$0` in the script is the binary.
fn bash(script: &str) -> Output {
    Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script, BIN])
        .stdin(Stdio::null())
        .output()
        .expect("bash runs")
}

#[test]
fn bash_loads_the_script_and_completes_commands_options_and_values() {
    if !have("bash") {
        eprintln!("skipped: bash is not installed");
        return;
    }
    let out = bash(r#"source <("$0" completions bash) && complete -p keyctl"#);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stderr), "");
    let line = stdout.trim_end();
    assert!(
        line.starts_with("complete ") && line.contains(" -F _keyctl ") && line.ends_with(" keyctl"),
        "{line}"
    );

    // The function answers as bash calls it: words so far, the index of the current one.
    let complete = |words: &str, cword: usize| -> Vec<String> {
        let script = format!(
            r#"source <("$0" completions bash) || exit 9
COMP_WORDS=({words}); COMP_CWORD={cword}
_keyctl keyctl "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#
        );
        let out = bash(&script);
        assert!(out.status.success(), "{words}: {out:?}");
        assert_eq!(text(&out.stderr), "", "{words}");
        text(&out.stdout).lines().map(str::to_string).collect()
    };
    let top = complete(r#"keyctl """#, 1);
    for sub in SUBCOMMANDS {
        assert!(top.iter().any(|w| w == sub), "{sub}: {top:?}");
    }
    let check = complete("keyctl check --", 2);
    for opt in [
        "--all",
        "--expiring-within",
        "--usage-over",
        "--disabled",
        "--profile",
    ] {
        assert!(check.iter().any(|w| w == opt), "{opt}: {check:?}");
    }
    let shells = complete(r#"keyctl completions """#, 2);
    for s in SHELLS {
        assert!(shells.iter().any(|w| w == s), "{s}: {shells:?}");
    }
    assert_eq!(
        complete(r#"keyctl list -p """#, 3),
        ["ionet", "modelgates", "novapai", "openrouter", "venice"]
    );
    assert_eq!(
        complete(r#"keyctl auth """#, 2)
            .into_iter()
            .filter(|w| !w.starts_with('-'))
            .collect::<Vec<_>>(),
        ["status", "help"]
    );
}

#[test]
fn zsh_loads_the_script_when_installed() {
    if !have("zsh") {
        eprintln!("skipped: zsh is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    // compinit -D: no dump file; the script registers itself with compdef.
    let out = Command::new("zsh")
        .args([
            "-f",
            "-c",
            r#"autoload -Uz compinit && compinit -u -D && source <("$0" completions zsh) && print -r -- "${_comps[keyctl]}""#,
            BIN,
        ])
        .env("HOME", home.path())
        .env("ZDOTDIR", home.path())
        .stdin(Stdio::null())
        .output()
        .expect("zsh runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stderr), "");
    assert_eq!(text(&out.stdout).trim(), "_keyctl");
}

#[test]
fn fish_loads_the_script_when_installed() {
    if !have("fish") {
        eprintln!("skipped: fish is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("fish")
        .args([
            "--no-config",
            "-c",
            r#"$argv[1] completions fish | source; and complete -C 'keyctl '"#,
            BIN,
        ])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .expect("fish runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stderr), "");
    let offered: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect();
    for sub in SUBCOMMANDS {
        assert!(offered.iter().any(|w| w == sub), "{sub}: {offered:?}");
    }
}

/// The rendered page with any overstrike (`X\bX`, `_\bX`) removed.
fn plain(rendered: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in rendered.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}

#[tokio::test]
async fn man_renders_without_warnings_with_a_section_per_command() {
    if !have("man") {
        eprintln!("skipped: man is not installed (`keyctl man | man -l -` cannot be tried)");
        return;
    }
    let page = man_page().await;
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{page}");
    let out = run_with_stdin(
        "man",
        &["-l", "-"],
        page.as_bytes(),
        &[("MANWIDTH", "80"), ("MANPAGER", "cat"), ("PAGER", "cat")],
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "man failed: {stderr}");
    assert_eq!(stderr, "", "man warned");
    let rendered = plain(&text(&out.stdout));
    let headings: Vec<&str> = rendered
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(' '))
        .collect();
    for want in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"] {
        assert!(headings.contains(&want), "{want}: {headings:?}");
    }
    for sub in SUBCOMMANDS {
        // `auth` has one command, `auth status`, which has the section.
        let sub: &str = if sub == "auth" { "auth status" } else { sub };
        let want = format!("KEYCTL {}", sub.to_uppercase());
        assert!(headings.contains(&want.as_str()), "{want}: {headings:?}");
    }
    for want in ["ENVIRONMENT", "FILES", "EXIT STATUS"] {
        assert!(headings.contains(&want), "{want}: {headings:?}");
    }
    // No reference to pages that do not exist (keyctl-update(1)).
    assert!(
        !rendered.contains("keyctl-update(1)") && !rendered.contains("keyctl-auth"),
        "{rendered}"
    );
    // The sections come in the order of `keyctl --help`.
    let at = |h: &str| headings.iter().position(|x| *x == h).unwrap();
    let order: Vec<usize> = SUBCOMMANDS
        .iter()
        .map(|s| {
            let s = if *s == "auth" { "auth status" } else { s };
            at(&format!("KEYCTL {}", s.to_uppercase()))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{headings:?}");
    // Each command's options and examples are in its own section.
    // A section: the lines after its heading, up to the next heading.
    let section = |name: &str| -> String {
        rendered
            .lines()
            .skip_while(|l| *l != name)
            .skip(1)
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let check = section("KEYCTL CHECK");
    for want in [
        "--expiring-within",
        "--usage-over",
        "--disabled",
        "EXAMPLES",
        "keyctl check --all",
    ] {
        assert!(check.contains(want), "{want}:\n{check}");
    }
    let auth = section("KEYCTL AUTH STATUS");
    assert!(auth.contains("--all"), "{auth}");
    // No roff leaked into the text (an escape or a request printed as is).
    for leak in ["\\f", "\\-", "\\*(", "\\(", "\\e"] {
        assert!(
            !rendered.contains(leak),
            "roff {leak:?} in the rendered page"
        );
    }
    for request in [".TP", ".SH", ".SS", ".PP", ".nf", ".fi", ".ie", ".el"] {
        assert!(
            !rendered
                .lines()
                .any(|l| l.trim_start().starts_with(request)),
            "roff {request:?} in the rendered page"
        );
    }
    assert!(rendered.lines().count() > 300, "{rendered}");
}

#[tokio::test]
async fn groff_reads_the_page_without_a_warning() {
    if !have("groff") {
        eprintln!("skipped: groff is not installed");
        return;
    }
    let page = man_page().await;
    let out = run_with_stdin("groff", &["-man", "-ww", "-z"], page.as_bytes(), &[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stderr), "", "groff -man -ww -z warned");
}

#[tokio::test]
async fn groff_with_preconv_reads_the_page_without_a_warning() {
    if !have("groff") {
        eprintln!("skipped: groff is not installed");
        return;
    }
    let page = man_page().await;
    // -k runs preconv, as man does: only the encoding issue above is set aside.
    let out = run_with_stdin("groff", &["-k", "-man", "-ww", "-z"], page.as_bytes(), &[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stderr), "", "groff -k -man -ww -z warned");
}

#[tokio::test]
async fn completions_and_man_ignore_a_broken_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[profiles.x\nprovider = = \"venice\"\n\u{0}").unwrap();
    let folder = dir.path().join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let missing = dir.path().join("missing.toml");
    let reference_man = man_page().await;
    let reference_bash = completions("bash").await.stdout;
    for cfg in [&broken, &folder, &missing] {
        let cfg = cfg.to_str().unwrap();
        let with = |args: &[&str]| {
            Keyctl::bare(args)
                .env("KEYCTL_CONFIG", cfg)
                .env("XDG_STATE_HOME", dir.path().to_str().unwrap())
        };
        // The file is indeed unusable for a command that reads it.
        with(&["providers"]).run().await.code(2).stderr_has(cfg);
        let out = with(&["completions", "bash"]).run().await;
        out.code(0);
        assert_eq!(out.stderr, "", "{cfg}");
        assert_eq!(out.stdout, reference_bash, "{cfg}");
        for shell in SHELLS {
            let out = with(&["completions", shell]).run().await;
            out.code(0);
            assert!(!out.stdout.is_empty(), "{shell}");
        }
        let out = with(&["man"]).run().await;
        out.code(0);
        assert_eq!(out.stderr, "", "{cfg}");
        assert_eq!(out.stdout, reference_man, "{cfg}");
        // Nor do a bad KEYCTL_PROFILE, KEYCTL_OUTPUT or KEYCTL_AUDIT stop them.
        let out = with(&["completions", "zsh"])
            .env("KEYCTL_PROFILE", "nope")
            .env("KEYCTL_OUTPUT", "xml")
            .env("KEYCTL_AUDIT", "maybe")
            .run()
            .await;
        out.code(0);
        assert_eq!(out.stderr, "");
    }
}
