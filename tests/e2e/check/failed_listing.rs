//! `check` of an io.net key list with a failed status is an error (exit 7), not all clear.

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::home::Home;
use crate::common::request_log::paths;
use crate::common::{IONET_KEY, Keyctl, SECRET, server};

/// Found by the attack review of profiles.
#[tokio::test]
async fn ionet_check_of_a_list_with_a_failed_status_is_exit_7_not_all_clear() {
    for (status, code) in [("failed", 7), ("succeeded", 0)] {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/v1/api-keys/sub-keys"))
            .and(header("x-api-key", SECRET))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"status": status, "data": []})),
            )
            .mount(&s)
            .await;
        let sb = Home::new();
        let mut k = Keyctl::new(
            "IONET_ADMIN_KEY",
            &[
                "check",
                "-p",
                "ionet",
                "--expiring-within",
                "7d",
                "--retries",
                "0",
            ],
        )
        .base(&s);
        for (n, v) in sb.env_without_config() {
            k = k.env(&n, &v);
        }
        let out = k.run().await;
        out.code(code);
        if code == 7 {
            out.stderr_has("io.net")
                .stderr_has("the key list was answered with status")
                .stderr_has("\"failed\"")
                .stderr_has("not \"succeeded\"");
        } else {
            assert_eq!(out.stderr, "", "{status}");
        }
        assert!(!out.stdout.contains(IONET_KEY), "{}", out.stdout);
        assert_eq!(paths(&s).await, ["/v1/api-keys/sub-keys"], "{status}");
    }
}
