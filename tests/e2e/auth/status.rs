//! `keyctl auth status` against wiremock: the exact credential check each API family sends,
//! every status (ok, rejected, missing, unreachable, error) with its exit code, in TSV and JSON;
//! `--all` over a config file's profiles (file order, the worst code, `-p` and `-P`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::home::Home;
use crate::common::profiles_file::{SECOND, cells, closed_url, profile};
use crate::common::{Keyctl, Out, SECRET, server};

const AUTH_HEADERS: &str = "profile\tprovider\tstatus\tdetail\tbase_url\tcredential";

/// An API family as `auth status` checks it: the provider, its variable, the request it must
/// send (path, auth header name and value) and a 2xx answer proving a management credential.
struct Family {
    id: &'static str,
    var: &'static str,
    path: &'static str,
    auth: (&'static str, String),
    ok_body: Value,
    ok_detail: &'static str,
}

/// `GET /api/v1/key`'s answer (LIFECYCLE.md 3.5) with `is_management_key` set to `management`.
fn current_key(management: Value) -> Value {
    json!({"data": {"label": "sk-or-v1-abc...xyz", "limit": null, "usage": 0.5,
        "usage_daily": 0, "usage_weekly": 0, "usage_monthly": 0.5, "byok_usage": 0,
        "is_free_tier": false, "is_management_key": management, "is_provisioning_key": false,
        "limit_remaining": null, "limit_reset": null, "include_byok_in_limit": false,
        "rate_limit": {"requests": -1, "interval": "10s", "note": "deprecated"},
        "expires_at": null}})
}

fn bearer() -> (&'static str, String) {
    ("authorization", format!("Bearer {SECRET}"))
}

fn families() -> Vec<Family> {
    let gates = |id, var| Family {
        id,
        var,
        path: "/api/v1/key",
        auth: bearer(),
        ok_body: current_key(json!(true)),
        ok_detail: "management key",
    };
    vec![
        gates("modelgates", "MODELGATES_MANAGEMENT_KEY"),
        gates("novapai", "NOVAPAI_MANAGEMENT_KEY"),
        gates("openrouter", "OPENROUTER_MANAGEMENT_KEY"),
        Family {
            id: "venice",
            var: "VENICE_ADMIN_KEY",
            path: "/api/v1/api_keys",
            auth: bearer(),
            ok_body: json!({"object": "list", "data": [
                {"id": "e28e82dc-9df2-4b47-b726-d0a222ef2ab5", "description": "a",
                 "apiKeyType": "INFERENCE", "consumptionLimits": {"usd": 5},
                 "currentPeriodUsage": {"usd": "1", "diem": "0"}, "limitPeriod": "MONTH"},
                {"id": "0c3a1e2b-7d4f-4a1b-9c8d-112233445566", "description": "b",
                 "apiKeyType": "ADMIN"}]}),
            ok_detail: "2 keys listed",
        },
        Family {
            id: "ionet",
            var: "IONET_ADMIN_KEY",
            path: "/v1/api-keys/sub-keys",
            auth: ("x-api-key", SECRET.to_string()),
            ok_body: json!({"status": "succeeded", "data": [
                {"id": "3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23", "description": "bot",
                 "credit_limit": 10, "credit_used": 3, "expires_at": null}]}),
            ok_detail: "1 key listed",
        },
    ]
}

/// Mounts the family's credential check (exact method, path and auth header) answering
/// `status` with `body`, expected `times` times; a server with the catch-all.
async fn check_server(f: &Family, status: u16, body: Value, times: u64) -> MockServer {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(f.path))
        .and(header(f.auth.0, f.auth.1.as_str()))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .expect(times)
        .named(format!("{} credential check", f.id))
        .mount(&s)
        .await;
    s
}

/// `keyctl auth status -p ID --base-url URI <more>` with the family's variable set to SECRET.
async fn status_of(f: &Family, s: &MockServer, more: &[&str]) -> Out {
    let sb = Home::without_config();
    let mut args = vec!["auth", "status", "-p", f.id];
    args.extend_from_slice(more);
    sb.apply(Keyctl::new(f.var, &args).base(s)).run().await
}

/// Every request the server saw is the one credential check: GET, the path, no query, no
/// body, the family's auth header and no other credential header.
async fn only_the_check_was_sent(f: &Family, s: &MockServer, n: usize) {
    let reqs = s.received_requests().await.unwrap();
    assert_eq!(reqs.len(), n, "{}: {reqs:?}", f.id);
    for r in reqs {
        assert_eq!(r.method.as_str(), "GET", "{}", f.id);
        assert_eq!(r.url.path(), f.path, "{}", f.id);
        assert_eq!(r.url.query(), None, "{}", f.id);
        assert!(r.body.is_empty(), "{}", f.id);
        let got: Vec<_> = r.headers.get_all(f.auth.0).iter().collect();
        assert_eq!(got.len(), 1, "{}: {:?}", f.id, r.headers);
        assert_eq!(got[0].to_str().unwrap(), f.auth.1, "{}", f.id);
        let other = if f.auth.0 == "authorization" {
            "x-api-key"
        } else {
            "authorization"
        };
        assert!(r.headers.get(other).is_none(), "{}: {:?}", f.id, r.headers);
    }
}

#[tokio::test]
async fn ok_for_every_family_with_the_exact_request_in_tsv_and_json() {
    for f in families() {
        let s = check_server(&f, 200, f.ok_body.clone(), 2).await;
        let out = status_of(&f, &s, &["-o", "tsv"]).await;
        out.code(0);
        assert_eq!(out.stderr, "", "{}", f.id);
        let want = format!(
            "{AUTH_HEADERS}\n\t{}\tok\t{}\t{}/\tenv {}\n",
            f.id,
            f.ok_detail,
            s.uri(),
            f.var
        );
        assert_eq!(out.stdout, want, "{}", f.id);

        let out = status_of(&f, &s, &["-o", "json"]).await;
        out.code(0);
        let lines = out.json_lines();
        assert_eq!(lines.len(), 1, "{}", out.stdout);
        assert_eq!(
            lines[0],
            json!({"profile": null, "provider": f.id, "status": "ok", "detail": f.ok_detail,
                   "http_status": null, "base_url": format!("{}/", s.uri()),
                   "credential_source": "env", "credential": f.var}),
            "{}",
            f.id
        );
        only_the_check_was_sent(&f, &s, 2).await;
    }
}

#[tokio::test]
async fn the_deprecated_provisioning_flag_counts_as_a_management_key() {
    let f = &families()[2];
    let mut body = current_key(Value::Null);
    body["data"]["is_provisioning_key"] = json!(true);
    let s = check_server(f, 200, body, 1).await;
    let out = status_of(f, &s, &["-o", "json"]).await;
    out.code(0);
    let l = &out.json_lines()[0];
    assert_eq!(l["status"], "ok");
    assert!(
        l["detail"]
            .as_str()
            .unwrap()
            .contains("is_provisioning_key"),
        "{l}"
    );
}

#[tokio::test]
async fn a_401_or_403_is_rejected_exit_3() {
    for f in families() {
        for status in [401u16, 403] {
            let body = json!({"error": {"code": status, "message": "No auth credentials found"}});
            let s = check_server(&f, status, body, 2).await;
            let out = status_of(&f, &s, &["-o", "tsv"]).await;
            out.code(3);
            let rows = cells(&out);
            assert_eq!(rows.len(), 2, "{}", out.stdout);
            assert_eq!(rows[0].join("\t"), AUTH_HEADERS);
            assert_eq!(rows[1][1], f.id);
            assert_eq!(rows[1][2], "rejected", "{} {status}: {}", f.id, out.stdout);
            assert_eq!(rows[1][4], format!("{}/", s.uri()));
            assert_eq!(rows[1][5], format!("env {}", f.var));

            let out = status_of(&f, &s, &["-o", "json"]).await;
            out.code(3);
            let l = &out.json_lines()[0];
            assert_eq!(l["status"], "rejected", "{} {status}: {l}", f.id);
            assert_eq!(l["http_status"], json!(status), "{} {status}: {l}", f.id);
            assert_eq!(l["provider"], f.id);
            assert_eq!(l["profile"], Value::Null);
            assert!(!l["detail"].as_str().unwrap().is_empty(), "{l}");
            // Refused credentials are not retried.
            only_the_check_was_sent(&f, &s, 2).await;
        }
    }
}

#[tokio::test]
async fn an_inference_key_is_rejected_as_not_a_management_key() {
    for f in families().iter().take(3) {
        let mut no_flag = current_key(Value::Null);
        no_flag["data"]
            .as_object_mut()
            .unwrap()
            .remove("is_management_key");
        for body in [current_key(json!(false)), no_flag] {
            let s = check_server(f, 200, body, 2).await;
            let out = status_of(f, &s, &["-o", "tsv"]).await;
            out.code(3);
            let rows = cells(&out);
            assert_eq!(rows.len(), 2, "{}", out.stdout);
            assert_eq!(rows[1][2], "rejected", "{}", out.stdout);
            assert!(
                rows[1][3].starts_with("this is not a management key"),
                "{}",
                out.stdout
            );
            assert!(rows[1][3].contains(f.var), "{}", out.stdout);

            let out = status_of(f, &s, &["-o", "json"]).await;
            out.code(3);
            let l = &out.json_lines()[0];
            assert_eq!(l["status"], "rejected");
            let detail = l["detail"].as_str().unwrap();
            assert!(
                detail.contains("not a management key") && detail.contains("Management keys"),
                "{detail}"
            );
            only_the_check_was_sent(f, &s, 2).await;
        }
    }
}

#[tokio::test]
async fn a_missing_credential_is_exit_3_and_sends_nothing() {
    for f in families() {
        let s = server().await;
        let sb = Home::without_config();
        let out = sb
            .apply(Keyctl::bare(&["auth", "status", "-p", f.id, "-o", "tsv"]).base(&s))
            .run()
            .await;
        out.code(3);
        let rows = cells(&out);
        assert_eq!(rows.len(), 2, "{}", out.stdout);
        assert_eq!(rows[1][2], "missing", "{}", out.stdout);
        assert!(rows[1][3].contains(f.var), "{}", out.stdout);
        assert_eq!(rows[1][5], format!("env {}", f.var));

        let out = sb
            .apply(Keyctl::bare(&["auth", "status", "-p", f.id, "-o", "json"]).base(&s))
            .run()
            .await;
        out.code(3);
        let l = &out.json_lines()[0];
        assert_eq!(l["status"], "missing");
        assert_eq!(l["http_status"], Value::Null);
        assert_eq!(l["credential_source"], "env");
        assert_eq!(l["credential"], f.var);
        assert!(
            s.received_requests().await.unwrap().is_empty(),
            "{}: a request was sent without a credential",
            f.id
        );
    }
}

#[tokio::test]
async fn a_closed_port_is_unreachable_exit_8_and_fast() {
    for f in families() {
        let url = closed_url();
        let sb = Home::without_config();
        let started = Instant::now();
        let out = sb
            .apply(Keyctl::new(
                f.var,
                &[
                    "auth",
                    "status",
                    "-p",
                    f.id,
                    "--base-url",
                    &url,
                    "--retries",
                    "0",
                    "-o",
                    "json",
                ],
            ))
            .run()
            .await;
        assert!(started.elapsed() < Duration::from_secs(5), "{}", f.id);
        out.code(8);
        let l = &out.json_lines()[0];
        assert_eq!(l["status"], "unreachable", "{l}");
        assert_eq!(l["http_status"], Value::Null);
        assert_eq!(l["base_url"], format!("{url}/"));
        assert!(l["detail"].as_str().unwrap().contains("connect"), "{l}");

        let out = sb
            .apply(Keyctl::new(
                f.var,
                &[
                    "auth",
                    "status",
                    "-p",
                    f.id,
                    "--base-url",
                    &url,
                    "--retries",
                    "0",
                    "-o",
                    "tsv",
                ],
            ))
            .run()
            .await;
        out.code(8);
        assert_eq!(cells(&out)[1][2], "unreachable", "{}", out.stdout);
    }
}

#[tokio::test]
async fn a_500_is_an_error_exit_7_and_not_retried_with_retries_0() {
    for f in families() {
        let body = json!({"error": {"code": 500, "message": "Internal Server Error"}});
        let s = check_server(&f, 500, body, 2).await;
        let out = status_of(&f, &s, &["--retries", "0", "-o", "json"]).await;
        out.code(7);
        let l = &out.json_lines()[0];
        assert_eq!(l["status"], "error", "{l}");
        assert_eq!(l["http_status"], json!(500), "{l}");
        let out = status_of(&f, &s, &["--retries", "0", "-o", "tsv"]).await;
        out.code(7);
        assert_eq!(cells(&out)[1][2], "error", "{}", out.stdout);
        only_the_check_was_sent(&f, &s, 2).await;
    }
}

#[tokio::test]
async fn venice_402_is_rejected_exit_3() {
    let f = &families()[3];
    let body = json!({"error": "Payment required: an inference key cannot list keys"});
    let s = check_server(f, 402, body, 1).await;
    let out = status_of(f, &s, &["-o", "json"]).await;
    out.code(3);
    let l = &out.json_lines()[0];
    assert_eq!(l["status"], "rejected", "{l}");
    assert_eq!(l["http_status"], json!(402), "{l}");
}

/// The README's table: "error: anything else (a 5xx, an answer keyctl cannot read); its own
/// code (4-7)". A 2xx answer that is not the documented shape proves nothing about the
/// credential, so it is not "rejected" (exit 3, "fix your credential").
#[tokio::test]
async fn an_unreadable_answer_is_an_error_not_a_rejection() {
    let fams = families();
    for (f, body) in [
        (&fams[0], "<html>maintenance</html>"),
        (&fams[0], r#"{"ok": true}"#),
        (&fams[3], r#"{"object": "list"}"#),
        (&fams[4], r#"{"status": "succeeded"}"#),
    ] {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path(f.path))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&s)
            .await;
        let out = status_of(f, &s, &["-o", "json"]).await;
        let l = &out.json_lines()[0];
        assert_eq!(l["status"], "error", "{}: {body}: {l}", f.id);
        out.code(7);
    }
}

#[tokio::test]
async fn a_missing_file_an_empty_file_or_a_failing_command_is_missing() {
    let s = server().await;
    let sb = Home::without_config();
    let empty = sb.path().join("empty.key");
    std::fs::write(&empty, "\n").unwrap();
    let gone = sb.path().join("gone.key");
    let text = [
        profile(
            "nofile",
            "modelgates",
            &s.uri(),
            &format!("credential_file = \"{}\"", gone.display()),
        ),
        profile(
            "emptyfile",
            "venice",
            &s.uri(),
            &format!("credential_file = \"{}\"", empty.display()),
        ),
        profile(
            "badcmd",
            "ionet",
            &s.uri(),
            "credential_command = [\"sh\", \"-c\", \"exit 1\"]",
        ),
        profile(
            "noenv",
            "openrouter",
            &s.uri(),
            "credential_env = \"UNSET_KEY\"",
        ),
    ]
    .concat();
    let cfg = sb.path().join("config.toml");
    std::fs::write(&cfg, text).unwrap();
    let out = sb
        .apply(
            Keyctl::bare(&["auth", "status", "--all", "-o", "json"])
                .env("KEYCTL_CONFIG", cfg.to_str().unwrap())
                .env("KEYCTL_CREDENTIAL_TIMEOUT_MS", "2000"),
        )
        .run()
        .await;
    out.code(3);
    let lines = out.json_lines();
    let got: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["profile"].as_str().unwrap(),
                l["status"].as_str().unwrap(),
                l["credential_source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("nofile", "missing", "file"),
            ("emptyfile", "missing", "file"),
            ("badcmd", "missing", "command"),
            ("noenv", "missing", "env"),
        ],
        "{}",
        out.stdout
    );
    assert!(
        lines[3]["detail"].as_str().unwrap().contains("UNSET_KEY"),
        "{}",
        lines[3]
    );
    assert!(s.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn quiet_prints_nothing_and_keeps_the_exit_code() {
    let f = &families()[0];
    let s = check_server(f, 401, json!({"error": {"code": 401, "message": "no"}}), 1).await;
    let out = status_of(f, &s, &["-q", "-o", "tsv"]).await;
    out.code(3);
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
}

/// The openrouter-family check answering ok, on its own server.
async fn gates_ok(times: u64) -> MockServer {
    check_server(&families()[0], 200, current_key(json!(true)), times).await
}

#[tokio::test]
async fn all_profiles_in_file_order_rejected_beats_unreachable() {
    let ok = gates_ok(2).await;
    // OpenRouter answering SECOND with 401.
    let bad = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/key"))
        .and(header("authorization", format!("Bearer {SECOND}").as_str()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"code": 401, "message": "User not found."}})),
        )
        .expect(2)
        .mount(&bad)
        .await;
    let down = closed_url();
    let sb = Home::without_config();
    let key_file = sb.path().join("venice.key");
    std::fs::write(&key_file, format!("{SECRET}\n")).unwrap();
    // Not in alphabetical order: the rows must follow the file.
    let text = [
        profile(
            "zeta",
            "modelgates",
            &ok.uri(),
            "credential_env = \"ZETA_KEY\"",
        ),
        profile(
            "alpha",
            "openrouter",
            &bad.uri(),
            "credential_env = \"ALPHA_KEY\"",
        ),
        profile(
            "mid",
            "venice",
            &down,
            &format!("credential_file = \"{}\"", key_file.display()),
        ),
    ]
    .concat();
    let cfg = sb.path().join("config.toml");
    std::fs::write(&cfg, text).unwrap();
    let run = |format: &'static str| {
        Keyctl::bare(&["auth", "status", "--all", "--retries", "0", "-o", format])
            .env("ZETA_KEY", SECRET)
            .env("ALPHA_KEY", SECOND)
            .env("KEYCTL_CONFIG", cfg.to_str().unwrap())
            .env("XDG_STATE_HOME", sb.path().to_str().unwrap())
            .run()
    };
    let out = run("tsv").await;
    out.code(3);
    let rows = cells(&out);
    assert_eq!(rows.len(), 4, "{}", out.stdout);
    assert_eq!(rows[0].join("\t"), AUTH_HEADERS);
    let got: Vec<(&str, &str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("zeta", "modelgates", "ok"),
            ("alpha", "openrouter", "rejected"),
            ("mid", "venice", "unreachable"),
        ]
    );
    assert_eq!(rows[1][4], format!("{}/", ok.uri()));
    assert_eq!(rows[1][5], "env ZETA_KEY");
    assert_eq!(rows[2][5], "env ALPHA_KEY");
    assert_eq!(rows[3][4], format!("{down}/"));
    assert_eq!(rows[3][5], format!("file {}", key_file.display()));

    let out = run("json").await;
    out.code(3);
    let lines = out.json_lines();
    let got: Vec<(&str, &str, &Value)> = lines
        .iter()
        .map(|l| {
            (
                l["profile"].as_str().unwrap(),
                l["status"].as_str().unwrap(),
                &l["http_status"],
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("zeta", "ok", &Value::Null),
            ("alpha", "rejected", &json!(401)),
            ("mid", "unreachable", &Value::Null),
        ]
    );
    assert_eq!(lines[2]["credential_source"], "file");
    assert_eq!(lines[2]["credential"], key_file.display().to_string());
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(SECOND), "{text}");
    }
}

#[tokio::test]
async fn all_ok_and_unreachable_is_exit_8_all_ok_is_exit_0() {
    let ok = gates_ok(1).await;
    let f = &families()[4];
    let ionet = check_server(f, 200, f.ok_body.clone(), 1).await;
    let sb = Home::with_config(
        &[
            profile("gw", "modelgates", &ok.uri(), "credential_env = \"GW_KEY\""),
            profile(
                "down",
                "novapai",
                &closed_url(),
                "credential_env = \"GW_KEY\"",
            ),
        ]
        .concat(),
    );
    let out = sb
        .apply(Keyctl::new(
            "GW_KEY",
            &["auth", "status", "--all", "--retries", "0"],
        ))
        .run()
        .await;
    out.code(8);
    let st: Vec<String> = cells(&out)[1..].iter().map(|r| r[2].clone()).collect();
    assert_eq!(st, ["ok", "unreachable"], "{}", out.stdout);

    let ok = gates_ok(1).await;
    let sb = Home::with_config(
        &[
            profile("gw", "modelgates", &ok.uri(), "credential_env = \"GW_KEY\""),
            profile("io", "ionet", &ionet.uri(), "credential_env = \"IO_KEY\""),
        ]
        .concat(),
    );
    let out = sb
        .apply(
            Keyctl::new("GW_KEY", &["auth", "status", "--all", "-o", "json"]).env("IO_KEY", SECRET),
        )
        .run()
        .await;
    out.code(0);
    let l = out.json_lines();
    assert_eq!(l.len(), 2, "{}", out.stdout);
    assert_eq!(l[0]["profile"], "gw");
    assert_eq!(l[0]["detail"], "management key");
    assert_eq!(l[1]["profile"], "io");
    assert_eq!(l[1]["provider"], "ionet");
    assert_eq!(l[1]["detail"], "1 key listed");
    assert!(l.iter().all(|x| x["status"] == "ok"), "{}", out.stdout);
}

#[tokio::test]
async fn all_without_profiles_is_a_usage_error() {
    // No config file at all, and a config file with no profiles.
    let none = Home::without_config();
    let empty = Home::with_config("audit = false\n");
    for sb in [&none, &empty] {
        let out = sb
            .apply(Keyctl::new(
                "MODELGATES_MANAGEMENT_KEY",
                &["auth", "status", "--all"],
            ))
            .run()
            .await;
        out.code(2).stderr_has("--all: no profiles");
        assert_eq!(out.stdout, "");
    }
}

#[tokio::test]
async fn all_with_a_profile_flag_is_a_usage_error_and_sends_nothing() {
    let s = server().await;
    let sb = Home::with_config(&profile(
        "x",
        "modelgates",
        &s.uri(),
        "credential_env = \"X_KEY\"",
    ));
    let out = sb
        .apply(Keyctl::new(
            "X_KEY",
            &["auth", "status", "--all", "-P", "x"],
        ))
        .run()
        .await;
    out.code(2).stderr_has("--all").stderr_has("-P/--profile");
    assert_eq!(out.stdout, "");
    // --base-url and --api-key-file name one account: not with --all either.
    let out = sb
        .apply(
            Keyctl::new("X_KEY", &["auth", "status", "--all"])
                .args(&["-p", "modelgates"])
                .base(&s),
        )
        .run()
        .await;
    out.code(2).stderr_has("--base-url");
    assert!(s.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn all_with_a_provider_covers_only_its_profiles() {
    let mg = server().await;
    let vf = &families()[3];
    let v1 = check_server(vf, 200, vf.ok_body.clone(), 1).await;
    let v2 = check_server(vf, 200, vf.ok_body.clone(), 1).await;
    let sb = Home::with_config(
        &[
            profile("v-one", "venice", &v1.uri(), "credential_env = \"V_KEY\""),
            profile("gw", "modelgates", &mg.uri(), "credential_env = \"V_KEY\""),
            profile("v-two", "venice", &v2.uri(), "credential_env = \"V_KEY\""),
        ]
        .concat(),
    );
    let out = sb
        .apply(Keyctl::new(
            "V_KEY",
            &["auth", "status", "--all", "-p", "venice"],
        ))
        .run()
        .await;
    out.code(0);
    let rows = cells(&out);
    let names: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(names, [("v-one", "venice"), ("v-two", "venice")]);
    assert!(mg.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn one_profile_flag_checks_that_profile_only() {
    let a = server().await;
    let b = gates_ok(1).await;
    let c = server().await;
    let sb = Home::with_config(
        &[
            profile("a", "modelgates", &a.uri(), "credential_env = \"K\""),
            profile("b", "modelgates", &b.uri(), "credential_env = \"K\""),
            profile("c", "modelgates", &c.uri(), "credential_env = \"K\""),
        ]
        .concat(),
    );
    let out = sb
        .apply(Keyctl::new(
            "K",
            &["auth", "status", "-P", "b", "-o", "tsv"],
        ))
        .run()
        .await;
    out.code(0);
    assert_eq!(
        out.stdout,
        format!(
            "{AUTH_HEADERS}\nb\tmodelgates\tok\tmanagement key\t{}/\tenv K\n",
            b.uri()
        )
    );
    assert!(a.received_requests().await.unwrap().is_empty());
    assert!(c.received_requests().await.unwrap().is_empty());
}
