//! Which profile a run uses: `default_profile` yields to `-p`/KEYCTL_PROVIDER, an explicit
//! KEYCTL_PROFILE with `-p` of its provider is used, and `--all` refuses a base-URL variable
//! that would redirect the profiles.

use crate::common::home::Home;
use crate::common::profile_servers::{gates_server, mount_venice, nothing_sent, srv, take};
use crate::common::{GATES_KEY, Keyctl, SECRET};

const VEN_DEFAULT: &str = r#"
default_profile = "ven"

[profiles.ven]
provider = "venice"
credential_env = "PV_KEY"
base_url = "{U}/pv"
"#;

/// Both credentials set, with the base URL variable pointing at `/ev` on the server: the path
/// and the header show which of profile or provider was used.
fn venice_run(sb: &Home, args: &[&str]) -> Keyctl {
    sb.keyctl(args)
        .env("PV_KEY", "pv-profile-cred-0001")
        .env("VENICE_ADMIN_KEY", "ve-own-cred-0002")
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn default_profile_is_not_used_when_p_or_keyctl_provider_names_a_provider() {
    let s = srv().await;
    mount_venice(&s, "/pv").await;
    mount_venice(&s, "/ev").await;
    let sb = Home::new();
    sb.config(&VEN_DEFAULT.replace("{U}", &s.uri()));
    let ev = format!("{}/ev", s.uri());

    // Nothing named: the default profile (its variable, its base URL).
    venice_run(&sb, &["list"]).run().await.code(0);
    assert_eq!(
        take(&s).await,
        [(
            "GET /pv/api/v1/api_keys".to_string(),
            Some("Bearer pv-profile-cred-0001".to_string())
        )]
    );

    // `-p venice`: the same provider as the default profile, yet the provider's own variable.
    venice_run(&sb, &["list", "-p", "venice"])
        .env("KEYCTL_VENICE_BASE_URL", &ev)
        .run()
        .await
        .code(0);
    assert_eq!(
        take(&s).await,
        [(
            "GET /ev/api/v1/api_keys".to_string(),
            Some("Bearer ve-own-cred-0002".to_string())
        )]
    );

    // KEYCTL_PROVIDER=venice: the same.
    venice_run(&sb, &["list"])
        .env("KEYCTL_PROVIDER", "venice")
        .env("KEYCTL_VENICE_BASE_URL", &ev)
        .run()
        .await
        .code(0);
    assert_eq!(
        take(&s).await,
        [(
            "GET /ev/api/v1/api_keys".to_string(),
            Some("Bearer ve-own-cred-0002".to_string())
        )]
    );

    // `-p venice` without VENICE_ADMIN_KEY: the default profile's credential is not borrowed.
    let out = sb
        .keyctl(&["list", "-p", "venice"])
        .env("PV_KEY", "pv-profile-cred-0001")
        .env("KEYCTL_VENICE_BASE_URL", &ev)
        .run()
        .await;
    out.code(3).stderr_has("VENICE_ADMIN_KEY");
    nothing_sent(&s, "-p venice without its variable").await;
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn an_explicit_keyctl_profile_with_p_of_the_same_provider_uses_the_profile() {
    let s = srv().await;
    mount_venice(&s, "/pv").await;
    let sb = Home::new();
    // No default_profile here: KEYCTL_PROFILE names the profile explicitly.
    sb.config(&VEN_DEFAULT.replace("{U}", &s.uri()).replace(
        "default_profile = \"ven\"",
        "default_profile = \"other\"\n[profiles.other]\nprovider = \"modelgates\"\n\
         credential_env = \"PG_KEY\"\n",
    ));
    venice_run(&sb, &["list", "-p", "venice"])
        .env("KEYCTL_PROFILE", "ven")
        .run()
        .await
        .code(0);
    assert_eq!(
        take(&s).await,
        [(
            "GET /pv/api/v1/api_keys".to_string(),
            Some("Bearer pv-profile-cred-0001".to_string())
        )]
    );
    // The same with KEYCTL_PROVIDER.
    venice_run(&sb, &["list"])
        .env("KEYCTL_PROFILE", "ven")
        .env("KEYCTL_PROVIDER", "venice")
        .run()
        .await
        .code(0);
    assert_eq!(
        take(&s).await,
        [(
            "GET /pv/api/v1/api_keys".to_string(),
            Some("Bearer pv-profile-cred-0001".to_string())
        )]
    );
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn all_with_a_profiles_base_url_variable_set_is_exit_2_and_sends_nothing() {
    let ven = srv().await;
    mount_venice(&ven, "").await;
    let mg = gates_server("").await;
    let elsewhere = srv().await;
    let sb = Home::new();
    sb.config(&format!(
        r#"
[profiles.v]
provider = "venice"
credential_env = "V_KEY"
base_url = "{}"

[profiles.g]
provider = "modelgates"
credential_env = "G_KEY"
base_url = "{}"
"#,
        ven.uri(),
        mg.uri()
    ));
    let run = |args: &[&str]| {
        sb.keyctl(args)
            .env("V_KEY", SECRET)
            .env("G_KEY", "sk-second-cred-0005")
    };
    for args in [
        vec!["auth", "status", "--all"],
        vec!["check", "--all", "--usage-over", "80%"],
    ] {
        let out = run(&args)
            .env("KEYCTL_VENICE_BASE_URL", &elsewhere.uri())
            .run()
            .await;
        out.code(2)
            .stderr_has("--all")
            .stderr_has("KEYCTL_VENICE_BASE_URL");
        assert_eq!(out.stdout, "", "{args:?}");
        for (s, what) in [
            (&ven, "venice"),
            (&mg, "modelgates"),
            (&elsewhere, "the variable's"),
        ] {
            nothing_sent(s, &format!("{args:?}: {what} server")).await;
        }
    }

    // The variable of a provider no profile uses: the run goes ahead.
    let out = run(&["auth", "status", "--all"])
        .env("KEYCTL_IONET_BASE_URL", &elsewhere.uri())
        .run()
        .await;
    out.code(0);
    assert!(out.stdout.contains("v\tvenice\tok"), "{}", out.stdout);
    assert!(out.stdout.contains("g\tmodelgates\tok"), "{}", out.stdout);
    assert_eq!(take(&ven).await.len(), 1);
    assert_eq!(
        take(&mg).await,
        [(
            "GET /api/v1/key".to_string(),
            Some("Bearer sk-second-cred-0005".to_string())
        )]
    );
    nothing_sent(&elsewhere, "KEYCTL_IONET_BASE_URL").await;

    // `--all -p modelgates` covers only the ModelGates profile: the Venice variable is harmless.
    let out = run(&["check", "--all", "-p", "modelgates", "--usage-over", "80%"])
        .env("KEYCTL_VENICE_BASE_URL", &elsewhere.uri())
        .run()
        .await;
    out.code(9);
    assert!(out.stdout.contains(GATES_KEY), "{}", out.stdout);
    nothing_sent(&ven, "--all -p modelgates: venice").await;
    nothing_sent(&elsewhere, "--all -p modelgates: the variable's").await;
}
