//! What `keyctl apply` prints: one result table (one header, one row per key; an unmanaged
//! key one row and no line of its own), the lines a cron job must see even with -q (changes
//! left, a secret on stdout), `--prune`'s revokes and kept rotated-out keys marked in the plan,
//! JSON lines naming the profile, declared name and line, a lost create's words for apply.

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

use super::{H1, H2, MG_ENV, NEW_HASH, NEW_SECRET, gates, two_keys, writes};
use crate::common::home::Home;
use crate::common::stand_ins::{With, gates_key};
use crate::common::{gates_listing, server};

const H3: &str = "b100000000000000000000000000000000000000000000000000000000000003";

/// ci-a drifts (an update), ci-new is to be made with no sink (its secret on stdout), ci-b is
/// not declared (unmanaged).
fn file_of(home: &Home) -> std::path::PathBuf {
    home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\nlimit = 125\n\n[[key]]\n\
         provider = \"modelgates\"\nname = \"ci-new\"\nlimit = 5\n",
    )
}

/// The warning a create with no sink gets, even with -q.
fn on_stdout_warning(file: &std::path::Path) -> String {
    format!(
        "warning: {}:6: ci-new: the new key {NEW_HASH}'s secret is on stdout only (the key \
         declares no secret_file or secret_command): store it now, it cannot be shown again; \
         run from cron, it is in the mail cron sends\n",
        file.display()
    )
}

#[tokio::test]
async fn tsv_is_one_header_and_one_row_per_key_with_the_secret_in_its_cell() {
    let s = gates().await;
    writes(&s).await;
    let home = Home::without_config();
    let file = file_of(&home);
    let out = home
        .keyctl_with(MG_ENV, &["apply", "-f", file.to_str().unwrap(), "--yes"])
        .base(&s)
        .run()
        .await;
    out.code(0);
    assert_eq!(
        out.stdout,
        format!(
            "id\told_id\tname\tsecret\tstatus\tchanges\tdisabled\tlimit\tunit\tlimits.diem\t\
             limits.vcu\treset\texpires\tmodels\tprivacy\tinclude_byok_in_limit\n\
             {H1}\t\tci-a\t\tupdated\tlimit 100→125\tfalse\t125\tusd\t\t\tmonthly\t\
             2027-03-01T12:00:00Z\tall\t\ttrue\n\
             {NEW_HASH}\t\tci-new\t{NEW_SECRET}\tcreated\t\tfalse\t5\tusd\t\t\tnever\tnever\tall\t\t\
             false\n\
             {H2}\t\tci-b\t\tunchanged\tnot in the key file (apply --prune revokes it)\ttrue\tnone\t\
             usd\t\t\tnever\tnever\tall\t\tfalse\n"
        )
    );
    // The unmanaged key is its row: no line of its own on stderr.
    assert!(!out.stderr.contains(&format!("key {H2}")), "{}", out.stderr);
    assert!(
        out.stderr.contains(&on_stdout_warning(&file)),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .ends_with("apply: 1 created, 1 unchanged, 1 updated\n")
    );
}

#[tokio::test]
async fn a_table_is_one_table_after_the_new_secret_s_lines() {
    let s = gates().await;
    writes(&s).await;
    let home = Home::without_config();
    let file = file_of(&home);
    let out = home
        .keyctl_with(
            MG_ENV,
            &[
                "apply",
                "-f",
                file.to_str().unwrap(),
                "--yes",
                "-o",
                "table",
            ],
        )
        .base(&s)
        .run()
        .await;
    out.code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            format!("ModelGates key {NEW_HASH} (ci-new) created:").as_str(),
            "  secret (shown only this once: the provider will not show it again; store it now):",
            NEW_SECRET,
        ],
        "{}",
        out.stdout
    );
    // One header, then one row per key (the new one included), in the plan's order.
    assert_eq!(
        lines.iter().filter(|l| l.contains(" ID ")).count(),
        1,
        "{}",
        out.stdout
    );
    let rows: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("│ b1") || l.starts_with("│ c1"))
        .copied()
        .collect();
    assert_eq!(rows.len(), 3, "{}", out.stdout);
    assert!(rows[0].starts_with(&format!("│ {H1} ┆ ci-a   ┆ updated   ┆ limit 100→125")));
    assert!(rows[1].starts_with(&format!("│ {NEW_HASH} ┆ ci-new ┆ created   ┆ ")));
    assert!(rows[2].starts_with(&format!(
        "│ {H2} ┆ ci-b   ┆ unchanged ┆ not in the key file (apply --prune revokes it)"
    )));
    assert_eq!(out.stdout.matches(NEW_SECRET).count(), 1);
}

#[tokio::test]
async fn quiet_still_says_a_replacement_left_and_a_secret_on_stdout() {
    let s = gates().await;
    writes(&s).await;
    let home = Home::without_config();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-b\"\nexpires = \"2027-01-01\"\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"ci-new\"\nlimit = 5\n",
    );
    let out = home
        .keyctl_with(
            MG_ENV,
            &["apply", "-f", file.to_str().unwrap(), "--yes", "-q"],
        )
        .base(&s)
        .run()
        .await;
    out.code(10);
    assert_eq!(
        out.stderr,
        format!(
            "{}warning: apply: 1 created, 2 unchanged; 1 replacement left (apply --replace makes \
             it)\n",
            on_stdout_warning(&file)
        )
    );
    assert!(out.stdout.contains(NEW_SECRET));
}

#[tokio::test]
async fn prune_shows_its_revokes_and_keeps_a_key_rotate_retired() {
    let s = server().await;
    let mut keys = two_keys();
    keys.push(
        gates_key(H3, "ci-a (rotated out 2026-11-20)")
            .with(json!({"disabled": true, "expires_at": null})),
    );
    gates_listing(&s, keys).await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deleted": true})))
        .mount(&s)
        .await;
    let home = Home::without_config();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\nlimit = 100\n",
    );
    let out = home
        .keyctl_with(
            MG_ENV,
            &[
                "apply",
                "-f",
                file.to_str().unwrap(),
                "--prune",
                "--yes",
                "-o",
                "json",
            ],
        )
        .base(&s)
        .run()
        .await;
    out.code(0);
    assert_eq!(
        out.stderr,
        format!(
            "provider modelgates (ModelGates): 0 to create, 0 to update, 0 to replace, 1 \
             unchanged, 2 unmanaged\n  \
             - ci-b {H2}: revoke (not in the file; --prune)\n  \
             = ci-a (rotated out 2026-11-20) {H3}: kept: rotated out 2026-11-20 (not in the file)\n\
             Plan: 0 to create, 0 to update, 0 to replace, 1 unchanged, 2 unmanaged (--prune: 1 \
             to revoke) (1 rotated out: kept, --prune leaves keys rotate retired)\n\
             apply: 1 revoked, 2 unchanged\n"
        )
    );
    let deletes: Vec<String> = s
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "DELETE")
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(deletes, vec![format!("/api/v1/keys/{H2}")]);
    let lines = out.json_lines();
    let kept = lines.iter().find(|l| l["key"] == H3).unwrap();
    assert_eq!(kept["status"], "unchanged");
    assert_eq!(
        kept["reason"],
        "kept: rotated out 2026-11-20 (--prune leaves keys rotate retired)"
    );
    for l in &lines {
        crate::output::json_model::check_line(l);
    }
}

#[tokio::test]
async fn json_lines_name_the_profile_the_declared_name_and_its_line() {
    let s = gates().await;
    writes(&s).await;
    let home = Home::with_config(&format!(
        "[profiles.prod]\nprovider = \"modelgates\"\nbase_url = \"{}\"\n\
         credential_env = \"{MG_ENV}\"\n",
        s.uri()
    ));
    let file = home.write(
        "keys.toml",
        "[[key]]\nprofile = \"prod\"\nname = \"ci-a\"\nlimit = 125\nsecret_file = \"a.key\"\n",
    );
    let out = home
        .keyctl_with(
            MG_ENV,
            &["apply", "-f", file.to_str().unwrap(), "--yes", "-o", "json"],
        )
        .run()
        .await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    // After `provider`, in this order; an unmanaged key has no declared name or line.
    let fields = |l: &Value| {
        l.as_object()
            .unwrap()
            .keys()
            .take(6)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        fields(&lines[0]),
        ["time", "run", "provider", "profile", "name", "line"]
    );
    assert_eq!(
        (
            &lines[0]["key"],
            &lines[0]["profile"],
            &lines[0]["name"],
            &lines[0]["line"]
        ),
        (&json!(H1), &json!("prod"), &json!("ci-a"), &json!(1))
    );
    assert_eq!(lines[1]["key"], H2);
    assert_eq!(lines[1]["profile"], "prod");
    assert!(lines[1].get("name").is_none() && lines[1].get("line").is_none());
    for l in &lines {
        crate::output::json_model::check_line(l);
    }
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_says_the_next_apply_adopts_it() {
    use crate::journal::stand_in::{Lose, StandIn};
    let home = Home::without_config();
    let st = StandIn::start(Vec::new(), Lose::Drop);
    let url = st.url();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci\"\nsecret_file = \"ci.key\"\n",
    );
    let out = home
        .keyctl_with(
            MG_ENV,
            &[
                "apply",
                "-f",
                file.to_str().unwrap(),
                "--yes",
                "--base-url",
                &url,
            ],
        )
        .run()
        .await;
    out.code(8);
    assert!(
        out.stderr.contains(
            "; a key may have been created: the next plan or apply finds it by name and adopts \
             it (its secret was never received: rotate it then to get one); do not create it by \
             hand, that could make a second key\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("check with keyctl list"),
        "{}",
        out.stderr
    );
    assert_eq!(st.count("POST"), 1);
}
