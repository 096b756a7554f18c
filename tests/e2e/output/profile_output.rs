//! A profile's `output` applies only to key output: a table is TSV in a pipe, json is json,
//! `-o` beats it, and listings that are not key output ignore it.

use serde_json::json;

use crate::common::home::Home;
use crate::common::profile_servers::{assert_tsv, gates_server, is_table};
use crate::common::{GATES_KEY, SECRET};

fn output_profiles(u: &str) -> String {
    format!(
        r#"
[profiles.tab]
provider = "modelgates"
credential_env = "PG_KEY"
base_url = "{u}"
output = "table"

[profiles.js]
provider = "modelgates"
credential_env = "PG_KEY"
base_url = "{u}"
output = "json"
"#
    )
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn a_profiles_output_table_is_tsv_in_a_pipe_json_is_json_and_o_beats_it() {
    let s = gates_server("").await;
    let sb = Home::new();
    sb.config(&output_profiles(&s.uri()));
    let run = |args: &[&str]| sb.keyctl(args).env("PG_KEY", SECRET);

    let out = run(&["list", "-P", "tab"]).run().await;
    out.code(0);
    assert_tsv(&out, "id", "list -P tab");
    assert!(!is_table(&out.stdout), "{}", out.stdout);
    assert!(out.stdout.contains(GATES_KEY), "{}", out.stdout);

    let out = run(&["list", "-P", "js"]).run().await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["key"], GATES_KEY, "{}", out.stdout);

    let out = run(&["list", "-P", "js", "-o", "tsv"]).run().await;
    out.code(0);
    assert_tsv(&out, "id", "list -P js -o tsv");

    // KEYCTL_OUTPUT beats the profile too.
    let out = run(&["list", "-P", "js"])
        .env("KEYCTL_OUTPUT", "tsv")
        .run()
        .await;
    out.code(0);
    assert_tsv(&out, "id", "list -P js, KEYCTL_OUTPUT=tsv");
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn listings_that_are_not_key_output_ignore_the_profiles_output() {
    let s = gates_server("").await;
    let sb = Home::new();
    sb.config(&format!(
        "default_profile = \"js\"\n{}",
        output_profiles(&s.uri())
    ));
    // One trail entry, so `log` has a row to print.
    sb.write(
        "state/keyctl/audit.jsonl",
        &format!(
            "{}\n",
            json!({"time": "2026-01-02T03:04:05.678Z", "run": "r1", "profile": "js",
                   "provider": "modelgates", "key": GATES_KEY, "action": "update",
                   "status": "updated", "changes": [{"field": "limit", "from": 10, "to": 50}],
                   "http_status": 200})
        ),
    );
    let run = |args: &[&str]| sb.keyctl(args).env("PG_KEY", SECRET);

    for prof in ["js", "tab"] {
        let out = run(&["providers", "-P", prof]).run().await;
        out.code(0);
        assert_tsv(&out, "provider", &format!("providers -P {prof}"));

        let out = run(&["auth", "status", "-P", prof]).run().await;
        out.code(0);
        assert_tsv(&out, "profile", &format!("auth status -P {prof}"));
        assert!(
            out.stdout.contains(&format!("{prof}\tmodelgates\tok")),
            "{}",
            out.stdout
        );

        let out = run(&["check", "-P", prof, "--usage-over", "80%"])
            .run()
            .await;
        out.code(9);
        assert_tsv(&out, "profile", &format!("check -P {prof}"));
        assert!(out.stdout.contains(GATES_KEY), "{}", out.stdout);

        let out = run(&["log", "-P", prof]).run().await;
        out.code(0);
        if prof == "js" {
            assert_tsv(&out, "time", "log -P js");
            assert!(out.stdout.contains(GATES_KEY), "{}", out.stdout);
        }
    }
    // The default profile (output json) is in effect for these; still TSV.
    let out = run(&["providers"]).run().await;
    out.code(0);
    assert_tsv(&out, "provider", "providers (default_profile js)");
    let out = run(&["log"]).run().await;
    out.code(0);
    assert_tsv(&out, "time", "log (default_profile js)");
    let out = run(&["log"]).env("KEYCTL_PROFILE", "js").run().await;
    out.code(0);
    assert_tsv(&out, "time", "log (KEYCTL_PROFILE js)");
    // Key output under the default profile is its JSON.
    let out = run(&["list"]).run().await;
    out.code(0);
    assert_eq!(out.json_lines()[0]["key"], GATES_KEY);
    // And `-o json` is still honoured by the listings.
    let out = run(&["providers", "-o", "json"]).run().await;
    out.code(0);
    assert!(!out.json_lines().is_empty());
}
