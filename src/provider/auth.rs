//! The credential check of `keyctl auth status`: one cheap read that proves the credential
//! can manage keys, which each adapter builds and reads ([`super::Adapter::build_auth_check`],
//! [`super::Adapter::read_auth_check`]):
//!
//! - OpenRouter's API (ModelGates, novapai, OpenRouter, and custom providers of that API):
//!   `GET /api/v1/key`, which any key may call; its `data.is_management_key` says whether the
//!   key can manage keys (the deprecated `data.is_provisioning_key`, when true, counts too).
//! - Venice's: `GET /api/v1/api_keys` (the key list), which answers only an ADMIN key.
//! - io.net's: `GET /v1/api-keys/sub-keys` (the sub-key list), which answers only the admin key.
//!
//! Pure: [`build`] makes the request, [`parse`] reads a 2xx answer's body. A non-2xx answer is
//! the adapter's error as for any other request (rejected, not found, ...).

use serde_json::Value;

use super::{BaseUrl, ProviderKind};
use crate::error::Result;
use crate::request::Request;

/// The most characters of a body a message quotes.
const QUOTE: usize = 100;

/// The request of the provider's adapter: the list request for Venice and io.net (exactly
/// `GET /api/v1/api_keys` and `GET /v1/api-keys/sub-keys`), `GET /api/v1/key` for OpenRouter's
/// API; the auth scheme is the provider's own.
pub fn build(p: ProviderKind, base: &BaseUrl) -> Result<Request> {
    p.adapter().build_auth_check(p.info(), base)
}

/// A 2xx answer's body: `Ok(detail)` when it proves the credential manages keys ("management
/// key", "12 keys listed"), `Err(reason)` when it proves it cannot (an OpenRouter-style key
/// whose `is_management_key` is false or absent, and `is_provisioning_key` not true), or when
/// the body is not what the provider documents (saying what was wrong, quoting at most 100
/// characters of it, sanitized).
pub fn parse(p: ProviderKind, body: &[u8]) -> std::result::Result<String, Denied> {
    let v = json_of(body).map_err(Denied::Unreadable)?;
    match p
        .adapter()
        .read_auth_check(&v, body)
        .map_err(Denied::Unreadable)?
    {
        Some(detail) => Ok(detail),
        None => Err(Denied::NotManagement(not_management(p))),
    }
}

/// Why a 2xx answer does not prove the credential manages keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The answer says the key cannot manage keys (an inference key): a rejected credential.
    NotManagement(String),
    /// The answer is not what the provider documents: a provider failure.
    Unreadable(String),
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Denied::NotManagement(m) | Denied::Unreadable(m) => f.write_str(m),
        }
    }
}

/// The body as JSON, or why it is not.
fn json_of(body: &[u8]) -> std::result::Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the answer is empty, where a JSON object was expected".into());
    }
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "cut short",
            serde_json::error::Category::Syntax => "a syntax error",
            serde_json::error::Category::Data | serde_json::error::Category::Io => "unreadable",
        };
        format!("the answer is not valid JSON ({what}): {}", quote(body))
    })
}

/// The refusal for a key that is not a management key, naming where to put one.
fn not_management(p: ProviderKind) -> String {
    let i = p.info();
    let into = if i.credential_env.is_empty() {
        String::new()
    } else {
        format!(" and put it in {}", i.credential_env)
    };
    format!(
        "this is not a management key: create one under Settings → Management keys on {}{into} \
         (an inference key cannot manage keys)",
        i.name
    )
}

/// A list answer `{"data": [...]}`: "N keys listed".
pub(super) fn listed(v: &Value, body: &[u8]) -> std::result::Result<Option<String>, String> {
    match v.get("data").and_then(Value::as_array) {
        Some(a) if a.len() == 1 => Ok(Some("1 key listed".into())),
        Some(a) => Ok(Some(format!("{} keys listed", a.len()))),
        None => Err(format!(
            "the answer has no `data` list (expected the key list): {}",
            quote(body)
        )),
    }
}

/// At most [`QUOTE`] characters of the body, sanitized (credential masked, controls stripped),
/// white space collapsed; a cut is marked by the last of them, `…`.
pub(super) fn quote(body: &[u8]) -> String {
    let text = crate::text::sanitize(&String::from_utf8_lossy(body));
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::visible::cut(&collapsed, QUOTE - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::all;
    use crate::request::Method;

    fn base(p: ProviderKind) -> BaseUrl {
        BaseUrl::parse(p.info().base_url).unwrap()
    }

    fn ok(p: ProviderKind, body: &str) -> String {
        parse(p, body.as_bytes()).unwrap()
    }

    fn err(p: ProviderKind, body: &str) -> String {
        parse(p, body.as_bytes()).unwrap_err().to_string()
    }

    const GATES: [ProviderKind; 3] = [
        ProviderKind::ModelGates,
        ProviderKind::Novapai,
        ProviderKind::OpenRouter,
    ];

    /// LIFECYCLE.md 3.5's current-key answer, with the two flags given.
    fn current_key(management: &str, provisioning: &str) -> String {
        format!(
            r#"{{"data":{{"label":"sk-or-v1-abc...xyz","limit":null,"usage":0.5,"usage_daily":0,
            "usage_weekly":0,"usage_monthly":0.5,"byok_usage":0,"is_free_tier":false,
            {management}{provisioning}"limit_remaining":null,"limit_reset":null,
            "include_byok_in_limit":false,
            "rate_limit":{{"requests":-1,"interval":"10s","note":"deprecated"}},"expires_at":null}}}}"#
        )
    }

    #[test]
    fn build_for_every_builtin_provider() {
        let want = [
            (
                ProviderKind::Ionet,
                "https://api.intelligence.io.solutions/v1/api-keys/sub-keys",
                "x-api-key",
            ),
            (
                ProviderKind::ModelGates,
                "https://modelgates.ai/api/v1/key",
                "authorization",
            ),
            (
                ProviderKind::Novapai,
                "https://novapai.ai/api/v1/key",
                "authorization",
            ),
            (
                ProviderKind::OpenRouter,
                "https://openrouter.ai/api/v1/key",
                "authorization",
            ),
            (
                ProviderKind::Venice,
                "https://api.venice.ai/api/v1/api_keys",
                "authorization",
            ),
        ];
        assert_eq!(all().len(), want.len());
        for &p in all() {
            let (_, url, header) = want.iter().find(|w| w.0 == p).unwrap();
            let r = build(p, &base(p)).unwrap();
            assert_eq!(r.method, Method::Get, "{p:?}");
            assert_eq!(r.url, *url, "{p:?}");
            assert_eq!(r.body, None, "{p:?}");
            assert_eq!(r.key, None, "{p:?}");
            assert_eq!(r.redacted_headers()[0].0, *header, "{p:?}");
            assert_eq!(r.auth, p.info().auth, "{p:?}");
        }
    }

    #[test]
    fn build_reuses_the_list_request_and_keeps_a_path_prefix() {
        for p in [ProviderKind::Ionet, ProviderKind::Venice] {
            assert_eq!(
                build(p, &base(p)).unwrap(),
                p.build_list(&base(p), 0, false).unwrap()
            );
        }
        let proxy = BaseUrl::parse("http://127.0.0.1:8080/proxy/").unwrap();
        assert_eq!(
            build(ProviderKind::Novapai, &proxy).unwrap().url,
            "http://127.0.0.1:8080/proxy/api/v1/key"
        );
    }

    #[test]
    fn openrouter_family_management_key() {
        for p in GATES {
            let body = current_key(
                r#""is_management_key":true,"#,
                r#""is_provisioning_key":false,"#,
            );
            assert_eq!(ok(p, &body), "management key");
        }
    }

    #[test]
    fn openrouter_family_not_a_management_key() {
        for p in GATES {
            for body in [
                current_key(
                    r#""is_management_key":false,"#,
                    r#""is_provisioning_key":false,"#,
                ),
                current_key("", ""),
                current_key(r#""is_management_key":null,"#, ""),
            ] {
                let e = err(p, &body);
                assert!(
                    e.starts_with(
                        "this is not a management key: create one under Settings → Management keys"
                    ),
                    "{e}"
                );
                assert!(
                    e.contains(p.info().name) && e.contains(p.info().credential_env),
                    "{e}"
                );
            }
        }
    }

    #[test]
    fn openrouter_family_deprecated_provisioning_flag() {
        let p = ProviderKind::OpenRouter;
        let body = current_key(
            r#""is_management_key":false,"#,
            r#""is_provisioning_key":true,"#,
        );
        assert!(ok(p, &body).contains("deprecated is_provisioning_key"));
        let body = current_key("", r#""is_provisioning_key":true,"#);
        assert!(ok(p, &body).starts_with("management key"));
        let body = current_key(
            r#""is_management_key":true,"#,
            r#""is_provisioning_key":false,"#,
        );
        assert_eq!(ok(p, &body), "management key");
    }

    #[test]
    fn openrouter_family_wrong_shapes() {
        let p = ProviderKind::ModelGates;
        let e = err(p, r#"{"data":{"is_management_key":"yes"}}"#);
        assert!(e.contains("`data.is_management_key` is a string"), "{e}");
        let e = err(
            p,
            r#"{"data":{"is_management_key":false,"is_provisioning_key":1}}"#,
        );
        assert!(e.contains("is_provisioning_key"), "{e}");
        for body in [
            r#"{"key":{}}"#,
            r#"{"data":[]}"#,
            r#"{"data":null}"#,
            "[]",
            "true",
        ] {
            let e = err(p, body);
            assert!(e.contains("no `data` object"), "{body}: {e}");
        }
    }

    #[test]
    fn venice_lists_prove_an_admin_key() {
        let p = ProviderKind::Venice;
        let body = r#"{"object":"list","data":[{"id":"e28e82dc-9df2-4b47-b726-d0a222ef2ab5",
            "apiKeyType":"ADMIN","description":"ops","createdAt":"2026-01-01T00:00:00.000Z",
            "expiresAt":null,"lastUsedAt":null,"last6Chars":"2ab5",
            "consumptionLimits":{"usd":50,"diem":10,"vcu":null},"limitPeriod":"MONTH",
            "modelPrivacy":"ALL","usage":{"trailingSevenDays":{"usd":"10.2424","vcu":"0","diem":"0"}}},
            {"id":"b","apiKeyType":"INFERENCE"}]}"#;
        assert_eq!(ok(p, body), "2 keys listed");
        assert_eq!(
            ok(p, r#"{"object":"list","data":[{"id":"a"}]}"#),
            "1 key listed"
        );
        assert_eq!(ok(p, r#"{"object":"list","data":[]}"#), "0 keys listed");
        for body in [r#"{"object":"list"}"#, r#"{"data":{}}"#, r#"{"error":"x"}"#] {
            assert!(err(p, body).contains("no `data` list"), "{body}");
        }
    }

    #[test]
    fn ionet_sub_key_list_proves_the_admin_key() {
        let p = ProviderKind::Ionet;
        let body = r#"{"status":"succeeded","data":[{"id":"3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23",
            "description":"ci","display":"io-v2-eyJh...c0eQ","created_at":"2026-01-01T00:00:00",
            "expires_at":null,"expired":false,"allowed_models":null,"credit_limit":10.0,
            "credit_used":4,"credit_refresh_cycle":"monthly"}]}"#;
        assert_eq!(ok(p, body), "1 key listed");
        assert_eq!(ok(p, r#"{"data":[]}"#), "0 keys listed");
        let e = err(p, r#"{"status":"failed","data":[]}"#);
        assert!(e.contains("`status`") && e.contains("failed"), "{e}");
        assert!(err(p, r#"{"status":"succeeded"}"#).contains("no `data` list"));
        assert!(err(p, r#"{"status":"succeeded","data":{"keys":[]}}"#).contains("no `data` list"));
    }

    #[test]
    fn malformed_and_empty_bodies() {
        for &p in all() {
            for empty in ["", "  \n"] {
                assert!(err(p, empty).contains("empty"), "{p:?}");
            }
            let e = err(p, r#"{"data":"#);
            assert!(e.contains("not valid JSON (cut short)"), "{p:?}: {e}");
            let e = err(p, "<html><body>Bad gateway</body></html>");
            assert!(e.contains("not valid JSON (a syntax error)"), "{p:?}: {e}");
            assert!(e.contains("Bad gateway"), "{e}");
        }
    }

    #[test]
    fn at_most_100_characters_of_a_body_are_quoted() {
        let long = format!("{{\"data\": 1, \"pad\": \"{}\"}}", "x".repeat(5000));
        for &p in all() {
            let e = err(p, &long);
            let quoted = e.split_once(": ").map(|(_, q)| q).unwrap_or("");
            assert!(
                quoted.chars().count() <= 100,
                "{p:?}: {}",
                quoted.chars().count()
            );
            assert!(quoted.ends_with('…'), "{quoted}");
        }
        let junk = format!("not json \u{1b}[31m{}", "y".repeat(500));
        let e = err(ProviderKind::Venice, &junk);
        assert!(!e.contains('\u{1b}'));
        assert!(e.chars().count() < 160, "{e}");
        assert!(quote(b"").is_empty());
        assert_eq!(quote(b"short  body\n"), "short body");
    }

    #[test]
    fn not_management_and_unreadable_are_told_apart() {
        let p = ProviderKind::ModelGates;
        let no = parse(p, br#"{"data":{"is_management_key":false}}"#);
        assert!(matches!(no, Err(Denied::NotManagement(_))), "{no:?}");
        for body in [
            &b"<html>maintenance</html>"[..],
            b"{}",
            br#"{"data":{"is_management_key":"yes"}}"#,
        ] {
            let r = parse(p, body);
            assert!(matches!(r, Err(Denied::Unreadable(_))), "{r:?}");
        }
        let r = parse(ProviderKind::Venice, br#"{"object":"list"}"#);
        assert!(matches!(r, Err(Denied::Unreadable(_))), "{r:?}");
        let r = parse(ProviderKind::Ionet, br#"{"status":"failed","data":[]}"#);
        assert!(matches!(r, Err(Denied::Unreadable(_))), "{r:?}");
    }
}
