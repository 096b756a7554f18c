//! Property tests (fuzzing in the suite): no flag value, base URL, credential, response header,
//! response body or error body makes keyctl panic, and text shown from a server never carries
//! control characters.

use keyctl::credential::Secret;
use keyctl::http::{classify, server_wait};
use keyctl::key::Key;
use keyctl::patch::{Amount, Change, ExpirySpec, LimitArg, ModelList, Name, Patch};
use keyctl::provider::{BaseUrl, all, display_url, venice};
use keyctl::request::Response;
use keyctl::text::{sanitize, snippet};
use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("data".to_string()),
                    Just("error".to_string()),
                    Just("detail".to_string()),
                    Just("message".to_string()),
                    Just("issues".to_string()),
                    Just("loc".to_string()),
                    Just("msg".to_string()),
                    Just("status".to_string()),
                    Just("success".to_string()),
                    Just("limit".to_string()),
                    Just("consumptionLimits".to_string()),
                    "[a-z]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn flag_values_never_panic(s in ".{0,40}") {
        let _ = s.parse::<Amount>();
        let _ = s.parse::<LimitArg>();
        let _ = s.parse::<ModelList>();
        let _ = s.parse::<Name>();
        let _ = keyctl::provider::find(&s);
        let _ = BaseUrl::parse(&s);
        if let Ok(e) = s.parse::<ExpirySpec>() {
            let _ = e.resolve(chrono::Utc::now());
        }
    }

    #[test]
    fn numeric_looking_values_never_panic(s in "[-+0-9.eE]{0,400}") {
        if let Ok(a) = s.parse::<Amount>() {
            prop_assert!(!a.value().is_sign_negative() || a.value().is_zero());
            // What is sent is the number as typed (digits kept, never an exponent).
            prop_assert!(!a.to_json().to_string().contains(['e', 'E']));
        }
    }

    #[test]
    fn durations_never_panic(n in any::<u64>(), unit in prop::sample::select(vec!["s", "m", "h", "d", "w", "y", "ms"])) {
        if let Ok(e) = format!("{n}{unit}").parse::<ExpirySpec>() {
            let _ = e.resolve(chrono::Utc::now());
        }
    }

    #[test]
    fn response_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..300), status in 100u16..600) {
        for &p in all() {
            let _ = p.parse_update("k", &Value::Null, &body);
            let e = p.error_for(&Response::new(status, body.clone()));
            prop_assert!(!e.to_string().chars().any(|c| c.is_control()));
        }
        prop_assert!(!snippet(&body).chars().any(|c| c.is_control()));
    }

    #[test]
    fn json_responses_never_panic(v in json_value(), status in 100u16..600) {
        let body = serde_json::to_vec(&v).unwrap();
        for &p in all() {
            let _ = p.parse_update("k", &v, &body);
            let i = p.info();
            let _ = i.adapter().error_message(&v);
            let e = p.error_for(&Response::new(status, body.clone()));
            prop_assert!(!e.to_string().chars().any(|c| c.is_control()));
        }
    }

    #[test]
    fn sanitize_removes_every_control_character(s in any::<String>()) {
        prop_assert!(!sanitize(&s).chars().any(|c| c.is_control()));
    }

    /// Any bytes a header can carry, in every header keyctl reads waits from, at any clock.
    #[test]
    fn rate_limit_headers_never_panic(
        value in prop::collection::vec(prop_oneof![32u8..127, Just(b'\t'), 128u8..=255], 0..40),
        digits in "[0-9]{1,30}(\\.[0-9]{0,10})?",
        status in 100u16..600,
        now in any::<i64>(),
    ) {
        let now = chrono::DateTime::from_timestamp(now % 8_000_000_000_000, 0).unwrap_or_default();
        for name in ["retry-after", "x-ratelimit-reset", "x-ratelimit-reset-requests", "location"] {
            for v in [value.as_slice(), digits.as_bytes()] {
                let mut h = HeaderMap::new();
                if let Ok(hv) = HeaderValue::from_bytes(v) {
                    h.insert(name, hv);
                }
                let _ = server_wait(&h, now);
                let _ = classify(status, &h, now);
            }
        }
    }

    #[test]
    fn list_and_get_bodies_never_panic(v in json_value(), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let body = serde_json::to_vec(&v).unwrap();
        for &p in all() {
            for b in [&body, &bytes] {
                let _ = p.adapter().parse_list(p.info(), b);
                let _ = p.parse_get("k", b);
            }
        }
    }

    /// Whatever Venice answers for the key, the merge either fails the key (exit 7) or sends the
    /// currency changed plus exactly the other currencies the key carries, each as read (all
    /// `null` when `consumptionLimits` itself is `null`): a
    /// currency the answer leaves out is no cap and stays out of the write (never a `null`
    /// that would read as "remove the cap", never a value made up).
    #[test]
    fn venice_merge_keeps_every_currency_as_read_or_sends_nothing(limits in json_value()) {
        let before = Key { raw: serde_json::json!({ "consumptionLimits": limits }), ..Default::default() };
        let mut patch = Patch { limit_diem: Change::Set("5".parse().unwrap()), ..Default::default() };
        match venice::keep_other_currencies(&before, &mut patch) {
            Err(e) => prop_assert_eq!(e.exit_code(), 7),
            Ok(()) => {
                let body = venice::build_body(&patch).unwrap();
                let c = body["consumptionLimit"].as_object().unwrap();
                prop_assert_eq!(&c["diem"], &serde_json::json!(5));
                for name in ["usd", "vcu"] {
                    // `consumptionLimits: null` is no cap in any currency: kept as `null`.
                    let read = if limits.is_null() { Some(&limits) } else { limits.get(name) };
                    prop_assert_eq!(c.get(name).is_some(), read.is_some(), "{}: {:?}", name, body);
                    if let (Some(sent), Some(read)) = (c.get(name), read) {
                        let same = match (sent.as_f64(), read.as_f64()) {
                            (Some(a), Some(b)) => a == b,
                            _ => sent == read,
                        };
                        prop_assert!(same, "{}: sent {} for {}", name, sent, read);
                    }
                }
            }
        }
    }

    #[test]
    fn credentials_never_panic_and_only_header_safe_ones_pass(s in any::<String>()) {
        if let Ok(Some(secret)) = Secret::parse(&s, "VAR") {
            prop_assert!(secret.expose().chars().all(|c| c.is_ascii_graphic()));
            prop_assert!(secret.expose().len() <= 4096);
        }
    }

    #[test]
    fn a_password_in_a_base_url_is_never_shown(
        pw in "[A-Za-z0-9]{8,20}",
        pre in prop::sample::select(vec!["https://u:", "https:///u:", "https:/u:", "//u:", "http://u:", "u:"]),
        post in prop::sample::select(vec!["@example.com", "#x@example.com", "?x@h", "/p@h", "@[bad", "@example.com/x?y#z"]),
    ) {
        let url = format!("{pre}{pw}{post}");
        prop_assert!(!display_url(&url).contains(&pw), "{url}");
        if let Err(e) = BaseUrl::parse(&url) {
            prop_assert!(!e.to_string().contains(&pw), "{url}: {e}");
        }
    }

    /// Masking any text with any registered secret never panics (char boundaries, escapes).
    #[test]
    fn masking_never_panics(secret in any::<String>(), text in any::<String>()) {
        keyctl::mask::register_text(&secret);
        let _ = keyctl::mask::mask(&text);
        let _ = keyctl::mask::mask(&format!("{text}{secret}\u{1b}[0m{text}"));
        let _ = sanitize(&format!("é{secret}{text}"));
    }
}
