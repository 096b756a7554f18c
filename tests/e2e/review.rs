//! The fixes of the review round (commit d95c7ef), one or more tests each, so that a regression
//! fails: the credential masked before clap or a variable can echo it, line separators that
//! cannot hide the key, out-of-range and negative amounts, Venice null caps, keys already as
//! asked, a failed `get` without a row, `#` comments after ids, and `--columns` by header.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{GATES_KEY, Keyctl, Out, SECRET, VENICE_KEY, fixture, forbid_patch, server};

const MG: &str = "MODELGATES_MANAGEMENT_KEY";
const VENICE: &str = "VENICE_ADMIN_KEY";
/// A second credential, for Venice, sharing nothing of [`SECRET`] 8 characters long.
const VENICE_SECRET: &str = "vn-admin-QWERTYZX-99887766aa";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

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

/// Not a panic: neither Rust's panic exit (101) nor an abort (134), nor a signal.
fn no_panic(out: &Out, what: &str) {
    assert!(
        ![101, 134, -1].contains(&out.code),
        "{what}: exit {} looks like a panic:\n{out:?}",
        out.code
    );
    assert!(!out.stderr.contains("panicked"), "{what}: {out:?}");
}

/// `GET /api/v1/keys/{hash}` answers 200 `{"data": data}`.
async fn gates_get(server: &MockServer, hash: &str, data: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{hash}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": data })))
        .mount(server)
        .await;
}

/// `GET /api/v1/keys?offset=0` answers 200 `{"data": keys}` (a short page: the last).
async fn gates_list(server: &MockServer, keys: Value) {
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": keys })))
        .mount(server)
        .await;
}

/// A ModelGates key object.
fn gates_key(hash: &str, name: &str, limit: Value) -> Value {
    json!({"hash": hash, "name": name, "label": name, "disabled": false, "limit": limit,
           "limit_remaining": 1, "limit_reset": "daily", "usage": 2})
}

/// `GET /api/v1/api_keys/{VENICE_KEY}` answers 200 with `data`.
async fn venice_get(server: &MockServer, data: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": data, "success": true})),
        )
        .mount(server)
        .await;
}

fn mg(server: &MockServer, args: &[&str]) -> Keyctl {
    Keyctl::new(MG, &["-p", "modelgates"])
        .base(server)
        .args(args)
}

fn venice(server: &MockServer, args: &[&str]) -> Keyctl {
    Keyctl::new(VENICE, &["-p", "venice"])
        .base(server)
        .args(args)
}

/// The requests of one method the server received, as paths.
async fn requests(server: &MockServer, m: &str) -> Vec<String> {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .iter()
        .filter(|r| r.method.as_str() == m)
        .map(|r| r.url.path().to_string())
        .collect()
}

/// The TSV on stdout: header cells, then each row's cells.
fn tsv(out: &Out) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = out.stdout.lines();
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("no TSV header: {out:?}"))
        .split('\t')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The cell of column `name` in `row`.
fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {header:?}"));
    &row[i]
}

// ---------------------------------------------------------------------------------------------
// 1. The credential is masked before anything can echo it
// ---------------------------------------------------------------------------------------------

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

#[tokio::test]
async fn a_credential_typed_as_a_value_is_masked_in_usage_errors() {
    for (what, run) in echoing_runs(SECRET) {
        let out = run.env(MG, SECRET).run().await;
        out.code(2).stderr_has("****");
        hidden(&out, SECRET, &[], what);
    }
}

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

// ---------------------------------------------------------------------------------------------
// 2. Line and paragraph separators cannot hide the key
// ---------------------------------------------------------------------------------------------

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

#[tokio::test]
async fn separators_in_a_name_do_not_reveal_the_credential() {
    for sep in SEPARATORS {
        let hidden_name = split_by(sep);
        let server = server().await;
        gates_get(
            &server,
            GATES_KEY,
            gates_key(GATES_KEY, &hidden_name, json!(10)),
        )
        .await;
        gates_list(
            &server,
            json!([
                gates_key(GATES_KEY, &hidden_name, json!(10)),
                gates_key("h2", &format!("n {hidden_name} m"), json!(5)),
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

#[tokio::test]
async fn json_lines_escape_line_separators() {
    let server = server().await;
    let name = "line\u{2028}sep\u{2029}para";
    gates_get(&server, GATES_KEY, gates_key(GATES_KEY, name, json!(10))).await;
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

// ---------------------------------------------------------------------------------------------
// 3. Out-of-range numbers never panic
// ---------------------------------------------------------------------------------------------

/// `remaining` and `usage` of a JSON side are absent, null, or numbers >= 0.
fn sane_money(side: &Value, what: &str) {
    for f in ["remaining", "usage", "limit"] {
        match side.get(f) {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => {
                let s = n.to_string();
                assert!(!s.starts_with('-'), "{what}: {f} is {s}: {side}");
            }
            Some(other) => panic!("{what}: {f} is {other}: {side}"),
        }
    }
}

/// A server answering GET and PATCH of `h` (and a list of it) with `key` (raw JSON text).
async fn raw_key_server(h: &str, key: &str) -> MockServer {
    let server = server().await;
    let one = format!(r#"{{"data":{key}}}"#);
    let list = format!(r#"{{"data":[{key}]}}"#);
    for m in ["GET", "PATCH"] {
        Mock::given(method(m))
            .and(path(format!("/api/v1/keys/{h}")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(one.clone(), "application/json"))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(list, "application/json"))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn out_of_range_amounts_never_panic() {
    const MAX: &str = "79228162514264337593543950335";
    let huge = "9".repeat(400);
    let cases = [
        (MAX.to_string(), format!("-{MAX}")),
        (format!("\"{MAX}\""), "\"-0.5\"".to_string()),
        (format!("\"{MAX}\""), format!("\"-{MAX}\"")),
        (huge.clone(), format!("-{huge}")),
        (format!("{huge}.5"), "-0.5".to_string()),
        ("1e400".to_string(), "-1e400".to_string()),
    ];
    for (limit, usage) in cases {
        let key = format!(
            r#"{{"hash":"h","limit":{limit},"usage":{usage},"usage_daily":{usage},"limit_remaining":{limit},"limit_reset":null}}"#
        );
        let server = raw_key_server("h", &key).await;
        let runs: [&[&str]; 8] = [
            &["get", "h", "-o", "json"],
            &["get", "h"],
            &["list"],
            &["update", "h", "--limit", "none", "--dry-run"],
            &["get", "h", "-o", "table"],
            &["list", "-o", "json"],
            &["list", "-o", "table"],
            &["update", "h", "--name", "x", "-o", "json"],
        ];
        for args in runs {
            let what = format!("limit {:.40} usage {:.40} {args:?}", limit, usage);
            let out = mg(&server, args).run().await;
            no_panic(&out, &what);
            out.code(0);
            if !args.contains(&"-o") && args[0] != "update" {
                // TSV: no amount cell is negative.
                let (h, rows) = tsv(&out);
                for f in ["limit", "usage", "remaining"] {
                    let c = cell(&h, &rows[0], f);
                    assert!(!c.starts_with('-'), "{what}: {f} is {c}: {out:?}");
                }
            }
            if args.contains(&"json") {
                for l in out.json_lines() {
                    if args[0] == "update" {
                        assert_eq!(l["status"], "updated", "{what}: {l}");
                    }
                    for side in ["before", "after"] {
                        if let Some(s) = l.get(side) {
                            sane_money(s, &what);
                        }
                    }
                }
            }
        }
        // The write was applied: exactly one PATCH (the dry run sent nothing).
        assert_eq!(
            requests(&server, "PATCH").await,
            ["/api/v1/keys/h"],
            "{limit:.40}"
        );
    }
}

#[tokio::test]
async fn relative_limits_on_out_of_range_amounts_are_refused_not_panicking() {
    const MAX: &str = "79228162514264337593543950335";
    for (limit, delta) in [
        (MAX.to_string(), "+1"),
        (MAX.to_string(), "-0.5"),
        ("1.0000000000000000000000000001".to_string(), "+10"),
    ] {
        let key = format!(r#"{{"hash":"h","limit":{limit},"usage":0,"limit_reset":null}}"#);
        let server = raw_key_server("h", &key).await;
        let out = mg(&server, &["update", "h", "--limit", delta]).run().await;
        no_panic(&out, delta);
        assert_ne!(out.code, 0, "{limit} {delta}: {out:?}");
        assert!(
            requests(&server, "PATCH").await.is_empty(),
            "{limit} {delta}: a write was sent: {out:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Negative money is not trusted
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_negative_limit_remaining_is_not_shown() {
    let server = server().await;
    let key = json!({"hash": GATES_KEY, "name": "k", "limit": 10, "limit_remaining": -2.5,
                     "limit_reset": "daily", "usage": 40, "usage_daily": 12.5});
    gates_get(&server, GATES_KEY, key.clone()).await;
    gates_list(&server, json!([key])).await;
    let out = mg(&server, &["get", GATES_KEY, "-o", "json"]).run().await;
    out.code(0);
    let l = &out.json_lines()[0];
    assert_eq!(l["after"]["remaining"], json!(0), "{l}");
    assert_eq!(l["after"]["usage"], json!(12.5), "{l}");
    for args in [&["get", GATES_KEY][..], &["list"]] {
        let out = mg(&server, args).run().await;
        out.code(0);
        let (h, rows) = tsv(&out);
        assert_eq!(rows.len(), 1, "{out:?}");
        assert_eq!(cell(&h, &rows[0], "remaining"), "0", "{args:?}: {out:?}");
        assert!(!out.stdout.contains("-2.5"), "{out:?}");
    }
    let out = mg(&server, &["get", GATES_KEY, "-o", "table"]).run().await;
    out.code(0);
    assert!(!out.stdout.contains("-2.5"), "{out:?}");
}

#[tokio::test]
async fn a_negative_venice_cap_is_not_known() {
    for limits in [
        json!({"usd": -3}),
        json!({"usd": -3, "diem": null, "vcu": null}),
        json!({"usd": "-3", "diem": 4}),
    ] {
        let server = server().await;
        venice_get(
            &server,
            json!({"id": VENICE_KEY, "description": "v", "consumptionLimits": limits,
                   "limitPeriod": "MONTH", "currentPeriodUsage": {"usd": "1.25", "diem": "0"}}),
        )
        .await;
        let out = venice(&server, &["get", VENICE_KEY, "-o", "json"])
            .run()
            .await;
        out.code(0);
        let l = &out.json_lines()[0];
        let after = &l["after"];
        assert!(
            after["limits"].get("usd").is_none(),
            "{limits}: usd cap shown: {l}"
        );
        assert!(
            after
                .get("limit")
                .is_none_or(|v| !v.is_null() && v != &json!(-3)),
            "{limits}: limit is {} (none or -3): {l}",
            after["limit"]
        );
        assert!(
            after.get("limit").is_none(),
            "{limits}: limit should not be known: {l}"
        );
        assert!(
            after
                .get("remaining")
                .is_none_or(|v| v.as_f64().is_some_and(|f| f >= 0.0)),
            "{limits}: {l}"
        );
        // The provider's own answer (`raw`) keeps what it said; the model never says -3.
        let mut model = after.clone();
        model.as_object_mut().unwrap().remove("raw");
        assert!(!model.to_string().contains("-3"), "{limits}: {l}");
        let out = venice(&server, &["get", VENICE_KEY]).run().await;
        out.code(0);
        let (h, rows) = tsv(&out);
        assert_eq!(cell(&h, &rows[0], "limit"), "", "{limits}: {out:?}");
        assert_ne!(cell(&h, &rows[0], "remaining"), "none", "{limits}: {out:?}");
        assert!(!out.stdout.contains("-3"), "{limits}: {out:?}");
        let out = venice(&server, &["get", VENICE_KEY, "-o", "table"])
            .run()
            .await;
        out.code(0);
        assert!(!out.stdout.contains("-3"), "{limits}: {out:?}");
        // Other currencies may read `none` (no cap); the usd cap, the limit and what remains
        // never do.
        for l in out.stdout.lines() {
            let bad = (l.starts_with("limits:") && l.contains("usd"))
                || ((l.starts_with("limit:") || l.starts_with("remaining:")) && l.contains("none"));
            assert!(!bad, "{limits}: {l:?} in:\n{}", out.stdout);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Venice `consumptionLimits: null`
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn venice_null_limits_send_the_other_currencies_as_null() {
    let server = server().await;
    venice_get(
        &server,
        json!({"id": VENICE_KEY, "description": "v", "consumptionLimits": null}),
    )
    .await;
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .and(body_json(json!({"id": VENICE_KEY,
                              "consumptionLimit": {"usd": null, "diem": 5, "vcu": null}})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("venice/update_response.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    venice(&server, &["update", VENICE_KEY, "--limit-diem", "5"])
        .run()
        .await
        .code(0);
    server.verify().await;
}

// ---------------------------------------------------------------------------------------------
// 6. A key already as asked is unchanged and nothing is written
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_key_already_as_asked_is_unchanged_and_not_written() {
    for args in [
        &["--limit", "+0"][..],
        &["--limit=+0"],
        &["--limit", "38", "--dry-run"],
        &["--limit", "-0"],
        &["--limit", "+0", "--dry-run"],
    ] {
        let server = server().await;
        forbid_patch(&server).await;
        gates_get(&server, GATES_KEY, gates_key(GATES_KEY, "k", json!(38))).await;
        let out = mg(&server, &["update", GATES_KEY, "-o", "json"])
            .args(args)
            .run()
            .await;
        out.code(0);
        let l = &out.json_lines();
        assert_eq!(l.len(), 1, "{args:?}: {out:?}");
        assert_eq!(l[0]["status"], "unchanged", "{args:?}: {}", l[0]);
        assert!(requests(&server, "PATCH").await.is_empty(), "{args:?}");
    }
    // +1 is a change: {"limit": 39} is sent once.
    let server = server().await;
    gates_get(&server, GATES_KEY, gates_key(GATES_KEY, "k", json!(38))).await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .and(body_json(json!({"limit": 39})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": gates_key(GATES_KEY, "k", json!(39))})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let out = mg(
        &server,
        &["update", GATES_KEY, "--limit", "+1", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["status"], "updated", "{out:?}");
    server.verify().await;
}

#[tokio::test]
async fn a_venice_key_already_as_asked_is_unchanged_and_not_written() {
    for args in [
        &["--limit", "-0"][..],
        &["--limit=-0"],
        &["--limit", "+0"],
        &["--limit", "38", "--dry-run"],
    ] {
        let server = server().await;
        forbid_patch(&server).await;
        venice_get(
            &server,
            json!({"id": VENICE_KEY, "description": "v",
                   "consumptionLimits": {"usd": 38, "diem": null, "vcu": null},
                   "limitPeriod": "MONTH", "currentPeriodUsage": {"usd": "1", "diem": "0"}}),
        )
        .await;
        let out = venice(&server, &["update", VENICE_KEY, "-o", "json"])
            .args(args)
            .run()
            .await;
        out.code(0);
        let l = out.json_lines();
        assert_eq!(l.len(), 1, "{args:?}: {out:?}");
        assert_eq!(l[0]["status"], "unchanged", "{args:?}: {}", l[0]);
        assert!(requests(&server, "PATCH").await.is_empty(), "{args:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 7. `get` of a key that fails has no row
// ---------------------------------------------------------------------------------------------

/// A key `get` reads and one it cannot (404), by full ids.
const GOOD: &str = "600d000000000000000000000000000000000000000000000000000000000001";
const BAD: &str = "bad0000000000000000000000000000000000000000000000000000000000002";

async fn good_and_bad() -> MockServer {
    let server = server().await;
    gates_get(&server, GOOD, gates_key(GOOD, "fine", json!(10))).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{BAD}")))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(fixture("modelgates/error_404.json")),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_failed_get_has_no_row() {
    let server = good_and_bad().await;
    let out = mg(&server, &["get", GOOD, BAD]).run().await;
    out.code(4);
    let (h, rows) = tsv(&out);
    assert_eq!(h[0], "id", "{out:?}");
    assert_eq!(rows.len(), 1, "exactly one row: {out:?}");
    assert_eq!(cell(&h, &rows[0], "id"), GOOD, "{out:?}");
    assert!(!out.stdout.contains(BAD), "{out:?}");
    assert_eq!(
        out.stderr.matches(BAD).count(),
        1,
        "the error names the key once:\n{}",
        out.stderr
    );
    // The bad key first: same.
    let out = mg(&server, &["get", BAD, GOOD]).run().await;
    out.code(4);
    let (_, rows) = tsv(&out);
    assert_eq!(rows.len(), 1, "{out:?}");
    // A table has no row for it either.
    let out = mg(&server, &["get", GOOD, BAD, "-o", "table"]).run().await;
    out.code(4);
    assert!(!out.stdout.contains(BAD), "{out:?}");
    out.stdout_has(GOOD);
    // JSON keeps a `failed` line for it.
    let out = mg(&server, &["get", GOOD, BAD, "-o", "json"]).run().await;
    out.code(4);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2, "{out:?}");
    let bad = lines
        .iter()
        .find(|l| l["key"] == BAD)
        .unwrap_or_else(|| panic!("no line for bad: {out:?}"));
    assert_eq!(bad["status"], "failed", "{bad}");
    let good = lines.iter().find(|l| l["key"] == GOOD).unwrap();
    assert_eq!(good["status"], "ok", "{good}");
}

// ---------------------------------------------------------------------------------------------
// 8. `--from-file` with `ID # comment`
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn comments_after_ids_in_a_key_file_are_stripped() {
    let [h1, h2, h3] = [1, 2, 3].map(|i| format!("{i:064x}"));
    let server = server_with_patches(&[&*h1, &*h2, &*h3]).await;
    let out = from_file(
        &server,
        &format!(
            "{h1} # production\n# only a comment\n   # indented comment\n{h2} #spaced\n\t{h3}\t# tabbed\n\n{h1} # again\n"
        ),
    )
    .await;
    out.code(0);
    let mut sent = requests(&server, "PATCH").await;
    sent.sort();
    assert_eq!(
        sent,
        [h1.clone(), h2.clone(), h3.clone()].map(|h| format!("/api/v1/keys/{h}")),
        "{out:?}"
    );
    assert!(!out.stdout.contains('#'), "{out:?}");
    // The same from standard input.
    let server2 = server_with_patches(&[&*h1, &*h2]).await;
    let out = mg(&server2, &["update", "--limit", "5", "--from-file", "-"])
        .stdin(format!("{h1}   # a\n#b\n{h2} #c\n").as_bytes())
        .run()
        .await;
    out.code(0);
    let mut sent = requests(&server2, "PATCH").await;
    sent.sort();
    assert_eq!(
        sent,
        [h1.clone(), h2.clone()].map(|h| format!("/api/v1/keys/{h}")),
        "{out:?}"
    );
    // `#` glued to the text is part of it (a name may hold `#`): `ID#tight` is no full id, so it
    // is looked up in the key list (read once), names no key, and nothing is sent.
    let server3 = server_with_patches(&[&*h2]).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [gates_key(&h2, "k", json!(5))]})),
        )
        .expect(1)
        .mount(&server3)
        .await;
    let out = from_file(&server3, &format!("{h2}#tight\n")).await;
    out.code(4).stderr_has(&format!("'{h2}#tight'"));
    assert!(requests(&server3, "PATCH").await.is_empty(), "{out:?}");
}

/// `update --limit 5 --from-file F` with F holding `contents`.
async fn from_file(server: &MockServer, contents: &str) -> Out {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys.txt");
    std::fs::write(&file, contents).unwrap();
    mg(
        server,
        &[
            "update",
            "--limit",
            "5",
            "--from-file",
            file.to_str().unwrap(),
        ],
    )
    .run()
    .await
}

async fn server_with_patches(hs: &[&str]) -> MockServer {
    let server = server().await;
    for h in hs {
        Mock::given(method("PATCH"))
            .and(path(format!("/api/v1/keys/{h}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": gates_key(h, "k", json!(5))})),
            )
            .mount(&server)
            .await;
    }
    server
}

#[tokio::test]
async fn a_key_file_of_comments_only_is_refused() {
    let server = server().await;
    forbid_patch(&server).await;
    from_file(&server, "# a\n  # b\n\n").await.code(2);
}

// ---------------------------------------------------------------------------------------------
// 9. `--columns` takes table headers, and repeats
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn columns_by_header_are_accepted() {
    let cols = "diem,vcu,byok,total,last_used";
    let server = server().await;
    gates_get(&server, GATES_KEY, gates_key(GATES_KEY, "k", json!(10))).await;
    let out = mg(&server, &["get", GATES_KEY, "--columns", cols])
        .run()
        .await;
    out.code(0);
    let (h, rows) = tsv(&out);
    assert_eq!(h.len(), 5, "{out:?}");
    assert_eq!(rows.len(), 1, "{out:?}");
    assert_eq!(
        h,
        [
            "limits.diem",
            "limits.vcu",
            "include_byok_in_limit",
            "usage_total",
            "last_used"
        ],
        "{out:?}"
    );
    // Upper case, spaces and a table too.
    mg(
        &server,
        &[
            "get",
            GATES_KEY,
            "--columns",
            "DIEM,Last Used",
            "-o",
            "table",
        ],
    )
    .run()
    .await
    .code(0);

    let server = crate::common::server().await;
    venice_get(
        &server,
        json!({"id": VENICE_KEY, "description": "v",
               "consumptionLimits": {"usd": 5, "diem": 2, "vcu": null},
               "limitPeriod": "MONTH", "currentPeriodUsage": {"usd": "1", "diem": "0"}}),
    )
    .await;
    let out = venice(&server, &["get", VENICE_KEY, "--columns", cols])
        .run()
        .await;
    out.code(0);
    let (h, rows) = tsv(&out);
    assert_eq!(h.len(), 5, "{out:?}");
    assert_eq!(cell(&h, &rows[0], "limits.diem"), "2", "{out:?}");
}

#[tokio::test]
async fn a_repeated_column_is_printed_twice() {
    let server = server().await;
    gates_get(&server, GATES_KEY, gates_key(GATES_KEY, "twice", json!(10))).await;
    let out = mg(&server, &["get", GATES_KEY, "--columns", "name,name"])
        .run()
        .await;
    out.code(0);
    assert_eq!(out.stdout, "name\tname\ntwice\ttwice\n", "{out:?}");
}
