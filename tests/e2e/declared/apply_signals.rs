//! SIGTERM during `keyctl apply`: the write in flight is let finish and reported, no new write
//! is started, every key still ends in one status (the rest `not_attempted`), the run exits
//! 143, and the audit trail's lines carry the apply's run id.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::home::Home;
use crate::common::stand_ins::{With, gates_key};
use crate::common::{gates_listing, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const HASHES: [&str; 3] = [
    "a200000000000000000000000000000000000000000000000000000000000001",
    "a200000000000000000000000000000000000000000000000000000000000002",
    "a200000000000000000000000000000000000000000000000000000000000003",
];

#[tokio::test]
async fn sigterm_during_an_apply_finishes_the_write_in_flight_and_starts_no_other() {
    let s = server().await;
    let keys: Vec<Value> = HASHES
        .iter()
        .enumerate()
        .map(|(i, h)| gates_key(h, &format!("k{i}")).with(json!({"limit": 10})))
        .collect();
    gates_listing(&s, keys.clone()).await;
    for k in &keys {
        Mock::given(method("GET"))
            .and(path(format!(
                "/api/v1/keys/{}",
                k["hash"].as_str().unwrap()
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": k})))
            .mount(&s)
            .await;
    }
    // Each update answers after 1.5 s: the signal comes while the first is in flight.
    Mock::given(method("PATCH"))
        .respond_with(|r: &wiremock::Request| {
            let hash = r.url.path().rsplit('/').next().unwrap_or_default();
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": gates_key(hash, "k").with(body)}))
                .set_delay(Duration::from_millis(1500))
        })
        .mount(&s)
        .await;
    let home = Home::without_config();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"k0\"\nlimit = 20\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"k1\"\nlimit = 20\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"k2\"\nlimit = 20\n",
    );
    let uri = s.uri();
    let mut r = home.spawn(
        ENV,
        &[
            "apply",
            "-f",
            file.to_str().unwrap(),
            "--yes",
            "-o",
            "json",
            "--base-url",
            &uri,
        ],
        &home.env_without_config(),
    );
    // The listing, then the first update in flight.
    r.requests(&s, 2).await;
    r.settle(Duration::ZERO, Duration::from_millis(200)).await;
    r.signal("TERM");
    let f = r.finish(Duration::from_secs(10)).await;
    let out = &f.out;
    assert_eq!(out.code, 143, "{out:?}");
    // Let any late write arrive before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent: Vec<String> = s
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        sent,
        vec![
            "GET /api/v1/keys".to_string(),
            format!("PATCH /api/v1/keys/{}", HASHES[0]),
        ],
        "no write after the signal: {out:?}"
    );
    let lines = out.json_lines();
    let got: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["key"].as_str().unwrap_or_default().to_string(),
                l["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (HASHES[0].to_string(), "updated".to_string()),
            (HASHES[1].to_string(), "not_attempted".to_string()),
            (HASHES[2].to_string(), "not_attempted".to_string()),
        ],
        "{out:?}"
    );
    for l in &lines {
        crate::output::json_model::check_line(l);
    }
    assert!(
        out.stderr.contains(
            "stopped by SIGTERM: no new write was started; apply: 2 not attempted, 1 updated"
        ),
        "{}",
        out.stderr
    );
    // The trail: the update made, with the apply's run id (the JSON lines' own).
    let run = lines[0]["run"].as_str().unwrap();
    assert!(lines.iter().all(|l| l["run"] == run));
    let trail = std::fs::read_to_string(home.trail()).unwrap_or_default();
    let trail: Vec<Value> = trail
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!trail.is_empty());
    assert!(trail.iter().all(|l| l["run"] == run), "{trail:?}");
    assert!(
        trail
            .iter()
            .any(|l| l["key"] == HASHES[0] && l["status"] == "updated"),
        "{trail:?}"
    );
}

#[tokio::test]
async fn sigterm_while_the_listing_is_read_sends_nothing_and_exits_143() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": []}))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&s)
        .await;
    let home = Home::without_config();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"new\"\nsecret_file = \"new.key\"\n",
    );
    let uri = s.uri();
    let mut r = home.spawn(
        ENV,
        &[
            "apply",
            "-f",
            file.to_str().unwrap(),
            "--yes",
            "--base-url",
            &uri,
        ],
        &home.env_without_config(),
    );
    r.requests(&s, 1).await;
    r.settle(Duration::ZERO, Duration::from_millis(200)).await;
    r.signal("TERM");
    let f = r.finish(Duration::from_secs(10)).await;
    assert_eq!(f.out.code, 143, "{:?}", f.out);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent: Vec<String> = s
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(sent, vec!["GET /api/v1/keys"]);
    assert!(!home.path().join("new.key").exists());
    assert_eq!(f.out.stdout, "");
}
