//! `keyctl rotate` on every provider: the exact requests (method, path, query, auth header, JSON
//! body) in order, what is never sent (no `--yes` without a terminal, dry runs, unsupported
//! old-key steps, a failed create), the statuses and exit codes, and where a new secret may
//! appear (stdout only: never stderr, also with `-v`).

use crate::common::lifecycle::*;
use crate::common::{self, GATES_KEY, IONET_KEY, Out, SECRET, VENICE_KEY};
use chrono::{Duration as ChronoDuration, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The default rotate of `p.key` named `name`: read, create the successor (exact body), then
/// the default old-key step (checked by the caller from the recorded PATCH).
async fn rotate_default(p: Prov, name: &str, extra: &[&str]) -> (MockServer, Out) {
    let server = common::server().await;
    mount_old(&server, p, name).await;
    mount_create(&server, p, successor_body(p, name)).await;
    mount_patched(&server, p, 1).await;
    forbid(&server, "DELETE").await;
    let mut args = vec![p.key, "-o", "json"];
    args.extend_from_slice(extra);
    let out = keyctl(p, "rotate", &server, &args).run().await;
    (server, out)
}

/// What every successful rotate shows: status, new id and secret on stdout only, the old key's
/// step done, and the requests in order.
async fn check_rotated(p: Prov, server: &MockServer, out: &Out, action: &str) -> Value {
    out.code(0);
    not_on_stderr(out, secret_of(p));
    let line = one_line(out);
    assert_eq!(line["status"], "rotated", "{p:?}: {line}");
    assert_eq!(line["key"], p.key, "{p:?}: {line}");
    assert_eq!(line["secret"], secret_of(p), "{p:?}: {line}");
    assert_eq!(line["new_key"], new_id(p), "{p:?}: {line}");
    assert_eq!(line["after"]["id"], new_id(p), "{p:?}: {line}");
    assert_eq!(line["before"]["id"], p.key, "{p:?}: {line}");
    let got = line["old_key"]["action"].as_str().unwrap_or_default();
    assert!(got.starts_with(action), "{p:?}: old_key {line}");
    assert_eq!(line["old_key"]["done"], true, "{p:?}: {line}");
    // The secret is in the JSON once, and not in `after.raw`.
    assert_eq!(
        out.stdout.matches(secret_of(p)).count(),
        1,
        "{p:?}: {}",
        out.stdout
    );
    let mut want = reads(p);
    want.extend(created_calls(p));
    want.push(format!("PATCH {}", update_path(p)));
    assert_eq!(calls(server, p).await, want, "{p:?}");
    line
}

/// The providers whose old key is disabled (ModelGates, novapai, OpenRouter): one run each,
/// each failure naming its provider (was one test per provider).
#[tokio::test]
async fn rotate_creates_the_successor_then_disables_the_old_key() {
    for p in [MODELGATES, NOVAPAI, OPENROUTER] {
        eprintln!("rotate on {p:?}");
        let (server, out) = rotate_default(p, "ci-runner", &[]).await;
        check_rotated(p, &server, &out, "disabled").await;
        assert_eq!(
            bodies(&server, p, "PATCH").await,
            [json!({"disabled": true, "name": rotated_out("ci-runner")})],
            "{p:?}"
        );
    }
}

#[tokio::test]
async fn rotate_ionet_creates_the_successor_then_expires_the_old_key_in_24h() {
    let (server, out) = rotate_default(IONET, "batch", &[]).await;
    let line = check_rotated(IONET, &server, &out, "expires at").await;
    let patches = bodies(&server, IONET, "PATCH").await;
    assert_eq!(patches.len(), 1);
    let b = patches[0].as_object().unwrap();
    let mut keys: Vec<&String> = b.keys().collect();
    keys.sort();
    assert_eq!(keys, ["description", "expires_at"], "{b:?}");
    assert_eq!(b["description"], json!(rotated_out("batch")), "{b:?}");
    about_hours_from_now(&b["expires_at"], 24);
    assert!(
        line["old_key"]["action"]
            .as_str()
            .unwrap()
            .contains(b["expires_at"].as_str().unwrap()),
        "{line}"
    );
}

#[tokio::test]
async fn rotate_venice_creates_the_successor_then_expires_the_old_key_in_24h() {
    let (server, out) = rotate_default(VENICE, "app", &[]).await;
    check_rotated(VENICE, &server, &out, "expires at").await;
    let patches = bodies(&server, VENICE, "PATCH").await;
    assert_eq!(patches.len(), 1);
    let b = patches[0].as_object().unwrap();
    let mut keys: Vec<&String> = b.keys().collect();
    keys.sort();
    assert_eq!(keys, ["description", "expiresAt", "id"], "{b:?}");
    assert_eq!(b["id"], VENICE_KEY);
    assert_eq!(b["description"], json!(rotated_out("app")), "{b:?}");
    about_hours_from_now(&b["expiresAt"], 24);
}

#[tokio::test]
async fn rotate_venice_keeps_the_admin_key_type() {
    let server = common::server().await;
    let mut old = venice_key(VENICE_KEY, "ops");
    old["apiKeyType"] = json!("ADMIN");
    mount_read(&server, VENICE, VENICE_KEY, 200, json!({"data": old})).await;
    let mut want = successor_body(VENICE, "ops");
    want["apiKeyType"] = json!("ADMIN");
    common::venice_read_back(&server, &venice_created("ADMIN")).await;
    mount_create_answer(&server, VENICE, want, ok(200, venice_created("ADMIN"))).await;
    mount_patched(&server, VENICE, 1).await;
    let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
    assert_eq!(one_line(&out)["status"], "rotated");
}

/// Each provider's table block: the secret on stdout only, once, and the old key's line after
/// it. Venice's successor is read back once its secret is out, so its fields follow the secret
/// (before the read-back they preceded it, as the other providers' still do).
#[tokio::test]
async fn rotate_table_output_shows_the_secret_on_stdout_only() {
    for p in ALL {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        mount_create(&server, p, successor_body(p, "ci-runner")).await;
        mount_patched(&server, p, 1).await;
        let out = keyctl(p, "rotate", &server, &[p.key, "-o", "table"])
            .run()
            .await;
        out.code(0).stdout_has(secret_of(p)).stdout_has(new_id(p));
        not_on_stderr(&out, secret_of(p));
        let action = match p.id {
            "ionet" | "venice" => {
                let field = if p.id == "venice" {
                    "expiresAt"
                } else {
                    "expires_at"
                };
                let at = bodies(&server, p, "PATCH").await[0][field].clone();
                format!("expires at {}", at.as_str().unwrap())
            }
            _ => "disabled".into(),
        };
        let next = check_block(
            &out.stdout,
            &format!(
                "{} key {}: its successor was created. The new key:",
                display(p),
                p.key
            ),
            secret_of(p),
            p.id == "venice",
        );
        // What was done to the old key: the line after the secret (written once it was out;
        // Venice: after the successor's fields, read back once the secret was out).
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(
            lines.get(next).copied(),
            Some(format!("  old key {}: {action}", p.key).as_str()),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with("  id:") && l.ends_with(new_id(p))),
            "{}",
            out.stdout
        );
    }
}

#[tokio::test]
async fn rotate_verbose_never_puts_the_new_secret_on_stderr() {
    for p in ALL {
        for fmt in [
            &["-o", "json"][..],
            &["-o", "table"][..],
            &["-o", "tsv"][..],
        ] {
            let server = common::server().await;
            mount_old(&server, p, "ci-runner").await;
            mount_create(&server, p, successor_body(p, "ci-runner")).await;
            mount_patched(&server, p, 1).await;
            let mut args = vec![p.key, "-v"];
            args.extend_from_slice(fmt);
            let out = keyctl(p, "rotate", &server, &args).run().await;
            out.code(0).stdout_has(secret_of(p));
            // -v logs the requests and answers: the create's answer is among them.
            out.stderr_has("POST");
            not_on_stderr(&out, secret_of(p));
        }
    }
}

#[tokio::test]
async fn rotate_quiet_still_prints_the_new_secret() {
    let (server, out) = rotate_default(OPENROUTER, "ci-runner", &["-q"]).await;
    out.code(0);
    assert_eq!(one_line(&out)["secret"], GATES_SECRET);
    drop(server);
}

#[tokio::test]
async fn rotate_secret_file_holds_the_secret_and_nothing_else_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("new.key");
    let (server, out) =
        rotate_default(VENICE, "app", &["--secret-file", f.to_str().unwrap()]).await;
    out.code(0);
    assert!(!out.stdout.contains(VENICE_SECRET), "{}", out.stdout);
    not_on_stderr(&out, VENICE_SECRET);
    let line = one_line(&out);
    assert_eq!(line["secret_file"], f.to_str().unwrap(), "{line}");
    assert_eq!(line.get("secret"), None, "{line}");
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        format!("{VENICE_SECRET}\n")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    drop(server);
}

#[tokio::test]
async fn rotate_secret_file_that_exists_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("new.key");
    std::fs::write(&f, "keep me\n").unwrap();
    let server = common::server().await;
    forbid_writes(&server).await;
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &[GATES_KEY, "--secret-file", f.to_str().unwrap()],
    )
    .run()
    .await;
    out.code(2).stderr_has("already exists");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "keep me\n");
    assert!(calls(&server, MODELGATES).await.is_empty());
}

#[tokio::test]
async fn rotate_gates_null_limit_and_reset_are_sent_as_null() {
    let server = common::server().await;
    let mut old = gates_key(GATES_KEY, "free");
    old["limit"] = Value::Null;
    old["limit_remaining"] = Value::Null;
    old["limit_reset"] = Value::Null;
    old["include_byok_in_limit"] = json!(false);
    old["expires_at"] = Value::Null;
    mount_read(&server, MODELGATES, GATES_KEY, 200, json!({"data": old})).await;
    mount_create(
        &server,
        MODELGATES,
        json!({"name": rotated("free"), "limit": null, "limit_reset": null,
               "include_byok_in_limit": false, "expires_at": null}),
    )
    .await;
    mount_patched(&server, MODELGATES, 1).await;
    let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
    let posted = bodies(&server, MODELGATES, "POST").await;
    assert!(posted[0].as_object().unwrap().contains_key("limit"));
}

#[tokio::test]
async fn rotate_gates_old_key_without_expiry_sends_expires_at_null() {
    let server = common::server().await;
    let mut old = gates_key(GATES_KEY, "ci");
    old["expires_at"] = Value::Null;
    mount_read(&server, OPENROUTER, GATES_KEY, 200, json!({"data": old})).await;
    let mut want = successor_body(OPENROUTER, "ci");
    want["expires_at"] = Value::Null;
    mount_create(&server, OPENROUTER, want).await;
    mount_patched(&server, OPENROUTER, 1).await;
    let out = keyctl(OPENROUTER, "rotate", &server, &[GATES_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
}

#[tokio::test]
async fn rotate_ionet_without_models_or_expiry_sends_never_and_no_allowed_models() {
    let server = common::server().await;
    let mut item = ionet_item(IONET_KEY, "batch");
    item["allowed_models"] = Value::Null;
    item["expires_at"] = Value::Null;
    mount_read(&server, IONET, IONET_KEY, 200, ionet_usage(IONET_KEY)).await;
    mount_ionet_list(&server, ionet_list(vec![item])).await;
    mount_create(
        &server,
        IONET,
        json!({"description": rotated("batch"), "credit_limit": 100,
               "credit_refresh_cycle": "weekly", "expires_at": "never"}),
    )
    .await;
    mount_patched(&server, IONET, 1).await;
    let out = keyctl(IONET, "rotate", &server, &[IONET_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
    // The old key had no expiry: the default step still gives it 24 hours.
    about_hours_from_now(&bodies(&server, IONET, "PATCH").await[0]["expires_at"], 24);
}

#[tokio::test]
async fn rotate_venice_without_expiry_omits_expires_at() {
    let server = common::server().await;
    let mut old = venice_key(VENICE_KEY, "app");
    old["expiresAt"] = Value::Null;
    mount_read(&server, VENICE, VENICE_KEY, 200, json!({"data": old})).await;
    let mut want = successor_body(VENICE, "app");
    want.as_object_mut().unwrap().remove("expiresAt");
    mount_create(&server, VENICE, want).await;
    mount_patched(&server, VENICE, 1).await;
    let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
}

#[tokio::test]
async fn rotate_venice_64_character_name_is_cut_so_the_suffix_fits() {
    let server = common::server().await;
    let long: String = "n".repeat(64);
    mount_read(
        &server,
        VENICE,
        VENICE_KEY,
        200,
        json!({"data": venice_key(VENICE_KEY, &long)}),
    )
    .await;
    // The successor keeps the name whole; the old key's new name is cut to fit the suffix.
    let want = successor_body(VENICE, &long);
    mount_create(&server, VENICE, want).await;
    mount_patched(&server, VENICE, 1).await;
    let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
    let suffix = format!(" (rotated out {})", today());
    let want_old = format!("{}{suffix}", "n".repeat(64 - suffix.len()));
    assert_eq!(want_old.chars().count(), 64);
    assert_eq!(
        bodies(&server, VENICE, "PATCH").await[0]["description"],
        json!(want_old)
    );
}

#[tokio::test]
async fn rotate_a_rotated_key_replaces_the_old_suffix() {
    // A retired key's ` (rotated out DATE)` is not carried over nor stacked; an older
    // version's ` (rotated DATE)` is part of the name now, kept as it is.
    for (old, base) in [
        ("ci-runner (rotated out 2020-01-02)", "ci-runner"),
        (
            "ci-runner (rotated 2020-01-02)",
            "ci-runner (rotated 2020-01-02)",
        ),
    ] {
        let server = common::server().await;
        mount_old(&server, MODELGATES, old).await;
        mount_create(&server, MODELGATES, successor_body(MODELGATES, base)).await;
        mount_patched(&server, MODELGATES, 1).await;
        let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY, "-o", "json"])
            .run()
            .await;
        out.code(0);
        assert_eq!(
            bodies(&server, MODELGATES, "PATCH").await,
            [json!({"disabled": true, "name": rotated_out(base)})]
        );
    }
}

#[tokio::test]
async fn rotate_flags_override_the_old_settings() {
    // --limit and --name on each family.
    let server = common::server().await;
    let mut want = successor_body(NOVAPAI, "x");
    want["name"] = json!("fresh");
    want["limit"] = json!(10);
    mount_old(&server, NOVAPAI, "ci-runner").await;
    mount_create(&server, NOVAPAI, want).await;
    mount_patched(&server, NOVAPAI, 1).await;
    let out = keyctl(
        NOVAPAI,
        "rotate",
        &server,
        &[GATES_KEY, "--limit", "10", "--name", "fresh", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);

    let server = common::server().await;
    let mut want = successor_body(IONET, "batch");
    want["credit_limit"] = json!(10);
    want["credit_refresh_cycle"] = json!("daily");
    mount_old(&server, IONET, "batch").await;
    mount_create(&server, IONET, want).await;
    mount_patched(&server, IONET, 1).await;
    let out = keyctl(
        IONET,
        "rotate",
        &server,
        &[IONET_KEY, "--limit", "10", "--reset", "daily", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);

    let server = common::server().await;
    let mut want = successor_body(VENICE, "app");
    want["description"] = json!("renamed");
    want["consumptionLimit"] = json!({"usd": 10, "diem": 10, "vcu": null});
    mount_old(&server, VENICE, "app").await;
    mount_create(&server, VENICE, want).await;
    mount_patched(&server, VENICE, 1).await;
    let out = keyctl(
        VENICE,
        "rotate",
        &server,
        &[
            VENICE_KEY, "--limit", "10", "--name", "renamed", "-o", "json",
        ],
    )
    .run()
    .await;
    out.code(0);
}

#[tokio::test]
async fn rotate_name_with_several_keys_is_refused_before_anything_is_sent() {
    let server = common::server().await;
    forbid_writes(&server).await;
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &[GATES_KEY, GATES_KEY_2, "--name", "x"],
    )
    .run()
    .await;
    out.code(2).stderr_has("--name");
    assert!(calls(&server, MODELGATES).await.is_empty());
}

/// `--old revoke --yes`: the old key is deleted after the create.
async fn rotate_old_revoke(p: Prov) {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    mount_create(&server, p, successor_body(p, "ci-runner")).await;
    mount_delete(&server, p, p.key, None, 1).await;
    forbid(&server, "PATCH").await;
    let out = keyctl(
        p,
        "rotate",
        &server,
        &[p.key, "--old", "revoke", "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);
    not_on_stderr(&out, secret_of(p));
    let line = one_line(&out);
    assert_eq!(line["status"], "rotated", "{line}");
    assert_eq!(
        line["old_key"],
        json!({"action": "revoked", "done": true}),
        "{line}"
    );
    let mut want = reads(p);
    want.extend(created_calls(p));
    want.push(delete_call(p, p.key));
    assert_eq!(calls(&server, p).await, want, "{p:?}");
}

#[tokio::test]
async fn rotate_old_revoke_with_yes_deletes_the_old_modelgates_key() {
    rotate_old_revoke(MODELGATES).await;
}

#[tokio::test]
async fn rotate_old_revoke_with_yes_deletes_the_old_ionet_key() {
    rotate_old_revoke(IONET).await;
}

#[tokio::test]
async fn rotate_old_revoke_with_yes_deletes_the_old_venice_key() {
    rotate_old_revoke(VENICE).await;
}

#[tokio::test]
async fn rotate_old_revoke_without_yes_and_without_a_terminal_sends_nothing() {
    for p in ALL {
        let server = common::server().await;
        let out = keyctl(p, "rotate", &server, &[p.key, "--old", "revoke"])
            .run()
            .await;
        out.code(2)
            .stderr_has("--yes")
            .stderr_has("nothing was changed");
        assert!(calls(&server, p).await.is_empty(), "{p:?}");
    }
}

#[tokio::test]
async fn rotate_old_keep_sends_nothing_to_the_old_key() {
    for p in ALL {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        mount_create(&server, p, successor_body(p, "ci-runner")).await;
        forbid(&server, "PATCH").await;
        forbid(&server, "DELETE").await;
        let out = keyctl(
            p,
            "rotate",
            &server,
            &[p.key, "--old", "keep", "-o", "json"],
        )
        .run()
        .await;
        out.code(0);
        let line = one_line(&out);
        assert_eq!(line["status"], "rotated", "{line}");
        assert_eq!(
            line["old_key"],
            json!({"action": "kept", "done": true}),
            "{line}"
        );
        assert_eq!(line["secret"], secret_of(p));
        let mut want = reads(p);
        want.extend(created_calls(p));
        assert_eq!(calls(&server, p).await, want, "{p:?}");
    }
}

#[tokio::test]
async fn rotate_old_expire_in_given_on_ionet_and_venice() {
    for p in [IONET, VENICE] {
        let name = if p.id == "ionet" { "batch" } else { "app" };
        let (server, out) = rotate_default(p, name, &["--old", "expire-in=7d"]).await;
        check_rotated(p, &server, &out, "expires at").await;
        let field = if p.id == "ionet" {
            "expires_at"
        } else {
            "expiresAt"
        };
        about_hours_from_now(&bodies(&server, p, "PATCH").await[0][field], 24 * 7);
    }
}

#[tokio::test]
async fn rotate_old_disable_on_ionet_and_venice_is_exit_2_before_anything_is_sent() {
    for p in [IONET, VENICE] {
        let server = common::server().await;
        let out = keyctl(p, "rotate", &server, &[p.key, "--old", "disable"])
            .run()
            .await;
        out.code(2).stderr_has("--old disable");
        assert!(calls(&server, p).await.is_empty(), "{p:?}");
    }
}

#[tokio::test]
async fn rotate_old_expire_in_on_gates_family_is_exit_2_before_anything_is_sent() {
    for p in GATES_FAMILY {
        let server = common::server().await;
        let out = keyctl(p, "rotate", &server, &[p.key, "--old", "expire-in=1h"])
            .run()
            .await;
        out.code(2).stderr_has("--old expire-in");
        assert!(calls(&server, p).await.is_empty(), "{p:?}");
    }
}

#[tokio::test]
async fn rotate_bad_old_action_is_exit_2() {
    let server = common::server().await;
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &[GATES_KEY, "--old", "delete"],
    )
    .run()
    .await;
    out.code(2).stderr_has("not an action");
    assert!(calls(&server, MODELGATES).await.is_empty());
}

/// An io.net reference that is not a UUID is looked up in one read of the key list: one the
/// list lacks is exit 4 and nothing is created or changed.
#[tokio::test]
async fn rotate_ionet_reference_not_in_the_list_is_exit_4_before_anything_is_sent() {
    let server = common::server().await;
    mount_ionet_list(&server, ionet_list(vec![ionet_item(IONET_KEY, "ci-one")])).await;
    let out = keyctl(IONET, "rotate", &server, &["not-a-uuid"])
        .run()
        .await;
    out.code(4).stderr_has("'not-a-uuid'");
    assert_eq!(
        calls(&server, IONET).await,
        ["GET /v1/api-keys/sub-keys".to_string()]
    );
}

/// An old key expiring sooner than the grace gets no PATCH: its action starts with "kept"
/// and names its expiry. The successor lives as long as the old key did (created .. soon),
/// from now. Returns the action.
async fn expiring_sooner_is_left_alone(p: Prov) -> (String, String) {
    let server = common::server().await;
    let soon =
        (Utc::now() + ChronoDuration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let body = match p.id {
        "ionet" => {
            let mut item = ionet_item(IONET_KEY, "batch");
            item["expires_at"] = json!(soon);
            mount_read(&server, p, p.key, 200, ionet_usage(p.key)).await;
            mount_ionet_list(&server, ionet_list(vec![item])).await;
            let mut b = successor_body(p, "batch");
            b["expires_at"] = lives(lifetime("2026-01-01T00:00:00", &soon));
            b
        }
        _ => {
            let mut k = venice_key(VENICE_KEY, "app");
            k["expiresAt"] = json!(soon);
            mount_read(&server, p, p.key, 200, json!({"data": k})).await;
            let mut b = successor_body(p, "app");
            b["expiresAt"] = lives(lifetime("2026-01-01T00:00:00.000Z", &soon));
            b
        }
    };
    mount_create(&server, p, body).await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
        .run()
        .await;
    out.code(0);
    let line = one_line(&out);
    assert_eq!(line["status"], "rotated", "{line}");
    let action = line["old_key"]["action"].as_str().unwrap();
    assert!(
        action.starts_with(&format!("kept: it already expires at {soon}")),
        "{line}"
    );
    assert_eq!(line["old_key"]["done"], true);
    (action.to_string(), soon)
}

#[tokio::test]
async fn rotate_ionet_old_key_expiring_sooner_than_the_grace_is_left_alone() {
    expiring_sooner_is_left_alone(IONET).await;
}

#[tokio::test]
async fn rotate_venice_old_key_expiring_sooner_than_the_grace_is_left_alone() {
    expiring_sooner_is_left_alone(VENICE).await;
}

#[tokio::test]
async fn rotate_old_key_expiring_sooner_says_sooner_than_asked() {
    for p in [IONET, VENICE] {
        let (action, soon) = expiring_sooner_is_left_alone(p).await;
        assert_eq!(
            action,
            format!("kept: it already expires at {soon}, sooner than asked"),
            "{p:?}"
        );
    }
}

/// The create answers `status`: exactly one POST, no PATCH/DELETE to the old key, exit `code`.
async fn create_fails(p: Prov, status: u16, answer: Value, code: i32) -> Value {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    Mock::given(method("POST"))
        .and(path(create_path(p)))
        .respond_with(ok(status, answer))
        .expect(1)
        .mount(&server)
        .await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
        .run()
        .await;
    out.code(code);
    let line = one_line(&out);
    assert_ne!(line["status"], "rotated", "{line}");
    assert_ne!(line["status"], "partial", "{line}");
    assert_eq!(line.get("secret"), None, "{line}");
    assert_eq!(line.get("new_key"), None, "{line}");
    let mut want = reads(p);
    want.push(format!("POST {}", create_path(p)));
    assert_eq!(calls(&server, p).await, want, "{p:?}");
    line
}

/// A create answered 500, 502 or 504 may have made the key: `unknown`, exit 7, saying so.
fn create_unknown(line: &Value) {
    assert_eq!(line["status"], "unknown", "{line}");
    let msg = line["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("a key may have been created: check with keyctl list before trying again"),
        "{line}"
    );
}

#[tokio::test]
async fn rotate_create_500_is_not_retried_and_the_old_key_is_untouched_modelgates() {
    let line = create_fails(
        MODELGATES,
        500,
        json!({"error": {"code": 500, "message": "Internal"}}),
        7,
    )
    .await;
    create_unknown(&line);
}

#[tokio::test]
async fn rotate_create_500_is_not_retried_and_the_old_key_is_untouched_ionet() {
    let line = create_fails(IONET, 500, json!({"detail": "Internal Server Error"}), 7).await;
    create_unknown(&line);
}

#[tokio::test]
async fn rotate_create_500_is_not_retried_and_the_old_key_is_untouched_venice() {
    let line = create_fails(VENICE, 500, json!({"error": "Internal server error"}), 7).await;
    create_unknown(&line);
}

#[tokio::test]
async fn rotate_create_502_and_504_are_unknown_and_the_old_key_is_untouched() {
    for (p, status) in [(OPENROUTER, 502), (VENICE, 504), (IONET, 502)] {
        let line = create_fails(p, status, json!({"error": "gateway"}), 7).await;
        create_unknown(&line);
        assert_eq!(line["error"]["http_status"], status, "{line}");
    }
}

#[tokio::test]
async fn rotate_create_400_is_exit_5_and_the_old_key_is_untouched_venice() {
    create_fails(
        VENICE,
        400,
        json!({"error": "Invalid request parameters", "details": {"_errors": [], "description": {"_errors": ["too long"]}}}),
        5,
    )
    .await;
}

#[tokio::test]
async fn rotate_create_400_is_exit_5_and_the_old_key_is_untouched_openrouter() {
    create_fails(
        OPENROUTER,
        400,
        json!({"error": {"code": 400, "message": "Invalid name"}}),
        5,
    )
    .await;
}

#[tokio::test]
async fn rotate_create_422_is_exit_5_and_the_old_key_is_untouched_ionet() {
    create_fails(
        IONET,
        422,
        json!({"detail": [{"loc": ["body", "description"], "msg": "field required", "type": "missing"}]}),
        5,
    )
    .await;
}

/// The create succeeds but the old key's step fails: `partial`, exit 5, the secret still on
/// stdout, stderr naming both ids and that the old key may still be active.
async fn old_step_fails(p: Prov, extra: &[&str]) -> (MockServer, Out) {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    mount_create(&server, p, successor_body(p, "ci-runner")).await;
    let bad = match p.id {
        "ionet" => json!({"detail": "cannot change"}),
        "venice" => json!({"error": "Invalid request parameters"}),
        _ => json!({"error": {"code": 400, "message": "cannot change"}}),
    };
    let revoking = extra.contains(&"revoke");
    if revoking {
        mount_delete(&server, p, p.key, Some((400, bad)), 1).await;
        forbid(&server, "PATCH").await;
    } else {
        mount_patch(&server, p, 400, bad, 1).await;
        forbid(&server, "DELETE").await;
    }
    let mut args = vec![p.key, "-o", "json"];
    args.extend_from_slice(extra);
    let out = keyctl(p, "rotate", &server, &args).run().await;
    out.code(5)
        .stderr_has(p.key)
        .stderr_has(new_id(p))
        .stderr_has("The old key may still be active: finish by hand with `");
    not_on_stderr(&out, secret_of(p));
    let line = one_line(&out);
    assert_eq!(line["status"], "partial", "{line}");
    assert_eq!(line["secret"], secret_of(p), "{line}");
    assert_eq!(line["new_key"], new_id(p), "{line}");
    assert_eq!(line["old_key"]["done"], false, "{line}");
    assert_eq!(line["error"]["http_status"], 400, "{line}");
    (server, out)
}

/// The partial message, in `error.message` and on stderr, gives the command that finishes
/// the failed step: `update --disable`, `update --expires <the time asked>`, or `revoke`.
async fn partial_names_the_command(p: Prov, extra: &[&str], old: &str) {
    let (server, out) = old_step_fails(p, extra).await;
    let at;
    let old = if old == "expire-in" {
        let field = if p.id == "venice" {
            "expiresAt"
        } else {
            "expires_at"
        };
        at = bodies(&server, p, "PATCH").await[0][field]
            .as_str()
            .unwrap()
            .to_string();
        at.as_str()
    } else {
        old
    };
    let want = finish_by_hand(p, &server, old, p.key);
    out.stderr_has(&want);
    let msg = one_line(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains(&want), "{msg}");
}

#[tokio::test]
async fn rotate_partial_disable_says_to_finish_with_update_disable() {
    partial_names_the_command(MODELGATES, &[], "disable").await;
}

#[tokio::test]
async fn rotate_partial_expire_in_says_to_finish_with_update_expires_ionet() {
    partial_names_the_command(IONET, &[], "expire-in").await;
}

#[tokio::test]
async fn rotate_partial_expire_in_says_to_finish_with_update_expires_venice() {
    partial_names_the_command(VENICE, &[], "expire-in").await;
}

#[tokio::test]
async fn rotate_partial_revoke_says_to_finish_with_keyctl_revoke() {
    partial_names_the_command(NOVAPAI, &["--old", "revoke", "--yes"], "revoke").await;
}

#[tokio::test]
async fn rotate_old_disable_failing_is_partial_exit_5_modelgates() {
    old_step_fails(MODELGATES, &[]).await;
}

#[tokio::test]
async fn rotate_old_expiry_failing_is_partial_exit_5_ionet() {
    old_step_fails(IONET, &[]).await;
}

#[tokio::test]
async fn rotate_old_expiry_failing_is_partial_exit_5_venice() {
    old_step_fails(VENICE, &[]).await;
}

#[tokio::test]
async fn rotate_old_revoke_failing_is_partial_exit_5_novapai() {
    old_step_fails(NOVAPAI, &["--old", "revoke", "--yes"]).await;
}

/// A failed old-key step (Venice) still shows the secret on stdout, in a table and in TSV; the
/// table's successor fields, read back, sit between the secret and the old key's line.
#[tokio::test]
async fn rotate_partial_in_a_table_still_shows_the_secret_on_stdout() {
    for fmt in ["table", "tsv"] {
        let server = common::server().await;
        mount_old(&server, VENICE, "app").await;
        mount_create(&server, VENICE, successor_body(VENICE, "app")).await;
        mount_patch(&server, VENICE, 400, json!({"error": "nope"}), 1).await;
        let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", fmt, "-v"])
            .run()
            .await;
        out.code(5)
            .stdout_has(VENICE_SECRET)
            .stderr_has("The old key may still be active: finish by hand with `")
            .stderr_has(NEW_UUID);
        not_on_stderr(&out, VENICE_SECRET);
        if fmt == "table" {
            // The successor's fields, read back, follow the secret; the old key's line ends it.
            let next = check_block(
                &out.stdout,
                &format!("Venice key {VENICE_KEY}: its successor was created. The new key:"),
                VENICE_SECRET,
                true,
            );
            let lines: Vec<&str> = out.stdout.lines().collect();
            assert_eq!(
                lines[next..],
                [format!(
                    "  old key {VENICE_KEY}: not done (see the error on stderr); the old key \
                     may still be active"
                )
                .as_str()],
                "{}",
                out.stdout
            );
        } else {
            let mut lines = out.stdout.lines();
            let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
            let row: Vec<&str> = lines.next().unwrap().split('\t').collect();
            let col = |n: &str| row[header.iter().position(|h| *h == n).unwrap()];
            assert_eq!(col("secret"), VENICE_SECRET, "{}", out.stdout);
            assert_eq!(col("id"), NEW_UUID, "{}", out.stdout);
        }
    }
}

#[tokio::test]
async fn rotate_old_key_gone_is_not_found_exit_4_and_nothing_is_created() {
    for p in [OPENROUTER, VENICE, IONET] {
        let server = common::server().await;
        let (status, body) = match p.id {
            "venice" => (400, json!({"error": "API key not found or expired"})),
            "ionet" => (404, json!({"detail": "Not found"})),
            _ => (
                404,
                json!({"error": {"code": 404, "message": "Key not found"}}),
            ),
        };
        mount_read(&server, p, p.key, status, body).await;
        if p.id == "ionet" {
            mount_ionet_list(&server, ionet_list(vec![])).await;
        }
        forbid_writes(&server).await;
        let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
            .run()
            .await;
        out.code(4);
        assert_eq!(one_line(&out)["status"], "not_found", "{p:?}");
    }
}

#[tokio::test]
async fn rotate_create_answer_without_a_secret_names_the_new_key_and_touches_no_old_key() {
    let server = common::server().await;
    mount_old(&server, MODELGATES, "ci-runner").await;
    let mut answer = gates_created("x");
    answer.as_object_mut().unwrap().remove("key");
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ok(201, answer))
        .expect(1)
        .mount(&server)
        .await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY, "-o", "json"])
        .run()
        .await;
    out.code(7).stderr_has(NEW_HASH).stderr_has("no secret");
}

#[tokio::test]
async fn rotate_dry_run_reads_and_shows_the_create_sending_nothing() {
    for p in ALL {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        forbid_writes(&server).await;
        let from = Utc::now();
        let out = keyctl(p, "rotate", &server, &[p.key, "--dry-run", "-o", "json"])
            .run()
            .await;
        out.code(0);
        let line = one_line(&out);
        assert_eq!(line["status"], "dry_run", "{p:?}: {line}");
        assert_eq!(line["request"]["method"], "POST", "{line}");
        assert_eq!(
            line["request"]["url"],
            format!("{}{}", server.uri(), create_path(p)),
            "{line}"
        );
        let body = &line["request"]["body"];
        same_body(body, &successor_body(p, "ci-runner"), from)
            .unwrap_or_else(|e| panic!("{p:?}: {e}: {line}"));
        // The plan's new key has the expiry the request sends.
        let field = match p.id {
            "venice" => "expiresAt",
            _ => "expires_at",
        };
        assert_eq!(line["after"]["expires"], body[field], "{line}");
        let notes = line["notes"].as_array().expect("notes");
        assert!(
            notes
                .iter()
                .any(|n| n.as_str().unwrap().contains("old key")),
            "{line}"
        );
        assert_eq!(line.get("secret"), None);
        assert!(!line.to_string().contains(SECRET));
        assert_eq!(calls(&server, p).await, reads(p), "{p:?}");
    }
}

#[tokio::test]
async fn rotate_dry_run_with_old_revoke_needs_no_yes_and_says_revoked() {
    let server = common::server().await;
    mount_old(&server, VENICE, "app").await;
    forbid_writes(&server).await;
    let out = keyctl(
        VENICE,
        "rotate",
        &server,
        &[VENICE_KEY, "--dry-run", "--old", "revoke", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);
    let line = one_line(&out);
    assert_eq!(line["notes"][0], "then the old key: revoked", "{line}");
}

#[tokio::test]
async fn rotate_dry_run_table_shows_the_request_and_the_old_key_step() {
    let server = common::server().await;
    mount_old(&server, IONET, "batch").await;
    forbid_writes(&server).await;
    let out = keyctl(
        IONET,
        "rotate",
        &server,
        &[IONET_KEY, "--dry-run", "-v", "-o", "table"],
    )
    .run()
    .await;
    out.code(0)
        .stdout_has("POST")
        .stdout_has("/v1/api-keys/sub-keys")
        .stdout_has("then the old key: expires at")
        .stdout_has(&rotated("batch"))
        .stderr_has("would rotate");
    // -v shows the old key's PATCH as a note too.
    let patch = format!("PATCH {}/v1/api-keys/sub-keys/{IONET_KEY}", server.uri());
    out.stdout_has(&patch);
    // The request comes first, then the notes.
    let post = out
        .stdout
        .find(&format!("POST {}/v1/api-keys/sub-keys", server.uri()));
    let note = out.stdout.find("then the old key: expires at");
    assert!(post.unwrap() < note.unwrap(), "{}", out.stdout);
    assert!(
        note.unwrap() < out.stdout.find(&patch).unwrap(),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn rotate_several_keys_from_a_file_without_a_terminal_rotates_each() {
    let server = common::server().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("keys.txt");
    std::fs::write(&f, format!("{GATES_KEY}\n{GATES_KEY_2} # second\n")).unwrap();
    mount_read(
        &server,
        MODELGATES,
        GATES_KEY,
        200,
        json!({"data": gates_key(GATES_KEY, "a")}),
    )
    .await;
    mount_read(
        &server,
        MODELGATES,
        GATES_KEY_2,
        200,
        json!({"data": gates_key(GATES_KEY_2, "b")}),
    )
    .await;
    // Each successor has an id of its own (one naming a key of the run retires nothing).
    for (n, hash) in [("a", NEW_HASH), ("b", GATES_KEY_3)] {
        let mut answer = gates_created("x");
        answer["data"]["hash"] = json!(hash);
        mount_create_answer(
            &server,
            MODELGATES,
            successor_body(MODELGATES, n),
            ok(201, answer),
        )
        .await;
    }
    for k in [GATES_KEY, GATES_KEY_2] {
        Mock::given(method("PATCH"))
            .and(path(format!("/api/v1/keys/{k}")))
            .and(body_json(json!({"disabled": true,
                "name": rotated_out(if k == GATES_KEY { "a" } else { "b" })})))
            .respond_with(ok(200, {
                let mut key = gates_key(k, "x");
                key["disabled"] = json!(true);
                json!({ "data": key })
            }))
            .expect(1)
            .mount(&server)
            .await;
    }
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &["--from-file", f.to_str().unwrap(), "-o", "json"],
    )
    .run()
    .await;
    out.code(0).stderr_has("summary: 2 rotated");
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["status"] == "rotated"));
    assert_eq!(lines[0]["key"], GATES_KEY);
    assert_eq!(lines[1]["key"], GATES_KEY_2);
    // The first page of the listing is tried first (it would hold both keys); the server
    // refuses it, so each key is read by itself.
    assert_eq!(
        calls(&server, MODELGATES).await,
        [
            "GET /api/v1/keys?offset=0&include_disabled=true".to_string(),
            format!("GET /api/v1/keys/{GATES_KEY}"),
            "POST /api/v1/keys".into(),
            format!("PATCH /api/v1/keys/{GATES_KEY}"),
            format!("GET /api/v1/keys/{GATES_KEY_2}"),
            "POST /api/v1/keys".into(),
            format!("PATCH /api/v1/keys/{GATES_KEY_2}"),
        ]
    );
}

#[tokio::test]
async fn rotate_secret_file_with_several_keys_is_refused() {
    let server = common::server().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("new.key");
    let out = keyctl(
        VENICE,
        "rotate",
        &server,
        &[
            VENICE_KEY,
            VENICE_KEY_2,
            "--secret-file",
            f.to_str().unwrap(),
        ],
    )
    .run()
    .await;
    out.code(2).stderr_has("--secret-file");
    assert!(!f.exists());
    assert!(calls(&server, VENICE).await.is_empty());
}

#[tokio::test]
async fn rotate_flags_a_new_key_cannot_take_are_exit_2_before_anything_is_sent() {
    for (p, flags, needle) in [
        (MODELGATES, &["--reset", "8h"][..], "--reset 8h"),
        (MODELGATES, &["--disable"][..], "--disable"),
        (IONET, &["--limit", "+5"][..], "--limit +5"),
        (VENICE, &["--models", "llama"][..], "--models"),
        (IONET, &["--privacy", "private-only"][..], "--privacy"),
    ] {
        let server = common::server().await;
        let mut args = vec![p.key];
        args.extend_from_slice(flags);
        let out = keyctl(p, "rotate", &server, &args).run().await;
        out.code(2).stderr_has(needle);
        assert!(calls(&server, p).await.is_empty(), "{p:?} {flags:?}");
    }
}

#[tokio::test]
async fn rotate_venice_name_over_64_characters_creates_nothing() {
    let server = common::server().await;
    mount_old(&server, VENICE, "app").await;
    forbid_writes(&server).await;
    let long = "x".repeat(65);
    let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "--name", &long])
        .run()
        .await;
    out.code(2).stderr_has("64");
}

/// Expired, with no creation time to measure its life by: refused, nothing created.
#[tokio::test]
async fn rotate_an_expired_old_key_needs_expires_and_creates_nothing() {
    let server = common::server().await;
    let mut old = gates_key(GATES_KEY, "ci");
    old["expires_at"] = json!("2020-01-01T00:00:00Z");
    old["created_at"] = Value::Null;
    mount_read(&server, MODELGATES, GATES_KEY, 200, json!({"data": old})).await;
    forbid_writes(&server).await;
    let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY])
        .run()
        .await;
    out.code(2).stderr_has("--expires");
}

#[tokio::test]
async fn rotate_create_429_is_retried_and_the_old_key_is_untouched() {
    let server = common::server().await;
    mount_old(&server, OPENROUTER, "ci-runner").await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ok(
            429,
            json!({"error": {"code": 429, "message": "Rate limited"}}),
        ))
        .expect(2)
        .mount(&server)
        .await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(
        OPENROUTER,
        "rotate",
        &server,
        &[GATES_KEY, "--retries", "1", "-o", "json"],
    )
    .run()
    .await;
    out.code(6);
}

#[tokio::test]
async fn rotate_old_step_500_is_retried_then_partial_exit_7() {
    let server = common::server().await;
    mount_old(&server, IONET, "batch").await;
    mount_create(&server, IONET, successor_body(IONET, "batch")).await;
    mount_patch(&server, IONET, 500, json!({"detail": "boom"}), 2).await;
    let out = keyctl(
        IONET,
        "rotate",
        &server,
        &[IONET_KEY, "--retries", "1", "-o", "json"],
    )
    .run()
    .await;
    out.code(7)
        .stderr_has("The old key may still be active: finish by hand with `");
    not_on_stderr(&out, IONET_SECRET);
    let line = one_line(&out);
    assert_eq!(line["status"], "partial");
    assert_eq!(line["secret"], IONET_SECRET);
    // Exactly one successor, however often the old key's step was tried.
    let c = calls(&server, IONET).await;
    assert_eq!(c.iter().filter(|c| c.starts_with("POST")).count(), 1);
}

/// The old key's PATCH answered 2xx but saying it did not succeed: the old key's step must
/// not be reported done.
async fn old_step_answered_unsuccessful(p: Prov, answer: Value) {
    let server = common::server().await;
    let name = if p.id == "ionet" { "batch" } else { "app" };
    mount_old(&server, p, name).await;
    mount_create(&server, p, successor_body(p, name)).await;
    mount_patch(&server, p, 200, answer, 1).await;
    let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
        .run()
        .await;
    let line = one_line(&out);
    assert_eq!(line["old_key"]["done"], false, "{p:?}: {line}");
    assert_eq!(line["status"], "partial", "{p:?}: {line}");
    assert_ne!(out.code, 0, "{p:?}");
    out.stderr_has("The old key may still be active: finish by hand with `");
    assert_eq!(line["secret"], secret_of(p), "{line}");
    not_on_stderr(&out, secret_of(p));
}

#[tokio::test]
async fn rotate_venice_old_step_answered_success_false_is_not_done() {
    old_step_answered_unsuccessful(VENICE, json!({"success": false})).await;
}

#[tokio::test]
async fn rotate_ionet_old_step_answered_status_failed_is_not_done() {
    old_step_answered_unsuccessful(IONET, json!({"status": "failed"})).await;
}

/// io.net: a sub-key the list does not show (expired or revoked: the list holds active keys
/// only) but whose usage still answers. Its successor must not be made from nothing: a
/// restricted key's successor would get every model and io.net's default 180-day expiry, and
/// the name `key (rotated …)`.
#[tokio::test]
async fn rotate_ionet_key_missing_from_the_list_creates_nothing() {
    let server = common::server().await;
    mount_read(&server, IONET, IONET_KEY, 200, ionet_usage(IONET_KEY)).await;
    mount_ionet_list(&server, ionet_list(vec![ionet_item(IONET_KEY_2, "other")])).await;
    Mock::given(method("POST"))
        .respond_with(ok(201, ionet_created()))
        .expect(0)
        .named("no successor may be created")
        .mount(&server)
        .await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(IONET, "rotate", &server, &[IONET_KEY, "-o", "json"])
        .run()
        .await;
    let posted = bodies(&server, IONET, "POST").await;
    assert!(
        posted.is_empty(),
        "successor created with {posted:?}; {out:?}"
    );
    assert_ne!(out.code, 0, "{out:?}");
}

#[tokio::test]
async fn rotate_create_answer_that_cannot_be_read_is_unknown_and_the_old_key_is_untouched() {
    let server = common::server().await;
    mount_old(&server, VENICE, "app").await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .expect(1)
        .mount(&server)
        .await;
    forbid(&server, "PATCH").await;
    forbid(&server, "DELETE").await;
    let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", "json"])
        .run()
        .await;
    out.code(7).stderr_has("a key may have been created");
    let line = one_line(&out);
    assert_eq!(line["status"], "unknown", "{line}");
    assert_eq!(line.get("secret"), None);
}

/// Rotates a ModelGates key created `created` and expiring `expires`; the create must carry
/// `expires_at` as `want` (see [`same_body`]).
async fn rotate_gates_with_times(created: Value, expires: Value, want: Value) -> Out {
    let server = common::server().await;
    let mut old = gates_key(GATES_KEY, "ci-runner");
    old["created_at"] = created;
    old["expires_at"] = expires;
    mount_read(&server, MODELGATES, GATES_KEY, 200, json!({ "data": old })).await;
    let mut body = successor_body(MODELGATES, "ci-runner");
    body["expires_at"] = want;
    mount_create(&server, MODELGATES, body).await;
    mount_patched(&server, MODELGATES, 1).await;
    let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY, "-o", "json"])
        .run()
        .await;
    out.code(0);
    assert_eq!(one_line(&out)["status"], "rotated", "{}", out.stdout);
    assert_eq!(
        bodies(&server, MODELGATES, "PATCH").await,
        [json!({"disabled": true, "name": rotated_out("ci-runner")})]
    );
    out
}

#[tokio::test]
async fn rotate_successor_lives_as_long_as_the_old_key_from_now() {
    // A 90-day key (itself a successor): 90 days from now, not the old key's date.
    rotate_gates_with_times(
        json!("2026-11-20T08:30:00Z"),
        json!("2027-02-18T08:30:00Z"),
        lives(ChronoDuration::days(90)),
    )
    .await;
    // An odd lifetime, to the second.
    rotate_gates_with_times(
        json!("2026-03-01T00:00:00Z"),
        json!("2026-12-01T01:02:03Z"),
        lives(lifetime("2026-03-01T00:00:00Z", "2026-12-01T01:02:03Z")),
    )
    .await;
}

#[tokio::test]
async fn rotate_successor_of_a_key_without_a_creation_time_keeps_its_expiry_moment() {
    // `created_at` missing (one that is not a time is refused: successor_settings.rs).
    for created in [None::<Value>] {
        let server = common::server().await;
        let mut old = gates_key(GATES_KEY, "ci-runner");
        match created {
            Some(c) => old["created_at"] = c,
            None => {
                old.as_object_mut().unwrap().remove("created_at");
            }
        }
        mount_read(&server, MODELGATES, GATES_KEY, 200, json!({ "data": old })).await;
        let mut body = successor_body(MODELGATES, "ci-runner");
        body["expires_at"] = json!("2099-12-31T23:59:59Z");
        mount_create(&server, MODELGATES, body).await;
        mount_patched(&server, MODELGATES, 1).await;
        let out = keyctl(MODELGATES, "rotate", &server, &[GATES_KEY, "-o", "json"])
            .run()
            .await;
        out.code(0);
        assert_eq!(one_line(&out)["status"], "rotated");
    }
    // With `created_at: null` too.
    rotate_gates_with_times(
        Value::Null,
        json!("2099-12-31T23:59:59Z"),
        json!("2099-12-31T23:59:59Z"),
    )
    .await;
}

#[tokio::test]
async fn rotate_an_expired_old_key_with_a_creation_time_gets_a_successor_that_lives_as_long() {
    // A year-long key that ended in 2020: the successor gets a year from now.
    let life = lifetime("2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z");
    rotate_gates_with_times(
        json!("2019-01-01T00:00:00Z"),
        json!("2020-01-01T00:00:00Z"),
        lives(life),
    )
    .await;
}

#[tokio::test]
async fn rotate_successor_lifetime_on_ionet_and_venice() {
    // io.net writes times without a zone (UTC); Venice with milliseconds.
    for p in [IONET, VENICE] {
        let server = common::server().await;
        let name = "ci-runner";
        let want = match p.id {
            "ionet" => {
                let mut item = ionet_item(IONET_KEY, name);
                item["created_at"] = json!("2026-05-01T12:00:00");
                item["expires_at"] = json!("2026-05-31T12:00:00");
                mount_read(&server, p, p.key, 200, ionet_usage(p.key)).await;
                mount_ionet_list(&server, ionet_list(vec![item])).await;
                let mut b = successor_body(p, name);
                b["expires_at"] = lives(ChronoDuration::days(30));
                b
            }
            _ => {
                let mut k = venice_key(VENICE_KEY, name);
                k["createdAt"] = json!("2026-05-01T12:00:00.000Z");
                k["expiresAt"] = json!("2026-05-08T12:00:00.000Z");
                mount_read(&server, p, p.key, 200, json!({ "data": k })).await;
                let mut b = successor_body(p, name);
                b["expiresAt"] = lives(ChronoDuration::days(7));
                b
            }
        };
        mount_create(&server, p, want).await;
        // The old key already expired: it is kept as it is.
        forbid(&server, "PATCH").await;
        let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
            .run()
            .await;
        out.code(0);
        let line = one_line(&out);
        assert_eq!(line["status"], "rotated", "{p:?}: {line}");
        assert!(
            line["old_key"]["action"]
                .as_str()
                .unwrap()
                .starts_with("kept: it already expires at 2026-05-"),
            "{line}"
        );
    }
}

/// The old key's PATCH answered 200 with `answer`: partial, not done, non-zero exit, the
/// secret still on stdout and never on stderr.
async fn old_step_answer_not_applied(p: Prov, answer: Value) {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    mount_create(&server, p, successor_body(p, "ci-runner")).await;
    mount_patch(&server, p, 200, answer, 1).await;
    let out = keyctl(p, "rotate", &server, &[p.key, "-o", "json"])
        .run()
        .await;
    assert_ne!(out.code, 0, "{p:?}: {out:?}");
    out.stderr_has(p.key)
        .stderr_has(new_id(p))
        .stderr_has("The old key may still be active: finish by hand with `");
    not_on_stderr(&out, secret_of(p));
    let line = one_line(&out);
    assert_eq!(line["status"], "partial", "{p:?}: {line}");
    assert_eq!(line["old_key"]["done"], false, "{line}");
    assert_eq!(line["secret"], secret_of(p), "{line}");
    assert_eq!(line["new_key"], new_id(p), "{line}");
}

#[tokio::test]
async fn rotate_old_disable_answered_disabled_false_is_partial() {
    for p in GATES_FAMILY {
        old_step_answer_not_applied(p, json!({"data": gates_key(GATES_KEY, "ci-runner")})).await;
    }
}

#[tokio::test]
async fn rotate_old_expire_in_answered_with_another_expiry_is_partial() {
    // The old key's expiry as it was (2099), not now + 24 h.
    old_step_answer_not_applied(
        VENICE,
        json!({"success": true, "data": venice_key(VENICE_KEY, "ci-runner")}),
    )
    .await;
}

#[tokio::test]
async fn rotate_old_expire_in_answered_without_expiry_is_partial() {
    let mut k = venice_key(VENICE_KEY, "ci-runner");
    k["expiresAt"] = Value::Null;
    old_step_answer_not_applied(VENICE, json!({"success": true, "data": k})).await;
}

#[tokio::test]
async fn rotate_old_step_answered_as_applied_is_done() {
    // The expiry asked, written with milliseconds (the same moment), or half a second off.
    for shift in ["000", "500"] {
        let server = common::server().await;
        mount_old(&server, VENICE, "app").await;
        mount_create(&server, VENICE, successor_body(VENICE, "app")).await;
        Mock::given(method("PATCH"))
            .and(path("/api/v1/api_keys"))
            .respond_with(move |r: &Request| {
                let sent: Value = serde_json::from_slice(&r.body).unwrap();
                let mut k = venice_key(VENICE_KEY, "app");
                let at = sent["expiresAt"].as_str().unwrap();
                k["expiresAt"] = json!(at.replace('Z', &format!(".{shift}Z")));
                ok(200, json!({"success": true, "data": k}))
            })
            .expect(1)
            .mount(&server)
            .await;
        let out = keyctl(VENICE, "rotate", &server, &[VENICE_KEY, "-o", "json"])
            .run()
            .await;
        check_rotated(VENICE, &server, &out, "expires at").await;
    }
    // io.net answers `{"status":"succeeded"}` alone.
    let (server, out) = rotate_default(IONET, "batch", &[]).await;
    check_rotated(IONET, &server, &out, "expires at").await;
}

#[tokio::test]
async fn rotate_tsv_columns_without_secret_is_exit_2_before_anything_is_sent() {
    for p in ALL {
        let server = common::server().await;
        let out = keyctl(
            p,
            "rotate",
            &server,
            &[p.key, "-o", "tsv", "--columns", "id,status"],
        )
        .run()
        .await;
        out.code(2).stderr_has("--columns").stderr_has("secret");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        assert!(calls(&server, p).await.is_empty(), "{p:?}");
    }
}

#[tokio::test]
async fn rotate_tsv_columns_with_secret_or_a_secret_file_rotates() {
    let server = common::server().await;
    mount_old(&server, MODELGATES, "ci-runner").await;
    mount_create(&server, MODELGATES, successor_body(MODELGATES, "ci-runner")).await;
    mount_patched(&server, MODELGATES, 1).await;
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &[GATES_KEY, "-o", "tsv", "--columns", "id,secret"],
    )
    .run()
    .await;
    out.code(0);
    assert_eq!(
        out.stdout,
        format!("id\tsecret\n{NEW_HASH}\t{GATES_SECRET}\n")
    );
    // A secret file takes the secret: the columns may leave it out.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("new.key");
    let server = common::server().await;
    mount_old(&server, MODELGATES, "ci-runner").await;
    mount_create(&server, MODELGATES, successor_body(MODELGATES, "ci-runner")).await;
    mount_patched(&server, MODELGATES, 1).await;
    let out = keyctl(
        MODELGATES,
        "rotate",
        &server,
        &[
            GATES_KEY,
            "-o",
            "tsv",
            "--columns",
            "id,status",
            "--secret-file",
            f.to_str().unwrap(),
        ],
    )
    .run()
    .await;
    out.code(0);
    assert!(!out.stdout.contains(GATES_SECRET), "{}", out.stdout);
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        format!("{GATES_SECRET}\n")
    );
}
