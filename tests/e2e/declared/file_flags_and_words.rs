//! The global flags on a key file's run do what their help says: `-P`/`-p` keep only their
//! keys (the other accounts not read), `--base-url` over several profiles and `plan -o tsv` are
//! refused with nothing read; `export` without an account names `--all`; errors speak the key
//! file's words (`-P NAME` for a name two keys share, `profile = "NAME"` for a `provider =` key's
//! missing credential); a narrow terminal gets shortened ids.

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::home::Home;
use crate::common::stand_ins::gates_key;
use crate::common::{Keyctl, gates_listing, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const H1: &str = "e100000000000000000000000000000000000000000000000000000000000001";
const H2: &str = "e100000000000000000000000000000000000000000000000000000000000002";

async fn requests(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

/// A ModelGates stand-in (profile prod), a Venice one with no keys (profile ci), a config file
/// naming both, and a key file with a key in each.
async fn two_profiles() -> (MockServer, MockServer, Home, String) {
    let gates = server().await;
    gates_listing(&gates, vec![gates_key(H1, "ci-a")]).await;
    let venice = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&venice)
        .await;
    let home = Home::with_config(&format!(
        "[profiles.ci]\nprovider = \"venice\"\nbase_url = \"{}\"\ncredential_env = \"{ENV}\"\n\n\
         [profiles.prod]\nprovider = \"modelgates\"\nbase_url = \"{}\"\n\
         credential_env = \"{ENV}\"\n",
        venice.uri(),
        gates.uri()
    ));
    let file = home.write(
        "keys.toml",
        "[[key]]\nprofile = \"ci\"\nname = \"bot\"\nlimit = 25\n\n\
         [[key]]\nprofile = \"prod\"\nname = \"ci-a\"\n",
    );
    let f = file.display().to_string();
    (gates, venice, home, f)
}

#[tokio::test]
async fn profile_and_provider_flags_keep_only_their_keys() {
    let (gates, venice, home, f) = two_profiles().await;
    let out = home
        .keyctl_with(ENV, &["plan", "-f", &f, "-P", "prod"])
        .run()
        .await;
    out.code(0).stdout_has(
        "profile prod (ModelGates): 0 to create, 0 to update, 0 to replace, 1 unchanged, 0 \
         unmanaged\nPlan: 0 to create, 0 to update, 0 to replace, 1 unchanged, 0 unmanaged (in \
         sync)\n",
    );
    assert!(!out.stdout.contains("profile ci"), "{}", out.stdout);
    assert_eq!(requests(&gates).await, vec!["GET /api/v1/keys"]);
    assert!(requests(&venice).await.is_empty());
    let out = home
        .keyctl_with(ENV, &["plan", "-f", &f, "-p", "venice"])
        .run()
        .await;
    out.code(10)
        .stdout_has("profile ci (Venice): 1 to create")
        .stdout_has("Plan: 1 to create, 0 to update, 0 to replace, 0 unchanged, 0 unmanaged");
    assert!(!out.stdout.contains("profile prod"), "{}", out.stdout);
    assert_eq!(requests(&gates).await, vec!["GET /api/v1/keys"]);
    assert_eq!(requests(&venice).await, vec!["GET /api/v1/api_keys"]);
    // A profile the file has no key in: exit 2, nothing read.
    home.keyctl_with(ENV, &["apply", "-f", &f, "--yes", "-p", "ionet"])
        .run()
        .await
        .code(2)
        .stderr_has(&format!(
            "error: -p ionet: no key of {f} is at that provider (-p / KEYCTL_PROVIDER keeps only \
             its keys); drop it to plan every key of the file\n"
        ));
    assert_eq!(requests(&venice).await.len(), 1);
}

#[tokio::test]
async fn base_url_over_several_profiles_and_plan_as_tsv_are_refused_with_nothing_read() {
    let (gates, venice, home, f) = two_profiles().await;
    for cmd in ["plan", "apply"] {
        home.keyctl_with(
            ENV,
            &[cmd, "-f", &f, "--yes"][..if cmd == "plan" { 3 } else { 4 }],
        )
        .base(&gates)
        .run()
        .await
        .code(2)
        .stderr_has(&format!(
            "error: --base-url names one account, and the keys of {f} are in 2 (profile ci, \
                 profile prod): it would apply to every one of them. Give each profile its own \
                 in the config file instead, or keep one with -P NAME / -p ID; nothing was read \
                 or sent\n"
        ));
    }
    for o in ["tsv", "table"] {
        home.keyctl_with(ENV, &["plan", "-f", &f, "-o", o])
            .run()
            .await
            .code(2)
            .stderr_has(&format!(
                "error: -o {o}: keyctl plan prints its plan as text (the default) or as JSON \
                 Lines (-o json)\n"
            ));
    }
    assert!(requests(&gates).await.is_empty());
    assert!(requests(&venice).await.is_empty());
}

#[tokio::test]
async fn export_without_an_account_names_all() {
    let home = Home::with_config(
        "[profiles.prod]\nprovider = \"modelgates\"\ncredential_env = \"PROD_KEY\"\n",
    );
    home.keyctl_with(ENV, &["export"])
        .run()
        .await
        .code(2)
        .stderr_has(
            "error: keyctl export reads one account or every profile: give -P NAME (a profile \
             of the config file (prod)), --all (every profile), or -p ID (a provider, with its \
             credential variable)\n",
        );
}

#[tokio::test]
async fn a_name_two_keys_share_says_the_profile_to_rename_with_and_is_not_planned() {
    let gates = server().await;
    gates_listing(
        &gates,
        vec![gates_key(H1, "prod-chat"), gates_key(H2, "prod-chat")],
    )
    .await;
    let home = Home::with_config(&format!(
        "[profiles.prod]\nprovider = \"modelgates\"\nbase_url = \"{}\"\ncredential_env = \"{ENV}\"\n",
        gates.uri()
    ));
    let file = home.write(
        "keys.toml",
        "[[key]]\nprofile = \"prod\"\nname = \"prod-chat\"\n",
    );
    let out = home
        .keyctl_with(ENV, &["plan", "-f", file.to_str().unwrap()])
        .run()
        .await;
    out.code(2)
        .stderr_has(&format!(
            "error: profile prod: ModelGates has more than one key named 'prod-chat' ({H1}, \
             {H2}); a name is a key's identity, so none of this scope was planned: rename or \
             revoke all but one (`keyctl update -P prod ID --name NEW`)\n"
        ))
        .stdout_has("profile prod (ModelGates): not planned (see the error above)\n")
        .stdout_has("Plan: 0 to create, 0 to update, 0 to replace, 0 unchanged, 0 unmanaged, 1 profile not planned\n");
    assert_eq!(requests(&gates).await, vec!["GET /api/v1/keys"]);
}

#[tokio::test]
async fn a_provider_key_without_its_credential_suggests_the_profile_field() {
    let home = Home::with_config(
        "[profiles.venice-team]\nprovider = \"venice\"\ncredential_env = \"TEAM_VENICE_KEY\"\n",
    );
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"venice\"\nname = \"batch\"\n",
    );
    home.keyctl(&["plan", "-f", file.to_str().unwrap()])
        .run()
        .await
        .code(3)
        .stderr_has(&format!(
            "; or, in the key file, write profile = \"venice-team\" instead of provider = \
             \"venice\" (a profile for Venice in {}/config.toml)",
            home.s()
        ));
}

#[tokio::test]
async fn a_narrow_terminal_gets_short_ids_and_wide_whole_ones() {
    const N1: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
    const N2: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0";
    let s = server().await;
    gates_listing(&s, vec![gates_key(N1, "ci-a"), gates_key(N2, "ci-b")]).await;
    let home = Home::new();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"ci-a\"\ndisabled = true\n",
    );
    let f = file.to_str().unwrap();
    let narrow = home
        .keyctl_with_no_config(ENV, &["plan", "-f", f])
        .base(&s)
        .env("COLUMNS", "60")
        .run()
        .await;
    narrow
        .code(10)
        .stdout_has("  ~ ci-a 0a1b2c3d: update\n      disabled  false → true\n")
        .stdout_has("  ? ci-b 9f8e7d6c: unmanaged (not in the file)\n");
    // Each key's lines fit (the summaries are one line each, as long as their counts).
    for line in narrow.stdout.lines().filter(|l| l.starts_with("  ")) {
        assert!(line.chars().count() <= 60, "{line:?} in\n{}", narrow.stdout);
    }
    // --wide, or a terminal wide enough: whole ids.
    for (cols, wide) in [("60", true), ("200", false)] {
        let args: &[&str] = if wide {
            &["plan", "-f", f, "--wide"]
        } else {
            &["plan", "-f", f]
        };
        Keyctl::new(ENV, args)
            .base(&s)
            .env("COLUMNS", cols)
            .run()
            .await
            .code(10)
            .stdout_has(&format!("  ~ ci-a {N1}: update\n"))
            .stdout_has(&format!("  ? ci-b {N2}: unmanaged (not in the file)\n"));
    }
}

#[tokio::test]
async fn every_error_of_a_key_file_is_reported_at_its_line_with_nothing_read() {
    let s = server().await;
    let home = Home::new();
    let file = home.write(
        "keys.toml",
        "[[key]]\nprovider = \"modelgates\"\nname = \"a\"\nmodels = [\"m\"]\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"b\"\nlimt = 5\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"c\"\nreset = \"hourly\"\n",
    );
    let d = home.s();
    let out = home
        .keyctl_with_no_config(ENV, &["plan", "-f", file.to_str().unwrap()])
        .base(&s)
        .run()
        .await;
    out.code(2);
    assert_eq!(
        out.stderr,
        format!(
            "error: {d}/keys.toml:4: models: ModelGates cannot hold it (ModelGates does not \
             support models: keys have no model allow-list here; its keys' fields are limit, \
             reset, name, disabled and include_byok_in_limit)\n\
             error: {d}/keys.toml:9: limt: unknown field; a key's fields are profile (or \
             provider), name, limit, limit_diem, limit_vcu, reset, expires, models, disabled, \
             include_byok_in_limit, privacy, type, secret_file, secret_command\n\
             error: {d}/keys.toml:14: reset: 'hourly' is not one of 8h, daily, weekly, monthly, \
             never\n\
             error: 3 errors in {d}/keys.toml; nothing was read or sent\n"
        )
    );
    assert!(requests(&s).await.is_empty());
}
