//! `keyctl revoke` on every provider: the exact requests (method, path, query, auth header) in
//! order, what is never sent (no `--yes` without a terminal, dry runs), the statuses and exit
//! codes.

use crate::common::lifecycle::*;
use crate::common::{self, GATES_KEY, IONET_KEY, SECRET, VENICE_KEY};
use serde_json::{Value, json};
use wiremock::Mock;
use wiremock::matchers::{method, path, query_param};

/// Each provider: one read of the key, then its delete; status `revoked`, exit 0, `before`
/// holds the key as read.
async fn revoke_one(p: Prov) {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    mount_delete(&server, p, p.key, None, 1).await;
    forbid(&server, "PATCH").await;
    forbid(&server, "POST").await;
    let out = keyctl(p, "revoke", &server, &[p.key, "--yes", "-o", "json"])
        .run()
        .await;
    out.code(0);
    let line = one_line(&out);
    assert_eq!(line["status"], "revoked", "{line}");
    assert_eq!(line["provider"], p.id, "{line}");
    assert_eq!(line["key"], p.key, "{line}");
    assert_eq!(line["before"]["name"], "ci-runner", "{line}");
    assert_eq!(line["before"]["id"], p.key, "{line}");
    let mut want = reads(p);
    want.push(delete_call(p, p.key));
    assert_eq!(calls(&server, p).await, want, "{p:?}");
    // The delete carries no body.
    let reqs = received(&server, p).await;
    let del = reqs.iter().find(|r| r.method.as_str() == "DELETE").unwrap();
    assert!(del.body.is_empty(), "{p:?}: DELETE with a body");
}

#[tokio::test]
async fn revoke_modelgates_reads_then_deletes_the_hash() {
    revoke_one(MODELGATES).await;
}

#[tokio::test]
async fn revoke_novapai_reads_then_deletes_the_hash() {
    revoke_one(NOVAPAI).await;
}

#[tokio::test]
async fn revoke_openrouter_reads_then_deletes_the_hash() {
    revoke_one(OPENROUTER).await;
}

#[tokio::test]
async fn revoke_ionet_reads_usage_and_list_then_deletes_the_sub_key() {
    revoke_one(IONET).await;
}

#[tokio::test]
async fn revoke_venice_reads_then_deletes_with_the_id_in_the_query() {
    revoke_one(VENICE).await;
}

#[tokio::test]
async fn revoke_table_output_names_the_key_and_its_status() {
    let server = common::server().await;
    mount_old(&server, MODELGATES, "ci-runner").await;
    mount_delete(&server, MODELGATES, GATES_KEY, None, 1).await;
    let out = keyctl(MODELGATES, "revoke", &server, &[GATES_KEY, "--yes"])
        .run()
        .await;
    out.code(0).stdout_has(GATES_KEY).stdout_has("revoked");
}

#[tokio::test]
async fn revoke_without_yes_and_without_a_terminal_sends_nothing() {
    for p in ALL {
        let server = common::server().await;
        let out = keyctl(p, "revoke", &server, &[p.key]).run().await;
        out.code(2).stderr_has("add --yes");
        assert!(out.stdout.is_empty(), "{p:?}: {}", out.stdout);
        assert_eq!(calls(&server, p).await, Vec::<String>::new(), "{p:?}");
    }
}

#[tokio::test]
async fn revoke_match_without_yes_and_without_a_terminal_does_not_even_list() {
    let server = common::server().await;
    let out = keyctl(MODELGATES, "revoke", &server, &["--match", "ci-*"])
        .run()
        .await;
    out.code(2).stderr_has("add --yes");
    assert!(calls(&server, MODELGATES).await.is_empty());
}

#[tokio::test]
async fn revoke_dry_run_reads_and_deletes_nothing() {
    for p in ALL {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        forbid_writes(&server).await;
        let out = keyctl(p, "revoke", &server, &[p.key, "--dry-run", "-o", "json"])
            .run()
            .await;
        out.code(0);
        let line = one_line(&out);
        assert_eq!(line["status"], "dry_run", "{p:?}: {line}");
        assert_eq!(line["request"]["method"], "DELETE", "{p:?}: {line}");
        assert_eq!(line["before"]["name"], "ci-runner", "{p:?}: {line}");
        let url = line["request"]["url"].as_str().unwrap();
        let (at, id, _) = delete_of(p, p.key);
        assert!(url.starts_with(&server.uri()), "{url}");
        assert!(url.contains(&at), "{p:?}: {url}");
        if let Some(id) = id {
            assert!(url.ends_with(&format!("?id={id}")), "{url}");
        }
        assert_eq!(line["request"]["body"], Value::Null, "{p:?}: {line}");
        // The credential is shown masked, if at all.
        assert!(!line.to_string().contains(SECRET));
        assert_eq!(calls(&server, p).await, reads(p), "{p:?}");
    }
}

#[tokio::test]
async fn revoke_dry_run_table_says_it_cannot_be_undone() {
    let server = common::server().await;
    mount_old(&server, VENICE, "app").await;
    forbid_writes(&server).await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &[VENICE_KEY, "--dry-run", "-o", "table"],
    )
    .run()
    .await;
    out.code(0)
        .stdout_has(VENICE_KEY)
        .stdout_has("cannot be undone")
        .stderr_has("would revoke");
}

#[tokio::test]
async fn revoke_gates_key_already_gone_is_not_found_exit_4() {
    for p in GATES_FAMILY {
        let server = common::server().await;
        mount_read(
            &server,
            p,
            p.key,
            404,
            json!({"error": {"code": 404, "message": "Key not found"}}),
        )
        .await;
        forbid_writes(&server).await;
        let out = keyctl(p, "revoke", &server, &[p.key, "--yes", "-o", "json"])
            .run()
            .await;
        out.code(4);
        let line = one_line(&out);
        assert_eq!(line["status"], "not_found", "{p:?}: {line}");
        assert_eq!(line["error"]["http_status"], 404, "{line}");
        assert_eq!(calls(&server, p).await, reads(p), "{p:?}");
    }
}

#[tokio::test]
async fn revoke_ionet_key_already_gone_is_not_found_exit_4() {
    let server = common::server().await;
    mount_read(
        &server,
        IONET,
        IONET_KEY,
        404,
        json!({"detail": "Sub-key not found"}),
    )
    .await;
    mount_ionet_list(&server, ionet_list(vec![])).await;
    forbid_writes(&server).await;
    let out = keyctl(
        IONET,
        "revoke",
        &server,
        &[IONET_KEY, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4).stderr_has("Sub-key not found");
    let line = one_line(&out);
    assert_eq!(line["status"], "not_found", "{line}");
    assert!(
        !calls(&server, IONET)
            .await
            .iter()
            .any(|c| c.starts_with("DELETE")),
    );
}

#[tokio::test]
async fn revoke_venice_key_already_gone_is_not_found_exit_4() {
    let server = common::server().await;
    mount_read(
        &server,
        VENICE,
        VENICE_KEY,
        400,
        json!({"error": "API key not found or expired"}),
    )
    .await;
    forbid_writes(&server).await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &[VENICE_KEY, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4).stderr_has("API key not found or expired");
    let line = one_line(&out);
    assert_eq!(line["status"], "not_found", "{line}");
    assert_eq!(line["error"]["kind"], "not_found", "{line}");
    assert_eq!(calls(&server, VENICE).await, reads(VENICE));
}

#[tokio::test]
async fn revoke_venice_delete_answering_could_not_be_found_is_not_found_exit_4() {
    let server = common::server().await;
    mount_old(&server, VENICE, "app").await;
    mount_delete(
        &server,
        VENICE,
        VENICE_KEY,
        Some((400, json!({"error": "API key could not be found"}))),
        1,
    )
    .await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &[VENICE_KEY, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4);
    let line = one_line(&out);
    assert_eq!(line["status"], "not_found", "{line}");
    assert_eq!(
        calls(&server, VENICE).await,
        [reads(VENICE), vec![delete_call(VENICE, VENICE_KEY)]].concat()
    );
}

#[tokio::test]
async fn revoke_gates_delete_answering_404_is_not_found_exit_4() {
    let server = common::server().await;
    mount_old(&server, NOVAPAI, "ci-runner").await;
    mount_delete(
        &server,
        NOVAPAI,
        GATES_KEY,
        Some((
            404,
            json!({"error": {"code": 404, "message": "Key not found"}}),
        )),
        1,
    )
    .await;
    let out = keyctl(
        NOVAPAI,
        "revoke",
        &server,
        &[GATES_KEY, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4);
    assert_eq!(one_line(&out)["status"], "not_found");
}

#[tokio::test]
async fn revoke_several_keys_where_one_is_gone_revokes_the_others_exit_4() {
    let server = common::server().await;
    let p = MODELGATES;
    mount_read(
        &server,
        p,
        GATES_KEY,
        200,
        json!({"data": gates_key(GATES_KEY, "a")}),
    )
    .await;
    mount_read(
        &server,
        p,
        GATES_KEY_2,
        404,
        json!({"error": {"code": 404, "message": "Key not found"}}),
    )
    .await;
    mount_read(
        &server,
        p,
        GATES_KEY_3,
        200,
        json!({"data": gates_key(GATES_KEY_3, "c")}),
    )
    .await;
    mount_delete(&server, p, GATES_KEY, None, 1).await;
    mount_delete(&server, p, GATES_KEY_2, None, 0).await;
    mount_delete(&server, p, GATES_KEY_3, None, 1).await;
    let out = keyctl(
        p,
        "revoke",
        &server,
        &[GATES_KEY, GATES_KEY_2, GATES_KEY_3, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4).stderr_has("summary: 2 revoked, 1 not found");
    let lines = out.json_lines();
    let status: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["key"].as_str().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            (GATES_KEY, "revoked"),
            (GATES_KEY_2, "not_found"),
            (GATES_KEY_3, "revoked")
        ]
    );
}

#[tokio::test]
async fn revoke_venice_several_keys_where_one_is_gone_revokes_the_other_exit_4() {
    let server = common::server().await;
    mount_read(
        &server,
        VENICE,
        VENICE_KEY,
        400,
        json!({"error": "API key not found or expired"}),
    )
    .await;
    mount_read(
        &server,
        VENICE,
        VENICE_KEY_2,
        200,
        json!({"data": venice_key(VENICE_KEY_2, "b")}),
    )
    .await;
    mount_delete(&server, VENICE, VENICE_KEY, None, 0).await;
    mount_delete(&server, VENICE, VENICE_KEY_2, None, 1).await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &[VENICE_KEY, VENICE_KEY_2, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(4);
    let lines = out.json_lines();
    assert_eq!(lines[0]["status"], "not_found");
    assert_eq!(lines[1]["status"], "revoked");
    assert_eq!(lines[1]["before"]["name"], "b");
}

/// An io.net reference that is not a UUID is a name (or an id prefix) looked up in one read of
/// the key list: one the list lacks is exit 4 with nothing deleted, also among good ids and in
/// a dry run; a listed key whose id is not a UUID is still exit 2 before anything is sent.
#[tokio::test]
async fn revoke_ionet_reference_not_in_the_list_is_exit_4_before_anything_is_sent() {
    let list = ionet_list(vec![
        ionet_item(IONET_KEY, "ci-one"),
        ionet_item("legacy-0001", "odd"),
    ]);
    let only_the_list = ["GET /v1/api-keys/sub-keys".to_string()];
    let server = common::server().await;
    mount_ionet_list(&server, list.clone()).await;
    let out = keyctl(IONET, "revoke", &server, &["not-a-uuid", "--yes"])
        .run()
        .await;
    out.code(4)
        .stderr_has("'not-a-uuid'")
        .stderr_has("nothing was deleted");
    assert_eq!(calls(&server, IONET).await, only_the_list);
    // One unknown reference among good ids stops the whole run too.
    let server = common::server().await;
    mount_ionet_list(&server, list.clone()).await;
    let out = keyctl(IONET, "revoke", &server, &[IONET_KEY, "nope", "--yes"])
        .run()
        .await;
    out.code(4)
        .stderr_has("'nope'")
        .stderr_has("nothing was deleted");
    assert_eq!(calls(&server, IONET).await, only_the_list);
    // Also for a dry run.
    let server = common::server().await;
    mount_ionet_list(&server, list.clone()).await;
    let out = keyctl(IONET, "revoke", &server, &["nope", "--dry-run"])
        .run()
        .await;
    out.code(4);
    assert_eq!(calls(&server, IONET).await, only_the_list);
    // A key the list names whose id is not a UUID: exit 2, nothing deleted.
    let server = common::server().await;
    mount_ionet_list(&server, list).await;
    let out = keyctl(IONET, "revoke", &server, &["odd", "--yes"])
        .run()
        .await;
    out.code(2)
        .stderr_has("not a UUID")
        .stderr_has("nothing was deleted");
    assert_eq!(calls(&server, IONET).await, only_the_list);
}

/// A 500 on the delete is retried `--retries` times, then fails the key with exit 7.
async fn delete_500_retried(p: Prov) {
    let server = common::server().await;
    mount_old(&server, p, "ci-runner").await;
    mount_delete(&server, p, p.key, Some((500, json!({"error": "boom"}))), 2).await;
    let out = keyctl(
        p,
        "revoke",
        &server,
        &[p.key, "--yes", "--retries", "1", "-o", "json"],
    )
    .run()
    .await;
    out.code(7);
    let line = one_line(&out);
    assert_eq!(line["status"], "failed", "{p:?}: {line}");
    assert_eq!(line["error"]["http_status"], 500, "{line}");
    let mut want = reads(p);
    want.push(delete_call(p, p.key));
    want.push(delete_call(p, p.key));
    assert_eq!(calls(&server, p).await, want, "{p:?}");
}

#[tokio::test]
async fn revoke_delete_500_is_retried_then_exit_7_openrouter() {
    delete_500_retried(OPENROUTER).await;
}

#[tokio::test]
async fn revoke_delete_500_is_retried_then_exit_7_ionet() {
    delete_500_retried(IONET).await;
}

#[tokio::test]
async fn revoke_delete_500_is_retried_then_exit_7_venice() {
    delete_500_retried(VENICE).await;
}

#[tokio::test]
async fn revoke_match_selects_by_name_from_the_paged_list() {
    let server = common::server().await;
    let p = MODELGATES;
    // A full first page of 100 (one of them ci-a), then a short page with ci-b and others.
    let mut first: Vec<Value> = (0..99)
        .map(|i| gates_key(&format!("{i:064x}"), &format!("prod-{i}")))
        .collect();
    first.push(gates_key(GATES_KEY, "ci-a"));
    let second = vec![
        gates_key(GATES_KEY_2, "ci-b"),
        gates_key(GATES_KEY_3, "prod-ci"),
    ];
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .and(query_param("include_disabled", "true"))
        .respond_with(ok(200, json!({"data": first})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "100"))
        .and(query_param("include_disabled", "true"))
        .respond_with(ok(200, json!({"data": second})))
        .expect(1)
        .mount(&server)
        .await;
    // No single-key read: each key's state before the delete is its entry in the listing this
    // run has read.
    mount_delete(&server, p, GATES_KEY, None, 1).await;
    mount_delete(&server, p, GATES_KEY_2, None, 1).await;
    mount_delete(&server, p, GATES_KEY_3, None, 0).await;
    let out = keyctl(
        p,
        "revoke",
        &server,
        &["--match", "ci-*", "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0).stderr_has("selected 2 key(s)");
    let lines = out.json_lines();
    let revoked: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["status"], "revoked", "{l}");
            (
                l["key"].as_str().unwrap(),
                l["before"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(revoked, [(GATES_KEY, "ci-a"), (GATES_KEY_2, "ci-b")]);
    let mut c = calls(&server, p).await;
    assert_eq!(
        c[..2],
        [
            "GET /api/v1/keys?offset=0&include_disabled=true".to_string(),
            "GET /api/v1/keys?offset=100&include_disabled=true".to_string()
        ]
    );
    c.sort();
    let mut want = vec![
        "GET /api/v1/keys?offset=0&include_disabled=true".to_string(),
        "GET /api/v1/keys?offset=100&include_disabled=true".to_string(),
        delete_call(p, GATES_KEY),
        delete_call(p, GATES_KEY_2),
    ];
    want.sort();
    assert_eq!(
        c, want,
        "the two list pages and two deletes, no single-key read"
    );
}

#[tokio::test]
async fn revoke_match_on_ionet_and_venice_uses_the_single_list() {
    // io.net: the list selects; each key is then read (usage) and deleted.
    let server = common::server().await;
    mount_ionet_list(
        &server,
        ionet_list(vec![
            ionet_item(IONET_KEY, "ci-one"),
            ionet_item(IONET_KEY_2, "prod"),
        ]),
    )
    .await;
    mount_read(&server, IONET, IONET_KEY, 200, ionet_usage(IONET_KEY)).await;
    mount_delete(&server, IONET, IONET_KEY, None, 1).await;
    mount_delete(&server, IONET, IONET_KEY_2, None, 0).await;
    let out = keyctl(
        IONET,
        "revoke",
        &server,
        &["--match", "ci-*", "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);
    let line = one_line(&out);
    assert_eq!(
        (&line["key"], &line["status"], &line["before"]["name"]),
        (&json!(IONET_KEY), &json!("revoked"), &json!("ci-one"))
    );

    // Venice: `GET /api/v1/api_keys`, no paging.
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ok(
            200,
            json!({"object": "list", "data": [venice_key(VENICE_KEY, "prod"), venice_key(VENICE_KEY_2, "ci-two")]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // The key's state before the delete is its list entry: no `GET /api_keys/{id}`.
    mount_delete(&server, VENICE, VENICE_KEY_2, None, 1).await;
    mount_delete(&server, VENICE, VENICE_KEY, None, 0).await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &["--match", "ci-*", "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);
    let line = one_line(&out);
    assert_eq!(
        (&line["key"], &line["status"], &line["before"]["name"]),
        (&json!(VENICE_KEY_2), &json!("revoked"), &json!("ci-two"))
    );
    assert_eq!(
        calls(&server, VENICE).await,
        [
            "GET /api/v1/api_keys".to_string(),
            delete_call(VENICE, VENICE_KEY_2)
        ]
    );
}

#[tokio::test]
async fn revoke_match_selecting_none_sends_no_delete_exit_0() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .respond_with(ok(200, json!({"data": [gates_key(GATES_KEY, "prod")]})))
        .mount(&server)
        .await;
    forbid_writes(&server).await;
    let out = keyctl(MODELGATES, "revoke", &server, &["--match", "ci-*", "--yes"])
        .run()
        .await;
    out.code(0).stderr_has("no key to revoke");
}

#[tokio::test]
async fn revoke_from_file_reads_ids_and_skips_comments() {
    let server = common::server().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("leaked.txt");
    std::fs::write(
        &f,
        format!("# leaked on 2026-11-20\n{IONET_KEY}\n\n{IONET_KEY_2}\n"),
    )
    .unwrap();
    mount_read(&server, IONET, IONET_KEY, 200, ionet_usage(IONET_KEY)).await;
    mount_read(&server, IONET, IONET_KEY_2, 200, ionet_usage(IONET_KEY_2)).await;
    mount_ionet_list(
        &server,
        ionet_list(vec![
            ionet_item(IONET_KEY, "a"),
            ionet_item(IONET_KEY_2, "b"),
        ]),
    )
    .await;
    mount_delete(&server, IONET, IONET_KEY, None, 1).await;
    mount_delete(&server, IONET, IONET_KEY_2, None, 1).await;
    let out = keyctl(
        IONET,
        "revoke",
        &server,
        &["--from-file", f.to_str().unwrap(), "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0).stderr_has("summary: 2 revoked");
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["before"]["name"], "a");
    assert_eq!(lines[1]["before"]["name"], "b");
    // The list is read once for both keys.
    let c = calls(&server, IONET).await;
    assert_eq!(
        c.iter()
            .filter(|c| *c == "GET /v1/api-keys/sub-keys")
            .count(),
        1,
        "{c:?}"
    );
}

#[tokio::test]
async fn revoke_verbose_shows_the_delete_with_the_credential_masked() {
    for p in [IONET, VENICE, OPENROUTER] {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        mount_delete(&server, p, p.key, None, 1).await;
        let out = keyctl(p, "revoke", &server, &[p.key, "--yes", "-v"])
            .run()
            .await;
        out.code(0).stderr_has("DELETE").stderr_has("****");
    }
}

#[tokio::test]
async fn revoke_delete_answered_deleted_false_fails_the_key() {
    for p in [MODELGATES, VENICE] {
        let server = common::server().await;
        mount_old(&server, p, "ci-runner").await;
        let body = if p.id == "venice" {
            json!({"success": false})
        } else {
            json!({"deleted": false})
        };
        mount_delete(&server, p, p.key, Some((200, body)), 1).await;
        let out = keyctl(p, "revoke", &server, &[p.key, "--yes", "-o", "json"])
            .run()
            .await;
        out.code(7).stderr_has("may still be active");
        assert_eq!(one_line(&out)["status"], "failed");
    }
}

#[tokio::test]
async fn revoke_read_500_is_retried_then_exit_7_with_no_delete() {
    let server = common::server().await;
    mount_read(&server, VENICE, VENICE_KEY, 500, json!({"error": "boom"})).await;
    forbid_writes(&server).await;
    let out = keyctl(
        VENICE,
        "revoke",
        &server,
        &[VENICE_KEY, "--yes", "--retries", "1", "-o", "json"],
    )
    .run()
    .await;
    out.code(7);
    assert_eq!(one_line(&out)["status"], "failed");
    assert_eq!(
        calls(&server, VENICE).await,
        [reads(VENICE), reads(VENICE)].concat()
    );
}

#[tokio::test]
async fn revoke_read_401_is_exit_3_with_no_delete() {
    let server = common::server().await;
    mount_read(
        &server,
        OPENROUTER,
        GATES_KEY,
        401,
        json!({"error": {"code": 401, "message": "No auth credentials found"}}),
    )
    .await;
    forbid_writes(&server).await;
    let out = keyctl(OPENROUTER, "revoke", &server, &[GATES_KEY, "--yes"])
        .run()
        .await;
    out.code(3);
}

#[tokio::test]
async fn revoke_the_same_key_twice_deletes_it_once() {
    let server = common::server().await;
    mount_old(&server, MODELGATES, "ci-runner").await;
    mount_delete(&server, MODELGATES, GATES_KEY, None, 1).await;
    let out = keyctl(
        MODELGATES,
        "revoke",
        &server,
        &[GATES_KEY, GATES_KEY, "--yes", "-o", "json"],
    )
    .run()
    .await;
    out.code(0);
    assert_eq!(one_line(&out)["status"], "revoked");
}

#[tokio::test]
async fn revoke_ionet_upper_case_id_is_sent_in_canonical_form() {
    let server = common::server().await;
    mount_old(&server, IONET, "batch").await;
    mount_delete(&server, IONET, IONET_KEY, None, 1).await;
    let upper = IONET_KEY.to_uppercase();
    let out = keyctl(IONET, "revoke", &server, &[&upper, "--yes", "-o", "json"])
        .run()
        .await;
    out.code(0);
    assert_eq!(one_line(&out)["status"], "revoked");
    assert_eq!(
        calls(&server, IONET).await,
        [reads(IONET), vec![delete_call(IONET, IONET_KEY)]].concat()
    );
}
