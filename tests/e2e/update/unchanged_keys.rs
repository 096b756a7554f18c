//! `update` writes only what changes: a key already as asked is unchanged and not written, and
//! Venice's other currencies are sent as null when one limit is cleared.

use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::request_log::paths_of;
use crate::common::stand_ins::{gates_get, gates_key_at, mg, venice, venice_get};
use crate::common::{GATES_KEY, VENICE_KEY, fixture, forbid_patch, server};

/// Found by the review round of commit d95c7ef.
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

/// Found by the review round of commit d95c7ef.
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
        gates_get(&server, GATES_KEY, gates_key_at(GATES_KEY, "k", json!(38))).await;
        let out = mg(&server, &["update", GATES_KEY, "-o", "json"])
            .args(args)
            .run()
            .await;
        out.code(0);
        let l = &out.json_lines();
        assert_eq!(l.len(), 1, "{args:?}: {out:?}");
        assert_eq!(l[0]["status"], "unchanged", "{args:?}: {}", l[0]);
        assert!(paths_of(&server, "PATCH").await.is_empty(), "{args:?}");
    }
    // +1 is a change: {"limit": 39} is sent once.
    let server = server().await;
    gates_get(&server, GATES_KEY, gates_key_at(GATES_KEY, "k", json!(38))).await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .and(body_json(json!({"limit": 39})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": gates_key_at(GATES_KEY, "k", json!(39))})),
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

/// Found by the review round of commit d95c7ef.
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
        assert!(paths_of(&server, "PATCH").await.is_empty(), "{args:?}");
    }
}
