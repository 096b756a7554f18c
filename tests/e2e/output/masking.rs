//! The credential is masked before clap or a variable can echo it, and line separators in a
//! name, an error body or a JSON line cannot hide a piece of it.

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::stand_ins::{MG, VENICE, gates_get, gates_key_at, gates_list, mg, no_panic};
use crate::common::{GATES_KEY, Keyctl, Out, SECRET, server};

/// A second credential, for Venice, sharing nothing of [`SECRET`] 8 characters long.
const VENICE_SECRET: &str = "vn-admin-QWERTYZX-99887766aa";

/// True when `text` holds 8 characters in a row of `secret` once every char of `strip` is
/// removed (and, for JSON text, the `\uXXXX` escapes of those chars).
fn shows_piece(text: &str, secret: &str, strip: &[char]) -> bool {
    let mut t = text.to_string();
    for c in strip {
        let mut units = [0u16; 2];
        let esc: String = c
            .encode_utf16(&mut units)
            .iter()
            .map(|u| format!("\\u{u:04x}"))
            .collect();
        t = t.replace(&esc, "").replace(&esc.to_uppercase(), "");
        t = t.replace(*c, "");
    }
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .any(|w| t.contains(&w.iter().collect::<String>()))
}

/// Neither stdout nor stderr shows a piece of `secret` (after removing `strip`).
fn hidden(out: &Out, secret: &str, strip: &[char], what: &str) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !shows_piece(text, secret, strip),
            "{what}: {name} shows a piece of the credential:\n{text}"
        );
    }
}

/// The four usage errors that echo what was typed, each with `secret` as the typed value.
fn echoing_runs(secret: &str) -> Vec<(&'static str, Keyctl)> {
    vec![
        (
            "--timeout <secret>",
            Keyctl::bare(&["list", "-p", "modelgates", "--timeout", secret]),
        ),
        (
            "KEYCTL_OUTPUT=<secret>",
            Keyctl::bare(&["list", "-p", "modelgates"]).env("KEYCTL_OUTPUT", secret),
        ),
        (
            "--columns <secret>",
            Keyctl::bare(&["list", "-p", "modelgates", "--columns", secret]),
        ),
        (
            "KEYCTL_PROVIDER=<secret>",
            Keyctl::bare(&["list"]).env("KEYCTL_PROVIDER", secret),
        ),
        ("-p <secret>", Keyctl::bare(&["list", "-p", secret])),
        (
            "-o <secret>",
            Keyctl::bare(&["list", "-p", "modelgates", "-o", secret]),
        ),
        (
            "--timeout=x<secret>",
            Keyctl::bare(&["list", "-p", "modelgates", &format!("--timeout=x{secret}")]),
        ),
        ("subcommand <secret>", Keyctl::bare(&[secret])),
    ]
}

/// Found by the review round of commit d95c7ef.
#[tokio::test]
async fn a_credential_typed_as_a_value_is_masked_in_usage_errors() {
    for (what, run) in echoing_runs(SECRET) {
        let out = run.env(MG, SECRET).run().await;
        out.code(2).stderr_has("****");
        hidden(&out, SECRET, &[], what);
    }
}

/// Found by the review round of commit d95c7ef.
#[tokio::test]
async fn every_providers_credential_is_masked_in_usage_errors() {
    // Venice's credential in its variable, the error about a ModelGates run: still masked.
    for (what, run) in echoing_runs(VENICE_SECRET) {
        let out = run.env(MG, SECRET).env(VENICE, VENICE_SECRET).run().await;
        out.code(2).stderr_has("****");
        hidden(&out, VENICE_SECRET, &[], what);
        hidden(&out, SECRET, &[], what);
    }
    // Only Venice's variable set (no ModelGates credential at all).
    for (what, run) in echoing_runs(VENICE_SECRET) {
        let out = run.env(VENICE, VENICE_SECRET).run().await;
        out.code(2).stderr_has("****");
        hidden(&out, VENICE_SECRET, &[], what);
    }
}

/// The credential in 7-character pieces joined by `sep`.
fn split_by(sep: char) -> String {
    let chars: Vec<char> = SECRET.chars().collect();
    chars
        .chunks(7)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}

const SEPARATORS: [char; 3] = ['\u{2028}', '\u{2029}', '\u{13430}'];

/// Found by the review round of commit d95c7ef.
#[tokio::test]
async fn separators_in_a_name_do_not_reveal_the_credential() {
    for sep in SEPARATORS {
        let hidden_name = split_by(sep);
        let server = server().await;
        gates_get(
            &server,
            GATES_KEY,
            gates_key_at(GATES_KEY, &hidden_name, json!(10)),
        )
        .await;
        gates_list(
            &server,
            json!([
                gates_key_at(GATES_KEY, &hidden_name, json!(10)),
                gates_key_at("h2", &format!("n {hidden_name} m"), json!(5)),
            ]),
        )
        .await;
        let runs: [&[&str]; 8] = [
            &["get", GATES_KEY, "-o", "table"],
            &["get", GATES_KEY],
            &["get", GATES_KEY, "-o", "json"],
            &["get", GATES_KEY, "-v"],
            &["list"],
            &["list", "-o", "table"],
            &["list", "-o", "json"],
            &["list", "-o", "table", "--columns", "id,name"],
        ];
        for args in runs {
            let what = format!("{sep:?} {args:?}");
            let out = mg(&server, args).run().await;
            out.code(0);
            hidden(&out, SECRET, &SEPARATORS, &what);
            if args.contains(&"json") {
                for l in out.json_lines() {
                    assert!(
                        !shows_piece(&l.to_string(), SECRET, &SEPARATORS),
                        "{what}: {l}"
                    );
                }
            }
        }
    }
}

/// Found by the review round of commit d95c7ef.
#[tokio::test]
async fn separators_in_an_error_body_do_not_reveal_the_credential() {
    for sep in SEPARATORS {
        let hidden_text = split_by(sep);
        let server = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/keys/bad"))
            .respond_with(ResponseTemplate::new(400).set_body_json(
                json!({"error": {"code": 400, "message": format!("bad key {hidden_text}")}}),
            ))
            .mount(&server)
            .await;
        for extra in [&[][..], &["-o", "json"], &["-v"], &["-o", "table"]] {
            let what = format!("{sep:?} {extra:?}");
            let out = mg(&server, &["get", "bad"]).args(extra).run().await;
            assert_ne!(out.code, 0, "{what}: {out:?}");
            no_panic(&out, &what);
            hidden(&out, SECRET, &SEPARATORS, &what);
        }
    }
}

/// Found by the review round of commit d95c7ef.
#[tokio::test]
async fn json_lines_escape_line_separators() {
    let server = server().await;
    let name = "line\u{2028}sep\u{2029}para";
    gates_get(&server, GATES_KEY, gates_key_at(GATES_KEY, name, json!(10))).await;
    let out = mg(&server, &["get", GATES_KEY, "-o", "json"]).run().await;
    out.code(0);
    assert!(
        !out.stdout.contains('\u{2028}') && !out.stdout.contains('\u{2029}'),
        "a raw separator in a JSON line: {:?}",
        out.stdout
    );
    out.stdout_has(r"line\u2028sep\u2029para");
    // Each line is one line and parses back to the same name.
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{out:?}");
    assert_eq!(lines[0]["after"]["name"], name, "{}", lines[0]);
}

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn messages_naming_a_credential_variable_are_not_masked() {
    // A Venice admin key starts with its variable's name: the name stays readable.
    let out = Keyctl::bare(&[
        "get",
        "-p",
        "venice",
        "e28e82dc-9df2-4b47-b726-d0a222ef2ab5",
    ])
    .env("VENICE_ADMIN_KEY", "VENICE_ADMIN_KEY_aZ3kP9qLmN2xR7tY")
    .arg("--base-url")
    .arg("http://127.0.0.1:9")
    .args(&["--retries", "0"])
    .run()
    .await;
    assert!(!out.stderr.contains("aZ3kP9qL"), "{}", out.stderr);
    let out = Keyctl::bare(&["get", "-p", "ionet", "3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23"])
        .env("VENICE_ADMIN_KEY", "VENICE_ADMIN_KEY_aZ3kP9qLmN2xR7tY")
        .run()
        .await;
    out.code(3).stderr_has("set IONET_ADMIN_KEY");
}
