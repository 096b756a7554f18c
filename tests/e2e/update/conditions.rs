//! Conditional writes (issue 22): `update --if-usage-over`, `--if-remaining-under`,
//! `--if-expiring-within` and `--if-blocked` write only the keys that meet a condition, as
//! `keyctl check` with the same criteria lists them; the others end `unchanged` with the reason
//! and get no request. On ModelGates, io.net and Venice (whose usage and limit fields differ),
//! with `--match`, relative limits and `--limit-max`, in a dry run and as JSON; the README's cron
//! line run as written, with the audit lines it writes.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{IONET_KEY, Keyctl, Out, VENICE_KEY, gates_listing, seen, server};

const MG: &str = "MODELGATES_MANAGEMENT_KEY";
const IO: &str = "IONET_ADMIN_KEY";
const VE: &str = "VENICE_ADMIN_KEY";

const HOT: &str = "aaaa000000000000000000000000000000000000000000000000000000000001";
const COOL: &str = "bbbb000000000000000000000000000000000000000000000000000000000002";
const NEAR_CAP: &str = "cccc000000000000000000000000000000000000000000000000000000000003";
const OTHER: &str = "dddd000000000000000000000000000000000000000000000000000000000004";
const UNCAPPED: &str = "eeee000000000000000000000000000000000000000000000000000000000005";

const IONET_2: &str = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const VENICE_2: &str = "0f9e8d7c-6b5a-4948-8a7b-6c5d4e3f2a1b";

/// A ModelGates key that resets daily: `usage_daily` is the period's spend (None: left out,
/// so the period's usage is not known), `limit_remaining` as the provider computes it.
fn gates_key(hash: &str, name: &str, usage: Option<f64>, limit: Option<f64>) -> Value {
    let mut k = json!({"hash": hash, "name": name, "disabled": false, "limit": limit,
        "limit_reset": "daily", "include_byok_in_limit": false, "usage": 1000.0,
        "created_at": "2026-01-01T00:00:00Z", "expires_at": null});
    if let Some(u) = usage {
        k["usage_daily"] = json!(u);
        k["limit_remaining"] = json!(limit.map(|l| l - u));
    }
    k
}

/// The ModelGates account the tests select from with `--match 'ci-*'`: one key at 95% of its
/// limit, one at 12.5%, one at 96% whose +25 passes the cap 500, one not named ci-*, and one
/// with no cap.
fn gates_account() -> Vec<Value> {
    vec![
        gates_key(HOT, "ci-hot", Some(95.0), Some(100.0)),
        gates_key(COOL, "ci-cool", Some(12.5), Some(100.0)),
        gates_key(NEAR_CAP, "ci-near-cap", Some(470.0), Some(490.0)),
        gates_key(OTHER, "prod-chat", Some(99.0), Some(100.0)),
        gates_key(UNCAPPED, "ci-uncapped", Some(5000.0), None),
    ]
}

/// Answers every ModelGates PATCH with the key of `account` it names, the change applied, as
/// ModelGates does (`limit_remaining` follows a new limit).
async fn gates_patch(server: &MockServer, account: Vec<Value>) {
    Mock::given(method("PATCH"))
        .respond_with(move |req: &wiremock::Request| {
            let sent: Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
            let hash = req.url.path().rsplit('/').next().unwrap_or("");
            let mut k = account
                .iter()
                .find(|k| k["hash"] == hash)
                .cloned()
                .unwrap_or(json!({}));
            if let (Some(l), Some(u)) = (sent["limit"].as_f64(), k["usage_daily"].as_f64()) {
                k["limit_remaining"] = json!(l - u);
            }
            if let (Some(k), Some(s)) = (k.as_object_mut(), sent.as_object()) {
                for (f, v) in s {
                    k.insert(f.clone(), v.clone());
                }
            }
            ResponseTemplate::new(200).set_body_json(json!({"data": k}))
        })
        .mount(server)
        .await;
}

/// The ModelGates listing as the provider serves it: disabled keys only with
/// `include_disabled=true` (what `check` leaves out unless `--disabled`).
async fn gates_listing_by_state(server: &MockServer, keys: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(move |req: &wiremock::Request| {
            let all = req
                .url
                .query_pairs()
                .any(|(k, v)| k == "include_disabled" && v == "true");
            let offset: usize = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "offset")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let page: Vec<Value> = keys
                .iter()
                .filter(|k| all || k["disabled"] != true)
                .skip(offset)
                .take(100)
                .cloned()
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({"data": page}))
        })
        .mount(server)
        .await;
}

/// Every write the server received: `PATCH path` and its JSON body, in order.
async fn writes(server: &MockServer) -> Vec<(String, Value)> {
    let mut w: Vec<(String, Value)> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| {
            (
                format!("{} {}", r.method, r.url.path()),
                serde_json::from_slice(&r.body).unwrap_or(Value::Null),
            )
        })
        .collect();
    w.sort_by(|a, b| a.0.cmp(&b.0));
    w
}

/// The JSON result line of `key`.
fn line_of(out: &Out, key: &str) -> Value {
    out.json_lines()
        .into_iter()
        .find(|l| l["key"] == key)
        .unwrap_or_else(|| panic!("no line for {key}:\n{}", out.stdout))
}

fn mg(args: &[&str]) -> Keyctl {
    Keyctl::new(MG, &["update", "-p", "modelgates"]).args(args)
}

/// `--if-usage-over 90%` with `--match`, `--limit +25` and `--limit-max 500`: one listing read,
/// then a PATCH for each ci-* key at 90% or more (the one near the cap raised to the cap, not
/// past it); the others are unchanged with the reason, and nothing is sent for them.
#[tokio::test]
async fn usage_over_a_percent_writes_only_the_keys_over_it() {
    let server = server().await;
    gates_listing(&server, gates_account()).await;
    gates_patch(&server, gates_account()).await;
    let out = mg(&[
        "--match",
        "ci-*",
        "--yes",
        "--if-usage-over",
        "90%",
        "--limit",
        "+25",
        "--limit-max",
        "500",
        "-o",
        "json",
    ])
    .base(&server)
    .run()
    .await;
    out.code(0)
        .stderr_has("summary: 2 updated, 2 unchanged, 0 failed");
    assert_eq!(
        writes(&server).await,
        [
            (format!("PATCH /api/v1/keys/{HOT}"), json!({"limit": 125})),
            (
                format!("PATCH /api/v1/keys/{NEAR_CAP}"),
                json!({"limit": 500})
            ),
        ]
    );
    // One listing read (every key's state comes from it), no GET per key.
    assert_eq!(
        seen(&server)
            .await
            .iter()
            .filter(|r| r.starts_with("GET"))
            .count(),
        1
    );
    let cool = line_of(&out, COOL);
    assert_eq!(cool["status"], "unchanged", "{cool}");
    assert_eq!(
        cool["reason"],
        "condition not met: usage 12.5 of 100 USD (12.5%) is under 90%"
    );
    let uncapped = line_of(&out, UNCAPPED);
    assert_eq!(
        uncapped["reason"],
        "condition not met: no cap: usage 5000 USD is no share of a limit"
    );
    assert_eq!(line_of(&out, HOT)["status"], "updated");
    assert!(!out.stdout.contains(OTHER), "--match left it out");
    out.stderr_has("unchanged: condition not met: usage 12.5 of 100 USD (12.5%) is under 90%");
}

/// A key whose period usage the answer does not carry (ModelGates daily reset without
/// `usage_daily`) is not written on a guess: unchanged, naming the field; a key that meets the
/// condition beside it is written.
#[tokio::test]
async fn a_key_whose_usage_is_not_known_is_not_written() {
    let server = server().await;
    let account = vec![
        gates_key(HOT, "ci-hot", Some(95.0), Some(100.0)),
        gates_key(COOL, "ci-unread", None, Some(100.0)),
    ];
    gates_listing(&server, account.clone()).await;
    gates_patch(&server, account).await;
    let out = mg(&[
        HOT,
        COOL,
        "--if-usage-over",
        "90%",
        "--limit",
        "+25",
        "-o",
        "json",
    ])
    .base(&server)
    .run()
    .await;
    out.code(0);
    assert_eq!(
        writes(&server).await,
        [(format!("PATCH /api/v1/keys/{HOT}"), json!({"limit": 125}))]
    );
    let l = line_of(&out, COOL);
    assert_eq!(l["status"], "unchanged", "{l}");
    let reason = l["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("condition not known: the key's usage is not known")
            && reason.contains("--if-usage-over")
            && reason.ends_with("nothing sent"),
        "{reason}"
    );
}

/// The dry run shows which keys would be written (the plan, with the condition each meets)
/// and which are skipped and why; nothing is sent.
#[tokio::test]
async fn a_dry_run_shows_the_keys_written_and_the_keys_skipped() {
    let server = server().await;
    gates_listing(&server, gates_account()).await;
    let base = [
        "--match",
        "ci-*",
        "--if-usage-over",
        "90%",
        "--limit",
        "+25",
        "--limit-max",
        "500",
        "--dry-run",
    ];
    let out = mg(&base).arg("-o").arg("table").base(&server).run().await;
    out.code(0)
        .stdout_has("limit      100 → 125")
        .stdout_has("condition met: usage 95% of limit (95 of 100 USD)")
        .stderr_has(&format!(
            "ModelGates key {COOL}: unchanged: condition not met: usage 12.5 of 100 USD (12.5%) is under 90%"
        ))
        .stderr_has("summary: 2 would update, 2 unchanged, 0 failed");
    let json = mg(&base).arg("-o").arg("json").base(&server).run().await;
    let hot = line_of(&json, HOT);
    assert_eq!(hot["status"], "dry_run");
    assert_eq!(
        hot["notes"],
        json!(["condition met: usage 95% of limit (95 of 100 USD)"])
    );
    assert_eq!(hot["request"]["body"], json!({"limit": 125}));
    assert_eq!(line_of(&json, COOL)["status"], "unchanged");
    assert!(writes(&server).await.is_empty());
}

/// io.net: `--if-remaining-under` over credit_limit - credit_used as the usage endpoint reports
/// them, two keys by id (each read: its usage, the listing once).
#[tokio::test]
async fn ionet_remaining_under_writes_the_key_running_dry() {
    let server = server().await;
    let item = |id: &str, limit: u32, used: u32| {
        json!({"id": id, "description": "ci", "created_at": "2026-01-01T00:00:00",
               "expires_at": null, "allowed_models": [], "credit_limit": limit,
               "credit_used": used, "credit_refresh_cycle": "weekly"})
    };
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "succeeded",
            "data": [item(IONET_KEY, 100, 97), item(IONET_2, 100, 10)]})))
        .mount(&server)
        .await;
    for (id, used) in [(IONET_KEY, 97), (IONET_2, 10)] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/api-keys/sub-keys/{id}/usage")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "status": "succeeded", "data": {"key_id": id, "credit_used": used,
                "credit_limit": 100, "remaining_credit": 100 - used,
                "credit_refresh_cycle": "weekly"}})))
            .mount(&server)
            .await;
    }
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded"})))
        .mount(&server)
        .await;
    let out = Keyctl::new(IO, &["update", "-p", "ionet", IONET_KEY, IONET_2])
        .args(&["--if-remaining-under", "5", "--limit", "+25", "--yes"])
        .args(&["-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert_eq!(
        writes(&server).await,
        [(
            format!("PATCH /v1/api-keys/sub-keys/{IONET_KEY}"),
            json!({"credit_limit": 125})
        )]
    );
    assert_eq!(
        line_of(&out, IONET_2)["reason"],
        "condition not met: remaining 90 credits is not under 5"
    );
    // Usage over an amount, in credits: met by the first key only as well.
    let out = Keyctl::new(IO, &["update", "-p", "ionet", IONET_KEY, IONET_2])
        .args(&[
            "--if-usage-over",
            "50",
            "--limit",
            "+25",
            "--dry-run",
            "-o",
            "json",
        ])
        .base(&server)
        .run()
        .await;
    assert_eq!(line_of(&out, IONET_KEY)["status"], "dry_run");
    assert_eq!(
        line_of(&out, IONET_2)["reason"],
        "condition not met: usage 10 credits is under 50"
    );
}

fn venice_key(id: &str, usd_used: &str, expires: Value) -> Value {
    json!({"id": id, "apiKeyType": "INFERENCE", "description": "ci-venice",
           "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": expires,
           "consumptionLimits": {"usd": 10, "diem": null, "vcu": null},
           "limitPeriod": "MONTH", "modelPrivacy": "ALL",
           "currentPeriodUsage": {"usd": usd_used, "diem": "0"}})
}

async fn venice_reads(server: &MockServer, keys: &[Value]) {
    for k in keys {
        let id = k["id"].as_str().unwrap().to_string();
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/api_keys/{id}")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"data": k, "success": true})),
            )
            .mount(server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": keys})),
        )
        .mount(server)
        .await;
    let echo = keys[0].clone();
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": echo, "success": true})),
        )
        .mount(server)
        .await;
}

/// The two Venice keys the condition tests read: one at 9.5 of its 10 USD with no expiry, one
/// at 1 of 10 expiring at `soon`.
async fn venice_pair(server: &MockServer, soon: &str) {
    venice_reads(
        server,
        &[
            venice_key(VENICE_KEY, "9.5", Value::Null),
            venice_key(VENICE_2, "1", json!(soon)),
        ],
    )
    .await;
}

/// Venice: `--if-usage-over` against the USD cap and the period's USD usage, and
/// `--if-expiring-within` against `expiresAt`; any condition that holds qualifies a key.
#[tokio::test]
async fn venice_usage_and_expiry_conditions() {
    let server = server().await;
    let soon = (chrono::Utc::now() + chrono::Duration::days(3))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    venice_pair(&server, &soon).await;
    // Usage only: the first key.
    let out = Keyctl::new(VE, &["update", "-p", "venice", VENICE_KEY, VENICE_2])
        .args(&[
            "--if-usage-over",
            "90%",
            "--limit",
            "+5",
            "--yes",
            "-o",
            "json",
        ])
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert_eq!(
        writes(&server).await,
        [(
            "PATCH /api/v1/api_keys".to_string(),
            json!({"id": VENICE_KEY, "consumptionLimit": {"usd": 15, "diem": null, "vcu": null}})
        )]
    );
    assert_eq!(
        line_of(&out, VENICE_2)["reason"],
        "condition not met: usage 1 of 10 USD (10%) is under 90%"
    );
    // Usage or expiry within 7 days: both keys.
    server.reset().await;
    venice_pair(&server, &soon).await;
    let out = Keyctl::new(VE, &["update", "-p", "venice", VENICE_KEY, VENICE_2])
        .args(&["--if-usage-over", "90%", "--if-expiring-within", "7d"])
        .args(&["--limit", "+5", "--yes", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0).stderr_has("summary: 2 updated, 0 unchanged");
    assert_eq!(writes(&server).await.len(), 2);
    // Expiry only, 1 day: neither (one never expires, one in 3 days).
    server.reset().await;
    venice_pair(&server, &soon).await;
    let out = Keyctl::new(VE, &["update", "-p", "venice", VENICE_KEY, VENICE_2])
        .args(&[
            "--if-expiring-within",
            "1d",
            "--limit",
            "+5",
            "--yes",
            "-o",
            "json",
        ])
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert!(writes(&server).await.is_empty());
    assert_eq!(
        line_of(&out, VENICE_KEY)["reason"],
        "condition not met: the key never expires"
    );
    let r = line_of(&out, VENICE_2)["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        r.starts_with("condition not met: expires ")
            && r.ends_with("(in 2 days), not within 1 day"),
        "{r}"
    );
}

/// `--if-blocked`: ModelGates reports `limit_remaining` 0 for a key that spent its limit; that
/// key is written, one with money left is not.
#[tokio::test]
async fn blocked_keys_only() {
    let server = server().await;
    let account = vec![
        gates_key(HOT, "ci-spent", Some(100.0), Some(100.0)),
        gates_key(COOL, "ci-cool", Some(12.5), Some(100.0)),
    ];
    gates_listing(&server, account.clone()).await;
    gates_patch(&server, account).await;
    let out = mg(&["--match", "ci-*", "--yes", "--if-blocked", "--limit", "+25"])
        .args(&["-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert_eq!(
        writes(&server).await,
        [(format!("PATCH /api/v1/keys/{HOT}"), json!({"limit": 125}))]
    );
    assert_eq!(
        line_of(&out, COOL)["reason"],
        "condition not met: not blocked"
    );
}

/// A disabled key, or one rotate retired, is left out as `keyctl check` leaves it out, even
/// when it meets the condition; so `check` with the same criteria lists exactly the keys
/// written.
#[tokio::test]
async fn keys_check_leaves_out_are_not_written_and_check_previews_the_rest() {
    let server = server().await;
    let mut disabled = gates_key(COOL, "ci-off", Some(99.0), Some(100.0));
    disabled["disabled"] = json!(true);
    let mut retired = gates_key(
        OTHER,
        "ci-old (rotated out 2026-11-01)",
        Some(99.0),
        Some(100.0),
    );
    retired["expires_at"] = json!("2026-11-02T00:00:00Z");
    let account = vec![
        gates_key(HOT, "ci-hot", Some(95.0), Some(100.0)),
        disabled,
        retired,
    ];
    gates_listing_by_state(&server, account.clone()).await;
    gates_patch(&server, account).await;
    let check = Keyctl::new(MG, &["check", "-p", "modelgates", "--match", "ci-*"])
        .args(&["--usage-over", "90%", "-o", "json"])
        .base(&server)
        .run()
        .await;
    let listed: Vec<Value> = check.json_lines().iter().map(|l| l["id"].clone()).collect();
    assert_eq!(listed, [json!(HOT)], "{}", check.stdout);
    let out = mg(&[
        "--match",
        "ci-*",
        "--yes",
        "--if-usage-over",
        "90%",
        "--limit",
        "+25",
    ])
    .args(&["-o", "json"])
    .base(&server)
    .run()
    .await;
    out.code(0);
    assert_eq!(
        writes(&server).await,
        [(format!("PATCH /api/v1/keys/{HOT}"), json!({"limit": 125}))]
    );
    assert!(
        line_of(&out, COOL)["reason"]
            .as_str()
            .unwrap()
            .contains("but the key is disabled: conditions leave it out, as keyctl check does")
    );
    assert!(
        line_of(&out, OTHER)["reason"]
            .as_str()
            .unwrap()
            .contains("but rotate retired this key")
    );
}

/// A condition that cannot be read is a usage error naming update's flag; nothing is read or
/// sent.
#[tokio::test]
async fn bad_conditions_are_refused_before_anything_is_sent() {
    let server = server().await;
    for (flag, value, said) in [
        (
            "--if-usage-over",
            "90x",
            "--if-usage-over '90x' is not a plain decimal",
        ),
        (
            "--if-usage-over",
            "2000%",
            "--if-usage-over '2000%' is more than 1000%",
        ),
        (
            "--if-remaining-under",
            "-5",
            "--if-remaining-under '-5' is negative",
        ),
        ("--if-remaining-under", "5%", "use --if-usage-over"),
    ] {
        mg(&[HOT, flag, value, "--limit", "+25"])
            .base(&server)
            .run()
            .await
            .code(2)
            .stderr_has(said);
    }
    mg(&[HOT, "--if-expiring-within", "soon", "--limit", "+25"])
        .base(&server)
        .run()
        .await
        .code(2);
    assert!(seen(&server).await.is_empty());
}

/// The README's cron line, exactly as written there, against a stand-in named by a profile
/// `prod` in a config file: one listing read, one PATCH per key over 90% (capped at 500), no
/// output (-q), exit 0, and one audit line per written key (none for the skipped keys).
#[tokio::test]
async fn the_readme_cron_line_as_written() {
    let readme = include_str!("../../../README.md");
    let line = readme
        .lines()
        .find(|l| l.contains("$KEYCTL update -P prod --match 'ci-*' --yes --if-usage-over"))
        .expect("the README's cron line");
    // A crontab line: `0 6 * * *  $KEYCTL update ...`, `%` written `\%` for cron.
    let cmd = line
        .split_once("$KEYCTL ")
        .map_or(line, |(_, c)| c)
        .replace("\\%", "%");
    let args = shell_words(&cmd);
    assert_eq!(
        args,
        [
            "update",
            "-P",
            "prod",
            "--match",
            "ci-*",
            "--yes",
            "--if-usage-over",
            "90%",
            "--limit",
            "+25",
            "--limit-max",
            "500",
            "-q"
        ],
        "{line}"
    );
    let server = server().await;
    gates_listing(&server, gates_account()).await;
    gates_patch(&server, gates_account()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.prod]\nprovider = \"modelgates\"\nbase_url = \"{}\"\ncredential_env = \"{MG}\"\n",
            server.uri()
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = Keyctl::new(MG, &argv)
        .env("KEYCTL_CONFIG", &config.display().to_string())
        .env("XDG_STATE_HOME", &state.display().to_string())
        .run()
        .await;
    out.code(0);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
    assert_eq!(
        writes(&server).await,
        [
            (format!("PATCH /api/v1/keys/{HOT}"), json!({"limit": 125})),
            (
                format!("PATCH /api/v1/keys/{NEAR_CAP}"),
                json!({"limit": 500})
            ),
        ]
    );
    let trail = std::fs::read_to_string(state.join("keyctl/audit.jsonl")).unwrap();
    let lines: Vec<Value> = trail
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{trail}");
    let mut got: Vec<(Value, Value, Value)> = lines
        .iter()
        .map(|l| (l["name"].clone(), l["status"].clone(), l["changes"].clone()))
        .collect();
    got.sort_by_key(|g| g.0.to_string());
    assert_eq!(
        got,
        [
            (
                json!("ci-hot"),
                json!("updated"),
                json!([{"field": "limit", "from": 100, "to": 125},
                       {"field": "remaining", "from": 5, "to": 30}])
            ),
            (
                json!("ci-near-cap"),
                json!("updated"),
                json!([{"field": "limit", "from": 490, "to": 500},
                       {"field": "remaining", "from": 20, "to": 30}])
            ),
        ]
    );
    for l in &lines {
        assert_eq!(l["profile"], "prod");
        assert_eq!(l["argv"][0], "keyctl");
        assert_eq!(l["argv"][8], "90%");
    }
}

/// Splits a shell line written with single quotes and plain words (what the README's line
/// uses).
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in s.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}
