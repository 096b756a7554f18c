//! `keyctl check`: its criteria, rows, reasons and exit codes, in TSV and JSON, and `--all` over
//! a config file's profiles.

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::home::Home;
use crate::common::profiles_file::{SECOND, cells, closed_url, profile};
use crate::common::{Keyctl, Out, SECRET, server};

const CHECK_HEADERS: &str = "profile\tprovider\tid\tname\treasons\texpires\tusage\tlimit";

/// A moment `days` days and one hour from now, as the provider writes it.
fn in_days(days: i64) -> String {
    (Utc::now() + chrono::TimeDelta::days(days) + chrono::TimeDelta::hours(1))
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An OpenRouter-style key with a lifetime limit (so `usage` is the usage compared).
fn gkey(hash: &str, name: &str, limit: Value, usage: f64, disabled: bool, exp: Value) -> Value {
    json!({"hash": hash, "name": name, "label": format!("sk-or-v1-{hash}"), "disabled": disabled,
           "limit": limit, "limit_remaining": null, "limit_reset": null, "usage": usage,
           "usage_daily": 0, "usage_weekly": 0, "usage_monthly": 0,
           "created_at": "2026-01-01T00:00:00Z", "updated_at": null, "expires_at": exp})
}

const H_EXP: &str = "aa00000000000000000000000000000000000000000000000000000000000001";

const H_SPENT: &str = "aa00000000000000000000000000000000000000000000000000000000000002";

const H_OFF: &str = "aa00000000000000000000000000000000000000000000000000000000000003";

const H_FINE: &str = "aa00000000000000000000000000000000000000000000000000000000000004";

/// A ModelGates server listing four keys: one expiring in 2 days, one at 45 of 50 USD, one
/// disabled (only when the list asks for disabled keys, as the API does) and one that matches
/// nothing. Returns the server and the expiring key's `expires_at`.
async fn gates_list(times_active: u64, times_all: u64) -> (MockServer, String) {
    let s = server().await;
    let exp = in_days(2);
    let active = vec![
        gkey(H_EXP, "expiring", json!(100), 1.0, false, json!(exp)),
        gkey(H_SPENT, "spent", json!(50), 45.0, false, Value::Null),
        gkey(H_FINE, "fine", json!(100), 10.0, false, json!(in_days(30))),
    ];
    let mut all = active.clone();
    all.insert(2, gkey(H_OFF, "off", Value::Null, 0.0, true, Value::Null));
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .and(query_param_is_missing("include_disabled"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": active})))
        .expect(times_active)
        .named("list of active keys")
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .and(query_param("include_disabled", "true"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": all})))
        .expect(times_all)
        .named("list with disabled keys")
        .mount(&s)
        .await;
    (s, exp)
}

/// `keyctl check -p modelgates --base-url URI <criteria>`.
async fn check(s: &MockServer, more: &[&str]) -> Out {
    let sb = Home::without_config();
    let mut args = vec!["check", "-p", "modelgates"];
    args.extend_from_slice(more);
    sb.apply(Keyctl::new("MODELGATES_MANAGEMENT_KEY", &args).base(s))
        .run()
        .await
}

/// The TSV rows after the header, checking the header.
fn check_rows(out: &Out) -> Vec<Vec<String>> {
    let rows = cells(out);
    assert_eq!(rows[0].join("\t"), CHECK_HEADERS, "{}", out.stdout);
    rows[1..].to_vec()
}

#[tokio::test]
async fn check_expiring_within_lists_only_the_expiring_key() {
    let (s, exp) = gates_list(1, 0).await;
    let out = check(&s, &["--expiring-within", "7d", "-o", "tsv"]).await;
    out.code(9);
    // The count is for a person: not printed when stderr is not a terminal.
    assert_eq!(out.stderr, "");
    let rows = check_rows(&out);
    assert_eq!(
        rows,
        [vec![
            String::new(),
            "modelgates".into(),
            H_EXP.into(),
            "expiring".into(),
            format!("expires in 2 days ({exp})"),
            exp.clone(),
            "1".into(),
            "100".into(),
        ]]
    );
}

#[tokio::test]
async fn check_usage_over_a_percent_and_an_amount() {
    let (s, _) = gates_list(2, 0).await;
    let out = check(&s, &["--usage-over", "80%", "-o", "tsv"]).await;
    out.code(9);
    let rows = check_rows(&out);
    assert_eq!(rows.len(), 1, "{}", out.stdout);
    assert_eq!(rows[0][2], H_SPENT);
    assert_eq!(rows[0][3], "spent");
    assert_eq!(rows[0][4], "usage 90% of limit (45 of 50 USD)");
    assert_eq!((rows[0][6].as_str(), rows[0][7].as_str()), ("45", "50"));

    let out = check(&s, &["--usage-over", "40", "-o", "tsv"]).await;
    out.code(9);
    let rows = check_rows(&out);
    assert_eq!(rows.len(), 1, "{}", out.stdout);
    assert_eq!(rows[0][2], H_SPENT);
    assert_eq!(rows[0][4], "usage 45 ≥ 40 USD");
}

#[tokio::test]
async fn check_disabled_asks_for_disabled_keys_and_lists_them() {
    let (s, _) = gates_list(0, 1).await;
    let out = check(&s, &["--disabled", "-o", "tsv"]).await;
    out.code(9);
    let rows = check_rows(&out);
    assert_eq!(rows.len(), 1, "{}", out.stdout);
    assert_eq!(rows[0][2], H_OFF);
    assert_eq!(rows[0][3], "off");
    assert_eq!(rows[0][4], "disabled");
    assert_eq!(rows[0][7], "none");
    let reqs = s.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].url.query(), Some("offset=0&include_disabled=true"));
}

#[tokio::test]
async fn check_several_criteria_give_every_reason() {
    let (s, exp) = gates_list(0, 1).await;
    let out = check(
        &s,
        &[
            "--disabled",
            "--expiring-within",
            "3d",
            "--usage-over",
            "90%",
            "-o",
            "json",
        ],
    )
    .await;
    out.code(9);
    let lines = out.json_lines();
    let got: Vec<(&str, &Value)> = lines
        .iter()
        .map(|l| (l["id"].as_str().unwrap(), &l["reasons"]))
        .collect();
    assert_eq!(
        got,
        [
            (H_EXP, &json!([format!("expires in 2 days ({exp})")])),
            (H_SPENT, &json!(["usage 90% of limit (45 of 50 USD)"])),
            (H_OFF, &json!(["disabled"])),
        ]
    );
}

#[tokio::test]
async fn check_json_lines_carry_reasons_and_the_key() {
    let (s, _) = gates_list(1, 0).await;
    let out = check(&s, &["--usage-over", "80%", "-o", "json"]).await;
    out.code(9);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    let l = &lines[0];
    assert_eq!(l["profile"], Value::Null);
    assert_eq!(l["provider"], "modelgates");
    assert_eq!(l["id"], H_SPENT);
    assert_eq!(l["name"], "spent");
    assert_eq!(l["reasons"], json!(["usage 90% of limit (45 of 50 USD)"]));
    assert_eq!(l["key"]["id"], H_SPENT, "{l}");
}

#[tokio::test]
async fn check_nothing_matching_is_exit_0_and_only_the_header() {
    let (s, _) = gates_list(3, 0).await;
    let out = check(&s, &["--usage-over", "95%", "-o", "tsv"]).await;
    out.code(0);
    assert_eq!(out.stderr, "");
    assert_eq!(out.stdout, format!("{CHECK_HEADERS}\n"));
    let out = check(&s, &["--expiring-within", "1d", "-o", "json"]).await;
    out.code(0);
    assert_eq!(out.stdout, "");
    // The cron form: nothing at all is printed when nothing matches.
    let out = check(
        &s,
        &["--expiring-within", "1d", "-o", "tsv", "--no-headers"],
    )
    .await;
    out.code(0);
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
}

#[tokio::test]
async fn check_without_criteria_or_with_a_bad_usage_is_exit_2_and_sends_nothing() {
    let s = server().await;
    let out = check(&s, &[]).await;
    out.code(2)
        .stderr_has("--expiring-within")
        .stderr_has("--usage-over")
        .stderr_has("--disabled");
    assert_eq!(out.stdout, "");
    for bad in ["abc", "-5%", "1001%", "", "80%%"] {
        let flag = format!("--usage-over={bad}");
        let out = check(&s, &[&flag]).await;
        out.code(2).stderr_has("--usage-over");
        assert_eq!(out.stdout, "");
    }
    let out = check(&s, &["--expiring-within", "soon"]).await;
    out.code(2);
    assert!(s.received_requests().await.unwrap().is_empty());
}

/// A Venice server listing a key at 9.5 of 10 USD and one at 1 of 10.
async fn venice_list() -> MockServer {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .and(header("authorization", format!("Bearer {SECOND}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": [
            {"id": "e28e82dc-9df2-4b47-b726-d0a222ef2ab5", "description": "app",
             "apiKeyType": "INFERENCE", "consumptionLimits": {"usd": 10, "diem": null, "vcu": null},
             "currentPeriodUsage": {"usd": "9.5", "diem": "0"}, "limitPeriod": "MONTH",
             "expiresAt": null},
            {"id": "0c3a1e2b-7d4f-4a1b-9c8d-112233445566", "description": "low",
             "apiKeyType": "INFERENCE", "consumptionLimits": {"usd": 10, "diem": null, "vcu": null},
             "currentPeriodUsage": {"usd": "1", "diem": "0"}, "limitPeriod": "MONTH",
             "expiresAt": null}]})),
        )
        .expect(1)
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn check_all_labels_rows_with_their_profile() {
    let (gw, _) = gates_list(1, 0).await;
    let ven = venice_list().await;
    let sb = Home::with_config(
        &[
            profile("gw", "modelgates", &gw.uri(), "credential_env = \"GW_KEY\""),
            profile("ven", "venice", &ven.uri(), "credential_env = \"VEN_KEY\""),
        ]
        .concat(),
    );
    let out = sb
        .apply(
            Keyctl::new(
                "GW_KEY",
                &["check", "--all", "--usage-over", "80%", "-o", "tsv"],
            )
            .env("VEN_KEY", SECOND),
        )
        .run()
        .await;
    out.code(9);
    assert_eq!(out.stderr, "");
    let rows = check_rows(&out);
    let got: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "gw",
                "modelgates",
                H_SPENT,
                "usage 90% of limit (45 of 50 USD)"
            ),
            (
                "ven",
                "venice",
                "e28e82dc-9df2-4b47-b726-d0a222ef2ab5",
                "usage 95% of limit (9.5 of 10 USD)"
            ),
        ]
    );
}

#[tokio::test]
async fn check_all_an_unreachable_profile_wins_over_a_match() {
    let (gw, _) = gates_list(2, 0).await;
    let down = closed_url();
    let sb = Home::with_config(
        &[
            profile("gw", "modelgates", &gw.uri(), "credential_env = \"GW_KEY\""),
            profile("down", "openrouter", &down, "credential_env = \"GW_KEY\""),
        ]
        .concat(),
    );
    let run = |format: &'static str| {
        sb.apply(Keyctl::new(
            "GW_KEY",
            &[
                "check",
                "--all",
                "--usage-over",
                "80%",
                "--retries",
                "0",
                "-o",
                format,
            ],
        ))
        .run()
    };
    let out = run("tsv").await;
    out.code(8)
        .stderr_has("profile down: ")
        .stderr_has("connect");
    let rows = check_rows(&out);
    assert_eq!(rows.len(), 1, "{}", out.stdout);
    assert_eq!((rows[0][0].as_str(), rows[0][2].as_str()), ("gw", H_SPENT));

    let out = run("json").await;
    out.code(8).stderr_has("profile down: ");
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert_eq!(lines[0]["profile"], "gw");
    assert_eq!(
        lines[0]["reasons"],
        json!(["usage 90% of limit (45 of 50 USD)"])
    );
    assert_eq!(lines[1]["profile"], "down");
    assert_eq!(lines[1]["status"], "error");
    assert_eq!(lines[1]["exit_code"], json!(8));
}

#[tokio::test]
async fn check_all_with_a_profile_flag_or_no_profiles_is_exit_2() {
    let s = server().await;
    let sb = Home::with_config(&profile(
        "x",
        "modelgates",
        &s.uri(),
        "credential_env = \"K\"",
    ));
    sb.apply(Keyctl::new(
        "K",
        &["check", "--all", "-P", "x", "--disabled"],
    ))
    .run()
    .await
    .code(2);
    Home::without_config()
        .apply(Keyctl::new(
            "MODELGATES_MANAGEMENT_KEY",
            &["check", "--all", "--disabled"],
        ))
        .run()
        .await
        .code(2)
        .stderr_has("no profiles");
    assert!(s.received_requests().await.unwrap().is_empty());
}
