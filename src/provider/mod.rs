//! The providers keyctl speaks to: the registry of their rows ([`registry`]), the [`Adapter`]
//! each provider file implements, reading their answers ([`read`]), base URLs ([`url`]) and key
//! ids ([`key_id`]); and here, the calls every request goes through. A [`ProviderKind`] is the
//! one value handed out: [`ProviderKind::info`] its row, [`ProviderKind::adapter`] its request
//! mapping, and the checked calls below, which add the steps no adapter may skip (a pasted
//! secret refused as an id, a workspace refused where there are none, the id kept, the secret
//! scrubbed from a created key, an error body made safe to quote). Nothing here does I/O or
//! prints: adapters build and read plain [`Request`]s.

pub mod adapter;
pub mod auth;
pub mod gates;
pub mod ionet;
pub mod key_id;
pub mod read;
pub mod registry;
pub mod url;
pub mod venice;

use std::borrow::Cow;

use serde_json::Value;

pub use adapter::{Adapter, Created};
pub use key_id::{check_path_key, refuse_secret_id, secret_shaped};
pub use read::{Page, quotable, quote};
pub use registry::{Api, CustomRow, Info, ProviderKind, all, configured, find, register_custom};
pub use url::{BaseUrl, Workspace, display_url};

use crate::error::{Error, Result};
use crate::key::{Key, Known};
use crate::newkey::NewKey;
use crate::patch::Patch;
use crate::request::{Request, Response};
use key_id::with_id;

/// The checked calls into a provider's adapter.
impl ProviderKind {
    /// The update request for one key (a secret given as the id is refused).
    pub fn build_update(self, base: &BaseUrl, key: &str, patch: &Patch) -> Result<Request> {
        let i = self.info();
        refuse_secret_id(i, key)?;
        i.adapter()
            .build_update(i, base, key, patch)
            .map(|r| r.about(key))
    }

    /// The key an update answered with (its id is the one asked for when the answer has none).
    pub fn parse_update(self, key: &str, sent: &Value, body: &[u8]) -> Result<Key> {
        let i = self.info();
        i.adapter()
            .parse_update(i, key, sent, body)
            .map(|k| with_id(k, key))
    }

    /// The single-key read (a secret given as the id is refused).
    pub fn build_get(self, base: &BaseUrl, key: &str) -> Result<Request> {
        let i = self.info();
        refuse_secret_id(i, key)?;
        i.adapter().build_get(i, base, key).map(|r| r.about(key))
    }

    /// The key a read answered with (its id is the one asked for when the answer has none).
    pub fn parse_get(self, key: &str, body: &[u8]) -> Result<Key> {
        let i = self.info();
        i.adapter().parse_get(i, key, body).map(|k| with_id(k, key))
    }

    /// One page of the key list (a workspace refused where the provider has none).
    pub fn build_list(self, base: &BaseUrl, offset: usize, disabled: bool) -> Result<Request> {
        let i = self.info();
        no_workspace_unless_supported(i, base)?;
        i.adapter().build_list(i, base, offset, disabled)
    }

    /// The create request (a workspace refused where the provider has none).
    pub fn build_create(self, base: &BaseUrl, new: &NewKey) -> Result<Request> {
        let i = self.info();
        no_workspace_unless_supported(i, base)?;
        i.adapter().build_create(i, base, new)
    }

    /// The created key and its secret; the secret is scrubbed from the key's `raw`.
    pub fn parse_create(self, body: &[u8]) -> Result<Created> {
        let i = self.info();
        let mut c = i.adapter().parse_create(i, body)?;
        if let Some(s) = &c.secret {
            read::scrub(&mut c.key.raw, s);
            // A provider that echoes the secret as the name (or anywhere else keyctl shows) does
            // not get it shown a second time.
            let hide = |t: &mut String| {
                if t.contains(s.as_str()) {
                    *t = crate::request::REDACTED.into();
                }
            };
            hide(&mut c.key.id);
            if let Known::Value(n) = &mut c.key.name {
                hide(n);
            }
            if let Known::Value(m) = &mut c.key.models {
                m.iter_mut().for_each(hide);
            }
        }
        Ok(c)
    }

    /// The delete (revoke) request for one key (a secret given as the id is refused).
    pub fn build_delete(self, base: &BaseUrl, key: &str) -> Result<Request> {
        let i = self.info();
        refuse_secret_id(i, key)?;
        i.adapter().build_delete(i, base, key).map(|r| r.about(key))
    }

    /// The error for a non-2xx answer. The adapter reads the body only as [`quotable`] leaves
    /// it: no field that may hold a key's secret, no key-shaped token.
    pub fn error_for(self, resp: &Response) -> Error {
        let i = self.info();
        match quotable(&resp.body) {
            Cow::Borrowed(_) => i.adapter().error_for(i, resp),
            Cow::Owned(body) => {
                let clean = Response {
                    status: resp.status,
                    body,
                    too_large: resp.too_large,
                    wait_refused: resp.wait_refused.clone(),
                    earlier_unanswered: resp.earlier_unanswered,
                };
                i.adapter().error_for(i, &clean)
            }
        }
    }
}

/// A workspace on a provider without workspaces is refused (exit 2) before anything is built;
/// the settings step refuses it first, this keeps every adapter from silently dropping it.
fn no_workspace_unless_supported(i: &Info, base: &BaseUrl) -> Result<()> {
    match base.workspace() {
        Some(_) if !i.workspaces => Err(i.no_workspaces("--workspace")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod create_expiry_tests;

#[cfg(test)]
mod key_json_form_tests;

#[cfg(test)]
mod base_url_tests;

#[cfg(test)]
mod caps_flags_tests;

#[cfg(test)]
mod no_setting_read_tests;

#[cfg(test)]
mod quotable_tests;

#[cfg(test)]
mod read_agreement_tests;

#[cfg(test)]
mod single_cap_apply_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::KeyType;

    /// The dispatch from the enum reaches each provider's own adapter (each call is checked
    /// against something only that adapter does).
    #[test]
    fn dispatch_reaches_each_adapter() {
        use crate::patch::Change;
        let (ionet, gates, venice) = (
            ProviderKind::Ionet,
            ProviderKind::OpenRouter,
            ProviderKind::Venice,
        );
        let vcu = Patch {
            limit_vcu: Change::Set("1".parse().unwrap()),
            ..Patch::default()
        };
        assert!(venice.adapter().warnings(&vcu)[0].contains("deprecated"));
        assert!(
            gates.adapter().warnings(&vcu).is_empty() && ionet.adapter().warnings(&vcu).is_empty()
        );
        assert!(venice.adapter().needs_current(&vcu, false));
        assert!(!venice.adapter().needs_current(&Patch::default(), false));
        assert!(
            !gates.adapter().needs_current(&vcu, true)
                && !ionet.adapter().needs_current(&vcu, true)
        );
        let before = Key {
            raw: serde_json::json!({"consumptionLimits": {"usd": 5, "diem": null, "vcu": 2}}),
            ..Key::default()
        };
        let mut p = vcu.clone();
        venice
            .adapter()
            .merge_current(venice.info(), &before, &mut p)
            .unwrap();
        assert_eq!(p.limit, Change::Set("5".parse().unwrap()));
        assert_eq!(p.limit_diem, Change::Clear);
        let mut p = vcu.clone();
        gates
            .adapter()
            .merge_current(gates.info(), &before, &mut p)
            .unwrap();
        assert_eq!(p, vcu);
        assert!(ionet.adapter().get_completes_from_list());
        assert!(!gates.adapter().get_completes_from_list());
        assert!(!venice.adapter().get_completes_from_list());
        let v = gates
            .parse_get("h", br#"{"data": {"hash": "h", "name": "n"}}"#)
            .unwrap();
        assert_eq!(v.name, Known::Value("n".into()));
        let v = venice
            .parse_get(
                "k",
                br#"{"data": {"id": "k", "description": "d"}, "success": true}"#,
            )
            .unwrap();
        assert_eq!(v.name, Known::Value("d".into()));
        let page = venice
            .adapter()
            .parse_list(venice.info(), br#"{"data": [{"id": "a"}, {"id": "b"}, 3]}"#)
            .unwrap();
        assert_eq!((page.keys.len(), page.entries), (2, 3));
        assert_eq!(page.keys[1].id, "b");
    }

    fn new_key(settings: Patch) -> NewKey {
        NewKey {
            name: "ci".into(),
            kind: None,
            settings,
        }
    }

    /// Each adapter reads the secret from its own place, takes it out of `raw`, and never
    /// quotes an answer it cannot read.
    #[test]
    fn create_answers_and_their_secrets() {
        let cases = [
            (
                ProviderKind::Ionet,
                r#"{"status":"succeeded","data":{"key_id":"3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23","value":"io-v2-S3CRET","display":"io-v2-S...T"}}"#,
                "3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23",
            ),
            (
                ProviderKind::Novapai,
                r#"{"data":{"hash":"h1","name":"ci"},"key":"io-v2-S3CRET"}"#,
                "h1",
            ),
            (
                ProviderKind::OpenRouter,
                r#"{"data":{"hash":"h1","name":"ci","key":"io-v2-S3CRET"}}"#,
                "h1",
            ),
            (
                ProviderKind::Venice,
                r#"{"success":true,"data":{"id":"v1","apiKey":"io-v2-S3CRET","apiKeyType":"ADMIN"}}"#,
                "v1",
            ),
        ];
        for (p, body, id) in cases {
            let c = p.parse_create(body.as_bytes()).unwrap();
            assert_eq!(c.secret.as_deref(), Some("io-v2-S3CRET"), "{p}");
            assert_eq!(c.key.id, id, "{p}");
            assert!(!c.key.to_json().to_string().contains("S3CRET"), "{p}");
            // Without the secret: the key, and no secret.
            let without = body.replace("\"io-v2-S3CRET\"", "\"\"");
            assert_eq!(p.parse_create(without.as_bytes()).unwrap().secret, None);
            // Cut short, or without `data`: an error that does not quote the answer.
            let e = p
                .parse_create(&body.as_bytes()[..body.len() - 3])
                .unwrap_err();
            assert!(!e.to_string().contains("S3CRET"), "{p}: {e}");
            assert_eq!(e.exit_code(), 7);
            // A top-level secret without `data`: kept (it must not be lost), with no id; the
            // others keep their secret inside `data`, so without it there is none.
            match p.parse_create(br#"{"key":"io-v2-S3CRET"}"#) {
                Ok(c) => {
                    assert_eq!(c.secret.as_deref(), Some("io-v2-S3CRET"), "{p}");
                    assert_eq!(c.key.id, "", "{p}");
                }
                Err(e) => {
                    assert!(
                        matches!(p, ProviderKind::Ionet | ProviderKind::Venice),
                        "{p}"
                    );
                    assert!(!e.to_string().contains("S3CRET"), "{p}: {e}");
                }
            }
        }
        // A secret repeated elsewhere in the answer is scrubbed there too.
        let c = ProviderKind::ModelGates
            .parse_create(br#"{"data":{"hash":"h","name":"io-v2-S3CRET"},"key":"io-v2-S3CRET"}"#)
            .unwrap();
        assert!(!c.key.to_json().to_string().contains("S3CRET"));
        assert_eq!(
            ProviderKind::Venice.adapter().key_type(
                &ProviderKind::Venice
                    .parse_create(cases[3].1.as_bytes())
                    .unwrap()
                    .key
            ),
            Some(KeyType::Admin)
        );
        assert_eq!(
            ProviderKind::ModelGates.adapter().key_type(&Key::default()),
            None
        );
    }

    #[test]
    fn create_bodies_take_the_name_from_the_new_key_and_no_cap_as_null() {
        use crate::patch::Change;
        let base = BaseUrl::parse("https://x.example").unwrap();
        let named = NewKey {
            settings: Patch {
                name: Some("ignored".into()),
                limit: Change::Clear,
                ..Patch::default()
            },
            ..new_key(Patch::default())
        };
        let body = |p: ProviderKind| p.build_create(&base, &named).unwrap().body.unwrap();
        assert_eq!(
            body(ProviderKind::ModelGates),
            serde_json::json!({"name": "ci", "limit": null})
        );
        assert_eq!(
            body(ProviderKind::Ionet),
            serde_json::json!({"description": "ci", "credit_limit": null})
        );
        // Every model, on a create, is the field left out (not an update's `[]`).
        let all_models = new_key(Patch {
            models: Change::Clear,
            ..Patch::default()
        });
        assert_eq!(
            ProviderKind::Ionet
                .build_create(&base, &all_models)
                .unwrap()
                .body,
            Some(serde_json::json!({"description": "ci"}))
        );
        assert_eq!(
            body(ProviderKind::Venice),
            serde_json::json!({"apiKeyType": "INFERENCE", "consumptionLimit": {"usd": null}, "description": "ci"})
        );
    }

    #[test]
    fn a_secret_anywhere_in_raw_is_scrubbed_and_bad_json_is_named_not_quoted() {
        let c = ProviderKind::OpenRouter
            .parse_create(br#"{"data":{"hash":"h","tags":["x","sk-SECRET-1"],"o":{"k":"sk-SECRET-1"}},"key":"sk-SECRET-1"}"#)
            .unwrap();
        assert!(!c.key.raw.to_string().contains("SECRET"), "{}", c.key.raw);
        for (body, kind) in [
            (&br#"{"key": "sk-SECRET-1""#[..], "cut short"),
            (br#"{"key": sk-SECRET-1}"#, "syntax error"),
        ] {
            let e = ProviderKind::OpenRouter.parse_create(body).unwrap_err();
            assert!(e.to_string().contains(kind), "{e}");
            assert!(!e.to_string().contains("SECRET"), "{e}");
        }
    }

    #[test]
    fn delete_requests_and_answers() {
        let base = BaseUrl::parse("https://x.example/gw").unwrap();
        let r = ProviderKind::Venice.build_delete(&base, "a b&c=d").unwrap();
        assert_eq!(r.method, crate::request::Method::Delete);
        assert_eq!(r.url, "https://x.example/gw/api/v1/api_keys?id=a+b%26c%3Dd");
        assert_eq!(r.body, None);
        assert_eq!(r.key.as_deref(), Some("a b&c=d"));
        let r = ProviderKind::ModelGates.build_delete(&base, "a/b").unwrap();
        assert_eq!(r.url, "https://x.example/gw/api/v1/keys/a%2Fb");
        let r = ProviderKind::Ionet
            .build_delete(&base, "3F2B8C1E-9A4D-4E6F-8B21-5C7D0E9F1A23")
            .unwrap();
        assert_eq!(
            r.url,
            "https://x.example/gw/v1/api-keys/sub-keys/3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23"
        );
        assert!(ProviderKind::Ionet.build_delete(&base, "nope").is_err());
        assert!(ProviderKind::Venice.build_delete(&base, "..").is_err());
        for ok in [
            &b""[..],
            b"not json",
            br#"{"deleted":true}"#,
            br#"{"success":true}"#,
        ] {
            assert!(
                ProviderKind::Venice
                    .adapter()
                    .parse_delete(ProviderKind::Venice.info(), ok)
                    .is_ok()
            );
        }
        for no in [&br#"{"deleted":false}"#[..], br#"{"success":false}"#] {
            let e = ProviderKind::ModelGates
                .adapter()
                .parse_delete(ProviderKind::ModelGates.info(), no)
                .unwrap_err();
            assert_eq!(e.exit_code(), 7);
        }
    }

    #[test]
    fn create_notices_and_types() {
        use crate::patch::Change;
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let n = ProviderKind::Ionet
            .adapter()
            .create_notices(&new_key(Patch::default()), now);
        assert!(
            n[0].contains("180 days") && n[0].contains("2027-05-22"),
            "{n:?}"
        );
        let never = new_key(Patch {
            expires: Change::Clear,
            ..Patch::default()
        });
        assert!(
            ProviderKind::Ionet
                .adapter()
                .create_notices(&never, now)
                .is_empty()
        );
        let limited = new_key(Patch {
            limit: Change::Set("5".parse().unwrap()),
            ..Patch::default()
        });
        assert!(ProviderKind::Venice.adapter().create_notices(&limited, now)[0].contains("EPOCH"));
        assert!(
            ProviderKind::Venice
                .adapter()
                .create_notices(&never, now)
                .is_empty()
        );
        assert!(
            ProviderKind::ModelGates
                .adapter()
                .create_notices(&limited, now)
                .is_empty()
        );
        let base = BaseUrl::parse("https://x.example").unwrap();
        let admin = NewKey {
            kind: Some(KeyType::Admin),
            ..new_key(Patch::default())
        };
        let b = ProviderKind::Venice.build_create(&base, &admin).unwrap();
        assert_eq!(b.body.unwrap()["apiKeyType"], "ADMIN");
        assert_eq!(b.method, crate::request::Method::Post);
        for p in [ProviderKind::Ionet, ProviderKind::Novapai] {
            let e = p.build_create(&base, &admin).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{p}");
        }
    }

    #[test]
    fn a_secret_given_as_a_key_id_is_refused_by_every_builder() {
        let _g = crate::mask::tests::REGISTRY.lock();
        let base = BaseUrl::parse("https://x.example").unwrap();
        for k in [
            "sk-or-v1-abc",
            "VENICE_INFERENCE_KEY_abc",
            " VENICE_ADMIN_KEY_x",
            "io-v2-x",
            "eyJhbGciOi",
        ] {
            for &p in all() {
                for e in [
                    p.build_get(&base, k).unwrap_err(),
                    p.build_delete(&base, k).unwrap_err(),
                    p.build_update(&base, k, &Patch::default()).unwrap_err(),
                ] {
                    assert!(
                        e.to_string().contains("is the secret, not the id"),
                        "{p} {k}: {e}"
                    );
                }
            }
        }
        assert!(
            refuse_secret_id(
                ProviderKind::Venice.info(),
                "e28e82dc-9df2-4b47-b726-d0a222ef2ab5"
            )
            .is_ok()
        );
    }
}
