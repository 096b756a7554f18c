//! Flags, variables and key ids that look like keys are refused before anything is sent and
//! never echoed.

use crate::common::gates_profiles::{ENV, KEY, assert_hidden, gates_profile};
use crate::common::home::Home;
use crate::common::request_log::paths;
use crate::common::{Keyctl, server};

/// A Venice inference key's secret.
const VENICE_SECRET: &str = "VENICE_INFERENCE_KEY_Zq8Xv2Lm5Rt9Wp3Ks7Hd1Fg4";

/// A run's arguments, its extra variables, and what its error says.
type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);

/// Found by the attack review of profiles.
#[tokio::test]
async fn flags_and_variables_that_look_like_keys_are_exit_2_and_never_echoed() {
    let s = server().await;
    let sb = Home::new();
    sb.config(&gates_profile("a", &s.uri()));
    let u = s.uri();
    let cases: Vec<Case> = vec![
        (vec!["list", "-P", KEY], vec![], "-P/--profile: no profile"),
        (
            vec!["list"],
            vec![("KEYCTL_PROFILE", KEY)],
            "KEYCTL_PROFILE: no profile",
        ),
        (
            vec!["list", "-P", "a"],
            vec![("KEYCTL_OUTPUT", KEY)],
            "is not an output format",
        ),
        (
            vec!["list", "-p", KEY, "--base-url", &u],
            vec![],
            "for -p/--provider",
        ),
        (
            vec!["list", "--base-url", &u],
            vec![("KEYCTL_PROVIDER", KEY)],
            "is not a provider",
        ),
        (
            vec!["list", "-P", "a", "--columns", KEY],
            vec![],
            "--columns: no column",
        ),
    ];
    for (args, env, want) in cases {
        let k = env
            .iter()
            .fold(sb.keyctl_with(ENV, &args), |k, (n, v)| k.env(n, v));
        let out = k.run().await;
        out.code(2)
            .stderr_has(want)
            .stderr_has("(the value given, not shown: it looks like a key)");
        assert_hidden(&out, KEY, &format!("{args:?} {env:?}"));
    }
    assert!(paths(&s).await.is_empty(), "nothing is sent");
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn a_key_id_that_is_a_secret_is_refused_before_anything_is_sent() {
    let cases: [(&str, Vec<&str>, &str); 5] = [
        (
            "VENICE_ADMIN_KEY",
            vec!["update", "-p", "venice", VENICE_SECRET, "--limit", "5"],
            VENICE_SECRET,
        ),
        (
            "MODELGATES_MANAGEMENT_KEY",
            vec!["get", "-p", "modelgates", KEY],
            KEY,
        ),
        (
            "OPENROUTER_MANAGEMENT_KEY",
            vec!["revoke", "-p", "openrouter", KEY, "--yes"],
            KEY,
        ),
        // A secret among good ids: the whole run is refused.
        (
            "MODELGATES_MANAGEMENT_KEY",
            vec!["update", "-p", "modelgates", "goodid", KEY, "--limit", "5"],
            KEY,
        ),
        (
            "OPENROUTER_MANAGEMENT_KEY",
            vec!["rotate", "-p", "openrouter", KEY, "--yes"],
            KEY,
        ),
    ];
    for (var, args, secret) in cases {
        let s = server().await;
        let sb = Home::new();
        let mut k = Keyctl::new(var, &args).base(&s).arg("-o").arg("json");
        for (n, v) in sb.env_without_config() {
            k = k.env(&n, &v);
        }
        let out = k.run().await;
        out.code(2)
            .stderr_has("is the secret, not the id")
            .stderr_has("nothing was sent");
        assert_eq!(out.stdout, "", "{args:?}");
        assert_hidden(&out, secret, &format!("{args:?}"));
        assert!(
            s.received_requests().await.unwrap().is_empty(),
            "{args:?}: nothing may be sent"
        );
        assert!(
            !sb.path()
                .join("state")
                .join("keyctl")
                .join("audit.jsonl")
                .exists(),
            "{args:?}: no audit line"
        );
    }
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn the_secret_as_id_refusal_says_nothing_was_sent_once() {
    let s = server().await;
    let sb = Home::new();
    let mut k = Keyctl::new(
        "VENICE_ADMIN_KEY",
        &["update", "-p", "venice", VENICE_SECRET, "--limit", "5"],
    )
    .base(&s);
    for (n, v) in sb.env_without_config() {
        k = k.env(&n, &v);
    }
    let out = k.run().await;
    out.code(2);
    assert_eq!(
        out.stderr.matches("nothing was sent").count(),
        1,
        "{}",
        out.stderr
    );
}
