//! What `get` and `list` show: a negative remaining or cap is not a known figure, a failed
//! `get` has no row, and `--columns` takes headers (a repeated one printed twice).

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::stand_ins::{
    cell, gates_get, gates_key_at, gates_list, mg, tsv, venice, venice_get,
};
use crate::common::{GATES_KEY, VENICE_KEY, fixture, server};

/// Found by the review round of commit d95c7ef.
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

/// Found by the review round of commit d95c7ef.
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

/// A key `get` reads and one it cannot (404), by full ids.
const GOOD: &str = "600d000000000000000000000000000000000000000000000000000000000001";

const BAD: &str = "bad0000000000000000000000000000000000000000000000000000000000002";

async fn good_and_bad() -> MockServer {
    let server = server().await;
    gates_get(&server, GOOD, gates_key_at(GOOD, "fine", json!(10))).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{BAD}")))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(fixture("modelgates/error_404.json")),
        )
        .mount(&server)
        .await;
    server
}

/// Found by the review round of commit d95c7ef.
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

/// Found by the review round of commit d95c7ef.
#[tokio::test]
async fn columns_by_header_are_accepted() {
    let cols = "diem,vcu,byok,total,last_used";
    let server = server().await;
    gates_get(&server, GATES_KEY, gates_key_at(GATES_KEY, "k", json!(10))).await;
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

/// Found by the review round of commit d95c7ef.
#[tokio::test]
async fn a_repeated_column_is_printed_twice() {
    let server = server().await;
    gates_get(
        &server,
        GATES_KEY,
        gates_key_at(GATES_KEY, "twice", json!(10)),
    )
    .await;
    let out = mg(&server, &["get", GATES_KEY, "--columns", "name,name"])
        .run()
        .await;
    out.code(0);
    assert_eq!(out.stdout, "name\tname\ntwice\ttwice\n", "{out:?}");
}
