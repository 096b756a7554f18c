//! Provider answers to revoke and rotate that only look like success or "not found" are not
//! taken for them: Venice 400s about something else, io.net's delete answered `failed`, an
//! io.net listing that writes the id in upper case.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{Keyctl, server};

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn venice_400s_that_are_not_about_the_key_are_not_not_found() {
    let id = "e28e82dc-9df2-4b47-b726-d0a222ef2ab5";
    for (msg, code) in [
        ("Route not found", 5),
        ("Organization not found for this admin key", 5),
        ("API key could not be found", 4),
    ] {
        let server = server().await;
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/api_keys/{id}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": {"id": id, "description": "ci"}})),
            )
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": msg})))
            .mount(&server)
            .await;
        Keyctl::new("VENICE_ADMIN_KEY", &["revoke", "-p", "venice", id, "--yes"])
            .base(&server)
            .run()
            .await
            .code(code);
    }
}

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn an_ionet_delete_answered_failed_is_not_revoked() {
    let id = "3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23";
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/api-keys/sub-keys/{id}/usage")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "succeeded", "data": {"credit_used": 1, "credit_limit": 5}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "succeeded", "data": [{"id": id, "description": "ci"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "failed"})))
        .mount(&server)
        .await;
    Keyctl::new("IONET_ADMIN_KEY", &["revoke", "-p", "ionet", id, "--yes"])
        .base(&server)
        .run()
        .await
        .code(7)
        .stderr_has("not 'succeeded'");
}

/// Found by the attack review of create, revoke and rotate.
#[tokio::test]
async fn an_ionet_list_writing_the_id_in_upper_case_still_completes_the_read() {
    let id = "aaaaaaaa-1111-1111-1111-111111111111";
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/api-keys/sub-keys/{id}/usage")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "succeeded", "data": {"credit_used": 1, "credit_limit": 5,
                                                   "credit_refresh_cycle": "daily"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/api-keys/sub-keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "succeeded",
            "data": [{"id": id.to_ascii_uppercase(), "description": "io-a",
                      "allowed_models": ["llama-3"], "expires_at": "2027-08-20T00:00:00"}]})),
        )
        .mount(&server)
        .await;
    let out = Keyctl::new(
        "IONET_ADMIN_KEY",
        &["rotate", "-p", "ionet", id, "--dry-run"],
    )
    .base(&server)
    .args(&["-o", "json"])
    .run()
    .await;
    out.code(0);
    let l: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let body = &l["request"]["body"];
    assert_eq!(body["allowed_models"], json!(["llama-3"]), "{body}");
    assert_eq!(body["expires_at"], "2027-08-20T00:00:00Z", "{body}");
    // The successor keeps the old key's name (issue 21).
    assert_eq!(body["description"], "io-a", "{body}");
}
