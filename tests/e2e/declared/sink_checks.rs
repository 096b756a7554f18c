//! Where each new secret goes is checked by `plan` (and so by `apply`, before anything is
//! sent), without creating anything: a `secret_file` whose folder is missing, one that exists, one
//! file written two ways, a `secret_command` whose program is missing are exit 2 at their
//! `FILE:LINE` with only the listing read; the text plan shows each create's destination; a
//! relative `secret_command` program is the key file's folder's, not the working folder's.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::home::Home;
use crate::common::stand_ins::gates_key;
use crate::common::{gates_listing, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const H1: &str = "d100000000000000000000000000000000000000000000000000000000000001";
const H_NEW: &str = "d100000000000000000000000000000000000000000000000000000000000009";
const NEW_SECRET: &str = "sk-mg-v1-SINKCHECKS-7d3e5f9a1b2c4d6e8f0a2b4c";

/// Every request the stand-in received, as `METHOD /path`.
async fn requests(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

/// A ModelGates stand-in listing `ci-a`, answering a create with [`H_NEW`] and [`NEW_SECRET`].
async fn gates() -> MockServer {
    let s = server().await;
    gates_listing(&s, vec![gates_key(H1, "ci-a")]).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(|r: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let k = gates_key(H_NEW, body["name"].as_str().unwrap_or_default());
            ResponseTemplate::new(201).set_body_json(json!({"data": k, "key": NEW_SECRET}))
        })
        .mount(&s)
        .await;
    s
}

/// `plan` then `apply --yes` of `text` (a key file written in `home`): both exit 2 with every
/// line of `want` on stderr, and only the listing read (nothing created: no POST, no file).
async fn refused_before_anything_is_sent(home: &Home, text: &str, want: &[&str]) {
    let s = gates().await;
    let file = home.write("keys.toml", text);
    let f = file.to_str().unwrap();
    for args in [vec!["plan", "-f", f], vec!["apply", "-f", f, "--yes"]] {
        let out = home.keyctl_with_no_config(ENV, &args).base(&s).run().await;
        out.code(2);
        for w in want {
            out.stderr_has(w);
        }
    }
    assert_eq!(
        requests(&s).await,
        vec!["GET /api/v1/keys", "GET /api/v1/keys"]
    );
}

#[tokio::test]
async fn a_secret_file_whose_folder_is_missing_is_exit_2_before_anything_is_sent() {
    let home = Home::new();
    refused_before_anything_is_sent(
        &home,
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\n\n[[key]]\n\
         provider = \"modelgates\"\nname = \"deploy-bot\"\nsecret_file = \"gone/deploy.key\"\n",
        &[&format!(
            "error: {d}/keys.toml:8: secret_file: {d}/gone/deploy.key: the folder {d}/gone does \
             not exist; create it first (keyctl does not create folders)\nerror: 1 secret \
             destination cannot take a new secret; nothing was sent\n",
            d = home.s()
        )],
    )
    .await;
    assert!(!home.path().join("gone").exists());
}

#[tokio::test]
async fn a_secret_file_that_exists_is_exit_2_before_anything_is_sent() {
    let home = Home::new();
    home.write("deploy.key", "an old secret\n");
    refused_before_anything_is_sent(
        &home,
        "[[key]]\nprovider = \"modelgates\"\nname = \"deploy-bot\"\nsecret_file = \"deploy.key\"\n",
        &[&format!(
            "error: {d}/keys.toml:4: secret_file: {d}/deploy.key already exists; keyctl never \
             overwrites a file that may hold a secret: remove it or choose a new path\n",
            d = home.s()
        )],
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(home.path().join("deploy.key")).unwrap(),
        "an old secret\n"
    );
}

#[tokio::test]
async fn a_secret_command_whose_program_is_missing_is_exit_2_before_anything_is_sent() {
    let home = Home::new();
    refused_before_anything_is_sent(
        &home,
        "[[key]]\nprovider = \"modelgates\"\nname = \"deploy-bot\"\n\
         secret_command = [\"no-such-program-keyctl-test\", \"set\"]\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"ci-bot\"\n\
         secret_command = [\"./missing.sh\"]\n",
        &[
            &format!(
                "error: {d}/keys.toml:4: secret_command: `no-such-program-keyctl-test set`: no \
                 program 'no-such-program-keyctl-test' on PATH; check the name, or give its full \
                 path\n",
                d = home.s()
            ),
            &format!(
                "error: {d}/keys.toml:9: secret_command: `{d}/missing.sh`: cannot run it (No such \
                 file or directory (os error 2))\n",
                d = home.s()
            ),
            "error: 2 secret destinations cannot take a new secret; nothing was sent\n",
        ],
    )
    .await;
}

#[tokio::test]
async fn one_secret_file_written_two_ways_is_exit_2_with_nothing_read() {
    let s = gates().await;
    let home = Home::new();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"a\"\nsecret_file = \"s.key\"\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"b\"\nsecret_file = \"./s.key\"\n",
    );
    let f = file.to_str().unwrap();
    for args in [vec!["plan", "-f", f], vec!["apply", "-f", f, "--yes"]] {
        home.keyctl_with_no_config(ENV, &args)
            .base(&s)
            .run()
            .await
            .code(2)
            .stderr_has(&format!(
                "{d}/keys.toml:9: secret_file: {d}/./s.key is also the secret_file of the key at \
                 line 1 (the same file however it is written)",
                d = home.s()
            ));
    }
    assert!(requests(&s).await.is_empty());
}

#[tokio::test]
async fn the_text_plan_shows_where_each_new_secret_goes() {
    let s = gates().await;
    let home = Home::new();
    home.script("store.sh", "cat > /dev/null");
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"to-file\"\nlimit = 5\n\
         secret_file = \"to-file.key\"\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"to-command\"\n\
         secret_command = [\"./store.sh\", \"CI_KEY\"]\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"to-stdout\"\n",
    );
    let out = home
        .keyctl_with_no_config(ENV, &["plan", "-f", file.to_str().unwrap()])
        .base(&s)
        .run()
        .await;
    out.code(10)
        .stdout_has(&format!(
            "  + to-file: create\n      limit   → 5\n      secret  → {}/to-file.key\n",
            home.s()
        ))
        .stdout_has(&format!(
            "  + to-command: create\n      secret  → command {}/store.sh\n",
            home.s()
        ))
        .stdout_has("  + to-stdout: create\n      secret  → stdout\n");
    assert!(!home.path().join("to-file.key").exists());
    assert_eq!(requests(&s).await, vec!["GET /api/v1/keys"]);
}

#[tokio::test]
async fn a_relative_secret_command_is_run_from_the_key_files_folder() {
    let s = gates().await;
    let home = Home::new();
    // The tests run in the crate's folder: `./store.sh` is found only next to the key file.
    let got = home.path().join("got.txt");
    home.script("store.sh", &format!("cat > '{}'", got.display()));
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"ci-bot\"\n\
         secret_command = [\"./store.sh\"]\n",
    );
    let out = home
        .keyctl_with_no_config(ENV, &["apply", "-f", file.to_str().unwrap(), "--yes"])
        .base(&s)
        .run()
        .await;
    out.code(0);
    assert!(!out.stdout.contains(NEW_SECRET), "{}", out.stdout);
    assert_eq!(
        std::fs::read_to_string(&got).unwrap(),
        format!("{NEW_SECRET}\n")
    );
    assert_eq!(
        requests(&s).await,
        vec!["GET /api/v1/keys", "POST /api/v1/keys"]
    );
}
