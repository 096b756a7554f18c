//! `blocked`, one state on every provider (README "The key model"): derived from what each
//! provider reports (io.net usage at or over the limit, `limit_remaining` at or below 0, a Venice
//! currency's period usage at or over its cap), shown by `get` (JSON and `field: value`), `list`
//! (table column, TSV, JSON) and selected by `check --blocked`. Each provider's stand-in holds
//! three keys: one blocked, one not, one whose answer does not tell.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;
use keyctl::provider::ProviderKind;

/// The three keys of one provider and what `blocked` is for each (`None`: not known).
struct Case {
    t: TestProvider,
    /// (id, blocked, the check reason when blocked)
    keys: [(String, Option<bool>, Option<&'static str>); 3],
}

fn gates_id(i: u32) -> String {
    format!("{i:064x}")
}

/// An OpenRouter-style key: a $10 monthly cap, with `limit_remaining` as given (absent: None).
fn gates_key(hash: &str, name: &str, remaining: Option<Value>, usage: f64) -> Value {
    let mut k = json!({"hash": hash, "name": name, "disabled": false, "limit": 10,
                       "limit_reset": "monthly", "usage": usage, "usage_monthly": usage,
                       "include_byok_in_limit": false, "created_at": "2026-01-05T09:00:00Z",
                       "expires_at": null});
    if let Some(r) = remaining {
        k["limit_remaining"] = r;
    }
    k
}

/// An io.net sub-key of the list: a 100-credit daily cap, `credit_used` as given.
fn ionet_entry(id: &str, name: &str, used: Option<f64>) -> Value {
    let mut k = json!({"id": id, "description": name, "credit_limit": 100,
                       "credit_refresh_cycle": "daily", "allowed_models": [],
                       "expires_at": "never", "created_at": "2026-01-05T09:00:00Z"});
    if let Some(u) = used {
        k["credit_used"] = json!(u);
    }
    k
}

/// A Venice key with these caps and this period usage (None: no `currentPeriodUsage`).
fn venice_key(id: &str, name: &str, caps: Value, usage: Option<Value>) -> Value {
    let mut k = json!({"id": id, "description": name, "apiKeyType": "INFERENCE",
                       "consumptionLimits": caps, "limitPeriod": "EPOCH", "modelPrivacy": "ALL",
                       "expiresAt": null, "createdAt": "2026-01-05T09:00:00.000Z",
                       "lastUsedAt": null, "last6Chars": "2V2jNW"});
    if let Some(u) = usage {
        k["currentPeriodUsage"] = u;
    }
    k
}

async fn mount_get(s: &MockServer, p: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(s)
        .await;
}

/// The provider's stand-in (its listing and each key's read) and its three keys.
async fn stand_in(kind: ProviderKind) -> (MockServer, Case) {
    let t = test_provider(kind);
    let s = server().await;
    let keys = match kind {
        ProviderKind::Ionet => {
            let ids = [
                IONET_KEY.to_string(),
                "4a1b2c3d-0000-4000-8000-000000000001".to_string(),
                "4a1b2c3d-0000-4000-8000-000000000002".to_string(),
            ];
            let entries = [
                ionet_entry(&ids[0], "spent", Some(100.0)),
                ionet_entry(&ids[1], "fine", Some(12.0)),
                ionet_entry(&ids[2], "unsure", None),
            ];
            for (id, e) in ids.iter().zip(&entries) {
                let mut usage =
                    json!({"key_id": id, "credit_limit": 100, "credit_refresh_cycle": "daily"});
                if let Some(u) = e.get("credit_used") {
                    usage["credit_used"] = u.clone();
                }
                mount_get(
                    &s,
                    &format!("/v1/api-keys/sub-keys/{id}/usage"),
                    json!({"status": "succeeded", "data": usage}),
                )
                .await;
            }
            mount_get(
                &s,
                "/v1/api-keys/sub-keys",
                json!({"status": "succeeded", "data": entries}),
            )
            .await;
            [
                (
                    ids[0].clone(),
                    Some(true),
                    Some("blocked: usage 100 of 100 credits"),
                ),
                (ids[1].clone(), Some(false), None),
                (ids[2].clone(), None, None),
            ]
        }
        ProviderKind::Venice => {
            let ids = [
                VENICE_KEY.to_string(),
                "5b2c3d4e-0000-4000-8000-000000000001".to_string(),
                "5b2c3d4e-0000-4000-8000-000000000002".to_string(),
            ];
            let keys = [
                // $2 of $10 spent today, but the 1 DIEM cap is reached.
                venice_key(
                    &ids[0],
                    "spent",
                    json!({"usd": 10, "diem": 1, "vcu": null}),
                    Some(json!({"usd": "2", "diem": "1"})),
                ),
                venice_key(
                    &ids[1],
                    "fine",
                    json!({"usd": 10, "diem": 1, "vcu": null}),
                    Some(json!({"usd": "9.99", "diem": "0.5"})),
                ),
                // A VCU cap: Venice reports no VCU usage for the period.
                venice_key(
                    &ids[2],
                    "unsure",
                    json!({"usd": 10, "diem": null, "vcu": 5}),
                    Some(json!({"usd": "2", "diem": "0"})),
                ),
            ];
            for (id, k) in ids.iter().zip(&keys) {
                mount_get(&s, &format!("/api/v1/api_keys/{id}"), json!({"data": k})).await;
            }
            mount_get(
                &s,
                "/api/v1/api_keys",
                json!({"object": "list", "data": keys}),
            )
            .await;
            [
                (
                    ids[0].clone(),
                    Some(true),
                    Some("blocked: usage 1 of 1 DIEM"),
                ),
                (ids[1].clone(), Some(false), None),
                (ids[2].clone(), None, None),
            ]
        }
        _ => {
            let ids = [GATES_KEY.to_string(), gates_id(1), gates_id(2)];
            let keys = vec![
                gates_key(&ids[0], "spent", Some(json!(0)), 10.0),
                gates_key(&ids[1], "fine", Some(json!(4)), 6.0),
                // Usage at the cap, but no figure from the provider: not known.
                gates_key(&ids[2], "unsure", None, 10.0),
            ];
            for (id, k) in ids.iter().zip(&keys) {
                mount_get(&s, &format!("/api/v1/keys/{id}"), json!({"data": k})).await;
            }
            gates_listing(&s, keys).await;
            [
                (
                    ids[0].clone(),
                    Some(true),
                    Some("blocked: limit_remaining 0 of the 10 USD limit"),
                ),
                (ids[1].clone(), Some(false), None),
                (ids[2].clone(), None, None),
            ]
        }
    };
    (s, Case { t, keys })
}

/// `keyctl -p PROVIDER --base-url SERVER <args>` with the credential set.
async fn run(c: &Case, s: &MockServer, args: &[&str]) -> Out {
    Keyctl::new(c.t.info.credential_env, args)
        .args(&["-p", c.t.info.id])
        .base(s)
        .run()
        .await
}

#[tokio::test]
async fn get_shows_blocked_true_false_or_leaves_it_out() {
    for &kind in keyctl::provider::all() {
        let (s, c) = stand_in(kind).await;
        for (id, want, _) in &c.keys {
            let ctx = format!("{kind:?} {id}");
            let out = run(&c, &s, &["get", id, "-o", "json"]).await;
            out.code(0);
            let lines = out.json_lines();
            assert_eq!(lines.len(), 1, "{ctx}");
            let after = &lines[0]["after"];
            assert_eq!(
                after.get("blocked"),
                want.map(|b| json!(b)).as_ref(),
                "{ctx}: {after}"
            );
            // The field: value form: a line when known, none when not.
            let out = run(&c, &s, &["get", id, "-o", "table"]).await;
            out.code(0);
            let line: Vec<&str> = out
                .stdout
                .lines()
                .filter(|l| l.starts_with("blocked:"))
                .collect();
            match want {
                Some(b) => assert_eq!(
                    line.iter()
                        .map(|l| l.split_whitespace().collect::<Vec<_>>())
                        .collect::<Vec<_>>(),
                    [vec!["blocked:", if *b { "true" } else { "false" }]],
                    "{ctx}:\n{}",
                    out.stdout
                ),
                None => assert!(line.is_empty(), "{ctx}:\n{}", out.stdout),
            }
            // `disabled` stays what the provider says: blocked does not switch a key off.
            let disabled = after.get("disabled").cloned().unwrap_or(Value::Null);
            assert_ne!(disabled, json!(true), "{ctx}");
        }
    }
}

#[tokio::test]
async fn list_has_a_blocked_column_in_tsv_json_and_the_table() {
    for &kind in keyctl::provider::all() {
        let (s, c) = stand_in(kind).await;
        let ctx = format!("{kind:?}");
        // TSV: `blocked` is the last of the fixed columns (19th), after `updated`.
        let out = run(&c, &s, &["list", "-o", "tsv"]).await;
        out.code(0);
        let mut lines = out.stdout.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
        assert_eq!(header.len(), 19, "{ctx}: {header:?}");
        assert_eq!(header[17..], ["updated", "blocked"], "{ctx}");
        let rows: Vec<(String, String)> = lines
            .map(|l| {
                let cells: Vec<&str> = l.split('\t').collect();
                assert_eq!(cells.len(), 19, "{ctx}: {l}");
                (cells[0].to_string(), cells[18].to_string())
            })
            .collect();
        let want: Vec<(String, String)> = c
            .keys
            .iter()
            .map(|(id, b, _)| (id.clone(), b.map_or(String::new(), |b| b.to_string())))
            .collect();
        assert_eq!(rows, want, "{ctx}");
        // JSON: true, false, or absent.
        let out = run(&c, &s, &["list", "-o", "json"]).await;
        out.code(0);
        let got: Vec<(String, Option<Value>)> = out
            .json_lines()
            .iter()
            .map(|l| {
                (
                    l["after"]["id"].as_str().unwrap_or_default().to_string(),
                    l["after"].get("blocked").cloned(),
                )
            })
            .collect();
        let want: Vec<(String, Option<Value>)> = c
            .keys
            .iter()
            .map(|(id, b, _)| (id.clone(), b.map(|b| json!(b))))
            .collect();
        assert_eq!(got, want, "{ctx}");
        // Named with --columns, in a table and in TSV.
        let out = run(
            &c,
            &s,
            &[
                "list",
                "-o",
                "tsv",
                "--columns",
                "blocked,id",
                "--no-headers",
            ],
        )
        .await;
        out.code(0);
        let want: String = c
            .keys
            .iter()
            .map(|(id, b, _)| format!("{}\t{id}\n", b.map_or(String::new(), |b| b.to_string())))
            .collect();
        assert_eq!(out.stdout, want, "{ctx}");
        let out = Keyctl::new(c.t.info.credential_env, &["list", "-o", "table", "--wide"])
            .args(&["-p", c.t.info.id])
            .env("COLUMNS", "200")
            .base(&s)
            .run()
            .await;
        out.code(0);
        let header = out.stdout.lines().nth(1).unwrap_or_default();
        assert!(header.contains("BLOCKED"), "{ctx}:\n{}", out.stdout);
        for (id, b, _) in &c.keys {
            let row = out
                .stdout
                .lines()
                .find(|l| l.contains(id.as_str()))
                .unwrap_or_else(|| panic!("{ctx}: no row for {id}:\n{}", out.stdout));
            let cells: Vec<&str> = row.split(['│', '┆']).map(str::trim).collect();
            let at = header
                .split(['│', '┆'])
                .map(str::trim)
                .position(|h| h == "BLOCKED")
                .unwrap_or(0);
            assert_eq!(
                cells[at],
                b.map_or(String::new(), |b| b.to_string()),
                "{ctx}: {row}"
            );
        }
    }
}

#[tokio::test]
async fn check_blocked_selects_exactly_the_blocked_keys_with_the_providers_figures() {
    for &kind in keyctl::provider::all() {
        let (s, c) = stand_in(kind).await;
        let ctx = format!("{kind:?}");
        let out = run(&c, &s, &["check", "--blocked", "-o", "json"]).await;
        // A key matched: exit 9 (check's documented code for "something needs attention").
        out.code(9);
        let lines = out.json_lines();
        let (id, _, reason) = &c.keys[0];
        assert_eq!(lines.len(), 1, "{ctx}: {lines:?}");
        assert_eq!(lines[0]["id"], json!(id), "{ctx}");
        assert_eq!(lines[0]["reasons"], json!([reason]), "{ctx}");
        assert_eq!(lines[0]["key"]["blocked"], json!(true), "{ctx}");
        // One listing read (pages: one for this size), nothing else, no write.
        let seen = seen(&s).await;
        assert!(
            seen.iter().all(|r| r.starts_with("GET ")),
            "{ctx}: {seen:?}"
        );
        // TSV: the reason in its column.
        let out = run(&c, &s, &["check", "--blocked", "-o", "tsv", "--no-headers"]).await;
        out.code(9);
        let rows: Vec<Vec<&str>> = out
            .stdout
            .lines()
            .map(|l| l.split('\t').collect())
            .collect();
        assert_eq!(rows.len(), 1, "{ctx}: {}", out.stdout);
        assert_eq!(
            (rows[0][2], rows[0][4]),
            (id.as_str(), reason.unwrap_or_default()),
            "{ctx}"
        );
    }
}

#[tokio::test]
async fn check_blocked_with_no_blocked_key_exits_0_and_requests_are_counted() {
    // ModelGates: one key not blocked, one not known, and a disabled key with money left
    // (disabled, not blocked: --blocked does not list it, --disabled does).
    let s = server().await;
    let mut off = gates_key(&gates_id(3), "off", Some(json!(4)), 6.0);
    off["disabled"] = json!(true);
    gates_listing(
        &s,
        vec![
            gates_key(&gates_id(1), "fine", Some(json!(4)), 6.0),
            gates_key(&gates_id(2), "unsure", None, 10.0),
            off,
        ],
    )
    .await;
    let t = test_provider(ProviderKind::ModelGates);
    let c = Case {
        t,
        keys: [
            (gates_id(1), Some(false), None),
            (gates_id(2), None, None),
            (gates_id(3), Some(false), None),
        ],
    };
    let out = run(&c, &s, &["check", "--blocked", "-o", "json"]).await;
    out.code(0);
    assert_eq!(out.stdout, "", "{}", out.stderr);
    assert_eq!(seen(&s).await, ["GET /api/v1/keys"]);
    let out = run(&c, &s, &["check", "--blocked", "--disabled", "-o", "json"]).await;
    out.code(9);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["id"], json!(gates_id(3)));
    assert_eq!(lines[0]["reasons"], json!(["disabled"]));
    assert_eq!(lines[0]["key"]["blocked"], json!(false));
}

#[tokio::test]
async fn check_blocked_with_other_criteria_gives_every_reason() {
    // io.net: the spent key also matches --usage-over 90%; the fine one neither.
    let (s, c) = stand_in(ProviderKind::Ionet).await;
    let out = run(
        &c,
        &s,
        &["check", "--blocked", "--usage-over", "90%", "-o", "json"],
    )
    .await;
    out.code(9);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        lines[0]["reasons"],
        json!([
            "usage 100% of limit (100 of 100 credits)",
            "blocked: usage 100 of 100 credits"
        ])
    );
    // Without a criterion, the refusal names --blocked among them.
    let out = run(&c, &s, &["check"]).await;
    out.code(2).stderr_has("--blocked");
}
