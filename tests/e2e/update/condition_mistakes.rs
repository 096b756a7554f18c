//! Mistakes an operator makes with `update --if-usage-over` and `check --usage-over` (issue 22):
//! a fraction written for a percent (`0.9` for `90%`) is refused before anything is read, since
//! as an amount it would select, and update would raise, nearly every used key; a number without
//! `%` that is above a key's limit (`90` over a $50 cap) is kept as an amount, and the skipped
//! key's reason says how to write the percent; check's refusal names its flag once.

use serde_json::{Value, json};

use crate::common::{Keyctl, gates_listing, seen, server};

const MG: &str = "MODELGATES_MANAGEMENT_KEY";

const USED: &str = "aaaa000000000000000000000000000000000000000000000000000000000001";
const HOT: &str = "bbbb000000000000000000000000000000000000000000000000000000000002";

/// A ModelGates key with a $50 daily cap, `spent` of it used today.
fn key(hash: &str, name: &str, spent: f64) -> Value {
    json!({"hash": hash, "name": name, "disabled": false, "limit": 50.0,
        "limit_reset": "daily", "usage_daily": spent, "limit_remaining": 50.0 - spent,
        "usage": 1000.0, "include_byok_in_limit": false,
        "created_at": "2026-01-01T00:00:00Z", "expires_at": null})
}

/// `0.9`, `0.05` and `.9`-like fractions: exit 2 naming the percent meant, nothing read or
/// sent; `0` and `1` stay amounts.
#[tokio::test]
async fn a_fraction_for_a_percent_is_refused_before_anything_is_sent() {
    let server = server().await;
    gates_listing(&server, vec![key(USED, "ci-used", 3.0)]).await;
    for (value, percent) in [("0.9", "90%"), ("0.05", "5%"), (" 0.95 ", "95%")] {
        Keyctl::new(
            MG,
            &["update", "-p", "modelgates", "--match", "ci-*", "--yes"],
        )
        .args(&["--if-usage-over", value, "--limit", "+25"])
        .base(&server)
        .run()
        .await
        .code(2)
        .stderr_has(&format!("--if-usage-over '{}' has no %", value.trim()))
        .stderr_has(&format!("for a share of the limit write {percent}"));
        Keyctl::new(MG, &["check", "-p", "modelgates", "--usage-over", value])
            .base(&server)
            .run()
            .await
            .code(2)
            .stderr_has(&format!("error: --usage-over '{}' has no %", value.trim()))
            .stderr_has(&format!("write {percent}"));
    }
    assert!(seen(&server).await.is_empty(), "nothing read or sent");
    // 0 and 1 are amounts as before: the check runs (3 USD spent is at least 1).
    for amount in ["0", "1"] {
        Keyctl::new(MG, &["check", "-p", "modelgates", "--usage-over", amount])
            .base(&server)
            .run()
            .await
            .code(9)
            .stdout_has("ci-used");
    }
}

/// check names its flag once in a refusal (it said "--usage-over: --usage-over 'abc' ...").
#[tokio::test]
async fn check_names_the_flag_once() {
    let out = Keyctl::new(MG, &["check", "-p", "modelgates", "--usage-over", "abc"])
        .run()
        .await;
    out.code(2)
        .stderr_has("error: --usage-over 'abc' is not a plain decimal");
    assert!(
        !out.stderr.contains("--usage-over: --usage-over"),
        "{}",
        out.stderr
    );
}

/// `--if-usage-over 90` (no %) over $50 caps: still an amount (no write for a key at 47.5 of
/// 50), but the reason says the amount is above the key's limit and how to write 90%; a key
/// whose limit is above the amount gets the plain reason.
#[tokio::test]
async fn an_amount_above_the_limit_says_how_to_write_the_percent() {
    let server = server().await;
    let mut big = key(USED, "ci-big", 20.0);
    big["limit"] = json!(500.0);
    big["limit_remaining"] = json!(480.0);
    gates_listing(&server, vec![big, key(HOT, "ci-hot", 47.5)]).await;
    let out = Keyctl::new(
        MG,
        &["update", "-p", "modelgates", "--match", "ci-*", "--yes"],
    )
    .args(&["--if-usage-over", "90", "--limit", "+25", "-o", "json"])
    .base(&server)
    .run()
    .await;
    out.code(0)
        .stderr_has("summary: 0 updated, 2 unchanged, 0 failed")
        .stderr_has(
            "unchanged: condition not met: usage 47.5 USD is under 90 (an amount, above the \
             key's 50 USD limit: for a share of the limit write 90%)",
        );
    let lines = out.json_lines();
    let reason = |id: &str| {
        lines
            .iter()
            .find(|l| l["key"] == id)
            .map(|l| l["reason"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        reason(HOT),
        "condition not met: usage 47.5 USD is under 90 (an amount, above the key's 50 USD \
         limit: for a share of the limit write 90%)"
    );
    assert_eq!(reason(USED), "condition not met: usage 20 USD is under 90");
    assert!(
        seen(&server).await.iter().all(|r| r.starts_with("GET")),
        "no write"
    );
}
