//! Config files refused: values that look like keys (never printed back), duplicate custom
//! provider ids, an http base URL that looks like a key.

use crate::common::gates_profiles::{ENV, KEY, assert_hidden};
use crate::common::home::Home;
use crate::common::request_log::paths;
use crate::common::server;

/// Found by the attack review of profiles.
#[tokio::test]
async fn config_values_that_look_like_keys_are_refused_and_never_printed() {
    let ok = "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\n";
    let cases = [
        (
            format!("default_profile = '{KEY}'\n{ok}"),
            ":1: default_profile: no profile named '(the value given, not shown: it looks like \
             a key)'",
        ),
        (
            format!("[profiles.a]\nprovider = '{KEY}'\ncredential_env = 'X'\n"),
            ":2: profiles.a.provider: no provider '(the value given, not shown: it looks like a \
             key)'",
        ),
        (
            format!("'{KEY}' = 1\n"),
            ":1: (the value given, not shown: it looks like a key): unknown key",
        ),
        (
            format!("{ok}timeout = '{KEY}'\n"),
            ":4: profiles.a.timeout: not a duration more than zero",
        ),
        (
            format!("[profiles.'{KEY}']\nprovider = 'venice'\ncredential_env = 'X'\n"),
            "[profiles.(the value given, not shown: it looks like a key)]: a name that looks \
             like a key is refused",
        ),
        (
            format!("[profiles.a]\nprovider = 'venice'\ncredential_file = '/run/keys/{KEY}'\n"),
            ":3: profiles.a.credential_file: this looks like a key, not a file's path",
        ),
        (
            format!("[profiles.a]\nprovider = 'venice'\ncredential_command = ['echo', '{KEY}']\n"),
            ":3: profiles.a.credential_command: an argument looks like a key",
        ),
    ];
    let s = server().await;
    for (text, want) in cases {
        let sb = Home::new();
        sb.config(&text);
        for args in [
            &["auth", "status"][..],
            &["providers"],
            &["list", "-p", "venice"],
        ] {
            let out = sb
                .keyctl_with(ENV, args)
                .arg("--base-url")
                .arg(&s.uri())
                .run()
                .await;
            out.code(2).stderr_has(want);
            assert_hidden(&out, KEY, &text);
        }
    }
    assert!(paths(&s).await.is_empty(), "nothing is sent");
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn duplicate_custom_provider_ids_are_refused() {
    for (a, b) in [("ACME", "acme"), ("a-b", "a_b"), ("a.b", "a-b")] {
        let sb = Home::new();
        sb.config(&format!(
            "[providers.'{a}']\napi = 'openrouter'\nbase_url = 'https://x.example'\n\
             credential_env = 'X'\n\n[providers.'{b}']\napi = 'openrouter'\n\
             base_url = 'https://y.example'\ncredential_env = 'Y'\n"
        ));
        for args in [&["providers"][..], &["list", "-p", b]] {
            let out = sb.keyctl_with(ENV, args).run().await;
            out.code(2)
                // Ids are lower-cased: `[providers.ACME]` is named `acme`.
                .stderr_has(&format!(
                    ":6: providers.{}: the same provider as [providers.{}]",
                    b.to_ascii_lowercase(),
                    a.to_ascii_lowercase()
                ))
                .stderr_has("rename one");
        }
    }
}

/// Found by the attack review of profiles.
#[tokio::test]
async fn a_refused_http_base_url_that_looks_like_a_key_is_not_printed() {
    let sb = Home::new();
    sb.config(&format!(
        "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\nbase_url = 'http://{KEY}.example'\n"
    ));
    let out = sb.keyctl_with(ENV, &["auth", "status"]).run().await;
    out.code(2).stderr_has("profiles.a.base_url");
    assert_hidden(&out, KEY, "base_url");
}
