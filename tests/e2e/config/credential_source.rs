//! `-v` names the profile and its credential source (never the credential), and a 401 names
//! the source the credential came from.

use std::path::PathBuf;

use serde_json::json;
use wiremock::{Mock, ResponseTemplate};

use crate::common::home::Home;
use crate::common::profile_servers::{Srv, mount_gates, mount_venice, srv, take};
use crate::common::{GATES_KEY, Keyctl, SECRET};

/// Found by the operator review of profiles.
#[tokio::test]
async fn verbose_names_the_profile_and_its_credential_source_never_the_credential() {
    let s = srv().await;
    mount_venice(&s, "/pv").await;
    mount_gates(&s, "/pc").await;
    let sb = Home::new();
    let key_file = sb.write("mg.key", &format!("{SECRET}\n"));
    sb.config(&format!(
        r#"
[profiles.ven]
provider = "venice"
credential_env = "PV_KEY"
base_url = "{u}/pv"

[profiles.cmd]
provider = "modelgates"
credential_command = ["cat", "{k}"]
base_url = "{u}/pc"
"#,
        u = s.uri(),
        k = key_file.display()
    ));
    let cfg = sb.config_path().display().to_string();

    let out = sb
        .keyctl(&["list", "-P", "ven", "-v"])
        .env("PV_KEY", SECRET)
        .run()
        .await;
    out.code(0).stderr_has(&format!(
        "profile ven ({cfg}): Venice credential from env PV_KEY"
    ));
    assert_eq!(
        take(&s).await,
        [(
            "GET /pv/api/v1/api_keys".to_string(),
            Some(format!("Bearer {SECRET}"))
        )]
    );

    let out = sb.keyctl(&["list", "-P", "cmd", "-v"]).run().await;
    out.code(0).stderr_has(&format!(
        "profile cmd ({cfg}): ModelGates credential from command cat {}",
        key_file.display()
    ));
    let got = take(&s).await;
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|(_, a)| a.as_deref() == Some(&format!("Bearer {SECRET}"))),
        "{got:?}"
    );

    // Without -v: no such line.
    let out = sb
        .keyctl(&["list", "-P", "ven"])
        .env("PV_KEY", SECRET)
        .run()
        .await;
    out.code(0);
    assert!(!out.stderr.contains("profile ven"), "{}", out.stderr);
}

/// Writes two profiles (`ven`, the default, and `mg`) on `s`, and a key file holding SECRET
/// (returned).
fn two_profiles(sb: &Home, s: &Srv) -> PathBuf {
    let key_file = sb.write("f.key", &format!("{SECRET}\n"));
    sb.config(&format!(
        r#"
default_profile = "ven"

[profiles.ven]
provider = "venice"
credential_env = "PV_KEY"
base_url = "{u}"

[profiles.mg]
provider = "modelgates"
credential_env = "PG_KEY"
base_url = "{u}"
"#,
        u = s.uri()
    ));
    key_file
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn verbose_with_api_key_file_names_the_file_in_use() {
    let s = srv().await;
    mount_venice(&s, "").await;
    let sb = Home::new();
    let key_file = two_profiles(&sb, &s);
    let cfg = sb.config_path().display().to_string();
    let out = sb
        .keyctl(&["list", "-P", "ven", "-v", "--api-key-file"])
        .arg(key_file.to_str().unwrap())
        .run()
        .await;
    out.code(0);
    // The file's credential was sent: PV_KEY is not even set.
    assert_eq!(
        take(&s).await,
        [(
            "GET /api/v1/api_keys".to_string(),
            Some(format!("Bearer {SECRET}"))
        )]
    );
    assert!(
        !out.stderr.contains(&format!(
            "profile ven ({cfg}): Venice credential from env PV_KEY"
        )),
        "-v claims the profile's variable although --api-key-file was used:\n{}",
        out.stderr
    );
    out.stderr_has(&key_file.display().to_string());
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn verbose_with_all_does_not_name_the_default_profile_alone() {
    let s = srv().await;
    mount_venice(&s, "").await;
    mount_gates(&s, "").await;
    let sb = Home::new();
    two_profiles(&sb, &s);
    let out = sb
        .keyctl(&["auth", "status", "--all", "-v"])
        .env("PV_KEY", SECRET)
        .env("PG_KEY", SECRET)
        .run()
        .await;
    out.code(0);
    assert_eq!(take(&s).await.len(), 2);
    // Either every covered profile is named, or none is: not the default profile alone.
    assert_eq!(
        out.stderr.contains("profile ven ("),
        out.stderr.contains("profile mg ("),
        "--all checks ven and mg, yet -v names one profile as the one in use:\n{}",
        out.stderr
    );
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn a_401_with_api_key_file_names_the_file_not_the_profile() {
    let s = unauthorized().await;
    let sb = Home::new();
    let key_file = two_profiles(&sb, &s);
    let out = sb
        .keyctl(&["list", "-P", "mg", "--api-key-file"])
        .arg(key_file.to_str().unwrap())
        .env("PG_KEY", "sk-profile-cred-unused-0006")
        .run()
        .await;
    out.code(3)
        .stderr_has("HTTP 401")
        .stderr_has(&key_file.display().to_string());
    assert!(
        !out.stderr.contains("the credential of profile 'mg'"),
        "the --api-key-file is not the profile's credential:\n{}",
        out.stderr
    );
}

async fn unauthorized() -> Srv {
    let s = srv().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"code": 401, "message": "bad key"}})),
        )
        .mount(&s)
        .await;
    s
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn a_401_to_a_profile_run_names_the_profiles_source_not_the_providers_variable() {
    let s = unauthorized().await;
    let sb = Home::new();
    let key_file = sb.write("k", "sk-from-command-0003\n");
    sb.config(&format!(
        r#"
[profiles.x]
provider = "modelgates"
credential_env = "X_KEY"
base_url = "{u}"

[profiles.c]
provider = "modelgates"
credential_command = ["cat", "{k}"]
base_url = "{u}"

[profiles.v]
provider = "venice"
credential_env = "V_KEY"
base_url = "{u}"
"#,
        u = s.uri(),
        k = key_file.display()
    ));
    let old = "MODELGATES_MANAGEMENT_KEY (or the --api-key-file)";

    for args in [
        vec!["list", "-P", "x"],
        vec!["get", "-P", "x", GATES_KEY],
        vec!["check", "-P", "x", "--usage-over", "80%"],
    ] {
        let out = sb
            .keyctl(&args)
            .env("X_KEY", SECRET)
            .env("MODELGATES_MANAGEMENT_KEY", "unused-own-cred-0004")
            .run()
            .await;
        out.code(3)
            .stderr_has("HTTP 401")
            .stderr_has("the credential of profile 'x' (env X_KEY)");
        assert!(!out.stderr.contains(old), "{args:?}: {}", out.stderr);
    }

    // auth status shows the same hint in its detail.
    let out = sb
        .keyctl(&["auth", "status", "-P", "x"])
        .env("X_KEY", SECRET)
        .run()
        .await;
    out.code(3)
        .stdout_has("rejected")
        .stdout_has("the credential of profile 'x' (env X_KEY)");
    assert!(!out.stdout.contains(old), "{}", out.stdout);

    let out = sb.keyctl(&["list", "-P", "c"]).run().await;
    out.code(3).stderr_has(&format!(
        "the credential of profile 'c' (command cat {})",
        key_file.display()
    ));
    assert!(!out.stderr.contains(old), "{}", out.stderr);

    // Venice's own hint wording is rewritten too.
    let out = sb
        .keyctl(&["list", "-P", "v"])
        .env("V_KEY", SECRET)
        .run()
        .await;
    out.code(3)
        .stderr_has("the credential of profile 'v' (env V_KEY)");
    assert!(
        !out.stderr
            .contains("VENICE_ADMIN_KEY (or the --api-key-file)"),
        "{}",
        out.stderr
    );

    // Without a profile: the provider's variable, as before.
    let out = Keyctl::new("MODELGATES_MANAGEMENT_KEY", &["list", "-p", "modelgates"])
        .base(&s)
        .env("KEYCTL_CONFIG", sb.config_path().to_str().unwrap())
        .env("XDG_STATE_HOME", sb.path().join("state").to_str().unwrap())
        .run()
        .await;
    out.code(3).stderr_has(&format!("check {old}"));
    assert!(!out.stderr.contains("profile"), "{}", out.stderr);
}
