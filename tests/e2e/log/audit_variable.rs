//! An unusable KEYCTL_AUDIT stops only real writes (dry runs and reads go on).

use crate::common::home::Home;
use crate::common::profile_servers::{assert_tsv, gates_server, nothing_sent, take};
use crate::common::{GATES_KEY, SECRET};

/// Found by the operator review of profiles.
#[tokio::test]
async fn an_unusable_keyctl_audit_blocks_only_real_writes() {
    let s = gates_server("").await;
    let sb = Home::new();
    sb.config("");
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-p", "modelgates", "--base-url"]);
        let uri = s.uri();
        sb.keyctl(&all)
            .arg(&uri)
            .env("MODELGATES_MANAGEMENT_KEY", SECRET)
            .env("KEYCTL_AUDIT", "maybe")
    };
    for (args, code) in [
        (vec!["list"], 0),
        (vec!["get", GATES_KEY], 0),
        (vec!["check", "--usage-over", "80%"], 9),
        (vec!["auth", "status"], 0),
        (vec!["update", GATES_KEY, "--limit", "60", "--dry-run"], 0),
    ] {
        let out = run(&args).run().await;
        out.code(code);
        assert!(
            !out.stderr.contains("KEYCTL_AUDIT"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!take(&s).await.is_empty(), "{args:?} sent nothing");
    }
    let out = sb
        .keyctl(&["providers"])
        .env("KEYCTL_AUDIT", "maybe")
        .run()
        .await;
    out.code(0);
    assert_tsv(&out, "provider", "providers with KEYCTL_AUDIT=maybe");

    let out = run(&["update", GATES_KEY, "--limit", "60"]).run().await;
    out.code(2).stderr_has("KEYCTL_AUDIT");
    assert_eq!(out.stdout, "");
    nothing_sent(&s, "update with KEYCTL_AUDIT=maybe").await;
    assert!(!sb.trail().exists());
}
