//! Record tables never split an id: `check` and `log` tables at every width keep a 64-hex id
//! whole, and its short prefix unbroken at 100 columns.

use serde_json::json;

use crate::common::home::Home;
use crate::common::profile_servers::{gates_server, is_table};
use crate::common::{GATES_KEY, Keyctl};

/// The 64-hex id appears whole on one line of `stdout`.
fn id_whole_on_a_line(stdout: &str, id: &str, what: &str) {
    assert!(
        stdout.lines().any(|l| l.contains(id)),
        "{what}: the id {id} is not whole on any line:\n{stdout}"
    );
}

/// With `--wide`, ids stay whole: a table where they fit, records where they do not; never an
/// id split over lines. (Without it, a table shows the id's short unique prefix: below.)
///
/// Found by the operator review of profiles.
#[tokio::test]
async fn check_tables_with_wide_keep_a_64_hex_id_whole_at_every_width() {
    let s = gates_server("").await;
    let sb = Home::new();
    sb.config("");
    for cols in ["200", "100", "60"] {
        let out = Keyctl::new(
            "MODELGATES_MANAGEMENT_KEY",
            &[
                "check",
                "-p",
                "modelgates",
                "--usage-over",
                "80%",
                "-o",
                "table",
                "--wide",
            ],
        )
        .base(&s)
        .env("KEYCTL_CONFIG", sb.config_path().to_str().unwrap())
        .env("XDG_STATE_HOME", sb.path().join("state").to_str().unwrap())
        .env("COLUMNS", cols)
        .run()
        .await;
        out.code(9);
        id_whole_on_a_line(&out.stdout, GATES_KEY, &format!("check COLUMNS={cols}"));
        match cols {
            "200" => {
                assert!(is_table(&out.stdout), "{cols}:\n{}", out.stdout);
                assert!(
                    out.stdout.lines().all(|l| l.chars().count() <= 200),
                    "{}",
                    out.stdout
                );
            }
            "60" => {
                assert!(!is_table(&out.stdout), "{cols}:\n{}", out.stdout);
                let id_line = out.stdout.lines().find(|l| l.contains(GATES_KEY)).unwrap();
                assert!(id_line.starts_with("id:"), "{id_line:?}");
                assert_eq!(
                    id_line.trim_start_matches("id:").trim(),
                    GATES_KEY,
                    "{}",
                    out.stdout
                );
                assert!(
                    out.stdout.contains("provider: modelgates"),
                    "{}",
                    out.stdout
                );
                assert!(
                    out.stdout.contains("usage 90% of limit (45 of 50 USD)"),
                    "{}",
                    out.stdout
                );
            }
            _ => {}
        }
    }
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn log_tables_keep_long_keys_whole_at_every_width() {
    let sb = Home::new();
    sb.config("");
    let keys = [
        GATES_KEY,
        "aa00000000000000000000000000000000000000000000000000000000000042",
    ];
    let lines: String = keys
        .iter()
        .map(|k| {
            format!(
                "{}\n",
                json!({"time": "2026-01-02T03:04:05.678Z", "run": "r1", "profile": "work",
                       "provider": "modelgates", "key": k, "action": "update",
                       "status": "updated",
                       "changes": [{"field": "limit", "from": 10, "to": 50},
                                   {"field": "reset", "from": "daily", "to": "monthly"}],
                       "http_status": 200})
            )
        })
        .collect();
    sb.write("state/keyctl/audit.jsonl", &lines);
    for cols in ["200", "100", "60"] {
        let out = sb
            .keyctl(&["log", "-o", "table"])
            .env("COLUMNS", cols)
            .run()
            .await;
        out.code(0);
        for k in keys {
            id_whole_on_a_line(&out.stdout, k, &format!("log COLUMNS={cols}"));
        }
        match cols {
            "200" => assert!(is_table(&out.stdout), "{cols}:\n{}", out.stdout),
            "60" => {
                assert!(!is_table(&out.stdout), "{cols}:\n{}", out.stdout);
                let key_lines: Vec<&str> = out
                    .stdout
                    .lines()
                    .filter(|l| l.starts_with("key:"))
                    .collect();
                assert_eq!(key_lines.len(), 2, "{}", out.stdout);
                assert!(out.stdout.contains("action:"), "{}", out.stdout);
            }
            _ => {}
        }
    }
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn check_tables_at_100_columns_show_the_ids_short_prefix_unbroken() {
    let s = gates_server("").await;
    let sb = Home::new();
    sb.config("");
    let out = Keyctl::new(
        "MODELGATES_MANAGEMENT_KEY",
        &[
            "check",
            "-p",
            "modelgates",
            "--usage-over",
            "80%",
            "-o",
            "table",
        ],
    )
    .base(&s)
    .env("KEYCTL_CONFIG", sb.config_path().to_str().unwrap())
    .env("XDG_STATE_HOME", sb.path().join("state").to_str().unwrap())
    .env("COLUMNS", "100")
    .run()
    .await;
    out.code(9);
    assert!(is_table(&out.stdout), "{}", out.stdout);
    assert!(out.stdout.contains(&GATES_KEY[..8]), "{}", out.stdout);
    assert!(!out.stdout.contains(GATES_KEY), "{}", out.stdout);
    assert!(
        out.stdout.lines().all(|l| l.chars().count() <= 100),
        "{}",
        out.stdout
    );
}
