//! Key references on every command that takes keys: a full id as is (no listing), a name, an id
//! prefix, `name:`/`id:`, ambiguity (exit 2) and no match (exit 4, a suggestion), one listing
//! per run, `--match` on update/get/revoke/rotate, listing reads at scale, uncapped relative
//! changes and the exit code of a run that sent writes.

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::stand_ins::{self, With};
use crate::common::{GATES_KEY, IONET_KEY, Keyctl, VENICE_KEY, gates_listing, seen, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const A: &str = "51150bbe3f0a4c1d9e8b7a6f5e4d3c2b1a0918273645546372819a0b1c2d3e4f";
const B: &str = "51150bbf00112233445566778899aabbccddeeff00112233445566778899aabb";
const C: &str = "c0ffee0000000000000000000000000000000000000000000000000000000001";
const D1: &str = "d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1";
const D2: &str = "d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2";

fn gates_key(hash: &str, name: &str, limit: Value) -> Value {
    stand_ins::gates_key(hash, name).with(json!({"label": "sk-or-v1-abc...xyz",
        "limit": limit, "limit_remaining": null, "limit_reset": null,
        "include_byok_in_limit": false, "usage": 1, "created_at": "2026-01-01T00:00:00Z",
        "expires_at": null}))
}

/// The account of most tests: two ci agents whose ids share 7 characters, prod, and two keys
/// named alike.
fn keys() -> Vec<Value> {
    vec![
        gates_key(A, "ci-agent-08", json!(100)),
        gates_key(B, "ci-agent-09", json!(100)),
        gates_key(C, "prod", json!(null)),
        gates_key(D1, "dup", json!(5)),
        gates_key(D2, "dup", json!(5)),
    ]
}

fn count(seen: &[String], what: &str) -> usize {
    seen.iter().filter(|s| *s == what).count()
}

async fn patch_ok(server: &MockServer, hash: &str) {
    let hash = hash.to_string();
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{}", hash)))
        .respond_with(move |req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let limit = body.get("limit").cloned().unwrap_or(json!(100));
            ResponseTemplate::new(200).set_body_json(json!({"data": gates_key(&hash, "x", limit)}))
        })
        .mount(server)
        .await;
}

fn gm(args: &[&str]) -> Keyctl {
    Keyctl::new(ENV, &["-p", "modelgates"]).args(args)
}

#[tokio::test]
async fn a_name_resolves_through_one_listing_and_the_write_goes_to_its_id() {
    let server = server().await;
    gates_listing(&server, keys()).await;
    patch_ok(&server, A).await;
    let out = gm(&["update", "ci-agent-08", "--limit", "125", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0).stdout_has(A);
    // The listing read for the name says what the key was: `100 → 125`, not `? → 125`.
    let line = &out.json_lines()[0];
    assert_eq!(line["before"]["limit"], 100, "{line}");
    let limit = line["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["field"] == "limit"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (limit["from"].clone(), limit["to"].clone()),
        (json!(100), json!(125)),
        "{line}"
    );
    let seen = seen(&server).await;
    assert_eq!(
        seen,
        [
            "GET /api/v1/keys".to_string(),
            format!("PATCH /api/v1/keys/{A}")
        ]
    );
}

#[tokio::test]
async fn an_id_prefix_of_six_or_more_resolves_and_get_uses_the_listing_entry() {
    let server = server().await;
    gates_listing(&server, keys()).await;
    let out = gm(&["get", "c0ffee", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], C);
    // The listing entry is the key's view: no second read.
    assert_eq!(seen(&server).await, ["GET /api/v1/keys"]);
    // Upper case is the same prefix.
    let out = gm(&["get", "51150BBF", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], B);
}

#[tokio::test]
async fn name_and_id_force_one_reading() {
    let server = server().await;
    let mut ks = keys();
    // A key named like the start of another key's id.
    ks.push(gates_key(
        "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0",
        "c0ffee",
        json!(1),
    ));
    gates_listing(&server, ks).await;
    let get = |r: &'static str| gm(&["get", r, "-o", "json"]).base(&server).run();
    // Plain: a name that also starts another key's id fits both (exit 2); id: the prefix;
    // name: the name only.
    get("c0ffee")
        .await
        .code(2)
        .stderr_has("say which with name:c0ffee or id:c0ffee");
    let out = get("name:c0ffee").await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["after"]["name"], "c0ffee");
    let out = get("id:c0ffee").await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], C);
    get("name:51150bbf")
        .await
        .code(4)
        .stderr_has("no key is named '51150bbf'");
    get("id:51150")
        .await
        .code(2)
        .stderr_has("at least 6 characters");
}

#[tokio::test]
async fn ambiguity_is_exit_2_with_every_candidate_and_nothing_sent() {
    let server = server().await;
    gates_listing(&server, keys()).await;
    crate::common::forbid_patch(&server).await;
    let out = gm(&["update", "dup", "--limit", "9"])
        .base(&server)
        .run()
        .await;
    out.code(2)
        .stderr_has("2 keys are named 'dup'")
        .stderr_has(D1)
        .stderr_has(D2)
        .stderr_has("nothing was sent");
    let out = gm(&["update", "51150b", "--limit", "9"])
        .base(&server)
        .run()
        .await;
    out.code(2)
        .stderr_has("2 keys have an id starting with '51150b'")
        .stderr_has(&format!("{A}  ci-agent-08"))
        .stderr_has(&format!("{B}  ci-agent-09"));
}

#[tokio::test]
async fn no_match_is_exit_4_with_the_nearest_names_and_nothing_sent() {
    let server = server().await;
    gates_listing(&server, keys()).await;
    crate::common::forbid_patch(&server).await;
    let out = gm(&["update", "ci-agent-8", "--limit", "+25"])
        .base(&server)
        .run()
        .await;
    out.code(4)
        .stderr_has("no key is named, or has an id starting with, 'ci-agent-8' (among 5 keys;")
        .stderr_has("did you mean ci-agent-08, ci-agent-09?")
        .stderr_has("nothing was sent");
    // JSON kind for scripts: not_found. Several bad references are reported together.
    let out = gm(&["update", "nope-a", "nope-b", "prod", "--limit", "1"])
        .base(&server)
        .run()
        .await;
    out.code(4)
        .stderr_has("2 key references do not name one key")
        .stderr_has("'nope-a'")
        .stderr_has("'nope-b'");
}

#[tokio::test]
async fn full_ids_are_used_as_is_with_no_listing() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    patch_ok(&server, GATES_KEY).await;
    gm(&["update", GATES_KEY, "--limit", "5"])
        .base(&server)
        .run()
        .await
        .code(0);
    assert_eq!(
        seen(&server).await,
        [format!("PATCH /api/v1/keys/{GATES_KEY}")]
    );
}

#[tokio::test]
async fn several_names_a_prefix_and_match_read_the_listing_once() {
    let server = server().await;
    gates_listing(&server, keys()).await;
    patch_ok(&server, A).await;
    patch_ok(&server, B).await;
    patch_ok(&server, C).await;
    gm(&[
        "update", "prod", "51150bbe", "--match", "ci-*", "--limit", "7", "--yes",
    ])
    .base(&server)
    .run()
    .await
    .code(0)
    .stderr_has("--match ci-*: selected 2 key(s)");
    let seen = seen(&server).await;
    assert_eq!(count(&seen, "GET /api/v1/keys"), 1, "{seen:?}");
    for id in [A, B, C] {
        assert_eq!(
            count(&seen, &format!("PATCH /api/v1/keys/{id}")),
            1,
            "{seen:?}"
        );
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
}

#[tokio::test]
async fn from_file_lines_are_references_too() {
    let server = server().await;
    gates_listing(&server, keys()).await;
    patch_ok(&server, A).await;
    patch_ok(&server, C).await;
    gm(&["update", "--from-file", "-", "--limit", "3", "--yes"])
        .base(&server)
        .stdin(b"# the agents\nci-agent-08  # this one\nid:c0ffee\n")
        .run()
        .await
        .code(0);
    let seen = seen(&server).await;
    assert_eq!(count(&seen, &format!("PATCH /api/v1/keys/{A}")), 1);
    assert_eq!(count(&seen, &format!("PATCH /api/v1/keys/{C}")), 1);
}

#[tokio::test]
async fn match_selects_on_get_revoke_and_rotate() {
    let server = server().await;
    gates_listing(&server, keys()).await;
    let out = gm(&["get", "--match", "ci-*", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    let got: Vec<Value> = out.json_lines().iter().map(|l| l["key"].clone()).collect();
    assert_eq!(got, [json!(A), json!(B)]);
    for id in [A, B] {
        Mock::given(method("DELETE"))
            .and(path(format!("/api/v1/keys/{id}")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"data": {"success": true}})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    gm(&["revoke", "--match", "ci-*", "--yes"])
        .base(&server)
        .run()
        .await
        .code(0);
    // rotate --match without a terminal needs --yes; with --dry-run it plans each key.
    gm(&["rotate", "--match", "ci-*"])
        .base(&server)
        .run()
        .await
        .code(2)
        .stderr_has("add --yes");
    let out = gm(&["rotate", "--match", "ci-*", "--dry-run", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    assert_eq!(out.json_lines().len(), 2, "{}", out.stdout);
}

#[tokio::test]
async fn revoke_and_rotate_take_names() {
    let server = server().await;
    gates_listing(&server, keys()).await;
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1/keys/{C}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"success": true}})))
        .expect(1)
        .mount(&server)
        .await;
    gm(&["revoke", "prod", "--yes"])
        .base(&server)
        .run()
        .await
        .code(0);
    let out = gm(&["rotate", "ci-agent-09", "--dry-run", "-o", "json"])
        .base(&server)
        .run()
        .await;
    out.code(0);
    let line = &out.json_lines()[0];
    assert!(line.to_string().contains(B), "{line}");
}

#[tokio::test]
async fn venice_and_ionet_keys_by_name() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": [
            {"id": VENICE_KEY, "description": "app", "apiKeyType": "INFERENCE",
             "consumptionLimits": {"usd": 10, "diem": null, "vcu": null},
             "currentPeriodUsage": {"usd": "1", "diem": "0"}, "limitPeriod": "MONTH",
             "expiresAt": null}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["-p", "venice", "get", "app", "-o", "json"],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], VENICE_KEY);

    let server = server_ionet().await;
    let out = Keyctl::new(
        "IONET_ADMIN_KEY",
        &["-p", "ionet", "get", "batch", "-o", "json"],
    )
    .base(&server)
    .run()
    .await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], IONET_KEY);
    // io.net's list lacks usage: its single-key read still runs, and the list is read once.
    let seen = seen(&server).await;
    assert_eq!(count(&seen, "GET /v1/api-keys/sub-keys"), 1, "{seen:?}");
    assert_eq!(
        count(
            &seen,
            &format!("GET /v1/api-keys/sub-keys/{IONET_KEY}/usage")
        ),
        1,
        "{seen:?}"
    );
}

async fn server_ionet() -> MockServer {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded",
            "data": [{"id": IONET_KEY, "description": "batch", "created_at": "2026-01-01T00:00:00",
                      "expires_at": "2099-01-01T00:00:00", "expired": false,
                      "allowed_models": [], "credit_limit": 100, "credit_used": 3.5,
                      "credit_refresh_cycle": "weekly"}]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/api-keys/sub-keys/{IONET_KEY}/usage")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded",
            "data": {"key_id": IONET_KEY, "credit_used": 3.5, "credit_limit": 100,
                     "remaining_credit": 96.5, "credit_refresh_cycle": "weekly"}})),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_name_in_a_dry_run_without_the_credential_says_what_to_set() {
    let out = Keyctl::bare(&[
        "-p",
        "modelgates",
        "update",
        "ci-agent-08",
        "--limit",
        "5",
        "--dry-run",
    ])
    .run()
    .await;
    out.code(3)
        .stderr_has("'ci-agent-08' is not a full key id")
        .stderr_has("MODELGATES_MANAGEMENT_KEY");
    // A full id still plans with no credential and no network.
    Keyctl::bare(&[
        "-p",
        "modelgates",
        "update",
        GATES_KEY,
        "--limit",
        "5",
        "--dry-run",
    ])
    .run()
    .await
    .code(0);
}

#[tokio::test]
async fn a_pasted_secret_as_a_reference_is_refused_before_any_listing() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let out = gm(&["get", "sk-or-v1-0123456789abcdef0123"])
        .base(&server)
        .run()
        .await;
    out.code(2).stderr_has("is the secret, not the id");
    assert!(
        !out.stderr.contains("0123456789abcdef0123"),
        "{}",
        out.stderr
    );
}

/// 10,000 keys, ids given in full from a file: the relative change reads the listing (100
/// pages) instead of 10,000 single reads.
#[tokio::test]
async fn a_ten_thousand_key_relative_run_reads_by_listing() {
    let server = server().await;
    let ids: Vec<String> = (0..10_000).map(|i| format!("{i:064x}")).collect();
    let all: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| gates_key(id, &format!("k{i:05}"), json!(10)))
        .collect();
    gates_listing(&server, all).await;
    let file = ids.join("\n");
    let out = gm(&[
        "update",
        "--from-file",
        "-",
        "--limit",
        "+5",
        "--dry-run",
        "-o",
        "tsv",
    ])
    .base(&server)
    .stdin(file.as_bytes())
    .run()
    .await;
    out.code(0);
    assert_eq!(out.stdout.lines().count(), 10_001, "{}", out.stderr);
    let seen = seen(&server).await;
    // 100 full pages and the empty one that ends the listing.
    assert_eq!(seen.len(), 101, "{:?}", &seen[..5.min(seen.len())]);
    assert!(seen.iter().all(|s| s == "GET /api/v1/keys"));
}

/// Two ids in a large account: two single reads are cheaper than the listing's pages, so the
/// listing read is given up after one page.
#[tokio::test]
async fn two_ids_in_a_large_account_are_read_one_by_one() {
    let server = server().await;
    let all: Vec<Value> = (0..1_000)
        .map(|i| gates_key(&format!("{i:064x}"), &format!("k{i}"), json!(10)))
        .collect();
    gates_listing(&server, all).await;
    for id in [A, B] {
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/keys/{id}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": gates_key(id, "x", json!(10))})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    gm(&["update", A, B, "--limit", "+5", "--dry-run"])
        .base(&server)
        .run()
        .await
        .code(0);
    let seen = seen(&server).await;
    assert_eq!(count(&seen, "GET /api/v1/keys"), 1, "{seen:?}");
    assert_eq!(seen.len(), 3, "{seen:?}");
}

#[tokio::test]
async fn a_relative_change_on_an_uncapped_key_is_unchanged_with_exit_0() {
    let server = server().await;
    gates_listing(&server, keys()).await;
    patch_ok(&server, A).await;
    let out = gm(&[
        "update",
        "prod",
        "ci-agent-08",
        "--limit",
        "+25",
        "-o",
        "json",
    ])
    .base(&server)
    .run()
    .await;
    out.code(0);
    let lines = out.json_lines();
    let prod = lines.iter().find(|l| l["key"] == C).expect("prod's line");
    assert_eq!(prod["status"], "unchanged", "{prod}");
    assert!(
        prod.to_string().contains("no cap: +25 leaves it unlimited"),
        "{prod}"
    );
    let seen = seen(&server).await;
    assert_eq!(
        count(&seen, &format!("PATCH /api/v1/keys/{C}")),
        0,
        "{seen:?}"
    );
    assert_eq!(
        count(&seen, &format!("PATCH /api/v1/keys/{A}")),
        1,
        "{seen:?}"
    );
}

/// One key written, one refused for its state (its limit would go below 0): the run sent a
/// write, so it does not exit 2 ("usage error, nothing sent").
#[tokio::test]
async fn a_run_that_sent_writes_never_exits_2() {
    let server = server().await;
    gates_listing(&server, keys()).await;
    patch_ok(&server, A).await;
    let out = gm(&["update", "ci-agent-08", "dup", "--limit", "-10", "--yes"])
        .base(&server)
        .run()
        .await;
    // `dup` is ambiguous: refused as a whole before anything is sent.
    out.code(2);
    let out = gm(&[
        "update",
        "ci-agent-08",
        &format!("id:{D1}"),
        "--limit",
        "-10",
        "--yes",
    ])
    .base(&server)
    .run()
    .await;
    out.code(5);
    let seen = seen(&server).await;
    assert_eq!(
        count(&seen, &format!("PATCH /api/v1/keys/{A}")),
        1,
        "{seen:?}"
    );
    assert_eq!(
        count(&seen, &format!("PATCH /api/v1/keys/{D1}")),
        0,
        "{seen:?}"
    );
}

#[tokio::test]
async fn query_of_the_listing_includes_disabled_keys() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("include_disabled", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            gates_key(A, "paused", json!(1))]})))
        .expect(1)
        .mount(&server)
        .await;
    patch_ok(&server, A).await;
    gm(&["update", "paused", "--enable"])
        .base(&server)
        .run()
        .await
        .code(0);
}

/// A key's secret given as a glob (`list --match`, `check --match`/`--exclude`) is refused before
/// anything is read, and not echoed.
#[tokio::test]
async fn a_secret_as_a_glob_is_refused_on_list_and_check() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let pasted = "sk-or-v1-0123456789abcdef0123";
    for args in [
        vec!["list", "--match", pasted],
        vec!["check", "--disabled", "--match", pasted],
        vec!["check", "--disabled", "--exclude", pasted],
    ] {
        let out = gm(&args).base(&server).run().await;
        out.code(2)
            .stderr_has("is given a key's secret, not a glob");
        assert!(
            !out.stderr.contains("0123456789abcdef0123"),
            "{}",
            out.stderr
        );
    }
}
