//! `keyctl apply` creates and their secrets: a key's `secret_command` gets the new secret on
//! its standard input and it is nowhere else (stdout, stderr with -v, its argv or environment,
//! the audit trail, the create journal in the state folder); and a create whose follow-up
//! (`disabled = true`) fails is not reported as a clean success.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::home::Home;
use crate::common::stand_ins::{With, gates_key};
use crate::common::{Out, SECRET, gates_listing, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const NEW_HASH: &str = "e100000000000000000000000000000000000000000000000000000000000009";
const NEW_SECRET: &str = "sk-mg-v1-APPLYPIPED-7d3e9a1c5b2f4e6d8a0c1b3d5f7e9a2c";

/// A ModelGates stand-in with no keys; a create answers [`NEW_HASH`] and [`NEW_SECRET`]; a
/// PATCH answers `patch_status` (200: the key as asked).
async fn gates(patch_status: u16) -> MockServer {
    let s = server().await;
    gates_listing(&s, Vec::new()).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/keys"))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"data": gates_key(NEW_HASH, "ci").with(json!({"limit": 5})), "key": NEW_SECRET}),
        ))
        .mount(&s)
        .await;
    // update reads a key before it writes it (the new key, for its follow-up).
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{NEW_HASH}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"data": gates_key(NEW_HASH, "ci").with(json!({"limit": 5}))}),
            ),
        )
        .mount(&s)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(move |r: &wiremock::Request| {
            if patch_status != 200 {
                return ResponseTemplate::new(patch_status)
                    .set_body_json(json!({"error": {"message": "try again later"}}));
            }
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let mut k = gates_key(NEW_HASH, "ci").with(json!({"limit": 5}));
            for (f, v) in body.as_object().cloned().unwrap_or_default() {
                k[f] = v;
            }
            ResponseTemplate::new(200).set_body_json(json!({"data": k}))
        })
        .mount(&s)
        .await;
    s
}

/// Each write as `METHOD /path body`.
async fn writes(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| {
            let b: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            format!("{} {} {b}", r.method, r.url.path())
        })
        .collect()
}

/// A `store-secret` program in `bin/` that records its argv and environment as the kernel
/// holds them (/proc) and what it read on standard input, in `out/`.
fn store_secret(home: &Home) {
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let d = out.display();
    home.script(
        "bin/store-secret",
        &format!(
            r#"d='{d}'
echo run >> "$d/runs"
tr '\0' '\n' < /proc/$$/cmdline > "$d/cmdline"
tr '\0' '\n' < /proc/$$/environ > "$d/environ"
cat > "$d/stdin"
echo "stored it""#
        ),
    );
}

fn recorded(home: &Home, name: &str) -> String {
    std::fs::read_to_string(home.path().join("out").join(name)).unwrap_or_default()
}

/// Every file under `dir`, with its text.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push((p.clone(), std::fs::read_to_string(&p).unwrap_or_default()));
        }
    }
    out
}

async fn apply(home: &Home, s: &MockServer, file: &std::path::Path, more: &[&str]) -> Out {
    let path = format!(
        "{}:{}",
        home.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    home.keyctl_with(ENV, &["apply", "-f", file.to_str().unwrap(), "--yes"])
        .args(more)
        .env("PATH", &path)
        .base(s)
        .run()
        .await
}

#[tokio::test]
async fn a_secret_command_gets_the_secret_on_stdin_and_it_is_nowhere_else() {
    let s = gates(200).await;
    let home = Home::without_config();
    store_secret(&home);
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci\"\nlimit = 5\n\
         secret_command = [\"store-secret\", \"CI_KEY\"]\n",
    );
    for args in [&["-o", "json", "-v"][..], &["-v"][..]] {
        std::fs::remove_dir_all(home.path().join("state")).ok();
        std::fs::remove_file(home.path().join("out").join("runs")).ok();
        let out = apply(&home, &s, &file, args).await;
        out.code(0);
        assert_eq!(recorded(&home, "stdin"), format!("{NEW_SECRET}\n"));
        assert_eq!(recorded(&home, "runs"), "run\n", "the command runs once");
        assert_eq!(
            recorded(&home, "cmdline"),
            "/bin/sh\n{}\nCI_KEY\n".replace(
                "{}",
                &home
                    .path()
                    .join("bin")
                    .join("store-secret")
                    .display()
                    .to_string(),
            )
        );
        let environ = recorded(&home, "environ");
        assert!(!environ.contains(NEW_SECRET), "{environ}");
        // No admin credential variable in the command's environment.
        assert!(!environ.contains(SECRET), "{environ}");
        assert!(!environ.contains(&format!("{ENV}=")), "{environ}");
        for (what, text) in [("stdout", &out.stdout), ("stderr (-v)", &out.stderr)] {
            assert!(!text.contains(NEW_SECRET), "{what}:\n{text}");
            assert!(!text.contains("APPLYPIPED"), "{what}:\n{text}");
        }
        // The audit trail and the create journal (every file in the state folder).
        let state = files_under(&home.path().join("state"));
        assert!(
            state
                .iter()
                .any(|(p, _)| p.ends_with("keyctl/journal.json")),
            "{state:?}"
        );
        assert!(
            state.iter().any(|(p, _)| p.ends_with("keyctl/audit.jsonl")),
            "{state:?}"
        );
        for (p, text) in &state {
            assert!(!text.contains("APPLYPIPED"), "{}:\n{text}", p.display());
        }
        if args[0] == "-o" {
            let lines = out.json_lines();
            assert_eq!(lines.len(), 1, "{}", out.stdout);
            assert_eq!(lines[0]["status"], "created");
            assert_eq!(lines[0]["key"], NEW_HASH);
            assert!(lines[0].get("secret").is_none(), "{}", lines[0]);
            crate::output::json_model::check_line(&lines[0]);
        }
    }
    assert_eq!(
        writes(&s).await,
        vec![format!("POST /api/v1/keys {}", json!({"name": "ci", "limit": 5})); 2]
    );
}

#[tokio::test]
async fn a_create_whose_disabled_follow_up_fails_is_not_a_clean_success() {
    let s = gates(500).await;
    let home = Home::without_config();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci\"\nlimit = 5\ndisabled = true\n\
         secret_file = \"ci.key\"\n",
    );
    // In text: the record says so, the error is on stderr, the summary does not read as a
    // clean create.
    let text = apply(&home, &s, &file, &[]).await;
    text.code(7)
        .stdout_has("\tcreated (provider)\t")
        .stderr_has("was made, but the change that follows its create (disabled) failed")
        .stderr_has("apply: 1 created with an error (see above)\n");
    std::fs::remove_file(home.path().join("ci.key")).unwrap();
    let s = gates(500).await;
    let out = apply(&home, &s, &file, &["-o", "json"]).await;
    // The key is made (its secret in its file) but enabled, not as declared: the update's
    // failure is the run's exit code, and its status says so.
    out.code(7);
    assert_eq!(
        std::fs::read_to_string(home.path().join("ci.key")).unwrap(),
        format!("{NEW_SECRET}\n")
    );
    let w = writes(&s).await;
    assert_eq!(
        w[0],
        format!("POST /api/v1/keys {}", json!({"name": "ci", "limit": 5}))
    );
    // The follow-up is retried as any update is (a 500), never the create.
    assert!(
        w.len() > 1
            && w[1..].iter().all(|r| r
                == &format!(
                    "PATCH /api/v1/keys/{NEW_HASH} {}",
                    json!({"disabled": true})
                )),
        "{w:?}"
    );
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    let l = &lines[0];
    assert_eq!(l["key"], NEW_HASH);
    assert_eq!(l["status"], "created", "{l}");
    assert_eq!(l["error"]["kind"], "provider", "{l}");
    let msg = l["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("was made, but the change that follows its create (disabled) failed"),
        "{msg}"
    );
    assert_eq!(l["after"]["disabled"], false, "{l}");
    crate::output::json_model::check_line(l);
    out.stderr_has("apply: 1 created with an error (see above)");
    // The next apply finds it enabled and sends the update alone: nothing made twice.
    let s2 = server().await;
    gates_listing(
        &s2,
        vec![gates_key(NEW_HASH, "ci").with(json!({"limit": 5, "disabled": false}))],
    )
    .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data":
            gates_key(NEW_HASH, "ci").with(json!({"limit": 5, "disabled": true}))})))
        .mount(&s2)
        .await;
    apply(&home, &s2, &file, &[])
        .await
        .code(0)
        .stderr_has("apply: 1 updated");
    assert_eq!(
        writes(&s2).await,
        vec![format!(
            "PATCH /api/v1/keys/{NEW_HASH} {}",
            json!({"disabled": true})
        )]
    );
}

#[tokio::test]
async fn a_secret_lost_in_one_profile_stops_the_creates_of_the_next() {
    let a = gates(200).await;
    let b = gates(200).await;
    let home = Home::with_config(&format!(
        "[profiles.a]\nprovider = \"modelgates\"\nbase_url = \"{}\"\ncredential_env = \"{ENV}\"\n\n\
         [profiles.b]\nprovider = \"modelgates\"\nbase_url = \"{}\"\ncredential_env = \"{ENV}\"\n",
        a.uri(),
        b.uri()
    ));
    // No sink: each secret goes to stdout, which cannot take it (/dev/full).
    let file = home.write(
        "keys.toml",
        "[[key]]\nprofile = \"a\"\nname = \"ci\"\nlimit = 5\n\n\
         [[key]]\nprofile = \"b\"\nname = \"ci\"\nlimit = 5\n",
    );
    let env = home.env();
    let f = file.to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking(move || {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_keyctl"));
        for v in crate::common::cleared() {
            cmd.env_remove(v);
        }
        cmd.args(["apply", "-f", &f, "--yes"])
            .envs(env)
            .env(ENV, SECRET)
            .stdin(std::process::Stdio::null())
            .stdout(full)
            .output()
            .expect("runs")
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("could not write the new secret"),
        "{stderr}"
    );
    assert!(!stderr.contains("APPLYPIPED"), "{stderr}");
    assert_eq!(
        writes(&a).await,
        vec![format!(
            "POST /api/v1/keys {}",
            json!({"name": "ci", "limit": 5})
        )]
    );
    // Profile b's key would lose its secret the same way: not created.
    assert_eq!(writes(&b).await, Vec::<String>::new(), "{stderr}");
    assert!(
        stderr.contains(
            "profile b: stopped writing keys: a new key's secret did not reach where it was to go"
        ),
        "{stderr}"
    );
}
