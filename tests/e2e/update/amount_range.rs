//! `update` with amounts out of range (huge, tiny, negative, relative): refused or clamped,
//! never a panic, and nothing absurd sent.

use serde_json::Value;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::request_log::paths_of;
use crate::common::server;
use crate::common::stand_ins::{cell, mg, no_panic, tsv};

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

/// Found by the review round of commit d95c7ef.
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
            paths_of(&server, "PATCH").await,
            ["/api/v1/keys/h"],
            "{limit:.40}"
        );
    }
}

/// Found by the review round of commit d95c7ef.
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
            paths_of(&server, "PATCH").await.is_empty(),
            "{limit} {delta}: a write was sent: {out:?}"
        );
    }
}
