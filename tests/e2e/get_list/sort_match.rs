//! `list --sort FIELD` (each field both ways; keys without the value last either way; ties by
//! name, then id) and `list --match GLOB` (names, case-sensitive; no match: nothing printed, a
//! warning, exit 0), against stand-in ModelGates and Venice listings.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{GATES_KEY, Keyctl, VENICE_KEY, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";

/// Six ModelGates keys (ids `A`…`F` below) with the values the orders are worked out from:
///
/// | key | name    | limit | usage   | remaining | expires    | created          |
/// |-----|---------|-------|---------|-----------|------------|------------------|
/// | A   | alpha   | 50    | 10      | 40        | 2027-03-01 | 2026-02-01       |
/// | B   | bravo   | none  | 30      | none      | never      | 2026-01-15       |
/// | C   | charlie | 100   | 5       | 95        | 2026-12-31 | 2026-03-10       |
/// | D   | delta   | 50    | 10      | 40        | 2027-03-01 | 2026-02-01       |
/// | E   | (none)  | 10    | 2       | 8         | 2027-06-01 | (none)           |
/// | F   | echo    | 20    | unknown | unknown   | never      | 2025-12-01+01:00 |
///
/// A and D tie on every field but the name.
fn gates_keys() -> Vec<Value> {
    let key = |id: &str, name: Value, limit: Value, usage: Value, remaining: Value| {
        json!({
            "hash": id, "name": name, "disabled": false, "limit": limit,
            "limit_remaining": remaining, "limit_reset": "monthly", "usage": 99,
            "usage_monthly": usage, "include_byok_in_limit": false,
            "created_at": null, "updated_at": null, "expires_at": null,
        })
    };
    let mut keys = vec![
        key(&id('A'), json!("alpha"), json!(50), json!(10), json!(40)),
        key(
            &id('B'),
            json!("bravo"),
            Value::Null,
            json!(30),
            Value::Null,
        ),
        key(&id('C'), json!("charlie"), json!(100), json!(5), json!(95)),
        key(&id('D'), json!("delta"), json!(50), json!(10), json!(40)),
        key(&id('E'), Value::Null, json!(10), json!(2), json!(8)),
        key(&id('F'), json!("echo"), json!(20), Value::Null, Value::Null),
    ];
    // F: no monthly usage figure and no remaining figure at all (not known).
    for f in ["usage_monthly", "limit_remaining"] {
        keys[5].as_object_mut().map(|o| o.remove(f));
    }
    let times = [
        ("2027-03-01T00:00:00Z", "2026-02-01T00:00:00Z"),
        ("", "2026-01-15T00:00:00Z"),
        ("2026-12-31T00:00:00Z", "2026-03-10T00:00:00Z"),
        ("2027-03-01T00:00:00Z", "2026-02-01T00:00:00Z"),
        ("2027-06-01T00:00:00Z", ""),
        ("", "2025-12-01T00:00:00+01:00"),
    ];
    for (k, (expires, created)) in keys.iter_mut().zip(times) {
        if !expires.is_empty() {
            k["expires_at"] = json!(expires);
        }
        if !created.is_empty() {
            k["created_at"] = json!(created);
        }
    }
    keys
}

/// The id of key `A`…`F`: 64 hex digits, each a different start (A: GATES_KEY).
fn id(letter: char) -> String {
    match letter {
        'A' => GATES_KEY.to_string(),
        l => {
            let digit = char::from_digit(l as u32 - 'A' as u32, 16).unwrap_or('0');
            format!("{digit}{}", &GATES_KEY[1..])
        }
    }
}

async fn gates_server() -> MockServer {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": gates_keys()})))
        .mount(&server)
        .await;
    server
}

/// The ids `list` prints (JSON Lines), in order, as letters.
async fn order(server: &MockServer, env: &str, provider: &str, extra: &[&str]) -> String {
    let mut args = vec!["list", "-p", provider, "-o", "json"];
    args.extend(extra);
    let out = Keyctl::new(env, &args).base(server).run().await;
    out.code(0);
    out.json_lines()
        .iter()
        .map(|l| {
            let key = l["key"].as_str().unwrap_or_default();
            ('A'..='F')
                .find(|c| id(*c) == key)
                .or_else(|| venice_letter(key))
                .unwrap_or('?')
        })
        .collect()
}

#[tokio::test]
async fn each_field_sorts_both_ways_with_missing_values_last() {
    let server = gates_server().await;
    for (sort, want) in [
        ("name", "ABCDFE"),
        ("-name", "FDCBAE"),
        ("limit", "EFADCB"),
        ("-limit", "CADFEB"),
        ("usage", "ECADBF"),
        ("-usage", "BADCEF"),
        ("remaining", "EADCBF"),
        ("-remaining", "CADEBF"),
        ("expires", "CADEBF"),
        ("-expires", "EADCBF"),
        ("created", "FBADCE"),
        ("-created", "CADBFE"),
    ] {
        let got = order(&server, ENV, "modelgates", &["--sort", sort]).await;
        assert_eq!(got, want, "--sort {sort}");
        // `--sort=-x` is the same as `--sort -x`.
        let got = order(&server, ENV, "modelgates", &[&format!("--sort={sort}")]).await;
        assert_eq!(got, want, "--sort={sort}");
    }
    // No --sort: the provider's order.
    assert_eq!(order(&server, ENV, "modelgates", &[]).await, "ABCDEF");
}

/// Three Venice keys: X used 2026-11-02, Y never, Z 2026-10-01.
fn venice_letter(id: &str) -> Option<char> {
    venice_ids()
        .iter()
        .position(|v| v == id)
        .map(|i| ['X', 'Y', 'Z'][i])
}

fn venice_ids() -> [String; 3] {
    [
        VENICE_KEY.to_string(),
        format!("1{}", &VENICE_KEY[1..]),
        format!("2{}", &VENICE_KEY[1..]),
    ]
}

#[tokio::test]
async fn last_used_sorts_both_ways_with_never_used_last() {
    let server = server().await;
    let used = [
        json!("2026-11-02T08:00:00Z"),
        Value::Null,
        json!("2026-10-01T00:00:00Z"),
    ];
    let data: Vec<Value> = venice_ids()
        .iter()
        .zip(used)
        .zip(["ci-x", "ci-y", "ci-z"])
        .map(|((id, last), name)| {
            json!({"id": id, "description": name, "apiKeyType": "INFERENCE",
                   "consumptionLimits": {"usd": 5}, "limitPeriod": "MONTH",
                   "modelPrivacy": "ALL", "lastUsedAt": last,
                   "createdAt": "2026-01-01T00:00:00Z", "expiresAt": null})
        })
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": data})),
        )
        .mount(&server)
        .await;
    let env = "VENICE_ADMIN_KEY";
    assert_eq!(
        order(&server, env, "venice", &["--sort", "last_used"]).await,
        "ZXY"
    );
    assert_eq!(
        order(&server, env, "venice", &["--sort", "-last_used"]).await,
        "XZY"
    );
}

#[tokio::test]
async fn an_unknown_sort_field_is_exit_2_naming_the_fields() {
    let server = gates_server().await;
    for bad in ["size", "-", "-secret"] {
        let out = Keyctl::new(ENV, &["list", "-p", "modelgates", "--sort", bad])
            .base(&server)
            .run()
            .await;
        out.code(2)
            .stderr_has("use one of name, limit, usage, remaining, expires, created, last_used");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    // Nothing was sent for any of them.
    assert!(
        server
            .received_requests()
            .await
            .expect("recording")
            .is_empty()
    );
}

#[tokio::test]
async fn match_keeps_the_keys_whose_name_matches() {
    let server = gates_server().await;
    // Case-sensitive, as update's --match; a key with no name never matches.
    assert_eq!(
        order(&server, ENV, "modelgates", &["--match", "*a"]).await,
        "AD"
    );
    assert_eq!(
        order(&server, ENV, "modelgates", &["--match", "[a-c]*"]).await,
        "ABC"
    );
    assert_eq!(
        order(&server, ENV, "modelgates", &["--match", "ALPHA"]).await,
        ""
    );
    assert_eq!(
        order(&server, ENV, "modelgates", &["--match", "*"]).await,
        "ABCDF"
    );
    // With --sort: the matched keys in that order.
    assert_eq!(
        order(
            &server,
            ENV,
            "modelgates",
            &["--match", "*a*", "--sort", "-limit"]
        )
        .await,
        "CADB"
    );
}

#[tokio::test]
async fn no_match_prints_nothing_and_warns() {
    let server = gates_server().await;
    for format in ["json", "tsv", "table"] {
        let out = Keyctl::new(
            ENV,
            &["list", "-p", "modelgates", "--match", "ci-*", "-o", format],
        )
        .base(&server)
        .run()
        .await;
        out.code(0)
            .stderr_has("warning: no ModelGates key has a name matching 'ci-*'");
        assert!(out.stdout.is_empty(), "{format}: {}", out.stdout);
    }
}

#[tokio::test]
async fn a_bad_glob_is_exit_2_before_anything_is_sent() {
    let server = gates_server().await;
    Keyctl::new(ENV, &["list", "-p", "modelgates", "--match", "ci-[a"])
        .base(&server)
        .run()
        .await
        .code(2)
        .stderr_has("--match: bad glob");
    assert!(
        server
            .received_requests()
            .await
            .expect("recording")
            .is_empty()
    );
}
