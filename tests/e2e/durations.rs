//! One duration grammar (issue 21): every flag that takes a length of time (`update --expires`,
//! `check --expiring-within`, `log --since`, `--timeout`, `--connect-timeout`, `--max-wait`,
//! `rotate --old expire-in=`) and a profile's `timeout` in the config file run the same table of
//! spellings. An accepted spelling must mean the same length everywhere (checked against what
//! each flag does with it: the expiry sent, the keys `check` matches, the trail entries `log`
//! shows, the old key's expiry a rotation plans); a refused one is exit 2 with nothing sent and
//! the same reason and the same list of units in every message. `--max-wait` above 24 h is
//! refused, naming the limit.

use std::os::unix::fs::PermissionsExt;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use keyctl::duration::UNITS;

use crate::common::{Keyctl, Out, VENICE_KEY, server};

const DAY: i64 = 86_400;
/// A month, as `--expires` has always counted it: 30.44 days.
const MONTH: i64 = 2_630_016;

/// What a spelling must do.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// Accepted, as this many seconds.
    Secs(i64),
    /// Refused with this reason; `true` when the message must end with the unit list.
    Refused(&'static str, bool),
}
use Want::{Refused, Secs};

/// The one table every flag runs.
const TABLE: &[(&str, Want)] = &[
    ("30s", Secs(30)),
    ("90m", Secs(90 * 60)),
    ("1h30m", Secs(90 * 60)),
    ("1h 30m", Secs(90 * 60)),
    ("1.5h", Secs(90 * 60)),
    ("2w", Secs(14 * DAY)),
    ("1mo", Secs(MONTH)),
    ("1month", Secs(MONTH)),
    ("1fortnight", Refused("unknown unit 'fortnight'", true)),
    ("-1d", Refused("a duration has no sign", true)),
    ("", Refused("no duration given", true)),
    ("30", Refused("each number needs a unit", true)),
    ("soon", Refused("a duration starts with a number", true)),
    ("0s", Refused("zero", false)),
];

/// Ages (and, for `check`, times to expiry) of the things each flag's window selects from,
/// chosen away from every window's edge in [`TABLE`].
const AGES: [(&str, i64); 4] = [
    ("hour", 3_600),
    ("ten-days", 10 * DAY),
    ("twenty-days", 20 * DAY),
    ("forty-days", 40 * DAY),
];

/// The names of [`AGES`] within `secs`.
fn within(secs: i64) -> Vec<&'static str> {
    AGES.iter()
        .filter(|(_, age)| *age <= secs)
        .map(|(n, _)| *n)
        .collect()
}

/// A refusal: exit 2, the reason, and (for a spelling refusal) the one unit list, the reason
/// and the list written the same way whichever flag it was.
fn refused(out: &Out, what: &str, reason: &str, units: bool) {
    assert_eq!(out.code, 2, "{what}: exit code; stderr:\n{}", out.stderr);
    assert_eq!(out.stdout, "", "{what}");
    if units {
        out.stderr_has(&format!("{reason}; {UNITS}"));
    } else {
        out.stderr_has(reason);
        assert!(!out.stderr.contains(UNITS), "{what}: {}", out.stderr);
    }
}

/// `secs` after `from`, and after `to`, with a second of slack for whole-second rounding.
fn between(got: &str, from: DateTime<Utc>, to: DateTime<Utc>, secs: i64, what: &str) {
    let got = DateTime::parse_from_rfc3339(got)
        .unwrap_or_else(|e| panic!("{what}: {got:?}: {e}"))
        .to_utc();
    let d = TimeDelta::seconds(secs);
    let (lo, hi) = (
        from + d - TimeDelta::seconds(1),
        to + d + TimeDelta::seconds(1),
    );
    assert!(lo <= got && got <= hi, "{what}: {got} not in {lo} ..= {hi}");
}

#[test]
fn the_unit_list_names_every_unit_once() {
    for unit in [
        "ms",
        "s/sec/second",
        "m/min/minute",
        "h/hr/hour",
        "d/day",
        "w/wk/week",
        "mo/month (30.44 days)",
        "y/yr/year",
    ] {
        assert_eq!(UNITS.matches(unit).count(), 1, "{unit} in {UNITS}");
    }
}

// ------------------------------------------------------------------------ update --expires

/// A Venice PATCH answered with the expiry it asked for.
struct EchoExpiry;

impl Respond for EchoExpiry {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {
            "id": VENICE_KEY, "apiKeyType": "INFERENCE", "description": "app",
            "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": body["expiresAt"],
            "consumptionLimits": {"usd": 50, "diem": null, "vcu": null}, "limitPeriod": "MONTH"}}))
    }
}

fn venice_key() -> Value {
    json!({"id": VENICE_KEY, "apiKeyType": "INFERENCE", "description": "app",
           "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": "2099-06-01T00:00:00.000Z",
           "lastUsedAt": null, "last6Chars": "abc123",
           "consumptionLimits": {"usd": 50, "diem": null, "vcu": null}, "limitPeriod": "MONTH", "modelPrivacy": "PRIVATE_ONLY",
           "currentPeriodUsage": {"usd": "1.5", "diem": "0"}})
}

/// A Venice stand-in: the key read by id and in the listing, and PATCHes echoed.
async fn venice() -> MockServer {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": venice_key()})))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [venice_key()]})))
        .mount(&s)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .respond_with(EchoExpiry)
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn update_expires_reads_the_table() {
    for &(v, want) in TABLE {
        let s = venice().await;
        let what = format!("--expires={v:?}");
        let from = Utc::now();
        let out = Keyctl::new(
            "VENICE_ADMIN_KEY",
            &["update", "-p", "venice", VENICE_KEY, "-o", "json"],
        )
        .arg(&format!("--expires={v}"))
        .base(&s)
        .run()
        .await;
        let to = Utc::now();
        let reqs = s.received_requests().await.unwrap();
        match want {
            Secs(secs) => {
                out.code(0);
                let patches: Vec<&Request> = reqs
                    .iter()
                    .filter(|r| r.method.as_str() == "PATCH")
                    .collect();
                assert_eq!(patches.len(), 1, "{what}");
                let body: Value = serde_json::from_slice(&patches[0].body).unwrap();
                assert_eq!(body["id"], VENICE_KEY, "{what}: {body}");
                between(body["expiresAt"].as_str().unwrap(), from, to, secs, &what);
            }
            Refused(reason, units) => {
                let reason = if reason == "zero" {
                    "zero duration"
                } else {
                    reason
                };
                refused(&out, &what, reason, units);
                out.stderr_has("--expires");
                assert!(reqs.is_empty(), "{what}: sent {reqs:?}");
            }
        }
    }
}

// ------------------------------------------------------------------ rotate --old expire-in=

#[tokio::test]
async fn rotate_old_expire_in_reads_the_table() {
    for &(v, want) in TABLE {
        let s = venice().await;
        let what = format!("--old=expire-in={v:?}");
        let from = Utc::now();
        let out = Keyctl::new(
            "VENICE_ADMIN_KEY",
            &[
                "rotate",
                "-p",
                "venice",
                VENICE_KEY,
                "--dry-run",
                "-o",
                "json",
            ],
        )
        .arg(&format!("--old=expire-in={v}"))
        .base(&s)
        .run()
        .await;
        let to = Utc::now();
        let reqs = s.received_requests().await.unwrap();
        assert!(
            reqs.iter().all(|r| r.method.as_str() == "GET"),
            "{what}: a dry run or a refusal writes nothing: {reqs:?}"
        );
        match want {
            Secs(secs) => {
                out.code(0);
                let line: Value = serde_json::from_str(out.stdout.trim()).unwrap();
                let note = line["notes"]
                    .as_array()
                    .and_then(|n| {
                        n.iter()
                            .filter_map(Value::as_str)
                            .find(|n| n.contains("old key"))
                    })
                    .unwrap_or_else(|| panic!("{what}: no old-key note: {line}"));
                let at = note
                    .split("expires at ")
                    .nth(1)
                    .and_then(|r| r.split([' ', ',']).next())
                    .unwrap_or_else(|| panic!("{what}: {note}"));
                between(at, from, to, secs, &what);
            }
            Refused(reason, units) => {
                refused(&out, &what, reason, units);
                out.stderr_has("--old");
                assert!(reqs.is_empty(), "{what}: sent {reqs:?}");
            }
        }
    }
}

// ---------------------------------------------------------------- check --expiring-within

fn hash(i: usize) -> String {
    format!("{:064x}", 0xdd00 + i)
}

/// A ModelGates stand-in listing one key per [`AGES`], each expiring that long from now.
async fn gates(now: DateTime<Utc>) -> MockServer {
    let s = server().await;
    let keys: Vec<Value> = AGES
        .iter()
        .enumerate()
        .map(|(i, (name, secs))| {
            let exp = (now + TimeDelta::seconds(*secs)).to_rfc3339_opts(SecondsFormat::Secs, true);
            json!({"hash": hash(i), "name": name, "label": "sk-or-v1-abc", "disabled": false,
                   "limit": 100, "limit_remaining": null, "limit_reset": null, "usage": 1.0,
                   "usage_daily": 0, "usage_weekly": 0, "usage_monthly": 0,
                   "created_at": "2026-01-01T00:00:00Z", "updated_at": null, "expires_at": exp})
        })
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": keys})))
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn check_expiring_within_reads_the_table() {
    for &(v, want) in TABLE {
        let s = gates(Utc::now()).await;
        let what = format!("--expiring-within={v:?}");
        let out = Keyctl::new(
            "MODELGATES_MANAGEMENT_KEY",
            &["check", "-p", "modelgates", "-o", "json"],
        )
        .arg(&format!("--expiring-within={v}"))
        .base(&s)
        .run()
        .await;
        let reqs = s.received_requests().await.unwrap();
        match want {
            Secs(secs) => {
                let names: Vec<String> = out
                    .json_lines()
                    .iter()
                    .map(|l| l["name"].as_str().unwrap_or_default().to_string())
                    .collect();
                let want = within(secs);
                out.code(if want.is_empty() { 0 } else { 9 });
                assert_eq!(names, want, "{what}");
            }
            Refused(reason, units) => {
                refused(&out, &what, reason, units);
                out.stderr_has("--expiring-within");
                assert!(reqs.is_empty(), "{what}: sent {reqs:?}");
            }
        }
    }
}

// -------------------------------------------------------------------------- log --since

#[tokio::test]
async fn log_since_reads_the_table() {
    let state = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let dir = state.path().join("keyctl");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let now = Utc::now();
    let trail: String = AGES
        .iter()
        .rev()
        .map(|(name, age)| {
            let t = (now - TimeDelta::seconds(*age)).to_rfc3339_opts(SecondsFormat::Millis, true);
            format!(
                "{}\n",
                json!({"time": t, "run": name, "profile": null, "provider": "venice",
                       "key": VENICE_KEY, "action": "update", "status": "updated",
                       "changes": [], "http_status": 200})
            )
        })
        .collect();
    std::fs::write(dir.join("audit.jsonl"), trail).unwrap();
    for &(v, want) in TABLE {
        let what = format!("--since={v:?}");
        let out = Keyctl::bare(&["log", "-o", "json"])
            .arg(&format!("--since={v}"))
            .env("XDG_STATE_HOME", state.path().to_str().unwrap())
            .env("XDG_CONFIG_HOME", config.path().to_str().unwrap())
            .run()
            .await;
        match want {
            Secs(secs) => {
                out.code(0);
                let mut runs: Vec<String> = out
                    .json_lines()
                    .iter()
                    .map(|l| l["run"].as_str().unwrap_or_default().to_string())
                    .collect();
                runs.reverse();
                assert_eq!(runs, within(secs), "{what}");
            }
            Refused(reason, units) => {
                refused(&out, &what, reason, units);
                out.stderr_has("--since");
            }
        }
    }
}

// ------------------------------------- --timeout, --connect-timeout, --max-wait, config timeout

/// The network options, and a profile's `timeout`: accepted spellings list the keys (exit 0);
/// `--max-wait` refuses more than 24h.
#[derive(Debug, Clone, Copy)]
enum Net {
    Timeout,
    ConnectTimeout,
    MaxWait,
    ConfigTimeout,
}

async fn network_option_reads_the_table(opt: Net) {
    let cfg = tempfile::tempdir().unwrap();
    for &(v, want) in TABLE {
        let s = gates(Utc::now()).await;
        let mut k = Keyctl::new(
            "MODELGATES_MANAGEMENT_KEY",
            &["list", "-p", "modelgates", "-o", "json"],
        )
        .base(&s);
        let flag = match opt {
            Net::Timeout => "--timeout",
            Net::ConnectTimeout => "--connect-timeout",
            Net::MaxWait => "--max-wait",
            Net::ConfigTimeout => "timeout",
        };
        if let Net::ConfigTimeout = opt {
            let file = cfg.path().join("keyctl.toml");
            std::fs::write(
                &file,
                format!(
                    "[profiles.a]\nprovider = \"modelgates\"\n\
                     credential_env = \"MODELGATES_MANAGEMENT_KEY\"\ntimeout = \"{v}\"\n"
                ),
            )
            .unwrap();
            k = k
                .args(&["-P", "a"])
                .env("KEYCTL_CONFIG", file.to_str().unwrap());
        } else {
            k = k.arg(&format!("{flag}={v}"));
        }
        let what = format!("{flag}={v:?}");
        let out = k.run().await;
        let reqs = s.received_requests().await.unwrap();
        match (want, opt) {
            (Secs(secs), Net::MaxWait) if secs > DAY => {
                refused(&out, &what, "more than 24h", false);
                out.stderr_has("--max-wait");
                assert!(reqs.is_empty(), "{what}: sent {reqs:?}");
            }
            (Secs(_), _) => {
                out.code(0);
                assert_eq!(out.json_lines().len(), AGES.len(), "{what}");
                assert_eq!(reqs.len(), 1, "{what}");
            }
            (Refused(reason, units), _) => {
                refused(&out, &what, reason, units);
                if let Net::ConfigTimeout = opt {
                    out.stderr_has(":4: profiles.a.timeout: not a duration more than zero: ");
                } else {
                    out.stderr_has(flag);
                }
                assert!(reqs.is_empty(), "{what}: sent {reqs:?}");
            }
        }
    }
}

#[tokio::test]
async fn timeout_reads_the_table() {
    network_option_reads_the_table(Net::Timeout).await;
}

#[tokio::test]
async fn connect_timeout_reads_the_table() {
    network_option_reads_the_table(Net::ConnectTimeout).await;
}

#[tokio::test]
async fn max_wait_reads_the_table_and_refuses_more_than_a_day() {
    network_option_reads_the_table(Net::MaxWait).await;
}

#[tokio::test]
async fn config_timeout_reads_the_table() {
    network_option_reads_the_table(Net::ConfigTimeout).await;
}

#[tokio::test]
async fn max_wait_of_a_day_is_accepted_and_a_second_more_is_not() {
    for (v, ok) in [
        ("24h", true),
        ("1d", true),
        ("86400s", true),
        ("24h1s", false),
        ("25h", false),
        ("18446744073709551615s", false),
    ] {
        let s = gates(Utc::now()).await;
        let out = Keyctl::new(
            "MODELGATES_MANAGEMENT_KEY",
            &["list", "-p", "modelgates", "-o", "json"],
        )
        .arg(&format!("--max-wait={v}"))
        .base(&s)
        .run()
        .await;
        let reqs = s.received_requests().await.unwrap();
        if ok {
            out.code(0);
            assert_eq!(reqs.len(), 1, "{v}");
        } else {
            refused(
                &out,
                v,
                "more than 24h, the longest this accepts; give 24h or less",
                false,
            );
            out.stderr_has("--max-wait");
            assert!(reqs.is_empty(), "{v}: sent {reqs:?}");
        }
    }
}
