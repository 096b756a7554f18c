//! `check`'s warnings and help: `--disabled` warns that Venice keys have no disabled state,
//! the crontab example of `check --help` escapes its percent.

use crate::common::home::Home;
use crate::common::profile_servers::{mount_gates, mount_venice, srv, take};
use crate::common::{Keyctl, SECRET};

/// Found by the operator review of profiles.
#[tokio::test]
async fn check_disabled_warns_that_venice_keys_have_no_disabled_state() {
    let s = srv().await;
    mount_venice(&s, "/v").await;
    mount_gates(&s, "/g").await;
    let sb = Home::new();
    sb.config(&format!(
        r#"
[profiles.ven]
provider = "venice"
credential_env = "V_KEY"
base_url = "{u}/v"

[profiles.mg]
provider = "modelgates"
credential_env = "G_KEY"
base_url = "{u}/g"
"#,
        u = s.uri()
    ));
    let run = |args: &[&str]| sb.keyctl(args).env("V_KEY", SECRET).env("G_KEY", SECRET);

    let out = run(&["check", "-P", "ven", "--disabled"]).run().await;
    out.code(0).stderr_has(
        "warning: profile ven: Venice keys have no disabled state: --disabled matches none of them",
    );
    assert_eq!(
        out.stdout,
        "profile\tprovider\tid\tname\treasons\texpires\tusage\tlimit\n"
    );
    assert_eq!(take(&s).await.len(), 1);

    // Without a profile: the same warning, without the profile's name.
    let out = Keyctl::new("VENICE_ADMIN_KEY", &["check", "-p", "venice", "--disabled"])
        .arg("--base-url")
        .arg(&format!("{}/v", s.uri()))
        .env("KEYCTL_CONFIG", sb.config_path().to_str().unwrap())
        .env("XDG_STATE_HOME", sb.path().join("state").to_str().unwrap())
        .run()
        .await;
    out.code(0)
        .stderr_has("warning: Venice keys have no disabled state");
    take(&s).await;

    // ModelGates has a disabled state: no warning (none of its keys is disabled: exit 0).
    let out = run(&["check", "-P", "mg", "--disabled"]).run().await;
    out.code(0);
    assert_eq!(out.stderr, "");
    let got = take(&s).await;
    assert_eq!(got.len(), 1, "{got:?}");

    // --all: the warning for the Venice profile only.
    let out = run(&["check", "--all", "--disabled"]).run().await;
    out.code(0).stderr_has("profile ven: Venice keys");
    assert!(!out.stderr.contains("profile mg"), "{}", out.stderr);
    assert_eq!(out.stderr.matches("warning:").count(), 1, "{}", out.stderr);
}

/// Found by the operator review of profiles.
#[tokio::test]
async fn check_help_escapes_the_percent_of_its_crontab_example() {
    let out = Keyctl::bare(&["check", "--help"]).run().await;
    out.code(0);
    let cron = out
        .stdout
        .lines()
        .find(|l| l.contains("* * *") && l.contains("keyctl check"))
        .unwrap_or_else(|| panic!("no crontab line:\n{}", out.stdout));
    assert!(cron.contains("--usage-over 90\\%"), "{cron}");
    assert!(!cron.contains("90% "), "{cron}");
}
