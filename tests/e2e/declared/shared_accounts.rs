//! Two scopes of a key file that name one account (two profiles, or a profile and
//! `provider =`, with the same provider, base URL, workspace and admin credential) are exit 2
//! for `plan` and `apply` alike, both scopes named at their lines and nothing read or sent:
//! each would take the other's keys for unmanaged (`--prune` revoking declared keys) and a name
//! declared in both would be created twice. Two profiles on one URL with different
//! credentials are two accounts, planned as such.

use serde_json::json;
use wiremock::MockServer;

use crate::common::home::Home;
use crate::common::stand_ins::gates_key;
use crate::common::{gates_listing, server};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const OTHER_ENV: &str = "KEYCTL_TEST_SECOND_MG_CREDENTIAL";
const H1: &str = "c100000000000000000000000000000000000000000000000000000000000001";

async fn requests(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

fn two_profiles(s: &MockServer, second_env: &str) -> Home {
    Home::with_config(&format!(
        "[profiles.mg]\nprovider = \"modelgates\"\nbase_url = \"{u}\"\ncredential_env = \"{ENV}\"\n\n\
         [profiles.mg2]\nprovider = \"modelgates\"\nbase_url = \"{u}\"\n\
         credential_env = \"{second_env}\"\n",
        u = s.uri()
    ))
}

#[tokio::test]
async fn two_profiles_on_one_account_are_refused_by_plan_and_apply_with_nothing_sent() {
    let s = server().await;
    gates_listing(&s, vec![gates_key(H1, "alpha")]).await;
    let home = two_profiles(&s, ENV);
    let file = home.write(
        "keys.toml",
        "[[key]]\nprofile = \"mg\"\nname = \"alpha\"\nlimit = 5\n\n\
         [[key]]\nprofile = \"mg2\"\nname = \"beta\"\nlimit = 5\n",
    );
    let f = file.to_str().unwrap();
    let want = "keys.toml:1: profile = \"mg\" and ";
    let second = "keys.toml:6: profile = \"mg2\" are one ModelGates account (the same base \
                  URL, workspace and admin credential)";
    for args in [
        vec!["plan", "-f", f],
        vec!["apply", "-f", f, "--yes", "--prune"],
    ] {
        let out = home.keyctl_with(ENV, &args).run().await;
        out.code(2)
            .stderr_has(want)
            .stderr_has(second)
            .stderr_has("apply --prune would revoke them")
            .stderr_has("nothing was read or sent");
        assert!(
            !out.stderr.contains(crate::common::SECRET),
            "{}",
            out.stderr
        );
        assert_eq!(out.stdout, "", "{args:?}");
    }
    assert!(requests(&s).await.is_empty());
}

#[tokio::test]
async fn a_profile_and_its_provider_on_one_account_are_refused_before_a_second_create() {
    let s = server().await;
    let home = Home::with_config(&format!(
        "[profiles.mg]\nprovider = \"modelgates\"\nbase_url = \"{}\"\ncredential_env = \"{ENV}\"\n",
        s.uri()
    ));
    let file = home.write(
        "keys.toml",
        "[[key]]\nprofile = \"mg\"\nname = \"alpha\"\n\n\
         [[key]]\nprovider = \"modelgates\"\nname = \"alpha\"\n",
    );
    let out = home
        .keyctl_with(ENV, &["apply", "-f", file.to_str().unwrap(), "--yes"])
        .env("KEYCTL_MODELGATES_BASE_URL", &s.uri())
        .run()
        .await;
    out.code(2)
        .stderr_has("keys.toml:1: profile = \"mg\" and ")
        .stderr_has("keys.toml:5: provider = \"modelgates\" are one ModelGates account");
    assert!(requests(&s).await.is_empty());
}

#[tokio::test]
async fn two_profiles_on_one_url_with_different_credentials_are_two_accounts() {
    let s = server().await;
    gates_listing(&s, vec![gates_key(H1, "alpha").clone()]).await;
    let home = two_profiles(&s, OTHER_ENV);
    let file = home.write(
        "keys.toml",
        "[[key]]\nprofile = \"mg\"\nname = \"alpha\"\n\n\
         [[key]]\nprofile = \"mg2\"\nname = \"alpha\"\n",
    );
    let out = home
        .keyctl_with(ENV, &["plan", "-f", file.to_str().unwrap(), "-o", "json"])
        .env(
            OTHER_ENV,
            "sk-mg-v1-SECONDACCOUNTsecondaccount0123456789abcd",
        )
        .run()
        .await;
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(lines[0]["action"], "unchanged");
    assert_eq!(lines[1]["action"], "unchanged");
    assert_eq!(lines[2]["summary"]["unchanged"], json!(2));
    assert_eq!(
        requests(&s).await,
        vec!["GET /api/v1/keys", "GET /api/v1/keys"]
    );
}
