//! `update --from-file`: `#` comments after ids are stripped, a file of comments only is
//! refused.

use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::request_log::paths_of;
use crate::common::stand_ins::{gates_key_at, mg};
use crate::common::{Out, forbid_patch, server};

/// Found by the review round of commit d95c7ef.
#[tokio::test]
async fn comments_after_ids_in_a_key_file_are_stripped() {
    let [h1, h2, h3] = [1, 2, 3].map(|i| format!("{i:064x}"));
    let server = server_with_patches(&[&*h1, &*h2, &*h3]).await;
    let out = from_file(
        &server,
        &format!(
            "{h1} # production\n# only a comment\n   # indented comment\n{h2} #spaced\n\t{h3}\t# tabbed\n\n{h1} # again\n"
        ),
    )
    .await;
    out.code(0);
    let mut sent = paths_of(&server, "PATCH").await;
    sent.sort();
    assert_eq!(
        sent,
        [h1.clone(), h2.clone(), h3.clone()].map(|h| format!("/api/v1/keys/{h}")),
        "{out:?}"
    );
    assert!(!out.stdout.contains('#'), "{out:?}");
    // The same from standard input.
    let server2 = server_with_patches(&[&*h1, &*h2]).await;
    let out = mg(&server2, &["update", "--limit", "5", "--from-file", "-"])
        .stdin(format!("{h1}   # a\n#b\n{h2} #c\n").as_bytes())
        .run()
        .await;
    out.code(0);
    let mut sent = paths_of(&server2, "PATCH").await;
    sent.sort();
    assert_eq!(
        sent,
        [h1.clone(), h2.clone()].map(|h| format!("/api/v1/keys/{h}")),
        "{out:?}"
    );
    // `#` glued to the text is part of it (a name may hold `#`): `ID#tight` is no full id, so it
    // is looked up in the key list (read once), names no key, and nothing is sent.
    let server3 = server_with_patches(&[&*h2]).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [gates_key_at(&h2, "k", json!(5))]})),
        )
        .expect(1)
        .mount(&server3)
        .await;
    let out = from_file(&server3, &format!("{h2}#tight\n")).await;
    out.code(4).stderr_has(&format!("'{h2}#tight'"));
    assert!(paths_of(&server3, "PATCH").await.is_empty(), "{out:?}");
}

/// `update --limit 5 --from-file F` with F holding `contents`.
async fn from_file(server: &MockServer, contents: &str) -> Out {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys.txt");
    std::fs::write(&file, contents).unwrap();
    mg(
        server,
        &[
            "update",
            "--limit",
            "5",
            "--from-file",
            file.to_str().unwrap(),
        ],
    )
    .run()
    .await
}

async fn server_with_patches(hs: &[&str]) -> MockServer {
    let server = server().await;
    for h in hs {
        Mock::given(method("PATCH"))
            .and(path(format!("/api/v1/keys/{h}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": gates_key_at(h, "k", json!(5))})),
            )
            .mount(&server)
            .await;
    }
    server
}

/// Found by the review round of commit d95c7ef.
#[tokio::test]
async fn a_key_file_of_comments_only_is_refused() {
    let server = server().await;
    forbid_patch(&server).await;
    from_file(&server, "# a\n  # b\n\n").await.code(2);
}
