//! Ids that fit: a table shows each id as its shortest unique prefix of at least 8 characters
//! when whole ids would cost it columns (or its one line per key), `--wide` shows them whole,
//! TSV and JSON always carry them whole, and a short id pasted from a table names its key.
//! The 40-key ModelGates list runs on a real pseudo-terminal (`tests/e2e/pty_run.py`) at 60,
//! 120 and 200 columns.

use std::collections::HashSet;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::pty::{PtyOut, SCRIPT, clean, finish};
use crate::common::{Keyctl, SECRET, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";

/// 64 hex digits from a seed (splitmix64, four words): ids as ModelGates writes them.
fn hex_id(seed: u64) -> String {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (0..4)
        .map(|_| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            format!("{:016x}", z ^ (z >> 31))
        })
        .collect()
}

/// The ids of `ci-agent-01` … `ci-agent-40`: 05 and 06 share their first 8 hex digits with
/// 04, and 07 its first 10 (so 04 and 07 need 11 characters, 05 and 06 need 9).
fn ids() -> Vec<String> {
    let mut ids: Vec<String> = (1..=40).map(hex_id).collect();
    let four = ids[3].clone();
    // Hex digits other than 04's at `at`.
    let other = |at: usize| -> Vec<char> {
        "0123456789abcdef"
            .chars()
            .filter(|c| !four[at..].starts_with(*c))
            .collect()
    };
    ids[4] = format!("{}{}{}", &four[..8], other(8)[0], &ids[4][9..]);
    ids[5] = format!("{}{}{}", &four[..8], other(8)[1], &ids[5][9..]);
    ids[6] = format!("{}{}{}", &four[..10], other(10)[0], &ids[6][11..]);
    ids
}

/// The shortest prefix of `id` (at least 8 characters) that no other of `all` starts with,
/// worked out the slow way.
fn expected_short(id: &str, all: &[String]) -> String {
    (8..=id.len())
        .map(|n| &id[..n])
        .find(|p| all.iter().filter(|o| o.starts_with(p)).count() == 1)
        .unwrap_or(id)
        .to_string()
}

/// A ModelGates key object as the list answers it.
fn key_json(hash: &str, i: usize) -> Value {
    let reset = ["daily", "weekly", "monthly"][i % 3];
    json!({
        "hash": hash,
        "name": format!("ci-agent-{i:02}"),
        "label": format!("sk-mg-v1-{}...{}", &hash[..3], &hash[61..]),
        "disabled": false,
        "limit": 25 * i,
        "limit_remaining": 21.5 * i as f64,
        "limit_reset": reset,
        "usage": 3.5 * i as f64,
        "usage_daily": 0.5,
        "usage_weekly": 1.25,
        "usage_monthly": 3.5,
        "include_byok_in_limit": i.is_multiple_of(2),
        "created_at": "2026-03-01T10:30:00Z",
        "updated_at": "2026-11-01T16:00:00Z",
        "expires_at": if i.is_multiple_of(5) { json!("2027-01-01T00:00:00Z") } else { Value::Null },
    })
}

/// `{"data": key}` for the key named in the path.
struct OneKey(Vec<String>);

impl Respond for OneKey {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let hash = req.url.path().rsplit('/').next().unwrap_or_default();
        match self.0.iter().position(|id| id == hash) {
            Some(i) => {
                ResponseTemplate::new(200).set_body_json(json!({"data": key_json(hash, i + 1)}))
            }
            None => ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"code": 404, "message": "Key not found"}})),
        }
    }
}

/// A ModelGates stand-in with the 40 keys: the list (one page, any query) and each key's GET.
async fn forty() -> (MockServer, Vec<String>) {
    let ids = ids();
    let data: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| key_json(id, i + 1))
        .collect();
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": data })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v1/keys/[^/]+$"))
        .respond_with(OneKey(ids.clone()))
        .mount(&server)
        .await;
    (server, ids)
}

/// `keyctl <args> --base-url SERVER` on a pseudo-terminal `cols` wide (no colour).
async fn on_pty(server: &MockServer, args: &[&str], cols: u16) -> PtyOut {
    let mut argv = vec![env!("CARGO_BIN_EXE_keyctl").to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    argv.push("--base-url".into());
    argv.push(server.uri());
    let spec = json!({
        "argv": argv, "rows": 50, "cols": cols, "timeout": 20, "answer": null,
        "stdout": null, "stderr": null,
    });
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new("python3");
        cmd.arg(SCRIPT).arg(spec.to_string());
        clean(&mut cmd);
        cmd.env(ENV, SECRET)
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.output()
            .expect("python3 runs (the pty tests need python3 on PATH)")
    })
    .await
    .expect("join");
    finish(&out).0
}

/// The table's rows: each line between the header rule and the bottom border, as its cells.
fn table_rows(text: &str) -> Vec<Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with('╞'))
        .unwrap_or_else(|| panic!("no box table (records instead?):\n{text}"));
    lines[start + 1..]
        .iter()
        .take_while(|l| l.starts_with('│'))
        .map(|l| {
            l.trim_matches('│')
                .split(['│', '┆'])
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The header cells of the table.
fn headers(text: &str) -> Vec<String> {
    let line = text
        .lines()
        .find(|l| l.starts_with('│'))
        .unwrap_or_else(|| panic!("no header:\n{text}"));
    line.trim_matches('│')
        .split(['│', '┆'])
        .map(|c| c.trim().to_string())
        .collect()
}

/// One row per key, in order: `ci-agent-NN` in the name cell and the key's id cell as
/// `id_cell` makes it; no line wider than `cols`.
fn one_row_per_key(out: &PtyOut, ids: &[String], cols: usize, id_cell: impl Fn(&str) -> String) {
    let text = out.plain();
    for l in text.lines() {
        assert!(
            l.chars().count() <= cols,
            "a line of {} at {cols}: {l:?}\n{text}",
            l.chars().count()
        );
    }
    let rows = table_rows(&text);
    assert_eq!(rows.len(), 40, "one line per key:\n{text}");
    for (i, (row, id)) in rows.iter().zip(ids).enumerate() {
        assert_eq!(row[0], id_cell(id), "row {i}:\n{text}");
        assert_eq!(row[1], format!("ci-agent-{:02}", i + 1), "row {i}:\n{text}");
    }
}

#[tokio::test]
async fn forty_keys_at_120_columns_are_one_row_each_with_short_ids() {
    let (server, ids) = forty().await;
    let out = on_pty(&server, &["list", "-p", "modelgates"], 120).await;
    out.code(0);
    one_row_per_key(&out, &ids, 120, |id| expected_short(id, &ids));
    let text = out.plain();
    // The shared starts: 9 and 11 characters where 8 would name several keys.
    let rows = table_rows(&text);
    assert_eq!(rows[3][0], ids[3][..11], "{text}");
    assert_eq!(rows[4][0], ids[4][..9], "{text}");
    assert_eq!(rows[6][0], ids[6][..11], "{text}");
    assert_eq!(rows[0][0].len(), 8, "{text}");
    // The room whole ids took goes to the columns that matter.
    let h = headers(&text);
    for col in [
        "ID",
        "NAME",
        "LIMIT",
        "RESET",
        "USAGE",
        "REMAINING",
        "EXPIRES",
    ] {
        assert!(h.iter().any(|c| c == col), "{col} missing:\n{text}");
    }
    assert!(!ids.iter().any(|id| text.contains(id.as_str())), "{text}");
}

#[tokio::test]
async fn a_short_id_pasted_from_the_table_resolves_back() {
    let (server, ids) = forty().await;
    let out = on_pty(&server, &["list", "-p", "modelgates"], 120).await;
    out.code(0);
    let text = out.plain();
    // ci-agent-05: its first 8 digits are also 04's and 06's.
    let row = table_rows(&text)
        .into_iter()
        .find(|r| r[1] == "ci-agent-05")
        .unwrap_or_else(|| panic!("no ci-agent-05 row:\n{text}"));
    let short = row[0].clone();
    assert!(short.len() < 64 && ids[4].starts_with(&short), "{short}");
    let before = server.received_requests().await.expect("recording").len();
    let got = Keyctl::new(ENV, &["get", "-p", "modelgates", &short, "-o", "json"])
        .base(&server)
        .run()
        .await;
    got.code(0);
    let lines = got.json_lines();
    assert_eq!(lines.len(), 1, "{}", got.stdout);
    assert_eq!(lines[0]["key"], ids[4]);
    assert_eq!(lines[0]["after"]["id"], ids[4]);
    assert_eq!(lines[0]["after"]["name"], "ci-agent-05");
    // Only the listing and that key were read.
    let requests = server.received_requests().await.expect("recording");
    let full = format!("/api/v1/keys/{}", ids[4]);
    for r in &requests[before..] {
        let p = r.url.path();
        assert!(
            r.method.as_str() == "GET" && (p == "/api/v1/keys" || p == full),
            "{} {}",
            r.method,
            r.url
        );
    }
    // The same 8 characters the three keys share name none of them: several matches, exit 2.
    Keyctl::new(ENV, &["get", "-p", "modelgates", &ids[4][..8]])
        .base(&server)
        .run()
        .await
        .code(2);
}

#[tokio::test]
async fn forty_keys_at_60_columns_are_a_table_of_short_ids() {
    let (server, ids) = forty().await;
    let out = on_pty(&server, &["list", "-p", "modelgates"], 60).await;
    out.code(0);
    one_row_per_key(&out, &ids, 60, |id| expected_short(id, &ids));
    let h = headers(&out.plain());
    assert!(h.contains(&"LIMIT".to_string()), "{h:?}");
}

#[tokio::test]
async fn forty_keys_at_200_columns_show_whole_ids() {
    let (server, ids) = forty().await;
    let out = on_pty(&server, &["list", "-p", "modelgates"], 200).await;
    out.code(0);
    one_row_per_key(&out, &ids, 200, str::to_string);
    let h = headers(&out.plain());
    assert!(h.contains(&"EXPIRES".to_string()), "{h:?}");
}

/// `keyctl -p modelgates <args> -o table` with COLUMNS set (not a terminal).
async fn table_at(server: &MockServer, cols: &str, args: &[&str]) -> String {
    let mut all = vec!["-p", "modelgates", "-o", "table"];
    all.extend(args);
    let out = Keyctl::new(ENV, &all)
        .base(server)
        .env("COLUMNS", cols)
        .run()
        .await;
    out.code(0);
    out.stdout
}

#[tokio::test]
async fn wide_shows_whole_ids_and_records_where_they_do_not_fit() {
    let (server, ids) = forty().await;
    // 120 columns: whole ids in a table (fewer columns), one row per key.
    let t = table_at(&server, "120", &["list", "--wide"]).await;
    let rows = table_rows(&t);
    assert_eq!(rows.len(), 40, "{t}");
    for (row, id) in rows.iter().zip(&ids) {
        assert_eq!(&row[0], id, "{t}");
    }
    assert!(t.lines().all(|l| l.chars().count() <= 120), "{t}");
    // 60 columns: no table fits a whole id: one record per key, its id whole on a line.
    let t = table_at(&server, "60", &["list", "--wide"]).await;
    assert!(!t.contains('┌'), "{t}");
    for id in &ids {
        assert!(
            t.lines().any(|l| l == id),
            "{id} not on a line of its own:\n{t}"
        );
    }
    // Without --wide the same 60 columns are a table of short ids.
    let t = table_at(&server, "60", &["list"]).await;
    assert_eq!(table_rows(&t)[0][0], expected_short(&ids[0], &ids), "{t}");
}

#[tokio::test]
async fn tsv_and_json_always_carry_whole_ids() {
    let (server, ids) = forty().await;
    for cols in ["30", "60", "120"] {
        let out = Keyctl::new(ENV, &["list", "-p", "modelgates", "-o", "tsv"])
            .base(&server)
            .env("COLUMNS", cols)
            .run()
            .await;
        out.code(0);
        let got: Vec<&str> = out
            .stdout
            .lines()
            .skip(1)
            .map(|l| l.split('\t').next().unwrap_or_default())
            .collect();
        assert_eq!(got, ids, "{}", out.stdout);
        let out = Keyctl::new(ENV, &["list", "-p", "modelgates", "-o", "json"])
            .base(&server)
            .env("COLUMNS", cols)
            .run()
            .await;
        out.code(0);
        let got: Vec<Value> = out.json_lines().iter().map(|l| l["key"].clone()).collect();
        assert_eq!(got, ids.iter().map(|i| json!(i)).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn short_ids_are_unique_among_every_key_listed_not_only_those_shown() {
    let (server, ids) = forty().await;
    // Only ci-agent-05 is shown, but 04, 06 and 07 start with the same 8 digits: its short id
    // is the 9 characters that name it in the whole listing.
    let t = table_at(&server, "60", &["list", "--match", "ci-agent-05"]).await;
    let rows = table_rows(&t);
    assert_eq!(rows.len(), 1, "{t}");
    assert_eq!(rows[0][0], ids[4][..9], "{t}");
}

#[tokio::test]
async fn get_of_several_keys_shortens_ids_that_do_not_fit() {
    let (server, ids) = forty().await;
    let t = table_at(&server, "80", &["get", &ids[0], &ids[3], &ids[4]]).await;
    let rows = table_rows(&t);
    let got: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    // Unique among the three shown: 04 and 05 part after 8 characters.
    assert_eq!(got, [&ids[0][..8], &ids[3][..9], &ids[4][..9]], "{t}");
    // Each read by its whole id, once.
    let requests = server.received_requests().await.expect("recording");
    let paths: Vec<String> = requests.iter().map(|r| r.url.path().to_string()).collect();
    let want: Vec<String> = [0, 3, 4]
        .iter()
        .map(|i| format!("/api/v1/keys/{}", ids[*i]))
        .collect();
    assert_eq!(paths, want);
    let t = table_at(&server, "80", &["get", "--wide", &ids[0], &ids[3]]).await;
    assert!(t.contains(&ids[0]) && t.contains(&ids[3]), "{t}");
}

#[tokio::test]
async fn check_shortens_ids_that_do_not_fit() {
    let server = server().await;
    let ids = ids();
    let data: Vec<Value> = ids
        .iter()
        .take(12)
        .enumerate()
        .map(|(i, id)| {
            let mut k = key_json(id, i + 1);
            k["disabled"] = json!(i % 4 == 3);
            k
        })
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": data })))
        .mount(&server)
        .await;
    let run = |wide: bool| {
        let mut args = vec!["check", "-p", "modelgates", "--disabled", "-o", "table"];
        if wide {
            args.push("--wide");
        }
        Keyctl::new(ENV, &args)
            .base(&server)
            .env("COLUMNS", "100")
            .run()
    };
    let out = run(false).await;
    out.code(9);
    let rows = table_rows(&out.stdout);
    let got: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    // 04, 08 and 12 are disabled: short among those shown.
    assert_eq!(
        got,
        [&ids[3][..8], &ids[7][..8], &ids[11][..8]],
        "{}",
        out.stdout
    );
    // --wide: whole ids, as blocks (a table of them does not fit 100 columns).
    let out = run(true).await;
    out.code(9);
    for i in [3, 7, 11] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l == format!("id:       {}", ids[i])),
            "{}",
            out.stdout
        );
    }
    let names: HashSet<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("name:     "))
        .collect();
    assert_eq!(names.len(), 3, "{}", out.stdout);
}
